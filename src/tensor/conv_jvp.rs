//! Forward-mode AD through a convolution: the tangent as convolutions (PyTorch's
//! `convolution_jvp`), not one gradient-formula call per output element.

use super::conv::{ConvSpec, conv};
use super::{Result, Tensor};

/// The tangent of `conv(x, w, bias)` from the tangents of its inputs (`tans`: input, weight,
/// bias; `None` where one has none): `conv(x_t, w) + conv(x, w_t, b_t)`, as ATen's
/// `convolution_jvp` sums them (the bias tangent goes with the weight's: checked against
/// PyTorch's bits). A missing tangent is PyTorch's zero tensor: its convolution is zero (left
/// out) and, without a weight tangent, the second term is the bias tangent alone.
pub(crate) fn tangent(
    x: &Tensor,
    w: &Tensor,
    spec: &ConvSpec,
    nd: usize,
    out_shape: &[usize],
    tans: &[Option<Tensor>],
) -> Result<Option<Tensor>> {
    let (x_t, w_t) = (tans[0].as_ref(), tans.get(1).and_then(Option::as_ref));
    let b_t = tans.get(2).and_then(Option::as_ref);
    let first = x_t.map(|x_t| conv(x_t, w, None, spec, nd)).transpose()?;
    let second = match (w_t, b_t) {
        (Some(w_t), b_t) => Some(conv(x, w_t, b_t, spec, nd)?),
        (None, Some(b_t)) => {
            // The bias along the channel dim (1 when batched, 0 otherwise), over every position.
            let batched = out_shape.len() == nd + 2;
            let mut shape = vec![1isize; out_shape.len()];
            shape[usize::from(batched)] = -1;
            Some(b_t.reshape(&shape)?.expand(out_shape)?.contiguous())
        }
        (None, None) => None,
    };
    Ok(match (first, second) {
        (Some(a), Some(b)) => Some(a.add(&b)?),
        (a, b) => a.or(b),
    })
}
