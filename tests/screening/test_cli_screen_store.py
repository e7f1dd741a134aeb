"""``ctdx screen --case REF --org ORG`` stores the result on a case of a real SQLite store, audited."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ctdx.casework.access import CaseworkContext
from ctdx.casework.cases import open_case
from ctdx.cli.main import app
from ctdx.screening import load_bank
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Actor, CaseRepository, open_store
from ctdx.store.tables import AuditEventRow, ScreeningResult, User

runner = CliRunner()


@pytest.fixture
def store_with_case(tmp_path: Path) -> tuple[Settings, str]:
    """A store with organisation ``shelter``, a viewer ``vera`` and one case; the case reference."""
    settings = Settings(
        data_dir=tmp_path, database_url=sqlite_url(tmp_path / "ctdx.sqlite"), key_file=tmp_path / "keys" / "k"
    )
    with open_store(settings, create=True) as store:
        shelter = store.ensure_organisation("shelter", "Safe House").id
        actor = Actor.system("test", shelter)
        with store.transaction() as session:
            session.add(
                User(id=uuid.uuid4(), organisation_id=shelter, username="vera", display_name="v", role="viewer")
            )
            ctx = CaseworkContext(session, store.cipher, actor)
            case_id = open_case(ctx, dt.date(2026, 11, 2))
            reference = CaseRepository(session, store.cipher, actor).get(case_id).reference
    return settings, reference


def _env(settings: Settings) -> dict[str, str | None]:
    return {
        "CTDX_DATABASE_URL": settings.database_url,
        "CTDX_DATA_DIR": str(settings.data_dir),
        "CTDX_KEY_FILE": str(settings.key_file),
        "CTDX_KEY": None,
        "COLUMNS": "250",
    }


def test_result_is_stored_on_the_case_with_its_versions(store_with_case: tuple[Settings, str], tmp_path: Path) -> None:
    settings, reference = store_with_case
    args = ["screen", "--draft", str(tmp_path / "d.json"), "--case", reference.lower(), "--org", "shelter"]
    run = runner.invoke(app, args, input="n\nn\ny\nn\nn\nn\n", env=_env(settings))
    assert run.exit_code == 0, run.output
    assert f"Stored on case {reference}" in run.output
    with open_store(settings) as store, store.transaction() as session:
        rows = session.scalars(select(ScreeningResult)).all()
        assert len(rows) == 1
        assert (rows[0].instrument, rows[0].instrument_version) == ("triage", load_bank().instrument("triage").version)
        assert rows[0].result["triage"]["yes_items"] == ["T03"]
        assert rows[0].result["versions"]["bank"] == load_bank().version
        assert rows[0].created_by == "system:screen"
        events = session.scalars(select(AuditEventRow).where(AuditEventRow.entity == "screening_result")).all()
        assert [e.entity_id for e in events] == [str(rows[0].id)]


def test_an_unknown_case_or_a_reader_is_refused_before_the_first_question(
    store_with_case: tuple[Settings, str], tmp_path: Path
) -> None:
    settings, reference = store_with_case
    first_question = load_bank().item("T01").text["en"]
    run = runner.invoke(
        app,
        ["screen", "--draft", str(tmp_path / "a.json"), "--case", "0000-0000-0000-0000", "--org", "shelter"],
        input="y\n",
        env=_env(settings),
    )
    assert run.exit_code == 6 and "no case" in run.output and first_question not in run.output
    run = runner.invoke(
        app,
        ["screen", "--draft", str(tmp_path / "b.json"), "--case", reference, "--user", "vera"],
        input="y\n",
        env=_env(settings),
    )
    assert run.exit_code == 7 and first_question not in run.output
    run = runner.invoke(app, ["screen", "--draft", str(tmp_path / "c.json"), "--case", reference], env=_env(settings))
    assert run.exit_code == 9 and "--case needs --org" in run.output
    assert not (tmp_path / "a.json").exists()
