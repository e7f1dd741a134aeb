"""Keyed, hardened Bloom-filter encodings of a person's identifying parts: what leaves the organisation.

Each field (given names, first given name, family name, all name tokens, name skeletons, birth date, sex,
citizenship, and optionally the parts of an address) becomes its own Bloom filter (Schnell, Bachteler &
Reiher 2009) so the hub can score fields separately with Fellegi-Sunter weights. The filter is built from
tokens (padded bigrams of names; date parts and day-month pairs of birth dates) under a **secret the
contributing organisations share and the hub does not have**.

The first given name has its own filter (format ``ctdx-bloom/3``) because the scoring's twin rule needs it:
"Ana Santos" and "Maria Santos" (twins whose middle name is the family name) share most bigrams of their
whole given names, while "Maria Guadalupe" and "Maria" (one person, a middle name left out) share the
first. It is hashed and permuted like the given and family names, so for a person with one given name it
equals the given-name filter but for the flips: it tells the hub that a record has one given name, nothing
about which. So does its consonant skeleton (``first_skeleton``): "Muhammad" and "محمد" share no bigram
but the skeleton ``mhmd``, which tells a transliteration from a twin's other name; the skeleton of all
name parts cannot, as twins who share a middle and a family name share most of it.

How each filter is made:

- **Keys**: one key per field, derived from the shared secret with HKDF-SHA256 (``cryptography``).
- **Positions**: HMAC-SHA256 of the token under the field key (``hmac.digest``, in C) gives two 64-bit
  values h1, h2; the k bit positions are ``h1 + i*h2 mod m`` (double hashing, Kirsch & Mitzenmacher
  2006; the scheme of clkhash's ``doubleHash``). No hash function of our own.
- **Bits per feature** (clkhash's ``bitsPerFeature``): name fields set about the same number of bits
  whatever the name's length (k = feature bits / tokens), so a Hamming distance means the same share of
  differing bigrams for a short and a long name. Balancing hides the weight, so the hub could not
  normalise by it.
- **Hardening** against the published attacks (benchmarks.md B5):

  1. *Balancing* (Schnell & Borgs 2016): the filter is followed by its complement and the 2m bits are
     permuted with a per-field secret permutation, so every encoding has the same weight m: no length or
     Hamming-weight signal, and no bit whose frequency betrays a common bigram (defeats the bit-pattern
     mining of Christen et al. 2018 in their evaluation).
  2. *Randomised response* (BLIP, Alaggan et al. 2012): each bit is flipped with probability f, so two
     encodings of the same value are never identical.
  3. *Per-field keys* from one secret: a filter of one field says nothing about another field's filters
     (the name parts, ``NAME_PART_FIELDS``, share one key, so that swapped names can be compared).
  4. *Salting with the birth date* (the default, ``salt="birth-date"``; Chen, Schnell, Armknecht & Heng
     2022 salt with a record attribute): the tokens of the **given, first given and family names** are
     hashed with the record's full birth date (year and the unordered day-month pair, so a day-month swap
     still links). One name then gives unrelated filters for people born on different days, and the groups of
     near-identical name filters a frequency attack aligns with a name list shrink to (name, date) cells
     of about one person; a record without a complete, exact birth date gets **no** given or family
     filter (a shared fallback salt would be one large cell, as exposed as no salt). The order-free
     composites (all name parts, skeletons) stay unsalted so that pairs whose birth dates differ or are
     missing can still be scored on names: their exposure is the full name's frequency, not a single
     name part's (``attacks`` measures both). ``salt="birth-year"`` salts every name field with the year
     (``salt_window`` neighbouring years too); an attacker who splits people by the year the birth-date
     filters show still aligns the commonest names within each year, so it is kept only for comparison;
     ``salt="none"`` keeps every name filter unsalted (a hub that must block records whose birth dates
     differ or are missing on one name part; bench/linkage/README.md measures what each choice costs).

Dice similarity on balanced filters equals ``1 - hamming / (2m)``; ``dice`` computes it here for the
plaintext side and tests, and the hub computes the same in DuckDB.

``Encoder.encode_many`` encodes a batch with numpy over whole arrays (one HMAC per distinct token, bit
setting, balancing, flips and packing vectorised); ``encode`` is the same for one identity.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ctdx.errors import ValidationError
from ctdx.linkage.normalise import BirthDate, Identity, latinise, skeleton

# A hub refuses a package whose encoding description (this format, the salt, ...) differs from its earlier
# packages', so encodings with and without a salt never mix.
ENCODING_FORMAT = "ctdx-bloom/3"
YEAR_WEIGHT = 3
SECRET_BYTES = 32
# Records encoded at once by ``encode_many``: bounds the memory of the bit matrices (about 40 MB).
CHUNK_RECORDS = 4096
NAME_FIELDS = ("given", "first", "family", "names", "skeleton", "first_skeleton")
# Fields hashed under one key and permuted alike, so the hub can compare one with another (swapped name
# order; a first given name against a whole given name).
NAME_PART_FIELDS = ("given", "first", "family")
# Distinct field values whose bit positions the encoder keeps (cleared when full).
VALUE_CACHE_SIZE = 500_000

Salt = Literal["none", "birth-year", "birth-date"]
SALTS = ("none", "birth-year", "birth-date")
# The name fields each salt applies to: the birth-date salt leaves the order-free composites (all name parts,
# skeletons) unsalted so that a pair whose birth dates differ or are missing can still be scored on names.
SALTED_FIELDS: dict[str, tuple[str, ...]] = {
    "none": (),
    "birth-year": NAME_FIELDS,
    "birth-date": ("given", "first", "family", "first_skeleton"),
}


@dataclass(frozen=True)
class FieldSpec:
    """One encoded field: its filter length ``bits`` (before balancing) and bit positions per token.

    With ``feature_bits`` the k of each token is ``feature_bits / tokens`` (at least 1, at most
    ``hashes``), so every value sets about ``feature_bits`` positions; otherwise every token sets
    ``hashes`` positions.
    """

    name: str
    bits: int
    hashes: int
    feature_bits: int = 0


# Lengths and k follow clkhash's advice to set about half the bits of the unbalanced filter at most
# (clkhash docs, "On the length of a CLK"): names carry 5-15 bigrams, birth dates about 8 tokens.
ENCODED_FIELDS = (
    FieldSpec("given", 512, 40, 240),
    FieldSpec("first", 512, 40, 240),
    FieldSpec("family", 512, 40, 240),
    FieldSpec("names", 512, 30, 300),
    FieldSpec("skeleton", 256, 24, 120),
    FieldSpec("first_skeleton", 256, 24, 120),
    FieldSpec("birth", 512, 12),
    FieldSpec("sex", 64, 8),
    FieldSpec("citizenship", 64, 8),
)
FIELD_NAMES = tuple(spec.name for spec in ENCODED_FIELDS)
# Optional address parts (HTCDS ``prs_MailingStreet``, ``prs_MailingCity``, ``prs_MailingState``,
# ``prs_MailingPostalCode``) for organisations that record them: ``EncodingConfig(fields=WITH_ADDRESS)``.
ADDRESS_FIELDS = (
    FieldSpec("street", 512, 30, 240),
    FieldSpec("city", 256, 30, 120),
    FieldSpec("postcode", 128, 10),
    FieldSpec("state", 64, 8),
)
WITH_ADDRESS = ENCODED_FIELDS + ADDRESS_FIELDS


@dataclass(frozen=True)
class EncodingConfig:
    """How encodings are built. Every organisation contributing to one hub must use the same config."""

    fields: tuple[FieldSpec, ...] = ENCODED_FIELDS
    balanced: bool = True
    flip_probability: float = 0.02
    salt: Salt = "birth-date"
    salt_window: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.flip_probability < 0.5:
            raise ValidationError("flip_probability must be in [0, 0.5)", field="flip_probability")
        if self.salt not in SALTS or not 0 <= self.salt_window <= 5:
            raise ValidationError("salt must be none, birth-year or birth-date, with a window of 0-5", field="salt")
        if self.salt == "birth-date" and self.salt_window:
            raise ValidationError("the birth-date salt has no window", field="salt_window")
        for spec in self.fields:
            if spec.bits % 8 or spec.bits <= 0 or spec.hashes <= 0 or spec.feature_bits < 0:
                raise ValidationError("a field needs a positive multiple of 8 bits and hashes", field=spec.name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields)

    def spec(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise ValidationError("no such encoded field", field=name)

    def encoded_bytes(self, spec: FieldSpec) -> int:
        """The length of one field's encoding: twice the filter when balanced."""
        return (2 if self.balanced else 1) * spec.bits // 8

    def describe(self) -> dict[str, object]:
        """The config as plain data, carried in every contribution so the hub can refuse a mismatch."""
        return {
            "format": ENCODING_FORMAT,
            "balanced": self.balanced,
            "flip_probability": self.flip_probability,
            "salt": self.salt,
            "salt_window": self.salt_window,
            "fields": [
                {"name": s.name, "bits": s.bits, "hashes": s.hashes, "feature_bits": s.feature_bits}
                for s in self.fields
            ],
        }


