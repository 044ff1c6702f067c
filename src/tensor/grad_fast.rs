//! Backward formulas of hot element-wise and view ops written straight into their result,
//! with the values of the composite ops they stand for (`where_`, `cat`), which still run
//! when the gradient itself needs a graph (`create_graph`) or its dtype is not float32/64.

use ndarray::{ArrayD, Axis, IxDyn};

use super::storage::Storage;
use super::{DType, Result, Scalar, Tensor};

/// Whether `g` can be read and written as a plain float array with no graph to record.
fn plain(g: &Tensor) -> bool {
    matches!(g.dtype(), DType::Float32 | DType::Float64) && !g.requires_grad()
}

/// ReluBackward0, `threshold_backward(g, result, 0)`: +0 where the result is at most 0, `g`
/// elsewhere (a NaN result keeps its gradient, as in PyTorch).
pub(crate) fn relu_backward(result: &Tensor, g: &Tensor) -> Result<Tensor> {
    if plain(g) && result.shape() == g.shape() {
        let (r, gs) = (result.storage(), g.storage());
        let out = match (&*r, &*gs) {
            (Storage::F32(r), Storage::F32(g)) => Some(Storage::F32(keep_positive(r, g))),
            (Storage::F64(r), Storage::F64(g)) => Some(Storage::F64(keep_positive(r, g))),
            _ => None,
        };
        if let Some(out) = out {
            return Ok(Tensor::from_storage(out));
        }
    }
    // threshold_backward zeroes where `result <= 0`: a NaN result passes its gradient on.
    let drop = result.le_scalar(Scalar::Int(0))?;
    Tensor::where_(&drop, &Tensor::zeros(&[], g.dtype()), g)
}

fn keep_positive<T: Copy + Default + PartialOrd>(r: &ArrayD<T>, g: &ArrayD<T>) -> ArrayD<T> {
    let zero = T::default();
    ndarray::Zip::from(r)
        .and(g)
        .map_collect(|&r, &g| if r <= zero { zero } else { g })
}

/// SelectBackward0 (and unbind's): a zero tensor of the input's `shape` holding `g` at index
/// `i` along `d`, as `cat([zeros, g.unsqueeze(d), zeros], d)` builds it.
pub(crate) fn select_backward(g: &Tensor, shape: &[usize], d: usize, i: usize) -> Result<Tensor> {
    if plain(g) {
        let gs = g.storage();
        match &*gs {
            Storage::F32(a) => {
                return Ok(Tensor::from_storage(Storage::F32(embed(a, shape, d, i))));
            }
            Storage::F64(a) => {
                return Ok(Tensor::from_storage(Storage::F64(embed(a, shape, d, i))));
            }
            _ => {}
        }
    }
    let z = |n: usize| {
        let mut s = shape.to_vec();
        s[d] = n;
        Tensor::zeros(&s, g.dtype())
    };
    let mut parts = Vec::new();
    if i > 0 {
        parts.push(z(i));
    }
    parts.push(g.unsqueeze(d as isize)?);
    if i + 1 < shape[d] {
        parts.push(z(shape[d] - i - 1));
    }
    Tensor::cat(&parts, d as isize)
}

fn embed<T: Copy + Default>(a: &ArrayD<T>, shape: &[usize], d: usize, i: usize) -> ArrayD<T> {
    let mut full = ArrayD::from_elem(IxDyn(shape), T::default());
    full.index_axis_mut(Axis(d), i).assign(a);
    full
}
