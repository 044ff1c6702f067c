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
