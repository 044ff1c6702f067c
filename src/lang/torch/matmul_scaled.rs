//! `torch.addmm`/`addmv`/`addr`/`baddbmm`/`addbmm` with `beta=`/`alpha=` (and as methods),
//! `torch.linalg.multi_dot` and the deprecated `torch.chain_matmul` (ATen's order of products:
//! the cheaper of the two for three matrices, the classic dynamic program beyond). The values
//! come from the engine's `addmm_scaled.rs`.

use super::R;
use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::addmm_scaled::Product;
use crate::tensor::{Scalar, Tensor};

const NAMES: [Spec; 5] = [
    ("addmm", Product::Mm, ["mat1", "mat2"]),
    ("addmv", Product::Mv, ["mat", "vec"]),
    ("addr", Product::Outer, ["vec1", "vec2"]),
    ("baddbmm", Product::Bmm, ["batch1", "batch2"]),
    ("addbmm", Product::BatchSum, ["batch1", "batch2"]),
];

fn tensor_arg(v: Option<&Value>, fname: &str, param: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument '{param}' must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

/// `beta`/`alpha` as a number; a float one for integer tensors is PyTorch's RuntimeError.
fn coefficient(v: Option<&Value>, what: &str, t: &Tensor) -> R<Scalar> {
    let s = match v {
        None | Some(Value::None) => Scalar::Int(1),
        Some(Value::Bool(b)) => Scalar::Bool(*b),
        Some(Value::Int(i)) => Scalar::Int(*i),
        Some(Value::Float(f)) => Scalar::Float(*f),
        Some(v) => match as_tensor(v) {
            Some(t) if t.numel() == 1 => t.item().map_err(exc)?,
            _ => {
                return Err(Exception::type_error(format!(
                    "argument '{what}' must be Number, not {}",
                    v.type_name()
                )));
            }
        },
    };
    // Integer tensors take the number converted to their type (truncated), as PyTorch does.
    Ok(match s {
        Scalar::Float(f) if !t.dtype().is_floating_point() => Scalar::Int(f as i64),
        s => s,
    })
}

/// One function of [`NAMES`]: its name, product and operand names.
type Spec = (&'static str, Product, [&'static str; 2]);

fn call(
    (fname, kind, params): Spec,
    input: Tensor,
    a: Option<Value>,
    b: Option<Value>,
    beta: Option<Value>,
    alpha: Option<Value>,
) -> R<Value> {
    let a = tensor_arg(a.as_ref(), fname, params[0])?;
    let b = tensor_arg(b.as_ref(), fname, params[1])?;
    let beta = coefficient(beta.as_ref(), "beta", &input)?;
    let alpha = coefficient(alpha.as_ref(), "alpha", &input)?;
    check_dims(kind, &a, &b)?;
    Ok(tv(Tensor::add_scaled_product(
        kind, &input, &a, &b, beta, alpha,
    )
    .map_err(exc)?))
}

/// The operands' ranks, with PyTorch's messages.
fn check_dims(kind: Product, a: &Tensor, b: &Tensor) -> R<()> {
    let (da, db) = (a.dim(), b.dim());
    let msg = match kind {
        Product::Mm if da != 2 => Some(format!("mat1 must be a matrix, got {da}-D tensor")),
        Product::Mm if db != 2 => Some(format!("mat2 must be a matrix, got {db}-D tensor")),
        Product::Mv if da != 2 || db != 1 => Some(format!(
            "vector + matrix @ vector expected, got 1, {da}, {db}"
        )),
        Product::Outer if da != 1 => {
            Some(format!("addr: Expected 1-D argument vec1, but got {da}-D"))
        }
        Product::Outer if db != 1 => {
            Some(format!("addr: Expected 1-D argument vec2, but got {db}-D"))
        }
        Product::Bmm | Product::BatchSum if da != 3 => {
            Some("batch1 must be a 3D tensor".to_string())
        }
        Product::Bmm | Product::BatchSum if db < 3 => {
            return Err(Exception::new(
                "IndexError",
                format!(
                    "Dimension out of range (expected to be in range of [-{db}, {}], but got 2)",
                    db as i64 - 1
                ),
            ));
        }
        Product::Bmm | Product::BatchSum if db != 3 => {
            Some("batch2 must be a 3D tensor".to_string())
        }
        _ => None,
    };
    match msg {
        Some(m) => Err(Exception::runtime_error(m)),
        None => Ok(()),
    }
}

