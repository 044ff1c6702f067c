//! Matrix decompositions behind `torch.linalg` (SVD, QR, symmetric and general eigen, Cholesky) on
//! column-major matrices, following LAPACK's algorithms step for step where a step fixes a
//! sign: Householder reflectors as `dlarfg` makes them (beta = -sign(alpha) * norm), the driver
//! paths of `gesdd` and `syevd`, `dbdsqr`'s and `dsteqr`'s rotations. PyTorch calls MKL, whose
//! choices were probed where they differ from reference LAPACK (`decomp_svd.rs`, `dsteqr`'s
//! rotation convention); signs and printed values agree, the last bits may not
//! (docs/divergences.md). The code is written once over a float type `F` in
//! `decomp_kernel.rs` and `decomp_svd.rs` and compiled per precision, since LAPACK's
//! s-routines (float32 input) make their sign decisions in float.

// The kernels transcribe LAPACK's index loops, which read better as indices than as
// iterator chains; `!(x > 0.0)` there is meant to be true for NaN.
#![allow(clippy::needless_range_loop, clippy::neg_cmp_op_on_partial_ord)]

/// Which factors a QR returns: `linalg.qr`'s modes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum QrMode {
    Reduced,
    Complete,
    R,
}

/// The kernels in double precision (float64 input).
pub mod f64k {
    include!("decomp_kernel.rs");
    include!("decomp_svd.rs");
    include!("decomp_eig.rs");
    type F = f64;
    use super::QrMode;
    use std::f64::consts;
}

/// The kernels in single precision (float32 input).
pub mod f32k {
    include!("decomp_kernel.rs");
    include!("decomp_svd.rs");
    include!("decomp_eig.rs");
    type F = f32;
    use super::QrMode;
    use std::f32::consts;
}

#[cfg(test)]
mod tests {
    use super::QrMode;
    use super::f64k::*;

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
}
