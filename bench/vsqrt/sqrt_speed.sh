#!/bin/sh
# Times float32 `sqrt` (MKL's vsSqrt as src/tensor/vml_sqrt.rs reproduces it) against `abs` on
# 4,000,000 elements, contiguous and transposed, 20 calls per cell, from `check --format json`'s
# per-cell duration_ms. Pass a second binary (say main's, whose sqrt is IEEE) to compare.
# Usage: bench/vsqrt/sqrt_speed.sh [LESSONRUN] [OTHER_LESSONRUN]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cell() { printf '```python\n%s\n```\n\n' "$1"; }
{
    printf '# sqrt speed\n\n'
    cell 'torch.manual_seed(0)
x = torch.rand(4_000_000) * 100
xt = (torch.rand(2000, 2000) * 100).t()'
    cell 'for _ in range(20):
    y = x.sqrt()'
    cell 'for _ in range(20):
    y = xt.sqrt()'
    cell 'for _ in range(20):
    y = x.abs()'
} > "$tmp/speed.md"
for bin in "${1:-$root/target/release/lessonrun}" ${2:-}; do
    echo "$bin"
    "$bin" check --format json -j 1 "$tmp/speed.md" 2>/dev/null | python3 -c '
import json, sys
names = ["setup", "sqrt contiguous x20", "sqrt transposed x20", "abs contiguous x20"]
cells = [c for l in json.load(sys.stdin)["files"] for c in l["cells"]]
for n, c in zip(names, cells):
    print("  %-22s %8.1f ms" % (n, c["duration_ms"]))'
done
