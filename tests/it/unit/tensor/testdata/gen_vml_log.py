"""Records torch.log on float32 inputs for src/tensor/vml_log.rs's replay test.

Run with PyTorch 2.15 on x86-64 (MKL VML vsLn): python gen_vml_log.py > vml_log_cases.txt
Each line: input and log as float32 bits in hex. Rows: every 524287th float32 bit pattern (all
binades, both signs, NaNs and infinities); 4000 positive inputs where MKL's result is not the
correctly rounded log (the cases a correctly rounded log gets wrong), from 2^-30 to 2^30; the
inputs on either side of the reduction's break points (m = 2/3 and 4/3) in several binades;
subnormals; and the special values.
"""
import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(11)

spread = np.arange(0, 1 << 32, 524287, dtype=np.uint64).astype(np.uint32)
pool = np.exp(rng.uniform(-30 * np.log(2), 30 * np.log(2), 2_000_000)).astype(np.float32)
t = torch.log(torch.from_numpy(pool)).numpy()
hard = pool[t != np.log(pool.astype(np.float64)).astype(np.float32)][:4000].view(np.uint32)
brk = []
for e in (-20, -1, 0, 1, 5, 60):
    for m in (0x3f2aaaab, 0x3faaaaab):
        c = m + (e << 23)
        brk.extend(range(c - 3, c + 3))
sub = rng.integers(1, 1 << 23, 200).astype(np.uint32)
special = np.array([0, 0x80000000, 1, 0x80000001, 0x7fffff, 0x800000, 0x7f7fffff, 0x7f800000, 0xff800000,
                    0x7fc00000, 0xffc00000, 0x7f800001, 0x3f800000, 0x3f800001, 0x3f7fffff, 0xbf800000],
                   dtype=np.uint32)
x = np.concatenate([spread, hard, np.array(brk, dtype=np.uint32), sub, special])
y = torch.log(torch.from_numpy(x.view(np.float32).copy())).numpy().view(np.uint32)
print("# x-bits torch.log-bits (float32, MKL vsLn on the oracle machine)")
for a, b in zip(x, y):
    print(f"{a:08x} {b:08x}")
