//! Tensor-level `torch.linalg` decompositions over `decomp`'s kernels: PyTorch's argument
//! checks and messages, batches over leading dimensions, results in the input's dtype. Computed
//! in the input's precision as LAPACK's d- and s-routines are (last bits differ,
//! docs/divergences.md). No autograd through these yet: input that requires grad is refused.

// `kernel!` instantiates each body for f64 and for f32, so its `as f64` casts are no-ops in one.
#![allow(clippy::unnecessary_cast)]

use super::decomp::QrMode;
use super::{DType, Data, Result, Tensor, TensorError};

/// Runs `body` with `k` naming the kernels of `dtype`'s precision and `T` its float type.
macro_rules! kernel {
    ($dtype:expr, $k:ident, $T:ident, $body:block) => {
        if $dtype == DType::Float64 {
            use super::decomp::f64k as $k;
            #[allow(dead_code)]
            type $T = f64;
            $body
        } else {
            use super::decomp::f32k as $k;
            #[allow(dead_code)]
            type $T = f32;
            $body
        }
    };
}

/// Row-major values of a kernel matrix, widened to f64.
macro_rules! rows {
    ($m:expr) => {
        $m.to_rows().iter().map(|&x| x as f64).collect::<Vec<f64>>()
    };
}

/// The matrices of `t` (`[..., m, n]`), checked as PyTorch's linalg functions check them.
struct Batch {
    batch: Vec<usize>,
    m: usize,
    n: usize,
    /// Row-major values of each matrix.
    mats: Vec<Vec<f64>>,
    dtype: DType,
}

/// PyTorch's checks of a linalg input `what` (at least 2 dims, square if asked, a float dtype)
/// and lessonrun's refusal of autograd through `through`; the matrices' rows and columns.
pub(super) fn check_matrices(t: &Tensor, fname: &str, what: &str, square: bool, through: &str) -> Result<(usize, usize)> {
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "{fname}: The input tensor {what} must have at least 2 dimensions."
        )));
    }
    let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if square && m != n {
        return Err(TensorError::runtime(format!(
            "{fname}: {what} must be batches of square matrices, but they are {m} by {n} matrices"
        )));
    }
    if !t.dtype().is_floating_point() {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "{fname}: Expected a floating point or complex tensor as input. Got {}",
                super::ops::dtype_name(t.dtype())
            ),
        });
    }
    if t.requires_grad() && super::is_grad_enabled() {
        return Err(TensorError::unsupported(format!(
            "{fname} of a tensor that requires grad (no autograd through {through} yet)"
        )));
    }
    Ok((m, n))
}

fn matrices(t: &Tensor, fname: &str, square: bool) -> Result<Batch> {
    let (m, n) = check_matrices(t, fname, "A", square, "decompositions")?;
    let shape = t.shape();
    let v = t.contiguous().to_f64_vec();
    let batch = shape[..shape.len() - 2].to_vec();
    let count: usize = batch.iter().product();
    let mats = (0..count)
        .map(|b| v[b * m * n..(b + 1) * m * n].to_vec())
        .collect();
    Ok(Batch {
        batch,
        m,
        n,
        mats,
        dtype: t.dtype(),
    })
}

/// Stacks per-matrix results (row-major values of shape `inner`) into one tensor.
fn stack(parts: Vec<Vec<f64>>, batch: &[usize], inner: &[usize], dtype: DType) -> Result<Tensor> {
    let mut shape = batch.to_vec();
    shape.extend_from_slice(inner);
    let v: Vec<f64> = parts.into_iter().flatten().collect();
    let data = if dtype == DType::Float64 {
        Data::F64(v)
    } else {
        Data::F32(v.iter().map(|&x| x as f32).collect())
    };
    Tensor::from_data(data, &shape)
}

fn no_converge(fname: &str) -> TensorError {
    TensorError::runtime(format!(
        "{fname}: The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated singular values."
    ))
}

