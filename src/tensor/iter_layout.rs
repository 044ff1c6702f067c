//! Which elements ATen's vectorised CPU loop (`cpu_kernel_vec` over a TensorIterator) computes in
//! whole vector steps, for any layout of its inputs (contiguous, transposed, sliced, expanded)
//! and any size (split across threads past the grain size), so that ops whose vector and scalar
//! loops differ in the last bit can follow it element by element.
//!
//! Facts from ATen's TensorIterator (TensorIterator.cpp), for an elementwise op whose output
//! it allocates: the dims are ordered by the inputs' strides (`reorder_dimensions`: the first
//! input whose strides along two dims differ, neither being 0, decides; equal strides put the
//! larger dim outside), the output is laid out densely in that order, adjacent dims merge
//! where every operand steps over them as over one (`coalesce_dimensions`), and each row of the
//! innermost merged dim is one call of the loop: vector steps of `step` elements from the row's
//! start and the scalar loop on its tail, provided every operand is contiguous along the row
//! or (one input) constant; otherwise the scalar loop takes every element.
//!
//! `for_each` runs on one thread below the grain size (32768 elements); from there on
//! `at::parallel_for` hands each thread a chunk of the dense output order ([`threads::chunks`]),
//! and a chunk that starts or ends inside a row makes that row's part its own loop call, with
//! its own vector steps from the part's start and its own tail (docs/probes/
//! chunk_vector_steps.py: a contiguous op of n elements on 2 threads gives, bit for bit, the op
//! on each chunk computed as a tensor of its own).

use std::ops::Range;

use super::threads::{self, GRAIN_SIZE};

/// The calls of the vectorised loop over a contiguous operand of `n` elements (every operand
/// contiguous, or the one other constant): one per thread chunk, each with vector steps from
/// its start.
pub(crate) fn contiguous_calls(n: usize) -> Vec<Range<usize>> {
    threads::chunks(n, GRAIN_SIZE, threads::num_threads())
}

/// TensorIterator's `reorder_dimensions`: the dims innermost first, sorted (by insertion, as
/// ATen) on the operands' element strides: a zero stride says nothing, a smaller stride goes
/// inner, equal strides put the larger dim outer. With `reduction`, `ops[0]` is the
/// reduction's output and its zero-stride (reduced) dims go innermost first.
pub(crate) fn reorder_dims(shape: &[usize], ops: &[&[usize]], reduction: bool) -> Vec<usize> {
    let nd = shape.len();
    let should_swap = |d0: usize, d1: usize| -> i32 {
        for (k, s) in ops.iter().enumerate() {
            let (s0, s1) = (s[d0], s[d1]);
            if reduction && k == 0 && (s0 == 0) != (s1 == 0) {
                return if s1 == 0 { 1 } else { -1 };
            }
            if s0 == 0 || s1 == 0 {
                continue;
            }
            if s0 < s1 {
                return -1;
            }
            if s0 > s1 {
                return 1;
            }
            if shape[d0] > shape[d1] {
                return 1;
            }
        }
        0
    };
    let mut perm: Vec<usize> = (0..nd).rev().collect();
    for i in 1..nd {
        let mut dim1 = i;
        for dim0 in (0..i).rev() {
            match should_swap(perm[dim0], perm[dim1]) {
                c if c > 0 => {
                    perm.swap(dim0, dim1);
                    dim1 = dim0;
                }
                c if c < 0 => break,
                _ => {}
            }
        }
    }
    perm
}

/// [`vector_mask_threads`] for the lesson's thread count.
pub(crate) fn vector_mask(shape: &[usize], strides: &[&[usize]], step: usize) -> Vec<bool> {
    vector_mask_threads(shape, strides, step, threads::num_threads())
}

