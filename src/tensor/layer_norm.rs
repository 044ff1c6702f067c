//! `F.layer_norm` / `nn.LayerNorm` (NativeLayerNormBackward0), forward and backward, in the
//! order of ATen's CPU kernel (layer_norm_kernel.cpp over moments_utils.h's `RowwiseMoments`)
//! for float32 and float64, with the fused multiply-adds GCC contracted in PyTorch's build.
//!
//! Facts probed against real PyTorch 2.15 on the oracle machine (docs/probes/layer_norm.py,
//! recorded bits in tests/it/unit/tensor/testdata/layer_norm_cases.txt): this kernel runs on 256-bit vectors (8
//! floats, 4 doubles) whatever `ATEN_CPU_CAPABILITY` says (avx2 and avx512 give the same
//! bits); a vector's horizontal sum is the AVX2 shuffle tree for float and the lanes in order
//! for double; GCC fuses a multiply into the add that consumes it everywhere except in
//! loop-carried sums (the full-vector steps of a row reduction and the scalar Welford tail),
//! which its generic tuning keeps unfused.

use super::autograd::record;
use super::kernels::Float;
use super::storage::{Storage, list_str};
use super::{DType, Data, Result, Tensor, TensorError};


/// `kChunkSize`: vectors per Welford chunk of `RowwiseMoments`.
const CHUNK: usize = 16;

/// Widest vector the kernel uses, in elements (8 floats).
const MAX_LANES: usize = 8;

/// The element types of the kernel and the horizontal sum of one vector accumulator.
pub trait Elem: Float {
    /// `vec_reduce_all` with `+` over the first `LANES` entries of `acc`.
    fn lane_sum(acc: &[Self; MAX_LANES]) -> Self;
    /// The elements of `t` in this type (cast from its dtype if it differs), row-major.
    fn elems(t: &Tensor) -> Vec<Self>;
    /// A tensor of `shape` and `dtype` (float32 or float64) from values of this type.
    fn tensor(v: Vec<Self>, shape: &[usize], dtype: DType) -> Result<Tensor>;
}

impl Elem for f32 {
    fn elems(t: &Tensor) -> Vec<f32> {
        match &*t.storage() {
            Storage::F32(a) => a.iter().copied().collect(),
            _ => t.to_f64_vec().into_iter().map(|v| v as f32).collect(),
        }
    }

    fn tensor(v: Vec<f32>, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let data = match dtype {
            DType::Float64 => Data::F64(v.into_iter().map(f64::from).collect()),
            _ => Data::F32(v),
        };
        Tensor::from_data(data, shape)
    }

    /// AVX2's `VecReduceAllSIMD<float>`: each lane adds its partner 4 lanes away, then 2,
    /// then 1; lane 0 is the result.
    #[inline(always)]
    fn lane_sum(acc: &[f32; MAX_LANES]) -> f32 {
        let mut v = *acc;
        for h in [4, 2, 1] {
            let prev = v;
            for (l, x) in v.iter_mut().enumerate() {
                *x = prev[l] + prev[l ^ h];
            }
        }
        v[0]
    }
}

impl Elem for f64 {
    fn elems(t: &Tensor) -> Vec<f64> {
        match &*t.storage() {
            Storage::F64(a) => a.iter().copied().collect(),
            _ => t.to_f64_vec(),
        }
    }

    fn tensor(v: Vec<f64>, shape: &[usize], dtype: DType) -> Result<Tensor> {
        let data = match dtype {
            DType::Float32 => Data::F32(v.into_iter().map(|x| x as f32).collect()),
            _ => Data::F64(v),
        };
        Tensor::from_data(data, shape)
    }

    /// The generic `vec_reduce_all` (no shuffle tree for double): lanes added in order.
    #[inline(always)]
    fn lane_sum(acc: &[f64; MAX_LANES]) -> f64 {
        acc[1..Self::LANES].iter().fold(acc[0], |s, &x| s + x)
    }
}

/// Count, mean and sum of squared deviations of each lane of a vector.
#[derive(Clone, Copy)]
struct LaneMoments<T> {
    m0: usize,
    m1: [T; MAX_LANES],
    m2: [T; MAX_LANES],
}

impl<T: Elem> LaneMoments<T> {
    fn zero() -> Self {
        LaneMoments {
            m0: 0,
            m1: [T::zero(); MAX_LANES],
            m2: [T::zero(); MAX_LANES],
        }
    }

