//! Output shapes of the network ops on the meta device: `torch.`/`F.` functions given a meta
//! tensor (linear, convolution, pooling, `cat`/`stack`, and every method-shaped function through
//! meta.rs's methods), and the rules the built-in layers' forward uses for a meta input.

use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{bool_arg, dtype_arg, kw};
use super::meta::{MetaTensor, as_meta, flatten, matmul, unary};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::DType;

type R<T> = Result<T, Exception>;

fn device_mismatch() -> Exception {
    Exception::runtime_error("Tensor on device cpu is not on the expected device meta!")
}

fn dims_text(s: &[usize]) -> String {
    s.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `F.linear`'s shape: `[..., in]` by a weight `(out, in)`.
pub fn linear(x: &MetaTensor, w: &MetaTensor, bias: Option<&MetaTensor>) -> R<Value> {
    let (out, inp) = match w.shape[..] {
        [o, i] => (o, i),
        _ => {
            return Err(Exception::runtime_error(format!(
                "t() expects a tensor with <= 2 dimensions, but self is {}D",
                w.shape.len()
            )));
        }
    };
    if x.shape.is_empty() {
        return Err(Exception::runtime_error(
            "both arguments to linear need to be at least 1D, but they are 0D and 2D",
        ));
    }
    let last = *x.shape.last().unwrap_or(&0);
    if last != inp {
        let rows: usize = x.shape[..x.shape.len() - 1].iter().product();
        let x2: Vec<usize> = if x.shape.len() == 1 {
            vec![1, last]
        } else {
            vec![rows, last]
        };
        return Err(Exception::runtime_error(format!(
            "a and b must have same reduction dim, but got [{}] X [{inp}, {out}].",
            dims_text(&x2)
        )));
    }
    let mut shape = x.shape[..x.shape.len() - 1].to_vec();
    shape.push(out);
    let node = match (x.shape.len(), bias.is_some()) {
        (2, true) => "AddmmBackward0",
        (2, false) => "MmBackward0",
        (1, false) => "SqueezeBackward4",
        _ => "UnsafeViewBackward0",
    };
    let grad = x.requires_grad.get()
        || w.requires_grad.get()
        || bias.is_some_and(|b| b.requires_grad.get());
    Ok(result(shape, x.dtype, node, grad))
}

fn result(shape: Vec<usize>, dtype: DType, node: &'static str, grad: bool) -> Value {
    let rg = grad && crate::tensor::is_grad_enabled();
    let t = MetaTensor::new(shape, dtype);
    t.requires_grad.set(rg);
    Value::native(MetaTensor {
        grad_fn: rg.then_some(node),
        ..t
    })
}

/// How a convolution pads: sizes per spatial dim, or `'same'`.
pub enum Pad {
    Sizes(Vec<usize>),
    Same,
}

/// A convolution's output: input `(N, C, *spatial)` or unbatched `(C, *spatial)`, weight
/// `(out, C / groups, *kernel)`.
pub struct ConvArgs<'a> {
    pub nd: usize,
    pub weight: &'a [usize],
    pub stride: &'a [usize],
    pub padding: Pad,
    pub dilation: &'a [usize],
    pub groups: usize,
    pub grad: bool,
}

pub fn conv(x: &MetaTensor, a: ConvArgs) -> R<Value> {
    let nd = a.nd;
    let batched = x.shape.len() == nd + 2;
    if !batched && x.shape.len() != nd + 1 {
        return Err(Exception::runtime_error(format!(
            "Expected {}D (unbatched) or {}D (batched) input to conv{nd}d, but got input of size: [{}]",
            nd + 1,
            nd + 2,
            dims_text(&x.shape)
        )));
    }
    let xs: Vec<usize> = if batched {
        x.shape.clone()
    } else {
        std::iter::once(1).chain(x.shape.iter().copied()).collect()
    };
    if a.weight.len() != nd + 2 || xs[1] != a.weight[1] * a.groups {
        return Err(Exception::runtime_error("Invalid channel dimensions"));
    }
    let kernel = &a.weight[2..];
    let mut shape = vec![xs[0], a.weight[0]];
    let mut padded = Vec::new();
    for i in 0..nd {
        let input = xs[2 + i];
        let span = a.dilation[i] * (kernel[i] - 1) + 1;
        let out = match &a.padding {
            Pad::Same => input,
            Pad::Sizes(p) => {
                let total = input + 2 * p[i];
                padded.push(total);
                if total < span {
                    let k: Vec<String> = kernel.iter().map(usize::to_string).collect();
                    let sizes: Vec<String> = (0..nd)
                        .map(|j| (xs[2 + j] + 2 * p[j]).to_string())
                        .collect();
                    return Err(Exception::runtime_error(format!(
                        "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
                        sizes.join(" x "),
                        k.join(" x ")
                    )));
                }
                (total - span) / a.stride[i] + 1
            }
        };
        shape.push(out);
    }
    if !batched {
        shape.remove(0);
    }
    let node = if batched {
        "ConvolutionBackward0"
    } else {
        "SqueezeBackward1"
    };
    Ok(result(
        shape,
        x.dtype,
        node,
        x.requires_grad.get() || a.grad,
    ))
}

