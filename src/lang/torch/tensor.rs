//! `torch.Tensor` as a Python object: attributes, methods, operators, indexing, formatting.

use std::cell::Cell;

use super::convert::{PySize, as_scalar, as_tensor, big_scalar, bool_arg, dim_list, dims_args, dtype_arg, dtype_value, exc, f64_arg, long_overflow, scalar_value, tensor_param, tolist, tv};
use crate::lang::ast::{BinOp, UnaryOp};
use crate::lang::native::{Args, NativeObject, Op};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Index, IndexValue, Scalar, Tensor};

/// A Python handle on an engine tensor. Several handles may share one tensor (`parameters()`
/// hands out new handles on the model's tensors), as Python names share one object.
pub struct PyTensor(pub Tensor);

type R<T> = Result<T, Exception>;

fn receiver(args: &Args) -> R<Tensor> {
    Ok(args.this_native::<PyTensor>()?.0.clone())
}

/// The other operand of a binary operator.
enum Operand<'a> {
    T(&'a Tensor),
    S(Scalar),
}

/// `v` as the other operand of a tensor `a`'s operator; big ints follow PyTorch's uint64 rule.
fn operand<'a>(a: &Tensor, v: &'a Value) -> R<Option<Operand<'a>>> {
    if let Some(s) = big_scalar(v, a.dtype())? {
        return Ok(Some(Operand::S(s)));
    }
    Ok(as_tensor(v).map(Operand::T).or_else(|| as_scalar(v).map(Operand::S)))
}

/// `a op b` where `a` is a tensor; `reflected` means the tensor is on the right.
pub fn binary(a: &Tensor, op: BinOp, b: &Value, reflected: bool) -> R<Option<Tensor>> {
    if matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::LShift | BinOp::RShift) {
        return super::bitwise::binary(a, op, b, reflected);
    }
    if op == BinOp::FloorDiv {
        return floor_div(a, b, reflected);
    }
    let Some(b) = operand(a, b)? else { return Ok(None) };
    // Integer operands whose result is floating (`ints * 1.5`, `ints / 2`) are made the
    // default dtype first, as PyTorch's result type is; the engine would make float32.
    let makes_floats = !a.dtype().is_floating_point()
        && match &b {
            Operand::S(Scalar::Float(_)) => matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow | BinOp::Mod),
            Operand::S(_) => op == BinOp::Div,
            Operand::T(t) => op == BinOp::Div && !t.dtype().is_floating_point(),
        };
    let cast;
    let a = if makes_floats {
        cast = super::float_input(a)?;
        &cast
    } else {
        a
    };
    let other = match &b {
        Operand::T(t) => Some(*t),
        Operand::S(_) => None,
    };
    let r = match (op, b, reflected) {
        (BinOp::Add, Operand::T(b), false) => a.add(b),
        (BinOp::Add, Operand::T(b), true) => b.add(a),
        (BinOp::Add, Operand::S(s), _) => a.add_scalar(s),
        (BinOp::Sub, Operand::T(b), false) => a.sub(b),
        (BinOp::Sub, Operand::T(b), true) => b.sub(a),
        (BinOp::Sub, Operand::S(s), false) => a.sub_scalar(s),
        (BinOp::Sub, Operand::S(s), true) => a.rsub_scalar(s),
        (BinOp::Mul, Operand::T(b), false) => a.mul(b),
        (BinOp::Mul, Operand::T(b), true) => b.mul(a),
        (BinOp::Mul, Operand::S(s), _) => a.mul_scalar(s),
        (BinOp::Div, Operand::T(b), false) => a.div(b),
        (BinOp::Div, Operand::T(b), true) => b.div(a),
        (BinOp::Div, Operand::S(s), false) => a.div_scalar(s),
        (BinOp::Div, Operand::S(s), true) => a.rdiv_scalar(s),
        (BinOp::Pow, Operand::T(b), false) => a.pow(b),
        (BinOp::Pow, Operand::T(b), true) => b.pow(a),
        (BinOp::Pow, Operand::S(s), false) => a.pow_scalar(s),
        (BinOp::Pow, Operand::S(s), true) => a.rpow_scalar(s),
        (BinOp::MatMul, Operand::T(b), false) => a.matmul(b),
        (BinOp::MatMul, Operand::T(b), true) => b.matmul(a),
        (BinOp::Mod, Operand::S(s), false) => a.remainder_scalar(s),
        (BinOp::Mod, Operand::T(b), false) => a.remainder(b),
        (BinOp::Mod, Operand::T(b), true) => b.remainder(a),
        _ => return Ok(None),
    };
    let r = r.map_err(exc)?;
    if op == BinOp::MatMul {
        return Ok(Some(r));
    }
    // Pointwise results keep a channels-last operand's layout (a cheap check when none is).
    let (first, second) = match (reflected, other) {
        (true, Some(o)) => (o, Some(a)),
        _ => (a, other),
    };
    super::memory_format::follow_pair(r, first, second).map(Some)
}

/// `a // b` and `b // a` (`__floordiv__`, `__rfloordiv__`): `torch.floor_divide`, a number
/// on the left taken as a 0-d tensor of its Python type (int64, or float32 for a float).
fn floor_div(a: &Tensor, b: &Value, reflected: bool) -> R<Option<Tensor>> {
    if !reflected {
        if as_tensor(b).is_none() && as_scalar(b).is_none() {
            return Ok(None);
        }
        return super::tensorfns::floor_divide(a, b).map(Some);
    }
    let left = match (as_tensor(b), as_scalar(b)) {
        (Some(t), _) => t.clone(),
        (None, Some(s @ Scalar::Float(_))) => Tensor::scalar(s, super::default_dtype()),
        (None, Some(s)) => Tensor::scalar(s, DType::Int64),
        _ => return Ok(None),
    };
    super::tensorfns::floor_divide(&left, &tv(a.clone())).map(Some)
}

pub(super) fn compare(a: &Tensor, op: Op, b: &Value, reflected: bool) -> R<Option<Tensor>> {
    // `1 < t` arrives as the reflected `t > 1`.
    let op = match (op, reflected) {
        (Op::Lt, true) => Op::Gt,
        (Op::Gt, true) => Op::Lt,
        (Op::Le, true) => Op::Ge,
        (Op::Ge, true) => Op::Le,
        (op, _) => op,
    };
    let Some(b) = operand(a, b)? else { return Ok(None) };
    let r = match (op, b) {
        (Op::Eq, Operand::T(b)) => a.eq(b),
        (Op::Ne, Operand::T(b)) => a.ne(b),
        (Op::Lt, Operand::T(b)) => a.lt(b),
        (Op::Le, Operand::T(b)) => a.le(b),
        (Op::Gt, Operand::T(b)) => a.gt(b),
        (Op::Ge, Operand::T(b)) => a.ge(b),
        (Op::Eq, Operand::S(s)) => a.eq_scalar(s),
        (Op::Ne, Operand::S(s)) => a.ne_scalar(s),
        (Op::Lt, Operand::S(s)) => a.lt_scalar(s),
        (Op::Le, Operand::S(s)) => a.le_scalar(s),
        (Op::Gt, Operand::S(s)) => a.gt_scalar(s),
        (Op::Ge, Operand::S(s)) => a.ge_scalar(s),
        _ => return Ok(None),
    };
    r.map(Some).map_err(exc)
}

fn in_place(a: &Tensor, op: BinOp, b: &Value) -> R<bool> {
    if super::bitwise::in_place(a, op, b)? {
        return Ok(true);
    }
    let Some(b) = operand(a, b)? else { return Ok(false) };
    let r = match (op, b) {
        (BinOp::Add, Operand::T(b)) => a.add_(b),
        (BinOp::Sub, Operand::T(b)) => a.sub_(b),
        (BinOp::Mul, Operand::T(b)) => a.mul_(b),
        (BinOp::Div, Operand::T(b)) => a.div_(b),
        (BinOp::Add, Operand::S(s)) => a.add_scalar_(s),
        (BinOp::Sub, Operand::S(s)) => a.sub_scalar_(s),
        (BinOp::Mul, Operand::S(s)) => a.mul_scalar_(s),
        (BinOp::Div, Operand::S(s)) => a.div_scalar_(s),
        _ => return Ok(false),
    };
    r.map(|()| true).map_err(exc)
}

/// `scatter(dim, index, src, reduce='add'|'multiply')`, the older spelling of
/// `scatter_reduce(..., 'sum'|'prod', include_self=True)`; a number `src` fills the index's shape.
fn scatter_reduce_legacy(t: &Tensor, d: isize, i: &Tensor, src: &Value, reduce: &str, name: &str, this: Option<Value>) -> R<Value> {
    let r = match reduce {
        "add" => crate::tensor::Reduce::Sum,
        "multiply" => crate::tensor::Reduce::Prod,
        _ => return Err(Exception::runtime_error("reduce argument must be either add or multiply.")),
    };
    let s = match as_tensor(src) {
        Some(s) => s.clone(),
        None => {
            let v = as_scalar(src).ok_or_else(|| Exception::type_error(format!("{name}() received an invalid combination of arguments")))?;
            Tensor::full(&i.shape(), v, t.dtype())
        }
    };
    let out = t.scatter_reduce(d, i, &s, r, true).map_err(exc)?;
    if name.ends_with('_') {
        t.copy_(&out).map_err(exc)?;
        return Ok(this.unwrap_or(Value::None));
    }
    Ok(tv(out))
}

