//! Stride-1 convolutions over zero-padded input planes, for conv_im2col.rs: output positions
//! are numbered across the padded width (`oy * pw + ox`, the `pw - ow` positions past each
//! output row unused), so that a kernel tap reads one contiguous run of a padded plane. A
//! column matrix row is then one copy instead of a copy per output row. The unused positions
//! produce outputs that are dropped.

use super::conv::{ConvSpec, Geom};
use super::kernels::Float;

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
