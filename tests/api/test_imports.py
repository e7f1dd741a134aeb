"""Imports through the API: upload and check, choose the field of unrecognised columns, confirm."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.world import World

CSV = b"source_record_id,cas_Status,Sexe,Etat civil\nr1,Active,Feminine,married\nr2,Active,Nope,single\n"


def test_unrecognised_columns_are_read_as_the_chosen_fields_before_the_import(client: TestClient, world: World) -> None:
    headers = bearer(world, "a-datamgr")
    files = {"file": ("cases.csv", io.BytesIO(CSV), "text/csv")}
    checked = client.post("/api/v1/imports", files=files, headers=headers).json()["data"]
    assert checked["unknown_columns"] == ["Etat civil", "Sexe"] and checked["columns"] == {}
    assert checked["rows_valid"] == 2  # the unknown columns are not read at all, so nothing is refused yet
    upload = checked["upload_id"]

    sexe = client.post(f"/api/v1/imports/{upload}/columns", json={"columns": {"Sexe": "prs_Gender"}}, headers=headers)
    data = sexe.json()["data"]
    assert data["unknown_columns"] == ["Etat civil"] and data["columns"] == {"Sexe": "prs_Gender"}
    assert (data["rows_valid"], data["rows_refused"]) == (1, 1)  # "Nope" is not a gender
    refused = [i for i in data["issues"] if i["code"] == "unknown_value"]
    assert [(i["row"], i["column"], i["field"]) for i in refused] == [(3, "Sexe", "prs_Gender")]

    bad_field = client.post(
        f"/api/v1/imports/{upload}/columns", json={"columns": {"Etat civil": "prs_Nothing"}}, headers=headers
    )
    assert bad_field.status_code == 422 and bad_field.json()["error"]["field"] == "Etat civil"
    bad_column = client.post(
        f"/api/v1/imports/{upload}/columns", json={"columns": {"Age": "vic_AgeWhenTrafficked"}}, headers=headers
    )
    assert bad_column.status_code == 422 and bad_column.json()["error"]["field"] == "Age"

    left_out = client.post(f"/api/v1/imports/{upload}/columns", json={"columns": {"Etat civil": None}}, headers=headers)
    data = left_out.json()["data"]
    assert data["unknown_columns"] == [] and data["columns"] == {"Sexe": "prs_Gender", "Etat civil": None}

    done = client.post(f"/api/v1/imports/{upload}/confirm", headers=headers).json()["data"]
    assert (done["created"], done["rows_refused"]) == (1, 1)
    assert client.post(f"/api/v1/imports/{upload}/columns", json={"columns": {}}, headers=headers).status_code == 404


def test_choosing_columns_needs_the_import_permission(client: TestClient, world: World) -> None:
    files = {"file": ("cases.csv", io.BytesIO(CSV), "text/csv")}
    upload = client.post("/api/v1/imports", files=files, headers=bearer(world, "a-datamgr")).json()["data"]
    answer = client.post(
        f"/api/v1/imports/{upload['upload_id']}/columns",
        json={"columns": {"Sexe": "prs_Gender"}},
        headers=bearer(world, "a-caseworker"),
    )
    assert answer.status_code == 403
