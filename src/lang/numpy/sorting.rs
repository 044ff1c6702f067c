//! NumPy's order statistics and counting: `sort`/`argsort`, `unique` (with `return_index`,
//! `return_inverse`, `return_counts`), `searchsorted`, `bincount`, `median`,
//! `percentile`/`quantile` (the default linear method and NumPy's two-sided lerp) and
//! `histogram` (NumPy's uniform-bin fast path, values on an edge going right).

use std::cmp::Ordering;

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Tensor};

use super::array::{Elems, R, array, build, elems, exc, result};
use super::funcs::{arg, need};
use super::methods::{array_arg, int_of};
use super::shaping::norm_axis;

/// NumPy's sort order: NaN after everything.
fn cmp_f(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// `t` with `axis` moved last and made contiguous, the lane length, and the permutation that
/// undoes the move. None as axis flattens.
fn lanes(t: &Tensor, axis: Option<i64>) -> R<(Tensor, usize, Vec<isize>)> {
    let Some(a) = axis else {
        let f = t.reshape(&[-1]).map_err(exc)?;
        let n = f.numel();
        return Ok((f, n, vec![0]));
    };
    if t.dim() == 0 {
        let f = t.reshape(&[1]).map_err(exc)?;
        return Ok((f, 1, vec![0]));
    }
    let nd = t.dim();
    let ax = norm_axis(a, nd)?;
    let mut perm: Vec<isize> = (0..nd as isize).filter(|&d| d != ax as isize).collect();
    perm.push(ax as isize);
    let moved = t.permute(&perm).map_err(exc)?.contiguous();
    let mut back = vec![0isize; nd];
    for (i, &p) in perm.iter().enumerate() {
        back[p as usize] = i as isize;
    }
    Ok((moved, t.shape()[ax], back))
}

fn axis_of(args: &Args, i: usize) -> R<Option<i64>> {
    match arg(args, i, "axis") {
        Some(Value::None) => Ok(None),
        None => Ok(Some(-1)),
        Some(v) => int_of(&v).map(Some),
    }
}

/// Stable argsort of every lane (NumPy's default sort is not stable for long lanes; equal
/// elements keep their order here).
fn lane_order(vals: &[f64], n: usize) -> Vec<i64> {
    let mut out = Vec::with_capacity(vals.len());
    for lane in vals.chunks(n.max(1)) {
        let mut idx: Vec<usize> = (0..lane.len()).collect();
        idx.sort_by(|&i, &j| cmp_f(lane[i], lane[j]));
        out.extend(idx.into_iter().map(|i| i as i64));
    }
    out
}

fn sorted(t: &Tensor, axis: Option<i64>, arg_only: bool) -> R<Tensor> {
    let (m, n, back) = lanes(t, axis)?;
    let e = elems(&m);
    let order = lane_order(&e.f64s(), n);
    let out = if arg_only {
        build(Elems::Int(order), &m.shape(), DType::Int64)?
    } else {
        let picks: Vec<usize> = order
            .iter()
            .enumerate()
            .map(|(k, &i)| k / n.max(1) * n + i as usize)
            .collect();
        build(e.pick(&picks), &m.shape(), m.dtype())?
    };
    if axis.is_none() || t.dim() == 0 {
        return Ok(out);
    }
    Ok(out.permute(&back).map_err(exc)?.contiguous())
}

fn unique(it: &mut Interpreter, args: &Args) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "ar")?)?;
    if arg(args, 4, "axis").is_some_and(|v| !v.is_none()) {
        return Err(Exception::unsupported("np.unique with axis"));
    }
    let flag = |i, name| arg(args, i, name).is_some_and(|v| matches!(v, Value::Bool(true)));
    let (want_index, want_inverse, want_counts) = (
        flag(1, "return_index"),
        flag(2, "return_inverse"),
        flag(3, "return_counts"),
    );
    let e = elems(&t.reshape(&[-1]).map_err(exc)?);
    let vals = e.f64s();
    let order = lane_order(&vals, vals.len());
    let (mut firsts, mut counts) = (Vec::new(), Vec::new());
    let mut inverse = vec![0i64; vals.len()];
    for (k, &i) in order.iter().enumerate() {
        let x = vals[i as usize];
        let same = k > 0 && {
            let p = vals[order[k - 1] as usize];
            p == x || (p.is_nan() && x.is_nan())
        };
        if !same {
            firsts.push(i as usize);
            counts.push(0i64);
        }
        *counts.last_mut().unwrap_or(&mut 0) += 1;
        inverse[i as usize] = firsts.len() as i64 - 1;
    }
    let u = firsts.len();
    let uniq = array(build(e.pick(&firsts), &[u], t.dtype())?);
    if !(want_index || want_inverse || want_counts) {
        return Ok(uniq);
    }
    let ints = |v: Vec<i64>, shape: &[usize]| -> R<Value> {
        Ok(array(build(Elems::Int(v), shape, DType::Int64)?))
    };
    let mut out = vec![uniq];
    if want_index {
        out.push(ints(firsts.iter().map(|&i| i as i64).collect(), &[u])?);
    }
    if want_inverse {
        out.push(ints(inverse, &t.shape())?);
    }
    if want_counts {
        out.push(ints(counts, &[u])?);
    }
    Ok(Value::tuple(out))
}