/// `linalg.svd(A, full_matrices)`: (U, S, Vh); with `vectors` false U and Vh are empty.
pub fn svd(t: &Tensor, full: bool, vectors: bool, fname: &str) -> Result<(Tensor, Tensor, Tensor)> {
    let b = matrices(t, fname, false)?;
    let k = b.m.min(b.n);
    let (mut us, mut ss, mut vs) = (Vec::new(), Vec::new(), Vec::new());
    for a in &b.mats {
        kernel!(b.dtype, k, T, {
            let a = k::Mat::from_rows(b.m, b.n, &a.iter().map(|&x| x as T).collect::<Vec<T>>());
            let (s, u, vt) = k::svd(&a, vectors, full).ok_or_else(|| no_converge(fname))?;
            ss.push(s.iter().map(|&x| x as f64).collect());
            if vectors {
                us.push(rows!(u));
                vs.push(rows!(vt));
            }
        })
    }
    let s = stack(ss, &b.batch, &[k], b.dtype)?;
    if !vectors {
        let e = stack(vec![], &[], &[0], b.dtype)?;
        return Ok((e.clone(), s, e));
    }
    let (uc, vr) = if full { (b.m, b.n) } else { (k, k) };
    Ok((
        stack(us, &b.batch, &[b.m, uc], b.dtype)?,
        s,
        stack(vs, &b.batch, &[vr, b.n], b.dtype)?,
    ))
}

/// `linalg.qr(A, mode)`: (Q, R), Q empty for mode 'r'.
pub fn qr(t: &Tensor, mode: QrMode) -> Result<(Tensor, Tensor)> {
    let b = matrices(t, "linalg.qr", false)?;
    let k = b.m.min(b.n);
    let (mut qs, mut rs) = (Vec::new(), Vec::new());
    for a in &b.mats {
        kernel!(b.dtype, k, T, {
            let (q, r) = k::qr(
                &k::Mat::from_rows(b.m, b.n, &a.iter().map(|&x| x as T).collect::<Vec<T>>()),
                mode,
            );
            qs.push(rows!(q));
            rs.push(rows!(r));
        })
    }
    let (qc, rr) = match mode {
        QrMode::Complete => (b.m, b.m),
        _ => (k, k),
    };
    let q = if mode == QrMode::R {
        stack(vec![], &[], &[0], b.dtype)?
    } else {
        stack(qs, &b.batch, &[b.m, qc], b.dtype)?
    };
    Ok((q, stack(rs, &b.batch, &[rr, b.n], b.dtype)?))
}

/// `linalg.eigh(A, UPLO)`: eigenvalues ascending and eigenvectors (columns), the latter
/// empty without `vectors`.
pub fn eigh(t: &Tensor, upper: bool, vectors: bool) -> Result<(Tensor, Tensor)> {
    let fname = if vectors {
        "linalg.eigh"
    } else {
        "linalg.eigvalsh"
    };
    if !t.dtype().is_floating_point() && t.dim() >= 2 {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "\"linalg_eigh_cpu\" not implemented for '{}'",
                super::ops::dtype_name(t.dtype())
            ),
        });
    }
    if !vectors && t.requires_grad() && super::is_grad_enabled() && t.dim() >= 2 {
        // As PyTorch, the eigenvectors are computed too when a gradient may be needed (their
        // eigenvalues may differ in the last bits from a values-only run), and the gradient is
        // `linalg_eig_backward`'s for eigenvalues alone: `(V * g.unsqueeze(-2)) @ V^H`.
        let (w, z) = eigh(&t.detach(), upper, true)?;
        let empty = stack(vec![], &[], &[0], t.dtype())?;
        let w = super::autograd::record((*w.storage()).clone(), "LinalgEighBackward0", &[t], true, move |g, _| {
            let gl = g.unsqueeze(g.dim() as isize - 1)?;
            Ok(vec![Some(z.mul(&gl)?.matmul(&z.transpose(-2, -1)?)?)])
        });
        return Ok((w, empty));
    }
    let b = matrices(t, fname, true)?;
    let (mut ws, mut zs) = (Vec::new(), Vec::new());
    for a in &b.mats {
        kernel!(b.dtype, k, T, {
            let a = k::Mat::from_rows(b.n, b.n, &a.iter().map(|&x| x as T).collect::<Vec<T>>());
            let (w, z) = k::eigh(&a, upper, vectors).ok_or_else(|| {
                TensorError::runtime(format!("{fname}: The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues."))
            })?;
            ws.push(w.iter().map(|&x| x as f64).collect());
            zs.push(rows!(z));
        })
    }
    let w = stack(ws, &b.batch, &[b.n], b.dtype)?;
    let z = if vectors {
        stack(zs, &b.batch, &[b.n, b.n], b.dtype)?
    } else {
        stack(vec![], &[], &[0], b.dtype)?
    };
    Ok((w, z))
}

