//! The lesson's default floating dtype: `torch.set_default_dtype`, `get_default_dtype` and
//! `set_default_tensor_type`, and the casts that make integer operands of float-producing ops
//! land in it as PyTorch's do.
//!
//! The dtype is lesson state, held by the language on the lesson's thread beside the default
//! generator (`DEFAULT_RNG`) and reset when torch is installed; the engine never reads it. The
//! bindings pass it to the engine's factories and layer constructors as their `dtype`, and to
//! the printer through its `PrintOptions`, the one place `_tensor_str.py` reads it.

use std::cell::Cell;

use super::R;
use super::convert::{dtype_arg, dtype_value, exc};
use crate::lang::{Exception, Module, Value};
use crate::tensor::{self as engine, DType, Scalar, Tensor};

thread_local! {
    static DEFAULT: Cell<DType> = const { Cell::new(DType::Float32) };
}

/// The dtype a floating tensor gets when nothing names one (`torch.get_default_dtype()`).
pub(crate) fn default_dtype() -> DType {
    DEFAULT.with(Cell::get)
}

/// Makes `d` the default dtype, for the factories and for the printer.
pub(crate) fn set_default_dtype(d: DType) {
    DEFAULT.with(|c| c.set(d));
    let mut o = engine::print_options();
    o.default_dtype = d;
    engine::set_print_options(o);
}

/// A new lesson starts with float32 (print options are reset by `install` beside this).
pub(super) fn reset() {
    DEFAULT.with(|c| c.set(DType::Float32));
}

/// The dtype a Python number takes as a tensor of its own (a float: the default dtype).
pub(crate) fn scalar_dtype(s: Scalar) -> DType {
    match s {
        Scalar::Float(_) => default_dtype(),
        s => s.wrapped_dtype(),
    }
}

/// `dtype` if given, else the default one.
pub(crate) fn or_default(dtype: Option<DType>) -> DType {
    dtype.unwrap_or_else(default_dtype)
}

/// `t` in the default dtype when it is an integer or bool tensor an op is about to turn into
/// floats: the engine promotes those to float32, PyTorch to the default dtype. The result is
/// the same as computing in the default dtype, since PyTorch casts the operand first too.
pub(crate) fn float_input(t: &Tensor) -> R<Tensor> {
    let d = default_dtype();
    if d == DType::Float32 || t.dtype().is_floating_point() {
        return Ok(t.clone());
    }
    t.to_dtype(d).map_err(exc)
}

/// The elementwise functions whose integer inputs give floats (`torch.sqrt(ints)`).
pub(crate) fn makes_floats(name: &str) -> bool {
    const NAMES: [&str; 24] = [
        "exp",
        "log",
        "log10",
        "log2",
        "sqrt",
        "rsqrt",
        "sin",
        "cos",
        "tan",
        "sigmoid",
        "tanh",
        "asin",
        "acos",
        "atan",
        "sinh",
        "cosh",
        "asinh",
        "acosh",
        "atanh",
        "expm1",
        "log1p",
        "erf",
        "erfc",
        "reciprocal",
    ];
    NAMES.contains(&name)
}

/// PyTorch's message for a non-floating default.
const NOT_FLOATING: &str = "only floating-point types are supported as the default type";

/// Sets `set_default_dtype`, `get_default_dtype` and `set_default_tensor_type` on `torch`.
pub fn install(m: &Module) {
    m.set(
        "set_default_dtype",
        Value::builtin("set_default_dtype", |_, args| {
            let [d] = args.bind(&["d"])?;
            match dtype_arg(d.as_ref())? {
                Some(d) if d.is_floating_point() => {
                    set_default_dtype(d);
                    Ok(Value::None)
                }
                Some(_) => Err(Exception::type_error(NOT_FLOATING)),
                None => Err(Exception::type_error(
                    "set_default_dtype(): argument 'd' must be torch.dtype",
                )),
            }
        }),
    );
    m.set(
        "get_default_dtype",
        Value::builtin("get_default_dtype", |_, args| {
            let [] = args.bind(&[])?;
            Ok(dtype_value(default_dtype()))
        }),
    );
    // `torch.set_default_tensor_type(torch.DoubleTensor)` or its name as a string: the dtype
    // of the legacy type (deprecated in PyTorch, which warns to stderr).
    m.set(
        "set_default_tensor_type",
        Value::builtin("set_default_tensor_type", |_, args| {
            let [t] = args.bind(&["t"])?;
            let t = t.unwrap_or(Value::None);
            let name = match &t {
                Value::Str(s) => s.to_string(),
                Value::Type(ty) => format!("torch.{}", ty.name),
                other => {
                    return Err(Exception::type_error(format!(
                        "invalid type object: {}",
                        other.type_name()
                    )));
                }
            };
            match super::convert::dtype_from_type_name(&name) {
                Some(d) if d.is_floating_point() => {
                    set_default_dtype(d);
                    Ok(Value::None)
                }
                Some(_) => Err(Exception::type_error(NOT_FLOATING)),
                None => Err(Exception::type_error(format!("invalid type: '{name}'"))),
            }
        }),
    );
}
