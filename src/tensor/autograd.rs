//! The autograd graph: `Node` (PyTorch's grad_fn), recording, and the `backward` engine.
//!
//! Gradient formulas are ordinary tensor operations run with grad mode off, so they share the
//! forward kernels (and their float32 rounding) exactly as PyTorch's derivatives do.

use std::cell::{Cell, RefCell};
use std::collections::BinaryHeap;

use crate::addr_map::AddrMap;
use std::rc::Rc;

use super::storage::Storage;
use super::{is_grad_enabled, no_grad, DType, Result, Tensor, TensorError};

/// Computes input gradients from the output gradient. The flags say which inputs need one.
pub(crate) type BackwardFn = Box<dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>>>;
/// A node's formula, shared by the copies a snapshot makes of the node.
pub(crate) type SharedBackward = Rc<dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>>>;

/// A gradient hook (`t.register_hook(f)`): sees the gradient flowing to a tensor and may
/// replace it. Errors of the host's code travel as [`TensorError`]s.
pub type GradHook = Rc<dyn Fn(&Tensor) -> Result<Option<Tensor>>>;

pub enum Target {
    Node(Rc<Node>),
    /// A leaf that requires grad (PyTorch's AccumulateGrad).
    Leaf(Tensor),
}

/// Where an input's gradient goes, plus the input's metadata so the engine can reduce a
/// broadcast gradient to the input's shape and cast it to the input's dtype.
pub struct Edge {
    pub target: Option<Target>,
    pub(crate) shape: Vec<usize>,
    pub(crate) dtype: DType,
}

pub struct Node {
    pub name: &'static str,
    /// Creation order; the engine runs ready nodes newest first, as PyTorch's CPU queue does.
    pub(crate) seq: u64,
    pub edges: Vec<Edge>,
    /// Whether the formula uses saved values (only then does a second backward fail).
    pub(crate) saves: bool,
    /// Shared by the copies a snapshot makes of the node: a formula only reads the values it
    /// saved, which nothing can write.
    pub(crate) backward: RefCell<Option<SharedBackward>>,
    /// Non-leaf tensors that asked for `retain_grad()` get their gradient from this node's
    /// incoming buffer; weak so the graph never keeps its outputs alive.
    pub(crate) retained: RefCell<Vec<std::rc::Weak<super::tensor::Inner>>>,
    /// Hooks registered on the (non-leaf) tensor this node produced, run on its gradient
    /// before the formula.
    pub(crate) hooks: RefCell<Vec<GradHook>>,
    /// The formula is the host's (`torch.autograd.Function`) and may reach its mutable state,
    /// so a snapshot cannot share it.
    pub(crate) host: Cell<bool>,
    /// The formula only hands its gradient to another node (rnn_fused.rs's outputs pass
    /// theirs to the fused node through a token): the token's gradient is a placeholder with
    /// no history even under `create_graph`, which the engine's check must not refuse.
    pub(crate) relay: Cell<bool>,
    /// The values the formula reads under PyTorch's names, for `_saved_*` and the saved
    /// tensor hooks (saved_hooks.rs); empty for ops that note none.
    pub(crate) saved: RefCell<super::saved_hooks::Slots>,
}

thread_local! {
    static NEXT_SEQ: Cell<u64> = const { Cell::new(0) };
}

/// Builds the result tensor of an operation and, if grad mode is on and some input requires
/// grad, a node that remembers how to propagate gradients to `inputs`.
pub(crate) fn record(
    out: Storage,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) -> Tensor {
    // Ops compute narrow dtypes in their wide arrays; the result is narrowed to the inputs'
    // dtype here, so no op can leave values outside it. Ops whose result dtype differs
    // (integer sums are int64, conversions) build their result themselves.
    let dtype = super::ops::result_dtype(inputs, out.dtype());
    record_as(out, dtype, name, inputs, saves, backward)
}

/// [`record`] with the result's dtype given (narrow values are narrowed to it).
pub(crate) fn record_as(
    out: Storage,
    dtype: DType,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) -> Tensor {
    attach(Tensor::from_storage_as(out, dtype), name, inputs, saves, backward)
}

