//! Forward-mode AD: tangents ("forward grads") attached to tensors per dual level, carried
//! through every recorded operation as its result is built.
//!
//! A tangent lives in a per-thread table keyed by (level, tensor id), so tensors pay nothing
//! while no level is open. An operation's output tangent is found from the operation's own
//! gradient formula, which is linear in the output gradient `u`: running the formula on a
//! `u` that requires grad gives `J^T u` with a history, and differentiating `<J^T u, t>` with
//! respect to `u` gives `J t` (the "double backward" identity). So every operation that has a
//! gradient formula has a forward rule, and one whose formula records no history (a kernel
//! without a double backward) fails with a message naming it. The error cannot surface inside
//! the operation (recording does not fail), so it is kept and raised when the tangent is read.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use std::hash::BuildHasherDefault;

use crate::addr_map::{AddrHasher, AddrMap};

use super::view::Layout;
use super::{Result, Tensor, TensorError, grad, with_grad_mode};

/// An op's gradient formula, as `autograd::record` receives it.
type Formula<'a> = &'a dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>>;

thread_local! {
    /// Whether any level is open: the one check every recorded operation makes.
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    /// The open levels, innermost last.
    static LEVELS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    static NEXT_LEVEL: Cell<u64> = const { Cell::new(0) };
    /// Levels from this one up are not propagated (set while a tangent is being computed,
    /// whose own operations must not compute tangents of that level again).
    static SUSPENDED_FROM: Cell<u64> = const { Cell::new(u64::MAX) };
    /// Per level, the tangents by tensor id: a level's table goes at once when it closes, and
    /// no lookup scans another level's (an outer level's table grows through every call of
    /// an inner transform, as in `jacfwd(jacfwd(f))`).
    static TANGENTS: RefCell<HashMap<u64, AddrMap<Tensor>, BuildHasherDefault<AddrHasher>>> = RefCell::default();
    /// The saved copy of the output of the op being recorded, when its formula uses it (see
    /// [`with_linked`]).
    static LINKED: RefCell<Option<Tensor>> = const { RefCell::new(None) };
    /// The first failure to compute a tangent, raised when a tangent is next read.
    static ERROR: RefCell<Option<TensorError>> = const { RefCell::new(None) };
    /// The batched levels and their batch sizes (see [`enter_batched_level`]).
    static BATCHED: RefCell<Vec<(u64, usize)>> = const { RefCell::new(Vec::new()) };
}

/// Whether some dual level is open (cheap; checked by every recorded operation).
#[inline]
pub(crate) fn active() -> bool {
    ACTIVE.with(Cell::get)
}

/// Opens a new dual level and returns it.
pub fn enter_level() -> u64 {
    let level = NEXT_LEVEL.with(|n| {
        let v = n.get();
        n.set(v + 1);
        v
    });
    LEVELS.with(|l| l.borrow_mut().push(level));
    ACTIVE.with(|a| a.set(true));
    level
}

/// Opens a batched level of `batch` rows and returns it: each tangent of that level has a
/// leading dim of `batch`, one tangent per row, as the BatchedTensor tangents of PyTorch's
/// `jacfwd` (a `vmap` over `jvp`) have. One call of the function then gives every column of
/// the Jacobian, where an unbatched level takes a call per column.
pub fn enter_batched_level(batch: usize) -> u64 {
    let level = enter_level();
    BATCHED.with(|b| b.borrow_mut().push((level, batch)));
    level
}

/// The batch size of `level` when it is batched.
pub fn batch_size(level: u64) -> Option<usize> {
    BATCHED.with(|b| b.borrow().iter().find(|(l, _)| *l == level).map(|&(_, n)| n))
}

/// Closes `level`: every tangent of that level is dropped.
pub fn exit_level(level: u64) {
    BATCHED.with(|b| b.borrow_mut().retain(|(l, _)| *l != level));
    let open = LEVELS.with(|l| {
        let mut l = l.borrow_mut();
        l.retain(|&x| x != level);
        !l.is_empty()
    });
    ACTIVE.with(|a| a.set(open));
    TANGENTS.with(|t| t.borrow_mut().remove(&level));
    if !open {
        ERROR.with(|e| e.borrow_mut().take());
    }
}

