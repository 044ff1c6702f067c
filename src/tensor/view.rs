//! Views: tensors that share their elements with a base, as PyTorch's strided views do.
//!
//! A root tensor owns a [`Shared`] buffer: an immutable row-major [`Storage`] snapshot (swapped
//! on mutation, or mutated in place when nobody else holds it) plus a version counter bumped on
//! every write. A view records that buffer and a [`Layout`] (shape, strides, offset) saying which
//! element of the buffer each of its elements is. Reading a view gathers its elements again
//! when the version moved since the last read (so reads of a view see earlier and later writes
//! to the base); writing a view scatters into the buffer, which every other view then sees.
//!
//! For autograd a view also remembers its differentiable base and its layout relative to that
//! base, so an in-place update of the view can rewrite the base's history (PyTorch's
//! CopySlices) and a view whose base changed under it can rebuild its own `grad_fn`
//! (AsStridedBackward0).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use ndarray::{ArrayD, ArrayView, ArrayViewMut, IxDyn, ShapeBuilder};

mod snapshot;
pub use snapshot::TensorCopier;

use super::autograd::make_node;
use super::storage::Storage;
use super::{is_grad_enabled, Result, Scalar, Tensor, TensorError};

/// The buffer a root tensor and all its aliases and views share.
pub(crate) struct Shared {
    pub(crate) data: RefCell<Rc<Storage>>,
    /// Bumped by every write, through the root or any view (PyTorch's version counter).
    pub(crate) version: Cell<u64>,
    /// The logical dtype when it is narrower than the array's (int32 in an i64 array, ...);
    /// every write keeps the values representable in it.
    pub(crate) narrow: Cell<Option<super::DType>>,
}

impl Shared {
    pub(crate) fn new(s: Rc<Storage>) -> Rc<Shared> {
        Rc::new(Shared { data: RefCell::new(s), version: Cell::new(0), narrow: Cell::new(None) })
    }

    /// A buffer holding `s` as `dtype` (`s` already narrowed when `dtype` is narrow).
    pub(crate) fn new_as(s: Rc<Storage>, dtype: super::DType) -> Rc<Shared> {
        let shared = Shared::new(s);
        shared.set_dtype(dtype);
        shared
    }

    pub(crate) fn dtype(&self) -> super::DType {
        self.narrow.get().unwrap_or_else(|| self.data.borrow().dtype())
    }

    /// Records `dtype` as the logical dtype if the array is its wide form, else clears it.
    pub(crate) fn set_dtype(&self, dtype: super::DType) {
        let fits = dtype.is_narrow() && dtype.wide() == self.data.borrow().dtype();
        self.narrow.set(fits.then_some(dtype));
    }

    fn bump(&self) -> u64 {
        let v = self.version.get() + 1;
        self.version.set(v);
        v
    }
}

/// Which elements of a row-major buffer a tensor's elements are: element `i` (a multi-index)
/// lives at `offset + sum(i[d] * strides[d])`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub offset: usize,
}

/// Row-major strides of `shape`.
pub(crate) fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

