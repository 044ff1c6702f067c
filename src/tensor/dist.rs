//! `torch.dist(a, b, p)`: the `p`-norm of `a - b`, as one DistBackward0 node.

use super::autograd::attach;
use super::{Result, Tensor};

impl Tensor {
    /// `torch.dist(self, other, p)`. The value is ATen's, `norm(self - other, p)`; its node is
    /// named as PyTorch's and hands its gradient to that norm's graph, so the gradients are the
    /// norm's (its `next_functions` lead there rather than to the two inputs).
    pub fn dist(&self, other: &Tensor, p: f64) -> Result<Tensor> {
        let norm = self.sub(other)?.norm_p(p, None, false)?;
        let value = norm.detach();
        Ok(attach(value, "DistBackward0", &[&norm], false, |g, _| {
            Ok(vec![Some(g.clone())])
        }))
    }
}
