//! Order statistics behind `torch`'s tensor functions: `cummax`/`cummin` (running extremes and
//! where they were reached), `bucketize`/`searchsorted`, and `quantile`/`nanquantile` with
//! NumPy's interpolation modes in PyTorch's float32 or float64 arithmetic.

use super::R;
use super::convert::{as_scalar, as_tensor, bool_arg, exc, tensor_param, tv};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{self as engine, DType, Data, Scalar, Tensor};

/// `cummax`/`cummin` along `dim`: running extreme and the index where it was last reached
/// (ties move the index forward; a NaN sticks), as PyTorch's `cummax_cummin_helper`.
pub(super) fn cum_extreme(t: &Tensor, dim: isize, max: bool) -> R<(Tensor, Tensor)> {
    if t.dim() == 0 {
        return Ok((t.clone(), Tensor::scalar(Scalar::Int(0), DType::Int64)));
    }
    let d = engine::norm_dim_public(dim, t.dim()).map_err(exc)?;
    let last = t.dim() as isize - 1;
    let moved = t.transpose(d as isize, last).map_err(exc)?.contiguous();
    let shape = moved.shape();
    let n = shape[t.dim() - 1].max(1);
    let vals = moved.to_f64_vec();
    let mut out = vals.clone();
    let mut idx = vec![0i64; vals.len()];
    for (row, (o, ix)) in out.chunks_mut(n).zip(idx.chunks_mut(n)).enumerate() {
        let src = &vals[row * n..(row + 1) * n];
        let (mut best, mut bi) = (src[0], 0i64);
        for (i, &x) in src.iter().enumerate() {
            let better = if max { x >= best } else { x <= best };
            if !best.is_nan() && (x.is_nan() || better) {
                best = x;
                bi = i as i64;
            }
            o[i] = best;
            ix[i] = bi;
        }
    }
    let v = Tensor::from_data(Data::F64(out), &shape)
        .and_then(|v| v.to_dtype(t.dtype()))
        .map_err(exc)?;
    let i = Tensor::from_data(Data::I64(idx), &shape).map_err(exc)?;
    let back = |x: Tensor| {
        x.transpose(d as isize, last)
            .map(|x| x.contiguous())
            .map_err(exc)
    };
    Ok((back(v)?, back(i)?))
}

/// `bucketize`/`searchsorted` against a 1-d sorted `seq`: how many of its elements are below each
/// value (at or below, with `right`).
pub(super) fn search(seq: &Tensor, v: &Tensor, right: bool, int32: bool) -> R<Tensor> {
    let s = seq.contiguous().to_f64_vec();
    let vals = v.contiguous().to_f64_vec();
    let out: Vec<i64> = vals
        .iter()
        .map(|&x| if right { s.partition_point(|&b| b <= x) } else { s.partition_point(|&b| b < x) } as i64)
        .collect();
    let t = Tensor::from_data(Data::I64(out), &v.shape()).map_err(exc)?;
    if int32 {
        t.to_dtype(DType::Int32).map_err(exc)
    } else {
        Ok(t)
    }
}

pub(super) fn quantile_fn(name: &'static str) -> Value {
    Value::builtin(name, move |interp, args| {
        let [input, q, dim, keepdim, interpolation, _out] = args.bind(&[
            "input",
            "q",
            "dim=",
            "keepdim=",
            "*",
            "interpolation=",
            "out=",
        ])?;
        let t = tensor_param(input.as_ref(), name, "input")?;
        quantile_impl(interp, &t, q, dim, keepdim, interpolation, name == "nanquantile")
    })
}

/// `torch.quantile` (linear interpolation and the other four), after PyTorch's `quantile_impl`:
/// ranks `q * (n - 1)` in the input's dtype, the neighbours from a sort, and `lerp` between them;
/// a row with a NaN gives NaN.
pub(super) fn quantile(
    interpreter: &mut Interpreter,
    t: &Tensor,
    q: Option<Value>,
    dim: Option<Value>,
    keepdim: Option<Value>,
    interp: Option<Value>,
) -> R<Value> {
    quantile_impl(interpreter, t, q, dim, keepdim, interp, false)
}

/// `torch.nanquantile`: [`quantile`] over each row's values that are not NaN (NaN where all are).
pub(super) fn nanquantile(
    interpreter: &mut Interpreter,
    t: &Tensor,
    q: Option<Value>,
    dim: Option<Value>,
    keepdim: Option<Value>,
    interp: Option<Value>,
) -> R<Value> {
    quantile_impl(interpreter, t, q, dim, keepdim, interp, true)
}

