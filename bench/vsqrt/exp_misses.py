# MKL vmsExp probe (not reproduced); see bench/vsqrt/README.md.
import numpy as np, torch
torch.set_num_threads(1)
# all floats in [1, 2) and [-2,-1) etc
for lo, hi in [(0x3f800000, 0x40000000), (0xbf800000, 0xc0000000), (0x3e800000, 0x3f000000), (0x40800000, 0x41000000)]:
    b = np.arange(lo, hi, dtype=np.uint32); x = b.view(np.float32)
    y = torch.exp(torch.from_numpy(x)).numpy()
    e = np.exp(x.astype(np.float64))
    cr = e.astype(np.float32)
    u = np.spacing(cr).astype(np.float64)
    t = (y.astype(np.float64) - e)/u
    mis = y != cr
    print(f'[{x[0]:g},{x[-1]:g}] miss {mis.mean():.4f}, max|t| {np.abs(t).max():.4f}, min dist-from-mid of misses {(1-np.abs(t[mis])).min() if mis.any() else 0:.5f}',
          'dir up frac', np.mean(t[mis]>0) if mis.any() else 0)
