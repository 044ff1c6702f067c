//! Shape functions tutorials reach for beyond split/chunk/cat: `tensor_split` and
//! `hsplit`/`vsplit`/`dsplit`, `atleast_1d/2d/3d`, `broadcast_tensors`, `cartesian_prod`,
//! `broadcast_shapes`, `combinations`, `msort`, `squeeze` with a tuple of dims, and `index_put`/`index_put_`
//! (with `accumulate=True`), all as views and ops the engine already has.

use super::R;
use super::convert::{as_tensor, bool_arg, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{Index, IndexValue, Scalar, Tensor};

/// Adds the functions to `torch`.
pub fn install(m: &Module) {
    m.set(
        "tensor_split",
        Value::builtin("tensor_split", |interp, args| {
            let [input, ios, dim] = args.bind(&["input", "indices_or_sections", "dim="])?;
            let t = tensor_of(input.as_ref(), "tensor_split")?;
            let d = dim.map_or(Ok(0), |d| d.expect_int("dim"))?;
            tensor_split(interp, &t, ios.as_ref(), d, None)
        }),
    );
    for (name, dim, min_dim) in [("hsplit", 1, 1), ("vsplit", 0, 2), ("dsplit", 2, 3)] {
        m.set(
            name,
            Value::builtin(name, move |interp, args| {
                let [input, ios] = args.bind(&["input", "indices_or_sections"])?;
                let t = tensor_of(input.as_ref(), name)?;
                directional_split(interp, &t, ios.as_ref(), name, dim, min_dim)
            }),
        );
    }
    for (name, n) in [("atleast_1d", 1), ("atleast_2d", 2), ("atleast_3d", 3)] {
        m.set(
            name,
            Value::builtin(name, move |interp, args| {
                let (items, single) = tensor_list(interp, &args, name)?;
                let out = items
                    .iter()
                    .map(|t| atleast(t, n).map(tv))
                    .collect::<R<Vec<_>>>()?;
                Ok(if single {
                    out.into_iter().next().unwrap_or(Value::None)
                } else {
                    Value::tuple(out)
                })
            }),
        );
    }
    m.set(
        "broadcast_tensors",
        Value::builtin("broadcast_tensors", |interp, args| {
            let (items, _) = tensor_list(interp, &args, "broadcast_tensors")?;
            let mut shape: Vec<usize> = Vec::new();
            for t in &items {
                shape = broadcast(&shape, &t.shape())?;
            }
            let out = items
                .iter()
                .map(|t| t.expand(&shape).map(tv).map_err(exc))
                .collect::<R<Vec<_>>>()?;
            Ok(Value::tuple(out))
        }),
    );
    m.set("broadcast_shapes", Value::builtin("broadcast_shapes", |interp, args| {
        let mut shape: Vec<usize> = Vec::new();
        for (k, v) in args.pos.iter().enumerate() {
            let s: Vec<usize> = match v {
                Value::Int(n) => vec![(*n).max(0) as usize],
                v => interp.iterate(v)?.iter().map(|d| d.expect_int("shape").map(|d| d.max(0) as usize)).collect::<R<_>>()?,
            };
            shape = broadcast(&shape, &s).map_err(|_| {
                // PyTorch names the first mismatching dim from the right and the argument.
                let at = (1..=s.len().min(shape.len()))
                    .find(|&i| {
                        let (x, y) = (shape[shape.len() - i], s[s.len() - i]);
                        x != y && x != 1 && y != 1
                    })
                    .unwrap_or(1);
                let dims: Vec<String> = s.iter().map(|d| d.to_string()).collect();
                let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
                Exception::runtime_error(format!(
                    "Attempting to broadcast a dimension of length {} at -{at}! Mismatching argument at index {k} had {tuple}; but expected shape should be broadcastable to {shape:?}",
                    s[s.len() - at]
                ))
            })?;
        }
        Ok(Value::native(super::convert::PySize(shape)))
    }));
    m.set(
        "cartesian_prod",
        Value::builtin("cartesian_prod", |interp, args| {
            let (items, _) = tensor_list(interp, &args, "cartesian_prod")?;
            for t in &items {
                if t.dim() != 1 {
                    return Err(Exception::runtime_error(format!(
                        "Expect a 1D vector, but got shape {:?}",
                        t.shape()
                    )));
                }
            }
            if items.len() == 1 {
                return Ok(tv(items[0].clone()));
            }
            let shape: Vec<usize> = items.iter().map(|t| t.numel()).collect();
            let mut cols = Vec::with_capacity(items.len());
            for (i, t) in items.iter().enumerate() {
                let mut view = vec![1isize; items.len()];
                view[i] = -1;
                let grid = t
                    .reshape(&view)
                    .and_then(|v| v.expand(&shape))
                    .map_err(exc)?;
                cols.push(grid.reshape(&[-1]).map_err(exc)?);
            }
            Ok(tv(Tensor::stack(&cols, 1).map_err(exc)?))
        }),
    );
    m.set(
        "combinations",
        Value::builtin("combinations", |_, args| {
            let [input, r, with_replacement] = args.bind(&["input", "r=", "with_replacement="])?;
            let t = tensor_of(input.as_ref(), "combinations")?;
            let r = r.map_or(Ok(2), |v| v.expect_int("r"))?;
            combinations(&t, r, bool_arg(with_replacement.as_ref(), false))
        }),
    );
    m.set(
        "msort",
        Value::builtin("msort", |_, args| {
            let [input] = args.bind(&["input"])?;
            let t = tensor_of(input.as_ref(), "msort")?;
            if t.dim() == 0 {
                return Ok(tv(t));
            }
            Ok(tv(t.sort_dim(0, false, None).map_err(exc)?.0))
        }),
    );
    m.set(
        "index_put",
        Value::builtin("index_put", |interp, args| {
            let [input, indices, values, accumulate] =
                args.bind(&["input", "indices", "values", "accumulate="])?;
            let t = tensor_of(input.as_ref(), "index_put")?.clone_tensor();
            index_put(
                interp,
                &t,
                indices.as_ref(),
                values.as_ref(),
                bool_arg(accumulate.as_ref(), false),
            )?;
            Ok(tv(t))
        }),
    );
}

/// The tensor methods of this file.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "tensor_split" => Value::method(this.clone(), "tensor_split", |interp, args| {
            let [ios, dim] = args.bind(&["indices_or_sections", "dim="])?;
            let d = dim.map_or(Ok(0), |d| d.expect_int("dim"))?;
            tensor_split(interp, &receiver(&args)?, ios.as_ref(), d, None)
        }),
        "hsplit" | "vsplit" | "dsplit" => {
            let (name, dim, min_dim) = match name {
                "hsplit" => ("hsplit", 1, 1),
                "vsplit" => ("vsplit", 0, 2),
                _ => ("dsplit", 2, 3),
            };
            Value::method(this.clone(), name, move |interp, args| {
                let [ios] = args.bind(&["indices_or_sections"])?;
                directional_split(interp, &receiver(&args)?, ios.as_ref(), name, dim, min_dim)
            })
        }
        "msort" => Value::method(this.clone(), "msort", |_, args| {
            let [] = args.bind(&[])?;
            let t = receiver(&args)?;
            if t.dim() == 0 {
                return Ok(tv(t));
            }
            Ok(tv(t.sort_dim(0, false, None).map_err(exc)?.0))
        }),
        "index_put_" | "index_put" => {
            let inplace = name == "index_put_";
            Value::method(
                this.clone(),
                if inplace { "index_put_" } else { "index_put" },
                move |interp, args| {
                    let [indices, values, accumulate] =
                        args.bind(&["indices", "values", "accumulate="])?;
                    let t = receiver(&args)?;
                    let target = if inplace { t } else { t.clone_tensor() };
                    index_put(
                        interp,
                        &target,
                        indices.as_ref(),
                        values.as_ref(),
                        bool_arg(accumulate.as_ref(), false),
                    )?;
                    Ok(if inplace {
                        args.this.clone().unwrap_or(Value::None)
                    } else {
                        tv(target)
                    })
                },
            )
        }
        _ => return None,
    })
}

