//! Forward rules of the ops that forward-mode transforms run most (`jacfwd`, `hessian`,
//! `jvp` through linear layers and activations): the tangent formulas PyTorch's
//! derivatives.yaml gives beside each gradient (`result: ...`).
//!
//! Any op can be differentiated forward through its gradient formula (forward_ad.rs's
//! double-backward identity), but that builds and runs a small graph per op and level, and
//! under nested levels each of its ops does the same again: `jacfwd(jacfwd(f))` over a
//! 512-input layer spent most of its 23 s there. A rule here is one or two ops on the
//! tangents. The formulas and their operand order are PyTorch's, so the tangents keep its
//! bits; an undefined tangent is PyTorch's zero tensor, which adds nothing.

use super::{Result, Tensor};

/// An op's gradient formula, as `autograd::record` receives it.
type Formula<'a> = &'a dyn Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>>;

/// One-input element-wise ops: their Jacobian is diagonal, so the tangent is the gradient
/// formula applied to the input's tangent (PyTorch's `auto_element_wise`, and `auto_linear`
/// for the scalar arithmetic).
const ELEMENTWISE: &[&str] = &[
    "AbsBackward0",
    "AcosBackward0",
    "AddBackward0",
    "AsinBackward0",
    "AtanBackward0",
    "CosBackward0",
    "CoshBackward0",
    "DivBackward0",
    "EluBackward0",
    "ErfBackward0",
    "ExpBackward0",
    "Expm1Backward0",
    "GeluBackward0",
    "LeakyReluBackward0",
    "Log1pBackward0",
    "Log2Backward0",
    "Log10Backward0",
    "LogBackward0",
    "MulBackward0",
    "NegBackward0",
    "PowBackward0",
    "ReciprocalBackward0",
    "ReluBackward0",
    "RsqrtBackward0",
    "RsubBackward1",
    "SigmoidBackward0",
    "SiluBackward0",
    "SinBackward0",
    "SinhBackward0",
    "SoftplusBackward0",
    "SqrtBackward0",
    "SubBackward0",
    "TanBackward0",
    "TanhBackward0",
];

/// The tangent of `out` from the input tangents `tans` by the op's own rule, or None when
/// `name` has none here (the caller then uses the gradient formula).
pub(crate) fn tangent(
    name: &str,
    out: &Tensor,
    inputs: &[&Tensor],
    tans: &[Option<Tensor>],
    backward: Formula<'_>,
) -> Option<Result<Option<Tensor>>> {
    if !ruled(out, inputs, tans, 0) {
        return None;
    }
    let r = match (name, inputs, tans) {
        (_, [x], [Some(t)]) if ELEMENTWISE.contains(&name) && x.shape() == out.shape() => {
            backward(t, &[true]).map(|mut g| g.swap_remove(0))
        }
        // add: self_t + other_t; sub: self_t - other_t (alpha is folded into the op's formula,
        // not supported here: those ops record other names).
        ("AddBackward0", [_, _], [a, b]) => sum2(&out.shape(), a.clone(), b.clone(), false),
        ("SubBackward0", [_, _], [a, b]) => sum2(&out.shape(), a.clone(), b.clone(), true),
        // mul: other_t * self_p + self_t * other_p
        ("MulBackward0", [x, y], [tx, ty]) => {
            let first = ty.as_ref().map(|t| t.mul(x)).transpose();
            let second = tx.as_ref().map(|t| t.mul(y)).transpose();
            first.and_then(|f| second.and_then(|s| sum2(&out.shape(), f, s, false)))
        }
        // mm: self_t.mm(mat2_p) + self_p.mm(mat2_t); mv and dot alike.
        ("MmBackward0", [a, b], [ta, tb]) => product(a, b, ta, tb, &Tensor::mm, &Tensor::mm),
        ("MvBackward0", [a, b], [ta, tb]) => product(a, b, ta, tb, &Tensor::mv, &Tensor::mv),
        ("DotBackward0", [a, b], [ta, tb]) => product(a, b, ta, tb, &Tensor::dot, &Tensor::dot),
        // addmm: self_t + mat1_t.mm(mat2_p) + mat1_p.mm(mat2_t), left to right.
        ("AddmmBackward0", [_, x, w], [tb, tx, tw]) => {
            let p = product(x, w, tx, tw, &Tensor::mm, &Tensor::mm);
            p.and_then(|p| match (tb, p) {
                (Some(tb), Some(p)) => tb.add(&p).map(Some),
                (Some(tb), None) => spread(&out.shape(), tb.clone()).map(Some),
                (None, p) => Ok(p),
            })
        }
        _ => return None,
    };
    Some(r)
}