/// `t.addmm(mat1, mat2, *, beta=1, alpha=1)` and the others, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let &(fname, kind, params) = NAMES.iter().find(|(n, _, _)| *n == name)?;
    Some(Value::method(this.clone(), fname, move |_, args| {
        let [a, b, beta, alpha] = args.bind(&[params[0], params[1], "*", "beta=", "alpha="])?;
        let t = super::tensorfns::receiver(&args)?;
        call((fname, kind, params), t, a, b, beta, alpha)
    }))
}

/// `multi_dot`: the first and last operands may be vectors.
fn multi_dot(ts: &[Tensor], fname: &str) -> R<Tensor> {
    let n = ts.len();
    if n < 2 {
        return Err(Exception::runtime_error(format!(
            "{fname}(): expected at least 2 tensors but got {n}"
        )));
    }
    let (first_1d, last_1d) = (ts[0].dim() == 1, ts[n - 1].dim() == 1);
    let mut ms = Vec::with_capacity(n);
    for (i, t) in ts.iter().enumerate() {
        let d = t.dim();
        let m = if i == 0 {
            match d {
                1 => t.unsqueeze(0).map_err(exc)?,
                2 => t.clone(),
                _ => {
                    return Err(Exception::runtime_error(format!(
                        "{fname}(): the first tensor must be 1D or 2D but got {d}D"
                    )));
                }
            }
        } else if i == n - 1 {
            match d {
                1 => t.unsqueeze(1).map_err(exc)?,
                2 => t.clone(),
                _ => {
                    return Err(Exception::runtime_error(format!(
                        "{fname}(): the last tensor must be 1D or 2D but got {d}D"
                    )));
                }
            }
        } else if d != 2 {
            return Err(Exception::runtime_error(format!(
                "{fname}(): tensor {i} must be 2D but got {d}D"
            )));
        } else {
            t.clone()
        };
        ms.push(m);
    }
    for i in 1..n {
        if ms[i].dtype() != ms[0].dtype() {
            return Err(Exception::runtime_error(format!(
                "{fname}(): all tensors must have be the same dtype but tensor 0 is {} and tensor {i} is {}",
                ms[0].dtype().scalar_name(),
                ms[i].dtype().scalar_name()
            )));
        }
        let (p, q) = (ms[i - 1].shape(), ms[i].shape());
        if p[1] != q[0] {
            return Err(Exception::runtime_error(format!(
                "{fname}(): tensors {} and {i} with shapes {:?} and {:?} cannot be multiplied",
                i - 1,
                ts[i - 1].shape(),
                ts[i].shape()
            )));
        }
    }
    let out = if n == 2 {
        ms[0].mm(&ms[1]).map_err(exc)?
    } else if n == 3 {
        let (a, b, c, d) = (
            ms[0].shape()[0],
            ms[1].shape()[0],
            ms[2].shape()[0],
            ms[2].shape()[1],
        );
        let cost_1 = (a * c) * (b + d);
        let cost_2 = (b * d) * (a + c);
        if cost_1 > cost_2 {
            ms[0].mm(&ms[1].mm(&ms[2]).map_err(exc)?).map_err(exc)?
        } else {
            ms[0].mm(&ms[1]).map_err(exc)?.mm(&ms[2]).map_err(exc)?
        }
    } else {
        let order = chain_order(&ms);
        chain(&ms, &order, 0, n - 1)?
    };
    let out = match (first_1d, last_1d) {
        (true, true) => out.reshape(&[]).map_err(exc)?,
        (true, false) => out.squeeze_dims(&[0]).map_err(exc)?,
        (false, true) => out.squeeze_dims(&[-1]).map_err(exc)?,
        _ => out,
    };
    Ok(out)
}

