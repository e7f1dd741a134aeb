"""The files field teams really have: the official HTCDS Excel templates, Kobo/ODK exports of the official
XLSForm, and CTDC's Victim-Perpetrator CSV through the shipped mapping (all built from ../shared)."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from ctdx.ingest.pipeline import FileReading, ReadOptions
from ctdx.model import CaseRecord
from tests.ingest.conftest import TODAY, dry, issues, write_csv

TEMPLATES = "data/htcds/Toolkit/Excel"
XLSFORM = "data/htcds/Toolkit/Survey/htcds_xlsform.xlsx"
CTDC_VP = "data/ctdc/CTDC_VPsynthetic_condensed.csv"


def _records(path: Path, **options: object) -> list[CaseRecord]:
    with FileReading(path, ReadOptions(today=TODAY, **options)) as reading:  # type: ignore[arg-type]
        return list(reading.records())


def _fill_template(source: Path, target: Path, rows: list[dict[str, object]]) -> Path:
    """Copy the official template and type rows into it below its two header rows, as a user would."""
    shutil.copyfile(source, target)
    target.chmod(0o644)
    book = openpyxl.load_workbook(target)
    sheet = book.worksheets[0]
    names = [c.value for c in sheet[1]]
    labels = [c.value for c in sheet[2]]
    for offset, values in enumerate(rows):
        for column, (name, label) in enumerate(zip(names, labels, strict=True), start=1):
            key = name or label
            if key in values:
                sheet.cell(row=3 + offset, column=column, value=values[key])
    book.save(target)
    return target


SAMPLE_ROWS: list[dict[str, object]] = [
    {
        "prs_FirstName": "Lan",
        "prs_SecondName": "Nguyen",
        "con_Consent": "TRUE",
        "prs_Birthdate": dt.datetime(1998, 3, 14),
        "prs_Gender": "Feminine",
        "prs_Citizenship": "VN",
        "vic_TraffickingStatus": "Possible victim of trafficking",
        "vic_TraffickinStatusDecisionMakingOrg": "NGO",
        "vic_MethodsOfControl": "Debt bondage ;Withholds documents",
        "vic_TypeOfExploitation": "Forced labour",
        "vic_ForcedLabourIndustry": "Manufacturing",
        "cas_Status": "Follow up",
        "cas_IncomingReferralDate": dt.datetime(2024, 2, 1),
        "Reason for Outgoing Referral": "Migration Or Change Of Location",
    },
    {
        "prs_FirstName": "Ion",
        "prs_Gender": "Masculine",
        "prs_Citizenship": "Moldova",
        "vic_TypeOfExploitation": "Forced begging",
        "cas_Status": "Active",
    },
    {"prs_FirstName": "Bad", "prs_Gender": "Woman", "prs_Citizenship": "Moldavia", "cas_Status": "Open"},
]


@pytest.mark.parametrize(
    "template", ["HTCDS Excel Spreadsheet v2.0.xlsx", "HTCDS Excel Spreadsheet single select with validation v2.0.xlsx"]
)
def test_official_excel_template_filled_with_sample_rows(shared_dir: Path, tmp_path: Path, template: str) -> None:
    path = _fill_template(shared_dir / TEMPLATES / template, tmp_path / "filled.xlsx", SAMPLE_ROWS)
    result = dry(path, quarantine=tmp_path / "q.csv")
    assert result.report.format == "xlsx/htcds-template"
    # 1,000 numbered template rows: three filled, the rest blank
    assert (result.report.rows_valid, result.report.rows_refused, result.report.rows_blank) == (2, 1, 997)
    mismatched = {i.column for i in issues(result, "header_mismatch") if i.severity == "warning"}
    assert {"prs_MailingCity", "prs_MailingCountry", "prs_MailingStreet"} <= mismatched
    assert any(i.field == "cas_ReasonForOutgoingReferral" for i in issues(result, "header_mismatch"))
    refused = {(i.column, i.code) for i in result.report.details if i.row == 5 and i.severity == "error"}
    assert refused == {
        ("prs_Gender", "unknown_value"),
        ("prs_Citizenship", "not_a_country"),
        ("cas_Status", "unknown_value"),
    }
    first, second = _records(path)
    assert first.values["vic_MethodsOfControl"] == ("DebtBondage", "WithholdsDocuments")
    assert first.values["vic_TraffickingStatusDecisionMakingOrg"] == "NGO"
    assert first.values["cas_Status"] == "FollowUp" and first.values["con_Consent"] is True
    assert first.values["prs_Birthdate"] == dt.date(1998, 3, 14)
    assert first.values["cas_ReasonForOutgoingReferral"] == "MigrationOrChangeOfLocation"
    assert second.values["prs_Citizenship"] == ("MD",)
    assert first.source.record_id.endswith(":3") and first.source.system == "htcds-excel"


def _xlsform_names(shared_dir: Path) -> list[tuple[str, str]]:
    survey = CalamineWorkbook.from_path(str(shared_dir / XLSFORM)).get_sheet_by_name("survey").to_python()
    return [(str(r[0]), str(r[1])) for r in survey[1:] if r[1] and not str(r[0]).startswith(("start", "end", "calc"))]


def _kobo_rows(shared_dir: Path) -> list[list[object]]:
    """A Kobo export of the official XLSForm: its names (some in a group), meta columns, multi-selects with spaces."""
    names = _xlsform_names(shared_dir)
    header = ["start", "end"]
    header += [f"group_victim/{name}" if name.startswith("vic_") else name for _, name in names]
    header += ["vic_TypeOfExploitation/ForcedLabour", "_id", "_uuid", "_submission_time", "_validation_status"]
    answers = {
        "con_Consent": "TRUE",
        "prs_First_Name": "Amina",
        "prs_Second_Name": "Bello",
        "prs_Birthdate": "2001-07-09",
        "prs_Gender": "Feminine",
        "prs_Citizenship": "NG",
        "vic_Methods_of_Control": "DebtBondage WithholdsDocuments PhysicalThreats",
        "vic_TypeOfExploitation": "ForcedLabour SexualExploitation",
        "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
        "cas_Status": "Active",
        "cas_IncomingReferralDate": "2024-05-02",
    }
    row: list[object] = ["2024-05-02T10:00:00.000+01:00", "2024-05-02T10:30:00.000+01:00"]
    row += [answers.get(name, "") for _, name in names]
    row += ["1", "101", "6b4d8e0e-5a53-4c8e-9a55-2f1c6e0f0a11", "2024-05-02T09:31:00", ""]
    second = list(row)
    second[header.index("prs_Gender")] = "Feminin"
    second[header.index("_uuid")] = "0f7d2c4a-1111-4c8e-9a55-2f1c6e0f0a12"
    return [header, row, second]


def test_kobo_csv_export_of_the_official_xlsform(shared_dir: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "kobo.csv", _kobo_rows(shared_dir), delimiter=";")
    result = dry(path)
    assert result.report.format == "csv/kobo"
    assert (result.report.rows_valid, result.report.rows_refused) == (1, 1)
    [problem] = issues(result, "unknown_value")
    assert (problem.row, problem.column, problem.suggestion) == (3, "prs_Gender", "Feminine")
    assert any("_submission_time" in i.message for i in issues(result, "ignored_column"))
    [record] = _records(path)
    assert record.source.record_id == "6b4d8e0e-5a53-4c8e-9a55-2f1c6e0f0a11" and record.source.system == "kobo"
    assert record.values["vic_MethodsOfControl"] == ("PhysicalThreats", "DebtBondage", "WithholdsDocuments")
    assert record.values["vic_TypeOfExploitation"] == ("ForcedLabour", "SexualExploitation")
    assert record.values["prs_FirstName"] == "Amina" and record.values["prs_Citizenship"] == ("NG",)
    assert "start" not in record.values and record.values["con_Consent"] is True


def test_kobo_xlsx_export_of_the_official_xlsform(shared_dir: Path, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.title = "htcds_xlsform"
    for row in _kobo_rows(shared_dir):
        book.active.append(row)
    book.save(tmp_path / "kobo.xlsx")
    result = dry(tmp_path / "kobo.xlsx")
    assert result.report.format == "xlsx/kobo"
    assert (result.report.rows_valid, result.report.rows_refused) == (1, 1)
    [record] = _records(tmp_path / "kobo.xlsx")
    assert record.values["prs_Birthdate"] == dt.date(2001, 7, 9)


def test_ctdc_victim_perpetrator_csv_every_row_accounted_for(shared_dir: Path, tmp_path: Path) -> None:
    path = shared_dir / CTDC_VP
    with path.open(encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    report_path = tmp_path / "report.json"
    with FileReading(path, ReadOptions(today=TODAY, report_json=report_path)) as reading:
        records = list(reading.records())
        report = reading.report
    assert report.format == "csv/ctdc"
    assert report.rows_valid + report.rows_refused + report.rows_blank == len(source) == 21195
    assert report.rows_valid == len(records) == 21195
    assert len({r.source.record_id for r in records}) == len(records)
    kinds = Counter(k for r in records for k in r.values.get("vic_TypeOfExploitation", ()))  # type: ignore[union-attr]
    assert kinds == {"ForcedLabour": 12248, "SexualExploitation": 2775}
    genders = Counter(r.values.get("prs_Gender") for r in records)
    assert genders == {"Feminine": 9589, "Masculine": 7995, None: 3611}
    # regions stay regions: no country code is made up, no birth date or case date either
    assert not any(k in r.values for r in records for k in ("prs_Citizenship", "prs_Birthdate", "ext_CaseOpenedDate"))
    assert Counter(r.values.get("ext_CitizenshipRegion") for r in records)["AmericasOceania"] == 277
    paid = Counter(r.values.get("ext_VictimPaidPerpetrator") for r in records)
    assert paid == {"No": 11075, "Yes": 3136 + 944, None: 6040}
    exploiters = sum("Exploiter" in (p.get("per_RoleInProcess") or ()) for r in records for p in r.perpetrators)  # type: ignore[operator]
    assert exploiters == 9458
    groups = Counter(g for r in records for g in r.values.get("ext_PerpetratorRoleGroups", ()))  # type: ignore[union-attr]
    assert groups["TransactionProcess"] == 7344 and groups["ControlAbuseKidnap"] == 2078
    assert Counter(r.values.get("ext_RegistrationYearBand") for r in records)["2014-2018"] == 6274
    assert report_path.exists()


def test_kobo_export_with_one_column_per_choice(tmp_path: Path) -> None:
    rows = [
        ["prs_Gender", "vic_TypeOfExploitation/ForcedLabour", "vic_TypeOfExploitation/ForcedBegging", "_uuid"],
        ["Feminine", "1", "0", "u-1"],
        ["Feminine", "0", "0", "u-2"],
        ["Feminine", "", "", "u-3"],
        ["Feminine", "2", "", "u-4"],
    ]
    path = write_csv(tmp_path / "split.csv", rows)
    result = dry(path)
    assert [(i.row, i.code) for i in result.report.details if i.severity == "error"] == [(5, "invalid_flag")]
    one, none, unknown = _records(path)
    assert one.values["vic_TypeOfExploitation"] == ("ForcedLabour",)
    assert none.values["vic_TypeOfExploitation"] == ()
    assert "vic_TypeOfExploitation" not in unknown.values


def test_every_label_of_the_official_validation_sheet_is_accepted(shared_dir: Path, tmp_path: Path) -> None:
    book = CalamineWorkbook.from_path(
        str(shared_dir / TEMPLATES / "HTCDS Excel Spreadsheet single select with validation v2.0.xlsx")
    )
    lookups = book.get_sheet_by_name("validation").to_python()
    header = [str(c) for c in lookups[2]]
    fields = {
        "Gender": "prs_Gender",
        "Country": "prs_Citizenship",
        "Country Code": "prs_Citizenship",
        "Method of Recruitment": "vic_MethodOfRecruitment",
        "Methods of Control": "vic_MethodsOfControl",
        "Type of Exploitation": "vic_TypeOfExploitation",
        "Forced Labour Industry": "vic_ForcedLabourIndustry",
        "Type of Sex Exploitation": "vic_TypeOfSexExploitation",
        "Status": "cas_Status",
        "Reason for Incoming Referral": "cas_ReasonForIncomingReferral",
        "Trafficking Status": "vic_TraffickingStatus",
        "Trafficking Status Decision Making Organization": "vic_TraffickingStatusDecisionMakingOrg",
    }
    rows: list[list[object]] = [["source_record_id", *fields.values()]]
    for label in fields:
        column = header.index(label)
        for n, row in enumerate(lookups[3:]):
            if row[column]:
                rows.append([f"{label}-{n}", *(row[column] if other == label else "" for other in fields)])
    path = write_csv(tmp_path / "labels.csv", rows)
    result = dry(path)
    assert result.report.rows_refused == 0 and result.report.rows_valid == len(rows) - 1 > 300


def test_odk_central_csv_with_hyphenated_groups(tmp_path: Path) -> None:
    rows = [
        ["SubmissionDate", "victim-prs_Gender", "victim-vic_Methods_of_Control", "meta-instanceID", "KEY"],
        ["2024-05-01T10:00:00Z", "Masculine", "DebtBondage TakesEarnings", "uuid:1", "uuid:1"],
    ]
    path = write_csv(tmp_path / "central.csv", rows)
    result = dry(path)
    assert result.report.format == "csv/kobo" and result.report.rows_valid == 1
    [record] = _records(path)
    assert record.source.record_id == "uuid:1"
    assert record.values == {"prs_Gender": "Masculine", "vic_MethodsOfControl": ("DebtBondage", "TakesEarnings")}
