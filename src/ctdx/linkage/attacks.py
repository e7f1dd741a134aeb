"""Attack check: how many people the published attacks on Bloom-filter encodings re-identify (B5).

The hub holds no plaintext, so it cannot score an attack on its real encodings. The check does what an
attacker would do with a public name list, on a population it can score:

1. draw ``records`` people from the public list (a name and its frequency per line; given and family names
   are drawn from it independently), the attacker's own knowledge of the population, each with a birth date
   from a public age distribution (``years``; month and day uniform) or, for the hub's share of records
   without one (``missing_birth``), none;
2. encode them with the hub's encoding configuration under a fresh random secret, as the organisations
   would (the attacker does not have the secret);
3. attack **every name field the configuration stores** (given, family, all name parts, skeletons) with two
   attacks that use only the encodings, the configuration (Kerckhoffs: it is public) and the list:

   - **frequency attack** (Kuzu et al. 2011; Christen et al. 2017): group encodings of one field whose
     Hamming distance is within the noise the configuration adds, rank groups by size and the field's
     values by their public frequency, and align the ranks one to one. Against salted encodings the
     attacker first splits the records into the salt's cells (one birth year, one birth date) and aligns
     within each cell (on cells of one person that is the guess below): the hub's own birth-date
     filters group records of one date or year, so we give the attacker the cells outright (an upper
     bound on what it can recover);
   - **pattern-mining attack** (Christen, Vidanage, Ranbaduge & Schnell 2018, simplified): for each
     frequent bigram in rank order, find the set of k bit positions that co-occur most often (a greedy
     frequent-itemset search), decode each encoding into the bigrams whose positions are all set, and
     match it to the public value with the most similar bigram set;

4. report, per field, the fraction of people whose value each attack recovers, beside **what a blind
   guess gets** (the commonest value for everyone whose field has a filter: a list where one name holds
   15 % of people gives any attack 15 % without looking at an encoding) and the **excess** of the better
   attack over that guess, which is what the encodings leak; the same for unhardened encodings as a
   reference. On the hub's stored encodings it also reports what needs no plaintext: per name field, the
   share of records in the largest groups of near-identical encodings (what a frequency attack feeds on).

Limits: the simulated population has ``records`` people, while a salt cell's size grows with the hub (run
the check with at least as many records as the hub holds); pattern mining is not split by salt cells.

Our own code: the attack implementations of the papers are research artefacts, not maintained packages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ctdx.errors import ValidationError
from ctdx.linkage.encoding import (
    DEFAULT_ENCODING_CONFIG,
    NAME_FIELDS,
    PLAINTEXT_ENCODING_CONFIG,
    SALTED_FIELDS,
    Encoder,
    EncodingConfig,
    LinkageSecret,
    field_tokens,
    field_value,
    salts,
)
from ctdx.linkage.normalise import BirthDate, Identity, PersonName, latinise

# The public age distribution the simulated people's birth years come from: victims identified in 2024
# aged 12 to 55, most in their twenties (counts per birth year; a triangular shape peaking at age 24).
PUBLIC_BIRTH_YEARS = {2024 - age: (age - 11 if age <= 24 else max(1, 44 - age)) for age in range(12, 56)}
# A decoded bigram set must be this close to a name to count as a re-identification (our choice).
MIN_DECODED_DICE = 0.6
# The attacker estimates the frequencies of composite values (all name parts, skeletons) from this many
# people drawn from the public list per simulated person.
PUBLIC_DRAWS_PER_RECORD = 20
# Public values the pattern-mining attack matches a decoded encoding against (the most frequent).
MATCHED_VALUES = 5000
# The hub's stored encodings of one field are grouped on a random sample of at most this many: the leader
# clustering is quadratic (20,000 encodings take about 5 s, 1,000,000 would take hours), and the share of
# the largest group is a proportion that such a sample estimates to within a percentage point.
HUB_GROUP_SAMPLE = 20000


@dataclass(frozen=True)
class AttackRates:
    """Fractions of the simulated people whose value of one field an attack recovered."""

    frequency: float
    pattern_mining: float
    guess: float = 0.0

    @property
    def excess(self) -> float:
        """What the better attack recovers beyond a blind guess: what the encodings leak."""
        return max(0.0, max(self.frequency, self.pattern_mining) - self.guess)

    def summary(self) -> dict[str, float]:
        return {**vars(self), "excess_over_guess": self.excess}


@dataclass(frozen=True)
class AttackReport:
    """The outcome of the check per name field: our configuration, the unhardened reference, the hub's
    own exposure. ``hardened`` and ``unhardened`` are the most exposed field's rates."""

    records: int
    names: int
    fields: dict[str, AttackRates]
    unhardened_fields: dict[str, AttackRates]
    hub_records: int
    hub_groups: dict[str, tuple[float, float]]
    missing_birth: float = 0.0
    salt: str = "none"
    # How many of the hub's encodings of a field were grouped (``HUB_GROUP_SAMPLE``).
    hub_grouped: int = 0

    @property
    def worst_field(self) -> str:
        return max(self.fields, key=lambda f: (self.fields[f].excess, self.fields[f].frequency))

    @property
    def hardened(self) -> AttackRates:
        return self.fields[self.worst_field]

    @property
    def unhardened(self) -> AttackRates:
        return max(self.unhardened_fields.values(), key=lambda r: (r.excess, r.frequency))

    @property
    def commonest_name_share(self) -> float:
        return self.hardened.guess

    @property
    def hub_largest_group_share(self) -> float:
        return max((g[0] for g in self.hub_groups.values()), default=0.0)

    @property
    def hub_top10_group_share(self) -> float:
        return max((g[1] for g in self.hub_groups.values()), default=0.0)

    def summary(self) -> dict[str, object]:
        return {
            "simulated_records": self.records,
            "public_names": self.names,
            "missing_birth_share": self.missing_birth,
            "salt": self.salt,
            "most_exposed_field": self.worst_field,
            "reidentified_hardened": self.hardened.summary(),
            "reidentified_unhardened": self.unhardened.summary(),
            "fields_hardened": {name: rates.summary() for name, rates in self.fields.items()},
            "fields_unhardened": {name: rates.summary() for name, rates in self.unhardened_fields.items()},
            "hub_records": self.hub_records,
            "hub_grouped_records": self.hub_grouped,
            "hub_largest_near_identical_group_share": self.hub_largest_group_share,
            "hub_top10_near_identical_groups_share": self.hub_top10_group_share,
            "hub_fields": {name: {"largest": g[0], "top10": g[1]} for name, g in self.hub_groups.items()},
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
    truth: Sequence[Hashable],
    public: Mapping[Hashable, int],
    config: EncodingConfig,
    cells: Sequence[Hashable] | None = None,
) -> float:
    """Fraction of records whose value the frequency-rank alignment recovers, within each of ``cells``
    (the salt's cells; one cell when the encodings are not salted)."""
    ranked = [value for value, _ in sorted(public.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    members: dict[Hashable, list[int]] = {}
    for row, cell in enumerate(cells if cells is not None else [None] * len(truth)):
        members.setdefault(cell, []).append(row)
    radius = noise_radius(config, bits.shape[1])
    hits = 0
    for rows in members.values():
        groups = near_identical_groups(bits[rows], radius)
        for group, guess in zip(groups, ranked, strict=False):
            hits += sum(1 for i in group if truth[rows[i]] == guess)
    return hits / len(truth)


def pattern_mining_attack(
    bits: np.ndarray,
    truth: Sequence[Hashable],
    public: Mapping[Hashable, int],
    field_name: str,
    hashes: int,
    top_bigrams: int = 40,
) -> float:
    """Fraction of records whose value is recovered by mining co-occurring bit positions."""
    candidates = [v for v, _ in sorted(public.items(), key=lambda kv: (-kv[1], str(kv[0])))][:MATCHED_VALUES]
    grams_of = [field_tokens(field_name, value) for value in candidates]
    bigram_weight: Counter[str] = Counter()
    for value, grams in zip(candidates, grams_of, strict=True):
        for gram in grams:
            bigram_weight[gram] += public[value]
    ranked = [g for g, _ in bigram_weight.most_common(top_bigrams)]
    ones = bits.astype(bool)
    matrix = ones.astype(np.float32)
    available = np.ones(bits.shape[1], dtype=bool)
    positions_of: list[list[int]] = []
    for _ in ranked:
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
        positions_of.append(chosen)
    mined = ranked[: len(positions_of)]
    if not mined:
        return 0.0
    # decoded[r, g]: record r has every position mined for bigram g; has[v, g]: value v contains g.
    decoded = np.stack([ones[:, pos].all(axis=1) for pos in positions_of], axis=1).astype(np.float32)
    has = np.array([[g in grams for g in mined] for grams in grams_of], dtype=np.float32)
    sizes = np.array([len(grams) for grams in grams_of], dtype=np.float32)
    decoded_sizes = decoded.sum(axis=1)
    scores = 2 * (decoded @ has.T) / (decoded_sizes[:, None] + sizes[None, :])
    best = np.argmax(scores, axis=1)  # the first best is the most frequent value: candidates are ranked
    hits = 0
    for row, value in enumerate(truth):
        # Only a confident decoding counts: guessing the commonest name for noise is no re-identification.
        if decoded_sizes[row] and scores[row, best[row]] >= MIN_DECODED_DICE:
            hits += candidates[best[row]] == value
    return hits / len(truth)


@dataclass(frozen=True)
class Simulation:
    """Simulated people encoded under a fresh secret: each name field's bits and true values, and the
    salt cell of each person (what the attacker recovers from the hub's birth-date filters)."""

    identities: list[Identity]
    bits: dict[str, np.ndarray]
    truth: dict[str, list[Hashable]]
    cells: list[Hashable]


def _draw_people(
    names: Mapping[str, int],
    count: int,
    random: np.random.Generator,
    years: Mapping[int, int],
    missing_birth: float,
) -> list[Identity]:
    population = sorted(names)
    weights = np.array([names[n] for n in population], dtype=float)
    given = random.choice(len(population), size=count, p=weights / weights.sum())
    family = random.choice(len(population), size=count, p=weights / weights.sum())
    year_list = sorted(years)
    year_weights = np.array([years[y] for y in year_list], dtype=float)
    born = random.choice(year_list, size=count, p=year_weights / year_weights.sum())
    months = random.integers(1, 13, size=count)
    days = random.integers(1, 29, size=count)
    unknown = random.random(size=count) < missing_birth
    return [
        Identity(
            PersonName((population[g],), (population[f],)),
            BirthDate() if missing else BirthDate(int(y), int(m), int(d)),
            None,
            (),
        )
        for g, f, y, m, d, missing in zip(given, family, born, months, days, unknown, strict=True)
    ]


def attacked_fields(config: EncodingConfig) -> tuple[str, ...]:
    """The name fields the configuration stores: every one is attacked."""
    return tuple(name for name in config.field_names if name in NAME_FIELDS)


def simulate(
    names: Mapping[str, int],
    records: int,
    config: EncodingConfig,
    seed: int = 0,
    years: Mapping[int, int] | None = None,
    missing_birth: float = 0.0,
) -> Simulation:
    """``records`` people drawn from the name list (birth dates from ``years``, none for a ``missing_birth``
    share), encoded under a fresh secret through the encoder the organisations use (salting included)."""
    random = np.random.default_rng(seed)
    identities = _draw_people(names, records, random, years or PUBLIC_BIRTH_YEARS, missing_birth)
    encoded = Encoder(LinkageSecret.generate(), config).encode_many(identities)
    fields = attacked_fields(config)
    return Simulation(
        identities=identities,
        bits={name: np.unpackbits(encoded.fields[name].packed, axis=1) for name in fields},
        truth={name: [field_value(i, name) for i in identities] for name in fields},
        cells=[salts(identity, config) for identity in identities],
    )


def public_frequencies(names: Mapping[str, int], field_name: str, draws: int, seed: int) -> Counter[Hashable]:
    """The attacker's frequencies of one field's values: the list itself for a given or family name, else
    counted over ``draws`` people drawn from the list."""
    if field_name in ("given", "family"):
        return Counter({(name,): count for name, count in names.items()})
    people = _draw_people(names, draws, np.random.default_rng(seed + 7919), PUBLIC_BIRTH_YEARS, 0.0)
    return Counter(field_value(identity, field_name) for identity in people)


def attacked_hashes(config: EncodingConfig, field_name: str, public: Mapping[Hashable, int]) -> int:
    """The bit positions per bigram the pattern-mining attack looks for (Kerckhoffs: the config is public;
    with bits per feature, k of a value with the public list's median number of bigrams)."""
    spec = config.spec(field_name)
    if not spec.feature_bits:
        return spec.hashes
    common = [v for v, _ in Counter(public).most_common(200)]
    tokens = sorted(len(field_tokens(field_name, v)) for v in common) or [7]
    return min(spec.hashes, max(1, round(spec.feature_bits / tokens[len(tokens) // 2])))


def _attack(
    names: Mapping[str, int], records: int, config: EncodingConfig, seed: int, years: Mapping[int, int], missing: float
) -> dict[str, AttackRates]:
    simulation = simulate(names, records, config, seed, years, missing)
    rates = {}
    for name in attacked_fields(config):
        # Only the people whose field has a filter can be attacked through it; rates are over everyone.
        rows = np.flatnonzero(simulation.bits[name].any(axis=1))
        if not len(rows):
            rates[name] = AttackRates(0.0, 0.0, 0.0)
            continue
        share = len(rows) / records
        public = public_frequencies(names, name, records * PUBLIC_DRAWS_PER_RECORD, seed)
        truth = [simulation.truth[name][i] for i in rows]
        bits = simulation.bits[name][rows]
        cells = [simulation.cells[i] for i in rows] if name in SALTED_FIELDS[config.salt] else None
        mined = pattern_mining_attack(bits, truth, public, name, attacked_hashes(config, name, public))
        rates[name] = AttackRates(
            frequency=share * frequency_attack(bits, truth, public, config, cells),
            pattern_mining=share * mined,
            guess=share * max(Counter(truth).values()) / len(truth),
        )
    return rates


# How many people ``ctdx hub attack-check`` simulates when not told: as many as the hub holds, within these
# bounds. The frequency attack grows stronger with the population (on the sample cohort's names re-weighted
# to Zipf 1.1, the full-name filters leaked 0.0 % beyond the guess at 2,000 people and 7.1 % at 10,000;
# bench/linkage/README.md), so a check smaller than the hub under-reports; beyond the upper bound the leader
# clustering of ``near_identical_groups`` takes minutes, and the user is told to ask for more.
SIMULATED_MIN = 2000
SIMULATED_MAX = 10000


def simulated_people(hub_cases: int, requested: int | None = None) -> int:
    """The number of people the attack check simulates: ``requested``, else the hub's own number of cases
    within ``SIMULATED_MIN`` and ``SIMULATED_MAX``."""
    if requested is None:
        return min(max(hub_cases, SIMULATED_MIN), SIMULATED_MAX)
    if requested < 1:
        raise ValidationError("the attack check needs at least one simulated person", field="records")
    return requested


def attack_check(
    names: Mapping[str, int],
    hub_encodings: Mapping[str, Sequence[bytes]],
    *,
    records: int = 2000,
    config: EncodingConfig = DEFAULT_ENCODING_CONFIG,
    seed: int = 0,
    years: Mapping[int, int] | None = None,
    missing_birth: float = 0.0,
    hub_sample: int = HUB_GROUP_SAMPLE,
) -> AttackReport:
    """Run both attacks on every name field of simulated encodings (ours and unhardened) and measure the
    hub's exposure on its stored encodings (``hub_encodings``: the present encodings per field; grouped on a
    random ``hub_sample`` of them where there are more)."""
    if not 0.0 <= missing_birth <= 1.0:
        raise ValidationError("the share of records without a birth date must be in [0, 1]", field="missing_birth")
    records = simulated_people(0, records)
    public_years = years or PUBLIC_BIRTH_YEARS
    hardened = _attack(names, records, config, seed, public_years, missing_birth)
    unhardened = _attack(names, records, PLAINTEXT_ENCODING_CONFIG, seed, public_years, missing_birth)
    groups = {}
    grouped = 0
    rng = np.random.default_rng(seed)
    for name, encodings in hub_encodings.items():
        if name not in NAME_FIELDS or not encodings:
            continue
        chosen = list(encodings)
        if len(chosen) > hub_sample:
            chosen = [chosen[i] for i in np.sort(rng.choice(len(chosen), size=hub_sample, replace=False))]
        found = near_identical_groups(_bits(chosen), noise_radius(config, 8 * len(chosen[0])))
        groups[name] = (len(found[0]) / len(chosen), sum(len(g) for g in found[:10]) / len(chosen))
        grouped = max(grouped, len(chosen))
    return AttackReport(
        records=records,
        names=len(names),
        fields=hardened,
        unhardened_fields=unhardened,
        hub_records=max((len(e) for e in hub_encodings.values()), default=0),
        hub_groups=groups,
        missing_birth=missing_birth,
        salt=config.salt,
        hub_grouped=grouped,
    )
