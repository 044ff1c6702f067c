//! `numpy.linalg` (`norm`, `inv`, `det`, `solve`, `eig`/`eigvals`, `eigh`, `svd`, `pinv`,
//! `matrix_rank`) over the engine's LU and LAPACK-step decompositions, and `np.cov`/`np.corrcoef`
//! as NumPy's code computes them. Integer input is float64 first, as NumPy's `_commonType`
//! makes it; failures raise `LinAlgError` with NumPy's messages.

use std::rc::Rc;

use crate::lang::native::Args;
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor, decomp_ops, linalg};

use super::array::{Elems, R, array, build, convert, elems, exc, result};
use super::funcs::{arg, need};
use super::methods::{array_arg, int_of};
use super::ops::{self, NpOp, Operand, Reduce};

/// The exception type NumPy's linear algebra raises, as `type(e)` names it.
const LINALG_ERROR: &str = "numpy.linalg.LinAlgError";

fn lin_err(msg: &str) -> Exception {
    Exception::new(LINALG_ERROR, msg)
}

/// `a` as a float matrix stack (float32 stays float32), with NumPy's dimension checks.
fn floats(t: &Tensor, square: bool) -> R<Tensor> {
    let nd = t.dim();
    if nd < 2 {
        return Err(lin_err(&format!(
            "{nd}-dimensional array given. Array must be at least two-dimensional"
        )));
    }
    let s = t.shape();
    if square && s[nd - 1] != s[nd - 2] {
        return Err(lin_err("Last 2 dimensions of the array must be square"));
    }
    match t.dtype() {
        DType::Float32 | DType::Float64 => Ok(t.contiguous()),
        _ => convert(t, DType::Float64),
    }
}

fn mat_arg(it: &mut Interpreter, args: &Args, square: bool) -> R<Tensor> {
    floats(&array_arg(it, &need(args, 0, "a")?)?, square)
}

fn sqrt_all(t: &Tensor) -> R<Tensor> {
    ops::unary_float(t, f64::sqrt)
}

fn abs(t: &Tensor) -> R<Tensor> {
    let e = match elems(t) {
        Elems::Float(v) => Elems::Float(v.into_iter().map(f64::abs).collect()),
        other => Elems::Float(other.f64s().into_iter().map(f64::abs).collect()),
    };
    let d = if t.dtype() == DType::Float32 {
        DType::Float32
    } else {
        DType::Float64
    };
    build(e, &t.shape(), d)
}

/// A vector norm of `t` along `axis` (None: flattened), as NumPy's `norm` computes each `ord`.
fn vector_norm(t: &Tensor, ord: Option<f64>, axis: Option<isize>, keep: bool) -> R<Tensor> {
    let t = if t.dtype().is_floating_point() {
        t.clone()
    } else {
        convert(t, DType::Float64)?
    };
    let (t, axis) = match axis {
        None => (t.reshape(&[-1]).map_err(exc)?, 0),
        Some(a) => (t, a),
    };
    let sum = |x: &Tensor| ops::reduce(x, Reduce::Sum, Some(axis), keep);
    let a = abs(&t)?;
    match ord {
        None | Some(2.0) => {
            let sq = ops::binary(
                NpOp::Mul,
                &Operand::Array(t.clone()),
                &Operand::Array(t.clone()),
            )?;
            sqrt_all(&sum(&sq)?)
        }
        Some(f64::INFINITY) => ops::reduce(&a, Reduce::Max, Some(axis), keep),
        Some(f64::NEG_INFINITY) => ops::reduce(&a, Reduce::Min, Some(axis), keep),
        Some(1.0) => sum(&a),
        Some(0.0) => {
            let nz = build(
                Elems::Float(
                    elems(&t)
                        .bools()
                        .into_iter()
                        .map(|b| f64::from(u8::from(b)))
                        .collect(),
                ),
                &t.shape(),
                t.dtype(),
            )?;
            sum(&nz)
        }
        Some(p) => {
            let pw = ops::binary(
                NpOp::Pow,
                &Operand::Array(a),
                &Operand::Weak(crate::tensor::Scalar::Float(p)),
            )?;
            let s = sum(&pw)?;
            ops::binary(
                NpOp::Pow,
                &Operand::Array(s),
                &Operand::Weak(crate::tensor::Scalar::Float(1.0 / p)),
            )
        }
    }
}

fn singular_values(t: &Tensor) -> R<Vec<f64>> {
    let (_, s, _) = decomp_ops::svd(&floats(t, false)?, false, false, "svd")
        .map_err(|_| lin_err("SVD did not converge"))?;
    Ok(elems(&s).f64s())
}

