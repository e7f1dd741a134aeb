"""The exports describe what the rest of ctdx really writes and reads.

The sample generator's records and native CSV must satisfy the JSON Schema and the Table Schema, and a
Kobo/ODK export of our XLSForm must import without an unknown column or a refused value.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ctdx.ingest import import_file
from ctdx.sample.cohort import generate_cohort
from ctdx.sample.files import write_cohort
from ctdx.standard import case_record_schema, case_table_schema, load_standard
from ctdx.standard.xlsform import xlsform_sheets


def test_sample_records_satisfy_the_json_schema() -> None:
    schema = case_record_schema(load_standard())
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    records = list(generate_cohort(300, 3, seed=11).records())
    problems = [
        f"{r.source.record_id}: {'/'.join(map(str, e.absolute_path))}"
        for r in records
        for e in validator.iter_errors(r.model_dump(mode="json"))
    ]
    assert problems == []


def cell_problem(column: dict[str, Any], cell: str) -> str | None:
    """Why ``cell`` does not satisfy ``column`` of the Table Schema, or None."""
    constraints = column.get("constraints", {})
    if "enum" in constraints and cell not in constraints["enum"]:
        return "not in enum"
    if "pattern" in constraints and not re.fullmatch(constraints["pattern"], cell):
        return "does not match the pattern"
    kind = column["type"]
    try:
        if kind == "date":
            dt.date.fromisoformat(cell)
        elif kind == "integer":
            number: float = int(cell)
        elif kind == "number":
            number = float(cell)
        elif kind == "boolean" and cell not in column["trueValues"] + column["falseValues"]:
            return "not a boolean"
    except ValueError:
        return f"not a {kind}"
    if kind in ("integer", "number") and not (
        constraints.get("minimum", number) <= number <= constraints.get("maximum", number)
    ):
        return "out of range"
    return None


def test_sample_native_csv_satisfies_the_table_schema(tmp_path: Path) -> None:
    columns = {c["name"]: c for c in case_table_schema(load_standard())["fields"]}
    write_cohort(generate_cohort(300, 2, seed=5), tmp_path / "cohort")
    files = [p for p in (tmp_path / "cohort").glob("*.csv") if p.name != "truth.csv"]
    assert files
    problems = []
    for path in files:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = set(reader.fieldnames or [])
            assert {"source_record_id", "prs_Gender", "vic_TypeOfExploitation"} <= header <= set(columns)
            for number, row in enumerate(reader, start=2):
                for name, cell in row.items():
                    problem = cell_problem(columns[name], cell) if cell != "" else None  # "" = missing
                    if problem:
                        problems.append(f"{path.name}:{number}:{name}: {problem}")
    assert problems == []


def kobo_value(question_type: str, name: str, lists: dict[str, list[str]]) -> str:
    kind, _, list_name = question_type.partition(" ")
    if kind == "select_one":
        return lists[list_name][0]
    if kind == "select_multiple":
        return " ".join(lists[list_name][:2])
    if kind == "date":
        return "1990-05-17" if name == "prs_Birthdate" else "2024-03-01"
    if kind == "integer":
        return "2"
    if kind == "decimal":
        return "10.5"
    return "text"


def test_a_kobo_export_of_our_form_imports_without_unknown_columns_or_refusals(tmp_path: Path) -> None:
    sheets = xlsform_sheets(load_standard())
    _, *survey = sheets["survey"]
    lists: dict[str, list[str]] = {}
    for list_name, name, *_ in sheets["choices"][1:]:
        lists.setdefault(list_name, []).append(name)
    columns, cells, path = ["start", "end"], ["2024-03-01T10:00:00", "2024-03-01T10:30:00"], []
    in_repeat = 0
    for row in survey:
        kind, name = row[0].partition(" ")[0], row[1]
        if kind == "begin_group":
            path.append(name)
        elif kind == "end_group":
            path.pop()
        elif kind in ("begin_repeat", "end_repeat"):
            in_repeat += 1 if kind == "begin_repeat" else -1
        elif kind not in ("start", "end") and not in_repeat:  # repeats go to their own sheet in an export
            columns.append("/".join([*path, name]))
            cells.append(kobo_value(row[0], name, lists))
    columns += ["_id", "_uuid", "_submission_time"]
    cells += ["1", "6f1c2d3e-0000-4000-8000-000000000001", "2024-03-01T10:31:00"]
    export = tmp_path / "kobo-export.csv"
    with export.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([columns, cells])
    report = import_file(export, "org", None, dry_run=True).report
    assert report.rows_read == 1 and report.rows_valid == 1, report.details
    assert "unknown_column" not in report.codes() and report.errors == 0, report.details
    assert report.format.endswith("kobo")
