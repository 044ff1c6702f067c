//! Pooling: `max_pool2d` (with indices), `avg_pool2d` and `adaptive_avg_pool2d`, with their
//! backward, computed per plane in the input's precision in ATen's CPU kernels' order (a
//! window's elements row by row into an accumulator of the input's type, then one division).
//!
//! Inputs are (C, H, W) or (N, C, H, W); every (n, c) plane is pooled on its own.

use super::autograd::record;
use super::kernels::Float;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// Kernel, stride, padding and dilation per spatial dim, and `ceil_mode`.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub ceil_mode: bool,
}


pub(super) fn storage_of<T: Float + Into<f64>>(v: Vec<T>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let v: Vec<f64> = v.into_iter().map(Into::into).collect();
    let a = ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

/// ATen's `pooling_output_shape`: floor or ceil division, and with `ceil_mode` the last window
/// must start inside the input or its left padding.
pub(super) fn out_len(len: usize, k: usize, pad: usize, stride: usize, dil: usize, ceil: bool) -> i64 {
    let num = len as i64 + 2 * pad as i64 - dil as i64 * (k as i64 - 1) - 1 + if ceil { stride as i64 - 1 } else { 0 };
    let mut out = num.div_euclid(stride as i64) + 1;
    if ceil && (out - 1) * stride as i64 >= len as i64 + pad as i64 {
        out -= 1;
    }
    out
}

/// Planes, height, width and the leading dims of a 3-D or 4-D pooling input.
pub(super) fn planes(x: &Tensor, what: &str) -> Result<(usize, usize, usize, Vec<usize>)> {
    let s = x.shape();
    if !(s.len() == 3 || s.len() == 4) || s.iter().skip(s.len() - 3).any(|&d| d == 0) {
        return Err(TensorError::runtime(format!("non-empty 3D or 4D (batch mode) tensor expected for {what}")));
    }
    if !x.dtype().is_floating_point() {
        let name = if x.dtype() == DType::Int64 { "Long" } else { "Bool" };
        return Err(TensorError::NotImplemented { msg: format!("\"{what}\" not implemented for '{name}'") });
    }
    let (h, w) = (s[s.len() - 2], s[s.len() - 1]);
    Ok((s[..s.len() - 2].iter().product(), h, w, s[..s.len() - 2].to_vec()))
}

fn output_sizes(h: usize, w: usize, p: &PoolSpec, lead: &[usize]) -> Result<(usize, usize)> {
    let oh = out_len(h, p.kernel[0], p.padding[0], p.stride[0], p.dilation[0], p.ceil_mode);
    let ow = out_len(w, p.kernel[1], p.padding[1], p.stride[1], p.dilation[1], p.ceil_mode);
    if oh < 1 || ow < 1 {
        let c = lead.last().copied().unwrap_or(1);
        return Err(TensorError::runtime(format!(
            "Given input size: ({c}x{h}x{w}). Calculated output size: ({c}x{}x{}). Output size is too small",
            oh.max(0),
            ow.max(0)
        )));
    }
    Ok((oh as usize, ow as usize))
}

fn check_positive(p: &PoolSpec) -> Result<()> {
    if p.stride.contains(&0) {
        return Err(TensorError::runtime("stride should not be zero"));
    }
    if p.kernel.contains(&0) {
        return Err(TensorError::runtime(format!(
            "kernel size should be greater than zero, but got kH: {} kW: {}",
            p.kernel[0], p.kernel[1]
        )));
    }
    if p.stride.contains(&0) {
        return Err(TensorError::runtime(format!("stride should be greater than zero, but got dH: {} dW: {}", p.stride[0], p.stride[1])));
    }
    if p.dilation.contains(&0) {
        return Err(TensorError::runtime(format!(
            "dilation should be greater than zero, but got dilationH: {} dilationW: {}",
            p.dilation[0], p.dilation[1]
        )));
    }
    Ok(())
}

/// `F.max_pool2d(x, ..., return_indices=True)`: the maxima and their flat positions in each
/// plane (int64). the last NaN wins over any number, and the first of equal maxima is taken, as in ATen.
/// grad_fn MaxPool2DWithIndicesBackward0; the gradient goes to the chosen positions.
pub fn max_pool2d(x: &Tensor, p: &PoolSpec) -> Result<(Tensor, Tensor)> {
    check_positive(p)?;
    for d in 0..2 {
        let eff = (p.kernel[d] - 1) * p.dilation[d] + 1;
        if p.padding[d] > eff / 2 {
            return Err(TensorError::runtime(format!(
                "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                p.padding[d], p.kernel[d], p.dilation[d]
            )));
        }
    }
    let (np, h, w, lead) = planes(x, "input")?;
    let (oh, ow) = output_sizes(h, w, p, &lead)?;
    let mut shape = lead;
    shape.extend([oh, ow]);
    let dtype = x.dtype();
    // Float32 and float64 are pooled in their own type (max is exact in any wider one).
    let xs = x.storage();
    let (out, idx) = match (&*xs, dtype) {
        (Storage::F32(a), DType::Float32) => {
            let (v, idx) = max_planes(&row_major(a), np, h, w, oh, ow, p);
            (Storage::F32(arr(v, &shape)?), idx)
        }
        (Storage::F64(a), DType::Float64) => {
            let (v, idx) = max_planes(&row_major(a), np, h, w, oh, ow, p);
            (Storage::F64(arr(v, &shape)?), idx)
        }
        _ => {
            let (v, idx) = max_planes(&x.to_f64_vec(), np, h, w, oh, ow, p);
            (Storage::F64(arr(v, &shape)?).cast(dtype), idx)
        }
    };
    drop(xs);
    let indices = Tensor::from_storage(Storage::I64(
        ArrayD::from_shape_vec(IxDyn(&shape), idx.clone()).map_err(|e| TensorError::runtime(e.to_string()))?,
    ));
    let x_shape = x.shape();
    let y = record(out, "MaxPool2DWithIndicesBackward0", &[x], true, move |g, _| {
        let gs = g.storage();
        let gx = match (&*gs, dtype) {
            (Storage::F32(a), DType::Float32) => {
                Storage::F32(arr(scatter(&row_major(a), &idx, np, h * w, oh * ow), &x_shape)?)
            }
            (Storage::F64(a), DType::Float64) => {
                Storage::F64(arr(scatter(&row_major(a), &idx, np, h * w, oh * ow), &x_shape)?)
            }
            _ => {
                let gv: Vec<f64> = g.to_f64_vec();
                match dtype {
                    DType::Float32 => storage_of(scatter::<f32>(&gv.iter().map(|&v| v as f32).collect::<Vec<_>>(), &idx, np, h * w, oh * ow), &x_shape, dtype)?,
                    _ => storage_of(scatter::<f64>(&gv, &idx, np, h * w, oh * ow), &x_shape, dtype)?,
                }
            }
        };
        Ok(vec![Some(Tensor::from_storage(gx))])
    });
    Ok((y, indices))
}

/// A typed array's elements in row-major order, borrowed when it is laid out so.
pub(super) fn row_major<T: Copy>(a: &ArrayD<T>) -> std::borrow::Cow<'_, [T]> {
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().copied().collect()),
    }
}

