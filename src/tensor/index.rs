//! Python-style indexing: `t[idx]` reads and `t[idx] = v` writes, as PyTorch's
//! `THPVariable_getitem`/`setitem` do them: integers, slices, `None` and `...` first, as views
//! (select/slice/unsqueeze), then index tensors and masks ("advanced indexing") on that view.
//! Advanced indexing works on flat positions: which element of the view each result element
//! is, from which reads gather, writes scatter and gradients scatter-add.

use super::autograd::record;
use super::storage::{list_str, Storage};
use super::view::{flat, Layout};
use super::{DType, Result, Scalar, Tensor, TensorError};

/// One component of a subscript, as the interpreter parses it.
#[derive(Clone)]
pub enum Index {
    /// `t[3]`, `t[-1]`: removes the dim.
    Int(i64),
    /// `t[a:b:c]` with Python's defaults and clamping.
    Slice { start: Option<i64>, stop: Option<i64>, step: i64 },
    /// `t[None]`: inserts a dim of size 1.
    NewAxis,
    /// `t[...]`.
    Ellipsis,
    /// `t[mask]` (bool tensor over as many dims as it has) or `t[idx]` (int64 tensor / list).
    Tensor(Tensor),
}

/// The right-hand side of `t[idx] = value`.
#[derive(Clone)]
pub enum IndexValue {
    /// A Python number (fills: FillBackward2, MaskedFillBackward0, IndexFillBackward0).
    Scalar(Scalar),
    Tensor(Tensor),
}

/// An index tensor of advanced indexing, in int64 values.
struct IndexTensor {
    values: Vec<i64>,
    shape: Vec<usize>,
}

/// The result of the basic part of a subscript: a view of the tensor, plus the index tensors
/// (one slot per dim of that view, `None` where the dim is taken whole).
struct Basic {
    sliced: Tensor,
    advanced: Option<Vec<Option<IndexTensor>>>,
    /// How many index tensors the subscript had (before masks expand into one per dim).
    tensor_count: usize,
    mask: bool,
    /// The subscript's only index tensor when it is a mask: the dim it starts at, its shape
    /// and the flat (row-major) indices of its true elements. Its positions then come from
    /// [`mask_positions`] without per-dim coordinate lists.
    lone_mask: Option<LoneMask>,
}

/// A mask that is the only index tensor of a subscript (see [`Basic::lone_mask`]).
struct LoneMask {
    dim: usize,
    shape: Vec<usize>,
    trues: Vec<usize>,
}

impl Tensor {
    /// `t[idx]`.
    pub fn index(&self, idx: &[Index]) -> Result<Tensor> {
        // A lone slice is never skipped (PyTorch's getitem fast path), in a tuple a full one is.
        let single = idx.len() == 1;
        let b = self.apply_basic(idx, !single)?;
        let Some(adv) = b.advanced else {
            return Ok(if b.sliced.same(self) { self.alias() } else { b.sliced });
        };
        let shape = b.sliced.shape();
        let (out_shape, pos) = positions(&shape, &adv, b.lone_mask)?;
        let out = flat::take(&b.sliced.storage(), &pos, &out_shape)?;
        Ok(record(out, "IndexBackward0", &[&b.sliced], false, move |g, _| {
            Ok(vec![Some(Tensor::from_storage(flat::scatter_add(&shape, &pos, &g.storage())?))])
        }))
    }

