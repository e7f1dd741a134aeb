"""Write an LD5 ``ctdx sample`` cohort as a benchmark CSV, so the anchors link the same records as ours.

    python bench/linkage/export_sample.py 10000 100000     # data/ld5-10000.csv, data/ld5-100000.csv

The cohort folder ``data/ld5-<cases>/`` (``gen_cohort.py``: one CSV per organisation in HTCDS fields and
``truth.csv``) is generated first if missing, which needs the project's venv (``ctdx sample``). The CSV has
the columns every anchor reads (``anchors/common.py``): ``rec_id``, ``given_name`` (first and middle names),
``surname``, ``date_of_birth`` (``YYYYMMDD``, empty when the record has no full date), ``sex``,
``citizenship``, ``entity_id`` (the generator's person) and ``file`` (the organisation, so the task is
link-and-dedupe over five organisations).

The values get the cleaning a plaintext user would give them before Splink or clkhash, and no more:
Unicode compatibility form, accents removed, lower case, single spaces. Not transliteration, name order
or nicknames: that is ``ctdx.linkage.normalise``, the product under test, which ``run_ours.py`` applies to
the cohort's own HTCDS values (the folder, not this CSV).
"""

from __future__ import annotations

import argparse
import csv
import unicodedata
from pathlib import Path

from gen_cohort import ensure_cohort
from run_scale import load

HERE = Path(__file__).resolve().parent
COLUMNS = ["rec_id", "given_name", "surname", "date_of_birth", "sex", "citizenship", "entity_id", "file"]


def clean(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def rows(folder: Path) -> list[dict[str, str]]:
    """The cohort's records in the benchmark columns, read by ``run_scale.load`` as ours reads them."""
    ids, orgs, values, truth = load(folder)
    out = []
    for uid, org, record in zip(ids, orgs, values, strict=True):
        given = " ".join(str(record[c]) for c in ("prs_FirstName", "prs_MiddleName") if record.get(c))
        birth = str(record.get("prs_Birthdate", ""))
        out.append(
            {
                "rec_id": uid.removeprefix(f"{org}:"),
                "given_name": clean(given),
                "surname": clean(str(record.get("prs_SecondName", ""))),
                "date_of_birth": birth[:10].replace("-", "") if len(birth) >= 10 else "",
                "sex": clean(str(record.get("prs_Gender", ""))),
                "citizenship": clean(";".join(record.get("prs_Citizenship", ()))),  # type: ignore[arg-type]
                "entity_id": truth[uid],
                "file": org,
            }
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=int, nargs="+")
    for cases in parser.parse_args().cases:
        data = rows(ensure_cohort(cases))
        out = HERE / "data" / f"ld5-{cases}.csv"
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, COLUMNS)
            writer.writeheader()
            writer.writerows(data)
        print(f"ld5-{cases}: {len(data)} records, {len({r['entity_id'] for r in data})} persons -> {out}")


if __name__ == "__main__":
    main()