/// The innermost open level.
pub fn current_level() -> Option<u64> {
    LEVELS.with(|l| l.borrow().last().copied())
}

/// The tangent of `t` at `level`, or the error that kept some tangent from being computed.
pub fn tangent(t: &Tensor, level: u64) -> Result<Option<Tensor>> {
    if let Some(e) = ERROR.with(|e| e.borrow_mut().take()) {
        return Err(e);
    }
    Ok(get(level, t.id()))
}

/// The tangent of `t` at `level`, leaving any kept error for the next read.
pub(crate) fn peek(t: &Tensor, level: u64) -> Result<Option<Tensor>> {
    Ok(get(level, t.id()))
}

fn get(level: u64, id: usize) -> Option<Tensor> {
    TANGENTS.with(|t| t.borrow().get(&level).and_then(|m| m.get(&id)).cloned())
}

/// Sets the tangent of `t` at `level` (a custom Function's `jvp` result, `make_dual`).
pub fn set_tangent(t: &Tensor, level: u64, tangent: Tensor) {
    TANGENTS.with(|m| m.borrow_mut().entry(level).or_default().insert(t.id(), tangent));
}

/// `make_dual(primal, tangent)` at `level`: a view of `primal` whose tangent is `tangent`
/// (used as it is when laid out as the primal is, copied contiguous otherwise).
pub fn make_dual(primal: &Tensor, tangent: &Tensor, level: u64) -> Result<Tensor> {
    let expected: Vec<usize> = batch_size(level).into_iter().chain(primal.shape()).collect();
    if tangent.shape() != expected {
        return Err(TensorError::runtime(format!(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size {:?} while the given forward gradient is of size {:?}.",
            primal.shape(),
            tangent.shape()
        )));
    }
    let same_layout =
        tangent.is_contiguous() == primal.is_contiguous() && tangent.dtype() == primal.dtype();
    let tangent = if same_layout {
        tangent.clone()
    } else {
        tangent.to_dtype(primal.dtype())?.contiguous()
    };
    let shape: Vec<isize> = primal.shape().iter().map(|&d| d as isize).collect();
    let dual = suspended(|| primal.view(&shape))?;
    // The primal's tangents of other (enclosing) levels stay with the dual: nested forward
    // mode (`jacfwd(jacfwd(f))`) needs the inner level's input to carry the outer tangent.
    if active() {
        share(primal, &dual);
    }
    set_tangent(&dual, level, tangent);
    Ok(dual)
}

/// Runs `f` with no tangents propagated (a custom Function's `forward`, which sees primals,
/// and unpacking a dual tensor's primal).
pub fn suspended<T>(f: impl FnOnce() -> T) -> T {
    let prev = SUSPENDED_FROM.with(|s| s.replace(0));
    let out = f();
    SUSPENDED_FROM.with(|s| s.set(prev));
    out
}

/// A saved copy of `from` (for a gradient formula) carries `from`'s tangents, so formulas run
/// inside a dual level (a reverse pass under forward mode) propagate them.
pub(crate) fn share(from: &Tensor, to: &Tensor) {
    TANGENTS.with(|m| {
        for per_level in m.borrow_mut().values_mut() {
            if let Some(t) = per_level.get(&from.id()).cloned() {
                per_level.insert(to.id(), t);
            }
        }
    });
}

/// `to` (a detached alias of `from`, made by a function transform) keeps `from`'s tangents,
/// as functorch's levels keep a jvp's tangent through an inner `grad`'s detach.
pub fn carry(from: &Tensor, to: &Tensor) {
    if active() {
        share(from, to);
    }
}

/// A reshape's tangent is the input tangent reshaped (exactly linear, no formula needed).
pub(crate) fn reshaped(from: &Tensor, to: &Tensor, shape: &[usize]) {
    for level in levels_to_propagate() {
        if let Some(t) = get(level, from.id()) {
            let shape: Vec<isize> =
                batch_size(level).into_iter().chain(shape.iter().copied()).map(|d| d as isize).collect();
            // Enclosing levels stay on: a tangent's own tangent is reshaped with it (nested).
            let prev = SUSPENDED_FROM.with(|s| s.replace(level));
            let r = t.reshape(&shape);
            SUSPENDED_FROM.with(|s| s.set(prev));
            match r {
                Ok(r) => set_tangent(to, level, r),
                Err(e) => keep_error(e),
            }
        }
    }
}

