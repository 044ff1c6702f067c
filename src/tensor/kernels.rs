//! Summation and matmul orders that make float results bit-identical to PyTorch on x86 CPUs.
//!
//! PyTorch's float sum is not a left-to-right loop: it is a cascade over 8-lane vectors
//! (`cascade_sum` in ATen's SumKernel.cpp), and its tiny matmuls go through MKL kernels whose
//! dot-product order we reproduce (pytorch-semantics.md §11).

use std::ops::{Add, Div, Mul, Neg, Sub};

#[cfg(target_arch = "x86_64")]
use super::gemm_avx2::{matmul_f32_avx2, matmul_f64_avx2};
#[cfg(target_arch = "x86_64")]
use super::gemm_avx512::{matmul_f32_avx512, matmul_f64_avx512};

/// Where a fused matmul's chains start and end: from +0 into `out`, from the value in `out`
/// (a product over `k` split in consecutive parts is then one chain), or from +0 and then
/// added to `out` (`out + chain`: a sum of products, or MKL's long-sum parts).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Chain {
    Fresh,
    Carry,
    AddTo,
}

/// The SIMD matmul kernels, best first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Simd {
    Avx512,
    Avx2,
    Portable,
}

thread_local! {
    /// A test's choice of kernel (on this thread), so each path is checked on a CPU that has
    /// the best.
    static FORCE_SIMD: std::cell::Cell<Option<Simd>> = const { std::cell::Cell::new(None) };
    /// Set by tests (on this thread) so that small shapes split into several chunks.
    static SMALL_CHUNKS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with this thread's chunked kernels (convolution's batch and weight-gradient
/// chunks) on chunks of at most 1,024 elements, so that tests' small shapes take the chunked
/// paths. For tests.
#[doc(hidden)]
pub fn with_small_chunks<R>(f: impl FnOnce() -> R) -> R {
    let old = SMALL_CHUNKS.with(|c| c.replace(true));
    let r = f();
    SMALL_CHUNKS.with(|c| c.set(old));
    r
}

/// `elems`, or 1,024 under [`with_small_chunks`].
pub(crate) fn chunk_limit(elems: usize) -> usize {
    if SMALL_CHUNKS.with(|c| c.get()) { 1 << 10 } else { elems }
}

/// Runs `f` with this thread's matmuls on the kernel `simd` (which the CPU must have). For
/// tests.
#[doc(hidden)]
pub fn with_simd<R>(simd: Simd, f: impl FnOnce() -> R) -> R {
    let old = FORCE_SIMD.with(|c| c.replace(Some(simd)));
    let r = f();
    FORCE_SIMD.with(|c| c.set(old));
    r
}

/// The kernels this CPU has, best first.
#[doc(hidden)]
pub fn simd_available() -> Vec<Simd> {
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
            v.push(Simd::Avx512);
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            v.push(Simd::Avx2);
        }
    }
    v.push(Simd::Portable);
    v
}

/// The kernel matmuls take.
#[inline]
fn simd_level() -> Simd {
    if let Some(s) = FORCE_SIMD.with(|c| c.get()) {
        return s;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("fma") {
            return Simd::Avx512;
        }
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            return Simd::Avx2;
        }
    }
    Simd::Portable
}

/// The float element types, with the operations kernels need.
pub trait Float:
    Copy
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + Default
    + super::pack_transpose::PackTranspose
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
    /// Writes the fused matmul into `out` with a SIMD kernel when the CPU has one; false when
    /// it does not. Each chain starts and ends as `chain` says. Both operands may have any
    /// strides.
    fn fused_matmul_simd(a: Mat<'_, Self>, b: Mat<'_, Self>, out: &mut [Self], m: usize, k: usize, n: usize, chain: Chain) -> bool;
    /// Writes the plain sequential dots of a row-major `b` into `out` with a SIMD kernel
    /// (plain_dot.rs); false (nothing written) when there is none for this type or CPU.
    /// `cstart`: where `out` starts in its allocation (`peel_order`'s peel follows it); with
    /// `init` the sums start from `out`'s values (`addmm`'s bias), not +0.
    #[allow(clippy::too_many_arguments)]
    fn plain_matmul_simd(a: Mat<'_, Self>, b: Mat<'_, Self>, out: &mut [Self], m: usize, k: usize, n: usize, cstart: usize, init: bool) -> bool;
    /// The whole product in MKL's float64 order (dgemm_order.rs) into an output starting
    /// `cstart` elements into its allocation; `None` for float32, whose rules are this file's.
    fn dgemm(a: Mat<'_, Self>, b: Mat<'_, Self>, m: usize, k: usize, n: usize, cstart: usize) -> Option<Vec<Self>>;
}

