//! float32 `tanh` as the engine defines it, `(x as f64).tanh() as f32` (libm's double tanh
//! rounded once, for MKL's bits), without calling libm's tanh on almost every input.
//!
//! A double approximation good to about 2^-39 relative decides the float32 result unless it
//! lies near a rounding boundary (a midpoint between two floats), where only the exact value
//! can tell; there, and outside the approximation's range, libm's tanh runs as before. So the
//! result is libm's rounded whenever libm is within the (much wider) window of the true
//! value, which the exhaustive test checks for every float32.

use ndarray::ArrayD;

use super::DType;
use super::sleef_f64::expd;
use super::storage::Storage;

/// Half-width, in double ulps of the approximation, of the window around a float32 midpoint
/// within which the exact tanh decides. The approximation's error is below 2^14 ulps.
const WINDOW: u64 = 1 << 18;

/// The definition: libm's double tanh rounded to float32.
#[inline(never)]
fn exact(x: f32) -> f32 {
    (x as f64).tanh() as f32
}

/// `(x as f64).tanh() as f32`, bit for bit.
#[inline(always)]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    let a = (x as f64).abs();
    let t = if (f64::from(f32::MIN_POSITIVE)..1.0 / 4096.0).contains(&a) {
        // tanh a = a - a³/3 + 2a⁵/15 - ...: the third term is below 2^-48 of the first.
        a - a * a * a * (1.0 / 3.0)
    } else if (1.0 / 4096.0..20.0).contains(&a) {
        // 1 - 2/(e^2a + 1): absolute error about 2^-51, so relative 2^-39 at a = 2^-12.
        1.0 - 2.0 / (expd(2.0 * a) + 1.0)
    } else {
        // Zero, float32 subnormals, |x| >= 20 (±1), infinities and NaN.
        return exact(x);
    };
    // A double rounds to float32 by its 29 low mantissa bits; a midpoint is 1 << 28 there.
    let low = t.to_bits() & ((1 << 29) - 1);
    if low.abs_diff(1 << 28) <= WINDOW {
        return exact(x);
    }
    let r = t as f32;
    if x < 0.0 { -r } else { r }
}

/// `Tensor::tanh`'s values: float64 by libm, anything else (ints cast) as float32 above.
pub(crate) fn tanh_storage(s: &Storage) -> Storage {
    match s {
        Storage::F64(a) => Storage::F64(a.mapv(f64::tanh)),
        Storage::F32(a) => Storage::F32(map(a)),
        other => match other.cast(DType::Float32) {
            Storage::F32(a) => Storage::F32(map(&a)),
            x => x,
        },
    }
}

/// [`tanh_f32`] over an array, compiled with FMA where the CPU has it: the approximation's
/// `exp` is a chain of fused multiply-adds, each a libm call without the feature (same bits).
fn map(a: &ArrayD<f32>) -> ArrayD<f32> {
    let Some(src) = a.as_slice() else {
        return a.mapv(tanh_f32);
    };
    let mut out = vec![0.0f32; src.len()];
    // Plain index loops, so that everything is inlined into the FMA-enabled function.
    #[inline(always)]
    fn fill(src: &[f32], out: &mut [f32]) {
        for i in 0..src.len().min(out.len()) {
            out[i] = tanh_f32(src[i]);
        }
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run(src: &[f32], out: &mut [f32]) {
            fill(src, out);
        }
        // SAFETY: the CPU has the features `run` is compiled for.
        unsafe { run(src, &mut out) };
        return ArrayD::from_shape_vec(a.raw_dim(), out).unwrap_or_else(|_| a.mapv(tanh_f32));
    }
    fill(src, &mut out);
    ArrayD::from_shape_vec(a.raw_dim(), out).unwrap_or_else(|_| a.mapv(tanh_f32))
}

#[cfg(test)]
mod tests {
    use super::{exact, tanh_f32};

    fn check(bits: u32) {
        let x = f32::from_bits(bits);
        let (got, want) = (tanh_f32(x), exact(x));
        assert_eq!(got.to_bits(), want.to_bits(), "tanh({x:e}) [{bits:#010x}]");
    }

    /// Every 997th float32 (about 4.3 million, all binades and both signs) and the edges.
    #[test]
    fn tanh_f32_is_the_definition_on_a_spread_of_floats() {
        let mut b: u32 = 0;
        while let Some(n) = b.checked_add(997) {
            check(b);
            b = n;
        }
        for x in [
            0.0f32,
            -0.0,
            1.0 / 4096.0,
            20.0,
            -20.0,
            f32::MIN_POSITIVE,
            f32::INFINITY,
        ] {
            check(x.to_bits());
            check((-x).to_bits());
            check(x.to_bits() + 1);
            check(x.to_bits().saturating_sub(1));
        }
        check(f32::NAN.to_bits());
    }

    /// All 2^32 float32 values (about a minute): `cargo test --profile fast --lib
    /// tanh_f32_exhaustive -- --ignored`.
    #[test]
    #[ignore]
    fn tanh_f32_exhaustive() {
        for b in 0..=u32::MAX {
            check(b);
        }
    }
}
