//! SLEEF's double-double float64 functions that ATen's AVX512 kernels call on whole vector
//! steps (`Sleef_expm1d8_u10`, `log1pd8_u10`, `sinhd8_u10`, `coshd8_u10`, `powd8_u10`,
//! `atan2d8_u10`), in our own code after SLEEF's published algorithms (FMA build, AVX512's
//! `getexp`/`getmant`), and the loops that split a float64 slice between them and glibc as
//! ATen does (docs/probes/sleef64_regions.py).
//!
//! All of them carry the value plus its rounding error (`Dd`) through the reduction and the
//! polynomial and round once at the end, which is why they differ from glibc in the last bit.

// SLEEF's constants keep every digit it publishes (double-double pairs, not std's consts).
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use super::kernels::VEC_LOOP_F64;
use super::sleef_f64::{
    Dd, L2L, L2U, R_LN2, add_dd_d, add_dd_dd, add2_d_d, div_dd, getexp, getmant_p75, ldexp2, logd,
    mul_dd_d,
};

const SIGN: u64 = 1 << 63;
/// The NaN SLEEF's `vor` with an all-ones mask produces.
const ALL_ONES_NAN: u64 = u64::MAX;
/// ln 2 as a double-double.
const LN2_DD: Dd = Dd {
    hi: 0.693147180559945286226764,
    lo: 2.319046813846299558417771e-17,
};

// ---- double-double arithmetic (SLEEF's dd.h, FMA variants) ----------------------------------

#[inline(always)]
fn dd(hi: f64) -> Dd {
    Dd { hi, lo: 0.0 }
}

/// `x + y` (no magnitude order needed).
#[inline(always)]
fn add2_dd_d(x: Dd, y: f64) -> Dd {
    let s = x.hi + y;
    let v = s - x.hi;
    let w = (x.hi - (s - v)) + (y - v);
    Dd {
        hi: s,
        lo: w + x.lo,
    }
}

/// `x + y` for |x| >= |y.hi|.
#[inline(always)]
fn add_d_dd(x: f64, y: Dd) -> Dd {
    let s = x + y.hi;
    Dd {
        hi: s,
        lo: ((x - s) + y.hi) + y.lo,
    }
}

/// `x + y` for |x| >= |y|, both doubles.
#[inline(always)]
fn add_d_d(x: f64, y: f64) -> Dd {
    let s = x + y;
    Dd {
        hi: s,
        lo: (x - s) + y,
    }
}

/// `x - y` for |x.hi| >= |y.hi|.
#[inline(always)]
fn sub_dd_dd(x: Dd, y: Dd) -> Dd {
    let s = x.hi - y.hi;
    let t = ((x.hi - s) - y.hi) + x.lo;
    Dd {
        hi: s,
        lo: t - y.lo,
    }
}

#[inline(always)]
fn normalize(t: Dd) -> Dd {
    let s = t.hi + t.lo;
    Dd {
        hi: s,
        lo: (t.hi - s) + t.lo,
    }
}

#[inline(always)]
fn scale(d: Dd, s: f64) -> Dd {
    Dd {
        hi: d.hi * s,
        lo: d.lo * s,
    }
}

#[inline(always)]
fn squ(x: Dd) -> Dd {
    let s = x.hi * x.hi;
    Dd {
        hi: s,
        lo: (x.hi + x.hi).mul_add(x.lo, x.hi.mul_add(x.hi, -s)),
    }
}

#[inline(always)]
fn mul_dd_dd(x: Dd, y: Dd) -> Dd {
    let s = x.hi * y.hi;
    Dd {
        hi: s,
        lo: x
            .hi
            .mul_add(y.lo, x.lo.mul_add(y.hi, x.hi.mul_add(y.hi, -s))),
    }
}

/// `1 / d`.
#[inline(always)]
fn rec(d: Dd) -> Dd {
    let s = 1.0 / d.hi;
    Dd {
        hi: s,
        lo: s * (-d.lo).mul_add(s, (-d.hi).mul_add(s, 1.0)),
    }
}

