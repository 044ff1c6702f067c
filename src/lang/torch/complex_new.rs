//! Complex tensors made and taken apart: factories with `dtype=torch.complex64/128`,
//! `torch.complex`, `polar`, `view_as_real`/`view_as_complex`, `is_complex`, `cat`/`stack`
//! of complex parts, conversions (`.to`), reductions (`sum`, `mean`, `prod`), and the `torch.`
//! functions that take a complex tensor, routed to its methods.

use super::R;
use super::complex::{ComplexDType, ComplexTensor, PyComplex, wrap, wrap_fn};
use super::complex_math::{self as cm, Operand};
use super::convert::{as_tensor, dtype_arg, dtype_value, exc, kw, shape_args, tv};
use crate::lang::ast::BinOp;
use crate::lang::native::{Args, Op};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Tensor};

fn real_dtype(wide: bool) -> DType {
    if wide { DType::Float64 } else { DType::Float32 }
}

/// The `dtype=` argument when it names a complex dtype: Some(wide).
fn complex_dtype(args: &Args) -> Option<bool> {
    kw(args, "dtype")
        .and_then(|v| v.downcast::<ComplexDType>())
        .map(|d| d.0)
}

/// `args` with `dtype=` replaced by the real dtype of the parts, and without `name=`.
fn with_real_dtype(args: &Args, wide: bool, drop: &str) -> Args {
    let kw = args
        .kw
        .iter()
        .filter(|(k, _)| &**k != drop)
        .map(|(k, v)| {
            let v = if &**k == "dtype" {
                dtype_value(real_dtype(wide))
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    Args {
        fname: args.fname.clone(),
        this: None,
        pos: args.pos.clone(),
        kw,
    }
}

fn tensor_of(v: &Value, what: &str) -> R<Tensor> {
    as_tensor(v)
        .cloned()
        .ok_or_else(|| Exception::type_error(format!("{what} did not give a tensor")))
}

fn is_complex(v: &Value) -> bool {
    v.downcast::<ComplexTensor>().is_some()
}

/// Functions of `torch` that, given a complex tensor first, are that tensor's method.
const AS_METHOD: &[&str] = &[
    "sum",
    "mean",
    "prod",
    "reshape",
    "transpose",
    "permute",
    "flatten",
    "unsqueeze",
    "squeeze",
    "matmul",
    "mm",
    "dot",
    "vdot",
    "mul",
    "add",
    "sub",
    "div",
    "pow",
    "eq",
    "ne",
    "equal",
    "flip",
    "roll",
    "chunk",
    "split",
    "unbind",
    "movedim",
    "t",
    "clone",
    "narrow",
    "select",
    "diagonal",
    "tril",
    "triu",
    "exp",
    "log",
    "sqrt",
    "sin",
    "cos",
    "tanh",
    "sigmoid",
    "neg",
    "negative",
    "conj",
    "conj_physical",
    "resolve_conj",
    "resolve_neg",
    "reciprocal",
    "square",
    "angle",
    "cumsum",
    "swapaxes",
];

/// Binary functions whose complex operand may come second (`torch.mul(x, z)`).
const BINARY: &[(&str, BinOp)] = &[
    ("mul", BinOp::Mul),
    ("add", BinOp::Add),
    ("sub", BinOp::Sub),
    ("div", BinOp::Div),
    ("pow", BinOp::Pow),
    ("matmul", BinOp::MatMul),
];

fn operand_of(v: &Value) -> R<Operand> {
    cm::operand(v).ok_or_else(|| {
        Exception::type_error(format!(
            "expected a Tensor or number, not {}",
            v.type_name()
        ))
    })
}

/// `a op b` of two values, one of them complex.
pub fn apply(a: &Value, b: &Value, op: Op) -> R<Value> {
    let (a, b) = (operand_of(a)?, operand_of(b)?);
    if op == Op::Bin(BinOp::MatMul) {
        return cm::matmul(&cm::operand_tensor(&a)?, &cm::operand_tensor(&b)?);
    }
    cm::binary(&a, &b, op)?
        .ok_or_else(|| Exception::type_error("unsupported operand type(s) for complex tensors"))
}

/// Complex reductions and the binary methods of a complex tensor.
pub fn reduce(
    interp: &mut Interpreter,
    name: &str,
    re: &Tensor,
    im: &Tensor,
    args: Args,
) -> R<Value> {
    let this = wrap(re.clone(), im.clone());
    let wide = re.dtype() == DType::Float64;
    let other = || {
        args.pos.first().cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "{name}() missing 1 required positional argument: 'other'"
            ))
        })
    };
    let bin = |op| -> R<Value> { apply(&this, &other()?, op) };
    match name {
        "mul" => bin(Op::Bin(BinOp::Mul)),
        "add" => bin(Op::Bin(BinOp::Add)),
        "sub" => bin(Op::Bin(BinOp::Sub)),
        "div" => bin(Op::Bin(BinOp::Div)),
        "pow" => bin(Op::Bin(BinOp::Pow)),
        "eq" => bin(Op::Eq),
        "ne" => bin(Op::Ne),
        "matmul" | "mm" => bin(Op::Bin(BinOp::MatMul)),
        "dot" | "vdot" => {
            let o = other()?;
            let Some(c) = o.downcast::<ComplexTensor>() else {
                return Err(Exception::runtime_error(format!(
                    "{name} : expected both vectors to have same dtype, but found {} and {}",
                    if wide {
                        "ComplexDouble"
                    } else {
                        "ComplexFloat"
                    },
                    o.type_name()
                )));
            };
            let lhs = if name == "vdot" {
                wrap(re.clone(), im.neg().map_err(exc)?)
            } else {
                this.clone()
            };
            let p = apply(&lhs, &wrap(c.re.clone(), c.im.clone()), Op::Bin(BinOp::Mul))?;
            reduce(
                interp,
                "sum",
                &p.downcast::<ComplexTensor>().unwrap().re,
                &p.downcast::<ComplexTensor>().unwrap().im,
                Args::new("sum", vec![]),
            )
        }
        "equal" => {
            let o = other()?;
            Ok(Value::Bool(match o.downcast::<ComplexTensor>() {
                Some(c) => {
                    c.re.shape() == re.shape()
                        && c.re.to_f64_vec() == re.to_f64_vec()
                        && c.im.to_f64_vec() == im.to_f64_vec()
                }
                None => false,
            }))
        }
        "is_conj" | "is_neg" => Ok(Value::Bool(false)),
        "element_size" => Ok(Value::Int(if wide { 16 } else { 8 })),
        "prod" => prod(re, im, &args),
        // Sums are linear: each part is the sum of its parts (see docs/divergences.md on order).
        _ => {
            let call = |interp: &mut Interpreter, t: &Tensor| -> R<Tensor> {
                let f = interp.get_attr(&tv(t.clone()), name)?;
                let a = Args {
                    fname: args.fname.clone(),
                    this: None,
                    pos: args.pos.clone(),
                    kw: args
                        .kw
                        .iter()
                        .filter(|(k, _)| &**k != "dtype")
                        .cloned()
                        .collect(),
                };
                tensor_of(&interp.call(&f, a)?, name)
            };
            Ok(wrap(call(interp, re)?, call(interp, im)?))
        }
    }
}

