//! In-place forms of out-of-place operations: tensor methods `x.exp_()`, `x.pow_(2)`, the
//! `inplace=True` argument of `F.relu` and its kin, `F.relu_`/`torch.relu_`, and activation
//! modules built with `inplace=True`.
//!
//! Each form computes its out-of-place counterpart and writes the result into the input
//! (`Tensor::assign_inplace`: PyTorch's shape and dtype checks, the version bump, and the
//! result's history adopted, so `grad_fn` names are PyTorch's: `relu_` gives ReluBackward0).
//! The leaf check runs first, as PyTorch's in-place ops refuse a leaf that requires grad before
//! computing anything.

use super::act_modules::FnActivation;
use super::class;
use super::convert::{as_tensor, exc};
use super::tensorfns::receiver;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// Tensor methods whose `name_` form writes `name`'s result into the receiver. Only
/// elementwise operations, whose result has the receiver's shape (view and shape operations
/// such as `t_` or `unsqueeze_` change metadata in place and are not among them).
const METHODS: &[&str] = &[
    "abs",
    "neg",
    "negative",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "rsqrt",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "sigmoid",
    "relu",
    "sign",
    "sgn",
    "floor",
    "ceil",
    "round",
    "trunc",
    "fix",
    "frac",
    "reciprocal",
    "square",
    "erf",
    "erfc",
    "erfinv",
    "logit",
    "nan_to_num",
    "deg2rad",
    "rad2deg",
    "sinc",
    "pow",
    "clamp_min",
    "clamp_max",
    "fmod",
    "remainder",
    "lerp",
    "atan2",
    "hypot",
    "xlogy",
    "true_divide",
    "floor_divide",
    "tril",
    "triu",
    "index_fill",
    "index_add",
    "index_copy",
    "masked_scatter",
    "scatter_reduce",
    "logical_not",
    "logical_and",
    "logical_or",
    "logical_xor",
    "bitwise_not",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "heaviside",
    "copysign",
    "lgamma",
    "digamma",
    "polygamma",
    "i0",
    "mvlgamma",
    "put",
    "index_reduce",
    "addmm",
    "addmv",
    "addbmm",
    "baddbmm",
    "addr",
];

/// `t.name_(...)` for the operations of [`METHODS`], and `t.detach_()`.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    if name == "detach_" {
        return Some(Value::method(this.clone(), "detach_", |_, args| {
            let [] = args.bind(&[])?;
            receiver(&args)?.detach_().map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }));
    }
    let Some(base) = name
        .strip_suffix('_')
        .and_then(|b| METHODS.iter().copied().find(|m| *m == b))
    else {
        return super::as_method::method(this, name);
    };
    let inner = super::tensor::method(this, base)?;
    Some(Value::method(this.clone(), name, move |interp, args| {
        let t = receiver(&args)?;
        let this = args.this.clone().unwrap_or(Value::None);
        let call = Args {
            fname: args.fname,
            this: None,
            pos: args.pos,
            kw: args.kw,
        };
        write_into(interp, &t, &inner, call)?;
        Ok(this)
    }))
}

/// `F.` functions with an `inplace` parameter, and its position.
const FUNCTIONAL: &[(&str, usize)] = &[
    ("relu", 1),
    ("relu6", 1),
    ("selu", 1),
    ("celu", 2),
    ("elu", 2),
    ("leaky_relu", 2),
    ("hardtanh", 3),
    ("hardswish", 1),
    ("hardsigmoid", 1),
    ("silu", 1),
    ("mish", 1),
    ("threshold", 3),
    ("dropout", 3),
    ("dropout1d", 3),
    ("dropout2d", 3),
    ("dropout3d", 3),
    ("alpha_dropout", 3),
];

/// `F.name_` / `torch.name_`: the function `name` (which has no `inplace` parameter of its
/// own there) applied in place.
const FUNCTIONAL_UNDERSCORE: &[&str] = &[
    "relu",
    "elu",
    "leaky_relu",
    "hardtanh",
    "selu",
    "celu",
    "threshold",
];

/// The input tensor of a call: `input=` or the first positional argument.
fn input_arg(args: &Args) -> Option<Value> {
    args.kw
        .iter()
        .find(|(k, _)| &**k == "input")
        .map(|(_, v)| v.clone())
        .or_else(|| args.pos.first().cloned())
}

/// Calls `f` and, when `inplace`, writes its result into the input and returns the input.
pub(super) fn call_inplace(
    interp: &mut Interpreter,
    f: &Value,
    args: Args,
    inplace: bool,
) -> R<Value> {
    if !inplace {
        return interp.call(f, args);
    }
    let input = input_arg(&args).ok_or_else(|| {
        Exception::type_error(format!(
            "{}() missing required argument 'input'",
            args.fname
        ))
    })?;
    let t = as_tensor(&input).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{}(): argument 'input' must be Tensor, not {}",
            args.fname,
            input.type_name()
        ))
    })?;
    write_into(interp, &t, f, args)?;
    Ok(input)
}