/// `y` with its sign bit flipped where `x`'s is set (SLEEF's `vmulsign`).
#[inline(always)]
fn mulsign(y: f64, x: f64) -> f64 {
    f64::from_bits(y.to_bits() ^ (x.to_bits() & SIGN))
}

/// Estrin's degree-3 step `c3 x^3 + c2 x^2 + c1 x + c0` as SLEEF's `POLY4`.
#[inline(always)]
fn poly4(x: f64, x2: f64, c3: f64, c2: f64, c1: f64, c0: f64) -> f64 {
    x2.mul_add(x.mul_add(c3, c2), x.mul_add(c1, c0))
}

// ---- exp in double-double ------------------------------------------------------------------

/// SLEEF's `expk2`: e^d as a double-double (d a double-double), 0 below -1000.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn expk2(d: Dd) -> Dd {
    let dq = ((d.hi + d.lo) * R_LN2).round_ties_even();
    let q = dq as i32;
    let s = add2_dd_d(d, dq * -L2U);
    let s = add2_dd_d(s, dq * -L2L);
    let s2 = squ(s);
    let s4 = squ(s2);
    let s8 = s4.hi * s4.hi;
    let (x, x2, x4) = (s.hi, s2.hi, s4.hi);
    let u = s8.mul_add(
        x.mul_add(0.1602472219709932072e-9, 0.2092255183563157007e-8),
        x4.mul_add(
            poly4(
                x,
                x2,
                0.2505230023782644465e-7,
                0.2755724800902135303e-6,
                0.2755731892386044373e-5,
                0.2480158735605815065e-4,
            ),
            poly4(
                x,
                x2,
                0.1984126984148071858e-3,
                0.1388888888886763255e-2,
                0.8333333333333347095e-2,
                0.4166666666666669905e-1,
            ),
        ),
    );
    let t = add_d_dd(0.5, mul_dd_d(s, 0.1666666666666666574e+0));
    let t = add_d_dd(1.0, mul_dd_dd(t, s));
    let t = add_d_dd(1.0, mul_dd_dd(t, s));
    let t = add_dd_dd(t, mul_dd_d(s4, u));
    if d.hi < -1000.0 {
        return Dd { hi: 0.0, lo: 0.0 };
    }
    Dd {
        hi: ldexp2(t.hi, q),
        lo: ldexp2(t.lo, q),
    }
}

/// `Sleef_expm1d8_u10` on one lane.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn expm1d(a: f64) -> f64 {
    let d = add2_dd_d(expk2(dd(a)), -1.0);
    let x = d.hi + d.lo;
    if a > 709.782712893383996732223 {
        return f64::INFINITY;
    }
    if a < -36.736800569677101399113302437 {
        return -1.0;
    }
    if a == 0.0 && a.is_sign_negative() {
        return -0.0;
    }
    x
}

/// `Sleef_sinhd8_u10` on one lane: (e^|x| - e^-|x|) / 2 in double-double, sign of `x`.
#[inline(always)]
pub fn sinhd(x: f64) -> f64 {
    let d = expk2(dd(x.abs()));
    let d = sub_dd_dd(d, rec(d));
    let mut y = (d.hi + d.lo) * 0.5;
    if x.abs() > 710.0 || y.is_nan() {
        y = f64::INFINITY;
    }
    if x.is_nan() {
        return f64::from_bits(ALL_ONES_NAN);
    }
    mulsign(y, x)
}

/// `Sleef_coshd8_u10` on one lane: (e^|x| + e^-|x|) / 2 in double-double.
#[inline(always)]
pub fn coshd(x: f64) -> f64 {
    let d = expk2(dd(x.abs()));
    let d = add_dd_dd(d, rec(d));
    let mut y = (d.hi + d.lo) * 0.5;
    if x.abs() > 710.0 || y.is_nan() {
        y = f64::INFINITY;
    }
    if x.is_nan() {
        return f64::from_bits(ALL_ONES_NAN);
    }
    y
}

