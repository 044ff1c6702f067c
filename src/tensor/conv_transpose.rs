//! Transposed convolution (`conv_transpose2d`) and its backward, through the convolution of
//! conv.rs.
//!
//! A transposed convolution is the input gradient of the convolution with the same weight,
//! stride, padding, dilation and groups, and its gradients are that convolution's forward (for
//! the input) and weight gradient (for the weight). Probing PyTorch 2.15 on the oracle machine
//! showed these identities hold to the bit there too: `F.conv_transpose2d(x, w)` equals
//! `autograd.grad(F.conv2d(inp, w), inp, x)`, and its input and weight gradients equal
//! `F.conv2d(gy, w)` and the weight gradient of `F.conv2d(gy, w)` against `x`, on oneDNN's
//! path and on the gemm path (batch 1 to 4, strides 1 and 2, output padding, groups). So
//! each part runs as the convolution's, with its summation orders. The bias is added after
//! the sum (PyTorch's result equals the biasless one plus the bias); its gradient sums the
//! output gradient per channel: plain adds over (sample, row, column) where PyTorch takes
//! oneDNN (its deconvolution's rule), `sum` over (N, H, W) otherwise.

use super::autograd::{grad, record};
use super::conv::{ConvSpec, conv};
use super::kernels::{Float, reduce_sum};
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError, no_grad, with_grad_mode};
use ndarray::{ArrayD, IxDyn};

/// The output size of one spatial dim: `(in - 1) * stride - 2 * pad + dilation * (k - 1) +
/// output_padding + 1`, or None when that is not positive.
fn out_len(
    len: usize,
    k: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    output_padding: usize,
) -> Option<usize> {
    let full = (len.checked_sub(1)?) * stride + dilation * (k.checked_sub(1)?) + output_padding + 1;
    full.checked_sub(2 * pad).filter(|&n| n > 0)
}

fn shape_str(s: &[usize]) -> String {
    format!(
        "[{}]",
        s.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// PyTorch's checks of `conv_transpose2d`'s arguments that lessons meet, with its messages.
fn check(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    s: &ConvSpec,
    output_padding: [usize; 2],
) -> Result<()> {
    let (xs, ws) = (x.shape(), w.shape());
    if ws.len() != 4 {
        return Err(TensorError::runtime(format!(
            "weight should have at least three dimensions, but got weight of size {}",
            shape_str(&ws)
        )));
    }
    if xs.len() != 4 {
        return Err(TensorError::runtime(format!(
            "Expected 4D (batched) input to conv_transpose2d, but got input of size: {}",
            shape_str(&xs)
        )));
    }
    if s.groups == 0 {
        return Err(TensorError::runtime("non-positive groups is not supported"));
    }
    if xs[1] != ws[0] {
        return Err(TensorError::runtime(format!(
            "Given transposed=1, weight of size {}, expected input{} to have {} channels, but got {} channels instead",
            shape_str(&ws),
            shape_str(&xs),
            ws[0],
            xs[1]
        )));
    }
    if ws[0] % s.groups != 0 {
        return Err(TensorError::runtime(
            "in_channels must be divisible by groups",
        ));
    }
    if (0..2).any(|d| output_padding[d] >= s.stride[d] && output_padding[d] >= s.dilation[d]) {
        return Err(TensorError::runtime(format!(
            "output padding must be smaller than either stride or dilation, but got output_padding_height: {} output_padding_width: {} stride_height: {} stride_width: {} dilation_height: {} dilation_width: {}",
            output_padding[0], output_padding[1], s.stride[0], s.stride[1], s.dilation[0], s.dilation[1]
        )));
    }
    if x.dtype() != w.dtype() || !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "Input type ({}) and weight type ({}) should be the same, and floating point",
            x.dtype().cpp_name(),
            w.dtype().cpp_name()
        )));
    }
    if let Some(b) = bias
        && (b.shape() != [ws[1] * s.groups] || b.dtype() != x.dtype())
    {
        return Err(TensorError::runtime(format!(
            "Given transposed=1, weight of size {}, expected bias to be 1-dimensional with {} elements, but got bias of size {} instead",
            shape_str(&ws),
            ws[1] * s.groups,
            shape_str(&b.shape())
        )));
    }
    Ok(())
}

