//! Tensor functions and methods that tutorials use and the older binding files lack: `amin`/`amax`
//! methods, one-argument `torch.where`, `empty_like`, `floor_divide`, `clamp_min`/`clamp_max`,
//! `unflatten`, `kthvalue`, `cummax`/`cummin`, `tril_indices`/`triu_indices`, `block_diag`,
//! `trace`, `kron`, `diff`, `count_nonzero`, `var_mean`/`std_mean`, `bucketize`/`searchsorted`,
//! `quantile`/`nanquantile` (the order statistics themselves in tensor_order.rs), `set_printoptions`, and the
//! `torch.nn.functional` activations built from them.

use std::rc::Rc;

use super::convert::{PyReturnType, VALUES_INDICES, as_scalar, as_tensor, bool_arg, dim_list, exc, f64_arg, kw, tensor_param, tv};
use super::tensor_order::{cum_extreme, quantile, quantile_fn, search};
use super::{R, Shared};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{self as engine, DType, Data, Scalar, Tensor};

/// The functions of this file that `torch.f(t, ...)` binds as `t.f(...)`.
const AS_METHODS: [&str; 10] = [
    "floor_divide",
    "clamp_min",
    "clamp_max",
    "unflatten",
    "kthvalue",
    "cummax",
    "cummin",
    "trace",
    "diff",
    "count_nonzero",
];

