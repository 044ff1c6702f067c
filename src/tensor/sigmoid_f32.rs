//! float32 `Tensor::sigmoid` as ATen's `cpu_kernel_vec` computes it: `1 / (1 + exp(-x))` on
//! whole steps of two AVX512 vectors (32 floats) with SLEEF's exp, the tail with the scalar
//! (glibc) exp. The vector part runs eight lanes at a time (sigmoid_avx2.rs) with the same bits
//! as the scalar `vec_expf` formula, which is otherwise a libm `fmaf` call per multiply-add.

use super::kernels::{Float, VEC_LOOP_F32};

/// The sigmoid of `x` (row-major elements), element by element.
pub(super) fn sigmoid(x: &[f32]) -> Vec<f32> {
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
