"""Attack check: how many people the published attacks on Bloom-filter encodings re-identify (B5).

The hub holds no plaintext, so it cannot score an attack on its real encodings. The check does what an
attacker would do with a public name list, on a population it can score:

1. draw ``records`` people from the public list (a name and its frequency per line), the attacker's own
   knowledge of the population, each with a birth year from a public age distribution (``years``);
2. encode them with the hub's encoding configuration under a fresh random secret, as the organisations
   would (the attacker does not have the secret);
3. run two attacks that use only the encodings, the configuration (Kerckhoffs: it is public) and the list:

   - **frequency attack** (Kuzu et al. 2011; Christen et al. 2017): group encodings of one field whose
     Hamming distance is within the noise the configuration adds, rank groups by size and names by
     frequency, and align the ranks; against encodings salted with the birth year the attacker ranks
     (name, year) cells by the product of the two public frequencies instead, its best guess when it
     knows the salting scheme but not the secret;
   - **pattern-mining attack** (Christen, Vidanage, Ranbaduge & Schnell 2018, simplified): for each
     frequent bigram in rank order, find the set of k bit positions that co-occur most often (a greedy
     frequent-itemset search), decode each encoding into the bigrams whose positions are all set, and
     match it to the public name with the most similar bigram set;

4. report the fraction of people whose name each attack recovers, beside the same attacks on unhardened
   encodings for reference. On the hub's stored encodings it also reports what needs no plaintext: the
   share of records in the largest groups of near-identical encodings (what a frequency attack feeds on).

Our own code: the attack implementations of the papers are research artefacts, not maintained packages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ctdx.errors import ValidationError
from ctdx.linkage.encoding import (
    DEFAULT_ENCODING_CONFIG,
    PLAINTEXT_ENCODING_CONFIG,
    Encoder,
    EncodingConfig,
    LinkageSecret,
    bigrams,
)
from ctdx.linkage.normalise import BirthDate, Identity, PersonName, latinise

ATTACKED_FIELD = "family"
# The public age distribution the simulated people's birth years come from: victims identified in 2024
# aged 12 to 55, most in their twenties (counts per birth year; a triangular shape peaking at age 24).
PUBLIC_BIRTH_YEARS = {2024 - age: (age - 11 if age <= 24 else max(1, 44 - age)) for age in range(12, 56)}
# A decoded bigram set must be this close to a name to count as a re-identification (our choice).
MIN_DECODED_DICE = 0.6


@dataclass(frozen=True)
class AttackRates:
    """Fractions of the simulated people whose name an attack recovered."""

    frequency: float
    pattern_mining: float


@dataclass(frozen=True)
class AttackReport:
    """The outcome of the check: our configuration, the unhardened reference, and the hub's own exposure."""

    records: int
    names: int
    hardened: AttackRates
    unhardened: AttackRates
    hub_records: int
    hub_largest_group_share: float
    hub_top10_group_share: float
    # What guessing the commonest public name for everyone "re-identifies": an attack at or below this
    # learns nothing from the encodings.
    commonest_name_share: float = 0.0

    def summary(self) -> dict[str, object]:
        return {
            "simulated_records": self.records,
            "public_names": self.names,
            "reidentified_hardened": vars(self.hardened),
            "reidentified_unhardened": vars(self.unhardened),
            "hub_records": self.hub_records,
            "hub_largest_near_identical_group_share": self.hub_largest_group_share,
            "hub_top10_near_identical_groups_share": self.hub_top10_group_share,
            "commonest_name_share": self.commonest_name_share,
        }


def read_name_list(text: str) -> dict[str, int]:
    """A public name list: ``name,count`` per line (a header line ``name,count`` is allowed)."""
    names: Counter[str] = Counter()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.strip().lower() == "name,count":
            continue
        parts = line.rsplit(",", 1)
        if len(parts) != 2 or not parts[1].strip().isdigit():
            raise ValidationError("a name list line must be name,count", row=number)
        name = latinise(parts[0]).replace(" ", "")
        if name:
            names[name] += int(parts[1])
    if len(names) < 2:
        raise ValidationError("the name list needs at least two names")
    return dict(names)


def _bits(encodings: Sequence[bytes]) -> np.ndarray:
    return np.unpackbits(np.stack([np.frombuffer(e, dtype=np.uint8) for e in encodings]), axis=1)


def noise_radius(config: EncodingConfig, width: int) -> int:
    """The Hamming distance within which two encodings of one value fall (mean + 4 s.d. of the flips)."""
    flips = 2 * config.flip_probability * (1 - config.flip_probability) * width
    return math.ceil(flips + 4 * math.sqrt(flips)) if flips else 0


def near_identical_groups(bits: np.ndarray, radius: int) -> list[list[int]]:
    """Leader clustering: each encoding joins the first group whose leader is within ``radius``."""
    packed = np.packbits(bits.astype(np.uint8), axis=1)
    leaders = np.empty_like(packed)
    groups: list[list[int]] = []
    for index, row in enumerate(packed):
        if groups:
            distances = np.bitwise_count(leaders[: len(groups)] ^ row).sum(axis=1, dtype=np.int64)
            nearest = int(np.argmin(distances))
            if distances[nearest] <= radius:
                groups[nearest].append(index)
                continue
        leaders[len(groups)] = row
        groups.append([index])
    return sorted(groups, key=len, reverse=True)


