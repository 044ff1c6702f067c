//! Complex numbers where lessons meet them: Python's `complex` scalars and the complex tensors
//! of `torch.linalg.eig`/`eigvals`. A complex tensor is a pair of real tensors (its real and
//! imaginary parts, float32 for complex64, float64 for complex128) that prints, indexes,
//! converts with `tolist()`/`item()` and takes `abs()` as PyTorch's does; arithmetic on it is
//! in complex_math.rs. `torch.tensor` of complex numbers and `torch.abs`,
//! `torch.real`, `torch.imag` of a complex tensor are wrapped here around the real versions.

use std::rc::Rc;

use super::R;
use super::convert::{as_tensor, exc, tv};
use super::linalg_decomp::NamedResult;
use crate::lang::format::float_repr;
use super::{complex_math, complex_new};
use crate::lang::ast::{BinOp, UnaryOp};
use crate::lang::native::{Args, NativeObject, Op};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::decomp_ops;
use crate::tensor::print_complex::complex_repr;
use crate::tensor::{DType, Tensor};

/// Whether `v` is a complex tensor or a Python complex number.
pub fn is_complex_value(v: &Value) -> bool {
    v.downcast::<ComplexTensor>().is_some() || v.downcast::<PyComplex>().is_some()
}

/// A Python `complex` value.
pub fn py_complex(re: f64, im: f64) -> Value {
    Value::native(PyComplex { re, im })
}

/// CPython's complex division (`_Py_c_quot`: the larger of |c|, |d| divided out first).
fn py_quot(a: f64, b: f64, c: f64, d: f64) -> R<(f64, f64)> {
    if c.abs() >= d.abs() {
        if c == 0.0 {
            return Err(Exception::new("ZeroDivisionError", "complex division by zero"));
        }
        let ratio = d / c;
        let den = c + d * ratio;
        Ok(((a + b * ratio) / den, (b - a * ratio) / den))
    } else if d.abs() >= c.abs() {
        let ratio = c / d;
        let den = c * ratio + d;
        Ok(((a * ratio + b) / den, (b * ratio - a) / den))
    } else {
        Ok((f64::NAN, f64::NAN))
    }
}

/// CPython's complex power: repeated squaring for small integral exponents (`c_powi`),
/// else the polar form (`c_pow`).
fn py_pow(a: f64, b: f64, c: f64, d: f64) -> R<(f64, f64)> {
    if d == 0.0 && c == c.trunc() && c.abs() <= 100.0 {
        let n = c as i64;
        let (mut rr, mut ri, mut pr, mut pi) = (1.0, 0.0, a, b);
        let mut m = n.unsigned_abs();
        while m > 0 {
            if m & 1 == 1 {
                (rr, ri) = (rr * pr - ri * pi, rr * pi + ri * pr);
            }
            (pr, pi) = (pr * pr - pi * pi, pr * pi + pi * pr);
            m >>= 1;
        }
        return if n < 0 { py_quot(1.0, 0.0, rr, ri) } else { Ok((rr, ri)) };
    }
    if c == 0.0 && d == 0.0 {
        return Ok((1.0, 0.0));
    }
    if a == 0.0 && b == 0.0 {
        if d != 0.0 || c < 0.0 {
            return Err(Exception::new(
                "ZeroDivisionError",
                "0.0 to a negative or complex power",
            ));
        }
        return Ok((0.0, 0.0));
    }
    let vabs = a.hypot(b);
    let mut len = vabs.powf(c);
    let at = b.atan2(a);
    let mut phase = at * c;
    if d != 0.0 {
        len /= (at * d).exp();
        phase += d * vabs.ln();
    }
    Ok((len * phase.cos(), len * phase.sin()))
}

/// Python's `complex`.
pub struct PyComplex {
    pub re: f64,
    pub im: f64,
}

