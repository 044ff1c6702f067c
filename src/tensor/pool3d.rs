//! 3-d pooling: `max_pool3d` (with indices), `avg_pool3d`, `adaptive_avg_pool3d` and
//! `adaptive_max_pool3d`, with their backward, in ATen's CPU kernels' order: a window's taps
//! depth by depth, row by row, into an accumulator of the input's type, then the division(s).
//!
//! Inputs are (C, D, H, W) or (N, C, D, H, W); every (n, c) volume is pooled on its own. Each
//! output's window is the product of three [`Axis`] ranges, so one scan serves every kind.

use super::autograd::record;
use super::kernels::Float;
use super::pool::{arr, out_len, row_major, scatter, storage_of};
use super::storage::{Storage, list_str};
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// Kernel, stride, padding and dilation per spatial dim (depth, height, width), and
/// `ceil_mode`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pool3dSpec {
    pub kernel: [usize; 3],
    pub stride: [usize; 3],
    pub padding: [usize; 3],
    pub dilation: [usize; 3],
    pub ceil_mode: bool,
}

/// The taps of one output along one dim: `lo, lo + step, ... < hi` (all inside the input).
#[derive(Debug, Clone, Copy)]
struct Axis {
    lo: usize,
    hi: usize,
    step: usize,
}

/// Sizes and windows of one pooling call.
struct Ctx {
    /// (n, c) volumes.
    np: usize,
    dims: [usize; 3],
    axes: [Vec<Axis>; 3],
    /// Per output (depth-major), the divisors applied one after the other (avg pooling).
    divs: Vec<[f64; 3]>,
}

impl Ctx {
    fn vol(&self) -> usize {
        self.dims.iter().product()
    }
    fn outs(&self) -> usize {
        self.axes.iter().map(Vec::len).product()
    }
    /// Every output window as (flat output index in the volume, its three axes).
    fn windows(&self) -> impl Iterator<Item = (usize, [Axis; 3])> + '_ {
        let [a0, a1, a2] = &self.axes;
        a0.iter()
            .flat_map(move |&d| {
                a1.iter()
                    .flat_map(move |&h| a2.iter().map(move |&w| [d, h, w]))
            })
            .enumerate()
    }
    /// The flat input positions of a window in scan order (depth, row, column).
    fn taps(&self, [d, h, w]: [Axis; 3]) -> impl Iterator<Item = usize> + '_ {
        let [_, hh, ww] = self.dims;
        (d.lo..d.hi).step_by(d.step).flat_map(move |z| {
            (h.lo..h.hi).step_by(h.step).flat_map(move |y| {
                (w.lo..w.hi)
                    .step_by(w.step)
                    .map(move |x| (z * hh + y) * ww + x)
            })
        })
    }
}

/// Volumes and the leading dims of a 4-D or 5-D input, or `msg`'s error.
fn volumes(
    x: &Tensor,
    msg: &dyn Fn(&[usize]) -> String,
) -> Result<(usize, [usize; 3], Vec<usize>)> {
    let s = x.shape();
    if !(s.len() == 4 || s.len() == 5) || s.iter().skip(s.len() - 4).any(|&d| d == 0) {
        return Err(TensorError::runtime(msg(&s)));
    }
    if !x.dtype().is_floating_point() {
        return Err(TensorError::NotImplemented {
            msg: format!("\"pool3d\" not implemented for '{}'", x.dtype().cpp_name()),
        });
    }
    let k = s.len() - 3;
    Ok((
        s[..k].iter().product(),
        [s[k], s[k + 1], s[k + 2]],
        s[..k].to_vec(),
    ))
}

/// The maxima and their flat positions per volume: from -inf at the window's first tap, a
/// larger value or any NaN replaces the best so far (ATen's `cpu_max_pool`).
fn max_scan<T: Float>(xv: &[T], c: &Ctx) -> (Vec<T>, Vec<i64>) {
    let (vol, outs) = (c.vol(), c.outs());
    let (mut out, mut idx) = (
        Vec::with_capacity(c.np * outs),
        Vec::with_capacity(c.np * outs),
    );
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    for v in xv.chunks(vol).take(c.np) {
        for (_, win) in c.windows() {
            let mut taps = c.taps(win);
            let first = taps.next().unwrap_or(0);
            let (mut best, mut at) = (neg_inf, first);
            for i in std::iter::once(first).chain(taps) {
                let x = v[i];
                if x > best || x.is_nan() {
                    best = x;
                    at = i;
                }
            }
            out.push(best);
            idx.push(at as i64);
        }
    }
    (out, idx)
}

