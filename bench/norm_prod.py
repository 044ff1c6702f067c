"""PyTorch's side of bench/norm_prod.sh: the timed cells of bench/lessons/norm-prod.md, each
timed with time.perf_counter, one thread."""
import time

import torch
import torch.nn as nn

torch.set_num_threads(1)
v = torch.randn(1000000)
m = torch.randn(2000, 500)
p = torch.rand(1000000) * 0.002 + 0.999
model = nn.Sequential(nn.Linear(200, 200), nn.Tanh(), nn.Linear(200, 10))
model(torch.randn(64, 200)).pow(2).mean().backward()


def rows():
    for i in range(20):
        v.norm()
    yield "norm all x20"
    for i in range(20):
        m.norm(dim=1)
        m.norm(dim=0)
    yield "norm dim 1 and 0 x20"
    for i in range(20):
        v.norm(p=1)
    yield "norm p=1 x20"
    for i in range(200):
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    yield "clip_grad_norm_ x200"
    for i in range(20):
        p.prod()
        m.prod(dim=1)
    yield "prod all and dim 1 x20"


t = time.perf_counter()
for name in rows():
    now = time.perf_counter()
    print(f"pytorch\t{name}\t{(now - t) * 1000:.1f}")
    t = time.perf_counter()
