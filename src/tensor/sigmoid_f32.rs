//! float32 `Tensor::sigmoid` as ATen's `cpu_kernel_vec` computes it: `1 / (1 + exp(-x))` on
//! whole steps of two AVX512 vectors (32 floats) with SLEEF's exp, the tail with the scalar
//! (glibc) exp. The vector part runs eight lanes at a time (sigmoid_avx2.rs) with the same bits
//! as the scalar `vec_expf` formula, which is otherwise a libm `fmaf` call per multiply-add.
//! Which elements are in vector steps: iter_layout.rs (thread chunks of a contiguous tensor,
//! a mask for other layouts).

use super::iter_layout::contiguous_calls;
use super::kernels::{Float, VEC_LOOP_F32};

/// The sigmoid of the elements `x` of a contiguous tensor: one loop call per thread chunk.
pub(super) fn sigmoid(x: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.len());
    for part in contiguous_calls(x.len()) {
        out.extend(sigmoid_call(&x[part]));
    }
    out
}

/// The sigmoid of the row-major elements `x` of a strided tensor, element `i` in a vector step
/// where `vector[i]`. The vector formula runs over every element eight lanes at a time (each
/// element's bits are its own), then the scalar loop's elements are recomputed.
pub fn sigmoid_masked(x: &[f32], vector: &[bool]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    if vector.iter().any(|&m| m) {
        let whole = x.len() - x.len() % 8;
        let (head, tail) = out.split_at_mut(whole);
        #[cfg(target_arch = "x86_64")]
        let done = super::sigmoid_avx2::sigmoid_lanes(&x[..whole], head);
        #[cfg(not(target_arch = "x86_64"))]
        let done = false;
        if !done {
            for (o, &v) in head.iter_mut().zip(x) {
                *o = 1.0 / (1.0 + (-v).vexp());
            }
        }
        for (o, &v) in tail.iter_mut().zip(&x[whole..]) {
            *o = 1.0 / (1.0 + (-v).vexp());
        }
    }
    for ((o, &v), _) in out.iter_mut().zip(x).zip(vector).filter(|(_, m)| !**m) {
        *o = 1.0 / (1.0 + (-v).exp());
    }
    out
}

/// One call of the vectorised loop over `x`: whole steps from its start, then the tail.
pub fn sigmoid_call(x: &[f32]) -> Vec<f32> {
    let vec_end = x.len() - x.len() % VEC_LOOP_F32;
    let mut out = vec![0.0f32; x.len()];
    let (head, tail) = out.split_at_mut(vec_end);
    #[cfg(target_arch = "x86_64")]
    let done = super::sigmoid_avx2::sigmoid_lanes(&x[..vec_end], head);
    #[cfg(not(target_arch = "x86_64"))]
    let done = false;
    if !done {
        for (o, &v) in head.iter_mut().zip(x) {
            *o = 1.0 / (1.0 + (-v).vexp());
        }
    }
    for (o, &v) in tail.iter_mut().zip(&x[vec_end..]) {
        *o = 1.0 / (1.0 + (-v).exp());
    }
    out
}
