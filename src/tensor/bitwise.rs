//! Bitwise operations on integer and bool tensors: `bitwise_and`/`or`/`xor`/`not` and the
//! shifts (`&`, `|`, `^`, `~`, `<<`, `>>`). ATen has no kernel for floating dtypes (a
//! NotImplementedError naming the kernel); integer results are computed on the promoted dtype's
//! wide array and narrowed again, which wraps as the narrow C types do.

use super::ops::{Rhs, promote};
use super::storage::{Storage, broadcast_shapes, zip_map};
use super::{DType, Result, Scalar, Tensor, TensorError};

/// A bitwise binary operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Shl,
    Shr,
}

impl BitOp {
    /// ATen's CPU kernel name, as its "not implemented" message gives it.
    fn kernel(self) -> &'static str {
        match self {
            BitOp::And => "bitwise_and_cpu",
            BitOp::Or => "bitwise_or_cpu",
            BitOp::Xor => "bitwise_xor_cpu",
            BitOp::Shl => "lshift_cpu",
            BitOp::Shr => "rshift_cpu",
        }
    }

    fn int(self, a: i64, b: i64) -> i64 {
        match self {
            BitOp::And => a & b,
            BitOp::Or => a | b,
            BitOp::Xor => a ^ b,
            // ATen: a shift by a negative amount or by the type's width or more gives 0 (left)
            // or the sign fill (right). Narrow types wrap when narrowed afterwards, which is
            // what shifting in their own width gives below that width.
            BitOp::Shl => {
                if (0..64).contains(&b) {
                    ((a as u64) << b) as i64
                } else {
                    0
                }
            }
            BitOp::Shr => {
                if (0..64).contains(&b) {
                    a >> b
                } else if a < 0 {
                    -1
                } else {
                    0
                }
            }
        }
    }

    fn bool(self, a: bool, b: bool) -> Option<bool> {
        match self {
            BitOp::And => Some(a & b),
            BitOp::Or => Some(a | b),
            BitOp::Xor => Some(a ^ b),
            BitOp::Shl | BitOp::Shr => None,
        }
    }
}

fn not_implemented(kernel: &str, dtype: DType) -> TensorError {
    TensorError::NotImplemented {
        msg: format!("\"{kernel}\" not implemented for '{}'", dtype.scalar_name()),
    }
}

impl Tensor {
    /// `self op other` for a tensor or Python-number `other`, in the promoted dtype;
    /// `reflected` puts `other` on the left (`1 << t`).
    pub(crate) fn bitwise(&self, other: Rhs, op: BitOp, reflected: bool) -> Result<Tensor> {
        let f = move |p: i64, q: i64| {
            if reflected {
                op.int(q, p)
            } else {
                op.int(p, q)
            }
        };
        let dtype = promote(self, other);
        if dtype.is_floating_point() {
            return Err(not_implemented(op.kernel(), dtype));
        }
        let b = match other {
            Rhs::T(t) => t.storage().cast(dtype),
            Rhs::S(s) => Storage::full(&[], s, dtype),
        };
        let a = self.storage().cast(dtype);
        let shape = broadcast_shapes(&a.shape(), &b.shape())?;
        let out = match (&a, &b) {
            (Storage::Bool(x), Storage::Bool(y)) => {
                // ATen has no shift kernel for bool (`m << 1` shifts the promoted int64).
                if op.bool(false, false).is_none() {
                    return Err(not_implemented(op.kernel(), DType::Bool));
                }
                Storage::Bool(zip_map(x, y, &shape, |p, q| {
                    op.bool(p, q).unwrap_or(false)
                })?)
            }
            (Storage::I64(x), Storage::I64(y)) => Storage::I64(zip_map(x, y, &shape, f)?),
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        };
        Ok(Tensor::from_storage_as(out, dtype))
    }

    /// `~self` / `bitwise_not`: logical not for bool, one's complement for integers.
    pub fn bitwise_not(&self) -> Result<Tensor> {
        let dtype = self.dtype();
        if dtype.is_floating_point() {
            return Err(not_implemented("bitwise_not_cpu", dtype));
        }
        let out = match &*self.storage() {
            Storage::Bool(a) => Storage::Bool(a.mapv(|x| !x)),
            Storage::I64(a) => Storage::I64(a.mapv(|x| !x)),
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        };
        Ok(Tensor::from_storage_as(out, dtype))
    }

    /// `self op s` for a Python number `s` (`t & 1`, `t << 2`), or `s op self` when
    /// `reflected`.
    pub fn bitwise_scalar(&self, s: Scalar, op: BitOp, reflected: bool) -> Result<Tensor> {
        self.bitwise(Rhs::S(s), op, reflected)
    }

    /// `self op other` for a tensor `other`.
    pub fn bitwise_tensor(&self, other: &Tensor, op: BitOp) -> Result<Tensor> {
        self.bitwise(Rhs::T(other), op, false)
    }
}
