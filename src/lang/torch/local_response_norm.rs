//! `nn.LocalResponseNorm` and `F.local_response_norm`: `torch.nn.functional`'s composite op
//! for op (square, zero-pad the channels, average `size` neighbouring channels, `mul(alpha)
//! .add(k).pow(beta)`, divide the input by it). For inputs past 3-d PyTorch averages with a
//! `(size, 1, 1)` 3-d pool over `(N, 1, C, H, W...)`; here the trailing dims are flattened into
//! one and a `(size, 1)` 2-d pool is used: each window is the same `size` channel values summed
//! in channel order and divided by `size`, so the values are the same.

use std::any::Any;

use super::class;
use super::convert::{as_tensor, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::nn::constant_pad;
use crate::tensor::pool::{PoolSpec, avg_pool2d};
use crate::tensor::{Scalar, Tensor};

type R<T> = Result<T, Exception>;

#[derive(Clone, Copy)]
struct Lrn {
    size: i64,
    alpha: f64,
    beta: f64,
    k: f64,
}

fn lrn(x: &Tensor, o: Lrn) -> R<Tensor> {
    let dim = x.dim();
    if dim < 3 {
        return Err(Exception::value_error(format!(
            "Expected 3D or higher dimensionality{}input (got {dim} dimensions)",
            " ".repeat(26)
        )));
    }
    if x.numel() == 0 {
        return Ok(x.clone());
    }
    let size = usize::try_from(o.size)
        .ok()
        .filter(|&s| s > 0)
        .ok_or_else(|| {
            Exception::runtime_error(format!("non-positive kernel size: kernel_size={}", o.size))
        })?;
    let shape = x.shape();
    let rest: usize = shape[2..].iter().product();
    let spec = PoolSpec {
        kernel: [size, 1],
        stride: [1, 1],
        padding: [0, 0],
        dilation: [1, 1],
        ceil_mode: false,
    };
    let pads = [0, 0, o.size / 2, (o.size - 1) / 2];
    let div = x
        .mul(x)
        .and_then(|d| d.reshape(&[shape[0] as isize, 1, shape[1] as isize, rest as isize]))
        .and_then(|d| constant_pad(&d, &pads, 0.0))
        .and_then(|d| avg_pool2d(&d, &spec, true, None))
        .and_then(|d| d.squeeze(Some(1)))
        .and_then(|d| {
            let s: Vec<isize> = shape.iter().map(|&n| n as isize).collect();
            d.reshape(&s)
        })
        .and_then(|d| d.mul_scalar(Scalar::Float(o.alpha)))
        .and_then(|d| d.add_scalar(Scalar::Float(o.k)))
        .and_then(|d| d.pow_scalar(Scalar::Float(o.beta)))
        .map_err(exc)?;
    x.div(&div).map_err(exc)
}

/// The arguments after `input`/`size`, with PyTorch's defaults.
fn options(args: &[Option<Value>; 3], size: Option<&Value>, what: &str) -> R<Lrn> {
    let size = size
        .ok_or_else(|| Exception::type_error(format!("{what} missing required argument 'size'")))?
        .expect_int("size")?;
    Ok(Lrn {
        size,
        alpha: f64_arg(args[0].as_ref(), 1e-4, "alpha")?,
        beta: f64_arg(args[1].as_ref(), 0.75, "beta")?,
        k: f64_arg(args[2].as_ref(), 1.0, "k")?,
    })
}

struct LocalResponseNorm(Lrn);

impl ExtLayer for LocalResponseNorm {
    fn name(&self) -> &str {
        "LocalResponseNorm"
    }
    fn repr(&self) -> String {
        let o = self.0;
        format!(
            "LocalResponseNorm({}, alpha={}, beta={}, k={})",
            o.size,
            float_repr(o.alpha),
            float_repr(o.beta),
            float_repr(o.k)
        )
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = x
            .as_ref()
            .and_then(as_tensor)
            .cloned()
            .ok_or_else(|| Exception::type_error("input must be a Tensor"))?;
        Ok(tv(lrn(&x, self.0)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let o = self.0;
        Some(match name {
            "size" => Value::Int(o.size),
            "alpha" => Value::Float(o.alpha),
            "beta" => Value::Float(o.beta),
            "k" => Value::Float(o.k),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(LocalResponseNorm(self.0)))
    }
}

/// Adds `nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0)`.
pub fn register(m: &Module) {
    m.set(
        "LocalResponseNorm",
        class("LocalResponseNorm", "torch.nn", |_, args| {
            let [size, alpha, beta, k] = args.bind(&["size", "alpha=", "beta=", "k="])?;
            let o = options(
                &[alpha, beta, k],
                size.as_ref(),
                "LocalResponseNorm.__init__()",
            )?;
            Ok(ext_module(LocalResponseNorm(o)))
        }),
    );
}

/// Adds `F.local_response_norm`.
pub fn add_functional(m: &Module) {
    m.set(
        "local_response_norm",
        Value::builtin("local_response_norm", |_, args| {
            let [x, size, alpha, beta, k] =
                args.bind(&["input", "size", "alpha=", "beta=", "k="])?;
            let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                Exception::type_error("local_response_norm(): argument 'input' must be Tensor")
            })?;
            let o = options(&[alpha, beta, k], size.as_ref(), "local_response_norm()")?;
            Ok(tv(lrn(&x, o)?))
        }),
    );
}