/// Whether some input has a tangent at a level being propagated.
pub(crate) fn any_tangent(inputs: &[&Tensor]) -> bool {
    let levels = levels_to_propagate();
    TANGENTS.with(|m| {
        let m = m.borrow();
        levels.iter().any(|l| {
            m.get(l)
                .is_some_and(|per_level| inputs.iter().any(|t| per_level.contains_key(&t.id())))
        })
    })
}

fn levels_to_propagate() -> Vec<u64> {
    let from = SUSPENDED_FROM.with(Cell::get);
    LEVELS.with(|l| l.borrow().iter().copied().filter(|&x| x < from).collect())
}

fn keep_error(e: TensorError) {
    ERROR.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.is_none() {
            *slot = Some(e);
        }
    });
}

/// Runs `f` (which records one op whose formula uses `result`, a saved copy of its output)
/// so that `result` takes each level's tangent of the output as soon as it is computed: the
/// formula run for an inner level then sees the outer tangents of `result` (nested forward
/// mode through `exp`, `tanh`, ...), which sharing them after the op would come too late for.
pub(crate) fn with_linked<T>(result: &Tensor, f: impl FnOnce() -> T) -> T {
    if !active() {
        return f();
    }
    LINKED.with(|l| *l.borrow_mut() = Some(result.clone()));
    let out = f();
    LINKED.with(|l| l.borrow_mut().take());
    out
}

/// The saved output of the op being recorded (see [`with_linked`]) stands for `node`'s
/// output from now on (as `ops::link_output` makes it after recording).
pub(crate) fn link_result(node: &std::rc::Rc<super::autograd::Node>) {
    LINKED.with(|l| {
        if let Some(r) = &*l.borrow() {
            r.set_origin(super::tensor::Origin::Output(std::rc::Rc::downgrade(node)));
        }
    });
}

/// Computes `out`'s tangent at every open level where some input has one, from the
/// operation's gradient formula `backward` (see the module comment).
pub(crate) fn propagate(
    out: &Tensor,
    name: &'static str,
    inputs: &[&Tensor],
    backward: Formula<'_>,
    view: bool,
) {
    // Under grad mode, a tangent keeps its history, through the tangents and the primals, for
    // reverse mode over forward (`jacrev(jacfwd(f))`).
    let grad_on = super::is_grad_enabled();
    let primals_tracked = inputs.iter().any(|i| i.requires_grad());
    // Taken first: the ops the formulas record below are not the linked op.
    let linked = LINKED.with(|l| l.borrow_mut().take());
    for level in levels_to_propagate() {
        let tans: Vec<Option<Tensor>> = inputs.iter().map(|i| get(level, i.id())).collect();
        // (A view's batched tangents are set by [`batched_view`].)
        if tans.iter().all(Option::is_none) || (view && batch_size(level).is_some() && get(level, out.id()).is_some()) {
            continue;
        }
        let history = grad_on && (primals_tracked || tans.iter().flatten().any(Tensor::requires_grad));
        let prev = SUSPENDED_FROM.with(|s| s.replace(level));
        // An op with a rule of its own (jvp_rules.rs) computes its tangent directly, in the
        // ambient grad mode; the others differentiate their formula, which needs grad mode.
        let one = |tans: &[Option<Tensor>]| match super::jvp_rules::tangent(name, out, inputs, tans, backward) {
            Some(r) => r,
            None => with_grad_mode(true, || local_jvp(out, name, tans, backward, history)),
        };
        let r = match batch_size(level) {
            None => one(&tans),
            Some(b) => match super::jvp_rules::batched(name, out, inputs, &tans, backward) {
                Some(r) => r,
                // No batched rule: the unbatched one, row by row.
                None => by_batch_rows(out, b, &tans, &one),
            },
        };
        SUSPENDED_FROM.with(|s| s.set(prev));
        match r {
            Ok(Some(t)) => {
                if let Some(l) = &linked {
                    set_tangent(l, level, t.clone());
                }
                set_tangent(out, level, t);
            }
            Ok(None) => {}
            Err(e) => keep_error(e),
        }
    }
}

