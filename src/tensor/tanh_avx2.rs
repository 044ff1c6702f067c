//! float32 `tanh` four lanes at a time: `tanh_f32`'s evaluation, op for op, in AVX2 doubles.
//!
//! The LSTM and GRU cells and `Tensor::tanh` spend most of their scalar time choosing a piece
//! and running its Horner chain; here each lane gathers its piece's coefficients and runs the
//! same multiplies and adds (no FMA: the scalar chain rounds after each), so every result has
//! the scalar definition's bits (tests below compare the two on every float32).

use super::tanh_f32::{ONE_FROM, PIECES, SMALL, SMALL_END, tanh_f32};

/// `PIECES` by column (centres, then each coefficient), for gathers.
const fn column(k: usize) -> [f64; 25] {
    let mut out = [0.0; 25];
    let mut i = 0;
    while i < 25 {
        out[i] = if k == 0 {
            PIECES[i].0
        } else {
            PIECES[i].1[k - 1]
        };
        i += 1;
    }
    out
}

static COLUMNS: [[f64; 25]; 8] = [
    column(0),
    column(1),
    column(2),
    column(3),
    column(4),
    column(5),
    column(6),
    column(7),
];

/// `COLUMNS` padded to 32 entries: four 512-bit registers per column for in-register lookups.
#[cfg(target_arch = "x86_64")]
static COLUMNS32: [[f64; 32]; 8] = {
    let mut out = [[0.0; 32]; 8];
    let mut k = 0;
    while k < 8 {
        let mut i = 0;
        while i < 25 {
            out[k][i] = COLUMNS[k][i];
            i += 1;
        }
        k += 1;
    }
    out
};

/// The whole vector steps of `xs` into `out` (equal lengths): eight lanes where the CPU has
/// AVX-512, four with AVX2; returns how many elements were done.
fn vector_steps(xs: &[f32], out: &mut [f32]) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F.
            let done = unsafe { lanes8(xs, out) };
            // SAFETY: AVX-512F CPUs have AVX2.
            return done + unsafe { lanes(&xs[done..], &mut out[done..]) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            return unsafe { lanes(xs, out) };
        }
    }
    let _ = (xs, out);
    0
}

/// `tanh_f32` of each element.
pub fn tanh_slice(xs: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; xs.len()];
    let done = vector_steps(xs, &mut out);
    for (o, &x) in out[done..].iter_mut().zip(&xs[done..]) {
        *o = tanh_f32(x);
    }
    out
}

/// In place: `xs[i] = tanh_f32(xs[i])`, through a stack buffer a block at a time.
pub fn tanh_in_place(xs: &mut [f32]) {
    let mut buf = [0.0f32; 256];
    for chunk in xs.chunks_mut(256) {
        let src = &mut buf[..chunk.len()];
        src.copy_from_slice(chunk);
        let done = vector_steps(src, chunk);
        for x in &mut chunk[done..] {
            *x = tanh_f32(*x);
        }
    }
}

