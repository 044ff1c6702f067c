//! More tensor functions tutorials reach for: `median`/`mode`/`aminmax`, `nansum`/`nanmean`,
//! `fliplr`/`flipud`/`rot90`, `tile`, `addcmul`/`addcdiv`, `take`/`take_along_dim`, the
//! stacking helpers (`hstack`, `vstack`, `column_stack`, `dstack`) and the small elementwise
//! functions (`hypot`, `logaddexp`, `deg2rad`, `sinc`, `signbit`, `copysign`, `heaviside`,
//! `xlogy`, `isfinite`, `frac`, `nan_to_num`), each as `torch.f` and as `t.f`.

use super::R;
use super::convert::tensor_param;
use super::tensorfns::receiver;
use super::convert::{
    PyReturnType, VALUES_INDICES, as_scalar, as_tensor, bool_arg, exc, f64_arg, kw, tv,
};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Data, Scalar, Tensor};

/// The methods that `torch.f(t, ...)` forwards to.
const FORWARDED: [&str; 22] = [
    "diag_embed",
    "median",
    "nanmedian",
    "mode",
    "aminmax",
    "nansum",
    "nanmean",
    "fliplr",
    "flipud",
    "rot90",
    "tile",
    "addcmul",
    "addcdiv",
    "take",
    "take_along_dim",
    "isfinite",
    "frac",
    "nan_to_num",
    "movedim",
    "moveaxis",
    "ravel",
    "argwhere",
];

/// Binary elementwise functions evaluated in float64 and rounded to the result dtype.
const BINARY: [&str; 5] = ["hypot", "logaddexp", "copysign", "heaviside", "xlogy"];

/// Unary elementwise functions evaluated in float64 and rounded to the result dtype.
const UNARY: [&str; 5] = ["deg2rad", "rad2deg", "sinc", "signbit", "exp2"];

pub fn install(m: &Module) {
    for name in FORWARDED.into_iter().chain(BINARY).chain(UNARY) {
        m.set(
            name,
            super::tensorfns::forward_to_method(name),
        );
    }
    for (name, kind) in [
        ("hstack", 0),
        ("vstack", 1),
        ("row_stack", 1),
        ("column_stack", 2),
        ("dstack", 3),
    ] {
        m.set(
            name,
            Value::builtin(name, move |interp, args| {
                let [tensors, _out] = args.bind(&["tensors", "*", "out="])?;
                let items = interp.iterate(&tensors.unwrap_or(Value::None))?;
                let ts = items
                    .iter()
                    .map(|v| {
                        as_tensor(v).cloned().ok_or_else(|| {
                            Exception::type_error(format!(
                                "expected Tensor as element 0 in argument 0, but got {}",
                                v.type_name()
                            ))
                        })
                    })
                    .collect::<R<Vec<_>>>()?;
                if ts.is_empty() {
                    return Err(Exception::runtime_error(format!(
                        "{name} expects a non-empty TensorList"
                    )));
                }
                stack_kind(&ts, kind).map(tv)
            }),
        );
    }
}

fn stack_kind(ts: &[Tensor], kind: u8) -> R<Tensor> {
    let at_least = |t: &Tensor, n: usize| -> R<Tensor> {
        let s = t.shape();
        let r = match (s.len(), n) {
            (d, n) if d >= n => t.clone(),
            (0, 1) => t.reshape(&[1]).map_err(exc)?,
            (0, 2) => t.reshape(&[1, 1]).map_err(exc)?,
            (1, 2) => t.unsqueeze(0).map_err(exc)?,
            (0, _) => t.reshape(&[1, 1, 1]).map_err(exc)?,
            (1, _) => t.reshape(&[1, s[0] as isize, 1]).map_err(exc)?,
            (_, _) => t.unsqueeze(-1).map_err(exc)?,
        };
        Ok(r)
    };
    let r = match kind {
        0 => {
            let ts = ts.iter().map(|t| at_least(t, 1)).collect::<R<Vec<_>>>()?;
            let d = if ts[0].dim() == 1 { 0 } else { 1 };
            Tensor::cat(&ts, d)
        }
        1 => Tensor::cat(
            &ts.iter().map(|t| at_least(t, 2)).collect::<R<Vec<_>>>()?,
            0,
        ),
        2 => {
            let ts = ts
                .iter()
                .map(|t| {
                    if t.dim() <= 1 {
                        t.reshape(&[-1, 1]).map_err(exc)
                    } else {
                        Ok(t.clone())
                    }
                })
                .collect::<R<Vec<_>>>()?;
            Tensor::cat(&ts, 1)
        }
        _ => Tensor::cat(
            &ts.iter().map(|t| at_least(t, 3)).collect::<R<Vec<_>>>()?,
            2,
        ),
    };
    r.map_err(exc)
}

