import sys, math, torch, numpy as np
sys.path.insert(0, '/work/shared/reference/pytorch-emulators')
from emu import Gen
f32 = np.float32
def expo(g, n, dt=np.float32):
    return np.array([(-1.0) * math.log1p(-g.uniform_f64()) for _ in range(n)], dtype=dt)
def mn_emu(g, p, k, repl, dt=np.float32):
    p = np.asarray(p, dtype=dt)
    two = p.ndim == 2
    P = p if two else p[None]
    rows, ncat = P.shape
    if not repl or k == 1:
        q = expo(g, P.size, dt).reshape(P.shape)
        r = (P / q).astype(dt)
        out = []
        for row in r:
            if k == 1: out.append([int(np.argmax(row))])
            else:
                order = sorted(range(ncat), key=lambda j: (-row[j], j))
                out.append(order[:k])
    else:
        out = []
        for row in P:
            cum = np.zeros(ncat, dtype=dt); s = dt(0)
            for j in range(ncat):
                s = dt(s + row[j]); cum[j] = s
            cum = (cum / s).astype(dt)
            cum[-1] = 1
            o = []
            for _ in range(k):
                u = g.uniform_f64()
                lo, hi = 0, ncat
                while hi - lo > 0:
                    mid = lo + (hi - lo)//2
                    if float(cum[mid]) < u: lo = mid + 1
                    else: hi = mid
                o.append(lo)
            out.append(o)
    out = np.array(out)
    return out if two else out[0]
bad = 0; tot = 0
rng = np.random.default_rng(0)
for seed in [0, 1, 2147483647, 42]:
    for shape in [(3,), (27,), (4, 5), (27, 27), (100,)]:
        for k, repl in [(1, True), (1, False), (3, False), (10, True), (50, True)]:
            if not repl and k > shape[-1]: continue
            p = rng.random(shape).astype(np.float32)
            if rng.random() < 0.3: p[..., 0] = 0
            g = torch.Generator().manual_seed(seed)
            t = torch.multinomial(torch.from_numpy(p), k, replacement=repl, generator=g).numpy()
            e = mn_emu(Gen(seed), p, k, repl)
            tot += 1
            if not (t == e).all():
                bad += 1; print('MISMATCH', seed, shape, k, repl, t, e)
print('bad', bad, 'of', tot)
