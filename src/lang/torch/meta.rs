//! Tensors on the meta device (`device="meta"`, `with torch.device("meta")`): a shape, a dtype
//! and autograd flags, with no elements, so that shapes can be worked out for inputs of any
//! size. Factories, the shape-changing methods, element-wise operators with broadcasting,
//! products, convolutions, pooling and the built-in layers compute their output shapes here;
//! what has no rule raises NotImplementedError (PyTorch would answer it).
//!
//! A meta tensor is its own native type beside `PyTensor`, as the engine's tensors always hold
//! their elements. Modules built on the meta device keep CPU parameters (docs/divergences.md);
//! their forward turns a meta input into a meta output through `meta_layers.rs`.

use std::cell::Cell;

use super::convert::{PySize, bool_arg, dtype_arg, dtype_value, kw, parse_shape};
use crate::lang::ast::{BinOp, UnaryOp};
use crate::lang::native::{Args, NativeObject, Op};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Tensor};

type R<T> = Result<T, Exception>;

/// A tensor on the meta device.
pub struct MetaTensor {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub requires_grad: Cell<bool>,
    /// The name of the backward node PyTorch would record (`ConvolutionBackward0`).
    pub grad_fn: Option<&'static str>,
}

impl MetaTensor {
    pub fn new(shape: Vec<usize>, dtype: DType) -> MetaTensor {
        super::meta_layers::enable();
        MetaTensor {
            shape,
            dtype,
            requires_grad: Cell::new(false),
            grad_fn: None,
        }
    }

    /// A result of an op over `inputs`: it requires grad (with node `node`) when grad mode is
    /// on and any input does.
    fn result(shape: Vec<usize>, dtype: DType, node: &'static str, inputs_grad: bool) -> Value {
        let rg = inputs_grad && crate::tensor::is_grad_enabled();
        let t = MetaTensor::new(shape, dtype);
        t.requires_grad.set(rg);
        Value::native(MetaTensor {
            grad_fn: rg.then_some(node),
            ..t
        })
    }

    fn numel(&self) -> usize {
        self.shape.iter().product()
    }
}

/// The meta tensor `v` is, if it is one.
pub fn as_meta(v: &Value) -> Option<&MetaTensor> {
    v.downcast::<MetaTensor>()
}

/// A CPU tensor seen as a meta one (its shape, dtype and grad flag): the parameters of a
/// module used with a meta input.
pub fn of_tensor(t: &Tensor) -> MetaTensor {
    let m = MetaTensor::new(t.shape(), t.dtype());
    m.requires_grad.set(t.requires_grad());
    m
}

fn no_data() -> Exception {
    Exception::new(
        "NotImplementedError",
        "Cannot copy out of meta tensor; no data!",
    )
}

fn not_supported(what: &str) -> Exception {
    Exception::unsupported(format!("{what} on the meta device"))
}

/// PyTorch's error for a CPU tensor (not a 0-d one) meeting a meta tensor in an op.
fn device_mismatch() -> Exception {
    Exception::runtime_error("Tensor on device cpu is not on the expected device meta!")
}

/// `d` wrapped into `0..ndim` (a 0-d tensor takes -1 and 0), or PyTorch's IndexError.
pub(super) fn wrap_dim(d: i64, ndim: usize) -> R<usize> {
    let n = ndim.max(1) as i64;
    let w = if d < 0 { d + n } else { d };
    if w < 0 || w >= n {
        return Err(Exception::new(
            "IndexError",
            format!(
                "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                -n,
                n - 1
            ),
        ));
    }
    Ok(w as usize)
}

/// Broadcasts shapes as PyTorch's meta kernels do (`_broadcast_shapes`), with their error.
pub fn broadcast(shapes: &[&[usize]]) -> R<Vec<usize>> {
    let n = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut common = vec![1usize; n];
    for (arg, shape) in shapes.iter().enumerate() {
        for i in 1..=shape.len() {
            let (c, s) = (&mut common[n - i], shape[shape.len() - i]);
            if *c == 1 {
                *c = s;
            } else if s != 1 && *c != s {
                let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
                let common: Vec<String> = common.iter().map(usize::to_string).collect();
                return Err(Exception::runtime_error(format!(
                    "Attempting to broadcast a dimension of length {s} at -{i}! Mismatching argument at index {arg} had torch.Size([{}]); but expected shape should be broadcastable to [{}]",
                    dims.join(", "),
                    common.join(", ")
                )));
            }
        }
    }
    Ok(common)
}

