//! `beta * input + alpha * product` for `addmm`, `addmv`, `addr`, `baddbmm` and `addbmm`
//! with their `beta`/`alpha`, rounded where PyTorch's kernels round (probed against PyTorch
//! 2.15, float32):
//! - `addmm` where MKL starts each output's sum from the bias (addmm_order.rs): MKL scales `C`
//!   by `beta` and `A` by `alpha` first and then runs the usual sum from `beta c`, adding
//!   `(alpha a_k) b_k` term by term; elsewhere it rounds the product first, `alpha * s + beta *
//!   c` (no fused multiply-add). MKL's fused kernel for large float32 products and dgemm place `alpha`
//!   differently (docs/divergences.md).
//! - `addr`: ATen's kernel, `input * beta + (alpha * v1) * v2` with its fused multiply-adds
//!   ([`addr_fused`]).
//! - `addmv`, and `baddbmm` below ATen's 400 multiply-adds per output matrix: `input * beta +
//!   alpha * product`; larger `baddbmm`s are one scaled `addmm` per batch.
//! - `addbmm`: ATen's loop, one `addmm_` per batch, `beta` on the first only.
//!
//! A `beta` of 0 ignores the input (NaNs in it do not propagate), as PyTorch's kernels do.
//! Gradients follow PyTorch's formulas: each scaled by `beta` or `alpha` only when it is not 1.

use super::autograd::attach;
use super::{DType, Result, Scalar, Tensor, TensorError, no_grad};

/// Which product `alpha` scales.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Product {
    /// `addmm`: 2-D `a @ b`.
    Mm,
    /// `addmv`: matrix times vector.
    Mv,
    /// `addr`: the outer product of two vectors.
    Outer,
    /// `baddbmm`: batched products.
    Bmm,
    /// `addbmm`: batched products summed over the batch.
    BatchSum,
}

fn is_one(s: Scalar) -> bool {
    matches!(s, Scalar::Int(1) | Scalar::Bool(true)) || matches!(s, Scalar::Float(f) if f == 1.0)
}

fn is_zero(s: Scalar) -> bool {
    matches!(s, Scalar::Int(0) | Scalar::Bool(false)) || matches!(s, Scalar::Float(f) if f == 0.0)
}

/// PyTorch's `maybe_multiply`: `t * s`, or `t` itself when `s` is 1.
fn times(t: Tensor, s: Scalar) -> Result<Tensor> {
    if is_one(s) { Ok(t) } else { t.mul_scalar(s) }
}

fn outer(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    a.unsqueeze(1)?.mul(&b.unsqueeze(0)?)
}

/// `beta * input + alpha * mm(a, b)` by MKL's rounding (see the module's comment).
fn addmm_value(
    input: &Tensor,
    a: &Tensor,
    b: &Tensor,
    beta: Scalar,
    alpha: Scalar,
) -> Result<Tensor> {
    let (sa, sb) = (a.shape(), b.shape());
    if sa.len() != 2 || sb.len() != 2 {
        return Err(TensorError::runtime("addmm expects 2-D matrices"));
    }
    let dtype = a.dtype();
    let b_transposed = b
        .matrix_source()
        .is_some_and(|(_, _, rs, cs)| rs == 1 && cs > 1);
    let (m, n) = (sa[0], sb[1]);
    if dtype == DType::Float32
        && super::addmm_order::starts_from_bias(b_transposed, dtype, m, sa[1], n)
    {
        let c = if is_zero(beta) {
            Tensor::zeros(&[m, n], dtype)
        } else {
            input.mul_scalar(beta)?
        };
        return Tensor::addmm(&c, &a.mul_scalar(alpha)?, b);
    }
    let p = times(a.mm(b)?, alpha)?;
    if is_zero(beta) {
        Ok(p)
    } else {
        input.mul_scalar(beta)?.add(&p)
    }
}

