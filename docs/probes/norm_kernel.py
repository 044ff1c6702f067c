# How ATen 2.15 computes torch.linalg.vector_norm on the CPU (torch.norm, Tensor.norm and
# clip_grad_norm_ go through it): each hypothesis below is a model in numpy, compared bit for
# bit with torch on random inputs. Run with the torch venv's python; prints match counts.
#
# Found (src/tensor/norm_reduce.rs follows it):
# - p = 2 over one contiguous reduced dim: 8 float32 / 4 float64 lanes of `acc + x*x` (not
#   fused), lanes added left to right, then the float32 tail: 4 unfused squares added in turn
#   when 4 or more remain, every other tail element `fma(x, x, acc)`; sqrt.
# - every other case (strided, transposed, several dims, p != 2): one accumulator per output,
#   elements in TensorIterator's order, `acc + x*x` / `acc + |x|` unfused.
import itertools
import math
from fractions import Fraction as Fr

import numpy as np
import torch


def r32(fr):
    # A Fraction rounded to float32 once (round half to even).
    if fr == 0:
        return np.float32(0)
    s = -1 if fr < 0 else 1
    a = abs(fr)
    e = math.floor(math.log2(a.numerator) - math.log2(a.denominator))
    while Fr(2) ** e > a:
        e -= 1
    while Fr(2) ** (e + 1) <= a:
        e += 1
    q = a / Fr(2) ** (e - 23)
    n = q.numerator // q.denominator
    rem = q - n
    if rem > Fr(1, 2) or (rem == Fr(1, 2) and n % 2 == 1):
        n += 1
    return np.float32(s * n * 2.0 ** (e - 23))


def fma32(a, b, c):
    return r32(Fr(float(a)) * Fr(float(b)) + Fr(float(c)))


def fma64(a, b, c):
    return float(Fr(a) * Fr(b) + Fr(c))


def lastdim32(x, lanes, vec_fma, tail_block):
    # The vectorised row loop for float32; tail_block: unfused squares taken 4 at a time first.
    n = len(x)
    acc = [np.float32(0)] * lanes
    d = 0
    while d + lanes <= n:
        for j in range(lanes):
            v = x[d + j]
            acc[j] = fma32(v, v, acc[j]) if vec_fma else np.float32(acc[j] + np.float32(v * v))
        d += lanes
    b = acc[0]
    for j in range(1, lanes):
        b = np.float32(b + acc[j])
    if tail_block and n - d >= 4:
        for v in x[d:d + 4]:
            b = np.float32(b + np.float32(v * v))
        d += 4
    for v in x[d:]:
        b = fma32(v, v, b)
    return np.float32(np.sqrt(np.float64(b)))


def lastdim64(x, lanes, vec_fma):
    n = len(x)
    acc = [0.0] * lanes
    d = 0
    while d + lanes <= n:
        for j in range(lanes):
            v = x[d + j]
            acc[j] = fma64(v, v, acc[j]) if vec_fma else acc[j] + v * v
        d += lanes
    b = acc[0]
    for j in range(1, lanes):
        b = b + acc[j]
    for v in x[d:]:
        b = fma64(v, v, b)
    return math.sqrt(b)


def serial32(x, fused):
    b = np.float32(0)
    for v in x:
        b = fma32(v, v, b) if fused else np.float32(b + np.float32(v * v))
    return np.float32(np.sqrt(np.float64(b)))


g = torch.Generator().manual_seed(5)
sizes = list(range(1, 48)) * 4 + [255, 256, 257, 1023, 1025]
xs = [torch.randn(n, generator=g) for n in sizes]
for lanes, vf, tb in itertools.product([8, 16], [False, True], [False, True]):
    ok = sum(lastdim32(x.numpy(), lanes, vf, tb) == np.float32(torch.norm(x).item()) for x in xs)
    print('float32 contiguous: lanes %d, fused vector %s, 4-block tail %s: %d / %d' % (lanes, vf, tb, ok, len(xs)))
xs = [torch.randn(n, generator=g, dtype=torch.float64) for n in sizes]
for lanes, vf in itertools.product([4, 8], [False, True]):
    ok = sum(lastdim64([float(v) for v in x], lanes, vf) == torch.norm(x).item() for x in xs)
    print('float64 contiguous: lanes %d, fused vector %s: %d / %d' % (lanes, vf, ok, len(xs)))
# Columns of a row-major matrix (reduced dim strided) and every other element: serial.
for fused in (False, True):
    ok = tot = 0
    for n in list(range(2, 40)) * 2:
        x = torch.randn(n, 3, generator=g)
        t = torch.norm(x, dim=0)
        for c in range(3):
            tot += 1
            ok += serial32(x[:, c].numpy(), fused) == np.float32(t[c].item())
        y = torch.randn(2 * n, generator=g)[::2]
        tot += 1
        ok += serial32(y.numpy(), fused) == np.float32(torch.norm(y).item())
    print('float32 strided: serial, fused %s: %d / %d' % (fused, ok, tot))
# p = 1: serial sum of |x|, not the cascade of torch.sum.
ok = tot = 0
for n in range(2, 80):
    x = torch.randn(n, generator=g)
    b = np.float32(0)
    for v in x.numpy():
        b = np.float32(b + abs(v))
    tot += 1
    ok += b == np.float32(torch.norm(x, p=1).item())
print('float32 p=1: serial: %d / %d' % (ok, tot))
# Past the grain size (32768) with 2 threads: a contiguous row is still one loop call, while
# the serial path of a single output is split into two halves, each from zero, then added.
torch.set_num_threads(2)


def serial_sum(xs):
    b = np.float32(0)
    for v in xs:
        b = np.float32(b + np.float32(v * v))
    return b


for n in [40000, 100003]:
    x = torch.randn(n, generator=g)
    print('contiguous %d, one row loop:' % n, lastdim32(x.numpy(), 8, False, True) == np.float32(torch.norm(x).item()))
    y = torch.randn(2 * n, generator=g)[::2].numpy()
    h = (n + 1) // 2
    two = np.float32(np.sqrt(np.float64(np.float32(serial_sum(y[:h]) + serial_sum(y[h:])))))
    one = np.float32(np.sqrt(np.float64(serial_sum(y))))
    t = np.float32(torch.norm(torch.from_numpy(y)).item())
    print('strided %d: two chunks' % n, two == t, ', one serial run', one == t)
