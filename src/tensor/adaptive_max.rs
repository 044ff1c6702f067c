//! `adaptive_max_pool2d`: the maximum of each adaptive window and its flat position in the
//! plane, with its backward (AdaptiveMaxPool2DBackward0), in ATen's CPU kernel's order.
//!
//! Window `i` of `out` over a length `len` spans `floor(i*len/out) .. ceil((i+1)*len/out)`
//! (the windows of `adaptive_avg_pool2d`); it is read row by row from -inf, and a larger value
//! or any NaN replaces the best so far, so the first of equal maxima and the last NaN win.

use super::autograd::record;
use super::kernels::Float;
use super::pool::{arr, planes, row_major, scatter, storage_of};
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// The windows' bounds along one dimension.
fn bounds(out: usize, len: usize) -> Vec<(usize, usize)> {
    (0..out)
        .map(|i| ((i * len) / out, ((i + 1) * len).div_ceil(out)))
        .collect()
}

/// The maxima and their positions, plane by plane, window by window.
pub(super) fn max_windows<T: Float>(
    xv: &[T],
    np: usize,
    h: usize,
    w: usize,
    ys: &[(usize, usize)],
    xs: &[(usize, usize)],
) -> (Vec<T>, Vec<i64>) {
    let n = np * ys.len() * xs.len();
    let (mut out, mut idx) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let neg_inf = T::from_f64(f64::NEG_INFINITY);
    for pl in 0..np {
        let plane = &xv[pl * h * w..(pl + 1) * h * w];
        for &(y0, y1) in ys {
            for &(x0, x1) in xs {
                let (mut best, mut at) = (neg_inf, y0 * w + x0);
                for y in y0..y1 {
                    for x in x0..x1 {
                        let v = plane[y * w + x];
                        #[allow(clippy::eq_op)]
                        if v > best || v != v {
                            best = v;
                            at = y * w + x;
                        }
                    }
                }
                out.push(best);
                idx.push(at as i64);
            }
        }
    }
    (out, idx)
}

/// `F.adaptive_max_pool2d(x, (oh, ow), return_indices=True)` on a (C, H, W) or (N, C, H, W)
/// float tensor: the maxima (recording AdaptiveMaxPool2DBackward0, whose gradient goes to the
/// chosen positions, summed where windows overlap) and their int64 flat positions per plane.
pub fn adaptive_max_pool2d(x: &Tensor, oh: usize, ow: usize) -> Result<(Tensor, Tensor)> {
    let s = x.shape();
    if !(s.len() == 3 || s.len() == 4) || s.iter().skip(s.len() - 2).any(|&d| d == 0) {
        return Err(TensorError::runtime(format!(
            "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: {}",
            super::storage::list_str(&s)
        )));
    }
    if oh == 0 || ow == 0 {
        return Err(TensorError::runtime(format!(
            "adaptive_max_pool2d(): Expected output_size to be positive, but got [{oh}, {ow}]"
        )));
    }
    let (np, h, w, lead) = planes(x, "adaptive_max_pool2d")?;
    let (ys, xs) = (bounds(oh, h), bounds(ow, w));
    let mut shape = lead;
    shape.extend([oh, ow]);
    let dtype = x.dtype();
    let st = x.storage();
    let (out, idx) = match (&*st, dtype) {
        (Storage::F32(a), DType::Float32) => {
            let (v, idx) = max_windows(&row_major(a), np, h, w, &ys, &xs);
            (Storage::F32(arr(v, &shape)?), idx)
        }
        (Storage::F64(a), DType::Float64) => {
            let (v, idx) = max_windows(&row_major(a), np, h, w, &ys, &xs);
            (Storage::F64(arr(v, &shape)?), idx)
        }
        // Half types: a maximum is exact in float64, and comes back to the input's type.
        _ => {
            let (v, idx) = max_windows(&x.to_f64_vec(), np, h, w, &ys, &xs);
            (storage_of(v, &shape, dtype)?, idx)
        }
    };
    drop(st);
    let indices = Tensor::from_storage(Storage::I64(
        ArrayD::from_shape_vec(IxDyn(&shape), idx.clone())
            .map_err(|e| TensorError::runtime(e.to_string()))?,
    ));
    let x_shape = x.shape();
    let y = record(
        out,
        "AdaptiveMaxPool2DBackward0",
        &[x],
        true,
        move |g, _| {
            let gs = g.storage();
            let gx = match (&*gs, dtype) {
                (Storage::F32(a), DType::Float32) => Storage::F32(arr(
                    scatter(&row_major(a), &idx, np, h * w, oh * ow),
                    &x_shape,
                )?),
                (Storage::F64(a), DType::Float64) => Storage::F64(arr(
                    scatter(&row_major(a), &idx, np, h * w, oh * ow),
                    &x_shape,
                )?),
                _ => storage_of(
                    scatter::<f64>(&g.to_f64_vec(), &idx, np, h * w, oh * ow),
                    &x_shape,
                    dtype,
                )?,
            };
            Ok(vec![Some(Tensor::from_storage(gx))])
        },
    );
    Ok((y, indices))
}

#[cfg(test)]
mod tests {
    use super::{bounds, max_windows};

    /// Windows of a length that the output does not divide overlap by one, as ATen's do.
    #[test]
    fn windows_overlap_where_the_output_does_not_divide_the_input() {
        assert_eq!(bounds(3, 5), vec![(0, 2), (1, 4), (3, 5)]);
        assert_eq!(bounds(1, 7), vec![(0, 7)]);
        assert_eq!(bounds(4, 2), vec![(0, 1), (0, 1), (1, 2), (1, 2)]);
    }

    /// The first of equal maxima, and a NaN over any number.
    #[test]
    fn first_maximum_and_nan_win() {
        let x = [1.0f32, 3.0, 3.0, f32::NAN, 2.0, 0.0];
        let (v, i) = max_windows(&x, 1, 2, 3, &[(0, 1), (0, 2)], &[(0, 3)]);
        assert_eq!((v[0], i[0]), (3.0, 1));
        assert!(v[1].is_nan() && i[1] == 3);
    }
}
