//! `softmax`/`log_softmax` over the last dim in ATen's vectorised order (`_vec_softmax_lastdim`,
//! `_vec_log_softmax_lastdim`): the row's exponentials are summed by `vec::reduce_all` /
//! `map_reduce_all` over 512-bit vectors (16 float32 or 8 float64 lanes on the AVX512 machine
//! the corpus was recorded on). A row shorter than a vector is summed left to right; a longer
//! one accumulates whole vectors lane by lane, adds the partial last vector into the first
//! lanes, and folds the lanes ([`fold_lanes`]). The exponentials are SLEEF's (`expf_u10`,
//! `expd_u10`) for every element, the tail included: `vec::map` runs the vector function on a
//! partly loaded last vector. Softmax over another dim is [`softmax_inner`].

use ndarray::{ArrayD, IxDyn};

use super::kernels::Float;
use super::storage::Storage;
use super::{Result, Tensor, TensorError};

/// `exp` and `log` as `Vectorized<T>::exp` / `::log` compute them (SLEEF's u10 functions).
pub(crate) trait VecExp: Float {
    fn vec_exp(self) -> Self;
    fn vec_log(self) -> Self;
    /// `vec_exp` of every element, in place (float32: eight lanes at a time, same bits).
    fn vec_exp_in_place(xs: &mut [Self]) {
        xs.iter_mut().for_each(|x| *x = x.vec_exp());
    }
}
impl VecExp for f32 {
    fn vec_exp(self) -> Self {
        self.vexp()
    }
    fn vec_exp_in_place(xs: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        super::sigmoid_avx2::exp_in_place(xs);
        #[cfg(not(target_arch = "x86_64"))]
        xs.iter_mut().for_each(|x| *x = x.vec_exp());
    }
    fn vec_log(self) -> Self {
        super::sleef::logf_u10(self)
    }
}
impl VecExp for f64 {
    fn vec_exp(self) -> Self {
        super::sleef_f64::expd(self)
    }
    fn vec_log(self) -> Self {
        super::sleef_f64::logd(self)
    }
}

/// Lanes of one AVX512 vector of `T`.
fn lanes<T>() -> usize {
    64 / std::mem::size_of::<T>()
}

/// `vec_reduce_all` over an accumulator vector: float32 has a shuffle tree on AVX512
/// (`VecReduceAllSIMD`: lanes folded by halves); float64 has none and adds lanes 1.. to lane 0
/// in order (probed: 215 of 215 float64 softmax rows of 1 to 65 elements, against 149 for the
/// tree).
fn fold_lanes<T: Float>(acc: &mut [T]) -> T {
    if std::mem::size_of::<T>() == 8 {
        return acc[1..].iter().fold(acc[0], |a, &x| a + x);
    }
    let mut width = acc.len();
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = acc[j] + acc[j + width];
        }
    }
    acc[0]
}

/// ATen's `vec::reduce_all(+)` over `v`.
pub fn lane_sum<T: Float>(v: &[T]) -> T {
    let w = lanes::<T>();
    if v.len() < w {
        // `vec_reduce_all` over a partly loaded vector: lane 0, then lanes 1.. in order.
        return v
            .iter()
            .skip(1)
            .fold(v.first().copied().unwrap_or_else(T::zero), |a, &x| a + x);
    }
    // A stack accumulator (at most 16 lanes) added a whole vector at a time: each lane sees
    // the same additions in the same order as a heap row indexed by `k % w` would.
    let mut buf = [T::zero(); 16];
    let acc = &mut buf[..w];
    acc.copy_from_slice(&v[..w]);
    let full = v.len() - v.len() % w;
    for chunk in v[w..full].chunks_exact(w) {
        for (a, &x) in acc.iter_mut().zip(chunk) {
            *a = *a + x;
        }
    }
    for (a, &x) in acc.iter_mut().zip(&v[full..]) {
        *a = *a + x;
    }
    fold_lanes(acc)
}

