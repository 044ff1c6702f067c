# Error envelope of MKL vsSqrt per window of inputs; see bench/vsqrt/README.md.
import numpy as np
y = np.load('y14.npy').astype(np.float64)
b = np.arange(0x3f800000, 0x40800000, dtype=np.uint32)
x = b.view(np.float32).astype(np.float64)
s = np.sqrt(x); u=2.0**-23
t = (y - s)/u
W=1<<14
L = (t-0.5).reshape(-1,W).max(1); H = (t+0.5).reshape(-1,W).min(1)
xm = x.reshape(-1,W).mean(1); sm=np.sqrt(xm)
for i in range(0,len(L),16):
    print(f'{xm[i]:.5f} s={sm[i]:.4f} L={L[i]:+.4f} H={H[i]:+.4f}  2-2/s:{0.25*(2-2/sm[i]):.4f} ')
