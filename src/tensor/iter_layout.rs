//! Which elements ATen's vectorised CPU loop (`cpu_kernel_vec` over a TensorIterator) computes in
//! whole vector steps when its inputs are strided views (transposed, sliced, expanded), so that
//! ops whose vector and scalar loops differ in the last bit can follow it element by element.
//!
//! Facts from ATen's TensorIterator (TensorIterator.cpp), for an elementwise op whose output
//! it allocates: the dims are ordered by the inputs' strides (`reorder_dimensions`: the first
//! input whose strides along two dims differ, neither being 0, decides; equal strides put the
//! larger dim outside), the output is laid out densely in that order, adjacent dims merge
//! where every operand steps over them as over one (`coalesce_dimensions`), and each row of the
//! innermost merged dim is one call of the loop: vector steps of `step` elements from the row's
//! start and the scalar loop on its tail, provided every operand is contiguous along the row
//! or (one input) constant; otherwise the scalar loop takes every element. Rows are not split
//! across threads below ATen's grain size (32768 elements), which callers check.

/// For each element of the row-major `shape`, whether the loop over inputs with element
/// `strides` (one slice per input, each of `shape`'s length) computes it in a vector step of
/// `step` elements.
pub(crate) fn vector_mask(shape: &[usize], strides: &[&[usize]], step: usize) -> Vec<bool> {
    let nd = shape.len();
    let numel: usize = shape.iter().product();
    // Innermost first, as TensorIterator's permutation.
    let mut perm: Vec<usize> = (0..nd).rev().collect();
    let should_swap = |d0: usize, d1: usize| -> i32 {
        for s in strides {
            let (s0, s1) = (s[d0], s[d1]);
            if s0 == 0 || s1 == 0 {
                continue;
            }
            if s0 < s1 {
                return -1;
            }
            if s0 > s1 {
                return 1;
            }
            if shape[d0] > shape[d1] {
                return 1;
            }
        }
        0
    };
    for i in 1..nd {
        let mut dim1 = i;
        for dim0 in (0..i).rev() {
            match should_swap(perm[dim0], perm[dim1]) {
                c if c > 0 => {
                    perm.swap(dim0, dim1);
                    dim1 = dim0;
                }
                c if c < 0 => break,
                _ => {}
            }
        }
    }
    // The output's strides: dense in `perm` order.
    let mut out_strides = vec![0usize; nd];
    let mut acc = 1;
    for &d in &perm {
        out_strides[d] = acc;
        acc *= shape[d];
    }
    // Coalesce innermost first; only the innermost merged dim matters.
    let ops: Vec<Vec<usize>> = std::iter::once(out_strides.clone())
        .chain(strides.iter().map(|s| s.to_vec()))
        .collect();
    let mut len = 1usize;
    let mut inner: Vec<usize> = vec![0; ops.len()];
    let mut started = false;
    for &d in &perm {
        let n = shape[d];
        if n == 1 {
            continue;
        }
        if !started {
            len = n;
            for (k, op) in ops.iter().enumerate() {
                inner[k] = op[d];
            }
            started = true;
            continue;
        }
        if ops
            .iter()
            .enumerate()
            .all(|(k, op)| inner[k] * len == op[d])
        {
            len *= n;
        } else {
            break;
        }
    }
    let inputs = &inner[1..];
    let contiguous = inputs.iter().all(|&s| s == 1);
    let one_constant =
        inputs.iter().filter(|&&s| s == 0).count() == 1 && inputs.iter().all(|&s| s <= 1);
    let vectorised = started && inner[0] == 1 && (contiguous || one_constant);
    let whole = if vectorised { len - len % step } else { 0 };
    let mut mask = vec![false; numel];
    if whole == 0 {
        return mask;
    }
    // Walk the elements row-major; an element's place in its row is its output offset modulo
    // the row length (the output is dense, the row its innermost `len` elements).
    let mut idx = vec![0usize; nd];
    for m in mask.iter_mut() {
        let off: usize = idx.iter().zip(&out_strides).map(|(i, s)| i * s).sum();
        *m = off % len < whole;
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::vector_mask;

    #[test]
    fn contiguous_rows_split_into_steps_and_tail() {
        let m = vector_mask(&[70], &[&[1]], 32);
        assert_eq!(m.iter().filter(|&&v| v).count(), 64);
        assert!(m[63] && !m[64]);
    }

    #[test]
    fn a_transpose_runs_in_memory_order() {
        // (7, 9) viewed from a (9, 7) buffer: memory order is column-major here.
        let m = vector_mask(&[7, 9], &[&[1, 7]], 32);
        // Element (i, j) sits at memory offset j*7 + i; the first 32 offsets are vector.
        for i in 0..7 {
            for j in 0..9 {
                assert_eq!(m[i * 9 + j], j * 7 + i < 32, "({i}, {j})");
            }
        }
    }

    #[test]
    fn a_strided_last_dim_takes_the_scalar_loop() {
        assert!(vector_mask(&[3, 40], &[&[80, 2]], 32).iter().all(|&v| !v));
    }

    #[test]
    fn an_expanded_first_dim_gives_rows_of_the_rest() {
        let m = vector_mask(&[3, 2, 20], &[&[0, 20, 1]], 32);
        for r in 0..3 {
            assert_eq!(m[r * 40..(r + 1) * 40].iter().filter(|&&v| v).count(), 32);
        }
    }

    #[test]
    fn mixed_layouts_follow_the_first_input() {
        // Gradient contiguous, input transposed: rows of the gradient, the input strided.
        assert!(
            vector_mask(&[7, 9], &[&[9, 1], &[1, 7]], 32)
                .iter()
                .all(|&v| !v)
        );
    }
}