macro_rules! impl_float {
    ($t:ty, $lanes:expr, $simd:ident, $simd512:ident, $plain:expr, $dgemm:expr) => {
        impl Float for $t {
            const LANES: usize = $lanes;
            fn zero() -> Self { 0.0 }
            fn one() -> Self { 1.0 }
            fn from_f64(x: f64) -> Self { x as $t }
            #[inline]
            fn mul_add(self, a: Self, b: Self) -> Self { <$t>::mul_add(self, a, b) }
            fn exp(self) -> Self { <$t>::exp(self) }
            #[inline]
            fn vexp(self) -> Self { vexp_impl(self) }
            fn ln(self) -> Self { <$t>::ln(self) }
            fn sqrt(self) -> Self { <$t>::sqrt(self) }
            fn powf(self, e: Self) -> Self { <$t>::powf(self, e) }
            fn is_nan(self) -> bool { <$t>::is_nan(self) }
            fn fused_matmul_simd(a: Mat<'_, Self>, b: Mat<'_, Self>, out: &mut [Self], m: usize, k: usize, n: usize, chain: Chain) -> bool {
                #[cfg(target_arch = "x86_64")]
                match simd_level() {
                    // SAFETY: `simd_level` names a kernel whose features the CPU has.
                    Simd::Avx512 => {
                        unsafe { $simd512(a, b, out, m, k, n, chain) };
                        return true;
                    }
                    Simd::Avx2 => {
                        unsafe { $simd(a, b, out, m, k, n, chain) };
                        return true;
                    }
                    Simd::Portable => {}
                }
                false
            }
            fn plain_matmul_simd(a: Mat<'_, Self>, b: Mat<'_, Self>, out: &mut [Self], m: usize, k: usize, n: usize, cstart: usize, init: bool) -> bool {
                $plain(a, b, out, m, k, n, cstart, init, simd_level())
            }
            fn dgemm(a: Mat<'_, Self>, b: Mat<'_, Self>, m: usize, k: usize, n: usize, cstart: usize) -> Option<Vec<Self>> {
                $dgemm(a, b, m, k, n, cstart)
            }
        }
    };
}
#[inline]
fn vexp_impl<T: VExp>(x: T) -> T {
    x.vexp_()
}
trait VExp {
    fn vexp_(self) -> Self;
}
impl VExp for f32 {
    #[inline]
    fn vexp_(self) -> Self {
        vec_expf(self)
    }
}
impl VExp for f64 {
    fn vexp_(self) -> Self {
        self.exp()
    }
}
impl_float!(f32, 8, matmul_f32_avx2, matmul_f32_avx512, super::plain_dot::plain_f32, |_, _, _, _, _, _| None);
// float64's plain dots keep the scalar loop (no tutorial product takes them); its products
// follow dgemm_order.rs.
impl_float!(f64, 4, matmul_f64_avx2, matmul_f64_avx512, |_, _, _, _, _, _, _, _, _| false, |a, b, m, k, n, c| Some(
    super::dgemm_order::product(a, b, m, k, n, c)
));

fn ceil_log2(x: usize) -> u32 {
    if x <= 2 { 1 } else { usize::BITS - (x - 1).leading_zeros() }
}

/// `acc[k] += row[k]`, lane by lane: the one step every cascade below is made of. Lanes are
/// independent, so the loop vectorises without changing any lane's order of additions.
#[inline(always)]
fn add_lanes<T: Float>(acc: &mut [T], row: &[T]) {
    for (a, &x) in acc.iter_mut().zip(row) {
        *a = *a + x;
    }
}

/// ATen's `multi_row_sum`: `size` rows of `width` lanes, accumulated per lane with a 4-level
/// cascade so that rounding error grows logarithmically. `add_row(i, acc)` adds row `i` into
/// the lanes `acc`: callers hand whole rows of a matrix at once, so a sweep over a row-major
/// matrix reads it in order instead of column block by column block.
fn multi_row_sum<T: Float>(size: usize, width: usize, add_row: impl Fn(usize, &mut [T])) -> Vec<T> {
    let mut out = vec![T::zero(); width];
    multi_row_sum_into(size, width, add_row, &mut out);
    out
}

/// The levels of a cascade live on the stack up to this many lanes: `cascade_sum` runs once
/// per row of a `sum(-1)`, and heap buffers for its 4 x 32 lanes cost more than its additions.
const STACK_LANES: usize = 32;
const LEVELS: usize = 4;

/// [`multi_row_sum`] into `out` (`width` lanes).
fn multi_row_sum_into<T: Float>(size: usize, width: usize, add_row: impl Fn(usize, &mut [T]), out: &mut [T]) {
    if width <= STACK_LANES {
        let mut acc = [[T::zero(); STACK_LANES]; LEVELS];
        let [a0, a1, a2, a3] = &mut acc;
        cascade(size, [&mut a0[..width], &mut a1[..width], &mut a2[..width], &mut a3[..width]], add_row, out);
    } else {
        let mut heap = vec![T::zero(); LEVELS * width];
        cascade(size, level_buffers(&mut heap, width), add_row, out);
    }
}

/// The cascade itself: rows go into level 0; every `2^level_power` rows a level carries into
/// the next (and is zeroed), as ATen's `multi_row_sum` does.
fn cascade<T: Float>(size: usize, acc: [&mut [T]; LEVELS], add_row: impl Fn(usize, &mut [T]), out: &mut [T]) {
    let mut levels = Levels::new(size, acc);
    for i in 0..size {
        add_row(i, levels.acc[0]);
        levels.row_done();
    }
    levels.finish(out);
}

