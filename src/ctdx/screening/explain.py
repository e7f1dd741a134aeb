"""Plain-language explanation of a screening result, for the case worker (English).

The wording follows domain.md 2.1 and 3: "indicators of trafficking present - refer", never "victim";
every fired rule is named with its source and the answers that made it fire.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctdx.screening.result import ScreeningResult

HEADLINES: dict[str, str] = {
    "trafficking_indicated": "Indicators of trafficking are present: refer to the national referral mechanism or "
    "the competent authority.",
    "forced_labour": "Indicators of forced labour are present (involuntary work under threat of a penalty); the "
    "trafficking test is not met on these answers.",
    "exploitation": "Exploitative conditions of work are present; the trafficking and forced-labour tests are not "
    "met on these answers.",
    "labour_rights_violation": "A breach of labour rights is reported, below the level of exploitation.",
    "no_indication": "No indication of trafficking, forced labour or exploitation in the answers given.",
    "coercion": "Indicators of coercion or abuse of vulnerability are present, but the answers do not establish "
    "exploitation: complete the assessment.",
    "triage_positive": "The brief screen is positive: refer for a full assessment (a positive brief screen is a "
    "reason to look further, not a finding).",
    "journey_indicators": "Exploitative practices were met on the journey: refer for a full assessment.",
}

DISCLAIMER = (
    "This is an identification aid, not a determination. A trafficking status is decided separately by a "
    "competent organisation, with a date and a basis."
)


def explain(result: ScreeningResult) -> tuple[str, ...]:
    """The result as short sentences, most important first."""
    headline = result.continuum_class.value
    means_dimensions = {"D1", "D2", "D3", "D5", "D6"}
    if headline == "no_indication" and any(d.positive and d.dimension in means_dimensions for d in result.dimensions):
        headline = "coercion"
    elif headline == "no_indication" and result.triage.refer_for_full_assessment:
        headline = "triage_positive"
    elif headline == "no_indication" and result.journey.indicated:
        headline = "journey_indicators"
    lines = [HEADLINES[headline]]
    rule = f"Rule applied: {result.rule_applied} ({', '.join(result.weight_tables)} weights"
    rule += ", unverified transcription)." if not result.versions.weights_verified else ")."
    lines.append(rule)
    if result.age_to_verify:
        lines.append("Age unknown with signs of minority: the child rule is applied. Verify the age.")
    stated: set[str] = set()
    for fired in result.fired_rules:
        if fired.rule not in stated:
            stated.add(fired.rule)
            lines.append(f"[{fired.rule}] {fired.statement} Source: {fired.source}.")
        lines.append(f"  because of: {', '.join(fired.evidence)}")
    for dim in result.dimensions:
        if dim.positive:
            lines.append(f"{dim.dimension} {dim.name}: positive, clause {dim.clause}; yes: {', '.join(dim.yes_items)}.")
        elif dim.asked_items:
            missing = f"; {len(dim.missing_items)} of {dim.asked_items} items not answered" if dim.missing_items else ""
            lines.append(f"{dim.dimension} {dim.name}: not positive{missing}.")
    for element in result.legal_elements:
        support = f" ({', '.join(element.supporting)})" if element.supporting else ""
        lines.append(f"Palermo element {element.element}: {element.status}{support}.")
    if result.smuggling_facts:
        lines.append(
            f"Smuggling reported ({', '.join(result.smuggling_facts)}): recorded beside, never instead of, the "
            "trafficking indicators."
        )
    if result.would_change:
        lines.append("Not yet answered, and a 'yes' would change the result:")
        lines += [f"  {w.item}: {'; '.join(w.changes)}" for w in result.would_change]
    if result.suggested_referrals:
        lines.append("Services to offer (with the person's consent):")
        lines += [f"  {r.name} - because {'; '.join(r.because)}" for r in result.suggested_referrals]
    lines.append(DISCLAIMER)
    return tuple(lines)
