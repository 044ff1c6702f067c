"""Writes sleef_cases.txt: float32 inputs and the bits SLEEF's vectorised u10 `expf`/`log1pf`
return for them, taken from the SLEEF linked into PyTorch's libtorch_cpu.so (the functions
ATen's Vectorized<float>::exp/log1p call on AVX2 CPUs).

Needs a tiny C shim (sl.c) built against libtorch_cpu:
    gcc -O2 -mavx2 -mfma -shared -fPIC sl.c -o libsl.so -L$TORCH_LIB -ltorch_cpu -Wl,-rpath,$TORCH_LIB
where sl.c defines, for f in expf8/log1pf8,
    void sleef_<f>(const float* in, float* out, long n)
applying Sleef_<f>_u10avx2 to 8 lanes at a time.
Run: python gen_sleef.py /path/to/libsl.so > sleef_cases.txt
"""
import ctypes, struct, sys
import torch

sl = ctypes.CDLL(sys.argv[1])

def call(f, x):
    x = x.contiguous(); o = torch.empty_like(x)
    f(ctypes.c_void_p(x.data_ptr()), ctypes.c_void_p(o.data_ptr()), ctypes.c_long(x.numel()))
    return o

def bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]

torch.manual_seed(7)
log1p_in = torch.cat([torch.rand(200), torch.exp(-torch.rand(100) * 90), torch.rand(50) * 1e6,
                      torch.rand(50) * 2 - 1, torch.tensor([0.0, -0.0, -1.0, 1e-30, 1e38, -0.999999])])
exp_in = torch.cat([torch.rand(200) * 40 - 20, -torch.rand(100) * 104, torch.tensor([0.0, 1.0, -103.9, 88.7])])
print("# op input-bits expected-bits (SLEEF u10 AVX2, from libtorch_cpu)")
for name, f, xs in [("log1pf", sl.sleef_log1p8, log1p_in), ("expf", sl.sleef_exp8, exp_in)]:
    ys = call(f, xs)
    for x, y in zip(xs.tolist(), ys.tolist()):
        print(f"{name} {bits(x):08x} {bits(y):08x}")
