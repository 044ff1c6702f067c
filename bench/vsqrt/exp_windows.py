# MKL vmsExp probe (not reproduced); see bench/vsqrt/README.md.
import numpy as np, torch
torch.set_num_threads(1)
b = np.arange(0x3f800000, 0x40000000, dtype=np.uint32); x = b.view(np.float32)
y = torch.exp(torch.from_numpy(x)).numpy().astype(np.float64)
e = np.exp(x.astype(np.float64)); u = np.spacing(e.astype(np.float32)).astype(np.float64)
t = (y - e)/u
for W in [1<<8, 1<<12]:
    L = (t-0.5).reshape(-1,W).max(1); H=(t+0.5).reshape(-1,W).min(1)
    print('W', W, 'windows with L>H (inconsistent):', np.mean(L>H), 'median width', np.median(H-L))
    for i in range(0, len(L), len(L)//12):
        print(f'  x={x[i*W]:.5f} L={L[i]:+.4f} H={H[i]:+.4f}')
