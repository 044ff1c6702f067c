//! The default CPU generator (mt19937 with PyTorch's layout) and the random distributions.
//!
//! Every path follows pytorch-semantics.md §1–4, including which formula is fused on AVX2
//! builds, so `manual_seed(s)` followed by the same calls gives PyTorch's exact numbers.

#![allow(clippy::excessive_precision)]

use std::mem::MaybeUninit;

use ndarray::{ArrayD, IxDyn};

use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};

const N: usize = 624;
const M: usize = 397;

/// The size of PyTorch's `CPUGeneratorImplState`, what `get_rng_state()` returns.
pub const STATE_BYTES: usize = 5056;

/// mt19937 plus the cached second Box–Muller sample of the double normal path.
#[derive(Clone, Debug)]
pub struct Generator {
    seed: u64,
    state: Box<[u32; N]>,
    left: usize,
    next: usize,
    next_double_normal: Option<f64>,
}

impl Generator {
    pub fn new(seed: u64) -> Self {
        let mut g = Generator { seed, state: Box::new([0; N]), left: 1, next: 0, next_double_normal: None };
        g.manual_seed(seed);
        g
    }

    /// `torch.manual_seed(seed)`: keeps the full 64-bit seed, seeds the engine with its low 32
    /// bits and drops the cached normal sample.
    pub fn manual_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.state[0] = seed as u32;
        for j in 1..N {
            let p = self.state[j - 1];
            self.state[j] = 1_812_433_253u32.wrapping_mul(p ^ (p >> 30)).wrapping_add(j as u32);
        }
        // PyTorch's layout: the first draw after seeding regenerates the block.
        self.left = 1;
        self.next = 0;
        self.next_double_normal = None;
    }

    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// The state as `torch.get_rng_state()` returns it: the bytes of PyTorch's
    /// `CPUGeneratorImplState` (little-endian): the seed (u64), `left` and `seeded` (i32 each),
    /// `next` (u64), the 624 words (u64 each), the legacy normal fields `x`, `y`, `rho` (f64)
    /// and `is_valid` (i32; `y` is the cached double normal sample), padding, the float normal
    /// sample (f32) and its flag (bool), padding.
    pub fn state_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(STATE_BYTES);
        b.extend_from_slice(&self.seed.to_le_bytes());
        b.extend_from_slice(&(self.left as i32).to_le_bytes());
        b.extend_from_slice(&1i32.to_le_bytes());
        b.extend_from_slice(&(self.next as u64).to_le_bytes());
        for w in self.state.iter() {
            b.extend_from_slice(&(*w as u64).to_le_bytes());
        }
        b.extend_from_slice(&0f64.to_le_bytes());
        b.extend_from_slice(&self.next_double_normal.unwrap_or(0.0).to_le_bytes());
        b.extend_from_slice(&0f64.to_le_bytes());
        b.extend_from_slice(&(self.next_double_normal.is_some() as i32).to_le_bytes());
        b.resize(STATE_BYTES - 8, 0);
        b.extend_from_slice(&0f32.to_le_bytes());
        b.resize(STATE_BYTES, 0);
        b
    }

    /// `torch.set_rng_state(bytes)`: the inverse of [`Generator::state_bytes`].
    pub fn set_state_bytes(&mut self, b: &[u8]) -> std::result::Result<(), String> {
        if b.len() != STATE_BYTES {
            return Err(format!(
                "Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be {}",
                b.len()
            ));
        }
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
        let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
        let left = i32_at(8);
        let next = u64_at(16);
        if !(1..=N as i32).contains(&left) || next > N as u64 {
            return Err("Invalid mt19937 state".into());
        }
        self.seed = u64_at(0);
        self.left = left as usize;
        self.next = next as usize;
        for (k, w) in self.state.iter_mut().enumerate() {
            *w = u64_at(24 + 8 * k) as u32;
        }
        let y = f64::from_le_bytes(b[5024..5032].try_into().unwrap_or([0; 8]));
        self.next_double_normal = (i32_at(5040) != 0).then_some(y);
        Ok(())
    }

    fn twist(&mut self) {
        let s = &mut self.state;
        let mix = |u: u32, v: u32| {
            let y = (u & 0x8000_0000) | (v & 0x7fff_ffff);
            (y >> 1) ^ if v & 1 != 0 { 0x9908_b0df } else { 0 }
        };
        for k in 0..N - M {
            s[k] = s[k + M] ^ mix(s[k], s[k + 1]);
        }
        for k in N - M..N - 1 {
            s[k] = s[k + M - N] ^ mix(s[k], s[k + 1]);
        }
        s[N - 1] = s[M - 1] ^ mix(s[N - 1], s[0]);
        self.left = N;
        self.next = 0;
    }

    /// One 32-bit engine output.
    #[inline]
    pub fn random(&mut self) -> u32 {
        self.left -= 1;
        if self.left == 0 {
            self.twist();
        }
        let y = self.state[self.next];
        self.next += 1;
        temper(y)
    }

    /// `out.len()` float32 uniforms, the same as that many [`Generator::uniform_f32`] calls:
    /// each run of words the block still holds is tempered and mapped in one loop the compiler
    /// vectorises, and the call that would regenerate the block goes through `random()`.
    #[inline(always)]
    fn fill_uniform_f32(&mut self, out: &mut [MaybeUninit<f32>], lo: f32, range: f32) {
        let mut i = 0;
        while i < out.len() {
            // `random()` reads state[next] while `left > 1`; a state loaded by
            // set_rng_state need not have `next + left - 1 == N`, hence both bounds.
            let run = (self.left - 1).min(N - self.next).min(out.len() - i);
            if run == 0 {
                out[i].write(self.uniform_f32(lo, range));
                i += 1;
                continue;
            }
            let words = &self.state[self.next..self.next + run];
            for (o, &y) in out[i..i + run].iter_mut().zip(words) {
                o.write(uniform_from(temper(y), lo, range));
            }
            self.next += run;
            self.left -= run;
            i += run;
        }
    }

    /// `out.len()` values `f(random64())`, the same as that many [`Generator::random64`]
    /// calls: the word pairs the block still holds are tempered in one loop, and the pair
    /// that would regenerate the block (or straddle it) goes through `random64()`.
    #[inline(always)]
    fn fill_random64<T>(&mut self, out: &mut [T], f: impl Fn(u64) -> T) {
        let mut i = 0;
        while i < out.len() {
            // As in fill_uniform_f32: `left - 1` words can be read before a twist.
            let pairs = ((self.left - 1).min(N - self.next) / 2).min(out.len() - i);
            if pairs == 0 {
                out[i] = f(self.random64());
                i += 1;
                continue;
            }
            let words = &self.state[self.next..self.next + 2 * pairs];
            for (o, w) in out[i..i + pairs].iter_mut().zip(words.chunks_exact(2)) {
                *o = f((u64::from(temper(w[0])) << 32) | u64::from(temper(w[1])));
            }
            self.next += 2 * pairs;
            self.left -= 2 * pairs;
            i += pairs;
        }
    }

    /// Two outputs, the first as the high word.
    pub fn random64(&mut self) -> u64 {
        let hi = self.random() as u64;
        let lo = self.random() as u64;
        (hi << 32) | lo
    }

    /// float32 uniform in [lo, hi): 24 low bits, then `fma(x, hi - lo, lo)` (AVX2 kernels).
    #[inline(always)]
    pub fn uniform_f32(&mut self, lo: f32, range: f32) -> f32 {
        uniform_from(self.random(), lo, range)
    }

    /// float64 uniform: 53 bits of a random64 draw.
    pub(super) fn uniform_f64(&mut self, lo: f64, range: f64) -> f64 {
        uniform_f64_from(self.random64(), lo, range)
    }

    /// `at::normal_distribution<double>`: Box–Muller in double with one cached sample.
    fn normal_f64(&mut self, mean: f64, std: f64) -> f64 {
        if let Some(c) = self.next_double_normal.take() {
            return c.mul_add(std, mean);
        }
        let u1 = self.uniform_f64(0.0, 1.0);
        let u2 = self.uniform_f64(0.0, 1.0);
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_double_normal = Some(r * theta.sin());
        (r * theta.cos()).mul_add(std, mean)
    }
}

