"""A real store for casework tests, on SQLite and on PostgreSQL (``CTDX_TEST_PG_URL``), with two
organisations, a case worker and an administrator in the first, a case worker in the second."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ctdx.casework.access import CaseworkContext
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Actor, Store, open_store
from ctdx.store.audit import GENESIS_HASH, HEAD_ID
from ctdx.store.tables import AuditHead, Base, User


@dataclass
class World:
    store: Store
    settings: Settings
    shelter: uuid.UUID
    clinic: uuid.UUID
    worker: Actor
    admin: Actor
    clinic_worker: Actor

    @contextmanager
    def acting(self, actor: Actor) -> Iterator[CaseworkContext]:
        with self.store.transaction() as session:
            yield CaseworkContext(session, self.store.cipher, actor)


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One migrated PostgreSQL database for the session and its key file: creating a database per test costs
    seconds on a loaded machine, emptying the tables (``_emptied``) milliseconds."""
    base = os.environ.get("CTDX_TEST_PG_URL")
    if not base:
        pytest.skip("PostgreSQL tests need CTDX_TEST_PG_URL (run under scripts/with-postgres.sh)")
    name = f"casework_{uuid.uuid4().hex[:12]}"
    folder = tmp_path_factory.mktemp("casework-postgres")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    key_file = folder / "keys" / "ctdx.key"
    open_store(Settings(data_dir=folder, database_url=url, key_file=key_file), create=True).close()
    try:
        yield url, key_file
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


KEPT_TABLES = frozenset({"alembic_version", "store_meta"})


def _emptied(store: Store) -> None:
    """Every table but the schema version and the key check emptied, and the audit chain back at its genesis."""
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in KEPT_TABLES]
    with store.transaction() as session:
        session.execute(text(f"TRUNCATE {', '.join(names)} CASCADE"))
        session.add(AuditHead(id=HEAD_ID, seq=0, hash=GENESIS_HASH))


def _add_user(store: Store, organisation: uuid.UUID, username: str, role: str) -> Actor:
    with store.transaction() as session:
        user = User(id=uuid.uuid4(), organisation_id=organisation, username=username, display_name=username, role=role)
        session.add(user)
    return Actor.user(user.id, organisation, role)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    url, key_file = sqlite_url(tmp_path / "ctdx.sqlite"), tmp_path / "keys" / "ctdx.key"
    if request.param == "postgresql":
        url, key_file = request.getfixturevalue("postgres_database")
    settings = Settings(data_dir=tmp_path, database_url=url, key_file=key_file)
    store = open_store(settings, create=True)
    if request.param == "postgresql":
        _emptied(store)
    try:
        shelter = store.ensure_organisation("shelter", "Safe House").id
        clinic = store.ensure_organisation("clinic", "Health Clinic").id
        yield World(
            store=store,
            settings=settings,
            shelter=shelter,
            clinic=clinic,
            worker=_add_user(store, shelter, "amina", "caseworker"),
            admin=_add_user(store, shelter, "boss", "admin"),
            clinic_worker=_add_user(store, clinic, "carlos", "caseworker"),
        )
    finally:
        store.close()
