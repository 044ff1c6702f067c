//! Binary ops with ATen's own element formulas that the plain `BinOp` table does not cover:
//! `add(a, b, alpha=)` (one fused multiply-add per element) and `remainder(a, b)` with a
//! tensor divisor (`fmod`, then the divisor added when the signs differ).

use super::autograd::record;
use super::ops::{Rhs, promote};
use super::storage::{Storage, broadcast_shapes, zip_map};
use super::{DType, Result, Scalar, Tensor, TensorError};

impl Tensor {
    /// `torch.add(a, b, alpha=alpha)` (AddBackward0). ATen's vectorised kernel is
    /// `fmadd(b, alpha, a)`, and its scalar tail `a + alpha * b` is contracted to the same FMA
    /// by the compiler, so every element is rounded once; `alpha` is first rounded to the
    /// result's dtype (its `opmath` type).
    pub fn add_alpha(&self, o: &Tensor, alpha: f64) -> Result<Tensor> {
        let dtype = promote(self, Rhs::T(o));
        let (a, b) = (self.storage().cast(dtype), o.storage().cast(dtype));
        let shape = broadcast_shapes(&a.shape(), &b.shape())?;
        let out = match (&a, &b) {
            (Storage::F32(x), Storage::F32(y)) => {
                let al = alpha as f32;
                Storage::F32(zip_map(x, y, &shape, |p, q| q.mul_add(al, p))?)
            }
            (Storage::F64(x), Storage::F64(y)) => {
                Storage::F64(zip_map(x, y, &shape, |p, q| q.mul_add(alpha, p))?)
            }
            (Storage::I64(x), Storage::I64(y)) if alpha.fract() == 0.0 => {
                let al = alpha as i64;
                Storage::I64(zip_map(x, y, &shape, |p, q| {
                    p.wrapping_add(al.wrapping_mul(q))
                })?)
            }
            _ => {
                return Err(TensorError::runtime(
                    "For integral input tensors, argument alpha must not be a floating point number.",
                ));
            }
        };
        Ok(record(
            out,
            "AddBackward0",
            &[self, o],
            false,
            move |g, n| {
                Ok(vec![
                    Some(g.clone()),
                    if n[1] {
                        Some(g.mul_scalar(Scalar::Float(alpha))?)
                    } else {
                        None
                    },
                ])
            },
        ))
    }

    /// `torch.remainder(a, b)` for a tensor `b` (RemainderBackward0): Python's modulo, with the
    /// sign of the divisor. Floats take ATen's `fmod(a, b)`, plus `b` when the remainder is
    /// non-zero and its sign differs from `b`'s; `fmod` is exact, so both of ATen's paths
    /// (vectorised and scalar) give these bits.
    pub fn remainder(&self, o: &Tensor) -> Result<Tensor> {
        let mut dtype = promote(self, Rhs::T(o));
        if dtype == DType::Bool {
            dtype = DType::Int64;
        }
        let (a, b) = (self.storage().cast(dtype), o.storage().cast(dtype));
        let shape = broadcast_shapes(&a.shape(), &b.shape())?;
        let out = match (&a, &b) {
            (Storage::F32(x), Storage::F32(y)) => Storage::F32(zip_map(x, y, &shape, float_rem)?),
            (Storage::F64(x), Storage::F64(y)) => Storage::F64(zip_map(x, y, &shape, float_rem)?),
            (Storage::I64(x), Storage::I64(y)) => {
                if y.iter().any(|&q| q == 0) {
                    return Err(TensorError::runtime("ZeroDivisionError"));
                }
                Storage::I64(zip_map(x, y, &shape, |p, q| {
                    let r = p.wrapping_rem(q);
                    if r != 0 && ((r < 0) != (q < 0)) {
                        r + q
                    } else {
                        r
                    }
                })?)
            }
            _ => return Err(TensorError::runtime("remainder: unsupported dtype")),
        };
        let (sa, sb) = (super::ops::saved(self), super::ops::saved(o));
        Ok(record(
            out,
            "RemainderBackward0",
            &[self, o],
            true,
            move |g, n| {
                // d/db = -g * floor(a / b), as ATen's formula.
                let gb = if n[1] {
                    Some(g.neg()?.mul(&sa.div(&sb)?.floor()?)?)
                } else {
                    None
                };
                Ok(vec![Some(g.clone()), gb])
            },
        ))
    }
}

/// ATen's floating `remainder`: `fmod(a, b)` (exact), plus `b` where the remainder is non-zero
/// and its sign differs from `b`'s (so `-2 % 2` is `-0.`); for tensor and number divisors alike.
pub(super) fn float_rem<T: num_traits::Float>(a: T, b: T) -> T {
    let m = a % b;
    if m != T::zero() && ((b < T::zero()) != (m < T::zero())) { m + b } else { m }
}
