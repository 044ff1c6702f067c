//! Unit tests of `tensor::threads`.

use lessonrun::tensor::threads::*;
use std::cell::Cell;
use std::ops::Range;
use lessonrun::tensor::kernels::{Float, cascade_sum, row_sum};

#[test]
fn chunks_follow_openmp_parallel_for() {
    assert_eq!(chunks(32768, GRAIN_SIZE, 2), vec![0..32768]);
    assert_eq!(chunks(32769, GRAIN_SIZE, 2), vec![0..16385, 16385..32769]);
    assert_eq!(
        chunks(100_000, GRAIN_SIZE, 8),
        vec![0..25000, 25000..50000, 50000..75000, 75000..100_000]
    );
    assert_eq!(chunks(100_000, GRAIN_SIZE, 1), vec![0..100_000]);
}

#[test]
fn long_sums_add_per_thread_parts_and_short_ones_do_not() {
    // Values of mixed signs and magnitudes; over several runs the two orders (one cascade,
    // or two halves added) must differ somewhere, or the test could not tell them apart.
    let mut s = 0x9E37_79B9_7F4A_7C15u64;
    let mut told_apart = 0;
    for _ in 0..16 {
        let x: Vec<f32> = (0..65_537)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5)
                    * [1.0, 1e3, 1e-3][(s % 3) as usize]
            })
            .collect();
        let (a, b) = x.split_at(32_769);
        let two = (0.0 + cascade_sum(a)) + cascade_sum(b);
        set_num_threads(2);
        assert_eq!(full_sum(&x).to_bits(), (0.0f32 + two).to_bits());
        let short = &x[..GRAIN_SIZE - 1];
        assert_eq!(full_sum(short).to_bits(), cascade_sum(short).to_bits());
        set_num_threads(1);
        assert_eq!(full_sum(&x).to_bits(), cascade_sum(&x).to_bits());
        told_apart += usize::from(cascade_sum(&x).to_bits() != two.to_bits());
    }
    set_num_threads(DEFAULT_THREADS);
    assert!(told_apart > 0, "no run told one cascade from two halves");
}
