//! float32 `log` as MKL VML's `vsLn` (HA) computes it on the oracle machine (AMD EPYC, MKL's
//! SSE path), bit for bit: the engine's definition of float32 `torch.log`.
//!
//! MKL is closed source; its results were swept against models (docs/divergences-differential.md,
//! "MKL vsLn", and bench/vlog/). It is the branch-free logarithm of Intel's short-vector math
//! library family: the input's bits minus those of 2/3 split it as `2^n * m` with `m` in
//! [2/3, 4/3) (no table), `r = m - 1` is exact, `log(1 + r) = r + r^2 * P(r)` with `P` of
//! degree 8, and `n * ln2` is added as a 16-bit head (so `n * head` is exact) and a float32
//! tail. Every step is rounded to float32 and nothing is fused (no FMA on this path): the
//! rounding of `P`'s Horner steps and of the last three additions is why 6-10% of results are
//! 1 ulp from the correctly rounded log. Inputs that are not positive normal floats leave the
//! vector path: subnormals get the correctly rounded log (all 2^23 - 1 of them checked), zeros
//! `-inf`, negatives NaN, `+inf` itself and NaN itself (quieted).
//!
//! `P`'s coefficients are not derivable (any minimax fit differs in the last bits, and the
//! roundings make those bits visible): they are the ones Intel publishes for this algorithm
//! under the MIT licence (intel-graphics-compiler, `IGC/BiFModule/Implementation/IMF/FP32/
//! ln_s_ha.cl`, `sPoly`), taken as a hypothesis and confirmed by the sweep: with them every
//! float32 input gives torch's bits. The split of ln2 is computed (see the constants).

/// The bits of 2/3 rounded up: `bits(x) - BRK` has the exponent `n` in its top 9 bits and
/// `m`'s mantissa below, with `m = x / 2^n` in [2/3, 4/3).
const BRK: u32 = 0x3f2a_aaab;
/// `P(r)`, lowest degree first: `log(1 + r) ~= r + r^2 * P(r)` on [-1/3, 1/3).
const P: [f32; 9] = [
    f32::from_bits(0xbf00_0000), // -0.5
    f32::from_bits(0x3eaa_aa83), // 0.33333215
    f32::from_bits(0xbe7f_ff78), // -0.24999797
    f32::from_bits(0x3e4c_e814), // 0.20010406
    f32::from_bits(0xbe2a_cee6), // -0.16680488
    f32::from_bits(0x3e0f_6b8c), // 0.1400587
    f32::from_bits(0xbdf9_889e), // -0.12184261
    f32::from_bits(0x3e0f_335d), // 0.13984437
    f32::from_bits(0xbe04_02c8), // -0.12891686
];
/// ln2 truncated to 16 significant bits, so that `n * LN2_HI` is exact for every exponent.
pub const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
/// `ln2 - LN2_HI` rounded to float32.
pub const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);

/// Whether `bits` is a positive normal float32, the inputs of the vector path.
#[inline(always)]
fn positive_normal(bits: u32) -> bool {
    bits.wrapping_sub(0x0080_0000) < 0x7f00_0000
}

/// The vector path, for positive normal inputs (any other bits give a meaningless value).
#[inline(always)]
fn ln_normal(bits: u32) -> f32 {
    let t = bits.wrapping_sub(BRK);
    let n = ((t as i32) >> 23) as f32;
    let r = f32::from_bits((t & 0x007f_ffff) + BRK) - 1.0;
    let mut p = P[8];
    p = p * r + P[7];
    p = p * r + P[6];
    p = p * r + P[5];
    p = p * r + P[4];
    p = p * r + P[3];
    p = p * r + P[2];
    p = p * r + P[1];
    p = p * r + P[0];
    p *= r;
    p = p * r + r;
    n * LN2_HI + (n * LN2_LO + p)
}

/// Zeros, subnormals, negatives, infinities and NaN, as MKL returns them.
#[cold]
fn ln_special(x: f32) -> f32 {
    if x.is_nan() {
        x + x
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x < 0.0 {
        f32::NAN
    } else if x == f32::INFINITY {
        x
    } else {
        // Subnormal: MKL's result is the correctly rounded log.
        f64::from(x).ln() as f32
    }
}

/// float32 natural log, bit for bit as MKL's `vsLn`.
#[inline]
pub fn ln_f32(x: f32) -> f32 {
    let b = x.to_bits();
    if positive_normal(b) {
        ln_normal(b)
    } else {
        ln_special(x)
    }
}

/// [`ln_f32`] of every element: blocks of 16 on the branch-free path (which the compiler
/// vectorises), then any block holding a special input is redone element by element.
pub fn ln_slice(a: &[f32]) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has the feature the loop is compiled for.
        return unsafe { ln_slice_avx2(a) };
    }
    ln_slice_plain(a)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ln_slice_avx2(a: &[f32]) -> Vec<f32> {
    ln_slice_plain(a)
}

#[inline(always)]
fn ln_slice_plain(a: &[f32]) -> Vec<f32> {
    const B: usize = 16;
    let mut out = vec![0.0f32; a.len()];
    for (o, x) in out.chunks_mut(B).zip(a.chunks(B)) {
        let mut special = false;
        for (o, x) in o.iter_mut().zip(x) {
            let b = x.to_bits();
            special |= !positive_normal(b);
            *o = ln_normal(b);
        }
        if special {
            for (o, &x) in o.iter_mut().zip(x) {
                *o = ln_f32(x);
            }
        }
    }
    out
}