    /// `t[idx] = value`: a copy into the view the basic part names (CopySlices on the base when
    /// that is a view), or an index_put_/index_fill_/masked_fill_ when index tensors are present.
    pub fn index_put_(&self, idx: &[Index], value: &IndexValue) -> Result<()> {
        if let IndexValue::Scalar(s) = value {
            super::dtype::check_scalar_fits(*s, self.dtype())?;
        }
        let b = self.apply_basic(idx, true)?;
        let sliced = &b.sliced;
        let Some(adv) = b.advanced else {
            return match value {
                IndexValue::Scalar(s) => sliced.fill_(*s),
                IndexValue::Tensor(v) if v.shape() == sliced.shape() => sliced.copy_(v),
                IndexValue::Tensor(v) if v.dim() == 0 => sliced.fill_tensor_(v),
                IndexValue::Tensor(v) => sliced.copy_(&strip_leading_ones(v)?),
            };
        };
        sliced.check_inplace()?;
        let shape = sliced.shape();
        let (out_shape, pos) = positions(&shape, &adv, b.lone_mask)?;
        let result = match value {
            IndexValue::Scalar(s) if b.tensor_count == 1 => {
                let name = if b.mask { "MaskedFillBackward0" } else { "IndexFillBackward0" };
                let vals = Storage::full(&[pos.len()], *s, sliced.dtype());
                let out = flat::put(&sliced.storage(), &pos, &vals)?;
                record(out, name, &[sliced], false, move |g, _| Ok(vec![Some(Tensor::from_storage(flat::zero_at(&g.storage(), &pos)))]))
            }
            _ => {
                let v = match value {
                    IndexValue::Scalar(s) => Tensor::scalar(*s, sliced.dtype()),
                    IndexValue::Tensor(v) => v.clone(),
                };
                // One mask and one value: PyTorch runs masked_fill_ underneath, which casts.
                let v = if b.mask && b.tensor_count == 1 && v.numel() == 1 { v.to_dtype(sliced.dtype())? } else { v };
                if v.dtype() != sliced.dtype() {
                    return Err(TensorError::runtime(format!(
                        "Index put requires the source and destination dtypes match, got {} for the destination and {} for the source.",
                        super::ops::dtype_name(sliced.dtype()),
                        super::ops::dtype_name(v.dtype())
                    )));
                }
                let v = strip_leading_ones(&v)?;
                let vals = v.storage().expand(&out_shape).map_err(|_| {
                    TensorError::runtime(format!(
                        "shape mismatch: value tensor of shape {} cannot be broadcast to indexing result of shape {}",
                        list_str(&v.shape()),
                        list_str(&out_shape)
                    ))
                })?;
                let out = flat::put(&sliced.storage(), &pos, &vals)?;
                let p2 = pos;
                record(out, "IndexPutBackward0", &[sliced, &v], false, move |g, n| {
                    let gs = g.storage();
                    let g_self = if n[0] { Some(Tensor::from_storage(flat::zero_at(&gs, &p2))) } else { None };
                    let g_val = if n[1] { Some(Tensor::from_storage(flat::take(&gs, &p2, &out_shape)?)) } else { None };
                    Ok(vec![g_self, g_val])
                })
            }
        };
        sliced.assign_inplace(result)
    }

