# MKL vsExp: the inferred float32 algorithm (src/tensor/vml_exp.rs) emulated with numpy float32
# operations (each rounds to float32, no FMA), against torch.exp on every 13th float32 of every
# binade up to 2^7, both signs. Differences remain only where |x| > 126 ln2, where MKL returns the
# correctly rounded exp.
import numpy as np, torch, math, mpmath
torch.set_num_threads(1)
mpmath.mp.prec = 300
f = np.float32
L = math.log(2.0) / 128
step = 2.0 ** (math.floor(math.log2(L)) - 10)
L1 = f(round(L / step) * step); L2 = f(L - float(L1)); K = f(128 / math.log(2.0))
T1 = np.array([f(float(mpmath.mpf(2) ** (mpmath.mpf(j) / 128))) for j in range(128)], dtype=f)
T2 = np.array([f(float(mpmath.mpf(2) ** (mpmath.mpf(j) / 128) - mpmath.mpf(float(T1[j])))) for j in range(128)], dtype=f)

def model(x):
    n = np.rint(x * K).astype(f); r = (x - n * L1) - n * L2
    ni = n.astype(np.int64); j = ni % 128; m = (ni - j) // 128
    p = r + (r * r) * f(0.5); v = T1[j] + (T2[j] + T1[j] * p)
    return (v.astype(np.float64) * np.exp2(m)).astype(f)

with np.errstate(all='ignore'):
    for sgn in (0, 0x80000000):
        for ex in range(0, 134):
            lo = sgn | (ex << 23)
            x = np.arange(lo, lo + (1 << 23), 13, dtype=np.uint32).view(f)
            y = torch.exp(torch.from_numpy(x)).numpy(); v = model(x)
            mm = (v != y) & ~(np.isnan(v) & np.isnan(y))
            if mm.any():
                print('sign', sgn >> 31, 'exponent', ex - 127, 'differ', mm.sum(), 'from |x| =', np.abs(x[mm]).min())
