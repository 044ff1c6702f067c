//! `torch.einsum`, `torch.linalg` (norms, inv, det, solve) and the small array functions
//! tutorials use next to them: meshgrid, unique, cdist, cumprod, bincount, histc.

use super::convert::{as_tensor, bool_arg, dim_list, exc, f64_arg, kw, tensor_param, tv};
use super::R;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Data, Tensor};

/// Adds `einsum`, the `linalg` submodule and the array functions to `torch`; returns the
/// submodule so that `torch.linalg` can also be imported by name.
pub fn install(m: &Module) -> Value {
    m.set("einsum", Value::builtin("einsum", |interp, args| {
        let (eq, ops) = match args.pos.first() {
            Some(Value::Str(s)) => {
                // The operands come as separate arguments or as one list.
                let ops: Vec<Value> = match &args.pos[1..] {
                    [one @ (Value::List(_) | Value::Tuple(_))] => interp.iterate(one)?,
                    rest => rest.to_vec(),
                };
                (s.to_string(), ops)
            }
            Some(v) if as_tensor(v).is_some() => super::einsum_sublist::equation(interp, &args.pos)?,
            _ => return Err(Exception::type_error("einsum(): argument 'equation' (position 1) must be str")),
        };
        let ts = ops
            .iter()
            .map(|v| as_tensor(v).cloned().ok_or_else(|| Exception::type_error(format!("einsum(): expected Tensor operands, got {}", v.type_name()))))
            .collect::<R<Vec<_>>>()?;
        Ok(tv(engine::einsum(&eq, &ts).map_err(exc)?))
    }));
    let linalg = Module::new("torch.linalg");
    linalg.set("det", unary("linalg.det", engine::linalg::det));
    linalg.set("inv", unary("linalg.inv", engine::linalg::inv));
    m.set("det", unary("det", engine::linalg::det));
    m.set("inverse", unary("inverse", engine::linalg::inv));

    linalg.set("vector_norm", Value::builtin("vector_norm", |interp, args| {
        let [x, ord, dim, keepdim, _dtype] = args.bind(&["x", "ord=", "dim=", "keepdim=", "*", "dtype="])?;
        let x = tensor_param(x.as_ref(), "linalg_vector_norm", "x")?;
        let dims = dim_list(interp, dim.as_ref())?;
        Ok(tv(vector_norm(&x, f64_arg(ord.as_ref(), 2.0, "ord")?, dims.as_deref(), bool_arg(keepdim.as_ref(), false))?))
    }));
    linalg.set("matrix_norm", Value::builtin("matrix_norm", |interp, args| {
        let [a, ord, dim, keepdim, _dtype] = args.bind(&["A", "ord=", "dim=", "keepdim=", "*", "dtype="])?;
        let a = tensor_param(a.as_ref(), "linalg_matrix_norm", "A")?;
        let dims = dim_list(interp, dim.as_ref())?.unwrap_or(vec![-2, -1]);
        matrix_norm(&a, ord.as_ref(), &dims, bool_arg(keepdim.as_ref(), false)).map(tv)
    }));
    linalg.set("norm", Value::builtin("norm", |interp, args| {
        let [a, ord, dim, keepdim, _dtype] = args.bind(&["A", "ord=", "dim=", "keepdim=", "*", "dtype="])?;
        let a = tensor_param(a.as_ref(), "linalg_norm", "A")?;
        let dims = dim_list(interp, dim.as_ref())?;
        let keep = bool_arg(keepdim.as_ref(), false);
        match (ord.as_ref(), dims) {
            (None | Some(Value::None), d) => Ok(tv(vector_norm(&a, 2.0, d.as_deref(), keep)?)),
            (Some(o), Some(d)) if d.len() == 2 => matrix_norm(&a, Some(o), &d, keep).map(tv),
            (Some(o), None) if a.dim() == 2 => matrix_norm(&a, Some(o), &[-2, -1], keep).map(tv),
            (Some(o), d) => Ok(tv(vector_norm(&a, f64_arg(Some(o), 2.0, "ord")?, d.as_deref(), keep)?)),
        }
    }));
    m.set("meshgrid", Value::builtin("meshgrid", meshgrid));
    m.set("unique", Value::builtin("unique", unique));
    m.set("unique_consecutive", Value::builtin("unique_consecutive", unique_consecutive));
    m.set("cdist", Value::builtin("cdist", |_, args| {
        let [x1, x2, p, mode] = args.bind(&["x1", "x2", "p=", "compute_mode="])?;
        let (x1, x2) = (tensor_param(x1.as_ref(), "cdist", "x1")?, tensor_param(x2.as_ref(), "cdist", "x2")?);
        let p = f64_arg(p.as_ref(), 2.0, "p")?;
        // torch/functional.py's names for ATen's modes 0, 1 and 2.
        let mode = match &mode {
            None | Some(Value::None) => 0,
            Some(Value::Str(s)) if &**s == "use_mm_for_euclid_dist_if_necessary" => 0,
            Some(Value::Str(s)) if &**s == "use_mm_for_euclid_dist" => 1,
            Some(Value::Str(s)) if &**s == "donot_use_mm_for_euclid_dist" => 2,
            Some(Value::Str(s)) => return Err(Exception::value_error(format!("{s} is not a valid value for compute_mode"))),
            Some(v) => return Err(Exception::value_error(format!("{} is not a valid value for compute_mode", v.repr()))),
        };
        for (name, t) in [("X1", &x1), ("X2", &x2)] {
            if t.dim() < 2 {
                return Err(Exception::runtime_error(format!("cdist only supports at least 2D tensors, {name} got: {}D", t.dim())));
            }
        }
        let (c1, c2) = (x1.shape()[x1.dim() - 1], x2.shape()[x2.dim() - 1]);
        if c1 != c2 {
            return Err(Exception::runtime_error(format!("X1 and X2 must have the same number of columns. X1: {c1} X2: {c2}")));
        }
        let (r1, r2) = (x1.shape()[x1.dim() - 2], x2.shape()[x2.dim() - 2]);
        if p == 2.0 && x1.numel() > 0 && x2.numel() > 0 && (mode == 1 || (mode == 0 && (r1 > 25 || r2 > 25))) {
            return cdist_mm(&x1, &x2).map(tv);
        }
        // |x1[..., i, None, :] - x2[..., None, j, :]| reduced over the features.
        let diff = x1.unsqueeze(-2).and_then(|a| a.sub(&x2.unsqueeze(-3)?)).map_err(exc)?;
        Ok(tv(vector_norm(&diff, p, Some(&[-1]), false)?))
    }));
    let cumprod = Value::builtin("cumprod", |_, args| {
        let [input, dim, _dtype] = args.bind(&["input", "dim", "*", "dtype="])?;
        let t = tensor_param(input.as_ref().or(args.this.as_ref()), "cumprod", "input")?;
        let d = dim.map_or(Ok(0), |d| d.expect_int("dim"))? as isize;
        Ok(tv(cumprod(&t, d)?))
    });
    m.set("cumprod", cumprod);
    m.set("bincount", Value::builtin("bincount", |_, args| {
        let [input, weights, minlength] = args.bind(&["input", "weights=", "minlength="])?;
        let t = tensor_param(input.as_ref(), "bincount", "input")?;
        let w = weights.as_ref().and_then(as_tensor).cloned();
        bincount(&t, w.as_ref(), minlength.map_or(Ok(0), |v| v.expect_int("minlength"))?).map(tv)
    }));
    m.set("histc", Value::builtin("histc", |_, args| {
        let [input, bins, min, max] = args.bind(&["input", "bins=", "min=", "max="])?;
        let t = tensor_param(input.as_ref(), "histc", "input")?;
        let bins = bins.map_or(Ok(100), |v| v.expect_int("bins"))?;
        histc(&t, bins, f64_arg(min.as_ref(), 0.0, "min")?, f64_arg(max.as_ref(), 0.0, "max")?).map(tv)
    }));
    super::linalg_decomp::install(m, &linalg);
    super::matrix_exp::install(m, &linalg);
    super::linalg_lu::install(m, &linalg);
    super::docstring_gaps::install_linalg(&linalg);
    let linalg = Value::Module(std::rc::Rc::new(linalg));
    m.set("linalg", linalg.clone());
    linalg
}

