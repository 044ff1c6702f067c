//! `torch.special`'s element-wise ops over the kernels of `special_math.rs` (digamma,
//! polygamma, `i0`/`i0e`/`i1`/`i1e`, `ndtri`, `log_ndtr`, `erfcx`, `entr`, `bessel_j0`/`j1`,
//! `xlog1py`, `zeta`, `mvlgamma`) and `lgamma`'s gradient, each with PyTorch's autograd node
//! and the gradient formula of its derivatives.yaml, written as recorded ops so that it can be
//! differentiated again.

use super::autograd::record;
use super::special_math::{self as sm, Real};
use super::storage::Storage;
use super::{DType, Data, Result, Scalar, Tensor, TensorError};

/// The one-argument ops of this file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Special {
    Digamma,
    Lgamma,
    I0,
    I0e,
    I1,
    I1e,
    Ndtri,
    LogNdtr,
    Erfcx,
    Entr,
    BesselJ0,
    BesselJ1,
}

type Kernels = (fn(f32) -> f32, fn(f64) -> f64, &'static str);

fn lgamma_k<T: Real>(x: T) -> T {
    x.lgamma()
}

impl Special {
    /// The float32 and float64 kernels and the autograd node's name.
    fn kernels(self) -> Kernels {
        use Special::*;
        match self {
            Digamma => (sm::digamma, sm::digamma, "DigammaBackward0"),
            Lgamma => (lgamma_k, lgamma_k, "LgammaBackward0"),
            I0 => (sm::i0, sm::i0, "I0Backward0"),
            I0e => (sm::i0e, sm::i0e, "SpecialI0EBackward0"),
            I1 => (sm::i1, sm::i1, "SpecialI1Backward0"),
            I1e => (sm::i1e, sm::i1e, "SpecialI1EBackward0"),
            Ndtri => (sm::ndtri, sm::ndtri, "SpecialNdtriBackward0"),
            LogNdtr => (sm::log_ndtr, sm::log_ndtr, "SpecialLogNdtrBackward0"),
            Erfcx => (sm::erfcx, sm::erfcx, "SpecialErfcxBackward0"),
            Entr => (sm::entr, sm::entr, "SpecialEntrBackward0"),
            BesselJ0 => (sm::bessel_j0, sm::bessel_j0, "SpecialBesselJ0Backward0"),
            BesselJ1 => (sm::bessel_j1, sm::bessel_j1, "SpecialBesselJ1Backward0"),
        }
    }
}

/// The element-wise map in float64 for float64 input, else float32 (integers promote to the
/// default dtype, float16/bfloat16 are computed in float as ATen upcasts them).
fn map1(t: &Tensor, f: fn(f32) -> f32, d: fn(f64) -> f64) -> Storage {
    let wide = if t.dtype() == DType::Float64 {
        DType::Float64
    } else {
        DType::Float32
    };
    match t.storage().cast(wide) {
        Storage::F32(a) => Storage::F32(a.mapv(f)),
        Storage::F64(a) => Storage::F64(a.mapv(d)),
        other => other,
    }
}

fn s(v: f64) -> Scalar {
    Scalar::Float(v)
}

/// `where(|x| > eps, gradx(safe x), 0.5)`: ATen's guard of the I1 gradients at 0, where the
/// formula's `1/x` would give NaN.
fn guarded_at_zero(x: &Tensor, gradx: impl Fn(&Tensor) -> Result<Tensor>) -> Result<Tensor> {
    let eps = if x.dtype() == DType::Float64 {
        f64::EPSILON
    } else {
        f64::from(f32::EPSILON)
    };
    let dtype = if x.dtype().is_floating_point() {
        x.dtype()
    } else {
        DType::Float32
    };
    let not_tiny = x.abs()?.gt_scalar(s(eps))?;
    let safe = Tensor::where_(&not_tiny, x, &Tensor::scalar(s(eps), dtype))?;
    Tensor::where_(&not_tiny, &gradx(&safe)?, &Tensor::scalar(s(0.5), dtype))
}

impl Tensor {
    /// One of the [`Special`] element-wise functions, recording its node.
    pub fn special(&self, op: Special) -> Result<Tensor> {
        let (f, d, node) = op.kernels();
        let out = map1(self, f, d);
        let x = super::ops::saved(self);
        Ok(record(out, node, &[self], true, move |g, _| {
            let r = || x.special(op);
            use Special::*;
            let local = match op {
                Digamma => x.polygamma(1)?,
                Lgamma => x.special(Digamma)?,
                I0 => x.special(I1)?,
                I0e => x.special(I1e)?.sub(&x.sign()?.mul(&r()?)?)?,
                I1 => {
                    let res = r()?;
                    guarded_at_zero(&x, |sx| sx.special(I0)?.sub(&res.mul(&sx.reciprocal()?)?))?
                }
                I1e => {
                    let res = r()?;
                    guarded_at_zero(&x, |sx| {
                        sx.special(I0e)?
                            .sub(&res.mul(&sx.sign()?.add(&sx.reciprocal()?)?)?)
                    })?
                }
                Ndtri => {
                    let k = std::f64::consts::FRAC_PI_2
                        * std::f64::consts::SQRT_2
                        * std::f64::consts::FRAC_2_SQRT_PI;
                    return Ok(vec![Some(
                        g.mul_scalar(s(k))?
                            .mul(&r()?.pow_scalar(s(2.0))?.mul_scalar(s(0.5))?.exp()?)?,
                    )]);
                }
                LogNdtr => {
                    let k = std::f64::consts::FRAC_2_SQRT_PI * std::f64::consts::SQRT_2 * 0.25;
                    let e = r()?
                        .add(&x.pow_scalar(s(2.0))?.mul_scalar(s(0.5))?)?
                        .neg()?
                        .exp()?;
                    return Ok(vec![Some(g.mul_scalar(s(k))?.mul(&e)?)]);
                }
                Erfcx => {
                    let two_x = x.mul_scalar(s(2.0))?.mul(&r()?)?;
                    let local = two_x.sub_scalar(s(std::f64::consts::FRAC_2_SQRT_PI))?;
                    return Ok(vec![Some(local.mul(g)?)]);
                }
                Entr => x.log()?.add_scalar(s(1.0))?.neg()?,
                BesselJ0 => x.special(BesselJ1)?.neg()?,
                BesselJ1 => {
                    let res = r()?;
                    x.special(BesselJ0)?.sub(&res.div(&x)?)?
                }
            };
            Ok(vec![Some(g.mul(&local)?)])
        }))
    }

    /// `polygamma(n, x)` (PolygammaBackward0: `grad * polygamma(n + 1, x)`).
    pub fn polygamma(&self, n: i64) -> Result<Tensor> {
        if n < 0 {
            return Err(TensorError::runtime(
                "polygamma(n, x) does not support negative n.",
            ));
        }
        let out = match n {
            0 => map1(self, sm::digamma, sm::digamma),
            1 => map1(self, sm::trigamma, sm::trigamma),
            _ => {
                let wide = if self.dtype() == DType::Float64 {
                    DType::Float64
                } else {
                    DType::Float32
                };
                match self.storage().cast(wide) {
                    Storage::F32(a) => Storage::F32(a.mapv(|v| sm::polygamma(n, v))),
                    Storage::F64(a) => Storage::F64(a.mapv(|v| sm::polygamma(n, v))),
                    other => other,
                }
            }
        };
        let x = super::ops::saved(self);
        Ok(record(
            out,
            "PolygammaBackward0",
            &[self],
            true,
            move |g, _| Ok(vec![Some(g.mul(&x.polygamma(n + 1)?)?)]),
        ))
    }

    /// `mvlgamma(x, p)`: `sum_i lgamma(x - i/2) + p(p-1)/4 ln(pi)` over `i < p`, as ATen composes
    /// it (MvlgammaBackward0: `grad * sum_i digamma(x - i/2)`).
    pub fn mvlgamma(&self, p: i64) -> Result<Tensor> {
        if p < 1 {
            return Err(TensorError::runtime(
                "p has to be greater than or equal to 1",
            ));
        }
        let dtype = if self.dtype().is_floating_point() {
            self.dtype()
        } else {
            DType::Float32
        };
        let args = move |x: &Tensor| -> Result<Tensor> {
            let offs = Tensor::arange(s(-(p as f64) * 0.5 + 0.5), s(0.5), s(0.5), Some(dtype))?;
            offs.add(&x.unsqueeze(-1)?)
        };
        let plain = super::no_grad(|| -> Result<Tensor> {
            let c = (p * (p - 1)) as f64 * std::f64::consts::PI.ln() * 0.25;
            args(self)?
                .special(Special::Lgamma)?
                .sum(Some(&[-1]), false)?
                .add_scalar(s(c))
        })?;
        let x = super::ops::saved(self);
        Ok(record(
            (*plain.storage()).clone(),
            "MvlgammaBackward0",
            &[self],
            true,
            move |g, _| {
                let d = args(&x)?
                    .special(Special::Digamma)?
                    .sum(Some(&[-1]), false)?;
                Ok(vec![Some(g.mul(&d)?)])
            },
        ))
    }
}

impl Tensor {
    /// `special.ndtr(x)`: ATen's composite `(1 + erf(x / sqrt 2)) * 0.5`, whose last product is
    /// the Scalar overload (MulBackward1).
    pub fn ndtr(&self) -> Result<Tensor> {
        let a = self
            .mul_scalar(s(std::f64::consts::FRAC_1_SQRT_2))?
            .erf()?
            .add_scalar(s(1.0))?;
        let out = super::no_grad(|| a.mul_scalar(s(0.5)))?;
        Ok(record(
            (*out.storage()).clone(),
            "MulBackward1",
            &[&a],
            false,
            |g, _| Ok(vec![Some(g.mul_scalar(s(0.5))?)]),
        ))
    }
}

/// The result dtype of a binary special function and its operands broadcast, as float lists.
/// A binary op's operands: result dtype, broadcast shape, and each side's values.
type Operands = (DType, Vec<usize>, Vec<f64>, Vec<f64>);

fn binary_operands(a: &Tensor, b: &Tensor) -> Result<Operands> {
    let dtype = super::result_type_of(&[a, b], &[]);
    let dtype = if dtype == DType::Float64 {
        DType::Float64
    } else {
        DType::Float32
    };
    let shape = super::storage::broadcast_shapes(&a.shape(), &b.shape())?;
    let x = a.expand(&shape)?.contiguous().to_f64_vec();
    let y = b.expand(&shape)?.contiguous().to_f64_vec();
    Ok((dtype, shape, x, y))
}

/// Applies a binary kernel at the operands' common dtype.
fn map2(a: &Tensor, b: &Tensor, f: fn(f32, f32) -> f32, d: fn(f64, f64) -> f64) -> Result<Storage> {
    let (dtype, shape, x, y) = binary_operands(a, b)?;
    let data = if dtype == DType::Float64 {
        Data::F64(x.iter().zip(&y).map(|(&p, &q)| d(p, q)).collect())
    } else {
        Data::F32(
            x.iter()
                .zip(&y)
                .map(|(&p, &q)| f(p as f32, q as f32))
                .collect(),
        )
    };
    Ok((*Tensor::from_data(data, &shape)?.storage()).clone())
}

/// Sums a gradient over the dims `shape` was broadcast along.
fn unbroadcast(g: Tensor, shape: &[usize]) -> Result<Tensor> {
    g.sum_to(shape)
}

impl Tensor {
    /// `special.xlog1py(x, y)` (SpecialXlog1PyBackward0).
    pub fn xlog1py(&self, other: &Tensor) -> Result<Tensor> {
        let out = map2(self, other, sm::xlog1py, sm::xlog1py)?;
        let (x, y) = (super::ops::saved(self), super::ops::saved(other));
        let (xs, ys) = (self.shape(), other.shape());
        Ok(record(
            out,
            "SpecialXlog1PyBackward0",
            &[self, other],
            true,
            move |g, need| {
                let gx = if need[0] {
                    let mask = x.eq_scalar(s(0.0))?.logical_and(&y.le_scalar(s(-1.0))?)?;
                    Some(unbroadcast(
                        g.xlog1py(&y)?.masked_fill(&mask, s(0.0))?,
                        &xs,
                    )?)
                } else {
                    None
                };
                let gy = if need[1] {
                    Some(unbroadcast(g.mul(&x)?.div(&y.add_scalar(s(1.0))?)?, &ys)?)
                } else {
                    None
                };
                Ok(vec![gx, gy])
            },
        ))
    }

    /// `special.zeta(x, q)`, the Hurwitz zeta function (SpecialZetaBackward0: `q`'s gradient is
    /// `-x * zeta(x + 1, q)`; `x`'s is not implemented, as in PyTorch).
    pub fn zeta(&self, q: &Tensor) -> Result<Tensor> {
        let out = map2(self, q, sm::zeta, sm::zeta)?;
        let (x, qq) = (super::ops::saved(self), super::ops::saved(q));
        let qs = q.shape();
        Ok(record(
            out,
            "SpecialZetaBackward0",
            &[self, q],
            true,
            move |g, need| {
                if need[0] {
                    return Err(TensorError::NotImplemented {
                        msg: "the derivative for 'zeta' is not implemented.".into(),
                    });
                }
                let d = g.mul(&x.neg()?)?.mul(&x.add_scalar(s(1.0))?.zeta(&qq)?)?;
                Ok(vec![None, Some(unbroadcast(d, &qs)?)])
            },
        ))
    }
}
