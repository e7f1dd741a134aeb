"""Mapping files: another system's columns and codes onto the standard, and their own errors with lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ctdx.cli.main import app
from ctdx.errors import InputFileError, ValidationError
from ctdx.ingest import load_mapping, parse_mapping, shipped_mapping
from ctdx.ingest.pipeline import FileReading, ReadOptions
from ctdx.model import CaseRecord
from tests.ingest.conftest import TODAY, dry, issues, write_csv

MAPPING = """\
source: {system: shelter-cms, id_column: dossier}
missing: ["", "n/a", "-99"]
date_formats: ["%d/%m/%Y"]
columns:
  sexe:
    field: prs_Gender
    values: {F: Feminine, M: Masculine, X: null}
  nationalites: {field: prs_Citizenship, split: "/"}
  ouvert: ext_CaseOpenedDate
  role2: {field: per_RoleInProcess, instance: 2}
  pays: [{field: hte_Country}, {field: ext_CountryOfIdentification}]
  paid:
    field: ext_VictimPaidPerpetrator
    values: {"No": "No", "Oui": "Yes"}
flags:
  travail_force: {field: vic_TypeOfExploitation, value: ForcedLabour}
  exploitation_sexuelle: {field: vic_TypeOfExploitation, value: Sexual exploitation}
  exploiteur: {field: per_RoleInProcess, value: Exploiter}
constants:
  ext_DataSourceType: CaseManagement
ignore: [note_interne]
"""

HEADER = [
    "dossier",
    "sexe",
    "nationalites",
    "ouvert",
    "role2",
    "pays",
    "paid",
    "travail_force",
    "exploitation_sexuelle",
    "exploiteur",
    "note_interne",
]


def _records(path: Path, mapping: Path) -> list[CaseRecord]:
    with FileReading(path, ReadOptions(mapping=mapping, today=TODAY)) as reading:
        return list(reading.records())


def test_a_mapping_maps_columns_codes_splits_dates_flags_and_constants(tmp_path: Path) -> None:
    mapping = tmp_path / "shelter.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = write_csv(
        tmp_path / "export.csv",
        [
            HEADER,
            ["D1", "F", "VN/KH", "02/03/2024", "Transporter", "TH", "No", "1", "0", "1", "private"],
            ["D2", "X", "n/a", "", "", "", "Oui", "-99", "-99", "", ""],
            ["D3", "F", "", "31/02/2024", "", "", "", "0", "0", "", ""],
            ["D4", "F", "", "", "", "", "", "yes?", "", "", ""],
        ],
    )
    result = dry(path, mapping=mapping)
    assert result.report.format == "csv/mapped"
    assert [(i.row, i.code, i.column) for i in result.report.details if i.severity == "error"] == [
        (4, "impossible_date", "ouvert"),
        (5, "invalid_flag", "travail_force"),
    ]
    assert any(i.column == "note_interne" for i in issues(result, "ignored_column"))
    first, second = _records(path, mapping)
    assert first.source.system == "shelter-cms" and first.source.record_id == "D1"
    assert first.values["prs_Gender"] == "Feminine" and first.values["prs_Citizenship"] == ("VN", "KH")
    assert first.values["ext_CaseOpenedDate"] == dt.date(2024, 3, 2)
    assert first.values["vic_TypeOfExploitation"] == ("ForcedLabour",)
    assert first.values["ext_DataSourceType"] == "CaseManagement"
    assert first.values["ext_CountryOfIdentification"] == "TH" and first.events == ({"hte_Country": "TH"},)
    assert first.perpetrators == ({"per_RoleInProcess": ("Exploiter",)}, {"per_RoleInProcess": ("Transporter",)})
    assert "note_interne" not in str(first.values)
    # X maps to "not recorded"; -99 flags are missing, never "no"
    assert "prs_Gender" not in second.values and "vic_TypeOfExploitation" not in second.values
    assert second.values["ext_VictimPaidPerpetrator"] == "Yes"


def test_explicit_zero_flags_say_none_of_these(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    path = write_csv(tmp_path / "e.csv", [HEADER, ["D3", "F", "", "", "", "", "", "0", "0", "", ""]])
    [record] = _records(path, mapping)
    assert record.values["vic_TypeOfExploitation"] == ()


def test_mapping_errors_are_all_reported_with_their_lines() -> None:
    text = """\
source: {system: x}
colums: {}
columns:
  a: prs_Gendr
  b: {field: prs_Gender, values: {F: Feminin}}
  c: {field: prs_Gender, date_formats: ["yyyy"]}
  d: {field: prs_Citizenship, values: {V: Vietnum}}
flags:
  e: {field: prs_FirstName, value: x}
  f: {field: vic_TypeOfExploitation}