fn row_max<T: Float>(r: &[T]) -> T {
    // Whole vectors lane by lane, then the lanes: the maximum is the same value in any order,
    // and a NaN anywhere makes the row's maximum NaN, as the scan from the left does.
    let mut acc = [r[0]; 16];
    let mut nan = false;
    let chunks = r.chunks_exact(16);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            nan |= x.is_nan();
            *a = if x > *a { x } else { *a };
        }
    }
    let mut m = acc[0];
    for &x in acc[1..].iter().chain(rest) {
        nan |= x.is_nan();
        m = if x > m { x } else { m };
    }
    if nan {
        // The NaN the scan from the left keeps: the last one it meets.
        return r.iter().rev().copied().find(|x| x.is_nan()).unwrap_or(m);
    }
    m
}

/// `softmax` over a dim other than the last, as ATen's `_vec_softmax` for float and double:
/// the (outer, inner) columns are split between PyTorch's 2 threads (`parallel_for` with grain
/// 0), and within a thread's part runs of a whole vector's width of columns inside one inner
/// row take the vector path (SLEEF exp), the rest the scalar path (the C library's exp). Either
/// way a column is `exp(x - max)`, summed from zero down the dim, then divided by the sum.
pub(crate) fn softmax_inner(x: &Storage, d: usize) -> Result<Storage> {
    let shape = x.shape();
    let (outer, dim, inner) = super::ops::split3(&shape, d);
    fn go<T: VecExp>(a: &ArrayD<T>, outer: usize, dim: usize, inner: usize) -> Result<ArrayD<T>> {
        let a = a.as_standard_layout();
        let a = a.as_slice().unwrap_or(&[]);
        let mut out = vec![T::zero(); a.len()];
        let column = |out: &mut [T], j: usize, vector: bool| {
            let at = |k: usize| (j / inner) * dim * inner + k * inner + j % inner;
            let m = (1..dim).fold(a[at(0)], |m, k| {
                if a[at(k)].is_nan() || a[at(k)] > m {
                    a[at(k)]
                } else {
                    m
                }
            });
            let mut s = T::zero();
            for k in 0..dim {
                let e = if vector {
                    (a[at(k)] - m).vec_exp()
                } else {
                    (a[at(k)] - m).exp()
                };
                out[at(k)] = e;
                s = s + e;
            }
            for k in 0..dim {
                out[at(k)] = out[at(k)] / s;
            }
        };
        let (w, n) = (lanes::<T>(), outer * inner);
        if dim > 0 {
            let chunk = n.div_ceil(2).max(1);
            for t in 0..2 {
                let (begin, end) = ((t * chunk).min(n), ((t + 1) * chunk).min(n));
                let mut idx = begin;
                while idx < end {
                    let i = idx % inner;
                    let step = if i + w <= inner && idx + w <= end {
                        w
                    } else if idx + w > end {
                        end - idx
                    } else {
                        inner - i
                    };
                    let vector = step == w && i + w <= inner && idx + w <= end;
                    for j in idx..idx + step {
                        column(&mut out, j, vector);
                    }
                    idx += step;
                }
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[outer * dim * inner]), out)
            .map_err(|e| TensorError::runtime(e.to_string()))
    }
    let flat = match x {
        Storage::F32(a) => Storage::F32(go(a, outer, dim, inner)?),
        Storage::F64(a) => Storage::F64(go(a, outer, dim, inner)?),
        _ => return Err(TensorError::runtime("softmax needs a float tensor")),
    };
    flat.reshape(&shape)
}

