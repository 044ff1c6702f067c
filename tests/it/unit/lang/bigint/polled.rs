//! Unit tests of `lang::bigint::polled`.

use lessonrun::lang::bigint::polled::*;
use num_bigint::{BigInt, BigUint};
use num_integer::Integer;
use num_traits::{Signed, Zero};
use lessonrun::lang::limits::should_stop;
use num_traits::One;

/// A number of `n` 32-bit digits with no pattern a shortcut could exploit.
fn mixed(n: usize, seed: u32) -> BigUint {
    let mut x = seed | 1;
    BigUint::new(
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x
            })
            .collect(),
    )
}

#[test]
fn split_products_equal_num_bigints() {
    for (na, nb) in [(40, 40), (40, 9), (100, 33), (257, 128), (9, 300), (64, 63)] {
        let (a, b) = (mixed(na, 7), mixed(nb, 11));
        assert_eq!(mul_mag(&a, &b, 8), Some(&a * &b), "{na} x {nb} digits");
    }
    let (a, b) = (
        BigInt::from(-3) * BigInt::from(mixed(50, 3)),
        BigInt::from(mixed(60, 5)),
    );
    assert_eq!(mul(&a, &b), Some(&a * &b));
    assert_eq!(mul(&a, &BigInt::zero()), Some(BigInt::zero()));
}

#[test]
fn long_division_equals_num_bigints_floored() {
    for (na, nb, step) in [
        (300, 40, 100),
        (300, 299, 10),
        (1000, 3, 64),
        (129, 64, 1),
        (50, 80, 1),
    ] {
        let (a, b) = (mixed(na, 13), mixed(nb, 17));
        assert_eq!(
            div_rem_mag(&a, &b, step),
            Some(a.div_rem(&b)),
            "{na} / {nb} digits, step {step}"
        );
    }
    let big = BigInt::from(mixed(200, 19));
    for (a, b) in [
        (big.clone(), BigInt::from(-7)),
        (-big.clone(), BigInt::from(7)),
        (-big.clone(), -big.clone() + 1),
        (big.clone(), big.clone()),
    ] {
        assert_eq!(
            div_mod_floor(&a, &b),
            Some(a.div_mod_floor(&b)),
            "{a} / {b}"
        );
    }
    assert_eq!(
        div_mod_floor(&BigInt::one(), &BigInt::from(-2)),
        Some((BigInt::from(-1), BigInt::from(-1)))
    );
}

#[test]
fn both_give_up_when_told_to_stop() {
    lessonrun::lang::limits::set_stop_check(Some(|| true));
    let (a, b) = (mixed(300, 23), mixed(100, 29));
    assert_eq!(mul_mag(&a, &b, 8), None);
    assert_eq!(div_rem_mag(&a, &b, 64), None);
    assert_eq!(div_rem_mag(&mixed(3000, 31), &b, 64), None);
    // Small enough for one num-bigint call: nothing to interrupt.
    assert_eq!(mul_mag(&a, &b, 100), Some(&a * &b));
    lessonrun::lang::limits::set_stop_check(None);
}
