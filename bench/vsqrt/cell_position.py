# P(MKL rounds up) by the root's position in its ulp cell; see bench/vsqrt/README.md.
import numpy as np
y = np.load('y14.npy').astype(np.float64)
b = np.arange(0x3f800000, 0x40800000, dtype=np.uint32)
x = b.view(np.float32).astype(np.float64)
s = np.sqrt(x); u=2.0**-23
f = lambda a: np.asarray(a, np.float64).astype(np.float32).astype(np.float64)
fr = s/u - np.floor(s/u)
def show(label, up):
  for x0 in [1.01, 1.5, 2.01, 3.0, 3.9]:
    i0 = int((np.float32(x0).view(np.uint32) - 0x3f800000))
    sl = slice(i0, i0 + (1<<16))
    fq = fr[sl]; U = up[sl]
    nb=40
    idx = np.minimum((fq*nb).astype(int), nb-1)
    p = np.bincount(idx, U, nb)/np.bincount(idx, None, nb)
    print(f'{label} x0={x0}:', ''.join('0' if v==0 else ('#' if v==1 else str(min(9,int(v*10)))) for v in p))
show('torch ', y > s)
hi = f(s); h = f(0.5/s)
show('fs    ', f(hi + f(x - f(hi*hi))*h) > s)
r = f(1/s); hi = f(x*r)
show('fxr   ', f(hi + f(x - f(hi*hi))*h) > s)
