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
pub(crate) fn gemv_rows<T: Float>(a: Mat<'_, T>, b: Mat<'_, T>, m: usize, k: usize) -> Vec<T> {
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
fn block_rows<T: Float>(rows: [&[T]; 4], w: &[T]) -> [T; 4] {
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
#[cfg(test)]
fn block_row<T: Float>(x: &[T], w: &[T]) -> T {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The cancellation probe of docs/matmul-order.md: all ones, `w[p] = 2^40`,
    /// `w[q] = -2^40`; each output counts the ones summed after the two big terms met.
    fn probe(m: usize, k: usize, p: usize, q: usize) -> Vec<f32> {
        let a = vec![1.0f32; m * k];
        let mut w = vec![1.0f32; k];
        w[p] = 2f32.powi(40);
        w[q] = -(2f32.powi(40));
        gemv_rows(
            Mat::rows(&a, k),
            Mat {
                data: &w,
                rs: 1,
                cs: 1,
                start: 0,
            },
            m,
            k,
        )
    }

    #[test]
    fn four_rows_at_once_keep_each_rows_order() {
        let mut seed = 12345u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / 65536.0 - 128.0
        };
        for k in [1, 2, 3, 4, 5, 8, 9, 31, 100, 257] {
            let a: Vec<f32> = (0..4 * k).map(|_| next()).collect();
            let w: Vec<f32> = (0..k).map(|_| next()).collect();
            let rows = [&a[..k], &a[k..2 * k], &a[2 * k..3 * k], &a[3 * k..]];
            let got = block_rows(rows, &w).map(f32::to_bits);
            assert_eq!(got, rows.map(|x| block_row(x, &w).to_bits()), "k = {k}");
        }
    }

    #[test]
    fn cancellation_probes_give_pytorchs_counts() {
        // PyTorch 2.15 (MKL) on the oracle machine, F.linear(X, w)[:, 0] for p = 0, q = 1..=8.
        let cases: [(usize, usize, usize, [f32; 8]); 3] = [
            (5, 40, 0, [38.0, 37.0, 36.0, 35.0, 0.0, 18.0, 0.0, 34.0]),
            (5, 40, 4, [38.0, 37.0, 36.0, 35.0, 4.0, 20.0, 4.0, 28.0]),
            (
                5,
                200,
                0,
                [198.0, 197.0, 196.0, 195.0, 0.0, 98.0, 0.0, 194.0],
            ),
        ];
        for (m, k, row, want) in cases {
            let got: Vec<f32> = (1..=8).map(|q| probe(m, k, 0, q)[row]).collect();
            assert_eq!(got, want, "m={m} k={k} row {row}");
        }
    }
}