/// `linalg.eig(A)` / `linalg.eigvals(A)` on real input: the complex eigenvalues and (with
/// `vectors`) eigenvectors as real and imaginary parts in the input's dtype, as `dgeev` leaves
/// them (a conjugate pair's vectors are one vector and its conjugate). Returns (values re,
/// values im, vectors re, vectors im), the vectors empty without `vectors`.
pub fn eig(t: &Tensor, vectors: bool) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    let fname = if vectors { "linalg.eig" } else { "linalg.eigvals" };
    // PyTorch picks the complex result type before anything else: no complex type for integers.
    if !t.dtype().is_floating_point() {
        return Err(TensorError::runtime(format!("Unknown Complex ScalarType for {}", super::ops::dtype_name(t.dtype()))));
    }
    if !matches!(t.dtype(), DType::Float32 | DType::Float64) {
        return Err(TensorError::NotImplemented {
            msg: format!("\"linalg_eig_out_cpu\" not implemented for '{}'", super::ops::dtype_name(t.dtype())),
        });
    }
    let b = matrices(t, fname, true)?;
    if b.mats.iter().any(|m| m.iter().any(|x| !x.is_finite())) {
        if vectors {
            return Err(TensorError::runtime("torch.linalg.eig: input tensor should not contain infs or NaNs."));
        }
        // eigvals runs LAPACK on it, which gives up: every eigenvalue is NaN.
        let nan = stack(vec![vec![f64::NAN; b.n * b.mats.len()]], &b.batch, &[b.n], b.dtype)?;
        let empty = stack(vec![], &[], &[0], b.dtype)?;
        return Ok((nan.clone(), nan, empty.clone(), empty));
    }
    let (mut wrs, mut wis, mut vrs, mut vis) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let n = b.n;
    for a in &b.mats {
        kernel!(b.dtype, k, T, {
            let a = k::Mat::from_rows(n, n, &a.iter().map(|&x| x as T).collect::<Vec<T>>());
            let e = k::geev(&a, vectors).ok_or_else(|| {
                TensorError::runtime(format!("torch.{fname}: The algorithm failed to converge because the input matrix is ill-conditioned or has too many repeated eigenvalues (error code: 1)."))
            })?;
            let wr: Vec<f64> = e.wr.iter().map(|&x| x as f64).collect();
            let wi: Vec<f64> = e.wi.iter().map(|&x| x as f64).collect();
            if let Some(v) = &e.vr {
                // Column j of a pair (wi[j] > 0) holds the real part, column j + 1 the imaginary one.
                let v = rows!(v);
                let (mut re, mut im) = (vec![0.0; n * n], vec![0.0; n * n]);
                let mut j = 0;
                while j < n {
                    if wi[j] != 0.0 && j + 1 < n {
                        for r in 0..n {
                            let (x, y) = (v[r * n + j], v[r * n + j + 1]);
                            re[r * n + j] = x;
                            im[r * n + j] = y;
                            re[r * n + j + 1] = x;
                            im[r * n + j + 1] = -y;
                        }
                        j += 2;
                    } else {
                        for r in 0..n {
                            re[r * n + j] = v[r * n + j];
                        }
                        j += 1;
                    }
                }
                vrs.push(re);
                vis.push(im);
            }
            wrs.push(wr);
            wis.push(wi);
        })
    }
    let (vre, vim) = if vectors {
        (stack(vrs, &b.batch, &[n, n], b.dtype)?, stack(vis, &b.batch, &[n, n], b.dtype)?)
    } else {
        (stack(vec![], &[], &[0], b.dtype)?, stack(vec![], &[], &[0], b.dtype)?)
    };
    Ok((stack(wrs, &b.batch, &[n], b.dtype)?, stack(wis, &b.batch, &[n], b.dtype)?, vre, vim))
}

