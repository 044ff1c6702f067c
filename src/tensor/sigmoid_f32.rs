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
pub(super) fn sigmoid_masked(x: &[f32], vector: &[bool]) -> Vec<f32> {
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
fn sigmoid_call(x: &[f32]) -> Vec<f32> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector part equals `1 / (1 + vec_expf(-x))` element by element, bit for bit, and
    /// the tail the scalar exp's formula, over edge values and a spread of magnitudes.
    #[test]
    fn sigmoid_equals_the_scalar_formulas_bit_for_bit() {
        let mut x = vec![
            0.0f32,
            -0.0,
            1.0,
            -1.0,
            88.0,
            -88.0,
            104.5,
            -104.5,
            1e-40,
            f32::MAX,
            f32::MIN,
        ];
        x.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN]);
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..50_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
            x.push(u * [1.0f32, 8.0, 120.0, 1e-3][(s % 4) as usize]);
        }
        for len in [x.len(), 31, 32, 33, 70] {
            let xs = &x[..len];
            let got = sigmoid_call(xs);
            let vec_end = len - len % VEC_LOOP_F32;
            for (i, (&v, &y)) in xs.iter().zip(&got).enumerate() {
                let want = if i < vec_end {
                    1.0 / (1.0 + (-v).vexp())
                } else {
                    1.0 / (1.0 + (-v).exp())
                };
                assert_eq!(
                    y.to_bits(),
                    want.to_bits(),
                    "element {i} of {len}: sigmoid({v:e})"
                );
            }
        }
    }

    /// The strided path gathers its vector elements and runs them eight lanes at a time: same
    /// bits as the formulas element by element, for a mask of a transposed layout.
    #[test]
    fn masked_sigmoid_equals_the_formulas() {
        let x: Vec<f32> = (0..7 * 75)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.37)
            .collect();
        let mask = crate::tensor::iter_layout::vector_mask(&[7, 75], &[&[1, 7]], VEC_LOOP_F32);
        assert!(mask.iter().any(|&m| m) && mask.iter().any(|&m| !m));
        for (i, (&v, &y)) in x.iter().zip(&sigmoid_masked(&x, &mask)).enumerate() {
            let want = if mask[i] {
                1.0 / (1.0 + (-v).vexp())
            } else {
                1.0 / (1.0 + (-v).exp())
            };
            assert_eq!(y.to_bits(), want.to_bits(), "element {i}");
        }
    }
}
