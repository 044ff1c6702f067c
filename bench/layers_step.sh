#!/bin/sh
# Training steps of the issue #10 layers: a LeNet-style Conv2d+MaxPool+Linear net (batch 64,
# 1x28x28, SGD) and an LSTM (input 32, hidden 128, sequence 32, batch 16, a Linear head, SGD).
# lessonrun against PyTorch with one thread, in the same run, interleaved, as CPU time (steadier
# than wall time on a shared machine), as bench/mlp_step.sh does: lessonrun's time is the CPU
# time of a lesson doing N steps minus that of the same lesson doing 0 steps; PyTorch's is
# time.process_time() around the N-step loop after torch.set_num_threads(1). Both print the
# final loss (PyTorch's float32 LSTM runs on oneDNN, so the last digits may differ there).
# Usage: bench/layers_step.sh lenet|lstm [rounds] [steps]   (build first: cargo build --release;
#        needs PyTorch at $TORCH_PY, default /tmp/torch-venv/bin/python)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
which=${1:?lenet or lstm}
rounds=${2:-3}
steps=${3:-20}
bin=${LESSONRUN:-$root/target/release/lessonrun}
torch_py=${TORCH_PY:-/tmp/torch-venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
body() { # $1 = steps
    case "$which" in
    lenet) cat <<PY
torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
    nn.Linear(16 * 5 * 5, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(64, 1, 28, 28)
y = torch.randint(0, 10, (64,))
for step in range($1):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
PY
    ;;
    lstm) cat <<PY
torch.manual_seed(0)
lstm = nn.LSTM(32, 128, batch_first=True)
head = nn.Linear(128, 1)
opt = torch.optim.SGD(list(lstm.parameters()) + list(head.parameters()), lr=0.05)
x = torch.randn(16, 32, 32)
y = torch.randn(16, 1)
for step in range($1):
    opt.zero_grad()
    out, (h, c) = lstm(x)
    loss = F.mse_loss(head(out[:, -1]), y)
    loss.backward()
    opt.step()
PY
    ;;
    *) echo "unknown benchmark $which"; exit 2 ;;
    esac
}
for n in 0 "$steps"; do
    { printf '# step\n\n```python\n'; body "$n"; [ "$n" = 0 ] || echo 'print(f"{loss.item():.6f}")'; printf '```\n'; } > "$tmp/s$n.md"
done
{ echo 'import time, torch, torch.nn as nn, torch.nn.functional as F'
  echo 'torch.set_num_threads(1)'
  body "$steps" | sed '/^for step/i t0 = time.process_time()'
  echo 't1 = time.process_time()'
  echo 'print(f"{loss.item():.6f}")'
  echo "print((t1 - t0) / $steps * 1e3)"; } > "$tmp/s.py"
cpu_ms() { # CPU time (user+sys) of a command, in ms
    /usr/bin/time -f '%U %S' "$@" 2> "$tmp/time" > "$tmp/out" || { cat "$tmp/time"; exit 1; }
    tail -n 1 "$tmp/time" | awk '{printf "%.1f", ($1 + $2) * 1000}'
}
lr_loss=$("$bin" run "$tmp/s$steps.md" | grep -v '^──')
pt_loss=$("$torch_py" "$tmp/s.py" 2>/dev/null | head -n 1)
echo "$which: final loss after $steps steps: lessonrun $lr_loss, PyTorch $pt_loss"
echo "round  lessonrun ms/step  PyTorch-1-thread ms/step"
for r in $(seq "$rounds"); do
    full=$(cpu_ms "$bin" run "$tmp/s$steps.md")
    setup=$(cpu_ms "$bin" run "$tmp/s0.md")
    lr=$(echo "scale=3; ($full - $setup) / $steps" | bc)
    pt=$("$torch_py" "$tmp/s.py" 2>/dev/null | tail -n 1)
    printf '%5s  %17s  %24.3f\n' "$r" "$lr" "$pt"
done
