//! `nn.LPPool1d/2d` and `F.lp_pool1d/2d`, composed as PyTorch's Python composes them:
//! `avg_pool(x.pow(p))`, then `(sign(out) * relu(abs(out))).mul(kernel elements).pow(1/p)`
//! (so the grad_fn is PowBackward0); an infinite `p` is the max pool of `|x|`.

use std::any::Any;

use super::convert::tensor_arg;
use super::conv::{avg_pool, max_pool, pool_spec, sizes, widen};
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{Scalar, Tensor};

fn tensor_of(v: Value) -> R<Tensor> {
    as_tensor(&v)
        .cloned()
        .ok_or_else(|| Exception::runtime_error("lp_pool: pooling gave no tensor"))
}

/// `F.lp_pool{nd}d(x, norm_type, kernel_size, stride=None, ceil_mode=False)`.
fn lp_pool(
    x: &Tensor,
    norm: &Value,
    kernel: Option<&Value>,
    stride: Option<&Value>,
    ceil: Option<&Value>,
    nd: usize,
) -> R<Tensor> {
    let p = f64_arg(Some(norm), 0.0, "norm_type")?;
    if p == 0.0 {
        return Err(Exception::value_error(format!(
            "norm_type must be a non-zero value, but got {}",
            norm.repr()
        )));
    }
    let zero = Value::Int(0);
    let spec = if nd == 2 {
        pool_spec(kernel, stride, Some(&zero), None, ceil)?
    } else {
        pool_spec(
            widen(kernel, 1).as_ref(),
            widen(stride, 1).as_ref(),
            widen(Some(&zero), 0).as_ref(),
            None,
            ceil,
        )?
    };
    if p.is_infinite() {
        let a = x.abs().map_err(exc)?;
        return if p > 0.0 {
            tensor_of(max_pool(&a, &spec, nd, false)?)
        } else {
            let m = tensor_of(max_pool(&a.neg().map_err(exc)?, &spec, nd, false)?)?;
            m.neg().map_err(exc)
        };
    }
    let exponent = match norm {
        Value::Int(i) => Scalar::Int(*i),
        _ => Scalar::Float(p),
    };
    let powered = x.pow_scalar(exponent).map_err(exc)?;
    let out = tensor_of(avg_pool(&powered, &spec, nd, true, None)?)?;
    let count: usize = sizes(kernel, nd, 1, "kernel_size")?.iter().product();
    let kept = out
        .sign()
        .and_then(|s| s.mul(&out.abs()?.relu()?))
        .map_err(exc)?;
    kept.mul_scalar(Scalar::Int(count as i64))
        .and_then(|t| t.pow_scalar(Scalar::Float(1.0 / p)))
        .map_err(exc)
}

struct LpPool {
    nd: usize,
    norm: Value,
    kernel: Value,
    stride: Value,
    ceil: bool,
}

impl ExtLayer for LpPool {
    fn name(&self) -> &str {
        if self.nd == 1 { "LPPool1d" } else { "LPPool2d" }
    }
    fn repr(&self) -> String {
        format!(
            "{}(norm_type={}, kernel_size={}, stride={}, ceil_mode={})",
            self.name(),
            self.norm.repr(),
            self.kernel.repr(),
            self.stride.repr(),
            if self.ceil { "True" } else { "False" }
        )
    }
    /// The module passes `float(norm_type)`.
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let norm = Value::Float(f64_arg(Some(&self.norm), 0.0, "norm_type")?);
        let ceil = Value::Bool(self.ceil);
        Ok(tv(lp_pool(
            &x,
            &norm,
            Some(&self.kernel),
            Some(&self.stride),
            Some(&ceil),
            self.nd,
        )?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "norm_type" => self.norm.clone(),
            "kernel_size" => self.kernel.clone(),
            "stride" => self.stride.clone(),
            "ceil_mode" => Value::Bool(self.ceil),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(LpPool {
            nd: self.nd,
            norm: self.norm.clone(),
            kernel: self.kernel.clone(),
            stride: self.stride.clone(),
            ceil: self.ceil,
        }))
    }
}

/// Adds `nn.LPPool1d` and `nn.LPPool2d(norm_type, kernel_size, stride=None, ceil_mode=False)`.
pub fn register(m: &Module) {
    for (nd, name) in [(1, "LPPool1d"), (2, "LPPool2d")] {
        m.set(
            name,
            class(name, "torch.nn", move |_, args| {
                let [norm, k, s, c] =
                    args.bind(&["norm_type", "kernel_size", "stride=", "ceil_mode="])?;
                let norm = norm.ok_or_else(|| {
                    Exception::type_error(format!(
                        "{name}.__init__() missing required argument 'norm_type'"
                    ))
                })?;
                let kernel = k.ok_or_else(|| {
                    Exception::type_error(format!(
                        "{name}.__init__() missing required argument 'kernel_size'"
                    ))
                })?;
                Ok(ext_module(LpPool {
                    nd,
                    norm,
                    kernel,
                    stride: s.unwrap_or(Value::None),
                    ceil: bool_arg(c.as_ref(), false),
                }))
            }),
        );
    }
}

/// Adds `F.lp_pool1d` and `F.lp_pool2d`.
pub fn add_functional(m: &Module) {
    for (nd, name) in [(1, "lp_pool1d"), (2, "lp_pool2d")] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, norm, k, s, c] =
                    args.bind(&["input", "norm_type", "kernel_size", "stride=", "ceil_mode="])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let norm = norm.ok_or_else(|| {
                    Exception::type_error(format!("{name}() missing required argument 'norm_type'"))
                })?;
                Ok(tv(lp_pool(
                    &x,
                    &norm,
                    k.as_ref(),
                    s.as_ref(),
                    c.as_ref(),
                    nd,
                )?))
            }),
        );
    }
}
