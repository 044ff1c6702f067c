import sys, math, torch, numpy as np
sys.path.insert(0, '/work/shared/reference/pytorch-emulators')
from emu import Gen
exec(open(__file__.replace("multinomial_makemore", "multinomial_paths")).read().split('bad = 0')[0].split('f32 = np.float32')[1])
rng = np.random.default_rng(1)
N = torch.from_numpy((rng.random((27,27))*100).astype(np.float32)).floor() + 1
P = N / N.sum(1, keepdim=True)
g = torch.Generator().manual_seed(2147483647)
tout = []
for i in range(20):
    ix = 0; s = []
    while True:
        ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
        s.append(ix)
        if ix == 0: break
    tout.append(s)
G = Gen(2147483647); eout = []
Pn = P.numpy()
for i in range(20):
    ix = 0; s = []
    while True:
        ix = int(mn_emu(G, Pn[ix], 1, True)[0]); s.append(ix)
        if ix == 0: break
    eout.append(s)
print('makemore equal', tout == eout, sum(map(len, tout)))
# sequences mixing ops, float64
bad = 0
for seed in range(5):
    torch.manual_seed(seed); G = Gen(seed)
    p = rng.random(6)
    a = torch.multinomial(torch.from_numpy(p), 4, replacement=True).numpy(); b = mn_emu(G, p, 4, True, np.float64)
    c = torch.multinomial(torch.from_numpy(p), 3).numpy(); d = mn_emu(G, p, 3, False, np.float64)
    e = torch.rand(2).numpy(); f = np.array([G.uniform_f32() for _ in range(2)], np.float32)
    bad += (a != b).sum() + (c != d).sum() + (e != f).sum()
print('bad seq', bad)
