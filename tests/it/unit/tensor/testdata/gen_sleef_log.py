"""Writes sleef_log_cases.txt: float32 and float64 inputs and the bits SLEEF's
`Sleef_logf16_u10avx512f` / `Sleef_logd8_u10avx512f` return for them (what ATen's
Vectorized<float/double>::log calls on AVX512 CPUs, e.g. in log_softmax), taken from the SLEEF
linked into PyTorch's libtorch_cpu.so.

Needs a tiny C shim (sl.c) built against libtorch_cpu:
    gcc -O2 -mavx512f -shared -fPIC sl.c -o libsl.so -L$TORCH_LIB -ltorch_cpu -Wl,-rpath,$TORCH_LIB
where sl.c defines
    void w_logf16(const float* x, float* out, long n)
    void w_logd8(const double* x, double* out, long n)
applying the SLEEF function to 16 (8) lanes at a time.
Run: python gen_sleef_log.py /path/to/libsl.so > sleef_log_cases.txt
"""
import ctypes, struct, sys
import torch

sl = ctypes.CDLL(sys.argv[1])


def call(f, x):
    x = x.contiguous(); o = torch.empty_like(x)
    f(ctypes.c_void_p(x.data_ptr()), ctypes.c_void_p(o.data_ptr()), ctypes.c_long(x.numel()))
    return o


torch.manual_seed(5)
n = 400
special = [0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), float("nan"), 2.0, 0.75, 1.5, 1e-40, 1e-45, 3.4e38, 1e-310]
f = torch.cat([torch.rand(n) * 30 + 1, torch.exp(torch.randn(n) * 30), torch.rand(n) * 2, torch.tensor(special)])
d = torch.cat([torch.rand(n, dtype=torch.float64) * 30 + 1, torch.exp(torch.randn(n, dtype=torch.float64) * 200),
               torch.rand(n, dtype=torch.float64) * 2, torch.tensor(special, dtype=torch.float64)])
# the binade edges of getmant/getexp: significands just below and at 1.5
f = torch.cat([f, torch.tensor([1.4999999, 1.5000001, 2.9999998, 0.74999994, 5.9604645e-39])])
fo, do = call(sl.w_logf16, f), call(sl.w_logd8, d)
print("# f32|f64 input-bits expected-bits (Sleef_logf16_u10avx512f / Sleef_logd8_u10avx512f, from libtorch_cpu)")
for x, r in zip(f.tolist(), fo.tolist()):
    print(f"f32 {struct.unpack('<I', struct.pack('<f', x))[0]:08x} {struct.unpack('<I', struct.pack('<f', r))[0]:08x}")
for x, r in zip(d.tolist(), do.tolist()):
    print(f"f64 {struct.unpack('<Q', struct.pack('<d', x))[0]:016x} {struct.unpack('<Q', struct.pack('<d', r))[0]:016x}")