/// A part of a complex repr: `repr(float)` without the `.0` of integral values.
fn part(x: f64) -> String {
    let s = float_repr(x);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

impl NativeObject for PyComplex {
    fn type_name(&self) -> &str {
        "complex"
    }
    fn snapshot(&self, _c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(PyComplex {
            re: self.re,
            im: self.im,
        }))
    }
    fn repr(&self) -> String {
        let im = part(self.im);
        let im = if im.starts_with('-') || self.im.is_nan() {
            im
        } else {
            format!("+{im}")
        };
        // CPython drops a positive-zero real part: `1j`, but `(-0+1j)`.
        if self.re == 0.0 && self.re.is_sign_positive() {
            format!("{}j", im.trim_start_matches('+'))
        } else {
            format!("({}{im}j)", part(self.re))
        }
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let (re, im) = (self.re, self.im);
        Ok(match name {
            "real" => Some(Value::Float(re)),
            "imag" => Some(Value::Float(im)),
            "conjugate" => Some(Value::builtin("conjugate", move |_, args| {
                args.bind::<0>(&[])?;
                Ok(Value::native(PyComplex { re, im: -im }))
            })),
            "abs" => Some(Value::builtin("abs", move |_, _| {
                Ok(Value::Float(re.hypot(im)))
            })),
            _ => None,
        })
    }
    fn binary_op(
        &self,
        _: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        let o = match other {
            Value::Int(i) => (*i as f64, 0.0),
            Value::Float(f) => (*f, 0.0),
            Value::Bool(b) => (*b as i64 as f64, 0.0),
            _ => match other.downcast::<PyComplex>() {
                Some(c) => (c.re, c.im),
                None => return Ok(None),
            },
        };
        let (x, y) = if reflected {
            (o, (self.re, self.im))
        } else {
            ((self.re, self.im), o)
        };
        let bin = match op {
            Op::Eq => return Ok(Some(Value::Bool(x == y))),
            Op::Ne => return Ok(Some(Value::Bool(x != y))),
            Op::Bin(b) | Op::InPlace(b) => b,
            _ => return Ok(None),
        };
        let ((a, b), (c, d)) = (x, y);
        let (re, im) = match bin {
            BinOp::Add => (a + c, b + d),
            BinOp::Sub => (a - c, b - d),
            BinOp::Mul => (a * c - b * d, a * d + b * c),
            BinOp::Div => py_quot(a, b, c, d)?,
            BinOp::Pow => py_pow(a, b, c, d)?,
            _ => return Ok(None),
        };
        Ok(Some(py_complex(re, im)))
    }
    fn unary_op(&self, this: &Value, op: UnaryOp, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match op {
            UnaryOp::Neg => Some(py_complex(-self.re, -self.im)),
            UnaryOp::Pos => Some(this.clone()),
            _ => None,
        })
    }
    fn hash(&self) -> Option<u64> {
        Some(self.re.to_bits() ^ self.im.to_bits().rotate_left(17))
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(self.re != 0.0 || self.im != 0.0))
    }
}

/// `torch.complex64` / `torch.complex128`: dtypes of complex tensors only (no real tensor or
/// factory takes them).
pub struct ComplexDType(pub bool);

impl NativeObject for ComplexDType {
    fn type_name(&self) -> &str {
        "dtype"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        if self.0 {
            "torch.complex128"
        } else {
            "torch.complex64"
        }
        .to_string()
    }
    fn binary_op(
        &self,
        _: &Value,
        op: Op,
        other: &Value,
        _: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        let same = other
            .downcast::<ComplexDType>()
            .is_some_and(|o| o.0 == self.0);
        Ok(match op {
            Op::Eq => Some(Value::Bool(same)),
            Op::Ne => Some(Value::Bool(!same)),
            _ => None,
        })
    }
    fn hash(&self) -> Option<u64> {
        Some(1000 + self.0 as u64)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "is_floating_point" => Some(Value::Bool(false)),
            "is_complex" => Some(Value::Bool(true)),
            "is_signed" => Some(Value::Bool(true)),
            "itemsize" => Some(Value::Int(if self.0 { 16 } else { 8 })),
            _ => None,
        })
    }
}

/// A method of a complex tensor, called with the tensor it was read from.
type Method = Rc<dyn Fn(&ComplexTensor) -> R<Value>>;

/// A complex tensor as its real and imaginary parts (same shape and float dtype).
pub struct ComplexTensor {
    pub re: Tensor,
    pub im: Tensor,
}

pub fn wrap(re: Tensor, im: Tensor) -> Value {
    Value::native(ComplexTensor { re, im })
}

