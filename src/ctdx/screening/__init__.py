"""Screening: the indicator bank (EN/FR/ES), instruments, the rule engine, explanations and interviews.

``screen(instrument, answers, profile)`` returns a ``ScreeningResult``; it never sets a trafficking status
(``TraffickingStatusDecision`` records that separately). ``Interview`` runs the questions of an instrument
one by one and can be saved and resumed; ``screen_record`` screens a case from what its HTCDS record documents.
"""

from ctdx.screening.answers import (
    AgeGroup,
    Answer,
    AnswerValue,
    EvidenceSource,
    ExploitationKind,
    Profile,
    ScreeningContext,
)
from ctdx.screening.bank import LANGUAGES, Bank, Instrument, Item, load_bank
from ctdx.screening.engine import ENGINE_VERSION, rescore, screen
from ctdx.screening.interview import Interview
from ctdx.screening.records import answers_from_record, screen_record
from ctdx.screening.referrals import ReferralCatalogue, load_referral_catalogue
from ctdx.screening.result import ContinuumClass, ScreeningResult
from ctdx.screening.rules import RULES
from ctdx.screening.status import (
    DecidingOrganisationType,
    LegalDefinition,
    TraffickingStatus,
    TraffickingStatusDecision,
)

__all__ = [
    "ENGINE_VERSION",
    "LANGUAGES",
    "RULES",
    "AgeGroup",
    "Answer",
    "AnswerValue",
    "Bank",
    "ContinuumClass",
    "DecidingOrganisationType",
    "EvidenceSource",
    "ExploitationKind",
    "Instrument",
    "Interview",
    "Item",
    "LegalDefinition",
    "Profile",
    "ReferralCatalogue",
    "ScreeningContext",
    "ScreeningResult",
    "TraffickingStatus",
    "TraffickingStatusDecision",
    "answers_from_record",
    "load_bank",
    "load_referral_catalogue",
    "rescore",
    "screen",
    "screen_record",
]