/// A cascade's levels fed one row at a time (the caller adds each row into `acc[0]`, then
/// calls `row_done`), so two cascades can take their rows in one pass over a matrix.
struct Levels<'a, T> {
    acc: [&'a mut [T]; LEVELS],
    level_power: u32,
    rows: usize,
}

impl<'a, T: Float> Levels<'a, T> {
    fn new(size: usize, acc: [&'a mut [T]; LEVELS]) -> Self {
        Levels { acc, level_power: (ceil_log2(size) / LEVELS as u32).max(4), rows: 0 }
    }

    /// After each block of `2^level_power` rows (only whole blocks end on that boundary),
    /// level 0 carries into level 1, and so on while the count is a multiple of the next
    /// level's span.
    #[inline]
    fn row_done(&mut self) {
        self.rows += 1;
        let level_mask = (1usize << self.level_power) - 1;
        if self.rows & level_mask != 0 {
            return;
        }
        for j in 1..LEVELS {
            let (lower, upper) = self.acc.split_at_mut(j);
            for (hi, lo) in upper[0].iter_mut().zip(lower[j - 1].iter_mut()) {
                *hi = *hi + *lo;
                *lo = T::zero();
            }
            if self.rows & (level_mask << (j as u32 * self.level_power)) != 0 {
                break;
            }
        }
    }

    fn finish(&self, out: &mut [T]) {
        out.copy_from_slice(self.acc[0]);
        for level in self.acc.iter().skip(1) {
            add_lanes(out, level);
        }
    }
}

/// Four zeroed level buffers of `width` lanes each (`heap` holds `4 * width`).
fn level_buffers<T: Float>(heap: &mut [T], width: usize) -> [&mut [T]; LEVELS] {
    let (a0, rest) = heap.split_at_mut(width);
    let (a1, rest) = rest.split_at_mut(width);
    let (a2, a3) = rest.split_at_mut(width);
    [a0, a1, a2, a3]
}

/// ATen's `row_sum` with ILP factor 4: `n` items of `width` lanes; `item(i)` is item `i`.
pub fn row_sum<'a, T: Float>(n: usize, width: usize, item: impl Fn(usize) -> &'a [T]) -> Vec<T> {
    let mut out = vec![T::zero(); width];
    row_sum_into(n, width, item, &mut out);
    out
}

/// [`row_sum`] into `out` (`width` lanes), its partial sums on the stack when they fit.
fn row_sum_into<'a, T: Float>(n: usize, width: usize, item: impl Fn(usize) -> &'a [T], out: &mut [T]) {
    if 4 * width <= STACK_LANES {
        let mut part = [T::zero(); STACK_LANES];
        row_sum_with(n, width, item, &mut part[..4 * width], out);
    } else {
        row_sum_with(n, width, item, &mut vec![T::zero(); 4 * width], out);
    }
}

/// [`row_sum`] with `part` (4 x `width` zeroed lanes) for its partial sums.
fn row_sum_with<'a, T: Float>(n: usize, width: usize, item: impl Fn(usize) -> &'a [T], part: &mut [T], out: &mut [T]) {
    let size_ilp = n / 4;
    if size_ilp > 0 {
        // Row i of the cascade is items 4i..4i+3 side by side.
        multi_row_sum_into(
            size_ilp,
            4 * width,
            |i, acc| {
                for (slot, lanes) in acc.chunks_exact_mut(width).enumerate() {
                    add_lanes(lanes, item(4 * i + slot));
                }
            },
            part,
        );
    }
    fold_quads(part, width, (size_ilp * 4..n).map(item), out);
}

/// The end of [`row_sum`]: the items past the last group of four go into the first slot of
/// `part` (the cascade's result, four slots of `width` lanes), then the slots are added in order.
fn fold_quads<'a, T: Float>(part: &mut [T], width: usize, tail: impl Iterator<Item = &'a [T]>, out: &mut [T]) {
    for row in tail {
        add_lanes(&mut part[..width], row);
    }
    let (first, rest) = part.split_at_mut(width);
    for slot in rest.chunks_exact(width) {
        add_lanes(first, slot);
    }
    out.copy_from_slice(first);
}

/// One lane of [`multi_row_sum`] (for tests of the kernels that sum many lanes at once).
#[doc(hidden)]
pub fn multi_row_sum_lane<T: Float>(x: &[T]) -> T {
    multi_row_sum(x.len(), 1, |i, acc| acc[0] = acc[0] + x[i])[0]
}

/// One lane of [`row_sum`].
#[doc(hidden)]
pub fn row_sum_lane<T: Float>(x: &[T]) -> T {
    row_sum(x.len(), 1, |i| &x[i..i + 1])[0]
}

/// `torch.sum` of a contiguous run of elements (single thread).
pub fn cascade_sum<T: Float>(x: &[T]) -> T {
    let w = T::LANES;
    let n = x.len();
    let vec_size = n / w;
    let mut vacc = [T::zero(); STACK_LANES];
    if vec_size == 0 {
        row_sum_into(n, 1, |i| &x[i..i + 1], &mut vacc[..1]);
        return vacc[0];
    }
    row_sum_into(vec_size, w, |i| &x[i * w..(i + 1) * w], &mut vacc[..w]);
    let mut total = T::zero();
    for &v in &x[vec_size * w..] {
        total = total + v;
    }
    for &v in &vacc[..w] {
        total = total + v;
    }
    total
}

