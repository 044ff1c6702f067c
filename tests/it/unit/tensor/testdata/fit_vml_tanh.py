"""Fits src/tensor/tanh_f32.rs's polynomials to torch.tanh (MKL vsTanh) and checks them on
every float32 (docs/divergences-differential.md, "MKL vsTanh").

Run with PyTorch 2.15 on x86-64 (MKL VML) and scipy: python fit_vml_tanh.py [--sweep]
Prints the Rust tables SMALL and PIECES; with --sweep, then compares the evaluation (op for op
as tanh_f32.rs does it) with torch.tanh on all 2^32 float32 inputs (about 5 minutes).

Method: every input whose true tanh (np.tanh in double, far more accurate than the margins
here) lies near a float32 rounding midpoint says on which side MKL's internal value fell: a
linear constraint on the polynomial's coefficients. A maximum-margin linear program finds
coefficients on the right side of all of them. Below 1/8: tanh(a) = a * Q(a), Q of degree 5;
from 1/8 to 9.125 one degree-6 polynomial in a - centre per quarter binade; 1 beyond.
"""
import struct
import sys

import numpy as np
import torch
from scipy.optimize import linprog

torch.set_num_threads(1)
ONE_FROM = 9.125


def floats(lo, hi):
    a, b = np.float32(lo).view(np.uint32), np.float32(hi).view(np.uint32)
    return np.arange(a, b, dtype=np.uint32).view(np.float32)


def horner(c, t):
    acc = np.full_like(t, c[-1])
    for k in range(len(c) - 2, -1, -1):
        acc = acc * t + c[k]
    return acc


def constraints(lo, hi, thr):
    """Inputs of [lo, hi) within thr ulp of a midpoint: x, midpoint, ulp, true tanh, side."""
    xs, ms, us, ds, ss = [], [], [], [], []
    a, b = np.float32(lo).view(np.uint32), np.float32(hi).view(np.uint32)
    for s in range(a, b, 1 << 23):
        x = np.arange(s, min(s + (1 << 23), b), dtype=np.uint32).view(np.float32)
        t = torch.from_numpy(x).tanh().numpy().astype(np.float64)
        d = np.tanh(x.astype(np.float64))
        cr = d.astype(np.float32)
        nb = np.nextafter(cr, np.where(d > cr, np.float32(np.inf), np.float32(-np.inf)))
        u = np.abs(nb.astype(np.float64) - cr)
        m = (cr.astype(np.float64) + nb) / 2
        near = np.abs((d - m) / u) < thr
        xs.append(x[near].astype(np.float64)), ms.append(m[near]), us.append(u[near])
        ds.append(d[near]), ss.append(np.where(t[near] > m[near], 1.0, -1.0))
    return [np.concatenate(v) for v in (xs, ms, us, ds, ss)]


def max_margin(B, rhs, n):
    """max delta subject to B @ v + delta <= rhs (rows scaled so HiGHS's 1e-7 tolerance is
    far below the margins)."""
    K = 1e4
    A = np.hstack([B * K, np.ones((len(rhs), 1))])
    res = linprog(np.r_[np.zeros(n), -1], A_ub=A, b_ub=rhs * K,
                  bounds=[(None, None)] * n + [(None, 1e3)], method='highs')
    return res.x[:-1], res.x[-1] / K


