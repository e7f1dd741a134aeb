"""Re-identification by the frequency and pattern-mining attacks for each hardening option of the encoder.

Runs ``ctdx.linkage.attacks.attack_check`` (the code of ``ctdx hub attack-check``) against every name
field's encodings under each configuration, with two public name lists: the FEBRL4 surnames with their
counts in file A (the attacker knows the population's frequencies exactly; 1,827 names, the commonest 3 %)
and a steeper Zipf list (400 names, count ~ 1/rank, the commonest 15 %); given and family names are both
drawn from the list. Birth years come from the public age distribution in ``attacks.PUBLIC_BIRTH_YEARS``;
the birth-date salt is also run with 49 % of people without a birth date (the ``ctdx sample`` cohort's
share). Each row gives the most exposed field. The F1 cost of each option is in the ``run_ours.py``
results with the same ``--salt`` / ``--flip`` options.

    .venv/bin/python bench/linkage/attack_hardening.py --records 2000
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
from collections import Counter
from itertools import permutations
from pathlib import Path

from ctdx.linkage.attacks import attack_check
from ctdx.linkage.encoding import EncodingConfig

HERE = Path(__file__).resolve().parent
SYLLABLES = ["ka", "lo", "mi", "ren", "tas", "vo", "dra", "sel", "nu", "bek", "ho", "zin", "pa", "gor", "li"]
# (configuration, share of people without a birth date)
OPTIONS = {
    "unbalanced, no flips": (EncodingConfig(balanced=False, flip_probability=0.0, salt="none"), 0.0),
    "balanced + flips 0.02": (EncodingConfig(salt="none"), 0.0),
    "balanced + flips 0.05": (EncodingConfig(flip_probability=0.05, salt="none"), 0.0),
    "balanced + flips 0.02 + birth-year salt": (EncodingConfig(salt="birth-year"), 0.0),
    "balanced + flips 0.02 + birth-date salt": (EncodingConfig(salt="birth-date"), 0.0),
    "balanced + flips 0.02 + birth-date salt, 49 % without a birth date": (EncodingConfig(salt="birth-date"), 0.49),
}


def febrl_surnames() -> dict[str, int]:
    with (HERE / "data" / "febrl4.csv").open(encoding="utf-8") as handle:
        return dict(Counter(r["surname"] for r in csv.DictReader(handle) if r["file"] == "a" and r["surname"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "attack-hardening.json")
    args = parser.parse_args()
    lists = {
        "febrl4 surnames": febrl_surnames(),
        "zipf 400": {"".join(p): 10000 // (r + 1) for r, p in enumerate(list(permutations(SYLLABLES, 3))[:400])},
    }
    rows = []
    for list_name, names in lists.items():
        for label, (config, missing) in OPTIONS.items():
            before = resource.getrusage(resource.RUSAGE_SELF)
            report = attack_check(names, {}, records=args.records, config=config, seed=args.seed, missing_birth=missing)
            after = resource.getrusage(resource.RUSAGE_SELF)
            worst = report.hardened
            rows.append(
                {
                    "names": list_name,
                    "option": label,
                    "most_exposed_field": report.worst_field,
                    **worst.summary(),
                    "fields": {name: rates.summary() for name, rates in report.fields.items()},
                    "cpu_s": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
                }
            )
            print(
                f"{list_name:16s} {label:68s} {report.worst_field:8s} freq {worst.frequency:.3f} "
                f"pm {worst.pattern_mining:.3f} guess {worst.guess:.3f} excess {worst.excess:.3f}",
                flush=True,
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"records": args.records, "seed": args.seed, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
