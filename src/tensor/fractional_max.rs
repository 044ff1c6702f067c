//! `fractional_max_pool2d` (FractionalMaxPool2DBackward0) as ATen's CPU kernel computes it:
//! each (n, c) plane's window starts come from its two samples in [0, 1) (the first for the
//! width, the second for the height): start `i` is `int((i + u)·α) - int(u·α)` with
//! `α = (in - pool) / (out - 1)` in the input's type, the last start `in - pool`; each window
//! is then scanned as adaptive max pooling scans (adaptive_max.rs).

use super::adaptive_max::max_windows;
use super::autograd::record;
use super::pool::{arr, scatter, storage_of};
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// The window starts along one dim for sample `u`, computed in f32 or f64 (`f32s`).
fn starts(u: f64, input: usize, out: usize, pool: usize, f32s: bool) -> Vec<usize> {
    let mut seq = vec![0usize; out];
    if out > 1 {
        if f32s {
            let (u, alpha) = (u as f32, (input - pool) as f32 / (out - 1) as f32);
            for (i, s) in seq.iter_mut().enumerate().take(out - 1) {
                *s = (((i as f32 + u) * alpha) as i64 - (u * alpha) as i64) as usize;
            }
        } else {
            let alpha = (input - pool) as f64 / (out - 1) as f64;
            for (i, s) in seq.iter_mut().enumerate().take(out - 1) {
                *s = (((i as f64 + u) * alpha) as i64 - (u * alpha) as i64) as usize;
            }
        }
    }
    if out > 0 {
        seq[out - 1] = input - pool;
    }
    seq
}

/// `F.fractional_max_pool2d(x, (kh, kw), (oh, ow), return_indices=True, _random_samples)` on a
/// (C, H, W) or (N, C, H, W) float input with samples of shape (N, C, 2).
pub fn fractional_max_pool2d(
    x: &Tensor,
    k: [usize; 2],
    o: [usize; 2],
    samples: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let s = x.shape();
    if !(s.len() == 3 || s.len() == 4) || s.iter().skip(s.len() - 3).any(|&d| d == 0) {
        return Err(TensorError::runtime(format!(
            "fractional_max_pool2d(): Expected 3D or 4D tensor, but got: {}",
            super::storage::list_str(&s)
        )));
    }
    let (h, w) = (s[s.len() - 2], s[s.len() - 1]);
    if o[0] + k[0] > h + 1 {
        return Err(TensorError::runtime(format!(
            "fractional_max_pool2d(): pool height {} too large relative to input height {h}",
            k[0]
        )));
    }
    if o[1] + k[1] > w + 1 {
        return Err(TensorError::runtime(format!(
            "fractional_max_pool2d(): pool width {} too large relative to input width {w}",
            k[1]
        )));
    }
    let np: usize = s[..s.len() - 2].iter().product();
    let u = samples.to_f64_vec();
    if u.len() != np * 2 {
        return Err(TensorError::runtime(
            "fractional_max_pool2d(): expected _random_samples of shape (N, C, 2)",
        ));
    }
    let dtype = x.dtype();
    let f32s = dtype != DType::Float64;
    let xv = x.to_f64_vec();
    let (mut out, mut idx) = (
        Vec::with_capacity(np * o[0] * o[1]),
        Vec::with_capacity(np * o[0] * o[1]),
    );
    for p in 0..np {
        let ws = starts(u[2 * p], w, o[1], k[1], f32s);
        let hs = starts(u[2 * p + 1], h, o[0], k[0], f32s);
        let ys: Vec<(usize, usize)> = hs.iter().map(|&a| (a, a + k[0])).collect();
        let xs: Vec<(usize, usize)> = ws.iter().map(|&a| (a, a + k[1])).collect();
        let (v, i) = max_windows(&xv[p * h * w..(p + 1) * h * w], 1, h, w, &ys, &xs);
        out.extend(v);
        idx.extend(i);
    }
    let mut shape = s[..s.len() - 2].to_vec();
    shape.extend(o);
    let indices = Tensor::from_storage(Storage::I64(
        ArrayD::from_shape_vec(IxDyn(&shape), idx.clone())
            .map_err(|e| TensorError::runtime(e.to_string()))?,
    ));
    let (x_shape, outs) = (s.clone(), o[0] * o[1]);
    let y = record(
        storage_of(out, &shape, dtype)?,
        "FractionalMaxPool2DBackward0",
        &[x],
        true,
        move |g, _| {
            let gv = g.to_f64_vec();
            // The gradient adds up where windows overlap, in the input's type.
            let gs = match dtype {
                DType::Float32 => {
                    let g32: Vec<f32> = gv.iter().map(|&v| v as f32).collect();
                    Storage::F32(arr(scatter(&g32, &idx, np, h * w, outs), &x_shape)?)
                }
                _ => storage_of(scatter::<f64>(&gv, &idx, np, h * w, outs), &x_shape, dtype)?,
            };
            Ok(vec![Some(Tensor::from_storage(gs))])
        },
    );
    Ok((y, indices))
}
