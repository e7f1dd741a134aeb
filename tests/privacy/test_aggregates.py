"""DP aggregate tables: full-domain cells, OpenDP noise and accounting, suppression of small cells."""

from __future__ import annotations

import math

import pytest

from ctdx.errors import ValidationError
from ctdx.privacy.aggregates import Breakdown, dp_aggregates, standard_breakdowns
from ctdx.privacy.publication import checkbox_consent, publish_records
from ctdx.privacy.schema import load_publication_schema
from tests.privacy.test_kanon import cohort

FLOWS = Breakdown("flows", ("citizenship", "CountryOfExploitation"))
YEARS = Breakdown("years", ("yearOfRegistration",))
SMALL = [
    YEARS,
    Breakdown("gender_age", ("gender", "ageBroad")),
    Breakdown("exploitation", ("isForcedLabour", "isSexualExploit")),
]


@pytest.fixture(scope="module")
def table():
    schema = load_publication_schema(first_year=2010, last_year=2024)
    return publish_records(cohort(), schema, consent=checkbox_consent).table


def cells(result, name: str) -> dict[tuple[str, ...], int]:
    found = next(t for t in result.tables if t.breakdown.name == name)
    return {row[:-2]: int(row[-2]) for row in found.rows}


def test_flows_are_counted_over_every_pair_of_countries_and_a_rare_pair_is_suppressed(table) -> None:
    # epsilon so large that the discrete noise is zero with overwhelming probability: the counts are exact
    result = dp_aggregates(table, breakdowns=[FLOWS, YEARS], epsilon=5000.0, delta=0.0, threshold=5)
    flows = next(t for t in result.tables if t.breakdown.name == "flows")
    assert flows.cells == 251 * 251  # every ISO country and missing, both ways: the domain, not the data
    assert cells(result, "flows") == {("NGA", "ITA"): 22, ("VNM", "GBR"): 20, ("PHL", "MYS"): 20}
    assert ("ISL", "NZL") not in cells(result, "flows")  # one person: below the threshold
    assert cells(result, "years") == {("2016",): 31, ("2017",): 31}  # the tiny year 2011 (one case) is hidden
    assert flows.cells_suppressed == flows.cells - 3


def test_privacy_spent_is_what_opendp_accounts_and_never_more_than_asked(table) -> None:
    assert {b.name for b in standard_breakdowns()} >= {"flows", "year_gender_age", "means_of_control"}
    laplace = dp_aggregates(table, breakdowns=SMALL, epsilon=1.0, delta=0.0, threshold=10)
    assert laplace.mechanism == "discrete_laplace"
    assert laplace.epsilon <= 1.0 + 1e-9 and laplace.epsilon == pytest.approx(1.0, rel=1e-3)
    assert laplace.delta == 0.0
    assert laplace.scale == pytest.approx(len(SMALL) / 1.0, rel=1e-3)  # L1 sensitivity / epsilon
    gaussian = dp_aggregates(table, breakdowns=SMALL, epsilon=1.0, delta=1e-6, threshold=10)
    assert gaussian.mechanism == "discrete_gaussian"
    assert gaussian.epsilon <= 1.0 + 1e-9 and gaussian.delta == pytest.approx(1e-6)


def test_the_error_bound_shrinks_as_epsilon_grows_and_is_stated_on_every_cell(table) -> None:
    loose = dp_aggregates(table, breakdowns=[YEARS], epsilon=0.5, delta=0.0, threshold=0)
    tight = dp_aggregates(table, breakdowns=[YEARS], epsilon=8.0, delta=0.0, threshold=0)
    assert loose.error_bound > tight.error_bound >= 1
    for row in loose.tables[0].rows:
        assert row[-1] == str(loose.error_bound)


def test_epsilon_delta_and_threshold_are_required_and_checked(table) -> None:
    with pytest.raises(TypeError):
        dp_aggregates(table, breakdowns=[YEARS])  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="epsilon"):
        dp_aggregates(table, breakdowns=[YEARS], epsilon=0.0, delta=0.0, threshold=5)
    with pytest.raises(ValidationError, match="delta"):
        dp_aggregates(table, breakdowns=[YEARS], epsilon=1.0, delta=1.0, threshold=5)
    with pytest.raises(ValidationError, match="threshold"):
        dp_aggregates(table, breakdowns=[YEARS], epsilon=1.0, delta=0.0, threshold=-1)


def test_the_chance_that_noise_alone_publishes_an_empty_cell_is_stated_and_falls_with_the_threshold(table) -> None:
    low = dp_aggregates(table, breakdowns=[YEARS], epsilon=1.0, delta=0.0, threshold=2)
    high = dp_aggregates(table, breakdowns=[YEARS], epsilon=1.0, delta=0.0, threshold=12)
    # discrete Laplace, scale 1: P(X >= t) = e^-t / (1 + e^-1) (closed form, Canonne, Kamath and Steinke 2020)
    assert low.empty_cell_published == pytest.approx(math.exp(-2) / (1 + math.exp(-1)), rel=1e-6)
    assert high.empty_cell_published < 1e-5 < low.empty_cell_published