/// For each element of the row-major `shape`, whether the loop over inputs with element
/// `strides` (one slice per input, each of `shape`'s length) computes it in a vector step of
/// `step` elements, the loop being split across `threads` threads as `at::parallel_for` splits
/// it.
pub(crate) fn vector_mask_threads(
    shape: &[usize],
    strides: &[&[usize]],
    step: usize,
    threads: usize,
) -> Vec<bool> {
    let nd = shape.len();
    let numel: usize = shape.iter().product();
    let perm = reorder_dims(shape, strides, false);
    // The output's strides: dense in `perm` order.
    let mut out_strides = vec![0usize; nd];
    let mut acc = 1;
    for &d in &perm {
        out_strides[d] = acc;
        acc *= shape[d];
    }
    // Coalesce innermost first; only the innermost merged dim matters.
    let ops: Vec<Vec<usize>> = std::iter::once(out_strides.clone())
        .chain(strides.iter().map(|s| s.to_vec()))
        .collect();
    let mut len = 1usize;
    let mut inner: Vec<usize> = vec![0; ops.len()];
    let mut started = false;
    for &d in &perm {
        let n = shape[d];
        if n == 1 {
            continue;
        }
        if !started {
            len = n;
            for (k, op) in ops.iter().enumerate() {
                inner[k] = op[d];
            }
            started = true;
            continue;
        }
        if ops
            .iter()
            .enumerate()
            .all(|(k, op)| inner[k] * len == op[d])
        {
            len *= n;
        } else {
            break;
        }
    }
    let inputs = &inner[1..];
    let contiguous = inputs.iter().all(|&s| s == 1);
    let one_constant =
        inputs.iter().filter(|&&s| s == 0).count() == 1 && inputs.iter().all(|&s| s <= 1);
    let vectorised = started && inner[0] == 1 && (contiguous || one_constant);
    if !vectorised || len < step {
        return vec![false; numel];
    }
    // First by output offset: each thread chunk's part of each row is one loop call, vector
    // steps from that part's start.
    let mut dense = vec![false; numel];
    for chunk in threads::chunks(numel, GRAIN_SIZE, threads) {
        let mut start = chunk.start;
        while start < chunk.end {
            let end = (start - start % len + len).min(chunk.end);
            let n = end - start;
            dense[start..start + n - n % step].fill(true);
            start = end;
        }
    }
    if out_strides
        .iter()
        .zip(shape)
        .rev()
        .scan(1, |acc, (&s, &n)| {
            let ok = n == 1 || s == *acc;
            *acc *= n;
            Some(ok)
        })
        .all(|ok| ok)
    {
        // The output's order is row-major already.
        return dense;
    }
    // Then row-major, following each element's output offset (the output is dense).
    let mut mask = Vec::with_capacity(numel);
    let (inner, inner_stride) = (shape[nd - 1], out_strides[nd - 1]);
    let mut idx = vec![0usize; nd - 1];
    let mut base = 0usize;
    while mask.len() < numel {
        mask.extend((0..inner).map(|j| dense[base + j * inner_stride]));
        for d in (0..nd - 1).rev() {
            idx[d] += 1;
            base += out_strides[d];
            if idx[d] < shape[d] {
                break;
            }
            base -= out_strides[d] * shape[d];
            idx[d] = 0;
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::{GRAIN_SIZE, vector_mask_threads};

    fn vector_mask(shape: &[usize], strides: &[&[usize]], step: usize) -> Vec<bool> {
        vector_mask_threads(shape, strides, step, 2)
    }

    #[test]
    fn contiguous_rows_split_into_steps_and_tail() {
        let m = vector_mask(&[70], &[&[1]], 32);
        assert_eq!(m.iter().filter(|&&v| v).count(), 64);
        assert!(m[63] && !m[64]);
    }

    #[test]
    fn a_transpose_runs_in_memory_order() {
        // (7, 9) viewed from a (9, 7) buffer: memory order is column-major here.
        let m = vector_mask(&[7, 9], &[&[1, 7]], 32);
        // Element (i, j) sits at memory offset j*7 + i; the first 32 offsets are vector.
        for i in 0..7 {
            for j in 0..9 {
                assert_eq!(m[i * 9 + j], j * 7 + i < 32, "({i}, {j})");
            }
        }
    }

    #[test]
    fn a_strided_last_dim_takes_the_scalar_loop() {
        assert!(vector_mask(&[3, 40], &[&[80, 2]], 32).iter().all(|&v| !v));
    }

    #[test]
    fn an_expanded_first_dim_gives_rows_of_the_rest() {
        let m = vector_mask(&[3, 2, 20], &[&[0, 20, 1]], 32);
        for r in 0..3 {
            assert_eq!(m[r * 40..(r + 1) * 40].iter().filter(|&&v| v).count(), 32);
        }
    }

    #[test]
    fn mixed_layouts_follow_the_first_input() {
        // Gradient contiguous, input transposed: rows of the gradient, the input strided.
        assert!(
            vector_mask(&[7, 9], &[&[9, 1], &[1, 7]], 32)
                .iter()
                .all(|&v| !v)
        );
    }

    #[test]
    fn thread_chunks_restart_the_vector_steps() {
        // 70001 contiguous elements on 2 threads: chunks 0..35001 and 35001..70001.
        let m = vector_mask(&[70001], &[&[1]], 32);
        let (a, b) = (35001usize, 70001usize);
        for (i, &v) in m.iter().enumerate() {
            let want = if i < a {
                i < a - a % 32
            } else {
                i - a < (b - a) - (b - a) % 32
            };
            assert_eq!(v, want, "element {i}");
        }
        // One thread: one call. Just past the grain size: two calls of 16387 and 16386.
        let one = vector_mask_threads(&[70001], &[&[1]], 32, 1);
        assert_eq!(one.iter().filter(|&&v| v).count(), 70001 - 70001 % 32);
        let g = vector_mask(&[GRAIN_SIZE + 5], &[&[1]], 32);
        assert_eq!(
            g.iter().filter(|&&v| v).count(),
            (GRAIN_SIZE + 5) / 2 / 32 * 32 * 2
        );
    }

    #[test]
    fn a_chunk_boundary_inside_a_row_splits_that_row() {
        // x[:, :707] of a (99, 800) buffer: rows of 707 that do not merge. 69993 elements on 2
        // threads split at 34997, inside row 49 (34643..35350): parts of 354 and 353 elements,
        // each with 352 in vector steps; the rows around are whole calls (704 vector).
        let m = vector_mask(&[99, 707], &[&[800, 1]], 32);
        let (row, split) = (49 * 707, 69993usize.div_ceil(2));
        assert!(m[row + 351] && !m[row + 352] && !m[split - 1]);
        assert!(m[split] && m[split + 351] && !m[split + 352]);
        assert!(m[row - 4] && !m[row - 3] && m[row + 707 + 703] && !m[row + 707 + 704]);
    }
}
