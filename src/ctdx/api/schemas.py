"""The API's request and response bodies (pydantic), so that the OpenAPI document describes every answer.

Every success is ``{"data": ..., "meta": {...}}``; lists carry ``meta.page``, ``meta.per_page``, ``meta.total``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

T = TypeVar("T")


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; the store writes UTC, so say so (RFC 3339 needs an offset)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


UtcDatetime = Annotated[dt.datetime, AfterValidator(_utc)]


class Meta(BaseModel):
    page: int | None = None
    per_page: int | None = None
    total: int | None = None


class Envelope(BaseModel, Generic[T]):
    data: T
    meta: Meta = Meta()


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(max_length=20)


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    scopes: list[str]
    created_at: UtcDatetime
    revoked: bool
    secret: str | None = None


class MeOut(BaseModel):
    username: str
    display_name: str
    organisation: str
    role: str
    scope: str
    team: str | None
    language: str
    permissions: list[str]


class CaseRowOut(BaseModel):
    id: uuid.UUID
    reference: str
    organisation: str
    status: str | None
    owner: str | None
    opened_date: dt.date | None
    referred_in: bool


class NewCase(Strict):
    opened_on: dt.date


class ReferralOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    kind: str
    state: str
    from_organisation: str
    to_organisation: str
    service: str | None
    reason: str | None
    referred_at: UtcDatetime


class ConsentOut(BaseModel):
    id: uuid.UUID
    purpose: str
    status: str
    recipient: str | None
    decided_on: dt.date
    expires_on: dt.date | None


class PlanOut(BaseModel):
    id: uuid.UUID
    plan_type: str | None
    planned_end: str | None
    actual_end: str | None


class TaskOut(BaseModel):
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    title: str
    due: dt.date
    status: str


class ScreeningOut(BaseModel):
    id: uuid.UUID
    instrument: str
    instrument_version: str
    created_at: UtcDatetime
    headline: str
    explanation: list[str]
    proposed_status: str | None


class TimelineEntry(BaseModel):
    date: str
    kind: str
    what: str


class CaseOut(BaseModel):
    id: uuid.UUID
    reference: str
    organisation: str
    status: str | None
    owner: str | None
    opened_date: dt.date | None
    owned: bool
    trafficking_status: str | None
    referrals: list[ReferralOut]
    consents: list[ConsentOut]
    plans: list[PlanOut]
    tasks: list[TaskOut]
    screenings: list[ScreeningOut]
    timeline: list[TimelineEntry]


class NewConsent(Strict):
    purpose: Literal["interview", "referral", "data_sharing", "research"]
    granted: bool
    decided_on: dt.date
    recipient: str | None = Field(default=None, max_length=64)


class NewReferral(Strict):
    to_organisation: str = Field(min_length=1, max_length=64)
    service: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=60)


class Decision(Strict):
    reason: str | None = Field(default=None, max_length=2000)


class NewScreening(Strict):
    instrument: str = Field(min_length=1, max_length=40)
    language: Literal["en", "fr", "es"] = "en"
    answers: dict[str, Literal["yes", "no", "unknown", "declined"]] = Field(max_length=200)


class UserOut(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    organisation: str
    role: str
    team: str | None
    language: str
    active: bool


class NewUserIn(Strict):
    organisation: str = Field(min_length=1, max_length=64)
    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(min_length=1, max_length=300)
    role: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=256)
    team: str | None = Field(default=None, max_length=100)
    language: Literal["en", "fr", "es"] = "en"


class OrganisationOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    org_type: str | None
    country: str | None


class NewOrganisation(Strict):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    name: str = Field(min_length=1, max_length=300)


class AuditOut(BaseModel):
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    fields: list[str]


class ImportOut(BaseModel):
    upload_id: str
    dry_run: bool
    rows_read: int
    rows_valid: int
    rows_refused: int
    created: int
    updated: int
    issues: list[dict[str, str | int | None]]
    unknown_columns: list[str] = Field(description="Columns whose values are not imported (choose their fields)")
    columns: dict[str, str | None] = Field(description="Columns read as the chosen standard fields (null: skipped)")


class ColumnChoice(Strict):
    columns: dict[str, str | None] = Field(
        max_length=500, description="Column of the file -> standard field name, or null to leave it out"
    )


class StatsOut(BaseModel):
    total: int
    by_exploitation_type: dict[str, int]


class NewDecision(Strict):
    status: Literal["PossibleVictimOfTrafficking", "ActualVictimOfTrafficking", "NotAVictimOfTrafficking"]
    deciding_org_type: Literal["Police", "NGO", "CourtOrProsecution", "NonPoliceGovernmentalOrganization", "Other"]
    decided_on: dt.date
    basis: str = Field(min_length=3, max_length=500)
    definition: Literal["Palermo", "TVPA", "National"] = "Palermo"


class NewPlan(Strict):
    plan_type: str = Field(min_length=1, max_length=60)
    planned_end: dt.date | None = None


class Assignment(Strict):
    username: str = Field(min_length=1, max_length=150)
