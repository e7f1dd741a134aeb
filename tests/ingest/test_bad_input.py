"""Issue 2, "Bad input to handle": each item produces its documented error, row and column."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from ctdx.errors import InputFileError, ValidationError
from tests.ingest.conftest import dry, issues, write_csv

HEADER = ["source_record_id", "prs_FirstName", "prs_Gender", "prs_Citizenship", "prs_Birthdate", "ext_CaseOpenedDate"]


def _native(tmp_path: Path, *rows: list[str], name: str = "cases.csv") -> Path:
    return write_csv(tmp_path / name, [HEADER, *rows])


def test_unknown_picklist_value_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = _native(tmp_path, ["a", "Ana", "Femenine", "VN", "", ""], ["b", "Bo", "masculine", "VN", "", ""])
    result = dry(path, quarantine=tmp_path / "q.csv")
    [problem] = issues(result, "unknown_value")
    assert (problem.row, problem.column, problem.severity) == (2, "prs_Gender", "error")
    assert problem.value == "Femenine" and problem.suggestion == "Feminine"
    assert (result.report.rows_valid, result.report.rows_refused) == (1, 1)


def test_country_that_is_not_iso_is_refused_with_a_suggestion_and_common_names_resolve(tmp_path: Path) -> None:
    path = _native(tmp_path, ["a", "", "Feminine", "Vietnum", "", ""], ["b", "", "Feminine", "Viet Nam", "", ""])
    result = dry(path)
    [bad] = issues(result, "not_a_country")
    assert (bad.row, bad.column, bad.value, bad.suggestion) == (2, "prs_Citizenship", "Vietnum", "VN")
    [resolved] = issues(result, "country_name_resolved")
    assert (resolved.row, resolved.severity) == (3, "info")
    assert (result.report.rows_valid, result.report.rows_refused) == (1, 1)


def test_impossible_and_future_dates(tmp_path: Path) -> None:
    path = _native(
        tmp_path,
        ["a", "", "Feminine", "", "2001-02-30", ""],
        ["b", "", "Feminine", "", "", "2031-01-01"],
        ["c", "", "Feminine", "", "03/04/2001", ""],
        ["d", "", "Feminine", "", "1850-01-01", ""],
    )
    result = dry(path)
    assert [(i.row, i.column) for i in issues(result, "impossible_date")] == [
        (2, "prs_Birthdate"),
        (5, "prs_Birthdate"),
    ]
    assert [(i.row, i.column, i.value) for i in issues(result, "future_date")] == [
        (3, "ext_CaseOpenedDate", "2031-01-01")
    ]
    assert [i.row for i in issues(result, "invalid_date")] == [4]
    # prs_Birthdate is identifying: the report never shows its value
    assert all(i.value is None for i in result.report.details if i.field == "prs_Birthdate")
    assert result.report.rows_refused == 4


def test_age_under_0_or_over_120(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "ages.csv",
        [
            ["vic_AgeWhenTrafficked", "prs_Birthdate", "ext_CaseOpenedDate"],
            ["-1", "", ""],
            ["121", "", ""],
            ["17", "", ""],
            ["", "1901-05-01", "2024-01-01"],
        ],
    )
    result = dry(path)
    assert [(i.row, i.column) for i in issues(result, "age_out_of_range")] == [
        (2, "vic_AgeWhenTrafficked"),
        (3, "vic_AgeWhenTrafficked"),
        (5, "prs_Birthdate"),
    ]
    assert (result.report.rows_valid, result.report.rows_refused) == (1, 3)


def test_birth_date_after_case_date(tmp_path: Path) -> None:
    path = _native(
        tmp_path, ["a", "", "", "", "2020-05-01", "2019-01-01"], ["b", "", "", "", "2000-05-01", "2019-01-01"]
    )
    result = dry(path)
    [problem] = issues(result, "birth_after_case")
    assert (problem.row, problem.column) == (2, "prs_Birthdate")
    assert "ext_CaseOpenedDate" in problem.message
    assert result.report.rows_valid == 1


def test_missing_core_fields_are_warnings_and_unidentifiable_rows_errors(tmp_path: Path) -> None:
    path = _native(tmp_path, ["a", "", "", "VN", "", ""], ["", "", "Feminine", "", "", ""])
    result = dry(path)
    missing = issues(result, "missing_core")
    assert {(i.row, i.column) for i in missing} >= {(2, "prs_FirstName"), (2, "prs_Gender")}
    assert all(i.severity == "warning" for i in missing)
    [no_id] = issues(result, "missing_source_id")
    assert (no_id.row, no_id.severity) == (3, "error")
    assert (result.report.rows_valid, result.report.rows_refused) == (1, 1)
    [absent] = issues(result, "core_column_absent")
    assert "vic_TraffickingStatus" in absent.message


def test_duplicate_source_ids_refuse_the_later_rows_only(tmp_path: Path) -> None:
    path = _native(
        tmp_path,
        ["A1", "", "Feminine", "", "", ""],
        ["A2", "", "Masculine", "", "", ""],
        ["A1", "", "Masculine", "", "", ""],
    )
    result = dry(path, quarantine=tmp_path / "q.csv")
    [dup] = issues(result, "duplicate_source_id")
    assert (dup.row, dup.column) == (4, "source_record_id")
    with (tmp_path / "q.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["row"] for r in rows] == ["4"] and "duplicate_source_id" in rows[0]["reasons"]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"  \r\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(InputFileError, match="empty"):
        dry(path)


def test_truncated_files(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(["prs_Gender"])
    book.active.append(["Feminine"])
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: len(whole.read_bytes()) // 2])
    with pytest.raises(InputFileError, match="truncated"):
        dry(cut)
    csv_cut = tmp_path / "cut.csv"
    csv_cut.write_text('prs_Gender,cco_CaseComment\nFeminine,"a comment that never\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="row 2 ends inside a quoted cell"):
        dry(csv_cut)


def test_content_that_is_not_the_format_its_name_says(tmp_path: Path) -> None:
    fake = write_csv(tmp_path / "cases.xlsx", [["prs_Gender"], ["Feminine"]])
    with pytest.raises(InputFileError, match=r"named \.xlsx but its content is CSV"):
        dry(fake)
    assert dry(fake, format="csv").report.rows_valid == 1
    book = openpyxl.Workbook()
    book.active.append(["prs_Gender"])
    book.save(tmp_path / "real.csv")
    with pytest.raises(InputFileError, match=r"named \.csv but its content is XLSX"):
        dry(tmp_path / "real.csv")
    (tmp_path / "notes.zip.xlsx").write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(InputFileError, match="damaged or truncated"):
        dry(tmp_path / "notes.zip.xlsx")


def test_unexpected_encoding_is_detected_or_refused_when_declared_wrongly(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "latin1.csv", [["prs_FirstName", "prs_Gender"], ["Zoë", "Féminine"]], encoding="latin-1"
    )
    result = dry(path)
    assert result.report.encoding == "latin-1"
    assert issues(result, "encoding_detected")
    [problem] = issues(result, "unknown_value")  # "Féminine" was read as text, not as mojibake
    assert problem.value == "Féminine" and problem.suggestion == "Feminine"
    with pytest.raises(InputFileError, match="cannot be read as utf-8"):
        dry(path, encoding="utf-8")


def test_merged_header_cells_refuse_the_file(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["prs_Gender", "Citizenship", None])
    sheet.merge_cells("B1:C1")
    sheet.append(["Feminine", "VN", "TH"])
    book.save(tmp_path / "merged.xlsx")
    result = dry(tmp_path / "merged.xlsx")
    [problem] = issues(result, "merged_header")
    assert problem.severity == "error" and "B1:C1" in problem.message
    assert result.refused_whole and result.report.rows_valid == 0


def test_extra_sheets_are_reported_and_can_be_chosen(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Cases"
    book.active.append(["prs_Gender"])
    book.active.append(["Feminine"])
    other = book.create_sheet("Perpetrators")
    other.append(["per_RoleInProcess"])
    other.append(["Exploiter"])
    other.append(["Recruiter or intermediary"])
    book.save(tmp_path / "two.xlsx")
    result = dry(tmp_path / "two.xlsx")
    [extra] = issues(result, "extra_sheet")
    assert "Perpetrators" in extra.message and extra.severity == "info"
    assert dry(tmp_path / "two.xlsx", sheet="Perpetrators").report.rows_valid == 2
    with pytest.raises(InputFileError, match="no sheet named 'Victims'"):
        dry(tmp_path / "two.xlsx", sheet="Victims")


@pytest.mark.parametrize("formula", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"])
def test_formula_injection_is_neutralised_in_quarantine_and_report(tmp_path: Path, formula: str) -> None:
    path = write_csv(tmp_path / "inject.csv", [["prs_FirstName", "prs_Gender"], [formula, formula]])
    quarantine, report = tmp_path / "q.csv", tmp_path / "report.json"
    result = dry(path, quarantine=quarantine, report_json=report)
    assert result.report.rows_refused == 1
    with quarantine.open(encoding="utf-8-sig") as fh:
        [row] = list(csv.DictReader(fh))
    assert row["prs_FirstName"] == "'" + formula and row["prs_Gender"] == "'" + formula
    document = json.loads(report.read_text(encoding="utf-8"))
    [problem] = [i for i in document["issues"] if i["code"] == "unknown_value"]
    assert problem["value"] == "'" + formula
    assert not any(str(v).startswith(("=", "+", "-", "@")) for i in document["issues"] for v in i.values())


def test_outputs_never_overwrite_the_input(tmp_path: Path) -> None:
    path = _native(tmp_path, ["a", "", "Woman", "", "", ""])
    before = path.read_bytes()
    with pytest.raises(ValidationError, match="must not be the file being imported"):
        dry(path, quarantine=path)
    assert path.read_bytes() == before


def test_a_file_refused_before_its_rows_leaves_no_half_written_report(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "other.csv", [["name", "sex"], ["x", "F"]])
    report = tmp_path / "report.json"
    with pytest.raises(InputFileError):
        dry(path, report_json=report)
    assert not report.exists()
