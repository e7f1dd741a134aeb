"""Cases kept in the store: open, show, assign, change status, add support plans.

Opening goes through the store's ``CaseRepository.create_case`` (organisation-scoped, audited); the rest
changes the case row the same way the store writes it (HTCDS values in clear or sealed by the standard,
typed columns beside them) and appends an audit event per change. A closure reason fills
``cas_ReasonForCaseClosure`` (identifying in HTCDS, so sealed); a reopening reason is a sealed note.
``ClosedReferred`` is refused unless the case has an accepted or completed referral.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from ctdx.casework.access import CaseworkContext, add_note, find_case, set_case_values, user_in_organisation
from ctdx.casework.consents import ConsentRecord, consent_records
from ctdx.casework.lifecycle import CaseStatus, check_status_change, clean_reason, parse_status
from ctdx.casework.referral_store import ReferralView, referrals_of_case
from ctdx.casework.referrals import ReferralKind, ReferralState
from ctdx.casework.services import check_plan_type
from ctdx.casework.task_store import TaskView, tasks_of_case
from ctdx.errors import ConflictError, ValidationError
from ctdx.model import CaseRecord, FieldValue, SourceRef
from ctdx.store import audit
from ctdx.store.case_rows import seal
from ctdx.store.repositories import CaseRepository
from ctdx.store.tables import Case, Organisation, Referral, SupportPlan
from ctdx.store.values import split

SOURCE_SYSTEM = "ctdx"


@dataclass(frozen=True)
class PlanView:
    """A support plan's non-identifying values (its objectives and action plan are sealed)."""

    id: uuid.UUID
    plan_type: str | None
    planned_end: str | None
    actual_end: str | None


@dataclass(frozen=True)
class CaseView:
    """What a case worker sees of a case: no identifying values, only codes, dates and ids."""

    id: uuid.UUID
    reference: str
    organisation: str
    status: str | None
    owner: str | None
    opened_date: dt.date | None
    owned_by_actor: bool
    referrals: tuple[ReferralView, ...]
    consents: tuple[ConsentRecord, ...]
    plans: tuple[PlanView, ...]
    tasks: tuple[TaskView, ...]


def open_case(ctx: CaseworkContext, opened_on: dt.date, values: dict[str, FieldValue] | None = None) -> uuid.UUID:
    """Open a new ``Active`` case for a new person in the actor's organisation; returns the case id."""
    record = CaseRecord(
        source=SourceRef(system=SOURCE_SYSTEM, record_id=str(uuid.uuid4())),
        values={**(values or {}), "cas_Status": CaseStatus.ACTIVE.value, "ext_CaseOpenedDate": opened_on},
    )
    return CaseRepository(ctx.session, ctx.cipher, ctx.actor).create_case(record).id


def show_case(ctx: CaseworkContext, case_id: uuid.UUID) -> CaseView:
    """The case as the actor may see it: the owner sees everything here, an accepted referral's recipient
    sees the case's codes, its own referrals and the support plans, but not the owner, consents or tasks."""
    case = find_case(ctx, case_id, owner_only=False)
    owned = case.organisation_id == ctx.actor.organisation_id
    code = ctx.session.scalar(select(Organisation.code).where(Organisation.id == case.organisation_id))
    plans = ctx.session.scalars(
        select(SupportPlan).where(SupportPlan.case_id == case.id).order_by(SupportPlan.position)
    )
    return CaseView(
        id=case.id,
        reference=case.reference,
        organisation=str(code),
        status=case.status,
        owner=case.owner if owned else None,
        opened_date=case.opened_date,
        owned_by_actor=owned,
        referrals=tuple(referrals_of_case(ctx, case.id)),
        consents=tuple(consent_records(ctx, case.id)) if owned else (),
        plans=tuple(
            PlanView(p.id, p.plan_type, _text(p.values, "spl_PlannedEndDate"), _text(p.values, "spl_ActualEndDate"))
            for p in plans
        ),
        tasks=tuple(tasks_of_case(ctx, case.id)) if owned else (),
    )


def _text(values: dict[str, object], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) else None


