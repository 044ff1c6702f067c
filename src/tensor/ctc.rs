//! `ctc_loss` as ATen's CPU kernels compute it: `_ctc_loss` (CtcLossBackward0) runs the
//! forward variables α in log space over the blank-extended target, per sample, in the
//! log-probabilities' type (`exp`/`log` of that type, the largest of the two or three terms
//! taken out first); its backward runs β the same way from the end, gathers `α + β` per class
//! by pairwise log-sum-exp and forms `exp(lp) - exp(αβ + nll - lp)` times the output
//! gradient. [`ctc_loss`] then composes zero_infinity (`where`), the reduction (`mean` divides
//! by the target lengths clamped to 1, then takes the mean) and the unbatched squeeze, as
//! `at::ctc_loss` does.

use super::autograd::record;
use super::kernels::Float;
use super::nn::Reduction;
use super::storage::Storage;
use super::{DType, Result, Scalar, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// One sample's sizes and targets.
struct Sample {
    input_len: usize,
    targets: Vec<usize>,
}

impl Sample {
    /// The blank-extended target's symbol at `s`: blank at even positions.
    fn prime(&self, s: usize, blank: usize) -> usize {
        if s.is_multiple_of(2) {
            blank
        } else {
            self.targets[s / 2]
        }
    }
}

/// `log(exp(a - m) + exp(b - m) + exp(c - m)) + m` with `m` the largest (0 when all are -inf).
fn lse3<T: Float>(a: T, b: T, c: T) -> T {
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    let mut m = a;
    if b > m {
        m = b;
    }
    if c > m {
        m = c;
    }
    if m == neg_inf {
        m = T::zero();
    }
    ((a - m).exp() + (b - m).exp() + (c - m).exp()).ln() + m
}

/// α (forward) of one sample as rows of `2·len + 1`, and its negative log-likelihood.
/// `lp(t, c)` reads the sample's log-probability.
fn alpha<T: Float>(s: &Sample, blank: usize, lp: &dyn Fn(usize, usize) -> T) -> (Vec<T>, T) {
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    let w = 2 * s.targets.len() + 1;
    let mut a = vec![neg_inf; s.input_len * w];
    if s.input_len == 0 {
        return (a, T::from_f64(f64::INFINITY));
    }
    a[0] = lp(0, blank);
    if !s.targets.is_empty() {
        a[1] = lp(0, s.targets[0]);
    }
    for t in 1..s.input_len {
        for k in 0..w {
            let cur = s.prime(k, blank);
            let la = a[(t - 1) * w + k];
            let lb = if k > 0 {
                a[(t - 1) * w + k - 1]
            } else {
                neg_inf
            };
            let lc = if k > 1 && s.prime(k - 2, blank) != cur {
                a[(t - 1) * w + k - 2]
            } else {
                neg_inf
            };
            a[t * w + k] = lse3(la, lb, lc) + lp(t, cur);
        }
    }
    let last = (s.input_len - 1) * w;
    let l1 = a[last + w - 1];
    let l2 = if w > 1 { a[last + w - 2] } else { neg_inf };
    let mut m = if l2 > l1 { l2 } else { l1 };
    if m == neg_inf {
        m = T::zero();
    }
    (a, -(((l1 - m).exp() + (l2 - m).exp()).ln() + m))
}

/// One sample's gradient rows (`input_len` × `classes`) for output gradient `gr`.
fn sample_grad<T: Float>(
    s: &Sample,
    blank: usize,
    classes: usize,
    a: &[T],
    nll: T,
    gr: T,
    lp: &dyn Fn(usize, usize) -> T,
) -> Vec<T> {
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    let (tl, w) = (s.targets.len(), 2 * s.targets.len() + 1);
    let n = s.input_len;
    let mut b = vec![neg_inf; n * w];
    if n > 0 {
        b[(n - 1) * w + 2 * tl] = lp(n - 1, blank);
        if tl > 0 {
            b[(n - 1) * w + 2 * tl - 1] = lp(n - 1, s.targets[tl - 1]);
        }
        for t in (0..n - 1).rev() {
            for k in (0..w).rev() {
                let cur = s.prime(k, blank);
                let lb = b[(t + 1) * w + k];
                let lcb = if k < 2 * tl {
                    b[(t + 1) * w + k + 1]
                } else {
                    neg_inf
                };
                let lcc = if k + 1 < 2 * tl && s.prime(k + 2, blank) != cur {
                    b[(t + 1) * w + k + 2]
                } else {
                    neg_inf
                };
                b[t * w + k] = lse3(lb, lcb, lcc) + lp(t, cur);
            }
        }
    }
    let mut g = vec![neg_inf; n * classes];
    for t in 0..n {
        // ATen gathers α + β while it runs β, from the last position down.
        for k in (0..w).rev() {
            let c = s.prime(k, blank);
            let lcab = a[t * w + k] + b[t * w + k];
            let cell = &mut g[t * classes + c];
            if *cell == neg_inf {
                *cell = lcab;
            } else {
                let m = if lcab > *cell { lcab } else { *cell };
                *cell = ((lcab - m).exp() + (*cell - m).exp()).ln() + m;
            }
        }
        for c in 0..classes {
            let p = lp(t, c);
            let r = g[t * classes + c];
            g[t * classes + c] = (p.exp() - (r + nll - p).exp()) * gr;
        }
    }
    g
}

/// The per-sample negative log-likelihoods and, for backward, the α tables.
fn forward<T: Float>(
    lp: &[T],
    dims: [usize; 3],
    samples: &[Sample],
    blank: usize,
) -> (Vec<T>, Vec<Vec<T>>) {
    let [_, nb, classes] = dims;
    let (mut nll, mut alphas) = (Vec::new(), Vec::new());
    for (i, s) in samples.iter().enumerate() {
        let read = |t: usize, c: usize| lp[(t * nb + i) * classes + c];
        let (a, l) = alpha(s, blank, &read);
        nll.push(l);
        alphas.push(a);
    }
    (nll, alphas)
}

#[allow(clippy::too_many_arguments)]
fn grads<T: Float + Into<f64>>(
    lp: &[T],
    dims: [usize; 3],
    samples: &[Sample],
    blank: usize,
    nll: &[T],
    alphas: &[Vec<T>],
    gy: &[T],
    zero_inf: bool,
) -> Vec<f64> {
    let [tmax, nb, classes] = dims;
    let mut out = vec![0.0; tmax * nb * classes];
    for (i, s) in samples.iter().enumerate() {
        if zero_inf && Into::<f64>::into(nll[i]) == f64::INFINITY {
            continue;
        }
        let read = |t: usize, c: usize| lp[(t * nb + i) * classes + c];
        let g = sample_grad(s, blank, classes, &alphas[i], nll[i], gy[i], &read);
        for t in 0..s.input_len {
            for c in 0..classes {
                out[(t * nb + i) * classes + c] = g[t * classes + c].into();
            }
        }
    }
    out
}

fn storage(v: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let a =
        ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

/// `_ctc_loss` on (T, N, C) log-probabilities: the (N,) negative log-likelihoods.
fn raw_loss(
    log_probs: &Tensor,
    samples: Vec<Sample>,
    blank: usize,
    zero_inf: bool,
) -> Result<Tensor> {
    let s = log_probs.shape();
    let dims = [s[0], s[1], s[2]];
    let dtype = log_probs.dtype();
    let v = log_probs.to_f64_vec();
    let nll: Vec<f64> = if dtype == DType::Float32 {
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        forward(&v32, dims, &samples, blank)
            .0
            .into_iter()
            .map(f64::from)
            .collect()
    } else {
        forward(&v, dims, &samples, blank).0
    };
    Ok(record(
        storage(nll, &[dims[1]], dtype)?,
        "CtcLossBackward0",
        &[log_probs],
        true,
        move |gy, _| {
            let gyv = gy.to_f64_vec();
            let g = if dtype == DType::Float32 {
                let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
                let (nll, al) = forward(&v32, dims, &samples, blank);
                let gy32: Vec<f32> = gyv.iter().map(|&x| x as f32).collect();
                grads(&v32, dims, &samples, blank, &nll, &al, &gy32, zero_inf)
            } else {
                let (nll, al) = forward(&v, dims, &samples, blank);
                grads(&v, dims, &samples, blank, &nll, &al, &gyv, zero_inf)
            };
            Ok(vec![Some(Tensor::from_storage(storage(g, &dims, dtype)?))])
        },
    ))
}

/// `F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction,
/// zero_infinity)`: log_probs (T, N, C) or unbatched (T, C); targets padded (N, S), or the
/// targets concatenated (1-d), or (S) when unbatched.
pub fn ctc_loss(
    log_probs: &Tensor,
    targets: &Tensor,
    input_lengths: &[i64],
    target_lengths: &[i64],
    blank: i64,
    reduction: Reduction,
    zero_infinity: bool,
) -> Result<Tensor> {
    let batched = log_probs.dim() == 3;
    if !batched && log_probs.dim() != 2 {
        return Err(TensorError::runtime(format!(
            "ctc_loss: expected log_probs to be 2-D or 3-D, got {}-D",
            log_probs.dim()
        )));
    }
    let lp = if batched {
        log_probs.clone()
    } else {
        log_probs.unsqueeze(1)?
    };
    let targets = if batched || targets.dim() != 1 {
        targets.clone()
    } else {
        targets.unsqueeze(0)?
    };
    let s = lp.shape();
    let (tmax, nb, classes) = (s[0], s[1], s[2]);
    if !matches!(lp.dtype(), DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "\"ctc_loss_cpu\" not implemented for '{}'",
            lp.dtype().scalar_name()
        )));
    }
    if blank < 0 || blank as usize >= classes {
        return Err(TensorError::runtime("blank must be in label range"));
    }
    if input_lengths.len() != nb {
        return Err(TensorError::runtime(
            "input_lengths must be of size batch_size",
        ));
    }
    if target_lengths.len() != nb {
        return Err(TensorError::runtime(
            "target_lengths must be of size batch_size",
        ));
    }
    let tv: Vec<i64> = targets.to_f64_vec().iter().map(|&v| v as i64).collect();
    let ts = targets.shape();
    let mut samples = Vec::with_capacity(nb);
    let mut offset = 0usize;
    for b in 0..nb {
        let (il, tl) = (input_lengths[b], target_lengths[b]);
        if il < 0 || il as usize > tmax {
            return Err(TensorError::runtime(format!(
                "Expected input_lengths to have value at most {tmax}, but got value {il} (while checking arguments for ctc_loss_allocate_outputs)"
            )));
        }
        if tl < 0 {
            return Err(TensorError::runtime(format!(
                "Expected target_lengths to have value at least 0, but got value {tl}"
            )));
        }
        let tl = tl as usize;
        let row: Vec<i64> = if ts.len() == 1 {
            let r = tv.get(offset..offset + tl).map(<[i64]>::to_vec);
            offset += tl;
            r.ok_or_else(|| {
                TensorError::runtime("ctc_loss: targets are shorter than the sum of target_lengths")
            })?
        } else {
            if tl > ts[1] {
                return Err(TensorError::runtime(format!(
                    "Expected tensor to have size at least {tl} at dimension 1, but got size {} for argument #2 'targets' (while checking arguments for ctc_loss_allocate_outputs)",
                    ts[1]
                )));
            }
            tv[b * ts[1]..b * ts[1] + tl].to_vec()
        };
        if let Some(&bad) = row.iter().find(|&&c| c < 0 || c as usize >= classes) {
            return Err(TensorError::runtime(format!(
                "ctc_loss: target index {bad} is out of range"
            )));
        }
        samples.push(Sample {
            input_len: il as usize,
            targets: row.iter().map(|&c| c as usize).collect(),
        });
    }
    let dtype = lp.dtype();
    let mut res = raw_loss(&lp, samples, blank as usize, zero_infinity)?;
    if zero_infinity {
        let inf = res.eq_scalar(Scalar::Float(f64::INFINITY))?;
        res = Tensor::where_(&inf, &Tensor::zeros(&[], dtype), &res)?;
    }
    match reduction {
        Reduction::Mean => {
            let lens: Vec<f64> = target_lengths.iter().map(|&l| l.max(1) as f64).collect();
            let lens = Tensor::from_storage(storage(lens, &[nb], dtype)?);
            res.div(&lens)?.mean(None, false)
        }
        Reduction::Sum => res.sum(None, false),
        Reduction::None if batched => Ok(res),
        Reduction::None => res.squeeze(Some(0)),
    }
}