fn quantile_impl(
    _: &mut Interpreter,
    t: &Tensor,
    q: Option<Value>,
    dim: Option<Value>,
    keepdim: Option<Value>,
    interp: Option<Value>,
    ignore_nan: bool,
) -> R<Value> {
    if !t.dtype().is_floating_point() {
        return Err(Exception::runtime_error(
            "quantile() input tensor must be either float or double dtype",
        ));
    }
    let q = q.unwrap_or(Value::None);
    let (qs, q_shape): (Vec<f64>, Option<Vec<usize>>) = match (as_tensor(&q), as_scalar(&q)) {
        (Some(qt), _) => {
            if qt.dim() > 1 {
                return Err(Exception::runtime_error(
                    "quantile() q must be a scalar or 1D tensor",
                ));
            }
            (
                qt.to_f64_vec(),
                if qt.dim() == 0 {
                    None
                } else {
                    Some(qt.shape())
                },
            )
        }
        (None, Some(s)) => (vec![s.as_f64()], None),
        _ => {
            return Err(Exception::type_error(
                "quantile(): argument 'q' must be Tensor or float",
            ));
        }
    };
    if let Some(&bad) = qs.iter().find(|&&x| !(0.0..=1.0).contains(&x)) {
        return Err(Exception::runtime_error(
            if q_shape.is_some() || as_tensor(&q).is_some() {
                "quantile() q values must be in the range [0, 1]".to_string()
            } else {
                format!(
                    "quantile() q must be in the range [0, 1] but got {}",
                    crate::lang::format::float_repr(bad)
                )
            },
        ));
    }
    let mode = match interp.filter(|v| !matches!(v, Value::None)) {
        None => "linear".to_string(),
        Some(v) => v.to_str(),
    };
    if !["linear", "lower", "higher", "midpoint", "nearest"].contains(&mode.as_str()) {
        return Err(Exception::runtime_error(format!(
            "quantile() interpolation must be one of linear, lower, higher, midpoint or nearest. Got {mode}"
        )));
    }
    let keep = bool_arg(keepdim.as_ref(), false);
    let dim = dim
        .filter(|d| !matches!(d, Value::None))
        .map(|d| d.expect_int("dim"))
        .transpose()?;
    // Rows along the reduced dim, as the last axis.
    let (rows_t, out_shape) = match dim {
        None => {
            let shape = if keep { vec![1; t.dim()] } else { vec![] };
            (t.reshape(&[1, -1]).map_err(exc)?, shape)
        }
        Some(d) => {
            let dd = engine::norm_dim_public(d as isize, t.dim().max(1)).map_err(exc)?;
            let t1 = if t.dim() == 0 {
                t.reshape(&[1]).map_err(exc)?
            } else {
                t.clone()
            };
            let mut shape = t1.shape();
            if keep {
                shape[dd] = 1;
            } else {
                shape.remove(dd);
            }
            let last = t1.dim() as isize - 1;
            let m = t1.transpose(dd as isize, last).map_err(exc)?.contiguous();
            let n = t1.shape()[dd];
            (m.reshape(&[-1, n as isize]).map_err(exc)?, shape)
        }
    };
    let n = rows_t.shape()[1];
    if n == 0 {
        return Err(Exception::runtime_error(
            "quantile() input tensor must be non-empty",
        ));
    }
    let f32 = t.dtype() == DType::Float32;
    let sorted = rows_t.to_f64_vec();
    let rows = sorted.len() / n;
    let mut out = vec![0.0f64; qs.len() * rows];
    for r in 0..rows {
        let mut row = sorted[r * n..(r + 1) * n].to_vec();
        row.sort_by(|a, b| match (a.is_nan(), b.is_nan()) {
            (false, false) => a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal),
            (x, y) => x.cmp(&y),
        });
        let valid = row.iter().filter(|x| !x.is_nan()).count();
        // The sort puts NaNs last; nanquantile ranks the others only.
        let usable = if ignore_nan { valid > 0 } else { valid == n };
        for (k, &q) in qs.iter().enumerate() {
            out[k * rows + r] = if usable {
                quantile_row(&row[..valid], q, &mode, f32)
            } else {
                f64::NAN
            };
        }
    }
    let mut shape = q_shape.clone().unwrap_or_default();
    shape.extend(&out_shape);
    let res = Tensor::from_data(Data::F64(out), &shape)
        .and_then(|x| x.to_dtype(t.dtype()))
        .map_err(exc)?;
    Ok(tv(res))
}

/// One quantile of a sorted row without NaNs, with the arithmetic in float32 for float32 input.
fn quantile_row(row: &[f64], q: f64, mode: &str, f32: bool) -> f64 {
    let last = (row.len() - 1) as f64;
    let rank = if f32 {
        (q as f32 * last as f32) as f64
    } else {
        q * last
    };
    let below = rank.floor();
    let pick = |i: f64| row[(i as usize).min(row.len() - 1)];
    match mode {
        "lower" => pick(below),
        "higher" => pick(rank.ceil()),
        "nearest" => pick(round_half_even(rank)),
        "midpoint" => {
            let (a, b) = (pick(below), pick(rank.ceil()));
            if f32 {
                lerp_f32(a as f32, b as f32, 0.5) as f64
            } else {
                lerp_f64(a, b, 0.5)
            }
        }
        _ => {
            let (a, b) = (pick(below), pick(rank.ceil()));
            let w = rank - below;
            if f32 {
                lerp_f32(a as f32, b as f32, w as f32) as f64
            } else {
                lerp_f64(a, b, w)
            }
        }
    }
}

fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - x.signum()
    } else {
        r
    }
}

/// ATen's `lerp`: from the nearer end, so that weight 1 gives `end` exactly.
fn lerp_f32(a: f32, b: f32, w: f32) -> f32 {
    let d = b - a;
    if w.abs() < 0.5 {
        a + w * d
    } else {
        b - d * (1.0 - w)
    }
}

fn lerp_f64(a: f64, b: f64, w: f64) -> f64 {
    let d = b - a;
    if w.abs() < 0.5 {
        a + w * d
    } else {
        b - d * (1.0 - w)
    }
}
