"""Tasks kept in the store: entering a jurisdiction pack's route, recording its milestones, listing what is due.

``start_route`` picks the pack's entry route from whether the person is a minor and whether a current
referral consent towards the pack exists (recipient = the pack id, or any recipient), checks consent
when the route needs it (override possible, as for referrals) and audits the route's exemption when it
does not (the UK NRM child route), then stores the tasks the route's first milestone starts.
``record_milestone`` stores the tasks of a later milestone (a positive reasonable-grounds decision, say).
Each stored task names the pack id and version whose rule set its deadline.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from ctdx.casework.access import CaseworkContext, find_case
from ctdx.casework.consent import ConsentDecision, Purpose, matching_consent
from ctdx.casework.consents import authorise, consent_events, consent_records
from ctdx.casework.packs import Route, load_pack
from ctdx.casework.tables import CaseworkTask
from ctdx.casework.tasks import PlannedTask, plan_tasks
from ctdx.errors import ConflictError, NotFoundError
from ctdx.store import audit
from ctdx.store.tables import Case


@dataclass(frozen=True)
class TaskView:
    id: uuid.UUID
    case_id: uuid.UUID
    case_reference: str
    pack_id: str
    pack_version: str
    template_id: str
    title: str
    event: str
    due: dt.date
    rule: str
    verified: bool
    status: str


@dataclass(frozen=True)
class RouteStart:
    route: Route
    consent: ConsentDecision
    tasks: tuple[TaskView, ...]


def _view(row: CaseworkTask, reference: str) -> TaskView:
    unit = row.unit.replace("_", " ")
    return TaskView(
        id=row.id,
        case_id=row.case_id,
        case_reference=reference,
        pack_id=row.pack_id,
        pack_version=row.pack_version,
        template_id=row.template_id,
        title=row.title,
        event=row.event,
        due=row.due,
        rule=f"{row.offset} {unit} after {row.event} ({row.event_date.isoformat()})",
        verified=row.verified,
        status=row.status,
    )


def _store(ctx: CaseworkContext, case: Case, planned: tuple[PlannedTask, ...]) -> tuple[TaskView, ...]:
    stamp = ctx.now()
    rows = [
        CaseworkTask(
            id=uuid.uuid4(),
            case_id=case.id,
            organisation_id=case.organisation_id,
            pack_id=task.pack_id,
            pack_version=task.pack_version,
            template_id=task.template_id,
            title=task.title,
            event=task.event,
            event_date=task.event_date,
            due=task.due,
            offset=task.offset,
            unit=task.unit.value,
            verified=task.verified,
            status="open",
            created_by=ctx.actor.label,
            created_at=stamp,
        )
        for task in planned
    ]
    ctx.session.add_all(rows)
    return tuple(_view(r, case.reference) for r in rows)


def record_milestone(
    ctx: CaseworkContext, case_id: uuid.UUID, pack_id: str, event: str, on: dt.date, *, minor: bool | None
) -> tuple[TaskView, ...]:
    """Store the tasks that ``event`` of pack ``pack_id`` starts on ``on``; audited with the pack version."""
    ctx.require_write()
    case = find_case(ctx, case_id)
    pack = load_pack(pack_id)
    tasks = _store(ctx, case, plan_tasks(pack, event, on, minor=minor))
    ctx.audit(
        audit.CreateEvent(
            actor=ctx.actor,
            entity="casework_task",
            entity_id=None,
            detail={
                "case_id": str(case.id),
                "pack": pack.id,
                "pack_version": pack.version,
                "event": event,
                "tasks": len(tasks),
            },
        )
    )
    return tasks


def start_route(
    ctx: CaseworkContext,
    case_id: uuid.UUID,
    pack_id: str,
    on: dt.date,
    *,
    minor: bool,
    override_reason: str | None = None,
) -> RouteStart:
    """Enter pack ``pack_id`` on its matching route and store the tasks of the route's first milestone."""
    ctx.require_write()
    case = find_case(ctx, case_id)
    pack = load_pack(pack_id)
    events = consent_events(consent_records(ctx, case.id))
    consented = matching_consent(events, Purpose.REFERRAL, pack.id, ctx.now()) is not None
    route = pack.route_for(minor=minor, consent=consented)
    exemption = None if route.consent_required else f"{pack.id}/{route.id}"
    decision = authorise(
        ctx,
        case.id,
        Purpose.REFERRAL,
        pack.id,
        override_reason=override_reason,
        exemption=exemption,
        action=f"route:{pack.id}/{route.id}",
    )
    tasks = record_milestone(ctx, case.id, pack.id, route.starts, on, minor=minor)
    return RouteStart(route, decision, tasks)


def tasks_of_case(ctx: CaseworkContext, case_id: uuid.UUID) -> list[TaskView]:
    case = find_case(ctx, case_id)
    rows = ctx.session.scalars(
        select(CaseworkTask).where(CaseworkTask.case_id == case.id).order_by(CaseworkTask.due, CaseworkTask.title)
    )
    return [_view(r, case.reference) for r in rows]


def tasks_due(ctx: CaseworkContext, until: dt.date) -> list[TaskView]:
    """Open tasks of the actor's organisation's cases due on or before ``until``, soonest first."""
    rows = ctx.session.execute(
        select(CaseworkTask, Case.reference)
        .join(Case, Case.id == CaseworkTask.case_id)
        .where(
            Case.organisation_id == ctx.actor.organisation_id,
            CaseworkTask.status == "open",
            CaseworkTask.due <= until,
        )
        .order_by(CaseworkTask.due, Case.reference, CaseworkTask.title)
    ).all()
    return [_view(task, str(reference)) for task, reference in rows]


def complete_task(ctx: CaseworkContext, task_id: uuid.UUID) -> TaskView:
    """Mark an open task of one of the actor's cases done."""
    ctx.require_write()
    task = ctx.session.get(CaseworkTask, task_id)
    if task is None:
        raise NotFoundError(f"no task {task_id}")
    case = find_case(ctx, task.case_id)
    if task.status != "open":
        raise ConflictError(f"task {task_id} is already {task.status}")
    task.status, task.done_by, task.done_at = "done", ctx.actor.label, ctx.now()
    ctx.audit(
        audit.UpdateEvent(
            actor=ctx.actor,
            entity="casework_task",
            entity_id=str(task.id),
            fields=("status",),
            detail={"status": "done"},
        )
    )
    return _view(task, case.reference)
