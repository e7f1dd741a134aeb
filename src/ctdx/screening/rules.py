"""The screening rules: each with a stable id, a plain statement and its source, and the pure functions.

The rules are written as code rather than taken from a rules library because there are few of them, each
must cite its legal or methodological source, and the engine has to say exactly which one fired. Sources:

- Delphi dimension and combination rules: ILO/EC, *Operational indicators of trafficking in human beings*
  (2009, WCMS_105023, p. 3), as transcribed in domain.md 2.1 (unverified against the PDF).
- Child rule: Palermo Protocol Art. 3(c)-(d); age presumption: Council of Europe Convention (2005) Art. 10(3).
- Intent rule: Palermo Protocol Art. 3(a), "for the purpose of exploitation" (domain.md 1.1).
- Named-purpose rule: Palermo Protocol Art. 3(a) (sexual exploitation), 3(c); ILO C182 Art. 3(b) for children.
- Consent: Palermo Protocol Art. 3(b). Smuggling: Smuggling of Migrants Protocol Art. 3(a) (domain.md 1.2).
- Forced labour: 20th ICLS (2018) guidelines; operational "one involuntariness + one coercion" rule from
  ILO, *Hard to see, harder to count* (2012) (domain.md 2.3, unverified).
- Brief triage any-yes rule: RAFT (JACEP Open 2021) and QYIT (Chisolm-Straker et al. 2019) (domain.md 2.4).
- Journey any-yes rule: IOM DTM Flow Monitoring Survey; Galos et al., IOM (2017) (domain.md 2.5).
- Continuum classes: Skrivankova (2010), as ctdx output classes (domain.md 1.4).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

DELPHI_SOURCE = "ILO/EC Operational indicators of trafficking in human beings (2009, WCMS_105023, p. 3)"


@dataclass(frozen=True)
class Rule:
    """One rule the engine can fire."""

    id: str
    statement: str
    source: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "delphi.dimension_positive",
            "A dimension is positive when its 'yes' indicators include at least two strong; or one strong and "
            "one medium or weak; or three medium; or two medium and one weak.",
            DELPHI_SOURCE,
        ),
        Rule(
            "delphi.adult",
            "Adult: (deceptive, coercive or abusive recruitment) and exploitative conditions and "
            "(coercion or abuse of vulnerability at destination) are all positive.",
            DELPHI_SOURCE,
        ),
        Rule(
            "delphi.child",
            "Child: an act (recruitment, transport, transfer, harbouring or receipt) is recorded and "
            "exploitative conditions are positive; means are not required.",
            DELPHI_SOURCE + "; Palermo Protocol Art. 3(c)-(d)",
        ),
        Rule(
            "palermo.intent",
            "An act and the means of recruitment (or, for a child, an act alone) for an intended purpose of "
            "exploitation meet the test before any exploitation has happened.",
            "Palermo Protocol Art. 3(a) ('for the purpose of exploitation'), Art. 3(c)",
        ),
        Rule(
            "palermo.exploitation_purpose",
            "An act and a positive means dimension (or, for a child, an act alone) with a form of exploitation "
            "that the Protocol names itself (sexual exploitation) meet the test.",
            "Palermo Protocol Art. 3(a), 3(c); ILO Worst Forms of Child Labour Convention (C182) Art. 3(b)",
        ),
        Rule(
            "palermo.forced_labour",
            "An act and a positive means dimension (or, for a child, an act alone) with forced labour as the "
            "purpose meet the test.",
            "Palermo Protocol Art. 3(a) (forced labour is exploitation); 20th ICLS (2018) guidelines",
        ),
        Rule(
            "age.presumption",
            "Age unknown with signs of minority: the child rule applies, dimensions are scored with child and "
            "adult weights (the more protective kept), and the age must be verified.",
            "Council of Europe Convention on Action against Trafficking in Human Beings (2005) Art. 10(3)",
        ),
        Rule(
            "consent.irrelevant",
            "The person agreed at first, but means were used: consent does not cancel any means indicator.",
            "Palermo Protocol Art. 3(b)",
        ),
        Rule(
            "smuggling.separate",
            "Smuggling is recorded as its own fact, beside the trafficking indicators; it never lowers a result.",
            "Smuggling of Migrants Protocol (2000) Art. 3(a); Palermo Protocol Art. 3",
        ),
        Rule(
            "icls.forced_labour",
            "Forced labour: at least one sign of involuntary work and one sign of threat or menace of a penalty.",
            "20th ICLS (2018) Guidelines concerning the measurement of forced labour; ILO (2012) Hard to see, "
            "harder to count",
        ),
        Rule(
            "triage.any_yes",
            "Any 'yes' on the brief screen means: refer for a full assessment (a positive brief screen is not a "
            "finding; a negative one is informative).",
            "RAFT, JACEP Open 2021 (doi:10.1002/emp2.12558); QYIT, Children and Youth Services Review 98 (2019)",
        ),
        Rule(
            "journey.any_yes",
            "A 'yes' to at least one journey indicator counts as having met a trafficking or other exploitative "
            "practice on the journey: a prevalence indication, not identification.",
            "IOM DTM Flow Monitoring Survey; Galos, Bartolini, Cook and Grant, IOM (2017)",
        ),
        Rule(
            "continuum.exploitation",
            "Exploitative conditions are positive but the trafficking and forced-labour tests are not met.",
            "Skrivankova (2010), Between decent work and forced labour; ctdx continuum classes",
        ),
        Rule(
            "continuum.labour_rights_violation",
            "A breach of labour rights (pay, hours, contract, safety) is reported without reaching exploitation.",
            "Skrivankova (2010), Between decent work and forced labour; ctdx continuum classes",
        ),
    )
}


def dimension_clause(weights: Iterable[str]) -> str | None:
    """Which clause of the Delphi dimension rule the 'yes' weights satisfy (a-d), or None if none does.

    Weak indicators alone never make a dimension positive, nor do two medium alone (WCMS_105023 p. 3).
    """
    marks = list(weights)
    s, m, w = marks.count("S"), marks.count("M"), marks.count("W")
    if s >= 2:
        return "a: two strong"
    if s >= 1 and m + w >= 1:
        return "b: one strong and one medium or weak"
    if m >= 3:
        return "c: three medium"
    if m >= 2 and w >= 1:
        return "d: two medium and one weak"
    return None


def adult_rule(positive: dict[str, bool]) -> bool:
    """The Delphi adult combination rule: (D1 or D2 or D3) and D4 and (D5 or D6)."""
    return (
        (positive["D1"] or positive["D2"] or positive["D3"]) and positive["D4"] and (positive["D5"] or positive["D6"])
    )


def child_rule(act: bool, positive: dict[str, bool]) -> bool:
    """The Delphi child combination rule: an act is recorded and D4 is positive."""
    return act and positive["D4"]


def recruitment_means(positive: dict[str, bool]) -> bool:
    """A means-bearing recruitment dimension (D1, D2 or D3) is positive."""
    return positive["D1"] or positive["D2"] or positive["D3"]


def any_means(positive: dict[str, bool]) -> bool:
    """Any means-bearing dimension (D1, D2, D3, D5 or D6) is positive."""
    return recruitment_means(positive) or positive["D5"] or positive["D6"]
