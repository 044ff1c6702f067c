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
use super::sum_reduce::Run;

/// `m2 / (n - correction)`, with PyTorch's zero divisor (so `inf` or `nan`) when `n <= correction`.
fn finish(m2: f64, n: f64, correction: f64, sqrt: bool) -> f64 {
    let divisor = if n > correction { n - correction } else { 0.0 };
    let var = m2 / divisor;
    if sqrt { var.sqrt() } else { var }
}

/// A full reduction: `mean` is the input's mean as PyTorch computes it in the input's dtype;
/// the `n` elements sit in `x` and `parts` holds the runs ATen's 2-D loop takes them in, per
/// thread, in the input's memory order: each run's squared deviations summed from zero, the
/// runs' sums added into the thread's, the threads' added in order (`std_var_all_cpu`).
pub fn var_all<T: Float + Into<f64>>(
    x: &[T],
    parts: &[Vec<Run>],
    n: usize,
    mean: f64,
    correction: f64,
    sqrt: bool,
) -> f64 {
    // Each run's sum is a chain of dependent additions of its own, so two runs advance
    // together (the processor overlaps the two chains); each keeps its order.
    let runs: Vec<Run> = parts.iter().flatten().copied().collect();
    let mut local = Vec::with_capacity(runs.len());
    for pair in runs.chunks(2) {
        match pair {
            [a, b] => local.extend(squares2(x, [a, b], mean)),
            [a] => local.push(squares(x, a, Cursor::default(), 0.0, mean)),
            _ => {}
        }
    }
    let mut total = 0.0f64;
    let mut sums = local.into_iter();
    for part in parts {
        let mut thread = 0.0f64;
        for s in sums.by_ref().take(part.len()) {
            thread += s;
        }
        total += thread;
    }
    finish(total, n as f64, correction, sqrt)
}

/// Where a walk through a run stands: its row and the position in that row.
#[derive(Clone, Copy, Default)]
struct Cursor {
    row: usize,
    pos: usize,
}

/// `acc` plus the squared deviations of `run`'s elements from `at` on, one after another.
fn squares<T: Float + Into<f64>>(x: &[T], run: &Run, at: Cursor, mut acc: f64, mean: f64) -> f64 {
    let mut pos = at.pos;
    for j in at.row..run.n1 {
        let start = run.base + j * run.a1;
        if run.a0 == 1 {
            for &v in &x[start + pos..start + run.n0] {
                let d = v.into() - mean;
                acc += d * d;
            }
        } else {
            for i in pos..run.n0 {
                let d = x[start + i * run.a0].into() - mean;
                acc += d * d;
            }
        }
        pos = 0;
    }
    acc
}

/// The squared deviations of two runs, each summed from zero in its own order, walked side
/// by side in stretches as long as both runs' current rows allow.
fn squares2<T: Float + Into<f64>>(x: &[T], runs: [&Run; 2], mean: f64) -> [f64; 2] {
    let mut acc = [0.0f64; 2];
    let mut at = [Cursor::default(); 2];
    while at[0].row < runs[0].n1 && at[1].row < runs[1].n1 {
        let k = (runs[0].n0 - at[0].pos).min(runs[1].n0 - at[1].pos);
        let s: [usize; 2] =
            std::array::from_fn(|r| runs[r].base + at[r].row * runs[r].a1 + at[r].pos * runs[r].a0);
        let (mut a0, mut a1) = (acc[0], acc[1]);
        if runs[0].a0 == 1 && runs[1].a0 == 1 {
            for (&u, &v) in x[s[0]..s[0] + k].iter().zip(&x[s[1]..s[1] + k]) {
                let (du, dv) = (u.into() - mean, v.into() - mean);
                a0 += du * du;
                a1 += dv * dv;
            }
        } else {
            for t in 0..k {
                let du = x[s[0] + t * runs[0].a0].into() - mean;
                let dv = x[s[1] + t * runs[1].a0].into() - mean;
                a0 += du * du;
                a1 += dv * dv;
            }
        }
        acc = [a0, a1];
        for r in 0..2 {
            at[r].pos += k;
            if at[r].pos == runs[r].n0 {
                at[r] = Cursor { row: at[r].row + 1, pos: 0 };
            }
        }
    }
    for r in 0..2 {
        acc[r] = squares(x, runs[r], at[r], acc[r], mean);
    }
    acc
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
