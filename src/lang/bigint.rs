//! Python's unbounded int beyond the i64 fast path: arithmetic on num-bigint, exact int/float
//! conversion and comparison, CPython's numeric hash, and decimal text under the digit limit.
//!
//! `Value::Int(i64)` stays the representation of every int that fits; `Value::BigInt` holds only
//! values outside i64, so `norm` is applied to every big result.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::ast::BinOp;
use super::error::Exception;
use super::value::Value;

pub mod polled;

pub type R<T> = Result<T, Exception>;

/// CPython 3.11's default `sys.get_int_max_str_digits()`.
pub const MAX_STR_DIGITS: usize = 4300;

/// The most bits one result may have: CPython would grind for minutes and then run out of
/// memory far above any lesson's needs; we raise its MemoryError before allocating.
const MAX_BITS: u64 = 1 << 24;

/// A big result as a Python int: back on the fast path whenever it fits in i64.
pub fn norm(b: BigInt) -> Value {
    match b.to_i64() {
        Some(i) => Value::Int(i),
        None => Value::BigInt(Rc::new(b)),
    }
}

/// The exact integer of an int, bool or big int; None for anything else.
pub fn to_big(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::Bool(b) => Some(BigInt::from(*b as i64)),
        Value::BigInt(b) => Some((**b).clone()),
        _ => None,
    }
}

/// The exact integer of an int-like value without copying a big int's digits.
pub fn big_ref(v: &Value) -> Option<Cow<'_, BigInt>> {
    match v {
        Value::BigInt(b) => Some(Cow::Borrowed(&**b)),
        Value::Int(i) => Some(Cow::Owned(BigInt::from(*i))),
        Value::Bool(b) => Some(Cow::Owned(BigInt::from(*b as i64))),
        _ => None,
    }
}

/// Whether `v` is a Python int (bools included).
pub fn is_int(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Bool(_) | Value::BigInt(_))
}

fn memory_error() -> Exception {
    Exception::new("MemoryError", "")
}

pub fn too_large_for_float() -> Exception {
    Exception::new("OverflowError", "int too large to convert to float")
}

/// The error CPython raises where a big int is used as a length, count or index.
pub fn index_overflow() -> Exception {
    Exception::new("OverflowError", "cannot fit 'int' into an index-sized integer")
}

/// `a op b` on exact integers (the i64 path promotes here on overflow).
pub fn binary(op: BinOp, a: &BigInt, b: &BigInt) -> R<Value> {
    Ok(match op {
        BinOp::Add => norm(a + b),
        BinOp::Sub => norm(a - b),
        BinOp::Mul => {
            if a.bits() + b.bits() > MAX_BITS {
                return Err(memory_error());
            }
            charge(a.bits() + b.bits())?;
            // Once told to stop it has no product; the host raises the stop before anything
            // can see the placeholder.
            polled::mul(a, b).map_or(Value::Int(0), norm)
        }
        BinOp::Div => Value::Float(true_div(a, b)?),
        BinOp::FloorDiv => {
            if b.is_zero() {
                return Err(Exception::new("ZeroDivisionError", "integer division or modulo by zero"));
            }
            check_divisor(a, b)?;
            polled::div_mod_floor(a, b).map_or(Value::Int(0), |(q, _)| norm(q))
        }
        BinOp::Mod => {
            if b.is_zero() {
                return Err(Exception::new("ZeroDivisionError", "integer modulo by zero"));
            }
            check_divisor(a, b)?;
            polled::div_mod_floor(a, b).map_or(Value::Int(0), |(_, r)| norm(r))
        }
        BinOp::Pow => return pow(a, b),
        BinOp::LShift => {
            if b.is_negative() {
                return Err(Exception::value_error("negative shift count"));
            }
            if a.is_zero() {
                return Ok(Value::Int(0));
            }
            match b.to_u64() {
                Some(s) if a.bits().saturating_add(s) <= MAX_BITS => {
                    charge(a.bits() + s)?;
                    norm(a << s)
                }
                _ => return Err(memory_error()),
            }
        }
        BinOp::RShift => {
            if b.is_negative() {
                return Err(Exception::value_error("negative shift count"));
            }
            match b.to_u64() {
                // num-bigint shifts negative values toward -inf, as Python does.
                Some(s) if s < a.bits() => norm(a >> s),
                _ => Value::Int(if a.is_negative() { -1 } else { 0 }),
            }
        }
        BinOp::BitAnd => norm(a & b),
        BinOp::BitOr => norm(a | b),
        BinOp::BitXor => norm(a ^ b),
        BinOp::MatMul => {
            return Err(Exception::type_error("unsupported operand type(s) for @: 'int' and 'int'"));
        }
    })
}

