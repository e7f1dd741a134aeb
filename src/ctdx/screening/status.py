"""The HTCDS trafficking status as a decision a named organisation takes; the screening engine never sets it.

HTCDS ``vic_TraffickingStatus`` (possible / actual / not a victim) needs a decision by an organisation type
(``vic_TraffickingStatusDecisionMakingOrg``), on a date, with a basis (domain.md 3, invariants). A screening
result may *propose* ``PossibleVictimOfTrafficking``; only this record states a status.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class TraffickingStatus(StrEnum):
    """HTCDS 2.0 ``vic_TraffickingStatus`` values."""

    POSSIBLE = "PossibleVictimOfTrafficking"
    ACTUAL = "ActualVictimOfTrafficking"
    NOT_A_VICTIM = "NotAVictimOfTrafficking"


class DecidingOrganisationType(StrEnum):
    """HTCDS 2.0 ``vic_TraffickingStatusDecisionMakingOrg`` values."""

    POLICE = "Police"
    NGO = "NGO"
    COURT_OR_PROSECUTION = "CourtOrProsecution"
    NON_POLICE_GOVERNMENTAL = "NonPoliceGovernmentalOrganization"
    OTHER = "Other"


class LegalDefinition(StrEnum):
    """The definition the decision applies (extension ``ext_DefinitionApplied``)."""

    PALERMO = "Palermo"
    TVPA = "TVPA"
    NATIONAL = "National"


class TraffickingStatusDecision(BaseModel):
    """A trafficking-status decision: who decided (organisation type), when, on what basis and definition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: TraffickingStatus
    deciding_org_type: DecidingOrganisationType
    decided_on: dt.date
    basis: Annotated[str, Field(min_length=3, max_length=500)]
    definition: LegalDefinition = LegalDefinition.PALERMO
    screening_result_ref: Annotated[str | None, Field(max_length=200)] = None
