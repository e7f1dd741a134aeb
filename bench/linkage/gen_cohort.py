"""LD5 (benchmarks.md B8): the ``ctdx sample`` cohorts of the scale benchmark, written once and reused.

    python bench/linkage/gen_cohort.py 10000 100000 1000000

writes ``data/ld5-<cases>/`` (git-ignored) with ``ctdx sample --cases N --orgs 5 --seed 1``: one CSV per
organisation and ``truth.csv`` (record -> person). The generator is seeded and chunked, so a cohort is
the same on every machine; an existing folder is kept.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORGANISATIONS = 5
SEED = 1


def cohort_dir(cases: int) -> Path:
    return HERE / "data" / f"ld5-{cases}"


def ensure_cohort(cases: int) -> Path:
    """The folder of the LD5 cohort of ``cases`` records, generated if missing."""
    folder = cohort_dir(cases)
    if (folder / "truth.csv").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    ctdx = Path(sys.executable).with_name("ctdx")
    command = [str(ctdx), "sample", "--cases", str(cases), "--orgs", str(ORGANISATIONS), "--seed", str(SEED)]
    subprocess.run([*command, "--out", str(folder)], check=True)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=int, nargs="+")
    for cases in parser.parse_args().cases:
        print(ensure_cohort(cases))


if __name__ == "__main__":
    main()
