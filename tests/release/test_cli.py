"""``ctdx release``: build a release from a table, verify it, and catch releases that were tampered with."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.privacy.publication import checkbox_consent, publish_records
from ctdx.privacy.schema import load_publication_schema
from ctdx.release.diff import diff_releases
from ctdx.release.files import write_csv
from tests.privacy.test_kanon import QIS, cohort

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def table_csv(tmp_path: Path) -> Path:
    schema = load_publication_schema(first_year=2010, last_year=2024)
    table = publish_records(cohort(), schema, consent=checkbox_consent).table
    path = tmp_path / "table.csv"
    write_csv(path, schema.names, table.rows())
    return path


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.json"
    result = run("release", "ledger-init", path, "--dataset", "test", "--epsilon-budget", "3", "--delta-budget", "1e-5")
    assert result.exit_code == 0, result.output
    return path


def build(table_csv: Path, ledger: Path, out: Path, version: str = "1.0.0", epsilon: str = "1", *extra: str):
    """A release with two small aggregate tables (the flows table alone has 63,001 cells: test_aggregates has it)."""
    return run(
        "release", "build", table_csv, "--out", out, "--ledger", ledger, "--name", "test-release",
        "--version", version, "--title", "Test release", "--first-year", "2010", "--last-year", "2024",
        "--k", "5", "--suppression-limit", "0.1", "--epsilon", epsilon, "--delta", "1e-6", "--threshold", "5",
        *(extra or ("--breakdown", "year_gender_age", "--breakdown", "exploitation")),
    )  # fmt: skip


def test_a_built_release_is_a_data_package_that_verifies(table_csv, ledger, tmp_path) -> None:
    out = tmp_path / "release"
    result = build(
        table_csv, ledger, out, "1.0.0", "1", "--l-diversity", "2", "--sensitive", "isSexualExploit",
        "--breakdown", "year_gender_age", "--breakdown", "exploitation", *[a for q in QIS for a in ("--qi", q)],
        "--source", "Test shelter case files", "--contributor", "Test NGO", "--citation", "Test NGO (2026). Test.",
        "--change", "First public release.",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The console wraps at 80 columns, where depends on the length of the temporary path printed before.
    assert "at k=5" in " ".join(result.output.split())
    package = json.loads((out / "datapackage.json").read_text())
    assert package["name"] == "test-release" and package["version"] == "1.0.0"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert package["sources"] == [{"title": "Test shelter case files"}]
    assert package["contributors"][0]["title"] == "Test NGO" and package["citation"] == "Test NGO (2026). Test."
    assert package["$schema"].endswith("/2.0/datapackage.json")
    names = {r["name"] for r in package["resources"]}
    assert {"microdata", "microdata-parquet", "aggregates-exploitation", "aggregates-year_gender_age"} <= names
    gender = next(
        f
        for r in package["resources"]
        if r["name"] == "microdata"
        for f in r["schema"]["fields"]
        if f["name"] == "gender"
    )
    assert "Woman" in gender["categories"] or gender["categories"] == ["*"]
    report = json.loads((out / "report.json").read_text())
    assert report["k_anonymity"]["verified"]["ok"] is True
    assert report["differential_privacy"]["epsilon"] <= 1.0 + 1e-9
    assert report["ledger"]["epsilon_spent_total"] == pytest.approx(1.0)
    assert (out / "CHANGELOG.md").read_text().startswith("# Test release")
    assert "- First public release." in (out / "CHANGELOG.md").read_text()
    page = (out / "report.html").read_text()
    assert "<script" not in page and "k (verified from the written file)" in page and "denominator" in page

    verified = run("release", "verify", out)
    assert verified.exit_code == 0, verified.output
    assert "checks passed" in verified.output


def test_verify_fails_on_a_microdata_file_edited_to_violate_k(table_csv, ledger, tmp_path) -> None:
    out = tmp_path / "release"
    assert build(table_csv, ledger, out).exit_code == 0
    path = out / "microdata.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[1][header.index("citizenship")] = "ISL"  # single out one row with a value no other row has
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    result = run("release", "verify", out)
    assert result.exit_code == 4
    assert "[k_violated]" in result.output and "[hash_mismatch]" in result.output


def test_verify_fails_on_an_altered_ledger(table_csv, ledger, tmp_path) -> None:
    out = tmp_path / "release"
    assert build(table_csv, ledger, out).exit_code == 0
    copy = out / "ledger.json"
    raw = json.loads(copy.read_text())
    raw["entries"][0]["epsilon"] = 0.01
    copy.write_text(json.dumps(raw))
    result = run("release", "verify", out)
    assert result.exit_code == 4
    assert "[integrity]" in result.output and "ledger.json" in result.output


def test_the_budget_refuses_a_release_until_someone_names_a_reason(table_csv, ledger, tmp_path) -> None:
    assert build(table_csv, ledger, tmp_path / "r1", "1.0.0", "2").exit_code == 0
    refused = build(table_csv, ledger, tmp_path / "r2", "1.1.0", "2")
    assert refused.exit_code == 7 and "over its budget" in refused.output
    assert not (tmp_path / "r2").exists()
    allowed = build(
        table_csv, ledger, tmp_path / "r2", "1.1.0", "2", "--override-by", "Data protection officer",
        "--override-reason", "Board decision 2026-11", "--breakdown", "exploitation",
    )  # fmt: skip
    assert allowed.exit_code == 0, allowed.output
    entries = json.loads(ledger.read_text())["entries"]
    assert entries[-1]["override_by"] == "Data protection officer"
    shown = run("release", "diff", tmp_path / "r1", tmp_path / "r2")
    assert shown.exit_code == 0, shown.output
    assert "test-release 1.0.0 -> test-release 1.1.0" in shown.output
    changes = {c.name: c for c in diff_releases(tmp_path / "r1", tmp_path / "r2").resources}
    assert changes["aggregates-year_gender_age"].rows_after is None  # published in 1.0.0 only
    assert changes["microdata"].rows_before == changes["microdata"].rows_after


def test_bad_arguments_get_clear_errors(table_csv, ledger, tmp_path) -> None:
    assert "not a semantic version" in build(table_csv, ledger, tmp_path / "x", "v1").output
    missing_k = run("release", "build", table_csv, "--out", tmp_path / "y", "--ledger", ledger)
    assert missing_k.exit_code != 0
    out = tmp_path / "z"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    assert "never written over another" in build(table_csv, ledger, out).output
    assert json.loads(ledger.read_text())["entries"] == []  # nothing was spent by refused builds


def test_the_released_microdata_never_show_the_people_who_would_be_exposed(table_csv, ledger, tmp_path) -> None:
    out = tmp_path / "release"
    assert build(table_csv, ledger, out).exit_code == 0
    with (out / "microdata.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    combos: dict[tuple[str, ...], int] = {}
    for row in rows:
        key = tuple(row[q] for q in QIS)
        combos[key] = combos.get(key, 0) + 1
    assert min(combos.values()) >= 5
    assert not any(r["citizenship"] == "ISL" for r in rows)


def test_synthetic_microdata_are_published_and_their_cost_is_in_the_ledger(table_csv, ledger, tmp_path) -> None:
    out = tmp_path / "release"
    result = build(
        table_csv, ledger, out, "1.0.0", "1", "--breakdown", "exploitation",
        "--synthetic-epsilon", "1", "--synthetic-delta", "1e-6", "--seed", "3", "--holdout", "0.2",
        "--attack-targets", "100",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    assert report["synthetic"]["epsilon"] <= 1.0 + 1e-9
    assert ["citizenship", "CountryOfExploitation"] in report["synthetic"]["measured_pairs"]
    assert report["total"]["epsilon"] == pytest.approx(2.0)  # what the ledger charged: 1 + 1
    assert report["differential_privacy"]["epsilon"] + report["synthetic"]["epsilon"] <= 2.0 + 1e-9
    entries = json.loads(ledger.read_text())["entries"]
    assert entries[-1]["epsilon"] == pytest.approx(2.0) and entries[-1]["delta"] == pytest.approx(2e-6)
    with (out / "synthetic.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert "citizenship" in header and (out / "synthetic.parquet").is_file()
    assert run("release", "verify", out).exit_code == 0
    assert (
        "both their epsilon and their delta"
        in build(table_csv, ledger, tmp_path / "other", "2.0.0", "1", "--synthetic-epsilon", "1").output
    )


def test_verify_fails_on_an_aggregate_cell_edited_below_the_threshold(table_csv, ledger, tmp_path) -> None:
    out = tmp_path / "release"
    assert build(table_csv, ledger, out).exit_code == 0
    path = out / "aggregates" / "exploitation.csv"
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index("count")] = "2"
    with path.open("w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    result = run("release", "verify", out)
    assert result.exit_code == 4
    assert "[below_threshold]" in result.output


def test_the_microdata_hold_only_the_columns_k_protects_unless_more_are_named(table_csv, ledger, tmp_path) -> None:
    assert build(table_csv, ledger, tmp_path / "a").exit_code == 0
    with (tmp_path / "a" / "microdata.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == [*QIS, "isForcedLabour", "isSexualExploit", "isOtherExploit"]
    more = build(
        table_csv, ledger, tmp_path / "b", "1.1.0", "1", "--breakdown", "exploitation",
        "--microdata-column", "recruiterRelation",
    )  # fmt: skip
    assert more.exit_code == 0, more.output
    with (tmp_path / "b" / "microdata.csv").open(newline="") as handle:
        assert "recruiterRelation" in next(csv.reader(handle))
    assert run("release", "verify", tmp_path / "b").exit_code == 0


def test_a_sample_cohort_becomes_a_release_that_verifies(ledger, tmp_path) -> None:
    table = tmp_path / "sample.csv"
    made = run(
        "release", "sample-table", table, "--cases", "400", "--seed", "3", "--first-year", "2000", "--last-year", "2026"
    )
    assert made.exit_code == 0, made.output
    assert "consented cases written" in made.output
    with table.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "yearOfRegistration" and 300 < len(rows) - 1 <= 400
    built = run(
        "release", "build", table, "--out", tmp_path / "r", "--ledger", ledger, "--name", "sample",
        "--version", "0.1.0", "--title", "Sample", "--first-year", "2000", "--last-year", "2026", "--k", "5",
        "--suppression-limit", "0.2", "--epsilon", "1", "--delta", "0", "--threshold", "10",
        "--breakdown", "year_gender_age",
    )  # fmt: skip
    assert built.exit_code == 0, built.output
    assert run("release", "verify", tmp_path / "r").exit_code == 0


def test_a_sample_table_is_refused_when_its_years_do_not_cover_the_cases(tmp_path) -> None:
    made = run(
        "release", "sample-table", tmp_path / "t.csv", "--cases", "200", "--seed", "3",
        "--first-year", "2020", "--last-year", "2021",
    )  # fmt: skip
    assert made.exit_code == 9
    assert "yearOfRegistration year_outside_release" in " ".join(made.output.split())
    assert not (tmp_path / "t.csv").exists()
