"""Blocking: which pairs are worth scoring. Keeps nearly all true pairs while skipping almost all others.

**Privacy mode** uses locality-sensitive hashing for Hamming distance (bit sampling, Indyk & Motwani 1998;
the "Hamming LSH" blocking of Karapiperis & Verykios 2015 for Bloom filters): for each of ``bands``
bands, a fixed sample of ``rows`` bit positions of a field's encoding forms a key, and records sharing any
key are candidates. Two encodings that agree on a fraction s of bits share a band with probability
``1 - (1 - s**rows)**bands``: with 30 bands of 20 bits a pair of equal values (s about 0.95 after the
bit flips) is kept with probability 0.999998, a pair with a typo (s = 0.90) with 0.98, and an unrelated pair
(s = 0.60-0.65) with 0.001-0.005. Keys are drawn from the names, the name skeletons, the birth date, the
given and family names and the address parts where a record has them, so a pair is kept if any one of
them is close; the names filter also has 60 shorter bands of 16 bits (``LshConfig.wide_bands``), which keep
a pair whose all-names filters agree on 85 % of their bits with probability 0.99 (0.70 with the 20-bit
bands) and an unrelated one (s = 0.60) with 0.017. The positions are public (a fixed seed): they select
bits, they do not protect anything.

**At scale** (``candidate_pairs``, used by ``batch.link_encoded``) the same bit sampling runs over packed
numpy arrays and yields the candidate pairs themselves, never a string key: each ``BlockingRule`` draws
``bands`` keys per record from sampled bits of one or more fields (a conjunction, e.g. given and family
name, or all name parts and the birth date, so that a common given name alone does not make a candidate),
records are sorted by key, and every pair within a key's run is emitted as ``left * n + right``. The pair
codes of all bands are deduplicated by sorting them.

**Caps.** A key held by more than ``max_block`` records (per rule, else the ``Blocking``'s) is dropped: it
carries no identity, only a common name, and the pairs inside a block grow with its square, so one
common name would cost more than all other keys together (at 1,000,000 ``ctdx sample`` records the
names-only rule emitted hundreds of millions of pairs before this cap was set per rule). What a cap drops
is never silent: ``Candidates`` counts the keys dropped, the record slots in them and the pairs they held
(some of those pairs are still found through another key), beside the pairs emitted and kept, and
``bench/linkage/run_scale.py`` prints it with the pair completeness.

**Plaintext mode** blocks on exact normalised name tokens, name skeletons and birth dates (with the
day-month pair unordered), which is what the privacy-mode keys approximate. String keys of either mode are
capped the same way by ``cap_keys`` (``linking.link``), and what it drops is in the run's summary.

Our own code because the bit-sampling is a few lines of numpy; blocklib (the anonlink family) pins
numpy < 2 and Python < 3.12 (benchmarks.md B2).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ctdx.errors import ValidationError
from ctdx.linkage.normalise import Identity

IntArray = npt.NDArray[np.int64]

# Given and family name on their own keep the pairs where one of the two was rewritten (FEBRL3: pair
# completeness 0.968 -> 0.989); the address fields, where a record has them, the pairs with rewritten
# names (FEBRL3 P-full 0.999). Absent fields give no key.
LSH_FIELDS = ("names", "skeleton", "birth", "given", "family", "postcode", "street")
# Records sharing one string key at most (``cap_keys``): FEBRL's commonest names stay well below it.
DEFAULT_MAX_BLOCK = 200


@dataclass(frozen=True)
class LshConfig:
    """Bands of sampled bit positions per field, plus ``wide_bands`` shorter bands (``wide_rows`` bits) of
    the ``wide_fields``.

    The shorter bands of the names filter keep the pairs whose name parts changed more than one band of
    ``rows`` bits lets through. Under the birth-date salt (the default) a record without a full birth date
    has no given or family filter, so the name-part keys that keep such pairs in an unsalted hub are gone;
    on the 2,055-record twins cohort of ``tests/linkage/test_scoring_twins.py`` these bands bring the pair
    completeness from 0.72-0.75 back to 0.80 at about the unsalted hub's number of candidates (unsalted:
    0.85), and the expected count's error from +8.5 % to +8.9 % back to +3.7 % to +6.9 % (unsalted +4.4 %
    to +5.6 %; bench/linkage/README.md)."""

    bands: int = 30
    rows: int = 20
    seed: int = 20261129
    fields: tuple[str, ...] = LSH_FIELDS
    wide_bands: int = 60
    wide_rows: int = 16
    wide_fields: tuple[str, ...] = ("names",)


DEFAULT_LSH_CONFIG = LshConfig()


def encoding_blocking_keys(
    encodings: Sequence[Mapping[str, bytes | None]], config: LshConfig = DEFAULT_LSH_CONFIG
) -> list[list[str]]:
    """The blocking keys of each record, from its encodings (one list per record, same order)."""
    keys: list[list[str]] = [[] for _ in encodings]
    random = np.random.default_rng(config.seed)
    passes = [(name, "", config.bands, config.rows) for name in config.fields]
    passes += [(name, "w", config.wide_bands, config.wide_rows) for name in config.wide_fields]
    for field_name, kind, bands, length in passes:
        rows = [i for i, e in enumerate(encodings) if e.get(field_name) is not None]
        if not rows:
            continue
        packed = np.stack([np.frombuffer(encodings[i][field_name] or b"", dtype=np.uint8) for i in rows])
        bits = np.unpackbits(packed, axis=1)
        width = bits.shape[1]
        for band in range(bands):
            positions = random.choice(width, size=min(length, width), replace=False)
            band_keys = np.packbits(bits[:, positions], axis=1)
            for row, key in zip(rows, band_keys, strict=True):
                keys[row].append(f"{field_name}{kind}{band}:{key.tobytes().hex()}")
    return keys


@dataclass(frozen=True)
class CappedKeys:
    """String keys after the cap: the key lists (same order as given) and what the cap dropped."""

    keys: list[list[str]]
    max_block: int
    dropped_keys: int
    dropped_pairs: int

    def summary(self) -> dict[str, int]:
        return {"max_block": self.max_block, "dropped_keys": self.dropped_keys, "dropped_pairs": self.dropped_pairs}


def cap_keys(keys: Sequence[Sequence[str]], max_block: int = DEFAULT_MAX_BLOCK) -> CappedKeys:
    """Drop every key that more than ``max_block`` records hold, counting the keys and the record pairs
    they held (an upper bound of the candidate pairs lost: another key may still hold a pair)."""
    if max_block < 2:
        raise ValidationError("a block must be allowed at least two records", field="max_block")
    holders = Counter(key for record in keys for key in set(record))
    over = {key: count for key, count in holders.items() if count > max_block}
    capped = [[key for key in record if key not in over] for record in keys] if over else [list(k) for k in keys]
    pairs = sum(count * (count - 1) // 2 for count in over.values())
    return CappedKeys(capped, max_block, len(over), pairs)


def token_blocking_keys(identity: Identity) -> list[str]:
    """Plaintext blocking keys of one identity: name tokens, skeletons and birth-date forms."""
    keys = {f"n:{t}" for t in identity.name.tokens}
    keys.update(f"s:{s}" for s in identity.name.skeletons)
    birth = identity.birth
    if birth.year is not None and not birth.year_error and birth.month is not None and birth.day is not None:
        low, high = sorted((birth.month, birth.day))
        keys.add(f"b:{birth.year}-{low}-{high}")
    return sorted(keys)


# The keys of the rule λ is estimated with (``scoring.train_linker``): in privacy mode, band k of the names
# and of the birth encodings for each k below this; two records meet the rule when both keys of one band
# agree. One band let through a fifth of the true pairs (two bands of 20 bits, 2 % flips), so a hub of
# 1,500 records estimated λ from 2 to 7 pairs and, in one run of twelve, from none, and then kept the
# default model; five let through two thirds (``scoring.training_recall``). Plaintext mode has one pair of
# exact keys.
TRAINING_BANDS = 5


def training_key_columns(bands: int = TRAINING_BANDS) -> tuple[str, ...]:
    """The columns of the training keys, ``train_names{k}`` and ``train_birth{k}`` per band ``k``."""
    return tuple(f"train_{field}{k}" for k in range(bands) for field in ("names", "birth"))


_TRAINING_PREFIXES = {f"{field}{k}": f"train_{field}{k}" for k in range(TRAINING_BANDS) for field in ("names", "birth")}


def training_keys(keys: Sequence[str]) -> dict[str, str | None]:
    """A record's training keys by column (``training_key_columns``; Splink cannot explode key lists in
    these rules): band k of the names and birth encodings, or in plaintext mode one name token and the
    birth date in band 0's columns."""
    found: dict[str, str | None] = dict.fromkeys(training_key_columns())
    for key in keys:  # one pass: a record has some 160 keys
        column = _TRAINING_PREFIXES.get(key.partition(":")[0])
        if column is not None and found[column] is None:
            found[column] = key
    found["train_names0"] = found["train_names0"] or min((key for key in keys if key.startswith("n:")), default=None)
    found["train_birth0"] = found["train_birth0"] or next((key for key in keys if key.startswith("b:")), None)
    return found


