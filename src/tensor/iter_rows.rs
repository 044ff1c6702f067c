//! How a broadcast binary op's elements fall into rows: ATen's TensorIterator layout (which
//! elements its vectorised CPU loop takes in vector steps), and the rows `zip_bcast` runs.

/// The length of the rows the vectorised loop runs over for `out = f(a, b)`, with `a` and `b`
/// contiguous in memory and broadcast to `out`.
///
/// TensorIterator drops size-1 dims and merges adjacent dims wherever every operand's strides
/// allow, then runs each row of the innermost merged dim on its own: vector steps from the
/// row's start, the scalar loop on the row's tail. Along that row each input is contiguous or
/// constant (stride 0, which ATen's loop takes as a scalar), never both constant (the dim would
/// have size 1), so every row is vectorised; genuinely strided inputs (transposes), which take
/// the scalar loop throughout, never reach here as such. `(2000, 1) ** (3,)` has rows of 3
/// elements, too short for a vector step, so every element is computed by the scalar loop.
pub(crate) fn vector_rows(out: &[usize], a: &[usize], b: &[usize]) -> usize {
    row_dims(out, a, b).last().map_or(1, |d| d.len)
}

/// One dim of the iteration: its length and each operand's stride along it (0 if broadcast).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Dim {
    pub(crate) len: usize,
    pub(crate) sa: usize,
    pub(crate) sb: usize,
}

/// The dims of `shape` outermost first, size-1 dims dropped and the innermost ones merged
/// while both operands step over each as over one more row; the last dim is the row, along
/// which each operand's stride is 1 or 0.
pub(crate) fn row_dims(shape: &[usize], a_shape: &[usize], b_shape: &[usize]) -> Vec<Dim> {
    let strides = |s: &[usize]| -> Vec<usize> {
        let mut st = vec![0; shape.len()];
        let mut acc = 1;
        for (k, &n) in s.iter().enumerate().rev() {
            let d = shape.len() - s.len() + k;
            st[d] = if n == 1 { 0 } else { acc };
            acc *= n;
        }
        st
    };
    let (sa, sb) = (strides(a_shape), strides(b_shape));
    let mut dims: Vec<Dim> = (0..shape.len()).filter(|&d| shape[d] != 1).map(|d| Dim { len: shape[d], sa: sa[d], sb: sb[d] }).collect();
    while dims.len() >= 2 {
        let (inner, outer) = (dims[dims.len() - 1], dims[dims.len() - 2]);
        if outer.sa == inner.sa * inner.len && outer.sb == inner.sb * inner.len {
            dims.pop();
            let last = dims.len() - 1;
            dims[last] = Dim { len: inner.len * outer.len, sa: inner.sa, sb: inner.sb };
        } else {
            break;
        }
    }
    dims
}

#[cfg(test)]
mod tests {
    use super::vector_rows;

    #[test]
    fn rows_follow_atens_merged_inner_dim() {
        // Same shapes, or a scalar operand: one flat row.
        assert_eq!(vector_rows(&[4, 5], &[4, 5], &[4, 5]), 20);
        assert_eq!(vector_rows(&[4, 5], &[4, 5], &[]), 20);
        assert_eq!(vector_rows(&[4, 5], &[4, 5], &[1, 1]), 20);
        // A column against a row: rows of the inner dim, one operand constant along them.
        assert_eq!(vector_rows(&[2000, 3], &[2000, 1], &[3]), 3);
        assert_eq!(vector_rows(&[3, 4], &[3, 1], &[1, 4]), 4);
        assert_eq!(vector_rows(&[7, 40], &[7, 40], &[40]), 40);
        assert_eq!(vector_rows(&[7, 40], &[7, 1], &[7, 40]), 40);
        // Broadcast along an outer dim only: the inner dims still merge.
        assert_eq!(vector_rows(&[3, 4, 5], &[3, 4, 5], &[4, 5]), 20);
        assert_eq!(vector_rows(&[3, 1, 5], &[3, 1, 5], &[5]), 5);
        assert_eq!(vector_rows(&[], &[], &[]), 1);
    }
}
