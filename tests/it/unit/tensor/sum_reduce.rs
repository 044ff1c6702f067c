//! The in-place strided sum (and the runs `var`/`std` over all dims walk) against the walk it
//! replaced, bit for bit: the view gathered in logical order, packed again in iteration order,
//! each column summed on its own. That walk's order was checked against PyTorch
//! (tests/conformance/sum-layouts.md); this one must add the same numbers in the same order.

use lessonrun::tensor::view::Layout;
use lessonrun::tensor::sum_reduce::*;
use lessonrun::tensor::iter_layout::reorder_dims;
use lessonrun::tensor::kernels::{Float, cascade_sum};
use lessonrun::tensor::sum_columns::{self, BLOCK};
use lessonrun::tensor::threads::{self, GRAIN_SIZE};

/// Values spread over six orders of magnitude, so any change of order shows in the last bits.
fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [1e-3, 1.0, 1e3][(s % 3) as usize];
            T::from_f64((u - 0.5) * scale)
        })
        .collect()
}

/// The old walk: `x` (a view's logical values) packed in the iteration order `perm`.
fn old_packed<T: Float>(x: &[T], shape: &[usize], perm: &[usize]) -> Vec<T> {
    let moving: Vec<usize> = perm.iter().copied().filter(|&d| shape[d] > 1).collect();
    let logical = Layout::contiguous(shape).strides;
    if moving.is_empty() {
        return x.to_vec();
    }
    let (inner, outer) = (moving[0], &moving[1..]);
    let (n0, s0) = (shape[inner], logical[inner]);
    let mut out = Vec::with_capacity(x.len());
    let mut idx = vec![0usize; outer.len()];
    let mut base = 0;
    loop {
        out.extend((0..n0).map(|i| x[base + i * s0]));
        let mut k = 0;
        loop {
            if k == outer.len() {
                return out;
            }
            let d = outer[k];
            idx[k] += 1;
            base += logical[d];
            if idx[k] < shape[d] {
                break;
            }
            base -= idx[k] * logical[d];
            idx[k] = 0;
            k += 1;
        }
    }
}

/// The old slice kernel: every column on its own.
#[allow(clippy::too_many_arguments)]
fn old_slice<T: Float>(
    p: &[T],
    base: usize,
    step0: usize,
    stride1: usize,
    (size0, size1): (usize, usize),
    d0: IterDim,
    d1: IterDim,
    out: &mut [T],
    obase: usize,
) {
    let w = T::LANES;
    for j in 0..size1 {
        let c = base + j * stride1;
        let v = if d0.in_stride == 1 && size0 >= w && step0 == 1 {
            cascade_sum(&p[c..c + size0])
        } else {
            let blocked = if d1.in_stride == 1 && size1 >= w {
                size1 / (4 * w) * (4 * w)
            } else if d0.in_stride < d1.in_stride {
                0
            } else {
                size1 / 4 * 4
            };
            if j < blocked {
                multi_lane(p, c, step0, size0)
            } else {
                row_lane(p, c, step0, size0)
            }
        };
        let o = &mut out[obase + j * d1.out_stride];
        *o = *o + v;
    }
}

fn old_serial<T: Float>(
    p: &[T],
    dims: &[IterDim],
    addr: &[usize],
    range: std::ops::Range<usize>,
    out: &mut [T],
) {
    let one = IterDim {
        size: 1,
        in_stride: 0,
        out_stride: 0,
    };
    let d0 = dims[0];
    let d1 = dims.get(1).copied().unwrap_or(one);
    if dims.len() <= 1 {
        let (start, n) = (range.start, range.len());
        let obase = start * d0.out_stride;
        old_slice(p, start * addr[0], addr[0], 0, (n, 1), d0, d1, out, obase);
        return;
    }
    dim_counter(dims, range, |values, step0, step1| {
        let mut pbase = 0;
        let mut obase = 0;
        for ((v, d), a) in values.iter().zip(dims).zip(addr) {
            pbase += v * a;
            obase += v * d.out_stride;
        }
        let (a0, a1) = (addr[0], addr[1]);
        old_slice(p, pbase, a0, a1, (step0, step1), d0, d1, out, obase);
    });
}

