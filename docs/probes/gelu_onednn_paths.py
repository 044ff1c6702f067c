"""Which F.gelu calls PyTorch 2.15 (CPU, oneDNN v3.13) hands to oneDNN: for each case, how many
results (forward, then the input gradient) change when oneDNN is disabled; 0 over thousands of
elements means ATen's GeluKernel ran either way, more means oneDNN ran by default.
Each case is drawn 200 times (sizes below 20) or 20 times, values randn * 4.

Result (run 2026-12-03):
  contiguous float32, sizes 2..40, 255..257, with or without requires_grad, F.gelu and nn.GELU:
    forward and backward both change (oneDNN);
  size 1, and transposed / sliced (x[..., ::2]) / expanded inputs of any size: 0 and 0 (ATen);
  a contiguous input with a non-contiguous incoming gradient: the backward changes (oneDNN:
    Activation.cpp's use_mkldnn looks at the input only);
  approximate='tanh' and float64, any layout: 0 and 0 (ATen).
Run: python gelu_onednn_paths.py
"""
import warnings

import torch
import torch.nn.functional as F

warnings.filterwarnings("ignore")
torch.manual_seed(5)


def count(name, shape_fn, view, approx='none', dtype=torch.float32, rounds=20, **kw):
    f = d = 0
    for _ in range(rounds):
        state = torch.get_rng_state()
        base = torch.randn(shape_fn(), dtype=dtype) * 4
        outs = []
        for onednn in (True, False):
            leaf = base.clone().requires_grad_()
            v = view(leaf)
            with torch.backends.mkldnn.flags(enabled=onednn):
                y = torch.nn.GELU(approximate=approx)(v) if kw.get('module') else F.gelu(v, approximate=approx)
                g = torch.randn(y.shape[::-1], dtype=dtype, generator=torch.Generator().manual_seed(1)).t() if kw.get('tgrad') else torch.full_like(y, 0.75)
                y.backward(g)
            outs.append((y.detach(), leaf.grad))
        f += (outs[0][0] != outs[1][0]).sum().item()
        d += (outs[0][1] != outs[1][1]).sum().item()
    print(f'{name:40s} forward {f:6d}  backward {d:6d}')


for n in list(range(1, 41)) + [255, 256, 257]:
    count(f'contiguous f32 n={n}', lambda n=n: (n,), lambda t: t, rounds=200 if n < 20 else 20)
count('contiguous f32 n=30 nn.GELU', lambda: (30,), lambda t: t, module=True)
count('contiguous f32 5x7, transposed grad', lambda: (5, 7), lambda t: t, tgrad=True)
count('transposed f32 7x9', lambda: (9, 7), lambda t: t.t())
count('transposed f32 40x40', lambda: (40, 40), lambda t: t.t())
count('sliced f32 3x80[..., ::2]', lambda: (3, 80), lambda t: t[..., ::2])
count('expanded f32 (1,40)->(3,40)', lambda: (1, 40), lambda t: t.expand(3, 40))
count('tanh contiguous f32 n=257', lambda: (257,), lambda t: t, approx='tanh')
count('float64 contiguous n=257', lambda: (257,), lambda t: t, dtype=torch.float64)
