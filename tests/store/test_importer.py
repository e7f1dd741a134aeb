"""Bulk imports: all-or-nothing, idempotent by source record id, nothing lost, nothing readable in clear."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from ctdx.errors import ConflictError, PermissionDenied, ValidationError
from ctdx.model import CaseRecord, SourceRef
from ctdx.settings import Settings
from ctdx.store import Actor, ImportOutcome, Store
from ctdx.store.engine import parse_url, sqlite_path
from ctdx.store.tables import AuditEventRow, Case, Person, TraffickingEvent
from tests.store.records import birth_date, family_name, given_name, identity_number, record, records

CHUNK = 7  # small chunks: several chunks are written before a failure, with few records


def _import(store: Store, recs: Iterable[CaseRecord], org: str = "ngo-a") -> ImportOutcome:
    organisation = store.ensure_organisation(code=org, name=org.upper(), org_type="NGO")
    actor = Actor.system("import", organisation.id)
    return store.import_cases(org, recs, actor=actor, label="cases.csv", chunk_size=CHUNK)


def _count(store: Store, model: type) -> int:
    with store.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _table_dump(store: Store) -> list[tuple[str, int]]:
    with store.transaction() as session:
        return [
            (name, int(session.scalar(text(f'SELECT count(*) FROM "{name}"')) or 0))
            for name in ("person", "case_file", "victim_context", "trafficking_event", "audit_event", "import_batch")
        ]


def test_import_stores_every_value_and_reads_it_back(store: Store) -> None:
    outcome = _import(store, records(5))
    assert (outcome.created, outcome.updated, outcome.unchanged) == (5, 0, 0)
    org = store.organisation("ngo-a")
    with store.cases(Actor.system("reader", org.id)) as cases:
        found = cases.find_person_by_identity(identity_number(3))
        assert len(found) == 1
        assert cases.read_identifying(found[0].id) == record(3)


def test_progress_is_reported_per_chunk(store: Store) -> None:
    seen: list[int] = []
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    actor = Actor.system("import", org.id)
    store.import_cases("ngo-a", records(7), actor=actor, label="x", on_progress=seen.append, chunk_size=3)
    assert seen == [3, 6, 7]


def test_the_same_records_imported_twice_create_no_duplicates(store: Store) -> None:
    _import(store, records(4))
    again = _import(store, records(4))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert _count(store, Case) == 4
    assert _count(store, Person) == 4
    assert _count(store, TraffickingEvent) == 8


def test_a_changed_record_updates_its_case_and_replaces_its_parts(store: Store) -> None:
    _import(store, records(3))
    changed = record(1, status="Closed", comment="Moved to a shelter")
    shorter = CaseRecord(source=changed.source, values=changed.values, events=changed.events[:1])
    outcome = _import(store, [record(0), shorter, record(2)])
    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 2)
    assert _count(store, Case) == 3
    assert _count(store, TraffickingEvent) == 5
    org = store.organisation("ngo-a")
    with store.cases(Actor.system("reader", org.id)) as cases:
        [summary] = cases.find_person_by_identity(identity_number(1))
        assert summary.status == "Closed"
        assert cases.read_identifying(summary.id) == shorter


def test_an_import_that_fails_in_the_middle_leaves_the_store_as_it_was(store: Store) -> None:
    _import(store, records(2))
    before = _table_dump(store)

    def failing() -> Iterator[CaseRecord]:
        yield from records(3 * CHUNK + 2, start=10)  # more than one chunk is written before the failure
        raise OSError("the file was truncated")

    with pytest.raises(OSError):
        _import(store, failing())
    assert _table_dump(store) == before
    assert store.verify_audit().ok


def test_ctrl_c_during_an_import_rolls_it_back(store: Store) -> None:
    _import(store, records(1))
    before = _table_dump(store)

    def interrupted() -> Iterator[CaseRecord]:
        yield from records(5, start=1)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _import(store, interrupted())
    assert _table_dump(store) == before


def test_the_same_source_record_twice_in_one_import_is_refused(store: Store) -> None:
    with pytest.raises(ConflictError, match="R00001"):
        _import(store, [record(1), record(2), record(1, status="Closed")])
    assert _count(store, Case) == 0


def test_a_duplicate_in_a_later_chunk_is_refused_too(store: Store) -> None:
    with pytest.raises(ConflictError, match="R00000"):
        _import(store, [*records(CHUNK + 1), record(0)])
    assert _count(store, Case) == 0


def test_an_unknown_field_is_refused_not_dropped(store: Store) -> None:
    bad = CaseRecord(source=SourceRef(system="s", record_id="1"), values={"prs_ShoeSize": "42"})
    with pytest.raises(ValidationError, match="prs_ShoeSize"):
        _import(store, [bad])
    assert _count(store, Case) == 0


def test_an_actor_of_another_organisation_cannot_import(store: Store) -> None:
    other = store.ensure_organisation(code="ngo-b", name="NGO B")
    store.ensure_organisation(code="ngo-a", name="NGO A")
    with pytest.raises(PermissionDenied):
        store.import_cases("ngo-a", records(1), actor=Actor.system("import", other.id), label="x")


def _plaintexts(n: int) -> list[str]:
    out = []
    for i in range(n):
        out += [family_name(i), given_name(i), birth_date(i).isoformat(), identity_number(i), f"+44770090{i:04d}"]
    out += ["Met at the bus station", "Worked in a car wash", "the uncle", "See a doctor"]  # free text
    return out


def test_no_name_birth_date_or_identity_number_is_stored_in_clear(store: Store, settings: Settings) -> None:
    _import(store, records(30))
    with store.cases(Actor.system("reader", store.organisation("ngo-a").id)) as cases:
        cases.read_identifying(cases.find_person_by_identity(identity_number(7))[0].id)
    secrets = _plaintexts(30)
    with store.transaction() as session:
        audit_text = " ".join(str(tuple(row)) for row in session.execute(select(AuditEventRow)))
        person_text = " ".join(str(tuple(row)) for row in session.execute(select(Person.__table__)))
    assert not [s for s in secrets if s in audit_text]
    assert not [s for s in secrets if s in person_text]
    path = sqlite_path(parse_url(settings.database_url))
    if path is None:
        return
    store.close()  # checkpoint the write-ahead log into the file
    raw = b"".join(p.read_bytes() for p in Path(path).parent.glob(Path(path).name + "*"))
    assert not [s for s in secrets if s.encode() in raw]
    with sqlite3.connect(path) as connection:
        tables = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        dump = "\n".join(connection.iterdump())
        for table in tables:
            dump += str(connection.execute(f'SELECT * FROM "{table}"').fetchall())
    assert not [s for s in secrets if s in dump]
    assert "Quixhollow" not in dump and "ZX-0000" not in dump


def test_an_import_needs_a_label_that_fits(store: Store) -> None:
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    for label in ("", "x" * 501):
        with pytest.raises(ValidationError, match="label"):
            store.import_cases("ngo-a", records(1), actor=Actor.system("import", org.id), label=label)
    assert _count(store, Case) == 0


def test_on_postgresql_the_import_keeps_the_planner_statistics_current(store: Store) -> None:
    # Without fresh statistics the look-up of existing source ids scans every case of the organisation per
    # chunk (a 60,000-case import: 276 s instead of 71 s). Fewer than 50 rows: autovacuum would not analyse.
    if store.engine.dialect.name != "postgresql":
        pytest.skip("planner statistics are PostgreSQL's; SQLite has none to keep")
    _import(store, records(30))
    with store.transaction() as session:
        tuples = session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'case_file'::regclass"))
    assert tuples is not None and tuples >= 28
