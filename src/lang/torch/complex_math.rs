//! Arithmetic on complex values: complex tensors, real tensors and Python numbers mixed with
//! PyTorch's type promotion, element-wise functions and reductions. Every kernel runs in f64;
//! complex64 results round each step to f32 (`r`), which gives float arithmetic's bits since
//! f64 holds a float sum, product or quotient's exact value to well past double rounding.

use super::R;
use super::complex::{ComplexTensor, PyComplex};
use super::convert::{as_tensor, exc, tv};
use crate::lang::ast::BinOp;
use crate::lang::native::Op;
use crate::lang::{Exception, Value};
use crate::tensor::{self as engine, DType, Data, Tensor};

/// A dtype's place in PyTorch's promotion: category (0 integral/bool, 1 float, 2 complex)
/// and whether it is the double-width one.
#[derive(Clone, Copy, PartialEq)]
pub struct Ty {
    pub cat: u8,
    pub wide: bool,
}

/// c10's `combine_categories`: the higher category wins, but a float higher keeps its width
/// when the lower is complex.
fn combine(higher: Option<Ty>, lower: Option<Ty>) -> Option<Ty> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => Some(if h.cat == 2 || h.cat >= l.cat {
            h
        } else if l.cat == 2 && h.cat == 1 {
            Ty {
                cat: 2,
                wide: h.wide,
            }
        } else {
            l
        }),
    }
}

fn dim_join(a: Option<Ty>, b: Ty) -> Option<Ty> {
    Some(match a {
        None => b,
        Some(a) => Ty {
            cat: a.cat.max(b.cat),
            wide: a.wide || b.wide,
        },
    })
}

/// One operand as values: parts in row-major order (widened), its shape, and how it takes
/// part in promotion (0 a Python number, 1 a 0-d tensor, 2 a tensor with dims).
pub struct Operand {
    pub re: Vec<f64>,
    pub im: Vec<f64>,
    pub shape: Vec<usize>,
    pub ty: Ty,
    pub rank: u8,
}

fn real_ty(d: DType) -> Ty {
    if d.is_floating_point() {
        Ty {
            cat: 1,
            wide: d == DType::Float64,
        }
    } else {
        Ty {
            cat: 0,
            wide: false,
        }
    }
}

/// `v` as an operand of complex arithmetic, None when it is not a number or tensor.
pub fn operand(v: &Value) -> Option<Operand> {
    let scalar = |re: f64, im: f64, cat: u8| Operand {
        re: vec![re],
        im: vec![im],
        shape: vec![],
        ty: Ty { cat, wide: false },
        rank: 0,
    };
    match v {
        Value::Bool(b) => return Some(scalar(*b as i64 as f64, 0.0, 0)),
        Value::Int(i) => return Some(scalar(*i as f64, 0.0, 0)),
        Value::Float(f) => return Some(scalar(*f, 0.0, 1)),
        _ => {}
    }
    if let Some(c) = v.downcast::<PyComplex>() {
        return Some(scalar(c.re, c.im, 2));
    }
    let (re, im, ty) = if let Some(c) = v.downcast::<ComplexTensor>() {
        let wide = c.re.dtype() == DType::Float64;
        (
            c.re.contiguous().to_f64_vec(),
            c.im.contiguous().to_f64_vec(),
            Ty { cat: 2, wide },
        )
    } else {
        let t = as_tensor(v)?;
        let re = t.contiguous().to_f64_vec();
        let im = vec![0.0; re.len()];
        (re, im, real_ty(t.dtype()))
    };
    let shape = match v.downcast::<ComplexTensor>() {
        Some(c) => c.re.shape(),
        None => as_tensor(v)?.shape(),
    };
    let rank = if shape.is_empty() { 1 } else { 2 };
    Some(Operand {
        re,
        im,
        shape,
        ty,
        rank,
    })
}

