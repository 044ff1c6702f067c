//! The LU-based `torch.linalg` functions: `lu_factor`/`lu_factor_ex`, `lu`, `lu_solve`,
//! `solve_triangular`, `inv_ex`, `solve` over broadcast batches (and `left=False`), and
//! `cholesky_ex`'s partial factor. LAPACK's algorithms (getrf's partial pivoting with the first
//! largest pivot, getrs, trsm, potf2), each operation rounded to the dtype as `linalg.rs` does;
//! MKL's blocking and FMA use are not reproduced (docs/divergences.md). No autograd: an input
//! that requires grad is refused by the bindings.

use super::linalg::rounder;
use super::{DType, Data, Result, Tensor, TensorError};

/// Partial-pivoting LU of one m x n row-major block in place (getrf's layout: unit L below the
/// diagonal, U on and above). Returns the 0-based pivot rows and the first zero pivot (1-based).
pub(super) fn getrf(
    a: &mut [f64],
    m: usize,
    n: usize,
    r: fn(f64) -> f64,
) -> (Vec<usize>, Option<usize>) {
    let mut piv = Vec::with_capacity(m.min(n));
    let mut zero = None;
    for k in 0..m.min(n) {
        let mut p = k;
        for i in k + 1..m {
            if a[i * n + k].abs() > a[p * n + k].abs() {
                p = i;
            }
        }
        piv.push(p);
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
        }
        let d = a[k * n + k];
        if d == 0.0 {
            zero.get_or_insert(k + 1);
            continue;
        }
        for i in k + 1..m {
            let l = r(a[i * n + k] / d);
            a[i * n + k] = l;
            for j in k + 1..n {
                a[i * n + j] = r(a[i * n + j] - r(l * a[k * n + j]));
            }
        }
    }
    (piv, zero)
}

/// A batch of matrices as row-major f64 blocks.
struct Mats {
    v: Vec<f64>,
    batch: Vec<usize>,
    m: usize,
    n: usize,
}

impl Mats {
    fn blocks(&mut self) -> impl Iterator<Item = &mut [f64]> {
        let count = self.batch.iter().product::<usize>();
        let size = (self.m * self.n).max(1);
        self.v
            .chunks_mut(size)
            .take(if self.m * self.n == 0 { 0 } else { count })
    }
}

/// `t` as matrices, with PyTorch's checks (at least 2 dims, a float dtype, square if asked).
fn mats(t: &Tensor, fname: &str, what: &str, square: bool) -> Result<Mats> {
    let (m, n) = super::decomp_ops::check_matrices(t, fname, what, square, "LU")?;
    let shape = t.shape();
    Ok(Mats {
        v: t.contiguous().to_f64_vec(),
        batch: shape[..shape.len() - 2].to_vec(),
        m,
        n,
    })
}

fn finish(v: Vec<f64>, shape: &[usize], d: DType) -> Result<Tensor> {
    let data = if d == DType::Float32 {
        Data::F32(v.iter().map(|&x| x as f32).collect())
    } else {
        Data::F64(v)
    };
    Tensor::from_data(data, shape)
}

fn ints(v: Vec<i64>, shape: &[usize]) -> Result<Tensor> {
    Tensor::from_data(Data::I64(v), shape)?.to_dtype(DType::Int32)
}

fn with(batch: &[usize], tail: &[usize]) -> Vec<usize> {
    batch.iter().chain(tail).copied().collect()
}

