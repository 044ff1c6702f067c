//! `matmul` with batch dims as ATen composes it, and `bmm`.
//!
//! An operand of 3+ dims times one of at most 2 is folded into one `mm` (or `mv`) over all
//! its rows (`UnsafeViewBackward0` over `MmBackward0`), so the weight's gradient is one
//! product too; other shapes broadcast their batch dims and go through `bmm`
//! (`UnsafeViewBackward0` over `BmmBackward0`). Neither materialises anything larger than
//! its operands and result. `bmm` multiplies each batch as ATen's CPU kernel does: products
//! with fewer than 400 multiply-adds (`k·m·n`) by a plain loop, larger ones as `mm` would.


use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::kernels::{self, Mat};
use super::ops::row_major;
use super::storage::{Storage, broadcast_shapes};
use super::{Result, Tensor, TensorError};

/// Below this many multiply-adds per batch, ATen's bmm uses its own triple loop.
const BMM_NAIVE_BELOW: usize = 400;

impl Tensor {
    /// `self @ o` where one operand has 3 or more dims (ATen's `_matmul_impl` past the 2-D cases).
    pub(crate) fn batched_matmul(&self, o: &Tensor) -> Result<Tensor> {
        if should_fold(self, o) {
            return self.fold_matmul(o);
        }
        let (d1, d2) = (self.dim(), o.dim());
        let (s1, s2) = (self.shape(), o.shape());
        let n = if d1 > 1 { s1[d1 - 2] } else { 1 };
        let m1 = s1[d1 - 1];
        let m2 = if d2 > 1 { s2[d2 - 2] } else { s2[0] };
        let p = if d2 > 1 { s2[d2 - 1] } else { 1 };
        let batch1 = &s1[..d1.saturating_sub(2)];
        let batch2 = &s2[..d2.saturating_sub(2)];
        // A batch of one against a larger batch: drop it when it needs a gradient, so that
        // gradient is one reduction-free product (as ATen does).
        if d1 == 3 && d2 == 3 && batch1[0] != batch2[0] {
            if batch1[0] == 1 && self.requires_grad() {
                return self.squeeze(Some(0))?.matmul(o);
            }
            if batch2[0] == 1 && o.requires_grad() {
                return self.matmul(&o.squeeze(Some(0))?);
            }
        }
        let mut out_shape = broadcast_shapes(batch1, batch2)?;
        let nb: usize = out_shape.iter().product();
        let e1: Vec<usize> = out_shape.iter().copied().chain([n, m1]).collect();
        let a = self.expand(&e1)?.reshape_usize(&[nb, n, m1])?;
        let vector_rhs = d2 == 1;
        let b = if vector_rhs {
            let e2: Vec<usize> = out_shape.iter().copied().chain([m2]).collect();
            o.expand(&e2)?.reshape_usize(&[nb, m2])?.unsqueeze(2)?
        } else {
            let e2: Vec<usize> = out_shape.iter().copied().chain([m2, p]).collect();
            o.expand(&e2)?.reshape_usize(&[nb, m2, p])?
        };
        if d1 > 1 {
            out_shape.push(n);
        }
        if d2 > 1 {
            out_shape.push(p);
        }
        let r = a.bmm(&b)?;
        let r = if vector_rhs { r.squeeze(Some(-1))? } else { r };
        r.unsafe_view(&out_shape)
    }

    /// One `mm`/`mv` over the rows of the larger operand (transposed when it is the second).
    fn fold_matmul(&self, o: &Tensor) -> Result<Tensor> {
        let transpose = o.dim() > self.dim();
        let t1 = if transpose {
            o.transpose(-2, -1)?
        } else {
            self.clone()
        };
        let t2 = if !transpose {
            o.clone()
        } else if self.dim() == 2 {
            self.t()?
        } else {
            self.clone()
        };
        let s1 = t1.shape();
        let mut out_shape = s1[..s1.len() - 1].to_vec();
        let rows: usize = out_shape.iter().product();
        let folded = t1.reshape_usize(&[rows, s1[s1.len() - 1]])?;
        if t2.dim() == 2 {
            out_shape.push(t2.shape()[1]);
            let out = folded.mm(&t2)?.unsafe_view(&out_shape)?;
            if transpose {
                Ok(out.transpose(-2, -1)?.contiguous())
            } else {
                Ok(out)
            }
        } else {
            folded.mv(&t2)?.unsafe_view(&out_shape)
        }
    }

    /// The same elements in another shape, as a new tensor rather than a view (ATen's
    /// `_unsafe_view` of a result nothing else can see): moved, not copied, when nothing else
    /// holds them (see [`super::autograd::record_reshaped`]).
    pub(crate) fn unsafe_view(self, shape: &[usize]) -> Result<Tensor> {
        let in_shape = self.shape();
        super::autograd::record_reshaped(self, shape, "UnsafeViewBackward0", move |g, _| Ok(vec![Some(g.reshape_usize(&in_shape)?)]))
    }