    /// `AddMomentsVec`: merges `add` into `self`. The mean's step `m1 + c·delta` stays a
    /// separate multiply and add (its product is also an operand of the explicit FMA).
    #[inline(always)]
    fn merge(&mut self, add: &Self) {
        let n = self.m0 + add.m0;
        let c = if n == 0 {
            T::zero()
        } else {
            T::from_f64(add.m0 as f64) / T::from_f64(n as f64)
        };
        let m0 = T::from_f64(self.m0 as f64);
        for l in 0..T::LANES {
            let delta = add.m1[l] - self.m1[l];
            let m2 = self.m2[l] + add.m2[l];
            let c_delta = c * delta;
            self.m1[l] = self.m1[l] + c_delta;
            self.m2[l] = (delta * m0).mul_add(c_delta, m2);
        }
        self.m0 = n;
    }
}

/// `utils::CeilLog2` (1 for 0, 1 and 2).
fn ceil_log2(x: usize) -> usize {
    if x <= 2 {
        1
    } else {
        (usize::BITS - (x - 1).leading_zeros()) as usize
    }
}

/// ATen's `RowwiseMoments(x, N)`: the mean and biased variance of `x` in the dtype. Each
/// lane of the `LANES`-wide vectors runs Welford over chunks of 16 vectors (explicit FMAs),
/// chunks merge up a binary stack, the elements past the last whole vector run a scalar
/// Welford of their own (unfused: a loop-carried chain), and the lanes merge into it one by
/// one with the scalar `AddMoments` (whose products GCC fuses).
pub(crate) fn rowwise_moments<T: Elem>(x: &[T]) -> (T, T) {
    let w = T::LANES;
    let total = x.len();
    let n = total / w;
    let m = n.div_ceil(CHUNK);
    let depth = ceil_log2(m);
    let mut stack = vec![LaneMoments::<T>::zero(); depth];
    let mut c_vecs = [T::zero(); CHUNK];
    for (j, c) in c_vecs.iter_mut().enumerate() {
        *c = T::one() / T::from_f64((j + 1) as f64);
    }
    for i in 0..m {
        let base = i * CHUNK * w;
        let m0 = CHUNK.min(n - i * CHUNK);
        let mut chunk = LaneMoments::<T>::zero();
        chunk.m0 = m0;
        for (j, &c) in c_vecs.iter().enumerate().take(m0) {
            let v = &x[base + j * w..base + (j + 1) * w];
            for ((&xv, m1), m2) in v.iter().zip(&mut chunk.m1).zip(&mut chunk.m2) {
                let delta = xv - *m1;
                *m1 = c.mul_add(delta, *m1);
                *m2 = delta.mul_add(xv - *m1, *m2);
            }
        }
        stack[0].merge(&chunk);
        let mut mask = i + 1;
        let mut j = 1;
        while j < depth && mask & 1 == 0 {
            let below = stack[j - 1];
            stack[j].merge(&below);
            stack[j - 1] = LaneMoments::zero();
            mask >>= 1;
            j += 1;
        }
    }
    for i in 1..depth {
        let up = stack[i];
        stack[0].merge(&up);
    }
    let (mut m0, mut m1, mut m2) = (0usize, T::zero(), T::zero());
    for &v in &x[n * w..] {
        let delta = v - m1;
        m0 += 1;
        m1 = m1 + delta / T::from_f64(m0 as f64);
        m2 = m2 + delta * (v - m1);
    }
    let top = &stack[0];
    for l in 0..w {
        let nn = m0 + n;
        let c = if nn == 0 {
            T::zero()
        } else {
            T::from_f64(n as f64) / T::from_f64(nn as f64)
        };
        let delta = top.m1[l] - m1;
        m1 = c.mul_add(delta, m1);
        m2 = m2 + (delta * delta * c).mul_add(T::from_f64(m0 as f64), top.m2[l]);
        m0 = nn;
    }
    (m1, m2 / T::from_f64(total as f64))
}

/// `vec::map*_reduce_all` with `+` over `f(0) + f(1) + ...`, where `f(j)` is the product
/// `p·q` of `term(j) = (p, q)`: a row shorter than a vector is summed in order; otherwise the
/// first vector starts the lane sums, whole vectors add unfused, the partial last vector's
/// products are fused into the sums (`fma(p, q, acc)`), and the lanes are summed by
/// [`Elem::lane_sum`].
#[inline(always)]
fn reduce_products<T: Elem>(len: usize, term: impl Fn(usize) -> (T, T)) -> T {
    let w = T::LANES;
    let prod = |j: usize| {
        let (p, q) = term(j);
        p * q
    };
    if len == 0 {
        return T::zero();
    }
    if len < w {
        return (1..len).fold(prod(0), |s, j| s + prod(j));
    }
    let mut acc = [T::zero(); MAX_LANES];
    for (l, a) in acc.iter_mut().enumerate().take(w) {
        *a = prod(l);
    }
    let full = len / w * w;
    for j in w..full {
        acc[j % w] = acc[j % w] + prod(j);
    }
    for j in full..len {
        let (p, q) = term(j);
        acc[j % w] = p.mul_add(q, acc[j % w]);
    }
    T::lane_sum(&acc)
}