/// `log_softmax` over dim `d` when it is not the last, as ATen's `_vec_logsoftmax` computes it:
/// the inner positions of each outer index are taken in chunks of
/// `max(128 KiB / (dim * sizeof), W) / W * W` (W: lanes of one AVX512 vector); within a chunk
/// of `size` positions the first `size - size % W` are vector lanes (SLEEF exp), the rest the
/// scalar loop (the C library's exp). Either way a position's max starts at -inf and takes each
/// element greater than it, its sum is `exp(x - max)` added from zero down the dim, and its
/// log is SLEEF's (`vec::map` over the whole chunk); out = `(x - max) - log(sum)`.
pub(crate) fn log_softmax_inner(x: &Storage, d: usize) -> Result<Storage> {
    let shape = x.shape();
    let (outer, dim, inner) = super::ops::split3(&shape, d);
    fn go<T: VecExp>(a: &ArrayD<T>, outer: usize, dim: usize, inner: usize) -> Result<ArrayD<T>> {
        // Compiled with AVX2 and FMA where the CPU has them: SLEEF's log and the C library's
        // exp inline their fused multiply-adds (a libm call each otherwise) and the loops
        // over a chunk take eight lanes; the same bits either way.
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            #[target_feature(enable = "avx2,fma")]
            fn fast<T: VecExp>(a: &ArrayD<T>, outer: usize, dim: usize, inner: usize) -> Result<ArrayD<T>> {
                body(a, outer, dim, inner)
            }
            // SAFETY: the CPU has the features `fast` is compiled for.
            return unsafe { fast(a, outer, dim, inner) };
        }
        body(a, outer, dim, inner)
    }
    #[inline(always)]
    fn body<T: VecExp>(a: &ArrayD<T>, outer: usize, dim: usize, inner: usize) -> Result<ArrayD<T>> {
        let a = a.as_standard_layout();
        let a = a.as_slice().unwrap_or(&[]);
        let mut out = vec![T::zero(); a.len()];
        let w = lanes::<T>();
        let chunk = ((128 * 1024 / dim.max(1) / std::mem::size_of::<T>()).max(w)) / w * w;
        // Per chunk, the positions' maxima, sums and exponentials side by side, so each step
        // down the dim reads one contiguous run of the row instead of one element per column.
        let (mut m, mut s, mut z) = (Vec::new(), Vec::new(), Vec::new());
        for o in 0..outer {
            let mut begin = 0;
            while begin < inner {
                let size = chunk.min(inner - begin);
                let vec_end = size - size % w;
                let row = |k: usize| o * dim * inner + k * inner + begin;
                m.clear();
                m.resize(size, T::from_f64(f64::NEG_INFINITY));
                for k in 0..dim {
                    // A select, not a conditional store, so the loop takes vector lanes.
                    for (m, &v) in m.iter_mut().zip(&a[row(k)..row(k) + size]) {
                        *m = if v > *m { v } else { *m };
                    }
                }
                s.clear();
                s.resize(size, T::zero());
                z.resize(size, T::zero());
                for k in 0..dim {
                    for ((z, &v), &m) in z.iter_mut().zip(&a[row(k)..row(k) + size]).zip(&m) {
                        *z = v - m;
                    }
                    T::vec_exp_in_place(&mut z[..vec_end]);
                    z[vec_end..].iter_mut().for_each(|z| *z = z.exp());
                    for (s, &e) in s.iter_mut().zip(&z) {
                        *s = *s + e;
                    }
                }
                s.iter_mut().for_each(|s| *s = s.vec_log());
                for k in 0..dim {
                    let r = row(k);
                    for (((o, &v), &m), &ls) in out[r..r + size].iter_mut().zip(&a[r..r + size]).zip(&m).zip(&s) {
                        *o = (v - m) - ls;
                    }
                }
                begin += size;
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[outer * dim * inner]), out)
            .map_err(|e| TensorError::runtime(e.to_string()))
    }
    let flat = match x {
        Storage::F32(a) => Storage::F32(go(a, outer, dim, inner)?),
        Storage::F64(a) => Storage::F64(go(a, outer, dim, inner)?),
        _ => return Err(TensorError::runtime("log_softmax needs a float tensor")),
    };
    flat.reshape(&shape)
}

