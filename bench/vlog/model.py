# The algorithm of src/tensor/vml_log.rs emulated with numpy float32 operations (every step
# rounded to float32, no FMA) against record.py's recordings of torch.log, for several final
# summation orders; then each coefficient of P moved by one ulp, on [1, 2).
import numpy as np

f = np.float32
F = lambda h: np.array([h], dtype=np.uint32).view(f)[0]
H = [0xbf000000, 0x3eaaaa83, 0xbe7fff78, 0x3e4ce814, 0xbe2acee6, 0x3e0f6b8c, 0xbdf9889e, 0x3e0f335d, 0xbe0402c8]
L2H, L2L, L2 = F(0x3f317200), F(0x35bfbe8e), F(0x3f317218)


def split(b):
    t = b - np.uint32(0x3f2aaaab)
    r = ((t & np.uint32(0x7fffff)) + np.uint32(0x3f2aaaab)).view(f) - f(1)
    return (t.view(np.int32) >> 23).astype(f), r


def model(b, order, C):
    n, r = split(b)
    p = C[8]
    for c in C[7::-1]:
        p = p * r + c
    p = p * r
    p = p * r + r
    if order == 'n*hi + (n*lo + p)':
        return n * L2H + (n * L2L + p)
    if order == '(n*hi + n*lo) + p':
        return (n * L2H + n * L2L) + p
    return n * L2 + p  # 'n*ln2 + p'


C = [F(h) for h in H]
orders = ['n*hi + (n*lo + p)', '(n*hi + n*lo) + p', 'n*ln2 + p']
for e in range(-3, 3):
    lo = (127 + e) << 23
    b = np.arange(lo, lo + (1 << 23), dtype=np.uint32)
    y = np.load(f'y{e}.npy')
    print(f'[2^{e}, 2^{e + 1}) differing:', {o: int((model(b, o, C) != y).sum()) for o in orders})
b = np.arange(127 << 23, (128 << 23), dtype=np.uint32)
y = np.load('y0.npy')
for i in range(9):
    for d in (-1, 1):
        h = list(H)
        h[i] += d
        print(f'P[{i}] {d:+d} ulp: {int((model(b, orders[0], [F(v) for v in h]) != y).sum())} of [1, 2) differ')