pub(super) fn arr<T>(v: Vec<T>, shape: &[usize]) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
}

/// The maxima of each plane's windows and their flat positions in the plane: windows are read
/// row by row from -inf, a larger value or any NaN replaces the best so far (so the first of
/// equal maxima and the last NaN win), as in ATen.
#[allow(clippy::too_many_arguments)]
pub fn max_planes<T: Float + MaxKey>(xv: &[T], np: usize, h: usize, w: usize, oh: usize, ow: usize, p: &PoolSpec) -> (Vec<T>, Vec<i64>) {
    let mut out = Vec::with_capacity(np * oh * ow);
    let mut idx = Vec::with_capacity(np * oh * ow);
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    let last = |o: usize, i: usize| (o - 1) * p.stride[i] + (p.kernel[i] - 1) * p.dilation[i];
    if p.padding == [0, 0] && oh > 0 && ow > 0 && p.kernel[0] > 0 && p.kernel[1] > 0 && last(oh, 0) < h && last(ow, 1) < w {
        if p.kernel == [2, 2] && p.dilation == [1, 1] {
            max_2x2(xv, np, h, w, oh, ow, p.stride, &mut out, &mut idx);
            return (out, idx);
        }
        // Every window lies inside the plane (the usual unpadded pooling): the same scan
        // without bounds checks; the first tap is the window's corner.
        for plane in xv.chunks(h * w).take(np) {
            for oy in 0..oh {
                for ox in 0..ow {
                    let corner = oy * p.stride[0] * w + ox * p.stride[1];
                    let (mut best, mut at) = (neg_inf, corner);
                    for ky in 0..p.kernel[0] {
                        let row = corner + ky * p.dilation[0] * w;
                        for kx in 0..p.kernel[1] {
                            let i = row + kx * p.dilation[1];
                            let v = plane[i];
                            // Selects rather than a branch: on real data whether a tap beats
                            // the best so far is a coin toss the branch predictor loses.
                            let take = (v > best) | v.is_nan();
                            best = if take { v } else { best };
                            at = if take { i } else { at };
                        }
                    }
                    out.push(best);
                    idx.push(at as i64);
                }
            }
        }
        return (out, idx);
    }
    for pl in 0..np {
        let plane = &xv[pl * h * w..(pl + 1) * h * w];
        for oy in 0..oh {
            let y0 = (oy * p.stride[0]) as i64 - p.padding[0] as i64;
            let ys: Vec<usize> = (0..p.kernel[0]).map(|ky| y0 + (ky * p.dilation[0]) as i64).filter(|&y| y >= 0 && y < h as i64).map(|y| y as usize).collect();
            for ox in 0..ow {
                let x0 = (ox * p.stride[1]) as i64 - p.padding[1] as i64;
                let (mut best, mut at) = (neg_inf, -1i64);
                for &y in &ys {
                    for kx in 0..p.kernel[1] {
                        let xx = x0 + (kx * p.dilation[1]) as i64;
                        if xx < 0 || xx >= w as i64 {
                            continue;
                        }
                        let i = y * w + xx as usize;
                        let v = plane[i];
                        // ATen starts from -inf at the first tap and lets a NaN replace anything.
                        if at < 0 {
                            at = i as i64;
                        }
                        if v > best || v.is_nan() {
                            best = v;
                            at = i as i64;
                        }
                    }
                }
                out.push(best);
                idx.push(at);
            }
        }
    }
    (out, idx)
}