DEFAULT_ENCODING_CONFIG = EncodingConfig()
# Plaintext deduplication inside one organisation: same filters, no noise (nothing leaves the building).
PLAINTEXT_ENCODING_CONFIG = EncodingConfig(balanced=False, flip_probability=0.0, salt="none")


class LinkageSecret:
    """The secret shared by the contributing organisations. The hub never holds it."""

    def __init__(self, key: bytes) -> None:
        if len(key) < SECRET_BYTES:
            raise ValidationError(f"the linkage secret must be at least {SECRET_BYTES} bytes", field="secret")
        self._key = key

    @classmethod
    def generate(cls) -> LinkageSecret:
        return cls(secrets.token_bytes(SECRET_BYTES))

    @classmethod
    def from_text(cls, text: str) -> LinkageSecret:
        """A secret from its hex form (as written by ``to_text``)."""
        try:
            return cls(bytes.fromhex(text.strip()))
        except ValueError:
            raise ValidationError("the linkage secret is not hexadecimal text", field="secret") from None

    def to_text(self) -> str:
        return self._key.hex()

    def __repr__(self) -> str:
        return f"LinkageSecret(fingerprint={self.fingerprint})"

    @cached_property
    def fingerprint(self) -> str:
        """A public name for the secret: packages made under different secrets cannot be linked."""
        return hmac.new(self._key, b"ctdx linkage secret fingerprint", hashlib.sha256).hexdigest()[:16]

    def derive(self, purpose: str, length: int = 32) -> bytes:
        """A key for one purpose (a field's hashing, a field's permutation), by HKDF-SHA256."""
        kdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=f"ctdx/linkage/{purpose}".encode())
        return kdf.derive(self._key)


