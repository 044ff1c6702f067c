# Records torch.mm(a, b) from PyTorch for products MKL's FMA kernel takes (4+ rows, 12+
# columns) with 5-11 rows, whose last m % 4 rows MKL sums with plain dots (kernels::fused_rows),
# and neighbours that stay FMA (12+ rows, small k and n). Each row is `m k n at`, then the m*n
# outputs' float32 bits, row-major, all hex; `at` 1: a is the transpose of a row-major (k, m)
# matrix (a Linear layer's weight gradient, g.t() @ x), 0: a row-major. b is row-major (k, n).
# Inputs come from gen_narrow_linear.py's hash (seed 1 for a, 2 for b).
# Run: /tmp/torch-venv/bin/python gen_leftover_rows.py > leftover_rows_cases.txt
import torch, numpy as np
from gen_narrow_linear import tensor

shapes = [(m, k, n, at) for at in (0, 1) for m in (5, 6, 7, 9, 10, 11)
          for k, n in ((37, 12), (64, 128), (17, 16), (5, 20), (8, 64), (300, 16), (16, 16), (3, 64))]
shapes += [(10, 64, 128, 1), (12, 64, 128, 1), (13, 37, 20, 0), (8, 64, 128, 1), (4, 37, 16, 0)]

if __name__ == "__main__":
    print(f"# m k n at, then torch.mm(a, b) bits row-major; torch {torch.__version__}")
    for m, k, n, at in shapes:
        a = tensor(1, k, m).t() if at else tensor(1, m, k)
        b = tensor(2, k, n)
        bits = torch.mm(a, b).numpy().view(np.uint32).ravel()
        print(' '.join(f"{v:x}" for v in (m, k, n, at)), ' '.join(f"{v:08x}" for v in bits))
