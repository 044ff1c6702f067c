//! Float `torch.prod` (all elements or along a dim) as ATen's `prod_kernel_impl` computes it,
//! with its backward (`prod_backward`, `prod_safe_zeros_backward`).
//!
//! Facts from ATen (ReduceOpsKernel.cpp, cpu/Reduce.h `binary_kernel_reduce_vec`), confirmed
//! against PyTorch 2.15 by docs/probes/prod_kernel.py: the output starts at 1 and each output
//! runs over its elements in TensorIterator's order (src/tensor/norm_reduce.rs [`walk`]). Where
//! the innermost reduced dim is contiguous, each row of it is one `vectorized_inner_reduction`:
//! blocks of four AVX2 vectors (32 floats, 16 doubles) multiplied lane by lane down the row,
//! the four vectors then combined as `(v0*v1)*(v2*v3)`, that vector's lanes multiplied left to
//! right, the output times that, then the row's remaining elements one by one. Otherwise (and
//! down the columns of an outer reduction) every element multiplies the output in turn. A
//! single output of 32768+ elements is split into [`threads::chunks`] of the walk, each its own
//! partial product from 1 (a row cut by a chunk boundary being a row of its own), and the
//! output is then the partial products in order.

use super::norm_reduce::{gather_reduce, reduced_shape, walk};
use super::storage::Storage;
use super::threads::{self, GRAIN_SIZE};
use super::{Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

trait Elem: Copy + std::ops::Mul<Output = Self> {
    /// Lanes of ATen's AVX2 `Vectorized` of this type.
    const LANES: usize;
    fn one() -> Self;
}

impl Elem for f32 {
    const LANES: usize = 8;
    fn one() -> Self {
        1.0
    }
}

impl Elem for f64 {
    const LANES: usize = 4;
    fn one() -> Self {
        1.0
    }
}

/// One call of `vectorized_inner_reduction` over a contiguous row, into `out`.
fn inner_row<T: Elem>(row: &[T], mut out: T) -> T {
    let lanes = T::LANES;
    let block = 4 * lanes;
    let count = row.len() / block;
    if count > 0 {
        let mut acc = [T::one(); 32];
        acc[..block].copy_from_slice(&row[..block]);
        for i in 1..count {
            for k in 0..block {
                acc[k] = acc[k] * row[i * block + k];
            }
        }
        let mut b = (acc[0] * acc[lanes]) * (acc[2 * lanes] * acc[3 * lanes]);
        for j in 1..lanes {
            b = b * ((acc[j] * acc[lanes + j]) * (acc[2 * lanes + j] * acc[3 * lanes + j]));
        }
        out = out * b;
    }
    for &v in &row[count * block..] {
        out = out * v;
    }
    out
}

/// The product of `vals` (one output's elements in TensorIterator's order) starting from
/// `out`, rows of `inner` elements starting at multiples of `inner` from `first` in the walk.
fn product<T: Elem>(vals: &[T], first: usize, inner: usize, contiguous: bool, mut out: T) -> T {
    if !contiguous || inner <= 1 {
        return vals.iter().fold(out, |a, &v| a * v);
    }
    let mut i = 0;
    while i < vals.len() {
        let end = ((first + i) / inner * inner + inner - first).min(vals.len());
        out = inner_row(&vals[i..end], out);
        i = end;
    }
    out
}

fn prod_values<T: Elem>(x: &[T], shape: &[usize], strides: &[usize], rd: &[usize]) -> Vec<T> {
    let nd = shape.len();
    let kept: Vec<usize> = (0..nd).filter(|d| !rd.contains(d)).collect();
    let n_out: usize = kept.iter().map(|&d| shape[d]).product();
    if shape.contains(&0) {
        return vec![T::one(); n_out];
    }
    let w = walk(shape, strides, rd);
    let reduce = |vals: &[T]| -> T {
        if n_out == 1 && vals.len() >= GRAIN_SIZE && threads::num_threads() > 1 {
            let mut t = T::one();
            for c in threads::chunks(vals.len(), GRAIN_SIZE, threads::num_threads()) {
                let start = c.start;
                t = t * product(&vals[c], start, w.inner, w.inner_contiguous, T::one());
            }
            t
        } else {
            product(vals, 0, w.inner, w.inner_contiguous, T::one())
        }
    };
    if w.in_order {
        return x.chunks(w.len).map(reduce).collect();
    }
    gather_reduce(x, shape, &kept, &w.reduced, n_out, reduce)
}

impl Tensor {
    /// `t.prod()` / `t.prod(dim, keepdim)` of a float tensor (ProdBackward0/1).
    pub(crate) fn prod_float(&self, dim: Option<usize>, keepdim: bool) -> Result<Tensor> {
        let shape = self.shape();
        let rd: Vec<usize> = match dim {
            None => (0..shape.len()).collect(),
            Some(d) => vec![d],
        };
        let keep = keepdim && dim.is_some();
        let out_shape = reduced_shape(&shape, &rd, keep);
        let strides = self.strides();
        let s = self.storage();
        let sh = IxDyn(&out_shape);
        let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
        let out = match &*s {
            Storage::F32(a) => {
                let v = super::ops::row_major(a);
                Storage::F32(
                    ArrayD::from_shape_vec(sh, prod_values(&v, &shape, &strides, &rd))
                        .map_err(err)?,
                )
            }
            Storage::F64(a) => {
                let v = super::ops::row_major(a);
                Storage::F64(
                    ArrayD::from_shape_vec(sh, prod_values(&v, &shape, &strides, &rd))
                        .map_err(err)?,
                )
            }
            _ => return Err(TensorError::runtime("prod: expected a float tensor")),
        };
        let result = Tensor::from_storage(out.clone());
        let a = super::ops::saved(self);
        let name = if dim.is_some() {
            "ProdBackward1"
        } else {
            "ProdBackward0"
        };
        Ok(super::ops::record_out(
            &result.clone(),
            out,
            name,
            &[self],
            true,
            move |g, _| Ok(vec![Some(prod_backward(g, &a, &result, dim, keep)?)]),
        ))
    }
}

/// ATen's `prod_backward`: `grad * (result / input)` without zeros in the input; with zeros,
/// the products of the other elements (`prod_safe_zeros_backward`), or zeros for an
/// all-elements product with more than one zero.
fn prod_backward(
    g: &Tensor,
    x: &Tensor,
    result: &Tensor,
    dim: Option<usize>,
    keepdim: bool,
) -> Result<Tensor> {
    let shape = x.shape();
    if shape.is_empty() {
        return Ok(g.clone());
    }
    let (g, result) = match dim {
        Some(d) if !keepdim => (g.unsqueeze(d as isize)?, result.unsqueeze(d as isize)?),
        _ => (g.clone(), result.clone()),
    };
    let zeros = x.to_f64_vec().iter().filter(|&&v| v == 0.0).count();
    if zeros == 0 {
        return g.mul(&result.div(x)?);
    }
    if dim.is_none() && zeros > 1 && !super::is_grad_enabled() {
        return Ok(Tensor::zeros(&shape, x.dtype()));
    }
    // Along `dim`, or over the flattened input for the all-elements product.
    let (flat_shape, d) = match dim {
        Some(d) => (shape.clone(), d),
        None => (vec![x.numel()], 0),
    };
    let others = match &*x.storage() {
        Storage::F32(a) => {
            let v = super::ops::row_major(a);
            let (b, f) = exclusive_pair(&v, &flat_shape, d, |t| t as f32);
            let m: Vec<f32> = b.iter().zip(&f).map(|(&b, &f)| b * f).collect();
            Tensor::from_data(super::Data::F32(m), &shape)?
        }
        Storage::F64(a) => {
            let v = super::ops::row_major(a);
            let (b, f) = exclusive_pair(&v, &flat_shape, d, |t| t);
            let m: Vec<f64> = b.iter().zip(&f).map(|(&b, &f)| b * f).collect();
            Tensor::from_data(super::Data::F64(m), &shape)?
        }
        _ => return Err(TensorError::runtime("prod: expected a float tensor")),
    };
    g.mul(&others)
}

/// The products before and after each element along `dim`, each a `cumprod` (accumulated in
/// double, rounded to the element type at each element), as `prod_safe_zeros_backward` builds
/// them.
fn exclusive_pair<T: Copy + Into<f64>>(
    x: &[T],
    shape: &[usize],
    dim: usize,
    round: impl Fn(f64) -> T,
) -> (Vec<T>, Vec<T>) {
    let (outer, len, inner) = super::ops::split3(shape, dim);
    let mut before = vec![round(1.0); x.len()];
    let mut after = vec![round(1.0); x.len()];
    for o in 0..outer {
        for i in 0..inner {
            let at = |k: usize| (o * len + k) * inner + i;
            let mut acc = 1.0f64;
            for k in 1..len {
                acc *= x[at(k - 1)].into();
                before[at(k)] = round(acc);
            }
            let mut acc = 1.0f64;
            for k in (0..len.saturating_sub(1)).rev() {
                acc *= x[at(k + 1)].into();
                after[at(k)] = round(acc);
            }
        }
    }
    (before, after)
}
