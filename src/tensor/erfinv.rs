//! `torch.erfinv` (ErfinvBackward0). PyTorch's CPU kernel for float32/float64 is MKL's VML
//! `v?ErfInv`, whose algorithm is not public; this evaluates ATen's fallback algorithm
//! (`calc_erfinv`: a rational first guess, then two Newton steps) in double and rounds once,
//! which agrees with MKL's float32 bits on all but about 0.03% of inputs (docs/divergences.md).

use super::autograd::record;
use super::storage::Storage;
use super::{DType, Result, Scalar, Tensor};

/// erfinv in double: Pavlis' rational approximation, refined by two Newton steps.
pub fn erfinv_f64(y: f64) -> f64 {
    const A: [f64; 4] = [0.886226899, -1.645349621, 0.914624893, -0.140543331];
    const B: [f64; 4] = [-2.118377725, 1.442710462, -0.329097515, 0.012229801];
    const C: [f64; 4] = [-1.970840454, -1.624906493, 3.429567803, 1.641345311];
    const D: [f64; 2] = [3.543889200, 1.637067800];
    let ya = y.abs();
    if ya.is_nan() || ya > 1.0 {
        return f64::NAN;
    }
    if ya == 1.0 {
        return f64::INFINITY.copysign(y);
    }
    let mut x = if ya <= 0.7 {
        let z = y * y;
        let num = ((A[3] * z + A[2]) * z + A[1]) * z + A[0];
        let dem = (((B[3] * z + B[2]) * z + B[1]) * z + B[0]) * z + 1.0;
        y * num / dem
    } else {
        let z = (-((1.0 - ya) / 2.0).ln()).sqrt();
        let num = ((C[3] * z + C[2]) * z + C[1]) * z + C[0];
        let dem = (D[1] * z + D[0]) * z + 1.0;
        num.copysign(y) / dem
    };
    let k = 2.0 / std::f64::consts::PI.sqrt();
    for _ in 0..2 {
        x -= (super::activations::erf(x) - y) / (k * (-x * x).exp());
    }
    x
}

impl Tensor {
    /// `torch.erfinv` (ErfinvBackward0: `0.5 * sqrt(pi) * exp(erfinv(x)**2) * grad`).
    pub fn erfinv(&self) -> Result<Tensor> {
        let out = match self.storage().cast(if self.dtype() == DType::Float64 {
            DType::Float64
        } else {
            DType::Float32
        }) {
            Storage::F32(a) => Storage::F32(a.mapv(|x| erfinv_f64(f64::from(x)) as f32)),
            Storage::F64(a) => Storage::F64(a.mapv(erfinv_f64)),
            other => other,
        };
        let a = super::ops::saved(self);
        Ok(record(
            out,
            "ErfinvBackward0",
            &[self],
            true,
            move |g, _| {
                let r = a.erfinv()?;
                let e = r
                    .mul(&r)?
                    .exp()?
                    .mul_scalar(Scalar::Float(0.5 * std::f64::consts::PI.sqrt()))?;
                Ok(vec![Some(e.mul(g)?)])
            },
        ))
    }
}

/// The error function in double (for `nn.init.trunc_normal_`'s bounds, as Python's `math.erf`).
pub fn erf_f64(x: f64) -> f64 {
    super::activations::erf(x)
}
