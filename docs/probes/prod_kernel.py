# How ATen 2.15 computes float torch.prod on the CPU (binary_kernel_reduce_vec): a model in
# numpy compared bit for bit with torch on random inputs near 1 (so products stay finite).
# Found (src/tensor/prod_reduce.rs follows it): a contiguous row is multiplied in blocks of
# four AVX2 vectors (32 floats / 16 doubles) lane by lane, the four vectors combined as
# (v0*v1)*(v2*v3), that vector's lanes multiplied left to right into the output (which starts
# at 1), then the rest of the row element by element; a strided dim (columns) is plain
# left-to-right.
import numpy as np
import torch


def inner(row, out, lanes, dt):
    n = len(row)
    block = 4 * lanes
    count = n // block
    if count > 0:
        acc = [dt(v) for v in row[:block]]
        for i in range(1, count):
            for k in range(block):
                acc[k] = dt(acc[k] * row[i * block + k])
        v = [dt(dt(acc[j] * acc[lanes + j]) * dt(acc[2 * lanes + j] * acc[3 * lanes + j])) for j in range(lanes)]
        b = v[0]
        for j in range(1, lanes):
            b = dt(b * v[j])
        out = dt(out * b)
    for k in range(count * block, n):
        out = dt(out * row[k])
    return out


def plain(row, dt):
    s = dt(1)
    for v in row:
        s = dt(s * dt(v))
    return s


g = torch.Generator().manual_seed(0)
for tdt, dt, lanes in [(torch.float32, np.float32, 8), (torch.float64, np.float64, 4)]:
    ok = left = tot = 0
    for n in list(range(1, 140)) * 2:
        x = torch.rand(n, generator=g, dtype=tdt) * 0.6 + 0.7
        t = dt(x.prod().item())
        row = [dt(v) for v in x.numpy()]
        tot += 1
        ok += inner(row, dt(1), lanes, dt) == t
        left += plain(row, dt) == t
    print(tdt, 'all elements: model %d / %d, left to right %d' % (ok, tot, left))
    ok = tot = 0
    for n in range(1, 80):
        x = torch.rand(3, n, generator=g, dtype=tdt) * 0.6 + 0.7
        t = x.prod(dim=1)
        for r in range(3):
            tot += 1
            ok += inner([dt(v) for v in x[r].numpy()], dt(1), lanes, dt) == dt(t[r].item())
    print(tdt, 'rows (dim=1): model %d / %d' % (ok, tot))
    ok = tot = 0
    for n in range(1, 80):
        x = torch.rand(n, 5, generator=g, dtype=tdt) * 0.6 + 0.7
        t = x.prod(dim=0)
        for c in range(5):
            tot += 1
            ok += plain(x[:, c].numpy(), dt) == dt(t[c].item())
    print(tdt, 'columns (dim=0): left to right %d / %d' % (ok, tot))
# Past the grain size (32768) with 2 threads: one output's elements split into two halves,
# each its own row from 1, the output the product of the two.
torch.set_num_threads(2)
for n in [40000, 100003]:
    x = torch.rand(n, generator=g) * 0.0002 + 0.9999
    row = [np.float32(v) for v in x.numpy()]
    h = (n + 1) // 2
    two = np.float32(inner(row[:h], np.float32(1), 8, np.float32) * inner(row[h:], np.float32(1), 8, np.float32))
    t = np.float32(x.prod().item())
    print('float32 %d: two chunks' % n, two == t, ', one row', inner(row, np.float32(1), 8, np.float32) == t)
