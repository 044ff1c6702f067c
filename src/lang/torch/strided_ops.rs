//! `as_strided`, `torch.empty_strided`/`new_empty_strided`, `put`/`put_`, `index_reduce`/
//! `index_reduce_` (their in-place forms through `inplace.rs`), over the engine's
//! `strided_ops.rs`.

use super::R;
use super::convert::{bool_arg, dim_list, dtype_arg, exc, tensor_param_at, tv};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor};

/// A size or stride argument: a tuple, list or `torch.Size` of ints.
fn int_list(
    interp: &mut Interpreter,
    v: Option<&Value>,
    fname: &str,
    arg: &str,
    pos: usize,
) -> R<Vec<i64>> {
    match v {
        None | Some(Value::None) => Err(Exception::type_error(format!(
            "{fname}(): argument '{arg}' (position {pos}) must be tuple of ints, not NoneType"
        ))),
        v => Ok(dim_list(interp, v)?
            .unwrap_or_default()
            .into_iter()
            .map(|d| d as i64)
            .collect()),
    }
}

fn sizes(v: &[i64]) -> R<Vec<usize>> {
    v.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                Exception::runtime_error(format!(
                    "Trying to create tensor with negative dimension {d}: {v:?}"
                ))
            })
        })
        .collect()
}

fn as_strided(
    interp: &mut Interpreter,
    t: &Tensor,
    size: Option<&Value>,
    stride: Option<&Value>,
    offset: Option<&Value>,
) -> R<Value> {
    let size = sizes(&int_list(interp, size, "as_strided", "size", 2)?)?;
    let stride = int_list(interp, stride, "as_strided", "stride", 3)?;
    let offset = match offset {
        None | Some(Value::None) => None,
        Some(v) => Some(
            usize::try_from(v.expect_int("storage_offset")?)
                .map_err(|_| Exception::runtime_error("Tensor: invalid storage offset"))?,
        ),
    };
    t.as_strided(&size, &stride, offset).map(tv).map_err(exc)
}

fn empty_strided(
    interp: &mut Interpreter,
    size: Option<&Value>,
    stride: Option<&Value>,
    dtype: DType,
    requires_grad: bool,
    fname: &str,
) -> R<Value> {
    let size = sizes(&int_list(interp, size, fname, "size", 1)?)?;
    let stride = int_list(interp, stride, fname, "stride", 2)?;
    let t = Tensor::empty_strided(&size, &stride, dtype).map_err(exc)?;
    if requires_grad {
        t.set_requires_grad(true).map_err(exc)?;
    }
    Ok(tv(t))
}

fn put(
    t: &Tensor,
    index: Option<&Value>,
    source: Option<&Value>,
    accumulate: Option<&Value>,
) -> R<Value> {
    let index = tensor_param_at(index, "put", "index", 1)?;
    let source = tensor_param_at(source, "put", "source", 2)?;
    t.put(&index, &source, bool_arg(accumulate, false))
        .map(tv)
        .map_err(exc)
}

fn index_reduce(
    t: &Tensor,
    dim: Option<&Value>,
    index: Option<&Value>,
    source: Option<&Value>,
    reduce: Option<&Value>,
    include_self: Option<&Value>,
) -> R<Value> {
    let dim = dim.map_or(Ok(0), |d| d.expect_int("dim"))? as isize;
    let index = tensor_param_at(index, "index_reduce", "index", 2)?;
    let source = tensor_param_at(source, "index_reduce", "source", 3)?;
    let reduce = match reduce {
        Some(Value::Str(s)) => s.to_string(),
        other => {
            return Err(Exception::type_error(format!(
                "index_reduce(): argument 'reduce' (position 4) must be str, not {}",
                other.map_or("NoneType".to_string(), Value::type_name)
            )));
        }
    };
    t.index_reduce(dim, &index, &source, &reduce, bool_arg(include_self, true))
        .map(tv)
        .map_err(exc)
}

/// Adds the `torch.` functions.
pub fn install(m: &Module) {
    m.set(
        "as_strided",
        Value::builtin("as_strided", |interp, args| {
            let [input, size, stride, offset] =
                args.bind(&["input", "size", "stride", "storage_offset="])?;
            let t = tensor_param_at(input.as_ref(), "as_strided", "input", 1)?;
            as_strided(interp, &t, size.as_ref(), stride.as_ref(), offset.as_ref())
        }),
    );
    m.set(
        "empty_strided",
        Value::builtin("empty_strided", |interp, args| {
            let [size, stride, dtype, _layout, _device, rg, _pin] = args.bind(&[
                "size",
                "stride",
                "*",
                "dtype=",
                "layout=",
                "device=",
                "requires_grad=",
                "pin_memory=",
            ])?;
            let dtype = super::or_default(dtype_arg(dtype.as_ref())?);
            empty_strided(
                interp,
                size.as_ref(),
                stride.as_ref(),
                dtype,
                bool_arg(rg.as_ref(), false),
                "empty_strided",
            )
        }),
    );
    m.set(
        "put",
        Value::builtin("put", |_, args| {
            let [input, index, source, acc] =
                args.bind(&["input", "index", "source", "accumulate="])?;
            put(
                &tensor_param_at(input.as_ref(), "put", "input", 1)?,
                index.as_ref(),
                source.as_ref(),
                acc.as_ref(),
            )
        }),
    );
    m.set(
        "index_reduce",
        Value::builtin("index_reduce", |_, args| {
            let [input, dim, index, source, reduce, inc] = args.bind(&[
                "input",
                "dim",
                "index",
                "source",
                "reduce",
                "*",
                "include_self=",
            ])?;
            let t = tensor_param_at(input.as_ref(), "index_reduce", "input", 1)?;
            index_reduce(
                &t,
                dim.as_ref(),
                index.as_ref(),
                source.as_ref(),
                reduce.as_ref(),
                inc.as_ref(),
            )
        }),
    );
}

/// `t.as_strided`, `t.new_empty_strided`, `t.put`, `t.index_reduce`.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let name: &'static str = ["as_strided", "new_empty_strided", "put", "index_reduce"]
        .into_iter()
        .find(|n| *n == name)?;
    Some(Value::method(this.clone(), name, move |interp, args| {
        let t = tensor_param_at(args.this.as_ref(), name, "self", 0)?;
        match name {
            "as_strided" => {
                let [size, stride, offset] = args.bind(&["size", "stride", "storage_offset="])?;
                as_strided(interp, &t, size.as_ref(), stride.as_ref(), offset.as_ref())
            }
            "new_empty_strided" => {
                let [size, stride, dtype, _layout, _device, rg, _pin] = args.bind(&[
                    "size",
                    "stride",
                    "*",
                    "dtype=",
                    "layout=",
                    "device=",
                    "requires_grad=",
                    "pin_memory=",
                ])?;
                let dtype = dtype_arg(dtype.as_ref())?.unwrap_or(t.dtype());
                empty_strided(
                    interp,
                    size.as_ref(),
                    stride.as_ref(),
                    dtype,
                    bool_arg(rg.as_ref(), false),
                    "new_empty_strided",
                )
            }
            "put" => {
                let [index, source, acc] = args.bind(&["index", "source", "accumulate="])?;
                put(&t, index.as_ref(), source.as_ref(), acc.as_ref())
            }
            _ => {
                let [dim, index, source, reduce, inc] =
                    args.bind(&["dim", "index", "source", "reduce", "*", "include_self="])?;
                index_reduce(
                    &t,
                    dim.as_ref(),
                    index.as_ref(),
                    source.as_ref(),
                    reduce.as_ref(),
                    inc.as_ref(),
                )
            }
        }
    }))
}
