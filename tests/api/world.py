"""A small world for the API, web and accounts tests: three organisations, one user per role, cases in and
out of each scope, a referral accepted, and an API token per user. Built once per session into a SQLite
template; each test works on its own copy.

| user          | org   | role         | team  |
|---------------|-------|--------------|-------|
| a-caseworker  | org-a | caseworker   | north |
| a-colleague   | org-a | caseworker   | north |
| a-supervisor  | org-a | supervisor   | north |
| a-datamgr     | org-a | data_manager |       |
| a-orgadmin    | org-a | org_admin    |       |
| a-analyst     | org-a | hub_analyst  |       |
| a-sysadmin    | org-a | system_admin |       |
| b-caseworker  | org-b | caseworker   |       |
| c-caseworker  | org-c | caseworker   |       |

Cases: ``own`` (org-a, owned by a-caseworker), ``team`` (org-a, owned by a-colleague), ``org`` (org-a, owned
by a-datamgr), ``other`` (org-b, never referred) and ``referred`` (org-b, referred to org-a and accepted).
Every case has a first name (an identifying value, sealed) and referral consent.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from ctdx.accounts import NewUser, create_token, load_principal, load_roles
from ctdx.accounts.users import add_user
from ctdx.casework import CaseworkContext, Purpose, ReferralState, assign_case, move_referral, record_consent, refer
from ctdx.model import CaseRecord, SourceRef
from ctdx.settings import Settings, sqlite_url
from ctdx.store import Store, open_store
from ctdx.store.actor import Actor

PASSWORD = "correct horse battery staple"
USERS = (
    ("a-caseworker", "org-a", "caseworker", "north"),
    ("a-colleague", "org-a", "caseworker", "north"),
    ("a-supervisor", "org-a", "supervisor", "north"),
    ("a-datamgr", "org-a", "data_manager", None),
    ("a-orgadmin", "org-a", "org_admin", None),
    ("a-analyst", "org-a", "hub_analyst", None),
    ("a-sysadmin", "org-a", "system_admin", None),
    ("b-caseworker", "org-b", "caseworker", None),
    ("c-caseworker", "org-c", "caseworker", None),
)
ROLE_USERS = {role: name for name, org, role, _team in USERS if org == "org-a" and name != "a-colleague"}
CASES = (
    ("own", "org-a", "a-caseworker"),
    ("team", "org-a", "a-colleague"),
    ("org", "org-a", "a-datamgr"),
    ("other", "org-b", "b-caseworker"),
    ("referred", "org-b", "b-caseworker"),
)
FAMILY_NAME = "Zyxwvutsrqpo"  # an identifying value that must never reach a log


@dataclass
class World:
    template: Path
    key_file: Path
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    cases: dict[str, uuid.UUID] = field(default_factory=dict)
    referral: uuid.UUID | None = None

    def settings(self, folder: Path) -> Settings:
        """Settings for a fresh copy of the world's database in ``folder``."""
        database = folder / "ctdx.sqlite"
        shutil.copyfile(self.template, database)
        return Settings(data_dir=folder, database_url=sqlite_url(database), key_file=self.key_file)


def _case(store: Store, actor: Actor, name: str) -> uuid.UUID:
    record = CaseRecord(
        source=SourceRef(system="world", record_id=name),
        values={"prs_FirstName": FAMILY_NAME, "cas_Status": "Active", "ext_CaseOpenedDate": dt.date(2026, 1, 5)},
    )
    with store.cases(actor) as repo:
        return repo.create_case(record).id


def build_world(folder: Path) -> World:
    world = World(folder / "template.sqlite", folder / "keys" / "ctdx.key")
    settings = Settings(data_dir=folder, database_url=sqlite_url(world.template), key_file=world.key_file)
    with open_store(settings, create=True) as store:
        orgs = {code: store.ensure_organisation(code, code.upper()) for code in ("org-a", "org-b", "org-c")}
        with store.transaction() as session:
            for name, org, role, team in USERS:
                new = NewUser(org, name, name, role, PASSWORD, team, "en")
                world.users[name] = add_user(session, new, Actor.system("tests", orgs[org].id)).id
        with store.transaction() as session:
            for name in world.users:
                principal = load_principal(session, world.users[name])
                world.tokens[name] = create_token(session, principal, "tests", sorted(principal.role.permissions))[0]
        for label, _org, owner in CASES:
            with store.transaction() as session:
                actor = load_principal(session, world.users[owner]).actor
            case_id = _case(store, actor, label)
            world.cases[label] = case_id
            with store.transaction() as session:
                ctx = CaseworkContext(session, store.cipher, actor)
                assign_case(ctx, case_id, owner)
                record_consent(ctx, case_id, Purpose.REFERRAL, granted=True, decided_on=dt.date(2026, 1, 5))
        with store.transaction() as session:
            ctx = CaseworkContext(session, store.cipher, load_principal(session, world.users["b-caseworker"]).actor)
            world.referral = refer(ctx, world.cases["referred"], "org-a").id
        with store.transaction() as session:
            ctx = CaseworkContext(session, store.cipher, load_principal(session, world.users["a-orgadmin"]).actor)
            move_referral(ctx, world.referral, ReferralState.ACCEPTED)
    assert set(ROLE_USERS) == set(load_roles())
    return world
