"""Fellegi-Sunter scoring of candidate pairs through Splink (DuckDB backend), on encodings or raw fields.

- **privacy** mode compares hardened Bloom filters (``BIT`` columns). On balanced filters every encoding
  has the same weight, so the Hamming distance is the whole signal: ``ctdx_sim`` is
  ``1 - hamming / bits`` (one ``bit_count`` per comparison), 0.96 for two encodings of one value (the
  bit flips), about 0.5 for unrelated values. Given and family names are compared separately, as the
  plaintext model does, with five similarity levels each and levels for swapped given and family
  names, for agreeing name skeletons (transliteration) and for all name parts agreeing in either field
  (compound names); birth dates with five levels (the encoding carries an unordered day-month token, so a
  day-month swap still scores "close"); address parts, when encoded, with three.
- **plaintext** mode (deduplication inside one organisation) uses Splink's own comparisons on the raw
  normalised strings: ``NameComparison`` (Jaro-Winkler) with term-frequency adjustments on given and
  family names, ``DateOfBirthComparison`` on the birth date, exact matches for sex and citizenship, and
  Levenshtein levels on address parts: the model of the plaintext Splink anchor (bench/linkage).

Training follows Splink's advice (benchmarks.md B1): λ from a deterministic rule and its recall, u by
random sampling (in privacy mode our own sampler, ``u_sampling``, which counts the same levels on the
filters' bits in a third of Splink's time), m by EM in two passes blocked on different fields. The rule
needs both training keys (a name and a birth date) on both records, so its recall is the recall on fully
known pairs times the share of pairs whose two records carry both keys (``key_coverage``): without that
factor, data where half the birth dates are missing (``ctdx sample``: 47 %) would get a λ about four times
too small. The random sample holds matches (a hub's λ is large enough for them to count): in privacy mode,
once EM has given m, each sampled pair counts towards u by its chance of not matching
(``u_sampling.LevelCounts.u_of_non_matches``; the Spark backend too). Splink's sampler (plaintext mode)
only gives counts per level, and there the matches come out after the scoring, λ m subtracted from each
level's u (``ComparisonLevels.u_without_matches``). A trained privacy model then refines λ over the pairs
it scored (``refined_model``), by EM with m and u fixed.
Term-frequency adjustments are off in privacy mode: they need exact-equality tokens and would leak value
frequencies.

A small hub cannot train a model (EM needs thousands of pairs), so below ``min_records_to_train`` the
model uses the starting values of the levels. Those are our judgement, set so that one agreeing field
never outweighs a clearly disagreeing birth date or given name.

Twins and siblings look like one person whose given name was replaced (an alias, a new document, a
clerk's substitution): the same family name and birth date, a given name no spelling rule explains.
``ScoringConfig.twins`` says what happens to such pairs, stated in every run's summary:

- ``"apart"`` (the default): always a cannot-link, so the clustering never merges such a pair whatever
  its score;
- ``"learned"``: the configuration gets its own level of the name comparison ("family agrees, given name
  differs"), a trained model weighs it by the m that EM learns from the hub's data, and only an untrained
  model (a small hub) keeps the cannot-link. For a hub whose members record people under
  replaced given names (aliases): EM cannot tell twins from such duplicates (both agree on everything but
  the given name), so it learns from the twins as much as from the aliases, and a trained hub under this
  policy merges twins (``tests/linkage/test_scoring_twins.py`` shows both);
- ``"may-link"``: never a cannot-link (the plaintext Splink anchor's behaviour).

A lower given-name threshold than ``SIBLING_GIVEN`` was measured and not taken: at 0.70 the rule spares
one-typo names a little more often (1.3 % of single typos caught instead of 4.6 %) but stops protecting 3.3 %
of pairs of sisters' or brothers' names of ``ctdx sample``'s name lists instead of 1.4 %, for +0.002 F1 on
FEBRL4 (whose given-name losses are replacements, not typos).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt

from ctdx.errors import ConfigError, ValidationError
from ctdx.linkage.normalise import Identity
from ctdx.linkage.u_sampling import estimate_u

Mode = Literal["privacy", "plaintext"]
TwinPolicy = Literal["apart", "learned", "may-link"]
TWIN_POLICIES: tuple[TwinPolicy, ...] = get_args(TwinPolicy)

# Privacy-mode similarity thresholds (1 - hamming/bits on balanced, flipped filters): two encodings of
# one value score about 0.96, one changed bigram in a name about 0.85, unrelated values 0.45-0.65.
NAME_THRESHOLDS = (0.92, 0.85, 0.78, 0.71, 0.64)
# The birth date's lowest level stays above the unrelated range: at 0.63, two different women named Maria
# Popescu, born 1985-03-02 and 1979-08-21 (``tests/linkage/cohort.py``), reached it under 0.35 % of secrets
# and linked on their names in a small hub; their dates' similarity tops out at 0.665 in 2,000 secrets.
BIRTH_THRESHOLDS = (0.92, 0.84, 0.77, 0.70, 0.67)
ADDRESS_THRESHOLDS = (0.92, 0.82, 0.72)
CODE_THRESHOLD = 0.88
# A given name below this similarity, with the family names agreeing, marks siblings (cannot-link).
SIBLING_GIVEN = 0.75
ADDRESS_PARTS = ("street", "city", "postcode", "state")
# The all-names similarity a skeleton agreement needs to count (unrelated names score about 0.5).
SKELETON_NAMES_MIN = 0.62

EM_BAND_BITS = 14
SIM_MACRO = "CREATE OR REPLACE MACRO ctdx_sim(a, b) AS 1.0 - bit_count(xor(a, b)) / bit_length(a)"


@dataclass(frozen=True)
class Level:
    """One comparison level: its SQL condition and the default m and u probabilities."""

    label: str
    sql: str
    m: float
    u: float


def _sim(left: str, right: str | None = None) -> str:
    return f"ctdx_sim({left}_l, {right or left}_r)"


def swapped_sql(threshold: float = NAME_THRESHOLDS[1], given: str = "given") -> str:
    return f"{_sim(given, 'family')} >= {threshold} AND ctdx_sim(family_l, {given}_r) >= {threshold}"


def names_levels(fields: Sequence[str], twins: bool = False) -> list[Level]:
    """Levels of the one name comparison, most specific first; the first that holds decides.

    One joint comparison rather than independent given and family comparisons: duplicates often move a
    name part between the fields or swap them, which the order-free ``names`` filter sees, and EM is
    better conditioned on one name comparison and the birth date than on three correlated ones."""
    t = NAME_THRESHOLDS
    both = f"{_sim('given')} >= {t[0]} AND {_sim('family')} >= {t[0]}"
    # Under the birth-date salt a record without a full date has no given or family filter: its names then
    # agree through the order-free filter of all name parts, which must weigh as much as both parts agreeing.
    unsalted = "(given_l IS NULL OR given_r IS NULL) AND (family_l IS NULL OR family_r IS NULL)"
    both = f"({both}) OR ({unsalted} AND {_sim('names')} >= {t[0]})"
    levels = [Level("given and family agree", both, 0.6, 0.0005)]
    if "given" in fields and "family" in fields:
        levels.append(Level("given and family swapped", swapped_sql(), 0.03, 0.00001))
        if twins:
            levels.append(twins_level("privacy", fields))
    levels.append(Level("all name parts agree", f"{_sim('names')} >= {t[0]}", 0.08, 0.0002))
    if "skeleton" in fields:
        # Transliteration variants (Mohammed, محمد -> mhmd): the consonant frames agree and the names are
        # closer than unrelated ones. Short frames collide often, so the skeleton alone is not enough.
        levels.append(
            Level(
                "name skeletons agree",
                f"{_sim('skeleton')} >= {t[0]} AND {_sim('names')} >= {SKELETON_NAMES_MIN}",
                0.03,
                0.0005,
            )
        )
    levels += [
        Level("name parts very close", f"{_sim('names')} >= {t[1]}", 0.1, 0.0005),
        Level("name parts close", f"{_sim('names')} >= {t[2]}", 0.06, 0.001),
        Level("name parts similar", f"{_sim('names')} >= {t[3]}", 0.04, 0.003),
        Level("name parts somewhat similar", f"{_sim('names')} >= {t[4]}", 0.02, 0.01),
    ]
    if "skeleton" in fields:
        # Arabic script without vowels against a Latin spelling (محمد علي / Muhammad Ali) shares almost no
        # bigram: only the consonant frames agree. Weaker evidence than above, so last.
        levels.append(Level("name skeletons agree, names differ", f"{_sim('skeleton')} >= {t[0]}", 0.01, 0.0005))
    return levels


def birth_levels() -> list[Level]:
    t = BIRTH_THRESHOLDS
    return [
        Level("birth date agrees", f"{_sim('birth')} >= {t[0]}", 0.88, 0.0005),
        Level("birth date very close", f"{_sim('birth')} >= {t[1]}", 0.04, 0.002),
        Level("birth date close", f"{_sim('birth')} >= {t[2]}", 0.03, 0.01),
        Level("birth date partly agrees", f"{_sim('birth')} >= {t[3]}", 0.015, 0.05),
        Level("birth years compatible", f"{_sim('birth')} >= {t[4]}", 0.015, 0.10),
    ]


def address_levels(column: str) -> list[Level]:
    t = ADDRESS_THRESHOLDS
    return [
        Level(f"{column} agrees", f"{_sim(column)} >= {t[0]}", 0.80, 0.01),
        Level(f"{column} close", f"{_sim(column)} >= {t[1]}", 0.08, 0.02),
        Level(f"{column} similar", f"{_sim(column)} >= {t[2]}", 0.05, 0.05),
    ]


def code_levels(column: str, m: float, u: float) -> list[Level]:
    return [Level(f"{column} agrees", f"{_sim(column)} >= {CODE_THRESHOLD}", m, u)]


def _elseprobabilities(levels: Sequence[Level]) -> tuple[float, float]:
    return max(1e-6, 1.0 - sum(lv.m for lv in levels)), max(1e-6, 1.0 - sum(lv.u for lv in levels))


def privacy_comparisons(fields: Sequence[str], twins: bool = False) -> list[Any]:
    """The Splink comparisons on encodings, for the encoded fields present; ``twins`` adds the twins level
    (``twins_level``) that the "learned" twin policy needs."""
    specs: list[tuple[str, list[Level]]] = []
    if "names" in fields:
        specs.append(("names", names_levels(fields, twins)))
    if "birth" in fields:
        specs.append(("birth", birth_levels()))
    if "sex" in fields:
        specs.append(("sex", code_levels("sex", 0.97, 0.55)))
    if "citizenship" in fields:
        specs.append(("citizenship", code_levels("citizenship", 0.90, 0.45)))
    specs += [(part, address_levels(part)) for part in ADDRESS_PARTS if part in fields]
    # The birth date's m stays at its starting values: with only a name and a birth date, the pass blocked
    # on names leaves the birth date as the one free comparison and EM collapses it onto "agrees" (FEBRL4:
    # m = 0.9998 for agreement where the truth is 0.94), which throws away every pair with a corrupted date.
    return [_custom(column, levels, fix_m=column == "birth") for column, levels in specs]


def _year(side: str) -> str:
    return f"TRY_CAST(substr(birth_{side}, 1, 4) AS INTEGER)"


def _error(side: str) -> str:
    return f"coalesce(TRY_CAST(nullif(split_part(birth_{side}, '~', 2), '') AS INTEGER), 0)"


def _full(side: str) -> str:
    return f"length(birth_{side}) = 8"


def plaintext_birth_levels() -> list[Level]:
    """Levels on ``YYYYMMDD`` / ``YYYYMM`` / ``YYYY`` / ``YYYY~E`` strings (E: years of estimation error)."""
    both_full = f"{_full('l')} AND {_full('r')}"
    years_apart = f"abs({_year('l')} - {_year('r')})"
    slack = f"{_error('l')} + {_error('r')}"
    days_apart = "abs(date_diff('day', try_strptime(birth_l, '%Y%m%d'), try_strptime(birth_r, '%Y%m%d')))"
    return [
        Level("birth date agrees", f"{both_full} AND birth_l = birth_r", 0.80, 0.0005),
        Level("birth date one typo", f"{both_full} AND damerau_levenshtein(birth_l, birth_r) <= 1", 0.10, 0.002),
        Level(
            "day and month swapped",
            f"{both_full} AND substr(birth_l, 1, 4) = substr(birth_r, 1, 4) "
            "AND substr(birth_l, 5, 2) = substr(birth_r, 7, 2) AND substr(birth_l, 7, 2) = substr(birth_r, 5, 2)",
            0.01,
            0.0001,
        ),
        Level("birth dates within a month", f"{both_full} AND {days_apart} <= 31", 0.02, 0.002),
        Level(
            "birth years compatible",
            f"NOT ({both_full}) AND {years_apart} <= {slack} AND (substr(birth_l, 5, 2) = substr(birth_r, 5, 2) "
            "OR length(birth_l) < 6 OR length(birth_r) < 6 OR contains(birth_l, '~') OR contains(birth_r, '~'))",
            0.03,
            0.02,
        ),
        Level("birth years within one", f"{years_apart} <= 1 + {slack}", 0.03, 0.06),
        Level("birth years within ten", f"{years_apart} <= 10 + {slack}", 0.005, 0.30),
    ]


def plaintext_name_levels(column: str, fields: Sequence[str], twins: bool = False) -> list[Level]:
    levels = [Level(f"{column} agrees", f"{column}_l = {column}_r", 0.75, 0.01 if column == "given" else 0.004)]
    if "family" in fields and "given" in fields:
        levels.append(Level("given and family swapped", "given_l = family_r AND family_l = given_r", 0.01, 0.00002))
    levels += [
        Level(f"{column} Jaro-Winkler >= {t}", f"jaro_winkler_similarity({column}_l, {column}_r) >= {t}", m, u)
        for t, m, u in ((0.92, 0.08, 0.003), (0.88, 0.05, 0.006), (0.7, 0.05, 0.08))
    ]
    if "skeleton" in fields:
        levels.insert(-1, Level("name skeletons agree", "skeleton_l = skeleton_r", 0.02, 0.002))
    if twins and column == "given" and "family" in fields:
        levels.append(twins_level("plaintext", fields))
    return levels


def plaintext_comparisons(fields: Sequence[str], twins: bool = False) -> list[Any]:
    """Splink comparisons on raw normalised strings, with the levels of the plaintext Splink anchor
    (``NameComparison``: exact with term-frequency adjustments, Jaro-Winkler 0.92/0.88/0.7;
    ``DateOfBirthComparison``-like date levels; exact sex and citizenship; Levenshtein on address parts),
    plus swapped names, name skeletons, a day-month swap and estimated birth years."""
    specs: list[tuple[str, list[Level], bool]] = []
    for column in ("given", "family"):
        if column in fields:
            specs.append((column, plaintext_name_levels(column, fields, twins), True))
    if "birth" in fields:
        specs.append(("birth", plaintext_birth_levels(), False))
    for column, m, u in (("sex", 0.97, 0.55), ("citizenship", 0.90, 0.45), ("state", 0.9, 0.3)):
        if column in fields:
            specs.append((column, [Level(f"{column} agrees", f"{column}_l = {column}_r", m, u)], False))
    for column in ("street", "city", "postcode"):
        if column in fields:
            levels = [Level(f"{column} agrees", f"{column}_l = {column}_r", 0.8, 0.01)]
            levels += [
                Level(f"{column} within {d}", f"levenshtein({column}_l, {column}_r) <= {d}", m, u)
                for d, m, u in ((1, 0.08, 0.01), (2, 0.04, 0.02))[: 1 if column == "postcode" else 2]
            ]
            specs.append((column, levels, False))
    return [_custom(column, levels, tf) for column, levels, tf in specs]


def _custom(column: str, levels: Sequence[Level], term_frequencies: bool = False, fix_m: bool = False) -> Any:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    else_m, else_u = _elseprobabilities(levels)
    built = []
    for index, lv in enumerate(levels):
        level = cll.CustomLevel(lv.sql, lv.label).configure(
            m_probability=lv.m, u_probability=lv.u, fix_m_probability=fix_m
        )
        if term_frequencies and index == 0:
            level = level.configure(tf_adjustment_column=column, tf_adjustment_weight=1.0)
        built.append(level)
    return cl.CustomComparison(
        [
            cll.CustomLevel(f"{column}_l IS NULL OR {column}_r IS NULL", f"{column} unknown").configure(
                is_null_level=True
            ),
            *built,
            cll.ElseLevel().configure(m_probability=else_m, u_probability=else_u, fix_m_probability=fix_m),
        ],
        output_column_name=column,
    )


def plaintext_fields(identity: Identity) -> dict[str, str | None]:
    """The raw normalised strings plaintext mode compares (a birth date as ``YYYYMMDD``, ``YYYYMM``,
    ``YYYY`` or ``YYYY~E`` for a year estimated within E years)."""
    name = identity.name
    birth = identity.birth
    text: str | None = None
    if birth.year is not None:
        text = f"{birth.year:04d}"
        if birth.year_error:
            text += f"~{birth.year_error}"
        elif birth.month is not None:
            text += f"{birth.month:02d}" + (f"{birth.day:02d}" if birth.day is not None else "")
    address = dict(identity.address)
    return {
        "given": " ".join(name.given) or None,
        "first": name.given[0] if name.given else None,
        "family": " ".join(name.family) or None,
        "names": " ".join(name.tokens) or None,
        "skeleton": " ".join(name.skeletons) or None,
        "birth": text,
        "sex": identity.sex,
        "citizenship": " ".join(identity.citizenship) or None,
        **{part: address.get(part) for part in ADDRESS_PARTS},
    }


# The columns ``siblings_sql`` reads, kept on Splink's prediction rows.
SIBLING_COLUMNS = ("given", "first", "family", "skeleton", "first_skeleton")


def siblings_sql(mode: Mode, fields: Sequence[str]) -> str:
    """The SQL condition (on a prediction row with the matching columns) that marks twins and siblings."""
    if not {"given", "family"} <= set(fields):
        return "FALSE"
    first = "first" in fields
    if mode == "plaintext":
        differ = "jaro_winkler_similarity(given_l, given_r) < 0.7"
        if first:
            compound = "given_l <> first_l AND given_r <> first_r"
            differ = f"(jaro_winkler_similarity(first_l, first_r) < 0.7 OR ({compound} AND {differ}))"
        return (
            f"given_l IS NOT NULL AND given_r IS NOT NULL AND family_l = family_r AND {differ} "
            "AND NOT (given_l = family_r AND family_l = given_r)"
            + (" AND skeleton_l <> skeleton_r" if "skeleton" in fields else "")
        )
    differ = f"{_sim('given')} < {SIBLING_GIVEN}"
    if first:
        # The first given names differ, or both records have several given names and those differ. Not
        # the whole given names alone: twins "Ana Santos" / "Maria Santos" share "santos" and score about
        # SIBLING_GIVEN, while "Maria Guadalupe" / "Maria" (a middle name left out) score as low as twins.
        compound = " AND ".join(f"ctdx_sim(first_{s}, given_{s}) < {NAME_THRESHOLDS[0]}" for s in "lr")
        differ = f"({_sim('first')} < {SIBLING_GIVEN} OR ({compound} AND {differ}))"
    # Swapped names are one person, and so is a given name that moved into the family field (a swap with a
    # typo keeps one cross pair close). Both are judged on the first given names when there are some: a
    # whole given name that holds the family name as a middle name (Lorna Santos Santos: Filipino and
    # Hispanic names, which siblings share) is close to every family field of the pair, about as close as
    # the thresholds, so twins with such names would be exempted or not by the flips.
    name = "first" if first else "given"
    condition = (
        f"given_l IS NOT NULL AND given_r IS NOT NULL AND {_sim('family')} >= {NAME_THRESHOLDS[0]} "
        f"AND {differ} AND NOT ({swapped_sql(given=name)})"
    )
    cross = NAME_THRESHOLDS[3]
    for given, family in ((f"{name}_l", "family_r"), (f"{name}_r", "family_l")):
        own = f"family_{given[-1]}"
        condition += f" AND NOT (ctdx_sim({given}, {family}) >= {cross} AND ctdx_sim({given}, {own}) < {cross})"
    # Transliterations (Muhammad, محمد) differ in their bigrams but not in their consonant skeletons: no twins.
    # On the first given name when there is one: twins who share a middle and a family name share two of
    # three skeletons of all name parts, about as close as the threshold.
    frame = "first_skeleton" if first and "first_skeleton" in fields else "skeleton" if "skeleton" in fields else None
    if frame is not None:
        condition += f" AND coalesce({_sim(frame)} < {NAME_THRESHOLDS[0]}, TRUE)"
    return condition


def twins_level(mode: Mode, fields: Sequence[str]) -> Level:
    """The level of the name comparison for a pair that looks like twins or siblings (``siblings_sql``).

    Its own level, so that EM learns how often true duplicates of the hub's data look like that (FEBRL
    replaces given names wholesale in about 5 % of its duplicates; ``ctdx sample`` never does). The starting
    m is small: a name that no spelling rule explains is weak evidence of one person. Only under the
    "learned" policy: under "may-link" it let EM weigh same-family pairs of different people up (FEBRL4
    plaintext P-min precision 0.82 at 0.5 against 0.96 without it), and under "apart" it decides nothing."""
    return Level("family agrees, given name differs", siblings_sql(mode, fields), 0.01, 0.002)


def twin_policy(text: str) -> TwinPolicy:
    """``text`` as a twin policy (a CLI option), or ``ValidationError`` naming the choices."""
    for policy in TWIN_POLICIES:
        if text == policy:
            return policy
    raise ValidationError(f"the twin policy must be one of {', '.join(TWIN_POLICIES)}", field="twins")


def twins_cannot_link(policy: TwinPolicy, trained: bool) -> bool:
    """Whether pairs that look like twins are a cannot-link in a run under ``policy`` (module docstring)."""
    return policy == "apart" or (policy == "learned" and not trained)


@dataclass(frozen=True)
class ScoringConfig:
    """How pairs are scored. ``predict_threshold`` only bounds what Splink returns; clustering decides."""

    mode: Mode = "privacy"
    predict_threshold: float = 0.01
    min_records_to_train: int = 2000
    # Random pairs for u. At 1e6 the seed of the sample alone moved the privacy model's λ threefold on
    # 10,000 records of ``ctdx sample`` (5.6e-6 to 1.6e-5 over five seeds; true 1.5e-5): the rare name levels'
    # u rested on a few dozen pairs. At 1e7 it moves by about 10 % (6.7e-6 to 8.2e-6) (bench/linkage/README.md,
    # "FEBRL1 and the ctdx sample cohorts"): about 12 CPU-s in privacy mode (``u_sampling``), 36 through
    # Splink's sampler (plaintext mode, and the Spark backend).
    u_max_pairs: float = 1e7
    seed: int = 1
    log_level: int = logging.ERROR
    keep_model: bool = False
    # Pairs with the same family name and a clearly different given name (twins, siblings, or one person
    # under a replaced given name): "apart", "learned" or "may-link", see the module docstring.
    twins: TwinPolicy = "apart"

    def __post_init__(self) -> None:
        twin_policy(self.twins)


DEFAULT_SCORING_CONFIG = ScoringConfig()


@dataclass(frozen=True)
class ScoredPair:
    """One candidate pair: match probability, and whether the names look like siblings (never merged)."""

    left: str
    right: str
    probability: float
    siblings: bool


@dataclass(frozen=True)
class Scoring:
    """What the scoring produced; ``twins_cannot_link`` says whether the twin policy kept such pairs apart."""

    pairs: tuple[ScoredPair, ...]
    trained: bool
    prior: float
    model: dict[str, Any] | None = None
    twins_cannot_link: bool = True
    # Why an untrained model kept its starting values (``TrainedLinker.default_because``).
    default_because: str | None = None


def default_prior(records: int) -> float:
    """λ, the chance that two random records match, when there is no training: about one duplicate per
    two records, i.e. n/2 true pairs among n(n-1)/2 pairs."""
    return min(0.5, 1.0 / max(records - 1, 1))


@dataclass(frozen=True)
class TrainedLinker:
    """A Splink linker set up on a table and trained (or left at the starting values of small hubs)."""

    linker: Any
    fields: tuple[str, ...]
    trained: bool
    prior: float
    # Whether the linker's u still holds the random sample's matches (``ComparisonLevels.matches_in_u``).
    matches_in_u: bool = True
    # Why an untrained linker kept its starting values, for the hub's report (``too_few_records``,
    # ``RULE_UNMET``, ``NO_EM_PAIRS``); None when trained.
    default_because: str | None = None


def too_few_records(records: int, minimum: int) -> str:
    """Why a small hub keeps the starting values (``TrainedLinker.default_because``)."""
    return f"{records:,} records, fewer than the {minimum:,} a model trains on"


RULE_UNMET = "no two records agree on both training keys (names and birth date)"
NO_EM_PAIRS = "no two records share a key of any training pass"


def train_linker(
    connection: Any, table: str, records: int, config: ScoringConfig = DEFAULT_SCORING_CONFIG
) -> TrainedLinker:
    """The Splink linker of ``score_pairs`` on ``table`` in the DuckDB ``connection``, trained as
    ``score_pairs`` trains it: EM when there are at least ``config.min_records_to_train`` records, else the
    default probabilities. The compared fields are the table's columns other than the id, the blocking and
    the training keys."""
    try:
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("linkage needs the linkage extra: pip install 'ctdx[linkage]'") from exc

    columns = [row[0] for row in connection.execute(f"DESCRIBE {table}").fetchall()]
    fields = [c for c in columns if c not in ("unique_id", "blocking_keys") and not c.startswith("train_")]
    privacy = config.mode == "privacy"
    coverage = key_coverage(connection, table)
    if privacy:
        connection.execute(SIM_MACRO)
    blocking = block_on("blocking_keys", arrays_to_explode=["blocking_keys"])
    prior = default_prior(records)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=(privacy_comparisons if privacy else plaintext_comparisons)(fields, config.twins == "learned"),
        blocking_rules_to_generate_predictions=[blocking],
        probability_two_random_records_match=prior,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=False,
        additional_columns_to_retain=[f for f in SIBLING_COLUMNS if f in fields],
    )
    db = DuckDBAPI(connection)
    linker = Linker(db.register(table, table_name=f"{table}_input"), settings, log_level=config.log_level)
    trained = records >= config.min_records_to_train
    if trained:
        # λ from a deterministic rule (both training keys equal) and that rule's recall; u from random
        # pairs; m by EM in two passes blocked on different fields, as Splink advises, on single keys
        # (EM cannot explode key lists).
        linker.training.estimate_probability_two_random_records_match(
            training_rules(block_on), recall=training_recall(config.mode, coverage)
        )
        if not training_rule_met(linker):
            # No two records meet the rule (few carry both keys, or none agree on both), so λ came out 0
            # and nothing fits it; with a guessed λ, EM on names alone linked namesakes (precision 0.62 at
            # 0.9 on a 2,500-record cohort without birth dates): the starting values score, as for a small hub.
            untrained = dataclasses.replace(config, min_records_to_train=records + 1)
            linked = train_linker(connection, table, records, untrained)
            return dataclasses.replace(linked, default_because=RULE_UNMET)
        sample = None
        if privacy:
            # The same estimate as Splink's, from the filters' bits (``u_sampling``): a third of the CPU.
            sample = estimate_u(
                linker, comparison_levels(linker), connection, table, fields, config.u_max_pairs, config.seed
            )
        else:
            linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
        has_pairs = functools.partial(rule_has_pairs, connection, table)
        if not expectation_maximisation(linker, em_rules(config.mode, fields), has_pairs):
            # No EM pass had pairs (the hub's records share no birth date and no name band): nothing was
            # learnt about m, so the hub scores with the starting values, as a small hub does.
            untrained = dataclasses.replace(config, min_records_to_train=records + 1)
            linked = train_linker(connection, table, records, untrained)
            return dataclasses.replace(linked, default_because=NO_EM_PAIRS)
        prior = float(linker._settings_obj._probability_two_random_records_match)
        if sample is not None:
            # The sample's matches out of u pair by pair, now that EM has given m (``u_of_non_matches``).
            write_u(linker, sample.u_of_non_matches(comparison_levels(linker), prior, U_FLOOR))
            return TrainedLinker(linker, tuple(fields), trained, prior, matches_in_u=False)
    because = None if trained else too_few_records(records, config.min_records_to_train)
    return TrainedLinker(linker, tuple(fields), trained, prior, default_because=because)


def training_rule_met(linker: Any) -> bool:
    """Whether any pair met the training rule: Splink then estimated a λ above 0."""
    if float(linker._settings_obj._probability_two_random_records_match) > 0.0:
        return True
    logging.getLogger(__name__).warning("no pair met the training rule: the model keeps its starting values")
    return False


def expectation_maximisation(linker: Any, rules: Sequence[str], has_pairs: Callable[[str], bool]) -> int:
    """Splink's EM pass for each blocking rule that gives at least one pair of records (``has_pairs``); a
    rule that gives none (a field no record carries) is skipped, with a log line that names no value.
    Asked first, not caught: Splink leaves the failed pass's comparisons out of the linker. Returns how
    many passes ran."""
    passes = 0
    for rule in rules:
        if not has_pairs(rule):
            logging.getLogger(__name__).warning("an EM pass was skipped: its blocking rule gives no pair")
            continue
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
        passes += 1
    return passes


def rule_has_pairs(connection: Any, table: str, rule: str) -> bool:
    """Whether two records of ``table`` (DuckDB) meet a blocking rule written on ``l`` and ``r``."""
    query = f"SELECT EXISTS (SELECT 1 FROM {table} l JOIN {table} r ON l.unique_id <> r.unique_id AND {rule})"
    return bool(connection.execute(query).fetchall()[0][0])


# The least share of its sampled value a level's u keeps when the matches are taken out of it
# (``ComparisonLevels.u_without_matches``): at most log2(10) = 3.3 bits more weight for the level.
U_FLOOR = 0.1


@dataclass(frozen=True)
class ComparisonLevels:
    """One comparison of a trained linker, its levels in Splink's order: the SQL conditions (``"ELSE"`` for
    the else level), whether each is the null level, m, and u as random sampling measured it (0 and 0 for
    the null level, which weighs nothing). A pair's match weight is the prior's log2 odds plus, per
    comparison, the weight of the first level whose condition holds: what ``batch`` and ``score_pairs``
    evaluate themselves (``level_sql``, ``factors_of``) to score pairs without Splink's weights."""

    conditions: tuple[str, ...]
    null: tuple[bool, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]
    # Whether u is a share of random pairs, matches included (Splink's sampler), or of the random sample's
    # non-matches already (``u_sampling.LevelCounts.u_of_non_matches``), which ``u_without_matches`` keeps.
    matches_in_u: bool = True

    def level_sql(self) -> str:
        """The index of the first level whose condition holds, as one SQL expression."""
        whens = " ".join(f"WHEN {sql} THEN {i}" for i, sql in enumerate(self.conditions) if sql != "ELSE")
        return f"(CASE {whens} ELSE {len(self.conditions) - 1} END)"

    def u_without_matches(self, prior: float) -> npt.NDArray[np.float64]:
        """u with the matches of the random sample taken out, for a data set whose λ is ``prior``.

        Random pairs are not all non-matches: λ of them match, and fall in each level with its m. What
        sampling measures at a level is λ m + (1 - λ) u, which Splink takes as u: harmless when λ is tiny,
        not in a hub, where a person's records are all in the data. FEBRL3 (λ = 5e-4) measured 1.7e-4 for
        "given and family agree" where its non-matches give 5e-7, so agreeing names weighed 11 bits instead
        of 19 (the true u, from the non-matches of FEBRL's ground truth: a scratch measurement). Solved for
        u: (sampled - λ m) / (1 - λ), at least ``U_FLOOR`` of the sampled value (noise, and an m that EM
        overstates, would take it to zero or below), renormalised over the levels. u as it is when the
        sampler took the matches out itself (``matches_in_u`` False: ``u_sampling``)."""
        m, sampled = np.array(self.m), np.array(self.u)
        if not self.matches_in_u:
            return sampled
        corrected = np.maximum((sampled - prior * m) / (1.0 - prior), U_FLOOR * sampled)
        total = corrected.sum()
        return corrected / total if total > 0 else sampled

    def weights(self, prior: float | None = None) -> npt.NDArray[np.float64]:
        """The log2 Bayes factor of each level (0 for the null level); with ``prior``, from u without the
        matches (``u_without_matches``), else from u as sampled."""
        u = np.array(self.u) if prior is None else self.u_without_matches(prior)
        m = np.array(self.m)
        known = ~np.array(self.null)
        result = np.zeros(len(self.conditions), dtype=np.float64)
        result[known] = np.log2(np.maximum(m[known], 1e-300) / np.maximum(u[known], 1e-300))
        return result