/// The backward of `softmax` (`log` false) or `log_softmax` (`log` true) over dim `d` when it
/// is not the last, as ATen's `_vec_softmax_backward` / `_vec_log_softmax_backward` compute it
/// on contiguous `g` (upstream gradient) and `y` (the forward's output). Per (outer, inner)
/// column the sum runs from zero down the dim: softmax fuses each term (`fma(g, y, sum)`, as
/// GCC contracts `sum += g * y` on the vector lanes and the scalar tail alike), log_softmax adds
/// `g`. Then softmax gives `y * (g - sum)`, log_softmax `fma(-exp(y), sum, g)` with SLEEF's exp
/// on the whole vectors of each chunk of inner positions (chunks as [`log_softmax_inner`]) and
/// the C library's on the rest (docs/probes/softmax_backward.py).
pub(crate) fn softmax_backward_inner(g: &Storage, y: &Storage, d: usize, log: bool) -> Result<Storage> {
    let shape = y.shape();
    let (outer, dim, inner) = super::ops::split3(&shape, d);
    fn go<T: VecExp>(g: &ArrayD<T>, y: &ArrayD<T>, outer: usize, dim: usize, inner: usize, log: bool) -> Result<ArrayD<T>> {
        // The fused sums and `fma(-e, s, g)` compiled with FMA where the CPU has it (a libm
        // call per element otherwise); the same bits either way.
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            #[target_feature(enable = "avx2,fma")]
            fn fast<T: VecExp>(g: &ArrayD<T>, y: &ArrayD<T>, outer: usize, dim: usize, inner: usize, log: bool) -> Result<ArrayD<T>> {
                body(g, y, outer, dim, inner, log)
            }
            // SAFETY: the CPU has the features `fast` is compiled for.
            return unsafe { fast(g, y, outer, dim, inner, log) };
        }
        body(g, y, outer, dim, inner, log)
    }
    #[inline(always)]
    fn body<T: VecExp>(g: &ArrayD<T>, y: &ArrayD<T>, outer: usize, dim: usize, inner: usize, log: bool) -> Result<ArrayD<T>> {
        let (g, y) = (g.as_standard_layout(), y.as_standard_layout());
        let (g, y) = (g.as_slice().unwrap_or(&[]), y.as_slice().unwrap_or(&[]));
        if g.len() != y.len() || g.len() != outer * dim * inner {
            return Err(TensorError::runtime("softmax backward: gradient and output shapes differ"));
        }
        let mut out = vec![T::zero(); g.len()];
        let w = lanes::<T>();
        let chunk = ((128 * 1024 / dim.max(1) / std::mem::size_of::<T>()).max(w)) / w * w;
        // Row by row of the chunk, as ATen walks it: each position's sum still runs from zero
        // down the dim, and the exponentials of a row's vector part go eight lanes at a time.
        let mut sums = vec![T::zero(); chunk.min(inner)];
        for o in 0..outer {
            let mut begin = 0;
            while begin < inner {
                let size = chunk.min(inner - begin);
                let vec_end = size - size % w;
                let sums = &mut sums[..size];
                sums.fill(T::zero());
                for k in 0..dim {
                    let row = o * dim * inner + k * inner + begin;
                    let (gr, yr) = (&g[row..row + size], &y[row..row + size]);
                    if log {
                        sums.iter_mut().zip(gr).for_each(|(s, &g)| *s = *s + g);
                    } else {
                        sums.iter_mut().zip(gr.iter().zip(yr)).for_each(|(s, (&g, &y))| *s = g.mul_add(y, *s));
                    }
                }
                for k in 0..dim {
                    let row = o * dim * inner + k * inner + begin;
                    let (gr, yr) = (&g[row..row + size], &y[row..row + size]);
                    let or = &mut out[row..row + size];
                    if log {
                        or.copy_from_slice(yr);
                        T::vec_exp_in_place(&mut or[..vec_end]);
                        or[vec_end..].iter_mut().for_each(|e| *e = e.exp());
                        for ((e, &g), &s) in or.iter_mut().zip(gr).zip(sums.iter()) {
                            *e = (-*e).mul_add(s, g);
                        }
                    } else {
                        for (((r, &g), &y), &s) in or.iter_mut().zip(gr).zip(yr).zip(sums.iter()) {
                            *r = y * (g - s);
                        }
                    }
                }
                begin += size;
            }
        }
        ArrayD::from_shape_vec(IxDyn(&[g.len()]), out).map_err(|e| TensorError::runtime(e.to_string()))
    }
    let flat = match (g, y) {
        (Storage::F32(g), Storage::F32(y)) => Storage::F32(go(g, y, outer, dim, inner, log)?),
        (Storage::F64(g), Storage::F64(y)) => Storage::F64(go(g, y, outer, dim, inner, log)?),
        _ => return Err(TensorError::runtime("softmax backward needs float tensors of one dtype")),
    };
    flat.reshape(&shape)
}

