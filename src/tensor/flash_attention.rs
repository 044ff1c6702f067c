//! `scaled_dot_product_attention` on PyTorch's CPU flash-attention path (ATen's
//! `cpu_flash_attention`): when PyTorch takes it, and its blocked online softmax bit for bit.
//!
//! The kernel splits the queries into blocks of 32, 64 or 256 rows (by the query length: under
//! 192, under 768, from 768 on) and the keys into blocks of 512. Per query block and key block:
//! `q @ kᵀ` by sgemm (MKL, whose orders `kernels` reproduces), scaled (with a mask: scaled and
//! the mask added in one FMA), the row max, `exp(x - max)` with ATen's `exp_u20` on whole
//! 16-float vectors (AVX512) and the double `exp` rounded on the rest, summed in 16 lanes folded by
//! halves and then the rest in order; the running sum and the accumulator rescaled by
//! `exp(old_max - max)`, then `p @ v` by sgemm into the accumulator (beta = 1 after the first
//! key block); finally each row times `1 / sum`. The blocks of `q @ kᵀ` and of the accumulator
//! live in a per-thread scratch buffer, whose address decides where MKL peels (peel_order.rs):
//! the work is shared between `torch.get_num_threads()` threads as `at::parallel_for` shares
//! it (threads.rs).

use super::kernels::{self, Float, Mat};
use super::storage::Storage;
use super::{DType, Result, Scalar, Tensor, TensorError};

/// Whether PyTorch's CPU SDPA takes the flash kernel for these inputs (sdp_utils_cpp.cpp's
/// `use_flash_attention_cpp`; probed with `torch._fused_sdp_choice`): float inputs of 3 or 4
/// dims with one dtype, no dropout, equal batch sizes and head counts, one head size, a last
/// dim of stride 1, nonempty sequences, and a mask (if any) of 2 or 4 dims that broadcasts
/// over batch, heads, queries and keys. The caller also requires that no gradient is needed
/// (the flash backward is not modelled; the math path computes both then).
pub(crate) fn applies(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    dropout_p: f64,
) -> bool {
    q.dtype() == DType::Float32 && fits(q, k, v, mask, dropout_p, false)
}

/// Whether PyTorch's CPU dispatch would pick the flash kernel, for any of its dtypes (float32,
/// float64, bfloat16, float16) and, with `enable_gqa`, fewer key and value heads than query
/// heads (a divisor): what `sdpa_kernel(SDPBackend.FLASH_ATTENTION)` accepts (sdp_backends.rs).
pub(crate) fn fits(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    dropout_p: f64,
    gqa: bool,
) -> bool {
    let dt = q.dtype();
    let float = matches!(dt, DType::Float32 | DType::Float64 | DType::BFloat16 | DType::Float16);
    if !float || k.dtype() != dt || v.dtype() != dt || dropout_p > 0.0 {
        return false;
    }
    let d = q.dim();
    if !(d == 3 || d == 4) || k.dim() != d || v.dim() != d {
        return false;
    }
    let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
    // Batch and heads equal (no broadcasting), or with `enable_gqa` key and value heads that
    // divide the query's (lessonrun's own flash kernel leaves that case to the math path).
    let heads_ok = qs[..d - 2] == ks[..d - 2]
        || (gqa && d == 4 && qs[0] == ks[0] && ks[1] > 0 && qs[1] % ks[1] == 0);
    if !heads_ok || ks[..d - 2] != vs[..d - 2] || ks[d - 2] != vs[d - 2] {
        return false;
    }
    if qs[d - 1] != ks[d - 1] || qs[d - 1] != vs[d - 1] || qs[d - 2] == 0 || ks[d - 2] == 0 {
        return false;
    }
    if [q, k, v].iter().any(|t| t.strides()[d - 1] != 1) {
        return false;
    }
    match mask {
        None => true,
        Some(m) => mask_fits(m, &qs, ks[d - 2], dt),
    }
}