def comparison_levels(linker: Any, matches_in_u: bool = True) -> tuple[ComparisonLevels, ...]:
    """The comparisons of a linker (``ComparisonLevels``; ``matches_in_u`` as ``TrainedLinker`` says);
    privacy mode only, as term-frequency adjustments give a level no single weight."""
    comparisons = []
    for comparison in linker._settings_obj.comparisons:
        if comparison._has_tf_adjustments:
            raise ConfigError("level weights cannot carry term-frequency adjustments: use privacy mode")
        levels = comparison.comparison_levels
        comparisons.append(
            ComparisonLevels(
                tuple(str(level.sql_condition) for level in levels),
                tuple(bool(level.is_null_level) for level in levels),
                tuple(0.0 if level.is_null_level else float(level.m_probability) for level in levels),
                tuple(0.0 if level.is_null_level else float(level.u_probability) for level in levels),
                matches_in_u,
            )
        )
    return tuple(comparisons)


def factors_of(
    levels: npt.NDArray[np.integer[Any]], comparisons: Sequence[ComparisonLevels], prior: float | None = None
) -> npt.NDArray[np.float64]:
    """Per pair the sum of its log2 Bayes factors; ``levels`` holds a row per pair and a column per
    comparison (the level index, ``ComparisonLevels.level_sql``). ``prior``: as ``ComparisonLevels.weights``."""
    if levels.ndim != 2 or levels.shape[1] != len(comparisons):
        raise ValidationError("one level per pair and comparison", field="levels")
    factors = np.zeros(levels.shape[0], dtype=np.float64)
    for column, comparison in enumerate(comparisons):
        factors += comparison.weights(prior)[levels[:, column]]
    return factors


