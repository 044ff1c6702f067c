//! Names PyTorch binds on both sides that lessonrun implements on one: tensor methods that are
//! `torch.` functions with the tensor first (`t.unique()`, `t.kron(u)`, `t.where(c, y)`),
//! `t.unfold` (windows.rs's view), `torch.` functions that are tensor methods (`torch.clip`, `torch.is_floating_point`), and
//! the NumPy-style aliases of both (`divide`, `greater`, `absolute`, ...).

use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{as_tensor, exc, f64_arg, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

thread_local! {
    /// The `torch` module of the lesson running on this thread, for methods that call its
    /// functions.
    static TORCH: RefCell<Option<Rc<Module>>> = const { RefCell::new(None) };
}

/// Tensor methods that are `torch.name(self, ...)`.
const AS_TORCH: &[&str] = &[
    "bernoulli",
    "bincount",
    "histc",
    "kron",
    "logical_and",
    "logical_or",
    "maximum",
    "minimum",
    "unique",
    "unique_consecutive",
    "isclose",
];

/// Aliases and the names they stand for, on tensors and in `torch.`.
const ALIASES: &[(&str, &str)] = &[
    ("divide", "div"),
    ("true_divide", "div"),
    ("multiply", "mul"),
    ("subtract", "sub"),
    ("greater", "gt"),
    ("greater_equal", "ge"),
    ("less", "lt"),
    ("less_equal", "le"),
    ("not_equal", "ne"),
    ("absolute", "abs"),
    ("negative", "neg"),
];

/// `torch.name(t, ...)` that is `t.name(...)`.
const FROM_METHOD: &[&str] = &[
    "clip",
    "detach",
    "is_floating_point",
    "broadcast_to",
    "positive",
    "adjoint",
];

fn receiver(args: &Args) -> R<Value> {
    args.this
        .clone()
        .ok_or_else(|| Exception::type_error("descriptor requires a 'torch.Tensor' object"))
}

/// The methods above, for a tensor `this`.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    if let Some(&(_, canonical)) = ALIASES.iter().find(|(a, _)| *a == name) {
        return super::tensor::method(this, canonical);
    }
    match name {
        "where" => Some(Value::method(this.clone(), "where", |interp, args| {
            let [cond, other] = args.bind(&["condition", "other"])?;
            let f = torch_fn("where")?;
            let pos = vec![
                cond.unwrap_or(Value::None),
                receiver(&args)?,
                other.unwrap_or(Value::None),
            ];
            interp.call(
                &f,
                Args {
                    fname: "where".into(),
                    this: None,
                    pos,
                    kw: Vec::new(),
                },
            )
        })),
        "broadcast_to" => Some(Value::method(
            this.clone(),
            "broadcast_to",
            |interp, args| {
                let [size] = args.bind(&["size"])?;
                let t = receiver(&args)?;
                let expand = super::tensor::method(&t, "expand")
                    .ok_or_else(|| Exception::type_error("expand"))?;
                interp.call(
                    &expand,
                    Args {
                        fname: "broadcast_to".into(),
                        this: None,
                        pos: vec![size.unwrap_or(Value::None)],
                        kw: Vec::new(),
                    },
                )
            },
        )),
        "unfold" => Some(Value::method(this.clone(), "unfold", |_, args| {
            let [dim, size, step] = args.bind(&["dimension", "size", "step"])?;
            let int = |v: Option<Value>, n: &str| v.map_or(Ok(0), |v| v.expect_int(n));
            let t = super::tensorfns::receiver(&args)?;
            let (d, n, s) = (
                int(dim, "dimension")?,
                int(size, "size")?,
                int(step, "step")?,
            );
            Ok(tv(t.unfold(d as isize, n, s).map_err(exc)?))
        })),
        "storage_offset" => Some(Value::method(this.clone(), "storage_offset", |_, args| {
            let [] = args.bind(&[])?;
            let t = super::tensorfns::receiver(&args)?;
            Ok(Value::Int(t.storage_offset() as i64))
        })),
        "positive" => Some(Value::method(this.clone(), "positive", |_, args| {
            let [] = args.bind(&[])?;
            receiver(&args)
        })),
        _ => {
            if let Some(m) = super::bitwise::method(this, name).or_else(|| super::cross::method(this, name)).or_else(|| super::dist::method(this, name)).or_else(|| super::matrix_exp::method(this, name)) {
                return Some(m);
            }
            if let Some(m) = super::index_methods::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::inplace_shape::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::erfinv_init::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::shape_more::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::tensor_misc::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::docstring_gaps::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::strided_ops::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::linalg_lu::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::special_fns::method(this, name) {
                return Some(m);
            }
            if let Some(m) = super::special::method(this, name) {
                return Some(m);
            }
            let name: &'static str = AS_TORCH.iter().copied().find(|n| *n == name)?;
            Some(Value::method(this.clone(), name, move |interp, args| {
                let f = torch_fn(name)?;
                let mut pos = vec![receiver(&args)?];
                pos.extend(args.pos);
                interp.call(
                    &f,
                    Args {
                        fname: name.into(),
                        this: None,
                        pos,
                        kw: args.kw,
                    },
                )
            }))
        }
    }
}

