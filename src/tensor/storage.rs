//! `Storage`: the immutable, typed ndarray buffer behind a tensor, plus casts and broadcasting.
//!
//! A storage is never mutated once shared: in-place tensor updates build a new storage and swap
//! the `Rc`, and a write through a view mutates the buffer only when nobody else holds it
//! (`Rc::make_mut`), so a snapshot taken with `Tensor::storage` never changes under its holder.

use ndarray::{ArrayD, IxDyn, Zip};

use super::{DType, Result, Scalar, TensorError};

#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    F32(ArrayD<f32>),
    F64(ArrayD<f64>),
    I64(ArrayD<i64>),
    Bool(ArrayD<bool>),
}

/// Applies the same expression to whichever typed array a storage holds.
macro_rules! each {
    ($s:expr, $a:ident => $e:expr) => {
        match $s {
            Storage::F32($a) => $e,
            Storage::F64($a) => $e,
            Storage::I64($a) => $e,
            Storage::Bool($a) => $e,
        }
    };
}
#[allow(unused_imports)]
pub(crate) use each;

impl Storage {
    pub(crate) fn dtype(&self) -> DType {
        match self {
            Storage::F32(_) => DType::Float32,
            Storage::F64(_) => DType::Float64,
            Storage::I64(_) => DType::Int64,
            Storage::Bool(_) => DType::Bool,
        }
    }

    pub(crate) fn shape(&self) -> Vec<usize> {
        each!(self, a => a.shape().to_vec())
    }

    pub(crate) fn numel(&self) -> usize {
        each!(self, a => a.len())
    }

    pub(crate) fn is_standard_layout(&self) -> bool {
        each!(self, a => a.is_standard_layout())
    }

    /// `shape` filled with `v` converted to `dtype` (a narrow dtype gets its wide array).
    pub(crate) fn full(shape: &[usize], v: Scalar, dtype: DType) -> Storage {
        let sh = IxDyn(shape);
        match dtype {
            DType::Float32 => Storage::F32(ArrayD::from_elem(sh, v.as_f64() as f32)),
            DType::Float64 => Storage::F64(ArrayD::from_elem(sh, v.as_f64())),
            DType::Int64 => Storage::I64(ArrayD::from_elem(sh, v.as_i64())),
            DType::Bool => Storage::Bool(ArrayD::from_elem(sh, v.as_bool())),
            narrow => {
                let exact = if matches!(v, Scalar::Float(_)) { DType::Float64 } else { DType::Int64 };
                Storage::full(shape, v, exact).cast(narrow)
            }
        }
    }