/// `linalg.lu_factor_ex(A)`: (LU, pivots (1-based, int32), info (int32)).
pub fn lu_factor_ex(t: &Tensor, fname: &str) -> Result<(Tensor, Tensor, Tensor)> {
    if t.dim() < 2 {
        return Err(TensorError::runtime(format!(
            "{fname}: Expected tensor with 2 or more dimensions. Got size: {:?} instead",
            t.shape()
        )));
    }
    if !t.dtype().is_floating_point() {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "\"lu_cpu\" not implemented for '{}'",
                t.dtype().scalar_name()
            ),
        });
    }
    let mut a = mats(t, fname, "A", false)?;
    let (m, n, r) = (a.m, a.n, rounder(t.dtype()));
    let (mut pivs, mut infos) = (Vec::new(), Vec::new());
    for blk in a.blocks() {
        let (piv, zero) = getrf(blk, m, n, r);
        pivs.extend(piv.iter().map(|&p| p as i64 + 1));
        infos.push(zero.unwrap_or(0) as i64);
    }
    // Empty matrices run no block: their pivots (none) and infos (0) are filled in.
    let (k, count) = (m.min(n), a.batch.iter().product::<usize>());
    pivs.resize(count * k, 0);
    infos.resize(count, 0);
    Ok((
        finish(a.v, &t.shape(), t.dtype())?,
        ints(pivs, &with(&a.batch, &[k]))?,
        ints(infos, &a.batch)?,
    ))
}

/// `linalg.lu(A)`: (P, L, U) with `A = P L U`, from `lu_factor`.
pub fn lu(t: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    let (lu, piv, _) = lu_factor_ex(t, "linalg.lu")?;
    let shape = t.shape();
    let (m, n) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let k = m.min(n);
    let batch = &shape[..shape.len() - 2];
    let (v, pv) = (lu.to_f64_vec(), piv.to_f64_vec());
    let (mut ps, mut ls, mut us) = (Vec::new(), Vec::new(), Vec::new());
    for b in 0..batch.iter().product::<usize>() {
        let blk = &v[b * m * n..(b + 1) * m * n];
        let mut perm: Vec<usize> = (0..m).collect();
        for (i, &p) in pv[b * k..(b + 1) * k].iter().enumerate() {
            perm.swap(i, p as usize - 1);
        }
        let mut p = vec![0.0; m * m];
        for (i, &row) in perm.iter().enumerate() {
            p[row * m + i] = 1.0;
        }
        ps.extend(p);
        for i in 0..m {
            ls.extend((0..k).map(|j| match i.cmp(&j) {
                std::cmp::Ordering::Greater => blk[i * n + j],
                std::cmp::Ordering::Equal => 1.0,
                std::cmp::Ordering::Less => 0.0,
            }));
        }
        for i in 0..k {
            us.extend((0..n).map(|j| if j >= i { blk[i * n + j] } else { 0.0 }));
        }
    }
    let d = t.dtype();
    Ok((
        finish(ps, &with(batch, &[m, m]), d)?,
        finish(ls, &with(batch, &[m, k]), d)?,
        finish(us, &with(batch, &[k, n]), d)?,
    ))
}

/// The two operands of a solve broadcast over their batch dims: A (..., n, n) and B (..., n, k).
fn broadcast_pair(a: &Tensor, b: &Tensor) -> Result<(Tensor, Tensor)> {
    let (ash, bsh) = (a.shape(), b.shape());
    let batch = super::broadcast_shapes(&ash[..ash.len() - 2], &bsh[..bsh.len() - 2])?;
    Ok((
        a.expand(&with(&batch, &ash[ash.len() - 2..]))?,
        b.expand(&with(&batch, &bsh[bsh.len() - 2..]))?,
    ))
}

/// Which triangle of a matrix a substitution uses: lower or upper, unit diagonal or not, and
/// whether the matrix is read transposed.
#[derive(Clone, Copy)]
struct Tri {
    lower: bool,
    unit: bool,
    trans: bool,
}

/// Solves with one n x n triangle of `a` in place on the n x k block `b` (row-major): lower
/// (forward) or upper (backward) substitution, by rows as a dot product, dividing by the
/// diagonal unless it is unit.
fn trsv(a: &[f64], n: usize, b: &mut [f64], k: usize, tri: Tri, r: fn(f64) -> f64) {
    let Tri { lower, unit, trans } = tri;
    // A transposed triangle of the other kind: element (i, j) of A^T is a[j][i].
    let at = |i: usize, j: usize| if trans { a[j * n + i] } else { a[i * n + j] };
    let forward = lower != trans;
    for c in 0..k {
        let order: Box<dyn Iterator<Item = usize>> = if forward {
            Box::new(0..n)
        } else {
            Box::new((0..n).rev())
        };
        for i in order {
            let mut s = b[i * k + c];
            let others: Box<dyn Iterator<Item = usize>> = if forward {
                Box::new(0..i)
            } else {
                Box::new(i + 1..n)
            };
            for j in others {
                s = r(s - r(at(i, j) * b[j * k + c]));
            }
            b[i * k + c] = if unit { s } else { r(s / at(i, i)) };
        }
    }
}