/// Each window's sum in `T`, divided by its divisors in turn (an empty window gives 0).
fn mean_scan<T: Float>(xv: &[T], c: &Ctx) -> Vec<T> {
    let mut out = Vec::with_capacity(c.np * c.outs());
    for v in xv.chunks(c.vol()).take(c.np) {
        for (k, win) in c.windows() {
            let mut s = T::zero();
            for i in c.taps(win) {
                s = s + v[i];
            }
            out.push(c.divs[k].iter().fold(s, |s, &d| s / T::from_f64(d)));
        }
    }
    out
}

/// Average pooling's backward: each output gradient divided as the forward divides, added to
/// every tap of its window in output order.
fn mean_grad<T: Float>(g: &[T], c: &Ctx) -> Vec<T> {
    let (vol, outs) = (c.vol(), c.outs());
    let mut gx = vec![T::zero(); c.np * vol];
    for p in 0..c.np {
        for (k, win) in c.windows() {
            let d = c.divs[k]
                .iter()
                .fold(g[p * outs + k], |s, &d| s / T::from_f64(d));
            for i in c.taps(win) {
                gx[p * vol + i] = gx[p * vol + i] + d;
            }
        }
    }
    gx
}

/// `f` over the input's values in its own float type (f32 or f64; others in f64, cast back).
fn apply(
    s: &Storage,
    dtype: DType,
    shape: &[usize],
    c: &Ctx,
    f32s: fn(&[f32], &Ctx) -> Vec<f32>,
    f64s: fn(&[f64], &Ctx) -> Vec<f64>,
) -> Result<Storage> {
    Ok(match (s, dtype) {
        (Storage::F32(a), DType::Float32) => Storage::F32(arr(f32s(&row_major(a), c), shape)?),
        (Storage::F64(a), DType::Float64) => Storage::F64(arr(f64s(&row_major(a), c), shape)?),
        _ => storage_of(f64s(&s.to_f64_vec(), c), shape, dtype)?,
    })
}

fn mean_f32(x: &[f32], c: &Ctx) -> Vec<f32> {
    mean_scan(x, c)
}
fn mean_f64(x: &[f64], c: &Ctx) -> Vec<f64> {
    mean_scan(x, c)
}
fn mean_grad_f32(g: &[f32], c: &Ctx) -> Vec<f32> {
    mean_grad(g, c)
}
fn mean_grad_f64(g: &[f64], c: &Ctx) -> Vec<f64> {
    mean_grad(g, c)
}

/// Averages over `c`'s windows, recording `name` (the gradient spread as [`mean_grad`]).
fn averaged(x: &Tensor, c: Ctx, shape: Vec<usize>, name: &'static str) -> Result<Tensor> {
    let dtype = x.dtype();
    let out = apply(&x.storage(), dtype, &shape, &c, mean_f32, mean_f64)?;
    let x_shape = x.shape();
    Ok(record(out, name, &[x], false, move |g, _| {
        let gx = apply(
            &g.storage(),
            dtype,
            &x_shape,
            &c,
            mean_grad_f32,
            mean_grad_f64,
        )?;
        Ok(vec![Some(Tensor::from_storage(gx))])
    }))
}

/// The maxima over `c`'s windows and their int64 positions in the volume, recording `name`
/// (the gradient goes to the chosen positions, summed where windows share one).
fn maxed(x: &Tensor, c: Ctx, shape: Vec<usize>, name: &'static str) -> Result<(Tensor, Tensor)> {
    let dtype = x.dtype();
    let st = x.storage();
    let (out, idx) = match (&*st, dtype) {
        (Storage::F32(a), DType::Float32) => {
            let (v, i) = max_scan(&row_major(a), &c);
            (Storage::F32(arr(v, &shape)?), i)
        }
        (Storage::F64(a), DType::Float64) => {
            let (v, i) = max_scan(&row_major(a), &c);
            (Storage::F64(arr(v, &shape)?), i)
        }
        _ => {
            let (v, i) = max_scan(&st.to_f64_vec(), &c);
            (storage_of(v, &shape, dtype)?, i)
        }
    };
    drop(st);
    let indices = Tensor::from_storage(Storage::I64(
        ArrayD::from_shape_vec(IxDyn(&shape), idx.clone())
            .map_err(|e| TensorError::runtime(e.to_string()))?,
    ));
    let x_shape = x.shape();
    let (np, vol, outs) = (c.np, c.vol(), c.outs());
    let y = record(out, name, &[x], true, move |g, _| {
        let gs = g.storage();
        let gx = match (&*gs, dtype) {
            (Storage::F32(a), DType::Float32) => {
                Storage::F32(arr(scatter(&row_major(a), &idx, np, vol, outs), &x_shape)?)
            }
            (Storage::F64(a), DType::Float64) => {
                Storage::F64(arr(scatter(&row_major(a), &idx, np, vol, outs), &x_shape)?)
            }
            _ => storage_of(
                scatter::<f64>(&g.to_f64_vec(), &idx, np, vol, outs),
                &x_shape,
                dtype,
            )?,
        };
        Ok(vec![Some(Tensor::from_storage(gx))])
    });
    Ok((y, indices))
}