/// A tensor holding a copy of `s` (the values a node saved at forward time).
fn saved(s: &Storage) -> Tensor {
    Tensor::from_storage(s.clone())
}

/// The input gradient of `conv(inp, w)` for an output gradient `x`: the transposed convolution
/// without bias, taken from conv.rs's own backward so that its order is the convolution's.
fn conv_input_grad(x: &Tensor, w: &Tensor, spec: &ConvSpec, in_shape: &[usize]) -> Result<Tensor> {
    let inp = Tensor::zeros(in_shape, x.dtype());
    inp.set_requires_grad(true)?;
    let z = with_grad_mode(true, || conv(&inp, w, None, spec, 2))?;
    let g = grad(&[z], &[Some(x.clone())], &[inp], false, false)?;
    g.into_iter()
        .next()
        .flatten()
        .ok_or_else(|| TensorError::runtime("conv_transpose2d: no input gradient"))
}

/// The weight gradient of `conv(gy, w)` for an output gradient `x`.
fn conv_weight_grad(gy: &Tensor, w: &Tensor, x: &Tensor, spec: &ConvSpec) -> Result<Tensor> {
    let wl = w.detach();
    wl.set_requires_grad(true)?;
    let z = with_grad_mode(true, || conv(gy, &wl, None, spec, 2))?;
    let g = grad(&[z], &[Some(x.clone())], &[wl], false, false)?;
    g.into_iter()
        .next()
        .flatten()
        .ok_or_else(|| TensorError::runtime("conv_transpose2d: no weight gradient"))
}

/// Adds `bias[c]` to every element of channel `c` of an (N, C, H, W) buffer, in `T`.
fn add_bias<T: Float>(v: &mut [T], b: &[T], n: usize, c: usize, p: usize) {
    for (i, plane) in v.chunks_exact_mut(p).take(n * c).enumerate() {
        let bc = b[i % c];
        for e in plane {
            *e = *e + bc;
        }
    }
}

/// The bias gradient: oneDNN's plain adds over (sample, row, column) per channel, or `sum`.
fn bias_grad<T: Float>(gy: &[T], n: usize, c: usize, p: usize, onednn: bool) -> Vec<T> {
    if !onednn {
        return reduce_sum(gy, &[n, c, p], &[0, 2]);
    }
    let mut gb = vec![T::zero(); c];
    if p == 0 {
        return gb;
    }
    for image in gy.chunks_exact(c * p).take(n) {
        for j in 0..p {
            for (o, acc) in gb.iter_mut().enumerate() {
                *acc = *acc + image[o * p + j];
            }
        }
    }
    gb
}

fn with_bias(y: Tensor, bias: &Storage, n: usize, c: usize, p: usize) -> Result<Storage> {
    let shape = y.shape();
    let ys = y.storage();
    let out = match (&*ys, bias) {
        (Storage::F32(a), Storage::F32(b)) => {
            let mut v: Vec<f32> = a.iter().copied().collect();
            add_bias(&mut v, &b.iter().copied().collect::<Vec<_>>(), n, c, p);
            Storage::F32(
                ArrayD::from_shape_vec(IxDyn(&shape), v)
                    .map_err(|e| TensorError::runtime(e.to_string()))?,
            )
        }
        (Storage::F64(a), Storage::F64(b)) => {
            let mut v: Vec<f64> = a.iter().copied().collect();
            add_bias(&mut v, &b.iter().copied().collect::<Vec<_>>(), n, c, p);
            Storage::F64(
                ArrayD::from_shape_vec(IxDyn(&shape), v)
                    .map_err(|e| TensorError::runtime(e.to_string()))?,
            )
        }
        _ => {
            return Err(TensorError::runtime(
                "conv_transpose2d: bias of another dtype",
            ));
        }
    };
    Ok(out)
}

