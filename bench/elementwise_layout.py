"""PyTorch's side of bench/elementwise_layout.sh: the cells of bench/lessons/elementwise-layout.md,
each timed with time.process_time (CPU time), one thread."""
import time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(1_000_000) * 4
xt = (torch.randn(1000, 1000) * 4).t()
xs = (torch.randn(1000, 2000) * 4)[:, ::2]
xe = (torch.randn(1, 1000) * 4).expand(1000, 1000)
g = torch.randn(1000, 1000)
seq = torch.randn(64, 40, 400) * 3


def rep(n, f):
    def run():
        for _ in range(n):
            f()
    return run


def silu_back():
    for _ in range(5):
        a = xt.detach().requires_grad_()
        F.silu(a).backward(g)


rows = [
    ("sigmoid 1M contiguous x10", rep(10, lambda: torch.sigmoid(x))),
    ("silu 1M contiguous x10", rep(10, lambda: F.silu(x))),
    ("sigmoid 1000x1000 transposed x10", rep(10, lambda: torch.sigmoid(xt))),
    ("softplus 1000x1000 strided x10", rep(10, lambda: F.softplus(xs))),
    ("elu 1000x1000 expanded x10", rep(10, lambda: F.elu(xe))),
    ("silu fwd+bwd 1000x1000 transposed x5", silu_back),
    ("log_softmax over dim 1 of (64, 40, 400) x5", rep(5, lambda: F.log_softmax(seq, 1))),
]
for name, f in rows:
    t = time.process_time()
    f()
    print(f"{name}\t{(time.process_time() - t) * 1000:.1f}")
