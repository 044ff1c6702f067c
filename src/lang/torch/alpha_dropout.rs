//! `nn.AlphaDropout`/`nn.FeatureAlphaDropout` and `F.alpha_dropout`/`F.feature_alpha_dropout`
//! as ATen's `_dropout_impl` computes them: the keep mask `bernoulli_(1 - p)` (per element, or
//! per (N, C) feature map), `a = 1/sqrt((α²p + 1)(1 - p))`, `b = (mask - 1)·αa + αap`, and
//! `x * (mask·a) + b` (grad_fn AddBackward0); `p = 1` gives `x * 0`.

use std::any::Any;

use super::convert::tensor_arg;
use super::convert::{bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, class, generator_arg};
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{Scalar, Tensor};

/// SELU's α, the negative saturation value alpha dropout keeps.
const ALPHA: f64 = 1.7580993408473766;

fn alpha_dropout(x: &Tensor, p: f64, training: bool, feature: bool) -> R<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Exception::value_error(format!(
            "dropout probability has to be between 0 and 1, but got {}",
            float_repr(p)
        )));
    }
    if p == 0.0 || !training || x.numel() == 0 {
        return Ok(x.clone());
    }
    if feature && x.dim() < 2 {
        return Err(Exception::runtime_error(
            "Feature dropout requires at least 2 dimensions in the input",
        ));
    }
    if p == 1.0 {
        return x.mul(&Tensor::zeros(&[], x.dtype())).map_err(exc);
    }
    let mut shape = x.shape();
    if feature {
        shape[2..].iter_mut().for_each(|d| *d = 1);
    }
    let rng = generator_arg(&Args::new("alpha_dropout", Vec::new()))?;
    let noise =
        crate::tensor::keep_mask(&mut rng.borrow_mut(), &shape, x.dtype(), p).map_err(exc)?;
    let a = 1.0 / ((ALPHA * ALPHA * p + 1.0) * (1.0 - p)).sqrt();
    let b = noise
        .add_scalar(Scalar::Int(-1))
        .and_then(|t| t.mul_scalar(Scalar::Float(ALPHA * a)))
        .and_then(|t| t.add_scalar(Scalar::Float(ALPHA * a * p)))
        .map_err(exc)?;
    let noise = noise.mul_scalar(Scalar::Float(a)).map_err(exc)?;
    x.mul(&noise).and_then(|y| y.add(&b)).map_err(exc)
}

struct AlphaDropout {
    p: f64,
    inplace: bool,
    feature: bool,
}

impl ExtLayer for AlphaDropout {
    fn name(&self) -> &str {
        if self.feature {
            "FeatureAlphaDropout"
        } else {
            "AlphaDropout"
        }
    }
    fn repr(&self) -> String {
        format!(
            "{}(p={}, inplace={})",
            self.name(),
            float_repr(self.p),
            if self.inplace { "True" } else { "False" }
        )
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        Ok(tv(alpha_dropout(&x, self.p, training, self.feature)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "p" => Value::Float(self.p),
            "inplace" => Value::Bool(self.inplace),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(AlphaDropout {
            p: self.p,
            inplace: self.inplace,
            feature: self.feature,
        }))
    }
}

/// Adds `nn.AlphaDropout` and `nn.FeatureAlphaDropout(p=0.5, inplace=False)`.
pub fn register(m: &Module) {
    for (feature, name) in [(false, "AlphaDropout"), (true, "FeatureAlphaDropout")] {
        m.set(
            name,
            class(name, "torch.nn", move |_, args| {
                let [p, inplace] = args.bind(&["p=", "inplace="])?;
                let p = f64_arg(p.as_ref(), 0.5, "p")?;
                if !(0.0..=1.0).contains(&p) {
                    return Err(Exception::value_error(format!(
                        "dropout probability has to be between 0 and 1, but got {}",
                        float_repr(p)
                    )));
                }
                Ok(ext_module(AlphaDropout {
                    p,
                    inplace: bool_arg(inplace.as_ref(), false),
                    feature,
                }))
            }),
        );
    }
}

/// Adds `F.alpha_dropout` and `F.feature_alpha_dropout(input, p=0.5, training=False,
/// inplace=False)`.
pub fn add_functional(m: &Module) {
    for (feature, name) in [(false, "alpha_dropout"), (true, "feature_alpha_dropout")] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, p, training, _inplace] =
                    args.bind(&["input", "p=", "training=", "inplace="])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let p = f64_arg(p.as_ref(), 0.5, "p")?;
                Ok(tv(alpha_dropout(
                    &x,
                    p,
                    bool_arg(training.as_ref(), false),
                    feature,
                )?))
            }),
        );
    }
}