/// ATen's `addr` kernel over a float input of the result's own shape, whose rows its AVX2
/// loop takes in blocks of two vectors (16 float32 or 8 float64 lanes) with one fused
/// multiply-add, `fma(alpha v1, v2, input beta)`, and whose scalar tail computes
/// `fma(input, beta, (alpha v1) v2)` (probed, float32 and float64). None when another path
/// applies (a zero `beta`, a broadcast input, integers).
fn addr_fused(
    input: &Tensor,
    a: &Tensor,
    b: &Tensor,
    beta: Scalar,
    alpha: Scalar,
) -> Result<Option<Tensor>> {
    let dtype = input.dtype();
    let (m, n) = (a.numel(), b.numel());
    if is_zero(beta)
        || input.shape() != [m, n]
        || a.dtype() != dtype
        || b.dtype() != dtype
        || a.dim() != 1
        || b.dim() != 1
    {
        return Ok(None);
    }
    let (bf, af) = (scalar_f64(beta), scalar_f64(alpha));
    let (c, x, y) = (input.to_f64_vec(), a.to_f64_vec(), b.to_f64_vec());
    let data = match dtype {
        DType::Float32 => {
            let (bf, af) = (bf as f32, af as f32);
            let block = (n / 16) * 16;
            let mut out = Vec::with_capacity(m * n);
            for i in 0..m {
                let av = af * x[i] as f32;
                for j in 0..n {
                    let (cij, yj) = (c[i * n + j] as f32, y[j] as f32);
                    out.push(if j < block {
                        av.mul_add(yj, cij * bf)
                    } else {
                        cij.mul_add(bf, av * yj)
                    });
                }
            }
            super::Data::F32(out)
        }
        DType::Float64 => {
            let block = (n / 8) * 8;
            let mut out = Vec::with_capacity(m * n);
            for i in 0..m {
                let av = af * x[i];
                for j in 0..n {
                    let cij = c[i * n + j];
                    out.push(if j < block {
                        av.mul_add(y[j], cij * bf)
                    } else {
                        cij.mul_add(bf, av * y[j])
                    });
                }
            }
            super::Data::F64(out)
        }
        _ => return Ok(None),
    };
    Ok(Some(Tensor::from_data(data, &[m, n])?))
}

fn scalar_f64(s: Scalar) -> f64 {
    match s {
        Scalar::Bool(b) => f64::from(u8::from(b)),
        Scalar::Int(i) => i as f64,
        Scalar::Float(f) => f,
    }
}

/// PyTorch's error for an input that does not broadcast to the product's shape.
fn check_input(input: &Tensor, out: &Tensor) -> Result<()> {
    let (si, so) = (input.shape(), out.shape());
    if si.len() > so.len() {
        return Err(TensorError::runtime(format!(
            "The number of sizes provided ({}) must be greater or equal to the number of dimensions in the tensor ({})",
            so.len(),
            si.len()
        )));
    }
    let off = so.len() - si.len();
    for (i, &d) in si.iter().enumerate().rev() {
        if d != 1 && d != so[off + i] {
            return Err(TensorError::runtime(format!(
                "The expanded size of the tensor ({}) must match the existing size ({d}) at non-singleton dimension {}.  Target sizes: {so:?}.  Tensor sizes: {si:?}",
                so[off + i],
                off + i
            )));
        }
    }
    Ok(())
}

