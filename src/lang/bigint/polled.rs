//! Big-int multiplication and division that ask between steps whether the cell must stop.
//!
//! num-bigint multiplies and divides in one call that cannot be interrupted: near the result
//! size cap a product takes about a second, and a division of a dividend parsed from long hex
//! text (which no cap covers) by a short divisor takes minutes. Here
//! a large product is split Karatsuba-style at the top (three half-size products; an unbalanced
//! one in pieces of the smaller operand's size) down to pieces num-bigint multiplies in tens of
//! milliseconds, and a large division is long division by the divisor, a bounded number of
//! quotient digits per step (as many as the divisor has, for a long one), so the cell's
//! deadline and cancellation are seen within a step.
//! Both return `None` once told to stop: the host raises the stop before any value is seen.

use num_bigint::{BigInt, BigUint};
use num_integer::Integer;
use num_traits::{Signed, Zero};

use super::super::limits::should_stop;

/// Products whose smaller operand has at most this many 32-bit digits (2 Mbit) go to
/// num-bigint whole: about 0.1 s at worst, so the stop is seen at least that often.
const MUL_LEAF: usize = 1 << 16;

/// Quotient digits times divisor digits of one long-division step by a short divisor (about
/// 20 ms of schoolbook work).
const DIV_STEP: u64 = 1 << 26;

/// Quotient digits of one step at least, so that a step's linear costs (shifting the
/// remainder, normalising the divisor) stay small beside its quadratic work.
const DIV_MIN_DIGITS: usize = 64;

fn digits(x: &BigUint) -> usize {
    x.bits().div_ceil(32) as usize
}

/// `a * b`, or `None` once the cell must stop.
pub fn mul(a: &BigInt, b: &BigInt) -> Option<BigInt> {
    let m = mul_mag(a.magnitude(), b.magnitude(), MUL_LEAF)?;
    Some(BigInt::from_biguint(a.sign() * b.sign(), m))
}

/// Python's floor division and modulo of `a` by nonzero `b`, or `None` once the cell must stop.
pub fn div_mod_floor(a: &BigInt, b: &BigInt) -> Option<(BigInt, BigInt)> {
    let (q, r) = div_rem_mag(a.magnitude(), b.magnitude(), DIV_STEP)?;
    let mut q = BigInt::from_biguint(a.sign() * b.sign(), q);
    let mut r = BigInt::from_biguint(a.sign(), r);
    // Truncated to floored: a remainder must take the divisor's sign.
    if !r.is_zero() && r.is_negative() != b.is_negative() {
        q -= 1;
        r += b;
    }
    Some((q, r))
}

/// The low `h` digits of `x` and the rest.
fn split(x: &BigUint, h: usize) -> (BigUint, BigUint) {
    let d = x.to_u32_digits();
    let h = h.min(d.len());
    (BigUint::from_slice(&d[..h]), BigUint::from_slice(&d[h..]))
}

pub fn mul_mag(a: &BigUint, b: &BigUint, leaf: usize) -> Option<BigUint> {
    let (a, b) = if digits(a) >= digits(b) {
        (a, b)
    } else {
        (b, a)
    };
    let (na, nb) = (digits(a), digits(b));
    if nb <= leaf {
        return Some(a * b);
    }
    if should_stop() {
        return None;
    }
    if na >= 2 * nb {
        let d = a.to_u32_digits();
        let mut acc = BigUint::zero();
        for (i, piece) in d.chunks(nb).enumerate() {
            let p = mul_mag(&BigUint::from_slice(piece), b, leaf)?;
            acc += p << (32 * nb * i);
        }
        return Some(acc);
    }
    // Balanced (na < 2 nb, so both halves of b are nonempty): three products of half size.
    let h = na / 2;
    let (a0, a1) = split(a, h);
    let (b0, b1) = split(b, h);
    let z0 = mul_mag(&a0, &b0, leaf)?;
    let z2 = mul_mag(&a1, &b1, leaf)?;
    let z1 = mul_mag(&(&a0 + &a1), &(&b0 + &b1), leaf)? - &z0 - &z2;
    Some((z2 << (64 * h)) + (z1 << (32 * h)) + z0)
}

pub fn div_rem_mag(a: &BigUint, b: &BigUint, step: u64) -> Option<(BigUint, BigUint)> {
    let (na, nb) = (digits(a), digits(b));
    // Quotient digits per step: a bounded amount of schoolbook work for a short divisor; for a
    // long one, as many as the divisor has, since num-bigint's Burnikel–Ziegler division is
    // fastest on such balanced steps (what it does at its own top level): the whole division
    // then costs what one call would, and a step lasts one balanced division.
    let k = usize::try_from(step / nb.max(1) as u64)
        .unwrap_or(usize::MAX)
        .max(nb)
        .max(DIV_MIN_DIGITS);
    if na <= nb.saturating_add(k) {
        return Some(a.div_rem(b));
    }
    let d = a.to_u32_digits();
    let mut r = BigUint::zero();
    // Quotient pieces, most significant first; each holds exactly its step's digits.
    let mut pieces: Vec<Vec<u32>> = Vec::with_capacity(na / k + 1);
    let mut end = d.len();
    while end > 0 {
        if should_stop() {
            return None;
        }
        let start = end.saturating_sub(k);
        // r < b, so this step's quotient fits in end - start digits.
        let cur = (r << (32 * (end - start))) + BigUint::from_slice(&d[start..end]);
        let (q, rest) = cur.div_rem(b);
        let mut qd = q.to_u32_digits();
        qd.resize(end - start, 0);
        pieces.push(qd);
        r = rest;
        end = start;
    }
    let mut qd = Vec::with_capacity(d.len());
    for piece in pieces.iter().rev() {
        qd.extend_from_slice(piece);
    }
    Some((BigUint::new(qd), r))
}
