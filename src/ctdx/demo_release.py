"""The demo's release step: an open-data release of the demo cohort, with its guarantees verified.

The privacy parameters are the demo's, stated in ``DemoRelease`` and printed with the result, never hidden
defaults of the library (which has none): k-anonymous microdata at ``k`` with at most ``suppression_limit``
of rows suppressed, and DP aggregate tables at ``epsilon`` (discrete Laplace) with counts below
``threshold`` suppressed. The spend goes to the dataset's privacy-loss ledger before any noise is drawn; a
release that already exists is verified again instead of being rebuilt, so running the demo twice spends
nothing twice. The ledger is chained with a key of the demo store's keyring (the same key file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ctdx.model import CaseRecord
from ctdx.privacy.aggregates import select_breakdowns
from ctdx.privacy.ledger import create_ledger
from ctdx.privacy.publication import checkbox_consent
from ctdx.privacy.schema import load_publication_schema
from ctdx.release import (
    DEFAULT_QUASI_IDENTIFIERS,
    ReleaseConfig,
    Verification,
    build_release,
    read_table,
    verify_release,
    write_publication,
)
from ctdx.store.keyring import Keyring

RELEASE_NAME = "ctdx-demo"
RELEASE_VERSION = "1.0.0"


@dataclass(frozen=True)
class DemoRelease:
    """The demo release's parameters, all of them visible to the user (``ctdx demo --help``)."""

    k: int
    suppression_limit: float
    epsilon: float
    threshold: int
    epsilon_budget: float
    first_year: int = 2002
    last_year: int = 2023


@dataclass(frozen=True)
class ReleaseOutcome:
    path: Path
    built_now: bool
    consented_cases: int | None
    verification: Verification


def build_demo_release(
    directory: Path, records: Iterable[CaseRecord], params: DemoRelease, *, keyring: Keyring
) -> ReleaseOutcome:
    """Build (or, when it exists, re-verify) the demo release under ``directory``."""
    out = directory / f"{RELEASE_NAME}-{RELEASE_VERSION}"
    consented: int | None = None
    if not (out / "datapackage.json").exists():
        directory.mkdir(parents=True, exist_ok=True)
        ledger = directory / "ledger.json"
        if not ledger.exists():
            create_ledger(
                ledger, dataset=RELEASE_NAME, epsilon_budget=params.epsilon_budget, delta_budget=0.0, keyring=keyring
            )
        schema = load_publication_schema(first_year=params.first_year, last_year=params.last_year)
        table_path = directory / "publication.csv"
        consented = len(write_publication(table_path, records, schema, consent=checkbox_consent).table)
        config = ReleaseConfig(
            name=RELEASE_NAME,
            version=RELEASE_VERSION,
            title="ctdx demo release (generated sample cohort, not real people)",
            k=params.k,
            suppression_limit=params.suppression_limit,
            quasi_identifiers=DEFAULT_QUASI_IDENTIFIERS,
            epsilon=params.epsilon,
            delta=0.0,
            threshold=params.threshold,
            breakdowns=select_breakdowns([]),
            sources=({"title": "ctdx sample cohort of the demo"},),
            changes=("First demo release.",),
        )
        build_release(out, read_table(table_path, schema), config, ledger=ledger, keyring=keyring)
        table_path.unlink()  # the publication table is an intermediate file of consented cases: not kept
    return ReleaseOutcome(out, consented is not None, consented, verify_release(out, keyring))
