//! Crossing between Python values and the tensor engine: nested lists, scalars, dtypes, shapes.

use std::rc::Rc;

use super::tensor::PyTensor;
use crate::lang::native::{Args, NativeObject, Op};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Data, Scalar, Tensor, TensorError};

/// A tensor-engine error as the Python exception PyTorch raises.
pub fn exc(e: TensorError) -> Exception {
    Exception::new(e.py_type(), e.to_string())
}

/// `operator.index(t)` for a tensor key of a list, tuple, string or range (`names[topi]`):
/// `None` when `v` is no tensor; an integer (or bool) tensor of one element gives its value.
pub fn tensor_index(v: &Value) -> Option<Result<i64, Exception>> {
    let t = as_tensor(v)?;
    let d = t.dtype();
    if t.numel() != 1 || !(d.is_integral() || d == crate::tensor::DType::Bool) {
        return Some(Err(Exception::type_error("only integer tensors of a single element can be converted to an index")));
    }
    Some(t.item().map(|s| s.as_f64() as i64).map_err(exc))
}

impl From<TensorError> for Exception {
    fn from(e: TensorError) -> Exception {
        exc(e)
    }
}

/// The engine's tensor inside a Python value, if it holds one.
pub fn as_tensor(v: &Value) -> Option<&Tensor> {
    v.downcast::<PyTensor>().map(|t| &t.0)
}

/// `operator.index(v)` for a value used as a slice bound: ints, bools, and what PyTorch's
/// `Tensor.__index__` accepts (a one-element integer tensor, as in `data[i:i+8]` with `i`
/// drawn by `torch.randint`).
pub fn index_int(v: &Value) -> Result<i64, Exception> {
    if let Some(t) = as_tensor(v) {
        if t.numel() == 1 && t.dtype().is_integral()
            && let Ok(Scalar::Int(i)) = t.item() {
                return Ok(i);
            }
        return Err(Exception::type_error("only integer tensors of a single element can be converted to an index"));
    }
    v.expect_int("slice")
}

/// A Python number (bool, int or float) as an engine scalar.
pub fn as_scalar(v: &Value) -> Option<Scalar> {
    match v {
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Int(i) => Some(Scalar::Int(*i)),
        Value::Float(f) => Some(Scalar::Float(*f)),
        _ => None,
    }
}

/// A Python int outside i64 where PyTorch wants a Scalar: PyTorch reads it as uint64 when it
/// fits (wrapping into int tensors, converting for float ones) and raises its errors otherwise.
/// Ok(None) when `v` is not a big int.
pub fn big_scalar(v: &Value, like: DType) -> Result<Option<Scalar>, Exception> {
    use num_traits::ToPrimitive;
    let Value::BigInt(b) = v else { return Ok(None) };
    if b.sign() == num_bigint::Sign::Minus {
        return Err(Exception::new("OverflowError", "can't convert negative int to unsigned"));
    }
    let u = b.to_u64().ok_or_else(|| Exception::new("OverflowError", "int too big to convert"))?;
    Ok(Some(match like {
        d if d.is_floating_point() => Scalar::Float(u as f64),
        d if d.is_integral() => Scalar::Int(u as i64),
        _ => {
            return Err(Exception::runtime_error(
                "Promotion for uint16, uint32, uint64 types is not supported, attempted to promote Bool and UInt64",
            ));
        }
    }))
}

/// The error PyTorch raises where it unpacks a Python int into int64 and it does not fit.
pub fn long_overflow() -> Exception {
    Exception::value_error("Overflow when unpacking long long")
}

/// An engine scalar as the Python number `item()` gives.
pub fn scalar_value(s: Scalar) -> Value {
    match s {
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Float(f) => Value::Float(f),
    }
}

/// `torch.float32` and friends.
pub struct PyDType(pub DType);

impl NativeObject for PyDType {
    fn type_name(&self) -> &str {
        "dtype"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        self.0.to_string()
    }
    fn binary_op(&self, _: &Value, op: Op, other: &Value, _: bool, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        let same = other.downcast::<PyDType>().is_some_and(|o| o.0 == self.0);
        Ok(match op {
            Op::Eq => Some(Value::Bool(same)),
            Op::Ne => Some(Value::Bool(!same)),
            _ => None,
        })
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0 as u64)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(match name {
            "is_floating_point" => Some(Value::Bool(self.0.is_floating_point())),
            // Complex dtypes are `complex::ComplexDType`; these are all real.
            "is_complex" => Some(Value::Bool(false)),
            "is_signed" => Some(Value::Bool(!matches!(self.0, DType::UInt8 | DType::UInt16 | DType::Bool))),
            "itemsize" => Some(Value::Int(self.0.element_size() as i64)),
            _ => None,
        })
    }
}

