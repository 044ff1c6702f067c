# Compares the libraries vml32_igc.sh built with torch (MKL VML, float32) on every 97th input
# of the binades 2^-20..2^8 (and 2^10, 2^20, 2^60), both signs: all steps fused, none fused,
# then a greedy search over which fma sites are fused. Usage: python vml32_igc.py OUTDIR
# [variant torch_fn ...], e.g. ln_s_ha log  erfc_s_ha erfc. Results (docs/probes/vml32_notes.md):
# ln_s_ha unfused 0 differ (the known vsLn match); every other function stays far from 0 under
# any mix (best: erfc_s_ha 2,894 / acos_s_ha 3,831 / log10_s_ha 5,487 of ~1.5M; tan 151,740).
import ctypes, sys
import numpy as np, torch

torch.set_num_threads(1)
out = sys.argv[1]
xs = []
for e in list(range(-20, 8)) + [10, 20, 60]:
    for sg in (0, 1):
        lo = ((127 + e) << 23) | (sg << 31)
        xs.append(np.arange(lo, lo + (1 << 23), 97, dtype=np.uint32))
x = np.concatenate(xs)
P = ctypes.c_void_p
for var, fn in zip(sys.argv[2::2], sys.argv[3::2]):
    lib = ctypes.CDLL(f'{out}/{var}.so')
    fuse = (ctypes.c_int * 8192).in_dll(lib, 'FUSE')
    lines = [int(v) for v in open(f'{out}/{var}.lines').read().split()]
    t = getattr(torch, fn)(torch.from_numpy(x.view(np.float32))).numpy().view(np.uint32)

    def score(mask):
        for i, l in enumerate(lines):
            for k in range(l, lines[i + 1] if i + 1 < len(lines) else l + 4):
                fuse[k] = (mask >> i) & 1
        y = np.empty_like(x)
        lib.run(x.ctypes.data_as(P), y.ctypes.data_as(P), ctypes.c_size_t(x.size))
        return int(((t != y) & ~(np.isnan(t.view(np.float32)) & np.isnan(y.view(np.float32)))).sum())

    full = (1 << len(lines)) - 1
    best = min((score(full), full), (score(0), 0))
    print(f'{var}: all fused {score(full)}, none {score(0)} of {x.size}', flush=True)
    better = True
    while better:
        better = False
        for i in range(len(lines)):
            s = score(best[1] ^ (1 << i))
            if s < best[0]:
                best, better = (s, best[1] ^ (1 << i)), True
    print(f'  best mix {best[0]}, fused sites {[i for i in range(len(lines)) if best[1] >> i & 1]}', flush=True)
