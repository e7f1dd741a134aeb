"""Signing in: password checks with throttling and lockout, browser sessions and API tokens.

Throttling and lockout: after ``LOCKOUT_THRESHOLD`` consecutive failures an account is locked for
``LOCKOUT_DURATION`` (OWASP Authentication Cheat Sheet, "account lockout"); a success resets the counter.
A locked account answers exactly like a wrong password, so that lockout does not reveal that a name exists.

Sessions: the token (32 random bytes) lives only in the cookie; the database keeps its SHA-256, so a copy of
the database opens no session. Every sign-in creates a new token and deletes any session the browser came
with (no session fixation). A session ends after ``IDLE_TIMEOUT`` without use or ``ABSOLUTE_TIMEOUT`` in all
(OWASP Session Management Cheat Sheet). API tokens are stored the same way, carry scopes (a subset of the
role's permissions) and can be revoked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ctdx.accounts.passwords import hash_password, needs_rehash, verify_password
from ctdx.accounts.principal import Principal, load_principal
from ctdx.accounts.roles import PERMISSIONS
from ctdx.accounts.tables import AccountProfile, ApiToken, LoginSession
from ctdx.accounts.throttle import SignInThrottle
from ctdx.errors import NotFoundError, PermissionDenied, ValidationError
from ctdx.store import Store, audit
from ctdx.store.actor import Actor
from ctdx.store.tables import User

LOCKOUT_THRESHOLD = 5
LOCKOUT_DURATION = dt.timedelta(minutes=15)
IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)
TOKEN_PREFIX = "ctdx_"
SYSTEM_NAME = "sign-in"  # how the audit log names the lockout of an account


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes for timezone-aware columns; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


class LoginFailed(PermissionDenied):
    """The name, the password or the account's state does not allow signing in (one message for all)."""

    code = "login_failed"


def check_password(session: Session, username: str, password: str, now: dt.datetime | None = None) -> Principal | None:
    """The principal if ``password`` is right and the account active and unlocked; else None, counting the failure."""
    now = now or utc_now()
    found = session.execute(
        select(User, AccountProfile)
        .join(AccountProfile, AccountProfile.user_id == User.id)
        .where(User.username == username)
    ).one_or_none()
    if found is None:
        verify_password(None, password)
        return None
    user, profile = found
    locked = profile.locked_until is not None and _aware(profile.locked_until) > now
    if locked or not user.active or not verify_password(user.password_hash, password):
        if not locked:
            profile.failed_logins += 1
            if profile.failed_logins >= LOCKOUT_THRESHOLD:
                profile.locked_until = now + LOCKOUT_DURATION
                profile.failed_logins = 0
                audit.append(
                    session,
                    audit.UpdateEvent(
                        actor=Actor.system(SYSTEM_NAME, user.organisation_id),
                        entity="app_user",
                        entity_id=str(user.id),
                        fields=("locked_until",),
                    ),
                )
        return None
    profile.failed_logins = 0
    profile.locked_until = None
    if user.password_hash is not None and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return load_principal(session, user.id)


def authenticate(
    store: Store,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    *,
    throttle: SignInThrottle | None = None,
    address: str | None = None,
) -> Principal:
    """The principal of ``username``; ``LoginFailed`` (after recording the failure) for any refusal.

    With a ``throttle`` and the client's ``address``, an address with too many recent failures is refused
    with ``TooManyAttempts`` before the password is even checked (``ctdx.accounts.throttle``)."""
    now = now or utc_now()
    if throttle is not None and address:
        throttle.check(address, now)
    with store.transaction() as session:
        principal = check_password(session, username, password, now)
    if principal is None:
        if throttle is not None and address:
            throttle.failed(address, now)
        raise LoginFailed("wrong user name or password, or the account is locked")
    return principal


@dataclass(frozen=True)
class NewSession:
    token: str
    csrf_token: str
    expires_at: dt.datetime


def open_session(
    session: Session, principal: Principal, previous_token: str | None = None, now: dt.datetime | None = None
) -> NewSession:
    """A fresh session for ``principal``; the session the browser came with (``previous_token``) is deleted."""
    now = now or utc_now()
    if previous_token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(previous_token)))
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = now + IDLE_TIMEOUT
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=principal.user_id,
            csrf_token=csrf,
            created_at=now,
            last_seen=now,
            expires_at=expires,
        )
    )
    audit.append(session, audit.CreateEvent(actor=principal.actor, entity="login_session", detail={"sign_in": True}))
    return NewSession(token, csrf, expires)


def session_principal(session: Session, token: str, now: dt.datetime | None = None) -> tuple[Principal, str]:
    """The principal and CSRF token of a live session; ``NotFoundError`` when it is unknown or expired.

    Each use pushes the idle expiry forward, never past the absolute limit.
    """
    now = now or utc_now()
    row = session.get(LoginSession, token_hash(token))
    if row is None or _aware(row.expires_at) <= now:
        if row is not None:
            session.delete(row)
        raise NotFoundError("no such session")
    row.last_seen = now
    row.expires_at = min(now + IDLE_TIMEOUT, _aware(row.created_at) + ABSOLUTE_TIMEOUT)
    return load_principal(session, row.user_id), row.csrf_token


def end_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))


@dataclass(frozen=True)
class TokenInfo:
    id: uuid.UUID
    name: str
    scopes: tuple[str, ...]
    created_at: dt.datetime
    revoked: bool


def create_token(session: Session, principal: Principal, name: str, scopes: list[str]) -> tuple[str, TokenInfo]:
    """A new API token (its secret, shown once, and its info) limited to ``scopes`` of the principal's role."""
    if not name.strip() or len(name) > 100:
        raise ValidationError("a token name has 1 to 100 characters", field="name")
    unknown = sorted(set(scopes) - set(PERMISSIONS))
    if unknown:
        raise ValidationError(f"unknown scopes {unknown}; expected some of {', '.join(PERMISSIONS)}", field="scopes")
    beyond = sorted(s for s in scopes if not principal.allows(s))
    if beyond:
        raise PermissionDenied(f"the role may not grant {beyond}", field="scopes")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        id=uuid.uuid4(),
        user_id=principal.user_id,
        token_hash=token_hash(secret),
        name=name.strip(),
        scopes=sorted(set(scopes)),
        created_at=utc_now(),
    )
    session.add(row)
    audit.append(
        session,
        audit.CreateEvent(
            actor=principal.actor, entity="api_token", entity_id=str(row.id), detail={"scopes": ",".join(row.scopes)}
        ),
    )
    return secret, TokenInfo(row.id, row.name, tuple(row.scopes), row.created_at, False)


def token_principal(session: Session, secret: str) -> Principal:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).one_or_none()
    if row is None or row.revoked_at is not None:
        raise NotFoundError("no such token")
    return load_principal(session, row.user_id, frozenset(row.scopes))


def list_tokens(session: Session, principal: Principal) -> list[TokenInfo]:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.created_at))
    return [TokenInfo(r.id, r.name, tuple(r.scopes), r.created_at, r.revoked_at is not None) for r in rows]


def revoke_token(session: Session, principal: Principal, token_id: uuid.UUID) -> TokenInfo:
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != principal.user_id:
        raise NotFoundError(f"no token {token_id}")
    if row.revoked_at is None:
        row.revoked_at = utc_now()
        audit.append(
            session,
            audit.UpdateEvent(actor=principal.actor, entity="api_token", entity_id=str(row.id), fields=("revoked_at",)),
        )
    return TokenInfo(row.id, row.name, tuple(row.scopes), row.created_at, True)
