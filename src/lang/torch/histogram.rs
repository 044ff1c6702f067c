//! `torch.histogram` and `Tensor.histogram`: counts of a float tensor's elements per bin, with
//! ATen's bin edges (`linspace` in the input's dtype) and its bin search, so that an element on
//! an edge falls in the same bin as in PyTorch.

use super::convert::{PyReturnType, as_tensor, bool_arg, exc, tv};
use super::R;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{self as engine, DType, Data, Scalar, Tensor};
use num_traits::Float;

/// Adds `torch.histogram`.
pub fn install(m: &Module) {
    m.set("histogram", Value::builtin("histogram", |interp, args| {
        let [input, bins, range, weight, density] = args.bind(&["input", "bins=", "*", "range=", "weight=", "density="])?;
        let t = input.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "histogram(): argument 'input' (position 1) must be Tensor, not {}",
                input.as_ref().map_or("NoneType".to_string(), crate::lang::Value::type_name)
            ))
        })?;
        histogram(interp, &t, bins, range, weight, density)
    }));
}

/// `t.histogram(...)`.
pub fn method(this: &Value) -> Value {
    Value::method(this.clone(), "histogram", |interp, args| {
        let [bins, range, weight, density] = args.bind(&["bins=", "*", "range=", "weight=", "density="])?;
        let t = args.this.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("descriptor needs a Tensor"))?;
        histogram(interp, &t, bins, range, weight, density)
    })
}

/// The name c10 gives a dtype in histogramdd's messages.
fn c10_name(d: DType) -> String {
    match d {
        DType::Float32 => "float".into(),
        DType::Float64 => "double".into(),
        DType::Int64 => "long int".into(),
        d => format!("{d:?}").to_lowercase(),
    }
}

/// A double as C++'s `operator<<` prints it in ATen's messages (`3`, `0.5`).
fn cpp_double(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e6 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn histogram(
    interp: &mut crate::lang::Interpreter,
    t: &Tensor,
    bins: Option<Value>,
    range: Option<Value>,
    weight: Option<Value>,
    density: Option<Value>,
) -> R<Value> {
    let dtype = t.dtype();
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return Err(Exception::new("NotImplementedError", format!("\"histogramdd\" not implemented for '{}'", super::api::dtype_label(dtype))));
    }
    let weight = match weight {
        None | Some(Value::None) => None,
        Some(w) => {
            let w = as_tensor(&w).cloned().ok_or_else(|| {
                Exception::type_error(format!("histogram(): argument 'weight' must be Tensor, not {}", w.type_name()))
            })?;
            if w.shape() != t.shape() {
                return Err(Exception::runtime_error(format!(
                    "torch.histogramdd: if weight tensor is provided it should have the same shape as the input tensor excluding its innermost dimension, but got input with shape [{}, 1] and weight with shape {:?}",
                    t.numel(),
                    w.shape()
                )));
            }
            if w.dtype() != dtype {
                return Err(Exception::runtime_error(format!(
                    "torch.histogramdd: if weight tensor is provided, it should have the same dtype as the input tensor, but got input with dtype {} and weight with dtype {}",
                    c10_name(dtype),
                    c10_name(w.dtype())
                )));
            }
            Some(w)
        }
    };
    let (edges, search) = match bins.unwrap_or(Value::Int(100)) {
        Value::Int(n) => (int_bins(interp, t, n, range)?, Search::Interpolate),
        b => match as_tensor(&b) {
            Some(e) => {
                if e.dim() != 1 {
                    return Err(Exception::runtime_error(format!(
                        "torch.histogramdd: bins tensor should have one dimension, but got {} dimensions in the bins tensor for dimension 0",
                        e.dim()
                    )));
                }
                if e.dtype() != dtype {
                    return Err(Exception::runtime_error(format!(
                        "torch.histogramdd: input tensor and bins tensors should have the same dtype, but got input with dtype {} and bins for dimension 0 with dtype {}",
                        c10_name(dtype),
                        c10_name(e.dtype())
                    )));
                }
                if e.numel() == 0 {
                    return Err(Exception::runtime_error(
                        "torch.histogramdd: bins tensor should have at least 1 element, but got 0 elements for dimension 0",
                    ));
                }
                (e.detach().contiguous().clone_tensor(), Search::Binary)
            }
            None => {
                return Err(Exception::type_error(format!(
                    "histogram() received an invalid combination of arguments - got (Tensor, {}), but expected one of:\n * (Tensor input, Tensor bins, *, Tensor weight = None, bool density = False, tuple of Tensors out = None)\n * (Tensor input, int bins = 100, *, tuple of floats range = None, Tensor weight = None, bool density = False, tuple of Tensors out = None)",
                    b.type_name()
                )));
            }
        },
    };
    let hist = engine::no_grad(|| -> engine::Result<Tensor> {
        let values = t.detach().contiguous();
        let w = weight.map(|w| w.detach().contiguous());
        let data = match dtype {
            DType::Float64 => Data::F64(count(&values.to_f64_vec(), w.map(|w| w.to_f64_vec()).as_deref(), &edges.to_f64_vec(), search)),
            _ => {
                let f = |x: &Tensor| x.to_f32_vec().unwrap_or_default();
                Data::F32(count(&f(&values), w.map(|w| f(&w)).as_deref(), &f(&edges), search))
            }
        };
        let hist = Tensor::from_data(data, &[edges.numel() - 1])?;
        if !bool_arg(density.as_ref(), false) {
            return Ok(hist);
        }
        // ATen divides by the total, then by each bin's width, in the input's dtype.
        let total = hist.sum(None, false)?;
        let n = edges.numel() as i64;
        let widths = edges.narrow(0, 1, n - 1)?.sub(&edges.narrow(0, 0, n - 1)?)?;
        hist.div(&total)?.div(&widths)
    })
    .map_err(exc)?;
    Ok(Value::native(PyReturnType { name: "histogram", values: tv(hist), indices: tv(edges), fields: ["hist", "bin_edges"] }))
}

