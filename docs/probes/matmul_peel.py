"""The peeled columns of MKL's plain float32 kernel for `x @ w` with a row-major `w` (k, n),
probed in real PyTorch 2.15 (docs/matmul-order.md, "Peeled columns of a row-major `mat2`").

    /tmp/torch-venv/bin/python docs/probes/matmul_peel.py

1. Cancellation: x all ones, w[:, 0] all ones but w[p0, 0] = 2^40 and w[q, 0] = -2^40; each
   output counts the ones added after the two big products met. Row 0 of (16, 37) @ (37, 10)
   counts the plain chain (36 - q); row 1 counts 29 for q = 4..7 with p0 = 0: the block 4..7
   was summed apart and added whole.
2. Random products: every output of `x @ w` (x row-major or transposed, views at offsets, bmm
   batches, addmm with a bias) against the emulation below.
"""
import numpy as np
import torch

f32 = np.float32


def chain(P, s=None):
    for v in P:
        s = v if s is None else f32(s + v)
    return s


def peeled(P, s=None):
    """Blocks of four: even blocks into the sum one by one, odd blocks summed apart then added."""
    k = len(P)
    for b in range(0, k, 4):
        blk = P[b:b + 4]
        if len(blk) == 4 and (b // 4) % 2 == 1:
            s = f32(s + chain(blk))
        else:
            s = chain(blk, s)
    return s


def peel(start, i, n):
    """Columns of output row i peeled to its 16-byte boundary, when a vector of 4 remains."""
    p = (-(start + i * n)) % 4
    return p if n - p >= 4 else 0


def model(A, B, cstart=0, bias=None):
    m, n = A.shape[0], B.shape[1]
    out = np.zeros((m, n), f32)
    for i in range(m):
        for j in range(n):
            P = (A[i] * B[:, j]).astype(f32)
            init = None if bias is None else bias[j]
            out[i, j] = peeled(P, init) if j < peel(cstart, i, n) else chain(P, init)
    return out


def cancel(m, k, n, col, p0):
    rows = []
    for q in range(k):
        if q == p0:
            continue
        A = torch.ones(m, k)
        B = torch.ones(k, n)
        B[p0, col], B[q, col] = 2.0 ** 40, -(2.0 ** 40)
        rows.append((q, [int(v) for v in (A @ B)[:4, col].tolist()]))
    return rows


def main():
    print("cancellation, (16, 37) @ (37, 10), column 0, p0 = 0: q -> rows 0-3")
    for q, r in cancel(16, 37, 10, 0, 0)[:16]:
        print(" ", q, r)
    g = torch.Generator().manual_seed(1)
    tot = bad = 0
    for m in [1, 2, 3, 4, 5, 6, 7, 9, 16, 33]:
        for n in [2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 17, 30]:
            if m >= 4 and n >= 12:
                continue  # the FMA kernel
            for k in [5, 8, 9, 12, 16, 17, 37, 64, 100, 127]:
                for at in (False, True):
                    A = torch.randn(k, m, generator=g).t() if at else torch.randn(m, k, generator=g)
                    B = torch.randn(k, n, generator=g)
                    tot += 1
                    bad += not ((A @ B).numpy() == model(A.numpy(), B.numpy())).all()
    print("x @ w, m = 1-33, n = 2-30, k = 5-127:", tot - bad, "of", tot, "products match")
    tot = bad = 0
    for (m, k, n) in [(6, 37, 10), (16, 37, 7), (3, 20, 9), (5, 17, 11)]:
        for s in range(1, 4):
            A = torch.randn(m, k + 5, generator=g)[:, s:s + k]
            B = torch.randn(k, n + 5, generator=g)[:, s:s + n]
            tot += 1
            bad += not ((A @ B).numpy() == model(A.numpy(), B.numpy())).all()
    print("x, w views at offsets 1-3:", tot - bad, "of", tot)
    tot = bad = 0
    for (nb, m, k, n) in [(3, 3, 30, 13), (2, 6, 20, 5), (4, 4, 10, 11), (3, 12, 15, 7), (2, 20, 36, 9)]:
        A, B = torch.randn(nb, m, k, generator=g), torch.randn(nb, k, n, generator=g)
        C = torch.bmm(A, B).numpy()
        for b in range(nb):
            tot += 1
            bad += not (C[b] == model(A[b].numpy(), B[b].numpy(), cstart=b * m * n)).all()
    print("bmm batches, peel from b * m * n:", tot - bad, "of", tot)
    tot = bad = 0
    for (m, k, n) in [(6, 37, 10), (16, 37, 7), (3, 20, 9), (64, 100, 10)]:
        A, B, b = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g), torch.randn(n, generator=g)
        tot += 1
        want = model(A.numpy(), B.numpy(), bias=b.numpy())
        bad += not (torch.addmm(b, A, B).numpy() == want).all()
    print("addmm, sums from the bias:", tot - bad, "of", tot)
    tot = bad = 0
    for (m, k, n) in [(5, 37, 13), (6, 37, 13), (7, 37, 17), (10, 30, 13), (9, 64, 19), (11, 40, 30)]:
        A, B = torch.randn(m, k, generator=g), torch.randn(k, n, generator=g)
        lo = m // 4 * 4
        tot += 1
        bad += not ((A @ B).numpy()[lo:] == model(A.numpy(), B.numpy())[lo:]).all()
    print("rows left over by the FMA kernel:", tot - bad, "of", tot)


if __name__ == "__main__":
    main()
