"""Keyed, hardened Bloom-filter encodings of a person's identifying parts: what leaves the organisation.

Each field (given name, family name, all name tokens, name skeletons, birth date, sex, citizenship) becomes
its own Bloom filter (Schnell, Bachteler & Reiher 2009) so the hub can score fields separately with
Fellegi-Sunter weights. The filter is built from tokens (padded bigrams of names; date parts and
day-month pairs of birth dates) under a **secret the contributing organisations share and the hub does
not have**:

- **Keys**: one key per field, derived from the shared secret with HKDF-SHA256 (``cryptography``).
- **Positions**: HMAC-SHA256 of the token under the field key gives two 64-bit values h1, h2; the k bit
  positions are ``h1 + i*h2 mod m`` (double hashing, Kirsch & Mitzenmacher 2006; the scheme of clkhash's
  ``doubleHash``). No hash function of our own.
- **Hardening** against the published attacks (benchmarks.md B5):

  1. *Balancing* (Schnell & Borgs 2016): the filter is followed by its complement and the 2m bits are
     permuted with a per-field secret permutation, so every encoding has the same weight m: no length or
     Hamming-weight signal, and no bit whose frequency betrays a common bigram (defeats the bit-pattern
     mining of Christen et al. 2018 in their evaluation).
  2. *Randomised response* (BLIP, Alaggan et al. 2012): each bit is flipped with probability f from a
     cryptographic random source, so two encodings of the same value are never identical and counting
     equal encodings (the frequency attack of Kuzu et al. 2011) finds nothing.
  3. *Per-field keys* from one secret: a filter of one field says nothing about another field's filters.

  Salting with year of birth is not used: case files often hold only an estimated age, and a salt
  error makes a true match impossible (Chen et al. 2022). Similarity scores never leave the hub.

Dice similarity on balanced filters equals ``1 - hamming / (2m)``; ``dice`` computes it here for the
plaintext side and tests, and the hub computes the same in DuckDB.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ctdx.errors import ValidationError
from ctdx.linkage.normalise import Identity

ENCODING_FORMAT = "ctdx-bloom/1"
YEAR_WEIGHT = 3
SECRET_BYTES = 32


@dataclass(frozen=True)
class FieldSpec:
    """One encoded field: its filter length ``bits`` (before balancing) and bit positions per token."""

    name: str
    bits: int
    hashes: int


# Lengths and k follow clkhash's advice to set about half the bits of the unbalanced filter at most
# (clkhash docs, "On the length of a CLK"): names carry 5-15 bigrams, birth dates about 8 tokens.
ENCODED_FIELDS = (
    FieldSpec("given", 512, 20),
    FieldSpec("family", 512, 20),
    FieldSpec("names", 512, 12),
    FieldSpec("skeleton", 256, 12),
    FieldSpec("birth", 512, 12),
    FieldSpec("sex", 64, 8),
    FieldSpec("citizenship", 64, 8),
)
FIELD_NAMES = tuple(spec.name for spec in ENCODED_FIELDS)


@dataclass(frozen=True)
class EncodingConfig:
    """How encodings are built. Every organisation contributing to one hub must use the same config."""

    fields: tuple[FieldSpec, ...] = ENCODED_FIELDS
    balanced: bool = True
    flip_probability: float = 0.02

    def __post_init__(self) -> None:
        if not 0.0 <= self.flip_probability < 0.5:
            raise ValidationError("flip_probability must be in [0, 0.5)", field="flip_probability")
        for spec in self.fields:
            if spec.bits % 8 or spec.bits <= 0 or spec.hashes <= 0:
                raise ValidationError("a field needs a positive multiple of 8 bits and hashes", field=spec.name)

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
            "fields": [{"name": s.name, "bits": s.bits, "hashes": s.hashes} for s in self.fields],
        }


DEFAULT_ENCODING_CONFIG = EncodingConfig()
# Plaintext deduplication inside one organisation: same filters, no noise (nothing leaves the building).
PLAINTEXT_ENCODING_CONFIG = EncodingConfig(balanced=False, flip_probability=0.0)


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


def identity_tokens(identity: Identity) -> dict[str, frozenset[str]]:
    """The token set of each encoded field; an unknown field has an empty set (and gets no filter)."""
    name = identity.name
    birth = identity.birth
    birth_tokens: set[str] = set()
    if birth.year is not None:
        # Each allowed year and its neighbours: adjacent or estimated years share most tokens.
        # Three copies weigh the years as much as the day and month parts, so an estimated age still
        # agrees with an exact date in its range.
        for year in birth.years:
            birth_tokens.update(f"yw{copy}:{y}" for y in (year - 1, year, year + 1) for copy in range(YEAR_WEIGHT))
        if not birth.year_error:
            birth_tokens.add(f"y:{birth.year}")
            if birth.month is not None:
                birth_tokens.add(f"m:{birth.month}")
                birth_tokens.add(f"ym:{birth.year}-{birth.month}")
            if birth.month is not None and birth.day is not None:
                low, high = sorted((birth.month, birth.day))
                birth_tokens.add(f"d:{birth.day}")
                birth_tokens.add(f"md:{low}-{high}")  # unordered: matches a day-month swap
                birth_tokens.add(f"ymd:{birth.year}-{birth.month}-{birth.day}")
    return {
        "given": frozenset(g for t in name.given for g in bigrams(t)),
        "family": frozenset(g for t in name.family for g in bigrams(t)),
        "names": frozenset(g for t in name.tokens for g in bigrams(t)),
        "skeleton": frozenset(g for t in name.skeletons for g in bigrams(t)),
        "birth": frozenset(birth_tokens),
        "sex": frozenset({identity.sex} if identity.sex else ()),
        "citizenship": frozenset(identity.citizenship),
    }


@dataclass
class Encoder:
    """Encodes identities under one secret and config. Not thread-safe (it holds a random source)."""

    secret: LinkageSecret
    config: EncodingConfig = DEFAULT_ENCODING_CONFIG
    _keys: dict[str, bytes] = field(init=False, repr=False)
    _permutations: dict[str, np.ndarray] = field(init=False, repr=False)
    _random: np.random.Generator = field(init=False, repr=False)
    _token_positions: dict[str, dict[str, np.ndarray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._keys = {s.name: self.secret.derive(f"hash/{s.name}") for s in self.config.fields}
        self._permutations = {}
        self._token_positions = {}
        for spec in self.config.fields:
            seed = int.from_bytes(self.secret.derive(f"permutation/{spec.name}", 16), "big")
            self._permutations[spec.name] = np.random.Generator(np.random.PCG64(seed)).permutation(2 * spec.bits)
        # Bit flips must not be reproducible by anyone, including us: seeded from the OS source.
        self._random = np.random.Generator(np.random.PCG64(secrets.randbits(128)))

    def positions(self, field_name: str, tokens: Iterable[str]) -> np.ndarray:
        """The set bit positions of a field's unhardened filter."""
        cache = self._token_positions.setdefault(field_name, {})
        found = []
        for token in tokens:
            known = cache.get(token)
            if known is None:
                known = cache[token] = self._token_bits(field_name, token)
            found.append(known)
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int64)

    def _token_bits(self, field_name: str, token: str) -> np.ndarray:
        spec = self.config.spec(field_name)
        digest = hmac.new(self._keys[field_name], token.encode("utf-8"), hashlib.sha256).digest()
        # (h1 + i*h2) mod m computed as ((h1 mod m) + i*(h2 mod m)) mod m: the same numbers, in int64.
        h1 = int.from_bytes(digest[:8], "big") % spec.bits
        h2 = (int.from_bytes(digest[8:16], "big") | 1) % spec.bits
        return (h1 + np.arange(spec.hashes, dtype=np.int64) * h2) % spec.bits

    def encode_field(self, field_name: str, tokens: Iterable[str]) -> bytes | None:
        """One field's hardened filter as packed bytes; ``None`` when there is no token (unknown field)."""
        token_list = list(tokens)
        if not token_list:
            return None
        spec = self.config.spec(field_name)
        bits = np.zeros(spec.bits, dtype=np.uint8)
        bits[self.positions(field_name, token_list)] = 1
        if self.config.balanced:
            bits = np.concatenate([bits, 1 - bits])[self._permutations[field_name]]
        if self.config.flip_probability:
            flips = self._random.random(bits.size) < self.config.flip_probability
            bits = bits ^ flips.astype(np.uint8)
        return np.packbits(bits).tobytes()

    def encode(self, identity: Identity) -> dict[str, bytes | None]:
        """Every field's filter for one identity."""
        tokens = identity_tokens(identity)
        return {spec.name: self.encode_field(spec.name, tokens[spec.name]) for spec in self.config.fields}


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
