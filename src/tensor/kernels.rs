//! Summation and matmul orders that make float results bit-identical to PyTorch on x86 CPUs.
//!
//! PyTorch's float sum is not a left-to-right loop: it is a cascade over 8-lane vectors
//! (`cascade_sum` in ATen's SumKernel.cpp), and its tiny matmuls go through MKL kernels whose
//! dot-product order we reproduce (pytorch-semantics.md §11).

use std::ops::{Add, Div, Mul, Neg, Sub};

/// The float element types, with the operations kernels need.
pub(crate) trait Float:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Default
    + 'static
{
    /// Vector lanes of a 256-bit register: PyTorch's sum uses this width on AVX2 and AVX512.
    const LANES: usize;
    fn zero() -> Self;
    fn one() -> Self;
    fn from_f64(x: f64) -> Self;
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn exp(self) -> Self;
    /// `exp` as PyTorch's vectorised kernels compute it.
    fn vexp(self) -> Self;
    fn ln(self) -> Self;
    fn sqrt(self) -> Self;
    fn powf(self, e: Self) -> Self;
    fn is_nan(self) -> bool;
}

macro_rules! impl_float {
    ($t:ty, $lanes:expr) => {
        impl Float for $t {
            const LANES: usize = $lanes;
            fn zero() -> Self { 0.0 }
            fn one() -> Self { 1.0 }
            fn from_f64(x: f64) -> Self { x as $t }
            fn mul_add(self, a: Self, b: Self) -> Self { <$t>::mul_add(self, a, b) }
            fn exp(self) -> Self { <$t>::exp(self) }
            fn vexp(self) -> Self { vexp_impl(self) }
            fn ln(self) -> Self { <$t>::ln(self) }
            fn sqrt(self) -> Self { <$t>::sqrt(self) }
            fn powf(self, e: Self) -> Self { <$t>::powf(self, e) }
            fn is_nan(self) -> bool { <$t>::is_nan(self) }
        }
    };
}
fn vexp_impl<T: VExp>(x: T) -> T {
    x.vexp_()
}
trait VExp {
    fn vexp_(self) -> Self;
}
impl VExp for f32 {
    fn vexp_(self) -> Self {
        vec_expf(self)
    }
}
impl VExp for f64 {
    fn vexp_(self) -> Self {
        self.exp()
    }
}
impl_float!(f32, 8);
impl_float!(f64, 4);

fn ceil_log2(x: usize) -> u32 {
    if x <= 2 { 1 } else { usize::BITS - (x - 1).leading_zeros() }
}

/// ATen's `multi_row_sum`: `size` rows of `width` lanes, accumulated per lane with a 4-level
/// cascade so that rounding error grows logarithmically.
fn multi_row_sum<T: Float>(size: usize, width: usize, get: impl Fn(usize, usize) -> T) -> Vec<T> {
    const LEVELS: usize = 4;
    let level_power = (ceil_log2(size) / LEVELS as u32).max(4);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let mut acc = vec![vec![T::zero(); width]; LEVELS];
    let mut i = 0;
    while i + level_step <= size {
        for _ in 0..level_step {
            for (k, a) in acc[0].iter_mut().enumerate() {
                *a = *a + get(i, k);
            }
            i += 1;
        }
        for j in 1..LEVELS {
            let (lower, upper) = acc.split_at_mut(j);
            for (hi, lo) in upper[0].iter_mut().zip(lower[j - 1].iter_mut()) {
                *hi = *hi + *lo;
                *lo = T::zero();
            }
            if i & (level_mask << (j as u32 * level_power)) != 0 {
                break;
            }
        }
    }
    while i < size {
        for (k, a) in acc[0].iter_mut().enumerate() {
            *a = *a + get(i, k);
        }
        i += 1;
    }
    let mut out = acc[0].clone();
    for level in acc.iter().skip(1) {
        for (o, &v) in out.iter_mut().zip(level) {
            *o = *o + v;
        }
    }
    out
}

