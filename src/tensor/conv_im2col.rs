//! The convolutions of conv.rs through im2col and the packed FMA matmul kernel, with every
//! output summed in the same order as conv.rs's per-output loops (which stay the reference
//! definition, and run for the orders no kernel here reproduces).
//!
//! A column matrix holds, for each tap in the reference's order, the value each output reads
//! there; a tap that falls in the padding (or, for the input's gradient, an input position no
//! output reaches) holds +0 where the reference skips the tap. An FMA with a +0 factor leaves
//! its accumulator unchanged unless the accumulator is -0 or the other factor is not finite.
//! A chain that starts from +0 reaches -0 only by rounding a nonzero exact result to zero
//! (`x + (-x)` and `+0 + -0` are +0), and [`zero_fill_exact`] rules that out: when every
//! nonzero product is a multiple of the smallest subnormal, so is every exact sum, which then
//! rounds to zero only if it is zero. Under its conditions the padded chains equal the skipping
//! ones bit for bit; otherwise the caller runs the reference loops.

use super::conv::{ConvSpec, Geom, Path};
use super::kernels::{Float, Mat, fused_matmul_into};

/// Whether FMA chains over products `v * f` (`v` from `values`, `f` from `factors`) with +0
/// inserted in place of some `v` give the same bits as the chains without them: every factor
/// finite (`0 * inf` is NaN), and every product of nonzero magnitudes at least 2^-101 (float32)
/// or 2^-968 (float64), so that products are multiples of the smallest subnormal (their
/// granularity is 2^(e_v + e_f - 46), resp. 2^(e_v + e_f - 104)).
pub(super) fn zero_fill_exact<T: Float + Into<f64>>(values: &[T], factors: &[T]) -> bool {
    let (min_v, _) = min_magnitude(values);
    let (min_f, finite) = min_magnitude(factors);
    if !finite {
        return false;
    }
    let floor = if size_of::<T>() == 4 {
        2f64.powi(-101)
    } else {
        2f64.powi(-968)
    };
    // No nonzero finite value on either side leaves no product to round.
    min_v == f64::INFINITY || min_f == f64::INFINITY || min_v * min_f >= floor
}

/// The smallest nonzero finite magnitude in `v` (+inf if none) and whether every element is
/// finite, in lanes of independent minima so the scan vectorizes (it runs over whole
/// activations and gradients at every convolution).
fn min_magnitude<T: Float + Into<f64>>(v: &[T]) -> (f64, bool) {
    const LANES: usize = 8;
    let mut mins = [f64::INFINITY; LANES];
    let mut finite = [true; LANES];
    let mut take = |lane: usize, a: T| {
        let a = Into::<f64>::into(a).abs();
        // NaN fails both `a < inf` and `a != inf`; it counts as not finite and is skipped.
        finite[lane] &= a < f64::INFINITY;
        let m = if a != 0.0 && a < f64::INFINITY { a } else { f64::INFINITY };
        mins[lane] = if m < mins[lane] { m } else { mins[lane] };
    };
    let chunks = v.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for (lane, &a) in c.iter().enumerate() {
            take(lane, a);
        }
    }
    for (lane, &a) in rest.iter().enumerate() {
        take(lane, a);
    }
    let min = mins.iter().fold(f64::INFINITY, |m, &a| if a < m { a } else { m });
    (min, finite.iter().all(|&f| f))
}

/// The valid range `lo..hi` of output positions `o` (of `out` in all) whose tap at offset
/// `off` (kernel index times dilation) reads input position `o * stride + off - pad` inside
/// `0..len`.
pub(super) fn tap_range(out: usize, len: usize, stride: usize, off: usize, pad: usize) -> (usize, usize) {
    let lo = pad.saturating_sub(off).div_ceil(stride);
    let hi = if len + pad > off {
        (len + pad - off).div_ceil(stride).min(out)
    } else {
        0
    };
    (lo.min(hi), hi)
}

/// Tap `r` of a block of `cb` channels: (channel, kernel row, kernel column), in oneDNN's
/// (row, column, channel) order or the (channel, row, column) order of the gemm path.
fn tap_of(r: usize, cb: usize, g: &Geom, kernel_major: bool) -> (usize, usize, usize) {
    if kernel_major {
        let t = r / cb;
        (r % cb, t / g.kw, t % g.kw)
    } else {
        let t = r % (g.kh * g.kw);
        (r / (g.kh * g.kw), t / g.kw, t % g.kw)
    }
}

