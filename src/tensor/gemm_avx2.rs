//! The AVX2+FMA matmul kernels behind `Float::fused_matmul_simd`: the loop nest and register
//! tiling of the fused matmul (docs/matmul-order.md), each output still the one FMA chain over
//! `p` in order that `kernels::matmul_reference` defines.
//!
//! A tile of `TILE_ROWS` rows of `a` times two vectors of columns keeps its 12 accumulators in
//! registers (with the two vectors of `b` and one broadcast of `a`: 15 of the 16 ymm
//! registers); for each `p` it loads one row-slice of `b`, broadcasts `a[i][p]` per row and
//! issues one `vfmadd` per accumulator, so each output is `fma(a[i][p], b[p][j], acc)` for
//! `p = 0..k` in order, from +0 (or, with `Chain::Carry`, from the value in `out`).
//!
//! Where `b` comes from is the cost that matters at tutorial shapes: a row-major `b` multiplied
//! by few rows (an RNN step's `(16, 128) @ (128, 512)`, a backward `g @ w`) is read in place,
//! since packing it would copy the whole weight for only a few tiles' reuse, and so is one
//! with few rows (`k <= KC`), whose panels stay in L1 read in place as well; otherwise `b` is
//! packed into contiguous zero-padded panels, gathered along `b`'s contiguous axis (a
//! transposed weight's columns are contiguous), and reused by every row tile of a block.

use super::kernels::{Chain, Mat};
use super::pack_transpose::pack_panel;

/// Rows of `a` per register tile.
const TILE_ROWS: usize = 6;
/// Up to this many rows of `a` (or for any `a` when `k <= KC`, so that a panel of `b` read in
/// place stays in L1 between row tiles), a row-major `b` is read in place instead of packed.
const IN_PLACE_ROWS: usize = 96;
/// Rows of `b` per packed panel: a panel of `KC x W` stays in L1 while the tiles of a block of
/// `a` sweep it; the chains over `p` continue block to block through `out`.
const KC: usize = 256;
/// Rows of `a` per block (a multiple of `TILE_ROWS`): a block stays in cache while every panel
/// of `b` passes over it, so a tall `a` (700,000 x 48, say) is read from memory once.
const MC: usize = 72;
/// Panels of `b` packed at once: the packed block stays in L2.
const NC_PANELS: usize = 64;