/// An op's own forward rule: its output tangent from the input tangents (`None` where an
/// input has none), as PyTorch's derivatives.yaml gives one beside the gradient formula.
pub(crate) type Jvp<'a> = &'a dyn Fn(&[Option<Tensor>]) -> Result<Option<Tensor>>;

/// [`propagate`] for an op with a forward rule of its own (`jvp`), run instead of the
/// gradient formula (a convolution's tangent is two convolutions, not one formula call per
/// output element). The rule's own ops propagate the enclosing levels (nested forward mode).
pub(crate) fn propagate_with(out: &Tensor, inputs: &[&Tensor], jvp: Jvp<'_>) {
    for level in levels_to_propagate() {
        let tans: Vec<Option<Tensor>> = inputs.iter().map(|i| get(level, i.id())).collect();
        if tans.iter().all(Option::is_none) || !out.dtype().is_floating_point() {
            continue;
        }
        let prev = SUSPENDED_FROM.with(|s| s.replace(level));
        let r = match batch_size(level) {
            None => jvp(&tans),
            Some(b) => by_batch_rows(out, b, &tans, jvp),
        };
        SUSPENDED_FROM.with(|s| s.set(prev));
        match r {
            Ok(Some(t)) => set_tangent(out, level, t),
            Ok(None) => {}
            Err(e) => keep_error(e),
        }
    }
}

/// `J t` for one operation: its formula run on an output gradient `u` that requires grad, then
/// differentiated with respect to `u` with the input tangents as the gradients of its results.
fn local_jvp(
    out: &Tensor,
    name: &'static str,
    tans: &[Option<Tensor>],
    backward: Formula<'_>,
    history: bool,
) -> Result<Option<Tensor>> {
    if !out.dtype().is_floating_point() {
        return Ok(None);
    }
    let u = Tensor::zeros(&out.shape(), out.dtype());
    u.set_requires_grad(true)?;
    let needs: Vec<bool> = tans.iter().map(Option::is_some).collect();
    let gs = backward(&u, &needs)?;
    let (mut outs, mut gos) = (Vec::new(), Vec::new());
    for (g, t) in gs.into_iter().zip(tans) {
        let (Some(g), Some(t)) = (g, t) else { continue };
        if !g.requires_grad() {
            return by_rows(out, name, tans, backward);
        }
        let t = if t.dtype() != g.dtype() {
            t.to_dtype(g.dtype())?
        } else {
            t.clone()
        };
        let t = if t.shape() != g.shape() {
            t.expand(&g.shape())?.contiguous()
        } else {
            t
        };
        outs.push(g);
        gos.push(Some(t));
    }
    if outs.is_empty() {
        return Ok(None);
    }
    // Retained: the formula's saved values may lead into the graph being run (a reverse pass
    // under forward mode), which must not be freed.
    // With a history when the tangent is to be differentiated again (see [`propagate`]).
    let r = grad(&outs, &gos, std::slice::from_ref(&u), true, history)?;
    Ok(Some(
        r.into_iter()
            .next()
            .flatten()
            .unwrap_or_else(|| out.zeros_like()),
    ))
}

/// The most output elements [`by_rows`] takes one formula call each for.
const MAX_ROWS: usize = 4096;

