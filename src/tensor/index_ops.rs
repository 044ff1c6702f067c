//! Writes along one dimension at listed indices: `index_add` (with `alpha`), `index_copy`,
//! `index_fill`, and `masked_scatter`, with PyTorch's argument checks and gradients. Each
//! forward walks the index in order (so repeated indices accumulate, or the last copy wins,
//! as ATen's CPU loops do) over flat row-major positions; the backward formulas are recorded
//! tensor ops, so they differentiate again under `create_graph`.

use super::autograd::record;
use super::ops::split3;
use super::storage::{Storage, list_str};
use super::select::flat_storage;
use super::tensor::norm_dim;
use super::view::flat;
use super::{DType, Result, Scalar, Tensor, TensorError};
use ndarray::ArrayD;

/// What `index_fill` writes: a number (IndexFillBackward0) or a 0-dim tensor (…Backward1).
pub enum FillValue<'a> {
    Scalar(Scalar),
    Tensor(&'a Tensor),
}

fn index_err(msg: String) -> TensorError {
    TensorError::Index { msg }
}

/// The indices as positions along a dim of `size`: negative ones count from the end when
/// `wrap` (index_fill), otherwise they are out of range like any other; `err` words the
/// error for the first bad one.
fn positions(idx: &[i64], size: usize, wrap: bool, err: impl Fn(i64) -> String) -> Result<Vec<usize>> {
    let n = size as i64;
    idx.iter()
        .map(|&i| {
            let j = if wrap && i < 0 { i + n } else { i };
            if j < 0 || j >= n { Err(index_err(err(i))) } else { Ok(j as usize) }
        })
        .collect()
}

/// The index as int64 values, refusing other dtypes and ranks with `op`'s messages.
fn index_list(index: &Tensor, op: &str) -> Result<Vec<i64>> {
    let dt = index.dtype();
    match op {
        "index_add" if !matches!(dt, DType::Int64 | DType::Int32) => {
            return Err(TensorError::runtime(format!(
                "index_add_(): Expected dtype int32/int64 for index but got: {}",
                dt.scalar_name()
            )));
        }
        "index_copy" if dt != DType::Int64 => {
            return Err(TensorError::runtime(format!(
                "index_copy_(): Expected a long tensor for index, but got {}",
                dt.scalar_name()
            )));
        }
        "index_fill" if dt != DType::Int64 => {
            return Err(index_err(
                "index_fill_(): Expected dtype int64 for index.".into(),
            ));
        }
        _ => {}
    }
    if index.dim() > 1 {
        return Err(match op {
            "index_add" => index_err(format!(
                "index_add_(): Index is supposed to be a vector, but got dim: {} with type: {} and size: {}",
                index.dim(),
                dt.scalar_name(),
                list_str(&index.shape())
            )),
            "index_copy" => index_err(format!(
                "index_copy_(): Index should have dimension 1 or 0 (got {})",
                index.dim()
            )),
            _ => TensorError::runtime("Index has to be a vector/scalar"),
        });
    }
    Ok(index.to_scalars().into_iter().map(Scalar::as_i64).collect())
}

/// The shape with 0-dim tensors read as one element along dimension 0.
fn shape1(t: &Tensor) -> Vec<usize> {
    let s = t.shape();
    if s.is_empty() { vec![1] } else { s }
}

/// Flat positions in `self` (shape `shape`, slices along `d`) and in the source (the same
/// shape with `n` slices along `d`) for each index in order, slice by slice.
fn slice_positions(shape: &[usize], d: usize, idx: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let (outer, len, inner) = split3(shape, d);
    let n = idx.len();
    let mut dst = Vec::with_capacity(outer * n * inner);
    let mut src = Vec::with_capacity(outer * n * inner);
    for (k, &j) in idx.iter().enumerate() {
        for o in 0..outer {
            for i in 0..inner {
                dst.push((o * len + j) * inner + i);
                src.push((o * n + k) * inner + i);
            }
        }
    }
    (dst, src)
}