/// [`lanes`] eight at a time: the same double-precision operations in 512-bit registers, the
/// pieces' coefficients picked by in-register permutes instead of gathers. Returns how many
/// elements were done (whole groups of eight).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2")]
fn lanes8(xs: &[f32], out: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    let n = xs.len().min(out.len()) / 8 * 8;
    let first = (SMALL_END.to_bits() >> 21) as i32;
    let sign = _mm256_set1_ps(-0.0);
    for i in (0..n).step_by(8) {
        // SAFETY: `i + 8 <= n`, within both slices; the column tables hold 32 entries and the
        // permute indices are clamped to 0..=24.
        unsafe {
            let x = _mm256_loadu_ps(xs.as_ptr().add(i));
            let a = _mm256_andnot_ps(sign, x);
            let d = _mm512_cvtps_pd(a);
            let mut q = _mm512_set1_pd(SMALL[5]);
            for &c in SMALL[..5].iter().rev() {
                q = _mm512_add_pd(_mm512_mul_pd(q, d), _mm512_set1_pd(c));
            }
            let small = _mm512_mul_pd(d, q);
            let idx = _mm256_sub_epi32(
                _mm256_srli_epi32::<21>(_mm256_castps_si256(a)),
                _mm256_set1_epi32(first),
            );
            let idx = _mm256_min_epi32(_mm256_max_epi32(idx, _mm256_setzero_si256()), _mm256_set1_epi32(24));
            let idx = _mm512_cvtepi32_epi64(idx);
            let high = _mm512_cmpge_epi64_mask(idx, _mm512_set1_epi64(16));
            let col = |k: usize| {
                let c = COLUMNS32[k].as_ptr();
                let lo = _mm512_permutex2var_pd(_mm512_loadu_pd(c), idx, _mm512_loadu_pd(c.add(8)));
                let hi = _mm512_permutex2var_pd(_mm512_loadu_pd(c.add(16)), idx, _mm512_loadu_pd(c.add(24)));
                _mm512_mask_blend_pd(high, lo, hi)
            };
            let t = _mm512_sub_pd(d, col(0));
            let mut p = col(7);
            for k in (1..7).rev() {
                p = _mm512_add_pd(_mm512_mul_pd(p, t), col(k));
            }
            // `a` converts exactly, so comparing the doubles is comparing the floats (NaN: no).
            let is_small = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(d, _mm512_set1_pd(f64::from(SMALL_END)));
            let is_piece = _mm512_cmp_pd_mask::<_CMP_LT_OQ>(d, _mm512_set1_pd(f64::from(ONE_FROM)));
            let r = _mm512_mask_blend_pd(is_piece, _mm512_set1_pd(1.0), p);
            let r = _mm512_mask_blend_pd(is_small, r, small);
            let rf = _mm512_cvtpd_ps(r);
            let y = _mm256_or_ps(_mm256_andnot_ps(sign, rf), _mm256_and_ps(sign, x));
            // NaN in, the same NaN out.
            let y = _mm256_blendv_ps(y, x, _mm256_cmp_ps::<_CMP_UNORD_Q>(x, x));
            _mm256_storeu_ps(out.as_mut_ptr().add(i), y);
        }
    }
    n
}

/// The whole groups of four; returns how many elements were done.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn lanes(xs: &[f32], out: &mut [f32]) -> usize {
    use std::arch::x86_64::*;
    let n = xs.len() / 4 * 4;
    let first = (SMALL_END.to_bits() >> 21) as i32;
    let sign = _mm_set1_ps(-0.0);
    for i in (0..n).step_by(4) {
        // SAFETY: `i + 4 <= n <= xs.len() == out.len()`; gathers index 0..25 (clamped).
        unsafe {
            let x = _mm_loadu_ps(xs.as_ptr().add(i));
            let a = _mm_andnot_ps(sign, x);
            let d = _mm256_cvtps_pd(a);
            let mut q = _mm256_set1_pd(SMALL[5]);
            for &c in SMALL[..5].iter().rev() {
                q = _mm256_add_pd(_mm256_mul_pd(q, d), _mm256_set1_pd(c));
            }
            let small = _mm256_mul_pd(d, q);
            let idx = _mm_sub_epi32(
                _mm_srli_epi32::<21>(_mm_castps_si128(a)),
                _mm_set1_epi32(first),
            );
            let idx = _mm_min_epi32(_mm_max_epi32(idx, _mm_setzero_si128()), _mm_set1_epi32(24));
            let col = |k: usize| _mm256_i32gather_pd::<8>(COLUMNS[k].as_ptr(), idx);
            let t = _mm256_sub_pd(d, col(0));
            let mut p = col(7);
            for k in (1..7).rev() {
                p = _mm256_add_pd(_mm256_mul_pd(p, t), col(k));
            }
            let piece = p;
            let is_small = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_castps_si128(
                _mm_cmplt_ps(a, _mm_set1_ps(SMALL_END)),
            )));
            let is_piece = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_castps_si128(
                _mm_cmplt_ps(a, _mm_set1_ps(ONE_FROM)),
            )));
            let r = _mm256_blendv_pd(_mm256_set1_pd(1.0), piece, is_piece);
            let r = _mm256_blendv_pd(r, small, is_small);
            let rf = _mm256_cvtpd_ps(r);
            let y = _mm_or_ps(_mm_andnot_ps(sign, rf), _mm_and_ps(sign, x));
            // NaN in, the same NaN out.
            let y = _mm_blendv_ps(y, x, _mm_cmpunord_ps(x, x));
            _mm_storeu_ps(out.as_mut_ptr().add(i), y);
        }
    }
    n
}
