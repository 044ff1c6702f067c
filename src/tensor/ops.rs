//! Differentiable tensor operations: arithmetic with PyTorch type promotion, element-wise math,
//! reductions, matmul, views and indexing. Each op computes its result and, when needed,
//! records a node whose formula mirrors PyTorch's derivatives.yaml.

use ndarray::{ArrayD, Axis, IxDyn};

use super::autograd::{record, record_as};
use super::saved_hooks::{keep, Need, Saved};
use super::kernels::{self, Float};
use super::sleef;
use super::storage::{broadcast_shapes, list_str, zip_map, Storage};
use super::tensor::norm_dim;
use super::view::{Creation, Layout};
use super::{DType, Result, Scalar, Tensor, TensorError};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Max,
    Min,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The right-hand side of a binary op: a tensor, or a Python number ("wrapped number").
#[derive(Clone, Copy)]
pub(crate) enum Rhs<'a> {
    T(&'a Tensor),
    S(Scalar),
}

/// A value saved for backward: shares the current storage but not future in-place updates,
/// and stands for `t`'s history when a formula runs under `create_graph`.
pub(crate) fn saved(t: &Tensor) -> Tensor {
    t.standing_for(t.detach_copy())
}

/// [`record`] for an op whose formula uses its own output, saved as `result` (a copy of
/// `out`'s elements): see [`link_output`].
pub(crate) fn record_out(
    result: &Tensor,
    out: Storage,
    name: &'static str,
    inputs: &[&Tensor],
    saves: bool,
    backward: impl Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
) -> Tensor {
    let out = super::forward_ad::with_linked(result, || record(out, name, inputs, saves, backward));
    link_output(result, out)
}

/// A gradient formula's `value`, computed by a kernel that records nothing, as the output of
/// PyTorch's double-backward node `name` over `inputs` when a graph is being recorded
/// (`create_graph`) and some input has history; otherwise `value` itself. `formula` makes the
/// node's formula (saving what it needs) only then, so a plain backward saves nothing.
pub(crate) fn double_backward<F>(value: Tensor, name: &'static str, inputs: &[&Tensor], formula: impl FnOnce() -> F) -> Tensor
where
    F: Fn(&Tensor, &[bool]) -> Result<Vec<Option<Tensor>>> + 'static,
{
    // Inside a dual level a formula's result carries tangents too (forward over reverse).
    let dual = super::forward_ad::active() && super::forward_ad::any_tangent(inputs);
    if !(dual || super::is_grad_enabled() && inputs.iter().any(|t| t.requires_grad())) {
        return value;
    }
    let out = (*value.storage()).clone();
    record(out, name, inputs, true, formula())
}

/// A saved output (`result` of exp, tanh, sigmoid, ...): once `out` has its node, the saved
/// copy stands for that node's output, so a formula run under `create_graph` differentiates
/// through the op again. Returns `out`.
pub(crate) fn link_output(result: &Tensor, out: Tensor) -> Tensor {
    if super::forward_ad::active() {
        super::forward_ad::share(&out, result);
    }
    if let Some(node) = out.grad_fn() {
        result.set_origin(super::tensor::Origin::Output(std::rc::Rc::downgrade(&node)));
    }
    out
}

// ---- type promotion ------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Prio {
    Dim,
    ZeroDim,
    Wrapped,
}

/// PyTorch's `result_type`: dimensioned tensors decide, unless a 0-d tensor or a Python number
/// belongs to a higher category (bool < integer < floating).
fn result_type(ops: &[(DType, Prio)]) -> DType {
    let group = |p: Prio| ops.iter().filter(|o| o.1 == p).map(|o| o.0).reduce(DType::promote);
    fn combine(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
        match (higher, lower) {
            (Some(h), _) if h.is_floating_point() => Some(h),
            (Some(h), Some(l)) if h == DType::Bool || l.is_floating_point() => Some(h.promote(l)),
            (Some(h), _) => Some(h),
            (None, l) => l,
        }
    }
    combine(group(Prio::Dim), combine(group(Prio::ZeroDim), group(Prio::Wrapped))).unwrap_or(DType::Float32)
}

/// The dtype of an op's result computed into a `wide` array from `inputs`: the inputs'
/// promoted dtype when that is narrow and held in such an array (int32 + int32 is int32, half
/// ops are half), otherwise the array's own dtype (int32 / int32 is float32).
pub(crate) fn result_dtype(inputs: &[&Tensor], wide: DType) -> DType {
    if !inputs.iter().any(|t| t.dtype().is_narrow()) {
        return wide;
    }
    let promoted = result_type(&inputs.iter().map(|t| (t.dtype(), prio(t))).collect::<Vec<_>>());
    if promoted.wide() == wide { promoted } else { wide }
}

fn prio(t: &Tensor) -> Prio {
    if t.dim() == 0 { Prio::ZeroDim } else { Prio::Dim }
}

/// `torch.result_type` over tensors and Python numbers (`clamp`'s bounds, `torch.result_type`,
/// `rounding_mode` division): numbers count as wrapped scalars, 0-d tensors below dimensioned ones.
pub fn result_type_of(tensors: &[&Tensor], scalars: &[Scalar]) -> DType {
    let mut ops: Vec<(DType, Prio)> = tensors.iter().map(|t| (t.dtype(), prio(t))).collect();
    ops.extend(scalars.iter().map(|s| (s.wrapped_dtype(), Prio::Wrapped)));
    result_type(&ops)
}

pub(crate) fn promote(a: &Tensor, b: Rhs) -> DType {
    let rb = match b {
        Rhs::T(t) => (t.dtype(), prio(t)),
        Rhs::S(s) => (s.wrapped_dtype(), Prio::Wrapped),
    };
    result_type(&[(a.dtype(), prio(a)), rb])
}

/// The right operand's elements, not yet cast (callers cast without copying what matches).
fn rhs_storage(b: Rhs, dtype: DType) -> std::rc::Rc<Storage> {
    match b {
        Rhs::T(t) => t.storage(),
        Rhs::S(s) => std::rc::Rc::new(Storage::full(&[], s, dtype)),
    }
}

// ---- element-wise kernels ------------------------------------------------------------------

fn float_bin<T: Float>(op: BinOp, x: T, y: T) -> T {
    match op {
        BinOp::Add => x + y,
        BinOp::Sub => x - y,
        BinOp::Mul => x * y,
        BinOp::Div => x / y,
        BinOp::Pow => x.powf(y),
        // maximum/minimum propagate NaN.
        BinOp::Max => {
            if x.is_nan() || y.is_nan() { x + y } else if x >= y { x } else { y }
        }
        BinOp::Min => {
            if x.is_nan() || y.is_nan() { x + y } else if x <= y { x } else { y }
        }
    }
}

/// [`float_bin`] over broadcast arrays, with the op chosen once so the common ones compile to
/// vector loops.
fn float_zip<T: Float>(op: BinOp, x: &ArrayD<T>, y: &ArrayD<T>, shape: &[usize]) -> Result<ArrayD<T>> {
    match op {
        BinOp::Add => zip_map(x, y, shape, |p, q| p + q),
        BinOp::Sub => zip_map(x, y, shape, |p, q| p - q),
        BinOp::Mul => zip_map(x, y, shape, |p, q| p * q),
        BinOp::Div => zip_map(x, y, shape, |p, q| p / q),
        _ => zip_map(x, y, shape, |p, q| float_bin(op, p, q)),
    }
}

fn int_bin(op: BinOp, x: i64, y: i64) -> Result<i64> {
    Ok(match op {
        BinOp::Add => x.wrapping_add(y),
        BinOp::Sub => x.wrapping_sub(y),
        BinOp::Mul => x.wrapping_mul(y),
        BinOp::Div => {
            if y == 0 {
                return Err(TensorError::runtime("ZeroDivisionError"));
            }
            x.div_euclid(y)
        }
        BinOp::Pow => {
            if y < 0 {
                return Err(TensorError::runtime("Integers to negative integer powers are not allowed."));
            }
            x.wrapping_pow(y.min(u32::MAX as i64) as u32)
        }
        BinOp::Max => x.max(y),
        BinOp::Min => x.min(y),
    })
}

/// Element-wise binary op on two storages cast to `dtype`.
pub(crate) fn binary_storage(op: BinOp, a: &Storage, b: &Storage, dtype: DType) -> Result<Storage> {
    let shape = broadcast_shapes(&a.shape(), &b.shape())?;
    let (a, b) = (a.cast_cow(dtype), b.cast_cow(dtype));
    Ok(match (&*a, &*b) {
        // float32 pow: SLEEF's powf on whole steps of two AVX512 vectors, glibc's on the tail
        // of each row of ATen's `cpu_kernel_vec` (one flat row unless broadcast splits it).
        (Storage::F32(x), Storage::F32(y)) if op == BinOp::Pow => {
            let row = super::iter_rows::vector_rows(&shape, x.shape(), y.shape()).max(1);
            let (x, y) = (x.broadcast(IxDyn(&shape)), y.broadcast(IxDyn(&shape)));
            let (x, y) = (x.ok_or_else(|| TensorError::runtime("broadcast"))?, y.ok_or_else(|| TensorError::runtime("broadcast"))?);
            let vec_end = row - row % kernels::VEC_LOOP_F32;
            let v = x.iter().zip(y.iter()).enumerate().map(|(i, (&p, &q))| if i % row < vec_end { sleef::powf(p, q) } else { p.powf(q) });
            Storage::F32(ArrayD::from_shape_vec(IxDyn(&shape), v.collect()).map_err(|e| TensorError::runtime(e.to_string()))?)
        }
        // float64 pow likewise, with SLEEF's powd on whole steps of 16 doubles.
        (Storage::F64(x), Storage::F64(y)) if op == BinOp::Pow => {
            let row = super::iter_rows::vector_rows(&shape, x.shape(), y.shape()).max(1);
            let (x, y) = (x.broadcast(IxDyn(&shape)), y.broadcast(IxDyn(&shape)));
            let (x, y) = (x.ok_or_else(|| TensorError::runtime("broadcast"))?, y.ok_or_else(|| TensorError::runtime("broadcast"))?);
            let (x, y): (Vec<f64>, Vec<f64>) = (x.iter().copied().collect(), y.iter().copied().collect());
            let v = super::sleef_f64_dd::vec_steps2(&x, &y, row, super::sleef_f64_dd::pow_lane, f64::powf);
            Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), v).map_err(|e| TensorError::runtime(e.to_string()))?)
        }
        (Storage::F32(x), Storage::F32(y)) => Storage::F32(float_zip(op, x, y, &shape)?),
        (Storage::F64(x), Storage::F64(y)) => Storage::F64(float_zip(op, x, y, &shape)?),
        (Storage::I64(x), Storage::I64(y)) => {
            let r = zip_map(x, y, &shape, |p, q| int_bin(op, p, q))?;
            let mut out = Vec::with_capacity(r.len());
            for v in r.iter() {
                out.push(v.clone()?);
            }
            Storage::I64(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(|e| TensorError::runtime(e.to_string()))?)
        }
        (Storage::Bool(x), Storage::Bool(y)) => match op {
            BinOp::Add | BinOp::Max => Storage::Bool(zip_map(x, y, &shape, |p, q| p || q)?),
            BinOp::Mul | BinOp::Min => Storage::Bool(zip_map(x, y, &shape, |p, q| p && q)?),
            BinOp::Sub => {
                return Err(TensorError::runtime(
                    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead.",
                ))
            }
            _ => return Err(TensorError::unsupported(format!("{op:?} on bool tensors"))),
        },
        _ => return Err(TensorError::runtime("internal dtype mismatch")),
    })
}

fn compare<T: PartialOrd + Copy>(op: CmpOp, x: T, y: T) -> bool {
    match op {
        CmpOp::Eq => x == y,
        CmpOp::Ne => x != y,
        CmpOp::Lt => x < y,
        CmpOp::Le => x <= y,
        CmpOp::Gt => x > y,
        CmpOp::Ge => x >= y,
    }
}

/// Applies `f32`/`f64` functions element-wise; integer and bool inputs promote to float32.
fn map_float(s: &Storage, f32f: impl Fn(f32) -> f32, f64f: impl Fn(f64) -> f64) -> Storage {
    match s {
        Storage::F64(a) => Storage::F64(a.mapv(f64f)),
        Storage::F32(a) => Storage::F32(a.mapv(f32f)),
        other => match other.cast(DType::Float32) {
            Storage::F32(a) => Storage::F32(a.mapv(f32f)),
            x => x,
        },
    }
}

/// Generic over float type: `relu`, `sigmoid` etc. written once.
fn map_generic(s: &Storage, f: impl Fn(FloatVal) -> FloatVal) -> Storage {
    map_float(s, |x| f(FloatVal::F32(x)).f32(), |x| f(FloatVal::F64(x)).f64())
}

