//! Unit tests of `tensor::random`.

use lessonrun::tensor::random::*;
use std::mem::MaybeUninit;
use ndarray::{ArrayD, IxDyn};
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::{DType, Result, Tensor, TensorError};

/// The block fill gives the draws one `uniform_f32` call per element gives, across block
/// regenerations, from a state mid-block, and from a loaded state whose `next` and `left`
/// do not add up to a block.
/// Generators to start block fills from: fresh, mid-block (odd and even offsets, one
/// word before a regeneration) and a loaded state whose `next` and `left` do not add up
/// to a block.
fn start_states() -> Vec<Generator> {
    let mut starts = vec![Generator::new(0), Generator::new(7)];
    for skip in [1, 100, 623] {
        let mut g = Generator::new(11);
        for _ in 0..skip {
            g.random();
        }
        starts.push(g);
    }
    let mut odd = Generator::new(5);
    odd.random();
    let mut bytes = odd.state_bytes();
    bytes[8..12].copy_from_slice(&5i32.to_le_bytes());
    odd.set_state_bytes(&bytes).expect("a valid state");
    starts.push(odd);
    starts
}

/// The pairwise block fill gives the words `random64()` gives, pairs straddling a block
/// regeneration included.
#[test]
fn random64_fill_matches_one_draw_at_a_time() {
    let starts = start_states();
    for g in starts {
        for n in [0, 1, 311, 312, 313, 1000, 70_000] {
            let (mut a, mut b) = (g.clone(), g.clone());
            let bulk = random64_vec(&mut a, n, 0, |r| r);
            let one: Vec<u64> = (0..n).map(|_| b.random64()).collect();
            assert_eq!(bulk, one, "n = {n}");
            assert_eq!(a.random(), b.random(), "the state after n = {n}");
        }
    }
}

#[test]
fn block_fill_matches_one_draw_at_a_time() {
    let starts = start_states();
    for g in starts {
        for n in [0, 1, 623, 624, 625, 2000] {
            let (mut a, mut b) = (g.clone(), g.clone());
            let bulk = uniform_f32_vec(&mut a, n, -0.5, 2.0);
            let one: Vec<f32> = (0..n).map(|_| b.uniform_f32(-0.5, 2.0)).collect();
            assert_eq!(bulk.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), one.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), "n = {n}");
            assert_eq!(a.random(), b.random(), "the state after n = {n}");
        }
    }
}
