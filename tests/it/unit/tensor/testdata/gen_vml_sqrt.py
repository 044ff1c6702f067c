"""Records torch.sqrt on float32 inputs for src/tensor/vml_sqrt.rs's replay test.

Run with PyTorch 2.15 on the oracle machine (x86-64, AMD EPYC, MKL VML):
    python gen_vml_sqrt.py > vml_sqrt_cases.txt
Each line: input and torch's result as float32 bits in hex. Most inputs are ones where MKL's
result is not the correctly rounded root, over every binade; the rest are plain samples and
the edges where MKL changes path (subnormals, the top of the range, zeros, inf, NaN, negatives).
"""
import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(12)

bits = rng.integers(0x00800000, 0x7f800000, 400_000, dtype=np.uint32)
pool = bits.view(np.float32)
torch_y = torch.sqrt(torch.from_numpy(pool)).numpy()
cr = np.sqrt(pool.astype(np.float64)).astype(np.float32)
hard = pool[torch_y != cr][:2500]
plain = np.concatenate([rng.uniform(0, 4, 600), rng.uniform(0, 1e-3, 200), rng.uniform(0, 1e6, 200)]).astype(np.float32)
edge_bits = np.array([
    0x00000000, 0x80000000, 0x00000001, 0x00000002, 0x00400000, 0x007fffff, 0x00800000, 0x00800001,
    0x00ffffff, 0x01000000, 0x3f800000, 0x3f800001, 0x3fffffff, 0x40000000, 0x407fffff,
    0x7f7fefff, 0x7f7ff000, 0x7f7ff001, 0x7f7ff003, 0x7f7ffffe, 0x7f7fffff, 0x7f800000, 0xff800000,
    0x7fc00000, 0xffc00000, 0xbf800000, 0x80000001, 0x807fffff,
], dtype=np.uint32)
sub = rng.integers(1, 0x00800000, 100, dtype=np.uint32)
top = rng.integers(0x7f7f0000, 0x7f800000, 100, dtype=np.uint32)
x = np.unique(np.concatenate([hard.view(np.uint32), plain.view(np.uint32), edge_bits, sub, top]))
y = torch.sqrt(torch.from_numpy(x.view(np.float32).copy())).numpy().view(np.uint32)
print("# input_bits torch.sqrt_bits (float32), recorded by gen_vml_sqrt.py")
for a, b in zip(x, y):
    print(f"{a:08x} {b:08x}")
