# MKL vmsExp probe (not reproduced); see bench/vsqrt/README.md.
import numpy as np, torch
torch.set_num_threads(1)
b = np.arange(0x3f800000, 0x40000000, dtype=np.uint32); x = b.view(np.float32)
y = torch.exp(torch.from_numpy(x)).numpy().astype(np.float64)
xd = x.astype(np.float64)
e = np.exp(xd); u = np.spacing(e.astype(np.float32)).astype(np.float64)
t = (y - e)/u
W=64
L = (t-0.5).reshape(-1,W).max(1); H=(t+0.5).reshape(-1,W).min(1)
xm = xd.reshape(-1,W)[:,0]
ok = L<=H
mid = (L+H)/2
d = np.abs(np.diff(mid))
big = np.where((d > 0.01) & ok[1:] & ok[:-1])[0]
print('consistent windows', ok.mean(), 'jumps >0.01:', len(big))
jx = xm[big+1]
for k in range(3, 12):
    s = jx*2**k/np.log(2)
    frac = np.abs(s - np.round(s - 0.5) - 0.5)   # distance of x*2^k/ln2 to a half-integer
    frac2 = np.abs(s - np.round(s))              # to an integer
    print(k, 'median dist to half-int', np.median(frac)*W, 'to int', np.median(frac2))
print(jx[:20])
print(np.diff(jx[:40]))
