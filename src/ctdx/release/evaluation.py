"""Measured utility and privacy of a release's microdata, for its report.

**Against what.** Each released table is compared with the consented source table that entered the release:
the k-anonymous microdata with the source generalised to the levels the release chose (so a value is only
"wrong" when the file lost it), the synthetic microdata with the source as it is, counts scaled by the ratio of
row numbers. Missing is a category in k-marginal and TVD (as in SDNist); combination metrics and flag shares
follow the CTDC denominator rule (data-standard.md 6.6): a value counts only where it is known.

**What is published.** The scores are computed from the real data and are NOT differentially private (as in
SDS and CTDC releases); so only coarse summaries are published (means over thousands of combinations,
percentages, attack rates), never a per-combination count. We chose not to noise them: a handful of averages
over the whole table carry little about any one person, and noise would blur the figures users rely on to
judge the release. The report says so.

**The control split.** Attacks in the manner of anonymeter need records the generator never saw. A release
with synthetic microdata therefore holds out a stated fraction (``holdout``, an explicit parameter recorded in
the report) of the consented records from the synthesis fit only: the k-anonymous microdata and the DP
tables use every consented record, the synthesis is fitted on the rest, and the synthetic table has as many
rows as the source. The attacks (singling out, linkability, inference) target every control row, or at most
``attack_targets`` of them (stated), against as many training rows. The k-anonymous file is not attacked
this way (its control rows would be in it); its guarantees are k verified from the written file and no
leakage of source combinations rarer than k (which must be 0: the build refuses otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ctdx.privacy.hierarchies import TOP, build_hierarchy
from ctdx.privacy.kanon import KAnonymousTable
from ctdx.privacy.risk import exact_copies, inference_risks, linkability_risk, rare_leakage, singling_out_risk
from ctdx.privacy.schema import PublicationTable
from ctdx.privacy.utility import (
    TVD_SEED,
    TVD_SETS,
    Matrix,
    combination_report,
    encode,
    flag_share_errors,
    k_marginal,
    three_way_tvd,
)

# What an attacker most plausibly knows about a person (the demographics of DEFAULT_QUASI_IDENTIFIERS).
ATTACKER_KNOWS = ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation")
LINK_HALF_A = ("yearOfRegistration", "gender", "ageBroad", "majorityStatus")
LINK_HALF_B = ("citizenship", "CountryOfExploitation", "isForcedLabour", "isSexualExploit", "isOtherExploit")
LINK_NEIGHBOURS = 10
SINGLING_OUT_COLUMNS = 6  # with 29 mostly binary columns, 4 seldom isolate a row (too few queries)
COMBINATION_LENGTHS = (1, 2, 3, 4)
COMBINATION_SETS = 300  # column sets measured per length, at most
LEAKAGE_SETS = 500

NOT_DP = (
    "These scores compare the released tables with the real source table; they are computed from the real data "
    "and are not differentially private (as in SDS and CTDC releases). Only coarse summaries are published: "
    "means, percentages and attack rates, never a count of a combination of the source."
)
DENOMINATOR = (
    "Combination metrics and flag shares follow CTDC's denominator rule: a record counts only where the value "
    "is known, and a flag's share is taken over the records with any value in its group, never over all records. "
    "k-marginal and 3-way TVD treat missing as a category, as SDNist does."
)


@dataclass(frozen=True)
class Split:
    """Which consented rows fit the synthesis (train) and which were held out for the attacks (control)."""

    holdout: float
    train: PublicationTable
    control: PublicationTable


def split_for_attacks(table: PublicationTable, holdout: float, rng: np.random.Generator) -> Split:
    """Hold out ``round(holdout * rows)`` random rows (at least one) from the synthesis fit."""
    held = max(1, round(holdout * len(table)))
    mask = np.zeros(len(table), dtype=bool)
    mask[rng.choice(len(table), held, replace=False)] = True
    return Split(holdout, table.take(~mask), table.take(mask))


def generalised_source(table: PublicationTable, micro: KAnonymousTable) -> list[tuple[str, ...]]:
    """The source rows in the microdata's columns, each quasi-identifier at the level the release chose."""
    columns: list[list[str]] = []
    for name in micro.header:
        level = micro.levels.get(name)
        if level is None:
            columns.append(table.values(name))
            continue
        tree = build_hierarchy(table.schema.column(name))
        labels = tree.labels[level]
        columns.append([labels[i] for i in tree.generalise(table.codes[name], level).tolist()])
    return list(zip(*columns, strict=True))


def _utility(
    header: Sequence[str], source: Matrix, release: Matrix, radix: int, books: list[dict[str, int]], groups: Any
) -> dict[str, Any]:
    in_header = {g: [header.index(c) for c in cols if c in header] for g, cols in groups.items()}
    positive = {j: books[j]["1"] for j in range(len(header)) if "1" in books[j]}
    flags = {g: cols for g, cols in in_header.items() if cols}
    out: dict[str, Any] = {
        "rows_source": len(source),
        "rows_release": len(release),
        "combinations": combination_report(
            source, release, scale=len(source) / max(len(release), 1), limit=COMBINATION_SETS
        ),
        "flag_shares": flag_share_errors(source, release, flags, positive),
    }
    if len(header) >= 2:
        out["k_marginal"] = k_marginal(source, release, radix)
    if len(header) >= 3:
        out["three_way_tvd"] = three_way_tvd(source, release, radix)
    return out


