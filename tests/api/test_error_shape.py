"""One envelope and one error shape everywhere, and each error code on its documented HTTP status."""

from __future__ import annotations

from fastapi.testclient import TestClient

from ctdx.api.errors import STATUS_BY_CODE
from tests.api.conftest import bearer
from tests.api.world import World


def test_every_error_has_the_one_shape_and_the_status_of_its_code(client: TestClient, world: World) -> None:
    worker = bearer(world, "a-caseworker")
    answers = [
        client.get("/api/v1/cases"),
        client.get("/api/v1/cases", headers={"Authorization": "Bearer ctdx_wrong"}),
        client.get(f"/api/v1/cases/{world.cases['other']}", headers=worker),
        client.get("/api/v1/cases/not-a-uuid", headers=worker),
        client.get("/api/v1/users", headers=worker),
        client.post(f"/api/v1/cases/{world.cases['own']}/referrals", json={"to_organisation": "org-a"}, headers=worker),
        client.post(
            f"/api/v1/cases/{world.cases['own']}/referrals", json={"to_organisation": "nowhere"}, headers=worker
        ),
        client.get("/api/v1/no-such-route", headers=worker),
    ]
    codes = []
    for answer in answers:
        body = answer.json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
        code = body["error"]["code"]
        codes.append(code)
        assert answer.status_code == STATUS_BY_CODE.get(code, answer.status_code)
    assert codes == [
        "unauthenticated",
        "unauthenticated",
        "not_found",
        "validation",
        "permission_denied",
        "validation",
        "not_found",
        "not_found",
    ]


def test_lists_are_paged_in_the_envelope(client: TestClient, world: World) -> None:
    admin = bearer(world, "a-orgadmin")
    first = client.get("/api/v1/cases?per_page=3", headers=admin).json()
    second = client.get("/api/v1/cases?per_page=3&page=2", headers=admin).json()
    assert first["meta"] == {"page": 1, "per_page": 3, "total": 4}
    assert len(first["data"]) == 3 and len(second["data"]) == 1
    assert client.get("/api/v1/cases?status=Closed", headers=admin).json()["meta"]["total"] == 0
    assert client.get("/api/v1/cases?per_page=500", headers=admin).status_code == 422