def bigrams(token: str) -> set[str]:
    """The padded bigrams of one token: ``ana`` -> `` a``, ``an``, ``na``, ``a ``."""
    padded = f" {token} "
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


def birth_tokens(birth: BirthDate) -> frozenset[str]:
    """Date parts of a birth date: year windows, year, month, day, the unordered day-month pair."""
    tokens: set[str] = set()
    if birth.year is not None:
        # An exact year and its neighbours, so adjacent years share most tokens; an estimated age only the
        # years it allows (its error already is the tolerance), so an exact date inside the range shares
        # all its year tokens and agrees better than an exact date a year away. Three copies weigh the
        # years as much as the day and month parts.
        years = birth.years if birth.year_error else range(birth.year - 1, birth.year + 2)
        tokens.update(f"yw{copy}:{y}" for y in years for copy in range(YEAR_WEIGHT))
        if not birth.year_error:
            tokens.add(f"y:{birth.year}")
            if birth.month is not None:
                tokens.add(f"m:{birth.month}")
                tokens.add(f"ym:{birth.year}-{birth.month}")
            if birth.month is not None and birth.day is not None:
                low, high = sorted((birth.month, birth.day))
                tokens.add(f"d:{birth.day}")
                tokens.add(f"md:{low}-{high}")  # unordered: matches a day-month swap
                tokens.add(f"ymd:{birth.year}-{birth.month}-{birth.day}")
    return frozenset(tokens)


