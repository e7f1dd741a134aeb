"""Library results as API bodies: one converter per kind, shared by every route that returns it."""

from __future__ import annotations

from ctdx.accounts import CasePage, StoredScreening
from ctdx.api.schemas import CaseOut, ConsentOut, PlanOut, ReferralOut, ScreeningOut, TaskOut, TimelineEntry
from ctdx.casework import ReferralView, TaskView


def referral_out(view: ReferralView) -> ReferralOut:
    return ReferralOut(
        id=view.id,
        case_id=view.case_id,
        kind=view.kind.value,
        state=view.state.value,
        from_organisation=view.from_organisation,
        to_organisation=view.to_organisation,
        service=view.service,
        reason=view.reason,
        referred_at=view.referred_at,
    )


def task_out(task: TaskView) -> TaskOut:
    return TaskOut(
        id=task.id,
        case_id=task.case_id,
        case_reference=task.case_reference,
        title=task.title,
        due=task.due,
        status=task.status,
    )


def screening_out(found: StoredScreening) -> ScreeningOut:
    return ScreeningOut(
        id=found.id,
        instrument=found.instrument,
        instrument_version=found.instrument_version,
        created_at=found.created_at,
        headline=found.headline,
        explanation=list(found.explanation),
        proposed_status=found.proposed_status,
    )


def case_out(page: CasePage) -> CaseOut:
    case = page.case
    return CaseOut(
        id=case.id,
        reference=case.reference,
        organisation=case.organisation,
        status=case.status,
        owner=case.owner,
        opened_date=case.opened_date,
        owned=case.owned_by_actor,
        trafficking_status=page.trafficking_status,
        referrals=[referral_out(r) for r in case.referrals],
        consents=[ConsentOut.model_validate(c, from_attributes=True) for c in case.consents],
        plans=[PlanOut.model_validate(p, from_attributes=True) for p in case.plans],
        tasks=[task_out(t) for t in case.tasks],
        screenings=[screening_out(s) for s in page.screenings],
        timeline=[TimelineEntry(date=d, kind=k, what=w) for d, k, w in page.timeline],
    )
