//! The summation order of MKL's float32 kernel for a product with one output column (`X @ w`
//! with `w` of shape `(k, 1)`, `F.linear` to one feature, `mv`), as probed in
//! docs/matmul-order.md ("One output column"). MKL runs the rows of a row-major `X` in blocks
//! of four: each such row starts one accumulator with a plain sequential dot of its first
//! `(k - 1) % 4 + 1` products, then adds the rest into four lanes (`p - start` mod 4) and
//! finishes with `(l0 + l2) + (l1 + l3)`. The rows left over after the blocks take another
//! kernel: the first and the third of them start an accumulator with their first four
//! products, add `8 * ((k - 4) / 8)` more into eight lanes, fold the lanes in halves
//! (`l_j + l_{j+4}`, then `+ l_{j+2}`, then `+ l_{j+1}`) and add the remaining products one by
//! one. The second leftover row matched no order tried; it keeps the plain sequential dot.
//! Every product and sum is rounded (no FMA). float64 (dgemv) follows none of this. The probes
//! ran on 64-byte aligned storage: MKL's peel moves with the address of `X` (a view starting
//! one element in peels one fewer), which lessonrun does not model. `bmm` with one column
//! keeps the plain dot, which matches ATen's batched path.

use super::kernels::{Float, Mat};

/// Whether [`gemv_rows`] applies: float32, two or more rows (a single row is a dot product,
/// which MKL sums plainly in order), and a row-major `a` whose rows follow each other.
pub(crate) fn applies<T: Float>(a: Mat<'_, T>, m: usize, k: usize) -> bool {
    std::mem::size_of::<T>() == 4 && m >= 2 && a.cs == 1 && a.rs == k && k > 0
}

/// `a (m x k) @ b (k x 1)` in MKL's order (see the module documentation).
pub fn gemv_rows<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize) -> Vec<T> {
    let w: Vec<T> = (0..k).map(|p| b.data[p * b.rs]).collect();
    let blocked = m / 4 * 4;
    let row = |i: usize| &a.data[i * a.rs..i * a.rs + k];
    let mut out = Vec::with_capacity(m);
    for i in (0..blocked).step_by(4) {
        out.extend(block_rows([row(i), row(i + 1), row(i + 2), row(i + 3)], &w));
    }
    out.extend((blocked..m).map(|i| {
        if (i - blocked).is_multiple_of(2) { leftover_row(row(i), &w) } else { sequential(row(i), &w, T::zero()) }
    }));
    out
}

/// A plain dot from `acc` over the products of `x` and `w` in order.
fn sequential<T: Float>(x: &[T], w: &[T], acc: T) -> T {
    x.iter().zip(w).fold(acc, |acc, (&x, &y)| acc + x * y)
}

/// The first product alone (not `0 + product`: the sign of a zero depends on it).
fn head<T: Float>(x: &[T], w: &[T], len: usize) -> T {
    sequential(&x[1..len], &w[1..len], x[0] * w[0])
}

/// Four rows of a block at once, each in [`block_row`]'s order: the four lanes of a row are
/// one 4-wide vector add per four products, and four rows give four independent chains, so
/// a 4096 x 25088 product runs at memory speed rather than at one add latency per product.
pub fn block_rows<T: Float>(rows: [&[T]; 4], w: &[T]) -> [T; 4] {
    let k = w.len();
    let start = (k - 1) % 4 + 1;
    let mut lanes = [[T::zero(); 4]; 4];
    for (l, x) in lanes.iter_mut().zip(rows) {
        l[0] = head(x, w, start);
    }
    let [r0, r1, r2, r3] = rows.map(|x| x[start..].chunks_exact(4));
    for ((((wc, c0), c1), c2), c3) in w[start..].chunks_exact(4).zip(r0).zip(r1).zip(r2).zip(r3) {
        for (l, xc) in lanes.iter_mut().zip([c0, c1, c2, c3]) {
            for j in 0..4 {
                l[j] = l[j] + xc[j] * wc[j];
            }
        }
    }
    lanes.map(|l| (l[0] + l[2]) + (l[1] + l[3]))
}

/// One row of a block of four: a sequential head of `(k - 1) % 4 + 1` products, then four
/// lanes by `(p - start) % 4` (the reference [`block_rows`] is tested against).
#[doc(hidden)]
pub fn block_row<T: Float>(x: &[T], w: &[T]) -> T {
    let k = x.len();
    let start = (k - 1) % 4 + 1;
    let mut lanes = [head(x, w, start), T::zero(), T::zero(), T::zero()];
    for (p, (&x, &y)) in x.iter().zip(w).enumerate().skip(start) {
        let lane = &mut lanes[(p - start) % 4];
        *lane = *lane + x * y;
    }
    (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])
}

fn leftover_row<T: Float>(x: &[T], w: &[T]) -> T {
    let k = x.len();
    let start = k.min(4);
    let vectored = start + 8 * ((k - start) / 8);
    let mut lanes = [T::zero(); 8];
    lanes[0] = head(x, w, start);
    for p in start..vectored {
        let lane = &mut lanes[(p - start) % 8];
        *lane = *lane + x[p] * w[p];
    }
    let mut width = 8;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            lanes[j] = lanes[j] + lanes[j + width];
        }
    }
    sequential(&x[vectored..], &w[vectored..], lanes[0])
}
