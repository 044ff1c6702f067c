//! `torch.sum` (and so `mean`) of float tensors in any layout, in the order ATen's CPU kernel
//! adds, decided by the input's memory strides rather than its logical shape.
//!
//! Facts from ATen (TensorIterator.cpp `reorder_dimensions`/`coalesce_dimensions`,
//! `serial_for_each`/`DimCounter`, `parallel_reduce`'s two-pass reduction; SumKernel.cpp
//! `cascade_sum`), confirmed against PyTorch 2.15 by docs/probes/sum_order.py:
//! - the dims are ordered innermost first, reduced dims first, then by the input's strides
//!   ([`reorder_dims`]); adjacent dims merge where both the output (0 on reduced dims) and the
//!   input step over them as over one;
//! - the kernel sees 2-D slices (the two innermost merged dims, `size0` x `size1`), one per
//!   index of the outer dims, and each slice adds its partial sums into the zeroed output
//!   (`out = out + partial`, in slice order, so a reduction spread over outer dims is a
//!   left-to-right sum of slice results);
//! - within a slice each column (a run along dim 0) is summed on its own: `row_sum` (a 4-way
//!   interleaved cascade) or, for columns in ATen's blocks of four (vectors), `multi_row_sum`
//!   directly; a run contiguous in memory with 8 (float32) / 4 (float64) or more elements is
//!   the vectorised inner sum ([`cascade_sum`]); the columns' results are stored in order;
//! - one output over 32768+ elements: each thread chunk of the dense iteration order sums into
//!   its own slot from zero, the slots are then summed by the same kernel into the output.
//!
//! The walk reads the elements where they sit in the tensor's buffer (a view's base's, from
//! the view's offset by its strides), never a gathered copy: a transposed or sliced view is
//! summed at the speed of reading its buffer once. Where a slice's columns lie closer together
//! than its rows, blocks of columns advance together row by row (src/tensor/sum_columns.rs).

use super::iter_layout::reorder_dims;
use super::kernels::{Float, cascade_sum};
use super::sum_columns::{self, BLOCK};
use super::threads::{self, GRAIN_SIZE};

/// One merged iteration dim: its length, the input's memory stride (elements) and the
/// output's stride over it.
#[derive(Clone, Copy)]
pub struct IterDim {
    pub size: usize,
    pub in_stride: usize,
    pub out_stride: usize,
}

/// log2 of how many rows `multi_row_sum` adds into its first level before carrying into the
/// next: ceil(log2(size)) spread over `levels`, at least 4.
pub(crate) fn level_power(size: usize, levels: usize) -> u32 {
    let ceil_log2 = if size <= 2 { 1 } else { usize::BITS - (size - 1).leading_zeros() };
    (ceil_log2 / levels as u32).max(4)
}

/// ATen's `multi_row_sum` for one lane: a 4-level cascade of partial sums.
pub fn multi_lane<T: Float>(x: &[T], start: usize, step: usize, size: usize) -> T {
    const LEVELS: usize = 4;
    let level_power = level_power(size, LEVELS);
    let level_step = 1usize << level_power;
    let level_mask = level_step - 1;
    let mut acc = [T::zero(); LEVELS];
    let mut i = 0;
    while i + level_step <= size {
        for _ in 0..level_step {
            acc[0] = acc[0] + x[start + i * step];
            i += 1;
        }
        for j in 1..LEVELS {
            acc[j] = acc[j] + acc[j - 1];
            acc[j - 1] = T::zero();
            if i & (level_mask << (j as u32 * level_power)) != 0 {
                break;
            }
        }
    }
    while i < size {
        acc[0] = acc[0] + x[start + i * step];
        i += 1;
    }
    let mut out = acc[0];
    for &a in &acc[1..] {
        out = out + a;
    }
    out
}

