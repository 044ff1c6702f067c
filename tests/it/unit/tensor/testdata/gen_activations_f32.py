"""Writes activations_f32_cases.txt: real PyTorch's float32 silu, softplus and elu, forward and
backward, on contiguous tensors of several lengths (ATen runs whole steps of 32 elements with
SLEEF and the tail with glibc, so lengths decide which elements take which path).
Row: op group x-bits grad-bits y-bits dx-bits, with op 1 silu, 2 softplus(beta=1, threshold=20),
3 softplus(beta=2, threshold=5), 4 elu(alpha=1), 5 elu(alpha=0.5); a group is one tensor.
Run: python gen_activations_f32.py > activations_f32_cases.txt
"""
import struct
import torch
import torch.nn.functional as F

torch.manual_seed(7)
b = lambda v: struct.unpack("<I", struct.pack("<f", v))[0]
ops = {1: F.silu, 2: lambda x: F.softplus(x, 1.0, 20.0), 3: lambda x: F.softplus(x, 2.0, 5.0),
       4: lambda x: F.elu(x, 1.0), 5: lambda x: F.elu(x, 0.5)}
edges = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 1e-30, -1e-30, 20.0, 20.000002, 2.5, 2.5000002,
         -88.0, -104.5, 88.5, 89.0, -17.0, 1e-45, -1e-45]
print("# op group x grad y dx (float32 bits; torch 2.15, AMD Zen 4, AVX512)")
group = 0
for op, f in ops.items():
    for n in (7, 31, 32, 33, 100, 257):
        for scale in (1.0, 6.0):
            x = torch.randn(n) * scale
            if n >= len(edges) and scale == 6.0:
                x[: len(edges)] = torch.tensor(edges)
            x = x.float().requires_grad_()
            g = torch.randn(n).float()
            y = f(x)
            y.backward(g)
            for xi, gi, yi, di in zip(x.tolist(), g.tolist(), y.tolist(), x.grad.tolist()):
                print(f"{op} {group:x} {b(xi):08x} {b(gi):08x} {b(yi):08x} {b(di):08x}")
            group += 1
