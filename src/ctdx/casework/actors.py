"""Who acts in casework: a named user of the store, or a named system process of an organisation.

The CLI (and any other adapter) resolves its ``--user`` or ``--system`` and ``--organisation`` options here,
so that an actor always carries the organisation and role the store recorded for it, never ones the
caller typed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from ctdx.casework.access import CaseworkContext
from ctdx.errors import NotFoundError, PermissionDenied, StoreError, ValidationError
from ctdx.store import Store
from ctdx.store.actor import ROLES, Actor
from ctdx.store.tables import Organisation, User


def resolve_actor(
    session: Session, *, user: str | None = None, system: str | None = None, organisation: str | None = None
) -> Actor:
    """The actor for an active user ``user``, or for system process ``system`` of organisation ``organisation``."""
    if (user is None) == (system is None):
        raise ValidationError("act either as a user (--user) or as a system process (--system with --organisation)")
    if user is not None:
        found = session.scalars(select(User).where(User.username == user)).one_or_none()
        if found is None:
            raise NotFoundError(f"no user {user!r}", username=user)
        if not found.active:
            raise PermissionDenied(f"user {user!r} is not active")
        if organisation is not None:
            org = session.scalars(select(Organisation).where(Organisation.code == organisation)).one_or_none()
            if org is None or org.id != found.organisation_id:
                raise PermissionDenied(f"user {user!r} does not belong to organisation {organisation!r}")
        role = next((r for r in ROLES if r == found.role), None)
        if role is None:
            raise StoreError(f"user {user!r} has an unknown role {found.role!r}")
        return Actor.user(found.id, found.organisation_id, role)
    if organisation is None:
        raise ValidationError("a system process acts for an organisation: give --organisation")
    org = session.scalars(select(Organisation).where(Organisation.code == organisation)).one_or_none()
    if org is None:
        raise NotFoundError(f"no organisation {organisation!r}", organisation=organisation)
    assert system is not None
    return Actor.system(system, org.id)


@contextmanager
def casework_session(
    store: Store, *, user: str | None = None, system: str | None = None, organisation: str | None = None
) -> Iterator[CaseworkContext]:
    """One transaction of casework by the resolved actor: committed when the block ends without error."""
    with store.transaction() as session:
        actor = resolve_actor(session, user=user, system=system, organisation=organisation)
        yield CaseworkContext(session, store.cipher, actor)
