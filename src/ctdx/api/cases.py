"""API routes for cases: list, open, read, identifying values, consent, referrals and screening results."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from ctdx.accounts import workspace
from ctdx.api import views
from ctdx.api.deps import PrincipalDep, ServicesDep
from ctdx.api.schemas import (
    Assignment,
    CaseOut,
    CaseRowOut,
    ConsentOut,
    Envelope,
    Meta,
    NewCase,
    NewConsent,
    NewDecision,
    NewPlan,
    NewReferral,
    NewScreening,
    PlanOut,
    ReferralOut,
    ScreeningOut,
)
from ctdx.screening import Profile, ScreeningContext, TraffickingStatusDecision, load_bank, screen

router = APIRouter(prefix="/cases", tags=["cases"])


@router.get("", summary="Cases in the user's scope, newest first")
def list_cases(
    services: ServicesDep,
    principal: PrincipalDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 25,
    status: Annotated[str | None, Query(max_length=40, description="HTCDS cas_Status")] = None,
    unassigned: Annotated[bool, Query(description="Only the organisation's cases without an owner")] = False,
) -> Envelope[list[CaseRowOut]]:
    with workspace(services.store, principal, read_only=True) as ws:
        found = ws.list_cases(page, per_page, status, unassigned)
    items = [CaseRowOut.model_validate(row, from_attributes=True) for row in found.items]
    return Envelope(data=items, meta=Meta(page=found.page, per_page=found.per_page, total=found.total))


@router.post("", status_code=201, summary="Open a case owned by the user")
def open_case(body: NewCase, services: ServicesDep, principal: PrincipalDep) -> Envelope[CaseOut]:
    with workspace(services.store, principal) as ws:
        case_id = ws.open_case(body.opened_on)
        return Envelope(data=views.case_out(ws.case_page(case_id)))


@router.get("/{case_id}", summary="A case: timeline, screening results, consent, referrals, plans, tasks")
def get_case(case_id: uuid.UUID, services: ServicesDep, principal: PrincipalDep) -> Envelope[CaseOut]:
    with workspace(services.store, principal) as ws:
        return Envelope(data=views.case_out(ws.case_page(case_id)))


@router.get("/{case_id}/identifying", summary="The case's identifying values (audited)")
def get_identifying(case_id: uuid.UUID, services: ServicesDep, principal: PrincipalDep) -> Envelope[dict[str, str]]:
    with workspace(services.store, principal) as ws:
        return Envelope(data=ws.identifying(case_id))


@router.post("/{case_id}/consents", status_code=201, summary="Record a consent decision")
def add_consent(
    case_id: uuid.UUID, body: NewConsent, services: ServicesDep, principal: PrincipalDep
) -> Envelope[ConsentOut]:
    with workspace(services.store, principal) as ws:
        record = ws.record_consent(
            case_id, body.purpose, granted=body.granted, decided_on=body.decided_on, recipient=body.recipient
        )
    return Envelope(data=ConsentOut.model_validate(record, from_attributes=True))


@router.post("/{case_id}/referrals", status_code=201, summary="Refer the case to another organisation")
def refer_case(
    case_id: uuid.UUID, body: NewReferral, services: ServicesDep, principal: PrincipalDep
) -> Envelope[ReferralOut]:
    with workspace(services.store, principal) as ws:
        view = ws.refer(case_id, body.to_organisation, body.service, body.reason)
    return Envelope(data=views.referral_out(view))


@router.post("/{case_id}/screenings", status_code=201, summary="Score a screening and store it on the case")
def add_screening(
    case_id: uuid.UUID, body: NewScreening, services: ServicesDep, principal: PrincipalDep
) -> Envelope[ScreeningOut]:
    context = ScreeningContext(language=body.language)
    result = screen(body.instrument, dict(body.answers), Profile(), context=context, bank=load_bank())
    with workspace(services.store, principal) as ws:
        stored = ws.store_screening(case_id, result)
        found = next(s for s in ws.screenings(case_id) if s.id == stored)
    return Envelope(data=views.screening_out(found))


@router.post("/{case_id}/decision", summary="Record the trafficking-status decision (owning organisation)")
def decide(case_id: uuid.UUID, body: NewDecision, services: ServicesDep, principal: PrincipalDep) -> Envelope[CaseOut]:
    decision = TraffickingStatusDecision.model_validate(body.model_dump())
    with workspace(services.store, principal) as ws:
        ws.decide_trafficking_status(case_id, decision)
        return Envelope(data=views.case_out(ws.case_page(case_id)))


@router.post("/{case_id}/plans", status_code=201, summary="Add a support plan (HTCDS spl_Type)")
def add_plan(case_id: uuid.UUID, body: NewPlan, services: ServicesDep, principal: PrincipalDep) -> Envelope[PlanOut]:
    with workspace(services.store, principal) as ws:
        plan = ws.add_plan(case_id, body.plan_type, body.planned_end)
    return Envelope(data=PlanOut.model_validate(plan, from_attributes=True))


@router.post("/{case_id}/assign", summary="Give the case to a user of the organisation (team and organisation scopes)")
def assign(case_id: uuid.UUID, body: Assignment, services: ServicesDep, principal: PrincipalDep) -> Envelope[CaseOut]:
    with workspace(services.store, principal) as ws:
        ws.assign(case_id, body.username)
        return Envelope(data=views.case_out(ws.case_page(case_id)))