/// The other operand of an element-wise op: a meta tensor, a 0-d CPU tensor or a number
/// (both taken as scalars), else None for types the op does not take.
enum Other {
    Meta(Vec<usize>, DType, bool),
    Scalar(DType),
}

fn other_operand(v: &Value) -> R<Option<Other>> {
    if let Some(m) = as_meta(v) {
        return Ok(Some(Other::Meta(
            m.shape.clone(),
            m.dtype,
            m.requires_grad.get(),
        )));
    }
    if let Some(t) = super::convert::as_tensor(v) {
        if t.dim() > 0 {
            return Err(device_mismatch());
        }
        return Ok(Some(Other::Scalar(t.dtype())));
    }
    Ok(match v {
        Value::Bool(_) => Some(Other::Scalar(DType::Bool)),
        Value::Int(_) => Some(Other::Scalar(DType::Int64)),
        Value::Float(_) => Some(Other::Scalar(DType::Float32)),
        _ => None,
    })
}

/// The dtype of `a op scalar`: a number of a higher category than the tensor gives the
/// default type of that category, else the tensor's dtype wins.
fn with_scalar(a: DType, s: DType) -> DType {
    let cat = |d: DType| {
        if d == DType::Bool {
            0
        } else if d.is_floating_point() {
            2
        } else {
            1
        }
    };
    if cat(s) > cat(a) {
        if cat(s) == 2 {
            DType::Float32
        } else {
            DType::Int64
        }
    } else {
        a
    }
}

/// `a op b` for an element-wise binary op.
fn elementwise(a: &MetaTensor, b: &Value, op: BinOp, reflected: bool) -> R<Option<Value>> {
    let Some(other) = other_operand(b)? else {
        return Ok(None);
    };
    let (shape, dtype, grad) = match other {
        Other::Meta(s, d, g) => {
            let (l, r) = if reflected {
                (&s[..], &a.shape[..])
            } else {
                (&a.shape[..], &s[..])
            };
            (
                broadcast(&[l, r])?,
                a.dtype.promote(d),
                a.requires_grad.get() || g,
            )
        }
        Other::Scalar(d) => (
            a.shape.clone(),
            with_scalar(a.dtype, d),
            a.requires_grad.get(),
        ),
    };
    let (dtype, node) = match (op, reflected) {
        (BinOp::Add, _) => (dtype, "AddBackward0"),
        (BinOp::Sub, false) => (dtype, "SubBackward0"),
        (BinOp::Sub, true) => (dtype, "RsubBackward1"),
        (BinOp::Mul, _) => (dtype, "MulBackward0"),
        // True division of integers gives the default float type.
        (BinOp::Div, _) => (
            if dtype.is_floating_point() {
                dtype
            } else {
                DType::Float32
            },
            "DivBackward0",
        ),
        (BinOp::Pow, false) => (dtype, "PowBackward0"),
        (BinOp::Pow, true) => (dtype, "PowBackward1"),
        _ => return Err(not_supported(&format!("the operator {op:?}"))),
    };
    Ok(Some(MetaTensor::result(shape, dtype, node, grad)))
}

