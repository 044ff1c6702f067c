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

/// `tanh_f32` of each element.
pub(crate) fn tanh_slice(xs: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; xs.len()];
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        done = unsafe { lanes(xs, &mut out) };
    }
    for (o, &x) in out[done..].iter_mut().zip(&xs[done..]) {
        *o = tanh_f32(x);
    }
    out
}

/// In place: `xs[i] = tanh_f32(xs[i])`.
pub(crate) fn tanh_in_place(xs: &mut [f32]) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        let mut buf = [0.0f32; 4];
        while done + 4 <= xs.len() {
            buf.copy_from_slice(&xs[done..done + 4]);
            // SAFETY: the CPU has AVX2; both slices hold four floats.
            unsafe { lanes(&buf, &mut xs[done..done + 4]) };
            done += 4;
        }
    }
    for x in &mut xs[done..] {
        *x = tanh_f32(*x);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_scalar(from: u64, step: u64) {
        let bits: Vec<u32> = (from..=u32::MAX as u64)
            .step_by(step as usize)
            .map(|b| b as u32)
            .collect();
        for chunk in bits.chunks(1 << 16) {
            let xs: Vec<f32> = chunk.iter().map(|&b| f32::from_bits(b)).collect();
            let out = tanh_slice(&xs);
            let mut inplace = xs.clone();
            tanh_in_place(&mut inplace);
            for ((x, o), p) in xs.iter().zip(&out).zip(&inplace) {
                let want = tanh_f32(*x).to_bits();
                assert_eq!(
                    o.to_bits(),
                    want,
                    "tanh_slice({x:e}) [{:#010x}]",
                    x.to_bits()
                );
                assert_eq!(p.to_bits(), want, "tanh_in_place({x:e})");
            }
        }
    }

    /// Every 251st float32 (17 million, every binade and both signs, NaNs and infinities).
    #[test]
    fn lanes_match_the_scalar_definition() {
        same_as_scalar(0, 251);
        same_as_scalar(0x7f80_0000, 1 << 12);
        same_as_scalar(0xff80_0000, 1 << 12);
        let edges = [
            0.0f32,
            -0.0,
            SMALL_END,
            -SMALL_END,
            ONE_FROM,
            -ONE_FROM,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            1e-45,
            9.0108,
        ];
        let out = tanh_slice(&edges);
        for (x, o) in edges.iter().zip(&out) {
            assert_eq!(o.to_bits(), tanh_f32(*x).to_bits(), "{x:e}");
        }
    }

    /// All 2^32 float32 values: `cargo test --profile fast --lib tanh_lanes_exhaustive -- --ignored`.
    #[test]
    #[ignore]
    fn tanh_lanes_exhaustive() {
        same_as_scalar(0, 1);
    }
}
