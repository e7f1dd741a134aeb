"""The demo's linkage step: three organisations contribute from their stores, the hub counts distinct victims.

After the casework step, each demo organisation records the data-sharing consent its records document
(HTCDS ``con_Consent``: a person who consented is recorded as consenting to share de-identified data with
the demo hub; nobody else is), builds a signed contribution from its own store
(``ctdx.linkage.store_contribution``: consented cases only, decrypted inside the organisation, audited),
and the demo hub (a SQLite database of its own, ``hub.sqlite``, beside the organisations' store) registers
their public keys, verifies and stores the packages and links them. The demo then compares the hub's
count and its range with the generator's truth (``truth.csv``: the persons behind the contributed cases)
and the hub's overlap between organisations (by the person ids, and expected) with the true overlap. Only
the demo can do this comparison, because it holds the truth and the linkage secret; the hub holds neither.

Running it again records no consent twice. An organisation whose store has not changed since its last
contribution (same cases, same consent decisions, same day, secret and encoding config: ``state.json``)
is not contributed again, and when no package arrived the hub's last linkage run is shown again, so a
second run prints the first run's figures. A changed store is contributed again and the hub replaces each
case's earlier version (``replaced``) or deletes it (consent withdrawn) and links again.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import os
import resource
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from sqlalchemy import select

from ctdx.casework import Purpose, casework_session, record_consent
from ctdx.linkage.contribution import (
    case_reference,
    generate_signing_key,
    load_signing_key,
    public_key_text,
    signing_key_to_pem,
)
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, LinkageSecret
from ctdx.linkage.hub import Hub, Receipt
from ctdx.linkage.store_contribution import contribute_from_store
from ctdx.model import CaseRecord
from ctdx.model.records import SourceRef
from ctdx.settings import sqlite_url
from ctdx.store import Store
from ctdx.store.tables import Case, Consent, Organisation

DEMO_HUB = "ctdx-demo-hub"
CONSENT_SYSTEM = "demo-consent"
CONTRIBUTION_SYSTEM = "demo-contribution"


@dataclass(frozen=True)
class OrganisationOutcome:
    """What one organisation contributed, and what the hub did with it."""

    included: int
    withdrawn: int
    left_out: int
    receipt: Receipt | None  # None: the store had not changed since the package the hub holds


@dataclass
class LinkageOutcome:
    """The hub's count against the truth; every figure here is a count, never a person."""

    hub_database: str
    consents_recorded: int
    organisations: dict[str, OrganisationOutcome] = field(default_factory=dict)
    contributed: int = 0
    estimate: int = 0
    low: int = 0
    high: int = 0
    truth: int = 0
    overlap: dict[tuple[str, str], int] = field(default_factory=dict)
    expected_overlap: dict[tuple[str, str], float] = field(default_factory=dict)
    true_overlap: dict[tuple[str, str], int] = field(default_factory=dict)
    pair_precision: float = 0.0
    pair_recall: float = 0.0
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per phase: consent, contribute, link
    range_method: str = ""
    method: str = ""
    person_ids: int = 0

    @property
    def relative_error(self) -> float:
        return (self.estimate - self.truth) / self.truth if self.truth else 0.0

    @property
    def truth_in_range(self) -> bool:
        return self.low <= self.truth <= self.high

    def lines(self) -> list[str]:
        """The summary as the demo prints it."""
        out = [
            f"linkage at the hub ({self.hub_database}): {self.contributed:,} cases contributed with consent, "
            f"{self.estimate:,} distinct victims (range {self.low:,}-{self.high:,}); "
            f"the generator's truth: {self.truth:,} persons (error {self.relative_error:+.1%}, "
            f"truth {'inside' if self.truth_in_range else 'OUTSIDE'} the range)",
        ]
        if self.method:
            out.append(f"  the count: {self.method}")
        if self.range_method:
            out.append(f"  the range: {self.range_method}")
        out.append(
            f"  {self.person_ids:,} person ids (cases joined by confident links only: each pair below the match "
            "threshold stays two persons)"
        )
        for org, outcome in sorted(self.organisations.items()):
            receipt = outcome.receipt
            hub_did = (
                "unchanged since its last contribution, which the hub holds"
                if receipt is None
                else f"hub: {receipt.added:,} added, {receipt.replaced:,} replaced, {receipt.deleted:,} deleted"
            )
            out.append(
                f"  {org}: {outcome.included:,} contributed, {outcome.withdrawn:,} without a data-sharing consent "
                f"(withdrawn), {outcome.left_out} left out; {hub_did}"
            )
        for pair in sorted(set(self.overlap) | set(self.expected_overlap) | set(self.true_overlap)):
            confident = self.overlap.get(pair, 0)
            truth = f"truth {self.true_overlap.get(pair, 0):,}"
            shared = (
                f"about {self.expected_overlap[pair]:,.0f} persons "
                f"(expected; {confident:,} by confident links; {truth})"
                if pair in self.expected_overlap
                else f"{confident:,} persons ({truth})"
            )
            out.append(f"  {pair[0]} and {pair[1]} share {shared}")
        out.append(
            f"  pairs of cases linked: precision {self.pair_precision:.3f}, recall {self.pair_recall:.3f} "
            f"(against the truth); CPU seconds: "
            + ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in self.cpu_seconds.items())
        )
        return out


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _secret(directory: Path) -> LinkageSecret:
    """The organisations' shared linkage secret: created once, kept 0600 in the demo directory, never at the hub."""
    path = directory / "linkage.secret"
    if not path.exists():
        _private(path, (LinkageSecret.generate().to_text() + "\n").encode())
    return LinkageSecret.from_text(path.read_text(encoding="ascii"))


