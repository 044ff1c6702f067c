//! `nn.RMSNorm` and `F.rms_norm`: PyTorch's composite on the CPU,
//! `x * rsqrt(mean(x², last dims) + eps) * weight` (`eps` defaults to the dtype's machine
//! epsilon), op for op, so values and `grad_fn`s (MulBackward0 over RsqrtBackward0, ...) match.

use std::any::Any;
use std::cell::RefCell;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Scalar, Tensor};

type R<T> = Result<T, Exception>;

struct RmsNorm {
    shape: Vec<usize>,
    eps: Option<f64>,
    weight: RefCell<Option<Tensor>>,
}

impl ExtLayer for RmsNorm {
    fn name(&self) -> &str {
        "RMSNorm"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        self.weight
            .borrow()
            .clone()
            .map(|w| ("weight".to_string(), w))
            .into_iter()
            .collect()
    }
    fn repr(&self) -> String {
        let dims: Vec<String> = self.shape.iter().map(|d| d.to_string()).collect();
        let shape = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        let eps = self
            .eps
            .map_or("None".to_string(), crate::lang::format::float_repr);
        let affine = if self.weight.borrow().is_some() {
            "True"
        } else {
            "False"
        };
        format!("RMSNorm({shape}, eps={eps}, elementwise_affine={affine})")
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor(x.as_ref(), "input")?;
        let w = self.weight.borrow().clone();
        Ok(tv(rms_norm(&x, &self.shape, w.as_ref(), self.eps)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "weight" => self.weight.borrow().clone().map_or(Value::None, tv),
            "eps" => self.eps.map_or(Value::None, Value::Float),
            "normalized_shape" => {
                Value::tuple(self.shape.iter().map(|&d| Value::Int(d as i64)).collect())
            }
            "elementwise_affine" => Value::Bool(self.weight.borrow().is_some()),
            _ => return None,
        })
    }
    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        if name != "weight" {
            return Ok(false);
        }
        *self.weight.borrow_mut() = if value.is_none() {
            None
        } else {
            Some(as_tensor(value).cloned().ok_or_else(|| {
                Exception::type_error(
                    "cannot assign a non-Tensor as parameter 'weight' (torch.nn.Parameter or None expected)",
                )
            })?)
        };
        Ok(true)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        let weight = match &*self.weight.borrow() {
            Some(w) => Some(c.tensor(w)?),
            None => None,
        };
        Some(Box::new(RmsNorm {
            shape: self.shape.clone(),
            eps: self.eps,
            weight: RefCell::new(weight),
        }))
    }
}

fn tensor(v: Option<&Value>, what: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!("rms_norm(): argument '{what}' must be Tensor"))
    })
}

/// `normalized_shape` as an int or a sequence of ints.
fn shape_arg(interp: &mut Interpreter, v: Option<&Value>) -> R<Vec<usize>> {
    let dims = match v {
        Some(Value::Int(n)) => vec![*n],
        Some(v) => interp
            .iterate(v)?
            .iter()
            .map(|d| d.expect_int("normalized_shape"))
            .collect::<R<Vec<i64>>>()?,
        None => {
            return Err(Exception::type_error(
                "RMSNorm() missing required argument 'normalized_shape'",
            ));
        }
    };
    dims.into_iter()
        .map(|d| {
            usize::try_from(d).map_err(|_| {
                Exception::runtime_error(format!(
                    "Trying to create tensor with negative dimension {d}"
                ))
            })
        })
        .collect()
}

/// The composite: ATen's `rms_norm` for float32/float64 inputs (no upcast needed there).
fn rms_norm(x: &Tensor, shape: &[usize], weight: Option<&Tensor>, eps: Option<f64>) -> R<Tensor> {
    let xs = x.shape();
    if shape.is_empty() || xs.len() < shape.len() || xs[xs.len() - shape.len()..] != *shape {
        let list = |s: &[usize]| {
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Exception::runtime_error(format!(
            "Given normalized_shape=[{}], expected input with shape [*{}], but got input of size[{}]",
            list(shape),
            list(shape),
            list(&xs)
        )));
    }
    let eps = eps.unwrap_or(if x.dtype() == DType::Float64 {
        f64::EPSILON
    } else {
        f64::from(f32::EPSILON)
    });
    let dims: Vec<isize> = (xs.len() - shape.len()..xs.len())
        .map(|d| d as isize)
        .collect();
    let out = x
        .pow_scalar(Scalar::Int(2))
        .and_then(|p| p.mean(Some(&dims), true))
        .and_then(|m| m.add_scalar(Scalar::Float(eps)))
        .and_then(|m| m.rsqrt())
        .and_then(|r| x.mul(&r))
        .map_err(exc)?;
    match weight {
        Some(w) => out.mul(w).map_err(exc),
        None => Ok(out),
    }
}

/// Adds `nn.RMSNorm` to `torch.nn`.
pub fn register(m: &Module) {
    m.set(
        "RMSNorm",
        class("RMSNorm", "torch.nn", |interp, args| {
            let [shape, eps, affine, _device, _dtype] = args.bind(&[
                "normalized_shape",
                "eps=",
                "elementwise_affine=",
                "device=",
                "dtype=",
            ])?;
            let shape = shape_arg(interp, shape.as_ref())?;
            let eps = match eps {
                None | Some(Value::None) => None,
                Some(v) => Some(v.expect_f64("eps")?),
            };
            let weight = bool_arg(affine.as_ref(), true)
                .then(|| Tensor::parameter(&Tensor::ones(&shape, super::default_dtype())));
            Ok(ext_module(RmsNorm {
                shape,
                eps,
                weight: RefCell::new(weight),
            }))
        }),
    );
}

/// Adds `F.rms_norm`.
pub fn add_functional(m: &Module) {
    m.set(
        "rms_norm",
        Value::builtin("rms_norm", |interp, args| {
            let [x, shape, weight, eps] =
                args.bind(&["input", "normalized_shape", "weight=", "eps="])?;
            let x = tensor(x.as_ref(), "input")?;
            let shape = shape_arg(interp, shape.as_ref())?;
            let weight = match weight {
                None | Some(Value::None) => None,
                v => Some(tensor(v.as_ref(), "weight")?),
            };
            let eps = match eps {
                None | Some(Value::None) => None,
                Some(v) => Some(v.expect_f64("eps")?),
            };
            Ok(tv(rms_norm(&x, &shape, weight.as_ref(), eps)?))
        }),
    );
}
