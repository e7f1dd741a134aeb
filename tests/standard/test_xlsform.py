from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ctdx.cells import neutralise
from ctdx.standard import load_standard
from ctdx.standard.exports import ExportOptions
from ctdx.standard.xlsform import form_data, write_xlsform

QUESTION_TYPES = {"text", "integer", "decimal", "date", "select_one", "select_multiple"}
STRUCTURE_TYPES = {"begin_group", "end_group", "begin_repeat", "end_repeat"}
META_TYPES = {"start", "end"}
XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def read_sheets(path: Path) -> dict[str, list[dict[str, str]]]:
    workbook = load_workbook(path)
    sheets: dict[str, list[dict[str, str]]] = {}
    for sheet in workbook.worksheets:
        rows = [["" if c is None else c for c in row] for row in sheet.iter_rows(values_only=True)]
        for row in rows:
            for cell in row:
                assert not isinstance(cell, str) or neutralise(cell) == cell, f"formula-like cell {cell!r}"
        header = [str(h) for h in rows[0]]
        sheets[sheet.title] = [dict(zip(header, (str(c) for c in row), strict=True)) for row in rows[1:]]
    return sheets


def structural_problems(sheets: dict[str, list[dict[str, str]]]) -> list[str]:
    """What an XLSForm converter would refuse: the checks pyxform and Kobo apply that we rely on."""
    problems: list[str] = []
    if set(sheets) != {"survey", "choices", "settings"}:
        problems.append(f"sheets {sorted(sheets)}")
    lists: dict[str, list[str]] = {}
    for choice in sheets["choices"]:
        lists.setdefault(choice["list_name"], []).append(choice["name"])
    used: set[str] = set()
    names: list[str] = []
    depth: list[str] = []
    for row in sheets["survey"]:
        kind, _, list_name = row["type"].partition(" ")
        if kind not in QUESTION_TYPES | STRUCTURE_TYPES | META_TYPES:
            problems.append(f"type {row['type']!r}")
        if kind.startswith("begin_"):
            depth.append(kind[6:])
        elif kind.startswith("end_") and (not depth or depth.pop() != kind[4:]):
            problems.append(f"unbalanced {kind}")
        if not kind.startswith("end_") or kind in META_TYPES:
            if not XML_NAME.match(row["name"]):
                problems.append(f"name {row['name']!r}")
            names.append(row["name"])
        if kind in ("select_one", "select_multiple"):
            used.add(list_name)
            if list_name not in lists:
                problems.append(f"list {list_name!r} of {row['name']} missing")
            elif kind == "select_multiple" and any(" " in n for n in lists[list_name]):
                problems.append(f"list {list_name!r} has a name with a space")
        if kind in QUESTION_TYPES and not row["label::English (en)"]:
            problems.append(f"no label for {row['name']}")
    problems += [f"nesting left open: {depth}"] if depth else []
    problems += [f"duplicate name {n}" for n, count in Counter(names).items() if count > 1]
    problems += [f"list {n!r} not used" for n in set(lists) - used]
    for list_name, values in lists.items():
        problems += [f"duplicate choice {list_name}/{v}" for v, count in Counter(values).items() if count > 1]
        problems += [f"choice {list_name}/{v!r} has stray whitespace" for v in values if v != v.strip() or not v]
    return problems


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsform") / "htcds.xlsx"
    write_xlsform(path, load_standard())
    return path


def questions(sheets: dict[str, list[dict[str, str]]]) -> dict[str, dict[str, str]]:
    return {r["name"]: r for r in sheets["survey"] if r["type"].partition(" ")[0] in QUESTION_TYPES}


def test_the_form_is_structurally_valid(form: Path) -> None:
    assert structural_problems(read_sheets(form)) == []


def test_the_structural_check_finds_what_is_wrong(form: Path) -> None:
    sheets = read_sheets(form)
    sheets["survey"].append(dict(sheets["survey"][3], type="select_one nowhere"))
    sheets["choices"].append(dict(sheets["choices"][0], name="DebtBondage "))
    problems = structural_problems(sheets)
    assert any("nowhere" in p for p in problems)
    assert any("duplicate name" in p for p in problems)
    assert any("stray whitespace" in p for p in problems)


