"""A small real release for the portal and analytics tests, built once per session from a sample cohort."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ctdx.privacy.aggregates import select_breakdowns
from ctdx.privacy.ledger import create_ledger
from ctdx.privacy.publication import checkbox_consent, publish_records
from ctdx.privacy.schema import PublicationTable, load_publication_schema
from ctdx.release import DEFAULT_QUASI_IDENTIFIERS, ReleaseConfig, build_release
from ctdx.sample import generate_cohort
from ctdx.store.keyring import new_keyring

BREAKDOWNS = ("year_gender_age", "flows", "exploitation", "means_of_control")


@dataclass(frozen=True)
class BuiltFixture:
    path: Path
    table: PublicationTable
    slug: str


def build_test_release(directory: Path, *, cases: int = 1500, synthetic: bool = True) -> BuiltFixture:
    schema = load_publication_schema(first_year=2010, last_year=2024)
    table = publish_records(generate_cohort(cases, 3, 11).records(), schema, consent=checkbox_consent).table
    ledger = directory / "ledger.json"
    keyring = new_keyring()
    create_ledger(ledger, dataset="portal-tests", epsilon_budget=20, delta_budget=1e-4, keyring=keyring)
    config = ReleaseConfig(
        name="portal-test",
        version="1.0.0",
        title="Portal test release",
        k=5,
        suppression_limit=0.1,
        quasi_identifiers=DEFAULT_QUASI_IDENTIFIERS,
        epsilon=4.0,
        delta=1e-6,
        threshold=12,
        breakdowns=select_breakdowns(BREAKDOWNS),
        citation="Portal test release (2026), version 1.0.0",
        sources=({"title": "ctdx sample cohort, seed 11"},),
        synthetic_epsilon=2.0 if synthetic else None,
        synthetic_delta=1e-6 if synthetic else None,
        seed=5,
        holdout=0.2 if synthetic else None,
        attack_targets=200 if synthetic else None,
    )
    out = directory / "release"
    build_release(out, table, config, ledger=ledger, keyring=keyring)
    return BuiltFixture(out, table, "portal-test-1.0.0")


@cache
def shared_test_release(cases: int) -> BuiltFixture:
    """One release per test process for the portal and analytics tests (they only read it)."""
    directory = Path(tempfile.mkdtemp(prefix="ctdx-portal-tests-"))
    atexit.register(shutil.rmtree, directory, True)
    return build_test_release(directory, cases=cases)
