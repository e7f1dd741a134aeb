"""The tables of the case store (SQLAlchemy 2, typed ``Mapped`` columns), one class per table.

Every table that holds HTCDS values keeps them in two places: ``values`` (JSON) for the non-identifying
ones, in clear so that they can be counted and published, and ``sealed`` (one AES-GCM blob, ``key_id``
naming the key) for the identifying ones. Which is which comes from the standard
(``load_standard().field(name).identifying``), never from a list here. Typed columns beside the JSON
repeat the few values that queries filter or group on (status, trafficking status, countries, dates).

The HTCDS case table is called ``case_file`` because ``case`` is a reserved word in SQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[str]: JSON, uuid.UUID: Uuid}


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _case_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)


class StoreMeta(Base):
    """Facts about this database: the active key id and each key's check value (``kcv:<key id>``)."""

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[uuid.UUID] = _id()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    org_type: Mapped[str | None] = mapped_column(String(64))  # HTCDS org_Type
    country: Mapped[str | None] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who uses ctdx (a case worker, an administrator); never a person in a case."""

    __tablename__ = "app_user"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SealedValues:
    """Mixin: non-identifying values in clear, identifying ones sealed in one blob."""

    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(40))


class Person(SealedValues, Base):
    """A victim or possible victim (``prs_`` fields); blind indexes allow exact lookups without decrypting."""

    __tablename__ = "person"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    gender: Mapped[str | None] = mapped_column(String(40))
    citizenship: Mapped[str | None] = mapped_column(String(2))  # the first prs_Citizenship value
    name_index: Mapped[str | None] = mapped_column(String(32), index=True)
    birth_date_index: Mapped[str | None] = mapped_column(String(32), index=True)
    identity_number_index: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImportBatch(Base):
    __tablename__ = "import_batch"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    label: Mapped[str] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)


class Case(SealedValues, Base):
    """One case of one person (``cas_``, ``cco_``, ``con_`` and case-level ``ext_`` fields)."""

    __tablename__ = "case_file"
    __table_args__ = (
        UniqueConstraint("organisation_id", "source_system", "source_record_id", name="uq_case_file_source"),
        UniqueConstraint("organisation_id", "reference", name="uq_case_file_reference"),
    )
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(40))  # HTCDS cas_Status
    owner: Mapped[str | None] = mapped_column(String(200))  # HTCDS cas_CaseOwner
    opened_date: Mapped[dt.date | None] = mapped_column(Date)  # ext_CaseOpenedDate
    source_system: Mapped[str | None] = mapped_column(String(200))
    source_record_id: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    import_batch_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("import_batch.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VictimContext(SealedValues, Base):
    """The ``vic_`` and victim-level ``ext_`` values of a case."""

    __tablename__ = "victim_context"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), unique=True)
    trafficking_status: Mapped[str | None] = mapped_column(String(60))
    country_of_exploitation: Mapped[str | None] = mapped_column(String(2))
    age_when_trafficked: Mapped[int | None] = mapped_column(Integer)


class VictimExploitation(Base):
    """One ``vic_TypeOfExploitation`` value of a case, as a row so that counts need no JSON functions."""

    __tablename__ = "victim_exploitation"
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), primary_key=True)
    exploitation_type: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class Perpetrator(SealedValues, Base):
    __tablename__ = "perpetrator"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = _case_fk()
    position: Mapped[int] = mapped_column(Integer)


class TraffickingEvent(SealedValues, Base):
    """A historic trafficking event (``hte_``): recruitment, transit or exploitation."""

    __tablename__ = "trafficking_event"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = _case_fk()
    position: Mapped[int] = mapped_column(Integer)
    event_type: Mapped[str | None] = mapped_column(String(40))
    event_date: Mapped[dt.date | None] = mapped_column(Date)
    country: Mapped[str | None] = mapped_column(String(2))


class SupportPlan(SealedValues, Base):
    __tablename__ = "support_plan"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = _case_fk()
    position: Mapped[int] = mapped_column(Integer)
    plan_type: Mapped[str | None] = mapped_column(String(60))


class Referral(Base):
    """A referral (services elsewhere) or transfer (the case moves) of a case to another organisation."""

    __tablename__ = "referral"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = _case_fk()
    kind: Mapped[str] = mapped_column(String(20))  # referral | transfer
    from_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"))
    to_organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # pending | accepted | declined | withdrawn
    reason: Mapped[str | None] = mapped_column(String(60))  # HTCDS cas_ReasonForOutgoingReferral
    referred_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))


class Consent(Base):
    """A consent decision for one purpose (interview, referral, data_sharing, research)."""

    __tablename__ = "consent"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = _case_fk()
    purpose: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20))  # granted | withdrawn
    decided_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ScreeningResult(Base):
    __tablename__ = "screening_result"
    id: Mapped[uuid.UUID] = _id()
    case_id: Mapped[uuid.UUID] = _case_fk()
    instrument: Mapped[str] = mapped_column(String(100))
    instrument_version: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEventRow(Base):
    """One link of the hash chain; see ``ctdx.store.audit``. Rows are only ever inserted."""

    __tablename__ = "audit_event"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(100))
    fields: Mapped[list[str]] = mapped_column(default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain head (one row): locked while appending, and compared with the last event on verify."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


Index("ix_referral_case_status", Referral.case_id, Referral.to_organisation_id, Referral.status)
Index("ix_consent_case_purpose", Consent.case_id, Consent.purpose)
Index("ix_case_file_org_created", Case.organisation_id, Case.created_at, Case.id)
Index("ix_case_file_org_owner_created", Case.organisation_id, Case.owner, Case.created_at)
Index("ix_referral_receiver", Referral.to_organisation_id, Referral.kind, Referral.status)

__all__ = [
    "AuditEventRow",
    "AuditHead",
    "Base",
    "Case",
    "Consent",
    "ImportBatch",
    "Organisation",
    "Perpetrator",
    "Person",
    "Referral",
    "ScreeningResult",
    "StoreMeta",
    "SupportPlan",
    "TraffickingEvent",
    "User",
    "VictimContext",
    "VictimExploitation",
]