/// `a ** b` for ints: exact for b >= 0, a float for b < 0 (as CPython).
pub fn pow(a: &BigInt, b: &BigInt) -> R<Value> {
    if b.is_negative() {
        if a.is_zero() {
            return Err(Exception::new("ZeroDivisionError", "0.0 cannot be raised to a negative power"));
        }
        let x = to_f64(a)?;
        let y = to_f64(b)?;
        return Ok(Value::Float(x.powf(y)));
    }
    if a.is_zero() || a.is_one() {
        return Ok(norm(if b.is_zero() { BigInt::one() } else { a.clone() }));
    }
    if a == &BigInt::from(-1) {
        return Ok(Value::Int(if b.is_even() { 1 } else { -1 }));
    }
    let e = match b.to_u64() {
        Some(e) if e.saturating_mul(a.bits().saturating_sub(1)) <= MAX_BITS => e,
        _ => return Err(memory_error()),
    };
    let e = u32::try_from(e).map_err(|_| memory_error())?;
    charge(u64::from(e).saturating_mul(a.bits()))?;
    Ok(norm(pow_polled(a, e)))
}

/// Before a floor division or modulo: the memory it needs, and the size cap on divisors (a
/// division steps through the dividend by balanced divisions the divisor's size, each of which
/// cannot be interrupted; within the cap one takes about a second).
fn check_divisor(a: &BigInt, b: &BigInt) -> R<()> {
    if b.bits() > MAX_BITS && a.bits() >= b.bits() {
        return Err(memory_error());
    }
    charge(a.bits() + b.bits())
}

/// `MemoryError` unless a result of `bits` fits the lesson's memory budget, checked before the
/// arithmetic allocates it: the result, the operands' copies and num-bigint's scratch for
/// Karatsuba and Toom-3 are each about the result's size, so four of it are charged.
fn charge(bits: u64) -> R<()> {
    super::limits::check_alloc(u128::from(bits / 8 + 1) * 4)
}

/// `a ** e` by squaring from the top bit of `e`, asking between steps whether the cell must
/// stop: near the size cap one power takes seconds; the large squarings also ask inside
/// (`polled::mul`). Once told to stop it returns what it has; the host raises the stop before
/// anything can see that value.
fn pow_polled(a: &BigInt, e: u32) -> BigInt {
    let mut acc = BigInt::one();
    for i in (0..u32::BITS - e.leading_zeros()).rev() {
        if super::limits::should_stop() {
            break;
        }
        let Some(square) = polled::mul(&acc, &acc) else { break };
        acc = square;
        if (e >> i) & 1 == 1 {
            acc *= a;
        }
    }
    acc
}

/// `pow(b, e, m)` for ints, including modular inverses for negative exponents.
pub fn pow_mod(b: &BigInt, e: &BigInt, m: &BigInt) -> R<Value> {
    if m.is_zero() {
        return Err(Exception::value_error("pow() 3rd argument cannot be 0"));
    }
    let mm = m.abs();
    let mut base = b.mod_floor(&mm);
    let mut e = e.clone();
    if e.is_negative() {
        base = mod_inverse(&base, &mm).ok_or_else(|| Exception::value_error("base is not invertible for the given modulus"))?;
        e = -e;
    }
    let r = base.modpow(&e, &mm);
    // The result takes the modulus' sign, as `%` does.
    let r = if m.is_negative() && !r.is_zero() { r + m } else { r };
    Ok(norm(r))
}

fn mod_inverse(a: &BigInt, m: &BigInt) -> Option<BigInt> {
    let (mut r0, mut r1) = (m.clone(), a.clone());
    let (mut t0, mut t1) = (BigInt::zero(), BigInt::one());
    while !r1.is_zero() {
        let q = &r0 / &r1;
        (r0, r1) = (r1.clone(), &r0 - &q * &r1);
        (t0, t1) = (t1.clone(), &t0 - &q * &t1);
    }
    if !r0.is_one() {
        return None;
    }
    Some(t0.mod_floor(m))
}

/// 2^e as f64 for e in the normal exponent range.
fn pow2(e: i64) -> f64 {
    debug_assert!((-1022..=1023).contains(&e));
    f64::from_bits(((e + 1023) as u64) << 52)
}

