//! Statistics reductions with their own grad_fn: var, std, prod, cumsum, p-norms along dims.
//!
//! Forward values of var/std are computed in double and rounded once (PyTorch's CPU Welford
//! kernel accumulates float32 input in double); gradients are ordinary tensor ops.

use super::autograd::record_as;
use super::ops::{expand_reduced, saved};
use super::tensor::norm_dim;
use super::{DType, Result, Scalar, Tensor, TensorError, no_grad, variance};

impl Tensor {
    /// PyTorch's check (its wording names both ops whichever was called).
    fn require_float(&self) -> Result<()> {
        if self.dtype().is_floating_point() {
            Ok(())
        } else {
            Err(TensorError::NotImplemented { msg: "std and var only support floating point and complex dtypes".into() })
        }
    }

    /// `t.var(dims, correction, keepdim)` (VarBackward0).
    pub fn var(&self, dims: Option<&[isize]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.var_std(dims, correction, keepdim, false)
    }

    /// `t.std(dims, correction, keepdim)` (StdBackward0).
    pub fn std(&self, dims: Option<&[isize]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.var_std(dims, correction, keepdim, true)
    }

    fn var_std(&self, dims: Option<&[isize]>, correction: f64, keepdim: bool, sqrt: bool) -> Result<Tensor> {
        self.require_float()?;
        let rd = self.reduce_dims(dims)?;
        let shape = self.shape();
        let n: usize = rd.iter().map(|&d| shape[d]).product();
        let denom = (n as f64 - correction).max(0.0);
        let sd: Vec<isize> = rd.iter().map(|&d| d as isize).collect();
        let dtype = self.dtype();
        let fast = no_grad(|| self.var_std_fast(&rd, correction, keepdim, sqrt))?;
        let out = match fast {
            Some(t) => t,
            None => no_grad(|| -> Result<Tensor> {
                let x = self.to_dtype(DType::Float64)?;
                let m = x.mean(Some(&sd), true)?;
                let d = x.sub(&m)?;
                let v = d
                    .mul(&d)?
                    .sum(Some(&sd), keepdim)?
                    .div_scalar(Scalar::Float(denom))?;
                let v = if sqrt { v.sqrt()? } else { v };
                v.to_dtype(dtype)
            })?,
        };
        // The input is saved (a view gathered) only when a node will hold it: nothing records
        // the formula otherwise, and gathering a transposed view costs more than the statistic.
        let records = super::is_grad_enabled() && self.requires_grad();
        let a = if records { saved(self) } else { self.clone() };
        let result = saved(&out);
        let name = if sqrt { "StdBackward0" } else { "VarBackward0" };
        let st = out.storage().as_ref().clone();
        Ok(super::ops::record_out(&result.clone(), st, name, &[self], true, move |g, _| {
            let m = a.mean(Some(&sd), true)?;
            let centered = a.sub(&m)?;
            let g = expand_reduced(g, &shape, &rd, keepdim)?;
            // ATen's var_backward: `(2 / denom) * g * (x - mean)`, left to right; std_backward
            // feeds it `g / (2 * std)`, zero where std is zero.
            let g = if sqrt {
                let s = expand_reduced(&result, &shape, &rd, keepdim)?;
                g.div(&s.mul_scalar(Scalar::Float(2.0))?)?.masked_fill(&s.eq_scalar(Scalar::Float(0.0))?, Scalar::Float(0.0))?
            } else {
                g
            };
            let r = g.mul_scalar(Scalar::Float(2.0 / denom))?.mul(&centered)?;
            Ok(vec![Some(r)])
        }))
    }

