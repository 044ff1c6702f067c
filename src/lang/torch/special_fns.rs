//! `torch.special`'s own functions (digamma/psi, polygamma, multigammaln, the modified Bessel
//! `i0`/`i0e`/`i1`/`i1e`, `ndtr`, `ndtri`, `log_ndtr`, `erfcx`, `entr`, `xlog1py`, `zeta`,
//! `bessel_j0`/`bessel_j1`) and their `torch.`/`Tensor.` spellings (`torch.digamma`,
//! `torch.polygamma`, `torch.i0`, `torch.mvlgamma`, `torch.lgamma` with its gradient), over the
//! engine's `special_ops.rs`.

use super::R;
use super::convert::{as_scalar, as_tensor, exc, tensor_param_at, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Scalar, Special, Tensor};

/// The one-argument functions: `torch.special` name, engine op, and whether `torch.` has it too.
const UNARY: &[(&str, Special, bool)] = &[
    ("digamma", Special::Digamma, true),
    ("psi", Special::Digamma, false),
    ("gammaln", Special::Lgamma, false),
    ("i0", Special::I0, true),
    ("i0e", Special::I0e, false),
    ("i1", Special::I1, false),
    ("i1e", Special::I1e, false),
    ("ndtri", Special::Ndtri, false),
    ("log_ndtr", Special::LogNdtr, false),
    ("erfcx", Special::Erfcx, false),
    ("entr", Special::Entr, false),
    ("bessel_j0", Special::BesselJ0, false),
    ("bessel_j1", Special::BesselJ1, false),
];

/// Tensor methods this file answers (in-place forms go through `inplace.rs`).
const METHODS: &[&str] = &["digamma", "i0", "lgamma", "polygamma", "mvlgamma"];

fn int_arg(v: Option<&Value>, fname: &str, arg: &str, pos: usize) -> R<i64> {
    match v {
        Some(Value::Int(n)) => Ok(*n),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        other => Err(Exception::type_error(format!(
            "{fname}(): argument '{arg}' (position {pos}) must be int, not {}",
            other.map_or("NoneType".to_string(), Value::type_name)
        ))),
    }
}

/// The two operands of a binary special function: a Python number becomes a 0-d tensor of
/// the other operand's float dtype (a wrapped number does not promote).
fn binary_args(
    a: Option<&Value>,
    b: Option<&Value>,
    fname: &str,
    names: [&str; 2],
) -> R<(Tensor, Tensor)> {
    let float_of = |t: &Tensor| {
        if t.dtype() == DType::Float64 {
            DType::Float64
        } else {
            DType::Float32
        }
    };
    match (a.and_then(as_tensor), b.and_then(as_tensor)) {
        (Some(x), Some(y)) => Ok((x.clone(), y.clone())),
        (Some(x), None) => match b.and_then(as_scalar) {
            Some(s) => Ok((
                x.clone(),
                Tensor::scalar(Scalar::Float(s.as_f64()), float_of(x)),
            )),
            None => Err(tensor_param_at(b, fname, names[1], 2).unwrap_err()),
        },
        (None, Some(y)) => match a.and_then(as_scalar) {
            Some(s) => Ok((
                Tensor::scalar(Scalar::Float(s.as_f64()), float_of(y)),
                y.clone(),
            )),
            None => Err(tensor_param_at(a, fname, names[0], 1).unwrap_err()),
        },
        (None, None) => Err(tensor_param_at(a, fname, names[0], 1).unwrap_err()),
    }
}

fn polygamma(_: &mut Interpreter, args: Args, fname: &str) -> R<Value> {
    let [n, input] = args.bind(&["n", "input"])?;
    let n = int_arg(n.as_ref(), fname, "n", 1)?;
    let t = tensor_param_at(input.as_ref(), fname, "input", 2)?;
    t.polygamma(n).map(tv).map_err(exc)
}