/// ATen's scalar `row_sum`: `size` elements from `start`, `step` apart, as four interleaved
/// `multi_row_sum` lanes, the tail into lane 0, the lanes added in order.
pub fn row_lane<T: Float>(x: &[T], start: usize, step: usize, size: usize) -> T {
    let ilp = size / 4;
    let mut part = [T::zero(); 4];
    if ilp > 0 {
        for (k, p) in part.iter_mut().enumerate() {
            *p = multi_lane(x, start + k * step, 4 * step, ilp);
        }
    }
    for i in ilp * 4..size {
        part[0] = part[0] + x[start + i * step];
    }
    part[0] + part[1] + part[2] + part[3]
}

/// TensorIterator's iteration dims for reducing `rd` of `shape` (memory `strides`): the
/// logical dims innermost first, and the merged dims with the count of logical dims in each.
pub fn iteration(shape: &[usize], strides: &[usize], rd: &[usize]) -> (Vec<usize>, Vec<IterDim>) {
    let nd = shape.len();
    let mut out_strides = vec![0usize; nd];
    let mut acc = 1;
    for d in (0..nd).rev() {
        if !rd.contains(&d) {
            out_strides[d] = acc;
            acc *= shape[d];
        }
    }
    let perm = reorder_dims(shape, &[&out_strides, strides], true);
    let mut dims: Vec<IterDim> = Vec::with_capacity(nd);
    for &d in &perm {
        let next = IterDim {
            size: shape[d],
            in_stride: strides[d],
            out_stride: out_strides[d],
        };
        match dims.last_mut() {
            // `coalesce_dimensions`: a size-1 dim merges with anything (taking the other's
            // strides when it is the first), else every operand must step over the pair as
            // over one dim.
            Some(p)
                if p.size == 1
                    || next.size == 1
                    || (p.size * p.in_stride == next.in_stride
                        && p.size * p.out_stride == next.out_stride) =>
            {
                if p.size == 1 {
                    p.in_stride = next.in_stride;
                    p.out_stride = next.out_stride;
                }
                p.size *= next.size;
            }
            _ => dims.push(next),
        }
    }
    (perm, dims)
}

/// The reduction kernel on one 2-D slice (`cascade_sum`'s loop): the slice's elements sit in
/// `p` from `base`, `step0` apart along dim 0 and `stride1` along dim 1, and each column's sum
/// is added into `out` from `obase` in column order. `scratch` grows to what the column
/// blocks need (once per reduction, not per slice).
#[allow(clippy::too_many_arguments)]
fn slice<T: Float>(
    p: &[T],
    base: usize,
    step0: usize,
    stride1: usize,
    size0: usize,
    size1: usize,
    d0: IterDim,
    d1: IterDim,
    out: &mut [T],
    obase: usize,
    scratch: &mut Vec<T>,
) {
    let w = T::LANES;
    let col = |j: usize| base + j * stride1;
    let mut store = |j: usize, v: T| {
        let o = &mut out[obase + j * d1.out_stride];
        *o = *o + v;
    };
    if d0.in_stride == 1 && size0 >= w && step0 == 1 {
        // Contiguous inner reduction: each column is a vectorised cascade.
        for j in 0..size1 {
            store(j, cascade_sum(&p[col(j)..col(j) + size0]));
        }
        return;
    }
    // Columns summed with `multi_row_sum` directly: the vectorised outer reduction's blocks
    // of four vectors, or the scalar outer reduction's blocks of four columns.
    let blocked = if d1.in_stride == 1 && size1 >= w {
        size1 / (4 * w) * (4 * w)
    } else if d0.in_stride < d1.in_stride {
        0
    } else {
        size1 / 4 * 4
    };
    if size1 > 1 && size0 > 1 && stride1 < step0 {
        // Columns closer together than rows (a transposed or column-sliced view): blocks of
        // columns advance together, each row of a block read in one pass.
        let need = sum_columns::scratch_len(size1.min(BLOCK));
        if scratch.len() < need {
            scratch.resize(need, T::zero());
        }
        let mut j = 0;
        while j < size1 {
            let end = if j < blocked { blocked } else { size1 };
            let width = (end - j).min(BLOCK);
            if j < blocked {
                sum_columns::multi_cols(p, col(j), step0, stride1, size0, width, scratch);
            } else {
                sum_columns::row_cols(p, col(j), step0, stride1, size0, width, scratch);
            }
            for (k, &v) in scratch[..width].iter().enumerate() {
                store(j + k, v);
            }
            j += width;
        }
        return;
    }
    for j in 0..size1 {
        let v = if j < blocked {
            multi_lane(p, col(j), step0, size0)
        } else {
            row_lane(p, col(j), step0, size0)
        };
        store(j, v);
    }
}

