//! Tests that the im2col convolutions (conv_im2col.rs) give conv.rs's per-output loops' bits,
//! on every path they take, with padding, strides, dilation, groups and channel blocks; and
//! that the gemm path's input gradient adds in the per-output loop's order.

use lessonrun::tensor::kernels::with_small_chunks;
use lessonrun::tensor::conv::{ConvSpec, Geom, Path, add_chunk, backward_reference, forward_reference, gemm_input_grad, split_for};
use lessonrun::tensor::conv_im2col;
use lessonrun::tensor::kernels::Float;
use proptest::prelude::*;

/// Values of very different magnitudes (so any change of order shows in the last bits), with
/// exact zeros of both signs among them.
fn values<T: Float>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|i| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            let scale = [1e-3, 1.0, 1e3][(s % 3) as usize];
            match i % 11 {
                3 => T::zero(),
                7 => -T::zero(),
                _ => T::from_f64((u - 0.5) * scale),
            }
        })
        .collect()
}

/// A convolution's shape: batch, channels, height, width, output channels, kernel, stride,
/// padding (before, after), dilation and groups.
#[derive(Debug)]
struct Case {
    n: usize,
    c: usize,
    hw: [usize; 2],
    o: usize,
    k: [usize; 2],
    stride: [usize; 2],
    pad_lo: [usize; 2],
    pad_hi: [usize; 2],
    dilation: [usize; 2],
    groups: usize,
}

impl Case {
    fn geom(&self) -> (Geom, ConvSpec) {
        let s = ConvSpec {
            stride: self.stride,
            pad_lo: self.pad_lo,
            pad_hi: self.pad_hi,
            dilation: self.dilation,
            groups: self.groups,
        };
        let out = |d: usize| {
            (self.hw[d] + s.pad_lo[d] + s.pad_hi[d] - s.dilation[d] * (self.k[d] - 1) - 1)
                / s.stride[d]
                + 1
        };
        let g = Geom {
            n: self.n,
            c: self.c,
            h: self.hw[0],
            w: self.hw[1],
            o: self.o,
            kh: self.k[0],
            kw: self.k[1],
            oh: out(0),
            ow: out(1),
            cg: self.c / self.groups,
            og: self.o / self.groups,
        };
        (g, s)
    }
}

fn cases() -> Vec<Case> {
    let case =
        |n, c, hw, o, k, stride, pad_lo: [usize; 2], pad_hi: [usize; 2], dilation, groups| Case {
            n,
            c,
            hw,
            o,
            k,
            stride,
            pad_lo,
            pad_hi,
            dilation,
            groups,
        };
    vec![
        // LeNet's layers, smaller.
        case(3, 1, [12, 11], 6, [5, 5], [1, 1], [2, 2], [2, 2], [1, 1], 1),
        case(2, 6, [9, 9], 16, [5, 5], [1, 1], [0, 0], [0, 0], [1, 1], 1),
        // Two blocks of 16 channels and a third partial one, stride 2.
        case(2, 37, [7, 6], 5, [3, 3], [2, 2], [1, 1], [1, 1], [1, 1], 1),
        // 'same' padding with an even kernel (more after than before), dilation, groups.
        case(2, 4, [7, 9], 4, [3, 2], [1, 1], [1, 0], [1, 1], [2, 2], 2),
        case(3, 6, [6, 8], 9, [2, 3], [1, 3], [1, 1], [1, 1], [1, 2], 3),
        // A kernel as large as the padded input; a 1-d convolution (height 1).
        case(1, 3, [4, 4], 3, [4, 4], [1, 1], [0, 1], [0, 1], [1, 1], 1),
        case(2, 2, [1, 13], 4, [1, 3], [1, 2], [0, 1], [0, 1], [1, 1], 1),
        // The input gradient's chains: DCGAN's stride-2 4x4 kernels over an even width (one
        // chain per kernel column), an odd width (one chain), a row stride alone, and more
        // than 16 output channels at stride 1 (one chain per block of 16).
        case(2, 8, [8, 8], 16, [4, 4], [2, 2], [1, 1], [1, 1], [1, 1], 1),
        case(2, 3, [9, 9], 20, [4, 4], [2, 2], [1, 1], [1, 1], [1, 1], 1),
        case(3, 5, [9, 8], 6, [4, 3], [2, 1], [1, 1], [1, 1], [1, 1], 1),
        case(2, 4, [6, 7], 37, [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], 1),
        // oneDNN's thread split (conv_split.rs): an odd batch whose (image, row) chunks cut
        // image 1 (18 and 18 of 36 rows); whole images for the weights with the bias split
        // on its own; avx2's bias split with 10 input channels.
        case(3, 16, [12, 12], 16, [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], 1),
        case(3, 32, [6, 6], 16, [3, 3], [1, 1], [0, 0], [0, 0], [1, 1], 1),
        case(4, 10, [10, 10], 4, [3, 3], [1, 1], [1, 1], [1, 1], [1, 1], 1),
    ]
}

