"""The portal's JSON API: envelope, error shape, every row parameter, CSV, ETag, CORS and OpenAPI."""

from __future__ import annotations

import csv
import io

import pytest

from tests.portal.conftest import get_json

FLOWS = "aggregates-flows"


def url(built, table: str, query: str = "") -> str:
    return f"/api/{built.slug}/{table}.json" + (f"?{query}" if query else "")


def every_row(client, start: str) -> list[dict]:
    rows, next_url = [], start
    while next_url:
        page = get_json(client, next_url)
        rows.extend(page["rows"])
        next_url = page["next_url"]
    return rows


def test_the_release_list_and_the_release_describe_tables_and_their_protection(client, built) -> None:
    listing = get_json(client, "/api/")
    assert listing["ok"] is True and [r["slug"] for r in listing["releases"]] == [built.slug]
    assert listing["api_version"] == "1.0"
    assert "removed, renamed or changes meaning" in listing["stability"]
    detail = get_json(client, f"/api/{built.slug}")
    tables = {t["name"]: t for t in detail["tables"]}
    assert {"microdata", "synthetic", FLOWS} <= set(tables)
    assert tables[FLOWS]["protection"]["product"] == "dp_aggregates"
    assert tables["microdata"]["protection"]["k"] == 5
    assert detail["release"]["privacy"]["threshold"] == 12


def test_filters_select_rows_with_every_operator(client, built) -> None:
    all_rows = every_row(client, url(built, "microdata", "_size=1000"))
    cases = {
        "gender=Woman": lambda r: r["gender"] == "Woman",
        "gender__exact=Woman": lambda r: r["gender"] == "Woman",
        "gender__not=Woman": lambda r: r["gender"] != "Woman",
        "gender__contains=ma": lambda r: "ma" in r["gender"],
        "gender__startswith=Wo": lambda r: r["gender"].startswith("Wo"),
        "gender__endswith=an": lambda r: r["gender"].endswith("an"),
        "gender__in=Woman,Man": lambda r: r["gender"] in ("Woman", "Man"),
        "gender__notin=Woman,Man": lambda r: r["gender"] not in ("Woman", "Man"),
        "gender__isblank=1": lambda r: r["gender"] == "",
        "gender__notblank=1": lambda r: r["gender"] != "",
        "ageBroad__gt=18": lambda r: r["ageBroad"] > "18",
        "ageBroad__gte=18--29": lambda r: r["ageBroad"] >= "18--29",
        "ageBroad__lt=18": lambda r: r["ageBroad"] < "18",
        "ageBroad__lte=18--29": lambda r: r["ageBroad"] <= "18--29",
    }
    assert len(all_rows) == get_json(client, url(built, "microdata", "_size=1"))["count"] > 1000
    for query, keep in cases.items():
        body = get_json(client, url(built, "microdata", f"{query}&_size=1000"))
        expected = [r for r in all_rows if keep(r)]
        assert body["count"] == len(expected), query
        assert every_row(client, url(built, "microdata", f"{query}&_size=1000")) == expected, query


def test_integer_filters_and_sorting_on_an_aggregate_table(client, built) -> None:
    body = get_json(client, url(built, FLOWS, "count__gte=20&_sort_desc=count"))
    counts = [r["count"] for r in body["rows"]]
    assert counts == sorted(counts, reverse=True) and all(c >= 20 for c in counts)
    ascending = [r["count"] for r in get_json(client, url(built, FLOWS, "_sort=count"))["rows"]]
    assert ascending == sorted(ascending)


def test_key_set_pagination_walks_every_row_once_in_order(client, built) -> None:
    seen = every_row(client, url(built, "microdata", "_sort=ageBroad&_size=97"))
    assert len(seen) == get_json(client, url(built, "microdata"))["count"]
    assert [r["ageBroad"] for r in seen] == sorted(r["ageBroad"] for r in seen)
    descending = every_row(client, url(built, "microdata", "_sort_desc=ageBroad&_size=89"))
    assert [r["ageBroad"] for r in descending] == sorted((r["ageBroad"] for r in seen), reverse=True)
    assert sorted(map(str, descending)) == sorted(map(str, seen))


def test_columns_and_shapes(client, built) -> None:
    body = get_json(client, url(built, "microdata", "_col=gender&_col=ageBroad&_shape=arrays&_size=3"))
    assert body["columns"] == ["gender", "ageBroad"] and all(len(r) == 2 for r in body["rows"])
    objects = get_json(client, url(built, "microdata", "_col=gender&_size=3"))["rows"]
    assert all(set(r) == {"gender"} for r in objects)