def _unsuppressed(rows: Sequence[Sequence[str]]) -> list[list[str]]:
    return [["" if v == TOP else v for v in row] for row in rows]


def evaluate_microdata(
    table: PublicationTable, micro: KAnonymousTable, rows: Sequence[Sequence[str]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Utility of the k-anonymous ``rows`` (as read back from the written file) and their rare-combination
    leakage over the quasi-identifiers (combinations of the generalised source rarer than k found in the file)."""
    header = list(micro.header)
    generalised = generalised_source(table, micro)
    # for utility a suppressed value (``*``) is a lost value, not a new one: count it as unknown
    (source_u, release_u), radix_u, books_u = encode(header, _unsuppressed(generalised), _unsuppressed(rows))
    utility = _utility(header, source_u, release_u, radix_u, books_u, table.schema.groups())
    (source, release), _, _ = encode(header, generalised, rows)
    qis = [header.index(q) for q in micro.quasi_identifiers]
    leakage = rare_leakage(
        source[:, qis],
        release[:, qis],
        below=micro.k,
        lengths=COMBINATION_LENGTHS,
        limit=LEAKAGE_SETS,
        seed=11,
        whole=True,
    )
    leaked = int(sum(v["leaked"] for v in leakage.values()))
    privacy = {
        "rare_combinations": {
            "below": micro.k,
            "over": "the quasi-identifiers (other published columns are not protected by k)",
            "by_length": leakage,
            "leaked_total": leaked,
            "required": 0,
        }
    }
    return utility, privacy


def evaluate_synthetic(
    table: PublicationTable,
    split: Split,
    synthetic: PublicationTable,
    *,
    k: int,
    attack_targets: int,
    seed: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Utility of the synthetic table against the source, and its privacy: exact copies, rare combinations,
    and the three anonymeter-style attacks with 95 % intervals."""
    header = list(table.schema.names)
    (source, train, control, release), radix, books = encode(
        header, table.rows(), split.train.rows(), split.control.rows(), synthetic.rows()
    )
    utility = _utility(header, source, release, radix, books, table.schema.groups())
    index = {name: j for j, name in enumerate(header)}
    aux = [index[c] for c in ATTACKER_KNOWS if c in index]
    secrets = [j for j in range(len(header)) if j not in aux]
    inference = inference_risks(train, control, release, aux, secrets, attack_targets, seed)
    by_secret = {header[j]: r for j, r in zip(secrets, inference, strict=True)}
    # the worst secret by its point risk (a near-constant secret has a control rate near 1 and a meaningless,
    # wide upper bound: see ``by_secret``)
    worst = max(by_secret, key=lambda name: (by_secret[name]["risk"], by_secret[name]["risk_high"]))
    privacy = {
        "exact_copies": {
            "of_source": exact_copies(source, release),
            "of_training_rows": exact_copies(train, release),
            "of_control_rows": exact_copies(control, release),
            "note": "copies of control rows (never seen by the fit) are the baseline of chance matches",
        },
        "rare_combinations": {
            "below": k,
            "over": "every column; informational (DP bounds what any one case changes, not which rare values appear)",
            "by_length": rare_leakage(
                source, release, below=k, lengths=COMBINATION_LENGTHS, limit=100, seed=13, whole=False
            ),
        },
        "attacks": {
            "method": "anonymeter-style (Giomi et al., PoPETs 2023): risk = (main - control) / (1 - control), "
            "95 % Wilson intervals carried to the risk",
            "control_split": {
                "holdout": split.holdout,
                "training_rows": len(split.train),
                "control_rows": len(split.control),
                "targets": min(attack_targets, len(split.control)),
                "max_targets": attack_targets,
            },
            "singling_out": {
                "columns_per_query": SINGLING_OUT_COLUMNS,
                **singling_out_risk(
                    train, control, release, columns=SINGLING_OUT_COLUMNS, queries=attack_targets, seed=seed + 1
                ),
            },
            "linkability": {
                "aux_a": [c for c in LINK_HALF_A if c in index],
                "aux_b": [c for c in LINK_HALF_B if c in index],
                "neighbours": LINK_NEIGHBOURS,
                **linkability_risk(
                    train,
                    control,
                    release,
                    aux_a=[index[c] for c in LINK_HALF_A if c in index],
                    aux_b=[index[c] for c in LINK_HALF_B if c in index],
                    neighbours=LINK_NEIGHBOURS,
                    attacks=attack_targets,
                    seed=seed + 2,
                ),
            },
            "inference": {
                "aux": [header[j] for j in aux],
                "worst_secret": worst,
                "worst": by_secret[worst],
                "by_secret": by_secret,
            },
        },
    }
    return utility, privacy


def utility_notes() -> dict[str, Any]:
    """The statements every utility section carries."""
    return {
        "not_dp": NOT_DP,
        "denominator_rule": DENOMINATOR,
        "three_way_tvd": {"seed": TVD_SEED, "max_sets": TVD_SETS},
        "combination_lengths": list(COMBINATION_LENGTHS),
        "combination_sets_per_length": COMBINATION_SETS,
    }