/// `linalg.cholesky(A, upper)`; Err carries PyTorch's `_LinAlgError` message.
pub fn cholesky(t: &Tensor, upper: bool) -> Result<Tensor> {
    let b = matrices(t, "linalg.cholesky", true)?;
    let mut ls = Vec::new();
    for (i, a) in b.mats.iter().enumerate() {
        // PyTorch reads the lower triangle (the upper one for upper=True, the same values
        // for a symmetric input).
        kernel!(b.dtype, k, T, {
            let a = k::Mat::from_rows(b.n, b.n, &a.iter().map(|&x| x as T).collect::<Vec<T>>());
            let a = if upper { a.transpose() } else { a };
            let l = k::cholesky(&a).map_err(|order| {
                let at = if b.batch.is_empty() { String::new() } else { format!("(Batch element {i}): ") };
                TensorError::runtime(format!(
                    "linalg.cholesky: {at}The factorization could not be completed because the input is not positive-definite (the leading minor of order {order} is not positive-definite)."
                ))
            })?;
            ls.push(rows!(if upper { l.transpose() } else { l }));
        })
    }
    stack(ls, &b.batch, &[b.n, b.n], b.dtype)
}

/// The singular values of one matrix (row-major values), in the dtype's precision.
fn singular_values(a: &[f64], m: usize, n: usize, dtype: DType, fname: &str) -> Result<Vec<f64>> {
    kernel!(dtype, k, T, {
        let a = k::Mat::from_rows(m, n, &a.iter().map(|&x| x as T).collect::<Vec<T>>());
        let (s, _, _) = k::svd(&a, false, false).ok_or_else(|| no_converge(fname))?;
        Ok(s.iter().map(|&x| x as f64).collect())
    })
}

/// Machine epsilon of the dtype, as `linalg.pinv`/`matrix_rank` use it for their cut-off.
fn eps(d: DType) -> f64 {
    if d == DType::Float64 {
        f64::EPSILON
    } else {
        f64::from(f32::EPSILON)
    }
}

/// The cut-off max(atol, rtol * largest singular value), rtol defaulting to eps * max(m, n)
/// when neither is given.
fn cutoff(s: &[f64], atol: Option<f64>, rtol: Option<f64>, m: usize, n: usize, d: DType) -> f64 {
    let rtol = match (atol, rtol) {
        (_, Some(r)) => r,
        (None, None) => eps(d) * m.max(n) as f64,
        (Some(_), None) => 0.0,
    };
    let smax = s.first().copied().unwrap_or(0.0);
    let smax = if d == DType::Float32 {
        f64::from(smax as f32)
    } else {
        smax
    };
    atol.unwrap_or(0.0).max(rtol * smax)
}

/// `linalg.matrix_rank(A, atol=None, rtol=None)`: the singular values above the cut-off.
pub fn matrix_rank(t: &Tensor, atol: Option<f64>, rtol: Option<f64>) -> Result<Tensor> {
    if t.dim() < 2 {
        return Err(TensorError::runtime(
            "torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.",
        ));
    }
    let b = matrices(t, "linalg.svd", false)?;
    let mut ranks = Vec::new();
    for a in &b.mats {
        let s = singular_values(a, b.m, b.n, b.dtype, "linalg.svd")?;
        let tol = cutoff(&s, atol, rtol, b.m, b.n, b.dtype);
        ranks.push(s.iter().filter(|&&x| x > tol).count() as i64);
    }
    Tensor::from_data(Data::I64(ranks), &b.batch)
}

/// `linalg.pinv(A, atol=None, rtol=None)`: V diag(1/s) U^T over the singular values above
/// the cut-off.
pub fn pinv(t: &Tensor, atol: Option<f64>, rtol: Option<f64>) -> Result<Tensor> {
    let shape = t.shape();
    if shape.len() < 2 || !t.dtype().is_floating_point() {
        let dt = match t.dtype() {
            DType::Float64 => "Double",
            DType::Int64 => "Long",
            DType::Bool => "Bool",
            _ => "Float",
        };
        return Err(TensorError::runtime(format!(
            "linalg.pinv({dt}{{{shape:?}}}): expected a tensor with 2 or more dimensions of float, double, cfloat or cdouble types"
        )));
    }
    let b = matrices(t, "linalg.svd", false)?;
    let mut out = Vec::new();
    for a in &b.mats {
        kernel!(b.dtype, k, T, {
            let a = k::Mat::from_rows(b.m, b.n, &a.iter().map(|&x| x as T).collect::<Vec<T>>());
            let (s, u, vt) = k::svd(&a, true, false).ok_or_else(|| no_converge("linalg.svd"))?;
            let tol = cutoff(
                &s.iter().map(|&x| x as f64).collect::<Vec<_>>(),
                atol,
                rtol,
                b.m,
                b.n,
                b.dtype,
            );
            let mut v = vt.transpose();
            for (j, &sj) in s.iter().enumerate() {
                let inv = if sj as f64 > tol { 1.0 / sj } else { 0.0 };
                for i in 0..v.rows {
                    v.set(i, j, v.at(i, j) * inv);
                }
            }
            out.push(rows!(v.matmul(&u.transpose())));
        })
    }
    stack(out, &b.batch, &[b.n, b.m], b.dtype)
}

