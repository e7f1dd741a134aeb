#!/usr/bin/env bash
# The privacy benchmark in one run: our k-anonymity and DP synthesis on D1, then the anjana anchor in its own
# venv on the same split and hierarchies, then the loss comparison. Results land in bench/privacy/out/.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES="${CASES:-100000}"
if [ ! -x bench/.venvs/kanon/bin/python ]; then
  python3 -m venv bench/.venvs/kanon
  bench/.venvs/kanon/bin/pip install --quiet anjana==1.2.3 pycanon==1.3.5
fi
mkdir -p bench/privacy/out
/usr/bin/time -v .venv/bin/python bench/privacy/run_ours.py --cases "$CASES" 2> bench/privacy/out/ours.time
bench/.venvs/kanon/bin/python bench/privacy/run_anjana.py
.venv/bin/python bench/privacy/compare_kanon.py