/// The forward of `m` rows of `n`: the output, each row's mean and `rstd = 1/sqrt(var + eps)`
/// (eps rounded to the dtype). With a weight `y = fma((x - mean)·rstd, weight, bias)`; without
/// one GCC folds the `· 1` and fuses the other product: `y = fma(x - mean, rstd, bias)` (a
/// missing bias is 0).
pub fn forward_rows<T: Elem>(
    x: &[T],
    n: usize,
    w: Option<&[T]>,
    b: Option<&[T]>,
    eps: T,
) -> (Vec<T>, Vec<T>, Vec<T>) {
    let rows = x.len().checked_div(n).unwrap_or(0);
    let mut y = vec![T::zero(); x.len()];
    let (mut means, mut rstds) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for (xr, yr) in x
        .chunks_exact(n.max(1))
        .zip(y.chunks_exact_mut(n.max(1)))
        .take(rows)
    {
        let (mean, var) = rowwise_moments(xr);
        let rstd = T::one() / (var + eps).sqrt();
        for j in 0..n {
            let bias = b.map_or(T::zero(), |b| b[j]);
            yr[j] = match w {
                Some(w) => ((xr[j] - mean) * rstd).mul_add(w[j], bias),
                None => (xr[j] - mean).mul_add(rstd, bias),
            };
        }
        means.push(mean);
        rstds.push(rstd);
    }
    (y, means, rstds)
}

/// Gradients of the input, weight and bias (the last two when there is a weight / bias).
pub struct Grads<T> {
    pub dx: Vec<T>,
    pub dw: Option<Vec<T>>,
    pub db: Option<Vec<T>>,
}

/// `LayerNormBackwardKernelImplInternal` on `m` rows of `n`. Per row, with `a = rstd`:
/// `ds = Σ dy·x·γ`, `db = Σ dy·γ` ([`reduce_products`]), `b = fma(db, mean, -ds)·a·a·a/N`,
/// `c = fma(-b, mean, -(db·a/N))`, `dx = fma(b, x, a·dy·γ) + c`. The weight and bias
/// gradients accumulate per thread share of the rows (`fma(dy, fma(a, x, -a·mean), acc)` and
/// `acc + dy`), then the buffers add up from zero in thread order: one buffer per thread of
/// the lesson's count (`torch.get_num_threads()`, super::threads), each summing its share.
pub fn backward_rows<T: Elem>(
    dy: &[T],
    x: &[T],
    mean: &[T],
    rstd: &[T],
    n: usize,
    w: Option<&[T]>,
    has_bias: bool,
) -> Grads<T> {
    let rows = mean.len();
    let scale = T::one() / T::from_f64(n as f64);
    let mut dx = vec![T::zero(); x.len()];
    // `at::parallel_for(0, M, 1)`'s shares of the rows (consecutive, all but the last of one
    // length), a buffer each. Threads without a share would add zeros to a sum that starts
    // from +0, which changes no bit, so they get no buffer.
    let parts = super::threads::chunks(rows, 1, super::threads::num_threads());
    let share = parts[0].len().max(1);
    let mut wbuf = w.map(|_| vec![vec![T::zero(); n]; parts.len()]);
    let mut bbuf = has_bias.then(|| vec![vec![T::zero(); n]; parts.len()]);
    for i in 0..rows {
        let (xr, dyr) = (&x[i * n..(i + 1) * n], &dy[i * n..(i + 1) * n]);
        let (a, mu) = (rstd[i], mean[i]);
        let tid = i / share;
        if let Some(buf) = wbuf.as_mut() {
            let bb = -a * mu;
            for (j, acc) in buf[tid].iter_mut().enumerate() {
                *acc = dyr[j].mul_add(a.mul_add(xr[j], bb), *acc);
            }
        }
        if let Some(buf) = bbuf.as_mut() {
            for (acc, &d) in buf[tid].iter_mut().zip(dyr) {
                *acc = *acc + d;
            }
        }
        let (ds, db) = match w {
            Some(g) => (
                reduce_products(n, |j| (dyr[j] * xr[j], g[j])),
                reduce_products(n, |j| (dyr[j], g[j])),
            ),
            None => (reduce_products(n, |j| (dyr[j], xr[j])), sum_plain(dyr)),
        };
        let b = db.mul_add(mu, -ds) * a * a * a * scale;
        let c = (-b).mul_add(mu, -(db * a * scale));
        for j in 0..n {
            let ady = a * dyr[j];
            let ady = w.map_or(ady, |g| ady * g[j]);
            dx[i * n + j] = b.mul_add(xr[j], ady) + c;
        }
    }
    let fold = |bufs: Vec<Vec<T>>| -> Vec<T> {
        (0..n)
            .map(|j| bufs.iter().fold(T::zero(), |s, buf| s + buf[j]))
            .collect()
    };
    Grads {
        dx,
        dw: wbuf.map(fold),
        db: bbuf.map(fold),
    }
}

