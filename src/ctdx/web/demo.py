"""Demo accounts for ``make demo``: one user per role in a first organisation and a case worker in two others,
with fresh random passwords (printed once by the caller, never stored in clear). The organisations are the
demo cohort's when their codes are given, else three demo organisations. Calling it again adds nobody twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
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
# (index of the organisation, user name, role, language, team)
DEMO_USERS = (
    (0, "alice", "caseworker", "fr", "north"),
    (0, "sam", "supervisor", "en", "north"),
    (0, "dana", "data_manager", "en", None),
    (0, "olga", "org_admin", "es", None),
    (0, "hugo", "hub_analyst", "en", None),
    (0, "root", "system_admin", "en", None),
    (1, "bruno", "caseworker", "fr", None),
    (2, "carla", "caseworker", "es", None),
)


@dataclass(frozen=True)
class DemoAccount:
    organisation: str
    username: str
    role: str
    password: str


def demo_accounts(store: Store, organisations: Sequence[str] = ()) -> list[DemoAccount]:
    """Create the demo users that are missing in ``organisations`` (codes of existing organisations; at least
    three) or in three demo organisations; returns the new accounts with their passwords."""
    if len(organisations) >= len(DEMO_ORGANISATIONS):
        orgs = [store.organisation(code) for code in organisations[: len(DEMO_ORGANISATIONS)]]
    else:
        orgs = [store.ensure_organisation(code, name) for code, name in DEMO_ORGANISATIONS]
    created = []
    with store.transaction() as session:
        for index, username, role_name, language, team in DEMO_USERS:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                continue
            password = secrets.token_hex(8)
            org = orgs[index]
            new = NewUser(org.code, username, username.title(), role_name, password, team, language)
            add_user(session, new, Actor.system("demo", org.id))
            created.append(DemoAccount(org.code, username, role_name, password))
    return created
