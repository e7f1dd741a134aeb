from __future__ import annotations

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
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert "300 cases in the store" in second.output
    assert "open-data release already built" in second.output
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