/// Transposes a batch of row-major m x n blocks.
fn transpose(v: &[f64], m: usize, n: usize) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    for (blk, o) in v.chunks(m * n).zip(out.chunks_mut(m * n)) {
        for i in 0..m {
            for j in 0..n {
                o[j * m + i] = blk[i * n + j];
            }
        }
    }
    out
}

/// Checks B's rank and the shapes of `A X = B` (or `X A = B`).
fn rhs_check(a: &Tensor, b: &Tensor, fname: &str, left: bool) -> Result<()> {
    if b.dim() < 2 {
        return Err(TensorError::runtime(format!(
            "{fname}: The input tensor B must have at least 2 dimensions."
        )));
    }
    let (ash, bsh) = (a.shape(), b.shape());
    let n = ash[ash.len() - 1];
    let (br, bc) = (bsh[bsh.len() - 2], bsh[bsh.len() - 1]);
    if (left && br != n) || (!left && bc != n) {
        let eq = if left { "AX = B" } else { "XA = B" };
        return Err(TensorError::runtime(format!(
            "{fname}: Incompatible shapes of A and B for the equation {eq} ({}x{} and {br}x{bc})",
            ash[ash.len() - 2],
            n
        )));
    }
    if b.requires_grad() && super::is_grad_enabled() {
        return Err(TensorError::unsupported(format!(
            "{fname} of a tensor that requires grad (no autograd through LU yet)"
        )));
    }
    if a.dtype() != b.dtype() {
        return Err(TensorError::runtime(format!(
            "{fname}: Expected A and B to have the same dtype, but found A of type {} and B of type {} instead",
            super::ops::dtype_name(a.dtype()),
            super::ops::dtype_name(b.dtype())
        )));
    }
    Ok(())
}

/// Runs `solve(a_block, b_block)` over broadcast batches; `b` is n x k (left) or k x n (right,
/// solved as `A^T X^T = B^T`).
fn batched(
    a: &Tensor,
    b: &Tensor,
    left: bool,
    mut solve: impl FnMut(&[f64], usize, &mut [f64], usize, bool) -> Result<()>,
) -> Result<Tensor> {
    let (a, b) = broadcast_pair(a, b)?;
    let shape = b.shape();
    let n = a.shape()[a.dim() - 1];
    let (br, bc) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let av = a.contiguous().to_f64_vec();
    let mut bv = b.contiguous().to_f64_vec();
    if !left {
        bv = transpose(&bv, br, bc);
    }
    let k = if left { bc } else { br };
    if n > 0 && k > 0 {
        for (ab, bb) in av.chunks(n * n).zip(bv.chunks_mut(n * k)) {
            solve(ab, n, bb, k, !left)?;
        }
    }
    if !left {
        bv = transpose(&bv, bc, br);
    }
    finish(bv, &shape, a.dtype())
}

/// `linalg.solve_triangular(A, B, upper=, left=, unitriangular=)`.
pub fn solve_triangular(
    a: &Tensor,
    b: &Tensor,
    upper: bool,
    left: bool,
    unit: bool,
) -> Result<Tensor> {
    let fname = "linalg.solve_triangular";
    mats(a, fname, "A", true)?;
    rhs_check(a, b, fname, left)?;
    let r = rounder(a.dtype());
    batched(a, b, left, |ab, n, bb, k, trans| {
        trsv(
            ab,
            n,
            bb,
            k,
            Tri {
                lower: !upper,
                unit,
                trans,
            },
            r,
        );
        Ok(())
    })
}

