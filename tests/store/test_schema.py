"""The shipped migrations: they build exactly the tables the code declares, and `ctdx db` runs them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.store import head_revision, schema_status, tables, upgrade
from ctdx.store.engine import make_engine
from ctdx.store.tables import Base

runner = CliRunner()


def test_db_upgrade_creates_the_schema_and_db_status_reports_it(database_url: str, tmp_path: Path) -> None:
    env = {"CTDX_DATA_DIR": str(tmp_path), "CTDX_KEY": None}
    result = runner.invoke(app, ["db", "upgrade", "--database", database_url], env=env)
    assert result.exit_code == 0, result.output
    status = runner.invoke(app, ["db", "status", "--database", database_url], env=env)
    assert status.exit_code == 0, status.output
    assert "up to date" in status.output and head_revision() in status.output
    again = runner.invoke(app, ["db", "upgrade", "--database", database_url], env=env)
    assert again.exit_code == 0, again.output


def test_db_status_of_an_empty_database_says_to_upgrade(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()
    result = runner.invoke(app, ["db", "status", "--database", database_url], env={"CTDX_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 1
    assert "ctdx db upgrade" in " ".join(result.output.split())


def _table_name(difference: Any) -> str:
    """The table an Alembic autogenerate difference is about."""
    op = difference[0] if isinstance(difference, list) else difference
    kind, subject = op[0], op[1]
    if kind.endswith("_table"):
        return str(subject.name)
    if kind.endswith(("_index", "_constraint")):
        return str(subject.table.name)
    if kind.endswith("_fk"):
        return str(subject.parent.name)
    return str(op[2])  # add_column, remove_column, modify_*: (kind, schema, table, ...)


STORE_TABLES = {getattr(tables, name).__tablename__ for name in tables.__all__ if name != "Base"}


def test_the_migrations_build_exactly_the_declared_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        assert schema_status(engine).up_to_date
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            # tables that other packages add in their own migrations are theirs to check
            differences = [d for d in compare_metadata(context, Base.metadata) if _table_name(d) in STORE_TABLES]
    finally:
        engine.dispose()
    assert differences == []
    assert len(STORE_TABLES) == 16
