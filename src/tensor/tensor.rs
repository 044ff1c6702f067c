//! `Tensor`: the cheap-clone handle, creation functions and properties.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::{ArrayD, IxDyn};

use super::autograd::Node;
use super::storage::Storage;
use super::view::{Shared, View};
use super::{Data, DType, Result, Scalar, TensorError};

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// A tensor handle. Cloning shares everything (like binding a second Python name).
#[derive(Clone)]
pub struct Tensor(pub(crate) Rc<Inner>);

/// Where a tensor's elements live.
pub(crate) enum Backing {
    /// Its own buffer, shared with its `detach()`/`.data`/`Parameter` aliases (an in-place
    /// update through one is seen by all, as in PyTorch).
    Own(Rc<Shared>),
    /// Elements of another tensor's buffer (see `view`).
    View(View),
}

pub(crate) struct Inner {
    pub(crate) id: usize,
    pub(crate) data: Backing,
    pub(crate) requires_grad: Cell<bool>,
    pub(crate) grad: RefCell<Option<Tensor>>,
    pub(crate) grad_fn: RefCell<Option<Rc<Node>>>,
    pub(crate) retains_grad: Cell<bool>,
    pub(crate) is_param: bool,
    /// Gradient hooks of a leaf (a non-leaf's live on its grad_fn node).
    pub(crate) hooks: RefCell<Vec<super::autograd::GradHook>>,
    /// For a value saved for backward: the history it stands for, so that formulas run under
    /// `create_graph` record edges to it (PyTorch's SavedVariable unpacks with its grad_fn).
    pub(crate) origin: RefCell<Option<Origin>>,
}

/// Whose history a saved value carries: an input tensor's (its grad_fn, or itself as a leaf),
/// or the node that produced a saved output, held weakly as PyTorch does, so that a node never
/// keeps itself alive.
#[derive(Clone)]
pub(crate) enum Origin {
    Tensor(Tensor),
    Output(std::rc::Weak<Node>),
}