# --- Candidate pairs from packed encodings, vectorised (scale path) -------------------------------------


@dataclass(frozen=True)
class BlockingRule:
    """Band keys made of ``rows`` sampled bits of each of ``fields`` (bits per field, same order); a record
    missing one of the fields gets no key from this rule. ``max_block``, when set, caps this rule's keys
    instead of the ``Blocking``'s cap."""

    fields: tuple[str, ...]
    rows: tuple[int, ...]
    bands: int
    max_block: int | None = None


@dataclass(frozen=True)
class Blocking:
    """Rules whose candidate pairs are united; ``max_block`` bounds one key's records (larger keys are
    dropped and counted: a key shared by thousands of records carries no identity)."""

    rules: tuple[BlockingRule, ...]
    max_block: int = 200
    seed: int = 20261130
    name: str = "custom"  # what a run's summary calls it


# The names-only rule is capped lowest: its blocks are the people sharing a full name, whose pairs grow
# with the square of the cohort (LD5 100k: the cap of 20 drops 1,751 keys and 0.3 % of pair completeness).
# The skeletons keep transliterations (محمد علي / Mohammed Ali share no bigram, only consonant frames).
DEFAULT_BLOCKING = Blocking(
    rules=(
        BlockingRule(("names",), (26,), 40, max_block=20),
        BlockingRule(("given", "family"), (14, 14), 30, max_block=50),
        BlockingRule(("names", "birth"), (12, 12), 30),
        BlockingRule(("skeleton",), (26,), 20, max_block=20),
    ),
    max_block=100,
    name="scale",
)
# The hub's string keys (``DEFAULT_LSH_CONFIG``: a single-field rule per band of each field, and the shorter
# names bands) as array rules, capped at 50 records per key. On LD5 100k it keeps 0.82 of the true pairs at
# 326 candidates per record, where ``DEFAULT_BLOCKING`` keeps 0.60 at 13 (cap 200: 0.84 at 513). End to end
# there: expected count +12.8 % against +19.5 %, for 415 CPU-s and 2.1 GB against 118 CPU-s and 1.5 GB, and
# precision at 0.9 0.981 against 0.997 (more namesakes become candidates). Its candidates grow with the
# cohort, so a hub takes it only up to ``LSH_BLOCKING_UP_TO`` records (``blocking_for``).
LSH_BLOCKING = Blocking(
    rules=(
        *(BlockingRule((f,), (DEFAULT_LSH_CONFIG.rows,), DEFAULT_LSH_CONFIG.bands) for f in DEFAULT_LSH_CONFIG.fields),
        *(
            BlockingRule((f,), (DEFAULT_LSH_CONFIG.wide_rows,), DEFAULT_LSH_CONFIG.wide_bands)
            for f in DEFAULT_LSH_CONFIG.wide_fields
        ),
    ),
    max_block=50,
    name="hub keys",
)
# At 200,000 LD5 records the hub keys keep 0.81 of the true pairs at 424 candidates per record (the scale rules
# 0.59 at 21): expected count +18.4 % against +21.2 %, for 486 CPU-s, 6.4 minutes and 5.8 GB against 245 CPU-s,
# 2.3 minutes and 4.6 GB (bench/linkage/README.md, "u from the filters' bits"). Three points of count for twice
# the CPU, within the 8 GiB and 10 minutes of benchmarks.md; before the scorer read similarities from numpy it
# was 3.6 times (1,140 CPU-s, 17 minutes), and the switch stayed at 100,000. Not measured beyond 200,000.
LSH_BLOCKING_UP_TO = 200_000


