"""The hash-chained audit log: every change, removal or reordering of events is reported by `ctdx audit verify`."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import IntegrityError, StoreError
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Actor, Store, open_store
from ctdx.store.tables import AuditEventRow
from tests.store.records import records

runner = CliRunner()


def _events(store: Store, n: int = 3) -> None:
    """Some audited activity: organisations created, an import, an identifying read."""
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    store.ensure_organisation(code="ngo-b", name="NGO B")
    store.import_cases("ngo-a", records(n), actor=Actor.system("import", org.id), label="x")
    actor = Actor.system("reader", org.id)
    with store.cases(actor) as cases:
        cases.read_identifying(cases.list_cases()[0].id)
    with store.cases(actor) as cases:
        cases.read_identifying(cases.list_cases()[1].id)


def _sql(store: Store, statement: str) -> None:
    with store.engine.begin() as connection:
        connection.execute(text(statement))


def _verify(env: dict[str, str | None]) -> tuple[int, str]:
    result = runner.invoke(app, ["audit", "verify"], env=env)
    return result.exit_code, " ".join(result.output.split())  # the console wraps long lines


def test_an_untouched_log_verifies(store: Store, cli_env: dict[str, str | None]) -> None:
    _events(store)
    report = store.verify_audit()
    assert report.ok and report.events == 5
    code, output = _verify(cli_env)
    assert code == 0, output
    assert "OK: 5 audit events" in output and report.head_hash in output


def test_events_name_fields_and_counts_never_values(store: Store) -> None:
    _events(store)
    with store.transaction() as session:
        rows = list(session.scalars(select(AuditEventRow).order_by(AuditEventRow.seq)))
    assert [r.action for r in rows] == ["create", "create", "import", "read_identifying", "read_identifying"]
    assert rows[2].detail == {"created": 3, "updated": 0, "unchanged": 0}
    assert "prs_FirstName" in rows[3].fields and "prs_Birthdate" in rows[3].fields
    assert rows[3].prev_hash == rows[2].hash


def test_a_changed_event_is_reported(store: Store, cli_env: dict[str, str | None]) -> None:
    _events(store)
    _sql(store, "UPDATE audit_event SET actor = 'system:someone-else' WHERE seq = 4")
    code, output = _verify(cli_env)
    assert code == IntegrityError.exit_code
    assert "event 4 was changed" in output


def test_a_removed_event_is_reported(store: Store, cli_env: dict[str, str | None]) -> None:
    _events(store)
    _sql(store, "DELETE FROM audit_event WHERE seq = 3")
    code, output = _verify(cli_env)
    assert code == IntegrityError.exit_code
    assert "event 3 was removed" in output


def test_reordered_events_are_reported(store: Store, cli_env: dict[str, str | None]) -> None:
    _events(store)
    _sql(store, "UPDATE audit_event SET seq = -1 WHERE seq = 2")
    _sql(store, "UPDATE audit_event SET seq = 2 WHERE seq = 3")
    _sql(store, "UPDATE audit_event SET seq = 3 WHERE seq = -1")
    code, output = _verify(cli_env)
    assert code == IntegrityError.exit_code
    assert "event 2 does not follow event 1" in output


def test_events_removed_from_the_end_are_reported(store: Store, cli_env: dict[str, str | None]) -> None:
    _events(store)
    _sql(store, "DELETE FROM audit_event WHERE seq >= 4")
    code, output = _verify(cli_env)
    assert code == IntegrityError.exit_code
    assert "events 4 to 5 were removed from the end" in output


def test_a_rehashed_event_still_breaks_the_link_to_the_next(store: Store) -> None:
    _events(store)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET hash = :h WHERE seq = 2"), {"h": "f" * 64})
    report = store.verify_audit()
    assert not report.ok and report.seq == 2


def test_concurrent_writers_produce_one_unbroken_chain(settings: Settings, store: Store) -> None:
    org = store.ensure_organisation(code="ngo-a", name="NGO A")
    store.import_cases("ngo-a", records(2), actor=Actor.system("import", org.id), label="x")
    errors: list[BaseException] = []

    def reader(name: str) -> None:
        try:
            with open_store(settings) as own:
                for _ in range(5):
                    with own.cases(Actor.system(name, org.id)) as cases:
                        cases.read_identifying(cases.list_cases()[0].id)
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=reader, args=(f"reader-{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    report = store.verify_audit()
    assert report.ok, report.problem
    with store.transaction() as session:
        assert (
            session.scalar(select(func.count()).select_from(AuditEventRow)) == 1 + 1 + 15
        )  # the organisation, the import, the reads


@pytest.mark.parametrize("command", [["audit", "verify"], ["db", "status"]])
def test_a_missing_database_is_a_clear_error_and_is_not_created(command: list[str], tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.sqlite"
    env = {"CTDX_DATABASE_URL": sqlite_url(path), "CTDX_DATA_DIR": str(tmp_path), "CTDX_KEY": None}
    result = runner.invoke(app, command, env=env)
    assert result.exit_code == StoreError.exit_code
    assert "no ctdx database" in result.output
    assert not path.exists()