impl Tensor {
    /// `beta * input + alpha * product(a, b)` with its backward node (`AddmmBackward0`, ...).
    pub fn add_scaled_product(
        kind: Product,
        input: &Tensor,
        a: &Tensor,
        b: &Tensor,
        beta: Scalar,
        alpha: Scalar,
    ) -> Result<Tensor> {
        if kind == Product::Mm && is_one(beta) && is_one(alpha) {
            // The plain op, which also notes its saved tensors for `_saved_*` and the hooks.
            return Tensor::addmm(input, a, b);
        }
        let value = no_grad(|| -> Result<Tensor> {
            let out = match kind {
                Product::Mm => addmm_value(input, a, b, beta, alpha)?,
                Product::Mv => {
                    let p = times(a.mv(b)?, alpha)?;
                    if is_zero(beta) {
                        p
                    } else {
                        input.mul_scalar(beta)?.add(&p)?
                    }
                }
                Product::Outer => match addr_fused(input, a, b, beta, alpha)? {
                    Some(out) => out,
                    None => {
                        let p = outer(&times(a.clone(), alpha)?, b)?;
                        if is_zero(beta) {
                            p
                        } else {
                            input.mul_scalar(beta)?.add(&p)?
                        }
                    }
                },
                Product::Bmm => {
                    let (sa, sb) = (a.shape(), b.shape());
                    if sa.len() == 3 && sb.len() == 3 && sa[2] * sa[1] * sb[2] >= 400 {
                        // ATen's large products: one scaled `addmm` per batch.
                        let c = input.expand(&[sa[0], sa[1], sb[2]])?;
                        let mut outs = Vec::with_capacity(sa[0]);
                        for i in 0..sa[0] {
                            let i = i as i64;
                            outs.push(addmm_value(
                                &c.select(0, i)?,
                                &a.select(0, i)?,
                                &b.select(0, i)?,
                                beta,
                                alpha,
                            )?);
                        }
                        Tensor::stack(&outs, 0)?
                    } else {
                        // ATen's small-product kernel: `c * beta + alpha * sum`.
                        let p = times(a.bmm(b)?, alpha)?;
                        if is_zero(beta) {
                            p
                        } else {
                            input.mul_scalar(beta)?.add(&p)?
                        }
                    }
                }
                Product::BatchSum => {
                    let (sa, sb) = (a.shape(), b.shape());
                    if sa.len() != 3 || sb.len() != 3 {
                        return Err(TensorError::runtime("batch1 must be a 3D tensor"));
                    }
                    let (m, n) = (sa[1], sb[2]);
                    let mut acc = input.clone();
                    if sa[0] == 0 {
                        acc = if is_zero(beta) {
                            Tensor::zeros(&[m, n], a.dtype())
                        } else {
                            input.expand(&[m, n])?.mul_scalar(beta)?
                        };
                    }
                    // ATen: `addmm_(batch1[i], batch2[i], beta, alpha)` with beta 1 after the first.
                    for i in 0..sa[0] {
                        let (x, w) = (a.select(0, i as i64)?, b.select(0, i as i64)?);
                        acc = addmm_value(
                            &acc,
                            &x,
                            &w,
                            if i == 0 { beta } else { Scalar::Int(1) },
                            alpha,
                        )?;
                    }
                    acc
                }
            };
            check_input(input, &out)?;
            Ok(out)
        })?;
        let (name, inputs): (&'static str, [&Tensor; 3]) = match kind {
            Product::Mm => ("AddmmBackward0", [input, a, b]),
            Product::Mv => ("AddmvBackward0", [input, a, b]),
            Product::Outer => ("AddrBackward0", [input, a, b]),
            Product::Bmm => ("BaddbmmBackward0", [input, a, b]),
            Product::BatchSum => ("AddbmmBackward0", [input, a, b]),
        };
        let (xs, ws, shape) = (a.snapshot(), b.snapshot(), input.shape());
        Ok(attach(value, name, &inputs, true, move |g, need| {
            let gi = if need[0] {
                let g0 = if is_zero(beta) {
                    g.mul_scalar(Scalar::Int(0))?
                } else {
                    times(g.clone(), beta)?
                };
                Some(g0.sum_to_shape(&shape)?)
            } else {
                None
            };
            let (ga, gb) = match kind {
                Product::Mm => (
                    if need[1] {
                        Some(times(g.mm(&ws.t()?)?, alpha)?)
                    } else {
                        None
                    },
                    if need[2] {
                        Some(times(super::ops::mat2_grad(&xs, g, &ws)?, alpha)?)
                    } else {
                        None
                    },
                ),
                Product::Mv => (
                    if need[1] {
                        Some(times(outer(g, &ws)?, alpha)?)
                    } else {
                        None
                    },
                    if need[2] {
                        Some(times(xs.t()?.mv(g)?, alpha)?)
                    } else {
                        None
                    },
                ),
                Product::Outer => (
                    if need[1] {
                        Some(times(g.mv(&ws)?, alpha)?)
                    } else {
                        None
                    },
                    if need[2] {
                        Some(times(g.t()?.mv(&xs)?, alpha)?)
                    } else {
                        None
                    },
                ),
                Product::Bmm => (
                    if need[1] {
                        Some(times(g.bmm(&ws.transpose(1, 2)?)?, alpha)?)
                    } else {
                        None
                    },
                    if need[2] {
                        Some(times(xs.transpose(1, 2)?.bmm(g)?, alpha)?)
                    } else {
                        None
                    },
                ),
                Product::BatchSum => {
                    let bsz = xs.shape()[0];
                    let gs = g.shape();
                    let ge = g.unsqueeze(0)?.expand(&[bsz, gs[0], gs[1]])?;
                    (
                        if need[1] {
                            Some(times(ge.bmm(&ws.transpose(1, 2)?)?, alpha)?)
                        } else {
                            None
                        },
                        if need[2] {
                            Some(times(xs.transpose(1, 2)?.bmm(&ge)?, alpha)?)
                        } else {
                            None
                        },
                    )
                }
            };
            Ok(vec![gi, ga, gb])
        }))
    }
}
