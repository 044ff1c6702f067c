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
    let t = match fwd::batch_size(level) {
        None => call_jvp(interp, &jvp, tangents)?,
        Some(batch) => {
            // `jacfwd`'s batched level: PyTorch runs the Function under `vmap`, which needs
            // PyTorch 2's style and vmap support; with it, `jvp` sees one row at a time.
            vmap_support(interp, cls)?;
            let mut rows = Vec::with_capacity(batch);
            for k in 0..batch {
                let row: Vec<Value> = tangents
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match (i, as_tensor(v)) {
                        (0, _) | (_, None) => Ok(v.clone()),
                        (_, Some(t)) if t.dim() > 0 && t.shape()[0] == batch && as_tensor(&args[i - 1]).is_some_and(|x| x.dim() + 1 == t.dim()) => {
                            t.select(0, k as i64).map(tv).map_err(exc)
                        }
                        _ => Ok(v.clone()),
                    })
                    .collect::<R<_>>()?;
                rows.push(call_jvp(interp, &jvp, row)?);
            }
            Tensor::stack(&rows, 0).map_err(exc)?
        }
    };
    let t = match (fwd::batch_size(level), as_tensor(out)) {
        (Some(_), Some(o)) if t.dim() == o.dim() + 1 && t.shape()[1..] == o.shape()[..] => {
            return Ok(Some((level, t)));
        }
        _ => t,
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

/// Calls a Function's `jvp` with `tangents` (ctx first) and returns its one tensor.
fn call_jvp(interp: &mut Interpreter, jvp: &Value, tangents: Vec<Value>) -> R<Tensor> {
    let r = fwd::suspended(|| interp.call_positional(jvp, tangents))?;
    let r = match &r {
        Value::Tuple(items) if items.len() == 1 => items[0].clone(),
        _ => r,
    };
    as_tensor(&r).cloned().ok_or_else(|| {
        Exception::unsupported(format!(
            "a custom Function's jvp returning {} (one tensor is supported)",
            r.type_name()
        ))
    })
}

/// PyTorch's checks before it runs a Function under `vmap`: `setup_context` defined (PyTorch
/// 2's style), and `generate_vmap_rule = True` or a `vmap` staticmethod.
fn vmap_support(interp: &mut Interpreter, cls: &Value) -> R<()> {
    if interp.get_attr(cls, "setup_context").is_err() {
        return Err(Exception::runtime_error(
            "In order to use an autograd.Function with functorch transforms (vmap, grad, jvp, jacrev, ...), it must override the setup_context staticmethod. For more details, please see https://pytorch.org/docs/main/notes/extending.func.html",
        ));
    }
    let generated = match interp.get_attr(cls, "generate_vmap_rule") {
        Ok(v) => interp.truthy(&v)?,
        Err(_) => false,
    };
    if !generated && interp.get_attr(cls, "vmap").is_err() {
        let name = match cls {
            Value::Type(t) => t.name.to_string(),
            _ => "Function".into(),
        };
        return Err(Exception::runtime_error(format!(
            "You tried to vmap over {name}, but it does not have vmap support. Please override and implement the vmap staticmethod or set generate_vmap_rule=True. For more details, please see https://pytorch.org/docs/main/notes/extending.func.html"
        )));
    }
    Ok(())
}
