//! `F.interpolate` and `nn.Upsample` (nearest, linear, bilinear) as Python objects: argument
//! checks, output sizes from `size` or `scale_factor`, and PyTorch's repr.

use std::any::Any;

use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::class;
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::interpolate::{interpolate, InterpMode};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// An int or float argument given once or per spatial dim.
fn per_dim(v: &Value, n: usize) -> R<Vec<Value>> {
    let items = match v {
        Value::Tuple(t) => t.to_vec(),
        Value::List(l) => l.borrow().clone(),
        v => return Ok(vec![v.clone(); n]),
    };
    if items.len() != n {
        return Err(Exception::value_error(format!(
            "Input and output must have the same number of spatial dimensions, but got input with spatial dimensions of {n} and output size of {}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.",
            v.repr()
        )));
    }
    Ok(items)
}

#[derive(Clone)]
struct Config {
    size: Option<Value>,
    scale_factor: Option<Value>,
    mode: String,
    align_corners: Option<bool>,
    recompute: bool,
}

fn run(x: &Tensor, c: &Config) -> R<Tensor> {
    let nd = x.dim().saturating_sub(2);
    let linear = matches!(c.mode.as_str(), "linear" | "bilinear");
    if c.align_corners.is_some() && !linear {
        return Err(Exception::value_error(
            "align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear",
        ));
    }
    let mode = match c.mode.as_str() {
        "nearest" => InterpMode::Nearest,
        "linear" | "bilinear" => InterpMode::Linear { align_corners: c.align_corners.unwrap_or(false) },
        m => return Err(Exception::unsupported(format!("F.interpolate with mode='{m}'"))),
    };
    let want = match c.mode.as_str() {
        "linear" => Some(1),
        "bilinear" => Some(2),
        _ => None,
    };
    if nd == 0 || nd > 2 || want.is_some_and(|w| w != nd) {
        let need = match c.mode.as_str() {
            "linear" => "3D",
            "bilinear" => "4D",
            _ => "3D or 4D",
        };
        return Err(Exception::new(
            "NotImplementedError",
            format!("Got {}D input, but {} mode needs {need} input", x.dim(), c.mode),
        ));
    }
    let shape = x.shape();
    let (sizes, scales) = match (&c.size, &c.scale_factor) {
        (Some(_), Some(_)) => return Err(Exception::value_error("only one of size or scale_factor should be defined")),
        (None, None) => return Err(Exception::value_error("either size or scale_factor should be defined")),
        (Some(s), None) => {
            let s = per_dim(s, nd)?.iter().map(|v| v.expect_int("size").map(|i| i.max(0) as usize)).collect::<R<Vec<_>>>()?;
            (s, vec![None; nd])
        }
        (None, Some(f)) => {
            let f = per_dim(f, nd)?.iter().map(|v| v.expect_f64("scale_factor")).collect::<R<Vec<_>>>()?;
            let sizes = f.iter().enumerate().map(|(i, s)| (shape[i + 2] as f64 * s).floor().max(0.0) as usize).collect();
            let scales = if c.recompute { vec![None; nd] } else { f.into_iter().map(Some).collect() };
            (sizes, scales)
        }
    };
    interpolate(x, &sizes, &scales, mode).map_err(exc)
}

fn config(size: Option<Value>, scale: Option<Value>, mode: Option<Value>, align: Option<Value>, recompute: Option<Value>) -> Config {
    let some = |v: Option<Value>| v.filter(|v| !v.is_none());
    Config {
        size: some(size),
        scale_factor: some(scale),
        mode: some(mode).map_or("nearest".to_string(), |m| m.to_str()),
        align_corners: some(align).map(|a| bool_arg(Some(&a), false)),
        recompute: bool_arg(recompute.as_ref(), false),
    }
}

/// `nn.Upsample(size, scale_factor, mode, align_corners)`, and its fixed-mode subclasses
/// `UpsamplingNearest2d` and `UpsamplingBilinear2d` (`align_corners=True`), by class name.
struct Upsample(Config, &'static str);

impl ExtLayer for Upsample {
    fn name(&self) -> &str {
        self.1
    }
    /// Upsample.extra_repr: the scale factor as floats, else the size as given, then the mode.
    fn repr(&self) -> String {
        let info = match (&self.0.scale_factor, &self.0.size) {
            (Some(Value::Tuple(t)), _) => {
                let parts: Vec<String> = t.iter().map(|v| float_repr(v.expect_f64("scale_factor").unwrap_or(0.0))).collect();
                format!("scale_factor=({}{})", parts.join(", "), if parts.len() == 1 { "," } else { "" })
            }
            (Some(f), _) => format!("scale_factor={}", float_repr(f.expect_f64("scale_factor").unwrap_or(0.0))),
            (None, s) => format!("size={}", s.as_ref().map_or("None".to_string(), Value::repr)),
        };
        format!("{}({info}, mode='{}')", self.1, self.0.mode)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("input must be a Tensor"))?;
        Ok(tv(run(&x, &self.0)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "mode" => Value::str(&self.0.mode),
            "size" => self.0.size.clone().unwrap_or(Value::None),
            "scale_factor" => self.0.scale_factor.clone().map_or(Value::None, |f| f.expect_f64("scale_factor").map_or(f, Value::Float)),
            "align_corners" => self.0.align_corners.map_or(Value::None, Value::Bool),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Adds `nn.Upsample`.
pub fn register(m: &Module) {
    m.set("Upsample", class("Upsample", "torch.nn", |_, args| {
        let [size, scale, mode, align, recompute] = args.bind(&["size=", "scale_factor=", "mode=", "align_corners=", "recompute_scale_factor="])?;
        Ok(ext_module(Upsample(config(size, scale, mode, align, recompute), "Upsample")))
    }));
    for (name, mode, align) in [("UpsamplingNearest2d", "nearest", None), ("UpsamplingBilinear2d", "bilinear", Some(true))] {
        m.set(name, class(name, "torch.nn", move |_, args| {
            let [size, scale] = args.bind(&["size=", "scale_factor="])?;
            let cfg = config(size, scale, Some(Value::str(mode)), align.map(Value::Bool), None);
            Ok(ext_module(Upsample(cfg, name)))
        }));
    }
}

/// Adds `F.interpolate` and `F.upsample`.
pub fn add_functional(m: &Module) {
    for name in ["interpolate", "upsample"] {
        m.set(name, Value::builtin(name, |_, args| {
            let [x, size, scale, mode, align, recompute, _antialias] =
                args.bind(&["input", "size=", "scale_factor=", "mode=", "align_corners=", "recompute_scale_factor=", "antialias="])?;
            let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("input must be a Tensor"))?;
            Ok(tv(run(&x, &config(size, scale, mode, align, recompute))?))
        }));
    }
}