/// [`record`] for an op with a forward rule of its own (see `forward_ad::propagate_with`).
pub(crate) fn record_jvp(
    out: Storage,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
    jvp: super::forward_ad::Jvp<'_>,
) -> Tensor {
    let dtype = super::ops::result_dtype(inputs, out.dtype());
    let t = Tensor::from_storage_as(out, dtype);
    if super::forward_ad::active() {
        super::forward_ad::propagate_with(&t, inputs, jvp);
    }
    if is_grad_enabled() && inputs.iter().any(|i| i.requires_grad()) {
        hang_node(&t, make_node(name, inputs, saves, Box::new(backward)));
    }
    t
}

/// [`record`] for a result tensor that already exists (a view).
pub(crate) fn attach(
    t: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) -> Tensor {
    attach_as(t, name, inputs, saves, backward, false)
}

/// [`attach`] for a view made by `view_op`, whose tangents at batched levels are already set
/// (`forward_ad::batched_view`).
pub(crate) fn attach_as(
    t: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
    view: bool,
) -> Tensor {
    if super::forward_ad::active() {
        return attach_dual(t, name, inputs, saves, backward, view);
    }
    let track = is_grad_enabled() && inputs.iter().any(|i| i.requires_grad());
    if track {
        hang_node(&t, make_node(name, inputs, saves, Box::new(backward)));
    }
    t
}

/// `t` becomes the output of `node` (which requires grad).
fn hang_node(t: &Tensor, node: Rc<Node>) {
    t.0.requires_grad.set(true);
    super::saved_hooks::recorded(&node);
    t.set_grad_fn(Some(node));
}

/// [`attach_as`] inside a dual level: the tangents too. Kept out of the common path.
#[cold]
fn attach_dual(
    t: Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
    view: bool,
) -> Tensor {
    if !(is_grad_enabled() && inputs.iter().any(|i| i.requires_grad())) {
        super::forward_ad::propagate(&t, name, inputs, &backward, view);
        return t;
    }
    // The node first: a saved copy of the output (`result`, see `forward_ad::with_linked`)
    // then stands for it while the tangent is computed, so a tangent formula reading it keeps
    // its history (reverse mode over forward mode).
    let node = make_node(name, inputs, saves, Box::new(backward));
    hang_node(&t, node.clone());
    super::forward_ad::link_result(&node);
    let formula = node.backward.borrow().clone();
    if let Some(formula) = formula {
        super::forward_ad::propagate(&t, name, inputs, &*formula, view);
    }
    t
}

/// [`record`] of `t`'s elements in the shape `shape` (a reshape's UnsafeViewBackward0): the
/// node's edge is made from `t` first (it reads `t`'s shape), then `t`'s elements move into
/// the result when nothing else holds them, and are copied otherwise.
pub(crate) fn record_reshaped(
    t: Tensor,
    shape: &[usize],
    name: &'static str,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) -> Result<Tensor> {
    let dtype = t.dtype();
    let node = (is_grad_enabled() && t.requires_grad()).then(|| make_node(name, &[&t], false, Box::new(backward)));
    // A dual input keeps its handle (and so its elements) for the tangent's reshape below.
    let dual = super::forward_ad::active().then(|| t.clone());
    let out = match t.take_unique_storage() {
        Some(s) => s.into_shape(shape)?,
        None => t.storage().reshape(shape)?,
    };
    drop(t);
    let out = Tensor::from_storage_as(out, dtype);
    if let Some(t) = dual {
        super::forward_ad::reshaped(&t, &out, shape);
    }
    if let Some(node) = node {
        out.0.requires_grad.set(true);
        out.set_grad_fn(Some(node));
    }
    Ok(out)
}

/// Where a gradient for `t` goes: its node, itself as a leaf that requires grad, or for a
/// value saved for backward (used by a formula under `create_graph`) what it stands for.
fn target_of(t: &Tensor) -> Option<Target> {
    match t.origin() {
        Some(super::tensor::Origin::Tensor(o)) => target_of(&o),
        Some(super::tensor::Origin::Output(node)) => node.upgrade().map(Target::Node),
        None => match t.grad_fn() {
            Some(n) => Some(Target::Node(n)),
            None => t.requires_grad().then(|| Target::Leaf(t.clone())),
        },
    }
}