    /// Reduces a broadcast gradient to `shape` (public form of the engine's `sum_to`).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        self.sum_to(shape)
    }

    /// Applies integers, slices, `None` and `...` as views and collects the index tensors.
    /// `skip_full_slices` drops `:` slices that take a whole dim, as PyTorch's applySlicing does.
    fn apply_basic(&self, idx: &[Index], skip_full_slices: bool) -> Result<Basic> {
        let nd = self.dim();
        let mut consuming = 0;
        for i in idx {
            consuming += match i {
                Index::Int(_) | Index::Slice { .. } => 1,
                // uint8 index tensors are masks too (PyTorch's deprecated byte masks).
                Index::Tensor(t) if matches!(t.dtype(), DType::Bool | DType::UInt8) => t.dim(),
                Index::Tensor(_) => 1,
                Index::NewAxis | Index::Ellipsis => 0,
            };
        }
        if consuming > nd {
            if nd == 0 {
                return Err(zero_dim_index());
            }
            return Err(TensorError::Index { msg: format!("too many indices for tensor of dimension {nd}") });
        }
        if idx.iter().filter(|i| matches!(i, Index::Ellipsis)).count() > 1 {
            return Err(TensorError::Index { msg: "an index can only have a single ellipsis ('...')".into() });
        }
        let mut t = self.clone();
        let mut dim = 0usize;
        let mut adv: Vec<Option<IndexTensor>> = Vec::new();
        let (mut tensor_count, mut mask) = (0, false);
        // Masks as the flat indices of their true elements, unravelled into per-dim lists only
        // when the subscript has other index tensors too.
        let mut masks: Vec<LoneMask> = Vec::new();
        // PyTorch's bounds errors name the index's position in the subscript (`x[..., 9]`:
        // "dimension 1"), not the dim of the view the earlier integer indices left.
        let at_real = |e: TensorError, real: usize| match e {
            TensorError::IndexOutOfRange { index, size, .. } => TensorError::IndexOutOfRange { index, dim: real, size },
            e => e,
        };
        for (here, i) in idx.iter().enumerate() {
            match i {
                Index::Int(k) => t = t.select(dim as isize, *k).map_err(|e| at_real(e, here))?,
                Index::Slice { start, stop, step } => {
                    let n = t.shape()[dim] as i64;
                    let norm = |v: i64| if v < 0 { (v + n).max(0) } else { v.min(n) };
                    let full = *step == 1 && start.map_or(0, norm) == 0 && stop.map_or(n, norm) == n;
                    if !(skip_full_slices && full) {
                        t = t.slice(dim as isize, *start, *stop, *step)?;
                    }
                    dim += 1;
                }
                Index::NewAxis => {
                    t = t.unsqueeze(dim as isize)?;
                    dim += 1;
                }
                Index::Ellipsis => dim += nd - consuming,
                Index::Tensor(ix) => match ix.dtype() {
                    DType::Int64 | DType::Int32 if ix.dim() == 0 => {
                        // A 0-d integer tensor indexes like a Python int.
                        t = t.select(dim as isize, ix.item()?.as_i64()).map_err(|e| at_real(e, here))?;
                    }
                    DType::Int64 | DType::Int32 => {
                        tensor_count += 1;
                        let values = ix.to_scalars().iter().map(|s| s.as_i64()).collect();
                        set_slot(&mut adv, dim, IndexTensor { values, shape: ix.shape() });
                        dim += 1;
                    }
                    DType::Bool | DType::UInt8 if ix.dim() == 0 => {
                        return Err(TensorError::unsupported("indexing with a 0-d bool tensor"));
                    }
                    DType::Bool | DType::UInt8 => {
                        tensor_count += 1;
                        mask = true;
                        let (mshape, tshape) = (ix.shape(), t.shape());
                        for (j, &m) in mshape.iter().enumerate() {
                            if tshape.get(dim + j) != Some(&m) {
                                return Err(TensorError::Index {
                                    msg: format!(
                                        "The shape of the mask {} at index {j} does not match the shape of the indexed tensor {} at index {}",
                                        list_str(&mshape),
                                        list_str(&tshape),
                                        dim + j
                                    ),
                                });
                            }
                        }
                        let ndims = mshape.len();
                        masks.push(LoneMask { dim, shape: mshape, trues: nonzero(ix) });
                        dim += ndims;
                    }
                    _ => {
                        return Err(TensorError::Index {
                            msg: "tensors used as indices must be long, int, byte or bool tensors".into(),
                        })
                    }
                },
            }
        }
        let lone_mask = if tensor_count == 1 && masks.len() == 1 { masks.pop() } else { None };
        for m in masks {
            for (j, values) in unravel(&m.trues, &m.shape).into_iter().enumerate() {
                let n = values.len();
                set_slot(&mut adv, m.dim + j, IndexTensor { values, shape: vec![n] });
            }
        }
        let advanced = if tensor_count > 0 {
            adv.resize_with(t.dim(), || None);
            Some(adv)
        } else {
            None
        };
        Ok(Basic { sliced: t, advanced, tensor_count, mask, lone_mask })
    }
}

