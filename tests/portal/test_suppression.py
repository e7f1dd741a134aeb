"""Small cells stay suppressed through every combination of filters: nothing rebuilds them by differencing."""

from __future__ import annotations

import itertools
from collections import Counter

from tests.portal.conftest import get_json
from tests.portal.test_api import every_row

FLOWS = "aggregates-flows"


def test_a_suppressed_flow_cannot_be_rebuilt_by_differencing(client, built) -> None:
    truth = Counter(zip(built.table.values("citizenship"), built.table.values("CountryOfExploitation"), strict=True))
    published = {
        (r["citizenship"], r["CountryOfExploitation"]) for r in every_row(client, f"/api/{built.slug}/{FLOWS}.json")
    }
    hidden = [(o, d) for (o, d), n in truth.items() if o and d and (o, d) not in published and n > 0]
    assert hidden, "the test release must have suppressed flows of real cases"
    # the rarest and the largest suppressed pairs: a unique person and a cell just under the threshold
    targets = sorted(hidden, key=lambda cell: (truth[cell], cell))
    for origin, destination in {*targets[:10], *targets[-10:]}:
        true = truth[(origin, destination)]
        base = f"/api/{built.slug}"
        # 1. a facet restricted to the origin: the destination never appears with a count
        facet = get_json(client, f"{base}/{FLOWS}.json?citizenship={origin}&_facet=CountryOfExploitation")
        by_destination = {v["value"]: v["count"] for v in facet["facet_results"]["CountryOfExploitation"]["results"]}
        assert destination not in by_destination
        # 2. the origin's total minus everything else the API says about that origin
        total = {
            v["value"]: v["count"]
            for v in get_json(client, f"{base}/{FLOWS}.json?_facet=citizenship&citizenship={origin}")["facet_results"][
                "citizenship"
            ]["results"]
        }.get(origin, 0)
        assert total - sum(n for d, n in by_destination.items() if d != destination) == 0 != true
        # 3. the dashboard's chart for the origin: its denominator minus its bars
        chart = get_json(client, f"{base}/-/charts/country.json?citizenship={origin}")["chart"]
        assert chart["table"] == FLOWS
        shown = {b["value"]: b["count"] for b in chart["bars"]}
        assert destination not in shown
        assert chart["denominator"] - sum(n or 0 for d, n in shown.items() if d != destination) == 0 != true
        # 4. the chart filtered to exactly that cell, and the flows endpoint
        cell = get_json(
            client, f"{base}/-/charts/citizenship.json?citizenship={origin}&CountryOfExploitation={destination}"
        )
        assert cell["chart"]["table"] == FLOWS and cell["chart"]["bars"] == [] and cell["chart"]["denominator"] == 0
        pairs = get_json(client, f"{base}/-/flows/country.json?citizenship={origin}")["flows"]["flows"]
        assert all(f["destination"] != destination for f in pairs)


def test_every_filter_combination_answers_from_published_cells_only(client, built) -> None:
    cells = every_row(client, f"/api/{built.slug}/aggregates-year_gender_age.json?_size=1000")
    years = [*sorted({c["yearOfRegistration"] for c in cells}), "2011"]
    ages = [*sorted({c["ageBroad"] for c in cells}), "0--8"]
    for year, age in itertools.product(["", *years], ["", *ages]):
        filters = {k: v for k, v in (("yearOfRegistration", year), ("ageBroad", age)) if v}
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        chart = get_json(client, f"/api/{built.slug}/-/charts/sex.json?{query}")["chart"]
        assert chart["table"] == "aggregates-year_gender_age"
        matching = [c for c in cells if all(c[k] == v for k, v in filters.items())]
        expected = Counter()
        for c in matching:
            expected[c["gender"]] += c["count"]
        assert {b["value"]: b["count"] for b in chart["bars"]} == {g: n for g, n in expected.items() if g}
        assert chart["missing"] == expected.get("", 0)
