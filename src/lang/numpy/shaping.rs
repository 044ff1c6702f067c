//! NumPy's shape and assembly functions: stacking (`vstack`, `hstack`, `column_stack`),
//! `expand_dims`/`atleast_Nd`, `tile`/`repeat`, `flip`/`roll`/`rot90`, `split`/`array_split`,
//! `meshgrid`, `outer`/`kron`, `triu`/`tril`, `diag`/`trace`, `full_like`, `identity`.
//! Views and copies are the engine's; what NumPy computes (`outer`, `kron`) goes through the
//! module's ufuncs so dtypes promote as NumPy's do.

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor};

use super::array::{Elems, R, array, build, elems, exc, result};
use super::funcs::{arg, dtype_kw, joined, need};
use super::methods::{array_arg, int_of};
use super::ops::{self, NpOp, Operand, Reduce};

/// A NumPy axis normalised against `nd` dims, with NumPy's AxisError.
pub(super) fn norm_axis(a: i64, nd: usize) -> R<usize> {
    let n = nd as i64;
    let ax = if a < 0 { a + n } else { a };
    if ax < 0 || ax >= n {
        return Err(Exception::new(
            "numpy.exceptions.AxisError",
            format!("axis {a} is out of bounds for array of dimension {nd}"),
        ));
    }
    Ok(ax as usize)
}

fn atleast(t: &Tensor, nd: usize) -> R<Tensor> {
    let s = t.shape();
    let shape: Vec<isize> = match (nd, s.len()) {
        (_, k) if k >= nd => return Ok(t.clone()),
        (1, _) => vec![1],
        (2, 0) => vec![1, 1],
        (2, _) => vec![1, s[0] as isize],
        (_, 0) => vec![1, 1, 1],
        (_, 1) => vec![1, s[0] as isize, 1],
        _ => vec![s[0] as isize, s[1] as isize, 1],
    };
    t.reshape(&shape).map_err(exc)
}

fn cat(ts: &[Tensor], axis: isize) -> R<Value> {
    Ok(array(Tensor::cat(ts, axis).map_err(exc)?))
}

fn int_list(it: &mut Interpreter, v: &Value) -> R<Vec<i64>> {
    match v {
        Value::Tuple(_) | Value::List(_) => it.iterate(v)?.iter().map(int_of).collect(),
        other => match super::array::as_array(other) {
            Some(t) if t.dim() > 0 => Ok(elems(t).i64s()),
            _ => Ok(vec![int_of(other)?]),
        },
    }
}

/// `np.repeat(a, repeats, axis=None)`: each element (or slice along `axis`) `repeats` times.
fn repeat(it: &mut Interpreter, args: &Args) -> R<Value> {
    let mut t = array_arg(it, &need(args, 0, "a")?)?;
    let reps = int_list(it, &need(args, 1, "repeats")?)?;
    let axis = match arg(args, 2, "axis") {
        None | Some(Value::None) => {
            t = t.reshape(&[-1]).map_err(exc)?;
            0
        }
        Some(v) => norm_axis(int_of(&v)?, t.dim())?,
    };
    let n = t.shape()[axis];
    if reps.len() != 1 && reps.len() != n {
        return Err(Exception::value_error(format!(
            "operands could not be broadcast together with shape ({n},) ({},)",
            reps.len()
        )));
    }
    if reps.iter().any(|&r| r < 0) {
        return Err(Exception::value_error(
            "negative dimensions are not allowed",
        ));
    }
    let mut idx = Vec::new();
    for i in 0..n {
        let r = if reps.len() == 1 { reps[0] } else { reps[i] };
        idx.extend(std::iter::repeat_n(i as i64, r as usize));
    }
    Ok(array(t.index_select(axis as isize, &idx).map_err(exc)?))
}