fn set_slot(adv: &mut Vec<Option<IndexTensor>>, dim: usize, it: IndexTensor) {
    if adv.len() <= dim {
        adv.resize_with(dim + 1, || None);
    }
    adv[dim] = Some(it);
}

/// The flat (row-major) indices of the true elements of a mask. Masks are often whole
/// activations (`X[~mask] = -1e6` over every attention score): one pass, no `Scalar`s.
fn nonzero(mask: &Tensor) -> Vec<usize> {
    fn go<T>(a: &ndarray::ArrayD<T>, truth: impl Fn(&T) -> bool) -> Vec<usize> {
        fn trues<'a, T: 'a>(x: impl Iterator<Item = &'a T> + Clone, truth: impl Fn(&T) -> bool) -> Vec<usize> {
            // Counted first, so the list is allocated once at its size instead of growing by
            // copies into fresh pages.
            let mut out = Vec::with_capacity(x.clone().filter(|x| truth(x)).count());
            out.extend(x.enumerate().filter(|(_, x)| truth(x)).map(|(i, _)| i));
            out
        }
        match a.as_slice() {
            Some(f) => trues(f.iter(), truth),
            None => trues(a.iter(), truth),
        }
    }
    let storage = mask.storage();
    match &*storage {
        Storage::Bool(a) => go(a, |&x| x),
        Storage::I64(a) => go(a, |&x| x != 0),
        Storage::F32(a) => go(a, |&x| x != 0.0),
        Storage::F64(a) => go(a, |&x| x != 0.0),
    }
}

/// Flat indices into a row-major `shape` as one coordinate list per dim (`nonzero`'s columns).
fn unravel(flat: &[usize], shape: &[usize]) -> Vec<Vec<i64>> {
    let strides = super::view::contiguous_strides(shape);
    strides
        .iter()
        .zip(shape)
        .map(|(&st, &n)| flat.iter().map(|&f| ((f / st.max(1)) % n.max(1)) as i64).collect())
        .collect()
}

/// The result shape and positions of a subscript's index tensors: [`mask_positions`] for a
/// lone mask, [`advanced_positions`] otherwise.
fn positions(shape: &[usize], adv: &[Option<IndexTensor>], lone: Option<LoneMask>) -> Result<(Vec<usize>, Vec<usize>)> {
    match lone {
        Some(m) => mask_positions(shape, m),
        None => advanced_positions(shape, adv),
    }
}

/// [`advanced_positions`] for one mask over dims `dim .. dim + mask.shape.len()`: its dims
/// are adjacent, so the result is the dims before it, then its true elements, then the dims
/// after it, and element `(o, t, a)` sits at `(o * mask_numel + trues[t]) * inner + a`.
fn mask_positions(shape: &[usize], m: LoneMask) -> Result<(Vec<usize>, Vec<usize>)> {
    let end = m.dim + m.shape.len();
    let outer: usize = shape[..m.dim].iter().product();
    let span: usize = m.shape.iter().product();
    let inner: usize = shape[end..].iter().product();
    let mut out_shape = shape[..m.dim].to_vec();
    out_shape.push(m.trues.len());
    out_shape.extend(&shape[end..]);
    super::check_size(&out_shape)?;
    if outer == 1 && inner == 1 {
        // The mask covers the whole tensor: its true elements are the positions.
        return Ok((out_shape, m.trues));
    }
    let mut pos = Vec::with_capacity(outer * m.trues.len() * inner);
    for o in 0..outer {
        for &t in &m.trues {
            let at = (o * span + t) * inner;
            pos.extend(at..at + inner);
        }
    }
    Ok((out_shape, pos))
}

/// `v` without leading size-1 dims (PyTorch's slicePrefix1sSize), as a view.
fn strip_leading_ones(v: &Tensor) -> Result<Tensor> {
    let shape = v.shape();
    let lead = shape.iter().take_while(|&&d| d == 1).count();
    if lead == 0 { Ok(v.clone()) } else { v.reshape_usize(&shape[lead..]) }
}