/// The promoted type of operands (dims first, then 0-d tensors, then Python numbers).
pub fn result_ty(ops: &[&Operand]) -> Ty {
    let mut groups = [None, None, None];
    for o in ops {
        let t = if o.rank == 0 && o.ty.cat == 2 {
            Ty {
                cat: 2,
                wide: false,
            }
        } else {
            o.ty
        };
        let g = &mut groups[2 - o.rank as usize];
        *g = if o.rank == 0 {
            match *g {
                Some(Ty { cat, .. }) if cat >= t.cat => *g,
                _ => Some(Ty {
                    cat: t.cat,
                    wide: false,
                }),
            }
        } else {
            dim_join(*g, t)
        };
    }
    let t = combine(combine(groups[0], groups[1]), groups[2]);
    t.unwrap_or(Ty {
        cat: 2,
        wide: false,
    })
}

/// The rounding of one arithmetic step in the result's precision.
pub type Round = fn(f64) -> f64;

fn r32(x: f64) -> f64 {
    x as f32 as f64
}
fn r64(x: f64) -> f64 {
    x
}

pub fn rounder(wide: bool) -> Round {
    if wide { r64 } else { r32 }
}

/// A complex tensor from parts already rounded to the result's precision.
pub fn make(re: Vec<f64>, im: Vec<f64>, shape: &[usize], wide: bool) -> R<Value> {
    let build = |v: Vec<f64>| -> R<Tensor> {
        let data = if wide {
            Data::F64(v)
        } else {
            Data::F32(v.into_iter().map(|x| x as f32).collect())
        };
        Tensor::from_data(data, shape).map_err(exc)
    };
    Ok(Value::native(ComplexTensor {
        re: build(re)?,
        im: build(im)?,
    }))
}

/// Row-major positions of a broadcast operand for each element of `out`.
fn positions(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let n: usize = out.iter().product();
    let off = out.len() - shape.len();
    let mut strides = vec![0usize; out.len()];
    let mut s = 1;
    for i in (0..shape.len()).rev() {
        strides[i + off] = if shape[i] == 1 { 0 } else { s };
        s *= shape[i];
    }
    let mut idx = vec![0usize; out.len()];
    let mut res = Vec::with_capacity(n);
    let mut p = 0usize;
    for _ in 0..n {
        res.push(p);
        for d in (0..out.len()).rev() {
            idx[d] += 1;
            p += strides[d];
            if idx[d] < out[d] {
                break;
            }
            p -= strides[d] * out[d];
            idx[d] = 0;
        }
    }
    res
}

/// c10::complex's division (NumPy's scaled form): the larger of |c|, |d| is divided out.
fn cdiv(a: f64, b: f64, c: f64, d: f64, r: Round) -> (f64, f64) {
    let (ac, ad) = (c.abs(), d.abs());
    if ac >= ad {
        if ac == 0.0 && ad == 0.0 {
            return (r(a / ac), r(b / ad));
        }
        let rat = r(d / c);
        let scl = r(1.0 / r(c + r(d * rat)));
        (r(r(a + r(b * rat)) * scl), r(r(b - r(a * rat)) * scl))
    } else {
        let rat = r(c / d);
        let scl = r(1.0 / r(d + r(c * rat)));
        (r(r(r(a * rat) + b) * scl), r(r(r(b * rat) - a) * scl))
    }
}

fn cmul(a: f64, b: f64, c: f64, d: f64, r: Round) -> (f64, f64) {
    (r(r(a * c) - r(b * d)), r(r(a * d) + r(b * c)))
}

/// `std::pow` of complex numbers: `exp(w * log(z))`, with an integral real exponent by
/// repeated products as libstdc++ does for `pow(complex, int)`.
pub fn cpow(a: f64, b: f64, c: f64, d: f64, r: Round) -> (f64, f64) {
    if c == 0.0 && d == 0.0 {
        return (1.0, 0.0);
    }
    if a == 0.0 && b == 0.0 {
        return if d == 0.0 && c > 0.0 {
            (0.0, 0.0)
        } else {
            (f64::NAN, f64::NAN)
        };
    }
    let (lr, li) = (a.hypot(b).ln(), b.atan2(a));
    let (xr, xi) = (c * lr - d * li, c * li + d * lr);
    let m = xr.exp();
    (r(m * xi.cos()), r(m * xi.sin()))
}

