//! `batch_norm` over (N, C), (N, C, L) or (N, C, H, W) input with its backward
//! (NativeBatchNormBackward0) and the running-statistics update, in ATen's CPU arithmetic.
//!
//! What was checked against PyTorch (docs/divergences.md, "Batch norm"): per channel the mean
//! is the sum accumulated in double and divided in double, rounded to the input's type; the
//! variance sum accumulates rounded squares of rounded differences in double; `invstd =
//! 1/sqrt(var + eps)` in double of `var = var_sum/M` divided in the input's type; the output is `fma(x, alpha, beta)` with
//! `alpha = invstd*weight`, `beta = fma(-mean, alpha, bias)`; the running mean is
//! `f32(m*mean) + f32((1-m)*running)` with `m` the float momentum. In evaluation the running
//! statistics replace the batch ones and `invstd = 1/sqrt(running_var + eps)` in float (in
//! double for the backward). Values stay in the input's type; only ATen's double sums widen.

use super::autograd::record;
use super::kernels::Float;
use super::storage::Storage;
use super::{no_grad, DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// `training`, `momentum` (the factor of the new statistic) and `eps` of `F.batch_norm`.
#[derive(Debug, Clone, Copy)]
pub struct BatchNormOptions {
    pub training: bool,
    pub momentum: f64,
    pub eps: f64,
}

/// The element types batch norm computes in: values are read and written in the input's own
/// type, and only the sums ATen accumulates in double are widened.
trait Elem: Float + Into<f64> {
    fn read(t: &Tensor) -> Vec<Self>;
    fn storage(v: Vec<Self>, shape: &[usize]) -> Result<Storage>;
}

macro_rules! elem {
    ($t:ty, $variant:ident, $dtype:expr) => {
        impl Elem for $t {
            fn read(t: &Tensor) -> Vec<$t> {
                match t.storage().cast($dtype) {
                    Storage::$variant(a) => super::ops::row_major(&a).into_owned(),
                    _ => Vec::new(),
                }
            }
            fn storage(v: Vec<$t>, shape: &[usize]) -> Result<Storage> {
                Ok(Storage::$variant(ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?))
            }
        }
    };
}
elem!(f32, F32, DType::Float32);
elem!(f64, F64, DType::Float64);

/// Per-channel results of the forward pass that the backward and the running update need.
struct Stats {
    mean: Vec<f64>,
    invstd: Vec<f64>,
    /// The variance sum (rounded to the input's type), for the running variance.
    var_sum: Vec<f64>,
}

/// Channel `ch`'s elements of sample `s` are `x[(s * C + ch) * inner..][..inner]`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn forward<T: Elem>(x: &[T], n: usize, c: usize, inner: usize, run: Option<(&[T], &[T])>, w: Option<&[T]>, b: Option<&[T]>, o: &BatchNormOptions) -> (Vec<T>, Stats) {
    let m = n * inner;
    let r = |v: f64| -> f64 { T::from_f64(v).into() };
    let mut st = Stats { mean: vec![0.0; c], invstd: vec![0.0; c], var_sum: vec![0.0; c] };
    let mut out = vec![T::zero(); x.len()];
    let rows = |ch: usize| (0..n).map(move |s| (s * c + ch) * inner..(s * c + ch + 1) * inner);
    for ch in 0..c {
        let (mean, invstd) = match (o.training, run) {
            (false, Some((rm, rv))) => {
                let var_eps = rv[ch] + T::from_f64(o.eps);
                (rm[ch].into(), (T::one() / var_eps.sqrt()).into())
            }
            _ if inner == 1 => {
                let (mean, var_sum) = rows_moments::<T>(x, n, c, ch);
                st.var_sum[ch] = var_sum;
                (mean, invstd_of::<T>(var_sum, m, o.eps))
            }
            _ => {
                let mut sum = 0.0f64;
                for row in rows(ch) {
                    for &v in &x[row] {
                        sum += v.into();
                    }
                }
                let mean_t = T::from_f64(sum / m as f64);
                let mut sq = 0.0f64;
                for row in rows(ch) {
                    for &v in &x[row] {
                        let d = v - mean_t;
                        sq += (d * d).into();
                    }
                }
                let var_sum = r(sq);
                st.var_sum[ch] = var_sum;
                (mean_t.into(), invstd_of::<T>(var_sum, m, o.eps))
            }
        };
        st.mean[ch] = mean;
        st.invstd[ch] = invstd;
        let wc = w.map_or(T::one(), |w| w[ch]);
        let alpha = T::from_f64(invstd) * wc;
        let beta = (-T::from_f64(mean)).mul_add(alpha, b.map_or(T::zero(), |b| b[ch]));
        for row in rows(ch) {
            for (o, &v) in out[row.clone()].iter_mut().zip(&x[row]) {
                *o = v.mul_add(alpha, beta);
            }
        }
    }
    (out, st)
}