/// The dtype of a legacy tensor type name (`'torch.IntTensor'`), as `t.type(name)` takes.
pub fn dtype_from_type_name(name: &str) -> Option<DType> {
    use DType::*;
    let scalar = name.strip_prefix("torch.")?.strip_suffix("Tensor")?;
    [Float32, Float64, Int64, Bool, Int32, Int16, Int8, UInt8, Float16, BFloat16].into_iter().find(|d| d.scalar_name() == scalar)
}

pub fn dtype_value(d: DType) -> Value {
    Value::native(PyDType(d))
}

/// A `dtype=` argument: None means "infer".
pub fn dtype_arg(v: Option<&Value>) -> Result<Option<DType>, Exception> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => match v.downcast::<PyDType>() {
            Some(d) => Ok(Some(d.0)),
            None => Err(Exception::type_error(format!(
                "dtype must be torch.dtype (got {})",
                v.type_name()
            ))),
        },
    }
}

/// `torch.Size`: a tuple of ints that prints as `torch.Size([2, 3])`.
pub struct PySize(pub Vec<usize>);

impl PySize {
    fn items(&self) -> Vec<Value> {
        self.0.iter().map(|&d| Value::Int(d as i64)).collect()
    }
}

impl NativeObject for PySize {
    fn type_name(&self) -> &str {
        "Size"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        let dims: Vec<String> = self.0.iter().map(usize::to_string).collect();
        format!("torch.Size([{}])", dims.join(", "))
    }
    fn len(&self, _: &mut Interpreter) -> Result<Option<usize>, Exception> {
        Ok(Some(self.0.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(Some(Value::iter_items(self.items())))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        let tuple = Value::tuple(self.items());
        interp.get_item(&tuple, key).map(Some)
    }
    fn binary_op(&self, _: &Value, op: Op, other: &Value, reflected: bool, interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        let other_dims: Option<Vec<i64>> = match other {
            Value::Native(_) => other.downcast::<PySize>().map(|s| s.0.iter().map(|&d| d as i64).collect()),
            Value::Tuple(_) | Value::List(_) => {
                let items = interp.iterate(other)?;
                items.iter().map(Value::as_int).collect()
            }
            _ => None,
        };
        let mine: Vec<i64> = self.0.iter().map(|&d| d as i64).collect();
        Ok(match op {
            Op::Eq => Some(Value::Bool(other_dims.is_some_and(|o| o == mine) && !matches!(other, Value::List(_)))),
            Op::Ne => Some(Value::Bool(other_dims.is_none_or(|o| o != mine) || matches!(other, Value::List(_)))),
            // A Size is a tuple: `(1, 1) + x.shape` is a tuple, `x.shape + (1,)` a Size.
            Op::Bin(crate::lang::ast::BinOp::Add) if !matches!(other, Value::List(_)) => match (other_dims, reflected) {
                (Some(o), true) => Some(Value::tuple(o.into_iter().chain(mine).map(Value::Int).collect())),
                (Some(o), false) if o.iter().all(|&d| d >= 0) => {
                    Some(Value::native(PySize(mine.into_iter().chain(o).map(|d| d as usize).collect())))
                }
                _ => None,
            },
            _ => None,
        })
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0.iter().fold(17u64, |h, &d| h.wrapping_mul(31).wrapping_add(d as u64)))
    }
}

/// Sizes given as `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(torch.Size(...))`.
pub(super) fn parse_shape(interp: &mut Interpreter, pos: &[Value], fname: &str) -> Result<Vec<usize>, Exception> {
    let items: Vec<Value> = match pos {
        [one] if !matches!(one, Value::Int(_) | Value::Bool(_)) => interp.iterate(one)?,
        many => many.to_vec(),
    };
    // A 0-dim integer tensor counts as its int (`__index__`), as in `randint(1, 5, (n.sum(),))`.
    let int_of = |v: &Value| {
        v.as_int().or_else(|| match as_tensor(v)?.item().ok()? {
            Scalar::Int(i) if !matches!(v, Value::Bool(_)) => Some(i),
            _ => None,
        })
    };
    items
        .iter()
        .map(|v| match int_of(v) {
            Some(n) if n >= 0 => Ok(n as usize),
            Some(n) => Err(Exception::runtime_error(format!("Trying to create tensor with negative dimension {n}: {:?}", items_dims(&items)))),
            None => Err(Exception::type_error(format!(
                "{fname}(): argument 'size' must be tuple of ints, but found element of type {} at pos 0",
                v.type_name()
            ))),
        })
        .collect()
}

/// Sizes given as `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(torch.Size(...))`, refused before
/// allocating when the tensor would exceed the engine's size limit.
pub fn shape_args(interp: &mut Interpreter, pos: &[Value], fname: &str) -> Result<Vec<usize>, Exception> {
    let shape = parse_shape(interp, pos, fname)?;
    crate::tensor::check_size(&shape).map_err(exc)?;
    Ok(shape)

}

fn items_dims(items: &[Value]) -> Vec<i64> {
    items.iter().filter_map(Value::as_int).collect()
}

/// Dims given as `view(2, 3)`, `view((2, 3))` or `view([2, -1])`, allowing -1.
pub fn dims_args(interp: &mut Interpreter, pos: &[Value]) -> Result<Vec<isize>, Exception> {
    let items: Vec<Value> = match pos {
        [one] if !matches!(one, Value::Int(_) | Value::Bool(_)) => interp.iterate(one)?,
        many => many.to_vec(),
    };
    items.iter().map(|v| v.expect_int("dim").map(|d| d as isize)).collect()
}

/// An optional `dim=` that may be an int or a tuple of ints.
pub fn dim_list(interp: &mut Interpreter, v: Option<&Value>) -> Result<Option<Vec<isize>>, Exception> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(Value::Int(d)) => Ok(Some(vec![*d as isize])),
        Some(v) => {
            let items = interp.iterate(v)?;
            Ok(Some(items.iter().map(|d| d.expect_int("dim").map(|d| d as isize)).collect::<Result<_, _>>()?))
        }
    }
}

