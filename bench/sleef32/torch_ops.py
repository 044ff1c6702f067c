"""PyTorch's times for the ops bench.rs measures: 2^20 float32 inputs, one thread, best of 7."""
import time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
n = 1 << 20
i = torch.arange(n, dtype=torch.float32)
x = ((i * 0.618034).frac() - 0.5) * 16.0
xp = x.abs() * 4.0
for name, f, a in [("expm1", torch.expm1, x), ("log1p", torch.log1p, xp), ("silu", F.silu, x),
                   ("softplus", F.softplus, x), ("elu", F.elu, x)]:
    best = min(t1 - t0 for t0, _, t1 in [(lambda: (time.thread_time(), f(a), time.thread_time()))() for _ in range(7)])
    print(f"torch {name:22} {best * 1e9 / n:6.2f} ns/elem (best of 7, thread CPU time)")
