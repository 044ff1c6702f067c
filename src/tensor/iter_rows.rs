//! How ATen's TensorIterator lays out a broadcast binary op for its vectorised CPU loop:
//! which elements take the vector steps and which the scalar loop.

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
    let strides = |s: &[usize]| -> Vec<usize> {
        // The operand's strides in `out`'s dims (0 where it is broadcast).
        let mut st = vec![0; out.len()];
        let mut acc = 1;
        for (k, &n) in s.iter().enumerate().rev() {
            let d = out.len() - s.len() + k;
            st[d] = if n == 1 { 0 } else { acc };
            acc *= n;
        }
        st
    };
    let (sa, sb) = (strides(a), strides(b));
    // Dims innermost first, without size-1 dims.
    let dims: Vec<usize> = (0..out.len()).rev().filter(|&d| out[d] != 1).collect();
    let Some(&first) = dims.first() else { return 1 };
    let (mut len, ia, ib) = (out[first], sa[first], sb[first]);
    for &d in &dims[1..] {
        // The next dim merges into the row if each operand steps over it as over one more row.
        if sa[d] == ia * len && sb[d] == ib * len {
            len *= out[d];
        } else {
            break;
        }
    }
    len
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