/// Sum over the rows of a contiguous `r x c` matrix (PyTorch's outer reduction).
///
/// ATen walks the columns in blocks (of 4 lanes when `c` is under a vector's width, else of
/// 4 vectors, then single vectors, then single columns): the leading blocks of 4 (vectors)
/// are summed by `multi_row_sum` over all rows, every later column by `row_sum`'s 4-way
/// interleaved cascade. A column's order of additions depends only on which of the two it
/// falls in, so each group is summed for all its columns at once, in one pass over the rows.
pub fn outer_sum<T: Float>(m: &[T], r: usize, c: usize) -> Vec<T> {
    let w = T::LANES;
    if c == 1 {
        return vec![cascade_sum(m)];
    }
    if r == 1 {
        return m.to_vec();
    }
    let blocked = if c < w {
        c / 4 * 4
    } else {
        c / (4 * w) * (4 * w)
    };
    let rest = c - blocked;
    if blocked == 0 || rest == 0 || r < 4 {
        let mut out = Vec::with_capacity(c);
        if blocked > 0 {
            out.extend(multi_row_sum(r, blocked, |i, acc| add_lanes(acc, &m[i * c..i * c + blocked])));
        }
        if rest > 0 {
            out.extend(row_sum(r, rest, |i| &m[i * c + blocked..(i + 1) * c]));
        }
        return out;
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // The lane loops in 256-bit registers: half the instructions per byte of a matrix
        // that streams from memory; the same additions.
        #[target_feature(enable = "avx2")]
        fn wide<T: Float>(m: &[T], r: usize, c: usize, blocked: usize) -> Vec<T> {
            outer_sum_one_pass(m, r, c, blocked)
        }
        // SAFETY: the CPU has the feature `wide` is compiled for.
        return unsafe { wide(m, r, c, blocked) };
    }
    outer_sum_one_pass(m, r, c, blocked)
}

/// Both column groups of [`outer_sum`] in one pass over the rows (two passes read a matrix
/// larger than the caches twice): the blocked columns' cascade takes every row, `row_sum`'s
/// the rows four at a time side by side, and its last `r % 4` rows after its cascade, as in
/// `row_sum_with`.
#[inline(always)]
fn outer_sum_one_pass<T: Float>(m: &[T], r: usize, c: usize, blocked: usize) -> Vec<T> {
    let rest = c - blocked;
    let quads = r / 4;
    let mut heap_a = vec![T::zero(); LEVELS * blocked];
    let mut heap_b = vec![T::zero(); LEVELS * 4 * rest];
    let mut a = Levels::new(r, level_buffers(&mut heap_a, blocked));
    let mut b = Levels::new(quads, level_buffers(&mut heap_b, 4 * rest));
    for i in 0..r {
        let row = &m[i * c..(i + 1) * c];
        add_lanes(a.acc[0], &row[..blocked]);
        a.row_done();
        if i < quads * 4 {
            add_lanes(&mut b.acc[0][(i % 4) * rest..(i % 4 + 1) * rest], &row[blocked..]);
            if i % 4 == 3 {
                b.row_done();
            }
        }
    }
    let mut out = vec![T::zero(); c];
    a.finish(&mut out[..blocked]);
    let mut part = vec![T::zero(); 4 * rest];
    b.finish(&mut part);
    fold_quads(&mut part, rest, (quads * 4..r).map(|i| &m[i * c + blocked..(i + 1) * c]), &mut out[blocked..]);
    out
}