fn pool_input_msg(_: &[usize]) -> String {
    "non-empty 4D or 5D (batch mode) tensor expected for input".to_string()
}

/// The checks ATen makes of a 3-d pooling spec, in its order; `dil` is false for average
/// pooling (whose padding check counts no dilation).
fn check_spec(p: &Pool3dSpec) -> Result<()> {
    if p.stride.contains(&0) || p.kernel.contains(&0) {
        return Err(TensorError::runtime("stride should not be zero"));
    }
    if p.dilation.contains(&0) {
        return Err(TensorError::runtime(format!(
            "dilation should be greater than zero, but got dilationT: {} dilationH: {} dilationW: {}",
            p.dilation[0], p.dilation[1], p.dilation[2]
        )));
    }
    for d in 0..3 {
        let eff = (p.kernel[d] - 1) * p.dilation[d] + 1;
        if p.padding[d] > eff / 2 {
            return Err(TensorError::runtime(format!(
                "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                p.padding[d], p.kernel[d], p.dilation[d]
            )));
        }
    }
    Ok(())
}

/// The output sizes of a 3-d pooling, or ATen's "Output size is too small".
fn out_sizes(dims: [usize; 3], p: &Pool3dSpec, lead: &[usize]) -> Result<[usize; 3]> {
    let o: Vec<i64> = (0..3)
        .map(|d| {
            out_len(
                dims[d],
                p.kernel[d],
                p.padding[d],
                p.stride[d],
                p.dilation[d],
                p.ceil_mode,
            )
        })
        .collect();
    if o.iter().any(|&o| o < 1) {
        let c = lead.last().copied().unwrap_or(1);
        return Err(TensorError::runtime(format!(
            "Given input size: ({c}x{}x{}x{}). Calculated output size: ({c}x{}x{}x{}). Output size is too small",
            dims[0],
            dims[1],
            dims[2],
            o[0].max(0),
            o[1].max(0),
            o[2].max(0)
        )));
    }
    Ok([o[0] as usize, o[1] as usize, o[2] as usize])
}

/// `F.max_pool3d(x, ..., return_indices=True)`: the maxima and their flat positions in each
/// (D, H, W) volume; grad_fn MaxPool3DWithIndicesBackward0.
pub fn max_pool3d(x: &Tensor, p: &Pool3dSpec) -> Result<(Tensor, Tensor)> {
    check_spec(p)?;
    let (np, dims, lead) = volumes(x, &pool_input_msg)?;
    let o = out_sizes(dims, p, &lead)?;
    let axes = [0, 1, 2].map(|d| {
        (0..o[d])
            .map(|i| {
                // The first tap inside the input, then every dilation step up to the kernel's end.
                let (k, dil) = (p.kernel[d] as i64, p.dilation[d] as i64);
                let mut lo = (i * p.stride[d]) as i64 - p.padding[d] as i64;
                let hi = (lo + (k - 1) * dil + 1).min(dims[d] as i64);
                while lo < 0 {
                    lo += dil;
                }
                Axis {
                    lo: lo as usize,
                    hi: hi.max(lo) as usize,
                    step: dil as usize,
                }
            })
            .collect()
    });
    let mut shape = lead;
    shape.extend(o);
    maxed(
        x,
        Ctx {
            np,
            dims,
            axes,
            divs: Vec::new(),
        },
        shape,
        "MaxPool3DWithIndicesBackward0",
    )
}

