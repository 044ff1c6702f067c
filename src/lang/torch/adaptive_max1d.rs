//! `nn.AdaptiveMaxPool1d` and `F.adaptive_max_pool1d` (`return_indices=`): as ATen computes
//! them, the 2-d adaptive max pool of the input with a unit height inserted (`unsqueeze(-2)`,
//! output `(1, L_out)`, then `squeeze(-2)` of the values and the indices), so values, indices
//! (positions along the length, as the height is one) and grad_fns are the 2-d pool's.

use std::any::Any;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::adaptive_max::adaptive_max_pool2d;

type R<T> = Result<T, Exception>;

/// `output_size`: an int or a one-element tuple/list (checked against the input in [`pool`]).
fn output_size(v: Option<&Value>) -> R<i64> {
    let v = match v {
        None => {
            return Err(Exception::type_error(
                "adaptive_max_pool1d() missing required argument 'output_size'",
            ));
        }
        Some(Value::Tuple(t)) if t.len() != 1 => return Err(one_int(t.len())),
        Some(Value::List(l)) if l.borrow().len() != 1 => return Err(one_int(l.borrow().len())),
        Some(Value::Tuple(t)) => t[0].clone(),
        Some(Value::List(l)) => l.borrow()[0].clone(),
        Some(v) => v.clone(),
    };
    v.expect_int("output_size")
}

fn one_int(n: usize) -> Exception {
    Exception::runtime_error(format!(
        "adaptive_max_pool1d() argument 'output_size' should contain one int (got {n})"
    ))
}

fn pool(x: &Tensor, size: i64) -> R<(Tensor, Tensor)> {
    let s = x.shape();
    if !(s.len() == 2 || s.len() == 3) {
        return Err(Exception::runtime_error(format!(
            "Expected 2 to 3 dimensions, but got {}-dimensional tensor for argument #1 'self' (while checking arguments for adaptive_max_pool1d)",
            s.len()
        )));
    }
    if let Some(d) = (1..s.len()).find(|&d| s[d] == 0) {
        return Err(Exception::runtime_error(format!(
            "adaptive_max_pool1d(): Expected input to have non-zero size for non-batch dimensions, but input has sizes {} with dimension {d} being empty",
            list(&s.iter().map(|&n| n as i64).collect::<Vec<_>>())
        )));
    }
    let size = usize::try_from(size).map_err(|_| {
        let mut shape: Vec<i64> = s[..s.len() - 1].iter().map(|&n| n as i64).collect();
        shape.extend([1, size]);
        Exception::runtime_error(format!(
            "Trying to create tensor with negative dimension {size}: {}",
            list(&shape)
        ))
    })?;
    let x2 = x.unsqueeze(-2).map_err(exc)?;
    let (y, i) = adaptive_max_pool2d(&x2, 1, size).map_err(exc)?;
    Ok((
        y.squeeze(Some(-2)).map_err(exc)?,
        i.squeeze(Some(-2)).map_err(exc)?,
    ))
}

fn list(v: &[i64]) -> String {
    let items: Vec<String> = v.iter().map(i64::to_string).collect();
    format!("[{}]", items.join(", "))
}

fn result((y, i): (Tensor, Tensor), indices: bool) -> Value {
    if indices {
        Value::tuple(vec![tv(y), tv(i)])
    } else {
        tv(y)
    }
}

struct AdaptiveMaxPool1d {
    size: i64,
    /// The repr's `output_size`, as given (`3` or `(3,)`).
    shown: String,
    indices: bool,
}

impl ExtLayer for AdaptiveMaxPool1d {
    fn name(&self) -> &str {
        "AdaptiveMaxPool1d"
    }
    fn repr(&self) -> String {
        format!("AdaptiveMaxPool1d(output_size={})", self.shown)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = x
            .as_ref()
            .and_then(as_tensor)
            .cloned()
            .ok_or_else(|| Exception::type_error("input must be a Tensor"))?;
        Ok(result(pool(&x, self.size)?, self.indices))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        match name {
            "output_size" => Some(Value::Int(self.size)),
            "return_indices" => Some(Value::Bool(self.indices)),
            _ => None,
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(AdaptiveMaxPool1d {
            size: self.size,
            shown: self.shown.clone(),
            indices: self.indices,
        }))
    }
}

/// Adds `nn.AdaptiveMaxPool1d(output_size, return_indices=False)`.
pub fn register(m: &Module) {
    m.set(
        "AdaptiveMaxPool1d",
        class("AdaptiveMaxPool1d", "torch.nn", |_, args| {
            let [size, indices] = args.bind(&["output_size", "return_indices="])?;
            let shown = size.as_ref().map_or_else(String::new, Value::repr);
            Ok(ext_module(AdaptiveMaxPool1d {
                size: output_size(size.as_ref())?,
                shown,
                indices: bool_arg(indices.as_ref(), false),
            }))
        }),
    );
}

/// Adds `F.adaptive_max_pool1d(input, output_size, return_indices=False)` and
/// `F.adaptive_max_pool1d_with_indices`.
pub fn add_functional(m: &Module) {
    for (name, always) in [
        ("adaptive_max_pool1d", false),
        ("adaptive_max_pool1d_with_indices", true),
    ] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, size, indices] = args.bind(&["input", "output_size", "return_indices="])?;
                let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                    Exception::type_error(format!("{name}(): argument 'input' must be Tensor"))
                })?;
                let out = pool(&x, output_size(size.as_ref())?)?;
                Ok(result(out, always || bool_arg(indices.as_ref(), false)))
            }),
        );
    }
}