/// Reduces `x` (shape `shape`, row-major) over `dims`, keeping reduced dims as size 1.
/// The kernel follows TensorIterator: size-1 dims are ignored; when the reduced dims form one
/// block, each outer index is an inner (contiguous) sum or an outer (row-wise) sum.
pub fn reduce_sum<T: Float>(x: &[T], shape: &[usize], dims: &[usize]) -> Vec<T> {
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
            if inner == 1 && outer == 1 {
                // One output: PyTorch's two-pass reduction splits long runs across threads.
                out.push(super::threads::full_sum(block));
            } else if inner == 1 {
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
    // Trailing reduced (or size-1) dims make runs of consecutive elements that all go to one
    // output: those are appended whole, in the same order the element walk appends them.
    let mut split = nd;
    while split > 0 && (reduced[split - 1] || shape[split - 1] == 1) {
        split -= 1;
    }
    let run: usize = shape[split..].iter().product();
    let per_output: usize = (0..nd).filter(|&d| reduced[d]).map(|d| shape[d]).product();
    let mut groups: Vec<Vec<T>> = (0..out_n).map(|_| Vec::with_capacity(per_output)).collect();
    let mut idx = vec![0usize; split];
    if run > 0 {
        for elems in x.chunks_exact(run) {
            // `out_shape` is 1 past `split`, so the prefix alone gives the output index.
            let mut o = 0;
            for d in 0..split {
                o = o * out_shape[d] + if reduced[d] { 0 } else { idx[d] };
            }
            groups[o].extend_from_slice(elems);
            for d in (0..split).rev() {
                idx[d] += 1;
                if idx[d] < shape[d] {
                    break;
                }
                idx[d] = 0;
            }
        }
    }
    groups.iter().map(|g| cascade_sum(g)).collect()
}

/// Whether a product of this shape takes MKL's fused-dot kernel. Probed over a grid of shapes
/// (docs/matmul-order.md): with fewer than 4 rows or fewer than 12 output columns MKL gives a
/// plain non-FMA sequential dot (every `(2000, 3) @ (3, 1)` output, say), with 4+ rows and 12+
/// columns a sequential FMA dot, whatever `k`. Its other kernels (gemv for one column and
/// k >= 8, 5-11 columns with k >= 8) match neither: `gemv_order` and `narrow_order` (for a
/// `mat2` contiguous along `k`, `linear`'s) reproduce some; the rest is a listed divergence.
pub fn matmul_fused(m: usize, _k: usize, n: usize) -> bool {
    m >= 4 && n >= 12
}

/// How many leading rows of a float32 product that [`matmul_fused`] takes get the FMA dot; the
/// rows after them get the plain sequential dot. MKL's blocked kernel runs 5-11 rows (not 8)
/// as blocks of four and the last `m % 4` rows apart, with plain dots, once `k >= 17` or
/// `n >= 17` (and `k >= 5`); smaller products take the FMA dot on every row, and so do 12+
/// rows (probed with a row-major `mat2`, `a` row-major or transposed: every output of the
/// leftover rows of `(m, k) @ (k, n)` for m = 5-7, 9-11, k = 5-300, n = 12-128, n a multiple
/// of four; docs/matmul-order.md "Rows left over"). A transposed `mat2` (`linear`) takes
/// another order on those rows, not found: every row keeps the FMA dot there.
pub fn fused_rows<T>(b: Mat<'_, T>, m: usize, k: usize, n: usize) -> usize {
    let leftover = std::mem::size_of::<T>() == 4 && m > 4 && m < 12 && !m.is_multiple_of(4);
    if leftover && b.cs == 1 && k >= 5 && (k >= 17 || n >= 17) { m / 4 * 4 } else { m }
}

/// A matrix read in place from a buffer: element `(i, j)` is `data[i * rs + j * cs]`. A
/// row-major matrix has `cs == 1`; its transpose (a view `w.t()`) is the same buffer with the
/// strides swapped, so products with transposed operands need no transposed copy.
#[derive(Clone, Copy)]
pub struct Mat<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
    /// Where `data[0]` lies in its allocation, in elements (a view's storage offset; 0 for a
    /// buffer of its own). An allocation starts 64-byte aligned, in PyTorch as here, and MKL's
    /// narrow kernels peel to the 16-byte boundary of the real address (`narrow_order`), so
    /// the offset changes the order of the sums.
    pub start: usize,
}

impl<'a, T: Copy> Mat<'a, T> {
    /// A row-major `rows x cols` matrix.
    pub fn rows(data: &'a [T], cols: usize) -> Mat<'a, T> {
        Mat { data, rs: cols, cs: 1, start: 0 }
    }

    /// Whether every element of a `rows x cols` matrix lies inside `data`.
    pub(crate) fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }

    /// The rows from `i` on.
    pub(crate) fn skip_rows(&self, i: usize) -> Mat<'a, T> {
        Mat { data: &self.data[i * self.rs..], rs: self.rs, cs: self.cs, start: self.start + i * self.rs }
    }

    #[inline(always)]
    pub(crate) fn at(&self, i: usize, j: usize) -> T {
        self.data[i * self.rs + j * self.cs]
    }
}

/// `a (m x k) @ b (k x n)`, row-major, each output a sequential dot product.
pub fn matmul<T: Float>(a: &[T], b: &[T], m: usize, k: usize, n: usize) -> Vec<T> {
    matmul_mat(Mat::rows(a, k), Mat::rows(b, n), m, k, n)
}

/// [`matmul`] over strided operands (which must [`Mat::fits`]).
pub fn matmul_mat<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize) -> Vec<T> {
    matmul_mat_rows(a, b, m, k, n, true, 0)
}

/// [`matmul_mat`] into an output that starts `cstart` elements into its allocation (a kernel's
/// scratch buffer, as flash attention's blocks): MKL's plain kernel peels by that address.
/// Without `leftover` every row of the FMA kernel's shapes takes the FMA dot: [`fused_rows`]'s
/// plain last rows are MKL sharing the rows between two threads, and a one-threaded sgemm
/// (`torch.set_num_threads(1)`, or one called inside ATen's parallel loops) keeps the FMA dot
/// on every row (probed: `(6, 512, 64)`, `(7, 40, 20)`, `(10, 64, 16)` and others, every row).
pub(crate) fn matmul_mat_at<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize, leftover: bool, cstart: usize) -> Vec<T> {
    matmul_mat_rows(a, b, m, k, n, leftover, cstart)
}

/// One product of a batch (`bmm`): ATen's batched path keeps the FMA dot on every row of the
/// FMA kernel's shapes, without [`fused_rows`]'s plain leftover rows (the differential
/// corpus's `bmm` cases with 6-11 rows match only so).
/// `cstart` is where the batch's output starts in the batched output (`b * m * n` for batch
/// `b`): MKL's plain kernel peels columns by the output's address (`peel_order`).
pub(crate) fn matmul_batch_item<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize, cstart: usize) -> Vec<T> {
    matmul_mat_rows(a, b, m, k, n, false, cstart)
}

