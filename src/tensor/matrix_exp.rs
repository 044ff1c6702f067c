//! `torch.linalg.matrix_exp` (LinalgMatrixExpBackward0): ATen's `mexp`, the optimised Taylor
//! polynomials of Bader, Blanes and Casas (degrees 1, 2, 4, 8, 12, 18) with scaling and
//! squaring, step for step so that every rounding is PyTorch's.
//!
//! What the bits depend on, as ATen's LinearAlgebra.cpp has it:
//! - one matrix (a batch of one) takes the lowest degree whose threshold its 1-norm (the
//!   largest absolute column sum) does not exceed; a batch of more than one always takes
//!   degree 18 with scaling and squaring;
//! - the linear combinations (`_compute_linear_combination`) are chains from +0 adding each
//!   `coefficient * matrix` in order, zero coefficients included, unfused (checked against
//!   PyTorch's `torch._compute_linear_combination`);
//! - the products are `bmm`s written into slots of a buffer of powers (`I, A, A², A³, A⁶`)
//!   or of a fresh tensor, and MKL's plain kernel peels columns by the output's address
//!   (peel_order.rs), so each product here says where its output lies ([`bmm_batches_at`]);
//! - scaling is by `2^-s`, `s = max(0, ceil(log2(norm / theta)))`, and the squarings run over
//!   the matrices sorted by `s`, the ones needing more squared again in a fresh tensor after
//!   the others are done (their position in it is their output's address).
//!
//! The backward is ATen's too: the matrix exponential of the `2n x 2n` block matrix
//! `[[A^H, G], [0, A^H]]`, whose upper-right block is the gradient.

// The coefficients are ATen's literals as written, so they can be compared with its source;
// each parses to the same double as a shortened one would.
#![allow(clippy::excessive_precision)]

use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::kernels::Float;
use super::matmul::bmm_batches_at;
use super::ops::row_major;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError, no_grad};

/// What the algorithm needs of an element type beyond [`Float`].
trait Elem: Float {
    /// ATen's thresholds on the 1-norm for degrees 1, 2, 4, 8, 12 and 18, in this type.
    const THETAS: [f64; 6];
    fn log2(self) -> Self;
    fn ceil(self) -> Self;
    fn abs(self) -> Self;
    fn to_f64(self) -> f64;
}

