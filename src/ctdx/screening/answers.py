"""What the engine is given: answers with their evidence source, and the profile of the person screened.

An answer is one of five states (domain.md 3): only ``yes`` is evidence; ``unknown``, ``declined`` and
``not_asked`` never count as "yes" and are reported as missing evidence. ``no`` is a real answer.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from ctdx.errors import ValidationError
from ctdx.standard import load_standard


class AnswerValue(StrEnum):
    """The state of one answer."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"
    DECLINED = "declined"
    NOT_ASKED = "not_asked"


UNANSWERED = frozenset({AnswerValue.UNKNOWN, AnswerValue.DECLINED, AnswerValue.NOT_ASKED})


class EvidenceSource(StrEnum):
    """Where the answer comes from."""

    SELF_REPORT = "self_report"
    OBSERVATION = "observation"
    DOCUMENT = "document"
    THIRD_PARTY = "third_party"


class Answer(BaseModel):
    """One answer to one bank item."""

    model_config = ConfigDict(frozen=True)

    value: AnswerValue
    source: EvidenceSource = EvidenceSource.SELF_REPORT
    recorded_at: dt.datetime | None = None


class AgeGroup(StrEnum):
    """Age of the person at the time of the act (domain.md 1.1: the age that matters is age at the act)."""

    ADULT = "adult"
    CHILD = "child"
    UNKNOWN = "unknown"


class ExploitationKind(StrEnum):
    """Which Delphi lists apply; ``unknown`` scores both and keeps the more protective reading."""

    LABOUR = "labour"
    SEXUAL = "sexual"
    UNKNOWN = "unknown"


class Profile(BaseModel):
    """The person screened, as far as the choice of rule and weight table needs it."""

    model_config = ConfigDict(frozen=True)

    age_group: AgeGroup = AgeGroup.UNKNOWN
    exploitation: ExploitationKind = ExploitationKind.UNKNOWN

    @classmethod
    def from_age(cls, age_at_act: int | None, exploitation: ExploitationKind = ExploitationKind.UNKNOWN) -> Profile:
        """The profile for an age at the time of the act (HTCDS ``vic_AgeWhenTrafficked``); None is unknown.

        Under 18 is a child (Palermo Protocol Art. 3(d)).
        """
        if age_at_act is None:
            return cls(age_group=AgeGroup.UNKNOWN, exploitation=exploitation)
        if age_at_act < 0 or age_at_act > 130:
            raise ValidationError("the age at the time of the act must be between 0 and 130", field="age_at_act")
        return cls(age_group=AgeGroup.CHILD if age_at_act < 18 else AgeGroup.ADULT, exploitation=exploitation)


class ScreeningContext(BaseModel):
    """How and where the screening happened (HTCDS issue #3); stored with the result, never scored.

    ``interviewer`` is the account or staff code of who recorded the answers, never a person's name;
    ``identified_by_org_type`` is an HTCDS ``org_Type`` value.
    """

    model_config = ConfigDict(frozen=True)

    setting: Annotated[str | None, Field(max_length=200)] = None
    reference_period: Annotated[str | None, Field(max_length=200)] = None
    language: Literal["en", "fr", "es"] | None = None
    interpreter_used: bool | None = None
    identified_by_org_type: Annotated[str | None, Field(max_length=100)] = None
    interviewer: Annotated[str | None, Field(max_length=200)] = None

    @classmethod
    def checked(cls, **values: object) -> ScreeningContext:
        """A context from loose values (CLI options, form fields); ValidationError naming each bad field."""
        try:
            return cls.model_validate(values)
        except PydanticValidationError as exc:
            problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
            raise ValidationError("; ".join(problems), problems=problems) from None

    @field_validator("identified_by_org_type")
    @classmethod
    def _org_type(cls, value: str | None) -> str | None:
        allowed = load_standard().field("org_Type").value_names
        if value is not None and value not in allowed:
            raise ValueError(f"not an HTCDS org_Type (expected one of {', '.join(allowed)})")
        return value
