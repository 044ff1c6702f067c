//! `torch.dist(input, other, p=2)` and `Tensor.dist`.

use super::convert::{as_tensor, exc, f64_arg, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

fn dist(a: &Tensor, other: Option<Value>, p: Option<Value>) -> R<Value> {
    let other = other.unwrap_or(Value::None);
    let b = as_tensor(&other).ok_or_else(|| {
        Exception::type_error(format!(
            "dist(): argument 'other' (position 2) must be Tensor, not {}",
            other.type_name()
        ))
    })?;
    let p = f64_arg(p.as_ref(), 2.0, "p")?;
    Ok(tv(a.dist(b, p).map_err(exc)?))
}

/// Adds `torch.dist`.
pub fn install(m: &Module) {
    m.set(
        "dist",
        Value::builtin("dist", |_, args: Args| {
            let [a, b, p] = args.bind(&["input", "other", "p="])?;
            let a = a.unwrap_or(Value::None);
            let t = as_tensor(&a).ok_or_else(|| {
                Exception::type_error(format!(
                    "dist(): argument 'input' (position 1) must be Tensor, not {}",
                    a.type_name()
                ))
            })?;
            dist(t, b, p)
        }),
    );
}

/// `t.dist(other, p=2)`, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    (name == "dist").then(|| {
        Value::method(this.clone(), "dist", |_, args| {
            let [b, p] = args.bind(&["other", "p="])?;
            let t = super::tensorfns::receiver(&args)?;
            dist(&t, b, p)
        })
    })
}
