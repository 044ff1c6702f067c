"""Records torch.tanh on float32 inputs for src/tensor/tanh_f32.rs's replay test.

Run with PyTorch 2.15 on x86-64 (MKL VML): python gen_vml_tanh.py > vml_tanh_cases.txt
Each line: input and tanh as float32 bits in hex. Most inputs are ones where MKL's result is
not the correctly rounded one, from every region of its algorithm (the cases a tanh computed
in double and rounded gets wrong); the rest are plain inputs and the pieces' edges.
"""
import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(12)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def mkl_differs(x):
    t = torch.tanh(torch.from_numpy(x)).numpy()
    return t != np.tanh(x.astype(np.float64)).astype(np.float32)


hard = []
for lo, hi, k in [(2**-12, 0.125, 700), (0.25, 1, 150), (1, 4, 700), (4, 8, 600), (8, 9.2, 100)]:
    pool = f32(rng.uniform(lo, hi, 3_000_000) * rng.choice([-1, 1], 3_000_000))
    hard.append(pool[mkl_differs(pool)][:k])
plain = f32(np.concatenate([rng.uniform(-10, 10, 800), rng.standard_normal(400) * 1e-3,
                            rng.uniform(-100, 100, 50)]))
edges = f32(np.concatenate([2.0**np.arange(-3, 4) * m for m in (1, 1.25, 1.5, 1.75)]))
edges = np.concatenate([edges, f32([9.0108, 9.0109, 9.125, 10, 20, 1e-30, 1e-40, 1e-45, 0.0,
                                    np.inf])])
near = np.concatenate([np.nextafter(edges, f32(np.inf)), np.nextafter(edges, f32(0))])
x = np.concatenate([*hard, plain, edges, near])
x = np.unique(np.concatenate([x, -x]))
t = torch.tanh(torch.from_numpy(x)).numpy()
print("# x tanh(x), float32 bits, from torch", torch.__version__)
for row in zip(x.view(np.uint32), t.view(np.uint32)):
    print("%08x %08x" % row)