/// Adds this file's functions to the `torch` module.
pub fn install(m: &Module, shared: &Rc<Shared>) {
    super::tensor_more::install(m);
    m.set(
        "empty_like",
        super::like("empty_like", shared, |_, s, d| Ok(Tensor::zeros(s, d))),
    );
    if let Some(three) = m.get("where") {
        m.set(
            "where",
            Value::builtin("where", move |interp, args| {
                if args.pos.len() == 1 && args.kw.is_empty() {
                    let c = as_tensor(&args.pos[0]).cloned().ok_or_else(|| {
                        Exception::type_error(format!(
                            "where(): argument 'condition' (position 1) must be Tensor, not {}",
                            args.pos[0].type_name()
                        ))
                    })?;
                    return nonzero_tuple(&c);
                }
                interp.call(&three, args)
            }),
        );
    }
    for name in AS_METHODS {
        m.set(
            name,
            forward_to_method(name),
        );
    }
    for (name, max) in [("amax", true), ("amin", false)] {
        m.set(
            name,
            Value::builtin(name, move |interp, args| {
                let [input, dim, keepdim, _out] =
                    args.bind(&["input", "dim=", "keepdim=", "*", "out="])?;
                let t = tensor_param(input.as_ref(), name, "input")?;
                amax(
                    &t,
                    dim_list(interp, dim.as_ref())?,
                    bool_arg(keepdim.as_ref(), false),
                    max,
                )
                .map(tv)
            }),
        );
    }
    for (name, upper) in [("tril_indices", false), ("triu_indices", true)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [row, col, offset, _dtype, _device, _layout] =
                    args.bind(&["row", "col", "offset=", "*", "dtype=", "device=", "layout="])?;
                let row = row.map_or(Ok(0), |v| v.expect_int("row"))?;
                let col = col.map_or(Ok(0), |v| v.expect_int("col"))?;
                let off = offset.map_or(Ok(0), |v| v.expect_int("offset"))?;
                if row < 0 || col < 0 {
                    return Err(Exception::runtime_error(format!(
                        "row must be non-negative, got{row}"
                    )));
                }
                let (mut rs, mut cs) = (Vec::new(), Vec::new());
                for r in 0..row {
                    for c in 0..col {
                        if (upper && c - r >= off) || (!upper && c - r <= off) {
                            rs.push(r);
                            cs.push(c);
                        }
                    }
                }
                let n = rs.len();
                rs.extend(cs);
                Ok(tv(Tensor::from_data(Data::I64(rs), &[2, n]).map_err(exc)?))
            }),
        );
    }
    m.set(
        "block_diag",
        Value::builtin("block_diag", |_, args| {
            let ts = args
                .pos
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    as_tensor(v).cloned().ok_or_else(|| {
                        Exception::type_error(format!(
                            "expected Tensor as element {i} in argument 0, but got {}",
                            v.type_name()
                        ))
                    })
                })
                .collect::<R<Vec<_>>>()?;
            block_diag(&ts).map(tv)
        }),
    );
    m.set(
        "kron",
        Value::builtin("kron", |_, args| {
            let [a, b] = args.bind(&["input", "other"])?;
            let a = tensor_param(a.as_ref(), "kron", "input")?;
            let b = tensor_param(b.as_ref(), "kron", "other")?;
            kron(&a, &b).map(tv)
        }),
    );
    for (name, std) in [("var_mean", false), ("std_mean", true)] {
        m.set(
            name,
            Value::builtin(name, move |interp, args| {
                let [input, dim, unbiased, keepdim, correction] =
                    args.bind(&["input", "dim=", "unbiased=", "keepdim=", "*", "correction="])?;
                let t = tensor_param(input.as_ref(), name, "input")?;
                // `var_mean(t, True)`: the old `unbiased` overload in the `dim` position.
                let (dim, unbiased) = match dim {
                    Some(Value::Bool(b)) => (None, Some(Value::Bool(b))),
                    d => (d, unbiased),
                };
                let dims = dim_list(interp, dim.as_ref())?;
                let corr = match (correction.as_ref(), unbiased.as_ref()) {
                    (Some(c), _) if !matches!(c, Value::None) => {
                        f64_arg(Some(c), 1.0, "correction")?
                    }
                    (_, Some(u)) => f64::from(u8::from(bool_arg(Some(u), true))),
                    _ => 1.0,
                };
                let keep = bool_arg(keepdim.as_ref(), false);
                let s = if std {
                    t.std(dims.as_deref(), corr, keep)
                } else {
                    t.var(dims.as_deref(), corr, keep)
                }
                .map_err(exc)?;
                let mean = t.mean(dims.as_deref(), keep).map_err(exc)?;
                Ok(Value::tuple(vec![tv(s), tv(mean)]))
            }),
        );
    }
    m.set(
        "bucketize",
        Value::builtin("bucketize", |_, args| {
            let [input, boundaries, out_int32, right, _out] =
                args.bind(&["input", "boundaries", "*", "out_int32=", "right=", "out="])?;
            let b = tensor_param(boundaries.as_ref(), "bucketize", "boundaries")?;
            if b.dim() != 1 {
                return Err(Exception::runtime_error(format!(
                    "boundaries tensor must be 1 dimension, but got dim({})",
                    b.dim()
                )));
            }
            let input = input.unwrap_or(Value::None);
            let v = match (as_tensor(&input), as_scalar(&input)) {
                (Some(t), _) => t.clone(),
                (None, Some(s)) => Tensor::scalar(s, b.dtype()),
                _ => {
                    return Err(Exception::type_error(
                        "bucketize(): argument 'input' must be Tensor or Number",
                    ));
                }
            };
            search(
                &b,
                &v,
                bool_arg(right.as_ref(), false),
                bool_arg(out_int32.as_ref(), false),
            )
            .map(tv)
        }),
    );
    m.set("searchsorted", Value::builtin("searchsorted", |_, args| {
        let [seq, values, out_int32, right, side, _sorter, _out] =
            args.bind(&["sorted_sequence", "input", "*", "out_int32=", "right=", "side=", "sorter=", "out="])?;
        let s = tensor_param(seq.as_ref(), "searchsorted", "sorted_sequence")?;
        if s.dim() != 1 {
            return Err(Exception::unsupported("searchsorted() with a sorted_sequence of more than one dimension"));
        }
        let values = values.unwrap_or(Value::None);
        let v = match (as_tensor(&values), as_scalar(&values)) {
            (Some(t), _) => t.clone(),
            (None, Some(x)) => Tensor::scalar(x, s.dtype()),
            _ => return Err(Exception::type_error("searchsorted(): argument 'input' must be Tensor or Number")),
        };
        let mut right = bool_arg(right.as_ref(), false);
        match side {
            None | Some(Value::None) => {}
            Some(v) => match v.to_str().as_str() {
                "right" => right = true,
                "left" if right => {
                    return Err(Exception::runtime_error(
                        "torch.searchsorted(): side and right can't be set to opposites, got side of left while right was True",
                    ));
                }
                "left" => {}
                other => {
                    return Err(Exception::runtime_error(format!(
                        "torch.searchsorted(): side can only be 'left' or 'right' but got {other}"
                    )));
                }
            },
        }
        search(&s, &v, right, bool_arg(out_int32.as_ref(), false)).map(tv)
    }));
    m.set("quantile", quantile_fn("quantile"));
    m.set("nanquantile", quantile_fn("nanquantile"));
    m.set(
        "set_printoptions",
        Value::builtin("set_printoptions", |_, args| {
            let [
                precision,
                threshold,
                edgeitems,
                linewidth,
                profile,
                sci_mode,
            ] = args.bind(&[
                "precision=",
                "threshold=",
                "edgeitems=",
                "linewidth=",
                "profile=",
                "sci_mode=",
            ])?;
            let mut o = engine::print_options();
            if let Some(p) = profile.filter(|p| !matches!(p, Value::None)) {
                o = match p.to_str().as_str() {
                    "default" => engine::PrintOptions { default_dtype: o.default_dtype, ..engine::PrintOptions::DEFAULT },
                    "short" => engine::PrintOptions {
                        precision: 2,
                        threshold: 1000,
                        edgeitems: 2,
                        linewidth: 80,
                        sci_mode: None,
                        default_dtype: o.default_dtype,
                    },
                    "full" => engine::PrintOptions {
                        precision: 4,
                        threshold: usize::MAX,
                        edgeitems: 3,
                        linewidth: 80,
                        sci_mode: None,
                        default_dtype: o.default_dtype,
                    },
                    _ => o,
                };
            }
            let count = |v: Option<Value>, what: &str| -> R<Option<usize>> {
                match v {
                    None | Some(Value::None) => Ok(None),
                    Some(Value::Float(f)) if f.is_infinite() && f > 0.0 => Ok(Some(usize::MAX)),
                    Some(v) => Ok(Some(v.expect_int(what)?.max(0) as usize)),
                }
            };
            if let Some(p) = count(precision, "precision")? {
                o.precision = p;
            }
            if let Some(t) = count(threshold, "threshold")? {
                o.threshold = t;
            }
            if let Some(e) = count(edgeitems, "edgeitems")? {
                o.edgeitems = e;
            }
            if let Some(l) = count(linewidth, "linewidth")? {
                o.linewidth = l;
            }
            // `sci_mode=None` (the default argument) goes back to automatic choice.
            o.sci_mode = match sci_mode {
                None | Some(Value::None) => None,
                Some(v) => Some(bool_arg(Some(&v), false)),
            };
            engine::set_print_options(o);
            Ok(Value::None)
        }),
    );
}