// ---- log in double-double ------------------------------------------------------------------

/// The polynomial shared by `log1p` (and `logd`): SLEEF's `POLY7` in x^2.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn log_poly7(x2: f64) -> f64 {
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    x8.mul_add(
        x4.mul_add(
            0.1532076988502701353e+0,
            x2.mul_add(0.1525629051003428716e+0, 0.1818605932937785996e+0),
        ),
        poly4(
            x2,
            x4,
            0.2222214519839380009e+0,
            0.2857142932794299317e+0,
            0.3999999999635251990e+0,
            0.6666666666667333541e+0,
        ),
    )
}

/// `1.0 * 2^-e` by adding `-e` to the exponent field (SLEEF's `vldexp3`, wrapping as its
/// 32-bit integer lanes do).
#[inline(always)]
fn ldexp3_one(e: f64) -> f64 {
    let q = (e.round_ties_even() as i32).wrapping_neg();
    let hi = ((1.0f64.to_bits() >> 32) as u32).wrapping_add((q as u32) << 20);
    f64::from_bits(((hi as u64) << 32) | (1.0f64.to_bits() & 0xffff_ffff))
}

/// `Sleef_log1pd8_u10` on one lane (AVX512 build): `1 + d` split by `getexp`, the significand
/// formed without rounding as `d * 2^-e + (2^-e - 1)`, then `logd`'s series.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn log1pd(d: f64) -> f64 {
    let dp1 = d + 1.0;
    let mut e = getexp(dp1 * (1.0 / 0.75));
    if e == f64::INFINITY {
        e = 1024.0;
    }
    let t = ldexp3_one(e);
    let m = d.mul_add(t, t - 1.0);
    let s = mul_dd_d(LN2_DD, e);
    let x = div_dd(dd(m), add_d_d(2.0, m));
    let x2 = x.hi * x.hi;
    let t = log_poly7(x2);
    let s = add_dd_dd(s, scale(x, 2.0));
    let s = add_dd_d(s, x2 * x.hi * t);
    let mut r = s.hi + s.lo;
    // Past 1e307 the core approximation does not apply: SLEEF takes log(d).
    if d > f64::from_bits(0x7fac_7b1f_3cac_7433) {
        r = logd(d);
    }
    if d < -1.0 || d.is_nan() {
        return f64::NAN;
    }
    if d == -1.0 {
        return f64::NEG_INFINITY;
    }
    if d == 0.0 && d.is_sign_negative() {
        return -0.0;
    }
    r
}

// ---- pow -----------------------------------------------------------------------------------

/// SLEEF's `logk`: ln d as a double-double, for `pow`.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn logk(d: f64) -> Dd {
    let mut e = getexp(d * (1.0 / 0.75));
    if e == f64::INFINITY {
        e = 1024.0;
    }
    let m = getmant_p75(d);
    let x = div_dd(add2_d_d(-1.0, m), add2_d_d(1.0, m));
    let x2 = squ(x);
    let (y, x4) = (x2.hi, x2.hi * x2.hi);
    let x8 = x4 * x4;
    let x16 = x8 * x8;
    let t = x16.mul_add(
        0.116255524079935043668677,
        x8.mul_add(
            poly4(
                y,
                x4,
                0.103239680901072952701192,
                0.117754809412463995466069,
                0.13332981086846273921509,
                0.153846227114512262845736,
            ),
            poly4(
                y,
                x4,
                0.181818180850050775676507,
                0.222222222230083560345903,
                0.285714285714249172087875,
                0.400000000000000077715612,
            ),
        ),
    );
    let c = Dd {
        hi: 0.666666666666666629659233,
        lo: 3.80554962542412056336616e-17,
    };
    let s = mul_dd_d(LN2_DD, e);
    let s = add_dd_dd(s, scale(x, 2.0));
    let x = mul_dd_dd(x2, x);
    let s = add_dd_dd(s, mul_dd_dd(x, c));
    let x = mul_dd_dd(x2, x);
    add_dd_dd(s, mul_dd_d(x, t))
}