pub(crate) fn make_node(name: &'static str, inputs: &[&Tensor], saves: bool, backward: BackwardFn) -> Rc<Node> {
    let edges = inputs.iter().map(|i| Edge { target: target_of(i), shape: i.shape(), dtype: i.dtype() }).collect();
    let seq = NEXT_SEQ.with(|s| {
        let v = s.get();
        s.set(v + 1);
        v
    });
    Rc::new(Node {
        name,
        seq,
        edges,
        saves,
        backward: RefCell::new(Some(Rc::from(backward))),
        retained: RefCell::new(Vec::new()),
        hooks: RefCell::new(Vec::new()),
        host: Cell::new(false),
        relay: Cell::new(false),
        saved: RefCell::default(),
    })
}

/// A node whose formula the host provides (`torch.autograd.Function`): `out`, computed
/// without history, is returned as a new tensor sharing its elements whose grad_fn is `name`
/// with edges to `inputs`. The formula gets the output gradient and which inputs need one.
pub fn custom_node(
    out: &Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    formula: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) -> Tensor {
    let t = attach(out.detach(), name, inputs, true, formula);
    if let Some(n) = t.grad_fn() {
        n.host.set(true);
    }
    t
}

/// `t.register_hook(f)`: a leaf keeps its hooks; a non-leaf's go on the node that made it.
pub(crate) fn register_hook(t: &Tensor, hook: GradHook) -> Result<()> {
    if !t.requires_grad() {
        return Err(TensorError::runtime("cannot register a hook on a tensor that doesn't require gradient"));
    }
    match t.grad_fn() {
        Some(n) => n.hooks.borrow_mut().push(hook),
        None => t.0.hooks.borrow_mut().push(hook),
    }
    Ok(())
}

/// `handle.remove()` of a `register_hook` handle: the hook goes from wherever it was put (the
/// leaf, or the node that made the tensor); removing it twice does nothing, as in PyTorch.
pub(crate) fn remove_hook(t: &Tensor, hook: &GradHook) {
    t.0.hooks.borrow_mut().retain(|h| !Rc::ptr_eq(h, hook));
    if let Some(n) = t.grad_fn() {
        n.hooks.borrow_mut().retain(|h| !Rc::ptr_eq(h, hook));
    }
}

/// A hook run with a leaf after its `.grad` was accumulated (`register_post_accumulate_grad_hook`).
pub type PostAccumulateHook = Rc<dyn Fn(&Tensor) -> Result<()>>;

thread_local! {
    /// Post-accumulate hooks by leaf id, in registration order: few tensors have any, so they
    /// live here rather than in every tensor.
    static POST_HOOKS: RefCell<Vec<(usize, PostAccumulateHook)>> = const { RefCell::new(Vec::new()) };
}

pub fn register_post_accumulate_hook(t: &Tensor, hook: PostAccumulateHook) -> Result<()> {
    if !t.requires_grad() {
        return Err(TensorError::runtime("cannot register a hook on a tensor that doesn't require gradient"));
    }
    if t.grad_fn().is_some() {
        return Err(TensorError::runtime("post accumulate grad hooks cannot be registered on non-leaf tensors"));
    }
    POST_HOOKS.with(|h| h.borrow_mut().push((t.id(), hook)));
    Ok(())
}

/// `handle.remove()` of a `register_post_accumulate_grad_hook` handle.
pub fn remove_post_accumulate_hook(hook: &PostAccumulateHook) {
    POST_HOOKS.with(|h| h.borrow_mut().retain(|(_, f)| !Rc::ptr_eq(f, hook)));
}

fn run_post_hooks(t: &Tensor) -> Result<()> {
    let hooks: Vec<PostAccumulateHook> = POST_HOOKS.with(|h| {
        let h = h.borrow();
        if h.is_empty() {
            return Vec::new();
        }
        h.iter().filter(|(id, _)| *id == t.id()).map(|(_, f)| f.clone()).collect()
    });
    for f in hooks {
        f(t)?;
    }
    Ok(())
}

fn run_hooks(hooks: &[GradHook], mut g: Tensor) -> Result<Tensor> {
    for h in hooks {
        if let Some(new) = h(&g)? {
            g = new;
        }
    }
    Ok(g)
}

pub(crate) fn register_retained(t: &Tensor) {
    if let Some(n) = t.grad_fn() {
        n.retained.borrow_mut().push(Rc::downgrade(&t.0));
    }
}

