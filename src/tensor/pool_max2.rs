//! 2x2 max pooling at stride 2 (LeNet's, and most CNN tutorials') in AVX-512 lanes, float32.
//!
//! pool.rs's `max_2x2` takes each window's taps in ATen's order (top left, top right, bottom
//! left, bottom right) and lets a tap replace the best so far when it is larger or NaN. Here
//! sixteen windows of one output row go at once: the even and odd columns of the two input
//! rows are split into four vectors, one per tap, and the same rule runs as lane masks, so the
//! chosen values and indices are those of the scalar scan (a unit test compares them on
//! planes with ties, signed zeros, NaNs and infinities).

/// Writes the maxima and flat in-plane indices of `np` planes (`h x w`, row-major) into `out`
/// and `idx` (each `np * oh * ow`), for 2x2 windows at stride 2 inside the plane. False (and
/// nothing written) when the CPU lacks AVX-512 or an index would not fit the lanes' i32.
#[allow(clippy::too_many_arguments)]
pub(super) fn max_2x2_f32(
    xv: &[f32],
    np: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    out: &mut [f32],
    idx: &mut [i64],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let fits = i32::try_from(h * w).is_ok();
        let inside = 2 * oh <= h && 2 * ow <= w;
        let sized = xv.len() >= np * h * w && out.len() == np * oh * ow && idx.len() == out.len();
        if fits && inside && sized && std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F; every load reads inside row pairs of a plane of
            // `xv` (masked past `2 * ow`), every store writes inside `out`/`idx` (checked above).
            unsafe { avx512::planes(xv, np, h, w, oh, ow, out, idx) };
            return true;
        }
    }
    let _ = (xv, np, h, w, oh, ow, out, idx);
    false
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// The even and odd columns of up to 32 floats at `p` (lanes outside the masks read as 0
    /// and touch no memory, so `p + 16` may lie past the row).
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn split(
        p: *const f32,
        lo_mask: __mmask16,
        hi_mask: __mmask16,
        even: __m512i,
        odd: __m512i,
    ) -> (__m512, __m512) {
        // SAFETY: the caller's: masked lanes touch no memory.
        unsafe {
            let lo = _mm512_maskz_loadu_ps(lo_mask, p);
            let hi = _mm512_maskz_loadu_ps(hi_mask, p.wrapping_add(16));
            (
                _mm512_permutex2var_ps(lo, even, hi),
                _mm512_permutex2var_ps(lo, odd, hi),
            )
        }
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn planes(
        xv: &[f32],
        np: usize,
        h: usize,
        w: usize,
        oh: usize,
        ow: usize,
        out: &mut [f32],
        idx: &mut [i64],
    ) {
        // SAFETY: the caller's (see `max_2x2_f32`).
        unsafe {
            let even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
            let one = _mm512_set1_epi32(1);
            let below = _mm512_set1_epi32(w as i32);
            let below_right = _mm512_set1_epi32(w as i32 + 1);
            let mut o = 0;
            for pl in 0..np {
                let plane = xv.as_ptr().add(pl * h * w);
                for oy in 0..oh {
                    let top = 2 * oy * w;
                    let mut ox = 0;
                    while ox < ow {
                        let n = (ow - ox).min(16);
                        // Input columns 2*ox .. 2*ox + 2n of both rows, in two halves.
                        let cols = 2 * n;
                        let lo_mask: __mmask16 = if cols >= 16 {
                            0xffff
                        } else {
                            (1u16 << cols) - 1
                        };
                        let hi_mask: __mmask16 = if cols >= 32 {
                            0xffff
                        } else if cols > 16 {
                            (1u16 << (cols - 16)) - 1
                        } else {
                            0
                        };
                        let t = plane.add(top + 2 * ox);
                        let b = t.add(w);
                        let (tl, tr) = split(t, lo_mask, hi_mask, even, odd);
                        let (bl, br) = split(b, lo_mask, hi_mask, even, odd);
                        // Offsets from the window's corner: 0, 1, w, w + 1.
                        let mut best = tl;
                        let mut at = _mm512_setzero_si512();
                        for (v, off) in [(tr, one), (bl, below), (br, below_right)] {
                            let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(v, best)
                                | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(v, v);
                            best = _mm512_mask_blend_ps(take, best, v);
                            at = _mm512_mask_blend_epi32(take, at, off);
                        }
                        let corner =
                            _mm512_add_epi32(_mm512_set1_epi32((top + 2 * ox) as i32), even);
                        let at = _mm512_add_epi32(corner, at);
                        let keep: __mmask16 = if n >= 16 { 0xffff } else { (1u16 << n) - 1 };
                        _mm512_mask_storeu_ps(out.as_mut_ptr().add(o), keep, best);
                        let lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(at));
                        let hi = _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64::<1>(at));
                        _mm512_mask_storeu_epi64(idx.as_mut_ptr().add(o), keep as __mmask8, lo);
                        // With eight windows or fewer the second store's mask is empty: it writes
                        // nothing, so its address may lie past `idx`.
                        _mm512_mask_storeu_epi64(
                            idx.as_mut_ptr().wrapping_add(o + 8),
                            (keep >> 8) as __mmask8,
                            hi,
                        );
                        o += n;
                        ox += n;
                    }
                }
            }
        }
    }
}
