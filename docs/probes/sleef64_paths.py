"""Which float64 elements of PyTorch's elementwise ops go through SLEEF's AVX512 kernel and
which through glibc: for each op and length n, compares torch's result per element with
`Sleef_<op>d8_<u>avx512f` (from libtorch_cpu, through a shim, see gen_sleef64.py) and with
Python's math module (glibc libm). Prints, per op, the lengths and the element indices where
torch agrees only with SLEEF ('S'), only with glibc ('g'), or both/neither ('.', '?').

Needs a tiny C shim (sl.c) built against libtorch_cpu, which carries SLEEF's AVX512 build:
    gcc -O2 -mavx512f -shared -fPIC sl.c -o libsl.so -L$TORCH_LIB -ltorch_cpu -Wl,-rpath,$TORCH_LIB
where sl.c defines
    void apply1(void* f, const double* x, double* out, long n)
    void apply2(void* f, const double* x, const double* y, double* out, long n)
calling `f` (a `__m512d (*)(__m512d[, __m512d])` such as Sleef_expd8_u10avx512f, looked up in
libtorch_cpu.so) on eight lanes at a time.

Run: python sleef64_paths.py /path/to/libsl.so

Findings (torch 2.15, Zen 4): sinh and cosh follow SLEEF on whole steps of 16 doubles and glibc
on the tail; expm1 and log1p follow SLEEF on every element (the tail too); exp, log, tanh, sin,
cos, tan, log2, log10, asin, acos, atan, erf and erfc follow neither everywhere (MKL VML's
vd* functions, see sleef64_regions.py).
"""
import ctypes, math, sys
import torch

sl = ctypes.CDLL(sys.argv[1])
tc = ctypes.CDLL(torch.__file__.rsplit("/", 1)[0] + "/lib/libtorch_cpu.so")


def sleef(name, *xs):
    o = torch.empty_like(xs[0])
    f = ctypes.cast(getattr(tc, name), ctypes.c_void_p)
    ptrs = [ctypes.c_void_p(x.data_ptr()) for x in xs]
    if len(xs) == 1:
        sl.apply1(f, *ptrs, ctypes.c_void_p(o.data_ptr()), ctypes.c_long(x_len(xs[0])))
    else:
        sl.apply2(f, *ptrs, ctypes.c_void_p(o.data_ptr()), ctypes.c_long(x_len(xs[0])))
    return o


def x_len(x):
    return x.numel()


def pad8(x):
    n = x.numel()
    m = (n + 7) // 8 * 8
    return torch.cat([x, torch.ones(m - n, dtype=x.dtype)])


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


OPS = [
    ("exp", torch.exp, "Sleef_expd8_u10avx512f", math.exp, lambda n: torch.randn(n, dtype=torch.float64) * 5),
    ("log", torch.log, "Sleef_logd8_u10avx512f", math.log, lambda n: torch.rand(n, dtype=torch.float64) * 10),
    ("tanh", torch.tanh, "Sleef_tanhd8_u10avx512f", math.tanh, lambda n: torch.randn(n, dtype=torch.float64)),
    ("sin", torch.sin, "Sleef_sind8_u10avx512f", math.sin, lambda n: torch.randn(n, dtype=torch.float64) * 5),
    ("cos", torch.cos, "Sleef_cosd8_u10avx512f", math.cos, lambda n: torch.randn(n, dtype=torch.float64) * 5),
    ("tan", torch.tan, "Sleef_tand8_u10avx512f", math.tan, lambda n: torch.randn(n, dtype=torch.float64) * 5),
    ("sinh", torch.sinh, "Sleef_sinhd8_u10avx512f", math.sinh, lambda n: torch.randn(n, dtype=torch.float64) * 3),
    ("cosh", torch.cosh, "Sleef_coshd8_u10avx512f", math.cosh, lambda n: torch.randn(n, dtype=torch.float64) * 3),
    ("expm1", torch.expm1, "Sleef_expm1d8_u10avx512f", math.expm1, lambda n: torch.randn(n, dtype=torch.float64)),
    ("log1p", torch.log1p, "Sleef_log1pd8_u10avx512f", math.log1p, lambda n: torch.rand(n, dtype=torch.float64) * 3),
    ("log2", torch.log2, "Sleef_log2d8_u10avx512f", math.log2, lambda n: torch.rand(n, dtype=torch.float64) * 10),
    ("log10", torch.log10, "Sleef_log10d8_u10avx512f", math.log10, lambda n: torch.rand(n, dtype=torch.float64) * 10),
    ("asin", torch.asin, "Sleef_asind8_u10avx512f", math.asin, lambda n: torch.rand(n, dtype=torch.float64) * 2 - 1),
    ("acos", torch.acos, "Sleef_acosd8_u10avx512f", math.acos, lambda n: torch.rand(n, dtype=torch.float64) * 2 - 1),
    ("atan", torch.atan, "Sleef_atand8_u10avx512f", math.atan, lambda n: torch.randn(n, dtype=torch.float64) * 3),
    ("erf", torch.erf, "Sleef_erfd8_u10avx512f", math.erf, lambda n: torch.randn(n, dtype=torch.float64)),
    ("erfc", torch.erfc, "Sleef_erfcd8_u15avx512f", math.erfc, lambda n: torch.randn(n, dtype=torch.float64)),
]

if __name__ == "__main__":
    torch.manual_seed(0)
    for name, tf, sname, gf, gen in OPS:
        print(f"== {name}")
        for n in [1, 7, 8, 9, 15, 16, 17, 23, 24, 31, 32, 33, 40, 63, 64, 65, 255, 256, 257]:
            x = gen(n)
            t = tf(x)
            s = sleef(sname, pad8(x))[:n]
            row = ""
            for i in range(n):
                ti, si, gi = t[i].item(), s[i].item(), gf(x[i].item())
                a, b = ti == si, ti == gi
                row += "." if a and b else "S" if a else "g" if b else "?"
            print(f"{n:4d} {row}")
