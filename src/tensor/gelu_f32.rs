//! float32 exact GELU (`approximate='none'`) and its derivative as oneDNN's AVX-512 eltwise
//! `gelu_erf` computes them, which is what PyTorch runs for a contiguous float32 tensor of two or
//! more elements (Activation.cpp's `use_mkldnn`; docs/probes/gelu_paths.py).
//!
//! Facts from oneDNN (src/cpu/x64/injectors/jit_uni_eltwise_injector.cpp, v3.x):
//! - forward: `0.5·x·(1 + erf(x/√2))` where `erf(|x|/√2)` is a degree-5 minimax polynomial in
//!   `|x|`, one of 24 pieces picked from the bits of `|x|` (exponent and two mantissa bits), then
//!   given `x`'s sign; the result is `(x·(p + 1))·0.5`, each step rounded to float32;
//! - backward: the Abramowitz–Stegun erf (7.1.26) with oneDNN's own polynomial `exp`, giving
//!   `0.5 + R/√π·e^(-R²) + 0.5·erf(R)` for `R = x/√2`, then multiplied by the incoming gradient.
//!
//! Every element goes through the same vector code (the tail is loaded into a vector), so the
//! result depends on the value only, not on its position.

/// The minimax coefficients, degree 0 to 5 (one row each), by piece index (oneDNN's table;
/// piece 23 is the constant 1 beyond `RBOUND`, piece 24 gives `|x|` back so NaN stays NaN).
const PIECES: [[u32; 25]; 6] = [
    [
        0xa6f2cb94, 0x32827792, 0x3381cc0c, 0x34523d4a, 0x351ac44d, 0x35f36d88, 0x36ee8229,
        0x37b8a3bb, 0x3867a213, 0x3940033b, 0x3a2a5a1d, 0x3ae35863, 0x3b7828f2, 0x3c08b14b,
        0x3c515ed3, 0xbb503236, 0xbd8d8e5e, 0xbe8abcd9, 0xbf0c19a2, 0xbeccb328, 0x3e176ced,
        0x3f470d99, 0x3f7abb28, 0x3f800000, 0x00000000,
    ],
    [
        0x3f4c422a, 0x3f4c421f, 0x3f4c4207, 0x3f4c41cb, 0x3f4c413b, 0x3f4c3fad, 0x3f4c3a2f,
        0x3f4c2d40, 0x3f4c146a, 0x3f4bc341, 0x3f4ad08c, 0x3f48f8cf, 0x3f45fac7, 0x3f404e07,
        0x3f3b980f, 0x3f48dff3, 0x3f78b21b, 0x3fbb0704, 0x40019c32, 0x3fe536d6, 0x3f81331e,
        0x3e6c8684, 0x3c98f936, 0x00000000, 0x3f800000,
    ],
    [
        0xb62173f4, 0x3735e4cf, 0x37f2ff89, 0x388c23be, 0x3917535c, 0x39ab2ab0, 0x3a60fadb,
        0x3af9b960, 0x3b6e5491, 0x3c0a4ec5, 0x3ca5aa8c, 0x3d2138d9, 0x3d8737d4, 0x3ddfb660,
        0x3e0f27ab, 0x3d94004b, 0xbe0efdeb, 0xbf1d96c3, 0xbf89db58, 0xbf6d9897, 0xbef69fb8,
        0xbdc4f8a8, 0xbbde6422, 0x00000000, 0x00000000,
    ],
    [
        0xbe081a19, 0xbe084570, 0xbe08639b, 0xbe089837, 0xbe08f409, 0xbe09ab95, 0xbe0b66d0,
        0xbe0e400a, 0xbe124df8, 0xbe1bde02, 0xbe2f19c9, 0xbe4931bf, 0xbe685fbc, 0xbe89c95f,
        0xbe96cbca, 0xbe8044aa, 0xbe0550f2, 0x3dcfd6a1, 0x3e94c826, 0x3e79345f, 0x3decec91,
        0x3ca46568, 0x3aa1e00a, 0x00000000, 0x00000000,
    ],
    [
        0xba3d61db, 0x39f097a3, 0x3a5845dc, 0x3ab1fa35, 0x3b0cefb8, 0x3b653ab6, 0x3bcae527,
        0x3c221712, 0x3c6c5840, 0x3cc0a703, 0x3d1dcc19, 0x3d63656d, 0x3d955907, 0x3dbf9910,
        0x3dd53f69, 0x3db7dcef, 0x3d639ebe, 0xba6ede48, 0xbd22be69, 0xbd041cf1, 0xbc64f5ab,
        0xbb097a32, 0xb8ebf380, 0x00000000, 0x00000000,
    ],
    [
        0x3cb7d80c, 0x3c9b6050, 0x3c978d11, 0x3c92e850, 0x3c8d058b, 0x3c848454, 0x3c6cd623,
        0x3c4c824b, 0x3c2a7935, 0x3be0b390, 0x3b0651ac, 0xbb232f53, 0xbbd42fa0, 0xbc2c5366,
        0xbc492c9e, 0xbc2a7aa6, 0xbbd55d04, 0xba823a76, 0x3b102aa8, 0x3ae25a7e, 0x3a31f792,
        0x38b84375, 0x3689bb5a, 0x00000000, 0x00000000,
    ],
];

