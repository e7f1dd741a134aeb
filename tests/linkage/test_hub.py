"""The hub end to end: three organisations contribute signed packages; the hub links them without names."""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from ctdx.errors import ConflictError, IntegrityError, NotFoundError
from ctdx.linkage.contribution import build_contribution, case_reference, generate_signing_key, public_key_text
from ctdx.linkage.encoding import LinkageSecret
from ctdx.linkage.hub import Hub
from ctdx.linkage.linking import LinkageResult
from ctdx.linkage.normalise import latinise
from ctdx.linkage.scoring import ScoringConfig
from ctdx.model.records import SourceRef
from tests.linkage.cohort import COHORT, ORGANISATIONS, Entry, predicted_pairs, truth_pairs

SECRET = LinkageSecret(bytes(range(100, 132)))
KEYS = {org: generate_signing_key() for org in ORGANISATIONS}
T0 = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)


def package(org: str, entries: tuple[Entry, ...] = COHORT, created: dt.datetime = T0, **kw: object) -> bytes:
    mine = [e for e in entries if e.organisation == org]
    by_id = {e.record_id: e for e in mine}
    report = build_contribution(
        org,
        [e.case() for e in mine],
        secret=kw.get("secret", SECRET),  # type: ignore[arg-type]
        signing_key=kw.get("key", KEYS[org]),  # type: ignore[arg-type]
        consented=lambda case: by_id[case.source.record_id].consent,
        created=created,
    )
    return report.package


def new_hub(path: Path) -> Hub:
    hub = Hub(f"sqlite:///{path}", create=True)
    for org in ORGANISATIONS:
        hub.register_organisation(org, public_key_text(KEYS[org]))
    return hub


