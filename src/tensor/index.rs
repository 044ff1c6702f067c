//! Python-style indexing: `t[idx]` reads and `t[idx] = v` writes, built from the view ops
//! (select/slice/unsqueeze/index_select/masked_select) so gradients and grad_fn names follow.

use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};

/// One component of a subscript, as the interpreter parses it.
#[derive(Clone)]
pub enum Index {
    /// `t[3]`, `t[-1]`: removes the dim.
    Int(i64),
    /// `t[a:b:c]` with Python's defaults and clamping.
    Slice { start: Option<i64>, stop: Option<i64>, step: i64 },
    /// `t[None]`: inserts a dim of size 1.
    NewAxis,
    /// `t[...]`.
    Ellipsis,
    /// `t[mask]` (bool tensor of the indexed dims' shape) or `t[idx]` (int64 tensor / list).
    Tensor(Tensor),
}

impl Tensor {
    /// `t[idx]`.
    pub fn index(&self, idx: &[Index]) -> Result<Tensor> {
        let consuming = idx.iter().filter(|i| !matches!(i, Index::NewAxis | Index::Ellipsis)).count();
        let nd = self.dim();
        if consuming > nd {
            if nd == 0 {
                return Err(zero_dim_index());
            }
            return Err(TensorError::Index { msg: format!("too many indices for tensor of dimension {nd}") });
        }
        if idx.iter().filter(|i| matches!(i, Index::Ellipsis)).count() > 1 {
            return Err(TensorError::runtime("an index can only have a single ellipsis ('...')"));
        }
        let mut t = self.clone();
        let mut dim = 0usize;
        let mut tensor_indices = 0;
        for i in idx {
            match i {
                Index::Int(k) => t = t.select(dim as isize, *k)?,
                Index::Slice { start, stop, step } => {
                    t = t.slice(dim as isize, *start, *stop, *step)?;
                    dim += 1;
                }
                Index::NewAxis => {
                    t = t.unsqueeze(dim as isize)?;
                    dim += 1;
                }
                Index::Ellipsis => dim += nd - consuming,
                Index::Tensor(ix) => {
                    tensor_indices += 1;
                    if tensor_indices > 1 {
                        return Err(TensorError::unsupported("indexing with more than one index tensor"));
                    }
                    match ix.dtype() {
                        DType::Bool => {
                            if dim != 0 || ix.dim() != t.dim() {
                                return Err(TensorError::unsupported("boolean mask indexing of only some dims"));
                            }
                            t = t.masked_select(ix)?;
                            dim += 1;
                        }
                        DType::Int64 => {
                            let list: Vec<i64> = ix.to_scalars().iter().map(|s| s.as_i64()).collect();
                            let picked = t.index_select(dim as isize, &list)?;
                            if ix.dim() == 1 {
                                t = picked;
                            } else {
                                // The index tensor's shape replaces the indexed dim.
                                let mut shape = t.shape();
                                shape.splice(dim..=dim, ix.shape());
                                t = picked.reshape_usize(&shape)?;
                            }
                            dim += ix.dim();
                        }
                        _ => {
                            return Err(TensorError::Index {
                                msg: "tensors used as indices must be long, int, byte or bool tensors".into(),
                            })
                        }
                    }
                }
            }
        }
        Ok(t)
    }

    /// `t[idx] = value` (value broadcast to the indexed shape; CopySlices / IndexPutBackward0).
    pub fn index_put_(&self, idx: &[Index], value: &Tensor) -> Result<()> {
        if super::is_grad_enabled() && self.is_leaf() && self.requires_grad() {
            return Err(TensorError::InPlaceLeaf);
        }
        let shape = self.shape();
        let numel = self.numel();
        // Indexing a tensor of flat positions tells which elements the subscript names.
        let positions = super::no_grad(|| {
            let pos = Tensor::from_storage(Storage::I64(
                ArrayD::from_shape_vec(IxDyn(&shape), (0..numel as i64).collect())
                    .map_err(|e| TensorError::runtime(e.to_string()))?,
            ));
            pos.index(idx)
        })?;
        let sel_shape = positions.shape();
        let pos: Vec<usize> = positions.to_scalars().iter().map(|s| s.as_i64() as usize).collect();
        let vals = value.storage().cast(self.dtype()).expand(&sel_shape).map_err(|_| {
            TensorError::runtime(format!(
                "shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}",
                super::storage::list_str(&value.shape()),
                super::storage::list_str(&sel_shape)
            ))
        })?;
        let out = scatter(&self.storage(), &pos, &vals)?;
        let name = if idx.iter().any(|i| matches!(i, Index::Tensor(_))) { "IndexPutBackward0" } else { "CopySlices" };
        let value_shape = value.shape();
        let pos2 = pos.clone();
        let result = record(out, name, &[self, value], false, move |g, n| {
            let gv = g.storage();
            let zeros = Storage::full(&sel_shape, super::Scalar::Int(0), gv.dtype());
            let g_self = Tensor::from_storage(scatter(&gv, &pos2, &zeros)?);
            let g_val = if n[1] {
                let flat = gv.reshape(&[gv.numel()])?.take_axis(0, &pos2).reshape(&sel_shape)?;
                Some(Tensor::from_storage(flat).sum_to_shape(&value_shape)?)
            } else {
                None
            };
            Ok(vec![Some(g_self), g_val])
        });
        self.assign_inplace(result)
    }

    /// Reduces a broadcast gradient to `shape` (public form of the engine's `sum_to`).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        self.sum_to(shape)
    }
}

pub(crate) fn zero_dim_index() -> TensorError {
    TensorError::Index {
        msg: "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number".into(),
    }
}

/// Copy of `base` with `vals` (row-major) written at flat positions `pos`.
fn scatter(base: &Storage, pos: &[usize], vals: &Storage) -> Result<Storage> {
    fn go<T: Clone>(b: &ArrayD<T>, pos: &[usize], v: &ArrayD<T>) -> Result<ArrayD<T>> {
        let mut data: Vec<T> = b.iter().cloned().collect();
        for (&p, x) in pos.iter().zip(v.iter()) {
            if let Some(slot) = data.get_mut(p) {
                *slot = x.clone();
            }
        }
        ArrayD::from_shape_vec(b.raw_dim(), data).map_err(|e| TensorError::runtime(e.to_string()))
    }
    Ok(match (base, &vals.cast(base.dtype())) {
        (Storage::F32(b), Storage::F32(v)) => Storage::F32(go(b, pos, v)?),
        (Storage::F64(b), Storage::F64(v)) => Storage::F64(go(b, pos, v)?),
        (Storage::I64(b), Storage::I64(v)) => Storage::I64(go(b, pos, v)?),
        (Storage::Bool(b), Storage::Bool(v)) => Storage::Bool(go(b, pos, v)?),
        _ => return Err(TensorError::runtime("internal dtype mismatch")),
    })
}
