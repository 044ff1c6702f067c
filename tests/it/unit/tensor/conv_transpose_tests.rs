//! Finite-difference gradient checks (float64) of the transposed convolution, and its forward
//! against its definition (every input element scattered through the kernel).

use lessonrun::tensor::conv::ConvSpec;
use lessonrun::tensor::conv_transpose::conv_transpose2d;
use crate::unit::tensor::{gradcheck, leaf64};
use lessonrun::tensor::{Result, Tensor};

fn data(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + 1.0) * 12.9898 + seed * 78.233).sin() * 1.7 + 0.01 * i as f64)
        .collect()
}

fn leaf(shape: &[usize], seed: f64) -> Tensor {
    leaf64(&data(shape.iter().product(), seed), shape)
}

fn spec(stride: usize, pad: usize, dil: usize, groups: usize) -> ConvSpec {
    ConvSpec {
        stride: [stride; 2],
        pad_lo: [pad; 2],
        pad_hi: [pad; 2],
        dilation: [dil; 2],
        groups,
    }
}

type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

/// On small chunks, so that the batch and weight-gradient chunking is exercised.
#[test]
fn conv_transpose2d_gradients_match_finite_differences() {
    lessonrun::tensor::kernels::with_small_chunks(conv_transpose2d_gradients_match_finite_differences_body);
}

fn conv_transpose2d_gradients_match_finite_differences_body() {
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        (
            "conv_transpose2d",
            vec![
                leaf(&[2, 3, 3, 3], 1.0),
                leaf(&[3, 2, 3, 3], 2.0),
                leaf(&[2], 3.0),
            ],
            {
                let s = spec(1, 0, 1, 1);
                Box::new(move |x| conv_transpose2d(&x[0], &x[1], Some(&x[2]), &s, [0, 0]))
            },
        ),
        (
            "conv_transpose2d stride padding output_padding",
            vec![leaf(&[1, 2, 3, 4], 4.0), leaf(&[2, 3, 4, 4], 5.0)],
            {
                let s = spec(2, 1, 1, 1);
                Box::new(move |x| conv_transpose2d(&x[0], &x[1], None, &s, [1, 1]))
            },
        ),
        (
            "conv_transpose2d groups dilation",
            vec![
                leaf(&[2, 4, 3, 3], 6.0),
                leaf(&[4, 1, 2, 2], 7.0),
                leaf(&[2], 8.0),
            ],
            {
                let s = spec(1, 1, 2, 2);
                Box::new(move |x| conv_transpose2d(&x[0], &x[1], Some(&x[2]), &s, [0, 0]))
            },
        ),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

/// The forward by definition: `y[n, g*og + o, i*s - p + ky*d, j*s - p + kx*d] += x[n, c, i, j] *
/// w[c, o, ky, kx]` for the input channels `c` of group `g`.
/// On small chunks, so that the batch and weight-gradient chunking is exercised.
#[test]
fn conv_transpose2d_forward_is_the_scatter_definition() {
    lessonrun::tensor::kernels::with_small_chunks(conv_transpose2d_forward_is_the_scatter_definition_body);
}

fn conv_transpose2d_forward_is_the_scatter_definition_body() {
    let (n, cin, cout, h, k, s, p, op, d, g) = (
        2usize, 4usize, 6usize, 3usize, 3usize, 2usize, 1usize, 1usize, 1usize, 2usize,
    );
    let x = leaf(&[n, cin, h, h], 9.0);
    let w = leaf(&[cin, cout / g, k, k], 10.0);
    let y = conv_transpose2d(&x, &w, None, &spec(s, p, d, g), [op, op]).expect("conv_transpose2d");
    let oh = (h - 1) * s + d * (k - 1) + op + 1 - 2 * p;
    assert_eq!(y.shape(), vec![n, cout, oh, oh]);
    let (xv, wv, yv) = (x.to_f64_vec(), w.to_f64_vec(), y.to_f64_vec());
    let mut want = vec![0.0f64; n * cout * oh * oh];
    let (cg, og) = (cin / g, cout / g);
    for b in 0..n {
        for c in 0..cin {
            let grp = c / cg;
            for i in 0..h {
                for j in 0..h {
                    for o in 0..og {
                        for ky in 0..k {
                            for kx in 0..k {
                                let (yy, xx) = (
                                    (i * s + ky * d) as isize - p as isize,
                                    (j * s + kx * d) as isize - p as isize,
                                );
                                if yy < 0 || xx < 0 || yy as usize >= oh || xx as usize >= oh {
                                    continue;
                                }
                                let oc = grp * og + o;
                                want[((b * cout + oc) * oh + yy as usize) * oh + xx as usize] += xv
                                    [((b * cin + c) * h + i) * h + j]
                                    * wv[((c * og + o) * k + ky) * k + kx];
                            }
                        }
                    }
                }
            }
        }
    }
    for (a, e) in yv.iter().zip(&want) {
        assert!((a - e).abs() <= 1e-12 * (1.0 + e.abs()), "{a} vs {e}");
    }
}
