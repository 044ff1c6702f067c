# G1 against torch.sqrt on every float32 bit pattern; see bench/vsqrt/README.md.
import numpy as np, torch, ctypes
torch.set_num_threads(1)
lib = ctypes.CDLL('./g1lib.so'); lib.cmp.restype = ctypes.c_long
lib.cmp.argtypes = [ctypes.c_uint32, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_long]
CH = 1<<26
out = np.zeros(1000, np.uint32)
tot = 0
for k in range(64):
    b = np.arange(k*CH, (k+1)*CH, dtype=np.uint64).astype(np.uint32)
    x = b.view(np.float32)
    y = torch.sqrt(torch.from_numpy(x)).numpy()
    c = lib.cmp(k*CH, CH, y.ctypes.data, out.ctypes.data, 1000)
    if c:
        xs = out[:min(c,1000)].view(np.float32)
        print(f'chunk {k:2d}: {c} mismatches, e.g. bits {[hex(v) for v in out[:5]]} x={xs[:5]} torch={torch.sqrt(torch.from_numpy(xs[:5].copy())).numpy()}', flush=True)
    tot += c
print('total mismatches', tot)
