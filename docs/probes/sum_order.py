"""Probes that torch.sum's order follows the input's memory layout (src/tensor/sum_reduce.rs).

Run with PyTorch 2.15 on CPU; every line should print True.
"""
import torch

torch.manual_seed(0)
for dt in (torch.float32, torch.float64):
    y = (torch.randn(37, 29, dtype=dt) * torch.logspace(-3, 3, 29, dtype=dt))
    x = y.t()  # (29, 37), memory order is y's
    # All dims: the transposed view sums exactly as its (contiguous) storage does.
    print(torch.equal(x.sum(), y.sum()))
    # Over dim 1 of the view (dim 0 of the storage): ATen's outer reduction over y.
    print(torch.equal(x.sum(1), y.sum(0)))
    # Over dim 0 of the view: one contiguous inner cascade per output, as y.sum(1).
    print(torch.equal(x.sum(0), y.sum(1)))
    # An expanded input walks its stride-0 dim as an outer loop: each slice's sum is added
    # into the zeroed output in turn.
    r = torch.randn(1, 45, dtype=dt) * torch.logspace(-3, 3, 45, dtype=dt)
    e = r.expand(6, 45)
    acc = torch.zeros((), dtype=dt)
    for _ in range(6):
        acc = acc + r.sum()
    print(torch.equal(e.sum(), acc))
    # A strided slice keeps its memory order: every other column of a 5x40 matrix steps over
    # its rows as over one run of 100 elements 2 apart (the dims merge), which is not
    # contiguous, so one scalar `row_sum` over the run: the same as a strided 1-D slice.
    w = torch.randn(5, 40, dtype=dt)
    print(torch.equal(w[:, ::2].sum(), w.flatten()[::2].sum()))
