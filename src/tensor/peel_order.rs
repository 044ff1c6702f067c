//! The summation order of MKL's plain (non-FMA) float32 kernel for a row-major `mat2` (`x @ w`
//! with `w` of shape `(k, n)`, a product too narrow for the FMA kernel, or the rows the FMA
//! kernel leaves over): the "peeled" leading columns of each output row (docs/matmul-order.md,
//! "Peeled columns of a row-major `mat2`").
//!
//! MKL vectorises such a product along the output row. Before the vector part it peels the
//! columns up to the 16-byte boundary of the output row's address, `(-(s + i * n)) % 4` columns
//! on row `i` of an output whose first element lies `s` elements into its 64-byte aligned
//! allocation (a fresh tensor: `s = 0`; batch `b` of a `bmm`: `s = b * m * n`), and only when
//! at least four columns (one vector) remain after the peel. A peeled column's sum takes
//! the products in blocks of four: the even blocks (`p` in `0..4`, `8..12`, ...) are added to
//! the running sum one by one, each odd block (`4..8`, `12..16`, ...) is summed apart (a chain
//! from its first product) and that sum then added; a last incomplete block is added one by
//! one. The other columns are the plain chain in order. Every product and every sum is
//! rounded. The order does not depend on where `x` or `w` start, nor on `x`'s strides.

use super::kernels::Float;

/// The `start` of an output that no MKL kernel writes (ATen's own loop for small `bmm`
/// batches): nothing is peeled.
pub const NO_PEEL: usize = usize::MAX;

/// How many leading columns of output row `i` take the peeled order, for an output with `n`
/// columns starting `start` elements into its allocation.
#[inline]
pub fn peel(start: usize, i: usize, n: usize) -> usize {
    if start == NO_PEEL {
        return 0;
    }
    let p = (4 - (start + i * n) % 4) % 4;
    if n >= p + 4 { p } else { 0 }
}

/// Whether the peel applies to this element type: MKL's sgemm only (float64 was not probed).
#[inline]
pub(crate) fn applies<T>() -> bool {
    std::mem::size_of::<T>() == 4
}

/// One peeled column's sum from `init` (+0 for a product, the bias for `addmm`'s bias-first
/// sums): the products `prod(p)` for `p` in `0..k` in MKL's block order (module docs).
#[inline]
pub fn peeled_sum<T: Float>(init: T, k: usize, prod: impl Fn(usize) -> T) -> T {
    let mut acc = init;
    let mut p = 0;
    while p + 8 <= k {
        for q in p..p + 4 {
            acc = acc + prod(q);
        }
        let mut t = prod(p + 4);
        for q in p + 5..p + 8 {
            t = t + prod(q);
        }
        acc = acc + t;
        p += 8;
    }
    for q in p..k {
        acc = acc + prod(q);
    }
    acc
}
