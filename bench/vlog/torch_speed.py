# torch.log on the same number of float32 inputs as speed.rs (2^22, uniform in (0, 100)), one
# thread, best of 7 by thread CPU time.
import time, torch
torch.set_num_threads(1)
x = torch.rand(1 << 22) * 100 + 1e-6
best = 1e9
for _ in range(7):
    t = time.thread_time(); y = torch.log(x); best = min(best, time.thread_time() - t)
print(f"  torch.log (1 thread)   {best * 1000:8.2f} ms")
