"""PyTorch's side of bench/strided_sums.sh: the cells of bench/lessons/strided-sums.md, each
timed with time.perf_counter, one thread."""
import time
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
a = torch.randn(2000, 1500)
bn = torch.randn(32, 64, 28, 28)
r = torch.randn(1, 3000)


def rep(f):
    def run():
        for _ in range(5):
            f()
    return run


rows = [
    ("(2000,1500).t().sum() x5", rep(lambda: a.t().sum())),
    ("(2000,1500).t().sum(0) x5", rep(lambda: a.t().sum(0))),
    ("(2000,1500).t().sum(1) x5", rep(lambda: a.t().sum(1))),
    ("(2000,1500)[:, ::2].sum(0) x5", rep(lambda: a[:, ::2].sum(0))),
    ("(1,3000).expand(1000,3000).sum() x5", rep(lambda: r.expand(1000, 3000).sum())),
    ("(32,64,28,28).sum((0,2,3)) x5", rep(lambda: bn.sum((0, 2, 3)))),
    ("(2000,1500).t().std() x5", rep(lambda: a.t().std())),
]
for name, f in rows:
    t = time.perf_counter()
    f()
    print(f"{name}\t{(time.perf_counter() - t) * 1000:.1f}")