def refined_model(
    levels: npt.NDArray[np.integer[Any]], comparisons: Sequence[ComparisonLevels], records: int, prior: float
) -> tuple[npt.NDArray[np.float64], float]:
    """A trained privacy model refined over its scored pairs: u without the matches of the random sample
    (``ComparisonLevels.u_without_matches``, unless the sampler already weighed them out) at ``prior``, the
    rule-based λ, then λ by EM over the pairs with m and that u fixed (``refined_prior``), never below
    ``prior``. Returns the pairs' log2 Bayes factors under that u, and λ.

    The matches are taken out at the rule-based λ, not at the refined one, because the rule's λ is a lower
    bound in privacy mode (``refined_prior``): only matches sure to be in the sample come out, and a λ that
    EM overestimates cannot make u too small. Taking them out at the refined λ, in turn with λ until both
    settle, gained more on FEBRL (names and birth date: FEBRL4 F1 at 0.9 0.915 against 0.880) but fed any
    excess of λ back into u: on ``ctdx sample`` 10k with sex and citizenship, whose refined λ already
    exceeds the truth, precision at 0.9 fell from 1.000 to 0.93 (bench/linkage/README.md, "u without the
    matches"). λ stays at ``prior`` or above for the same reason: where blocking proposes few of the true
    pairs and each carries little evidence against the number of all pairs, EM's λ has no fixed point above
    zero and shrinks at every step (LD5 at 1,000,000 records, pair completeness 0.31)."""
    factors = factors_of(levels, comparisons, prior)
    return factors, max(refined_prior(factors, records, prior), prior)