/// Floats as unsigned keys in the order `>` and `is_nan` give them for max pooling: equal
/// floats (+0 and -0) share a key, every NaN gets the largest. Comparing keys takes integer
/// compares and conditional moves where float selects become jumps, which the predictor
/// loses half the time on a max over real data.
pub trait MaxKey: Copy {
    fn key(self) -> u64;
    /// [`max_2x2`] at stride 2 in vector lanes into `out`/`idx` (sized), if the type and CPU
    /// have a kernel for it.
    #[allow(clippy::too_many_arguments)]
    fn max_2x2_lanes(_xv: &[Self], _np: usize, _h: usize, _w: usize, _oh: usize, _ow: usize, _out: &mut [Self], _idx: &mut [i64]) -> bool {
        false
    }
}

impl MaxKey for f32 {
    #[inline(always)]
    fn key(self) -> u64 {
        let b = if self == 0.0 { 0 } else { self.to_bits() };
        let ordered = b ^ ((((b as i32) >> 31) as u32) | 0x8000_0000);
        if self.is_nan() { u64::MAX } else { u64::from(ordered) }
    }

    fn max_2x2_lanes(xv: &[f32], np: usize, h: usize, w: usize, oh: usize, ow: usize, out: &mut [f32], idx: &mut [i64]) -> bool {
        super::pool_max2::max_2x2_f32(xv, np, h, w, oh, ow, out, idx)
    }
}

impl MaxKey for f64 {
    #[inline(always)]
    fn key(self) -> u64 {
        let b = if self == 0.0 { 0 } else { self.to_bits() };
        let ordered = b ^ ((((b as i64) >> 63) as u64) | 0x8000_0000_0000_0000);
        if self.is_nan() { u64::MAX } else { ordered }
    }
}

/// [`max_planes`] for 2x2 windows inside the plane (LeNet's pooling): the four taps in the
/// same order on their [`MaxKey`]s. The first tap always becomes the best so far (it beats
/// -inf, is NaN, or is -inf itself at the corner's index); a later one replaces it when
/// larger or NaN.
#[allow(clippy::too_many_arguments)]
fn max_2x2<T: Float + MaxKey>(xv: &[T], np: usize, h: usize, w: usize, oh: usize, ow: usize, stride: [usize; 2], out: &mut Vec<T>, idx: &mut Vec<i64>) {
    #[inline(always)]
    fn pick(best: &mut u64, at: &mut usize, key: u64, i: usize) {
        let take = key > *best || key == u64::MAX;
        *at = if take { i } else { *at };
        *best = if take { key } else { *best };
    }
    if stride == [2, 2] {
        out.resize(np * oh * ow, T::zero());
        idx.resize(np * oh * ow, 0);
        if T::max_2x2_lanes(xv, np, h, w, oh, ow, out, idx) {
            return;
        }
        out.clear();
        idx.clear();
    }
    for plane in xv.chunks(h * w).take(np) {
        for oy in 0..oh {
            let top = oy * stride[0] * w;
            let rows = &plane[top..top + 2 * w];
            for ox in 0..ow {
                let x = ox * stride[1];
                let (mut best, mut at) = (rows[x].key(), x);
                pick(&mut best, &mut at, rows[x + 1].key(), x + 1);
                pick(&mut best, &mut at, rows[w + x].key(), w + x);
                pick(&mut best, &mut at, rows[w + x + 1].key(), w + x + 1);
                out.push(rows[at]);
                idx.push((top + at) as i64);
            }
        }
    }
}

