"""Writes sleef_pow_cases.txt: float32 (x, y) pairs and the bits SLEEF's `Sleef_powf16_u10avx512f`
(the function ATen's Vectorized<float>::pow calls on AVX512 CPUs) returns for them, taken from the
SLEEF linked into PyTorch's libtorch_cpu.so.

Needs a tiny C shim built against libtorch_cpu:
    gcc -O2 -mavx512f -shared -fPIC sl.c -o libsl.so -L$TORCH_LIB -ltorch_cpu -Wl,-rpath,$TORCH_LIB
where sl.c defines
    void w_powf16(const float* x, const float* y, float* out, long n)
applying Sleef_powf16_u10avx512f to 16 lanes at a time.
Run: python gen_sleef_pow.py /path/to/libsl.so > sleef_pow_cases.txt
"""
import ctypes, struct, sys
import torch

sl = ctypes.CDLL(sys.argv[1])

def bits(v):
    return struct.unpack("<I", struct.pack("<f", v))[0]

torch.manual_seed(11)
n = 600
xs = torch.cat([torch.rand(n) * 4, torch.rand(n) * 200 - 100, torch.exp(torch.randn(n) * 20),
                torch.tensor([0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), float("nan"), 2.0, -2.0, 1e-40, 3e38, 0.5])])
ys = torch.cat([torch.rand(n) * 6 - 3, torch.randint(-6, 7, (n,)).float(), torch.randn(n) * 3,
                torch.tensor([0.5, 3.0, -0.0, float("inf"), 2.0, -3.0, 1.0, float("nan"), 127.5, -1.5, 1.3, 200.0])])
out = torch.empty_like(xs)
sl.w_powf16(ctypes.c_void_p(xs.data_ptr()), ctypes.c_void_p(ys.data_ptr()), ctypes.c_void_p(out.data_ptr()), ctypes.c_long(xs.numel()))
print("# x-bits y-bits expected-bits (Sleef_powf16_u10avx512f, from libtorch_cpu)")
for x, y, r in zip(xs.tolist(), ys.tolist(), out.tolist()):
    print(f"{bits(x):08x} {bits(y):08x} {bits(r):08x}")
