//! Unit tests of `tensor::iter_layout`.

use lessonrun::tensor::iter_layout::vector_mask_threads;
use lessonrun::tensor::threads::GRAIN_SIZE;

fn vector_mask(shape: &[usize], strides: &[&[usize]], step: usize) -> Vec<bool> {
    vector_mask_threads(shape, strides, step, 2)
}

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

#[test]
fn thread_chunks_restart_the_vector_steps() {
    // 70001 contiguous elements on 2 threads: chunks 0..35001 and 35001..70001.
    let m = vector_mask(&[70001], &[&[1]], 32);
    let (a, b) = (35001usize, 70001usize);
    for (i, &v) in m.iter().enumerate() {
        let want = if i < a {
            i < a - a % 32
        } else {
            i - a < (b - a) - (b - a) % 32
        };
        assert_eq!(v, want, "element {i}");
    }
    // One thread: one call. Just past the grain size: two calls of 16387 and 16386.
    let one = vector_mask_threads(&[70001], &[&[1]], 32, 1);
    assert_eq!(one.iter().filter(|&&v| v).count(), 70001 - 70001 % 32);
    let g = vector_mask(&[GRAIN_SIZE + 5], &[&[1]], 32);
    assert_eq!(
        g.iter().filter(|&&v| v).count(),
        (GRAIN_SIZE + 5) / 2 / 32 * 32 * 2
    );
}

#[test]
fn a_chunk_boundary_inside_a_row_splits_that_row() {
    // x[:, :707] of a (99, 800) buffer: rows of 707 that do not merge. 69993 elements on 2
    // threads split at 34997, inside row 49 (34643..35350): parts of 354 and 353 elements,
    // each with 352 in vector steps; the rows around are whole calls (704 vector).
    let m = vector_mask(&[99, 707], &[&[800, 1]], 32);
    let (row, split) = (49 * 707, 69993usize.div_ceil(2));
    assert!(m[row + 351] && !m[row + 352] && !m[split - 1]);
    assert!(m[split] && m[split + 351] && !m[split + 352]);
    assert!(m[row - 4] && !m[row - 3] && m[row + 707 + 703] && !m[row + 707 + 704]);
}
