//! Range factories (`arange`, `linspace`, `logspace`) with the arithmetic of PyTorch's CPU kernels.
//!
//! The AVX2 kernels (RangeFactoriesKernel.cpp, built with GCC's `-ffp-contract=fast`) fuse
//! each `a + b*c` into one FMA; `logspace` lives in RangeFactories.cpp, built for baseline
//! x86-64, so it rounds the product and the sum separately. `arange` goes through
//! `cpu_serial_kernel_vec`: whole blocks of two vectors are filled by `Vectorized::arange`
//! from a base rounded to the output dtype, the rest by the scalar formula.

use ndarray::{ArrayD, IxDyn};

use super::storage::Storage;
use super::{DType, Result, Scalar, Tensor, TensorError};

/// Lanes of one vector of float32 (a double vector holds half as many). The range kernels
/// run their AVX2 build on AVX512 machines too (probed: 8-lane blocks fit, 16-lane ones do not).
const F32_LANES: usize = 8;

fn vec1(v: Vec<f32>) -> Storage {
    Storage::F32(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).expect("1-d"))
}

fn vec1_f64(v: Vec<f64>) -> Storage {
    Storage::F64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).expect("1-d"))
}

fn vec1_i64(v: Vec<i64>) -> Storage {
    Storage::I64(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).expect("1-d"))
}

/// `Scalar::to<int64_t>()`: floats truncate toward zero.
fn to_i64(s: Scalar) -> i64 {
    s.as_i64()
}

/// C++'s double-to-integer conversion (truncation; out-of-range values saturate here, where
/// C++ leaves them undefined).
fn trunc_i64(x: f64) -> i64 {
    x as i64
}

/// Fills `n` elements the way `cpu_serial_kernel_vec` does for a contiguous output: blocks of
/// two vectors of `lanes` elements from `vec_base(i)` (lane k: `lane(base, k)`), then the
/// remaining elements from `scalar(i)`.
fn serial_vec<T: Copy>(n: usize, lanes: usize, vec_base: impl Fn(usize) -> T, lane: impl Fn(T, usize) -> T, scalar: impl Fn(usize) -> T) -> Vec<T> {
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while i + 2 * lanes <= n {
        for v in 0..2 {
            let base = vec_base(i + v * lanes);
            out.extend((0..lanes).map(|k| lane(base, k)));
        }
        i += 2 * lanes;
    }
    out.extend((i..n).map(scalar));
    out
}

/// Narrow dtypes are handled before the per-dtype match (they compute as their wide type).
fn unreachable_narrow<T>(dtype: DType) -> Result<T> {
    Err(TensorError::unsupported(format!("range factory for {dtype} (computed through its wide type)")))
}

impl Tensor {
    /// `torch.arange(start, end, step)`. Integer arguments give int64, any float gives float32
    /// (or `dtype` when given). Floating outputs compute in double (the accumulate type):
    /// `start + step*i` fused; inside a vector block lane k is `base + k*step` from the block's
    /// base rounded to the output dtype.
    pub fn arange(start: Scalar, end: Scalar, step: Scalar, dtype: Option<DType>) -> Result<Tensor> {
        let all_int = [start, end, step].iter().all(|s| !matches!(s, Scalar::Float(_)));
        let dtype = dtype.unwrap_or(if all_int { DType::Int64 } else { DType::Float32 });
        if dtype.is_narrow() {
            // int32/int16/int8/uint8 and float16/bfloat16: computed as their wide storage type
            // (int64, float32), then narrowed as PyTorch narrows the accumulate type.
            let t = Self::arange(start, end, step, Some(dtype.wide()))?;
            return Ok(Tensor::from_storage_as((*t.storage()).clone(), dtype));
        }
        let (a, b, st) = (start.as_f64(), end.as_f64(), step.as_f64());
        if dtype == DType::Int64 {
            let (a, b, st) = (to_i64(start), to_i64(end), to_i64(step));
            if st == 0 {
                return Err(TensorError::runtime("step must be nonzero"));
            }
            if (st > 0 && b < a) || (st < 0 && b > a) {
                return Err(TensorError::runtime("upper bound and larger bound inconsistent with step sign"));
            }
            // The size comes from the arguments as given (`arange(0, 5.5, dtype=int64)` has 6
            // elements); all-integer arguments use exact integer arithmetic.
            let n = if all_int {
                let sgn = st.signum();
                b.wrapping_sub(a).wrapping_add(st).wrapping_sub(sgn) / st
            } else {
                ((end.as_f64() - start.as_f64()) / step.as_f64()).ceil() as i64
            };
            let n = n.max(0) as usize;
            super::check_size(&[n])?;
            return Ok(Tensor::from_storage(vec1_i64((0..n).map(|i| a.wrapping_add(st.wrapping_mul(i as i64))).collect())));
        }
        if st == 0.0 {
            return Err(TensorError::runtime("step must be nonzero"));
        }
        if !(a.is_finite() && b.is_finite()) {
            return Err(TensorError::runtime("unsupported range: ".to_string() + &format!("{a} -> {b}")));
        }
        if (st > 0.0 && b < a) || (st < 0.0 && b > a) {
            return Err(TensorError::runtime("upper bound and larger bound inconsistent with step sign"));
        }
        let n = ((b - a) / st).ceil().max(0.0) as usize;
        super::check_size(&[n])?;
        let at = |i: usize| st.mul_add(i as f64, a);
        let s = match dtype {
            DType::Float32 => vec1(serial_vec(
                n,
                F32_LANES,
                |i| at(i) as f32,
                // Vectorized<float>::arange(float base, double step): lane k is
                // `base + k*step` in double, product and sum each rounded, then rounded to float.
                |base, k| if k == 0 { base } else { (f64::from(base) + k as f64 * st) as f32 },
                |i| at(i) as f32,
            )),
            // Vectorized<double>::arange: lane k is one FMA `base + k*step`.
            DType::Float64 => vec1_f64(serial_vec(n, F32_LANES / 2, at, |base, k| (k as f64).mul_add(st, base), at)),
            _ => Storage::F64(ArrayD::from_shape_fn(IxDyn(&[n]), |i| at(i[0]))).cast(dtype),
        };
        Ok(Tensor::from_storage(s))
    }

