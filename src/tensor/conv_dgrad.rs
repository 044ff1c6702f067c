//! oneDNN's input gradient of a convolution (conv.rs) as products over the input's stride
//! phases, for conv_im2col.rs: each output's chains as conv.rs's per-output loops sum them.
//!
//! With a stride of 2, an input position is reached only by the kernel taps whose offset has
//! its parity: a column matrix over every input position would be three quarters +0 (four
//! times the product's work, and a scatter of every other element to fill it). The input's
//! positions are split by their residue modulo the stride (a phase); inside a phase the taps
//! that can reach it are fixed, and a tap's outputs for consecutive positions of the phase are
//! consecutive outputs, so each column row is filled by contiguous copies. A tap left out of
//! a phase is one the reference skips at every position of it; a tap of the phase that misses
//! at an edge holds +0, exact under conv_im2col's `zero_fill_exact`. With unit strides there
//! is one phase, the whole input.

use super::conv::{ConvSpec, Geom, input_grad_chains};
use super::conv_im2col::{chunk_images, copy_line, padded_len, zero_fill_exact};
use super::kernels::{Chain, Float, Mat, fused_matmul_chain};
use std::ops::Range;

/// One dim of a phase: positions `r + j * stride` for `j` in `0..len`; `offset(tap)` is the
/// output index that tap reads at `j == 0` (`j + offset` in general), for the taps that reach
/// the phase.
struct Phase {
    r: usize,
    len: usize,
    /// Per kernel index, the output index at `j == 0`, if the tap reaches this phase.
    offset: Vec<Option<isize>>,
    out: usize,
}

impl Phase {
    fn new(
        r: usize,
        len: usize,
        out: usize,
        stride: usize,
        dilation: usize,
        pad: usize,
        k: usize,
    ) -> Phase {
        let count = if r < len {
            (len - r).div_ceil(stride)
        } else {
            0
        };
        let offset = (0..k)
            .map(|t| {
                let d = (r + pad) as isize - (t * dilation) as isize;
                (d.rem_euclid(stride as isize) == 0).then(|| d.div_euclid(stride as isize))
            })
            .collect();
        Phase {
            r,
            len: count,
            offset,
            out,
        }
    }

    /// The positions `j` where tap `t` reads an output, and that output at the first.
    fn span(&self, t: usize) -> Option<(Range<usize>, usize)> {
        let o0 = self.offset[t]?;
        let lo = (-o0).max(0) as usize;
        let hi = (self.out as isize - o0).clamp(0, self.len as isize) as usize;
        (lo < hi).then(|| (lo..hi, (o0 + lo as isize) as usize))
    }
}

/// The input gradient (`n x c x h x w`): per phase, chunk of images, group and chain of
/// [`input_grad_chains`] a product `weights (cg x the chain's taps in the phase, in (row,
/// column, out channel) order) @ gradient columns`, the chains' products added in order
/// (`Chain::AddTo`). A chain that meets no tap of an input gives +0 there, which the reference
/// skips: under [`zero_fill_exact`] no sum is -0, so adding +0 changes nothing. `None` where
/// [`zero_fill_exact`] fails.
pub fn input_grad<T: Float + Into<f64>>(
    gy: &[T],
    wt: &[T],
    g: &Geom,
    s: &ConvSpec,
) -> Option<Vec<T>> {
    if g.og == 0 || g.cg == 0 || g.n * g.h * g.w * g.oh * g.ow == 0 || !zero_fill_exact(gy, wt) {
        return None;
    }
    let (p, hw, groups) = (g.oh * g.ow, g.h * g.w, g.o / g.og);
    let chains = input_grad_chains(g, s);
    let mut gx = vec![T::zero(); g.n * g.c * hw];
    for ry in 0..s.stride[0].min(g.h) {
        let py = Phase::new(ry, g.h, g.oh, s.stride[0], s.dilation[0], s.pad_lo[0], g.kh);
        for rx in 0..s.stride[1].min(g.w) {
            let px = Phase::new(rx, g.w, g.ow, s.stride[1], s.dilation[1], s.pad_lo[1], g.kw);
            // The column matrix's rows, chain after chain (the empty ones left out), each in
            // (row, column, out channel) order, over the taps that reach this phase.
            let mut taps: Vec<(usize, usize, usize)> = Vec::new();
            let mut spans = Vec::new();
            for (kxs, os) in &chains {
                let r0 = taps.len();
                for ky in (0..g.kh).filter(|&ky| py.offset[ky].is_some()) {
                    for kx in kxs.clone().filter(|&kx| px.offset[kx].is_some()) {
                        taps.extend(os.clone().map(|o| (ky, kx, o)));
                    }
                }
                if taps.len() > r0 {
                    spans.push(r0..taps.len());
                }
            }
            let pp = py.len * px.len;
            if taps.is_empty() || pp == 0 {
                continue; // no tap reaches these positions: their gradient is +0
            }
            phase_products(
                gy, wt, g, &py, &px, &taps, &spans, &mut gx, s, p, hw, groups,
            );
        }
    }
    Some(gx)
}

