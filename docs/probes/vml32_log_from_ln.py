# Is torch.log10/log2 (float32, MKL vsLog10/vsLog2) vsLn's algorithm (src/tensor/vml_log.rs)
# with another constant? vsLn emulated in numpy float32 (bench/vlog/model.py's split and
# polynomial), then scaled in several ways, against torch on every 3rd input of a few binades.
# Result: no (each form differs on 1-50% of inputs; the correctly rounded value on 0.005-0.26%).
import numpy as np, torch

torch.set_num_threads(1)
f, d = np.float32, np.float64
F = lambda h: np.array([h], np.uint32).view(f)[0]
P = [F(v) for v in (0xbf000000, 0x3eaaaa83, 0xbe7fff78, 0x3e4ce814, 0xbe2acee6, 0x3e0f6b8c,
                    0xbdf9889e, 0x3e0f335d, 0xbe0402c8)]
L2H, L2L = F(0x3f317200), F(0x35bfbe8e)


def ln_parts(b):
    t = b - np.uint32(0x3f2aaaab)
    r = ((t & np.uint32(0x7fffff)) + np.uint32(0x3f2aaaab)).view(f) - f(1)
    n = (t.view(np.int32) >> 23).astype(f)
    p = P[8]
    for c in P[7::-1]:
        p = p * r + c
    p = p * r
    return n, p * r + r


for fn, k, m in (('log10', 1 / np.log(10), np.log10(2)), ('log2', 1 / np.log(2), 1.0)):
    for e in (-1, 0, 1, 5):
        lo = (127 + e) << 23
        b = np.arange(lo, lo + (1 << 23), 3, dtype=np.uint32)
        t = getattr(torch, fn)(torch.from_numpy(b.view(f))).numpy()
        n, p = ln_parts(b)
        ln = n * L2H + (n * L2L + p)
        K, M = f(k), f(m)
        Mh = F(int(np.array([M], f).view(np.uint32)[0]) & 0xffffff00)
        Ml = f(m - d(Mh))
        forms = {'f32(ln) * f32(k)': ln * K, 'f32(ln) * k in double': (d(ln) * k).astype(f),
                 'n*m_hi + (n*m_lo + p*f32(k))': Mh * n + (n * Ml + p * K),
                 'double n*m + p*k': (d(n) * m + d(p) * k).astype(f)}
        cr = getattr(np, fn)(b.view(f).astype(d)).astype(f)
        print(f'{fn} 2^{e}: correctly rounded differs on {int((t != cr).sum())};',
              {name: int((t != v).sum()) for name, v in forms.items()}, 'of', b.size, flush=True)
