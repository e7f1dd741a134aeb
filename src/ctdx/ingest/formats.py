"""Which kind of table a file holds, and the mapping that reads it.

- ``native``: the header holds standard field names (or their aliases); multi-selects joined with ``;``;
  an optional ``source_record_id`` column gives the source ids, an optional ``source_system`` column the
  system they belong to (default ``ctdx-csv``).
- ``htcds-template``: a spreadsheet whose row 1 holds field names and row 2 their labels (the official
  HTCDS Excel templates). Columns are matched on name *and* label, mismatches are reported; ``;``.
- ``kobo``: KoboToolbox/ODK exports, recognised by meta columns (``_uuid``, ``_submission_time``...) or
  group prefixes (``group/field``); XLSForm names with prefixes stripped; multi-selects space-separated;
  ids from ``_uuid`` (else ``meta/instanceID``). ODK Central's CSV (``group-field``, ``SubmissionDate``,
  ``meta-instanceID``, ``KEY``) reads the same way.
- ``ctdc``: CTDC column names (``isForcedLabour``, ``IP_Exploiter``...); read through a mapping, and the
  Victim-Perpetrator file gets the shipped ``ctdc-vp.yaml``.
- ``mapped``: ``--mapping MAP.yaml``, read as the mapping says.
- ``jsonl``: JSON Lines, one CaseRecord-shaped object per line.

Without an id column, a record's id is ``<sha256 of the file>:<row number>``: the same file imported
twice creates no duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ctdx.errors import InputFileError, ValidationError
from ctdx.ingest.mapping import ColumnRule, FlagRule, Mapping, load_mapping, shipped_mapping
from ctdx.ingest.report import Issue
from ctdx.ingest.sources import Table
from ctdx.ingest.values import Raw, choices_for, fold, is_blank, raw_text
from ctdx.standard import Field, Standard, load_standard

Dialect = Literal["native", "htcds-template", "kobo", "ctdc", "mapped", "jsonl"]
DIALECTS: tuple[Dialect, ...] = ("native", "htcds-template", "kobo", "ctdc", "mapped", "jsonl")
NATIVE_ID = "source_record_id"
NATIVE_SYSTEM = "source_system"
KOBO_META = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "audit",
        "meta/instanceID",
        "meta/instanceName",
        "meta/deprecatedID",
        "formhub/uuid",
        "__version__",
        "SubmissionDate",
        "SubmitterID",
        "SubmitterName",
        "AttachmentsPresent",
        "AttachmentsExpected",
        "Status",
        "ReviewState",
        "DeviceID",
        "Edits",
        "FormVersion",
        "KEY",
    }
)
KOBO_MARKERS = frozenset({"_uuid", "_submission_time", "_id", "meta/instanceID", "_xform_id_string", "SubmissionDate"})
KOBO_IDS = ("_uuid", "meta/instanceID", "KEY")  # the first present is the source id
# Column names of CTDC's published files (data-standard.md section 6): a few are enough to recognise one.
CTDC_MARKERS = frozenset(
    {
        "yearOfRegistration",
        "yearRegister",
        "Datasource",
        "majorityStatus",
        "majorityStatusAtExploit",
        "isForcedLabour",
        "isSexualExploit",
        "isOtherExploit",
        "ageBroad",
        "CountryOfExploitation",
        "UN_COO_Region",
        "IP_Exploiter",
        "IP_RecruiterBroker",
        "meansOfControlDebtBondage",
    }
)
CTDC_VP_COLUMNS = frozenset(
    {
        "yearRegister",
        "gender",
        "majorityStatus",
        "isForcedLabour",
        "isSexualExploit",
        "UN_COO_Region",
        "UN_COE_Region",
        "IP_Exploiter",
        "IP_Gender",
        "IP_ageBroad",
        "IP_citizen_UNRegion",
        "IP_Relation",
        "IP_PayMoney",
        "IP_RecruiterBroker",
        "IP_TransactionProcess",
        "IP_ControlAbuseKidnap",
    }
)


@dataclass
class Plan:
    """How to read each column of a table: the rule per column index, the id column, what is ignored."""

    dialect: Dialect
    mapping: Mapping
    columns: list[str]
    rules: dict[int, list[ColumnRule | FlagRule]] = field(default_factory=dict)
    id_index: int | None = None
    system_index: int | None = None
    ignored: set[int] = field(default_factory=set)
    multi_split: str = ";"
    notes: list[Issue] = field(default_factory=list)

    @property
    def system(self) -> str:
        return self.mapping.system


def _field_name(standard: Standard, column: str) -> str | None:
    return standard.field(column).name if standard.has(column) else None


def _kobo_name(standard: Standard, column: str) -> str | None:
    return _field_name(standard, column.replace("-", "/").rsplit("/", 1)[-1])


def detect_dialect(table: Table, declared: Dialect | None = None) -> Dialect:
    if table.container == "jsonl":
        return "jsonl"
    if declared is not None:
        return declared
    standard = load_standard()
    cols = set(table.columns)
    if len(cols & CTDC_MARKERS) >= 3:
        return "ctdc"
    slashed = {c.replace("-", "/") for c in cols}
    if slashed & KOBO_MARKERS or any("/" in c and _kobo_name(standard, c) for c in slashed):
        return "kobo"
    if table.container != "csv" and _template_score(table) >= 3:
        return "htcds-template"
    return "native"


def _template_score(table: Table) -> int:
    second = table.rows.peek()
    if second is None:
        return 0
    standard = load_standard()
    score = 0
    for name, label in zip(table.columns, second.cells, strict=False):
        if standard.has(name) and fold(raw_text(label)) == fold(standard.field(name).label):
            score += 1
    return score


def make_plan(table: Table, dialect: Dialect, mapping: Mapping | None = None) -> Plan:
    """The plan for reading ``table`` as ``dialect`` (with the mapping, when one is given)."""
    if mapping is not None:
        return _mapped(table, mapping, "mapped")
    if dialect == "ctdc":
        if set(table.columns) >= CTDC_VP_COLUMNS:
            return _mapped(table, load_mapping(shipped_mapping("ctdc-vp")), "ctdc")
        raise InputFileError(
            "a CTDC-format file: give a mapping with --mapping (the shipped ctdc-vp.yaml reads the "
            "Victim-Perpetrator synthetic dataset; copy and adapt it)"
        )
    if dialect == "htcds-template":
        return _template(table)
    if dialect == "kobo":
        return _kobo(table)
    return _native(table)


def _plan_from_names(table: Table, dialect: Dialect, system: str, names: list[str | None], split: str) -> Plan:
    """A plan where column ``i`` holds the field ``names[i]`` (None: not a field)."""
    rules: dict[str, ColumnRule] = {}
    plan = Plan(dialect, Mapping(system=system), table.columns, multi_split=split)
    for index, name in enumerate(names):
        if name is not None:
            rule = rules.setdefault(name, ColumnRule(table.columns[index] or name, name))
            plan.rules[index] = [rule]
    plan.mapping = Mapping(system=system, columns={r.column: (r,) for r in rules.values()})
    return plan


def _unknown(plan: Plan, index: int, column: str) -> None:
    if not column:
        plan.ignored.add(index)
        plan.notes.append(
            Issue("unnamed_column", "warning", f"column {index + 1} has no header: its values are not imported")
        )
        return
    plan.notes.append(
        Issue(
            "unknown_column",
            "warning",
            f"{column!r} is not a standard field: its values are not imported",
            None,
            column,
        )
    )


def _native(table: Table) -> Plan:
    standard = load_standard()
    names = [_field_name(standard, c) for c in table.columns]
    plan = _plan_from_names(table, "native", "ctdx-csv", names, ";")
    for index, column in enumerate(table.columns):
        if column == NATIVE_ID:
            plan.id_index = index
        elif column == NATIVE_SYSTEM:
            plan.system_index = index
        elif names[index] is None:
            _unknown(plan, index, column)
    if not plan.rules:
        raise InputFileError(
            "no column of this file is a standard field: give a mapping (--mapping) or declare the format (--format)"
        )
    return plan


def _template(table: Table) -> Plan:
    standard = load_standard()
    labels_row = next(table.rows)
    labels = [raw_text(c) for c in labels_row.cells]
    by_label = {fold(f.label): f.name for f in standard.fields if not f.extension}
    names: list[str | None] = []
    notes: list[Issue] = []
    for index, column in enumerate(table.columns):
        label = labels[index] if index < len(labels) else ""
        name = _field_name(standard, column)
        if name is None and not column:
            found = by_label.get(fold(label)) if label else None
            if found is not None:
                msg = f"column {index + 1} has no field name; matched by its label {label!r} to {found}"
                notes.append(Issue("header_mismatch", "info", msg, 1, found, found))
            names.append(found)
            continue
        if name is not None and label and fold(label) != fold(standard.field(name).label):
            msg = f"named {column} but labelled {label!r}: read as {name} (the name); check the data in this column"
            notes.append(Issue("header_mismatch", "warning", msg, 2, column, name))
        elif name is not None and column != name:
            notes.append(
                Issue("header_mismatch", "info", f"{column!r} read as {name} (a known misspelling)", 1, column)
            )
        names.append(name)
    plan = _plan_from_names(table, "htcds-template", "htcds-excel", names, ";")
    for index, column in enumerate(table.columns):
        if names[index] is None:
            label = labels[index] if index < len(labels) else ""
            if not column and not label:
                plan.ignored.add(index)
                notes.append(Issue("ignored_column", "info", f"column {index + 1}: the template's row numbers"))
            else:
                _unknown(plan, index, column or label)
    plan.notes[:0] = notes
    return plan


def _kobo(table: Table) -> Plan:
    standard = load_standard()
    meta_columns = [c.startswith("_") or c.replace("-", "/") in KOBO_META for c in table.columns]
    names = [None if meta else _kobo_name(standard, c) for c, meta in zip(table.columns, meta_columns, strict=True)]
    plan = _plan_from_names(table, "kobo", "kobo", names, " ")
    present = {n for n in names if n}
    meta: list[str] = []
    for index, column in enumerate(table.columns):
        if names[index] is not None:
            continue
        if meta_columns[index]:
            plan.ignored.add(index)
            meta.append(column)
        elif "/" in column and (parent := _kobo_name(standard, column.rsplit("/", 1)[0])) is not None:
            _kobo_choice_column(plan, index, column, standard.field(parent), parent in present)
        else:
            _unknown(plan, index, column)
    slashed = [c.replace("-", "/") for c in table.columns]
    plan.id_index = next((slashed.index(c) for c in KOBO_IDS if c in slashed), None)
    if meta:
        plan.notes.append(Issue("ignored_column", "info", f"Kobo/ODK metadata not imported: {', '.join(meta)}"))
    if not plan.rules:
        raise InputFileError("no column of this Kobo/ODK export is a field of the HTCDS XLSForm")
    return plan


def _kobo_choice_column(plan: Plan, index: int, column: str, parent: Field, aggregate: bool) -> None:
    """``field/Choice`` columns of a Kobo export with select_multiple questions split one column per choice.

    They repeat the field's own column, which is read instead; without that column they are read as flags.
    """
    if aggregate:
        plan.ignored.add(index)
        msg = f"{column!r}: a one-column-per-choice copy of {parent.name}, which is read from its own column"
        plan.notes.append(Issue("ignored_column", "info", msg, None, column))
        return
    value = choices_for(parent).resolve(column.rsplit("/", 1)[1])
    if not parent.multiple or value is None:
        _unknown(plan, index, column)
        return
    plan.rules[index] = [FlagRule(column, parent.name, value)]


def _mapped(table: Table, mapping: Mapping, dialect: Dialect) -> Plan:
    plan = Plan(dialect, mapping, table.columns)
    present = set(table.columns)
    for index, column in enumerate(table.columns):
        rules: list[ColumnRule | FlagRule] = [*mapping.columns.get(column, ()), *mapping.flags.get(column, ())]
        if column in mapping.columns or column in mapping.flags:
            plan.rules[index] = rules
        elif column == mapping.id_column:
            plan.id_index = index
        elif column in mapping.ignore:
            plan.ignored.add(index)
            plan.notes.append(Issue("ignored_column", "info", f"{column!r} is ignored by the mapping", None, column))
        else:
            _unknown(plan, index, column)
    absent = sorted(c for c in mapping.mentions() if c not in present)
    if mapping.id_column and mapping.id_column not in present:
        raise InputFileError(f"the id column {mapping.id_column!r} named by the mapping is not in the file")
    if absent:
        msg = f"columns named by the mapping are not in the file: {', '.join(absent)}"
        plan.notes.append(Issue("mapped_column_absent", "warning", msg))
    if not plan.rules and not mapping.constants:
        raise InputFileError("no column of the file is named by the mapping")
    return plan


def assign_columns(plan: Plan, fields: dict[str, str | None]) -> None:
    """Read the named columns of ``plan``'s file as the given standard fields (None: do not import), on top
    of what the plan recognised by itself: the browser's "choose the field of this column" step, for files
    whose headers are neither field names nor labels. A column the plan already reads keeps its rule unless
    it is named here; a name that is not a column of the file, or not a field, is refused."""
    standard = load_standard()
    positions = {column: index for index, column in enumerate(plan.columns) if column}
    for column, name in fields.items():
        if column not in positions:
            raise ValidationError(f"the file has no column {column!r}", field=column)
        if name is not None and (not standard.has(name) or standard.field(name).name != name):
            raise ValidationError(f"{name!r} is not a field of the standard", field=column)
    for column, name in fields.items():
        index = positions[column]
        plan.notes = [n for n in plan.notes if not (n.code == "unknown_column" and n.column == column)]
        if name is None:
            plan.rules.pop(index, None)
            plan.ignored.add(index)
            plan.notes.append(Issue("ignored_column", "info", f"{column!r} is not imported, as chosen", None, column))
        else:
            plan.ignored.discard(index)
            plan.rules[index] = [ColumnRule(column, name)]


def blank_cells(cells: list[Raw], ignored: set[int]) -> bool:
    return all(is_blank(c) for i, c in enumerate(cells) if i not in ignored)