/// `t.f(...)` for this file's tensor methods; None when the name is not one of them.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "amax" | "amin" => {
            let max = name == "amax";
            Value::method(
                this.clone(),
                if max { "amax" } else { "amin" },
                move |interp, args| {
                    let [dim, keepdim] = args.bind(&["dim=", "keepdim="])?;
                    let t = receiver(&args)?;
                    amax(
                        &t,
                        dim_list(interp, dim.as_ref())?,
                        bool_arg(keepdim.as_ref(), false),
                        max,
                    )
                    .map(tv)
                },
            )
        }
        "floor_divide" => Value::method(this.clone(), "floor_divide", |_, args| {
            let [other] = args.bind(&["other"])?;
            floor_divide(&receiver(&args)?, &other.unwrap_or(Value::None)).map(tv)
        }),
        "clamp_min" | "clamp_max" => {
            let lower = name == "clamp_min";
            Value::method(
                this.clone(),
                if lower { "clamp_min" } else { "clamp_max" },
                move |_, args| {
                    let [bound] = args.bind(&[if lower { "min" } else { "max" }])?;
                    let s = bound.as_ref().and_then(as_scalar);
                    let t = receiver(&args)?;
                    Ok(tv(if lower {
                        t.clamp(s, None)
                    } else {
                        t.clamp(None, s)
                    }
                    .map_err(exc)?))
                },
            )
        }
        "unflatten" => Value::method(this.clone(), "unflatten", |interp, args| {
            let [dim, sizes] = args.bind(&["dim", "sizes"])?;
            let t = receiver(&args)?;
            let d = engine::norm_dim_public(
                dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize,
                t.dim(),
            )
            .map_err(exc)?;
            let sizes = interp.iterate(&sizes.unwrap_or(Value::None))?;
            let sizes = sizes
                .iter()
                .map(|s| s.expect_int("sizes").map(|s| s as isize))
                .collect::<R<Vec<_>>>()?;
            if sizes.is_empty() {
                return Err(Exception::runtime_error(
                    "unflatten: sizes must be non-empty",
                ));
            }
            let shape = t.shape();
            let mut new: Vec<isize> = shape[..d].iter().map(|&s| s as isize).collect();
            new.extend(&sizes);
            new.extend(shape[d + 1..].iter().map(|&s| s as isize));
            Ok(tv(t.reshape(&new).map_err(exc)?))
        }),
        "kthvalue" => Value::method(this.clone(), "kthvalue", |_, args| {
            let [k, dim, keepdim] = args.bind(&["k", "dim=", "keepdim="])?;
            let t = receiver(&args)?;
            let k = k.map_or(Ok(1), |v| v.expect_int("k"))?;
            let d = dim
                .filter(|d| !matches!(d, Value::None))
                .map_or(Ok(-1), |v| v.expect_int("dim"))? as isize;
            let keep = bool_arg(keepdim.as_ref(), false);
            let t0 = if t.dim() == 0 {
                t.reshape(&[1]).map_err(exc)?
            } else {
                t.clone()
            };
            let dd = engine::norm_dim_public(d, t0.dim()).map_err(exc)?;
            let n = t0.shape()[dd] as i64;
            if k < 1 || k > n {
                return Err(Exception::runtime_error(format!(
                    "kthvalue(): selected number k out of range for dimension {dd}"
                )));
            }
            let (vals, idx) = t0.sort_dim(dd as isize, false, None).map_err(exc)?;
            let pick = |x: Tensor| -> R<Tensor> {
                let s = x.narrow(dd as isize, k - 1, 1).map_err(exc)?.contiguous();
                if keep && t.dim() > 0 {
                    Ok(s)
                } else if t.dim() == 0 {
                    s.reshape(&[]).map_err(exc)
                } else {
                    s.squeeze(Some(dd as isize)).map_err(exc)
                }
            };
            Ok(pair("kthvalue", pick(vals)?, pick(idx)?))
        }),
        "cummax" | "cummin" => {
            let max = name == "cummax";
            Value::method(
                this.clone(),
                if max { "cummax" } else { "cummin" },
                move |_, args| {
                    let [dim] = args.bind(&["dim"])?;
                    let t = receiver(&args)?;
                    let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
                    let (v, i) = cum_extreme(&t, d, max)?;
                    Ok(pair(if max { "cummax" } else { "cummin" }, v, i))
                },
            )
        }
        "trace" => Value::method(this.clone(), "trace", |_, args| {
            let [] = args.bind(&[])?;
            let t = receiver(&args)?;
            if t.dim() != 2 {
                return Err(Exception::runtime_error(
                    "trace: expected a matrix, but got tensor with dim ".to_string()
                        + &t.dim().to_string(),
                ));
            }
            let d = t.diag(0).map_err(exc)?;
            Ok(tv(d.sum(None, false).map_err(exc)?))
        }),
        "diff" => Value::method(this.clone(), "diff", |_, args| {
            let [n, dim, prepend, append] = args.bind(&["n=", "dim=", "prepend=", "append="])?;
            let t = receiver(&args)?;
            let n = n.map_or(Ok(1), |v| v.expect_int("n"))?;
            let d = dim.map_or(Ok(-1), |v| v.expect_int("dim"))? as isize;
            diff(
                &t,
                n,
                d,
                prepend.as_ref().and_then(as_tensor),
                append.as_ref().and_then(as_tensor),
            )
            .map(tv)
        }),
        "count_nonzero" => Value::method(this.clone(), "count_nonzero", |interp, args| {
            let [dim] = args.bind(&["dim="])?;
            let t = receiver(&args)?;
            let dims = dim_list(interp, dim.as_ref())?;
            let nz = t
                .ne_scalar(Scalar::Int(0))
                .map_err(exc)?
                .to_dtype(DType::Int64)
                .map_err(exc)?;
            Ok(tv(nz.sum(dims.as_deref(), false).map_err(exc)?))
        }),
        "quantile" => Value::method(this.clone(), "quantile", |interp, args| {
            let [q, dim, keepdim, interpolation] =
                args.bind(&["q", "dim=", "keepdim=", "*", "interpolation="])?;
            quantile(interp, &receiver(&args)?, q, dim, keepdim, interpolation)
        }),
        "nanquantile" => Value::method(this.clone(), "nanquantile", |interp, args| {
            let [q, dim, keepdim, interpolation] =
                args.bind(&["q", "dim=", "keepdim=", "*", "interpolation="])?;
            super::tensor_order::nanquantile(interp, &receiver(&args)?, q, dim, keepdim, interpolation)
        }),
        _ => return super::tensor_more::method(this, name),
    })
}