def _text_bigrams(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    return frozenset(g for word in latinise(text).split() for g in bigrams(word))


def _digits(text: str | None) -> frozenset[str]:
    """Positional digits and the whole value of a code such as a postcode."""
    if not text:
        return frozenset()
    value = "".join(text.split()).lower()
    return frozenset({f"={value}", *(f"{i}:{c}" for i, c in enumerate(value))})


@cache
def _name_bigrams(tokens: tuple[str, ...]) -> frozenset[str]:
    return frozenset(g for t in tokens for g in bigrams(t))


@cache
def _birth_tokens(birth: BirthDate) -> frozenset[str]:
    return birth_tokens(birth)


def identity_tokens(identity: Identity) -> dict[str, frozenset[str]]:
    """The token set of each field; an unknown field has an empty set (and gets no filter)."""
    return {name: field_tokens(name, field_value(identity, name)) for name in TOKEN_FIELDS}


TOKEN_FIELDS: tuple[str, ...] = (
    "given",
    "first",
    "family",
    "names",
    "skeleton",
    "first_skeleton",
    "birth",
    "sex",
    "citizenship",
    "street",
    "city",
    "postcode",
    "state",
)


def field_value(identity: Identity, name: str) -> Hashable:
    """The part of an identity one field encodes, as a hashable value (the key of the encoder's caches)."""
    if name == "given":
        return identity.name.given
    if name == "first":
        return identity.name.given[:1]
    if name == "family":
        return identity.name.family
    if name == "names":
        return identity.name.tokens
    if name == "skeleton":
        return identity.name.skeletons
    if name == "first_skeleton":
        return tuple(s for s in (skeleton(t) for t in identity.name.given[:1]) if s)
    if name == "birth":
        return identity.birth
    if name == "sex":
        return identity.sex
    if name == "citizenship":
        return identity.citizenship
    return dict(identity.address).get(name)


def field_tokens(name: str, value: Any) -> frozenset[str]:
    """The tokens of one field's value (as ``field_value`` gives it)."""
    if name in NAME_FIELDS:
        return _name_bigrams(value)
    if name == "birth":
        return _birth_tokens(value)
    if name == "sex":
        return frozenset({value} if value else ())
    if name == "citizenship":
        return frozenset(value)
    if name == "postcode":
        return _digits(value)
    return _text_bigrams(value)


def salts(identity: Identity, config: EncodingConfig) -> tuple[str, ...]:
    """The salts mixed into the salted name tokens of one record (``("",)`` when the config does not salt;
    none when the birth-date salt has no complete birth date)."""
    if config.salt == "none":
        return ("",)
    birth = identity.birth
    if config.salt == "birth-date":
        # No complete, exact birth date: no salt, so the salted fields get no filter at all.
        if birth.year is None or birth.year_error or birth.month is None or birth.day is None:
            return ()
        low, high = sorted((birth.month, birth.day))  # unordered, as the birth filter: a day-month swap links
        return (f"d{birth.year}:{low}-{high}",)
    year = birth.year
    if year is None:
        return ("y?",)
    return tuple(f"y{y}" for y in range(year - config.salt_window, year + config.salt_window + 1))


def salted(tokens: Iterable[str], record_salts: Sequence[str]) -> list[str]:
    """Every token once per salt (the salt and a unit separator before it)."""
    if tuple(record_salts) == ("",):
        return list(tokens)
    return [f"{salt}\x1f{token}" for salt in record_salts for token in tokens]


def _key_group(field_name: str) -> str:
    return "name-part" if field_name in NAME_PART_FIELDS else field_name


U8Array = npt.NDArray[np.uint8]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EncodedField:
    """One field's encodings for a batch: packed filters (one row per record) and which rows are known."""

    packed: U8Array
    present: BoolArray

    def value(self, row: int) -> bytes | None:
        return self.packed[row].tobytes() if self.present[row] else None


@dataclass(frozen=True)
class EncodedBatch:
    """The encodings of a batch of identities, field by field."""

    fields: dict[str, EncodedField]
    size: int

    def record(self, row: int) -> dict[str, bytes | None]:
        return {name: encoded.value(row) for name, encoded in self.fields.items()}

    def records(self) -> list[dict[str, bytes | None]]:
        columns = {name: [e.value(i) for i in range(self.size)] for name, e in self.fields.items()}
        return [{name: column[i] for name, column in columns.items()} for i in range(self.size)]


@dataclass
class Encoder:
    """Encodes identities under one secret and config. Not thread-safe (it holds a random source)."""

    secret: LinkageSecret
    config: EncodingConfig = DEFAULT_ENCODING_CONFIG
    _keys: dict[str, bytes] = field(init=False, repr=False)
    _permutations: dict[str, np.ndarray] = field(init=False, repr=False)
    _random: np.random.Generator = field(init=False, repr=False)
    _token_ids: dict[str, dict[str, int]] = field(init=False, repr=False)
    _tables: dict[str, np.ndarray] = field(init=False, repr=False)
    _value_cache: dict[str, dict[Hashable, np.ndarray]] = field(init=False, repr=False)
    _inverse_permutations: dict[str, np.ndarray] = field(init=False, repr=False)
    _templates: dict[str, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Given, first given and family names share one key and one permutation (``NAME_PART_FIELDS``);
        # every other field has its own.
        self._keys = {s.name: self.secret.derive(f"hash/{_key_group(s.name)}") for s in self.config.fields}
        self._permutations = {}
        self._token_ids = {s.name: {} for s in self.config.fields}
        self._tables = {s.name: np.zeros((0, s.hashes), dtype=np.int32) for s in self.config.fields}
        self._value_cache = {s.name: {} for s in self.config.fields}
        self._inverse_permutations = {}
        self._templates = {}
        for spec in self.config.fields:
            seed = int.from_bytes(self.secret.derive(f"permutation/{_key_group(spec.name)}", 16), "big")
            permutation = np.random.Generator(np.random.PCG64(seed)).permutation(2 * spec.bits)
            self._permutations[spec.name] = permutation
            self._inverse_permutations[spec.name] = np.argsort(permutation).astype(np.int32)
            template = np.zeros(2 * spec.bits, dtype=np.bool_)
            template[self._inverse_permutations[spec.name][spec.bits :]] = True
            self._templates[spec.name] = template
        # Bit flips must not be reproducible by anyone, including us: seeded from the OS source.
        self._random = np.random.Generator(np.random.PCG64(secrets.randbits(128)))

    def _token_ids_of(self, field_name: str, tokens: Sequence[str]) -> list[int]:
        """Ids of tokens in the field's position table; new tokens are hashed together and appended."""
        ids = self._token_ids[field_name]
        new = [t for t in dict.fromkeys(tokens) if t not in ids]
        if new:
            spec = self.config.spec(field_name)
            key = self._keys[field_name]
            digests = b"".join(hmac.digest(key, t.encode("utf-8"), "sha256") for t in new)
            words = np.frombuffer(digests, dtype=">u8").reshape(len(new), 4)
            # (h1 + i*h2) mod m computed as ((h1 mod m) + i*(h2 mod m)) mod m: the same numbers, in int64.
            h1 = (words[:, 0] % np.uint64(spec.bits)).astype(np.int64)
            h2 = ((words[:, 1] | np.uint64(1)) % np.uint64(spec.bits)).astype(np.int64)
            rows = (h1[:, None] + np.arange(spec.hashes, dtype=np.int64)[None, :] * h2[:, None]) % spec.bits
            self._tables[field_name] = np.concatenate([self._tables[field_name], rows.astype(np.int32)])
            for token in new:
                ids[token] = len(ids)
        return [ids[t] for t in tokens]

    def positions(self, field_name: str, tokens: Iterable[str]) -> np.ndarray:
        """The set bit positions of a field's unhardened filter with every token at its full k."""
        ids = self._token_ids_of(field_name, list(tokens))
        return np.unique(self._tables[field_name][ids]) if ids else np.zeros(0, dtype=np.int32)

    def _value_positions(self, spec: FieldSpec, tokens: Sequence[str]) -> np.ndarray:
        """The positions one value sets in its unhardened filter (k per token by the field's strategy);
        a position may repeat."""
        if not tokens:
            return np.zeros(0, dtype=np.int32)
        k = spec.hashes
        if spec.feature_bits:
            k = int(min(spec.hashes, max(1, round(spec.feature_bits / len(tokens)))))
        ids = self._token_ids_of(spec.name, tokens)
        return self._tables[spec.name][ids, :k].reshape(-1)

    def _values_positions(self, spec: FieldSpec, token_lists: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """``_value_positions`` of many values at once, in numpy (under a salt nearly every record's value
        is new): the same positions in the same order."""
        self._token_ids_of(spec.name, [t for tokens in token_lists for t in tokens])
        table = self._token_ids[spec.name]
        counts = np.fromiter((len(tokens) for tokens in token_lists), dtype=np.int64, count=len(token_lists))
        ids = np.fromiter((table[t] for tokens in token_lists for t in tokens), dtype=np.int64, count=int(counts.sum()))
        k = np.full(counts.shape, spec.hashes, dtype=np.int64)
        if spec.feature_bits:  # round half to even, as Python's round
            share = np.rint(spec.feature_bits / np.maximum(counts, 1)).astype(np.int64)
            k = np.minimum(spec.hashes, np.maximum(1, share))
        rows = self._tables[spec.name][ids]
        kept = np.arange(spec.hashes)[None, :] < np.repeat(k, counts)[:, None]
        return np.split(rows[kept], np.cumsum(counts * k)[:-1])

    def _filters(self, spec: FieldSpec, positions: Sequence[np.ndarray]) -> tuple[U8Array, BoolArray]:
        """Packed hardened filters of one field from each record's set positions."""
        count = len(positions)
        lengths = np.fromiter((len(p) for p in positions), dtype=np.int64, count=count)
        present = lengths > 0
        rows = np.repeat(np.arange(count), lengths)
        columns = np.concatenate(positions) if count else np.zeros(0, dtype=np.int32)
        if self.config.balanced:
            # The balanced filter is the filter and its complement, permuted: start from "every bit unset"
            # (ones in the complement half) and move each set bit's one from the complement half.
            inverse = self._inverse_permutations[spec.name]
            bits = np.broadcast_to(self._templates[spec.name], (count, 2 * spec.bits)).copy()
            bits[rows, inverse[columns]] = True
            bits[rows, inverse[columns + spec.bits]] = False
        else:
            bits = np.zeros((count, spec.bits), dtype=np.bool_)
            bits[rows, columns] = True
        if self.config.flip_probability and bits.size:
            # Independent flips with probability f: the gaps between flipped bits are geometric.
            flat = bits.reshape(-1)
            expected = flat.size * self.config.flip_probability
            gaps = self._random.geometric(self.config.flip_probability, size=int(expected + 6 * expected**0.5 + 16))
            where = np.cumsum(gaps) - 1
            while where[-1] < flat.size:
                more = self._random.geometric(self.config.flip_probability, size=len(gaps))
                where = np.concatenate([where, where[-1] + np.cumsum(more)])
            where = where[where < flat.size]
            flat[where] ^= True
        packed = np.packbits(bits, axis=1)
        packed[~present] = 0
        return packed, present

    def encode_many(self, identities: Sequence[Identity]) -> EncodedBatch:
        """The filters of every field for a batch of identities, computed over whole arrays.

        Each distinct value of a field (a name in a birth year, a birth date) is tokenised and hashed
        once; the bits of a chunk of records are set, balanced, flipped and packed in numpy.
        """
        parts: dict[str, list[tuple[U8Array, BoolArray]]] = {s.name: [] for s in self.config.fields}
        for start in range(0, len(identities), CHUNK_RECORDS):
            chunk = identities[start : start + CHUNK_RECORDS]
            record_salts = [salts(identity, self.config) for identity in chunk]
            for spec in self.config.fields:
                cache = self._value_cache[spec.name]
                if len(cache) > VALUE_CACHE_SIZE:
                    cache.clear()
                salted_field = spec.name in SALTED_FIELDS[self.config.salt]
                values = [field_value(identity, spec.name) for identity in chunk]
                keys: list[Hashable] = list(zip(values, record_salts, strict=True)) if salted_field else values
                missing = {k: v for k, v in zip(keys, values, strict=True) if k not in cache}
                if missing:
                    # Tokenise each new value once, hash the chunk's new tokens in one go, then look the
                    # values' positions up (under a salt nearly every record's value is new).
                    token_lists = [
                        salted(sorted(field_tokens(spec.name, value)), key[1])  # type: ignore[index]
                        if salted_field
                        else sorted(field_tokens(spec.name, value))
                        for key, value in missing.items()
                    ]
                    cache.update(zip(missing, self._values_positions(spec, token_lists), strict=True))
                parts[spec.name].append(self._filters(spec, [cache[key] for key in keys]))
        fields = {}
        for spec in self.config.fields:
            width = self.config.encoded_bytes(spec)
            chunks = parts[spec.name]
            packed = np.concatenate([p for p, _ in chunks]) if chunks else np.zeros((0, width), np.uint8)
            present = np.concatenate([k for _, k in chunks]) if chunks else np.zeros(0, np.bool_)
            fields[spec.name] = EncodedField(packed, present)
        return EncodedBatch(fields, len(identities))

    def encode_field(self, field_name: str, tokens: Iterable[str]) -> bytes | None:
        """One field's hardened filter from its (already salted) tokens; ``None`` when there is none."""
        spec = self.config.spec(field_name)
        packed, present = self._filters(spec, [self._value_positions(spec, sorted(tokens))])
        return packed[0].tobytes() if present[0] else None

    def encode(self, identity: Identity) -> dict[str, bytes | None]:
        """Every field's filter for one identity."""
        return self.encode_many([identity]).record(0)


def dice(left: bytes, right: bytes) -> float:
    """Sørensen-Dice similarity of two packed filters: 2|A and B| / (|A| + |B|)."""
    if len(left) != len(right):
        raise ValidationError("the two encodings have different lengths")
    a = np.unpackbits(np.frombuffer(left, dtype=np.uint8))
    b = np.unpackbits(np.frombuffer(right, dtype=np.uint8))
    total = int(a.sum()) + int(b.sum())
    return 2.0 * int((a & b).sum()) / total if total else 0.0


def check_encodings(encodings: Mapping[str, object], config: EncodingConfig, where: str) -> dict[str, bytes | None]:
    """The encodings of one case, checked against the config: every field present with the right length."""
    checked: dict[str, bytes | None] = {}
    for spec in config.fields:
        value = encodings.get(spec.name)
        if value is not None and (not isinstance(value, bytes) or len(value) != config.encoded_bytes(spec)):
            raise ValidationError("an encoding has the wrong length for its field", field=spec.name, case=where)
        checked[spec.name] = value
    unknown = set(encodings) - set(checked)
    if unknown:
        raise ValidationError("the case carries encodings of unknown fields", field=sorted(unknown)[0], case=where)
    return checked