/// A matrix norm of a 2-d array (no axis given).
fn matrix_norm(t: &Tensor, ord: &Value) -> R<Tensor> {
    let scalar = |x: f64| build(Elems::Float(vec![x]), &[], DType::Float64);
    if let Value::Str(s) = ord {
        return match &**s {
            "fro" => vector_norm(t, None, None, false),
            "nuc" => scalar(singular_values(t)?.iter().sum()),
            _ => Err(Exception::value_error("Invalid norm order for matrices.")),
        };
    }
    let p = ord.expect_f64("ord")?;
    let a = abs(t)?;
    let (axis, pick) = match p {
        1.0 => (0, Reduce::Max),
        -1.0 => (0, Reduce::Min),
        f64::INFINITY => (1, Reduce::Max),
        f64::NEG_INFINITY => (1, Reduce::Min),
        2.0 | -2.0 => {
            let s = singular_values(t)?;
            let v = if p > 0.0 {
                s.iter().copied().fold(f64::MIN, f64::max)
            } else {
                s.iter().copied().fold(f64::MAX, f64::min)
            };
            return scalar(v);
        }
        _ => return Err(Exception::value_error("Invalid norm order for matrices.")),
    };
    let sums = ops::reduce(&a, Reduce::Sum, Some(axis), false)?;
    ops::reduce(&sums, pick, None, false)
}

fn norm(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "x")?)?;
    let ord = arg(args, 1, "ord").filter(|v| !v.is_none());
    let keep = matches!(arg(args, 3, "keepdims"), Some(Value::Bool(true)));
    let axis = match arg(args, 2, "axis") {
        None | Some(Value::None) => None,
        Some(Value::Tuple(_)) => {
            return Err(Exception::unsupported(
                "np.linalg.norm with a tuple of axes",
            ));
        }
        Some(v) => Some(int_of(&v)? as isize),
    };
    let ordf = |o: &Value| -> R<f64> {
        match o {
            Value::Str(_) => Err(Exception::value_error(
                "Invalid norm order 'fro' for vectors",
            )),
            o => o.expect_f64("ord"),
        }
    };
    let r = match (&ord, axis, t.dim()) {
        (None, None, _) if !keep => vector_norm(&t, None, None, false)?,
        (Some(o), None, 2) => matrix_norm(&t, o)?,
        (o, None, 1) | (o, Some(_), _) => {
            let p = o.as_ref().map(ordf).transpose()?;
            vector_norm(&t, p, axis.or(Some(0)), keep)?
        }
        (None, None, _) => {
            let r = vector_norm(&t, None, None, false)?;
            r.reshape(&vec![1; t.dim()]).map_err(exc)?
        }
        _ => {
            return Err(Exception::value_error(
                "Improper number of dimensions to norm.",
            ));
        }
    };
    Ok(result(r))
}

/// `det` as NumPy's `umath_linalg` computes it: LU with partial pivoting (rows scaled by the
/// pivot's reciprocal, as getf2 does), then sign times `exp` of the summed log-magnitudes of
/// U's diagonal, in the array's precision.
fn det(t: &Tensor) -> R<Value> {
    let shape = t.shape();
    let n = shape[shape.len() - 1];
    let single = t.dtype() == DType::Float32;
    let r = |x: f64| if single { x as f32 as f64 } else { x };
    let vals = elems(t).f64s();
    let mut out = Vec::new();
    for block in vals.chunks(n * n).filter(|_| n > 0) {
        let mut a = block.to_vec();
        let (mut sign, mut logdet) = (1.0f64, 0.0f64);
        for k in 0..n {
            let p = (k..n).fold(k, |best, i| {
                if a[i * n + k].abs() > a[best * n + k].abs() {
                    i
                } else {
                    best
                }
            });
            if p != k {
                for j in 0..n {
                    a.swap(k * n + j, p * n + j);
                }
                sign = -sign;
            }
            let piv = a[k * n + k];
            if piv == 0.0 {
                sign = 0.0;
                logdet = f64::NEG_INFINITY;
                break;
            }
            let inv = r(1.0 / piv);
            for i in k + 1..n {
                let l = r(a[i * n + k] * inv);
                for j in k + 1..n {
                    a[i * n + j] = r(a[i * n + j] - r(l * a[k * n + j]));
                }
            }
            if piv < 0.0 {
                sign = -sign;
            }
            logdet = r(logdet
                + if single {
                    f64::from((piv.abs() as f32).ln())
                } else {
                    piv.abs().ln()
                });
        }
        let e = if single {
            f64::from((logdet as f32).exp())
        } else {
            logdet.exp()
        };
        out.push(if n == 0 { 1.0 } else { r(sign * e) });
    }
    if n == 0 {
        out = vec![1.0; shape[..shape.len() - 2].iter().product()];
    }
    Ok(result(build(
        Elems::Float(out),
        &shape[..shape.len() - 2],
        t.dtype(),
    )?))
}