struct Ready(u64, Rc<Node>);
impl PartialEq for Ready {
    fn eq(&self, o: &Self) -> bool {
        self.0 == o.0
    }
}
impl Eq for Ready {}
impl PartialOrd for Ready {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Ready {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.cmp(&o.0)
    }
}

fn key(n: &Rc<Node>) -> usize {
    Rc::as_ptr(n) as usize
}

/// Adds `g` into a gradient buffer slot the way PyTorch's InputBuffer does (first one is
/// stored, later ones are added in arrival order).
fn accumulate(slot: &mut Option<Tensor>, g: Tensor) -> Result<()> {
    *slot = Some(match slot.take() {
        None => g,
        Some(old) => old.add(&g)?,
    });
    Ok(())
}

/// Brings a gradient to the input's shape (summing broadcast dims) and dtype.
fn fit(g: Tensor, edge: &Edge) -> Result<Tensor> {
    let g = if g.shape() != edge.shape { g.sum_to(&edge.shape)? } else { g };
    if g.dtype() != edge.dtype { g.to_dtype(edge.dtype) } else { Ok(g) }
}

/// The gradient a root starts with: the given one (checked against the root's shape), else
/// ones for a one-element root. Under `create_graph` a given gradient that requires grad keeps
/// its history, as in PyTorch, so the result can be differentiated with respect to it too
/// (gradgradcheck's `grad_outputs`, vector-Jacobian products differentiated in `v`).
fn root_grad(root: &Tensor, gradient: Option<&Tensor>, create_graph: bool) -> Result<Tensor> {
    if !root.requires_grad() {
        return Err(TensorError::NoGradFn);
    }
    match gradient {
        Some(g) => {
            if g.shape() != root.shape() {
                return Err(TensorError::GradShape { grad: g.shape(), output: root.shape() });
            }
            if create_graph && g.requires_grad() {
                return Ok(g.clone());
            }
            // The gradient keeps its tangents (a cotangent that is a dual tensor, as in nested
            // forward mode, where a tangent of one level carries one of the level outside).
            let d = g.detach();
            super::forward_ad::carry(g, &d);
            Ok(d)
        }
        None => {
            if root.numel() != 1 {
                return Err(TensorError::ImplicitGradNonScalar);
            }
            Ok(Tensor::ones(&root.shape(), root.dtype()))
        }
    }
}

/// `root.backward(gradient, retain_graph, create_graph)`: gradients accumulate into the
/// `.grad` of the leaves. With `create_graph` the formulas run with grad mode on, so the
/// gradients have a history of their own (for second derivatives).
pub(crate) fn backward(root: &Tensor, gradient: Option<&Tensor>, retain_graph: bool, create_graph: bool) -> Result<()> {
    let grad = root_grad(root, gradient, create_graph)?;
    let go = || run(&[(root.clone(), grad)], retain_graph || create_graph, None).map(|_| ());
    if create_graph { super::with_grad_mode(true, go) } else { no_grad(go) }
}

/// `torch.autograd.grad(outputs, inputs, grad_outputs)`: the gradients of the outputs with
/// respect to `inputs`, returned instead of accumulated (no `.grad` changes). `None` for an
/// input the outputs do not depend on.
pub fn grad(
    outputs: &[Tensor],
    grad_outputs: &[Option<Tensor>],
    inputs: &[Tensor],
    retain_graph: bool,
    create_graph: bool,
) -> Result<Vec<Option<Tensor>>> {
    let mut roots = Vec::with_capacity(outputs.len());
    for (i, o) in outputs.iter().enumerate() {
        roots.push((o.clone(), root_grad(o, grad_outputs.get(i).and_then(Option::as_ref), create_graph)?));
    }
    for t in inputs {
        if !t.requires_grad() {
            return Err(TensorError::runtime("One of the differentiated Tensors does not require grad"));
        }
    }
    let go = || run(&roots, retain_graph || create_graph, Some(inputs));
    let captured = if create_graph { super::with_grad_mode(true, go)? } else { no_grad(go)? };
    Ok(captured)
}