fn searchsorted(it: &mut Interpreter, args: &Args) -> R<Value> {
    let a = elems(&array_arg(it, &need(args, 0, "a")?)?).f64s();
    let v = array_arg(it, &need(args, 1, "v")?)?;
    let right = match &arg(args, 2, "side") {
        None | Some(Value::None) => false,
        Some(Value::Str(s)) if &**s == "left" => false,
        Some(Value::Str(s)) if &**s == "right" => true,
        Some(other) => {
            return Err(Exception::value_error(format!(
                "side must be 'left' or 'right' (got {})",
                match &other {
                    Value::Str(s) => format!("'{s}'"),
                    o => o.type_name().to_string(),
                }
            )));
        }
    };
    let pos: Vec<i64> = elems(&v)
        .f64s()
        .iter()
        .map(|&x| {
            a.partition_point(|&y| {
                if right {
                    cmp_f(y, x) != Ordering::Greater
                } else {
                    cmp_f(y, x) == Ordering::Less
                }
            }) as i64
        })
        .collect();
    Ok(result(build(Elems::Int(pos), &v.shape(), DType::Int64)?))
}

fn bincount(it: &mut Interpreter, args: &Args) -> R<Value> {
    let x = array_arg(it, &need(args, 0, "x")?)?;
    if x.dim() != 1 && x.numel() != 0 {
        return Err(Exception::value_error("object too deep for desired array"));
    }
    if x.dtype().is_floating_point() {
        return Err(Exception::type_error(
            "Cannot cast array data from dtype('float64') to dtype('int64') according to the rule 'safe'",
        ));
    }
    let xs = elems(&x).i64s();
    if xs.iter().any(|&i| i < 0) {
        return Err(Exception::value_error(
            "'list' argument must have no negative elements",
        ));
    }
    let minlength = match arg(args, 2, "minlength") {
        None | Some(Value::None) => 0,
        Some(v) => int_of(&v)?,
    };
    if minlength < 0 {
        return Err(Exception::value_error("'minlength' must not be negative"));
    }
    let n = (xs.iter().copied().max().map_or(0, |m| m + 1)).max(minlength) as usize;
    match arg(args, 1, "weights").filter(|v| !v.is_none()) {
        None => {
            let mut c = vec![0i64; n];
            for &i in &xs {
                c[i as usize] += 1;
            }
            Ok(array(build(Elems::Int(c), &[n], DType::Int64)?))
        }
        Some(w) => {
            let w = elems(&array_arg(it, &w)?).f64s();
            if w.len() != xs.len() {
                return Err(Exception::value_error(
                    "The weights and list don't have the same length.",
                ));
            }
            let mut c = vec![0.0; n];
            for (&i, &wi) in xs.iter().zip(&w) {
                c[i as usize] += wi;
            }
            Ok(array(build(Elems::Float(c), &[n], DType::Float64)?))
        }
    }
}

/// NumPy's `_lerp`: `a + (b - a) * t`, from `b` when `t >= 0.5`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let d = b - a;
    if t >= 0.5 {
        b - d * (1.0 - t)
    } else {
        a + d * t
    }
}