/// x * 2^e for an x whose rounding is already done (the product is exact unless it overflows).
fn ldexp(mut x: f64, mut e: i64) -> f64 {
    while e > 1000 {
        x *= pow2(1000);
        e -= 1000;
        if x.is_infinite() {
            return x;
        }
    }
    while e < -1000 {
        x *= pow2(-1000);
        e += 1000;
    }
    x * pow2(e)
}

/// `float(i)`, correctly rounded (half to even); OverflowError past the float range.
pub fn to_f64(b: &BigInt) -> R<f64> {
    let bits = b.bits();
    let mag = b.magnitude();
    let f = if bits <= 64 {
        mag.to_u64().unwrap_or(0) as f64
    } else {
        // The top 64 bits with a sticky bit for the rest: u64 -> f64 then rounds exactly once.
        let drop = bits - 64;
        let top = (mag >> drop).to_u64().unwrap_or(0);
        let sticky = mag.trailing_zeros().is_some_and(|z| z < drop);
        if bits > 1024 {
            return Err(too_large_for_float());
        }
        ldexp((top | sticky as u64) as f64, drop as i64)
    };
    if f.is_infinite() {
        return Err(too_large_for_float());
    }
    Ok(if b.is_negative() { -f } else { f })
}

/// The float of an int-like value (int, bool, big int), None for other values.
pub fn int_to_f64(v: &Value) -> Option<R<f64>> {
    match v {
        Value::Int(i) => Some(Ok(*i as f64)),
        Value::Bool(b) => Some(Ok(*b as i64 as f64)),
        Value::BigInt(b) => Some(to_f64(b)),
        _ => None,
    }
}

/// The exact integer value of a finite float with no fractional part.
pub fn from_integral_f64(f: f64) -> BigInt {
    if (-9.2e18..9.2e18).contains(&f) {
        return BigInt::from(f as i64);
    }
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mant = (bits & ((1 << 52) - 1)) | (1 << 52);
    // |f| >= 9.2e18 means exp > 0: the value is mant * 2^exp exactly.
    let m = BigInt::from(mant) << (exp.max(0) as u64);
    if f < 0.0 { -m } else { m }
}

/// `int(f)`: truncation toward zero, exact for any finite float.
pub fn float_to_int(f: f64) -> R<Value> {
    if f.is_nan() {
        return Err(Exception::value_error("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(Exception::new("OverflowError", "cannot convert float infinity to integer"));
    }
    let t = f.trunc();
    if (-9.2e18..9.2e18).contains(&t) {
        return Ok(Value::Int(t as i64));
    }
    Ok(norm(from_integral_f64(t)))
}

/// `a / b` for ints, correctly rounded as CPython's long_true_divide.
pub fn true_div(a: &BigInt, b: &BigInt) -> R<f64> {
    const MANT: i64 = 53;
    const MIN_EXP: i64 = -1021;
    const MAX_EXP: i64 = 1024;
    if b.is_zero() {
        return Err(Exception::new("ZeroDivisionError", "division by zero"));
    }
    let neg = a.is_negative() != b.is_negative();
    let sign = |x: f64| if neg { -x } else { x };
    if a.is_zero() {
        return Ok(sign(0.0));
    }
    let (am, bm) = (a.magnitude(), b.magnitude());
    if am.bits() <= MANT as u64 && bm.bits() <= MANT as u64 {
        // Both operands are exact floats: IEEE division rounds once.
        let (x, y) = (am.to_u64().unwrap_or(0) as f64, bm.to_u64().unwrap_or(0) as f64);
        return Ok(sign(x / y));
    }
    let diff = am.bits() as i64 - bm.bits() as i64;
    if diff > MAX_EXP {
        return Err(Exception::new("OverflowError", "integer division result too large for a float"));
    }
    if diff < MIN_EXP - MANT - 1 {
        return Ok(sign(0.0));
    }
    // Scale so the quotient has MANT + 2 or MANT + 3 bits (fewer for subnormal results).
    let shift = diff.max(MIN_EXP) - MANT - 2;
    let mut inexact = false;
    let x = if shift <= 0 {
        am << ((-shift) as u64)
    } else {
        inexact = am.trailing_zeros().is_some_and(|z| z < shift as u64);
        am >> (shift as u64)
    };
    let (q, r) = x.div_rem(bm);
    inexact |= !r.is_zero();
    let q_bits = q.bits() as i64;
    let mut q = q.to_u64().unwrap_or(0);
    // Round to MANT bits (or the subnormal precision) half to even, inexact as a sticky bit.
    let extra = (q_bits.max(MIN_EXP - shift)) - MANT;
    let mask = 1u64 << (extra - 1);
    let low = q | inexact as u64;
    if low & mask != 0 && low & (3 * mask - 1) != 0 {
        q += mask;
    }
    q &= !(2 * mask - 1);
    let dx = q as f64;
    if shift + q_bits >= MAX_EXP && (shift + q_bits > MAX_EXP || dx == ldexp(1.0, q_bits)) {
        return Err(Exception::new("OverflowError", "integer division result too large for a float"));
    }
    Ok(sign(ldexp(dx, shift)))
}

/// `int op float` ordering, exact as CPython (no rounding of the int); None against NaN.
pub fn cmp_int_float(i: &Value, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 { Ordering::Less } else { Ordering::Greater });
    }
    let fl = f.floor();
    let o = match i {
        Value::Int(_) | Value::Bool(_) if (-9.2e18..9.2e18).contains(&fl) => {
            i.as_int().unwrap_or(0).cmp(&(fl as i64))
        }
        _ => to_big(i)?.cmp(&from_integral_f64(fl)),
    };
    // Equal integer parts: a fractional part puts the float above.
    Some(if o == Ordering::Equal && f > fl { Ordering::Less } else { o })
}

