# Probes ATen's softmax backward summation orders against real PyTorch (float32 and float64,
# 2 threads): run with /tmp/torch-venv/bin/python docs/probes/softmax_backward.py.
#
# 1. Over a dim other than the last (`_vec_softmax_backward`): per (outer, inner) column the sum
#    of g*y runs from zero down the dim; candidates fuse each term (fma(g, y, sum)) or add the
#    rounded product, separately on the chunk's whole vectors and on its scalar tail. Found: both
#    fused (GCC contracts `sum += g * y`); grad = y * (g - sum).
# 2. Over the last dim (`vec::map2_reduce_all`): whole vectors of rounded products accumulated lane
#    by lane, the partial last vector added into the first lanes, lanes folded (float32: halves,
#    float64: lanes 1.. into lane 0); candidates fuse the middle vectors and/or the tail. Found:
#    neither is fused.
# Prints, per shape and candidate, how many gradient elements differ from PyTorch's.
import itertools
from fractions import Fraction

import numpy as np
import torch

torch.set_num_threads(2)


def fma(a, b, c, tp):
    # a*b + c exactly, then rounded (float32 through float64: a double rounding that the
    # probe tolerates, the product of two float32 being exact in a double).
    v = Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c))
    return tp(float(v))


def inner(g, y, dim, fuse_vec, fuse_tail, W):
    shape = g.shape
    outer = int(np.prod(shape[:dim]))
    D = shape[dim]
    n_in = int(np.prod(shape[dim + 1:]))
    g = g.reshape(outer, D, n_in)
    y = y.reshape(outer, D, n_in)
    tp = g.dtype.type
    chunk = max(128 * 1024 // D // g.itemsize, W) // W * W
    out = np.empty_like(g)
    for o in range(outer):
        for b in range(0, n_in, chunk):
            size = min(chunk, n_in - b)
            ve = size - size % W
            for p in range(size):
                fuse = fuse_vec if p < ve else fuse_tail
                s = tp(0)
                for k in range(D):
                    gg, yy = g[o, k, b + p], y[o, k, b + p]
                    s = fma(gg, yy, s, tp) if fuse else tp(s + tp(gg * yy))
                for k in range(D):
                    out[o, k, b + p] = tp(y[o, k, b + p] * tp(g[o, k, b + p] - s))
    return out.reshape(shape)


def fold(acc, tp, tree):
    acc = list(acc)
    if not tree:
        s = acc[0]
        for v in acc[1:]:
            s = tp(s + v)
        return s
    w = len(acc)
    while w > 1:
        w //= 2
        for j in range(w):
            acc[j] = tp(acc[j] + acc[j + w])
    return acc[0]


def rowdot(g, y, W, tp, fmid, ftail):
    n = len(g)
    if n < W:
        s = tp(g[0] * y[0])
        for k in range(1, n):
            s = tp(s + tp(g[k] * y[k]))
        return s
    acc = [tp(g[k] * y[k]) for k in range(W)]
    full = n - n % W
    for k in range(W, full):
        acc[k % W] = fma(g[k], y[k], acc[k % W], tp) if fmid else tp(acc[k % W] + tp(g[k] * y[k]))
    for k in range(full, n):
        acc[k - full] = fma(g[k], y[k], acc[k - full], tp) if ftail else tp(acc[k - full] + tp(g[k] * y[k]))
    return fold(acc, tp, tp == np.float32)


def grads(shape, dim, dt, seed):
    torch.manual_seed(seed)
    x = (torch.randn(shape, dtype=dt) * 4).requires_grad_(True)
    y = torch.softmax(x, dim)
    g = torch.randn(shape, dtype=dt)
    y.backward(g)
    return g.numpy(), y.detach().numpy(), x.grad.numpy()


for dt, W in ((torch.float32, 16), (torch.float64, 8)):
    for shape, dim in (((8, 256), 0), ((6, 9), 0), ((5, 40), 0), ((3, 4, 19), 1), ((7, 33), 0), ((4, 5, 6), 0), ((30, 17), 0)):
        g, y, ref = grads(shape, dim, dt, 1)
        for fv, ft in itertools.product((0, 1), (0, 1)):
            c = inner(g, y, dim, fv, ft, W)
            print('inner', dt, shape, 'dim', dim, 'fuse_vec', fv, 'fuse_tail', ft, 'differ', int((c != ref).sum()))
    for n in (W + 1, W + 2, W + 5, 2 * W + 3, 3 * W - 1, 18, 26, 40, 100):
        g, y, ref = grads((20, n), -1, dt, n)
        tp = g.dtype.type
        for fm, ft in itertools.product((0, 1), (0, 1)):
            out = np.empty_like(ref)
            for r in range(20):
                s = rowdot(g[r], y[r], W, tp, fm, ft)
                out[r] = [tp(g[r][k] - s) * y[r][k] for k in range(n)]
            print('last', dt, (20, n), 'fuse_mid', fm, 'fuse_tail', ft, 'differ', int((out != ref).sum()))