/// mt19937's tempering of one state word.
#[inline(always)]
fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^ (y >> 18)
}

/// A random64 draw as a float64 uniform in [lo, lo + range).
#[inline(always)]
fn uniform_f64_from(r: u64, lo: f64, range: f64) -> f64 {
    let x = (r & ((1u64 << 53) - 1)) as f64 * (1.0 / 9_007_199_254_740_992.0);
    if range == 1.0 { x + lo } else { x.mul_add(range, lo) }
}

/// `n` values `f(random64())` in order, in blocks that poll the stop flag every 64 Ki values
/// (once stopped, the rest are `stopped`: the result is dropped with the cell).
pub fn random64_vec<T: Copy>(g: &mut Generator, n: usize, stopped: T, f: impl Fn(u64) -> T) -> Vec<T> {
    let mut v = vec![stopped; n];
    for chunk in v.chunks_mut(1 << 16) {
        if super::interrupt::should_stop() {
            break;
        }
        g.fill_random64(chunk, &f);
    }
    v
}

/// One engine output as a float32 uniform in [lo, lo + range).
#[inline(always)]
fn uniform_from(r: u32, lo: f32, range: f32) -> f32 {
    let x = (r & 0x00ff_ffff) as f32 * (1.0 / 16_777_216.0);
    x.mul_add(range, lo)
}