/// `linalg.lstsq(A, B)` with the CPU default driver 'gelsy': (solution, residuals (empty),
/// rank, singular_values (empty)).
pub fn lstsq(a: &Tensor, bt: &Tensor) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    matrices(a, "torch.linalg.lstsq", false)?;
    if bt.dim() > a.dim() || a.dim() - bt.dim() > 1 {
        return Err(TensorError::runtime(
            "torch.linalg.lstsq: input.dim() must be greater or equal to other.dim() and (input.dim() - other.dim()) <= 1",
        ));
    }
    // B is a (batch of) vector(s) when it has one dim fewer than A; batches broadcast.
    let vector = bt.dim() + 1 == a.dim();
    let bt = if vector {
        bt.unsqueeze(-1)?
    } else {
        bt.clone()
    };
    let (ash, bsh) = (a.shape(), bt.shape());
    let batch = super::broadcast_shapes(&ash[..ash.len() - 2], &bsh[..bsh.len() - 2])?;
    let expand = |t: &Tensor, tail: &[usize]| t.expand(&batch.iter().chain(tail).copied().collect::<Vec<_>>());
    let a = &expand(a, &ash[ash.len() - 2..])?;
    let bt = expand(&bt, &bsh[bsh.len() - 2..])?;
    let ab = matrices(a, "torch.linalg.lstsq", false)?;
    if bt.dim() < 2 || bt.shape()[bt.dim() - 2] != ab.m {
        return Err(TensorError::runtime(
            "torch.linalg.lstsq: input.size(-2) should match other.size(-2)",
        ));
    }
    if a.dtype() != bt.dtype() {
        return Err(TensorError::runtime(format!(
            "torch.linalg.lstsq: Expected input and other to have the same dtype, but got input's dtype {} and other's dtype {}",
            super::ops::dtype_name(a.dtype()),
            super::ops::dtype_name(bt.dtype())
        )));
    }
    let bb = matrices(&bt, "torch.linalg.lstsq", false)?;
    if bb.mats.len() != ab.mats.len() {
        return Err(TensorError::unsupported(
            "linalg.lstsq with broadcast batches",
        ));
    }
    let (mut xs, mut ranks) = (Vec::new(), Vec::new());
    for (am, bm) in ab.mats.iter().zip(&bb.mats) {
        let x = kernel!(ab.dtype, k, T, {
            let a = k::Mat::from_rows(ab.m, ab.n, &am.iter().map(|&x| x as T).collect::<Vec<T>>());
            let b = k::Mat::from_rows(bb.m, bb.n, &bm.iter().map(|&x| x as T).collect::<Vec<T>>());
            rows!(k::lstsq(&a, &b).ok_or_else(|| no_converge("torch.linalg.lstsq"))?)
        });
        let s = singular_values(am, ab.m, ab.n, ab.dtype, "torch.linalg.lstsq")?;
        let tol = eps(ab.dtype) * ab.m.max(ab.n) as f64 * s.first().copied().unwrap_or(0.0);
        ranks.push(s.iter().filter(|&&x| x > tol).count() as i64);
        xs.push(x);
    }
    let x = stack(xs, &ab.batch, &[ab.n, bb.n], ab.dtype)?;
    let x = if vector { x.squeeze(Some(-1))? } else { x };
    let empty = stack(vec![], &[], &[0], ab.dtype)?;
    Ok((
        x,
        empty.clone(),
        Tensor::from_data(Data::I64(ranks), &ab.batch)?,
        empty,
    ))
}
