"""Case operations through the API: the trafficking-status decision, support plans, assignment, screening."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import World

DECISION = {
    "status": "PossibleVictimOfTrafficking",
    "deciding_org_type": "NGO",
    "decided_on": "2026-02-03",
    "basis": "screening and interview",
}


def test_the_owning_organisation_records_the_trafficking_status_decision(client: TestClient, world: World) -> None:
    own = client.post(
        f"/api/v1/cases/{world.cases['own']}/decision", json=DECISION, headers=bearer(world, "a-caseworker")
    )
    assert own.status_code == 200, own.text
    assert own.json()["data"]["trafficking_status"] == "PossibleVictimOfTrafficking"
    referred = client.post(
        f"/api/v1/cases/{world.cases['referred']}/decision", json=DECISION, headers=bearer(world, "a-caseworker")
    )
    assert referred.status_code == 403
    audit = client.get("/api/v1/audit", headers=bearer(world, "a-orgadmin")).json()["data"]
    assert "vic_TraffickingStatus" in audit[0]["fields"]
    assert all("screening and interview" not in str(event) for event in audit)


def test_a_receiving_organisation_adds_support_plans(client: TestClient, world: World) -> None:
    added = client.post(
        f"/api/v1/cases/{world.cases['referred']}/plans",
        json={"plan_type": "Health"},
        headers=bearer(world, "a-caseworker"),
    )
    assert added.status_code == 201, added.text
    page = client.get(f"/api/v1/cases/{world.cases['referred']}", headers=bearer(world, "b-caseworker")).json()["data"]
    assert [p["plan_type"] for p in page["plans"]] == ["Health"]
    bad = client.post(
        f"/api/v1/cases/{world.cases['own']}/plans", json={"plan_type": "Spa"}, headers=bearer(world, "a-caseworker")
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "spl_Type"


def test_a_supervisor_assigns_and_the_scope_follows(client: TestClient, world: World) -> None:
    target = f"/api/v1/cases/{world.cases['own']}"
    refused = client.post(f"{target}/assign", json={"username": "a-colleague"}, headers=bearer(world, "a-caseworker"))
    assert refused.status_code == 403
    moved = client.post(f"{target}/assign", json={"username": "a-colleague"}, headers=bearer(world, "a-supervisor"))
    assert moved.status_code == 200 and moved.json()["data"]["owner"] == "a-colleague"
    assert client.get(target, headers=bearer(world, "a-caseworker")).status_code == 404
    assert client.get(target, headers=bearer(world, "a-colleague")).status_code == 200


def test_a_screening_is_scored_stored_and_explained(client: TestClient, world: World) -> None:
    answers = {"answers": {"T01": "yes", "T02": "yes"}, "instrument": "triage", "language": "es"}
    stored = client.post(
        f"/api/v1/cases/{world.cases['own']}/screenings", json=answers, headers=bearer(world, "a-caseworker")
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["data"]["explanation"]
    unknown = client.post(
        f"/api/v1/cases/{world.cases['own']}/screenings",
        json={**answers, "answers": {"ZZ99": "yes"}},
        headers=bearer(world, "a-caseworker"),
    )
    assert unknown.status_code == 422
