//! `torch.linalg`'s LU family and small matrix functions: `lu_factor`, `lu_factor_ex`, `lu`,
//! `lu_solve`, `solve_triangular`, `solve` (broadcast batches, `left=`), `inv_ex`,
//! `cholesky_ex`, and `matrix_power` (also `torch.matrix_power` and `Tensor.matrix_power`,
//! composed of matrix products as ATen composes it, so it differentiates), over the engine's
//! `linalg_lu.rs`.

use super::R;
use super::convert::{bool_arg, exc, tensor_param_at, tv};
use super::linalg_decomp::{linalg_error, named};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Tensor, linalg_lu as lu};

/// `pivot=False` is refused on the CPU, as PyTorch does.
fn check_pivot(pivot: Option<&Value>) -> R<()> {
    if !bool_arg(pivot, true) {
        return Err(Exception::runtime_error(
            "linalg.lu_factor: LU without pivoting is not implemented on the CPU",
        ));
    }
    Ok(())
}

/// The first failed matrix of an `info` tensor, for `check_errors=True`: its batch element and
/// order.
fn first_failure(info: &Tensor) -> Option<(usize, i64)> {
    info.to_f64_vec()
        .iter()
        .position(|&v| v != 0.0)
        .map(|i| (i, info.to_f64_vec()[i] as i64))
}

fn batch_prefix(t: &Tensor, i: usize) -> String {
    if t.dim() > 2 {
        format!("(Batch element {i}): ")
    } else {
        String::new()
    }
}

fn lu_factor(_: &mut Interpreter, args: Args, ex: bool) -> R<Value> {
    let [a, pivot, check, _out] = args.bind(&["A", "*", "pivot=", "check_errors=", "out="])?;
    let fname = if ex {
        "linalg_lu_factor_ex"
    } else {
        "linalg_lu_factor"
    };
    let a = tensor_param_at(a.as_ref(), fname, "A", 1)?;
    check_pivot(pivot.as_ref())?;
    let (f, p, info) = lu::lu_factor_ex(&a, "torch.lu_factor").map_err(exc)?;
    if (!ex || bool_arg(check.as_ref(), false))
        && let Some((i, k)) = first_failure(&info)
    {
        let at = batch_prefix(&a, i);
        let msg = if ex {
            format!(
                "torch.linalg.lu_factor_ex: {at}The factorization could not be completed because the input is not invertible (U[{k},{k}] is zero)."
            )
        } else {
            format!(
                "torch.linalg.lu_factor: {at}U[{k},{k}] is zero and using it on lu_solve would result in a division by zero. If you still want to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)"
            )
        };
        return Err(Exception::runtime_error(msg));
    }
    Ok(if ex {
        named(
            "linalg_lu_factor_ex",
            &["LU", "pivots", "info"],
            vec![f, p, info],
        )
    } else {
        named("linalg_lu_factor", &["LU", "pivots"], vec![f, p])
    })
}

/// `linalg.matrix_power(A, n)`: ATen's composition (identity copied in for 0, the inverse's
/// powers for negative n, squarings multiplied in from the lowest bit up).
pub fn matrix_power(a: &Tensor, n: i64) -> R<Tensor> {
    let shape = a.shape();
    if shape.len() < 2 {
        return Err(Exception::runtime_error(
            "linalg.matrix_power: The input tensor A must have at least 2 dimensions.",
        ));
    }
    let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if r != c {
        return Err(Exception::runtime_error(format!(
            "linalg.matrix_power: A must be batches of square matrices, but they are {r} by {c} matrices"
        )));
    }
    let e = |r: engine::Result<Tensor>| r.map_err(exc);
    if n == 0 {
        let out = a.contiguous().clone_tensor();
        let eye = e(Tensor::eye(r, r, a.dtype()).expand(&shape))?;
        out.copy_(&eye).map_err(exc)?;
        return Ok(out);
    }
    let (a, mut n) = if n < 0 {
        (
            engine::linalg::inv(a).map_err(linalg_error)?,
            n.unsigned_abs(),
        )
    } else {
        (a.clone(), n as u64)
    };
    match n {
        1 => return Ok(a.clone_tensor()),
        2 => return e(a.matmul(&a)),
        3 => return e(a.matmul(&a)?.matmul(&a)),
        _ => {}
    }
    let (mut z, mut result): (Option<Tensor>, Option<Tensor>) = (None, None);
    while n > 0 {
        let bit = n % 2;
        n /= 2;
        let zz = match &z {
            Some(z) => e(z.matmul(z))?,
            None => a.clone(),
        };
        if bit == 1 {
            result = Some(match &result {
                Some(r) => e(r.matmul(&zz))?,
                None => zz.clone(),
            });
        }
        z = Some(zz);
    }
    Ok(result.unwrap_or(a))
}

fn int_n(v: Option<&Value>, fname: &str) -> R<i64> {
    match v {
        Some(Value::Int(n)) => Ok(*n),
        other => Err(Exception::type_error(format!(
            "{fname}(): argument 'n' (position 2) must be int, not {}",
            other.map_or("NoneType".to_string(), Value::type_name)
        ))),
    }
}