/// `base[dst[i]] += alpha * src[spos[i]]` in order, one rounding per element (ATen's
/// `add_(source, alpha)` per slice is a fused multiply-add, as `add(alpha=)` is).
fn add_scaled(
    base: &Storage,
    dst: &[usize],
    src: &Storage,
    spos: &[usize],
    alpha: Scalar,
) -> Result<Storage> {
    fn go<T: Copy>(
        b: &ArrayD<T>,
        s: &ArrayD<T>,
        dst: &[usize],
        spos: &[usize],
        f: impl Fn(T, T) -> T,
    ) -> Result<ArrayD<T>> {
        let mut out = b.as_standard_layout().into_owned();
        let sv = s.as_standard_layout();
        let (Some(o), Some(sv)) = (out.as_slice_mut(), sv.as_slice()) else {
            return Err(TensorError::runtime("internal: not contiguous"));
        };
        for (&p, &q) in dst.iter().zip(spos) {
            o[p] = f(o[p], sv[q]);
        }
        Ok(out)
    }
    Ok(match (base, src) {
        (Storage::F32(b), Storage::F32(s)) => {
            let a = alpha.as_f64() as f32;
            Storage::F32(go(b, s, dst, spos, |x, y| y.mul_add(a, x))?)
        }
        (Storage::F64(b), Storage::F64(s)) => {
            let a = alpha.as_f64();
            Storage::F64(go(b, s, dst, spos, |x, y| y.mul_add(a, x))?)
        }
        (Storage::I64(b), Storage::I64(s)) => {
            let a = alpha.as_i64();
            Storage::I64(go(b, s, dst, spos, |x, y| {
                x.wrapping_add(y.wrapping_mul(a))
            })?)
        }
        (Storage::Bool(b), Storage::Bool(s)) => Storage::Bool(go(b, s, dst, spos, |x, y| x || y)?),
        _ => return Err(TensorError::runtime("internal dtype mismatch")),
    })
}

/// `base[dst[i]] = src[spos[i]]` in order (the last of repeated indices wins).
fn copy_at(base: &Storage, dst: &[usize], src: &Storage, spos: &[usize]) -> Result<Storage> {
    let vals = flat::take(src, spos, &[spos.len()])?;
    flat::put(base, dst, &vals)
}

impl Tensor {
    /// `zeros(shape)` of `src`'s dtype with `src`'s slices along `d` placed at `idx`, for
    /// backward formulas: added in index order when `add` (ATen's `index_add_` on zeros:
    /// repeated indices accumulate in the dtype, and `0 + -0` is `+0`), copied otherwise
    /// (`slice_backward`'s `copy_`, which keeps a `-0`).
    pub(crate) fn zeros_with_slices(shape: &[usize], d: usize, idx: &[usize], src: &Tensor, add: bool) -> Result<Tensor> {
        fn go<T: Copy + Default + std::ops::Add<Output = T>>(
            shape: &[usize],
            d: usize,
            idx: &[usize],
            src: &ArrayD<T>,
            add: bool,
        ) -> Result<ArrayD<T>> {
            let (outer, len, inner) = split3(shape, d);
            let n = idx.len();
            let src = src.as_standard_layout();
            let src = src.as_slice().filter(|s| s.len() == outer * n * inner && idx.iter().all(|&j| j < len));
            let Some(src) = src else {
                return Err(TensorError::runtime("internal: slices do not fit the gradient's shape"));
            };
            let mut out = vec![T::default(); outer * len * inner];
            for o in 0..outer {
                for (k, &j) in idx.iter().enumerate() {
                    let to = &mut out[(o * len + j) * inner..(o * len + j + 1) * inner];
                    let from = &src[(o * n + k) * inner..(o * n + k + 1) * inner];
                    if add {
                        to.iter_mut().zip(from).for_each(|(t, &f)| *t = *t + f);
                    } else {
                        to.copy_from_slice(from);
                    }
                }
            }
            ArrayD::from_shape_vec(ndarray::IxDyn(shape), out).map_err(|e| TensorError::runtime(e.to_string()))
        }
        let out = match &*src.storage() {
            Storage::F32(a) => Storage::F32(go(shape, d, idx, a, add)?),
            Storage::F64(a) => Storage::F64(go(shape, d, idx, a, add)?),
            Storage::I64(a) => Storage::I64(go(shape, d, idx, a, add)?),
            Storage::Bool(_) => return Err(TensorError::runtime("internal: a boolean gradient")),
        };
        Ok(Tensor::from_storage(out))
    }

