//! Unit tests of `check::tolerant`.

use lessonrun::check::tolerant::*;
use std::collections::HashMap;
use lessonrun::check::Tok;

fn eq_within(tol: f64) -> impl Fn(&Tok, &Tok) -> bool {
    move |x: &Tok, y: &Tok| match (x, y) {
        (Tok::Num(x), Tok::Num(y)) => {
            x == y || (x.is_nan() && y.is_nan()) || (x - y).abs() <= tol * x.abs().max(y.abs())
        }
        (Tok::Text(x), Tok::Text(y)) => x == y,
        (Tok::Space, Tok::Space) => true,
        _ => false,
    }
}

/// Comparing from each start: the definition.
fn direct(needle: &[Tok], hay: &[Tok], eq: &impl Fn(&Tok, &Tok) -> bool) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .find(|&at| needle.iter().zip(&hay[at..]).all(|(p, t)| eq(p, t)))
}

/// Small random token streams over a few words and numbers that sit near each other's
/// tolerance boundaries, compared with the definition.
#[test]
fn finds_what_comparing_from_each_start_finds() {
    let state = std::cell::Cell::new(0x9e37_79b9_u32);
    let next = |n: u32| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        state.set(x);
        x % n
    };
    let nums = [
        1.0,
        1.0000009,
        1.0000018,
        1.000002,
        -1.0,
        0.0,
        -0.0,
        2.0,
        f64::NAN,
        f64::INFINITY,
        1e-310,
        3e-310,
    ];
    for round in 0..4000 {
        let tol = [1e-6, 0.0, 0.5, 1.0, 2.0e-6][round % 5];
        let token = |pool: u32| match next(pool) {
            0 => Tok::Text("a"),
            1 => Tok::Text("b"),
            2 => Tok::Space,
            k => Tok::Num(nums[(k as usize - 3) % nums.len()]),
        };
        let pool = if round % 3 == 0 { 15 } else { 6 };
        let needle: Vec<Tok> = (0..1 + next(4)).map(|_| token(pool)).collect();
        let hay: Vec<Tok> = (0..next(24)).map(|_| token(pool)).collect();
        let eq = eq_within(tol);
        assert_eq!(
            find(&needle, &hay, tol, &eq),
            direct(&needle, &hay, &eq),
            "tol {tol}: {needle:?} in {hay:?}"
        );
    }
}

/// The output repeats all of the segment but its last number: comparing from each start
/// takes |output| x |segment| steps (minutes here), classes take one pass.
#[test]
fn a_repeated_prefix_costs_one_pass() {
    let hay: Vec<Tok> = (0..2_000_000)
        .map(|i| {
            if i % 2 == 0 {
                Tok::Num(1.0)
            } else {
                Tok::Text("x")
            }
        })
        .collect();
    let mut needle: Vec<Tok> = hay[..40_000].to_vec();
    needle.push(Tok::Num(2.0));
    let eq = eq_within(1e-3);
    assert_eq!(find(&needle, &hay, 1e-3, &eq), None);
    needle.pop();
    needle.push(Tok::Num(1.0005));
    assert_eq!(find(&needle, &hay, 1e-3, &eq), Some(0));
}
