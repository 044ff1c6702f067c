//! `torch.cross(input, other, dim=None)` and `Tensor.cross`: with no `dim`, the first
//! dimension of size 3 (PyTorch's deprecated default, which it warns about on stderr); and
//! `torch.linalg.cross`, whose `dim` defaults to -1.

use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

fn cross(a: &Tensor, other: Option<Value>, dim: Option<Value>) -> R<Value> {
    let other = other.unwrap_or(Value::None);
    let b = as_tensor(&other).ok_or_else(|| {
        Exception::type_error(format!(
            "cross(): argument 'other' (position 2) must be Tensor, not {}",
            other.type_name()
        ))
    })?;
    let dim = match dim {
        None | Some(Value::None) => a.cross_default_dim(b).map_err(exc)? as isize,
        Some(v) => v.expect_int("dim")? as isize,
    };
    Ok(tv(a.cross(b, dim).map_err(exc)?))
}

/// Adds `torch.cross`.
pub fn install(m: &Module) {
    m.set(
        "cross",
        Value::builtin("cross", |_, args: Args| {
            let [a, b, dim] = args.bind(&["input", "other", "dim="])?;
            let a = a.unwrap_or(Value::None);
            let t = as_tensor(&a).ok_or_else(|| {
                Exception::type_error(format!(
                    "cross(): argument 'input' (position 1) must be Tensor, not {}",
                    a.type_name()
                ))
            })?;
            cross(t, b, dim)
        }),
    );
}

/// Adds `torch.linalg.cross(input, other, *, dim=-1)`.
pub fn install_linalg(linalg: &Module) {
    linalg.set(
        "cross",
        Value::builtin("cross", |_, args: Args| {
            let [a, b, dim, _out] = args.bind(&["input", "other", "*", "dim=", "out="])?;
            let a = a.unwrap_or(Value::None);
            let t = as_tensor(&a).ok_or_else(|| {
                Exception::type_error(format!(
                    "linalg_cross(): argument 'input' (position 1) must be Tensor, not {}",
                    a.type_name()
                ))
            })?;
            cross(t, b, Some(dim.unwrap_or(Value::Int(-1))))
        }),
    );
}

/// `t.cross(other, dim=None)`, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    (name == "cross").then(|| {
        Value::method(this.clone(), "cross", |_, args| {
            let [b, dim] = args.bind(&["other", "dim="])?;
            let t = super::tensorfns::receiver(&args)?;
            cross(&t, b, dim)
        })
    })
}
