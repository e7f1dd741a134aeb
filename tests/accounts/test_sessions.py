"""Sign-in, lockout, session expiry and API tokens, on the store, with explicit clocks."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from ctdx.accounts import (
    authenticate,
    create_token,
    end_session,
    open_session,
    revoke_token,
    session_principal,
    token_principal,
)
from ctdx.accounts.sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, LOCKOUT_DURATION, LOCKOUT_THRESHOLD, LoginFailed
from ctdx.accounts.tables import ApiToken, LoginSession
from ctdx.errors import NotFoundError, PermissionDenied, ValidationError
from ctdx.store import Store
from tests.api.world import PASSWORD

T0 = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_the_right_password_signs_in_and_a_wrong_one_or_name_does_not(store: Store) -> None:
    assert authenticate(store, "a-caseworker", PASSWORD).role.name == "caseworker"
    with pytest.raises(LoginFailed) as wrong:
        authenticate(store, "a-caseworker", PASSWORD + "!")
    with pytest.raises(LoginFailed) as unknown:
        authenticate(store, "nobody", PASSWORD)
    assert wrong.value.message == unknown.value.message


def test_lockout_lasts_its_duration_then_the_right_password_works_again(store: Store) -> None:
    for _ in range(LOCKOUT_THRESHOLD):
        with pytest.raises(LoginFailed):
            authenticate(store, "a-colleague", "wrong", now=T0)
    with pytest.raises(LoginFailed):
        authenticate(store, "a-colleague", PASSWORD, now=T0 + LOCKOUT_DURATION - dt.timedelta(seconds=1))
    assert authenticate(store, "a-colleague", PASSWORD, now=T0 + LOCKOUT_DURATION).username == "a-colleague"


def test_a_session_expires_when_idle_and_at_its_absolute_limit(store: Store) -> None:
    principal = authenticate(store, "a-caseworker", PASSWORD)
    with store.transaction() as session:
        new = open_session(session, principal, now=T0)
    moment = T0
    while moment + IDLE_TIMEOUT - dt.timedelta(minutes=1) < T0 + ABSOLUTE_TIMEOUT:
        moment += IDLE_TIMEOUT - dt.timedelta(minutes=1)
        with store.transaction() as session:
            assert session_principal(session, new.token, now=moment)[0].username == "a-caseworker"
    with store.transaction() as session, pytest.raises(NotFoundError):
        session_principal(session, new.token, now=T0 + ABSOLUTE_TIMEOUT)
    with store.transaction() as session:
        idle = open_session(session, principal, now=T0)
    with store.transaction() as session, pytest.raises(NotFoundError):
        session_principal(session, idle.token, now=T0 + IDLE_TIMEOUT)


def test_the_database_keeps_only_hashes_of_session_and_token_secrets(store: Store) -> None:
    principal = authenticate(store, "a-caseworker", PASSWORD)
    with store.transaction() as session:
        new = open_session(session, principal)
        secret, _info = create_token(session, principal, "script", ["cases.read"])
    with store.transaction() as session:
        hashes = set(session.scalars(select(LoginSession.token_hash))) | set(
            session.scalars(select(ApiToken.token_hash))
        )
    assert new.token not in hashes and secret not in hashes
    with store.transaction() as session:
        end_session(session, new.token)
    with store.transaction() as session, pytest.raises(NotFoundError):
        session_principal(session, new.token)


def test_a_token_cannot_exceed_the_role_and_stops_working_when_revoked(store: Store) -> None:
    principal = authenticate(store, "a-datamgr", PASSWORD)
    with store.transaction() as session, pytest.raises(PermissionDenied):
        create_token(session, principal, "too much", ["identifying.read"])
    with store.transaction() as session, pytest.raises(ValidationError):
        create_token(session, principal, "typo", ["cases.raed"])
    with store.transaction() as session:
        secret, info = create_token(session, principal, "import bot", ["imports.run"])
    with store.transaction() as session:
        limited = token_principal(session, secret)
    assert limited.allows("imports.run") and not limited.allows("cases.read")
    with store.transaction() as session:
        revoke_token(session, principal, info.id)
    with store.transaction() as session, pytest.raises(NotFoundError):
        token_principal(session, secret)