/// The Mersenne prime CPython reduces numeric hashes by.
const HASH_MODULUS: u64 = (1 << 61) - 1;

fn finish_hash(h: i64) -> i64 {
    if h == -1 { -2 } else { h }
}

/// CPython's `hash(i)` for an i64.
pub fn hash_i64(i: i64) -> i64 {
    let m = i.unsigned_abs();
    // Dict keys are mostly small ints: skip the division when there is nothing to reduce.
    let m = if m < HASH_MODULUS { m } else { m % HASH_MODULUS } as i64;
    finish_hash(if i < 0 { -m } else { m })
}

/// CPython's `hash(i)` for a big int: |i| mod 2^61-1 with i's sign.
pub fn hash_big(b: &BigInt) -> i64 {
    let m = (b.magnitude() % HASH_MODULUS).to_i64().unwrap_or(0);
    finish_hash(if b.is_negative() { -m } else { m })
}

/// CPython's `hash(f)` (_Py_HashDouble) for non-NaN floats: equal to the hash of an equal int.
pub fn hash_f64(f: f64) -> i64 {
    if f.is_infinite() {
        return if f > 0.0 { 314159 } else { -314159 };
    }
    if f == 0.0 {
        return 0;
    }
    let (mut m, mut e) = frexp(f.abs());
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & HASH_MODULUS) | (x >> (61 - 28));
        m *= 268435456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= HASH_MODULUS {
            x -= HASH_MODULUS;
        }
    }
    let e = if e >= 0 { e % 61 } else { 61 - 1 - ((-1 - e) % 61) };
    x = ((x << e) & HASH_MODULUS) | (x >> (61 - e));
    let h = x as i64;
    finish_hash(if f < 0.0 { -h } else { h })
}

