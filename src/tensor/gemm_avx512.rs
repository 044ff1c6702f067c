//! The AVX-512 matmul kernels behind `Float::fused_matmul_simd` (taken when the CPU has
//! AVX-512F; gemm_avx2.rs is the fallback): the same loop nest, with each output still the one
//! FMA chain over `p` in order that `kernels::matmul_reference` defines.
//!
//! A tile of up to `TILE_ROWS` (12) rows of `a` times two 512-bit vectors of columns keeps its
//! 24 accumulators in registers, with the two vectors of `b` and a broadcast of `a`: 27 of the
//! 32 zmm registers. For each `p` it loads one row-slice of `b`, broadcasts `a[i][p]` per row
//! (LLVM emits one `vbroadcastss` from memory shared by the row's two FMAs rather than two
//! embedded broadcasts) and issues one `vfmadd` per accumulator, so each output is
//! `fma(a[i][p], b[p][j], acc)` for `p = 0..k` in order, from +0 (or from the value in `out`
//! with `Chain::Carry`; with `Chain::AddTo` the chain starts from +0 and is added to `out` at
//! the end).
//!
//! Zen 4 runs a 512-bit FMA as two 256-bit halves, so the gain over the AVX2 tile is about half
//! the instructions per multiply-add (38 for 24 zmm FMAs against 20 for 12 ymm ones) and twice
//! the accumulators, not wider arithmetic. The rows of a block of `a` are split into tiles of even height (16
//! rows are two tiles of 8, not 12 + 4) and copied once per block into tile-major order
//! (`p`-major, the tile's rows side by side), so the broadcasts read one pointer at fixed
//! offsets whatever `a`'s strides (a transposed `a` such as an RNN's `g.t()` included).
//! Column edges are masked loads and stores, so a row-major `b` is read in place with no
//! padded copy of its last columns.

use super::kernels::{Chain, Mat};
use super::pack_transpose::{PackTranspose, gather_runs, pack_panel};

/// Most rows of `a` per register tile.
const TILE_ROWS: usize = 12;
/// Up to this many rows of `a` (or for any `a` when `k <= IN_PLACE_K`), a row-major `b` is read
/// in place instead of packed: packing would copy the whole of `b` for few tiles' reuse.
const IN_PLACE_ROWS: usize = 96;
const IN_PLACE_K: usize = 256;
/// Rows of `b` per packed panel: a panel (`KC x 32` floats, 16 KB) and a tile of packed `a`
/// stay in L1 together while a block's tiles sweep it; chains continue block to block
/// through `out`. A row-major `b` read in place with `k > IN_PLACE_K` is swept in blocks of
/// as many rows, for the same reason.
const KC: usize = 128;
/// Rows of `a` per block: its packed copy stays in L2 while every panel of `b` passes over it.
const MC: usize = 96;
/// Panels of `b` packed at once: the packed block stays in L2.
const NC_PANELS: usize = 32;

/// The tile heights that split `rows` evenly: `tiles` tiles, the first `rows % tiles` one row
/// taller than the rest.
fn tile_split(rows: usize) -> (usize, usize, usize) {
    let tiles = rows.div_ceil(TILE_ROWS);
    (tiles, rows / tiles, rows % tiles)
}