/// Pooling's output size along one dim (ATen's `pooling_output_shape`).
fn pooled(input: usize, k: usize, s: usize, p: usize, d: usize, ceil: bool) -> R<usize> {
    let num = input as i64 + 2 * p as i64 - (d * (k - 1)) as i64 - 1
        + if ceil { s as i64 - 1 } else { 0 };
    let mut out = num.div_euclid(s as i64) + 1;
    if ceil && (out - 1) * s as i64 >= input as i64 + p as i64 {
        out -= 1;
    }
    if out < 1 {
        return Err(Exception::runtime_error(format!(
            "Given input size: ({input}). Calculated output size: ({out}). Output size is too small"
        )));
    }
    Ok(out as usize)
}

/// A max or average pooling of `nd` spatial dims; `max` picks the node name.
#[allow(clippy::too_many_arguments)]
pub fn pool(
    x: &MetaTensor,
    nd: usize,
    k: &[usize],
    s: &[usize],
    p: &[usize],
    d: &[usize],
    ceil: bool,
    max: bool,
) -> R<Value> {
    if x.shape.len() != nd + 1 && x.shape.len() != nd + 2 {
        return Err(Exception::runtime_error(format!(
            "non-empty {}D or {}D (batch mode) tensor expected for input",
            nd + 1,
            nd + 2
        )));
    }
    let lead = x.shape.len() - nd;
    let mut shape = x.shape[..lead].to_vec();
    for i in 0..nd {
        if p[i] * 2 > k[i] {
            return Err(Exception::runtime_error(format!(
                "pad should be at most half of effective kernel size, but got pad={}, kernel_size={} and dilation={}",
                p[i], k[i], d[i]
            )));
        }
        shape.push(pooled(x.shape[lead + i], k[i], s[i], p[i], d[i], ceil)?);
    }
    let node = match (nd, max) {
        (1, _) => "SqueezeBackward1",
        (_, true) => "MaxPool2DWithIndicesBackward0",
        (_, false) => "AvgPool2DBackward0",
    };
    Ok(result(shape, x.dtype, node, x.requires_grad.get()))
}

/// Adaptive average pooling to `size` (None keeps that dim).
pub fn adaptive_avg(x: &MetaTensor, size: &[Option<usize>]) -> R<Value> {
    let nd = size.len();
    if x.shape.len() < nd + 1 {
        return Err(Exception::runtime_error(format!(
            "adaptive_avg_pool{nd}d(): Expected {}D or {}D tensor",
            nd + 1,
            nd + 2
        )));
    }
    let lead = x.shape.len() - nd;
    let mut shape = x.shape[..lead].to_vec();
    for (i, s) in size.iter().enumerate() {
        shape.push(s.unwrap_or(x.shape[lead + i]));
    }
    let node = if size.iter().all(|s| *s == Some(1)) {
        "MeanBackward1"
    } else {
        "AdaptiveAvgPool2DBackward0"
    };
    Ok(result(shape, x.dtype, node, x.requires_grad.get()))
}

/// A layer whose output has its input's shape (batch norm, activations, dropout).
pub fn same_shape(x: &MetaTensor, node: &'static str, grad: bool) -> Value {
    result(
        x.shape.clone(),
        x.dtype,
        node,
        x.requires_grad.get() || grad,
    )
}

fn int_list(v: Option<&Value>, nd: usize, default: &[usize]) -> R<Vec<usize>> {
    match v {
        None | Some(Value::None) => Ok(default.to_vec()),
        Some(Value::Int(i)) => Ok(vec![(*i).max(0) as usize; nd]),
        Some(Value::Tuple(items)) => items
            .iter()
            .map(|v| v.expect_int("size").map(|i| i.max(0) as usize))
            .collect(),
        Some(Value::List(items)) => items
            .borrow()
            .iter()
            .map(|v| v.expect_int("size").map(|i| i.max(0) as usize))
            .collect(),
        Some(v) => Err(Exception::type_error(format!(
            "expected an int or a tuple of ints, got {}",
            v.type_name()
        ))),
    }
}

