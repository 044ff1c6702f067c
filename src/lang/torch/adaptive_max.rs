//! `nn.AdaptiveMaxPool2d` and `F.adaptive_max_pool2d` (`return_indices=`), and
//! `F.adaptive_max_pool2d_with_indices`, over the engine's `tensor::adaptive_max`.

use super::class;
use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::adaptive_max::adaptive_max_pool2d;

type R<T> = Result<T, Exception>;

/// `output_size`: an int, or a sequence of ints or Nones (None keeps the input's size); its
/// length is checked against the input in [`pool`].
fn output_size(v: Option<&Value>) -> R<OutSize> {
    let one = |v: &Value| -> R<Option<usize>> {
        if v.is_none() {
            return Ok(None);
        }
        let i = v.expect_int("output_size")?;
        usize::try_from(i).map(Some).map_err(|_| {
            Exception::runtime_error(format!(
                "adaptive_max_pool2d(): Expected output_size to be positive, but got {i}"
            ))
        })
    };
    match v {
        None => Err(Exception::type_error(
            "adaptive_max_pool2d() missing required argument 'output_size'",
        )),
        Some(Value::Tuple(t)) => Ok(OutSize::Seq(t.iter().map(one).collect::<R<_>>()?)),
        Some(Value::List(l)) => Ok(OutSize::Seq(l.borrow().iter().map(one).collect::<R<_>>()?)),
        Some(v) => Ok(OutSize::Int(one(v)?)),
    }
}

/// `output_size` as given: an int stands for both sizes and is not checked against the
/// input's dims; a sequence is.
#[derive(Clone)]
enum OutSize {
    Int(Option<usize>),
    Seq(Vec<Option<usize>>),
}

/// The pooled tensor and its indices for `size`, a None taking the input's height or width
/// (PyTorch's `_list_with_default` reads them, and checks the length, before the kernel).
fn pool(x: &Tensor, size: &OutSize) -> R<(Tensor, Tensor)> {
    let s = x.shape();
    let size: Vec<Option<usize>> = match size {
        OutSize::Int(o) => vec![*o, *o],
        OutSize::Seq(size) if size.len() + 1 > s.len() => {
            return Err(Exception::value_error(format!(
                "Input dimension should be at least {}",
                size.len() + 1
            )));
        }
        OutSize::Seq(size) if size.len() != 2 => {
            return Err(Exception::runtime_error(
                "adaptive_max_pool2d(): internal error: output_size.size() must be 2",
            ));
        }
        OutSize::Seq(size) => size.clone(),
    };
    // Below two dims the kernel refuses the input; a None then stands for nothing.
    let dim = |k: usize| if s.len() >= 2 { s[s.len() - 2 + k] } else { 0 };
    let oh = size[0].unwrap_or_else(|| dim(0));
    let ow = size[1].unwrap_or_else(|| dim(1));
    adaptive_max_pool2d(x, oh, ow).map_err(exc)
}

fn input(v: Option<&Value>, what: &str) -> R<Tensor> {
    v.and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error(format!("{what}: argument 'input' must be Tensor")))
}

struct AdaptiveMaxPool2d {
    size: OutSize,
    text: String,
    return_indices: bool,
}

impl ExtLayer for AdaptiveMaxPool2d {
    fn name(&self) -> &str {
        "AdaptiveMaxPool2d"
    }
    fn repr(&self) -> String {
        format!("AdaptiveMaxPool2d(output_size={})", self.text)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = input(x.as_ref(), "adaptive_max_pool2d()")?;
        let (y, i) = pool(&x, &self.size)?;
        Ok(if self.return_indices {
            Value::tuple(vec![tv(y), tv(i)])
        } else {
            tv(y)
        })
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let one = |v: Option<usize>| v.map_or(Value::None, |v| Value::Int(v as i64));
        match name {
            "return_indices" => Some(Value::Bool(self.return_indices)),
            "output_size" => Some(match &self.size {
                OutSize::Int(v) => one(*v),
                OutSize::Seq(v) => Value::tuple(v.iter().map(|&v| one(v)).collect()),
            }),
            _ => None,
        }
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(AdaptiveMaxPool2d {
            size: self.size.clone(),
            text: self.text.clone(),
            return_indices: self.return_indices,
        }))
    }
}

/// Adds `nn.AdaptiveMaxPool2d(output_size, return_indices=False)` to `torch.nn`.
pub fn register(m: &Module) {
    m.set(
        "AdaptiveMaxPool2d",
        class("AdaptiveMaxPool2d", "torch.nn", |_, args| {
            let [size, ri] = args.bind(&["output_size", "return_indices="])?;
            let text = size
                .as_ref()
                .map_or_else(|| "None".to_string(), Value::repr);
            Ok(ext_module(AdaptiveMaxPool2d {
                size: output_size(size.as_ref())?,
                text,
                return_indices: bool_arg(ri.as_ref(), false),
            }))
        }),
    );
}

/// Adds `adaptive_max_pool2d(input, output_size, return_indices=False)` and
/// `adaptive_max_pool2d_with_indices` to `torch.nn.functional`.
pub fn add_functional(m: &Module) {
    m.set(
        "adaptive_max_pool2d",
        Value::builtin("adaptive_max_pool2d", |_, args| {
            let [x, size, ri] = args.bind(&["input", "output_size", "return_indices="])?;
            let (y, i) = pool(
                &input(x.as_ref(), "adaptive_max_pool2d()")?,
                &output_size(size.as_ref())?,
            )?;
            Ok(if bool_arg(ri.as_ref(), false) {
                Value::tuple(vec![tv(y), tv(i)])
            } else {
                tv(y)
            })
        }),
    );
    m.set(
        "adaptive_max_pool2d_with_indices",
        Value::builtin("adaptive_max_pool2d_with_indices", |_, args| {
            let [x, size, _ri] = args.bind(&["input", "output_size", "return_indices="])?;
            let (y, i) = pool(
                &input(x.as_ref(), "adaptive_max_pool2d_with_indices()")?,
                &output_size(size.as_ref())?,
            )?;
            Ok(Value::tuple(vec![tv(y), tv(i)]))
        }),
    );
}
