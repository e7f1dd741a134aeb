"""Mapping files: how another system's columns and codes land on the standard (``--mapping MAP.yaml``).

A mapping is YAML::

    source: {system: ctdc-vp, id_column: caseId}   # id_column optional: without it ids are sha256:row
    missing: ["", "-99"]                            # cell texts that mean "not recorded" (default: "")
    split: ";"                                      # separator of multi-valued cells (default ";")
    date_formats: ["%d/%m/%Y"]                      # default formats of date columns (default ISO)
    columns:
      gender: prs_Gender                            # short form: column -> field
      sexe: {field: prs_Gender, values: {F: Feminine, M: Masculine}}
      nationalities: {field: prs_Citizenship, split: "|"}
      opened: {field: ext_CaseOpenedDate, date_formats: ["%Y%m%d"]}
      trafficker2_role: {field: per_RoleInProcess, instance: 2}   # a second perpetrator
    flags:                                          # 1 = yes, 0 = no, missing = unknown (never "no")
      isForcedLabour: {field: vic_TypeOfExploitation, value: ForcedLabour}
    constants: {ext_DataSourceType: CaseManagement}
    ignore: [internal_note]                         # columns deliberately not imported (reported as info)

A column may feed several fields (a YAML list of rules). Value maps are case-insensitive and applied to
the whole cell first, then to each part after splitting; their targets may be system names or labels,
and ``null`` means "not recorded". Fields of perpetrators (``per_``), historic
trafficking events (``hte_``) and support plans (``spl_``) go into those parts of the record.

The file is read node by node (``yaml.compose``), not with ``safe_load``, for two reasons: every problem
is reported with its line, and scalars stay the text that was written (``No`` stays "No", not False).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ctdx.errors import InputFileError, ValidationError
from ctdx.ingest.values import choices_for, fold
from ctdx.standard import Field, load_standard, resolve_country

NULL_TAG = "tag:yaml.org,2002:null"
TOP_KEYS = frozenset({"source", "missing", "split", "date_formats", "columns", "flags", "constants", "ignore"})
COLUMN_KEYS = frozenset({"field", "values", "split", "date_formats", "instance"})
FLAG_KEYS = frozenset({"field", "value", "instance"})
SHIPPED = Path(__file__).parent / "mappings"


@dataclass(frozen=True)
class ColumnRule:
    column: str
    field: str
    values: dict[str, str | None] = dataclasses.field(default_factory=dict)
    split: str | None = None
    date_formats: tuple[str, ...] = ()
    instance: int = 1


@dataclass(frozen=True)
class FlagRule:
    column: str
    field: str
    value: str
    instance: int = 1


@dataclass(frozen=True)
class Mapping:
    """Columns and codes of one source system, mapped onto standard fields."""

    system: str
    id_column: str | None = None
    columns: dict[str, tuple[ColumnRule, ...]] = field(default_factory=dict)
    flags: dict[str, tuple[FlagRule, ...]] = field(default_factory=dict)
    constants: dict[str, str] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()
    missing: frozenset[str] = frozenset({""})
    split: str = ";"
    date_formats: tuple[str, ...] = ()
    name: str = ""

    def mentions(self) -> set[str]:
        """Every column of the file the mapping names."""
        named = set(self.columns) | set(self.flags) | set(self.ignore)
        return named | ({self.id_column} if self.id_column else set())


def shipped_mapping(name: str) -> Path:
    return SHIPPED / f"{name}.yaml"


class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, node: yaml.Node, message: str) -> None:
        line = node.start_mark.line + 1 if node.start_mark is not None else 1
        self.items.append(f"{self.source}:{line}: {message}")


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; ``ValidationError`` lists every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"mapping {path.name}: cannot be read ({type(exc).__name__})") from None
    return parse_mapping(text, path.name)


def parse_mapping(text: str, source: str = "mapping") -> Mapping:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ValidationError(f"{source}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    problems = _Problems(source)
    if not isinstance(root, yaml.MappingNode):
        raise ValidationError(f"{source}: a mapping file is a YAML mapping with 'source' and 'columns'")
    top = _pairs(root, problems, TOP_KEYS, "top level")
    mapping = _build(top, problems, source)
    if problems.items:
        raise ValidationError(
            f"mapping {source} has {len(problems.items)} problem(s):\n" + "\n".join(problems.items),
            problems=problems.items,
        )
    return mapping


def _pairs(node: yaml.MappingNode, problems: _Problems, allowed: frozenset[str], where: str) -> dict[str, yaml.Node]:
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        name = str(key.value)
        if name not in allowed:
            hint = difflib.get_close_matches(name, sorted(allowed), n=1)
            problems.add(key, f"unknown key {name!r} in {where}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        elif name in out:
            problems.add(key, f"{name!r} is given twice in {where}")
        else:
            out[name] = value
    return out


def _scalar(node: yaml.Node | None, problems: _Problems, what: str) -> str | None:
    if node is None:
        return None
    if not isinstance(node, yaml.ScalarNode):
        problems.add(node, f"{what} must be a single value")
        return None
    return None if node.tag == NULL_TAG else str(node.value)


def _strings(node: yaml.Node | None, problems: _Problems, what: str) -> list[str]:
    if node is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.add(node, f"{what} must be a list")
        return []
    return [s for item in node.value if (s := _scalar(item, problems, what)) is not None]


def _field(name: str | None, node: yaml.Node, problems: _Problems) -> Field | None:
    standard = load_standard()
    if not name:
        problems.add(node, "a field name is required")
        return None
    if not standard.has(name):
        hint = difflib.get_close_matches(name, [f.name for f in standard.fields], n=1)
        problems.add(node, f"unknown field {name!r}" + (f" (did you mean {hint[0]}?)" if hint else ""))
        return None
    return standard.field(name)


def _check_value(f: Field, target: str, node: yaml.Node, problems: _Problems) -> None:
    if f.vocabulary == "iso3166_alpha2":
        if resolve_country(target) is None:
            problems.add(node, f"{target!r} is not an ISO 3166-1 country for {f.name}")
    elif f.values and choices_for(f).resolve(target) is None:
        hint = choices_for(f).suggest(target)
        problems.add(node, f"{target!r} is not a value of {f.name}" + (f" (did you mean {hint}?)" if hint else ""))


def _check_formats(formats: list[str], node: yaml.Node, problems: _Problems) -> None:
    for fmt in formats:
        if not re.search(r"%[dmYybB]", fmt):
            problems.add(node, f"date format {fmt!r} has no day, month or year directive (%d, %m, %Y)")


def _instance(node: yaml.Node | None, problems: _Problems) -> int:
    text = _scalar(node, problems, "instance")
    if text is None:
        return 1
    if not text.isdigit() or int(text) < 1:
        problems.add(node, "instance must be a whole number from 1")  # type: ignore[arg-type]
        return 1
    return int(text)


def _items(node: yaml.Node) -> list[yaml.Node]:
    """A column may feed several fields: a list of rules, or one rule."""
    return list(node.value) if isinstance(node, yaml.SequenceNode) else [node]


def _column(column: str, node: yaml.Node, problems: _Problems) -> ColumnRule | None:
    if isinstance(node, yaml.ScalarNode):
        f = _field(_scalar(node, problems, "field"), node, problems)
        return ColumnRule(column, f.name) if f else None
    if not isinstance(node, yaml.MappingNode):
        problems.add(node, f"column {column!r}: give a field name or {{field: ..., values: ...}}")
        return None
    keys = _pairs(node, problems, COLUMN_KEYS, f"column {column!r}")
    f = _field(_scalar(keys.get("field"), problems, "field"), keys.get("field", node), problems)
    values: dict[str, str | None] = {}
    vnode = keys.get("values")
    if isinstance(vnode, yaml.MappingNode):
        for k, v in vnode.value:
            target = _scalar(v, problems, "a value map target")
            values[str(k.value)] = target
            if f is not None and target is not None:
                _check_value(f, target, v, problems)
    elif vnode is not None:
        problems.add(vnode, f"column {column!r}: values must be a mapping of code: value")
    col_split = _scalar(keys.get("split"), problems, "split")
    if col_split == "":
        problems.add(keys["split"], "split must not be empty")
    formats = _strings(keys.get("date_formats"), problems, "date_formats")
    if "date_formats" in keys:
        _check_formats(formats, keys["date_formats"], problems)
        if f is not None and f.type != "date":
            problems.add(keys["date_formats"], f"{f.name} is not a date field")
    if f is None:
        return None
    return ColumnRule(column, f.name, values, col_split, tuple(formats), _instance(keys.get("instance"), problems))


def _flag(column: str, node: yaml.Node, problems: _Problems) -> FlagRule | None:
    if not isinstance(node, yaml.MappingNode):
        problems.add(node, f"flag {column!r}: give {{field: ..., value: ...}}")
        return None
    keys = _pairs(node, problems, FLAG_KEYS, f"flag {column!r}")
    f = _field(_scalar(keys.get("field"), problems, "field"), keys.get("field", node), problems)
    value = _scalar(keys.get("value"), problems, "value")
    if f is None:
        return None
    if not f.values and f.vocabulary is None:
        problems.add(keys.get("field", node), f"flag {column!r}: {f.name} is not a picklist")
        return None
    if value is None:
        problems.add(node, f"flag {column!r}: the value it stands for is required")
        return None
    _check_value(f, value, keys["value"], problems)
    return FlagRule(column, f.name, value, _instance(keys.get("instance"), problems))


def _build(top: dict[str, yaml.Node], problems: _Problems, source: str) -> Mapping:
    system, id_column = None, None
    snode = top.get("source")
    if isinstance(snode, yaml.MappingNode):
        skeys = _pairs(snode, problems, frozenset({"system", "id_column"}), "source")
        system = _scalar(skeys.get("system"), problems, "source.system")
        id_column = _scalar(skeys.get("id_column"), problems, "source.id_column")
    if not system:
        problems.add(
            snode or _first_node(top), "source.system is required (the name of the system the file comes from)"
        )
    split = _scalar(top.get("split"), problems, "split") or ";"
    columns: dict[str, tuple[ColumnRule, ...]] = {}
    cnode = top.get("columns")
    if isinstance(cnode, yaml.MappingNode):
        for k, v in cnode.value:
            found = [_column(str(k.value), item, problems) for item in _items(v)]
            columns[str(k.value)] = tuple(r for r in found if r is not None)
    elif cnode is not None:
        problems.add(cnode, "columns must be a mapping of column: field")
    flags: dict[str, tuple[FlagRule, ...]] = {}
    fnode = top.get("flags")
    if isinstance(fnode, yaml.MappingNode):
        for k, v in fnode.value:
            if str(k.value) in columns:
                problems.add(k, f"column {k.value!r} is mapped both as a column and as a flag")
            flagged = [_flag(str(k.value), item, problems) for item in _items(v)]
            flags[str(k.value)] = tuple(r for r in flagged if r is not None)
    constants: dict[str, str] = {}
    knode = top.get("constants")
    if isinstance(knode, yaml.MappingNode):
        for k, v in knode.value:
            f = _field(str(k.value), k, problems)
            value = _scalar(v, problems, "a constant")
            if f is not None and value is not None:
                _check_value(f, value, v, problems)
                constants[f.name] = value
    if not columns and not flags and not constants:
        problems.add(cnode or _first_node(top), "the mapping maps no column")
    formats = _strings(top.get("date_formats"), problems, "date_formats")
    if "date_formats" in top:
        _check_formats(formats, top["date_formats"], problems)
    missing = _strings(top.get("missing"), problems, "missing") if "missing" in top else [""]
    return Mapping(
        system=system or "",
        id_column=id_column,
        columns=columns,
        flags=flags,
        constants=constants,
        ignore=frozenset(_strings(top.get("ignore"), problems, "ignore")),
        missing=frozenset(fold(m) for m in missing) | {""},
        split=split,
        date_formats=tuple(formats),
        name=source,
    )


def _first_node(top: dict[str, yaml.Node]) -> yaml.Node:
    return next(iter(top.values()), yaml.ScalarNode(NULL_TAG, ""))