/// The split points of the cheapest order (the first of equal costs), as ATen's
/// `matrix_chain_order`.
fn chain_order(ms: &[Tensor]) -> Vec<Vec<usize>> {
    let n = ms.len();
    let mut p: Vec<usize> = ms.iter().map(|m| m.shape()[0]).collect();
    p.push(ms[n - 1].shape()[1]);
    let mut cost = vec![vec![0usize; n]; n];
    let mut split = vec![vec![0usize; n]; n];
    for l in 1..n {
        for i in 0..n - l {
            let j = i + l;
            cost[i][j] = usize::MAX;
            for k in i..j {
                let q = cost[i][k] + cost[k + 1][j] + p[i] * p[k + 1] * p[j + 1];
                if q < cost[i][j] {
                    cost[i][j] = q;
                    split[i][j] = k;
                }
            }
        }
    }
    split
}

fn chain(ms: &[Tensor], split: &[Vec<usize>], i: usize, j: usize) -> R<Tensor> {
    if i == j {
        return Ok(ms[i].clone());
    }
    let k = split[i][j];
    chain(ms, split, i, k)?
        .mm(&chain(ms, split, k + 1, j)?)
        .map_err(exc)
}

fn tensors(interp: &mut Interpreter, v: &Value, fname: &str) -> R<Vec<Tensor>> {
    interp
        .iterate(v)?
        .iter()
        .map(|v| {
            as_tensor(v).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "{fname}(): argument 'tensors' must be tuple of Tensors, not {}",
                    v.type_name()
                ))
            })
        })
        .collect()
}

/// Adds the functions to `torch` and `multi_dot` to `torch.linalg`.
pub fn install(m: &Module, linalg: &Module) {
    for (fname, kind, params) in NAMES {
        m.set(
            fname,
            Value::builtin(fname, move |_, args: Args| {
                let [input, a, b, beta, alpha, _out] = args.bind(&[
                    "input", params[0], params[1], "*", "beta=", "alpha=", "out=",
                ])?;
                let input = tensor_arg(input.as_ref(), fname, "input")?;
                call((fname, kind, params), input, a, b, beta, alpha)
            }),
        );
    }
    linalg.set(
        "multi_dot",
        Value::builtin("multi_dot", |interp, args| {
            let [ts, _out] = args.bind(&["tensors", "*", "out="])?;
            let ts = tensors(interp, &ts.unwrap_or(Value::None), "linalg_multi_dot")?;
            Ok(tv(multi_dot(&ts, "multi_dot")?))
        }),
    );
    // Deprecated in PyTorch (a warning on stderr, which a lesson's output does not show).
    m.set(
        "chain_matmul",
        Value::builtin("chain_matmul", |_, args| {
            let ts = args
                .pos
                .iter()
                .map(|v| {
                    as_tensor(v).cloned().ok_or_else(|| {
                        Exception::type_error(format!(
                            "chain_matmul(): argument 'matrices' must be tuple of Tensors, not {}",
                            v.type_name()
                        ))
                    })
                })
                .collect::<R<Vec<_>>>()?;
            if ts.is_empty() {
                return Err(Exception::runtime_error(
                    "chain_matmul(): Expected one or more matrices",
                ));
            }
            for t in &ts {
                if t.dim() != 2 {
                    return Err(Exception::runtime_error(format!(
                        "Tensor dimension is {}, expected 2 instead.",
                        t.dim()
                    )));
                }
            }
            if ts.len() == 1 {
                return Ok(tv(ts[0].clone_tensor()));
            }
            Ok(tv(multi_dot(&ts, "multi_dot")?))
        }),
    );
}
