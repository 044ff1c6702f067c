# src/tensor/vml_log.rs (built as sweep_lib.so, see README.md) against torch.log on every float32
# bit pattern, in 64 chunks of 2^26; prints the chunks with differences and the total.
import ctypes, sys
import numpy as np, torch

torch.set_num_threads(1)
lib = ctypes.CDLL('./sweep_lib.so')
lib.cmp.restype = ctypes.c_size_t
lib.cmp.argtypes = [ctypes.c_uint32, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
CH = 1 << 26
out = np.zeros(1000, np.uint32)
chunks = range(64) if len(sys.argv) < 2 else [int(a) for a in sys.argv[1:]]
tot = 0
for k in chunks:
    x = np.arange(k * CH, (k + 1) * CH, dtype=np.uint64).astype(np.uint32).view(np.float32)
    y = torch.log(torch.from_numpy(x)).numpy()
    c = lib.cmp(k * CH, CH, y.ctypes.data, out.ctypes.data, 1000)
    if c:
        print(f'chunk {k:2d} (bits {k*CH:#010x}..): {c} differ, e.g. {[hex(v) for v in out[:min(c, 5)]]}', flush=True)
    tot += c
print('differing inputs over', len(chunks), 'chunks:', tot)