/// `np.tile(A, reps)`: A's shape and reps padded with leading ones to one length, then repeated.
fn tile(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "A")?)?;
    let reps = int_list(it, &need(args, 1, "reps")?)?;
    if reps.iter().any(|&r| r < 0) {
        return Err(Exception::value_error(
            "negative dimensions are not allowed",
        ));
    }
    let nd = t.dim().max(reps.len());
    let mut shape: Vec<isize> = vec![1; nd - t.dim()];
    shape.extend(t.shape().iter().map(|&d| d as isize));
    let mut r: Vec<usize> = vec![1; nd - reps.len()];
    r.extend(reps.iter().map(|&x| x as usize));
    let base = t.reshape(&shape).map_err(exc)?;
    Ok(array(base.repeat(&r).map_err(exc)?.contiguous()))
}

fn axes_of(it: &mut Interpreter, v: Option<Value>, nd: usize) -> R<Vec<isize>> {
    match v {
        None | Some(Value::None) => Ok((0..nd as isize).collect()),
        Some(v) => int_list(it, &v)?
            .into_iter()
            .map(|a| norm_axis(a, nd).map(|a| a as isize))
            .collect(),
    }
}

fn roll(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "a")?)?;
    let shift = int_of(&need(args, 1, "shift")?)?;
    let (base, axis) = match arg(args, 2, "axis") {
        None | Some(Value::None) => (t.reshape(&[-1]).map_err(exc)?, 0),
        Some(v) => (t.clone(), norm_axis(int_of(&v)?, t.dim())?),
    };
    let n = base.shape()[axis] as i64;
    let idx: Vec<i64> = (0..n).map(|i| (i - shift).rem_euclid(n.max(1))).collect();
    let r = base.index_select(axis as isize, &idx).map_err(exc)?;
    Ok(array(
        r.reshape(&t.shape().iter().map(|&d| d as isize).collect::<Vec<_>>())
            .map_err(exc)?,
    ))
}

/// `np.rot90(m, k=1, axes=(0, 1))` as NumPy composes it from flips and a transpose.
fn rot90(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "m")?)?;
    let k = arg(args, 1, "k")
        .map_or(Ok(1), |v| int_of(&v))?
        .rem_euclid(4);
    let axes = axes_of(
        it,
        arg(args, 2, "axes").or(Some(Value::tuple(vec![Value::Int(0), Value::Int(1)]))),
        t.dim(),
    )?;
    if axes.len() != 2 || axes[0] == axes[1] {
        return Err(Exception::value_error("len(axes) must be 2."));
    }
    let mut perm: Vec<isize> = (0..t.dim() as isize).collect();
    perm.swap(axes[0] as usize, axes[1] as usize);
    let r = match k {
        0 => t.clone(),
        2 => t.flip(&axes).map_err(exc)?,
        1 => t
            .flip(&[axes[1]])
            .map_err(exc)?
            .permute(&perm)
            .map_err(exc)?,
        _ => t
            .permute(&perm)
            .map_err(exc)?
            .flip(&[axes[1]])
            .map_err(exc)?,
    };
    Ok(array(r))
}

/// `split`/`array_split`: a list of views along `axis`; `split` insists on equal parts.
fn split(it: &mut Interpreter, args: &Args, strict: bool) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "ary")?)?;
    let how = need(args, 1, "indices_or_sections")?;
    let axis = norm_axis(arg(args, 2, "axis").map_or(Ok(0), |v| int_of(&v))?, t.dim())?;
    let n = t.shape()[axis] as i64;
    let bounds: Vec<i64> = match how {
        Value::List(_) | Value::Tuple(_) => {
            let mut b = vec![0];
            b.extend(int_list(it, &how)?);
            b.push(n);
            b
        }
        v => {
            let sections = int_of(&v)?;
            if sections <= 0 {
                return Err(Exception::value_error(
                    "number sections must be larger than 0.",
                ));
            }
            if strict && n % sections != 0 {
                return Err(Exception::value_error(
                    "array split does not result in an equal division",
                ));
            }
            let (each, extra) = (n / sections, n % sections);
            let mut b = vec![0];
            for i in 0..sections {
                b.push(b[i as usize] + each + i64::from(i < extra));
            }
            b
        }
    };
    let mut parts = Vec::new();
    for w in bounds.windows(2) {
        let (s, e) = (w[0].clamp(0, n), w[1].clamp(0, n));
        let part = t
            .slice(axis as isize, Some(s), Some(e.max(s)), 1)
            .map_err(exc)?;
        parts.push(array(part));
    }
    Ok(Value::list(parts))
}