/// `torch.rand(shape, dtype)`.
pub fn rand(g: &mut Generator, shape: &[usize], dtype: DType) -> Result<Tensor> {
    uniform(g, shape, float_dtype(dtype, "rand")?, 0.0, 1.0)
}

/// `torch.randn(shape, dtype)`.
pub fn randn(g: &mut Generator, shape: &[usize], dtype: DType) -> Result<Tensor> {
    normal(g, shape, float_dtype(dtype, "randn")?, 0.0, 1.0)
}

/// A new tensor filled as `uniform_` fills one, drawn straight into its storage: filling a
/// zero tensor would hold both arrays at once, twice the tensor's bytes.
pub fn uniform(g: &mut Generator, shape: &[usize], dtype: DType, lo: f64, hi: f64) -> Result<Tensor> {
    Ok(Tensor::from_storage_as(uniform_storage(g, shape, dtype, lo, hi)?, dtype))
}

/// A new tensor filled as `normal_` fills one (see [`uniform`]).
pub fn normal(g: &mut Generator, shape: &[usize], dtype: DType, mean: f64, std: f64) -> Result<Tensor> {
    if std < 0.0 {
        return Err(TensorError::runtime(format!("normal expects std >= 0.0, but found std {std}")));
    }
    Ok(Tensor::from_storage_as(normal_storage(g, shape, dtype, mean, std)?, dtype))
}

/// `MemoryError` before drawing `n` elements of `bytes` each that the lesson's budget cannot hold.
fn reserve(n: usize, bytes: u64) -> Result<()> {
    super::memory::reserve((n as u64).saturating_mul(bytes))
}

