//! The methods of `numpy.ndarray` (`reshape`, `astype`, reductions with `axis`/`keepdims`,
//! `tolist`, `item`, ...). The module's functions of the same names call these.

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::Tensor;

use super::array::{NdArray, R, array, as_array, convert, exc, result, tolist};
use super::ops::{self, Reduce};

fn receiver(args: &Args) -> R<Tensor> {
    Ok(args.this_native::<NdArray>()?.t.clone())
}

/// An `axis=` argument: None or an int (a tuple of axes is not supported).
pub fn axis_arg(v: Option<&Value>) -> R<Option<isize>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(Value::Tuple(_)) => Err(Exception::unsupported("a tuple of axes")),
        Some(v) => Ok(Some(int_of(v)? as isize)),
    }
}

/// An int argument, NumPy integer scalars included.
pub fn int_of(v: &Value) -> R<i64> {
    if let Some(a) = v.downcast::<NdArray>()
        && a.t.numel() == 1
        && !a.t.dtype().is_floating_point()
    {
        return Ok(a.t.item().map_err(exc)?.as_i64());
    }
    v.expect_int("int")
}

fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::None) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(i)) => *i != 0,
        Some(_) => true,
    }
}

/// A shape given as `f(2, 3)` or `f((2, 3))`, entries possibly -1.
pub fn shape_from(it: &mut Interpreter, pos: &[Value]) -> R<Vec<i64>> {
    let items = match pos {
        [v @ (Value::Tuple(_) | Value::List(_))] => it.iterate(v)?,
        other => other.to_vec(),
    };
    items.iter().map(int_of).collect()
}

/// `a.reshape(shape)` with NumPy's error for a wrong size.
pub fn reshape(t: &Tensor, shape: &[i64]) -> R<Tensor> {
    let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    let known: i64 = shape.iter().filter(|&&d| d >= 0).product();
    let fits = if shape.contains(&-1) {
        known != 0 && t.numel() as i64 % known == 0
    } else {
        known == t.numel() as i64
    };
    if !fits {
        return Err(Exception::value_error(format!(
            "cannot reshape array of size {} into shape {}",
            t.numel(),
            shape_tuple(shape)
        )));
    }
    t.reshape(&dims).map_err(exc)
}

