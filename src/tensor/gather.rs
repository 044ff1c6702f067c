//! Row-major copies of strided arrays (transposes, `swapaxes`, broadcasts): the elements in
//! logical order, as `iter().cloned().collect()` gives them, but row by row over merged dims
//! instead of ndarray's per-element `IxDyn` odometer, which cost several times the copy.

use ndarray::ArrayBase;
use ndarray::{Data, IxDyn};

/// The elements of `a` in row-major (logical) order.
pub fn row_major<T: Copy, S: Data<Elem = T>>(a: &ArrayBase<S, IxDyn>) -> Vec<T> {
    if let Some(s) = a.as_slice() {
        return s.to_vec();
    }
    let n = a.len();
    if n == 0 {
        return Vec::new();
    }
    // Dims outermost first without size-1 dims, each inner pair merged where stepping the
    // outer one is the same as stepping past the whole inner one.
    let mut dims: Vec<(usize, isize)> = Vec::with_capacity(a.ndim());
    for (&len, &stride) in a.shape().iter().zip(a.strides()) {
        if len == 1 {
            continue;
        }
        match dims.last_mut() {
            Some((l, s)) if *s == stride * len as isize => {
                *l *= len;
                *s = stride;
            }
            _ => dims.push((len, stride)),
        }
    }
    let (row, step) = dims.pop().unwrap_or((1, 1));
    let mut out: Vec<T> = Vec::with_capacity(n);
    let mut index = vec![0usize; dims.len()];
    let base = a.as_ptr();
    let mut offset = 0isize;
    loop {
        // SAFETY: `offset` is the element offset of a valid position of `a` (the sum of
        // in-range indices times their strides), and the row's `row` elements at `step` apart
        // from it are positions of `a` too; `out` has room for all `n` elements.
        unsafe {
            let start = base.offset(offset);
            if step == 1 {
                out.extend_from_slice(std::slice::from_raw_parts(start, row));
            } else {
                for j in 0..row {
                    out.push(*start.offset(j as isize * step));
                }
            }
        }
        // The odometer over the outer dims.
        let mut d = dims.len();
        loop {
            if d == 0 {
                return out;
            }
            d -= 1;
            index[d] += 1;
            offset += dims[d].1;
            if index[d] < dims[d].0 {
                break;
            }
            offset -= dims[d].1 * dims[d].0 as isize;
            index[d] = 0;
        }
    }
}
