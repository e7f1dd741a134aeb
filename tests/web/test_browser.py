"""End-to-end in headless Chromium (Debian's package, driven by Playwright with its executable path): sign
in, screen a person in French, register the case, refer it to a second organisation, sign in there and accept
it, and check that a third organisation cannot see it. Screenshots of the main pages are taken on the way
(into ``docs/screenshots/`` when ``CTDX_SCREENSHOTS=1``, else into the test's temporary folder).

The server is uvicorn in a thread on 127.0.0.1 with a free port, against a copy of the test world's SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ctdx.store import open_store
from ctdx.web import create_app
from tests.api.world import PASSWORD, World
from tests.browser import LAUNCH_ARGS, chromium_path, screenshot_folder, served


@pytest.fixture
def base_url(world: World, tmp_path: Path) -> Iterator[str]:
    settings = world.settings(tmp_path)
    with open_store(settings) as store, served(create_app(store, settings.data_dir), "the server") as url:
        yield url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshot_folder(tmp_path)


def test_screen_in_french_register_refer_accept_and_hide_from_a_third_organisation(base_url: str, shots: Path) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: scripts/ensure-chromium.sh found none and could not install Debian's package")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def sign_in(username: str) -> None:
            page.context.clear_cookies()
            page.goto(f"{base_url}/login")
            page.get_by_label("User name").fill(username)
            page.get_by_label("Password").fill(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base_url}/")

        page.goto(f"{base_url}/login")
        page.screenshot(path=str(shots / "login.png"))
        sign_in("a-caseworker")
        page.screenshot(path=str(shots / "my-cases.png"), full_page=True)

        page.get_by_role("link", name="New case with a screening").click()
        page.get_by_label("Instrument").select_option("triage")
        page.locator("#language").select_option("fr")
        page.get_by_role("button", name="Start").click()
        first = True
        while page.locator("p.question").count():
            assert page.locator("p.question").inner_text(), "a question without text"
            if first:
                page.screenshot(path=str(shots / "screening-question.png"), full_page=True)
                first = False
            page.get_by_role("button", name="Yes", exact=True).click()
        expect(page.locator("#explanation li").first).to_be_visible()
        explanation = page.locator("#explanation").inner_text()
        page.screenshot(path=str(shots / "screening-result.png"), full_page=True)
        page.get_by_label("The person consents to referral to other organisations").check()
        page.get_by_role("button", name="Register the case").click()
        expect(page.get_by_role("heading", name="Trafficking status decision")).to_be_visible()
        case_url = page.url
        assert explanation.splitlines()[0] in page.content()
        page.get_by_label("Organisation", exact=True).select_option("org-b")
        page.get_by_role("button", name="Refer to an organisation").click()
        expect(page.get_by_role("cell", name="in_progress")).to_be_visible()
        page.screenshot(path=str(shots / "case.png"), full_page=True)

        sign_in("b-caseworker")
        page.goto(f"{base_url}/referrals")
        page.screenshot(path=str(shots / "referrals-inbox.png"), full_page=True)
        page.get_by_role("button", name="Accept").first.click()
        page.wait_for_url(case_url)
        expect(page.get_by_role("cell", name="accepted")).to_be_visible()

        sign_in("c-caseworker")
        answer = page.goto(case_url)
        assert answer is not None and answer.status == 404
        page.goto(f"{base_url}/")
        assert case_url.rsplit("/", 1)[1] not in page.content()

        sign_in("a-orgadmin")
        page.goto(f"{base_url}/audit")
        page.screenshot(path=str(shots / "audit.png"))
        page.goto(f"{base_url}/admin")
        page.screenshot(path=str(shots / "admin.png"), full_page=True)
        sign_in("a-datamgr")
        page.goto(f"{base_url}/import")
        page.screenshot(path=str(shots / "import.png"))
        browser.close()
