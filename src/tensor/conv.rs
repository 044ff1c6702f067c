//! Convolutions (`conv1d`, `conv2d`) with their backward (ConvolutionBackward0), summed in the
//! orders of PyTorch's two float32 CPU paths.
//!
//! PyTorch sends a float32 convolution either to oneDNN or to its own im2col + BLAS gemm
//! ("slow_conv2d"), by the rule of `use_mkldnn` in ATen's Convolution.cpp. Probing real torch
//! (docs/divergences.md, "Convolutions") showed:
//! - oneDNN sums each output over input channels in blocks of 16: inside a block the order is
//!   kernel row, kernel column, channel, each step one FMA from zero; the bias is added to the
//!   first block's sum and the other blocks' sums follow in order. Grouped convolutions with
//!   fewer than 4 input or output channels per group go through another oneDNN kernel whose
//!   order is channel, kernel row, kernel column;
//! - the gemm path sums over (channel, kernel row, kernel column): with at most two output
//!   channels MKL's small kernel adds rounded products to an accumulator that starts at the
//!   bias; otherwise (as far as probed) one FMA per step from zero, then the bias.
//!
//! A 1-d convolution is the 2-d one on a height-1 view, as in ATen.

use super::autograd::record_jvp;
use super::conv_im2col;
use super::conv_split::{self, Split};
use super::kernels::Float;
use super::storage::{Storage, list_str};
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};
use std::borrow::Cow;
use std::ops::Range;

/// Stride, padding (before/after, per spatial dim), dilation and groups of a 2-d convolution.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvSpec {
    pub stride: [usize; 2],
    pub pad_lo: [usize; 2],
    pub pad_hi: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

/// The sizes of one convolution, all in the 2-d form.
#[derive(Debug, Clone, Copy)]
pub struct Geom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub oh: usize,
    pub ow: usize,
    /// Input and output channels per group.
    pub cg: usize,
    pub og: usize,
}

/// Which of PyTorch's kernels (and so which summation order) a convolution gets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Path {
    /// oneDNN's blocked kernel: (kernel row, kernel column, channel) per block of 16 channels.
    Onednn,
    /// oneDNN's kernel for grouped convolutions with few channels per group: (channel, kernel
    /// row, kernel column), one FMA per step.
    OnednnGrouped,
    /// gemm with a plain dot starting at the bias.
    GemmPlain,
    /// gemm with a fused dot from zero, bias added after.
    GemmFused,
}

/// ATen's `use_mkldnn` for a float32 input, with more than one thread (the clause about 1x1
/// kernels on a single thread then never applies); float64 always takes the gemm path.
fn choose_path(g: &Geom, groups: usize, dtype: DType) -> Path {
    let onednn = dtype == DType::Float32
        && (groups > 1 || (g.kw > 3 && g.kh > 3) || g.n > 1 || g.n * g.c * g.h * g.w > 20480);
    if onednn && groups > 1 && (g.cg < 4 || g.og < 4) && g.cg > 1 {
        Path::OnednnGrouped
    } else if onednn {
        Path::Onednn
    } else if g.o <= 2 {
        Path::GemmPlain
    } else {
        Path::GemmFused
    }
}

/// The element types a convolution runs in, borrowed from a storage that already holds them.
pub(super) trait Native: Float + Into<f64> {
    /// The elements in row-major order, if the storage holds this type in standard layout.
    fn slice(s: &Storage) -> Option<&[Self]>;
    /// A storage of this type (no conversion).
    fn storage(a: ArrayD<Self>) -> Storage;
}

impl Native for f32 {
    fn slice(s: &Storage) -> Option<&[f32]> {
        match s {
            Storage::F32(a) => a.as_slice(),
            _ => None,
        }
    }
    fn storage(a: ArrayD<f32>) -> Storage {
        Storage::F32(a)
    }
}

impl Native for f64 {
    fn slice(s: &Storage) -> Option<&[f64]> {
        match s {
            Storage::F64(a) => a.as_slice(),
            _ => None,
        }
    }
    fn storage(a: ArrayD<f64>) -> Storage {
        Storage::F64(a)
    }
}

/// The values of a float storage in row-major order, in `T`: borrowed when it holds `T`
/// contiguously (no copy of the input, weight or gradient), converted otherwise.
fn values<T: Native>(s: &Storage) -> Cow<'_, [T]> {
    match T::slice(s) {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(s.to_f64_vec().into_iter().map(T::from_f64).collect()),
    }
}

