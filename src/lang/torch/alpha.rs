//! `torch.add`/`torch.sub` and `Tensor.add`/`Tensor.sub` with their `alpha=` keyword: with a
//! tensor `other` they run the engine's fused `add_alpha` (ATen's `a + alpha * b` kernel; `sub`
//! is `add` with `-alpha`), without `alpha` the plain operators. Also the deprecated overloads
//! PyTorch 2.15 still accepts with the scalar first (`add_(Number alpha, Tensor other)`,
//! `addcmul_(Number value, Tensor t1, Tensor t2)`): PyTorch warns on stderr only, which a
//! lesson's output does not show.

use super::convert::{as_scalar, as_tensor, exc, f64_arg, tv};
use super::tensor::{PyTensor, binary};
use crate::lang::ast::BinOp;
use crate::lang::native::Args;
use crate::lang::{Exception, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

fn op_of(name: &str) -> BinOp {
    if name == "sub" {
        BinOp::Sub
    } else {
        BinOp::Add
    }
}

/// `t op alpha * other` where `t` is a tensor.
fn apply(name: &'static str, t: &Tensor, other: &Value, alpha: Option<&Value>) -> R<Value> {
    let alpha = match alpha {
        Some(a) if !matches!(a, Value::None) => Some(f64_arg(Some(a), 1.0, "alpha")?),
        _ => None,
    };
    let signed = |a: f64| if name == "sub" { -a } else { a };
    let r = match (alpha, as_tensor(other)) {
        (Some(a), Some(o)) => Some(t.add_alpha(o, signed(a)).map_err(exc)?),
        (Some(a), None) => match as_scalar(other) {
            Some(s) => binary(t, BinOp::Add, &Value::Float(signed(a) * s.as_f64()), false)?,
            None => None,
        },
        (None, _) => binary(t, op_of(name), other, false)?,
    };
    r.map(tv).ok_or_else(|| {
        Exception::type_error(format!(
            "{name}(): argument 'other' must be Tensor or Number, not {}",
            other.type_name()
        ))
    })
}

fn is_number(v: &Value) -> bool {
    matches!(v, Value::Int(_) | Value::Float(_) | Value::Bool(_))
}

/// A call in a deprecated scalar-first form, rewritten to the current signature: positional
/// `(Number, Tensor x tensors)` after the first `skip` positional arguments becomes those
/// tensors with the number as keyword `kw` (`alpha` or `value`). None for any other call.
pub(super) fn scalar_first(args: &Args, skip: usize, tensors: usize, kw: &str) -> Option<Args> {
    let pos = &args.pos;
    if pos.len() != skip + 1 + tensors || !is_number(&pos[skip]) || args.kw.iter().any(|(k, _)| &**k == kw) {
        return None;
    }
    if !pos[skip + 1..].iter().all(|v| as_tensor(v).is_some()) {
        return None;
    }
    let mut new_pos = pos[..skip].to_vec();
    new_pos.extend_from_slice(&pos[skip + 1..]);
    let mut new_kw = args.kw.clone();
    new_kw.push((kw.into(), pos[skip].clone()));
    Some(Args { fname: args.fname.clone(), this: args.this.clone(), pos: new_pos, kw: new_kw })
}

/// `torch.add(input, other, *, alpha=1)` and `torch.sub`.
pub(super) fn alpha_fn(name: &'static str) -> Value {
    Value::builtin(name, move |_, args| {
        let args = scalar_first(&args, 1, 1, "alpha").unwrap_or(args);
        let [a, b, alpha] = args.bind(&["input", "other", "*", "alpha="])?;
        let (a, b) = (a.unwrap_or(Value::None), b.unwrap_or(Value::None));
        match (as_tensor(&a), as_tensor(&b)) {
            (Some(t), _) => apply(name, t, &b, alpha.as_ref()),
            // A number on the left: `torch.add(2, t)` is `2 + t`.
            (None, Some(t)) if alpha.is_none() => {
                binary(t, op_of(name), &a, true)?.map(tv).ok_or_else(|| {
                    Exception::type_error(format!(
                        "{name}(): argument 'input' (position 1) must be Tensor, not {}",
                        a.type_name()
                    ))
                })
            }
            _ => Err(Exception::type_error(format!(
                "{name}(): argument 'input' (position 1) must be Tensor, not {}",
                a.type_name()
            ))),
        }
    })
}

/// `t.add(other, *, alpha=1)` and `t.sub`.
pub(super) fn alpha_method(this: &Value, name: &'static str) -> Value {
    Value::method(this.clone(), name, move |_, args: Args| {
        let args = scalar_first(&args, 0, 1, "alpha").unwrap_or(args);
        let [other, alpha] = args.bind(&["other", "*", "alpha="])?;
        let t = args.this_native::<PyTensor>()?.0.clone();
        apply(name, &t, &other.unwrap_or(Value::None), alpha.as_ref())
    })
}