def test_facets_on_an_aggregate_table_add_up_published_cells(client, built) -> None:
    rows = get_json(client, url(built, FLOWS, "_size=1000"))["rows"]
    facet = get_json(client, url(built, FLOWS, "_facet=citizenship"))["facet_results"]["citizenship"]["results"]
    for item in facet:
        cells = [r["count"] for r in rows if r["citizenship"] == item["value"]]
        assert item["count"] == sum(cells) and item["cells"] == len(cells)
        assert item["error_bound"] >= 1


def test_facets_on_microdata_withhold_small_counts(client, built) -> None:
    rows = every_row(client, url(built, "microdata", "_size=1000"))
    results = get_json(client, url(built, "microdata", "_facet=citizenship&_facet=gender"))["facet_results"]
    for column in ("citizenship", "gender"):
        for item in results[column]["results"]:
            true = sum(1 for r in rows if r[column] == item["value"])
            if true < 12:
                assert item["count"] is None and item["suppressed"] is True
            else:
                assert item["count"] == true


def test_csv_has_the_same_rows_as_json(client, built) -> None:
    body = get_json(client, url(built, FLOWS, "_sort=count&_size=50"))
    response = client.get(f"/api/{built.slug}/{FLOWS}.csv?_sort=count&_size=50")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    parsed = list(csv.DictReader(io.StringIO(response.text)))
    assert [{k: str(v) for k, v in r.items()} for r in body["rows"]] == parsed


def test_etags_answer_not_modified(client, built) -> None:
    first = client.get(url(built, FLOWS))
    tag = first.headers["etag"]
    again = client.get(url(built, FLOWS), headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = client.get(url(built, FLOWS, "_size=2"), headers={"If-None-Match": tag})
    assert other.status_code == 200 and other.headers["etag"] != tag


def test_cors_lets_any_site_read_the_api(client, built) -> None:
    response = client.get(url(built, FLOWS), headers={"Origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"


def test_openapi_documents_every_route_and_the_stability_promise(client) -> None:
    spec = get_json(client, "/api/openapi.json")
    assert "never removed or renamed" in spec["info"]["description"]
    paths = set(spec["paths"])
    assert {"/api/", "/api/{release}", "/api/{release}/{table}", "/api/{release}/-/charts/{chart}"} <= paths
    parameters = {p["name"] for p in spec["paths"]["/api/{release}/{table}"]["get"]["parameters"]}
    assert {"_size", "_next", "_sort", "_sort_desc", "_facet", "_col", "_shape"} <= parameters


@pytest.mark.parametrize(
    ("path", "status", "code", "words"),
    [
        ("/api/nope", 404, "not_found", "no release"),
        ("/api/{slug}/nope.json", 404, "not_found", "no table"),
        ("/api/{slug}/microdata.xml", 404, "not_found", ".json or .csv"),
        ("/api/{slug}/microdata.json?_size=0", 400, "validation", "_size"),
        ("/api/{slug}/microdata.json?_size=many", 400, "validation", "_size"),
        ("/api/{slug}/microdata.json?_size=1001", 400, "validation", "_size"),
        ("/api/{slug}/microdata.json?_shape=tree", 400, "validation", "_shape"),
        ("/api/{slug}/microdata.json?_bogus=1", 400, "validation", "unknown parameter"),
        ("/api/{slug}/microdata.json?gender__like=x", 400, "validation", "unknown filter operator"),
        ("/api/{slug}/microdata.json?height=2", 400, "validation", "no column"),
        ("/api/{slug}/microdata.json?_sort=height", 400, "validation", "no column"),
        ("/api/{slug}/microdata.json?_facet=height", 400, "validation", "no column"),
        ("/api/{slug}/microdata.json?_sort=gender&_sort_desc=gender", 400, "validation", "not both"),
        ("/api/{slug}/microdata.json?_next=%21%21", 400, "validation", "_next"),
        ("/api/{slug}/microdata.json?_sort=gender&_next=WzFd", 400, "validation", "sort order"),
        ("/api/{slug}/aggregates-flows.json?count__gt=many", 400, "validation", "whole numbers"),
        ("/api/{slug}/-/charts/height.json", 404, "not_found", "no chart"),
        ("/api/{slug}/-/charts/sex.json?traffickMonths=0--12", 400, "validation", "filtered by"),
        ("/api/{slug}/-/flows/planet.json", 400, "validation", "level"),
        ("/api/{slug}/-/nothing", 404, "not_found", ""),
    ],
)
def test_every_error_has_the_one_shape(client, built, path, status, code, words) -> None:
    body = get_json(client, path.format(slug=built.slug), status)
    assert set(body) == {"ok", "status", "code", "error"}
    assert body["ok"] is False and body["status"] == status and body["code"] == code
    assert words in body["error"]