/// The edges of `n` equal bins over `range`, or over the input's extent (widened by a half on
/// each side when it is a single value, as NumPy does).
fn int_bins(interp: &mut crate::lang::Interpreter, t: &Tensor, n: i64, range: Option<Value>) -> R<Tensor> {
    if n <= 0 {
        return Err(Exception::runtime_error(format!("torch.histogram(): bins must be > 0, but got {n} for dimension 0")));
    }
    let (mut lo, mut hi) = match range {
        None | Some(Value::None) => {
            let v = t.to_f64_vec();
            if v.is_empty() {
                (0.0, 0.0)
            } else {
                (v.iter().copied().fold(f64::INFINITY, f64::min), v.iter().copied().fold(f64::NEG_INFINITY, f64::max))
            }
        }
        Some(r) => {
            let items = interp.iterate(&r)?;
            let [a, b] = items.as_slice() else {
                return Err(Exception::runtime_error(format!(
                    "torch.histogramdd: for a 1-dimensional histogram, range should have 2 elements, but got {}",
                    items.len()
                )));
            };
            let num = |v: &Value| v.as_f64().ok_or_else(|| Exception::type_error(format!("histogram(): argument 'range' must be tuple of floats, but found element of type {}", v.type_name())));
            let (a, b) = (num(a)?, num(b)?);
            if a > b {
                return Err(Exception::runtime_error(format!(
                    "torch.histogramdd: min should not exceed max, but got min {} max {} for dimension 0",
                    cpp_double(a),
                    cpp_double(b)
                )));
            }
            (a, b)
        }
    };
    if !lo.is_finite() || !hi.is_finite() {
        return Err(Exception::runtime_error(format!(
            "torch.histogramdd: dimension 0's range [{}, {}] is not finite",
            cpp_double(lo),
            cpp_double(hi)
        )));
    }
    if lo == hi {
        lo -= 0.5;
        hi += 0.5;
    }
    let steps = usize::try_from(n).map_err(|_| Exception::runtime_error("bins too large"))? + 1;
    Tensor::linspace(Scalar::Float(lo), Scalar::Float(hi), steps, t.dtype()).map_err(exc)
}

/// How an element's bin is found: edges made by `linspace` allow interpolating its position
/// (then correcting it against the neighbouring edges); edges given by the caller are searched.
#[derive(Clone, Copy)]
enum Search {
    Interpolate,
    Binary,
}

/// Counts (or weights) per bin. An element outside the outer edges is left out; the last bin
/// includes its right edge.
fn count<T: Float>(values: &[T], weights: Option<&[T]>, edges: &[T], search: Search) -> Vec<T> {
    let nb = edges.len();
    let mut hist = vec![T::zero(); nb.saturating_sub(1)];
    if nb < 2 {
        return hist;
    }
    let (left, right) = (edges[0], edges[nb - 1]);
    // `upper_bound`: the first edge in lo..hi greater than x.
    let upper = |lo: usize, hi: usize, x: T| lo + edges[lo..hi].partition_point(|&e| e <= x);
    for (i, &x) in values.iter().enumerate() {
        if !(x >= left && x <= right) {
            continue;
        }
        let mut pos = match search {
            Search::Binary => upper(0, nb, x) as i64 - 1,
            Search::Interpolate => {
                let guess = ((x - left) * T::from(nb - 1).unwrap_or_else(T::one) / (right - left)).to_i64().unwrap_or(0);
                let lo = (guess - 1).max(0) as usize;
                let hi = ((guess + 2) as usize).min(nb);
                upper(lo, hi, x) as i64 - 1
            }
        };
        if pos == nb as i64 - 1 {
            pos -= 1;
        }
        if let Some(slot) = usize::try_from(pos).ok().and_then(|p| hist.get_mut(p)) {
            *slot = *slot + weights.map_or(T::one(), |w| w[i]);
        }
    }
    hist
}
