"""Probes of ATen's CPU layer-norm kernel behind src/tensor/layer_norm.rs (torch 2.15, AMD Zen 4).

1. The kernel's bits do not depend on ATEN_CPU_CAPABILITY=avx2 or avx512 (run this script
   under each and compare the printed digest): it runs on 256-bit vectors (8 floats, 4
   doubles), so `RowwiseMoments` splits a row into 8-lane vectors and its scalar tail.
   ATEN_CPU_CAPABILITY=default (no vectors) gives other bits.
2. Which products GCC fused was found by replaying recorded cases (gen_layer_norm.py) against
   every combination of fused/unfused multiply-adds in a scratch reimplementation; exactly
   one combination matched every element, forward and backward, float32 and float64:
   - the moments: the mean step of AddMomentsVec unfused, the scalar Welford tail unfused
     (a loop-carried chain), the scalar AddMoments' products fused;
   - y = fma((x - mean) * rstd, w, b); without a weight, y = fma(x - mean, rstd, b);
   - row sums ds, db: whole vectors added unfused, the partial last vector fused into the sum,
     float lanes summed by the AVX2 shuffle tree, double lanes in order, rows shorter than
     a vector summed in order;
   - b = fma(db, mean, -ds) * a * a * a / N, c = fma(-b, mean, -(db * a / N)),
     dx = fma(b, x, a * dy * w) + c; weight grads fma(dy, fma(a, x, -a * mean), acc).
   The third point (fused only outside loop-carried sums) is GCC's generic tuning, which
   avoids FMA chains in reductions.
Run: python layer_norm.py   (prints a digest of results for rows of 1..300)
"""
import hashlib
import torch

torch.manual_seed(0)
h = hashlib.sha256()
for dt in (torch.float32, torch.float64):
    for n in list(range(1, 40)) + [63, 64, 65, 127, 128, 129, 255, 256, 257, 300]:
        x = (torch.randn(3, n, dtype=dt) * 3 + 1).requires_grad_()
        w = torch.randn(n, dtype=dt, requires_grad=True)
        b = torch.randn(n, dtype=dt, requires_grad=True)
        y, mean, rstd = torch.native_layer_norm(x, [n], w, b, 1e-5)
        y.backward(torch.randn(3, n, dtype=dt))
        for t in (y, mean, rstd, x.grad, w.grad, b.grad):
            h.update(t.detach().numpy().tobytes())
print(h.hexdigest())