fn shape_tuple(shape: &[i64]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A reduction method: `a.sum(axis=None, keepdims=False)`.
pub fn reduction(
    t: &Tensor,
    kind: Reduce,
    axis: Option<&Value>,
    keepdims: Option<&Value>,
) -> R<Value> {
    let r = ops::reduce(t, kind, axis_arg(axis)?, truthy(keepdims))?;
    Ok(result(r))
}

pub fn method(this: &Value, name: &str) -> Option<Value> {
    let m = |f: fn(&mut Interpreter, Args) -> R<Value>| Some(Value::method(this.clone(), name, f));
    match name {
        "reshape" => m(|it, args| {
            let t = receiver(&args)?;
            let shape = shape_from(it, &args.pos)?;
            Ok(array(reshape(&t, &shape)?))
        }),
        "astype" => m(|_, args| {
            let [dtype] = args.bind(&["dtype"])?;
            let d = super::dtype_of(dtype.as_ref().unwrap_or(&Value::None))?;
            let t = receiver(&args)?;
            Ok(array(convert(&t, d)?))
        }),
        "tolist" => m(|_, args| Ok(tolist(&receiver(&args)?))),
        "item" => m(|_, args| {
            let t = receiver(&args)?;
            if t.numel() != 1 {
                return Err(Exception::value_error(
                    "can only convert an array of size 1 to a Python scalar",
                ));
            }
            Ok(super::array::scalar_value(t.item().map_err(exc)?))
        }),
        "copy" => m(|_, args| Ok(array(receiver(&args)?.clone_tensor()))),
        "flatten" | "ravel" => m(|_, args| {
            let t = receiver(&args)?;
            Ok(array(t.reshape(&[-1]).map_err(exc)?.clone_tensor()))
        }),
        "transpose" => m(|it, args| {
            let t = receiver(&args)?;
            let axes = if args.pos.is_empty() {
                None
            } else {
                Some(
                    shape_from(it, &args.pos)?
                        .into_iter()
                        .map(|d| d as isize)
                        .collect(),
                )
            };
            Ok(array(ops::transpose(&t, axes)?))
        }),
        "squeeze" => m(|_, args| {
            let [axis] = args.bind(&["axis="])?;
            let t = receiver(&args)?;
            Ok(array(t.squeeze(axis_arg(axis.as_ref())?).map_err(exc)?))
        }),
        "fill" => m(|_, args| {
            let [v] = args.bind(&["value"])?;
            let t = receiver(&args)?;
            let s = super::array::py_scalar(v.as_ref().unwrap_or(&Value::None))
                .ok_or_else(|| Exception::type_error("fill() expects a number"))?;
            let src = super::array::build(super::array::scalar_elems(s), &[], t.dtype())?;
            ops::store(&t, &src, "fill")?;
            Ok(Value::None)
        }),
        "sum" | "prod" | "max" | "min" | "argmax" | "argmin" | "any" | "all" => {
            let kind = match name {
                "sum" => Reduce::Sum,
                "prod" => Reduce::Prod,
                "max" => Reduce::Max,
                "min" => Reduce::Min,
                "argmax" => Reduce::ArgMax,
                "argmin" => Reduce::ArgMin,
                "any" => Reduce::Any,
                _ => Reduce::All,
            };
            Some(Value::method(this.clone(), name, move |_, args| {
                let [axis, keepdims] = args.bind(&["axis=", "keepdims="])?;
                reduction(&receiver(&args)?, kind, axis.as_ref(), keepdims.as_ref())
            }))
        }
        "mean" => m(|_, args| {
            let [axis, keepdims] = args.bind(&["axis=", "keepdims="])?;
            Ok(result(ops::mean(
                &receiver(&args)?,
                axis_arg(axis.as_ref())?,
                truthy(keepdims.as_ref()),
            )?))
        }),
        "std" | "var" => {
            let sqrt = name == "std";
            Some(Value::method(this.clone(), name, move |_, args| {
                let [axis, ddof, keepdims] = args.bind(&["axis=", "ddof=", "keepdims="])?;
                let ddof = ddof.map_or(Ok(0.0), |d| d.expect_f64("ddof"))?;
                Ok(result(ops::var(
                    &receiver(&args)?,
                    axis_arg(axis.as_ref())?,
                    ddof,
                    truthy(keepdims.as_ref()),
                    sqrt,
                )?))
            }))
        }
        "cumsum" => m(|_, args| {
            let [axis] = args.bind(&["axis="])?;
            Ok(array(super::funcs::cumsum(
                &receiver(&args)?,
                axis_arg(axis.as_ref())?,
            )?))
        }),
        "round" => m(|_, args| {
            let [decimals] = args.bind(&["decimals="])?;
            let d = decimals.map_or(Ok(0), |d| d.expect_int("decimals"))?;
            Ok(result(ops::round(&receiver(&args)?, d as i32)?))
        }),
        "clip" => m(|it, args| {
            let [lo, hi] = args.bind(&["min=", "max="])?;
            let t = receiver(&args)?;
            super::funcs::clip(it, &t, lo.as_ref(), hi.as_ref())
        }),
        "dot" => m(|it, args| {
            let [other] = args.bind(&["b"])?;
            let b = ops::operand(it, other.as_ref().unwrap_or(&Value::None))?
                .ok_or_else(|| Exception::type_error("dot() expects an array"))?;
            Ok(result(ops::binary(
                ops::NpOp::MatMul,
                &ops::Operand::Array(receiver(&args)?),
                &b,
            )?))
        }),
        "__array__" => m(|_, args| Ok(array(receiver(&args)?))),
        "trace" => m(|_, args| {
            let [offset] = args.bind(&["offset="])?;
            super::shaping::trace(&receiver(&args)?, offset.map_or(Ok(0), |v| int_of(&v))?)
        }),
        "sort" => m(|_, args| {
            let [axis] = args.bind(&["axis="])?;
            super::sorting::sort_in_place(&receiver(&args)?, axis.map_or(Ok(-1), |v| int_of(&v))?)?;
            Ok(Value::None)
        }),
        "argsort" => m(|_, args| {
            let [axis] = args.bind(&["axis="])?;
            let axis = match axis {
                Some(Value::None) => None,
                v => Some(v.map_or(Ok(-1), |v| int_of(&v))?),
            };
            Ok(array(super::sorting::argsort(&receiver(&args)?, axis)?))
        }),
        "cumprod" => m(|_, args| {
            let [axis] = args.bind(&["axis="])?;
            Ok(array(super::funcs::cumulate(&receiver(&args)?, axis_arg(axis.as_ref())?, true)?))
        }),
        "nonzero" => m(|_, args| super::funcs::nonzero(&receiver(&args)?)),
        _ => None,
    }
}

/// The tensor of an array argument, converting lists and numbers.
pub fn array_arg(it: &mut Interpreter, v: &Value) -> R<Tensor> {
    match as_array(v) {
        Some(t) => Ok(t.clone()),
        None => super::array::from_py(it, v, None),
    }
}