def levels_query(comparisons: Sequence[ComparisonLevels], siblings: str, table: str) -> str:
    """The SQL that reads, per predicted pair of ``table``, its ids, whether it is a cannot-link
    (``siblings``) and its level in each comparison (columns ``g0``, ``g1``, ...): ``refined_pairs``' input."""
    columns = ", ".join(f"CAST({c.level_sql()} AS SMALLINT) AS g{i}" for i, c in enumerate(comparisons))
    return f"SELECT unique_id_l, unique_id_r, coalesce({siblings}, FALSE) AS sib, {columns} FROM {table}"


def refined_pairs(
    found: Mapping[str, Any], comparisons: Sequence[ComparisonLevels], records: int, prior: float, threshold: float
) -> tuple[tuple[ScoredPair, ...], float]:
    """The pairs ``levels_query`` read (columns as arrays), scored under the model refined over them
    (``refined_model``), those at ``threshold`` or above; and the refined λ."""
    levels = np.column_stack([np.asarray(found[f"g{i}"], dtype=np.int16) for i in range(len(comparisons))])
    factors, prior = refined_model(levels, comparisons, records, prior)
    chances = probabilities(factors, prior)
    keep = chances >= threshold
    left, right, siblings = (np.asarray(found[k])[keep] for k in ("unique_id_l", "unique_id_r", "sib"))
    pairs = tuple(
        ScoredPair(str(a), str(b), float(p), bool(sib))
        for a, b, p, sib in zip(left, right, chances[keep], siblings, strict=True)
    )
    return pairs, prior