/// Max pooling's backward: each output gradient added at its index, in output order.
pub(super) fn scatter<T: Float>(g: &[T], idx: &[i64], np: usize, plane: usize, out_plane: usize) -> Vec<T> {
    let mut gx = vec![T::zero(); np * plane];
    for pl in 0..np {
        for o in 0..out_plane {
            let k = pl * out_plane + o;
            if idx[k] >= 0 {
                let at = pl * plane + idx[k] as usize;
                gx[at] = gx[at] + g[k];
            }
        }
    }
    gx
}

/// One output of average pooling: its window (clipped to the input) and divisor.
struct Window {
    y: (usize, usize),
    x: (usize, usize),
    div: f64,
}

/// The windows of `avg_pool2d`, in ATen's arithmetic: the divisor counts padded taps only
/// with `count_include_pad` (and never taps beyond the padding, which ceil_mode can add).
fn avg_windows(h: usize, w: usize, oh: usize, ow: usize, p: &PoolSpec, include_pad: bool, divisor: Option<i64>) -> Vec<Window> {
    let mut v = Vec::with_capacity(oh * ow);
    for oy in 0..oh {
        for ox in 0..ow {
            let ys = (oy * p.stride[0]) as i64 - p.padding[0] as i64;
            let xs = (ox * p.stride[1]) as i64 - p.padding[1] as i64;
            let ye = (ys + p.kernel[0] as i64).min((h + p.padding[0]) as i64);
            let xe = (xs + p.kernel[1] as i64).min((w + p.padding[1]) as i64);
            let pool = (ye - ys) * (xe - xs);
            let (ys, xs) = (ys.max(0), xs.max(0));
            let (ye, xe) = (ye.min(h as i64), xe.min(w as i64));
            let div = match divisor {
                Some(d) => d,
                None if include_pad => pool,
                None => (ye - ys).max(0) * (xe - xs).max(0),
            };
            v.push(Window { y: (ys as usize, ye.max(ys) as usize), x: (xs as usize, xe.max(xs) as usize), div: div as f64 });
        }
    }
    v
}

/// Mean of every window (sum in the input's type, row by row, then one division), and the
/// backward that spreads `g / divisor` over the window.
fn window_mean<T: Float + Into<f64>>(xv: &[T], np: usize, h: usize, w: usize, wins: &[Window], adaptive: bool) -> Vec<T> {
    let mut out = Vec::with_capacity(np * wins.len());
    for pl in 0..np {
        let plane = &xv[pl * h * w..(pl + 1) * h * w];
        for win in wins {
            if win.y.0 >= win.y.1 || win.x.0 >= win.x.1 {
                out.push(T::zero());
                continue;
            }
            let mut s = T::zero();
            for y in win.y.0..win.y.1 {
                for x in win.x.0..win.x.1 {
                    s = s + plane[y * w + x];
                }
            }
            // Adaptive pooling divides by the window's height, then by its width.
            out.push(if adaptive {
                s / T::from_f64((win.y.1 - win.y.0) as f64) / T::from_f64((win.x.1 - win.x.0) as f64)
            } else {
                s / T::from_f64(win.div)
            });
        }
    }
    out
}

fn window_grad<T: Float + Into<f64>>(g: &[T], np: usize, h: usize, w: usize, wins: &[Window], adaptive: bool) -> Vec<T> {
    let mut gx = vec![T::zero(); np * h * w];
    for pl in 0..np {
        for (k, win) in wins.iter().enumerate() {
            if win.y.0 >= win.y.1 || win.x.0 >= win.x.1 {
                continue;
            }
            let gk = g[pl * wins.len() + k];
            let d = if adaptive {
                gk / T::from_f64((win.y.1 - win.y.0) as f64) / T::from_f64((win.x.1 - win.x.0) as f64)
            } else {
                gk / T::from_f64(win.div)
            };
            for y in win.y.0..win.y.1 {
                for x in win.x.0..win.x.1 {
                    let at = pl * h * w + y * w + x;
                    gx[at] = gx[at] + d;
                }
            }
        }
    }
    gx
}