/// Spans of the packed buffer: each merged dim's stride in it.
fn spans(dims: &[IterDim]) -> Vec<usize> {
    dims.iter()
        .scan(1, |span, d| {
            let a = *span;
            *span *= d.size;
            Some(a)
        })
        .collect()
}

/// The old `strided_sum` of a view whose logical values are `x`.
fn old_sum<T: Float>(x: &[T], shape: &[usize], strides: &[usize], rd: &[usize]) -> Vec<T> {
    let n_out: usize = (0..shape.len())
        .filter(|d| !rd.contains(d))
        .map(|d| shape[d])
        .product();
    let numel = x.len();
    let mut out = vec![T::zero(); n_out];
    if numel == 0 {
        return out;
    }
    if rd.iter().all(|&d| shape[d] == 1) {
        return x.iter().map(|&v| T::zero() + v).collect();
    }
    let (perm, dims) = iteration(shape, strides, rd);
    let p = old_packed(x, shape, &perm);
    let addr = spans(&dims);
    let threads = threads::num_threads().min(1 << 16);
    if n_out == 1 && numel >= GRAIN_SIZE && threads > 1 {
        let mut slots = vec![T::zero(); threads];
        for (slot, part) in slots
            .iter_mut()
            .zip(threads::chunks(numel, GRAIN_SIZE, threads))
        {
            let mut acc = [T::zero()];
            old_serial(&p, &dims, &addr, part, &mut acc);
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
    old_serial(&p, &dims, &addr, 0..numel, &mut out);
    out
}

/// The old runs of `var`/`std` over all dims: the packed values' squared deviations summed
/// run by run.
fn old_var<T: Float + Into<f64>>(x: &[T], shape: &[usize], strides: &[usize], mean: f64) -> f64 {
    let all: Vec<usize> = (0..shape.len()).collect();
    let (perm, dims) = iteration(shape, strides, &all);
    let p = old_packed(x, shape, &perm);
    let mut total = 0.0f64;
    for part in threads::chunks(x.len(), GRAIN_SIZE, threads::num_threads()) {
        let mut runs = Vec::new();
        if dims.len() <= 1 {
            runs.push(part);
        } else {
            let mut at = part.start;
            dim_counter(&dims, part, |_, step0, step1| {
                runs.push(at..at + step0 * step1);
                at += step0 * step1;
            });
        }
        let mut thread = 0.0f64;
        for run in runs {
            let mut local = 0.0f64;
            for &v in &p[run] {
                let d = v.into() - mean;
                local += d * d;
            }
            thread += local;
        }
        total += thread;
    }
    total
}

/// A small deterministic generator of layout choices.
struct Pick(u64);

impl Pick {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// A random view of a contiguous buffer of `base` shape: permuted, sliced with steps and
/// offsets, given expanded dims.
fn random_view(pick: &mut Pick, base: &[usize]) -> Layout {
    let mut l = Layout::contiguous(base);
    for d in 0..l.shape.len() {
        let n = l.shape[d];
        if n > 2 && pick.below(3) == 0 {
            let step = 1 + pick.below(3);
            let start = pick.below(n / 2);
            let len = (n - start).div_ceil(step);
            l = l.slice(d, start, len, step);
        }
    }
    if l.shape.len() < 4 && pick.below(3) == 0 {
        let d = pick.below(l.shape.len() + 1);
        l = l.unsqueeze(d);
        let mut shape = l.shape.clone();
        shape[d] = 2 + pick.below(4);
        l = l.expand(&shape).expect("a size-1 dim expands");
    }
    let mut axes: Vec<usize> = (0..l.shape.len()).collect();
    for i in (1..axes.len()).rev() {
        axes.swap(i, pick.below(i + 1));
    }
    l.permute(&axes)
}

fn bits<T: Float + Into<f64>>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| Into::<f64>::into(x).to_bits()).collect()
}

/// `cases` random views of random bases of up to four dims, each at most `max` long and
/// together at most `budget` elements, summed over every set of dims.
fn check_layouts<T: Float + Into<f64>>(seed: u64, cases: usize, max: usize, budget: usize) {
    let mut pick = Pick(seed);
    for case in 0..cases {
        let rank = 1 + pick.below(4);
        let mut base: Vec<usize> = Vec::with_capacity(rank);
        for _ in 0..rank {
            let room = budget / base.iter().product::<usize>().max(1);
            base.push(1 + pick.below(max.min(room).max(1)));
        }
        let n: usize = base.iter().product();
        let buf: Vec<T> = values(n, seed + case as u64);
        let l = random_view(&mut pick, &base);
        let x: Vec<T> = l.positions().into_iter().map(|p| buf[p]).collect();
        let nd = l.shape.len();
        for mask in 1u32..(1 << nd) {
            let rd: Vec<usize> = (0..nd).filter(|d| mask & (1 << d) != 0).collect();
            let new = strided_sum(&buf, l.offset, &l.shape, &l.strides, &rd);
            let old = old_sum(&x, &l.shape, &l.strides, &rd);
            assert_eq!(bits(&new), bits(&old), "{l:?} over {rd:?}");
        }
        let mean = 0.25;
        let runs = memory_runs(&l.shape, &l.strides, l.offset);
        let new = lessonrun::tensor::variance::var_all(&buf, &runs, x.len(), mean, 0.0, false);
        let old = old_var(&x, &l.shape, &l.strides, mean) / x.len() as f64;
        assert_eq!(new.to_bits(), old.to_bits(), "var of {l:?}");
    }
}

#[test]
fn in_place_sums_match_the_gathered_walk_on_small_views() {
    check_layouts::<f32>(1, 300, 9, 6561);
    check_layouts::<f64>(2, 300, 9, 6561);
}

#[test]
fn in_place_sums_match_the_gathered_walk_on_wide_views() {
    // Rows and columns past the vector blocks (4 x 8) and the multi_row_sum level steps (16
    // rows and more).
    check_layouts::<f32>(3, 60, 1500, 200_000);
    check_layouts::<f64>(4, 60, 1500, 200_000);
}

#[test]
fn in_place_sums_match_the_gathered_walk_past_the_grain_size() {
    // Transposed, column-sliced and expanded matrices whose sum into one value is split
    // across threads.
    for threads in [1, 2, 3] {
        threads::set_num_threads(threads);
        for (base, view) in [
            (
                [300usize, 250],
                Layout::contiguous(&[300, 250]).permute(&[1, 0]),
            ),
            (
                [300, 250],
                Layout::contiguous(&[300, 250]).slice(1, 1, 124, 2),
            ),
            (
                [1, 300],
                Layout::contiguous(&[1, 300])
                    .expand(&[200, 300])
                    .expect("expands"),
            ),
            // Wider than a block of columns (4096).
            ([12, 5000], Layout::contiguous(&[12, 5000])),
            (
                [12, 9000],
                Layout::contiguous(&[12, 9000]).slice(1, 3, 4400, 2),
            ),
        ] {
            let buf: Vec<f32> = values(base.iter().product(), 7);
            let x: Vec<f32> = view.positions().into_iter().map(|p| buf[p]).collect();
            for rd in [vec![0, 1], vec![0], vec![1]] {
                let new = strided_sum(&buf, view.offset, &view.shape, &view.strides, &rd);
                let old = old_sum(&x, &view.shape, &view.strides, &rd);
                assert_eq!(bits(&new), bits(&old), "{view:?} over {rd:?}");
            }
            let runs = memory_runs(&view.shape, &view.strides, view.offset);
            let new = lessonrun::tensor::variance::var_all(&buf, &runs, x.len(), 0.1, 0.0, false);
            let old = old_var(&x, &view.shape, &view.strides, 0.1) / x.len() as f64;
            assert_eq!(new.to_bits(), old.to_bits(), "var of {view:?}");
        }
    }
    threads::set_num_threads(threads::DEFAULT_THREADS);
}

#[test]
fn layouts_past_the_buffer_are_refused() {
    assert!(fits(6, 0, &[2, 3], &[3, 1]));
    assert!(!fits(6, 1, &[2, 3], &[3, 1]));
    assert!(fits(0, 9, &[0, 3], &[3, 1]));
    assert!(!fits(6, 0, &[2, 3], &[usize::MAX, 1]));
}