fn meta_arg<'a>(v: Option<&'a Value>, what: &str) -> R<&'a MetaTensor> {
    match v {
        Some(v) => as_meta(v).ok_or_else(|| {
            if super::convert::as_tensor(v).is_some() {
                device_mismatch()
            } else {
                Exception::type_error(format!("{what} must be a Tensor"))
            }
        }),
        None => Err(Exception::type_error(format!("missing argument '{what}'"))),
    }
}

/// Whether any argument of a call is a meta tensor (or a list of them, for `cat`).
fn has_meta(args: &Args) -> bool {
    let meta = |v: &Value| {
        as_meta(v).is_some()
            || match v {
                Value::List(items) => items.borrow().iter().any(|v| as_meta(v).is_some()),
                Value::Tuple(items) => items.iter().any(|v| as_meta(v).is_some()),
                _ => false,
            }
    };
    args.pos.iter().any(meta) || args.kw.iter().any(|(_, v)| meta(v))
}

/// `torch.cat`/`torch.stack` of meta tensors.
fn join(interp: &mut Interpreter, args: &Args, stack: bool) -> R<Value> {
    let [ts, dim] = args.bind(&["tensors", "dim="])?;
    let items = interp.iterate(&ts.unwrap_or(Value::None))?;
    let metas = items
        .iter()
        .map(|v| meta_arg(Some(v), "tensors"))
        .collect::<R<Vec<_>>>()?;
    let first = metas.first().ok_or_else(|| {
        Exception::runtime_error("torch.cat(): expected a non-empty list of Tensors")
    })?;
    let dim = dim.map_or(Ok(0), |d| d.expect_int("dim"))?;
    let n = first.shape.len() + usize::from(stack);
    let d = if dim < 0 { dim + n as i64 } else { dim };
    if d < 0 || d >= n.max(1) as i64 {
        return Err(Exception::new(
            "IndexError",
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {dim})",
                -(n as i64),
                n as i64 - 1
            ),
        ));
    }
    let d = d as usize;
    let grad = metas.iter().any(|m| m.requires_grad.get());
    let dtype = metas.iter().fold(first.dtype, |a, m| a.promote(m.dtype));
    if stack {
        for (i, m) in metas.iter().enumerate() {
            if m.shape != first.shape {
                return Err(Exception::runtime_error(format!(
                    "stack expects each tensor to be equal size, but got [{}] at entry 0 and [{}] at entry {i}",
                    dims_text(&first.shape),
                    dims_text(&m.shape)
                )));
            }
        }
        let mut shape = first.shape.clone();
        shape.insert(d, metas.len());
        return Ok(result(shape, dtype, "StackBackward0", grad));
    }
    let mut shape = first.shape.clone();
    for (i, m) in metas.iter().enumerate().skip(1) {
        for (j, (&a, &b)) in first.shape.iter().zip(&m.shape).enumerate() {
            if j != d && a != b {
                return Err(Exception::runtime_error(format!(
                    "Sizes of tensors must match except in dimension {d}. Expected {a} in dimension {j} but got {b} for tensor number {i} in the list"
                )));
            }
        }
        shape[d] += m.shape.get(d).copied().unwrap_or(0);
    }
    Ok(result(shape, dtype, "CatBackward0", grad))
}

