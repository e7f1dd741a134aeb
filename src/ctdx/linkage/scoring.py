"""Fellegi-Sunter scoring of candidate pairs through Splink (DuckDB backend), on encodings or raw tokens.

The comparisons are the same in both modes; only the similarity function and its thresholds change:

- **privacy** mode compares hardened Bloom filters (``BIT`` columns) with Sørensen-Dice computed by
  DuckDB's ``bit_count``; the hub never sees a token;
- **plaintext** mode (deduplication inside one organisation) compares the same token sets as
  ``VARCHAR[]`` columns with the exact set Dice coefficient.

Both are registered as one DuckDB macro, ``ctdx_sim``, so each comparison level is one SQL condition and
Splink's EM training and prediction run unchanged. Term-frequency adjustments are off: they need
exact-equality tokens and would leak value frequencies (benchmarks.md B1).

A small hub cannot train a model (EM needs thousands of pairs), so below ``min_records_to_train`` the
model uses the starting values of ``DEFAULT_LEVELS``. Those are our judgement, set so that one agreeing
field never outweighs a clearly disagreeing birth date or given name; the benchmark in ``bench/linkage``
reports how the trained and default models compare.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ctdx.errors import ConfigError

Mode = Literal["privacy", "plaintext"]
SIBLINGS = "same family name, different given name"

# Dice thresholds per mode. Privacy-mode Dice is 1 - hamming/2m on balanced, noisy filters, so equal values
# score about 0.95 and unrelated names 0.55-0.8; raw token Dice is 1.0 for equal values.
_THRESHOLDS: dict[Mode, dict[str, tuple[float, ...]]] = {
    "privacy": {"name": (0.92, 0.85, 0.77), "birth": (0.92, 0.81, 0.755, 0.685), "code": (0.88,)},
    "plaintext": {"name": (0.99, 0.75, 0.55), "birth": (0.99, 0.70, 0.59, 0.45), "code": (0.99,)},
}

_MACROS: dict[Mode, str] = {
    "privacy": (
        "CREATE OR REPLACE MACRO ctdx_sim(a, b) AS 2.0 * bit_count(a & b) / nullif(bit_count(a) + bit_count(b), 0)"
    ),
    "plaintext": (
        "CREATE OR REPLACE MACRO ctdx_sim(a, b) AS "
        "2.0 * len(list_intersect(list_distinct(a), list_distinct(b))) "
        "/ nullif(len(list_distinct(a)) + len(list_distinct(b)), 0)"
    ),
}


@dataclass(frozen=True)
class Level:
    """One comparison level: its SQL condition and the default m and u probabilities."""

    label: str
    sql: str
    m: float
    u: float


def _sim(field: str, threshold: float, left: str | None = None, right: str | None = None, op: str = ">=") -> str:
    return f"ctdx_sim({left or field}_l, {right or field}_r) {op} {threshold}"


def name_levels(mode: Mode) -> list[Level]:
    """Levels of the name comparison, most specific first; the first that holds decides."""
    hi, mid, low = _THRESHOLDS[mode]["name"]
    return [
        Level("given and family agree", f"{_sim('given', hi)} AND {_sim('family', hi)}", 0.80, 0.0005),
        Level(
            "given and family swapped",
            f"{_sim('', hi, 'given', 'family')} AND {_sim('', hi, 'family', 'given')}",
            0.04,
            0.00005,
        ),
        Level("all name parts agree", _sim("names", hi), 0.06, 0.001),
        # Twins and siblings: one family name, a clearly different given name that no spelling rule explains.
        Level(
            SIBLINGS,
            f"{_sim('family', hi)} AND {_sim('given', mid, op='<')} AND {_sim('skeleton', hi, op='<')}",
            0.0001,
            0.01,
        ),
        Level("name parts close", _sim("names", mid), 0.05, 0.005),
        Level("name skeletons agree", _sim("skeleton", hi), 0.03, 0.005),
        Level("name parts similar", _sim("names", low), 0.01, 0.05),
    ]


def birth_levels(mode: Mode) -> list[Level]:
    same, close, partial, compatible = _THRESHOLDS[mode]["birth"]
    return [
        Level("birth date agrees", _sim("birth", same), 0.80, 0.001),
        Level("birth date close", _sim("birth", close), 0.12, 0.01),
        Level("birth date partly agrees", _sim("birth", partial), 0.06, 0.05),
        Level("birth years compatible", _sim("birth", compatible), 0.018, 0.10),
    ]


def code_levels(mode: Mode, field: str, m: float, u: float) -> list[Level]:
    (same,) = _THRESHOLDS[mode]["code"]
    return [Level(f"{field} agrees", _sim(field, same), m, u)]


def _else_probabilities(levels: Sequence[Level]) -> tuple[float, float]:
    return max(1e-6, 1.0 - sum(lv.m for lv in levels)), max(1e-6, 1.0 - sum(lv.u for lv in levels))


def comparisons(mode: Mode) -> list[Any]:
    """The Splink comparisons: name, birth date, sex and citizenship."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    specs = [
        ("name", "names", name_levels(mode)),
        ("birth", "birth", birth_levels(mode)),
        ("sex", "sex", code_levels(mode, "sex", 0.97, 0.55)),
        ("citizenship", "citizenship", code_levels(mode, "citizenship", 0.90, 0.45)),
    ]
    built = []
    for output, null_column, levels in specs:
        else_m, else_u = _else_probabilities(levels)
        built.append(
            cl.CustomComparison(
                [
                    cll.CustomLevel(
                        f"{null_column}_l IS NULL OR {null_column}_r IS NULL", f"{output} unknown"
                    ).configure(is_null_level=True),
                    *[
                        cll.CustomLevel(lv.sql, lv.label).configure(m_probability=lv.m, u_probability=lv.u)
                        for lv in levels
                    ],
                    cll.ElseLevel().configure(m_probability=else_m, u_probability=else_u),
                ],
                output_column_name=output,
            )
        )
    return built