/// The tensor methods bound here.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let f: fn(&Tensor) -> engine::Result<Tensor> = match name {
        "det" => engine::linalg::det,
        "inverse" => engine::linalg::inv,
        "cumprod" => {
            return Some(Value::method(this.clone(), "cumprod", |_, args| {
                let [dim, _dtype] = args.bind(&["dim", "*", "dtype="])?;
                let t = tensor_param(args.this.as_ref(), "cumprod", "input")?;
                Ok(tv(cumprod(&t, dim.map_or(Ok(0), |d| d.expect_int("dim"))? as isize)?))
            }))
        }
        _ => return super::linalg_decomp::method(this, name).or_else(|| super::tensorfns::method(this, name)),
    };
    Some(Value::method(this.clone(), name, move |_, args| {
        let [] = args.bind(&[])?;
        Ok(tv(f(&tensor_param(args.this.as_ref(), "method", "self")?).map_err(exc)?))
    }))
}

fn unary(name: &'static str, f: fn(&Tensor) -> engine::Result<Tensor>) -> Value {
    Value::builtin(name, move |_, args| {
        let [a, _out] = args.bind(&["A", "*", "out="])?;
        Ok(tv(f(&tensor_param(a.as_ref(), name, "A")?).map_err(exc)?))
    })
}