/// [`matmul_batch_item`] written into `out` (`m * n` elements): a product that takes the plain
/// kernel goes straight there, without a buffer of its own to copy (a `bmm` of many small
/// products, attention's, spent a tenth of its time so); any other is computed and copied.
pub(crate) fn matmul_batch_item_into<T: Float>(am: Mat<'_, T>, bm: Mat<'_, T>, out: &mut [T], m: usize, k: usize, n: usize, cstart: usize) {
    // `matmul_mat_rows`'s choice for a product that is not fused, not one column (gemv) and
    // not narrow: `matmul_sequential_at`'s plain kernel.
    let plain = !matmul_fused(m, k, n) && n != 1 && !super::narrow_order::applies(am, bm, m, k, n);
    if !(plain && T::plain_matmul_simd(am, bm, out, m, k, n, cstart, false)) {
        out.copy_from_slice(&matmul_batch_item(am, bm, m, k, n, cstart));
    }
}

fn matmul_mat_rows<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize, leftover: bool, cstart: usize) -> Vec<T> {
    // float64 (dgemm); a `bmm` batch (`leftover` false) keeps the float32 rules, not probed.
    if leftover && let Some(out) = T::dgemm(a, b, m, k, n, cstart) {
        return out;
    }
    if !matmul_fused(m, k, n) {
        return matmul_reference_mat_at(a, b, m, k, n, cstart);
    }
    let fm = if leftover { fused_rows(b, m, k, n) } else { m };
    if fm < m {
        let mut out = matmul_mat(a, b, fm, k, n);
        out.extend(matmul_sequential_at(a.skip_rows(fm), b, m - fm, k, n, false, cstart + fm * n));
        return out;
    }
    // Both operands are read in place whatever their strides: the kernels broadcast `a`'s
    // elements one at a time, and pack `b` (or read a row-major one directly).
    let mut out = vec![T::zero(); m * n];
    // Each part after the first is a chain from +0 added to the sum so far.
    for (i, r) in fused_parts(k).into_iter().enumerate() {
        let a_r = Mat { data: &a.data[r.start * a.cs..], rs: a.rs, cs: a.cs, start: a.start + r.start * a.cs };
        let b_r = Mat { data: &b.data[r.start * b.rs..], rs: b.rs, cs: b.cs, start: b.start + r.start * b.rs };
        let chain = if i == 0 { Chain::Fresh } else { Chain::AddTo };
        fused_matmul_chain(a_r, b_r, &mut out, m, r.len(), n, chain);
    }
    out
}

/// `out = out + a @ b`, each element the sum of `out`'s value and [`matmul_mat`]'s (the sum of
/// a weight's gradients over an RNN's steps, say), without a buffer for the product when the
/// product is one fused chain per output.
pub fn matmul_add_mat<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, out: &mut [T], m: usize, k: usize, n: usize) {
    // float64 leaves rows and columns outside its blocks to other orders (dgemm_order.rs).
    let whole = std::mem::size_of::<T>() == 4 || (m.is_multiple_of(4) && n.is_multiple_of(12));
    if whole && matmul_fused(m, k, n) && fused_split(k).is_empty() && fused_rows(b, m, k, n) == m {
        fused_matmul_chain(a, b, out, m, k, n, Chain::AddTo);
    } else {
        let p = matmul_mat(a, b, m, k, n);
        out.iter_mut().zip(p).for_each(|(o, p)| *o = *o + p);
    }
}

/// Where MKL's FMA kernel splits a long sum (probed, docs/matmul-order.md "Long sums"): the
/// parts' boundaries over `0..k`, each part an FMA chain from +0, the parts' sums then added
/// in order. Up to 192 products: one chain (no boundary). Up to 384: two halves, an odd
/// `k`'s last product a part of its own. Beyond: blocks of 192, the last one shorter.
pub fn fused_split(k: usize) -> Vec<usize> {
    const KC: usize = 192;
    match k {
        0..=KC => Vec::new(),
        _ if k <= 2 * KC => {
            let h = k / 2;
            if k.is_multiple_of(2) { vec![h] } else { vec![h, 2 * h] }
        }
        _ => (KC..k).step_by(KC).collect(),
    }
}

/// The parts of `0..k` that [`fused_split`] names.
pub(crate) fn fused_parts(k: usize) -> Vec<std::ops::Range<usize>> {
    let cuts = fused_split(k);
    let starts = std::iter::once(0).chain(cuts.iter().copied());
    let ends = cuts.iter().copied().chain(std::iter::once(k));
    starts.zip(ends).map(|(a, b)| a..b).collect()
}

/// The fused matmul (one FMA chain per output over `p = 0..k` in order) into `out`, whatever
/// the shape ([`matmul_mat`] takes the plain dot for small products). With `carry` the chains
/// go on from the values in `out`, so a sum over `k` split into consecutive parts (an
/// im2col convolution's batch, say) is still one chain; otherwise they start from +0.
pub(crate) fn fused_matmul_into<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, out: &mut [T], m: usize, k: usize, n: usize, carry: bool) {
    fused_matmul_chain(a, b, out, m, k, n, if carry { Chain::Carry } else { Chain::Fresh });
}

