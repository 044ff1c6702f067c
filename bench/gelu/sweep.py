# src/tensor/gelu_f32.rs's oneDNN path (built as sweep_lib.so, see README.md) against real
# PyTorch's F.gelu and gelu_backward (incoming gradient 1) on every float32 bit pattern, in 256
# chunks of 2^24; prints the chunks with differences and the totals (any NaN matches any NaN).
#   python sweep.py [FIRST LAST]   (chunks FIRST..LAST-1; all by default)
import ctypes
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
lib = ctypes.CDLL('./sweep_lib.so')
C = 1 << 24
first, last = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (0, 256)
ones = torch.ones(C)
nf = nb = 0
t0 = time.time()


def differ(a, b):
    bad = (a.view(np.uint32) != b.view(np.uint32)) & ~(np.isnan(a) & np.isnan(b))
    return int(bad.sum()), np.nonzero(bad)[0][:3]


for k in range(first, last):
    xb = np.arange(k * C, (k + 1) * C, dtype=np.uint64).astype(np.uint32)
    x = torch.from_numpy(xb.view(np.float32))
    y = np.empty(C, dtype=np.float32)
    d = np.empty(C, dtype=np.float32)
    lib.gelu(ctypes.c_uint32(k * C), ctypes.c_size_t(C), ctypes.c_void_p(y.ctypes.data), ctypes.c_void_p(d.ctypes.data))
    df, i1 = differ(y, F.gelu(x).numpy())
    db, i2 = differ(d, torch.ops.aten.gelu_backward(ones, x).numpy())
    nf += df
    nb += db
    if df or db:
        print(k, 'forward', df, [hex(v) for v in xb[i1]], 'backward', db, [hex(v) for v in xb[i2]], flush=True)
print('chunks', first, 'to', last, 'forward differ', nf, 'backward differ', nb, 'seconds', round(time.time() - t0))