/// Per row of the last dim, ATen's `vec::reduce_all(g, +)` ([`lane_sum`]); the result keeps
/// the dim (size 1).
pub(crate) fn row_sums_last(g: &Tensor) -> Result<Tensor> {
    fn go<T: Float>(g: &ArrayD<T>) -> Result<ArrayD<T>> {
        let len = g.shape().last().copied().unwrap_or(1).max(1);
        let mut oshape = g.shape().to_vec();
        if let Some(l) = oshape.last_mut() {
            *l = 1;
        }
        let g = g.as_standard_layout();
        let out: Vec<T> = g.as_slice().unwrap_or(&[]).chunks(len).map(lane_sum).collect();
        ArrayD::from_shape_vec(IxDyn(&oshape), out).map_err(|e| TensorError::runtime(e.to_string()))
    }
    let out = match &*g.storage() {
        Storage::F32(a) => Storage::F32(go(a)?),
        Storage::F64(a) => Storage::F64(go(a)?),
        _ => return Err(TensorError::runtime("internal dtype mismatch")),
    };
    Ok(Tensor::from_storage(out))
}

/// ATen's `vec::map2_reduce_all(g * y, +)` over one row: a row shorter than a vector adds its
/// rounded products left to right; a longer one accumulates whole vectors of rounded products
/// lane by lane, adds the partial last vector's rounded products into the first lanes (no
/// fused multiply-add there: docs/probes/softmax_backward.py: 0 of 360 rows of 9 to 100
/// elements differ, against up to 60 elements per 20 rows with the tail fused), and folds the
/// lanes ([`fold_lanes`]).
fn lane_dot<T: Float>(g: &[T], y: &[T]) -> T {
    let w = lanes::<T>();
    let n = g.len().min(y.len());
    if n < w {
        return (1..n).fold(if n == 0 { T::zero() } else { g[0] * y[0] }, |a, k| a + g[k] * y[k]);
    }
    let mut buf = [T::zero(); 16];
    let acc = &mut buf[..w];
    for (a, (&g, &y)) in acc.iter_mut().zip(g.iter().zip(y)) {
        *a = g * y;
    }
    let full = n - n % w;
    for (gc, yc) in g[w..full].chunks_exact(w).zip(y[w..full].chunks_exact(w)) {
        for (a, (&g, &y)) in acc.iter_mut().zip(gc.iter().zip(yc)) {
            *a = *a + g * y;
        }
    }
    for (a, (&g, &y)) in acc.iter_mut().zip(g[full..n].iter().zip(&y[full..n])) {
        *a = *a + g * y;
    }
    fold_lanes(acc)
}

