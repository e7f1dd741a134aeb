from __future__ import annotations

import re

from ctdx.standard import load_standard
from ctdx.standard.exports import ExportOptions, case_fields
from ctdx.standard.table_schema import SOURCE_ID_COLUMN, case_table_schema

TYPES = {
    "date": "date",
    "checkbox": "boolean",
    "text": "string",
    "long_text": "string",
    "lookup_organisation": "string",
    "lookup_person": "string",
    "lookup_user": "string",
    "picklist": "string",
    "multi_picklist": "string",
}


def test_columns_are_the_source_id_and_every_case_level_field_in_order() -> None:
    standard = load_standard()
    schema = case_table_schema(standard)
    names = [f["name"] for f in schema["fields"]]
    assert names == [SOURCE_ID_COLUMN, *(f.name for f in case_fields(standard))]
    assert len(names) == len(set(names))
    assert schema["missingValues"] == [""]
    assert not any(n.startswith(("hte_", "spl_", "per_", "org_")) for n in names)


def test_each_column_type_and_constraint_follows_its_field() -> None:
    standard = load_standard()
    for column in case_table_schema(standard)["fields"][1:]:
        field = standard.field(column["name"])
        if field.type in ("number", "geolocation"):
            assert column["type"] in ("number", "integer"), field.name
        else:
            assert column["type"] == TYPES[field.type], field.name
        assert column["x-identifying"] == field.identifying
        assert column["x-htcds-core"] == field.core
        if field.type == "picklist" and field.vocabulary is None:
            assert column["constraints"]["enum"] == list(field.value_names)
            assert [c["label"] for c in column["categories"]] == [v.label for v in field.values]
    columns = {c["name"]: c for c in case_table_schema(standard)["fields"]}
    assert columns["vic_AgeWhenTrafficked"]["type"] == "integer"
    assert columns["vic_AgeWhenTrafficked"]["constraints"] == {"minimum": 0, "maximum": 120}
    assert columns["prs_MailingLatitude"]["constraints"] == {"minimum": -90.0, "maximum": 90.0}
    assert "TRUE" in columns["con_Consent"]["trueValues"]
    assert "categories" not in columns["prs_PrimaryLanguage"]
    assert {"VN", "XK"} <= set(columns["prs_MailingCountry"]["constraints"]["enum"])
    assert "fra" in columns["prs_PrimaryLanguage"]["constraints"]["enum"]


def test_multi_selects_are_semicolon_joined_names_and_the_pattern_says_so() -> None:
    columns = {c["name"]: c for c in case_table_schema(load_standard())["fields"]}
    controls = re.compile(columns["vic_MethodsOfControl"]["constraints"]["pattern"])
    assert controls.fullmatch("DebtBondage")
    assert controls.fullmatch("DebtBondage;RestrictsMovement;Other")
    for bad in ("DebtBondage; Other", "DebtBondage,Other", "Debt bondage", "DebtBondage;", ""):
        assert not controls.fullmatch(bad), bad
    citizenship = re.compile(columns["prs_Citizenship"]["constraints"]["pattern"])
    assert citizenship.fullmatch("NG;GH") and not citizenship.fullmatch("NG;Nigeria")
    assert "';'" in columns["vic_MethodsOfControl"]["description"]


def test_without_extensions_there_are_no_extension_columns_or_values() -> None:
    schema = case_table_schema(load_standard(), ExportOptions(extensions=False))
    columns = {c["name"]: c for c in schema["fields"]}
    assert not any(n.startswith("ext_") for n in columns)
    assert not re.fullmatch(columns["vic_MethodsOfControl"]["constraints"]["pattern"], "RestrictsMovement")