/// The `torch.nn.functional` activations of this file.
pub fn add_functional(m: &Module) {
    type Act = fn(&Tensor, &Args) -> R<Tensor>;
    let acts: [(&str, &[&str], Act); 10] = [
        ("softsign", &["input"], |x, _| {
            x.abs()
                .and_then(|a| a.add_scalar(Scalar::Int(1)))
                .and_then(|d| x.div(&d))
                .map_err(exc)
        }),
        ("tanhshrink", &["input"], |x, _| {
            x.tanh().and_then(|t| x.sub(&t)).map_err(exc)
        }),
        ("softshrink", &["input", "lambd="], |x, a| {
            let l = f64_arg(kw_or_pos(a, "lambd", 1), 0.5, "lambd")?;
            if l < 0.0 {
                return Err(Exception::runtime_error(format!(
                    "lambda must be greater or equal to 0, but found to be {}.",
                    crate::lang::format::float_repr(l)
                )));
            }
            // PyTorch's kernel gives `x * 0` inside the band (-0 for negative x).
            let c = x
                .clamp(Some(Scalar::Float(-l)), Some(Scalar::Float(l)))
                .map_err(exc)?;
            let inside = x
                .abs()
                .and_then(|a| a.le_scalar(Scalar::Float(l)))
                .map_err(exc)?;
            let zero = x.mul_scalar(Scalar::Int(0)).map_err(exc)?;
            Tensor::where_(&inside, &zero, &x.sub(&c).map_err(exc)?).map_err(exc)
        }),
        ("hardshrink", &["input", "lambd="], |x, a| {
            let l = f64_arg(kw_or_pos(a, "lambd", 1), 0.5, "lambd")?;
            let keep = x
                .abs()
                .and_then(|a| a.gt_scalar(Scalar::Float(l)))
                .map_err(exc)?;
            Tensor::where_(&keep, x, &Tensor::scalar(Scalar::Int(0), x.dtype())).map_err(exc)
        }),
        (
            "threshold",
            &["input", "threshold", "value", "inplace="],
            |x, a| {
                let t = f64_arg(kw_or_pos(a, "threshold", 1), 0.0, "threshold")?;
                let v = kw_or_pos(a, "value", 2)
                    .and_then(as_scalar)
                    .unwrap_or(Scalar::Int(0));
                let keep = x.gt_scalar(Scalar::Float(t)).map_err(exc)?;
                Tensor::where_(&keep, x, &Tensor::scalar(v, x.dtype())).map_err(exc)
            },
        ),
        // PyTorch's `min(max(x + 3, 0), 6) / 6` piece by piece, so that the gradient is PyTorch's
        // too: zero at and beyond +-3 (a clamp's gradient would pass there).
        ("hardsigmoid", &["input", "inplace="], |x, _| {
            let (lo, hi) = (
                x.le_scalar(Scalar::Int(-3)).map_err(exc)?,
                x.ge_scalar(Scalar::Int(3)).map_err(exc)?,
            );
            let mid = x
                .add_scalar(Scalar::Int(3))
                .and_then(|y| y.div_scalar(Scalar::Int(6)))
                .map_err(exc)?;
            let (zero, one) = (
                Tensor::scalar(Scalar::Int(0), x.dtype()),
                Tensor::scalar(Scalar::Int(1), x.dtype()),
            );
            Tensor::where_(&hi, &one, &mid)
                .and_then(|r| Tensor::where_(&lo, &zero, &r))
                .map_err(exc)
        }),
        // `x * min(max(x + 3, 0), 6) / 6`: `x * 0` (so -0) at and below -3, `x * 6 / 6` at and
        // above 3, with PyTorch's gradients (0 below -3 inclusive, 1 from 3 on).
        ("hardswish", &["input", "inplace="], |x, _| {
            let (lo, hi) = (
                x.le_scalar(Scalar::Int(-3)).map_err(exc)?,
                x.ge_scalar(Scalar::Int(3)).map_err(exc)?,
            );
            let mid = x
                .add_scalar(Scalar::Int(3))
                .and_then(|y| x.mul(&y))
                .and_then(|p| p.div_scalar(Scalar::Int(6)))
                .map_err(exc)?;
            let top = x
                .mul_scalar(Scalar::Int(6))
                .and_then(|p| p.div_scalar(Scalar::Int(6)))
                .map_err(exc)?;
            let zero = x.mul_scalar(Scalar::Int(0)).map_err(exc)?;
            Tensor::where_(&hi, &top, &mid)
                .and_then(|r| Tensor::where_(&lo, &zero, &r))
                .map_err(exc)
        }),
        ("selu", &["input", "inplace="], |x, _| x.selu().map_err(exc)),
        ("celu", &["input", "alpha=", "inplace="], |x, a| {
            let alpha = f64_arg(kw_or_pos(a, "alpha", 1), 1.0, "alpha")?;
            if alpha == 0.0 {
                return Err(Exception::runtime_error("ZeroDivisionError"));
            }
            x.celu(alpha).map_err(exc)
        }),
        ("glu", &["input", "dim="], |x, a| {
            let d = kw_or_pos(a, "dim", 1).map_or(Ok(-1), |v| v.expect_int("dim"))? as isize;
            if x.dim() == 0 {
                return Err(Exception::runtime_error(
                    "glu does not support scalars because halving size must be even",
                ));
            }
            let dd = engine::norm_dim_public(d, x.dim()).map_err(exc)?;
            let n = x.shape()[dd];
            if n % 2 != 0 {
                return Err(Exception::runtime_error(format!(
                    "Halving dimension must be even, but dimension {dd} is size {n}"
                )));
            }
            let h = (n / 2) as i64;
            let (p, q) = (
                x.narrow(dd as isize, 0, h).map_err(exc)?,
                x.narrow(dd as isize, h, h).map_err(exc)?,
            );
            q.sigmoid().and_then(|s| p.mul(&s)).map_err(exc)
        }),
    ];
    for (name, params, f) in acts {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                // Binds for the arity and keyword check; `f` reads what it needs.
                let bound = bind_any(&args, params)?;
                let x = tensor_param(bound.as_ref(), name, "input")?;
                if !x.dtype().is_floating_point()
                    && !matches!(name, "threshold" | "hardshrink" | "softshrink")
                {
                    return Err(Exception::runtime_error(format!(
                        "\"{name}_cpu\" not implemented for '{}'",
                        x.dtype().scalar_name()
                    )));
                }
                Ok(tv(f(&x, &args)?))
            }),
        );
    }
    m.set(
        "relu6",
        Value::builtin("relu6", |_, args| {
            let [x, _inplace] = args.bind(&["input", "inplace="])?;
            Ok(tv(tensor_param(x.as_ref(), "relu6", "input")?
                .hardtanh(0.0, 6.0)
                .map_err(exc)?))
        }),
    );
    m.set(
        "softmin",
        Value::builtin("softmin", |_, args| {
            let [x, dim, _stacklevel, _dtype] =
                args.bind(&["input", "dim=", "_stacklevel=", "dtype="])?;
            let x = tensor_param(x.as_ref(), "softmin", "input")?;
            let d = match dim {
                None | Some(Value::None) => {
                    if matches!(x.dim(), 0 | 1 | 3) {
                        0
                    } else {
                        1
                    }
                }
                Some(v) => v.expect_int("dim")? as isize,
            };
            Ok(tv(x.neg().and_then(|n| n.softmax(d)).map_err(exc)?))
        }),
    );
    m.set(
        "pairwise_distance",
        Value::builtin("pairwise_distance", |_, args| {
            let [a, b, p, eps, keepdim] = args.bind(&["x1", "x2", "p=", "eps=", "keepdim="])?;
            let (a, b) = (
                tensor_param(a.as_ref(), "pairwise_distance", "x1")?,
                tensor_param(b.as_ref(), "pairwise_distance", "x2")?,
            );
            let p = f64_arg(p.as_ref(), 2.0, "p")?;
            let eps = f64_arg(eps.as_ref(), 1e-6, "eps")?;
            let d = a
                .sub(&b)
                .and_then(|d| d.add_scalar(Scalar::Float(eps)))
                .map_err(exc)?;
            let dim = if d.dim() == 0 {
                None
            } else {
                Some(vec![-1isize])
            };
            Ok(tv(super::linalg::vector_norm(
                &d,
                p,
                dim.as_deref(),
                bool_arg(keepdim.as_ref(), false),
            )?))
        }),
    );
}

