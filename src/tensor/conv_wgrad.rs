//! A convolution's weight gradient as one matmul per chunk of images over channel-last rows,
//! for conv_im2col.rs: `gradient (og x positions) @ rows (positions x taps)`, each tap's
//! chain running over (sample, output row, output column) as oneDNN's does.
//!
//! A row holds, for one output position, the values its taps read, in (kernel row, kernel
//! column, channel) order: with the image copied channel-last and zero-padded, each (kernel
//! row, kernel column) is one run of the channels, so a row is `kh * kw` copies and the
//! product reads it in place (no transposed column matrix to pack, no per-image product of a
//! few kernel columns). The order of the taps (the product's columns) has no part in any
//! chain; the result is permuted to the weights' (channel, row, column) order at the end.
//! Padding taps hold +0: conv_im2col's `zero_fill_exact` conditions make them exact.

use super::conv::{ConvSpec, Geom};
use super::conv_im2col::copy_line;
use super::kernels::{Float, Mat, fused_matmul_into};
use std::ops::Range;

/// Row elements a chunk may hold at once (16 MB of float32); tests use small chunks (`kernels::with_small_chunks`) so that
/// their shapes split into several.
const CHUNK_ELEMS: usize = 1 << 22;
/// Positions per chunk at most: the kernel streams its panels of rows over the whole chunk,
/// and a panel of this many positions (256 KB) stays in L2 while a block of gradients passes.
const CHUNK_POSITIONS: usize = 2048;

/// Image `n`, channels `c0..c0 + cg`, channel-last and zero-padded into `xt` (`ph x pw x cg`).
fn channel_last<T: Float>(x: &[T], n: usize, c0: usize, g: &Geom, s: &ConvSpec, xt: &mut [T]) {
    let pw = g.w + s.pad_lo[1] + s.pad_hi[1];
    let hw = g.h * g.w;
    let planes = &x[(n * g.c + c0) * hw..][..g.cg * hw];
    for y in 0..g.h {
        let dst = &mut xt[((y + s.pad_lo[0]) * pw + s.pad_lo[1]) * g.cg..];
        T::transpose_into(&planes[y * g.w..], hw, g.cg, g.w, dst, g.cg);
    }
}

/// The rows of output rows `oys` of one image from its channel-last copy `xt` (rows `pw * cg`
/// wide): row `(oy - oys.start) * ow + ox` holds the runs of its taps in (kernel row, kernel
/// column, channel) order. Without column dilation a kernel row's `kw` runs lie side by side
/// in `xt`, so each is one copy of `kw * cg` elements (five elements for LeNet's first layer,
/// where a copy per channel run was a `memcpy` call per element).
fn fill_rows<T: Float>(xt: &[T], g: &Geom, s: &ConvSpec, pw: usize, oys: Range<usize>, image: &mut [T]) {
    let run = g.kw * g.cg;
    let mut rows = image.chunks_exact_mut(g.kh * run);
    for oy in oys {
        for (ox, row) in (0..g.ow).zip(&mut rows) {
            for (ky, line) in row.chunks_exact_mut(run).enumerate() {
                let y = oy * s.stride[0] + ky * s.dilation[0];
                let at = (y * pw + ox * s.stride[1]) * g.cg;
                if s.dilation[1] == 1 {
                    copy_line(line, &xt[at..][..run]);
                } else {
                    for (kx, dst) in line.chunks_exact_mut(g.cg).enumerate() {
                        copy_line(dst, &xt[at + kx * s.dilation[1] * g.cg..][..g.cg]);
                    }
                }
            }
        }
    }
}

/// The (image, output rows) pieces of a range of (image, output row) pairs numbered
/// image-major: whole images inside it, parts of the first and last where it cuts them.
pub(super) fn pieces(g: &Geom, rows: Range<usize>) -> Vec<(usize, Range<usize>)> {
    if g.oh == 0 || rows.is_empty() {
        return Vec::new();
    }
    (rows.start / g.oh..rows.end.div_ceil(g.oh))
        .map(|n| (n, rows.start.max(n * g.oh) - n * g.oh..rows.end.min((n + 1) * g.oh) - n * g.oh))
        .collect()
}

