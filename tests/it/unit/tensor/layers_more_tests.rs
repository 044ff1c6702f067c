//! Finite-difference gradient checks (float64) of `losses_more` and `norms_more`: each loss
//! in each reduction, group and instance norm with and without affine parameters, PReLU with one
//! and per-channel weights, and pixel (un)shuffle. Inputs stay away from the losses' kinks.

use lessonrun::tensor::losses_more as lm;
use lessonrun::tensor::nn::Reduction;
use lessonrun::tensor::norms_more as nm;
use crate::unit::tensor::{gradcheck, leaf64};
use lessonrun::tensor::{Data, Result, Tensor};

fn data(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + 1.0) * 12.9898 + seed * 78.233).sin() * 1.7 + 0.01 * i as f64)
        .collect()
}

fn leaf(shape: &[usize], seed: f64) -> Tensor {
    leaf64(&data(shape.iter().product(), seed), shape)
}

fn constant(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_data(Data::F64(v.to_vec()), shape).expect("data")
}

fn labels(v: &[i64]) -> Tensor {
    Tensor::from_data(Data::I64(v.to_vec()), &[v.len()]).expect("data")
}

type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

const REDUCTIONS: [Reduction; 3] = [Reduction::Mean, Reduction::Sum, Reduction::None];

#[test]
fn losses_more_gradients_match_finite_differences() {
    let signs = constant(&[1.0, -1.0, 1.0, -1.0, -1.0, 1.0], &[6]);
    let rows = constant(&[1.0, -1.0, -1.0], &[3]);
    let multi = constant(
        &[1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 0.0],
        &[3, 4],
    );
    let counts = constant(&[1.0, 0.0, 3.0, 2.0, 5.0, 4.0], &[6]);
    let target = constant(&data(6, 9.0), &[3, 2]);
    let weight = constant(&[1.0, 2.0, 0.5, 1.5], &[4]);
    for r in REDUCTIONS {
        let (s, rw, mu, c, t, w) = (
            signs.clone(),
            rows.clone(),
            multi.clone(),
            counts.clone(),
            target.clone(),
            weight.clone(),
        );
        let (s2, s3, rw2, w2) = (signs.clone(), signs.clone(), rows.clone(), weight.clone());
        let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
            (
                "margin_ranking",
                vec![leaf(&[6], 1.0), leaf(&[6], 2.0)],
                Box::new(move |x| lm::margin_ranking_loss(&x[0], &x[1], &s, 0.3, r)),
            ),
            (
                "hinge_embedding",
                vec![leaf(&[6], 3.0)],
                Box::new(move |x| lm::hinge_embedding_loss(&x[0], &s2, 1.1, r)),
            ),
            (
                "cosine_embedding",
                vec![leaf(&[3, 4], 4.0), leaf(&[3, 4], 5.0)],
                Box::new(move |x| lm::cosine_embedding_loss(&x[0], &x[1], &rw, -0.9, r)),
            ),
            ("soft_margin", vec![leaf(&[3, 4], 6.0)], {
                let y = Tensor::from_data(
                    Data::F64(data(12, 7.0).iter().map(|v| v.signum()).collect()),
                    &[3, 4],
                )
                .expect("data");
                Box::new(move |x| lm::soft_margin_loss(&x[0], &y, r))
            }),
            (
                "multilabel_soft_margin",
                vec![leaf(&[3, 4], 8.0)],
                Box::new(move |x| lm::multilabel_soft_margin_loss(&x[0], &mu, Some(&w), r)),
            ),
            ("poisson_nll log", vec![leaf(&[6], 10.0)], {
                let c = c.clone();
                Box::new(move |x| lm::poisson_nll_loss(&x[0], &c, true, true, 1e-8, r))
            }),
            (
                "poisson_nll rate",
                vec![leaf64(
                    &data(6, 11.0)
                        .iter()
                        .map(|v| v.abs() + 0.5)
                        .collect::<Vec<_>>(),
                    &[6],
                )],
                { Box::new(move |x| lm::poisson_nll_loss(&x[0], &c, false, false, 1e-8, r)) },
            ),
            (
                "gaussian_nll",
                vec![
                    leaf(&[3, 2], 12.0),
                    leaf64(
                        &data(6, 13.0)
                            .iter()
                            .map(|v| v.abs() + 0.3)
                            .collect::<Vec<_>>(),
                        &[3, 2],
                    ),
                ],
                { Box::new(move |x| lm::gaussian_nll_loss(&x[0], &t, &x[1], true, 1e-6, r)) },
            ),
            (
                "multi_margin p=1",
                vec![leaf(&[3, 4], 14.0)],
                Box::new(move |x| {
                    lm::multi_margin_loss(&x[0], &labels(&[2, 0, 3]), 1, 1.0, None, r)
                }),
            ),
            (
                "multi_margin p=2 weight",
                vec![leaf(&[3, 4], 15.0)],
                Box::new(move |x| {
                    lm::multi_margin_loss(&x[0], &labels(&[1, 3, 0]), 2, 0.7, Some(&w2), r)
                }),
            ),
            (
                "clamp_min",
                vec![leaf(&[6], 16.0)],
                Box::new(move |x| lm::reduce(&lm::clamp_min(&x[0].mul(&s3)?, 0.2)?, r)),
            ),
            (
                "cosine_embedding unbatched",
                vec![leaf(&[4], 17.0), leaf(&[4], 18.0)],
                {
                    let y = Tensor::from_data(Data::F64(vec![-1.0]), &[]).expect("data");
                    let _ = &rw2;
                    Box::new(move |x| lm::cosine_embedding_loss(&x[0], &x[1], &y, -0.99, r))
                },
            ),
        ];
        for (name, inputs, f) in &cases {
            gradcheck(&format!("{name} {r:?}"), inputs, f.as_ref());
        }
    }
}

