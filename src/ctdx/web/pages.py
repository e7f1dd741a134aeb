"""Case-work pages: my cases and tasks, the case page, consent, referrals out and the referrals inbox.

Each view parses the form, calls one ``Workspace`` method (scope and permission are checked there) and
renders a template or redirects (post/redirect/get).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from ctdx.accounts import Drafts, workspace
from ctdx.api.deps import ServicesDep
from ctdx.casework.services import support_plan_types
from ctdx.screening import DecidingOrganisationType, LegalDefinition, TraffickingStatus, TraffickingStatusDecision
from ctdx.store.tables import Organisation, User
from ctdx.web.rendering import render
from ctdx.web.session import FormSession, PageSession

router = APIRouter(include_in_schema=False)
TASK_HORIZON = dt.timedelta(days=14)


@router.get("/")
def home(
    request: Request, services: ServicesDep, found: PageSession, page: int = 1, unassigned: bool = False
) -> Response:
    principal, csrf = found
    cases = tasks = stats = None
    drafts = []
    with workspace(services.store, principal) as ws:
        if principal.allows("cases.read"):
            cases = ws.list_cases(max(page, 1), 25, unassigned=unassigned)
            tasks = ws.tasks_due(dt.date.today() + TASK_HORIZON)
        if principal.allows("cases.write"):
            drafts = Drafts(ws.session, services.store.cipher, principal).mine()
    if principal.allows("stats.read"):
        stats = services.store.case_counts([principal.organisation_code])
    return render(
        request,
        "home.html",
        principal,
        csrf,
        cases=cases,
        tasks=tasks,
        drafts=drafts,
        stats=stats,
        unassigned=unassigned,
    )


@router.get("/cases/{case_id}")
def case_page(
    request: Request, case_id: uuid.UUID, services: ServicesDep, found: PageSession, identifying: bool = False
) -> Response:
    principal, csrf = found
    with workspace(services.store, principal) as ws:
        page = ws.case_page(case_id)
        shown = ws.identifying(case_id) if identifying else None
        organisations = [
            o
            for o in ws.session.scalars(select(Organisation).order_by(Organisation.code))
            if o.id != principal.organisation_id
        ]
        colleagues = list(
            ws.session.scalars(
                select(User.username)
                .where(User.organisation_id == principal.organisation_id, User.active.is_(True))
                .order_by(User.username)
            )
        )
    return render(
        request,
        "case.html",
        principal,
        csrf,
        page=page,
        identifying=shown,
        organisations=organisations,
        colleagues=colleagues,
        plan_types=support_plan_types(),
        statuses=list(TraffickingStatus),
        deciders=list(DecidingOrganisationType),
        definitions=list(LegalDefinition),
        today=dt.date.today().isoformat(),
    )


@router.post("/cases/{case_id}/consent")
def record_consent(
    case_id: uuid.UUID,
    services: ServicesDep,
    found: FormSession,
    purpose: Annotated[str, Form(max_length=40)],
    granted: Annotated[bool, Form()],
    decided_on: Annotated[dt.date, Form()],
) -> Response:
    with workspace(services.store, found[0]) as ws:
        ws.record_consent(case_id, purpose, granted=granted, decided_on=decided_on)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/refer")
def refer(
    case_id: uuid.UUID, services: ServicesDep, found: FormSession, to_organisation: Annotated[str, Form(max_length=64)]
) -> Response:
    with workspace(services.store, found[0]) as ws:
        ws.refer(case_id, to_organisation)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/decision")
def decide(
    case_id: uuid.UUID,
    services: ServicesDep,
    found: FormSession,
    status: Annotated[TraffickingStatus, Form()],
    deciding_org_type: Annotated[DecidingOrganisationType, Form()],
    decided_on: Annotated[dt.date, Form()],
    basis: Annotated[str, Form(min_length=3, max_length=500)],
    definition: Annotated[LegalDefinition, Form()] = LegalDefinition.PALERMO,
) -> Response:
    decision = TraffickingStatusDecision(
        status=status, deciding_org_type=deciding_org_type, decided_on=decided_on, basis=basis, definition=definition
    )
    with workspace(services.store, found[0]) as ws:
        ws.decide_trafficking_status(case_id, decision)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/plans")
def add_plan(
    case_id: uuid.UUID,
    services: ServicesDep,
    found: FormSession,
    plan_type: Annotated[str, Form(max_length=60)],
    planned_end: Annotated[dt.date | None, Form()] = None,
) -> Response:
    with workspace(services.store, found[0]) as ws:
        ws.add_plan(case_id, plan_type, planned_end)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/assign")
def assign(
    case_id: uuid.UUID, services: ServicesDep, found: FormSession, username: Annotated[str, Form(max_length=150)]
) -> Response:
    with workspace(services.store, found[0]) as ws:
        ws.assign(case_id, username)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/referrals")
def inbox(request: Request, services: ServicesDep, found: PageSession) -> Response:
    principal, csrf = found
    with workspace(services.store, principal) as ws:
        referrals = ws.incoming_referrals()
    return render(request, "referrals.html", principal, csrf, referrals=referrals)


@router.post("/referrals/{referral_id}/accept")
def accept(referral_id: uuid.UUID, services: ServicesDep, found: FormSession) -> Response:
    with workspace(services.store, found[0]) as ws:
        view = ws.decide_referral(referral_id, accept=True)
    return RedirectResponse(f"/cases/{view.case_id}", status_code=303)


@router.post("/referrals/{referral_id}/reject")
def reject(
    referral_id: uuid.UUID, services: ServicesDep, found: FormSession, reason: Annotated[str, Form(max_length=2000)]
) -> Response:
    with workspace(services.store, found[0]) as ws:
        ws.decide_referral(referral_id, accept=False, reason=reason)
    return RedirectResponse("/referrals", status_code=303)