#[allow(clippy::too_many_arguments)]
fn pooled(x: &Tensor, np: usize, h: usize, w: usize, shape: Vec<usize>, wins: Vec<Window>, adaptive: bool, name: &'static str) -> Result<Tensor> {
    let dtype = x.dtype();
    // Float32 and float64 are read in their own type (no float64 copy of the planes: the
    // values, and so the sums, are the same).
    let xs = x.storage();
    let out = match (&*xs, dtype) {
        (Storage::F32(a), DType::Float32) => Storage::F32(arr(window_mean::<f32>(&row_major(a), np, h, w, &wins, adaptive), &shape)?),
        (Storage::F64(a), DType::Float64) => Storage::F64(arr(window_mean::<f64>(&row_major(a), np, h, w, &wins, adaptive), &shape)?),
        _ => {
            let xv: Vec<f64> = x.to_f64_vec();
            match dtype {
                DType::Float32 => storage_of(window_mean::<f32>(&xv.iter().map(|&v| v as f32).collect::<Vec<_>>(), np, h, w, &wins, adaptive), &shape, dtype)?,
                _ => storage_of(window_mean::<f64>(&xv, np, h, w, &wins, adaptive), &shape, dtype)?,
            }
        }
    };
    drop(xs);
    let x_shape = x.shape();
    Ok(record(out, name, &[x], false, move |g, _| {
        let gs = g.storage();
        let gx = match (&*gs, dtype) {
            (Storage::F32(a), DType::Float32) => Storage::F32(arr(window_grad::<f32>(&row_major(a), np, h, w, &wins, adaptive), &x_shape)?),
            (Storage::F64(a), DType::Float64) => Storage::F64(arr(window_grad::<f64>(&row_major(a), np, h, w, &wins, adaptive), &x_shape)?),
            _ => {
                let gv: Vec<f64> = g.to_f64_vec();
                match dtype {
                    DType::Float32 => storage_of(window_grad::<f32>(&gv.iter().map(|&v| v as f32).collect::<Vec<_>>(), np, h, w, &wins, adaptive), &x_shape, dtype)?,
                    _ => storage_of(window_grad::<f64>(&gv, np, h, w, &wins, adaptive), &x_shape, dtype)?,
                }
            }
        };
        Ok(vec![Some(Tensor::from_storage(gx))])
    }))
}

/// `F.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)`
/// (AvgPool2DBackward0).
pub fn avg_pool2d(x: &Tensor, p: &PoolSpec, count_include_pad: bool, divisor_override: Option<i64>) -> Result<Tensor> {
    check_positive(p)?;
    for d in 0..2 {
        if p.padding[d] > p.kernel[d] / 2 {
            return Err(TensorError::runtime(format!(
                "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation=1",
                p.padding[d], p.kernel[d]
            )));
        }
    }
    if divisor_override == Some(0) {
        return Err(TensorError::runtime("divisor must be not zero"));
    }
    let (np, h, w, lead) = planes(x, "input")?;
    let (oh, ow) = output_sizes(h, w, p, &lead)?;
    let wins = avg_windows(h, w, oh, ow, p, count_include_pad, divisor_override);
    let mut shape = lead;
    shape.extend([oh, ow]);
    pooled(x, np, h, w, shape, wins, false, "AvgPool2DBackward0")
}

/// `F.adaptive_avg_pool2d(x, (oh, ow))`: window `i` spans `floor(i*H/oh) .. ceil((i+1)*H/oh)`.
/// An output of (1, 1) is a mean over the last two dims, as ATen computes it (MeanBackward1).
pub fn adaptive_avg_pool2d(x: &Tensor, oh: usize, ow: usize) -> Result<Tensor> {
    let s = x.shape();
    if !(s.len() == 3 || s.len() == 4) || s.iter().skip(s.len() - 2).any(|&d| d == 0) {
        return Err(TensorError::runtime(format!(
            "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got {}",
            super::storage::list_str(&s)
        )));
    }
    if oh == 1 && ow == 1 {
        return x.mean(Some(&[-2, -1]), true);
    }
    let (np, h, w, lead) = planes(x, "adaptive_avg_pool2d")?;
    let start = |i: usize, out: usize, len: usize| (i * len) / out;
    let end = |i: usize, out: usize, len: usize| ((i + 1) * len).div_ceil(out);
    let mut wins = Vec::with_capacity(oh * ow);
    for oy in 0..oh {
        for ox in 0..ow {
            let y = (start(oy, oh, h), end(oy, oh, h));
            let xr = (start(ox, ow, w), end(ox, ow, w));
            wins.push(Window { y, x: xr, div: ((y.1 - y.0) * (xr.1 - xr.0)) as f64 });
        }
    }
    let mut shape = lead;
    shape.extend([oh, ow]);
    pooled(x, np, h, w, shape, wins, true, "AdaptiveAvgPool2DBackward0")
}
