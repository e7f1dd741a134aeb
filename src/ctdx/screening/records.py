"""Screening a case record: "yes" answers derived from the HTCDS values a case already holds.

For cases recorded or imported without an interview (the demo cohort, imports from other systems) the
methods of control, types of exploitation, perpetrators' roles and trafficking events are documentary
evidence for some bank items (``data/htcds_evidence.yaml``). Only "yes" answers are derived, with the source
``document``: a value missing from a record is unknown, and everything else stays not asked, so the result
lists what an interview would still have to ask.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ctdx.errors import ConfigError
from ctdx.model import CaseRecord, FieldValue
from ctdx.screening.answers import Answer, AnswerValue, EvidenceSource, ExploitationKind, Profile, ScreeningContext
from ctdx.screening.bank import Bank, load_bank
from ctdx.screening.engine import screen
from ctdx.screening.result import ScreeningResult
from ctdx.standard import load_standard

LABOUR_TYPES = frozenset({"ForcedLabour", "ChildLabour", "Servitude", "ForcedBegging"})


class Evidence(BaseModel):
    """HTCDS field -> value -> the bank items it is evidence for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    fields: dict[str, dict[str, tuple[str, ...]]]


def build_evidence(raw: object, bank: Bank) -> Evidence:
    """A checked mapping: every value of each field listed, every item in the bank; ConfigError otherwise."""
    try:
        evidence = Evidence.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(f"the HTCDS evidence mapping is malformed: {exc}") from exc
    standard = load_standard()
    problems = []
    for field, values in evidence.fields.items():
        expected = set(standard.field(field).value_names)
        problems += [f"{field}: value {v} is not listed" for v in sorted(expected - set(values))]
        problems += [f"{field}: {v} is not an HTCDS value" for v in sorted(set(values) - expected)]
        problems += [
            f"{field}.{v}: unknown item {i}" for v, items in values.items() for i in items if i not in bank.item_ids()
        ]
    if problems:
        raise ConfigError(f"the HTCDS evidence mapping has {len(problems)} problem(s): " + "; ".join(problems))
    return evidence


@cache
def load_evidence() -> Evidence:
    text = resources.files("ctdx.screening").joinpath("data", "htcds_evidence.yaml").read_text(encoding="utf-8")
    return build_evidence(yaml.safe_load(text), load_bank())


def _values(value: FieldValue | None) -> tuple[str, ...]:
    if isinstance(value, tuple):
        return value
    return (value,) if isinstance(value, str) else ()


def _profile(record: CaseRecord) -> Profile:
    age = record.get("vic_AgeWhenTrafficked")
    types = set(_values(record.get("vic_TypeOfExploitation")))
    sexual, labour = "SexualExploitation" in types, bool(types & LABOUR_TYPES)
    kind = (
        ExploitationKind.SEXUAL
        if sexual and not labour
        else ExploitationKind.LABOUR
        if labour and not sexual
        else ExploitationKind.UNKNOWN
    )
    return Profile.from_age(int(age) if isinstance(age, int | float) and not isinstance(age, bool) else None, kind)


def answers_from_record(record: CaseRecord) -> tuple[dict[str, Answer], Profile]:
    """The "yes" answers a case record documents, and the profile its age and exploitation types give."""
    mapping = load_evidence().fields
    found: list[str] = []

    def add(field: str, values: Iterable[str]) -> None:
        for value in values:
            found.extend(mapping[field].get(value, ()))

    for field in ("vic_MethodsOfControl", "vic_TypeOfExploitation"):
        add(field, _values(record.get(field)))
    for perpetrator in record.perpetrators:
        add("per_RoleInProcess", _values(perpetrator.get("per_RoleInProcess")))
    for event in record.events:
        add("hte_Type", _values(event.get("hte_Type")))
    answer = Answer(value=AnswerValue.YES, source=EvidenceSource.DOCUMENT)
    return {item: answer for item in sorted(set(found))}, _profile(record)


def screen_record(record: CaseRecord, instrument: str = "full", language: str | None = None) -> ScreeningResult:
    """Screen a case from what its record documents (see the module docstring for what that can and cannot say)."""
    answers, profile = answers_from_record(record)
    context = ScreeningContext.checked(setting="case record", language=language)
    return screen(instrument, answers, profile, context=context)
