//! Tensor API that tutorials take for granted: sampling (`multinomial`, `exponential_`) and the
//! smaller torch functions bound here rather than in the crowded `mod.rs`/`tensor.rs`.

use super::convert::{as_tensor, bool_arg, exc, tv};
use super::R;
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{self as engine, Tensor};

/// Adds this file's functions to the `torch` module.
pub fn install(m: &Module) {
    m.set("multinomial", Value::builtin("multinomial", |_, args| {
        let [input, n, replacement, _gen] = args.bind(&["input", "num_samples", "replacement=", "*", "generator="])?;
        let t = tensor_param(input.as_ref(), "multinomial", "input", 1)?;
        multinomial(&args, &t, n, replacement)
    }));
}

/// The tensor methods bound here, or None when `name` is not one of them.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "multinomial" => Value::method(this.clone(), "multinomial", |_, args| {
            let [n, replacement, _gen] = args.bind(&["num_samples", "replacement=", "*", "generator="])?;
            let t = receiver(&args)?;
            multinomial(&args, &t, n, replacement)
        }),
        "exponential_" => Value::method(this.clone(), "exponential_", |_, args| {
            let [lambd, _gen] = args.bind(&["lambd=", "*", "generator="])?;
            let t = receiver(&args)?;
            let lambd = super::convert::f64_arg(lambd.as_ref(), 1.0, "lambd")?;
            let g = super::generator_arg(&args)?;
            engine::exponential_(&t, &mut g.borrow_mut(), lambd).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        _ => return None,
    })
}

fn multinomial(args: &Args, t: &Tensor, n: Option<Value>, replacement: Option<Value>) -> R<Value> {
    let n = match n {
        Some(Value::Int(i)) => i,
        Some(Value::Bool(b)) => i64::from(b),
        other => {
            return Err(Exception::type_error(format!(
                "multinomial(): argument 'num_samples' (position 2) must be int, not {}",
                other.as_ref().map_or("NoneType".to_string(), Value::type_name)
            )))
        }
    };
    let g = super::generator_arg(args)?;
    let r = engine::multinomial(&mut g.borrow_mut(), t, n, bool_arg(replacement.as_ref(), false)).map_err(exc)?;
    Ok(tv(r))
}

/// The tensor a method was called on.
fn receiver(args: &Args) -> R<Tensor> {
    args.this.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("descriptor needs a Tensor"))
}

/// A required tensor parameter, with PyTorch's TypeError naming it.
fn tensor_param(v: Option<&Value>, fname: &str, param: &str, pos: usize) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument '{param}' (position {pos}) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}
