"""API routes for referrals addressed to the user's organisation and for tasks due."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from ctdx.accounts import workspace
from ctdx.api import views
from ctdx.api.deps import PrincipalDep, ServicesDep
from ctdx.api.schemas import Decision, Envelope, Meta, ReferralOut, TaskOut

router = APIRouter(tags=["referrals"])


@router.get("/referrals/incoming", summary="Open referrals and transfers addressed to the organisation")
def incoming(services: ServicesDep, principal: PrincipalDep) -> Envelope[list[ReferralOut]]:
    with workspace(services.store, principal) as ws:
        found = [views.referral_out(r) for r in ws.incoming_referrals()]
    return Envelope(data=found, meta=Meta(total=len(found)))


@router.post("/referrals/{referral_id}/accept", summary="Accept a referral addressed to the organisation")
def accept(referral_id: uuid.UUID, services: ServicesDep, principal: PrincipalDep) -> Envelope[ReferralOut]:
    with workspace(services.store, principal) as ws:
        return Envelope(data=views.referral_out(ws.decide_referral(referral_id, accept=True)))


@router.post("/referrals/{referral_id}/reject", summary="Reject a referral, with a reason (sealed)")
def reject(
    referral_id: uuid.UUID, body: Decision, services: ServicesDep, principal: PrincipalDep
) -> Envelope[ReferralOut]:
    with workspace(services.store, principal) as ws:
        return Envelope(data=views.referral_out(ws.decide_referral(referral_id, accept=False, reason=body.reason)))


@router.get("/tasks", tags=["cases"], summary="Open tasks of cases in scope due on or before a day")
def tasks(
    services: ServicesDep, principal: PrincipalDep, until: Annotated[dt.date | None, Query()] = None
) -> Envelope[list[TaskOut]]:
    day = until or dt.date.today() + dt.timedelta(days=14)
    with workspace(services.store, principal) as ws:
        found = [views.task_out(t) for t in ws.tasks_due(day)]
    return Envelope(data=found, meta=Meta(total=len(found)))
