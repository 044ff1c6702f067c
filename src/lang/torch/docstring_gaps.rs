//! Torch functions and tensor methods that PyTorch's docstring examples still missed, each a
//! composition of engine ops in ATen's order: `logical_xor` and the logical functions' `out=`,
//! `cumulative_trapezoid`, `vander`, `narrow_copy`, `nonzero_static`, `renorm`, the
//! `diagonal`/`select`/`slice` scatters, `logdet`/`slogdet`, `dim_order`/`empty_permuted`, and
//! `torch.linalg`'s `cond`, `slogdet` and the spectral and nuclear matrix norms.

use super::R;
use super::convert::{as_scalar, as_tensor, bool_arg, dim_list, dtype_arg, exc, tensor_param_at, tv};
use super::linalg_decomp::named;
use super::memory_format::{Format, format_arg, is_contiguous_as};
use super::tensorfns::receiver;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Data, Scalar, Tensor};

fn int_or(v: Option<&Value>, default: i64, what: &str) -> R<i64> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => v.expect_int(what),
    }
}

fn opt_int(v: Option<&Value>, what: &str) -> R<Option<i64>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => v.expect_int(what).map(Some),
    }
}

/// A result written into `out=` (cast to its dtype) and `out` returned, or the result itself.
fn with_out(r: Tensor, out: Option<&Value>) -> R<Value> {
    match out {
        None | Some(Value::None) => Ok(tv(r)),
        Some(o) => {
            let t = as_tensor(o).ok_or_else(|| {
                Exception::type_error(format!(
                    "argument 'out' must be Tensor, not {}",
                    o.type_name()
                ))
            })?;
            t.copy_(&r).map_err(exc)?;
            Ok(o.clone())
        }
    }
}

/// ATen's logical ops: each operand is nonzero-tested, then compared (0 and/or, 1 xor).
fn logical(a: &Tensor, b: &Tensor, which: u8) -> R<Tensor> {
    let (a, b) = (
        a.to_dtype(DType::Bool).map_err(exc)?,
        b.to_dtype(DType::Bool).map_err(exc)?,
    );
    match which {
        0 => a.logical_and(&b),
        1 => a.logical_or(&b),
        _ => a.ne(&b),
    }
    .map_err(exc)
}

const LOGICAL: [(&str, u8); 3] = [("logical_and", 0), ("logical_or", 1), ("logical_xor", 2)];

