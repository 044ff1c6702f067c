//! `torch.linalg.vector_norm` (and so `torch.norm`, `Tensor.norm`, `clip_grad_norm_`) on the
//! CPU as ATen's norm kernel computes it, bit for bit, with its backward (`norm_backward`).
//!
//! Facts from ATen (ReduceOpsKernel.cpp `norm_kernel_tensor_iterator_impl`, LinearAlgebra.cpp
//! `linalg_vector_norm_out`), confirmed against PyTorch 2.15 by docs/probes/norm_kernel.py:
//! - reducing only dims of size 1 is `abs(x)` (p != 0);
//! - p = 2, one reduced dim after TensorIterator's reordering and coalescing, contiguous in
//!   memory (`is_reduce_lastdim`): each row is one call of a vectorised loop, 8 float32 or 4
//!   float64 lanes (Vectorized over AVX2) accumulating `acc + x*x` (not fused), the lanes added
//!   left to right, then the tail: float32 takes 4 elements with unfused squares if 4 remain,
//!   every other tail element is `fma(x, x, acc)`; then `sqrt` in the input's type;
//! - everything else (other p, strided, transposed or expanded inputs, several reduced dims):
//!   `binary_kernel_reduce` in the input's type, one accumulator per output running over its
//!   elements in TensorIterator's order (reduced dims innermost, ordered by the input's
//!   strides), `acc + x*x`, `acc + |x|`, `acc + pow(|x|, p)` (then `pow(acc, 1/p)` with `1/p`
//!   in the input's type), max/min of `|x|` for +-inf, the count of nonzeros for p = 0; a single
//!   output of 32768+ elements is split into [`threads::chunks`], each chunk from zero, the
//!   chunks' results then added in order.

use super::exact_chain;
use super::storage::Storage;
use super::threads::{self, GRAIN_SIZE};
use super::{Result, TensorError};
use ndarray::{ArrayD, IxDyn};

/// The float operations the kernel needs, for float32 and float64.
trait Elem:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    /// Lanes of ATen's AVX2 `Vectorized` of this type.
    const LANES: usize;
    /// Elements of the float32 tail that GCC squares as one 4-wide vector (0: none).
    const TAIL_BLOCK: usize;
    fn zero() -> Self;
    fn from_f64(v: f64) -> Self;
    fn fma(self, a: Self, b: Self) -> Self;
    fn abs(self) -> Self;
    fn sqrt(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn is_nan(self) -> bool;
    /// `vals.fold(init, |acc, v| acc + |v|)`, or of `acc + v * v` with `square`.
    fn chain(vals: &[Self], init: Self, square: bool) -> Self;
}

