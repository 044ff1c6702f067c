//! float32 `asin`/`acos` as MKL VML's `vsAsin`/`vsAcos` compute them on the oracle machine
//! (AMD EPYC): bit for bit for |x| <= 0.5, all but about 0.04% of the inputs above.
//!
//! MKL is closed source; the algorithm was inferred from sweeps against torch
//! (docs/probes/vml32_notes.md, "asin and acos"). Both share one odd polynomial:
//! `asin(r) ~= r + r * Pz(r^2)` with `Pz(z) = z * (c1 + c2 z + ... + c5 z^4)`, evaluated in
//! float32, unfused, in the split order of [`pz`] (Intel's SVML constants and evaluation
//! order, the same as glibc's libmvec `asinf` of Intel's contribution; the order and every
//! rounding matter: any other order or one fused step breaks thousands of inputs of
//! [0.25, 0.5)). For |x| <= 0.5 the results are exactly
//!
//!   asin(x) = |x| + |x| * Pz(x^2)             (sign of x)
//!   acos(x) = pi/2_hi + ((pi/2_lo - x * Pz(x^2)) - x)
//!
//! which match torch on every float32 input of that range (both signs, all subnormals).
//! Above 0.5 the identity `asin(x) = pi/2 - 2 sqrt(y)(1 + Pz(y))`, `y = (1 - |x|)/2`, is
//! evaluated with the correctly rounded float32 `sqrt(y)` and its residual
//! `(y - s^2) / s` carried as a low part (the shape of Intel's published HA code,
//! intel-graphics-compiler `asin_s_ha.cl`/`acos_s_ha.cl`, MIT): this matches torch on all but
//! about 4 of every 10,000 inputs of (0.5, 1), each a near-tie of the last addition where
//! MKL's low-order bits differ by one unit of the low part. Where they come from was not
//! found (other orders, fusings, a double-precision tail, sqrt by rsqrt + Newton all do
//! worse); the model still beats the C library (which differs from torch on ~5% there).

/// `Pz`'s coefficients, `c1` first.
const C1: f32 = f32::from_bits(0x3e2a_aaff);
const C2: f32 = f32::from_bits(0x3d99_7c12);
const C3: f32 = f32::from_bits(0x3d3a_9ab4);
const C4: f32 = f32::from_bits(0x3cc3_2a6b);
const C5: f32 = f32::from_bits(0x3d2e_dc07);
/// pi/2 rounded to float32, and the rest rounded.
const PI2_HI: f32 = f32::from_bits(0x3fc9_0fdb);
const PI2_LO: f32 = f32::from_bits(0xb33b_bd2e);
/// pi rounded to float32, and the rest rounded.
const PI_HI: f32 = f32::from_bits(0x4049_0fdb);
const PI_LO: f32 = f32::from_bits(0xb3bb_bd2e);
/// Added under the square root so that `y = 0` (|x| = 1) gives a finite reciprocal (the low
/// part is then `0 * finite = 0`).
const TINY: f32 = f32::from_bits(0x0180_0000);

/// `z * (c1 + c2 z + c3 z^2 + c4 z^3 + c5 z^4)`, each step rounded, in MKL's order.
#[inline(always)]
fn pz(z: f32) -> f32 {
    let z2 = z * z;
    (((C5 * z + C4) * z2 + (C3 * z + C2)) * z + C1) * z
}

/// For |x| > 0.5: `y = (1 - |x|)/2` (exact), `s = sqrt(y)` rounded, `1/s` (finite at
/// `y = 0`) and `Pz(y)`.
#[inline(always)]
fn big(xa: f32) -> (f32, f32, f32, f32) {
    let y = 0.5 - 0.5 * xa;
    (y, y.sqrt(), 1.0 / (y + TINY).sqrt(), pz(y))
}

/// `y - a^2` rounded once (the residual is exact in double: `a^2` has 48 bits and lies
/// within a few ulps of `y`).
#[inline(always)]
fn residual(y: f32, a: f32) -> f32 {
    (f64::from(y) - f64::from(a) * f64::from(a)) as f32
}

/// float32 arcsine as MKL's `vsAsin`.
pub fn asin_f32(x: f32) -> f32 {
    let xa = x.abs();
    let r = if xa <= 0.5 {
        xa + xa * pz(xa * xa)
    } else if xa <= 1.0 {
        // pi/2 - 2s rounded, and the part of 2s it could not hold folded into the residual
        // (as Intel's HA code does): `hh` is exact, so the residual is `y - hh^2`.
        let (y, s, rs, p) = big(xa);
        let high = PI2_HI - 2.0 * s;
        let hh = 0.5 * (high - PI2_HI);
        let low = PI2_LO - residual(y, hh) * rs;
        high + (-2.0 * s * p + low)
    } else {
        // |x| > 1 and NaN.
        return f32::NAN;
    };
    r.copysign(x)
}

/// float32 arccosine as MKL's `vsAcos`.
pub fn acos_f32(x: f32) -> f32 {
    let xa = x.abs();
    if xa <= 0.5 {
        PI2_HI + ((PI2_LO - x * pz(x * x)) - x)
    } else if xa <= 1.0 {
        // 2 sqrt(y) = 2s + (y - s^2)/s, the second part carried as `lo`.
        let (y, s, rs, p) = big(xa);
        let (s2, lo) = (2.0 * s, residual(y, s) * rs);
        if x > 0.0 {
            s2 + (s2 * p + lo)
        } else {
            PI_HI + (((PI_LO - lo) - p * s2) - s2)
        }
    } else {
        f32::NAN
    }
}