"""
    with pytest.raises(ValidationError) as caught:
        parse_mapping(text, "bad.yaml")
    problems = caught.value.context["problems"]
    assert problems == [
        "bad.yaml:2: unknown key 'colums' in top level (did you mean 'columns'?)",
        "bad.yaml:4: unknown field 'prs_Gendr' (did you mean prs_Gender?)",
        "bad.yaml:5: 'Feminin' is not a value of prs_Gender (did you mean Feminine?)",
        "bad.yaml:6: date format 'yyyy' has no day, month or year directive (%d, %m, %Y)",
        "bad.yaml:6: prs_Gender is not a date field",
        "bad.yaml:7: 'Vietnum' is not an ISO 3166-1 country for prs_Citizenship",
        "bad.yaml:9: flag 'e': prs_FirstName is not a picklist",
        "bad.yaml:10: flag 'f': the value it stands for is required",
    ]
    with pytest.raises(ValidationError, match=r"bad.yaml:2: not valid YAML"):
        parse_mapping("source: {system: x\ncolumns: [", "bad.yaml")
    with pytest.raises(ValidationError, match=r"source\.system is required"):
        parse_mapping("columns: {a: prs_Gender}\n", "bad.yaml")


def test_yaml_words_stay_text_no_is_not_false() -> None:
    mapping = parse_mapping("source: {system: x}\ncolumns:\n  p: {field: ext_VictimPaidPerpetrator, values: {N: No}}\n")
    assert mapping.columns["p"][0].values == {"N": "No"}


def test_a_mapping_whose_id_column_is_missing_refuses_the_file(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text("source: {system: x, id_column: ref}\ncolumns: {sexe: prs_Gender}\n", encoding="utf-8")
    path = write_csv(tmp_path / "e.csv", [["sexe"], ["Feminine"]])
    with pytest.raises(InputFileError, match="id column 'ref'"):
        dry(path, mapping=mapping)


def test_the_shipped_ctdc_mapping_is_valid() -> None:
    mapping = load_mapping(shipped_mapping("ctdc-vp"))
    assert mapping.system == "ctdc-vp-2022" and mapping.id_column is None
    assert {r.field for rules in mapping.flags.values() for r in rules} == {
        "vic_TypeOfExploitation",
        "per_RoleInProcess",
        "ext_PerpetratorRoleGroups",
    }


def test_cli_reports_a_bad_mapping_with_its_lines(tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("source: {system: x}\ncolumns:\n  sexe: prs_Gendr\n", encoding="utf-8")
    path = write_csv(tmp_path / "e.csv", [["sexe"], ["F"]])
    result = CliRunner().invoke(app, ["import", str(path), "--org", "O", "--mapping", str(mapping), "--dry-run"])
    assert result.exit_code == ValidationError.exit_code
    assert "bad.yaml:3: unknown field 'prs_Gendr' (did you mean prs_Gender?)" in result.output


def test_constants_alone_do_not_make_a_record(tmp_path: Path) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    empty = ["D9", "", "", "", "", "", "", "", "", "", "only a note"]
    path = write_csv(tmp_path / "e.csv", [HEADER, empty])
    result = dry(path, mapping=mapping)
    assert [(i.row, i.code) for i in result.report.details if i.severity == "error"] == [(2, "no_values")]


def test_a_shipped_mapping_is_named_by_its_name(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "vp.csv", [["gender", "isForcedLabour"], ["Female", "1"]])
    result = CliRunner().invoke(app, ["import", str(path), "--org", "O", "--mapping", "ctdc-vp", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "1 valid" in result.output and "csv/mapped" in result.output


def test_a_ctdc_file_other_than_the_victim_perpetrator_one_needs_a_mapping(tmp_path: Path) -> None:
    columns = ["yearOfRegistration", "Datasource", "gender", "ageBroad", "majorityStatus", "isForcedLabour"]
    path = write_csv(tmp_path / "kanon.csv", [columns, ["2016", "Case Management", "Female", "18--20", "Adult", "-99"]])
    with pytest.raises(InputFileError, match="CTDC-format file: give a mapping"):
        dry(path)
    mapping = tmp_path / "kanon.yaml"
    mapping.write_text(
        "source: {system: ctdc-kanon-2021}\nmissing: ['', '-99']\ncolumns:\n"
        "  gender: {field: prs_Gender, values: {Female: Feminine, Male: Masculine}}\n"
        "  majorityStatus: ext_MajorityStatus\n"
        "  Datasource: {field: ext_DataSourceType, values: {Case Management: CaseManagement}}\n"
        "flags:\n  isForcedLabour: {field: vic_TypeOfExploitation, value: ForcedLabour}\n"
        "ignore: [yearOfRegistration, ageBroad]\n",
        encoding="utf-8",
    )
    [record] = _records(path, mapping)
    assert record.values == {
        "prs_Gender": "Feminine",
        "ext_MajorityStatus": "Adult",
        "ext_DataSourceType": "CaseManagement",
    }  # -99 is missing: no exploitation type at all, not "no forced labour"
