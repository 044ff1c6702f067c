//! Many columns of one strided 2-D reduction slice summed at once, row by row, each column in
//! exactly the order of its own scalar cascade (`multi_row_sum` or `row_sum`, sum_reduce.rs).
//!
//! A column's additions depend only on its own elements and the slice's row count, so the
//! columns of a block can advance together: each row of the block is read where it sits in the
//! tensor's buffer (one contiguous run when the columns are adjacent, which the vector unit
//! adds lane by lane; a strided walk otherwise), instead of walking every column down its own
//! strided path, which for a transposed or column-sliced view touches a new cache line per
//! element. The cascades' partial sums live in a scratch buffer the caller allocates once.

use super::kernels::Float;

/// Columns per block. A block's rows are read one after another, so the wider the block the
/// longer the stretches of memory read in order (a row of a transposed matrix is a whole row
/// of its buffer, and a narrower block would walk the buffer once per block). Only the
/// cascade's first level is touched on every row (16 KB of float32 at this width), the others
/// every 16 rows; the row cascade only ever takes the fewer than 32 columns left over after
/// the blocks of four vectors.
pub const BLOCK: usize = 4096;
const LEVELS: usize = 4;

/// Scratch elements [`multi_cols`] and [`row_cols`] need for blocks of `width` columns.
pub(crate) fn scratch_len(width: usize) -> usize {
    LEVELS * 4 * width
}

/// `acc[k] += p[start + k * stride]` for every lane `k`.
#[inline(always)]
fn add_row<T: Float>(acc: &mut [T], p: &[T], start: usize, stride: usize) {
    if stride == 1 {
        let row = &p[start..start + acc.len()];
        for (a, &x) in acc.iter_mut().zip(row) {
            *a = *a + x;
        }
    } else {
        for (k, a) in acc.iter_mut().enumerate() {
            *a = *a + p[start + k * stride];
        }
    }
}

#[inline(always)]
fn add_into<T: Float>(acc: &mut [T], other: &[T]) {
    for (a, &x) in acc.iter_mut().zip(other) {
        *a = *a + x;
    }
}

/// ATen's `multi_row_sum` over `size` rows of `width` lanes: `row(i, lanes)` adds row `i`
/// into the lanes. `scratch` holds at least `LEVELS * width` elements; the result is left in
/// its first `width`.
fn multi_rows<T: Float>(
    size: usize,
    width: usize,
    scratch: &mut [T],
    mut row: impl FnMut(usize, &mut [T]),
) {
    let acc = &mut scratch[..LEVELS * width];
    acc.fill(T::zero());
    let level_power = super::sum_reduce::level_power(size, LEVELS);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let mut i = 0;
    while i + level_step <= size {
        for _ in 0..level_step {
            row(i, &mut acc[..width]);
            i += 1;
        }
        for j in 1..LEVELS {
            let (lower, upper) = acc.split_at_mut(j * width);
            let lo = &mut lower[(j - 1) * width..];
            for (h, l) in upper[..width].iter_mut().zip(lo.iter_mut()) {
                *h = *h + *l;
                *l = T::zero();
            }
            if i & (level_mask << (j as u32 * level_power)) != 0 {
                break;
            }
        }
    }
    while i < size {
        row(i, &mut acc[..width]);
        i += 1;
    }
    let (first, rest) = acc.split_at_mut(width);
    for level in rest.chunks_exact(width) {
        add_into(first, level);
    }
}

/// Columns `0..width` of a slice (column `k`'s element `i` at `base + i * step0 + k *
/// stride1` of `p`), each by `multi_row_sum` over all `size0` rows; the sums are left in
/// `scratch[..width]`; `scratch` holds [`scratch_len`]`(width)` elements.
pub(crate) fn multi_cols<T: Float>(
    p: &[T],
    base: usize,
    step0: usize,
    stride1: usize,
    size0: usize,
    width: usize,
    scratch: &mut [T],
) {
    multi_rows(size0, width, scratch, |i, lanes| {
        add_row(lanes, p, base + i * step0, stride1)
    });
}

/// The same columns each by ATen's scalar `row_sum`: rows `4i..4i+3` as four interleaved
/// `multi_row_sum` lanes, the rows left over added into the first, the four added in order;
/// the sums are left in `scratch[..width]`.
pub(crate) fn row_cols<T: Float>(
    p: &[T],
    base: usize,
    step0: usize,
    stride1: usize,
    size0: usize,
    width: usize,
    scratch: &mut [T],
) {
    let ilp = size0 / 4;
    let lanes = 4 * width;
    if ilp > 0 {
        multi_rows(ilp, lanes, scratch, |i, acc| {
            for (k, part) in acc.chunks_exact_mut(width).enumerate() {
                add_row(part, p, base + (4 * i + k) * step0, stride1);
            }
        });
    } else {
        scratch[..lanes].fill(T::zero());
    }
    let (first, rest) = scratch.split_at_mut(width);
    for i in ilp * 4..size0 {
        add_row(first, p, base + i * step0, stride1);
    }
    for part in rest[..lanes - width].chunks_exact(width) {
        add_into(first, part);
    }
}
