"""The portal in headless Chromium (Debian's package driven by Playwright through its executable path): open
the dashboard, filter it, check a chart against the API, switch language, download CSVs and compare them
with the release. Screenshots go to ``docs/screenshots/portal-*.png`` when ``CTDX_SCREENSHOTS=1``.

The server is uvicorn in a thread on 127.0.0.1 with a free port.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ctdx.portal import create_app
from tests.browser import LAUNCH_ARGS, chromium_path, screenshot_folder, served


@pytest.fixture(scope="module")
def base_url(built) -> Iterator[str]:
    with served(create_app([built.path]), "the portal") as url:
        yield url


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return screenshot_folder(tmp_path)


def release_cells(built, name: str) -> list[dict[str, str]]:
    with (built.path / "aggregates" / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_filter_compare_with_the_api_switch_language_and_download(base_url, built, shots, tmp_path) -> None:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium: scripts/ensure-chromium.sh found none and could not install Debian's package")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page.goto(f"{base_url}/en/{built.slug}/")
        expect(page.locator("h1")).to_contain_text("Portal test release")
        page.screenshot(path=str(shots / "portal-dashboard.png"), full_page=True)

        # a filter chosen in the form applies at once (portal.js) and to every chart
        page.get_by_role("combobox", name="Gender").select_option("Woman")
        page.wait_for_url("**gender=Woman**")
        api = httpx.get(f"{base_url}/api/{built.slug}/-/charts/age.json?gender=Woman").json()["chart"]
        shown = {
            row.get_attribute("data-value"): row.get_attribute("data-count")
            for row in page.locator("#chart-age tbody tr").all()
        }
        assert shown == {b["value"]: "" if b["count"] is None else str(b["count"]) for b in api["bars"]}
        assert shown, "the filtered age chart shows bars"
        headline = httpx.get(f"{base_url}/api/{built.slug}/-/headline.json?gender=Woman").json()["headline"]
        assert page.locator("#headline-total").get_attribute("data-count") == str(headline["total"])

        # the CSV behind the year chart adds up the release's own published cells for the same filter
        with page.expect_download() as download_info:
            page.locator("#chart-year a.download").click()
        downloaded = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text(encoding="utf-8"))))
        expected = Counter()
        for cell in release_cells(built, "year_gender_age"):
            if cell["gender"] == "Woman" and cell["yearOfRegistration"]:
                expected[cell["yearOfRegistration"]] += int(cell["count"])
        assert {r["value"]: int(r["count"]) for r in downloaded} == dict(expected)

        # switching language keeps the filter and translates the page
        page.get_by_role("link", name="Français").click()
        page.wait_for_url(f"**/fr/{built.slug}/?gender=Woman")
        assert page.locator("html").get_attribute("lang") == "fr"
        expect(page.locator("#h-age")).to_have_text("Tranche d'âge à l'identification")
        expect(page.locator("#chart-age .protection summary")).to_have_text("Comment ces données ont été protégées")
        page.screenshot(path=str(shots / "portal-dashboard-fr-filtered.png"), full_page=True)

        # the release page offers the release's files, byte for byte
        page.goto(f"{base_url}/es/{built.slug}/release/")
        expect(page.locator("#release-version")).to_have_text("1.0.0")
        page.screenshot(path=str(shots / "portal-release.png"), full_page=True)
        with page.expect_download() as download_info:
            page.locator("a[data-name='aggregates-flows']").click()
        assert Path(download_info.value.path()).read_bytes() == (built.path / "aggregates" / "flows.csv").read_bytes()
        browser.close()
