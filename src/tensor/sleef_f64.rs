//! SLEEF's float64 functions as ATen's AVX2/AVX512 kernels call them (`Sleef_expd8_u10`), in
//! our own code after SLEEF's published algorithm (an FMA build): `exp` reduces `d` by a
//! two-part ln 2 to `s` in [-ln2/2, ln2/2], evaluates a degree-10 polynomial in Estrin form,
//! finishes with three FMA steps of Horner form and scales by `2^q` in two halves.

// SLEEF's coefficients, kept with all the digits it publishes (its 1/ln 2 is the closest
// double, `LOG2_E`).
const R_LN2: f64 = std::f64::consts::LOG2_E;
#[allow(clippy::excessive_precision)]
const L2U: f64 = 0.69314718055966295651160180568695068359375;
#[allow(clippy::excessive_precision)]
const L2L: f64 = 0.28235290563031577122588448175013436025525412068e-12;

/// `2^q` for `q` in the normal exponent range, built from its bits.
fn pow2i(q: i32) -> f64 {
    f64::from_bits(((q + 0x3ff) as u64) << 52)
}

/// `d * 2^e` as SLEEF's `vldexp2`: two multiplications by halves of the exponent, so that
/// results just below the normal range round once, as in SLEEF.
fn ldexp2(d: f64, e: i32) -> f64 {
    d * pow2i(e >> 1) * pow2i(e - (e >> 1))
}

/// SLEEF's `expd_u10` (1-ulp `exp` in double). Always inlined, so that callers compiled with
/// FMA (float32 tanh) get its fused multiply-adds as instructions.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub(crate) fn expd(d: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::expd;

    #[test]
    fn exp_is_within_an_ulp_and_handles_the_edges() {
        for i in -7000..7000 {
            let x = i as f64 * 0.1013;
            let (got, want) = (expd(x), x.exp());
            let ulp = (want.to_bits() as i64 - got.to_bits() as i64).abs();
            assert!(ulp <= 1, "exp({x}) = {got}, libm {want}");
        }
        assert_eq!(expd(0.0), 1.0);
        assert_eq!(expd(710.0), f64::INFINITY);
        assert_eq!(expd(-1001.0), 0.0);
        assert!(expd(f64::NAN).is_nan());
    }
}
