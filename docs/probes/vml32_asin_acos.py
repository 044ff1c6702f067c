# MKL vsAsin/vsAcos (float32) probes: the models of src/tensor/vml_asin.rs emulated with numpy
# float32 operations (each rounded, nothing fused unless `fma` says so) against torch, per region,
# with the rejected alternatives. Run with PyTorch 2.15 (MKL) on the oracle machine.
# Results (every 3rd input of each binade; docs/probes/vml32_notes.md):
#   [0.25, 0.5) and all smaller |x|: asin `x + x*Pz(x^2)`, acos `pi2h + ((pi2l - x*Pz) - x)`: 0 differ
#   (Horner order instead: 1,587; any one step fused: 9-3,456)
#   (0.5, 1): asin best 1,055 of 2,796,203, acos 1,369 (x > 0) and 330 (x < 0)
import numpy as np, torch

torch.set_num_threads(1)
f, d = np.float32, np.float64
F = lambda h: np.array([h], np.uint32).view(f)[0]
C1, C2, C3, C4, C5 = [F(h) for h in (0x3e2aaaff, 0x3d997c12, 0x3d3a9ab4, 0x3cc32a6b, 0x3d2edc07)]
PI2H, PI2L, PIH, PIL = F(0x3fc90fdb), F(0xb33bbd2e), F(0x40490fdb), F(0xb3bbbd2e)


def fma(a, b, c):  # float32 fma through double (double rounding is too rare to matter here)
    return (d(a) * d(b) + d(c)).astype(f)


def pz(z, order='mkl'):
    z2 = z * z
    if order == 'horner':
        return ((((C5 * z + C4) * z + C3) * z + C2) * z + C1) * z
    return (((C5 * z + C4) * z2 + (C3 * z + C2)) * z + C1) * z


def binade(e, sign, step=3):
    lo = ((127 + e) << 23) | (sign << 31)
    return np.arange(lo, lo + (1 << 23), step, dtype=np.uint32)


def ndiff(t, v):
    t, v = t.view(np.uint32), np.asarray(v, f).view(np.uint32)
    return int(((t != v) & ~(np.isnan(t.view(f)) & np.isnan(v.view(f)))).sum())


for e, sg in [(-5, 0), (-2, 0), (-2, 1)]:
    b = binade(e, sg); x = b.view(f); xa = np.abs(x)
    ta, tc = torch.asin(torch.from_numpy(x)).numpy(), torch.acos(torch.from_numpy(x)).numpy()
    p = pz(x * x)
    print(f'2^{e} sign {sg}: asin model {ndiff(ta, np.copysign(xa + xa * p, x))},',
          f'horner {ndiff(ta, np.copysign(xa + xa * pz(x * x, "horner"), x))},',
          f'CR {ndiff(ta, np.arcsin(x.astype(d)).astype(f))};',
          f'acos model {ndiff(tc, PI2H + ((PI2L - x * p) - x))}, CR {ndiff(tc, np.arccos(x.astype(d)).astype(f))}')

for sg in (0, 1):
    b = binade(-1, sg); x = b.view(f); xa = np.abs(x)
    ta, tc = torch.asin(torch.from_numpy(x)).numpy(), torch.acos(torch.from_numpy(x)).numpy()
    y = f(0.5) - f(0.5) * xa; p = pz(y); s = np.sqrt(y); rs = f(1) / s
    high = PI2H - f(2) * s; hh = f(0.5) * (high - PI2H)
    low = PI2L - fma(-hh, hh, y) * rs
    sa = {
        'high + (-2s*Pz + low)  [model]': high + (f(-2) * s * p + low),
        'high + (hh2*Pz + low)': high + (f(2) * hh * p + low),
        'high + fma(-2s, Pz, low)': high + fma(f(-2) * s, p, low),
        '(high + low) - 2s*Pz': (high + low) + f(-2) * s * p,
        'f64 sum, rounded once': (d(high) + d(f(-2) * s) * d(p) + d(low)).astype(f),
        'no residual: pi2h - 2(s + s*Pz)': PI2H - f(2) * (s + s * p),
        'exact double': (np.pi / 2 - 2 * np.sqrt(y.astype(d)) * (1 + p.astype(d))).astype(f),
    }
    print(f'[0.5, 1) sign {sg}, {b.size} inputs: asin', {k: ndiff(ta, np.copysign(v, x)) for k, v in sa.items()},
          'CR', ndiff(ta, np.arcsin(x.astype(d)).astype(f)))
    lo = fma(-s, s, y) * rs; s2 = f(2) * s
    c = s2 + (s2 * p + lo) if sg == 0 else PIH + (((PIL - lo) - p * s2) - s2)
    print(f'  acos model {ndiff(tc, c)}, CR {ndiff(tc, np.arccos(x.astype(d)).astype(f))}')
