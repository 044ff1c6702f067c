"""Records torch.sin/torch.cos on float32 inputs for src/tensor/vml_sin.rs's replay test.

Run with PyTorch 2.15 on x86-64 (MKL VML): python gen_vml_sin.py > vml_sin_cases.txt
Each line: input, sin and cos as float32 bits in hex. Half the inputs are ones where MKL's
result is not the correctly rounded one (the cases a glibc-based sin gets wrong).
"""
import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(11)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def mkl_differs(x, fn, npfn):
    t = fn(torch.from_numpy(x)).numpy()
    return t != npfn(x.astype(np.float64)).astype(np.float32)


pool = f32(np.concatenate([rng.uniform(-110, 110, 400_000), rng.uniform(-4, 4, 400_000)]))
hard = pool[mkl_differs(pool, torch.sin, np.sin) | mkl_differs(pool, torch.cos, np.cos)][:2500]
plain = f32(np.concatenate([rng.uniform(-110, 110, 1500), rng.uniform(-1e4, 1e4, 200)]))
k = np.arange(-60, 61, dtype=np.float64)
edges = f32(k * np.pi / 2)
near = np.concatenate([np.nextafter(edges, np.float32(np.inf)), np.nextafter(edges, np.float32(-np.inf))])
tiny = f32([1e-40, -1e-40, 1e-30, 3e-8, 1e-4, -2.5e-3, 1.0, -1.0])
x = np.unique(np.concatenate([hard, plain, edges, near, tiny]))
s = torch.sin(torch.from_numpy(x)).numpy()
c = torch.cos(torch.from_numpy(x)).numpy()
print("# x sin(x) cos(x), float32 bits, from torch", torch.__version__)
for row in zip(x.view(np.uint32), s.view(np.uint32), c.view(np.uint32)):
    print("%08x %08x %08x" % row)
