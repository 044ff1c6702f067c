#!/usr/bin/env bash
# Sums over transposed, strided and expanded inputs (and batch-norm statistics), lessonrun beside PyTorch (one thread) in the same run:
#   bench/strided_sums.sh [ROUNDS] [LESSONRUN] [PYTHON]
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
    cell_ms "$bin" bench/lessons/strided-sums.md "$py"
    "$py" bench/strided_sums.py | sed "s/^/pytorch\t/"
done
