# Per-op overhead: a chain of 10 element-wise ops on 3-element tensors that require grad, then
# backward, repeated. Tiny tensors, so the time is the framework's per-op cost (dispatch, graph
# recording, allocation), not arithmetic. Every op here is exact in both engines, so both print
# the same gradient.
import torch
torch.manual_seed(0)
x = torch.randn(3, requires_grad=True)
w = torch.randn(3)
b = torch.randn(3)
for i in range(20000):
    y = x * w
    y = y + b
    y = y.sigmoid()
    y = y * y
    y = y - x
    y = y / 3.0
    y = y.relu()
    y = y + x
    y = y.abs()
    y = y * 2.0
    loss = y.sum()
    loss.backward()
print(x.grad)