/// Reads a Python bool argument (PyTorch accepts only bools where it says bool).
pub fn bool_arg(v: Option<&Value>, default: bool) -> bool {
    match v {
        None | Some(Value::None) => default,
        Some(v) => v.as_int().map_or(default, |i| i != 0),
    }
}

pub fn f64_arg(v: Option<&Value>, default: f64, what: &str) -> Result<f64, Exception> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => match as_tensor(v) {
            Some(t) if t.numel() == 1 => t.item().map_err(exc).map(|s| match s {
                Scalar::Bool(b) => b as i64 as f64,
                Scalar::Int(i) => i as f64,
                Scalar::Float(f) => f,
            }),
            _ => v.expect_f64(what),
        },
    }
}

/// A number argument kept as int or float (a one-element tensor gives its item), for factories
/// whose result depends on which (`linspace` into int64 truncates a float endpoint first).
pub fn scalar_arg(v: Option<&Value>, what: &str) -> Result<Scalar, Exception> {
    match v {
        None | Some(Value::None) => Ok(Scalar::Int(0)),
        Some(v) => match as_tensor(v) {
            Some(t) if t.numel() == 1 => t.item().map_err(exc),
            _ => as_scalar(v).map_or_else(|| v.expect_f64(what).map(Scalar::Float), Ok),
        },
    }
}

/// What `torch.tensor(data)` builds: the flattened elements, the shape, the inferred dtype.
struct Nested {
    shape: Vec<usize>,
    values: Vec<Scalar>,
    has_float: bool,
    has_int: bool,
    /// An int outside i64 was met (kept as its float): only a floating dtype can hold it.
    has_big: bool,
}