pub fn method(this: &Value, name: &str) -> Option<Value> {
    if BINARY.contains(&name) {
        let name: &'static str = BINARY.into_iter().find(|n| *n == name)?;
        return Some(Value::method(this.clone(), name, move |_, args| {
            let [other] = args.bind(&["other"])?;
            let t = receiver(&args)?;
            let o = other.unwrap_or(Value::None);
            let o = match (as_tensor(&o), as_scalar(&o)) {
                (Some(x), _) => x.clone(),
                (None, Some(s)) if name != "heaviside" => Tensor::scalar(
                    s,
                    if t.dtype().is_floating_point() {
                        t.dtype()
                    } else {
                        DType::Float32
                    },
                ),
                _ => {
                    return Err(Exception::type_error(format!(
                        "{name}(): argument 'other' (position 1) must be Tensor, not {}",
                        o.type_name()
                    )));
                }
            };
            binary(&t, &o, name).map(tv)
        }));
    }
    if UNARY.contains(&name) {
        let name: &'static str = UNARY.into_iter().find(|n| *n == name)?;
        return Some(Value::method(this.clone(), name, move |_, args| {
            let [] = args.bind(&[])?;
            unary(&receiver(&args)?, name).map(tv)
        }));
    }
    Some(match name {
        "median" | "nanmedian" => {
            let nan = name == "nanmedian";
            Value::method(
                this.clone(),
                if nan { "nanmedian" } else { "median" },
                move |_, args| {
                    let [dim, keepdim] = args.bind(&["dim=", "keepdim="])?;
                    let t = receiver(&args)?;
                    match dim.filter(|d| !matches!(d, Value::None)) {
                        None => median_all(&t, nan).map(tv),
                        Some(d) => {
                            let (v, i) = along(
                                &t,
                                d.expect_int("dim")? as isize,
                                bool_arg(keepdim.as_ref(), false),
                                |row| median_row(row, nan),
                            )?;
                            Ok(pair(
                                if nan { "nanmedian" } else { "median" },
                                v,
                                i,
                                VALUES_INDICES,
                            ))
                        }
                    }
                },
            )
        }
        "mode" => Value::method(this.clone(), "mode", |_, args| {
            let [dim, keepdim] = args.bind(&["dim=", "keepdim="])?;
            let t = receiver(&args)?;
            let d = dim
                .filter(|d| !matches!(d, Value::None))
                .map_or(Ok(-1), |d| d.expect_int("dim"))? as isize;
            let (v, i) = along(&t, d, bool_arg(keepdim.as_ref(), false), mode_row)?;
            Ok(pair("mode", v, i, VALUES_INDICES))
        }),
        "aminmax" => Value::method(this.clone(), "aminmax", |_, args| {
            let [dim, keepdim] = args.bind(&["*", "dim=", "keepdim="])?;
            let t = receiver(&args)?;
            let keep = bool_arg(keepdim.as_ref(), false);
            let (lo, hi) = match dim.filter(|d| !matches!(d, Value::None)) {
                None if keep => {
                    let ones: Vec<isize> = vec![1; t.dim()];
                    (
                        t.min().and_then(|x| x.reshape(&ones)),
                        t.max().and_then(|x| x.reshape(&ones)),
                    )
                }
                None => (t.min(), t.max()),
                Some(d) => {
                    let d = d.expect_int("dim")? as isize;
                    (
                        t.min_dim(d, keep).map(|p| p.0),
                        t.max_dim(d, keep).map(|p| p.0),
                    )
                }
            };
            Ok(pair(
                "aminmax",
                lo.map_err(exc)?,
                hi.map_err(exc)?,
                ["min", "max"],
            ))
        }),
        "nansum" | "nanmean" => {
            let mean = name == "nanmean";
            Value::method(
                this.clone(),
                if mean { "nanmean" } else { "nansum" },
                move |interp, args| {
                    let [dim, keepdim, _dtype] = args.bind(&["dim=", "keepdim=", "*", "dtype="])?;
                    let t = receiver(&args)?;
                    let dims = super::convert::dim_list(interp, dim.as_ref())?;
                    let keep = bool_arg(keepdim.as_ref(), false);
                    let nan = t.isnan();
                    let zero = Tensor::scalar(Scalar::Int(0), t.dtype());
                    let clean = Tensor::where_(&nan, &zero, &t).map_err(exc)?;
                    let s = clean.sum(dims.as_deref(), keep).map_err(exc)?;
                    if !mean {
                        return Ok(tv(s));
                    }
                    let count = nan.logical_not().sum(dims.as_deref(), keep).map_err(exc)?;
                    Ok(tv(s.div(&count).map_err(exc)?))
                },
            )
        }
        "fliplr" | "flipud" => {
            let lr = name == "fliplr";
            Value::method(
                this.clone(),
                if lr { "fliplr" } else { "flipud" },
                move |_, args| {
                    let [] = args.bind(&[])?;
                    let t = receiver(&args)?;
                    if lr && t.dim() < 2 {
                        return Err(Exception::runtime_error("Input must be >= 2-d."));
                    }
                    if !lr && t.dim() < 1 {
                        return Err(Exception::runtime_error("Input must be >= 1-d."));
                    }
                    Ok(tv(t.flip(&[if lr { 1 } else { 0 }]).map_err(exc)?))
                },
            )
        }
        "rot90" => Value::method(this.clone(), "rot90", |interp, args| {
            let [k, dims] = args.bind(&["k=", "dims="])?;
            let t = receiver(&args)?;
            let k = k.map_or(Ok(1), |v| v.expect_int("k"))?;
            let dims = super::convert::dim_list(interp, dims.as_ref())?.unwrap_or(vec![0, 1]);
            if dims.len() != 2 {
                return Err(Exception::runtime_error(format!(
                    "expected total rotation dims == 2, but got dims = {}",
                    dims.len()
                )));
            }
            if t.dim() < 2 {
                return Err(Exception::runtime_error(format!(
                    "expected total dims >= 2, but got total dims = {}",
                    t.dim()
                )));
            }
            let (a, b) = (dims[0], dims[1]);
            let r = match k.rem_euclid(4) {
                1 => t.flip(&[b]).and_then(|x| x.transpose(a, b)),
                2 => t.flip(&[a, b]),
                3 => t.flip(&[a]).and_then(|x| x.transpose(a, b)),
                _ => Ok(t.clone_tensor()),
            };
            Ok(tv(r.map_err(exc)?))
        }),
        "tile" => Value::method(this.clone(), "tile", |interp, args| {
            let dims: Vec<i64> = if args.pos.len() == 1 && !matches!(args.pos[0], Value::Int(_)) {
                interp
                    .iterate(&args.pos[0])?
                    .iter()
                    .map(|v| v.expect_int("dims"))
                    .collect::<R<_>>()?
            } else if let Some(v) = kw(&args, "dims") {
                interp
                    .iterate(v)?
                    .iter()
                    .map(|v| v.expect_int("dims"))
                    .collect::<R<_>>()?
            } else {
                args.pos
                    .iter()
                    .map(|v| v.expect_int("dims"))
                    .collect::<R<_>>()?
            };
            let t = receiver(&args)?;
            if dims.iter().any(|&d| d < 0) {
                return Err(Exception::runtime_error(
                    "Trying to create tensor with negative dimension",
                ));
            }
            let mut reps: Vec<usize> = vec![1; t.dim().saturating_sub(dims.len())];
            reps.extend(dims.iter().map(|&d| d as usize));
            Ok(tv(t.repeat(&reps).map_err(exc)?))
        }),
        "addcmul" | "addcdiv" | "addcmul_" | "addcdiv_" => {
            let name: &'static str = ["addcmul", "addcdiv", "addcmul_", "addcdiv_"]
                .into_iter()
                .find(|n| *n == name)?;
            Value::method(this.clone(), name, move |_, args| {
                let args = super::alpha::scalar_first(&args, 0, 2, "value").unwrap_or(args);
                let [t1, t2, value] = args.bind(&["tensor1", "tensor2", "*", "value="])?;
                let t = receiver(&args)?;
                let a = tensor_param(t1.as_ref(), name, "tensor1")?;
                let b = tensor_param(t2.as_ref(), name, "tensor2")?;
                let v = value.as_ref().and_then(as_scalar).unwrap_or(Scalar::Int(1));
                // PyTorch's kernel: `self + value * t1 * t2` (or `/ t2`), left to right.
                let scaled = if matches!(v, Scalar::Int(1)) {
                    a.clone()
                } else {
                    a.mul_scalar(v).map_err(exc)?
                };
                let p = if name.starts_with("addcmul") {
                    scaled.mul(&b)
                } else {
                    scaled.div(&b)
                }
                .map_err(exc)?;
                let r = t.add(&p).map_err(exc)?;
                if name.ends_with('_') {
                    t.copy_(&r).map_err(exc)?;
                    return Ok(args.this.clone().unwrap_or(Value::None));
                }
                Ok(tv(r))
            })
        }
        "take" => Value::method(this.clone(), "take", |_, args| {
            let [index] = args.bind(&["index"])?;
            let t = receiver(&args)?;
            let idx = tensor_param(index.as_ref(), "take", "index")?;
            let flat = t.reshape(&[-1]).map_err(exc)?;
            let n = flat.numel() as i64;
            let ix = idx.to_f64_vec();
            for &i in &ix {
                let i = i as i64;
                if i < -n || i >= n {
                    return Err(Exception::new(
                        "IndexError",
                        format!(
                            "out of range: tried to access index {i} on a tensor of {n} elements."
                        ),
                    ));
                }
            }
            let wrapped: Vec<i64> = ix
                .iter()
                .map(|&i| if i < 0.0 { i as i64 + n } else { i as i64 })
                .collect();
            let r = flat
                .index_select(0, &wrapped)
                .and_then(|r| {
                    r.reshape(&idx.shape().iter().map(|&s| s as isize).collect::<Vec<_>>())
                })
                .map_err(exc)?;
            Ok(tv(r))
        }),
        "take_along_dim" => Value::method(this.clone(), "take_along_dim", |_, args| {
            let [indices, dim] = args.bind(&["indices", "dim="])?;
            let t = receiver(&args)?;
            let idx = tensor_param(indices.as_ref(), "take_along_dim", "indices")?;
            match dim.filter(|d| !matches!(d, Value::None)) {
                None => {
                    let flat = t.reshape(&[-1]).map_err(exc)?;
                    Ok(tv(flat
                        .gather(0, &idx.reshape(&[-1]).map_err(exc)?)
                        .map_err(exc)?))
                }
                Some(d) => {
                    let d = engine::norm_dim_public(d.expect_int("dim")? as isize, t.dim())
                        .map_err(exc)?;
                    // Broadcast every dim but `d` between the input and the indices.
                    let (ts, is) = (t.shape(), idx.shape());
                    if ts.len() != is.len() {
                        return Err(Exception::runtime_error(
                            "torch.take_along_dim(): input and indices should have the same number of dimensions, but got ".to_string()
                                + &format!("{} dimensions for input, and {} dimensions for indices", ts.len(), is.len()),
                        ));
                    }
                    let mut st = ts.clone();
                    let mut si = is.clone();
                    for k in 0..ts.len() {
                        if k != d {
                            let m = ts[k].max(is[k]);
                            st[k] = m;
                            si[k] = m;
                        }
                    }
                    let te = t.expand(&st).map_err(exc)?;
                    let ie = idx.expand(&si).map_err(exc)?.contiguous();
                    Ok(tv(te.gather(d as isize, &ie).map_err(exc)?))
                }
            }
        }),
        "isfinite" => Value::method(this.clone(), "isfinite", |_, args| {
            let [] = args.bind(&[])?;
            let t = receiver(&args)?;
            let bad = t.isnan().logical_or(&t.isinf()).map_err(exc)?;
            Ok(tv(bad.logical_not()))
        }),
        "frac" => Value::method(this.clone(), "frac", |_, args| {
            let [] = args.bind(&[])?;
            let t = receiver(&args)?;
            Ok(tv(t.trunc().and_then(|i| t.sub(&i)).map_err(exc)?))
        }),
        "nan_to_num" => Value::method(this.clone(), "nan_to_num", |_, args| {
            let [nan, posinf, neginf] = args.bind(&["nan=", "posinf=", "neginf="])?;
            let t = receiver(&args)?;
            if !t.dtype().is_floating_point() {
                return Ok(tv(t.clone_tensor()));
            }
            let big = if t.dtype() == DType::Float64 {
                f64::MAX
            } else {
                f32::MAX as f64
            };
            let nan = f64_arg(nan.as_ref(), 0.0, "nan")?;
            let pos = f64_arg(posinf.as_ref(), big, "posinf")?;
            let neg = f64_arg(neginf.as_ref(), -big, "neginf")?;
            let v: Vec<f64> = t
                .contiguous()
                .to_f64_vec()
                .into_iter()
                .map(|x| {
                    if x.is_nan() {
                        nan
                    } else if x == f64::INFINITY {
                        pos
                    } else if x == f64::NEG_INFINITY {
                        neg
                    } else {
                        x
                    }
                })
                .collect();
            Ok(tv(Tensor::from_data(Data::F64(v), &t.shape())
                .and_then(|r| r.to_dtype(t.dtype()))
                .map_err(exc)?))
        }),
        "moveaxis" => Value::method(this.clone(), "moveaxis", |interp, args| {
            let [src, dst] = args.bind(&["source", "destination"])?;
            let t = tv(receiver(&args)?);
            let m = interp.get_attr(&t, "movedim")?;
            interp.call(
                &m,
                Args::new(
                    "movedim",
                    vec![src.unwrap_or(Value::None), dst.unwrap_or(Value::None)],
                ),
            )
        }),
        "movedim" => Value::method(this.clone(), "movedim", |interp, args| {
            let [src, dst] = args.bind(&["source", "destination"])?;
            let t = receiver(&args)?;
            let list = |interp: &mut Interpreter, v: Option<Value>| -> R<Vec<isize>> {
                Ok(super::convert::dim_list(interp, v.as_ref())?.unwrap_or_default())
            };
            let (src, dst) = (list(interp, src)?, list(interp, dst)?);
            if src.len() != dst.len() {
                return Err(Exception::runtime_error(format!(
                    "movedim: Invalid source or destination dims: source ({src:?} dims) should contain the same number of dims as destination ({dst:?} dims)"
                )));
            }
            let n = t.dim().max(1);
            let norm = |d: isize| engine::norm_dim_public(d, n).map_err(exc);
            let src = src.into_iter().map(norm).collect::<R<Vec<_>>>()?;
            let dst = dst.into_iter().map(norm).collect::<R<Vec<_>>>()?;
            // Destination slots are filled from `src`; the other dims keep their order.
            let mut perm: Vec<Option<usize>> = vec![None; t.dim()];
            for (&s_, &d_) in src.iter().zip(&dst) {
                perm[d_] = Some(s_);
            }
            let mut rest = (0..t.dim()).filter(|d| !src.contains(d));
            let perm: Vec<isize> = perm
                .into_iter()
                .map(|p| p.or_else(|| rest.next()).unwrap_or(0) as isize)
                .collect();
            Ok(tv(t.permute(&perm).map_err(exc)?))
        }),
        "diag_embed" => Value::method(this.clone(), "diag_embed", |_, args| {
            let [offset, dim1, dim2] = args.bind(&["offset=", "dim1=", "dim2="])?;
            let t = receiver(&args)?;
            let k = offset.map_or(Ok(0), |v| v.expect_int("offset"))?;
            let (d1, d2) = (
                dim1.map_or(Ok(-2), |v| v.expect_int("dim1"))?,
                dim2.map_or(Ok(-1), |v| v.expect_int("dim2"))?,
            );
            // Other dims: the last-two-dims result with its two matrix dims moved to dim1/dim2.
            let nd = t.dim() as i64 + 1;
            let norm = |d: i64| -> R<usize> {
                if d < -nd || d >= nd {
                    return Err(Exception::new(
                        "IndexError",
                        format!("Dimension out of range (expected to be in range of [{}, {}], but got {d})", -nd, nd - 1),
                    ));
                }
                Ok(if d < 0 { (d + nd) as usize } else { d as usize })
            };
            let (p1, p2) = (norm(d1)?, norm(d2)?);
            if p1 == p2 {
                return Err(Exception::runtime_error(format!("diagonal dimensions cannot be identical {d1}, {d2}")));
            }
            if (p1, p2) != (nd as usize - 2, nd as usize - 1) {
                let last = diag_embed_last(&t, k)?;
                let mut batch = 0..nd as usize - 2;
                let perm: Vec<isize> = (0..nd as usize)
                    .map(|i| {
                        if i == p1 {
                            nd as isize - 2
                        } else if i == p2 {
                            nd as isize - 1
                        } else {
                            batch.next().unwrap_or(0) as isize
                        }
                    })
                    .collect();
                return last.permute(&perm).map(|p| tv(p.contiguous())).map_err(exc);
            }
            Ok(tv(diag_embed_last(&t, k)?))
        }),
        "ravel" => Value::method(this.clone(), "ravel", |_, args| {
            let [] = args.bind(&[])?;
            Ok(tv(receiver(&args)?.reshape(&[-1]).map_err(exc)?))
        }),
        "argwhere" => Value::method(this.clone(), "argwhere", |_, args| {
            let [] = args.bind(&[])?;
            Ok(tv(receiver(&args)?.nonzero().map_err(exc)?))
        }),
        "view_as" | "reshape_as" => {
            let view = name == "view_as";
            Value::method(
                this.clone(),
                if view { "view_as" } else { "reshape_as" },
                move |_, args| {
                    let [other] = args.bind(&["other"])?;
                    let o = tensor_param(
                        other.as_ref(),
                        if view { "view_as" } else { "reshape_as" },
                        "other",
                    )?;
                    let shape: Vec<isize> = o.shape().iter().map(|&s| s as isize).collect();
                    let t = receiver(&args)?;
                    Ok(tv(if view {
                        t.view(&shape)
                    } else {
                        t.reshape(&shape)
                    }
                    .map_err(exc)?))
                },
            )
        }
        _ => return super::inplace::method(this, name),
    })
}

