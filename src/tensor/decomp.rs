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