/// The first argument of a functional (`input`), after checking arity and keywords.
fn bind_any(args: &Args, params: &[&str]) -> R<Option<Value>> {
    let allowed: Vec<&str> = params.iter().map(|p| p.trim_end_matches('=')).collect();
    super::convert::check_kwargs(args, &allowed)?;
    if args.pos.len() > params.len() {
        return Err(Exception::type_error(format!(
            "{}() takes from 1 to {} positional arguments but {} were given",
            args.fname,
            params.len(),
            args.pos.len()
        )));
    }
    Ok(args.pos.first().or_else(|| kw(args, "input")).cloned())
}

/// `torch.name(input, *rest)` as `input.name(*rest)`: the function forms of tensor methods.
pub(super) fn forward_to_method(name: &'static str) -> Value {
    Value::builtin(name, move |interp, mut args| {
        let v = args.pos.first().or_else(|| kw(&args, "input"));
        let t = v.and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "{name}(): argument 'input' (position 1) must be Tensor, not {}",
                v.map_or("NoneType".to_string(), Value::type_name)
            ))
        })?;
        if !args.pos.is_empty() {
            args.pos.remove(0);
        }
        args.kw.retain(|(k, _)| &**k != "input");
        let method = interp.get_attr(&tv(t), name)?;
        interp.call(&method, args)
    })
}