#[derive(Clone, Copy)]
enum FloatVal {
    F32(f32),
    F64(f64),
}
impl FloatVal {
    fn f32(self) -> f32 {
        match self {
            FloatVal::F32(x) => x,
            FloatVal::F64(x) => x as f32,
        }
    }
    fn f64(self) -> f64 {
        match self {
            FloatVal::F32(x) => x as f64,
            FloatVal::F64(x) => x,
        }
    }
}

fn sigmoid_f<T: Float>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}

fn relu_f<T: Float>(x: T) -> T {
    if x < T::zero() { T::zero() } else { x } // clamp_min(x, 0): NaN and -0.0 pass through
}

/// Exponents ATen's pow kernel computes without `pow` (see `pow_scalar_f`).
fn is_special_exponent(e: f64) -> bool {
    [0.5, 2.0, 3.0, -0.5, -1.0, -2.0].contains(&e)
}

/// `x ** e` with PyTorch's special-cased exponents (they change rounding versus `powf`).
fn pow_scalar_f<T: Float>(x: T, e: f64) -> T {
    if e == 0.5 {
        x.sqrt()
    } else if e == 2.0 {
        x * x
    } else if e == 3.0 {
        x * x * x
    } else if e == -0.5 {
        T::one() / x.sqrt()
    } else if e == -1.0 {
        T::one() / x
    } else if e == -2.0 {
        T::one() / (x * x)
    } else {
        x.powf(T::from_f64(e))
    }
}

fn scalar_sub_one(s: Scalar) -> Scalar {
    match s {
        Scalar::Float(x) => Scalar::Float(x - 1.0),
        Scalar::Int(i) => Scalar::Int(i - 1),
        Scalar::Bool(b) => Scalar::Int(i64::from(b) - 1),
    }
}

// ---- the public operations ------------------------------------------------------------------

impl Tensor {
    pub(crate) fn from_storage_rc(s: std::rc::Rc<Storage>) -> Tensor {
        // `s` belongs to another tensor, which registered it.
        Tensor::from_backing(super::tensor::Backing::Own(super::view::Shared::new(s)), false)
    }

    fn binary(&self, other: Rhs, op: BinOp) -> Result<Storage> {
        let mut dtype = promote(self, other);
        if op == BinOp::Div && !dtype.is_floating_point() {
            dtype = DType::Float32;
        }
        binary_storage(op, &self.storage(), &rhs_storage(other, dtype), dtype)
    }

    pub fn add(&self, o: &Tensor) -> Result<Tensor> {
        let out = self.binary(Rhs::T(o), BinOp::Add)?;
        Ok(record(out, "AddBackward0", &[self, o], false, |g, _| Ok(vec![Some(g.clone()), Some(g.clone())])))
    }

    pub fn sub(&self, o: &Tensor) -> Result<Tensor> {
        let out = self.binary(Rhs::T(o), BinOp::Sub)?;
        Ok(record(out, "SubBackward0", &[self, o], false, |g, n| {
            Ok(vec![Some(g.clone()), if n[1] { Some(g.neg()?) } else { None }])
        }))
    }

    pub fn mul(&self, o: &Tensor) -> Result<Tensor> {
        let out = self.binary(Rhs::T(o), BinOp::Mul)?;
        let (a, b) = (saved(self), saved(o));
        let out = record(out, "MulBackward0", &[self, o], true, {
            let (a, b) = (a.clone(), b.clone());
            move |g, n| Ok(vec![if n[0] { Some(g.mul(&b)?) } else { None }, if n[1] { Some(g.mul(&a)?) } else { None }])
        });
        keep(&out, &[Saved::input("other", &b, o, Need::Input(0)), Saved::input("self", &a, self, Need::Input(1))]);
        Ok(out)
    }

    pub fn div(&self, o: &Tensor) -> Result<Tensor> {
        let out = self.binary(Rhs::T(o), BinOp::Div)?;
        let (a, b) = (saved(self), saved(o));
        Ok(record(out, "DivBackward0", &[self, o], true, move |g, n| {
            let ga = if n[0] { Some(g.div(&b)?) } else { None };
            // d(a/b)/db = -g * ((a / b) / b), in this order, as PyTorch computes it.
            let gb = if n[1] { Some(g.neg()?.mul(&a.div(&b)?.div(&b)?)?) } else { None };
            Ok(vec![ga, gb])
        }))
    }

