//! float32 `sqrt` as MKL VML's `vsSqrt` computes it on the oracle machine (AMD EPYC), bit for bit.
//!
//! MKL is closed source; the algorithm was found by exhaustive sweeps against `torch.sqrt` (see
//! docs/divergences-differential.md, "MKL vsSqrt"). On this CPU MKL takes its SSE path, with no
//! FMA: the 12-bit hardware estimate `r = rsqrtps(x)`, then one Goldschmidt step and one residual
//! correction, every product and sum rounded to float32. The unfused residual `x - y*y` is what
//! leaves the result 1 ulp off the correctly rounded root on ~17% of inputs. The estimate is the
//! CPU's own (AMD's `rsqrtps` differs from Intel's), so it is read from a table recorded on the
//! oracle machine (vml_sqrt_table.rs); where the host CPU's `rsqrtps` agrees with that table, the
//! instruction itself is used, four lanes at a time.

use super::dtype::DType;
use super::storage::Storage;
use super::vml_sqrt_table::RSQRT12;
use super::{Result, Tensor};
use ndarray::ArrayD;

/// Bits of the smallest normal float: MKL returns the correctly rounded root below it (zero,
/// subnormals), and for negative inputs (NaN, `-0` kept).
const FAST_LO: u32 = 0x0080_0000;
/// From this input up (`3.40199e38` to inf, and NaN) MKL's result is the correctly rounded root
/// again: the step's `y*y` would come too close to overflow.
const FAST_END: u32 = 0x7f7f_f000;

#[inline(always)]
fn in_fast_range(bits: u32) -> bool {
    bits.wrapping_sub(FAST_LO) < FAST_END - FAST_LO
}

/// The oracle CPU's `rsqrtps(x)` for a normal positive `x`: it depends only on the exponent's
/// parity and the 12 leading mantissa bits, and `rsqrt(4x) = rsqrt(x)/2` exactly.
#[inline(always)]
pub fn rsqrt12(bits: u32) -> f32 {
    let e = (bits >> 23) as i32 - 127;
    let j = (((e & 1) as usize) << 12) | ((bits >> 11) & 0xfff) as usize;
    // x = 4^k * m with m in [1, 4), so rsqrt(x) = 2^-k * rsqrt(m), and rsqrt(m) has exponent 126.
    let k = e.div_euclid(2);
    f32::from_bits((((126 - k) as u32) << 23) | (u32::from(RSQRT12[j]) << 11))
}

/// MKL's refinement of the estimate `r`, in its order (Rust never fuses these into FMAs).
#[inline(always)]
fn refine(x: f32, r: f32) -> f32 {
    let y = x * r;
    let h = 0.5 * r;
    let e = 0.5 - y * h;
    let y = y + y * e;
    let h = h + h * e;
    let d = x - y * y;
    y + d * h
}

/// `vsSqrt` of one float32.
pub fn sqrt_f32(x: f32) -> f32 {
    let bits = x.to_bits();
    if !in_fast_range(bits) {
        return x.sqrt();
    }
    refine(x, rsqrt12(bits))
}

/// `vsSqrt` over a slice: the same values as [`sqrt_f32`] on each element.
pub fn sqrt_f32_slice(xs: &[f32]) -> Vec<f32> {
    let mut out: Vec<f32> = Vec::with_capacity(xs.len());
    sqrt_into(xs, &mut out.spare_capacity_mut()[..xs.len()]);
    // SAFETY: `sqrt_into` wrote each of the first `xs.len()` slots.
    unsafe { out.set_len(xs.len()) };
    out
}

/// `vsSqrt` of `xs` into `out` (of `xs`'s length), for callers that reuse a buffer.
pub fn sqrt_f32_block(xs: &[f32], out: &mut [f32]) {
    let out = &mut out[..xs.len()];
    // SAFETY: `MaybeUninit<f32>` has `f32`'s layout, and only initialised floats are written.
    let dst = unsafe { &mut *(out as *mut [f32] as *mut [std::mem::MaybeUninit<f32>]) };
    sqrt_into(xs, dst);
}

