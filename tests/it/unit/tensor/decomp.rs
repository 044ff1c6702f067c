//! Unit tests of `tensor::decomp`.

#![allow(clippy::needless_range_loop)]

use lessonrun::tensor::decomp::QrMode;
use lessonrun::tensor::decomp::f64k::*;

fn close(a: &Mat, b: &Mat) -> bool {
    a.a.iter().zip(&b.a).all(|(x, y)| (x - y).abs() < 1e-12)
}

fn sample(m: usize, n: usize) -> Mat {
    let v: Vec<f64> = (0..m * n)
        .map(|i| ((i * 7919 % 97) as f64 - 48.0) / 17.0)
        .collect();
    Mat::from_rows(m, n, &v)
}

#[test]
fn svd_reconstructs_every_path() {
    for (m, n) in [
        (4, 3),
        (3, 4),
        (9, 3),
        (3, 9),
        (5, 5),
        (1, 4),
        (4, 1),
        (2, 2),
    ] {
        let a = sample(m, n);
        let (s, u, vt) = svd(&a, true, false).unwrap();
        assert!(s.windows(2).all(|w| w[0] >= w[1]));
        let mut us = u.clone();
        for j in 0..s.len() {
            for i in 0..m {
                us.set(i, j, u.at(i, j) * s[j]);
            }
        }
        assert!(close(&us.matmul(&vt), &a), "{m}x{n}");
        let (_, uf, vf) = svd(&a, true, true).unwrap();
        assert!(close(&uf.transpose().matmul(&uf), &Mat::eye(m, m)));
        assert!(close(&vf.matmul(&vf.transpose()), &Mat::eye(n, n)));
    }
}

#[test]
fn qr_eigh_cholesky_reconstruct() {
    let a = sample(5, 3);
    let (q, r) = qr(&a, QrMode::Reduced);
    assert!(close(&q.matmul(&r), &a));
    let s = a.transpose().matmul(&a);
    for upper in [false, true] {
        let (w, z) = eigh(&s, upper, true).unwrap();
        assert!(w.windows(2).all(|p| p[0] <= p[1]));
        let mut zw = z.clone();
        for j in 0..3 {
            for i in 0..3 {
                zw.set(i, j, z.at(i, j) * w[j]);
            }
        }
        assert!(close(&zw.matmul(&z.transpose()), &s));
    }
    let l = cholesky(&s).unwrap();
    assert!(close(&l.matmul(&l.transpose()), &s));
    assert_eq!(
        cholesky(&Mat::from_rows(2, 2, &[1.0, 2.0, 2.0, 1.0])).unwrap_err(),
        2
    );
}