/// `vector_norm`: `sum(|x|^p)^(1/p)` from differentiable ops (`sqrt` for p = 2, max for inf).
pub(super) fn vector_norm(x: &Tensor, p: f64, dims: Option<&[isize]>, keep: bool) -> R<Tensor> {
    if !x.dtype().is_floating_point() {
        return Err(Exception::runtime_error(format!(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
            match x.dtype() {
                DType::Int64 => "Long",
                DType::Bool => "Bool",
                _ => "Float",
            }
        )));
    }
    // ATen's norm kernel, in src/tensor/norm_reduce.rs.
    x.norm_p(p, dims, keep).map_err(exc)
}

/// `matrix_norm`: Frobenius (the default), the max (min for negative ord) column (ord ±1) / row
/// (ord ±inf) abs sum, or the spectral and nuclear norms of docstring_gaps.rs.
pub(super) fn matrix_norm_pub(a: &Tensor, ord: Option<&Value>, dims: &[isize], keep: bool) -> R<Tensor> {
    matrix_norm(a, ord, dims, keep)
}

fn matrix_norm(a: &Tensor, ord: Option<&Value>, dims: &[isize], keep: bool) -> R<Tensor> {
    if dims.len() != 2 {
        return Err(Exception::runtime_error("linalg.matrix_norm: dim must be a 2-tuple. Got ".to_string() + &format!("{dims:?}")));
    }
    match ord {
        None | Some(Value::None) => vector_norm(a, 2.0, Some(dims), keep),
        Some(Value::Str(s)) if &**s == "fro" => vector_norm(a, 2.0, Some(dims), keep),
        Some(Value::Str(s)) if &**s == "nuc" => super::docstring_gaps::spectral_norm(a, "nuc", dims, keep),
        Some(o) => {
            let p = f64_arg(Some(o), 2.0, "ord")?;
            if p.abs() == 2.0 {
                return super::docstring_gaps::spectral_norm(a, if p > 0.0 { "2" } else { "-2" }, dims, keep);
            }
            // ±1 sums over the rows, ±inf over the columns; the sign picks the max or the min.
            let (sum_dim, max_dim) = if p.abs() == 1.0 { (dims[0], dims[1]) } else if p.is_infinite() { (dims[1], dims[0]) } else {
                return Err(Exception::runtime_error(format!("linalg.matrix_norm: Order {p} not supported.")));
            };
            let nd = a.dim() as isize;
            let (sd, md) = ((sum_dim + nd) % nd.max(1), (max_dim + nd) % nd.max(1));
            let s = a.abs().and_then(|x| x.sum(Some(&[sd]), true)).map_err(exc)?;
            let (v, _) = if p > 0.0 { s.max_dim(md, true) } else { s.min_dim(md, true) }.map_err(exc)?;
            if keep { Ok(v) } else { v.squeeze(Some(sd.max(md))).and_then(|v| v.squeeze(Some(sd.min(md)))).map_err(exc) }
        }
    }
}