/// `softmax` (or `log_softmax` when `log`) over the last dim, row by row straight into one
/// output buffer: softmax is `exp(x - max)`, the lane sum, times `1 / sum`; log_softmax is
/// `x - max - log(lane sum of exp(x - max))`, the log vectorised too (`vec::map(log)` over the
/// rows' sums).
pub(crate) fn softmax_last_dim(x: &Storage, log: bool) -> Result<Storage> {
    fn go<T: VecExp>(a: &ArrayD<T>, log: bool) -> Result<ArrayD<T>> {
        let len = a.shape().last().copied().unwrap_or(1).max(1);
        let a = a.as_standard_layout();
        let src = a.as_slice().unwrap_or(&[]);
        let mut out = vec![T::zero(); src.len()];
        #[inline(always)]
        fn rows<T: VecExp>(src: &[T], out: &mut [T], len: usize, log: bool) {
            let mut e = if log { vec![T::zero(); len] } else { Vec::new() };
            for (r, o) in src.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
                let m = row_max(r);
                if log {
                    for (e, &x) in e.iter_mut().zip(r) {
                        *e = x - m;
                    }
                    T::vec_exp_in_place(&mut e);
                    let lse = lane_sum(&e).vec_log();
                    for (o, &x) in o.iter_mut().zip(r) {
                        *o = (x - m) - lse;
                    }
                } else {
                    for (o, &x) in o.iter_mut().zip(r) {
                        *o = x - m;
                    }
                    T::vec_exp_in_place(o);
                    let inv = T::one() / lane_sum(o);
                    o.iter_mut().for_each(|o| *o = *o * inv);
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            // Wider vectors for the same operations (Rust never fuses a multiply and an add).
            #[target_feature(enable = "avx2")]
            fn wide<T: VecExp>(src: &[T], out: &mut [T], len: usize, log: bool) {
                rows(src, out, len, log)
            }
            // SAFETY: the CPU has the features `wide` is compiled for.
            unsafe { wide(src, &mut out, len, log) };
            return ArrayD::from_shape_vec(a.raw_dim(), out).map_err(|e| TensorError::runtime(e.to_string()));
        }
        rows(src, &mut out, len, log);
        ArrayD::from_shape_vec(a.raw_dim(), out).map_err(|e| TensorError::runtime(e.to_string()))
    }
    match x {
        Storage::F32(a) => Ok(Storage::F32(go(a, log)?)),
        Storage::F64(a) => Ok(Storage::F64(go(a, log)?)),
        _ => Err(TensorError::runtime("softmax needs a float tensor")),
    }
}

/// The gradient of `softmax` over the last dim: `y * (g - dot(g, y))` per row, the dot in
/// [`lane_dot`]'s order, with no intermediate tensors.
pub(crate) fn softmax_backward_last(g: &Storage, y: &Storage) -> Result<Storage> {
    fn go<T: Float>(g: &ArrayD<T>, y: &ArrayD<T>) -> Result<ArrayD<T>> {
        if g.shape() != y.shape() {
            return Err(TensorError::runtime("softmax backward: gradient and output shapes differ"));
        }
        let len = y.shape().last().copied().unwrap_or(1).max(1);
        let (g, yv) = (g.as_standard_layout(), y.as_standard_layout());
        let (g, yv) = (g.as_slice().unwrap_or(&[]), yv.as_slice().unwrap_or(&[]));
        let mut out = vec![T::zero(); yv.len()];
        #[inline(always)]
        fn rows<T: Float>(g: &[T], y: &[T], out: &mut [T], len: usize) {
            for ((gr, yr), o) in g.chunks_exact(len).zip(y.chunks_exact(len)).zip(out.chunks_exact_mut(len)) {
                let dot = lane_dot(gr, yr);
                for ((o, &g), &y) in o.iter_mut().zip(gr).zip(yr) {
                    *o = y * (g - dot);
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") {
            #[target_feature(enable = "avx2")]
            fn wide<T: Float>(g: &[T], y: &[T], out: &mut [T], len: usize) {
                rows(g, y, out, len)
            }
            // SAFETY: the CPU has the features `wide` is compiled for.
            unsafe { wide(g, yv, &mut out, len) };
            return ArrayD::from_shape_vec(y.raw_dim(), out).map_err(|e| TensorError::runtime(e.to_string()));
        }
        rows(g, yv, &mut out, len);
        ArrayD::from_shape_vec(y.raw_dim(), out).map_err(|e| TensorError::runtime(e.to_string()))
    }
    match (g, y) {
        (Storage::F32(g), Storage::F32(y)) => Ok(Storage::F32(go(g, y)?)),
        (Storage::F64(g), Storage::F64(y)) => Ok(Storage::F64(go(g, y)?)),
        _ => Err(TensorError::runtime("softmax backward needs float tensors of one dtype")),
    }
}
