//! `as_strided` (a view through an explicit size, stride and storage offset, with
//! AsStridedBackward0), `empty_strided`, `put` (PutBackward0) and `index_reduce` (ATen's CPU
//! order: index order, `include_self`'s identities, mean divided by the counts afterwards).

use super::autograd::record;
use super::select::flat_storage;
use super::storage::Storage;
use super::view::{Layout, as_strided_backward, flat};
use super::{DType, Data, Result, Scalar, Tensor, TensorError};
use std::rc::Rc;

/// The elements a layout needs from its storage (0 when it has no element).
fn storage_needed(size: &[usize], stride: &[usize], offset: usize) -> usize {
    if size.contains(&0) {
        return 0;
    }
    offset
        + 1
        + size
            .iter()
            .zip(stride)
            .map(|(&n, &s)| (n - 1) * s)
            .sum::<usize>()
}

/// PyTorch's checks of a (size, stride) pair; returns the strides as usize.
fn check_strides(size: &[usize], stride: &[i64]) -> Result<Vec<usize>> {
    if size.len() != stride.len() {
        return Err(TensorError::runtime(
            "mismatch in length of strides and shape",
        ));
    }
    if stride.iter().any(|&s| s < 0) {
        return Err(TensorError::runtime(format!(
            "as_strided: Negative strides are not supported at the moment, got strides: {stride:?}"
        )));
    }
    Ok(stride.iter().map(|&s| s as usize).collect())
}

impl Tensor {
    /// `as_strided(size, stride, storage_offset)`: this tensor's storage read through the
    /// given layout (the offset defaults to this tensor's).
    pub fn as_strided(
        &self,
        size: &[usize],
        stride: &[i64],
        offset: Option<usize>,
    ) -> Result<Tensor> {
        let strides = check_strides(size, stride)?;
        let (root, own) = self.buffer();
        let offset = offset.unwrap_or(own.offset);
        let needed = storage_needed(size, &strides, offset);
        let item = self.dtype().element_size();
        if needed > root.numel() {
            return Err(TensorError::runtime(format!(
                "setStorage: sizes {size:?}, strides {stride:?}, storage offset {offset}, and itemsize {item} requiring a storage size of {} are out of bounds for storage of size {}",
                needed * item,
                root.numel() * item
            )));
        }
        let layout = Layout {
            shape: size.to_vec(),
            strides,
            offset,
        };
        // The gradient goes to this tensor's elements: each storage slot the view reads, found
        // among the slots this tensor's own elements occupy.
        let mut slot_of = std::collections::HashMap::new();
        for (i, p) in own.positions().into_iter().enumerate() {
            slot_of.entry(p).or_insert(i);
        }
        let pos: Option<Vec<usize>> = layout
            .positions()
            .iter()
            .map(|p| slot_of.get(p).copied())
            .collect();
        let pos = match pos {
            Some(p) => p,
            None if self.requires_grad() && super::is_grad_enabled() => {
                return Err(TensorError::unsupported(
                    "as_strided of a view that requires grad reaching storage outside the view",
                ));
            }
            None => Vec::new(),
        };
        Ok(self.view_op(
            "AsStridedBackward0",
            move |_| layout.clone(),
            as_strided_backward(self.shape(), Rc::new(pos)),
        ))
    }

    /// `torch.empty_strided(size, stride)`: a fresh buffer (zeros here; PyTorch's is
    /// uninitialised) of the elements the layout needs, read through it.
    pub fn empty_strided(size: &[usize], stride: &[i64], dtype: DType) -> Result<Tensor> {
        let strides = check_strides(size, stride)?;
        let needed = storage_needed(size, &strides, 0);
        super::check_size(&[needed])?;
        let layout = Layout {
            shape: size.to_vec(),
            strides,
            offset: 0,
        };
        Ok(super::view::strided_buffer(
            Storage::full(&[needed], Scalar::Int(0), dtype),
            layout,
            dtype,
        ))
    }

    /// `put(index, source, accumulate)` (PutBackward0): `source`'s elements written (or added)
    /// at the flat positions `index` of this tensor.
    pub fn put(&self, index: &Tensor, source: &Tensor, accumulate: bool) -> Result<Tensor> {
        if index.dtype() != DType::Int64 {
            return Err(TensorError::runtime(format!(
                "put_(): Expected a long tensor for index, but got {}",
                super::ops::dtype_name(index.dtype())
            )));
        }
        if self.dtype() != source.dtype() {
            return Err(TensorError::runtime(format!(
                "put_(): self and source expected to have the same dtype, but got self.dtype = {} and source.dtype = {}",
                super::ops::dtype_name(self.dtype()),
                super::ops::dtype_name(source.dtype())
            )));
        }
        if index.numel() != source.numel() {
            return Err(TensorError::Index {
                msg: format!(
                    "put_(): Expected source and index to have the same number of elements, but got source.numel() = {}, index.numel() = {}",
                    source.numel(),
                    index.numel()
                ),
            });
        }
        let n = self.numel() as i64;
        let mut pos = Vec::with_capacity(index.numel());
        for v in index.to_f64_vec() {
            let i = v as i64;
            if i < -n || i >= n {
                return Err(TensorError::Index {
                    msg: format!(
                        "out of range: tried to access index {i} on a tensor of {n} elements."
                    ),
                });
            }
            pos.push(if i < 0 { (i + n) as usize } else { i as usize });
        }
        let base = flat_storage(self);
        let vals = flat_storage(source);
        let out = if accumulate {
            flat::add_at(&base, &pos, &vals)?
        } else {
            flat::put(&base, &pos, &vals)?
        }
        .into_shape(&self.shape())?;
        let sshape = source.shape();
        Ok(record(
            out,
            "PutBackward0",
            &[self, source],
            false,
            move |g, need| {
                let gf = flat_storage(g);
                let gself = match (need[0], accumulate) {
                    (false, _) => None,
                    (true, true) => Some(g.clone()),
                    (true, false) => Some(Tensor::from_storage(
                        flat::zero_at(&gf, &pos).into_shape(&g.shape())?,
                    )),
                };
                let gsrc = if need[1] {
                    Some(Tensor::from_storage(flat::take(&gf, &pos, &sshape)?))
                } else {
                    None
                };
                Ok(vec![gself, gsrc])
            },
        ))
    }

