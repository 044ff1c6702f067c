//! float32 `sin`/`cos` as MKL VML's `vsSin`/`vsCos` (HA) compute them, bit for bit on x86-64.
//!
//! MKL is closed source; the algorithm was inferred from exhaustive sweeps against `torch.sin`
//! (see tests/it/unit/tensor/testdata/gen_vml_sin.py and docs/divergences-differential.md, "MKL vsSin"): the float is
//! widened to double, reduced modulo pi (`x = n*pi + r`, |r| <= pi/2), and an odd degree-9
//! polynomial in `r`, evaluated in double, is rounded once to float32. The polynomial's error
//! (up to ~0.09 ulp of the float32 result) is what makes MKL differ from the correctly rounded
//! sine on ~5% of inputs, so its coefficients had to be recovered, not derived: they were fitted
//! by linear programming to every float32 input of [-110, 110] and match all but 2 of them.
//! `cos(x)` is the same polynomial on `x - (n - 1/2)*pi`.

/// MKL switches to another algorithm for |x| > 10000 (about 5% of results there differ from this
/// one, as many as from glibc), which was not probed, so glibc's answer is kept there.
const MAX_REDUCED: f64 = 1.0e4;

const INV_PI: f64 = f64::from_bits(0x3fd4_5f30_6dc9_c883);
// pi in three parts: P1 and P2 keep 30 significant bits, so n*P1 and n*P2 are exact for
// |n| < 2^23 and the reduced argument is accurate to the last bit of a double.
const P1: f64 = f64::from_bits(0x4009_21fb_5480_0000);
const P2: f64 = f64::from_bits(0xbe1d_e973_dc80_0000);
const P3: f64 = f64::from_bits(0xbc29_d9cc_eba3_f91f);

const C3: f64 = f64::from_bits(0xbfc5_5554_bc83_6495);
const C5: f64 = f64::from_bits(0x3f81_10ed_3804_b758);
const C7: f64 = f64::from_bits(0xbf29_f6ff_eea6_a7e6);
const C9: f64 = f64::from_bits(0x3ec5_dbdf_0e64_4601);

/// MKL's polynomial for sin(r), |r| <= pi/2, in the evaluation order that reproduces it.
fn poly(r: f64) -> f64 {
    let r2 = r * r;
    let p = ((C9 * r2 + C7) * r2 + C5) * r2 + C3;
    r + r * r2 * p
}

/// `(-1)^n * poly(x - m*pi)`, with `m` = `n` for sin and `n - 1/2` for cos.
fn reduced(x: f64, n: f64, m: f64) -> f32 {
    let r = ((x - m * P1) - m * P2) - m * P3;
    let v = poly(r);
    let v = if (n as i64) & 1 == 0 { v } else { -v };
    v as f32
}

pub fn sin_f32(x: f32) -> f32 {
    let xd = f64::from(x);
    // Zero keeps its sign (the reduction would turn -0 into +0); NaN and inf go to glibc (NaN).
    if x == 0.0 || x.is_nan() || xd.abs() > MAX_REDUCED {
        return x.sin();
    }
    let n = (xd * INV_PI).round_ties_even();
    reduced(xd, n, n)
}

pub fn cos_f32(x: f32) -> f32 {
    let xd = f64::from(x);
    if x.is_nan() || xd.abs() > MAX_REDUCED {
        return x.cos();
    }
    let n = (xd * INV_PI + 0.5).round_ties_even();
    reduced(xd, n, n - 0.5)
}
