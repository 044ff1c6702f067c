"""Does at::parallel_for's split of a big elementwise op into per-thread chunks show in the bits?

Each chunk of cpu_kernel_vec runs its own vector steps from the chunk's start and its own scalar
tail, so for ops whose vector and scalar paths differ (SLEEF vs glibc), a chunk boundary that is
not a multiple of the vector step moves elements between the two paths. Compare 1 vs 2 threads,
and each against a model: per chunk, whole steps of `step` elements vectorised, tail scalar,
estimated by computing the op on the chunk alone (a contiguous tensor of that length has the
same vector/tail split).
"""
import torch

torch.manual_seed(0)
ops = {
    "sigmoid": torch.sigmoid,
    "silu": torch.nn.functional.silu,
    "softplus": torch.nn.functional.softplus,
    "elu": torch.nn.functional.elu,
    "pow1.5": lambda t: t.abs().pow(1.5),
}


def chunks(n, grain, threads):
    if n <= grain or threads <= 1:
        return [(0, n)]
    used = min(threads, -(-n // grain))
    size = -(-n // used)
    return [(t * size, min(n, (t + 1) * size)) for t in range(used)]


for n in [32768, 32769, 32800, 70001, 100003, 65537, 131075]:
    x = torch.randn(n) * 4
    for name, f in ops.items():
        torch.set_num_threads(1)
        one = f(x)
        torch.set_num_threads(2)
        two = f(x)
        diff = (one.view(torch.int32) != two.view(torch.int32)).sum().item()
        # Model: each chunk computed as a tensor of its own, on one thread (a chunk over the
        # grain size would otherwise be split again).
        torch.set_num_threads(1)
        model = torch.cat([f(x[a:b].clone()) for a, b in chunks(n, 32768, 2)])
        model_bad = (model.view(torch.int32) != two.view(torch.int32)).sum().item()
        print(f"n={n:7d} {name:9s} 1-vs-2 threads differ: {diff:5d}  chunk-model vs 2 threads: {model_bad}")
