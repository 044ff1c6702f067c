//! `nn.FractionalMaxPool2d` and `F.fractional_max_pool2d` (`_with_indices`) over the engine's
//! `tensor::fractional_max`: the output size from `output_size` or `output_ratio`, and the
//! samples drawn as PyTorch's Python draws them (`torch.rand(N, C, 2)` in the input's dtype)
//! unless `_random_samples` is given.

use std::any::Any;

use super::convert::tensor_arg;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, class, generator_arg};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::fractional_max::fractional_max_pool2d;

/// `_pair`: an int or float stands for both dims.
fn pair(v: &Value) -> Vec<Value> {
    match v {
        Value::Tuple(t) => t.to_vec(),
        Value::List(l) => l.borrow().clone(),
        v => vec![v.clone(), v.clone()],
    }
}

fn ints(v: &Value, what: &str) -> R<[usize; 2]> {
    let items = pair(v);
    if items.len() != 2 {
        return Err(Exception::runtime_error(format!(
            "fractional_max_pool2d(): {what} must have two elements"
        )));
    }
    let one = |v: &Value| -> R<usize> {
        let i = v.expect_int(what)?;
        usize::try_from(i).map_err(|_| {
            Exception::runtime_error(format!(
                "fractional_max_pool2d(): {what} must be non-negative"
            ))
        })
    };
    Ok([one(&items[0])?, one(&items[1])?])
}

fn given(v: &Option<Value>) -> Option<&Value> {
    v.as_ref().filter(|v| !v.is_none())
}

/// The pooled values and indices, as `fractional_max_pool2d_with_indices` computes them.
fn pool(
    x: &Tensor,
    k: &Value,
    size: Option<&Value>,
    ratio: Option<&Value>,
    samples: Option<&Value>,
) -> R<(Tensor, Tensor)> {
    let k = ints(k, "kernel_size")?;
    let s = x.shape();
    let o = match (size, ratio) {
        (Some(v), _) => ints(v, "output_size")?,
        (None, Some(r)) => {
            let r = pair(r);
            if r.len() > 2 {
                return Err(Exception::value_error(
                    "fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints.",
                ));
            }
            let f = |i: usize| f64_arg(Some(&r[i]), 0.0, "output_ratio");
            let dim = |back: usize| s.len().checked_sub(back).map_or(0, |d| s[d]);
            [
                (dim(2) as f64 * f(0)?) as usize,
                (dim(1) as f64 * f(1)?) as usize,
            ]
        }
        (None, None) => {
            return Err(Exception::value_error(
                "fractional_max_pool2d requires specifying either an output_size or an output_ratio",
            ));
        }
    };
    let samples = match samples {
        Some(v) => as_tensor(v)
            .cloned()
            .ok_or_else(|| Exception::type_error("_random_samples must be a Tensor"))?,
        None => {
            if s.len() < 3 {
                return Err(Exception::new(
                    "IndexError",
                    format!(
                        "Dimension out of range (expected to be in range of [-{}, {}], but got -3)",
                        s.len().max(1),
                        s.len().max(1) - 1
                    ),
                ));
            }
            let n = if s.len() == 3 { 1 } else { s[0] };
            let rng = generator_arg(&Args::new("fractional_max_pool2d", Vec::new()))?;
            crate::tensor::rand(&mut rng.borrow_mut(), &[n, s[s.len() - 3], 2], x.dtype())
                .map_err(exc)?
        }
    };
    fractional_max_pool2d(x, k, o, &samples).map_err(exc)
}

fn values((y, i): (Tensor, Tensor), indices: bool) -> Value {
    if indices {
        Value::tuple(vec![tv(y), tv(i)])
    } else {
        tv(y)
    }
}

struct FractionalMaxPool2d {
    kernel: Value,
    size: Option<Value>,
    ratio: Option<Value>,
    indices: bool,
    samples: Option<Value>,
}

impl ExtLayer for FractionalMaxPool2d {
    fn name(&self) -> &str {
        "FractionalMaxPool2d"
    }
    fn repr(&self) -> String {
        "FractionalMaxPool2d()".to_string()
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        Ok(values(
            pool(
                &x,
                &self.kernel,
                self.size.as_ref(),
                self.ratio.as_ref(),
                self.samples.as_ref(),
            )?,
            self.indices,
        ))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let opt = |v: &Option<Value>| v.clone().unwrap_or(Value::None);
        Some(match name {
            "kernel_size" => self.kernel.clone(),
            "output_size" => opt(&self.size),
            "output_ratio" => opt(&self.ratio),
            "return_indices" => Value::Bool(self.indices),
            "_random_samples" => opt(&self.samples),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `_pair(v)` as a tuple value.
fn pair_value(v: &Value) -> Value {
    Value::tuple(pair(v))
}

/// Adds `nn.FractionalMaxPool2d(kernel_size, output_size=None, output_ratio=None,
/// return_indices=False, _random_samples=None)`.
pub fn register(m: &Module) {
    m.set("FractionalMaxPool2d", class("FractionalMaxPool2d", "torch.nn", |_, args| {
        let [k, size, ratio, ri, samples] = args.bind(&["kernel_size", "output_size=", "output_ratio=", "return_indices=", "_random_samples="])?;
        let k = k.ok_or_else(|| Exception::type_error("FractionalMaxPool2d.__init__() missing 1 required positional argument: 'kernel_size'"))?;
        let (size, ratio) = (given(&size).map(pair_value), given(&ratio).cloned());
        if size.is_none() && ratio.is_none() {
            return Err(Exception::value_error("FractionalMaxPool2d requires specifying either an output size, or a pooling ratio"));
        }
        if size.is_some() && ratio.is_some() {
            return Err(Exception::value_error("only one of output_size and output_ratio may be specified"));
        }
        if let Some(r) = &ratio {
            let p = pair(r);
            let ok = p.len() == 2 && p.iter().all(|v| f64_arg(Some(v), 0.0, "output_ratio").is_ok_and(|f| 0.0 < f && f < 1.0));
            if !ok {
                return Err(Exception::value_error(format!("output_ratio must be between 0 and 1 (got {})", r.repr())));
            }
        }
        Ok(ext_module(FractionalMaxPool2d {
            kernel: pair_value(&k),
            size,
            ratio: ratio.as_ref().map(pair_value),
            indices: bool_arg(ri.as_ref(), false),
            samples: given(&samples).cloned(),
        }))
    }));
}

/// Adds `F.fractional_max_pool2d` and `F.fractional_max_pool2d_with_indices`.
pub fn add_functional(m: &Module) {
    for (name, always) in [
        ("fractional_max_pool2d", false),
        ("fractional_max_pool2d_with_indices", true),
    ] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, k, size, ratio, ri, samples] = args.bind(&[
                    "input",
                    "kernel_size",
                    "output_size=",
                    "output_ratio=",
                    "return_indices=",
                    "_random_samples=",
                ])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let k = k.ok_or_else(|| {
                    Exception::type_error(format!(
                        "{name}() missing required argument 'kernel_size'"
                    ))
                })?;
                let out = pool(&x, &k, given(&size), given(&ratio), given(&samples))?;
                Ok(values(out, always || bool_arg(ri.as_ref(), false)))
            }),
        );
    }
}