/// `torch.tensor(data, dtype=...)` from nested lists/tuples of numbers (or 0-d tensors).
pub fn tensor_from_data(interp: &mut Interpreter, data: &Value, dtype: Option<DType>) -> Result<Tensor, Exception> {
    if let Some(t) = as_tensor(data).or_else(|| crate::lang::numpy::as_array(data)) {
        let t = t.detach_copy();
        return match dtype {
            Some(d) if d != t.dtype() => t.to_dtype(d).map_err(exc),
            _ => Ok(t),
        };
    }
    let mut n = Nested { shape: Vec::new(), values: Vec::new(), has_float: false, has_int: false, has_big: false };
    collect(interp, data, 0, &mut n)?;
    let inferred = if n.has_float {
        super::default_dtype()
    } else if n.has_int {
        DType::Int64
    } else if n.values.is_empty() {
        super::default_dtype()
    } else {
        DType::Bool
    };
    let dtype = dtype.unwrap_or(inferred);
    if n.has_big && !dtype.is_floating_point() {
        return Err(long_overflow());
    }
    let data = match dtype {
        DType::Float32 => Data::F32(n.values.iter().map(|s| scalar_f64(*s) as f32).collect()),
        DType::Float64 => Data::F64(n.values.iter().map(|s| scalar_f64(*s)).collect()),
        DType::Int64 => Data::I64(
            n.values
                .iter()
                .map(|s| match s {
                    Scalar::Float(f) => *f as i64,
                    other => scalar_f64(*other) as i64,
                })
                .collect(),
        ),
        DType::Bool => Data::Bool(n.values.iter().map(|s| scalar_f64(*s) != 0.0).collect()),
        narrow => {
            if narrow.is_integral() {
                check_int_range(&n.values, narrow, "")?;
            }
            let wide = tensor_from_data(interp, data, Some(if narrow.is_integral() { DType::Int64 } else { DType::Float64 }))?;
            return wide.to_dtype(narrow).map_err(exc);
        }
    };
    Tensor::from_data(data, &n.shape).map_err(exc)
}

/// PyTorch refuses Python numbers outside a narrow integer dtype's range when it builds a
/// tensor from them (`torch.tensor`, `torch.full`); arithmetic with them wraps instead.
/// `suffix` is "_t" where PyTorch names the C type (`uint8_t`).
pub fn check_int_range(values: &[Scalar], dtype: DType, suffix: &str) -> Result<(), Exception> {
    let (lo, hi, name) = match dtype {
        DType::Int32 => (i32::MIN as f64, i32::MAX as f64, "int32"),
        DType::Int16 => (i16::MIN as f64, i16::MAX as f64, "int16"),
        DType::Int8 => (i8::MIN as f64, i8::MAX as f64, "int8"),
        DType::UInt8 => (0.0, 255.0, "uint8"),
        DType::UInt16 => (0.0, 65535.0, "uint16"),
        _ => return Ok(()),
    };
    for v in values {
        let x = scalar_f64(*v);
        if x < lo || x > hi {
            return Err(Exception::runtime_error(format!("value cannot be converted to type {name}{suffix} without overflow")));
        }
    }
    Ok(())
}

fn scalar_f64(s: Scalar) -> f64 {
    match s {
        Scalar::Bool(b) => b as i64 as f64,
        Scalar::Int(i) => i as f64,
        Scalar::Float(f) => f,
    }
}

fn collect(interp: &mut Interpreter, v: &Value, depth: usize, n: &mut Nested) -> Result<(), Exception> {
    let big = match v {
        Value::BigInt(b) => {
            n.has_big = true;
            n.has_int = true;
            Some(Scalar::Float(crate::lang::bigint::to_f64(b)?))
        }
        _ => None,
    };
    if let Some(s) = big.or_else(|| as_scalar(v)) {
        if depth < n.shape.len() {
            return Err(Exception::value_error(format!(
                "expected sequence of length {} at dim {} (got {})",
                n.shape[depth], depth, v.type_name()
            )));
        }
        match s {
            Scalar::Float(_) if big.is_some() => {}
            Scalar::Float(_) => n.has_float = true,
            Scalar::Int(_) => n.has_int = true,
            Scalar::Bool(_) => {}
        }
        n.values.push(s);
        return Ok(());
    }
    if let Some(t) = as_tensor(v) {
        // A tensor inside the data is a number to PyTorch (its `item()`), whatever its
        // dims: `torch.tensor([t1, t2])` of one-element tensors is 1-D.
        if t.numel() == 1 {
            let s = t.item().map_err(exc)?;
            return collect(interp, &scalar_value(s), depth, n);
        }
        return Err(Exception::value_error("only one element tensors can be converted to Python scalars"));
    }
    let items = match v {
        Value::List(_) | Value::Tuple(_) => interp.iterate(v)?,
        other => {
            return Err(Exception::type_error(format!(
                "new(): invalid data type '{}'",
                other.type_name()
            )));
        }
    };
    if depth == n.shape.len() {
        if !n.values.is_empty() {
            return Err(Exception::value_error(format!("expected sequence of length 0 at dim {depth} (got {})", items.len())));
        }
        n.shape.push(items.len());
    } else if n.shape[depth] != items.len() {
        return Err(Exception::value_error(format!(
            "expected sequence of length {} at dim {} (got {})",
            n.shape[depth], depth, items.len()
        )));
    }
    for item in &items {
        collect(interp, item, depth + 1, n)?;
    }
    Ok(())
}

