"""Writes layer_norm_cases.txt: real PyTorch's F.layer_norm (torch.native_layer_norm: output,
row means and rstd) and its backward (input, weight and bias gradients) for float32 and
float64, rows of lengths around the kernel's vector (8 floats, 4 doubles) and Welford chunk
(16 vectors) edges, 1 to 3 rows (the weight/bias gradients are summed per thread share of
the rows), with and without weight and bias.
Rows (hex words; float64 values as two words, high then low):
  0 group dtype(1 f32, 2 f64) M N flags(1 weight, 2 bias)   a group's header
  1 x dy y dx                                                 each element, row-major
  2 w b dw db                                                 each column (0 when absent)
  3 mean rstd                                                 each row
Run: python gen_layer_norm.py > layer_norm_cases.txt
"""
import struct
import torch

torch.manual_seed(11)


def words(v, dt):
    if dt == torch.float32:
        return [f"{struct.unpack('<I', struct.pack('<f', v))[0]:x}"]
    q = struct.unpack("<Q", struct.pack("<d", v))[0]
    return [f"{q >> 32:x}", f"{q & 0xffffffff:x}"]


print("# layer_norm cases (torch 2.15, AMD Zen 4; see gen_layer_norm.py for the row layout)")
group = 0


def case(dt, m, n, flags, kind):
    global group
    if kind == "const":
        x = torch.full((m, n), 1.5, dtype=dt)
        x[0, 0] = 2.0
    elif kind == "offset":
        x = torch.randn(m, n, dtype=dt) * 1e3 + 1e4
    else:
        x = torch.randn(m, n, dtype=dt) * float(torch.rand(()) * 4 + 0.1) + float(torch.randn(()) * 3)
    x.requires_grad_()
    w = (torch.randn(n, dtype=dt) * 0.5 + 1).requires_grad_()
    b = (torch.randn(n, dtype=dt) * 0.5).requires_grad_()
    dy = torch.randn(m, n, dtype=dt)
    y, mean, rstd = torch.native_layer_norm(x, [n], w if flags & 1 else None, b if flags & 2 else None, 1e-5)
    y.backward(dy)
    zero = torch.zeros(n, dtype=dt)
    dw = w.grad if flags & 1 else zero
    db = b.grad if flags & 2 else zero
    print(f"0 {group:x} {1 if dt == torch.float32 else 2} {m:x} {n:x} {flags}")
    for vals in zip(x.flatten().tolist(), dy.flatten().tolist(), y.flatten().tolist(), x.grad.flatten().tolist()):
        print("1 " + " ".join(w_ for v in vals for w_ in words(v, dt)))
    for vals in zip(w.tolist(), b.tolist(), dw.tolist(), db.tolist()):
        print("2 " + " ".join(w_ for v in vals for w_ in words(v, dt)))
    for vals in zip(mean.flatten().tolist(), rstd.flatten().tolist()):
        print("3 " + " ".join(w_ for v in vals for w_ in words(v, dt)))
    group += 1


f32_lengths = list(range(1, 18)) + [23, 24, 25, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257]
for i, n in enumerate(f32_lengths):
    m = 1 + i % 3
    flag_sets = (3, 0, 1, 2) if n <= 17 or n in (33, 129) else ((3,) if n > 64 else (3, 0))
    for flags in flag_sets:
        case(torch.float32, m, n, flags, "randn")
# Longer rows: the Welford chunks' merge stack 2 to 4 deep.
for n, m, flags in [(383, 2, 0), (513, 1, 3), (1100, 1, 1)]:
    case(torch.float32, m, n, flags, "randn")
for n, m in [(7, 2), (16, 3), (40, 2)]:
    case(torch.float32, m, n, 3, "const")
    case(torch.float32, m, n, 3, "offset")
f64_lengths = list(range(1, 10)) + [15, 16, 17, 63, 64, 65, 129, 257]
for i, n in enumerate(f64_lengths):
    flag_sets = (3, 0, 1, 2) if n <= 9 else ((3,) if n > 64 else (3, 0))
    for flags in flag_sets:
        case(torch.float64, 1 + i % 2, n, flags, "randn")
case(torch.float64, 2, 40, 3, "offset")
