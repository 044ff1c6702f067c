//! `numpy.ndarray` and NumPy's scalars as Python objects over engine tensors: an array is a
//! detached tensor handle, so `t.numpy()` and `torch.from_numpy(a)` share one buffer (a write
//! through either is seen by both) and basic indexing returns views, as in NumPy.
//!
//! A NumPy scalar (`np.float64(1.5)`, what indexing to a single element and full reductions
//! return) is a 0-d array flagged `scalar`: it computes as an array and prints as a scalar.

use crate::lang::ast::{BinOp, UnaryOp};
use crate::lang::native::{NativeObject, Op};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Data, Index, IndexValue, Scalar, Tensor, TensorError};

use super::ops::{self, NpOp};
use super::print;

pub(super) type R<T> = Result<T, Exception>;

pub(super) fn exc(e: TensorError) -> Exception {
    Exception::new(e.py_type(), e.to_string())
}

/// Elements in row-major order, in the kind NumPy computes them in.
#[derive(Clone, Debug)]
pub enum Elems {
    Bool(Vec<bool>),
    Int(Vec<i64>),
    Float(Vec<f64>),
}

impl Elems {
    pub fn len(&self) -> usize {
        match self {
            Elems::Bool(v) => v.len(),
            Elems::Int(v) => v.len(),
            Elems::Float(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn pick(&self, idx: &[usize]) -> Elems {
        match self {
            Elems::Bool(v) => Elems::Bool(idx.iter().map(|&i| v[i]).collect()),
            Elems::Int(v) => Elems::Int(idx.iter().map(|&i| v[i]).collect()),
            Elems::Float(v) => Elems::Float(idx.iter().map(|&i| v[i]).collect()),
        }
    }

    pub fn f64s(&self) -> Vec<f64> {
        match self {
            Elems::Bool(v) => v.iter().map(|&b| f64::from(u8::from(b))).collect(),
            Elems::Int(v) => v.iter().map(|&i| i as f64).collect(),
            Elems::Float(v) => v.clone(),
        }
    }

    pub fn i64s(&self) -> Vec<i64> {
        match self {
            Elems::Bool(v) => v.iter().map(|&b| i64::from(b)).collect(),
            Elems::Int(v) => v.clone(),
            Elems::Float(v) => v.iter().map(|&x| x as i64).collect(),
        }
    }

    pub fn bools(&self) -> Vec<bool> {
        match self {
            Elems::Bool(v) => v.clone(),
            Elems::Int(v) => v.iter().map(|&i| i != 0).collect(),
            Elems::Float(v) => v.iter().map(|&x| x != 0.0).collect(),
        }
    }

    /// As [`Elems::to_kind`], without a copy when the kind is already `dtype`'s.
    pub fn into_kind(self, dtype: DType) -> Elems {
        match (dtype, self) {
            (DType::Bool, e @ Elems::Bool(_)) => e,
            (d, e @ Elems::Float(_)) if d.is_floating_point() => e,
            (d, e @ Elems::Int(_)) if d != DType::Bool && !d.is_floating_point() => e,
            (d, e) => e.to_kind(d),
        }
    }

    /// The elements converted to `dtype`'s kind (floats to ints truncate, as `astype` does).
    pub fn to_kind(&self, dtype: DType) -> Elems {
        match dtype {
            DType::Bool => Elems::Bool(self.bools()),
            d if d.is_floating_point() => Elems::Float(self.f64s()),
            _ => Elems::Int(self.i64s()),
        }
    }
}

/// The tensor's elements, row-major.
pub fn elems(t: &Tensor) -> Elems {
    // The storage's array type is the dtype's kind (float16 in f32, int8 in i64, ...).
    match t.to_data() {
        Data::F32(v) => Elems::Float(v.into_iter().map(f64::from).collect()),
        Data::F64(v) => Elems::Float(v),
        Data::I64(v) => Elems::Int(v),
        Data::Bool(v) => Elems::Bool(v),
    }
}

/// A new tensor of `dtype` holding `e` (float32 rounds, narrow ints wrap).
pub fn build(e: Elems, shape: &[usize], dtype: DType) -> R<Tensor> {
    let data = match (e.into_kind(dtype), dtype) {
        (Elems::Float(v), DType::Float32) => Data::F32(v.into_iter().map(|x| x as f32).collect()),
        (Elems::Float(v), _) => Data::F64(v),
        (Elems::Int(v), _) => Data::I64(v),
        (Elems::Bool(v), _) => Data::Bool(v),
    };
    let t = Tensor::from_data(data, shape).map_err(exc)?;
    if t.dtype() != dtype {
        t.to_dtype(dtype).map_err(exc)
    } else {
        Ok(t)
    }
}

/// A NumPy array or scalar.
pub struct NdArray {
    pub t: Tensor,
    pub scalar: bool,
}

/// An array value over `t` (sharing its buffer).
pub fn array(t: Tensor) -> Value {
    Value::native(NdArray { t, scalar: false })
}

/// What a NumPy operation returns: a scalar when the result is 0-d, else an array.
pub fn result(t: Tensor) -> Value {
    let scalar = t.dim() == 0;
    Value::native(NdArray { t, scalar })
}

/// The tensor of an ndarray value.
pub fn as_array(v: &Value) -> Option<&Tensor> {
    v.downcast::<NdArray>().map(|a| &a.t)
}

/// A Python list/tuple (nested), number, or array as an array: NumPy's inference (any float
/// makes float64, else any int int64, else bool).
pub fn from_py(it: &mut Interpreter, v: &Value, dtype: Option<DType>) -> R<Tensor> {
    if let Some(t) = as_array(v) {
        return match dtype {
            Some(d) if d != t.dtype() => convert(t, d),
            _ => Ok(t.clone()),
        };
    }
    if let Some(t) = v.downcast::<crate::lang::torch::PyTensor>() {
        let t = t.0.detach();
        return match dtype {
            Some(d) if d != t.dtype() => convert(&t, d),
            _ => Ok(t),
        };
    }
    let mut shape = Vec::new();
    let mut vals = Vec::new();
    collect(it, v, 0, &mut shape, &mut vals)?;
    let inferred = if vals.iter().any(|s| matches!(s, Scalar::Float(_))) {
        DType::Float64
    } else if vals.iter().any(|s| matches!(s, Scalar::Int(_))) || vals.is_empty() {
        if vals.is_empty() {
            DType::Float64
        } else {
            DType::Int64
        }
    } else {
        DType::Bool
    };
    let dtype = dtype.unwrap_or(inferred);
    let e = match dtype {
        DType::Bool => Elems::Bool(vals.iter().map(|s| s.as_bool()).collect()),
        d if d.is_floating_point() => Elems::Float(vals.iter().map(|s| s.as_f64()).collect()),
        _ => Elems::Int(vals.iter().map(|s| s.as_i64()).collect()),
    };
    build(e, &shape, dtype)
}

fn collect(
    it: &mut Interpreter,
    v: &Value,
    depth: usize,
    shape: &mut Vec<usize>,
    out: &mut Vec<Scalar>,
) -> R<()> {
    let items = match v {
        Value::List(l) => Some(l.borrow().clone()),
        Value::Tuple(t) => Some(t.to_vec()),
        Value::Range(_) => Some(it.iterate(v)?),
        _ => None,
    };
    let Some(items) = items else {
        if depth != shape.len() {
            return Err(inhomogeneous(depth, shape));
        }
        let s = match v {
            Value::Bool(b) => Scalar::Bool(*b),
            Value::Int(i) => Scalar::Int(*i),
            Value::Float(f) => Scalar::Float(*f),
            other => match other.downcast::<NdArray>() {
                Some(a) if a.t.dim() == 0 => a.t.item().map_err(exc)?,
                Some(a) => {
                    let rows = a.t.shape();
                    let vals = a.t.to_scalars();
                    if depth == shape.len() && out.is_empty() {
                        shape.extend(rows);
                    }
                    out.extend(vals);
                    return Ok(());
                }
                None => {
                    return Err(Exception::type_error(format!(
                        "float() argument must be a string or a real number, not '{}'",
                        other.type_name()
                    )));
                }
            },
        };
        out.push(s);
        return Ok(());
    };
    if depth == shape.len() {
        if !out.is_empty() {
            return Err(inhomogeneous(depth, shape));
        }
        shape.push(items.len());
    } else if shape[depth] != items.len() {
        return Err(inhomogeneous(depth, shape));
    }
    for item in &items {
        collect(it, item, depth + 1, shape, out)?;
    }
    Ok(())
}

fn inhomogeneous(depth: usize, shape: &[usize]) -> Exception {
    Exception::value_error(format!(
        "setting an array element with a sequence. The requested array has an inhomogeneous shape after {depth} dimensions. The detected shape was {} + inhomogeneous part.",
        print::shape_str(&shape[..depth.min(shape.len())])
    ))
}

/// `t` as `dtype`, with NumPy's float-to-int truncation.
pub fn convert(t: &Tensor, dtype: DType) -> R<Tensor> {
    build(elems(t), &t.shape(), dtype)
}

/// A Python int/float/bool as its NumPy scalar value (numbers are 0-d in computations).
pub fn py_scalar(v: &Value) -> Option<Scalar> {
    match v {
        Value::Bool(b) => Some(Scalar::Bool(*b)),
        Value::Int(i) => Some(Scalar::Int(*i)),
        Value::Float(f) => Some(Scalar::Float(*f)),
        _ => None,
    }
}

fn index_parts(it: &mut Interpreter, key: &Value) -> R<Vec<Index>> {
    let parts = match key {
        Value::Tuple(items) => items.to_vec(),
        other => vec![other.clone()],
    };
    parts
        .iter()
        .map(|p| -> R<Index> {
            Ok(match p {
                Value::Int(i) => Index::Int(*i),
                Value::None => Index::NewAxis,
                Value::Ellipsis => Index::Ellipsis,
                Value::Slice(s) => {
                    let (start, stop, step) = crate::lang::torch::slice_bounds(s)?;
                    if step == 0 {
                        return Err(Exception::value_error("slice step cannot be zero"));
                    }
                    Index::Slice { start, stop, step }
                }
                Value::List(_) | Value::Range(_) => Index::Tensor(from_py(it, p, None)?),
                v => match v.downcast::<NdArray>() {
                    Some(a) if a.scalar && a.t.dtype().is_integral() => Index::Int(a.t.item().map_err(exc)?.as_i64()),
                    Some(a) => Index::Tensor(a.t.clone()),
                    None => {
                        return Err(Exception::new(
                            "IndexError",
                            "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean arrays are valid indices",
                        ));
                    }
                },
            })
        })
        .collect()
}

/// Negative-step slices as the positive-step slice over the same elements, plus the output
/// dims to flip afterwards (the engine's slices step forward only).
fn forward_slices(idx: Vec<Index>, shape: &[usize]) -> R<(Vec<Index>, Vec<isize>)> {
    let negative = |i: &Index| matches!(i, Index::Slice { step, .. } if *step < 0);
    if !idx.iter().any(negative) {
        return Ok((idx, Vec::new()));
    }
    if idx.iter().any(|i| matches!(i, Index::Tensor(_))) {
        return Err(Exception::unsupported("a negative-step slice together with an index array"));
    }
    let consumed = idx.iter().filter(|i| matches!(i, Index::Int(_) | Index::Slice { .. })).count();
    let (mut din, mut dout) = (0usize, 0isize);
    let mut flips = Vec::new();
    let mut out = Vec::with_capacity(idx.len());
    for i in idx {
        match i {
            Index::Ellipsis => {
                let skip = shape.len().saturating_sub(consumed);
                din += skip;
                dout += skip as isize;
                out.push(i);
            }
            Index::NewAxis => {
                dout += 1;
                out.push(i);
            }
            Index::Int(_) => {
                din += 1;
                out.push(i);
            }
            Index::Slice { start, stop, step } if step < 0 => {
                let n = shape.get(din).copied().unwrap_or(0) as i64;
                let clamp = |v: Option<i64>, none: i64| match v {
                    None => none,
                    Some(v) => {
                        let v = if v < 0 { v + n } else { v };
                        v.clamp(-1, n - 1)
                    }
                };
                let (a, b) = (clamp(start, n - 1), clamp(stop, -1));
                let count = if a > b { (a - b - 1) / -step + 1 } else { 0 };
                out.push(if count == 0 {
                    Index::Slice { start: Some(0), stop: Some(0), step: 1 }
                } else {
                    Index::Slice { start: Some(a + (count - 1) * step), stop: Some(a + 1), step: -step }
                });
                flips.push(dout);
                din += 1;
                dout += 1;
            }
            other => {
                din += 1;
                dout += 1;
                out.push(other);
            }
        }
    }
    Ok((out, flips))
}

impl NdArray {
    fn elems(&self) -> Elems {
        elems(&self.t)
    }
}

impl NativeObject for NdArray {
    fn type_name(&self) -> &str {
        if self.scalar {
            if self.t.dtype() == DType::Bool {
                "bool"
            } else {
                print::dtype_name(self.t.dtype())
            }
        } else {
            "ndarray"
        }
    }
    fn module_name(&self) -> Option<&str> {
        Some("numpy")
    }
    /// NumPy's integer scalars and 0-d integer arrays index; any other array's `__index__`
    /// raises, and float and bool scalars have none.
    fn index(&self) -> Option<Result<i64, String>> {
        let integral = self.t.dtype().is_integral();
        if integral && self.t.dim() == 0 {
            return Some(self.t.item().map(|v| v.as_i64()).map_err(|e| e.to_string()));
        }
        if self.scalar {
            return None;
        }
        Some(Err("only integer scalar arrays can be converted to a scalar index".into()))
    }
    fn repr(&self) -> String {
        let (e, shape, d) = (self.elems(), self.t.shape(), self.t.dtype());
        if self.scalar {
            print::scalar_repr(&e, d)
        } else {
            print::array_repr(&e, &shape, d)
        }
    }
    fn str(&self) -> String {
        let (e, shape, d) = (self.elems(), self.t.shape(), self.t.dtype());
        if self.scalar {
            print::scalar_str(&e, d)
        } else {
            print::array_str(&e, &shape, d)
        }
    }

    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let t = &self.t;
        Ok(Some(match name {
            "shape" => Value::tuple(
                t.shape()
                    .into_iter()
                    .map(|d| Value::Int(d as i64))
                    .collect(),
            ),
            "ndim" => Value::Int(t.dim() as i64),
            "size" => Value::Int(t.numel() as i64),
            "dtype" => super::dtype_value(t.dtype()),
            "itemsize" => Value::Int(itemsize(t.dtype())),
            "nbytes" => Value::Int(itemsize(t.dtype()) * t.numel() as i64),
            "T" => array(ops::transpose(t, None)?),
            _ => return Ok(super::methods::method(this, name)),
        }))
    }

    fn binary_op(
        &self,
        this: &Value,
        op: Op,
        other: &Value,
        reflected: bool,
        it: &mut Interpreter,
    ) -> R<Option<Value>> {
        let np_op = match op {
            Op::Bin(b) | Op::InPlace(b) => match NpOp::from_bin(b) {
                Some(o) => o,
                None => return Ok(None),
            },
            Op::Lt => NpOp::Lt,
            Op::Le => NpOp::Le,
            Op::Eq => NpOp::Eq,
            Op::Ne => NpOp::Ne,
            Op::Gt => NpOp::Gt,
            Op::Ge => NpOp::Ge,
        };
        let Some(b) = ops::operand(it, other)? else {
            return Ok(None);
        };
        let a = ops::Operand::Array(self.t.clone());
        if let Op::InPlace(_) = op {
            if self.scalar {
                let r = ops::binary(np_op, &a, &b)?;
                return Ok(Some(result(r)));
            }
            let r = ops::binary(np_op, &a, &b)?;
            ops::store(&self.t, &r, np_op.name())?;
            return Ok(Some(this.clone()));
        }
        let r = if reflected {
            ops::binary(np_op.reflect(), &a, &b)?
        } else {
            ops::binary(np_op, &a, &b)?
        };
        Ok(Some(result(r)))
    }

    fn unary_op(&self, this: &Value, op: UnaryOp, _: &mut Interpreter) -> R<Option<Value>> {
        let e = self.elems();
        let shape = self.t.shape();
        let out = match (op, e) {
            (UnaryOp::Pos, _) => return Ok(Some(this.clone())),
            (UnaryOp::Neg, Elems::Float(v)) => Elems::Float(v.iter().map(|x| -x).collect()),
            (UnaryOp::Neg, Elems::Int(v)) => {
                Elems::Int(v.iter().map(|x| x.wrapping_neg()).collect())
            }
            (UnaryOp::Invert, Elems::Bool(v)) => Elems::Bool(v.iter().map(|x| !x).collect()),
            (UnaryOp::Invert, Elems::Int(v)) => Elems::Int(v.iter().map(|x| !x).collect()),
            (UnaryOp::Neg, Elems::Bool(_)) => {
                return Err(Exception::type_error(
                    "The numpy boolean negative, the `-` operator, is not supported, use the `~` operator or the logical_not function instead.",
                ));
            }
            _ => return Ok(None),
        };
        let r = build(out, &shape, self.t.dtype())?;
        Ok(Some(if self.scalar { result(r) } else { array(r) }))
    }

    fn get_item(&self, _: &Value, key: &Value, it: &mut Interpreter) -> R<Option<Value>> {
        if self.scalar {
            return Err(Exception::new(
                "IndexError",
                "invalid index to scalar variable.",
            ));
        }
        let (idx, flips) = forward_slices(index_parts(it, key)?, &self.t.shape())?;
        let mut r = self.t.index(&idx).map_err(exc)?;
        if !flips.is_empty() {
            r = r.flip(&flips).map_err(exc)?;
        }
        let all_ints = idx.iter().all(|i| matches!(i, Index::Int(_)));
        Ok(Some(if r.dim() == 0 && all_ints {
            result(r)
        } else {
            array(r)
        }))
    }

    fn set_item(&self, _: &Value, key: &Value, value: Value, it: &mut Interpreter) -> R<bool> {
        let (idx, flips) = forward_slices(index_parts(it, key)?, &self.t.shape())?;
        if !flips.is_empty() {
            return Err(Exception::unsupported("assignment through a negative-step slice"));
        }
        let v = match py_scalar(&value) {
            Some(s) => IndexValue::Tensor(build(scalar_elems(s), &[], self.t.dtype())?),
            None => IndexValue::Tensor(from_py(it, &value, Some(self.t.dtype()))?),
        };
        self.t.index_put_(&idx, &v).map_err(exc)?;
        Ok(true)
    }

    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        if self.scalar {
            // A NumPy scalar type has no `__len__` (d2l's `hasattr(indices, '__len__')`).
            return Ok(None);
        }
        match self.t.shape().first() {
            Some(&n) => Ok(Some(n)),
            _ => Err(Exception::type_error("len() of unsized object")),
        }
    }

    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        if self.t.dim() == 0 {
            return Err(Exception::type_error("iteration over a 0-d array"));
        }
        let rows: Vec<Value> = self
            .t
            .unbind(0)
            .map_err(exc)?
            .into_iter()
            .map(result)
            .collect();
        Ok(Some(Value::iter_items(rows)))
    }

    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        if self.t.numel() != 1 {
            return Err(Exception::value_error(
                "The truth value of an array with more than one element is ambiguous. Use a.any() or a.all()",
            ));
        }
        Ok(Some(self.t.item().map_err(exc)?.as_bool()))
    }

    fn as_number(&self, _: &mut Interpreter) -> R<Option<Value>> {
        if self.t.numel() != 1 {
            return Err(Exception::type_error(
                "only length-1 arrays can be converted to Python scalars",
            ));
        }
        Ok(Some(scalar_value(self.t.item().map_err(exc)?)))
    }

    fn format(&self, _: &Value, spec: &str, it: &mut Interpreter) -> R<Option<String>> {
        if self.scalar || spec.is_empty() {
            if spec.is_empty() {
                return Ok(Some(self.str()));
            }
            let v = scalar_value(self.t.item().map_err(exc)?);
            return it.format(&v, spec).map(Some);
        }
        Err(Exception::type_error(
            "unsupported format string passed to numpy.ndarray.__format__",
        ))
    }

    fn hash(&self) -> Option<u64> {
        if !self.scalar {
            return None;
        }
        let x = self.t.item().ok()?;
        Some(match x {
            Scalar::Float(f) if f.fract() != 0.0 => f.to_bits(),
            other => other.as_i64() as u64,
        })
    }

    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == self.type_name() || (self.scalar && matches!(type_name, "generic" | "number"))
    }
}

