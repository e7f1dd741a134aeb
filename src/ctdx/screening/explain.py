"""Plain-language explanation of a screening result for the case worker, in English, French or Spanish.

The wording is data (``data/explanations.yaml``) and follows domain.md 2.1 and 3: "indicators of trafficking
present - refer", never "victim"; every fired rule is named with its source and the answers that made it
fire. The language is the interview's (``ScreeningContext.language``), English when none was recorded.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ctdx.errors import ConfigError
from ctdx.screening.bank import LANGUAGES
from ctdx.screening.rules import RULES

if TYPE_CHECKING:
    from ctdx.screening.result import ScreeningResult

Texts = dict[str, dict[str, str]]
MEANS_DIMENSIONS = frozenset({"D1", "D2", "D3", "D5", "D6"})


class Wording(BaseModel):
    """Every text of an explanation, keyed by what it says, then by language."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    headlines: Texts
    rules: Texts
    dimensions: Texts
    clauses: Texts
    words: Texts
    findings: Texts
    phrases: Texts

    def text(self, section: str, key: str, language: str) -> str:
        texts: Texts = getattr(self, section)
        return texts[key][language]


def _problems(wording: Wording) -> list[str]:
    problems = []
    for section in ("headlines", "dimensions", "clauses", "words", "findings", "phrases"):
        for key, texts in getattr(wording, section).items():
            problems += [f"{section}.{key}: no {lang} text" for lang in LANGUAGES if not texts.get(lang)]
    if set(wording.rules) != set(RULES):
        problems.append(f"rules: the translated rules {sorted(wording.rules)} are not the rules {sorted(RULES)}")
    for key, texts in wording.rules.items():
        problems += [f"rules.{key}: no {lang} text" for lang in LANGUAGES if lang != "en" and not texts.get(lang)]
    return problems


def build_wording(raw: Any) -> Wording:
    """Checked wording; ConfigError naming every missing text."""
    try:
        wording = Wording.model_validate(raw)
    except PydanticValidationError as exc:
        raise ConfigError(f"the explanation wording is malformed: {exc}") from exc
    problems = _problems(wording)
    if problems:
        raise ConfigError(f"the explanation wording has {len(problems)} problem(s): " + "; ".join(problems))
    return wording


@cache
def load_wording() -> Wording:
    """The wording shipped with this package."""
    text = resources.files("ctdx.screening").joinpath("data", "explanations.yaml").read_text(encoding="utf-8")
    return build_wording(yaml.safe_load(text))


def _headline(result: ScreeningResult) -> str:
    headline = result.continuum_class.value
    if headline != "no_indication":
        return headline
    if any(d.positive and d.dimension in MEANS_DIMENSIONS for d in result.dimensions):
        return "coercion"
    if result.triage.refer_for_full_assessment:
        return "triage_positive"
    if result.journey.indicated:
        return "journey_indicators"
    return headline


def explain(result: ScreeningResult) -> tuple[str, ...]:
    """The result as short sentences in the interview's language, most important first."""
    w = load_wording()
    lang = result.context.language or "en"

    def phrase(key: str, **values: object) -> str:
        return w.text("phrases", key, lang).format(**values)

    def word(key: str) -> str:
        return w.text("words", key, lang)

    lines = [w.text("headlines", _headline(result), lang)]
    unverified = "" if result.versions.weights_verified else phrase("unverified")
    lines.append(
        phrase(
            "rule_applied",
            rule=word(result.rule_applied),
            tables=", ".join(result.weight_tables),
            unverified=unverified,
        )
    )
    if result.age_to_verify:
        lines.append(phrase("age_to_verify"))
    stated: set[str] = set()
    for fired in result.fired_rules:
        if fired.rule not in stated:
            stated.add(fired.rule)
            statement = fired.statement if lang == "en" else w.rules[fired.rule][lang]
            lines.append(f"[{fired.rule}] {statement} " + phrase("source", source=fired.source))
        lines.append(phrase("because", evidence=", ".join(fired.evidence)))
    for dim in result.dimensions:
        name = w.text("dimensions", dim.dimension, lang)
        if dim.positive and dim.clause:
            letter = dim.clause[0]
            clause = phrase(
                "clause", letter=letter, text=w.text("clauses", letter, lang), table=dim.clause.split(" ")[-1]
            )
            lines.append(
                phrase(
                    "dimension_positive",
                    dimension=dim.dimension,
                    name=name,
                    clause=clause,
                    items=", ".join(dim.yes_items),
                )
            )
        elif dim.asked_items:
            missing = phrase("dimension_missing", missing=len(dim.missing_items), asked=dim.asked_items)
            lines.append(
                phrase(
                    "dimension_negative",
                    dimension=dim.dimension,
                    name=name,
                    missing=missing if dim.missing_items else "",
                )
            )
    for element in result.legal_elements:
        support = f" ({', '.join(element.supporting)})" if element.supporting else ""
        lines.append(phrase("element", element=word(element.element), status=word(element.status), support=support))
    if result.smuggling_facts:
        lines.append(phrase("smuggling", items=", ".join(result.smuggling_facts)))
    if result.would_change:
        lines.append(phrase("would_change"))
        lines += [f"  {change.item}: {'; '.join(change.changes)}" for change in result.would_change]
    if result.suggested_referrals:
        lines.append(phrase("services"))
        separator = phrase("separator")
        lines += [
            phrase("service_line", name=r.name, reasons=separator.join(r.because)) for r in result.suggested_referrals
        ]
    lines.append(phrase("disclaimer"))
    return tuple(lines)
