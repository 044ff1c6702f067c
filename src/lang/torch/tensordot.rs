//! `torch.tensordot(a, b, dims=2)`: as ATen computes it, contracted dimensions of size 1 summed
//! away first, then both operands permuted (kept dims, contracted dims / contracted, kept) and
//! reshaped to matrices, one `mm`, and the result reshaped; so values and `grad_fn` are those
//! ops'.

use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// Adds `tensordot` to `torch` (and `torch.functional`, which re-exports it), and `inner`.
pub fn install(m: &Module) {
    m.set("inner", Value::builtin("inner", |_, args| {
        let [a, b] = args.bind(&["input", "other"])?;
        let tensor = |v: Option<Value>, what: &str| {
            v.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                Exception::type_error(format!("inner(): argument '{what}' must be Tensor"))
            })
        };
        inner(&tensor(a, "input")?, &tensor(b, "other")?).map(tv)
    }));
    m.set(
        "tensordot",
        Value::builtin("tensordot", |interp, args| tensordot_fn(interp, &args)),
    );
}

fn tensordot_fn(interp: &mut Interpreter, args: &Args) -> R<Value> {
    let [a, b, dims, _out] = args.bind(&["a", "b", "dims=", "out="])?;
    let tensor = |v: Option<&Value>, name: &str| -> R<Tensor> {
        v.and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!("tensordot(): argument '{name}' must be Tensor"))
        })
    };
    let (a, b) = (tensor(a.as_ref(), "a")?, tensor(b.as_ref(), "b")?);
    let (da, db) = dim_lists(interp, dims.as_ref(), a.dim(), b.dim())?;
    Ok(tv(tensordot(&a, &b, &da, &db)?))
}

/// torch/functional.py's reading of `dims`: an int n (the last n dims of `a` against the first
/// n of `b`), a pair of ints or of lists, or a tensor of either form.
fn dim_lists(
    interp: &mut Interpreter,
    dims: Option<&Value>,
    na: usize,
    nb: usize,
) -> R<(Vec<i64>, Vec<i64>)> {
    let count = |n: i64| -> R<(Vec<i64>, Vec<i64>)> {
        if n < 0 {
            return Err(Exception::runtime_error(format!(
                "tensordot expects dims >= 0, but got dims={n}"
            )));
        }
        if n as usize > na.min(nb) {
            return Err(Exception::runtime_error(format!(
                "tensordot expects dims < ndim_a or ndim_b, but got dims={n}"
            )));
        }
        Ok(((-n..0).collect(), (0..n).collect()))
    };
    let list = |interp: &mut Interpreter, v: &Value| -> R<Vec<i64>> {
        match v {
            Value::Int(i) => Ok(vec![*i]),
            other => match as_tensor(other) {
                Some(t) => Ok(t.to_f64_vec().into_iter().map(|x| x as i64).collect()),
                None => interp
                    .iterate(other)?
                    .iter()
                    .map(|d| d.expect_int("dims"))
                    .collect(),
            },
        }
    };
    match dims {
        None => count(2),
        Some(Value::Int(n)) => count(*n),
        Some(v @ (Value::List(_) | Value::Tuple(_))) => {
            let parts = interp.iterate(v)?;
            let [x, y] = parts.as_slice() else {
                return Err(Exception::runtime_error(
                    "tensordot expects dims to be a pair of lists of dimensions",
                ));
            };
            Ok((list(interp, x)?, list(interp, y)?))
        }
        Some(v) => match as_tensor(v) {
            Some(t) if t.numel() == 1 => count(t.to_f64_vec()[0] as i64),
            Some(t) if t.dim() >= 1 && t.shape()[0] == 2 => {
                let rows: Vec<Tensor> = (0..2)
                    .map(|i| t.select(0, i))
                    .collect::<Result<_, _>>()
                    .map_err(exc)?;
                let row = |r: &Tensor| r.to_f64_vec().into_iter().map(|x| x as i64).collect();
                Ok((row(&rows[0]), row(&rows[1])))
            }
            _ => Err(Exception::type_error(format!(
                "tensordot expects dims to be int or Tuple[List[int], List[int]] or List[List[int]] containing two lists, but got dims={}",
                v.repr()
            ))),
        },
    }
}

