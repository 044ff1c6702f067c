//! Forward mode through a custom `torch.autograd.Function`: inside a dual level, when an
//! input has a tangent, the class's `jvp(ctx, *tangents)` staticmethod gives the output's
//! tangent (PyTorch never derives it from `forward`).

use super::convert::{as_tensor, exc, tv};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::Tensor;
use crate::tensor::forward_ad as fwd;

type R<T> = Result<T, Exception>;

/// The output tangent `jvp` gives, when some tensor argument has a tangent at the innermost
/// level; `None` otherwise. A Function without `jvp` is an error then, as in PyTorch.
pub(super) fn tangent_of(
    interp: &mut Interpreter,
    cls: &Value,
    ctx: &Value,
    args: &[Value],
    out: &Value,
) -> R<Option<(u64, Tensor)>> {
    if !fwd::active() {
        return Ok(None);
    }
    let Some(level) = fwd::current_level() else {
        return Ok(None);
    };
    let mut any = false;
    let mut tangents = Vec::with_capacity(args.len() + 1);
    tangents.push(ctx.clone());
    for a in args {
        let t = match as_tensor(a) {
            Some(x) => fwd::tangent(x, level).map_err(exc)?,
            None => None,
        };
        any |= t.is_some();
        tangents.push(match (t, as_tensor(a)) {
            (Some(t), _) => tv(t),
            // A tensor input without a tangent gets zeros, as PyTorch materializes them.
            (None, Some(x)) => tv(x.zeros_like()),
            (None, None) => Value::None,
        });
    }
    if !any {
        return Ok(None);
    }
    let jvp = match interp.get_attr(cls, "jvp") {
        Ok(f) => f,
        Err(_) => {
            return Err(Exception::new(
                "NotImplementedError",
                "You must implement the jvp function for custom autograd.Function to use it with forward mode AD.",
            ));
        }
    };
    let r = fwd::suspended(|| interp.call_positional(&jvp, tangents))?;
    let r = match &r {
        Value::Tuple(items) if items.len() == 1 => items[0].clone(),
        _ => r,
    };
    let Some(t) = as_tensor(&r).cloned() else {
        return Err(Exception::unsupported(format!(
            "a custom Function's jvp returning {} (one tensor is supported)",
            r.type_name()
        )));
    };
    if let Some(o) = as_tensor(out)
        && o.shape() != t.shape()
    {
        return Err(Exception::runtime_error(format!(
            "Trying to set a forward gradient that has a different size than that of the original Tensor, this is not supported. Tensor is of size {:?} while the given forward gradient is of size {:?}.",
            o.shape(),
            t.shape()
        )));
    }
    Ok(Some((level, t)))
}

/// `out` with the tangent `jvp` gave (a tensor output only).
pub(super) fn attach(out: Value, tangent: Option<(u64, Tensor)>) -> R<Value> {
    if let (Some((level, t)), Some(o)) = (tangent, as_tensor(&out)) {
        fwd::set_tangent(o, level, t);
    }
    Ok(out)
}