/// Writes every slot of `dst` (of `xs`'s length).
fn sqrt_into(xs: &[f32], dst: &mut [std::mem::MaybeUninit<f32>]) {
    #[cfg(target_arch = "x86_64")]
    if host_rsqrt_matches() {
        return simd::sqrt_into(xs, dst);
    }
    for (o, &x) in dst.iter_mut().zip(xs) {
        o.write(sqrt_f32(x));
    }
}

/// Whether this CPU's `rsqrtps` is the table's (checked once): then the instruction can stand in
/// for the lookup. Both ends of every 2^11-input block of both parities are compared, which is
/// where a different estimate (Intel's, say) would show.
/// Whether this CPU's `rsqrtps` (SSE and AVX forms) is the table's, checked once: then the
/// instruction can stand in for the lookup. Both ends of every 2^11-input block of both parities
/// are compared, which is where a different estimate (Intel's, say) would show.
#[cfg(target_arch = "x86_64")]
fn host_rsqrt_matches() -> bool {
    static MATCHES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MATCHES.get_or_init(|| {
        let avx = std::is_x86_feature_detected!("avx");
        (0..8192u32).all(|j| {
            [
                0x3f80_0000 + (j << 11),
                0x3f80_0000 + (j << 11) + 0x7ff,
                0x0080_0000 + (j << 11),
            ]
            .iter()
            .all(|&b| {
                let want = rsqrt12(b).to_bits();
                let x = f32::from_bits(b);
                // SAFETY: the AVX form runs only where the CPU has AVX.
                simd::rsqrt_sse(x).to_bits() == want
                    && (!avx || unsafe { simd::rsqrt_avx(x) }.to_bits() == want)
            })
        })
    })
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    pub(super) fn rsqrt_sse(x: f32) -> f32 {
        // SAFETY: SSE is part of the x86-64 baseline.
        unsafe { _mm_cvtss_f32(_mm_rsqrt_ps(_mm_set1_ps(x))) }
    }

    #[target_feature(enable = "avx")]
    pub(super) fn rsqrt_avx(x: f32) -> f32 {
        _mm256_cvtss_f32(_mm256_rsqrt_ps(_mm256_set1_ps(x)))
    }

    /// [`super::refine`] with the hardware estimate, eight lanes at a time on AVX, four on SSE;
    /// a step with an input outside MKL's fast range goes through the scalar path.
    pub(super) fn sqrt_into(xs: &[f32], dst: &mut [std::mem::MaybeUninit<f32>]) {
        let dst = &mut dst[..xs.len()];
        let done = if std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX.
            unsafe { avx_steps(xs, dst) }
        } else {
            0
        };
        let done = done + sse_steps(&xs[done..], &mut dst[done..]);
        for (o, &x) in dst[done..].iter_mut().zip(&xs[done..]) {
            o.write(super::sqrt_f32(x));
        }
    }

    /// Elements handled (whole steps of eight).
    #[target_feature(enable = "avx")]
    fn avx_steps(xs: &[f32], dst: &mut [std::mem::MaybeUninit<f32>]) -> usize {
        let n = xs.len() - xs.len() % 8;
        let mut buf = [0.0f32; 8];
        for i in (0..n).step_by(8) {
            let src = &xs[i..i + 8];
            // SAFETY: `src` and `buf` hold eight floats.
            let x = unsafe { _mm256_loadu_ps(src.as_ptr()) };
            if !src.iter().all(|x| super::in_fast_range(x.to_bits())) {
                for (o, &x) in dst[i..i + 8].iter_mut().zip(src) {
                    o.write(super::sqrt_f32(x));
                }
                continue;
            }
            let r = _mm256_rsqrt_ps(x);
            let y = _mm256_mul_ps(x, r);
            let h = _mm256_mul_ps(_mm256_set1_ps(0.5), r);
            let e = _mm256_sub_ps(_mm256_set1_ps(0.5), _mm256_mul_ps(y, h));
            let y = _mm256_add_ps(y, _mm256_mul_ps(y, e));
            let h = _mm256_add_ps(h, _mm256_mul_ps(h, e));
            let d = _mm256_sub_ps(x, _mm256_mul_ps(y, y));
            // SAFETY: `buf` holds eight floats.
            unsafe { _mm256_storeu_ps(buf.as_mut_ptr(), _mm256_add_ps(y, _mm256_mul_ps(d, h))) };
            for (o, &v) in dst[i..i + 8].iter_mut().zip(&buf) {
                o.write(v);
            }
        }
        n
    }

    /// Elements handled (whole steps of four).
    fn sse_steps(xs: &[f32], dst: &mut [std::mem::MaybeUninit<f32>]) -> usize {
        let n = xs.len() - xs.len() % 4;
        let mut buf = [0.0f32; 4];
        for i in (0..n).step_by(4) {
            let src = &xs[i..i + 4];
            if !src.iter().all(|x| super::in_fast_range(x.to_bits())) {
                for (o, &x) in dst[i..i + 4].iter_mut().zip(src) {
                    o.write(super::sqrt_f32(x));
                }
                continue;
            }
            // SAFETY: SSE is part of the x86-64 baseline; `src` and `buf` hold four floats.
            unsafe {
                let x = _mm_loadu_ps(src.as_ptr());
                let r = _mm_rsqrt_ps(x);
                let y = _mm_mul_ps(x, r);
                let h = _mm_mul_ps(_mm_set1_ps(0.5), r);
                let e = _mm_sub_ps(_mm_set1_ps(0.5), _mm_mul_ps(y, h));
                let y = _mm_add_ps(y, _mm_mul_ps(y, e));
                let h = _mm_add_ps(h, _mm_mul_ps(h, e));
                let d = _mm_sub_ps(x, _mm_mul_ps(y, y));
                _mm_storeu_ps(buf.as_mut_ptr(), _mm_add_ps(y, _mm_mul_ps(d, h)));
            }
            for (o, &v) in dst[i..i + 4].iter_mut().zip(&buf) {
                o.write(v);
            }
        }
        n
    }
}

