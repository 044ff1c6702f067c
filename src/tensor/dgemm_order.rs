//! The summation order of MKL's float64 products (dgemm/dgemv: `mm`, `addmm`, `matmul`,
//! `linear` of float64 tensors and their backward products), probed in docs/matmul-order.md
//! ("float64", docs/probes/dgemm_order.py).
//!
//! - The FMA kernel takes the rows in blocks of four and the columns in blocks of twelve
//!   (`4 * (m / 4)` rows by `12 * (n / 12)` columns, when `m >= 4` and `n >= 12`): one FMA chain
//!   from +0 over `p = 0..k` per output, whatever `k` (no long-sum split, unlike float32).
//! - With a row-major `mat2` (or a transposed `mat1`) everything else is the plain chain
//!   (rounded products added in order), except a peel: the first column of a run whose first
//!   output lies at an odd element (not on a 16-byte boundary) with at least one vector (two
//!   columns) after it sums its products in `peel_order`'s block order. The runs are the
//!   columns the FMA kernel leaves over on its rows, and on the other rows the columns split
//!   between MKL's two threads, `[0, c)` and `[c, n)` with `c = 12 * ceil(n / 24)`.
//!   Past 256 products the FMA rows' leftover columns sometimes restart the peeled order at
//!   `k / 2` (not followed: a listed divergence).
//! - With a transposed `mat2` (`linear`'s `w.t()`), MKL takes dot products vectorised along
//!   `k` in two lanes ([`lanes2`]): the rows the FMA kernel leaves over peel the first
//!   `(k - 1) % 2 + 1` products under its columns; the columns after them, in blocks of four
//!   (and every column in blocks of four of a narrower product with 2+ rows), peel to the
//!   16-byte boundary of `x`'s row. The last `n % 4` columns matched no order tried: plain
//!   chains (a listed divergence), as the one-row product. (The leftover rows' columns past
//!   the FMA kernel's peel to `x`'s boundary for 16 and 28 columns, `(k - 1) % 2 + 1` products
//!   for 40: the first is followed.)
//! - One output column (dgemv, `x` row-major): rows in blocks of four take [`lanes2`] peeling
//!   `(k - 1) % 2 + 1` products; the rows left over matched no single order: plain chains.

use ndarray::{ArrayD, IxDyn};

use super::kernels::{Chain, Mat, fused_matmul_chain};
use super::peel_order::peeled_sum;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};

/// Rows and columns of the FMA kernel's blocks.
const MR: usize = 4;
const NR: usize = 12;

/// `a (m x k) @ b (k x n)` in MKL's float64 order, into an output starting `cstart` elements
/// into its allocation (the peel follows the output's address).
pub fn product(
    a: Mat<'_, f64>,
    b: Mat<'_, f64>,
    m: usize,
    k: usize,
    n: usize,
    cstart: usize,
) -> Vec<f64> {
    product_from(a, b, m, k, n, cstart, None)
}