/// A subscript as engine indices.
fn indices(interp: &mut Interpreter, key: &Value) -> R<Vec<Index>> {
    let parts = match key {
        Value::Tuple(items) => items.to_vec(),
        // PyTorch reads a short list holding a sequence, slice, None, `...` or tensor as a tuple.
        Value::List(items) if super::api::list_is_tuple_index(&items.borrow()) => items.borrow().clone(),
        other => vec![other.clone()],
    };
    parts
        .iter()
        .map(|p| -> R<Index> {
            Ok(match p {
                Value::Bool(_) => return Err(Exception::unsupported("indexing a tensor with a bool")),
                Value::Int(i) => Index::Int(*i),
                Value::None => Index::NewAxis,
                Value::Ellipsis => Index::Ellipsis,
                Value::Slice(s) => {
                    let (start, stop, step) = slice_bounds(s)?;
                    if step <= 0 {
                        return Err(Exception::value_error("step must be greater than zero"));
                    }
                    Index::Slice { start, stop, step }
                }
                Value::List(_) | Value::Range(_) => {
                    let t = super::api::index_tensor(interp, p)?;
                    Index::Tensor(t)
                }
                v => match as_tensor(v) {
                    Some(t) => Index::Tensor(t.clone()),
                    // A NumPy integer scalar (`for i in topk.numpy()`) indexes through its
                    // `__index__`, as an int; a NumPy array as an index tensor.
                    None if crate::lang::numpy::to_tensor(v).is_some() => {
                        let t = crate::lang::numpy::to_tensor(v).unwrap_or_else(|| Tensor::zeros(&[], crate::tensor::DType::Int64));
                        match t.to_scalars().as_slice() {
                            [crate::tensor::Scalar::Int(i)] if t.dim() == 0 => Index::Int(*i),
                            _ => Index::Tensor(t),
                        }
                    }
                    None => {
                        return Err(Exception::new(
                            "IndexError",
                            "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got "
                                .to_string()
                                + &v.type_name()
                                + ")",
                        ));
                    }
                },
            })
        })
        .collect()
}

impl NativeObject for PyTensor {
    fn same_object(&self, other: &Value) -> bool {
        other.downcast::<PyTensor>().is_some_and(|o| o.0.same(&self.0))
    }
    fn type_name(&self) -> &str {
        if self.0.is_parameter() { "Parameter" } else { "Tensor" }
    }
    fn module_name(&self) -> Option<&str> {
        Some(if self.0.is_parameter() { "torch.nn.parameter" } else { "torch" })
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Tensor" || type_name == self.type_name() || super::legacy_types::is_instance(type_name, self.0.dtype())
    }
    fn repr(&self) -> String {
        self.0.repr()
    }
    /// Handles on one engine tensor are one Python tensor (as a dict key: the per-parameter
    /// optimizers of `{p: Adam([p]) for p in model.parameters()}` are found again).
    fn key_identity(&self) -> Option<usize> {
        Some(self.0.id())
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0.id() as u64)
    }
    /// `Tensor.__index__`: one element of an integer or bool dtype, else TypeError.
    fn index(&self) -> Option<Result<i64, String>> {
        let t = &self.0;
        if t.numel() != 1 || t.dtype().is_floating_point() {
            return Some(Err("only integer tensors of a single element can be converted to an index".into()));
        }
        Some(t.item().map(|v| v.as_i64()).map_err(|e| e.to_string()))
    }

    fn get_attr(&self, this: &Value, name: &str, interp: &mut Interpreter) -> R<Option<Value>> {
        let t = &self.0;
        let v = match name {
            "grad" => super::leaf_grad::grad(t, interp)?.map_or(Value::None, tv),
            "retains_grad" => Value::Bool(t.retains_grad()),
            "requires_grad" => Value::Bool(t.requires_grad()),
            "is_leaf" => Value::Bool(t.is_leaf()),
            "grad_fn" => super::graph::grad_fn(t),
            "shape" => Value::native(PySize(t.shape())),
            "dtype" => dtype_value(t.dtype()),
            "ndim" => Value::Int(t.dim() as i64),
            "data" => tv(t.detach()),
            "_base" => t.view_base().map_or(Value::None, tv),
            "T" => tv(if t.dim() == 2 { t.mt() } else { t.permute(&(0..t.dim() as isize).rev().collect::<Vec<_>>()) }.map_err(exc)?),
            "mT" | "mH" | "H" => tv(matrix_transpose(t, name)?),
            "is_cuda" => Value::Bool(false),
            "itemsize" => Value::Int(t.dtype().element_size() as i64),
            "nbytes" => Value::Int((t.dtype().element_size() * t.numel()) as i64),
            "device" => super::device::PyDevice::cpu(),
            // A real tensor is its own real part; it has no imaginary part.
            "real" => this.clone(),
            "imag" => return Err(Exception::type_error("imag is not implemented for tensors with non-complex dtypes.")),
            "to" | "type" => return Ok(method(this, name).map(|m| super::complex_new::to_complex(this, m))),
            _ => return Ok(method(this, name)),
        };
        Ok(Some(v))
    }

    fn set_attr(&self, _: &Value, name: &str, value: Value, _: &mut Interpreter) -> R<bool> {
        match name {
            "requires_grad" => {
                self.0.set_requires_grad(value.as_int().is_some_and(|i| i != 0)).map_err(exc)?;
                Ok(true)
            }
            "grad" => {
                match &value {
                    Value::None => self.0.set_grad(None),
                    v => match as_tensor(v) {
                        Some(g) => self.0.set_grad(Some(g.clone())),
                        None => return Err(Exception::type_error(format!("assigned grad expected to be a Tensor or None but got grad of type {}", v.type_name()))),
                    },
                }
                Ok(true)
            }
            "data" => match as_tensor(&value) {
                Some(src) => {
                    let _guard = NoGrad::new();
                    self.0.copy_(src).map_err(exc)?;
                    Ok(true)
                }
                None => Err(Exception::type_error("data must be a Tensor")),
            },
            _ => Ok(false),
        }
    }

    fn binary_op(&self, this: &Value, op: Op, other: &Value, reflected: bool, _: &mut Interpreter) -> R<Option<Value>> {
        if super::complex::is_complex_value(other) {
            if let Op::InPlace(_) = op {
                return Ok(None);
            }
            let (a, b) = if reflected { (other, this) } else { (this, other) };
            return super::complex_new::apply(a, b, op).map(Some);
        }
        match op {
            Op::Bin(b) => Ok(binary(&self.0, b, other, reflected)?.map(tv)),
            Op::InPlace(b) => Ok(if in_place(&self.0, b, other)? { Some(this.clone()) } else { None }),
            cmp => Ok(compare(&self.0, cmp, other, reflected)?.map(tv)),
        }
    }

    fn unary_op(&self, this: &Value, op: UnaryOp, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match op {
            UnaryOp::Neg => Some(tv(self.0.neg().map_err(exc)?)),
            UnaryOp::Pos => Some(this.clone()),
            UnaryOp::Invert => Some(super::bitwise::invert(&self.0)?),
            _ => None,
        })
    }

    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        let idx = indices(interp, key)?;
        Ok(Some(tv(self.0.index(&idx).map_err(exc)?)))
    }

    fn set_item(&self, _: &Value, key: &Value, value: Value, interp: &mut Interpreter) -> R<bool> {
        let idx = indices(interp, key)?;
        if let Value::BigInt(_) = value {
            return Err(long_overflow());
        }
        let v = match (as_tensor(&value), as_scalar(&value)) {
            (Some(t), _) => IndexValue::Tensor(t.clone()),
            (None, Some(s)) => IndexValue::Scalar(s),
            _ => return Err(Exception::type_error(format!("can't assign a {} to a {}", value.type_name(), self.type_name()))),
        };
        self.0.index_put_(&idx, &v).map_err(exc)?;
        Ok(true)
    }

    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        match self.0.shape().first() {
            Some(&n) => Ok(Some(n)),
            None => Err(Exception::type_error("len() of a 0-d tensor")),
        }
    }

    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        if self.0.dim() == 0 {
            return Err(Exception::type_error("iteration over a 0-d tensor"));
        }
        // PyTorch iterates with `unbind(0)`: the rows are views of the tensor.
        let rows: Vec<Value> = self.0.unbind(0).map_err(exc)?.into_iter().map(tv).collect();
        Ok(Some(Value::iter_items(rows)))
    }

    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        if self.0.numel() != 1 {
            return Err(Exception::runtime_error(format!(
                "Boolean value of Tensor with {} values is ambiguous",
                if self.0.numel() == 0 { "no" } else { "more than one" }
            )));
        }
        Ok(Some(match self.0.item().map_err(exc)? {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::Float(f) => f != 0.0,
        }))
    }

    fn as_number(&self, _: &mut Interpreter) -> R<Option<Value>> {
        if self.0.numel() != 1 {
            return Err(Exception::value_error("only one element tensors can be converted to Python scalars"));
        }
        Ok(Some(scalar_value(self.0.item().map_err(exc)?)))
    }

    fn format(&self, _: &Value, spec: &str, interp: &mut Interpreter) -> R<Option<String>> {
        // PyTorch formats a 0-d plain tensor as its Python number; everything else falls back to
        // object.__format__ (str for an empty spec, TypeError otherwise).
        if self.0.dim() == 0 && !self.0.is_parameter() {
            let v = scalar_value(self.0.item().map_err(exc)?);
            return interp.format(&v, spec).map(Some);
        }
        Ok(None)
    }
}

/// Turns grad mode off for its lifetime (for `.data =`, optimizer-like updates).
pub struct NoGrad(bool);

