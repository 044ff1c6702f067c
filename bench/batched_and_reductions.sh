#!/usr/bin/env bash
# Issue #16's reproducers, lessonrun beside PyTorch (one thread) in the same run:
#   bench/batched_and_reductions.sh [ROUNDS] [LESSONRUN] [PYTHON]
# Prints, per round, each row's milliseconds for both. lessonrun's figure is the cell's own
# duration from `check --format json`; PyTorch's is time.perf_counter around the same code.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
rounds=${1:-3}
bin=${2:-target/release/lessonrun}
py=${3:-${LESSONRUN_PYTHON:-/tmp/torch-venv/bin/python}}
for r in $(seq "$rounds"); do
    echo "round $r"
    cell_ms "$bin" bench/lessons/batched-and-reductions.md "$py"
    "$py" bench/batched_and_reductions.py | sed "s/^/pytorch\t/"
done