impl Elem for f32 {
    const LANES: usize = 8;
    const TAIL_BLOCK: usize = 4;
    fn zero() -> Self {
        0.0
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn fma(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
    fn powf(self, e: Self) -> Self {
        f32::powf(self, e)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn chain(vals: &[Self], init: Self, square: bool) -> Self {
        // Jumped a block at a time, same bits (`exact_chain`).
        if square { exact_chain::square_chain(vals, init) } else { exact_chain::abs_chain(vals, init) }
    }
}

impl Elem for f64 {
    const LANES: usize = 4;
    const TAIL_BLOCK: usize = 0;
    fn zero() -> Self {
        0.0
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn fma(self, a: Self, b: Self) -> Self {
        self.mul_add(a, b)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn powf(self, e: Self) -> Self {
        f64::powf(self, e)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn chain(vals: &[Self], init: Self, square: bool) -> Self {
        if square {
            vals.iter().fold(init, |acc, &v| acc + v * v)
        } else {
            vals.iter().fold(init, |acc, &v| acc + v.abs())
        }
    }
}

/// How ATen walks one reduction: the row-major offsets (in the input's logical elements) of
/// each output's elements in TensorIterator's order, relative to the output's first element,
/// and whether the vectorised last-dim loop runs.
pub(crate) struct Walk {
    /// Empty when `in_order`.
    pub(crate) reduced: Vec<usize>,
    /// Whether each output's elements, in order, are `len` consecutive row-major values.
    pub(crate) in_order: bool,
    pub(crate) len: usize,
    pub(crate) lastdim: bool,
    /// Elements of the innermost merged reduced dim (consecutive in `reduced`), and whether
    /// the input is contiguous along it (a row of ATen's inner-reduction loop).
    pub(crate) inner: usize,
    pub(crate) inner_contiguous: bool,
}

/// TensorIterator's order for reducing `rd` of an input of `shape` with element `strides`.
pub(crate) fn walk(shape: &[usize], strides: &[usize], rd: &[usize]) -> Walk {
    let nd = shape.len();
    // The output's strides: contiguous over the kept shape, 0 on reduced dims.
    let mut out_strides = vec![0usize; nd];
    let mut acc = 1;
    for d in (0..nd).rev() {
        if rd.contains(&d) {
            continue;
        }
        out_strides[d] = acc;
        acc *= shape[d];
    }
    let ops: [&[usize]; 2] = [&out_strides, strides];
    // `reorder_dimensions`: reduced dims to the front (innermost), then by strides.
    let perm = super::iter_layout::reorder_dims(shape, &ops, true);
    // The reduced dims of more than one element, innermost first.
    let red: Vec<usize> = perm
        .iter()
        .copied()
        .filter(|d| rd.contains(d) && shape[*d] > 1)
        .collect();
    // Coalescing: adjacent reduced dims merge where the input steps over them as over one.
    let mut groups = 0;
    let mut first_stride = 0;
    let mut inner = 1;
    let mut prev: Option<usize> = None;
    for &d in &red {
        match prev {
            Some(p) if strides[p] * shape[p] == strides[d] => {
                if groups == 1 {
                    inner *= shape[d];
                }
            }
            _ => {
                groups += 1;
                if prev.is_none() {
                    first_stride = strides[d];
                    inner = shape[d];
                }
            }
        }
        prev = Some(d);
    }
    let lastdim = groups == 1 && first_stride == 1;
    // Logical row-major strides, to address the row-major values.
    let logical = row_major_strides(shape);
    // Reduced dims that are the trailing dims in order: each output's elements are a
    // consecutive run of the row-major values (no offsets needed).
    let mut span = 1;
    let mut in_order = true;
    for &d in &red {
        in_order &= logical[d] == span;
        span *= shape[d];
    }
    let mut reduced = vec![0usize];
    for &d in red.iter().filter(|_| !in_order) {
        let mut next = Vec::with_capacity(reduced.len() * shape[d]);
        for i in 0..shape[d] {
            next.extend(reduced.iter().map(|&o| o + i * logical[d]));
        }
        reduced = next;
    }
    Walk {
        reduced: if in_order { Vec::new() } else { reduced },
        in_order,
        len: span,
        lastdim,
        inner,
        inner_contiguous: first_stride == 1,
    }
}

/// One row of the vectorised p = 2 loop.
fn two_norm_row<T: Elem>(x: &[T]) -> T {
    let n = x.len();
    let mut acc = [T::zero(); 8];
    let lanes = T::LANES;
    let mut d = 0;
    while d + lanes <= n {
        for j in 0..lanes {
            acc[j] = acc[j] + x[d + j] * x[d + j];
        }
        d += lanes;
    }
    let mut b = acc[0];
    for &a in &acc[1..lanes] {
        b = b + a;
    }
    if T::TAIL_BLOCK > 0 && n - d >= T::TAIL_BLOCK {
        for &v in &x[d..d + T::TAIL_BLOCK] {
            b = b + v * v;
        }
        d += T::TAIL_BLOCK;
    }
    for &v in &x[d..] {
        b = v.fma(v, b);
    }
    b.sqrt()
}

/// The scalar reduction's step and projection for `p`.
fn step<T: Elem>(p: f64, pt: T, acc: T, v: T) -> T {
    if p == 2.0 {
        acc + v * v
    } else if p == 1.0 {
        acc + v.abs()
    } else if p == 0.0 {
        if v == T::zero() {
            acc
        } else {
            acc + T::from_f64(1.0)
        }
    } else if p == f64::INFINITY {
        // AbsMaxOps: NaN wins.
        let a = v.abs();
        if acc.is_nan() || a.is_nan() {
            if acc.is_nan() { acc } else { a }
        } else if a > acc {
            a
        } else {
            acc
        }
    } else if p == f64::NEG_INFINITY {
        let a = v.abs();
        if acc.is_nan() || a.is_nan() {
            if acc.is_nan() { acc } else { a }
        } else if a < acc {
            a
        } else {
            acc
        }
    } else {
        acc + v.abs().powf(pt)
    }
}

fn combine<T: Elem>(p: f64, a: T, b: T) -> T {
    if p.is_infinite() {
        step(p, T::zero(), a, b)
    } else {
        a + b
    }
}

fn project<T: Elem>(p: f64, pt: T, acc: T) -> T {
    if p == 2.0 {
        acc.sqrt()
    } else if p == 1.0 || p == 0.0 || p.is_infinite() {
        acc
    } else {
        acc.powf(T::from_f64(1.0) / pt)
    }
}

fn norm_values<T: Elem>(
    x: &[T],
    shape: &[usize],
    strides: &[usize],
    rd: &[usize],
    p: f64,
) -> Vec<T> {
    let nd = shape.len();
    let kept: Vec<usize> = (0..nd).filter(|d| !rd.contains(d)).collect();
    let n_out: usize = kept.iter().map(|&d| shape[d]).product();
    let numel: usize = shape.iter().product();
    if numel == 0 {
        let fill = if p < 0.0 {
            T::from_f64(f64::INFINITY)
        } else {
            T::zero()
        };
        return vec![fill; n_out];
    }
    // Only dims of size 1 reduced: `abs` (p = 0 counts the nonzeros).
    if rd.iter().all(|&d| shape[d] == 1) {
        return x
            .iter()
            .map(|&v| {
                if p == 0.0 {
                    if v == T::zero() {
                        T::zero()
                    } else {
                        T::from_f64(1.0)
                    }
                } else {
                    v.abs()
                }
            })
            .collect();
    }
    let w = walk(shape, strides, rd);
    let logical = row_major_strides(shape);
    let pt = T::from_f64(p);
    let init = if p == f64::NEG_INFINITY { T::from_f64(f64::INFINITY) } else { T::zero() };
    let serial = |vals: &[T]| -> T {
        // One tight loop per p (the branch on p taken once per run).
        if p == 2.0 || p == 1.0 {
            T::chain(vals, init, p == 2.0)
        } else {
            vals.iter().fold(init, |acc, &v| step(p, pt, acc, v))
        }
    };
    let reduce = |vals: &[T]| -> T {
        if p == 2.0 && w.lastdim {
            return two_norm_row(vals);
        }
        let total = if n_out == 1 && vals.len() >= GRAIN_SIZE && threads::num_threads() > 1 {
            let mut t = init;
            for c in threads::chunks(vals.len(), GRAIN_SIZE, threads::num_threads()) {
                t = combine(p, t, serial(&vals[c]));
            }
            t
        } else {
            serial(vals)
        };
        project(p, pt, total)
    };
    if w.in_order {
        return x.chunks(w.len).map(reduce).collect();
    }
    // Kept dims trailing (a reduction over leading dims): output `o`'s elements sit at
    // `o + reduced[k]`, so all outputs advance together, each still in its own order.
    let mut kept_trailing = kept.iter().rev().scan(1, |span, &d| {
        let ok = logical[d] == *span;
        *span *= shape[d];
        Some(ok)
    });
    if !w.lastdim && kept_trailing.all(|b| b) && !(n_out == 1 && w.reduced.len() >= GRAIN_SIZE) {
        let mut acc = vec![init; n_out];
        for &off in &w.reduced {
            let xs = &x[off..off + n_out];
            if p == 2.0 {
                acc.iter_mut().zip(xs).for_each(|(a, &v)| *a = *a + v * v);
            } else if p == 1.0 {
                acc.iter_mut().zip(xs).for_each(|(a, &v)| *a = *a + v.abs());
            } else {
                acc.iter_mut().zip(xs).for_each(|(a, &v)| *a = step(p, pt, *a, v));
            }
        }
        return acc.into_iter().map(|a| project(p, pt, a)).collect();
    }
    gather_reduce(x, shape, &kept, &w.reduced, n_out, reduce)
}

/// Row-major element strides of `shape` (to address a tensor's row-major values).
pub(crate) fn row_major_strides(shape: &[usize]) -> Vec<usize> {
    let mut logical = vec![0usize; shape.len()];
    let mut a = 1;
    for d in (0..shape.len()).rev() {
        logical[d] = a;
        a *= shape[d];
    }
    logical
}

/// `shape` after reducing the dims `rd`: dropped, or kept as 1 with `keepdim`.
pub(crate) fn reduced_shape(shape: &[usize], rd: &[usize], keepdim: bool) -> Vec<usize> {
    (0..shape.len())
        .filter_map(|d| {
            if !rd.contains(&d) {
                Some(shape[d])
            } else if keepdim {
                Some(1)
            } else {
                None
            }
        })
        .collect()
}

/// One reduction per output, outputs in row-major order over the `kept` dims: `f` gets each
/// output's values gathered from the row-major `x` at the `reduced` offsets, in that order.
pub(crate) fn gather_reduce<T: Copy>(
    x: &[T],
    shape: &[usize],
    kept: &[usize],
    reduced: &[usize],
    n_out: usize,
    f: impl Fn(&[T]) -> T,
) -> Vec<T> {
    let logical = row_major_strides(shape);
    let mut out = Vec::with_capacity(n_out);
    let mut coords = vec![0usize; kept.len()];
    let mut vals = Vec::with_capacity(reduced.len());
    for _ in 0..n_out {
        let base: usize = kept.iter().zip(&coords).map(|(&d, &c)| c * logical[d]).sum();
        vals.clear();
        vals.extend(reduced.iter().map(|&o| x[base + o]));
        out.push(f(&vals));
        for k in (0..kept.len()).rev() {
            coords[k] += 1;
            if coords[k] < shape[kept[k]] {
                break;
            }
            coords[k] = 0;
        }
    }
    out
}

/// The `p`-norm over `rd` of the float tensor whose row-major values are `s` and whose
/// elements lie at `strides` in memory, shaped with the reduced dims dropped or kept as 1.
pub(crate) fn vector_norm(
    s: &Storage,
    strides: &[usize],
    rd: &[usize],
    p: f64,
    keepdim: bool,
) -> Result<Storage> {
    let shape = s.shape();
    let out_shape = reduced_shape(&shape, rd, keepdim);
    let sh = IxDyn(&out_shape);
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    Ok(match s {
        Storage::F32(a) => {
            let v = super::ops::row_major(a);
            Storage::F32(
                ArrayD::from_shape_vec(sh, norm_values(&v, &shape, strides, rd, p)).map_err(err)?,
            )
        }
        Storage::F64(a) => {
            let v = super::ops::row_major(a);
            Storage::F64(
                ArrayD::from_shape_vec(sh, norm_values(&v, &shape, strides, rd, p)).map_err(err)?,
            )
        }
        _ => {
            return Err(TensorError::runtime(
                "linalg.vector_norm: Expected a floating point tensor",
            ));
        }
    })
}

impl super::Tensor {
    /// `torch.linalg.vector_norm(t, p, dims, keepdim)` (LinalgVectorNormBackward0).
    pub fn norm_p(&self, p: f64, dims: Option<&[isize]>, keepdim: bool) -> Result<super::Tensor> {
        use super::DType;
        if !self.dtype().is_floating_point() {
            let got = match self.dtype() {
                DType::Int64 => "Long",
                DType::Bool => "Bool",
                _ => "Float",
            };
            return Err(TensorError::runtime(format!(
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {got}"
            )));
        }
        let rd = self.reduce_dims(dims)?;
        let out = vector_norm(&self.storage(), &self.strides(), &rd, p, keepdim)?;
        let result = super::Tensor::from_storage(out.clone());
        let a = super::ops::saved(self);
        let shape = self.shape();
        Ok(super::ops::record_out(
            &result.clone(),
            out,
            "LinalgVectorNormBackward0",
            &[self],
            true,
            move |g, _| {
                Ok(vec![norm_backward(
                    g, &a, p, &result, &shape, &rd, keepdim,
                )?])
            },
        ))
    }
}

/// ATen's `norm_backward` (FunctionsManual.cpp), its operations in its order.
fn norm_backward(
    g: &super::Tensor,
    x: &super::Tensor,
    p: f64,
    norm: &super::Tensor,
    shape: &[usize],
    rd: &[usize],
    keepdim: bool,
) -> Result<Option<super::Tensor>> {
    use super::{Scalar, Tensor};
    let (g, norm) = if keepdim || shape.is_empty() {
        (g.clone(), norm.clone())
    } else {
        let kept: Vec<usize> = (0..shape.len())
            .map(|d| if rd.contains(&d) { 1 } else { shape[d] })
            .collect();
        (g.reshape_usize(&kept)?, norm.reshape_usize(&kept)?)
    };
    let zero = Tensor::zeros(&[], x.dtype());
    let masked = |t: &Tensor, cond: &Tensor| Tensor::where_(cond, &zero, t);
    Ok(Some(if p == 0.0 {
        Tensor::zeros(shape, x.dtype())
    } else if p == 1.0 {
        x.sign()?.mul(&g)?
    } else if p == 2.0 {
        g.mul(&masked(&x.div(&norm)?, &norm.eq_scalar(Scalar::Int(0))?)?)?
    } else if p.is_infinite() {
        let xa = x.abs()?;
        let mask = xa.eq(&norm)?.logical_or(&xa.isnan())?;
        let rdi: Vec<isize> = rd.iter().map(|&d| d as isize).collect();
        let count = mask.sum(Some(&rdi), true)?;
        x.sign()?.mul(&g.div(&count)?.mul(&mask)?)?
    } else if p < 1.0 {
        let scaled = x.sign()?.mul(&masked(
            &x.abs()?.pow_scalar(Scalar::Float(p - 1.0))?,
            &x.eq_scalar(Scalar::Int(0))?,
        )?)?;
        scaled
            .mul(&g)?
            .mul(&norm.pow_scalar(Scalar::Float(1.0 - p))?)?
    } else {
        let scaled = if p < 2.0 {
            x.sign()?
                .mul(&x.abs()?.pow_scalar(Scalar::Float(p - 1.0))?)?
        } else {
            x.mul(&x.abs()?.pow_scalar(Scalar::Float(p - 2.0))?)?
        };
        let scale = masked(
            &g.div(&norm.pow_scalar(Scalar::Float(p - 1.0))?)?,
            &norm.eq_scalar(Scalar::Int(0))?,
        )?;
        scaled.mul(&scale)?
    }))
}
