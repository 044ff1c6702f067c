# Probes of MKL dgemm/dgemv's summation order (float64 `mm`, `F.linear`, `mm` with a transposed
# `mat1`) in real PyTorch, docs/matmul-order.md "float64". Every output of every product is
# compared with the model below (src/tensor/dgemm_order.rs implements the same model); the FMA
# chains are emulated exactly with the C library's fma() (Python 3.11 has no math.fma).
#
#   /tmp/torch-venv/bin/python docs/probes/dgemm_order.py            # the model on a grid
#   /tmp/torch-venv/bin/python docs/probes/dgemm_order.py regions    # which rows/columns are F/P
import ctypes
import sys

import numpy as np
import torch
import torch.nn.functional as F

D = torch.float64
libm = ctypes.CDLL("libm.so.6")
libm.fma.restype = ctypes.c_double
libm.fma.argtypes = [ctypes.c_double] * 3
_vfma = np.frompyfunc(lambda a, b, c: libm.fma(a, b, c), 3, 1)


def fma_chain(x, y):
    acc = 0.0
    for a, b in zip(x, y):
        acc = libm.fma(a, b, acc)
    return acc


def plain(P):
    s = 0.0
    for v in P:
        s = s + v
    return s


def peeled(P, B=4, acc=0.0):
    # peel_order.rs's block order: even blocks of B added one by one, odd blocks summed apart.
    p, k = 0, len(P)
    while p + 2 * B <= k:
        for q in range(p, p + B):
            acc = acc + P[q]
        t = P[p + B]
        for q in range(p + B + 1, p + 2 * B):
            t = t + P[q]
        acc, p = acc + t, p + 2 * B
    for q in range(p, k):
        acc = acc + P[q]
    return acc


def lanes(P, L, h):
    # h products into lane 0, then L lanes by (p - h) % L, folded in halves, then the rest.
    k = len(P)
    h = min(h, k)
    body = (k - h) // L * L
    acc = [None] * L
    for p in range(h):
        acc[0] = P[p] if acc[0] is None else acc[0] + P[p]
    for p in range(h, h + body):
        i = (p - h) % L
        acc[i] = P[p] if acc[i] is None else acc[i] + P[p]
    acc = [0.0 if a is None else a for a in acc]
    while len(acc) > 1:
        half = len(acc) // 2
        acc = [acc[i] + acc[i + half] for i in range(half)]
    s = acc[0]
    for p in range(h + body, k):
        s = s + P[p]
    return s