/// `1 / sqrt(var + eps)` in double of the biased variance `var_sum / M`, which ATen divides in
/// the input's type (its variance sum is a tensor of that type), rounded to the input's type.
fn invstd_of<T: Elem>(var_sum: f64, m: usize, eps: f64) -> f64 {
    let var: f64 = (T::from_f64(var_sum) / T::from_f64(m as f64)).into();
    T::from_f64(1.0 / (var + eps).sqrt()).into()
}

/// Mean and variance sum of channel `ch` of an (N, C) input, as ATen's channels-last kernel
/// takes them: with more rows than threads (the lesson's `torch.get_num_threads()`,
/// super::threads) `at::parallel_for` splits the rows into one chunk per thread, each summed
/// in the input's type (the squares with an FMA), and the chunks' sums are added in double;
/// with as many threads as rows or more, one chunk of all rows (probed for 3-33 rows and 1-8
/// threads: the kernel then works per channel, as one thread does).
#[inline(always)]
fn rows_moments<T: Elem>(x: &[T], n: usize, c: usize, ch: usize) -> (f64, f64) {
    let threads = super::threads::num_threads();
    let parts = super::threads::chunks(n, 1, if threads < n { threads } else { 1 });
    let chunked = |f: &dyn Fn(T, T) -> T| -> f64 {
        parts
            .iter()
            .map(|rows| {
                let mut acc = T::zero();
                for row in rows.clone() {
                    acc = f(acc, x[row * c + ch]);
                }
                acc.into()
            })
            .sum()
    };
    let mean = T::from_f64(chunked(&|acc, v| acc + v) / n as f64);
    let var_sum = T::from_f64(chunked(&|acc, v| {
        let d = v - mean;
        d.mul_add(d, acc)
    }));
    (mean.into(), var_sum.into())
}

/// The new running mean, `m*mean + (1-m)*old` in the input's type with the momentum `m`
/// rounded to it (so `1-m` is too).
fn running_mean_update<T: Elem>(old: &[T], mean: &[f64], momentum: f64) -> Vec<T> {
    let m = T::from_f64(momentum);
    let keep = T::one() - m;
    old.iter().zip(mean).map(|(&o, &v)| m * T::from_f64(v) + keep * o).collect()
}

/// The new running variance: the unbiased variance `var_sum / (M-1)` divided in the input's
/// type, then `m*unbiased` taken in double (ATen's accumulator type) plus the rounded
/// `(1-m)*old`, rounded once more.
fn running_var_update<T: Elem>(old: &[T], var_sum: &[f64], count: usize, momentum: f64) -> Vec<T> {
    let m = T::from_f64(momentum);
    let keep = T::one() - m;
    old.iter()
        .zip(var_sum)
        .map(|(&o, &vs)| {
            let unbiased: f64 = (T::from_f64(vs) / T::from_f64(count as f64 - 1.0)).into();
            let kept: f64 = (keep * o).into();
            T::from_f64(m.into() * unbiased + kept)
        })
        .collect()
}

/// [`forward`] compiled with FMA instructions where the CPU has them: the formulas use fused
/// multiply-adds either way (same bits), but without the feature each is a call to `fmaf`. A
/// closure handed to a `#[target_feature]` function would not do: it is compiled on its own,
/// without the features, unless inlined.
#[allow(clippy::too_many_arguments)]
fn forward_fma<T: Elem>(x: &[T], n: usize, c: usize, inner: usize, run: Option<(&[T], &[T])>, w: Option<&[T]>, b: Option<&[T]>, o: &BatchNormOptions) -> (Vec<T>, Stats) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        fn go<T: Elem>(x: &[T], n: usize, c: usize, inner: usize, run: Option<(&[T], &[T])>, w: Option<&[T]>, b: Option<&[T]>, o: &BatchNormOptions) -> (Vec<T>, Stats) {
            forward::<T>(x, n, c, inner, run, w, b, o)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(x, n, c, inner, run, w, b, o) };
    }
    forward::<T>(x, n, c, inner, run, w, b, o)
}

/// [`backward`] compiled with FMA instructions where the CPU has them (as [`forward_fma`]).
#[allow(clippy::too_many_arguments)]
fn backward_fma<T: Elem>(x: &[T], g: &[T], n: usize, c: usize, inner: usize, st: &Stats, w: Option<&[T]>, training: bool) -> (Vec<T>, Vec<T>, Vec<T>) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        fn go<T: Elem>(x: &[T], g: &[T], n: usize, c: usize, inner: usize, st: &Stats, w: Option<&[T]>, training: bool) -> (Vec<T>, Vec<T>, Vec<T>) {
            backward::<T>(x, g, n, c, inner, st, w, training)
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(x, g, n, c, inner, st, w, training) };
    }
    backward::<T>(x, g, n, c, inner, st, w, training)
}