/// A fresh tensor id (copies that live beside their original need their own).
pub(crate) fn next_id() -> usize {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

impl Tensor {
    pub(crate) fn from_storage(s: Storage) -> Tensor {
        let s = Rc::new(s);
        super::memory::track(&s);
        Tensor::from_backing(Backing::Own(Shared::new(s)), false)
    }

    pub(crate) fn from_backing(data: Backing, is_param: bool) -> Tensor {
        Tensor(Rc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            data,
            requires_grad: Cell::new(false),
            grad: RefCell::new(None),
            grad_fn: RefCell::new(None),
            retains_grad: Cell::new(false),
            is_param,
            hooks: RefCell::new(Vec::new()),
            origin: RefCell::new(None),
        }))
    }

    /// A new tensor holding `s` as `dtype`: a narrow dtype's values are narrowed into its wide
    /// array (integers wrap, halves round) and the tensor remembers the dtype. Any other `dtype`
    /// leaves `s` as it is.
    pub(crate) fn from_storage_as(s: Storage, dtype: DType) -> Tensor {
        if !(dtype.is_narrow() && dtype.wide() == s.dtype()) {
            return Tensor::from_storage(s);
        }
        let s = Rc::new(s.cast(dtype));
        super::memory::track(&s);
        Tensor::from_backing(Backing::Own(Shared::new_as(s, dtype)), false)
    }

    /// The current elements (a shared immutable snapshot, row-major).
    pub fn storage(&self) -> Rc<Storage> {
        match &self.0.data {
            Backing::Own(c) => c.data.borrow().clone(),
            Backing::View(v) => v.current(),
        }
    }

    /// The elements of a tensor that nothing else holds (no other handle, `detach()` alias,
    /// view or snapshot of its buffer), moved out without a copy, or `None`. The tensor is left
    /// holding no elements, so the caller drops it: for results an op has just made (a product
    /// about to be reshaped, a copy about to be viewed), whose elements would otherwise be
    /// copied once more.
    pub(crate) fn take_unique_storage(&self) -> Option<Storage> {
        if Rc::strong_count(&self.0) != 1 || Rc::weak_count(&self.0) != 0 {
            return None;
        }
        let Backing::Own(shared) = &self.0.data else { return None };
        if Rc::strong_count(shared) != 1 || Rc::weak_count(shared) != 0 || shared.narrow.get().is_some() {
            return None;
        }
        let mut data = shared.data.borrow_mut();
        if Rc::strong_count(&data) != 1 {
            return None;
        }
        let empty = Rc::new(data.empty_like());
        Rc::try_unwrap(std::mem::replace(&mut *data, empty)).ok()
    }

    /// Replaces the elements of this tensor and of everything sharing them (no autograd).
    pub(crate) fn replace_storage(&self, s: Storage) -> Result<()> {
        let s = Rc::new(s);
        super::memory::track(&s);
        self.write_storage(s)
    }

    // ---- creation ------------------------------------------------------------------------

    /// A tensor from flat row-major data.
    pub fn from_data(data: Data, shape: &[usize]) -> Result<Tensor> {
        let numel: usize = shape.iter().product();
        let len = match &data {
            Data::F32(v) => v.len(),
            Data::F64(v) => v.len(),
            Data::I64(v) => v.len(),
            Data::Bool(v) => v.len(),
        };
        if len != numel {
            return Err(TensorError::BadReshape { shape: super::storage::list_str(shape), numel: len });
        }
        let sh = IxDyn(shape);
        let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
        let s = match data {
            Data::F32(v) => Storage::F32(ArrayD::from_shape_vec(sh, v).map_err(err)?),
            Data::F64(v) => Storage::F64(ArrayD::from_shape_vec(sh, v).map_err(err)?),
            Data::I64(v) => Storage::I64(ArrayD::from_shape_vec(sh, v).map_err(err)?),
            Data::Bool(v) => Storage::Bool(ArrayD::from_shape_vec(sh, v).map_err(err)?),
        };
        Ok(Tensor::from_storage(s))
    }

    /// A 0-d tensor.
    pub fn scalar(v: Scalar, dtype: DType) -> Tensor {
        Tensor::full(&[], v, dtype)
    }

    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, Scalar::Int(0), dtype)
    }

    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, Scalar::Int(1), dtype)
    }

    pub fn full(shape: &[usize], v: Scalar, dtype: DType) -> Tensor {
        Tensor::from_storage_as(Storage::full(shape, v, dtype), dtype)
    }

    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(&self.shape(), self.dtype())
    }

    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(&self.shape(), self.dtype())
    }

    /// `torch.eye(n)`.
    pub fn eye(n: usize, m: usize, dtype: DType) -> Tensor {
        let s = Storage::F64(ArrayD::from_shape_fn(IxDyn(&[n, m]), |i| if i[0] == i[1] { 1.0 } else { 0.0 }));
        Tensor::from_storage_as(s.cast(dtype), dtype)
    }

    // ---- properties ----------------------------------------------------------------------

    pub fn shape(&self) -> Vec<usize> {
        match &self.0.data {
            Backing::Own(c) => c.data.borrow().shape(),
            Backing::View(v) => v.layout.shape.clone(),
        }
    }

    pub fn dtype(&self) -> DType {
        match &self.0.data {
            Backing::Own(c) => c.dtype(),
            Backing::View(v) => v.dtype(),
        }
    }

    pub fn numel(&self) -> usize {
        match &self.0.data {
            Backing::Own(c) => c.data.borrow().numel(),
            Backing::View(v) => v.layout.numel(),
        }
    }

    pub fn dim(&self) -> usize {
        self.shape().len()
    }

    /// Size of one dimension (negative counts from the end).
    pub fn size(&self, dim: isize) -> Result<usize> {
        let shape = self.shape();
        if shape.is_empty() {
            return Err(TensorError::DimOutOfRange { lo: -1, hi: 0, dim });
        }
        let d = self.norm_dim(dim)?;
        Ok(shape[d])
    }

    pub fn requires_grad(&self) -> bool {
        self.refresh_view_grad();
        self.0.requires_grad.get()
    }

    /// `t.requires_grad_(flag)` / `t.requires_grad = flag`.
    pub fn set_requires_grad(&self, flag: bool) -> Result<()> {
        if !self.is_leaf() {
            if flag {
                return Ok(());
            }
            return Err(TensorError::RequiresGradNonLeaf);
        }
        if flag && !self.dtype().is_floating_point() {
            return Err(TensorError::RequiresGradNonFloat);
        }
        self.0.requires_grad.set(flag);
        Ok(())
    }

    /// A tensor is a leaf unless it was produced by a recorded operation.
    pub fn is_leaf(&self) -> bool {
        self.refresh_view_grad();
        self.0.grad_fn.borrow().is_none()
    }

    pub fn grad(&self) -> Option<Tensor> {
        self.0.grad.borrow().clone()
    }

    pub fn set_grad(&self, g: Option<Tensor>) {
        *self.0.grad.borrow_mut() = g;
    }

    /// Whether `retain_grad()` made this non-leaf keep its `.grad` (False for leaves).
    pub fn retains_grad(&self) -> bool {
        self.0.retains_grad.get()
    }

    /// `t.retain_grad()`: keep `.grad` on a non-leaf during backward.
    pub fn retain_grad(&self) {
        if !self.is_leaf() && !self.0.retains_grad.replace(true) {
            super::autograd::register_retained(self);
        }
    }

    /// `t.backward(gradient, retain_graph)`.
    pub fn backward(&self, gradient: Option<&Tensor>, retain_graph: bool) -> Result<()> {
        super::autograd::backward(self, gradient, retain_graph, false)
    }

    /// `backward(..., create_graph=True)`: the gradients get a history of their own.
    pub fn backward_graph(&self, gradient: Option<&Tensor>, retain_graph: bool, create_graph: bool) -> Result<()> {
        super::autograd::backward(self, gradient, retain_graph, create_graph)
    }

    /// `t.register_hook(f)`.
    pub fn register_hook(&self, hook: super::autograd::GradHook) -> Result<()> {
        super::autograd::register_hook(self, hook)
    }

    /// `handle.remove()` of a hook `register_hook` added.
    pub fn remove_hook(&self, hook: &super::autograd::GradHook) {
        super::autograd::remove_hook(self, hook)
    }

    /// A handle that does not keep the tensor alive (a hook handle's).
    pub(crate) fn downgrade(&self) -> std::rc::Weak<Inner> {
        Rc::downgrade(&self.0)
    }

    pub(crate) fn upgrade(w: &std::rc::Weak<Inner>) -> Option<Tensor> {
        w.upgrade().map(Tensor)
    }

    pub fn grad_fn_name(&self) -> Option<String> {
        self.refresh_view_grad();
        self.0.grad_fn.borrow().as_ref().map(|n| n.name.to_string())
    }

    pub fn grad_fn(&self) -> Option<Rc<Node>> {
        self.refresh_view_grad();
        self.0.grad_fn.borrow().clone()
    }

    pub fn is_parameter(&self) -> bool {
        self.0.is_param
    }

    /// `nn.Parameter(t)`: a leaf requiring grad that shares `t`'s data (in-place updates of
    /// either are seen by both, as in PyTorch).
    pub fn parameter(t: &Tensor) -> Tensor {
        let p = t.alias_detached(true);
        // Parameters of integer dtype are rejected by PyTorch at construction; keep the flag
        // only for floats so the invariant "requires_grad implies float" holds.
        p.0.requires_grad.set(t.dtype().is_floating_point());
        p
    }

    /// Python number for a one-element tensor; float32 widens exactly to f64.
    pub fn item(&self) -> Result<Scalar> {
        let s = self.storage();
        if s.numel() != 1 {
            return Err(TensorError::ItemNotScalar { numel: s.numel() });
        }
        Ok(s.scalar_at(0))
    }

    /// Elements in row-major order, widened to f64.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        self.storage().to_f64_vec()
    }

    /// Elements in row-major order, in the wide array type the dtype lives in (no per-element
    /// `Scalar`s: NumPy's element-wise ops read whole arrays this way).
    pub fn to_data(&self) -> Data {
        fn row_major<T: Copy>(a: &ndarray::ArrayD<T>) -> Vec<T> {
            a.as_slice().map_or_else(|| a.iter().copied().collect(), <[T]>::to_vec)
        }
        match &*self.storage() {
            Storage::F32(a) => Data::F32(row_major(a)),
            Storage::F64(a) => Data::F64(row_major(a)),
            Storage::I64(a) => Data::I64(row_major(a)),
            Storage::Bool(a) => Data::Bool(row_major(a)),
        }
    }

    /// Elements as Python numbers (ints stay ints, bools stay bools), row-major.
    pub fn to_scalars(&self) -> Vec<Scalar> {
        let s = self.storage();
        match &*s {
            Storage::F32(a) => a.iter().map(|&x| Scalar::Float(x as f64)).collect(),
            Storage::F64(a) => a.iter().map(|&x| Scalar::Float(x)).collect(),
            Storage::I64(a) => a.iter().map(|&x| Scalar::Int(x)).collect(),
            Storage::Bool(a) => a.iter().map(|&x| Scalar::Bool(x)).collect(),
        }
    }

    /// The float32 elements, if this is a float32 tensor.
    pub fn to_f32_vec(&self) -> Option<Vec<f32>> {
        match &*self.storage() {
            Storage::F32(a) => Some(a.iter().copied().collect()),
            _ => None,
        }
    }

    /// A new leaf sharing this tensor's data (in-place updates are seen through both).
    pub fn detach(&self) -> Tensor {
        self.alias_detached(false)
    }

    /// `t.detach_()`: this tensor becomes a leaf that does not require grad. PyTorch refuses
    /// views (their history is their base's), with this message.
    pub fn detach_(&self) -> Result<()> {
        if self.is_view() {
            return Err(TensorError::runtime(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and hence detach_() cannot be called on these gradients. To fix this error, please refer to the Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.",
            ));
        }
        self.set_grad_fn(None);
        self.0.requires_grad.set(false);
        Ok(())
    }

    /// A new leaf with its own copy of the data (what saved values and snapshots use). The
    /// snapshot is shared copy-on-write: every write either swaps a buffer or copies one that
    /// another tensor still holds, so no element copy is needed here.
    pub fn detach_copy(&self) -> Tensor {
        Tensor::from_backing(Backing::Own(Shared::new_as(self.storage(), self.dtype())), false)
    }

    /// Marks this saved copy as standing for `origin`'s history: it then requires grad (so
    /// formulas run under `create_graph` record with it) and its edges lead to `origin`.
    /// Without grad mode (every backward without `create_graph`) nothing records.
    pub(crate) fn set_origin(&self, origin: Origin) {
        self.0.requires_grad.set(true);
        *self.0.origin.borrow_mut() = Some(origin);
    }

    /// `copy` (a saved copy of this tensor's elements) standing for this tensor's history,
    /// if it has one: what `ops::saved` and `snapshot` hand to formulas.
    pub(crate) fn standing_for(&self, copy: Tensor) -> Tensor {
        if super::forward_ad::active() {
            super::forward_ad::share(self, &copy);
        }
        if self.requires_grad() {
            copy.set_origin(Origin::Tensor(self.clone()));
        }
        copy
    }

    /// The history a saved copy stands for (see [`Tensor::set_origin`]).
    pub(crate) fn origin(&self) -> Option<Origin> {
        self.0.origin.borrow().clone()
    }

    /// Identity for Python's `is` and `id()`.
    pub fn id(&self) -> usize {
        self.0.id
    }

    /// Whether two handles are the same tensor object.
    pub fn same(&self, other: &Tensor) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub(crate) fn set_grad_fn(&self, node: Option<Rc<Node>>) {
        *self.0.grad_fn.borrow_mut() = node;
    }

    /// Normalises a possibly negative dim against this tensor's rank (0-d acts as rank 1).
    pub(crate) fn norm_dim(&self, dim: isize) -> Result<usize> {
        norm_dim(dim, self.dim())
    }
}

