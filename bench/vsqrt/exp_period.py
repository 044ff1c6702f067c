# MKL vsExp probe: is the sign of MKL's internal error a function of r = x - n*ln2/2^k alone?
# Over the misses (torch.exp != correctly rounded) of [1, 2) and [-2, -1), bin r by its
# position in the cell and report the sign purity per k. Purity stays ~0.999 up to k = 7 and
# drops from k = 8: a table of 2^(j/128) and a polynomial in r. See docs/divergences-differential.md.
import numpy as np, torch
torch.set_num_threads(1)
LN2 = np.log(2.0)
xs, ss = [], []
for lo, hi in ((0x3f800000, 0x40000000), (0xbf800000, 0xc0000000)):
    x = np.arange(lo, hi, dtype=np.uint32).view(np.float32)
    y = torch.exp(torch.from_numpy(x)).numpy()
    d = x.astype(np.float64); e = np.exp(d); m = y != e.astype(np.float32)
    xs.append(d[m]); ss.append(np.sign(y[m].astype(np.float64) - e[m]))
x = np.concatenate(xs); s = np.concatenate(ss)
for k in range(0, 12):
    c = LN2 / 2**k
    r = x - np.rint(x / c) * c
    bins = np.floor((r / c + 0.5) * 2000).astype(int)
    pos = np.bincount(bins, weights=(s > 0), minlength=2001); cnt = np.bincount(bins, minlength=2001)
    ok = cnt >= 2
    print(k, 'purity %.3f' % (np.maximum(pos[ok], cnt[ok] - pos[ok]).sum() / cnt[ok].sum()))
