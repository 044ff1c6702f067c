"""Writes vml_exp_cases.txt: float32 inputs and the bits `torch.exp` returns for them on the oracle
machine (MKL VML vsExp, SSE path on an AMD EPYC). Half the cases are inputs where MKL's result is
not the correctly rounded exp (the ones a port must get right), the rest spread over the range,
the thresholds of MKL's correctly rounded path (|x| near 126 ln2) and the special values.
Run: python gen_vml_exp.py > vml_exp_cases.txt
"""
import numpy as np, torch

torch.set_num_threads(1)
rng = np.random.default_rng(3)
x = np.concatenate([
    rng.uniform(-104, 89, 1500), rng.uniform(-2, 2, 800),
    np.exp(rng.uniform(-60, 0, 300)) * rng.choice([-1, 1], 300),
    rng.uniform(87.2, 87.5, 200), rng.uniform(-87.5, -87.2, 200),
]).astype(np.float32)
# inputs where torch.exp is not the correctly rounded value
dense = rng.uniform(-20, 20, 400000).astype(np.float32)
y = torch.exp(torch.from_numpy(dense)).numpy()
miss = dense[y != np.exp(dense.astype(np.float64)).astype(np.float32)]
special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 88.72283, 88.72284, -103.97207, -103.9721,
                    87.33654, 87.33655, -87.33654, -87.33655], dtype=np.float32)
x = np.concatenate([x, miss[:1500], special])
y = torch.exp(torch.from_numpy(x)).numpy()
print("# x-bits torch.exp-bits (float32, MKL vsExp on the oracle machine)")
for a, b in zip(x.view(np.uint32), y.view(np.uint32)):
    print(f"{a:08x} {b:08x}")
