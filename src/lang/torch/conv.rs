//! The convolutional layers as Python objects: nn.Conv1d/Conv2d, MaxPool1d/2d, AvgPool1d/2d,
//! AdaptiveAvgPool2d, BatchNorm1d/2d/3d (and their lazy forms), Dropout2d, and their `torch.nn.functional` forms.
//!
//! Each layer is a [`Layer`] inside `nn.rs`'s module object (`Kind::Layer`), which asks it for
//! its name, parameters, buffers, forward, repr and attributes; everything else a module does
//! (train/eval, state_dict, registration in a parent) stays in `nn.rs`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::convert::{as_tensor, bool_arg, exc, f64_arg, tensor_arg, tv};
use super::nn::layer_module;
use super::tensor::NoGrad;
use super::{class, Shared, R};
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::batchnorm::{self, BatchNormOptions};
use crate::tensor::conv::{self, ConvSpec};
use crate::tensor::pool::{self, PoolSpec};
use crate::tensor::{DType, Generator, Scalar, Tensor};

/// What `_ConvNd.extra_repr` shows, in its order: channels, kernel size and stride always;
/// padding, dilation, output padding and groups only when not their defaults; `bias=False`.
pub(super) struct ConvRepr<'a> {
    pub name: &'a str,
    pub in_channels: usize,
    pub out_channels: usize,
    pub kernel: &'a [usize],
    pub stride: &'a [usize],
    pub padding: &'a Padding,
    pub dilation: &'a [usize],
    pub output_padding: &'a [usize],
    pub groups: usize,
    pub bias: bool,
}

impl ConvRepr<'_> {
    pub(super) fn text(&self) -> String {
        let mut s = format!(
            "{}({}, {}, kernel_size={}, stride={}",
            self.name,
            self.in_channels,
            self.out_channels,
            tuple_repr(self.kernel),
            tuple_repr(self.stride)
        );
        s += &self.padding.repr();
        if self.dilation.iter().any(|&d| d != 1) {
            s += &format!(", dilation={}", tuple_repr(self.dilation));
        }
        if self.output_padding.iter().any(|&p| p != 0) {
            s += &format!(", output_padding={}", tuple_repr(self.output_padding));
        }
        if self.groups != 1 {
            s += &format!(", groups={}", self.groups);
        }
        if !self.bias {
            s += ", bias=False";
        }
        s + ")"
    }
}

/// `padding=` of a convolution: sizes, or one of the strings (kept for the repr).
#[derive(Clone, PartialEq)]
pub(super) enum Padding {
    Sizes(Vec<usize>),
    Same,
    Valid,
}

impl Padding {
    /// `_ConvNd.extra_repr`'s padding part: nothing for zeros.
    pub(super) fn repr(&self) -> String {
        match self {
            Padding::Sizes(p) if p.iter().all(|&p| p == 0) => String::new(),
            Padding::Sizes(p) => format!(", padding={}", tuple_repr(p)),
            Padding::Same => ", padding=same".into(),
            Padding::Valid => ", padding=valid".into(),
        }
    }

    /// The module's `padding` attribute.
    pub(super) fn value(&self) -> Value {
        match self {
            Padding::Sizes(p) => int_tuple(p),
            Padding::Same => Value::str("same"),
            Padding::Valid => Value::str("valid"),
        }
    }

    /// `[before, after]` per spatial dim; `'same'` puts the odd extra element after, as
    /// PyTorch does, and refuses strides.
    pub(super) fn pads(&self, stride: &[usize], dilation: &[usize], kernel: &[usize]) -> R<Vec<[usize; 2]>> {
        match self {
            Padding::Sizes(p) => Ok(p.iter().map(|&p| [p, p]).collect()),
            Padding::Valid => Ok(vec![[0, 0]; stride.len()]),
            Padding::Same if stride.iter().any(|&st| st != 1) => {
                Err(Exception::runtime_error("padding='same' is not supported for strided convolutions"))
            }
            Padding::Same => Ok((0..stride.len())
                .map(|d| {
                    let total = dilation[d] * kernel[d].saturating_sub(1);
                    [total / 2, total - total / 2]
                })
                .collect()),
        }
    }
}

pub struct ConvLayer {
    nd: usize,
    in_channels: Cell<usize>,
    out_channels: usize,
    kernel: Vec<usize>,
    stride: Vec<usize>,
    padding: Padding,
    dilation: Vec<usize>,
    groups: usize,
    weight: RefCell<Tensor>,
    bias: RefCell<Option<Tensor>>,
    /// A LazyConv until its first call: the generator to draw its parameters from then.
    lazy: RefCell<Option<super::uninit::Lazy>>,
}

pub struct BatchNormLayer {
    /// 1, 2 or 3 for BatchNorm1d/2d/3d.
    nd: usize,
    num_features: Cell<usize>,
    /// A LazyBatchNorm until its first call, which sets `num_features` from the input's
    /// channels and fills the parameters and buffers (made empty) in place.
    lazy: Cell<bool>,
    eps: f64,
    momentum: Option<f64>,
    weight: RefCell<Option<Tensor>>,
    bias: RefCell<Option<Tensor>>,
    running_mean: Option<Tensor>,
    running_var: Option<Tensor>,
    num_batches_tracked: Option<Tensor>,
}

/// A convolutional-network layer. The pooling variants keep their repr text, which shows the
/// arguments as given (`kernel_size=2` or `kernel_size=(2, 2)`).
pub enum Layer {
    Conv(ConvLayer),
    MaxPool { nd: usize, spec: PoolSpec, return_indices: bool, text: String },
    AvgPool { nd: usize, spec: PoolSpec, count_include_pad: bool, divisor: Option<i64>, text: String },
    AdaptiveAvgPool { size: [Option<usize>; 2], text: String },
    BatchNorm(BatchNormLayer),
    Dropout2d(f64),
}

