"""The XLSForm of an HTCDS case that field teams load into KoboToolbox or ODK.

Differences from the official ``Toolkit/Survey/htcds_xlsform.xlsx`` (data-standard.md sections 3 and 5),
on purpose:
- question names are exactly the standard's field names (``prs_FirstName``, not ``prs_First_Name``), so a
  Kobo/ODK export maps back onto the standard without an alias table; choice names are system names with
  no stray whitespace;
- it covers every case-level field that makes sense to ask in an interview, ctdx's extension fields, and
  the repeated parts (perpetrators, trafficking events, support plans) as repeats; left out are deprecated
  fields and those listed with a reason under ``not_asked`` in ``data/xlsform.json`` (``cas_CaseOwner``, a
  user account that the importing system sets; summaries that exist only for condensed published data);
- nothing after the consent question is asked unless consent is given (``relevant``), and the labour
  industry and sex-exploitation questions only when that type of exploitation was selected;
- identifying questions carry ``bind::ctdx:identifying = true`` (kept in the XForm as a ``ctdx:``
  attribute) and a hint saying so;
- labels in English with ``label::French (fr)`` and ``label::Spanish (es)`` columns from
  ``data/xlsform.json``; where no reviewed translation exists the English text is repeated, so a
  French or Spanish form shows English rather than a guess or ODK's "-" placeholder;
- languages are offered from the ISO 639-1 list (with ``mis`` for any other language), because a choice
  list of the 7,900 ISO 639-3 languages is unusable on a phone.
Every cell is written through ``ctdx.cells.neutralise``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from ctdx.cells import neutralise
from ctdx.standard.exports import (
    DEFAULT_EXPORT_OPTIONS,
    ExportOptions,
    case_fields,
    field_choices,
    number_bounds,
    part_fields,
    write_atomically,
)
from ctdx.standard.fields import Field, Standard, Value
from ctdx.standard.vocabularies import COUNTRY_VOCABULARY, LANGUAGE_VOCABULARY, form_languages

LANGUAGES = ("en", "fr", "es")
NAMESPACE = 'ctdx="urn:ctdx:xlsform"'
FORM_ID = "ctdx_htcds_case"
CONSENT_FIELD = "con_Consent"
CONSENT_GIVEN = "${con_Consent} = 'TRUE'"
# Sections of the form: (name, entities, repeat name or None for a plain group).
SECTIONS: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("person", ("person",), None),
    ("victim", ("victim_context",), None),
    ("case", ("case", "case_comment"), None),
    ("perpetrators", ("perpetrator",), "perpetrator"),
    ("events", ("trafficking_event",), "event"),
    ("support_plans", ("support_plan",), "support_plan"),
)
PART_OF_SECTION = {"perpetrators": "perpetrators", "events": "events", "support_plans": "support_plans"}
# Questions shown only when the type of exploitation they detail was selected.
RELEVANT_WHEN = {
    "vic_ForcedLabourIndustry": "selected(${vic_TypeOfExploitation}, 'ForcedLabour')",
    "vic_TypeOfSexExploitation": "selected(${vic_TypeOfExploitation}, 'SexualExploitation')",
}
NOT_IN_FUTURE = frozenset({"prs_Birthdate"})


@cache
def form_data() -> dict[str, Any]:
    """``data/xlsform.json``: labels and their translations, and the fields not asked with the reason why."""
    text = resources.files("ctdx.standard").joinpath("data", "xlsform.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _language_columns(kind: str) -> list[str]:
    return [f"{kind}::{form_data()['languages'][lang]}" for lang in LANGUAGES]


SURVEY_COLUMNS = [
    "type",
    "name",
    *_language_columns("label"),
    *_language_columns("hint"),
    "required",
    "relevant",
    "constraint",
    "appearance",
    "bind::ctdx:identifying",
]
CHOICE_COLUMNS = ["list_name", "name", *_language_columns("label")]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "default_language", "namespaces"]


def _translated(english: str, translations: dict[str, str]) -> list[str]:
    """English, French, Spanish: a missing translation repeats the English text, never a guess."""
    english = translations.get("en", english)
    return [english, *(translations.get(lang, english) for lang in LANGUAGES[1:])]


def _list_name(field: Field) -> str:
    if field.type == "checkbox":
        return "boolean"
    if field.vocabulary == COUNTRY_VOCABULARY:
        return "country"
    if field.vocabulary == LANGUAGE_VOCABULARY:
        return "language"
    return field.name


def _list_values(field: Field, options: ExportOptions) -> tuple[Value, ...]:
    if field.type == "checkbox":
        return (Value("TRUE", "Yes"), Value("FALSE", "No"))
    if field.vocabulary == LANGUAGE_VOCABULARY:
        return form_languages()
    return field_choices(field, options)


def _question(field: Field, options: ExportOptions, lists: dict[str, tuple[Value, ...]]) -> dict[str, str]:
    row: dict[str, str] = {"name": field.name}
    values = _list_values(field, options)
    if values:
        list_name = _list_name(field)
        lists.setdefault(list_name, values)
        row["type"] = f"{'select_multiple' if field.multiple else 'select_one'} {list_name}"
        if len(values) > 30:
            row["appearance"] = "autocomplete"
    elif field.type == "date":
        row["type"] = "date"
        if field.name in NOT_IN_FUTURE:
            row["constraint"] = ". <= today()"
    elif field.type in ("number", "geolocation"):
        integer, low, high = number_bounds(field)
        row["type"] = "integer" if integer else "decimal"
        bounds = [f". >= {low:g}" if low is not None else "", f". <= {high:g}" if high is not None else ""]
        row["constraint"] = " and ".join(b for b in bounds if b)
    else:
        row["type"] = "text"
        if field.type == "long_text":
            row["appearance"] = "multiline"
    if field.name in RELEVANT_WHEN:
        row["relevant"] = RELEVANT_WHEN[field.name]
    return row


def _hint(field: Field) -> list[str]:
    parts = [field.description.strip()] if field.description else []
    if field.identifying:
        parts.append(form_data()["hints"]["identifying"]["en"])
    return _translated(" ".join(parts), {}) if parts else ["", "", ""]


def _survey_row(field: Field, options: ExportOptions, lists: dict[str, tuple[Value, ...]]) -> list[str]:
    row = _question(field, options, lists)
    names = _translated(field.label, form_data()["fields"].get(field.name, {}))
    return [
        row["type"],
        field.name,
        *names,
        *_hint(field),
        "yes" if field.name == CONSENT_FIELD else "",
        row.get("relevant", ""),
        row.get("constraint", ""),
        row.get("appearance", ""),
        "true" if field.identifying else "",
    ]


def _plain(kind: str, name: str = "", label: list[str] | None = None, relevant: str = "") -> list[str]:
    row = [""] * len(SURVEY_COLUMNS)
    row[0], row[1] = kind, name
    if label:
        row[2:5] = label
    row[SURVEY_COLUMNS.index("relevant")] = relevant
    return row


def _asked(fields: tuple[Field, ...], entities: tuple[str, ...]) -> list[Field]:
    return [f for f in fields if f.entity in entities and not f.deprecated and f.name not in form_data()["not_asked"]]


def xlsform_sheets(standard: Standard, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> dict[str, list[list[str]]]:
    """The three sheets of the form (``survey``, ``choices``, ``settings``) as rows of text, headers first."""
    lists: dict[str, tuple[Value, ...]] = {}
    sections = form_data()["sections"]
    survey = [SURVEY_COLUMNS, _plain("start", "start"), _plain("end", "end")]
    top = case_fields(standard, options)
    consent = [f for f in top if f.name == CONSENT_FIELD]
    if consent:
        survey.append(_survey_row(consent[0], options, lists))
    condition = CONSENT_GIVEN if consent else ""
    for section, entities, repeat in SECTIONS:
        part = PART_OF_SECTION.get(section)
        fields = _asked(part_fields(standard, part, options) if part else top, entities)
        fields = [f for f in fields if f.name != CONSENT_FIELD]
        if not fields:
            continue
        title = _translated(sections[section]["en"], sections[section])
        if repeat is None:
            survey.append(_plain("begin_group", section, title, condition))
            survey += [_survey_row(f, options, lists) for f in fields]
            survey.append(_plain("end_group"))
        else:
            survey.append(_plain("begin_group", section, title, condition))
            survey.append(_plain("begin_repeat", repeat, _translated(sections[repeat]["en"], sections[repeat])))
            survey += [_survey_row(f, options, lists) for f in fields]
            survey.append(_plain("end_repeat"))
            survey.append(_plain("end_group"))
    choice_text = form_data()["choices"]
    choices = [CHOICE_COLUMNS]
    for list_name, values in lists.items():
        translated = choice_text.get(list_name, {})
        choices += [[list_name, v.name.strip(), *_translated(v.label, translated.get(v.name, {}))] for v in values]
    settings = [
        SETTINGS_COLUMNS,
        [f"HTCDS {standard.version} case (ctdx)", FORM_ID, standard.id, form_data()["languages"]["en"], NAMESPACE],
    ]
    return {"survey": survey, "choices": choices, "settings": settings}


def write_xlsform(path: Path, standard: Standard, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) -> None:
    """Write the form to ``path`` (an .xlsx), every cell neutralised against formula injection."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in xlsform_sheets(standard, options).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([neutralise(cell) if cell != "" else None for cell in row])
    write_atomically(path, lambda p: workbook.save(p))
