"""Eligibility checklists from jurisdiction packs (the US T-visa checklist), evaluated item by item.

Each item is answered yes / no / unknown. An item may be excused by an exemption the pack names (the
T-visa cooperation requirement does not apply to a person under 18 at the time of at least one act of
trafficking, or unable to cooperate because of physical or psychological trauma: 8 CFR 214.202).
The result says, for every item, whether it is met, exempt, not met or still open, and overall whether the
checklist's criteria all appear met, one is not met, or it is incomplete. It is an aid for the case worker
and the lawyer, never a decision: the adjudicating authority decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from ctdx.casework.packs import Checklist
from ctdx.errors import ValidationError


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class ItemStatus(StrEnum):
    MET = "met"
    EXEMPT = "exempt"
    NOT_MET = "not_met"
    OPEN = "open"


class ChecklistOutcome(StrEnum):
    CRITERIA_APPEAR_MET = "criteria_appear_met"
    CRITERION_NOT_MET = "criterion_not_met"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class ItemResult:
    item: str
    status: ItemStatus
    exempted_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistResult:
    checklist: str
    outcome: ChecklistOutcome
    items: tuple[ItemResult, ...]

    def item(self, item_id: str) -> ItemResult:
        return next(i for i in self.items if i.item == item_id)


def _answers(values: Mapping[str, str], known: set[str], what: str) -> dict[str, Answer]:
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValidationError(f"the checklist has no {what} {unknown}; expected some of {sorted(known)}", field=what)
    parsed = {}
    for key, value in values.items():
        try:
            parsed[key] = Answer(value)
        except ValueError:
            raise ValidationError(f"the answer to {key} must be yes, no or unknown", field=key) from None
    return parsed


def evaluate_checklist(
    checklist: Checklist, answers: Mapping[str, str], exemptions: Mapping[str, str] | None = None
) -> ChecklistResult:
    """Evaluate ``checklist``: ``answers`` per item id, ``exemptions`` per exemption id (unanswered = unknown).

    An item answered "yes" is met; otherwise an exemption answered "yes" that the item allows makes it exempt;
    otherwise "no" is not met and "unknown" (or no answer) is open. Unknown names raise ``ValidationError``.
    """
    items = _answers(answers, {i.id for i in checklist.items}, "item")
    excused = _answers(exemptions or {}, {e.id for e in checklist.exemptions}, "exemption")
    results = []
    for item in checklist.items:
        answer = items.get(item.id, Answer.UNKNOWN)
        by = tuple(e for e in item.exempt_if if excused.get(e) is Answer.YES)
        if answer is Answer.YES:
            results.append(ItemResult(item.id, ItemStatus.MET))
        elif by:
            results.append(ItemResult(item.id, ItemStatus.EXEMPT, by))
        else:
            results.append(ItemResult(item.id, ItemStatus.NOT_MET if answer is Answer.NO else ItemStatus.OPEN))
    statuses = {r.status for r in results}
    if ItemStatus.NOT_MET in statuses:
        outcome = ChecklistOutcome.CRITERION_NOT_MET
    elif ItemStatus.OPEN in statuses:
        outcome = ChecklistOutcome.INCOMPLETE
    else:
        outcome = ChecklistOutcome.CRITERIA_APPEAR_MET
    return ChecklistResult(checklist.id, outcome, tuple(results))
