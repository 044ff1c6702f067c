# The differential corpus's shared helpers: run first by generate.py (real PyTorch) and by the
# replay (tests/it/differential.rs, lessonrun), so both build every input the same way.
import torch
import torch.nn.functional as F

f32 = torch.float32
f64 = torch.float64


def mk(seed, shape, dt, dist, view):
    # A case's input, from the default generator reseeded with `seed`. `view` makes it
    # non-contiguous: 't' transposes a 2-D tensor made with the reversed shape, 's' takes every
    # other element of a last dim made twice as long, 'e' expands a first dim of 1.
    torch.manual_seed(seed)
    base = list(shape)
    if view == 't':
        base = [shape[1], shape[0]]
    elif view == 's':
        base[-1] = 2 * shape[-1]
    elif view == 'e':
        base[0] = 1
    if dist == 'i':
        x = torch.randint(-9, 10, base)
    elif dist == 'k':
        x = torch.randint(0, 5, base)
    elif dist == 'b':
        x = torch.randint(0, 2, base) > 0
    elif dist == 'n':
        x = torch.randn(base, dtype=dt)
    elif dist == 'w':
        x = torch.randn(base, dtype=dt) * 30.0
    elif dist == 'z':
        x = torch.randn(base, dtype=dt) * 0.001
    elif dist == 'u':
        x = torch.rand(base, dtype=dt)
    elif dist == 'm':
        x = torch.rand(base, dtype=dt) * 1.98 - 0.99
    elif dist == 'p':
        x = torch.rand(base, dtype=dt) * 20.0 + 0.001
    elif dist == 'q':
        x = torch.rand(base, dtype=dt) * 0.98 + 0.01
    elif dist == 'g':
        x = torch.rand(base, dtype=dt) * 3.0 + 1.001
    elif dist == 'h':
        x = torch.randn(base, dtype=dt) * 4.0
    elif dist == 's':
        x = torch.randn(base, dtype=dt) * 3.0
        flat = x.view(-1)
        flat[0::7] = float('nan')
        flat[1::11] = float('inf')
        flat[2::13] = -float('inf')
        flat[3::5] = 0.0
        flat[4::9] = -0.0
    else:
        raise ValueError(dist)
    if view == 't':
        x = x.t()
    elif view == 's':
        x = x[..., ::2]
    elif view == 'e':
        x = x.expand(*shape)
    return x


def gr(fn, x, seed):
    # The gradient of fn at x for a random upstream gradient drawn after seeding with `seed`.
    x = x.detach().requires_grad_(True)
    y = fn(x)
    torch.manual_seed(seed)
    y.backward(torch.randn(y.shape, dtype=y.dtype))
    return x.grad


def gr2(fn, a, b, seed, which):
    a = a.detach().requires_grad_(True)
    b = b.detach().requires_grad_(True)
    y = fn(a, b)
    torch.manual_seed(seed)
    y.backward(torch.randn(y.shape, dtype=y.dtype))
    return a.grad if which == 0 else b.grad
