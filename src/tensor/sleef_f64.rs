//! SLEEF's float64 functions as ATen's AVX2/AVX512 kernels call them (`Sleef_expd8_u10`), in
//! our own code after SLEEF's published algorithm (an FMA build): `exp` reduces `d` by a
//! two-part ln 2 to `s` in [-ln2/2, ln2/2], evaluates a degree-10 polynomial in Estrin form,
//! finishes with three FMA steps of Horner form and scales by `2^q` in two halves. `log`
//! (`Sleef_logd8_u10`) splits `d` with AVX512's `getexp`/`getmant` and sums a degree-7
//! polynomial in double-double arithmetic (value plus rounding error).

// SLEEF's coefficients, kept with all the digits it publishes (its 1/ln 2 is the closest
// double, `LOG2_E`).
pub const R_LN2: f64 = std::f64::consts::LOG2_E;
#[allow(clippy::excessive_precision)]
pub const L2U: f64 = 0.69314718055966295651160180568695068359375;
#[allow(clippy::excessive_precision)]
pub const L2L: f64 = 0.28235290563031577122588448175013436025525412068e-12;

/// `2^q` for `q` in the normal exponent range, built from its bits.
#[inline(always)]
pub(super) fn pow2i(q: i32) -> f64 {
    f64::from_bits(((q + 0x3ff) as u64) << 52)
}

/// `d * 2^e` as SLEEF's `vldexp2`: two multiplications by halves of the exponent, so that
/// results just below the normal range round once, as in SLEEF.
#[inline(always)]
pub fn ldexp2(d: f64, e: i32) -> f64 {
    d * pow2i(e >> 1) * pow2i(e - (e >> 1))
}

/// SLEEF's `expd_u10` (1-ulp `exp` in double). Always inlined, so that callers compiled with
/// FMA (float32 tanh) get its fused multiply-adds as instructions.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub fn expd(d: f64) -> f64 {
    if d.is_nan() {
        return d;
    }
    let u = (d * R_LN2).round_ties_even();
    let q = u as i32;
    let s = u.mul_add(-L2U, d);
    let s = u.mul_add(-L2L, s);
    let s2 = s * s;
    let s4 = s2 * s2;
    let s8 = s4 * s4;
    let p = s8.mul_add(
        s.mul_add(0.2081276378237164457e-8, 0.2511210703042288022e-7),
        s4.mul_add(
            s2.mul_add(
                s.mul_add(0.2755762628169491192e-6, 0.2755723402025388239e-5),
                s.mul_add(0.2480158687479686264e-4, 0.1984126989855865850e-3),
            ),
            s2.mul_add(
                s.mul_add(0.1388888888914497797e-2, 0.8333333333314938210e-2),
                s.mul_add(0.4166666666666602598e-1, 0.1666666666666669072e+0),
            ),
        ),
    );
    let p = p.mul_add(s, 0.5);
    let p = p.mul_add(s, 1.0);
    let p = p.mul_add(s, 1.0);
    if d > f64::from_bits(0x40862e42fefa39ef) {
        return f64::INFINITY;
    }
    if d < -1000.0 {
        return 0.0;
    }
    ldexp2(p, q)
}

/// A double and its rounding error.
#[derive(Clone, Copy)]
pub struct Dd {
    pub(super) hi: f64,
    pub(super) lo: f64,
}

/// `x + y` as a double-double, exact.
#[inline(always)]
pub fn add2_d_d(x: f64, y: f64) -> Dd {
    let s = x + y;
    let v = s - x;
    Dd { hi: s, lo: (x - (s - v)) + (y - v) }
}

/// `x + y` for |x.hi| >= |y.hi|.
#[inline(always)]
pub fn add_dd_dd(x: Dd, y: Dd) -> Dd {
    let s = x.hi + y.hi;
    Dd { hi: s, lo: (((x.hi - s) + y.hi) + x.lo) + y.lo }
}

/// `x + y` for |x.hi| >= |y|.
#[inline(always)]
pub fn add_dd_d(x: Dd, y: f64) -> Dd {
    let s = x.hi + y;
    Dd { hi: s, lo: ((x.hi - s) + y) + x.lo }
}

#[inline(always)]
pub fn mul_dd_d(x: Dd, y: f64) -> Dd {
    let s = x.hi * y;
    Dd { hi: s, lo: x.lo.mul_add(y, x.hi.mul_add(y, -s)) }
}

#[inline(always)]
pub fn div_dd(n: Dd, d: Dd) -> Dd {
    let t = 1.0 / d.hi;
    let s = n.hi * t;
    let u = t.mul_add(n.hi, -s);
    let v = (-d.lo).mul_add(t, (-d.hi).mul_add(t, 1.0));
    Dd { hi: s, lo: s.mul_add(v, n.lo.mul_add(t, u)) }
}

/// AVX512's `getexp`: floor(log2 |p|) as a double, exact for subnormals too.
#[inline(always)]
pub fn getexp(p: f64) -> f64 {
    let b = p.abs().to_bits();
    if b >= 0x7ff0_0000_0000_0000 {
        return f64::INFINITY;
    }
    if b == 0 {
        return f64::NEG_INFINITY;
    }
    let biased = (b >> 52) as i32;
    if biased > 0 {
        f64::from(biased - 0x3ff)
    } else {
        f64::from(63 - b.leading_zeros() as i32 - 1074)
    }
}

/// AVX512's `getmant` into [0.75, 1.5): the significand of `d > 0` as 1.f, halved when f's
/// first bit is set.
#[inline(always)]
pub fn getmant_p75(d: f64) -> f64 {
    let d = if d < f64::MIN_POSITIVE { d * 18446744073709551616.0 } else { d };
    let m = f64::from_bits((d.to_bits() & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m >= 1.5 { m * 0.5 } else { m }
}

/// SLEEF's `logd_u10` on one lane of its AVX512 build, with `vfixupimm`'s special cases:
/// log(±0) = -inf, log(+inf) = +inf, log(<0) = NaN.
#[allow(clippy::excessive_precision)]
pub fn logd(d: f64) -> f64 {
    if d.is_nan() || d < 0.0 {
        return f64::NAN;
    }
    if d == 0.0 {
        return f64::NEG_INFINITY;
    }
    if d == f64::INFINITY {
        return d;
    }
    let mut e = getexp(d * (1.0 / 0.75));
    if e == f64::INFINITY {
        e = 1024.0;
    }
    let m = getmant_p75(d);
    let x = div_dd(add2_d_d(-1.0, m), add2_d_d(1.0, m));
    let x2 = x.hi * x.hi;
    let x4 = x2 * x2;
    let x8 = x4 * x4;
    let t = x8.mul_add(
        x4.mul_add(0.1532076988502701353e+0, x2.mul_add(0.1525629051003428716e+0, 0.1818605932937785996e+0)),
        x4.mul_add(
            x2.mul_add(0.2222214519839380009e+0, 0.2857142932794299317e+0),
            x2.mul_add(0.3999999999635251990e+0, 0.6666666666667333541e+0),
        ),
    );
    let mut s = mul_dd_d(Dd { hi: std::f64::consts::LN_2, lo: 2.319046813846299558417771e-17 }, e);
    s = add_dd_dd(s, Dd { hi: x.hi * 2.0, lo: x.lo * 2.0 });
    s = add_dd_d(s, x2 * x.hi * t);
    s.hi + s.lo
}