fn solve(it: &mut Interpreter, args: &Args) -> R<Value> {
    let a = mat_arg(it, args, true)?;
    let b = array_arg(it, &need(args, 1, "b")?)?;
    let d = if a.dtype() == DType::Float32 && b.dtype() == DType::Float32 {
        DType::Float32
    } else {
        DType::Float64
    };
    let (a, b) = (convert(&a, d)?, convert(&b, d)?);
    let n = a.shape()[0];
    if b.shape().first() != Some(&n) || b.dim() > 2 {
        return Err(Exception::value_error(format!(
            "solve: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature (m,m),(m,n)->(m,n) (size {} is different from {n})",
            b.shape().first().copied().unwrap_or(0)
        )));
    }
    if linalg::det(&a).map_err(exc)?.item().map_err(exc)?.as_f64() == 0.0 {
        return Err(lin_err("Singular matrix"));
    }
    Ok(array(
        linalg::solve(&a, &b, true).map_err(|_| lin_err("Singular matrix"))?,
    ))
}

/// `eig`/`eigvals`: real results when every eigenvalue is real (NumPy's `isreal` check).
fn eig(t: &Tensor, vectors: bool) -> R<Value> {
    if elems(t).f64s().iter().any(|x| !x.is_finite()) {
        return Err(lin_err("Array must not contain infs or NaNs"));
    }
    let (wr, wi, vr, _) =
        decomp_ops::eig(t, vectors).map_err(|_| lin_err("Eigenvalues did not converge"))?;
    if elems(&wi).f64s().iter().any(|&x| x != 0.0) {
        return Err(Exception::unsupported(
            "np.linalg.eig with complex eigenvalues",
        ));
    }
    if !vectors {
        return Ok(array(wr));
    }
    Ok(Value::tuple(vec![array(wr), array(vr)]))
}

fn svd(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = mat_arg(it, args, false)?;
    let flag = |i, name, default| {
        arg(args, i, name).map_or(default, |v| {
            !matches!(v, Value::Bool(false) | Value::Int(0))
        })
    };
    let full = flag(1, "full_matrices", true);
    let uv = flag(2, "compute_uv", true);
    let (u, s, vh) =
        decomp_ops::svd(&t, full, uv, "svd").map_err(|_| lin_err("SVD did not converge"))?;
    if !uv {
        return Ok(array(s));
    }
    Ok(Value::tuple(vec![array(u), array(s), array(vh)]))
}

/// `np.cov(m, y=None, rowvar=True, bias=False, ddof=None)` as NumPy's steps: rows are
/// variables, means subtracted, `X @ X.T` times `1 / (N - ddof)`, squeezed.
fn cov_of(it: &mut Interpreter, args: &Args) -> R<Tensor> {
    let two_d = |t: Tensor| -> R<Tensor> {
        let t = convert(&t, DType::Float64)?;
        match t.dim() {
            0 | 1 => t.reshape(&[1, -1]).map_err(exc),
            2 => Ok(t),
            _ => Err(Exception::value_error("m has more than 2 dimensions")),
        }
    };
    let rowvar = arg(args, 2, "rowvar").is_none_or(|v| !matches!(v, Value::Bool(false)));
    let orient = |t: Tensor| -> R<Tensor> {
        if !rowvar && t.shape()[0] != 1 {
            ops::transpose(&t, None)
        } else {
            Ok(t)
        }
    };
    let mut x = orient(two_d(array_arg(it, &need(args, 0, "m")?)?)?)?;
    if let Some(y) = arg(args, 1, "y").filter(|v| !v.is_none()) {
        let y = orient(two_d(array_arg(it, &y)?)?)?;
        x = Tensor::cat(&[x, y], 0).map_err(exc)?;
    }
    let bias = matches!(arg(args, 3, "bias"), Some(Value::Bool(true)));
    let ddof = match arg(args, 4, "ddof") {
        None | Some(Value::None) => i64::from(!bias),
        Some(v) => int_of(&v)?,
    };
    let n = x.shape()[1] as f64;
    let avg = ops::mean(&x, Some(1), true)?;
    let xc = ops::binary(NpOp::Sub, &Operand::Array(x), &Operand::Array(avg))?;
    let xt = ops::transpose(&xc, None)?;
    let c = ops::binary(NpOp::MatMul, &Operand::Array(xc), &Operand::Array(xt))?;
    let fact = n - ddof as f64;
    let c = ops::binary(
        NpOp::Mul,
        &Operand::Array(c),
        &Operand::Weak(crate::tensor::Scalar::Float(1.0 / fact)),
    )?;
    c.squeeze(None).map_err(exc)
}

