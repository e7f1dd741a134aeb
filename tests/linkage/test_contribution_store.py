"""Contributing from the organisation's store: only cases whose recorded consent covers the hub, audited."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from ctdx.casework import Purpose, casework_session, record_consent
from ctdx.errors import PermissionDenied
from ctdx.linkage.contribution import (
    ContributionReport,
    case_reference,
    generate_signing_key,
    open_contribution,
    public_key_text,
)
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, LinkageSecret
from ctdx.linkage.hub import Hub
from ctdx.linkage.store_contribution import contribute_from_store
from ctdx.model.records import SourceRef
from ctdx.settings import Settings, load_settings, sqlite_url
from ctdx.store import Actor, Store, open_store
from ctdx.store.tables import AuditEventRow, Case, User
from tests.linkage.cohort import COHORT, Entry

SECRET = LinkageSecret(bytes(range(7, 39)))
KEY = generate_signing_key()
HUB = "regional-hub"
TODAY = dt.date.today()
NGO = tuple(e for e in COHORT if e.organisation == "ngo")


def settings_for(tmp_path: Path) -> Settings:
    return load_settings({"CTDX_DATA_DIR": str(tmp_path), "CTDX_DATABASE_URL": sqlite_url(tmp_path / "ctdx.sqlite")})


def import_ngo(store: Store, entries: tuple[Entry, ...] = NGO) -> None:
    org = store.ensure_organisation("ngo", "An NGO")
    records = [e.case() for e in entries if not isinstance(e.birth, str)]
    store.import_cases("ngo", records, actor=Actor.system("test-import", org.id), label="test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(settings_for(tmp_path), create=True) as opened:
        import_ngo(opened)
        yield opened


def case_ids(store: Store) -> dict[str, uuid.UUID]:
    with store.transaction() as session:
        return {str(s): i for s, i in session.execute(select(Case.source_record_id, Case.id))}


def consent(store: Store, record_id: str, purpose: Purpose, *, granted: bool = True, recipient: str | None) -> None:
    case_id = case_ids(store)[record_id]
    with casework_session(store, system="test-consent", organisation="ngo") as ctx:
        record_consent(ctx, case_id, purpose, granted=granted, decided_on=TODAY, recipient=recipient)


def contribute(store: Store, *, created: dt.datetime | None = None) -> ContributionReport:
    with casework_session(store, system="test-contribution", organisation="ngo") as ctx:
        return contribute_from_store(ctx, HUB, secret=SECRET, signing_key=KEY, created=created)


def ref(record_id: str) -> str:
    return case_reference(SECRET, "ngo", SourceRef(system="ngo", record_id=record_id))


def test_only_cases_whose_consent_covers_the_hub_are_contributed_and_every_read_is_audited(store: Store) -> None:
    consent(store, "n1", Purpose.DATA_SHARING, recipient=HUB)
    consent(store, "n2", Purpose.DATA_SHARING, recipient=None)  # any recipient
    consent(store, "n3", Purpose.DATA_SHARING, recipient="another-hub")
    consent(store, "n4", Purpose.REFERRAL, recipient=None)  # a referral consent is not a sharing consent
    consent(store, "n5", Purpose.DATA_SHARING, recipient=HUB)
    consent(store, "n5", Purpose.DATA_SHARING, granted=False, recipient=HUB)  # given, then withdrawn
    report = contribute(store)
    assert (report.included, report.withdrawn, report.problems) == (2, len(NGO) - 2, ())
    assert {s.record_id for s in report.included_sources} == {"n1", "n2"}

    package = open_contribution(report.package, KEY.public_key())
    assert {c.ref for c in package.cases} == {ref("n1"), ref("n2")}
    assert set(package.withdrawn) == {ref(e.record_id) for e in NGO if e.record_id not in ("n1", "n2")}
    assert all("prs_FirstName" not in c.fields and "prs_Birthdate" not in c.fields for c in package.cases)
    assert all(c.fields["prs_Gender"] == "Feminine" for c in package.cases)

    ids = case_ids(store)
    with store.transaction() as session:
        events = session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)).all()
    reads = [e for e in events if e.action == "read_identifying"]
    # One read for the chunk of contributed cases, naming the fields decrypted, the cases and their consents.
    assert len(reads) == 1 and reads[0].entity == "case_file"
    assert sorted(reads[0].detail["case_ids"].split()) == sorted(str(ids[r]) for r in ("n1", "n2"))
    assert {"prs_FirstName", "prs_SecondName", "prs_Birthdate"} <= set(reads[0].fields)
    assert reads[0].detail["purpose"] == "data_sharing" and reads[0].detail["cases"] == 2
    assert len(reads[0].detail["consent_ids"].split()) == 2
    export = [e for e in events if e.action == "export"]
    assert len(export) == 1 and export[0].entity_id == report.package_id
    assert export[0].detail["included"] == 2 and export[0].detail["recipient"] == HUB
    logged = json.dumps([[e.fields, e.detail, e.entity_id] for e in events], default=str).lower()
    for entry in NGO:
        assert entry.first.lower() not in logged and entry.second.lower() not in logged
        if isinstance(entry.birth, dt.date):
            assert entry.birth.isoformat() not in logged
    assert store.verify_audit().ok


def test_an_updated_case_replaces_its_earlier_version_and_a_withdrawal_deletes_it(store: Store, tmp_path: Path) -> None:
    for record_id in ("n1", "n2", "n3"):
        consent(store, record_id, Purpose.DATA_SHARING, recipient=HUB)
    hub = Hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", create=True)
    hub.register_organisation("ngo", public_key_text(KEY))
    t0 = dt.datetime.now(dt.UTC)
    first = hub.receive(contribute(store, created=t0).package)
    assert (first.added, first.replaced, first.deleted) == (3, 0, 0)
    before = _encodings(hub)

    # The organisation corrects a birth date (a re-import updates the case in place).
    import_ngo(
        store, tuple(Entry(**{**vars(e), "birth": dt.date(1985, 3, 3)}) if e.record_id == "n3" else e for e in NGO)
    )
    second = hub.receive(contribute(store, created=t0 + dt.timedelta(seconds=1)).package)
    assert (second.added, second.replaced, second.deleted) == (0, 3, 0)
    assert hub.case_count() == 3
    assert _encodings(hub)[ref("n3")] != before[ref("n3")]

    consent(store, "n2", Purpose.DATA_SHARING, granted=False, recipient=None)
    third = hub.receive(contribute(store, created=t0 + dt.timedelta(seconds=2)).package)
    assert (third.added, third.replaced, third.deleted) == (0, 2, 1)
    assert {ref for _, ref in hub.persons()} == {ref("n1"), ref("n3")}
    hub.close()


def _encodings(hub: Hub) -> dict[str, bytes]:
    with hub.engine.connect() as db:
        return {r: bytes(e) for r, e in db.exec_driver_sql("SELECT case_ref, encodings FROM hub_case")}


def test_a_role_that_may_not_read_identifying_fields_cannot_contribute(store: Store) -> None:
    consent(store, "n1", Purpose.DATA_SHARING, recipient=HUB)
    org = store.organisation("ngo")
    with store.transaction() as session:
        session.add(User(id=uuid.uuid4(), organisation_id=org.id, username="vera", display_name="v", role="viewer"))
    with casework_session(store, user="vera") as ctx, pytest.raises(PermissionDenied):
        contribute_from_store(ctx, HUB, secret=SECRET, signing_key=KEY)


def test_the_package_holds_no_identifying_value(store: Store) -> None:
    for entry in NGO:
        consent(store, entry.record_id, Purpose.DATA_SHARING, recipient=HUB)
    report = contribute(store)
    payload = json.loads(base64.b64decode(json.loads(report.package)["payload"]))
    assert len(payload["cases"]) == len(NGO)
    for case in payload["cases"]:
        # Encodings are filters of their field's exact size (random bits cannot be read as text).
        for name, value in case.pop("encodings").items():
            spec = DEFAULT_ENCODING_CONFIG.spec(name)
            assert value is None or len(base64.b64decode(value)) == DEFAULT_ENCODING_CONFIG.encoded_bytes(spec)
    words = set(re.findall(r"[^\W\d_]+", json.dumps(payload, ensure_ascii=False).lower()))
    text = json.dumps(payload)
    for entry in NGO:
        for name in (entry.first, entry.second):
            assert not set(name.lower().split()) & words
        if isinstance(entry.birth, dt.date):
            for form in ("%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%d.%m.%Y"):
                assert entry.birth.strftime(form) not in text