def prediction_floor(config: ScoringConfig, refined: bool) -> float:
    """The lowest match probability a scorer keeps before the model is refined. Refining u and λ
    (``refined_model``) lifts a pair's odds (u: by at most 1 / U_FLOOR per comparison), so a model that will
    be refined keeps pairs down to U_FLOOR times ``config.predict_threshold``; those still below the
    threshold afterwards are dropped (``refined_pairs``, ``batch.score_chunked``)."""
    return config.predict_threshold * (U_FLOOR if refined else 1.0)


def set_u(linker: Any, comparisons: Sequence[ComparisonLevels], prior: float) -> None:
    """Write u without the matches at ``prior`` (the rule-based λ, as ``refined_model`` takes them out) into
    the linker, so that a saved model is the one that scored."""
    write_u(linker, [levels.u_without_matches(prior) for levels in comparisons])


def write_u(linker: Any, u: Sequence[npt.NDArray[np.float64]]) -> None:
    """Set the u of each non-null level of ``linker`` (a level whose value is NaN keeps its u)."""
    for comparison, values in zip(linker._settings_obj.comparisons, u, strict=True):
        for level, value in zip(comparison.comparison_levels, values, strict=True):
            if not level.is_null_level and not math.isnan(float(value)):
                level.u_probability = float(value)