/// im2col of image `n`, channels `c0..c0 + cb`: row `r` (tap [`tap_of`]) holds the `oh * ow`
/// values that tap reads, +0 in the padding.
#[allow(clippy::too_many_arguments)]
fn im2col<T: Float>(
    x: &[T],
    n: usize,
    c0: usize,
    cb: usize,
    kernel_major: bool,
    g: &Geom,
    s: &ConvSpec,
    col: &mut Vec<T>,
) {
    let p = g.oh * g.ow;
    // Every element is written below (values or padding zeros), so the buffer is reused as
    // it stands instead of being zeroed first: a second pass over it costs as much as the copy.
    col.resize(cb * g.kh * g.kw * p, T::zero());
    col.truncate(cb * g.kh * g.kw * p);
    for (r, row) in col.chunks_exact_mut(p).enumerate() {
        let (c, ky, kx) = tap_of(r, cb, g, kernel_major);
        let plane = &x[(n * g.c + c0 + c) * g.h * g.w..][..g.h * g.w];
        let (ylo, yhi) = tap_range(g.oh, g.h, s.stride[0], ky * s.dilation[0], s.pad_lo[0]);
        let (xlo, xhi) = tap_range(g.ow, g.w, s.stride[1], kx * s.dilation[1], s.pad_lo[1]);
        row[..ylo * g.ow].fill(T::zero());
        row[yhi * g.ow..].fill(T::zero());
        for oy in ylo..yhi {
            let src = &plane[(oy * s.stride[0] + ky * s.dilation[0] - s.pad_lo[0]) * g.w..][..g.w];
            let line = &mut row[oy * g.ow..][..g.ow];
            line[..xlo].fill(T::zero());
            line[xhi..].fill(T::zero());
            let dst = &mut line[xlo..xhi];
            let x0 = xlo * s.stride[1] + kx * s.dilation[1] - s.pad_lo[1];
            if s.stride[1] == 1 {
                dst.copy_from_slice(&src[x0..x0 + dst.len()]);
            } else {
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = src[x0 + i * s.stride[1]];
                }
            }
        }
    }
}

/// conv.rs's forward on the oneDNN and fused gemm paths: per image, group and block of
/// channels one product `weights (og x taps) @ columns (taps x positions)`, the blocks then
/// combined as the reference does (bias added to the first block's sum). `None` where the
/// reference must run (plain-dot path, empty shapes, [`zero_fill_exact`] failing).
pub(super) fn forward<T: Float + Into<f64>>(
    x: &[T],
    wt: &[T],
    bias: Option<&[T]>,
    g: &Geom,
    s: &ConvSpec,
    path: Path,
) -> Option<Vec<T>> {
    if path == Path::GemmPlain || g.cg == 0 || g.og == 0 || !zero_fill_exact(x, wt) {
        return None;
    }
    let block = if path == Path::GemmFused { g.cg } else { 16 };
    let kernel_major = path == Path::Onednn;
    let (p, taps, groups) = (g.oh * g.ow, g.kh * g.kw, g.o / g.og);
    // The weights of each (group, block) with columns in the block's tap order.
    let mut blocks = Vec::new();
    for grp in 0..groups {
        for b0 in (0..g.cg).step_by(block) {
            let cb = block.min(g.cg - b0);
            let mut w = Vec::with_capacity(g.og * cb * taps);
            for o in grp * g.og..(grp + 1) * g.og {
                for r in 0..cb * taps {
                    let (c, ky, kx) = tap_of(r, cb, g, kernel_major);
                    w.push(wt[((o * g.cg + b0 + c) * g.kh + ky) * g.kw + kx]);
                }
            }
            blocks.push((grp, b0, cb, w));
        }
    }
    let mut out = vec![T::zero(); g.n * g.o * p];
    let (mut col, mut part) = (Vec::new(), vec![T::zero(); g.og * p]);
    for n in 0..g.n {
        if super::interrupt::should_stop() {
            break;
        }
        for (grp, b0, cb, w) in &blocks {
            let k = cb * taps;
            im2col(x, n, grp * g.cg + b0, *cb, kernel_major, g, s, &mut col);
            fused_matmul_into(
                Mat::rows(w, k),
                Mat::rows(&col, p),
                &mut part,
                g.og,
                k,
                p,
                false,
            );
            for (i, src) in part.chunks_exact(p).enumerate() {
                let o = grp * g.og + i;
                let dst = &mut out[(n * g.o + o) * p..][..p];
                match (*b0 == 0, bias) {
                    (true, Some(b)) => dst.iter_mut().zip(src).for_each(|(d, &v)| *d = v + b[o]),
                    (true, None) => dst.copy_from_slice(src),
                    _ => dst.iter_mut().zip(src).for_each(|(d, &v)| *d = *d + v),
                }
            }
        }
    }
    Some(out)
}