/// `t.squeeze(dims)` where `dims` is a tuple or list (the method in tensor.rs takes one int).
pub fn squeeze_dims(interp: &mut Interpreter, t: &Tensor, dims: &Value) -> R<Tensor> {
    let ds = interp
        .iterate(dims)?
        .iter()
        .map(|v| v.expect_int("dim").map(|d| d as isize))
        .collect::<R<Vec<_>>>()?;
    t.squeeze_dims(&ds).map_err(exc)
}

fn receiver(args: &Args) -> R<Tensor> {
    args.this
        .as_ref()
        .and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error("descriptor requires a 'torch.Tensor' object"))
}

fn tensor_of(v: Option<&Value>, name: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{name}(): argument 'input' (position 1) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), |v| v.type_name())
        ))
    })
}

/// The tensors of `f(a, b, ...)` or `f([a, b, ...])`; `true` when a single tensor was given.
fn tensor_list(interp: &mut Interpreter, args: &Args, name: &str) -> R<(Vec<Tensor>, bool)> {
    let (items, single) = match args.pos.as_slice() {
        [one @ (Value::List(_) | Value::Tuple(_))] => (interp.iterate(one)?, false),
        [one] => (vec![one.clone()], true),
        rest => (rest.to_vec(), false),
    };
    let ts = items
        .iter()
        .map(|v| {
            as_tensor(v).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "{name}(): expected Tensor as element, but got {}",
                    v.type_name()
                ))
            })
        })
        .collect::<R<Vec<_>>>()?;
    Ok((ts, single))
}

