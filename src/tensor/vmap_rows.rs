//! vmap's batching rule for matrix products whose left operand is a batch element: the values
//! of `x_i @ w` (and `F.linear(x_i, w, b)`) as rows of the one product over the whole batch.
//!
//! lessonrun's `vmap` calls the function once per batch element; PyTorch's runs it once on a
//! batched tensor, and its rules for `mm`/`mv`/`matmul` (functorch's
//! BatchRulesLinearAlgebra.cpp: `mm_batch_rule`, and `addmm` decomposed into
//! `bias * 1 + mm(...)`) fold the batch into the rows of a single `mm`. MKL sums a row of a
//! many-row product in another order than a one-row product (a vector times a matrix), so
//! the per-element loop gave other last bits. The language marks each batch element it
//! slices ([`mark`]); a product whose left operand is marked and whose right operand is not
//! computes the batch's whole product once (kept for the rest of that vmap call) and takes
//! its rows. Elements of anything computed from a slice are not tracked (they have no whole
//! batch to take rows of), so their products keep the per-element order.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{Result, Tensor};

/// A batch element: row block `index` of `whole` (the batched tensor, batch dim first).
#[derive(Clone)]
struct Slice {
    whole: Tensor,
    index: usize,
}

#[derive(Default)]
struct Frame {
    slices: HashMap<usize, Slice>,
    /// Whole-batch products already computed, by (whole, right operand, bias) identities.
    products: HashMap<(usize, Operand, Option<Operand>), Tensor>,
}

/// A right operand or bias as the same values across a vmap call's elements: a view by its
/// base and layout (`F.linear` makes `w.t()` afresh for every element, so its own id would
/// never find the product computed for the element before), anything else by its id.
type Operand = (usize, Vec<usize>, Vec<usize>, usize);

fn operand(t: &Tensor) -> Operand {
    match t.view_base() {
        Some(base) => {
            let l = t.layout();
            (base.id(), l.shape, l.strides, l.offset)
        }
        None => (t.id(), Vec::new(), Vec::new(), 0),
    }
}

thread_local! {
    /// One frame per running `vmap` call, innermost last.
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

/// Whether some `vmap` call is running (cheap; checked by every matrix product).
#[inline]
pub(crate) fn active() -> bool {
    FRAMES.with(|f| !f.borrow().is_empty())
}

/// `out` (just computed as `x @ w + bias`, its graph recorded) takes the values of its rows of
/// the batch's one product when [`rows_of_batch_product`] applies.
pub(crate) fn apply(out: &Tensor, x: &Tensor, w: &Tensor, bias: Option<&Tensor>) -> Result<()> {
    if let Some(v) = rows_of_batch_product(x, w, bias)? {
        out.replace_storage((*v.storage()).clone())?;
    }
    Ok(())
}

/// Opens the frame of a `vmap` call (closed by [`exit`]).
pub fn enter() {
    FRAMES.with(|f| f.borrow_mut().push(Frame::default()));
}

/// Closes the innermost `vmap` frame, dropping its marks and products.
pub fn exit() {
    FRAMES.with(|f| {
        f.borrow_mut().pop();
    });
}

fn lookup(t: &Tensor) -> Option<Slice> {
    FRAMES.with(|f| {
        f.borrow()
            .iter()
            .rev()
            .find_map(|fr| fr.slices.get(&t.id()).cloned())
    })
}

/// Marks `slice` as element `index` of `whole` along dim 0, in the innermost frame. A
/// `whole` that is itself an element of an enclosing vmap's batch (vmap of vmap, both over
/// dim 0) makes `slice` an element of the two batches flattened, as PyTorch's nested batch
/// dims fold into one `mm`.
pub fn mark(slice: &Tensor, whole: &Tensor, index: usize) {
    let (whole, index) = match lookup(whole) {
        Some(outer) if whole.dim() >= 1 => {
            let n = whole.shape()[0];
            let mut shape: Vec<isize> = vec![-1];
            shape.extend(whole.shape()[1..].iter().map(|&d| d as isize));
            match super::no_grad(|| outer.whole.reshape(&shape)) {
                Ok(w) => (w, outer.index * n + index),
                Err(_) => (whole.clone(), index),
            }
        }
        _ => (whole.clone(), index),
    };
    FRAMES.with(|f| {
        if let Some(fr) = f.borrow_mut().last_mut() {
            fr.slices.insert(slice.id(), Slice { whole, index });
        }
    });
}

/// `to` (a detached alias of `from`, made by a function transform inside the vmap) is the
/// same batch element.
pub fn carry(from: &Tensor, to: &Tensor) {
    FRAMES.with(|f| {
        let mut f = f.borrow_mut();
        for fr in f.iter_mut().rev() {
            if let Some(s) = fr.slices.get(&from.id()).cloned() {
                fr.slices.insert(to.id(), s);
                return;
            }
        }
    });
}

/// Whether `t` is a marked batch element (so not the same for every element).
fn is_marked(t: &Tensor) -> bool {
    lookup(t).is_some()
}

/// The values of `x @ w` (`+ bias`), `x` a marked 1-D or 2-D batch element and `w` an
/// unmarked matrix, as rows of the batch's one product `mm(whole, w) + bias`; `None` when the
/// rule does not apply (no vmap, `x` not an element, `w` or `bias` batched, other ranks).
pub(crate) fn rows_of_batch_product(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
) -> Result<Option<Tensor>> {
    if !active() || !(x.dim() == 1 || x.dim() == 2) || w.dim() != 2 {
        return Ok(None);
    }
    let Some(s) = lookup(x) else { return Ok(None) };
    if is_marked(w) || bias.is_some_and(is_marked) || s.whole.shape()[1..] != x.shape()[..] {
        return Ok(None);
    }
    let rows = if x.dim() == 2 { x.shape()[0] } else { 1 };
    let key = (s.whole.id(), operand(w), bias.map(operand));
    let cached = FRAMES.with(|f| {
        f.borrow()
            .iter()
            .rev()
            .find_map(|fr| fr.products.get(&key).cloned())
    });
    let product = match cached {
        Some(p) => p,
        None => {
            let p = super::no_grad(|| -> Result<Tensor> {
                let k = *x.shape().last().unwrap_or(&1);
                let flat = s.whole.reshape(&[-1, k as isize])?;
                let p = flat.mm(w)?;
                // functorch's addmm decomposition: `bias * beta + mm(mat1, mat2)`.
                match bias {
                    Some(b) => b.add(&p),
                    None => Ok(p),
                }
            })?;
            FRAMES.with(|f| {
                if let Some(fr) = f.borrow_mut().last_mut() {
                    fr.products.insert(key, p.clone());
                }
            });
            p
        }
    };
    let block = super::no_grad(|| product.narrow(0, (s.index * rows) as i64, rows as i64))?;
    let mut shape: Vec<isize> = x.shape()[..x.dim() - 1]
        .iter()
        .map(|&d| d as isize)
        .collect();
    shape.push(w.shape()[1] as isize);
    Ok(Some(super::no_grad(|| block.reshape(&shape))?.contiguous()))
}
