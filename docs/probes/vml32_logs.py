# MKL vsLog10/vsLog2/vsErf (float32) probes, what was learned without a match
# (docs/probes/vml32_notes.md). Run with PyTorch 2.15 (MKL) on the oracle machine; needs scipy.
# 1. log10/log2 differ from the correctly rounded value on 0.005-0.26% of a binade, most near
#    x = 1 (errors up to 0.77 ulp in [1, 1.004)), and log2's counts repeat for every binade whose
#    results share an exponent: an absolute error of ~1e-11 around n + log2(m).
# 2. Near 1 no double-precision cubic (or quartic) in r = x - 1 rounded once fits: the best
#    margin of a linear programme over [1 - 2^-8, 1 + 2^-8) is -0.08 ulp (infeasible), so
#    float32 roundings of ~0.1 ulp are in the path (not a pure double evaluation).
# 3. erf for |x| < 2^-13 is exactly `x + x * f32(2/sqrt(pi) - 1)` (0x3e0375d4, Intel's
#    erf_s_ha c0), which the C library and `x * f32(2/sqrt(pi))` are not.
import numpy as np, torch
from scipy.optimize import linprog

torch.set_num_threads(1)
f, d = np.float32, np.float64


def torchf(fn, b):
    return getattr(torch, fn)(torch.from_numpy(b.view(f))).numpy()


def rng(lo, hi):
    return np.arange(f(lo).view(np.uint32), f(hi).view(np.uint32), dtype=np.uint32)


for fn, npf in (('log10', np.log10), ('log2', np.log2)):
    row = []
    for e in (-20, -8, -3, -1, 0, 1, 3, 8, 20):
        lo = (127 + e) << 23
        b = np.arange(lo, lo + (1 << 23), dtype=np.uint32)
        row.append(f'2^{e}: {int((torchf(fn, b) != npf(b.view(f).astype(d)).astype(f)).sum())}')
    print(fn, 'differ from correctly rounded (of 2^23):', ', '.join(row))

b = rng(1.0, 1.00390625); x = b.view(f).astype(d); t = torchf('log10', b).astype(d)
err = (t - np.log10(x)) / np.spacing(torchf('log10', b)).astype(d)
print('log10 on [1, 1.0039): max |error|', np.abs(err).max(), 'ulp')

for deg in (3, 4):
    b = rng(0.99609375, 1.00390625); x = b.view(f).astype(d); r = x - 1
    tf = torchf('log10', b); T = tf.astype(d)
    hi = (T + np.nextafter(tf, f(np.inf)).astype(d)) / 2; lo = (T + np.nextafter(tf, f(-np.inf)).astype(d)) / 2
    w = hi - lo
    A = np.stack([r ** k for k in range(1, deg + 1)], 1); sc = np.abs(A).max(0); An = A / sc / w[:, None]
    ub = np.vstack([np.hstack([An, np.ones((len(r), 1))]), np.hstack([-An, np.ones((len(r), 1))])])
    res = linprog(np.r_[np.zeros(deg), -1], A_ub=ub, b_ub=np.r_[hi / w, -lo / w],
                  bounds=[(None, None)] * deg + [(None, 0.5)], method='highs')
    print(f'log10 near 1 as a double polynomial of degree {deg}: best margin {res.x[-1]:+.3f} ulp')

b = np.concatenate([np.arange((127 - 24) << 23, (127 - 13) << 23, 101, dtype=np.uint32)])
b = np.concatenate([b, b | np.uint32(1 << 31)])
x = b.view(f); t = torchf('erf', b)
c = 2 / np.sqrt(np.pi)
print('erf, |x| in [2^-24, 2^-13): x + x*f32(c - 1) differs on', int((t != x + x * f(c - 1)).sum()),
      '; x*f32(c) on', int((t != x * f(c)).sum()), '; correctly rounded on',
      int((t != (x.astype(d) * c).astype(f)).sum()), 'of', b.size)