/// The weight gradient (`o x cg x kh x kw`) over the (image, output row) pairs `rows`.
/// `onednn`: every chain runs over the whole range from zero (conv_split.rs cuts the batch
/// into such ranges); otherwise (the gemm path, `rows` whole images) each image's sums are
/// taken on their own and added image by image, in order.
pub(super) fn weight_grad<T: Float>(
    x: &[T],
    gy: &[T],
    g: &Geom,
    s: &ConvSpec,
    onednn: bool,
    rows: Range<usize>,
) -> Vec<T> {
    let (p, groups, taps) = (g.oh * g.ow, g.o / g.og, g.kh * g.kw);
    let kk = g.cg * taps;
    let (ph, pw) = (
        g.h + s.pad_lo[0] + s.pad_hi[0],
        g.w + s.pad_lo[1] + s.pad_hi[1],
    );
    // Pieces go to the product in batches of whole pieces: up to `cap` positions for
    // oneDNN's one chain (at least one piece), one image at a time for the gemm path.
    let pieces = pieces(g, rows);
    let cap = if onednn {
        (super::kernels::chunk_limit(CHUNK_ELEMS) / kk.max(1)).clamp(1, CHUNK_POSITIONS)
    } else {
        0
    };
    let mut batches: Vec<Range<usize>> = Vec::new();
    let mut filled = 0;
    for (i, (_, oys)) in pieces.iter().enumerate() {
        let len = oys.len() * g.ow;
        match batches.last_mut() {
            Some(b) if filled + len <= cap => {
                b.end = i + 1;
                filled += len;
            }
            _ => {
                batches.push(i..i + 1);
                filled = len;
            }
        }
    }
    let most = batches
        .iter()
        .map(|b| pieces[b.clone()].iter().map(|(_, oys)| oys.len() * g.ow).sum::<usize>())
        .max()
        .unwrap_or(0);
    // The padding of `xt` is written once and never overwritten.
    let mut xt = vec![T::zero(); ph * pw * g.cg];
    let mut rows = vec![T::zero(); most * kk];
    let mut gyc = vec![T::zero(); g.og * most];
    // Per group its gradient with columns in (row, column, channel) order.
    let mut acc = vec![T::zero(); g.o * kk];
    let mut part = vec![T::zero(); if onednn { 0 } else { g.og * kk }];
    for (bi, batch) in batches.iter().enumerate() {
        if super::interrupt::should_stop() {
            break;
        }
        let batch = &pieces[batch.clone()];
        let k: usize = batch.iter().map(|(_, oys)| oys.len() * g.ow).sum();
        for grp in 0..groups {
            let mut at = 0;
            for (n, oys) in batch {
                let len = oys.len() * g.ow;
                channel_last(x, *n, grp * g.cg, g, s, &mut xt);
                fill_rows(&xt, g, s, pw, oys.clone(), &mut rows[at * kk..][..len * kk]);
                for o in 0..g.og {
                    gyc[o * k + at..][..len]
                        .copy_from_slice(&gy[(n * g.o + grp * g.og + o) * p + oys.start * g.ow..][..len]);
                }
                at += len;
            }
            let (a, b) = (Mat::rows(&gyc, k), Mat::rows(&rows, kk));
            let dst = &mut acc[grp * g.og * kk..][..g.og * kk];
            if onednn {
                fused_matmul_into(a, b, dst, g.og, k, kk, bi > 0);
            } else {
                fused_matmul_into(a, b, &mut part, g.og, k, kk, false);
                if bi == 0 {
                    dst.copy_from_slice(&part);
                } else {
                    dst.iter_mut().zip(&part).for_each(|(d, &v)| *d = *d + v);
                }
            }
        }
    }
    // (row, column, channel) columns to the weights' (channel, row, column).
    let mut gw = vec![T::zero(); g.o * kk];
    for (dst, src) in gw.chunks_exact_mut(kk).zip(acc.chunks_exact(kk)) {
        for (t, run) in src.chunks_exact(g.cg).enumerate() {
            for (c, &v) in run.iter().enumerate() {
                dst[c * taps + t] = v;
            }
        }
    }
    gw
}
