//! Vector lanes for the plain (non-FMA) sequential dots of `kernels::matmul_sequential` with a
//! row-major `b`: MKL's order for products narrower than its FMA kernel's (`x @ w` with 10
//! columns, a classifier's last layer, and its gradient `x.t() @ g`).
//!
//! Each output stays its own chain `acc = acc + a[i][p] * b[p][j]` over `p = 0..k` in order,
//! from +0, every product and every sum rounded (a multiply then an add, never an FMA): the
//! lanes only hold different outputs side by side. A tile of `R` rows of `out` by one vector of
//! columns keeps its accumulators in registers; for each `p` it loads one row-slice of `b`
//! (masked at the last columns, so `b` is read in place), broadcasts `a[i][p]` per row (any
//! strides of `a`: a transposed `x.t()` included) and issues one multiply and one add per
//! accumulator. The scalar loop in `matmul_sequential` stays the definition (and the path
//! without AVX2); the property tests below hold the two to the same bits.
//!
//! The last column vector of a wider product, when it holds four columns or fewer (a
//! classifier's 10 outputs), has the eight rows of a tile in its lanes instead (`narrow`).
//!
//! The leading columns that MKL peels (`peel_order`: on rows whose output does not start on a
//! 16-byte boundary) sum their odd blocks of four products apart. The first column vector of
//! a tile does so in place, in the same pass over `a`'s rows: before an odd block each peeled
//! lane's sum is set aside and the lane takes the block's first product itself (a masked add
//! or a blend in place of that step's add), after the block the set-aside sum is added to it.
//! The other lanes and tiles run the plain loop unchanged.

use super::kernels::{Mat, Simd};

/// Rows of `out` per register tile, then 4 and 1 for the rows left over.
#[cfg(target_arch = "x86_64")]
const TILE_ROWS: usize = 8;

/// `out = a (m x k) @ b (k x n)`, float32, as the plain sequential dot, with the `simd` kernel;
/// false (nothing written) when there is none or the operands do not fit: the caller then
/// runs the scalar loop. `b` must be row-major (`cs == 1`). With `init` each sum starts from
/// the value `out` holds instead of +0 (`addmm`'s bias-first sums, `addmm_order`).
#[allow(clippy::too_many_arguments)]
pub fn plain_f32(
    a: Mat<'_, f32>,
    b: Mat<'_, f32>,
    out: &mut [f32],
    m: usize,
    k: usize,
    n: usize,
    cstart: usize,
    init: bool,
    simd: Simd,
) -> bool {
    if b.cs != 1 || !a.fits(m, k) || !b.fits(k, n) || out.len() < m * n || m == 0 || n == 0 {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let run: unsafe fn(&Operands, usize, usize, usize, usize) = match simd {
            Simd::Avx512 => avx512::tiles,
            Simd::Avx2 => avx2::tiles,
            Simd::Portable => return false,
        };
        let ops = Operands {
            a: a.data.as_ptr(),
            ars: a.rs,
            acs: a.cs,
            b: b.data.as_ptr(),
            brs: b.rs,
            out: out.as_mut_ptr(),
            n,
            k,
            peel: std::array::from_fn(|i| (1u32 << super::peel_order::peel(cstart, i, n)) - 1),
            init,
        };
        let mut i = 0;
        while i < m {
            if super::interrupt::should_stop() {
                break;
            }
            let rows = if m - i >= TILE_ROWS {
                TILE_ROWS
            } else if m - i >= 4 {
                4
            } else {
                1
            };
            // SAFETY: `simd` names a kernel whose features the CPU has (`kernels::simd_level`);
            // rows `i..i + rows` of `a` (over `0..k`), rows `0..k` of `b` (over `0..n`) and of
            // `out` lie inside their slices (checked above).
            unsafe { run(&ops, i, rows, 0, n) };
            i += rows;
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, b, out, k, cstart, init, simd);
        false
    }
}

