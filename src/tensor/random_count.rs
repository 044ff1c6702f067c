//! Counting samplers of the CPU generator: `torch.poisson` and `torch.binomial`, each element
//! drawn in memory order from float64 uniforms (53 bits of a 64-bit draw), by the algorithms
//! ATen's CPU kernels use, so a seeded generator gives PyTorch's exact counts.
//!
//! Poisson: rates below 10 multiply uniforms until the product drops to `exp(-rate)`; from 10
//! on, Hörmann's transformed rejection (PTRS). Binomial: `n p < 10` (on the smaller of `p` and
//! `1 - p`) counts geometric waiting times (inversion); otherwise Hörmann's BTRS with the
//! Stirling tail table. Where ATen computes in the tensor's dtype (float32 products of count
//! and probability, `log1pf`), so does this, because a rounding there moves a boundary.

use super::random::Generator;
use super::{DType, Data, Result, Tensor, TensorError};

/// Rounds to the sample dtype's precision (float32 or float64).
#[derive(Clone, Copy)]
struct Prec(bool);

impl Prec {
    fn r(self, x: f64) -> f64 {
        if self.0 { f64::from(x as f32) } else { x }
    }
}

fn float_kernel(d: DType, kernel: &str) -> Result<Prec> {
    match d {
        DType::Float32 => Ok(Prec(true)),
        DType::Float64 => Ok(Prec(false)),
        _ => Err(TensorError::NotImplemented {
            msg: format!("\"{kernel}\" not implemented for '{}'", d.scalar_name()),
        }),
    }
}

fn from_vec(v: Vec<f64>, shape: &[usize], p: Prec) -> Result<Tensor> {
    let data = if p.0 {
        Data::F32(v.into_iter().map(|x| x as f32).collect())
    } else {
        Data::F64(v)
    };
    Tensor::from_data(data, shape)
}

/// `torch.poisson(rates)`: one count per rate, the rates' dtype.
pub fn poisson(g: &mut Generator, rate: &Tensor) -> Result<Tensor> {
    let p = float_kernel(rate.dtype(), "poisson_cpu")?;
    let rates = rate.to_f64_vec();
    let mut out = Vec::with_capacity(rates.len());
    for lam in rates {
        out.push(p.r(sample_poisson(g, lam)?));
    }
    from_vec(out, &rate.shape(), p)
}

fn sample_poisson(g: &mut Generator, lam: f64) -> Result<f64> {
    if lam.is_nan() || lam < 0.0 {
        return Err(TensorError::runtime(
            "invalid Poisson rate, expected rate to be non-negative",
        ));
    }
    if lam == 0.0 {
        return Ok(0.0);
    }
    if lam < 10.0 {
        let enlam = (-lam).exp();
        let mut x = 0i64;
        let mut prod = 1.0;
        loop {
            prod *= g.uniform_f64(0.0, 1.0);
            if prod > enlam {
                x += 1;
            } else {
                return Ok(x as f64);
            }
        }
    }
    let slam = lam.sqrt();
    let loglam = lam.ln();
    let b = 0.931 + 2.53 * slam;
    let a = -0.059 + 0.02483 * b;
    let invalpha = 1.1239 + 1.1328 / (b - 3.4);
    let vr = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        if super::interrupt::should_stop() {
            return Ok(0.0);
        }
        let u = g.uniform_f64(0.0, 1.0) - 0.5;
        let v = g.uniform_f64(0.0, 1.0);
        let us = 0.5 - u.abs();
        // C's (int64_t) cast of the floored value.
        let k = ((2.0 * a / us + b) * u + lam + 0.43).floor() as i64;
        if us >= 0.07 && v <= vr {
            return Ok(k as f64);
        }
        if k < 0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = v.ln() + invalpha.ln() - (a / (us * us) + b).ln();
        if lhs <= -lam + k as f64 * loglam - lgamma(k as f64 + 1.0) {
            return Ok(k as f64);
        }
    }
}

fn lgamma(x: f64) -> f64 {
    unsafe extern "C" {
        fn lgamma(x: f64) -> f64;
    }
    // SAFETY: glibc's lgamma is a pure function of one double (the one ATen calls).
    unsafe { lgamma(x) }
}

