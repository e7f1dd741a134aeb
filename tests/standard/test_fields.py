from __future__ import annotations

import json
from pathlib import Path

from ctdx.standard import load_standard, resolve_country, suggest_country


def test_every_official_field_is_loaded_with_its_type_and_values() -> None:
    standard = load_standard()
    official = standard.official()
    assert len(official) == 84
    gender = standard.field("prs_Gender")
    assert gender.core and gender.type == "picklist"
    assert gender.value_names[0] == "Feminine"
    assert standard.field("per_Organisation").type == "lookup_organisation"


def test_extensions_are_namespaced_and_flagged() -> None:
    standard = load_standard()
    controls = standard.field("vic_MethodsOfControl")
    extension_values = {v.name for v in controls.values if v.extension}
    assert extension_values == {"RestrictsMovement", "UsesChildren"}
    assert all(f.name.startswith("ext_") for f in standard.fields if f.extension)
    assert standard.field("ext_CaseOpenedDate").type == "date"


def test_misspelt_official_names_resolve_to_the_standard_field() -> None:
    standard = load_standard()
    assert standard.field("vic_TraffickinStatusDecisionMakingOrg").name == "vic_TraffickingStatusDecisionMakingOrg"
    assert standard.field("prs_First_Name").name == "prs_FirstName"


def test_identifying_fields_include_names_birth_date_and_numbers() -> None:
    identifying = load_standard().identifying()
    assert {"prs_FirstName", "prs_SecondName", "prs_Birthdate", "prs_IdentityNumber"} <= identifying
    assert "prs_Gender" not in identifying


def test_country_names_resolve_only_when_exact_and_otherwise_suggest() -> None:
    assert resolve_country("Viet Nam") == "VN"
    assert resolve_country("vietnam") == "VN"
    assert resolve_country("fr") == "FR"
    assert resolve_country("Vietnum") is None
    assert suggest_country("Vietnum") == "VN"


def test_data_file_matches_the_official_extraction(shared_dir: Path) -> None:
    official = json.loads((shared_dir / "data/htcds/HTCDS_v2.0_fields.json").read_text(encoding="utf-8"))
    ours = {f.name: f for f in load_standard().official()}
    for row in official["fields"]:
        name = row["full_name"] or "per_Organisation"
        field = ours[name]
        assert field.core == bool(row["core"]), name
        assert field.status == row["status"], name
        assert [v.name for v in field.official_values()] == [v["name"].strip() for v in row["values"]], name
