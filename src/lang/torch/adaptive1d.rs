//! `nn.AdaptiveAvgPool1d` and `F.adaptive_avg_pool1d`: as ATen computes them, the 2-d
//! adaptive average pool of the input with a unit height inserted (`unsqueeze(-2)`, output
//! `(1, L_out)`, then `squeeze(-2)`), so the values and the grad_fn chain are the 2-d pool's.

use super::class;
use super::convert::{as_tensor, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::pool::adaptive_avg_pool2d;

type R<T> = Result<T, Exception>;

/// `output_size`: an int or a one-element tuple/list.
fn output_size(v: Option<&Value>) -> R<usize> {
    let v = match v {
        None => {
            return Err(Exception::type_error(
                "adaptive_avg_pool1d() missing required argument 'output_size'",
            ));
        }
        Some(Value::Tuple(t)) if t.len() == 1 => t[0].clone(),
        Some(Value::List(l)) if l.borrow().len() == 1 => l.borrow()[0].clone(),
        Some(v) => v.clone(),
    };
    let i = v.expect_int("output_size")?;
    usize::try_from(i).map_err(|_| {
        Exception::runtime_error(
            "adaptive_avg_pool1d(): elements of output_size must be greater than or equal to 0",
        )
    })
}

fn pool1d(x: &Tensor, size: usize) -> R<Tensor> {
    let s = x.shape();
    if !(s.len() == 2 || s.len() == 3) {
        return Err(Exception::runtime_error(format!(
            "adaptive_avg_pool1d() argument 'input' should have 2 or 3 dimensions, but got {}",
            s.len()
        )));
    }
    let x2 = x.unsqueeze(-2).map_err(exc)?;
    adaptive_avg_pool2d(&x2, 1, size)
        .and_then(|y| y.squeeze(Some(-2)))
        .map_err(exc)
}

struct AdaptiveAvgPool1d {
    size: usize,
}

impl ExtLayer for AdaptiveAvgPool1d {
    fn name(&self) -> &str {
        "AdaptiveAvgPool1d"
    }
    fn repr(&self) -> String {
        format!("AdaptiveAvgPool1d(output_size={})", self.size)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = x
            .as_ref()
            .and_then(as_tensor)
            .cloned()
            .ok_or_else(|| Exception::type_error("input must be a Tensor"))?;
        Ok(tv(pool1d(&x, self.size)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        (name == "output_size").then(|| Value::Int(self.size as i64))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(AdaptiveAvgPool1d { size: self.size }))
    }
}

/// Adds `nn.AdaptiveAvgPool1d(output_size)` to `torch.nn`.
pub fn register(m: &Module) {
    m.set(
        "AdaptiveAvgPool1d",
        class("AdaptiveAvgPool1d", "torch.nn", |_, args| {
            let [size] = args.bind(&["output_size"])?;
            Ok(ext_module(AdaptiveAvgPool1d {
                size: output_size(size.as_ref())?,
            }))
        }),
    );
}

/// Adds `adaptive_avg_pool1d(input, output_size)` to `torch.nn.functional` (and `torch.`).
pub fn add_functional(m: &Module) {
    m.set(
        "adaptive_avg_pool1d",
        Value::builtin("adaptive_avg_pool1d", |_, args| {
            let [x, size] = args.bind(&["input", "output_size"])?;
            let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                Exception::type_error("adaptive_avg_pool1d(): argument 'input' must be Tensor")
            })?;
            Ok(tv(pool1d(&x, output_size(size.as_ref())?)?))
        }),
    );
}
