from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from ctdx.model.records import CaseRecord, SourceRef
from ctdx.standard import load_standard
from ctdx.standard.exports import ExportOptions
from ctdx.standard.json_schema import case_record_schema


@cache
def validator(options: ExportOptions) -> Draft202012Validator:
    schema = case_record_schema(load_standard(), options)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def sample_record() -> dict[str, Any]:
    record = CaseRecord(
        source=SourceRef(system="field-office", record_id="case-0001"),
        values={
            "con_Consent": True,
            "prs_FirstName": "Amina",
            "prs_Birthdate": dt.date(1999, 4, 2),
            "prs_Gender": "Feminine",
            "prs_Citizenship": ("NG", "GH"),
            "prs_PrimaryLanguage": "hau",
            "prs_Email": "amina@example.org",
            "prs_MailingCountry": "IT",
            "prs_NumberOfChildren": 1,
            "vic_TraffickingStatus": "PossibleVictimOfTrafficking",
            "vic_MethodsOfControl": ("DebtBondage", "RestrictsMovement"),
            "vic_TypeOfExploitation": ("SexualExploitation",),
            "vic_AgeWhenTrafficked": 17,
            "vic_RelationshipToTrafficker": "Unaquainted",
            "cas_Status": "Active",
            "cas_IncomingReferralDate": dt.date(2024, 5, 1),
            "ext_CaseOpenedDate": dt.date(2024, 5, 2),
            "ext_CountryOfExploitation": "IT",
        },
        events=({"hte_Type": "Recruitment", "hte_Country": "NG", "hte_Date": dt.date(2016, 3, 1)},),
        perpetrators=({"per_RoleInProcess": ("RecruiterOrIntermediary",), "prs_Gender": "Masculine"},),
        support_plans=({"spl_Type": "Health", "spl_PlannedEndDate": dt.date(2024, 12, 31)},),
    )
    dumped: dict[str, Any] = record.model_dump(mode="json")
    return dumped


def errors(document: dict[str, Any], options: ExportOptions | None = None) -> list[str]:
    return sorted(
        "/".join(str(p) for p in e.absolute_path) for e in validator(options or ExportOptions()).iter_errors(document)
    )


def test_a_case_record_dumped_by_the_model_validates() -> None:
    assert errors(sample_record()) == []


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("prs_Gender", "Female"),  # a label-like word, not the system name
        ("prs_Gender", "Feminine "),  # trailing space
        ("prs_Citizenship", ["NG", "Nigeria"]),
        ("prs_Citizenship", "NG"),  # a multi-select is an array
        ("prs_Citizenship", ["NG", "NG"]),
        ("prs_Citizenship", []),
        ("prs_MailingCountry", "ZZ"),
        ("prs_PrimaryLanguage", "xx"),
        ("prs_Birthdate", "02/04/1999"),
        ("prs_Birthdate", "1999-02-30"),
        ("prs_NumberOfChildren", -1),
        ("prs_NumberOfChildren", 1.5),
        ("vic_AgeWhenTrafficked", 121),
        ("vic_MethodsOfControl", ["Kidnapping"]),
        ("con_Consent", "yes"),
        ("prs_Email", "not an address"),
        ("prs_FirstName", ""),
        ("prs_Nickname", "x"),  # not a field of the standard
    ],
)
def test_a_bad_value_is_refused_at_its_field(field: str, bad: object) -> None:
    document = sample_record()
    document["values"][field] = bad
    found = set(errors(document))
    if field == "prs_Nickname":
        assert found == {"values"}
    else:
        assert found and all(e.startswith(f"values/{field}") for e in found)


def test_repeated_parts_and_source_are_checked() -> None:
    document = sample_record()
    document["events"][0]["hte_Type"] = "Holiday"
    document["perpetrators"][0]["per_RoleInProcess"] = ["Friend"]
    del document["source"]["record_id"]
    assert errors(document) == ["events/0/hte_Type", "perpetrators/0/per_RoleInProcess/0", "source"]


def test_without_extensions_the_extension_fields_and_values_are_refused() -> None:
    options = ExportOptions(extensions=False)
    document = sample_record()
    assert errors(document, options) == ["values", "values/vic_MethodsOfControl/1"]
    schema = case_record_schema(load_standard(), options)
    assert not any(name.startswith("ext_") for name in schema["properties"]["values"]["properties"])


def test_core_only_keeps_core_fields_and_drops_the_repeated_parts() -> None:
    schema = case_record_schema(load_standard(), ExportOptions(core_only=True))
    fields = schema["properties"]["values"]["properties"]
    assert "prs_FirstName" in fields and "prs_MiddleName" not in fields
    assert all(f["x-htcds-core"] for f in fields.values())
    assert set(schema["properties"]) == {"source", "values"}


def test_annotations_follow_the_standard() -> None:
    standard = load_standard()
    values = case_record_schema(standard)["properties"]["values"]["properties"]
    for name, field_schema in values.items():
        field = standard.field(name)
        assert field_schema["x-htcds-core"] == field.core, name
        assert field_schema["x-identifying"] == field.identifying, name
        assert field_schema["x-htcds-extension"] == field.extension, name
        assert field_schema.get("deprecated", False) == field.deprecated, name
    assert values["prs_Birthdate"]["format"] == "date"
    assert values["vic_MethodsOfControl"]["x-ctdx-extension-values"] == ["RestrictsMovement", "UsesChildren"]
    assert values["prs_Gender"]["x-htcds-value-labels"]["NonSpecifiedUnknown"] == "Not Specified/Unknown"
