#!/bin/sh
# Times float32 `log` (MKL's vsLn as src/tensor/vml_log.rs reproduces it) against `abs` on
# 4,000,000 elements, contiguous and transposed, 20 calls per cell: lessonrun from `check
# --format json`'s per-cell duration_ms, PyTorch (1 thread) timed around the same loops, best of
# 3. Pass a second binary (say main's, whose float32 log is glibc's logf) to compare.
# Usage: bench/vlog/log_speed.sh [LESSONRUN] [OTHER_LESSONRUN] [PYTHON]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
py=${3:-/tmp/torch-venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cell() { printf '```python\n%s\n```\n\n' "$1"; }
setup='torch.manual_seed(0)
x = torch.rand(4_000_000) * 100
xt = (torch.rand(2000, 2000) * 100).t()'
loops='for _ in range(20):
    y = x.log()
for _ in range(20):
    y = xt.log()
for _ in range(20):
    y = x.abs()'
{
    printf '# log speed\n\n'
    cell "$setup"
    echo "$loops" | sed -n 1,2p | { c=$(cat); cell "$c"; }
    echo "$loops" | sed -n 3,4p | { c=$(cat); cell "$c"; }
    echo "$loops" | sed -n 5,6p | { c=$(cat); cell "$c"; }
} > "$tmp/speed.md"
names='["setup", "log contiguous x20", "log transposed x20", "abs contiguous x20"]'
for bin in "${1:-$root/target/release/lessonrun}" ${2:-}; do
    echo "$bin (best of 3)"
    for i in 1 2 3; do "$bin" check --format json -j 1 "$tmp/speed.md" > "$tmp/run$i.json" 2>/dev/null || true; done
    python3 -c '
import json, sys
names = '"$names"'
runs = [[c["duration_ms"] for l in json.load(open(p))["files"] for c in l["cells"]] for p in sys.argv[1:]]
for i, n in enumerate(names):
    print("  %-22s %8.1f ms" % (n, min(r[i] for r in runs)))' "$tmp"/run1.json "$tmp"/run2.json "$tmp"/run3.json
done
echo "PyTorch, 1 thread (best of 3)"
"$py" - <<PY
import time, torch
torch.set_num_threads(1)
$setup
def t(f):
    best = 1e9
    for _ in range(3):
        s = time.perf_counter(); f(); best = min(best, time.perf_counter() - s)
    return best * 1000
def a():
    for _ in range(20): y = x.log()
def b():
    for _ in range(20): y = xt.log()
def c():
    for _ in range(20): y = x.abs()
for n, f in [("log contiguous x20", a), ("log transposed x20", b), ("abs contiguous x20", c)]:
    print("  %-22s %8.1f ms" % (n, t(f)))
PY