/// ATen's `row_sum` with ILP factor 4: `n` items of `width` lanes.
fn row_sum<T: Float>(n: usize, width: usize, get: impl Fn(usize, usize) -> T) -> Vec<T> {
    let size_ilp = n / 4;
    let mut part = if size_ilp > 0 {
        // Row i of the cascade is items 4i..4i+3 side by side.
        multi_row_sum(size_ilp, 4 * width, |i, lane| get(4 * i + lane / width, lane % width))
    } else {
        vec![T::zero(); 4 * width]
    };
    for i in size_ilp * 4..n {
        for (k, p) in part.iter_mut().take(width).enumerate() {
            *p = *p + get(i, k);
        }
    }
    for slot in 1..4 {
        for k in 0..width {
            part[k] = part[k] + part[slot * width + k];
        }
    }
    part.truncate(width);
    part
}

/// `torch.sum` of a contiguous run of elements (single thread).
pub(crate) fn cascade_sum<T: Float>(x: &[T]) -> T {
    let w = T::LANES;
    let n = x.len();
    let vec_size = n / w;
    if vec_size == 0 {
        return row_sum(n, 1, |i, _| x[i])[0];
    }
    let vacc = row_sum(vec_size, w, |i, k| x[i * w + k]);
    let mut total = T::zero();
    for &v in &x[vec_size * w..] {
        total = total + v;
    }
    for v in vacc {
        total = total + v;
    }
    total
}

/// Sum over the rows of a contiguous `r x c` matrix (PyTorch's outer reduction).
pub(crate) fn outer_sum<T: Float>(m: &[T], r: usize, c: usize) -> Vec<T> {
    let w = T::LANES;
    let at = |i: usize, j: usize| m[i * c + j];
    if c == 1 {
        return vec![cascade_sum(m)];
    }
    if r == 1 {
        return m.to_vec();
    }
    let mut out = vec![T::zero(); c];
    let mut j = 0;
    if c < w {
        while j + 3 < c {
            let s = multi_row_sum(r, 4, |i, k| at(i, j + k));
            out[j..j + 4].copy_from_slice(&s);
            j += 4;
        }
    } else {
        while j + 4 * w <= c {
            let s = multi_row_sum(r, 4 * w, |i, k| at(i, j + k));
            out[j..j + 4 * w].copy_from_slice(&s);
            j += 4 * w;
        }
        while j + w <= c {
            let s = row_sum(r, w, |i, k| at(i, j + k));
            out[j..j + w].copy_from_slice(&s);
            j += w;
        }
    }
    while j < c {
        out[j] = row_sum(r, 1, |i, _| at(i, j))[0];
        j += 1;
    }
    out
}

/// Reduces `x` (shape `shape`, row-major) over `dims`, keeping reduced dims as size 1.
/// The kernel follows TensorIterator: size-1 dims are ignored; when the reduced dims form one
/// block, each outer index is an inner (contiguous) sum or an outer (row-wise) sum.
pub(crate) fn reduce_sum<T: Float>(x: &[T], shape: &[usize], dims: &[usize]) -> Vec<T> {
    let nd = shape.len();
    let reduced: Vec<bool> = (0..nd).map(|d| dims.contains(&d) && shape[d] != 1).collect();
    let active: Vec<usize> = (0..nd).filter(|&d| shape[d] != 1).collect();
    let red_active: Vec<usize> = active.iter().copied().filter(|&d| reduced[d]).collect();
    if red_active.is_empty() {
        return x.to_vec();
    }
    // Positions (within `active`) of the reduced dims: contiguous block?
    let pos: Vec<usize> = red_active.iter().map(|d| active.iter().position(|a| a == d).unwrap_or(0)).collect();
    let contiguous = pos.windows(2).all(|w| w[1] == w[0] + 1);
    if contiguous {
        let first = red_active[0];
        let last = red_active[red_active.len() - 1];
        let outer: usize = shape[..first].iter().product();
        let rsize: usize = shape[first..=last].iter().product();
        let inner: usize = shape[last + 1..].iter().product();
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            let block = &x[o * rsize * inner..(o + 1) * rsize * inner];
            if inner == 1 {
                out.push(cascade_sum(block));
            } else {
                out.extend(outer_sum(block, rsize, inner));
            }
        }
        return out;
    }
    // Scattered reduced dims: gather each output's elements and cascade them in order.
    let out_shape: Vec<usize> = (0..nd).map(|d| if reduced[d] { 1 } else { shape[d] }).collect();
    let out_n: usize = out_shape.iter().product();
    let mut groups: Vec<Vec<T>> = vec![Vec::new(); out_n];
    let mut idx = vec![0usize; nd];
    for &v in x {
        let mut o = 0;
        for d in 0..nd {
            o = o * out_shape[d] + if reduced[d] { 0 } else { idx[d] };
        }
        groups[o].push(v);
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    groups.iter().map(|g| cascade_sum(g)).collect()
}