    /// `index_add(dim, index, source, alpha=1)` (IndexAddBackward0).
    pub fn index_add_alpha(
        &self,
        dim: isize,
        index: &Tensor,
        src: &Tensor,
        alpha: Scalar,
    ) -> Result<Tensor> {
        let d = norm_dim(dim, self.dim())?;
        let idx = index_list(index, "index_add")?;
        if self.dim() != src.dim()
            || self
                .shape()
                .iter()
                .zip(src.shape())
                .enumerate()
                .any(|(k, (a, b))| k != d && *a != b)
        {
            return Err(TensorError::runtime(format!(
                "source tensor shape must match self tensor shape, excluding the specified dimension. Got self.shape = {} source.shape = {}",
                list_str(&self.shape()),
                list_str(&src.shape())
            )));
        }
        let shape = shape1(self);
        let n = shape1(src)[d];
        if idx.len() != n {
            return Err(TensorError::runtime(format!(
                "index_add_(): Number of indices ({}) should be equal to source.size(dim): ({n}), for dim: {d}",
                idx.len()
            )));
        }
        if self.dtype() != src.dtype() {
            return Err(TensorError::runtime(format!(
                "index_add_(): self ({}) and source ({}) must have the same scalar type",
                self.dtype().scalar_name(),
                src.dtype().scalar_name()
            )));
        }
        let uidx = positions(&idx, shape[d], false, |_| "index out of range in self".into())?;
        let (dst, spos) = slice_positions(&shape, d, &uidx);
        let out = add_scaled(&flat_storage(self), &dst, &flat_storage(src), &spos, alpha)?
            .into_shape(&self.shape())?;
        let sshape = src.shape();
        Ok(record(
            out,
            "IndexAddBackward0",
            &[self, src],
            false,
            move |g, need| {
                let gs = if need[1] {
                    let picked = g.index_select(d as isize, &idx)?.reshape_usize(&sshape)?;
                    Some(if alpha.as_f64() == 1.0 {
                        picked
                    } else {
                        picked.mul_scalar(alpha)?
                    })
                } else {
                    None
                };
                Ok(vec![need[0].then(|| g.clone()), gs])
            },
        ))
    }

