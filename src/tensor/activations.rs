//! Elementwise ops added for tutorial coverage: GELU, LeakyReLU, floor/round, isnan,
//! logical_or and remainder. Float math runs in f64 and rounds once to the tensor's dtype,
//! except float32 silu, softplus and elu, which follow ATen's float kernels (activations_f32.rs),
//! and float32 exact GELU on contiguous tensors, which follows oneDNN's (gelu_f32.rs).

use super::activations_f32::{self as act_f32, Act};
use super::autograd::record;
use super::gelu_f32;
use super::iter_layout::vector_mask;
use super::kernels::VEC_LOOP_F32;
use super::storage::{broadcast_shapes, map_row_major, zip_map, Storage};
use super::{DType, Result, Scalar, Tensor, TensorError};

/// `f` over a float storage (ints and bools promote to float32 as PyTorch's float ops do).
fn map_f(s: &Storage, f: impl Fn(f64) -> f64) -> Storage {
    match s {
        Storage::F64(a) => Storage::F64(a.mapv(&f)),
        Storage::F32(a) => Storage::F32(a.mapv(|x| f(x as f64) as f32)),
        other => map_f(&other.cast(DType::Float32), f),
    }
}

/// The error function, to about 1e-16: its Maclaurin series below 2, then 1 − erfc with
/// erfc from its continued fraction (60 terms, evaluated backwards).
pub fn erf(x: f64) -> f64 {
    let ax = x.abs();
    if ax.is_nan() {
        return x;
    }
    let r = if ax < 2.0 {
        let (mut term, mut sum, x2) = (ax, ax, ax * ax);
        let mut n = 0.0;
        loop {
            n += 1.0;
            term *= -x2 / n;
            let add = term / (2.0 * n + 1.0);
            sum += add;
            if add.abs() <= 1e-17 * sum.abs() || n > 200.0 {
                break;
            }
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else if ax < 27.0 {
        let mut f = ax;
        for n in (1..=60).rev() {
            f = ax + (f64::from(n) / 2.0) / f;
        }
        1.0 - (-ax * ax).exp() / (std::f64::consts::PI.sqrt() * f)
    } else {
        1.0
    };
    r.copysign(x)
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const GELU_TANH_C: f64 = 0.044715;

fn gelu_f(x: f64, tanh: bool) -> f64 {
    if tanh {
        0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x)).tanh())
    } else {
        0.5 * x * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2))
    }
}

fn gelu_grad(x: f64, tanh: bool) -> f64 {
    if tanh {
        let t = (SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x)).tanh();
        0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_C * x * x)
    } else {
        let cdf = 0.5 * (1.0 + erf(x * std::f64::consts::FRAC_1_SQRT_2));
        cdf + x * (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }
}

fn float_only(t: &Tensor, what: &str) -> Result<()> {
    match t.dtype() {
        DType::Float32 | DType::Float64 => Ok(()),
        d => Err(TensorError::NotImplemented { msg: format!("\"{what}\" not implemented for '{}'", super::ops::dtype_name(d)) }),
    }
}

