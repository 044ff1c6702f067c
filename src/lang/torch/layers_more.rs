//! `nn.PReLU`, `nn.PixelShuffle`/`PixelUnshuffle`, `nn.GroupNorm` and `nn.InstanceNorm1d/2d/3d`
//! as Python objects over `tensor::norms_more`, with PyTorch's reprs, and their `F.` forms.

use std::any::Any;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::norms_more as nm;
use crate::tensor::{Scalar, Tensor};

type R<T> = Result<T, Exception>;

fn tensor(v: Option<&Value>, what: &str) -> R<Tensor> {
    v.and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error(format!("{what} must be a Tensor")))
}

fn opt_tensor(v: Option<&Value>) -> Option<Tensor> {
    v.and_then(as_tensor).cloned()
}

fn int(v: Option<&Value>, default: i64, what: &str) -> R<i64> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => v.expect_int(what),
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

fn filled(n: usize, v: f64) -> Tensor {
    Tensor::parameter(&Tensor::full(&[n], Scalar::Float(v), super::default_dtype()))
}

enum Layer {
    PRelu {
        n: usize,
        weight: Tensor,
    },
    Shuffle {
        r: usize,
        down: bool,
    },
    GroupNorm {
        groups: usize,
        channels: usize,
        eps: f64,
        weight: Option<Tensor>,
        bias: Option<Tensor>,
    },
    InstanceNorm {
        nd: usize,
        features: usize,
        eps: f64,
        momentum: f64,
        weight: Option<Tensor>,
        bias: Option<Tensor>,
    },
}

