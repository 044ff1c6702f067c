//! Per-element cost of the float64 kernels this branch put on ATen's path (SLEEF's sinh,
//! cosh, expm1, log1p, pow, atan2 and the sigmoid's exp, split as `vec_steps` splits them)
//! against the glibc functions they replaced, on 1,000,000 doubles, best of 7 rounds.
//! Build and run (from the repository root):
//!   rustc --edition 2024 -O bench/sleef64/kernels.rs -o /tmp/sleef64_kernels && /tmp/sleef64_kernels
#![allow(dead_code)]
mod kernels {
    pub(crate) const VEC_LOOP_F64: usize = 16;
}
mod tensor {
    pub(crate) mod recorded {
        pub(crate) fn replay64(_: &str, _: usize, _: impl FnMut(&str, &[u64]) -> Option<String>) {}
        pub(crate) fn same64(_: f64, _: u64) -> bool {
            true
        }
    }
}
#[path = "../../src/tensor/sleef_f64.rs"]
mod sleef_f64;
#[path = "../../src/tensor/sleef_f64_dd.rs"]
mod sleef_f64_dd;

use sleef_f64_dd::{
    atan2_lane, cosh_lane, expm1_lane, log1p_lane, pow_lane, sigmoid_lane, sinh_lane, vec_steps,
    vec_steps2,
};
use std::hint::black_box;
use std::time::Instant;

fn best(f: &dyn Fn() -> Vec<f64>) -> f64 {
    (0..7)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let n = 1_000_000;
    let x: Vec<f64> = (0..n).map(|_| (rnd() * 2.0 - 1.0) * 6.0).collect();
    let b: Vec<f64> = (0..n).map(|_| rnd() * 5.0).collect();
    let glibc = |f: fn(f64) -> f64, v: &[f64]| v.iter().map(|&a| f(a)).collect::<Vec<f64>>();
    let rows: Vec<(&str, f64, f64)> = vec![
        (
            "sigmoid",
            best(&|| glibc(|v| 1.0 / (1.0 + (-v).exp()), &x)),
            best(&|| vec_steps(&x, sigmoid_lane, |v| 1.0 / (1.0 + (-v).exp()))),
        ),
        (
            "sinh",
            best(&|| glibc(f64::sinh, &x)),
            best(&|| vec_steps(&x, sinh_lane, f64::sinh)),
        ),
        (
            "cosh",
            best(&|| glibc(f64::cosh, &x)),
            best(&|| vec_steps(&x, cosh_lane, f64::cosh)),
        ),
        (
            "expm1",
            best(&|| glibc(f64::exp_m1, &x)),
            best(&|| vec_steps(&x, expm1_lane, expm1_lane)),
        ),
        (
            "log1p",
            best(&|| glibc(f64::ln_1p, &b)),
            best(&|| vec_steps(&b, log1p_lane, log1p_lane)),
        ),
        (
            "pow x^1.5",
            best(&|| glibc(|v| v.powf(1.5), &b)),
            best(&|| vec_steps(&b, |v| pow_lane(v, 1.5), |v| v.powf(1.5))),
        ),
        (
            "pow b^x",
            best(&|| b.iter().zip(&x).map(|(&p, &q)| p.powf(q)).collect()),
            best(&|| vec_steps2(&b, &x, n, pow_lane, f64::powf)),
        ),
        (
            "atan2",
            best(&|| x.iter().zip(&b).map(|(&p, &q)| p.atan2(q)).collect()),
            best(&|| vec_steps2(&x, &b, n, atan2_lane, f64::atan2)),
        ),
    ];
    println!("{:10} {:>12} {:>12}", "op", "glibc ms", "SLEEF ms");
    for (name, g, v) in rows {
        println!("{name:10} {g:12.2} {v:12.2}");
    }
}
