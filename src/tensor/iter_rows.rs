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
pub fn vector_rows(out: &[usize], a: &[usize], b: &[usize]) -> usize {
    row_dims(out, a, b).last().map_or(1, |d| d.len)
}

/// One dim of the iteration: its length and each operand's stride along it (0 if broadcast).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dim {
    pub len: usize,
    pub sa: usize,
    pub sb: usize,
}

/// The dims of `shape` outermost first, size-1 dims dropped and the innermost ones merged
/// while both operands step over each as over one more row; the last dim is the row, along
/// which each operand's stride is 1 or 0.
pub fn row_dims(shape: &[usize], a_shape: &[usize], b_shape: &[usize]) -> Vec<Dim> {
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
