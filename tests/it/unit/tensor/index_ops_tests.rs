//! Finite-difference gradient checks (float64) of the index writes (`index_add`, `index_copy`,
//! `index_fill`, `masked_scatter`, `scatter_reduce`), of the in-place shape operations and of
//! `erfinv`.

use crate::unit::tensor::{gradcheck, leaf64};
use lessonrun::tensor::{Data, FillValue, Reduce, Result, Scalar, ShapeOp, Tensor};

fn long(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_data(Data::I64(v.to_vec()), shape).expect("index")
}

fn boolean(v: &[bool], shape: &[usize]) -> Tensor {
    Tensor::from_data(Data::Bool(v.to_vec()), shape).expect("mask")
}

fn leaf(n: usize, shape: &[usize], seed: f64) -> Tensor {
    leaf64(
        &(0..n)
            .map(|i| ((i as f64 + 1.0) * 12.9898 + seed * 78.233).sin() * 1.7 + 0.05 * i as f64)
            .collect::<Vec<_>>(),
        shape,
    )
}

type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

#[test]
fn index_write_gradients_match_finite_differences() {
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        (
            "index_add alpha",
            vec![leaf(12, &[3, 4], 1.0), leaf(9, &[3, 3], 2.0)],
            Box::new(|x| {
                x[0].index_add_alpha(1, &long(&[3, 0, 3], &[3]), &x[1], Scalar::Float(-1.5))
            }),
        ),
        (
            "index_copy",
            vec![leaf(12, &[3, 4], 3.0), leaf(8, &[2, 4], 4.0)],
            Box::new(|x| x[0].index_copy(0, &long(&[2, 0], &[2]), &x[1])),
        ),
        (
            "index_fill tensor value",
            vec![leaf(12, &[3, 4], 5.0), leaf(1, &[], 6.0)],
            Box::new(|x| x[0].index_fill(1, &long(&[1, -1, 1], &[3]), FillValue::Tensor(&x[1]))),
        ),
        (
            "masked_scatter",
            vec![leaf(6, &[2, 3], 7.0), leaf(5, &[5], 8.0)],
            Box::new(|x| x[0].masked_scatter(&boolean(&[true, false, true], &[3]), &x[1])),
        ),
    ];
    for (name, inputs, f) in cases {
        gradcheck(name, &inputs, &*f);
    }
    let index = long(&[0, 1, 0, 1, 2, 1], &[6]);
    for r in [
        Reduce::Sum,
        Reduce::Mean,
        Reduce::Amax,
        Reduce::Amin,
        Reduce::Prod,
    ] {
        for include in [true, false] {
            let idx = index.clone();
            let f = move |x: &[Tensor]| x[0].scatter_reduce(0, &idx, &x[1], r, include);
            gradcheck(
                &format!("scatter_reduce {r:?} {include}"),
                &[leaf(4, &[4], 9.0), leaf(6, &[6], 10.0)],
                &f,
            );
        }
    }
    // A single zero in a product's group: its gradient is the product of the others.
    let src = leaf64(&[1.5, 0.0, -2.0, 0.7, 1.1, 0.9], &[6]);
    let idx = index.clone();
    gradcheck(
        "scatter_reduce prod zero",
        &[leaf(4, &[4], 11.0), src],
        &move |x| x[0].scatter_reduce(0, &idx, &x[1], Reduce::Prod, true),
    );
}

#[test]
fn inplace_shape_gradients_match_finite_differences() {
    type MakeOp = fn() -> ShapeOp;
    let ops: Vec<(&str, MakeOp)> = vec![
        ("t_", || ShapeOp::T),
        ("transpose_", || ShapeOp::Transpose(0, -1)),
        ("unsqueeze_", || ShapeOp::Unsqueeze(1)),
        ("squeeze_", || ShapeOp::Squeeze(None, false)),
    ];
    for (name, op) in ops {
        let f = move |x: &[Tensor]| -> Result<Tensor> {
            let y = x[0].mul_scalar(Scalar::Float(2.0))?;
            y.shape_inplace(op())?;
            y.mul(&y)
        };
        gradcheck(name, &[leaf(6, &[2, 3], 12.0)], &f);
    }
}

#[test]
fn erfinv_gradient_matches_finite_differences() {
    let x = leaf64(&[-0.95, -0.5, -0.1, 0.0, 0.3, 0.69, 0.71, 0.9], &[8]);
    gradcheck("erfinv", &[x], &|x| x[0].erfinv());
    // The double evaluation inverts erf to within an ulp or two.
    for &y in &[-0.999, -0.7, -0.2, 0.05, 0.5, 0.7, 0.95] {
        let e = lessonrun::tensor::erfinv::erfinv_f64(y);
        assert!(
            (lessonrun::tensor::erf_f64(e) - y).abs() < 4e-16,
            "erf(erfinv({y})) = {}",
            lessonrun::tensor::erf_f64(e)
        );
    }
}
