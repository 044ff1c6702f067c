//! Where `addmm`'s bias enters MKL's sum. With the fused kernel, and with the plain kernel for a
//! single output column (MKL's gemv), MKL computes the product and then adds `beta * C`; with
//! the plain kernel for two or more columns of a row-major `mat2` it starts each output's sum
//! from the bias and adds the rounded products to it one by one (probed: every output of
//! `(2000, 3) @ (3, 2)`, `(3, 20) @ (20, 5)`, `(5, 20) @ (20, 5)` and `(8, 10) @ (10, 4)` plus a
//! bias; see docs/matmul-order.md). With a transposed `mat2` (`linear`'s `w.t()`) the bias
//! comes after the product again (every output of `F.linear` for `(12, 6)`, `(4, 2)` and
//! `(2000, 3)` inputs, float32 and float64).

use ndarray::{ArrayD, IxDyn};

use super::kernels::{Float, Mat, matmul_fused};
use super::storage::Storage;
use super::{DType, Result, TensorError};

/// Whether MKL's kernel for this product starts each output's sum from the bias.
pub(crate) fn starts_from_bias(b_transposed: bool, dtype: DType, m: usize, k: usize, n: usize) -> bool {
    !(b_transposed || matmul_fused(m, k, n) || n < 2 || !dtype.is_floating_point())
}

/// `bias + a @ b` summed from the bias, for a product where [`starts_from_bias`]; `None` when
/// the operands do not allow it (the caller then adds the bias to the product).
pub(crate) fn addmm_bias_first(
    bias: &Storage,
    a: &Storage,
    b: &Storage,
    dtype: DType,
    m: usize,
    k: usize,
    n: usize,
) -> Result<Option<Storage>> {
    let Ok(start) = bias.cast(dtype).expand(&[m, n]) else {
        return Ok(None);
    };
    fn go<T: Float>(
        c: &ArrayD<T>,
        a: &ArrayD<T>,
        b: &ArrayD<T>,
        m: usize,
        k: usize,
        n: usize,
    ) -> Result<ArrayD<T>> {
        let (c, a, b) = (
            c.as_standard_layout(),
            a.as_standard_layout(),
            b.as_standard_layout(),
        );
        let (c, a, b) = (
            c.as_slice().unwrap_or(&[]),
            a.as_slice().unwrap_or(&[]),
            b.as_slice().unwrap_or(&[]),
        );
        if c.len() != m * n || a.len() != m * k || b.len() != k * n {
            return Err(TensorError::runtime("addmm: operand sizes"));
        }
        let mut out = c.to_vec();
        // The same sums in vector lanes across each row's columns (plain_dot.rs, which peels
        // as below); the scalar loop stays the definition and the path without a kernel.
        if T::plain_matmul_simd(Mat::rows(a, k), Mat::rows(b, n), &mut out, m, k, n, 0, true) {
            return ArrayD::from_shape_vec(IxDyn(&[m, n]), out).map_err(|e| TensorError::runtime(e.to_string()));
        }
        for i in 0..m {
            // MKL's peeled columns (peel_order.rs) sum from the bias too.
            let peel = if super::peel_order::applies::<T>() { super::peel_order::peel(0, i, n) } else { 0 };
            for j in 0..peel {
                let prod = |p| a[i * k + p] * b[p * n + j];
                out[i * n + j] = super::peel_order::peeled_sum(out[i * n + j], k, prod);
            }
            for j in peel..n {
                let mut acc = out[i * n + j];
                for p in 0..k {
                    acc = acc + a[i * k + p] * b[p * n + j];
                }
                out[i * n + j] = acc;
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[m, n]), out).map_err(|e| TensorError::runtime(e.to_string()))
    }
    // Borrowed, not copied, when already of `dtype` (the common case: a copy of `a` was a
    // sizeable part of a small `addmm`).
    Ok(match (&start, &*a.cast_cow(dtype), &*b.cast_cow(dtype)) {
        (Storage::F32(c), Storage::F32(x), Storage::F32(y)) => {
            Some(Storage::F32(go(c, x, y, m, k, n)?))
        }
        (Storage::F64(c), Storage::F64(x), Storage::F64(y)) => {
            Some(Storage::F64(go(c, x, y, m, k, n)?))
        }
        _ => None,
    })
}
