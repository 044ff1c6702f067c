//! `det`, `inv` and `solve` through an LU factorisation with partial pivoting, each operation
//! rounded to the tensor's dtype (float32 arithmetic for float32 input). PyTorch calls LAPACK
//! (MKL), whose blocking and FMA use are not reproduced: results agree at printed precision
//! but may differ in the last bits (docs/divergences.md). No autograd through these.

use super::{DType, Data, Result, Tensor, TensorError};

/// Square matrices of `t` (shape `[..., n, n]`) as row-major f64 blocks, and `n`.
fn square(t: &Tensor, fname: &str) -> Result<(Vec<f64>, usize, Vec<usize>)> {
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "{fname}: The input tensor A must have at least 2 dimensions."
        )));
    }
    let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if r != c {
        return Err(TensorError::runtime(format!("{fname}: A must be batches of square matrices, but they are {r} by {c} matrices")));
    }
    if !t.dtype().is_floating_point() {
        return Err(TensorError::runtime(format!("{fname}: Expected a floating point or complex tensor as input. Got {}", super::ops::dtype_name(t.dtype()))));
    }
    Ok((t.contiguous().to_f64_vec(), r, shape[..shape.len() - 2].to_vec()))
}

/// Rounds to the dtype's precision after every operation.
pub(super) fn rounder(d: DType) -> fn(f64) -> f64 {
    if d == DType::Float32 { |x| f64::from(x as f32) } else { |x| x }
}

/// In-place LU of one n x n block: returns the pivot rows and the permutation's sign, or the
/// first (1-based) zero pivot.
fn lu(a: &mut [f64], n: usize, r: fn(f64) -> f64) -> (Vec<usize>, f64, Option<usize>) {
    let (piv, zero) = super::linalg_lu::getrf(a, n, n, r);
    let swaps = piv.iter().enumerate().filter(|&(k, &p)| p != k).count();
    (piv, if swaps % 2 == 0 { 1.0 } else { -1.0 }, zero)
}

fn finish(v: Vec<f64>, shape: &[usize], d: DType) -> Result<Tensor> {
    let data = if d == DType::Float32 { Data::F32(v.iter().map(|&x| x as f32).collect()) } else { Data::F64(v) };
    Tensor::from_data(data, shape)
}

/// `torch.linalg.det(A)`: the product of U's diagonal times the permutation's sign.
pub fn det(t: &Tensor) -> Result<Tensor> {
    let (mut v, n, batch) = square(t, "linalg.det")?;
    let r = rounder(t.dtype());
    let mut out = Vec::new();
    for a in v.chunks_mut((n * n).max(1)).take(batch.iter().product::<usize>()) {
        if n == 0 {
            out.push(1.0);
            continue;
        }
        let (_, sign, _) = lu(a, n, r);
        let mut p = 1.0;
        for k in 0..n {
            p = r(p * a[k * n + k]);
        }
        out.push(p * sign);
    }
    finish(out, &batch, t.dtype())
}

/// Solves A X = B for one block, B given as n x m row-major.
fn lu_solve(a: &[f64], piv: &[usize], n: usize, b: &mut [f64], m: usize, r: fn(f64) -> f64) {
    for (k, &p) in piv.iter().enumerate() {
        if p != k {
            for j in 0..m {
                b.swap(k * m + j, p * m + j);
            }
        }
    }
    for j in 0..m {
        for i in 0..n {
            let mut s = b[i * m + j];
            for k in 0..i {
                s = r(s - r(a[i * n + k] * b[k * m + j]));
            }
            b[i * m + j] = s;
        }
        for i in (0..n).rev() {
            let mut s = b[i * m + j];
            for k in i + 1..n {
                s = r(s - r(a[i * n + k] * b[k * m + j]));
            }
            b[i * m + j] = r(s / a[i * n + i]);
        }
    }
}

/// `torch.linalg.inv(A)`.
pub fn inv(t: &Tensor) -> Result<Tensor> {
    let (mut v, n, batch) = square(t, "linalg.inv")?;
    let r = rounder(t.dtype());
    let mut out = Vec::with_capacity(v.len());
    for a in v.chunks_mut((n * n).max(1)).take(if n == 0 { 0 } else { batch.iter().product() }) {
        let (piv, _, zero) = lu(a, n, r);
        if let Some(z) = zero {
            return Err(TensorError::runtime(format!(
                "linalg.inv: The diagonal element {z} is zero, the inversion could not be completed because the input matrix is singular."
            )));
        }
        let mut b = vec![0.0; n * n];
        for i in 0..n {
            b[i * n + i] = 1.0;
        }
        lu_solve(a, &piv, n, &mut b, n, r);
        out.extend(b);
    }
    finish(out, &t.shape(), t.dtype())
}

/// `torch.linalg.solve(A, B)` (src/tensor/linalg_lu.rs: broadcast batches, `left=`).
pub fn solve(a: &Tensor, b: &Tensor, left: bool) -> Result<Tensor> {
    super::linalg_lu::solve(a, b, left)
}