impl Elem for f32 {
    const THETAS: [f64; 6] = [
        1.192092800768788e-07,
        5.978858893805233e-04,
        5.116619363445086e-02,
        5.800524627688768e-01,
        1.461661507209034e+00,
        3.010066362817634e+00,
    ];
    fn log2(self) -> Self {
        f32::log2(self)
    }
    fn ceil(self) -> Self {
        f32::ceil(self)
    }
    fn abs(self) -> Self {
        f32::abs(self)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
}

impl Elem for f64 {
    const THETAS: [f64; 6] = [
        2.220446049250313e-16,
        2.580956802971767e-08,
        3.397168839976962e-04,
        4.991228871115323e-02,
        2.996158913811580e-01,
        1.090863719290036e+00,
    ];
    fn log2(self) -> Self {
        f64::log2(self)
    }
    fn ceil(self) -> Self {
        f64::ceil(self)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

/// The coefficients of degree 12's four combinations of `I, A, A², A³` (ATen's `b`).
const T12_B: [[f64; 4]; 4] = [
    [
        9.0198e-16,
        0.46932117595418237389,
        -0.20099424927047284052,
        -0.04623946134063071740,
    ],
    [
        5.31597895759871264183,
        1.19926790417132231573,
        0.01179296240992997031,
        0.01108844528519167989,
    ],
    [
        0.18188869982170434744,
        0.05502798439925399070,
        0.09351590770535414968,
        0.00610700528898058230,
    ],
    [
        -2.0861320e-13,
        -0.13181061013830184015,
        -0.02027855540589259079,
        -0.00675951846863086359,
    ],
];

/// The coefficients of degree 18's five combinations of `I, A, A², A³, A⁶`.
const T18_B: [[f64; 5]; 5] = [
    [
        0.,
        -1.00365581030144618291e-01,
        -8.02924648241156932449e-03,
        -8.92138498045729985177e-04,
        0.,
    ],
    [
        0.,
        3.97849749499645077844e-01,
        1.36783778460411720168e+00,
        4.98289622525382669416e-01,
        -6.37898194594723280150e-04,
    ],
    [
        -1.09676396052962061844e+01,
        1.68015813878906206114e+00,
        5.71779846478865511061e-02,
        -6.98210122488052056106e-03,
        3.34975017086070470649e-05,
    ],
    [
        -9.04316832390810593223e-02,
        -6.76404519071381882256e-02,
        6.75961301770459654925e-02,
        2.95552570429315521194e-02,
        -1.39180257516060693404e-05,
    ],
    [
        0.,
        0.,
        -9.23364619367118555360e-02,
        -1.69364939002081722752e-02,
        -1.40086798182036094347e-05,
    ],
];

/// The shape of a batch of `nb` row-major `n x n` matrices held in one flat buffer.
struct Batch {
    nb: usize,
    n: usize,
}

impl Batch {
    fn size(&self) -> usize {
        self.nb * self.n * self.n
    }

    fn eye<T: Elem>(&self) -> Vec<T> {
        let mut v = vec![T::zero(); self.size()];
        for b in 0..self.nb {
            for i in 0..self.n {
                v[b * self.n * self.n + i * self.n + i] = T::one();
            }
        }
        v
    }

    /// `x @ y` per matrix, written `slot` matrices-of-the-batch into its buffer (ATen's
    /// `As.select(0, slot)`; 0 for a fresh tensor).
    fn mm<T: Elem>(&self, x: &[T], y: &[T], slot: usize) -> Vec<T> {
        let n = self.n;
        bmm_batches_at(x, y, self.nb, n, n, n, slot * self.size())
    }

    /// `_compute_linear_combination`: `sum_j c_j * xs[j]` as one chain from +0, in order.
    fn combine<T: Elem>(&self, xs: &[&[T]], cs: &[f64]) -> Vec<T> {
        let mut acc = vec![T::zero(); self.size()];
        for (x, &c) in xs.iter().zip(cs) {
            let c = T::from_f64(c);
            for (a, &v) in acc.iter_mut().zip(x.iter()) {
                *a = *a + c * v;
            }
        }
        acc
    }

    fn add<T: Elem>(x: &mut [T], y: &[T]) {
        for (a, &b) in x.iter_mut().zip(y) {
            *a = *a + b;
        }
    }

    /// `I + A`.
    fn t1<T: Elem>(&self, a: &[T]) -> Vec<T> {
        let mut r = self.eye();
        Self::add(&mut r, a);
        r
    }

    /// `I + A + A² / 2` (a sum over the buffer's first dim: left to right).
    fn t2<T: Elem>(&self, a: &[T]) -> Vec<T> {
        let a2 = self.mm(a, a, 2);
        let mut r = self.t1(a);
        let two = T::from_f64(2.0);
        for (x, &y) in r.iter_mut().zip(&a2) {
            *x = *x + y / two;
        }
        r
    }

    /// `I + A + A² (I / 2 + A / 6 + A² / 24)`.
    fn t4<T: Elem>(&self, a: &[T]) -> Vec<T> {
        let i = self.eye();
        let a2 = self.mm(a, a, 2);
        let l = self.combine(&[&i, a, &a2], &[1.0 / 2.0, 1.0 / 6.0, 1.0 / 24.0]);
        let p = self.mm(&a2, &l, 3);
        self.combine(&[&i, a, &a2, &p], &[1.0, 1.0, 0.0, 1.0])
    }

    /// Degree 8: `A4 = A2 (x1 A + x2 A2)`, `A8 = (x3 A2 + A4)(x4 I + x5 A + x6 A2 + x7 A4)`,
    /// `I + A + y2 A2 + A8`. The constants are ATen's `constexpr scalar_t`s: each expression
    /// evaluated in double from the values already rounded to the type, then rounded. `x7`
    /// divides by `x3` twice (the paper's value; older ATen divided once, which PyTorch 2.15's
    /// results rule out: they match this on every probed matrix, float32 and float64).
    fn t8<T: Elem>(&self, a: &[T]) -> Vec<T> {
        let r = |x: f64| T::from_f64(x).to_f64();
        let sqrt_177 = r(0.1330413469565007072504e+2);
        let x3 = r(2. / 3.);
        let x1 = r(x3 * ((1. + sqrt_177) / 88.));
        let x2 = r(x3 * ((1. + sqrt_177) / 352.));
        let x4 = r((-271. + 29. * sqrt_177) / (315. * x3));
        let x5 = r((-11. + 11. * sqrt_177) / (1260. * x3));
        let x6 = r((-99. + 11. * sqrt_177) / (5040. * x3));
        let x7 = r((89. - sqrt_177) / (5040. * x3 * x3));
        let y2 = r((857. - 58. * sqrt_177) / 630.);
        let i = self.eye();
        let a2 = self.mm(a, a, 2);
        let l1 = self.combine(&[a, &a2], &[x1, x2]);
        let a4 = self.mm(&a2, &l1, 3);
        let l2 = self.combine(&[&a2, &a4], &[x3, 1.0]);
        let l3 = self.combine(&[&i, a, &a2, &a4], &[x4, x5, x6, x7]);
        let a8 = self.mm(&l2, &l3, 4);
        self.combine(&[&i, a, &a2, &a4, &a8], &[1.0, 1.0, y2, 0.0, 1.0])
    }

    /// The powers ATen's `_fill_matrix_powers` keeps: `I, A, A², A³ = A A², A⁶ = A³ A³`.
    fn powers<T: Elem>(&self, a: &[T], count: usize) -> Vec<Vec<T>> {
        let mut p = vec![self.eye(), a.to_vec()];
        if count > 2 {
            p.push(self.mm(a, a, 2));
        }
        if count > 3 {
            p.push(self.mm(a, &p[2], 3));
        }
        if count > 4 {
            p.push(self.mm(&p[3], &p[3], 4));
        }
        p
    }

    fn t12<T: Elem>(&self, a: &[T]) -> Vec<T> {
        let p = self.powers(a, 4);
        let ps: Vec<&[T]> = p.iter().map(Vec::as_slice).collect();
        let mut b: Vec<Vec<T>> = T12_B.iter().map(|c| self.combine(&ps, c)).collect();
        let a6 = self.mm(&b[3], &b[3], 0);
        Self::add(&mut b[2], &a6);
        let b2 = b[2].clone();
        Self::add(&mut b[1], &b2);
        let q = self.mm(&b[1], &b[2], 0);
        Self::add(&mut b[0], &q);
        b.swap_remove(0)
    }

    fn t18<T: Elem>(&self, a: &[T]) -> Vec<T> {
        let p = self.powers(a, 5);
        let ps: Vec<&[T]> = p.iter().map(Vec::as_slice).collect();
        let mut b: Vec<Vec<T>> = T18_B.iter().map(|c| self.combine(&ps, c)).collect();
        let a9 = self.mm(&b[0], &b[4], 0);
        Self::add(&mut b[3], &a9);
        let b3 = b[3].clone();
        Self::add(&mut b[2], &b3);
        let q = self.mm(&b[2], &b[3], 0);
        Self::add(&mut b[1], &q);
        b.swap_remove(1)
    }
}

/// The 1-norm of each matrix: its columns' absolute sums (down the rows, in order), the
/// largest of them (NaN if any is NaN, as ATen's `max`).
fn one_norms<T: Elem>(a: &[T], nb: usize, n: usize) -> Vec<T> {
    (0..nb)
        .map(|b| {
            let m = &a[b * n * n..(b + 1) * n * n];
            let mut best: Option<T> = None;
            for j in 0..n {
                let mut s = T::zero();
                for i in 0..n {
                    s = s + m[i * n + j].abs();
                }
                // ATen's max propagates a NaN.
                best = Some(match best {
                    Some(x) if x.is_nan() || (!s.is_nan() && s <= x) => x,
                    _ => s,
                });
            }
            best.unwrap_or_else(T::zero)
        })
        .collect()
}

/// Degree 18 with scaling and squaring for a batch of `nb` matrices with 1-norms `norms`.
fn scale_square<T: Elem>(a: &[T], norms: &[T], nb: usize, n: usize) -> Vec<T> {
    let theta = T::from_f64(T::THETAS[5]);
    let nn = n * n;
    // s = max(0, ceil(log2(norm / theta))) (NaN stays NaN), the scale 2^-s.
    let s: Vec<T> = norms
        .iter()
        .map(|&x| {
            let c = (x / theta).log2().ceil();
            if c < T::zero() { T::zero() } else { c }
        })
        .collect();
    let mut scaled = a.to_vec();
    for (m, &sv) in scaled.chunks_exact_mut(nn.max(1)).zip(&s) {
        let f = T::from_f64(2.0).powf(-sv);
        for v in m {
            *v = *v * f;
        }
    }
    let batch = Batch { nb, n };
    let e = batch.t18(&scaled);
    // How many squarings: ATen converts `s` to an integer, which makes a NaN or an infinite
    // one a large negative count, so those matrices are squared no times.
    let times: Vec<usize> = s
        .iter()
        .map(|&v| {
            let f = v.to_f64();
            if f.is_finite() { f as usize } else { 0 }
        })
        .collect();
    // Stable sort by s (NaN after everything, as ATen's sort puts it).
    let mut order: Vec<usize> = (0..nb).collect();
    order.sort_by(|&x, &y| {
        let (p, q) = (s[x].to_f64(), s[y].to_f64());
        p.is_nan()
            .cmp(&q.is_nan())
            .then(p.partial_cmp(&q).unwrap_or(std::cmp::Ordering::Equal))
    });
    let mut acc: Vec<T> = order
        .iter()
        .flat_map(|&i| e[i * nn..(i + 1) * nn].iter().copied())
        .collect();
    let mut out = vec![T::zero(); nb * nn];
    let (mut done, mut have) = (0, 0usize);
    while done < nb {
        let want = times[order[done]];
        let group = order[done..]
            .iter()
            .take_while(|&&i| times[i] == want)
            .count();
        let rest = Batch { nb: nb - done, n };
        for _ in have..want.max(have) {
            if super::interrupt::should_stop() {
                break;
            }
            acc = rest.mm(&acc, &acc, 0);
        }
        have = have.max(want);
        for (k, &i) in order[done..done + group].iter().enumerate() {
            out[i * nn..(i + 1) * nn].copy_from_slice(&acc[k * nn..(k + 1) * nn]);
        }
        acc.drain(..group * nn);
        done += group;
    }
    out
}

/// One of the Taylor polynomials below degree 18.
type Degree<T> = fn(&Batch, &[T]) -> Vec<T>;

/// `mexp` of `nb` matrices of size `n >= 2`.
fn mexp<T: Elem>(a: &[T], nb: usize, n: usize) -> Vec<T> {
    let norms = one_norms(a, nb, n);
    if nb != 1 {
        return scale_square(a, &norms, nb, n);
    }
    let th: Vec<T> = T::THETAS.iter().map(|&t| T::from_f64(t)).collect();
    let x = norms[0];
    let batch = Batch { nb: 1, n };
    if x >= th[4] {
        return scale_square(a, &norms, 1, n);
    }
    let lower = |i: usize| if i == 0 { T::from_f64(-1.0) } else { th[i - 1] };
    let fns: [Degree<T>; 5] = [Batch::t1, Batch::t2, Batch::t4, Batch::t8, Batch::t12];
    for (i, f) in fns.iter().enumerate() {
        if lower(i) < x && x <= th[i] {
            return f(&batch, a);
        }
    }
    // A NaN norm: ATen leaves its NaN-filled result as it is.
    vec![T::from_f64(f64::NAN); n * n]
}

fn mexp_storage(s: &Storage, nb: usize, n: usize, shape: &[usize]) -> Result<Storage> {
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    Ok(match s {
        Storage::F32(x) => Storage::F32(
            ArrayD::from_shape_vec(IxDyn(shape), mexp(&row_major(x), nb, n)).map_err(err)?,
        ),
        Storage::F64(x) => Storage::F64(
            ArrayD::from_shape_vec(IxDyn(shape), mexp(&row_major(x), nb, n)).map_err(err)?,
        ),
        _ => return Err(TensorError::unsupported("matrix_exp of this dtype")),
    })
}

impl Tensor {
    /// `torch.linalg.matrix_exp(self)` over the last two dims.
    pub fn matrix_exp(&self) -> Result<Tensor> {
        let shape = self.shape();
        let d = shape.len();
        if d < 2 {
            return Err(TensorError::runtime(
                "linalg.matrix_exp: The input tensor A must have at least 2 dimensions.",
            ));
        }
        let (r, n) = (shape[d - 2], shape[d - 1]);
        if r != n {
            return Err(TensorError::runtime(format!(
                "linalg.matrix_exp: A must be batches of square matrices, but they are {r} by {n} matrices"
            )));
        }
        if matches!(self.dtype(), DType::Float16 | DType::BFloat16) {
            // PyTorch computes these through float64 thresholds and half-precision products,
            // which lessonrun does not reproduce.
            return Err(TensorError::NotImplemented {
                msg: format!(
                    "linalg.matrix_exp: {} inputs are not supported by lessonrun",
                    self.dtype().cpp_name()
                ),
            });
        }
        if !matches!(self.dtype(), DType::Float32 | DType::Float64) {
            return Err(TensorError::NotImplemented {
                msg: format!(
                    "linalg.matrix_exp: Expected a floating point or complex tensor as input. Got {}",
                    self.dtype().scalar_name()
                ),
            });
        }
        let out = if n <= 1 {
            // ATen's trivial cases: a clone, or the elementwise exp.
            let t = no_grad(|| {
                if n == 0 {
                    Ok(self.clone_tensor())
                } else {
                    self.exp()
                }
            })?;
            (*t.storage()).clone()
        } else {
            let nb = shape[..d - 2].iter().product();
            mexp_storage(&self.storage(), nb, n, &shape)?
        };
        let a = super::ops::saved(self);
        Ok(record(
            out,
            "LinalgMatrixExpBackward0",
            &[self],
            true,
            move |g, _| Ok(vec![Some(matrix_exp_differential(&a, g)?)]),
        ))
    }
}

/// The gradient of `matrix_exp` at `a` for the output gradient `g`: the upper-right block of
/// `exp([[a^T, g], [0, a^T]])`.
fn matrix_exp_differential(a: &Tensor, g: &Tensor) -> Result<Tensor> {
    let n = *a.shape().last().unwrap_or(&0) as i64;
    let at = a.transpose(-2, -1)?;
    let top = Tensor::cat(&[at.clone(), g.clone()], -1)?;
    let bottom = Tensor::cat(&[at.zeros_like(), at], -1)?;
    let meta = Tensor::cat(&[top, bottom], -2)?;
    meta.matrix_exp()?.narrow(-2, 0, n)?.narrow(-1, n, n)
}