/// [`fused_matmul_into`] with each chain started and ended as `chain` says.
pub fn fused_matmul_chain<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, out: &mut [T], m: usize, k: usize, n: usize, chain: Chain) {
    // The SIMD kernels write every output; only the portable one adds to `out`.
    if T::fused_matmul_simd(a, b, out, m, k, n, chain) {
        return;
    }
    match chain {
        Chain::Fresh => {
            out[..m * n].fill(T::zero());
            fused_matmul_portable(a, b, out, m, k, n);
        }
        Chain::Carry => fused_matmul_portable(a, b, out, m, k, n),
        Chain::AddTo => {
            let mut p = vec![T::zero(); m * n];
            fused_matmul_portable(a, b, &mut p, m, k, n);
            out[..m * n].iter_mut().zip(p).for_each(|(o, p)| *o = *o + p);
        }
    }
}

/// The scalar definition of [`matmul`]: one sequential dot per output, fused or not as
/// [`matmul_fused`] says. The fast kernels must reproduce it bit for bit.
#[doc(hidden)]
pub fn matmul_reference<T: Float>(a: &[T], b: &[T], m: usize, k: usize, n: usize) -> Vec<T> {
    matmul_reference_mat(Mat::rows(a, k), Mat::rows(b, n), m, k, n)
}

#[doc(hidden)]
pub fn matmul_reference_mat<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize) -> Vec<T> {
    if let Some(out) = T::dgemm(a, b, m, k, n, 0) {
        return out;
    }
    matmul_reference_mat_at(a, b, m, k, n, 0)
}

/// [`matmul_reference_mat`] into an output that starts `cstart` elements into its allocation.
fn matmul_reference_mat_at<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize, cstart: usize) -> Vec<T> {
    if n == 1 && super::gemv_order::applies(a, m, k) {
        return super::gemv_order::gemv_rows(a, b, m, k);
    }
    if !matmul_fused(m, k, n) && super::narrow_order::applies(a, b, m, k, n) {
        return super::narrow_order::narrow_rows(a, b, m, k, n);
    }
    let fm = if matmul_fused(m, k, n) { fused_rows(b, m, k, n) } else { m };
    if fm < m {
        let mut out = matmul_sequential(a, b, fm, k, n, true);
        out.extend(matmul_sequential_at(a.skip_rows(fm), b, m - fm, k, n, false, cstart + fm * n));
        return out;
    }
    matmul_sequential_at(a, b, m, k, n, matmul_fused(m, k, n), cstart)
}

/// One sequential dot per output over `p = 0..k`, fused multiply-adds or plain ones (a plain
/// float32 product with a row-major `b` in `peel_order`'s order on its peeled columns).
pub fn matmul_sequential<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize, fused: bool) -> Vec<T> {
    matmul_sequential_at(a, b, m, k, n, fused, 0)
}

/// [`matmul_sequential`] into an output that starts `cstart` elements into its allocation.
pub(crate) fn matmul_sequential_at<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize, n: usize, fused: bool, cstart: usize) -> Vec<T> {
    let mut out = vec![T::zero(); m * n];
    if !fused && b.cs == 1 && b.fits(k, n) {
        if T::plain_matmul_simd(a, b, &mut out, m, k, n, cstart, false) {
            return out;
        }
        // The plain dots of a row advance together, `p` by `p`: each output is still its own
        // chain `acc + x * y` over `p` in order, but the row of `b` is read contiguously and
        // the row's chains go in vector lanes (a narrow classifier layer's 10 columns).
        for (i, row) in out.chunks_exact_mut(n.max(1)).enumerate().take(m) {
            if super::interrupt::should_stop() {
                break;
            }
            for p in 0..k {
                let x = a.at(i, p);
                let brow = &b.data[p * b.rs..p * b.rs + n];
                for (acc, &y) in row.iter_mut().zip(brow) {
                    *acc = *acc + x * y;
                }
            }
            if super::peel_order::applies::<T>() {
                for (j, slot) in row.iter_mut().enumerate().take(super::peel_order::peel(cstart, i, n)) {
                    *slot = super::peel_order::peeled_sum(T::zero(), k, |p| a.at(i, p) * b.at(p, j));
                }
            }
        }
        return out;
    }
    for i in 0..m {
        if super::interrupt::should_stop() {
            break;
        }
        for j in 0..n {
            let chain = |ps: std::ops::Range<usize>| {
                let mut acc = T::zero();
                for p in ps {
                    let (x, y) = (a.at(i, p), b.at(p, j));
                    acc = if fused { x.mul_add(y, acc) } else { acc + x * y };
                }
                acc
            };
            out[i * n + j] = if fused {
                let mut parts = fused_parts(k).into_iter();
                let first = chain(parts.next().unwrap_or(0..0));
                parts.fold(first, |acc, r| acc + chain(r))
            } else {
                chain(0..k)
            };
        }
    }
    out
}

