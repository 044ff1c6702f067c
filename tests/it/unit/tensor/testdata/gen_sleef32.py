"""Writes sleef32_cases.txt: float32 inputs and the bits real PyTorch's `torch.expm1` (op 1) and
`torch.log1p` (op 2) give for them on the oracle machine (AMD Zen 4, AVX512), where ATen runs
SLEEF's `expm1f16_u10`/`log1pf16_u10` on every element (docs/probes/sleef32_paths.py).
Run: python gen_sleef32.py > sleef32_cases.txt
"""
import struct
import torch

torch.manual_seed(32)
b = lambda v: struct.unpack("<I", struct.pack("<f", v))[0]
f = lambda u: struct.unpack("<f", struct.pack("<I", u))[0]
inf, nan = float("inf"), float("nan")
edges = [0.0, -0.0, inf, -inf, nan, 1.0, -1.0, 1e-45, -1e-45, 1e-38, -1e-38, 1.1754942e-38, 1e-8, -1e-8,
         88.72283, 88.72284, 88.7, 89.0, -16.635532, -16.635534, -17.0, -20.0, -103.9, -104.1, -150.0,
         0.34657359, -0.34657359, 0.5, -0.5, 1e38, 1.0000001e38, 1.0001e38, 3.4028235e38,
         -0.99999994, -0.9999999, -0.75, -0.25, 0.3333333, 2.0, 1e10, -1.0000001]
edges += [f(b(e) + k) for e in (88.72283, -16.635532, 1e38, 0.5, -0.25) for k in (-2, -1, 1, 2)]
parts = [torch.tensor(edges)]
for scale in (1e-6, 1e-3, 0.1, 1.0, 4.0, 30.0):
    parts.append(torch.randn(500) * scale)
parts.append(torch.rand(500) - 1.0)  # (-1, 0), log1p's steep side
parts.append(torch.exp(torch.randn(500) * 20.0))  # positive, spread over the exponent range
parts.append(torch.rand(500) * 200.0 - 100.0)
x = torch.cat(parts).float()
print("# op input-bits expected-bits (op 1: torch.expm1, op 2: torch.log1p; float32, torch 2.15, AMD Zen 4)")
for op, fn in ((1, torch.expm1), (2, torch.log1p)):
    for xi, yi in zip(x.tolist(), fn(x).tolist()):
        print(f"{op} {b(xi):08x} {b(yi):08x}")
