//! float32 `expm1` and `log1p` as ATen computes them on this machine: SLEEF's `expm1f16_u10`
//! and `log1pf16_u10` (AVX512 build, FMA), lane for lane.
//!
//! Which elements take which path was probed in real PyTorch (docs/probes/sleef32_paths.py):
//! both run SLEEF on every element, the partial last vector and strided inputs included (ATen's
//! vml map over contiguous runs). The algorithms follow SLEEF's published source (double-float
//! steps, helpers in sleef.rs); the code is our own.

#![allow(clippy::excessive_precision)]

use super::sleef::{
    Df, add_df_df, add_df_f, add_f_df, add2_df_df, add2_df_f, df, div, getexp, ldexp3, logf_u10,
    mul_df_df, mul_df_f, scale, squ,
};

/// ln 2 as a double-float.
const LN2: Df = df(0.69314718246459960938, -1.904654323148236017e-09);

/// `vrint_vi2_vf` of an integer-valued float: out-of-range values and NaN give `i32::MIN`.
#[inline(always)]
fn rint_i32(e: f32) -> i32 {
    if e.abs() < 2147483648.0 {
        e.round_ties_even() as i32
    } else {
        i32::MIN
    }
}

/// `2^q` built in the exponent field (SLEEF's `vpow2i`), for `q` in the normal range.
#[inline(always)]
fn pow2i(q: i32) -> f32 {
    f32::from_bits((q.wrapping_add(0x7f) as u32) << 23)
}

/// `d·2^e` as two exact scalings (SLEEF's `vldexp2`).
#[inline(always)]
fn ldexp2(d: f32, e: i32) -> f32 {
    d * pow2i(e >> 1) * pow2i(e - (e >> 1))
}

/// `exp(d)` as a double-float (SLEEF's `expk2f`): `q = rint(d/ln2)`, the reduced argument in
/// double-float, a degree-7 polynomial whose last three terms are summed in double-float.
#[inline(always)]
fn expk2f(d: Df) -> Df {
    const R_LN2: f32 = std::f32::consts::LOG2_E;
    const L2U: f32 = 0.693145751953125;
    const L2L: f32 = 1.428606765330187045e-06;
    let q = rint_i32(((d.hi + d.lo) * R_LN2).round_ties_even());
    let mut s = add2_df_f(d, q as f32 * -L2U);
    s = add2_df_f(s, q as f32 * -L2L);
    let mut u = 0.1980960224e-3f32;
    for c in [0.1394256484e-2f32, 0.8333456703e-2, 0.4166637361e-1] {
        u = u.mul_add(s.hi, c);
    }
    let mut t = add2_df_f(mul_df_f(s, u), 0.166666659414234244790680580464);
    t = add2_df_f(mul_df_df(s, t), 0.5);
    t = add2_df_df(s, mul_df_df(squ(s), t));
    t = add_f_df(1.0, t);
    if d.hi < -104.0 {
        return df(0.0, 0.0);
    }
    df(ldexp2(t.hi, q), ldexp2(t.lo, q))
}

/// `Sleef_expm1f16_u10` on one lane: `exp(a) - 1` within 1 ulp.
#[inline(always)]
pub fn expm1f_u10(a: f32) -> f32 {
    let d = add2_df_f(expk2f(df(a, 0.0)), -1.0);
    let x = d.hi + d.lo;
    if a > 88.72283172607421875 {
        f32::INFINITY
    } else if a < -16.635532333438687426013570 {
        -1.0
    } else if a == 0.0 && a.is_sign_negative() {
        -0.0
    } else {
        x
    }
}

/// Past this SLEEF's `log1pf` takes `logf` (1.0e38: `1 + d` would be too close to overflow).
const LOG1PF_BOUND: f32 = 1.0e38;

/// `Sleef_log1pf16_u10` on one lane: `log(1 + d)` within 1 ulp. `1 + d` is split as
/// `2^e·(1 + m)` with `m` computed from `d` itself (no rounding of `1 + d`), then the
/// `atanh` series in `x = m/(2 + m)`.
#[inline(always)]
pub fn log1pf_u10(d: f32) -> f32 {
    // The core path runs for every input and the special cases are selected after it, so
    // that a loop over this has no early exits to keep it from vectorising.
    let dp1 = d + 1.0;
    let mut e = getexp(dp1 * (1.0 / 0.75));
    if e == f32::INFINITY {
        e = 128.0;
    }
    let t = ldexp3(1.0, rint_i32(e).wrapping_neg());
    let m = d.mul_add(t, t - 1.0);
    let mut s = mul_df_f(LN2, e);
    let x = div(df(m, 0.0), add_f_f(2.0, m));
    let x2 = x.hi * x.hi;
    let p = 0.3027294874f32.mul_add(x2, 0.3996108174).mul_add(x2, 0.6666694880);
    s = add_df_df(s, scale(x, 2.0));
    s = add_df_f(s, x2 * x.hi * p);
    let r = if d > LOG1PF_BOUND { logf_u10(d) } else { s.hi + s.lo };
    if d.is_nan() || d < -1.0 {
        f32::NAN
    } else if d == -1.0 {
        f32::NEG_INFINITY
    } else if d == 0.0 {
        d
    } else {
        r
    }
}

/// `x + y` as a double-float, for |x| >= |y| (SLEEF's `dfadd_vf2_vf_vf`).
#[inline(always)]
fn add_f_f(x: f32, y: f32) -> Df {
    let s = x + y;
    df(s, (x - s) + y)
}

/// One of the functions this module computes over slices.
#[derive(Clone, Copy)]
enum Func {
    Expm1,
    Log1p,
}

impl Func {
    #[inline(always)]
    fn eval(self, v: f32) -> f32 {
        match self {
            Func::Expm1 => expm1f_u10(v),
            Func::Log1p => log1pf_u10(v),
        }
    }
}

/// `f` over `x` into `out`.
#[inline(always)]
fn map_into(f: Func, x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f.eval(v);
    }
}

/// [`map_into`] compiled with FMA instructions where the CPU has them: the formulas fuse
/// either way (same bits), but without the feature each fusion is a call to `fmaf`.
fn map_fma(f: Func, x: &[f32], out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(f: Func, x: &[f32], out: &mut [f32]) {
            map_into(f, x, out)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(f, x, out) };
    }
    map_into(f, x, out)
}

/// float32 `torch.expm1` of contiguous elements: SLEEF on every element.
pub fn expm1(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    map_fma(Func::Expm1, x, &mut out);
    out
}

/// float32 `torch.log1p` of contiguous elements: SLEEF on every element.
pub fn log1p(x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    map_fma(Func::Log1p, x, &mut out);
    out
}
