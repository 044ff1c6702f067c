"""PyTorch's side of bench/softmax_backward.sh: the cells of bench/lessons/softmax-backward.md,
each timed with time.process_time (CPU time), one thread."""
import time
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)
seq = torch.randn(64, 40, 400) * 3
gseq = torch.randn(64, 40, 400)
rows = torch.randn(512, 1000) * 3
grows = torch.randn(512, 1000)
logits = torch.randn(4096, 100) * 2
labels = torch.randint(0, 100, (4096,))
seg = torch.randn(16, 10, 2000) * 2
segt = torch.randint(0, 10, (16, 2000))


def rep(n, base, loss):
    def run():
        for _ in range(n):
            a = base.detach().requires_grad_()
            loss(a)
    return run


cells = [
    ("softmax fwd+bwd over dim 1 of (64, 40, 400) x5", rep(5, seq, lambda a: torch.softmax(a, 1).backward(gseq))),
    ("log_softmax fwd+bwd over dim 1 of (64, 40, 400) x5", rep(5, seq, lambda a: F.log_softmax(a, 1).backward(gseq))),
    ("softmax fwd+bwd over the last dim of (512, 1000) x5", rep(5, rows, lambda a: torch.softmax(a, -1).backward(grows))),
    ("cross_entropy fwd+bwd (4096, 100) x5", rep(5, logits, lambda a: F.cross_entropy(a, labels).backward())),
    ("cross_entropy fwd+bwd (16, 10, 2000) x5", rep(5, seg, lambda a: F.cross_entropy(a, segt).backward())),
]
for name, f in cells:
    t = time.process_time()
    f()
    print(f"{name}\t{(time.process_time() - t) * 1000:.1f}")
