#!/usr/bin/env bash
# Softmax and log_softmax gradients over an inner dim and the last, cross entropy over 2-D and
# (N, C, L) inputs (issue #11), lessonrun builds beside PyTorch (one thread) in the same run:
#   bench/softmax_backward.sh [ROUNDS] [PYTHON] LESSONRUN...
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
        # main's binaries before (N, C, L) cross entropy fail that cell: keep its time anyway.
        { "$bin" check bench/lessons/softmax-backward.md --format json --cell-timeout 600 || true; } \
            | "$py" -c '
import json, sys
cells = json.load(sys.stdin)["files"][0]["cells"][1:]
print("\t".join("%.1f" % c["duration_ms"] for c in cells))' | sed "s|^|$bin\t|"
    done
    "$py" bench/softmax_backward.py | sed "s/^/pytorch\t/"
done
