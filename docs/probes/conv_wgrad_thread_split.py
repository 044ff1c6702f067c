"""When does oneDNN split a float32 conv2d weight/bias gradient's reduction across threads?

PyTorch's float32 conv2d backward goes to oneDNN (ATen's `use_mkldnn`), which on an AVX-512
machine without AMX runs the weight and bias gradients through one of two kernels, by the
input channels (the implementation name is what ONEDNN_VERBOSE prints):

  jit:avx512_core  1-3 input channels ("first convolution") or a multiple of 16 after padding
                   (16 and up); kernel width at most 14; top/bottom padding at most half the
                   (dilated) kernel height.
  jit:avx2         4-15 input channels (padded to 8); kernel width under 14, no dilation.

(1x1 kernels with unit strides go to jit_1x1:avx512_core, whose balancing is not modelled:
lessonrun keeps one chain there, which PyTorch's bits do not always follow.)

Each kernel sums every weight in one FMA chain over (image, output row, output column) and
every bias in one chain of plain adds over the same positions, but first splits that range
into per-thread chunks when its thread balancing says so; each chunk is summed from zero
(thread 0 into the result, the others into scratch buffers) and the chunks are then added in
thread order with plain float adds. The balancing (oneDNN's source, reimplemented here as
`predict`; lessonrun's src/tensor/conv_split.rs is the same rule):

  jit:avx512_core: `balance` picks (nthr_mb, nthr_oc_b, nthr_ic_b) by a memory-cost model,
    then a compute-cost pass (see `avx512_balance`). With output height above 9 (and no
    dilation) the "2d" harness splits the (image, output row) pairs, n * oh of them, into
    nthr_mb chunks (balance211: the first chunks one row longer), so a chunk may end inside
    an image; the bias follows the same chunks. Otherwise whole images are split (balance211
    over n) for the weights, and the bias goes through oneDNN's generic reducer
    (`reduce_balancer`) with the balanced thread count, over output-channel blocks of 16 and
    the n images: it may split the bias when the weights are not split and the reverse.
  jit:avx2: both the weights and the bias go through the generic reducer: weights as jobs of
    (input block of 8, output block of 8) over n images, bias as output blocks of 8.

With one thread (torch.set_num_threads(1)) nothing is split.

Run: /tmp/torch-venv/bin/python docs/probes/conv_wgrad_thread_split.py [--quick]
For each shape it prints the implementation ONEDNN_VERBOSE names, the predicted chunks of the
weight and bias reductions, and whether PyTorch's weight and bias gradients equal (bit for bit)
a float32 emulation of the predicted order ("ok"), and whether the unsplit order ("S") would
have matched too (when both match the shape does not tell them apart).
"""
import contextlib
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F


