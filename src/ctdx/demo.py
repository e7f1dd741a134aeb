"""The demo: what `make demo` shows a new user, end to end, on the embedded SQLite default.

It generates a sample cohort for three organisations (``ctdx.sample``), imports each organisation's file
through the same pipeline as ``ctdx import`` (validation report, quarantine, one transaction per file),
summarises the store (cases by organisation, by exploitation type and by country pair, and where the
database and its key live), then screens every case and makes the referrals its consent allows
(``ctdx.demo_casework``), has each organisation contribute its consented cases from its store to a demo hub
that counts distinct victims without names, against the generator's truth (``ctdx.demo_linkage``), and
builds and verifies an open-data release of the consented cases with the privacy parameters the user sees
(``ctdx.demo_release``). Running it again changes nothing: the cohort is deterministic per seed, imports
are idempotent on source record ids, consents are recorded once, re-contributed cases replace their
earlier versions at the hub, and an existing release is re-verified.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ctdx.demo_casework import CaseworkSummary, screen_and_refer, stored_casework
from ctdx.demo_linkage import LinkageOutcome, run_demo_linkage
from ctdx.demo_release import DemoRelease, ReleaseOutcome, build_demo_release
from ctdx.errors import ConflictError
from ctdx.ingest import ImportResult, import_file
from ctdx.sample import generate_cohort, write_cohort
from ctdx.settings import Settings
from ctdx.store import CaseCounts, load_keyring, open_store

DEMO_CASES = 3_000
DEMO_ORGANISATIONS = 3
DEMO_SEED = 2026


@dataclass
class DemoSummary:
    """What the demo did and where things are."""

    cohort_dir: Path
    database_url: str
    key_file: Path
    imports: dict[str, ImportResult] = field(default_factory=dict)
    counts: CaseCounts | None = None
    casework: CaseworkSummary | None = None
    linkage: LinkageOutcome | None = None
    release: ReleaseOutcome | None = None


def prepare_cohort(directory: Path, cases: int, orgs: int, seed: int) -> Path:
    """The cohort files in ``directory``, generated unless a cohort with the same parameters is already there."""
    manifest = directory / "manifest.json"
    if manifest.exists():
        written = json.loads(manifest.read_text(encoding="utf-8"))
        if (written.get("seed"), written.get("cases"), written.get("organisations")) == (seed, cases, orgs):
            return directory
        raise ConflictError("the demo directory holds another cohort; remove it or choose another", path=str(directory))
    write_cohort(generate_cohort(cases, orgs, seed), directory)
    return directory


def run_demo(
    settings: Settings,
    *,
    cases: int = DEMO_CASES,
    orgs: int = DEMO_ORGANISATIONS,
    seed: int = DEMO_SEED,
    release: DemoRelease | None = None,
    today: dt.date | None = None,
    on_step: Callable[[str], None] = lambda _message: None,
) -> DemoSummary:
    """Generate, import and summarise; see the module docstring."""
    today = today or dt.date.today()
    cohort_dir = prepare_cohort(settings.data_dir / "cohort", cases, orgs, seed)
    on_step(f"cohort of {cases:,} cases for {orgs} organisations in {cohort_dir}")
    organisations = json.loads((cohort_dir / "organisations.json").read_text(encoding="utf-8"))
    summary = DemoSummary(cohort_dir, settings.database_url, settings.key_file)
    with open_store(settings, create=True) as store:
        for org in organisations:
            store.ensure_organisation(org["code"], org["name"], org.get("org_Type"), org.get("country"))
            path = cohort_dir / f"{org['code']}.csv"
            result = import_file(path, org["code"], store, data_dir=settings.data_dir)
            summary.imports[org["code"]] = result
            on_step(f"imported {path.name}: {result.report.rows_valid:,} valid, {result.refused:,} refused")
        codes = [org["code"] for org in organisations]
        summary.counts = store.case_counts(codes)
        on_step("screening every case from its record and referring, with consent, to the next organisation")
        done = screen_and_refer(store, generate_cohort(cases, orgs, seed).records(), codes, today=today)
        summary.casework = stored_casework(store, codes, done)
        on_step("each organisation contributes its consented cases to the demo hub, which links them without names")
        summary.linkage = run_demo_linkage(
            store,
            generate_cohort(cases, orgs, seed).records(),
            codes,
            data_dir=settings.data_dir,
            cohort_dir=cohort_dir,
            today=today,
            on_step=on_step,
        )
    if release is not None:
        on_step(f"building the open-data release (k={release.k}, epsilon={release.epsilon:g}) and verifying it")
        summary.release = build_demo_release(
            settings.data_dir / "release",
            generate_cohort(cases, orgs, seed).records(),
            release,
            keyring=load_keyring(settings),
        )
    return summary
