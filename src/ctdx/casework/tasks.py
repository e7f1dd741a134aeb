"""Tasks with deadlines: what a milestone of a jurisdiction pack starts, and when each task falls due.

``plan_tasks`` is pure: given a pack, the milestone recorded and its date, and whether the person is a
minor, it returns the tasks the pack prescribes with their due dates (working days skip weekends and the
pack calendar's holidays; calendar days and months do not). Each planned task carries the pack id and
version and the source it cites, so that a stored task can always say which rule set its deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ctdx.casework.calendars import Unit, add_offset
from ctdx.casework.packs import Pack


@dataclass(frozen=True)
class PlannedTask:
    """One task a milestone starts, with its deadline and the rule behind it."""

    pack_id: str
    pack_version: str
    template_id: str
    title: str
    event: str
    event_date: dt.date
    due: dt.date
    offset: int
    unit: Unit
    source: str
    verified: bool

    @property
    def rule(self) -> str:
        """The deadline rule in words, e.g. ``5 working days after nrm_referral_submitted``."""
        unit = self.unit.value.replace("_", " ")
        return f"{self.offset} {unit} after {self.event}"


def plan_tasks(pack: Pack, event_id: str, on: dt.date, *, minor: bool | None) -> tuple[PlannedTask, ...]:
    """The tasks ``pack`` starts when ``event_id`` happens on ``on``, for an adult, a minor, or an unknown age.

    Raises ``ValidationError`` if the pack has no such event, or if a working-day deadline falls outside
    the years the pack's holiday calendar covers.
    """
    pack.event(event_id)
    planned = []
    for template in pack.data.tasks:
        if template.after != event_id or not template.applies_to.includes(minor):
            continue
        planned.append(
            PlannedTask(
                pack_id=pack.id,
                pack_version=pack.version,
                template_id=template.id,
                title=template.title,
                event=event_id,
                event_date=on,
                due=add_offset(on, template.offset, template.unit, pack.calendar),
                offset=template.offset,
                unit=template.unit,
                source=pack.source(template.source).citation,
                verified=template.verified,
            )
        )
    return tuple(sorted(planned, key=lambda t: (t.due, t.template_id)))