/// Normalises `dim` for a tensor of rank `ndim`, with PyTorch's error for out-of-range dims.
pub(crate) fn norm_dim(dim: isize, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as isize;
    let d = if dim < 0 { dim + n } else { dim };
    if d < 0 || d >= n {
        return Err(TensorError::DimOutOfRange { lo: -n, hi: n - 1, dim });
    }
    Ok(d as usize)
}

impl Tensor {
    /// `param.data = param.data.to(dtype)`, as `Module.double()`/`.float()` do: this tensor
    /// and its aliases keep their identity and take the new dtype. Views cannot change dtype.
    pub fn convert_in_place(&self, dtype: DType) -> Result<()> {
        if self.dtype() == dtype {
            return Ok(());
        }
        if matches!(self.0.data, Backing::View(_)) {
            return Err(TensorError::unsupported("changing the dtype of a view in place"));
        }
        let converted = super::no_grad(|| self.to_dtype(dtype))?;
        self.replace_storage((*converted.storage()).clone())?;
        if let Backing::Own(c) = &self.0.data {
            c.set_dtype(dtype);
        }
        Ok(())
    }
}

impl Tensor {
    /// A lazy module's parameter taking its first real value: this tensor (and every handle to
    /// it, such as an optimizer's) gets `src`'s elements and shape. Views cannot. A `src` that
    /// nothing else holds gives up its buffer: a LazyLinear's fresh weight can be 400 MB.
    pub fn materialize_from(&self, src: Tensor) -> Result<()> {
        if matches!(self.0.data, Backing::View(_)) {
            return Err(TensorError::unsupported("materializing a view"));
        }
        let s = match src.take_unique_storage() {
            Some(s) => s,
            None => (*src.storage()).clone(),
        };
        self.replace_storage(s)
    }
}
