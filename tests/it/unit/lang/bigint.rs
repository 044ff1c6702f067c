//! Unit tests of `lang::bigint`.

mod polled;

use lessonrun::lang::bigint::*;
use std::borrow::Cow;
use std::cmp::Ordering;
use std::rc::Rc;
use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};
use lessonrun::lang::ast::BinOp;
use lessonrun::lang::error::Exception;
use lessonrun::lang::value::Value;

#[test]
fn floats_round_half_even() {
    // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
    assert_eq!(to_f64(&(BigInt::from(1u64 << 53) + 1)).unwrap(), 9007199254740992.0);
    // Past 64 bits the sticky bit breaks the tie upward.
    let x = (BigInt::from(1) << 100u32) + (BigInt::from(1) << 47u32) + 1;
    assert_eq!(to_f64(&x).unwrap(), 1267650600228229682971679916032.0);
    assert!(to_f64(&(BigInt::from(1) << 1024u32)).is_err());
}

thread_local! {
    static POLLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    static STOP_AT: std::cell::Cell<u32> = const { std::cell::Cell::new(u32::MAX) };
}

/// A stop check that counts its polls and says stop from the `STOP_AT`-th on.
fn counting_stop() -> bool {
    POLLS.set(POLLS.get() + 1);
    POLLS.get() >= STOP_AT.get()
}

/// Installs [`counting_stop`], stopping from poll `n` on.
fn stop_from(n: u32) {
    POLLS.set(0);
    STOP_AT.set(n);
    lessonrun::lang::limits::set_stop_check(Some(counting_stop));
}

#[test]
fn big_powers_poll_the_stop_and_are_charged_first() {
    let three = BigInt::from(3);
    // Never told to stop: the exact power, having asked once per bit of the exponent.
    stop_from(u32::MAX);
    let exact = to_big(&pow(&three, &BigInt::from(1000)).unwrap());
    assert_eq!(exact, Some(num_traits::Pow::pow(&three, 1000u32)));
    assert_eq!(POLLS.get(), 10);
    // Told to stop at the third poll of 3 ** 10**7 (24 bits): it gives up after two steps
    // instead of computing 16 million bits.
    stop_from(3);
    let partial = pow(&three, &BigInt::from(10_000_000)).unwrap();
    assert_eq!(POLLS.get(), 3);
    assert!(matches!(partial, Value::Int(_)), "the power went on past the stop");
    lessonrun::lang::limits::set_stop_check(None);
    // A budget that cannot hold the result: MemoryError before multiplying.
    lessonrun::lang::limits::set_budget_check(Some(|bytes| bytes < 1 << 20));
    let error_of = |r: R<Value>| r.err().map(|e| e.py_type().to_string());
    assert_eq!(error_of(pow(&three, &BigInt::from(10_000_000))).as_deref(), Some("MemoryError"));
    let big = num_traits::Pow::pow(&three, 3_000_000u32);
    assert_eq!(error_of(binary(BinOp::Mul, &big, &big)).as_deref(), Some("MemoryError"));
    assert!(pow(&three, &BigInt::from(100_000)).is_ok());
    lessonrun::lang::limits::set_budget_check(None);
}

#[test]
fn hashes_match_cpython() {
    assert_eq!(hash_i64(-1), -2);
    assert_eq!(hash_big(&(BigInt::from(1) << 64u32)), 8);
    assert_eq!(hash_f64(1.5), 1152921504606846977);
    assert_eq!(hash_f64(2f64.powi(64)), 8);
}

#[test]
fn true_division_is_correctly_rounded() {
    let a = BigInt::from(10).pow(18u32) + 1;
    assert_eq!(true_div(&a, &BigInt::from(3)).unwrap(), 3.333333333333333e17);
    let big = BigInt::from(10).pow(400u32);
    assert_eq!(true_div(&big, &BigInt::from(10).pow(399u32)).unwrap(), 10.0);
    assert_eq!(true_div(&BigInt::from(1), &big).unwrap(), 0.0);
}
