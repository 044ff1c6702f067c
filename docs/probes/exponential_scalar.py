import sys, math, torch, numpy as np
sys.path.insert(0, '/work/shared/reference/pytorch-emulators')
from emu import Gen, MT
f32 = np.float32
for n, dt in [(5, torch.float32), (20, torch.float32), (5, torch.float64), (1000, torch.float32)]:
    torch.manual_seed(0)
    q = torch.empty(n, dtype=dt).exponential_()
    after = torch.randint(0, 2**20, (1,)).item()
    g = Gen(0)
    # hypothesis A: per-element double uniform, -1/lambda*log1p(-u), cast
    emA = [(-1.0 * math.log1p(-g.uniform_f64())) for _ in range(n)]
    afterA = g.mt.random() % 2**20
    a = np.array(emA, dtype=np.float64 if dt == torch.float64 else np.float32)
    tq = q.numpy()
    print(n, dt, 'A mismatches', int((a != tq).sum()), 'after', after, afterA, tq[:3], a[:3])