fn meshgrid(it: &mut Interpreter, args: &Args) -> R<Value> {
    let xs: Vec<Tensor> = args
        .pos
        .iter()
        .map(|v| array_arg(it, v))
        .collect::<R<_>>()?;
    let xy = !matches!(&arg(args, 99, "indexing"), Some(Value::Str(s)) if &**s == "ij");
    let mut shape: Vec<usize> = xs.iter().map(|t| t.numel()).collect();
    if xy && shape.len() >= 2 {
        shape.swap(0, 1);
    }
    let nd = xs.len();
    let mut out = Vec::new();
    for (i, x) in xs.iter().enumerate() {
        let mut view = vec![1isize; nd];
        let pos = if xy && nd >= 2 && i < 2 { 1 - i } else { i };
        view[pos] = -1;
        let r = x
            .reshape(&view)
            .map_err(exc)?
            .expand(&shape)
            .map_err(exc)?
            .contiguous();
        out.push(array(r));
    }
    Ok(Value::tuple(out))
}

fn mul(a: Tensor, b: Tensor) -> R<Tensor> {
    ops::binary(NpOp::Mul, &Operand::Array(a), &Operand::Array(b))
}

/// `np.kron(a, b)`: a's elements times b as blocks, i.e. the product of a reshaped to
/// (a0, 1, a1, 1, ...) and b to (1, b0, 1, b1, ...), merged pairwise.
fn kron(a: &Tensor, b: &Tensor) -> R<Tensor> {
    let nd = a.dim().max(b.dim());
    let pad = |t: &Tensor| {
        let mut s = vec![1usize; nd - t.dim()];
        s.extend(t.shape());
        s
    };
    let (sa, sb) = (pad(a), pad(b));
    let va: Vec<isize> = sa.iter().flat_map(|&d| [d as isize, 1]).collect();
    let vb: Vec<isize> = sb.iter().flat_map(|&d| [1, d as isize]).collect();
    let p = mul(a.reshape(&va).map_err(exc)?, b.reshape(&vb).map_err(exc)?)?;
    let out: Vec<isize> = sa
        .iter()
        .zip(&sb)
        .map(|(&x, &y)| (x * y) as isize)
        .collect();
    p.reshape(&out).map_err(exc)
}

/// `triu`/`tril` over the last two dims: elements off the kept triangle set to zero.
fn tri(t: &Tensor, k: i64, upper: bool) -> R<Tensor> {
    let t = atleast(t, 2)?;
    let shape = t.shape();
    let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let keep = |flat: usize| {
        let (i, j) = (((flat / c) % r) as i64, (flat % c) as i64);
        if upper { j - i >= k } else { j - i <= k }
    };
    let e = match elems(&t) {
        Elems::Float(v) => Elems::Float(
            v.into_iter()
                .enumerate()
                .map(|(n, x)| if keep(n) { x } else { 0.0 })
                .collect(),
        ),
        Elems::Int(v) => Elems::Int(
            v.into_iter()
                .enumerate()
                .map(|(n, x)| if keep(n) { x } else { 0 })
                .collect(),
        ),
        Elems::Bool(v) => Elems::Bool(
            v.into_iter()
                .enumerate()
                .map(|(n, x)| x && keep(n))
                .collect(),
        ),
    };
    build(e, &shape, t.dtype())
}

pub(super) fn trace(t: &Tensor, offset: i64) -> R<Value> {
    if t.dim() < 2 {
        return Err(Exception::value_error(
            "diag requires an array of at least two dimensions",
        ));
    }
    let d = t.diagonal(offset, 0, 1).map_err(exc)?;
    let nd = d.dim() as isize;
    Ok(result(ops::reduce(
        &d.contiguous(),
        Reduce::Sum,
        Some(nd - 1),
        false,
    )?))
}

fn diag(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "v")?)?;
    let k = arg(args, 1, "k").map_or(Ok(0), |v| int_of(&v))?;
    match t.dim() {
        1 | 2 => Ok(array(t.diag(k).map_err(exc)?)),
        _ => Err(Exception::value_error("Input must be 1- or 2-d.")),
    }
}