    /// `index_reduce(dim, index, source, reduce, include_self)` with reduce one of prod, mean,
    /// amax, amin. No autograd (refused when an operand requires grad).
    pub fn index_reduce(
        &self,
        dim: isize,
        index: &Tensor,
        source: &Tensor,
        reduce: &str,
        include_self: bool,
    ) -> Result<Tensor> {
        if !matches!(reduce, "prod" | "mean" | "amax" | "amin") {
            return Err(TensorError::runtime(format!(
                "index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}."
            )));
        }
        if !matches!(index.dtype(), DType::Int64 | DType::Int32) {
            return Err(TensorError::runtime(format!(
                "index_reduce_(): Expected dtype int32/int64 for index but got: {}",
                super::ops::dtype_name(index.dtype())
            )));
        }
        if index.dim() > 1 {
            return Err(TensorError::Index {
                msg: "index_reduce_(): Index is supposed to be a vector".into(),
            });
        }
        if self.dtype() != source.dtype() {
            return Err(TensorError::runtime(format!(
                "index_reduce_(): self ({}) and source ({}) must have the same scalar type",
                super::ops::dtype_name(self.dtype()),
                super::ops::dtype_name(source.dtype())
            )));
        }
        if (self.requires_grad() || source.requires_grad()) && super::is_grad_enabled() {
            return Err(TensorError::unsupported(
                "index_reduce of tensors that require grad (no autograd yet)",
            ));
        }
        let shape = self.shape();
        let nd = shape.len().max(1);
        let d = super::norm_dim_public(dim, nd)?;
        let sshape = source.shape();
        let idx: Vec<i64> = index.to_f64_vec().iter().map(|&v| v as i64).collect();
        let ssize = if sshape.is_empty() {
            1
        } else {
            sshape[d.min(sshape.len() - 1)]
        };
        if idx.len() != ssize {
            return Err(TensorError::runtime(format!(
                "index_reduce_(): Number of indices ({}) should be equal to source.size(dim): ({ssize}), for dim: {dim}",
                idx.len()
            )));
        }
        // The tensor as (outer, size along dim, inner) blocks; source likewise.
        let size = shape.get(d).copied().unwrap_or(1);
        let inner: usize = shape.iter().skip(d + 1).product();
        let outer: usize = shape.iter().take(d).product();
        if idx.iter().any(|&i| i < -(size as i64) || i >= size as i64) {
            return Err(TensorError::Index {
                msg: "index out of range in self".into(),
            });
        }
        let idx: Vec<usize> = idx
            .iter()
            .map(|&i| {
                if i < 0 {
                    (i + size as i64) as usize
                } else {
                    i as usize
                }
            })
            .collect();
        let float = self.dtype().is_floating_point();
        let round: fn(f64) -> f64 = if self.dtype() == DType::Float32 {
            |x| f64::from(x as f32)
        } else {
            |x| x
        };
        let mut out = self.contiguous().to_f64_vec();
        let src = source.contiguous().to_f64_vec();
        let mut counts = vec![if include_self { 1.0 } else { 0.0 }; out.len()];
        let at = |o: usize, k: usize, j: usize| (o * size + k) * inner + j;
        if !include_self {
            let identity = match reduce {
                "prod" => 1.0,
                "mean" => 0.0,
                // Every index gets at least one source value, so these never reach the result.
                "amax" => f64::NEG_INFINITY,
                _ => f64::INFINITY,
            };
            for o in 0..outer {
                for &k in &idx {
                    for j in 0..inner {
                        out[at(o, k, j)] = identity;
                    }
                }
            }
        }
        for o in 0..outer {
            for (i, &k) in idx.iter().enumerate() {
                for j in 0..inner {
                    let (p, v) = (at(o, k, j), src[(o * idx.len() + i) * inner + j]);
                    let cur = out[p];
                    out[p] = match reduce {
                        "prod" => round(cur * v),
                        "mean" => {
                            counts[p] += 1.0;
                            round(cur + v)
                        }
                        "amax" => {
                            if v.is_nan() || v > cur {
                                v
                            } else {
                                cur
                            }
                        }
                        _ => {
                            if v.is_nan() || v < cur {
                                v
                            } else {
                                cur
                            }
                        }
                    };
                }
            }
        }
        if reduce == "mean" {
            for (x, &c) in out.iter_mut().zip(&counts) {
                let c = if c == 0.0 { 1.0 } else { c };
                *x = if float {
                    round(*x / c)
                } else {
                    (*x / c).floor()
                };
            }
        }
        let data = match self.dtype() {
            DType::Float64 => Data::F64(out),
            _ if float => Data::F32(out.iter().map(|&x| x as f32).collect()),
            _ => Data::I64(out.iter().map(|&x| x as i64).collect()),
        };
        let t = Tensor::from_data(data, &shape)?;
        if t.dtype() == self.dtype() {
            Ok(t)
        } else {
            t.to_dtype(self.dtype())
        }
    }
}