#[test]
fn layers_more_gradients_match_finite_differences() {
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        (
            "group_norm affine",
            vec![leaf(&[2, 4, 5], 1.0), leaf(&[4], 2.0), leaf(&[4], 3.0)],
            Box::new(|x| nm::group_norm(&x[0], 2, Some(&x[1]), Some(&x[2]), 1e-5)),
        ),
        (
            "group_norm plain 4-D",
            vec![leaf(&[2, 6, 2, 3], 4.0)],
            Box::new(|x| nm::group_norm(&x[0], 3, None, None, 1e-5)),
        ),
        (
            "group_norm one group, weight only",
            vec![leaf(&[3, 2, 7], 5.0), leaf(&[2], 6.0)],
            Box::new(|x| nm::group_norm(&x[0], 1, Some(&x[1]), None, 1e-3)),
        ),
        (
            "instance_norm",
            vec![leaf(&[2, 3, 5], 7.0)],
            Box::new(|x| nm::instance_norm(&x[0], None, None, None, None, true, 0.1, 1e-5)),
        ),
        (
            "instance_norm affine 4-D",
            vec![leaf(&[2, 2, 3, 3], 8.0), leaf(&[2], 9.0), leaf(&[2], 10.0)],
            Box::new(|x| {
                nm::instance_norm(&x[0], None, None, Some(&x[1]), Some(&x[2]), true, 0.1, 1e-5)
            }),
        ),
        (
            "prelu shared",
            vec![leaf(&[3, 4], 11.0), leaf(&[1], 12.0)],
            Box::new(|x| nm::prelu(&x[0], &x[1])),
        ),
        (
            "prelu per channel",
            vec![leaf(&[2, 3, 2, 2], 13.0), leaf(&[3], 14.0)],
            Box::new(|x| nm::prelu(&x[0], &x[1])),
        ),
        (
            "prelu 1-d",
            vec![leaf(&[5], 15.0), leaf(&[5], 16.0)],
            Box::new(|x| nm::prelu(&x[0], &x[1])),
        ),
        (
            "pixel_shuffle",
            vec![leaf(&[2, 8, 2, 3], 17.0)],
            Box::new(|x| nm::pixel_shuffle(&x[0], 2, false)),
        ),
        (
            "pixel_unshuffle unbatched",
            vec![leaf(&[2, 6, 4], 18.0)],
            Box::new(|x| nm::pixel_shuffle(&x[0], 2, true)),
        ),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

/// Shuffling then unshuffling is the identity, and the shuffle moves `(c·r² + i·r + j, h, w)` to
/// `(c, h·r + i, w·r + j)`.
#[test]
fn pixel_shuffle_places_channels() {
    let x = Tensor::from_data(Data::F64((0..32).map(f64::from).collect()), &[1, 8, 2, 2])
        .expect("data");
    let y = nm::pixel_shuffle(&x, 2, false).expect("shuffle");
    assert_eq!(y.shape(), vec![1, 2, 4, 4]);
    let (xv, yv) = (x.to_f64_vec(), y.to_f64_vec());
    for c in 0..2 {
        for i in 0..2 {
            for j in 0..2 {
                for h in 0..2 {
                    for w in 0..2 {
                        let src = ((c * 4 + i * 2 + j) * 2 + h) * 2 + w;
                        let dst = (c * 4 + h * 2 + i) * 4 + w * 2 + j;
                        assert_eq!(yv[dst], xv[src]);
                    }
                }
            }
        }
    }
    assert_eq!(
        nm::pixel_shuffle(&y, 2, true)
            .expect("unshuffle")
            .to_f64_vec(),
        xv
    );
}