/// The products of one phase, written into its positions of `gx`.
#[allow(clippy::too_many_arguments)]
fn phase_products<T: Float>(
    gy: &[T],
    wt: &[T],
    g: &Geom,
    py: &Phase,
    px: &Phase,
    taps: &[(usize, usize, usize)],
    spans: &[Range<usize>],
    gx: &mut [T],
    s: &ConvSpec,
    p: usize,
    hw: usize,
    groups: usize,
) {
    let (k, pp) = (taps.len(), py.len * px.len);
    // Per group and chain the weights, `cg` rows of the chain's taps.
    let weights: Vec<Vec<Vec<T>>> = (0..groups)
        .map(|grp| {
            spans
                .iter()
                .map(|span| {
                    let mut w = Vec::with_capacity(g.cg * span.len());
                    for c in 0..g.cg {
                        for &(ky, kx, o) in &taps[span.clone()] {
                            w.push(wt[(((grp * g.og + o) * g.cg + c) * g.kh + ky) * g.kw + kx]);
                        }
                    }
                    w
                })
                .collect()
        })
        .collect();
    // Per tap the rows of the phase it reaches (and the first output row), and its columns.
    let reach: Vec<_> = taps
        .iter()
        .map(|&(ky, kx, _)| (py.span(ky), px.span(kx)))
        .collect();
    // One product per chunk of images, their positions side by side (as conv_im2col's).
    let nb = chunk_images(g.n, k, pp);
    let ld = padded_len::<T>(nb * pp);
    let mut col = vec![T::zero(); k * ld];
    let mut part = vec![T::zero(); g.cg * ld];
    for n0 in (0..g.n).step_by(nb) {
        if super::interrupt::should_stop() {
            break;
        }
        let nc = nb.min(g.n - n0);
        let cols = padded_len::<T>(nc * pp);
        for (grp, ws) in weights.iter().enumerate() {
            // Each image and group writes the same positions of `col` (they depend on the
            // geometry alone), so the zeros of the first fill stay where no output reaches.
            for i in 0..nc {
                for ((row, &(_, _, o)), reach) in col.chunks_exact_mut(ld).zip(taps).zip(&reach) {
                    let (Some((jys, oy0)), Some((jxs, ox0))) = reach.clone() else {
                        continue;
                    };
                    let plane = &gy[((n0 + i) * g.o + grp * g.og + o) * p..][..p];
                    let row = &mut row[i * pp..][..pp];
                    let width = jxs.len();
                    for (jy, oy) in jys.zip(oy0..) {
                        let src = &plane[oy * g.ow + ox0..][..width];
                        copy_line(&mut row[jy * px.len + jxs.start..][..width], src);
                    }
                }
            }
            for (j, (w, span)) in ws.iter().zip(spans).enumerate() {
                let kp = span.len();
                let rows = Mat::rows(&col[span.start * ld..], ld);
                let chain = if j == 0 { Chain::Fresh } else { Chain::AddTo };
                fused_matmul_chain(Mat::rows(w, kp), rows, &mut part, g.cg, kp, cols, chain);
            }
            for (c, row) in part.chunks_exact(cols).take(g.cg).enumerate() {
                for i in 0..nc {
                    let plane = &mut gx[((n0 + i) * g.c + grp * g.cg + c) * hw..][..hw];
                    let src = &row[i * pp..][..pp];
                    if s.stride == [1, 1] {
                        plane.copy_from_slice(src);
                        continue;
                    }
                    for (jy, line) in src.chunks_exact(px.len).enumerate() {
                        let y = py.r + jy * s.stride[0];
                        for (jx, &v) in line.iter().enumerate() {
                            plane[y * g.w + px.r + jx * s.stride[1]] = v;
                        }
                    }
                }
            }
        }
    }
}
