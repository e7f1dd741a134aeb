"""Users and organisations as administrators manage them.

An organisation admin (``users.manage``) manages the users of its own organisation and cannot hand out
the system admin role; a system admin (``organisations.manage``) creates organisations and users anywhere.
``create_admin`` makes the first account of an installation (``ctdx users create-admin``).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.accounts.passwords import hash_password
from ctdx.accounts.principal import Principal
from ctdx.accounts.roles import role
from ctdx.accounts.tables import AccountProfile
from ctdx.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ctdx.store import Store, audit
from ctdx.store.actor import Actor
from ctdx.store.tables import Organisation, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LANGUAGES = ("en", "fr", "es")
SYSTEM_ADMIN = "system_admin"


@dataclass(frozen=True)
class UserInfo:
    id: uuid.UUID
    username: str
    display_name: str
    organisation: str
    role: str
    team: str | None
    language: str
    active: bool


@dataclass(frozen=True)
class NewUser:
    """What a new account needs; ``password`` is hashed with argon2id and never stored as given."""

    organisation: str
    username: str
    display_name: str
    role: str
    password: str
    team: str | None = None
    language: str = "en"


def _check(new: NewUser) -> None:
    if not USERNAME.match(new.username):
        raise ValidationError("a user name has 2 to 64 lower-case letters, digits, '.', '_' or '-'", field="username")
    if not new.display_name.strip() or len(new.display_name) > 300:
        raise ValidationError("a display name has 1 to 300 characters", field="display_name")
    if new.language not in LANGUAGES:
        raise ValidationError(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    if new.team is not None and len(new.team) > 100:
        raise ValidationError("a team name has at most 100 characters", field="team")
    role(new.role)


def _organisation(session: Session, code: str) -> Organisation:
    found = session.scalars(select(Organisation).where(Organisation.code == code)).one_or_none()
    if found is None:
        raise NotFoundError(f"no organisation {code!r}", organisation=code)
    return found


def add_user(session: Session, new: NewUser, actor: Actor) -> UserInfo:
    """Create the user without a permission check (callers check: ``create_user`` or ``create_admin``)."""
    _check(new)
    org = _organisation(session, new.organisation)
    if session.scalar(select(User.id).where(User.username == new.username)) is not None:
        raise ConflictError(f"user name {new.username!r} is taken", field="username")
    definition = role(new.role)
    user = User(
        id=uuid.uuid4(),
        organisation_id=org.id,
        username=new.username,
        display_name=new.display_name.strip(),
        role=definition.store_role,
        password_hash=hash_password(new.password),
        active=True,
    )
    session.add(user)
    session.flush()
    session.add(
        AccountProfile(
            user_id=user.id, role_name=definition.name, team=new.team, language=new.language, failed_logins=0
        )
    )
    audit.append(
        session,
        audit.CreateEvent(
            actor=actor,
            entity="app_user",
            entity_id=str(user.id),
            detail={"role": definition.name, "organisation": org.code},
        ),
    )
    return UserInfo(user.id, user.username, user.display_name, org.code, definition.name, new.team, new.language, True)


def create_user(session: Session, principal: Principal, new: NewUser) -> UserInfo:
    """Create a user as ``principal``: an org admin in its organisation, a system admin anywhere."""
    if principal.allows("organisations.manage"):
        return add_user(session, new, principal.actor)
    principal.require("users.manage")
    if new.organisation != principal.organisation_code:
        raise PermissionDenied("an organisation admin creates users of its own organisation only")
    if new.role == SYSTEM_ADMIN:
        raise PermissionDenied("only a system admin gives the system admin role")
    return add_user(session, new, principal.actor)


def list_users(session: Session, principal: Principal) -> list[UserInfo]:
    """The users a principal may manage: its organisation's, or everyone's for a system admin."""
    if not principal.allows("organisations.manage"):
        principal.require("users.manage")
    query = (
        select(User, AccountProfile, Organisation.code)
        .join(AccountProfile, AccountProfile.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .order_by(Organisation.code, User.username)
    )
    if not principal.allows("organisations.manage"):
        query = query.where(User.organisation_id == principal.organisation_id)
    return [
        UserInfo(u.id, u.username, u.display_name, str(code), p.role_name, p.team, p.language, u.active)
        for u, p, code in session.execute(query)
    ]


def set_language(session: Session, principal: Principal, language: str) -> None:
    if language not in LANGUAGES:
        raise ValidationError(f"language must be one of {', '.join(LANGUAGES)}", field="language")
    profile = session.get(AccountProfile, principal.user_id)
    if profile is not None:
        profile.language = language


def create_admin(store: Store, organisation: str, organisation_name: str, username: str, password: str) -> UserInfo:
    """The first system admin of an installation, with its organisation created if missing."""
    org = store.ensure_organisation(organisation, organisation_name)
    with store.transaction() as session:
        new = NewUser(organisation, username, username, SYSTEM_ADMIN, password)
        return add_user(session, new, Actor.system("users", org.id))
