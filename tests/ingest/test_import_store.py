"""Imports into a real store (SQLite and PostgreSQL): idempotent, all-or-nothing; and ``ctdx import`` itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import InputFileError
from ctdx.ingest import import_file
from ctdx.settings import Settings
from ctdx.store import Store
from ctdx.store.importer import CHUNK_SIZE
from tests.ingest.conftest import TODAY, write_csv

HEADER = ["source_record_id", "prs_FirstName", "prs_Gender", "prs_Citizenship", "vic_TypeOfExploitation"]


def _cases(tmp_path: Path, n: int, name: str = "cases.csv") -> Path:
    rows = [[f"C{i}", f"Name{i}", "Feminine", "VN", "ForcedLabour;SexualExploitation"] for i in range(n)]
    return write_csv(tmp_path / name, [HEADER, *rows])


def test_importing_the_same_file_twice_creates_no_duplicates(store: Store, tmp_path: Path) -> None:
    path = _cases(tmp_path, 5)
    first = import_file(path, "NGO1", store, today=TODAY, data_dir=tmp_path)
    assert first.outcome is not None and (first.outcome.created, first.outcome.unchanged) == (5, 0)
    again = import_file(path, "NGO1", store, today=TODAY, data_dir=tmp_path)
    assert again.outcome is not None and (again.outcome.created, again.outcome.unchanged) == (0, 5)
    counts = store.case_counts(["NGO1"])
    assert counts.total == 5 and counts.by_exploitation_type == {"ForcedLabour": 5, "SexualExploitation": 5}
    assert first.quarantine is None


def test_a_file_without_ids_is_idempotent_too(store: Store, tmp_path: Path, shared_dir: Path) -> None:
    lines = (shared_dir / "data/ctdc/CTDC_VPsynthetic_condensed.csv").read_text(encoding="utf-8").splitlines()
    sample = tmp_path / "vp.csv"
    sample.write_text("\n".join(lines[:301]) + "\n", encoding="utf-8")
    first = import_file(sample, "CTDC", store, today=TODAY)
    second = import_file(sample, "CTDC", store, today=TODAY)
    assert first.outcome is not None and first.outcome.created == 300
    assert second.outcome is not None and (second.outcome.created, second.outcome.unchanged) == (0, 300)
    assert store.case_counts(["CTDC"]).total == 300


def test_a_file_found_unreadable_half_way_leaves_the_store_as_it_was(store: Store, tmp_path: Path) -> None:
    path = _cases(tmp_path, CHUNK_SIZE + 10)  # the store has written a first chunk when the file fails
    with path.open("a", encoding="utf-8") as fh:
        fh.write('C-last,"a name cut in the middle')
    with pytest.raises(InputFileError, match="ends inside a quoted cell"):
        import_file(path, "NGO1", store, today=TODAY)
    assert store.case_counts().total == 0


def test_refused_rows_are_quarantined_and_valid_rows_stored(store: Store, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mixed.csv", [HEADER, ["A", "Ana", "Feminine", "VN", ""], ["B", "Bo", "Woman", "XX", ""]]
    )
    result = import_file(path, "NGO1", store, today=TODAY, data_dir=tmp_path)
    assert result.outcome is not None and result.outcome.created == 1 and result.refused == 1
    assert result.quarantine is not None and result.quarantine.parent == tmp_path / "quarantine"
    assert (result.quarantine.stat().st_mode & 0o777) == 0o600
    text = result.quarantine.read_text(encoding="utf-8-sig")
    assert "prs_Gender: unknown_value" in text and "prs_Citizenship: not_a_country" in text


def test_cli_import_reports_refused_rows_and_the_quarantine(
    settings: Settings, cli_env: dict[str, str | None], tmp_path: Path
) -> None:
    path = write_csv(
        tmp_path / "mixed.csv", [HEADER, ["A", "Ana", "Feminine", "VN", ""], ["B", "Bo", "Woman", "VN", ""]]
    )
    report = tmp_path / "report.json"
    quarantine = tmp_path / "refused.csv"
    runner = CliRunner()
    args = ["import", str(path), "--org", "NGO1", "--report-json", str(report), "--quarantine", str(quarantine)]
    result = runner.invoke(app, args, env=cli_env)
    assert result.exit_code == 1, result.output
    assert "1 row(s) refused" in result.output and str(quarantine) in result.output.replace("\n", "")
    assert "stored: 1 created" in result.output
    document = json.loads(report.read_text(encoding="utf-8"))
    assert document["summary"]["rows_refused"] == 1 and document["summary"]["created"] == 1
    [problem] = [i for i in document["issues"] if i["code"] == "unknown_value"]
    assert (problem["row"], problem["column"], problem["value"], problem.get("suggestion")) == (
        3,
        "prs_Gender",
        "Woman",
        None,
    )
    assert "Ana" not in report.read_text(encoding="utf-8") and "Bo" not in json.dumps(document["issues"])

    clean = _cases(tmp_path, 3, "clean.csv")
    ok = runner.invoke(app, ["import", str(clean), "--org", "NGO1"], env=cli_env)
    assert ok.exit_code == 0, ok.output
    assert "stored: 3 created" in ok.output


def test_cli_dry_run_writes_nothing(cli_env: dict[str, str | None], settings: Settings, tmp_path: Path) -> None:
    path = _cases(tmp_path, 3)
    result = CliRunner().invoke(app, ["import", str(path), "--org", "NGO1", "--dry-run"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.output
    assert not (tmp_path / "ctdx.sqlite").exists() and not (tmp_path / "quarantine").exists()


def test_cli_unreadable_file_is_a_clear_error(cli_env: dict[str, str | None], tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = CliRunner().invoke(app, ["import", str(empty), "--org", "NGO1"], env=cli_env)
    assert result.exit_code == InputFileError.exit_code
    assert "empty.csv: the file is empty" in result.output
