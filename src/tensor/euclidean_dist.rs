//! `torch.cdist`'s matrix-product path for `p = 2` (ATen's `_euclidean_dist`, taken when
//! `compute_mode` asks for it or, by default, when either input has more than 25 rows):
//! `[-2·x1, |x1|², 1] @ [x2, 1, |x2|²]ᵀ`, clamped at zero, square-rooted; its gradient is
//! ATen's `_euclidean_dist_backward` (EuclideanDistBackward0).

use super::autograd::attach;
use super::ops::saved;
use super::{Result, Scalar, Tensor, no_grad};

fn forward(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let n1 = x1.pow_scalar(Scalar::Float(2.0))?.sum(Some(&[-1]), true)?;
    let n2 = x2.pow_scalar(Scalar::Float(2.0))?.sum(Some(&[-1]), true)?;
    let (p1, p2) = (n1.ones_like(), n2.ones_like());
    let a = Tensor::cat(&[x1.mul_scalar(Scalar::Float(-2.0))?, n1, p1], -1)?;
    let b = Tensor::cat(&[x2.clone(), p2, n2], -1)?;
    a.matmul(&b.transpose(-2, -1)?)?
        .clamp(Some(Scalar::Float(0.0)), None)?
        .sqrt()
}

/// The distances between the rows of `x1` `(..., r1, c)` and `x2` `(..., r2, c)` (batch
/// dimensions already equal).
pub fn euclidean_dist(x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let res = no_grad(|| forward(x1, x2))?.detach();
    let (s1, s2, sr) = (saved(x1), saved(x2), saved(&res));
    Ok(attach(
        res,
        "EuclideanDistBackward0",
        &[x1, x2],
        true,
        move |g, needs| {
            // ratio = grad / res, zero where the distance is zero (a subgradient).
            let ratio = g
                .div(&sr)?
                .masked_fill(&sr.eq_scalar(Scalar::Float(0.0))?, Scalar::Float(0.0))?;
            let g1 = if needs[0] {
                Some(
                    s1.mul(&ratio.sum(Some(&[-1]), true)?)?
                        .sub(&ratio.matmul(&s2)?)?,
                )
            } else {
                None
            };
            let g2 = if needs[1] {
                Some(
                    s2.mul(&ratio.sum(Some(&[-2]), false)?.unsqueeze(-1)?)?
                        .sub(&ratio.transpose(-2, -1)?.matmul(&s1)?)?,
                )
            } else {
                None
            };
            Ok(vec![g1, g2])
        },
    ))
}
