//! `F.bilinear(x1, x2, weight, bias)` through the same operations as ATen (Linear.cpp's
//! `bilinear` over `_trilinear`): both inputs flattened to rows; for each output feature `k`,
//! `x1 @ weight[k]` as one batch-of-one `bmm`, then each row of that dotted with the matching
//! row of `x2` as a `bmm` of `(B, 1, J) @ (B, J, 1)`; the columns side by side, reshaped to the
//! batch dimensions, and the bias added. The gradients are ATen's `_trilinear_backward`: three
//! more `_trilinear` calls, each unrolled over the output features and summed over them in
//! order (TrilinearBackward0).

use super::autograd::attach;
use super::ops::saved;
use super::{Result, Tensor, TensorError, no_grad};

fn check(x1: &Tensor, x2: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<()> {
    let (s1, s2, sw) = (x1.shape(), x2.shape(), w.shape());
    if s1.len() != s2.len() {
        return Err(TensorError::runtime(format!(
            "bilinear(): input dimensions do not match: got {} and {}",
            s1.len(),
            s2.len()
        )));
    }
    if s1.is_empty() {
        return Err(TensorError::runtime(
            "bilinear(): input dimensions must be at least 1",
        ));
    }
    for i in 0..s1.len() - 1 {
        if s1[i] != s2[i] {
            return Err(TensorError::runtime(format!(
                "bilinear(): input batch dimensions do not match at dim {i}: got {} and {}",
                s1[i], s2[i]
            )));
        }
    }
    if sw.len() != 3 {
        return Err(TensorError::runtime(format!(
            "bilinear(): weight must be 3-D, got {}-D",
            sw.len()
        )));
    }
    let (l1, l2) = (s1[s1.len() - 1], s2[s2.len() - 1]);
    if l1 != sw[1] {
        return Err(TensorError::runtime(format!(
            "bilinear(): input1 size does not match weight size: got {l1} but expected {}",
            sw[1]
        )));
    }
    if l2 != sw[2] {
        return Err(TensorError::runtime(format!(
            "bilinear(): input2 size does not match weight size: got {l2} but expected {}",
            sw[2]
        )));
    }
    if let Some(b) = b
        && b.shape().first().copied().unwrap_or(1) != sw[0]
    {
        return Err(TensorError::runtime(format!(
            "bilinear(): bias size does not match weight size: got {} but expected {}",
            b.shape().first().copied().unwrap_or(1),
            sw[0]
        )));
    }
    Ok(())
}

/// `_trilinear`'s forward for 2-D inputs: `(B, I)`, `(O, I, J)`, `(B, J)` to `(B, O)`.
fn trilinear(a: &Tensor, w: &Tensor, c: &Tensor) -> Result<Tensor> {
    let (rows, j, out) = (a.shape()[0] as isize, w.shape()[2] as isize, w.shape()[0]);
    let a1 = a.unsqueeze(0)?;
    let c1 = c.unsqueeze(2)?;
    let mut cols = Vec::with_capacity(out);
    for k in 0..out {
        let wk = w.select(0, k as i64)?.unsqueeze(0)?;
        let t = a1.bmm(&wk)?.reshape(&[rows, 1, j])?;
        cols.push(t.bmm(&c1)?.reshape(&[rows, 1])?);
    }
    if cols.is_empty() {
        return Ok(Tensor::zeros(&[rows as usize, 0], a.dtype()));
    }
    Tensor::cat(&cols, 1)
}

/// The three gradients of [`trilinear`] for the output gradient `g` `(B, O)`.
fn trilinear_backward(
    g: &Tensor,
    a: &Tensor,
    w: &Tensor,
    c: &Tensor,
    needs: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let (rows, i, j, out) = (a.shape()[0], w.shape()[1], w.shape()[2], w.shape()[0]);
    let col = |k: usize| -> Result<Tensor> { g.select(1, k as i64)?.unsqueeze(1) };
    let mut grads = vec![None, None, None];
    if needs[0] {
        // Per feature: the products g[b, k] * w[k, i, j], then each (i, :) row dotted with
        // x2[b] as a batched product, added into the result in feature order.
        let c1 = c.unsqueeze(2)?;
        let mut acc = Tensor::zeros(&[rows, i], a.dtype());
        for k in 0..out {
            let p = col(k)?
                .unsqueeze(2)?
                .mul(&w.select(0, k as i64)?.unsqueeze(0)?)?;
            acc = acc.add(&p.bmm(&c1)?.reshape(&[rows as isize, i as isize])?)?;
        }
        grads[0] = Some(acc);
    }
    if needs[1] {
        // Per feature: (x1 * g[:, k])^T @ x2, one (I, B) @ (B, J) product.
        let c0 = c.unsqueeze(0)?;
        let mut slices = Vec::with_capacity(out);
        for k in 0..out {
            let p = a.mul(&col(k)?)?;
            let z = Tensor::zeros(&[1, i, j], a.dtype());
            slices.push(z.add(&p.transpose(0, 1)?.unsqueeze(0)?.bmm(&c0)?)?);
        }
        grads[1] = Some(if slices.is_empty() {
            Tensor::zeros(&[0, i, j], a.dtype())
        } else {
            Tensor::cat(&slices, 0)?
        });
    }
    if needs[2] {
        // Per feature: (x1 @ w[k]) * g[:, k], added into the result in feature order.
        let a1 = a.unsqueeze(0)?;
        let mut acc = Tensor::zeros(&[rows, j], a.dtype());
        for k in 0..out {
            let t = a1
                .bmm(&w.select(0, k as i64)?.unsqueeze(0)?)?
                .reshape(&[rows as isize, j as isize])?;
            acc = acc.add(&t.mul(&col(k)?)?)?;
        }
        grads[2] = Some(acc);
    }
    Ok(grads)
}

/// `F.bilinear`: `y[..., k] = x1[..., :] @ weight[k] @ x2[..., :] + bias[k]`.
pub fn bilinear(
    x1: &Tensor,
    x2: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
) -> Result<Tensor> {
    check(x1, x2, weight, bias)?;
    let s1 = x1.shape();
    let (i, j, out) = (weight.shape()[1], weight.shape()[2], weight.shape()[0]);
    let a = x1.reshape(&[-1, i as isize])?;
    let c = x2.reshape(&[-1, j as isize])?;
    let y = no_grad(|| trilinear(&a, weight, &c))?.detach();
    let (sa, sw, sc) = (saved(&a), saved(weight), saved(&c));
    let y = attach(
        y,
        "TrilinearBackward0",
        &[&a, weight, &c],
        true,
        move |g, needs| trilinear_backward(g, &sa, &sw, &sc, needs),
    );
    let mut shape: Vec<isize> = s1[..s1.len() - 1].iter().map(|&d| d as isize).collect();
    shape.push(out as isize);
    let y = y.reshape(&shape)?;
    match bias {
        Some(b) => y.add(b),
        None => Ok(y),
    }
}