def assign_case(ctx: CaseworkContext, case_id: uuid.UUID, username: str) -> CaseView:
    """Make ``username`` (an active user of the owning organisation) the case owner (``cas_CaseOwner``)."""
    ctx.require_write()
    case = find_case(ctx, case_id)
    user = user_in_organisation(ctx, username, case.organisation_id)
    if case.owner == user.username:
        raise ConflictError(f"case {case.reference} is already assigned to {user.username}")
    case.owner = user.username
    set_case_values(ctx, case, {"cas_CaseOwner": user.username})
    ctx.audit(
        audit.UpdateEvent(
            actor=ctx.actor,
            entity="case_file",
            entity_id=str(case.id),
            fields=("cas_CaseOwner",),
            detail={"owner_user_id": str(user.id)},
        )
    )
    return show_case(ctx, case.id)


def change_status(ctx: CaseworkContext, case_id: uuid.UUID, target: CaseStatus, reason: str | None = None) -> CaseView:
    """Move the case to ``target`` as ``ctdx.casework.lifecycle`` allows; a closure or reopening needs a reason."""
    ctx.require_write()
    case = find_case(ctx, case_id)
    # A case imported without a status is taken as Active (HTCDS leaves the status optional).
    current = parse_status(case.status) if case.status else CaseStatus.ACTIVE
    rule = check_status_change(current, target, reason)
    if target is CaseStatus.CLOSED_REFERRED:
        _require_referral_taken_up(ctx, case)
    changes: dict[str, FieldValue] = {"cas_Status": target.value}
    fields = ["cas_Status"]
    detail: dict[str, str | int | bool | None] = {"from": current.value, "to": target.value, "action": rule.action}
    cleaned = clean_reason(reason, what=rule.action)
    if target.is_closed and cleaned is not None:
        changes["cas_ReasonForCaseClosure"] = cleaned
        fields.append("cas_ReasonForCaseClosure")
    elif cleaned is not None:
        detail["note_id"] = str(add_note(ctx, case.id, rule.action, None, cleaned))
    case.status = target.value
    set_case_values(ctx, case, changes)
    ctx.audit(
        audit.UpdateEvent(
            actor=ctx.actor, entity="case_file", entity_id=str(case.id), fields=tuple(fields), detail=detail
        )
    )
    return show_case(ctx, case.id)


def _require_referral_taken_up(ctx: CaseworkContext, case: Case) -> None:
    taken_up = ctx.session.scalar(
        select(Referral.id).where(
            Referral.case_id == case.id,
            Referral.kind == ReferralKind.REFERRAL.value,
            Referral.status.in_([ReferralState.ACCEPTED.value, ReferralState.DONE.value]),
        )
    )
    if taken_up is None:
        raise ConflictError(
            f"case {case.reference} has no accepted referral; it can be Closed, not ClosedReferred",
            case_id=str(case.id),
        )


def add_plan(
    ctx: CaseworkContext,
    case_id: uuid.UUID,
    plan_type: str,
    *,
    planned_end: dt.date | None = None,
    objectives: str | None = None,
) -> PlanView:
    """Add a support plan of HTCDS type ``plan_type`` (``spl_Type``, our extension values included).

    The owning organisation and an organisation holding an accepted referral may add plans.
    """
    ctx.require_write()
    case = find_case(ctx, case_id, owner_only=False)
    values: dict[str, FieldValue] = {"spl_Type": check_plan_type(plan_type)}
    if planned_end is not None:
        values["spl_PlannedEndDate"] = planned_end
    if objectives is not None:
        if not objectives.strip():
            raise ValidationError("the objectives are empty", field="spl_Objectives")
        values["spl_Objectives"] = objectives.strip()
    parts = split(values, f"case {case.reference}, support plan")
    plan_id = uuid.uuid4()
    position = ctx.session.scalar(select(func.count()).select_from(SupportPlan).where(SupportPlan.case_id == case.id))
    ctx.session.add(
        SupportPlan(
            id=plan_id,
            case_id=case.id,
            position=int(position or 0),
            plan_type=plan_type,
            values=parts.clear,
            **seal(ctx.cipher, parts.sealed, SupportPlan.__tablename__, plan_id),
        )
    )
    ctx.audit(
        audit.CreateEvent(
            actor=ctx.actor,
            entity="support_plan",
            entity_id=str(plan_id),
            fields=tuple(values),
            detail={"case_id": str(case.id), "spl_Type": plan_type},
        )
    )
    return PlanView(plan_id, plan_type, _text(dict(parts.clear), "spl_PlannedEndDate"), None)