/// `idx = (bits(|x|) + IDX_BIAS) >> 21` (arithmetic) picks the piece, clamped to 1..=24.
const IDX_BIAS: u32 = 0xc21f_ffff;
/// Above this `|x|` the piece is 23 (erf is 1 in float32).
const RBOUND: u32 = 0x40b1_5cee;
const ONE_OVER_SQRT_TWO: u32 = 0x3f35_04f3;
const ONE_OVER_SQRT_PI: u32 = 0x3f10_6eba;
/// Abramowitz–Stegun 7.1.26: `p`, then `a1..a5`.
const AS_P: u32 = 0x3ea7_ba05;
const AS_POL: [u32; 5] = [
    0x3e82_7906,
    0xbe91_a98e,
    0x3fb5_f0e3,
    0xbfba_00e3,
    0x3f87_dc22,
];
/// oneDNN's `exp`: clamp bounds, log2(e), ln 2 and the degree-5 polynomial (`p1..p5`).
const EXP_LN_FLT_MIN: u32 = 0xc2ae_ac50;
const EXP_LN_FLT_MAX: u32 = 0x42b1_7218;
const EXP_LOG2E: u32 = 0x3fb8_aa3b;
const LN2: u32 = 0x3f31_7218;
const EXP_POL: [u32; 5] = [
    0x3f7f_fffb,
    0x3eff_fee3,
    0x3e2a_ad40,
    0x3d2b_9d0d,
    0x3c07_cfce,
];

#[inline(always)]
fn f(bits: u32) -> f32 {
    f32::from_bits(bits)
}

/// `vminps a, b`: `a < b ? a : b` (so a NaN `a` gives `b`).
#[inline(always)]
fn vmin(a: f32, b: f32) -> f32 {
    if a < b { a } else { b }
}

/// `vmaxps a, b`: `a > b ? a : b`.
#[inline(always)]
fn vmax(a: f32, b: f32) -> f32 {
    if a > b { a } else { b }
}

/// GELU of one float32, as oneDNN's `gelu_erf` forward on AVX-512.
#[inline]
pub fn gelu_erf(x: f32) -> f32 {
    let ax = f(x.to_bits() & 0x7fff_ffff);
    let mut idx = ((ax.to_bits().wrapping_add(IDX_BIAS)) as i32 >> 21).clamp(1, 24) as usize;
    if f(RBOUND) < ax {
        idx = 23;
    }
    let mut p = f(PIECES[5][idx]);
    for row in PIECES[..5].iter().rev() {
        p = p.mul_add(ax, f(row[idx]));
    }
    let p = f(p.to_bits() ^ (x.to_bits() & 0x8000_0000));
    (x * (p + 1.0)) * 0.5
}

/// oneDNN's `exp_compute_vector_fwd`: `2·2^(n-1)·q(r)` with `n = floor(x·log2 e + 0.5)`, zero
/// below ln(FLT_MIN).
#[inline(always)]
fn exp_onednn(x: f32) -> f32 {
    let lo = f(EXP_LN_FLT_MIN);
    let under = x < lo;
    let x = vmax(vmin(x, f(EXP_LN_FLT_MAX)), lo);
    let t = (x * f(EXP_LOG2E) + 0.5).floor();
    let r = (-t).mul_add(f(LN2), x);
    let n = (t - 1.0) as i32;
    let scale = if under {
        0.0
    } else {
        f((n.wrapping_add(127) as u32) << 23)
    };
    let mut q = f(EXP_POL[4]);
    for &c in EXP_POL[..4].iter().rev() {
        q = q.mul_add(r, f(c));
    }
    q = q.mul_add(r, 1.0);
    (q * scale) * 2.0
}

/// d GELU / dx at one float32, as oneDNN's `gelu_erf` backward computes it (before the
/// multiplication by the incoming gradient).
#[inline]
pub fn gelu_erf_derivative(x: f32) -> f32 {
    let r = x * f(ONE_OVER_SQRT_TWO);
    let q = exp_onednn(-(r * r));
    let t = (r * f(ONE_OVER_SQRT_PI)) * q;
    let w = 1.0 / f(AS_P).mul_add(r.abs(), 1.0);
    let mut poly = f(AS_POL[4]);
    for &c in AS_POL[..4].iter().rev() {
        poly = poly.mul_add(w, f(c));
    }
    let e = (-q * w).mul_add(poly, 1.0);
    let erf = f(e.to_bits() ^ (r.to_bits() & 0x8000_0000));
    erf.mul_add(0.5, t + 0.5)
}

