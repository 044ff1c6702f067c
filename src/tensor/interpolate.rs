//! `F.interpolate` over the last one or two dims: nearest and (bi)linear, with ATen's source
//! index arithmetic in float32 (`nearest_idx`, `area_pixel_compute_source_index`) and its
//! interpolation order (each row's pair weighted and summed, then the rows').
//!
//! Every output element is a weighted sum of input elements, so forward and backward share one
//! table of taps per output position (UpsampleNearest2DBackward0 / UpsampleBilinear2DBackward0).

use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};

/// How output positions map onto input positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum InterpMode {
    Nearest,
    Linear { align_corners: bool },
}

/// ATen's `compute_scales_value`: 1/scale_factor when one was given, else in/out.
fn scale_value(scale: Option<f64>, input: usize, output: usize) -> f32 {
    match scale {
        Some(s) if s > 0.0 => (1.0 / s) as f32,
        _ => input as f32 / output as f32,
    }
}

/// Taps (input index, weight) for each output index along one dim.
fn taps(mode: InterpMode, input: usize, output: usize, scale: Option<f64>) -> Vec<Vec<(usize, f32)>> {
    (0..output)
        .map(|o| match mode {
            InterpMode::Nearest => {
                let i = if output == input {
                    o
                } else if output == 2 * input {
                    o >> 1
                } else {
                    (((o as f32) * scale_value(scale, input, output)).floor() as usize).min(input - 1)
                };
                vec![(i, 1.0)]
            }
            InterpMode::Linear { align_corners } => {
                let s = if align_corners {
                    if output > 1 { (input - 1) as f32 / (output - 1) as f32 } else { 0.0 }
                } else {
                    scale_value(scale, input, output)
                };
                let src = if align_corners { s * o as f32 } else { (s * (o as f32 + 0.5) - 0.5).max(0.0) };
                let i0 = (src as usize).min(input - 1);
                let l1 = (src - i0 as f32).clamp(0.0, 1.0);
                let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
                vec![(i0, 1.0 - l1), (i1, l1)]
            }
        })
        .collect()
}

/// Interpolates the last `sizes.len()` (1 or 2) dims of `x` to `sizes`; `scales` are the
/// scale factors the user gave (used for the index arithmetic as ATen does).
pub fn interpolate(x: &Tensor, sizes: &[usize], scales: &[Option<f64>], mode: InterpMode) -> Result<Tensor> {
    let shape = x.shape();
    let nd = sizes.len();
    if !(1..=2).contains(&nd) || shape.len() != nd + 2 {
        return Err(TensorError::runtime(format!("interpolate: expected a {}-D input for {nd} spatial dims, got {}-D", nd + 2, shape.len())));
    }
    if !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!("\"upsample\" not implemented for '{}'", x.dtype().scalar_name())));
    }
    let (h, w) = if nd == 2 { (shape[2], shape[3]) } else { (1, shape[2]) };
    let (oh, ow) = if nd == 2 { (sizes[0], sizes[1]) } else { (1, sizes[0]) };
    if h == 0 || w == 0 || oh == 0 || ow == 0 {
        return Err(TensorError::runtime("interpolate: input and output sizes should be greater than 0"));
    }
    let th = if nd == 2 { taps(mode, h, oh, scales[0]) } else { vec![vec![(0, 1.0)]] };
    let tw = taps(mode, w, ow, scales[nd - 1]);
    let planes = shape[0] * shape[1];
    let f32_in = x.dtype() == DType::Float32;
    let vals = x.to_f64_vec();
    let mut out = vec![0f64; planes * oh * ow];
    for p in 0..planes {
        let src = &vals[p * h * w..(p + 1) * h * w];
        for (y, hy) in th.iter().enumerate() {
            for (xx, wx) in tw.iter().enumerate() {
                let v = if f32_in {
                    let mut acc = 0f32;
                    for (k, &(iy, wy)) in hy.iter().enumerate() {
                        let mut row = 0f32;
                        for (j, &(ix, wxx)) in wx.iter().enumerate() {
                            let t = src[iy * w + ix] as f32 * wxx;
                            row = if j == 0 { t } else { row + t };
                        }
                        acc = if k == 0 { row * wy } else { acc + row * wy };
                    }
                    acc as f64
                } else {
                    let mut acc = 0f64;
                    for &(iy, wy) in hy {
                        let row: f64 = wx.iter().map(|&(ix, wxx)| src[iy * w + ix] * wxx as f64).sum();
                        acc += row * wy as f64;
                    }
                    acc
                };
                out[(p * oh + y) * ow + xx] = v;
            }
        }
    }
    let mut oshape = shape[..2].to_vec();
    oshape.extend_from_slice(sizes);
    let storage = Storage::F64(ArrayD::from_shape_vec(IxDyn(&oshape), out).map_err(|e| TensorError::runtime(e.to_string()))?).cast(x.dtype());
    let name = match (mode, nd) {
        (InterpMode::Nearest, 1) => "UpsampleNearest1DBackward0",
        (InterpMode::Nearest, _) => "UpsampleNearest2DBackward0",
        (InterpMode::Linear { .. }, 1) => "UpsampleLinear1DBackward0",
        (InterpMode::Linear { .. }, _) => "UpsampleBilinear2DBackward0",
    };
    let dtype = x.dtype();
    Ok(record(storage, name, &[x], false, move |g, _| {
        let gv = g.to_f64_vec();
        let mut gi = vec![0f64; planes * h * w];
        for p in 0..planes {
            for (y, hy) in th.iter().enumerate() {
                for (xx, wx) in tw.iter().enumerate() {
                    let go = gv[(p * oh + y) * ow + xx];
                    for &(iy, wy) in hy {
                        for &(ix, wxx) in wx {
                            gi[p * h * w + iy * w + ix] += go * wy as f64 * wxx as f64;
                        }
                    }
                }
            }
        }
        let s = Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), gi).map_err(|e| TensorError::runtime(e.to_string()))?).cast(dtype);
        Ok(vec![Some(Tensor::from_storage(s))])
    }))
}
