#!/bin/sh
# The MLP 784-128-10, batch 64, Adam training step: lessonrun against PyTorch with one thread, in
# the same run, interleaved, as CPU time (steadier than wall time on a shared machine).
# lessonrun: CPU time of a lesson doing N steps minus that of the same lesson doing 0 steps
# (process start, model set-up). PyTorch: time.process_time() around the N-step loop after
# torch.set_num_threads(1). Both print the final loss, which must agree.
# Usage: bench/mlp_step.sh [rounds] [steps]   (build first: cargo build --release;
#        needs PyTorch at $TORCH_PY, default /tmp/torch-venv/bin/python)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rounds=${1:-5}
steps=${2:-300}
bin=${LESSONRUN:-$root/target/release/lessonrun}
torch_py=${TORCH_PY:-/tmp/torch-venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
body() { # $1 = steps
    cat <<PY
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(64, 784)
y = torch.randint(0, 10, (64,))
for step in range($1):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
PY
}
for n in 0 "$steps"; do
    { printf '# MLP step\n\n```python\n'; body "$n"; [ "$n" = 0 ] || echo 'print(f"{loss.item():.6f}")'; printf '```\n'; } > "$tmp/mlp$n.md"
done
{ echo 'import time, torch, torch.nn as nn, torch.nn.functional as F'
  echo 'torch.set_num_threads(1)'
  body "$steps" | sed '/^for step/i t0 = time.process_time()'
  echo 't1 = time.process_time()'
  echo 'print(f"{loss.item():.6f}")'
  echo "print((t1 - t0) / $steps * 1e3)"; } > "$tmp/mlp.py"
cpu_ms() { # CPU time (user+sys) of a command, in ms
    /usr/bin/time -f '%U %S' "$@" 2> "$tmp/time" > "$tmp/out" || { cat "$tmp/time"; exit 1; }
    tail -n 1 "$tmp/time" | awk '{printf "%.1f", ($1 + $2) * 1000}'
}
lr_loss=$("$bin" run "$tmp/mlp$steps.md" | grep -v '^──')
pt_loss=$("$torch_py" "$tmp/mlp.py" 2>/dev/null | head -n 1)
[ "$lr_loss" = "$pt_loss" ] || { echo "final losses differ: lessonrun $lr_loss, PyTorch $pt_loss"; exit 1; }
echo "final loss after $steps steps: $lr_loss (both)"
echo "round  lessonrun ms/step  PyTorch-1-thread ms/step"
for r in $(seq "$rounds"); do
    full=$(cpu_ms "$bin" run "$tmp/mlp$steps.md")
    setup=$(cpu_ms "$bin" run "$tmp/mlp0.md")
    lr=$(echo "scale=3; ($full - $setup) / $steps" | bc)
    pt=$("$torch_py" "$tmp/mlp.py" 2>/dev/null | tail -n 1)
    printf '%5s  %17s  %24.3f\n' "$r" "$lr" "$pt"
done