impl NoGrad {
    pub fn new() -> NoGrad {
        NoGrad(crate::tensor::set_grad_enabled(false))
    }
}

impl Drop for NoGrad {
    fn drop(&mut self) {
        crate::tensor::set_grad_enabled(self.0);
    }
}

/// `with torch.no_grad():` / `torch.enable_grad()`.
pub struct GradMode {
    pub enabled: bool,
    saved: Cell<Option<bool>>,
}

impl GradMode {
    pub fn new(enabled: bool) -> GradMode {
        GradMode { enabled, saved: Cell::new(None) }
    }
}

impl NativeObject for GradMode {
    fn type_name(&self) -> &str {
        if self.enabled { "enable_grad" } else { "no_grad" }
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.autograd.grad_mode")
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        self.saved.set(Some(crate::tensor::set_grad_enabled(self.enabled)));
        Ok(Some(Value::None))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        if let Some(prev) = self.saved.take() {
            crate::tensor::set_grad_enabled(prev);
        }
        Ok(false)
    }
    /// `@torch.no_grad()` on a function: the function runs with this grad mode.
    fn call(&self, _: &Value, args: Args, _: &mut Interpreter) -> R<Option<Value>> {
        let [f] = args.bind(&["func"])?;
        Ok(Some(grad_mode_wrapper(self.enabled, f.unwrap_or(Value::None))))
    }
}

/// `f` wrapped to run with grad mode `enabled` (restored afterwards, also on error).
pub fn grad_mode_wrapper(enabled: bool, f: Value) -> Value {
    // A function as PyTorch's `functools.wraps` wrapper is: as a class attribute it binds to
    // the instance (`@torch.no_grad()` on a method, minGPT's `generate`).
    Value::native(crate::lang::classes::NativeMethod(Value::native(GradModeFn { enabled, f })))
}

/// A function decorated by a grad mode: it runs with that mode, restored afterwards.
struct GradModeFn {
    enabled: bool,
    f: Value,
}

impl NativeObject for GradModeFn {
    fn type_name(&self) -> &str {
        "function"
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(GradModeFn { enabled: self.enabled, f: c.value(&self.f)? }))
    }
    fn wrapped(&self) -> Option<Value> {
        Some(self.f.clone())
    }
    fn call(&self, _: &Value, args: Args, interp: &mut Interpreter) -> R<Option<Value>> {
        let prev = crate::tensor::set_grad_enabled(self.enabled);
        let r = interp.call(&self.f, args);
        crate::tensor::set_grad_enabled(prev);
        r.map(Some)
    }
}

/// A unary elementwise method: `t.exp()`.
fn unary_method(this: &Value, name: &'static str, f: fn(&Tensor) -> crate::tensor::Result<Tensor>) -> Value {
    Value::method(this.clone(), name, move |_, args| {
        let [] = args.bind(&[])?;
        let t = receiver(&args)?;
        let t = if super::default_dtype::makes_floats(name) { super::float_input(&t)? } else { t };
        Ok(tv(f(&t).map_err(exc)?))
    })
}


/// A binary method: `t.add(other)`, `t.matmul(other)`.
fn binary_method(this: &Value, name: &'static str, op: BinOp) -> Value {
    Value::method(this.clone(), name, move |_, args| {
        let [other] = args.bind(&["other"])?;
        let other = other.unwrap_or(Value::None);
        let t = receiver(&args)?;
        binary(&t, op, &other, false)?.map(tv).ok_or_else(|| {
            Exception::type_error(format!("{name}(): argument 'other' must be Tensor or Number, not {}", other.type_name()))
        })
    })
}

/// A dtype conversion: `t.float()`.
fn convert_method(this: &Value, name: &'static str, dtype: DType) -> Value {
    Value::method(this.clone(), name, move |_, args| {
        let [] = args.bind(&[])?;
        let t = receiver(&args)?;
        if t.dtype() == dtype {
            return Ok(args.this.clone().unwrap_or(Value::None));
        }
        // The copy keeps a channels-last source's layout (`preserve_format`).
        Ok(tv(super::memory_format::follow(t.to_dtype(dtype).map_err(exc)?, &t)?))
    })
}

/// A reduction with optional `dim` and `keepdim`: `t.sum(dim=1, keepdim=True)`.
fn reduce_method(this: &Value, name: &'static str, mean: bool) -> Value {
    Value::method(this.clone(), name, move |interp, args| {
        let [dim, keepdim, dtype] = args.bind(&["dim=", "keepdim=", "*", "dtype="])?;
        let t = receiver(&args)?;
        let t = match dtype_arg(dtype.as_ref())? {
            Some(d) => t.to_dtype(d).map_err(exc)?,
            None => t,
        };
        let dims = dim_list(interp, dim.as_ref())?;
        let keep = bool_arg(keepdim.as_ref(), false);
        let r = if mean { t.mean(dims.as_deref(), keep) } else { t.sum(dims.as_deref(), keep) };
        Ok(tv(r.map_err(exc)?))
    })
}

/// `t.max()` / `t.max(dim)` (the latter gives `(values, indices)`).
fn extreme_method(this: &Value, name: &'static str, is_max: bool) -> Value {
    Value::method(this.clone(), name, move |_, args| {
        let [dim, keepdim] = args.bind(&["dim=", "keepdim="])?;
        let t = receiver(&args)?;
        match dim {
            None | Some(Value::None) => Ok(tv(if is_max { t.max() } else { t.min() }.map_err(exc)?)),
            Some(Value::Native(_)) if dim.as_ref().and_then(as_tensor).is_some() => {
                let o = dim.as_ref().and_then(as_tensor).cloned().unwrap_or_else(|| t.clone());
                Ok(tv(if is_max { t.maximum(&o) } else { t.minimum(&o) }.map_err(exc)?))
            }
            Some(d) => {
                let d = d.expect_int("dim")? as isize;
                let keep = bool_arg(keepdim.as_ref(), false);
                let (v, i) = if is_max { t.max_dim(d, keep) } else { t.min_dim(d, keep) }.map_err(exc)?;
                let name = if is_max { "max" } else { "min" };
                Ok(Value::native(super::convert::PyReturnType { name, values: tv(v), indices: tv(i), fields: super::convert::VALUES_INDICES }))
            }
        }
    })
}

fn arg_extreme_method(this: &Value, name: &'static str, is_max: bool) -> Value {
    Value::method(this.clone(), name, move |_, args| {
        let [dim, keepdim] = args.bind(&["dim=", "keepdim="])?;
        let t = receiver(&args)?;
        let dim = match dim {
            None | Some(Value::None) => None,
            Some(d) => Some(d.expect_int("dim")? as isize),
        };
        let keep = bool_arg(keepdim.as_ref(), false);
        Ok(tv(if is_max { t.argmax(dim, keep) } else { t.argmin(dim, keep) }.map_err(exc)?))
    })
}

/// `t.softmax(dim)`, `t.log_softmax(dim)`.
fn softmax_method(this: &Value, name: &'static str, log: bool) -> Value {
    Value::method(this.clone(), name, move |_, args| {
        let [dim] = args.bind(&["dim"])?;
        let t = receiver(&args)?;
        let d = dim.map_or(Ok(-1), |d| d.expect_int("dim"))? as isize;
        Ok(tv(if log { t.log_softmax(d) } else { t.softmax(d) }.map_err(exc)?))
    })
}

/// `t.mT`, `t.mH` and `t.H` (for real tensors the adjoints are the transposes): a 0-d tensor is
/// its own transpose; `H` takes matrices only, `mT`/`mH` batches of them too.
fn matrix_transpose(t: &Tensor, name: &str) -> R<Tensor> {
    match (t.dim(), name) {
        (0, _) => Ok(t.clone()),
        (2, _) => t.transpose(-2, -1).map_err(exc),
        (d, "H") => Err(Exception::runtime_error(format!(
            "tensor.H is only supported on matrices (2-D tensors). Got {d}-D tensor.{}",
            if d > 2 { " For batches of matrices, consider using tensor.mH" } else { "" }
        ))),
        (1, _) => Err(Exception::runtime_error(format!(
            "tensor.{name} is only supported on matrices or batches of matrices. Got 1-D tensor."
        ))),
        _ => t.transpose(-2, -1).map_err(exc),
    }
}