/// sdp_utils' `check_attn_mask_shape`: the mask's last two dims are the query and key lengths
/// or 1; it has 2 dims, or 4 whose first two are 1 or the batch size and head count (probed
/// with `torch._fused_sdp_choice`; a 4-dim mask with 3-dim inputs is left to the math path).
fn mask_fits(m: &Tensor, qs: &[usize], s: usize, dt: DType) -> bool {
    let mdt = m.dtype();
    if !(matches!(mdt, DType::Bool | DType::Float32 | DType::Float64) || mdt == dt) || m.requires_grad() {
        return false;
    }
    let (ms, d) = (m.shape(), qs.len());
    let md = ms.len();
    if md < 2
        || (ms[md - 2] != qs[d - 2] && ms[md - 2] != 1)
        || (ms[md - 1] != s && ms[md - 1] != 1)
    {
        return false;
    }
    match (md, d) {
        (2, _) => true,
        (4, 4) => (ms[0] == 1 || ms[0] == qs[0]) && (ms[1] == 1 || ms[1] == qs[1]),
        _ => false,
    }
}

/// The query and key block sizes `cpu_flash_attention` is instantiated with for a query length.
pub fn split_sizes(l: usize) -> (usize, usize) {
    let q_split = if l >= 768 {
        256
    } else if l >= 192 {
        64
    } else {
        32
    };
    (q_split, 512)
}

/// `F.scaled_dot_product_attention` on the flash path, for inputs where [`applies`]. A boolean
/// mask keeps where True (ATen turns it into 0 / -inf first); `scale` defaults to 1/√E.
pub(crate) fn flash_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    mask: Option<&Tensor>,
    is_causal: bool,
    scale: Option<f64>,
) -> Result<Tensor> {
    let three = q.dim() == 3;
    let up = |t: &Tensor| if three { t.unsqueeze(0) } else { Ok(t.clone()) };
    let (q4, k4, v4) = (up(q)?, up(k)?, up(v)?);
    let qs = q4.shape();
    let (b, h, l, e) = (qs[0], qs[1], qs[2], qs[3]);
    let s = k4.shape()[2];
    let scale = scale.unwrap_or(1.0 / (e as f64).sqrt());
    // The mask as float32, broadcast to (batch, heads, queries, keys) and laid out densely.
    let mask = match mask {
        None => None,
        Some(m) => {
            let m = if m.dtype() == DType::Bool {
                Tensor::zeros(&m.shape(), DType::Float32)
                    .masked_fill(&m.logical_not(), Scalar::Float(f64::NEG_INFINITY))?
            } else {
                m.to_dtype(DType::Float32)?
            };
            let m = if m.dim() == 2 {
                m.unsqueeze(0)?.unsqueeze(0)?
            } else {
                m
            };
            Some(m.expand(&[b, h, l, s])?.contiguous())
        }
    };
    let mask_data = match &mask {
        Some(m) => Some(f32_data(m)?),
        None => None,
    };
    let (qb, kb, vb) = (Operand::of(&q4)?, Operand::of(&k4)?, Operand::of(&v4)?);
    let dims = Dims { b, h, l, s, e };
    let out = forward_f32(
        &qb,
        &kb,
        &vb,
        mask_data.as_deref(),
        dims,
        is_causal,
        scale as f32,
    );
    // PyTorch's output is (batch, queries, heads, E) in memory, seen as (batch, heads, ...).
    let o = Tensor::from_storage(Storage::F32(
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[b, l, h, e]), out)
            .map_err(|e| TensorError::runtime(e.to_string()))?,
    ))
    .transpose(1, 2)?;
    if three { o.squeeze(Some(0)) } else { Ok(o) }
}

fn f32_data(t: &Tensor) -> Result<Vec<f32>> {
    match &*t.contiguous().storage() {
        Storage::F32(a) => Ok(a.iter().copied().collect()),
        _ => Err(TensorError::runtime("flash attention: expected float32")),
    }
}

/// A 4-dim operand read in place: its buffer, where its first element sits, and its strides
/// (batch, heads, rows, 1), as MKL sees the pointers ATen passes it.
struct Operand {
    data: std::rc::Rc<Storage>,
    offset: usize,
    strides: [usize; 3],
}

impl Operand {
    fn of(t: &Tensor) -> Result<Operand> {
        let (data, layout) = t.buffer();
        let contiguous_root = matches!(&*data, Storage::F32(a) if a.as_slice().is_some());
        if contiguous_root {
            let st = &layout.strides;
            return Ok(Operand {
                data,
                offset: layout.offset,
                strides: [st[0], st[1], st[2]],
            });
        }
        // A buffer not in standard order: read a dense copy (its addresses then start at 0).
        let c = t.contiguous();
        let st = c.strides();
        Ok(Operand {
            data: c.storage(),
            offset: 0,
            strides: [st[0], st[1], st[2]],
        })
    }