/// Runs the graph below `roots`. Without `capture`, leaf gradients accumulate into `.grad`;
/// with it, the gradients reaching those tensors are returned and no `.grad` changes.
fn run(roots: &[(Tensor, Tensor)], retain_graph: bool, capture: Option<&[Tensor]>) -> Result<Vec<Option<Tensor>>> {
    let mut captured: Vec<Option<Tensor>> = vec![None; capture.map_or(0, <[Tensor]>::len)];
    let capture_index = |t: &Tensor| capture.and_then(|c| c.iter().position(|x| x.id() == t.id()));
    let capture_node = |n: &Rc<Node>| {
        capture.and_then(|c| c.iter().position(|x| x.grad_fn().is_some_and(|m| Rc::ptr_eq(&m, n))))
    };

    // Keyed by node and tensor addresses, hashed by one multiply (addr_map.rs): a backward
    // pass looks each node up several times.
    let mut deps: AddrMap<usize> = AddrMap::default();
    let mut seen: AddrMap<Rc<Node>> = AddrMap::default();
    let mut buffers: AddrMap<Option<Tensor>> = AddrMap::default();
    let mut leaf_order: Vec<Tensor> = Vec::new();
    let mut leaf_bufs: AddrMap<Option<Tensor>> = AddrMap::default();
    let mut ready = BinaryHeap::new();
    let mut stack = Vec::new();
    for (root, grad) in roots {
        match root.grad_fn() {
            None => {
                // A leaf root: AccumulateGrad directly (or the gradient itself, captured).
                match capture_index(root) {
                    Some(i) => accumulate(&mut captured[i], grad.clone())?,
                    None if capture.is_none() => {
                        let g = run_hooks(&root.0.hooks.borrow().clone(), grad.clone())?;
                        accumulate_leaf(root, g)?
                    }
                    None => {}
                }
            }
            Some(n) => {
                accumulate(buffers.entry(key(&n)).or_insert(None), grad.clone())?;
                if seen.insert(key(&n), n.clone()).is_none() {
                    stack.push(n);
                }
            }
        }
    }
    let starts: Vec<Rc<Node>> = stack.clone();
    // Dependency counts over the reachable graph.
    while let Some(n) = stack.pop() {
        for e in &n.edges {
            if let Some(Target::Node(m)) = &e.target {
                *deps.entry(key(m)).or_insert(0) += 1;
                if let std::collections::hash_map::Entry::Vacant(v) = seen.entry(key(m)) {
                    v.insert(m.clone());
                    stack.push(m.clone());
                }
            }
        }
    }
    for n in starts {
        if deps.get(&key(&n)).copied().unwrap_or(0) == 0 {
            ready.push(Ready(n.seq, n));
        }
    }

    let result = (|| -> Result<()> {
        while let Some(Ready(_, node)) = ready.pop() {
            // A node whose inputs all produced undefined gradients still releases its edges.
            let g = buffers.remove(&key(&node)).flatten();
            let g = match g {
                Some(g) => Some(run_hooks(&node.hooks.borrow().clone(), g)?),
                None => None,
            };
            if let (Some(i), Some(g)) = (capture_node(&node), &g) {
                accumulate(&mut captured[i], g.clone())?;
            }
            let grads = match &g {
                Some(g) => run_node(&node, g, capture.is_none())?,
                None => Vec::new(),
            };
            for (i, e) in node.edges.iter().enumerate() {
                let gi = grads.get(i).cloned().flatten();
                match &e.target {
                    None => {}
                    Some(Target::Node(m)) => {
                        let slot = buffers.entry(key(m)).or_insert(None);
                        if let Some(gi) = gi {
                            accumulate(slot, fit(gi, e)?)?;
                        }
                        let d = deps.entry(key(m)).or_insert(1);
                        *d -= 1;
                        if *d == 0 {
                            ready.push(Ready(m.seq, m.clone()));
                        }
                    }
                    Some(Target::Leaf(t)) => {
                        if let Some(gi) = gi {
                            let slot = leaf_bufs.entry(t.id()).or_insert_with(|| {
                                leaf_order.push(t.clone());
                                None
                            });
                            accumulate(slot, fit(gi, e)?)?;
                        }
                    }
                }
            }
        }
        for t in &leaf_order {
            if let Some(Some(g)) = leaf_bufs.remove(&t.id()) {
                let g = run_hooks(&t.0.hooks.borrow().clone(), g)?;
                match (capture, capture_index(t)) {
                    (None, _) => accumulate_leaf(t, g)?,
                    (Some(_), Some(i)) => accumulate(&mut captured[i], g)?,
                    (Some(_), None) => {}
                }
            }
        }
        Ok(())
    })();

    if !retain_graph {
        for n in seen.values() {
            if n.saves {
                *n.backward.borrow_mut() = None;
                super::saved_hooks::release(n);
            }
        }
    }
    result.map(|()| captured)
}