/// SLEEF's `expk`: e^d for a double-double `d`, rounded once; 0 below -1000.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn expk(d: Dd) -> f64 {
    let dq = ((d.hi + d.lo) * R_LN2).round_ties_even();
    let q = dq as i32;
    let s = add2_dd_d(d, dq * -L2U);
    let s = normalize(add2_dd_d(s, dq * -L2L));
    let x = s.hi;
    let s2 = x * x;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let u = s8.mul_add(
        x.mul_add(2.51069683420950419527139e-08, 2.76286166770270649116855e-07),
        s4.mul_add(
            poly4(
                x,
                s2,
                2.75572496725023574143864e-06,
                2.48014973989819794114153e-05,
                0.000198412698809069797676111,
                0.0013888888939977128960529,
            ),
            poly4(
                x,
                s2,
                0.00833333333332371417601081,
                0.0416666666665409524128449,
                0.166666666666666740681535,
                0.500000000000000999200722,
            ),
        ),
    );
    let t = add_d_dd(1.0, s);
    let t = add_dd_dd(t, mul_dd_d(squ(s), u));
    if d.hi < -1000.0 {
        return 0.0;
    }
    ldexp2(t.hi + t.lo, q)
}

/// `Sleef_powd8_u10` on one lane: e^(y ln|x|) in double-double, with C99's special cases.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn powd(x: f64, y: f64) -> f64 {
    let yisint = y.round_ties_even() == y;
    let yisodd = yisint && (y * 0.5).round_ties_even() != y * 0.5;
    let d = mul_dd_d(logk(x.abs()), y);
    let mut result = expk(d);
    if d.hi > 709.782712893384 {
        result = f64::INFINITY;
    }
    result *= if x > 0.0 {
        1.0
    } else if yisint {
        if yisodd { -1.0 } else { 1.0 }
    } else {
        f64::NAN
    };
    if y.is_infinite() {
        let efx = mulsign(x.abs() - 1.0, y);
        result = if efx < 0.0 {
            0.0
        } else if efx == 0.0 {
            1.0
        } else {
            f64::INFINITY
        };
    }
    if x.is_infinite() || x == 0.0 {
        let base = if y.is_sign_negative() != (x == 0.0) {
            0.0
        } else {
            f64::INFINITY
        };
        result = mulsign(base, if yisodd { x } else { 1.0 });
    }
    if x.is_nan() || y.is_nan() {
        result = f64::from_bits(ALL_ONES_NAN);
    }
    if y == 0.0 || x == 1.0 {
        result = 1.0;
    }
    result
}

// ---- atan2 ---------------------------------------------------------------------------------