/// `a @ b` with PyTorch's shape rules (`torch.matmul`).
pub fn matmul(a: &MetaTensor, b: &MetaTensor) -> R<Value> {
    let (sa, sb) = (&a.shape, &b.shape);
    let grad = a.requires_grad.get() || b.requires_grad.get();
    let dtype = a.dtype.promote(b.dtype);
    let mismatch = |m: &[usize], n: &[usize]| {
        let dims = |s: &[usize]| {
            s.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        Exception::runtime_error(format!(
            "a and b must have same reduction dim, but got [{}] X [{}].",
            dims(m),
            dims(n)
        ))
    };
    if sa.is_empty() || sb.is_empty() {
        return Err(Exception::runtime_error(format!(
            "both arguments to matmul need to be at least 1D, but they are {}D and {}D",
            sa.len(),
            sb.len()
        )));
    }
    let (shape, node) = match (sa.len(), sb.len()) {
        (1, 1) => {
            if sa[0] != sb[0] {
                return Err(Exception::runtime_error(format!(
                    "inconsistent tensor size, expected tensor [{}] and src [{}] to have the same number of elements, but got {} and {} elements respectively",
                    sa[0], sb[0], sa[0], sb[0]
                )));
            }
            (vec![], "DotBackward0")
        }
        (2, 1) => {
            if sa[1] != sb[0] {
                return Err(Exception::runtime_error(format!(
                    "size mismatch, got input ({}), mat ({}x{}), vec ({})",
                    sa[0], sa[0], sa[1], sb[0]
                )));
            }
            (vec![sa[0]], "MvBackward0")
        }
        (1, 2) => {
            if sa[0] != sb[0] {
                return Err(mismatch(&[1, sa[0]], sb));
            }
            (vec![sb[1]], "SqueezeBackward4")
        }
        (2, 2) => {
            if sa[1] != sb[0] {
                return Err(mismatch(sa, sb));
            }
            (vec![sa[0], sb[1]], "MmBackward0")
        }
        _ => {
            // Batched: the batch dims broadcast, the matrices multiply.
            let ma = if sa.len() == 1 {
                vec![1, sa[0]]
            } else {
                sa[sa.len() - 2..].to_vec()
            };
            let mb = if sb.len() == 1 {
                vec![sb[0], 1]
            } else {
                sb[sb.len() - 2..].to_vec()
            };
            if ma[1] != mb[0] {
                return Err(mismatch(sa, sb));
            }
            let ba = &sa[..sa.len().saturating_sub(2)];
            let bb = &sb[..sb.len().saturating_sub(2)];
            let mut shape = broadcast(&[ba, bb])?;
            if sa.len() > 1 {
                shape.push(ma[0]);
            }
            if sb.len() > 1 {
                shape.push(mb[1]);
            }
            let node = if sa.len() == 3 && sb.len() == 3 {
                "BmmBackward0"
            } else {
                "UnsafeViewBackward0"
            };
            (shape, node)
        }
    };
    Ok(MetaTensor::result(shape, dtype, node, grad))
}

/// `view`/`reshape` sizes with one `-1` inferred.
fn infer_shape(dims: &[i64], numel: usize) -> R<Vec<usize>> {
    let invalid = || {
        let d: Vec<String> = dims.iter().map(i64::to_string).collect();
        Exception::runtime_error(format!(
            "shape '[{}]' is invalid for input of size {numel}",
            d.join(", ")
        ))
    };
    let mut infer = None;
    let mut known = 1usize;
    for (i, &d) in dims.iter().enumerate() {
        match d {
            -1 if infer.is_none() => infer = Some(i),
            -1 => {
                return Err(Exception::runtime_error(
                    "only one dimension can be inferred",
                ));
            }
            d if d < 0 => {
                return Err(Exception::runtime_error(format!(
                    "invalid shape dimension {d}"
                )));
            }
            d => known = known.saturating_mul(d as usize),
        }
    }
    let mut shape: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
    match infer {
        Some(i) => {
            if known == 0 || !numel.is_multiple_of(known) {
                return Err(invalid());
            }
            shape[i] = numel / known;
        }
        None if known != numel => return Err(invalid()),
        None => {}
    }
    Ok(shape)
}

/// `torch.flatten(x, start_dim, end_dim)`.
pub fn flatten(x: &MetaTensor, start: i64, end: i64) -> R<Value> {
    if x.shape.is_empty() {
        return Ok(MetaTensor::result(
            vec![1],
            x.dtype,
            "ViewBackward0",
            x.requires_grad.get(),
        ));
    }
    let (s, e) = (
        wrap_dim(start, x.shape.len())?,
        wrap_dim(end, x.shape.len())?,
    );
    if s > e {
        return Err(Exception::runtime_error(
            "flatten() has invalid args: start_dim cannot come after end_dim",
        ));
    }
    if s == e {
        return Ok(same(x));
    }
    let mut shape = x.shape[..s].to_vec();
    shape.push(x.shape[s..=e].iter().product());
    shape.extend_from_slice(&x.shape[e + 1..]);
    Ok(MetaTensor::result(
        shape,
        x.dtype,
        "ViewBackward0",
        x.requires_grad.get(),
    ))
}

/// A handle on the same meta tensor (what an op that returns its input gives back).
fn same(x: &MetaTensor) -> Value {
    Value::native(MetaTensor {
        shape: x.shape.clone(),
        dtype: x.dtype,
        requires_grad: Cell::new(x.requires_grad.get()),
        grad_fn: x.grad_fn,
    })
}

/// An element-wise op of one input: same shape and dtype, node `node`.
pub fn unary(x: &MetaTensor, node: &'static str) -> Value {
    MetaTensor::result(x.shape.clone(), x.dtype, node, x.requires_grad.get())
}

/// The output shape of a reduction over `dims` (all when None).
fn reduced(x: &MetaTensor, dims: Option<Vec<isize>>, keepdim: bool) -> R<Vec<usize>> {
    let Some(dims) = dims else {
        return Ok(if keepdim {
            vec![1; x.shape.len()]
        } else {
            vec![]
        });
    };
    let mut drop = vec![false; x.shape.len()];
    for d in dims {
        drop[wrap_dim(d as i64, x.shape.len())?] = true;
    }
    Ok(x.shape
        .iter()
        .zip(&drop)
        .filter_map(|(&s, &d)| {
            if !d {
                Some(s)
            } else if keepdim {
                Some(1)
            } else {
                None
            }
        })
        .collect())
}

fn receiver(args: &Args) -> R<&MetaTensor> {
    args.this_native::<MetaTensor>()
}

/// `x.to(...)`, `x.float()`, ...: a dtype change, staying on the meta device.
fn to_dtype(x: &MetaTensor, d: DType) -> Value {
    if d == x.dtype {
        return same(x);
    }
    let grad = x.requires_grad.get() && d.is_floating_point();
    MetaTensor::result(x.shape.clone(), d, "ToCopyBackward0", grad)
}

/// The backward node name of a unary method, or None when `name` is not one.
fn unary_node(name: &str) -> Option<&'static str> {
    Some(match name {
        "relu" => "ReluBackward0",
        "sigmoid" => "SigmoidBackward0",
        "tanh" => "TanhBackward0",
        "exp" => "ExpBackward0",
        "log" => "LogBackward0",
        "abs" => "AbsBackward0",
        "neg" => "NegBackward0",
        "sqrt" => "SqrtBackward0",
        "sin" => "SinBackward0",
        "cos" => "CosBackward0",
        "gelu" => "GeluBackward0",
        "silu" => "SiluBackward0",
        "square" => "PowBackward0",
        "clone" => "CloneBackward0",
        "softmax" => "SoftmaxBackward0",
        "log_softmax" => "LogSoftmaxBackward0",
        _ => return None,
    })
}