fn sigmoid_f(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn softplus_f(x: f64, beta: f64, threshold: f64) -> f64 {
    if x * beta > threshold { x } else { (x * beta).exp().ln_1p() / beta }
}

impl Tensor {
    /// A float-only elementwise activation `f` whose gradient is `g * df(x)`.
    fn activation(
        &self,
        kernel: &str,
        grad_fn: &'static str,
        f: impl Fn(f64) -> f64,
        df: impl Fn(f64) -> f64 + 'static,
    ) -> Result<Tensor> {
        float_only(self, kernel)?;
        let out = map_f(&self.storage(), f);
        let x = super::ops::saved(self);
        Ok(record(out, grad_fn, &[self], true, move |g, _| {
            let d = Tensor::from_storage(map_f(&x.storage(), &df));
            Ok(vec![Some(g.mul(&d)?)])
        }))
    }

    /// As [`Tensor::activation`], but float32 goes through ATen's vectorised kernels for `act`
    /// and its backward (activations_f32.rs); float64 keeps `f` and `df`.
    fn activation_f32(
        &self,
        kernel: &str,
        grad_fn: &'static str,
        act: Act,
        f: impl Fn(f64) -> f64,
        df: impl Fn(f64) -> f64 + 'static,
    ) -> Result<Tensor> {
        float_only(self, kernel)?;
        // Which elements take ATen's vector steps depends on the layout (iter_layout.rs).
        let contiguous = self.is_contiguous();
        let out = match &*self.storage() {
            Storage::F32(a) if contiguous => Storage::F32(map_row_major(a, |x| act_f32::forward(act, x))),
            Storage::F32(a) => {
                let mask = vector_mask(&self.shape(), &[&self.strides()], VEC_LOOP_F32);
                Storage::F32(map_row_major(a, |x| act_f32::forward_masked(act, x, &mask)))
            }
            s => map_f(s, f),
        };
        let x = super::ops::saved(self);
        // The saved copy is contiguous; ATen's backward loop follows the input's own layout.
        let x_strides = self.strides();
        Ok(record(out, grad_fn, &[self], true, move |g, _| {
            if let (Storage::F32(xa), Storage::F32(ga)) = (&*x.storage(), &*g.storage())
                && xa.shape() == ga.shape()
            {
                let gr = super::ops::row_major(ga);
                let out = if contiguous && g.is_contiguous() {
                    map_row_major(xa, |xs| act_f32::backward(act, &gr, xs))
                } else {
                    let mask = vector_mask(&x.shape(), &[&g.strides(), &x_strides], VEC_LOOP_F32);
                    map_row_major(xa, |xs| act_f32::backward_masked(act, &gr, xs, &mask))
                };
                return Ok(vec![Some(Tensor::from_storage(Storage::F32(out)))]);
            }
            let d = Tensor::from_storage(map_f(&x.storage(), &df));
            Ok(vec![Some(g.mul(&d)?)])
        }))
    }

    /// `F.silu(x)`: `x * sigmoid(x)` (SiluBackward0).
    pub fn silu(&self) -> Result<Tensor> {
        self.activation_f32("silu_cpu", "SiluBackward0", Act::Silu, |x| x * sigmoid_f(x), |x| {
            let s = sigmoid_f(x);
            s * (1.0 + x * (1.0 - s))
        })
    }

    /// `F.elu(x, alpha)`: `x` above zero, `alpha * (exp(x) - 1)` at or below (EluBackward0).
    pub fn elu(&self, alpha: f64) -> Result<Tensor> {
        self.activation_f32(
            "elu_cpu",
            "EluBackward0",
            Act::Elu(alpha as f32),
            move |x| if x > 0.0 { x } else { alpha * x.exp_m1() },
            move |x| if x > 0.0 { 1.0 } else { alpha * x.exp() },
        )
    }

    /// `F.selu(x)`: `scale * x` above zero, `scale * alpha * (exp(x) - 1)` at or below, with
    /// PyTorch's constants (EluBackward0, as PyTorch's own selu records).
    pub fn selu(&self) -> Result<Tensor> {
        const ALPHA: f64 = 1.673_263_242_354_377_3;
        const SCALE: f64 = 1.050_700_987_355_480_5;
        self.activation(
            "elu_cpu",
            "EluBackward0",
            move |x| if x > 0.0 { SCALE * x } else { ALPHA * SCALE * x.exp_m1() },
            move |x| if x > 0.0 { SCALE } else { ALPHA * SCALE * x.exp() },
        )
    }

    /// `F.celu(x, alpha)`: `x` above zero, `alpha * (exp(x / alpha) - 1)` at or below
    /// (EluBackward0, as PyTorch's celu records).
    pub fn celu(&self, alpha: f64) -> Result<Tensor> {
        self.activation(
            "elu_cpu",
            "EluBackward0",
            move |x| if x > 0.0 { x } else { alpha * (x / alpha).exp_m1() },
            move |x| if x > 0.0 { 1.0 } else { (x / alpha).exp() },
        )
    }

    /// `F.softplus(x, beta, threshold)`: `log1p(exp(beta x)) / beta`, linear once `beta x`
    /// exceeds the threshold (SoftplusBackward0).
    pub fn softplus(&self, beta: f64, threshold: f64) -> Result<Tensor> {
        let act = Act::Softplus(beta as f32, threshold as f32);
        self.activation_f32("softplus_cpu", "SoftplusBackward0", act, move |x| softplus_f(x, beta, threshold), move |x| {
            if x * beta > threshold {
                1.0
            } else {
                let z = (x * beta).exp();
                z / (z + 1.0)
            }
        })
    }

    /// `F.mish(x)`: `x * tanh(softplus(x))` (MishBackward0).
    pub fn mish(&self) -> Result<Tensor> {
        self.activation("mish_cpu", "MishBackward0", |x| x * x.exp().ln_1p().tanh(), |x| {
            let t = x.exp().ln_1p().tanh();
            t + x * sigmoid_f(x) * (1.0 - t * t)
        })
    }

    /// `F.hardtanh(x, min, max)`: a clamp whose gradient is zero at and beyond the bounds
    /// (HardtanhBackward0). Integer tensors stay integer.
    pub fn hardtanh(&self, min: f64, max: f64) -> Result<Tensor> {
        let out = match &*self.storage() {
            Storage::I64(a) => Storage::I64(a.mapv(|x| x.max(min as i64).min(max as i64))),
            Storage::Bool(_) => {
                return Err(TensorError::NotImplemented { msg: "\"hardtanh_cpu\" not implemented for 'Bool'".into() });
            }
            s => map_f(s, |x| if x.is_nan() { x } else { x.max(min).min(max) }),
        };
        let x = super::ops::saved(self);
        Ok(record(out, "HardtanhBackward0", &[self], true, move |g, _| {
            let inside = Tensor::from_storage(map_f(&x.storage(), |v| if v <= min || v >= max { 0.0 } else { 1.0 }));
            Ok(vec![Some(g.mul(&inside)?)])
        }))
    }

    /// `F.gelu(x, approximate='none'|'tanh')` (GeluBackward0).
    pub fn gelu(&self, tanh: bool) -> Result<Tensor> {
        float_only(self, "GeluKernelImpl")?;
        // PyTorch hands exact GELU of a contiguous float32 tensor of two or more elements to
        // oneDNN (forward, and backward when the input is so), gelu_f32.rs.
        let onednn = !tanh && self.dtype() == DType::Float32 && self.is_contiguous() && self.numel() > 1;
        let out = match &*self.storage() {
            Storage::F32(a) if onednn => Storage::F32(map_row_major(a, gelu_f32::gelu_erf_slice)),
            // Otherwise ATen's GeluKernel: vector steps or the scalar loop, by layout.
            Storage::F32(a) if !tanh => {
                let mask = vector_mask(&self.shape(), &[&self.strides()], VEC_LOOP_F32);
                Storage::F32(map_row_major(a, |xs| xs.iter().zip(&mask).map(|(&v, &m)| gelu_f32::aten_gelu(v, m)).collect()))
            }
            s => map_f(s, |x| gelu_f(x, tanh)),
        };
        let x = super::ops::saved(self);
        // The saved copy is contiguous; ATen's backward loop follows the input's own layout.
        let x_strides = self.strides();
        Ok(record(out, "GeluBackward0", &[self], true, move |g, _| {
            if onednn
                && let (Storage::F32(xa), Storage::F32(ga)) = (&*x.storage(), &*g.storage())
                && xa.shape() == ga.shape()
            {
                let gr = super::ops::row_major(ga);
                let out = map_row_major(xa, |xs| gelu_f32::gelu_erf_backward_slice(xs, &gr));
                return Ok(vec![Some(Tensor::from_storage(Storage::F32(out)))]);
            }
            if !tanh
                && let (Storage::F32(xa), Storage::F32(ga)) = (&*x.storage(), &*g.storage())
                && xa.shape() == ga.shape()
            {
                let mask = vector_mask(&x.shape(), &[&g.strides(), &x_strides], VEC_LOOP_F32);
                let gr = super::ops::row_major(ga);
                let out = map_row_major(xa, |xs| {
                    xs.iter().zip(gr.iter()).zip(&mask).map(|((&v, &d), &m)| gelu_f32::aten_gelu_backward(v, d, m)).collect()
                });
                return Ok(vec![Some(Tensor::from_storage(Storage::F32(out)))]);
            }
            let d = Tensor::from_storage(map_f(&x.storage(), |v| gelu_grad(v, tanh)));
            Ok(vec![Some(g.mul(&d)?)])
        }))
    }

    /// `F.leaky_relu(x, negative_slope)`: `x > 0 ? x : x * slope` (LeakyReluBackward0).
    pub fn leaky_relu(&self, slope: f64) -> Result<Tensor> {
        float_only(self, "leaky_relu_cpu")?;
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::F32(a.mapv(|x| if x > 0.0 { x } else { x * slope as f32 })),
            Storage::F64(a) => Storage::F64(a.mapv(|x| if x > 0.0 { x } else { x * slope })),
            s => s.clone(),
        };
        let x = super::ops::saved(self);
        Ok(record(out, "LeakyReluBackward0", &[self], true, move |g, _| {
            let keep = x.gt_scalar(Scalar::Int(0))?;
            let scaled = g.mul_scalar(Scalar::Float(slope))?;
            Ok(vec![Some(Tensor::where_(&keep, g, &scaled)?)])
        }))
    }

    fn rounding(&self, name: &'static str, f: fn(f64) -> f64) -> Result<Tensor> {
        let out = match &*self.storage() {
            s @ (Storage::I64(_) | Storage::Bool(_)) => s.clone(),
            s => map_f(s, f),
        };
        Ok(record(out, name, &[self], false, |g, _| Ok(vec![Some(g.zeros_like())])))
    }

    /// `torch.floor` (FloorBackward0: zero gradient).
    pub fn floor(&self) -> Result<Tensor> {
        self.rounding("FloorBackward0", f64::floor)
    }

    /// `torch.ceil` (CeilBackward0).
    pub fn ceil(&self) -> Result<Tensor> {
        self.rounding("CeilBackward0", f64::ceil)
    }

    /// `torch.round`: half to even, like `nearbyint` (RoundBackward0).
    pub fn round(&self) -> Result<Tensor> {
        self.rounding("RoundBackward0", f64::round_ties_even)
    }

    /// `torch.isnan`: a bool tensor.
    pub fn isnan(&self) -> Tensor {
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::Bool(a.mapv(f32::is_nan)),
            Storage::F64(a) => Storage::Bool(a.mapv(f64::is_nan)),
            s => Storage::Bool(ndarray::ArrayD::from_elem(ndarray::IxDyn(&s.shape()), false)),
        };
        Tensor::from_storage(out)
    }

    /// `a | b` on bool tensors (`logical_or` for other dtypes' truthiness).
    pub fn logical_or(&self, o: &Tensor) -> Result<Tensor> {
        let (a, b) = (self.storage().cast(DType::Bool), o.storage().cast(DType::Bool));
        let shape = broadcast_shapes(&a.shape(), &b.shape())?;
        match (&a, &b) {
            (Storage::Bool(x), Storage::Bool(y)) => Ok(Tensor::from_storage(Storage::Bool(zip_map(x, y, &shape, |p, q| p || q)?))),
            _ => Err(TensorError::runtime("internal dtype mismatch")),
        }
    }

    /// `t % s`: Python's modulo, with the sign of the divisor (RemainderBackward0).
    pub fn remainder_scalar(&self, s: Scalar) -> Result<Tensor> {
        let out = match (&*self.storage(), s) {
            (Storage::I64(a), Scalar::Int(b)) => {
                if b == 0 {
                    return Err(TensorError::runtime("ZeroDivisionError"));
                }
                Storage::I64(a.mapv(|x| {
                    let r = x.wrapping_rem(b);
                    if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r }
                }))
            }
            (st, s) => {
                let b = match s {
                    Scalar::Float(f) => f,
                    Scalar::Int(i) => i as f64,
                    Scalar::Bool(v) => f64::from(u8::from(v)),
                };
                let st = if st.dtype() == DType::Int64 || st.dtype() == DType::Bool { st.cast(DType::Float32) } else { st.clone() };
                match st {
                    Storage::F32(a) => {
                        let b = b as f32;
                        Storage::F32(a.mapv(|x| super::binary_more::float_rem(x, b)))
                    }
                    Storage::F64(a) => Storage::F64(a.mapv(|x| super::binary_more::float_rem(x, b))),
                    other => other,
                }
            }
        };
        Ok(record(out, "RemainderBackward0", &[self], false, |g, _| Ok(vec![Some(g.clone())])))
    }
}
