//! Scalar ports of the SLEEF vector functions that ATen's float32 kernels call (`powf`, `logf`),
//! lane for lane bit-identical to SLEEF's AVX512 build with FMA.
//!
//! The algorithm follows SLEEF's published source (`xpowf` = `expkf(logkf(|x|)·y)` in
//! "double-float" arithmetic, value plus rounding error); the code is our own. Every `mul_add`
//! stands for one of SLEEF's FMA helpers; everything else rounds step by step, as SLEEF is
//! built without contraction.

#![allow(clippy::excessive_precision)]

/// A float32 value and its rounding error.
#[derive(Clone, Copy)]
pub(super) struct Df {
    pub(super) hi: f32,
    pub(super) lo: f32,
}

#[inline(always)]
pub(super) const fn df(hi: f32, lo: f32) -> Df {
    Df { hi, lo }
}

/// `x·y - z`, rounded once.
#[inline(always)]
pub(super) fn fmapn(x: f32, y: f32, z: f32) -> f32 {
    x.mul_add(y, -z)
}

/// `z - x·y`, rounded once.
#[inline(always)]
pub(super) fn fmanp(x: f32, y: f32, z: f32) -> f32 {
    (-x).mul_add(y, z)
}

#[inline(always)]
pub(super) fn add2_ff(x: f32, y: f32) -> Df {
    let s = x + y;
    let v = s - x;
    df(s, (x - (s - v)) + (y - v))
}

#[inline(always)]
pub(super) fn add2_df_f(x: Df, y: f32) -> Df {
    let s = x.hi + y;
    let v = s - x.hi;
    let t = (x.hi - (s - v)) + (y - v);
    df(s, t + x.lo)
}

#[inline(always)]
pub(super) fn add2_df_df(x: Df, y: Df) -> Df {
    let s = x.hi + y.hi;
    let v = s - x.hi;
    let t = (x.hi - (s - v)) + (y.hi - v);
    df(s, t + (x.lo + y.lo))
}

/// Assumes |x| >= |y|.
#[inline(always)]
pub(super) fn add_df_df(x: Df, y: Df) -> Df {
    let s = x.hi + y.hi;
    df(s, (((x.hi - s) + y.hi) + x.lo) + y.lo)
}

#[inline(always)]
pub(super) fn add_f_df(x: f32, y: Df) -> Df {
    let s = x + y.hi;
    df(s, ((x - s) + y.hi) + y.lo)
}

#[inline(always)]
pub(super) fn normalize(t: Df) -> Df {
    let s = t.hi + t.lo;
    df(s, (t.hi - s) + t.lo)
}

#[inline(always)]
pub(super) fn scale(d: Df, s: f32) -> Df {
    df(d.hi * s, d.lo * s)
}

#[inline(always)]
pub(super) fn mul_df_f(x: Df, y: f32) -> Df {
    let s = x.hi * y;
    df(s, x.lo.mul_add(y, fmapn(x.hi, y, s)))
}

#[inline(always)]
pub(super) fn mul_df_df(x: Df, y: Df) -> Df {
    let s = x.hi * y.hi;
    df(s, x.hi.mul_add(y.lo, x.lo.mul_add(y.hi, fmapn(x.hi, y.hi, s))))
}

#[inline(always)]
pub(super) fn squ(x: Df) -> Df {
    let s = x.hi * x.hi;
    df(s, (x.hi + x.hi).mul_add(x.lo, fmapn(x.hi, x.hi, s)))
}

#[inline(always)]
pub(super) fn div(n: Df, d: Df) -> Df {
    let t = 1.0 / d.hi;
    let s = n.hi * t;
    let u = fmapn(t, n.hi, s);
    let v = fmanp(d.lo, t, fmanp(d.hi, t, 1.0));
    df(s, s.mul_add(v, n.lo.mul_add(t, u)))
}

/// `(bits >> 23 & 0xff) - 0x7f`: the exponent of a normal float.
fn ilogb2k(d: f32) -> i32 {
    ((d.to_bits() >> 23) & 0xff) as i32 - 0x7f
}

/// `d·2^e` by adding to the exponent field (valid while the result stays normal).
#[inline(always)]
pub(super) fn ldexp3(d: f32, e: i32) -> f32 {
    f32::from_bits((d.to_bits() as i32).wrapping_add(e << 23) as u32)
}

/// `x·2^q` in SLEEF's steps (four partial scalings, then the rest), so that a subnormal result
/// rounds once.
fn ldexp(x: f32, q: i32) -> f32 {
    let mut m = q >> 31;
    m = (((m + q) >> 6) - m) << 4;
    let q = q - (m << 2);
    let mut m = m + 0x7f;
    m = if m > 0 { m } else { 0 };
    m = if m > 0xff { 0xff } else { m };
    let u = f32::from_bits((m as u32) << 23);
    let x = x * u * u * u * u;
    x * f32::from_bits(((q + 0x7f) as u32) << 23)
}

/// log(d) as a double-float, for d > 0.
fn logkf(d: f32) -> Df {
    let tiny = d < f32::MIN_POSITIVE;
    let d = if tiny { d * (4294967296.0f32 * 4294967296.0) } else { d };
    let mut e = ilogb2k(d * (1.0 / 0.75));
    let m = ldexp3(d, -e);
    if tiny {
        e -= 64;
    }
    let x = div(add2_ff(-1.0, m), add2_ff(1.0, m));
    let x2 = squ(x);
    let mut t = 0.240320354700088500976562f32;
    t = t.mul_add(x2.hi, 0.285112679004669189453125);
    t = t.mul_add(x2.hi, 0.400007992982864379882812);
    let c = df(0.66666662693023681640625, 3.69183861259614332084311e-09);
    let mut s = mul_df_f(df(0.69314718246459960938, -1.904654323148236017e-09), e as f32);
    s = add_df_df(s, scale(x, 2.0));
    add_df_df(s, mul_df_df(mul_df_df(x2, x), add2_df_df(mul_df_f(x2, t), c)))
}

