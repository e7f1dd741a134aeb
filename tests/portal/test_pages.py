"""The portal's pages without a browser: languages, headline and charts against the API, protection notes,
downloads, and nothing loaded from another site."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from ctdx.portal.i18n import LANGUAGES, Translator
from tests.portal.conftest import get_json

CHARTS = ("year", "sex", "age", "exploitation", "means", "labour", "recruiter", "citizenship", "country", "flows")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_renders_in_every_language(client, built, lang) -> None:
    t = Translator(lang)
    for path in (f"/{lang}/", f"/{lang}/{built.slug}/", f"/{lang}/{built.slug}/release/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert f'<html lang="{lang}">' in response.text
        assert t("caveat_1") in response.text
    dashboard = client.get(f"/{lang}/{built.slug}/").text
    for key in CHARTS:
        assert f'id="chart-{key}"' in dashboard
    assert t("how_protected") in dashboard and t("download") in dashboard


def test_the_root_sends_visitors_to_english(client) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307 and response.headers["location"] == "/en/"


def test_pages_load_nothing_from_another_site(client, built) -> None:
    page = client.get(f"/en/{built.slug}/").text
    sources = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/static/") for s in sources)
    assert client.get("/static/portal.js").status_code == 200


def test_headline_and_charts_show_the_api_numbers(client, built) -> None:
    page = client.get(f"/en/{built.slug}/?yearOfRegistration=2019").text
    headline = get_json(client, f"/api/{built.slug}/-/headline.json?yearOfRegistration=2019")["headline"]
    assert f'id="headline-total" data-count="{headline["total"]}"' in page
    chart = get_json(client, f"/api/{built.slug}/-/charts/sex.json?yearOfRegistration=2019")["chart"]
    section = page.split('id="chart-sex"')[1].split("</section>")[0]
    for bar in chart["bars"]:
        assert f'data-value="{bar["value"]}" data-count="{"" if bar["count"] is None else bar["count"]}"' in section
    assert f"{chart['denominator']:,} cases with a value recorded" in section


def test_each_chart_says_which_product_answered_it(client, built) -> None:
    page = client.get(f"/en/{built.slug}/?yearOfRegistration=2019").text
    products = dict(re.findall(r'data-chart="(\w+)" data-table="([\w-]*)"', page))
    assert products["sex"] == "aggregates-year_gender_age"
    # no aggregate table crosses year and exploitation type: the synthetic microdata answer, and say so
    assert products["exploitation"] == "synthetic"
    section = page.split('id="chart-exploitation"')[1].split("</section>")[0]
    assert 'data-product="synthetic"' in section and "can fabricate patterns" in section


def test_every_download_link_on_the_dashboard_works(client, built) -> None:
    page = client.get(f"/en/{built.slug}/?gender=Man").text
    links = re.findall(r'class="download" href="([^"]+)"', page)
    assert len(links) == len(CHARTS)
    for link in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), link


def test_the_release_page_and_its_downloads(client, built) -> None:
    page = client.get(f"/en/{built.slug}/release/").text
    for words in ("1.0.0", "Portal test release (2026), version 1.0.0", "CC BY 4.0", "ctdx sample cohort, seed 11"):
        assert words in page
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/downloads/{built.slug}.zip").content))
    names = set(archive.namelist())
    assert f"{built.slug}/datapackage.json" in names and f"{built.slug}/aggregates/flows.parquet" in names
    assert archive.read(f"{built.slug}/microdata.csv") == (built.path / "microdata.csv").read_bytes()
    assert client.get(f"/downloads/{built.slug}/report.html").status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/de/", 404),
        ("/en/nope/", 404),
        ("/en/{slug}/?traffickMonths=0--12", 400),
        ("/en/{slug}/?level=planet", 400),
        ("/downloads/{slug}/ledger-secret.json", 404),
        ("/downloads/{slug}/..%2F..%2Fetc%2Fpasswd", 404),
        ("/downloads/nope.zip", 404),
    ],
)
def test_bad_page_requests_get_the_error_shape(client, built, path, status) -> None:
    body = get_json(client, path.format(slug=built.slug), status)
    assert body["ok"] is False and body["status"] == status


def test_pages_are_built_for_assistive_technology(client, built) -> None:
    for lang in LANGUAGES:
        page = client.get(f"/{lang}/{built.slug}/?gender=Woman").text
        assert page.count("<h1") == 1 and 'class="skip" href="#main"' in page and '<main id="main">' in page
        ids = set(re.findall(r' id="([^"]+)"', page))
        labelled = re.findall(r'<svg[^>]*role="img" aria-labelledby="([^"]+)"', page)
        assert len(labelled) == len(re.findall(r"<svg", page)) and set(labelled) <= ids
        for select in re.findall(r'<select id="([^"]+)"', page):
            assert f'<label for="{select}">' in page
        # every chart's numbers are also in a table with header cells; a chart the filter leaves without
        # data (its noisy counts under the threshold, which happens by chance) shows a note instead
        unavailable = page.count('data-table=""')
        assert unavailable < len(CHARTS) and page.count('<details class="data-table">') == len(CHARTS) - unavailable
        assert 'aria-current="true"' in page.split('class="languages"')[1].split("</nav>")[0]
