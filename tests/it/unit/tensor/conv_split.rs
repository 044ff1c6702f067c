//! Unit tests of `tensor::conv_split`.

use lessonrun::tensor::conv_split::*;
use lessonrun::tensor::conv::{ConvSpec, Geom};
use std::ops::Range;

fn geom(n: usize, c: usize, o: usize, k: usize, h: usize, pad: usize) -> (Geom, ConvSpec) {
    let oh = h + 2 * pad - k + 1;
    let g = Geom {
        n,
        c,
        h,
        w: h,
        o,
        kh: k,
        kw: k,
        oh,
        ow: oh,
        cg: c,
        og: o,
    };
    let s = ConvSpec {
        stride: [1, 1],
        pad_lo: [pad; 2],
        pad_hi: [pad; 2],
        dilation: [1, 1],
        groups: 1,
    };
    (g, s)
}

#[test]
fn balance211_puts_the_longer_chunks_first() {
    assert_eq!(balance211(7, 2), vec![0..4, 4..7]);
    assert_eq!(balance211(8, 3), vec![0..3, 3..6, 6..8]);
    assert_eq!(balance211(1, 2), vec![0..1]);
    assert_eq!(balance211(5, 1), vec![0..5]);
}

// Chunk sizes PyTorch 2.15 showed on the oracle machine (docs/probes/conv_wgrad_thread_split.py).
#[test]
fn plans_match_the_probed_shapes() {
    let sizes = |r: &[Range<usize>]| r.iter().map(|r| r.len()).collect::<Vec<_>>();
    // introyt's LeNet conv1 (avx512, 24 output rows: the (image, row) pairs split).
    let (g, s) = geom(4, 1, 6, 5, 28, 0);
    let p = plan(&g, &s, 2);
    assert_eq!(
        (sizes(&p.weight), sizes(&p.bias)),
        (vec![48, 48], vec![48, 48])
    );
    assert_eq!(plan(&g, &s, 1).weight, vec![0..96]);
    // Its conv2 (avx2, 6 input channels): one chain.
    let (g, s) = geom(4, 6, 16, 5, 12, 0);
    assert_eq!(sizes(&plan(&g, &s, 2).weight), vec![32]);
    // Knowledge distillation's DeepNN, 64 -> 32 over 16x16, batch 32.
    let (g, s) = geom(32, 64, 32, 3, 16, 1);
    assert_eq!(sizes(&plan(&g, &s, 2).weight), vec![256, 256]);
    // An odd batch with the 2d harness: a chunk ends inside image 1.
    let (g, s) = geom(3, 16, 16, 3, 12, 1);
    assert_eq!(sizes(&plan(&g, &s, 2).weight), vec![18, 18]);
    // Whole images, the bias split on its own (avx512, 4 output rows).
    let (g, s) = geom(3, 32, 16, 3, 6, 0);
    let p = plan(&g, &s, 2);
    assert_eq!((sizes(&p.weight), sizes(&p.bias)), (vec![12], vec![8, 4]));
    // avx2 with 10 input channels: the weights in one chain, the bias split.
    let (g, s) = geom(4, 10, 4, 3, 10, 1);
    let p = plan(&g, &s, 2);
    assert_eq!((sizes(&p.weight), sizes(&p.bias)), (vec![40], vec![20, 20]));
    // More output channels: one chain each.
    let (g, s) = geom(4, 16, 20, 3, 10, 1);
    assert_eq!(sizes(&plan(&g, &s, 2).weight), vec![40]);
}
