//! float32 `sigmoid_vec` (`1 / (1 + vec_expf(-x))`, kernels.rs) eight lanes at a time with
//! AVX2+FMA, for the fused recurrent cells (rnn_cells.rs): each lane performs the scalar
//! definition's operations in its order (the same roundings, FMAs where it has them, the same
//! clamps and NaN pass-through), so the bits are the scalar path's.

use std::arch::x86_64::*;

use super::kernels::vec_expf;
use super::rnn::sigmoid_vec;

/// `out[j] = sigmoid_vec(gh[j] + gi[j])` over three slices of one length.
pub fn sigmoid_of_sum(gh: &[f32], gi: &[f32], out: &mut [f32]) {
    let len = out.len().min(gh.len()).min(gi.len());
    let whole = len - len % 8;
    if whole > 0 && std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features `lanes` is compiled for; `whole <= len`.
        unsafe { lanes(&gh[..whole], &gi[..whole], &mut out[..whole]) };
    } else {
        for j in 0..whole {
            out[j] = sigmoid_vec(gh[j] + gi[j]);
        }
    }
    for j in whole..len {
        out[j] = sigmoid_vec(gh[j] + gi[j]);
    }
}

/// The vector loop over whole vectors (lengths multiples of 8, all equal).
#[target_feature(enable = "avx2,fma")]
fn lanes(gh: &[f32], gi: &[f32], out: &mut [f32]) {
    for ((o, a), b) in out
        .chunks_exact_mut(8)
        .zip(gh.chunks_exact(8))
        .zip(gi.chunks_exact(8))
    {
        // SAFETY: each chunk holds exactly eight floats.
        unsafe {
            let x = _mm256_add_ps(_mm256_loadu_ps(a.as_ptr()), _mm256_loadu_ps(b.as_ptr()));
            let neg = _mm256_xor_ps(x, _mm256_set1_ps(-0.0));
            let e = expf8(neg);
            let one = _mm256_set1_ps(1.0);
            _mm256_storeu_ps(o.as_mut_ptr(), _mm256_div_ps(one, _mm256_add_ps(one, e)));
        }
    }
}

/// `vec_expf` on eight lanes.
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::excessive_precision)]
fn expf8(d: __m256) -> __m256 {
    const R_LN2: f32 = std::f32::consts::LOG2_E;
    const L2U: f32 = 0.693145751953125;
    const L2L: f32 = 1.428606765330187045e-06;
    let q = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm256_mul_ps(
        d,
        _mm256_set1_ps(R_LN2),
    ));
    // Out of i32 range (|d| > 100 here) the lane is replaced below, whatever it holds.
    let qi = _mm256_cvtps_epi32(q);
    let mut s = _mm256_fmadd_ps(q, _mm256_set1_ps(-L2U), d);
    s = _mm256_fmadd_ps(q, _mm256_set1_ps(-L2L), s);
    let mut u = _mm256_set1_ps(0.000198527617612853646278381);
    for c in [
        0.00139304355252534151077271f32,
        0.00833336077630519866943359,
        0.0416664853692054748535156,
        0.166666671633720397949219,
        0.5,
    ] {
        u = _mm256_fmadd_ps(u, s, _mm256_set1_ps(c));
    }
    u = _mm256_add_ps(
        _mm256_set1_ps(1.0),
        _mm256_fmadd_ps(_mm256_mul_ps(s, s), u, s),
    );
    let half = _mm256_srai_epi32::<1>(qi);
    u = _mm256_mul_ps(
        _mm256_mul_ps(u, pow2i8(half)),
        pow2i8(_mm256_sub_epi32(qi, half)),
    );
    let low = _mm256_cmp_ps::<_CMP_LT_OQ>(d, _mm256_set1_ps(-104.0));
    let high = _mm256_cmp_ps::<_CMP_GT_OQ>(d, _mm256_set1_ps(100.0));
    let nan = _mm256_cmp_ps::<_CMP_UNORD_Q>(d, d);
    u = _mm256_andnot_ps(low, u);
    u = _mm256_blendv_ps(u, _mm256_set1_ps(f32::INFINITY), high);
    _mm256_blendv_ps(u, d, nan)
}

/// `xs[j] = vec_expf(xs[j])` in place: whole vectors of eight through [`expf8`] where the CPU
/// has AVX2 and FMA, the rest (and every element elsewhere) through the scalar formula, whose
/// `mul_add`s and rounding are libm calls in baseline x86-64 code. Same bits either way.
pub fn exp_in_place(xs: &mut [f32]) {
    let whole = xs.len() - xs.len() % 8;
    if whole > 0 && std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(xs: &mut [f32]) {
            for c in xs.chunks_exact_mut(8) {
                // SAFETY: each chunk holds exactly eight floats.
                unsafe { _mm256_storeu_ps(c.as_mut_ptr(), expf8(_mm256_loadu_ps(c.as_ptr()))) };
            }
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        unsafe { go(&mut xs[..whole]) };
    } else {
        xs[..whole].iter_mut().for_each(|x| *x = vec_expf(*x));
    }
    xs[whole..].iter_mut().for_each(|x| *x = vec_expf(*x));
}

/// `pow2i` on eight lanes: `2^e` with the exponent field clamped to `0..=255`.
#[target_feature(enable = "avx2,fma")]
fn pow2i8(e: __m256i) -> __m256 {
    let biased = _mm256_add_epi32(e, _mm256_set1_epi32(127));
    let clamped = _mm256_min_epi32(
        _mm256_max_epi32(biased, _mm256_setzero_si256()),
        _mm256_set1_epi32(255),
    );
    _mm256_castsi256_ps(_mm256_slli_epi32::<23>(clamped))
}

/// `out[j] = sigmoid_vec(x[j])`, the float32 `Tensor::sigmoid` of ATen's vector loop
/// (sigmoid_f32.rs); false, leaving `out` alone, where the CPU lacks AVX2 or FMA or the
/// length is not a whole number of vectors.
pub(crate) fn sigmoid_lanes(x: &[f32], out: &mut [f32]) -> bool {
    if x.len() != out.len()
        || !x.len().is_multiple_of(8)
        || !std::is_x86_feature_detected!("avx2")
        || !std::is_x86_feature_detected!("fma")
    {
        return false;
    }
    #[target_feature(enable = "avx2,fma")]
    fn go(x: &[f32], out: &mut [f32]) {
        for (o, a) in out.chunks_exact_mut(8).zip(x.chunks_exact(8)) {
            // SAFETY: each chunk holds exactly eight floats.
            unsafe {
                let neg = _mm256_xor_ps(_mm256_loadu_ps(a.as_ptr()), _mm256_set1_ps(-0.0));
                let one = _mm256_set1_ps(1.0);
                let y = _mm256_div_ps(one, _mm256_add_ps(one, expf8(neg)));
                _mm256_storeu_ps(o.as_mut_ptr(), y);
            }
        }
    }
    // SAFETY: the CPU has the features `go` is compiled for.
    unsafe { go(x, out) };
    true
}