/// Adds the functions to `torch` (after the modules whose `logical_*` they replace).
pub fn install(m: &Module) {
    for (name, which) in LOGICAL {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [a, b, out] = args.bind(&["input", "other", "*", "out="])?;
                let a = tensor_param_at(a.as_ref(), name, "input", 1)?;
                let b = tensor_param_at(b.as_ref(), name, "other", 2)?;
                with_out(logical(&a, &b, which)?, out.as_ref())
            }),
        );
    }
    m.set(
        "logical_not",
        Value::builtin("logical_not", |_, args| {
            let [a, out] = args.bind(&["input", "*", "out="])?;
            let a = tensor_param_at(a.as_ref(), "logical_not", "input", 1)?;
            with_out(a.logical_not(), out.as_ref())
        }),
    );
    m.set(
        "cumulative_trapezoid",
        Value::builtin("cumulative_trapezoid", cumulative_trapezoid),
    );
    m.set(
        "vander",
        Value::builtin("vander", |_, args| {
            let [x, n, increasing] = args.bind(&["x", "N=", "increasing="])?;
            let x = tensor_param_at(x.as_ref(), "vander", "x", 1)?;
            let n = opt_int(n.as_ref(), "N")?;
            vander(&x, n, bool_arg(increasing.as_ref(), false)).map(tv)
        }),
    );
    m.set(
        "narrow_copy",
        Value::builtin("narrow_copy", |_, args| {
            let [t, dim, start, length] = args.bind(&["input", "dim", "start", "length"])?;
            let t = tensor_param_at(t.as_ref(), "narrow_copy", "input", 1)?;
            narrow_copy(&t, dim.as_ref(), start.as_ref(), length.as_ref())
        }),
    );
    m.set(
        "nonzero_static",
        Value::builtin("nonzero_static", |_, args| {
            let [t, size, fill] = args.bind(&["input", "*", "size", "fill_value="])?;
            let t = tensor_param_at(t.as_ref(), "nonzero_static", "input", 1)?;
            nonzero_static(&t, size.as_ref(), fill.as_ref())
        }),
    );
    m.set(
        "renorm",
        Value::builtin("renorm", |_, args| {
            let [t, p, dim, maxnorm] = args.bind(&["input", "p", "dim", "maxnorm"])?;
            let t = tensor_param_at(t.as_ref(), "renorm", "input", 1)?;
            renorm(&t, p.as_ref(), dim.as_ref(), maxnorm.as_ref())
        }),
    );
    for name in ["diagonal_scatter", "select_scatter", "slice_scatter"] {
        m.set(
            name,
            Value::builtin(name, move |_, mut args| {
                let t = match args.pos.first() {
                    Some(v) if as_tensor(v).is_some() => {
                        let v = args.pos.remove(0);
                        as_tensor(&v).cloned()
                    }
                    _ => None,
                };
                let t = match t {
                    Some(t) => t,
                    None => {
                        let pos = args.kw.iter().position(|(k, _)| &**k == "input");
                        let v = pos.map(|i| args.kw.remove(i).1);
                        tensor_param_at(v.as_ref(), name, "input", 1)?
                    }
                };
                scatter_view(&t, name, args)
            }),
        );
    }
    for (name, linalg) in [("logdet", false), ("slogdet", false)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [a] = args.bind(&["input"])?;
                let a = tensor_param_at(a.as_ref(), name, "input", 1)?;
                if name == "logdet" {
                    logdet(&a).map(tv)
                } else {
                    slogdet(&a, linalg)
                }
            }),
        );
    }
    m.set(
        "empty_permuted",
        Value::builtin("empty_permuted", |interp, args| {
            let [size, layout, dtype, _layout, _device, requires_grad, _pin] = args.bind(&[
                "size",
                "physical_layout",
                "*",
                "dtype=",
                "layout=",
                "device=",
                "requires_grad=",
                "pin_memory=",
            ])?;
            let size = dim_list(interp, size.as_ref())?.unwrap_or_default();
            let layout = dim_list(interp, layout.as_ref())?.unwrap_or_default();
            let dtype = super::or_default(dtype_arg(dtype.as_ref())?);
            let t = empty_permuted(&size, &layout, dtype)?;
            if bool_arg(requires_grad.as_ref(), false) {
                t.set_requires_grad(true).map_err(exc)?;
            }
            Ok(tv(t))
        }),
    );
}

