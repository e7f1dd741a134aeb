"""Independent checks of a written release file: k-anonymity and l-diversity proved from the file alone.

Deliberately shares no code with ``kanon``: it reads the CSV with the standard library and counts every
combination of quasi-identifier values as written, so a bug in the anonymiser or in the writer cannot
hide itself. Messages give counts and column names, never values.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ctdx.errors import InputFileError, ValidationError


@dataclass(frozen=True)
class KCheck:
    """What the file shows: its rows, classes, the smallest class and every violation counted."""

    path: str
    k: int
    l_diversity: int | None
    rows: int
    classes: int
    smallest_class: int
    violating_classes: int
    violating_rows: int
    not_diverse_classes: int

    @property
    def ok(self) -> bool:
        return self.violating_classes == 0 and self.not_diverse_classes == 0


def check_k_anonymity(
    path: Path,
    *,
    quasi_identifiers: Sequence[str],
    k: int,
    sensitive: Sequence[str] = (),
    l_diversity: int | None = None,
) -> KCheck:
    """Count every quasi-identifier combination in the CSV at ``path`` and compare with ``k`` (and ``l``)."""
    if k < 1:
        raise ValidationError("k must be at least 1")
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read {path.name}: {exc.strerror}", path=str(path)) from None
    with handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        absent = [c for c in (*quasi_identifiers, *sensitive) if c not in header]
        if absent:
            raise InputFileError(f"{path.name} has no column {', '.join(absent)}", path=str(path))
        sizes: Counter[tuple[str, ...]] = Counter()
        values: dict[tuple[str, ...], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        rows = 0
        for row in reader:
            if None in row or any(v is None for v in row.values()):
                raise InputFileError(
                    f"{path.name}: line {reader.line_num} has the wrong number of cells", path=str(path)
                )
            key = tuple(row[c] for c in quasi_identifiers)
            sizes[key] += 1
            rows += 1
            for s in sensitive:
                if row[s] != "":
                    values[key][s].add(row[s])
    small = {key: size for key, size in sizes.items() if size < k}
    not_diverse = 0
    if l_diversity is not None:
        not_diverse = sum(1 for key in sizes if any(len(values[key][s]) < l_diversity for s in sensitive))
    return KCheck(
        path=str(path),
        k=k,
        l_diversity=l_diversity,
        rows=rows,
        classes=len(sizes),
        smallest_class=min(sizes.values(), default=0),
        violating_classes=len(small),
        violating_rows=sum(small.values()),
        not_diverse_classes=not_diverse,
    )
