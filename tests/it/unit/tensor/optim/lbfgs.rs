//! Unit tests of `tensor::optim::lbfgs`.

use lessonrun::tensor::optim::lbfgs::*;
use lessonrun::tensor::optim::zero_grads;
use lessonrun::tensor::{DType, Result, Scalar, Tensor, TensorError, no_grad, with_grad_mode};

#[test]
fn tutport5_num_float_over_tensor_is_reciprocal_times_float() {
    let a = Arith { f32: true };
    // 3 / x as `x.reciprocal() * 3`, two float32 roundings; not always 3 / x rounded once.
    let mut differs = false;
    for k in 1..2000 {
        let x = 1.0 + k as f64 * 0.000_731;
        let x = x as f32 as f64;
        let got = a.div(Num::Py(3.0), Num::T(x)).value();
        assert_eq!(got, ((1.0f32 / x as f32) * 3.0f32) as f64);
        differs |= got != (3.0f32 / x as f32) as f64;
    }
    assert!(differs);
}

#[test]
fn tutport5_num_python_floats_stay_double() {
    let a = Arith { f32: true };
    assert_eq!(a.add(Num::Py(0.1), Num::Py(0.2)), Num::Py(0.1 + 0.2));
    assert_eq!(a.add(Num::Py(0.1), Num::T(0.5)), Num::T((0.1f32 + 0.5f32) as f64));
    // A comparison beside a float32 tensor rounds the Python float first.
    assert!(a.le(Num::T(1.0), Num::Py(1.0 - 1e-12)));
    assert!(!a.le(Num::Py(1.0), Num::Py(1.0 - 1e-12)));
}
