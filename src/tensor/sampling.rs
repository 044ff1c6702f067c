//! `exponential_` and `multinomial` as PyTorch's CPU kernels draw them (docs/rng-multinomial.md).
//!
//! Both were matched bit for bit against PyTorch 2.15 on an AMD CPU: `exponential_` is the
//! scalar path (one double uniform per element, `-1/lambda * log1p(-u)`), and `multinomial`
//! takes the exponential ("Gumbel") path without replacement or for one sample, and a binary
//! search over the normalised cumulative distribution (one double uniform per sample) otherwise.

use super::storage::Storage;
use super::{DType, Data, Generator, Result, Tensor, TensorError};

/// One exponential draw in double: `(-1 / lambda) * log1p(-u)`, the divide first as in ATen.
fn exponential_f64(g: &mut Generator, lambda: f64) -> f64 {
    let u = g.uniform_f64(0.0, 1.0);
    (-1.0 / lambda) * (-u).ln_1p()
}

/// `t.exponential_(lambd)` in place: one double draw per element, rounded to the dtype.
pub fn exponential_(t: &Tensor, g: &mut Generator, lambda: f64) -> Result<()> {
    if super::is_grad_enabled() && t.is_leaf() && t.requires_grad() {
        return Err(TensorError::InPlaceLeaf);
    }
    if lambda.is_nan() || lambda <= 0.0 {
        return Err(TensorError::runtime(format!("exponential_ expects lambda > 0.0, but found lambda={}", fmt_g(lambda))));
    }
    let shape = t.shape();
    let n = t.numel();
    let s = match t.dtype() {
        DType::Float32 => Storage::F32(arr(&shape, (0..n).map(|_| exponential_f64(g, lambda) as f32).collect())?),
        DType::Float64 => Storage::F64(arr(&shape, (0..n).map(|_| exponential_f64(g, lambda)).collect())?),
        d => {
            return Err(TensorError::runtime(format!(
                "Exponential distribution is a continuous probability distribution. dtype must be a floating point but you specified {}",
                scalar_type_name(d)
            )))
        }
    };
    t.replace_storage(s)?;
    Ok(())
}

/// `torch.multinomial(input, num_samples, replacement)`: int64 indices of shape `[k]` for a 1-d
/// input or `[rows, k]` for a 2-d one.
pub fn multinomial(g: &mut Generator, p: &Tensor, k: i64, replacement: bool) -> Result<Tensor> {
    let shape = p.shape();
    if shape.is_empty() || shape.len() > 2 {
        return Err(TensorError::runtime("prob_dist must be 1 or 2 dim"));
    }
    if !p.dtype().is_floating_point() {
        return Err(TensorError::runtime(format!(
            "multinomial only supports floating-point dtypes for input, got: {}",
            scalar_type_name(p.dtype())
        )));
    }
    if k <= 0 {
        return Err(TensorError::runtime("cannot sample n_sample <= 0 samples"));
    }
    let cats = shape[shape.len() - 1];
    if !replacement && k as u64 > cats as u64 {
        return Err(TensorError::runtime("cannot sample n_sample > prob_dist.size(-1) samples without replacement"));
    }
    let k = k as usize;
    let rows = if shape.len() == 2 { shape[0] } else { 1 };
    let out_shape: Vec<usize> = if shape.len() == 2 { vec![rows, k] } else { vec![k] };
    super::check_size(&out_shape)?;
    if rows * cats == 0 {
        return Tensor::from_data(Data::I64(Vec::new()), &out_shape);
    }
    let probs = p.contiguous().to_f64_vec();
    let single = p.dtype() == DType::Float32;
    let idx = if !replacement || k == 1 {
        gumbel(g, &probs, rows, cats, k, single)?
    } else {
        cumulative(g, &probs, rows, cats, k, single)?
    };
    Tensor::from_data(Data::I64(idx), &out_shape)
}

/// The no-replacement / single-sample path: `q = exponential_(1)` over the whole input (one
/// draw per element, row-major), `r = p / q` in the input's dtype, then per row the argmax
/// (first maximum) or the top k (ties: lower index first, as PyTorch's CPU topk gives).
fn gumbel(g: &mut Generator, probs: &[f64], rows: usize, cats: usize, k: usize, single: bool) -> Result<Vec<i64>> {
    if probs.iter().any(|&x| x.is_nan() || x < 0.0 || x == f64::INFINITY) {
        return Err(TensorError::runtime("probability tensor contains either `inf`, `nan` or element < 0"));
    }
    // PyTorch sums in the input's dtype; a row of zeros is the only way to a zero sum here.
    if probs.chunks(cats).any(|row| row.iter().all(|&x| x == 0.0)) {
        return Err(TensorError::runtime("invalid multinomial distribution (sum of probabilities <= 0)"));
    }
    let r: Vec<f64> = probs
        .iter()
        .map(|&p| {
            let q = exponential_f64(g, 1.0);
            if single { f64::from(p as f32 / q as f32) } else { p / q }
        })
        .collect();
    let mut out = Vec::with_capacity(rows * k);
    for row in r.chunks(cats) {
        if k == 1 {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            out.push(best as i64);
        } else {
            let mut order: Vec<usize> = (0..cats).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            out.extend(order[..k].iter().map(|&j| j as i64));
        }
    }
    Ok(out)
}

/// The with-replacement path (k > 1): per row, the running sum in the input's dtype divided by
/// the total, the last entry forced to 1, then for each sample one double uniform and a binary
/// search for the first bucket whose cumulative value is not below it.
fn cumulative(g: &mut Generator, probs: &[f64], rows: usize, cats: usize, k: usize, single: bool) -> Result<Vec<i64>> {
    let round = |x: f64| if single { f64::from(x as f32) } else { x };
    let mut out = Vec::with_capacity(rows * k);
    let mut cum = vec![0.0f64; cats];
    for row in probs.chunks(cats).take(rows) {
        let mut sum = 0.0;
        for (j, &v) in row.iter().enumerate() {
            if v < 0.0 {
                return Err(TensorError::runtime("invalid multinomial distribution (encountering probability entry < 0)"));
            }
            if !v.is_finite() {
                return Err(TensorError::runtime("invalid multinomial distribution (encountering probability entry = infinity or NaN)"));
            }
            sum = round(sum + v);
            cum[j] = sum;
        }
        if sum.is_nan() || sum <= 0.0 {
            return Err(TensorError::runtime("invalid multinomial distribution (sum of probabilities <= 0)"));
        }
        for c in cum.iter_mut() {
            *c = round(*c / sum);
        }
        cum[cats - 1] = 1.0;
        for _ in 0..k {
            let u = g.uniform_f64(0.0, 1.0);
            let (mut lo, mut hi) = (0usize, cats);
            while hi > lo {
                let mid = lo + (hi - lo) / 2;
                if cum[mid] < u {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            out.push(lo as i64);
        }
    }
    Ok(out)
}

fn arr<T>(shape: &[usize], v: Vec<T>) -> Result<ndarray::ArrayD<T>> {
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
}

/// ATen's ScalarType name (`Long`, `Bool`), used in these kernels' messages.
fn scalar_type_name(d: DType) -> &'static str {
    super::ops::dtype_name(d)
}

/// A lambda as ATen prints a double in messages (`%g`-like: `0`, `-1`, `0.5`).
fn fmt_g(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x}") }
}