macro_rules! avx512_gemm {
    ($name:ident, $tile:ident, $rows:ident, $t:ty, $v:ty, $mask:ty, $lanes:expr, $zero:ident, $set1:ident, $loadz:ident, $storem:ident, $fma:ident, $add:ident) => {
        /// One register tile: `R` rows of `out` by two vectors of columns, the first `w` real.
        /// `a` is the tile's packed rows (`a[p * R + r]`).
        ///
        /// # Safety
        /// The CPU has AVX-512F; `a.add(p * R + r)` is readable for `r < R`, `p < kc`;
        /// `b.add(p * bs + x)` is readable for `p < kc`, `x < w`; `out.add(r * os + x)` is
        /// writable and readable for `r < R`, `x < w`.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,fma")]
        #[allow(clippy::too_many_arguments)]
        #[inline]
        unsafe fn $tile<const R: usize>(
            a: *const $t,
            b: *const $t,
            bs: usize,
            out: *mut $t,
            os: usize,
            w: usize,
            kc: usize,
            chain: Chain,
        ) {
            use std::arch::x86_64::*;
            let lane_mask = |w: usize| -> $mask {
                if w >= $lanes { !0 } else { ((1u32 << w) - 1) as $mask }
            };
            let (m0, m1) = (lane_mask(w), lane_mask(w.saturating_sub($lanes)));
            let mut acc: [[$v; 2]; R] = [[$zero(); 2]; R];
            // SAFETY: every access below is within the ranges the caller guarantees; masked
            // lanes are not accessed.
            unsafe {
                if chain == Chain::Carry {
                    for (r, accr) in acc.iter_mut().enumerate() {
                        let src = out.add(r * os);
                        accr[0] = $loadz(m0, src);
                        accr[1] = $loadz(m1, src.wrapping_add($lanes));
                    }
                }
                let (mut ap, mut bp) = (a, b);
                for _ in 0..kc {
                    let (b0, b1) = ($loadz(m0, bp), $loadz(m1, bp.wrapping_add($lanes)));
                    for (r, accr) in acc.iter_mut().enumerate() {
                        let x = $set1(*ap.add(r));
                        accr[0] = $fma(x, b0, accr[0]);
                        accr[1] = $fma(x, b1, accr[1]);
                    }
                    ap = ap.add(R);
                    // Past the last row this may point beyond `b`; it is never read there.
                    bp = bp.wrapping_add(bs);
                }
                for (r, accr) in acc.iter().enumerate() {
                    let dst = out.add(r * os);
                    let dst1 = dst.wrapping_add($lanes);
                    let (mut v0, mut v1) = (accr[0], accr[1]);
                    if chain == Chain::AddTo {
                        // `out + chain`, as `*o = *o + p` adds a product to a sum.
                        v0 = $add($loadz(m0, dst), v0);
                        v1 = $add($loadz(m1, dst1), v1);
                    }
                    $storem(dst, m0, v0);
                    $storem(dst1, m1, v1);
                }
            }
        }

        /// Rows `i0..ie` of one column panel, in tiles of even height; `apack` holds those
        /// rows packed tile by tile (tile `t` from row `i_t` at `(i_t - i0) * kc`).
        ///
        /// # Safety
        /// As [`$tile`] for every tile, with `out` pointing at row 0, column of the panel.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $rows(
            apack: *const $t,
            b: *const $t,
            bs: usize,
            out: *mut $t,
            os: usize,
            w: usize,
            kc: usize,
            chain: Chain,
            i0: usize,
            ie: usize,
        ) {
            let (tiles, base, extra) = tile_split(ie - i0);
            let mut i = i0;
            for t in 0..tiles {
                let r = base + usize::from(t < extra);
                // SAFETY: rows `i..i + r` lie inside `i0..ie`, which the caller vouches for,
                // and their packed copy inside `apack`.
                unsafe {
                    let (ap, op) = (apack.add((i - i0) * kc), out.add(i * os));
                    match r {
                        1 => $tile::<1>(ap, b, bs, op, os, w, kc, chain),
                        2 => $tile::<2>(ap, b, bs, op, os, w, kc, chain),
                        3 => $tile::<3>(ap, b, bs, op, os, w, kc, chain),
                        4 => $tile::<4>(ap, b, bs, op, os, w, kc, chain),
                        5 => $tile::<5>(ap, b, bs, op, os, w, kc, chain),
                        6 => $tile::<6>(ap, b, bs, op, os, w, kc, chain),
                        7 => $tile::<7>(ap, b, bs, op, os, w, kc, chain),
                        8 => $tile::<8>(ap, b, bs, op, os, w, kc, chain),
                        9 => $tile::<9>(ap, b, bs, op, os, w, kc, chain),
                        10 => $tile::<10>(ap, b, bs, op, os, w, kc, chain),
                        11 => $tile::<11>(ap, b, bs, op, os, w, kc, chain),
                        _ => $tile::<TILE_ROWS>(ap, b, bs, op, os, w, kc, chain),
                    }
                }
                i += r;
            }
        }

        /// The fused matmul `out (m x n) = a (m x k) @ b (k x n)`, each chain from +0, from
        /// `out` (`Chain::Carry`) or added to `out` (`Chain::AddTo`: then `b` is packed in one
        /// block over `k`, so that each chain ends in registers).
        ///
        /// # Safety
        /// The CPU has AVX-512F and FMA.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,fma")]
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
            let op = out.as_mut_ptr();
            // Rows `ib..ie`, columns `p0..p0 + kc` of `a`, tile by tile, `p`-major in a tile.
            let mut apack: Vec<$t> = Vec::with_capacity(MC.min(m) * k);
            let pack_a = |apack: &mut Vec<$t>, ib: usize, ie: usize, p0: usize, kc: usize| {
                apack.clear();
                apack.resize((ie - ib) * kc, 0.0);
                let (tiles, base, extra) = tile_split(ie - ib);
                let (mut i, mut off) = (ib, 0);
                for t in 0..tiles {
                    let r = base + usize::from(t < extra);
                    let dst = &mut apack[off..off + r * kc];
                    if a.rs == 1 {
                        // Column-major (an RNN's `g.t()`), or a convolution's shifted planes
                        // (`rs == cs == 1`): each `p` is already `r` floats in a row.
                        gather_runs(&a.data[p0 * a.cs + i..], a.cs, r, kc, dst);
                    } else if a.cs == 1 {
                        // Row-major: the tile's rows are contiguous runs, transposed in blocks.
                        <$t as PackTranspose>::transpose_into(&a.data[i * a.rs + p0..], a.rs, r, kc, dst, r);
                    } else {
                        for (pp, d) in dst.chunks_exact_mut(r).enumerate() {
                            for (rr, x) in d.iter_mut().enumerate() {
                                *x = a.data[(i + rr) * a.rs + (p0 + pp) * a.cs];
                            }
                        }
                    }
                    off += r * kc;
                    i += r;
                }
            };
            if b.cs == 1 && (m <= IN_PLACE_ROWS || k <= IN_PLACE_K) {
                let panels = n.div_ceil(W);
                // A long sum (a weight gradient's images x positions) runs in blocks of `KC`
                // rows of `b`, the chains carried block to block through `out`: a panel's
                // block then stays in L1 while the block's tiles sweep it, where a whole
                // `k x 32` panel (800 KB at k = 6400) came from L3 for every tile. `AddTo`
                // keeps one block, so that each chain ends in registers.
                let kb = if chain == Chain::AddTo || k <= IN_PLACE_K { k } else { KC };
                let mut ib = 0;
                while ib < m {
                    let ie = m.min(ib + MC);
                    let mut p0 = 0;
                    while p0 < k {
                        if super::interrupt::should_stop() {
                            return;
                        }
                        let kc = kb.min(k - p0);
                        pack_a(&mut apack, ib, ie, p0, kc);
                        let chain = if p0 > 0 { Chain::Carry } else { chain };
                        for jp in 0..panels {
                            let j0 = jp * W;
                            // SAFETY: `apack` holds rows `ib..ie` of `a` (columns `p0..p0 + kc`)
                            // packed; `out`'s rows `ib..ie` and `b[p][j0..j0 + w]` for
                            // `p0 <= p < p0 + kc` are in bounds (asserted above).
                            unsafe {
                                $rows(
                                    apack.as_ptr(),
                                    b.data.as_ptr().add(p0 * b.rs + j0),
                                    b.rs,
                                    op.add(j0),
                                    n,
                                    W.min(n - j0),
                                    kc,
                                    chain,
                                    ib,
                                    ie,
                                )
                            };
                        }
                        p0 += kc;
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
                        // The tile's loads are masked at `w`: the tail needs no zeros.
                        pack_panel(b, p0, kc, j0, w, &mut packed[jp * kc * W..(jp + 1) * kc * W], W, false);
                    }
                    let chain = if p0 > 0 { Chain::Carry } else { chain };
                    let mut ib = 0;
                    while ib < m {
                        let ie = m.min(ib + MC);
                        pack_a(&mut apack, ib, ie, p0, kc);
                        for jp in 0..panels {
                            let j0 = jc + jp * W;
                            let panel = &packed[jp * kc * W..(jp + 1) * kc * W];
                            // SAFETY: `apack` holds rows `ib..ie` of `a` (columns
                            // `p0..p0 + kc`) packed; `out`'s rows `ib..ie` (columns
                            // `j0..j0 + w`) are in bounds; the panel holds `kc` rows of `W`.
                            unsafe {
                                $rows(
                                    apack.as_ptr(),
                                    panel.as_ptr(),
                                    W,
                                    op.add(j0),
                                    n,
                                    W.min(n - j0),
                                    kc,
                                    chain,
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
avx512_gemm!(
    matmul_f32_avx512,
    tile_f32,
    rows_f32,
    f32,
    __m512,
    u16,
    16,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_maskz_loadu_ps,
    _mm512_mask_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps
);
avx512_gemm!(
    matmul_f64_avx512,
    tile_f64,
    rows_f64,
    f64,
    __m512d,
    u8,
    8,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_maskz_loadu_pd,
    _mm512_mask_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd
);
