//! The legacy typed tensor constructors `torch.FloatTensor`, `torch.LongTensor`, ... (one per
//! dtype), which older tutorials still call, and `isinstance(t, torch.LongTensor)`; and
//! `torch.solve`, removed from PyTorch, which raises PyTorch's error naming its replacement.

use super::convert::{as_tensor, shape_args, tensor_from_data, tv};
use super::{R, class};
use crate::lang::{Exception, Interpreter, Module, Value, native::Args};
use crate::tensor::{DType, Tensor};

/// The dtypes that have a legacy type, named `torch.<scalar name>Tensor` (`Float`, `Long`, ...).
const DTYPES: [DType; 10] = [
    DType::Float32,
    DType::Float64,
    DType::Int64,
    DType::Bool,
    DType::Int32,
    DType::Int16,
    DType::Int8,
    DType::UInt8,
    DType::Float16,
    DType::BFloat16,
];

/// Sets `torch.FloatTensor` and the others on the `torch` module.
pub fn install(m: &Module) {
    for d in DTYPES {
        let name = format!("{}Tensor", d.scalar_name());
        m.set(
            &name,
            class(&name, "torch", move |interp, args| {
                construct(interp, &args, d)
            }),
        );
    }
    m.set("solve", Value::builtin("solve", |_, _| Err(Exception::runtime_error(SOLVE_REMOVED))));
}

/// What PyTorch 2's `torch.solve` raises (the parametrizations tutorial still calls it).
const SOLVE_REMOVED: &str = "This function was deprecated since version 1.9 and is now removed. `torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has its arguments reversed and does not return the LU factorization.\n\nTo get the LU factorization see `torch.lu`, which can be used with `torch.lu_solve` or `torch.lu_unpack`.\nX = torch.solve(B, A).solution should be replaced with:\nX = torch.linalg.solve(A, B)";

/// `isinstance(t, torch.LongTensor)` holds for a CPU tensor of that dtype, as in PyTorch.
pub fn is_instance(type_name: &str, dtype: DType) -> bool {
    type_name.strip_suffix("Tensor") == Some(dtype.scalar_name())
}

/// PyTorch's `new()` overloads as the legacy constructors take them: nothing (an empty
/// tensor), sizes (a tensor of that shape; PyTorch leaves it uninitialised, here it is zeros),
/// a tensor of the same dtype (the same tensor) or data (copied as that dtype).
fn construct(interp: &mut Interpreter, args: &Args, d: DType) -> R<Value> {
    if let Some((k, _)) = args.kw.iter().find(|(k, _)| &**k != "device") {
        return Err(Exception::type_error(format!(
            "new() received an invalid combination of arguments - got an unexpected keyword argument '{k}'"
        )));
    }
    if let Some((_, dev)) = args.kw.iter().find(|(k, _)| &**k == "device") {
        super::device::check_device(Some(dev))?;
    }
    match &args.pos[..] {
        [] => Ok(tv(Tensor::zeros(&[0], d))),
        [t] if as_tensor(t).is_some() => {
            let t = as_tensor(t)
                .cloned()
                .unwrap_or_else(|| Tensor::zeros(&[0], d));
            if t.dtype() == d {
                Ok(tv(t))
            } else {
                Err(Exception::type_error(format!(
                    "expected {} (got {})",
                    d.scalar_name(),
                    t.dtype().scalar_name()
                )))
            }
        }
        [Value::Str(_)] => Err(Exception::type_error("new(): invalid data type 'str'")),
        [v] if v.as_int().is_none() || matches!(v, Value::Bool(_)) => {
            Ok(tv(tensor_from_data(interp, v, Some(d))?))
        }
        dims => {
            let shape = shape_args(interp, dims, &format!("{}Tensor", d.scalar_name()))?;
            Ok(tv(Tensor::zeros(&shape, d)))
        }
    }
}