/// `t.tolist()`: nested Python lists of Python numbers.
pub fn tolist(t: &Tensor) -> Value {
    let scalars = t.to_scalars();
    let shape = t.shape();
    if shape.is_empty() {
        return scalars.first().map_or(Value::None, |s| scalar_value(*s));
    }
    fn build(scalars: &[Scalar], shape: &[usize]) -> Value {
        if shape.len() == 1 {
            return Value::list(scalars.iter().map(|s| scalar_value(*s)).collect());
        }
        let stride: usize = shape[1..].iter().product();
        Value::list((0..shape[0]).map(|i| build(&scalars[i * stride..(i + 1) * stride], &shape[1..])).collect())
    }
    build(&scalars, &shape)
}

/// Keeps a signature check honest when a function takes `*size` plus keywords.
pub fn kw<'a>(args: &'a Args, name: &str) -> Option<&'a Value> {
    args.kw.iter().find(|(k, _)| &**k == name).map(|(_, v)| v)
}

/// Rejects keywords outside `allowed`, with CPython's wording.
pub fn check_kwargs(args: &Args, allowed: &[&str]) -> Result<(), Exception> {
    for (k, _) in &args.kw {
        if !allowed.contains(&&**k) {
            return Err(Exception::type_error(format!("{}() got an unexpected keyword argument '{k}'", args.fname)));
        }
    }
    Ok(())
}

/// A fresh Python tensor value.
/// A module's or function's tensor argument: "input must be a Tensor, not int".
pub fn tensor_arg(v: Option<&Value>, name: &str) -> Result<Tensor, Exception> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!("{name} must be a Tensor, not {}", v.map_or("nothing".to_string(), Value::type_name)))
    })
}

/// A torch function's tensor argument, refused as PyTorch's argument parser refuses it:
/// "f(): argument 'x' must be Tensor, not int".
pub fn tensor_param(v: Option<&Value>, fname: &str, param: &str) -> Result<Tensor, Exception> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!("{fname}(): argument '{param}' must be Tensor, not {}", v.map_or("NoneType".to_string(), Value::type_name)))
    })
}

/// As [`tensor_param`], for a positional argument: "f(): argument 'x' (position 1) must be
/// Tensor, not int".
pub fn tensor_param_at(v: Option<&Value>, fname: &str, param: &str, pos: usize) -> Result<Tensor, Exception> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument '{param}' (position {pos}) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

pub fn tv(t: Tensor) -> Value {
    Value::Native(Rc::new(PyTensor(t)))
}

/// `torch.return_types.max(values=..., indices=...)`: the named tuple of `max(dim)`/`min(dim)`,
/// and of the other functions returning a pair (`histogram`'s `hist`, `bin_edges`).
pub struct PyReturnType {
    pub name: &'static str,
    pub values: Value,
    pub indices: Value,
    /// The two fields' names.
    pub fields: [&'static str; 2],
}

/// The field names of `max(dim)`'s and `sort`'s results.
pub const VALUES_INDICES: [&str; 2] = ["values", "indices"];

impl PyReturnType {
    fn items(&self) -> Vec<Value> {
        vec![self.values.clone(), self.indices.clone()]
    }
}

impl NativeObject for PyReturnType {
    fn type_name(&self) -> &str {
        self.name
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.return_types")
    }
    fn repr(&self) -> String {
        let [a, b] = self.fields;
        format!("torch.return_types.{}(\n{a}={},\n{b}={})", self.name, self.values.repr(), self.indices.repr())
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(if name == self.fields[0] {
            Some(self.values.clone())
        } else if name == self.fields[1] {
            Some(self.indices.clone())
        } else {
            None
        })
    }
    fn len(&self, _: &mut Interpreter) -> Result<Option<usize>, Exception> {
        Ok(Some(2))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> Result<Option<Value>, Exception> {
        Ok(Some(Value::iter_items(self.items())))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> Result<Option<Value>, Exception> {
        interp.get_item(&Value::tuple(self.items()), key).map(Some)
    }
}