    /// `self ** o` for two tensors (PowBackward1).
    pub fn pow(&self, o: &Tensor) -> Result<Tensor> {
        let out = self.binary(Rhs::T(o), BinOp::Pow)?;
        let (a, b) = (saved(self), saved(o));
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "PowBackward1", &[self, o], true, move |g, n| {
            let ga = if n[0] {
                // where(exponent == 0, 0, grad * exponent * a^(exponent-1))
                let d = b.mul(&a.pow(&b.sub_scalar(Scalar::Int(1))?)?)?;
                let zero = b.eq_scalar(Scalar::Int(0))?;
                Some(Tensor::where_(&zero, &Tensor::zeros(&[], d.dtype()), &g.mul(&d)?)?)
            } else {
                None
            };
            let gb = if n[1] {
                // grad * where(a == 0 & b >= 0, 0, result * log(a))
                let cond = a.eq_scalar(Scalar::Int(0))?.logical_and(&b.ge_scalar(Scalar::Int(0))?)?;
                let d = result.mul(&a.log()?)?;
                Some(g.mul(&Tensor::where_(&cond, &Tensor::zeros(&[], d.dtype()), &d)?)?)
            } else {
                None
            };
            Ok(vec![ga, gb])
        }))
    }

    pub fn add_scalar(&self, s: Scalar) -> Result<Tensor> {
        let out = self.binary(Rhs::S(s), BinOp::Add)?;
        Ok(record(out, "AddBackward0", &[self], false, |g, _| Ok(vec![Some(g.clone())])))
    }

    pub fn sub_scalar(&self, s: Scalar) -> Result<Tensor> {
        let out = self.binary(Rhs::S(s), BinOp::Sub)?;
        Ok(record(out, "SubBackward0", &[self], false, |g, _| Ok(vec![Some(g.clone())])))
    }

    /// `s - self` (RsubBackward1).
    pub fn rsub_scalar(&self, s: Scalar) -> Result<Tensor> {
        let dtype = promote(self, Rhs::S(s));
        if dtype == DType::Bool {
            return binary_storage(BinOp::Sub, &Storage::full(&[], s, dtype), &self.storage(), dtype).map(Tensor::from_storage);
        }
        let out = binary_storage(BinOp::Sub, &Storage::full(&[], s, dtype), &self.storage(), dtype)?;
        Ok(record(out, "RsubBackward1", &[self], false, |g, _| Ok(vec![Some(g.neg()?)])))
    }

    pub fn mul_scalar(&self, s: Scalar) -> Result<Tensor> {
        let out = self.binary(Rhs::S(s), BinOp::Mul)?;
        Ok(record(out, "MulBackward0", &[self], false, move |g, _| Ok(vec![Some(g.mul_scalar(s)?)])))
    }

    pub fn div_scalar(&self, s: Scalar) -> Result<Tensor> {
        let out = self.binary(Rhs::S(s), BinOp::Div)?;
        Ok(record(out, "DivBackward0", &[self], false, move |g, _| Ok(vec![Some(g.div_scalar(s)?)])))
    }

    /// `s / self`: PyTorch computes `self.reciprocal() * s` (so the grad_fn is MulBackward0).
    pub fn rdiv_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.reciprocal()?.mul_scalar(s)
    }

    pub fn reciprocal(&self) -> Result<Tensor> {
        let out = map_float(&self.storage(), |x| 1.0 / x, |x| 1.0 / x);
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "ReciprocalBackward0", &[self], true, move |g, _| {
            Ok(vec![Some(g.neg()?.mul(&result.mul(&result)?)?)])
        }))
    }

    /// `self ** s` (PowBackward0).
    pub fn pow_scalar(&self, s: Scalar) -> Result<Tensor> {
        let dtype = promote(self, Rhs::S(s));
        let st = self.storage();
        let e = s.as_f64();
        let out = if e == 0.0 {
            Storage::full(&st.shape(), Scalar::Int(1), dtype)
        } else if e == 1.0 {
            st.cast(dtype)
        } else {
            match st.cast(dtype) {
                // A general exponent goes through `cpu_kernel_vec`: SLEEF's powf (exponent
                // rounded to float) on whole steps of two AVX512 vectors of a contiguous input;
                // the rest, and every element of a strided input (the scalar loop), is
                // `std::pow(float, double)`: glibc's double pow, rounded.
                Storage::F32(a) if !is_special_exponent(e) => {
                    let n = a.len();
                    let vec_end = if self.is_contiguous() { n - n % kernels::VEC_LOOP_F32 } else { 0 };
                    let ef = e as f32;
                    let v = a.iter().enumerate().map(|(i, &x)| if i < vec_end { sleef::powf(x, ef) } else { f64::from(x).powf(e) as f32 });
                    Storage::F32(ArrayD::from_shape_vec(a.raw_dim(), v.collect()).map_err(|e| TensorError::runtime(e.to_string()))?)
                }
                // ATen hands `x ** 0.5` to its sqrt kernel: MKL's vsSqrt for float32.
                Storage::F32(a) if e == 0.5 => Storage::F32(a.mapv(super::vml_sqrt::sqrt_f32)),
                Storage::F32(a) => Storage::F32(a.mapv(|x| pow_scalar_f(x, e))),
                // float64 likewise, with SLEEF's powd in steps of 16 doubles.
                Storage::F64(a) if !is_special_exponent(e) => {
                    let x = row_major(&a);
                    let strides = self.view_info().map(|v| v.layout.strides.as_slice());
                    let out = super::sleef_f64_dd::aten_unary(&x, a.shape(), strides, |v| super::sleef_f64_dd::pow_lane(v, e), |v| v.powf(e));
                    Storage::F64(ArrayD::from_shape_vec(a.raw_dim(), out).map_err(|e| TensorError::runtime(e.to_string()))?)
                }
                Storage::F64(a) => Storage::F64(a.mapv(|x| pow_scalar_f(x, e))),
                other => binary_storage(BinOp::Pow, &other, &Storage::full(&[], s, dtype), dtype)?,
            }
        };
        let a = saved(self);
        let out = record(out, "PowBackward0", &[self], true, {
            let a = a.clone();
            move |g, _| {
                if e == 0.0 {
                    return Ok(vec![Some(g.zeros_like())]);
                }
                // grad * (exponent * self.pow(exponent - 1))
                Ok(vec![Some(g.mul(&a.pow_scalar(scalar_sub_one(s))?.mul_scalar(s)?)?)])
            }
        });
        keep(&out, &[Saved::input("self", &a, self, Need::Always)]);
        Ok(out)
    }

    /// `s ** self` (PowBackward2).
    pub fn rpow_scalar(&self, s: Scalar) -> Result<Tensor> {
        let dtype = promote(self, Rhs::S(s));
        let out = binary_storage(BinOp::Pow, &Storage::full(&[], s, dtype), &self.storage(), dtype)?;
        let result = Tensor::from_storage(out.clone());
        let base = s.as_f64();
        Ok(record_out(&result.clone(), out, "PowBackward2", &[self], true, move |g, _| {
            if base == 0.0 {
                return Ok(vec![Some(g.zeros_like())]);
            }
            Ok(vec![Some(g.mul(&result.mul_scalar(Scalar::Float(base.ln()))?)?)])
        }))
    }

    pub fn neg(&self) -> Result<Tensor> {
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::F32(a.mapv(|x| -x)),
            Storage::F64(a) => Storage::F64(a.mapv(|x| -x)),
            Storage::I64(a) => Storage::I64(a.mapv(|x| x.wrapping_neg())),
            Storage::Bool(_) => {
                return Err(TensorError::runtime(
                    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.",
                ))
            }
        };
        Ok(record(out, "NegBackward0", &[self], false, |g, _| Ok(vec![Some(g.neg()?)])))
    }

    /// `torch.maximum(a, b)` (MaximumBackward0); NaN propagates.
    pub fn maximum(&self, o: &Tensor) -> Result<Tensor> {
        self.extremum(o, true)
    }

    /// `torch.minimum(a, b)` (MinimumBackward0).
    pub fn minimum(&self, o: &Tensor) -> Result<Tensor> {
        self.extremum(o, false)
    }

    fn extremum(&self, o: &Tensor, is_max: bool) -> Result<Tensor> {
        let out = self.binary(Rhs::T(o), if is_max { BinOp::Max } else { BinOp::Min })?;
        let (a, b) = (saved(self), saved(o));
        let name = if is_max { "MaximumBackward0" } else { "MinimumBackward0" };
        Ok(record(out, name, &[self, o], true, move |g, _| {
            // The winner gets the gradient; ties split it in half, as PyTorch does.
            let half = g.div_scalar(Scalar::Int(2))?;
            let (a_wins, b_wins) = if is_max { (a.gt(&b)?, b.gt(&a)?) } else { (a.lt(&b)?, b.lt(&a)?) };
            let eq = a.eq(&b)?;
            let z = Tensor::zeros(&[], g.dtype());
            let tie = Tensor::where_(&eq, &half, &z)?;
            Ok(vec![Some(Tensor::where_(&a_wins, g, &tie)?), Some(Tensor::where_(&b_wins, g, &tie)?)])
        }))
    }

    // ---- comparisons and selection -------------------------------------------------------

    fn cmp(&self, other: Rhs, op: CmpOp) -> Result<Tensor> {
        let dtype = promote(self, other);
        let a0 = self.storage();
        let b0 = rhs_storage(other, dtype);
        let (a, b) = (a0.cast_cow(dtype), b0.cast_cow(dtype));
        let shape = broadcast_shapes(&a.shape(), &b.shape())?;
        let out = match (&*a, &*b) {
            (Storage::F32(x), Storage::F32(y)) => zip_map(x, y, &shape, |p, q| compare(op, p, q))?,
            (Storage::F64(x), Storage::F64(y)) => zip_map(x, y, &shape, |p, q| compare(op, p, q))?,
            (Storage::I64(x), Storage::I64(y)) => zip_map(x, y, &shape, |p, q| compare(op, p, q))?,
            (Storage::Bool(x), Storage::Bool(y)) => zip_map(x, y, &shape, |p, q| compare(op, p, q))?,
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        };
        Ok(Tensor::from_storage(Storage::Bool(out)))
    }

    pub fn eq(&self, o: &Tensor) -> Result<Tensor> {
        self.cmp(Rhs::T(o), CmpOp::Eq)
    }
    pub fn ne(&self, o: &Tensor) -> Result<Tensor> {
        self.cmp(Rhs::T(o), CmpOp::Ne)
    }
    pub fn lt(&self, o: &Tensor) -> Result<Tensor> {
        self.cmp(Rhs::T(o), CmpOp::Lt)
    }
    pub fn le(&self, o: &Tensor) -> Result<Tensor> {
        self.cmp(Rhs::T(o), CmpOp::Le)
    }
    pub fn gt(&self, o: &Tensor) -> Result<Tensor> {
        self.cmp(Rhs::T(o), CmpOp::Gt)
    }
    pub fn ge(&self, o: &Tensor) -> Result<Tensor> {
        self.cmp(Rhs::T(o), CmpOp::Ge)
    }
    pub fn eq_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.cmp(Rhs::S(s), CmpOp::Eq)
    }
    pub fn ne_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.cmp(Rhs::S(s), CmpOp::Ne)
    }
    pub fn lt_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.cmp(Rhs::S(s), CmpOp::Lt)
    }
    pub fn le_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.cmp(Rhs::S(s), CmpOp::Le)
    }
    pub fn gt_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.cmp(Rhs::S(s), CmpOp::Gt)
    }
    pub fn ge_scalar(&self, s: Scalar) -> Result<Tensor> {
        self.cmp(Rhs::S(s), CmpOp::Ge)
    }

    pub fn logical_and(&self, o: &Tensor) -> Result<Tensor> {
        let (a, b) = (self.storage().cast(DType::Bool), o.storage().cast(DType::Bool));
        let shape = broadcast_shapes(&a.shape(), &b.shape())?;
        match (&a, &b) {
            (Storage::Bool(x), Storage::Bool(y)) => Ok(Tensor::from_storage(Storage::Bool(zip_map(x, y, &shape, |p, q| p && q)?))),
            _ => Err(TensorError::runtime("internal dtype mismatch")),
        }
    }

    pub fn logical_not(&self) -> Tensor {
        match self.storage().cast(DType::Bool) {
            Storage::Bool(a) => Tensor::from_storage(Storage::Bool(a.mapv(|x| !x))),
            other => Tensor::from_storage(other),
        }
    }

    /// `torch.where(cond, a, b)` (WhereBackward0).
    pub fn where_(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let dtype = result_type(&[(a.dtype(), prio(a)), (b.dtype(), prio(b))]);
        let c = cond.storage();
        let shape = broadcast_shapes(&broadcast_shapes(&c.shape(), &a.shape())?, &b.shape())?;
        let out = super::copy_fast::where_pick(&c, &a.storage(), &b.storage(), dtype, &shape)?;
        let cond = saved(cond);
        Ok(record(out, "WhereBackward0", &[a, b], true, move |g, n| {
            let z = Tensor::zeros(&[], g.dtype());
            Ok(vec![
                if n[0] { Some(Tensor::where_(&cond, g, &z)?) } else { None },
                if n[1] { Some(Tensor::where_(&cond, &z, g)?) } else { None },
            ])
        }))
    }

    // ---- element-wise math -------------------------------------------------------------------

    pub fn exp(&self) -> Result<Tensor> {
        // float32 as MKL's `vsExp` computes it (vml_exp.rs), which is what PyTorch calls.
        let out = map_float(&self.storage(), super::vml_exp::expf, f64::exp);
        let result = Tensor::from_storage(out.clone());
        let out = record_out(&result.clone(), out, "ExpBackward0", &[self], true, {
            let result = result.clone();
            move |g, _| Ok(vec![Some(g.mul(&result)?)])
        });
        keep(&out, &[Saved::result(&result)]);
        Ok(out)
    }

    pub fn log(&self) -> Result<Tensor> {
        // float32 as MKL's `vsLn` computes it (vml_log.rs), which is what PyTorch calls.
        let out = match &*self.storage() {
            Storage::F64(a) => Storage::F64(a.mapv(f64::ln)),
            Storage::F32(a) => Storage::F32(super::storage::map_row_major(a, super::vml_log::ln_slice)),
            other => map_float(other, super::vml_log::ln_f32, f64::ln),
        };
        let a = saved(self);
        Ok(record(out, "LogBackward0", &[self], true, move |g, _| Ok(vec![Some(g.div(&a)?)])))
    }

    /// `log10`/`log2` (Log10Backward0/Log2Backward0): libm's, elementwise.
    pub fn log10(&self) -> Result<Tensor> {
        let out = map_float(&self.storage(), f32::log10, f64::log10);
        let a = saved(self);
        Ok(record(out, "Log10Backward0", &[self], true, move |g, _| {
            Ok(vec![Some(g.div(&a.mul_scalar(Scalar::Float(std::f64::consts::LN_10))?)?)])
        }))
    }

    pub fn log2(&self) -> Result<Tensor> {
        let out = map_float(&self.storage(), f32::log2, f64::log2);
        let a = saved(self);
        Ok(record(out, "Log2Backward0", &[self], true, move |g, _| {
            Ok(vec![Some(g.div(&a.mul_scalar(Scalar::Float(std::f64::consts::LN_2))?)?)])
        }))
    }

    pub fn sqrt(&self) -> Result<Tensor> {
        self.sqrt_of(super::vml_sqrt::sqrt_storage(&self.storage()))
    }

    /// Records `out`, this tensor's square root by one of the two roundings (vml_sqrt.rs).
    pub(super) fn sqrt_of(&self, out: Storage) -> Result<Tensor> {
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "SqrtBackward0", &[self], true, move |g, _| {
            Ok(vec![Some(g.div(&result.mul_scalar(Scalar::Int(2))?)?)])
        }))
    }

    pub fn sin(&self) -> Result<Tensor> {
        let out = map_float(&self.storage(), super::vml_sin::sin_f32, f64::sin);
        let a = saved(self);
        Ok(record(out, "SinBackward0", &[self], true, move |g, _| Ok(vec![Some(g.mul(&a.cos()?)?)])))
    }

    pub fn cos(&self) -> Result<Tensor> {
        let out = map_float(&self.storage(), super::vml_sin::cos_f32, f64::cos);
        let a = saved(self);
        Ok(record(out, "CosBackward0", &[self], true, move |g, _| Ok(vec![Some(g.mul(&a.sin()?.neg()?)?)])))
    }

    pub fn relu(&self) -> Result<Tensor> {
        let out = match &*self.storage() {
            Storage::I64(a) => Storage::I64(a.mapv(|x| x.max(0))),
            Storage::Bool(_) => return Err(TensorError::runtime("\"clamp_min_scalar_cpu\" not implemented for 'Bool'")),
            s => map_float(s, relu_f, relu_f),
        };
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "ReluBackward0", &[self], true, move |g, _| {
            // threshold_backward(grad, result, 0): zero where result <= 0.
            Ok(vec![Some(super::grad_fast::relu_backward(&result, g)?)])
        }))
    }

    pub fn sigmoid(&self) -> Result<Tensor> {
        let out = match &*self.storage() {
            // ATen's `cpu_kernel_vec` runs `1 / (1 + exp(-x))` on whole steps of two AVX512
            // vectors (32 floats) with SLEEF's exp, and the tail with the scalar (glibc) exp.
            // Which elements: iter_layout.rs (thread chunks, strided layouts).
            Storage::F32(a) if self.is_contiguous() => {
                Storage::F32(super::storage::map_row_major(a, super::sigmoid_f32::sigmoid))
            }
            Storage::F32(a) => {
                let mask = super::iter_layout::vector_mask(&self.shape(), &[&self.strides()], super::kernels::VEC_LOOP_F32);
                Storage::F32(super::storage::map_row_major(a, |x| super::sigmoid_f32::sigmoid_masked(x, &mask)))
            }
            // float64 likewise in steps of 16 doubles, with SLEEF's `expd`.
            Storage::F64(a) => Storage::F64(super::storage::map_row_major(a, |x| {
                let strides = self.view_info().map(|v| v.layout.strides.as_slice());
                super::sleef_f64_dd::aten_unary(x, a.shape(), strides, super::sleef_f64_dd::sigmoid_lane, sigmoid_f)
            })),
            s => map_generic(s, |v| match v {
                FloatVal::F32(x) => FloatVal::F32(sigmoid_f(x)),
                FloatVal::F64(x) => FloatVal::F64(sigmoid_f(x)),
            }),
        };
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "SigmoidBackward0", &[self], true, move |g, _| {
            // sigmoid_backward: grad * (1 - y) * y, left to right.
            Ok(vec![Some(sigmoid_backward(g, &result)?)])
        }))
    }

    pub fn tanh(&self) -> Result<Tensor> {
        // float32 as MKL's `vsTanh` computes it (tanh_f32.rs), which is what PyTorch calls.
        let out = super::tanh_f32::tanh_storage(&self.storage());
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "TanhBackward0", &[self], true, move |g, _| {
            // tanh_backward: grad * (1 - y*y); GCC fuses `1 - y*y` on AVX2 builds.
            Ok(vec![Some(tanh_backward(g, &result, one_minus_square(&result.storage()))?)])
        }))
    }

    pub fn abs(&self) -> Result<Tensor> {
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::F32(a.mapv(f32::abs)),
            Storage::F64(a) => Storage::F64(a.mapv(f64::abs)),
            Storage::I64(a) => Storage::I64(a.mapv(|x| x.wrapping_abs())),
            Storage::Bool(a) => Storage::Bool(a.clone()),
        };
        let a = saved(self);
        Ok(record(out, "AbsBackward0", &[self], true, move |g, _| Ok(vec![Some(g.mul(&a.sign()?)?)])))
    }

    /// `torch.sign` (0 for 0 and for NaN, as ATen); not differentiable (zero gradient).
    pub fn sign(&self) -> Result<Tensor> {
        fn sg<T: Float>(x: T) -> T {
            if x > T::zero() { T::one() } else if x < T::zero() { -T::one() } else { T::zero() } // NaN: 0, as ATen's (0 < x) - (x < 0)
        }
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::F32(a.mapv(sg)),
            Storage::F64(a) => Storage::F64(a.mapv(sg)),
            Storage::I64(a) => Storage::I64(a.mapv(i64::signum)),
            Storage::Bool(a) => Storage::Bool(a.clone()),
        };
        Ok(record(out, "SignBackward0", &[self], false, |g, _| Ok(vec![Some(g.zeros_like())])))
    }

    /// `clamp(min, max)` with scalar bounds (ClampBackward1).
    pub fn clamp(&self, min: Option<Scalar>, max: Option<Scalar>) -> Result<Tensor> {
        let dtype = self.dtype();
        let st = self.storage();
        let lo = min.map(|s| s.as_f64());
        let hi = max.map(|s| s.as_f64());
        fn cl<T: Float>(x: T, lo: Option<T>, hi: Option<T>) -> T {
            if x.is_nan() {
                return x;
            }
            let mut y = x;
            if let Some(l) = lo.filter(|&l| y < l) {
                y = l;
            }
            if let Some(h) = hi.filter(|&h| y > h) {
                y = h;
            }
            y
        }
        let out = match &*st {
            Storage::F32(a) => Storage::F32(a.mapv(|x| cl(x, lo.map(|v| v as f32), hi.map(|v| v as f32)))),
            Storage::F64(a) => Storage::F64(a.mapv(|x| cl(x, lo, hi))),
            Storage::I64(a) => Storage::I64(a.mapv(|x| {
                let mut y = x;
                if let Some(l) = min { y = y.max(l.as_i64()); }
                if let Some(h) = max { y = y.min(h.as_i64()); }
                y
            })),
            Storage::Bool(_) => return Err(TensorError::unsupported(format!("clamp on {dtype}"))),
        };
        let a = saved(self);
        Ok(record(out, "ClampBackward1", &[self], true, move |g, _| {
            let mut keep = Tensor::ones(&a.shape(), DType::Bool);
            if let Some(l) = min {
                keep = keep.logical_and(&a.ge_scalar(l)?)?;
            }
            if let Some(h) = max {
                keep = keep.logical_and(&a.le_scalar(h)?)?;
            }
            Ok(vec![Some(Tensor::where_(&keep, g, &Tensor::zeros(&[], g.dtype()))?)])
        }))
    }

    // ---- reductions --------------------------------------------------------------------------

    pub(crate) fn reduce_dims(&self, dims: Option<&[isize]>) -> Result<Vec<usize>> {
        let nd = self.dim();
        match dims {
            None => Ok((0..nd).collect()),
            Some([]) => Ok((0..nd).collect()),
            Some(ds) => {
                let mut out = Vec::new();
                for &d in ds {
                    let d = norm_dim(d, nd)?;
                    if out.contains(&d) {
                        return Err(TensorError::runtime(format!("dim {d} appears multiple times in the list of dims")));
                    }
                    out.push(d);
                }
                // A 0-d tensor accepts dim 0/-1 but has nothing to reduce.
                out.retain(|&d| d < nd);
                Ok(out)
            }
        }
    }

    /// Sum storage over `dims`, with the reduced dims kept as size 1 when `keepdim`.
    fn sum_storage(&self, dims: &[usize], keepdim: bool) -> Result<Storage> {
        let shape = self.shape();
        let kept: Vec<usize> = (0..shape.len()).map(|d| if dims.contains(&d) { 1 } else { shape[d] }).collect();
        let out_shape: Vec<usize> = if keepdim {
            kept.clone()
        } else {
            (0..shape.len()).filter(|d| !dims.contains(d)).map(|d| shape[d]).collect()
        };
        let sh = IxDyn(&out_shape);
        let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
        // Strided, transposed and expanded inputs, and reductions over dims that are not
        // adjacent, are summed in ATen's memory order (src/tensor/sum_reduce.rs); the other
        // contiguous ones keep the kernels' fast paths. Both read the elements where they sit
        // in the buffer (a view's is its base's), not a gathered copy.
        let layout = !self.is_contiguous() || super::sum_reduce::scattered(&shape, dims);
        fn sum_at<T: kernels::Float>(a: &ArrayD<T>, at: &super::view::Layout, dims: &[usize], layout: bool, sh: IxDyn) -> Result<ArrayD<T>> {
            let v = row_major(a);
            if !super::sum_reduce::fits(v.len(), at.offset, &at.shape, &at.strides) {
                return Err(TensorError::runtime("internal: a view reaches past its base's buffer"));
            }
            let out = if layout {
                super::sum_reduce::strided_sum(&v, at.offset, &at.shape, &at.strides, dims)
            } else {
                kernels::reduce_sum(v.get(at.offset..at.offset + at.numel()).unwrap_or(&[]), &at.shape, dims)
            };
            ArrayD::from_shape_vec(sh, out).map_err(|e| TensorError::runtime(e.to_string()))
        }
        let (buf, at) = self.buffer();
        Ok(match &*buf {
            Storage::F32(a) => Storage::F32(sum_at(a, &at, dims, layout, sh)?),
            Storage::F64(a) => Storage::F64(sum_at(a, &at, dims, layout, sh)?),
            Storage::I64(_) | Storage::Bool(_) => {
                let Storage::I64(a) = self.storage().cast(DType::Int64) else { return Err(TensorError::runtime("internal cast")) };
                let mut r = a;
                let mut ds = dims.to_vec();
                ds.sort_unstable();
                for &d in ds.iter().rev() {
                    r = r.sum_axis(Axis(d)).insert_axis(Axis(d));
                }
                Storage::I64(r.into_shape_with_order(sh).map_err(err)?)
            }
        })
    }

    /// `t.sum()` / `t.sum(dims, keepdim)`; integer and bool sums give int64.
    pub fn sum(&self, dims: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        let rd = self.reduce_dims(dims)?;
        let out = self.sum_storage(&rd, keepdim)?;
        let in_shape = self.shape();
        let name = if dims.is_none() { "SumBackward0" } else { "SumBackward1" };
        // Integer sums are int64 whatever the integer dtype (PyTorch widens them).
        let dtype = if self.dtype().is_integral() { DType::Int64 } else { self.dtype() };
        Ok(record_as(out, dtype, name, &[self], false, move |g, _| Ok(vec![Some(expand_reduced(g, &in_shape, &rd, keepdim)?)])))
    }

    /// `t.mean()`: the cascade sum divided by the element count in the tensor's dtype.
    pub fn mean(&self, dims: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        let dtype = self.dtype();
        if !dtype.is_floating_point() {
            let name = dtype_name(dtype);
            return Err(TensorError::NotImplemented {
                msg: format!("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {name}"),
            });
        }
        let rd = self.reduce_dims(dims)?;
        let shape = self.shape();
        let n: usize = rd.iter().map(|&d| shape[d]).product();
        let sum = self.sum_storage(&rd, keepdim)?;
        let out = binary_storage(BinOp::Div, &sum, &Storage::full(&[], Scalar::Int(n as i64), dtype), dtype)?;
        let name = if dims.is_none() { "MeanBackward0" } else { "MeanBackward1" };
        Ok(record(out, name, &[self], false, move |g, _| {
            Ok(vec![Some(expand_reduced(g, &shape, &rd, keepdim)?.div_scalar(Scalar::Int(n as i64))?)])
        }))
    }

    /// `t.norm()`: the 2-norm over all elements (src/tensor/norm_reduce.rs).
    pub fn norm(&self) -> Result<Tensor> {
        self.norm_p(2.0, None, false)
    }

    /// Reduces a gradient to `shape` by summing broadcast dims (PyTorch's `sum_to`).
    pub(crate) fn sum_to(&self, shape: &[usize]) -> Result<Tensor> {
        let own = self.shape();
        if own == shape {
            return Ok(self.clone());
        }
        let lead = own.len().saturating_sub(shape.len());
        let mut dims: Vec<isize> = (0..lead as isize).collect();
        for i in lead..own.len() {
            if shape[i - lead] == 1 && own[i] != 1 {
                dims.push(i as isize);
            }
        }
        let r = if dims.is_empty() { self.clone() } else { self.sum(Some(&dims), true)? };
        r.reshape_usize(shape)
    }

    /// Largest element (MaxBackward1). NaN propagates.
    pub fn max(&self) -> Result<Tensor> {
        self.extreme(true)
    }

    pub fn min(&self) -> Result<Tensor> {
        self.extreme(false)
    }

    fn extreme(&self, is_max: bool) -> Result<Tensor> {
        if self.numel() == 0 {
            return Err(TensorError::runtime(
                "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
            ));
        }
        let vals = self.to_f64_vec();
        let mut best = vals[0];
        for &v in &vals[1..] {
            if best.is_nan() {
                break;
            }
            if v.is_nan() || (is_max && v > best) || (!is_max && v < best) {
                best = v;
            }
        }
        let out = Storage::F64(ArrayD::from_elem(IxDyn(&[]), best)).cast(self.dtype());
        let a = saved(self);
        let result = Tensor::from_storage(out.clone());
        let name = if is_max { "MaxBackward1" } else { "MinBackward1" };
        Ok(record_out(&result.clone(), out, name, &[self], true, move |g, _| {
            // The gradient is shared evenly among all elements equal to the extreme.
            let mask = a.eq(&result)?;
            let count = mask.sum(None, false)?;
            let share = g.div(&count)?;
            Ok(vec![Some(Tensor::where_(&mask, &share, &Tensor::zeros(&[], g.dtype()))?)])
        }))
    }

    /// `t.max(dim)` → (values, indices) (MaxBackward0 on values); first index wins ties.
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, true)
    }

    pub fn min_dim(&self, dim: isize, keepdim: bool) -> Result<(Tensor, Tensor)> {
        self.extreme_dim(dim, keepdim, false)
    }

    fn extreme_dim(&self, dim: isize, keepdim: bool, is_max: bool) -> Result<(Tensor, Tensor)> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        if shape.is_empty() {
            return Ok((self.clone(), Tensor::zeros(&[], DType::Int64)));
        }
        let (outer, len, inner) = split3(&shape, d);
        if len == 0 {
            return Err(TensorError::IndexOutOfRange { index: 0, dim: d, size: 0 });
        }
        let vals = self.to_f64_vec();
        let mut best_v = Vec::with_capacity(outer * inner);
        let mut best_i = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| vals[(o * len + k) * inner + i];
                let (mut bv, mut bi) = (at(0), 0usize);
                for k in 1..len {
                    let v = at(k);
                    if bv.is_nan() {
                        break;
                    }
                    if v.is_nan() || (is_max && v > bv) || (!is_max && v < bv) {
                        bv = v;
                        bi = k;
                    }
                }
                best_v.push(bv);
                best_i.push(bi as i64);
            }
        }
        let mut out_shape = shape.clone();
        out_shape[d] = 1;
        let keep_shape = out_shape.clone();
        if !keepdim {
            out_shape.remove(d);
        }
        let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
        let values = Storage::F64(ArrayD::from_shape_vec(IxDyn(&out_shape), best_v).map_err(err)?).cast(self.dtype());
        let idx = ArrayD::from_shape_vec(IxDyn(&out_shape), best_i.clone()).map_err(err)?;
        let indices = Tensor::from_storage(Storage::I64(idx));
        let name = if is_max { "MaxBackward0" } else { "MinBackward0" };
        let values = record(values, name, &[self], true, move |g, _| {
            let g = g.reshape_usize(&keep_shape)?;
            let gv = g.to_f64_vec();
            let mut out = vec![0.0; shape.iter().product()];
            for o in 0..outer {
                for i in 0..inner {
                    let k = best_i[o * inner + i] as usize;
                    out[(o * len + k) * inner + i] = gv[o * inner + i];
                }
            }
            let full = Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(err)?).cast(g.dtype());
            Ok(vec![Some(Tensor::from_storage(full))])
        });
        Ok((values, indices))
    }

    /// `argmax()` over all elements, or along `dim`.
    pub fn argmax(&self, dim: Option<isize>, keepdim: bool) -> Result<Tensor> {
        match dim {
            Some(d) => Ok(self.detach().max_dim(d, keepdim)?.1),
            None => Ok(self.detach().reshape(&[-1])?.max_dim(0, false)?.1),
        }
    }

    pub fn argmin(&self, dim: Option<isize>, keepdim: bool) -> Result<Tensor> {
        match dim {
            Some(d) => Ok(self.detach().min_dim(d, keepdim)?.1),
            None => Ok(self.detach().reshape(&[-1])?.min_dim(0, false)?.1),
        }
    }

    // ---- softmax family ---------------------------------------------------------------------

    /// `softmax(dim)` in ATen's CPU orders (src/tensor/softmax_lanes.rs).
    pub fn softmax(&self, dim: isize) -> Result<Tensor> {
        let d = norm_dim(dim, self.dim())?;
        let x = self.float_storage()?;
        let out = if d + 1 == self.dim() { super::softmax_lanes::softmax_last_dim(&x, false)? } else { super::softmax_lanes::softmax_inner(&x, d)? };
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "SoftmaxBackward0", &[self], true, move |g, _| {
            // grad_input = y * (g - sum(g * y, dim))
            if d + 1 != result.dim() {
                let gs = g.storage();
                let out = super::softmax_lanes::softmax_backward_inner(&gs.cast_cow(result.dtype()), &result.storage(), d, false)?;
                return Ok(vec![Some(Tensor::from_storage(out))]);
            }
            let gs = g.storage();
            let out = super::softmax_lanes::softmax_backward_last(&gs.cast_cow(result.dtype()), &result.storage())?;
            Ok(vec![Some(Tensor::from_storage(out))])
        }))
    }

    /// `log_softmax(dim)`: (x - max) - log(sum exp(x - max)), summed left to right.
    pub fn log_softmax(&self, dim: isize) -> Result<Tensor> {
        let d = norm_dim(dim, self.dim())?;
        let x = self.float_storage()?;
        let out = if d + 1 == self.dim() { super::softmax_lanes::softmax_last_dim(&x, true)? } else { super::softmax_lanes::log_softmax_inner(&x, d)? };
        let result = Tensor::from_storage(out.clone());
        Ok(record_out(&result.clone(), out, "LogSoftmaxBackward0", &[self], true, move |g, _| {
            // grad_input = g - exp(y) * sum(g, dim); GCC contracts this to one FMA per element.
            if d + 1 != result.dim() {
                let gs = g.storage();
                let out = super::softmax_lanes::softmax_backward_inner(&gs.cast_cow(result.dtype()), &result.storage(), d, true)?;
                return Ok(vec![Some(Tensor::from_storage(out))]);
            }
            let s = super::softmax_lanes::row_sums_last(g)?;
            if let Some(out) = log_softmax_back_rows(&g.storage(), &result.storage(), &s.storage()) {
                return Ok(vec![Some(Tensor::from_storage(out?))]);
            }
            let e = Tensor::from_storage(match &*result.storage() {
                Storage::F32(a) => Storage::F32(a.mapv(Float::vexp)),
                Storage::F64(a) => Storage::F64(a.mapv(super::sleef_f64::expd)),
                other => other.clone(),
            });
            let shape = g.shape();
            let s = s.storage().expand(&shape)?;
            let out = match (&*g.storage(), &*e.storage(), &s) {
                (Storage::F32(g), Storage::F32(e), Storage::F32(s)) => Storage::F32(fnmadd(g, e, s)?),
                (Storage::F64(g), Storage::F64(e), Storage::F64(s)) => Storage::F64(fnmadd(g, e, s)?),
                _ => return Err(TensorError::runtime("internal dtype mismatch")),
            };
            Ok(vec![Some(Tensor::from_storage(out))])
        }))
    }

    /// Float view of the data for float-only kernels (ints promote to float32).
    fn float_storage(&self) -> Result<Storage> {
        let s = self.storage();
        Ok(match s.dtype() {
            DType::Float32 | DType::Float64 => (*s).clone(),
            _ => s.cast(DType::Float32),
        })
    }

    // ---- matmul ----------------------------------------------------------------------------

    /// `self @ o` for 1-D and 2-D operands (dot, mv, mm), plus batched 3-D+ by looping.
    pub fn matmul(&self, o: &Tensor) -> Result<Tensor> {
        let (da, db) = (self.dim(), o.dim());
        if da >= 2 && db >= 2 {
            let (sa, sb) = (self.shape(), o.shape());
            super::check_size(&[sa[..da - 1].iter().product(), sb[db - 1]])?;
        }
        match (da, db) {
            (0, _) | (_, 0) => Err(TensorError::MatmulZeroDim { a: da, b: db }),
            (1, 1) => self.dot(o),
            (2, 1) => self.mv(o),
            (1, 2) => {
                let out = self.unsqueeze(0)?.mm(o)?.squeeze(Some(0))?;
                // Inside vmap, a batch element's product is a row of the batch's (vmap_rows.rs).
                if super::vmap_rows::active() {
                    super::vmap_rows::apply(&out, self, o, None)?;
                }
                Ok(out)
            }
            (2, 2) => self.mm(o),
            _ => self.batched_matmul(o),
        }
    }

    fn matmul_dtype(&self, o: &Tensor) -> Result<DType> {
        if self.dtype() != o.dtype() {
            return Err(TensorError::runtime(format!(
                "expected m1 and m2 to have the same dtype, but got: {} != {}",
                dtype_cpp(self.dtype()),
                dtype_cpp(o.dtype())
            )));
        }
        Ok(self.dtype())
    }

    /// `torch.mm` (MmBackward0).
    pub fn mm(&self, o: &Tensor) -> Result<Tensor> {
        let (sa, sb) = (self.shape(), o.shape());
        if sa.len() != 2 || sb.len() != 2 {
            return Err(TensorError::runtime("self must be a matrix"));
        }
        if sa[1] != sb[0] {
            return Err(TensorError::MatmulShape { op: "mm", m: sa[0], k1: sa[1], k2: sb[0], n: sb[1] });
        }
        self.matmul_dtype(o)?;
        let out = mm_tensors(self, o, sa[0], sa[1], sb[1])?;
        let (a, b) = (self.snapshot(), o.snapshot());
        let out = record(out, "MmBackward0", &[self, o], true, {
            let (a, b) = (a.clone(), b.clone());
            move |g, n| {
                Ok(vec![
                    if n[0] { Some(g.mm(&b.t()?)?) } else { None },
                    if n[1] { Some(mat2_grad(&a, g, &b)?) } else { None },
                ])
            }
        });
        keep(&out, &[Saved::input("mat2", &b, o, Need::Input(0)), Saved::input("self", &a, self, Need::Input(1))]);
        // Inside vmap, a batch element's product is a block of rows of the batch's (vmap_rows.rs).
        if super::vmap_rows::active() {
            super::vmap_rows::apply(&out, self, o, None)?;
        }
        Ok(out)
    }

    /// Matrix-vector product (MvBackward0).
    pub fn mv(&self, v: &Tensor) -> Result<Tensor> {
        let (sa, sv) = (self.shape(), v.shape());
        if sa[1] != sv[0] {
            return Err(TensorError::MvShape { rows: sa[0], cols: sa[1], len: sv[0] });
        }
        self.matmul_dtype(v)?;
        let out = mm_storage(&self.storage(), &v.storage().reshape(&[sv[0], 1])?, sa[0], sa[1], 1)?.reshape(&[sa[0]])?;
        let (a, b) = (saved(self), saved(v));
        let out = record(out, "MvBackward0", &[self, v], true, {
            let (a, b) = (a.clone(), b.clone());
            move |g, n| {
                Ok(vec![
                    if n[0] { Some(g.unsqueeze(1)?.mm(&b.unsqueeze(0)?)?) } else { None },
                    if n[1] { Some(a.t()?.mv(g)?) } else { None },
                ])
            }
        });
        keep(&out, &[Saved::input("self", &a, self, Need::Input(1)), Saved::input("vec", &b, v, Need::Input(0))]);
        Ok(out)
    }

    /// Dot product of two vectors (DotBackward0).
    pub fn dot(&self, o: &Tensor) -> Result<Tensor> {
        let (n1, n2) = (self.numel(), o.numel());
        if self.dim() != 1 || o.dim() != 1 {
            return Err(TensorError::runtime(format!(
                "1D tensors expected, but got {}D and {}D tensors",
                self.dim(),
                o.dim()
            )));
        }
        if n1 != n2 {
            return Err(TensorError::DotShape { a: n1, b: n2 });
        }
        self.matmul_dtype(o)?;
        // MKL's `sdot`/`ddot` order for contiguous vectors, in order with a strided one.
        let contiguous = self.is_contiguous() && o.is_contiguous();
        let (sa, sb) = (self.storage(), o.storage());
        let out = match (&*sa, &*sb) {
            (Storage::F32(x), Storage::F32(y)) => Storage::F32(super::dot_order::dot_scalar(x, y, contiguous)),
            (Storage::F64(x), Storage::F64(y)) => Storage::F64(super::dot_order::dot_scalar(x, y, contiguous)),
            _ => mm_storage(&sa.reshape(&[1, n1])?, &sb.reshape(&[n1, 1])?, 1, n1, 1)?.reshape(&[])?,
        };
        let (a, b) = (saved(self), saved(o));
        Ok(record(out, "DotBackward0", &[self, o], true, move |g, n| {
            Ok(vec![if n[0] { Some(g.mul(&b)?) } else { None }, if n[1] { Some(g.mul(&a)?) } else { None }])
        }))
    }

    /// `torch.addmm(bias, x, w)`: `f32(mm(x, w) + bias)` (AddmmBackward0).
    pub fn addmm(bias: &Tensor, x: &Tensor, w: &Tensor) -> Result<Tensor> {
        let (sx, sw) = (x.shape(), w.shape());
        if sx.len() != 2 || sw.len() != 2 {
            return Err(TensorError::runtime("addmm expects 2-D matrices"));
        }
        if sx[1] != sw[0] {
            return Err(TensorError::MatmulShape { op: "addmm", m: sx[0], k1: sx[1], k2: sw[0], n: sw[1] });
        }
        let dtype = x.matmul_dtype(w)?;
        // Only the plain kernel over a row-major `mat2` starts from the bias; the check comes
        // first because `storage()` of `linear`'s transposed weight would gather a copy.
        let w_transposed = w.matrix_source().is_some_and(|(_, _, rs, cs)| rs == 1 && cs > 1);
        let first = if dtype == DType::Float64 {
            // float64: MKL dgemm's own places for the bias (dgemm_order.rs).
            super::dgemm_order::addmm(&bias.storage(), x, w, sx[0], sx[1], sw[1])?
        } else if super::addmm_order::starts_from_bias(w_transposed, dtype, sx[0], sx[1], sw[1]) {
            super::addmm_order::addmm_bias_first(&bias.storage(), &x.storage(), &w.storage(), dtype, sx[0], sx[1], sw[1])?
        } else {
            None
        };
        let (m, k, n) = (sx[0], sx[1], sw[1]);
        let parts = kernels::fused_parts(k);
        // float64 has no long-sum split (dgemm_order.rs).
        let split = parts.len() > 1 && kernels::matmul_fused(m, k, n) && dtype.is_floating_point() && dtype != DType::Float64;
        let out = match first {
            Some(out) => out,
            // MKL's chains over the parts of a long sum take the bias after the first:
            // `((bias + p0) + p1) + ...` (probed, docs/matmul-order.md "Long sums").
            None if split => super::no_grad(|| -> Result<Storage> {
                let mut acc: Storage = (*bias.storage()).clone();
                for r in parts {
                    let (s, l) = (r.start as i64, r.len() as i64);
                    let p = mm_tensors(&x.narrow(1, s, l)?, &w.narrow(0, s, l)?, m, r.len(), n)?;
                    acc = binary_storage(BinOp::Add, &acc, &p, dtype)?;
                }
                Ok(acc)
            })?,
            None => binary_storage(BinOp::Add, &mm_tensors(x, w, m, k, n)?, &bias.storage(), dtype)?,
        };
        if out.shape() != [sx[0], sw[1]] {
            return Err(TensorError::BroadcastMismatch { a: sw[1], b: bias.shape().last().copied().unwrap_or(0), dim: 1 });
        }
        let (xs, ws) = (x.snapshot(), w.snapshot());
        let out = record(out, "AddmmBackward0", &[bias, x, w], true, {
            let (xs, ws) = (xs.clone(), ws.clone());
            move |g, n| {
                Ok(vec![
                    if n[0] { Some(g.clone()) } else { None },
                    if n[1] { Some(g.mm(&ws.t()?)?) } else { None },
                    if n[2] { Some(mat2_grad(&xs, g, &ws)?) } else { None },
                ])
            }
        });
        keep(&out, &[Saved::input("mat1", &xs, x, Need::Input(2)), Saved::input("mat2", &ws, w, Need::Input(1))]);
        Ok(out)
    }

    // ---- shape and views --------------------------------------------------------------------

    /// The target shape of `reshape`/`view` with one optional -1.
    fn infer_shape(&self, shape: &[isize]) -> Result<Vec<usize>> {
        let numel = self.numel();
        let mut infer = None;
        let mut known = 1usize;
        for (i, &d) in shape.iter().enumerate() {
            if d == -1 {
                if infer.is_some() {
                    return Err(TensorError::runtime("only one dimension can be inferred"));
                }
                infer = Some(i);
            } else if d < 0 {
                return Err(TensorError::runtime(format!("invalid shape dimension {d}")));
            } else {
                known *= d as usize;
            }
        }
        let shape_str = || {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("[{}]", parts.join(", "))
        };
        let mut out: Vec<usize> = shape.iter().map(|&d| d.max(0) as usize).collect();
        if let Some(i) = infer {
            if known == 0 || !numel.is_multiple_of(known) {
                return Err(TensorError::BadReshape { shape: shape_str(), numel });
            }
            out[i] = numel / known;
        } else if known != numel {
            return Err(TensorError::BadReshape { shape: shape_str(), numel });
        }
        Ok(out)
    }

    /// `reshape(shape)`: a view when the elements allow one (ViewBackward0), else a copy
    /// (UnsafeViewBackward0 over CloneBackward0), as PyTorch decides.
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let out = self.infer_shape(shape)?;
        self.reshape_usize(&out)
    }

    /// `view(shape)`: always a view; refused when the strides do not allow one.
    pub fn view(&self, shape: &[isize]) -> Result<Tensor> {
        let out = self.infer_shape(shape)?;
        if !self.is_contiguous() && self.layout().view(&out).is_none() {
            return Err(TensorError::ViewIncompatible);
        }
        Ok(self.view_usize(out))
    }

    fn view_usize(&self, shape: Vec<usize>) -> Tensor {
        let in_shape = self.shape();
        let creation = match self.view_info().and_then(|v| v.base.as_ref()) {
            Some((_, rel)) if !rel.is_contiguous() && rel.view(&shape).is_none() => Creation::Unrebasable,
            _ => Creation::Normal,
        };
        self.view_op_as(
            "ViewBackward0",
            move |l| l.view(&shape).unwrap_or_else(|| Layout::contiguous(&shape)),
            creation,
            move |g, _| Ok(vec![Some(g.reshape_usize(&in_shape)?)]),
        )
    }

    pub(crate) fn reshape_usize(&self, shape: &[usize]) -> Result<Tensor> {
        if shape.iter().product::<usize>() != self.numel() {
            return Err(TensorError::BadReshape { shape: list_str(shape), numel: self.numel() });
        }
        if self.is_contiguous() || self.layout().view(shape).is_some() {
            return Ok(self.view_usize(shape.to_vec()));
        }
        // The copy is this function's own, so its elements move into the result.
        self.clone_tensor().unsafe_view(shape)
    }

    /// `flatten(start, end)`; a tensor already of that shape is returned as it is.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        let shape = self.shape();
        if shape.is_empty() {
            return self.reshape_usize(&[1]);
        }
        let (s, e) = (norm_dim(start, shape.len())?, norm_dim(end, shape.len())?);
        if s > e {
            return Err(TensorError::runtime("flatten() has invalid args: start_dim cannot come after end_dim"));
        }
        if s == e {
            return Ok(self.clone());
        }
        let mut out: Vec<usize> = shape[..s].to_vec();
        out.push(shape[s..=e].iter().product());
        out.extend(&shape[e + 1..]);
        self.reshape_usize(&out)
    }

    /// `contiguous()`: the tensor itself when contiguous, else a copy (CloneBackward0).
    pub fn contiguous(&self) -> Tensor {
        if self.is_contiguous() { self.clone() } else { self.clone_tensor() }
    }

    /// `x[...]`: a view of all elements (AliasBackward0).
    pub fn alias(&self) -> Tensor {
        self.view_op("AliasBackward0", |l| l.clone(), |g, _| Ok(vec![Some(g.clone())]))
    }

    /// `t.t()` (TBackward0); 0-d and 1-d tensors give a view of themselves.
    pub fn t(&self) -> Result<Tensor> {
        let nd = self.dim();
        if nd > 2 {
            return Err(TensorError::runtime(format!("t() expects a tensor with <= 2 dimensions, but self is {nd}D")));
        }
        if nd < 2 {
            return Ok(self.view_op("TBackward0", |l| l.clone(), |g, _| Ok(vec![Some(g.clone())])));
        }
        Ok(self.view_op("TBackward0", |l| l.permute(&[1, 0]), |g, _| Ok(vec![Some(g.t()?)])))
    }

    /// `t.T` / `permute(dims)` (PermuteBackward0).
    pub fn permute(&self, dims: &[isize]) -> Result<Tensor> {
        let nd = self.dim();
        if dims.len() != nd {
            return Err(TensorError::runtime(format!(
                "permute(sparse_coo): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = {nd} is not equal to len(dims) = {}",
                dims.len()
            )));
        }
        let mut axes = Vec::with_capacity(nd);
        for &d in dims {
            let d = norm_dim(d, nd)?;
            if axes.contains(&d) {
                return Err(TensorError::runtime("permute(): duplicate dims are not allowed."));
            }
            axes.push(d);
        }
        let mut inv = vec![0isize; nd];
        for (i, &a) in axes.iter().enumerate() {
            inv[a] = i as isize;
        }
        Ok(self.view_op("PermuteBackward0", move |l| l.permute(&axes), move |g, _| Ok(vec![Some(g.permute(&inv)?)])))
    }

    /// `M.T`: reverses all dims.
    pub fn mt(&self) -> Result<Tensor> {
        let nd = self.dim() as isize;
        let dims: Vec<isize> = (0..nd).rev().collect();
        self.permute(&dims)
    }

    /// `transpose(d0, d1)` (TransposeBackward0).
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Tensor> {
        let nd = self.dim();
        let (a, b) = (norm_dim(d0, nd)?, norm_dim(d1, nd)?);
        let mut axes: Vec<usize> = (0..nd).collect();
        if nd > 0 {
            axes.swap(a, b);
        }
        Ok(self.view_op("TransposeBackward0", move |l| l.permute(&axes), move |g, _| Ok(vec![Some(g.transpose(d0, d1)?)])))
    }

    /// `unsqueeze(dim)` (UnsqueezeBackward0).
    pub fn unsqueeze(&self, dim: isize) -> Result<Tensor> {
        let d = norm_dim(dim, self.dim() + 1)?;
        Ok(self.view_op("UnsqueezeBackward0", move |l| l.unsqueeze(d), move |g, _| Ok(vec![Some(g.squeeze(Some(d as isize))?)])))
    }

    /// `squeeze()` / `squeeze(dim)` (SqueezeBackward0 / SqueezeBackward1).
    pub fn squeeze(&self, dim: Option<isize>) -> Result<Tensor> {
        let in_shape = self.shape();
        let dims: Vec<usize> = match dim {
            None => (0..in_shape.len()).filter(|&d| in_shape[d] == 1).collect(),
            Some(d) => {
                let d = norm_dim(d, in_shape.len())?;
                if !in_shape.is_empty() && in_shape[d] == 1 { vec![d] } else { Vec::new() }
            }
        };
        let name = if dim.is_none() { "SqueezeBackward0" } else { "SqueezeBackward1" };
        Ok(self.view_op(name, move |l| l.squeeze(&dims), move |g, _| Ok(vec![Some(g.reshape_usize(&in_shape)?)])))
    }

    /// `squeeze((d0, d1, ...))` (SqueezeBackward2): the listed dims that have size 1.
    pub fn squeeze_dims(&self, dims: &[isize]) -> Result<Tensor> {
        let in_shape = self.shape();
        let mut keep = Vec::new();
        for &d in dims {
            let d = norm_dim(d, in_shape.len().max(1))?;
            if !in_shape.is_empty() && in_shape[d] == 1 && !keep.contains(&d) {
                keep.push(d);
            }
        }
        keep.sort_unstable();
        Ok(self.view_op("SqueezeBackward2", move |l| l.squeeze(&keep), move |g, _| Ok(vec![Some(g.reshape_usize(&in_shape)?)])))
    }

    /// `expand(sizes)` with -1 keeping a dim (ExpandBackward0): a view with stride-0 dims.
    pub fn expand(&self, shape: &[usize]) -> Result<Tensor> {
        super::check_size(shape)?;
        if self.layout().expand(shape).is_none() {
            // The storage-level broadcast words the error as PyTorch does.
            self.storage().expand(shape)?;
            return Err(TensorError::runtime("internal: expand refused"));
        }
        let target = shape.to_vec();
        Ok(self.view_op("ExpandBackward0", move |l| l.expand(&target).unwrap_or_else(|| l.clone()), |g, _| Ok(vec![Some(g.clone())])))
    }

    /// `t[i]` along `dim` (SelectBackward0); negative indices count from the end.
    pub fn select(&self, dim: isize, index: i64) -> Result<Tensor> {
        self.select_as(dim, index, "SelectBackward0", Creation::Normal)
    }

    fn select_as(&self, dim: isize, index: i64, name: &'static str, creation: Creation) -> Result<Tensor> {
        let shape = self.shape();
        if shape.is_empty() {
            return Err(super::index::zero_dim_index());
        }
        let d = norm_dim(dim, shape.len())?;
        let size = shape[d] as i64;
        let i = if index < 0 { index + size } else { index };
        if i < 0 || i >= size {
            return Err(TensorError::IndexOutOfRange { index, dim: d, size: shape[d] });
        }
        Ok(self.view_op_as(name, move |l| l.select(d, i as usize), creation, move |g, _| {
            Ok(vec![Some(super::grad_fast::select_backward(g, &shape, d, i as usize)?)])
        }))
    }

    /// `t[start:end:step]` along `dim` with Python slice clamping (SliceBackward0).
    pub fn slice(&self, dim: isize, start: Option<i64>, end: Option<i64>, step: i64) -> Result<Tensor> {
        if step <= 0 {
            return Err(TensorError::Value { msg: "step must be greater than zero".into() });
        }
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        let size = shape[d] as i64;
        let clampi = |v: i64| {
            let v = if v < 0 { v + size } else { v };
            v.clamp(0, size)
        };
        let s = start.map_or(0, clampi);
        let e = end.map_or(size, clampi).max(s);
        Ok(self.slice_as(d, s as usize, e as usize, step as usize, "SliceBackward0", Creation::Normal))
    }

    /// The elements `start..end` by `step` along `d` (already clamped), as a view.
    pub(crate) fn slice_as(&self, d: usize, start: usize, end: usize, step: usize, name: &'static str, creation: Creation) -> Tensor {
        let shape = self.shape();
        let len = (end - start).div_ceil(step);
        let idx: Vec<usize> = (0..len).map(|k| start + k * step).collect();
        self.view_op_as(name, move |l| l.slice(d, start, len, step), creation, move |g, _| {
            let value = Tensor::zeros_with_slices(&shape, d, &idx, g, false)?;
            // Under `create_graph`: slice_backward's own derivative slices again.
            Ok(vec![Some(double_backward(value, "SliceBackwardBackward0", &[g], || {
                move |gg: &Tensor, _: &[bool]| Ok(vec![Some(gg.slice_as(d, start, end, step, "SliceBackward0", Creation::Normal))])
            }))])
        })
    }

    /// `narrow(dim, start, length)` (SliceBackward0).
    pub fn narrow(&self, dim: isize, start: i64, length: i64) -> Result<Tensor> {
        let shape = self.shape();
        if shape.is_empty() {
            return Err(TensorError::runtime("narrow() cannot be applied to a 0-dim tensor."));
        }
        let d = norm_dim(dim, shape.len())?;
        let size = shape[d] as i64;
        let s = if start < 0 { start + size } else { start };
        if s < 0 || s > size {
            return Err(TensorError::Index {
                msg: format!("start out of range (expected to be in range of [{}, {}], but got {start})", -size, size),
            });
        }
        if length < 0 {
            return Err(TensorError::runtime("narrow(): length must be non-negative."));
        }
        if s + length > size {
            return Err(TensorError::runtime(format!("start ({s}) + length ({length}) exceeds dimension size ({size}).")));
        }
        Ok(self.slice_as(d, s as usize, (s + length) as usize, 1, "SliceBackward0", Creation::Normal))
    }

    /// `unbind(dim)`: the selections along `dim`, views that refuse in-place updates under
    /// autograd (UnbindBackward0).
    pub fn unbind(&self, dim: isize) -> Result<Vec<Tensor>> {
        if self.dim() == 0 {
            return Err(TensorError::runtime("Dimension specified as 0 but tensor has no dimensions"));
        }
        let d = norm_dim(dim, self.dim())?;
        (0..self.shape()[d])
            .map(|i| self.select_as(d as isize, i as i64, "UnbindBackward0", Creation::MultiOutput { index: i, op: "Unbind" }))
            .collect()
    }

    /// `diagonal(offset, dim1, dim2)` (DiagonalBackward0).
    pub fn diagonal(&self, offset: i64, dim1: isize, dim2: isize) -> Result<Tensor> {
        let nd = self.dim();
        let (d1, d2) = (norm_dim(dim1, nd)?, norm_dim(dim2, nd)?);
        if d1 == d2 {
            return Err(TensorError::runtime(format!("diagonal dimensions cannot be identical {dim1}, {dim2}")));
        }
        let shape = self.shape();
        let pos = std::rc::Rc::new(Layout::contiguous(&shape).diagonal(offset, d1, d2).positions());
        Ok(self.view_op("DiagonalBackward0", move |l| l.diagonal(offset, d1, d2), super::view::as_strided_backward(shape, pos)))
    }

    /// `index_select(dim, indices)` (IndexSelectBackward0); also used for integer-list indexing.
    pub fn index_select(&self, dim: isize, indices: &[i64]) -> Result<Tensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        let size = shape.get(d).copied().unwrap_or(1);
        let mut idx = Vec::with_capacity(indices.len());
        for &i in indices {
            let j = if i < 0 { i + size as i64 } else { i };
            if j < 0 || j >= size as i64 {
                return Err(TensorError::IndexOutOfRange { index: i, dim: d, size });
            }
            idx.push(j as usize);
        }
        let out = self.storage().take_axis(d, &idx);
        Ok(record(out, "IndexSelectBackward0", &[self], false, move |g, _| {
            Ok(vec![Some(Tensor::zeros_with_slices(&shape, d, &idx, g, true)?)])
        }))
    }

    /// Boolean-mask selection `t[mask]` (IndexBackward0), flattening matched elements.
    pub fn masked_select(&self, mask: &Tensor) -> Result<Tensor> {
        self.masked_select_as(mask, "IndexBackward0")
    }

    /// `torch.masked_select` (MaskedSelectBackward0), same shapes.
    pub fn masked_select_fn(&self, mask: &Tensor) -> Result<Tensor> {
        self.masked_select_as(mask, "MaskedSelectBackward0")
    }

    fn masked_select_as(&self, mask: &Tensor, name: &'static str) -> Result<Tensor> {
        let shape = self.shape();
        let m = mask.storage().cast(DType::Bool);
        if m.shape() != shape {
            return Err(TensorError::Index {
                msg: format!(
                    "The shape of the mask {} at index 0 does not match the shape of the indexed tensor {} at index 0",
                    list_str(&m.shape()),
                    list_str(&shape)
                ),
            });
        }
        let Storage::Bool(mv) = &m else { return Err(TensorError::runtime("internal dtype mismatch")) };
        let pos: Vec<usize> = mv.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i).collect();
        let flat = self.storage().reshape(&[self.numel()])?;
        let out = flat.take_axis(0, &pos);
        Ok(record(out, name, &[self], false, move |g, _| {
            let numel: usize = shape.iter().product();
            // `t[mask]`'s backward accumulates into zeros (index_put_), masked_select's scatters.
            let full = Tensor::zeros_with_slices(&[numel], 0, &pos, g, name == "IndexBackward0")?;
            Ok(vec![Some(full.reshape_usize(&shape)?)])
        }))
    }

    /// `torch.cat(tensors, dim)` (CatBackward0).
    pub fn cat(ts: &[Tensor], dim: isize) -> Result<Tensor> {
        let Some(first) = ts.first() else {
            return Err(TensorError::runtime("torch.cat(): expected a non-empty list of Tensors"));
        };
        let nd = first.dim();
        if nd == 0 {
            return Err(TensorError::runtime("zero-dimensional tensor (at position 0) cannot be concatenated"));
        }
        let d = norm_dim(dim, nd)?;
        let dtype = ts.iter().map(|t| t.dtype()).reduce(DType::promote).unwrap_or(DType::Float32);
        let mut shape = first.shape();
        let mut sizes = Vec::new();
        for (i, t) in ts.iter().enumerate() {
            let s = t.shape();
            if s.len() != nd {
                return Err(TensorError::runtime(format!(
                    "Tensors must have same number of dimensions: got {} and {}",
                    nd,
                    s.len()
                )));
            }
            for k in 0..nd {
                if k != d && s[k] != shape[k] {
                    return Err(TensorError::runtime(format!(
                        "Sizes of tensors must match except in dimension {d}. Expected size {} but got size {} for tensor number {i} in the list.",
                        shape[k], s[k]
                    )));
                }
            }
            sizes.push(s[d]);
        }
        shape[d] = sizes.iter().sum();
        let (outer, _, inner) = split3(&shape, d);
        // f64 carries every f32/i64-in-range/bool value exactly; int64 beyond 2^53 goes direct.
        let s = if let Some(s) = super::copy_fast::cat_same_dtype(ts, &shape, d, &sizes, dtype) {
            s?
        } else if dtype == DType::Int64 {
            let parts: Vec<Vec<i64>> = ts
                .iter()
                .map(|t| match t.storage().cast(DType::Int64) {
                    Storage::I64(a) => a.iter().copied().collect(),
                    _ => Vec::new(),
                })
                .collect();
            let mut out = Vec::with_capacity(shape.iter().product());
            for o in 0..outer {
                for (p, &sz) in parts.iter().zip(&sizes) {
                    out.extend_from_slice(&p[o * sz * inner..(o + 1) * sz * inner]);
                }
            }
            Storage::I64(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(|e| TensorError::runtime(e.to_string()))?)
        } else {
            let parts: Vec<Vec<f64>> = ts.iter().map(|t| t.storage().to_f64_vec()).collect();
            let mut out = Vec::with_capacity(shape.iter().product());
            for o in 0..outer {
                for (p, &sz) in parts.iter().zip(&sizes) {
                    out.extend_from_slice(&p[o * sz * inner..(o + 1) * sz * inner]);
                }
            }
            Storage::F64(ArrayD::from_shape_vec(IxDyn(&shape), out).map_err(|e| TensorError::runtime(e.to_string()))?).cast(dtype)
        };
        let refs: Vec<&Tensor> = ts.iter().collect();
        Ok(record(s, "CatBackward0", &refs, false, move |g, _| {
            let mut grads = Vec::new();
            let mut start = 0i64;
            for &sz in &sizes {
                grads.push(Some(g.slice(d as isize, Some(start), Some(start + sz as i64), 1)?));
                start += sz as i64;
            }
            Ok(grads)
        }))
    }

    /// `torch.stack(tensors, dim)` (StackBackward0).
    pub fn stack(ts: &[Tensor], dim: isize) -> Result<Tensor> {
        let Some(first) = ts.first() else {
            return Err(TensorError::runtime("stack expects a non-empty TensorList"));
        };
        let shape = first.shape();
        for (i, t) in ts.iter().enumerate() {
            if t.shape() != shape {
                return Err(TensorError::runtime(format!(
                    "stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {i}",
                    list_str(&shape),
                    list_str(&t.shape())
                )));
            }
        }
        let d = norm_dim(dim, shape.len() + 1)?;
        let expanded: Vec<Tensor> = crate::tensor::no_grad(|| {
            ts.iter().map(|t| Tensor::from_storage_rc(t.storage()).unsqueeze(d as isize)).collect::<Result<_>>()
        })?;
        let cat = crate::tensor::no_grad(|| Tensor::cat(&expanded, d as isize))?;
        let refs: Vec<&Tensor> = ts.iter().collect();
        let n = ts.len();
        Ok(record((*cat.storage()).clone(), "StackBackward0", &refs, false, move |g, _| {
            (0..n).map(|i| g.select(d as isize, i as i64).map(Some)).collect()
        }))
    }

    /// `clone()` (CloneBackward0).
    pub fn clone_tensor(&self) -> Tensor {
        // A view's elements gathered just now for this call are taken as they are.
        let s = std::rc::Rc::try_unwrap(self.storage()).unwrap_or_else(|s| (*s).clone());
        record(s, "CloneBackward0", &[self], false, |g, _| Ok(vec![Some(g.clone())]))
    }

    /// `.to(dtype)` / `.float()` / `.double()` / `.long()`; same dtype returns `self`.
    pub fn to_dtype(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let out = self.storage().cast(dtype);
        if !dtype.is_floating_point() {
            return Ok(Tensor::from_storage_as(out, dtype));
        }
        Ok(record_as(out, dtype, "ToCopyBackward0", &[self], false, |g, _| Ok(vec![Some(g.clone())])))
    }

    // ---- in-place updates -------------------------------------------------------------------

    /// Replaces this tensor's value by `result` (an out-of-place computation from it), taking
    /// over its history: PyTorch's in-place semantics for `a += b`, `a.add_(b)`, etc. On a view
    /// the elements are written into the base, whose history becomes CopySlices.
    pub(crate) fn assign_inplace(&self, result: Tensor) -> Result<()> {
        self.check_inplace()?;
        let s = result.storage();
        if s.shape() != self.shape() {
            return Err(TensorError::runtime(format!(
                "output with shape {} doesn't match the broadcast shape {}",
                list_str(&self.shape()),
                list_str(&s.shape())
            )));
        }
        let s = if s.dtype() != self.dtype() {
            if !self.dtype().is_floating_point() && s.dtype().is_floating_point() {
                return Err(TensorError::runtime(format!(
                    "result type Float can't be cast to the desired output type {}",
                    dtype_name(self.dtype())
                )));
            }
            // Nothing but bool casts to bool in place (`mask.bitwise_or_(ints)`, `mask.add_(1)`).
            if self.dtype() == DType::Bool {
                return Err(TensorError::runtime(format!(
                    "result type {} can't be cast to the desired output type Bool",
                    dtype_name(result.dtype())
                )));
            }
            let cast = std::rc::Rc::new(s.cast(self.dtype()));
            super::memory::track(&cast);
            cast
        } else {
            s
        };
        self.write_storage(s)?;
        self.adopt_history(&result);
        Ok(())
    }

    pub fn add_(&self, o: &Tensor) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.add(o)?)
    }
    pub fn sub_(&self, o: &Tensor) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.sub(o)?)
    }
    pub fn mul_(&self, o: &Tensor) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.mul(o)?)
    }
    pub fn div_(&self, o: &Tensor) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.div(o)?)
    }
    pub fn add_scalar_(&self, s: Scalar) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.add_scalar(s)?)
    }
    pub fn sub_scalar_(&self, s: Scalar) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.sub_scalar(s)?)
    }
    pub fn mul_scalar_(&self, s: Scalar) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.mul_scalar(s)?)
    }
    pub fn div_scalar_(&self, s: Scalar) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.div_scalar(s)?)
    }

    /// `zero_()` (ZeroBackward0: no gradient reaches the old values).
    pub fn zero_(&self) -> Result<()> {
        self.check_inplace()?;
        let out = self.full_like_scalar(Scalar::Int(0));
        self.assign_inplace(record(out, "ZeroBackward0", &[self], false, zeros_grad))
    }

    /// `fill_(v)` with a Python number (FillBackward2).
    pub fn fill_(&self, v: Scalar) -> Result<()> {
        self.check_inplace()?;
        super::dtype::check_scalar_fits(v, self.dtype())?;
        let out = self.full_like_scalar(v);
        self.assign_inplace(record(out, "FillBackward2", &[self], false, zeros_grad))
    }

    /// `fill_(t)` with a 0-d tensor (FillBackward3: the value gets the summed gradient).
    pub fn fill_tensor_(&self, v: &Tensor) -> Result<()> {
        if v.dim() != 0 {
            return Err(TensorError::runtime(format!(
                "fill_ only supports 0-dimension value tensor but got tensor with {} dimensions.",
                v.dim()
            )));
        }
        self.check_inplace()?;
        let out = self.full_like_scalar(v.item()?);
        self.assign_inplace(record(out, "FillBackward3", &[self, v], false, |g, n| {
            Ok(vec![zeros_grad(g, n)?.pop().flatten(), if n[1] { Some(g.sum(None, false)?) } else { None }])
        }))
    }

    /// `copy_(src)`: broadcasts and casts `src` into this tensor (CopyBackwards).
    pub fn copy_(&self, src: &Tensor) -> Result<()> {
        self.check_inplace()?;
        let s = src.storage().cast(self.dtype()).expand(&self.shape())?;
        self.assign_inplace(record(s, "CopyBackwards", &[self, src], false, |g, n| {
            Ok(vec![zeros_grad(g, n)?.pop().flatten(), if n[1] { Some(g.clone()) } else { None }])
        }))
    }

    /// `p.add_(g, alpha=a)` on float tensors: `fma(g, f32(a), p)` as the AVX2 kernel computes
    /// it (AddBackward0 when recorded).
    pub fn add_alpha_(&self, g: &Tensor, alpha: f64) -> Result<()> {
        self.check_inplace()?;
        let out = fused_axpy(&self.storage(), &g.storage(), alpha)?;
        let result = record(out, "AddBackward0", &[self, g], false, move |gr, n| {
            Ok(vec![if n[0] { Some(gr.clone()) } else { None }, if n[1] { Some(gr.mul_scalar(Scalar::Float(alpha))?) } else { None }])
        });
        self.assign_inplace(result)
    }
}

