//! In-place shape operations: `t_`, `transpose_`, `unsqueeze_`, `squeeze_` and `resize_`.
//! PyTorch changes the tensor's sizes and strides and keeps its storage; here a tensor that
//! owns its buffer gets the rearranged elements written into that buffer instead (so its
//! strides read as contiguous afterwards, and views taken before a transpose keep reading the
//! buffer's new order: docs/divergences.md). Under autograd the tensor's history gains the
//! node PyTorch names for the in-place form (`TBackward1`, `SqueezeBackward4`, ...).

use std::rc::Rc;

use super::autograd::make_node;
use super::tensor::norm_dim;
use super::{Result, Tensor, TensorError, is_grad_enabled};

/// Which in-place shape change to make.
pub enum ShapeOp {
    T,
    Transpose(isize, isize),
    Unsqueeze(isize),
    /// `squeeze_()` (None), `squeeze_(dim)` or `squeeze_(dims)` (a tuple).
    Squeeze(Option<Vec<isize>>, bool),
    Resize(Vec<usize>),
}

impl Tensor {
    /// Applies `op` to this tensor's shape in place.
    pub fn shape_inplace(&self, op: ShapeOp) -> Result<()> {
        if let ShapeOp::Resize(shape) = &op {
            return self.resize_inplace(shape);
        }
        if self.view_info().is_some() {
            return Err(TensorError::unsupported(
                "in-place shape operations (t_, unsqueeze_, ...) on a view",
            ));
        }
        self.check_inplace()?;
        let shape = self.shape();
        let nd = shape.len();
        let (result, name, swap) = match &op {
            ShapeOp::T => {
                if nd > 2 {
                    return Err(TensorError::runtime(format!(
                        "t_() expects a tensor with <= 2 dimensions, but self is {nd}D"
                    )));
                }
                let swap = (nd == 2).then_some((0, 1));
                (self.t()?, "TBackward1", swap)
            }
            ShapeOp::Transpose(a, b) => {
                let (a, b) = (norm_dim(*a, nd)?, norm_dim(*b, nd)?);
                (
                    self.transpose(a as isize, b as isize)?,
                    "TransposeBackward1",
                    (nd > 0).then_some((a, b)),
                )
            }
            ShapeOp::Unsqueeze(d) => (self.unsqueeze(*d)?, "UnsqueezeBackward1", None),
            ShapeOp::Squeeze(dims, tuple) => {
                let drop: Vec<usize> = match dims {
                    None => (0..nd).filter(|&d| shape[d] == 1).collect(),
                    Some(ds) => {
                        let mut v = Vec::new();
                        for &d in ds {
                            let d = norm_dim(d, nd)?;
                            if nd > 0 && shape[d] == 1 {
                                v.push(d);
                            }
                        }
                        v
                    }
                };
                let new: Vec<usize> = shape
                    .iter()
                    .enumerate()
                    .filter(|(d, _)| !drop.contains(d))
                    .map(|(_, &s)| s)
                    .collect();
                let name = match (dims, tuple) {
                    (None, _) => "SqueezeBackward3",
                    (Some(_), false) => "SqueezeBackward4",
                    (Some(_), true) => "SqueezeBackward5",
                };
                (self.detach().reshape_usize(&new)?, name, None)
            }
            ShapeOp::Resize(_) => {
                return Err(TensorError::runtime(
                    "internal: resize_ reached the view path",
                ));
            }
        };
        let values = result.detach().contiguous_storage();
        let track = is_grad_enabled() && self.requires_grad();
        let node = track.then(|| {
            let old = shape.clone();
            make_node(
                name,
                &[self],
                false,
                Box::new(move |g: &Tensor, _: &[bool]| {
                    Ok(vec![Some(match swap {
                        Some((a, b)) => g.transpose(a as isize, b as isize)?,
                        None => g.reshape_usize(&old)?,
                    })])
                }),
            )
        });
        self.replace_buffer(values)?;
        if let Some(node) = node {
            self.set_grad_fn(Some(node));
        }
        Ok(())
    }

    /// `resize_(*sizes)`: the first elements in row-major order kept, new ones zero.
    fn resize_inplace(&self, shape: &[usize]) -> Result<()> {
        if self.requires_grad() {
            return Err(TensorError::runtime(
                "cannot resize variables that require grad",
            ));
        }
        if self.view_info().is_some() {
            return Err(TensorError::unsupported("resize_ on a view"));
        }
        let n: usize = shape.iter().product();
        super::check_size(shape)?;
        let flat = self.detach().reshape_usize(&[self.numel()])?;
        let kept = flat.slice(0, Some(0), Some(n as i64), 1)?;
        let padded = if kept.numel() < n {
            Tensor::cat(
                &[
                    kept.detach(),
                    Tensor::zeros(&[n - kept.numel()], self.dtype()),
                ],
                0,
            )?
        } else {
            kept
        };
        self.replace_buffer(padded.reshape_usize(shape)?.detach().contiguous_storage())
    }

    /// The elements in row-major order as a storage of their own.
    fn contiguous_storage(&self) -> super::storage::Storage {
        let s = self.storage();
        match &*s {
            super::storage::Storage::F32(a) => {
                super::storage::Storage::F32(a.as_standard_layout().into_owned())
            }
            super::storage::Storage::F64(a) => {
                super::storage::Storage::F64(a.as_standard_layout().into_owned())
            }
            super::storage::Storage::I64(a) => {
                super::storage::Storage::I64(a.as_standard_layout().into_owned())
            }
            super::storage::Storage::Bool(a) => {
                super::storage::Storage::Bool(a.as_standard_layout().into_owned())
            }
        }
    }

    /// Puts `s` (any shape) in this tensor's own buffer, bumping its version.
    fn replace_buffer(&self, s: super::storage::Storage) -> Result<()> {
        match &self.0.data {
            super::tensor::Backing::Own(c) => {
                *c.data.borrow_mut() = Rc::new(s);
                c.version.set(c.version.get() + 1);
                Ok(())
            }
            super::tensor::Backing::View(_) => Err(TensorError::unsupported(
                "in-place shape operations on a view",
            )),
        }
    }
}