/// `torch.randint(low, high, shape)` (int64): `draw % range + low`, where the draw is 64-bit
/// once the range reaches 2^28.
pub fn randint(g: &mut Generator, low: i64, high: i64, shape: &[usize]) -> Result<Tensor> {
    if high <= low {
        return Err(TensorError::runtime(format!(
            "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )));
    }
    let range = high.wrapping_sub(low) as u64;
    let n: usize = shape.iter().product();
    let v: Vec<i64> = (0..n)
        .map(|_| {
            let r = if range >= 1 << 28 { g.random64() % range } else { (g.random() as u64) % range };
            (r as i64).wrapping_add(low)
        })
        .collect();
    Tensor::from_data(super::Data::I64(v), shape)
}

/// `torch.randperm(n)`: forward Fisher–Yates with `random() % (n - i)`.
pub fn randperm(g: &mut Generator, n: usize) -> Result<Tensor> {
    let mut a: Vec<i64> = (0..n as i64).collect();
    for i in 0..n.saturating_sub(1) {
        let z = (g.random() as usize) % (n - i);
        a.swap(i, i + z);
    }
    Tensor::from_data(super::Data::I64(a), &[n])
}

/// `t.uniform_(lo, hi)` in place (elements in memory order, one draw each for float32).
pub fn uniform_(t: &Tensor, g: &mut Generator, lo: f64, hi: f64) -> Result<()> {
    check_inplace(t)?;
    let d = t.dtype();
    let s = uniform_storage(g, &t.shape(), d, lo, hi)?;
    t.replace_storage(narrowed(s, d))
}

/// The values of a `uniform_` fill of a `dtype` tensor of `shape`, in its wide array.
fn uniform_storage(g: &mut Generator, shape: &[usize], dtype: DType, lo: f64, hi: f64) -> Result<Storage> {
    let n = shape.iter().product();
    Ok(match dtype {
        DType::Float32 => {
            reserve(n, 4)?;
            let (l, h) = (lo as f32, hi as f32);
            Storage::F32(arr(shape, uniform_f32_vec(g, n, l, h - l))?)
        }
        // Halves draw as float32 does and round each value; one that rounds up to `hi` becomes
        // `lo`, as in ATen's kernel, so the range stays half-open (probed: 8 of torch.rand's
        // first 32,768 float16 values after manual_seed(0) would be 1.0 and are 0.0).
        DType::Float16 | DType::BFloat16 => {
            reserve(n, 4)?;
            let (l, h) = (super::dtype::round_half(lo as f32, dtype), super::dtype::round_half(hi as f32, dtype));
            let mut v = uniform_f32_vec(g, n, lo as f32, hi as f32 - lo as f32);
            for x in &mut v {
                let r = super::dtype::round_half(*x, dtype);
                *x = if r == h { l } else { r };
            }
            Storage::F32(arr(shape, v)?)
        }
        DType::Float64 => {
            reserve(n, 8)?;
            let v: Vec<f64> = random64_vec(g, n, 0.0, |r| uniform_f64_from(r, lo, hi - lo));
            Storage::F64(arr(shape, v)?)
        }
        d => return Err(TensorError::runtime(format!("\"check_uniform_bounds\" not implemented for '{}'", super::ops::dtype_name(d)))),
    })
}

/// `t.normal_(mean, std)` in place, choosing PyTorch's path by dtype and size.
pub fn normal_(t: &Tensor, g: &mut Generator, mean: f64, std: f64) -> Result<()> {
    check_inplace(t)?;
    if std < 0.0 {
        return Err(TensorError::runtime(format!("normal expects std >= 0.0, but found std {std}")));
    }
    let d = t.dtype();
    let s = normal_storage(g, &t.shape(), d, mean, std)?;
    t.replace_storage(narrowed(s, d))
}

/// The values of a `normal_` fill of a `dtype` tensor of `shape`, in its wide array.
fn normal_storage(g: &mut Generator, shape: &[usize], dtype: DType, mean: f64, std: f64) -> Result<Storage> {
    let n = shape.iter().product();
    Ok(match dtype {
        DType::Float32 if n >= 16 => {
            reserve(n, 4)?;
            Storage::F32(arr(shape, normal_f32_avx2(g, n, mean as f32, std as f32))?)
        }
        // Halves take the scalar path at every size (the vectorised one is float32's).
        DType::Float32 | DType::Float16 | DType::BFloat16 => {
            reserve(n, 4)?;
            let v: Vec<f32> = super::interrupt::collect_polled(n, 0.0, || g.normal_f64(mean, std) as f32);
            Storage::F32(arr(shape, v)?)
        }
        DType::Float64 if n >= 16 => {
            reserve(n, 8)?;
            Storage::F64(arr(shape, normal_f64_blocks(g, n, mean, std))?)
        }
        DType::Float64 => {
            reserve(n, 8)?;
            let v: Vec<f64> = super::interrupt::collect_polled(n, 0.0, || g.normal_f64(mean, std));
            Storage::F64(arr(shape, v)?)
        }
        d => return Err(TensorError::runtime(format!("\"normal_kernel_cpu\" not implemented for '{}'", super::ops::dtype_name(d)))),
    })
}

/// A float32 array as a narrow float tensor holds it (each value rounded to the dtype).
fn narrowed(s: Storage, dtype: DType) -> Storage {
    if dtype.is_narrow() { s.cast(dtype) } else { s }
}

fn check_inplace(t: &Tensor) -> Result<()> {
    if super::is_grad_enabled() && t.is_leaf() && t.requires_grad() {
        return Err(TensorError::InPlaceLeaf);
    }
    Ok(())
}

fn float_dtype(d: DType, op: &str) -> Result<DType> {
    if d.is_floating_point() {
        Ok(d)
    } else {
        Err(TensorError::runtime(format!("\"{op}\" not implemented for '{}'", super::ops::dtype_name(d))))
    }
}

fn arr<T>(shape: &[usize], v: Vec<T>) -> Result<ArrayD<T>> {
    ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))
}

/// `n` float32 uniforms in order (see [`Generator::uniform_f32`]), polling the stop flag as
/// `collect_polled` does, in a loop compiled for FMA where the CPU has it so that each `mul_add`
/// is one instruction rather than a call to the software `fmaf` (the same exact result).
pub fn uniform_f32_vec(g: &mut Generator, n: usize, lo: f32, range: f32) -> Vec<f32> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has FMA.
        return unsafe { uniform_f32_fma(g, n, lo, range) };
    }
    uniform_f32_loop(g, n, lo, range)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