/// `torch.meshgrid(*tensors, indexing='ij')`: each 1-d input viewed and expanded to the grid.
fn meshgrid(interp: &mut Interpreter, args: Args) -> R<Value> {
    let items: Vec<Value> = match args.pos.as_slice() {
        [one @ (Value::List(_) | Value::Tuple(_))] => interp.iterate(one)?,
        rest => rest.to_vec(),
    };
    let xy = match kw(&args, "indexing") {
        None | Some(Value::None) => false,
        Some(Value::Str(s)) if &**s == "ij" => false,
        Some(Value::Str(s)) if &**s == "xy" => true,
        Some(v) => return Err(Exception::runtime_error(format!("torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {}", v.type_name()))),
    };
    let mut ts = items
        .iter()
        .map(|v| as_tensor(v).cloned().ok_or_else(|| Exception::type_error("meshgrid(): expected a tensor sequence")))
        .collect::<R<Vec<_>>>()?;
    for t in &ts {
        if t.dim() > 1 {
            return Err(Exception::runtime_error(format!("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t:?}")));
        }
    }
    // 'xy' is 'ij' over the first two inputs swapped, with the first two grids swapped back.
    let swap = xy && ts.len() >= 2;
    if swap {
        ts.swap(0, 1);
    }
    let shape: Vec<usize> = ts.iter().map(|t| t.numel()).collect();
    let mut grids = Vec::with_capacity(ts.len());
    for (i, t) in ts.iter().enumerate() {
        let mut view = vec![1isize; ts.len()];
        view[i] = -1;
        grids.push(t.reshape(&view).and_then(|v| v.expand(&shape)).map_err(exc)?);
    }
    if swap {
        grids.swap(0, 1);
    }
    Ok(Value::tuple(grids.into_iter().map(tv).collect()))
}

/// `torch.unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None)`.
fn unique(_: &mut Interpreter, args: Args) -> R<Value> {
    let [input, _sorted, inverse, counts, dim] = args.bind(&["input", "sorted=", "return_inverse=", "return_counts=", "dim="])?;
    let t = tensor_param(input.as_ref(), "unique", "input")?;
    if let Some(d) = dim.filter(|d| !matches!(d, Value::None)) {
        let d = engine::norm_dim_public(d.expect_int("dim")? as isize, t.dim().max(1)).map_err(exc)?;
        return slices_unique(&t, d, true, bool_arg(inverse.as_ref(), false), bool_arg(counts.as_ref(), false));
    }
    let v = t.contiguous().to_f64_vec();
    let mut vals = v.clone();
    vals.sort_by(f64::total_cmp);
    vals.dedup_by(|a, b| a == b);
    let index = |x: f64| vals.partition_point(|&u| u.total_cmp(&x).is_lt()) as i64;
    let make = |d: Vec<f64>, dtype: DType, shape: &[usize]| Tensor::from_data(Data::F64(d), shape).and_then(|t| t.to_dtype(dtype)).map_err(exc);
    let mut out = vec![tv(make(vals.clone(), t.dtype(), &[vals.len()])?)];
    if bool_arg(inverse.as_ref(), false) {
        let inv: Vec<i64> = v.iter().map(|&x| index(x)).collect();
        out.push(tv(Tensor::from_data(Data::I64(inv), &t.shape()).map_err(exc)?));
    }
    if bool_arg(counts.as_ref(), false) {
        let mut c = vec![0i64; vals.len()];
        for &x in &v {
            c[index(x) as usize] += 1;
        }
        out.push(tv(Tensor::from_data(Data::I64(c), &[vals.len()]).map_err(exc)?));
    }
    Ok(if out.len() == 1 { out.pop().unwrap_or(Value::None) } else { Value::tuple(out) })
}

/// `torch.unique_consecutive(input, return_inverse=False, return_counts=False, dim=None)`:
/// runs of equal elements (of the flattened input, or of slices along `dim`) collapsed.
fn unique_consecutive(_: &mut Interpreter, args: Args) -> R<Value> {
    let [input, inverse, counts, dim] = args.bind(&["input", "return_inverse=", "return_counts=", "dim="])?;
    let t = tensor_param(input.as_ref(), "unique_consecutive", "input")?;
    let (inverse, counts) = (bool_arg(inverse.as_ref(), false), bool_arg(counts.as_ref(), false));
    match dim.filter(|d| !matches!(d, Value::None)) {
        Some(d) => {
            let d = engine::norm_dim_public(d.expect_int("dim")? as isize, t.dim().max(1)).map_err(exc)?;
            slices_unique(&t, d, false, inverse, counts)
        }
        None => {
            let flat = t.contiguous().reshape(&[-1, 1]).map_err(exc)?;
            let r = slices_unique(&flat, 0, false, inverse, counts)?;
            // The values come back 1-D; the inverse in the input's shape.
            let shape: Vec<isize> = t.shape().iter().map(|&d| d as isize).collect();
            let fix = |v: &Value, i: usize| -> R<Value> {
                let x = as_tensor(v).cloned().ok_or_else(|| Exception::runtime_error("internal: unique result"))?;
                Ok(tv(match i {
                    0 => x.reshape(&[-1]).map_err(exc)?,
                    1 if inverse => x.reshape(&shape).map_err(exc)?,
                    _ => x,
                }))
            };
            match &r {
                Value::Tuple(items) => Ok(Value::tuple(items.iter().enumerate().map(|(i, v)| fix(v, i)).collect::<R<_>>()?)),
                v => fix(v, 0),
            }
        }
    }
}