/// `J t` one row at a time, for a formula that records no history (a kernel without a double
/// backward): row `k` of `J` is the formula run on the one-hot `e_k`, and `(J t)_k` the sum of
/// its products with the input tangents.
fn by_rows(
    out: &Tensor,
    name: &'static str,
    tans: &[Option<Tensor>],
    backward: Formula<'_>,
) -> Result<Option<Tensor>> {
    let n = out.numel();
    if n > MAX_ROWS {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "Trying to use forward AD with {name} on {n} elements: lessonrun computes this op's tangent one output element at a time (its gradient formula records no history), up to {MAX_ROWS}"
            ),
        });
    }
    let needs: Vec<bool> = tans.iter().map(Option::is_some).collect();
    let mut vals = Vec::with_capacity(n);
    super::no_grad(|| -> Result<()> {
        for k in 0..n {
            let mut onehot = vec![0.0f64; n];
            onehot[k] = 1.0;
            let e =
                Tensor::from_data(super::Data::F64(onehot), &out.shape())?.to_dtype(out.dtype())?;
            let gs = backward(&e, &needs)?;
            let mut acc = 0.0f64;
            for (g, t) in gs.into_iter().zip(tans) {
                let (Some(g), Some(t)) = (g, t) else { continue };
                let t = if t.shape() != g.shape() {
                    t.expand(&g.shape())?.contiguous()
                } else {
                    t.clone()
                };
                let t = if t.dtype() != g.dtype() {
                    t.to_dtype(g.dtype())?
                } else {
                    t
                };
                acc += g.mul(&t)?.sum(None, false)?.to_f64_vec()[0];
            }
            vals.push(acc);
        }
        Ok(())
    })?;
    Ok(Some(
        Tensor::from_data(super::Data::F64(vals), &out.shape())?.to_dtype(out.dtype())?,
    ))
}

/// A batched level's tangent of `out` from the unbatched rule `one`, row by row: row `k` of
/// each input tangent through `one`, the results stacked (zeros for a row with no tangent).
/// The rows' ops propagate the enclosing levels, so nested levels stay correct.
fn by_batch_rows(
    out: &Tensor,
    batch: usize,
    tans: &[Option<Tensor>],
    one: Jvp<'_>,
) -> Result<Option<Tensor>> {
    let mut rows = Vec::with_capacity(batch);
    for k in 0..batch {
        let row: Vec<Option<Tensor>> =
            tans.iter().map(|t| t.as_ref().map(|t| t.select(0, k as i64)).transpose()).collect::<Result<_>>()?;
        rows.push(one(&row)?);
    }
    if rows.iter().all(Option::is_none) {
        return Ok(None);
    }
    let rows: Vec<Tensor> = rows.into_iter().map(|r| r.unwrap_or_else(|| out.zeros_like())).collect();
    Tensor::stack(&rows, 0).map(Some)
}

/// A view's tangent at each batched level: the same view of each row of the input's tangent,
/// as one view of the batch (`f` maps the input's layout to the view's, and is applied to a
/// row's layout inside the tangent's; the batch dim keeps its stride in front). Exact, and
/// itself a view op, so enclosing levels see it as one too. Unbatched levels keep the
/// general path of [`propagate`].
pub(crate) fn batched_view(out: &Tensor, name: &'static str, input: &Tensor, f: &dyn Fn(&Layout) -> Layout) {
    for level in levels_to_propagate() {
        if batch_size(level).is_none() || !out.dtype().is_floating_point() {
            continue;
        }
        // (A batched tangent always has its batch dim; anything else is left to `propagate`.)
        let Some(t) = get(level, input.id()).filter(|t| t.dim() == input.dim() + 1) else { continue };
        let batched = |l: &Layout| {
            let row = Layout { shape: l.shape[1..].to_vec(), strides: l.strides[1..].to_vec(), offset: l.offset };
            let r = f(&row);
            Layout {
                shape: std::iter::once(l.shape[0]).chain(r.shape).collect(),
                strides: std::iter::once(l.strides[0]).chain(r.strides).collect(),
                offset: r.offset,
            }
        };
        // Its gradient (a reverse pass through the tangent): scattered back to the tangent's
        // shape by the view's positions in it.
        let base_shape = t.shape();
        let rel = batched(&Layout::contiguous(&base_shape));
        let prev = SUSPENDED_FROM.with(|s| s.replace(level));
        let v = t.view_op(name, batched, move |g, n| {
            let pos = std::rc::Rc::new(rel.positions());
            super::view::as_strided_backward(base_shape.clone(), pos)(g, n)
        });
        SUSPENDED_FROM.with(|s| s.set(prev));
        set_tangent(out, level, v);
    }
}