/// The input gradient `dy · gelu'(x)`, as oneDNN's backward kernel multiplies it.
#[inline]
pub fn gelu_erf_backward(x: f32, dy: f32) -> f32 {
    gelu_erf_derivative(x) * dy
}

// ATen's GeluKernel (Activation.cpp), which PyTorch runs for float32 exact GELU when oneDNN
// does not take it (one element, or a non-contiguous input): `cpu_kernel_vec` computes whole
// steps of 32 elements with `Vectorized<float>` (the erf below over SLEEF's `expf_u10`) and the
// rest with the C library's `erff`/`expf` (which elements: iter_layout.rs). The backward's
// `cdf + x·pdf` is one fused multiply-add in the vector loop and a product and a sum in the
// scalar one (probed: fusing the scalar one changes 182 of 2000 one-element gradients).

unsafe extern "C" {
    /// The C library's float `erf` (glibc's `erff`), which ATen's scalar loop calls.
    fn erff(x: f32) -> f32;
}

/// `erff` from the C library.
#[inline(always)]
fn c_erff(x: f32) -> f32 {
    // SAFETY: `erff` reads nothing but its argument.
    unsafe { erff(x) }
}

/// `Vectorized<float>::erf` (vec512_float.h): Abramowitz–Stegun 7.1.26 in float32 with
/// explicit fused multiply-adds and SLEEF's `expf`.
#[inline(always)]
fn aten_vec_erf(x: f32) -> f32 {
    let sign = x.to_bits() & 0x8000_0000;
    let t = 1.0 / f(AS_P).mul_add(x.abs(), 1.0);
    let mut r = f(AS_POL[4]);
    for &c in AS_POL[..4].iter().rev() {
        r = r.mul_add(t, f(c));
    }
    let e = -super::kernels::vec_expf(-(x * x));
    f((e * t).mul_add(r, 1.0).to_bits() ^ sign)
}

/// `M_SQRT1_2` as float.
const ATEN_ALPHA: f32 = std::f32::consts::FRAC_1_SQRT_2;
/// `M_2_SQRTPI · M_SQRT1_2 · 0.5` (computed in double), as float: 1/√(2π).
const ATEN_BETA: f32 =
    (std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::FRAC_1_SQRT_2 * 0.5) as f32;

/// One element of ATen's GELU: `vector` for the whole 32-element steps, else the scalar loop.
#[inline]
pub fn aten_gelu(x: f32, vector: bool) -> f32 {
    let e = if vector {
        aten_vec_erf(x * ATEN_ALPHA)
    } else {
        c_erff(x * ATEN_ALPHA)
    };
    x * 0.5 * (1.0 + e)
}

/// One element of ATen's GELU backward, `dy · (cdf + x·pdf)`, `pdf = e^(-x²/2)/√(2π)`.
#[inline]
pub fn aten_gelu_backward(x: f32, dy: f32, vector: bool) -> f32 {
    let (e, ex) = if vector {
        (
            aten_vec_erf(x * ATEN_ALPHA),
            super::kernels::vec_expf(x * x * -0.5),
        )
    } else {
        (c_erff(x * ATEN_ALPHA), (x * x * -0.5).exp())
    };
    let cdf = 0.5 * (1.0 + e);
    let pdf = ATEN_BETA * ex;
    if vector {
        dy * x.mul_add(pdf, cdf)
    } else {
        dy * (cdf + x * pdf)
    }
}

/// [`gelu_erf`] over `x`; on CPUs with FMA each fused multiply-add is one instruction rather
/// than a call to `fmaf` (same bits either way).
pub(crate) fn gelu_erf_slice(x: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(x: &[f32]) -> Vec<f32> {
            x.iter().map(|&v| gelu_erf(v)).collect()
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(x) };
    }
    x.iter().map(|&v| gelu_erf(v)).collect()
}

/// [`gelu_erf_backward`] over `x` and the incoming gradient `dy` (same length), compiled for
/// FMA where the CPU has it.
pub(crate) fn gelu_erf_backward_slice(x: &[f32], dy: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(x: &[f32], dy: &[f32]) -> Vec<f32> {
            x.iter()
                .zip(dy)
                .map(|(&v, &d)| gelu_erf_backward(v, d))
                .collect()
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(x, dy) };
    }
    x.iter()
        .zip(dy)
        .map(|(&v, &d)| gelu_erf_backward(v, d))
        .collect()
}