fn itemsize(d: DType) -> i64 {
    match d {
        DType::Bool | DType::Int8 | DType::UInt8 => 1,
        DType::Int16 | DType::UInt16 | DType::Float16 | DType::BFloat16 => 2,
        DType::Int32 | DType::Float32 => 4,
        DType::Int64 | DType::Float64 => 8,
    }
}

pub fn scalar_elems(s: Scalar) -> Elems {
    match s {
        Scalar::Bool(b) => Elems::Bool(vec![b]),
        Scalar::Int(i) => Elems::Int(vec![i]),
        Scalar::Float(f) => Elems::Float(vec![f]),
    }
}

pub fn scalar_value(s: Scalar) -> Value {
    match s {
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Float(f) => Value::Float(f),
    }
}

/// `a.tolist()`: nested lists of Python numbers.
pub fn tolist(t: &Tensor) -> Value {
    fn rec(vals: &[Scalar], shape: &[usize]) -> Value {
        match shape {
            [] => scalar_value(vals[0]),
            [n, rest @ ..] => {
                let inner: usize = rest.iter().product();
                Value::list(
                    (0..*n)
                        .map(|i| rec(&vals[i * inner..(i + 1) * inner], rest))
                        .collect(),
                )
            }
        }
    }
    let vals = t.to_scalars();
    rec(&vals, &t.shape())
}

impl NpOp {
    fn from_bin(b: BinOp) -> Option<NpOp> {
        Some(match b {
            BinOp::Add => NpOp::Add,
            BinOp::Sub => NpOp::Sub,
            BinOp::Mul => NpOp::Mul,
            BinOp::Div => NpOp::Div,
            BinOp::FloorDiv => NpOp::FloorDiv,
            BinOp::Mod => NpOp::Mod,
            BinOp::Pow => NpOp::Pow,
            BinOp::MatMul => NpOp::MatMul,
            BinOp::BitAnd => NpOp::And,
            BinOp::BitOr => NpOp::Or,
            BinOp::BitXor => NpOp::Xor,
            _ => return None,
        })
    }
}