def test_question_names_are_the_standard_field_names(form: Path) -> None:
    standard = load_standard()
    asked = questions(read_sheets(form))
    for name, row in asked.items():
        field = standard.field(name)
        assert field.name == name
        assert (row["bind::ctdx:identifying"] == "true") == field.identifying, name
    not_asked = form_data()["not_asked"]
    expected = {f.name for f in standard.fields if f.entity != "organisation" and not f.deprecated} - set(not_asked)
    assert set(asked) == expected
    assert "cas_CaseOwner" in not_asked and all(why for why in not_asked.values())
    assert asked["vic_MethodsOfControl"]["type"] == "select_multiple vic_MethodsOfControl"
    assert asked["prs_Citizenship"]["type"] == "select_multiple country"
    assert asked["vic_ForcedLabourIndustry"]["relevant"] == "selected(${vic_TypeOfExploitation}, 'ForcedLabour')"


def test_choices_carry_the_standard_values_and_extension_values(form: Path) -> None:
    sheets = read_sheets(form)
    controls = [c["name"] for c in sheets["choices"] if c["list_name"] == "vic_MethodsOfControl"]
    assert controls == list(load_standard().field("vic_MethodsOfControl").value_names)
    assert "RestrictsMovement" in controls
    countries = {c["name"] for c in sheets["choices"] if c["list_name"] == "country"}
    assert {"VN", "NG", "XK"} <= countries and len(countries) == 250


def test_sections_and_consent_are_translated_and_other_labels_fall_back_to_english(form: Path) -> None:
    sheets = read_sheets(form)
    by_name = {r["name"]: r for r in sheets["survey"]}
    for name in ("person", "victim", "case", "con_Consent"):
        row = by_name[name]
        assert row["label::French (fr)"] not in ("", row["label::English (en)"]), name
        assert row["label::Spanish (es)"] not in ("", row["label::English (en)"]), name
    assert by_name["con_Consent"]["label::French (fr)"] == "Consentement"
    assert by_name["con_Consent"]["required"] == "yes"
    # No reviewed translation: the English label is repeated, never left empty or guessed.
    reason = by_name["cas_ReasonForCaseClosure"]
    assert reason["label::French (fr)"] == reason["label::English (en)"] == "Reason for Case Closure"
    consent_choices = {c["name"]: c["label::Spanish (es)"] for c in sheets["choices"] if c["list_name"] == "boolean"}
    assert consent_choices == {"TRUE": "Sí", "FALSE": "No"}


def test_nothing_after_consent_is_asked_without_it(form: Path) -> None:
    groups = [r for r in read_sheets(form)["survey"] if r["type"] == "begin_group"]
    assert groups and all(g["relevant"] == "${con_Consent} = 'TRUE'" for g in groups)


def test_options_leave_out_extensions_and_non_core_fields(tmp_path: Path) -> None:
    path = tmp_path / "core.xlsx"
    write_xlsform(path, load_standard(), ExportOptions(core_only=True, extensions=False))
    sheets = read_sheets(path)
    assert structural_problems(sheets) == []
    asked = questions(sheets)
    assert not any(n.startswith("ext_") for n in asked)
    assert "prs_MiddleName" not in asked and "prs_FirstName" in asked
    assert "RestrictsMovement" not in {c["name"] for c in sheets["choices"]}
    assert not any(r["type"] == "begin_repeat" for r in sheets["survey"])


def test_pyxform_converts_the_form_to_an_xform(form: Path) -> None:
    xls2xform = pytest.importorskip("pyxform.xls2xform", reason="pyxform (dev extra) is not installed")
    result = xls2xform.convert(xlsform=str(form), validate=False)
    assert result.warnings == []
    assert 'id="ctdx_htcds_case"' in result.xform
    assert re.search(r'nodeset="/data/person/prs_FirstName"[^>]*ctdx:identifying="true"', result.xform)
    assert '<translation lang="French (fr)">' in result.xform


def test_formula_like_text_is_written_inert(tmp_path: Path) -> None:
    standard = load_standard()
    evil = '=HYPERLINK("http://attacker.invalid","click")'
    fields = tuple(
        replace(f, label=evil, description="@SUM(1+1)") if f.name == "prs_FirstName" else f for f in standard.fields
    )
    tampered = replace(standard, fields=fields)
    path = tmp_path / "form.xlsx"
    write_xlsform(path, tampered)
    sheet = load_workbook(path)["survey"]
    row = next(r for r in sheet.iter_rows() if r[1].value == "prs_FirstName")
    assert all(cell.data_type != "f" for cell in row)
    assert row[2].value == "'" + evil
    assert str(row[5].value).startswith("'@SUM")
