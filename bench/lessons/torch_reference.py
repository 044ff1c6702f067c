import sys, time, torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(1)
torch.manual_seed(42)
model = nn.Linear(4, 2); opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.tensor([[1., 2., 3., 4.]]); y = torch.tensor([1])
t0 = time.perf_counter()
for step in range(2000):
    opt.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward(); opt.step()
t1 = time.perf_counter(); print("seed step torch1t us/step", (t1-t0)/2000*1e6, loss.item())
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)); opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(64, 784); y = torch.randint(0, 10, (64,))
t0 = time.perf_counter()
for step in range(50):
    opt.zero_grad(); loss = F.cross_entropy(model(x), y); loss.backward(); opt.step()
t1 = time.perf_counter(); print("mlp step torch1t ms/step", (t1-t0)/50*1e3, f"{loss.item():.3f}")
a = torch.randn(512, 512); b = torch.randn(512, 512)
t0 = time.perf_counter()
for _ in range(20): c = a @ b
print("matmul512 torch1t ms", (time.perf_counter()-t0)/20*1e3)
x = torch.randn(16, 16); s = 0.0
t0 = time.perf_counter()
for i in range(20000):
    r = x[i % 16]; c = x[:, 1:3]; v = x.view(256); t = x.t()
    s += r[0].item() + c[0, 0].item() + v[5].item() + t[1, 2].item()
print("index_read torch1t us/iter", (time.perf_counter()-t0)/20000*1e6)
x = torch.zeros(16, 16)
t0 = time.perf_counter()
for i in range(20000):
    x[i % 16, i % 7] = 1.0; x[i % 16] += 0.5
print("index_write torch1t us/iter", (time.perf_counter()-t0)/20000*1e6, x.sum().item())
x = torch.randn(512, 512); s = 0.0
t0 = time.perf_counter()
for i in range(200):
    r = x[i]; c = x[:, i] * 2; y = x.t().reshape(-1)
    s += r.sum().item() + c.sum().item() + y[3].item()
print("slice_big torch1t us/iter", (time.perf_counter()-t0)/200*1e6)
