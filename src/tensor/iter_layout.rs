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
pub fn contiguous_calls(n: usize) -> Vec<Range<usize>> {
    threads::chunks(n, GRAIN_SIZE, threads::num_threads())
}

/// TensorIterator's `reorder_dimensions`: the dims innermost first, sorted (by insertion, as
/// ATen) on the operands' element strides: a zero stride says nothing, a smaller stride goes
/// inner, equal strides put the larger dim outer. With `reduction`, `ops[0]` is the
/// reduction's output and its zero-stride (reduced) dims go innermost first.
pub fn reorder_dims(shape: &[usize], ops: &[&[usize]], reduction: bool) -> Vec<usize> {
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
pub fn vector_mask(shape: &[usize], strides: &[&[usize]], step: usize) -> Vec<bool> {
    vector_mask_threads(shape, strides, step, threads::num_threads())
}

/// For each element of the row-major `shape`, whether the loop over inputs with element
/// `strides` (one slice per input, each of `shape`'s length) computes it in a vector step of
/// `step` elements, the loop being split across `threads` threads as `at::parallel_for` splits
/// it.
pub fn vector_mask_threads(
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