/// The gradient of an input whose old values an in-place fill discards.
fn zeros_grad(g: &Tensor, _: &[bool]) -> Result<Vec<Option<Tensor>>> {
    Ok(vec![Some(Tensor::zeros(&g.shape(), g.dtype()))])
}

// ---- helpers ------------------------------------------------------------------------------

/// `p + alpha * g` rounded once per element (the fused form of `add(g, alpha)`).
pub(crate) fn fused_axpy(p: &Storage, g: &Storage, alpha: f64) -> Result<Storage> {
    let shape = p.shape();
    let g = g.cast_cow(p.dtype());
    Ok(match (p, &*g.expand_cow(&shape)?) {
        (Storage::F32(p), Storage::F32(g)) => {
            let a = alpha as f32;
            Storage::F32(zip_map(p, g, &shape, |p, g| g.mul_add(a, p))?)
        }
        (Storage::F64(p), Storage::F64(g)) => Storage::F64(zip_map(p, g, &shape, |p, g| g.mul_add(alpha, p))?),
        _ => return Err(TensorError::runtime("add_ with alpha needs float tensors")),
    })
}

/// `g - e*s` with a single rounding.
/// LogSoftmaxBackward0 over the last dim, row by row: `fma(-exp(y), s, g)` with `s` the row's
/// sum of `g` (one per row, contiguous), as [`fnmadd`] computes it element by element; `None`
/// unless `g` and `y` are both float32 or both float64 and `s` matches. The exponentials go
/// eight lanes at a time and the loop is compiled with FMA (a libm `fmaf` per element without).
fn log_softmax_back_rows(g: &Storage, y: &Storage, s: &Storage) -> Option<Result<Storage>> {
    #[inline(always)]
    fn rows<T: super::softmax_lanes::VecExp>(g: &ArrayD<T>, y: &ArrayD<T>, s: &ArrayD<T>) -> Option<Result<ArrayD<T>>> {
        let len = *g.shape().last()?;
        if g.shape() != y.shape() || len == 0 || s.len() * len != g.len() {
            return None;
        }
        let s = s.as_standard_layout();
        let s = s.as_slice()?;
        let mut e: Vec<T> = super::gather::row_major(y);
        T::vec_exp_in_place(&mut e);
        let g = g.as_standard_layout();
        let g = g.as_slice()?;
        #[inline(always)]
        fn body<T: Float>(g: &[T], e: &mut [T], s: &[T], len: usize) {
            for (r, (gr, er)) in g.chunks_exact(len).zip(e.chunks_exact_mut(len)).enumerate() {
                let sr = s[r];
                for k in 0..len {
                    er[k] = (-er[k]).mul_add(sr, gr[k]);
                }
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            #[target_feature(enable = "avx2,fma")]
            fn go<T: Float>(g: &[T], e: &mut [T], s: &[T], len: usize) {
                body(g, e, s, len)
            }
            // SAFETY: the CPU has the features `go` is compiled for.
            unsafe { go(g, &mut e, s, len) };
            return Some(ArrayD::from_shape_vec(y.raw_dim(), e).map_err(|e| TensorError::runtime(e.to_string())));
        }
        body(g, &mut e, s, len);
        Some(ArrayD::from_shape_vec(y.raw_dim(), e).map_err(|e| TensorError::runtime(e.to_string())))
    }
    match (g, y, s) {
        (Storage::F32(g), Storage::F32(y), Storage::F32(s)) => rows(g, y, s).map(|r| r.map(Storage::F32)),
        (Storage::F64(g), Storage::F64(y), Storage::F64(s)) => rows(g, y, s).map(|r| r.map(Storage::F64)),
        _ => None,
    }
}

fn fnmadd<T: Float>(g: &ArrayD<T>, e: &ArrayD<T>, s: &ArrayD<T>) -> Result<ArrayD<T>> {
    let v: Vec<T> = g.iter().zip(e.iter().zip(s.iter())).map(|(&g, (&e, &s))| (-e).mul_add(s, g)).collect();
    ArrayD::from_shape_vec(g.raw_dim(), v).map_err(|e| TensorError::runtime(e.to_string()))
}

/// Gradient of a reduction: re-insert reduced dims (if dropped) and broadcast back.
pub(crate) fn expand_reduced(g: &Tensor, in_shape: &[usize], dims: &[usize], keepdim: bool) -> Result<Tensor> {
    let mut g = g.clone();
    if !keepdim {
        let mut shape = g.shape();
        let mut ds = dims.to_vec();
        ds.sort_unstable();
        for &d in &ds {
            shape.insert(d, 1);
        }
        g = g.reshape_usize(&shape)?;
    }
    g.expand(in_shape)
}

/// (product of dims before d, size of d, product of dims after d); 0-d counts as [1].
pub(crate) fn split3(shape: &[usize], d: usize) -> (usize, usize, usize) {
    if shape.is_empty() {
        return (1, 1, 1);
    }
    (shape[..d].iter().product(), shape[d], shape[d + 1..].iter().product())
}

/// Matrix product of row-major storages of the same dtype.
/// The gradient of `a @ b` with respect to `b`, `a^T @ g`. When `b` is a transposed matrix (a
/// weight `w.t()` in `linear`), it is computed as `(g^T @ a)^T` instead, so that the gradient
/// reaching `w` through `t()` is row-major and accumulates without a transposed copy. Both are
/// the same sums of the same products in the same order, so the bits agree.
pub(crate) fn mat2_grad(a: &Tensor, g: &Tensor, b: &Tensor) -> Result<Tensor> {
    let column_major = b.matrix_source().is_some_and(|(_, _, rs, cs)| rs == 1 && cs > 1);
    if column_major { g.t()?.mm(a)?.t() } else { a.t()?.mm(g) }
}

/// `a (m x k) @ b (k x n)` of two 2-D tensors, reading views (a transposed weight, say) in
/// place rather than gathering them first.
fn mm_tensors(a: &Tensor, b: &Tensor, m: usize, k: usize, n: usize) -> Result<Storage> {
    if let (Some((sa, oa, ra, ca)), Some((sb, ob, rb, cb))) = (a.matrix_source(), b.matrix_source()) {
        let sh = IxDyn(&[m, n]);
        let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
        macro_rules! strided {
            ($x:expr, $y:expr, $variant:ident) => {
                if let (Some(x), Some(y)) = ($x.as_slice(), $y.as_slice()) {
                    let ma = kernels::Mat { data: x.get(oa..).unwrap_or(&[]), rs: ra, cs: ca, start: oa };
                    let mb = kernels::Mat { data: y.get(ob..).unwrap_or(&[]), rs: rb, cs: cb, start: ob };
                    if ma.fits(m, k) && mb.fits(k, n) {
                        return Ok(Storage::$variant(ArrayD::from_shape_vec(sh, kernels::matmul_mat(ma, mb, m, k, n)).map_err(err)?));
                    }
                }
            };
        }
        match (&*sa, &*sb) {
            (Storage::F32(x), Storage::F32(y)) => strided!(x, y, F32),
            (Storage::F64(x), Storage::F64(y)) => strided!(x, y, F64),
            _ => {}
        }
    }
    mm_storage(&a.storage(), &b.storage(), m, k, n)
}

pub(crate) fn mm_storage(a: &Storage, b: &Storage, m: usize, k: usize, n: usize) -> Result<Storage> {
    let sh = IxDyn(&[m, n]);
    let err = |e: ndarray::ShapeError| TensorError::runtime(e.to_string());
    Ok(match (a, b) {
        (Storage::F32(x), Storage::F32(y)) => {
            let (x, y) = (row_major(x), row_major(y));
            Storage::F32(ArrayD::from_shape_vec(sh, kernels::matmul(&x, &y, m, k, n)).map_err(err)?)
        }
        (Storage::F64(x), Storage::F64(y)) => {
            let (x, y) = (row_major(x), row_major(y));
            Storage::F64(ArrayD::from_shape_vec(sh, kernels::matmul(&x, &y, m, k, n)).map_err(err)?)
        }
        (Storage::I64(x), Storage::I64(y)) => {
            let (x, y) = (row_major(x), row_major(y));
            Storage::I64(ArrayD::from_shape_vec(sh, kernels::matmul_i64(&x, &y, m, k, n)).map_err(err)?)
        }
        _ => return Err(TensorError::unsupported(format!("matmul on {}", a.dtype()))),
    })
}

/// The elements of an array in row-major order: borrowed when already contiguous.
pub(crate) fn row_major<T: Copy>(x: &ArrayD<T>) -> std::borrow::Cow<'_, [T]> {
    match x.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(x.iter().copied().collect()),
    }
}