LOG_LINES: list[str] = []


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        LOG_LINES.append(self.format(record))


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, LinkageResult]:
    path = tmp_path_factory.mktemp("hub") / "hub.sqlite"
    # Every log line of every library, at every level, while the hub receives and links.
    handler = _Collect(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        hub = new_hub(path)
        for org in ORGANISATIONS:
            hub.receive(package(org))
        result = hub.link(ScoringConfig(mode="privacy", log_level=logging.DEBUG))
        hub.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    return path, result


def shared(entries: tuple[Entry, ...] = COHORT) -> tuple[Entry, ...]:
    return tuple(e for e in entries if e.consent)


def test_the_hub_links_variants_across_organisations_and_keeps_near_duplicates_apart(
    linked: tuple[Path, LinkageResult],
) -> None:
    path, result = linked
    hub = Hub(f"sqlite:///{path}")
    persons = hub.persons()
    # Map the hub's pseudonymous references back through the organisations' own references.

    by_record = {
        f"{e.organisation}:{e.record_id}": persons[
            (
                e.organisation,
                case_reference(SECRET, e.organisation, SourceRef(system=e.organisation, record_id=e.record_id)),
            )
        ]
        for e in shared()
    }
    assert all(by_record.values())
    assert predicted_pairs({k: v or "" for k, v in by_record.items()}) == truth_pairs(shared())
    people = len({e.person for e in shared()})
    assert result.count.estimate == people
    assert result.count.low <= people <= result.count.high
    assert hub.last_run() == json.loads(json.dumps(result.summary()))


def test_overlap_between_organisations_matches_the_truth(linked: tuple[Path, LinkageResult]) -> None:
    _, result = linked
    orgs_of: dict[str, set[str]] = {}
    for e in shared():
        orgs_of.setdefault(e.person, set()).add(e.organisation)
    for (a, b), count in result.overlap.items():
        assert count == sum(1 for orgs in orgs_of.values() if {a, b} <= orgs)
    assert set(result.overlap) == {
        tuple(sorted((a, b))) for orgs in orgs_of.values() for a in orgs for b in orgs if a < b
    }
    for org, summary in result.organisations.items():
        assert summary.cases == sum(1 for e in shared() if e.organisation == org)
        assert summary.shared_persons == sum(1 for orgs in orgs_of.values() if org in orgs and len(orgs) > 1)


def test_the_hub_database_and_logs_hold_no_name_and_no_birth_date(linked: tuple[Path, LinkageResult]) -> None:
    path, _ = linked
    stored = path.read_bytes().lower()
    for entry in COHORT:
        for name in (entry.first, entry.second):
            # Only four bytes or more: shorter strings occur by chance in binary pages.
            assert len(name.encode()) < 4 or name.lower().encode() not in stored, "a name is stored at the hub"
            for token in latinise(name).split():
                assert len(token) < 4 or token.encode() not in stored, "a name part is stored at the hub"
        if isinstance(entry.birth, dt.date):
            for text in (entry.birth.isoformat(), entry.birth.strftime("%Y%m%d"), entry.birth.strftime("%d/%m/%Y")):
                assert text.encode() not in stored, "a birth date is stored at the hub"
    assert LOG_LINES, "Splink logged nothing: the check below would prove nothing"
    logged = "\n".join(LOG_LINES).lower()
    for entry in COHORT:
        for name in (entry.first, entry.second):
            assert name.lower() not in logged, "a name is in the hub's logs"
        if isinstance(entry.birth, dt.date):
            assert entry.birth.isoformat() not in logged, "a birth date is in the hub's logs"
    hub = Hub(f"sqlite:///{path}")
    with hub.engine.connect() as db:
        fields = [json.loads(row[0]) for row in db.exec_driver_sql("SELECT fields FROM hub_case")]
    assert fields and all(
        not any(k.startswith(("prs_FirstName", "prs_SecondName", "prs_Birthdate")) for k in f) for f in fields
    )
    assert all("prs_Gender" in f and "vic_AgeWhenTrafficked" in f for f in fields)
    assert all(f["ext_IdentificationDate"] == 2024 for f in fields)


def test_a_tampered_package_is_refused(tmp_path: Path) -> None:
    hub = new_hub(tmp_path / "hub.sqlite")
    envelope = json.loads(package("ngo"))
    payload = json.loads(base64.b64decode(envelope["payload"]))
    payload["cases"][0]["fields"]["prs_Gender"] = "Masculine"
    envelope["payload"] = base64.b64encode(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).decode()
    with pytest.raises(IntegrityError):
        hub.receive(json.dumps(envelope).encode())
    # Signed by the police but claiming to be the NGO.
    with pytest.raises(IntegrityError):
        hub.receive(package("ngo", key=KEYS["police"]))
    assert hub.case_count() == 0


def test_unregistered_organisations_and_other_secrets_are_refused(tmp_path: Path) -> None:
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", create=True)
    with pytest.raises(NotFoundError):
        hub.receive(package("ngo"))
    hub.register_organisation("ngo", public_key_text(KEYS["ngo"]))
    hub.register_organisation("police", public_key_text(KEYS["police"]))
    with pytest.raises(ConflictError):
        hub.register_organisation("ngo", public_key_text(KEYS["police"]))
    sent = package("ngo")
    first = hub.receive(sent)
    with pytest.raises(ConflictError):
        hub.receive(sent)  # the same package twice
    with pytest.raises(ConflictError):
        hub.receive(package("police", secret=LinkageSecret.generate()))
    assert hub.case_count() == first.added


def test_recontributing_replaces_the_case_and_withdrawn_consent_deletes_it(tmp_path: Path) -> None:
    hub = new_hub(tmp_path / "hub.sqlite")
    first = hub.receive(package("ngo"))
    assert first.added == sum(1 for e in shared() if e.organisation == "ngo")
    assert first.replaced == first.deleted == 0
    updated = tuple(Entry(**{**vars(e), "birth": dt.date(1985, 3, 3)}) if e.record_id == "n3" else e for e in COHORT)
    second = hub.receive(package("ngo", updated, created=T0 + dt.timedelta(days=1)))
    assert (second.added, second.replaced, second.deleted) == (0, first.added, 0)
    assert hub.case_count() == first.added
    # An older package arriving late does not overwrite newer versions.
    late = hub.receive(package("ngo", COHORT, created=T0 - dt.timedelta(days=1)))
    assert late.stale == first.added and late.replaced == 0
    # The person withdraws consent: the next package lists the case as withdrawn and the hub deletes it.
    withdrawn = tuple(Entry(**{**vars(e), "consent": False}) if e.record_id == "n3" else e for e in COHORT)
    third = hub.receive(package("ngo", withdrawn, created=T0 + dt.timedelta(days=2)))
    assert third.deleted == 1
    assert hub.case_count() == first.added - 1
