//! Element-wise maps of two contiguous operands broadcast to a common shape, row by row.
//!
//! `x - xmean` with `x` of shape (N, T, C) and `xmean` of shape (1, 1, C), or a column against
//! a row, went through ndarray's generic broadcast `Zip`, an element at a time with index
//! arithmetic and no vectorisation: several times slower than the same op on equal shapes.
//! Here the shape is cut into rows along which each operand is contiguous or constant, and each
//! row runs a plain indexed loop (compiled for AVX2 and FMA where the CPU has them, as
//! `storage::zip_slices`). Every element is still `f` of the same two inputs, so results do not
//! depend on the path.

use super::iter_rows::{Dim, row_dims};

/// `f` over `a` (shape `a_shape`) and `b` (shape `b_shape`), both contiguous in row-major
/// order, broadcast to `shape` (already validated); the result in row-major order.
pub fn zip_broadcast<A: Copy, B: Copy, O>(
    a: &[A],
    a_shape: &[usize],
    b: &[B],
    b_shape: &[usize],
    shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has the features the loop is compiled for.
        return unsafe { zip_broadcast_fma(a, a_shape, b, b_shape, shape, f) };
    }
    zip_broadcast_loop(a, a_shape, b, b_shape, shape, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn zip_broadcast_fma<A: Copy, B: Copy, O>(
    a: &[A],
    a_shape: &[usize],
    b: &[B],
    b_shape: &[usize],
    shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    zip_broadcast_loop(a, a_shape, b, b_shape, shape, f)
}

#[inline(always)]
fn zip_broadcast_loop<A: Copy, B: Copy, O>(
    a: &[A],
    a_shape: &[usize],
    b: &[B],
    b_shape: &[usize],
    shape: &[usize],
    f: impl Fn(A, B) -> O,
) -> Vec<O> {
    let total: usize = shape.iter().product();
    let mut out: Vec<O> = Vec::with_capacity(total);
    if total == 0 {
        return out;
    }
    let mut dims = row_dims(shape, a_shape, b_shape);
    let row = dims.pop().unwrap_or(Dim { len: 1, sa: 0, sb: 0 });
    let n = row.len;
    let dst = &mut out.spare_capacity_mut()[..total];
    let mut idx = vec![0usize; dims.len()];
    let (mut oa, mut ob, mut o) = (0usize, 0usize, 0usize);
    loop {
        let d = &mut dst[o..o + n];
        match (row.sa, row.sb) {
            (1, 1) => {
                let (x, y) = (&a[oa..oa + n], &b[ob..ob + n]);
                for i in 0..n {
                    d[i].write(f(x[i], y[i]));
                }
            }
            (1, _) => {
                let (x, q) = (&a[oa..oa + n], b[ob]);
                for i in 0..n {
                    d[i].write(f(x[i], q));
                }
            }
            (_, 1) => {
                let (p, y) = (a[oa], &b[ob..ob + n]);
                for i in 0..n {
                    d[i].write(f(p, y[i]));
                }
            }
            _ => {
                let (p, q) = (a[oa], b[ob]);
                for slot in d.iter_mut() {
                    slot.write(f(p, q));
                }
            }
        }
        o += n;
        // The next row: an odometer over the outer dims.
        let mut k = dims.len();
        loop {
            if k == 0 {
                // SAFETY: the rows above wrote each of the first `total` slots, in order.
                unsafe { out.set_len(total) };
                return out;
            }
            k -= 1;
            idx[k] += 1;
            oa += dims[k].sa;
            ob += dims[k].sb;
            if idx[k] < dims[k].len {
                break;
            }
            oa -= dims[k].sa * dims[k].len;
            ob -= dims[k].sb * dims[k].len;
            idx[k] = 0;
        }
    }
}