    fn slice(&self) -> &[f32] {
        match &*self.data {
            Storage::F32(a) => a.as_slice().unwrap_or(&[]),
            _ => &[],
        }
    }

    /// Element offset of row `row` of head `(bi, hi)`.
    fn at(&self, bi: usize, hi: usize, row: usize) -> usize {
        self.offset + bi * self.strides[0] + hi * self.strides[1] + row * self.strides[2]
    }
}

#[derive(Clone, Copy)]
struct Dims {
    b: usize,
    h: usize,
    l: usize,
    s: usize,
    e: usize,
}

fn forward_f32(
    q: &Operand,
    k: &Operand,
    v: &Operand,
    mask: Option<&[f32]>,
    d: Dims,
    causal: bool,
    scale: f32,
) -> Vec<f32> {
    let Dims { b, h, l, s, e } = d;
    let (q_split, kv_split) = split_sizes(l);
    let q_split = q_split.min(l);
    let kv_split = kv_split.min(s);
    let q_slices = l.div_ceil(q_split);
    // Per-thread scratch: qk (q_split x kv_split), the row maxima, the row sums, the
    // accumulator (q_split x E); thread t's starts t * per_thread floats into one buffer.
    let per_thread = q_split * kv_split + 2 * q_split + q_split * e;
    let dst_at = q_split * kv_split + 2 * q_split;
    let items = b * h * q_slices;
    let threads = super::threads::num_threads();
    let chunk = super::threads::chunks(items, 1, threads)
        .first()
        .map_or(items.max(1), |r| r.len().max(1));
    // Inside the parallel loop (2+ items and threads) each sgemm runs on one thread; a single
    // item runs outside it, where MKL shares a product's rows between the threads.
    let mkl_threads = items == 1 && threads > 1;
    let (qd, kd, vd) = (q.slice(), k.slice(), v.slice());
    let mut out = vec![0f32; b * l * h * e];
    let mut maxes = vec![0f32; q_split];
    let mut sums = vec![0f32; q_split];
    let mut dst = vec![0f32; q_split * e];
    let exp_row = exp_sum_fn();
    for z in 0..items {
        if super::interrupt::should_stop() {
            break;
        }
        let base = (z / chunk) * per_thread;
        let (bi, hi, kq) = (z / (h * q_slices), (z / q_slices) % h, z % q_slices);
        let m = kq * q_split;
        let q_rows = q_split.min(l - m);
        maxes[..q_rows].fill(f32::NEG_INFINITY);
        sums[..q_rows].fill(0.0);
        let num_keys = if causal { (m + q_rows).min(s) } else { s };
        let qa = q.at(bi, hi, m);
        let a = Mat {
            data: &qd[qa..],
            rs: q.strides[2],
            cs: 1,
            start: qa,
        };
        let mut n = 0;
        while n < num_keys {
            let kv_rows = kv_split.min(s - n);
            let ka = k.at(bi, hi, n);
            let kt = Mat {
                data: &kd[ka..],
                rs: 1,
                cs: k.strides[2],
                start: ka,
            };
            let mut qk = kernels::matmul_mat_at(a, kt, q_rows, e, kv_rows, mkl_threads, base);
            if causal && num_keys - n <= kv_split {
                for row in 0..q_rows {
                    let first = (m + row + 1).saturating_sub(n).min(kv_rows);
                    qk[row * kv_rows + first..(row + 1) * kv_rows].fill(f32::NEG_INFINITY);
                }
            }
            for row in 0..q_rows {
                let r = &mut qk[row * kv_rows..(row + 1) * kv_rows];
                let row_max = match mask {
                    Some(md) => {
                        let mo = ((bi * h + hi) * l + m + row) * s + n;
                        // `qk * scale + mask`, which GCC contracts into one FMA (probed).
                        for (x, &mv) in r.iter_mut().zip(&md[mo..mo + kv_rows]) {
                            *x = x.mul_add(scale, mv);
                        }
                        r.iter().fold(f32::NEG_INFINITY, |acc, &x| nan_max(acc, x))
                    }
                    None => {
                        r.iter_mut().for_each(|x| *x *= scale);
                        r.iter().fold(f32::NEG_INFINITY, |acc, &x| nan_max(acc, x))
                    }
                };
                let old = maxes[row];
                let new_max = if old > row_max { old } else { row_max };
                if new_max == f32::NEG_INFINITY {
                    r.fill(0.0);
                    continue;
                }
                let block_sum = exp_row(r, new_max);
                let rescale = exp_rounded(old - new_max);
                // `sum + rescale * old_sum`, contracted into one FMA too (probed: 600 and 1100
                // keys differ in 2-14% of the outputs when rounded twice).
                sums[row] = rescale.mul_add(sums[row], block_sum);
                maxes[row] = new_max;
                if n > 0 {
                    dst[row * e..(row + 1) * e]
                        .iter_mut()
                        .for_each(|x| *x *= rescale);
                }
            }
            let p = Mat {
                data: &qk,
                rs: kv_rows,
                cs: 1,
                start: base,
            };
            let va = v.at(bi, hi, n);
            let vm = Mat {
                data: &vd[va..],
                rs: v.strides[2],
                cs: 1,
                start: va,
            };
            if n == 0 {
                let prod =
                    kernels::matmul_mat_at(p, vm, q_rows, kv_rows, e, mkl_threads, base + dst_at);
                dst[..q_rows * e].copy_from_slice(&prod);
            } else {
                gemm_accumulate(
                    p,
                    vm,
                    &mut dst[..q_rows * e],
                    q_rows,
                    kv_rows,
                    e,
                    mkl_threads,
                    base + dst_at,
                );
            }
            n += kv_split;
        }
        for row in 0..q_rows {
            let sum = if sums[row] == 0.0 { 1.0 } else { sums[row] };
            let recip = 1.0 / sum;
            let o = ((bi * l + m + row) * h + hi) * e;
            for (slot, &x) in out[o..o + e].iter_mut().zip(&dst[row * e..(row + 1) * e]) {
                *slot = x * recip;
            }
        }
    }
    out
}