fn dims_from(interp: &mut Interpreter, pos: &[Value]) -> R<Vec<i64>> {
    let items: Vec<Value> = match pos {
        [one] if !matches!(one, Value::Int(_) | Value::Bool(_)) => interp.iterate(one)?,
        many => many.to_vec(),
    };
    items.iter().map(|v| v.expect_int("size")).collect()
}

/// A method of a meta tensor.
fn method(this: &Value, name: &str) -> Option<Value> {
    let m = |f: fn(&mut Interpreter, &MetaTensor, &Args) -> R<Value>| {
        Some(Value::method(this.clone(), name, move |interp, args| {
            f(interp, receiver(&args)?, &args)
        }))
    };
    if let Some(node) = unary_node(name) {
        return Some(Value::method(this.clone(), name, move |_, args| {
            Ok(unary(receiver(&args)?, node))
        }));
    }
    match name {
        "size" => m(|_, x, args| {
            let [d] = args.bind(&["dim="])?;
            Ok(match d.filter(|d| !d.is_none()) {
                None => Value::native(PySize(x.shape.clone())),
                Some(d) => {
                    Value::Int(x.shape[wrap_dim(d.expect_int("dim")?, x.shape.len())?] as i64)
                }
            })
        }),
        "dim" | "ndimension" => m(|_, x, _| Ok(Value::Int(x.shape.len() as i64))),
        "numel" | "nelement" => m(|_, x, _| Ok(Value::Int(x.numel() as i64))),
        "element_size" => m(|_, x, _| Ok(Value::Int(x.dtype.element_size() as i64))),
        "stride" => m(|_, x, args| {
            let [d] = args.bind(&["dim="])?;
            let mut strides = vec![1usize; x.shape.len()];
            for i in (0..x.shape.len().saturating_sub(1)).rev() {
                strides[i] = strides[i + 1] * x.shape[i + 1].max(1);
            }
            Ok(match d.filter(|d| !d.is_none()) {
                None => Value::tuple(strides.iter().map(|&s| Value::Int(s as i64)).collect()),
                Some(d) => {
                    Value::Int(strides[wrap_dim(d.expect_int("dim")?, x.shape.len())?] as i64)
                }
            })
        }),
        "view" | "reshape" => m(|interp, x, args| {
            let dims = dims_from(interp, &args.pos)?;
            let shape = infer_shape(&dims, x.numel())?;
            let node = "ViewBackward0";
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                node,
                x.requires_grad.get(),
            ))
        }),
        "flatten" => m(|_, x, args| {
            let [s, e] = args.bind(&["start_dim=", "end_dim="])?;
            let s = s.map_or(Ok(0), |v| v.expect_int("start_dim"))?;
            let e = e.map_or(Ok(-1), |v| v.expect_int("end_dim"))?;
            flatten(x, s, e)
        }),
        "unsqueeze" => m(|_, x, args| {
            let [d] = args.bind(&["dim"])?;
            let d = d.unwrap_or(Value::None).expect_int("dim")?;
            let d = wrap_dim(d, x.shape.len() + 1)?;
            let mut shape = x.shape.clone();
            shape.insert(d, 1);
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                "UnsqueezeBackward0",
                x.requires_grad.get(),
            ))
        }),
        "squeeze" => m(|_, x, args| {
            let [d] = args.bind(&["dim="])?;
            let shape: Vec<usize> = match d.filter(|d| !d.is_none()) {
                None => x.shape.iter().copied().filter(|&s| s != 1).collect(),
                Some(d) => {
                    let d = wrap_dim(d.expect_int("dim")?, x.shape.len())?;
                    let mut s = x.shape.clone();
                    if s.get(d) == Some(&1) {
                        s.remove(d);
                    }
                    s
                }
            };
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                "SqueezeBackward0",
                x.requires_grad.get(),
            ))
        }),
        "transpose" | "swapaxes" => m(|_, x, args| {
            let [a, b] = args.bind(&["dim0", "dim1"])?;
            let n = x.shape.len();
            let a = wrap_dim(a.unwrap_or(Value::None).expect_int("dim0")?, n)?;
            let b = wrap_dim(b.unwrap_or(Value::None).expect_int("dim1")?, n)?;
            let mut shape = x.shape.clone();
            if n > 0 {
                shape.swap(a, b);
            }
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                "TransposeBackward0",
                x.requires_grad.get(),
            ))
        }),
        "t" => m(|_, x, _| {
            if x.shape.len() > 2 {
                return Err(Exception::runtime_error(format!(
                    "t() expects a tensor with <= 2 dimensions, but self is {}D",
                    x.shape.len()
                )));
            }
            let shape: Vec<usize> = x.shape.iter().rev().copied().collect();
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                "TBackward0",
                x.requires_grad.get(),
            ))
        }),
        "permute" => m(|interp, x, args| {
            let dims = dims_from(interp, &args.pos)?;
            if dims.len() != x.shape.len() {
                return Err(Exception::runtime_error(format!(
                    "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {} is not equal to len(dims) = {}",
                    x.shape.len(),
                    dims.len()
                )));
            }
            let shape = dims
                .iter()
                .map(|&d| wrap_dim(d, x.shape.len()).map(|d| x.shape[d]))
                .collect::<R<Vec<_>>>()?;
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                "PermuteBackward0",
                x.requires_grad.get(),
            ))
        }),
        "expand" => m(|interp, x, args| {
            let dims = dims_from(interp, &args.pos)?;
            let off = dims.len().saturating_sub(x.shape.len());
            let shape = dims
                .iter()
                .enumerate()
                .map(|(i, &d)| {
                    if d == -1 && i >= off {
                        x.shape[i - off]
                    } else {
                        d.max(0) as usize
                    }
                })
                .collect::<Vec<_>>();
            broadcast(&[&x.shape, &shape])?;
            Ok(MetaTensor::result(
                shape,
                x.dtype,
                "ExpandBackward0",
                x.requires_grad.get(),
            ))
        }),
        "contiguous" => m(|_, x, _| Ok(same(x))),
        "detach" => m(|_, x, _| Ok(Value::native(MetaTensor::new(x.shape.clone(), x.dtype)))),
        "requires_grad_" => Some(Value::method(this.clone(), name, |_, args| {
            let [flag] = args.bind(&["requires_grad="])?;
            receiver(&args)?
                .requires_grad
                .set(bool_arg(flag.as_ref(), true));
            Ok(args.this.clone().unwrap_or(Value::None))
        })),
        "sum" | "mean" => m(|interp, x, args| {
            let [dim, keepdim, dtype] = args.bind(&["dim=", "keepdim=", "dtype="])?;
            let dims = super::convert::dim_list(interp, dim.as_ref())?;
            let whole = dims.is_none();
            let shape = reduced(x, dims, bool_arg(keepdim.as_ref(), false))?;
            let sum = args.fname.as_ref() == "sum";
            let dtype = match dtype_arg(dtype.as_ref())? {
                Some(d) => d,
                None if sum && !x.dtype.is_floating_point() => DType::Int64,
                None => x.dtype,
            };
            let node = match (sum, whole) {
                (true, true) => "SumBackward0",
                (true, false) => "SumBackward1",
                (false, true) => "MeanBackward0",
                (false, false) => "MeanBackward1",
            };
            Ok(MetaTensor::result(
                shape,
                dtype,
                node,
                x.requires_grad.get(),
            ))
        }),
        "to" => m(|_, x, args| {
            let mut dtype = None;
            for v in args.pos.iter().chain(args.kw.iter().map(|(_, v)| v)) {
                if let Some(d) = dtype_arg(Some(v)).ok().flatten() {
                    dtype = Some(d);
                } else if matches!(v, Value::Str(_))
                    || v.downcast::<super::device::PyDevice>().is_some()
                {
                    if super::device::parse_device(v)?.kind != "meta" {
                        return Err(no_data());
                    }
                } else if let Some(m) = as_meta(v) {
                    dtype = Some(m.dtype);
                } else if super::convert::as_tensor(v).is_some() {
                    return Err(no_data());
                }
            }
            Ok(dtype.map_or_else(|| same(x), |d| to_dtype(x, d)))
        }),
        "float" => m(|_, x, _| Ok(to_dtype(x, DType::Float32))),
        "double" => m(|_, x, _| Ok(to_dtype(x, DType::Float64))),
        "long" => m(|_, x, _| Ok(to_dtype(x, DType::Int64))),
        "int" => m(|_, x, _| Ok(to_dtype(x, DType::Int32))),
        "bool" => m(|_, x, _| Ok(to_dtype(x, DType::Bool))),
        "cpu" | "numpy" | "tolist" | "cuda" => m(|_, _, _| Err(no_data())),
        "item" => m(|_, x, _| {
            if x.numel() != 1 {
                return Err(Exception::runtime_error(format!(
                    "a Tensor with {} elements cannot be converted to Scalar",
                    x.numel()
                )));
            }
            Err(Exception::runtime_error(
                "Tensor.item() cannot be called on meta tensors",
            ))
        }),
        "matmul" | "mm" => m(|_, x, args| {
            let [o] = args.bind(&["other"])?;
            let o = o.unwrap_or(Value::None);
            let o = as_meta(&o).ok_or_else(device_mismatch)?;
            matmul(x, o)
        }),
        "add" | "sub" | "mul" | "div" | "pow" => m(|_, x, args| {
            let [o] = args.bind(&["other"])?;
            let op = match args.fname.as_ref() {
                "add" => BinOp::Add,
                "sub" => BinOp::Sub,
                "mul" => BinOp::Mul,
                "div" => BinOp::Div,
                _ => BinOp::Pow,
            };
            let o = o.unwrap_or(Value::None);
            elementwise(x, &o, op, false)?.ok_or_else(|| {
                Exception::type_error(format!(
                    "{}(): argument 'other' must be Tensor or Number, not {}",
                    args.fname,
                    o.type_name()
                ))
            })
        }),
        _ => None,
    }
}