fn kw_or_pos<'a>(args: &'a Args, name: &str, pos: usize) -> Option<&'a Value> {
    kw(args, name).or_else(|| args.pos.get(pos))
}

pub(super) fn receiver(args: &Args) -> R<Tensor> {
    args.this
        .as_ref()
        .and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error("descriptor requires a 'torch._C.TensorBase' object"))
}

fn pair(name: &'static str, values: Tensor, indices: Tensor) -> Value {
    Value::native(PyReturnType {
        name,
        values: tv(values),
        indices: tv(indices),
        fields: VALUES_INDICES,
    })
}

/// `torch.where(cond)`: `cond.nonzero(as_tuple=True)`.
fn nonzero_tuple(c: &Tensor) -> R<Value> {
    let nz = c.nonzero().map_err(exc)?;
    let cols = (0..c.dim().max(1) as isize)
        .map(|d| {
            if c.dim() == 0 {
                nz.reshape(&[-1])
            } else {
                nz.select(1, d as i64).map(|c| c.contiguous())
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(exc)?;
    Ok(Value::tuple(cols.into_iter().map(tv).collect()))
}

/// `t.amax(dim)`: the largest element over `dims` (all when None), with ATen's AmaxBackward0
/// (src/tensor/amax_reduce.rs).
fn amax(t: &Tensor, dims: Option<Vec<isize>>, keep: bool, max: bool) -> R<Tensor> {
    let dims = match dims {
        None => (0..t.dim()).collect::<Vec<_>>(),
        Some(ds) if ds.is_empty() => (0..t.dim()).collect(),
        Some(ds) => {
            let mut out = Vec::new();
            for d in ds {
                let n = engine::norm_dim_public(d, t.dim().max(1)).map_err(exc)?;
                if out.contains(&n) {
                    return Err(Exception::runtime_error(format!(
                        "dim {n} appears multiple times in the list of dims"
                    )));
                }
                out.push(n);
            }
            out
        }
    };
    if t.dim() == 0 {
        return Ok(t.clone());
    }
    if t.numel() == 0 {
        return Err(Exception::new(
            "IndexError",
            format!(
                "{}(): Expected reduction dim {} to have non-zero size.",
                if max { "amax" } else { "amin" },
                dims.first().copied().unwrap_or(0)
            ),
        ));
    }
    t.amax_dims(&dims, keep, max).map_err(exc)
}

/// The dtype of a Python float beside integers: the default dtype where this function computes
/// it (float32 or float64; a half default computes in float32).
fn wrapped_float() -> DType {
    if super::default_dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 }
}

/// `torch.floor_divide(a, b)`: division rounded toward negative infinity (PyTorch's `div_floor`:
/// for floats `(a - fmod(a, b)) / b`, corrected by one where the remainder's sign differs from
/// the divisor's, then rounded to the nearer integer).
pub(super) fn floor_divide(a: &Tensor, other: &Value) -> R<Tensor> {
    let (b, b_scalar) = match (as_tensor(other), as_scalar(other)) {
        (Some(t), _) => (t.clone(), t.dim() == 0),
        (None, Some(s)) => {
            let dt = match s {
                Scalar::Float(_) if !a.dtype().is_floating_point() => wrapped_float(),
                Scalar::Float(_) => a.dtype(),
                _ => a.dtype(),
            };
            (Tensor::scalar(s, dt), true)
        }
        _ => {
            return Err(Exception::type_error(format!(
                "floor_divide(): argument 'other' (position 1) must be Tensor, not {}",
                other.type_name()
            )));
        }
    };
    let dtype = if a.dtype().is_floating_point() {
        if b.dtype() == DType::Float64 && !b_scalar {
            DType::Float64
        } else {
            a.dtype()
        }
    } else if b.dtype().is_floating_point() {
        if b_scalar { wrapped_float() } else { b.dtype() }
    } else {
        // int32 // int32 stays int32; a number divisor was made a 0-d tensor of `a`'s dtype.
        engine::result_type_of(&[a, &b], &[])
    };
    let shape = a.add(&b).map_err(exc)?.shape();
    let (ea, eb) = (
        a.expand(&shape).map_err(exc)?.contiguous(),
        b.expand(&shape).map_err(exc)?.contiguous(),
    );
    let data = match dtype {
        DType::Float32 | DType::Float64 => {
            let (x, y) = (ea.to_f64_vec(), eb.to_f64_vec());
            if dtype == DType::Float32 {
                Data::F32(
                    x.iter()
                        .zip(&y)
                        .map(|(&p, &q)| crate::lang::ops::floor_quotient(p as f32, q as f32))
                        .collect(),
                )
            } else {
                Data::F64(
                    x.iter()
                        .zip(&y)
                        .map(|(&p, &q)| crate::lang::ops::floor_quotient(p, q))
                        .collect(),
                )
            }
        }
        _ => {
            let x = ea.to_dtype(DType::Int64).map_err(exc)?.to_f64_vec();
            let y = eb.to_dtype(DType::Int64).map_err(exc)?.to_f64_vec();
            let mut out = Vec::with_capacity(x.len());
            for (&p, &q) in x.iter().zip(&y) {
                let (p, q) = (p as i64, q as i64);
                if q == 0 {
                    return Err(Exception::runtime_error("ZeroDivisionError"));
                }
                out.push(p.div_euclid(q) - if q < 0 && p.rem_euclid(q) != 0 { 1 } else { 0 });
            }
            Data::I64(out)
        }
    };
    let r = Tensor::from_data(data, &shape).map_err(exc)?;
    if dtype.is_floating_point() || dtype == DType::Int64 {
        Ok(r)
    } else {
        r.to_dtype(dtype).map_err(exc)
    }
}


/// `torch.diff`: `n` rounds of `x[1:] - x[:-1]` along `dim`, after `prepend`/`append`.
fn diff(
    t: &Tensor,
    n: i64,
    dim: isize,
    prepend: Option<&Tensor>,
    append: Option<&Tensor>,
) -> R<Tensor> {
    if t.dim() == 0 {
        return Err(Exception::runtime_error(
            "diff expects input to be at least one-dimensional",
        ));
    }
    if n < 0 {
        return Err(Exception::runtime_error(format!(
            "order must be non-negative but got {n}"
        )));
    }
    let mut parts = Vec::new();
    parts.extend(prepend.cloned());
    parts.push(t.clone());
    parts.extend(append.cloned());
    let mut x = if parts.len() > 1 {
        Tensor::cat(&parts, dim).map_err(exc)?
    } else {
        t.clone()
    };
    let d = engine::norm_dim_public(dim, x.dim()).map_err(exc)? as isize;
    for _ in 0..n {
        let len = x.shape()[d as usize] as i64;
        if len == 0 {
            break;
        }
        let (hi, lo) = (
            x.narrow(d, 1, len - 1).map_err(exc)?,
            x.narrow(d, 0, len - 1).map_err(exc)?,
        );
        x = if x.dtype() == DType::Bool {
            hi.ne(&lo)
        } else {
            hi.sub(&lo)
        }
        .map_err(exc)?;
    }
    Ok(x)
}

/// `torch.block_diag`: the tensors (0-d as 1x1, 1-d as a row) down the diagonal of a zero matrix.
fn block_diag(ts: &[Tensor]) -> R<Tensor> {
    let mut dtype = DType::Int64;
    let mut first = true;
    for t in ts {
        if t.dim() > 2 {
            return Err(Exception::runtime_error(format!(
                "torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {} has {} dimensions",
                ts.iter().position(|u| std::ptr::eq(u, t)).unwrap_or(0),
                t.dim()
            )));
        }
        dtype = if first {
            t.dtype()
        } else {
            Tensor::zeros(&[], dtype)
                .add(&Tensor::zeros(&[], t.dtype()))
                .map_err(exc)?
                .dtype()
        };
        first = false;
    }
    let dims: Vec<(usize, usize)> = ts
        .iter()
        .map(|t| match t.dim() {
            0 => (1, 1),
            1 => (1, t.shape()[0]),
            _ => (t.shape()[0], t.shape()[1]),
        })
        .collect();
    let (rows, cols) = dims.iter().fold((0, 0), |(r, c), (a, b)| (r + a, c + b));
    let mut out = vec![0.0f64; rows * cols];
    let (mut r0, mut c0) = (0, 0);
    for (t, &(r, c)) in ts.iter().zip(&dims) {
        let v = t.contiguous().to_f64_vec();
        for i in 0..r {
            for j in 0..c {
                out[(r0 + i) * cols + c0 + j] = v[i * c + j];
            }
        }
        r0 += r;
        c0 += c;
    }
    Tensor::from_data(Data::F64(out), &[rows, cols])
        .and_then(|t| t.to_dtype(dtype))
        .map_err(exc)
}

/// `torch.kron`: each element of `a` times the whole of `b`, laid out block by block.
fn kron(a: &Tensor, b: &Tensor) -> R<Tensor> {
    let nd = a.dim().max(b.dim());
    let pad = |t: &Tensor| -> Vec<usize> {
        let mut s = vec![1usize; nd - t.dim()];
        s.extend(t.shape());
        s
    };
    let (sa, sb) = (pad(a), pad(b));
    let mut va = Vec::new();
    let mut vb = Vec::new();
    for i in 0..nd {
        va.extend([sa[i] as isize, 1]);
        vb.extend([1, sb[i] as isize]);
    }
    let p = a
        .reshape(&va)
        .and_then(|x| b.reshape(&vb).and_then(|y| x.mul(&y)))
        .map_err(exc)?;
    let out: Vec<isize> = (0..nd).map(|i| (sa[i] * sb[i]) as isize).collect();
    p.reshape(&out).map_err(exc)
}