fn pair(name: &'static str, values: Tensor, indices: Tensor, fields: [&'static str; 2]) -> Value {
    Value::native(PyReturnType {
        name,
        values: tv(values),
        indices: tv(indices),
        fields,
    })
}

/// The float result dtype of an elementwise function of `dt` (integers give float32).
fn float_dtype(dt: DType) -> DType {
    if dt.is_floating_point() {
        dt
    } else {
        DType::Float32
    }
}

fn unary(t: &Tensor, name: &str) -> R<Tensor> {
    let v = t.contiguous().to_f64_vec();
    let f = |x: f64| -> f64 {
        match name {
            "deg2rad" => x * (std::f64::consts::PI / 180.0),
            "rad2deg" => x * (180.0 / std::f64::consts::PI),
            "sinc" => {
                if x == 0.0 {
                    1.0
                } else {
                    let p = std::f64::consts::PI * x;
                    p.sin() / p
                }
            }
            "exp2" => x.exp2(),
            _ => f64::from(u8::from(x.is_sign_negative())),
        }
    };
    // In float32 the constant and the products are float32, as PyTorch's kernels compute them.
    let f32_out = |x: f64| -> f64 {
        let x = x as f32;
        let r = match name {
            "deg2rad" => x * (std::f64::consts::PI / 180.0) as f32,
            "rad2deg" => x * (180.0 / std::f64::consts::PI) as f32,
            "sinc" if x != 0.0 => {
                let p = std::f32::consts::PI * x;
                ((p as f64).sin() as f32) / p
            }
            _ => return f(x as f64),
        };
        r as f64
    };
    let single = float_dtype(t.dtype()) == DType::Float32;
    let out: Vec<f64> = v
        .into_iter()
        .map(|x| if single { f32_out(x) } else { f(x) })
        .collect();
    let dt = if name == "signbit" {
        DType::Bool
    } else {
        float_dtype(t.dtype())
    };
    if name == "signbit" {
        return Tensor::from_data(
            Data::Bool(out.iter().map(|&x| x != 0.0).collect()),
            &t.shape(),
        )
        .map_err(exc);
    }
    let dt = if matches!(name, "deg2rad" | "rad2deg") && t.dtype() == DType::Int64 {
        DType::Float32
    } else {
        dt
    };
    Tensor::from_data(Data::F64(out), &t.shape())
        .and_then(|r| r.to_dtype(dt))
        .map_err(exc)
}