impl NativeObject for MetaTensor {
    fn type_name(&self) -> &str {
        "Tensor"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn snapshot(&self, _: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(MetaTensor {
            shape: self.shape.clone(),
            dtype: self.dtype,
            requires_grad: Cell::new(self.requires_grad.get()),
            grad_fn: self.grad_fn,
        }))
    }
    fn repr(&self) -> String {
        crate::tensor::meta_repr(
            &self.shape,
            self.dtype,
            self.grad_fn,
            self.requires_grad.get(),
            false,
        )
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Tensor"
    }
    fn index(&self) -> Option<Result<i64, String>> {
        Some(Err("Tensor.item() cannot be called on meta tensors".into()))
    }
    fn as_number(&self, _: &mut Interpreter) -> R<Option<Value>> {
        Err(Exception::runtime_error(
            "Tensor.item() cannot be called on meta tensors",
        ))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        match self.shape.first() {
            Some(&n) => Ok(Some(n)),
            None => Err(Exception::type_error("len() of a 0-d tensor")),
        }
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "shape" => Value::native(PySize(self.shape.clone())),
            "dtype" => dtype_value(self.dtype),
            "device" => Value::native(super::device::PyDevice {
                kind: "meta".into(),
                index: None,
            }),
            "is_meta" => Value::Bool(true),
            "is_cuda" => Value::Bool(false),
            "ndim" => Value::Int(self.shape.len() as i64),
            "requires_grad" => Value::Bool(self.requires_grad.get()),
            "is_leaf" => Value::Bool(self.grad_fn.is_none()),
            "grad" => Value::None,
            "grad_fn" => match self.grad_fn {
                None => Value::None,
                Some(n) => Value::native(MetaNode(n)),
            },
            "data" => Value::native(MetaTensor::new(self.shape.clone(), self.dtype)),
            "itemsize" => Value::Int(self.dtype.element_size() as i64),
            "nbytes" => Value::Int((self.dtype.element_size() * self.numel()) as i64),
            "T" => {
                let shape: Vec<usize> = self.shape.iter().rev().copied().collect();
                MetaTensor::result(
                    shape,
                    self.dtype,
                    "PermuteBackward0",
                    self.requires_grad.get(),
                )
            }
            _ => return Ok(method(this, name)),
        }))
    }
    fn set_attr(&self, _: &Value, name: &str, value: Value, interp: &mut Interpreter) -> R<bool> {
        match name {
            "requires_grad" => {
                let flag = interp.truthy(&value)?;
                if !flag && self.grad_fn.is_some() {
                    return Err(Exception::runtime_error(
                        "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().",
                    ));
                }
                self.requires_grad.set(flag);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    fn binary_op(
        &self,
        _: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        match op {
            Op::Bin(BinOp::MatMul) => {
                let Some(o) = as_meta(other) else {
                    return if super::convert::as_tensor(other).is_some() {
                        Err(device_mismatch())
                    } else {
                        Ok(None)
                    };
                };
                if reflected {
                    matmul(o, self).map(Some)
                } else {
                    matmul(self, o).map(Some)
                }
            }
            Op::Bin(b) => elementwise(self, other, b, reflected),
            Op::InPlace(_) => Ok(None),
            _ => Err(not_supported("comparisons")),
        }
    }
    fn unary_op(&self, _: &Value, op: UnaryOp, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match op {
            UnaryOp::Neg => Some(unary(self, "NegBackward0")),
            UnaryOp::Pos => Some(same(self)),
            _ => None,
        })
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let keys: Vec<Value> = match key {
            Value::Tuple(items) => items.to_vec(),
            k => vec![k.clone()],
        };
        let mut shape = Vec::new();
        let mut dim = 0;
        for k in &keys {
            match k {
                Value::Int(i) => {
                    let n = *self.shape.get(dim).ok_or_else(|| {
                        Exception::new("IndexError", "too many indices for tensor")
                    })? as i64;
                    if *i >= n || *i < -n {
                        return Err(Exception::new(
                            "IndexError",
                            format!("index {i} is out of bounds for dimension {dim} with size {n}"),
                        ));
                    }
                    dim += 1;
                }
                Value::None => shape.push(1),
                Value::Slice(sl) => {
                    let n = *self.shape.get(dim).ok_or_else(|| {
                        Exception::new("IndexError", "too many indices for tensor")
                    })? as i64;
                    let (start, stop, step) = super::slice_bounds(sl)?;
                    if step <= 0 {
                        return Err(Exception::new(
                            "ValueError",
                            "step must be greater than zero",
                        ));
                    }
                    // PyTorch clamps slice bounds into [0, n].
                    let clamp = |b: Option<i64>, dflt: i64| {
                        b.map_or(dflt, |b| if b < 0 { (b + n).max(0) } else { b.min(n) })
                    };
                    let (start, stop) = (clamp(start, 0), clamp(stop, n));
                    let len = if stop > start {
                        (stop - start + step - 1) / step
                    } else {
                        0
                    };
                    shape.push(len as usize);
                    dim += 1;
                }
                _ => return Err(not_supported("this kind of index")),
            }
        }
        shape.extend_from_slice(&self.shape[dim.min(self.shape.len())..]);
        let node = if keys.iter().all(|k| matches!(k, Value::Int(_))) {
            "SelectBackward0"
        } else {
            "SliceBackward0"
        };
        Ok(Some(MetaTensor::result(
            shape,
            self.dtype,
            node,
            self.requires_grad.get(),
        )))
    }
}

/// A meta tensor's `grad_fn`: only its name is known.
struct MetaNode(&'static str);

impl NativeObject for MetaNode {
    fn type_name(&self) -> &str {
        self.0
    }
    fn repr(&self) -> String {
        format!("<{} object at {:#x}>", self.0, self as *const Self as usize)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::builtin("name", {
                let n = self.0;
                move |_, _| Ok(Value::str(n))
            })),
            _ => None,
        })
    }
}

