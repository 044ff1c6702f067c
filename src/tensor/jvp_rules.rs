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
    // A tangent in another dtype than its primal (or an integer output) takes the general
    // path, which converts.
    if !out.dtype().is_floating_point()
        || inputs
            .iter()
            .zip(tans)
            .any(|(i, t)| t.as_ref().is_some_and(|t| t.dtype() != i.dtype()))
    {
        return None;
    }
    let r = match (name, inputs, tans) {
        (_, [x], [Some(t)]) if ELEMENTWISE.contains(&name) && x.shape() == out.shape() => {
            backward(t, &[true]).map(|mut g| g.swap_remove(0))
        }
        // add: self_t + other_t; sub: self_t - other_t (alpha is folded into the op's formula,
        // not supported here: those ops record other names).
        ("AddBackward0", [_, _], [a, b]) => sum2(out, a.clone(), b.clone(), false),
        ("SubBackward0", [_, _], [a, b]) => sum2(out, a.clone(), b.clone(), true),
        // mul: other_t * self_p + self_t * other_p
        ("MulBackward0", [x, y], [tx, ty]) => {
            let first = ty.as_ref().map(|t| t.mul(x)).transpose();
            let second = tx.as_ref().map(|t| t.mul(y)).transpose();
            first.and_then(|f| second.and_then(|s| sum2(out, f, s, false)))
        }
        // mm: self_t.mm(mat2_p) + self_p.mm(mat2_t); mv and dot alike.
        ("MmBackward0", [a, b], [ta, tb]) => product(out, a, b, ta, tb, Tensor::mm),
        ("MvBackward0", [a, b], [ta, tb]) => product(out, a, b, ta, tb, Tensor::mv),
        ("DotBackward0", [a, b], [ta, tb]) => product(out, a, b, ta, tb, Tensor::dot),
        // addmm: self_t + mat1_t.mm(mat2_p) + mat1_p.mm(mat2_t), left to right.
        ("AddmmBackward0", [_, x, w], [tb, tx, tw]) => {
            let p = product(out, x, w, tx, tw, Tensor::mm);
            p.and_then(|p| match (tb, p) {
                (Some(tb), Some(p)) => tb.add(&p).map(Some),
                (Some(tb), None) => spread(out, tb).map(Some),
                (None, p) => Ok(p),
            })
        }
        _ => return None,
    };
    Some(r)
}

/// `a + b` (or `a - b`) of two terms, either of them a zero tensor; a lone term is spread to
/// the output's shape, as adding a zero tensor of that shape would.
fn sum2(out: &Tensor, a: Option<Tensor>, b: Option<Tensor>, minus: bool) -> Result<Option<Tensor>> {
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(if minus { a.sub(&b)? } else { a.add(&b)? }),
        (Some(a), None) => Some(spread(out, &a)?),
        (None, Some(b)) => Some(spread(out, &if minus { b.neg()? } else { b })?),
        (None, None) => None,
    })
}

/// `t` in `out`'s shape (broadcast and copied when it is smaller).
fn spread(out: &Tensor, t: &Tensor) -> Result<Tensor> {
    if t.shape() == out.shape() {
        Ok(t.clone())
    } else {
        Ok(t.expand(&out.shape())?.contiguous())
    }
}

/// `f(a_t, b_p) + f(a_p, b_t)` for a bilinear product `f`.
fn product(
    out: &Tensor,
    a: &Tensor,
    b: &Tensor,
    ta: &Option<Tensor>,
    tb: &Option<Tensor>,
    f: fn(&Tensor, &Tensor) -> Result<Tensor>,
) -> Result<Option<Tensor>> {
    let first = ta.as_ref().map(|t| f(t, b)).transpose()?;
    let second = tb.as_ref().map(|t| f(a, t)).transpose()?;
    sum2(out, first, second, false)
}