/// The meta form of the function `name` (of `torch` or `F`), given a meta argument.
fn call(interp: &mut Interpreter, name: &str, args: Args) -> R<Value> {
    match name {
        "cat" | "concat" | "concatenate" => join(interp, &args, false),
        "stack" => join(interp, &args, true),
        "zeros_like" | "ones_like" | "empty_like" | "rand_like" | "randn_like" | "full_like" => {
            let x = meta_arg(args.pos.first().or_else(|| kw(&args, "input")), "input")?;
            let t = MetaTensor::new(
                x.shape.clone(),
                dtype_arg(kw(&args, "dtype"))?.unwrap_or(x.dtype),
            );
            t.requires_grad
                .set(bool_arg(kw(&args, "requires_grad"), false));
            Ok(Value::native(t))
        }
        "linear" => {
            let [x, w, b] = args.bind(&["input", "weight", "bias="])?;
            let x = meta_arg(x.as_ref(), "input")?;
            let w = meta_arg(w.as_ref(), "weight")?;
            let b = match b.as_ref().filter(|b| !b.is_none()) {
                Some(b) => Some(meta_arg(Some(b), "bias")?),
                None => None,
            };
            linear(x, w, b)
        }
        "conv1d" | "conv2d" => {
            let nd = if name == "conv1d" { 1 } else { 2 };
            let [x, w, b, stride, padding, dilation, groups] = args.bind(&[
                "input",
                "weight",
                "bias=",
                "stride=",
                "padding=",
                "dilation=",
                "groups=",
            ])?;
            let x = meta_arg(x.as_ref(), "input")?;
            let w = meta_arg(w.as_ref(), "weight")?;
            let b_grad = match b.as_ref().filter(|b| !b.is_none()) {
                Some(b) => meta_arg(Some(b), "bias")?.requires_grad.get(),
                None => false,
            };
            let padding = match &padding {
                Some(Value::Str(s)) if &**s == "same" => Pad::Same,
                Some(Value::Str(s)) if &**s == "valid" => Pad::Sizes(vec![0; nd]),
                p => Pad::Sizes(int_list(p.as_ref(), nd, &vec![0; nd])?),
            };
            let groups = groups.map_or(Ok(1), |g| g.expect_int("groups"))?.max(1) as usize;
            let stride = int_list(stride.as_ref(), nd, &vec![1; nd])?;
            let dilation = int_list(dilation.as_ref(), nd, &vec![1; nd])?;
            conv(
                x,
                ConvArgs {
                    nd,
                    weight: &w.shape,
                    stride: &stride,
                    padding,
                    dilation: &dilation,
                    groups,
                    grad: w.requires_grad.get() || b_grad,
                },
            )
        }
        "max_pool1d" | "max_pool2d" | "avg_pool1d" | "avg_pool2d" => {
            let nd = if name.ends_with("1d") { 1 } else { 2 };
            let max = name.starts_with("max");
            let names: &[&str] = if max {
                &[
                    "input",
                    "kernel_size",
                    "stride=",
                    "padding=",
                    "dilation=",
                    "ceil_mode=",
                    "return_indices=",
                ]
            } else {
                &[
                    "input",
                    "kernel_size",
                    "stride=",
                    "padding=",
                    "ceil_mode=",
                    "count_include_pad=",
                    "divisor_override=",
                ]
            };
            let [x, k, s, p, a4, a5, _] = args.bind(names)?;
            let x = meta_arg(x.as_ref(), "input")?;
            let k = int_list(k.as_ref(), nd, &[])?;
            let s = match s.as_ref().filter(|s| !s.is_none()) {
                Some(s) => int_list(Some(s), nd, &k)?,
                None => k.clone(),
            };
            let p = int_list(p.as_ref(), nd, &vec![0; nd])?;
            let (d, ceil) = if max {
                (
                    int_list(a4.as_ref(), nd, &vec![1; nd])?,
                    bool_arg(a5.as_ref(), false),
                )
            } else {
                (vec![1; nd], bool_arg(a4.as_ref(), false))
            };
            pool(x, nd, &k, &s, &p, &d, ceil, max)
        }
        "adaptive_avg_pool2d" | "adaptive_avg_pool1d" => {
            let [x, size] = args.bind(&["input", "output_size"])?;
            let x = meta_arg(x.as_ref(), "input")?;
            let nd = if name.ends_with("1d") { 1 } else { 2 };
            let size = match &size {
                Some(Value::Tuple(items)) => items
                    .iter()
                    .map(|v| {
                        if v.is_none() {
                            Ok(None)
                        } else {
                            v.expect_int("size").map(|i| Some(i as usize))
                        }
                    })
                    .collect::<R<Vec<_>>>()?,
                v => vec![
                    Some(v.clone().unwrap_or(Value::None).expect_int("output_size")? as usize);
                    nd
                ],
            };
            adaptive_avg(x, &size)
        }
        "dropout" => {
            let [x, p, training, _] = args.bind(&["input", "p=", "training=", "inplace="])?;
            let x = meta_arg(x.as_ref(), "input")?;
            let p = super::convert::f64_arg(p.as_ref(), 0.5, "p")?;
            if bool_arg(training.as_ref(), true) && p > 0.0 {
                Ok(same_shape(x, "MulBackward0", false))
            } else {
                Ok(same_shape(x, "AliasBackward0", false))
            }
        }
        "matmul" | "mm" | "bmm" => {
            let [a, b] = args.bind(&["input", "other"])?;
            matmul(
                meta_arg(a.as_ref(), "input")?,
                meta_arg(b.as_ref(), "other")?,
            )
        }
        "flatten" => {
            let [x, s, e] = args.bind(&["input", "start_dim=", "end_dim="])?;
            let x = meta_arg(x.as_ref(), "input")?;
            flatten(
                x,
                s.map_or(Ok(0), |v| v.expect_int("start_dim"))?,
                e.map_or(Ok(-1), |v| v.expect_int("end_dim"))?,
            )
        }
        "relu" | "sigmoid" | "tanh" | "gelu" | "silu" | "softmax" | "log_softmax"
        | "batch_norm" | "layer_norm" => {
            let x = meta_arg(args.pos.first().or_else(|| kw(&args, "input")), "input")?;
            let node = match name {
                "batch_norm" => "NativeBatchNormBackward0",
                "layer_norm" => "NativeLayerNormBackward0",
                "relu" => "ReluBackward0",
                "sigmoid" => "SigmoidBackward0",
                "tanh" => "TanhBackward0",
                "gelu" => "GeluBackward0",
                "silu" => "SiluBackward0",
                "softmax" => "SoftmaxBackward0",
                _ => "LogSoftmaxBackward0",
            };
            Ok(unary(x, node))
        }
        _ => {
            // Functions that are also methods (`torch.reshape(x, ...)`, `torch.sum(x)`): the
            // method of the first argument.
            let mut args = args;
            let x = if args.pos.is_empty() {
                let i = args
                    .kw
                    .iter()
                    .position(|(k, _)| &**k == "input")
                    .ok_or_else(|| {
                        Exception::unsupported(format!("torch.{name} on the meta device"))
                    })?;
                args.kw.remove(i).1
            } else {
                args.pos.remove(0)
            };
            if as_meta(&x).is_none() {
                return Err(Exception::unsupported(format!(
                    "torch.{name} with a meta tensor after a CPU one"
                )));
            }
            let m = interp
                .get_attr(&x, name)
                .map_err(|_| Exception::unsupported(format!("torch.{name} on the meta device")))?;
            interp.call(
                &m,
                Args {
                    fname: name.into(),
                    this: None,
                    pos: args.pos,
                    kw: args.kw,
                },
            )
        }
    }
}

