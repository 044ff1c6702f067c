//! Unit tests of `tensor::iter_rows`.

use lessonrun::tensor::iter_rows::vector_rows;

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
