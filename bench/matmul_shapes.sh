#!/bin/sh
# The float32 matmuls of the issue #10 LSTM step and the MLPs (issues #10, #16), one shape at a
# time: lessonrun against PyTorch with one thread, in the same run, interleaved, as CPU time
# (as bench/layers_step.sh): lessonrun's time is the CPU time of a lesson doing N products
# minus that of the same lesson doing 0; PyTorch's is time.process_time() around the N
# products after torch.set_num_threads(1). Operands are laid out as the engine's layers pass
# them (`w.t()` a transposed view, `g.t()` a transposed gradient).
# Usage: bench/matmul_shapes.sh [rounds] [reps]   (build first: cargo build --release;
#        needs PyTorch at $TORCH_PY, default /tmp/torch-venv/bin/python)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
rounds=${1:-3}
reps=${2:-2000}
bin=${LESSONRUN:-$root/target/release/lessonrun}
torch_py=${TORCH_PY:-/tmp/torch-venv/bin/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# name | set-up | product
shapes='lstm-fwd-h (16,128)@(128,512)|a = torch.randn(16, 128); b = torch.randn(512, 128).t().contiguous()|a @ b
lstm-fwd-x (512,32)@(32,512)^T|a = torch.randn(512, 32); b = torch.randn(512, 32).t()|a @ b
lstm-bwd-dx (16,512)@(512,128)|a = torch.randn(16, 512); b = torch.randn(512, 128)|a @ b
lstm-bwd-dw (512,16)^T@(16,128)|g = torch.randn(16, 512); a = g.t(); b = torch.randn(16, 128)|a @ b
mlp-fwd (64,784)@(784,128)^T|a = torch.randn(64, 784); b = torch.randn(128, 784).t()|a @ b
mlp-bwd-dw (128,64)^T@(64,784)|g = torch.randn(64, 128); a = g.t(); b = torch.randn(64, 784)|a @ b
mlp-bwd-dx (64,128)@(128,784)|a = torch.randn(64, 128); b = torch.randn(128, 784)|a @ b
mlp1024-fwd (256,1024)@(1024,1024)^T|a = torch.randn(256, 1024); b = torch.randn(1024, 1024).t()|a @ b'
cpu_ms() { # CPU time (user+sys) of a command, in ms
    /usr/bin/time -f '%U %S' "$@" 2> "$tmp/time" > "$tmp/out" || { cat "$tmp/time"; exit 1; }
    tail -n 1 "$tmp/time" | awk '{printf "%.1f", ($1 + $2) * 1000}'
}
echo "shape  round  lessonrun us/product  PyTorch-1-thread us/product"
echo "$shapes" | while IFS='|' read -r name setup prod; do
    n=$reps
    case "$name" in mlp1024*) n=$((reps / 100 + 1)) ;; esac
    for r in 0 "$n"; do
        printf '# mm\n\n```python\nimport torch\ntorch.manual_seed(0)\n%s\nfor i in range(%s):\n    c = %s\n```\n' "$setup" "$r" "$prod" > "$tmp/m$r.md"
    done
    printf 'import time, torch\ntorch.set_num_threads(1)\ntorch.manual_seed(0)\n%s\nc = %s\nt0 = time.process_time()\nfor i in range(%s):\n    c = %s\nt1 = time.process_time()\nprint((t1 - t0) / %s * 1e6)\n' "$setup" "$prod" "$n" "$prod" "$n" > "$tmp/m.py"
    for r in $(seq "$rounds"); do
        full=$(cpu_ms "$bin" run "$tmp/m$n.md")
        setup_ms=$(cpu_ms "$bin" run "$tmp/m0.md")
        lr=$(echo "scale=1; ($full - $setup_ms) * 1000 / $n" | bc)
        pt=$("$torch_py" "$tmp/m.py" 2>/dev/null | tail -n 1)
        printf '%-36s %s  %10s  %10.1f\n' "$name" "$r" "$lr" "$pt"
    done
done
