"""``ctdx sample`` through Typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ctdx.cli.main import app

runner = CliRunner()


def test_sample_writes_the_cohort(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    result = runner.invoke(app, ["sample", "--cases", "300", "--orgs", "3", "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "300 records" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cases"] == 300 and manifest["organisations"] == 3 and manifest["seed"] == 7
    assert len(list(out.glob("*.csv"))) == 4  # three organisations and the truth


def test_sample_writes_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "cohort"
    result = runner.invoke(app, ["sample", "-n", "50", "-k", "2", "--out", str(out), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.jsonl"))) == 2


def test_sample_refuses_bad_arguments_with_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sample", "--cases", "10", "--orgs", "0", "--out", str(tmp_path / "x")])
    assert result.exit_code == 9
    assert "orgs must be" in result.output
    result = runner.invoke(app, ["sample", "--cases", "10", "--out", str(tmp_path / "y"), "--format", "xml"])
    assert result.exit_code == 9
    assert "--format" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_sample_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "kept.txt").write_text("x", encoding="utf-8")
    result = runner.invoke(app, ["sample", "--cases", "10", "--out", str(tmp_path)])
    assert result.exit_code == 8
    assert "not empty" in result.output
