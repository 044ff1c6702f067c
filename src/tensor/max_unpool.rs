//! `max_unpool2d`: each input value written at its index in a zero plane of the output size
//! (in input order, so the last of repeated indices wins, as in ATen's CPU loop), with its
//! backward (MaxUnpool2DBackward0), which reads each input's gradient back from its index.

use super::autograd::record;
use super::storage::{Storage, list_str};
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// `torch._C._nn.max_unpool2d(x, indices, (oh, ow))` on a (C, H, W) or (N, C, H, W) input
/// with int64 indices of its shape, each a flat position in an (oh, ow) plane.
pub fn max_unpool2d(x: &Tensor, indices: &Tensor, oh: usize, ow: usize) -> Result<Tensor> {
    let s = x.shape();
    if indices.dtype() != DType::Int64 {
        return Err(TensorError::runtime(format!(
            "elements in indices should be type int64 but got: {}",
            indices.dtype().scalar_name()
        )));
    }
    if s.len() != 3 && s.len() != 4 {
        return Err(TensorError::runtime(format!(
            "Input to max_unpooling2d should be a 3d or 4d Tensor, but got a tensor with {} dimensions.",
            s.len()
        )));
    }
    if indices.shape() != s {
        return Err(TensorError::runtime(format!(
            "Expected shape of indices to be same as that of the input tensor ({}) but got indices tensor with shape: {}",
            list_str(&s),
            list_str(&indices.shape())
        )));
    }
    let k = s.len() - 2;
    let (np, plane, out_plane) = (s[..k].iter().product::<usize>(), s[k] * s[k + 1], oh * ow);
    let idx: Vec<i64> = indices.to_f64_vec().into_iter().map(|v| v as i64).collect();
    if let Some(&bad) = idx.iter().find(|&&i| i < 0 || i as usize >= out_plane) {
        return Err(TensorError::runtime(format!(
            "Found an invalid max index: {bad} (output volumes are of size {oh}x{ow})"
        )));
    }
    let mut shape = s[..k].to_vec();
    shape.extend([oh, ow]);
    super::check_size(&shape)?;
    let xv = x.to_f64_vec();
    let mut out = vec![0.0; np * out_plane];
    for p in 0..np {
        for i in 0..plane {
            out[p * out_plane + idx[p * plane + i] as usize] = xv[p * plane + i];
        }
    }
    let dtype = x.dtype();
    let a = ArrayD::from_shape_vec(IxDyn(&shape), out)
        .map_err(|e| TensorError::runtime(e.to_string()))?;
    let x_shape = s.clone();
    Ok(record(
        Storage::F64(a).cast(dtype),
        "MaxUnpool2DBackward0",
        &[x],
        false,
        move |g, _| {
            let gv = g.to_f64_vec();
            let gx: Vec<f64> = (0..np * plane)
                .map(|k| gv[k / plane * out_plane + idx[k] as usize])
                .collect();
            let a = ArrayD::from_shape_vec(IxDyn(&x_shape), gx)
                .map_err(|e| TensorError::runtime(e.to_string()))?;
            Ok(vec![Some(Tensor::from_storage(
                Storage::F64(a).cast(dtype),
            ))])
        },
    ))
}
