//! `nn.MaxUnpool1d/2d` and `F.max_unpool1d/2d` over the engine's `tensor::max_unpool`: the
//! output size as PyTorch's `_unpool_output_size` computes and checks it, and the 1-d form as
//! the 2-d one with a unit width appended (`unsqueeze(-1)`, then `squeeze(-1)`), as PyTorch
//! runs it.

use std::any::Any;

use super::convert::tensor_arg;
use super::conv::{sizes};
use super::convert::{PySize, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::max_unpool::max_unpool2d;

/// The unpooled size per spatial dim: `(in - 1) * stride + kernel - 2 * padding`, or the
/// `output_size` given (its trailing dims when it has two more), checked to lie strictly
/// within one stride of that.
fn out_size(
    x: &Tensor,
    k: &[usize],
    s: &[usize],
    p: &[usize],
    given: Option<&Value>,
) -> R<Vec<usize>> {
    let nd = k.len();
    let shape = x.shape();
    if shape.len() < nd {
        return Err(Exception::new(
            "IndexError",
            format!("tuple index out of range (input of {} dims)", shape.len()),
        ));
    }
    let default: Vec<i64> = (0..nd)
        .map(|d| {
            (shape[shape.len() - nd + d] as i64 - 1) * s[d] as i64 + k[d] as i64 - 2 * p[d] as i64
        })
        .collect();
    let Some(v) = given.filter(|v| !v.is_none()) else {
        return Ok(default.iter().map(|&d| d.max(0) as usize).collect());
    };
    let (items, list) = match v {
        Value::Tuple(t) => (t.to_vec(), false),
        Value::List(l) => (l.borrow().clone(), true),
        v if v.downcast::<PySize>().is_some() => {
            let dims = v
                .downcast::<PySize>()
                .map(|s| s.0.clone())
                .unwrap_or_default();
            (
                dims.into_iter().map(|d| Value::Int(d as i64)).collect(),
                false,
            )
        }
        v => {
            return Err(Exception::type_error(format!(
                "object of type '{}' has no len()",
                v.type_name()
            )));
        }
    };
    let items = if items.len() == nd + 2 {
        items[2..].to_vec()
    } else {
        items
    };
    if items.len() != nd {
        return Err(Exception::value_error(format!(
            "output_size should be a sequence containing {nd} or {} elements, but it has a length of '{}'",
            nd + 2,
            items.len()
        )));
    }
    let want: Vec<i64> = items
        .iter()
        .map(|v| v.expect_int("output_size"))
        .collect::<R<_>>()?;
    for d in 0..nd {
        let (lo, hi) = (default[d] - s[d] as i64, default[d] + s[d] as i64);
        if !(lo < want[d] && want[d] < hi) {
            let body = want
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let shown = if list {
                format!("[{body}]")
            } else if nd == 1 {
                format!("({body},)")
            } else {
                format!("({body})")
            };
            return Err(Exception::value_error(format!(
                "invalid output_size \"{shown}\" (dim {d} must be between {lo} and {hi})"
            )));
        }
    }
    Ok(want.iter().map(|&w| w as usize).collect())
}

fn unpool(
    x: &Tensor,
    idx: &Tensor,
    k: &[usize],
    s: &[usize],
    p: &[usize],
    given: Option<&Value>,
) -> R<Tensor> {
    let o = out_size(x, k, s, p, given)?;
    if k.len() == 2 {
        return max_unpool2d(x, idx, o[0], o[1]).map_err(exc);
    }
    let (x2, i2) = (
        x.unsqueeze(-1).map_err(exc)?,
        idx.unsqueeze(-1).map_err(exc)?,
    );
    max_unpool2d(&x2, &i2, o[0], 1)
        .and_then(|y| y.squeeze(Some(-1)))
        .map_err(exc)
}

/// Kernel, stride (the kernel when omitted) and padding of `nd` dims.
fn args3(k: &Option<Value>, s: &Option<Value>, p: &Option<Value>, nd: usize) -> R<[Vec<usize>; 3]> {
    let kernel = sizes(k.as_ref(), nd, 1, "kernel_size")?;
    let stride = match s.as_ref().filter(|v| !v.is_none()) {
        None => kernel.clone(),
        Some(v) => sizes(Some(v), nd, 1, "stride")?,
    };
    Ok([kernel, stride, sizes(p.as_ref(), nd, 0, "padding")?])
}

struct MaxUnpool {
    kernel: Vec<usize>,
    stride: Vec<usize>,
    padding: Vec<usize>,
}

fn tuple_text(v: &[usize]) -> String {
    match v {
        [a] => format!("({a},)"),
        _ => format!(
            "({})",
            v.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn tuple(v: &[usize]) -> Value {
    Value::tuple(v.iter().map(|&i| Value::Int(i as i64)).collect())
}

impl ExtLayer for MaxUnpool {
    fn name(&self) -> &str {
        if self.kernel.len() == 1 {
            "MaxUnpool1d"
        } else {
            "MaxUnpool2d"
        }
    }
    fn repr(&self) -> String {
        format!(
            "{}(kernel_size={}, stride={}, padding={})",
            self.name(),
            tuple_text(&self.kernel),
            tuple_text(&self.stride),
            tuple_text(&self.padding)
        )
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x, idx, o] = args.bind(&["input", "indices", "output_size="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let idx = tensor_arg(idx.as_ref(), "indices")?;
        Ok(tv(unpool(
            &x,
            &idx,
            &self.kernel,
            &self.stride,
            &self.padding,
            o.as_ref(),
        )?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "kernel_size" => tuple(&self.kernel),
            "stride" => tuple(&self.stride),
            "padding" => tuple(&self.padding),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(MaxUnpool {
            kernel: self.kernel.clone(),
            stride: self.stride.clone(),
            padding: self.padding.clone(),
        }))
    }
}

/// Adds `nn.MaxUnpool1d` and `nn.MaxUnpool2d(kernel_size, stride=None, padding=0)`.
pub fn register(m: &Module) {
    for (nd, name) in [(1, "MaxUnpool1d"), (2, "MaxUnpool2d")] {
        m.set(
            name,
            class(name, "torch.nn", move |_, args| {
                let [k, s, p] = args.bind(&["kernel_size", "stride=", "padding="])?;
                let [kernel, stride, padding] = args3(&k, &s, &p, nd)?;
                Ok(ext_module(MaxUnpool {
                    kernel,
                    stride,
                    padding,
                }))
            }),
        );
    }
}

/// Adds `F.max_unpool1d` and `F.max_unpool2d(input, indices, kernel_size, stride=None,
/// padding=0, output_size=None)`.
pub fn add_functional(m: &Module) {
    for (nd, name) in [(1, "max_unpool1d"), (2, "max_unpool2d")] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, idx, k, s, p, o] = args.bind(&[
                    "input",
                    "indices",
                    "kernel_size",
                    "stride=",
                    "padding=",
                    "output_size=",
                ])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let idx = tensor_arg(idx.as_ref(), "indices")?;
                let [kernel, stride, padding] = args3(&k, &s, &p, nd)?;
                Ok(tv(unpool(
                    &x,
                    &idx,
                    &kernel,
                    &stride,
                    &padding,
                    o.as_ref(),
                )?))
            }),
        );
    }
}