fn channel_error(what: &str, want: usize, got: usize) -> TensorError {
    TensorError::runtime(format!("{what} should contain {want} elements not {got}"))
}

/// `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)`. In
/// training the batch statistics normalise (biased variance) and, when given, the running
/// buffers are updated in place (unbiased variance); otherwise the running ones normalise.
pub fn batch_norm(x: &Tensor, running_mean: Option<&Tensor>, running_var: Option<&Tensor>, weight: Option<&Tensor>, bias: Option<&Tensor>, o: &BatchNormOptions) -> Result<Tensor> {
    let shape = x.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "batch_norm: expected input with at least 2 dimensions, got {}",
            shape.len()
        )));
    }
    if !x.dtype().is_floating_point() {
        let name = if x.dtype() == DType::Int64 { "Long" } else { "Bool" };
        return Err(TensorError::NotImplemented { msg: format!("\"batch_norm\" not implemented for '{name}'") });
    }
    let (n, c) = (shape[0], shape[1]);
    let inner: usize = shape[2..].iter().product();
    if o.training && n * inner == 1 {
        let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
        return Err(TensorError::Value {
            msg: format!("Expected more than 1 value per channel when training, got input size torch.Size([{}])", dims.join(", ")),
        });
    }
    for (t, what) in [(running_mean, "running_mean"), (running_var, "running_var"), (weight, "weight"), (bias, "bias")] {
        if let Some(t) = t.filter(|t| t.numel() != c) {
            return Err(channel_error(what, c, t.numel()));
        }
    }
    if [running_mean, running_var, weight, bias].iter().flatten().any(|t| t.dtype() != x.dtype()) {
        return Err(TensorError::runtime("mixed dtype (CPU): all inputs must share same datatype."));
    }
    if !o.training && (running_mean.is_none() || running_var.is_none()) {
        return Err(TensorError::runtime("running_mean and running_var must be defined in evaluation mode"));
    }
    match x.dtype() {
        DType::Float32 => batch_norm_in::<f32>(x, running_mean, running_var, weight, bias, o),
        _ => batch_norm_in::<f64>(x, running_mean, running_var, weight, bias, o),
    }
}

/// [`batch_norm`] once its arguments are checked, in the input's type `T` (every tensor
/// argument shares it).
fn batch_norm_in<T: Elem>(x: &Tensor, running_mean: Option<&Tensor>, running_var: Option<&Tensor>, weight: Option<&Tensor>, bias: Option<&Tensor>, o: &BatchNormOptions) -> Result<Tensor> {
    let shape = x.shape();
    let (n, c) = (shape[0], shape[1]);
    let inner: usize = shape[2..].iter().product();
    let xv = T::read(x);
    let (rm, rv) = (running_mean.map(T::read), running_var.map(T::read));
    let run = rm.as_deref().zip(rv.as_deref());
    let (w, b) = (weight.map(T::read), bias.map(T::read));
    let (out, mut st) = forward_fma::<T>(&xv, n, c, inner, run, w.as_deref(), b.as_deref(), o);
    if o.training {
        let count = n * inner;
        for (buf, is_var) in [(running_mean, false), (running_var, true)] {
            let Some(buf) = buf else { continue };
            let old = T::read(buf);
            let upd = if is_var { running_var_update::<T>(&old, &st.var_sum, count, o.momentum) } else { running_mean_update::<T>(&old, &st.mean, o.momentum) };
            let t = Tensor::from_storage(T::storage(upd, &[c])?.reshape(&buf.shape())?);
            no_grad(|| buf.copy_(&t))?;
        }
    }
    let out = T::storage(out, &shape)?;
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    let (has_w, has_b) = (weight.is_some(), bias.is_some());
    let (training, eps) = (o.training, o.eps);
    if !training {
        // ATen's backward takes `1 / sqrt(running_var + eps)` in double (its `eps` is a
        // double there), where the forward added them in the input's type.
        if let Some(rv) = &rv {
            st.invstd = rv.iter().map(|&v| T::from_f64(1.0 / (v.into() + eps).sqrt()).into()).collect();
        }
    }
    Ok(record(out, "NativeBatchNormBackward0", &inputs, true, move |g, _| {
        let gv = T::read(g);
        let (gx, gw, gb) = backward_fma::<T>(&xv, &gv, n, c, inner, &st, w.as_deref(), training);
        let mut grads = vec![Some(Tensor::from_storage(T::storage(gx, &shape)?))];
        if has_w {
            grads.push(Some(Tensor::from_storage(T::storage(gw, &[c])?)));
        }
        if has_b {
            grads.push(Some(Tensor::from_storage(T::storage(gb, &[c])?)));
        }
        Ok(grads)
    }))
}