impl Layout {
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    pub(crate) fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// PyTorch's `is_contiguous`: strides of size-1 dims do not matter.
    pub(crate) fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1;
        for d in (0..self.shape.len()).rev() {
            if self.shape[d] != 1 {
                if self.strides[d] != expected {
                    return false;
                }
                expected *= self.shape[d];
            }
        }
        true
    }

    /// Whether two elements share one buffer slot (an expanded dim); writes are then refused.
    pub(crate) fn has_overlap(&self) -> bool {
        self.shape.iter().zip(&self.strides).any(|(&n, &s)| n > 1 && s == 0)
    }

    pub(crate) fn select(&self, d: usize, i: usize) -> Layout {
        let mut l = self.clone();
        l.offset += i * l.strides[d];
        l.shape.remove(d);
        l.strides.remove(d);
        l
    }

    pub fn slice(&self, d: usize, start: usize, len: usize, step: usize) -> Layout {
        let mut l = self.clone();
        if len > 0 {
            l.offset += start * l.strides[d];
        }
        l.shape[d] = len;
        l.strides[d] *= step;
        l
    }

    pub fn unsqueeze(&self, d: usize) -> Layout {
        let mut l = self.clone();
        let stride = if d < l.shape.len() { l.strides[d] * l.shape[d] } else { 1 };
        l.shape.insert(d, 1);
        l.strides.insert(d, stride);
        l
    }

    /// Removes the listed size-1 dims (ascending).
    pub(crate) fn squeeze(&self, dims: &[usize]) -> Layout {
        let mut l = self.clone();
        for &d in dims.iter().rev() {
            l.shape.remove(d);
            l.strides.remove(d);
        }
        l
    }

    pub fn permute(&self, axes: &[usize]) -> Layout {
        Layout {
            shape: axes.iter().map(|&a| self.shape[a]).collect(),
            strides: axes.iter().map(|&a| self.strides[a]).collect(),
            offset: self.offset,
        }
    }

    /// Broadcast to `shape`: new leading dims and expanded size-1 dims get stride 0.
    pub fn expand(&self, shape: &[usize]) -> Option<Layout> {
        let lead = shape.len().checked_sub(self.shape.len())?;
        let mut strides = vec![0; shape.len()];
        for (i, &n) in shape.iter().enumerate().skip(lead) {
            let (own, s) = (self.shape[i - lead], self.strides[i - lead]);
            strides[i] = if own == n {
                s
            } else if own == 1 {
                0
            } else {
                return None;
            };
        }
        Some(Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    /// `diagonal(offset, d1, d2)`: the two dims are replaced by one last dim.
    pub(crate) fn diagonal(&self, off: i64, d1: usize, d2: usize) -> Layout {
        let (n1, n2) = (self.shape[d1] as i64, self.shape[d2] as i64);
        let len = if off >= 0 { n1.min(n2 - off) } else { (n1 + off).min(n2) }.max(0) as usize;
        let mut l = self.clone();
        if len > 0 {
            l.offset += if off >= 0 { off as usize * self.strides[d2] } else { (-off) as usize * self.strides[d1] };
        }
        let stride = self.strides[d1] + self.strides[d2];
        let (hi, lo) = (d1.max(d2), d1.min(d2));
        for d in [hi, lo] {
            l.shape.remove(d);
            l.strides.remove(d);
        }
        l.shape.push(len);
        l.strides.push(stride);
        l
    }

    /// The layout of `view(shape)` when the elements can be re-read with new strides, or `None`
    /// (PyTorch then refuses `view` and `reshape` copies). Dims are grouped into runs that are
    /// contiguous among themselves; every new dim must fall inside one run.
    pub(crate) fn view(&self, shape: &[usize]) -> Option<Layout> {
        if self.is_contiguous() {
            return Some(Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: self.offset });
        }
        let (old, olds) = (&self.shape, &self.strides);
        let mut strides = vec![0; shape.len()];
        let mut view_d = shape.len() as isize - 1;
        let mut base_stride = *olds.last()?;
        let (mut tensor_numel, mut view_numel) = (1usize, 1usize);
        for td in (0..old.len()).rev() {
            tensor_numel *= old[td];
            let run_ends = td == 0 || (old[td - 1] != 1 && olds[td - 1] != tensor_numel * base_stride);
            if run_ends {
                while view_d >= 0 && (view_numel < tensor_numel || shape[view_d as usize] == 1) {
                    strides[view_d as usize] = view_numel * base_stride;
                    view_numel *= shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return None;
                }
                if td > 0 {
                    base_stride = olds[td - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        (view_d == -1).then(|| Layout { shape: shape.to_vec(), strides, offset: self.offset })
    }

    /// Buffer positions of the elements, in row-major order of this layout.
    pub fn positions(&self) -> Vec<usize> {
        let n = self.numel();
        let mut out = Vec::with_capacity(n);
        if n == 0 {
            return out;
        }
        let nd = self.shape.len();
        if nd == 0 {
            out.push(self.offset);
            return out;
        }
        let (last_n, last_s) = (self.shape[nd - 1], self.strides[nd - 1]);
        let mut idx = vec![0usize; nd - 1];
        let mut base = self.offset;
        loop {
            out.extend((0..last_n).map(|k| base + k * last_s));
            // Odometer over the outer dims.
            let mut d = nd - 1;
            loop {
                if d == 0 {
                    return out;
                }
                d -= 1;
                idx[d] += 1;
                base += self.strides[d];
                if idx[d] < self.shape[d] {
                    break;
                }
                base -= self.strides[d] * idx[d];
                idx[d] = 0;
            }
        }
    }
}

/// How a view was made, for PyTorch's rules on in-place updates of views.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Creation {
    Normal,
    /// Made with grad mode off from a base that requires grad.
    NoGrad,
    /// Output `index` of a function returning several views (`split`, `chunk`, `unbind`).
    MultiOutput { index: usize, op: &'static str },
    /// A `view` whose strides relative to its differentiable base cannot be expressed (only
    /// possible under a `detach()`ed non-contiguous view): autograd cannot rebase it.
    Unrebasable,
}

/// What a view tensor holds instead of its own buffer.
pub(crate) struct View {
    pub(crate) root: Rc<Shared>,
    pub(crate) layout: Layout,
    /// The gathered elements and the root version they were gathered at.
    cache: RefCell<Option<(u64, Rc<Storage>)>>,
    /// The differentiable base and this view's layout relative to the base's own elements;
    /// `None` for `detach()`/`.data` aliases of a view.
    pub(crate) base: Option<(Tensor, Layout)>,
    /// The root version at which `grad_fn` was last set (PyTorch's attr_version).
    grad_version: Cell<u64>,
    pub(crate) creation: Creation,
}

/// A tensor reading a fresh buffer through `layout`, with no base (`torch.empty_strided`: not
/// a view in PyTorch's sense, yet its strides are the given ones).
pub(crate) fn strided_buffer(buffer: Storage, layout: Layout, dtype: super::DType) -> Tensor {
    let root = Shared::new_as(Rc::new(buffer), dtype);
    let version = root.version.get();
    let view = View { root, layout, cache: RefCell::new(None), base: None, grad_version: Cell::new(version), creation: Creation::Normal };
    Tensor::from_backing(super::tensor::Backing::View(view), false)
}

impl View {
    /// The current elements, gathered again if the root was written since the last read.
    pub(crate) fn current(&self) -> Rc<Storage> {
        let version = self.root.version.get();
        if let Some((v, s)) = &*self.cache.borrow()
            && *v == version
        {
            return s.clone();
        }
        let s = Rc::new(gather(&self.root.data.borrow(), &self.layout));
        // A view's gathered copy is memory the lesson holds, as much as its base's buffer.
        super::memory::track(&s);
        *self.cache.borrow_mut() = Some((version, s.clone()));
        s
    }

    pub(crate) fn dtype(&self) -> super::DType {
        self.root.dtype()
    }

    /// Writes `s` (this view's shape, the root's dtype) into the root's buffer.
    fn write(&self, s: Rc<Storage>) -> Result<()> {
        if self.layout.has_overlap() {
            return Err(TensorError::InPlaceOverlap);
        }
        {
            let mut data = self.root.data.borrow_mut();
            let before = Rc::as_ptr(&data);
            scatter(Rc::make_mut(&mut data), &self.layout, &s)?;
            if Rc::as_ptr(&data) != before {
                // The buffer was shared (a saved value, a snapshot) and has just been copied.
                super::memory::track(&data);
            }
        }
        let v = self.root.bump();
        // A write through this view keeps its own grad_fn current (set by the caller).
        self.grad_version.set(v);
        *self.cache.borrow_mut() = Some((v, s));
        Ok(())
    }
}

/// A standard-layout copy of the elements `layout` picks from `root`.
pub(crate) fn gather(root: &Storage, layout: &Layout) -> Storage {
    fn go<T: Copy>(a: &ArrayD<T>, l: &Layout) -> ArrayD<T> {
        let n = l.numel();
        let shape = IxDyn(&l.shape);
        let flat = match a.as_slice() {
            Some(f) => std::borrow::Cow::Borrowed(f),
            None => std::borrow::Cow::Owned(a.iter().copied().collect::<Vec<T>>()),
        };
        let Some(&first) = flat.first() else { return ArrayD::from_shape_vec(shape, Vec::new()).unwrap_or_else(|_| empty()) };
        if n == 0 {
            return ArrayD::from_elem(shape, first);
        }
        // A root's buffer never changes shape (every write keeps it), so layouts stay in range;
        // the lookups below still avoid indexing panics should that invariant ever break.
        if l.is_contiguous()
            && let Some(part) = flat.get(l.offset..l.offset + n)
        {
            return ArrayD::from_shape_vec(shape, part.to_vec()).unwrap_or_else(|_| empty());
        }
        // A transposed matrix: the blocked transpose is several times faster than striding.
        if let ([r, c], [1, s]) = (&l.shape[..], &l.strides[..])
            && *s == *r
            && let Some(src) = flat.get(l.offset..l.offset + r * c)
        {
            let v = super::storage::transpose(src, *c, *r);
            return ArrayD::from_shape_vec(shape, v).unwrap_or_else(|_| empty());
        }
        let strided = IxDyn(&l.shape).strides(IxDyn(&l.strides));
        match ArrayView::from_shape(strided, flat.get(l.offset..).unwrap_or(&[])) {
            // Row by row over merged dims (gather.rs), not ndarray's per-element odometer.
            Ok(v) => ArrayD::from_shape_vec(shape, super::gather::row_major(&v)).unwrap_or_else(|_| empty()),
            Err(_) => {
                let v: Vec<T> = l.positions().into_iter().map(|p| flat.get(p).copied().unwrap_or(first)).collect();
                ArrayD::from_shape_vec(shape, v).unwrap_or_else(|_| empty())
            }
        }
    }
    fn empty<T>() -> ArrayD<T> {
        ArrayD::from_shape_vec(IxDyn(&[0]), Vec::new()).expect("an empty array always fits shape [0]")
    }
    match root {
        Storage::F32(a) => Storage::F32(go(a, layout)),
        Storage::F64(a) => Storage::F64(go(a, layout)),
        Storage::I64(a) => Storage::I64(go(a, layout)),
        Storage::Bool(a) => Storage::Bool(go(a, layout)),
    }
}

/// Writes `vals` (row-major, `layout`'s shape) into the positions `layout` names in `root`.
fn scatter(root: &mut Storage, layout: &Layout, vals: &Storage) -> Result<()> {
    fn go<T: Copy>(a: &mut ArrayD<T>, l: &Layout, v: &ArrayD<T>) -> Result<()> {
        if a.as_slice().is_none() {
            *a = a.as_standard_layout().into_owned();
        }
        let flat = a.as_slice_mut().ok_or_else(|| TensorError::runtime("internal: root buffer not contiguous"))?;
        if l.numel() == 0 {
            return Ok(());
        }
        let n = l.numel();
        if l.is_contiguous()
            && let Some(part) = flat.get_mut(l.offset..l.offset + n)
        {
            for (slot, x) in part.iter_mut().zip(v.iter()) {
                *slot = *x;
            }
            return Ok(());
        }
        let positions = l.positions();
        if positions.iter().any(|&p| p >= flat.len()) {
            return Err(TensorError::runtime("internal: a view reaches past its base's buffer"));
        }
        let strided = IxDyn(&l.shape).strides(IxDyn(&l.strides));
        match ArrayViewMut::from_shape(strided, &mut flat[l.offset..]) {
            Ok(mut view) => view.zip_mut_with(v, |slot, x| *slot = *x),
            Err(_) => {
                for (p, x) in positions.into_iter().zip(v.iter()) {
                    flat[p] = *x;
                }
            }
        }
        Ok(())
    }
    match (root, vals) {
        (Storage::F32(a), Storage::F32(v)) => go(a, layout, v),
        (Storage::F64(a), Storage::F64(v)) => go(a, layout, v),
        (Storage::I64(a), Storage::I64(v)) => go(a, layout, v),
        (Storage::Bool(a), Storage::Bool(v)) => go(a, layout, v),
        _ => Err(TensorError::runtime("internal: view write with a dtype other than its base's")),
    }
}

/// Flat gradient helpers over a tensor's row-major elements, run without autograd.
pub(crate) mod flat {
    use super::*;

    /// `g` with the elements at `pos` set to zero.
    pub(crate) fn zero_at(g: &Storage, pos: &[usize]) -> Storage {
        fn go<T: Copy + Default>(a: &ArrayD<T>, pos: &[usize]) -> ArrayD<T> {
            let mut out = a.as_standard_layout().into_owned();
            if let Some(f) = out.as_slice_mut() {
                for &p in pos {
                    if let Some(x) = f.get_mut(p) {
                        *x = T::default();
                    }
                }
            }
            out
        }
        match g {
            Storage::F32(a) => Storage::F32(go(a, pos)),
            Storage::F64(a) => Storage::F64(go(a, pos)),
            Storage::I64(a) => Storage::I64(go(a, pos)),
            Storage::Bool(a) => Storage::Bool(go(a, pos)),
        }
    }

    /// The elements of `g` at `pos`, shaped `shape`.
    pub(crate) fn take(g: &Storage, pos: &[usize], shape: &[usize]) -> Result<Storage> {
        fn go<T: Copy>(a: &ArrayD<T>, pos: &[usize], shape: &[usize]) -> Result<ArrayD<T>> {
            let std = a.as_standard_layout();
            let f = std.as_slice().ok_or_else(|| TensorError::runtime("internal: not contiguous"))?;
            let v: Vec<T> = pos.iter().map(|&p| f[p]).collect();
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
        }
        Ok(match g {
            Storage::F32(a) => Storage::F32(go(a, pos, shape)?),
            Storage::F64(a) => Storage::F64(go(a, pos, shape)?),
            Storage::I64(a) => Storage::I64(go(a, pos, shape)?),
            Storage::Bool(a) => Storage::Bool(go(a, pos, shape)?),
        })
    }

    /// `g` (of shape `shape`, padded with leading 1s to `reps`' length) tiled `reps[d]` times
    /// along each dim d, row-major: `repeat`. Built innermost dim first, each block copied by
    /// doubling what is already written, so a small source repeated millions of times costs
    /// a few large copies instead of one index per element.
    pub(crate) fn tile(g: &Storage, shape: &[usize], reps: &[usize]) -> Result<Storage> {
        fn go<T: Copy>(a: &ArrayD<T>, shape: &[usize], reps: &[usize]) -> Result<ArrayD<T>> {
            let std = a.as_standard_layout();
            let src = std.as_slice().ok_or_else(|| TensorError::runtime("internal: not contiguous"))?;
            let mut cur: Vec<T> = src.to_vec();
            for d in (0..shape.len()).rev() {
                let r = reps[d];
                if r == 1 {
                    continue;
                }
                let outer: usize = shape[..d].iter().product();
                let chunk = cur.len().checked_div(outer).unwrap_or(0);
                let mut next = Vec::with_capacity(cur.len() * r);
                for o in 0..outer {
                    let start = next.len();
                    next.extend_from_slice(&cur[o * chunk..(o + 1) * chunk]);
                    let mut have = 1;
                    while have < r {
                        let n = have.min(r - have);
                        next.extend_from_within(start..start + n * chunk);
                        have += n;
                    }
                    if r == 0 {
                        next.truncate(start);
                    }
                }
                cur = next;
            }
            let out_shape: Vec<usize> = shape.iter().zip(reps).map(|(&s, &r)| s * r).collect();
            ArrayD::from_shape_vec(IxDyn(&out_shape), cur).map_err(|e| TensorError::runtime(e.to_string()))
        }
        Ok(match g {
            Storage::F32(a) => Storage::F32(go(a, shape, reps)?),
            Storage::F64(a) => Storage::F64(go(a, shape, reps)?),
            Storage::I64(a) => Storage::I64(go(a, shape, reps)?),
            Storage::Bool(a) => Storage::Bool(go(a, shape, reps)?),
        })
    }

    /// `base` (row-major) copied, then `combine(slot, vals[i])` applied at `pos[i]` in order.
    fn write_at<T: Copy>(b: &ArrayD<T>, pos: &[usize], v: &ArrayD<T>, combine: impl Fn(&mut T, T)) -> ArrayD<T> {
        let mut out = b.as_standard_layout().into_owned();
        if let Some(f) = out.as_slice_mut() {
            fn write<'v, T: Copy + 'v>(f: &mut [T], pos: &[usize], values: impl Iterator<Item = &'v T>, combine: &impl Fn(&mut T, T)) {
                for (&p, &x) in pos.iter().zip(values) {
                    if let Some(slot) = f.get_mut(p) {
                        combine(slot, x);
                    }
                }
            }
            // A contiguous `v` (a fill's values, say) as a slice: ndarray's iterator over a
            // dynamic-rank array steps its index per element.
            match v.as_slice() {
                Some(vs) => write(f, pos, vs.iter(), &combine),
                None => write(f, pos, v.iter(), &combine),
            }
        }
        out
    }

    /// `base` (row-major) with `vals[i]` written at `pos[i]`, in order (the last write wins).
    pub(crate) fn put(base: &Storage, pos: &[usize], vals: &Storage) -> Result<Storage> {
        fn set<T>(slot: &mut T, x: T) {
            *slot = x;
        }
        Ok(match (base, &vals.cast(base.dtype())) {
            (Storage::F32(b), Storage::F32(v)) => Storage::F32(write_at(b, pos, v, set)),
            (Storage::F64(b), Storage::F64(v)) => Storage::F64(write_at(b, pos, v, set)),
            (Storage::I64(b), Storage::I64(v)) => Storage::I64(write_at(b, pos, v, set)),
            (Storage::Bool(b), Storage::Bool(v)) => Storage::Bool(write_at(b, pos, v, set)),
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        })
    }

    /// `base` (row-major) with `vals[i]` added at `pos[i]`, one element after another as
    /// PyTorch's loop does (scatter_add).
    pub(crate) fn add_at(base: &Storage, pos: &[usize], vals: &Storage) -> Result<Storage> {
        fn add<T: Copy + std::ops::Add<Output = T>>(slot: &mut T, x: T) {
            *slot = *slot + x;
        }
        Ok(match (base, &vals.cast(base.dtype())) {
            (Storage::F32(b), Storage::F32(v)) => Storage::F32(write_at(b, pos, v, add)),
            (Storage::F64(b), Storage::F64(v)) => Storage::F64(write_at(b, pos, v, add)),
            (Storage::I64(b), Storage::I64(v)) => Storage::I64(write_at(b, pos, v, add)),
            _ => return Err(TensorError::unsupported("scatter_add on bool tensors")),
        })
    }

    /// Zeros of `shape` with `vals[i]` added at `pos[i]` in order, in the values' own dtype
    /// (index_put_ with accumulate=True, the backward of gathers).
    pub(crate) fn scatter_add(shape: &[usize], pos: &[usize], vals: &Storage) -> Result<Storage> {
        fn go<T: Copy + Default + std::ops::Add<Output = T>>(shape: &[usize], pos: &[usize], v: &ArrayD<T>) -> Result<ArrayD<T>> {
            let n: usize = shape.iter().product();
            let mut out = vec![T::default(); n];
            for (&p, &x) in pos.iter().zip(v.iter()) {
                if let Some(slot) = out.get_mut(p) {
                    *slot = *slot + x;
                }
            }
            ArrayD::from_shape_vec(IxDyn(shape), out).map_err(|e| TensorError::runtime(e.to_string()))
        }
        Ok(match vals {
            Storage::F32(a) => Storage::F32(go(shape, pos, a)?),
            Storage::F64(a) => Storage::F64(go(shape, pos, a)?),
            Storage::I64(a) => Storage::I64(go(shape, pos, a)?),
            Storage::Bool(_) => return Err(TensorError::runtime("internal: gradient of bool dtype")),
        })
    }
}

/// The backward of a view read through an arbitrary layout: scatter-add into the base's shape.
pub(crate) fn as_strided_backward(base_shape: Vec<usize>, pos: Rc<Vec<usize>>) -> impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> {
    move |g, _| Ok(vec![Some(Tensor::from_storage(flat::scatter_add(&base_shape, &pos, &g.storage())?))])
}

impl Tensor {
    /// The view part of this tensor, if it is a view.
    pub(crate) fn view_info(&self) -> Option<&View> {
        match &self.0.data {
            super::tensor::Backing::View(v) => Some(v),
            super::tensor::Backing::Own(_) => None,
        }
    }

    /// Whether this tensor shares its elements with a base (PyTorch's `_is_view()`).
    pub fn is_view(&self) -> bool {
        self.view_info().is_some_and(|v| v.base.is_some())
    }

    /// The differentiable base of a view (PyTorch's `._base`).
    pub fn view_base(&self) -> Option<Tensor> {
        self.view_info().and_then(|v| v.base.as_ref().map(|(b, _)| b.clone()))
    }

    /// This tensor's layout in its buffer (contiguous for a tensor with its own buffer).
    pub(crate) fn layout(&self) -> Layout {
        match self.view_info() {
            Some(v) => v.layout.clone(),
            None => Layout::contiguous(&self.shape()),
        }
    }

    /// The buffer this tensor's elements sit in (its own, or its view's root's current one)
    /// and where in it: for kernels that read a view in place instead of gathering it.
    pub(crate) fn buffer(&self) -> (Rc<Storage>, Layout) {
        match &self.0.data {
            super::tensor::Backing::Own(c) => (c.data.borrow().clone(), Layout::contiguous(&self.shape())),
            super::tensor::Backing::View(v) => (v.root.data.borrow().clone(), v.layout.clone()),
        }
    }

    /// Strides in elements, as `t.stride()` reports them.
    pub fn strides(&self) -> Vec<usize> {
        match self.view_info() {
            Some(v) => v.layout.strides.clone(),
            None => contiguous_strides(&self.shape()),
        }
    }

    /// `t.storage_offset()`: where this tensor's first element sits in its buffer.
    pub fn storage_offset(&self) -> usize {
        self.view_info().map_or(0, |v| v.layout.offset)
    }

    pub fn is_contiguous(&self) -> bool {
        self.view_info().is_none_or(|v| v.layout.is_contiguous())
    }

    /// A view of this tensor through `f` applied to its layout, without autograd. The
    /// differentiable base is this tensor's base (or this tensor when it has none).
    pub(crate) fn make_view(&self, f: impl Fn(&Layout) -> Layout, creation: Creation) -> Tensor {
        // For a tensor with its own buffer, buffer layout and base-relative layout coincide.
        let (root, layout, base) = match &self.0.data {
            super::tensor::Backing::Own(c) => {
                let l = f(&Layout::contiguous(&self.shape()));
                (c.clone(), l.clone(), (self.clone(), l))
            }
            super::tensor::Backing::View(v) => {
                let base = match &v.base {
                    Some((b, rel)) => (b.clone(), f(rel)),
                    None => (self.clone(), f(&Layout::contiguous(&v.layout.shape))),
                };
                (v.root.clone(), f(&v.layout), base)
            }
        };
        let grad_mode = is_grad_enabled();
        let creation = if grad_mode { creation } else { Creation::NoGrad };
        let version = root.version.get();
        let view = View {
            root,
            layout,
            cache: RefCell::new(None),
            base: Some(base),
            grad_version: Cell::new(version),
            creation,
        };
        let t = Tensor::from_backing(super::tensor::Backing::View(view), false);
        if !grad_mode && self.requires_grad() {
            // PyTorch: such a view is a leaf that still reports requires_grad=True.
            t.0.requires_grad.set(true);
        }
        t
    }

    /// A view with a recorded backward (the common form of every view op).
    pub(crate) fn view_op(
        &self,
        name: &'static str,
        f: impl Fn(&Layout) -> Layout,
        backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
    ) -> Tensor {
        self.view_op_as(name, f, Creation::Normal, backward)
    }

    pub(crate) fn view_op_as(
        &self,
        name: &'static str,
        f: impl Fn(&Layout) -> Layout,
        creation: Creation,
        backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
    ) -> Tensor {
        let t = self.make_view(&f, creation);
        if super::forward_ad::active() {
            super::forward_ad::batched_view(&t, name, self, &f);
        }
        super::autograd::attach_as(t, name, &[self], false, backward, true)
    }

    /// The elements as a backward closure keeps them: for a view, the root's current buffer
    /// under the same layout (the buffer is copy-on-write, so later writes cannot reach the
    /// snapshot), so saving `w.t()` for a product's backward copies nothing.
    pub(crate) fn snapshot(&self) -> Tensor {
        self.standing_for(self.snapshot_elements())
    }

    /// [`Tensor::snapshot`] without the history it stands for.
    fn snapshot_elements(&self) -> Tensor {
        match &self.0.data {
            super::tensor::Backing::View(v) if !v.layout.has_overlap() => {
                let version = v.root.version.get();
                let cache = v.cache.borrow().as_ref().filter(|(at, _)| *at == version).map(|(_, s)| (0, s.clone()));
                Tensor::from_backing(
                    super::tensor::Backing::View(View {
                        root: Shared::new_as(v.root.data.borrow().clone(), v.root.dtype()),
                        layout: v.layout.clone(),
                        cache: RefCell::new(cache),
                        base: None,
                        grad_version: Cell::new(0),
                        creation: Creation::Normal,
                    }),
                    false,
                )
            }
            _ => self.detach_copy(),
        }
    }

    /// A 2-D tensor's elements as a buffer with row and column strides, without gathering a
    /// view: `(buffer, offset, row stride, column stride)`. None when the buffer is not in
    /// standard layout.
    pub(crate) fn matrix_source(&self) -> Option<(Rc<Storage>, usize, usize, usize)> {
        match &self.0.data {
            super::tensor::Backing::Own(c) => {
                let s = c.data.borrow().clone();
                let shape = s.shape();
                (shape.len() == 2 && s.is_standard_layout()).then(|| (s.clone(), 0, shape[1], 1))
            }
            super::tensor::Backing::View(v) => {
                let l = &v.layout;
                let s = v.root.data.borrow().clone();
                (l.shape.len() == 2 && s.is_standard_layout()).then(|| (s, l.offset, l.strides[0], l.strides[1]))
            }
        }
    }

    /// A view of the same elements that is no longer part of any graph (`detach()`, `.data`).
    pub(crate) fn alias_detached(&self, is_param: bool) -> Tensor {
        let backing = match &self.0.data {
            super::tensor::Backing::Own(c) => super::tensor::Backing::Own(c.clone()),
            super::tensor::Backing::View(v) => super::tensor::Backing::View(View {
                root: v.root.clone(),
                layout: v.layout.clone(),
                cache: RefCell::new(v.cache.borrow().clone()),
                base: None,
                grad_version: Cell::new(v.root.version.get()),
                creation: Creation::Normal,
            }),
        };
        Tensor::from_backing(backing, is_param)
    }

    /// When the buffer was written since this view's `grad_fn` was set, the old `grad_fn`
    /// describes stale elements: rebuild it as a strided read of the base as it is now.
    pub(crate) fn refresh_view_grad(&self) {
        let Some(v) = self.view_info() else { return };
        let version = v.root.version.get();
        if v.grad_version.get() == version {
            return;
        }
        v.grad_version.set(version);
        let Some((base, rel)) = &v.base else { return };
        if v.creation == Creation::NoGrad || !base.requires_grad() {
            return;
        }
        let pos = Rc::new(rel.positions());
        let node = make_node("AsStridedBackward0", &[base], false, Box::new(as_strided_backward(base.shape(), pos)));
        self.set_grad_fn(Some(node));
        self.0.requires_grad.set(true);
    }

    /// Refuses in-place updates PyTorch refuses, before any work is done.
    pub(crate) fn check_inplace(&self) -> Result<()> {
        let grad = is_grad_enabled();
        if let Some(v) = self.view_info() {
            if v.layout.has_overlap() {
                return Err(TensorError::InPlaceOverlap);
            }
            if grad && v.creation == Creation::Unrebasable {
                return Err(TensorError::unsupported(
                    "an in-place update with autograd on a view(...) of a detached non-contiguous view",
                ));
            }
            if let (true, Some((base, _))) = (grad, &v.base)
                && base.requires_grad()
            {
                match v.creation {
                    Creation::NoGrad => return Err(TensorError::InPlaceNoGradView),
                    Creation::MultiOutput { index, op } => return Err(TensorError::InPlaceMultiOutputView { index, op }),
                    Creation::Normal if base.is_leaf() => return Err(TensorError::InPlaceViewOfLeaf),
                    Creation::Normal | Creation::Unrebasable => {}
                }
            }
            return Ok(());
        }
        if grad && self.is_leaf() && self.requires_grad() {
            return Err(TensorError::InPlaceLeaf);
        }
        Ok(())
    }

    /// Stores new elements (same shape and dtype) in this tensor and everything sharing them.
    pub(crate) fn write_storage(&self, s: Rc<Storage>) -> Result<()> {
        match &self.0.data {
            super::tensor::Backing::Own(c) => {
                *c.data.borrow_mut() = s;
                c.bump();
                Ok(())
            }
            super::tensor::Backing::View(v) => v.write(s),
        }
    }

    /// Takes over the history of `result` after an in-place update: a root simply adopts the
    /// result's `grad_fn`; a view's base gets a CopySlices node (the base with the view's
    /// elements replaced by `result`) and the view reads it back through AsStridedBackward0.
    pub(crate) fn adopt_history(&self, result: &Tensor) {
        if !is_grad_enabled() || !result.requires_grad() {
            return;
        }
        let Some(View { base: Some((base, rel)), .. }) = self.view_info() else {
            if let Some(node) = result.grad_fn() {
                self.set_grad_fn(Some(node));
                self.0.requires_grad.set(true);
            }
            return;
        };
        let pos = Rc::new(rel.positions());
        let view_shape = rel.shape.clone();
        let p2 = pos.clone();
        let node = make_node(
            "CopySlices",
            &[base, result],
            false,
            Box::new(move |g, n| {
                let gs = g.storage();
                let g_base = if n[0] { Some(Tensor::from_storage(flat::zero_at(&gs, &p2))) } else { None };
                let g_view = if n[1] { Some(Tensor::from_storage(flat::take(&gs, &p2, &view_shape)?)) } else { None };
                Ok(vec![g_base, g_view])
            }),
        );
        base.set_grad_fn(Some(node));
        base.0.requires_grad.set(true);
        let own = make_node("AsStridedBackward0", &[base], false, Box::new(as_strided_backward(base.shape(), pos)));
        self.set_grad_fn(Some(own));
        self.0.requires_grad.set(true);
    }

    /// A buffer of this tensor's shape and dtype filled with `v`.
    pub(crate) fn full_like_scalar(&self, v: Scalar) -> Storage {
        Storage::full(&self.shape(), v, self.dtype())
    }
}