/// `F.avg_pool3d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)`
/// (AvgPool3DBackward0): the divisor counts padded taps only with `count_include_pad`, and
/// never taps past the padding, which ceil_mode can add.
pub fn avg_pool3d(
    x: &Tensor,
    p: &Pool3dSpec,
    count_include_pad: bool,
    divisor: Option<i64>,
) -> Result<Tensor> {
    check_spec(p)?;
    if divisor == Some(0) {
        return Err(TensorError::runtime("divisor must be not zero"));
    }
    let (np, dims, lead) = volumes(x, &pool_input_msg)?;
    if (0..3).any(|d| dims[d] + 2 * p.padding[d] < p.kernel[d]) {
        return Err(TensorError::runtime(format!(
            "input image (T: {} H: {} W: {}) smaller than kernel size (kT: {} kH: {} kW: {})",
            dims[0], dims[1], dims[2], p.kernel[0], p.kernel[1], p.kernel[2]
        )));
    }
    let o = out_sizes(dims, p, &lead)?;
    // Per dim and output: the clipped range and the window's length counting padding.
    let spans: [Vec<(Axis, i64)>; 3] = [0, 1, 2].map(|d| {
        (0..o[d])
            .map(|i| {
                let s = (i * p.stride[d]) as i64 - p.padding[d] as i64;
                let e = (s + p.kernel[d] as i64).min((dims[d] + p.padding[d]) as i64);
                let full = e - s;
                let (s, e) = (s.max(0), e.min(dims[d] as i64));
                (
                    Axis {
                        lo: s as usize,
                        hi: e.max(s) as usize,
                        step: 1,
                    },
                    full,
                )
            })
            .collect()
    });
    let mut divs = Vec::with_capacity(o.iter().product());
    for (a, fa) in &spans[0] {
        for (b, fb) in &spans[1] {
            for (c, fc) in &spans[2] {
                let inside = [a, b, c]
                    .iter()
                    .map(|x| (x.hi - x.lo) as i64)
                    .product::<i64>();
                let div = match divisor {
                    Some(d) => d,
                    None if count_include_pad => fa * fb * fc,
                    None => inside,
                };
                divs.push([div as f64, 1.0, 1.0]);
            }
        }
    }
    let axes = spans.map(|v| v.into_iter().map(|(a, _)| a).collect());
    let mut shape = lead;
    shape.extend(o);
    averaged(
        x,
        Ctx {
            np,
            dims,
            axes,
            divs,
        },
        shape,
        "AvgPool3DBackward0",
    )
}

/// Adaptive windows along one dim: `floor(i*len/out) .. ceil((i+1)*len/out)`.
fn adaptive_axes(out: usize, len: usize) -> Vec<Axis> {
    (0..out)
        .map(|i| Axis {
            lo: (i * len) / out,
            hi: ((i + 1) * len).div_ceil(out),
            step: 1,
        })
        .collect()
}

/// `F.adaptive_avg_pool3d(x, (od, oh, ow))`, dividing each window's sum by its depth, height
/// and width in turn (AdaptiveAvgPool3DBackward0); an output of (1, 1, 1) is the mean over the
/// last three dims, as ATen computes it (MeanBackward1).
pub fn adaptive_avg_pool3d(x: &Tensor, o: [usize; 3]) -> Result<Tensor> {
    let msg = |s: &[usize]| {
        format!(
            "adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got {}",
            list_str(s)
        )
    };
    let (np, dims, lead) = volumes(x, &msg)?;
    if o == [1, 1, 1] {
        return x.mean(Some(&[-3, -2, -1]), true);
    }
    let axes = [0, 1, 2].map(|d| adaptive_axes(o[d], dims[d]));
    let mut divs = Vec::with_capacity(o.iter().product());
    for a in &axes[0] {
        for b in &axes[1] {
            for c in &axes[2] {
                divs.push([a, b, c].map(|x| (x.hi - x.lo) as f64));
            }
        }
    }
    let mut shape = lead;
    shape.extend(o);
    averaged(
        x,
        Ctx {
            np,
            dims,
            axes,
            divs,
        },
        shape,
        "AdaptiveAvgPool3DBackward0",
    )
}

/// `F.adaptive_max_pool3d(x, (od, oh, ow), return_indices=True)` (AdaptiveMaxPool3DBackward0).
pub fn adaptive_max_pool3d(x: &Tensor, o: [usize; 3]) -> Result<(Tensor, Tensor)> {
    let msg = |s: &[usize]| {
        format!(
            "adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: {}",
            list_str(s)
        )
    };
    let (np, dims, lead) = volumes(x, &msg)?;
    if o.contains(&0) {
        return Err(TensorError::runtime(format!(
            "adaptive_max_pool3d(): Expected output_size to be positive, but got [{}, {}, {}]",
            o[0], o[1], o[2]
        )));
    }
    let axes = [0, 1, 2].map(|d| adaptive_axes(o[d], dims[d]));
    let mut shape = lead;
    shape.extend(o);
    maxed(
        x,
        Ctx {
            np,
            dims,
            axes,
            divs: Vec::new(),
        },
        shape,
        "AdaptiveMaxPool3DBackward0",
    )
}