/// The bound method `name` of a tensor, or None if tensors have no such attribute.
pub(super) fn method(this: &Value, name: &str) -> Option<Value> {
    Some(match name {
        "exp" => unary_method(this, "exp", Tensor::exp),
        "log" => unary_method(this, "log", Tensor::log),
        "log10" => unary_method(this, "log10", Tensor::log10),
        "log2" => unary_method(this, "log2", Tensor::log2),
        "sqrt" => unary_method(this, "sqrt", Tensor::sqrt),
        "sin" => unary_method(this, "sin", Tensor::sin),
        "cos" => unary_method(this, "cos", Tensor::cos),
        "relu" => unary_method(this, "relu", Tensor::relu),
        "sigmoid" => unary_method(this, "sigmoid", Tensor::sigmoid),
        "tanh" => unary_method(this, "tanh", Tensor::tanh),
        "abs" => unary_method(this, "abs", Tensor::abs),
        "sign" => unary_method(this, "sign", Tensor::sign),
        "neg" => unary_method(this, "neg", Tensor::neg),
        "floor" => unary_method(this, "floor", Tensor::floor),
        "ceil" => unary_method(this, "ceil", Tensor::ceil),
        "round" | "div" | "divide" | "clamp" | "clip" => return super::rounding::method(this, name),
        "isnan" => unary_method(this, "isnan", |t| Ok(t.isnan())),
        "reciprocal" => unary_method(this, "reciprocal", Tensor::reciprocal),
        "t" => unary_method(this, "t", Tensor::t),
        "add" | "sub" => super::alpha::alpha_method(this, if name == "add" { "add" } else { "sub" }),
        "mul" => binary_method(this, "mul", BinOp::Mul),
        "pow" => binary_method(this, "pow", BinOp::Pow),
        "matmul" => binary_method(this, "matmul", BinOp::MatMul),
        "float" => convert_method(this, "float", DType::Float32),
        "double" => convert_method(this, "double", DType::Float64),
        "long" => convert_method(this, "long", DType::Int64),
        "bool" => convert_method(this, "bool", DType::Bool),
        "int" => convert_method(this, "int", DType::Int32),
        "short" => convert_method(this, "short", DType::Int16),
        "char" => convert_method(this, "char", DType::Int8),
        "byte" => convert_method(this, "byte", DType::UInt8),
        "half" => convert_method(this, "half", DType::Float16),
        "bfloat16" => convert_method(this, "bfloat16", DType::BFloat16),
        "element_size" => Value::method(this.clone(), "element_size", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Int(receiver(&args)?.dtype().element_size() as i64))
        }),
        "sum" => reduce_method(this, "sum", false),
        "mean" => reduce_method(this, "mean", true),
        "max" => extreme_method(this, "max", true),
        "min" => extreme_method(this, "min", false),
        "argmax" => arg_extreme_method(this, "argmax", true),
        "argmin" => arg_extreme_method(this, "argmin", false),
        "softmax" => softmax_method(this, "softmax", false),
        "log_softmax" => softmax_method(this, "log_softmax", true),
        // `vdot` of real tensors is `dot`.
        "mm" | "dot" | "vdot" | "mv" => {
            let name: &'static str = match name {
                "mm" => "mm",
                "dot" | "vdot" => "dot",
                _ => "mv",
            };
            Value::method(this.clone(), name, move |_, args| {
                let [other] = args.bind(&["other"])?;
                let t = receiver(&args)?;
                let o = other.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                    Exception::type_error(format!("{name}(): argument 'mat2' must be Tensor"))
                })?;
                let r = match name {
                    "mm" => t.mm(&o),
                    "dot" => t.dot(&o),
                    _ => t.mv(&o),
                };
                Ok(tv(r.map_err(exc)?))
            })
        }
        "adjoint" => Value::method(this.clone(), "adjoint", |_, args| {
            let [] = args.bind(&[])?;
            let t = receiver(&args)?;
            if t.dim() == 1 {
                return Err(Exception::runtime_error(
                    "tensor.adjoint() is only supported on matrices or batches of matrices. Got 1-D tensor.",
                ));
            }
            Ok(tv(matrix_transpose(&t, "mH")?))
        }),
        "inner" => Value::method(this.clone(), "inner", |_, args| {
            let [other] = args.bind(&["other"])?;
            let t = receiver(&args)?;
            let o = other.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                Exception::type_error("inner(): argument 'other' must be Tensor")
            })?;
            Ok(tv(super::tensordot::inner(&t, &o)?))
        }),
        "backward" => Value::method(this.clone(), "backward", |interp, args| {
            let [gradient, retain_graph, create_graph, _inputs] = args.bind(&["gradient=", "retain_graph=", "create_graph=", "inputs="])?;
            let t = receiver(&args)?;
            let g = gradient.as_ref().and_then(as_tensor).cloned();
            let create = bool_arg(create_graph.as_ref(), false);
            let retain = match retain_graph {
                None | Some(Value::None) => create,
                Some(v) => bool_arg(Some(&v), false),
            };
            super::autograd::with_interp(interp, || t.backward_graph(g.as_ref(), retain, create))?;
            Ok(Value::None)
        }),
        "register_post_accumulate_grad_hook" => Value::method(this.clone(), name, |_, args| {
            let [hook] = args.bind(&["hook"])?;
            super::autograd::register_post_accumulate_hook(&receiver(&args)?, hook.unwrap_or(Value::None))
        }),
        "register_hook" => Value::method(this.clone(), "register_hook", |_, args| {
            let [hook] = args.bind(&["hook"])?;
            super::autograd::register_hook(&receiver(&args)?, hook.unwrap_or(Value::None))
        }),
        "item" => Value::method(this.clone(), "item", |_, args| {
            let [] = args.bind(&[])?;
            Ok(scalar_value(receiver(&args)?.item().map_err(exc)?))
        }),
        "tolist" => Value::method(this.clone(), "tolist", |_, args| {
            let [] = args.bind(&[])?;
            Ok(tolist(&receiver(&args)?))
        }),
        "detach" => Value::method(this.clone(), "detach", |_, args| {
            let [] = args.bind(&[])?;
            Ok(tv(receiver(&args)?.detach()))
        }),
        "clone" => Value::method(this.clone(), "clone", |_, args| {
            let [memory_format] = args.bind(&["*", "memory_format="])?;
            let t = receiver(&args)?;
            let out = t.clone_tensor();
            Ok(tv(match super::memory_format::format_arg(memory_format.as_ref(), "clone")? {
                None | Some(super::memory_format::Format::Preserve) => super::memory_format::follow(out, &t)?,
                Some(f) => super::memory_format::restride(&out, f)?,
            }))
        }),
        "numel" => Value::method(this.clone(), "numel", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Int(receiver(&args)?.numel() as i64))
        }),
        "dim" => Value::method(this.clone(), "dim", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Int(receiver(&args)?.dim() as i64))
        }),
        "size" => Value::method(this.clone(), "size", |_, args| {
            let [dim] = args.bind(&["dim="])?;
            let t = receiver(&args)?;
            match dim {
                None | Some(Value::None) => Ok(Value::native(PySize(t.shape()))),
                Some(d) => Ok(Value::Int(t.size(d.expect_int("dim")? as isize).map_err(exc)? as i64)),
            }
        }),
        "view" => Value::method(this.clone(), "view", |interp, args| {
            let dtype = match (&args.pos[..], super::convert::kw(&args, "dtype")) {
                ([d], None) | ([], Some(d)) => dtype_arg(Some(d)).ok().flatten(),
                _ => None,
            };
            if let Some(dtype) = dtype {
                return super::float_ops::view_dtype(&receiver(&args)?, dtype);
            }
            let dims = dims_args(interp, &args.pos)?;
            Ok(tv(receiver(&args)?.view(&dims).map_err(exc)?))
        }),
        "reshape" => Value::method(this.clone(), "reshape", |interp, args| {
            let dims = dims_args(interp, &args.pos)?;
            Ok(tv(receiver(&args)?.reshape(&dims).map_err(exc)?))
        }),
        "narrow" => Value::method(this.clone(), "narrow", |_, args| {
            let [dim, start, length] = args.bind(&["dim", "start", "length"])?;
            let int = |v: Option<Value>, n: &str| v.map_or(Ok(0), |v| v.expect_int(n));
            // `start` may be a 0-d integral tensor (PyTorch's Tensor overload).
            let start = match start.as_ref().and_then(as_tensor) {
                Some(t) if t.dim() == 0 && t.dtype().is_integral() => Some(Value::Int(t.item().map_err(exc)?.as_f64() as i64)),
                Some(_) => return Err(Exception::runtime_error("start must be an 0-dim integral Tensor.")),
                None => start,
            };
            let (d, s, l) = (int(dim, "dim")?, int(start, "start")?, int(length, "length")?);
            Ok(tv(receiver(&args)?.narrow(d as isize, s, l).map_err(exc)?))
        }),
        "diagonal" => Value::method(this.clone(), "diagonal", |_, args| {
            let [offset, dim1, dim2] = args.bind(&["offset=", "dim1=", "dim2="])?;
            let int = |v: Option<Value>, n: &str, d: i64| v.map_or(Ok(d), |v| v.expect_int(n));
            let (o, d1, d2) = (int(offset, "offset", 0)?, int(dim1, "dim1", 0)?, int(dim2, "dim2", 1)?);
            Ok(tv(receiver(&args)?.diagonal(o, d1 as isize, d2 as isize).map_err(exc)?))
        }),
        "unbind" => Value::method(this.clone(), "unbind", |_, args| {
            let [dim] = args.bind(&["dim="])?;
            let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
            let parts = receiver(&args)?.unbind(d).map_err(exc)?;
            Ok(Value::tuple(parts.into_iter().map(tv).collect()))
        }),
        "stride" => Value::method(this.clone(), "stride", |_, args| {
            let [dim] = args.bind(&["dim="])?;
            let t = receiver(&args)?;
            let strides = t.strides();
            match dim {
                None | Some(Value::None) => Ok(Value::tuple(strides.iter().map(|&s| Value::Int(s as i64)).collect())),
                Some(d) => {
                    let d = crate::tensor::norm_dim_public(d.expect_int("dim")? as isize, t.dim()).map_err(exc)?;
                    Ok(Value::Int(strides.get(d).copied().unwrap_or(1) as i64))
                }
            }
        }),
        "select" => Value::method(this.clone(), "select", |_, args| {
            let [dim, index] = args.bind(&["dim", "index"])?;
            let int = |v: Option<Value>, n: &str| v.map_or(Ok(0), |v| v.expect_int(n));
            let (d, i) = (int(dim, "dim")?, int(index, "index")?);
            Ok(tv(receiver(&args)?.select(d as isize, i).map_err(exc)?))
        }),
        "_is_view" => Value::method(this.clone(), "_is_view", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Bool(receiver(&args)?.is_view()))
        }),
        "flatten" => Value::method(this.clone(), "flatten", |_, args| {
            let [start, end] = args.bind(&["start_dim=", "end_dim="])?;
            let s = start.map_or(Ok(0), |v| v.expect_int("start_dim"))? as isize;
            let e = end.map_or(Ok(-1), |v| v.expect_int("end_dim"))? as isize;
            Ok(tv(receiver(&args)?.flatten(s, e).map_err(exc)?))
        }),
        "transpose" => Value::method(this.clone(), "transpose", |_, args| {
            let [d0, d1] = args.bind(&["dim0", "dim1"])?;
            let d0 = d0.map_or(Ok(0), |v| v.expect_int("dim0"))? as isize;
            let d1 = d1.map_or(Ok(1), |v| v.expect_int("dim1"))? as isize;
            Ok(tv(receiver(&args)?.transpose(d0, d1).map_err(exc)?))
        }),
        "permute" => Value::method(this.clone(), "permute", |interp, args| {
            let dims = dims_args(interp, &args.pos)?;
            Ok(tv(receiver(&args)?.permute(&dims).map_err(exc)?))
        }),
        "unsqueeze" => Value::method(this.clone(), "unsqueeze", |_, args| {
            let [dim] = args.bind(&["dim"])?;
            let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
            Ok(tv(receiver(&args)?.unsqueeze(d).map_err(exc)?))
        }),
        "squeeze" => Value::method(this.clone(), "squeeze", |interp, args| {
            let [dim] = args.bind(&["dim="])?;
            let d = match dim {
                None | Some(Value::None) => None,
                Some(ds @ (Value::Tuple(_) | Value::List(_))) => {
                    return Ok(tv(super::shape_more::squeeze_dims(interp, &receiver(&args)?, &ds)?));
                }
                Some(v) => Some(v.expect_int("dim")? as isize),
            };
            Ok(tv(receiver(&args)?.squeeze(d).map_err(exc)?))
        }),
        "expand" => Value::method(this.clone(), "expand", |interp, args| {
            let t = receiver(&args)?;
            let dims = dims_args(interp, &args.pos)?;
            let shape = t.shape();
            let offset = dims.len().saturating_sub(shape.len());
            let target: Vec<usize> = dims
                .iter()
                .enumerate()
                .map(|(i, &d)| if d == -1 && i >= offset { shape[i - offset] } else { d.max(0) as usize })
                .collect();
            Ok(tv(t.expand(&target).map_err(exc)?))
        }),
        "type" => Value::method(this.clone(), "type", |_, args| {
            let [dtype] = args.bind(&["dtype="])?;
            let t = receiver(&args)?;
            let target = match &dtype {
                None | Some(Value::None) => return Ok(Value::str(&format!("torch.{}Tensor", t.dtype().scalar_name()))),
                Some(Value::Str(name)) => super::convert::dtype_from_type_name(name)
                    .ok_or_else(|| Exception::value_error(format!("invalid type: '{name}'")))?,
                // A legacy tensor type (`t.type(torch.LongTensor)`).
                Some(Value::Type(ty)) if super::convert::dtype_from_type_name(&format!("torch.{}", ty.name)).is_some() => {
                    super::convert::dtype_from_type_name(&format!("torch.{}", ty.name)).unwrap_or(t.dtype())
                }
                Some(v) => dtype_arg(Some(v))?.unwrap_or(t.dtype()),
            };
            if target == t.dtype() {
                return Ok(args.this.clone().unwrap_or(Value::None));
            }
            Ok(tv(t.to_dtype(target).map_err(exc)?))
        }),
        "to" => Value::method(this.clone(), "to", |_, args| {
            let t = receiver(&args)?;
            // `.to(device)`, `.to(dtype)`, `.to(device, dtype)`, `.to(other_tensor)`, keywords.
            for (k, v) in args.pos.iter().map(|v| ("", v)).chain(args.kw.iter().map(|(k, v)| (&**k, v))) {
                if matches!(k, "" | "device") && (matches!(v, Value::Str(_)) || v.downcast::<super::device::PyDevice>().is_some()) {
                    super::device::place_on(v)?;
                }
            }
            let dt = args.pos.iter().chain(args.kw.iter().map(|(_, v)| v)).find_map(|v| dtype_arg(Some(v)).ok().flatten());
            let dt = dt.or_else(|| args.pos.first().and_then(as_tensor).map(Tensor::dtype));
            let format = args.kw.iter().find(|(k, _)| &**k == "memory_format").map(|(_, v)| v);
            let format = super::memory_format::format_arg(format, "to")?;
            let converted = match dt {
                Some(d) if d != t.dtype() => Some(t.to_dtype(d).map_err(exc)?),
                _ => None,
            };
            match (converted, format) {
                // A copy keeps the source's layout unless another format is asked for.
                (Some(c), None | Some(super::memory_format::Format::Preserve)) => Ok(tv(super::memory_format::follow(c, &t)?)),
                (Some(c), Some(f)) => Ok(tv(super::memory_format::restride(&c, f)?)),
                (None, Some(f)) => Ok(super::memory_format::to_format(&t, f)?.map_or_else(|| args.this.clone().unwrap_or(Value::None), tv)),
                (None, None) => Ok(args.this.clone().unwrap_or(Value::None)),
            }
        }),
        "requires_grad_" => Value::method(this.clone(), "requires_grad_", |_, args| {
            let [flag] = args.bind(&["requires_grad="])?;
            receiver(&args)?.set_requires_grad(bool_arg(flag.as_ref(), true)).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "retain_grad" => Value::method(this.clone(), "retain_grad", |_, args| {
            let [] = args.bind(&[])?;
            super::leaf_grad::retain_grad(&receiver(&args)?)?;
            Ok(Value::None)
        }),
        "zero_" => Value::method(this.clone(), "zero_", |_, args| {
            let [] = args.bind(&[])?;
            receiver(&args)?.zero_().map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "fill_" => Value::method(this.clone(), "fill_", |_, args| {
            let [v] = args.bind(&["value"])?;
            if let Some(t) = v.as_ref().and_then(as_tensor) {
                receiver(&args)?.fill_tensor_(t).map_err(exc)?;
                return Ok(args.this.clone().unwrap_or(Value::None));
            }
            let t = receiver(&args)?;
            let big = match &v {
                Some(v) => big_scalar(v, t.dtype())?,
                None => None,
            };
            let s = big.or_else(|| v.as_ref().and_then(as_scalar)).ok_or_else(|| Exception::type_error("fill_(): argument 'value' must be Number"))?;
            t.fill_(s).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "copy_" => Value::method(this.clone(), "copy_", |_, args| {
            let [src] = args.bind(&["src"])?;
            let s = src.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("copy_(): argument 'src' must be Tensor"))?;
            receiver(&args)?.copy_(&s).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "add_" | "sub_" | "mul_" | "div_" => {
            let (name, op): (&'static str, BinOp) = match name {
                "add_" => ("add_", BinOp::Add),
                "sub_" => ("sub_", BinOp::Sub),
                "mul_" => ("mul_", BinOp::Mul),
                _ => ("div_", BinOp::Div),
            };
            Value::method(this.clone(), name, move |_, args| {
                let args = if matches!(op, BinOp::Add | BinOp::Sub) { super::alpha::scalar_first(&args, 0, 1, "alpha").unwrap_or(args) } else { args };
                let [other, alpha] = args.bind(&["other", "*", "alpha="])?;
                let t = receiver(&args)?;
                let other = other.unwrap_or(Value::None);
                match (alpha, as_tensor(&other)) {
                    (Some(a), Some(o)) if op == BinOp::Add || op == BinOp::Sub => {
                        let a = f64_arg(Some(&a), 1.0, "alpha")?;
                        t.add_alpha_(o, if op == BinOp::Sub { -a } else { a }).map_err(exc)?;
                    }
                    _ => {
                        if !in_place(&t, op, &other)? {
                            return Err(Exception::type_error(format!("{name}(): argument 'other' must be Tensor or Number, not {}", other.type_name())));
                        }
                    }
                }
                Ok(args.this.clone().unwrap_or(Value::None))
            })
        }
        "uniform_" => Value::method(this.clone(), "uniform_", |_, args| {
            let [from, to, _gen] = args.bind(&["from=", "to=", "*", "generator="])?;
            let t = receiver(&args)?;
            let g = super::generator_arg(&args)?;
            crate::tensor::uniform_(&t, &mut g.borrow_mut(), f64_arg(from.as_ref(), 0.0, "from")?, f64_arg(to.as_ref(), 1.0, "to")?).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "normal_" => Value::method(this.clone(), "normal_", |_, args| {
            let [mean, std, _gen] = args.bind(&["mean=", "std=", "*", "generator="])?;
            let t = receiver(&args)?;
            let g = super::generator_arg(&args)?;
            crate::tensor::normal_(&t, &mut g.borrow_mut(), f64_arg(mean.as_ref(), 0.0, "mean")?, f64_arg(std.as_ref(), 1.0, "std")?).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "var" | "std" => {
            let is_std = name == "std";
            Value::method(this.clone(), if is_std { "std" } else { "var" }, move |interp, args| {
                let [dim, unbiased, keepdim, correction] = args.bind(&["dim=", "unbiased=", "keepdim=", "*", "correction="])?;
                let t = receiver(&args)?;
                // `t.std(False)` passes unbiased positionally.
                let (dim, unbiased) = match dim {
                    Some(Value::Bool(b)) => (None, Some(Value::Bool(b))),
                    d => (d, unbiased),
                };
                let dims = dim_list(interp, dim.as_ref())?;
                let c = match (correction, unbiased) {
                    (Some(c), _) if !c.is_none() => f64_arg(Some(&c), 1.0, "correction")?,
                    (_, Some(u)) => if bool_arg(Some(&u), true) { 1.0 } else { 0.0 },
                    _ => 1.0,
                };
                let keep = bool_arg(keepdim.as_ref(), false);
                Ok(tv(if is_std { t.std(dims.as_deref(), c, keep) } else { t.var(dims.as_deref(), c, keep) }.map_err(exc)?))
            })
        }
        "prod" => Value::method(this.clone(), "prod", |_, args| {
            let [dim, keepdim, dtype] = args.bind(&["dim=", "keepdim=", "*", "dtype="])?;
            let t = receiver(&args)?;
            let t = match dtype_arg(dtype.as_ref())? {
                Some(d) => t.to_dtype(d).map_err(exc)?,
                None => t,
            };
            let dim = match dim {
                None | Some(Value::None) => None,
                Some(d) => Some(d.expect_int("dim")? as isize),
            };
            Ok(tv(t.prod(dim, bool_arg(keepdim.as_ref(), false)).map_err(exc)?))
        }),
        "cumsum" => Value::method(this.clone(), "cumsum", |_, args| {
            let [dim, _dtype] = args.bind(&["dim", "*", "dtype="])?;
            let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
            Ok(tv(receiver(&args)?.cumsum(d).map_err(exc)?))
        }),
        "norm" => Value::method(this.clone(), "norm", |interp, args| {
            let [p, dim, keepdim, _dtype] = args.bind(&["p=", "dim=", "keepdim=", "dtype="])?;
            let t = receiver(&args)?;
            let p = match &p {
                Some(Value::Str(s)) if &**s == "fro" => 2.0,
                p => f64_arg(p.as_ref(), 2.0, "p")?,
            };
            let dims = dim_list(interp, dim.as_ref())?;
            Ok(tv(t.norm_p(p, dims.as_deref(), bool_arg(keepdim.as_ref(), false)).map_err(exc)?))
        }),
        "split" => Value::method(this.clone(), "split", |interp, args| {
            let [size, dim] = args.bind(&["split_size", "dim="])?;
            split_value(interp, &receiver(&args)?, size, dim)
        }),
        "chunk" => Value::method(this.clone(), "chunk", |_, args| {
            let [chunks, dim] = args.bind(&["chunks", "dim="])?;
            let n = chunks.map_or(Ok(1), |v| v.expect_int("chunks"))?.max(0) as usize;
            let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
            let parts = receiver(&args)?.chunk(n, d).map_err(exc)?;
            Ok(Value::tuple(parts.into_iter().map(tv).collect()))
        }),
        "equal" => Value::method(this.clone(), "equal", |_, args| {
            let [other] = args.bind(&["other"])?;
            let o = other.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("equal(): argument 'other' must be Tensor"))?;
            Ok(Value::Bool(tensors_equal(&receiver(&args)?, &o)))
        }),
        "allclose" => Value::method(this.clone(), "allclose", |_, args| {
            let [other, rtol, atol, equal_nan] = args.bind(&["other", "rtol=", "atol=", "equal_nan="])?;
            let o = other.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("allclose(): argument 'other' must be Tensor"))?;
            let r = allclose(&receiver(&args)?, &o, f64_arg(rtol.as_ref(), 1e-5, "rtol")?, f64_arg(atol.as_ref(), 1e-8, "atol")?, bool_arg(equal_nan.as_ref(), false))?;
            Ok(Value::Bool(r))
        }),
        "any" | "all" => {
            super::api::any_all(this, name == "any")
        }
        "is_floating_point" => Value::method(this.clone(), "is_floating_point", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Bool(receiver(&args)?.dtype().is_floating_point()))
        }),
        // A real tensor; complex ones are `complex::ComplexTensor`, which answers true.
        "is_complex" => Value::method(this.clone(), "is_complex", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Bool(false))
        }),
        // Tensors here are always on the CPU.
        "cpu" => Value::method(this.clone(), "cpu", |_, args| Ok(args.this.clone().unwrap_or(Value::None))),
        "cuda" => Value::method(this.clone(), "cuda", |_, _| super::device::place_on(&Value::str("cuda")).map(|()| Value::None)),
        "get_device" => Value::method(this.clone(), "get_device", |_, _| Ok(Value::Int(-1))),
        "contiguous" => Value::method(this.clone(), "contiguous", |_, args| {
            let [memory_format] = args.bind(&["memory_format="])?;
            let t = receiver(&args)?;
            if let Some(f) = super::memory_format::format_arg(memory_format.as_ref(), "contiguous")? {
                return Ok(super::memory_format::contiguous_as(&t, f)?.map_or_else(|| args.this.clone().unwrap_or(Value::None), tv));
            }
            if t.is_contiguous() {
                return Ok(args.this.clone().unwrap_or(Value::None));
            }
            Ok(tv(t.contiguous()))
        }),
        "is_contiguous" => Value::method(this.clone(), "is_contiguous", |_, args| {
            let [memory_format] = args.bind(&["memory_format="])?;
            let t = receiver(&args)?;
            Ok(Value::Bool(match super::memory_format::format_arg(memory_format.as_ref(), "is_contiguous")? {
                Some(f) => super::memory_format::is_contiguous_as(&t, f),
                None => t.is_contiguous(),
            }))
        }),
        "eq" | "ne" | "lt" | "le" | "gt" | "ge" => {
            let (name, op): (&'static str, Op) = match name {
                "eq" => ("eq", Op::Eq),
                "ne" => ("ne", Op::Ne),
                "lt" => ("lt", Op::Lt),
                "le" => ("le", Op::Le),
                "gt" => ("gt", Op::Gt),
                _ => ("ge", Op::Ge),
            };
            Value::method(this.clone(), name, move |_, args| {
                let [other] = args.bind(&["other"])?;
                let other = other.unwrap_or(Value::None);
                compare(&receiver(&args)?, op, &other, false)?.map(tv).ok_or_else(|| {
                    let t = other.type_name();
                    Exception::type_error(format!(
                        "{name}() received an invalid combination of arguments - got ({t}), but expected one of:\n * (Tensor other)\n      didn't match because some of the arguments have invalid types: (!{t}!)\n * (Number other)\n      didn't match because some of the arguments have invalid types: (!{t}!)\n"
                    ))
                })
            })
        }
        "square" => unary_method(this, "square", |t| t.pow_scalar(Scalar::Int(2))),
        "rsqrt" => unary_method(this, "rsqrt", Tensor::rsqrt),
        "isinf" => unary_method(this, "isinf", |t| Ok(t.isinf())),
        "logical_not" => unary_method(this, "logical_not", |t| Ok(t.logical_not())),
        "nelement" => Value::method(this.clone(), "nelement", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::Int(receiver(&args)?.numel() as i64))
        }),
        "clamp_" | "clip_" => Value::method(this.clone(), "clamp_", |_, args| {
            let [min, max] = args.bind(&["min=", "max="])?;
            let s = |v: Option<Value>| v.as_ref().and_then(as_scalar);
            receiver(&args)?.clamp_(s(min), s(max)).map_err(exc)?;
            Ok(args.this.clone().unwrap_or(Value::None))
        }),
        "expand_as" => Value::method(this.clone(), "expand_as", |_, args| {
            let [other] = args.bind(&["other"])?;
            let o = tensor_param(other.as_ref(), "expand_as", "other")?;
            Ok(tv(receiver(&args)?.expand(&o.shape()).map_err(exc)?))
        }),
        "type_as" => Value::method(this.clone(), "type_as", |_, args| {
            let [other] = args.bind(&["other"])?;
            let o = tensor_param(other.as_ref(), "type_as", "other")?;
            let t = receiver(&args)?;
            if t.dtype() == o.dtype() {
                return Ok(args.this.clone().unwrap_or(Value::None));
            }
            Ok(tv(t.to_dtype(o.dtype()).map_err(exc)?))
        }),
        "masked_fill" | "masked_fill_" => {
            let inplace = name == "masked_fill_";
            Value::method(this.clone(), if inplace { "masked_fill_" } else { "masked_fill" }, move |_, args| {
                let fname = if inplace { "masked_fill_" } else { "masked_fill" };
                let [mask, value] = args.bind(&["mask", "value"])?;
                let m = tensor_param(mask.as_ref(), fname, "mask")?;
                let v = match value.as_ref() {
                    Some(v) => match as_tensor(v) {
                        Some(t) if t.dim() == 0 => Some(t.item().map_err(exc)?),
                        Some(_) => None,
                        None => as_scalar(v),
                    },
                    None => None,
                }
                .ok_or_else(|| Exception::type_error(format!("{fname}() received an invalid combination of arguments")))?;
                let t = receiver(&args)?;
                if inplace {
                    t.masked_fill_(&m, v).map_err(exc)?;
                    return Ok(args.this.clone().unwrap_or(Value::None));
                }
                Ok(tv(t.masked_fill(&m, v).map_err(exc)?))
            })
        }
        "index_select" => Value::method(this.clone(), "index_select", |_, args| {
            let [dim, index] = args.bind(&["dim", "index"])?;
            let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
            let i = tensor_param(index.as_ref(), "index_select", "index")?;
            if i.dtype() != DType::Int64 {
                return Err(Exception::runtime_error("index_select(): Expected dtype int32 or int64 for index"));
            }
            if i.dim() > 1 {
                return Err(Exception::new("IndexError", "index_select(): Index is supposed to be a vector"));
            }
            let idx: Vec<i64> = i.to_scalars().into_iter().map(Scalar::as_i64).collect();
            Ok(tv(receiver(&args)?.index_select(d, &idx).map_err(exc)?))
        }),
        "gather" => Value::method(this.clone(), "gather", |_, args| {
            let [dim, index] = args.bind(&["dim", "index"])?;
            let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
            let i = tensor_param(index.as_ref(), "gather", "index")?;
            Ok(tv(receiver(&args)?.gather(d, &i).map_err(exc)?))
        }),
        "scatter" | "scatter_" | "scatter_add" | "scatter_add_" => {
            let name: &'static str = match name {
                "scatter" => "scatter",
                "scatter_" => "scatter_",
                "scatter_add" => "scatter_add",
                _ => "scatter_add_",
            };
            Value::method(this.clone(), name, move |_, args| {
                let [dim, index, src, value, reduce] = args.bind(&["dim", "index", "src=", "value=", "*", "reduce="])?;
                let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
                let i = tensor_param(index.as_ref(), name, "index")?;
                let t = receiver(&args)?;
                let src = src.or(value).unwrap_or(Value::None);
                if let Some(r) = reduce.filter(|r| !r.is_none()) {
                    return scatter_reduce_legacy(&t, d, &i, &src, &r.to_str(), name, args.this.clone());
                }
                let add = name.starts_with("scatter_add");
                let inplace = name.ends_with('_');
                let st = as_tensor(&src).cloned();
                let r = match (&st, add) {
                    (Some(s), true) => {
                        if inplace {
                            t.scatter_add_(d, &i, s).map(|()| None)
                        } else {
                            t.scatter_add(d, &i, s).map(Some)
                        }
                    }
                    (None, true) => return Err(Exception::type_error(format!("{name}(): argument 'src' (position 3) must be Tensor, not {}", src.type_name()))),
                    (_, false) => {
                        let s = match &st {
                            Some(s) => crate::tensor::ScatterSrc::Tensor(s),
                            None => crate::tensor::ScatterSrc::Value(as_scalar(&src).ok_or_else(|| {
                                Exception::type_error(format!("{name}() received an invalid combination of arguments"))
                            })?),
                        };
                        if inplace { t.scatter_(d, &i, s).map(|()| None) } else { t.scatter(d, &i, s).map(Some) }
                    }
                }
                .map_err(exc)?;
                Ok(r.map_or_else(|| args.this.clone().unwrap_or(Value::None), tv))
            })
        }
        "tril" | "triu" => {
            let upper = name == "triu";
            Value::method(this.clone(), if upper { "triu" } else { "tril" }, move |_, args| {
                let [diagonal] = args.bind(&["diagonal="])?;
                let k = diagonal.map_or(Ok(0), |v| v.expect_int("diagonal"))?;
                Ok(tv(receiver(&args)?.tri(k, upper).map_err(exc)?))
            })
        }
        "flip" => Value::method(this.clone(), "flip", |interp, args| {
            let dims = match super::convert::kw(&args, "dims") {
                Some(v) => dims_args(interp, std::slice::from_ref(v))?,
                None => dims_args(interp, &args.pos)?,
            };
            Ok(tv(receiver(&args)?.flip(&dims).map_err(exc)?))
        }),
        "roll" => Value::method(this.clone(), "roll", |interp, args| {
            let [shifts, dims] = args.bind(&["shifts", "dims="])?;
            let shifts: Vec<i64> = dims_args(interp, &[shifts.unwrap_or(Value::None)])?.into_iter().map(|s| s as i64).collect();
            let dims = match dims {
                None | Some(Value::None) => Vec::new(),
                Some(d) => dims_args(interp, &[d])?,
            };
            Ok(tv(receiver(&args)?.roll(&shifts, &dims).map_err(exc)?))
        }),
        "repeat" => Value::method(this.clone(), "repeat", |interp, args| {
            let reps = dims_args(interp, &args.pos)?;
            if reps.iter().any(|&r| r < 0) {
                return Err(Exception::runtime_error(format!("Trying to create tensor with negative dimension {}: {:?}", reps.iter().find(|&&r| r < 0).copied().unwrap_or(0), reps)));
            }
            let reps: Vec<usize> = reps.into_iter().map(|r| r as usize).collect();
            Ok(tv(receiver(&args)?.repeat(&reps).map_err(exc)?))
        }),
        "outer" => Value::method(this.clone(), "outer", |_, args| {
            let [vec2] = args.bind(&["vec2"])?;
            let o = tensor_param(vec2.as_ref(), "outer", "vec2")?;
            let t = receiver(&args)?;
            if t.dim() != 1 || o.dim() != 1 {
                let (which, d) = if t.dim() != 1 { ("self", t.dim()) } else { ("vec2", o.dim()) };
                return Err(Exception::runtime_error(format!("outer: Expected 1-D argument {which}, but got {d}-D")));
            }
            Ok(tv(t.reshape(&[-1, 1]).and_then(|c| c.mul(&o)).map_err(exc)?))
        }),
        "sort" | "topk" | "argsort" => {
            let name: &'static str = match name {
                "sort" => "sort",
                "topk" => "topk",
                _ => "argsort",
            };
            Value::method(this.clone(), name, move |_, args| {
                let t = receiver(&args)?;
                let int = |v: Option<Value>, n: &str, d: i64| v.filter(|v| !v.is_none()).map_or(Ok(d), |v| v.expect_int(n));
                let mut stable = true;
                let (dim, descending, k) = if name == "topk" {
                    let [k, dim, largest, _sorted] = args.bind(&["k", "dim=", "largest=", "sorted="])?;
                    let k = int(k, "k", 0)?;
                    if k < 0 {
                        return Err(Exception::runtime_error("selected index k out of range"));
                    }
                    (int(dim, "dim", -1)?, bool_arg(largest.as_ref(), true), Some(k as usize))
                } else {
                    let [dim, descending, stable_arg] = args.bind(&["dim=", "descending=", "*", "stable="])?;
                    stable = bool_arg(stable_arg.as_ref(), false);
                    (int(dim, "dim", -1)?, bool_arg(descending.as_ref(), false), None)
                };
                let (v, i) = t.sort_dim_with(dim as isize, descending, k, stable).map_err(exc)?;
                if name == "argsort" {
                    return Ok(tv(i));
                }
                Ok(Value::native(super::convert::PyReturnType { name, values: tv(v), indices: tv(i), fields: super::convert::VALUES_INDICES }))
            })
        }
        "nonzero" => Value::method(this.clone(), "nonzero", |_, args| {
            let [as_tuple] = args.bind(&["*", "as_tuple="])?;
            let t = receiver(&args)?;
            let nz = t.nonzero().map_err(exc)?;
            if bool_arg(as_tuple.as_ref(), false) {
                let cols = (0..t.dim().max(1) as isize)
                    .map(|d| {
                        if t.dim() == 0 {
                            // A 0-d input answers as a 1-element one: index 0 when non-zero.
                            let n = nz.shape()[0];
                            Tensor::from_data(crate::tensor::Data::I64(vec![0; n]), &[n])
                        } else {
                            nz.select(1, d as i64).map(|c| c.contiguous())
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(exc)?;
                return Ok(Value::tuple(cols.into_iter().map(tv).collect()));
            }
            Ok(tv(nz))
        }),
        "masked_select" => Value::method(this.clone(), "masked_select", |_, args| {
            let [mask] = args.bind(&["mask"])?;
            let m = tensor_param(mask.as_ref(), "masked_select", "mask")?;
            if m.dtype() != DType::Bool {
                return Err(Exception::runtime_error("masked_select: expected BoolTensor for mask"));
            }
            let t = receiver(&args)?;
            let shape = crate::tensor::Tensor::zeros(&t.shape(), DType::Bool).logical_and(&m).map_err(exc)?.shape();
            let (t2, m2) = (t.expand(&shape).map_err(exc)?, m.expand(&shape).map_err(exc)?);
            Ok(tv(t2.masked_select_fn(&m2).map_err(exc)?))
        }),
        "new_zeros" | "new_ones" | "new_empty" | "new_full" => {
            let name: &'static str = match name {
                "new_zeros" => "new_zeros",
                "new_ones" => "new_ones",
                "new_empty" => "new_empty",
                _ => "new_full",
            };
            Value::method(this.clone(), name, move |interp, args| {
                let t = receiver(&args)?;
                let mut pos = args.pos.clone();
                if let Some(s) = super::convert::kw(&args, "size") {
                    pos.insert(0, s.clone());
                }
                let fill = if name == "new_full" {
                    let v = match super::convert::kw(&args, "fill_value") {
                        Some(v) => Some(v.clone()),
                        None if pos.len() >= 2 => pos.pop(),
                        None => None,
                    };
                    v.as_ref().and_then(as_scalar).ok_or_else(|| Exception::type_error("new_full(): argument 'fill_value' must be Number"))?
                } else {
                    Scalar::Int(i64::from(name == "new_ones"))
                };
                let shape = super::convert::shape_args(interp, &pos, name)?;
                let dtype = dtype_arg(super::convert::kw(&args, "dtype"))?.unwrap_or(t.dtype());
                let out = Tensor::full(&shape, fill, dtype);
                if bool_arg(super::convert::kw(&args, "requires_grad"), false) {
                    out.set_requires_grad(true).map_err(exc)?;
                }
                Ok(tv(out))
            })
        }
        "new_tensor" => Value::method(this.clone(), "new_tensor", |interp, args| {
            let [data, dtype, _device, requires_grad] = args.bind(&["data", "*", "dtype=", "device=", "requires_grad="])?;
            let t = receiver(&args)?;
            let data = data.unwrap_or(Value::None);
            let dtype = dtype_arg(dtype.as_ref())?.unwrap_or(t.dtype());
            let out = match as_tensor(&data) {
                Some(src) => src.detach_copy().to_dtype(dtype).map_err(exc)?,
                None => super::convert::tensor_from_data(interp, &data, Some(dtype))?,
            };
            if bool_arg(requires_grad.as_ref(), false) {
                out.set_requires_grad(true).map_err(exc)?;
            }
            Ok(tv(out))
        }),
        "logsumexp" => Value::method(this.clone(), "logsumexp", |interp, args| {
            let [dim, keepdim] = args.bind(&["dim", "keepdim="])?;
            let dims = dim_list(interp, dim.as_ref())?.unwrap_or_default();
            Ok(tv(receiver(&args)?.logsumexp(&dims, bool_arg(keepdim.as_ref(), false)).map_err(exc)?))
        }),
        "bmm" => Value::method(this.clone(), "bmm", |_, args| {
            let [mat2] = args.bind(&["mat2"])?;
            let o = tensor_param(mat2.as_ref(), "bmm", "mat2")?;
            Ok(tv(receiver(&args)?.bmm(&o).map_err(exc)?))
        }),
        "remainder" | "fmod" => {
            let is_fmod = name == "fmod";
            Value::method(this.clone(), if is_fmod { "fmod" } else { "remainder" }, move |_, args| {
                let [other] = args.bind(&["other"])?;
                let t = receiver(&args)?;
                let fname = if is_fmod { "fmod" } else { "remainder" };
                let s = match other.as_ref() {
                    Some(v) => match as_tensor(v) {
                        Some(o) if o.dim() == 0 => Some(o.item().map_err(exc)?),
                        Some(o) if !is_fmod => return Ok(tv(t.remainder(o).map_err(exc)?)),
                        Some(_) => return Err(Exception::unsupported(format!("{fname}() with a tensor divisor"))),
                        None => as_scalar(v),
                    },
                    None => None,
                }
                .ok_or_else(|| Exception::type_error(format!("{fname}(): argument 'other' must be Tensor or Number")))?;
                Ok(tv(if is_fmod { t.fmod_scalar(s) } else { t.remainder_scalar(s) }.map_err(exc)?))
            })
        }
        "erf" => unary_method(this, "erf", Tensor::erf),
        "diag" => Value::method(this.clone(), "diag", |_, args| {
            let [diagonal] = args.bind(&["diagonal="])?;
            let k = diagonal.map_or(Ok(0), |v| v.expect_int("diagonal"))?;
            Ok(tv(receiver(&args)?.diag(k).map_err(exc)?))
        }),
        "lerp" => Value::method(this.clone(), "lerp", |_, args| {
            let [end, weight] = args.bind(&["end", "weight"])?;
            let e = tensor_param(end.as_ref(), "lerp", "end")?;
            let w = match weight.as_ref() {
                Some(v) if as_tensor(v).is_some_and(|t| t.dim() > 0) => {
                    let w = as_tensor(v).cloned().unwrap_or_else(|| Tensor::scalar(crate::tensor::Scalar::Float(0.0), DType::Float32));
                    return Ok(tv(super::rounding::lerp_tensor(&receiver(&args)?, &e, &w)?));
                }
                w => f64_arg(w, 0.0, "weight")?,
            };
            Ok(tv(receiver(&args)?.lerp_scalar(&e, w).map_err(exc)?))
        }),
        "atan2" | "arctan2" => Value::method(this.clone(), "atan2", |_, args| {
            let [other] = args.bind(&["other"])?;
            let o = tensor_param(other.as_ref(), "atan2", "other")?;
            let t = receiver(&args)?;
            // Two integer tensors give the default dtype (the engine would make float32).
            let t = if o.dtype().is_floating_point() { t } else { super::float_input(&t)? };
            Ok(tv(t.atan2(&o).map_err(exc)?))
        }),
        "repeat_interleave" => Value::method(this.clone(), "repeat_interleave", |_, args| {
            let [repeats, dim, _output_size] = args.bind(&["repeats=", "dim=", "*", "output_size="])?;
            let t = receiver(&args)?;
            match repeats {
                Some(Value::Int(r)) => super::tensor_more::repeat_interleave_int(t, r, dim),
                Some(Value::Bool(b)) => super::tensor_more::repeat_interleave_int(t, i64::from(b), dim),
                Some(v) => match as_tensor(&v) {
                    Some(rt) => super::tensor_more::repeat_interleave_tensor(&t, rt, dim),
                    None => Err(Exception::type_error(format!(
                        "repeat_interleave(): argument 'repeats' must be Tensor, not {}",
                        v.type_name()
                    ))),
                },
                // `torch.repeat_interleave(repeats)`: each index repeated its count.
                None => super::tensor_more::repeat_interleave_indices(&t),
            }
        }),
        "addmm" | "addmv" | "addr" | "baddbmm" | "addbmm" => return super::matmul_scaled::method(this, name),
        "ldexp" | "frexp" | "nextafter" | "logcumsumexp" | "cov" | "corrcoef" => return super::float_ops::method(this, name),
        "numpy" => Value::method(this.clone(), "numpy", |_, args| {
            let [_force] = args.bind(&["*", "force="])?;
            crate::lang::numpy::from_tensor(&receiver(&args)?)
        }),
        _ => return super::api::method(this, name),
    })
}

