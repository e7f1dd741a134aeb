"""Opening a store: missing database, wrong or missing key, newer schema; each a clear error that writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import EncryptionKeyError, SchemaVersionError, StoreError, ValidationError
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Actor, Store, open_store
from ctdx.store.engine import make_engine
from ctdx.store.keyring import init_keyring
from tests.store.conftest import settings_for
from tests.store.records import records

runner = CliRunner()


def _snapshot(store: Store) -> list[tuple[str, str]]:
    """Every row of every table, as text: equal snapshots mean nothing was written."""
    with store.engine.connect() as connection:
        out = []
        for name in sorted(inspect(connection).get_table_names()):
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            out.append((name, repr(sorted(map(repr, rows)))))
        connection.rollback()
    return out


def _populated(settings: Settings) -> list[tuple[str, str]]:
    with open_store(settings, create=True) as store:
        org = store.ensure_organisation(code="ngo-a", name="NGO A")
        store.import_cases("ngo-a", records(3), actor=Actor.system("import", org.id), label="x")
        return _snapshot(store)


def test_create_makes_the_database_the_key_and_records_the_key_check(tmp_path: Path) -> None:
    settings = settings_for(sqlite_url(tmp_path / "new" / "ctdx.sqlite"), tmp_path)
    with open_store(settings, create=True) as store:
        assert store.cipher.active.key_id == json.loads(settings.key_file.read_text())["active"]
    assert settings.key_file.stat().st_mode & 0o777 == 0o600
    with open_store(settings) as store:  # opens again without create
        assert store.verify_audit().ok


def test_without_create_a_missing_database_is_an_error_and_no_file_appears(tmp_path: Path) -> None:
    settings = settings_for(sqlite_url(tmp_path / "absent.sqlite"), tmp_path)
    with pytest.raises(StoreError, match="no ctdx database"):
        open_store(settings)
    assert not (tmp_path / "absent.sqlite").exists()
    assert not settings.key_file.exists()


def test_without_create_an_empty_database_asks_for_an_upgrade(database_url: str, tmp_path: Path) -> None:
    if database_url.startswith("sqlite"):
        Path(database_url.removeprefix("sqlite:///")).touch()
    with pytest.raises(StoreError, match="ctdx db upgrade"):
        open_store(settings_for(database_url, tmp_path))


def test_a_wrong_key_is_refused_and_nothing_is_written(settings: Settings, tmp_path: Path) -> None:
    before = _populated(settings)
    wrong = Settings(settings.data_dir, settings.database_url, tmp_path / "other.key")
    init_keyring(wrong.key_file)
    with pytest.raises(EncryptionKeyError, match="has no key"):
        open_store(wrong, create=True)
    with open_store(settings) as store:
        assert _snapshot(store) == before


def test_a_key_with_the_right_id_but_other_bytes_is_refused(settings: Settings) -> None:
    before = _populated(settings)
    ring = json.loads(settings.key_file.read_text())
    ring["keys"][ring["active"]] = "A" * 43 + "="
    forged = Settings(settings.data_dir, settings.database_url, settings.key_file, key_text=json.dumps(ring))
    with pytest.raises(EncryptionKeyError, match="not the key this database was encrypted with"):
        open_store(forged)
    with open_store(settings) as store:
        assert _snapshot(store) == before


def test_a_missing_key_is_a_clear_error_and_nothing_is_written(settings: Settings, tmp_path: Path) -> None:
    before = _populated(settings)
    lost = Settings(settings.data_dir, settings.database_url, tmp_path / "lost" / "ctdx.key")
    for create in (False, True):
        with pytest.raises(EncryptionKeyError, match="no encryption key"):
            open_store(lost, create=create)
    assert not lost.key_file.exists()
    with open_store(settings) as store:
        assert _snapshot(store) == before


def test_the_key_can_come_from_the_environment(settings: Settings) -> None:
    _populated(settings)
    from_env = Settings(
        settings.data_dir, settings.database_url, settings.data_dir / "none.key", settings.key_file.read_text()
    )
    with open_store(from_env) as store:
        assert store.case_counts().total == 3


def test_a_database_from_a_newer_schema_is_refused_and_left_alone(settings: Settings) -> None:
    _populated(settings)
    with open_store(settings) as store, store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    for create in (False, True):
        with pytest.raises(SchemaVersionError, match="9999_from_the_future"):
            open_store(settings, create=create)
    result = runner.invoke(
        app, ["db", "status", "--database", settings.database_url], env={"CTDX_KEY_FILE": str(settings.key_file)}
    )
    assert result.exit_code == SchemaVersionError.exit_code
    assert "newer ctdx" in result.output
    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999_from_the_future"
    engine.dispose()


def test_organisations_are_created_once_and_checked_against_the_standard(store: Store) -> None:
    first = store.ensure_organisation(code="ngo-a", name="NGO A", org_type="NGO", country="GB")
    assert store.ensure_organisation(code="ngo-a", name="NGO A", org_type="NGO", country="GB") == first
    assert store.organisation("ngo-a") == first
    with pytest.raises(ValidationError, match="org_Type"):
        store.ensure_organisation(code="x", name="X", org_type="Charity")
    with pytest.raises(ValidationError, match="ISO 3166"):
        store.ensure_organisation(code="x", name="X", country="XX")
    assert store.verify_audit().events == 1


def test_case_counts_summarise_by_organisation_type_and_country_pair(store: Store) -> None:
    for code, recs in (("ngo-a", records(4)), ("ngo-b", records(2, start=10))):
        org = store.ensure_organisation(code=code, name=code)
        store.import_cases(code, recs, actor=Actor.system("import", org.id), label="x")
    counts = store.case_counts()
    assert counts.total == 6
    assert counts.by_organisation == {"ngo-a": 4, "ngo-b": 2}
    # records 0-3 and 10-11: even ones have two exploitation types and are exploited in TH, odd ones in GB;
    # the first citizenship is PH when the number divides by 3, VN otherwise
    assert counts.by_exploitation_type == {"ForcedLabour": 6, "SexualExploitation": 3}
    assert counts.by_country_pair == {("PH", "TH"): 1, ("PH", "GB"): 1, ("VN", "TH"): 2, ("VN", "GB"): 2}
    assert store.case_counts(["ngo-b"]).by_organisation == {"ngo-b": 2}
