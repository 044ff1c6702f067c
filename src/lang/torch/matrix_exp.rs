//! `torch.matrix_exp`, `torch.linalg.matrix_exp` and `Tensor.matrix_exp` (engine:
//! `tensor/matrix_exp.rs`, ATen's Taylor polynomials with scaling and squaring).

use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};

type R<T> = Result<T, Exception>;

fn matrix_exp(fname: &str, v: Option<Value>) -> R<Value> {
    let v = v.unwrap_or(Value::None);
    let t = as_tensor(&v).ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument 'input' (position 1) must be Tensor, not {}",
            v.type_name()
        ))
    })?;
    Ok(tv(t.matrix_exp().map_err(exc)?))
}

/// Adds `torch.matrix_exp` and `torch.linalg.matrix_exp`.
pub fn install(m: &Module, linalg: &Module) {
    m.set(
        "matrix_exp",
        Value::builtin("matrix_exp", |_, args: Args| {
            let [a] = args.bind(&["input"])?;
            matrix_exp("matrix_exp", a)
        }),
    );
    linalg.set(
        "matrix_exp",
        Value::builtin("matrix_exp", |_, args: Args| {
            let [a] = args.bind(&["A"])?;
            matrix_exp("linalg_matrix_exp", a)
        }),
    );
}

/// `t.matrix_exp()`, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    (name == "matrix_exp").then(|| {
        Value::method(this.clone(), "matrix_exp", |_, args| {
            let [] = args.bind(&[])?;
            let t = super::tensorfns::receiver(&args)?;
            Ok(tv(t.matrix_exp().map_err(exc)?))
        })
    })
}
