"""Attack numbers for the linkage table: re-identification by the frequency and pattern-mining attacks.

Runs ``ctdx.linkage.attacks.attack_check`` (the code behind ``ctdx hub attack-check``) on an LD5-like
``ctdx sample`` cohort: the public name list is the cohort's own family names with their counts (the
attacker knows the population's name frequencies exactly, the attacker's best case), the hub's encodings
are the cohort's name filters (every name field) under a secret the attacker does not have, and the
simulated people lack a birth date as often as the cohort's cases. Reports, per name field, the share of
simulated people each attack re-identifies beside a blind guess, hardened (our configuration, or
``--salt``) and unhardened, and the hub's largest groups of near-identical encodings.

    .venv/bin/python bench/linkage/attack.py --cases 10000 --orgs 5 --records 2000 --out results/run/attack.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from ctdx.errors import ValidationError
from ctdx.linkage.attacks import attack_check, attacked_fields
from ctdx.linkage.encoding import DEFAULT_ENCODING_CONFIG, SALTS, Encoder, EncodingConfig, LinkageSecret
from ctdx.linkage.normalise import identity_of, latinise
from ctdx.sample.cohort import generate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--orgs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--records", type=int, default=2000, help="Simulated people each attack targets.")
    parser.add_argument(
        "--zipf",
        type=float,
        help="Re-weight the public list to Zipf(s) by the cohort's name ranks: a steeper population, easier to attack.",
    )
    parser.add_argument("--salt", choices=SALTS, default=DEFAULT_ENCODING_CONFIG.salt, help="Hardening: name salt.")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    started = time.perf_counter()
    names: Counter[str] = Counter()
    identities = []
    for chunk in generate_cohort(args.cases, args.orgs, args.seed).chunks():
        for case in chunk.records():
            values = dict(case.values)
            family = values.get("prs_SecondName")
            if isinstance(family, str) and family:
                names[latinise(family).replace(" ", "")] += 1
            try:
                identities.append(identity_of(values))
            except ValidationError:
                identities.append(identity_of({k: v for k, v in values.items() if k != "prs_Birthdate"}))
    if args.zipf:
        total = sum(names.values())
        ranked = [name for name, _ in names.most_common()]
        weights = [1 / rank**args.zipf for rank in range(1, len(ranked) + 1)]
        names = Counter({n: max(1, round(total * w / sum(weights))) for n, w in zip(ranked, weights, strict=True)})
    config = EncodingConfig(salt=args.salt)
    batch = Encoder(LinkageSecret.generate(), config).encode_many(identities)
    hub = {
        name: [e for e in (batch.fields[name].value(i) for i in range(batch.size)) if e]
        for name in attacked_fields(config)
    }
    missing = 1 - float(batch.fields["birth"].present.mean())
    report = attack_check(dict(names), hub, records=args.records, config=config, seed=args.seed, missing_birth=missing)
    payload = {
        "cohort": f"sample-{args.cases}-{args.orgs}-{args.seed}",
        "public_list": f"zipf {args.zipf}" if args.zipf else "the cohort's own name counts",
        "salt": args.salt,
        **report.summary(),
        "seconds": time.perf_counter() - started,
    }
    text = json.dumps(payload, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
