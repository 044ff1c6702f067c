//! `nn.Conv3d` and `F.conv3d` as Python objects over `tensor::conv3d`: arguments, PyTorch's
//! parameter initialisation (the one of every `_ConvNd`, conv.rs `conv_params`) and repr.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use super::conv::{
    ConvRepr, Padding, channels, conv_params, fn_groups, int_tuple, kernel_of, module_padding, padding_arg,
    sizes,
};
use super::convert::{as_tensor, bool_arg, exc, tensor_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, Shared, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::conv3d::{Conv3dSpec, conv3d};
use crate::tensor::{Generator, Tensor};

/// The engine's spec.
fn spec(
    stride: &[usize],
    padding: &Padding,
    dilation: &[usize],
    groups: usize,
    kernel: &[usize],
) -> R<Conv3dSpec> {
    let mut s = Conv3dSpec {
        stride: [1; 3],
        pad_lo: [0; 3],
        pad_hi: [0; 3],
        dilation: [1; 3],
        groups,
    };
    for (d, [lo, hi]) in padding.pads(stride, dilation, kernel)?.into_iter().enumerate() {
        s.stride[d] = stride[d];
        s.dilation[d] = dilation[d];
        (s.pad_lo[d], s.pad_hi[d]) = (lo, hi);
    }
    Ok(s)
}

struct Conv3d {
    in_channels: usize,
    out_channels: usize,
    kernel: Vec<usize>,
    stride: Vec<usize>,
    padding: Padding,
    dilation: Vec<usize>,
    groups: usize,
    weight: Tensor,
    bias: Option<Tensor>,
}

impl ExtLayer for Conv3d {
    fn name(&self) -> &str {
        "Conv3d"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        v.extend(self.bias.clone().map(|b| ("bias".to_string(), b)));
        v
    }
    /// `_ConvNd.extra_repr`: padding, dilation and groups only when not default.
    fn repr(&self) -> String {
        ConvRepr {
            name: "Conv3d",
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            kernel: &self.kernel,
            stride: &self.stride,
            padding: &self.padding,
            dilation: &self.dilation,
            output_padding: &[],
            groups: self.groups,
            bias: self.bias.is_some(),
        }
        .text()
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let s = spec(
            &self.stride,
            &self.padding,
            &self.dilation,
            self.groups,
            &self.kernel,
        )?;
        Ok(tv(
            conv3d(&x, &self.weight, self.bias.as_ref(), &s).map_err(exc)?
        ))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "weight" => tv(self.weight.clone()),
            "bias" => self.bias.clone().map_or(Value::None, tv),
            "in_channels" => Value::Int(self.in_channels as i64),
            "out_channels" => Value::Int(self.out_channels as i64),
            "kernel_size" => int_tuple(&self.kernel),
            "stride" => int_tuple(&self.stride),
            "padding" => self.padding.value(),
            "output_padding" => int_tuple(&[0, 0, 0]),
            "dilation" => int_tuple(&self.dilation),
            "groups" => Value::Int(self.groups as i64),
            "transposed" => Value::Bool(false),
            "padding_mode" => Value::str("zeros"),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        let weight = c.tensor(&self.weight)?;
        let bias = match &self.bias {
            Some(b) => Some(c.tensor(b)?),
            None => None,
        };
        Some(Box::new(Conv3d {
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            kernel: self.kernel.clone(),
            stride: self.stride.clone(),
            padding: self.padding.clone(),
            dilation: self.dilation.clone(),
            groups: self.groups,
            weight,
            bias,
        }))
    }
}

/// `nn.Conv3d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
/// groups=1, bias=True, padding_mode='zeros')`.
fn module(args: &Args, rng: &Rc<RefCell<Generator>>) -> R<Value> {
    let [
        inc,
        outc,
        k,
        stride,
        padding,
        dilation,
        groups,
        bias,
        padding_mode,
        device,
        _dtype,
    ] = args.bind(&[
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride=",
        "padding=",
        "dilation=",
        "groups=",
        "bias=",
        "padding_mode=",
        "device=",
        "dtype=",
    ])?;
    let _on = super::device::build_on(device.as_ref())?;
    let (inc, outc, groups) = channels(inc, outc, groups)?;
    let kernel = sizes(k.as_ref(), 3, 1, "kernel_size")?;
    let stride = sizes(stride.as_ref(), 3, 1, "stride")?;
    let dilation = sizes(dilation.as_ref(), 3, 1, "dilation")?;
    let padding = module_padding(padding.as_ref(), 3, &stride)?;
    if let Some(m) = padding_mode.filter(|m| m.to_str() != "zeros") {
        return Err(Exception::unsupported(format!(
            "Conv3d with padding_mode={}",
            m.repr()
        )));
    }
    let (weight, bias) = conv_params(
        outc,
        inc / groups,
        &kernel,
        bool_arg(bias.as_ref(), true),
        &mut rng.borrow_mut(),
    )?;
    Ok(ext_module(Conv3d {
        in_channels: inc,
        out_channels: outc,
        kernel,
        stride,
        padding,
        dilation,
        groups,
        weight,
        bias,
    }))
}

/// Adds `nn.Conv3d`.
pub fn register(m: &Module, shared: &Rc<Shared>) {
    let s = shared.clone();
    m.set(
        "Conv3d",
        class("Conv3d", "torch.nn", move |_, args| module(&args, &s.rng)),
    );
}

/// Adds `F.conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)`.
pub fn add_functional(m: &Module) {
    m.set(
        "conv3d",
        Value::builtin("conv3d", |_, args| {
            let [x, w, b, stride, padding, dilation, groups] = args.bind(&[
                "input",
                "weight",
                "bias=",
                "stride=",
                "padding=",
                "dilation=",
                "groups=",
            ])?;
            let x = tensor_arg(x.as_ref(), "input")?;
            let w = tensor_arg(w.as_ref(), "weight")?;
            let b = b.as_ref().and_then(as_tensor).cloned();
            let stride = sizes(stride.as_ref(), 3, 1, "stride")?;
            let dilation = sizes(dilation.as_ref(), 3, 1, "dilation")?;
            let padding = padding_arg(padding.as_ref(), 3, false)?;
            let s = spec(&stride, &padding, &dilation, fn_groups(groups.as_ref())?, &kernel_of(&w, 3))?;
            Ok(tv(conv3d(&x, &w, b.as_ref(), &s).map_err(exc)?))
        }),
    );
}