/// A complex tensor's elements as nested lists of Python complex numbers.
fn to_list(re: &[f64], im: &[f64], shape: &[usize]) -> Value {
    match shape {
        [] => Value::native(PyComplex {
            re: re[0],
            im: im[0],
        }),
        [n, rest @ ..] => {
            let step: usize = rest.iter().product();
            Value::list(
                (0..*n)
                    .map(|i| {
                        to_list(
                            &re[i * step..(i + 1) * step],
                            &im[i * step..(i + 1) * step],
                            rest,
                        )
                    })
                    .collect(),
            )
        }
    }
}

impl ComplexTensor {
    /// `abs()`: the modulus, in the parts' precision (`std::abs` of `complex<float>` is `hypotf`).
    fn abs(&self) -> R<Tensor> {
        let (re, im) = (
            self.re.contiguous().to_f64_vec(),
            self.im.contiguous().to_f64_vec(),
        );
        let shape = self.re.shape();
        let v: Vec<f64> = if self.re.dtype() == DType::Float64 {
            re.iter().zip(&im).map(|(a, b)| a.hypot(*b)).collect()
        } else {
            re.iter()
                .zip(&im)
                .map(|(a, b)| (*a as f32).hypot(*b as f32) as f64)
                .collect()
        };
        let data = if self.re.dtype() == DType::Float64 {
            crate::tensor::Data::F64(v)
        } else {
            crate::tensor::Data::F32(v.iter().map(|&x| x as f32).collect())
        };
        Tensor::from_data(data, &shape).map_err(exc)
    }

    fn parts(&self) -> (Vec<f64>, Vec<f64>) {
        (
            self.re.contiguous().to_f64_vec(),
            self.im.contiguous().to_f64_vec(),
        )
    }
}