fn bias_grad_tensor(gy: &Tensor, n: usize, c: usize, p: usize, onednn: bool) -> Result<Tensor> {
    let gs = gy.storage();
    let s = match &*gs {
        Storage::F32(a) => {
            let v: Vec<f32> = a.iter().copied().collect();
            Storage::F32(
                ArrayD::from_shape_vec(IxDyn(&[c]), bias_grad(&v, n, c, p, onednn))
                    .map_err(|e| TensorError::runtime(e.to_string()))?,
            )
        }
        Storage::F64(a) => {
            let v: Vec<f64> = a.iter().copied().collect();
            Storage::F64(
                ArrayD::from_shape_vec(IxDyn(&[c]), bias_grad(&v, n, c, p, onednn))
                    .map_err(|e| TensorError::runtime(e.to_string()))?,
            )
        }
        _ => {
            return Err(TensorError::runtime(
                "conv_transpose2d: gradient of another dtype",
            ));
        }
    };
    Ok(Tensor::from_storage(s))
}

/// `F.conv_transpose2d(x, w, bias, stride, padding, output_padding, groups, dilation)` on a
/// batched (N, C_in, H, W) input with a weight of shape (C_in, C_out / groups, kH, kW); the
/// spec's `pad_lo`/`pad_hi` are both the padding. grad_fn ConvolutionBackward0.
pub fn conv_transpose2d(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    spec: &ConvSpec,
    output_padding: [usize; 2],
) -> Result<Tensor> {
    check(x, w, bias, spec, output_padding)?;
    let (xs, ws) = (x.shape(), w.shape());
    let (n, cin, h, wd) = (xs[0], xs[1], xs[2], xs[3]);
    let cout = ws[1] * spec.groups;
    let size = |d: usize, len: usize| {
        out_len(len, ws[2 + d], spec.stride[d], spec.pad_lo[d], spec.dilation[d], output_padding[d]).ok_or_else(|| {
            TensorError::runtime(format!(
                "Given input size per channel: ({h} x {wd}). Calculated output size per channel is too small"
            ))
        })
    };
    let (oh, ow) = (size(0, h)?, size(1, wd)?);
    let out_shape = [n, cout, oh, ow];
    super::check_size(&out_shape)?;
    // ATen's use_mkldnn for the transposed convolution's own input and weight.
    let onednn = x.dtype() == DType::Float32
        && (spec.groups > 1 || (ws[2] > 3 && ws[3] > 3) || n > 1 || n * cin * h * wd > 20480);
    let (xst, wst) = (x.storage(), w.storage());
    let y = no_grad(|| conv_input_grad(&saved(&xst), &saved(&wst), spec, &out_shape))?;
    let out = match bias {
        Some(b) => with_bias(y, &b.storage(), n, cout, oh * ow)?,
        None => (*y.storage()).clone(),
    };
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    let has_bias = bias.is_some();
    let spec = spec.clone();
    Ok(record(
        out,
        "ConvolutionBackward0",
        &inputs,
        true,
        move |gy, need| {
            let gy = gy.detach();
            let (xv, wv) = (saved(&xst), saved(&wst));
            let mut grads = vec![
                if need[0] {
                    Some(conv(&gy, &wv, None, &spec, 2)?)
                } else {
                    None
                },
                if need.get(1).copied().unwrap_or(false) {
                    Some(conv_weight_grad(&gy, &wv, &xv, &spec)?)
                } else {
                    None
                },
            ];
            if has_bias {
                let want = need.get(2).copied().unwrap_or(false);
                grads.push(if want {
                    Some(bias_grad_tensor(&gy, n, cout, oh * ow, onednn)?)
                } else {
                    None
                });
            }
            Ok(grads)
        },
    ))
}