/// `serial_for_each` over the dense iteration order `range`: the 2-D slices `DimCounter`
/// hands the kernel, each summed into `out` (whose stride on each dim is in `dims`); the
/// elements sit in `p` from `offset`, each dim's `in_stride` apart.
fn serial<T: Float>(
    p: &[T],
    offset: usize,
    dims: &[IterDim],
    range: std::ops::Range<usize>,
    out: &mut [T],
    scratch: &mut Vec<T>,
) {
    let one = IterDim {
        size: 1,
        in_stride: 0,
        out_stride: 0,
    };
    let d0 = dims.first().copied().unwrap_or(one);
    let d1 = dims.get(1).copied().unwrap_or(one);
    if dims.len() <= 1 {
        let start = range.start;
        let n = range.len();
        slice(
            p,
            offset + start * d0.in_stride,
            d0.in_stride,
            0,
            n,
            1,
            d0,
            d1,
            out,
            start * d0.out_stride,
            scratch,
        );
        return;
    }
    dim_counter(dims, range, |values, step0, step1| {
        let mut pbase = offset;
        let mut obase = 0;
        for (v, d) in values.iter().zip(dims) {
            pbase += v * d.in_stride;
            obase += v * d.out_stride;
        }
        slice(
            p,
            pbase,
            d0.in_stride,
            d1.in_stride,
            step0,
            step1,
            d0,
            d1,
            out,
            obase,
            scratch,
        );
    });
}

/// `DimCounter` over the dense iteration order `range` of `dims` (at least two): `f` gets each
/// 2-D step's position (per dim) and its extent along dims 0 and 1.
pub fn dim_counter(
    dims: &[IterDim],
    range: std::ops::Range<usize>,
    mut f: impl FnMut(&[usize], usize, usize),
) {
    let nd = dims.len();
    let (size0, size1) = (dims[0].size, dims[1].size);
    let mut values = vec![0usize; nd];
    let mut lin = range.start;
    for (v, d) in values.iter_mut().zip(dims) {
        *v = lin % d.size;
        lin /= d.size;
    }
    let mut offset = range.start;
    while offset < range.end {
        let step0 = (size0 - values[0]).min(range.end - offset);
        let step1 = if step0 == size0 {
            (size1 - values[1]).min((range.end - offset) / size0)
        } else {
            1
        };
        f(&values, step0, step1);
        offset += step0 * step1;
        let (mut i, mut overflow) = if step1 != 1 { (1, step1) } else { (0, step0) };
        while i < nd && overflow > 0 {
            let v = values[i] + overflow;
            if v >= dims[i].size {
                overflow = 1;
                values[i] = v - dims[i].size;
            } else {
                overflow = 0;
                values[i] = v;
            }
            i += 1;
        }
    }
}

/// Whether every element of the layout (`offset`, `shape`, `strides`) lies inside a buffer of
/// `len` elements: a view's layout always does; the walks below check it once rather than
/// index past the end should that invariant ever break.
pub fn fits(len: usize, offset: usize, shape: &[usize], strides: &[usize]) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let last = shape.iter().zip(strides).try_fold(offset, |acc, (&n, &s)| {
        acc.checked_add((n - 1).checked_mul(s)?)
    });
    last.is_some_and(|l| l < len)
}

/// One call of TensorIterator's 2-D loop over a single input: `n1` runs of `n0` elements, the
/// element `(i, j)` at `base + i * a0 + j * a1` of the buffer, run by run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    pub base: usize,
    pub n0: usize,
    pub a0: usize,
    pub n1: usize,
    pub a1: usize,
}