    /// The forward value of `var`/`std` by PyTorch's own algorithms (see `variance`), for
    /// float32 and float64 tensors; `None` where the general two-pass path applies (nothing
    /// of size above 1 reduced, no elements).
    fn var_std_fast(
        &self,
        rd: &[usize],
        correction: f64,
        keepdim: bool,
        sqrt: bool,
    ) -> Result<Option<Tensor>> {
        let shape = self.shape();
        let active: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
        let reduced: Vec<usize> = active.iter().copied().filter(|d| rd.contains(d)).collect();
        if reduced.is_empty()
            || self.numel() == 0
            || !matches!(self.dtype(), DType::Float32 | DType::Float64)
        {
            return Ok(None);
        }
        let out_shape = super::norm_reduce::reduced_shape(&shape, rd, keepdim);
        let full = reduced.len() == active.len();
        if full {
            let mean = match self.mean(None, false)?.item()? {
                Scalar::Float(m) => m,
                _ => return Ok(None),
            };
            // The squared deviations are summed where the elements sit in the buffer (a
            // view's is its base's), in the 2-D loop's runs over it: no gathered copy.
            let (buf, at) = self.buffer();
            let runs = super::sum_reduce::memory_runs(&at.shape, &at.strides, at.offset);
            let n = at.numel();
            fn var_at<T: super::kernels::Float + Into<f64>>(
                a: &ndarray::ArrayD<T>,
                at: &super::view::Layout,
                runs: &[Vec<super::sum_reduce::Run>],
                n: usize,
                (mean, correction, sqrt): (f64, f64, bool),
            ) -> Result<f64> {
                let x = super::ops::row_major(a);
                if !super::sum_reduce::fits(x.len(), at.offset, &at.shape, &at.strides) {
                    return Err(TensorError::runtime("internal: a view reaches past its base's buffer"));
                }
                Ok(variance::var_all(&x, runs, n, mean, correction, sqrt))
            }
            let v = match &*buf {
                super::storage::Storage::F32(a) => var_at(a, &at, &runs, n, (mean, correction, sqrt))?,
                super::storage::Storage::F64(a) => var_at(a, &at, &runs, n, (mean, correction, sqrt))?,
                _ => return Ok(None),
            };
            return Ok(Some(
                Tensor::from_data(super::Data::F64(vec![v]), &out_shape)?.to_dtype(self.dtype())?,
            ));
        }
        let storage = self.storage();
        // Welford over one block of reduced dims; scattered reduced dims take the general path.
        let pos: Vec<usize> = reduced
            .iter()
            .filter_map(|d| active.iter().position(|a| a == d))
            .collect();
        if pos.windows(2).any(|w| w[1] != w[0] + 1) {
            return Ok(None);
        }
        let (first, last) = (reduced[0], reduced[reduced.len() - 1]);
        let outer: usize = shape[..first].iter().product();
        let len: usize = shape[first..=last].iter().product();
        let inner: usize = shape[last + 1..].iter().product();
        let v = match &*storage {
            super::storage::Storage::F32(a) => variance::var_welford(
                &super::ops::row_major(a),
                outer,
                len,
                inner,
                correction,
                sqrt,
            ),
            super::storage::Storage::F64(a) => variance::var_welford(
                &super::ops::row_major(a),
                outer,
                len,
                inner,
                correction,
                sqrt,
            ),
            _ => return Ok(None),
        };
        Ok(Some(
            Tensor::from_data(super::Data::F64(v), &out_shape)?.to_dtype(self.dtype())?,
        ))
    }

