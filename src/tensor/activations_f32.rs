//! float32 `silu`, `softplus` and `elu` and their backward kernels as ATen's `cpu_kernel_vec`
//! computes them: whole steps of two AVX512 vectors (32 floats) of the row-major elements with
//! SLEEF's `expf`/`expm1f`/`log1pf`, the tail with glibc's.
//!
//! Contiguous operands split into the loop calls of iter_layout.rs (one per thread chunk past
//! ATen's grain size); other layouts take a per-element mask of the vector steps from there.
//!
//! The formulas are ATen's (Activation.cpp), in float32 steps; probed against real PyTorch in
//! docs/probes/activations_f32.py, which also found that GCC contracts silu's backward
//! `1 + x·(1 - s)` into one fused multiply-add in both the vector and the scalar loop.

use super::iter_layout::contiguous_calls;
use super::kernels::{VEC_LOOP_F32, vec_expf};
use super::sleef_f32::{expm1f_u10, log1pf_u10};

/// The vectorised kernel's function of one element, and the scalar tail's.
#[derive(Clone, Copy)]
pub enum Act {
    Silu,
    /// `(beta, threshold)`, as float32.
    Softplus(f32, f32),
    /// `negcoef = alpha·scale` (scale and input scale are 1).
    Elu(f32),
}

impl Act {
    #[inline(always)]
    fn vector(self, x: f32) -> f32 {
        match self {
            Act::Silu => x / (1.0 + vec_expf(-x)),
            Act::Softplus(beta, threshold) => {
                if x * beta > threshold {
                    x
                } else {
                    log1pf_u10(vec_expf(x * beta)) / beta
                }
            }
            Act::Elu(negcoef) => {
                if x > 0.0 {
                    x
                } else {
                    expm1f_u10(x) * negcoef
                }
            }
        }
    }

    #[inline(always)]
    fn scalar(self, x: f32) -> f32 {
        match self {
            Act::Silu => x / (1.0 + (-x).exp()),
            Act::Softplus(beta, threshold) => {
                if x * beta > threshold {
                    x
                } else {
                    (x * beta).exp().ln_1p() / beta
                }
            }
            Act::Elu(negcoef) => {
                if x <= 0.0 {
                    x.exp_m1() * negcoef
                } else {
                    x
                }
            }
        }
    }

    /// The backward kernel on `(grad, x)`; `exp` is the loop's exp (SLEEF's or glibc's). The
    /// vector loop blends elu's branches on `x > 0`, the scalar one tests `x <= 0`: a NaN `x`
    /// takes the exp branch in the first, passes `grad` through in the second.
    #[inline(always)]
    fn backward(self, g: f32, x: f32, exp: impl Fn(f32) -> f32, vector: bool) -> f32 {
        match self {
            Act::Silu => {
                let s = 1.0 / (1.0 + exp(-x));
                g * s * x.mul_add(1.0 - s, 1.0)
            }
            Act::Softplus(beta, threshold) => {
                let z = exp(x * beta);
                if x * beta > threshold {
                    g
                } else {
                    g * z / (z + 1.0)
                }
            }
            Act::Elu(negcoef) => {
                if x <= 0.0 || (vector && x.is_nan()) {
                    g * negcoef * exp(x)
                } else {
                    g
                }
            }
        }
    }
}

#[inline(always)]
fn forward_into(act: Act, x: &[f32], out: &mut [f32]) {
    let vec_end = x.len() - x.len() % VEC_LOOP_F32;
    for (o, &v) in out[..vec_end].iter_mut().zip(x) {
        *o = act.vector(v);
    }
    for (o, &v) in out[vec_end..].iter_mut().zip(&x[vec_end..]) {
        *o = act.scalar(v);
    }
}