/// `addmm(bias, a, b)` in MKL's float64 order: `bias` (row-major `m x n`, broadcast by the
/// caller) starts the FMA kernel's chains (of two or more products) and the plain chains of a
/// row-major `b`; the lanes of a transposed `b` and dgemv's add it to the finished product
/// (probed with `torch.addmm` and `F.linear`, docs/matmul-order.md "float64").
pub(crate) fn product_from(
    a: Mat<'_, f64>,
    b: Mat<'_, f64>,
    m: usize,
    k: usize,
    n: usize,
    cstart: usize,
    bias: Option<&[f64]>,
) -> Vec<f64> {
    let mut out = bias.map_or_else(|| vec![0.0; m * n], <[f64]>::to_vec);
    if m == 0 || n == 0 || k == 0 {
        // No products: the bias (or zeros) as it is.
        return out;
    }
    // A bias added to a finished sum; without one the sum itself (its sign of zero kept).
    let then_bias = |c: f64, v: f64| if bias.is_some() { c + v } else { v };
    if n == 1 && m >= 2 && a.cs == 1 {
        let gathered: Vec<f64>;
        let w: &[f64] = if b.rs == 1 {
            &b.data[..k]
        } else {
            gathered = (0..k).map(|p| b.at(p, 0)).collect();
            &gathered
        };
        let x = |i: usize| &a.data[i * a.rs..i * a.rs + k];
        let blocked = m / MR * MR;
        for i in (0..blocked).step_by(MR) {
            let v = lanes2_many(
                [x(i), x(i + 1), x(i + 2), x(i + 3)],
                [w; MR],
                (k + 1) % 2 + 1,
            );
            for (slot, v) in out[i..i + MR].iter_mut().zip(v) {
                *slot = then_bias(*slot, v);
            }
        }
        for (i, slot) in out.iter_mut().enumerate().skip(blocked) {
            *slot = then_bias(*slot, plain(x(i), w));
        }
        return out;
    }
    let (fr, fc) = if m >= MR && n >= NR {
        (m / MR * MR, n / NR * NR)
    } else {
        (0, 0)
    };
    if fr > 0 && k > 0 {
        // The block's chains on the SIMD kernels, then placed in the output's rows. They start
        // from the bias when there is one, except for a single product (k = 1), which MKL
        // rounds and then adds to the bias (`(8, 1) @ (1, 48)`: every output).
        let carry = bias.is_some() && k > 1;
        let chain = if carry { Chain::Carry } else { Chain::Fresh };
        if fc == n && (carry || bias.is_none()) {
            // The block is the output's first rows, whole: chained in place.
            fused_matmul_chain(a, b, &mut out[..fr * n], fr, k, fc, chain);
        } else {
            let mut block = vec![0.0; fr * fc];
            if carry {
                for (src, row) in block.chunks_exact_mut(fc).zip(out.chunks_exact(n)) {
                    src.copy_from_slice(&row[..fc]);
                }
            }
            fused_matmul_chain(a, b, &mut block, fr, k, fc, chain);
            for (row, src) in out.chunks_exact_mut(n).zip(block.chunks_exact(fc)) {
                for (o, &v) in row[..fc].iter_mut().zip(src) {
                    *o = if carry { v } else { then_bias(*o, v) };
                }
            }
        }
    }
    let transposed_b = b.rs == 1 && b.cs != 1 && a.cs == 1;
    // A row of a strided `a` gathered for the plain chains (one buffer for the product).
    let mut gathered = Vec::new();
    for i in 0..m {
        if super::interrupt::should_stop() {
            break;
        }
        let row = &mut out[i * n..(i + 1) * n];
        let prod = |j: usize| move |p: usize| a.at(i, p) * b.at(p, j);
        if transposed_b {
            // Under the FMA kernel's columns its leftover rows peel `(k - 1) % 2 + 1` products;
            // past them (and in a narrower product of 2+ rows) the columns in blocks of four
            // peel to the 16-byte boundary of `x`'s row; the last `n % 4` columns: plain.
            // Both operands are contiguous along `k` here.
            let x = &a.data[i * a.rs..i * a.rs + k];
            let w = |j: usize| &b.data[j * b.cs..j * b.cs + k];
            let lanes = fr > 0 || m >= 2;
            let align = (a.start + i * a.rs) % 2;
            let from = if i < fr { fc } else { 0 };
            let blocked = if lanes { fc + (n - fc) / 4 * 4 } else { 0 };
            // Four columns at a time (one peel each: `fc` is a multiple of four), so that
            // their eight lanes' chains overlap.
            for j in (from..blocked).step_by(4) {
                let h = if j < fc { (k + 1) % 2 + 1 } else { align };
                let v = lanes2_many([x; 4], [w(j), w(j + 1), w(j + 2), w(j + 3)], h);
                for (slot, v) in row[j..j + 4].iter_mut().zip(v) {
                    *slot = then_bias(*slot, v);
                }
            }
            for (j, slot) in row.iter_mut().enumerate().skip(from.max(blocked)) {
                *slot = then_bias(*slot, plain(x, w(j)));
            }
            continue;
        }
        let from = if fr > 0 && i < fr { fc } else { 0 };
        let runs: [std::ops::Range<usize>; 2] = if from > 0 {
            [fc..n, n..n]
        } else {
            let c = (NR * n.div_ceil(2 * NR)).min(n);
            [0..c, c..n]
        };
        let init = |j: usize| bias.map_or(0.0, |c| c[i * n + j]);
        if b.cs == 1 {
            // The plain chains of the row advance together, `p` by `p`, reading `b`'s rows
            // contiguously (each output still its own chain over `p` in order).
            let x: &[f64] = if a.cs == 1 {
                &a.data[i * a.rs..i * a.rs + k]
            } else {
                gathered.clear();
                gathered.extend((0..k).map(|p| a.at(i, p)));
                &gathered
            };
            accumulate_row(&mut row[from..], x, &b.data[from..], b.rs);
        } else {
            for (j, slot) in row.iter_mut().enumerate().skip(from) {
                *slot = (0..k).fold(init(j), |acc, p| acc + prod(j)(p));
            }
        }
        for run in runs {
            if (cstart + i * n + run.start) % 2 == 1 && run.len() >= 3 {
                row[run.start] = peeled_sum(init(run.start), k, prod(run.start));
            }
        }
    }
    out
}