/// Adds `linalg.cond` and `linalg.slogdet`.
pub fn install_linalg(linalg: &Module) {
    linalg.set(
        "cond",
        Value::builtin("cond", |_, args| {
            let [a, p, _out] = args.bind(&["A", "p=", "*", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_cond", "A", 1)?;
            cond(&a, p.as_ref()).map(tv)
        }),
    );
    linalg.set(
        "slogdet",
        Value::builtin("slogdet", |_, args| {
            let [a, _out] = args.bind(&["A", "*", "out="])?;
            let a = tensor_param_at(a.as_ref(), "linalg_slogdet", "A", 1)?;
            slogdet(&a, true)
        }),
    );
}

/// The tensor methods above.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "logical_xor" => Value::method(this.clone(), "logical_xor", |_, args| {
            let [b] = args.bind(&["other"])?;
            let b = tensor_param_at(b.as_ref(), "logical_xor", "other", 1)?;
            logical(&receiver(&args)?, &b, 2).map(tv)
        }),
        "narrow_copy" => Value::method(this.clone(), "narrow_copy", |_, args| {
            let [dim, start, length] = args.bind(&["dim", "start", "length"])?;
            narrow_copy(
                &receiver(&args)?,
                dim.as_ref(),
                start.as_ref(),
                length.as_ref(),
            )
        }),
        "nonzero_static" => Value::method(this.clone(), "nonzero_static", |_, args| {
            let [size, fill] = args.bind(&["*", "size", "fill_value="])?;
            nonzero_static(&receiver(&args)?, size.as_ref(), fill.as_ref())
        }),
        "renorm" => Value::method(this.clone(), "renorm", |_, args| {
            let [p, dim, maxnorm] = args.bind(&["p", "dim", "maxnorm"])?;
            renorm(
                &receiver(&args)?,
                p.as_ref(),
                dim.as_ref(),
                maxnorm.as_ref(),
            )
        }),
        "logdet" => Value::method(this.clone(), "logdet", |_, args| {
            let [] = args.bind(&[])?;
            logdet(&receiver(&args)?).map(tv)
        }),
        "slogdet" => Value::method(this.clone(), "slogdet", |_, args| {
            let [] = args.bind(&[])?;
            slogdet(&receiver(&args)?, false)
        }),
        "dim_order" => Value::method(this.clone(), "dim_order", |interp, args| {
            let [check] = args.bind(&["*", "ambiguity_check="])?;
            dim_order(interp, &receiver(&args)?, check.as_ref())
        }),
        "diagonal_scatter" | "select_scatter" | "slice_scatter" => {
            let name: &'static str = match name {
                "diagonal_scatter" => "diagonal_scatter",
                "select_scatter" => "select_scatter",
                _ => "slice_scatter",
            };
            Value::method(this.clone(), name, move |_, args| {
                let t = receiver(&args)?;
                scatter_view(&t, name, args)
            })
        }
        _ => return None,
    })
}

/// `cumulative_trapezoid(y, x=None, *, dx=None, dim=-1)`: ATen's
/// `(dx / 2 * (y[1:] + y[:-1])).cumsum(dim)` for a spacing, and
/// `(diff(x) * (y[1:] + y[:-1])).cumsum(dim) / 2` for sample points.
fn cumulative_trapezoid(_: &mut Interpreter, args: Args) -> R<Value> {
    let [y, x, dx, dim] = args.bind(&["y", "x=", "*", "dx=", "dim="])?;
    let y = tensor_param_at(y.as_ref(), "cumulative_trapezoid", "y", 1)?;
    let dim = int_or(dim.as_ref(), -1, "dim")? as isize;
    let e = |r: engine::Result<Tensor>| r.map_err(exc);
    if y.dim() == 0 {
        return Err(Exception::new(
            "IndexError",
            format!("Dimension out of range (expected to be in range of [-1, 0], but got {dim})"),
        ));
    }
    let d = engine::norm_dim_public(dim, y.dim()).map_err(exc)?;
    let n = y.shape()[d] as i64;
    let (left, right) = (
        e(y.narrow(dim, 0, (n - 1).max(0)))?,
        e(y.narrow(dim, n.min(1), (n - 1).max(0)))?,
    );
    let sums = e(left.add(&right))?;
    if let Some(xt) = x.as_ref().and_then(as_tensor) {
        let xv = if xt.dim() == 1 {
            let mut shape = vec![1isize; y.dim()];
            shape[d] = xt.numel() as isize;
            e(xt.reshape(&shape))?
        } else {
            xt.clone()
        };
        let m = xv.shape().get(d).copied().unwrap_or(0) as i64;
        let dxs = e(xv.narrow(dim, m.min(1), (m - 1).max(0))?.sub(&xv.narrow(
            dim,
            0,
            (m - 1).max(0),
        )?))?;
        let s = e(dxs.mul(&sums)?.cumsum(dim))?;
        return e(s.div_scalar(Scalar::Float(2.0))).map(tv);
    }
    let dx = dx
        .as_ref()
        .or(x.as_ref())
        .and_then(as_scalar)
        .map_or(1.0, Scalar::as_f64);
    e(sums.mul_scalar(Scalar::Float(dx / 2.0))?.cumsum(dim)).map(tv)
}