/// One-input element-wise ops whose formula takes the gradient only through exactly rounded
/// element-wise arithmetic (`g * f(x)`, `where`), so the formula run on a batch of tangents
/// (saved values broadcast over the leading batch dims) gives each row the bits it gives the
/// row alone. The fused activation kernels (ELU, GELU, SiLU, softplus) round by an element's
/// place in a vector block, which a batch moves, so they stay row by row.
const BATCHABLE: &[&str] = &[
    "AbsBackward0",
    "AddBackward0",
    "AsinBackward0",
    "AtanBackward0",
    "CosBackward0",
    "CoshBackward0",
    "DivBackward0",
    "ErfBackward0",
    "ExpBackward0",
    "LeakyReluBackward0",
    "LogBackward0",
    "MulBackward0",
    "NegBackward0",
    "PowBackward0",
    "ReciprocalBackward0",
    "ReluBackward0",
    "RsubBackward1",
    "SigmoidBackward0",
    "SinBackward0",
    "SinhBackward0",
    "SqrtBackward0",
    "SubBackward0",
    "TanBackward0",
    "TanhBackward0",
    // `1 - y*y` of a dual `y` (ops.rs `one_minus_square_dual`): `g * -2y`.
    "TanhBackwardBackward0",
];

/// Two-input element-wise ops (the double-backward nodes of `tanh` and `sigmoid`): the
/// tangent is the sum of the formula applied to each input's tangent, each term PyTorch's
/// (`tanh_backward(grad_output_t, output_p) + output_t * (-2 * output_p * grad_output_p)`).
const BATCHABLE_PAIRS: &[&str] = &["TanhBackwardBackward0", "SigmoidBackwardBackward0"];