/// The FMA matmul with each output's dot still running over `p = 0..k` in order, so every
/// element is the same fused chain as in [`matmul_reference`]; only the loop nest changes.
/// Portable version (no SIMD) for CPUs without AVX2/FMA.
pub fn fused_matmul_portable<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, out: &mut [T], m: usize, k: usize, n: usize) {
    for i in 0..m {
        if super::interrupt::should_stop() {
            return;
        }
        let row = &mut out[i * n..(i + 1) * n];
        for p in 0..k {
            let x = a.at(i, p);
            for (j, slot) in row.iter_mut().enumerate() {
                *slot = x.mul_add(b.at(p, j), *slot);
            }
        }
    }
}

/// Integer matmul (exact up to wrapping).
pub(crate) fn matmul_i64(a: &[i64], b: &[i64], m: usize, k: usize, n: usize) -> Vec<i64> {
    let mut out = vec![0i64; m * n];
    for i in 0..m {
        if super::interrupt::should_stop() {
            break;
        }
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

/// Elements per step of ATen's vectorised element-wise loop (`cpu_kernel_vec`) for float32: two
/// AVX512 vectors. Elements past the last whole step take the kernel's scalar path.
pub const VEC_LOOP_F32: usize = 32;

/// The same step for float64: two AVX512 vectors of eight doubles.
pub const VEC_LOOP_F64: usize = 16;

/// float32 `exp` as PyTorch's vectorised CPU kernels compute it (SLEEF's 1-ulp `expf`, with
/// FMA): Cody–Waite reduction by ln 2 in two parts, a degree-6 polynomial, then scaling by
/// 2^q in two halves so that subnormal results round once.
// Inlined so that callers compiled with FMA enabled (rnn_fused.rs) get it without calls.
#[inline]
pub fn vec_expf(d: f32) -> f32 {
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

#[inline]
fn pow2i(e: i32) -> f32 {
    f32::from_bits((((e + 127).clamp(0, 255)) as u32) << 23)
}

/// A float32 value with its rounding error (SLEEF's "double-float"), for the few steps of
/// `vec_log1pf` that need more than 24 bits.
#[derive(Clone, Copy)]
struct F2 {
    hi: f32,
    lo: f32,
}

impl F2 {
    fn mul_f(self, b: f32) -> F2 {
        let s = self.hi * b;
        F2 { hi: s, lo: self.lo.mul_add(b, self.hi.mul_add(b, -s)) }
    }
    fn add(self, b: F2) -> F2 {
        let s = self.hi + b.hi;
        F2 { hi: s, lo: (self.hi - s) + b.hi + self.lo + b.lo }
    }
    fn add_f(self, b: f32) -> F2 {
        let s = self.hi + b;
        F2 { hi: s, lo: (self.hi - s) + b + self.lo }
    }
    fn sum(a: f32, b: f32) -> F2 {
        let s = a + b;
        F2 { hi: s, lo: (a - s) + b }
    }
    fn div(self, d: F2) -> F2 {
        let t = 1.0 / d.hi;
        let s = self.hi * t;
        let u = t.mul_add(self.hi, -s);
        let v = (-d.lo).mul_add(t, (-d.hi).mul_add(t, 1.0));
        F2 { hi: s, lo: s.mul_add(v, self.lo.mul_add(t, u)) }
    }
}

/// float32 `log1p` as PyTorch's vectorised CPU kernels compute it (SLEEF's 1-ulp `log1pf`, with
/// FMA): split `1 + d` into 2^e · m with m in [0.75, 1.5), then `e·ln 2 + 2·atanh(m / (2 + m))`
/// in double-float arithmetic. Bit-identical to SLEEF on [-1, 1e38]; above that SLEEF switches
/// to its `logf`, for which this uses the platform `ln` (callers here only pass values <= 1).
pub fn vec_log1pf(d: f32) -> f32 {
    #![allow(clippy::excessive_precision)]
    if d.is_nan() || d < -1.0 {
        return f32::NAN;
    }
    if d == -1.0 {
        return f32::NEG_INFINITY;
    }
    if d > 1e38 {
        return d.ln();
    }
    if d == 0.0 {
        return d; // keeps the sign of -0.0
    }
    let mut dp1 = d + 1.0;
    let tiny = dp1 < f32::MIN_POSITIVE;
    if tiny {
        dp1 *= 18446744073709551616.0; // 2^64
    }
    let biased = ((dp1 * (1.0 / 0.75)).to_bits() >> 23) & 0xff;
    let mut e = biased as i32 - 0x7f;
    let t = f32::from_bits(((1f32.to_bits() as i32) - (e << 23)) as u32);
    let m = d.mul_add(t, t - 1.0);
    if tiny {
        e -= 64;
    }
    let mut x = F2 { hi: 0.69314718246459960938, lo: -1.904654323148236017e-09 }.mul_f(e as f32);
    let xx = F2 { hi: m, lo: 0.0 }.div(F2::sum(2.0, m));
    let x2 = xx.hi * xx.hi;
    let mut p = 0.3027294874f32;
    p = p.mul_add(x2, 0.3996108174);
    p = p.mul_add(x2, 0.6666694880);
    x = x.add(F2 { hi: xx.hi * 2.0, lo: xx.lo * 2.0 });
    x = x.add_f(x2 * xx.hi * p);
    x.hi + x.lo
}