/// SLEEF's `atan2k_u1`: atan2(y, x) for y >= 0 as a double-double.
#[inline(always)]
#[allow(clippy::excessive_precision)]
fn atan2k_u1(y: Dd, x: Dd) -> Dd {
    let mut q: i32 = if x.hi < 0.0 { -2 } else { 0 };
    let x = if x.hi < 0.0 {
        Dd {
            hi: -x.hi,
            lo: -x.lo,
        }
    } else {
        x
    };
    if x.hi < y.hi {
        q += 1;
    }
    let (s, t) = if x.hi < y.hi {
        (
            Dd {
                hi: -x.hi,
                lo: -x.lo,
            },
            y,
        )
    } else {
        (y, x)
    };
    let s = div_dd(s, t);
    let t = normalize(squ(s));
    let x1 = t.hi;
    let t2 = x1 * x1;
    let t4 = t2 * t2;
    let t8 = t4 * t4;
    let hi8 = t4.mul_add(
        poly4(
            x1,
            t2,
            1.06298484191448746607415e-05,
            -0.000125620649967286867384336,
            0.00070557664296393412389774,
            -0.00251865614498713360352999,
        ),
        poly4(
            x1,
            t2,
            0.00646262899036991172313504,
            -0.0128281333663399031014274,
            0.0208024799924145797902497,
            -0.0289002344784740315686289,
        ),
    );
    let lo8 = t4.mul_add(
        poly4(
            x1,
            t2,
            0.0359785005035104590853656,
            -0.041848579703592507506027,
            0.0470843011653283988193763,
            -0.0524914210588448421068719,
        ),
        poly4(
            x1,
            t2,
            0.0587946590969581003860434,
            -0.0666620884778795497194182,
            0.0769225330296203768654095,
            -0.0909090442773387574781907,
        ),
    );
    let mut u = t8.mul_add(hi8, lo8);
    u = u.mul_add(x1, 0.111111108376896236538123);
    u = u.mul_add(x1, -0.142857142756268568062339);
    u = u.mul_add(x1, 0.199999999997977351284817);
    u = u.mul_add(x1, -0.333333333333317605173818);
    let t = add_dd_dd(s, mul_dd_d(mul_dd_dd(s, t), u));
    add_dd_dd(
        mul_dd_d(
            Dd {
                hi: 1.570796326794896557998982,
                lo: 6.12323399573676603586882e-17,
            },
            f64::from(q),
        ),
        t,
    )
}

/// `x` where `d` is infinite with `d`'s sign or'ed in, 0 elsewhere (SLEEF's `visinf2`).
#[inline(always)]
fn isinf2(d: f64, m: f64) -> f64 {
    if d.is_infinite() {
        f64::from_bits((d.to_bits() & SIGN) | m.to_bits())
    } else {
        0.0
    }
}

/// `Sleef_atan2d8_u10` on one lane.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn atan2d(y: f64, x: f64) -> f64 {
    use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};
    let (mut x, mut y) = (x, y);
    if x.abs() < 5.5626846462680083984e-309 {
        x *= 9007199254740992.0;
        y *= 9007199254740992.0;
    }
    let d = atan2k_u1(dd(y.abs()), dd(x));
    let mut r = mulsign(d.hi + d.lo, x);
    if x.is_infinite() || x == 0.0 {
        r = FRAC_PI_2 - isinf2(x, mulsign(FRAC_PI_2, x));
    }
    if y.is_infinite() {
        r = FRAC_PI_2 - isinf2(x, mulsign(FRAC_PI_4, x));
    }
    if y == 0.0 {
        r = if x.is_sign_negative() { PI } else { 0.0 };
    }
    if x.is_nan() || y.is_nan() {
        return f64::from_bits(ALL_ONES_NAN);
    }
    mulsign(r, y)
}

// ---- ATen's float64 loops ------------------------------------------------------------------

/// Whether the CPU has AVX2 and FMA (std caches the answer).
#[inline(always)]
fn has_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    return std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma");
    #[cfg(not(target_arch = "x86_64"))]
    false
}