impl NativeObject for ComplexTensor {
    fn type_name(&self) -> &str {
        "Tensor"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        complex_repr(&self.re, &self.im)
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Tensor"
    }
    fn get_attr(&self, _: &Value, name: &str, interp: &mut Interpreter) -> R<Option<Value>> {
        let (re, im) = (self.re.clone(), self.im.clone());
        let shape = re.shape();
        let method = |name: &str, f: Method| {
            let (re, im) = (re.clone(), im.clone());
            Value::builtin(name, move |_, args: Args| {
                args.no_kwargs()?;
                if !args.pos.is_empty() {
                    return Err(Exception::type_error(format!(
                        "{}() takes no arguments ({} given)",
                        args.fname,
                        args.pos.len()
                    )));
                }
                f(&ComplexTensor {
                    re: re.clone(),
                    im: im.clone(),
                })
            })
        };
        Ok(Some(match name {
            "real" => tv(re),
            "imag" => tv(im),
            "shape" => Value::native(super::convert::PySize(shape.clone())),
            "ndim" => Value::Int(shape.len() as i64),
            "dtype" => Value::native(ComplexDType(re.dtype() == DType::Float64)),
            "is_complex" => method("is_complex", Rc::new(|_| Ok(Value::Bool(true)))),
            "dim" => method("dim", Rc::new(|c| Ok(Value::Int(c.re.dim() as i64)))),
            "numel" => method("numel", Rc::new(|c| Ok(Value::Int(c.re.numel() as i64)))),
            "size" => method(
                "size",
                Rc::new(|c| Ok(Value::native(super::convert::PySize(c.re.shape())))),
            ),
            "abs" => method("abs", Rc::new(|c| Ok(tv(c.abs()?)))),
            "angle" => method("angle", Rc::new(complex_math::angle)),
            "T" | "mT" | "H" | "mH" => {
                let (re, im) = (interp.get_attr(&tv(re), name)?, interp.get_attr(&tv(im), name)?);
                let c = pair(&re, &im)?;
                let conj = matches!(name, "H" | "mH");
                return Ok(Some(if conj { wrap(c.re.clone(), c.im.neg().map_err(exc)?) } else { wrap(c.re.clone(), c.im.clone()) }));
            }
            "requires_grad" => Value::Bool(false),
            "grad_fn" | "grad" => Value::None,
            "is_leaf" => Value::Bool(true),
            "device" => interp.get_attr(&tv(re), "device")?,
            n if complex_math::UNARY.iter().any(|(u, _)| *u == n) => {
                let n: Rc<str> = n.into();
                let n2 = n.clone();
                method(&n, Rc::new(move |c| Ok(complex_math::unary(c, &n2)?.unwrap_or(Value::None))))
            }
            n if FORWARDED.contains(&n) => {
                let n: Rc<str> = n.into();
                Value::builtin(&n.clone(), move |interp, args| forward(interp, &n, &re, &im, args))
            }
            n if REDUCTIONS.contains(&n) => {
                let n: Rc<str> = n.into();
                Value::builtin(&n.clone(), move |interp, args| {
                    complex_new::reduce(interp, &n, &re, &im, args)
                })
            }
            "to" | "type" | "float" | "double" | "requires_grad_" | "backward" | "numpy" => {
                let n: Rc<str> = name.into();
                Value::builtin(&n.clone(), move |interp, args| {
                    complex_new::convert(interp, &n, &re, &im, args)
                })
            }
            "conj" => method(
                "conj",
                Rc::new(|c| Ok(wrap(c.re.clone(), c.im.neg().map_err(exc)?))),
            ),
            "tolist" => method(
                "tolist",
                Rc::new(|c| {
                    let (re, im) = c.parts();
                    Ok(to_list(&re, &im, &c.re.shape()))
                }),
            ),
            "item" => method(
                "item",
                Rc::new(|c| {
                    if c.re.numel() != 1 {
                        return Err(Exception::runtime_error(format!(
                            "a Tensor with {} elements cannot be converted to Scalar",
                            c.re.numel()
                        )));
                    }
                    let (re, im) = c.parts();
                    Ok(Value::native(PyComplex {
                        re: re[0],
                        im: im[0],
                    }))
                }),
            ),
            _ => return Ok(None),
        }))
    }
    fn binary_op(
        &self,
        this: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        let (Some(a), Some(b)) = (complex_math::operand(this), complex_math::operand(other)) else {
            return Ok(None);
        };
        let (a, b) = if reflected { (b, a) } else { (a, b) };
        if op == Op::Bin(BinOp::MatMul) {
            let c = |o: &complex_math::Operand| complex_math::operand_tensor(o);
            return complex_math::matmul(&c(&a)?, &c(&b)?).map(Some);
        }
        if let Op::InPlace(_) = op {
            // `z += w` rebinds the name to `z + w` (the parts are not written in place).
            return Ok(None);
        }
        complex_math::binary(&a, &b, op)
    }
    fn unary_op(&self, this: &Value, op: UnaryOp, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match op {
            UnaryOp::Neg => complex_math::unary(self, "neg")?,
            UnaryOp::Pos => Some(this.clone()),
            _ => None,
        })
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        if self.re.numel() != 1 {
            return Err(Exception::runtime_error(
                "Boolean value of Tensor with more than one value is ambiguous",
            ));
        }
        let (re, im) = self.parts();
        Ok(Some(re[0] != 0.0 || im[0] != 0.0))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        match self.re.shape().first() {
            Some(&n) => Ok(Some(n)),
            None => Err(Exception::type_error("len() of a 0-d tensor")),
        }
    }
    fn iter(&self, _: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        let n = match self.re.shape().first() {
            Some(&n) => n,
            None => return Err(Exception::type_error("iteration over a 0-d tensor")),
        };
        let mut rows = Vec::with_capacity(n);
        for i in 0..n {
            rows.push(self.index(&Value::Int(i as i64), interp)?);
        }
        Ok(Some(Value::iter_items(rows)))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        self.index(key, interp).map(Some)
    }
}

impl ComplexTensor {
    /// Indexes both parts with the same key.
    fn index(&self, key: &Value, interp: &mut Interpreter) -> R<Value> {
        let re = interp.get_item(&tv(self.re.clone()), key)?;
        let im = interp.get_item(&tv(self.im.clone()), key)?;
        match (as_tensor(&re), as_tensor(&im)) {
            (Some(r), Some(i)) => Ok(wrap(r.clone(), i.clone())),
            _ => Err(Exception::type_error(
                "complex tensor index did not give a tensor",
            )),
        }
    }
}