def div_up(a, b):
    return -(-a // b)


def balance211(n, team):
    """oneDNN's balance211: `team` consecutive chunks of n, the first ones one longer."""
    if team <= 1 or n == 0:
        return [(0, n)]
    n1 = div_up(n, team)
    n2 = n1 - 1
    t1 = n - n2 * team
    out, start = [], 0
    for t in range(team):
        size = n1 if t < t1 else n2
        out.append((start, start + size))
        start += size
    return [r for r in out if r[1] > r[0]]


def reduce_balancer(nthr, job_size, njobs, reduction, max_buffer):
    """oneDNN's reduce_balancer_t::balance: threads per group along the reduction."""
    min_per_group = max(1, njobs // nthr)
    max_per_group = max(1, max_buffer // (nthr * job_size))
    ngroups = min(njobs // min_per_group, nthr)
    per_group = min(nthr // ngroups, reduction)
    best = njobs * job_size * reduction
    for c in range(min_per_group, njobs):
        c_groups = min(njobs // c, nthr)
        c_per_group = min(nthr // c_groups, reduction)
        c_ub = div_up(njobs, c_groups)
        if c_per_group > 1 and c_ub > max_per_group:
            continue
        cost = job_size * c_ub * (div_up(reduction, c_per_group) + (c_per_group != 1))
        if cost < best:
            ngroups, per_group, best = c_groups, c_per_group, cost
    return per_group


def avx512_balance(j, nthreads):
    """jit_avx512_common_conv_bwd_weights_kernel_f32::balance (groups == 1)."""
    nthr = nthreads
    two_d = j["harness"] == "2d"
    ih_r, oh_r = (j["ih"], j["oh"]) if two_d else (1, 1)
    ih_n, oh_n = (1, 1) if two_d else (j["ih"], j["oh"])
    nthr_oh_reduce = max(1, oh_r // 9)

    def mem(mb, ocb, icb):
        return (div_up(j["mb"] * ih_r, mb) * div_up(j["nb_ic"], icb) * j["ic_block"] * ih_n * j["iw"]
                // j["sh"] // j["sw"]
                + div_up(j["mb"] * oh_r, mb) * div_up(j["nb_oc"], ocb) * 16 * oh_n * j["ow"]
                + 8 * div_up(j["nb_oc"], ocb) * div_up(j["nb_ic"], icb) * j["kh"] * j["kw"] * j["ic_block"] * 16)

    def comp(mb, ocb, icb):
        return div_up(j["mb"] * oh_r, mb) * div_up(j["nb_oc"], ocb) * div_up(j["nb_ic"], icb)

    best = (1, 1, 1)
    best_mem = mem(*best)
    mb_max = min(nthr, j["mb"] * nthr_oh_reduce)
    cands = []
    for mb in range(1, mb_max + 1):
        par = nthr // mb
        for ocb in range(1, min(par, j["nb_oc"]) + 1):
            cands.append((mb, ocb, min(par // ocb, j["nb_ic"])))
    for cand in cands:
        m = mem(*cand)
        if m <= best_mem:
            best_mem, best = m, cand
    best_comp = comp(*best)
    for cand in cands:
        m, c = mem(*cand), comp(*cand)
        if (c <= best_comp and m < 1.1 * best_mem) or 4 * c <= 3 * best_comp:
            best_comp, best = c, cand
    mb, ocb, icb = best
    if nthreads // 2 < mb < nthreads:
        mb = min(j["mb"] * nthr_oh_reduce, nthreads)
    return mb, mb * ocb * icb


def predict(n, c, o, kh, kw, h, w, stride=(1, 1), pad=(0, 0), dil=(1, 1), threads=2):
    """(implementation, weight chunks, bias chunks); chunks are ranges of (image, output
    row) pairs numbered image-major, or None where the kernel is not one of the two above."""
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    ekh, ekw = dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1
    b_pad = max(0, (oh - 1) * stride[0] + ekh - (h + pad[0]))
    r_pad = max(0, (ow - 1) * stride[1] + ekw - (w + pad[1]))
    whole = [(0, n * oh)]
    # ATen's use_mkldnn (float32, groups 1): otherwise PyTorch's own im2col + gemm path.
    one_by_one_alone = kh == kw == 1 and stride == (1, 1) and dil == (1, 1) and n < 16 and threads == 1
    if one_by_one_alone or not (n > 1 or (kh > 3 and kw > 3) or n * c * h * w > 20480):
        return "no oneDNN", whole, whole
    if kh == kw == 1 and stride == (1, 1):
        # oneDNN's 1x1 kernel (jit_1x1:avx512_core), balanced otherwise: not modelled.
        return "jit_1x1", whole, whole
    rows = lambda chunks: [(a * oh, b * oh) for a, b in chunks]
    avx512 = (c in (1, 2, 3) or c >= 16) and kw <= 14 \
        and pad[1] < ekw and r_pad < ekw and pad[0] <= ekh // 2 and b_pad <= ekh // 2 \
        and pad[1] <= 28 and r_pad <= 28 and (dil[0] == 1 or ekh <= h)
    if avx512:
        first = c < 16
        j = dict(mb=n, ih=h, iw=w, oh=oh, ow=ow, kh=kh, kw=kw, sh=stride[0], sw=stride[1],
                 nb_ic=1 if first else div_up(c, 16), ic_block=c if first else 16,
                 nb_oc=div_up(o, 16), harness="2d" if dil[0] == 1 and oh > 9 else "mb")
        nthr_mb, nthr = avx512_balance(j, threads)
        if j["harness"] == "2d":
            wch = balance211(n * oh, nthr_mb)
            return "jit:avx512_core", wch, wch
        wch = rows(balance211(n, nthr_mb))
        per = reduce_balancer(nthr, 16, j["nb_oc"], n, nthr * 3 * 5 * 5 * 16 * 16)
        return "jit:avx512_core", wch, rows(balance211(n, per))
    avx2 = 4 <= c <= 15 and kw < 14 and dil == (1, 1) and kh <= h and pad[0] < kh \
        and pad[0] < ekh and b_pad < ekh and pad[1] < ekw and r_pad < ekw
    if avx2:
        nb_ic, nb_oc = div_up(c, 8), div_up(o, 8)
        per_w = reduce_balancer(threads, kh * kw * 64, nb_ic * nb_oc, n, 1 << 21)
        per_b = reduce_balancer(threads, 8, nb_oc, n, 1 << 21)
        return "jit:avx2", rows(balance211(n, per_w)), rows(balance211(n, per_b))
    return None, whole, whole


@contextlib.contextmanager
def captured_stdout():
    """The C-level stdout (where ONEDNN_VERBOSE prints) into a list of lines."""
    sys.stdout.flush()
    lines = []
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+") as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            yield lines
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            lines.extend(tmp.read().splitlines())


def chunk_weight_grad(cols, gy, chunks, outs):
    """Weight gradient for output channels `outs`: one FMA chain per chunk over its
    positions, in float32 (each product exact in float64, one rounding per step), the
    chunks' sums then added in order."""
    total = None
    for a, b in chunks:
        acc = np.zeros((len(outs), cols.shape[1]), dtype=np.float32)
        for p in range(a, b):
            prod = gy[p, outs].astype(np.float64)[:, None] * cols[p].astype(np.float64)[None]
            acc = (acc.astype(np.float64) + prod).astype(np.float32)
        total = acc if total is None else (total + acc).astype(np.float32)
    return total


def chunk_bias_grad(gy, chunks):
    """Bias gradient: plain float32 adds per chunk (np.cumsum is sequential), chunks added."""
    total = None
    for a, b in chunks:
        part = np.cumsum(gy[a:b], axis=0, dtype=np.float32)[-1] if b > a else np.zeros(gy.shape[1], np.float32)
        total = part if total is None else (total + part).astype(np.float32)
    return total


def probe(n, c, o, k, h, stride=1, pad=0, threads=2, seed=0):
    """One shape: torch's gradients against the predicted and the unsplit orders."""
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    x = torch.randn(n, c, h, h)
    wt = (torch.randn(o, c, k, k) * 0.1).requires_grad_()
    b = torch.randn(o).requires_grad_()
    y = F.conv2d(x, wt, b, stride=stride, padding=pad)
    gy = torch.randn_like(y)
    with captured_stdout() as lines:
        with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
            y.backward(gy)
    impl = next((ln.split(",")[6] for ln in lines if "backward_weights" in ln), "no oneDNN")
    oh, ow = y.shape[2], y.shape[3]
    pred_impl, wch, bch = predict(n, c, o, k, k, h, h, (stride, stride), (pad, pad), threads=threads)
    # im2col rows in (image, output row, output column) order; positions of a chunk of
    # (image, row) pairs [a, b) are [a * ow, b * ow).
    cols = F.unfold(x, k, padding=pad, stride=stride).transpose(1, 2).reshape(n * oh * ow, -1).numpy()
    g = gy.permute(0, 2, 3, 1).reshape(n * oh * ow, o).numpy()
    pos = lambda chunks: [(a * ow, b * ow) for a, b in chunks]
    outs = sorted({0, o - 1})
    want_w = wt.grad.reshape(o, -1).numpy()[outs]
    want_b = b.grad.numpy()
    whole = [(0, n * oh * ow)]
    w_pred = (chunk_weight_grad(cols, g, pos(wch), outs) == want_w).all()
    w_s = w_pred if wch == [(0, n * oh)] else (chunk_weight_grad(cols, g, whole, outs) == want_w).all()
    b_pred = (chunk_bias_grad(g, pos(bch)) == want_b).all()
    b_s = (chunk_bias_grad(g, whole) == want_b).all()
    fmt = lambda ch: "1" if len(ch) == 1 else "/".join(str(b_ - a) for a, b_ in ch)
    if impl == "no oneDNN" or impl.startswith("jit_1x1"):  # not modelled: the gemm path, 1x1
        w_pred = b_pred = impl.startswith(pred_impl)
    ok = w_pred and b_pred and impl.startswith(pred_impl or "?")
    print(f"n={n:2d} c={c:3d} o={o:3d} k={k} {h:2d}x{h:<2d} s={stride} p={pad} t={threads} "
          f"{impl:16s} w-rows {fmt(wch):9s} b-rows {fmt(bch):9s} "
          f"w {'ok' if w_pred else 'XX'}{'(S)' if w_s else '   '} "
          f"b {'ok' if b_pred else 'XX'}{'(S)' if b_s else '   '} {'' if ok else '  <-- MISMATCH'}",
          flush=True)
    return ok


def probe1d(n, c, o, k, length, pad=0):
    """conv1d: lessonrun runs it as conv2d on a height-1 view; oneDNN splits it alike."""
    torch.manual_seed(1)
    torch.set_num_threads(2)
    x = torch.randn(n, c, length)
    wt = (torch.randn(o, c, k) * 0.1).requires_grad_()
    b = torch.randn(o).requires_grad_()
    y = F.conv1d(x, wt, b, padding=pad)
    gy = torch.randn_like(y)
    with captured_stdout() as lines:
        with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
            y.backward(gy)
    impl = next((ln.split(",")[6] for ln in lines if "backward_weights" in ln), "no oneDNN")
    ow = y.shape[2]
    pred_impl, wch, bch = predict(n, c, o, 1, k, 1, length, (1, 1), (0, pad))
    cols = F.unfold(x[:, :, None, :], (1, k), padding=(0, pad)).transpose(1, 2).reshape(n * ow, -1).numpy()
    g = gy.permute(0, 2, 1).reshape(n * ow, o).numpy()
    pos = lambda chunks: [(a * ow, b_ * ow) for a, b_ in chunks]
    outs = sorted({0, o - 1})
    w_ok = (chunk_weight_grad(cols, g, pos(wch), outs) == wt.grad.reshape(o, -1).numpy()[outs]).all()
    b_ok = (chunk_bias_grad(g, pos(bch)) == b.grad.numpy()).all()
    ok = w_ok and b_ok and impl.startswith(pred_impl or "?")
    fmt = lambda ch: "1" if len(ch) == 1 else "/".join(str(b_ - a) for a, b_ in ch)
    print(f"conv1d n={n:2d} c={c:3d} o={o:3d} k={k} L={length} p={pad} {impl:16s} w-rows {fmt(wch):9s} "
          f"b-rows {fmt(bch):9s} w {'ok' if w_ok else 'XX'} b {'ok' if b_ok else 'XX'}"
          f"{'' if ok else '  <-- MISMATCH'}", flush=True)
    return ok


def shapes(quick):
    # The original table: batch 4, kernel 5 over 12x12 and kernel 3 padding 1 over 10x10.
    for k, h, p in [(5, 12, 0), (3, 10, 1)]:
        for c in [1, 2, 3, 4, 6, 8, 10, 12, 16, 24, 32]:
            for o in [4, 8, 10, 16, 20, 32, 64]:
                yield 4, c, o, k, h, 1, p
    # The tutorials: introyt's LeNet (batch 4), knowledge distillation's DeepNN and LightNN.
    yield 4, 1, 6, 5, 28, 1, 0
    yield 4, 6, 16, 5, 12, 1, 0
    for n in [32, 16, 128] if not quick else [32]:
        yield n, 3, 128, 3, 32, 1, 1
        yield n, 128, 64, 3, 32, 1, 1
        yield n, 64, 64, 3, 16, 1, 1
        yield n, 64, 32, 3, 16, 1, 1
        yield n, 3, 16, 3, 32, 1, 1
        yield n, 16, 16, 3, 16, 1, 1
    # Batch sizes with channels on both sides, 2d (oh > 9) and whole-image harnesses.
    for n in [1, 2, 3, 5, 7, 8, 9, 16, 31, 64] if not quick else [1, 3, 9]:
        for c, o, k, h, s, p in [(1, 6, 5, 28, 1, 0), (16, 16, 3, 12, 1, 1), (16, 32, 3, 8, 1, 1),
                                 (32, 16, 3, 6, 1, 0), (6, 16, 5, 12, 1, 0), (8, 8, 3, 10, 1, 1),
                                 (3, 8, 3, 8, 2, 1), (64, 64, 3, 8, 1, 1), (1, 16, 3, 10, 1, 0)]:
            yield n, c, o, k, h, s, p
    if quick:
        return
    # Kernel sizes, strides and image sizes.
    for c, o in [(1, 4), (3, 32), (5, 12), (16, 16), (20, 40), (48, 16)]:
        for k, h, s, p in [(1, 8, 1, 0), (1, 9, 2, 0), (2, 11, 1, 0), (3, 20, 2, 1), (4, 16, 2, 1),
                           (5, 9, 1, 2), (7, 14, 1, 3), (7, 30, 2, 3), (3, 24, 1, 0)]:
            for n in [2, 5, 12]:
                yield n, c, o, k, h, s, p


def main():
    quick = "--quick" in sys.argv
    bad = 0
    for n, c, o, k, h, s, p in shapes(quick):
        bad += not probe(n, c, o, k, h, s, p)
    for n, c, o, k, h, s, p in [(4, 1, 6, 5, 28, 1, 0), (32, 64, 32, 3, 16, 1, 1), (8, 6, 16, 5, 12, 1, 0)]:
        bad += not probe(n, c, o, k, h, s, p, threads=1)
    for n in [2, 3, 8, 32]:
        for c, o, k, length, p in [(1, 8, 3, 50, 1), (4, 8, 5, 40, 2), (16, 16, 3, 30, 1),
                                   (32, 16, 3, 20, 0), (3, 64, 7, 100, 3)]:
            bad += not probe1d(n, c, o, k, length, p)
    print("mismatches:", bad)


if __name__ == "__main__":
    main()
