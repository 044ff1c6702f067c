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
use super::conv_planes::{self, Planes};
use super::kernels::{Chain, Float, Mat, fused_matmul_chain};
use std::ops::Range;

/// Whether FMA chains over products `v * f` (`v` from `values`, `f` from `factors`) with +0
/// inserted in place of some `v` give the same bits as the chains without them: every factor
/// finite (`0 * inf` is NaN), and every product of nonzero magnitudes at least 2^-101 (float32)
/// or 2^-968 (float64), so that products are multiples of the smallest subnormal (their
/// granularity is 2^(e_v + e_f - 46), resp. 2^(e_v + e_f - 104)).
pub fn zero_fill_exact<T: Float + Into<f64>>(values: &[T], factors: &[T]) -> bool {
    exact_from::<T>(min_magnitude(values).0, min_magnitude(factors))
}

/// [`zero_fill_exact`] from the scans of the values (their smallest magnitude) and factors.
fn exact_from<T>(min_v: f64, (min_f, finite): (f64, bool)) -> bool {
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
/// activations and gradients at every convolution): in `T` itself (widening is exact and
/// keeps the order) and, where the CPU has them, eight float32 lanes per AVX2 instruction.
fn min_magnitude<T: Float + Into<f64>>(v: &[T]) -> (f64, bool) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        fn go<T: Float + Into<f64>>(v: &[T]) -> (f64, bool) {
            min_magnitude_lanes(v)
        }
        // SAFETY: the CPU has the feature `go` is compiled for.
        return unsafe { go(v) };
    }
    min_magnitude_lanes(v)
}