/// The linear-method quantile of one sorted lane at `q` in [0, 1].
fn quantile_of(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if sorted.last().is_some_and(|x| x.is_nan()) {
        return f64::NAN;
    }
    let virt = q * (n - 1) as f64;
    let lo = virt.floor().clamp(0.0, (n - 1) as f64);
    let hi = (lo + 1.0).min((n - 1) as f64);
    let g = virt - lo;
    lerp(sorted[lo as usize], sorted[hi as usize], g)
}

/// `quantile(a, q, axis=None)` over sorted lanes; the result is float64 (float32 for float32).
fn quantiles(it: &mut Interpreter, args: &Args, scale: f64, median: bool) -> R<Value> {
    let t = array_arg(it, &need(args, 0, "a")?)?;
    let (qv, qshape) = if median {
        (vec![0.5], Vec::new())
    } else {
        let q = array_arg(it, &need(args, 1, "q")?)?;
        (
            elems(&q).f64s().into_iter().map(|x| x / scale).collect(),
            q.shape(),
        )
    };
    if qv.iter().any(|q| !(0.0..=1.0).contains(q)) {
        return Err(Exception::value_error(if scale == 100.0 {
            "Percentiles must be in the range [0, 100]"
        } else {
            "Quantiles must be in the range [0, 1]"
        }));
    }
    let axis = match arg(args, if median { 1 } else { 2 }, "axis") {
        None | Some(Value::None) => None,
        Some(v) => Some(int_of(&v)?),
    };
    if t.numel() == 0 {
        return Err(Exception::unsupported("quantiles of an empty array"));
    }
    let (m, n, _) = lanes(&t, axis)?;
    let vals = elems(&m).f64s();
    let single = t.dtype() == DType::Float32;
    let lanes_sorted: Vec<Vec<f64>> = vals
        .chunks(n)
        .map(|l| {
            let mut l = l.to_vec();
            l.sort_by(|a, b| cmp_f(*a, *b));
            l
        })
        .collect();
    let mut out = Vec::new();
    for &q in &qv {
        for l in &lanes_sorted {
            let r = if median && n % 2 == 0 && n > 0 {
                // NumPy's median is the mean of the two middle elements.
                (l[n / 2 - 1] + l[n / 2]) / 2.0
            } else {
                quantile_of(l, q)
            };
            out.push(if single { r as f32 as f64 } else { r });
        }
    }
    let mut shape = qshape;
    if axis.is_some() {
        let mut rest = m.shape();
        rest.pop();
        shape.extend(rest);
    }
    let d = if single {
        DType::Float32
    } else {
        DType::Float64
    };
    Ok(result(build(Elems::Float(out), &shape, d)?))
}

/// `np.histogram(a, bins=10, range=None)`: int64 counts and float64 edges.
fn histogram(it: &mut Interpreter, args: &Args) -> R<Value> {
    let a = elems(&array_arg(it, &need(args, 0, "a")?)?).f64s();
    if arg(args, 3, "weights").is_some_and(|v| !v.is_none())
        || arg(args, 4, "density").is_some_and(|v| matches!(v, Value::Bool(true)))
    {
        return Err(Exception::unsupported(
            "np.histogram with weights or density",
        ));
    }
    let bins = arg(args, 1, "bins").unwrap_or(Value::Int(10));
    // Given edges come back as given (an int list stays int64).
    let given = match &bins {
        Value::Int(_) => None,
        v if super::array::as_array(v).is_some_and(|t| t.dim() == 0) => None,
        v => Some(array_arg(it, v)?),
    };
    let edge_dtype = given.as_ref().map_or(DType::Float64, Tensor::dtype);
    let given_edges = given.map(|t| elems(&t).f64s());
    let (counts, edges) = match given_edges {
        Some(edges) => {
            let nb = edges.len().saturating_sub(1);
            let mut c = vec![0i64; nb];
            for &x in &a {
                if nb == 0 || x < edges[0] || x > edges[nb] {
                    continue;
                }
                let k = edges
                    .partition_point(|&e| e <= x)
                    .saturating_sub(1)
                    .min(nb - 1);
                c[k] += 1;
            }
            (c, edges)
        }
        None => {
            let nb = int_of(&bins)?;
            if nb < 1 {
                return Err(Exception::value_error(
                    "`bins` must be positive, when an integer",
                ));
            }
            let nb = nb as usize;
            let (mut lo, mut hi) = match arg(args, 2, "range").filter(|v| !v.is_none()) {
                Some(r) => {
                    let r = it.iterate(&r)?;
                    (r[0].expect_f64("range")?, r[1].expect_f64("range")?)
                }
                None if a.is_empty() => (0.0, 1.0),
                None => (
                    a.iter().copied().fold(f64::INFINITY, f64::min),
                    a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                ),
            };
            if lo > hi {
                return Err(Exception::value_error(
                    "max must be larger than min in range parameter.",
                ));
            }
            if !lo.is_finite() || !hi.is_finite() {
                return Err(Exception::value_error(format!(
                    "autodetected range of [{lo}, {hi}] is not finite"
                )));
            }
            if lo == hi {
                lo -= 0.5;
                hi += 0.5;
            }
            let edges = super::funcs::linspace_values(lo, hi, nb + 1, true);
            let norm = nb as f64 / (hi - lo);
            let mut c = vec![0i64; nb];
            for &x in &a {
                if x < lo || x > hi {
                    continue;
                }
                let mut k = ((x - lo) * norm) as usize;
                if k == nb {
                    k -= 1;
                }
                if x < edges[k] {
                    k -= 1;
                } else if x >= edges[k + 1] && k != nb - 1 {
                    k += 1;
                }
                c[k] += 1;
            }
            (c, edges)
        }
    };
    let (nc, ne) = (counts.len(), edges.len());
    Ok(Value::tuple(vec![
        array(build(Elems::Int(counts), &[nc], DType::Int64)?),
        array(build(Elems::Float(edges), &[ne], edge_dtype)?),
    ]))
}