/// The shape of an advanced-indexing result over a tensor of `shape` and the row-major
/// position in that tensor of each result element. Index tensors broadcast together; when
/// they sit on adjacent dims their result dims take those dims' place, otherwise they lead.
fn advanced_positions(shape: &[usize], adv: &[Option<IndexTensor>]) -> Result<(Vec<usize>, Vec<usize>)> {
    let strides = super::view::contiguous_strides(shape);
    let dims: Vec<usize> = (0..adv.len()).filter(|&d| adv[d].is_some()).collect();
    let index_shapes: Vec<&[usize]> = dims.iter().filter_map(|&d| adv[d].as_ref().map(|t| &t.shape[..])).collect();
    let bshape = broadcast_index_shapes(&index_shapes)?;
    let bnumel: usize = bshape.iter().product();
    // Offset of each broadcast index combination.
    let mut adv_off = vec![0usize; bnumel];
    for &d in &dims {
        let Some(it) = &adv[d] else { continue };
        let size = shape[d];
        let lead = bshape.len() - it.shape.len();
        let mut bstrides = vec![0; bshape.len()];
        let own = super::view::contiguous_strides(&it.shape);
        for (k, &n) in it.shape.iter().enumerate() {
            bstrides[lead + k] = if n == 1 { 0 } else { own[k] };
        }
        let picks = Layout { shape: bshape.clone(), strides: bstrides, offset: 0 }.positions();
        for (slot, p) in adv_off.iter_mut().zip(picks) {
            let i = it.values[p];
            let j = if i < 0 { i + size as i64 } else { i };
            if j < 0 || j >= size as i64 {
                return Err(TensorError::IndexOutOfRange { index: i, dim: d, size });
            }
            *slot += j as usize * strides[d];
        }
    }
    let offsets = |ds: &[usize]| {
        Layout { shape: ds.iter().map(|&d| shape[d]).collect(), strides: ds.iter().map(|&d| strides[d]).collect(), offset: 0 }
            .positions()
    };
    let (first, last) = (dims[0], dims[dims.len() - 1]);
    let adjacent = last - first + 1 == dims.len();
    let rest: Vec<usize> = (0..shape.len()).filter(|d| !dims.contains(d)).collect();
    let (before, after): (Vec<usize>, Vec<usize>) =
        if adjacent { rest.iter().partition(|&&d| d < first) } else { (Vec::new(), rest.clone()) };
    let (off_before, off_after) = (offsets(&before), offsets(&after));
    let mut out_shape: Vec<usize> = before.iter().map(|&d| shape[d]).collect();
    out_shape.extend(&bshape);
    out_shape.extend(after.iter().map(|&d| shape[d]));
    super::check_size(&out_shape)?;
    let mut pos = Vec::with_capacity(out_shape.iter().product());
    for &ob in &off_before {
        for &oa in &adv_off {
            pos.extend(off_after.iter().map(|&o| ob + oa + o));
        }
    }
    Ok((out_shape, pos))
}

/// The common shape of the index tensors, or PyTorch's IndexError.
fn broadcast_index_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let n = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; n];
    for s in shapes {
        for (k, &d) in s.iter().enumerate() {
            let slot = &mut out[n - s.len() + k];
            if *slot == 1 {
                *slot = d;
            } else if d != 1 && d != *slot {
                let parts: Vec<String> = shapes.iter().map(|s| list_str(s)).collect();
                return Err(TensorError::Index {
                    msg: format!("shape mismatch: indexing tensors could not be broadcast together with shapes {}", parts.join(", ")),
                });
            }
        }
    }
    Ok(out)
}

pub(crate) fn zero_dim_index() -> TensorError {
    TensorError::Index {
        msg: "invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ to convert a 0-dim tensor to a number".into(),
    }
}