#[inline(always)]
fn min_magnitude_lanes<T: Float + Into<f64>>(v: &[T]) -> (f64, bool) {
    const LANES: usize = 16;
    let inf = T::from_f64(f64::INFINITY);
    let mut mins = [inf; LANES];
    let mut finite = [true; LANES];
    let mut take = |lane: usize, x: T| {
        // -0 stays -0 (not below +0) and is skipped below like +0.
        let a = if x < T::zero() { -x } else { x };
        // NaN fails both `a < inf` and `a != 0`; it counts as not finite and is skipped.
        finite[lane] &= a < inf;
        let m = if a != T::zero() && a < inf { a } else { inf };
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
    let min = mins.iter().fold(inf, |m, &a| if a < m { a } else { m });
    (min.into(), finite.iter().all(|&f| f))
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

/// `dst.copy_from_slice(src)` for the short lines of a convolution's column matrices (a few
/// to a few tens of elements, thousands of them per image): up to 32 elements as two
/// overlapping fixed-size chunks, which compile to a few vector moves where `copy_from_slice`
/// of a run-time length is a `memcpy` call costing more than the copy.
#[inline(always)]
pub(super) fn copy_line<T: Copy>(dst: &mut [T], src: &[T]) {
    #[inline(always)]
    fn halves<T: Copy, const K: usize>(dst: &mut [T], src: &[T]) {
        let n = dst.len();
        assert!(K <= n && src.len() == n, "copy_line lengths");
        // SAFETY: `0..K` and `n - K..n` lie inside both slices (asserted), which are distinct
        // borrows and so do not overlap; unaligned reads and writes of `[T; K]` are allowed.
        unsafe {
            let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
            let head = s.cast::<[T; K]>().read_unaligned();
            d.cast::<[T; K]>().write_unaligned(head);
            let tail = s.add(n - K).cast::<[T; K]>().read_unaligned();
            d.add(n - K).cast::<[T; K]>().write_unaligned(tail);
        }
    }
    assert_eq!(dst.len(), src.len(), "copy_line lengths");
    match dst.len() {
        n if n > 32 => dst.copy_from_slice(src),
        n if n >= 16 => halves::<T, 16>(dst, src),
        n if n >= 8 => halves::<T, 8>(dst, src),
        n if n >= 4 => halves::<T, 4>(dst, src),
        n if n >= 2 => halves::<T, 2>(dst, src),
        1 => dst[0] = src[0],
        _ => {}
    }
}

/// `dst.fill(v)` for the few padding elements of a line, without a `memset` call (as
/// [`copy_line`]).
#[inline(always)]
fn fill_line<T: Copy>(dst: &mut [T], v: T) {
    #[inline(always)]
    fn halves<T: Copy, const K: usize>(dst: &mut [T], v: T) {
        let n = dst.len();
        dst[..K].copy_from_slice(&[v; K]);
        dst[n - K..].copy_from_slice(&[v; K]);
    }
    match dst.len() {
        n if n > 32 => dst.fill(v),
        n if n >= 16 => halves::<T, 16>(dst, v),
        n if n >= 8 => halves::<T, 8>(dst, v),
        n if n >= 4 => halves::<T, 4>(dst, v),
        n if n >= 2 => halves::<T, 2>(dst, v),
        1 => dst[0] = v,
        _ => {}
    }
}

/// The row length of a column matrix with `p` positions: whole panels of the matmul kernel
/// (two vectors), so that it reads the columns in place instead of packing the last partial
/// panel on every call (the padding columns hold +0 and their outputs are dropped).
pub(super) fn padded_len<T: Float>(p: usize) -> usize {
    p.next_multiple_of(2 * T::LANES)
}

/// im2col of image `n`, channels `c0..c0 + cb`: row `r` (tap [`tap_of`]) of `col` (rows of
/// `ld`) holds at `off..off + oh * ow` the values that tap reads, +0 in the padding.
#[allow(clippy::too_many_arguments)]
fn im2col<T: Float>(
    x: &[T],
    n: usize,
    c0: usize,
    cb: usize,
    kernel_major: bool,
    g: &Geom,
    s: &ConvSpec,
    ld: usize,
    off: usize,
    col: &mut [T],
) {
    let p = g.oh * g.ow;
    for (r, row) in col.chunks_exact_mut(ld).take(cb * g.kh * g.kw).enumerate() {
        let (c, ky, kx) = tap_of(r, cb, g, kernel_major);
        let plane = &x[(n * g.c + c0 + c) * g.h * g.w..][..g.h * g.w];
        let (ylo, yhi) = tap_range(g.oh, g.h, s.stride[0], ky * s.dilation[0], s.pad_lo[0]);
        let (xlo, xhi) = tap_range(g.ow, g.w, s.stride[1], kx * s.dilation[1], s.pad_lo[1]);
        let row = &mut row[off..off + p];
        fill_line(&mut row[..ylo * g.ow], T::zero());
        fill_line(&mut row[yhi * g.ow..], T::zero());
        for oy in ylo..yhi {
            let src = &plane[(oy * s.stride[0] + ky * s.dilation[0] - s.pad_lo[0]) * g.w..][..g.w];
            let line = &mut row[oy * g.ow..][..g.ow];
            fill_line(&mut line[..xlo], T::zero());
            fill_line(&mut line[xhi..], T::zero());
            if xlo == xhi {
                continue; // no input column under this tap: its start would be out of range
            }
            let dst = &mut line[xlo..xhi];
            let x0 = xlo * s.stride[1] + kx * s.dilation[1] - s.pad_lo[1];
            if s.stride[1] == 1 {
                copy_line(dst, &src[x0..x0 + dst.len()]);
            } else {
                for (i, d) in dst.iter_mut().enumerate() {
                    *d = src[x0 + i * s.stride[1]];
                }
            }
        }
    }
}

/// The weights of group `grp`'s channels `b0..b0 + cb`, one row per output channel with its
/// columns in [`tap_of`]'s order. Written as loops over the taps rather than through `tap_of`
/// per element: ResNet-sized layers have millions of weights, and the divisions of `tap_of`
/// made this gather the costliest part of a batch-of-one forward.
fn block_weights<T: Copy>(wt: &[T], g: &Geom, grp: usize, b0: usize, cb: usize, kernel_major: bool) -> Vec<T> {
    let taps = g.kh * g.kw;
    let mut w = Vec::with_capacity(g.og * cb * taps);
    for o in grp * g.og..(grp + 1) * g.og {
        // Output channel `o`'s weights of this block, channel by channel, each `taps` long.
        let own = &wt[(o * g.cg + b0) * taps..][..cb * taps];
        if kernel_major {
            for t in 0..taps {
                w.extend(own.iter().skip(t).step_by(taps));
            }
        } else {
            w.extend_from_slice(own);
        }
    }
    w
}

/// Column-matrix elements a batch-level product may hold at once (16 MB of float32): images
/// go through the products in chunks of about this size. Tests use small chunks (`kernels::with_small_chunks`), so that
/// their small shapes split into several.
const CHUNK_ELEMS: usize = 1 << 16;

/// Images per chunk when each image takes `per_image` columns of `rows` rows: as many as fit
/// in [`CHUNK_ELEMS`], at least one.
pub(super) fn chunk_images(n: usize, rows: usize, per_image: usize) -> usize {
    (super::kernels::chunk_limit(CHUNK_ELEMS) / (rows * per_image).max(1)).clamp(1, n.max(1))
}

/// conv.rs's forward on the oneDNN and fused gemm paths: per image, group and block of
/// channels one product `weights (og x taps) @ columns (taps x positions)`, the blocks then
/// combined as the reference does (bias added to the first block's sum). `None` where the
/// reference must run (plain-dot path, empty shapes, [`zero_fill_exact`] failing).
pub fn forward<T: Float + Into<f64>>(
    x: &[T],
    wt: &[T],
    bias: Option<&[T]>,
    g: &Geom,
    s: &ConvSpec,
    path: Path,
) -> Option<Vec<T>> {
    if path == Path::GemmPlain || g.cg == 0 || g.og == 0 || g.n * g.oh * g.ow == 0 || !zero_fill_exact(x, wt) {
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
            blocks.push((grp, b0, cb, block_weights(wt, g, grp, b0, cb, kernel_major)));
        }
    }
    // Stride 1: positions across the padded width, each column row one run of a padded plane.
    let planar = conv_planes::applies(g, s);
    let mut planes = Planes { data: Vec::new(), pw: g.ow, len: 0 };
    let pw = if planar { g.w + s.pad_lo[1] + s.pad_hi[1] } else { g.ow };
    let pp = if planar { conv_planes::positions(g, pw) } else { p };
    // One product per chunk of images, their positions side by side in the column matrix:
    // each output's chain is the same as image by image, but the weights are packed once per
    // chunk instead of once per image, and only the chunk's last panel is padding (a 2x2
    // output would otherwise fill 4 of a panel's 32 columns).
    let kmax = blocks.iter().map(|b| b.2 * taps).max().unwrap_or(0);
    let nb = chunk_images(g.n, kmax, pp);
    let ld = padded_len::<T>(nb * pp);
    let mut out = vec![T::zero(); g.n * g.o * p];
    let (mut col, mut part) = (vec![T::zero(); kmax * ld], vec![T::zero(); g.og * ld]);
    for n0 in (0..g.n).step_by(nb) {
        if super::interrupt::should_stop() {
            break;
        }
        let nc = nb.min(g.n - n0);
        let cols = padded_len::<T>(nc * pp);
        for (grp, b0, cb, w) in &blocks {
            let k = cb * taps;
            for i in 0..nc {
                if planar {
                    conv_planes::pad(x, n0 + i, grp * g.cg + b0, *cb, g, s, &mut planes);
                    for (r, row) in col.chunks_exact_mut(ld).take(k).enumerate() {
                        let (c, ky, kx) = tap_of(r, *cb, g, kernel_major);
                        let start = conv_planes::tap_start(&planes, s, c, ky, kx);
                        copy_line(&mut row[i * pp..][..pp], &planes.data[start..start + pp]);
                    }
                } else {
                    im2col(x, n0 + i, grp * g.cg + b0, *cb, kernel_major, g, s, ld, i * pp, &mut col);
                }
            }
            // The group's blocks add up in `part` (the first block's sum, plus the bias, plus
            // each later block's sum in turn: the kernel's `AddTo` chains), so the sums are
            // the reference's and go to the output's rows once, when the group is complete.
            let chain = if *b0 == 0 { Chain::Fresh } else { Chain::AddTo };
            fused_matmul_chain(Mat::rows(w, k), Mat::rows(&col, ld), &mut part, g.og, k, cols, chain);
            if let (0, Some(b)) = (*b0, bias) {
                for (j, row) in part.chunks_exact_mut(cols).take(g.og).enumerate() {
                    let bo = b[grp * g.og + j];
                    row.iter_mut().for_each(|v| *v = *v + bo);
                }
            }
            if b0 + cb < g.cg {
                continue;
            }
            for (j, row) in part.chunks_exact(cols).take(g.og).enumerate() {
                let o = grp * g.og + j;
                for i in 0..nc {
                    let image = &mut out[((n0 + i) * g.o + o) * p..][..p];
                    if pw == g.ow {
                        image.copy_from_slice(&row[i * pp..][..p]);
                        continue;
                    }
                    for (oy, dst) in image.chunks_exact_mut(g.ow).enumerate() {
                        copy_line(dst, &row[i * pp + oy * pw..][..g.ow]);
                    }
                }
            }
        }
    }
    Some(out)
}

/// The weight gradient (conv_wgrad.rs): oneDNN's chains run on over the whole batch, the gemm
/// path sums each image on its own and adds the images' products in order. `None` where
/// [`zero_fill_exact`] fails.
pub fn weight_grad<T: Float + Into<f64>>(
    x: &[T],
    gy: &[T],
    g: &Geom,
    s: &ConvSpec,
    onednn: bool,
    rows: Range<usize>,
) -> Option<Vec<T>> {
    if g.og == 0 || g.cg == 0 || g.n * g.oh * g.ow == 0 {
        return None;
    }
    if !exact_from::<T>(min_magnitude(x).0, min_magnitude(gy)) {
        return None;
    }
    Some(super::conv_wgrad::weight_grad(x, gy, g, s, onednn, rows))
}

/// oneDNN's bias gradient over the (image, output row) pairs `rows`: plain adds over
/// (sample, row, column) per output channel, from zero. The channels' chains are
/// independent, so blocks of eight advance side by side in registers (each still in its own
/// order) instead of one long dependent chain after another, or through memory.
pub fn bias_grad<T: Float>(gy: &[T], g: &Geom, rows: Range<usize>) -> Vec<T> {
    const B: usize = 8;
    let p = g.oh * g.ow;
    let mut gb = vec![T::zero(); g.o];
    if p == 0 || g.o == 0 {
        return gb;
    }
    let pieces = super::conv_wgrad::pieces(g, rows);
    for (o0, out) in (0..g.o).step_by(B).zip(gb.chunks_mut(B)) {
        let mut acc = [T::zero(); B];
        let cb = out.len();
        for (n, oys) in &pieces {
            let (j0, j1) = (oys.start * g.ow, oys.end * g.ow);
            let planes = &gy[n * g.o * p + o0 * p..][..cb * p];
            if cb == B {
                for j in j0..j1 {
                    for (k, a) in acc.iter_mut().enumerate() {
                        *a = *a + planes[k * p + j];
                    }
                }
            } else {
                for j in j0..j1 {
                    for (k, a) in acc[..cb].iter_mut().enumerate() {
                        *a = *a + planes[k * p + j];
                    }
                }
            }
        }
        out.copy_from_slice(&acc[..cb]);
    }
    gb
}