/// ATen's C++ dtype names as they appear in some messages ("Float", "Long").
pub(crate) fn dtype_cpp(d: DType) -> &'static str {
    d.cpp_name()
}

pub(crate) fn dtype_name(d: DType) -> &'static str {
    d.scalar_name()
}

impl Storage {
    /// The sub-arrays at `idx` along `axis`, in that order.
    pub fn take_axis(&self, axis: usize, idx: &[usize]) -> Storage {
        match self {
            Storage::F32(a) => Storage::F32(take_axis(a, axis, idx)),
            Storage::F64(a) => Storage::F64(take_axis(a, axis, idx)),
            Storage::I64(a) => Storage::I64(take_axis(a, axis, idx)),
            Storage::Bool(a) => Storage::Bool(take_axis(a, axis, idx)),
        }
    }
}

/// `a`'s sub-arrays at `idx` along `axis`, row-major. A contiguous array is copied in runs of
/// whole sub-arrays (an embedding lookup is one slice copy per index); ndarray's `select`,
/// which makes a view per index and then concatenates, takes the rest.
fn take_axis<T: Copy>(a: &ArrayD<T>, axis: usize, idx: &[usize]) -> ArrayD<T> {
    let shape = a.shape();
    if let Some(data) = a.as_slice()
        && idx.iter().all(|&i| i < shape[axis])
    {
        let inner: usize = shape[axis + 1..].iter().product();
        let block = shape[axis] * inner;
        let mut out = Vec::with_capacity(data.len() / shape[axis].max(1) * idx.len());
        if block > 0 {
            for outer in data.chunks_exact(block) {
                for &i in idx {
                    out.extend_from_slice(&outer[i * inner..(i + 1) * inner]);
                }
            }
        }
        let mut dims = shape.to_vec();
        dims[axis] = idx.len();
        if let Ok(r) = ArrayD::from_shape_vec(dims, out) {
            return r;
        }
    }
    a.select(Axis(axis), idx).as_standard_layout().into_owned()
}

