"""torch.dot's summation order (MKL sdot/ddot), probed in real PyTorch 2.15 (docs/matmul-order.md).

    /tmp/torch-venv/bin/python docs/probes/mkl_dot.py

1. The addition tree: with x[i] = 2^24 (2^53 for float64), x[j] = x[k] = 1 and y = ones, the dot
   is 2^24 + 2 exactly when j and k are added together before either meets i's partial sum. The
   tree is rebuilt by merging the clusters that meet before anything else and printed.
2. Random vectors of 1 to 199 elements (5 per length) and a few long ones against an emulation
   of the found order, with the products rounded then added, and fused (should fail).
3. With two threads, vectors of 8192+ float32 / 4096+ float64 elements no longer match the one
   thread order (MKL splits them; the split point was not found).
"""
import itertools
from fractions import Fraction

import numpy as np
import torch


def tree(n, dtype):
    big = 2.0 ** (24 if dtype == torch.float32 else 53)
    ones = torch.ones(n, dtype=dtype)
    memo = {}

    def meet(j, k, i):
        key = (min(j, k), max(j, k), i)
        if key not in memo:
            x = torch.zeros(n, dtype=dtype)
            x[i], x[j], x[k] = big, 1, 1
            memo[key] = torch.dot(x, ones).item() == big + 2
        return memo[key]

    clusters = [(e, (e,)) for e in range(n)]
    while len(clusters) > 1:
        for a, b in itertools.combinations(range(len(clusters)), 2):
            others = [i for c in range(len(clusters)) if c not in (a, b) for i in clusters[c][1]]
            if all(meet(clusters[a][1][0], clusters[b][1][0], i) for i in others):
                clusters[a] = ((clusters[a][0], clusters[b][0]), clusters[a][1] + clusters[b][1])
                del clusters[b]
                break
        else:
            return None
    return clusters[0][0]


def show(t):
    return str(t) if isinstance(t, int) else f"({show(t[0])}+{show(t[1])})"


def emulate(x, y, fused):
    f32 = x.dtype == np.float32
    lanes = 4 if f32 else 2
    rnd = (lambda v: float(np.float32(v))) if f32 else float
    acc = [[0.0] * lanes for _ in range(4)]

    def add(r, e, width):
        for l in range(width):
            a, b = float(x[e + l]), float(y[e + l])
            if fused:
                acc[r][l] = rnd(float(Fraction(a) * Fraction(b) + Fraction(acc[r][l])))
            else:
                acc[r][l] = rnd(acc[r][l] + rnd(a * b))

    n, e = len(x), 0
    while e + 4 * lanes <= n:
        for r in range(4):
            add(r, e + r * lanes, lanes)
        e += 4 * lanes
    if f32:
        if e + 8 <= n:
            add(0, e, 4), add(1, e + 4, 4)
            e += 8
        if e + 4 <= n:
            add(0, e, 4)
            e += 4
    else:
        while e + 2 <= n:
            add(0, e, 2)
            e += 2
    while e < n:
        add(0, e, 1)
        e += 1
    v = [rnd(rnd(rnd(acc[0][l] + acc[1][l]) + acc[2][l]) + acc[3][l]) for l in range(lanes)]
    return rnd(rnd(v[0] + v[2]) + rnd(v[1] + v[3])) if f32 else v[0] + v[1]


def check(threads, lengths, dtype, rng):
    torch.set_num_threads(threads)
    bad = {False: 0, True: 0}
    for n in lengths:
        x = (rng.standard_normal(n) * rng.choice([1, 100], n)).astype(dtype)
        y = rng.standard_normal(n).astype(dtype)
        want = torch.dot(torch.from_numpy(x), torch.from_numpy(y)).item()
        for fused in (False, True):
            bad[fused] += emulate(x, y, fused) != want
    return bad


if __name__ == "__main__":
    torch.set_num_threads(1)
    for dtype in (torch.float32, torch.float64):
        for n in (3, 5, 7, 9, 12, 16, 19, 23):
            print(dtype, n, show(tree(n, dtype)))
    rng = np.random.default_rng(0)
    short = [n for n in range(1, 200) for _ in range(5)]
    long = [1000, 1023, 1024, 1025, 4095, 8191]
    for dtype in (np.float32, np.float64):
        print(dtype.__name__, "1 thread, 1-199 elements: mismatches (plain, fused)", check(1, short, dtype, rng))
        print(dtype.__name__, "1 thread, long: mismatches (plain, fused)", check(1, long + [10007, 40000], dtype, rng))
        print(dtype.__name__, "2 threads, below 32 KiB:", check(2, long, dtype, rng),
              "from 32 KiB:", check(2, [8192, 9000, 10007, 40000], dtype, rng))
