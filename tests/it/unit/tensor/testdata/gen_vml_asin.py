"""Records torch.asin/torch.acos on float32 inputs for src/tensor/vml_asin.rs's replay test.

Run with PyTorch 2.15 on x86-64 (MKL VML): python gen_vml_asin.py > vml_asin_cases.txt
Each line: input, asin and acos as float32 bits in hex. Most inputs are ones where MKL's result
is not the correctly rounded one (the cases a libm-based asin gets wrong). The model reproduces
all of |x| <= 0.5 but not ~0.04% of (0.5, 1) (docs/probes/vml32_notes.md), so inputs of that
range where a numpy emulation of the model differs from torch are left out.
"""
import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(32)
f, d = np.float32, np.float64
F = lambda h: np.array([h], np.uint32).view(f)[0]
C1, C2, C3, C4, C5 = [F(h) for h in (0x3e2aaaff, 0x3d997c12, 0x3d3a9ab4, 0x3cc32a6b, 0x3d2edc07)]
PI2H, PI2L, PIH, PIL = F(0x3fc90fdb), F(0xb33bbd2e), F(0x40490fdb), F(0xb3bbbd2e)


def pz(z):
    return (((C5 * z + C4) * (z * z) + (C3 * z + C2)) * z + C1) * z


def model(x):
    """asin and acos of vml_asin.rs for 0.5 < |x| < 1 (numpy float32, nothing fused)."""
    xa = np.abs(x)
    y = f(0.5) - f(0.5) * xa
    s = np.sqrt(y); rs = f(1) / s; p = pz(y)
    high = PI2H - f(2) * s
    hh = f(0.5) * (high - PI2H)
    res = lambda a: (y.astype(d) - a.astype(d) ** 2).astype(f)
    asin = np.copysign(high + (f(-2) * s * p + (PI2L - res(hh) * rs)), x)
    s2, lo = f(2) * s, res(s) * rs
    acos = np.where(x > 0, s2 + (s2 * p + lo), PIH + (((PIL - lo) - p * s2) - s2))
    return asin, acos


def run(x):
    t = torch.from_numpy(x)
    return torch.asin(t).numpy(), torch.acos(t).numpy()


pool = f(np.concatenate([rng.uniform(-1, 1, 400_000), rng.uniform(-0.5, 0.5, 200_000),
                         rng.uniform(-1e-3, 1e-3, 50_000)]))
a, c = run(pool)
hard = (a != np.arcsin(pool.astype(d)).astype(f)) | (c != np.arccos(pool.astype(d)).astype(f))
big = np.abs(pool) > 0.5
ma, mc = model(pool)
hard &= ~big | ((ma == a) & (mc == c))
picked = np.concatenate([pool[hard & ~big][:1500], pool[hard & big][:1500]])
edges = f([0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 1e-40, -1e-40, 1e-20, 2.0, -1.5, np.inf, -np.inf, np.nan,
           np.nextafter(f(0.5), f(1)), np.nextafter(f(-0.5), f(-1)), np.nextafter(f(1), f(0)),
           np.nextafter(f(-1), f(0))])
x = np.concatenate([picked, edges])
a, c = run(x)
print("# x asin(x) acos(x), float32 bits, from torch", torch.__version__)
for row in zip(x.view(np.uint32), a.view(np.uint32), c.view(np.uint32)):
    print("%08x %08x %08x" % row)