/// `a op b` where at least one side is complex; None when `op` is not for complex numbers
/// (Python then raises its TypeError).
pub fn binary(a: &Operand, b: &Operand, op: Op) -> R<Option<Value>> {
    let out = engine::broadcast_shapes(&a.shape, &b.shape).map_err(exc)?;
    let ty = result_ty(&[a, b]);
    let r = rounder(ty.wide);
    let (pa, pb) = (positions(&a.shape, &out), positions(&b.shape, &out));
    // Operands are first cast to the result's type, as TensorIterator does.
    let get = |o: &Operand, p: usize| (r(o.re[p]), r(o.im[p]));
    let n = pa.len();
    if matches!(op, Op::Eq | Op::Ne) {
        let ne = op == Op::Ne;
        let v: Vec<bool> = (0..n)
            .map(|i| (get(a, pa[i]) == get(b, pb[i])) != ne)
            .collect();
        return Ok(Some(tv(
            Tensor::from_data(Data::Bool(v), &out).map_err(exc)?
        )));
    }
    let f: fn(f64, f64, f64, f64, Round) -> (f64, f64) = match op {
        Op::Bin(BinOp::Add) | Op::InPlace(BinOp::Add) => |a, b, c, d, r| (r(a + c), r(b + d)),
        Op::Bin(BinOp::Sub) | Op::InPlace(BinOp::Sub) => |a, b, c, d, r| (r(a - c), r(b - d)),
        Op::Bin(BinOp::Mul) | Op::InPlace(BinOp::Mul) => cmul,
        Op::Bin(BinOp::Div) | Op::InPlace(BinOp::Div) => cdiv,
        Op::Bin(BinOp::Pow) | Op::InPlace(BinOp::Pow) => cpow,
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            return Err(Exception::new(
                "NotImplementedError",
                format!(
                    "\"{}_cpu\" not implemented for 'Complex{}'",
                    match op {
                        Op::Lt => "lt",
                        Op::Le => "le",
                        Op::Gt => "gt",
                        _ => "ge",
                    },
                    if ty.wide { "Double" } else { "Float" }
                ),
            ));
        }
        Op::Bin(BinOp::FloorDiv) => {
            return Err(Exception::runtime_error(
                "floor_divide is not supported for complex numbers",
            ));
        }
        _ => return Ok(None),
    };
    // A Python-number exponent has ATen's special cases (pow_tensor_scalar_kernel).
    let special: Option<Unary> = match (op, b.rank, b.im[0]) {
        (Op::Bin(BinOp::Pow) | Op::InPlace(BinOp::Pow), 0, 0.0) => match b.re[0] {
            0.5 => Some(csqrt),
            2.0 => Some(|a, b, r| cmul(a, b, a, b, r)),
            3.0 => Some(|a, b, r| {
                let (p, q) = cmul(a, b, a, b, r);
                cmul(p, q, a, b, r)
            }),
            -1.0 => Some(|a, b, r| cdiv(1.0, 0.0, a, b, r)),
            _ => None,
        },
        _ => None,
    };
    let (mut re, mut im) = (Vec::with_capacity(n), Vec::with_capacity(n));
    if let Some(g) = special {
        for &p in &pa {
            let (x, y) = get(a, p);
            let (u, v) = g(x, y, r);
            re.push(u);
            im.push(v);
        }
        return make(re, im, &out, ty.wide).map(Some);
    }
    for i in 0..n {
        let (x, y) = get(a, pa[i]);
        let (z, w) = get(b, pb[i]);
        let (p, q) = f(x, y, z, w, r);
        re.push(p);
        im.push(q);
    }
    make(re, im, &out, ty.wide).map(Some)
}

/// An element-wise function of a complex value: (re, im) -> (re, im).
type Unary = fn(f64, f64, Round) -> (f64, f64);

