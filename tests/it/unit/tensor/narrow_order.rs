//! Unit tests of `tensor::narrow_order`.

use crate::unit::tensor::recorded::{hashed as values, replay, same};
use lessonrun::tensor::{Data, Tensor, kernels, nn};
use lessonrun::tensor::narrow_order::*;
use lessonrun::tensor::kernels::{Float, Mat};


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