/// `torch.equal`: same shape and the same values.
pub fn tensors_equal(a: &Tensor, b: &Tensor) -> bool {
    a.shape() == b.shape() && a.to_f64_vec() == b.to_f64_vec()
}

/// `torch.allclose`: |a - b| <= atol + rtol * |b| everywhere (broadcasting).
pub fn allclose(a: &Tensor, b: &Tensor, rtol: f64, atol: f64, equal_nan: bool) -> R<bool> {
    let close = |x: f64, y: f64| {
        if x.is_nan() || y.is_nan() {
            equal_nan && x.is_nan() && y.is_nan()
        } else {
            x == y || (x - y).abs() <= atol + rtol * y.abs()
        }
    };
    if a.shape() == b.shape() {
        // Compared a slice at a time, so two large tensors need no float64 copies of their
        // whole (per-sample gradients of a big layer: hundreds of MB each).
        let (fa, fb) = (a.reshape(&[-1]).map_err(exc)?, b.reshape(&[-1]).map_err(exc)?);
        let n = a.numel() as i64;
        const CHUNK: i64 = 1 << 16;
        let mut start = 0;
        while start < n {
            let len = CHUNK.min(n - start);
            let xa = fa.narrow(0, start, len).map_err(exc)?.to_f64_vec();
            let xb = fb.narrow(0, start, len).map_err(exc)?.to_f64_vec();
            if !xa.iter().zip(&xb).all(|(&x, &y)| close(x, y)) {
                return Ok(false);
            }
            start += len;
        }
        return Ok(true);
    }
    let shape = crate::tensor::Tensor::zeros(&a.shape(), DType::Float64)
        .add(&Tensor::zeros(&b.shape(), DType::Float64))
        .map_err(exc)?
        .shape();
    let ea = a.to_dtype(DType::Float64).and_then(|t| t.expand(&shape)).map_err(exc)?.to_f64_vec();
    let eb = b.to_dtype(DType::Float64).and_then(|t| t.expand(&shape)).map_err(exc)?.to_f64_vec();
    Ok(ea.iter().zip(&eb).all(|(&x, &y)| {
        if x.is_nan() || y.is_nan() {
            equal_nan && x.is_nan() && y.is_nan()
        } else {
            x == y || (x - y).abs() <= atol + rtol * y.abs()
        }
    }))
}

