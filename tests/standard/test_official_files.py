"""Our data files against IOM's official HTCDS 2.0 files themselves (the ODS, the XLSForm, the Excel templates).

Each test also pins the documented defects of the official files (data-standard.md section 3): if IOM
fixes or adds one, the test fails and the alias tables and this list are updated together.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from ctdx.standard import Field, load_standard, resolve_country
from ctdx.standard.countries import alpha2_codes
from ctdx.standard.vocabularies import COUNTRY_VOCABULARY, LANGUAGE_VOCABULARY

HTCDS = Path("data/htcds")
ODS = HTCDS / "HTCDS Field Standards 2.0.ods"
XLSFORM = HTCDS / "Toolkit/Survey/htcds_xlsform.xlsx"
TEMPLATES = {
    "HTCDS Excel Spreadsheet v2.0.xlsx": "Sheet1",
    "HTCDS Excel Spreadsheet single select with validation v2.0.xlsx": "Case Sheet",
}
WHITESPACE = " \t\n\xa0"


def sheet(path: Path, name: str | int = 0) -> list[list[object]]:
    workbook = CalamineWorkbook.from_path(str(path))
    found = workbook.get_sheet_by_index(name) if isinstance(name, int) else workbook.get_sheet_by_name(name)
    rows: list[list[object]] = found.to_python()
    return rows


def text(cell: object) -> str:
    return cell if isinstance(cell, str) else "" if cell is None else str(cell)


def lines(cell: object) -> list[str]:
    return [line for line in text(cell).split("\n") if line.strip(WHITESPACE)]


def clean(value: str) -> str:
    return value.strip(WHITESPACE)


# ---------------------------------------------------------------------------------------------- the ODS


def ods_fields(shared_dir: Path) -> list[dict[str, object]]:
    rows = sheet(shared_dir / ODS)
    header = [text(h) for h in rows[0]]
    assert header[:7] == ["Section", "Status", "Core", "Field Name Prefix", "Field Name", "Field Label",
                          "Field Name including Prefix"]  # fmt: skip
    return [dict(zip(header, row, strict=True)) for row in rows[1:] if text(row[1]) in ("DRAFT", "DEPRECATED")]


def test_every_ods_row_is_in_our_data_file_with_its_type_core_status_and_values(shared_dir: Path) -> None:
    standard = load_standard()
    rows = ods_fields(shared_dir)
    assert len(rows) == 84
    names = [
        text(r["Field Name including Prefix"]) or text(r["Field Name Prefix"]) + text(r["Field Name"]) for r in rows
    ]
    assert names == [f.name for f in standard.official()]
    for name, row in zip(names, rows, strict=True):
        field = standard.field(name)
        assert field.core == (text(row["Core"]) == "Core"), name
        assert field.status == text(row["Status"]), name
        assert field.official_type == text(row["Field Type"]), name
        assert field.description == text(row["Description"]).strip(), name
        if text(row["Field Label"]):
            assert field.label == text(row["Field Label"]), name
        value_names = lines(row["Value Names (if picklist)"])
        value_labels = lines(row["Value Labels (if picklist)"])
        vocabulary = " ".join(value_names + value_labels)
        if "ISO 3166" in vocabulary:
            assert field.vocabulary == COUNTRY_VOCABULARY, name
        elif "ISO 639-2" in vocabulary:
            assert field.vocabulary == LANGUAGE_VOCABULARY, name
        else:
            assert [v.name for v in field.official_values()] == [clean(v) for v in value_names], name
            assert [v.label for v in field.official_values()] == [clean(v) for v in value_labels], name


def test_the_documented_defects_of_the_ods_are_there_and_normalised(shared_dir: Path) -> None:
    standard = load_standard()
    defects = set()
    for row in ods_fields(shared_dir):
        name = text(row["Field Name including Prefix"])
        for column in ("Value Names (if picklist)", "Value Labels (if picklist)"):
            cell = text(row[column])
            defects |= {
                (name, column[:11], v) for v in cell.split("\n") if cell and (v != v.strip(WHITESPACE) or not v)
            }
        if not name:
            defects.add((text(row["Field Name Prefix"]) + text(row["Field Name"]), "no label or type", ""))
    assert defects == {
        ("prs_Gender", "Value Label", "Feminine\xa0"),
        ("prs_Gender", "Value Label", "Masculine\xa0"),
        ("prs_Gender", "Value Label", "Transgender Feminine\xa0"),
        ("prs_Gender", "Value Label", "Transgender Masculine\xa0"),
        ("prs_Gender", "Value Label", "Non-Conforming\xa0"),
        ("vic_MethodsOfControl", "Value Names", "DebtBondage "),
        ("vic_MethodsOfControl", "Value Label", "Debt bondage "),
        ("spl_Type", "Value Names", ""),  # a trailing empty line in the cell: an empty value
        ("spl_Type", "Value Label", ""),
        ("per_Organisation", "no label or type", ""),
    }
    assert "DebtBondage" in standard.field("vic_MethodsOfControl").value_names
    assert standard.field("per_Organisation").type == "lookup_organisation"
    # Misspelt in the ODS; kept as the official name, the correct spelling accepted as an alias.
    relationship = standard.field("vic_RelationshipToTrafficker")
    assert "Unaquainted" in relationship.value_names and relationship.aliases["Unacquainted"] == "Unaquainted"
    # 16 official methods of control; the two that Field Definitions.md defines are our extension values.
    controls = standard.field("vic_MethodsOfControl")
    assert len(controls.official_values()) == 16
    assert [v.name for v in controls.values if v.extension] == ["RestrictsMovement", "UsesChildren"]


# ------------------------------------------------------------------------------------------ the XLSForm


def xlsform(shared_dir: Path) -> tuple[list[dict[str, str]], dict[str, list[tuple[str, str]]]]:
    survey_rows = sheet(shared_dir / XLSFORM, "survey")
    header = [text(h) for h in survey_rows[0]]
    survey = [{k: text(v) for k, v in zip(header, row, strict=True)} for row in survey_rows[1:]]
    lists: dict[str, list[tuple[str, str]]] = {}
    for row in sheet(shared_dir / XLSFORM, "choices")[1:]:
        lists.setdefault(text(row[0]), []).append((text(row[1]), text(row[2])))
    return survey, lists


def allowed(field: Field) -> dict[str, str]:
    """System name -> label of what ``field`` accepts in a form."""
    if field.type == "checkbox":
        return {"TRUE": "Yes", "FALSE": "No"}
    if field.vocabulary == COUNTRY_VOCABULARY:
        return {code: code for code in alpha2_codes()}
    return {v.name: v.label for v in field.values}


def test_every_xlsform_question_and_choice_maps_onto_our_fields_and_values(shared_dir: Path) -> None:
    standard = load_standard()
    survey, lists = xlsform(shared_dir)
    questions = [r for r in survey if r["type"] not in ("start", "end", "calculate")]
    aliases, label_defects, type_defects, used = set(), set(), set(), set()
    for row in questions:
        field = standard.field(row["name"])
        if field.name != row["name"]:
            aliases.add(row["name"])
        if row["label"] != field.label:
            label_defects.add((field.name, row["label"]))
        kind, _, list_name = row["type"].partition(" ")
        if kind == "text" and (field.values or field.type not in ("text", "long_text")):
            type_defects.add((field.name, kind))
        if kind.startswith("select_"):
            used.add(list_name)
            if (kind == "select_multiple") != field.multiple:
                type_defects.add((field.name, kind))
            accepted = allowed(field)
            for name, label in lists[list_name]:
                assert clean(name) in accepted, (field.name, name)
                if field.vocabulary == COUNTRY_VOCABULARY:
                    assert resolve_country(label) == name, label
                elif field.type != "checkbox":
                    assert clean(label) == accepted[clean(name)], (field.name, label)
            official = {v.name for v in field.official_values()} if field.values else set(accepted) - {"XK"}
            assert {clean(n) for n, _ in lists[list_name]} == official, field.name
    assert used == set(lists)
    # Single-select in the ODS, select_multiple in the XLSForm: we store it multi (a single value is a list of one).
    assert standard.field("vic_ForcedLabourIndustry").multiple
    assert standard.field("vic_ForcedLabourIndustry").official_type == "Picklist"
    assert aliases == {"prs_First_Name", "prs_Second_Name", "vic_Methods_of_Control"}
    assert label_defects == {("prs_Title", "Second Name")}
    assert type_defects == {
        ("prs_Citizenship", "select_one"),  # multi-select in the ODS
        ("vic_LocationOfRecruitment", "text"),
        ("vic_LocationOfExploitation", "text"),
        ("cas_ReferringOrganisation", "text"),
        ("cas_ReferringPrimaryCaseWorker", "text"),
        ("cas_ReasonForIncomingReferral", "text"),
    }
    stray = {(list_name, name) for list_name, rows in lists.items() for name, _ in rows if name != name.strip()}
    assert stray == {("methodsofcontrol", "DebtBondage ")}


def test_our_form_asks_everything_the_official_form_asks(shared_dir: Path, tmp_path: Path) -> None:
    from ctdx.standard.xlsform import xlsform_sheets

    standard = load_standard()
    survey, _ = xlsform(shared_dir)
    official = {standard.field(r["name"]).name for r in survey if r["type"] not in ("start", "end", "calculate")}
    ours = {row[1] for row in xlsform_sheets(standard)["survey"][1:]}
    assert official <= ours


# -------------------------------------------------------------------------------- the Excel templates


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_excel_template_headers_match_our_field_names_and_labels(shared_dir: Path, template: str) -> None:
    standard = load_standard()
    rows = sheet(shared_dir / HTCDS / "Toolkit/Excel" / template, TEMPLATES[template])
    names, labels = [text(c) for c in rows[0][1:]], [text(c) for c in rows[1][1:]]
    assert len(names) == 38 and len([n for n in names if n]) == 37
    by_label = {f.label: f.name for f in standard.official()}
    aliases, mismatches, unnamed = set(), set(), []
    for name, label in zip(names, labels, strict=True):
        if not name:
            unnamed.append(by_label[label])  # matched on the label alone
            continue
        field = standard.field(name)
        if field.name != name:
            aliases.add(name)
        if field.label != label:
            mismatches.add((field.name, label))
    assert aliases == {"vic_TraffickinStatusDecisionMakingOrg"}
    assert unnamed == ["cas_ReasonForOutgoingReferral"]
    # The mailing-address labels are in another order than the names: the same five labels, shuffled.
    assert mismatches == {
        ("prs_MailingCity", "Mailing Street"),
        ("prs_MailingCountry", "Mailing City"),
        ("prs_MailingStreet", "Mailing Zip/Postal Code"),
        ("prs_MailingPostalCode", "Mailing Country"),
    }
    mailing = [n for n in names if n.startswith("prs_Mailing")]
    assert sorted(labels[names.index(n)] for n in mailing) == sorted(standard.field(n).label for n in mailing)


def test_the_validation_sheet_labels_map_onto_our_system_names(shared_dir: Path) -> None:
    standard = load_standard()
    template = shared_dir / HTCDS / "Toolkit/Excel/HTCDS Excel Spreadsheet single select with validation v2.0.xlsx"
    rows = sheet(template, "validation")
    header = [text(h) for h in rows[2]]
    columns = {h: [text(r[i]) for r in rows[3:] if text(r[i])] for i, h in enumerate(header) if h}
    fields_by_label = {f.label: f for f in standard.official() if f.values}
    checked = set()
    for heading, cells in columns.items():
        if heading == "Gender":  # holds system names, not labels
            assert cells == list(standard.field("prs_Gender").value_names)
            checked.add(heading)
        elif heading in fields_by_label:
            field = fields_by_label[heading]
            by_label = {v.label.casefold(): v.name for v in field.official_values()}
            assert [by_label.get(clean(c).casefold()) for c in cells] == list(field.value_names[: len(cells)])
            checked.add(heading)
    codes = dict(zip(columns["Country Code"], columns["Country"], strict=True))
    assert len(codes) == 249 and all(resolve_country(name) == code for code, name in codes.items())
    assert checked == set(columns) - {"Date Start", "Country Code", "Country"}