@dataclass(frozen=True)
class ScoringConfig:
    """How pairs are scored. ``predict_threshold`` only bounds what Splink returns; clustering decides."""

    mode: Mode = "privacy"
    predict_threshold: float = 0.01
    min_records_to_train: int = 2000
    u_max_pairs: float = 1e6
    seed: int = 1
    log_level: int = logging.ERROR


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
    """What the scoring produced."""

    pairs: tuple[ScoredPair, ...]
    trained: bool
    prior: float


def default_prior(records: int) -> float:
    """λ, the chance that two random records match, when there is no training: about one duplicate per
    two records, i.e. n/2 true pairs among n(n-1)/2 pairs."""
    return min(0.5, 1.0 / max(records - 1, 1))


def score_pairs(connection: Any, table: str, records: int, config: ScoringConfig = DEFAULT_SCORING_CONFIG) -> Scoring:
    """Score the candidate pairs of ``table`` (built by ``linking.link``) in the DuckDB ``connection``.

    Candidates are pairs sharing a blocking key; the model is trained with EM when there are at least
    ``config.min_records_to_train`` records, else it keeps the default probabilities.
    """
    try:
        from splink import DuckDBAPI, Linker, SettingsCreator, block_on
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise ConfigError("linkage needs the linkage extra: pip install 'ctdx[linkage]'") from exc

    connection.execute(_MACROS[config.mode])
    blocking = block_on("blocking_keys", arrays_to_explode=["blocking_keys"])
    prior = default_prior(records)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(config.mode),
        blocking_rules_to_generate_predictions=[blocking],
        probability_two_random_records_match=prior,
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
    )
    db = DuckDBAPI(connection)
    linker = Linker(db.register(table, table_name=f"{table}_input"), settings, log_level=config.log_level)
    trained = records >= config.min_records_to_train
    if trained:
        # λ from a deterministic rule (both training keys equal) and that rule's recall; u from random
        # pairs; m by EM in two passes blocked on different fields, as Splink advises, on single keys
        # (EM cannot explode key lists).
        linker.training.estimate_probability_two_random_records_match(
            [block_on("train_names", "train_birth")], recall=training_recall(config.mode)
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=config.u_max_pairs, seed=config.seed)
        for rule in ("train_birth", "train_names"):
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
        prior = float(linker._settings_obj._probability_two_random_records_match)
    predictions = linker.inference.predict(threshold_match_probability=config.predict_threshold, warning_mode="never")
    rows = connection.execute(
        f"SELECT unique_id_l, unique_id_r, match_probability, gamma_name FROM {predictions.physical_name}"
    ).fetchall()
    sibling_gamma = _gamma_of(name_levels(config.mode), SIBLINGS)
    pairs = tuple(
        ScoredPair(str(a), str(b), float(p), int(g) == sibling_gamma)
        for a, b, p, g in rows
        if p is not None and not math.isnan(float(p))
    )
    predictions.drop_table_from_database_and_remove_from_cache()
    return Scoring(pairs=pairs, trained=trained, prior=prior)


def training_recall(mode: Mode) -> float:
    """The share of true pairs whose two training keys are both equal.

    In privacy mode a key is a band of ``rows`` sampled bits, equal for two encodings of the same value
    only if no flipped bit falls in it: (1 - 2f(1-f)) ** rows per field, for two fields; an upper bound, as
    corrupted duplicates agree less. In plaintext mode the keys are exact tokens; 0.7 is Splink's usual
    assumption for such rules.
    """
    if mode == "plaintext":
        return 0.7
    from ctdx.linkage.blocking import DEFAULT_LSH_CONFIG
    from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG

    f = DEFAULT_ENCODING_CONFIG.flip_probability
    return float((1 - 2 * f * (1 - f)) ** (2 * DEFAULT_LSH_CONFIG.rows))


def _gamma_of(levels: Sequence[Level], label: str) -> int:
    """Splink numbers levels from the top: the else level is 0, the null level -1."""
    index = [lv.label for lv in levels].index(label)
    return len(levels) - index