/// Methods applied to both parts alike (shape and copying ops): their results pair up.
const FORWARDED: &[&str] = &[
    "reshape", "view", "transpose", "permute", "flatten", "unsqueeze", "squeeze", "t", "clone",
    "contiguous", "expand", "expand_as", "repeat", "flip", "roll", "narrow", "select", "detach",
    "chunk", "split", "unbind", "movedim", "swapaxes", "unflatten", "view_as", "reshape_as",
    "cpu", "tril", "triu", "diagonal", "diag", "squeeze_", "unsqueeze_", "__getitem__",
];

/// Reductions and other methods computed from the values (`complex_new`).
const REDUCTIONS: &[&str] = &["sum", "mean", "prod", "cumsum", "dot", "vdot", "matmul", "mm", "mul", "add", "sub", "div", "pow", "eq", "ne", "equal", "allclose", "isclose", "conj", "exp", "sqrt", "log", "sin", "cos", "is_conj", "is_neg", "element_size", "stride", "is_contiguous", "fill_", "zero_", "copy_"];

/// Pairs two results of the same call on the parts: tensors, or lists/tuples of tensors.
fn pair(re: &Value, im: &Value) -> R<ComplexTensor> {
    match (as_tensor(re), as_tensor(im)) {
        (Some(r), Some(i)) => Ok(ComplexTensor {
            re: r.clone(),
            im: i.clone(),
        }),
        _ => Err(Exception::type_error("complex tensor parts did not give tensors")),
    }
}

/// `c.name(*args)` for a method of FORWARDED: the same call on each part.
fn forward(interp: &mut Interpreter, name: &str, re: &Tensor, im: &Tensor, args: Args) -> R<Value> {
    let call = |interp: &mut Interpreter, t: &Tensor| -> R<Value> {
        let f = interp.get_attr(&tv(t.clone()), name)?;
        let a = Args {
            fname: args.fname.clone(),
            this: None,
            pos: args.pos.clone(),
            kw: args.kw.clone(),
        };
        interp.call(&f, a)
    };
    let (r, i) = (call(interp, re)?, call(interp, im)?);
    let items = |v: &Value| match v {
        Value::Tuple(t) => Some(t.to_vec()),
        Value::List(l) => Some(l.borrow().clone()),
        _ => None,
    };
    match (items(&r), items(&i)) {
        (Some(rs), Some(is)) => {
            let parts: R<Vec<Value>> = rs
                .iter()
                .zip(&is)
                .map(|(a, b)| pair(a, b).map(Value::native))
                .collect();
            Ok(if matches!(r, Value::List(_)) { Value::list(parts?) } else { Value::tuple(parts?) })
        }
        _ => pair(&r, &i).map(Value::native),
    }
}

/// Splits nested data holding complex numbers into its real and imaginary parts (None when
/// it holds none).
fn split(v: &Value) -> Option<(Value, Value)> {
    if let Some(c) = v.downcast::<PyComplex>() {
        return Some((Value::Float(c.re), Value::Float(c.im)));
    }
    let items = match v {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        _ => return None,
    };
    if !items.iter().any(holds_complex) {
        return None;
    }
    let (mut re, mut im) = (Vec::new(), Vec::new());
    for x in &items {
        match split(x) {
            Some((r, i)) => {
                re.push(r);
                im.push(i);
            }
            None => {
                re.push(x.clone());
                im.push(zero_like(x));
            }
        }
    }
    Some((Value::list(re), Value::list(im)))
}

fn holds_complex(v: &Value) -> bool {
    match v {
        Value::List(l) => l.borrow().iter().any(holds_complex),
        Value::Tuple(t) => t.iter().any(holds_complex),
        other => other.downcast::<PyComplex>().is_some(),
    }
}

/// Zeros in the nesting of `v` (the imaginary part of real entries).
fn zero_like(v: &Value) -> Value {
    match v {
        Value::List(l) => Value::list(l.borrow().iter().map(zero_like).collect()),
        Value::Tuple(t) => Value::list(t.iter().map(zero_like).collect()),
        _ => Value::Float(0.0),
    }
}

fn complex_tensor_arg(args: &Args) -> Option<&ComplexTensor> {
    args.pos.first().and_then(|v| v.downcast::<ComplexTensor>())
}

