# Records torch.sqrt of every float32 mantissa in [1, 4); see bench/vsqrt/README.md.
import numpy as np, torch
torch.set_num_threads(1)
# all mantissas in [1,2) and [2,4)
b = np.arange(0x3f800000, 0x40800000, dtype=np.uint32)
x = b.view(np.float32)
y = torch.sqrt(torch.from_numpy(x)).numpy()
np.save('y14.npy', y)
y.tofile('y14.bin')
# scaling check: x*4^k for several k
for k in [-60,-20,-3,-1,1,5,30,60]:
    xs = (x.astype(np.float64)*4.0**k).astype(np.float32)
    ys = torch.sqrt(torch.from_numpy(xs)).numpy().astype(np.float64)
    print(k, np.mean(ys == y.astype(np.float64)*2.0**k))
cr = np.sqrt(x.astype(np.float64)).astype(np.float32)
print('cr agree', np.mean(cr==y), 'even', np.mean((cr==y)[:1<<23]), 'odd', np.mean((cr==y)[1<<23:]))