/// `prod()` over all elements or one dim, multiplying left to right in the parts' precision.
fn prod(re: &Tensor, im: &Tensor, args: &Args) -> R<Value> {
    let wide = re.dtype() == DType::Float64;
    let r = cm::rounder(wide);
    let shape = re.shape();
    let (vr, vi) = (re.contiguous().to_f64_vec(), im.contiguous().to_f64_vec());
    let dim = args
        .pos
        .first()
        .or(kw(args, "dim"))
        .filter(|v| !matches!(v, Value::None));
    let keepdim = kw(args, "keepdim").is_some_and(|v| matches!(v, Value::Bool(true)));
    let (outer, n, inner, out_shape) = match dim {
        None => (1, vr.len(), 1, vec![]),
        Some(d) => {
            let d = super::meta::wrap_dim(d.expect_int("dim")?, shape.len())?;
            // A 0-d tensor takes dim 0 or -1 and stays 0-d (indexing its empty shape panicked).
            if shape.is_empty() {
                return cm::make(vr, vi, &[], wide);
            }
            let mut s = shape.clone();
            if keepdim {
                s[d] = 1
            } else {
                s.remove(d);
            }
            (
                shape[..d].iter().product(),
                shape[d],
                shape[d + 1..].iter().product(),
                s,
            )
        }
    };
    let (mut or, mut oi) = (Vec::new(), Vec::new());
    for o in 0..outer {
        for i in 0..inner {
            let (mut a, mut b) = (1.0, 0.0);
            for k in 0..n {
                let p = (o * n + k) * inner + i;
                let (c, d) = (vr[p], vi[p]);
                (a, b) = (r(r(a * c) - r(b * d)), r(r(a * d) + r(b * c)));
            }
            or.push(a);
            oi.push(b);
        }
    }
    cm::make(or, oi, &out_shape, wide)
}

