"""The benchmark dataset D1: a seeded ``ctdx sample`` cohort through the publication schema, split 80/20.

Nothing is downloaded: the cohort comes from the generator, so the same seed gives the same data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ctdx.privacy import PublicationSchema, PublicationTable, load_publication_schema, publish_records
from ctdx.release.files import write_csv
from ctdx.sample import generate_cohort

OUT = Path(__file__).resolve().parent / "out"
FIRST_YEAR, LAST_YEAR = 2000, 2026
SPLIT_SEED = 20261129


def schema() -> PublicationSchema:
    return load_publication_schema(first_year=FIRST_YEAR, last_year=LAST_YEAR)


def d1(cases: int = 100_000, seed: int = 7) -> tuple[PublicationTable, PublicationTable]:
    """Train (80 %) and control (20 %) tables of a generated cohort of ``cases`` records."""
    cohort = generate_cohort(cases, 10, seed)
    # every generated record enters: the benchmark measures the methods, not the consent filter
    publication = publish_records(cohort.records(), schema(), consent=lambda record: True)
    table = publication.table
    order = np.random.default_rng(SPLIT_SEED).permutation(len(table))
    cut = int(0.8 * len(table))
    train, control = np.zeros(len(table), dtype=bool), np.zeros(len(table), dtype=bool)
    train[order[:cut]] = True
    control[order[cut:]] = True
    return table.take(train), table.take(control)


def save(table: PublicationTable, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, table.schema.names, table.rows())
