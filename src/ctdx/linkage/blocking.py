"""Blocking: which pairs are worth scoring. Keeps nearly all true pairs while skipping almost all others.

**Privacy mode** uses locality-sensitive hashing for Hamming distance (bit sampling, Indyk & Motwani 1998;
the "Hamming LSH" blocking of Karapiperis & Verykios 2015 for Bloom filters): for each of ``bands``
bands, a fixed sample of ``rows`` bit positions of a field's encoding forms a key, and records sharing any
key are candidates. Two encodings that agree on a fraction s of bits share a band with probability
``1 - (1 - s**rows)**bands``: with the defaults (20 bands of 18 bits) a pair of equal values (s about
0.95 after the bit flips) is kept with probability 0.99996, a pair with a typo (s = 0.90) with 0.96, and
an unrelated pair (s = 0.60-0.65) with 0.002-0.009. Keys are drawn from
the names, the name skeletons and the birth date, so a pair is kept if any one of them is close. The
positions are public (a fixed seed): they select bits, they do not protect anything.

**Plaintext mode** blocks on exact normalised name tokens, name skeletons and birth dates (with the
day-month pair unordered), which is what the privacy-mode keys approximate.

Our own code because the bit-sampling is a few lines of numpy; blocklib (the anonlink family) pins
numpy < 2 and Python < 3.12 (benchmarks.md B2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ctdx.linkage.normalise import Identity

LSH_FIELDS = ("names", "skeleton", "birth")


@dataclass(frozen=True)
class LshConfig:
    """Bands of sampled bit positions per field."""

    bands: int = 20
    rows: int = 18
    seed: int = 20261129
    fields: tuple[str, ...] = LSH_FIELDS


DEFAULT_LSH_CONFIG = LshConfig()


def encoding_blocking_keys(
    encodings: Sequence[Mapping[str, bytes | None]], config: LshConfig = DEFAULT_LSH_CONFIG
) -> list[list[str]]:
    """The blocking keys of each record, from its encodings (one list per record, same order)."""
    keys: list[list[str]] = [[] for _ in encodings]
    random = np.random.default_rng(config.seed)
    for field_name in config.fields:
        rows = [i for i, e in enumerate(encodings) if e.get(field_name) is not None]
        if not rows:
            continue
        packed = np.stack([np.frombuffer(encodings[i][field_name] or b"", dtype=np.uint8) for i in rows])
        bits = np.unpackbits(packed, axis=1)
        width = bits.shape[1]
        for band in range(config.bands):
            positions = random.choice(width, size=min(config.rows, width), replace=False)
            band_keys = np.packbits(bits[:, positions], axis=1)
            for row, key in zip(rows, band_keys, strict=True):
                keys[row].append(f"{field_name}{band}:{key.tobytes().hex()}")
    return keys


def token_blocking_keys(identity: Identity) -> list[str]:
    """Plaintext blocking keys of one identity: name tokens, skeletons and birth-date forms."""
    keys = {f"n:{t}" for t in identity.name.tokens}
    keys.update(f"s:{s}" for s in identity.name.skeletons)
    birth = identity.birth
    if birth.year is not None and not birth.year_error and birth.month is not None and birth.day is not None:
        low, high = sorted((birth.month, birth.day))
        keys.add(f"b:{birth.year}-{low}-{high}")
    return sorted(keys)


def training_keys(keys: Sequence[str]) -> tuple[str | None, str | None]:
    """One name key and one birth-date key of a record, for EM training rules (Splink's EM cannot use the
    exploded key lists): the first band of the names and birth encodings, or the plaintext equivalents."""
    name = next((k for k in keys if k.startswith("names0:")), None) or min(
        (k for k in keys if k.startswith("n:")), default=None
    )
    birth = next((k for k in keys if k.startswith(("birth0:", "b:"))), None)
    return name, birth