def _signing_key_pem(directory: Path, org: str) -> bytes:
    path = directory / "keys" / f"{org}.pem"
    if not path.exists():
        _private(path, signing_key_to_pem(generate_signing_key()))
    return path.read_bytes()


def record_sharing_consents(store: Store, records: Iterable[CaseRecord], org_codes: list[str], today: dt.date) -> int:
    """Record a data-sharing consent to the demo hub for each imported case whose record says the person
    consented (``con_Consent``), unless one is recorded already; returns how many were recorded now."""
    consenting: dict[str, set[str]] = {}
    for record in records:
        if record.get("con_Consent") is True:
            consenting.setdefault(record.source.system, set()).add(record.source.record_id)
    recorded = 0
    for org in org_codes:
        wanted = consenting.get(org, set())
        with store.transaction() as session:
            org_id = session.scalars(select(Organisation.id).where(Organisation.code == org)).one()
            has_consent = select(Consent.case_id).where(Consent.purpose == Purpose.DATA_SHARING.value)
            rows = session.execute(
                select(Case.source_record_id, Case.id).where(
                    Case.organisation_id == org_id, Case.id.not_in(has_consent)
                )
            ).all()
        todo: list[uuid.UUID] = [case_id for source_id, case_id in rows if source_id in wanted]
        if not todo:
            continue
        with casework_session(store, system=CONSENT_SYSTEM, organisation=org) as ctx:
            for case_id in todo:
                record_consent(ctx, case_id, Purpose.DATA_SHARING, granted=True, decided_on=today, recipient=DEMO_HUB)
                recorded += 1
    return recorded