fn broadcast(a: &[usize], b: &[usize]) -> R<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let x = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let y = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (x, y) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            (x, y) => {
                return Err(Exception::runtime_error(format!(
                    "The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"
                )));
            }
        };
    }
    Ok(out)
}

/// `atleast_Nd`: 0-d becomes `[1]`, `[1, 1]` or `[1, 1, 1]`; a vector `[1, n]` or `[1, n, 1]`;
/// a matrix `[m, n, 1]` for 3-d (PyTorch's placements).
fn atleast(t: &Tensor, n: usize) -> R<Tensor> {
    let s: Vec<isize> = t.shape().iter().map(|&d| d as isize).collect();
    let shape: Vec<isize> = match (n, s.len()) {
        (_, k) if k >= n => return Ok(t.clone()),
        (1, _) => vec![1],
        (2, 0) => vec![1, 1],
        (2, _) => vec![1, s[0]],
        (_, 0) => vec![1, 1, 1],
        (_, 1) => vec![1, s[0], 1],
        _ => vec![s[0], s[1], 1],
    };
    t.reshape(&shape).map_err(exc)
}

/// `tensor_split(t, n_or_indices, dim)`: `n` pieces, the first `len % n` one longer, or the
/// pieces between the given indices (clamped to the dim, as Python slices are).
fn tensor_split(
    interp: &mut Interpreter,
    t: &Tensor,
    ios: Option<&Value>,
    dim: i64,
    name: Option<&str>,
) -> R<Value> {
    let nd = t.dim() as i64;
    if nd == 0 {
        return Err(Exception::runtime_error(format!(
            "{} expected at least a 1-dimensional tensor, but got a tensor with 0 dims",
            name.unwrap_or("tensor_split")
        )));
    }
    if dim < -nd || dim >= nd {
        return Err(Exception::new(
            "IndexError",
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -nd,
                nd - 1
            ),
        ));
    }
    let d = if dim < 0 { dim + nd } else { dim } as usize;
    let len = t.shape()[d] as i64;
    let bounds: Vec<(i64, i64)> = match ios {
        Some(Value::Int(n)) => {
            let n = *n;
            if n <= 0 {
                return Err(Exception::runtime_error(format!(
                    "number of sections must be larger than 0, got {n}"
                )));
            }
            let (q, r) = (len / n, len % n);
            let mut start = 0;
            (0..n)
                .map(|i| {
                    let size = q + i64::from(i < r);
                    let b = (start, start + size);
                    start += size;
                    b
                })
                .collect()
        }
        Some(v) => {
            let idx: Vec<i64> = match as_tensor(v) {
                Some(it) if it.dim() == 0 => {
                    return tensor_split(
                        interp,
                        t,
                        Some(&Value::Int(it.item().map_err(exc)?.as_i64())),
                        dim,
                        name,
                    );
                }
                Some(it) => it.to_f64_vec().iter().map(|&x| x as i64).collect(),
                None => interp
                    .iterate(v)?
                    .iter()
                    .map(|x| x.expect_int("indices"))
                    .collect::<R<Vec<_>>>()?,
            };
            let clampi = |i: i64| if i < 0 { (i + len).max(0) } else { i.min(len) };
            let mut out = Vec::new();
            let mut start = 0;
            for &i in &idx {
                let stop = clampi(i);
                out.push((start, stop.max(start)));
                start = stop;
            }
            out.push((start, len));
            out
        }
        None => {
            return Err(Exception::type_error(
                "tensor_split() missing required argument 'indices_or_sections'",
            ));
        }
    };
    let pieces = bounds
        .iter()
        .map(|&(a, b)| t.narrow(d as isize, a, b - a).map(tv).map_err(exc))
        .collect::<R<Vec<_>>>()?;
    Ok(Value::tuple(pieces))
}