/// `$name`: the kernel `$f` compiled for AVX2+FMA when the CPU has them, so that its
/// multiply-adds are instructions rather than libm's software `fma`. (Passed to a generic
/// loop compiled with those features, the kernels were called out of line, without them.)
macro_rules! lane {
    ($(#[$doc:meta])* $name:ident, $fma:ident, $f:path, ($($a:ident),*)) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $fma($($a: f64),*) -> f64 {
            $f($($a),*)
        }
        $(#[$doc])*
        pub fn $name($($a: f64),*) -> f64 {
            #[cfg(target_arch = "x86_64")]
            if has_fma() {
                // SAFETY: the CPU has the features the function is compiled for.
                return unsafe { $fma($($a),*) };
            }
            $f($($a),*)
        }
    };
}

lane!(/// [`sinhd`] for one element.
    sinh_lane, sinh_fma, sinhd, (x));
lane!(/// [`coshd`] for one element.
    cosh_lane, cosh_fma, coshd, (x));
lane!(/// [`expm1d`] for one element.
    expm1_lane, expm1_fma, expm1d, (x));
lane!(/// [`log1pd`] for one element.
    log1p_lane, log1p_fma, log1pd, (x));
lane!(/// [`powd`] for one pair.
    pow_lane, pow_fma, powd, (x, y));
lane!(/// [`atan2d`] for one pair.
    atan2_lane, atan2_fma, atan2d, (y, x));
lane!(/// ATen's vectorised float64 sigmoid, `1 / (1 + exp(-x))` with SLEEF's `expd`.
    sigmoid_lane, sigmoid_fma, sigmoid_expd, (x));

#[inline(always)]
pub fn sigmoid_expd(x: f64) -> f64 {
    1.0 / (1.0 + super::sleef_f64::expd(-x))
}

/// `cpu_kernel_vec`'s float64 split of a contiguous run: `vector` on the elements of whole
/// steps of two AVX512 vectors (16 doubles), `scalar` (glibc) on the rest.
pub fn vec_steps(
    x: &[f64],
    vector: impl Fn(f64) -> f64,
    scalar: impl Fn(f64) -> f64,
) -> Vec<f64> {
    let vec_end = x.len() - x.len() % VEC_LOOP_F64;
    let mut out = Vec::with_capacity(x.len());
    out.extend(x[..vec_end].iter().map(|&v| vector(v)));
    out.extend(x[vec_end..].iter().map(|&v| scalar(v)));
    out
}

/// A unary float64 op as ATen's TensorIterator walks an input of `shape` whose elements
/// are `x` (row-major) and lie in memory with `strides` (None: contiguous): each element
/// through `vector` where it falls in a whole step of 16 doubles of its loop call, `scalar`
/// (glibc) elsewhere, by TensorIterator's layout and thread chunks (iter_layout.rs). Returns
/// the results row-major.
pub fn aten_unary(
    x: &[f64],
    shape: &[usize],
    strides: Option<&[usize]>,
    vector: impl Fn(f64) -> f64 + Copy,
    scalar: impl Fn(f64) -> f64 + Copy,
) -> Vec<f64> {
    let contiguous = strides.is_none_or(|s| {
        let mut expect = 1;
        shape.iter().zip(s).rev().all(|(&n, &st)| {
            let ok = n == 1 || st == expect;
            expect *= n;
            ok
        })
    });
    if contiguous {
        let mut out = Vec::with_capacity(x.len());
        for part in super::iter_layout::contiguous_calls(x.len()) {
            out.extend(vec_steps(&x[part], vector, scalar));
        }
        return out;
    }
    let strides = strides.unwrap_or_default();
    let mask = super::iter_layout::vector_mask(shape, &[strides], VEC_LOOP_F64);
    x.iter()
        .zip(&mask)
        .map(|(&v, &m)| if m { vector(v) } else { scalar(v) })
        .collect()
}

/// `cpu_kernel_vec`'s float64 split for a binary op over paired elements (`b` of `a`'s length
/// or one element): rows of `row` elements (a broadcast splits the loop into rows), each with
/// whole 16-double steps through `vector` and its tail through `scalar`.
pub fn vec_steps2(
    a: &[f64],
    b: &[f64],
    row: usize,
    vector: impl Fn(f64, f64) -> f64,
    scalar: impl Fn(f64, f64) -> f64,
) -> Vec<f64> {
    let row = row.max(1);
    let vec_end = row - row % VEC_LOOP_F64;
    let mut out = Vec::with_capacity(a.len());
    for (i, &p) in a.iter().enumerate() {
        let q = if b.len() == 1 { b[0] } else { b[i] };
        out.push(if i % row < vec_end {
            vector(p, q)
        } else {
            scalar(p, q)
        });
    }
    out
}
