"""CSV in the encodings and delimiters that spreadsheet programs write, native ctdx CSV, and JSON Lines."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from ctdx.errors import InputFileError
from ctdx.ingest.pipeline import FileReading, ReadOptions
from ctdx.model import CaseRecord
from tests.ingest.conftest import TODAY, dry, issues, write_csv

ROWS = [
    ["source_record_id", "prs_FirstName", "prs_SecondName", "prs_Gender", "prs_Citizenship", "cco_CaseComment"],
    ["r1", "Zoë", "Müller", "Feminine", "DE;AT", "“Arbeit” gegen 50 € Schulden"],
    ["r2", "José", "Núñez", "masculine", "Bolivia", "señal"],
]


def _records(path: Path, **options: object) -> list[CaseRecord]:
    with FileReading(path, ReadOptions(today=TODAY, **options)) as reading:  # type: ignore[arg-type]
        return list(reading.records())


@pytest.mark.parametrize(
    ("encoding", "expected", "delimiter"),
    [
        ("utf-8-sig", "utf-8-sig", ";"),
        ("utf-8-sig", "utf-8-sig", "\t"),
        ("cp1252", "cp1252", ";"),
        ("cp1252", "cp1252", "\t"),
        ("utf-8", "utf-8", "|"),
        ("utf-16", "utf-16", "\t"),  # Excel's "Unicode text"
    ],
)
def test_encodings_and_delimiters_are_detected(tmp_path: Path, encoding: str, expected: str, delimiter: str) -> None:
    path = write_csv(tmp_path / "cases.csv", ROWS, encoding=encoding, delimiter=delimiter)
    first, second = _records(path)
    assert first.values["prs_FirstName"] == "Zoë" and first.values["prs_SecondName"] == "Müller"
    assert first.values["cco_CaseComment"] == "“Arbeit” gegen 50 € Schulden"
    assert first.values["prs_Citizenship"] == ("DE", "AT")
    assert second.values["prs_Gender"] == "Masculine" and second.values["prs_Citizenship"] == ("BO",)
    assert (first.source.system, first.source.record_id) == ("ctdx-csv", "r1")
    assert dry(path).report.encoding == expected


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_latin1_is_told_from_windows_1252(tmp_path: Path, delimiter: str) -> None:
    rows = [row[:5] for row in ROWS]  # no curly quotes or euro sign: nothing Latin-1 cannot hold
    path = write_csv(tmp_path / "latin1.csv", rows, encoding="latin-1", delimiter=delimiter)
    result = dry(path)
    assert result.report.encoding == "latin-1" and result.report.rows_valid == 2
    assert _records(path)[1].values["prs_SecondName"] == "Núñez"


def test_declared_encoding_and_delimiter_win(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.txt", [r[:4] for r in ROWS], encoding="cp1252", delimiter="|")
    [first, _] = _records(path, encoding="cp1252", delimiter="|")
    assert first.values["prs_FirstName"] == "Zoë"
    with pytest.raises(InputFileError, match="unknown encoding"):
        dry(path, encoding="klingon")


def test_native_csv_types_checkboxes_numbers_and_perpetrators(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "native.csv",
        [
            ["con_Consent", "prs_Deceased", "prs_NumberOfChildren", "vic_AgeWhenTrafficked", "per_RoleInProcess"],
            ["TRUE", "no", "2", "16", "Exploiter;recruiter or intermediary"],
            ["yes", "0", "2.5", "", ""],
            ["maybe", "1", "", "", ""],
        ],
    )
    result = dry(path)
    assert [(i.row, i.code) for i in result.report.details if i.severity == "error"] == [
        (3, "invalid_number"),
        (4, "invalid_checkbox"),
    ]
    [record] = _records(path)
    assert record.values == {
        "con_Consent": True,
        "prs_Deceased": False,
        "prs_NumberOfChildren": 2,
        "vic_AgeWhenTrafficked": 16,
    }
    assert record.perpetrators == ({"per_RoleInProcess": ("RecruiterOrIntermediary", "Exploiter")},)
    # no id column: the id is the file's digest and the row number
    assert record.source.record_id.endswith(":2") and len(record.source.record_id.split(":")[0]) == 64


def test_unknown_columns_are_reported_not_dropped_silently(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "cases.csv", [["prs_Gender", "nickname", ""], ["Feminine", "x", "y"]])
    result = dry(path)
    [unknown] = issues(result, "unknown_column")
    assert unknown.column == "nickname" and unknown.severity == "warning"
    assert issues(result, "unnamed_column")
    no_field = write_csv(tmp_path / "other.csv", [["name", "sex"], ["x", "F"]])
    with pytest.raises(InputFileError, match="no column of this file is a standard field"):
        dry(no_field)


def test_json_lines(tmp_path: Path) -> None:
    lines = [
        {
            "source": {"system": "cms-x", "record_id": "A-17"},
            "values": {"prs_Gender": "Feminine", "prs_Citizenship": ["VN", "KH"], "prs_Birthdate": "1999-04-02"},
            "perpetrators": [{"per_RoleInProcess": ["Exploiter"]}, {"per_RoleInProcess": "Transporter"}],
            "events": [{"hte_Type": "Exploitation", "hte_Country": "TH", "hte_Date": "2019-01-01"}],
        },
        {"values": {"prs_Gender": "Feminine", "nickname": "x"}},
        {"source": {"system": "cms-x", "record_id": "A-17"}, "values": {"prs_Gender": "Masculine"}},
        {"values": {"prs_Birthdate": "2020-01-01"}, "events": [{"hte_Date": "2019-06-01"}]},
        {"values": {"per_RoleInProcess": ["Exploiter"]}},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n{not json\n\n"
    path = tmp_path / "cases.jsonl"
    path.write_text(text, encoding="utf-8")
    result = dry(path, quarantine=tmp_path / "q.csv")
    assert result.report.format == "jsonl/jsonl"
    errors = sorted((i.row, i.code) for i in result.report.details if i.severity == "error")
    assert errors == [
        (2, "unknown_column"),
        (3, "duplicate_source_id"),
        (4, "birth_after_case"),
        (5, "invalid_json"),
        (6, "invalid_json"),
    ]
    assert (result.report.rows_valid, result.report.rows_refused, result.report.rows_blank) == (1, 5, 1)
    [record] = _records(path)
    assert record.source.record_id == "A-17"
    assert record.values["prs_Citizenship"] == ("VN", "KH") and record.values["prs_Birthdate"] == dt.date(1999, 4, 2)
    assert record.perpetrators == ({"per_RoleInProcess": ("Exploiter",)}, {"per_RoleInProcess": ("Transporter",)})
    assert record.events[0]["hte_Country"] == "TH"
    quarantined = (tmp_path / "q.csv").read_text(encoding="utf-8-sig")
    assert "{not json" in quarantined and "line" in quarantined.splitlines()[0]


def test_cells_neutralised_by_ctdx_read_back_as_written(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "out.csv", [["prs_MobilePhone", "cco_CaseComment"], ["'+17188511557", "'-"]])
    [record] = _records(path)
    assert record.values == {"prs_MobilePhone": "+17188511557", "cco_CaseComment": "-"}


def test_native_csv_may_name_the_source_system(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "s.csv", [["source_system", "source_record_id", "prs_Gender"], ["cms-x", "7", "Feminine"]]
    )
    [record] = _records(path)
    assert (record.source.system, record.source.record_id) == ("cms-x", "7")


def test_picklists_take_names_labels_and_aliases_never_guesses(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        [
            ["vic_RelationshipToTrafficker", "vic_TraffickingStatus"],
            ["Unacquainted", "possible victim of trafficking"],
            ["UNAQUAINTED", "ActualVictimOfTrafficking"],
            ["stranger", "Actual victim"],
        ],
    )
    result = dry(path)
    assert [(i.row, i.column) for i in issues(result, "unknown_value")] == [
        (4, "vic_RelationshipToTrafficker"),
        (4, "vic_TraffickingStatus"),
    ]
    first, second = _records(path)
    assert first.values == {
        "vic_RelationshipToTrafficker": "Unaquainted",
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
    }
    assert second.values["vic_RelationshipToTrafficker"] == "Unaquainted"


def test_other_scripts_are_left_to_the_detector(tmp_path: Path) -> None:
    rows = [
        ["prs_FirstName", "prs_SecondName", "prs_Gender", "cco_CaseComment"],
        ["Анна", "Иванова", "Feminine", "Работала без оплаты в Москве"],
        ["Ольга", "Смирнова", "Feminine", "Паспорт забрали"],
    ]
    path = write_csv(tmp_path / "ru.csv", rows, encoding="cp1251", delimiter=";")
    assert dry(path).report.encoding == "cp1251"
    assert [r.values["prs_FirstName"] for r in _records(path)] == ["Анна", "Ольга"]


def test_json_line_with_only_a_perpetrator_is_a_record(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"perpetrators": [{"per_RoleInProcess": ["Smuggler"]}]}) + "\n", encoding="utf-8")
    [record] = _records(path)
    assert record.values == {} and record.perpetrators == ({"per_RoleInProcess": ("Smuggler",)},)


def test_forced_labour_industry_takes_several_values_and_labels_holding_the_separator(tmp_path: Path) -> None:
    # Single-select in the HTCDS ODS, select_multiple in the XLSForm: stored as a list, one value or several.
    path = write_csv(
        tmp_path / "industries.csv",
        [
            ["source_record_id", "vic_TypeOfExploitation", "vic_ForcedLabourIndustry"],
            ["a", "ForcedLabour", "C_Manufacturing;F_Construction"],
            ["b", "ForcedLabour", "Agriculture, forestry and fishing"],
            ["c", "ForcedLabour", "Water supply; sewerage, waste management and remediation"],
            ["d", "ForcedLabour", "Construction; Nowhere"],
        ],
    )
    with FileReading(path, ReadOptions(today=TODAY)) as reading:
        records = {r.source.record_id: r for r in reading.records()}
    assert records["a"].values["vic_ForcedLabourIndustry"] == ("C_Manufacturing", "F_Construction")
    assert records["b"].values["vic_ForcedLabourIndustry"] == ("A_AgricultureForestryAndFishing",)
    assert records["c"].values["vic_ForcedLabourIndustry"] == ("E_WaterSupplySewerageWasteManagement",)
    refused = dry(path)
    assert refused.report.rows_refused == 1
    assert [(i.row, i.value) for i in refused.report.details if i.severity == "error"] == [(5, "Nowhere")]