/// `hsplit`/`vsplit`/`dsplit`: `tensor_split` along dim 1 (dim 0 for a vector's `hsplit`), 0 or
/// 2, an int of sections having to divide the dim.
fn directional_split(
    interp: &mut Interpreter,
    t: &Tensor,
    ios: Option<&Value>,
    name: &str,
    dim: usize,
    min_dim: usize,
) -> R<Value> {
    if t.dim() < min_dim {
        let what = match name {
            "hsplit" => "torch.hsplit requires a tensor with at least 1 dimension, but got a tensor with 0 dimensions!".to_string(),
            _ => format!(
                "torch.{name} requires a tensor with at least {min_dim} dimension, but got a tensor with {} dimensions!",
                t.dim()
            ),
        };
        return Err(Exception::runtime_error(what));
    }
    let dim = if name == "hsplit" && t.dim() == 1 {
        0
    } else {
        dim
    };
    if let Some(Value::Int(n)) = ios {
        let size = t.shape()[dim] as i64;
        if *n == 0 || size % n != 0 {
            return Err(Exception::runtime_error(format!(
                "torch.{name} attempted to split along dimension {dim}, but the size of the dimension {size} is not divisible by the split_size {n}!"
            )));
        }
    }
    tensor_split(interp, t, ios, dim as i64, Some(name))
}