/// `vec::maximum` / `std::max` as the kernel's row max uses them: NaN wins.
fn nan_max(a: f32, x: f32) -> f32 {
    if a.is_nan() || x.is_nan() {
        f32::NAN
    } else if x > a {
        x
    } else {
        a
    }
}

/// `C += a @ b` as sgemm with beta = 1 sums it (the accumulator after the first key block):
/// as `addmm`'s bias (docs/matmul-order.md), the FMA kernel's rows add each part's chain to
/// C in turn, the plain kernel's sums (row-major `b`, 2+ columns) start from C, and the other
/// kernels add C to the finished product (probed against `torch.addmm`, whose plain last rows
/// (`leftover`, see `kernels::matmul_mat_at`) also sum from C).
#[allow(clippy::too_many_arguments)] // sgemm's operands, one each
fn gemm_accumulate(
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    out: &mut [f32],
    m: usize,
    k: usize,
    n: usize,
    leftover: bool,
    cstart: usize,
) {
    let fm = match (kernels::matmul_fused(m, k, n), leftover) {
        (false, _) => 0,
        (true, true) => kernels::fused_rows(b, m, k, n),
        (true, false) => m,
    };
    for r in kernels::fused_parts(k) {
        if fm == 0 {
            break;
        }
        let a_r = Mat {
            data: &a.data[r.start * a.cs..],
            rs: a.rs,
            cs: a.cs,
            start: a.start + r.start * a.cs,
        };
        let b_r = Mat {
            data: &b.data[r.start * b.rs..],
            rs: b.rs,
            cs: b.cs,
            start: b.start + r.start * b.rs,
        };
        let mut part = vec![0f32; fm * n];
        kernels::fused_matmul_into(a_r, b_r, &mut part, fm, r.len(), n, false);
        out[..fm * n]
            .iter_mut()
            .zip(part)
            .for_each(|(o, p)| *o += p);
    }
    if fm == m {
        return;
    }
    let rest = a.skip_rows(fm);
    let out = &mut out[fm * n..];
    let (rows, cstart) = (m - fm, cstart + fm * n);
    if n >= 2 && b.cs == 1 && b.fits(k, n) {
        if f32::plain_matmul_simd(rest, b, out, rows, k, n, cstart, true) {
            return;
        }
        for i in 0..rows {
            let peel = super::peel_order::peel(cstart, i, n);
            for j in 0..n {
                let prod = |p: usize| rest.data[i * rest.rs + p * rest.cs] * b.data[p * b.rs + j];
                out[i * n + j] = if j < peel {
                    super::peel_order::peeled_sum(out[i * n + j], k, prod)
                } else {
                    (0..k).fold(out[i * n + j], |acc, p| acc + prod(p))
                };
            }
        }
        return;
    }
    let prod = kernels::matmul_mat_at(rest, b, rows, k, n, leftover, cstart);
    out.iter_mut().zip(prod).for_each(|(o, p)| *o += p);
}