/// Applies getrf's row interchanges to an n x k block, in order or undone in reverse.
fn swap_rows(b: &mut [f64], piv: &[usize], k: usize, reverse: bool) {
    let mut step = |(i, &p): (usize, &usize)| {
        if p != i {
            for c in 0..k {
                b.swap(i * k + c, p * k + c);
            }
        }
    };
    if reverse {
        piv.iter().enumerate().rev().for_each(&mut step);
    } else {
        piv.iter().enumerate().for_each(&mut step);
    }
}

/// getrs on one block: `A X = B` (or `A^T X = B` when `trans`) from A's LU and pivots.
fn getrs(
    lu: &[f64],
    piv: &[usize],
    n: usize,
    b: &mut [f64],
    k: usize,
    trans: bool,
    r: fn(f64) -> f64,
) {
    if trans {
        trsv(
            lu,
            n,
            b,
            k,
            Tri {
                lower: false,
                unit: false,
                trans: true,
            },
            r,
        );
        trsv(
            lu,
            n,
            b,
            k,
            Tri {
                lower: true,
                unit: true,
                trans: true,
            },
            r,
        );
        swap_rows(b, piv, k, true);
    } else {
        swap_rows(b, piv, k, false);
        trsv(
            lu,
            n,
            b,
            k,
            Tri {
                lower: true,
                unit: true,
                trans: false,
            },
            r,
        );
        trsv(
            lu,
            n,
            b,
            k,
            Tri {
                lower: false,
                unit: false,
                trans: false,
            },
            r,
        );
    }
}

/// `linalg.lu_solve(LU, pivots, B, left=, adjoint=)`.
pub fn lu_solve(
    lu: &Tensor,
    pivots: &Tensor,
    b: &Tensor,
    left: bool,
    adjoint: bool,
) -> Result<Tensor> {
    let fname = "linalg.lu_solve";
    mats(lu, fname, "LU", true)?;
    rhs_check(lu, b, fname, left)?;
    let n = lu.shape()[lu.dim() - 1];
    let pshape = pivots.shape();
    if pshape.last() != Some(&n) || pivots.dtype() != DType::Int32 {
        return Err(TensorError::runtime(format!(
            "{fname}: Expected LU.shape[:-1] and pivots.shape to be the same, but got pivots with shape {pshape:?} instead"
        )));
    }
    // Pivots broadcast with LU's batch: one row of n pivots per LU matrix.
    let lbatch = lu.shape()[..lu.dim() - 2].to_vec();
    let piv = pivots
        .expand(&with(&lbatch, &[n]))?
        .contiguous()
        .to_f64_vec();
    let (lu_b, b_b) = broadcast_pair(lu, b)?;
    let batch = lu_b.shape()[..lu_b.dim() - 2].to_vec();
    // Each broadcast matrix's pivots: the LU matrix it came from, found by its batch index.
    let lu_index = |flat: usize| -> usize {
        let (mut rem, mut idx, mut stride) = (flat, 0, 1);
        let off = batch.len() - lbatch.len();
        let mut coords = vec![0; batch.len()];
        for d in (0..batch.len()).rev() {
            coords[d] = rem % batch[d].max(1);
            rem /= batch[d].max(1);
        }
        for d in (0..lbatch.len()).rev() {
            idx += if lbatch[d] == 1 { 0 } else { coords[d + off] } * stride;
            stride *= lbatch[d];
        }
        idx
    };
    let r = rounder(lu.dtype());
    let mut count = 0;
    batched(&lu_b, &b_b, left, |ab, n, bb, k, right| {
        let p = lu_index(count);
        count += 1;
        let piv: Vec<usize> = piv[p * n..(p + 1) * n]
            .iter()
            .map(|&x| x as usize - 1)
            .collect();
        if piv.iter().any(|&q| q >= n) {
            return Err(TensorError::runtime(format!(
                "{fname}: pivots out of range"
            )));
        }
        // X A = B is A^T X^T = B^T: the transposed solve, unless adjoint flips it back.
        getrs(ab, &piv, n, bb, k, right != adjoint, r);
        Ok(())
    })
}

