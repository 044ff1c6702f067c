//! Tensor methods and `torch.` functions that write along a dimension at listed indices:
//! `index_add` (with `alpha=`), `index_copy`, `index_fill`, `masked_scatter` and
//! `scatter_reduce`. Their in-place `name_` forms come from `inplace.rs`, which writes these
//! results into the receiver.

use super::convert::{as_scalar, as_tensor, exc, tv};
use super::convert::tensor_param;
use super::tensorfns::receiver;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{FillValue, Reduce, Scalar};

type R<T> = Result<T, Exception>;

/// The names bound here, as methods and as `torch.` functions.
const NAMES: &[&str] = &[
    "index_add",
    "index_copy",
    "index_fill",
    "masked_scatter",
    "scatter_reduce",
];

fn dim_arg(v: Option<Value>) -> R<isize> {
    Ok(v.map_or(Ok(0), |v| v.expect_int("dim"))? as isize)
}

/// `t.name(...)` for the operations above, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let name: &'static str = NAMES.iter().copied().find(|n| *n == name)?;
    Some(Value::method(this.clone(), name, move |interp, args| {
        let t = receiver(&args)?;
        let r = match name {
            "index_add" => {
                let [dim, index, source, alpha] =
                    args.bind(&["dim", "index", "source", "*", "alpha="])?;
                let d = dim_arg(dim)?;
                let i = tensor_param(index.as_ref(), name, "index")?;
                let s = tensor_param(source.as_ref(), name, "source")?;
                let alpha = match alpha {
                    None => Scalar::Int(1),
                    Some(a) => as_scalar(&a).ok_or_else(|| {
                        Exception::type_error(format!(
                            "index_add(): argument 'alpha' must be Number, not {}",
                            a.type_name()
                        ))
                    })?,
                };
                t.index_add_alpha(d, &i, &s, alpha)
            }
            "index_copy" => {
                let [dim, index, source] = args.bind(&["dim", "index", "source"])?;
                let i = tensor_param(index.as_ref(), name, "index")?;
                let s = tensor_param(source.as_ref(), name, "source")?;
                t.index_copy(dim_arg(dim)?, &i, &s)
            }
            "index_fill" => {
                let [dim, index, value] = args.bind(&["dim", "index", "value"])?;
                let i = tensor_param(index.as_ref(), name, "index")?;
                let v = value.unwrap_or(Value::None);
                let fill = match (as_tensor(&v), as_scalar(&v)) {
                    (Some(vt), _) => FillValue::Tensor(vt),
                    (None, Some(s)) => FillValue::Scalar(s),
                    _ => {
                        return Err(Exception::type_error(format!(
                            "index_fill() received an invalid combination of arguments - got (int, Tensor, {})",
                            v.type_name()
                        )));
                    }
                };
                t.index_fill(dim_arg(dim)?, &i, fill)
            }
            "masked_scatter" => {
                let [mask, source] = args.bind(&["mask", "source"])?;
                let m = tensor_param(mask.as_ref(), name, "mask")?;
                let s = tensor_param(source.as_ref(), name, "source")?;
                t.masked_scatter(&m, &s)
            }
            _ => {
                let [dim, index, src, reduce, include_self] =
                    args.bind(&["dim", "index", "src", "reduce", "*", "include_self="])?;
                let i = tensor_param(index.as_ref(), name, "index")?;
                let s = tensor_param(src.as_ref(), name, "src")?;
                let red = match &reduce {
                    Some(Value::Str(r)) => Reduce::parse(r).map_err(exc)?,
                    other => {
                        return Err(Exception::type_error(format!(
                            "scatter_reduce(): argument 'reduce' (position 4) must be str, not {}",
                            other
                                .as_ref()
                                .map_or("NoneType".to_string(), |v| v.type_name())
                        )));
                    }
                };
                let include = interp.truthy(&include_self.unwrap_or(Value::Bool(true)))?;
                t.scatter_reduce(dim_arg(dim)?, &i, &s, red, include)
            }
        };
        Ok(tv(r.map_err(exc)?))
    }))
}

/// `torch.index_add(input, ...)` and the rest: the method on `input`.
pub fn install(m: &Module) {
    for &name in NAMES {
        m.set(
            name,
            Value::builtin(name, move |interp, mut args| {
                let input = match args.kw.iter().position(|(k, _)| &**k == "input") {
                    Some(k) => args.kw.remove(k).1,
                    None if !args.pos.is_empty() => args.pos.remove(0),
                    None => {
                        return Err(Exception::type_error(format!(
                            "{name}() missing required argument 'input' (pos 1)"
                        )));
                    }
                };
                let t = as_tensor(&input).cloned().ok_or_else(|| {
                    Exception::type_error(format!(
                        "{name}(): argument 'input' (position 1) must be Tensor, not {}",
                        input.type_name()
                    ))
                })?;
                let f = method(&tv(t), name).ok_or_else(|| Exception::type_error(name))?;
                interp.call(&f, args)
            }),
        );
    }
}