/// Nodes whose formula may rightly give a gradient without history from saved values: a
/// product or quotient with a constant operand, and ops whose derivative is piecewise
/// constant in their input.
const CONSTANT_DERIVATIVE_OK: &[&str] = &[
    "MulBackward0",
    "DivBackward0",
    "MmBackward0",
    "AddmmBackward0",
    "MvBackward0",
    "DotBackward0",
    "BmmBackward0",
    "PowBackward1",
    "WhereBackward0",
    "ReluBackward0",
    "AbsBackward0",
    "SignBackward0",
    "ClampBackward1",
    "ClampMinBackward0",
    "ClampMaxBackward0",
    "LeakyReluBackward0",
    "HardtanhBackward0",
    "MaxBackward0",
    "MaxBackward1",
    "MinBackward0",
    "MinBackward1",
    "MaskedFillBackward0",
    "IndexBackward0",
    "GatherBackward0",
    "EmbeddingBackward0",
];

/// Runs one node's formula on its complete incoming gradient.
fn run_node(node: &Rc<Node>, g: &Tensor, retain: bool) -> Result<Vec<Option<Tensor>>> {
    if retain {
        for w in node.retained.borrow().iter() {
            if let Some(inner) = w.upgrade() {
                accumulate_leaf(&Tensor(inner), g.clone())?;
            }
        }
    }
    let needs: Vec<bool> = node.edges.iter().map(|e| e.target.is_some()).collect();
    let f = node.backward.borrow();
    let Some(f) = f.as_ref() else { return Err(TensorError::GraphFreed) };
    super::saved_hooks::unpack_all(node)?;
    let grads = f(g, &needs)?;
    // Under `create_graph` a formula that computed its result with a kernel recording no
    // history would give second derivatives silently missing terms: refuse it by name. A
    // gradient without history is right only when nothing it depends on has one: the incoming
    // gradient has none, and the node's saved values are constants or enter piecewise
    // linearly (the ops of `CONSTANT_DERIVATIVE_OK`).
    let missing = !node.relay.get() && grads.iter().flatten().any(|gi| !gi.requires_grad());
    if super::is_grad_enabled()
        && missing
        && (g.requires_grad() || (node.saves && !node.host.get() && !CONSTANT_DERIVATIVE_OK.contains(&node.name)))
    {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "create_graph=True through {}: lessonrun cannot yet differentiate this op's gradient formula (second derivatives work through arithmetic, matmul, reductions and the elementwise math functions)",
                node.name
            ),
        });
    }
    Ok(grads)
}

/// AccumulateGrad: the first gradient becomes `.grad`; later ones are added into the existing
/// `.grad` tensor in place, so handles taken earlier (`g = w.grad`) see the sum, as in PyTorch.
fn accumulate_leaf(t: &Tensor, g: Tensor) -> Result<()> {
    add_to_leaf(t, g)?;
    run_post_hooks(t)
}

fn add_to_leaf(t: &Tensor, g: Tensor) -> Result<()> {
    // Under `create_graph` (grad mode on) `.grad` keeps its history, and a later gradient
    // makes a new sum rather than writing into it, as PyTorch's AccumulateGrad does.
    if super::is_grad_enabled() {
        let sum = match t.grad() {
            // AccumulateGrad stores a copy of a gradient that has a history (CopyBackwards).
            None if g.requires_grad() => {
                let copy = (*g.storage()).clone();
                record(copy, "CopyBackwards", &[&g], false, |gg, _| Ok(vec![Some(gg.clone())]))
            }
            None => g,
            Some(old) => old.add(&g)?,
        };
        t.set_grad(Some(sum));
        return Ok(());
    }
    match t.grad() {
        None => t.set_grad(Some(g.detach_copy())),
        Some(old) => {
            let sum = old.add(&g)?;
            old.write_storage(sum.storage())?;
        }
    }
    Ok(())
}
