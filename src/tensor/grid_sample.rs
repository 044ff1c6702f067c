//! `F.grid_sample` on 4-D inputs, bilinear with zero padding (GridSampler2DBackward0), in the
//! rounding of ATen's vectorized CPU kernel (GridSamplerKernel.cpp), which is what PyTorch runs
//! for float32 and float64 on CPU.
//!
//! Facts carried over from that kernel, each of which changes bits or accumulation order:
//! - a coordinate is unnormalized as `(g + 1) * (size / 2) - 0.5` (align_corners=False) or
//!   `(g + 1) * ((size - 1) / 2)` (True), with the scale rounded to the dtype first, not as
//!   the scalar fallback's `((g + 1) * size - 1) / 2`;
//! - the four corner weights are products of the distances (`nw = s * e`, ...), and the
//!   output is `((nw_val * nw + ne_val * ne) + sw_val * sw) + se_val * se`;
//! - PyTorch's AVX2 build contracts these expressions into fused multiply-adds: the
//!   unnormalizing `fma(g + 1, scale, -0.5)`, the output `fma(se_val, se, fma(sw_val, sw,
//!   fma(ne_val, ne, nw_val * nw)))`, and per channel the grid gradient's
//!   `fma(fma(se - sw, n, (ne - nw) * s), g_out, gx)` (and its y twin). Each was found
//!   against PyTorch's float32 bits on random grids; the unfused forms differ in a tenth to a
//!   fifth of the elements;
//! - the grid is walked in chunks of one AVX2 vector (8 floats, 4 doubles) over the flattened
//!   output positions of each sample; backward adds a chunk's input gradients channel by
//!   channel, the nw corners of its points first, then ne, sw and se, and sums the grid
//!   gradient over channels before scaling it by the unnormalizing factor.

use ndarray::{ArrayD, IxDyn};
use num_traits::Float;

use super::autograd::record;
use super::storage::Storage;
use super::{DType, Result, Scalar, Tensor, TensorError};

/// The element types the kernel runs on, with their AVX2 vector width.
trait Elem: Float + Default + 'static {
    const LANES: usize;
    fn from_usize(v: usize) -> Self;
}

impl Elem for f32 {
    const LANES: usize = 8;
    fn from_usize(v: usize) -> Self {
        v as f32
    }
}

impl Elem for f64 {
    const LANES: usize = 4;
    fn from_usize(v: usize) -> Self {
        v as f64
    }
}

/// Sizes shared by forward and backward.
#[derive(Clone, Copy)]
struct Dims {
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    oh: usize,
    ow: usize,
    align: bool,
}

/// A coordinate's unnormalizer along one input dimension.
#[derive(Clone, Copy)]
struct Axis<T> {
    scale: T,
    align: bool,
}

impl<T: Elem> Axis<T> {
    fn new(size: usize, align: bool) -> Self {
        let two = T::one() + T::one();
        let scale = if align {
            T::from_usize(size.saturating_sub(1)) / two
        } else {
            T::from_usize(size) / two
        };
        Axis { scale, align }
    }

    fn unnormalize(&self, g: T) -> T {
        let v = g + T::one();
        if self.align {
            v * self.scale
        } else {
            v.mul_add(self.scale, -T::from(0.5).unwrap_or_else(T::zero))
        }
    }
}

/// The kernel's float-to-int conversion (`cvttps2dq`): truncation, with the "integer
/// indefinite" value for NaN and anything out of range.
fn to_i32<T: Elem>(v: T) -> i32 {
    match v.to_f64() {
        Some(f) if f.is_finite() && f >= i32::MIN as f64 && f < 2147483648.0 => f as i32,
        _ => i32::MIN,
    }
}

/// One output position's corners: offsets into an input plane (None when out of bounds) and
/// the distances and weights the kernel derives from it.
struct Interp<T> {
    corners: [Option<usize>; 4],
    weights: [T; 4],
    n: T,
    s: T,
    w: T,
    e: T,
}

fn interp<T: Elem>(x: T, y: T, d: &Dims) -> Interp<T> {
    let (x_w, y_n) = (x.floor(), y.floor());
    let w = x - x_w;
    let e = T::one() - w;
    let n = y - y_n;
    let s = T::one() - n;
    let (ix, iy) = (to_i32(x_w), to_i32(y_n));
    let at = |yy: i32, xx: i32| -> Option<usize> {
        (xx > -1 && (xx as i64) < d.w as i64 && yy > -1 && (yy as i64) < d.h as i64)
            .then(|| yy as usize * d.w + xx as usize)
    };
    let (ixe, iys) = (ix.wrapping_add(1), iy.wrapping_add(1));
    Interp {
        corners: [at(iy, ix), at(iy, ixe), at(iys, ix), at(iys, ixe)],
        weights: [s * e, s * w, n * e, n * w],
        n,
        s,
        w,
        e,
    }
}