pub(super) fn torch_fn(name: &str) -> R<Value> {
    TORCH
        .with(|t| t.borrow().as_ref().and_then(|m| m.get(name)))
        .ok_or_else(|| Exception::runtime_error(format!("torch.{name} is not available")))
}

/// Adds the aliases, the functions that are methods, and `torch.isclose` to `torch`, and keeps
/// `torch` for the methods that call its functions.
pub fn install(torch: &Rc<Module>) {
    TORCH.with(|t| *t.borrow_mut() = Some(torch.clone()));
    for &(alias, canonical) in ALIASES {
        if torch.get(alias).is_none()
            && let Some(f) = torch.get(canonical)
        {
            torch.set(alias, f);
        }
    }
    for &name in FROM_METHOD {
        if torch.get(name).is_some() {
            continue;
        }
        torch.set(
            name,
            Value::builtin(name, move |interp, mut args| {
                if args.pos.is_empty() {
                    return Err(Exception::type_error(format!(
                        "{name}() missing required argument 'input'"
                    )));
                }
                let t = args.pos.remove(0);
                if as_tensor(&t).is_none() {
                    return Err(Exception::type_error(format!(
                        "{name}(): argument 'input' must be Tensor, not {}",
                        t.type_name()
                    )));
                }
                let m = method_of(&t, name)?;
                interp.call(
                    &m,
                    Args {
                        fname: name.into(),
                        this: None,
                        pos: args.pos,
                        kw: args.kw,
                    },
                )
            }),
        );
    }
    if torch.get("isclose").is_none() {
        torch.set("isclose", Value::builtin("isclose", isclose));
    }
}

fn method_of(t: &Value, name: &str) -> R<Value> {
    super::tensor::method(t, name)
        .or_else(|| method(t, name))
        .ok_or_else(|| {
            Exception::new(
                "AttributeError",
                format!("'Tensor' object has no attribute '{name}'"),
            )
        })
}

/// `torch.isclose(a, b, rtol, atol, equal_nan)`: `a == b` or `|a - b| <= atol + rtol * |b|`
/// elementwise, as `torch.allclose` decides each element.
fn isclose(_: &mut Interpreter, args: Args) -> R<Value> {
    let [a, b, rtol, atol, equal_nan] =
        args.bind(&["input", "other", "rtol=", "atol=", "equal_nan="])?;
    let get = |v: &Option<Value>, n: &str| {
        v.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!("isclose(): argument '{n}' must be Tensor"))
        })
    };
    let (a, b) = (get(&a, "input")?, get(&b, "other")?);
    if a.dtype() != b.dtype() {
        return Err(Exception::runtime_error(format!(
            "{} did not match {}",
            a.dtype().scalar_name(),
            b.dtype().scalar_name()
        )));
    }
    let rtol = f64_arg(rtol.as_ref(), 1e-5, "rtol")?;
    let atol = f64_arg(atol.as_ref(), 1e-8, "atol")?;
    let equal_nan = equal_nan
        .as_ref()
        .is_some_and(|v| matches!(v, Value::Bool(true)));
    let shape = a.add(&b).map_err(exc)?.shape();
    let ea = a
        .to_dtype(crate::tensor::DType::Float64)
        .and_then(|t| t.expand(&shape))
        .map_err(exc)?
        .to_f64_vec();
    let eb = b
        .to_dtype(crate::tensor::DType::Float64)
        .and_then(|t| t.expand(&shape))
        .map_err(exc)?
        .to_f64_vec();
    let close: Vec<bool> = ea
        .iter()
        .zip(&eb)
        .map(|(&x, &y)| {
            if x.is_nan() || y.is_nan() {
                equal_nan && x.is_nan() && y.is_nan()
            } else {
                x == y || (x - y).abs() <= atol + rtol * y.abs()
            }
        })
        .collect();
    Ok(tv(Tensor::from_data(
        crate::tensor::Data::Bool(close),
        &shape,
    )
    .map_err(exc)?))
}