/// `a.sort(axis=-1)` in place, as the ndarray method does.
pub(super) fn sort_in_place(t: &Tensor, axis: i64) -> R<()> {
    let s = sorted(t, Some(axis), false)?;
    super::ops::store(t, &s, "sort")
}

pub(super) fn argsort(t: &Tensor, axis: Option<i64>) -> R<Tensor> {
    sorted(t, axis, true)
}

/// Registers the functions on the `numpy` module.
pub fn install(m: &Module) {
    let def = |name: &'static str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        m.set(name, Value::builtin(name, f))
    };
    def("sort", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        Ok(array(sorted(&t, axis_of(&args, 1)?, false)?))
    });
    def("argsort", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        Ok(array(sorted(&t, axis_of(&args, 1)?, true)?))
    });
    def("unique", |it, args| unique(it, &args));
    def("searchsorted", |it, args| searchsorted(it, &args));
    def("bincount", |it, args| bincount(it, &args));
    def("median", |it, args| quantiles(it, &args, 1.0, true));
    def("percentile", |it, args| quantiles(it, &args, 100.0, false));
    def("quantile", |it, args| quantiles(it, &args, 1.0, false));
    def("histogram", |it, args| histogram(it, &args));
    def("argwhere", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        let shape = t.shape();
        let nd = shape.len();
        let mut v = Vec::new();
        for (flat, _) in elems(&t).bools().iter().enumerate().filter(|(_, b)| **b) {
            let mut rest = flat;
            let mut at = vec![0i64; nd];
            for d in (0..nd).rev() {
                at[d] = (rest % shape[d]) as i64;
                rest /= shape[d];
            }
            v.extend(at);
        }
        let rows = v.len() / nd.max(1);
        Ok(array(build(Elems::Int(v), &[rows, nd], DType::Int64)?))
    });
    def("nonzero", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        super::funcs::nonzero(&t)
    });
    def("flatnonzero", |it, args| {
        let t = array_arg(it, &need(&args, 0, "a")?)?;
        let v: Vec<i64> = elems(&t)
            .bools()
            .iter()
            .enumerate()
            .filter(|(_, b)| **b)
            .map(|(i, _)| i as i64)
            .collect();
        let n = v.len();
        Ok(array(build(Elems::Int(v), &[n], DType::Int64)?))
    });
    def("array_equal", |it, args| {
        let a = array_arg(it, &need(&args, 0, "a1")?)?;
        let b = array_arg(it, &need(&args, 1, "a2")?)?;
        if a.shape() != b.shape() {
            return Ok(Value::Bool(false));
        }
        let (x, y) = (elems(&a).f64s(), elems(&b).f64s());
        Ok(Value::Bool(x.iter().zip(&y).all(|(p, q)| p == q)))
    });
}
