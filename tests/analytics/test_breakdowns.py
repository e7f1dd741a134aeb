"""Breakdowns and flows over real release files: the denominator rule, the choice of table, withheld counts."""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ctdx.analytics import ReleaseData, breakdown, flows, headline, open_release
from ctdx.analytics.breakdowns import FLAGS_LABOUR
from ctdx.analytics.flows import place
from ctdx.errors import InputFileError, NotFoundError, ValidationError


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def data(built) -> ReleaseData:
    return ReleaseData([open_release(built.path)])


@pytest.fixture(scope="module")
def without_synthetic(built, tmp_path_factory) -> ReleaseData:
    """The same release with its synthetic microdata left out of the package: the k-anonymous file answers."""
    copy = tmp_path_factory.mktemp("no-synthetic") / "release"
    shutil.copytree(built.path, copy)
    package = json.loads((copy / "datapackage.json").read_text())
    package["resources"] = [r for r in package["resources"] if not r["name"].startswith("synthetic")]
    (copy / "datapackage.json").write_text(json.dumps(package))
    return ReleaseData([open_release(copy)])


def test_flag_groups_follow_the_denominator_rule(data, built) -> None:
    result = breakdown(data, built.slug, "labour", {})
    assert result.table == "synthetic" and result.protection["product"] == "synthetic"
    synthetic = rows(built.path / "synthetic.csv")
    recorded = [r for r in synthetic if any(r[f] != "" for f in FLAGS_LABOUR)]
    assert result.denominator == len(recorded) and result.missing == len(synthetic) - len(recorded)
    for bar in result.bars:
        true = sum(1 for r in recorded if r[bar.value] == "1")
        if true >= 12:
            assert bar.count == true and bar.share == pytest.approx(true / len(recorded))
        else:
            assert bar.count is None and bar.share is None


def test_single_columns_leave_missing_out_of_the_denominator(data, built) -> None:
    cells = rows(built.path / "aggregates" / "year_gender_age.csv")
    result = breakdown(data, built.slug, "sex", {})
    by_gender = Counter()
    for cell in cells:
        by_gender[cell["gender"]] += int(cell["count"])
    assert result.missing == by_gender[""]
    assert result.denominator == sum(n for g, n in by_gender.items() if g)
    assert {b.value: b.share for b in result.bars} == pytest.approx(
        {g: n / result.denominator for g, n in by_gender.items() if g}
    )
    assert result.missing_share == pytest.approx(by_gender[""] / sum(by_gender.values()))


def test_k_anonymous_microdata_answer_when_no_other_product_can(without_synthetic, built) -> None:
    # no aggregate table crosses gender and exploitation type, and there is no synthetic file here
    result = breakdown(without_synthetic, built.slug, "exploitation", {"gender": "Woman"})
    assert result.table == "microdata" and result.protection["k"] == 5
    women = [r for r in rows(built.path / "microdata.csv") if r["gender"] == "Woman"]
    flags = ("isForcedLabour", "isSexualExploit", "isOtherExploit")
    recorded = [r for r in women if any(r[f] for f in flags)]
    assert result.denominator == len(recorded) and result.missing == len(women) - len(recorded)
    for bar in result.bars:
        true = sum(1 for r in recorded if r[bar.value] == "1")
        assert bar.count == (true if true >= 12 else None)


def test_headline_figures(data, built) -> None:
    top = headline(data, built.slug, {})
    cells = rows(built.path / "aggregates" / "year_gender_age.csv")
    assert top.total == sum(int(c["count"]) for c in cells)
    assert top.total_error_bound is not None and top.total_error_bound >= 6
    sex = breakdown(data, built.slug, "sex", {})
    assert top.women == next(b.share for b in sex.bars if b.value == "Woman")


def test_flows_at_region_level_add_up_the_country_flows(data, built) -> None:
    countries = flows(data, built.slug, "country", {}, limit=200)
    regions = flows(data, built.slug, "region", {}, limit=200)
    expected = Counter()
    for f in countries.flows:
        expected[(place(f.origin, "region"), place(f.destination, "region"))] += f.count or 0
    assert {(f.origin, f.destination): f.count for f in regions.flows} == dict(expected)
    assert countries.table == "aggregates-flows" and regions.total == countries.total


def test_bad_questions_get_clear_errors(data, built, tmp_path) -> None:
    with pytest.raises(ValidationError, match="unknown chart"):
        breakdown(data, built.slug, "height", {})
    with pytest.raises(ValidationError, match="filtered by"):
        breakdown(data, built.slug, "sex", {"traffickMonths": "0--12"})
    with pytest.raises(ValidationError, match="level"):
        flows(data, built.slug, "planet", {})
    with pytest.raises(NotFoundError, match="no release"):
        breakdown(data, "other-1.0.0", "sex", {})
    with pytest.raises(InputFileError, match=r"datapackage\.json"):
        open_release(tmp_path)
    copy = tmp_path / "escaping"
    shutil.copytree(built.path, copy)
    package = json.loads((copy / "datapackage.json").read_text())
    package["resources"][0]["path"] = "../../etc/passwd"
    (copy / "datapackage.json").write_text(json.dumps(package))
    with pytest.raises(InputFileError, match="leaves the release"):
        open_release(copy)
    with pytest.raises(InputFileError, match="given twice"):
        ReleaseData([open_release(built.path), open_release(built.path)])
