#!/usr/bin/env bash
# The privacy benchmark side by side in one run (issue 5): D0 (the CTDC VP public file) and D1 (a generated
# 100k CTDC-like cohort), split 80/20 once; ours (k-anonymity, DP synthesis at epsilon 1, 4, 12), pac-synth,
# MST, AIM, anjana and the baselines, each as a subprocess under /usr/bin/time -v and timeout, each anchor in
# its own venv under bench/.venvs/ (created here on first use: the only downloads). Then report.py scores
# every release and writes bench/privacy/out/results.json and bench/results/privacy.json.
#
#   bash bench/privacy/run.sh                 # everything
#   CASES=20000 EPSILONS=4 bash bench/privacy/run.sh   # a quick run
# Knobs: CASES (D1 size), EPSILONS ("1 4 12"), DATASETS ("D0 D1"), PACSYNTH_D1 (1: run pac-synth on D1),
# ITK (1: the Intelligence-Toolkit pac-synth preset on D0), AIM_TIMEOUT, PACSYNTH_TIMEOUT, TIMEOUT (others),
# SKIP_DONE (1: keep a release whose .status says 0 from an earlier run), REPORT_TARGETS, REPORT_ATTACK.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES="${CASES:-100000}"
EPSILONS="${EPSILONS:-1 4 12}"
DATASETS="${DATASETS:-D0 D1}"
PACSYNTH_D1="${PACSYNTH_D1:-1}"
ITK="${ITK:-1}"
AIM_TIMEOUT="${AIM_TIMEOUT:-600}"
PACSYNTH_TIMEOUT="${PACSYNTH_TIMEOUT:-2400}"
TIMEOUT="${TIMEOUT:-1800}"
SKIP_DONE="${SKIP_DONE:-0}"
OUT=bench/privacy/out
PY=.venv/bin/python

venv() {  # venv NAME PIP-ARGS... : create bench/.venvs/NAME once, with pinned packages
  local name=$1; shift
  if [ ! -x "bench/.venvs/$name/bin/python" ]; then
    python3.11 -m venv "bench/.venvs/$name"
    "bench/.venvs/$name/bin/pip" install --quiet "$@"
  fi
}
venv kanon anjana==1.2.3 pycanon==1.3.5
venv pacsynth pac-synth==0.0.8 numpy==2.4.6 pandas==2.3.3
if [ ! -x bench/.venvs/smartnoise/bin/python ]; then
  # smartnoise-synth's own pins pull opacus and torch (with CUDA wheels), which MST and AIM never import
  venv smartnoise --no-deps smartnoise-synth==1.0.8
  bench/.venvs/smartnoise/bin/pip install --quiet mbi==1.1.0 "jax[cpu]==0.10.2" opendp==0.14.2 numpy==2.4.6 \
    pandas==2.3.3 smartnoise-sql==1.0.10 "disjoint-set>=0.9,<0.10" "Faker>=17" networkx scipy
fi

timed() {  # timed DATASET NAME SECONDS CMD... : one system run, its time report, log and exit status
  local d=$1 name=$2 limit=$3; shift 3
  if [ "$SKIP_DONE" = 1 ] && [ "$(cat "$OUT/$d/$name.status" 2>/dev/null)" = 0 ]; then return 0; fi
  rm -f "$OUT/$d/$name.csv" "$OUT/$d/$name.json" "$OUT/$d/$name.eval.json"
  echo "$(date -u +%H:%M:%S) $d $name (load $(cut -d' ' -f1-3 /proc/loadavg))"
  local status=0
  /usr/bin/time -v -o "$OUT/$d/$name.time" timeout "$limit" "$@" > "$OUT/$d/$name.log" 2>&1 || status=$?
  echo "$status" > "$OUT/$d/$name.status"
  [ "$status" = 0 ] || echo "  $d $name exit $status (124 = timeout)"
}

mkdir -p "$OUT"
for d in $DATASETS; do
  mkdir -p "$OUT/$d"
  $PY bench/privacy/data.py "$d" --cases "$CASES"
