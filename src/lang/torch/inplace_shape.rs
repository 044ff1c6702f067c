//! The in-place shape methods `t_`, `transpose_`, `unsqueeze_`, `squeeze_` and `resize_`:
//! argument parsing over the engine's `Tensor::shape_inplace`; each returns its receiver.

use super::convert::{dims_args, exc};
use super::tensorfns::receiver;
use crate::lang::{Exception, Value};
use crate::tensor::ShapeOp;

const NAMES: &[&str] = &["t_", "transpose_", "unsqueeze_", "squeeze_", "resize_"];

/// `t.name(...)` for the methods above, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let name: &'static str = NAMES.iter().copied().find(|n| *n == name)?;
    Some(Value::method(this.clone(), name, move |interp, args| {
        let t = receiver(&args)?;
        let op = match name {
            "t_" => {
                let [] = args.bind(&[])?;
                ShapeOp::T
            }
            "transpose_" => {
                let [a, b] = args.bind(&["dim0", "dim1"])?;
                let int = |v: Option<Value>, n: &str| -> Result<isize, Exception> {
                    Ok(v.ok_or_else(|| {
                        Exception::type_error(format!(
                            "transpose_() missing required argument '{n}'"
                        ))
                    })?
                    .expect_int(n)? as isize)
                };
                ShapeOp::Transpose(int(a, "dim0")?, int(b, "dim1")?)
            }
            "unsqueeze_" => {
                let [d] = args.bind(&["dim"])?;
                let d = d.ok_or_else(|| {
                    Exception::type_error("unsqueeze_() missing required argument 'dim' (pos 1)")
                })?;
                ShapeOp::Unsqueeze(d.expect_int("dim")? as isize)
            }
            "squeeze_" => {
                let [d] = args.bind(&["dim="])?;
                match d {
                    None | Some(Value::None) => ShapeOp::Squeeze(None, false),
                    Some(Value::Int(i)) => ShapeOp::Squeeze(Some(vec![i as isize]), false),
                    Some(v) => {
                        ShapeOp::Squeeze(Some(dims_args(interp, std::slice::from_ref(&v))?), true)
                    }
                }
            }
            _ => {
                let dims = dims_args(interp, &args.pos)?;
                if let Some(&bad) = dims.iter().find(|&&d| d < 0) {
                    return Err(Exception::runtime_error(format!(
                        "Trying to create tensor with negative dimension {bad}: {dims:?}"
                    )));
                }
                ShapeOp::Resize(dims.into_iter().map(|d| d as usize).collect())
            }
        };
        t.shape_inplace(op).map_err(exc)?;
        Ok(args.this.clone().unwrap_or(Value::None))
    }))
}