fn bits<T: Float + Into<f64>>(v: &[T]) -> Vec<u64> {
    v.iter().map(|&x| Into::<f64>::into(x).to_bits()).collect()
}

fn check<T: Float + Into<f64>>() {
    for (ci, case) in cases().iter().enumerate() {
        check_case::<T>(ci as u64, case);
    }
}

/// Every fast path against the per-output loops on one shape, values from `ci`.
fn check_case<T: Float + Into<f64>>(ci: u64, case: &Case) {
    {
        let (g, s) = case.geom();
        let x: Vec<T> = values(g.n * g.c * g.h * g.w, ci);
        let w: Vec<T> = values(g.o * g.cg * g.kh * g.kw, ci + 100);
        let b: Vec<T> = values(g.o, ci + 200);
        let gy: Vec<T> = values(g.n * g.o * g.oh * g.ow, ci + 300);
        for path in [Path::Onednn, Path::OnednnGrouped, Path::GemmFused] {
            for bias in [None, Some(&b[..])] {
                let fast =
                    conv_im2col::forward(&x, &w, bias, &g, &s, path).expect("fast path taken");
                let slow = forward_reference(&x, &w, bias, &g, &s, path);
                assert_eq!(
                    bits(&fast),
                    bits(&slow),
                    "case {ci} {path:?} forward, bias {}",
                    bias.is_some()
                );
            }
            let onednn = path != Path::GemmFused;
            let (gx, gw, gb) = backward_reference(&x, &w, &gy, &g, &s, path);
            // oneDNN's thread chunks (conv_split.rs, the default two threads), each through
            // the fast path, against the reference's.
            let split = split_for(&g, &s, path);
            let fast_gw = split.weight.iter().fold(Vec::new(), |sum, rows| {
                add_chunk(sum, conv_im2col::weight_grad(&x, &gy, &g, &s, onednn, rows.clone()).expect("fast path taken"))
            });
            assert_eq!(
                bits(&fast_gw),
                bits(&gw),
                "case {ci} {path:?} weight gradient"
            );
            if onednn {
                let fast_gx = lessonrun::tensor::conv_dgrad::input_grad(&gy, &w, &g, &s).expect("fast path taken");
                assert_eq!(
                    bits(&fast_gx),
                    bits(&gx),
                    "case {ci} {path:?} input gradient"
                );
                assert_eq!(
                    bits(&split.bias.iter().fold(Vec::new(), |sum, rows| add_chunk(sum, conv_im2col::bias_grad(&gy, &g, rows.clone())))),
                    bits(&gb),
                    "case {ci} {path:?} bias gradient"
                );
            }
        }
    }
}

#[test]
fn im2col_convolutions_equal_the_per_output_loops_f32() {
    with_small_chunks(check::<f32>);
}

#[test]
fn im2col_convolutions_equal_the_per_output_loops_f64() {
    with_small_chunks(check::<f64>);
}

#[test]
fn zero_filled_taps_are_refused_where_they_could_change_a_sign_or_make_nan() {
    // A product that underflows to -0 followed by a padded tap: the skipping chain keeps -0,
    // an FMA with the padding's +0 would give +0.
    assert!(!conv_im2col::zero_fill_exact(
        &[1e-30f32, 1.0],
        &[-1e-30f32]
    ));
    assert!(!conv_im2col::zero_fill_exact(&[1.0f32], &[f32::INFINITY]));
    assert!(!conv_im2col::zero_fill_exact(&[1.0f64], &[f64::NAN]));
    assert!(conv_im2col::zero_fill_exact(
        &[f32::INFINITY, 0.0, 1e-10],
        &[1e-10f32, -0.0]
    ));
    assert!(conv_im2col::zero_fill_exact(&[0.0f32], &[1e-45f32]));
    // The slow path still runs such a convolution, with the reference's bits.
    let (g, s) = cases()[0].geom();
    let x: Vec<f32> = values::<f32>(g.n * g.c * g.h * g.w, 1)
        .iter()
        .map(|v| v * 1e-30)
        .collect();
    let w: Vec<f32> = values(g.o * g.cg * g.kh * g.kw, 2);
    assert!(conv_im2col::forward(&x, &w, None, &g, &s, Path::Onednn).is_none());
}

