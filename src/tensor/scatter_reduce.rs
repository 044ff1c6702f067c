//! `scatter_reduce(dim, index, src, reduce, include_self)` with the reductions "sum", "prod",
//! "mean", "amax" and "amin": ATen's CPU loop visits the index in row-major order and combines
//! each source element into its destination one at a time; "mean" then divides the sums by the
//! counts (floor division for integers). The backward follows ATen's `scatter_reduce_backward`
//! formulas (gradients shared evenly among tied maxima; products divided out, with single
//! zeros handled by recomputing the product without them).

use super::autograd::record;
use super::select::{flat_storage, same_coords, scatter_positions};
use super::storage::Storage;
use super::tensor::norm_dim;
use super::view::flat;
use super::{DType, Result, Scalar, Tensor, TensorError};
use ndarray::ArrayD;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reduce {
    Sum,
    Prod,
    Mean,
    Amax,
    Amin,
}

impl Reduce {
    /// The reduction named by `reduce=`, or PyTorch's error for another name.
    pub fn parse(name: &str) -> Result<Reduce> {
        Ok(match name {
            "sum" => Reduce::Sum,
            "prod" => Reduce::Prod,
            "mean" => Reduce::Mean,
            // ATen's reduce-name parser also takes the legacy `max`/`min`.
            "amax" | "max" => Reduce::Amax,
            "amin" | "min" => Reduce::Amin,
            _ => {
                return Err(TensorError::runtime(format!(
                    "reduce argument must be either sum, prod, mean, amax or amin, got {name}"
                )));
            }
        })
    }
}

/// The element operations a reduction needs, for each storage type.
trait Elem: Copy + PartialOrd {
    const ZERO: Self;
    const ONE: Self;
    const LOWEST: Self;
    const HIGHEST: Self;
    fn add(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn is_nan(self) -> bool;
    fn from_count(n: u32) -> Self;
    /// `self / n` as ATen's `div_` (true division) or `div_(…, "floor")` for integers.
    fn div_count(self, n: Self) -> Self;
}

macro_rules! float_elem {
    ($t:ty) => {
        impl Elem for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const LOWEST: Self = <$t>::NEG_INFINITY;
            const HIGHEST: Self = <$t>::INFINITY;
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            fn from_count(n: u32) -> Self {
                n as $t
            }
            fn div_count(self, n: Self) -> Self {
                self / n
            }
        }
    };
}
float_elem!(f32);
float_elem!(f64);

impl Elem for i64 {
    const ZERO: Self = 0;
    const ONE: Self = 1;
    const LOWEST: Self = i64::MIN;
    const HIGHEST: Self = i64::MAX;
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    fn mul(self, o: Self) -> Self {
        self.wrapping_mul(o)
    }
    fn is_nan(self) -> bool {
        false
    }
    fn from_count(n: u32) -> Self {
        n as i64
    }
    fn div_count(self, n: Self) -> Self {
        // Counts are positive, so Euclidean division is floor division.
        if n == 0 { 0 } else { self.div_euclid(n) }
    }
}

/// The reduced values and, per destination, how many values met there (self included).
fn reduce_into<T: Elem>(
    base: &ArrayD<T>,
    src: &ArrayD<T>,
    pos: &[usize],
    spos: &[usize],
    r: Reduce,
    include_self: bool,
) -> (Vec<T>, Vec<u32>) {
    let mut out: Vec<T> = base.as_standard_layout().iter().copied().collect();
    let sv: Vec<T> = src.as_standard_layout().iter().copied().collect();
    let mut count = vec![1u32; out.len()];
    if !include_self {
        let identity = match r {
            Reduce::Sum | Reduce::Mean => T::ZERO,
            Reduce::Prod => T::ONE,
            Reduce::Amax => T::LOWEST,
            Reduce::Amin => T::HIGHEST,
        };
        for &p in pos {
            out[p] = identity;
            count[p] = 0;
        }
    }
    for (&p, &q) in pos.iter().zip(spos) {
        let (a, b) = (out[p], sv[q]);
        out[p] = match r {
            Reduce::Sum | Reduce::Mean => a.add(b),
            Reduce::Prod => a.mul(b),
            // std::max / std::min with a NaN source propagated, as ATen's reduce functors.
            Reduce::Amax if b.is_nan() => b,
            Reduce::Amax => {
                if a < b {
                    b
                } else {
                    a
                }
            }
            Reduce::Amin if b.is_nan() => b,
            Reduce::Amin => {
                if b < a {
                    b
                } else {
                    a
                }
            }
        };
        count[p] += 1;
    }
    if r == Reduce::Mean {
        for (o, &c) in out.iter_mut().zip(&count) {
            *o = o.div_count(T::from_count(c.max(1)));
        }
    }
    (out, count)
}

