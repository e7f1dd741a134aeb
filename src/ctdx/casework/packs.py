"""Jurisdiction packs: versioned data files that say which milestones a case goes through, which tasks each
milestone starts and by when, which entry route applies, and which eligibility checklists exist.

A pack lives in ``packs/<id>.yaml`` and is validated here on load. Its parts:

- ``calendar``: the holiday calendar working-day offsets use (``packs/calendars/``), or none;
- ``sources``: the legal texts and guidance its numbers come from, each with an id the rest cites;
- ``events``: the milestones a case worker records (a referral submitted, a decision received);
- ``tasks``: what an event starts, due ``offset`` ``unit`` later (working days, calendar days or months),
  for adults, children or both, each citing a source and flagged ``verified: false`` when domain.md marks
  the number as not yet checked against the primary text;
- ``routes``: how a case enters the pack, chosen by whether the person is a minor and whether they
  consented; a route says whether the entry needs consent and which event it starts;
- ``checklists``: eligibility checklists (``ctdx.casework.checklists``).

Stored tasks name the pack id and version, so a changed pack never silently rewrites old deadlines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from ctdx.casework.calendars import Unit, WorkingCalendar, load_calendar
from ctdx.errors import ConfigError, NotFoundError, ValidationError

_ID = r"^[a-z][a-z0-9_-]*$"


class AppliesTo(StrEnum):
    ANY = "any"
    ADULT = "adult"
    CHILD = "child"

    def includes(self, minor: bool | None) -> bool:
        """Whether a task for this group applies; an unknown age gets every task (nothing is missed)."""
        if self is AppliesTo.ANY or minor is None:
            return True
        return minor is (self is AppliesTo.CHILD)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Frozen):
    id: str = Field(pattern=_ID)
    citation: str = Field(min_length=1)


class Event(_Frozen):
    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)


class TaskTemplate(_Frozen):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    after: str
    offset: int = Field(ge=0)
    unit: Unit
    applies_to: AppliesTo = AppliesTo.ANY
    source: str
    verified: bool
    note: str = ""


class RouteCondition(_Frozen):
    minor: bool | None = None
    consent: bool | None = None

    def matches(self, minor: bool, consent: bool) -> bool:
        return (self.minor is None or self.minor is minor) and (self.consent is None or self.consent is consent)


class Route(_Frozen):
    id: str = Field(pattern=_ID)
    label: str = Field(min_length=1)
    when: RouteCondition
    consent_required: bool
    starts: str
    source: str
    note: str = ""


class ChecklistItem(_Frozen):
    id: str = Field(pattern=_ID)
    text: str = Field(min_length=1)
    source: str
    exempt_if: tuple[str, ...] = ()


class Exemption(_Frozen):
    id: str = Field(pattern=_ID)
    text: str = Field(min_length=1)
    source: str


class Checklist(_Frozen):
    id: str = Field(pattern=_ID)
    title: str = Field(min_length=1)
    note: str = ""
    items: tuple[ChecklistItem, ...] = Field(min_length=1)
    exemptions: tuple[Exemption, ...] = ()


class PackFile(_Frozen):
    format: Literal[1]
    id: str = Field(pattern=_ID)
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    jurisdiction: str = Field(min_length=1)
    calendar: str | None
    summary: str = ""
    sources: tuple[Source, ...] = Field(min_length=1)
    events: tuple[Event, ...] = Field(min_length=1)
    tasks: tuple[TaskTemplate, ...] = ()
    routes: tuple[Route, ...] = ()
    checklists: tuple[Checklist, ...] = ()


@dataclass(frozen=True)
class Pack:
    """A loaded, cross-checked jurisdiction pack with its working-day calendar."""

    data: PackFile
    calendar: WorkingCalendar | None

    @property
    def id(self) -> str:
        return self.data.id

    @property
    def version(self) -> str:
        return self.data.version

    def source(self, source_id: str) -> Source:
        return next(s for s in self.data.sources if s.id == source_id)

    def event(self, event_id: str) -> Event:
        """The milestone ``event_id``; ``ValidationError`` naming the pack's events when there is none."""
        for event in self.data.events:
            if event.id == event_id:
                return event
        known = ", ".join(e.id for e in self.data.events)
        raise ValidationError(f"pack {self.id} has no event {event_id!r}; its events are {known}", field="event")

    def checklist(self, checklist_id: str) -> Checklist:
        for checklist in self.data.checklists:
            if checklist.id == checklist_id:
                return checklist
        raise NotFoundError(f"pack {self.id} has no checklist {checklist_id!r}")

    def route_for(self, *, minor: bool, consent: bool) -> Route:
        """The first route whose condition matches; ``ValidationError`` if the pack has none that does."""
        for route in self.data.routes:
            if route.when.matches(minor, consent):
                return route
        raise ValidationError(f"pack {self.id} has no entry route for minor={minor}, consent={consent}")


