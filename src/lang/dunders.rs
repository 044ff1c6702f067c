//! Which container protocol methods the builtin types have, for `hasattr(x, '__len__')` (d2l's
//! `to_tokens` asks it of a list): the attribute lookup itself does not expose them.

use super::Value;

/// Whether CPython's builtin type of `v` defines the dunder `name`.
pub fn builtin_has(v: &Value, name: &str) -> bool {
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