def frequency_attack(
    bits: np.ndarray,
    truth: Sequence[str],
    names: Mapping[str, int],
    config: EncodingConfig,
    years: Mapping[int, int] | None = None,
) -> float:
    """Fraction of records whose name the frequency-rank alignment recovers."""
    groups = near_identical_groups(bits, noise_radius(config, bits.shape[1]))
    if config.salt != "none" and years:
        # Salted: one group per (name, year) cell; rank the cells by their expected size.
        top = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[: len(groups)]
        cells = sorted(((n * y, name) for name, n in top for y in years.values()), key=lambda c: (-c[0], c[1]))
        ranked = [name for _, name in cells[: len(groups)]]
    else:
        ranked = [name for name, _ in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))]
    hits = 0
    for group, guess in zip(groups, ranked, strict=False):
        hits += sum(1 for i in group if truth[i] == guess)
    return hits / len(truth)


def pattern_mining_attack(
    bits: np.ndarray, truth: Sequence[str], names: Mapping[str, int], hashes: int, top_bigrams: int = 40
) -> float:
    """Fraction of records whose name is recovered by mining co-occurring bit positions."""
    bigram_weight: Counter[str] = Counter()
    for name, count in names.items():
        for gram in bigrams(name):
            bigram_weight[gram] += count
    ranked = [g for g, _ in bigram_weight.most_common(top_bigrams)]
    ones = bits.astype(bool)
    matrix = ones.astype(np.float32)
    available = np.ones(bits.shape[1], dtype=bool)
    positions_of: dict[str, list[int]] = {}
    for gram in ranked:
        if available.sum() < hashes:
            break
        # Greedy frequent itemset: start from the most frequent free position, then keep adding the free
        # position that co-occurs most often with all chosen so far.
        frequency = np.where(available, matrix.sum(axis=0), -1.0)
        chosen = [int(np.argmax(frequency))]
        support = matrix[:, chosen[0]].copy()
        while len(chosen) < hashes:
            counts = support @ matrix
            counts[~available] = -1.0
            counts[chosen] = -1.0
            position = int(np.argmax(counts))
            chosen.append(position)
            support *= matrix[:, position]
        available[chosen] = False
        positions_of[gram] = chosen
    name_grams = {name: bigrams(name) for name in names}
    hits = 0
    for row, true_name in zip(ones, truth, strict=True):
        decoded = {g for g, pos in positions_of.items() if row[pos].all()}
        if not decoded:
            continue
        scores = {n: 2 * len(decoded & grams) / (len(decoded) + len(grams)) for n, grams in name_grams.items()}
        guess = max(scores, key=lambda n: (scores[n], names[n]))
        # Only a confident decoding counts: guessing the commonest name for noise is no re-identification.
        hits += scores[guess] >= MIN_DECODED_DICE and guess == true_name
    return hits / len(truth)


def simulate(
    names: Mapping[str, int],
    records: int,
    config: EncodingConfig,
    seed: int = 0,
    years: Mapping[int, int] | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Encodings of the family names of ``records`` people drawn from the name list (and birth years from
    ``years``), under a fresh secret, through the encoder the organisations use (salting included)."""
    random = np.random.default_rng(seed)
    population = sorted(names)
    weights = np.array([names[n] for n in population], dtype=float)
    drawn = [population[i] for i in random.choice(len(population), size=records, p=weights / weights.sum())]
    year_list = sorted(years or PUBLIC_BIRTH_YEARS)
    year_weights = np.array([(years or PUBLIC_BIRTH_YEARS)[y] for y in year_list], dtype=float)
    born = random.choice(year_list, size=records, p=year_weights / year_weights.sum())
    identities = [
        Identity(PersonName((), (name,)), BirthDate(int(year)), None, ())
        for name, year in zip(drawn, born, strict=True)
    ]
    encoded = Encoder(LinkageSecret.generate(), config).encode_many(identities).fields[ATTACKED_FIELD]
    return np.unpackbits(encoded.packed, axis=1), drawn


def attacked_hashes(config: EncodingConfig) -> int:
    """The bit positions per bigram the pattern-mining attack looks for (Kerckhoffs: the config is public;
    with bits per feature, k of a typical 7-bigram family name)."""
    spec = config.spec(ATTACKED_FIELD)
    return min(spec.hashes, max(1, round(spec.feature_bits / 7))) if spec.feature_bits else spec.hashes


def attack_check(
    names: Mapping[str, int],
    hub_encodings: Sequence[bytes],
    *,
    records: int = 2000,
    config: EncodingConfig = DEFAULT_ENCODING_CONFIG,
    seed: int = 0,
    years: Mapping[int, int] | None = None,
) -> AttackReport:
    """Run both attacks on simulated encodings (ours and unhardened) and measure the hub's exposure."""
    rates = {}
    public_years = years or PUBLIC_BIRTH_YEARS
    commonest = 0.0
    for label, used in (("hardened", config), ("unhardened", PLAINTEXT_ENCODING_CONFIG)):
        bits, truth = simulate(names, records, used, seed, public_years)
        commonest = max(Counter(truth).values()) / len(truth)
        rates[label] = AttackRates(
            frequency=frequency_attack(bits, truth, names, used, public_years),
            pattern_mining=pattern_mining_attack(bits, truth, names, attacked_hashes(used)),
        )
    largest = top10 = 0.0
    if hub_encodings:
        hub_bits = _bits(hub_encodings)
        groups = near_identical_groups(hub_bits, noise_radius(config, hub_bits.shape[1]))
        largest = len(groups[0]) / len(hub_encodings)
        top10 = sum(len(g) for g in groups[:10]) / len(hub_encodings)
    return AttackReport(
        records=records,
        names=len(names),
        hardened=rates["hardened"],
        unhardened=rates["unhardened"],
        hub_records=len(hub_encodings),
        hub_largest_group_share=largest,
        hub_top10_group_share=top10,
        commonest_name_share=commonest,
    )