    /// Elements in row-major order, widened to f64 (bool -> 0/1).
    pub(crate) fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            Storage::F32(a) => a.iter().map(|&x| x as f64).collect(),
            Storage::F64(a) => a.iter().copied().collect(),
            Storage::I64(a) => a.iter().map(|&x| x as f64).collect(),
            Storage::Bool(a) => a.iter().map(|&x| if x { 1.0 } else { 0.0 }).collect(),
        }
    }

    pub(crate) fn scalar_at(&self, flat: usize) -> Scalar {
        match self {
            Storage::F32(a) => Scalar::Float(a.iter().nth(flat).copied().unwrap_or(0.0) as f64),
            Storage::F64(a) => Scalar::Float(a.iter().nth(flat).copied().unwrap_or(0.0)),
            Storage::I64(a) => Scalar::Int(a.iter().nth(flat).copied().unwrap_or(0)),
            Storage::Bool(a) => Scalar::Bool(a.iter().nth(flat).copied().unwrap_or(false)),
        }
    }

    /// PyTorch's `.to(dtype)`: float -> int truncates toward zero, anything -> bool is `!= 0`.
    /// A narrow dtype gives its wide array with every value converted to the narrow format
    /// (integers wrap, floats round to nearest even), so casting is also how results narrow.
    pub(crate) fn cast(&self, dtype: DType) -> Storage {
        if self.dtype() == dtype {
            return self.clone();
        }
        match dtype {
            DType::Float32 => Storage::F32(match self {
                Storage::F64(a) => a.mapv(|x| x as f32),
                Storage::I64(a) => a.mapv(|x| x as f32),
                Storage::Bool(a) => a.mapv(|x| if x { 1.0 } else { 0.0 }),
                Storage::F32(a) => a.clone(),
            }),
            DType::Float64 => Storage::F64(match self {
                Storage::F32(a) => a.mapv(|x| x as f64),
                Storage::I64(a) => a.mapv(|x| x as f64),
                Storage::Bool(a) => a.mapv(|x| if x { 1.0 } else { 0.0 }),
                Storage::F64(a) => a.clone(),
            }),
            DType::Int64 => Storage::I64(match self {
                Storage::F32(a) => a.mapv(|x| x as i64),
                Storage::F64(a) => a.mapv(|x| x as i64),
                Storage::Bool(a) => a.mapv(i64::from),
                Storage::I64(a) => a.clone(),
            }),
            DType::Bool => Storage::Bool(match self {
                Storage::F32(a) => a.mapv(|x| x != 0.0),
                Storage::F64(a) => a.mapv(|x| x != 0.0),
                Storage::I64(a) => a.mapv(|x| x != 0),
                Storage::Bool(a) => a.clone(),
            }),
            narrow => super::dtype::narrow(self, narrow),
        }
    }

    /// [`Storage::reshape`] of a storage the caller owns: no copy when it is in standard layout.
    pub(crate) fn into_shape(self, shape: &[usize]) -> Result<Storage> {
        if !self.is_standard_layout() {
            return self.reshape(shape);
        }
        let numel: usize = shape.iter().product();
        if numel != self.numel() {
            return Err(TensorError::BadReshape {
                shape: shape_str(shape),
                numel: self.numel(),
            });
        }
        let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
        Ok(match self {
            Storage::F32(a) => Storage::F32(a.into_shape_with_order(IxDyn(shape)).map_err(err)?),
            Storage::F64(a) => Storage::F64(a.into_shape_with_order(IxDyn(shape)).map_err(err)?),
            Storage::I64(a) => Storage::I64(a.into_shape_with_order(IxDyn(shape)).map_err(err)?),
            Storage::Bool(a) => Storage::Bool(a.into_shape_with_order(IxDyn(shape)).map_err(err)?),
        })
    }

    /// A storage of no elements of the same element type.
    pub(crate) fn empty_like(&self) -> Storage {
        match self {
            Storage::F32(_) => Storage::F32(ArrayD::zeros(IxDyn(&[0]))),
            Storage::F64(_) => Storage::F64(ArrayD::zeros(IxDyn(&[0]))),
            Storage::I64(_) => Storage::I64(ArrayD::zeros(IxDyn(&[0]))),
            Storage::Bool(_) => Storage::Bool(ArrayD::from_elem(IxDyn(&[0]), false)),
        }
    }

    pub(crate) fn reshape(&self, shape: &[usize]) -> Result<Storage> {
        let numel: usize = shape.iter().product();
        if numel != self.numel() {
            return Err(TensorError::BadReshape { shape: shape_str(shape), numel: self.numel() });
        }
        fn re<T: Copy>(a: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>> {
            let v: Vec<T> = super::gather::row_major(a);
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
        }
        Ok(match self {
            Storage::F32(a) => Storage::F32(re(a, shape)?),
            Storage::F64(a) => Storage::F64(re(a, shape)?),
            Storage::I64(a) => Storage::I64(re(a, shape)?),
            Storage::Bool(a) => Storage::Bool(re(a, shape)?),
        })
    }

    /// Materialises `self` broadcast to `shape` as a standard-layout array.
    pub(crate) fn expand(&self, shape: &[usize]) -> Result<Storage> {
        let own = self.shape();
        fn ex<T: Copy>(a: &ArrayD<T>, shape: &[usize]) -> Option<ArrayD<T>> {
            let v = a.broadcast(IxDyn(shape))?;
            ArrayD::from_shape_vec(IxDyn(shape), super::gather::row_major(&v)).ok()
        }
        let out = match self {
            Storage::F32(a) => ex(a, shape).map(Storage::F32),
            Storage::F64(a) => ex(a, shape).map(Storage::F64),
            Storage::I64(a) => ex(a, shape).map(Storage::I64),
            Storage::Bool(a) => ex(a, shape).map(Storage::Bool),
        };
        out.ok_or_else(|| {
            TensorError::runtime(format!(
                "The expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension {}.  Target sizes: {}.  Tensor sizes: {}",
                shape.last().copied().unwrap_or(0),
                own.last().copied().unwrap_or(0),
                shape.len().saturating_sub(1),
                list_str(shape),
                list_str(&own)
            ))
        })
    }
}

/// `[2, 3]` as PyTorch prints sizes in messages.
pub(crate) fn list_str(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}

/// `2, 3` as in "shape '[2, 3]' is invalid".
pub(crate) fn shape_str(shape: &[usize]) -> String {
    list_str(shape)
}