def score_pairs(connection: Any, table: str, records: int, config: ScoringConfig = DEFAULT_SCORING_CONFIG) -> Scoring:
    """Score the candidate pairs of ``table`` (built by ``linking.link``) in the DuckDB ``connection``.

    Candidates are pairs sharing a blocking key; the model is trained with EM when there are at least
    ``config.min_records_to_train`` records, else it keeps the default probabilities (``train_linker``).
    A trained privacy model then has its λ and u refined over the pairs it scored (``refined_model``).
    """
    model = train_linker(connection, table, records, config)
    linker, fields, trained, prior = model.linker, model.fields, model.trained, model.prior
    refine = trained and config.mode == "privacy"
    floor = prediction_floor(config, refine)
    predictions = linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
    apart = twins_cannot_link(config.twins, trained)
    siblings = siblings_sql(config.mode, fields) if apart else "FALSE"
    table_name = predictions.physical_name
    if refine:
        comparisons = comparison_levels(linker, model.matches_in_u)
        found = connection.execute(levels_query(comparisons, siblings, table_name)).fetchnumpy()
        set_u(linker, comparisons, prior)
        pairs, prior = refined_pairs(found, comparisons, records, prior, config.predict_threshold)
    else:
        rows = connection.execute(
            f"SELECT unique_id_l, unique_id_r, match_weight, coalesce({siblings}, FALSE) FROM {table_name}"
        ).fetchall()
        kept = [(str(a), str(b), float(w), bool(s)) for a, b, w, s in rows if w is not None and not math.isnan(w)]
        # Splink's match weight is the prior's log2 odds plus the pair's log2 Bayes factors.
        factors = np.array([w for _, _, w, _ in kept], dtype=np.float64) - log2_odds(prior)
        chances = probabilities(factors, prior)
        pairs = tuple(ScoredPair(a, b, float(p), sib) for (a, b, _, sib), p in zip(kept, chances, strict=True))
    predictions.drop_table_from_database_and_remove_from_cache()
    model_json = linker.misc.save_model_to_json() if config.keep_model else None
    return Scoring(
        pairs=pairs,
        trained=trained,
        prior=prior,
        model=model_json,
        twins_cannot_link=apart,
        default_because=model.default_because,
    )