/// `torch.sqrt` of a storage: float32 (and integers, promoted to it) through `vsSqrt` in any
/// layout, float64 IEEE.
pub(crate) fn sqrt_storage(s: &Storage) -> Storage {
    match s {
        Storage::F64(a) => Storage::F64(a.mapv(f64::sqrt)),
        Storage::F32(a) => Storage::F32(sqrt_array(a)),
        other => match other.cast(DType::Float32) {
            Storage::F32(a) => Storage::F32(sqrt_array(&a)),
            x => x,
        },
    }
}

impl Tensor {
    /// The correctly rounded square root, as ATen's norm kernels take it (`std::sqrt`), unlike
    /// float32 `torch.sqrt`.
    pub fn sqrt_ieee(&self) -> Result<Tensor> {
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::F32(a.mapv(f32::sqrt)),
            Storage::F64(a) => Storage::F64(a.mapv(f64::sqrt)),
            other => match other.cast(DType::Float32) {
                Storage::F32(a) => Storage::F32(a.mapv(f32::sqrt)),
                x => x,
            },
        };
        self.sqrt_of(out)
    }
}

fn sqrt_array(a: &ArrayD<f32>) -> ArrayD<f32> {
    super::storage::map_row_major(a, sqrt_f32_slice)
}

/// `sqrt` as PyTorch's elementwise kernels take it: float32 through MKL's `vsSqrt`, float64
/// IEEE (for the op closures generic over the float type).
pub trait VmlSqrt {
    fn vml_sqrt(self) -> Self;
}

impl VmlSqrt for f32 {
    fn vml_sqrt(self) -> f32 {
        sqrt_f32(self)
    }
}

impl VmlSqrt for f64 {
    fn vml_sqrt(self) -> f64 {
        self.sqrt()
    }
}