fn full_like(it: &mut Interpreter, args: &Args, fill: Option<f64>) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "a")?)?;
    let v = match fill {
        Some(f) => f,
        None => {
            let v = need(args, 1, "fill_value")?;
            match super::array::py_scalar(&v) {
                Some(s) => s.as_f64(),
                None => array_arg(it, &v)?.item().map_err(exc)?.as_f64(),
            }
        }
    };
    let d = dtype_kw(args)?.unwrap_or(t.dtype());
    Ok(array(build(
        Elems::Float(vec![v; t.numel()]),
        &t.shape(),
        d,
    )?))
}

fn stackers(m: &Module) {
    let def = |name: &'static str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        m.set(name, Value::builtin(name, f))
    };
    def("vstack", |it, args| {
        let ts: Vec<Tensor> = joined(it, &args)?
            .iter()
            .map(|t| atleast(t, 2))
            .collect::<R<_>>()?;
        cat(&ts, 0)
    });
    m.set("row_stack", m.get("vstack").unwrap_or(Value::None));
    def("hstack", |it, args| {
        let ts: Vec<Tensor> = joined(it, &args)?
            .iter()
            .map(|t| atleast(t, 1))
            .collect::<R<_>>()?;
        cat(&ts, if ts[0].dim() == 1 { 0 } else { 1 })
    });
    def("dstack", |it, args| {
        let ts: Vec<Tensor> = joined(it, &args)?
            .iter()
            .map(|t| atleast(t, 3))
            .collect::<R<_>>()?;
        cat(&ts, 2)
    });
    def("column_stack", |it, args| {
        let ts: Vec<Tensor> = joined(it, &args)?
            .iter()
            .map(|t| {
                if t.dim() < 2 {
                    t.reshape(&[-1, 1]).map_err(exc)
                } else {
                    Ok(t.clone())
                }
            })
            .collect::<R<_>>()?;
        cat(&ts, 1)
    });
    for (name, nd) in [("atleast_1d", 1), ("atleast_2d", 2), ("atleast_3d", 3)] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let outs: Vec<Value> = args
                    .pos
                    .iter()
                    .map(|v| Ok(array(atleast(&array_arg(it, v)?, nd)?)))
                    .collect::<R<_>>()?;
                Ok(if outs.len() == 1 {
                    outs[0].clone()
                } else {
                    Value::list(outs)
                })
            }),
        );
    }
    def("expand_dims", |it, args| {
        let mut t = array_arg(it, &need(&args, 0, "a")?)?;
        let axes = int_list(it, &need(&args, 1, "axis")?)?;
        let nd = t.dim() + axes.len();
        let mut norm: Vec<usize> = axes.iter().map(|&a| norm_axis(a, nd)).collect::<R<_>>()?;
        norm.sort_unstable();
        if norm.windows(2).any(|w| w[0] == w[1]) {
            return Err(Exception::value_error("repeated axis"));
        }
        for a in norm {
            t = t.unsqueeze(a as isize).map_err(exc)?;
        }
        Ok(array(t))
    });
    def("squeeze", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        match arg(&args, 1, "axis") {
            None | Some(Value::None) => Ok(array(t.squeeze(None).map_err(exc)?)),
            Some(v) => {
                let a = norm_axis(int_of(&v)?, t.dim())?;
                if t.shape()[a] != 1 {
                    return Err(Exception::value_error(
                        "cannot select an axis to squeeze out which has size not equal to one",
                    ));
                }
                Ok(array(t.squeeze(Some(a as isize)).map_err(exc)?))
            }
        }
    });
}

