//! `torch.dot`'s summation order: MKL's `sdot`/`ddot` as PyTorch 2.15 calls them on the oracle
//! machine (docs/matmul-order.md, "torch.dot"; probes in docs/probes/mkl_dot.py).
//!
//! Found by reconstructing the addition tree from which ones survive next to a large element
//! (`2^24` for float32, `2^53` for float64) and confirmed on random vectors of 1 to 200
//! elements (995 per dtype, all bit-equal) and on lengths up to 100 003 with one thread:
//! - products are rounded, then added (no fused multiply-add);
//! - float32: four 4-lane accumulators take blocks of 16 elements (register `r` lane `l` adds
//!   element `16b + 4r + l`); the rest takes one block of 8 (registers 0 and 1), then one of 4
//!   (register 0), then single elements into register 0's lane 0;
//! - float64: four 2-lane accumulators take blocks of 8; the rest goes into register 0 two
//!   elements at a time, a last single one into its lane 0;
//! - registers are added lane by lane as `((r0 + r1) + r2) + r3`, then the lanes: float32
//!   `(l0 + l2) + (l1 + l3)`, float64 `l0 + l1`;
//! - a strided operand (`x[::2]`) makes MKL add the rounded products one after another.
//!
//! With two threads MKL splits vectors of 32 KiB or more (8192 float32, 4096 float64
//! elements) between them in a way the probes did not pin down: those lengths keep the
//! one-thread order here (docs/divergences.md).

use ndarray::{ArrayD, IxDyn};

use super::kernels::Float;

/// `torch.dot` of two 1-D arrays as a 0-d array: [`mkl_dot`] when both tensors are
/// contiguous, [`sequential_dot`] when either is strided.
pub(crate) fn dot_scalar<T: Float>(x: &ArrayD<T>, y: &ArrayD<T>, contiguous: bool) -> ArrayD<T> {
    let (x, y) = (x.as_standard_layout(), y.as_standard_layout());
    let (x, y) = (x.as_slice().unwrap_or(&[]), y.as_slice().unwrap_or(&[]));
    let d = if contiguous {
        mkl_dot(x, y)
    } else {
        sequential_dot(x, y)
    };
    ArrayD::from_elem(IxDyn(&[]), d)
}

/// `dot(x, y)` of two contiguous vectors of equal length in MKL's order (see the module doc).
pub fn mkl_dot<T: Float>(x: &[T], y: &[T]) -> T {
    let n = x.len().min(y.len());
    // Lanes per register: 128-bit vectors.
    let lanes = 16 / std::mem::size_of::<T>();
    let mut acc = [[T::zero(); 4]; 4];
    let mut add = |r: usize, e: usize, width: usize| {
        for l in 0..width {
            acc[r][l] = acc[r][l] + x[e + l] * y[e + l];
        }
    };
    let mut e = 0;
    while e + 4 * lanes <= n {
        for r in 0..4 {
            add(r, e + r * lanes, lanes);
        }
        e += 4 * lanes;
    }
    if lanes == 4 {
        if e + 8 <= n {
            add(0, e, 4);
            add(1, e + 4, 4);
            e += 8;
        }
        if e + 4 <= n {
            add(0, e, 4);
            e += 4;
        }
    } else {
        while e + lanes <= n {
            add(0, e, lanes);
            e += lanes;
        }
    }
    while e < n {
        add(0, e, 1);
        e += 1;
    }
    let v: Vec<T> = (0..lanes)
        .map(|l| ((acc[0][l] + acc[1][l]) + acc[2][l]) + acc[3][l])
        .collect();
    if lanes == 4 {
        (v[0] + v[2]) + (v[1] + v[3])
    } else {
        v[0] + v[1]
    }
}

/// `dot(x, y)` with a strided operand: the rounded products added in order from zero.
pub fn sequential_dot<T: Float>(x: &[T], y: &[T]) -> T {
    x.iter().zip(y).fold(T::zero(), |s, (&a, &b)| s + a * b)
}
