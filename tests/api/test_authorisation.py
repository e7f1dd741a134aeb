"""The authorisation matrix: every role x every endpoint x a case of its own scope, of its organisation
outside its scope, of another organisation, and referred to its organisation.

The expectation is derived from the specification (``roles.yaml`` and issue 4), written out below as
rules, not from what the code answers: a case outside what the role may see is 404, exactly like a case
that does not exist, whatever the role's permissions; a missing permission is 403 on every target (so a
403 never tells that a case exists); an action that belongs to the owner on a case seen through an accepted
referral is 403 (the caller already knows the case).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import ROLE_USERS, World

TARGETS = ("own", "team", "org", "other", "referred")
# Which targets each role sees: scope own / team / organisation, plus accepted referrals.
SEES = {
    "caseworker": {"own", "referred"},
    "supervisor": {"own", "team", "referred"},
    "data_manager": {"own", "team", "org", "referred"},
    "org_admin": {"own", "team", "org", "referred"},
    "hub_analyst": set(),
    "system_admin": set(),
}
CASE_READERS = {"caseworker", "supervisor", "data_manager", "org_admin"}
IDENTIFYING_READERS = {"caseworker", "supervisor", "org_admin"}
WRITERS = {"caseworker", "supervisor", "data_manager", "org_admin"}


def case_status(role: str, target: str, needed: set[str], ok: int, owner_only: bool) -> int:
    if role not in needed:
        return 403
    if target not in SEES[role]:
        return 404
    if owner_only and target == "referred":
        return 403
    return ok


CASE_ENDPOINTS: dict[str, tuple[str, str, dict[str, Any] | None, set[str], int, bool]] = {
    "read case": ("GET", "/api/v1/cases/{id}", None, CASE_READERS, 200, False),
    "read identifying": ("GET", "/api/v1/cases/{id}/identifying", None, IDENTIFYING_READERS, 200, False),
    "record consent": (
        "POST",
        "/api/v1/cases/{id}/consents",
        {"purpose": "data_sharing", "granted": True, "decided_on": "2026-02-01"},
        WRITERS,
        201,
        True,
    ),
    "refer": ("POST", "/api/v1/cases/{id}/referrals", {"to_organisation": "org-c"}, WRITERS, 201, True),
    "store screening": (
        "POST",
        "/api/v1/cases/{id}/screenings",
        {"instrument": "triage", "language": "fr", "answers": {}},
        WRITERS,
        201,
        False,
    ),
}


@pytest.mark.parametrize("role", sorted(SEES))
def test_case_endpoints(client: TestClient, world: World, role: str) -> None:
    """One copy of the world per role: every case endpoint on every target, compared as one table."""
    headers = bearer(world, ROLE_USERS[role])
    seen, expected = {}, {}
    for endpoint, (method, path, body, needed, ok, owner_only) in sorted(CASE_ENDPOINTS.items()):
        for target in TARGETS:
            answer = client.request(method, path.format(id=world.cases[target]), json=body, headers=headers)
            assert set(answer.json()) <= {"data", "meta", "error"}
            seen[endpoint, target] = answer.status_code
            expected[endpoint, target] = case_status(role, target, needed, ok, owner_only)
    assert seen == expected


def test_a_refused_answer_does_not_tell_whether_a_case_exists(client: TestClient, world: World) -> None:
    headers = bearer(world, "a-caseworker")
    hidden = client.get(f"/api/v1/cases/{world.cases['other']}", headers=headers)
    missing = client.get("/api/v1/cases/00000000-0000-4000-8000-000000000000", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


def _upload(client: TestClient, headers: dict[str, str]) -> int:
    files = {"file": ("cases.csv", io.BytesIO(b"cas_Status\nActive\n"), "text/csv")}
    return client.post("/api/v1/imports", files=files, headers=headers).status_code


def _new_user(client: TestClient, headers: dict[str, str], organisation: str) -> int:
    body = {
        "organisation": organisation,
        "username": f"new-{organisation}-{len(headers['Authorization']) % 97}",
        "display_name": "New",
        "role": "caseworker",
        "password": "a long enough password",
    }
    return client.post("/api/v1/users", json=body, headers=headers).status_code


ORG_ENDPOINTS: dict[str, tuple[Callable[[TestClient, dict[str, str]], int], set[str], int]] = {
    "list cases": (lambda c, h: c.get("/api/v1/cases", headers=h).status_code, CASE_READERS, 200),
    "open case": (
        lambda c, h: c.post("/api/v1/cases", json={"opened_on": "2026-03-01"}, headers=h).status_code,
        WRITERS,
        201,
    ),
    "tasks due": (lambda c, h: c.get("/api/v1/tasks", headers=h).status_code, CASE_READERS, 200),
    "referrals inbox": (
        lambda c, h: c.get("/api/v1/referrals/incoming", headers=h).status_code,
        {"caseworker", "supervisor", "org_admin"},
        200,
    ),
    "list users": (lambda c, h: c.get("/api/v1/users", headers=h).status_code, {"org_admin", "system_admin"}, 200),
    "create user in own org": (lambda c, h: _new_user(c, h, "org-a"), {"org_admin", "system_admin"}, 201),
    "create user in another org": (lambda c, h: _new_user(c, h, "org-b"), {"system_admin"}, 201),
    "create organisation": (
        lambda c, h: c.post("/api/v1/organisations", json={"code": "org-x", "name": "X"}, headers=h).status_code,
        {"system_admin"},
        201,
    ),
    "audit trail": (lambda c, h: c.get("/api/v1/audit", headers=h).status_code, {"org_admin", "system_admin"}, 200),
    "stats": (
        lambda c, h: c.get("/api/v1/stats", headers=h).status_code,
        {"supervisor", "data_manager", "org_admin", "hub_analyst"},
        200,
    ),
    "import": (_upload, {"data_manager"}, 201),
}


@pytest.mark.parametrize("role", sorted(SEES))
def test_organisation_endpoints(client: TestClient, world: World, role: str) -> None:
    headers = bearer(world, ROLE_USERS[role])
    seen = {endpoint: call(client, headers) for endpoint, (call, _allowed, _ok) in sorted(ORG_ENDPOINTS.items())}
    expected = {endpoint: ok if role in allowed else 403 for endpoint, (_call, allowed, ok) in ORG_ENDPOINTS.items()}
    assert seen == expected


@pytest.mark.parametrize("verb", ["accept", "reject"])
def test_only_the_receiving_organisation_decides_a_referral(client: TestClient, world: World, verb: str) -> None:
    created = client.post(
        f"/api/v1/cases/{world.cases['own']}/referrals",
        json={"to_organisation": "org-b"},
        headers=bearer(world, "a-caseworker"),
    )
    assert created.status_code == 201, created.text
    referral = created.json()["data"]["id"]
    body = {"reason": "no capacity"}
    third = client.post(f"/api/v1/referrals/{referral}/{verb}", json=body, headers=bearer(world, "c-caseworker"))
    assert third.status_code == 404
    sender = client.post(f"/api/v1/referrals/{referral}/{verb}", json=body, headers=bearer(world, "a-caseworker"))
    assert sender.status_code in (403, 409)
    receiver = client.post(f"/api/v1/referrals/{referral}/{verb}", json=body, headers=bearer(world, "b-caseworker"))
    assert receiver.status_code == 200, receiver.text
    assert receiver.json()["data"]["state"] == ("accepted" if verb == "accept" else "rejected")
    seen_by_c = client.get(f"/api/v1/cases/{world.cases['own']}", headers=bearer(world, "c-caseworker"))
    assert seen_by_c.status_code == 404


def test_a_token_is_limited_to_its_scopes_and_revocable(client: TestClient, world: World) -> None:
    made = client.post(
        "/api/v1/tokens",
        json={
            "username": "a-caseworker",
            "password": "correct horse battery staple",
            "name": "read",
            "scopes": ["cases.read"],
        },
    )
    assert made.status_code == 201, made.text
    secret, token_id = made.json()["data"]["secret"], made.json()["data"]["id"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    assert (
        client.post("/api/v1/cases", json={"opened_on": str(dt.date(2026, 3, 1))}, headers=headers).status_code == 403
    )
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 200
    assert client.get("/api/v1/cases", headers=headers).status_code == 401
