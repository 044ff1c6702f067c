#!/usr/bin/env bash
# Float32 activations on contiguous, transposed, strided and expanded inputs (issue #11's layout
# work), lessonrun builds beside PyTorch (one thread) in the same run:
#   bench/elementwise_layout.sh [ROUNDS] [PYTHON] LESSONRUN...
# Prints, per round, each cell's milliseconds for every binary given (`check --format json`'s
# cell duration) and for PyTorch (CPU time around the same code).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
py=${2:-/tmp/torch-venv/bin/python}
shift 2
for r in $(seq "$rounds"); do
    echo "round $r"
    for bin in "$@"; do
        "$bin" check bench/lessons/elementwise-layout.md --format json --cell-timeout 600 \
            | "$py" -c '
import json, sys
cells = json.load(sys.stdin)["files"][0]["cells"][1:]
print("\t".join("%.1f" % c["duration_ms"] for c in cells))' | sed "s|^|$bin\t|"
    done
    "$py" bench/elementwise_layout.py | sed "s/^/pytorch\t/"
done