macro_rules! avx2_gemm {
    ($name:ident, $tile:ident, $rows:ident, $t:ty, $v:ty, $lanes:expr, $zero:ident, $set1:ident, $load:ident, $store:ident, $fma:ident, $add:ident) => {
        /// One register tile: `R` rows of `out` by `W` columns, the first `w` of them real.
        ///
        /// # Safety
        /// The CPU has AVX2 and FMA; `a.add(r * ars + p * acs)` is readable for `r < R`, `p < kc`;
        /// `b.add(p * bs + x)` is readable for `p < kc`, `x < W`; `out.add(r * os + x)` is
        /// writable (and readable when `load` or `add`) for `r < R`, `x < w`. With `add` the
        /// chains (from +0) are added to `out` (`out + chain`).
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        #[inline]
        unsafe fn $tile<const R: usize>(
            a: *const $t,
            ars: usize,
            acs: usize,
            b: *const $t,
            bs: usize,
            out: *mut $t,
            os: usize,
            w: usize,
            kc: usize,
            load: bool,
            add: bool,
        ) {
            use std::arch::x86_64::*;
            const W: usize = 2 * $lanes;
            let mut acc: [[$v; 2]; R] = [[$zero(); 2]; R];
            // An edge tile goes through a whole-tile buffer (its padding lanes are discarded).
            let mut buf = [0.0 as $t; W];
            // SAFETY: every access below is within the ranges the caller guarantees.
            unsafe {
                if load {
                    for (r, accr) in acc.iter_mut().enumerate() {
                        let src = out.add(r * os);
                        let src = if w == W {
                            src as *const $t
                        } else {
                            std::ptr::copy_nonoverlapping(src, buf.as_mut_ptr(), w);
                            buf.as_ptr()
                        };
                        accr[0] = $load(src);
                        accr[1] = $load(src.add($lanes));
                    }
                }
                let mut bp = b;
                for p in 0..kc {
                    let (b0, b1) = ($load(bp), $load(bp.add($lanes)));
                    for (r, accr) in acc.iter_mut().enumerate() {
                        let x = $set1(*a.add(r * ars + p * acs));
                        accr[0] = $fma(x, b0, accr[0]);
                        accr[1] = $fma(x, b1, accr[1]);
                    }
                    // Past the last row this may point beyond `b`; it is never read there.
                    bp = bp.wrapping_add(bs);
                }
                for (r, accr) in acc.iter_mut().enumerate() {
                    let dst = out.add(r * os);
                    if add {
                        let src = if w == W {
                            dst as *const $t
                        } else {
                            std::ptr::copy_nonoverlapping(dst, buf.as_mut_ptr(), w);
                            buf.as_ptr()
                        };
                        accr[0] = $add($load(src), accr[0]);
                        accr[1] = $add($load(src.add($lanes)), accr[1]);
                    }
                    if w == W {
                        $store(dst, accr[0]);
                        $store(dst.add($lanes), accr[1]);
                    } else {
                        $store(buf.as_mut_ptr(), accr[0]);
                        $store(buf.as_mut_ptr().add($lanes), accr[1]);
                        std::ptr::copy_nonoverlapping(buf.as_ptr(), dst, w);
                    }
                }
            }
        }

        /// Rows `i0..ie` of one column panel, `TILE_ROWS` at a time.
        ///
        /// # Safety
        /// As [`$tile`] for every row `i0..ie`, with `a`/`out` pointing at row 0, column of
        /// the panel.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $rows(
            a: *const $t,
            ars: usize,
            acs: usize,
            b: *const $t,
            bs: usize,
            out: *mut $t,
            os: usize,
            w: usize,
            kc: usize,
            load: bool,
            add: bool,
            i0: usize,
            ie: usize,
        ) {
            let mut i = i0;
            // SAFETY: rows `i..i + R` lie inside `i0..ie`, which the caller vouches for.
            unsafe {
                let (ap, op) = (|i: usize| a.add(i * ars), |i: usize| out.add(i * os));
                while i + TILE_ROWS <= ie {
                    $tile::<TILE_ROWS>(ap(i), ars, acs, b, bs, op(i), os, w, kc, load, add);
                    i += TILE_ROWS;
                }
                match ie - i {
                    0 => {}
                    1 => $tile::<1>(ap(i), ars, acs, b, bs, op(i), os, w, kc, load, add),
                    2 => $tile::<2>(ap(i), ars, acs, b, bs, op(i), os, w, kc, load, add),
                    3 => $tile::<3>(ap(i), ars, acs, b, bs, op(i), os, w, kc, load, add),
                    4 => $tile::<4>(ap(i), ars, acs, b, bs, op(i), os, w, kc, load, add),
                    _ => $tile::<5>(ap(i), ars, acs, b, bs, op(i), os, w, kc, load, add),
                }
            }
        }

        /// The fused matmul `out (m x n) = a (m x k) @ b (k x n)`; with `Chain::Carry` each
        /// chain goes on from the value in `out`, with `Chain::AddTo` it is added to `out` (then
        /// a packed `b` is packed in one block over `k`, so that each chain ends in registers). `a` may have any strides (its elements are
        /// broadcast one at a time, so a transposed `a` needs no copy).
        ///
        /// # Safety
        /// The CPU has AVX2 and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        pub(crate) unsafe fn $name(
            a: Mat<'_, $t>,
            b: Mat<'_, $t>,
            out: &mut [$t],
            m: usize,
            k: usize,
            n: usize,
            chain: Chain,
        ) {
            const W: usize = 2 * $lanes;
            if m == 0 || n == 0 {
                return;
            }
            if k == 0 {
                if chain == Chain::Fresh {
                    out[..m * n].fill(0.0);
                }
                return;
            }
            // The bounds every tile relies on, proven once.
            assert!(
                a.fits(m, k) && b.fits(k, n) && out.len() >= m * n,
                "matmul operands out of bounds"
            );
            let (ap, op) = (a.data.as_ptr(), out.as_mut_ptr());
            if b.cs == 1 && (m <= IN_PLACE_ROWS || k <= KC) {
                let full = n / W;
                let j0 = full * W;
                // The columns past the last whole panel, packed once, zero-padded.
                let mut edge = Vec::new();
                if j0 < n {
                    edge = vec![0.0 as $t; k * W];
                    for (p, dst) in edge.chunks_exact_mut(W).enumerate() {
                        dst[..n - j0].copy_from_slice(&b.data[p * b.rs + j0..p * b.rs + n]);
                    }
                }
                let mut ib = 0;
                while ib < m {
                    if super::interrupt::should_stop() {
                        return;
                    }
                    let ie = m.min(ib + MC);
                    for jp in 0..full {
                        let j0 = jp * W;
                        // SAFETY: rows `ib..ie` of `a` and `out`, and `b[p][j0..j0 + W]` for
                        // `p < k` (`j0 + W <= n`), are in bounds (asserted above).
                        unsafe {
                            $rows(
                                ap,
                                a.rs,
                                a.cs,
                                b.data.as_ptr().add(j0),
                                b.rs,
                                op.add(j0),
                                n,
                                W,
                                k,
                                chain == Chain::Carry,
                                chain == Chain::AddTo,
                                ib,
                                ie,
                            )
                        };
                    }
                    if j0 < n {
                        // SAFETY: `edge` holds `k` rows of `W`; `out`'s columns `j0..n` exist.
                        unsafe {
                            $rows(
                                ap,
                                a.rs,
                                a.cs,
                                edge.as_ptr(),
                                W,
                                op.add(j0),
                                n,
                                n - j0,
                                k,
                                chain == Chain::Carry,
                                chain == Chain::AddTo,
                                ib,
                                ie,
                            )
                        };
                    }
                    ib = ie;
                }
                return;
            }
            let kcb = if chain == Chain::AddTo { k } else { KC };
            let nc_max = (NC_PANELS * W).min(n.div_ceil(W) * W);
            let mut packed = vec![0.0 as $t; kcb.min(k) * nc_max];
            let mut jc = 0;
            while jc < n {
                let nc = (NC_PANELS * W).min(n - jc);
                let panels = nc.div_ceil(W);
                let mut p0 = 0;
                while p0 < k {
                    if super::interrupt::should_stop() {
                        return;
                    }
                    let kc = kcb.min(k - p0);
                    for jp in 0..panels {
                        let j0 = jc + jp * W;
                        let w = W.min(n - j0);
                        // The tile loads whole vectors: the columns past `w` must be +0.
                        pack_panel(b, p0, kc, j0, w, &mut packed[jp * kc * W..(jp + 1) * kc * W], W, true);
                    }
                    let load = p0 > 0 || chain == Chain::Carry;
                    let mut ib = 0;
                    while ib < m {
                        let ie = m.min(ib + MC);
                        for jp in 0..panels {
                            let j0 = jc + jp * W;
                            let w = W.min(n - j0);
                            let panel = &packed[jp * kc * W..(jp + 1) * kc * W];
                            // SAFETY: rows `ib..ie` of `a` (columns `p0..p0 + kc`) and of
                            // `out` (columns `j0..j0 + w`) are in bounds; the panel holds
                            // `kc` rows of `W`.
                            unsafe {
                                $rows(
                                    ap.add(p0 * a.cs),
                                    a.rs,
                                    a.cs,
                                    panel.as_ptr(),
                                    W,
                                    op.add(j0),
                                    n,
                                    w,
                                    kc,
                                    load,
                                    chain == Chain::AddTo,
                                    ib,
                                    ie,
                                )
                            };
                        }
                        ib = ie;
                    }
                    p0 += kc;
                }
                jc += nc;
            }
        }
    };
}
avx2_gemm!(
    matmul_f32_avx2,
    tile_f32,
    rows_f32,
    f32,
    __m256,
    8,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps
);
avx2_gemm!(
    matmul_f64_avx2,
    tile_f64,
    rows_f64,
    f64,
    __m256d,
    4,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_fmadd_pd,
    _mm256_add_pd
);