/// The operands as raw pointers and strides: `a[i][p]` at `a + i * ars + p * acs`, `b[p][j]`
/// at `b + p * brs + j`, `out[i][j]` at `out + i * n + j`.
#[cfg(target_arch = "x86_64")]
struct Operands {
    a: *const f32,
    ars: usize,
    acs: usize,
    b: *const f32,
    brs: usize,
    out: *mut f32,
    n: usize,
    k: usize,
    /// The mask of the peeled columns of output row `i` is `peel[i % 4]` (`peel_order::peel`
    /// depends on the row's address modulo four elements), computed once per product rather
    /// than for every row of every tile.
    peel: [u32; 4],
    /// The sums start from `out`'s values, not +0.
    init: bool,
}

/// Row `r` of a tile at row `i`: the mask of its peeled columns (only the first column vector,
/// `j == 0`, has any).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn peel_mask(o: &Operands, i: usize, j: usize) -> u32 {
    if j == 0 { o.peel[i % 4] } else { 0 }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Operands;
    use std::arch::x86_64::*;

    /// Rows `i..i + rows` (8, 4 or 1) of `out`, columns `j0..n`, sixteen at a time.
    ///
    /// # Safety
    /// The CPU has AVX-512F; the rows and columns named lie inside the operands.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn tiles(o: &Operands, i: usize, rows: usize, j0: usize, n: usize) {
        let mut j = j0;
        while j < n {
            let w = (n - j).min(16);
            let mask: __mmask16 = if w == 16 { 0xFFFF } else { (1u16 << w) - 1 };
            // SAFETY: as the caller promised, for columns `j..j + w`.
            unsafe {
                match rows {
                    8 => tile::<8>(o, i, j, mask),
                    4 => tile::<4>(o, i, j, mask),
                    _ => tile::<1>(o, i, j, mask),
                }
            }
            j += w;
        }
    }

    /// `tile_in`'s layouts of `a`: adjacent rows (`ars == 1`), row-major (`acs == 1`), other.
    const ROWS_ADJACENT: u8 = 0;
    const ROW_MAJOR: u8 = 1;
    const STRIDED: u8 = 2;

    /// One register tile: `R` rows by the columns `j..` that `mask` selects.
    #[target_feature(enable = "avx512f")]
    #[inline]
    unsafe fn tile<const R: usize>(o: &Operands, i: usize, j: usize, mask: __mmask16) {
        // SAFETY: the caller's promise, passed on.
        unsafe {
            if o.ars == 1 {
                tile_in::<R, ROWS_ADJACENT>(o, i, j, mask)
            } else if o.acs == 1 {
                tile_in::<R, ROW_MAJOR>(o, i, j, mask)
            } else {
                tile_in::<R, STRIDED>(o, i, j, mask)
            }
        }
    }

    /// [`tile`] for one `LAYOUT` of `a`. With adjacent rows (`x.t()`, a weight gradient) a
    /// row's element lies a constant distance from the tile's first, which the broadcasts take
    /// as a displacement; a row-major `a` gets a base pointer per row and `p` as the shared
    /// index. A step is then one load of `b`, and one multiply (broadcasting from memory) and
    /// one add per row. Left to the strides, LLVM recomputed row addresses in every step, and
    /// with the peel unrolled it spilled them.
    ///
    /// Never inlined: inlined into `tiles`, the variants' set-up (row pointers, masks) was
    /// hoisted to `tiles`'s entry, computed and spilled for every tile whichever variant ran,
    /// about 14 ns a tile, as much for k = 8 as for k = 64 (perf; BENCHMARKS.md "Peeled
    /// products, set-up per tile").
    #[target_feature(enable = "avx512f")]
    #[inline(never)]
    unsafe fn tile_in<const R: usize, const LAYOUT: u8>(
        o: &Operands,
        i: usize,
        j: usize,
        mask: __mmask16,
    ) {
        let mut acc = [_mm512_setzero_ps(); R];
        let mut peel = [0 as __mmask16; R];
        for (r, m) in peel.iter_mut().enumerate() {
            *m = super::peel_mask(o, i + r, j) as __mmask16;
        }
        let peeled = peel.iter().any(|&m| m != 0);
        // SAFETY: every pointer formed is inside the operands (the caller's promise); the
        // masked loads and stores touch only the selected columns.
        unsafe {
            if o.init {
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm512_maskz_loadu_ps(mask, o.out.add((i + r) * o.n + j));
                }
            }
            let a = o.a.add(i * o.ars);
            let b = o.b.add(j);
            let rows: [*const f32; R] = std::array::from_fn(|r| a.add(r * o.ars));
            let elem = |p: usize, r: usize| -> f32 {
                match LAYOUT {
                    ROWS_ADJACENT => *a.add(p * o.acs + r),
                    ROW_MAJOR => *rows[r].add(p),
                    _ => *a.add(p * o.acs + r * o.ars),
                }
            };
            let steps = |acc: &mut [__m512; R], from: usize, to: usize| {
                for p in from..to {
                    let bv = _mm512_maskz_loadu_ps(mask, b.add(p * o.brs));
                    for (r, acc) in acc.iter_mut().enumerate() {
                        *acc = _mm512_add_ps(*acc, _mm512_mul_ps(_mm512_set1_ps(elem(p, r)), bv));
                    }
                }
            };
            let mut p = 0;
            if peeled {
                // An odd block of four: a peeled lane sums it apart, from its first product
                // (a masked add that leaves the product itself there), and then adds that sum
                // to the one it set aside; the other lanes and rows run the plain chain.
                let keep: [__mmask16; R] = std::array::from_fn(|r| !peel[r]);
                while p + 8 <= o.k {
                    steps(&mut acc, p, p + 4);
                    let saved = acc;
                    let bv = _mm512_maskz_loadu_ps(mask, b.add((p + 4) * o.brs));
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let x = _mm512_mul_ps(_mm512_set1_ps(elem(p + 4, r)), bv);
                        *acc = _mm512_mask_add_ps(x, keep[r], *acc, x);
                    }
                    steps(&mut acc, p + 5, p + 8);
                    for r in 0..R {
                        acc[r] = _mm512_mask_add_ps(acc[r], peel[r], saved[r], acc[r]);
                    }
                    p += 8;
                }
            }
            steps(&mut acc, p, o.k);
            for (r, acc) in acc.iter().enumerate() {
                _mm512_mask_storeu_ps(o.out.add((i + r) * o.n + j), mask, *acc);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::Operands;
    use std::arch::x86_64::*;

    /// Rows `i..i + rows` (8, 4 or 1) of `out`, columns `j0..n`, eight at a time.
    ///
    /// # Safety
    /// The CPU has AVX2; the rows and columns named lie inside the operands.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn tiles(o: &Operands, i: usize, rows: usize, j0: usize, n: usize) {
        let mut j = j0;
        while j < n {
            let w = (n - j).min(8);
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            let mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(w as i32), lanes);
            // SAFETY: as the caller promised, for columns `j..j + w`.
            unsafe {
                match (rows, w) {
                    // Never peeled (only the first vector is): rows in the lanes instead.
                    (8, 1) if j > 0 => narrow::<1>(o, i, j),
                    (8, 2) if j > 0 => narrow::<2>(o, i, j),
                    (8, 3) if j > 0 => narrow::<3>(o, i, j),
                    (8, 4) if j > 0 => narrow::<4>(o, i, j),
                    (8, _) => tile::<8>(o, i, j, mask),
                    (4, _) => tile::<4>(o, i, j, mask),
                    _ => tile::<1>(o, i, j, mask),
                }
            }
            j += w;
        }
    }

    /// The last `W` (at most four) columns of eight rows, past the first vector: a column
    /// vector would leave most lanes idle (a classifier's 10 outputs: 2 of 8 lanes), so here
    /// the lanes hold the eight rows of one column. Each step `p` needs `a[i..i + 8][p]` as a
    /// vector: one load where the rows are adjacent (`x.t()`), else a row-major `a` is read
    /// eight steps at a time and transposed in registers. Per step: `W` broadcasts of
    /// `b[p][j + c]`, `W` multiplies and adds instead of eight. Same chains, same bits.
    #[target_feature(enable = "avx2")]
    #[inline(never)]
    unsafe fn narrow<const W: usize>(o: &Operands, i: usize, j: usize) {
        let mut acc = [_mm256_setzero_ps(); W];
        // SAFETY: every pointer formed is inside the operands (the caller's promise: rows
        // `i..i + 8`, columns `j..j + W`).
        unsafe {
            let cell = |r: usize, c: usize| o.out.add((i + r) * o.n + j + c);
            if o.init {
                for (c, acc) in acc.iter_mut().enumerate() {
                    let v: [f32; 8] = std::array::from_fn(|r| *cell(r, c));
                    *acc = _mm256_loadu_ps(v.as_ptr());
                }
            }
            let (a, b) = (o.a.add(i * o.ars), o.b.add(j));
            let step = |acc: &mut [__m256; W], p: usize, av: __m256| {
                let bp = b.add(p * o.brs);
                for (c, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_add_ps(*acc, _mm256_mul_ps(av, _mm256_set1_ps(*bp.add(c))));
                }
            };
            let gather = |p: usize| {
                let v: [f32; 8] = std::array::from_fn(|r| *a.add(r * o.ars + p * o.acs));
                _mm256_loadu_ps(v.as_ptr())
            };
            let mut p = 0;
            if o.ars == 1 {
                while p < o.k {
                    step(&mut acc, p, _mm256_loadu_ps(a.add(p * o.acs)));
                    p += 1;
                }
            } else if o.acs == 1 {
                while p + 8 <= o.k {
                    let rows: [__m256; 8] = std::array::from_fn(|r| _mm256_loadu_ps(a.add(r * o.ars + p)));
                    for (q, av) in transpose8(rows).into_iter().enumerate() {
                        step(&mut acc, p + q, av);
                    }
                    p += 8;
                }
            }
            while p < o.k {
                step(&mut acc, p, gather(p));
                p += 1;
            }
            for (c, acc) in acc.iter().enumerate() {
                let mut v = [0.0f32; 8];
                _mm256_storeu_ps(v.as_mut_ptr(), *acc);
                for (r, &x) in v.iter().enumerate() {
                    *cell(r, c) = x;
                }
            }
        }
    }

    /// Rows to columns: lane `r` of result `q` is lane `q` of row `r`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves.
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ]
    }

    /// One register tile: `R` rows by the columns `j..` whose lanes `mask` sets (as the
    /// AVX-512 tile, with blends for the masked operations).
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn tile<const R: usize>(o: &Operands, i: usize, j: usize, mask: __m256i) {
        let mut acc = [_mm256_setzero_ps(); R];
        let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        let mut peel = [_mm256_setzero_ps(); R];
        let mut peeled = false;
        for (r, m) in peel.iter_mut().enumerate() {
            let cols = super::peel_mask(o, i + r, j).count_ones() as i32;
            peeled |= cols > 0;
            *m = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(cols), lanes));
        }
        // SAFETY: every pointer formed is inside the operands (the caller's promise); the
        // masked loads and stores touch only the selected columns.
        unsafe {
            if o.init {
                for (r, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_maskload_ps(o.out.add((i + r) * o.n + j), mask);
                }
            }
            let (a, b, rs) = (o.a.add(i * o.ars), o.b.add(j), o.ars);
            let products = |p: usize| {
                let bv = _mm256_maskload_ps(b.add(p * o.brs), mask);
                let ap = a.add(p * o.acs);
                let mut x = [bv; R];
                for (r, x) in x.iter_mut().enumerate() {
                    *x = _mm256_mul_ps(_mm256_set1_ps(*ap.add(r * rs)), bv);
                }
                x
            };
            let steps = |acc: &mut [__m256; R], from: usize, to: usize| {
                for p in from..to {
                    for (acc, x) in acc.iter_mut().zip(products(p)) {
                        *acc = _mm256_add_ps(*acc, x);
                    }
                }
            };
            let mut p = 0;
            if peeled {
                let block = std::hint::black_box(4usize);
                while p + 2 * block <= o.k {
                    steps(&mut acc, p, p + block);
                    let saved = acc;
                    for ((acc, x), &m) in acc.iter_mut().zip(products(p + block)).zip(&peel) {
                        *acc = _mm256_blendv_ps(_mm256_add_ps(*acc, x), x, m);
                    }
                    steps(&mut acc, p + block + 1, p + 2 * block);
                    for ((acc, s), &m) in acc.iter_mut().zip(saved).zip(&peel) {
                        *acc = _mm256_blendv_ps(*acc, _mm256_add_ps(s, *acc), m);
                    }
                    p += 2 * block;
                }
            }
            steps(&mut acc, p, o.k);
            for (r, acc) in acc.iter().enumerate() {
                _mm256_maskstore_ps(o.out.add((i + r) * o.n + j), mask, *acc);
            }
        }
    }
}