/// `torch.combinations(t, r, with_replacement)`: the rows of `r` elements in the order of
/// `itertools.combinations` (or `combinations_with_replacement`).
fn combinations(t: &Tensor, r: i64, with_replacement: bool) -> R<Value> {
    if t.dim() != 1 {
        return Err(Exception::runtime_error(format!(
            "Expect a 1D vector, but got shape {:?}",
            t.shape()
        )));
    }
    if r < 0 {
        return Err(Exception::runtime_error(format!(
            "Expect a non-negative number, but got {r}"
        )));
    }
    let n = t.numel();
    let r = r as usize;
    if r == 0 {
        return Ok(tv(Tensor::zeros(&[0], t.dtype())));
    }
    let mut rows: Vec<Vec<i64>> = Vec::new();
    let mut cur: Vec<usize> = Vec::with_capacity(r);
    fn walk(
        n: usize,
        r: usize,
        start: usize,
        rep: bool,
        cur: &mut Vec<usize>,
        rows: &mut Vec<Vec<i64>>,
    ) {
        if cur.len() == r {
            rows.push(cur.iter().map(|&i| i as i64).collect());
            return;
        }
        for i in start..n {
            cur.push(i);
            walk(n, r, if rep { i } else { i + 1 }, rep, cur, rows);
            cur.pop();
        }
    }
    walk(n, r, 0, with_replacement, &mut cur, &mut rows);
    if rows.is_empty() {
        return Ok(tv(Tensor::zeros(&[0, r], t.dtype())
            .reshape(&[0, r as isize])
            .map_err(exc)?));
    }
    let cols = (0..r)
        .map(|j| {
            let idx: Vec<i64> = rows.iter().map(|row| row[j]).collect();
            t.index_select(0, &idx)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(exc)?;
    Ok(tv(Tensor::stack(&cols, 1).map_err(exc)?))
}

/// `t.index_put_(indices, values, accumulate)`: `t[indices] = values`, or with `accumulate`
/// `t[indices] += values` summing repeated positions (integer index tensors only).
fn index_put(
    interp: &mut Interpreter,
    t: &Tensor,
    indices: Option<&Value>,
    values: Option<&Value>,
    accumulate: bool,
) -> R<()> {
    let idx_vals = match indices {
        Some(v @ (Value::List(_) | Value::Tuple(_))) => interp.iterate(v)?,
        _ => {
            return Err(Exception::type_error(
                "index_put_(): argument 'indices' must be tuple of Tensors",
            ));
        }
    };
    let mut idx = Vec::with_capacity(idx_vals.len());
    for v in &idx_vals {
        match (v, as_tensor(v)) {
            (Value::None, _) => idx.push(Index::Slice {
                start: None,
                stop: None,
                step: 1,
            }),
            (_, Some(it)) => idx.push(Index::Tensor(it.clone())),
            _ => {
                return Err(Exception::type_error(format!(
                    "index_put_(): expected Tensor as element in argument 'indices', but got {}",
                    v.type_name()
                )));
            }
        }
    }
    let values = match values.map(|v| (v, as_tensor(v))) {
        Some((_, Some(vt))) => vt.clone(),
        _ => {
            return Err(Exception::type_error(
                "index_put_(): argument 'values' must be Tensor",
            ));
        }
    };
    if !accumulate {
        return t.index_put_(&idx, &IndexValue::Tensor(values)).map_err(exc);
    }
    let its: Vec<Tensor> = idx
        .iter()
        .map(|i| match i {
            Index::Tensor(it) if it.dtype().is_integral() => Ok(it.clone()),
            _ => Err(Exception::unsupported(
                "index_put_(accumulate=True) with other than integer index tensors",
            )),
        })
        .collect::<R<_>>()?;
    let shape = t.shape();
    let k = its.len();
    if k > shape.len() {
        return Err(Exception::new(
            "IndexError",
            format!("too many indices for tensor of dimension {}", shape.len()),
        ));
    }
    // Linear positions over the first k dims; the rest stay whole rows.
    let mut bshape: Vec<usize> = Vec::new();
    for it in &its {
        bshape = broadcast(&bshape, &it.shape())?;
    }
    let count: usize = bshape.iter().product();
    let mut lin = vec![0i64; count];
    for (j, it) in its.iter().enumerate() {
        let size = shape[j] as i64;
        let v = it.expand(&bshape).map_err(exc)?.contiguous().to_f64_vec();
        for (p, &x) in lin.iter_mut().zip(&v) {
            let x = x as i64;
            if x < -size || x >= size {
                return Err(Exception::new(
                    "IndexError",
                    format!("index {x} is out of bounds for dimension {j} with size {size}"),
                ));
            }
            *p = *p * size + if x < 0 { x + size } else { x };
        }
    }
    let rest: Vec<usize> = shape[k..].to_vec();
    let lead: usize = shape[..k].iter().product();
    let mut flat_shape = vec![lead as isize];
    flat_shape.extend(rest.iter().map(|&d| d as isize));
    let mut vshape = bshape.clone();
    vshape.extend(&rest);
    let mut vflat = vec![count as isize];
    vflat.extend(rest.iter().map(|&d| d as isize));
    let vals = values
        .to_dtype(t.dtype())
        .and_then(|v| v.expand(&vshape))
        .and_then(|v| v.reshape(&vflat))
        .map_err(exc)?;
    let index = Tensor::from_data(crate::tensor::Data::I64(lin), &[count]).map_err(exc)?;
    let summed = t
        .reshape(&flat_shape)
        .and_then(|f| f.index_add_alpha(0, &index, &vals, Scalar::Int(1)))
        .and_then(|f| f.reshape(&shape.iter().map(|&d| d as isize).collect::<Vec<_>>()))
        .map_err(exc)?;
    t.index_put_(&[Index::Ellipsis], &IndexValue::Tensor(summed))
        .map_err(exc)
}
