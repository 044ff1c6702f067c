//! `Tensor.unfold(dim, size, step)`: every window of `size` elements along `dim`, `step`
//! apart, as a view (a new last dim holds each window), and its backward.

use super::view::{Layout, as_strided_backward};
use super::{Result, Tensor, TensorError};

impl Layout {
    /// The layout of `unfold(d, size, step)`: dim `d` counts windows (`step` strides apart),
    /// a new last dim walks each window.
    pub(crate) fn unfold(&self, d: Option<usize>, size: usize, step: usize) -> Layout {
        let mut l = self.clone();
        match d {
            Some(d) => {
                let n = self.shape[d];
                l.shape[d] = (n - size) / step + 1;
                l.strides[d] = self.strides[d] * step;
                l.shape.push(size);
                l.strides.push(self.strides[d]);
            }
            // A 0-d tensor unfolds into one window of its one element.
            None => {
                l.shape.push(size);
                l.strides.push(1);
            }
        }
        l
    }
}

impl Tensor {
    /// `t.unfold(dimension, size, step)` (UnfoldBackward0).
    pub fn unfold(&self, dim: isize, size: i64, step: i64) -> Result<Tensor> {
        let shape = self.shape();
        let d = if shape.is_empty() {
            None
        } else {
            Some(self.norm_dim(dim)?)
        };
        let n = d.map_or(1, |d| shape[d]) as i64;
        if size < 0 {
            return Err(TensorError::runtime(format!(
                "size is {size} but must be >= 0"
            )));
        }
        if size > n {
            return Err(TensorError::runtime(format!(
                "maximum size for tensor at dimension {} is {n} but size is {size}",
                d.unwrap_or(0)
            )));
        }
        if step <= 0 {
            return Err(TensorError::runtime(format!(
                "step is {step} but must be > 0"
            )));
        }
        let (size, step) = (size as usize, step as usize);
        let pos = std::rc::Rc::new(Layout::contiguous(&shape).unfold(d, size, step).positions());
        Ok(self.view_op(
            "UnfoldBackward0",
            move |l| l.unfold(d, size, step),
            as_strided_backward(shape, pos),
        ))
    }
}
