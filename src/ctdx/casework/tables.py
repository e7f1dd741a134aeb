"""The store tables casework adds beside the store's own (migration ``0002`` in ``ctdx/store/migrations``).

They sit on the store's declarative ``Base`` so that foreign keys to ``case_file``, ``referral`` and
``consent`` resolve in one metadata:

- ``casework_task``: a task with its deadline, naming the jurisdiction pack and version that set it;
- ``casework_note``: a free-text reason (closing, reopening, rejecting, revoking, overriding consent),
  sealed like every identifying value, because a reason written about a person may identify them;
- ``consent_scope``: what the store's ``consent`` row does not hold: the recipient, who gave it, the
  child's assent and the expiry date (domain.md section 5.3);
- ``referral_detail``: the service a referral is for (an id of the referral-service catalogue).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ctdx.store.tables import Base, utcnow


class CaseworkTask(Base):
    """A task with a deadline, started by a milestone of a jurisdiction pack."""

    __tablename__ = "casework_task"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisation.id"), index=True)
    pack_id: Mapped[str] = mapped_column(String(40))
    pack_version: Mapped[str] = mapped_column(String(40))
    template_id: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    event: Mapped[str] = mapped_column(String(60))
    event_date: Mapped[dt.date] = mapped_column(Date)
    due: Mapped[dt.date] = mapped_column(Date, index=True)
    offset: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))
    verified: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(10))  # open | done
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_by: Mapped[str | None] = mapped_column(String(200))
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CaseworkNote(Base):
    """A sealed free-text reason for a casework action; ``subject_id`` names the referral, consent or task."""

    __tablename__ = "casework_note"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case_file.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(36))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ConsentScope(Base):
    """Recipient, giver, child assent and expiry of one ``consent`` row (``recipient`` NULL = any recipient)."""

    __tablename__ = "consent_scope"
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id", ondelete="CASCADE"), primary_key=True)
    recipient: Mapped[str | None] = mapped_column(String(64))
    given_by: Mapped[str | None] = mapped_column(String(20))
    child_assent: Mapped[bool | None] = mapped_column(Boolean)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)


class ReferralDetail(Base):
    """The catalogue service a referral is for, and the time and actor of its last move."""

    __tablename__ = "referral_detail"
    referral_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("referral.id", ondelete="CASCADE"), primary_key=True)
    service: Mapped[str | None] = mapped_column(String(60))
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


__all__ = ["CaseworkNote", "CaseworkTask", "ConsentScope", "ReferralDetail"]