def _store_state(store: Store, org: str, secret: LinkageSecret, today: dt.date) -> str:
    """A digest of what a contribution of ``org`` depends on: its cases' content, its consent decisions, the
    day (consents expire), the secret's fingerprint and the encoding config. Equal digest, equal package."""
    digest = hashlib.sha256(f"{today.isoformat()}|{secret.fingerprint}|".encode())
    digest.update(json.dumps(DEFAULT_ENCODING_CONFIG.describe(), sort_keys=True, default=str).encode())
    with store.transaction(read_only=True) as session:
        org_id = session.scalars(select(Organisation.id).where(Organisation.code == org)).one()
        own = Case.organisation_id == org_id
        for row in session.execute(select(Case.id, Case.content_hash).where(own).order_by(Case.id)):
            digest.update(repr(tuple(row)).encode())
        decisions = select(Consent.id, Consent.status).join(Case, Case.id == Consent.case_id).where(own)
        for row in session.execute(decisions.order_by(Consent.id)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _stale_hub(path: Path, hub_url: str) -> bool:
    """Whether the demo's hub exists and holds packages encoded otherwise than this version encodes."""
    if not path.exists():
        return False
    with Hub(hub_url, create=True) as hub:
        stored = hub.encoding()
    expected = json.loads(json.dumps(DEFAULT_ENCODING_CONFIG.describe(), default=str))
    return stored is not None and stored != expected


def _truth(cohort_dir: Path) -> dict[tuple[str, str], str]:
    """(organisation, source record id) -> the generator's person id."""
    with (cohort_dir / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return {(row["org"], row["source_record_id"]): row["person_id"] for row in csv.DictReader(handle)}


def _pairs(groups: Iterable[list[str]]) -> set[tuple[str, str]]:
    return {pair for members in groups for pair in combinations(sorted(members), 2)}


def run_demo_linkage(
    store: Store,
    records: Iterable[CaseRecord],
    org_codes: list[str],
    *,
    data_dir: Path,
    cohort_dir: Path,
    today: dt.date,
    on_step: Callable[[str], None] = lambda _message: None,
) -> LinkageOutcome:
    """Consent, contribute, receive, link and compare with the truth; see the module docstring."""
    start = _cpu()
    directory = data_dir / "linkage"
    hub_url = sqlite_url(data_dir / "hub.sqlite")
    recorded = record_sharing_consents(store, records, org_codes, today)
    outcome_cpu = {"consent": _cpu() - start}
    on_step(f"recorded {recorded:,} consents to share de-identified data with {DEMO_HUB} (from con_Consent)")
    secret = _secret(directory)
    outcome = LinkageOutcome(hub_database=hub_url, consents_recorded=recorded, cpu_seconds=outcome_cpu)
    included: dict[str, tuple[SourceRef, ...]] = {}
    state_file = directory / "state.json"
    states = json.loads(state_file.read_text(encoding="utf-8")) if state_file.exists() else {}
    if _stale_hub(data_dir / "hub.sqlite", hub_url):
        # The demo's own hub holds packages of an earlier encoding (another format or name salt) and would
        # refuse every new package: it is derived data, so it starts again.
        (data_dir / "hub.sqlite").unlink()
        states = {}
        on_step("the demo's hub held packages of an earlier encoding; it starts again")
    with Hub(hub_url, create=True) as hub:
        for org in org_codes:
            key = load_signing_key(_signing_key_pem(directory, org))
            hub.register_organisation(org, public_key_text(key))
            state = _store_state(store, org, secret, today)
            known = states.get(org, {})
            if known.get("state") == state and hub.received(str(known.get("package_id"))):
                included[org] = tuple(SourceRef(system=a, record_id=b) for a, b in known["included"])
                outcome.organisations[org] = OrganisationOutcome(
                    len(included[org]), int(known["withdrawn"]), int(known["left_out"]), None
                )
                on_step(f"{org}: nothing changed in its store since its last contribution, which the hub holds")
                continue
            with casework_session(store, system=CONTRIBUTION_SYSTEM, organisation=org) as ctx:
                report = contribute_from_store(ctx, DEMO_HUB, secret=secret, signing_key=key)
            _private(directory / "packages" / f"{org}.json", report.package)
            receipt = hub.receive(report.package)
            outcome.organisations[org] = OrganisationOutcome(
                report.included, report.withdrawn, len(report.problems), receipt
            )
            included[org] = report.included_sources
            states[org] = {
                "state": state,
                "package_id": report.package_id,
                "included": [[s.system, s.record_id] for s in report.included_sources],
                "withdrawn": report.withdrawn,
                "left_out": len(report.problems),
            }
            on_step(
                f"{org} contributed {report.included:,} consented cases from its store; the hub verified the "
                f"signature and stored them ({receipt.added:,} added, {receipt.replaced:,} replaced)"
            )
        _private(state_file, json.dumps(states, indent=1, sort_keys=True).encode())
        mark = _cpu()
        outcome_cpu["contribute and receive"] = mark - start - outcome_cpu["consent"]
        summary = hub.last_run()
        if summary is None or any(o.receipt is not None for o in outcome.organisations.values()):
            on_step("the hub links the encodings (no names, no birth dates) into persons")
            summary = hub.link().summary()
        else:
            on_step("the hub's last linkage run covers every package it holds: not run again")
        outcome_cpu["link"] = _cpu() - mark
        persons = hub.persons()
    truth = _truth(cohort_dir)
    true_person: dict[str, str] = {}
    hub_person: dict[str, str] = {}
    for org, sources in included.items():
        for source in sources:
            key_id = f"{org}:{source.record_id}"
            true_person[key_id] = truth[(org, source.record_id)]
            hub_person[key_id] = persons.get((org, case_reference(secret, org, source))) or key_id
    outcome.contributed = len(true_person)
    outcome.estimate = int(summary["distinct_persons"])
    outcome.low, outcome.high = (int(n) for n in summary["distinct_persons_range"])
    outcome.range_method = str(summary.get("distinct_persons_range_method", ""))
    outcome.method = str(summary.get("distinct_persons_method", ""))
    outcome.person_ids = int(summary.get("person_ids", outcome.estimate))
    outcome.truth = len(set(true_person.values()))
    outcome.overlap = {
        (str(o["organisations"][0]), str(o["organisations"][1])): int(o["persons"]) for o in summary["overlap"]
    }
    outcome.expected_overlap = {
        (str(o["organisations"][0]), str(o["organisations"][1])): float(o["expected_persons"])
        for o in summary["overlap"]
        if "expected_persons" in o
    }
    outcome.true_overlap = _true_overlap(true_person)
    true_pairs = _pairs(_groups(true_person).values())
    found_pairs = _pairs(_groups(hub_person).values())
    both = len(true_pairs & found_pairs)
    outcome.pair_precision = both / len(found_pairs) if found_pairs else 1.0
    outcome.pair_recall = both / len(true_pairs) if true_pairs else 1.0
    _private(directory / "summary.json", json.dumps(_as_json(outcome), indent=1, sort_keys=True).encode())
    return outcome


def _groups(person_of: dict[str, str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for record, person in person_of.items():
        groups.setdefault(person, []).append(record)
    return groups


def _true_overlap(true_person: dict[str, str]) -> dict[tuple[str, str], int]:
    orgs_of: dict[str, set[str]] = {}
    for record, person in true_person.items():
        orgs_of.setdefault(person, set()).add(record.split(":", 1)[0])
    counts: Counter[tuple[str, str]] = Counter()
    for orgs in orgs_of.values():
        for pair in combinations(sorted(orgs), 2):
            counts[pair] += 1
    return dict(counts)


def _as_json(outcome: LinkageOutcome) -> dict[str, object]:
    return {
        "contributed": outcome.contributed,
        "distinct_persons": outcome.estimate,
        "distinct_persons_range": [outcome.low, outcome.high],
        "distinct_persons_range_method": outcome.range_method,
        "distinct_persons_method": outcome.method,
        "person_ids": outcome.person_ids,
        "truth": outcome.truth,
        "relative_error": outcome.relative_error,
        "truth_in_range": outcome.truth_in_range,
        "overlap": [{"organisations": list(k), "persons": v} for k, v in sorted(outcome.overlap.items())],
        "expected_overlap": [
            {"organisations": list(k), "persons": v} for k, v in sorted(outcome.expected_overlap.items())
        ],
        "true_overlap": [{"organisations": list(k), "persons": v} for k, v in sorted(outcome.true_overlap.items())],
        "pair_precision": outcome.pair_precision,
        "pair_recall": outcome.pair_recall,
        "cpu_seconds": outcome.cpu_seconds,
    }