/// exp of a double-float, rounded to float32.
fn expkf(d: Df) -> f32 {
    const R_LN2: f32 = std::f32::consts::LOG2_E;
    const L2U: f32 = 0.693145751953125;
    const L2L: f32 = 1.428606765330187045e-06;
    let q = ((d.hi + d.lo) * R_LN2).round_ties_even() as i32;
    let mut s = add2_df_f(d, q as f32 * -L2U);
    s = add2_df_f(s, q as f32 * -L2L);
    s = normalize(s);
    let mut u = 0.00136324646882712841033936f32;
    for c in [0.00836596917361021041870117f32, 0.0416710823774337768554688, 0.166665524244308471679688, 0.499999850988388061523438] {
        u = u.mul_add(s.hi, c);
    }
    let t = add_f_df(1.0, add_df_df(s, mul_df_f(squ(s), u)));
    let u = ldexp(t.hi + t.lo, q);
    if d.hi < -104.0 { 0.0 } else { u }
}

/// `Sleef_powf16_u10` on one lane: `x^y` within 1 ulp, with C99's special cases.
pub fn powf(x: f32, y: f32) -> f32 {
    let big = (1 << 24) as f32;
    let y_is_int = y.trunc() == y || y.abs() > big;
    // vtruncate_vi2_vf: out-of-range conversions give i32::MIN, which is even.
    let yi = if y.abs() < 2147483648.0 { y.trunc() as i32 } else { i32::MIN };
    let y_is_odd = (yi & 1) == 1 && y_is_int && y.abs() < big;
    let mut r = expkf(mul_df_f(logkf(x.abs()), y));
    if r.is_nan() {
        r = f32::INFINITY;
    }
    r *= if x > 0.0 {
        1.0
    } else if y_is_int {
        if y_is_odd { -1.0 } else { 1.0 }
    } else {
        f32::NAN
    };
    let efx = mulsign(x.abs() - 1.0, y);
    if y.is_infinite() {
        r = if efx < 0.0 {
            0.0
        } else if efx == 0.0 {
            1.0
        } else {
            f32::INFINITY
        };
    }
    if x.is_infinite() || x == 0.0 {
        let mag = if y.is_sign_negative() ^ (x == 0.0) { 0.0 } else { f32::INFINITY };
        r = mulsign(mag, if y_is_odd { x } else { 1.0 });
    }
    if x.is_nan() || y.is_nan() {
        r = f32::NAN;
    }
    if y == 0.0 || x == 1.0 {
        r = 1.0;
    }
    r
}

/// `x + y` for |x.hi| >= |y|.
#[inline(always)]
pub(super) fn add_df_f(x: Df, y: f32) -> Df {
    let s = x.hi + y;
    df(s, ((x.hi - s) + y) + x.lo)
}

/// AVX512's `getexp`: floor(log2 |p|) as a float, exact for subnormals too.
#[inline(always)]
pub(super) fn getexp(p: f32) -> f32 {
    let b = p.abs().to_bits();
    if b >= 0x7f80_0000 {
        return f32::INFINITY;
    }
    if b == 0 {
        return f32::NEG_INFINITY;
    }
    let biased = (b >> 23) as i32;
    if biased > 0 {
        (biased - 0x7f) as f32
    } else {
        (31 - b.leading_zeros() as i32 - 149) as f32
    }
}

/// AVX512's `getmant` into [0.75, 1.5): the significand of `d > 0` as 1.f, halved when f's
/// first bit is set.
#[inline(always)]
pub(super) fn getmant_p75(d: f32) -> f32 {
    let d = if d < f32::MIN_POSITIVE { d * 18446744073709551616.0 } else { d };
    let m = f32::from_bits((d.to_bits() & 0x007f_ffff) | 0x3f80_0000);
    if m >= 1.5 { m * 0.5 } else { m }
}

/// `Sleef_logf16_u10` on one lane (AVX512 build: `getexp`/`getmant` split `d`, a degree-3
/// polynomial in `x²` where x = (m-1)/(m+1), summed in double-float), with `vfixupimm`'s
/// special cases: log(±0) = -inf, log(+inf) = +inf, log(<0) = NaN.
#[inline(always)]
pub fn logf_u10(d: f32) -> f32 {
    if d.is_nan() || d < 0.0 {
        return f32::NAN;
    }
    if d == 0.0 {
        return f32::NEG_INFINITY;
    }
    if d == f32::INFINITY {
        return d;
    }
    let mut e = getexp(d * (1.0 / 0.75));
    if e == f32::INFINITY {
        e = 128.0;
    }
    let m = getmant_p75(d);
    let mut s = mul_df_f(df(0.69314718246459960938, -1.904654323148236017e-09), e);
    let x = div(add2_ff(-1.0, m), add2_ff(1.0, m));
    let x2 = x.hi * x.hi;
    let t = 0.3027294874f32.mul_add(x2, 0.3996108174).mul_add(x2, 0.6666694880);
    s = add_df_df(s, scale(x, 2.0));
    s = add_df_f(s, x2 * x.hi * t);
    s.hi + s.lo
}

/// `x` with its sign flipped when `y`'s sign bit is set (SLEEF's `vmulsign`).
fn mulsign(x: f32, y: f32) -> f32 {
    f32::from_bits(x.to_bits() ^ (y.to_bits() & 0x8000_0000))
}
