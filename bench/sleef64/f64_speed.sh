#!/bin/sh
# Times the float64 elementwise ops whose vector steps are SLEEF's in PyTorch (sigmoid, sinh,
# cosh, expm1, log1p, pow with a scalar and a tensor exponent, atan2) on 1,000,000 contiguous
# doubles, 10 calls per cell, from `check --format json`'s per-cell duration_ms, for each
# binary given, then the same cells under PyTorch (1 thread, then its default).
# Usage: bench/sleef64/f64_speed.sh LESSONRUN [OTHER_LESSONRUN ...]
set -eu
py=${PYTHON:-/tmp/torch-venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/cells.txt" <<'CELLS'
torch.manual_seed(0)
x = torch.randn(1_000_000, dtype=torch.float64) * 3
b = torch.rand(1_000_000, dtype=torch.float64) * 5
%%
for _ in range(10):
    y = x.sigmoid()
%%
for _ in range(10):
    y = x.sinh()
%%
for _ in range(10):
    y = x.cosh()
%%
for _ in range(10):
    y = x.expm1()
%%
for _ in range(10):
    y = b.log1p()
%%
for _ in range(10):
    y = b ** 1.5
%%
for _ in range(10):
    y = b ** x
%%
for _ in range(10):
    y = torch.atan2(x, b)
%%
for _ in range(10):
    y = x.abs()
CELLS
names="setup sigmoid sinh cosh expm1 log1p pow-1.5 pow-tensor atan2 abs(scale)"
python3 - "$tmp" <<'PY'
import sys
tmp = sys.argv[1]
cells = open(f"{tmp}/cells.txt").read().split("%%\n")
with open(f"{tmp}/speed.md", "w") as f:
    f.write("# float64 speed\n\n")
    for c in cells:
        f.write("```python\n" + c.rstrip() + "\n```\n\n")
with open(f"{tmp}/timed.py", "w") as f:
    f.write("import sys, time, torch\nif sys.argv[1] != 'default': torch.set_num_threads(int(sys.argv[1]))\n")
    f.write(f"cells = {cells!r}\nout = []\nfor c in cells:\n    t = time.process_time(); w = time.perf_counter(); exec(c)\n")
    f.write("    out.append((time.perf_counter() - w) * 1000)\nprint(' '.join('%.1f' % v for v in out))\n")
PY
for bin in "$@"; do
    echo "$bin"
    "$bin" check --format json -j 1 "$tmp/speed.md" 2>/dev/null | python3 -c '
import json, sys
names = sys.argv[1].split()
cells = [c for l in json.load(sys.stdin)["files"] for c in l["cells"]]
print("  " + "  ".join("%s %.1f" % (n, c["duration_ms"]) for n, c in zip(names, cells)))' "$names"
done
for threads in 1 default; do
    echo "torch ($threads threads)"
    "$py" "$tmp/timed.py" "$threads" | python3 -c '
import sys
names = sys.argv[1].split()
print("  " + "  ".join("%s %s" % (n, v) for n, v in zip(names, sys.stdin.read().split())))' "$names"
done