def log2_odds(probability: float) -> float:
    return math.log2(probability / (1.0 - probability))


def probabilities(log2_factors: npt.NDArray[np.float64], prior: float) -> npt.NDArray[np.float64]:
    weights = np.clip(log2_factors + log2_odds(prior), -100.0, 100.0)
    result: npt.NDArray[np.float64] = 1.0 / (1.0 + np.exp2(-weights))
    return result


def refined_prior(log2_factors: npt.NDArray[np.float64], records: int, prior: float) -> float:
    """λ re-estimated by EM over the scored pairs, with the trained m and u fixed (Fellegi-Sunter's EM step
    for the mixing proportion, Winkler 1988): λ = the expected matches (the sum of the pairs' match
    probabilities) over all n(n-1)/2 pairs, iterated to its fixed point from the rule-based estimate.

    Pairs that blocking or the prediction threshold left out count as non-matches. The rule-based λ rests
    on an assumed recall of the training rule, an upper bound in privacy mode (corrupted duplicates agree
    less than two encodings of one value), so it comes out low: FEBRL4 P-min 5.9e-5 against a true 1.0e-4,
    9.0e-5 after this step, which moves pairs of corrupted duplicates above a 0.9 threshold. Privacy mode
    only: plaintext mode's rule-based λ rests on Splink's usual recall of 0.7, not a bound, and with its
    term-frequency adjusted weights the step overshoots (FEBRL4 P-min: 1.55e-4 against a true 1.0e-4, and
    precision fell at every threshold)."""
    total = records * (records - 1) / 2
    if total <= 0 or log2_factors.size == 0:
        return prior
    for _ in range(200):
        updated = min(float(probabilities(log2_factors, prior).sum()) / total, 0.5)
        if updated <= 0.0:
            return prior
        converged = abs(updated - prior) <= 1e-4 * prior
        prior = updated
        if converged:
            break
    return prior