/// `torch.inner(a, b)`: a product with a 0-d operand, else ATen's `tensordot` over both last
/// dims.
pub fn inner(a: &Tensor, b: &Tensor) -> R<Tensor> {
    if a.dim() == 0 || b.dim() == 0 {
        return a.mul(b).map_err(exc);
    }
    let (sa, sb) = (a.shape(), b.shape());
    if sa[sa.len() - 1] != sb[sb.len() - 1] {
        return Err(Exception::runtime_error(format!(
            "inner() the last dimension must match on both input tensors but got shapes {sa:?} and {sb:?}"
        )));
    }
    tensordot(a, b, &[-1], &[-1])
}

/// ATen's `tensordot(input1, input2, dims1, dims2)`.
pub fn tensordot(a: &Tensor, b: &Tensor, dims_a: &[i64], dims_b: &[i64]) -> R<Tensor> {
    if dims_a.len() != dims_b.len() {
        return Err(Exception::runtime_error(
            "both dimension lists should have same length",
        ));
    }
    if a.dtype() != b.dtype() {
        return Err(Exception::runtime_error(
            "both inputs should have same dtype",
        ));
    }
    let wrap = |d: i64, n: usize| -> R<usize> {
        let n = n as i64;
        let w = if d < 0 { d + n } else { d };
        if w < 0 || w >= n.max(1) {
            return Err(Exception::new(
                "IndexError",
                format!(
                    "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                    -n.max(1),
                    n.max(1) - 1
                ),
            ));
        }
        Ok(w as usize)
    };
    let da: Vec<usize> = dims_a.iter().map(|&d| wrap(d, a.dim())).collect::<R<_>>()?;
    let db: Vec<usize> = dims_b.iter().map(|&d| wrap(d, b.dim())).collect::<R<_>>()?;
    let (mut t1, mut t2) = (a.clone(), b.clone());
    let mut csize = 1usize;
    for (&x, &y) in da.iter().zip(&db) {
        let (s1, s2) = (a.shape()[x], b.shape()[y]);
        if s2 == 1 {
            // A broadcast dimension is summed right away.
            t1 = t1.sum(Some(&[x as isize]), true).map_err(exc)?;
        } else if s1 == 1 {
            t2 = t2.sum(Some(&[y as isize]), true).map_err(exc)?;
        } else if s1 != s2 {
            return Err(Exception::runtime_error(format!(
                "contracted dimensions need to match, but first has size {s1} in dim {x} and second has size {s2} in dim {y}"
            )));
        } else {
            csize *= s1;
        }
    }
    let (mut p1, mut p2, mut out_shape) = (Vec::new(), Vec::new(), Vec::new());
    let (mut size1, mut size2) = (1usize, 1usize);
    for i in (0..a.dim()).filter(|i| !da.contains(i)) {
        p1.push(i as isize);
        size1 *= t1.shape()[i];
        out_shape.push(t1.shape()[i] as isize);
    }
    p1.extend(da.iter().map(|&d| d as isize));
    p2.extend(db.iter().map(|&d| d as isize));
    for i in (0..b.dim()).filter(|i| !db.contains(i)) {
        p2.push(i as isize);
        size2 *= t2.shape()[i];
        out_shape.push(t2.shape()[i] as isize);
    }
    let m1 = t1
        .permute(&p1)
        .and_then(|t| t.reshape(&[size1 as isize, csize as isize]))
        .map_err(exc)?;
    let m2 = t2
        .permute(&p2)
        .and_then(|t| t.reshape(&[csize as isize, size2 as isize]))
        .map_err(exc)?;
    m1.mm(&m2).and_then(|r| r.reshape(&out_shape)).map_err(exc)
}