    /// `torch.bmm(a, b)`: `(B, n, m) @ (B, m, p)` batch by batch (BmmBackward0).
    pub fn bmm(&self, o: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), o.shape());
        if sa.len() != 3 {
            return Err(TensorError::runtime("batch1 must be a 3D tensor"));
        }
        if sb.len() != 3 {
            return Err(TensorError::runtime("batch2 must be a 3D tensor"));
        }
        let (nb, m, k) = (sa[0], sa[1], sa[2]);
        if sb[0] != nb || sb[1] != k {
            return Err(TensorError::runtime(format!(
                "Expected size for first two dimensions of batch2 tensor to be: [{nb}, {k}] but got: [{}, {}].",
                sb[0], sb[1]
            )));
        }
        if self.dtype() != o.dtype() {
            return Err(TensorError::runtime(format!(
                "expected scalar type {} but found {}",
                self.dtype().cpp_name(),
                o.dtype().cpp_name()
            )));
        }
        let n = sb[2];
        // Each batch is handed to the BLAS as ATen's `addmm` hands a matrix: row-major, or
        // read transposed in place (MKL then takes other kernels: `q @ k.transpose(1, 2)`).
        let (ta, tb) = (items_transposed(self), items_transposed(o));
        let operand = |t: &Tensor, transposed: bool| -> Result<std::rc::Rc<Storage>> {
            if !transposed {
                return Ok(t.storage());
            }
            // A contiguous batch's transpose reads its buffer as it is (no gather).
            let (buf, layout) = t.buffer();
            let (mut shape, mut strides) = (layout.shape.clone(), layout.strides.clone());
            shape.swap(1, 2);
            strides.swap(1, 2);
            if layout.offset == 0 && buf.is_standard_layout() && buf.shape() == shape && strides == super::view::contiguous_strides(&shape) {
                return Ok(buf);
            }
            Ok(t.detach().transpose(1, 2)?.storage())
        };
        let (a_st, b_st) = (operand(self, ta)?, operand(o, tb)?);
        let out = bmm_storage(&a_st, &b_st, Items { nb, m, k, n, ta, tb })?;
        // Snapshots (copy-on-write buffers), not copies: a transposed view stays as it is.
        let (a, b) = (self.snapshot(), o.snapshot());
        Ok(record(
            out,
            "BmmBackward0",
            &[self, o],
            true,
            move |g, need| {
                Ok(vec![
                    if need[0] {
                        Some(g.bmm(&b.transpose(1, 2)?)?)
                    } else {
                        None
                    },
                    if need[1] {
                        Some(a.transpose(1, 2)?.bmm(g)?)
                    } else {
                        None
                    },
                ])
            },
        ))
    }
}

/// ATen's `should_fold`: fold when the larger operand has 3+ dims and the other at most 2,
/// if the other needs a gradient (so its gradient is one product) or the larger operand's
/// batch dims can be merged without a copy.
fn should_fold(t1: &Tensor, t2: &Tensor) -> bool {
    let t1_larger = t1.dim() >= t2.dim();
    let (big, small) = if t1_larger { (t1, t2) } else { (t2, t1) };
    if !(big.dim() >= 3 && small.dim() <= 2) {
        return false;
    }
    if small.requires_grad() {
        return true;
    }
    if t1.dim() == 2 {
        return false;
    }
    if big.numel() == 0 {
        return true;
    }
    // The larger operand as it is folded: the second one transposed.
    let (mut shape, mut strides) = (big.shape(), big.strides());
    if !t1_larger {
        let d = shape.len();
        shape.swap(d - 2, d - 1);
        strides.swap(d - 2, d - 1);
    }
    (0..shape.len() - 2).all(|i| strides[i] == strides[i + 1] * shape[i + 1])
}

/// Whether a batch of matrices `(B, r, c)` is column-major item by item (a contiguous
/// batch's `transpose(1, 2)`), by ATen's test of a matrix's strides: row-major first (unit
/// column stride, the row stride covering a row), then column-major; a single row or column
/// counts as row-major, as it does there.
fn items_transposed(t: &Tensor) -> bool {
    let (shape, st) = (t.shape(), t.strides());
    let (r, c) = (shape[1], shape[2]);
    let row_major = st[2] == 1 && (r == 1 || st[1] >= c.max(1));
    !row_major && st[1] == 1 && (c == 1 || st[2] >= r.max(1))
}