fn binary(a: &Tensor, b: &Tensor, name: &str) -> R<Tensor> {
    let shape = a.add(b).map_err(exc)?.shape();
    let dt = {
        let s = Tensor::zeros(&[], a.dtype())
            .add(&Tensor::zeros(&[], b.dtype()))
            .map_err(exc)?
            .dtype();
        if name == "heaviside" {
            s
        } else {
            float_dtype(s)
        }
    };
    let x = a.expand(&shape).map_err(exc)?.contiguous().to_f64_vec();
    let y = b.expand(&shape).map_err(exc)?.contiguous().to_f64_vec();
    let out: Vec<f64> = x
        .iter()
        .zip(&y)
        .map(|(&p, &q)| match name {
            "hypot" => p.hypot(q),
            "logaddexp" => {
                if p.is_infinite() && p == q {
                    p
                } else {
                    let m = p.max(q);
                    m + (-(p - q).abs()).exp().ln_1p()
                }
            }
            "copysign" => p.copysign(q),
            "heaviside" => {
                if p == 0.0 {
                    q
                } else if p.is_nan() {
                    p
                } else {
                    f64::from(u8::from(p > 0.0))
                }
            }
            _ => {
                if q.is_nan() {
                    f64::NAN
                } else if p == 0.0 {
                    0.0
                } else {
                    p * q.ln()
                }
            }
        })
        .collect();
    Tensor::from_data(Data::F64(out), &shape)
        .and_then(|r| r.to_dtype(dt))
        .map_err(exc)
}

