//! Micro-benchmark of the float32 kernels of src/tensor/sleef_f32.rs and activations_f32.rs against
//! the paths they replace (glibc float functions; double evaluation rounded once), per element
//! over 2^20 inputs, best of 7 by thread CPU time. Built on its own by run.sh (rustc -O, the
//! project's source files included by path), not part of the crate.
#![allow(dead_code, unused_imports)]
#[path="../../src/tensor/sleef.rs"] mod sleef;
#[path="../../src/tensor/sleef_f32.rs"] mod sleef_f32;
#[path="../../src/tensor/activations_f32.rs"] mod activations_f32;
// A copy of kernels.rs's VEC_LOOP_F32 and vec_expf (kernels.rs needs the whole crate).
mod kernels { pub(crate) const VEC_LOOP_F32: usize = 32;

/// float32 `exp` as PyTorch's vectorised CPU kernels compute it (SLEEF's 1-ulp `expf`, with
/// FMA): Cody–Waite reduction by ln 2 in two parts, a degree-6 polynomial, then scaling by
/// 2^q in two halves so that subnormal results round once.
// Inlined so that callers compiled with FMA enabled (rnn_fused.rs) get it without calls.
#[inline]
pub(crate) fn vec_expf(d: f32) -> f32 {
    #![allow(clippy::excessive_precision)]
    const R_LN2: f32 = std::f32::consts::LOG2_E;
    const L2U: f32 = 0.693145751953125;
    const L2L: f32 = 1.428606765330187045e-06;
    if d.is_nan() {
        return d;
    }
    let q = (d * R_LN2).round_ties_even();
    let qi = q as i32;
    let mut s = q.mul_add(-L2U, d);
    s = q.mul_add(-L2L, s);
    let mut u = 0.000198527617612853646278381f32;
    for c in [0.00139304355252534151077271f32, 0.00833336077630519866943359, 0.0416664853692054748535156, 0.166666671633720397949219, 0.5] {
        u = u.mul_add(s, c);
    }
    u = 1.0 + (s * s).mul_add(u, s);
    let half = qi >> 1;
    u = u * pow2i(half) * pow2i(qi - half);
    if d < -104.0 {
        0.0
    } else if d > 100.0 {
        f32::INFINITY
    } else {
        u
    }
}

#[inline]
fn pow2i(e: i32) -> f32 {
    f32::from_bits((((e + 127).clamp(0, 255)) as u32) << 23)
}
}

#[repr(C)] struct Ts { s: i64, ns: i64 }
unsafe extern "C" { fn clock_gettime(c: i32, t: *mut Ts) -> i32; }
fn cpu() -> f64 { let mut t = Ts{s:0,ns:0}; unsafe { clock_gettime(3, &mut t) }; t.s as f64 + t.ns as f64 * 1e-9 }
fn time(name: &str, x: &[f32], f: &dyn Fn(&[f32]) -> Vec<f32>) {
    let mut best = f64::MAX; let mut sink = 0f32;
    for _ in 0..7 { let t0 = cpu(); let y = f(x); let dt = cpu() - t0; sink += y[y.len()/2]; best = best.min(dt); }
    println!("{name:28} {:6.2} ns/elem (best of 7, thread CPU time) {sink}", best * 1e9 / x.len() as f64);
}
fn sig(x: f64) -> f64 { 1.0 / (1.0 + (-x).exp()) }
fn main() {
    use activations_f32::{forward, backward, Act};
    let n = 1 << 20;
    let x: Vec<f32> = (0..n).map(|i| ((i as f32 * 0.618034).fract() - 0.5) * 16.0).collect();
    let g: Vec<f32> = (0..n).map(|i| (i as f32 * 0.414).fract()).collect();
    time("expm1 glibc (before)", &x, &|x| x.iter().map(|v| v.exp_m1()).collect());
    time("expm1 sleef_f32 (after)", &x, &|x| sleef_f32::expm1(x));
    let xp: Vec<f32> = x.iter().map(|v| v.abs() * 4.0).collect();
    time("log1p glibc (before)", &xp, &|x| x.iter().map(|v| v.ln_1p()).collect());
    time("log1p sleef_f32 (after)", &xp, &|x| sleef_f32::log1p(x));
    time("silu f64 path (before)", &x, &|x| x.iter().map(|&v| { let v = v as f64; (v * sig(v)) as f32 }).collect());
    time("silu activations_f32 (after)", &x, &|x| forward(Act::Silu, x));
    time("softplus f64 (before)", &x, &|x| x.iter().map(|&v| { let v = v as f64; (if v > 20.0 { v } else { v.exp().ln_1p() }) as f32 }).collect());
    time("softplus f32 (after)", &x, &|x| forward(Act::Softplus(1.0, 20.0), x));
    time("elu f64 (before)", &x, &|x| x.iter().map(|&v| { let v = v as f64; (if v > 0.0 { v } else { v.exp_m1() }) as f32 }).collect());
    time("elu f32 (after)", &x, &|x| forward(Act::Elu(1.0), x));
    time("silu backward f64 (before)", &x, &|x| x.iter().zip(&g).map(|(&v, &d)| { let v = v as f64; let s = sig(v); d * (s * (1.0 + v * (1.0 - s))) as f32 }).collect());
    time("silu backward f32 (after)", &x, &|x| backward(Act::Silu, &g, x));
}
