"""Does oneDNN split a float32 conv2d weight gradient's reduction over the batch across threads?

For each (in channels, out channels) the weight gradient of real PyTorch (default thread count,
2 on the oracle machine) is compared with two candidate orders evaluated in float32 with numpy:
  S: one FMA chain per weight over (image, output row, output column), the whole batch in order
     (lessonrun's order);
  H: the same chain over each half of the batch (oneDNN's balance211 split over 2 threads, the
     first chunk one image longer for odd batches), the two sums added after.
Run: /tmp/torch-venv/bin/python docs/probes/conv_wgrad_thread_split.py

Found on the oracle machine (AMD Zen 4, 2 threads), batch 4, kernel 5 over 12x12 and kernel 3
with padding 1 over 10x10, rows in channels 1 2 3 4 6 8 10 12 16 24 32, columns out channels
4 8 10 16 20 32 64:
  in 1-3:   H H H H S S S        in 10, 12: S S S S S S S
  in 4-8:   H H S S S S S        in 16:     H H H H S S S
  in 24,32: S S S S S S S
With a batch of 32 (the knowledge-distillation tutorial's DeepNN), 64 -> 32 and 16 -> 16
channels over 16x16 take H, so the batch size enters the choice too: this is oneDNN's
thread balancing of the backward-weights kernel (a memory-cost model over splits of the
batch, the output-channel blocks and the input-channel blocks), not found yet. The bias
gradient follows the same split (plain adds per chunk, chunks added after). With one thread
(torch.set_num_threads(1)) every case is S.
"""
import numpy as np
import torch


def weight_grad(x, gy, images, k, p):
    """FMA chain per weight over (image, output row, output column), in float32."""
    _, c, _, _ = x.shape
    o, oh, ow = gy.shape[1:]
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    acc = np.zeros((o, c, k, k), dtype=np.float32)
    for n in images:
        for oy in range(oh):
            for ox in range(ow):
                patch = xp[n, :, oy:oy + k, ox:ox + k].astype(np.float64)
                prod = gy[n, :, oy, ox].astype(np.float64)[:, None, None, None] * patch[None]
                acc = (acc.astype(np.float64) + prod).astype(np.float32)
    return acc


def main():
    torch.manual_seed(0)
    n = 4
    for k, h, p in [(5, 12, 0), (3, 10, 1)]:
        for cin in [1, 2, 3, 4, 6, 8, 10, 12, 16, 24, 32]:
            line = []
            for cout in [4, 8, 10, 16, 20, 32, 64]:
                conv = torch.nn.Conv2d(cin, cout, k, padding=p)
                x = torch.randn(n, cin, h, h)
                y = conv(x)
                gy = torch.randn_like(y)
                y.backward(gy)
                want = conv.weight.grad.numpy()
                xn, g = x.numpy(), gy.numpy()
                whole = weight_grad(xn, g, range(n), k, p)
                half = (n + 1) // 2
                halves = (weight_grad(xn, g, range(half), k, p) + weight_grad(xn, g, range(half, n), k, p)).astype(np.float32)
                line.append("S" if (whole == want).all() else "H" if (halves == want).all() else "?")
            print(f"k{k} {h}x{h} in={cin:3d}:", " ".join(line))


if __name__ == "__main__":
    main()