done

slow_lane() {  # the long anchors, beside the main lane (2 cores); pac-synth on D1 last, as it is the longest
  case " $DATASETS " in *" D0 "*)
    timed D0 pacsynth_eps4 "$PACSYNTH_TIMEOUT" bench/.venvs/pacsynth/bin/python bench/privacy/run_pacsynth.py D0 \
      --epsilon 4 --name pacsynth_eps4
  esac
  for d in $DATASETS; do
    timed "$d" aim_eps4 "$AIM_TIMEOUT" bench/.venvs/smartnoise/bin/python bench/privacy/run_smartnoise.py "$d" aim \
      --epsilon 4 --max-model-size 10 --name aim_eps4
  done
  case " $DATASETS " in *" D1 "*)
    if [ "$PACSYNTH_D1" = 1 ]; then
      timed D1 pacsynth_eps4 "$PACSYNTH_TIMEOUT" bench/.venvs/pacsynth/bin/python bench/privacy/run_pacsynth.py D1 \
        --epsilon 4 --name pacsynth_eps4
    fi
  esac
}
slow_lane > "$OUT/slow_lane.log" 2>&1 &
SLOW=$!

for d in $DATASETS; do
  timed "$d" ours_kanon "$TIMEOUT" $PY bench/privacy/run_ours.py "$d" kanon
  timed "$d" anjana_kanon "$TIMEOUT" bench/.venvs/kanon/bin/python bench/privacy/run_anjana.py "$d"
  timed "$d" holdout "$TIMEOUT" $PY bench/privacy/run_baselines.py "$d" holdout
  timed "$d" subsample "$TIMEOUT" $PY bench/privacy/run_baselines.py "$d" subsample
  for e in $EPSILONS; do
    timed "$d" "ours_eps$e" "$TIMEOUT" $PY bench/privacy/run_ours.py "$d" synth --epsilon "$e"
    timed "$d" "indep_eps$e" "$TIMEOUT" $PY bench/privacy/run_baselines.py "$d" indep --epsilon "$e"
  done
  timed "$d" mst_eps4 "$TIMEOUT" bench/.venvs/smartnoise/bin/python bench/privacy/run_smartnoise.py "$d" mst \
    --epsilon 4 --name mst_eps4
done
for d in $DATASETS; do
  for e in $EPSILONS; do
    [ "$e" = 4 ] && continue
    timed "$d" "mst_eps$e" "$TIMEOUT" bench/.venvs/smartnoise/bin/python bench/privacy/run_smartnoise.py "$d" mst \
      --epsilon "$e" --name "mst_eps$e"
  done
done
case " $DATASETS " in *" D0 "*)
  for e in $EPSILONS; do
    [ "$e" = 4 ] && continue
    timed D0 "pacsynth_eps$e" "$PACSYNTH_TIMEOUT" bench/.venvs/pacsynth/bin/python bench/privacy/run_pacsynth.py D0 \
      --epsilon "$e" --name "pacsynth_eps$e"
  done
  if [ "$ITK" = 1 ]; then
    timed D0 pacsynth_itk_eps4 "$PACSYNTH_TIMEOUT" bench/.venvs/pacsynth/bin/python bench/privacy/run_pacsynth.py D0 \
      --epsilon 4 --preset itk --name pacsynth_itk_eps4
  fi
esac
$PY bench/privacy/report.py --no-attacks > /dev/null  # utility scores first, cached
wait "$SLOW" || true
cat "$OUT/slow_lane.log"
# every D0 control row is an attack target; D1's attacks scan 80,000 rows per target, so 2,000 targets and
# only the epsilon-4, k-anonymous and subsample releases by default (REPORT_TARGETS=0 for all 20,000)
$PY bench/privacy/report.py --targets "D0:0,D1:${REPORT_TARGETS:-2000}" --attack "D1:${REPORT_ATTACK:-eps4|kanon|subsample}" \
  | tee "$OUT/tables.md"
