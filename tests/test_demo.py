from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ctdx.cli.demo import _accounts
from ctdx.cli.main import app
from ctdx.portal import create_app as portal_app
from ctdx.settings import load_settings, sqlite_url


def test_demo_generates_imports_and_summarises_and_can_run_again(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "demo"
    args = ["demo", "--data-dir", str(data_dir), "--cases", "300", "--orgs", "3", "--seed", "5"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "300 cases in the store" in first.output
    assert "Cases by exploitation type" in first.output
    assert "300 cases screened from their records" in " ".join(first.output.split())
    assert "Referrals made with consent" in first.output
    assert "open-data release built" in first.output and "verified" in first.output
    assert str(data_dir / "keys" / "ctdx.key") in first.output.replace("\n", "")
    first_linkage = _linkage_lines(first.output)
    assert "distinct victims" in first_linkage[0] and "the generator's truth" in first_linkage[0]
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "300 cases in the store" in second.output
    assert "open-data release already built" in second.output
    # Nothing changed in the stores: nothing contributed again, the hub's figures shown again.
    assert "nothing changed in its store since its last contribution" in " ".join(second.output.split())
    assert _linkage_lines(second.output) == first_linkage
    _check_linkage_against_the_truth(data_dir, first_linkage)
    release = data_dir / "release" / "ctdx-demo-1.0.0"
    assert (release / "datapackage.json").exists()
    assert not (data_dir / "release" / "publication.csv").exists()

    # what `--serve` serves: demo accounts (created once, kept 0600) and the portal over the demo release
    settings = load_settings(
        {"CTDX_DATA_DIR": str(data_dir), "CTDX_DATABASE_URL": sqlite_url(data_dir / "ctdx.sqlite")}
    )
    organisations = json.loads((data_dir / "cohort" / "organisations.json").read_text(encoding="utf-8"))
    codes = [org["code"] for org in organisations]
    accounts = _accounts(settings, codes)
    assert {a["role"] for a in accounts} >= {"caseworker", "org_admin", "system_admin"}
    assert _accounts(settings, codes) == accounts
    assert (data_dir / "demo-accounts.json").stat().st_mode & 0o077 == 0
    with TestClient(portal_app([release])) as portal:
        assert portal.get("/api/").status_code == 200
    with sqlite3.connect(data_dir / "ctdx.sqlite") as db:
        organisations = db.execute("select count(*) from organisation").fetchone()[0]
        screenings = db.execute("select count(*) from screening_result").fetchone()[0]
        referrals = db.execute("select status, count(*) from referral group by status").fetchall()
    assert organisations >= 3
    assert screenings == 300  # the second run screened nothing twice
    assert referrals and all(status == "accepted" for status, _ in referrals)


def test_demo_refuses_a_directory_holding_another_cohort(tmp_path: Path) -> None:
    runner = CliRunner()
    data_dir = tmp_path / "demo"
    assert runner.invoke(app, ["demo", "--data-dir", str(data_dir), "--cases", "50", "--seed", "1"]).exit_code == 0
    other = runner.invoke(app, ["demo", "--data-dir", str(data_dir), "--cases", "60", "--seed", "1"])
    assert other.exit_code != 0
    assert "another cohort" in other.output


def test_demo_starts_its_hub_again_when_it_holds_an_earlier_encoding(tmp_path: Path) -> None:
    """A demo directory from an earlier version: its hub holds packages without the name salt, which the hub
    would refuse to mix with this version's packages. The demo's hub is derived data, so it starts again."""
    runner = CliRunner()
    data_dir = tmp_path / "demo"
    args = ["demo", "--data-dir", str(data_dir), "--cases", "120", "--orgs", "2", "--seed", "3"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    with sqlite3.connect(data_dir / "hub.sqlite") as db:
        (stored,) = db.execute("select value from hub_setting where name = 'encoding'").fetchone()
        earlier = json.loads(stored)
        assert earlier["salt"] == "birth-date"
        earlier["salt"] = "none"
        db.execute("update hub_setting set value = ? where name = 'encoding'", (json.dumps(earlier),))
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    text = " ".join(second.output.split())
    assert "the demo's hub held packages of an earlier encoding; it starts again" in text
    assert "nothing changed in its store" not in text
    assert _linkage_lines(second.output)[0].startswith("linkage at the hub")
    with sqlite3.connect(data_dir / "hub.sqlite") as db:
        (stored,) = db.execute("select value from hub_setting where name = 'encoding'").fetchone()
    assert json.loads(stored)["salt"] == "birth-date"
    third = runner.invoke(app, args)
    assert "it starts again" not in " ".join(third.output.split())


def _linkage_lines(output: str) -> list[str]:
    """The demo's linkage headline (count, range, truth) and its pairwise precision and recall, without the
    lines that say what each organisation sent (the console wraps long lines: whitespace is normalised)."""
    text = " ".join(output.split())
    start = text.index("linkage at the hub")
    headline = text[start : text.index("the range)", start)]
    pairs = text.index("pairs of cases linked", start)
    return [headline, text[pairs : text.index("CPU seconds", pairs)]]


def _check_linkage_against_the_truth(data_dir: Path, printed: list[str]) -> None:
    """The demo's figures, recomputed here from the cohort files: the cases with con_Consent, the persons
    behind them in truth.csv, and the hub's count with its range."""
    cohort = data_dir / "cohort"
    consented: set[tuple[str, str]] = set()
    for path in cohort.glob("*.csv"):
        if path.name == "truth.csv":
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            consented |= {
                (path.stem, r["source_record_id"]) for r in csv.DictReader(handle) if r["con_Consent"] == "TRUE"
            }
    with (cohort / "truth.csv").open(encoding="utf-8", newline="") as handle:
        persons = {r["person_id"] for r in csv.DictReader(handle) if (r["org"], r["source_record_id"]) in consented}
    summary = json.loads((data_dir / "linkage" / "summary.json").read_text(encoding="utf-8"))
    assert summary["contributed"] == len(consented)
    assert summary["truth"] == len(persons)
    low, high = summary["distinct_persons_range"]
    estimate = summary["distinct_persons"]
    assert low <= estimate <= high <= len(consented)
    error = (estimate - len(persons)) / len(persons)
    assert f"error {error:+.1%}" in printed[0]
    assert printed[0].endswith("truth inside " if low <= len(persons) <= high else "truth OUTSIDE ")
    # Measured on this 300-case cohort: the hub over-counts (missed links); the bound catches a regression.
    assert abs(error) <= 0.2, f"the hub's count is {error:+.1%} off the truth"
    with sqlite3.connect(data_dir / "hub.sqlite") as db:
        tables = {t for (t,) in db.execute("select name from sqlite_master where type = 'table'")}
    assert "hub_alembic_version" in tables and "person" not in tables and "alembic_version" not in tables