def _cross_check(pack: PackFile) -> list[str]:
    """Every reference inside the pack points at something the pack defines, and ids are unique."""
    problems: list[str] = []
    sources = {s.id for s in pack.sources}
    events = {e.id for e in pack.events}
    for kind, ids in (
        ("source", [s.id for s in pack.sources]),
        ("event", [e.id for e in pack.events]),
        ("task", [t.id for t in pack.tasks]),
        ("route", [r.id for r in pack.routes]),
        ("checklist", [c.id for c in pack.checklists]),
    ):
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            problems.append(f"duplicate {kind} ids {duplicates}")
    for task in pack.tasks:
        if task.after not in events:
            problems.append(f"task {task.id} follows unknown event {task.after!r}")
        if task.source not in sources:
            problems.append(f"task {task.id} cites unknown source {task.source!r}")
        if task.unit is Unit.WORKING_DAYS and pack.calendar is None:
            problems.append(f"task {task.id} counts working days but the pack names no calendar")
    for route in pack.routes:
        if route.starts not in events:
            problems.append(f"route {route.id} starts unknown event {route.starts!r}")
        if route.source not in sources:
            problems.append(f"route {route.id} cites unknown source {route.source!r}")
    for checklist in pack.checklists:
        exemptions = {e.id for e in checklist.exemptions}
        for item in checklist.items:
            if item.source not in sources:
                problems.append(f"checklist {checklist.id} item {item.id} cites unknown source {item.source!r}")
            problems += [
                f"checklist {checklist.id} item {item.id} names unknown exemption {e!r}"
                for e in item.exempt_if
                if e not in exemptions
            ]
        problems += [
            f"checklist {checklist.id} exemption {e.id} cites unknown source {e.source!r}"
            for e in checklist.exemptions
            if e.source not in sources
        ]
    return problems


def parse_pack(raw: Any, name: str) -> Pack:
    """Validate a pack's parsed YAML; ``ConfigError`` listing every problem at once if it is malformed."""
    try:
        data = PackFile.model_validate(raw)
    except PydanticValidationError as exc:
        malformed = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"pack {name} is malformed: {malformed}") from None
    inconsistent = _cross_check(data)
    if inconsistent:
        raise ConfigError(f"pack {name} is inconsistent: {'; '.join(inconsistent)}")
    return Pack(data=data, calendar=load_calendar(data.calendar) if data.calendar else None)


def _pack_folder() -> Any:
    return resources.files("ctdx.casework").joinpath("packs")


def pack_ids() -> tuple[str, ...]:
    """The ids of the packs shipped with this package, sorted."""
    return tuple(sorted(p.name.removesuffix(".yaml") for p in _pack_folder().iterdir() if p.name.endswith(".yaml")))


@cache
def load_pack(pack_id: str) -> Pack:
    """The pack ``packs/<pack_id>.yaml``; ``NotFoundError`` naming the shipped packs when there is none."""
    if pack_id not in pack_ids():
        raise NotFoundError(f"there is no jurisdiction pack {pack_id!r}; the packs are {', '.join(pack_ids())}")
    text = _pack_folder().joinpath(f"{pack_id}.yaml").read_text(encoding="utf-8")
    pack = parse_pack(yaml.safe_load(text), f"{pack_id}.yaml")
    if pack.id != pack_id:
        raise ConfigError(f"pack file {pack_id}.yaml declares the id {pack.id!r}")
    return pack