def model(x, w, m, k, n, transposed_b, cstart=0, a_rows=True):
    """x (m, k); w (k, n) for mm, (n, k) for linear; a_rows: x row-major (not x.t().t()).
    Returns the model's outputs and where it has an order (elsewhere: plain, not found)."""
    B = w.T if transposed_b else w
    out = np.full((m, n), np.nan)
    known = np.ones((m, n), bool)
    if n == 1 and m >= 2 and a_rows:
        for i in range(m):
            P = x[i] * B[:, 0]
            if i < m // 4 * 4:
                out[i, 0] = lanes(P, 2, (k - 1) % 2 + 1)
            else:
                out[i, 0] = plain(P)
                known[i, 0] = False
        return out, known
    fr, fc = (m // 4 * 4, n // 12 * 12) if (m >= 4 and n >= 12) else (0, 0)
    for i in range(m):
        for j in range(n):
            P = x[i] * B[:, j]
            if i < fr and j < fc:
                out[i, j] = fma_chain(x[i], B[:, j])
            elif transposed_b and a_rows and (fr or m >= 2):
                # the FMA kernel's leftover rows: a peel of (k - 1) % 2 + 1 under its columns;
                # beyond them (or in a narrower product) columns in blocks of four peel to
                # x's row's 16-byte boundary; the last n % 4 columns: not found
                if j < fc:
                    out[i, j] = lanes(P, 2, (k - 1) % 2 + 1)
                elif j < fc + (n - fc) // 4 * 4:
                    out[i, j] = lanes(P, 2, (i * k) % 2)
                    # a split of long sums, and the leftover rows' last columns (peeling
                    # (k - 1) % 2 + 1 for n = 40, to x's boundary for n = 16, 28): not found
                    known[i, j] = k <= 256 and not (fr and i >= fr)
                else:
                    out[i, j], known[i, j] = plain(P), False
            elif transposed_b:
                out[i, j], known[i, j] = plain(P), False
            else:
                if fr and i < fr:
                    runs = [(fc, n)]
                else:
                    c = min(12 * -(-n // 24), n)
                    runs = [(0, c), (c, n)]
                s, e = next((s, e) for s, e in runs if s <= j < e)
                if j == s and (cstart + i * n + s) % 2 == 1 and e - s >= 3:
                    out[i, j] = peeled(P)
                    # past 256 products the FMA rows' leftover columns sometimes restart the
                    # block order at k / 2 (n = 51), sometimes not (n = 15, 27): not found
                    known[i, j] = not (fr and i < fr and k > 256)
                else:
                    out[i, j] = plain(P)
    return out, known


def check(m, k, n, kind, seed):
    torch.manual_seed(seed)
    x = torch.randn(m, k, dtype=D)
    if kind == "lin":
        w = torch.randn(n, k, dtype=D)
        y = F.linear(x, w)
    else:
        w = torch.randn(k, n, dtype=D)
        y = torch.mm(x.t().contiguous().t() if kind == "ta" else x, w)
    o, known = model(x.numpy(), w.numpy(), m, k, n, kind == "lin", a_rows=kind != "ta")
    eq = o == y.numpy()
    return int(eq[known].sum()), int(known.sum()), int(eq[~known].sum()), int((~known).sum())


def grid():
    shapes = [(m, k, n) for m in (1, 2, 3, 4, 5, 7, 8, 9, 13) for k in (1, 5, 37, 204, 300)
              for n in (1, 3, 4, 5, 12, 15, 16, 27, 40, 51)]
    # the time-sequence lesson's (LSTMCell(1, 51), LSTMCell(51, 51), Linear(51, 1), batch 7)
    shapes += [(7, 51, 204), (7, 1, 204), (7, 204, 51), (204, 7, 51), (7, 51, 1), (1, 7, 51),
               (3, 51, 204), (3, 51, 1), (32, 8, 6), (32, 6, 4), (4, 32, 6), (6, 32, 8)]
    for kind in ("mm", "ta", "lin"):
        ok = tot = uok = utot = 0
        bad = []
        for (m, k, n) in shapes:
            a, b, c, d = check(m, k, n, kind, seed=m * 1000 + k * 10 + n)
            ok, tot, uok, utot = ok + a, tot + b, uok + c, utot + d
            if a != b:
                bad.append((m, k, n, b - a))
        print(f"{kind}: modelled outputs {ok}/{tot} match; outside the model (plain) {uok}/{utot};"
              f" shapes with a modelled miss: {bad[:12]}")


def regions(m, k, n, kind):
    # F: only the FMA chain matches, P: only the plain chain, =: both, ?: neither
    torch.manual_seed(0)
    x = torch.randn(m, k, dtype=D)
    w = torch.randn(k, n, dtype=D)
    y = (F.linear(x, w.t().contiguous()) if kind == "lin" else torch.mm(x, w)).numpy()
    x, w = x.numpy(), w.numpy()
    for i in range(m):
        row = ""
        for j in range(n):
            f = fma_chain(x[i], w[:, j]) == y[i, j]
            p = plain(x[i] * w[:, j]) == y[i, j]
            row += "=" if f and p else "F" if f else "P" if p else "?"
        print(f"{kind} {m}x{k}x{n} row {i}: {row}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["regions"]:
        for m, n in ((5, 16), (7, 40), (4, 28), (3, 27)):
            regions(m, 37, n, "mm")
            regions(m, 37, n, "lin")
    else:
        grid()