/// Whether a product of this shape takes MKL's fused-dot kernel. Small products (k <= 16 and
/// at most 64 outputs) were measured to equal a plain non-FMA dot; larger ones a sequential FMA
/// dot. Mid-size MKL kernels that match neither are a listed divergence.
pub(crate) fn matmul_fused(m: usize, k: usize, n: usize) -> bool {
    !(k <= 16 && m * n <= 64)
}

/// `a (m x k) @ b (k x n)`, row-major, each output a sequential dot product.
pub(crate) fn matmul<T: Float>(a: &[T], b: &[T], m: usize, k: usize, n: usize) -> Vec<T> {
    let fused = matmul_fused(m, k, n);
    let mut out = vec![T::zero(); m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::zero();
            for p in 0..k {
                let (x, y) = (a[i * k + p], b[p * n + j]);
                acc = if fused { x.mul_add(y, acc) } else { acc + x * y };
            }
            out[i * n + j] = acc;
        }
    }
    out
}

/// Integer matmul (exact up to wrapping).
pub(crate) fn matmul_i64(a: &[i64], b: &[i64], m: usize, k: usize, n: usize) -> Vec<i64> {
    let mut out = vec![0i64; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0i64;
            for p in 0..k {
                acc = acc.wrapping_add(a[i * k + p].wrapping_mul(b[p * n + j]));
            }
            out[i * n + j] = acc;
        }
    }
    out
}

/// NLL loss's 8-level cascade over per-sample terms (LossNLL.cpp): each term is subtracted
/// into level 0, which is promoted upward whenever the sample index crosses a level boundary.
pub(crate) fn nll_cascade<T: Float>(terms: &[(usize, T)], batch: usize) -> T {
    const LEVELS: usize = 8;
    let level_power = (ceil_log2(batch) / LEVELS as u32).max(4);
    let level_mask = (1usize << level_power) - 1;
    let mut acc = [T::zero(); LEVELS];
    for &(b, d) in terms {
        acc[0] = acc[0] - d;
        for j in 0..LEVELS - 1 {
            if b & (level_mask << (j as u32 * level_power)) != 0 {
                break;
            }
            acc[j + 1] = acc[j + 1] + acc[j];
            acc[j] = T::zero();
        }
    }
    acc.iter().fold(T::zero(), |s, &v| s + v)
}

/// float32 `exp` as PyTorch's vectorised CPU kernels compute it (SLEEF's 1-ulp `expf`, with
/// FMA): Cody–Waite reduction by ln 2 in two parts, a degree-6 polynomial, then scaling by
/// 2^q in two halves so that subnormal results round once.
pub(crate) fn vec_expf(d: f32) -> f32 {
    #![allow(clippy::excessive_precision)]
    const R_LN2: f32 = std::f32::consts::LOG2_E;
    const L2U: f32 = 0.693145751953125;
    const L2L: f32 = 1.428606765330187045e-06;
    if d.is_nan() {
        return d;
    }
    let q = (d * R_LN2).round_ties_even();
    let qi = q as i32;
    let mut s = q.mul_add(-L2U, d);
    s = q.mul_add(-L2L, s);
    let mut u = 0.000198527617612853646278381f32;
    for c in [0.00139304355252534151077271f32, 0.00833336077630519866943359, 0.0416664853692054748535156, 0.166666671633720397949219, 0.5] {
        u = u.mul_add(s, c);
    }
    u = 1.0 + (s * s).mul_add(u, s);
    let half = qi >> 1;
    u = u * pow2i(half) * pow2i(qi - half);
    if d < -104.0 {
        0.0
    } else if d > 100.0 {
        f32::INFINITY
    } else {
        u
    }
}

fn pow2i(e: i32) -> f32 {
    f32::from_bits((((e + 127).clamp(0, 255)) as u32) << 23)
}
