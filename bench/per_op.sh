#!/bin/sh
# Times bench/per_op.py (10 element-wise ops on 3-element tensors + backward, 20,000 times) under
# lessonrun (one cell of a lesson, startup subtracted) and PyTorch (timed around the script, after
# `import torch`, with 1 thread and with the default thread count), best of N runs each, and
# checks that both print the same gradient.
# Usage: bench/per_op.sh [runs] [python]   (build first: cargo build --release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
runs=${1:-5}
py=${2:-/tmp/torch-venv/bin/python}
bin="$root/target/release/lessonrun"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
{ printf '# Benchmark\n\n```python\n'; cat "$here/per_op.py"; printf '```\n'; } > "$tmp/bench.md"
printf '# Empty\n\n```python\nimport torch\n```\n' > "$tmp/empty.md"
cat > "$tmp/timed.py" <<'PY'
import sys, time
import torch
if sys.argv[2] != "default":
    torch.set_num_threads(int(sys.argv[2]))
src = open(sys.argv[1]).read()
t0 = time.perf_counter()
exec(compile(src, sys.argv[1], "exec"), {"__name__": "__main__"})
print(f"{time.perf_counter() - t0:.4f}", file=sys.stderr)
PY

min() { sort -g | head -1; }
wall() { s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); echo "$e - $s" | bc; }

"$py" "$tmp/timed.py" "$here/per_op.py" 1 2>/dev/null > "$tmp/torch.txt"
"$bin" run "$tmp/bench.md" | grep -v '^──' > "$tmp/lessonrun.txt" || true
if ! diff "$tmp/torch.txt" "$tmp/lessonrun.txt" > /dev/null; then
    echo "outputs differ:"; diff "$tmp/torch.txt" "$tmp/lessonrun.txt"; exit 1
fi
lr=$(for _ in $(seq "$runs"); do wall "$bin" run "$tmp/bench.md"; done | min)
lr0=$(for _ in $(seq "$runs"); do wall "$bin" run "$tmp/empty.md"; done | min)
t1=$(for _ in $(seq "$runs"); do "$py" "$tmp/timed.py" "$here/per_op.py" 1 2>&1 >/dev/null | tail -1; done | min)
td=$(for _ in $(seq "$runs"); do "$py" "$tmp/timed.py" "$here/per_op.py" default 2>&1 >/dev/null | tail -1; done | min)
threads=$("$py" -c 'import torch; print(torch.get_num_threads())' 2>/dev/null)
work=$(echo "$lr - $lr0" | bc)
per() { echo "scale=2; $1 * 1000000 / 20000" | bc; }
echo "best of $runs; 20,000 iterations of 10 ops + sum + backward"
echo "lessonrun:           ${work}s (whole process ${lr}s, startup ${lr0}s)  $(per "$work") us/iteration"
echo "PyTorch, 1 thread:   ${t1}s  $(per "$t1") us/iteration"
echo "PyTorch, ${threads} threads:  ${td}s  $(per "$td") us/iteration"
echo "ratio PyTorch(1 thread)/lessonrun: $(echo "scale=2; $t1 / $work" | bc)"