/// Adds the functions to `torch` and `torch.linalg`.
pub fn install(m: &Module, linalg: &Module) {
    linalg.set(
        "lu_factor",
        Value::builtin("lu_factor", |i, a| lu_factor(i, a, false)),
    );
    linalg.set(
        "lu_factor_ex",
        Value::builtin("lu_factor_ex", |i, a| lu_factor(i, a, true)),
    );
    linalg.set(
        "lu",
        Value::builtin("lu", |_, args| {
            let [a, pivot, _out] = args.bind(&["A", "*", "pivot=", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_lu", "A", 1)?;
            check_pivot(pivot.as_ref())?;
            let (p, l, u) = lu::lu(&a).map_err(exc)?;
            Ok(named("linalg_lu", &["P", "L", "U"], vec![p, l, u]))
        }),
    );
    linalg.set(
        "lu_solve",
        Value::builtin("lu_solve", |_, args| {
            let [f, p, b, left, adjoint, _out] =
                args.bind(&["LU", "pivots", "B", "*", "left=", "adjoint=", "out="])?;
            let f = tensor_param_at(f.as_ref(), "linalg_lu_solve", "LU", 1)?;
            let p = tensor_param_at(p.as_ref(), "linalg_lu_solve", "pivots", 2)?;
            let b = tensor_param_at(b.as_ref(), "linalg_lu_solve", "B", 3)?;
            lu::lu_solve(
                &f,
                &p,
                &b,
                bool_arg(left.as_ref(), true),
                bool_arg(adjoint.as_ref(), false),
            )
            .map(tv)
            .map_err(exc)
        }),
    );
    linalg.set(
        "solve_triangular",
        Value::builtin("solve_triangular", |_, args| {
            let [a, b, upper, left, unit, _out] =
                args.bind(&["A", "B", "*", "upper=", "left=", "unitriangular=", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_solve_triangular", "A", 1)?;
            let b = tensor_param_at(b.as_ref(), "linalg_solve_triangular", "B", 2)?;
            let Some(upper) = upper else {
                return Err(Exception::type_error(
                    "linalg_solve_triangular() missing 1 required positional arguments: \"upper\"",
                ));
            };
            let upper = bool_arg(Some(&upper), false);
            lu::solve_triangular(
                &a,
                &b,
                upper,
                bool_arg(left.as_ref(), true),
                bool_arg(unit.as_ref(), false),
            )
            .map(tv)
            .map_err(exc)
        }),
    );
    linalg.set(
        "solve",
        Value::builtin("solve", |_, args| {
            let [a, b, left, _out] = args.bind(&["A", "B", "*", "left=", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_solve", "A", 1)?;
            let b = tensor_param_at(b.as_ref(), "linalg_solve", "B", 2)?;
            lu::solve(&a, &b, bool_arg(left.as_ref(), true))
                .map(tv)
                .map_err(linalg_error)
        }),
    );
    linalg.set(
        "inv_ex",
        Value::builtin("inv_ex", |_, args| {
            let [a, check, _out] = args.bind(&["A", "*", "check_errors=", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_inv_ex", "A", 1)?;
            let (inv, info) = lu::inv_ex(&a).map_err(exc)?;
            if bool_arg(check.as_ref(), false)
                && let Some((i, k)) = first_failure(&info)
            {
                return Err(linalg_error(engine::TensorError::Runtime {
                    msg: format!(
                        "linalg.inv_ex: {}The diagonal element {k} is zero, the inversion could not be completed because the input matrix is singular.",
                        batch_prefix(&a, i)
                    ),
                }));
            }
            Ok(named("linalg_inv_ex", &["inverse", "info"], vec![inv, info]))
        }),
    );
    linalg.set(
        "cholesky_ex",
        Value::builtin("cholesky_ex", |_, args| {
            let [a, upper, check, _out] = args.bind(&["A", "*", "upper=", "check_errors=", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_cholesky_ex", "A", 1)?;
            let upper = bool_arg(upper.as_ref(), false);
            let (partial, infos) = lu::cholesky_partial(&a, upper).map_err(exc)?;
            let batch = a.shape()[..a.dim() - 2].to_vec();
            let failed = infos.iter().position(|&k| k != 0);
            let l = match failed {
                None => engine::decomp_ops::cholesky(&a, upper).map_err(linalg_error)?,
                Some(i) if bool_arg(check.as_ref(), false) => {
                    return Err(linalg_error(engine::TensorError::Runtime {
                        msg: format!(
                            "linalg.cholesky_ex: {}The factorization could not be completed because the input is not positive-definite (the leading minor of order {} is not positive-definite).",
                            batch_prefix(&a, i),
                            infos[i]
                        ),
                    }));
                }
                Some(_) => partial,
            };
            let info = lu::info_tensor(infos, &batch).map_err(exc)?;
            Ok(named("linalg_cholesky_ex", &["L", "info"], vec![l, info]))
        }),
    );
    let power = |fname: &'static str| {
        Value::builtin(fname, move |_, args| {
            let [a, n, _out] = args.bind(&["A", "n", "*", "out="])?;
            let a = tensor_param_at(a.as_ref(), fname, "A", 1)?;
            matrix_power(&a, int_n(n.as_ref(), fname)?).map(tv)
        })
    };
    linalg.set("matrix_power", power("linalg_matrix_power"));
    m.set("matrix_power", power("matrix_power"));
}

/// `t.matrix_power(n)`.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    if name != "matrix_power" {
        return None;
    }
    Some(Value::method(this.clone(), "matrix_power", |_, args| {
        let [n] = args.bind(&["n"])?;
        let t = tensor_param_at(args.this.as_ref(), "matrix_power", "self", 0)?;
        matrix_power(&t, int_n(n.as_ref(), "matrix_power")?).map(tv)
    }))
}
