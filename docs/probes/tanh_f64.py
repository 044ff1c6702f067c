# How far float64 `torch.tanh` (MKL VML vdTanh) is from the correctly rounded tanh (mpmath at
# 200 bits) and from the C library's (NumPy's np.tanh), on 20,000 uniform inputs per window:
# the evidence that vdTanh is neither, docs/divergences-differential.md "tanh".
#
#   /tmp/torch-venv/bin/python docs/probes/tanh_f64.py
import mpmath
import numpy as np
import torch

mpmath.mp.prec = 200


def correctly_rounded(x):
    return float(mpmath.tanh(mpmath.mpf(x)))  # mpf -> float rounds to nearest


rng = np.random.default_rng(0)
for lo, hi in [(-1e-3, 1e-3), (-0.1, 0.1), (-1, 1), (-4, 4), (-20, 20)]:
    x = rng.uniform(lo, hi, 20000)
    y = torch.tanh(torch.from_numpy(x)).numpy()
    c = np.array([correctly_rounded(v) for v in x])
    g = np.tanh(x)
    ulps = np.abs(y.view(np.int64) - c.view(np.int64)).max()
    print(f"[{lo}, {hi}]: torch != correctly rounded {(y != c).sum()} of {len(x)} (at most {ulps} ulp);"
          f" C library != correctly rounded {(g != c).sum()}; torch != C library {(y != g).sum()}")
