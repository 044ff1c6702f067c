//! Unit tests of `tensor::gelu_f32`.

use lessonrun::tensor::gelu_f32::{aten_gelu, aten_gelu_backward, gelu_erf, gelu_erf_backward, gelu_erf_derivative};
use crate::unit::tensor::recorded::same;

/// Real PyTorch 2.15 (oracle machine): input, then oneDNN's GELU and gradient (contiguous,
/// incoming gradient 0.75), ATen's vector loop (oneDNN off, 64 elements), ATen's scalar loop
/// (one element).
const TORCH: [(u32, u32, u32, u32, u32, u32, u32); 24] = [
    (
        0xc1200000, 0x80000000, 0x00000000, 0x80000000, 0x9c2e6a8f, 0x80000000, 0x9c2e6a8f,
    ),
    (
        0xc0b33333, 0x80000000, 0xb4900000, 0x80000000, 0xb48b68ce, 0x80000000, 0xb48b68ce,
    ),
    (
        0xc0b00000, 0xb4300000, 0xb4e40000, 0xb4300000, 0xb4e2819c, 0xb4300000, 0xb4e2819c,
    ),
    (
        0xc0400000, 0xbb84b7c0, 0xbc12c9a0, 0xbb84b4c0, 0xbc12c993, 0xbb84b340, 0xbc12c9c3,
    ),
    (
        0xbfd9999a, 0xbd9b28c4, 0xbdb120df, 0xbd9b28b7, 0xbdb120e2, 0xbd9b28bd, 0xbdb120df,
    ),
    (
        0xbf800000, 0xbe227686, 0xbd7ff1ec, 0xbe227688, 0xbd7ff1ef, 0xbe227686, 0xbd7ff1f5,
    ),
    (
        0xbf000000, 0xbe1df8a2, 0x3dcb870d, 0xbe1df8a4, 0x3dcb8710, 0xbe1df8a2, 0x3dcb870a,
    ),
    (
        0xba83126f, 0xba02f7a9, 0x3ebfb192, 0xba02f7aa, 0x3ebfb192, 0xba02f7a9, 0x3ebfb191,
    ),
    (
        0x8da24260, 0x8d224260, 0x3ec00000, 0x8d224260, 0x3ec00000, 0x8d224260, 0x3ec00000,
    ),
    (
        0x00000000, 0x00000000, 0x3ec00000, 0x00000000, 0x3ec00000, 0x00000000, 0x3ec00000,
    ),
    (
        0x000116c2, 0x00008b61, 0x3ec00000, 0x00008b61, 0x3ec00000, 0x00008b61, 0x3ec00000,
    ),
    (
        0x33d6bf95, 0x3356bf97, 0x3ec00002, 0x3356bf95, 0x3ec00002, 0x3356bf97, 0x3ec00003,
    ),
    (
        0x3e800000, 0x3e1944d1, 0x3f0582fd, 0x3e1944d0, 0x3f0582fd, 0x3e1944d1, 0x3f0582fe,
    ),
    (
        0x3f350481, 0x3f099e44, 0x3f3c2622, 0x3f099e44, 0x3f3c2622, 0x3f099e44, 0x3f3c2622,
    ),
    (
        0x3f800000, 0x3f57625e, 0x3f4fff1e, 0x3f57625e, 0x3f4fff20, 0x3f57625e, 0x3f4fff20,
    ),
    (
        0x3fc00000, 0x3fb32c4a, 0x3f58795e, 0x3fb32c4a, 0x3f58795e, 0x3fb32c4b, 0x3f58795e,
    ),
    (
        0x40000000, 0x3ffa2d0c, 0x3f505d52, 0x3ffa2d0e, 0x3f505d52, 0x3ffa2d0c, 0x3f505d50,
    ),
    (
        0x40600000, 0x405ff2a8, 0x3f408ab1, 0x405ff2a8, 0x3f408ab1, 0x405ff2a9, 0x3f408ab2,
    ),
    (
        0x40b147ae, 0x40b147ae, 0x3f400006, 0x40b147ae, 0x3f400006, 0x40b147ae, 0x3f400006,
    ),
    (
        0x40b1999a, 0x40b1999a, 0x3f400006, 0x40b1999a, 0x3f400006, 0x40b1999a, 0x3f400006,
    ),
    (
        0x41000000, 0x41000000, 0x3f400000, 0x41000000, 0x3f400000, 0x41000000, 0x3f400000,
    ),
    (
        0x42c80000, 0x42c80000, 0x3f400000, 0x42c80000, 0x3f400000, 0x42c80000, 0x3f400000,
    ),
    (
        0x7f800000, 0xffc00000, 0xffc00000, 0x7f800000, 0xffc00000, 0x7f800000, 0xffc00000,
    ),
    (
        0xff800000, 0x7fc00000, 0xffc00000, 0xffc00000, 0xffc00000, 0xffc00000, 0xffc00000,
    ),
];

#[test]
fn every_path_matches_recorded_torch_bits() {
    let mut wrong = Vec::new();
    for &(x, y1, g1, yv, gv, ys, gs) in &TORCH {
        let x = f32::from_bits(x);
        let got = [
            gelu_erf(x),
            gelu_erf_backward(x, 0.75),
            aten_gelu(x, true),
            aten_gelu_backward(x, 0.75, true),
            aten_gelu(x, false),
            aten_gelu_backward(x, 0.75, false),
        ];
        for (k, (&g, w)) in got.iter().zip([y1, g1, yv, gv, ys, gs]).enumerate() {
            if !same(g, w) {
                wrong.push(format!(
                    "x={x:e} result {k}: {:08x}, torch {w:08x}",
                    g.to_bits()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The float32 derivatives of every path against central differences of GELU in float64.
#[test]
fn derivatives_match_finite_differences() {
    let gelu64 = |x: f64| {
        0.5 * x * (1.0 + lessonrun::tensor::activations::erf(x * std::f64::consts::FRAC_1_SQRT_2))
    };
    for i in -80..=80 {
        let x = i as f64 * 0.07 + 0.013;
        let h = 1e-6;
        let numeric = (gelu64(x + h) - gelu64(x - h)) / (2.0 * h);
        let xf = x as f32;
        for (what, d) in [
            ("oneDNN", gelu_erf_derivative(xf)),
            ("ATen vector", aten_gelu_backward(xf, 1.0, true)),
            ("ATen scalar", aten_gelu_backward(xf, 1.0, false)),
        ] {
            assert!(
                (d as f64 - numeric).abs() < 2e-6,
                "{what} at {x}: {d} vs {numeric}"
            );
        }
        for y in [gelu_erf(xf), aten_gelu(xf, true), aten_gelu(xf, false)] {
            assert!(
                (y as f64 - gelu64(xf as f64)).abs() < 2e-6 * (1.0 + x.abs()),
                "gelu at {x}: {y}"
            );
        }
    }
}
