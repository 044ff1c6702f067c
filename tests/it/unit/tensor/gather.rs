//! Unit tests of `tensor::gather`.

use lessonrun::tensor::gather::row_major;
use ndarray::{ArrayD, Axis, IxDyn};

/// Transposed, permuted, broadcast, sliced with steps and reversed views all give what
/// ndarray's own logical-order iteration gives.
#[test]
fn matches_logical_order() {
    let a = ArrayD::from_shape_vec(IxDyn(&[4, 3, 5]), (0..60).collect::<Vec<i64>>()).unwrap();
    let check = |v: ndarray::ArrayViewD<i64>| {
        assert_eq!(row_major(&v), v.iter().copied().collect::<Vec<_>>(), "{:?} {:?}", v.shape(), v.strides());
    };
    check(a.view());
    check(a.view().reversed_axes());
    check(a.view().permuted_axes(IxDyn(&[1, 0, 2])));
    check(a.view().permuted_axes(IxDyn(&[2, 0, 1])));
    check(a.slice(ndarray::s![.., 1..2, ..]).into_dyn());
    check(a.slice(ndarray::s![..;2, .., 1..;3]).into_dyn());
    check(a.slice(ndarray::s![..;-1, .., ..;-2]).into_dyn());
    let col = a.index_axis(Axis(2), 0).insert_axis(Axis(2)).into_dyn();
    check(col.broadcast(IxDyn(&[4, 3, 7])).unwrap());
    check(a.view().insert_axis(Axis(1)).broadcast(IxDyn(&[4, 2, 3, 5])).unwrap());
    let empty = ArrayD::<i64>::zeros(IxDyn(&[3, 0, 2]));
    check(empty.view().reversed_axes());
}