pub(super) fn tuple_repr(v: &[usize]) -> String {
    match v {
        [d] => format!("({d},)"),
        v => format!("({})", v.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

fn opt_tensor(t: &Option<Tensor>) -> Value {
    t.clone().map_or(Value::None, tv)
}

impl Layer {
    /// A copy for an interpreter snapshot: parameters and running statistics copied through
    /// `c` (an optimizer's handles on the parameters are copied to the same tensors).
    pub(super) fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Layer> {
        let mut opt = |t: &Option<Tensor>| match t {
            Some(t) => c.tensor(t).map(Some),
            None => Some(None),
        };
        Some(match self {
            Layer::Conv(l) => Layer::Conv(ConvLayer {
                nd: l.nd,
                in_channels: Cell::new(l.in_channels.get()),
                out_channels: l.out_channels,
                kernel: l.kernel.clone(),
                stride: l.stride.clone(),
                padding: l.padding.clone(),
                dilation: l.dilation.clone(),
                groups: l.groups,
                weight: RefCell::new(opt(&Some(l.weight.borrow().clone()))??),
                bias: RefCell::new(opt(&l.bias.borrow())?),
                lazy: RefCell::new(match &*l.lazy.borrow() {
                    Some(_) => return None,
                    None => None,
                }),
            }),
            Layer::MaxPool { nd, spec, return_indices, text } => {
                Layer::MaxPool { nd: *nd, spec: spec.clone(), return_indices: *return_indices, text: text.clone() }
            }
            Layer::AvgPool { nd, spec, count_include_pad, divisor, text } => Layer::AvgPool {
                nd: *nd,
                spec: spec.clone(),
                count_include_pad: *count_include_pad,
                divisor: *divisor,
                text: text.clone(),
            },
            Layer::AdaptiveAvgPool { size, text } => Layer::AdaptiveAvgPool { size: *size, text: text.clone() },
            Layer::BatchNorm(b) => Layer::BatchNorm(BatchNormLayer {
                nd: b.nd,
                num_features: Cell::new(b.num_features.get()),
                lazy: Cell::new(b.lazy.get()),
                eps: b.eps,
                momentum: b.momentum,
                weight: RefCell::new(opt(&b.weight.borrow())?),
                bias: RefCell::new(opt(&b.bias.borrow())?),
                running_mean: opt(&b.running_mean)?,
                running_var: opt(&b.running_var)?,
                num_batches_tracked: opt(&b.num_batches_tracked)?,
            }),
            Layer::Dropout2d(p) => Layer::Dropout2d(*p),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Layer::Conv(c) if c.lazy.borrow().is_some() => if c.nd == 1 { "LazyConv1d" } else { "LazyConv2d" },
            Layer::Conv(c) if c.nd == 1 => "Conv1d",
            Layer::Conv(_) => "Conv2d",
            Layer::MaxPool { nd: 1, .. } => "MaxPool1d",
            Layer::MaxPool { .. } => "MaxPool2d",
            Layer::AvgPool { nd: 1, .. } => "AvgPool1d",
            Layer::AvgPool { .. } => "AvgPool2d",
            Layer::AdaptiveAvgPool { .. } => "AdaptiveAvgPool2d",
            Layer::BatchNorm(b) => match (b.lazy.get(), b.nd) {
                (true, 1) => "LazyBatchNorm1d",
                (true, 2) => "LazyBatchNorm2d",
                (true, _) => "LazyBatchNorm3d",
                (false, 1) => "BatchNorm1d",
                (false, 2) => "BatchNorm2d",
                (false, _) => "BatchNorm3d",
            },
            Layer::Dropout2d(_) => "Dropout2d",
        }
    }

    /// Parameters in registration order: weight, then bias.
    pub fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let (w, b) = match self {
            Layer::Conv(c) => (Some(c.weight.borrow().clone()), c.bias.borrow().clone()),
            Layer::BatchNorm(b) => (b.weight.borrow().clone(), b.bias.borrow().clone()),
            _ => (None, None),
        };
        let mut v: Vec<(String, Tensor)> = w.map(|w| ("weight".to_string(), w)).into_iter().collect();
        v.extend(b.map(|b| ("bias".to_string(), b)));
        v
    }

    /// Buffers in registration order (BatchNorm's running statistics and batch count).
    pub fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let Layer::BatchNorm(b) = self else { return Vec::new() };
        [("running_mean", &b.running_mean), ("running_var", &b.running_var), ("num_batches_tracked", &b.num_batches_tracked)]
            .into_iter()
            .filter_map(|(n, t)| t.clone().map(|t| (n.to_string(), t)))
            .collect()
    }

    /// `load_state_dict` into a LazyConv before its first call (see `PyModule::load_lazy`).
    pub(super) fn load_lazy(&self, shapes: &[(String, Vec<usize>)]) -> R<()> {
        match self {
            Layer::Conv(c) => {
                let (w, b) = (c.weight.borrow(), c.bias.borrow());
                super::uninit::load_lazy(&c.lazy, &[("weight", Some(&*w)), ("bias", b.as_ref())], shapes)
            }
            _ => Ok(()),
        }
    }

    pub fn repr(&self) -> String {
        match self {
            Layer::Conv(c) => {
                ConvRepr {
                    name: self.name(),
                    in_channels: c.in_channels.get(),
                    out_channels: c.out_channels,
                    kernel: &c.kernel,
                    stride: &c.stride,
                    padding: &c.padding,
                    dilation: &c.dilation,
                    output_padding: &[],
                    groups: c.groups,
                    bias: c.bias.borrow().is_some(),
                }
                .text()
            }
            Layer::MaxPool { text, .. } | Layer::AvgPool { text, .. } | Layer::AdaptiveAvgPool { text, .. } => {
                format!("{}({text})", self.name())
            }
            Layer::BatchNorm(b) => format!(
                "{}({}, eps={}, momentum={}, affine={}, bias={}, track_running_stats={})",
                self.name(),
                b.num_features.get(),
                float_repr(b.eps),
                b.momentum.map_or("None".to_string(), float_repr),
                py_bool(b.weight.borrow().is_some()),
                py_bool(b.bias.borrow().is_some()),
                py_bool(b.running_mean.is_some())
            ),
            Layer::Dropout2d(p) => format!("Dropout2d(p={}, inplace=False)", float_repr(*p)),
        }
    }

    /// The forward of a meta input: its output shape (meta_layers.rs).
    pub fn meta_forward(&self, x: &super::meta::MetaTensor, input: &Value, training: bool) -> R<Value> {
        use super::meta_layers as ml;
        let grad = |t: &Option<Tensor>| t.as_ref().is_some_and(Tensor::requires_grad);
        match self {
            Layer::Conv(c) => {
                if c.lazy.borrow().is_some() {
                    return Err(Exception::unsupported("lazy modules on the meta device"));
                }
                let w = c.weight.borrow();
                let padding = match &c.padding {
                    Padding::Sizes(p) => ml::Pad::Sizes(p.clone()),
                    Padding::Same => ml::Pad::Same,
                    Padding::Valid => ml::Pad::Sizes(vec![0; c.nd]),
                };
                let grad = w.requires_grad() || grad(&c.bias.borrow());
                let shape = w.shape();
                let a = ml::ConvArgs { nd: c.nd, weight: &shape, stride: &c.stride, padding, dilation: &c.dilation, groups: c.groups, grad };
                ml::conv(x, a)
            }
            Layer::MaxPool { nd, spec, .. } | Layer::AvgPool { nd, spec, .. } => {
                let from = 2 - nd;
                let max = matches!(self, Layer::MaxPool { .. });
                let (k, s, p, d) = (&spec.kernel[from..], &spec.stride[from..], &spec.padding[from..], &spec.dilation[from..]);
                ml::pool(x, *nd, k, s, p, d, spec.ceil_mode, max)
            }
            Layer::AdaptiveAvgPool { size, .. } => ml::adaptive_avg(x, size),
            Layer::BatchNorm(b) => {
                let grad = grad(&b.weight.borrow()) || grad(&b.bias.borrow());
                Ok(ml::same_shape(x, "NativeBatchNormBackward0", grad))
            }
            Layer::Dropout2d(p) if training && *p > 0.0 => Ok(ml::same_shape(x, "MulBackward0", false)),
            Layer::Dropout2d(_) => Ok(input.clone()),
        }
    }

    pub fn forward(&self, args: &Args, training: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        match self {
            Layer::Conv(c) => {
                c.materialize(&x)?;
                let spec = conv_spec(&c.stride, &c.padding, &c.dilation, c.groups, &c.kernel, c.nd)?;
                let (w, b) = (c.weight.borrow().clone(), c.bias.borrow().clone());
                Ok(tv(conv::conv(&x, &w, b.as_ref(), &spec, c.nd).map_err(exc)?))
            }
            Layer::MaxPool { nd, spec, return_indices, .. } => max_pool(&x, spec, *nd, *return_indices),
            Layer::AvgPool { nd, spec, count_include_pad, divisor, .. } => avg_pool(&x, spec, *nd, *count_include_pad, *divisor),
            Layer::AdaptiveAvgPool { size, .. } => adaptive(&x, *size),
            Layer::BatchNorm(b) => b.forward(&x, training),
            Layer::Dropout2d(p) => Ok(tv(dropout2d(&x, *p, training)?)),
        }
    }

    pub fn get_attr(&self, name: &str) -> Option<Value> {
        match self {
            Layer::Conv(c) => Some(match name {
                "weight" if c.lazy.borrow().as_ref().is_some_and(|z| z.pending().is_some()) => super::nn::uninitialized(c.weight.borrow().clone()),
                "bias" if c.lazy.borrow().as_ref().is_some_and(|z| z.pending().is_some()) => c.bias.borrow().clone().map_or(Value::None, super::nn::uninitialized),
                "weight" => tv(c.weight.borrow().clone()),
                "bias" => opt_tensor(&c.bias.borrow()),
                "in_channels" => Value::Int(c.in_channels.get() as i64),
                "out_channels" => Value::Int(c.out_channels as i64),
                "kernel_size" => int_tuple(&c.kernel),
                "stride" => int_tuple(&c.stride),
                "dilation" => int_tuple(&c.dilation),
                "groups" => Value::Int(c.groups as i64),
                "padding" => c.padding.value(),
                _ => return None,
            }),
            Layer::BatchNorm(b) => Some(match name {
                "weight" | "bias" if b.lazy.get() => {
                    let p = if name == "weight" { &b.weight } else { &b.bias };
                    p.borrow().clone().map_or(Value::None, super::nn::uninitialized)
                }
                "running_mean" | "running_var" if b.lazy.get() => {
                    let t = if name == "running_mean" { &b.running_mean } else { &b.running_var };
                    t.as_ref().map_or(Value::None, |_| Value::native(super::uninit::UninitializedBuffer))
                }
                "weight" => opt_tensor(&b.weight.borrow()),
                "bias" => opt_tensor(&b.bias.borrow()),
                "running_mean" => opt_tensor(&b.running_mean),
                "running_var" => opt_tensor(&b.running_var),
                "num_batches_tracked" => opt_tensor(&b.num_batches_tracked),
                "num_features" => Value::Int(b.num_features.get() as i64),
                "eps" => Value::Float(b.eps),
                "momentum" => b.momentum.map_or(Value::None, Value::Float),
                "affine" => Value::Bool(b.weight.borrow().is_some()),
                "track_running_stats" => Value::Bool(b.running_mean.is_some()),
                _ => return self.buffer_method(name),
            }),
            Layer::Dropout2d(p) if name == "p" => Some(Value::Float(*p)),
            _ => None,
        }
    }

    /// `buffers()` and `named_buffers()` of a layer with buffers.
    fn buffer_method(&self, name: &str) -> Option<Value> {
        let named = match name {
            "buffers" => false,
            "named_buffers" => true,
            _ => return None,
        };
        let items: Vec<Value> = self
            .named_buffers()
            .into_iter()
            .map(|(n, t)| if named { Value::tuple(vec![Value::str(&n), tv(t)]) } else { tv(t) })
            .collect();
        Some(Value::builtin(name, move |_, _| Ok(Value::iter_items(items.clone()))))
    }

    /// `layer.weight = ...` / `layer.bias = ...`: a tensor, or None (not for a conv weight).
    pub fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        let t = match (value, as_tensor(value)) {
            (Value::None, _) => None,
            (_, Some(t)) => Some(t.clone()),
            _ if matches!(name, "weight" | "bias") => {
                return Err(Exception::type_error(format!(
                    "cannot assign '{}' as parameter '{name}' (torch.nn.Parameter or None expected)",
                    value.type_name()
                )))
            }
            _ => return Ok(false),
        };
        let cell = match (self, name) {
            (Layer::Conv(c), "weight") => {
                let t = t.ok_or_else(|| Exception::unsupported("setting a convolution's weight to None"))?;
                *c.weight.borrow_mut() = t;
                return Ok(true);
            }
            (Layer::Conv(c), "bias") => &c.bias,
            (Layer::BatchNorm(b), "weight") => &b.weight,
            (Layer::BatchNorm(b), "bias") => &b.bias,
            _ => return Ok(false),
        };
        *cell.borrow_mut() = t;
        Ok(true)
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

pub(super) fn int_tuple(v: &[usize]) -> Value {
    Value::tuple(v.iter().map(|&d| Value::Int(d as i64)).collect())
}

/// An int or a sequence of `n` ints (`kernel_size=5`, `stride=(2, 1)`), as non-negative sizes.
pub(super) fn sizes(v: Option<&Value>, n: usize, default: usize, what: &str) -> R<Vec<usize>> {
    let items = match v {
        None | Some(Value::None) => return Ok(vec![default; n]),
        Some(Value::Tuple(t)) => t.to_vec(),
        Some(Value::List(l)) => l.borrow().clone(),
        Some(v) => vec![v.clone(); n],
    };
    if items.len() != n {
        return Err(Exception::runtime_error(format!(
            "expected {what} to be a single integer value or a list of {n} values to match the convolution dimensions, but got {what}=[{}]",
            items.iter().map(Value::repr).collect::<Vec<_>>().join(", ")
        )));
    }
    items
        .iter()
        .map(|v| {
            let i = v.expect_int(what)?;
            usize::try_from(i).map_err(|_| Exception::runtime_error(format!("non-positive {what} is not supported")))
        })
        .collect()
}

pub(super) fn padding_arg(v: Option<&Value>, nd: usize, module: bool) -> R<Padding> {
    match v {
        Some(Value::Str(s)) => match &**s {
            "same" => Ok(Padding::Same),
            "valid" => Ok(Padding::Valid),
            other if module => Err(Exception::value_error(format!(
                "Invalid padding string '{other}', should be one of {{'valid', 'same'}}"
            ))),
            other => Err(Exception::runtime_error(format!("Invalid padding string: '{other}'"))),
        },
        v => Ok(Padding::Sizes(sizes(v, nd, 0, "padding")?)),
    }
}

/// The engine's 2-d spec of a convolution (a 1-d one fills the width entries).
fn conv_spec(stride: &[usize], padding: &Padding, dilation: &[usize], groups: usize, kernel: &[usize], nd: usize) -> R<ConvSpec> {
    let off = 2 - nd;
    let mut s = ConvSpec { stride: [1; 2], pad_lo: [0; 2], pad_hi: [0; 2], dilation: [1; 2], groups };
    for (d, [lo, hi]) in padding.pads(stride, dilation, kernel)?.into_iter().enumerate() {
        s.stride[off + d] = stride[d];
        s.dilation[off + d] = dilation[d];
        (s.pad_lo[off + d], s.pad_hi[off + d]) = (lo, hi);
    }
    Ok(s)
}

/// `in_channels`, `out_channels` and `groups` of a convolution module, checked as
/// `_ConvNd.__init__` checks them.
pub(super) fn channels(inc: Option<Value>, outc: Option<Value>, groups: Option<Value>) -> R<(usize, usize, usize)> {
    let count = |v: Option<Value>, what: &str| -> R<usize> {
        let i = v.unwrap_or(Value::None).expect_int(what)?;
        usize::try_from(i).map_err(|_| Exception::runtime_error(format!("Trying to create tensor with negative dimension {i}")))
    };
    let (inc, outc) = (count(inc, "in_channels")?, count(outc, "out_channels")?);
    let groups = groups.map_or(Ok(1), |v| v.expect_int("groups"))?;
    if groups <= 0 {
        return Err(Exception::value_error("groups must be a positive integer"));
    }
    let groups = groups as usize;
    if inc % groups != 0 {
        return Err(Exception::value_error("in_channels must be divisible by groups"));
    }
    if outc % groups != 0 {
        return Err(Exception::value_error("out_channels must be divisible by groups"));
    }
    Ok((inc, outc, groups))
}

/// A module's `padding=` (`'same'` with a stride is refused at construction, as a ValueError).
pub(super) fn module_padding(v: Option<&Value>, nd: usize, stride: &[usize]) -> R<Padding> {
    let padding = padding_arg(v, nd, true)?;
    if padding == Padding::Same && stride.iter().any(|&s| s != 1) {
        return Err(Exception::value_error("padding='same' is not supported for strided convolutions"));
    }
    Ok(padding)
}

/// `groups=` of a functional convolution.
pub(super) fn fn_groups(v: Option<&Value>) -> R<usize> {
    let groups = v.map_or(Ok(1), |v| v.expect_int("groups"))?;
    usize::try_from(groups).map_err(|_| Exception::runtime_error("non-positive groups is not supported"))
}

/// The kernel's spatial sizes, read off a functional call's weight.
pub(super) fn kernel_of(w: &Tensor, nd: usize) -> Vec<usize> {
    let ws = w.shape();
    if ws.len() == nd + 2 { ws[2..].to_vec() } else { vec![1; nd] }
}

/// `nn.Conv1d` / `nn.Conv2d` with PyTorch's `reset_parameters`: kaiming_uniform_(a=√5) on the
/// weight (out, in/groups, *kernel), then the bias uniform in ±1/√fan_in.
/// `nn.LazyConv1d/2d(out_channels, ...)` is the same with in_channels 0 until the first call.
fn conv_module(nd: usize, args: &Args, rng: &Rc<RefCell<Generator>>, lazy: bool) -> R<Value> {
    let lazy_args;
    let args = if lazy {
        let mut pos = vec![Value::Int(0)];
        pos.extend(args.pos.iter().cloned());
        lazy_args = Args { fname: args.fname.clone(), this: None, pos, kw: args.kw.clone() };
        &lazy_args
    } else {
        args
    };
    let lazy = lazy.then(|| super::uninit::Lazy::Pending(rng.clone()));
    let [inc, outc, k, stride, padding, dilation, groups, bias, padding_mode, device, _dtype] = args.bind(&[
        "in_channels", "out_channels", "kernel_size", "stride=", "padding=", "dilation=", "groups=", "bias=", "padding_mode=", "device=", "dtype=",
    ])?;
    let _on = super::device::build_on(device.as_ref())?;
    let (inc, outc, groups) = channels(inc, outc, groups)?;
    let kernel = sizes(k.as_ref(), nd, 1, "kernel_size")?;
    let stride = sizes(stride.as_ref(), nd, 1, "stride")?;
    let dilation = sizes(dilation.as_ref(), nd, 1, "dilation")?;
    let padding = module_padding(padding.as_ref(), nd, &stride)?;
    if let Some(m) = padding_mode.filter(|m| m.to_str() != "zeros") {
        return Err(Exception::unsupported(format!("Conv{nd}d with padding_mode={}", m.repr())));
    }
    let (w, b) = conv_params(outc, inc / groups, &kernel, bool_arg(bias.as_ref(), true), &mut rng.borrow_mut())?;
    Ok(layer_module(Layer::Conv(ConvLayer {
        nd,
        in_channels: Cell::new(inc),
        out_channels: outc,
        kernel,
        stride,
        padding,
        dilation,
        groups,
        weight: RefCell::new(w),
        bias: RefCell::new(b),
        lazy: RefCell::new(lazy),
    })))
}

impl ConvLayer {
    /// A LazyConv's first call: in_channels from the input, then the parameters drawn as a
    /// Conv's and moved into the existing Parameter objects (an optimizer may hold them).
    fn materialize(&self, x: &Tensor) -> R<()> {
        let Some(super::uninit::Lazy::Pending(rng)) = self.lazy.borrow_mut().take() else { return Ok(()) };
        let s = x.shape();
        let inc = if s.len() == self.nd + 2 { s[1] } else { s.first().copied().unwrap_or(0) };
        if inc % self.groups != 0 {
            return Err(Exception::value_error("in_channels must be divisible by groups"));
        }
        let bias = self.bias.borrow().is_some();
        let (w, b) = conv_params(self.out_channels, inc / self.groups, &self.kernel, bias, &mut rng.borrow_mut())?;
        self.weight.borrow().materialize_from(w).map_err(exc)?;
        if let (Some(old), Some(new)) = (&*self.bias.borrow(), b) {
            old.materialize_from(new).map_err(exc)?;
        }
        self.in_channels.set(inc);
        Ok(())
    }
}

/// A convolution's weight (out, in/groups, *kernel) and bias, drawn as `reset_parameters` does.
pub(super) fn conv_params(outc: usize, in_per_group: usize, kernel: &[usize], bias: bool, g: &mut Generator) -> R<(Tensor, Option<Tensor>)> {
    let mut shape = vec![outc, in_per_group];
    shape.extend(kernel);
    let fan_in = in_per_group * kernel.iter().product::<usize>();
    let w = Tensor::zeros(&shape, super::default_dtype());
    let _guard = NoGrad::new();
    // torch.nn.init's double arithmetic: gain = sqrt(2/(1+a²)) with a = √5, bound = √3·gain/√fan_in.
    let a = 5f64.sqrt();
    let bound = 3f64.sqrt() * ((2.0 / (1.0 + a * a)).sqrt() / (fan_in as f64).sqrt());
    // A zero-element weight is left as is (PyTorch only warns), and so is the bias.
    if fan_in > 0 {
        crate::tensor::uniform_(&w, g, -bound, bound).map_err(exc)?;
    }
    let b = if bias {
        let b = Tensor::zeros(&[outc], super::default_dtype());
        if fan_in > 0 {
            let bb = 1.0 / (fan_in as f64).sqrt();
            crate::tensor::uniform_(&b, g, -bb, bb).map_err(exc)?;
        }
        Some(Tensor::parameter(&b))
    } else {
        None
    };
    Ok((Tensor::parameter(&w), b))
}

/// Pooling arguments; `stride` defaults to the kernel size (also when given as None or []).
pub(super) fn pool_spec(kernel: Option<&Value>, stride: Option<&Value>, padding: Option<&Value>, dilation: Option<&Value>, ceil: Option<&Value>) -> R<PoolSpec> {
    let k = sizes(kernel, 2, 1, "kernel_size")?;
    let empty = matches!(stride, Some(Value::Tuple(t)) if t.is_empty()) || matches!(stride, Some(Value::List(l)) if l.borrow().is_empty());
    let s = if empty { k.clone() } else { sizes(stride, 2, 0, "stride").map(|s| if stride.is_none_or(Value::is_none) { k.clone() } else { s })? };
    let p = sizes(padding, 2, 0, "padding")?;
    let d = sizes(dilation, 2, 1, "dilation")?;
    Ok(PoolSpec { kernel: [k[0], k[1]], stride: [s[0], s[1]], padding: [p[0], p[1]], dilation: [d[0], d[1]], ceil_mode: bool_arg(ceil, false) })
}

/// The 1-d form of a pooling argument as a 2-d one: height 1 for the kernel, stride and
/// dilation, 0 for the padding.
pub(super) fn widen(v: Option<&Value>, fill: i64) -> Option<Value> {
    let v = v.filter(|v| !v.is_none())?;
    let w = match v {
        Value::Tuple(t) if t.len() == 1 => t[0].clone(),
        Value::List(l) if l.borrow().len() == 1 => l.borrow()[0].clone(),
        v => v.clone(),
    };
    Some(Value::tuple(vec![Value::Int(fill), w]))
}

/// Average pooling; the 1-d form is ATen's: the 2-d pool of the input with a unit height
/// inserted (`unsqueeze(-2)`, then `squeeze(-2)`), so values and grad_fn are the 2-d pool's.
pub(super) fn avg_pool(x: &Tensor, spec: &PoolSpec, nd: usize, count_include_pad: bool, divisor: Option<i64>) -> R<Value> {
    if nd == 2 {
        return Ok(tv(pool::avg_pool2d(x, spec, count_include_pad, divisor).map_err(exc)?));
    }
    let d = x.dim();
    if !(2..=3).contains(&d) {
        return Err(Exception::runtime_error(format!(
            "Expected 2 to 3 dimensions, but got {d}-dimensional tensor for argument #1 'self' (while checking arguments for avg_pool1d)"
        )));
    }
    let y = x.unsqueeze(-2).and_then(|x2| pool::avg_pool2d(&x2, spec, count_include_pad, divisor)).and_then(|y| y.squeeze(Some(-2)));
    Ok(tv(y.map_err(exc)?))
}

pub(super) fn max_pool(x: &Tensor, spec: &PoolSpec, nd: usize, return_indices: bool) -> R<Value> {
    let (out, idx) = if nd == 1 {
        let x2 = x.unsqueeze(-2).map_err(exc)?;
        let (o, i) = pool::max_pool2d(&x2, spec).map_err(exc)?;
        (o.squeeze(Some(-2)).map_err(exc)?, i.squeeze(Some(-2)).map_err(exc)?)
    } else {
        pool::max_pool2d(x, spec).map_err(exc)?
    };
    Ok(if return_indices { Value::tuple(vec![tv(out), tv(idx)]) } else { tv(out) })
}

fn adaptive(x: &Tensor, size: [Option<usize>; 2]) -> R<Value> {
    let s = x.shape();
    let (h, w) = if s.len() >= 2 { (s[s.len() - 2], s[s.len() - 1]) } else { (1, 1) };
    let (oh, ow) = (size[0].unwrap_or(h), size[1].unwrap_or(w));
    Ok(tv(pool::adaptive_avg_pool2d(x, oh, ow).map_err(exc)?))
}

/// `output_size`: an int, or a pair whose entries may be None (keep that input size).
fn output_size(v: Option<&Value>) -> R<[Option<usize>; 2]> {
    let one = |v: &Value| -> R<Option<usize>> {
        if v.is_none() {
            return Ok(None);
        }
        let i = v.expect_int("output_size")?;
        usize::try_from(i).map(Some).map_err(|_| Exception::runtime_error("elements of output_size must be greater than or equal to 0"))
    };
    match v {
        Some(Value::Tuple(t)) if t.len() == 2 => Ok([one(&t[0])?, one(&t[1])?]),
        Some(Value::List(l)) if l.borrow().len() == 2 => {
            let l = l.borrow();
            Ok([one(&l[0])?, one(&l[1])?])
        }
        Some(v) => {
            let o = one(v)?;
            Ok([o, o])
        }
        None => Err(Exception::type_error("adaptive_avg_pool2d() missing required argument 'output_size'")),
    }
}

/// `F.dropout2d`: whole channels zeroed with probability p, the rest scaled by 1/(1-p): one
/// mask draw per (sample, channel) of a 4-D input, per row of a 3-D one (N, C, L).
pub fn dropout2d(x: &Tensor, p: f64, training: bool) -> R<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Exception::value_error(format!("dropout probability has to be between 0 and 1, but got {}", float_repr(p))));
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    if p == 1.0 {
        return x.mul_scalar(Scalar::Int(0)).map_err(exc);
    }
    let s = x.shape();
    if s.len() < 2 {
        return Err(Exception::runtime_error("Feature dropout requires at least 2 dimensions in the input"));
    }
    let mut noise_shape = vec![s[0], s[1]];
    noise_shape.extend(std::iter::repeat_n(1, s.len() - 2));
    let rng = super::generator_arg(&Args::new("dropout2d", Vec::new()))?;
    let noise = crate::tensor::dropout_noise(&mut rng.borrow_mut(), &noise_shape, x.dtype(), p).map_err(exc)?;
    x.mul(&noise).map_err(exc)
}

impl BatchNormLayer {
    /// `_BatchNorm.forward`: count the batch, pick the averaging factor (1/num_batches_tracked
    /// when momentum is None), and use batch statistics in training or without running ones.
    fn forward(&self, x: &Tensor, training: bool) -> R<Value> {
        if self.lazy.get() {
            self.materialize(x)?;
        }
        let d = x.dim();
        let ok = if self.nd == 1 { d == 2 || d == 3 } else { d == self.nd + 2 };
        if !ok {
            let want = match self.nd {
                1 => "2D or 3D",
                2 => "4D",
                _ => "5D",
            };
            return Err(Exception::value_error(format!("expected {want} input (got {d}D input)")));
        }
        let mut factor = self.momentum.unwrap_or(0.0);
        if let (true, Some(nbt)) = (training, &self.num_batches_tracked) {
            let _guard = NoGrad::new();
            let next = nbt.add_scalar(Scalar::Int(1)).map_err(exc)?;
            nbt.copy_(&next).map_err(exc)?;
            if self.momentum.is_none() {
                factor = 1.0 / next.item().map_err(exc)?.as_f64();
            }
        }
        let bn_training = training || self.running_mean.is_none();
        let o = BatchNormOptions { training: bn_training, momentum: factor, eps: self.eps };
        let (w, b) = (self.weight.borrow().clone(), self.bias.borrow().clone());
        let y = batchnorm::batch_norm(x, self.running_mean.as_ref(), self.running_var.as_ref(), w.as_ref(), b.as_ref(), &o).map_err(exc)?;
        Ok(tv(y))
    }
}

impl BatchNormLayer {
    /// A LazyBatchNorm's first call (PyTorch's pre-hook, so before the input's rank is checked):
    /// the channels are the input's second dimension; weight 1, bias 0, running mean 0 and
    /// running variance 1, moved into the existing tensors (an optimizer may hold them).
    fn materialize(&self, x: &Tensor) -> R<()> {
        let n = *x.shape().get(1).ok_or_else(|| Exception::new("IndexError", "tuple index out of range"))?;
        crate::tensor::check_size(&[n]).map_err(exc)?;
        let fill = |t: Option<&Tensor>, v: f64| -> R<()> {
            match t {
                Some(t) => t.materialize_from(Tensor::full(&[n], Scalar::Float(v), super::default_dtype())).map_err(exc),
                None => Ok(()),
            }
        };
        fill(self.weight.borrow().as_ref(), 1.0)?;
        fill(self.bias.borrow().as_ref(), 0.0)?;
        fill(self.running_mean.as_ref(), 0.0)?;
        fill(self.running_var.as_ref(), 1.0)?;
        self.num_features.set(n);
        self.lazy.set(false);
        Ok(())
    }
}

fn batch_norm_module(nd: usize, args: &Args, lazy: bool) -> R<Value> {
    let lazy_args;
    let args = if lazy {
        // A lazy batch norm takes everything but `num_features`, which its first call sets.
        lazy_args = Args { fname: args.fname.clone(), this: None, pos: std::iter::once(Value::Int(0)).chain(args.pos.iter().cloned()).collect(), kw: args.kw.clone() };
        if args.kw.iter().any(|(k, _)| &**k == "num_features") {
            return Err(Exception::type_error("_LazyNormBase.__init__() got an unexpected keyword argument 'num_features'"));
        }
        &lazy_args
    } else {
        args
    };
    let [n, eps, momentum, affine, track, bias, device, _dtype] =
        args.bind(&["num_features", "eps=", "momentum=", "affine=", "track_running_stats=", "bias=", "device=", "dtype="])?;
    let _on = super::device::build_on(device.as_ref())?;
    let n = n.unwrap_or(Value::None).expect_int("num_features")?;
    let n = usize::try_from(n).map_err(|_| Exception::runtime_error(format!("Trying to create tensor with negative dimension {n}: [{n}]")))?;
    let eps = f64_arg(eps.as_ref(), 1e-5, "eps")?;
    let momentum = match momentum {
        Some(Value::None) => None,
        v => Some(f64_arg(v.as_ref(), 0.1, "momentum")?),
    };
    let affine = bool_arg(affine.as_ref(), true);
    let track = bool_arg(track.as_ref(), true);
    let with_bias = affine && bool_arg(bias.as_ref(), true);
    let param = |v: f64| Tensor::parameter(&Tensor::full(&[n], Scalar::Float(v), super::default_dtype()));
    Ok(layer_module(Layer::BatchNorm(BatchNormLayer {
        nd,
        num_features: Cell::new(n),
        lazy: Cell::new(lazy),
        eps,
        momentum,
        weight: RefCell::new(affine.then(|| param(1.0))),
        bias: RefCell::new(with_bias.then(|| param(0.0))),
        running_mean: track.then(|| Tensor::zeros(&[n], super::default_dtype())),
        running_var: track.then(|| Tensor::ones(&[n], super::default_dtype())),
        num_batches_tracked: track.then(|| Tensor::zeros(&[], DType::Int64)),
    })))
}

/// The repr text of a pooling module: its arguments as given, stride defaulting to the kernel.
fn arg_repr(v: Option<&Value>, default: &str) -> String {
    match v {
        None | Some(Value::None) => default.to_string(),
        Some(v) => v.repr(),
    }
}

/// Adds the classes to `torch.nn`.
pub fn register(m: &Module, shared: &Rc<Shared>) {
    for nd in [1usize, 2] {
        let g = shared.clone();
        let name = if nd == 1 { "Conv1d" } else { "Conv2d" };
        m.set(name, class(name, "torch.nn", move |_, args| conv_module(nd, &args, &g.rng, false)));
        let g = shared.clone();
        let name = if nd == 1 { "LazyConv1d" } else { "LazyConv2d" };
        m.set(name, class(name, "torch.nn", move |_, args| conv_module(nd, &args, &g.rng, true)));
        let name = if nd == 1 { "MaxPool1d" } else { "MaxPool2d" };
        m.set(name, class(name, "torch.nn", move |_, args| {
            let [k, s, p, d, ri, c] = args.bind(&["kernel_size", "stride=", "padding=", "dilation=", "return_indices=", "ceil_mode="])?;
            let ks = arg_repr(k.as_ref(), "None");
            let text = format!(
                "kernel_size={ks}, stride={}, padding={}, dilation={}, ceil_mode={}",
                arg_repr(s.as_ref(), &ks),
                arg_repr(p.as_ref(), "0"),
                arg_repr(d.as_ref(), "1"),
                py_bool(bool_arg(c.as_ref(), false))
            );
            let spec = if nd == 1 {
                pool_spec(widen(k.as_ref(), 1).as_ref(), widen(s.as_ref(), 1).as_ref(), widen(p.as_ref(), 0).as_ref(), widen(d.as_ref(), 1).as_ref(), c.as_ref())?
            } else {
                pool_spec(k.as_ref(), s.as_ref(), p.as_ref(), d.as_ref(), c.as_ref())?
            };
            Ok(layer_module(Layer::MaxPool { nd, spec, return_indices: bool_arg(ri.as_ref(), false), text }))
        }));
    }
    for (nd, name, lazy_name) in [(1, "BatchNorm1d", "LazyBatchNorm1d"), (2, "BatchNorm2d", "LazyBatchNorm2d"), (3, "BatchNorm3d", "LazyBatchNorm3d")] {
        m.set(name, class(name, "torch.nn", move |_, args| batch_norm_module(nd, &args, false)));
        m.set(lazy_name, class(lazy_name, "torch.nn", move |_, args| batch_norm_module(nd, &args, true)));
    }
    m.set("AvgPool2d", class("AvgPool2d", "torch.nn", |_, args| {
        let [k, s, p, c, cip, div] = args.bind(&["kernel_size", "stride=", "padding=", "ceil_mode=", "count_include_pad=", "divisor_override="])?;
        let ks = arg_repr(k.as_ref(), "None");
        let text = format!("kernel_size={ks}, stride={}, padding={}", arg_repr(s.as_ref(), &ks), arg_repr(p.as_ref(), "0"));
        let spec = pool_spec(k.as_ref(), s.as_ref(), p.as_ref(), None, c.as_ref())?;
        let divisor = div.filter(|v| !v.is_none()).map(|v| v.expect_int("divisor_override")).transpose()?;
        Ok(layer_module(Layer::AvgPool { nd: 2, spec, count_include_pad: bool_arg(cip.as_ref(), true), divisor, text }))
    }));
    m.set("AvgPool1d", class("AvgPool1d", "torch.nn", |_, args| {
        let [k, s, p, c, cip] = args.bind(&["kernel_size", "stride=", "padding=", "ceil_mode=", "count_include_pad="])?;
        // PyTorch's repr shows the 1-tuples `_single` made of the arguments.
        let single = |v: Option<&Value>, default: &str| match v {
            None | Some(Value::None) => default.to_string(),
            Some(Value::Int(i)) => format!("({i},)"),
            Some(v) => v.repr(),
        };
        let ks = single(k.as_ref(), "None");
        let text = format!("kernel_size={ks}, stride={}, padding={}", single(s.as_ref(), &ks), single(p.as_ref(), "(0,)"));
        let spec = pool_spec(widen(k.as_ref(), 1).as_ref(), widen(s.as_ref(), 1).as_ref(), widen(p.as_ref(), 0).as_ref(), None, c.as_ref())?;
        Ok(layer_module(Layer::AvgPool { nd: 1, spec, count_include_pad: bool_arg(cip.as_ref(), true), divisor: None, text }))
    }));
    m.set("AdaptiveAvgPool2d", class("AdaptiveAvgPool2d", "torch.nn", |_, args| {
        let [o] = args.bind(&["output_size"])?;
        let size = output_size(o.as_ref())?;
        Ok(layer_module(Layer::AdaptiveAvgPool { size, text: format!("output_size={}", arg_repr(o.as_ref(), "None")) }))
    }));
    m.set("Dropout2d", class("Dropout2d", "torch.nn", |_, args| {
        let [p, _inplace] = args.bind(&["p=", "inplace="])?;
        let p = f64_arg(p.as_ref(), 0.5, "p")?;
        if !(0.0..=1.0).contains(&p) {
            return Err(Exception::value_error(format!("dropout probability has to be between 0 and 1, but got {}", float_repr(p))));
        }
        Ok(layer_module(Layer::Dropout2d(p)))
    }));
}

fn conv_fn(nd: usize) -> Value {
    let name = if nd == 1 { "conv1d" } else { "conv2d" };
    Value::builtin(name, move |_, args| {
        let [x, w, b, stride, padding, dilation, groups] = args.bind(&["input", "weight", "bias=", "stride=", "padding=", "dilation=", "groups="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let w = tensor_arg(w.as_ref(), "weight")?;
        let b = b.as_ref().and_then(as_tensor).cloned();
        let stride = sizes(stride.as_ref(), nd, 1, "stride")?;
        let dilation = sizes(dilation.as_ref(), nd, 1, "dilation")?;
        let padding = padding_arg(padding.as_ref(), nd, false)?;
        let spec = conv_spec(&stride, &padding, &dilation, fn_groups(groups.as_ref())?, &kernel_of(&w, nd), nd)?;
        Ok(tv(conv::conv(&x, &w, b.as_ref(), &spec, nd).map_err(exc)?))
    })
}

/// Adds the functional forms to `torch.nn.functional`.
pub fn add_functional(m: &Module) {
    m.set("conv1d", conv_fn(1));
    m.set("conv2d", conv_fn(2));
    for nd in [1usize, 2] {
        let name = if nd == 1 { "max_pool1d" } else { "max_pool2d" };
        m.set(name, Value::builtin(name, move |_, args| {
            let [x, k, s, p, d, c, ri] = args.bind(&["input", "kernel_size", "stride=", "padding=", "dilation=", "ceil_mode=", "return_indices="])?;
            let x = tensor_arg(x.as_ref(), "input")?;
            let spec = if nd == 1 {
                pool_spec(widen(k.as_ref(), 1).as_ref(), widen(s.as_ref(), 1).as_ref(), widen(p.as_ref(), 0).as_ref(), widen(d.as_ref(), 1).as_ref(), c.as_ref())?
            } else {
                pool_spec(k.as_ref(), s.as_ref(), p.as_ref(), d.as_ref(), c.as_ref())?
            };
            max_pool(&x, &spec, nd, bool_arg(ri.as_ref(), false))
        }));
    }
    m.set("avg_pool2d", Value::builtin("avg_pool2d", |_, args| {
        let [x, k, s, p, c, cip, div] = args.bind(&["input", "kernel_size", "stride=", "padding=", "ceil_mode=", "count_include_pad=", "divisor_override="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let spec = pool_spec(k.as_ref(), s.as_ref(), p.as_ref(), None, c.as_ref())?;
        let divisor = div.filter(|v| !v.is_none()).map(|v| v.expect_int("divisor_override")).transpose()?;
        Ok(tv(pool::avg_pool2d(&x, &spec, bool_arg(cip.as_ref(), true), divisor).map_err(exc)?))
    }));
    m.set("avg_pool1d", Value::builtin("avg_pool1d", |_, args| {
        let [x, k, s, p, c, cip] = args.bind(&["input", "kernel_size", "stride=", "padding=", "ceil_mode=", "count_include_pad="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let spec = pool_spec(widen(k.as_ref(), 1).as_ref(), widen(s.as_ref(), 1).as_ref(), widen(p.as_ref(), 0).as_ref(), None, c.as_ref())?;
        avg_pool(&x, &spec, 1, bool_arg(cip.as_ref(), true), None)
    }));
    m.set("adaptive_avg_pool2d", Value::builtin("adaptive_avg_pool2d", |_, args| {
        let [x, o] = args.bind(&["input", "output_size"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        adaptive(&x, output_size(o.as_ref())?)
    }));
    m.set("batch_norm", Value::builtin("batch_norm", |_, args| {
        let [x, rm, rv, w, b, training, momentum, eps] =
            args.bind(&["input", "running_mean", "running_var", "weight=", "bias=", "training=", "momentum=", "eps="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let t = |v: &Option<Value>| v.as_ref().and_then(as_tensor).cloned();
        let (rm, rv, w, b) = (t(&rm), t(&rv), t(&w), t(&b));
        let o = BatchNormOptions {
            training: bool_arg(training.as_ref(), false),
            momentum: f64_arg(momentum.as_ref(), 0.1, "momentum")?,
            eps: f64_arg(eps.as_ref(), 1e-5, "eps")?,
        };
        Ok(tv(batchnorm::batch_norm(&x, rm.as_ref(), rv.as_ref(), w.as_ref(), b.as_ref(), &o).map_err(exc)?))
    }));
    m.set("dropout2d", Value::builtin("dropout2d", |_, args| {
        let [x, p, training, _inplace] = args.bind(&["input", "p=", "training=", "inplace="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        Ok(tv(dropout2d(&x, f64_arg(p.as_ref(), 0.5, "p")?, bool_arg(training.as_ref(), true))?))
    }));
}