    /// `index_copy(dim, index, source)` (IndexCopyBackward0).
    pub fn index_copy(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let d = norm_dim(dim, self.dim())?;
        let idx = index_list(index, "index_copy")?;
        let shape = shape1(self);
        let sshape1 = shape1(src);
        let n = sshape1.get(d).copied().unwrap_or(1);
        if idx.len() != n {
            return Err(index_err(format!(
                "index_copy_(): Number of indices ({}) should be equal to source.size(dim) ({n})",
                idx.len()
            )));
        }
        let slice = |s: &[usize]| -> Vec<usize> {
            s.iter()
                .enumerate()
                .filter(|(k, _)| *k != d)
                .map(|(_, v)| *v)
                .collect()
        };
        if slice(&shape) != slice(&sshape1) || shape.len() != sshape1.len() {
            let join = |v: Vec<usize>| {
                v.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            return Err(TensorError::runtime(format!(
                "index_copy_(): Source/destination tensor must have same slice shapes. Destination slice shape: {} at dimension {d} and source slice shape: {} at dimension {d}.",
                join(slice(&shape)),
                join(slice(&sshape1))
            )));
        }
        if self.dtype() != src.dtype() {
            return Err(TensorError::runtime(format!(
                "index_copy_(): self and source expected to have the same dtype, but got (self) {} and (source) {}",
                self.dtype().scalar_name(),
                src.dtype().scalar_name()
            )));
        }
        let size = shape[d];
        let uidx = positions(&idx, size, false, |i| {
            format!("index_copy_(): index {i} is out of bounds for dimension {d} with size {size}")
        })?;
        let (dst, spos) = slice_positions(&shape, d, &uidx);
        let out = copy_at(&flat_storage(self), &dst, &flat_storage(src), &spos)?.into_shape(&self.shape())?;
        let sshape = src.shape();
        let index = index.clone();
        Ok(record(
            out,
            "IndexCopyBackward0",
            &[self, src],
            false,
            move |g, need| {
                let gself = if need[0] {
                    Some(g.index_fill(d as isize, &index, FillValue::Scalar(Scalar::Int(0)))?)
                } else {
                    None
                };
                let gsrc = if need[1] {
                    Some(g.index_select(d as isize, &idx)?.reshape_usize(&sshape)?)
                } else {
                    None
                };
                Ok(vec![gself, gsrc])
            },
        ))
    }

    /// `index_fill(dim, index, value)` (IndexFillBackward0, or IndexFillBackward1 for a
    /// tensor value, whose gradient sums the filled positions' gradients).
    pub fn index_fill(&self, dim: isize, index: &Tensor, value: FillValue) -> Result<Tensor> {
        let d = norm_dim(dim, self.dim())?;
        let idx = index_list(index, "index_fill")?;
        let v = match value {
            FillValue::Scalar(s) => s,
            FillValue::Tensor(t) if t.dim() != 0 => {
                return Err(TensorError::runtime(format!(
                    "index_fill_ only supports a 0-dimensional value tensor, but got tensor with {} dimension(s).",
                    t.dim()
                )));
            }
            FillValue::Tensor(t) => t.item()?,
        };
        let shape = shape1(self);
        let size = shape[d];
        let uidx = positions(&idx, size, true, |i| {
            format!("index {i} is out of bounds for dimension {d} with size {size}")
        })?;
        let (dst, _) = slice_positions(&shape, d, &uidx);
        let fill = Storage::full(&[dst.len()], v, self.dtype());
        let out = flat::put(&flat_storage(self), &dst, &fill)?.into_shape(&self.shape())?;
        let index = index.clone();
        let fill_grad =
            move |g: &Tensor| g.index_fill(d as isize, &index, FillValue::Scalar(Scalar::Int(0)));
        Ok(match value {
            FillValue::Scalar(_) => {
                record(out, "IndexFillBackward0", &[self], false, move |g, _| {
                    Ok(vec![Some(fill_grad(g)?)])
                })
            }
            FillValue::Tensor(t) => {
                let mut unique = uidx.iter().map(|&i| i as i64).collect::<Vec<_>>();
                unique.sort_unstable();
                unique.dedup();
                record(
                    out,
                    "IndexFillBackward1",
                    &[self, t],
                    false,
                    move |g, need| {
                        let gv = if need[1] {
                            Some(g.index_select(d as isize, &unique)?.sum(None, false)?)
                        } else {
                            None
                        };
                        Ok(vec![if need[0] { Some(fill_grad(g)?) } else { None }, gv])
                    },
                )
            }
        })
    }

    /// `masked_scatter(mask, source)` (MaskedScatterBackward0): the positions where the
    /// (broadcast) mask is true take the source's elements in row-major order.
    pub fn masked_scatter(&self, mask: &Tensor, src: &Tensor) -> Result<Tensor> {
        if mask.dtype() != DType::Bool {
            return Err(TensorError::runtime(format!(
                "masked_scatter_ only supports boolean masks, but got mask with dtype {}",
                super::ops::dtype_name(mask.dtype())
            )));
        }
        // Out of place, self and mask broadcast together (the docstring's 1-D self under a 2-D
        // mask); the in-place form checks that the result keeps self's shape.
        let shape = super::broadcast_shapes(&self.shape(), &mask.shape())?;
        let expanded;
        let this = if self.shape() == shape {
            self
        } else {
            expanded = self.expand(&shape)?;
            &expanded
        };
        let m = mask.storage().expand(&shape)?;
        let pos: Vec<usize> = m
            .to_f64_vec()
            .iter()
            .enumerate()
            .filter(|(_, b)| **b != 0.0)
            .map(|(i, _)| i)
            .collect();
        if pos.len() > src.numel() {
            return Err(TensorError::runtime(
                "Number of elements of source < number of ones in mask",
            ));
        }
        let taken = flat::take(
            &flat_storage(src).cast(this.dtype()),
            &(0..pos.len()).collect::<Vec<_>>(),
            &[pos.len()],
        )?;
        let out = flat::put(&flat_storage(this), &pos, &taken)?;
        let sshape = src.shape();
        let snumel = src.numel();
        Ok(record(
            out,
            "MaskedScatterBackward0",
            &[this, src],
            false,
            move |g, need| {
                let gself = if need[0] {
                    Some(Tensor::from_storage(flat::zero_at(&flat_storage(g), &pos)))
                } else {
                    None
                };
                let gsrc = if need[1] {
                    let picked = flat::take(&flat_storage(g), &pos, &[pos.len()])?;
                    let mut full = Storage::full(&[snumel], Scalar::Int(0), g.dtype());
                    full = flat::put(&full, &(0..pos.len()).collect::<Vec<_>>(), &picked)?;
                    Some(Tensor::from_storage(full.into_shape(&sshape)?))
                } else {
                    None
                };
                Ok(vec![gself, gsrc])
            },
        ))
    }
}
