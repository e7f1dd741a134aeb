"""The screening result: a JSON-serialisable report naming the versions that produced it.

A result never says a person *is* a victim. It may propose the HTCDS status ``PossibleVictimOfTrafficking``
for a human to consider; the trafficking status itself is a separate decision (``ctdx.screening.status``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ctdx.screening.answers import Answer, Profile, ScreeningContext

ElementStatus = Literal["present", "absent", "unknown"]


class ContinuumClass(StrEnum):
    """Where the answers place the situation on the labour-exploitation continuum (domain.md 1.4), lowest first."""

    NO_INDICATION = "no_indication"
    LABOUR_RIGHTS_VIOLATION = "labour_rights_violation"
    EXPLOITATION = "exploitation"
    FORCED_LABOUR = "forced_labour"
    TRAFFICKING_INDICATED = "trafficking_indicated"

    @property
    def rank(self) -> int:
        return list(ContinuumClass).index(self)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Versions(_Frozen):
    """The versions a stored result was produced with; re-scoring under others is an explicit action."""

    engine: str
    bank: str
    weights: str
    weights_verified: bool
    instrument: str
    instrument_version: str
    referral_catalogue: str


class IndicatorHit(_Frozen):
    """One item answered "yes"."""

    item: str
    source: str
    evidence: str
    elements: tuple[str, ...]
    dimension: str | None
    weights: dict[str, str]
    ilo11: tuple[int, ...]
    icls: str | None


class DimensionOutcome(_Frozen):
    """One Delphi dimension: positive or not, why, and what is missing."""

    dimension: str
    name: str
    positive: bool
    clause: str | None
    positive_under: tuple[str, ...]
    yes_items: tuple[str, ...]
    missing_items: tuple[str, ...]
    asked_items: int


class ElementFinding(_Frozen):
    """One Palermo element (act, means, purpose)."""

    element: Literal["act", "means", "purpose"]
    status: ElementStatus
    supporting: tuple[str, ...]


class TriageOutcome(_Frozen):
    refer_for_full_assessment: bool
    yes_items: tuple[str, ...]


class ForcedLabourOutcome(_Frozen):
    """ICLS 2018: involuntary work and threat of penalty, with the reference period given."""

    positive: bool
    involuntariness: tuple[str, ...]
    threat_of_penalty: tuple[str, ...]
    reference_period: str | None


class JourneyOutcome(_Frozen):
    indicated: bool
    yes_items: tuple[str, ...]
    violence_on_journey: bool
    family_member_affected: bool


class FiredRule(_Frozen):
    """A rule that fired, with its source and the items or dimensions that made it fire."""

    rule: str
    statement: str
    source: str
    evidence: tuple[str, ...]


class WouldChange(_Frozen):
    """An unanswered item of the instrument whose "yes" would change the result, and how."""

    item: str
    changes: tuple[str, ...]


class SuggestedReferral(_Frozen):
    """A service to offer; referring is a casework action gated by consent."""

    service: str
    name: str
    because: tuple[str, ...]
    spl_type: str | None
    primero: str | None


class ScreeningResult(_Frozen):
    """Everything the engine concluded from one set of answers."""

    versions: Versions
    instrument: str
    legal_test: Literal["Palermo"]
    profile: Profile
    context: ScreeningContext
    rule_applied: Literal["adult", "child"]
    weight_tables: tuple[str, ...]
    age_to_verify: bool
    triage: TriageOutcome
    dimensions: tuple[DimensionOutcome, ...]
    delphi_indicated: bool
    legal_elements: tuple[ElementFinding, ...]
    forced_labour: ForcedLabourOutcome
    journey: JourneyOutcome
    continuum_class: ContinuumClass
    trafficking_indicated: bool
    fired_rules: tuple[FiredRule, ...]
    indicators: tuple[IndicatorHit, ...]
    would_change: tuple[WouldChange, ...]
    suggested_referrals: tuple[SuggestedReferral, ...]
    smuggling_facts: tuple[str, ...]
    consent_recorded: bool
    htcds_values: dict[str, tuple[str, ...]]
    proposed_status: Literal["PossibleVictimOfTrafficking"] | None
    answers: dict[str, Answer]
    explanation: tuple[str, ...]

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def dimension(self, dimension: str) -> DimensionOutcome:
        return next(d for d in self.dimensions if d.dimension == dimension)

    def element(self, element: str) -> ElementFinding:
        return next(e for e in self.legal_elements if e.element == element)

    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule for r in self.fired_rules)