/// `torch.binomial(count, prob)`: one draw per element of `count` (`prob` broadcast to it),
/// in their dtype, which must be the same floating dtype.
pub fn binomial(g: &mut Generator, count: &Tensor, prob: &Tensor) -> Result<Tensor> {
    if !count.dtype().is_floating_point() {
        return Err(TensorError::Value {
            msg: format!(
                "binomial only supports floating-point dtypes for count, got: {}",
                count.dtype().scalar_name()
            ),
        });
    }
    if prob.dtype() != count.dtype() {
        return Err(TensorError::runtime(format!(
            "Found dtype {} but expected {}",
            prob.dtype().scalar_name(),
            count.dtype().scalar_name()
        )));
    }
    let p = float_kernel(count.dtype(), "binomial_cpu")?;
    let shape = count.shape();
    let probs = prob.expand(&shape)?.to_f64_vec();
    let counts = count.to_f64_vec();
    let mut out = Vec::with_capacity(counts.len());
    for (&n, &q) in counts.iter().zip(&probs) {
        out.push(sample_binomial(g, n, q, p));
    }
    from_vec(out, &shape, p)
}

fn sample_binomial(g: &mut Generator, n: f64, q: f64, p: Prec) -> f64 {
    if n <= 0.0 || q <= 0.0 {
        0.0
    } else if q >= 1.0 {
        n
    } else if q <= 0.5 {
        if p.r(n * q) >= 10.0 {
            btrs(g, n, q, p)
        } else {
            inversion(g, n, q, p)
        }
    } else if q > 0.5 {
        let qq = p.r(1.0 - q);
        let k = if p.r(n * qq) >= 10.0 {
            btrs(g, n, qq, p)
        } else {
            inversion(g, n, qq, p)
        };
        p.r(n - k)
    } else {
        f64::NAN
    }
}

/// Counts geometric waiting times until they pass `n` (`log1p(-q)` in the sample dtype).
fn inversion(g: &mut Generator, n: f64, q: f64, p: Prec) -> f64 {
    let logprob = if p.0 {
        f64::from((-(q as f32)).ln_1p())
    } else {
        (-q).ln_1p()
    };
    let mut sum = 0.0;
    let mut k = 0.0;
    loop {
        if super::interrupt::should_stop() {
            return k;
        }
        let u = g.uniform_f64(0.0, 1.0);
        sum += (u.ln() / logprob).ceil();
        if sum > n {
            return k;
        }
        k += 1.0;
    }
}

/// Stirling's series tail `log k! - (k + 1/2) log(k + 1) + (k + 1) - log(sqrt(2 pi))`, tabled
/// below 10 as ATen tables it.
fn stirling_tail(k: f64) -> f64 {
    const TAIL: [f64; 10] = [
        0.0810614667953272,
        0.0413406959554092,
        0.0276779256849983,
        0.02079067210376509,
        0.0166446911898211,
        0.0138761288230707,
        0.0118967099458917,
        0.0104112652619720,
        0.00925546218271273,
        0.00833056343336287,
    ];
    if k <= 9.0 {
        return TAIL[k.max(0.0) as usize];
    }
    let kp1sq = (k + 1.0) * (k + 1.0);
    (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)
}

/// Hörmann's BTRS for `n q >= 10`, `q <= 1/2`.
fn btrs(g: &mut Generator, n: f64, q: f64, p: Prec) -> f64 {
    let stddev = p.r(p.r(p.r(n * q) * p.r(1.0 - q)).sqrt());
    let b = 1.15 + 2.53 * stddev;
    let a = -0.0873 + 0.0248 * b + 0.01 * q;
    let c = p.r(n * q) + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let r = p.r(q / p.r(1.0 - q));
    let alpha = (2.83 + 5.1 / b) * stddev;
    let m = p.r(p.r(n + 1.0) * q).floor();
    loop {
        if super::interrupt::should_stop() {
            return 0.0;
        }
        let u = g.uniform_f64(0.0, 1.0) - 0.5;
        let v = g.uniform_f64(0.0, 1.0);
        let us = 0.5 - u.abs();
        let k = p.r(((2.0 * a / us + b) * u + c).floor());
        if k < 0.0 || k > n {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k;
        }
        let v = (v * alpha / (a / (us * us) + b)).ln();
        let nk = p.r(p.r(n - k) + 1.0);
        let upper = (m + 0.5) * ((m + 1.0) / (r * (n - m + 1.0))).ln()
            + (n + 1.0) * ((n - m + 1.0) / nk).ln()
            + (k + 0.5) * (r * nk / (k + 1.0)).ln()
            + stirling_tail(m)
            + stirling_tail(n - m)
            - stirling_tail(k)
            - stirling_tail(p.r(n - k));
        if v <= upper {
            return k;
        }
    }
}