/// ATen's `vander`: a column of ones, then running products of `x`, flipped unless
/// `increasing`, in `x`'s dtype promoted with int64.
fn vander(x: &Tensor, n: Option<i64>, increasing: bool) -> R<Tensor> {
    if x.dim() != 1 {
        return Err(Exception::runtime_error(
            "x must be a one-dimensional tensor.",
        ));
    }
    let rows = x.numel();
    let n = n.unwrap_or(rows as i64);
    if n < 0 {
        return Err(Exception::runtime_error("N must be non-negative."));
    }
    let n = n as usize;
    let dtype = x.dtype().promote(DType::Int64);
    let data = match x.to_dtype(dtype).map_err(exc)?.contiguous().to_f64_vec() {
        v if dtype == DType::Int64 => {
            let ints: Vec<i64> = v.iter().map(|&f| f as i64).collect();
            let mut out = vec![1i64; rows * n];
            for (i, &xi) in ints.iter().enumerate() {
                for j in 1..n {
                    out[i * n + j] = out[i * n + j - 1].wrapping_mul(xi);
                }
            }
            Data::I64(out)
        }
        v => {
            let f32_round = dtype != DType::Float64;
            let mut out = vec![1f64; rows * n];
            for (i, &xi) in v.iter().enumerate() {
                for j in 1..n {
                    let p = out[i * n + j - 1] * xi;
                    out[i * n + j] = if f32_round { f64::from(p as f32) } else { p };
                }
            }
            Data::F64(out)
        }
    };
    let r = Tensor::from_data(data, &[rows, n])
        .and_then(|r| r.to_dtype(dtype))
        .map_err(exc)?;
    if increasing || n == 0 {
        Ok(r)
    } else {
        r.flip(&[1]).map_err(exc)
    }
}

fn narrow_copy(
    t: &Tensor,
    dim: Option<&Value>,
    start: Option<&Value>,
    length: Option<&Value>,
) -> R<Value> {
    let dim = int_or(dim, 0, "dim")? as isize;
    let start = int_or(start, 0, "start")?;
    let length = int_or(length, 0, "length")?;
    let r = t.narrow(dim, start, length).map_err(exc)?;
    Ok(tv(r.contiguous().clone_tensor()))
}

/// `nonzero_static(input, *, size, fill_value=-1)`: `nonzero()` cut to `size` rows or padded
/// with rows of `fill_value`.
fn nonzero_static(t: &Tensor, size: Option<&Value>, fill: Option<&Value>) -> R<Value> {
    let size = match size {
        None | Some(Value::None) => {
            return Err(Exception::type_error(
                "nonzero_static() missing 1 required keyword-only argument: 'size'",
            ));
        }
        Some(v) => v.expect_int("size")?,
    };
    if size < 0 {
        return Err(Exception::runtime_error(format!(
            "nonzero_static: 'size' must be an non-negative integer, but got size: {size}"
        )));
    }
    let fill = int_or(fill, -1, "fill_value")?;
    let nz = t.nonzero().map_err(exc)?;
    let (found, cols) = (nz.shape()[0] as i64, nz.shape()[1]);
    let r = if found >= size {
        nz.narrow(0, 0, size).map_err(exc)?.contiguous()
    } else {
        let pad = Tensor::full(
            &[(size - found) as usize, cols],
            Scalar::Int(fill),
            DType::Int64,
        );
        Tensor::cat(&[nz, pad], 0).map_err(exc)?
    };
    Ok(tv(r))
}