/// The size-only factories, which need no data on the meta device.
fn size_factory(interp: &mut Interpreter, name: &str, args: &Args) -> R<Value> {
    let dtype = dtype_arg(kw(args, "dtype"))?;
    let (dims, dtype) = match name {
        "full" => {
            let [size, fill] = [
                args.pos.first().cloned(),
                args.pos
                    .get(1)
                    .cloned()
                    .or_else(|| kw(args, "fill_value").cloned()),
            ];
            let size = size
                .or_else(|| kw(args, "size").cloned())
                .unwrap_or(Value::None);
            let d = match fill {
                Some(Value::Bool(_)) => DType::Bool,
                Some(Value::Int(_)) => DType::Int64,
                _ => DType::Float32,
            };
            (parse_shape(interp, &[size], name)?, dtype.unwrap_or(d))
        }
        _ => {
            let pos = if args.pos.is_empty() {
                kw(args, "size").cloned().into_iter().collect()
            } else {
                args.pos.clone()
            };
            (
                parse_shape(interp, &pos, name)?,
                dtype.unwrap_or(DType::Float32),
            )
        }
    };
    let t = MetaTensor::new(dims, dtype);
    t.requires_grad
        .set(bool_arg(kw(args, "requires_grad"), false));
    Ok(Value::native(t))
}

/// A factory called for the meta device (`device=` given, or the default device): the size
/// factories make no data at all; the others (`torch.tensor`, `arange`, ...) run on the CPU
/// and keep the result's shape and dtype, drawing nothing from the default generator, as no
/// meta factory does.
pub fn factory(interp: &mut Interpreter, name: &str, f: &Value, args: Args) -> R<Value> {
    if matches!(name, "rand" | "randn" | "zeros" | "ones" | "empty" | "full") {
        return size_factory(interp, name, &args);
    }
    let rng = super::default_rng();
    let saved = rng.as_ref().map(|g| g.borrow().clone());
    let r = interp.call(f, args);
    if let (Some(g), Some(s)) = (rng, saved) {
        *g.borrow_mut() = s;
    }
    let r = r?;
    Ok(match super::convert::as_tensor(&r) {
        Some(t) => Value::native(of_tensor(t)),
        None => r,
    })
}