/// `linalg.solve(A, B, left=)` over broadcast batches (B a vector when it is 1-D or A's shape
/// without its last dim); singular matrices raise PyTorch's error.
pub fn solve(a: &Tensor, b: &Tensor, left: bool) -> Result<Tensor> {
    let fname = "linalg.solve";
    mats(a, fname, "A", true)?;
    let ash = a.shape();
    let vector = b.dim() == 1 || (b.dim() + 1 == a.dim() && b.shape() == ash[..ash.len() - 1]);
    let bm = if vector {
        b.unsqueeze(if left { -1 } else { -2 })?
    } else {
        b.clone()
    };
    rhs_check(a, &bm, fname, left)?;
    let r = rounder(a.dtype());
    let batched_input = a.dim() > 2;
    let mut count = 0;
    let x = batched(a, &bm, left, |ab, n, bb, k, right| {
        let mut lu = ab.to_vec();
        let (piv, zero) = getrf(&mut lu, n, n, r);
        if zero.is_some() {
            let at = if batched_input {
                format!("(Batch element {count}): ")
            } else {
                String::new()
            };
            return Err(TensorError::runtime(format!(
                "torch.linalg.solve: {at}The solver failed because the input matrix is singular."
            )));
        }
        count += 1;
        getrs(&lu, &piv, n, bb, k, right, r);
        Ok(())
    })?;
    if vector {
        x.squeeze(Some(if left { -1 } else { -2 }))
    } else {
        Ok(x)
    }
}

/// `linalg.inv_ex(A)`: (inverse, info); a singular matrix's inverse is what the solve gives
/// (inf/NaN), as LAPACK's.
pub fn inv_ex(t: &Tensor) -> Result<(Tensor, Tensor)> {
    let mut a = mats(t, "linalg.inv_ex", "A", true)?;
    let (n, r) = (a.n, rounder(t.dtype()));
    let (mut out, mut infos) = (Vec::new(), Vec::new());
    for blk in a.blocks() {
        let (piv, zero) = getrf(blk, n, n, r);
        let mut b = vec![0.0; n * n];
        for i in 0..n {
            b[i * n + i] = 1.0;
        }
        getrs(blk, &piv, n, &mut b, n, false, r);
        out.extend(b);
        infos.push(zero.unwrap_or(0) as i64);
    }
    infos.resize(a.batch.iter().product(), 0);
    Ok((finish(out, &t.shape(), t.dtype())?, ints(infos, &a.batch)?))
}

/// The lower Cholesky factor as potf2 leaves it when the leading minor of order `info` is not
/// positive-definite: columns before it factored, its diagonal the failed value, the rest A's.
pub fn cholesky_partial(t: &Tensor, upper: bool) -> Result<(Tensor, Vec<i64>)> {
    let a = mats(t, "linalg.cholesky_ex", "A", true)?;
    let (n, r) = (a.n, rounder(t.dtype()));
    let mut v = if upper { transpose(&a.v, n, n) } else { a.v };
    let mut infos = Vec::new();
    for blk in v
        .chunks_mut((n * n).max(1))
        .take(if n == 0 { 0 } else { a.batch.iter().product() })
    {
        let mut info = 0;
        for j in 0..n {
            let mut d = blk[j * n + j];
            for k in 0..j {
                d = r(d - r(blk[j * n + k] * blk[j * n + k]));
            }
            if d.is_nan() || d <= 0.0 {
                blk[j * n + j] = d;
                info = j as i64 + 1;
                break;
            }
            let d = r(d.sqrt());
            blk[j * n + j] = d;
            for i in j + 1..n {
                let mut s = blk[i * n + j];
                for k in 0..j {
                    s = r(s - r(blk[i * n + k] * blk[j * n + k]));
                }
                blk[i * n + j] = r(s / d);
            }
        }
        for i in 0..n {
            for j in i + 1..n {
                blk[i * n + j] = 0.0;
            }
        }
        infos.push(info);
    }
    infos.resize(a.batch.iter().product(), 0);
    let v = if upper { transpose(&v, n, n) } else { v };
    Ok((finish(v, &t.shape(), t.dtype())?, infos))
}

/// The info tensor of `cholesky_ex`.
pub fn info_tensor(infos: Vec<i64>, batch: &[usize]) -> Result<Tensor> {
    ints(infos, batch)
}
