//! Forward values of `var` and `std` in PyTorch's CPU algorithms, in double, rounded once.
//!
//! A reduction over every dim that is not of size 1 is `std_var_all_cpu`: the input's own mean
//! (a float32 tensor's float32 mean), then a double sum of squared deviations in the input's
//! memory order, one partial sum per call of TensorIterator's 2-D loop. A
//! reduction over some dims is Welford's update in double (`WelfordOps` under
//! `binary_kernel_reduce`), element by element in memory order; for a reduction over leading
//! or middle dims the updates of all kept positions advance together, row by row, which keeps
//! each one's order and reads the input once.

use super::kernels::Float;

/// `m2 / (n - correction)`, with PyTorch's zero divisor (so `inf` or `nan`) when `n <= correction`.
fn finish(m2: f64, n: f64, correction: f64, sqrt: bool) -> f64 {
    let divisor = if n > correction { n - correction } else { 0.0 };
    let var = m2 / divisor;
    if sqrt { var.sqrt() } else { var }
}

/// A full reduction: `mean` is the input's mean as PyTorch computes it in the input's dtype;
/// `x` holds the values in the input's memory order and `parts` the runs ATen's 2-D loop takes
/// them in, per thread: each run's squared deviations summed from zero, the runs' sums added
/// into the thread's, the threads' added in order (`std_var_all_cpu`).
pub(crate) fn var_all<T: Float + Into<f64>>(
    x: &[T],
    parts: &[Vec<std::ops::Range<usize>>],
    mean: f64,
    correction: f64,
    sqrt: bool,
) -> f64 {
    let mut total = 0.0f64;
    for runs in parts {
        let mut thread = 0.0f64;
        for run in runs {
            let mut local = 0.0f64;
            for &v in &x[run.clone()] {
                let d = v.into() - mean;
                local += d * d;
            }
            thread += local;
        }
        total += thread;
    }
    finish(total, x.len() as f64, correction, sqrt)
}

/// Welford over the middle dim of a contiguous `outer x len x inner` block: one value per
/// (outer, inner) position, in that order.
pub(crate) fn var_welford<T: Float + Into<f64>>(
    x: &[T],
    outer: usize,
    len: usize,
    inner: usize,
    correction: f64,
    sqrt: bool,
) -> Vec<f64> {
    let mut out = Vec::with_capacity(outer * inner);
    let mut mean = vec![0.0f64; inner];
    let mut m2 = vec![0.0f64; inner];
    for o in 0..outer {
        mean.fill(0.0);
        m2.fill(0.0);
        let block = &x[o * len * inner..(o + 1) * len * inner];
        for (i, row) in block.chunks_exact(inner).enumerate() {
            let nf = (i + 1) as f64;
            for ((&v, mu), s) in row.iter().zip(mean.iter_mut()).zip(m2.iter_mut()) {
                let v: f64 = v.into();
                let delta = v - *mu;
                *mu += delta / nf;
                *s += delta * (v - *mu);
            }
        }
        out.extend(m2.iter().map(|&s| finish(s, len as f64, correction, sqrt)));
    }
    out
}
