//! Unit tests of `tensor::std_sort`.

use lessonrun::tensor::std_sort::std_sort;

/// What `torch.tensor([0, 1] * 9).sort()` returns as indices in PyTorch 2.15 (its
/// docstring's example, run on the oracle machine).
#[test]
fn ties_land_where_introsort_leaves_them() {
    let vals: Vec<i64> = (0..18).map(|i| i % 2).collect();
    let mut idx: Vec<usize> = (0..18).collect();
    std_sort(&mut idx, &|a, b| vals[a] < vals[b]);
    assert_eq!(
        idx,
        [2, 16, 4, 6, 14, 8, 0, 10, 12, 9, 17, 15, 13, 11, 7, 5, 3, 1]
    );
}

#[test]
fn sorts_every_permutation_shape() {
    let mut seed = 12345u64;
    for n in [0, 1, 2, 5, 16, 17, 33, 100, 1000] {
        let vals: Vec<u64> = (0..n)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 33) % 7
            })
            .collect();
        let mut idx: Vec<usize> = (0..n).collect();
        std_sort(&mut idx, &|a, b| vals[a] < vals[b]);
        assert!(idx.windows(2).all(|w| vals[w[0]] <= vals[w[1]]));
        let mut seen = idx.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }
}

#[test]
fn heap_sort_sorts() {
    let vals = [5u32, 3, 9, 1, 1, 7, 2, 8, 0, 4, 6];
    let mut idx: Vec<usize> = (0..vals.len()).collect();
    lessonrun::tensor::std_sort::heap_sort(&mut idx, &|a, b| vals[a] < vals[b]);
    assert!(idx.windows(2).all(|w| vals[w[0]] <= vals[w[1]]));
}