/// The distinct slices of `t` along `d` (sorted lexicographically when `sorted`, else runs of
/// equal neighbours collapsed, `unique_consecutive`), with each slice's group index and each
/// group's size when asked for.
fn slices_unique(t: &Tensor, d: usize, sorted: bool, inverse: bool, counts: bool) -> R<Value> {
    let t = if t.dim() == 0 { t.reshape(&[1]).map_err(exc)? } else { t.clone() };
    let n = t.shape()[d];
    let order: Vec<isize> = std::iter::once(d).chain((0..t.dim()).filter(|&k| k != d)).map(|k| k as isize).collect();
    let moved = t.permute(&order).map_err(exc)?.contiguous();
    let width = moved.numel().checked_div(n).unwrap_or(0);
    let v = moved.to_f64_vec();
    let row = |i: usize| &v[i * width..(i + 1) * width];
    // As PyTorch compares: `0.0` and `-0.0` are one value, NaN sorts after every number and
    // equals nothing (each NaN slice is a group of its own; a stable sort keeps the first of
    // equal slices first).
    let cmp = |a: usize, b: usize| {
        row(a)
            .iter()
            .zip(row(b))
            .map(|(x, y)| x.partial_cmp(y).unwrap_or_else(|| x.is_nan().cmp(&y.is_nan())))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let same = |a: usize, b: usize| row(a).iter().zip(row(b)).all(|(x, y)| x == y);
    let mut order: Vec<usize> = (0..n).collect();
    if sorted {
        order.sort_by(|&a, &b| cmp(a, b));
    }
    let mut keep: Vec<usize> = Vec::new();
    let mut group = vec![0i64; n];
    let mut sizes: Vec<i64> = Vec::new();
    for &i in &order {
        if keep.last().is_none_or(|&k| !same(k, i)) {
            keep.push(i);
            sizes.push(0);
        }
        group[i] = keep.len() as i64 - 1;
        if let Some(c) = sizes.last_mut() {
            *c += 1;
        }
    }
    let idx: Vec<i64> = keep.iter().map(|&i| i as i64).collect();
    let values = t.index_select(d as isize, &idx).map_err(exc)?;
    let mut out = vec![tv(values)];
    if inverse {
        out.push(tv(Tensor::from_data(Data::I64(group), &[n]).map_err(exc)?));
    }
    if counts {
        out.push(tv(Tensor::from_data(Data::I64(sizes.clone()), &[sizes.len()]).map_err(exc)?));
    }
    Ok(if out.len() == 1 { out.pop().unwrap_or(Value::None) } else { Value::tuple(out) })
}

/// `cumprod` along `dim`, multiplied in the dtype in index order (no autograd).
fn cumprod(t: &Tensor, dim: isize) -> R<Tensor> {
    let shape = t.shape();
    if shape.is_empty() {
        return Ok(t.detach());
    }
    let d = engine::norm_dim_public(dim, shape.len()).map_err(exc)?;
    let mut v = t.contiguous().to_f64_vec();
    let inner: usize = shape[d + 1..].iter().product();
    let len = shape[d];
    let outer: usize = shape[..d].iter().product();
    let f32_round = t.dtype() == DType::Float32;
    for o in 0..outer {
        for i in 0..inner {
            for k in 1..len {
                let (prev, cur) = ((o * len + k - 1) * inner + i, (o * len + k) * inner + i);
                let p = v[prev] * v[cur];
                v[cur] = if f32_round { f64::from(p as f32) } else { p };
            }
        }
    }
    let dtype = if t.dtype() == DType::Bool { DType::Int64 } else { t.dtype() };
    if t.requires_grad() && engine::is_grad_enabled() {
        return Err(Exception::unsupported("cumprod() of a tensor that requires grad"));
    }
    Tensor::from_data(Data::F64(v), &shape).and_then(|r| r.to_dtype(dtype)).map_err(exc)
}

/// `torch.bincount(input, weights=None, minlength=0)`.
fn bincount(t: &Tensor, w: Option<&Tensor>, minlength: i64) -> R<Tensor> {
    if t.dim() != 1 || t.dtype() != DType::Int64 {
        return Err(Exception::runtime_error("bincount only supports 1-d non-negative integral inputs."));
    }
    let v = t.to_f64_vec();
    if v.iter().any(|&x| x < 0.0) {
        return Err(Exception::runtime_error("bincount only supports 1-d non-negative integral inputs."));
    }
    let n = (v.iter().fold(-1.0f64, |m, &x| m.max(x)) + 1.0).max(minlength as f64) as usize;
    engine::check_size(&[n]).map_err(exc)?;
    match w {
        None => {
            let mut c = vec![0i64; n];
            for &x in &v {
                c[x as usize] += 1;
            }
            Tensor::from_data(Data::I64(c), &[n]).map_err(exc)
        }
        Some(w) => {
            let wv = w.to_f64_vec();
            if wv.len() != v.len() {
                return Err(Exception::runtime_error("weights should be 1-d and have the same length as input"));
            }
            let mut c = vec![0.0f64; n];
            for (&x, &wt) in v.iter().zip(&wv) {
                c[x as usize] += wt;
            }
            // Sums in double, returned in the weights' float dtype.
            let dtype = if w.dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 };
            Tensor::from_data(Data::F64(c), &[n]).and_then(|r| r.to_dtype(dtype)).map_err(exc)
        }
    }
}

