//! `torch.as_tensor(data, dtype=None, device=None)`: a tensor or a NumPy array is returned
//! without a copy when it already has the dtype (a NumPy array shares its memory, as with
//! `from_numpy`), converted otherwise; other data is read as `torch.tensor` reads it.

use super::convert::{as_tensor, dtype_arg, exc, tensor_from_data, tv};
use crate::lang::{Exception, Module, Value};

/// Adds `as_tensor` to `torch`.
pub fn register(m: &Module) {
    m.set(
        "as_tensor",
        Value::builtin("as_tensor", |interp, args| {
            let [data, dtype, _device] = args.bind(&["data", "dtype=", "device="])?;
            let data = data.unwrap_or(Value::None);
            let dtype = dtype_arg(dtype.as_ref())?;
            // A tensor of the asked dtype is the same object.
            if let Some(t) = as_tensor(&data) {
                return match dtype {
                    Some(d) if d != t.dtype() => Ok(tv(t.to_dtype(d).map_err(exc)?)),
                    _ => Ok(data.clone()),
                };
            }
            if let Some(t) = crate::lang::numpy::to_tensor(&data) {
                return Ok(tv(match dtype {
                    Some(d) if d != t.dtype() => t.to_dtype(d).map_err(exc)?,
                    _ => t,
                }));
            }
            if data.is_none() {
                return Err(Exception::runtime_error(
                    "Could not infer dtype of NoneType",
                ));
            }
            Ok(tv(tensor_from_data(interp, &data, dtype)?))
        }),
    );
}