/// ATen's `renorm`: each slice along `dim` whose `p`-norm (taken in double) is above `maxnorm`
/// is scaled by `maxnorm / (norm + 1e-7)`.
fn renorm(t: &Tensor, p: Option<&Value>, dim: Option<&Value>, maxnorm: Option<&Value>) -> R<Value> {
    let p = p.map_or(Ok(2.0), |v| v.expect_f64("p"))?;
    let maxnorm = maxnorm.map_or(Ok(0.0), |v| v.expect_f64("maxnorm"))?;
    let dim = int_or(dim, 0, "dim")?;
    if p <= 0.0 {
        return Err(Exception::runtime_error(
            "renorm: non-positive-norm not supported",
        ));
    }
    if maxnorm < 0.0 {
        return Err(Exception::runtime_error(format!(
            "renorm: expected maxnorm to be >= 0 but got {maxnorm}"
        )));
    }
    let d = engine::norm_dim_public(dim as isize, t.dim()).map_err(exc)?;
    let dims: Vec<isize> = (0..t.dim())
        .filter(|&i| i != d)
        .map(|i| i as isize)
        .collect();
    let norms = t
        .to_dtype(DType::Float64)
        .and_then(|x| x.norm_p(p, Some(&dims), true))
        .map_err(exc)?;
    let shape = norms.shape();
    let factors: Vec<f64> = norms
        .to_f64_vec()
        .into_iter()
        .map(|n| {
            if n > maxnorm {
                maxnorm / (n + 1e-7)
            } else {
                1.0
            }
        })
        .collect();
    let f = Tensor::from_data(Data::F64(factors), &shape)
        .and_then(|f| f.to_dtype(t.dtype()))
        .map_err(exc)?;
    t.mul(&f).map(tv).map_err(exc)
}

/// The view of a copy that a scatter writes into.
type ViewFn = Box<dyn Fn(&Tensor) -> engine::Result<Tensor>>;

/// `diagonal_scatter`, `select_scatter`, `slice_scatter`: a copy of `t` with the view written
/// from `src` (whose shape must be the view's).
fn scatter_view(t: &Tensor, name: &str, args: Args) -> R<Value> {
    let (src, view_of) = match name {
        "diagonal_scatter" => {
            let [src, offset, dim1, dim2] = args.bind(&["src", "offset=", "dim1=", "dim2="])?;
            let (o, d1, d2) = (
                int_or(offset.as_ref(), 0, "offset")?,
                int_or(dim1.as_ref(), 0, "dim1")?,
                int_or(dim2.as_ref(), 1, "dim2")?,
            );
            let view: ViewFn = Box::new(move |x| x.diagonal(o, d1 as isize, d2 as isize));
            (src, view)
        }
        "select_scatter" => {
            let [src, dim, index] = args.bind(&["src", "dim", "index"])?;
            let (d, i) = (
                int_or(dim.as_ref(), 0, "dim")?,
                int_or(index.as_ref(), 0, "index")?,
            );
            let view: ViewFn = Box::new(move |x| x.select(d as isize, i));
            (src, view)
        }
        _ => {
            let [src, dim, start, end, step] =
                args.bind(&["src", "dim=", "start=", "end=", "step="])?;
            let d = int_or(dim.as_ref(), 0, "dim")?;
            let (s, e) = (
                opt_int(start.as_ref(), "start")?,
                opt_int(end.as_ref(), "end")?,
            );
            let step = int_or(step.as_ref(), 1, "step")?;
            let view: ViewFn = Box::new(move |x| x.slice(d as isize, s, e, step));
            (src, view)
        }
    };
    let src = tensor_param_at(src.as_ref(), name, "src", 2)?;
    let out = t.clone_tensor();
    let slot = view_of(&out).map_err(exc)?;
    if slot.shape() != src.shape() {
        return Err(Exception::runtime_error(format!(
            "expected src to have a size equal to the slice of self. src size = {:?}, slice size = {:?}",
            src.shape(),
            slot.shape()
        )));
    }
    slot.copy_(&src).map_err(exc)?;
    Ok(tv(out))
}

/// `linalg.slogdet` (or `torch.slogdet`): the determinant's sign and the log of its absolute
/// value.
fn slogdet(a: &Tensor, linalg: bool) -> R<Value> {
    let det = engine::linalg::det(a).map_err(exc)?;
    let sign = det.sign().map_err(exc)?;
    let logabs = det.abs().and_then(|d| d.log()).map_err(exc)?;
    Ok(if linalg {
        named("linalg_slogdet", &["sign", "logabsdet"], vec![sign, logabs])
    } else {
        named("slogdet", &["sign", "logabsdet"], vec![sign, logabs])
    })
}

