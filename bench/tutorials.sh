#!/usr/bin/env bash
# The tutorial benchmark (issue #16): every lesson of tests/tutorials in lessonrun and in PyTorch
# 2.15 with one thread, alternating lesson by lesson in the same run, then a per-lesson and a
# per-cell Markdown table on stdout.
#   bench/tutorials.sh [ROUNDS] [LESSONRUN] [PYTHON]     (LESSONS='a.md b.md' to pick lessons)
# lessonrun: `check --format json -j 1` (its per-cell duration_ms), PyTorch: bench/tutorials.py run
# (time.perf_counter around each cell, torch.set_num_threads(1)); each process's wall time, start-up
# included, is taken here. With several rounds every figure is the minimum over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
bin=${2:-target/release/lessonrun}
py=${3:-${LESSONRUN_PYTHON:-/tmp/torch-venv/bin/python}}
lessons=${LESSONS:-$(ls tests/tutorials/*.md | grep -v README.md)}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
now() { date +%s%N; }
# PyTorch runs each lesson in a copy of its folder (made once), so what a tutorial writes
# there (`torch.save(model, "model.pt")`) lands in the copy, not in the repository.
pt_copy() {
    local dir dst
    dir=$(cd "$(dirname "$1")" && pwd)
    dst="$out/folders$dir"
    [ -d "$dst" ] || { mkdir -p "$dst"; cp -r "$dir/." "$dst/"; }
    echo "$dst/$(basename "$1")"
}
for r in $(seq "$rounds"); do
    mkdir -p "$out/round$r"
    for lesson in $lessons; do
        name=$(basename "$lesson" .md)
        echo "round $r: $name" >&2
        t=$(now)
        "$bin" check "$lesson" --format json -j 1 > "$out/round$r/$name.lr.json" || true
        echo "($(now) - $t) / 1000000" | bc -l > "$out/round$r/$name.lr.ms"
        copy=$(pt_copy "$lesson")
        t=$(now)
        "$py" bench/tutorials.py run "$copy" > "$out/round$r/$name.pt.json" 2>/dev/null
        echo "($(now) - $t) / 1000000" | bc -l > "$out/round$r/$name.pt.ms"
    done
done
"$py" bench/tutorials.py report "$out"