/// The oneDNN input gradient: per image and group `weights (cg x (row, column, out channel))
/// @ gradient columns`, a column holding for each input position the output gradient its tap
/// came from (+0 where none did). `None` where [`zero_fill_exact`] fails.
pub(super) fn input_grad<T: Float + Into<f64>>(
    gy: &[T],
    wt: &[T],
    g: &Geom,
    s: &ConvSpec,
) -> Option<Vec<T>> {
    if g.og == 0 || g.cg == 0 || !zero_fill_exact(gy, wt) {
        return None;
    }
    let (p, hw, groups) = (g.oh * g.ow, g.h * g.w, g.o / g.og);
    let k = g.kh * g.kw * g.og;
    let tap = |r: usize| (r / (g.kw * g.og), (r / g.og) % g.kw, r % g.og);
    let weights: Vec<Vec<T>> = (0..groups)
        .map(|grp| {
            let mut w = Vec::with_capacity(g.cg * k);
            for c in 0..g.cg {
                for r in 0..k {
                    let (ky, kx, o) = tap(r);
                    w.push(wt[(((grp * g.og + o) * g.cg + c) * g.kh + ky) * g.kw + kx]);
                }
            }
            w
        })
        .collect();
    // Input positions whose tap (ky, kx) comes from an output position: y = oy * stride +
    // ky * dilation - pad, so the rows (columns) hit are every stride-th from the first.
    let hits = |len: usize, out: usize, stride: usize, off: usize, pad: usize| {
        let (lo, hi) = tap_range(out, len, stride, off, pad);
        (lo..hi).map(move |o| (o * stride + off - pad, o))
    };
    let mut gx = vec![T::zero(); g.n * g.c * hw];
    let mut col = vec![T::zero(); k * hw];
    for n in 0..g.n {
        if super::interrupt::should_stop() {
            break;
        }
        for (grp, w) in weights.iter().enumerate() {
            // Each image and group writes the same positions of `col` (they depend on the
            // geometry alone), so the zeros of the first fill stay where no output reaches.
            for (r, row) in col.chunks_exact_mut(hw).enumerate() {
                let (ky, kx, o) = tap(r);
                let plane = &gy[(n * g.o + grp * g.og + o) * p..][..p];
                for (y, oy) in hits(g.h, g.oh, s.stride[0], ky * s.dilation[0], s.pad_lo[0]) {
                    let dst = &mut row[y * g.w..][..g.w];
                    let src = &plane[oy * g.ow..][..g.ow];
                    if s.stride[1] == 1 {
                        let (lo, hi) = tap_range(g.ow, g.w, 1, kx * s.dilation[1], s.pad_lo[1]);
                        let x0 = lo + kx * s.dilation[1] - s.pad_lo[1];
                        dst[x0..x0 + hi - lo].copy_from_slice(&src[lo..hi]);
                    } else {
                        for (xx, ox) in
                            hits(g.w, g.ow, s.stride[1], kx * s.dilation[1], s.pad_lo[1])
                        {
                            dst[xx] = src[ox];
                        }
                    }
                }
            }
            let dst = &mut gx[(n * g.c + grp * g.cg) * hw..][..g.cg * hw];
            fused_matmul_into(
                Mat::rows(w, k),
                Mat::rows(&col, hw),
                dst,
                g.cg,
                k,
                hw,
                false,
            );
        }
    }
    Some(gx)
}

/// The weight gradient, `output gradient (og x positions) @ columnsᵀ` per image and group:
/// oneDNN's chains run on over the whole batch (the kernel carries them from image to image),
/// the gemm path sums each image on its own and adds the images' products in order. `None`
/// where [`zero_fill_exact`] fails.
pub(super) fn weight_grad<T: Float + Into<f64>>(
    x: &[T],
    gy: &[T],
    g: &Geom,
    s: &ConvSpec,
    onednn: bool,
) -> Option<Vec<T>> {
    if g.og == 0 || g.cg == 0 || !zero_fill_exact(x, gy) {
        return None;
    }
    let (p, groups) = (g.oh * g.ow, g.o / g.og);
    let kk = g.cg * g.kh * g.kw;
    let mut gw = vec![T::zero(); g.o * kk];
    let (mut col, mut part) = (Vec::new(), vec![T::zero(); g.og * kk]);
    for n in 0..g.n {
        if super::interrupt::should_stop() {
            break;
        }
        for grp in 0..groups {
            im2col(x, n, grp * g.cg, g.cg, false, g, s, &mut col);
            let a = Mat::rows(&gy[(n * g.o + grp * g.og) * p..][..g.og * p], p);
            let b = Mat {
                data: &col[..],
                rs: 1,
                cs: p,
            };
            let dst = &mut gw[grp * g.og * kk..][..g.og * kk];
            if onednn {
                fused_matmul_into(a, b, dst, g.og, p, kk, n > 0);
            } else {
                fused_matmul_into(a, b, &mut part, g.og, p, kk, false);
                if n == 0 {
                    dst.copy_from_slice(&part);
                } else {
                    dst.iter_mut().zip(&part).for_each(|(d, &v)| *d = *d + v);
                }
            }
        }
    }
    Some(gw)
}

/// oneDNN's bias gradient: plain adds over (sample, row, column) per output channel. The
/// channels' chains are independent, so they advance side by side (each still in its own
/// order) instead of one long dependent chain after another.
pub(super) fn bias_grad<T: Float>(gy: &[T], g: &Geom) -> Vec<T> {
    let p = g.oh * g.ow;
    let mut gb = vec![T::zero(); g.o];
    if p == 0 || g.o == 0 {
        return gb;
    }
    for image in gy.chunks_exact(g.o * p).take(g.n) {
        for j in 0..p {
            for (o, acc) in gb.iter_mut().enumerate() {
                *acc = *acc + image[o * p + j];
            }
        }
    }
    gb
}
