//! `nn.Bilinear` and `F.bilinear` over the engine's `tensor::bilinear` (ATen's `_trilinear`
//! sequence of products), with PyTorch's initialisation (`uniform(-1/sqrt(in1), 1/sqrt(in1))`
//! for the weight, then the bias) and repr.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::bilinear::bilinear;
use crate::tensor::{Generator, Tensor};

type R<T> = Result<T, Exception>;

struct Bilinear {
    in1: usize,
    in2: usize,
    out: usize,
    weight: RefCell<Tensor>,
    bias: RefCell<Option<Tensor>>,
}

impl ExtLayer for Bilinear {
    fn name(&self) -> &str {
        "Bilinear"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut v = vec![("weight".to_string(), self.weight.borrow().clone())];
        v.extend(self.bias.borrow().clone().map(|b| ("bias".to_string(), b)));
        v
    }
    fn repr(&self) -> String {
        format!(
            "Bilinear(in1_features={}, in2_features={}, out_features={}, bias={})",
            self.in1,
            self.in2,
            self.out,
            if self.bias.borrow().is_some() {
                "True"
            } else {
                "False"
            }
        )
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [a, b] = args.bind(&["input1", "input2"])?;
        let (a, b) = (tensor(a.as_ref(), "input1")?, tensor(b.as_ref(), "input2")?);
        let w = self.weight.borrow().clone();
        let bias = self.bias.borrow().clone();
        Ok(tv(bilinear(&a, &b, &w, bias.as_ref()).map_err(exc)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "weight" => tv(self.weight.borrow().clone()),
            "bias" => self.bias.borrow().clone().map_or(Value::None, tv),
            "in1_features" => Value::Int(self.in1 as i64),
            "in2_features" => Value::Int(self.in2 as i64),
            "out_features" => Value::Int(self.out as i64),
            _ => return None,
        })
    }
    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        let t = || {
            as_tensor(value).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "cannot assign a non-Tensor as parameter '{name}' (torch.nn.Parameter or None expected)"
                ))
            })
        };
        match name {
            "weight" => *self.weight.borrow_mut() = t()?,
            "bias" if value.is_none() => *self.bias.borrow_mut() = None,
            "bias" => *self.bias.borrow_mut() = Some(t()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        let bias = match &*self.bias.borrow() {
            Some(b) => Some(c.tensor(b)?),
            None => None,
        };
        Some(Box::new(Bilinear {
            in1: self.in1,
            in2: self.in2,
            out: self.out,
            weight: RefCell::new(c.tensor(&self.weight.borrow())?),
            bias: RefCell::new(bias),
        }))
    }
}

fn tensor(v: Option<&Value>, what: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!("bilinear(): argument '{what}' must be Tensor"))
    })
}

fn size(v: Option<Value>, what: &str) -> R<i64> {
    v.map_or(Ok(0), |v| v.expect_int(what))
}

/// Adds `nn.Bilinear` to `torch.nn`, drawing its parameters from `rng`.
pub fn register(m: &Module, rng: Rc<RefCell<Generator>>) {
    m.set(
        "Bilinear",
        class("Bilinear", "torch.nn", move |_, args| {
            let [i1, i2, o, bias, _device, _dtype] = args.bind(&[
                "in1_features",
                "in2_features",
                "out_features",
                "bias=",
                "device=",
                "dtype=",
            ])?;
            let (i1, i2, o) = (
                size(i1, "in1_features")?,
                size(i2, "in2_features")?,
                size(o, "out_features")?,
            );
            if i1 < 0 || i2 < 0 || o < 0 {
                return Err(Exception::runtime_error(format!(
                    "Trying to create tensor with negative dimension {}: [{o}, {i1}, {i2}]",
                    i1.min(i2).min(o)
                )));
            }
            if i1 == 0 {
                return Err(Exception::value_error(format!(
                    "in1_features must be > 0, but got (in1_features={i1})"
                )));
            }
            let shape = [o as usize, i1 as usize, i2 as usize];
            crate::tensor::check_size(&shape).map_err(exc)?;
            // torch.nn.init's bound in Python double arithmetic: 1 / math.sqrt(in1_features).
            let bound = 1.0 / (i1 as f64).sqrt();
            let mut g = rng.borrow_mut();
            let w = crate::tensor::uniform(&mut g, &shape, super::default_dtype(), -bound, bound)
                .map_err(exc)?;
            let b = if bool_arg(bias.as_ref(), true) {
                Some(Tensor::parameter(
                    &crate::tensor::uniform(&mut g, &[o as usize], super::default_dtype(), -bound, bound)
                        .map_err(exc)?,
                ))
            } else {
                None
            };
            Ok(ext_module(Bilinear {
                in1: i1 as usize,
                in2: i2 as usize,
                out: o as usize,
                weight: RefCell::new(Tensor::parameter(&w)),
                bias: RefCell::new(b),
            }))
        }),
    );
}

/// Adds `F.bilinear`.
pub fn add_functional(m: &Module) {
    m.set(
        "bilinear",
        Value::builtin("bilinear", |_, args| {
            let [a, b, w, bias] = args.bind(&["input1", "input2", "weight", "bias="])?;
            let (a, b, w) = (
                tensor(a.as_ref(), "input1")?,
                tensor(b.as_ref(), "input2")?,
                tensor(w.as_ref(), "weight")?,
            );
            let bias = match bias {
                None | Some(Value::None) => None,
                v => Some(tensor(v.as_ref(), "bias")?),
            };
            Ok(tv(bilinear(&a, &b, &w, bias.as_ref()).map_err(exc)?))
        }),
    );
}
