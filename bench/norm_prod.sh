#!/usr/bin/env bash
# Norms, clip_grad_norm_ and products: this build, another build (e.g. main's) and PyTorch (one
# thread) in the same rounds:
#   bench/norm_prod.sh [ROUNDS] [LESSONRUN] [OTHER_LESSONRUN] [PYTHON]
# Prints each timed cell's milliseconds per round (lessonrun: the cell's own duration from
# `check --format json`; PyTorch: time.perf_counter around the same code).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
bin=${2:-target/release/lessonrun}
other=${3:-}
py=${4:-${LESSONRUN_PYTHON:-/tmp/torch-venv/bin/python}}
cells() {
    "$1" check bench/lessons/norm-prod.md --format json --cell-timeout 600 \
        | "$py" -c '
import json, sys
for c in json.load(sys.stdin)["files"][0]["cells"][1:]:
    print("%s\tline %d\t%.1f" % (sys.argv[1], c["line"], c["duration_ms"]))' "$2"
}
for r in $(seq "$rounds"); do
    echo "round $r"
    cells "$bin" this
    if [ -n "$other" ]; then cells "$other" other; fi
    "$py" bench/norm_prod.py
done