def blocking_for(records: int) -> Blocking:
    """The array path's blocking for a hub of ``records`` cases: the hub keys' rules (``LSH_BLOCKING``) up to
    ``LSH_BLOCKING_UP_TO``, the scale rules (``DEFAULT_BLOCKING``) beyond."""
    return LSH_BLOCKING if records <= LSH_BLOCKING_UP_TO else DEFAULT_BLOCKING


@dataclass(frozen=True)
class Candidates:
    """Distinct candidate pairs (``left < right``, record indexes) and what the caps dropped.

    ``emitted`` counts the pairs of every band before deduplication; ``dropped_keys`` the band keys over
    their cap, ``dropped_records`` the records in them (once per band) and ``dropped_pairs`` the pairs they
    held, some of which another key still proposes.
    """

    left: IntArray
    right: IntArray
    emitted: int
    dropped_keys: int
    dropped_records: int
    dropped_pairs: int

    def summary(self) -> dict[str, int]:
        return {
            "candidate_pairs": int(self.left.size),
            "emitted_pairs": self.emitted,
            "dropped_keys": self.dropped_keys,
            "dropped_records": self.dropped_records,
            "dropped_pairs": self.dropped_pairs,
        }


def candidate_pairs(
    packed: Mapping[str, npt.NDArray[np.uint8]],
    present: Mapping[str, npt.NDArray[np.bool_]],
    blocking: Blocking = DEFAULT_BLOCKING,
) -> Candidates:
    """Distinct record pairs that share a band key of any rule, and what the caps dropped."""
    random = np.random.default_rng(blocking.seed)
    n = next(iter(packed.values())).shape[0]
    codes: list[IntArray] = []
    pending = kept = emitted = 0
    dropped = np.zeros(3, dtype=np.int64)
    for rule_number, rule in enumerate(blocking.rules):
        cap = blocking.max_block if rule.max_block is None else rule.max_block
        if cap < 2:
            raise ValidationError("a block must be allowed at least two records", field="max_block")
        if any(f not in packed for f in rule.fields):
            continue
        known = np.logical_and.reduce([present[f] for f in rule.fields])
        rows = np.flatnonzero(known)
        if rows.size < 2:
            continue
        columns = {f: packed[f][rows] for f in rule.fields}
        for band in range(rule.bands):
            key = np.full(rows.size, rule_number * 1_000_003 + band, dtype=np.uint64)
            for f, count in zip(rule.fields, rule.rows, strict=True):
                positions = random.choice(columns[f].shape[1] * 8, size=count, replace=False)
                key = _mix(key, _pack(_bits(columns[f], positions)))
            band_codes, band_dropped = _pairs_sharing(key, rows, n, cap)
            dropped += band_dropped
            codes.append(band_codes)
            pending += band_codes.size
            emitted += band_codes.size
            # Deduplicate once the new codes outnumber the distinct ones kept so far (and 20 M): amortised,
            # a large candidate set is not re-sorted after every band.
            if pending > max(20_000_000, kept):
                codes = [_distinct(np.concatenate(codes))]
                kept, pending = codes[0].size, 0
    unique = _distinct(np.concatenate(codes)) if codes else np.zeros(0, dtype=np.int64)
    return Candidates(unique // n, unique % n, emitted, int(dropped[0]), int(dropped[1]), int(dropped[2]))


def _distinct(codes: IntArray) -> IntArray:
    """The distinct codes, sorted. Not ``np.unique``: numpy 2.4 deduplicates int64 through a hash table,
    80 times slower here than a sort (12 s against 0.15 s for 6 M codes), which is what kept 1,000,000
    records from finishing the blocking."""
    codes = np.sort(codes)
    distinct: IntArray = codes[np.r_[True, codes[1:] != codes[:-1]]]
    return distinct


def _bits(packed: npt.NDArray[np.uint8], positions: IntArray) -> npt.NDArray[np.uint8]:
    """The bits at ``positions`` (numbered as ``np.unpackbits`` does) of each packed row, without unpacking
    the whole row."""
    shifts = (7 - positions % 8).astype(np.uint8)
    chosen: npt.NDArray[np.uint8] = (packed[:, positions // 8] >> shifts) & np.uint8(1)
    return chosen


def _pack(bits: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """Up to 64 bits per row as one integer."""
    weights = np.left_shift(np.uint64(1), np.arange(bits.shape[1], dtype=np.uint64))
    packed: npt.NDArray[np.uint64] = (bits.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    return packed


def _mix(key: npt.NDArray[np.uint64], value: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """A 64-bit mix of two keys (splitmix64's finaliser on their xor-sum; not a secret, only a spread)."""
    with np.errstate(over="ignore"):
        z = key * np.uint64(0x9E3779B97F4A7C15) ^ value
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _pairs_sharing(key: npt.NDArray[np.uint64], rows: IntArray, n: int, max_block: int) -> tuple[IntArray, IntArray]:
    """Codes ``left * n + right`` (left < right) of the rows sharing a key, keys of more than
    ``max_block`` rows left out; and the keys, records and pairs left out."""
    order = np.argsort(key, kind="stable")
    sorted_key, sorted_rows = key[order], rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    sizes = np.diff(np.r_[starts, sorted_key.size])
    over = sizes[sizes > max_block]
    dropped = np.array([over.size, over.sum(), (over * (over - 1) // 2).sum()], dtype=np.int64)
    keep = (sizes > 1) & (sizes <= max_block)
    if not keep.any():
        return np.zeros(0, dtype=np.int64), dropped
    starts, sizes = starts[keep], sizes[keep]
    # Element at rank r of a group of size s pairs with the s - 1 - r elements after it.
    member = np.repeat(starts, sizes) + _ranks(sizes)
    rank = _ranks(sizes)
    after = np.repeat(sizes, sizes) - 1 - rank
    first = np.repeat(member, after)
    second = first + 1 + _ranks(after)
    a, b = sorted_rows[first], sorted_rows[second]
    codes: IntArray = np.minimum(a, b) * n + np.maximum(a, b)
    return codes, dropped


def _ranks(sizes: IntArray) -> IntArray:
    """0, 1, ..., s-1 for each size s, concatenated."""
    total = int(sizes.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(sizes)
    return np.arange(total, dtype=np.int64) - np.repeat(ends - sizes, sizes)
