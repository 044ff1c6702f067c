"""Which float32 elementwise ops go through which implementation in PyTorch on this machine.

For each op and layout (contiguous lengths around the vector widths, a strided view, a
transpose, an expanded row) this prints, per element, whether torch's bits equal MKL VML's
(`vsLn`, `vsLog10`, ... called from libtorch_cpu), SLEEF's AVX512 function (through a shim) and
glibc's float function. Findings (torch 2.15, AMD Zen 4, AVX512):
  - log, log2, log10, asin, acos, atan, erf, erfc, tan: MKL VML on every element, any layout
    (log2 agrees with glibc and SLEEF on most inputs; about 1 in 1000 tells them apart).
  - expm1, log1p: SLEEF (`expm1f16_u10`, `log1pf16_u10`) on every element, the partial last
    vector and strided inputs included (vml's vec::map over a contiguous copy).
The shim (libsl.so): for each SLEEF function F used here a C function c_F(const float *x,
float *y, long n) that applies Sleef_F to 16 lanes at a time (zero-padding the last vector);
built with gcc -O2 -mavx512f -shared -fPIC sl.c -o libsl.so -L$TORCH_LIB -ltorch_cpu.
Run: python sleef32_paths.py /path/to/libsl.so
"""
import ctypes, sys
import numpy as np, torch

lib = torch.__file__.rsplit("/", 1)[0] + "/lib/libtorch_cpu.so"
mkl = ctypes.CDLL(lib)
sl = ctypes.CDLL(sys.argv[1])
libm = ctypes.CDLL("libm.so.6")
P = ctypes.c_void_p


def vml(name, x):
    x = np.ascontiguousarray(x, np.float32); y = np.empty_like(x)
    getattr(mkl, name)(ctypes.c_int(x.size), x.ctypes.data_as(P), y.ctypes.data_as(P)); return y


def sleef(name, x):
    x = np.ascontiguousarray(x, np.float32); y = np.empty_like(x)
    getattr(sl, "c_" + name)(x.ctypes.data_as(P), y.ctypes.data_as(P), ctypes.c_long(x.size)); return y


def glibc(name, x):
    f = getattr(libm, name); f.restype = ctypes.c_float; f.argtypes = [ctypes.c_float]
    return np.array([f(float(v)) for v in x], np.float32)


def same(a, b):
    a, b = np.asarray(a, np.float32).view(np.uint32), np.asarray(b, np.float32).view(np.uint32)
    nan = lambda u: (u & 0x7fffffff) > 0x7f800000
    return (a == b) | (nan(a) & nan(b))


rng = np.random.default_rng(1)
ops = {
    "log": ("vsLn", "logf16_u10", "logf", (0.01, 50)),
    "log10": ("vsLog10", "log10f16_u10", "log10f", (0.01, 50)),
    "log2": ("vsLog2", "log2f16_u10", "log2f", (0.01, 50)),
    "log1p": (None, "log1pf16_u10", "log1pf", (-0.9, 50)),
    "expm1": (None, "expm1f16_u10", "expm1f", (-5, 5)),
    "asin": ("vsAsin", "asinf16_u10", "asinf", (-1, 1)),
    "acos": ("vsAcos", "acosf16_u10", "acosf", (-1, 1)),
    "atan": ("vsAtan", "atanf16_u10", "atanf", (-5, 5)),
    "erf": ("vsErf", "erff16_u10", "erff", (-3, 3)),
    "erfc": ("vsErfc", "erfcf16_u15", "erfcf", (-3, 3)),
    "tan": ("vsTan", "tanf16_u10", "tanf", (-5, 5)),
}
for op, (m, s, g, (lo, hi)) in ops.items():
    cases = [(f"contig {n}", torch.from_numpy(rng.uniform(lo, hi, n).astype(np.float32))) for n in (5, 16, 31, 32, 33, 100, 4096)]
    base = torch.from_numpy(rng.uniform(lo, hi, (8, 40)).astype(np.float32))
    cases += [("strided 8x20", base[:, ::2]), ("transposed 40x8", base.t()), ("expanded 3x40", base[0:1].expand(3, 40))]
    for label, x in cases:
        t = getattr(torch, op)(x).contiguous().numpy().ravel()
        xs = x.contiguous().numpy().ravel()
        marks = {"vml": same(t, vml(m, xs)) if m else None, "sleef": same(t, sleef(s, xs)), "glibc": same(t, glibc(g, xs))}
        if len(xs) > 200:  # long rows: only how many elements each candidate misses
            row = " ".join(f"{k}:{(~a).sum()} missed" for k, a in marks.items() if a is not None)
        else:
            row = " ".join(f"{k}:{''.join('1' if v else '.' for v in a)}" for k, a in marks.items() if a is not None)
        print(f"{op:6} {label:16} {row}")
