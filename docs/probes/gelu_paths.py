"""Which kernel computes F.gelu in torch 2.15 on the oracle machine (AMD Zen 4, CPU build with
oneDNN): prints, per dtype and form, how many of 4096 results (forward and backward) change
when oneDNN is disabled (torch.backends.mkldnn.flags(enabled=False)).

Result (run 2026-12-03):
  float32 none  forward differs on/off: 2527  backward: 2284
  float32 tanh  forward differs on/off: 0     backward: 0
  float64 none  forward differs on/off: 0     backward: 0
  float64 tanh  forward differs on/off: 0     backward: 0
So float32 exact GELU (approximate='none') on a contiguous tensor of more than one element is
oneDNN's eltwise gelu_erf, forward and backward (Activation.cpp's `use_mkldnn`), not ATen's
GeluKernel. With oneDNN disabled, a scratch reimplementation of ATen's vector path (steps of
32 floats: `x * 0.5 * (1 + erf(x / sqrt 2))` with Vectorized<float>::erf, the
Abramowitz-Stegun polynomial of vec512_float.h over SLEEF expf_u10, and the backward
`dy * fma(x, pdf, cdf)` with `pdf = (2/sqrt(pi) / sqrt(2) / 2) * expf(-0.5 x x)`) matched
4096 of 4096 results forward and backward; with oneDNN on (PyTorch's default) it matches 1569.
The tanh form and float64 always take ATen's GeluKernel (per its source: Vectorized tanh /
erf, i.e. SLEEF, on the vector steps and the C library on the scalar tail; not probed here).
Run: python gelu_paths.py
"""
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.manual_seed(3)


def run(x, g, approx, onednn):
    x = x.detach().clone().requires_grad_()
    with torch.backends.mkldnn.flags(enabled=onednn):
        y = F.gelu(x, approximate=approx)
        y.backward(g)
    return y.detach(), x.grad


for dt in (torch.float32, torch.float64):
    for approx in ("none", "tanh"):
        x = torch.randn(4096, dtype=dt) * 3
        g = torch.randn(4096, dtype=dt)
        y1, d1 = run(x, g, approx, True)
        y0, d0 = run(x, g, approx, False)
        print(dt, approx, "forward differs on/off:", (y1 != y0).sum().item(), "backward:", (d1 != d0).sum().item())