    /// `torch.linspace(start, end, steps)`: the first half counts up from `start`, the second
    /// half down from `end` (`end - step*(steps-1-i)`), each one FMA in the output dtype
    /// (double for integer outputs, then truncated).
    pub fn linspace(start: Scalar, end: Scalar, steps: usize, dtype: DType) -> Result<Tensor> {
        if dtype.is_narrow() {
            // int32/int16/int8/uint8 and float16/bfloat16: computed as their wide storage type
            // (int64, float32), then narrowed as PyTorch narrows the accumulate type.
            let t = Self::linspace(start, end, steps, dtype.wide())?;
            return Ok(Tensor::from_storage_as((*t.storage()).clone(), dtype));
        }
        super::check_size(&[steps])?;
        let half = steps / 2;
        let out = match dtype {
            DType::Float32 => {
                let (a, b) = (start.as_f64() as f32, end.as_f64() as f32);
                if steps == 1 {
                    return Ok(Tensor::from_storage(vec1(vec![a])));
                }
                let step = (b - a) / (steps - 1) as f32;
                vec1(
                    (0..steps)
                        .map(|i| if i < half { step.mul_add(i as f32, a) } else { (-step).mul_add((steps - i - 1) as f32, b) })
                        .collect(),
                )
            }
            DType::Float64 => {
                let (a, b) = (start.as_f64(), end.as_f64());
                if steps == 1 {
                    return Ok(Tensor::from_storage(vec1_f64(vec![a])));
                }
                let step = (b - a) / (steps - 1) as f64;
                vec1_f64(
                    (0..steps)
                        .map(|i| if i < half { step.mul_add(i as f64, a) } else { (-step).mul_add((steps - i - 1) as f64, b) })
                        .collect(),
                )
            }
            DType::Int64 => {
                let (a, b) = (to_i64(start), to_i64(end));
                if steps == 1 {
                    return Ok(Tensor::from_storage(vec1_i64(vec![a])));
                }
                let (af, bf) = (a as f64, b as f64);
                let step = (bf - af) / (steps - 1) as f64;
                vec1_i64(
                    (0..steps)
                        .map(|i| trunc_i64(if i < half { step.mul_add(i as f64, af) } else { (-step).mul_add((steps - i - 1) as f64, bf) }))
                        .collect(),
                )
            }
            DType::Bool => return Err(TensorError::runtime("\"linspace_cpu\" not implemented for 'Bool'")),
            _ => unreachable_narrow(dtype)?,
        };
        Ok(Tensor::from_storage(out))
    }

    /// `torch.logspace(start, end, steps, base)`: `pow(base, e)` in double over exponents from
    /// the same two halves as `linspace`, with the step in double from `end - start` taken in
    /// the output dtype, and no fusion (RangeFactories.cpp is built for baseline x86-64).
    pub fn logspace(start: Scalar, end: Scalar, steps: usize, base: f64, dtype: DType) -> Result<Tensor> {
        if dtype.is_narrow() {
            // int32/int16/int8/uint8 and float16/bfloat16: computed as their wide storage type
            // (int64, float32), then narrowed as PyTorch narrows the accumulate type.
            let t = Self::logspace(start, end, steps, base, dtype.wide())?;
            return Ok(Tensor::from_storage_as((*t.storage()).clone(), dtype));
        }
        super::check_size(&[steps])?;
        let half = steps / 2;
        // Exponents in double, from the endpoints as the output dtype holds them.
        let (a, b, diff) = match dtype {
            DType::Float32 => {
                let (a, b) = (start.as_f64() as f32, end.as_f64() as f32);
                (f64::from(a), f64::from(b), f64::from(b - a))
            }
            DType::Float64 => (start.as_f64(), end.as_f64(), end.as_f64() - start.as_f64()),
            DType::Int64 => {
                let (a, b) = (to_i64(start), to_i64(end));
                (a as f64, b as f64, b.wrapping_sub(a) as f64)
            }
            DType::Bool => return Err(TensorError::runtime("\"logspace_cpu\" not implemented for 'Bool'")),
            _ => unreachable_narrow(dtype)?,
        };
        let values: Vec<f64> = match steps {
            0 => vec![],
            1 => vec![base.powf(start.as_f64())],
            _ => {
                let step = diff / (steps - 1) as f64;
                (0..steps).map(|i| base.powf(if i < half { a + step * i as f64 } else { b - step * (steps - i - 1) as f64 })).collect()
            }
        };
        let s = match dtype {
            DType::Int64 => vec1_i64(values.into_iter().map(trunc_i64).collect()),
            _ => vec1_f64(values).cast(dtype),
        };
        Ok(Tensor::from_storage(s))
    }
}