/// `vec::reduce_all` with `+` (no products): in order below a vector, else lane sums of
/// whole vectors and the partial last one, then [`Elem::lane_sum`].
fn sum_plain<T: Elem>(v: &[T]) -> T {
    let w = T::LANES;
    if v.len() < w {
        return v[1..]
            .iter()
            .fold(v.first().copied().unwrap_or(T::zero()), |s, &x| s + x);
    }
    let mut acc = [T::zero(); MAX_LANES];
    acc[..w].copy_from_slice(&v[..w]);
    for (j, &x) in v.iter().enumerate().skip(w) {
        acc[j % w] = acc[j % w] + x;
    }
    T::lane_sum(&acc)
}

/// Runs `f` compiled for AVX2+FMA when the CPU has them (the same bits either way: each
/// `mul_add` is then one instruction, not a call to `fma`).
#[inline(always)]
fn with_fma<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        fn go<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the CPU has the features `go` is compiled for.
        return unsafe { go(f) };
    }
    f()
}

/// `F.layer_norm(x, normalized_shape, weight, bias, eps)` (NativeLayerNormBackward0): each row
/// over the trailing `normalized_shape` dims is normalised by its mean and biased variance,
/// then scaled by `weight` and shifted by `bias`, in ATen's float32/float64 kernel order.
pub fn layer_norm(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    let shape = x.shape();
    let k = normalized_shape.len();
    if k == 0 || shape.len() < k || shape[shape.len() - k..] != *normalized_shape {
        let ns = list_str(normalized_shape);
        let star: Vec<String> = normalized_shape.iter().map(usize::to_string).collect();
        return Err(TensorError::runtime(format!(
            "Given normalized_shape={ns}, expected input with shape [*, {}], but got input of size{}",
            star.join(", "),
            list_str(&shape)
        )));
    }
    for (p, what) in [(weight, "weight"), (bias, "bias")] {
        if let Some(p) = p.filter(|p| p.shape() != normalized_shape) {
            return Err(TensorError::runtime(format!(
                "Expected {what} to be of same shape as normalized_shape, but got {what} of shape {} and normalized_shape = {}",
                list_str(&p.shape()),
                list_str(normalized_shape)
            )));
        }
    }
    match x.dtype() {
        DType::Float32 => typed::<f32>(x, normalized_shape, weight, bias, eps),
        DType::Float64 => typed::<f64>(x, normalized_shape, weight, bias, eps),
        d => Err(TensorError::runtime(format!(
            "expected scalar type Float but found {}",
            super::ops::dtype_name(d)
        ))),
    }
}

fn typed<T: Elem>(
    x: &Tensor,
    normalized_shape: &[usize],
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    let shape = x.shape();
    let dtype = x.dtype();
    let n: usize = normalized_shape.iter().product();
    let xs = T::elems(x);
    let w = weight.map(T::elems);
    let b = bias.map(T::elems);
    let (y, mean, rstd) =
        with_fma(|| forward_rows(&xs, n, w.as_deref(), b.as_deref(), T::from_f64(eps)));
    let out = T::tensor(y, &shape, dtype)?;
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    let has_bias = bias.is_some();
    let wdtype = weight.or(bias).map_or(dtype, Tensor::dtype);
    let ns = normalized_shape.to_vec();
    Ok(record(
        (*out.storage()).clone(),
        "NativeLayerNormBackward0",
        &inputs,
        true,
        move |g, _| {
            let gs = T::elems(g);
            let grads =
                with_fma(|| backward_rows(&gs, &xs, &mean, &rstd, n, w.as_deref(), has_bias));
            let mut out = vec![Some(T::tensor(grads.dx, &shape, dtype)?)];
            if let Some(dw) = grads.dw {
                out.push(Some(T::tensor(dw, &ns, wdtype)?));
            }
            if let Some(db) = grads.db {
                out.push(Some(T::tensor(db, &ns, wdtype)?));
            }
            Ok(out)
        },
    ))
}
