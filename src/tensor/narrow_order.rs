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
pub(crate) fn narrow_rows<T: Float>(
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

#[cfg(test)]
mod tests {
    use super::super::recorded::{hashed as values, replay, same};
    use super::super::{Data, Tensor, kernels, nn};
    use super::*;


    /// Every output of `F.linear` recorded from PyTorch for 2-6 rows, 2-11 columns (and a few
    /// wider products of 2 or 3 rows), k from 1 to 1100, with and without a bias: the kernel
    /// (`matmul_mat` on `w.t()`) and `nn::linear` on tensors both give the recorded bits.
    #[test]
    fn linear_matches_recorded_pytorch() {
        let text = include_str!("testdata/narrow_linear_cases.txt");
        replay(text, 600, |row| {
            let [m, k, n, bias] = [0, 1, 2, 3].map(|i| row[i] as usize);
            let want = &row[4..];
            if want.len() != m * n {
                return Some(format!("{m} {k} {n}: {} outputs recorded", want.len()));
            }
            let (x, w, b) = (values(1, m * k), values(2, n * k), values(3, n));
            let wt = Mat {
                data: &w,
                rs: 1,
                cs: k,
                start: 0,
            };
            let mut kernel = kernels::matmul_mat(Mat::rows(&x, k), wt, m, k, n);
            if bias == 1 {
                for (o, v) in kernel.iter_mut().enumerate() {
                    *v += b[o % n];
                }
            }
            let tensor =
                |v: &[f32], shape: &[usize]| Tensor::from_data(Data::F32(v.to_vec()), shape);
            let via_linear = (|| {
                let bt = tensor(&b, &[n]).ok()?;
                let y = nn::linear(
                    &tensor(&x, &[m, k]).ok()?,
                    &tensor(&w, &[n, k]).ok()?,
                    (bias == 1).then_some(&bt),
                )
                .ok()?;
                y.to_f32_vec()
            })()
            .unwrap_or_default();
            let bad: Vec<usize> = (0..m * n)
                .filter(|&o| {
                    !same(kernel[o], want[o])
                        || via_linear.get(o).is_none_or(|&v| !same(v, want[o]))
                })
                .collect();
            (!bad.is_empty())
                .then(|| format!("m={m} k={k} n={n} bias={bias}: outputs {bad:?} differ"))
        });
    }

    /// `F.linear` on inputs that do not start at their allocation, recorded from PyTorch
    /// (testdata/gen_narrow_linear_offset.py): `x` a column slice of a wider matrix or a
    /// flat slice viewed as a matrix, or `w` a column slice. The kernel, given where `x`
    /// starts (`Mat::start`), and `nn::linear` on the same views give the recorded bits;
    /// most rows differ when the offset is ignored (the peel then counts from the slice).
    #[test]
    fn linear_on_offset_views_matches_recorded_pytorch() {
        let text = include_str!("testdata/narrow_linear_offset_cases.txt");
        let mut ignored_differs = 0;
        replay(text, 500, |row| {
            let [m, k, n, bias, kind, wide, s] = [0, 1, 2, 3, 4, 5, 6].map(|i| row[i] as usize);
            let want = &row[7..];
            if want.len() != m * n {
                return Some(format!("{m} {k} {n}: {} outputs recorded", want.len()));
            }
            let tensor =
                |v: Vec<f32>, shape: &[usize]| Tensor::from_data(Data::F32(v), shape).ok();
            // The buffers as PyTorch allocated them, and where x and w lie in them.
            let (xbuf, xm) = match kind {
                0 => (values(1, m * wide), (s, wide)),
                1 => (values(1, s + m * k + 5), (s, k)),
                _ => (values(1, m * k), (0, k)),
            };
            let (wbuf, wm) = match kind {
                2 => (values(2, n * wide), (s, wide)),
                _ => (values(2, n * k), (0, k)),
            };
            let b = values(3, n);
            let add_bias = |mut y: Vec<f32>| {
                if bias == 1 {
                    y.iter_mut().enumerate().for_each(|(o, v)| *v += b[o % n]);
                }
                y
            };
            let x_at = |start: usize| Mat {
                data: &xbuf[xm.0..],
                rs: xm.1,
                cs: 1,
                start,
            };
            let wt = Mat {
                data: &wbuf[wm.0..],
                rs: 1,
                cs: wm.1,
                start: wm.0,
            };
            let kernel = add_bias(kernels::matmul_mat(x_at(xm.0), wt, m, k, n));
            let ignored = add_bias(kernels::matmul_mat(x_at(0), wt, m, k, n));
            ignored_differs += usize::from((0..m * n).any(|o| !same(ignored[o], want[o])));
            let via_linear = (|| {
                let x = match kind {
                    0 => tensor(xbuf.clone(), &[m, wide])?.narrow(1, s as i64, k as i64).ok()?,
                    1 => tensor(xbuf.clone(), &[xbuf.len()])?
                        .narrow(0, s as i64, (m * k) as i64)
                        .ok()?
                        .view(&[m as isize, k as isize])
                        .ok()?,
                    _ => tensor(xbuf.clone(), &[m, k])?,
                };
                let w = match kind {
                    2 => tensor(wbuf.clone(), &[n, wide])?.narrow(1, s as i64, k as i64).ok()?,
                    _ => tensor(wbuf.clone(), &[n, k])?,
                };
                let bt = tensor(b.clone(), &[n])?;
                nn::linear(&x, &w, (bias == 1).then_some(&bt)).ok()?.to_f32_vec()
            })()
            .unwrap_or_default();
            let bad: Vec<usize> = (0..m * n)
                .filter(|&o| {
                    !same(kernel[o], want[o])
                        || via_linear.get(o).is_none_or(|&v| !same(v, want[o]))
                })
                .collect();
            (!bad.is_empty()).then(|| {
                format!("m={m} k={k} n={n} bias={bias} kind={kind} s={s}: outputs {bad:?} differ")
            })
        });
        // The recorded bits tell the offset apart: ignoring it fails most rows.
        assert!(ignored_differs > 400, "only {ignored_differs} rows depend on the offset");
    }

    /// The order's branches on one shape each, against the plain dot they replace: the peel
    /// (odd k, rows 1-3), four lanes (the first columns), eight lanes (the last n % 4 columns)
    /// and the leftover products all change some output's bits (the recorded test could fail).
    #[test]
    fn narrow_order_differs_from_the_plain_dot() {
        let (m, k, n) = (4, 37, 10);
        let (x, w) = (values(1, m * k), values(2, n * k));
        let wt = Mat {
            data: &w,
            rs: 1,
            cs: k,
            start: 0,
        };
        let narrow = narrow_rows(Mat::rows(&x, k), wt, m, k, n);
        let plain = kernels::matmul_sequential(Mat::rows(&x, k), wt, m, k, n, false);
        let differ = narrow
            .iter()
            .zip(&plain)
            .filter(|(a, b)| a.to_bits() != b.to_bits())
            .count();
        assert!(differ > m * n / 4, "{differ} of {} outputs differ", m * n);
    }
}
