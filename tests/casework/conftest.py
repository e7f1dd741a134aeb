"""Casework tests run on the store's fixtures (a migrated, empty database per test on SQLite and on
PostgreSQL), with two organisations, a case worker and an administrator in the first, a case worker in the
second."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from ctdx.casework.access import CaseworkContext
from ctdx.settings import Settings
from ctdx.store import Actor, Role, Store
from ctdx.store.tables import User
from tests.store import conftest as store_fixtures

# The store's fixtures, shared: a migrated, empty database per test on SQLite and on PostgreSQL.
postgres_url = store_fixtures.postgres_url
postgres_store_url = store_fixtures.postgres_store_url
sqlite_template = store_fixtures.sqlite_template
store_url = store_fixtures.store_url
settings = store_fixtures.settings
store = store_fixtures.store


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


def _add_user(target: Store, organisation: uuid.UUID, username: str, role: Role) -> Actor:
    with target.transaction() as session:
        user = User(id=uuid.uuid4(), organisation_id=organisation, username=username, display_name=username, role=role)
        session.add(user)
    return Actor.user(user.id, organisation, role)


@pytest.fixture
def world(store: Store, settings: Settings) -> World:
    """The store's per-test database (``tests/store/conftest.py``: SQLite and PostgreSQL) with two organisations,
    a case worker and an administrator of the shelter, and a case worker of the clinic."""
    shelter = store.ensure_organisation("shelter", "Safe House").id
    clinic = store.ensure_organisation("clinic", "Health Clinic").id
    return World(
        store=store,
        settings=settings,
        shelter=shelter,
        clinic=clinic,
        worker=_add_user(store, shelter, "amina", "caseworker"),
        admin=_add_user(store, shelter, "boss", "admin"),
        clinic_worker=_add_user(store, clinic, "carlos", "caseworker"),
    )