/// A storage of `dtype` holding `v` (computed in `T`, the dtype's own type or its wide one).
fn storage_of<T: Native>(v: Vec<T>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let a = ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    let s = T::storage(a);
    Ok(if s.dtype() == dtype { s } else { s.cast(dtype) })
}

fn tensor_of<T: Native>(v: Vec<T>, shape: &[usize], dtype: DType) -> Result<Tensor> {
    storage_of(v, shape, dtype).map(Tensor::from_storage)
}

impl Geom {
    /// The input position a kernel tap reads for an output position, if inside the input.
    #[inline]
    fn tap(&self, s: &ConvSpec, oy: usize, ox: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let y = (oy * s.stride[0] + ky * s.dilation[0]).checked_sub(s.pad_lo[0])?;
        let x = (ox * s.stride[1] + kx * s.dilation[1]).checked_sub(s.pad_lo[1])?;
        (y < self.h && x < self.w).then_some((y, x))
    }
}

/// The forward pass: im2col and the matmul kernel where they give the reference's bits.
fn forward<T: Float + Into<f64>>(x: &[T], wt: &[T], bias: Option<&[T]>, g: &Geom, s: &ConvSpec, path: Path) -> Vec<T> {
    conv_im2col::forward(x, wt, bias, g, s, path).unwrap_or_else(|| forward_reference(x, wt, bias, g, s, path))
}

/// The forward pass by definition: one loop per output in the order of its path.
pub fn forward_reference<T: Float>(x: &[T], wt: &[T], bias: Option<&[T]>, g: &Geom, s: &ConvSpec, path: Path) -> Vec<T> {
    let mut out = vec![T::zero(); g.n * g.o * g.oh * g.ow];
    let xi = |n: usize, c: usize, y: usize, xx: usize| ((n * g.c + c) * g.h + y) * g.w + xx;
    let wi = |o: usize, c: usize, ky: usize, kx: usize| ((o * g.cg + c) * g.kh + ky) * g.kw + kx;
    for n in 0..g.n {
        for o in 0..g.o {
            let c0 = (o / g.og) * g.cg;
            let b = bias.map(|b| b[o]);
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let acc = match path {
                        Path::Onednn | Path::OnednnGrouped => {
                            // Each block of 16 channels sums from zero; the bias joins the
                            // first block's sum, then the other blocks are added in order.
                            let mut total: Option<T> = None;
                            for blk in (0..g.cg).step_by(16) {
                                let chans = blk..(blk + 16).min(g.cg);
                                let mut part = T::zero();
                                let mut tap = |c: usize, ky: usize, kx: usize| {
                                    if let Some((y, xx)) = g.tap(s, oy, ox, ky, kx) {
                                        part = x[xi(n, c0 + c, y, xx)].mul_add(wt[wi(o, c, ky, kx)], part);
                                    }
                                };
                                if path == Path::Onednn {
                                    for ky in 0..g.kh {
                                        for kx in 0..g.kw {
                                            chans.clone().for_each(|c| tap(c, ky, kx));
                                        }
                                    }
                                } else {
                                    for c in chans {
                                        for ky in 0..g.kh {
                                            for kx in 0..g.kw {
                                                tap(c, ky, kx);
                                            }
                                        }
                                    }
                                }
                                total = Some(match total {
                                    None => b.map_or(part, |b| part + b),
                                    Some(t) => t + part,
                                });
                            }
                            total.unwrap_or_else(|| b.unwrap_or_else(T::zero))
                        }
                        Path::GemmPlain | Path::GemmFused => {
                            let fused = path == Path::GemmFused;
                            let mut acc = if fused { T::zero() } else { b.unwrap_or_else(T::zero) };
                            for c in 0..g.cg {
                                for ky in 0..g.kh {
                                    for kx in 0..g.kw {
                                        // im2col puts zeros at padded taps; adding 0 changes nothing.
                                        if let Some((y, xx)) = g.tap(s, oy, ox, ky, kx) {
                                            let (a, w) = (x[xi(n, c0 + c, y, xx)], wt[wi(o, c, ky, kx)]);
                                            acc = if fused { a.mul_add(w, acc) } else { acc + a * w };
                                        }
                                    }
                                }
                            }
                            match (fused, b) {
                                (true, Some(b)) => acc + b,
                                _ => acc,
                            }
                        }
                    };
                    out[((n * g.o + o) * g.oh + oy) * g.ow + ox] = acc;
                }
            }
        }
    }
    out
}

