# torch.log on every float32 of the binades [2^-3, 2^3), saved as y{e}.npy; prints the share
# that differs from the correctly rounded log and the largest difference (ulps).
import numpy as np, torch

torch.set_num_threads(1)
for e in range(-3, 3):
    lo = (127 + e) << 23
    x = np.arange(lo, lo + (1 << 23), dtype=np.uint32).view(np.float32)
    y = torch.log(torch.from_numpy(x)).numpy()
    np.save(f'y{e}.npy', y)
    cr = np.log(x.astype(np.float64)).astype(np.float32)
    d = y.view(np.int32).astype(np.int64) - cr.view(np.int32)
    print(f'[2^{e}, 2^{e + 1}): differ from correctly rounded {(d != 0).mean():.4f}, at most {np.abs(d).max()} ulp')
