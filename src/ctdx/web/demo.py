"""Demo accounts for ``make demo``: three organisations and one user per role, with fresh random passwords
(printed once by the caller, never stored in clear). Calling it again adds nothing that already exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from ctdx.accounts.users import NewUser, add_user
from ctdx.store import Store
from ctdx.store.actor import Actor
from ctdx.store.tables import User

DEMO_ORGANISATIONS = (
    ("demo-shelter", "Demo Shelter"),
    ("demo-legal", "Demo Legal Aid"),
    ("demo-health", "Demo Clinic"),
)
DEMO_USERS = (
    ("demo-shelter", "alice", "caseworker", "fr", "north"),
    ("demo-shelter", "sam", "supervisor", "en", "north"),
    ("demo-shelter", "dana", "data_manager", "en", None),
    ("demo-shelter", "olga", "org_admin", "es", None),
    ("demo-shelter", "hugo", "hub_analyst", "en", None),
    ("demo-shelter", "root", "system_admin", "en", None),
    ("demo-legal", "bruno", "caseworker", "fr", None),
    ("demo-health", "carla", "caseworker", "es", None),
)


@dataclass(frozen=True)
class DemoAccount:
    organisation: str
    username: str
    role: str
    password: str


def demo_accounts(store: Store) -> list[DemoAccount]:
    """Create the demo organisations and users that are missing; returns the new accounts with passwords."""
    orgs = {code: store.ensure_organisation(code, name) for code, name in DEMO_ORGANISATIONS}
    created = []
    with store.transaction() as session:
        for org, username, role_name, language, team in DEMO_USERS:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                continue
            password = secrets.token_urlsafe(12)
            new = NewUser(org, username, username.title(), role_name, password, team, language)
            add_user(session, new, Actor.system("demo", orgs[org].id))
            created.append(DemoAccount(org, username, role_name, password))
    return created