/// [`tangent`] for a batched level (forward_ad.rs `enter_batched_level`): each tangent has
/// one leading batch dim over its input's shape. The rules are those of [`tangent`] with the
/// batch carried as functorch's batching rules carry it (element-wise ops broadcast, a
/// product's batch is folded into one matmul); None for an op without one here (the caller
/// then runs the unbatched rule row by row).
pub(crate) fn batched(
    name: &str,
    out: &Tensor,
    inputs: &[&Tensor],
    tans: &[Option<Tensor>],
    backward: Formula<'_>,
) -> Option<Result<Option<Tensor>>> {
    if !ruled(out, inputs, tans, 1) {
        return None;
    }
    let batch = tans.iter().flatten().next()?.shape()[0];
    let want: Vec<usize> = std::iter::once(batch).chain(out.shape()).collect();
    // A tangent with its input's dims right-aligned under the output's (size-1 dims after the
    // batch dim), so it broadcasts against the other operands as its input did.
    let lift = |t: &Tensor, x: &Tensor| -> Result<Tensor> {
        let pad = out.dim().saturating_sub(x.dim());
        if pad == 0 {
            return Ok(t.clone());
        }
        let shape: Vec<isize> = std::iter::once(batch)
            .chain(std::iter::repeat_n(1, pad))
            .chain(x.shape())
            .map(|d| d as isize)
            .collect();
        t.reshape(&shape)
    };
    let r = match (name, inputs, tans) {
        (_, [x], [Some(t)]) if BATCHABLE.contains(&name) && x.shape() == out.shape() => {
            // A formula that does not broadcast over the batch (an error, another shape) is
            // left to the row-by-row path.
            match backward(t, &[true]) {
                Ok(mut g) if g.len() == 1 && g[0].as_ref().is_some_and(|g| g.shape() == want) => Ok(g.swap_remove(0)),
                _ => return None,
            }
        }
        (_, [x, y], [a, b]) if BATCHABLE_PAIRS.contains(&name) => {
            let a = match a.as_ref().map(|t| lift(t, x)).transpose() {
                Ok(a) => a,
                Err(e) => return Some(Err(e)),
            };
            let b = match b.as_ref().map(|t| lift(t, y)).transpose() {
                Ok(b) => b,
                Err(e) => return Some(Err(e)),
            };
            pair(&want, out.dtype(), &a, &b, backward)?
        }
        // A full sum: each row summed over all its dims, as functorch's sum rule does.
        ("SumBackward0", [x], [Some(t)]) => {
            if x.dim() == 0 {
                Ok(Some(t.clone()))
            } else {
                let dims: Vec<isize> = (1..=x.dim() as isize).collect();
                t.sum(Some(&dims), false).map(Some)
            }
        }
        // stack/cat: the tangents (zeros for an input without one) joined along the same dim
        // one further in, when the shapes say which dim that is.
        ("StackBackward0" | "CatBackward0", xs, ts) if !xs.is_empty() => {
            let d = joined_dim(name == "StackBackward0", xs, out)?;
            let parts: Result<Vec<Tensor>> = xs
                .iter()
                .zip(ts)
                .map(|(x, t)| match t {
                    Some(t) => Ok(t.clone()),
                    None => Ok(Tensor::zeros(&std::iter::once(batch).chain(x.shape()).collect::<Vec<_>>(), out.dtype())),
                })
                .collect();
            parts.and_then(|p| {
                if name == "StackBackward0" {
                    Tensor::stack(&p, d as isize + 1)
                } else {
                    Tensor::cat(&p, d as isize + 1)
                }
            })
            .map(Some)
        }
        ("AddBackward0" | "SubBackward0", [x, y], [a, b]) => {
            let minus = name == "SubBackward0";
            let a = a.as_ref().map(|t| lift(t, x)).transpose();
            let b = b.as_ref().map(|t| lift(t, y)).transpose();
            a.and_then(|a| b.and_then(|b| sum2(&want, a, b, minus)))
        }
        // mul: other_t * self_p + self_t * other_p
        ("MulBackward0", [x, y], [tx, ty]) => {
            let first = ty.as_ref().map(|t| lift(t, y)?.mul(x)).transpose();
            let second = tx.as_ref().map(|t| lift(t, x)?.mul(y)).transpose();
            first.and_then(|f| second.and_then(|s| sum2(&want, f, s, false)))
        }
        // functorch's mm/mv/dot batching rules are `matmul` with the batch dim first, which
        // folds a batched left operand into the rows of one product.
        ("MmBackward0", [a, b], [ta, tb]) => product(a, b, ta, tb, &|t, b| t.matmul(b), &|a, t| a.matmul(t)),
        ("MvBackward0", [a, b], [ta, tb]) => {
            // [B, n, k] @ [k]; [n, k] @ [B, k] is [B, k] @ [k, n].
            product(a, b, ta, tb, &|t, b| t.matmul(b), &|a, t| t.matmul(&a.t()?))
        }
        ("DotBackward0", [a, b], [ta, tb]) => {
            product(a, b, ta, tb, &|t, b| t.matmul(b), &|a, t| t.matmul(a))
        }
        ("AddmmBackward0", [_, x, w], [tb, tx, tw]) => {
            let p = product(x, w, tx, tw, &|t, w| t.matmul(w), &|x, t| x.matmul(t));
            p.and_then(|p| match (tb, p) {
                (Some(tb), Some(p)) => lift(tb, inputs[0])?.add(&p).map(Some),
                (Some(tb), None) => spread(&want, lift(tb, inputs[0])?).map(Some),
                (None, p) => Ok(p),
            })
        }
        _ => return None,
    };
    Some(r)
}