def em_rules(mode: Mode, fields: Sequence[str]) -> list[str]:
    """The blocking rules of the two EM passes, as Splink advises: one on the birth date, one on the
    names (plaintext: the family name). Each names the compared column it blocks on, so Splink leaves that
    comparison out of the pass (its agreement is forced by the block) and estimates it in the other one.
    Privacy mode blocks on the first ``EM_BAND_BITS`` bits of the encoding (random positions, as the
    encoding is permuted): equal for two encodings of one value with probability (1 - 2f(1 - f)) ** bits,
    rare between unrelated values."""
    rules = []
    for column in ("birth", "names"):
        if column in fields:
            if mode == "privacy":
                band = f"1, {EM_BAND_BITS}"
                rules.append(f"substr(l.{column}::VARCHAR, {band}) = substr(r.{column}::VARCHAR, {band})")
            else:
                key = "family" if column == "names" else column
                rules.append(f"l.{key} = r.{key}")
    return rules


def key_coverage(connection: Any, table: str) -> float:
    """The share of records of ``table`` (in the DuckDB ``connection``) carrying both training keys."""
    known = "CASE WHEN train_names0 IS NOT NULL AND train_birth0 IS NOT NULL THEN 1.0 ELSE 0.0 END"
    rows = connection.execute(f"SELECT avg({known}) FROM {table}").fetchall()
    return float(rows[0][0]) if rows and rows[0][0] is not None else 1.0


def training_rules(block_on: Callable[..., Any]) -> list[Any]:
    """The rule λ is estimated with, as Splink's ``block_on`` rules: both keys of one band agree
    (``blocking.training_key_columns``); Splink counts the pairs that meet any of them once."""
    from ctdx.linkage.blocking import TRAINING_BANDS

    return [block_on(f"train_names{k}", f"train_birth{k}") for k in range(TRAINING_BANDS)]


def training_recall(mode: Mode, coverage: float = 1.0, bands: int | None = None) -> float:
    """The share of true pairs that meet the training rule: both keys of at least one of ``bands`` bands
    equal (default ``blocking.TRAINING_BANDS``).

    ``coverage`` is the share of records carrying both keys (``key_coverage``): a pair can meet the rule
    only when both its records do, ``coverage ** 2`` of true pairs if a key is missing independently of
    whether the record has a duplicate. The factor is floored at 0.01 so that data with almost no keys
    does not blow λ up.

    In privacy mode a key is a band of ``rows`` sampled bits, equal for two encodings of the same value
    only if no flipped bit falls in it: p = (1 - 2f(1-f)) ** rows per field, p ** 2 for a band's two
    fields, and 1 - (1 - p ** 2) ** bands for any of the bands (their bits are drawn apart, so their flips
    are independent); an upper bound, as corrupted duplicates agree less. In plaintext mode the keys are
    exact tokens, one pair of them; 0.7 is Splink's usual assumption for such rules.
    """
    if not 0.0 <= coverage <= 1.0:
        raise ValidationError("the training key coverage must be between 0 and 1", field="coverage")
    known = max(coverage**2, 0.01)
    if mode == "plaintext":
        return 0.7 * known
    from ctdx.linkage.blocking import DEFAULT_LSH_CONFIG, TRAINING_BANDS
    from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG

    f = DEFAULT_ENCODING_CONFIG.flip_probability
    band = (1 - 2 * f * (1 - f)) ** (2 * DEFAULT_LSH_CONFIG.rows)
    return float(1 - (1 - band) ** (TRAINING_BANDS if bands is None else bands)) * known