/// The gemm path's input gradient as first written: one loop per output position, adding
/// each tap's product into the input it read, in f64, rounded once.
fn gemm_input_grad_by_output<T: Float + Into<f64>>(
    wt: &[T],
    gy: &[T],
    g: &Geom,
    s: &ConvSpec,
) -> Vec<f64> {
    let mut gx = vec![0.0f64; g.n * g.c * g.h * g.w];
    for n in 0..g.n {
        for o in 0..g.o {
            let c0 = (o / g.og) * g.cg;
            for oy in 0..g.oh {
                for ox in 0..g.ow {
                    let d: f64 = gy[((n * g.o + o) * g.oh + oy) * g.ow + ox].into();
                    for c in 0..g.cg {
                        for ky in 0..g.kh {
                            for kx in 0..g.kw {
                                let y = (oy * s.stride[0] + ky * s.dilation[0])
                                    .checked_sub(s.pad_lo[0]);
                                let x = (ox * s.stride[1] + kx * s.dilation[1])
                                    .checked_sub(s.pad_lo[1]);
                                if let (Some(y), Some(x)) = (y, x)
                                    && y < g.h
                                    && x < g.w
                                {
                                    let w: f64 =
                                        wt[((o * g.cg + c) * g.kh + ky) * g.kw + kx].into();
                                    gx[((n * g.c + c0 + c) * g.h + y) * g.w + x] += d * w;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    gx.iter().map(|&v| T::from_f64(v).into()).collect()
}

fn check_gemm_input_grad<T: Float + Into<f64>>() {
    for (ci, case) in cases().iter().enumerate() {
        let (g, s) = case.geom();
        let w: Vec<T> = values(g.o * g.cg * g.kh * g.kw, ci as u64 + 100);
        let gy: Vec<T> = values(g.n * g.o * g.oh * g.ow, ci as u64 + 300);
        let want: Vec<u64> = gemm_input_grad_by_output(&w, &gy, &g, &s)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        let got: Vec<u64> = gemm_input_grad(&w, &gy, &g, &s)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(got, want, "case {ci}: gemm input gradient");
    }
}

#[test]
fn gemm_input_gradient_adds_in_the_per_output_order() {
    check_gemm_input_grad::<f32>();
    check_gemm_input_grad::<f64>();
}

/// A shape around the modern CNNs' (d2l's ResNet, GoogLeNet, NiN, VGG): channel counts at and
/// around multiples of 16 (the oneDNN block and the matmul kernel's vector), 1x1 to 7x7
/// kernels, strides 1-2 (each dim its own), padding, dilation, batch 1-4 (chunks of images split at several
/// places, the test build's chunks being small).
fn modern_case() -> impl Strategy<Value = Case> {
    let chans = prop_oneof![1..5usize, 15..18usize, 31..34usize, 47..50usize];
    (
        1..5usize,
        chans.clone(),
        chans,
        prop_oneof![Just(1usize), Just(3), Just(5), Just(7), 1..4usize],
        (1..3usize, 1..3usize),
        (0..4usize, 0..4usize),
        1..3usize,
        0..6usize,
        prop_oneof![Just(1usize), Just(1), Just(2)],
    )
        .prop_map(|(n, c, o, k, stride, (plo, phi), dilation, extra, groups)| {
            let groups = if c % groups == 0 && o % groups == 0 { groups } else { 1 };
            let (plo, phi) = (plo.min(k / 2 + 1), phi.min(k / 2 + 1));
            let span = dilation * (k - 1) + 1;
            let hw = (span.saturating_sub(plo + phi)).max(1) + extra;
            Case {
                n,
                c,
                hw: [hw, hw + extra % 3],
                o,
                k: [k, k],
                stride: [stride.0, stride.1],
                pad_lo: [plo, plo],
                pad_hi: [phi, phi],
                dilation: [dilation, dilation],
                groups,
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn batched_convolutions_equal_the_per_output_loops_f32(case in modern_case(), seed in 0..1000u64) {
        with_small_chunks(|| check_case::<f32>(seed, &case));
    }

    #[test]
    fn batched_convolutions_equal_the_per_output_loops_f64(case in modern_case(), seed in 0..1000u64) {
        with_small_chunks(|| check_case::<f64>(seed, &case));
    }
}
