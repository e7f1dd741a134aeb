"""The pages a user walks through, with a browser-like client: a screening stopped and resumed, the explanation
at the end, the referrals inbox, imports with their report, administration and the audit trail, languages."""

from __future__ import annotations

import json
import re
from importlib import resources

from fastapi.testclient import TestClient

from tests.api.world import World
from tests.web.conftest import csrf_of, sign_in

ITEM = re.compile(r'name="item" value="([^"]+)"')


def _answer(client: TestClient, page: str, draft: str, value: str) -> str:
    item = ITEM.search(page)
    assert item is not None
    return client.post(
        f"/screen/{draft}", data={"item": item.group(1), "answer": value, "csrf_token": csrf_of(page)}
    ).text


def test_a_screening_stops_resumes_and_ends_with_its_explanation(client: TestClient) -> None:
    csrf = sign_in(client, "a-caseworker")
    started = client.post("/screen", data={"instrument": "triage", "language": "es", "csrf_token": csrf})
    draft = str(started.url).rsplit("/", 1)[1]
    page = _answer(client, started.text, draft, "yes")
    assert "2 / 6" in page
    item = ITEM.search(page)
    assert item is not None
    home = client.post(f"/screen/{draft}", data={"item": item.group(1), "answer": "stop", "csrf_token": csrf_of(page)})
    assert f"/screen/{draft}" in home.text
    page = client.get(f"/screen/{draft}").text
    assert "2 / 6" in page and 'lang="es"' in page
    while ITEM.search(page):
        page = _answer(client, page, draft, "no")
    assert 'id="explanation"' in page
    case = client.post(
        f"/screen/{draft}/register",
        data={"opened_on": "2026-04-01", "consent_interview": "1", "csrf_token": csrf_of(page)},
    )
    assert "triage" in case.text and "<td>interview</td>" in case.text
    assert f"/screen/{draft}" not in client.get("/").text


def test_a_case_worker_sees_the_case_list_in_its_language(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "b-caseworker")
    english = client.get("/").text
    assert "My cases" in english and str(world.cases["other"]) in english
    assert str(world.cases["own"]) not in english
    spanish = client.post("/language", data={"language": "es", "csrf_token": csrf}).text
    assert "Mis casos" in spanish and '<html lang="es">' in spanish
    sign_in(client, "b-caseworker")
    assert "Mis casos" in client.get("/").text


def test_the_referrals_inbox_accepts_and_rejects(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "a-caseworker")
    client.post(f"/cases/{world.cases['own']}/refer", data={"to_organisation": "org-b", "csrf_token": csrf})
    csrf = sign_in(client, "b-caseworker")
    inbox = client.get("/referrals").text
    referral = re.search(r'action="/referrals/([0-9a-f-]+)/reject"', inbox)
    assert referral is not None
    rejected = client.post(
        f"/referrals/{referral.group(1)}/reject", data={"reason": "no capacity", "csrf_token": csrf_of(inbox)}
    )
    assert rejected.status_code == 200 and "rejected" not in rejected.text.split("<main")[0]
    assert client.get(f"/cases/{world.cases['own']}").status_code == 404


def _check_upload(client: TestClient, name: str, content: bytes) -> str:
    """Upload a file on the import page; the page with its dry-run report."""
    page = client.get("/import").text
    return client.post("/import", data={"csrf_token": csrf_of(page)}, files={"file": (name, content, "text/csv")}).text


def _confirm(client: TestClient, checked: str) -> str:
    """Confirm the import offered on a checked page; the page with its outcome."""
    confirm = re.search(r'action="/import/([0-9a-f]+)/confirm"', checked)
    assert confirm is not None
    return client.post(f"/import/{confirm.group(1)}/confirm", data={"csrf_token": csrf_of(checked)}).text


def test_an_import_shows_its_report_before_anything_is_stored(client: TestClient) -> None:
    sign_in(client, "a-datamgr")
    content = b"cas_Status,ext_CaseOpenedDate\nActive,2026-01-02\nNotAStatus,2026-01-03\n"
    checked = _check_upload(client, "cases.csv", content)
    assert "Valid rows: 1" in checked and "Refused rows: 1" in checked
    assert "Imported: 1" in _confirm(client, checked)


def test_admins_see_users_and_the_audit_trail_and_case_workers_do_not(client: TestClient) -> None:
    sign_in(client, "a-orgadmin")
    admin = client.get("/admin").text
    assert "a-caseworker" in admin and "b-caseworker" not in admin
    created = client.post(
        "/admin/users",
        data={
            "organisation": "org-a",
            "username": "a-newcomer",
            "display_name": "Newcomer",
            "role": "caseworker",
            "password": "a long password",
            "language": "fr",
            "csrf_token": csrf_of(admin),
        },
    )
    assert "a-newcomer" in created.text
    assert "app_user" in client.get("/audit").text
    sign_in(client, "a-newcomer", "a long password")
    assert "Mes dossiers" in client.get("/").text
    assert client.get("/audit").status_code == 403


def test_every_translation_has_every_key() -> None:
    folder = resources.files("ctdx.web").joinpath("translations")
    keys = {
        lang: set(json.loads(folder.joinpath(f"{lang}.json").read_text(encoding="utf-8")))
        for lang in ("en", "fr", "es")
    }
    assert keys["en"] == keys["fr"] == keys["es"]


def test_imported_cases_wait_in_the_unassigned_list_until_someone_owns_them(client: TestClient) -> None:
    csrf = sign_in(client, "a-datamgr")

    def unassigned() -> list[dict[str, object]]:
        rows: list[dict[str, object]] = client.get("/api/v1/cases?unassigned=true&per_page=100").json()["data"]
        return rows

    before = {row["id"] for row in unassigned()}
    checked = _check_upload(
        client, "more.csv", b"cas_Status,ext_CaseOpenedDate\nActive,2026-04-02\nActive,2026-04-03\n"
    )
    _confirm(client, checked)

    rows = unassigned()
    new = [row for row in rows if row["id"] not in before]
    assert len(new) == 2 and all(row["owner"] is None for row in rows)
    listed = client.get("/?unassigned=true").text
    assert "Cases without an owner" in listed and all(str(row["reference"]) in listed for row in new)
    assert client.get("/").text.count("/cases/") >= listed.count("/cases/")

    client.post(f"/cases/{new[0]['id']}/assign", data={"username": "a-caseworker", "csrf_token": csrf})
    assert {row["id"] for row in unassigned()} == {row["id"] for row in rows} - {new[0]["id"]}
    sign_in(client, "a-caseworker")
    assert str(new[0]["reference"]) in client.get("/").text


def test_the_import_page_lets_the_user_choose_the_field_of_an_unrecognised_column(client: TestClient) -> None:
    sign_in(client, "a-datamgr")
    checked = _check_upload(client, "sexe.csv", b"cas_Status,Sexe\nActive,Feminine\nActive,Nope\n")
    assert "Choose the field of each column" in checked and "Valid rows: 2" in checked
    action = re.search(r'action="(/import/[0-9a-f]+/columns)"', checked)
    assert action is not None
    again = client.post(
        action.group(1), data={"csrf_token": csrf_of(checked), "column": ["Sexe"], "field": ["prs_Gender"]}
    ).text
    assert "Valid rows: 1" in again and "Refused rows: 1" in again
    assert re.search(r'<option value="prs_Gender" selected>', again)
    assert "Imported: 1" in _confirm(client, again)