/// Replaces `m.name` by `f`, which gets the previous function to fall back on.
pub(super) fn wrap_fn(
    m: &Module,
    name: &'static str,
    f: impl Fn(&mut Interpreter, Args, &Value) -> R<Value> + 'static,
) {
    let Some(old) = m.get(name) else { return };
    m.set(
        name,
        Value::builtin(name, move |interp, args| f(interp, args, &old)),
    );
}

fn eig_value(a: Option<&Value>, vectors: bool) -> R<Value> {
    let fname = if vectors {
        "linalg_eig"
    } else {
        "linalg_eigvals"
    };
    let a = a.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument 'input' (position 1) must be Tensor, not {}",
            a.map_or("NoneType".to_string(), Value::type_name)
        ))
    })?;
    let (wr, wi, vr, vi) = decomp_ops::eig(&a, vectors).map_err(exc)?;
    let w = wrap(wr, wi);
    if !vectors {
        return Ok(w);
    }
    Ok(Value::native(NamedResult {
        name: "linalg_eig",
        fields: &["eigenvalues", "eigenvectors"],
        values: vec![w, wrap(vr, vi)],
    }))
}

/// Installs complex numbers into `torch` (and `torch.linalg`'s `eig`, `eigvals`).
pub fn install(torch: &Module) {
    for (name, wide) in [
        ("complex64", false),
        ("cfloat", false),
        ("complex128", true),
        ("cdouble", true),
    ] {
        torch.set(name, Value::native(ComplexDType(wide)));
    }
    if let Some(Value::Module(linalg)) = torch.get("linalg").as_ref() {
        linalg.set(
            "eig",
            Value::builtin("eig", |_, args| {
                let [a, _out] = args.bind(&["input", "*", "out="])?;
                eig_value(a.as_ref(), true)
            }),
        );
        linalg.set(
            "eigvals",
            Value::builtin("eigvals", |_, args| {
                let [a, _out] = args.bind(&["input", "*", "out="])?;
                eig_value(a.as_ref(), false)
            }),
        );
    }
    wrap_fn(torch, "tensor", |interp, args, old| {
        let Some((re, im)) = args.pos.first().and_then(split) else {
            return interp.call(old, args);
        };
        if args
            .kw
            .iter()
            .any(|(k, v)| &**k == "dtype" && !matches!(v, Value::None))
        {
            return Err(Exception::unsupported(
                "torch.tensor of complex numbers with dtype=",
            ));
        }
        let real = |v: Value, interp: &mut Interpreter| -> R<Tensor> {
            let t = interp.call(old, Args::new("tensor", vec![v]))?;
            let t = as_tensor(&t)
                .cloned()
                .ok_or_else(|| Exception::type_error("tensor() did not give a tensor"))?;
            t.to_dtype(DType::Float32).map_err(exc)
        };
        let (re, im) = (real(re, interp)?, real(im, interp)?);
        Ok(wrap(re, im))
    });
    wrap_fn(torch, "abs", |interp, args, old| {
        match complex_tensor_arg(&args) {
            Some(c) => Ok(tv(c.abs()?)),
            None => interp.call(old, args),
        }
    });
    for (name, imag) in [("real", false), ("imag", true)] {
        let f = move |interp: &mut Interpreter, args: Args, old: Option<&Value>| {
            match complex_tensor_arg(&args) {
                Some(c) => Ok(tv(if imag { c.im.clone() } else { c.re.clone() })),
                None => match old {
                    Some(old) => interp.call(old, args),
                    None => match args.pos.first().and_then(as_tensor) {
                        // A real tensor is its own real part; its imaginary part does not exist.
                        Some(t) if !imag => Ok(tv(t.clone())),
                        Some(_) => Err(Exception::runtime_error(
                            "imag is not implemented for tensors with non-complex dtypes.",
                        )),
                        None => Err(Exception::type_error(format!(
                            "{name}(): argument 'input' (position 1) must be Tensor"
                        ))),
                    },
                },
            }
        };
        let old = torch.get(name);
        torch.set(
            name,
            Value::builtin(name, move |interp, args| f(interp, args, old.as_ref())),
        );
    }
}