/// A single input walked elementwise as TensorIterator walks it (dims ordered by its strides
/// and merged): the calls of the 2-D loop over its buffer (elements from `offset`, `strides`
/// apart), for each [`threads::chunks`] part of its elements.
pub fn memory_runs(shape: &[usize], strides: &[usize], offset: usize) -> Vec<Vec<Run>> {
    let numel: usize = shape.iter().product();
    let all: Vec<usize> = (0..shape.len()).collect();
    let (_, dims) = iteration(shape, strides, &all);
    let a0 = dims.first().map_or(0, |d| d.in_stride);
    threads::chunks(numel, GRAIN_SIZE, threads::num_threads())
        .into_iter()
        .map(|part| {
            if dims.len() <= 1 {
                return vec![Run {
                    base: offset + part.start * a0,
                    n0: part.len(),
                    a0,
                    n1: 1,
                    a1: 0,
                }];
            }
            let mut runs = Vec::new();
            dim_counter(&dims, part, |values, step0, step1| {
                let base = offset
                    + values
                        .iter()
                        .zip(&dims)
                        .map(|(v, d)| v * d.in_stride)
                        .sum::<usize>();
                runs.push(Run {
                    base,
                    n0: step0,
                    a0,
                    n1: step1,
                    a1: dims[1].in_stride,
                });
            });
            runs
        })
        .collect()
}

/// The sum over `rd` of the tensor whose elements sit in `buf` from `offset`, `strides` apart
/// (logical `shape`), one value per output in row-major order over the kept dims. The caller
/// checks that the layout [`fits`] the buffer.
pub fn strided_sum<T: Float>(
    buf: &[T],
    offset: usize,
    shape: &[usize],
    strides: &[usize],
    rd: &[usize],
) -> Vec<T> {
    let n_out: usize = (0..shape.len())
        .filter(|d| !rd.contains(d))
        .map(|d| shape[d])
        .product();
    let numel: usize = shape.iter().product();
    let mut out = vec![T::zero(); n_out];
    if numel == 0 {
        return out;
    }
    if rd.iter().all(|&d| shape[d] == 1) {
        // Not a true reduction: `out + x`, element by element in row-major order.
        let x = super::view::Layout {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset,
        };
        return x
            .positions()
            .into_iter()
            .map(|i| T::zero() + buf[i])
            .collect();
    }
    let (_, dims) = iteration(shape, strides, rd);
    let mut scratch = Vec::new();
    let threads = threads::num_threads().min(1 << 16);
    if n_out == 1 && numel >= GRAIN_SIZE && threads > 1 {
        // Two passes: one slot per thread, each chunk of the iteration order summed into its
        // own, then the slots summed by the same kernel into the zeroed output.
        let mut slots = vec![T::zero(); threads];
        for (slot, part) in slots
            .iter_mut()
            .zip(threads::chunks(numel, GRAIN_SIZE, threads))
        {
            let mut acc = [T::zero()];
            serial(buf, offset, &dims, part, &mut acc, &mut scratch);
            *slot = acc[0];
        }
        let total = if threads >= T::LANES {
            cascade_sum(&slots)
        } else {
            row_lane(&slots, 0, 1, threads)
        };
        out[0] = out[0] + total;
        return out;
    }
    // Outputs past the grain size are split across threads by output dim in ATen, which keeps
    // each output's order except where the split cuts a slice's block of columns (unprobed).
    serial(buf, offset, &dims, 0..numel, &mut out, &mut scratch);
    out
}

/// Whether the reduced dims (of more than one element) are not one block of adjacent dims
/// among the others: kernels::reduce_sum's contiguous fast paths do not cover those.
pub(crate) fn scattered(shape: &[usize], rd: &[usize]) -> bool {
    let active: Vec<usize> = (0..shape.len()).filter(|&d| shape[d] != 1).collect();
    let pos: Vec<usize> = active
        .iter()
        .enumerate()
        .filter(|(_, d)| rd.contains(d))
        .map(|(i, _)| i)
        .collect();
    pos.windows(2).any(|w| w[1] != w[0] + 1)
}

// The old two-copy walk kept as the reference the in-place one must match bit for bit.