impl ExtLayer for Layer {
    fn name(&self) -> &str {
        match self {
            Layer::PRelu { .. } => "PReLU",
            Layer::Shuffle { down: false, .. } => "PixelShuffle",
            Layer::Shuffle { down: true, .. } => "PixelUnshuffle",
            Layer::GroupNorm { .. } => "GroupNorm",
            Layer::InstanceNorm { nd: 1, .. } => "InstanceNorm1d",
            Layer::InstanceNorm { nd: 2, .. } => "InstanceNorm2d",
            Layer::InstanceNorm { .. } => "InstanceNorm3d",
        }
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        match self {
            Layer::PRelu { weight, .. } => vec![("weight".into(), weight.clone())],
            Layer::GroupNorm { weight, bias, .. } | Layer::InstanceNorm { weight, bias, .. } => {
                let mut v = Vec::new();
                v.extend(weight.clone().map(|w| ("weight".to_string(), w)));
                v.extend(bias.clone().map(|b| ("bias".to_string(), b)));
                v
            }
            Layer::Shuffle { .. } => Vec::new(),
        }
    }
    fn repr(&self) -> String {
        let name = self.name();
        match self {
            Layer::PRelu { n, .. } => format!("{name}(num_parameters={n})"),
            Layer::Shuffle { r, down: false } => format!("{name}(upscale_factor={r})"),
            Layer::Shuffle { r, down: true } => format!("{name}(downscale_factor={r})"),
            Layer::GroupNorm {
                groups,
                channels,
                eps,
                weight,
                bias,
            } => {
                format!(
                    "{name}({groups}, {channels}, eps={}, affine={}, bias={})",
                    float_repr(*eps),
                    py_bool(weight.is_some()),
                    py_bool(bias.is_some())
                )
            }
            Layer::InstanceNorm {
                features,
                eps,
                momentum,
                weight,
                bias,
                ..
            } => format!(
                "{name}({features}, eps={}, momentum={}, affine={}, bias={}, track_running_stats=False)",
                float_repr(*eps),
                float_repr(*momentum),
                py_bool(weight.is_some()),
                py_bool(bias.is_some())
            ),
        }
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor(x.as_ref(), "input")?;
        let out = match self {
            Layer::PRelu { weight, .. } => nm::prelu(&x, weight),
            Layer::Shuffle { r, down } => nm::pixel_shuffle(&x, *r, *down),
            Layer::GroupNorm {
                groups,
                eps,
                weight,
                bias,
                ..
            } => nm::group_norm(&x, *groups, weight.as_ref(), bias.as_ref(), *eps),
            Layer::InstanceNorm {
                nd,
                eps,
                momentum,
                weight,
                bias,
                ..
            } => {
                let d = x.dim();
                if d != nd + 1 && d != nd + 2 {
                    return Err(Exception::value_error(format!(
                        "expected {}D or {}D input (got {d}D input)",
                        nd + 1,
                        nd + 2
                    )));
                }
                if d == nd + 1 {
                    let x1 = x.unsqueeze(0).map_err(exc)?;
                    nm::instance_norm(
                        &x1,
                        None,
                        None,
                        weight.as_ref(),
                        bias.as_ref(),
                        true,
                        *momentum,
                        *eps,
                    )
                    .and_then(|y| y.squeeze(Some(0)))
                } else {
                    nm::instance_norm(
                        &x,
                        None,
                        None,
                        weight.as_ref(),
                        bias.as_ref(),
                        true,
                        *momentum,
                        *eps,
                    )
                }
            }
        };
        Ok(tv(out.map_err(exc)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match (self, name) {
            (Layer::PRelu { weight, .. }, "weight") => tv(weight.clone()),
            (Layer::PRelu { n, .. }, "num_parameters") => Value::Int(*n as i64),
            (Layer::Shuffle { r, down: false }, "upscale_factor") => Value::Int(*r as i64),
            (Layer::Shuffle { r, down: true }, "downscale_factor") => Value::Int(*r as i64),
            (Layer::GroupNorm { groups, .. }, "num_groups") => Value::Int(*groups as i64),
            (Layer::GroupNorm { channels, .. }, "num_channels") => Value::Int(*channels as i64),
            (Layer::InstanceNorm { features, .. }, "num_features") => Value::Int(*features as i64),
            (Layer::InstanceNorm { momentum, .. }, "momentum") => Value::Float(*momentum),
            (Layer::GroupNorm { eps, .. } | Layer::InstanceNorm { eps, .. }, "eps") => {
                Value::Float(*eps)
            }
            (Layer::GroupNorm { weight, .. } | Layer::InstanceNorm { weight, .. }, "affine") => {
                Value::Bool(weight.is_some())
            }
            (Layer::GroupNorm { weight, .. } | Layer::InstanceNorm { weight, .. }, "weight") => {
                weight.clone().map_or(Value::None, tv)
            }
            (Layer::GroupNorm { bias, .. } | Layer::InstanceNorm { bias, .. }, "bias") => {
                bias.clone().map_or(Value::None, tv)
            }
            (Layer::InstanceNorm { .. }, "track_running_stats") => Value::Bool(false),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        let mut opt = |t: &Option<Tensor>| match t {
            Some(t) => c.tensor(t).map(Some),
            None => Some(None),
        };
        Some(Box::new(match self {
            Layer::PRelu { n, weight } => Layer::PRelu {
                n: *n,
                weight: opt(&Some(weight.clone()))??,
            },
            Layer::Shuffle { r, down } => Layer::Shuffle { r: *r, down: *down },
            Layer::GroupNorm {
                groups,
                channels,
                eps,
                weight,
                bias,
            } => Layer::GroupNorm {
                groups: *groups,
                channels: *channels,
                eps: *eps,
                weight: opt(weight)?,
                bias: opt(bias)?,
            },
            Layer::InstanceNorm {
                nd,
                features,
                eps,
                momentum,
                weight,
                bias,
            } => Layer::InstanceNorm {
                nd: *nd,
                features: *features,
                eps: *eps,
                momentum: *momentum,
                weight: opt(weight)?,
                bias: opt(bias)?,
            },
        }))
    }
}

fn positive(v: i64, what: &str) -> R<usize> {
    usize::try_from(v).map_err(|_| {
        Exception::runtime_error(format!(
            "Trying to create tensor with negative dimension {v}: [{v}] ({what})"
        ))
    })
}

/// Adds the modules to `torch.nn`.
pub fn register(m: &Module) {
    m.set(
        "PReLU",
        class("PReLU", "torch.nn", |_, args| {
            let [n, init, _device, _dtype] =
                args.bind(&["num_parameters=", "init=", "device=", "dtype="])?;
            let n = positive(int(n.as_ref(), 1, "num_parameters")?, "num_parameters")?;
            let init = f64_arg(init.as_ref(), 0.25, "init")?;
            Ok(ext_module(Layer::PRelu {
                n,
                weight: filled(n, init),
            }))
        }),
    );
    for (name, down) in [("PixelShuffle", false), ("PixelUnshuffle", true)] {
        m.set(
            name,
            class(name, "torch.nn", move |_, args| {
                let [r] = args.bind(&[if down {
                    "downscale_factor"
                } else {
                    "upscale_factor"
                }])?;
                let r = positive(int(r.as_ref(), 1, "factor")?, "factor")?;
                Ok(ext_module(Layer::Shuffle { r, down }))
            }),
        );
    }
    m.set(
        "GroupNorm",
        class("GroupNorm", "torch.nn", |_, args| {
            let [g, c, eps, affine, _device, _dtype, bias] = args.bind(&[
                "num_groups",
                "num_channels",
                "eps=",
                "affine=",
                "device=",
                "dtype=",
                "*",
                "bias=",
            ])?;
            let (g, c) = (
                int(g.as_ref(), 1, "num_groups")?,
                int(c.as_ref(), 1, "num_channels")?,
            );
            if g == 0 {
                return Err(Exception::new(
                    "ZeroDivisionError",
                    "integer modulo by zero",
                ));
            }
            if c.rem_euclid(g) != 0 {
                return Err(Exception::value_error(format!(
                    "num_channels ({c}) must be divisible by num_groups ({g})"
                )));
            }
            let c = positive(c, "num_channels")?;
            let affine = bool_arg(affine.as_ref(), true);
            Ok(ext_module(Layer::GroupNorm {
                groups: g as usize,
                channels: c,
                eps: f64_arg(eps.as_ref(), 1e-5, "eps")?,
                weight: affine.then(|| filled(c, 1.0)),
                bias: (affine && bool_arg(bias.as_ref(), true)).then(|| filled(c, 0.0)),
            }))
        }),
    );
    for (name, nd) in [("InstanceNorm1d", 1), ("InstanceNorm2d", 2), ("InstanceNorm3d", 3)] {
        m.set(
            name,
            class(name, "torch.nn", move |_, args| {
                let [f, eps, momentum, affine, track, _device, _dtype, bias] = args.bind(&[
                    "num_features",
                    "eps=",
                    "momentum=",
                    "affine=",
                    "track_running_stats=",
                    "device=",
                    "dtype=",
                    "*",
                    "bias=",
                ])?;
                let f = positive(int(f.as_ref(), 1, "num_features")?, "num_features")?;
                if bool_arg(track.as_ref(), false) {
                    return Err(Exception::unsupported(format!(
                        "{name}(track_running_stats=True)"
                    )));
                }
                let affine = bool_arg(affine.as_ref(), false);
                Ok(ext_module(Layer::InstanceNorm {
                    nd,
                    features: f,
                    eps: f64_arg(eps.as_ref(), 1e-5, "eps")?,
                    momentum: f64_arg(momentum.as_ref(), 0.1, "momentum")?,
                    weight: affine.then(|| filled(f, 1.0)),
                    bias: (affine && bool_arg(bias.as_ref(), true)).then(|| filled(f, 0.0)),
                }))
            }),
        );
    }
}

/// Adds `F.prelu`, `F.pixel_shuffle`, `F.pixel_unshuffle`, `F.group_norm`, `F.instance_norm`.
pub fn add_functional(m: &Module) {
    m.set(
        "prelu",
        Value::builtin("prelu", |_, args| {
            let [x, w] = args.bind(&["input", "weight"])?;
            Ok(tv(nm::prelu(
                &tensor(x.as_ref(), "input")?,
                &tensor(w.as_ref(), "weight")?,
            )
            .map_err(exc)?))
        }),
    );
    for (name, down) in [("pixel_shuffle", false), ("pixel_unshuffle", true)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, r] = args.bind(&[
                    "input",
                    if down {
                        "downscale_factor"
                    } else {
                        "upscale_factor"
                    },
                ])?;
                let r = int(r.as_ref(), 1, "factor")?;
                let r = usize::try_from(r).map_err(|_| {
                    Exception::runtime_error(format!(
                        "{name} expects a positive factor, but got {r}"
                    ))
                })?;
                Ok(tv(nm::pixel_shuffle(
                    &tensor(x.as_ref(), "input")?,
                    r,
                    down,
                )
                .map_err(exc)?))
            }),
        );
    }
    m.set(
        "group_norm",
        Value::builtin("group_norm", |_, args| {
            let [x, g, w, b, eps] =
                args.bind(&["input", "num_groups", "weight=", "bias=", "eps="])?;
            let g = int(g.as_ref(), 1, "num_groups")?.max(0) as usize;
            let (w, b) = (opt_tensor(w.as_ref()), opt_tensor(b.as_ref()));
            let eps = f64_arg(eps.as_ref(), 1e-5, "eps")?;
            Ok(tv(nm::group_norm(
                &tensor(x.as_ref(), "input")?,
                g,
                w.as_ref(),
                b.as_ref(),
                eps,
            )
            .map_err(exc)?))
        }),
    );
    m.set(
        "instance_norm",
        Value::builtin("instance_norm", |_, args| {
            let [x, rm, rv, w, b, use_stats, momentum, eps] = args.bind(&[
                "input",
                "running_mean=",
                "running_var=",
                "weight=",
                "bias=",
                "use_input_stats=",
                "momentum=",
                "eps=",
            ])?;
            let x = tensor(x.as_ref(), "input")?;
            if x.dim() < 2 {
                return Err(Exception::value_error(format!(
                    "Expected more than 1 spatial element when training, got input size {:?}",
                    x.shape()
                )));
            }
            let (rm, rv, w, b) = (
                opt_tensor(rm.as_ref()),
                opt_tensor(rv.as_ref()),
                opt_tensor(w.as_ref()),
                opt_tensor(b.as_ref()),
            );
            let out = nm::instance_norm(
                &x,
                rm.as_ref(),
                rv.as_ref(),
                w.as_ref(),
                b.as_ref(),
                bool_arg(use_stats.as_ref(), true),
                f64_arg(momentum.as_ref(), 0.1, "momentum")?,
                f64_arg(eps.as_ref(), 1e-5, "eps")?,
            );
            Ok(tv(out.map_err(exc)?))
        }),
    );
}
