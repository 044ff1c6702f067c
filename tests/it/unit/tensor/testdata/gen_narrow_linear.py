# Records F.linear(x, w[, b]) from PyTorch for narrow products (narrow_order.rs): each row is
# `m k n bias` then the m*n outputs' float32 bits, row-major, all hex. Inputs are generated from
# their index by the hash below (narrow_order.rs's tests compute the same), uniform in [-1, 1)
# with 24 random bits, so every product rounds and the order of the sums shows.
# Run: /tmp/torch-venv/bin/python gen_narrow_linear.py > narrow_linear_cases.txt
import torch, numpy as np

def value(seed, idx):
    u = (idx * 0x9E3779B1 + seed * 0x85EBCA77) % 2**32
    u ^= u >> 15
    u = (u * 0x2C1B3C6D) % 2**32
    u ^= u >> 12
    return np.float32(((u >> 8) - 2**23) / 2**23)

def tensor(seed, *shape):
    n = int(np.prod(shape))
    return torch.tensor(np.array([value(seed, i) for i in range(n)], np.float32).reshape(shape))

shapes = [(m, k, n, 0) for m in (2, 3, 4, 5, 6) for n in (2, 3, 4, 5, 7, 8, 10, 11)
          for k in (1, 3, 4, 5, 7, 8, 9, 13, 16, 17, 37, 84, 101, 400, 1100)]
# One row: gemv over w's rows (its second leftover row, n % 4 of 2 or 3, is not modelled).
shapes += [(1, k, n, 0) for n in (4, 5, 8, 9, 16) for k in (3, 5, 8, 13, 37, 84, 101, 400)]
shapes += [(2, 37, 16, 0), (3, 84, 13, 0), (2, 120, 40, 0), (3, 101, 64, 0)]
shapes += [(4, 84, 10, 1), (5, 37, 10, 1), (3, 13, 5, 1), (2, 100, 3, 1), (8, 120, 10, 1), (1, 84, 9, 1)]
if __name__ == "__main__":
    print(f"# m k n bias, then F.linear(x, w[, b]) bits row-major; torch {torch.__version__}")
    for m, k, n, bias in shapes:
        x, w, b = tensor(1, m, k), tensor(2, n, k), tensor(3, n)
        y = torch.nn.functional.linear(x, w, b if bias else None)
        bits = y.numpy().view(np.uint32).ravel()
        print(' '.join(f"{v:x}" for v in (m, k, n, bias)), ' '.join(f"{v:08x}" for v in bits))
