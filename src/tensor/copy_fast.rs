//! Copy-free and type-preserving paths for the engine's hot data movement: casts to the dtype a
//! storage already has, `torch.cat`/`stack` of parts in the result's dtype (DataLoader batches),
//! and the SGD update's operands. Each path moves the same values as the general one, so no
//! printed bit changes; it only skips the copies (and the float64 round trip) that cost the
//! time, fresh pages being several times dearer than the copy itself on small machines.

use std::borrow::Cow;

use ndarray::{ArrayD, IxDyn};

use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};

impl Storage {
    /// [`Storage::cast`] that borrows when the dtype already matches instead of cloning.
    pub(crate) fn cast_cow(&self, dtype: DType) -> Cow<'_, Storage> {
        if self.dtype() == dtype {
            Cow::Borrowed(self)
        } else {
            Cow::Owned(self.cast(dtype))
        }
    }

    /// [`Storage::expand`] that borrows when the shape already matches (element-wise users
    /// read a borrowed array of any layout in logical order, as they read the expanded copy).
    pub(crate) fn expand_cow(&self, shape: &[usize]) -> Result<Cow<'_, Storage>> {
        if self.shape() == shape {
            Ok(Cow::Borrowed(self))
        } else {
            self.expand(shape).map(Cow::Owned)
        }
    }
}

/// `torch.cat`'s elements when every part already holds the result's dtype (one of the four
/// the storage keeps natively): rows copied in their own type. `None` sends the caller down the
/// general path (mixed or narrow dtypes).
pub(super) fn cat_same_dtype(
    ts: &[Tensor],
    shape: &[usize],
    d: usize,
    sizes: &[usize],
    dtype: DType,
) -> Option<Result<Storage>> {
    if !matches!(
        dtype,
        DType::Float32 | DType::Float64 | DType::Int64 | DType::Bool
    ) || ts.iter().any(|t| t.dtype() != dtype)
    {
        return None;
    }
    let stores: Vec<_> = ts.iter().map(Tensor::storage).collect();
    let (outer, inner) = (
        shape[..d].iter().product::<usize>(),
        shape[d + 1..].iter().product::<usize>(),
    );
    macro_rules! go {
        ($variant:ident) => {{
            let mut parts = Vec::with_capacity(stores.len());
            for s in &stores {
                let Storage::$variant(a) = &**s else {
                    return None;
                };
                parts.push(a);
            }
            Some(join(&parts, outer, inner, sizes, shape).map(Storage::$variant))
        }};
    }
    match dtype {
        DType::Float32 => go!(F32),
        DType::Float64 => go!(F64),
        DType::Int64 => go!(I64),
        _ => go!(Bool),
    }
}

fn join<T: Clone>(
    parts: &[&ArrayD<T>],
    outer: usize,
    inner: usize,
    sizes: &[usize],
    shape: &[usize],
) -> Result<ArrayD<T>> {
    let flat: Vec<Cow<'_, [T]>> = parts
        .iter()
        .map(|a| match a.as_slice() {
            Some(s) => Cow::Borrowed(s),
            None => Cow::Owned(a.iter().cloned().collect()),
        })
        .collect();
    let mut out = Vec::with_capacity(shape.iter().product());
    for o in 0..outer {
        for (p, &sz) in flat.iter().zip(sizes) {
            out.extend_from_slice(&p[o * sz * inner..(o + 1) * sz * inner]);
        }
    }
    ArrayD::from_shape_vec(IxDyn(shape), out).map_err(|e| TensorError::runtime(e.to_string()))
}

/// `torch.where`'s elements: `x` where `cond` holds, else `y`, all broadcast to `shape`, in
/// `dtype`. Operands that already have the shape (contiguous) or hold one element are read in
/// place by index; anything else is expanded first.
pub(super) fn where_pick(
    cond: &Storage,
    x: &Storage,
    y: &Storage,
    dtype: DType,
    shape: &[usize],
) -> Result<Storage> {
    let (c, x, y) = (
        cond.cast_cow(DType::Bool),
        x.cast_cow(dtype),
        y.cast_cow(dtype),
    );
    let n: usize = shape.iter().product();
    let fits = |s: &Storage| s.numel() == 1 || (s.shape() == shape && s.is_standard_layout());
    let c = if fits(&c) {
        c
    } else {
        Cow::Owned(c.expand(shape)?)
    };
    let x = if fits(&x) {
        x
    } else {
        Cow::Owned(x.expand(shape)?)
    };
    let y = if fits(&y) {
        y
    } else {
        Cow::Owned(y.expand(shape)?)
    };
    let Storage::Bool(cm) = &*c else {
        return Err(TensorError::runtime("internal dtype mismatch"));
    };
    fn pick<T: Copy>(
        c: &ArrayD<bool>,
        x: &ArrayD<T>,
        y: &ArrayD<T>,
        n: usize,
        shape: &[usize],
    ) -> Result<ArrayD<T>> {
        let err = || TensorError::runtime("internal layout mismatch");
        let (c, x, y) = (
            c.as_slice().ok_or_else(err)?,
            x.as_slice().ok_or_else(err)?,
            y.as_slice().ok_or_else(err)?,
        );
        // A one-element operand pairs with every position (stride 0).
        let (sc, sx, sy) = (
            usize::from(c.len() != 1),
            usize::from(x.len() != 1),
            usize::from(y.len() != 1),
        );
        let v: Vec<T> = (0..n)
            .map(|i| if c[i * sc] { x[i * sx] } else { y[i * sy] })
            .collect();
        ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
    }
    Ok(match (&*x, &*y) {
        (Storage::F32(x), Storage::F32(y)) => Storage::F32(pick(cm, x, y, n, shape)?),
        (Storage::F64(x), Storage::F64(y)) => Storage::F64(pick(cm, x, y, n, shape)?),
        (Storage::I64(x), Storage::I64(y)) => Storage::I64(pick(cm, x, y, n, shape)?),
        (Storage::Bool(x), Storage::Bool(y)) => Storage::Bool(pick(cm, x, y, n, shape)?),
        _ => return Err(TensorError::runtime("internal dtype mismatch")),
    })
}
