//! `nn.RReLU` and `F.rrelu` over the engine's `tensor::rrelu` (slopes drawn from the default
//! generator in training as ATen draws them), with PyTorch's repr.

use std::any::Any;

use super::convert::tensor_arg;
use super::convert::{bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, class, generator_arg};
use crate::lang::native::Args;
use crate::lang::{Interpreter, Module, Value};
use crate::tensor::Tensor;

const LOWER: f64 = 1.0 / 8.0;
const UPPER: f64 = 1.0 / 3.0;

fn run(x: &Tensor, lower: f64, upper: f64, training: bool) -> R<Value> {
    let rng = generator_arg(&Args::new("rrelu", Vec::new()))?;
    let y = crate::tensor::rrelu::rrelu(x, &mut rng.borrow_mut(), lower, upper, training)
        .map_err(exc)?;
    Ok(tv(y))
}

struct RRelu {
    lower: Value,
    upper: Value,
    inplace: bool,
}

impl ExtLayer for RRelu {
    fn name(&self) -> &str {
        "RReLU"
    }
    fn repr(&self) -> String {
        let inplace = if self.inplace { ", inplace=True" } else { "" };
        format!(
            "RReLU(lower={}, upper={}{inplace})",
            self.lower.repr(),
            self.upper.repr()
        )
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let (lo, hi) = (
            f64_arg(Some(&self.lower), LOWER, "lower")?,
            f64_arg(Some(&self.upper), UPPER, "upper")?,
        );
        run(&x, lo, hi, training)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "lower" => self.lower.clone(),
            "upper" => self.upper.clone(),
            "inplace" => Value::Bool(self.inplace),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(RRelu {
            lower: self.lower.clone(),
            upper: self.upper.clone(),
            inplace: self.inplace,
        }))
    }
}

/// Adds `nn.RReLU(lower=1/8, upper=1/3, inplace=False)`.
pub fn register(m: &Module) {
    m.set(
        "RReLU",
        class("RReLU", "torch.nn", |_, args| {
            let [lower, upper, inplace] = args.bind(&["lower=", "upper=", "inplace="])?;
            Ok(ext_module(RRelu {
                lower: lower.unwrap_or(Value::Float(LOWER)),
                upper: upper.unwrap_or(Value::Float(UPPER)),
                inplace: bool_arg(inplace.as_ref(), false),
            }))
        }),
    );
}

/// Adds `F.rrelu(input, lower=1/8, upper=1/3, training=False, inplace=False)`.
pub fn add_functional(m: &Module) {
    m.set(
        "rrelu",
        Value::builtin("rrelu", |_, args| {
            let [x, lower, upper, training, _inplace] =
                args.bind(&["input", "lower=", "upper=", "training=", "inplace="])?;
            let x = tensor_arg(x.as_ref(), "input")?;
            let (lo, hi) = (
                f64_arg(lower.as_ref(), LOWER, "lower")?,
                f64_arg(upper.as_ref(), UPPER, "upper")?,
            );
            run(&x, lo, hi, bool_arg(training.as_ref(), false))
        }),
    );
}
