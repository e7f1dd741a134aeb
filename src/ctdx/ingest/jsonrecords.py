"""JSON Lines rows: one CaseRecord-shaped object per line, read with the same value rules as tables.

A line looks like::

    {"source": {"system": "cms-x", "record_id": "A-17"},
     "values": {"prs_Gender": "Feminine", "prs_Citizenship": ["VN"], "prs_Birthdate": "1999-04-02"},
     "perpetrators": [{"per_RoleInProcess": ["Exploiter"]}],
     "events": [{"hte_Type": "Exploitation", "hte_Country": "TH"}],
     "support_plans": []}

``source`` is optional (without it the id is the file's digest and the line number). Values are checked
exactly like spreadsheet cells (labels and aliases accepted, countries checked, dates ISO); a key that is
not a field of the standard is an error here, because its value would otherwise be lost. Column names in
the report are paths such as ``values.prs_Gender`` or ``perpetrators[1].per_RoleInProcess``.
"""

from __future__ import annotations

from typing import Any

from ctdx.ingest.report import Issue
from ctdx.ingest.sources import SourceRow
from ctdx.ingest.validation import ENTITY_PART, RowResult, SourceIds, _Parts, finish
from ctdx.ingest.values import Raw, ValueReader, is_blank
from ctdx.model import SourceRef
from ctdx.standard import load_standard

TOP_KEYS = frozenset({"source", "values", "events", "perpetrators", "support_plans"})
LIST_PARTS = ("events", "perpetrators", "support_plans")
DEFAULT_SYSTEM = "jsonl"


class JsonRowReader:
    """Reads the objects of a JSON Lines file into records; keeps the ids seen across lines."""

    def __init__(self, sha256: str, reader: ValueReader) -> None:
        self.sha256 = sha256
        self.reader = reader
        self.ids = SourceIds()
        self.standard = load_standard()

    def read(self, row: SourceRow) -> RowResult:
        obj = row.obj
        if obj is None:
            return RowResult(row, blank=True)
        number = row.number
        if not isinstance(obj, dict):
            what = "not valid JSON" if isinstance(obj, Exception) else "not a JSON object"
            return RowResult(row, None, [Issue("invalid_json", "error", f"line {number} is {what}", number)])
        issues: list[Issue] = []
        for key in obj:
            if key not in TOP_KEYS:
                msg = f"unexpected key {key!r}: a line holds {', '.join(sorted(TOP_KEYS))}"
                issues.append(Issue("invalid_json", "error", msg, number, key))
        source = self._source(obj.get("source"), number, issues)
        parts = _Parts()
        self._part(obj.get("values"), "values", 1, number, parts, issues)
        for name in LIST_PARTS:
            items = obj.get(name) or []
            if not isinstance(items, list):
                issues.append(Issue("invalid_json", "error", f"{name} must be a list of objects", number, name))
                continue
            for i, item in enumerate(items, start=1):
                self._part(item, name, i, number, parts, issues)
        record = finish(source, parts, issues, number, self.ids, "source.record_id")
        return RowResult(row, record, issues)

    def _source(self, raw: Any, number: int, issues: list[Issue]) -> SourceRef:
        if raw is None:
            return SourceRef(system=DEFAULT_SYSTEM, record_id=f"{self.sha256}:{number}")
        system = raw.get("system") if isinstance(raw, dict) else None
        record_id = raw.get("record_id") if isinstance(raw, dict) else None
        if not isinstance(system, str) or not system or not isinstance(record_id, str | int) or record_id == "":
            msg = "source must be {system: text, record_id: text}"
            issues.append(Issue("missing_source_id", "error", msg, number, "source"))
            return SourceRef(system=DEFAULT_SYSTEM, record_id=f"{self.sha256}:{number}")
        if len(system) > 200 or len(str(record_id)) > 200:
            issues.append(
                Issue("missing_source_id", "error", "source ids are at most 200 characters", number, "source")
            )
            return SourceRef(system=DEFAULT_SYSTEM, record_id=f"{self.sha256}:{number}")
        return SourceRef(system=system, record_id=str(record_id))

    def _part(self, raw: Any, name: str, instance: int, number: int, parts: _Parts, issues: list[Issue]) -> None:
        if raw is None:
            return
        where = name if name == "values" else f"{name}[{instance}]"
        if not isinstance(raw, dict):
            issues.append(Issue("invalid_json", "error", f"{where} must be an object of field: value", number, where))
            return
        for key, value in raw.items():
            column = f"{where}.{key}"
            if not self.standard.has(key):
                msg = f"{key!r} is not a field of the standard: its value would be lost"
                issues.append(Issue("unknown_column", "error", msg, number, column))
                continue
            f = self.standard.field(key)
            expected = ENTITY_PART.get(f.entity, "values")
            if expected != name:
                issues.append(Issue("invalid_json", "error", f"{f.name} belongs in {expected}", number, column, f.name))
                continue
            pieces: list[Raw] = value if isinstance(value, list) else [value]
            if any(isinstance(p, dict | list) for p in pieces):
                issues.append(Issue("invalid_json", "error", f"{f.name}: a value or a list of values", number, column))
                continue
            pieces = [p for p in pieces if not is_blank(p)]
            if not pieces:
                if f.core and not f.deprecated:
                    issues.append(
                        Issue("missing_core", "warning", f"core field {f.name} is empty", number, column, f.name)
                    )
                continue
            parsed, found = self.reader.read(f, pieces, row=number, column=column)
            issues.extend(found)
            if parsed is not None and (conflict := parts.put(f, instance, parsed, column, number)) is not None:
                issues.append(conflict)
