"""A signed-in user's casework, scoped below every adapter: the web pages and the JSON API call only this.

Scope (``roles.yaml``): in its own organisation a role sees the cases it owns (``own``, ``cas_CaseOwner``
is its user name), the cases owned by its team (``team``), or every case (``organisation``). Cases referred
to the organisation and accepted are visible to every role that reads cases, as the store's repository
rules say (``ctdx.store.repositories``). A case outside the scope is ``NotFoundError``, exactly like a case
that does not exist. Every action first checks the permission, then the scope, then calls ``ctdx.casework``
or the store's ``CaseRepository``, which check the organisation again and write the audit log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from ctdx import casework
from ctdx.accounts.principal import Principal
from ctdx.accounts.tables import AccountProfile
from ctdx.casework import CaseView, CaseworkContext, ReferralState, ReferralView, TaskView
from ctdx.casework.access import add_note, find_case
from ctdx.casework.consent import Purpose
from ctdx.errors import NotFoundError, PermissionDenied, ValidationError
from ctdx.model import FieldValue
from ctdx.screening import TraffickingStatusDecision
from ctdx.screening.result import ScreeningResult
from ctdx.standard import load_standard
from ctdx.store import Store, audit
from ctdx.store.repositories import CaseRepository
from ctdx.store.tables import AuditEventRow, Case, Organisation, Referral, User, VictimContext
from ctdx.store.tables import ScreeningResult as ScreeningRow
from ctdx.store.values import split

MAX_PAGE = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int


@dataclass(frozen=True)
class CaseRow:
    """One line of a case list: codes and dates only."""

    id: uuid.UUID
    reference: str
    organisation: str
    status: str | None
    owner: str | None
    opened_date: dt.date | None
    referred_in: bool


@dataclass(frozen=True)
class StoredScreening:
    id: uuid.UUID
    instrument: str
    instrument_version: str
    created_at: dt.datetime
    headline: str
    explanation: tuple[str, ...]
    proposed_status: str | None


@dataclass(frozen=True)
class CasePage:
    case: CaseView
    trafficking_status: str | None
    screenings: tuple[StoredScreening, ...]
    timeline: tuple[tuple[str, str, str], ...]  # (ISO date, kind, what) oldest first


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str | None
    fields: tuple[str, ...]


def check_page(page: int, per_page: int) -> None:
    if page < 1 or not 1 <= per_page <= MAX_PAGE:
        raise ValidationError(f"page starts at 1 and per_page is 1 to {MAX_PAGE}", field="page")


class Workspace:
    """What one principal may see and do, inside one transaction of the store."""

    def __init__(self, session: Session, store: Store, principal: Principal) -> None:
        self.session = session
        self.principal = principal
        self.ctx = CaseworkContext(session, store.cipher, principal.actor)
        self.repo = CaseRepository(session, store.cipher, principal.actor)

    # -- scope -------------------------------------------------------------------------------------------
    def _team(self) -> list[str]:
        if self.principal.team is None:
            return [self.principal.username]
        return list(
            self.session.scalars(
                select(User.username)
                .join(AccountProfile, AccountProfile.user_id == User.id)
                .where(
                    User.organisation_id == self.principal.organisation_id, AccountProfile.team == self.principal.team
                )
            )
        )

    def _referred_in(self) -> ColumnElement[bool]:
        accepted = select(Referral.case_id).where(
            Referral.to_organisation_id == self.principal.organisation_id,
            Referral.kind == "referral",
            Referral.status == ReferralState.ACCEPTED.value,
        )
        return Case.id.in_(accepted)

    def _scope(self) -> ColumnElement[bool]:
        own_org = Case.organisation_id == self.principal.organisation_id
        scope = self.principal.role.scope
        if scope == "own":
            own_org = and_(own_org, Case.owner == self.principal.username)
        elif scope == "team":
            own_org = and_(own_org, Case.owner.in_(self._team()))
        return or_(own_org, self._referred_in())

    def _case(self, case_id: uuid.UUID) -> Case:
        self.principal.require("cases.read")
        case = self.session.scalars(select(Case).where(Case.id == case_id, self._scope())).one_or_none()
        if case is None:
            raise NotFoundError(f"no case {case_id}", case_id=str(case_id))
        return case

    # -- reads -------------------------------------------------------------------------------------------
    def list_cases(
        self, page: int = 1, per_page: int = 25, status: str | None = None, unassigned: bool = False
    ) -> Page:
        """The cases in scope, newest first, ``per_page`` at a time; ``status`` filters on ``cas_Status``;
        ``unassigned`` keeps the cases of the user's organisation that have no owner yet (imported ones)."""
        self.principal.require("cases.read")
        check_page(page, per_page)
        condition = self._scope()
        if status is not None:
            condition = and_(condition, Case.status == status)
        if unassigned:
            condition = and_(condition, Case.owner.is_(None), Case.organisation_id == self.principal.organisation_id)
        total = int(self.session.scalar(select(func.count()).select_from(Case).where(condition)) or 0)
        # Sort ids only, then load the page's rows: the sort then carries two columns, not the sealed blobs.
        ids = list(
            self.session.scalars(
                select(Case.id)
                .where(condition)
                .order_by(Case.created_at.desc(), Case.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )
        rows = self.session.execute(
            select(Case, Organisation.code)
            .join(Organisation, Organisation.id == Case.organisation_id)
            .where(Case.id.in_(ids))
            .order_by(Case.created_at.desc(), Case.id.desc())
        ).all()
        items = [
            CaseRow(
                c.id,
                c.reference,
                str(code),
                c.status,
                c.owner,
                c.opened_date,
                c.organisation_id != self.principal.organisation_id,
            )
            for c, code in rows
        ]
        return Page(items, total, page, per_page)

    def case_page(self, case_id: uuid.UUID) -> CasePage:
        case = self._case(case_id)
        view = casework.show_case(self.ctx, case.id)
        screenings = self.screenings(case.id)
        victim = self.repo.get(case.id).values.get("vic_TraffickingStatus")
        status = victim[0] if isinstance(victim, tuple) and victim else victim if isinstance(victim, str) else None
        timeline: list[tuple[str, str, str]] = []
        if view.opened_date is not None:
            timeline.append((view.opened_date.isoformat(), "opened", view.reference))
        timeline += [(c.decided_on.isoformat(), "consent", f"{c.purpose}: {c.status}") for c in view.consents]
        timeline += [
            (r.referred_at.date().isoformat(), r.kind.value, f"{r.from_organisation} → {r.to_organisation}: {r.state}")
            for r in view.referrals
        ]
        timeline += [(s.created_at.date().isoformat(), "screening", s.headline) for s in screenings]
        timeline += [(t.due.isoformat(), "task", f"{t.title} ({t.status})") for t in view.tasks]
        return CasePage(view, status, tuple(screenings), tuple(sorted(timeline)))

    def screenings(self, case_id: uuid.UUID) -> list[StoredScreening]:
        case = self._case(case_id)
        rows = self.session.scalars(
            select(ScreeningRow).where(ScreeningRow.case_id == case.id).order_by(ScreeningRow.created_at)
        )
        out = []
        for row in rows:
            result = row.result
            explanation = tuple(str(line) for line in result.get("explanation", ()))
            out.append(
                StoredScreening(
                    row.id,
                    row.instrument,
                    row.instrument_version,
                    row.created_at,
                    explanation[0] if explanation else row.instrument,
                    explanation,
                    result.get("proposed_status"),
                )
            )
        return out

    def identifying(self, case_id: uuid.UUID) -> dict[str, str]:
        """The case's identifying values as text, for roles with ``identifying.read``; the read is audited."""
        self.principal.require("identifying.read")
        case = self._case(case_id)
        record = self.repo.read_identifying(case.id)
        names = load_standard().identifying()
        return {k: _text(v) for k, v in sorted(record.values.items()) if k in names}

    def tasks_due(self, until: dt.date) -> list[TaskView]:
        self.principal.require("cases.read")
        visible = set(self.session.scalars(select(Case.id).where(self._scope())))
        return [t for t in casework.tasks_due(self.ctx, until) if t.case_id in visible]

    def incoming_referrals(self) -> list[ReferralView]:
        self.principal.require("referrals.decide")
        return casework.incoming_referrals(self.ctx)

    def referrals_of_case(self, case_id: uuid.UUID) -> list[ReferralView]:
        return casework.referrals_of_case(self.ctx, self._case(case_id).id)

    def audit_trail(self, page: int = 1, per_page: int = 50) -> Page:
        """Audit events of the organisation (every event for a system admin), newest first."""
        self.principal.require("audit.read")
        check_page(page, per_page)
        query = select(AuditEventRow)
        if not self.principal.allows("organisations.manage"):
            query = query.where(AuditEventRow.organisation_id == str(self.principal.organisation_id))
        total = int(self.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = self.session.scalars(
            query.order_by(AuditEventRow.seq.desc()).limit(per_page).offset((page - 1) * per_page)
        )
        items = [AuditLine(r.seq, r.at, r.actor, r.action, r.entity, r.entity_id, tuple(r.fields)) for r in rows]
        return Page(items, total, page, per_page)

    # -- writes ------------------------------------------------------------------------------------------
    def open_case(self, opened_on: dt.date, values: dict[str, FieldValue] | None = None) -> uuid.UUID:
        """Open a case owned by the principal (so that every scope sees it)."""
        self.principal.require("cases.write")
        case_id = casework.open_case(self.ctx, opened_on, values)
        casework.assign_case(self.ctx, case_id, self.principal.username)
        return case_id

    def store_screening(self, case_id: uuid.UUID, result: ScreeningResult) -> uuid.UUID:
        self.principal.require("cases.write")
        case = self._case(case_id)
        return self.repo.add_screening_result(
            case.id, result.instrument, result.versions.instrument_version, result.model_dump(mode="json")
        )

    def record_consent(
        self, case_id: uuid.UUID, purpose: str, *, granted: bool, decided_on: dt.date, recipient: str | None = None
    ) -> casework.ConsentRecord:
        self.principal.require("cases.write")
        try:
            chosen = Purpose(purpose)
        except ValueError:
            raise ValidationError(f"unknown consent purpose {purpose!r}", field="purpose") from None
        case = self._case(case_id)
        return casework.record_consent(
            self.ctx, case.id, chosen, granted=granted, decided_on=decided_on, recipient=recipient
        )

    def refer(
        self, case_id: uuid.UUID, to_organisation: str, service: str | None = None, reason: str | None = None
    ) -> ReferralView:
        self.principal.require("cases.write")
        case = self._case(case_id)
        return casework.refer(self.ctx, case.id, to_organisation, service=service, reason=reason)

    def assign(self, case_id: uuid.UUID, username: str) -> CaseView:
        """Give the case to ``username`` (a user of the organisation); a case worker cannot give cases away."""
        self.principal.require("cases.write")
        if self.principal.role.scope == "own":
            raise PermissionDenied(f"role {self.principal.role.name!r} may not assign cases")
        return casework.assign_case(self.ctx, self._case(case_id).id, username)

    def add_plan(self, case_id: uuid.UUID, plan_type: str, planned_end: dt.date | None = None) -> casework.PlanView:
        self.principal.require("cases.write")
        return casework.add_plan(self.ctx, self._case(case_id).id, plan_type, planned_end=planned_end)

    def decide_trafficking_status(self, case_id: uuid.UUID, decision: TraffickingStatusDecision) -> None:
        """Record the owning organisation's trafficking-status decision (``vic_TraffickingStatus``, the deciding
        organisation type and the definition applied, in clear; the basis sealed as a note), audited."""
        self.principal.require("cases.write")
        case = find_case(self.ctx, self._case(case_id).id)
        victim = self.session.scalars(select(VictimContext).where(VictimContext.case_id == case.id)).one_or_none()
        if victim is None:
            victim = VictimContext(id=uuid.uuid4(), case_id=case.id, values={})
            self.session.add(victim)
        values: dict[str, FieldValue] = {
            "vic_TraffickingStatus": decision.status.value,
            "vic_TraffickingStatusDecisionMakingOrg": decision.deciding_org_type.value,
            "ext_DefinitionApplied": decision.definition.value,
        }
        clear = split(values, f"case {case.reference}").clear
        victim.values = {**victim.values, **clear}
        victim.trafficking_status = decision.status.value
        note = add_note(self.ctx, case.id, "trafficking_status", None, decision.basis)
        self.ctx.audit(
            audit.UpdateEvent(
                actor=self.principal.actor,
                entity="case_file",
                entity_id=str(case.id),
                fields=tuple(values),
                detail={"decided_on": decision.decided_on.isoformat(), "note_id": str(note)},
            )
        )

    def decide_referral(self, referral_id: uuid.UUID, *, accept: bool, reason: str | None = None) -> ReferralView:
        self.principal.require("referrals.decide")
        target = ReferralState.ACCEPTED if accept else ReferralState.REJECTED
        return casework.move_referral(self.ctx, referral_id, target, reason)


def _text(value: FieldValue) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


@contextmanager
def workspace(store: Store, principal: Principal, *, read_only: bool = False) -> Iterator[Workspace]:
    """The principal's workspace in one transaction (committed when the block ends without error).

    ``read_only=True`` promises the block only reads (no audited decryption, no change): on SQLite it then
    runs beside a writer instead of queueing for the write lock.
    """
    with store.transaction(read_only=read_only) as session:
        yield Workspace(session, store, principal)