fn mvlgamma(_: &mut Interpreter, args: Args, fname: &str) -> R<Value> {
    let [input, p] = args.bind(&["input", "p"])?;
    let t = tensor_param_at(input.as_ref(), fname, "input", 1)?;
    let p = int_arg(p.as_ref(), fname, "p", 2)?;
    t.mvlgamma(p).map(tv).map_err(exc)
}

/// Adds the functions to `torch` and `special` (the `torch.special` module).
pub fn install(torch: &Module, special: &Module) {
    for &(name, op, in_torch) in UNARY {
        // PyTorch names the special form `special_<name>` in its argument errors.
        let f = |prefix: &'static str| {
            Value::builtin(name, move |_, args| {
                let [input] = args.bind(&["input"])?;
                match input.as_ref().and_then(as_tensor) {
                    Some(t) => t.special(op).map(tv).map_err(exc),
                    None => Err(
                        tensor_param_at(input.as_ref(), &format!("{prefix}{name}"), "input", 1)
                            .unwrap_err(),
                    ),
                }
            })
        };
        if in_torch {
            torch.set(name, f(""));
        }
        special.set(name, f("special_"));
    }
    torch.set(
        "lgamma",
        Value::builtin("lgamma", |_, args| {
            let [input] = args.bind(&["input"])?;
            let t = tensor_param_at(input.as_ref(), "lgamma", "input", 1)?;
            t.special(Special::Lgamma).map(tv).map_err(exc)
        }),
    );
    special.set(
        "ndtr",
        Value::builtin("ndtr", |_, args| {
            let [input] = args.bind(&["input"])?;
            tensor_param_at(input.as_ref(), "special_ndtr", "input", 1)?
                .ndtr()
                .map(tv)
                .map_err(exc)
        }),
    );
    torch.set(
        "polygamma",
        Value::builtin("polygamma", |i, a| polygamma(i, a, "polygamma")),
    );
    special.set(
        "polygamma",
        Value::builtin("polygamma", |i, a| polygamma(i, a, "special_polygamma")),
    );
    torch.set(
        "mvlgamma",
        Value::builtin("mvlgamma", |i, a| mvlgamma(i, a, "mvlgamma")),
    );
    special.set(
        "multigammaln",
        Value::builtin("multigammaln", |i, a| {
            mvlgamma(i, a, "special_multigammaln")
        }),
    );
    special.set(
        "xlog1py",
        Value::builtin("xlog1py", |_, args| {
            let [a, b] = args.bind(&["input", "other"])?;
            let (x, y) = binary_args(a.as_ref(), b.as_ref(), "special_xlog1py", ["self", "other"])?;
            x.xlog1py(&y).map(tv).map_err(exc)
        }),
    );
    special.set(
        "zeta",
        Value::builtin("zeta", |_, args| {
            let [a, b] = args.bind(&["input", "other"])?;
            let (x, q) = binary_args(a.as_ref(), b.as_ref(), "special_zeta", ["self", "other"])?;
            x.zeta(&q).map(tv).map_err(exc)
        }),
    );
}

/// `t.digamma()`, `t.i0()`, `t.lgamma()`, `t.polygamma(n)`, `t.mvlgamma(p)`.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let name: &'static str = METHODS.iter().copied().find(|n| *n == name)?;
    Some(Value::method(this.clone(), name, move |_, args| {
        let t = tensor_param_at(args.this.as_ref(), name, "self", 0)?;
        let op = match name {
            "digamma" => Some(Special::Digamma),
            "i0" => Some(Special::I0),
            "lgamma" => Some(Special::Lgamma),
            _ => None,
        };
        if let Some(op) = op {
            let [] = args.bind(&[])?;
            return t.special(op).map(tv).map_err(exc);
        }
        let [k] = args.bind(&[if name == "polygamma" { "n" } else { "p" }])?;
        let k = int_arg(
            k.as_ref(),
            name,
            if name == "polygamma" { "n" } else { "p" },
            1,
        )?;
        let r = if name == "polygamma" {
            t.polygamma(k)
        } else {
            t.mvlgamma(k)
        };
        r.map(tv).map_err(exc)
    }))
}