    /// `t.prod()` / `t.prod(dim, keepdim)`: left-to-right products (ProdBackward0/1).
    pub fn prod(&self, dim: Option<isize>, keepdim: bool) -> Result<Tensor> {
        let shape = self.shape();
        if self.dtype().is_floating_point() && !shape.is_empty() {
            let d = match dim {
                Some(d) => Some(norm_dim(d, shape.len())?),
                None => None,
            };
            return self.prod_float(d, keepdim);
        }
        // Integral and bool products and running sums are int64, as in PyTorch.
        let dtype = if self.dtype().is_integral() || self.dtype() == DType::Bool { DType::Int64 } else { self.dtype() };
        let (rd, name) = match dim {
            None => ((0..shape.len()).collect::<Vec<_>>(), "ProdBackward0"),
            Some(d) => (vec![norm_dim(d, shape.len().max(1))?.min(shape.len().saturating_sub(1))], "ProdBackward1"),
        };
        let keep = keepdim && dim.is_some();
        let x = self.to_f64_vec();
        let out_shape_keep: Vec<usize> = (0..shape.len()).map(|d| if rd.contains(&d) { 1 } else { shape[d] }).collect();
        let out_n: usize = out_shape_keep.iter().product();
        let mut acc = vec![1.0f64; out_n];
        let mut idx = vec![0usize; shape.len()];
        for &v in &x {
            let mut o = 0;
            for d in 0..shape.len() {
                o = o * out_shape_keep[d] + if rd.contains(&d) { 0 } else { idx[d] };
            }
            acc[o] = match dtype {
                DType::Float32 => f64::from((acc[o] as f32) * (v as f32)),
                _ => acc[o] * v,
            };
            for d in (0..shape.len()).rev() {
                idx[d] += 1;
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
        let out_shape: Vec<usize> = if keep {
            out_shape_keep
        } else {
            (0..shape.len()).filter(|d| !rd.contains(d)).map(|d| shape[d]).collect()
        };
        let out = Tensor::from_data(super::Data::F64(acc), &out_shape)?.to_dtype(dtype)?;
        let a = saved(self);
        let result = saved(&out);
        let st = out.storage().as_ref().clone();
        let linked = result.clone();
        let out = super::forward_ad::with_linked(&linked, || {
            record_as(st, dtype, name, &[self], true, move |g, _| {
                let g = expand_reduced(g, &shape, &rd, keep)?;
                let p = expand_reduced(&result, &shape, &rd, keep)?;
                Ok(vec![Some(g.mul(&p)?.div(&a)?)])
            })
        });
        Ok(super::ops::link_output(&linked, out))
    }

    /// `t.cumsum(dim)`: sequential running sums along `dim` (CumsumBackward0).
    pub fn cumsum(&self, dim: isize) -> Result<Tensor> {
        let shape = self.shape();
        let nd = shape.len().max(1);
        let d = norm_dim(dim, nd)?.min(shape.len().saturating_sub(1));
        // Integral and bool products and running sums are int64, as in PyTorch.
        let dtype = if self.dtype().is_integral() || self.dtype() == DType::Bool { DType::Int64 } else { self.dtype() };
        let x = self.to_f64_vec();
        let (outer, len, inner) = super::ops::split3(&shape, d);
        let mut out = x.clone();
        for o in 0..outer {
            for i in 0..inner {
                let mut acc = 0.0f64;
                for k in 0..len {
                    let j = (o * len + k) * inner + i;
                    // ATen accumulates float32 running sums in double (acc_type on CPU)
                    // and rounds each output once.
                    acc += x[j];
                    out[j] = acc;
                }
            }
        }
        let out = Tensor::from_data(super::Data::F64(out), &shape)?.to_dtype(dtype)?;
        let st = out.storage().as_ref().clone();
        Ok(record_as(st, dtype, "CumsumBackward0", &[self], false, move |g, _| {
            // The gradient of a running sum is the reversed running sum of the gradient.
            let gv = g.to_f64_vec();
            let mut r = gv.clone();
            for o in 0..outer {
                for i in 0..inner {
                    let mut acc = 0.0f64;
                    for k in (0..len).rev() {
                        let j = (o * len + k) * inner + i;
                        acc += gv[j];
                        r[j] = acc;
                    }
                }
            }
            Ok(vec![Some(Tensor::from_data(super::Data::F64(r), &g.shape())?.to_dtype(g.dtype())?)])
        }))
    }

    /// Pieces of `size` along `dim` (the last may be shorter): `t.split(int)` / `chunk`.
    pub fn split_size(&self, size: usize, dim: isize) -> Result<Vec<Tensor>> {
        let d = norm_dim(dim, self.dim())?;
        let n = self.shape()[d];
        if size == 0 {
            return Err(TensorError::runtime("split_size can only be 0 if dimension size is 0"));
        }
        let sizes: Vec<usize> = (0..n.div_ceil(size).max(1)).map(|i| size.min(n - (i * size).min(n))).collect();
        Ok(self.split_pieces(&sizes, d, "SplitBackward0", "Split"))
    }

    /// Pieces with the given sizes along `dim`: `t.split([2, 3])`.
    pub fn split_sizes(&self, sizes: &[usize], dim: isize) -> Result<Vec<Tensor>> {
        let d = norm_dim(dim, self.dim())?;
        let n = self.shape()[d];
        if sizes.iter().sum::<usize>() != n {
            return Err(TensorError::runtime(format!(
                "split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at dimension {d}), but got split_sizes={sizes:?}"
            )));
        }
        Ok(self.split_pieces(sizes, d, "SplitWithSizesBackward0", "SplitWithSizes"))
    }

    /// Consecutive views of `sizes` along `d`; in-place updates of them are refused under
    /// autograd, as for every function returning several views.
    fn split_pieces(&self, sizes: &[usize], d: usize, name: &'static str, op: &'static str) -> Vec<Tensor> {
        let mut start = 0;
        let mut out = Vec::new();
        for (index, &s) in sizes.iter().enumerate() {
            out.push(self.slice_as(d, start, start + s, 1, name, super::view::Creation::MultiOutput { index, op }));
            start += s;
        }
        out
    }

    /// `t.chunk(chunks, dim)`: splits of ceil(n / chunks).
    pub fn chunk(&self, chunks: usize, dim: isize) -> Result<Vec<Tensor>> {
        if chunks == 0 {
            return Err(TensorError::runtime("chunk expects `chunks` to be greater than 0, got: 0"));
        }
        let d = norm_dim(dim, self.dim())?;
        let n = self.shape()[d];
        self.split_size(n.div_ceil(chunks).max(1), dim)
    }
}