/// `torch.addmm(bias, x, w)` of float64 tensors in MKL's order ([`product_from`]), reading
/// both matrices in place; `None` when an operand is not a float64 matrix read so (the caller
/// then takes its general path).
pub(crate) fn addmm(
    bias: &Storage,
    x: &Tensor,
    w: &Tensor,
    m: usize,
    k: usize,
    n: usize,
) -> Result<Option<Storage>> {
    let Ok(Storage::F64(c)) = bias.cast(DType::Float64).expand(&[m, n]) else {
        return Ok(None);
    };
    let c = c.as_standard_layout();
    let (Some(c), Some((sa, oa, ra, ca)), Some((sb, ob, rb, cb))) =
        (c.as_slice(), x.matrix_source(), w.matrix_source())
    else {
        return Ok(None);
    };
    let (Storage::F64(xa), Storage::F64(wb)) = (&*sa, &*sb) else {
        return Ok(None);
    };
    let (Some(xs), Some(ws)) = (xa.as_slice(), wb.as_slice()) else {
        return Ok(None);
    };
    let ma = Mat {
        data: xs.get(oa..).unwrap_or(&[]),
        rs: ra,
        cs: ca,
        start: oa,
    };
    let mb = Mat {
        data: ws.get(ob..).unwrap_or(&[]),
        rs: rb,
        cs: cb,
        start: ob,
    };
    if c.len() != m * n || !ma.fits(m, k) || !mb.fits(k, n) {
        return Ok(None);
    }
    let out = product_from(ma, mb, m, k, n, 0, Some(c));
    ArrayD::from_shape_vec(IxDyn(&[m, n]), out)
        .map(|a| Some(Storage::F64(a)))
        .map_err(|e| TensorError::runtime(e.to_string()))
}

/// `acc[j] += x[p] * b[p * rs + j]` for `p` in order: one plain chain per element of `acc`
/// (products and sums rounded; never fused), on 256-bit vectors where the CPU has them.
fn accumulate_row(acc: &mut [f64], x: &[f64], b: &[f64], rs: usize) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        unsafe { accumulate_row_avx2(acc, x, b, rs) };
        return;
    }
    accumulate_row_portable(acc, x, b, rs);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn accumulate_row_avx2(acc: &mut [f64], x: &[f64], b: &[f64], rs: usize) {
    accumulate_row_portable(acc, x, b, rs);
}

/// Sixteen columns at a time, their sums held in registers over all of `p` (a whole row at a
/// time read and wrote `acc` back for every `p`: the time-sequence lesson's 204 gate columns
/// spent a tenth of its time so); the columns left over one chain at a time.
#[inline(always)]
fn accumulate_row_portable(acc: &mut [f64], x: &[f64], b: &[f64], rs: usize) {
    const W: usize = 16;
    let n = acc.len();
    let wide = n / W * W;
    for j in (0..wide).step_by(W) {
        let mut sums: [f64; W] = acc[j..j + W].try_into().unwrap_or([0.0; W]);
        for (p, &xp) in x.iter().enumerate() {
            let row = &b[p * rs + j..p * rs + j + W];
            for (o, &y) in sums.iter_mut().zip(row) {
                *o += xp * y;
            }
        }
        acc[j..j + W].copy_from_slice(&sums);
    }
    // A local sum: with `*o` in the loop, the bounds checks' possible panics kept LLVM storing
    // it on every `p` (a chain through memory).
    for (j, o) in acc.iter_mut().enumerate().skip(wide) {
        *o = x.iter().enumerate().fold(*o, |s, (p, &xp)| s + xp * b[p * rs + j]);
    }
}