fn corrcoef(it: &mut Interpreter, args: &Args) -> R<Value> {
    let c = cov_of(it, args)?;
    if c.dim() == 0 {
        return Ok(array(ops::binary(
            NpOp::Div,
            &Operand::Array(c.clone()),
            &Operand::Array(c),
        )?));
    }
    let std = sqrt_all(&c.diagonal(0, 0, 1).map_err(exc)?.contiguous())?;
    let col = std.reshape(&[-1, 1]).map_err(exc)?;
    let row = std.reshape(&[1, -1]).map_err(exc)?;
    let c = ops::binary(NpOp::Div, &Operand::Array(c), &Operand::Array(col))?;
    let c = ops::binary(NpOp::Div, &Operand::Array(c), &Operand::Array(row))?;
    let v = elems(&c)
        .f64s()
        .into_iter()
        .map(|x| x.clamp(-1.0, 1.0))
        .collect();
    Ok(array(build(Elems::Float(v), &c.shape(), DType::Float64)?))
}

fn module() -> Module {
    let m = Module::new("numpy.linalg");
    let def = |name: &'static str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        m.set(name, Value::builtin(name, f))
    };
    def("norm", |it, args| norm(it, &args));
    def("inv", |it, args| {
        let t = mat_arg(it, &args, true)?;
        Ok(array(
            linalg::inv(&t).map_err(|_| lin_err("Singular matrix"))?,
        ))
    });
    def("det", |it, args| det(&mat_arg(it, &args, true)?));
    def("solve", |it, args| solve(it, &args));
    def("eig", |it, args| eig(&mat_arg(it, &args, true)?, true));
    def("eigvals", |it, args| eig(&mat_arg(it, &args, true)?, false));
    def("eigh", |it, args| {
        let t = mat_arg(it, &args, true)?;
        let upper = matches!(&arg(&args, 1, "UPLO"), Some(Value::Str(s)) if &**s == "U");
        let (w, v) = decomp_ops::eigh(&t, upper, true)
            .map_err(|_| lin_err("Eigenvalues did not converge"))?;
        Ok(Value::tuple(vec![array(w), array(v)]))
    });
    def("svd", |it, args| svd(it, &args));
    def("pinv", |it, args| {
        let t = mat_arg(it, &args, false)?;
        Ok(array(decomp_ops::pinv(&t, None, None).map_err(exc)?))
    });
    def("matrix_rank", |it, args| {
        let t = array_arg(it, &need(&args, 0, "A")?)?;
        if t.dim() < 2 {
            let nz = elems(&t).f64s().iter().any(|&x| x != 0.0);
            return Ok(result(build(
                Elems::Int(vec![i64::from(nz)]),
                &[],
                DType::Int64,
            )?));
        }
        Ok(result(
            decomp_ops::matrix_rank(&floats(&t, false)?, None, None).map_err(exc)?,
        ))
    });
    m
}

/// Makes NumPy's exception classes known to the interpreter, both ValueError subclasses (so
/// `except ValueError` catches them and `type(e).__name__` is NumPy's).
fn install_errors(it: &mut Interpreter, lin: &Module, np: &Module) {
    let base = it.types.get("ValueError").cloned();
    for (qual, module, name, home) in [
        (LINALG_ERROR, "numpy.linalg", "LinAlgError", lin),
        (
            "numpy.exceptions.AxisError",
            "numpy.exceptions",
            "AxisError",
            np,
        ),
    ] {
        let t = Rc::new(TypeObj::build(
            name.into(),
            Some(module.into()),
            base.clone(),
            None,
            Default::default(),
        ));
        it.types.insert(qual, t.clone());
        home.set(name, Value::Type(t));
    }
}

/// Registers `np.linalg`, `np.cov` and `np.corrcoef`.
pub fn install(it: &mut Interpreter, m: &Module) {
    let lin_m = module();
    install_errors(it, &lin_m, m);
    let lin = Value::Module(Rc::new(lin_m));
    m.set("linalg", lin.clone());
    it.register_module("numpy.linalg", lin);
    m.set(
        "cov",
        Value::builtin("cov", |it, args| Ok(array(cov_of(it, &args)?))),
    );
    m.set(
        "corrcoef",
        Value::builtin("corrcoef", |it, args| corrcoef(it, &args)),
    );
}