/// The broadcast shape of two shapes, or PyTorch's size-mismatch error.
pub(crate) fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    // Align from the right; a missing dim acts as size 1. PyTorch checks from the last dim
    // backwards, so the first mismatch it reports is the rightmost one.
    for i in (0..n).rev() {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::BroadcastMismatch { a: da, b: db, dim: i });
        };
    }
    super::check_size(&out)?;
    Ok(out)
}

/// Element-wise map of two arrays broadcast to `shape` (already validated).
pub(crate) fn zip_map<A: Copy, B: Copy, O: Clone>(
    a: &ArrayD<A>,
    b: &ArrayD<B>,
    shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> Result<ArrayD<O>> {
    if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
        let same = |s: &[usize]| s == shape;
        let out = if same(a.shape()) && same(b.shape()) {
            Some(zip_slices(x, y, &f))
        } else if same(a.shape()) && y.len() == 1 {
            Some(zip_slices(x, &[()][..], |p, ()| f(p, y[0])))
        } else if same(b.shape()) && x.len() == 1 {
            Some(zip_slices(y, &[()][..], |q, ()| f(x[0], q)))
        } else {
            Some(super::zip_bcast::zip_broadcast(x, a.shape(), y, b.shape(), shape, &f))
        };
        if let Some(out) = out {
            return ArrayD::from_shape_vec(IxDyn(shape), out).map_err(|e| TensorError::runtime(e.to_string()));
        }
    }
    let sh = IxDyn(shape);
    let av = a.broadcast(sh.clone());
    let bv = b.broadcast(sh);
    match (av, bv) {
        (Some(av), Some(bv)) => {
            let out = Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y));
            Ok(if out.is_standard_layout() { out } else { out.as_standard_layout().into_owned() })
        }
        _ => Err(TensorError::runtime("internal broadcast failure")),
    }
}

/// An element-wise kernel `f` (a function of row-major elements, one result each) over `a`,
/// in `a`'s shape: contiguous arrays are read in place, others gathered once.
pub(crate) fn map_row_major<T: Copy, U>(a: &ArrayD<T>, f: impl FnOnce(&[T]) -> Vec<U>) -> ArrayD<U> {
    let out = f(&super::ops::row_major(a));
    ArrayD::from_shape_vec(a.raw_dim(), out).expect("one result per element")
}

/// `f` over paired elements of two slices (see [`zip_loop`]); on CPUs with AVX2 and FMA the loop is compiled for them,
/// so `mul_add` is one instruction (not a libm call) and simple ops vectorise. Each element
/// is still computed by `f` alone, so results do not depend on the path.
pub(crate) fn zip_slices<A: Copy, B: Copy, O>(a: &[A], b: &[B], f: impl Fn(A, B) -> O) -> Vec<O> {
    debug_assert!(b.len() == a.len() || b.len() == 1);
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the loop is compiled for.
        return unsafe { zip_slices_fma(a, b, f) };
    }
    zip_loop(a, b, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn zip_slices_fma<A: Copy, B: Copy, O>(a: &[A], b: &[B], f: impl Fn(A, B) -> O) -> Vec<O> {
    zip_loop(a, b, f)
}

/// `b` has `a`'s length, or one element that pairs with every element of `a`.
/// A plain indexed loop, not `collect`: the iterator machinery behind `collect` is a generic
/// function of its own that need not be inlined into the AVX2+FMA caller, and compiled without
/// those features it turned every `mul_add` into a call to the software `fmaf`.
#[inline(always)]
fn zip_loop<A: Copy, B: Copy, O>(a: &[A], b: &[B], f: impl Fn(A, B) -> O) -> Vec<O> {
    let n = a.len();
    let mut out: Vec<O> = Vec::with_capacity(n);
    let dst = &mut out.spare_capacity_mut()[..n];
    match b {
        [one] if n != 1 => {
            for i in 0..n {
                dst[i].write(f(a[i], *one));
            }
        }
        _ => {
            let b = &b[..n];
            for i in 0..n {
                dst[i].write(f(a[i], b[i]));
            }
        }
    }
    // SAFETY: the loop above wrote each of the first n slots.
    unsafe { out.set_len(n) };
    out
}

/// The row-major transpose of a row-major `rows x cols` matrix, copied in cache-sized blocks.
pub(crate) fn transpose<T: Copy>(src: &[T], rows: usize, cols: usize) -> Vec<T> {
    const B: usize = 32;
    let Some(&first) = src.first() else { return Vec::new() };
    let mut out = vec![first; rows * cols];
    for r0 in (0..rows).step_by(B) {
        for c0 in (0..cols).step_by(B) {
            for r in r0..(r0 + B).min(rows) {
                for c in c0..(c0 + B).min(cols) {
                    out[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
    out
}