fn uniform_f32_fma(g: &mut Generator, n: usize, lo: f32, range: f32) -> Vec<f32> {
    uniform_f32_loop(g, n, lo, range)
}

#[inline(always)]
fn uniform_f32_loop(g: &mut Generator, n: usize, lo: f32, range: f32) -> Vec<f32> {
    let mut v: Vec<f32> = Vec::with_capacity(n);
    while v.len() < n {
        if super::interrupt::should_stop() {
            v.resize(n, 0.0);
            break;
        }
        let k = (n - v.len()).min(1 << 16);
        g.fill_uniform_f32(&mut v.spare_capacity_mut()[..k], lo, range);
        // SAFETY: fill_uniform_f32 wrote all k elements after the first len.
        unsafe { v.set_len(v.len() + k) };
    }
    v
}

/// The AVX2 `normal_fill` for float32 with n >= 16 (AVX512 machines run it too): all n
/// uniforms first, Box–Muller on blocks of 16, and a redrawn final block when n % 16 != 0.
fn normal_f32_avx2(g: &mut Generator, n: usize, mean: f32, std: f32) -> Vec<f32> {
    let mut d: Vec<f32> = uniform_f32_vec(g, n, 0.0, 1.0);
    let mut i = 0;
    while i + 16 <= n {
        if i.is_multiple_of(1 << 16) && super::interrupt::should_stop() {
            break;
        }
        fill16_avx2(&mut d[i..i + 16], mean, std);
        i += 16;
    }
    if !n.is_multiple_of(16) {
        for x in &mut d[n - 16..] {
            *x = g.uniform_f32(0.0, 1.0);
        }
        fill16_avx2(&mut d[n - 16..], mean, std);
    }
    d
}

/// One block of 16 through Box–Muller. `mul_add` is an exact fused multiply-add either way;
/// compiled for the FMA instruction it is one instruction instead of a call into the
/// software `fmaf`, which made `randn` of large tensors several times slower.
fn fill16_avx2(d: &mut [f32], mean: f32, std: f32) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA.
        unsafe { fill16_fma(d, mean, std) };
        return;
    }
    fill16_body(d, mean, std);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn fill16_fma(d: &mut [f32], mean: f32, std: f32) {
    fill16_body(d, mean, std);
}