/// Registers the functions on the `numpy` module.
pub fn install(m: &Module) {
    stackers(m);
    let def = |name: &'static str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        m.set(name, Value::builtin(name, f))
    };
    def("repeat", |it, args| repeat(it, &args));
    def("tile", |it, args| tile(it, &args));
    def("roll", |it, args| roll(it, &args));
    def("rot90", |it, args| rot90(it, &args));
    def("flip", |it, args| {
        let t = array_arg(it, &need(&args, 0, "m")?)?;
        let axes = axes_of(it, arg(&args, 1, "axis"), t.dim())?;
        Ok(array(t.flip(&axes).map_err(exc)?))
    });
    def("fliplr", |it, args| {
        let t = array_arg(it, &need(&args, 0, "m")?)?;
        if t.dim() < 2 {
            return Err(Exception::value_error("Input must be >= 2-d."));
        }
        Ok(array(t.flip(&[1]).map_err(exc)?))
    });
    def("flipud", |it, args| {
        let t = array_arg(it, &need(&args, 0, "m")?)?;
        if t.dim() < 1 {
            return Err(Exception::value_error("Input must be >= 1-d."));
        }
        Ok(array(t.flip(&[0]).map_err(exc)?))
    });
    def("split", |it, args| split(it, &args, true));
    def("array_split", |it, args| split(it, &args, false));
    def("meshgrid", |it, args| meshgrid(it, &args));
    def("outer", |it, args| {
        let a = array_arg(it, &need(&args, 0, "a")?)?;
        let b = array_arg(it, &need(&args, 1, "b")?)?;
        let r = mul(
            a.reshape(&[-1, 1]).map_err(exc)?,
            b.reshape(&[1, -1]).map_err(exc)?,
        )?;
        Ok(array(r))
    });
    def("kron", |it, args| {
        let a = array_arg(it, &need(&args, 0, "a")?)?;
        let b = array_arg(it, &need(&args, 1, "b")?)?;
        Ok(result(kron(&a, &b)?))
    });
    for (name, upper) in [("triu", true), ("tril", false)] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let t = array_arg(it, &need(&args, 0, "m")?)?;
                let k = arg(&args, 1, "k").map_or(Ok(0), |v| int_of(&v))?;
                Ok(array(tri(&t, k, upper)?))
            }),
        );
    }
    def("diag", |it, args| diag(it, &args));
    def("diagonal", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        let k = arg(&args, 1, "offset").map_or(Ok(0), |v| int_of(&v))?;
        Ok(array(t.diagonal(k, 0, 1).map_err(exc)?))
    });
    def("trace", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        trace(&t, arg(&args, 1, "offset").map_or(Ok(0), |v| int_of(&v))?)
    });
    def("full_like", |it, args| full_like(it, &args, None));
    def("empty_like", |it, args| full_like(it, &args, Some(0.0)));
    def("identity", |_, args| {
        let n = int_of(&need(&args, 0, "n")?)?.max(0) as usize;
        let d = dtype_kw(&args)?.unwrap_or(DType::Float64);
        let v = (0..n * n)
            .map(|i| f64::from(u8::from(i / n == i % n)))
            .collect();
        Ok(array(build(Elems::Float(v), &[n, n], d)?))
    });
    def("tri", |_, args| {
        let n = int_of(&need(&args, 0, "N")?)?.max(0) as usize;
        let mcols = match arg(&args, 1, "M") {
            None | Some(Value::None) => n,
            Some(v) => int_of(&v)?.max(0) as usize,
        };
        let k = arg(&args, 2, "k").map_or(Ok(0), |v| int_of(&v))?;
        let d = dtype_kw(&args)?.unwrap_or(DType::Float64);
        let ones = build(Elems::Float(vec![1.0; n * mcols]), &[n, mcols], d)?;
        Ok(array(tri(&ones, k, false)?))
    });
    def("ravel", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        Ok(array(t.reshape(&[-1]).map_err(exc)?))
    });
    def("moveaxis", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        let src = norm_axis(int_of(&need(&args, 1, "source")?)?, t.dim())?;
        let dst = norm_axis(int_of(&need(&args, 2, "destination")?)?, t.dim())?;
        let mut order: Vec<isize> = (0..t.dim() as isize)
            .filter(|&d| d != src as isize)
            .collect();
        order.insert(dst, src as isize);
        Ok(array(t.permute(&order).map_err(exc)?))
    });
    def("swapaxes", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        let a = norm_axis(int_of(&need(&args, 1, "axis1")?)?, t.dim())?;
        let b = norm_axis(int_of(&need(&args, 2, "axis2")?)?, t.dim())?;
        let mut order: Vec<isize> = (0..t.dim() as isize).collect();
        order.swap(a, b);
        Ok(array(t.permute(&order).map_err(exc)?))
    });
}