/// `median()` over all elements: the lower of the two middle values (NaN if any, unless `nan`
/// skips them).
fn median_all(t: &Tensor, skip_nan: bool) -> R<Tensor> {
    let flat = t.contiguous().to_f64_vec();
    let (v, _) = median_row(&flat, skip_nan);
    if flat.is_empty() {
        return Ok(Tensor::scalar(Scalar::Float(f64::NAN), t.dtype()));
    }
    Tensor::from_data(Data::F64(vec![v]), &[])
        .and_then(|r| r.to_dtype(t.dtype()))
        .map_err(exc)
}

/// The (lower) median of a row and the index it came from.
fn median_row(row: &[f64], skip_nan: bool) -> (f64, i64) {
    let mut ix: Vec<usize> = (0..row.len()).collect();
    if !skip_nan {
        if let Some(i) = row.iter().position(|x| x.is_nan()) {
            return (f64::NAN, i as i64);
        }
    } else {
        ix.retain(|&i| !row[i].is_nan());
        if ix.is_empty() {
            return (f64::NAN, 0);
        }
    }
    ix.sort_by(|&i, &j| {
        row[i]
            .partial_cmp(&row[j])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let k = ix[(ix.len() - 1) / 2];
    (row[k], k as i64)
}

/// The most frequent value of a row (the smallest among equally frequent ones) and the last
/// index where it occurs.
fn mode_row(row: &[f64]) -> (f64, i64) {
    let mut ix: Vec<usize> = (0..row.len()).collect();
    ix.sort_by(|&i, &j| {
        row[i]
            .partial_cmp(&row[j])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(i.cmp(&j))
    });
    let (mut best, mut best_n, mut best_i) = (f64::NAN, 0usize, 0usize);
    let mut k = 0;
    while k < ix.len() {
        let mut e = k;
        while e + 1 < ix.len() && row[ix[e + 1]] == row[ix[k]] {
            e += 1;
        }
        if e - k + 1 > best_n {
            best_n = e - k + 1;
            best = row[ix[k]];
            best_i = ix[e];
        }
        k = e + 1;
    }
    (best, best_i as i64)
}

/// Applies `f` to each row along `dim`, giving values (the input's dtype) and int64 indices.
fn along(
    t: &Tensor,
    dim: isize,
    keep: bool,
    f: impl Fn(&[f64]) -> (f64, i64),
) -> R<(Tensor, Tensor)> {
    let t1 = if t.dim() == 0 {
        t.reshape(&[1]).map_err(exc)?
    } else {
        t.clone()
    };
    let d = engine::norm_dim_public(dim, t1.dim()).map_err(exc)?;
    let n = t1.shape()[d];
    if n == 0 {
        return Err(Exception::new(
            "IndexError",
            format!("Expected reduction dim {d} to have non-zero size."),
        ));
    }
    let last = t1.dim() as isize - 1;
    let moved = t1.transpose(d as isize, last).map_err(exc)?.contiguous();
    let vals = moved.to_f64_vec();
    let (mut out, mut idx) = (Vec::new(), Vec::new());
    for row in vals.chunks(n) {
        let (v, i) = f(row);
        out.push(v);
        idx.push(i);
    }
    let mut shape = t1.shape();
    if t.dim() == 0 {
        shape.clear();
    } else if keep {
        shape[d] = 1;
    } else {
        shape.remove(d);
    }
    // Rows came in the order of the moved layout: the input's dims with `d` swapped to the end.
    let mut moved_shape = t1.shape();
    moved_shape.swap(d, t1.dim() - 1);
    moved_shape.pop();
    let build = |data: Data| -> R<Tensor> {
        let mut r = Tensor::from_data(data, &moved_shape).map_err(exc)?;
        if t1.dim() > 1 && d != t1.dim() - 1 {
            // Undo the swap: the last remaining dim of the moved layout goes back to `d`.
            r = r
                .unsqueeze(-1)
                .and_then(|x| x.transpose(d as isize, last))
                .and_then(|x| x.squeeze(Some(d as isize)))
                .map_err(exc)?;
        }
        let sh: Vec<isize> = shape.iter().map(|&s| s as isize).collect();
        r.contiguous().reshape(&sh).map_err(exc)
    };
    let v = build(Data::F64(out))?.to_dtype(t.dtype()).map_err(exc)?;
    let i = build(Data::I64(idx))?;
    Ok((v, i))
}

/// The tensor and dim `repeat_interleave` repeats along: the flattened tensor's only dim when
/// `dim` is None.
fn interleave_dim(t: Tensor, dim: Option<Value>) -> R<(Tensor, usize)> {
    match dim {
        None | Some(Value::None) => Ok((t.flatten(0, -1).map_err(exc)?, 0)),
        Some(d) => {
            let d = engine::norm_dim_public(d.expect_int("dim")? as isize, t.dim()).map_err(exc)?;
            Ok((t, d))
        }
    }
}

/// `t.repeat_interleave(r, dim)` with an int count: each element `r` times, as an expanded
/// copy (ViewBackward0, as in PyTorch).
pub(super) fn repeat_interleave_int(t: Tensor, r: i64, dim: Option<Value>) -> R<Value> {
    if r < 0 {
        return Err(Exception::runtime_error("Repeats must be non-negative"));
    }
    let (t, d) = interleave_dim(t, dim)?;
    let u = t.unsqueeze(d as isize + 1).map_err(exc)?;
    let mut shape = u.shape();
    shape[d + 1] = r as usize;
    let e = u.expand(&shape).map_err(exc)?.clone_tensor();
    Ok(tv(e.flatten(d as isize, d as isize + 1).map_err(exc)?))
}

/// The counts of `repeats` (an int64/int32 tensor of 0 or 1 dims), checked as ATen's
/// `repeat_interleave_cpu` checks them.
fn repeat_counts(repeats: &Tensor) -> R<Vec<i64>> {
    if !matches!(repeats.dtype(), DType::Int64 | DType::Int32) {
        return Err(Exception::new(
            "NotImplementedError",
            format!("\"repeat_interleave_cpu\" not implemented for '{}'", super::api::dtype_label(repeats.dtype())),
        ));
    }
    if repeats.dim() > 1 {
        return Err(Exception::runtime_error("repeats must be 0-dim or 1-dim tensor"));
    }
    let counts: Vec<i64> = repeats.to_scalars().into_iter().map(Scalar::as_i64).collect();
    if counts.iter().any(|&c| c < 0) {
        return Err(Exception::runtime_error("repeats can not be negative"));
    }
    Ok(counts)
}

/// Index i repeated `counts[i]` times.
fn repeated_indices(counts: &[i64]) -> Vec<i64> {
    counts.iter().enumerate().flat_map(|(i, &c)| std::iter::repeat_n(i as i64, c as usize)).collect()
}

/// `torch.repeat_interleave(repeats)`: index i repeated `repeats[i]` times.
pub(super) fn repeat_interleave_indices(repeats: &Tensor) -> R<Value> {
    let counts = repeat_counts(repeats)?;
    let idx = repeated_indices(&counts);
    let n = idx.len();
    Ok(tv(Tensor::from_data(Data::I64(idx), &[n]).map_err(exc)?))
}

/// `t.repeat_interleave(repeats_tensor, dim)`: an `index_select` of the repeated indices
/// (IndexSelectBackward0, as in PyTorch); one count applies to every element.
pub(super) fn repeat_interleave_tensor(t: &Tensor, repeats: &Tensor, dim: Option<Value>) -> R<Value> {
    let (t, d) = interleave_dim(t.clone(), dim)?;
    let size = t.shape().get(d).copied().unwrap_or(1);
    let mut counts = repeat_counts(repeats)?;
    if counts.len() == 1 {
        counts = vec![counts[0]; size];
    }
    if counts.len() != size {
        return Err(Exception::runtime_error(format!(
            "repeats must have the same size as input along dim, but got repeats.size(0) = {} and input.size({d}) = {size}",
            counts.len()
        )));
    }
    let idx = repeated_indices(&counts);
    Ok(tv(t.index_select(d as isize, &idx).map_err(exc)?))
}

/// `diag_embed(t, k)` onto the last two dims: each row of `t`'s last dim on a matrix diagonal.
fn diag_embed_last(t: &Tensor, k: i64) -> R<Tensor> {
    if t.dim() == 0 {
        return Err(Exception::new(
            "IndexError",
            "Dimension out of range (expected to be in range of [-1, 0], but got -2)",
        ));
    }
    let shape = t.shape();
    let n = shape[shape.len() - 1];
    let rows = t.reshape(&[-1, n as isize]).map_err(exc)?;
    let mats = rows
        .unbind(0)
        .map_err(exc)?
        .iter()
        .map(|r| r.diag(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(exc)?;
    let m = n + k.unsigned_abs() as usize;
    let mut out: Vec<isize> = shape[..shape.len() - 1]
        .iter()
        .map(|&s| s as isize)
        .collect();
    out.extend([m as isize, m as isize]);
    if mats.is_empty() {
        return Ok(Tensor::zeros(
            &out.iter().map(|&s| s as usize).collect::<Vec<_>>(),
            t.dtype(),
        ));
    }
    Tensor::stack(&mats, 0).and_then(|s| s.reshape(&out)).map_err(exc)
}