/// `t` overwritten by the result of `f(args)`: the leaf check first (PyTorch refuses before
/// computing anything), then the result written in with its history.
fn write_into(interp: &mut Interpreter, t: &Tensor, f: &Value, args: Args) -> R<()> {
    t.check_inplace().map_err(exc)?;
    let fname = args.fname.clone();
    let result = interp.call(f, args)?;
    let result = as_tensor(&result)
        .cloned()
        .ok_or_else(|| Exception::type_error(format!("{fname}() did not return a Tensor")))?;
    t.assign_inplace(result).map_err(exc)
}

/// Whether a call asks for `inplace` (by keyword or at position `pos`); the flag is removed
/// from `args`, as not every function it is passed on to binds it.
fn take_inplace(args: &mut Args, pos: usize) -> bool {
    let flag = args
        .kw
        .iter()
        .find(|(k, _)| &**k == "inplace")
        .map(|(_, v)| v)
        .or_else(|| args.pos.get(pos));
    let inplace = flag.is_some_and(truthy);
    args.kw.retain(|(k, _)| &**k != "inplace");
    args.pos.truncate(pos);
    inplace
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::None => false,
        _ => true,
    }
}

/// Wraps the functions of `F` (already installed) with their `inplace=True` behaviour and adds
/// the `F.name_` forms.
pub fn install_functional(m: &Module) {
    for &(name, pos) in FUNCTIONAL {
        let Some(f) = m.get(name) else { continue };
        m.set(
            name,
            Value::builtin(name, move |interp, mut args| {
                let inplace = take_inplace(&mut args, pos);
                call_inplace(interp, &f, args, inplace)
            }),
        );
    }
    for &name in FUNCTIONAL_UNDERSCORE {
        underscore(m, m, name);
    }
}

/// Adds `torch.name_` for the elementwise functions of `torch.` (and the activations of `F`
/// that `torch.` binds in place).
pub fn install_torch(torch: &Module, functional: &Module) {
    // `torch.name_` for the elementwise functions `torch.` has (the methods' list; a few
    // of these, `torch.pow_` say, PyTorch binds only as methods).
    for &name in METHODS {
        underscore(torch, torch, name);
    }
    for name in ["clamp", "clip"] {
        underscore(torch, torch, name);
    }
    for name in ["relu", "selu", "celu", "threshold"] {
        if torch.get(&format!("{name}_")).is_none() {
            underscore(torch, functional, name);
        }
    }
}

/// `into.name_` = `from.name` applied in place, if `from` has `name`.
fn underscore(into: &Module, from: &Module, name: &'static str) {
    let Some(f) = from.get(name) else { return };
    let uname = format!("{name}_");
    into.set(
        &uname,
        Value::builtin(&uname, move |interp, args| {
            call_inplace(interp, &f, args, true)
        }),
    );
}

/// Activation modules built with `inplace=True`: `nn.ReLU(inplace=True)` overwrites its input
/// and returns it. The class keeps its out-of-place construction otherwise.
const MODULES: &[(&str, &str, usize, bool)] = &[
    // (class, F function, position of `inplace` in the constructor, whether the repr says so)
    ("ReLU", "relu", 0, true),
    ("ReLU6", "relu6", 0, true),
    ("SELU", "selu", 0, true),
    ("CELU", "celu", 1, true),
    ("ELU", "elu", 1, true),
    ("LeakyReLU", "leaky_relu", 1, true),
    ("Hardtanh", "hardtanh", 2, true),
    ("SiLU", "silu", 0, true),
    ("Mish", "mish", 0, true),
    ("Hardswish", "hardswish", 0, false),
    ("Hardsigmoid", "hardsigmoid", 0, false),
    ("Threshold", "threshold", 2, true),
    ("Dropout", "dropout", 1, true),
];

/// Replaces the classes of [`MODULES`] in `nn` by ones that build an in-place module when asked.
pub fn install_modules(nn: &Module, functional: &Module) {
    for &(cls, fname, pos, shown) in MODULES {
        let (Some(orig), Some(f)) = (nn.get(cls), functional.get(fname)) else {
            continue;
        };
        nn.set(
            cls,
            class(cls, "torch.nn", move |interp, mut args| {
                if !take_inplace(&mut args, pos) {
                    return interp.call(&orig, args);
                }
                // The out-of-place module gives the repr's other arguments and checks them;
                // the same arguments are the function's.
                let (fpos, fkw) = (args.pos.clone(), args.kw.clone());
                let built = interp.call(&orig, args)?;
                let repr = built.repr();
                let inner = repr
                    .strip_prefix(cls)
                    .and_then(|r| r.strip_prefix('('))
                    .and_then(|r| r.strip_suffix(')'))
                    .unwrap_or("");
                let extra = match (shown, inner.is_empty()) {
                    (false, _) => inner.to_string(),
                    (true, _) if inner.contains("inplace=False") => {
                        inner.replace("inplace=False", "inplace=True")
                    }
                    (true, true) => "inplace=True".to_string(),
                    (true, false) => format!("{inner}, inplace=True"),
                };
                Ok(super::nn::ext_module(FnActivation {
                    name: cls,
                    extra,
                    f: f.clone(),
                    pos: fpos,
                    kw: fkw,
                    inplace: true,
                    pass_training: cls == "Dropout",
                }))
            }),
        );
    }
}