/// `.to(dtype)`, `.float()`, ... of a complex tensor; autograd on one is not supported.
pub fn convert(_: &mut Interpreter, name: &str, re: &Tensor, im: &Tensor, args: Args) -> R<Value> {
    let target = match name {
        "float" => Some(Value::native(super::convert::PyDType(DType::Float32))),
        "double" => Some(Value::native(super::convert::PyDType(DType::Float64))),
        "to" | "type" => kw(&args, "dtype")
            .or_else(|| {
                args.pos
                    .iter()
                    .find(|v| v.downcast::<ComplexDType>().is_some() || dtype_arg(Some(v)).is_ok())
            })
            .cloned(),
        "numpy" => return Err(Exception::unsupported("numpy() of a complex tensor")),
        _ => return Err(Exception::unsupported("autograd through complex tensors")),
    };
    match target {
        None => Ok(wrap(re.clone(), im.clone())),
        Some(v) => match v.downcast::<ComplexDType>() {
            Some(d) => {
                let dt = real_dtype(d.0);
                Ok(wrap(
                    re.to_dtype(dt).map_err(exc)?,
                    im.to_dtype(dt).map_err(exc)?,
                ))
            }
            // PyTorch warns that the imaginary part is discarded (a warning goes to no output).
            None => match dtype_arg(Some(&v))? {
                Some(dt) => Ok(tv(re.to_dtype(dt).map_err(exc)?)),
                None => Ok(wrap(re.clone(), im.clone())),
            },
        },
    }
}

/// `t.to(...)` of a real tensor, where a complex dtype makes a complex tensor.
pub fn to_complex(this: &Value, real_to: Value) -> Value {
    let this = this.clone();
    Value::builtin("to", move |interp, args| {
        let target = kw(&args, "dtype")
            .or(args.pos.first())
            .and_then(|v| v.downcast::<ComplexDType>())
            .map(|d| d.0);
        match (target, as_tensor(&this)) {
            (Some(wide), Some(t)) => {
                let c = promote(t, wide)?;
                Ok(wrap(c.re, c.im))
            }
            _ => interp.call(&real_to, args),
        }
    })
}

/// A real tensor as a complex one of the given width.
fn promote(t: &Tensor, wide: bool) -> R<ComplexTensor> {
    let re = t.to_dtype(real_dtype(wide)).map_err(exc)?;
    let im = Tensor::zeros(&re.shape(), re.dtype());
    Ok(ComplexTensor { re, im })
}

