"""Casework: the case lifecycle, referrals and transfers gated by consent, support plans, and tasks with
deadlines from jurisdiction packs.

Pure rules (tested without a database): ``lifecycle`` (HTCDS ``cas_Status`` transitions), ``referrals``
(Primero's referral and transfer states), ``consent`` (the consent gate), ``calendars`` and ``packs`` and
``tasks`` (deadlines from versioned data files), ``checklists`` (the US T-visa checklist).
On the store (scoped by ``Actor``, audited): ``cases``, ``referral_store``, ``consents``, ``task_store``;
``casework_session`` opens one transaction for a named user or system process.
"""

from ctdx.casework.access import CaseworkContext, case_id_of
from ctdx.casework.actors import casework_session, resolve_actor
from ctdx.casework.calendars import Unit, WorkingCalendar, load_calendar
from ctdx.casework.cases import CaseView, PlanView, add_plan, assign_case, change_status, open_case, show_case
from ctdx.casework.checklists import ChecklistOutcome, ChecklistResult, ItemStatus, evaluate_checklist
from ctdx.casework.consent import (
    Basis,
    ConsentDecision,
    ConsentEvent,
    ConsentOverride,
    GivenBy,
    Purpose,
    decide_consent,
)
from ctdx.casework.consents import ConsentRecord, authorise, consent_records, record_consent
from ctdx.casework.lifecycle import CaseStatus, check_status_change
from ctdx.casework.packs import Pack, load_pack, pack_ids
from ctdx.casework.referral_store import ReferralView, incoming_referrals, move_referral, refer, referrals_of_case
from ctdx.casework.referrals import ReferralKind, ReferralState, check_referral_move
from ctdx.casework.task_store import (
    RouteStart,
    TaskView,
    complete_task,
    record_milestone,
    start_route,
    tasks_due,
)
from ctdx.casework.tasks import PlannedTask, plan_tasks

__all__ = [
    "Basis",
    "CaseStatus",
    "CaseView",
    "CaseworkContext",
    "ChecklistOutcome",
    "ChecklistResult",
    "ConsentDecision",
    "ConsentEvent",
    "ConsentOverride",
    "ConsentRecord",
    "GivenBy",
    "ItemStatus",
    "Pack",
    "PlanView",
    "PlannedTask",
    "Purpose",
    "ReferralKind",
    "ReferralState",
    "ReferralView",
    "RouteStart",
    "TaskView",
    "Unit",
    "WorkingCalendar",
    "add_plan",
    "assign_case",
    "authorise",
    "case_id_of",
    "casework_session",
    "change_status",
    "check_referral_move",
    "check_status_change",
    "complete_task",
    "consent_records",
    "decide_consent",
    "evaluate_checklist",
    "incoming_referrals",
    "load_calendar",
    "load_pack",
    "move_referral",
    "open_case",
    "pack_ids",
    "plan_tasks",
    "record_consent",
    "record_milestone",
    "refer",
    "referrals_of_case",
    "resolve_actor",
    "show_case",
    "start_route",
    "tasks_due",
]
