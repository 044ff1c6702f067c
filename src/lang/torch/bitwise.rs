//! The bitwise operators and functions of tensors: `&`, `|`, `^`, `~`, `<<`, `>>` (and their
//! augmented forms, which write into the left tensor as PyTorch's `__iand__` does),
//! `torch.bitwise_and`/`or`/`xor`/`not`/`left_shift`/`right_shift` and the same methods.

use super::convert::{as_scalar, as_tensor, exc, tv};
use crate::lang::ast::BinOp;
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{BitOp, Tensor};

type R<T> = Result<T, Exception>;

/// The functions (and methods) of this file with the operation each is.
const FUNCTIONS: [(&str, BitOp); 5] = [
    ("bitwise_and", BitOp::And),
    ("bitwise_or", BitOp::Or),
    ("bitwise_xor", BitOp::Xor),
    ("bitwise_left_shift", BitOp::Shl),
    ("bitwise_right_shift", BitOp::Shr),
];

fn bit_op(op: BinOp) -> Option<BitOp> {
    Some(match op {
        BinOp::BitAnd => BitOp::And,
        BinOp::BitOr => BitOp::Or,
        BinOp::BitXor => BitOp::Xor,
        BinOp::LShift => BitOp::Shl,
        BinOp::RShift => BitOp::Shr,
        _ => return None,
    })
}

/// `a op b` for a tensor `a` and a bitwise operator; None when `op` is not one or `b` is
/// neither a tensor nor a number (Python then tries the other operand).
pub fn binary(a: &Tensor, op: BinOp, b: &Value, reflected: bool) -> R<Option<Tensor>> {
    let Some(op) = bit_op(op) else {
        return Ok(None);
    };
    let r = if let Some(t) = as_tensor(b) {
        if reflected {
            t.bitwise_tensor(a, op)
        } else {
            a.bitwise_tensor(t, op)
        }
    } else if let Some(s) = as_scalar(b) {
        a.bitwise_scalar(s, op, reflected)
    } else {
        return Ok(None);
    };
    r.map(Some).map_err(exc)
}

/// `a op= b`: the result written into `a` (PyTorch's checks: its shape must hold the
/// broadcast result and its dtype the promoted one). False when `op` is not bitwise.
pub fn in_place(a: &Tensor, op: BinOp, b: &Value) -> R<bool> {
    if bit_op(op).is_none() {
        return Ok(false);
    }
    let Some(r) = binary(a, op, b, false)? else {
        return Ok(false);
    };
    if r.dtype() != a.dtype() {
        return Err(Exception::runtime_error(format!(
            "result type {} can't be cast to the desired output type {}",
            r.dtype().scalar_name(),
            a.dtype().scalar_name()
        )));
    }
    a.assign_inplace(r).map_err(exc)?;
    Ok(true)
}

/// `~t`.
pub fn invert(t: &Tensor) -> R<Value> {
    match t.bitwise_not() {
        Ok(r) => Ok(tv(r)),
        Err(_) => Err(Exception::type_error(
            "~ (operator.invert) is only implemented on integer and Boolean-type tensors",
        )),
    }
}

/// `f(input, other)` where either may be a number, at least one a tensor.
fn call(fname: &str, op: BitOp, a: Option<Value>, b: Option<Value>) -> R<Value> {
    let (a, b) = (a.unwrap_or(Value::None), b.unwrap_or(Value::None));
    let r = match (as_tensor(&a), as_tensor(&b)) {
        (Some(x), Some(y)) => x.bitwise_tensor(y, op),
        (Some(x), None) => match as_scalar(&b) {
            Some(s) => x.bitwise_scalar(s, op, false),
            None => return Err(arg_error(fname, "other", &b)),
        },
        (None, Some(y)) => match as_scalar(&a) {
            Some(s) => y.bitwise_scalar(s, op, true),
            None => return Err(arg_error(fname, "input", &a)),
        },
        (None, None) => return Err(arg_error(fname, "input", &a)),
    };
    Ok(tv(r.map_err(exc)?))
}

fn arg_error(fname: &str, name: &str, v: &Value) -> Exception {
    Exception::type_error(format!(
        "{fname}(): argument '{name}' must be Tensor, not {}",
        v.type_name()
    ))
}

/// Adds the functions to `torch`.
pub fn install(m: &Module) {
    for (name, op) in FUNCTIONS {
        m.set(
            name,
            Value::builtin(name, move |_, args: Args| {
                let [a, b] = args.bind(&["input", "other"])?;
                call(name, op, a, b)
            }),
        );
    }
    m.set(
        "bitwise_not",
        Value::builtin("bitwise_not", |_, args: Args| {
            let [a] = args.bind(&["input"])?;
            let a = a.unwrap_or(Value::None);
            let t = as_tensor(&a).ok_or_else(|| arg_error("bitwise_not", "input", &a))?;
            Ok(tv(t.bitwise_not().map_err(exc)?))
        }),
    );
}

/// The methods `t.bitwise_and(other)`, ..., `t.bitwise_not()`, or None.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    if name == "bitwise_not" {
        return Some(Value::method(this.clone(), "bitwise_not", |_, args| {
            let [] = args.bind(&[])?;
            let t = super::tensorfns::receiver(&args)?;
            Ok(tv(t.bitwise_not().map_err(exc)?))
        }));
    }
    let &(name, op) = FUNCTIONS.iter().find(|(n, _)| *n == name)?;
    Some(Value::method(this.clone(), name, move |_, args| {
        let [b] = args.bind(&["other"])?;
        let t = super::tensorfns::receiver(&args)?;
        call(name, op, Some(tv(t)), b)
    }))
}