/// The rounded products `x[p] * w[p]` added in order from +0.
#[inline]
pub fn plain(x: &[f64], w: &[f64]) -> f64 {
    x.iter().zip(w).fold(0.0, |acc, (&a, &b)| acc + a * b)
}

/// A dot product in two lanes: the first `h` products (at most `k`) summed in order into lane
/// 0, the next ones in pairs into lanes 0 and 1 (lane 0 going on from the peel), the lanes
/// added, then a last odd product. Lanes start from -0 (the first product itself).
#[doc(hidden)]
pub fn lanes2(x: &[f64], w: &[f64], h: usize) -> f64 {
    lanes2_many([x], [w], h)[0]
}

/// `N` independent [`lanes2`] dot products `x[c] . w[c]` advanced together (each in its own
/// order; the interleaving only lets their chains overlap).
// `c` walks four arrays in step: indexing reads plainer than zipping them.
#[allow(clippy::needless_range_loop)]
#[inline]
fn lanes2_many<const N: usize>(x: [&[f64]; N], w: [&[f64]; N], h: usize) -> [f64; N] {
    let k = x.iter().chain(&w).map(|s| s.len()).min().unwrap_or(0);
    let x = x.map(|s| &s[..k]);
    let w = w.map(|s| &s[..k]);
    let h = h.min(k);
    let end = h + (k - h) / 2 * 2;
    let mut l0 = [-0.0f64; N];
    for p in 0..h {
        for c in 0..N {
            l0[c] += x[c][p] * w[c][p];
        }
    }
    let (l0, l1) = pairs(x.map(|s| &s[h..end]), w.map(|s| &s[h..end]), l0);
    let mut s = [0.0f64; N];
    for c in 0..N {
        s[c] = l0[c] + l1[c];
        for p in end..k {
            s[c] += x[c][p] * w[c][p];
        }
    }
    s
}

/// The paired part of [`lanes2_many`]: products `2q` into lane 0 (going on from `l0`) and
/// `2q + 1` into lane 1 (from -0), rounded products added, never fused. Both lanes are one
/// SSE2 vector (x86-64's baseline): the lanes' adds are then one instruction, as in MKL.
#[allow(clippy::needless_range_loop)]
#[inline]
fn pairs<const N: usize>(x: [&[f64]; N], w: [&[f64]; N], l0: [f64; N]) -> ([f64; N], [f64; N]) {
    let len = x.iter().chain(&w).map(|s| s.len()).min().unwrap_or(0) / 2 * 2;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_add_pd, _mm_loadu_pd, _mm_mul_pd, _mm_set_pd, _mm_storeu_pd};
        // SAFETY: SSE2 is part of x86-64; the loads read `x[c][q..q + 2]` and `w[c][q..q + 2]`
        // with `q + 2 <= len`, and every slice holds at least `len` elements.
        let acc = unsafe {
            // `_mm_set_pd(hi, lo)`: lane 0 is `lo`.
            let mut acc = l0.map(|v| _mm_set_pd(-0.0, v));
            for q in (0..len).step_by(2) {
                for c in 0..N {
                    let xv = _mm_loadu_pd(x[c].as_ptr().add(q));
                    let wv = _mm_loadu_pd(w[c].as_ptr().add(q));
                    acc[c] = _mm_add_pd(acc[c], _mm_mul_pd(xv, wv));
                }
            }
            acc
        };
        let mut l0 = [0.0; N];
        let mut l1 = [0.0; N];
        for c in 0..N {
            let mut both = [0.0f64; 2];
            // SAFETY: `both` holds two f64.
            unsafe { _mm_storeu_pd(both.as_mut_ptr(), acc[c]) };
            [l0[c], l1[c]] = both;
        }
        (l0, l1)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let mut l0 = l0;
        let mut l1 = [-0.0f64; N];
        for q in (0..len).step_by(2) {
            for c in 0..N {
                l0[c] += x[c][q] * w[c][q];
                l1[c] += x[c][q + 1] * w[c][q + 1];
            }
        }
        (l0, l1)
    }
}
