"""Users, roles as data, passwords, and who may create whom."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ctdx.accounts import NewUser, authenticate, create_admin, create_user, list_users, load_roles, role
from ctdx.accounts.passwords import hash_password, verify_password
from ctdx.errors import ConflictError, PermissionDenied, ValidationError
from ctdx.store import Store
from ctdx.store.actor import ROLES
from ctdx.store.tables import User
from tests.api.world import PASSWORD


def test_every_role_names_a_store_role_and_known_permissions() -> None:
    roles = load_roles()
    assert set(roles) == {"caseworker", "supervisor", "data_manager", "org_admin", "hub_analyst", "system_admin"}
    assert all(r.store_role in ROLES and set(r.label) == {"en", "fr", "es"} for r in roles.values())
    with pytest.raises(ValidationError, match="unknown role"):
        role("superuser")


def test_passwords_are_argon2id_and_short_ones_are_refused() -> None:
    stored = hash_password("twelve chars")
    assert stored.startswith("$argon2id$") and verify_password(stored, "twelve chars")
    assert not verify_password(stored, "twelve charz") and not verify_password(None, "twelve chars")
    with pytest.raises(ValidationError, match="12"):
        hash_password("short")


def test_an_org_admin_creates_users_of_its_organisation_only(store: Store) -> None:
    admin = authenticate(store, "a-orgadmin", PASSWORD)
    with store.transaction() as session:
        made = create_user(session, admin, NewUser("org-a", "a-new", "New", "supervisor", "long password!", "north"))
    assert made.organisation == "org-a" and made.role == "supervisor"
    for new in (
        NewUser("org-b", "b-new", "New", "caseworker", "long password!"),
        NewUser("org-a", "a-root", "Root", "system_admin", "long password!"),
    ):
        with store.transaction() as session, pytest.raises(PermissionDenied):
            create_user(session, admin, new)
    with store.transaction() as session, pytest.raises(ConflictError):
        create_user(session, admin, NewUser("org-a", "a-new", "Again", "caseworker", "long password!"))
    with store.transaction() as session:
        assert {u.organisation for u in list_users(session, admin)} == {"org-a"}


def test_a_case_worker_manages_nobody(store: Store) -> None:
    worker = authenticate(store, "a-caseworker", PASSWORD)
    with store.transaction() as session, pytest.raises(PermissionDenied):
        list_users(session, worker)


def test_create_admin_makes_the_first_system_admin_and_its_organisation(store: Store) -> None:
    info = create_admin(store, "hub", "The Hub", "root", "a very long password")
    assert info.role == "system_admin" and info.organisation == "hub"
    with store.transaction() as session:
        stored = session.scalars(select(User.password_hash).where(User.username == "root")).one()
    assert stored is not None and "a very long password" not in stored
    assert authenticate(store, "root", "a very long password").allows("organisations.manage")