#[inline(always)]
fn backward_into(act: Act, g: &[f32], x: &[f32], out: &mut [f32]) {
    let vec_end = x.len() - x.len() % VEC_LOOP_F32;
    for ((o, &d), &v) in out[..vec_end].iter_mut().zip(g).zip(x) {
        *o = act.backward(d, v, vec_expf, true);
    }
    for ((o, &d), &v) in out[vec_end..]
        .iter_mut()
        .zip(&g[vec_end..])
        .zip(&x[vec_end..])
    {
        *o = act.backward(d, v, f32::exp, false);
    }
}

#[inline(always)]
fn forward_calls(act: Act, x: &[f32], out: &mut [f32]) {
    for part in contiguous_calls(x.len()) {
        forward_into(act, &x[part.clone()], &mut out[part]);
    }
}

#[inline(always)]
fn backward_calls(act: Act, g: &[f32], x: &[f32], out: &mut [f32]) {
    for part in contiguous_calls(x.len()) {
        backward_into(act, &g[part.clone()], &x[part.clone()], &mut out[part]);
    }
}

/// `act` over the elements `x` of a contiguous tensor.
pub fn forward(act: Act, x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // Same bits either way; with the features each fused multiply-add is one instruction,
        // not a call to `fmaf`.
        #[target_feature(enable = "avx2,fma")]
        fn go(act: Act, x: &[f32], out: &mut [f32]) {
            forward_calls(act, x, out)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        unsafe { go(act, x, &mut out) };
        return out;
    }
    forward_calls(act, x, &mut out);
    out
}

/// The gradient of `act` at the elements `x` given the output gradient `g` (same length), both
/// contiguous.
pub fn backward(act: Act, g: &[f32], x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(act: Act, g: &[f32], x: &[f32], out: &mut [f32]) {
            backward_calls(act, g, x, out)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        unsafe { go(act, g, x, &mut out) };
        return out;
    }
    backward_calls(act, g, x, &mut out);
    out
}

/// `act` over the row-major elements `x` of a strided tensor, element `i` in a vector step
/// where `vector[i]` (iter_layout::vector_mask): the vector formula over every element in one
/// straight loop (each element's bits are its own), then the scalar loop's elements redone.
pub(crate) fn forward_masked(act: Act, x: &[f32], vector: &[bool]) -> Vec<f32> {
    #[inline(always)]
    fn run(act: Act, x: &[f32], vector: &[bool]) -> Vec<f32> {
        let mut out = vec![0.0; x.len()];
        if vector.iter().any(|&m| m) {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = act.vector(v);
            }
        }
        for ((o, &v), _) in out.iter_mut().zip(x).zip(vector).filter(|(_, m)| !**m) {
            *o = act.scalar(v);
        }
        out
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(act: Act, x: &[f32], vector: &[bool]) -> Vec<f32> {
            run(act, x, vector)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(act, x, vector) };
    }
    run(act, x, vector)
}

/// The backward of `act` over row-major `g` and `x`, element `i` in a vector step where
/// `vector[i]` (as [`forward_masked`]).
pub(crate) fn backward_masked(act: Act, g: &[f32], x: &[f32], vector: &[bool]) -> Vec<f32> {
    #[inline(always)]
    fn run(act: Act, g: &[f32], x: &[f32], vector: &[bool]) -> Vec<f32> {
        let mut out = vec![0.0; x.len()];
        if vector.iter().any(|&m| m) {
            for ((o, &d), &v) in out.iter_mut().zip(g).zip(x) {
                *o = act.backward(d, v, vec_expf, true);
            }
        }
        let scalar = out.iter_mut().zip(g).zip(x).zip(vector);
        for (((o, &d), &v), _) in scalar.filter(|(_, m)| !**m) {
            *o = act.backward(d, v, f32::exp, false);
        }
        out
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go(act: Act, g: &[f32], x: &[f32], vector: &[bool]) -> Vec<f32> {
            run(act, g, x, vector)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(act, g, x, vector) };
    }
    run(act, g, x, vector)
}
