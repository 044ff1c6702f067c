//! The decompositions of `torch.linalg` (`svd`, `svdvals`, `qr`, `eigh`, `eigvalsh`,
//! `cholesky`, `lstsq`, `matrix_rank`, `pinv`) and their older `torch.` forms (`torch.svd`,
//! `torch.qr`, `torch.cholesky`, `torch.pinverse`) with PyTorch's named-tuple results, over
//! the engine's `decomp_ops`. `torch.qr`, `torch.cholesky` and the other functions PyTorch 2
//! removed raise its RuntimeError saying what replaces them.

use super::R;
use super::convert::{as_tensor, bool_arg, exc, tv};
use crate::lang::ast::NameMap;
use crate::lang::native::{Args, NativeObject};
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::decomp::QrMode;
use crate::tensor::decomp_ops as ops;

/// `torch.return_types.NAME(field=..., ...)`: a named tuple of several fields.
pub struct NamedResult {
    pub name: &'static str,
    pub fields: &'static [&'static str],
    pub values: Vec<Value>,
}

impl NativeObject for NamedResult {
    fn type_name(&self) -> &str {
        self.name
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.return_types")
    }
    fn repr(&self) -> String {
        let body: Vec<String> = self
            .fields
            .iter()
            .zip(&self.values)
            .map(|(f, v)| format!("{f}={}", v.repr()))
            .collect();
        format!("torch.return_types.{}(\n{})", self.name, body.join(",\n"))
    }
    fn get_attr(
        &self,
        _: &Value,
        name: &str,
        _: &mut Interpreter,
    ) -> Result<Option<Value>, Exception> {
        Ok(self
            .fields
            .iter()
            .position(|f| *f == name)
            .map(|i| self.values[i].clone()))
    }
    fn len(&self, _: &mut Interpreter) -> Result<Option<usize>, Exception> {
        Ok(Some(self.values.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(Some(Value::iter_items(self.values.clone())))
    }
    fn get_item(
        &self,
        _: &Value,
        key: &Value,
        interp: &mut Interpreter,
    ) -> Result<Option<Value>, Exception> {
        interp
            .get_item(&Value::tuple(self.values.clone()), key)
            .map(Some)
    }
}

pub(super) fn named(name: &'static str, fields: &'static [&'static str], values: Vec<Tensor>) -> Value {
    Value::Native(std::rc::Rc::new(NamedResult {
        name,
        fields,
        values: values.into_iter().map(tv).collect(),
    }))
}

fn tensor(v: Option<&Value>, fname: &str, param: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument '{param}' (position 1) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

/// An optional float keyword (`atol=`, `rtol=`).
fn opt_f64(v: Option<&Value>, what: &str) -> R<Option<f64>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(Value::Int(i)) => Ok(Some(*i as f64)),
        Some(Value::Float(f)) => Ok(Some(*f)),
        Some(t) => match as_tensor(t) {
            Some(t) if t.numel() == 1 => Ok(Some(t.item().map_err(exc)?.as_f64())),
            _ => Err(Exception::type_error(format!(
                "{what} must be a float, not {}",
                t.type_name()
            ))),
        },
    }
}

/// `torch.svd(input, some=True, compute_uv=True)`: (U, S, V) with V = Vh^T.
fn torch_svd(t: &Tensor, some: bool, uv: bool) -> R<Value> {
    if t.dim() < 2 {
        return Err(Exception::runtime_error(format!(
            "linalg.svd: input should have at least 2 dimensions, but has {} dimensions instead",
            t.dim()
        )));
    }
    let (u, s, vh) = ops::svd(t, !some, true, "linalg.svd").map_err(exc)?;
    let (u, v) = if uv {
        (u, vh.transpose(-2, -1).map_err(exc)?)
    } else {
        // Zero-filled U (m x m) and V (n x n), as PyTorch documents.
        let shape = t.shape();
        let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let mut us = shape[..shape.len() - 2].to_vec();
        let mut vs = us.clone();
        us.extend([m, m]);
        vs.extend([n, n]);
        (Tensor::zeros(&us, t.dtype()), Tensor::zeros(&vs, t.dtype()))
    };
    Ok(named("svd", &["U", "S", "V"], vec![u, s, v]))
}

fn qr_mode(v: Option<&Value>) -> R<QrMode> {
    match v {
        None | Some(Value::None) => Ok(QrMode::Reduced),
        Some(Value::Str(s)) => match &**s {
            "reduced" => Ok(QrMode::Reduced),
            "complete" => Ok(QrMode::Complete),
            "r" => Ok(QrMode::R),
            other => Err(Exception::runtime_error(format!(
                "qr received unrecognized mode '{other}' but expected one of 'reduced' (default), 'r', or 'complete'"
            ))),
        },
        Some(v) => Err(Exception::type_error(format!(
            "linalg_qr(): argument 'mode' must be str, not {}",
            v.type_name()
        ))),
    }
}

fn uplo(v: Option<&Value>) -> R<bool> {
    match v {
        None | Some(Value::None) => Ok(false),
        Some(Value::Str(s)) if &**s == "L" || &**s == "l" => Ok(false),
        Some(Value::Str(s)) if &**s == "U" || &**s == "u" => Ok(true),
        Some(Value::Str(s)) => Err(Exception::runtime_error(format!(
            "Expected UPLO argument to be 'L' or 'U', but got {s}"
        ))),
        Some(v) => Err(Exception::type_error(format!(
            "linalg_eigh(): argument 'UPLO' must be str, not {}",
            v.type_name()
        ))),
    }
}

/// Adds the decompositions to `torch.linalg` and their older forms to `torch`.
pub fn install(m: &Module, linalg: &Module) {
    linalg.set(
        "svd",
        Value::builtin("svd", |_, args| {
            let [a, full, _driver, _out] =
                args.bind(&["A", "full_matrices=", "*", "driver=", "out="])?;
            let a = tensor(a.as_ref(), "linalg_svd", "A")?;
            let (u, s, vh) =
                ops::svd(&a, bool_arg(full.as_ref(), true), true, "linalg.svd").map_err(exc)?;
            Ok(named("linalg_svd", &["U", "S", "Vh"], vec![u, s, vh]))
        }),
    );
    linalg.set(
        "svdvals",
        Value::builtin("svdvals", |_, args| {
            let [a, _driver, _out] = args.bind(&["A", "*", "driver=", "out="])?;
            let a = tensor(a.as_ref(), "linalg_svdvals", "A")?;
            Ok(tv(ops::svd(&a, false, false, "linalg.svd").map_err(exc)?.1))
        }),
    );
    m.set(
        "svd",
        Value::builtin("svd", |_, args| {
            let [a, some, uv] = args.bind(&["input", "some=", "compute_uv="])?;
            let a = tensor(a.as_ref(), "svd", "input")?;
            torch_svd(
                &a,
                bool_arg(some.as_ref(), true),
                bool_arg(uv.as_ref(), true),
            )
        }),
    );
    linalg.set(
        "qr",
        Value::builtin("qr", |_, args| {
            let [a, mode, _out] = args.bind(&["A", "mode=", "*", "out="])?;
            let a = tensor(a.as_ref(), "linalg_qr", "A")?;
            let (q, r) = ops::qr(&a, qr_mode(mode.as_ref())?).map_err(exc)?;
            Ok(named("linalg_qr", &["Q", "R"], vec![q, r]))
        }),
    );
    m.set(
        "qr",
        Value::builtin("qr", |_, args| {
            let [_a, some] = args.bind(&["input", "some="])?;
            Err(removed_qr(bool_arg(some.as_ref(), true)))
        }),
    );
    linalg.set(
        "eigh",
        Value::builtin("eigh", |_, args| {
            let [a, up, _out] = args.bind(&["A", "UPLO=", "*", "out="])?;
            let a = tensor(a.as_ref(), "linalg_eigh", "A")?;
            let (w, z) = ops::eigh(&a, uplo(up.as_ref())?, true).map_err(exc)?;
            Ok(named(
                "linalg_eigh",
                &["eigenvalues", "eigenvectors"],
                vec![w, z],
            ))
        }),
    );
    linalg.set(
        "eigvalsh",
        Value::builtin("eigvalsh", |_, args| {
            let [a, up, _out] = args.bind(&["A", "UPLO=", "*", "out="])?;
            let a = tensor(a.as_ref(), "linalg_eigvalsh", "A")?;
            Ok(tv(ops::eigh(&a, uplo(up.as_ref())?, false).map_err(exc)?.0))
        }),
    );
    linalg.set(
        "cholesky",
        Value::builtin("cholesky", |_, args| {
            let [a, upper, _out] = args.bind(&["A", "*", "upper=", "out="])?;
            let a = tensor(a.as_ref(), "linalg_cholesky", "A")?;
            ops::cholesky(&a, bool_arg(upper.as_ref(), false))
                .map(tv)
                .map_err(linalg_error)
        }),
    );
    m.set(
        "cholesky",
        Value::builtin("cholesky", |_, _| Err(removed_cholesky())),
    );
    for (name, msg) in REMOVED {
        m.set(
            name,
            Value::builtin(name, move |_, _| {
                Err(Exception::runtime_error(format!("{REMOVED_SINCE}{msg}")))
            }),
        );
    }
    linalg.set(
        "lstsq",
        Value::builtin("lstsq", |_, args| {
            let [a, b, _rcond, _driver] = args.bind(&["A", "B", "rcond=", "*", "driver="])?;
            let a = tensor(a.as_ref(), "linalg_lstsq", "A")?;
            let b = tensor(b.as_ref(), "linalg_lstsq", "B")?;
            let (x, res, rank, sv) = ops::lstsq(&a, &b).map_err(exc)?;
            Ok(named(
                "linalg_lstsq",
                &["solution", "residuals", "rank", "singular_values"],
                vec![x, res, rank, sv],
            ))
        }),
    );
    linalg.set(
        "matrix_rank",
        Value::builtin("matrix_rank", |_, args| {
            let [a, tol, atol, rtol, _herm, _out] =
                args.bind(&["A", "tol=", "*", "atol=", "rtol=", "hermitian=", "out="])?;
            let a = tensor(a.as_ref(), "linalg_matrix_rank", "A")?;
            let atol = opt_f64(atol.as_ref(), "atol")?.or(opt_f64(tol.as_ref(), "tol")?);
            Ok(tv(ops::matrix_rank(
                &a,
                atol,
                opt_f64(rtol.as_ref(), "rtol")?,
            )
            .map_err(exc)?))
        }),
    );
    linalg.set(
        "pinv",
        Value::builtin("pinv", |_, args| {
            let [a, rcond, atol, rtol, _herm, _out] =
                args.bind(&["A", "rcond=", "*", "atol=", "rtol=", "hermitian=", "out="])?;
            let a = tensor(a.as_ref(), "linalg_pinv", "A")?;
            let rtol = opt_f64(rtol.as_ref(), "rtol")?.or(opt_f64(rcond.as_ref(), "rcond")?);
            Ok(tv(
                ops::pinv(&a, opt_f64(atol.as_ref(), "atol")?, rtol).map_err(exc)?
            ))
        }),
    );
    m.set(
        "pinverse",
        Value::builtin("pinverse", |_, args| {
            let [a, rcond] = args.bind(&["input", "rcond="])?;
            let a = tensor(a.as_ref(), "pinverse", "input")?;
            let rcond = opt_f64(rcond.as_ref(), "rcond")?.unwrap_or(1e-15);
            Ok(tv(ops::pinv(&a, None, Some(rcond)).map_err(exc)?))
        }),
    );
}

/// The exception class of a failed factorisation, registered under this name.
const LINALG_ERROR: &str = "torch._C._LinAlgError";

/// A failed factorisation: PyTorch raises `torch.linalg.LinAlgError` (`torch._C._LinAlgError`,
/// a RuntimeError).
pub(super) fn linalg_error(e: crate::tensor::TensorError) -> Exception {
    let e = exc(e);
    let msg = e.message();
    if e.py_type() == "RuntimeError" && (msg.contains("could not be completed") || msg.contains("The solver failed")) {
        return Exception::new(LINALG_ERROR, e.message());
    }
    e
}

/// Makes `torch.linalg.LinAlgError`, the RuntimeError subclass `torch._C._LinAlgError`, known
/// to the interpreter (so `except RuntimeError` catches it and `type(e).__name__` is PyTorch's).
pub fn install_errors(interp: &mut Interpreter, torch: &Module) {
    let base = interp.types.get("RuntimeError").cloned();
    let t = std::rc::Rc::new(TypeObj::build(
        "_LinAlgError".into(),
        Some("torch._C".into()),
        base,
        None,
        NameMap::default(),
    ));
    interp.types.insert(LINALG_ERROR, t.clone());
    if let Some(Value::Module(l)) = &torch.get("linalg") {
        l.set("LinAlgError", Value::Type(t));
    }
}

const REMOVED_SINCE: &str = "This function was deprecated since version 1.9 and is now removed.";

/// `torch.qr` and `Tensor.qr`, removed in PyTorch 2: the RuntimeError they raise.
fn removed_qr(some: bool) -> Exception {
    let (s, mode) = if some {
        ("True", "reduced")
    } else {
        ("False", "complete")
    };
    Exception::runtime_error(format!(
        "{REMOVED_SINCE} `torch.qr` is deprecated in favor of `torch.linalg.qr` and the boolean parameter `some` has been replaced with a string parameter `mode`.\n\nQ, R = torch.qr(A) should be replaced with:\nQ, R = torch.linalg.qr(A, mode='reduced')\n\nand\n\nQ, R = torch.qr(A, some=False) should be replaced with:\nQ, R = torch.linalg.qr(A, mode='complete')\n\nSince `some` was set to {s}, use mode='{mode}'."
    ))
}

/// `torch.cholesky` and `Tensor.cholesky`, removed likewise.
fn removed_cholesky() -> Exception {
    Exception::runtime_error(format!(
        "{REMOVED_SINCE} `torch.cholesky` is deprecated in favor of `torch.linalg.cholesky`.\nL = torch.cholesky(A) should be replaced with:\nL = torch.linalg.cholesky(A)\nU = torch.cholesky(A, upper=True) should be replaced with:\nU = torch.linalg.cholesky(A).mH"
    ))
}

/// The other removed linear-algebra functions and what follows "is now removed." in their
/// message.
const REMOVED: [(&str, &str); 4] = [
    (
        "symeig",
        " The default behavior has changed from using the upper triangular portion of the matrix by default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, upper=upper) should be replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper else 'L')\n\nand\n\nL, V = torch.symeig(A, eigenvectors=True) should be replaced with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
    ),
    (
        "lstsq",
        " `torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has reversed arguments and does not return the QR decomposition in the returned tuple (although it returns other information about the problem).\n\nTo get the QR decomposition consider using `torch.linalg.qr`.\n\nThe returned solution in `torch.lstsq` stored the residuals of the solution in the last m - n columns of the returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field 'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as in\nX, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\nX = torch.linalg.lstsq(A, B).solution",
    ),
    (
        "matrix_rank",
        "\nPlease use the `torch.linalg.matrix_rank` function instead. The parameter 'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
    ),
    (
        "eig",
        " `torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, eigenvectors=True) should be replaced with:\nL_complex, V_complex = torch.linalg.eig(A)",
    ),
];

/// The tensor methods bound here (`t.svd()`, `t.qr()`, `t.cholesky()`, `t.pinverse()`).
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let f: fn(&mut Interpreter, Args) -> R<Value> = match name {
        "svd" => |_, args| {
            let [some, uv] = args.bind(&["some=", "compute_uv="])?;
            let t = tensor(args.this.as_ref(), "svd", "self")?;
            torch_svd(
                &t,
                bool_arg(some.as_ref(), true),
                bool_arg(uv.as_ref(), true),
            )
        },
        "qr" => |_, args| {
            let [some] = args.bind(&["some="])?;
            Err(removed_qr(bool_arg(some.as_ref(), true)))
        },
        "cholesky" => |_, _| Err(removed_cholesky()),
        "pinverse" => |_, args| {
            let [rcond] = args.bind(&["rcond="])?;
            let t = tensor(args.this.as_ref(), "pinverse", "self")?;
            let rcond = opt_f64(rcond.as_ref(), "rcond")?.unwrap_or(1e-15);
            Ok(tv(ops::pinv(&t, None, Some(rcond)).map_err(exc)?))
        },
        _ => return None,
    };
    Some(Value::method(this.clone(), name, f))
}
