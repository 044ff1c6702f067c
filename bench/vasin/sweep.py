# src/tensor/vml_asin.rs (built as sweep_lib.so, see README.md) and the C library against
# torch.asin / torch.acos on every float32 of [-1, 1] (both signs), in chunks of 2^25; prints
# per-chunk and total differing counts and saves the model's differing inputs to misses_*.npy.
import ctypes, sys
import numpy as np, torch

torch.set_num_threads(1)
lib = ctypes.CDLL('./sweep_lib.so')
lib.cmp.restype = ctypes.c_uint64
lib.cmp.argtypes = [ctypes.c_uint32, ctypes.c_uint32, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
CH = 1 << 25
ONE = 0x3f800000
out = np.zeros(1 << 20, np.uint32)
for which, name in enumerate(['asin', 'acos']):
    if len(sys.argv) > 1 and name not in sys.argv[1:]:
        continue
    fn = getattr(torch, name)
    tot_m = tot_l = 0
    misses = []
    for sign in (0, 1 << 31):
        for lo in range(0, ONE + 1, CH):
            hi = min(lo + CH, ONE + 1)
            start = sign | lo
            x = np.arange(start, start + (hi - lo), dtype=np.uint64).astype(np.uint32).view(np.float32)
            y = fn(torch.from_numpy(x)).numpy()
            r = lib.cmp(which, start, hi - lo, y.ctypes.data, out.ctypes.data, out.size)
            m, l = r >> 32, r & 0xffffffff
            misses.append(out[:min(m, out.size)].copy())
            tot_m += m
            tot_l += l
            if m:
                print(f'{name} bits {start:#010x}..: model {m} differ, libm {l}', flush=True)
    np.save(f'misses_{name}.npy', np.concatenate(misses))
    print(f'{name}: model differs on {tot_m}, C library on {tot_l}, of {2 * (ONE + 1)} inputs in [-1, 1]', flush=True)