/// `torch.histc(input, bins, min, max)`: equal-width bins, min == max meaning the data's range.
fn histc(t: &Tensor, bins: i64, min: f64, max: f64) -> R<Tensor> {
    if bins <= 0 {
        return Err(Exception::runtime_error("torch.histogramdd(): bins must be > 0, but got 0 for dimension 0"));
    }
    if !t.dtype().is_floating_point() {
        return Err(Exception::runtime_error("\"histogram_cpu\" not implemented for 'Long'"));
    }
    let v = t.to_f64_vec();
    let (mut lo, mut hi) = (min, max);
    if lo == hi && !v.is_empty() {
        lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    }
    if lo == hi {
        lo -= 1.0;
        hi += 1.0;
    }
    let b = bins as usize;
    let mut h = vec![0.0f64; b];
    for &x in &v {
        if x < lo || x > hi || x.is_nan() {
            continue;
        }
        let k = (((x - lo) / (hi - lo)) * b as f64) as usize;
        h[k.min(b - 1)] += 1.0;
    }
    Tensor::from_data(Data::F64(h), &[b]).and_then(|r| r.to_dtype(t.dtype())).map_err(exc)
}

/// `cdist`'s matrix-product path (ATen's `cdist_impl` for `p = 2`): the batch dimensions
/// broadcast and flattened (none: a batch of one), `_euclidean_dist` on the rows, the result
/// viewed back (ViewBackward0).
fn cdist_mm(x1: &Tensor, x2: &Tensor) -> R<Tensor> {
    let (s1, s2) = (x1.shape(), x2.shape());
    let (b1, b2) = (&s1[..s1.len() - 2], &s2[..s2.len() - 2]);
    let (r1, r2, c) = (s1[s1.len() - 2], s2[s2.len() - 2], s1[s1.len() - 1]);
    let nd = b1.len().max(b2.len());
    let dim = |b: &[usize], i: usize| if i + b.len() >= nd { b[i + b.len() - nd] } else { 1 };
    let mut batch = Vec::with_capacity(nd);
    for i in 0..nd {
        let (a, b) = (dim(b1, i), dim(b2, i));
        if a != b && a != 1 && b != 1 {
            return Err(Exception::runtime_error(format!(
                "The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension {i}"
            )));
        }
        batch.push(if a == 1 { b } else { a });
    }
    let n: usize = batch.iter().product();
    let grow = |t: &Tensor, r: usize| -> engine::Result<Tensor> {
        let mut full = batch.clone();
        full.extend([r, c]);
        t.expand(&full)?.reshape(&[n as isize, r as isize, c as isize])
    };
    let out = engine::euclidean_dist::euclidean_dist(&grow(x1, r1).map_err(exc)?, &grow(x2, r2).map_err(exc)?).map_err(exc)?;
    let mut shape: Vec<isize> = batch.iter().map(|&d| d as isize).collect();
    shape.extend([r1 as isize, r2 as isize]);
    out.reshape(&shape).map_err(exc)
}