/// ATen's `Vectorized<float>::exp_u20` (AVX512): `x = n ln2 + r` with `n = floor(x log2e +
/// 1/2)` (one FMA), `r = x - n ln2` (one FMA), a degree-5 polynomial in Horner form by FMAs,
/// times `2^(n-1)` and 2. Inputs are clamped to [ln FLT_MIN, ln FLT_MAX]; below ln FLT_MIN
/// the result is 0. Up to 20 ulp from exp, so its bits differ from SLEEF's.
#[inline(always)]
pub fn exp_u20(x: f32) -> f32 {
    #![allow(clippy::excessive_precision)]
    const LN_FLT_MIN: f32 = f32::from_bits(0xc2ae_ac50);
    const LN_FLT_MAX: f32 = f32::from_bits(0x42b1_7218);
    const LOG2E: f32 = f32::from_bits(0x3fb8_aa3b);
    const LN2: f32 = f32::from_bits(0x3f31_7218);
    const C: [f32; 5] = [
        0.999999701,
        0.499991506,
        0.166676521,
        0.0418978221,
        0.00828929059,
    ];
    let below = x < LN_FLT_MIN;
    // minps/maxps return the second operand when the first is NaN.
    let src = if x < LN_FLT_MAX { x } else { LN_FLT_MAX };
    let src = if src > LN_FLT_MIN { src } else { LN_FLT_MIN };
    let fx = src.mul_add(LOG2E, 0.5).floor();
    let r = (-fx).mul_add(LN2, src);
    let mut p = r.mul_add(C[4], C[3]);
    p = r.mul_add(p, C[2]);
    p = r.mul_add(p, C[1]);
    p = r.mul_add(p, C[0]);
    p = r.mul_add(p, 1.0);
    // fx is in [-126, 128], so 2^(fx - 1) is a normal float or (fx = -126) the bits of 0.
    let two_n = if below {
        0.0
    } else {
        f32::from_bits((((fx - 1.0) as i32 + 127) as u32) << 23)
    };
    p * two_n * 2.0
}

/// `_exp_reduce_sum_fusion_kernel` on one row: each element becomes `exp(x - max)`, and the
/// row's sum is returned: whole vectors of 16 by [`exp_u20`] into 16 lane sums, the lanes
/// folded by halves (`vec_reduce_all`'s shuffle tree), then the tail by [`exp_rounded`] added in
/// order.
#[inline(always)]
fn exp_sum_row(r: &mut [f32], max: f32) -> f32 {
    const LANES: usize = 16;
    let whole = r.len() / LANES * LANES;
    let mut acc = [0f32; LANES];
    for chunk in r[..whole].chunks_exact_mut(LANES) {
        for (a, x) in acc.iter_mut().zip(chunk.iter_mut()) {
            *x = exp_u20(*x - max);
            *a += *x;
        }
    }
    let mut width = LANES / 2;
    while width > 0 {
        for j in 0..width {
            acc[j] += acc[j + width];
        }
        width /= 2;
    }
    let mut sum = acc[0];
    for x in &mut r[whole..] {
        *x = exp_rounded(*x - max);
        sum += *x;
    }
    sum
}

/// The kernel's scalar `exp` of a float (the tail of a row, and `exp(old_max - max)`): the
/// double exp rounded to float (probed: 1280 of 1280 rows with 1-15 tail elements match so;
/// `f32::exp`, the platform `expf`, misses some by an ulp).
#[inline(always)]
fn exp_rounded(x: f32) -> f32 {
    f64::from(x).exp() as f32
}

/// [`exp_sum_row`] compiled with FMA when the CPU has it (its `mul_add`s are then single
/// instructions, not calls); the same bits either way.
fn exp_sum_fn() -> fn(&mut [f32], f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "fma")]
        unsafe fn fast(r: &mut [f32], max: f32) -> f32 {
            exp_sum_row(r, max)
        }
        fn call(r: &mut [f32], max: f32) -> f32 {
            // SAFETY: chosen only when the CPU has FMA.
            unsafe { fast(r, max) }
        }
        return call;
    }
    exp_sum_row
}
