# Records F.linear(x, w[, b]) from PyTorch for narrow products (narrow_order.rs) whose x does
# not start at its allocation: MKL peels to the 16-byte boundary of x's real address, so the
# view's storage offset changes the bits. Each row is `m k n bias kind W s`, then the m*n
# outputs' float32 bits, row-major, all hex. kind 0: x = big[:, s:s+k] of big (m, W);
# kind 1: x = flat[s:s+m*k].view(m, k) of flat (s + m*k + 5,); kind 2: x fresh, w = bigw[:, s:s+k]
# of bigw (n, W). Inputs come from gen_narrow_linear.py's hash (seed 1 for big/flat/x, 2 for
# w/bigw, 3 for b); narrow_order.rs's tests build the same views.
# Run: /tmp/torch-venv/bin/python gen_narrow_linear_offset.py > narrow_linear_offset_cases.txt
import torch, numpy as np
from gen_narrow_linear import tensor

shapes = [(m, k, n, 0, kind, k + 7, s) for kind in (0, 1) for m in (2, 3, 5, 16) for n in (3, 5, 8, 10)
          for k in (5, 13, 37, 84) for s in (1, 2, 3, 6)]
shapes += [(m, k, n, 0, 2, k + 3, s) for m in (2, 5) for n in (3, 10) for k in (13, 37) for s in (1, 2)]
shapes += [(4, 84, 10, 1, 0, 100, 3), (5, 37, 10, 1, 1, 37, 1), (3, 13, 5, 1, 0, 20, 2), (2, 100, 3, 1, 1, 100, 7),
           (16, 8, 8, 1, 0, 24, 8), (16, 8, 8, 1, 0, 24, 16), (10, 16, 8, 1, 1, 16, 81)]

def inputs(m, k, n, kind, W, s):
    if kind == 0:
        x = tensor(1, m, W)[:, s:s + k]
    elif kind == 1:
        x = tensor(1, s + m * k + 5)[s:s + m * k].view(m, k)
    else:
        x = tensor(1, m, k)
    w = tensor(2, n, W)[:, s:s + k] if kind == 2 else tensor(2, n, k)
    return x, w, tensor(3, n)

if __name__ == "__main__":
    print(f"# m k n bias kind W s, then F.linear(x, w[, b]) bits row-major; torch {torch.__version__}")
    for m, k, n, bias, kind, W, s in shapes:
        x, w, b = inputs(m, k, n, kind, W, s)
        assert x.untyped_storage().data_ptr() % 64 == 0 and w.untyped_storage().data_ptr() % 64 == 0
        y = torch.nn.functional.linear(x, w, b if bias else None)
        bits = y.numpy().view(np.uint32).ravel()
        print(' '.join(f"{v:x}" for v in (m, k, n, bias, kind, W, s)), ' '.join(f"{v:08x}" for v in bits))
