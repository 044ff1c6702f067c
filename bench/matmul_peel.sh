#!/bin/sh
# The float32 products that MKL's plain kernel peels (docs/matmul-order.md, "Peeled columns of
# a row-major `mat2`"): two lessonrun binaries A/B, interleaved in the same minute, as CPU time
# per product (a lesson doing N products minus the same lesson doing 0, as
# bench/matmul_shapes.sh), the minimum over the rounds, in tenths of a microsecond.
# Usage: bench/matmul_peel.sh OLD_BIN NEW_BIN [rounds]
set -eu
old=$1; new=$2; rounds=${3:-5}
tmp=$(mktemp -d)
cpu_ms() { /usr/bin/time -f '%U %S' "$@" 2> "$tmp/time" > "$tmp/out" || { cat "$tmp/time" "$tmp/out"; exit 1; }; tail -n 1 "$tmp/time" | awk '{printf "%.1f", ($1 + $2) * 1000}'; }
while IFS='|' read -r name setup prod reps; do
  for r in 0 "$reps"; do
    printf '# mm\n\n```python\nimport torch\ntorch.manual_seed(0)\n%s\nfor i in range(%s):\n    c = %s\n```\n' "$setup" "$r" "$prod" > "$tmp/m$r.md"
  done
  bo=999999; bn=999999
  for i in $(seq "$rounds"); do
    for which in old new; do
      bin=$old; [ $which = new ] && bin=$new
      full=$(cpu_ms "$bin" run "$tmp/m$reps.md"); base=$(cpu_ms "$bin" run "$tmp/m0.md")
      us=$(echo "($full - $base) * 10000 / $reps" | bc)
      if [ $which = old ]; then [ "$us" -lt "$bo" ] && bo=$us; else [ "$us" -lt "$bn" ] && bn=$us; fi
    done
  done
  printf '%-40s old %6s  new %6s  (0.1 us)\n' "$name" "$bo" "$bn"
done <<'SHAPES'
mnist (64,784)@(784,10)|a = torch.randn(64, 784); b = torch.randn(784, 10)|a @ b|30000
mnist-dw (784,64)^T@(64,10)|x = torch.randn(64, 784); a = x.t(); b = torch.randn(64, 10)|a @ b|30000
(100,100)@(100,7)|a = torch.randn(100, 100); b = torch.randn(100, 7)|a @ b|200000
(3,64)@(64,9)|a = torch.randn(3, 64); b = torch.randn(64, 9)|a @ b|200000
addmm (64,100)+(100,10)|a = torch.randn(64, 100); b = torch.randn(100, 10); c = torch.randn(10)|torch.addmm(c, a, b)|30000
bmm (64,8,8)@(64,8,6)|a = torch.randn(64, 8, 8); b = torch.randn(64, 8, 6)|torch.bmm(a, b)|200000
bmm (32,16,16)@(32,16,10)|a = torch.randn(32, 16, 16); b = torch.randn(32, 16, 10)|torch.bmm(a, b)|30000
leftover (10,64)@(64,128)|a = torch.randn(10, 64); b = torch.randn(64, 128)|a @ b|200000
SHAPES
rm -rf "$tmp"