const TORCH_FUNCTIONS: &[&str] = &[
    "flatten",
    "relu",
    "sigmoid",
    "tanh",
    "exp",
    "log",
    "abs",
    "neg",
    "sqrt",
    "sin",
    "cos",
    "softmax",
    "log_softmax",
    "add",
    "sub",
    "mul",
    "div",
    "pow",
    "matmul",
    "mm",
    "bmm",
    "reshape",
    "transpose",
    "permute",
    "squeeze",
    "unsqueeze",
    "sum",
    "mean",
    "cat",
    "concat",
    "concatenate",
    "stack",
    "zeros_like",
    "ones_like",
    "empty_like",
    "rand_like",
    "randn_like",
    "full_like",
    "t",
    "square",
    "clone",
    "detach",
];

const F_FUNCTIONS: &[&str] = &[
    "linear",
    "conv1d",
    "conv2d",
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "dropout",
    "relu",
    "sigmoid",
    "tanh",
    "gelu",
    "silu",
    "softmax",
    "log_softmax",
    "batch_norm",
    "layer_norm",
];

thread_local! {
    /// The lesson's `torch` and `torch.nn.functional` modules until their functions learn the
    /// meta forms, which happens when the lesson makes its first meta tensor: lessons without
    /// one call the functions as they were, through no extra layer.
    static PENDING: RefCell<Option<(Rc<Module>, Rc<Module>)>> = const { RefCell::new(None) };
}

/// Keeps the modules whose functions `enable` will route (at a lesson's start).
pub fn prepare(torch: &Rc<Module>, functional: &Rc<Module>) {
    PENDING.with(|p| *p.borrow_mut() = Some((torch.clone(), functional.clone())));
}

/// Routes the functions above to their meta forms when an argument is a meta tensor; other
/// calls go to the function as it was. Runs once per lesson, at its first meta tensor, over
/// every other wrapper.
pub fn enable() {
    let Some((torch, functional)) = PENDING.with(|p| p.borrow_mut().take()) else {
        return;
    };
    for (m, names) in [(&*torch, TORCH_FUNCTIONS), (&*functional, F_FUNCTIONS)] {
        for &name in names {
            let Some(f) = m.get(name) else { continue };
            m.set(
                name,
                Value::builtin(name, move |interp, args| {
                    if has_meta(&args) {
                        call(interp, name, args)
                    } else {
                        interp.call(&f, args)
                    }
                }),
            );
        }
    }
}
