//! `torch.amax` / `torch.amin` with ATen's backward (AmaxBackward0, AminBackward0): the
//! gradient spread evenly over every element equal to the extreme, `(grad / count) * mask`
//! (FunctionsManual.cpp `scale_grad_by_count`, the count an int64 sum of the mask).

use super::autograd::record;
use super::ops::{expand_reduced, saved};
use super::{Result, Tensor, no_grad};

impl Tensor {
    /// The largest (`max`) or smallest element over the dims `rd` (already normalised and
    /// distinct; every dim when empty), of a tensor with elements. Extremes are exact, so one
    /// dim at a time, highest first, gives PyTorch's values.
    pub fn amax_dims(&self, rd: &[usize], keepdim: bool, max: bool) -> Result<Tensor> {
        let rd: Vec<usize> = if rd.is_empty() {
            (0..self.dim()).collect()
        } else {
            rd.to_vec()
        };
        let mut sorted = rd.clone();
        sorted.sort_unstable();
        let out = no_grad(|| -> Result<Tensor> {
            let mut r = self.clone();
            for &d in sorted.iter().rev() {
                r = if max {
                    r.max_dim(d as isize, keepdim)?
                } else {
                    r.min_dim(d as isize, keepdim)?
                }
                .0;
            }
            Ok(r)
        })?;
        let st = out.storage().as_ref().clone();
        let a = saved(self);
        let result = saved(&out);
        let shape = self.shape();
        let dims: Vec<isize> = rd.iter().map(|&d| d as isize).collect();
        let name = if max {
            "AmaxBackward0"
        } else {
            "AminBackward0"
        };
        Ok(record(st, name, &[self], true, move |g, _| {
            let mask = a.eq(&expand_reduced(&result, &shape, &rd, keepdim)?)?;
            let count = mask.sum(Some(&dims), true)?;
            let g = expand_reduced(g, &shape, &rd, keepdim)?;
            Ok(vec![Some(g.div(&count)?.mul(&mask)?)])
        }))
    }
}