/// Gradients of input, weight and bias in the orders probed for oneDNN (docs/divergences.md):
/// the input's gradient sums over (kernel row, kernel column, output channel) with one FMA per
/// step, the weight's over (sample, output row, output column) with FMAs, the bias's with
/// plain adds in that order. The gemm path (one small image, or float64) takes the weight's
/// gradient per sample with FMAs over output positions, added sample by sample, the bias's
/// as `sum` over (N, H, W), and the input's in f64 rounded once (its order is unprobed).
#[doc(hidden)]
pub fn backward_reference<T: Float + Into<f64>>(x: &[T], wt: &[T], gy: &[T], g: &Geom, s: &ConvSpec, path: Path) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    backward_reference_parts(x, wt, gy, g, s, path, [true, true], &split_for(g, s, path))
}

/// The thread chunks of a convolution's weight and bias gradients: oneDNN's (conv_split.rs)
/// for the lesson's thread count, one chain over everything on the gemm path.
pub fn split_for(g: &Geom, s: &ConvSpec, path: Path) -> Split {
    match path {
        Path::Onednn | Path::OnednnGrouped => conv_split::plan(g, s, super::threads::num_threads()),
        _ => Split::whole(g.n * g.oh),
    }
}

/// [`backward_reference`] computing only the input and/or weight gradients (`want`); the
/// others come back as zeros (the bias gradient only in full). On oneDNN's path the weight
/// and bias sums run per chunk of `split` from zero, the chunks' sums added in order.
#[allow(clippy::too_many_arguments)]
fn backward_reference_parts<T: Float + Into<f64>>(x: &[T], wt: &[T], gy: &[T], g: &Geom, s: &ConvSpec, path: Path, want: [bool; 2], split: &Split) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let onednn = matches!(path, Path::Onednn | Path::OnednnGrouped);
    let gyi = |n: usize, o: usize, oy: usize, ox: usize| ((n * g.o + o) * g.oh + oy) * g.ow + ox;
    let wi = |o: usize, c: usize, ky: usize, kx: usize| ((o * g.cg + c) * g.kh + ky) * g.kw + kx;
    let xi = |n: usize, c: usize, y: usize, xx: usize| ((n * g.c + c) * g.h + y) * g.w + xx;
    // The output position whose tap (ky, kx) reads input (y, xx), if any.
    let source = |y: usize, xx: usize, ky: usize, kx: usize| -> Option<(usize, usize)> {
        let sy = (y + s.pad_lo[0]).checked_sub(ky * s.dilation[0])?;
        let sx = (xx + s.pad_lo[1]).checked_sub(kx * s.dilation[1])?;
        if sy % s.stride[0] != 0 || sx % s.stride[1] != 0 {
            return None;
        }
        let (oy, ox) = (sy / s.stride[0], sx / s.stride[1]);
        (oy < g.oh && ox < g.ow).then_some((oy, ox))
    };
    let mut gx = vec![0.0; x.len()];
    let mut gw = vec![T::zero(); wt.len()];
    let mut gb = vec![T::zero(); g.o];
    if want[0] && onednn {
        let chains = input_grad_chains(g, s);
        for n in 0..g.n {
            for c in 0..g.c {
                let (grp, cl) = (c / g.cg, c % g.cg);
                for y in 0..g.h {
                    for xx in 0..g.w {
                        // Each chain sums its taps from zero; the chains that met a tap are
                        // then added in order.
                        let mut total: Option<T> = None;
                        for (kxs, os) in &chains {
                            let mut acc: Option<T> = None;
                            for ky in 0..g.kh {
                                for kx in kxs.clone() {
                                    if let Some((oy, ox)) = source(y, xx, ky, kx) {
                                        for o in os.clone() {
                                            let o = grp * g.og + o;
                                            let a = acc.unwrap_or_else(T::zero);
                                            acc = Some(gy[gyi(n, o, oy, ox)].mul_add(wt[wi(o, cl, ky, kx)], a));
                                        }
                                    }
                                }
                            }
                            if let Some(a) = acc {
                                total = Some(total.map_or(a, |t| t + a));
                            }
                        }
                        gx[xi(n, c, y, xx)] = total.unwrap_or_else(T::zero).into();
                    }
                }
            }
        }
    } else if want[0] {
        gx = gemm_input_grad(wt, gy, g, s);
    }
    // oneDNN's chunks (one over everything on the gemm path, whose per-image sums are added
    // image by image); the bias's chunks are summed in a pass of their own below.
    let chunks: &[Range<usize>] = if want[1] { &split.weight } else { &[] };
    for (ci, rows) in chunks.iter().enumerate() {
        let mut sum = vec![T::zero(); wt.len()];
        for (n, oys) in super::conv_wgrad::pieces(g, rows.clone()) {
            // The gemm path accumulates each sample's product on its own, then adds it.
            let mut part = if onednn { None } else { Some(vec![T::zero(); wt.len()]) };
            for o in 0..g.o {
                let c0 = (o / g.og) * g.cg;
                for oy in oys.clone() {
                    for ox in 0..g.ow {
                        let d = gy[gyi(n, o, oy, ox)];
                        for c in 0..g.cg {
                            for ky in 0..g.kh {
                                for kx in 0..g.kw {
                                    if let Some((y, xx)) = g.tap(s, oy, ox, ky, kx) {
                                        let k = wi(o, c, ky, kx);
                                        let acc = part.as_mut().map_or(&mut sum[k], |p| &mut p[k]);
                                        *acc = d.mul_add(x[xi(n, c0 + c, y, xx)], *acc);
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if let Some(p) = part {
                for (a, b) in sum.iter_mut().zip(p) {
                    *a = if n == 0 { b } else { *a + b };
                }
            }
        }
        for (a, b) in gw.iter_mut().zip(sum) {
            *a = if ci == 0 { b } else { *a + b };
        }
    }
    if onednn {
        for (ci, rows) in split.bias.iter().enumerate() {
            let mut sum = vec![T::zero(); g.o];
            for (n, oys) in super::conv_wgrad::pieces(g, rows.clone()) {
                for (o, acc) in sum.iter_mut().enumerate() {
                    for oy in oys.clone() {
                        for ox in 0..g.ow {
                            *acc = *acc + gy[gyi(n, o, oy, ox)];
                        }
                    }
                }
            }
            for (a, b) in gb.iter_mut().zip(sum) {
                *a = if ci == 0 { b } else { *a + b };
            }
        }
    }
    if !onednn {
        gb = super::kernels::reduce_sum(gy, &[g.n, g.o, g.oh * g.ow], &[0, 2]);
    }
    (gx, gw.into_iter().map(Into::into).collect(), gb.into_iter().map(Into::into).collect())
}

/// The chains of oneDNN's input gradient, as (kernel columns, output channels of the group):
/// each sums its taps in (kernel row, kernel column, output channel) order with one FMA per
/// step from zero, and an input's chains that met a tap are added in order. Probed in PyTorch
/// 2.15 (docs/divergences.md, "Convolutional layers"): with unit strides one chain per block
/// of 16 output channels; with a stride above 1 and a width that the column stride divides,
/// one chain per kernel column over all output channels; otherwise one chain over everything.
pub(super) fn input_grad_chains(g: &Geom, s: &ConvSpec) -> Vec<(Range<usize>, Range<usize>)> {
    if s.stride == [1, 1] {
        (0..g.og.max(1)).step_by(16).map(|o0| (0..g.kw, o0..(o0 + 16).min(g.og))).collect()
    } else if g.w.is_multiple_of(s.stride[1]) {
        (0..g.kw).map(|kx| (kx..kx + 1, 0..g.og)).collect()
    } else {
        vec![(0..g.kw, 0..g.og)]
    }
}

/// The gemm path's input gradient: each input's products `gy * w` (exact in f64 for float32)
/// added in f64 in the order of the per-output loop (output channel, then output row and
/// column ascending), rounded to `T` once. The loops run per kernel tap over rows of output
/// positions, so the innermost one walks both buffers contiguously; for a fixed input the taps
/// in descending order meet its output positions in ascending order, the reference's.
pub fn gemm_input_grad<T: Float + Into<f64>>(wt: &[T], gy: &[T], g: &Geom, s: &ConvSpec) -> Vec<f64> {
    let mut gx = vec![0.0f64; g.n * g.c * g.h * g.w];
    let gf: Vec<f64> = gy.iter().map(|&v| v.into()).collect();
    let (plane, oplane) = (g.h * g.w, g.oh * g.ow);
    for n in 0..g.n {
        for o in 0..g.o {
            let c0 = (o / g.og) * g.cg;
            let grow = &gf[(n * g.o + o) * oplane..(n * g.o + o + 1) * oplane];
            for c in 0..g.cg {
                let xplane = &mut gx[(n * g.c + c0 + c) * plane..(n * g.c + c0 + c + 1) * plane];
                for ky in (0..g.kh).rev() {
                    let offy = ky * s.dilation[0];
                    let (ylo, yhi) = conv_im2col::tap_range(g.oh, g.h, s.stride[0], offy, s.pad_lo[0]);
                    for kx in (0..g.kw).rev() {
                        let w: f64 = wt[((o * g.cg + c) * g.kh + ky) * g.kw + kx].into();
                        let offx = kx * s.dilation[1];
                        let (xlo, xhi) = conv_im2col::tap_range(g.ow, g.w, s.stride[1], offx, s.pad_lo[1]);
                        if xlo == xhi {
                            continue;
                        }
                        for oy in ylo..yhi {
                            let y = oy * s.stride[0] + offy - s.pad_lo[0];
                            let src = &grow[oy * g.ow..(oy + 1) * g.ow];
                            let dst = &mut xplane[y * g.w..(y + 1) * g.w];
                            if s.stride[1] == 1 {
                                let x0 = xlo + offx - s.pad_lo[1];
                                for (d, &v) in dst[x0..x0 + (xhi - xlo)].iter_mut().zip(&src[xlo..xhi]) {
                                    *d += v * w;
                                }
                            } else {
                                for ox in xlo..xhi {
                                    dst[ox * s.stride[1] + offx - s.pad_lo[1]] += src[ox] * w;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    gx.iter().map(|&v| T::from_f64(v).into()).collect()
}

/// The gradients asked for (`need`: input, weight, bias; the others come back empty), through
/// conv_im2col where it reproduces [`backward_reference`] and by the reference otherwise.
fn backward<T: Float + Into<f64>>(x: &[T], wt: &[T], gy: &[T], g: &Geom, s: &ConvSpec, path: Path, need: [bool; 3]) -> (Vec<T>, Vec<T>, Vec<T>) {
    let onednn = matches!(path, Path::Onednn | Path::OnednnGrouped);
    let gx = match need[0] {
        false => Some(Vec::new()),
        true if onednn => super::conv_dgrad::input_grad(gy, wt, g, s),
        true => None,
    };
    // oneDNN sums the weight and bias gradients per thread chunk of (image, output row)
    // pairs and adds the chunks' sums in order (conv_split.rs); one chunk when it does not
    // split, and on the gemm path.
    let split = split_for(g, s, path);
    let gw = match need[1] {
        false => Some(Vec::new()),
        true => split.weight.iter().try_fold(Vec::new(), |sum: Vec<T>, rows| {
            let part = conv_im2col::weight_grad(x, gy, g, s, onednn, rows.clone())?;
            Some(add_chunk(sum, part))
        }),
    };
    let gb = match need[2] {
        false => Vec::new(),
        true if onednn => split.bias.iter().fold(Vec::new(), |sum, rows| add_chunk(sum, conv_im2col::bias_grad(gy, g, rows.clone()))),
        true => super::kernels::reduce_sum(gy, &[g.n, g.o, g.oh * g.ow], &[0, 2]),
    };
    match (gx, gw) {
        (Some(gx), Some(gw)) => (gx, gw, gb),
        (gx, gw) => {
            // The reference's values are already rounded to `T`: narrowing them back is exact.
            let narrow = |v: Vec<f64>| -> Vec<T> { v.into_iter().map(T::from_f64).collect() };
            let (rx, rw, _) = backward_reference_parts(x, wt, gy, g, s, path, [gx.is_none(), gw.is_none()], &split);
            (gx.unwrap_or_else(|| narrow(rx)), gw.unwrap_or_else(|| narrow(rw)), gb)
        }
    }
}

/// The running sum of thread chunks' gradients plus the next chunk's: float adds in chunk
/// order, as oneDNN's reduction adds each thread's buffer into the first's.
pub fn add_chunk<T: Float>(sum: Vec<T>, part: Vec<T>) -> Vec<T> {
    if sum.is_empty() {
        return part;
    }
    sum.into_iter().zip(part).map(|(a, b)| a + b).collect()
}

/// ATen's `check_shape_forward` on channels (any number of spatial dims): the input's channels
/// against the weight's times `groups`, the bias's size against the weight's output channels.
pub(crate) fn check_channels(xs: &[usize], ws: &[usize], groups: usize, bias: Option<&Tensor>, batched: bool) -> Result<()> {
    let c = xs[usize::from(batched)];
    if ws[1] * groups != c {
        let input_shape: Vec<usize> = if batched { xs.to_vec() } else { std::iter::once(1).chain(xs.iter().copied()).collect() };
        return Err(TensorError::runtime(format!(
            "Given groups={groups}, weight of size {}, expected input{} to have {} channels, but got {c} channels instead",
            list_str(ws),
            list_str(&input_shape),
            ws[1] * groups
        )));
    }
    if let Some(b) = bias.filter(|b| b.shape() != [ws[0]]) {
        return Err(TensorError::runtime(format!(
            "Given weight of size {}, expected bias to be 1-dimensional with {} elements, but got bias of size {} instead",
            list_str(ws),
            ws[0],
            list_str(&b.shape())
        )));
    }
    Ok(())
}

/// PyTorch's checks of `conv{nd}d`'s arguments, with its messages.
fn check(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, s: &ConvSpec, nd: usize) -> Result<()> {
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() != nd + 2 && xs.len() != nd + 1 {
        return Err(TensorError::runtime(format!(
            "Expected {}D (unbatched) or {}D (batched) input to conv{nd}d, but got input of size: {}",
            nd + 1,
            nd + 2,
            list_str(&xs)
        )));
    }
    if ws.len() != nd + 2 {
        return Err(TensorError::runtime(format!(
            "Expected {}-dimensional weight for {}-dimensional input, but got {}-dimensional weight of size {}",
            nd + 2,
            nd + 2,
            ws.len(),
            list_str(&ws)
        )));
    }
    let dtype_name = |d: DType| d.cpp_name();
    if let Some(b) = bias.filter(|b| b.dtype() != x.dtype()) {
        return Err(TensorError::runtime(format!(
            "Input type ({}) and bias type ({}) should be the same",
            dtype_name(x.dtype()),
            dtype_name(b.dtype())
        )));
    }
    if !x.dtype().is_floating_point() && x.dtype() == w.dtype() {
        return Err(TensorError::unsupported(format!("unsupported: conv{nd}d on {} tensors", x.dtype())));
    }
    if x.dtype() != w.dtype() || !x.dtype().is_floating_point() {
        return Err(TensorError::runtime(format!(
            "Input type ({}) and weight type ({}) should be the same",
            dtype_name(x.dtype()),
            dtype_name(w.dtype())
        )));
    }
    let batched = xs.len() == nd + 2;
    if s.groups == 0 {
        return Err(TensorError::runtime("non-positive groups is not supported"));
    }
    if ws[0] % s.groups != 0 {
        return Err(TensorError::runtime(format!(
            "Given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size {} instead",
            s.groups,
            s.groups,
            list_str(&ws)
        )));
    }
    check_channels(&xs, &ws, s.groups, bias, batched)?;
    let spatial = &xs[xs.len() - nd..];
    let kernel = &ws[2..];
    if kernel.contains(&0) {
        let names = if nd == 2 { ["kernel_height: ", " kernel_width: "] } else { ["kernel_width: ", ""] };
        let got: Vec<String> = kernel.iter().zip(names).map(|(k, n)| format!("{n}{k}")).collect();
        return Err(TensorError::runtime(format!("kernel size should be greater than zero, but got {}", got.concat())));
    }
    if s.stride.contains(&0) {
        return Err(TensorError::runtime("non-positive stride is not supported"));
    }
    let off = 2 - nd;
    let padded: Vec<usize> = (0..nd).map(|d| spatial[d] + s.pad_lo[off + d] + s.pad_hi[off + d]).collect();
    let eff: Vec<usize> = (0..nd).map(|d| s.dilation[off + d] * kernel[d].saturating_sub(1) + 1).collect();
    if (0..nd).any(|d| padded[d] < eff[d]) {
        let join = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(" x ");
        return Err(TensorError::runtime(format!(
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
            join(&padded),
            join(&eff)
        )));
    }
    Ok(())
}

/// `F.conv2d` (`nd == 2`) or `F.conv1d` (`nd == 1`, the spec's first spatial entries unused):
/// batched or unbatched input, grad_fn ConvolutionBackward0.
pub fn conv(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, spec: &ConvSpec, nd: usize) -> Result<Tensor> {
    check(x, w, bias, spec, nd)?;
    let (xs, ws) = (x.shape(), w.shape());
    let batched = xs.len() == nd + 2;
    let (n, c) = if batched { (xs[0], xs[1]) } else { (1, xs[0]) };
    let (h, wd) = if nd == 2 { (xs[xs.len() - 2], xs[xs.len() - 1]) } else { (1, xs[xs.len() - 1]) };
    let (kh, kw) = if nd == 2 { (ws[2], ws[3]) } else { (1, ws[2]) };
    let mut s = spec.clone();
    if nd == 1 {
        s.stride[0] = 1;
        s.dilation[0] = 1;
        s.pad_lo[0] = 0;
        s.pad_hi[0] = 0;
    }
    let out_len = |len: usize, k: usize, d: usize| {
        let eff = s.dilation[d] * (k - 1) + 1;
        (len + s.pad_lo[d] + s.pad_hi[d] - eff) / s.stride[d] + 1
    };
    let g = Geom {
        n,
        c,
        h,
        w: wd,
        o: ws[0],
        kh,
        kw,
        oh: out_len(h, kh, 0),
        ow: out_len(wd, kw, 1),
        cg: ws[1],
        og: ws[0] / s.groups,
    };
    let mut out_shape = if batched { vec![n, g.o] } else { vec![g.o] };
    if nd == 2 {
        out_shape.push(g.oh);
    }
    out_shape.push(g.ow);
    super::check_size(&out_shape)?;
    let dtype = x.dtype();
    let path = choose_path(&g, s.groups, dtype);
    let (xst, wst) = (x.storage(), w.storage());
    let bst = bias.map(Tensor::storage);
    let out = match dtype {
        DType::Float32 => {
            let b = bst.as_deref().map(values::<f32>);
            storage_of(forward(&values::<f32>(&xst), &values::<f32>(&wst), b.as_deref(), &g, &s, path), &out_shape, dtype)?
        }
        _ => {
            let b = bst.as_deref().map(values::<f64>);
            storage_of(forward(&values::<f64>(&xst), &values::<f64>(&wst), b.as_deref(), &g, &s, path), &out_shape, dtype)?
        }
    };
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    // Storages are immutable snapshots (an in-place update swaps in a new one), so holding
    // them keeps the forward's values without copying them.
    let (x_shape, w_shape) = (xs.clone(), ws.clone());
    let has_bias = bias.is_some();
    let tangent_shape = out_shape.clone();
    let jvp = |tans: &[Option<Tensor>]| super::conv_jvp::tangent(x, w, spec, nd, &tangent_shape, tans);
    Ok(record_jvp(out, "ConvolutionBackward0", &inputs, true, move |gy, need| {
        let want = [need[0], need[1], has_bias && need.get(2).copied().unwrap_or(false)];
        let gst = gy.storage();
        match dtype {
            DType::Float32 => grads::<f32>(&xst, &wst, &gst, &g, &s, path, want, &x_shape, &w_shape, dtype, has_bias),
            _ => grads::<f64>(&xst, &wst, &gst, &g, &s, path, want, &x_shape, &w_shape, dtype, has_bias),
        }
    }, &jvp))
}

/// ConvolutionBackward0's gradients as tensors, computed in `T`.
#[allow(clippy::too_many_arguments)]
fn grads<T: Native>(
    x: &Storage,
    w: &Storage,
    gy: &Storage,
    g: &Geom,
    s: &ConvSpec,
    path: Path,
    want: [bool; 3],
    x_shape: &[usize],
    w_shape: &[usize],
    dtype: DType,
    has_bias: bool,
) -> Result<Vec<Option<Tensor>>> {
    let (gx, gw, gb) = backward(&values::<T>(x), &values::<T>(w), &values::<T>(gy), g, s, path, want);
    let mut grads = vec![
        want[0].then(|| tensor_of(gx, x_shape, dtype)).transpose()?,
        want[1].then(|| tensor_of(gw, w_shape, dtype)).transpose()?,
    ];
    if has_bias {
        grads.push(want[2].then(|| tensor_of(gb, &[g.o], dtype)).transpose()?);
    }
    Ok(grads)
}