impl Tensor {
    /// `scatter_reduce(dim, index, src, reduce, include_self=True)` (ScatterReduceBackward0).
    pub fn scatter_reduce(
        &self,
        dim: isize,
        index: &Tensor,
        src: &Tensor,
        r: Reduce,
        include_self: bool,
    ) -> Result<Tensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        if src.dtype() != self.dtype() {
            return Err(TensorError::runtime(
                "scatter(): Expected self.dtype to be equal to src.dtype",
            ));
        }
        let pos = scatter_positions(&shape, d, index, "scatter_reduce")?;
        let ishape = index.shape();
        let sshape = src.shape();
        let spos = same_coords(&ishape, &sshape);
        let (out, count) = match (&flat_storage(self), &flat_storage(src)) {
            (Storage::F32(b), Storage::F32(s)) => {
                let (o, c) = reduce_into(b, s, &pos, &spos, r, include_self);
                (
                    Storage::F32(
                        ArrayD::from_shape_vec(b.raw_dim(), o)
                            .map_err(|e| TensorError::runtime(e.to_string()))?,
                    ),
                    c,
                )
            }
            (Storage::F64(b), Storage::F64(s)) => {
                let (o, c) = reduce_into(b, s, &pos, &spos, r, include_self);
                (
                    Storage::F64(
                        ArrayD::from_shape_vec(b.raw_dim(), o)
                            .map_err(|e| TensorError::runtime(e.to_string()))?,
                    ),
                    c,
                )
            }
            (Storage::I64(b), Storage::I64(s)) => {
                let (o, c) = reduce_into(b, s, &pos, &spos, r, include_self);
                (
                    Storage::I64(
                        ArrayD::from_shape_vec(b.raw_dim(), o)
                            .map_err(|e| TensorError::runtime(e.to_string()))?,
                    ),
                    c,
                )
            }
            _ => {
                return Err(TensorError::NotImplemented {
                    msg: "\"scatter_reduce\" not implemented for 'Bool'".into(),
                });
            }
        };
        let result = Tensor::from_storage(out.clone());
        let me = self.detach();
        let sv = src.detach();
        let index = index.clone();
        let dtype = self.dtype();
        Ok(record(
            out,
            "ScatterReduceBackward0",
            &[self, src],
            false,
            move |g, need| {
                let dimi = d as isize;
                let touched = || -> Result<Tensor> {
                    let t = Storage::full(&shape, Scalar::Bool(false), DType::Bool);
                    let ones = Storage::full(&[pos.len()], Scalar::Bool(true), DType::Bool);
                    Ok(Tensor::from_storage(flat::put(&t, &pos, &ones)?))
                };
                let (mut gself, gsrc) = match r {
                    Reduce::Sum => (g.clone(), g.gather(dimi, &index)?),
                    Reduce::Mean => {
                        let n: Vec<f64> = count.iter().map(|&c| c.max(1) as f64).collect();
                        let n = Tensor::from_storage(
                            Storage::F64(
                                ArrayD::from_shape_vec(ndarray::IxDyn(&shape), n)
                                    .map_err(|e| TensorError::runtime(e.to_string()))?,
                            )
                            .cast(g.dtype()),
                        );
                        let gn = g.div(&n)?;
                        (gn.clone(), gn.gather(dimi, &index)?)
                    }
                    Reduce::Amax | Reduce::Amin => {
                        let value = result.gather(dimi, &index)?;
                        // Self's ties count even without include_self, as in ATen's formula
                        // (its share is then dropped with the rest of self's gradient below).
                        let self_is = me.eq(&result)?.to_dtype(dtype)?;
                        let src_is = sv.eq(&value)?.to_dtype(dtype)?;
                        let n = self_is.scatter_add(dimi, &index, &src_is)?;
                        let gd = g.div(&n)?;
                        (self_is.mul(&gd)?, src_is.mul(&gd.gather(dimi, &index)?)?)
                    }
                    Reduce::Prod => {
                        // The product without this tensor's zeros, divided by its own factor.
                        let self_zero = me.eq_scalar(Scalar::Int(0))?;
                        let masked_self = me.masked_fill(&self_zero, Scalar::Int(1))?;
                        let masked_result =
                            masked_self.scatter_reduce(dimi, &index, &sv, r, include_self)?;
                        let gself = g.mul(&masked_result)?.div(&masked_self)?;
                        let src_zero = sv.eq_scalar(Scalar::Int(0))?;
                        let zeros = Tensor::zeros(&shape, dtype);
                        let nz = zeros
                            .scatter_add(dimi, &index, &src_zero.to_dtype(dtype)?)?
                            .gather(dimi, &index)?;
                        let single = src_zero.logical_and(&nz.eq_scalar(Scalar::Int(1))?)?;
                        let masked_src = sv.masked_fill(&single, Scalar::Int(1))?;
                        let masked_src_result =
                            me.scatter_reduce(dimi, &index, &masked_src, r, include_self)?;
                        let with_zero = g.mul(&masked_src_result)?.gather(dimi, &index)?;
                        let plain = g
                            .mul(&result)?
                            .gather(dimi, &index)?
                            .div(&sv.masked_fill(&src_zero, Scalar::Int(1))?)?;
                        (gself, Tensor::where_(&single, &with_zero, &plain)?)
                    }
                };
                if !include_self {
                    gself = gself.masked_fill(&touched()?, Scalar::Int(0))?;
                }
                Ok(vec![need[0].then_some(gself), need[1].then_some(gsrc)])
            },
        ))
    }
}
