from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import World


def test_caseworker_lists_own_and_referred_cases(client: TestClient, world: World) -> None:
    answer = client.get("/api/v1/cases", headers=bearer(world, "a-caseworker"))
    assert answer.status_code == 200, answer.text
    ids = {row["id"] for row in answer.json()["data"]}
    assert ids == {str(world.cases["own"]), str(world.cases["referred"])}
