//! The summation order of MKL's float32 kernel for `x @ w.t()` (`F.linear`, `addmm` with a
//! transposed `mat2`) when the product is too narrow for the FMA kernel: fewer than 12 output
//! columns, or fewer than 4 rows (docs/matmul-order.md, "Narrow products with a transposed
//! `mat2`"). Both operands are then contiguous along `k`, and MKL takes one dot product per
//! output, vectorised along `k`:
//!
//! - the first `h` products, `h` the elements from the start of `x`'s row to the next 16-byte
//!   boundary, are summed in order into lane 0: `(-(s + i * r)) % 4` for row `i` of an `x`
//!   with row stride `r` whose first element lies `s` elements into its 64-byte aligned
//!   allocation (`Mat::start`: a slice `big[:, 3:13]` of a wider tensor, or `q`, `k`, `v` cut
//!   out of one packed projection, peel differently from a fresh `x` of the same values);
//! - the following products go to `L` lanes by `(p - h) % L` while whole groups of `L` remain:
//!   `L = 4` for the columns in blocks of four (`j < 4 * (n / 4)`), `L = 8` for the last
//!   `n % 4` columns;
//! - the lanes are folded in halves (`l_j + l_{j + L/2}`, ...: `(l0 + l2) + (l1 + l3)` for
//!   four), then the leftover products (fewer than `L`) are added one by one.
//!
//! Every product and every sum is rounded (no FMA); there is no split for long sums (probed up
//! to k = 1100), and a bias is added to the finished product. A single row (`m = 1`) is MKL's
//! gemv over `w`'s rows instead (`gemv_order`, which models a `w` at the start of its
//! allocation only).

use super::kernels::{Float, Mat};

/// Whether [`narrow_rows`] gives MKL's order: float32, a row-major `a` and a `b` that is
/// contiguous along `k` (`w.t()` of a row-major `w`), two or more columns. The caller has
/// already ruled out the FMA kernel's shapes.
pub(crate) fn applies<T: Float>(
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    m: usize,
    k: usize,
    n: usize,
) -> bool {
    std::mem::size_of::<T>() == 4 && m >= 1 && n >= 2 && k > 0 && a.cs == 1 && b.rs == 1
}

/// `a (m x k) @ b (k x n)` in MKL's narrow order (see the module documentation). One row is
/// MKL's gemv over `w` instead: `w (n x k) @ x`, with `gemv_order`'s order for `w`'s rows.
pub fn narrow_rows<T: Float>(
    a: Mat<'_, T>,
    b: Mat<'_, T>,
    m: usize,
    k: usize,
    n: usize,
) -> Vec<T> {
    if m == 1 {
        let w = Mat {
            data: b.data,
            rs: b.cs,
            cs: 1,
            start: b.start,
        };
        let x = Mat {
            data: a.data,
            rs: 1,
            cs: 1,
            start: a.start,
        };
        if super::gemv_order::applies(w, n, k) {
            return super::gemv_order::gemv_rows(w, x, n, k);
        }
        return super::kernels::matmul_sequential(a, b, m, k, n, false);
    }
    let blocked = n / 4 * 4;
    let mut out = Vec::with_capacity(m * n);
    for i in 0..m {
        if super::interrupt::should_stop() {
            out.resize(m * n, T::zero());
            break;
        }
        let x = &a.data[i * a.rs..i * a.rs + k];
        // Elements to the next 16-byte boundary of the row's address (see the module docs).
        let peel = (4 - (a.start + i * a.rs) % 4) % 4;
        let w = |j: usize| &b.data[j * b.cs..j * b.cs + k];
        // The blocks' columns four at a time, so that their chains overlap (each output still
        // its own order).
        for j in (0..blocked).step_by(4) {
            out.extend(dots::<T, 4, 4>(x, [w(j), w(j + 1), w(j + 2), w(j + 3)], peel));
        }
        match n - blocked {
            1 => out.extend(dots::<T, 8, 1>(x, [w(blocked)], peel)),
            2 => out.extend(dots::<T, 8, 2>(x, [w(blocked), w(blocked + 1)], peel)),
            3 => out.extend(dots::<T, 8, 3>(x, [w(blocked), w(blocked + 1), w(blocked + 2)], peel)),
            _ => {}
        }
    }
    out
}

/// `N` outputs `x . w[c]`, each in its own order: the peel into lane 0, `L` lanes over whole
/// groups, folded in halves, then the leftover products in order. (Advanced together only so
/// that the chains overlap.)
// `c` and `l` walk arrays in step: indexing reads plainer than zipping them.
#[allow(clippy::needless_range_loop)]
#[inline]
fn dots<T: Float, const L: usize, const N: usize>(x: &[T], w: [&[T]; N], peel: usize) -> [T; N] {
    let k = x.len();
    let w = w.map(|w| &w[..k]);
    let peel = peel.min(k);
    let mut lanes = [[T::zero(); L]; N];
    let body = (k - peel) / L * L;
    if peel > 0 {
        // The first product alone, not `0 + product`: the sign of a zero depends on it.
        for c in 0..N {
            lanes[c][0] = (1..peel).fold(x[0] * w[c][0], |acc, p| acc + x[p] * w[c][p]);
        }
    }
    if body > 0 {
        for c in 0..N {
            for l in 0..L {
                let prod = x[peel + l] * w[c][peel + l];
                // Lane 0 goes on from the peel; the others start from their first product.
                lanes[c][l] = if l == 0 && peel > 0 { lanes[c][0] + prod } else { prod };
            }
        }
        for g in (peel + L..peel + body).step_by(L) {
            for c in 0..N {
                for l in 0..L {
                    lanes[c][l] = lanes[c][l] + x[g + l] * w[c][g + l];
                }
            }
        }
    }
    let mut out = [T::zero(); N];
    for c in 0..N {
        let lanes = &mut lanes[c];
        let mut width = L;
        while width > 1 {
            width /= 2;
            for j in 0..width {
                lanes[j] = lanes[j] + lanes[j + width];
            }
        }
        out[c] = (peel + body..k).fold(lanes[0], |acc, p| acc + x[p] * w[c][p]);
    }
    out
}