/// sigmoid_backward, `g * (1 - y) * y` left to right; under `create_graph` the node
/// SigmoidBackwardBackward0 with derivatives.yaml's formulas (`gg * (1 - y) * y` for `g`,
/// `gg * g * (-2y + 1)` for `y`).
pub(crate) fn sigmoid_backward(g: &Tensor, y: &Tensor) -> Result<Tensor> {
    let value = super::no_grad(|| g.mul(&y.rsub_scalar(Scalar::Int(1))?)?.mul(y))?;
    Ok(double_backward(value, "SigmoidBackwardBackward0", &[g, y], || {
        let (gs, ys) = (saved(g), saved(y));
        move |gg: &Tensor, n: &[bool]| {
            let dg = if n[0] { Some(sigmoid_backward(gg, &ys)?) } else { None };
            let dy = if n[1] { Some(gg.mul(&gs)?.mul(&ys.mul_scalar(Scalar::Int(-2))?.add_scalar(Scalar::Int(1))?)?) } else { None };
            Ok(vec![dg, dy])
        }
    }))
}

/// tanh_backward, `g * d` with `d = 1 - y*y` fused (computed by the caller from `y`); under
/// `create_graph` the node TanhBackwardBackward0 with derivatives.yaml's formulas
/// (`tanh_backward(gg, y)` for `g`, `gg * (-2y * g)` for `y`).
fn tanh_backward(g: &Tensor, y: &Tensor, d: Storage) -> Result<Tensor> {
    let value = super::no_grad(|| g.mul(&Tensor::from_storage(d)))?;
    Ok(double_backward(value, "TanhBackwardBackward0", &[g, y], || {
        let (gs, ys) = (saved(g), saved(y));
        move |gg: &Tensor, n: &[bool]| {
            let dg = if n[0] { Some(gg.mul(&one_minus_square_dual(&ys)?)?) } else { None };
            let dy = if n[1] { Some(gg.mul(&ys.mul_scalar(Scalar::Int(-2))?.mul(&gs)?)?) } else { None };
            Ok(vec![dg, dy])
        }
    }))
}