/// ATen's `vec::reduce_all` / `map2_reduce_all` over one row of `vals` (already mapped and
/// rounded): fewer than a vector's lanes are added left to right; otherwise the first vector
/// is the accumulator, later whole vectors are added lane-wise, the partial last vector's lanes
/// are fused (`fma(a, b, acc)` from `pairs`, when the map was a product), and the lanes are
/// combined pairwise as the SIMD horizontal sum does.
#[inline(always)]
fn reduce_row<T: Float>(vals: &[T], pairs: Option<(&[T], &[T])>) -> T {
    let lanes = T::LANES;
    if vals.len() < lanes {
        return vals.iter().skip(1).fold(vals.first().copied().unwrap_or_else(T::zero), |a, &v| a + v);
    }
    // A stack accumulator of whole vectors (at most 16 lanes), added chunk by chunk: the same
    // lane-by-lane order as ATen's, without a heap row or a `k % lanes` per element.
    let mut buf = [T::zero(); 16];
    let acc = &mut buf[..lanes];
    acc.copy_from_slice(&vals[..lanes]);
    let full = vals.len() - vals.len() % lanes;
    for chunk in vals[lanes..full].chunks_exact(lanes) {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = *a + v;
        }
    }
    for k in full..vals.len() {
        acc[k - full] = match pairs {
            Some((a, b)) => a[k].mul_add(b[k], acc[k - full]),
            None => acc[k - full] + vals[k],
        };
    }
    let mut width = lanes;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = acc[j] + acc[j + width];
        }
    }
    acc[0]
}

/// The input, weight and bias gradients as ATen's CPU kernels compute them (channel sums of
/// `dy` and of `(x - mean) * dy` per sample row into double, or per thread chunk for (N, C)
/// input; `dx = (dy - mean(dy) - (x - mean) * k) * invstd * w` with `k = dotp * invstd² / M`).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn backward<T: Elem>(x: &[T], g: &[T], n: usize, c: usize, inner: usize, st: &Stats, w: Option<&[T]>, training: bool) -> (Vec<T>, Vec<T>, Vec<T>) {
    let t = T::from_f64;
    let m = n * inner;
    let mut gx = vec![T::zero(); g.len()];
    let (mut gw, mut gb) = (vec![T::zero(); c], vec![T::zero(); c]);
    let (mut d, mut prod) = (Vec::with_capacity(inner), Vec::with_capacity(inner));
    for ch in 0..c {
        let (mean, inv) = (t(st.mean[ch]), t(st.invstd[ch]));
        let wc = w.map_or(T::one(), |w| w[ch]);
        let (mut sum, mut dot) = (0.0f64, 0.0f64);
        if inner == 1 {
            for rows in super::threads::chunks(n, 1, super::threads::num_threads()) {
                let (mut a, mut b) = (T::zero(), T::zero());
                for row in rows {
                    let (xv, dy) = (x[row * c + ch], g[row * c + ch]);
                    a = a + dy;
                    b = (xv - mean).mul_add(dy, b);
                }
                sum += a.into();
                dot += b.into();
            }
        } else {
            for s in 0..n {
                let base = (s * c + ch) * inner;
                let dy = &g[base..base + inner];
                d.clear();
                d.extend(x[base..base + inner].iter().map(|&v| v - mean));
                prod.clear();
                prod.extend(d.iter().zip(dy).map(|(&a, &b)| a * b));
                sum += reduce_row(dy, None).into();
                dot += reduce_row(&prod, Some((&d, dy))).into();
            }
        }
        let dp = t(dot);
        // (N, C) input: the dot product is a tensor of the input's type before its product
        // with invstd; otherwise the double sum meets invstd in double, rounded once.
        gw[ch] = if inner == 1 { dp * inv } else { t(dot * inv.into()) };
        gb[ch] = t(sum);
        let k = dp * inv * inv / t(m as f64);
        // (N, C) input: the mean of dy is divided in float; whole vectors of channels fuse the
        // `(x - mean) * k` term, the scalar tail does not.
        let (grad_mean, fused) = if inner == 1 { (t(sum) / t(n as f64), ch < c - c % T::LANES) } else { (t(sum / m as f64), true) };
        for s in 0..n {
            let base = (s * c + ch) * inner;
            for at in base..base + inner {
                let dy = g[at];
                let v = if training {
                    let d = x[at] - mean;
                    if fused { (-d).mul_add(k, dy - grad_mean) } else { dy - grad_mean - d * k }
                } else {
                    dy
                };
                gx[at] = v * inv * wc;
            }
        }
    }
    (gx, gw, gb)
}
