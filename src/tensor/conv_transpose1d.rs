//! `conv_transpose1d` as ATen runs it: the 2-d transposed convolution (conv_transpose.rs) of
//! the input and weight with a unit height inserted, viewed back, under one
//! ConvolutionBackward0 node whose gradients are the 2-d ones viewed back. An unbatched (C, L)
//! input is a batch of one.

use super::autograd::{grad, record};
use super::conv::ConvSpec;
use super::conv_transpose::conv_transpose2d;
use super::storage::{Storage, list_str};
use super::{Result, Tensor, TensorError, no_grad, with_grad_mode};

/// A detached tensor of `t`'s elements in `shape`.
fn viewed(s: &Storage, shape: &[usize]) -> Result<Tensor> {
    Ok(Tensor::from_storage(s.reshape(shape)?))
}

/// `F.conv_transpose1d(x, w, bias, stride, padding, output_padding, groups, dilation)`: the
/// spec's width entries are the 1-d arguments (its height entries 1, 0, 0, 1).
pub fn conv_transpose1d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: &ConvSpec,
    output_padding: usize,
) -> Result<Tensor> {
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() != 2 && xs.len() != 3 {
        return Err(TensorError::runtime(format!(
            "Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: {}",
            list_str(&xs)
        )));
    }
    if ws.len() != 3 {
        return Err(TensorError::runtime(format!(
            "weight should have at least three dimensions, but got weight of size {}",
            list_str(&ws)
        )));
    }
    let batched = xs.len() == 3;
    let (n, c, l) = if batched {
        (xs[0], xs[1], xs[2])
    } else {
        (1, xs[0], xs[1])
    };
    if c != ws[0] {
        let shown: Vec<usize> = if batched { xs.clone() } else { vec![1, c, l] };
        return Err(TensorError::runtime(format!(
            "Given transposed=1, weight of size {}, expected input{} to have {} channels, but got {c} channels instead",
            list_str(&ws),
            list_str(&shown),
            ws[0]
        )));
    }
    let (x4s, w4s) = ([n, c, 1, l], [ws[0], ws[1], 1, ws[2]]);
    let spec = spec.clone();
    let run = move |x4: &Tensor, w4: &Tensor, b: Option<&Tensor>| {
        conv_transpose2d(x4, w4, b, &spec, [0, output_padding])
    };
    let (xst, wst) = (x.storage(), w.storage());
    let bst = bias.map(|b| b.storage());
    let b0 = bst.as_deref().map(|b| Tensor::from_storage(b.clone()));
    let y4 = no_grad(|| run(&viewed(&xst, &x4s)?, &viewed(&wst, &w4s)?, b0.as_ref()))?;
    let y4s = y4.shape();
    let out_shape: Vec<usize> = if batched {
        vec![n, y4s[1], y4s[3]]
    } else {
        vec![y4s[1], y4s[3]]
    };
    let out = y4.storage().reshape(&out_shape)?;
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    Ok(record(
        out,
        "ConvolutionBackward0",
        &inputs,
        true,
        move |gy, need| {
            // The 2-d node's gradients, from a fresh 2-d graph over leaves of the saved values.
            let mut all = vec![viewed(&xst, &x4s)?, viewed(&wst, &w4s)?];
            all.extend(bst.as_deref().map(|b| Tensor::from_storage(b.clone())));
            for t in &all {
                t.set_requires_grad(true)?;
            }
            let z = with_grad_mode(true, || run(&all[0], &all[1], all.get(2)))?;
            let g4 = viewed(&gy.storage(), &y4s)?;
            let gs = grad(&[z], &[Some(g4)], &all, false, false)?;
            let shapes = [xs.clone(), ws.clone(), vec![y4s[1]]];
            gs.into_iter()
                .zip(shapes)
                .enumerate()
                .map(|(k, (g, shape))| match g {
                    Some(g) if need.get(k).copied().unwrap_or(false) => {
                        viewed(&g.storage(), &shape).map(Some)
                    }
                    _ => Ok(None),
                })
                .collect()
        },
    ))
}
