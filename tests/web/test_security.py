"""Security of the web pages: CSRF, session fixation, lockout, cookies, headers, and logs free of identifying values."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from ctdx.accounts.sessions import LOCKOUT_THRESHOLD
from ctdx.api.deps import Services
from tests.api.world import FAMILY_NAME, PASSWORD, World
from tests.web.conftest import csrf_of, sign_in


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, world: World) -> None:
    sign_in(client, "a-caseworker")
    path = f"/cases/{world.cases['own']}/consent"
    form = {"purpose": "research", "granted": "1", "decided_on": "2026-02-02"}
    assert client.post(path, data=form).status_code == 403
    assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 403
    page = client.get(f"/cases/{world.cases['own']}")
    assert "<td>research</td>" not in page.text
    ok = client.post(path, data={**form, "csrf_token": csrf_of(page.text)})
    assert ok.status_code == 200 and "<td>research</td>" in ok.text


def test_the_sign_in_form_needs_its_csrf_token(client: TestClient) -> None:
    client.get("/login")
    answer = client.post("/login", data={"username": "a-caseworker", "password": PASSWORD})
    assert answer.status_code == 403
    assert "ctdx_session" not in client.cookies


def test_a_cookie_session_cannot_change_through_the_api_without_the_csrf_header(client: TestClient) -> None:
    sign_in(client, "a-caseworker")
    assert client.get("/api/v1/cases").status_code == 200
    refused = client.post("/api/v1/cases", json={"opened_on": "2026-03-01"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf"


def test_signing_in_rotates_the_session_and_ends_the_one_the_browser_came_with(client: TestClient) -> None:
    sign_in(client, "a-caseworker")
    planted = client.cookies["ctdx_session"]
    sign_in(client, "a-supervisor")
    fresh = client.cookies["ctdx_session"]
    assert fresh != planted
    client.cookies.set("ctdx_session", planted)
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.set("ctdx_session", fresh)
    assert client.get("/api/v1/me").json()["data"]["username"] == "a-supervisor"


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": "a-caseworker", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("ctdx_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert answer.headers["content-security-policy"].startswith("default-src 'self'")


def test_cookies_are_secure_behind_tls(world: World, client: TestClient) -> None:
    secure = TestClient(client.app, base_url="https://testserver")
    token = csrf_of(secure.get("/login").text)
    answer = secure.post(
        "/login", data={"username": "a-caseworker", "password": PASSWORD, "csrf_token": token}, follow_redirects=False
    )
    cookie = next(v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("ctdx_session="))
    assert "Secure" in cookie


def test_repeated_failures_lock_the_account_even_for_the_right_password(client: TestClient) -> None:
    for _ in range(LOCKOUT_THRESHOLD):
        token = csrf_of(client.get("/login").text)
        failed = client.post(
            "/login", data={"username": "a-colleague", "password": "wrong password!", "csrf_token": token}
        )
        assert failed.status_code == 401
    token = csrf_of(client.get("/login").text)
    locked = client.post("/login", data={"username": "a-colleague", "password": PASSWORD, "csrf_token": token})
    assert locked.status_code == 401 and "ctdx_session" not in client.cookies
    sign_in(client, "a-caseworker")


def test_many_failures_from_one_address_block_it_but_not_other_addresses(client: TestClient) -> None:
    # Password spraying: one address, one wrong password, many names (none of them locked on its own).
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    for n in range(services.throttle.failures):
        token = csrf_of(client.get("/login").text)
        failed = client.post("/login", data={"username": f"guess-{n}", "password": "Summer2026!", "csrf_token": token})
        assert failed.status_code == 401
    token = csrf_of(client.get("/login").text)
    blocked = client.post("/login", data={"username": "a-caseworker", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429 and "ctdx_session" not in client.cookies
    assert int(blocked.headers["retry-after"]) > 0 and "Try again in 15 minutes" in blocked.text
    api = client.post(
        "/api/v1/tokens", json={"username": "a-caseworker", "password": PASSWORD, "name": "x", "scopes": ["cases:read"]}
    )
    assert api.status_code == 429 and api.json()["error"]["code"] == "too_many_attempts"
    assert int(api.headers["retry-after"]) > 0
    elsewhere = TestClient(client.app, client=("192.0.2.7", 50000))
    sign_in(elsewhere, "a-caseworker")
    assert elsewhere.get("/api/v1/me").json()["data"]["username"] == "a-caseworker"


def test_signing_out_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client, "a-caseworker")
    session = client.cookies["ctdx_session"]
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.set("ctdx_session", session)
    assert client.get("/", follow_redirects=False).status_code == 303


def test_no_log_line_holds_an_identifying_value(
    client: TestClient, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A full flow, with every logger at DEBUG: open a case, show its identifying values, refer it, fail a
    sign-in, ask for a hidden case; then scan every captured record for the values the world holds."""
    caplog.set_level(logging.DEBUG)
    csrf = sign_in(client, "a-caseworker")
    page = client.get(f"/cases/{world.cases['own']}?identifying=1")
    assert FAMILY_NAME in page.text
    client.post(f"/cases/{world.cases['own']}/refer", data={"to_organisation": "org-b", "csrf_token": csrf})
    client.get(f"/cases/{world.cases['other']}")
    client.post("/login", data={"username": "a-caseworker", "password": "not " + PASSWORD, "csrf_token": "x"})
    client.get(
        f"/api/v1/cases/{world.cases['own']}/identifying",
        headers={"Authorization": f"Bearer {world.tokens['a-caseworker']}"},
    )
    assert caplog.records, "nothing was logged: the scan would prove nothing"
    for record in caplog.records:
        line = record.getMessage()
        assert FAMILY_NAME not in line and PASSWORD not in line, record.name
