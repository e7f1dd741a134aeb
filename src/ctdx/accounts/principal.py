"""Who is signed in: a ``Principal`` is a user with its role definition, team, language and (for an API
token) the permissions the token was limited to. It turns into the store's ``Actor`` for repositories.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.accounts.roles import RoleDef, role
from ctdx.accounts.tables import AccountProfile
from ctdx.errors import NotFoundError, PermissionDenied
from ctdx.store.actor import Actor
from ctdx.store.tables import Organisation, User


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    username: str
    display_name: str
    organisation_id: uuid.UUID
    organisation_code: str
    role: RoleDef
    team: str | None
    language: str
    token_scopes: frozenset[str] | None = None

    @property
    def actor(self) -> Actor:
        return Actor.user(self.user_id, self.organisation_id, self.role.store_role)

    def allows(self, permission: str) -> bool:
        scoped = self.token_scopes is None or permission in self.token_scopes
        return scoped and self.role.allows(permission)

    def require(self, permission: str) -> None:
        """``PermissionDenied`` unless the role (and the token, if any) grants ``permission``."""
        if not self.allows(permission):
            raise PermissionDenied(f"role {self.role.name!r} may not do this ({permission})", permission=permission)


def load_principal(session: Session, user_id: uuid.UUID, token_scopes: frozenset[str] | None = None) -> Principal:
    """The principal of an active user with a profile; ``NotFoundError`` for anyone else."""
    row = session.execute(
        select(User, AccountProfile, Organisation.code)
        .join(AccountProfile, AccountProfile.user_id == User.id)
        .join(Organisation, Organisation.id == User.organisation_id)
        .where(User.id == user_id)
    ).one_or_none()
    if row is None or not row[0].active:
        raise NotFoundError("no such active user")
    user, profile, code = row
    return Principal(
        user.id,
        user.username,
        user.display_name,
        user.organisation_id,
        str(code),
        role(profile.role_name),
        profile.team,
        profile.language,
        token_scopes,
    )


def require_any(principal: Principal, *permissions: str) -> None:
    if not any(principal.allows(p) for p in permissions):
        raise PermissionDenied(f"role {principal.role.name!r} may not do this", permission="|".join(permissions))