/// ATen's `logdet`: `logabsdet` where the sign is not -1, NaN where it is.
fn logdet(a: &Tensor) -> R<Tensor> {
    let det = engine::linalg::det(a).map_err(exc)?;
    let logabs = det.abs().and_then(|d| d.log()).map_err(exc)?;
    let neg = det.lt_scalar(Scalar::Float(0.0)).map_err(exc)?;
    let nan = Tensor::full(&logabs.shape(), Scalar::Float(f64::NAN), logabs.dtype());
    Tensor::where_(&neg, &nan, &logabs).map_err(exc)
}

/// `torch.empty_permuted(size, physical_layout)`: a tensor laid out in `physical_layout`'s order
/// (zeros where PyTorch leaves memory uninitialised).
fn empty_permuted(size: &[isize], layout: &[isize], dtype: DType) -> R<Tensor> {
    let nd = size.len();
    let mut seen = vec![false; nd];
    let ok = layout.len() == nd
        && layout.iter().all(|&p| {
            let fresh = p >= 0 && (p as usize) < nd && !seen[p as usize];
            if fresh {
                seen[p as usize] = true;
            }
            fresh
        });
    if !ok {
        return Err(Exception::runtime_error(format!(
            "Number of dimensions in size does not match the length of the physical_layout; i.e. len(size) = {nd} is not equal to len(physical_layout) = {}",
            layout.len()
        )));
    }
    let phys: Vec<usize> = layout
        .iter()
        .map(|&p| size[p as usize].max(0) as usize)
        .collect();
    let mut inverse = vec![0isize; nd];
    for (i, &p) in layout.iter().enumerate() {
        inverse[p as usize] = i as isize;
    }
    Tensor::zeros(&phys, dtype).permute(&inverse).map_err(exc)
}

/// `Tensor.dim_order(*, ambiguity_check=False)` as torch/_tensor.py computes it: the dims from
/// the largest stride to the smallest (prims' `compute_elementwise_output_logical_to_physical_perm`).
fn dim_order(interp: &mut Interpreter, t: &Tensor, check: Option<&Value>) -> R<Value> {
    let bad = || {
        Exception::type_error(
            "The ambiguity_check argument must be a bool or a list of memory formats.",
        )
    };
    let (formats, check_multiple) = match check {
        None | Some(Value::Bool(false)) => (Vec::new(), false),
        Some(Value::Bool(true)) => (Vec::new(), true),
        Some(v @ Value::List(_)) => {
            let mut fs = Vec::new();
            for item in interp.iterate(v)? {
                let f: Option<Format> = format_arg(Some(&item), "dim_order").ok().flatten();
                fs.push(f.ok_or_else(bad)?);
            }
            (fs, true)
        }
        Some(_) => return Err(bad()),
    };
    let (shape, strides) = (t.shape(), t.strides());
    if check_multiple {
        let multiple = strides.windows(2).any(|w| w[0] == w[1]) || shape.contains(&1);
        let legal = formats.iter().filter(|&&f| is_contiguous_as(t, f)).count();
        if multiple && legal != 1 {
            return Err(Exception::runtime_error(
                "The tensor does not have unique dim order, or cannot map to exact one of the given memory formats.",
            ));
        }
    }
    let nd = shape.len();
    let should_swap = |a: usize, b: usize| -> i32 {
        let (sa, sb) = (strides[a], strides[b]);
        if sa == 0 || sb == 0 {
            return 0;
        }
        if sa < sb {
            return -1;
        }
        if sa > sb {
            return 1;
        }
        i32::from(shape[a] > shape[b])
    };
    let mut perm: Vec<usize> = (0..nd).rev().collect();
    for i in 1..nd {
        let mut d1 = i;
        for d0 in (0..i).rev() {
            match should_swap(perm[d0], perm[d1]) {
                c if c > 0 => {
                    perm.swap(d0, d1);
                    d1 = d0;
                }
                c if c < 0 => break,
                _ => {}
            }
        }
    }
    Ok(Value::tuple(
        perm.into_iter()
            .rev()
            .map(|d| Value::Int(d as i64))
            .collect(),
    ))
}

