//! The intra-op thread count PyTorch's CPU kernels are modelled on, and the ways it shows in
//! results: `at::parallel_for`'s split of a range into per-thread chunks and the two-pass
//! reduction that sums each chunk on its own before adding the chunks' results.
//!
//! lessonrun itself computes on one thread; the count only decides summation orders, so that a
//! lesson sees the bits PyTorch gives with that many threads. PyTorch starts with one thread
//! per physical core; [`DEFAULT_THREADS`] is the oracle machine's count, and a lesson changes it
//! as in PyTorch, with `torch.set_num_threads(n)` (per lesson: each runs on its own thread).

use std::cell::Cell;
use std::ops::Range;

use super::kernels::{Float, cascade_sum, row_sum};

/// `torch.get_num_threads()` on the machine the expected outputs come from (2 cores).
pub const DEFAULT_THREADS: usize = 2;

/// ATen's `at::internal::GRAIN_SIZE`: ranges this long or shorter run on one thread.
pub const GRAIN_SIZE: usize = 32768;

thread_local! {
    static THREADS: Cell<usize> = const { Cell::new(DEFAULT_THREADS) };
}

/// The thread count results are computed for (`torch.get_num_threads()`).
pub fn num_threads() -> usize {
    THREADS.with(Cell::get)
}

/// `torch.set_num_threads(n)` for the current lesson thread; `n` must be positive (the caller
/// reports PyTorch's error otherwise).
pub fn set_num_threads(n: usize) {
    THREADS.with(|t| t.set(n.max(1)));
}

/// The chunks `at::parallel_for(0, n, grain, f)` hands its threads (OpenMP build): one chunk
/// when `n <= grain` or with one thread; otherwise `min(threads, ceil(n / grain))` threads,
/// each taking `ceil(n / that)` consecutive indices, in thread order.
pub fn chunks(n: usize, grain: usize, threads: usize) -> Vec<Range<usize>> {
    if n <= grain || threads <= 1 || n <= 1 {
        return std::iter::once(0..n).collect();
    }
    let used = threads.min(n.div_ceil(grain.max(1)));
    let size = n.div_ceil(used);
    (0..used)
        .map(|t| t * size..((t + 1) * size).min(n))
        .filter(|r| !r.is_empty())
        .collect()
}

/// `torch.sum` of a contiguous run reduced to one value, as `TensorIterator::parallel_reduce`
/// computes it: under [`GRAIN_SIZE`] elements (or with one thread) one cascade; from there on
/// the two-pass reduction, one cascade per [`chunks`] part into a buffer of one slot per
/// thread (each slot starting at zero), then the buffer itself summed by the same kernel into
/// the zeroed output.
pub fn full_sum<T: Float>(x: &[T]) -> T {
    // Slots past the used chunks hold zeros; more than 65536 threads are summed as 65536 (the
    // buffer is one slot per thread, and no machine a lesson runs on has that many).
    let threads = num_threads().min(1 << 16);
    if x.len() < GRAIN_SIZE || threads == 1 {
        return cascade_sum(x);
    }
    let sums: Vec<T> = chunks(x.len(), GRAIN_SIZE, threads)
        .into_iter()
        .map(|part| T::zero() + cascade_sum(&x[part]))
        .collect();
    let zero = [T::zero()];
    T::zero() + row_sum(threads, 1, |i| sums.get(i..i + 1).unwrap_or(&zero))[0]
}