/// `view_as_complex`: a real tensor whose last dim is 2.
fn view_as_complex(t: &Tensor) -> R<Value> {
    if !matches!(t.dtype(), DType::Float32 | DType::Float64) {
        return Err(Exception::runtime_error(format!(
            "view_as_complex is only supported for floating point tensors, but got a tensor of scalar type: {}",
            t.dtype().scalar_name()
        )));
    }
    let shape = t.shape();
    if shape.last() != Some(&2) {
        return Err(Exception::runtime_error(
            "Tensor must have a last dimension of size 2",
        ));
    }
    let n = shape.len() as isize - 1;
    let re = t.select(n, 0).map_err(exc)?.contiguous();
    let im = t.select(n, 1).map_err(exc)?.contiguous();
    Ok(wrap(re, im))
}

/// Installs complex factories and functions into `torch`.
pub fn install(torch: &Module) {
    for name in ["zeros", "ones", "empty"] {
        wrap_fn(torch, name, |interp, args, old| {
            let Some(wide) = complex_dtype(&args) else {
                return interp.call(old, args);
            };
            let re = tensor_of(
                &interp.call(old, with_real_dtype(&args, wide, ""))?,
                "factory",
            )?;
            let im = Tensor::zeros(&re.shape(), re.dtype());
            Ok(wrap(re, im))
        });
    }
    wrap_fn(torch, "full", |interp, args, old| {
        let fill = args.pos.get(1).or(kw(&args, "fill_value")).cloned();
        let c = fill
            .as_ref()
            .and_then(|f| f.downcast::<PyComplex>().map(|c| (c.re, c.im)));
        let wide = match (complex_dtype(&args), c) {
            (Some(w), _) => w,
            (None, Some(_)) if kw(&args, "dtype").is_none_or(|v| matches!(v, Value::None)) => false,
            _ => return interp.call(old, args),
        };
        let (fr, fi) = match (c, &fill) {
            (Some(c), _) => c,
            (None, Some(v)) => (operand_of(v)?.re[0], 0.0),
            (None, None) => return interp.call(old, args),
        };
        let mut a = with_real_dtype(&args, wide, "fill_value");
        if !a.kw.iter().any(|(k, _)| &**k == "dtype") {
            a.kw.push(("dtype".into(), dtype_value(real_dtype(wide))));
        }
        a.pos.truncate(1);
        a.pos.push(Value::Float(fr));
        let re = tensor_of(&interp.call(old, a)?, "full")?;
        let im = Tensor::full(&re.shape(), engine::Scalar::Float(fi), re.dtype());
        Ok(wrap(re, im))
    });
    // A complex randn draws its 2n parts as one normal_(0, 1/sqrt(2)) of a float tensor
    // (ATen's normal_ on view_as_real), real and imaginary parts interleaved.
    wrap_fn(torch, "randn", |interp, args, old| {
        let Some(wide) = complex_dtype(&args) else {
            return interp.call(old, args);
        };
        let pos = match kw(&args, "size") {
            Some(s) => vec![s.clone()],
            None => args.pos.clone(),
        };
        let shape = shape_args(interp, &pos, "randn")?;
        let n: usize = shape.iter().product();
        let g = super::generator_arg(&args)?;
        let t = engine::normal(
            &mut g.borrow_mut(),
            &[n, 2],
            real_dtype(wide),
            0.0,
            // ATen's `std / std::sqrt(2)`: one ulp below FRAC_1_SQRT_2 in double.
            1.0 / 2f64.sqrt(),
        )
        .map_err(exc)?;
        let part = |i| -> R<Tensor> {
            let s: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
            t.select(1, i)
                .map_err(exc)?
                .contiguous()
                .reshape(&s)
                .map_err(exc)
        };
        Ok(wrap(part(0)?, part(1)?))
    });
    wrap_fn(torch, "tensor", |interp, args, old| {
        let Some(wide) = complex_dtype(&args) else {
            return interp.call(old, args);
        };
        let data = args.pos.first().cloned().unwrap_or(Value::None);
        let a = Args {
            fname: args.fname.clone(),
            this: None,
            pos: vec![data],
            kw: vec![],
        };
        let v = interp.call(old, a)?;
        let c = match v.downcast::<ComplexTensor>() {
            Some(c) => ComplexTensor {
                re: c.re.clone(),
                im: c.im.clone(),
            },
            None => promote(&tensor_of(&v, "tensor")?, wide)?,
        };
        let dt = real_dtype(wide);
        Ok(wrap(
            c.re.to_dtype(dt).map_err(exc)?,
            c.im.to_dtype(dt).map_err(exc)?,
        ))
    });
    // `torch.angle` of a real tensor: pi for negatives, zero otherwise (NaN stays NaN).
    if torch.get("angle").is_none() {
        torch.set(
            "angle",
            Value::builtin("angle", |_, args| {
                let [x] = args.bind(&["input"])?;
                let x = x.unwrap_or(Value::None);
                let t = tensor_of(&x, "angle")?;
                let dt = if t.dtype().is_floating_point() {
                    t.dtype()
                } else {
                    DType::Float32
                };
                let v: Vec<f64> = t
                    .contiguous()
                    .to_f64_vec()
                    .iter()
                    .map(|&v| {
                        if v.is_nan() {
                            v
                        } else if v < 0.0 {
                            std::f64::consts::PI
                        } else {
                            0.0
                        }
                    })
                    .collect();
                let r = Tensor::from_data(engine::Data::F64(v), &t.shape()).map_err(exc)?;
                Ok(tv(r.to_dtype(dt).map_err(exc)?))
            }),
        );
    }
    for &name in AS_METHOD {
        wrap_fn(torch, name, move |interp, args, old| {
            if let Some(first) = args.pos.first().filter(|v| is_complex(v)).cloned() {
                let f = interp.get_attr(&first, name)?;
                let a = Args {
                    fname: args.fname.clone(),
                    this: None,
                    pos: args.pos[1..].to_vec(),
                    kw: args.kw.clone(),
                };
                return interp.call(&f, a);
            }
            if let (Some((_, op)), [a, b]) =
                (BINARY.iter().find(|(n, _)| *n == name), &args.pos[..])
                && (is_complex(b) || b.downcast::<PyComplex>().is_some())
            {
                return apply(a, b, Op::Bin(*op));
            }
            interp.call(old, args)
        });
    }
    for name in ["cat", "stack", "concat", "concatenate"] {
        wrap_fn(torch, name, move |interp, args, old| {
            let items = match args.pos.first() {
                Some(v @ (Value::List(_) | Value::Tuple(_))) => interp.iterate(v)?,
                _ => return interp.call(old, args),
            };
            if !items.iter().any(is_complex) {
                return interp.call(old, args);
            }
            let ops: Vec<Operand> = items.iter().map(operand_of).collect::<R<_>>()?;
            let wide = cm::result_ty(&ops.iter().collect::<Vec<_>>()).wide;
            let mut parts = (Vec::new(), Vec::new());
            for o in &ops {
                let c = cm::operand_tensor(o)?;
                let dt = real_dtype(wide);
                parts.0.push(tv(c.re.to_dtype(dt).map_err(exc)?));
                parts.1.push(tv(c.im.to_dtype(dt).map_err(exc)?));
            }
            let call = |interp: &mut Interpreter, p: Vec<Value>| -> R<Tensor> {
                let mut pos = args.pos.clone();
                pos[0] = Value::list(p);
                tensor_of(
                    &interp.call(
                        old,
                        Args {
                            fname: args.fname.clone(),
                            this: None,
                            pos,
                            kw: args.kw.clone(),
                        },
                    )?,
                    name,
                )
            };
            Ok(wrap(call(interp, parts.0)?, call(interp, parts.1)?))
        });
    }
    torch.set("complex", Value::builtin("complex", |_, args| {
        let [re, im, _out] = args.bind(&["real", "imag", "*", "out="])?;
        let (re, im) = (re.unwrap_or(Value::None), im.unwrap_or(Value::None));
        let (Some(r), Some(i)) = (as_tensor(&re), as_tensor(&im)) else {
            return Err(Exception::type_error(format!(
                "complex(): argument 'real' (position 1) must be Tensor, not {}",
                if as_tensor(&re).is_none() { re.type_name() } else { im.type_name() }
            )));
        };
        let ok = |d: DType| matches!(d, DType::Float32 | DType::Float64 | DType::Float16);
        if !ok(r.dtype()) || !ok(i.dtype()) {
            return Err(Exception::new("NotImplementedError", format!(
                "Expected both inputs to be Half, Float or Double tensors but got {} and {}",
                r.dtype().scalar_name(),
                i.dtype().scalar_name()
            )));
        }
        if r.dtype() != i.dtype() {
            return Err(Exception::runtime_error(format!(
                "Expected object of scalar type {} but got scalar type {} for second argument",
                r.dtype().scalar_name(),
                i.dtype().scalar_name()
            )));
        }
        let shape = engine::broadcast_shapes(&r.shape(), &i.shape()).map_err(exc)?;
        let e = |t: &Tensor| -> R<Tensor> { Ok(t.expand(&shape).map_err(exc)?.contiguous()) };
        Ok(wrap(e(r)?, e(i)?))
    }));
    torch.set(
        "polar",
        Value::builtin("polar", |_, args| {
            let [abs, angle, _out] = args.bind(&["abs", "angle", "*", "out="])?;
            let (a, t) = match (
                abs.as_ref().and_then(as_tensor),
                angle.as_ref().and_then(as_tensor),
            ) {
                (Some(a), Some(t)) => (a.clone(), t.clone()),
                _ => {
                    return Err(Exception::type_error(
                        "polar(): argument 'abs' (position 1) must be Tensor",
                    ));
                }
            };
            if a.dtype() != t.dtype() || !matches!(a.dtype(), DType::Float32 | DType::Float64) {
                return Err(Exception::runtime_error(format!(
                    "Expected both inputs to be Float or Double tensors but got {} and {}",
                    a.dtype().scalar_name(),
                    t.dtype().scalar_name()
                )));
            }
            let wide = a.dtype() == DType::Float64;
            let r = cm::rounder(wide);
            let shape = engine::broadcast_shapes(&a.shape(), &t.shape()).map_err(exc)?;
            let av = a.expand(&shape).map_err(exc)?.contiguous().to_f64_vec();
            let tv_ = t.expand(&shape).map_err(exc)?.contiguous().to_f64_vec();
            let re = av
                .iter()
                .zip(&tv_)
                .map(|(m, x)| r(m * r(x.cos())))
                .collect();
            let im = av
                .iter()
                .zip(&tv_)
                .map(|(m, x)| r(m * r(x.sin())))
                .collect();
            cm::make(re, im, &shape, wide)
        }),
    );
    torch.set(
        "view_as_real",
        Value::builtin("view_as_real", |_, args| {
            let [x] = args.bind(&["input"])?;
            let x = x.unwrap_or(Value::None);
            let Some(c) = x.downcast::<ComplexTensor>() else {
                return Err(Exception::type_error(
                    "view_as_real is only supported for complex tensors",
                ));
            };
            let d = c.re.dim() as isize;
            Ok(tv(
                Tensor::stack(&[c.re.clone(), c.im.clone()], d).map_err(exc)?
            ))
        }),
    );
    torch.set(
        "view_as_complex",
        Value::builtin("view_as_complex", |_, args| {
            let [x] = args.bind(&["input"])?;
            let x = x.unwrap_or(Value::None);
            view_as_complex(&tensor_of(&x, "view_as_complex")?)
        }),
    );
    torch.set(
        "is_complex",
        Value::builtin("is_complex", |_, args| {
            let [x] = args.bind(&["input"])?;
            let x = x.unwrap_or(Value::None);
            if !is_complex(&x) && as_tensor(&x).is_none() {
                return Err(Exception::type_error(format!(
                    "is_complex(): argument 'input' (position 1) must be Tensor, not {}",
                    x.type_name()
                )));
            }
            Ok(Value::Bool(is_complex(&x)))
        }),
    );
}