/// The singular values of `a` over its last two dims, or over `dims` moved there.
fn svdvals_over(a: &Tensor, dims: &[isize]) -> R<Tensor> {
    let nd = a.dim();
    let d0 = engine::norm_dim_public(dims[0], nd).map_err(exc)?;
    let d1 = engine::norm_dim_public(dims[1], nd).map_err(exc)?;
    let mut perm: Vec<isize> = (0..nd)
        .filter(|&i| i != d0 && i != d1)
        .map(|i| i as isize)
        .collect();
    perm.extend([d0 as isize, d1 as isize]);
    let moved = a.permute(&perm).map_err(exc)?;
    Ok(engine::decomp_ops::svd(&moved, false, false, "linalg.svd")
        .map_err(exc)?
        .1)
}

/// `matrix_norm` for `ord` 2, -2 (the largest or smallest singular value) and 'nuc' (their sum),
/// as ATen takes them from `svdvals` over the two dims moved last.
pub fn spectral_norm(a: &Tensor, ord: &str, dims: &[isize], keep: bool) -> R<Tensor> {
    let s = svdvals_over(a, dims)?;
    let r = match ord {
        "nuc" => s.sum(Some(&[-1]), false),
        "2" => s.max_dim(-1, false).map(|(v, _)| v),
        _ => s.min_dim(-1, false).map(|(v, _)| v),
    }
    .map_err(exc)?;
    if !keep {
        return Ok(r);
    }
    let nd = a.dim();
    let mut ds: Vec<usize> = dims
        .iter()
        .map(|&d| engine::norm_dim_public(d, nd))
        .collect::<engine::Result<_>>()
        .map_err(exc)?;
    ds.sort_unstable();
    let mut r = r;
    for d in ds {
        r = r.unsqueeze(d as isize).map_err(exc)?;
    }
    Ok(r)
}

/// `linalg.cond(A, p=None)`: for p 2, -2 and None the ratio of the extreme singular values,
/// otherwise `matrix_norm(A, p) * matrix_norm(inv(A), p)`, as ATen computes them.
fn cond(a: &Tensor, p: Option<&Value>) -> R<Tensor> {
    if a.dim() < 2 {
        return Err(Exception::runtime_error(
            "linalg.cond: The input tensor must have at least 2 dimensions.",
        ));
    }
    let two = match p {
        None | Some(Value::None) => Some(2.0),
        Some(v) => as_scalar(v).map(Scalar::as_f64).filter(|x| x.abs() == 2.0),
    };
    if let Some(ord) = two {
        let s = engine::decomp_ops::svd(a, false, false, "linalg.svd")
            .map_err(exc)?
            .1;
        let k = s.shape()[s.dim() - 1] as i64;
        let (max, min) = (
            s.narrow(-1, 0, 1).map_err(exc)?,
            s.narrow(-1, k - 1, 1).map_err(exc)?,
        );
        let r = if ord < 0.0 {
            min.div(&max)
        } else {
            max.div(&min)
        };
        return r.and_then(|r| r.squeeze(Some(-1))).map_err(exc);
    }
    let (n, m) = (a.shape()[a.dim() - 2], a.shape()[a.dim() - 1]);
    if n != m {
        return Err(Exception::runtime_error(format!(
            "linalg.cond(ord={}): A must be batches of square matrices, but they are {n} by {m} matrices",
            p.map_or(String::new(), |v| v.repr())
        )));
    }
    let inv = engine::linalg::inv(a).map_err(exc)?;
    let norm = |x: &Tensor| super::linalg::matrix_norm_pub(x, p, &[-2, -1], false);
    norm(a)?.mul(&norm(&inv)?).map_err(exc)
}