/// The eight lanes are independent and every step is branch-free (selects, not early
/// returns), so the loop compiles to the eight-lane vector code it stands for; each lane still
/// computes exactly the scalar formula.
#[inline(always)]
fn fill16_body(d: &mut [f32], mean: f32, std: f32) {
    let two_pi = (2.0 * std::f64::consts::PI) as f32;
    let (lo, hi) = d[..16].split_at_mut(8);
    for j in 0..8 {
        let u1 = 1.0 - lo[j];
        let u2 = hi[j];
        let radius = (-2.0 * log256(u1)).sqrt();
        let theta = two_pi * u2;
        let (s, c) = sincos256(theta);
        lo[j] = (radius * c).mul_add(std, mean);
        hi[j] = (radius * s).mul_add(std, mean);
    }
}

/// `log256_ps` from avx_mathfun.h, one lane, with the FMA contractions GCC makes: NaN for
/// `x <= 0` and NaN.
#[inline(always)]
fn log256(xin: f32) -> f32 {
    let invalid = xin <= 0.0 || xin.is_nan();
    let x = xin.max(f32::MIN_POSITIVE);
    let bits = x.to_bits();
    let imm0 = (bits >> 23) as i32;
    let mut x = f32::from_bits((bits & !0x7f80_0000) | 0.5f32.to_bits());
    let e = (imm0 - 0x7f) as f32 + 1.0;
    let mask = x < std::f32::consts::FRAC_1_SQRT_2;
    let tmp = if mask { x } else { 0.0 };
    x -= 1.0;
    let e = if mask { e - 1.0 } else { e };
    x += tmp;
    let z = x * x;
    const P: [f32; 9] = [
        7.0376836292e-2,
        -1.1514610310e-1,
        1.1676998740e-1,
        -1.2420140846e-1,
        1.4249322787e-1,
        -1.6668057665e-1,
        2.0000714765e-1,
        -2.4999993993e-1,
        3.3333331174e-1,
    ];
    let mut y = P[0];
    for &p in &P[1..] {
        y = y.mul_add(x, p);
    }
    y *= x;
    y = y.mul_add(z, e * -2.12194440e-4);
    y = (-z).mul_add(0.5, y);
    let r = e.mul_add(0.693_359_375, x + y);
    if invalid { f32::NAN } else { r }
}

/// `sincos256_ps` from avx_mathfun.h, one lane, with GCC's FMA contractions.
#[inline(always)]
fn sincos256(xin: f32) -> (f32, f32) {
    let mut sign_sin = xin.to_bits() & 0x8000_0000;
    let mut x = xin.abs();
    let mut j = (x * 1.27323954473516_f32) as i32;
    j = (j + 1) & !1;
    let y = j as f32;
    let swap_sin = ((j & 4) as u32) << 29;
    let poly_mask = (j & 2) == 0;
    x = y.mul_add(-0.785_156_25, x);
    x = y.mul_add(-2.4187564849853515625e-4, x);
    x = y.mul_add(-3.77489497744594108e-8, x);
    let sign_cos = ((!(j - 2) & 4) as u32) << 29;
    sign_sin ^= swap_sin;
    let z = x * x;
    let mut yc = 2.443315711809948e-5_f32;
    yc = yc.mul_add(z, -1.388731625493765e-3);
    yc = yc.mul_add(z, 4.166664568298827e-2);
    yc *= z;
    yc = yc.mul_add(z, -(z * 0.5));
    yc += 1.0;
    let mut ys = -1.9515295891e-4_f32;
    ys = ys.mul_add(z, 8.3321608736e-3);
    ys = ys.mul_add(z, -1.6666654611e-1);
    ys *= z;
    ys = ys.mul_add(x, x);
    let (ysin2, ysin1) = if poly_mask { (ys, 0.0) } else { (0.0, yc) };
    let s = ysin1 + ysin2;
    let c = (yc - ysin1) + (ys - ysin2);
    (f32::from_bits(s.to_bits() ^ sign_sin), f32::from_bits(c.to_bits() ^ sign_cos))
}

