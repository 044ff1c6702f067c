"""Writes sleef64_cases.txt: float64 inputs and the bits real PyTorch returns for them on
the oracle machine (AVX512) from ops whose float64 vector steps are SLEEF's (see
docs/probes/sleef64_regions.py): torch.sinh, cosh, expm1, log1p, sigmoid, pow (tensor
exponent) and atan2, each over a contiguous 1-D tensor whose length is a multiple of 16, so
every element takes the vector path. Rows: `op x-bits [y-bits] result-bits` (hex).

Run: python gen_sleef64.py > sleef64_cases.txt
"""
import struct
import torch

D = torch.float64


def h(v):
    return f"{struct.unpack('<Q', struct.pack('<d', v))[0]:016x}"


def pad16(x):
    m = (x.numel() + 15) // 16 * 16
    return torch.cat([x, torch.ones(m - x.numel(), dtype=D)])


EDGES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, -2.2250738585072014e-308, 1e-310,
         float("inf"), float("-inf"), float("nan"), 1e-300, -1e-300, 1e300, -1e300, 1e-16, -1e-16,
         1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, 2.0, -2.0, 0.34657359027997264, 0.3465735902799727,
         -0.34657359027997264, 0.6931471805599453, 18.7, -18.7, 36.7, -36.7368005696771,
         -36.736800569677102, -36.74, 700.0, 709.78, 709.782712893384, 709.7827128933841, 709.79,
         710.0, 710.5, -708.0, -709.9, -745.0, -745.2, -1000.0, -1000.5, 1e307, 1.1e307, 1.7e308,
         -0.25, -0.99, -0.9999999999999999, 0.75, 1.5, 3.3]

torch.manual_seed(11)
rows = []


def unary(name, f, x):
    x = torch.tensor(x, dtype=D) if not torch.is_tensor(x) else x
    y = f(pad16(x))[: x.numel()]
    for a, b in zip(x.tolist(), y.tolist()):
        rows.append(f"{name} {h(a)} {h(b)}")


def binary(name, f, x, y):
    n = x.numel()
    r = f(pad16(x), pad16(y))[:n]
    for a, b, c in zip(x.tolist(), y.tolist(), r.tolist()):
        rows.append(f"{name} {h(a)} {h(b)} {h(c)}")


def spread(n, scale):
    return torch.randn(n, dtype=D) * scale


for name, f, rand in [
    ("sinh", torch.sinh, [spread(300, 3), spread(200, 200), spread(100, 1e-3)]),
    ("cosh", torch.cosh, [spread(300, 3), spread(200, 200), spread(100, 1e-3)]),
    ("expm1", torch.expm1, [spread(300, 1), spread(200, 100), spread(100, 1e-4)]),
    ("log1p", torch.log1p, [torch.rand(300, dtype=D) * 4 - 1, torch.exp(torch.randn(200, dtype=D) * 100), spread(100, 1e-4)]),
    ("sigmoid", torch.sigmoid, [spread(300, 5), spread(200, 300), spread(100, 1e-3)]),
]:
    unary(name, f, EDGES)
    for r in rand:
        unary(name, f, r)

# pow: the C99 special cases crossed, then the exponents lessons use over random bases.
px = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5, float("inf"), float("-inf"), float("nan"), 1e-310, 1e308, 1e-300, 3.7]
py = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -1.5, 3.0, -3.0, 4.0, 0.3, -0.7, float("inf"), float("-inf"), float("nan"), 1e10, 1025.0, -1080.0]
cx = torch.tensor([a for a in px for _ in py], dtype=D)
cy = torch.tensor([b for _ in px for b in py], dtype=D)
binary("pow", torch.pow, cx, cy)
b = torch.rand(800, dtype=D) * 5
e = torch.tensor([0.3, 1.5, 2.5, 4.0, -1.5, -3.0, -0.7, 0.5], dtype=D).repeat(100)
binary("pow", torch.pow, b, e)
binary("pow", torch.pow, torch.exp(torch.randn(300, dtype=D) * 30), torch.randn(300, dtype=D) * 3)
binary("pow", torch.pow, -torch.rand(200, dtype=D) * 3, torch.randint(-6, 7, (200,)).to(D))

ax = [0.0, -0.0, 1.0, -1.0, float("inf"), float("-inf"), float("nan"), 1e-310, -1e-310, 5e-324, 1e300, 3.0]
cx = torch.tensor([a for a in ax for _ in ax], dtype=D)
cy = torch.tensor([b for _ in ax for b in ax], dtype=D)
binary("atan2", torch.atan2, cx, cy)
binary("atan2", torch.atan2, torch.randn(500, dtype=D) * 3, torch.randn(500, dtype=D) * 3)
binary("atan2", torch.atan2, torch.randn(100, dtype=D) * 1e-3, torch.randn(100, dtype=D) * 1e3)

print("# op x-bits [y-bits] result-bits: float64 results of torch 2.15 on whole 16-double vector steps (gen_sleef64.py)")
print("\n".join(rows))
