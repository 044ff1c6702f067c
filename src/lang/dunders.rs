//! Which container protocol methods the builtin and native types have, for `hasattr(x,
//! '__len__')` (d2l asks it of lists and arrays): the attribute lookup itself does not expose them.

use super::{Interpreter, Value};

/// Whether a native object's type defines the container dunder `name`: it does when the
/// object answers the protocol, even by raising (a 0-d tensor's `len()` raises, yet `Tensor`
/// has `__len__`).
fn native_has(interp: &mut Interpreter, v: &Value, name: &str) -> bool {
    let Value::Native(n) = v else { return false };
    match name {
        "__len__" => !matches!(n.len(interp), Ok(None)),
        "__iter__" => !matches!(n.iter(v, interp), Ok(None)),
        _ => false,
    }
}

/// Whether the type of `v` (builtin or native) defines the dunder `name`.
pub fn type_has(interp: &mut Interpreter, v: &Value, name: &str) -> bool {
    builtin_has(v, name) || native_has(interp, v, name)
}

/// Whether CPython's builtin type of `v` defines the dunder `name`.
fn builtin_has(v: &Value, name: &str) -> bool {
    let sequence = matches!(
        v,
        Value::List(_) | Value::Tuple(_) | Value::Str(_) | Value::Range(_)
    );
    let mapping = matches!(v, Value::Dict(_));
    let set = matches!(v, Value::Set(_));
    match name {
        "__len__" | "__iter__" | "__contains__" => sequence || mapping || set,
        "__getitem__" => sequence || mapping,
        "__setitem__" | "__delitem__" => mapping || matches!(v, Value::List(_)),
        _ => false,
    }
}
