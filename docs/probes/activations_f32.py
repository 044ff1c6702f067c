"""How real PyTorch computes float32 silu, softplus and elu (forward and backward) here.

Each candidate is ATen's formula (Activation.cpp) evaluated in float32 with numpy: on whole
steps of 32 elements SLEEF's AVX512 functions (from libtorch_cpu, through the shim described
in sleef32_paths.py), on the tail glibc's float functions; printed are the indices where the
candidate misses torch's bits. Findings (torch 2.15, AMD Zen 4):
  - silu: x / (1 + exp(-x)); softplus: log1p(exp(x*beta)) / beta (x where x*beta > threshold).
  - elu: expm1(x) * alpha at or below 0 (SLEEF expm1f on vector steps, glibc expm1f on the
    tail; `exp(x) - 1` misses).
  - silu backward: g * s * fma(x, 1 - s, 1) with s = 1 / (1 + exp(-x)), fused in both loops
    (the unfused form misses); softplus backward: g * z / (z + 1), z = exp(x*beta); elu
    backward: g * alpha * exp(x).
Run: python activations_f32.py /path/to/libsl.so
"""
import ctypes, sys
import numpy as np, torch
import torch.nn.functional as F

sl = ctypes.CDLL(sys.argv[1])
libm = ctypes.CDLL("libm.so.6")
P = ctypes.c_void_p
f32, one = np.float32, np.float32(1)


def sleef(name, x):
    x = np.ascontiguousarray(x, f32); y = np.empty_like(x)
    getattr(sl, "c_" + name)(x.ctypes.data_as(P), y.ctypes.data_as(P), ctypes.c_long(x.size)); return y


def glibc(name, x):
    f = getattr(libm, name); f.restype = ctypes.c_float; f.argtypes = [ctypes.c_float]
    return np.array([f(float(v)) for v in x], f32)


def fma(a, b, c):  # one rounding: the float32 product is exact in double
    return (a.astype(np.float64) * b.astype(np.float64) + c).astype(f32)


def misses(t, e):
    t, e = t.view(np.uint32), e.view(np.uint32)
    return np.where((t != e) & ~(((t & 0x7fffffff) > 0x7f800000) & ((e & 0x7fffffff) > 0x7f800000)))[0]


V = {"exp": lambda a: sleef("expf16_u10", a), "expm1": lambda a: sleef("expm1f16_u10", a), "log1p": lambda a: sleef("log1pf16_u10", a)}
S = {"exp": lambda a: glibc("expf", a), "expm1": lambda a: glibc("expm1f", a), "log1p": lambda a: glibc("log1pf", a)}
fwd = {
    "silu": (F.silu, lambda m, a: a / (one + m["exp"](-a))),
    "softplus": (F.softplus, lambda m, a: np.where(a > 20, a, m["log1p"](m["exp"](a)))),
    "elu expm1": (F.elu, lambda m, a: np.where(a > 0, a, m["expm1"](a))),
    "elu exp-1": (F.elu, lambda m, a: np.where(a > 0, a, m["exp"](a) - one)),
}
bwd = {
    "silu fused": (F.silu, lambda m, d, a: (lambda s: d * s * fma(a, one - s, 1.0))(one / (one + m["exp"](-a)))),
    "silu unfused": (F.silu, lambda m, d, a: (lambda s: d * s * (one + a * (one - s)))(one / (one + m["exp"](-a)))),
    "softplus": (F.softplus, lambda m, d, a: np.where(a > 20, d, (lambda z: d * z / (z + one))(m["exp"](a)))),
    "elu": (F.elu, lambda m, d, a: np.where(a > 0, d, d * m["exp"](a))),
}
torch.manual_seed(0)
for n in (31, 100, 1000):
    x = (torch.randn(n) * 4).float(); xs = x.numpy(); v = n - n % 32
    g = torch.randn(n).float(); gs = g.numpy()
    for name, (tf, emu) in fwd.items():
        e = np.concatenate([emu(V, xs[:v]), emu(S, xs[v:])])
        print(f"n={n:5} {name:14} forward misses {misses(tf(x).numpy(), e)}")
    for name, (tf, emu) in bwd.items():
        xg = x.clone().requires_grad_(); tf(xg).backward(g)
        e = np.concatenate([emu(V, gs[:v], xs[:v]), emu(S, gs[v:], xs[v:])])
        print(f"n={n:5} {name:14} backward misses {misses(xg.grad.numpy(), e)}")
