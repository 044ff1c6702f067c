//! `nn.ConvTranspose1d/2d` and `F.conv_transpose1d/2d` as Python objects over
//! `tensor::conv_transpose` (and `conv_transpose1d`, the 2-d one on a unit height): arguments,
//! PyTorch's parameter initialisation and repr.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use super::conv::{ConvRepr, Padding, channels, conv_params, fn_groups, int_tuple, sizes};
use super::convert::{as_tensor, bool_arg, exc, tensor_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::tensor::NoGrad;
use super::{R, Shared, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::conv::ConvSpec;
use crate::tensor::conv_transpose::conv_transpose2d;
use crate::tensor::conv_transpose1d::conv_transpose1d;
use crate::tensor::{Generator, Tensor};

struct ConvT {
    /// 1 or 2 spatial dims.
    nd: usize,
    in_channels: usize,
    out_channels: usize,
    kernel: Vec<usize>,
    stride: Vec<usize>,
    padding: Vec<usize>,
    output_padding: Vec<usize>,
    dilation: Vec<usize>,
    groups: usize,
    weight: Tensor,
    bias: Option<Tensor>,
}

/// The engine's 2-d spec; a 1-d call's arguments fill the width entries.
fn spec(stride: &[usize], padding: &[usize], dilation: &[usize], groups: usize) -> R<ConvSpec> {
    if groups == 0 {
        return Err(Exception::runtime_error(
            "non-positive groups is not supported",
        ));
    }
    if stride.contains(&0) {
        return Err(Exception::runtime_error(
            "non-positive stride is not supported",
        ));
    }
    if dilation.contains(&0) {
        return Err(Exception::runtime_error(
            "dilation should be greater than zero",
        ));
    }
    let two = |v: &[usize], fill: usize| if v.len() == 1 { [fill, v[0]] } else { [v[0], v[1]] };
    Ok(ConvSpec {
        stride: two(stride, 1),
        pad_lo: two(padding, 0),
        pad_hi: two(padding, 0),
        dilation: two(dilation, 1),
        groups,
    })
}

fn run(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    s: &ConvSpec,
    output_padding: &[usize],
) -> R<Value> {
    if let [op] = output_padding {
        return Ok(tv(conv_transpose1d(x, w, b, s, *op).map_err(exc)?));
    }
    Ok(tv(conv_transpose2d(
        x,
        w,
        b,
        s,
        [output_padding[0], output_padding[1]],
    )
    .map_err(exc)?))
}

impl ExtLayer for ConvT {
    fn name(&self) -> &str {
        if self.nd == 1 {
            "ConvTranspose1d"
        } else {
            "ConvTranspose2d"
        }
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        v.extend(self.bias.clone().map(|b| ("bias".to_string(), b)));
        v
    }
    /// `_ConvNd.extra_repr`: padding, dilation, output padding and groups only when not default.
    fn repr(&self) -> String {
        ConvRepr {
            name: self.name(),
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            kernel: &self.kernel,
            stride: &self.stride,
            padding: &Padding::Sizes(self.padding.clone()),
            dilation: &self.dilation,
            output_padding: &self.output_padding,
            groups: self.groups,
            bias: self.bias.is_some(),
        }
        .text()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x, output_size] = args.bind(&["input", "output_size="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let s = spec(&self.stride, &self.padding, &self.dilation, self.groups)?;
        let output_padding = match output_size {
            Some(v) if !v.is_none() => {
                let sizes = interp
                    .iterate(&v)?
                    .iter()
                    .map(|d| d.expect_int("output_size"))
                    .collect::<R<Vec<i64>>>()?;
                self.padding_for(&x, &sizes)?
            }
            _ => self.output_padding.clone(),
        };
        run(&x, &self.weight, self.bias.as_ref(), &s, &output_padding)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "weight" => tv(self.weight.clone()),
            "bias" => self.bias.clone().map_or(Value::None, tv),
            "in_channels" => Value::Int(self.in_channels as i64),
            "out_channels" => Value::Int(self.out_channels as i64),
            "kernel_size" => int_tuple(&self.kernel),
            "stride" => int_tuple(&self.stride),
            "padding" => int_tuple(&self.padding),
            "output_padding" => int_tuple(&self.output_padding),
            "dilation" => int_tuple(&self.dilation),
            "groups" => Value::Int(self.groups as i64),
            "transposed" => Value::Bool(true),
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
        Some(Box::new(ConvT {
            nd: self.nd,
            in_channels: self.in_channels,
            out_channels: self.out_channels,
            kernel: self.kernel.clone(),
            stride: self.stride.clone(),
            padding: self.padding.clone(),
            output_padding: self.output_padding.clone(),
            dilation: self.dilation.clone(),
            groups: self.groups,
            weight,
            bias,
        }))
    }
}

/// `nn.ConvTranspose2d` with `_ConvNd.reset_parameters`: kaiming_uniform_(a=√5) on the weight
/// (in, out/groups, kH, kW), whose fan-in is out/groups·kH·kW, then the bias (out) uniform in
/// ±1/√fan_in, both from the default generator.
fn module(args: &Args, rng: &Rc<RefCell<Generator>>, nd: usize) -> R<Value> {
    let [
        inc,
        outc,
        k,
        stride,
        padding,
        output_padding,
        groups,
        bias,
        dilation,
        padding_mode,
        _device,
        _dtype,
    ] = args.bind(&[
        "in_channels",
        "out_channels",
        "kernel_size",
        "stride=",
        "padding=",
        "output_padding=",
        "groups=",
        "bias=",
        "dilation=",
        "padding_mode=",
        "device=",
        "dtype=",
    ])?;
    let (inc, outc, groups) = channels(inc, outc, groups)?;
    if let Some(m) = padding_mode.filter(|m| m.to_str() != "zeros") {
        return Err(Exception::value_error(format!(
            "Only \"zeros\" padding mode is supported for ConvTranspose{nd}d (got {})",
            m.repr()
        )));
    }
    let kernel = sizes(k.as_ref(), nd, 1, "kernel_size")?;
    let stride = sizes(stride.as_ref(), nd, 1, "stride")?;
    let padding = sizes(padding.as_ref(), nd, 0, "padding")?;
    let output_padding = sizes(output_padding.as_ref(), nd, 0, "output_padding")?;
    let dilation = sizes(dilation.as_ref(), nd, 1, "dilation")?;
    let g = &mut rng.borrow_mut();
    let (weight, _) = conv_params(inc, outc / groups, &kernel, false, g)?;
    let bias = if bool_arg(bias.as_ref(), true) {
        let b = Tensor::zeros(&[outc], super::default_dtype());
        let fan_in = outc / groups * kernel.iter().product::<usize>();
        if fan_in > 0 {
            let _guard = NoGrad::new();
            let bound = 1.0 / (fan_in as f64).sqrt();
            crate::tensor::uniform_(&b, g, -bound, bound).map_err(exc)?;
        }
        Some(Tensor::parameter(&b))
    } else {
        None
    };
    Ok(ext_module(ConvT {
        nd,
        in_channels: inc,
        out_channels: outc,
        kernel,
        stride,
        padding,
        output_padding,
        dilation,
        groups,
        weight,
        bias,
    }))
}

/// Adds `nn.ConvTranspose1d` and `nn.ConvTranspose2d`.
pub fn register(m: &Module, shared: &Rc<Shared>) {
    for (nd, name) in [(1, "ConvTranspose1d"), (2, "ConvTranspose2d")] {
        let s = shared.clone();
        m.set(
            name,
            class(name, "torch.nn", move |_, args| module(&args, &s.rng, nd)),
        );
    }
}

/// Adds `F.conv_transpose1d` and `F.conv_transpose2d(input, weight, bias=None, stride=1,
/// padding=0, output_padding=0, groups=1, dilation=1)`.
pub fn add_functional(m: &Module) {
    for (nd, name) in [(1, "conv_transpose1d"), (2, "conv_transpose2d")] {
    m.set(
        name,
        Value::builtin(name, move |_, args| {
            let [x, w, b, stride, padding, output_padding, groups, dilation] = args.bind(&[
                "input",
                "weight",
                "bias=",
                "stride=",
                "padding=",
                "output_padding=",
                "groups=",
                "dilation=",
            ])?;
            let x = tensor_arg(x.as_ref(), "input")?;
            let w = tensor_arg(w.as_ref(), "weight")?;
            let b = b.as_ref().and_then(as_tensor).cloned();
            let stride = sizes(stride.as_ref(), nd, 1, "stride")?;
            let padding = sizes(padding.as_ref(), nd, 0, "padding")?;
            let output_padding = sizes(output_padding.as_ref(), nd, 0, "output_padding")?;
            let dilation = sizes(dilation.as_ref(), nd, 1, "dilation")?;
            let s = spec(&stride, &padding, &dilation, fn_groups(groups.as_ref())?)?;
            run(&x, &w, b.as_ref(), &s, &output_padding)
        }),
    );    }
}

impl ConvT {
    /// torch/nn/modules/conv.py's `_output_padding`: the output padding that makes the output
    /// `output_size` (its spatial dims, or all of them), checked against the reachable sizes.
    fn padding_for(&self, x: &Tensor, output_size: &[i64]) -> R<Vec<usize>> {
        let nd = self.nd;
        let lead = if x.dim() == nd + 2 { 2 } else { 1 };
        let size = if output_size.len() == lead + nd {
            &output_size[lead..]
        } else {
            output_size
        };
        if size.len() != nd {
            return Err(Exception::value_error(format!(
                "ConvTranspose{nd}D: for {}D input, output_size must have {nd} or {} elements (got {})",
                x.dim(),
                lead + nd,
                size.len()
            )));
        }
        let shape = x.shape();
        let mins: Vec<i64> = (0..nd)
            .map(|d| {
                (shape.get(d + lead).copied().unwrap_or(1) as i64 - 1) * self.stride[d] as i64
                    - 2 * self.padding[d] as i64
                    + self.dilation[d] as i64 * (self.kernel[d] as i64 - 1)
                    + 1
            })
            .collect();
        let maxs: Vec<i64> = (0..nd).map(|d| mins[d] + self.stride[d] as i64 - 1).collect();
        if (0..nd).any(|d| size[d] < mins[d] || size[d] > maxs[d]) {
            let list = |v: &[i64]| {
                format!("[{}]", v.iter().map(i64::to_string).collect::<Vec<_>>().join(", "))
            };
            return Err(Exception::value_error(format!(
                "requested an output size of {}, but valid sizes range from {} to {} (for an input of torch.Size({}))",
                list(size),
                list(&mins),
                list(&maxs),
                list(&shape[lead..].iter().map(|&d| d as i64).collect::<Vec<_>>())
            )));
        }
        Ok((0..nd).map(|d| (size[d] - mins[d]) as usize).collect())
    }
}
