from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import ValidationError

runner = CliRunner()


def test_jsonschema_goes_to_standard_output() -> None:
    result = runner.invoke(app, ["standard", "export", "--format", "jsonschema", "--core-only"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "prs_MiddleName" not in schema["properties"]["values"]["properties"]


def test_tableschema_is_written_to_the_named_file(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "case.schema.json"
    result = runner.invoke(app, ["standard", "export", "-f", "tableschema", "--out", str(out), "--no-extensions"])
    assert result.exit_code == 0, result.output
    names = [f["name"] for f in json.loads(out.read_text(encoding="utf-8"))["fields"]]
    assert "prs_Gender" in names and not any(n.startswith("ext_") for n in names)
    assert [p.name for p in out.parent.iterdir()] == ["case.schema.json"]  # no temporary file left behind


def test_xlsform_is_written_as_a_workbook(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    result = runner.invoke(app, ["standard", "export", "--format", "xlsform", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == ["survey", "choices", "settings"]


def test_xlsform_without_a_file_is_a_clear_error() -> None:
    result = runner.invoke(app, ["standard", "export", "--format", "xlsform"])
    assert result.exit_code == ValidationError.exit_code
    assert "--out" in result.output


def test_an_unknown_format_is_refused() -> None:
    result = runner.invoke(app, ["standard", "export", "--format", "csv"])
    assert result.exit_code != 0
    assert "csv" in result.output


def test_a_directory_or_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["standard", "export", "-f", "jsonschema", "--out", str(tmp_path)])
    assert result.exit_code == ValidationError.exit_code
    assert "is a directory" in " ".join(result.output.split())  # Rich wraps long lines
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    result = runner.invoke(app, ["standard", "export", "-f", "xlsform", "--out", str(blocker / "form.xlsx")])
    assert result.exit_code == ValidationError.exit_code
    assert "cannot write" in " ".join(result.output.split())
