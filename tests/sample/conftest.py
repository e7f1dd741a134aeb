"""A 20,000-record cohort shared by the sample tests (generated once per session: about a second)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ctdx.model import CaseRecord
from ctdx.sample import CohortChunk, TruthRow, generate_cohort


@dataclass(frozen=True)
class Generated:
    records: list[CaseRecord]
    truth: list[TruthRow]
    chunks: list[CohortChunk]


@pytest.fixture(scope="session")
def cohort_20k() -> Generated:
    cohort = generate_cohort(20_000, 4, seed=2024)
    chunks = list(cohort.chunks())
    return Generated(
        records=[r for c in chunks for r in c.records()],
        truth=[t for c in chunks for t in c.truth()],
        chunks=chunks,
    )
