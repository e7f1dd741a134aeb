"""Information loss of our k-anonymous output and anjana's, by the same measure (Iyengar's loss metric over
the same hierarchies; a suppressed or removed row loses 1 on every quasi-identifier).

Run after ``run_ours.py D kanon`` and ``run_anjana.py D``: ``.venv/bin/python bench/privacy/compare_kanon.py D1``;
``report.py`` calls ``compare`` for each dataset.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def loss_table(levels: list[list[str]]) -> dict[str, float]:
    """Label -> loss: (leaves under it - 1) / (leaves - 1), leaves being the level-0 values with missing."""
    leaves = len(levels[0])
    loss: dict[str, float] = {}
    for level in levels[1:]:
        for label in set(level):
            if label != "":
                loss.setdefault(label, (level.count(label) - 1) / (leaves - 1))
    for label in levels[0]:
        loss[label] = 0.0
    loss["*"] = 1.0
    return loss


def information_loss(path: Path, hierarchies: dict[str, list[list[str]]], rows_in: int) -> dict[str, float]:
    tables = {q: loss_table(levels) for q, levels in hierarchies.items()}
    total, rows, classes = 0.0, 0, {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows += 1
            key = tuple(row[q] for q in hierarchies)
            classes[key] = classes.get(key, 0) + 1
            total += sum(tables[q].get(row[q], 1.0) for q in hierarchies)
    removed = rows_in - rows
    total += removed * len(hierarchies)
    discernibility = sum(size * size for size in classes.values()) + removed * rows_in
    return {
        "information_loss": total / (rows_in * len(hierarchies)),
        "rows_out": rows,
        "rows_removed": removed,
        "classes": len(classes),
        "smallest_class": min(classes.values()),
        "discernibility_over_n2": discernibility / rows_in**2,
    }


def compare(dataset: str) -> dict[str, dict[str, float]]:
    """Both tools' loss on ``dataset``, written to ``out/<D>/kanon_comparison.json``."""
    folder = OUT / dataset
    hierarchies = json.loads((folder / "hierarchies.json").read_text())
    rows_in = json.loads((folder / "domain.json").read_text())["train_rows"]
    result: dict[str, dict[str, float]] = {}
    if (folder / "ours_kanon.json").is_file():
        ours = json.loads((folder / "ours_kanon.json").read_text())
        result["ours"] = information_loss(folder / "ours_kanon.csv", hierarchies, rows_in) | {
            "seconds": ours["fit_seconds"],
            "verified_k": float(ours["verified_k"]),
            "rows_locally_suppressed": ours["rows_locally_suppressed"],
        }
    if (folder / "anjana_kanon.json").is_file():
        anjana = json.loads((folder / "anjana_kanon.json").read_text())
        result["anjana"] = information_loss(folder / "anjana_kanon.csv", hierarchies, rows_in) | {
            "seconds": anjana["fit_seconds"],
            "pycanon_k": anjana["pycanon_k"],
        }
    (folder / "kanon_comparison.json").write_text(json.dumps(result, indent=1))
    return result


def main() -> None:
    print(json.dumps(compare(sys.argv[1]), indent=1))


if __name__ == "__main__":
    main()
