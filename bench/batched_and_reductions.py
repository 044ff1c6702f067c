"""PyTorch's side of bench/batched_and_reductions.sh: the cells of
bench/lessons/batched-and-reductions.md, each timed with time.perf_counter, one thread."""
import time
import torch

torch.set_num_threads(1)
torch.manual_seed(0)
x = torch.randn(32, 4, 48)
w = torch.randn(48, 128, requires_grad=True)
big = torch.randn(182625, 200)
emb = torch.randn(182625, 4, 48)


def bmm_backward_loop():
    for step in range(100):
        y = x @ w
        y.sum().backward()


rows = [
    ("(32,4,48) @ (48,128) forward+backward, 100 steps", bmm_backward_loop),
    ("(182625,200).mean(0, keepdim=True)", lambda: big.mean(0, keepdim=True)),
    ("(182625,200).std(0)", lambda: big.std(0)),
    ("(182625,200).var(0, keepdim=True)", lambda: big.var(0, keepdim=True)),
    ("(182625,4,48) @ (48,128)", lambda: emb @ w.detach()),
]
for name, f in rows:
    t = time.perf_counter()
    f()
    print(f"{name}\t{(time.perf_counter() - t) * 1000:.1f}")