/// float64 (and the DEFAULT kernel) block algorithm with scalar libm math.
fn normal_f64_blocks(g: &mut Generator, n: usize, mean: f64, std: f64) -> Vec<f64> {
    let mut d: Vec<f64> = random64_vec(g, n, 0.5, |r| uniform_f64_from(r, 0.0, 1.0));
    let fill = |d: &mut [f64]| {
        for j in 0..8 {
            let u1 = 1.0 - d[j];
            let u2 = d[j + 8];
            let radius = (-2.0 * u1.ln()).sqrt();
            let theta = 2.0 * std::f64::consts::PI * u2;
            d[j] = (radius * theta.cos()).mul_add(std, mean);
            d[j + 8] = (radius * theta.sin()).mul_add(std, mean);
        }
    };
    let mut i = 0;
    while i + 16 <= n {
        if i.is_multiple_of(1 << 16) && super::interrupt::should_stop() {
            break;
        }
        fill(&mut d[i..i + 16]);
        i += 16;
    }
    if !n.is_multiple_of(16) {
        for x in &mut d[n - 16..] {
            *x = g.uniform_f64(0.0, 1.0);
        }
        fill(&mut d[n - 16..]);
    }
    d
}

/// `torch.bernoulli(p)` for a float tensor of probabilities: `uniform_f32() < p`, one draw per
/// element in memory order; the result has `p`'s dtype.
pub fn bernoulli(g: &mut Generator, p: &Tensor) -> Result<Tensor> {
    let dtype = float_dtype(p.dtype(), "bernoulli")?;
    let probs = p.to_f64_vec();
    let v: Vec<f64> = probs
        .iter()
        .map(|&q| {
            let u = g.uniform_f32(0.0, 1.0);
            if f64::from(u) < q { 1.0 } else { 0.0 }
        })
        .collect();
    let t = Tensor::from_data(super::Data::F64(v), &p.shape())?;
    t.to_dtype(dtype)
}

/// The scaled keep-mask of dropout in training mode: `bernoulli_(1 - p)` (two draws per element
/// through the double uniform, as on non-Intel CPUs), then divided by `1 - p` in the input's
/// dtype.
pub fn dropout_noise(g: &mut Generator, shape: &[usize], dtype: DType, p: f64) -> Result<Tensor> {
    let mask = keep_mask(g, shape, dtype, p)?;
    super::no_grad(|| mask.div_scalar(super::Scalar::Float(1.0 - p)))
}

/// The 0/1 mask of `torch.empty(shape, dtype).bernoulli_(1 - p)`: two draws per element
/// through the double uniform, as on non-Intel CPUs (dropout's and alpha dropout's noise).
pub fn keep_mask(g: &mut Generator, shape: &[usize], dtype: DType, p: f64) -> Result<Tensor> {
    let dtype = float_dtype(dtype, "dropout")?;
    let keep = 1.0 - p;
    let n: usize = shape.iter().product();
    // The 0/1 mask straight in float32 when that is the dtype (the values are exact in any
    // float dtype, so this is the float64 mask cast, without the float64 buffer).
    let mask = if dtype == DType::Float32 {
        let v = random64_vec(g, n, 0.0f32, |r| if uniform_f64_from(r, 0.0, 1.0) < keep { 1.0 } else { 0.0 });
        Tensor::from_data(super::Data::F32(v), shape)?
    } else {
        let v = random64_vec(g, n, 0.0f64, |r| if uniform_f64_from(r, 0.0, 1.0) < keep { 1.0 } else { 0.0 });
        Tensor::from_data(super::Data::F64(v), shape)?.to_dtype(dtype)?
    };
    Ok(mask)
}