/// C's frexp for positive finite x: (m, e) with x = m * 2^e and 0.5 <= m < 1.
fn frexp(x: f64) -> (f64, i64) {
    let bits = x.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * pow2(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

/// frexp of a positive big int: (m, e) with i ~ m * 2^e, 0.5 <= m < 1, m correctly rounded.
pub fn frexp_big(b: &BigInt) -> (f64, i64) {
    let bits = b.bits();
    let mag = b.magnitude();
    let (top, drop) = if bits > 64 { ((mag >> (bits - 64)).to_u64().unwrap_or(0), bits - 64) } else { (mag.to_u64().unwrap_or(0), 0) };
    let sticky = drop > 0 && mag.trailing_zeros().is_some_and(|z| z < drop);
    // The 64-bit window holds the top bit at position (bits - drop - 1); scale it to [0.5, 1).
    let m = ldexp((top | sticky as u64) as f64, -((bits - drop) as i64));
    if m == 1.0 { (0.5, bits as i64 + 1) } else { (m, bits as i64) }
}

/// The number of decimal digits of |b| (b nonzero or zero alike).
fn decimal_digits_exceed(b: &BigInt, limit: usize) -> bool {
    // bits * log10(2) bounds the digit count within one; decide exactly only near the limit.
    let bits = b.bits() as f64;
    let approx = bits * std::f64::consts::LOG10_2;
    if approx < limit as f64 - 2.0 {
        return false;
    }
    if approx > limit as f64 + 2.0 {
        return true;
    }
    b.magnitude().to_string().len() > limit
}

fn str_limit_error() -> Exception {
    Exception::value_error(format!(
        "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit"
    ))
}

/// `str(b)`: decimal, refused past CPython's 4300-digit limit.
pub fn to_decimal(b: &BigInt) -> R<String> {
    if decimal_digits_exceed(b, MAX_STR_DIGITS) {
        return Err(str_limit_error());
    }
    Ok(b.to_string())
}

/// The magnitude's digits in `radix` (lowercase), refusing decimal text past the limit.
pub fn magnitude_digits(b: &BigInt, radix: u32) -> R<String> {
    if radix == 10 && decimal_digits_exceed(b, MAX_STR_DIGITS) {
        return Err(str_limit_error());
    }
    Ok(b.magnitude().to_str_radix(radix))
}

/// `int(text, base)` digits (already stripped of sign, prefix and underscores) in a valid base.
/// None when a digit is invalid for the base.
pub fn parse_digits(digits: &str, base: u32, neg: bool) -> R<Option<Value>> {
    if !base.is_power_of_two() && digits.len() > MAX_STR_DIGITS {
        return Err(Exception::value_error(format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion: value has {} digits; use sys.set_int_max_str_digits() to increase the limit",
            digits.len()
        )));
    }
    if let Ok(v) = i64::from_str_radix(digits, base) {
        return Ok(Some(Value::Int(if neg { -v } else { v })));
    }
    if !digits.chars().all(|c| c.is_digit(base)) {
        return Ok(None);
    }
    let Some(b) = BigInt::parse_bytes(digits.as_bytes(), base) else { return Ok(None) };
    Ok(Some(norm(if neg { -b } else { b })))
}

/// Round `i` to a multiple of 10^-nd (nd < 0), half to even: `round(i, nd)`.
pub fn round_int(i: &BigInt, nd: i64) -> Value {
    let Ok(k) = u32::try_from(nd.unsigned_abs()) else { return Value::Int(0) };
    // Past the number's own size every digit rounds away.
    if k as f64 > (i.bits() as f64) * std::f64::consts::LOG10_2 + 2.0 {
        return Value::Int(0);
    }
    let p = num_traits::Pow::pow(BigInt::from(10), k);
    let (q, r) = i.div_mod_floor(&p);
    let twice: BigInt = &r * 2u32;
    let up = match twice.cmp(&p) {
        Ordering::Greater => true,
        Ordering::Equal => q.is_odd(),
        Ordering::Less => false,
    };
    norm((if up { q + 1 } else { q }) * p)
}

/// `math.isqrt(n)` for n >= 0.
pub fn isqrt(n: &BigInt) -> Value {
    norm(n.sqrt())
}

/// n! by a product tree (balanced multiplications stay fast for large n).
pub fn factorial(n: u64) -> R<Value> {
    // log2(n!) ~ n log2 n: refuse what would exceed the result size cap.
    if n > 20 && (n as f64) * (n as f64).log2() > MAX_BITS as f64 {
        return Err(memory_error());
    }
    charge(((n as f64) * (n as f64).max(2.0).log2()) as u64)?;
    Ok(norm(range_product(1, n)))
}

/// lo * (lo+1) * ... * hi (1 when empty).
pub fn range_product(lo: u64, hi: u64) -> BigInt {
    if lo > hi {
        return BigInt::one();
    }
    if hi - lo < 16 {
        let mut acc = BigInt::one();
        let mut small: u64 = 1;
        for k in lo..=hi {
            match small.checked_mul(k) {
                Some(s) => small = s,
                None => {
                    acc *= small;
                    small = k;
                }
            }
        }
        return acc * small;
    }
    let mid = lo + (hi - lo) / 2;
    range_product(lo, mid) * range_product(mid + 1, hi)
}

/// The sign of an int-like value.
pub fn sign_of(v: &Value) -> Ordering {
    match v {
        Value::BigInt(b) => match b.sign() {
            Sign::Minus => Ordering::Less,
            Sign::NoSign => Ordering::Equal,
            Sign::Plus => Ordering::Greater,
        },
        other => other.as_int().unwrap_or(0).cmp(&0),
    }
}