/// The tangent of a [`BATCHABLE_PAIRS`] op of shape `want`: the gradient input's term, then the
/// output's. PyTorch materialises a missing gradient-input tangent as zeros for the first term
/// (`tanh_backward` has no zero-tensor kernel), so `+0` is added to the second term and a
/// `-0` there comes out `+0`; a missing output tangent contributes nothing. None when the
/// formula does not broadcast over the batch.
fn pair(
    want: &[usize],
    dtype: super::DType,
    a: &Option<Tensor>,
    b: &Option<Tensor>,
    backward: Formula<'_>,
) -> Option<Result<Option<Tensor>>> {
    let term = |t: &Tensor, i: usize| -> Option<Tensor> {
        let needs = [i == 0, i == 1];
        match backward(t, &needs) {
            Ok(mut g) if g.len() == 2 && g[i].as_ref().is_some_and(|g| g.shape() == want) => g.swap_remove(i),
            _ => None,
        }
    };
    let zeros;
    let a = match a {
        Some(a) => a,
        None => {
            zeros = Tensor::zeros(want, dtype);
            &zeros
        }
    };
    let first = term(a, 0)?;
    Some(match b {
        None => Ok(Some(first)),
        Some(b) => {
            let second = term(b, 1)?;
            first.add(&second).map(Some)
        }
    })
}

/// The dim a `stack` (`stacked`) or `cat` of `xs` into `out` joined along, when only one dim
/// fits the shapes.
fn joined_dim(stacked: bool, xs: &[&Tensor], out: &Tensor) -> Option<usize> {
    let o = out.shape();
    let first = xs[0].shape();
    if xs.iter().any(|x| x.dim() != first.len()) {
        return None;
    }
    let fits: Vec<usize> = if stacked {
        (0..o.len())
            .filter(|&d| {
                o[d] == xs.len() && o[..d] == first[..d] && o[d + 1..] == first[d..]
            })
            .collect()
    } else {
        if o.len() != first.len() {
            return None;
        }
        let differ: Vec<usize> = (0..o.len()).filter(|&d| xs.iter().any(|x| x.shape()[d] != o[d])).collect();
        match differ.len() {
            0 if xs.len() == 1 && !o.is_empty() => vec![0],
            _ => differ,
        }
    };
    if fits.len() == 1 { Some(fits[0]) } else { None }
}

/// Whether the rules here apply: a floating-point output, each tangent in its primal's dtype
/// with `batch_dims` leading dims over its primal's (another dtype, or an integer output,
/// takes the general path, which converts).
fn ruled(out: &Tensor, inputs: &[&Tensor], tans: &[Option<Tensor>], batch_dims: usize) -> bool {
    out.dtype().is_floating_point()
        && inputs.iter().zip(tans).all(|(i, t)| {
            t.as_ref().is_none_or(|t| t.dtype() == i.dtype() && t.dim() == i.dim() + batch_dims)
        })
}

/// `a + b` (or `a - b`) of two terms, either of them a zero tensor, in `shape` (the output's,
/// with the batch dim in front at a batched level): a lone term is spread to it, as adding a
/// zero tensor of that shape would.
fn sum2(shape: &[usize], a: Option<Tensor>, b: Option<Tensor>, minus: bool) -> Result<Option<Tensor>> {
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(spread(shape, if minus { a.sub(&b)? } else { a.add(&b)? })?),
        (Some(a), None) => Some(spread(shape, a)?),
        (None, Some(b)) => Some(spread(shape, if minus { b.neg()? } else { b })?),
        (None, None) => None,
    })
}

/// `t` in `shape` (broadcast and copied when it is smaller).
fn spread(shape: &[usize], t: Tensor) -> Result<Tensor> {
    if t.shape() == shape { Ok(t) } else { Ok(t.expand(shape)?.contiguous()) }
}

type Product<'a> = &'a dyn Fn(&Tensor, &Tensor) -> Result<Tensor>;

/// `left(a_t, b_p) + right(a_p, b_t)` for a bilinear product (both the op itself when
/// unbatched; a lone term already has the output's shape).
fn product(
    a: &Tensor,
    b: &Tensor,
    ta: &Option<Tensor>,
    tb: &Option<Tensor>,
    left: Product<'_>,
    right: Product<'_>,
) -> Result<Option<Tensor>> {
    let first = ta.as_ref().map(|t| left(t, b)).transpose()?;
    let second = tb.as_ref().map(|t| right(a, t)).transpose()?;
    Ok(match (first, second) {
        (Some(f), Some(s)) => Some(f.add(&s)?),
        (f, s) => f.or(s),
    })
}
