//! Stride-1 convolutions over zero-padded input planes, for conv_im2col.rs: output positions
//! are numbered across the padded width (`oy * pw + ox`, the `pw - ow` positions past each
//! output row unused), so that a kernel tap reads one contiguous run of a padded plane. A
//! column matrix row is then one copy instead of a copy per output row, and the weight
//! gradient needs no column matrix at all: the rows of one channel and kernel row are the
//! same plane shifted by the dilation, a matrix with row stride `dilation` and column stride 1
//! that the matmul kernel reads in place.
//!
//! The unused positions produce outputs that are dropped (forward) or meet a +0 gradient
//! (weight gradient): an FMA with a +0 product, the other factor finite, leaves an accumulator
//! that is not -0 unchanged, and conv_im2col's `zero_fill_exact` rules out -0 accumulators.

use super::conv::{ConvSpec, Geom};
use super::kernels::{Float, Mat, fused_matmul_into};

/// The padded planes of one image: `cb` planes of `ph x pw`, one after another.
pub(super) struct Planes<T> {
    pub(super) data: Vec<T>,
    pub(super) pw: usize,
    /// Elements per plane (`ph * pw`).
    pub(super) len: usize,
}

/// Whether the stride-1 layout applies: unit strides and a non-empty output.
pub(super) fn applies(g: &Geom, s: &ConvSpec) -> bool {
    s.stride == [1, 1] && g.oh > 0 && g.ow > 0
}

/// Output positions in the padded numbering: the last output row stops at `ow`, so every
/// tap's run ends inside its plane.
pub(super) fn positions(g: &Geom, pw: usize) -> usize {
    (g.oh - 1) * pw + g.ow
}

/// Channels `c0..c0 + cb` of image `n`, zero-padded, into `p` (its buffer reused).
pub(super) fn pad<T: Float>(
    x: &[T],
    n: usize,
    c0: usize,
    cb: usize,
    g: &Geom,
    s: &ConvSpec,
    p: &mut Planes<T>,
) {
    let (pw, ph) = (
        g.w + s.pad_lo[1] + s.pad_hi[1],
        g.h + s.pad_lo[0] + s.pad_hi[0],
    );
    p.pw = pw;
    p.len = ph * pw;
    p.data.clear();
    if pw == g.w && ph == g.h {
        p.data
            .extend_from_slice(&x[(n * g.c + c0) * g.h * g.w..][..cb * g.h * g.w]);
        return;
    }
    p.data.resize(cb * p.len, T::zero());
    for c in 0..cb {
        let src = &x[(n * g.c + c0 + c) * g.h * g.w..][..g.h * g.w];
        let dst = &mut p.data[c * p.len..][..p.len];
        for (y, line) in src.chunks_exact(g.w).enumerate() {
            dst[(y + s.pad_lo[0]) * pw + s.pad_lo[1]..][..g.w].copy_from_slice(line);
        }
    }
}

/// Where tap (channel `c`, kernel row `ky`, column `kx`) starts reading its plane run.
pub(super) fn tap_start(
    p: &Planes<impl Copy>,
    s: &ConvSpec,
    c: usize,
    ky: usize,
    kx: usize,
) -> usize {
    c * p.len + ky * s.dilation[0] * p.pw + kx * s.dilation[1]
}

/// The weight gradient of one image and group as `taps x out channels`, `(c, ky, kx)`
/// major, `ogp` columns (the out channels padded to whole kernel panels): for each channel
/// and kernel row one product `shifted planes (kw x positions) @ gradientᵀ (positions x
/// ogp)`, with `carry` continuing every chain from `acc`. `gyt` holds the image's output
/// gradient transposed to positions x `ogp`, +0 at unused positions and channels.
#[allow(clippy::too_many_arguments)]
pub(super) fn weight_grad_image<T: Float>(
    p: &Planes<T>,
    gyt: &[T],
    g: &Geom,
    s: &ConvSpec,
    ogp: usize,
    acc: &mut [T],
    carry: bool,
) {
    let k = positions(g, p.pw);
    let b = Mat::rows(gyt, ogp);
    for c in 0..g.cg {
        for ky in 0..g.kh {
            let a = Mat {
                data: &p.data[tap_start(p, s, c, ky, 0)..],
                rs: s.dilation[1],
                cs: 1,
                start: 0,
            };
            let rows = &mut acc[(c * g.kh + ky) * g.kw * ogp..][..g.kw * ogp];
            fused_matmul_into(a, b, rows, g.kw, k, ogp, carry);
        }
    }
}

/// The output gradient of image `n`, out channels `o0..o0 + og`, into `gyt` (positions x
/// `ogp`): only the used positions and channels are written, so the +0 elsewhere stays from
/// the first fill. Each output row is a block `og x ow` (row stride one plane) transposed;
/// position by position, so that the writes fill whole lines of `gyt` rather than striding
/// across them one element at a time.
pub(super) fn transpose_grad<T: Float>(
    gy: &[T],
    n: usize,
    o0: usize,
    g: &Geom,
    pw: usize,
    ogp: usize,
    gyt: &mut [T],
) {
    let p = g.oh * g.ow;
    let planes = &gy[(n * g.o + o0) * p..][..g.og * p];
    for oy in 0..g.oh {
        let rows = &planes[oy * g.ow..];
        let dst = &mut gyt[oy * pw * ogp..];
        if g.og >= 8 {
            T::transpose_into(rows, p, g.og, g.ow, dst, ogp);
            continue;
        }
        for ox in 0..g.ow {
            let line = &mut dst[ox * ogp..][..g.og];
            for (o, d) in line.iter_mut().enumerate() {
                *d = rows[o * p + ox];
            }
        }
    }
}
