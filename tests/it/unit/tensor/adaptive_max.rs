//! Unit tests of `tensor::adaptive_max`.

use lessonrun::tensor::adaptive_max::{bounds, max_windows};

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