fn forward<T: Elem>(inp: &[T], grid: &[T], d: &Dims) -> Vec<T> {
    let (ax, ay) = (Axis::<T>::new(d.w, d.align), Axis::<T>::new(d.h, d.align));
    let (plane, opos) = (d.h * d.w, d.oh * d.ow);
    let mut out = vec![T::zero(); d.n * d.c * opos];
    for b in 0..d.n {
        for p in 0..opos {
            let gi = (b * opos + p) * 2;
            let (x, y) = (ax.unnormalize(grid[gi]), ay.unnormalize(grid[gi + 1]));
            let ip = interp(x, y, d);
            for c in 0..d.c {
                let src = &inp[(b * d.c + c) * plane..(b * d.c + c + 1) * plane];
                let val = |k: usize| ip.corners[k].map_or(T::zero(), |o| src[o]);
                let v = val(1).mul_add(ip.weights[1], val(0) * ip.weights[0]);
                let v = val(2).mul_add(ip.weights[2], v);
                let v = val(3).mul_add(ip.weights[3], v);
                out[(b * d.c + c) * opos + p] = v;
            }
        }
    }
    out
}

/// The input's gradient (when asked for) and the grid's.
fn backward<T: Elem>(
    inp: &[T],
    grid: &[T],
    gout: &[T],
    d: &Dims,
    want_input: bool,
) -> (Option<Vec<T>>, Vec<T>) {
    let (ax, ay) = (Axis::<T>::new(d.w, d.align), Axis::<T>::new(d.h, d.align));
    let (plane, opos) = (d.h * d.w, d.oh * d.ow);
    let mut ginp = want_input.then(|| vec![T::zero(); d.n * d.c * plane]);
    let mut ggrid = vec![T::zero(); d.n * opos * 2];
    for b in 0..d.n {
        for start in (0..opos).step_by(T::LANES) {
            let end = (start + T::LANES).min(opos);
            let ips: Vec<Interp<T>> = (start..end)
                .map(|p| {
                    let gi = (b * opos + p) * 2;
                    interp(ax.unnormalize(grid[gi]), ay.unnormalize(grid[gi + 1]), d)
                })
                .collect();
            let mut gx = vec![T::zero(); ips.len()];
            let mut gy = vec![T::zero(); ips.len()];
            for c in 0..d.c {
                let base = (b * d.c + c) * plane;
                let go = &gout[(b * d.c + c) * opos + start..(b * d.c + c) * opos + end];
                if let Some(gi) = ginp.as_mut() {
                    for k in 0..4 {
                        for (ip, &g) in ips.iter().zip(go) {
                            if let Some(o) = ip.corners[k] {
                                gi[base + o] = gi[base + o] + ip.weights[k] * g;
                            }
                        }
                    }
                }
                let src = &inp[base..base + plane];
                for (j, (ip, &g)) in ips.iter().zip(go).enumerate() {
                    let val = |k: usize| ip.corners[k].map_or(T::zero(), |o| src[o]);
                    let (nw, ne, sw, se) = (val(0), val(1), val(2), val(3));
                    gx[j] = (se - sw).mul_add(ip.n, (ne - nw) * ip.s).mul_add(g, gx[j]);
                    gy[j] = (se - ne).mul_add(ip.w, (sw - nw) * ip.e).mul_add(g, gy[j]);
                }
            }
            for (j, p) in (start..end).enumerate() {
                let gi = (b * opos + p) * 2;
                ggrid[gi] = gx[j] * ax.scale;
                ggrid[gi + 1] = gy[j] * ay.scale;
            }
        }
    }
    (ginp, ggrid)
}

fn storage<T: Elem>(v: Vec<T>, shape: &[usize]) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
}

/// The elements in row-major order (float32 widens to f64 and back exactly).
fn values<T: Elem>(t: &Tensor) -> Vec<T> {
    t.to_f64_vec()
        .into_iter()
        .map(|v| T::from(v).unwrap_or_else(T::zero))
        .collect()
}

fn wrap<T: Elem>(v: Vec<T>, shape: &[usize]) -> Result<Storage> {
    let a = storage(v, shape)?;
    let any: &dyn std::any::Any = &a;
    if let Some(a) = any.downcast_ref::<ArrayD<f32>>() {
        return Ok(Storage::F32(a.clone()));
    }
    if let Some(a) = any.downcast_ref::<ArrayD<f64>>() {
        return Ok(Storage::F64(a.clone()));
    }
    Err(TensorError::runtime("grid_sampler(): unexpected dtype"))
}

fn run<T: Elem>(input: &Tensor, grid: &Tensor, d: Dims) -> Result<Tensor> {
    let (inp, g) = (values::<T>(input), values::<T>(grid));
    let out = forward(&inp, &g, &d);
    let out = wrap(out, &[d.n, d.c, d.oh, d.ow])?;
    let (ishape, gshape) = (input.shape(), grid.shape());
    Ok(record(
        out,
        "GridSampler2DBackward0",
        &[input, grid],
        true,
        move |go, need| {
            let gv = values::<T>(go);
            let (gi, gg) = backward(&inp, &g, &gv, &d, need[0]);
            let gi = match gi {
                Some(v) => Some(Tensor::from_storage(wrap(v, &ishape)?)),
                None => None,
            };
            let gg = need[1]
                .then(|| wrap(gg, &gshape).map(Tensor::from_storage))
                .transpose()?;
            Ok(vec![gi, gg])
        },
    ))
}