/// `t.split(n_or_sizes, dim)` as a tuple of tensors.
pub fn split_value(interp: &mut Interpreter, t: &Tensor, size: Option<Value>, dim: Option<Value>) -> R<Value> {
    let d = dim.map_or(Ok(0), |v| v.expect_int("dim"))? as isize;
    let parts = match size {
        Some(Value::Int(n)) => t.split_size(n.max(0) as usize, d),
        Some(v) => {
            let sizes = interp.iterate(&v)?.iter().map(|s| s.expect_int("split_size").map(|n| n.max(0) as usize)).collect::<R<Vec<_>>>()?;
            t.split_sizes(&sizes, d)
        }
        None => return Err(Exception::type_error("split() missing required argument 'split_size_or_sections'")),
    }
    .map_err(exc)?;
    Ok(Value::tuple(parts.into_iter().map(tv).collect()))
}

/// A slice's `start`, `stop` and `step` as integers (`None` where omitted; the step defaults to
/// 1): what tensor and ndarray indexing both read before their own checks of the step.
pub(crate) fn slice_bounds(s: &[Value; 3]) -> R<(Option<i64>, Option<i64>, i64)> {
    let bound = |v: &Value| -> R<Option<i64>> {
        match v {
            Value::None => Ok(None),
            v => super::convert::index_int(v).map(Some),
        }
    };
    Ok((bound(&s[0])?, bound(&s[1])?, bound(&s[2])?.unwrap_or(1)))
}
