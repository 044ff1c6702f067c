"""Per op (float64, contiguous, n = 4096 + 13): how many elements of PyTorch's result differ
from SLEEF's AVX512 u10 function (vector region = the first n - n%16, tail = the rest) and
from glibc (Python's math). 0 mismatches with SLEEF over thousands of elements where SLEEF and
glibc disagree on hundreds means PyTorch runs SLEEF there.
Run: python sleef64_regions.py /path/to/libsl.so   (the shim of sleef64_paths.py)

Output on the oracle machine (torch 2.15, AMD Zen 4, AVX512), n = 4109, vector region 4096:
    exp      vec: !=SLEEF   256 !=glibc    21 | tail: !=SLEEF 0 !=glibc 0   -> neither (MKL vdExp)
    log      vec: !=SLEEF    57 !=glibc     3 | tail: 0 0                   -> neither (MKL vdLn)
    tanh     vec: !=SLEEF    55 !=glibc  1401 | tail: !=glibc 7             -> neither (MKL vdTanh)
    sin/cos/tan, log2, log10, asin, acos, atan, erf, erfc: likewise neither (MKL VML)
    sinh     vec: !=SLEEF     0 !=glibc  1115 | tail: !=SLEEF 2 !=glibc 0   -> SLEEF steps, glibc tail
    cosh     vec: !=SLEEF     0 !=glibc   881 | tail: !=SLEEF 2 !=glibc 0   -> SLEEF steps, glibc tail
    expm1    vec: !=SLEEF     0 !=glibc   419 | tail: !=SLEEF 0 !=glibc 3   -> SLEEF everywhere
    log1p    vec: !=SLEEF     0 !=glibc   348 | tail: !=SLEEF 0 !=glibc 1   -> SLEEF everywhere
    sigmoid  vec: !=SLEEF     0 !=glibc   108 (1 / (1 + Sleef_expd8(-x)))
    atan2    vec: !=SLEEF     0 !=glibc    59
    pow0.3   vec: !=SLEEF     0 !=glibc   100 | tail: !=SLEEF 1 !=glibc 0   -> SLEEF steps, glibc tail
    pow1.5, pow2.5, pow4.0, pow.t: vec !=SLEEF 0
    pow-0.5, pow-2.0, pow0.5: neither (ATen's rsqrt, 1/(x*x), sqrt special cases)
"""
import ctypes, math, sys
import torch
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from sleef64_paths import sleef, pad8, OPS

torch.manual_seed(1)
n = 4096 + 13
v = n - n % 16


def report(name, t, s, g):
    ds = (t != s) & ~(t.isnan() & s.isnan())
    dg = (t != g) & ~(t.isnan() & g.isnan())
    sg = (s != g) & ~(s.isnan() & g.isnan())
    print(f"{name:8s} vec: !=SLEEF {int(ds[:v].sum()):5d} !=glibc {int(dg[:v].sum()):5d} (SLEEF!=glibc {int(sg[:v].sum()):5d})"
          f" | tail: !=SLEEF {int(ds[v:].sum()):3d} !=glibc {int(dg[v:].sum()):3d} (of {n - v}, SLEEF!=glibc {int(sg[v:].sum())})")


for name, tf, sname, gf, gen in OPS:
    x = gen(n)
    t = tf(x)
    s = sleef(sname, pad8(x))[:n]
    g = torch.tensor([gf(a) for a in x.tolist()], dtype=torch.float64)
    report(name, t, s, g)

x = torch.randn(n, dtype=torch.float64) * 4
t = torch.sigmoid(x)
e = sleef("Sleef_expd8_u10avx512f", pad8(-x))[:n]
report("sigmoid", t, 1 / (1 + e), torch.tensor([1 / (1 + math.exp(-a)) for a in x.tolist()], dtype=torch.float64))
y = torch.randn(n, dtype=torch.float64)
report("atan2", torch.atan2(x, y), sleef("Sleef_atan2d8_u10avx512f", pad8(x), pad8(y))[:n],
       torch.tensor([math.atan2(a, b) for a, b in zip(x.tolist(), y.tolist())], dtype=torch.float64))
b = torch.rand(n, dtype=torch.float64) * 5
for p in [0.3, 1.5, 2.5, 4.0, -0.5, -2.0, 0.5]:
    report(f"pow{p}", torch.pow(b, p), sleef("Sleef_powd8_u10avx512f", pad8(b), pad8(torch.full((n,), p, dtype=torch.float64)))[:n],
           torch.tensor([math.pow(a, p) for a in b.tolist()], dtype=torch.float64))
report("pow.t", torch.pow(b, y), sleef("Sleef_powd8_u10avx512f", pad8(b), pad8(y))[:n],
       torch.tensor([math.pow(a, c) for a, c in zip(b.tolist(), y.tolist())], dtype=torch.float64))