/// Element-wise complex functions by name; the result keeps the input's precision.
pub const UNARY: &[(&str, Unary)] = &[
    ("neg", |a, b, _| (-a, -b)),
    ("negative", |a, b, _| (-a, -b)),
    ("conj", |a, b, _| (a, -b)),
    ("conj_physical", |a, b, _| (a, -b)),
    ("resolve_conj", |a, b, _| (a, b)),
    ("resolve_neg", |a, b, _| (a, b)),
    ("exp", |a, b, r| {
        let m = a.exp();
        (r(m * b.cos()), r(m * b.sin()))
    }),
    ("log", |a, b, r| (r(a.hypot(b).ln()), r(b.atan2(a)))),
    ("sqrt", |a, b, r| csqrt(a, b, r)),
    ("sin", |a, b, r| {
        (r(a.sin() * b.cosh()), r(a.cos() * b.sinh()))
    }),
    ("cos", |a, b, r| {
        (r(a.cos() * b.cosh()), r(-(a.sin() * b.sinh())))
    }),
    ("tanh", |a, b, r| {
        // tanh(z) = sinh(2a)/(cosh(2a)+cos(2b)) + i sin(2b)/(cosh(2a)+cos(2b))
        let den = (2.0 * a).cosh() + (2.0 * b).cos();
        (r((2.0 * a).sinh() / den), r((2.0 * b).sin() / den))
    }),
    ("sigmoid", |a, b, r| {
        let m = (-a).exp();
        let (dr, di) = (1.0 + m * (-b).cos(), m * (-b).sin());
        cdiv(1.0, 0.0, dr, di, r)
    }),
    ("reciprocal", |a, b, r| cdiv(1.0, 0.0, a, b, r)),
    ("square", |a, b, r| cmul(a, b, a, b, r)),
];

/// The principal square root (C99's csqrt: the root of the modulus, halved angle).
fn csqrt(a: f64, b: f64, r: Round) -> (f64, f64) {
    if a == 0.0 && b == 0.0 {
        return (0.0, b);
    }
    let t = ((a.abs() + a.hypot(b)) / 2.0).sqrt();
    if a >= 0.0 {
        (r(t), r(b / (2.0 * t)))
    } else {
        (r(b.abs() / (2.0 * t)), r(t.copysign(b)))
    }
}

/// Applies the function named `name` to a complex tensor (None: not an element-wise one).
pub fn unary(c: &ComplexTensor, name: &str) -> R<Option<Value>> {
    let Some((_, f)) = UNARY.iter().find(|(n, _)| *n == name) else {
        return Ok(None);
    };
    let wide = c.re.dtype() == DType::Float64;
    let r = rounder(wide);
    let (re, im) = (
        c.re.contiguous().to_f64_vec(),
        c.im.contiguous().to_f64_vec(),
    );
    let (mut or, mut oi) = (Vec::with_capacity(re.len()), Vec::with_capacity(re.len()));
    for (a, b) in re.iter().zip(&im) {
        let (p, q) = f(*a, *b, r);
        or.push(p);
        oi.push(q);
    }
    make(or, oi, &c.re.shape(), wide).map(Some)
}

/// `angle`: the argument, a real tensor of the parts' precision.
pub fn angle(c: &ComplexTensor) -> R<Value> {
    let (re, im) = (
        c.re.contiguous().to_f64_vec(),
        c.im.contiguous().to_f64_vec(),
    );
    let v: Vec<f64> = re.iter().zip(&im).map(|(a, b)| b.atan2(*a)).collect();
    let t = Tensor::from_data(Data::F64(v), &c.re.shape()).map_err(exc)?;
    Ok(tv(t.to_dtype(c.re.dtype()).map_err(exc)?))
}

/// `matmul` of complex matrices (or a real and a complex one) as four real products.
pub fn matmul(a: &ComplexTensor, b: &ComplexTensor) -> R<Value> {
    let (ar, ai, br, bi) = (&a.re, &a.im, &b.re, &b.im);
    let mm = |x: &Tensor, y: &Tensor| x.matmul(y).map_err(exc);
    let re = mm(ar, br)?.sub(&mm(ai, bi)?).map_err(exc)?;
    let im = mm(ar, bi)?.add(&mm(ai, br)?).map_err(exc)?;
    Ok(Value::native(ComplexTensor { re, im }))
}

/// An operand as a complex tensor of its own precision (a real tensor gets zero imaginary parts).
pub fn operand_tensor(o: &Operand) -> R<ComplexTensor> {
    let wide = o.ty.wide;
    let build = |v: &[f64]| -> R<Tensor> {
        let data = if wide {
            Data::F64(v.to_vec())
        } else {
            Data::F32(v.iter().map(|&x| x as f32).collect())
        };
        Tensor::from_data(data, &o.shape).map_err(exc)
    };
    Ok(ComplexTensor {
        re: build(&o.re)?,
        im: build(&o.im)?,
    })
}