/// `1 - y*y` as a tensor: plain, or inside a dual level where `y` has a tangent, recorded with
/// its derivative `-2y` so the tangent reaches it (nested forward mode through `tanh`).
fn one_minus_square_dual(y: &Tensor) -> Result<Tensor> {
    let out = one_minus_square(&y.storage());
    if !(super::forward_ad::active() && super::forward_ad::any_tangent(&[y])) {
        return Ok(Tensor::from_storage(out));
    }
    let ys = saved(y);
    Ok(record(out, "TanhBackwardBackward0", &[y], true, move |g, _| Ok(vec![Some(g.mul(&ys.mul_scalar(Scalar::Int(-2))?)?)])))
}

/// `1 - y*y` per element, fused as GCC contracts it in ATen's tanh_backward.
fn one_minus_square(y: &Storage) -> Storage {
    fn go<T: Float>(y: &ArrayD<T>) -> ArrayD<T> {
        let y = y.as_standard_layout();
        let src = y.as_slice().unwrap_or(&[]);
        let mut out = vec![T::zero(); src.len()];
        #[inline(always)]
        fn body<T: Float>(src: &[T], out: &mut [T]) {
            for (o, &y) in out.iter_mut().zip(src) {
                *o = (-y).mul_add(y, T::one());
            }
        }
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // The FMA instruction instead of the C library's software `fmaf` call per element.
            #[target_feature(enable = "avx2,fma")]
            fn wide<T: Float>(src: &[T], out: &mut [T]) {
                body(src, out)
            }
            // SAFETY: the CPU has the features `wide` is compiled for.
            unsafe { wide(src, &mut out) };
        } else {
            body(src, &mut out);
        }
        #[cfg(not(target_arch = "x86_64"))]
        body(src, &mut out);
        ArrayD::from_shape_vec(y.raw_dim(), out).unwrap_or_else(|_| y.mapv(|y| (-y).mul_add(y, T::one())))
    }
    match y {
        Storage::F32(y) => Storage::F32(go(y)),
        Storage::F64(y) => Storage::F64(go(y)),
        s => s.clone(),
    }
}
