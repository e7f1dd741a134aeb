"""From one row of a file to a typed ``CaseRecord`` plus every problem of that row.

Rules at import time (what the report calls an error refuses the row; warnings and info do not):

- a value that does not fit its field (unknown picklist value, not a country, impossible or future date,
  not a number, an age outside 0-120) is an **error**: the row goes to quarantine, nothing is coerced;
- a birth date after a date of the case, or one that makes the person older than 120 on the case's
  dates, is an **error**;
- **missing core fields** are *warnings*: HTCDS marks contact fields (salutation, e-mail, phones, mailing
  address) core, and most real files have none of them, so refusing those rows would lose the cases.
  A core field the file has a column for but leaves empty is a ``missing_core`` warning on that row; a
  core field the file has no column for is reported once (``core_column_absent``, info);
- a record that **cannot be identified at all** is an error: the file's id column is empty on the row
  (``missing_source_id``), or the row has no value for any field (``no_values``). Files without an id
  column get ids from the file's digest and the row number, so every row is identifiable;
- a source id already used by an earlier row of the same file is an error on the later row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from ctdx.ingest.formats import Plan, blank_cells
from ctdx.ingest.mapping import ColumnRule, FlagRule
from ctdx.ingest.report import Issue
from ctdx.ingest.sources import SourceRow
from ctdx.ingest.values import MAX_AGE, Raw, ValueReader, choices_for, fold, is_blank, raw_text
from ctdx.model import CaseRecord, FieldValue, SourceRef
from ctdx.standard import Field, load_standard

# Dates of the case that a birth date must precede (HTCDS referral dates and our extensions).
CASE_DATES = (
    "cas_IncomingReferralDate",
    "cas_OutgoingReferralDate",
    "ext_CaseOpenedDate",
    "ext_IdentificationDate",
    "ext_StatusDecisionDate",
    "ext_ExploitationStart",
    "ext_ExploitationEnd",
)
BIRTH = "prs_Birthdate"
ENTITY_PART = {"perpetrator": "perpetrators", "trafficking_event": "events", "support_plan": "support_plans"}
FLAG_TRUE = frozenset({"1", "true", "yes"})
FLAG_FALSE = frozenset({"0", "false", "no"})
# CTDC's missing-data code (data-standard.md section 6.4): "-99" and empty mean missing, never "no".
FLAG_MISSING = frozenset({"", "-99"})


@dataclass
class RowResult:
    """What one row became: a record (when it has no error), its issues, or nothing for a blank row."""

    row: SourceRow
    record: CaseRecord | None = None
    issues: list[Issue] = field(default_factory=list)
    blank: bool = False

    @property
    def refused(self) -> bool:
        return not self.blank and self.record is None


@dataclass
class _Parts:
    """Field values gathered for one record, by part (case values, perpetrator 1, event 2...)."""

    values: dict[tuple[str, int], dict[str, FieldValue]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    def put(self, f: Field, instance: int, value: FieldValue, column: str, row: int) -> Issue | None:
        part = self.values.setdefault((ENTITY_PART.get(f.entity, "values"), instance), {})
        old = part.get(f.name)
        self.columns.setdefault(f.name, column)
        if old is None:
            part[f.name] = value
        elif isinstance(old, tuple) and isinstance(value, tuple):
            merged = list(dict.fromkeys(old + value))
            order = choices_for(f).order
            if order:
                merged.sort(key=lambda v: order.get(str(v), len(order)))
            part[f.name] = tuple(merged)
        elif old != value:
            msg = f"{f.name} has different values in {self.columns[f.name]!r} and {column!r}"
            return Issue("conflicting_values", "error", msg, row, column, f.name)
        return None

    def flat(self) -> dict[str, FieldValue]:
        return {k: v for part in self.values.values() for k, v in part.items()}


class SourceIds:
    """Source ids seen so far in a file, kept as 64-bit hashes so that a million ids fit in a few dozen MB.

    Python's string hash is salted per process, which is all this needs (the ids of one file, in one run);
    two different ids share a hash with a chance of about n²/2⁶⁵ (3 in 100 million for a million rows).
    """

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def first_time(self, record_id: str) -> bool:
        key = hash(record_id)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def finish(
    source: SourceRef, parts: _Parts, issues: list[Issue], row: int, ids: SourceIds, id_column: str | None
) -> CaseRecord | None:
    """Cross-field checks, the duplicate-id check and the record itself (None when the row has errors)."""
    case_values = parts.values.get(("values", 1), {})
    only_case = len(parts.values) == 1 and ("values", 1) in parts.values
    values = case_values if only_case else parts.flat()
    if BIRTH in values:
        issues.extend(_cross_checks(parts, values, row))
    failed = any(i.severity == "error" for i in issues)
    if not values and not failed:
        issues.append(Issue("no_values", "error", "the row has no value for any standard field", row))
        failed = True
    if not ids.first_time(source.record_id):
        msg = "this row's source id was already used by an earlier row of this file"
        issues.append(Issue("duplicate_source_id", "error", msg, row, id_column))
        failed = True
    if failed:
        return None
    groups: dict[str, list[dict[str, FieldValue]]] = {"perpetrators": [], "events": [], "support_plans": []}
    if not only_case:
        for (part, _), part_values in sorted(parts.values.items(), key=lambda kv: kv[0]):
            if part != "values" and part_values:
                groups[part].append(part_values)
    # Every value came out of ``ValueReader``, which only yields ``FieldValue`` types, and the source was
    # validated when it was made: validating the record again would only repeat those checks per row.
    return CaseRecord.model_construct(
        source=source,
        values=case_values,
        events=tuple(groups["events"]),
        perpetrators=tuple(groups["perpetrators"]),
        support_plans=tuple(groups["support_plans"]),
    )


def _cross_checks(parts: _Parts, values: dict[str, FieldValue], row: int) -> list[Issue]:
    birth = values.get(BIRTH)
    if not isinstance(birth, dt.date):
        return []
    column = parts.columns.get(BIRTH)
    issues: list[Issue] = []
    dates = [(name, d) for name in CASE_DATES if isinstance(d := values.get(name), dt.date)]
    dates += [(p + ".hte_Date", d) for (p, _), v in parts.values.items() if isinstance(d := v.get("hte_Date"), dt.date)]
    later = [name for name, d in dates if d < birth]
    if later:
        msg = f"{BIRTH} is after {', '.join(later)}"
        issues.append(Issue("birth_after_case", "error", msg, row, column, BIRTH))
    reference = max((d for _, d in dates), default=dt.date.today())
    if _age(birth, reference) > MAX_AGE:
        msg = f"{BIRTH} makes the person older than {MAX_AGE} on the case's dates"
        issues.append(Issue("age_out_of_range", "error", msg, row, column, BIRTH))
    return issues


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class RowReader:
    """Reads the rows of one table with one plan; keeps the state that spans rows (ids seen)."""

    def __init__(self, plan: Plan, sha256: str, reader: ValueReader) -> None:
        self.plan = plan
        self.sha256 = sha256
        self.reader = reader
        self.ids = SourceIds()
        self.standard = load_standard()
        self.width = len(plan.columns)
        self.constants = self._constants()
        self.value_maps = {
            id(rule): {fold(k): v for k, v in rule.values.items()}
            for rules in plan.rules.values()
            for rule in rules
            if isinstance(rule, ColumnRule) and rule.values
        }
        # Everything about a column that does not change from row to row, worked out once.
        self.cells: list[tuple[int, ColumnRule | FlagRule, Field, str | None]] = []
        for index, rules in plan.rules.items():
            for rule in rules:
                f = self.standard.field(rule.field)
                separator = None
                if isinstance(rule, ColumnRule) and (f.multiple or rule.split):
                    default = plan.mapping.split if plan.dialect in ("mapped", "ctdc") else plan.multi_split
                    separator = rule.split or default
                self.cells.append((index, rule, f, separator))
        # Per column: the date formats when the column takes the short path of ``read`` (one value, no value
        # map), and the warning message when a core field is left empty.
        self.specs = [
            (
                index,
                rule,
                f,
                separator,
                (rule.date_formats or plan.mapping.date_formats)
                if isinstance(rule, ColumnRule) and separator is None and not rule.values
                else None,
                f"core field {f.name} is empty"
                if f.core and not f.deprecated and isinstance(rule, ColumnRule)
                else None,
            )
            for index, rule, f, separator in self.cells
        ]
        self.markers = plan.mapping.missing - {""}
        # The value a flag stands for, read once (the mapping was checked, so it resolves).
        self.flag_values = {
            id(rule): self.reader.read(f, [rule.value], row=0, column=rule.column)[0]
            for _, rule, f, _ in self.cells
            if isinstance(rule, FlagRule)
        }
        self.id_column = None if plan.id_index is None else plan.columns[plan.id_index]

    def _constants(self) -> list[tuple[Field, FieldValue]]:
        out = []
        for name, text in self.plan.mapping.constants.items():
            f = self.standard.field(name)
            value, _ = self.reader.read(f, [text], row=0, column="constants")
            if value is not None:
                out.append((f, value))
        return out

    def file_notes(self) -> list[Issue]:
        """Core fields that no column of the file provides (reported once, as info)."""
        given = {r.field for rules in self.plan.rules.values() for r in rules} | {f.name for f, _ in self.constants}
        missing = [f.name for f in self.standard.fields if f.core and not f.deprecated and f.name not in given]
        if not missing:
            return []
        msg = f"{len(missing)} core HTCDS field(s) have no column in this file: {', '.join(missing)}"
        return [Issue("core_column_absent", "info", msg)]

    def read(self, row: SourceRow) -> RowResult:
        cells = row.cells
        if blank_cells(cells, self.plan.ignored):
            return RowResult(row, blank=True)
        issues: list[Issue] = []
        if len(cells) != self.width and not (len(cells) > self.width and all(is_blank(c) for c in cells[self.width :])):
            msg = f"{len(cells)} cells where the header has {self.width}: columns may be shifted"
            issues.append(Issue("wrong_column_count", "error", msg, row.number))
        cells = cells + [None] * (self.width - len(cells))
        source = self._source(cells, row.number, issues)
        parts = _Parts()
        flags: dict[tuple[str, int], list[bool | None]] = {}
        number = row.number
        markers = self.markers
        one = self.reader.one
        values_part = parts.values.setdefault(("values", 1), {})
        for index, rule, f, separator, simple, core_message in self.specs:
            raw = cells[index]
            if isinstance(rule, FlagRule):
                self._flag(rule, f, raw, number, parts, flags, issues)
            elif (
                raw is None
                or raw == ""
                or (raw.__class__ is str and raw.isspace())
                or (markers and fold(raw_text(raw)) in markers)
            ):
                if core_message is not None and f.name not in parts.columns:
                    issues.append(Issue("missing_core", "warning", core_message, number, rule.column, f.name))
            elif simple is not None:
                value, issue = one(f, raw, number, rule.column, simple)
                if issue is not None:
                    issues.append(issue)
                if value is None:
                    continue
                if f.name not in values_part and f.entity not in ENTITY_PART and rule.instance == 1:
                    values_part[f.name] = value  # the common case of ``parts.put``, without its checks
                    parts.columns.setdefault(f.name, rule.column)
                elif conflict := parts.put(f, rule.instance, value, rule.column, number):
                    issues.append(conflict)
            else:
                self._column(rule, f, separator, raw, number, parts, issues)
        for (name, instance), seen in flags.items():
            if seen and all(s is False for s in seen):
                parts.put(self.standard.field(name), instance, (), "flags", row.number)
        if self.constants and not any(parts.values.values()) and not any(i.severity == "error" for i in issues):
            # constants alone do not make a record: the row itself has no value
            issues.append(Issue("no_values", "error", "the row has no value for any mapped column", number))
        for f, value in self.constants:
            parts.put(f, 1, value, "constants", row.number)
        record = finish(source, parts, issues, row.number, self.ids, self.id_column)
        return RowResult(row, record, issues)

    def _source(self, cells: list[Raw], number: int, issues: list[Issue]) -> SourceRef:
        system = self.plan.system
        if self.plan.system_index is not None:
            system = raw_text(cells[self.plan.system_index])[:200] or system
        if self.plan.id_index is None:
            return SourceRef(system=system, record_id=f"{self.sha256}:{number}")
        text = raw_text(cells[self.plan.id_index])
        if not text or len(text) > 200:
            what = "empty" if not text else "longer than 200 characters"
            issues.append(Issue("missing_source_id", "error", f"the id column is {what}", number, self.id_column))
            return SourceRef(system=system, record_id=f"{self.sha256}:{number}")
        return SourceRef(system=system, record_id=text)

    def _column(
        self,
        rule: ColumnRule,
        f: Field,
        separator: str | None,
        raw: Raw,
        number: int,
        parts: _Parts,
        issues: list[Issue],
    ) -> None:
        mapping = self.plan.mapping
        pieces: Sequence[Raw]
        values = self.value_maps.get(id(rule), {})
        mapped: str | _NotMapped | None = values.get(fold(raw_text(raw)), _NOT_MAPPED) if values else _NOT_MAPPED
        if not isinstance(mapped, _NotMapped):
            if mapped is None:
                return
            pieces = [mapped]
        elif separator is not None and f.values and choices_for(f).resolve(raw_text(raw)) is not None:
            # One choice whose label holds the separator ("Agriculture, forestry and fishing",
            # "Water supply; sewerage, ..."): the whole cell is that choice, not several pieces.
            pieces = [raw]
        elif separator is not None:
            texts = [p.strip() for p in raw_text(raw).split(separator) if p.strip()]
            pieces = [m for p in texts if (m := values.get(fold(p), p) if values else p) is not None]
        else:
            pieces = [raw]
        formats = rule.date_formats or mapping.date_formats
        value, found = self.reader.read(f, pieces, row=number, column=rule.column, date_formats=formats)
        issues.extend(found)
        if value is not None and (conflict := parts.put(f, rule.instance, value, rule.column, number)) is not None:
            issues.append(conflict)

    def _flag(
        self,
        rule: FlagRule,
        f: Field,
        raw: Raw,
        number: int,
        parts: _Parts,
        flags: dict[tuple[str, int], list[bool | None]],
        issues: list[Issue],
    ) -> None:
        text = fold(raw_text(raw))
        seen = flags.setdefault((rule.field, rule.instance), [])
        if text in FLAG_TRUE:
            value = self.flag_values[id(rule)]
            if value is not None:
                conflict = parts.put(f, rule.instance, value, rule.column, number)
                if conflict is not None:
                    issues.append(conflict)
            seen.append(True)
        elif text in FLAG_FALSE:
            seen.append(False)
        elif text in FLAG_MISSING or text in self.markers:
            seen.append(None)
        else:
            msg = "a flag is 1, 0, -99 or empty; missing (-99, empty) is never read as no"
            issues.append(Issue("invalid_flag", "error", msg, number, rule.column, rule.field, raw_text(raw)))


class _NotMapped:
    pass


_NOT_MAPPED = _NotMapped()