/// A batched product's sizes, and which operands' items are stored transposed (`a`'s as
/// `(B, k, m)`, `b`'s as `(B, n, k)`, row-major).
#[derive(Clone, Copy)]
struct Items {
    nb: usize,
    m: usize,
    k: usize,
    n: usize,
    ta: bool,
    tb: bool,
}

impl Items {
    /// Batch `i`'s matrices over the operands' elements.
    fn mats<'a, T>(&self, a: &'a [T], b: &'a [T], i: usize) -> (Mat<'a, T>, Mat<'a, T>) {
        let Items { m, k, n, ta, tb, .. } = *self;
        let (sa, sb) = (i * m * k, i * k * n);
        let a = &a[sa..sa + m * k];
        let b = &b[sb..sb + k * n];
        let (ars, acs) = if ta { (1, m) } else { (k, 1) };
        let (brs, bcs) = if tb { (1, k) } else { (n, 1) };
        (Mat { data: a, rs: ars, cs: acs, start: sa }, Mat { data: b, rs: brs, cs: bcs, start: sb })
    }
}

/// Each batch's product, by the naive loop below [`BMM_NAIVE_BELOW`] multiply-adds and by the
/// `mm` kernels above.
fn bmm_storage(a: &Storage, b: &Storage, items: Items) -> Result<Storage> {
    let Items { nb, m, k, n, .. } = items;
    let shape = IxDyn(&[nb, m, n]);
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    Ok(match (a, b) {
        (Storage::F32(x), Storage::F32(y)) => Storage::F32(
            ArrayD::from_shape_vec(shape, batches_at(&row_major(x), &row_major(y), items, 0))
                .map_err(err)?,
        ),
        (Storage::F64(x), Storage::F64(y)) => Storage::F64(
            ArrayD::from_shape_vec(shape, batches_at(&row_major(x), &row_major(y), items, 0))
                .map_err(err)?,
        ),
        (Storage::I64(x), Storage::I64(y)) => {
            let (x, y) = (row_major(x), row_major(y));
            let mut out = Vec::with_capacity(nb * m * n);
            for i in 0..nb {
                // The integer kernel reads row-major items: an item stored transposed (a
                // permuted operand's) is laid out row-major first.
                let (ma, mb) = items.mats(&x, &y, i);
                let a_rows: Vec<i64> = (0..m * k).map(|e| ma.data[(e / k) * ma.rs + (e % k) * ma.cs]).collect();
                let b_rows: Vec<i64> = (0..k * n).map(|e| mb.data[(e / n) * mb.rs + (e % n) * mb.cs]).collect();
                out.extend(kernels::matmul_i64(&a_rows, &b_rows, m, k, n));
            }
            Storage::I64(ArrayD::from_shape_vec(shape, out).map_err(err)?)
        }
        _ => return Err(TensorError::unsupported(format!("bmm on {}", a.dtype()))),
    })
}

/// Each batch's product (`a` of `nb` row-major `m x k` matrices, `b` of `k x n`) into an output
/// that starts `base` elements into its allocation: ATen's matrix exponential writes its
/// products into slots of a larger buffer, and MKL's plain kernel peels by that address.
pub(crate) fn bmm_batches_at<T: kernels::Float>(
    a: &[T],
    b: &[T],
    nb: usize,
    m: usize,
    k: usize,
    n: usize,
    base: usize,
) -> Vec<T> {
    batches_at(a, b, Items { nb, m, k, n, ta: false, tb: false }, base)
}

/// Each batch's product as [`Items`] lays the operands out, the output starting `base`
/// elements into its allocation.
fn batches_at<T: kernels::Float>(a: &[T], b: &[T], items: Items, base: usize) -> Vec<T> {
    let Items { nb, m, k, n, .. } = items;
    let mut out = vec![T::zero(); nb * m * n];
    let naive = k * m * n < BMM_NAIVE_BELOW;
    for (i, item) in out.chunks_exact_mut((m * n).max(1)).enumerate().take(nb) {
        let (x, y) = items.mats(a, b, i);
        let at = base + i * m * n;
        // With one column too: ATen's batched product is not MKL's one-column kernel.
        // Batch `i`'s output starts `base + i * m * n` elements into the allocation: MKL's
        // plain kernel peels columns by that address (peel_order.rs); ATen's own loop for
        // small batches peels nothing (the corpus's `3x3x15x6` and `2x1x10x6` match so).
        if naive || n == 1 {
            item.copy_from_slice(&kernels::matmul_sequential_at(x, y, m, k, n, false, super::peel_order::NO_PEEL));
        } else if let Some(r) = T::dgemm(x, y, m, k, n, at) {
            item.copy_from_slice(&r);
        } else {
            kernels::matmul_batch_item_into(x, y, item, m, k, n, at);
        }
    }
    out
}