def fit_small():
    A, deg = 0.125, 5
    x, m, u, d, s = constraints(2.0**-12, A, 0.004)
    V = lambda t: np.polynomial.chebyshev.chebvander(2 * t / A - 1, deg)
    k = np.arange(2000)
    xn = A / 2 * (1 - np.cos((k + 0.5) * np.pi / 2000))
    cref = np.linalg.lstsq(V(xn), np.tanh(xn) / xn, rcond=None)[0]
    base = x * (V(x) @ cref - d / x) / u
    B = x[:, None] * V(x) / u[:, None] * 1e-10
    b, margin = max_margin(-s[:, None] * B, s * ((d - m) / u + base), deg + 1)
    c = np.polynomial.Chebyshev(cref + b * 1e-10, domain=[0, A]).convert(
        kind=np.polynomial.Polynomial).coef
    # One more pass on the double evaluation itself, whose rounding is of the margin's order.
    cur = (x * horner(c, x) - m) / u
    B = np.stack([x * (x / A)**j for j in range(deg + 1)], 1) / u[:, None] * 1e-9
    dc, margin = max_margin(-s[:, None] * B, s * cur, deg + 1)
    c = c + dc * 1e-9 / A**np.arange(deg + 1)
    left = s * (x * horner(c, x) - m) / u
    print(f"// [0, {A}): margin {margin:.3g} ulp, {np.sum(left <= 0)} wrong", file=sys.stderr)
    return c


def fit_piece(lo, hi, deg=6):
    x, m, u, d, s = constraints(lo, hi, 0.05)
    mid, h = (lo + hi) / 2, (hi - lo) / 2
    T = lambda t: np.polynomial.chebyshev.chebvander(t / h, deg)
    k = np.arange(3000)
    xn = mid + h * np.cos((k + 0.5) * np.pi / 3000)
    cref = np.linalg.lstsq(T(xn - mid), np.tanh(xn), rcond=None)[0]
    base = (T(x - mid) @ cref - d) / u
    b, margin = max_margin(-s[:, None] * T(x - mid) / u[:, None] * 1e-12,
                           s * ((d - m) / u + base), deg + 1)
    c = np.polynomial.chebyshev.cheb2poly(cref + b * 1e-12) / h**np.arange(deg + 1)
    print(f"// [{lo}, {hi}): margin {margin:.3g} ulp", file=sys.stderr)
    return mid, c


def evaluate(x, small, pieces):
    """tanh_f32.rs's evaluation, op for op."""
    a = np.abs(x).astype(np.float64)
    out = np.ones(len(x))
    lo = a < 0.125
    out[lo] = a[lo] * horner(small, a[lo])
    mid = (a >= 0.125) & (a < ONE_FROM)
    i = (np.abs(x[mid]).view(np.uint32) >> 21) - (np.float32(0.125).view(np.uint32) >> 21)
    cs = np.array([p[1] for p in pieces])[i]
    t = a[mid] - np.array([p[0] for p in pieces])[i]
    acc = cs[:, 6].copy()
    for k in range(5, -1, -1):
        acc = acc * t + cs[:, k]
    out[mid] = acc
    out[np.isnan(a)] = np.nan
    r = out.astype(np.float32)
    return np.where(np.signbit(x), -r, r)


def lit(v):
    h = '%016x' % struct.unpack('<Q', struct.pack('<d', v))[0]
    return 'f(0x%s_%s_%s_%s)' % (h[:4], h[4:8], h[8:12], h[12:])


def main():
    small = fit_small()
    pieces, lo = [], 0.125
    while lo < ONE_FROM:
        hi = lo + 2.0**np.floor(np.log2(lo)) / 4
        pieces.append(fit_piece(lo, hi))
        lo = hi
    print('const SMALL: [f64; 6] = [')
    for v in small:
        print('    %s, // %r' % (lit(v), float(v)))
    print('];')
    print('const PIECES: [(f64, [f64; 7]); %d] = [' % len(pieces))
    for mid, c in pieces:
        print('    (%r, [%s]),' % (mid, ', '.join(lit(v) for v in c)))
    print('];')
    if '--sweep' in sys.argv:
        bad = 0
        for s in range(0, 1 << 32, 1 << 24):
            x = np.arange(s, s + (1 << 24), dtype=np.uint64).astype(np.uint32).view(np.float32)
            t = torch.from_numpy(x).tanh().numpy()
            with np.errstate(invalid='ignore'):
                v = evaluate(x, small, pieces)
            w = (t.view(np.uint32) != v.view(np.uint32)) & ~(np.isnan(t) & np.isnan(v))
            bad += int(w.sum())
        print('// all float32: %d differ from torch.tanh' % bad, file=sys.stderr)


main()