/// `F.grid_sample(input, grid, mode='bilinear', padding_mode='zeros', align_corners)` for a
/// 4-D `input` (N, C, H_in, W_in) and `grid` (N, H_out, W_out, 2).
pub fn grid_sample(input: &Tensor, grid: &Tensor, align_corners: bool) -> Result<Tensor> {
    let (is, gs) = (input.shape(), grid.shape());
    if is.len() != 4 || gs.len() != 4 {
        return Err(TensorError::runtime(format!(
            "grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got input with sizes {is:?} and grid with sizes {gs:?}"
        )));
    }
    if is[0] != gs[0] {
        return Err(TensorError::runtime(format!(
            "grid_sampler(): expected grid and input to have same batch size, but got input with sizes {is:?} and grid with sizes {gs:?}"
        )));
    }
    if gs[3] != 2 {
        return Err(TensorError::runtime(format!(
            "grid_sampler(): expected grid to have size 2 in last dimension, but got grid with sizes {gs:?}"
        )));
    }
    if is[2] == 0 || is[3] == 0 {
        return Err(TensorError::runtime(format!(
            "grid_sampler(): expected input to have non-empty spatial dimensions, but input has sizes {is:?} with dimension 2 being empty"
        )));
    }
    if input.dtype() != grid.dtype() {
        return Err(TensorError::runtime(format!(
            "grid_sampler(): expected input and grid to have same dtype, but input has {} and grid has {}",
            input.dtype().scalar_name(),
            grid.dtype().scalar_name()
        )));
    }
    let d = Dims {
        n: is[0],
        c: is[1],
        h: is[2],
        w: is[3],
        oh: gs[1],
        ow: gs[2],
        align: align_corners,
    };
    match input.dtype() {
        DType::Float32 => run::<f32>(input, grid, d),
        DType::Float64 => run::<f64>(input, grid, d),
        t => Err(TensorError::runtime(format!(
            "\"grid_sampler_2d_cpu\" not implemented for '{}'",
            t.scalar_name()
        ))),
    }
}

/// ATen's `linspace_from_neg_one`: `steps` points over [-1, 1], shrunk by `(steps - 1) / steps`
/// (as two scalar ops) unless `align_corners`; a single step is 0.
fn neg_one_to_one(steps: usize, align: bool, dtype: DType) -> Result<Vec<f64>> {
    if steps <= 1 {
        return Ok(vec![0.0]);
    }
    let mut r = Tensor::linspace(Scalar::Int(-1), Scalar::Int(1), steps, dtype)?;
    if !align {
        r = r
            .mul_scalar(Scalar::Int(steps as i64 - 1))?
            .div_scalar(Scalar::Int(steps as i64))?;
    }
    Ok(r.to_f64_vec())
}

/// `F.affine_grid(theta, (N, C, H, W), align_corners)`: ATen's base grid of (x, y, 1) rows,
/// (N, H*W, 3), times `theta` transposed, as one `bmm` (whose backward gives theta's gradient
/// as ATen's AffineGridGenerator formula does, `base^T @ grad`).
pub fn affine_grid(theta: &Tensor, size: &[usize], align_corners: bool) -> Result<Tensor> {
    let ts = theta.shape();
    if !matches!(theta.dtype(), DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "Expected theta to have floating point type, but got {}",
            theta.dtype().scalar_name()
        )));
    }
    if size.len() != 4 {
        return Err(TensorError::runtime(
            "affine_grid only supports 4D sizes, for 2D affine transformations",
        ));
    }
    let (n, h, w) = (size[0], size[2], size[3]);
    if ts.len() != 3 || ts[0] != n || ts[1] != 2 || ts[2] != 3 {
        return Err(TensorError::runtime(format!(
            "Expected a batch of 2D affine matrices of shape Nx2x3 for size {size:?}. Got {ts:?}."
        )));
    }
    super::check_size(&[n, h, w, 3])?;
    let (xs, ys) = (
        neg_one_to_one(w, align_corners, theta.dtype())?,
        neg_one_to_one(h, align_corners, theta.dtype())?,
    );
    let mut base = Vec::with_capacity(n * h * w * 3);
    for _ in 0..n {
        for &y in &ys {
            for &x in &xs {
                base.extend_from_slice(&[x, y, 1.0]);
            }
        }
    }
    let base = Storage::F64(storage(base, &[n, h * w, 3])?).cast(theta.dtype());
    let grid = Tensor::from_storage(base).bmm(&theta.transpose(1, 2)?)?;
    grid.view(&[n as isize, h as isize, w as isize, 2])
}
