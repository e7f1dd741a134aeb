"""The two benchmark datasets, split 80/20 with numpy seed 20261129, written once for every system to read.

- **D0**: the public CTDC VP synthetic file (21,195 x 16). A blank cell becomes the category ``NA`` and a
  multi-valued cell such as ``Female;Male`` stays one category, as the anchors did (shared/anchors/privacy.md).
  Its declared domain is the set of values anywhere in the public file: the stand-in for the data dictionary.
- **D1**: a seeded ``ctdx sample`` cohort through our publication schema (29 columns); missing is its own
  category and the domain is the schema's (from the standard, never from the data).

``prepare`` writes ``out/<D>/train.csv``, ``control.csv``, ``domain.json`` and ``hierarchies.json`` (the
k-anonymity hierarchies, so that anjana and ctdx generalise the same way). In D1's CSVs missing is the empty
string; the anchors' runners turn it into ``NA`` (no D1 category is ``NA``). Nothing is downloaded.

Run: ``.venv/bin/python bench/privacy/data.py D0 D1 [--cases 100000]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
from pathlib import Path

import numpy as np

from ctdx.privacy import (
    Column,
    Hierarchy,
    PublicationSchema,
    PublicationTable,
    build_hierarchy,
    load_publication_schema,
    publish_records,
)
from ctdx.release.files import write_csv
from ctdx.sample import generate_cohort

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ROOT = HERE.parent.parent
SHARED = Path(os.environ.get("CTDX_SHARED", ROOT.parent / "shared"))
D0_FILE = SHARED / "data" / "ctdc" / "CTDC_VPsynthetic_condensed.csv"
FIRST_YEAR, LAST_YEAR = 2000, 2026
SPLIT_SEED = 20261129
NA = "NA"

# The anchors' quasi-identifiers (shared/anchors/privacy.md), so that anjana and ctdx run on the same ones.
QUASI_IDENTIFIERS = {
    "D0": ("yearRegister", "gender", "majorityStatus", "UN_COO_Region", "UN_COE_Region"),
    "D1": ("yearOfRegistration", "gender", "ageBroad", "citizenship", "CountryOfExploitation"),
}
# What the inference attacker wants to learn (the quasi-identifiers are what it knows).
SECRETS = {
    "D0": ("isSexualExploit", "isForcedLabour", "IP_Relation"),
    "D1": ("isSexualExploit", "meansDebtBondageEarnings", "recruiterRelation"),
}
D0_PERIODS = {"2005-2013": "2005-2018", "2014-2018": "2005-2018", "2019": "2019-2022", "2020": "2019-2022"}
D0_PERIODS |= {"2021-2022": "2019-2022", NA: NA}


def schema() -> PublicationSchema:
    return load_publication_schema(first_year=FIRST_YEAR, last_year=LAST_YEAR)


def split(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and control masks: 80 % and 20 % of ``n`` rows, numpy seed 20261129."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    cut = int(0.8 * n)
    train, control = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    train[order[:cut]] = True
    control[order[cut:]] = True
    return train, control


def d0_schema(path: Path = D0_FILE) -> PublicationSchema:
    """D0's columns as picklists whose domain is every value in the public file (blank = ``NA``)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        values: list[set[str]] = [set() for _ in header]
        for row in reader:
            for seen, value in zip(values, row, strict=True):
                seen.add(value or NA)
    columns = tuple(
        Column(name=n, title=n, kind="picklist", source=n, categories=tuple(sorted(v)), hierarchy="suppress")
        for n, v in zip(header, values, strict=True)
    )
    return PublicationSchema("ctdc-vp-condensed", "2022-12-01", columns, (2005, 2022), (), (), 18)


def d0(path: Path = D0_FILE) -> tuple[PublicationTable, PublicationTable]:
    """Train (80 %) and control (20 %) tables of the CTDC VP public file."""
    d0s = d0_schema(path)
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        table = PublicationTable.from_rows(d0s, header, ([v or NA for v in row] for row in reader))
    train, control = split(len(table))
    return table.take(train), table.take(control)


def d1(cases: int = 100_000, seed: int = 7) -> tuple[PublicationTable, PublicationTable]:
    """Train (80 %) and control (20 %) tables of a generated cohort of ``cases`` records."""
    cohort = generate_cohort(cases, 10, seed)
    # every generated record enters: the benchmark measures the methods, not the consent filter
    table = publish_records(cohort.records(), schema(), consent=lambda record: True).table
    train, control = split(len(table))
    return table.take(train), table.take(control)


def hierarchies(dataset: str, table_schema: PublicationSchema) -> dict[str, Hierarchy]:
    """The k-anonymity hierarchies of the dataset's quasi-identifiers."""
    out = {}
    for q in QUASI_IDENTIFIERS[dataset]:
        column = table_schema.column(q)
        if dataset == "D1":
            out[q] = build_hierarchy(column)
        else:
            out[q] = build_hierarchy(column, [D0_PERIODS] if q == "yearRegister" else [])
    return out


def save(table: PublicationTable, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, table.schema.names, table.rows())


def load(dataset: str, name: str = "train") -> PublicationTable:
    """A split written by ``prepare``, read back through the dataset's schema."""
    folder = OUT / dataset
    table_schema = d0_schema() if dataset == "D0" else schema()
    with (folder / f"{name}.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        return PublicationTable.from_rows(table_schema, next(reader), reader)


def prepare(dataset: str, cases: int) -> None:
    folder = OUT / dataset
    train, control = d0() if dataset == "D0" else d1(cases)
    save(train, folder / "train.csv")
    save(control, folder / "control.csv")
    names = train.schema.names
    domain = {n: list(train.schema.column(n).categories) for n in names}
    if dataset == "D1" and any(NA in values for values in domain.values()):
        raise SystemExit("a D1 category is spelled NA: the missing token would be ambiguous")
    meta = {
        "dataset": dataset,
        "rows": len(train) + len(control),
        "train_rows": len(train),
        "control_rows": len(control),
        "columns": len(names),
        "missing_is_na": dataset == "D1",
        "quasi_identifiers": list(QUASI_IDENTIFIERS[dataset]),
        "secrets": list(SECRETS[dataset]),
        "domain": domain,
    }
    (folder / "domain.json").write_text(json.dumps(meta))
    trees = hierarchies(dataset, train.schema)
    levels = {
        q: [[tree.labels[level][int(code)] for code in tree.maps[level]] for level in range(tree.height + 1)]
        for q, tree in trees.items()
    }
    (folder / "hierarchies.json").write_text(json.dumps(levels))
    print(f"{dataset}: {len(train)} train rows, {len(control)} control rows, {len(names)} columns")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("datasets", nargs="+", choices=("D0", "D1"))
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    for dataset in args.datasets:
        prepare(dataset, args.cases)


if __name__ == "__main__":
    main()
