//! NumPy's arithmetic: its type promotion (NEP 50: Python numbers are "weak" and take the
//! array's dtype), elementwise binary ops with broadcasting, the float math functions, and
//! reductions in NumPy's summation order (pairwise sums of blocks of 8 along the contiguous
//! axis, sequential accumulation along outer axes).

use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Scalar, Tensor};

use super::array::{Elems, R, as_array, build, elems, exc, from_py, py_scalar, scalar_elems};
use super::print::dtype_name;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NpOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    MatMul,
    And,
    Or,
    Xor,
    Maximum,
    Minimum,
    Lt,
    Le,
    Eq,
    Ne,
    Gt,
    Ge,
    /// The reflected forms of the non-commutative ops (`2 - a`).
    RSub,
    RDiv,
    RFloorDiv,
    RMod,
    RPow,
    RMatMul,
}

impl NpOp {
    pub fn reflect(self) -> NpOp {
        match self {
            NpOp::Sub => NpOp::RSub,
            NpOp::Div => NpOp::RDiv,
            NpOp::FloorDiv => NpOp::RFloorDiv,
            NpOp::Mod => NpOp::RMod,
            NpOp::Pow => NpOp::RPow,
            NpOp::MatMul => NpOp::RMatMul,
            NpOp::Lt => NpOp::Gt,
            NpOp::Gt => NpOp::Lt,
            NpOp::Le => NpOp::Ge,
            NpOp::Ge => NpOp::Le,
            o => o,
        }
    }

    /// The ufunc's name, for NumPy's casting errors.
    pub fn name(self) -> &'static str {
        match self {
            NpOp::Add => "add",
            NpOp::Sub | NpOp::RSub => "subtract",
            NpOp::Mul => "multiply",
            NpOp::Div | NpOp::RDiv => "divide",
            NpOp::FloorDiv | NpOp::RFloorDiv => "floor_divide",
            NpOp::Mod | NpOp::RMod => "remainder",
            NpOp::Pow | NpOp::RPow => "power",
            NpOp::MatMul | NpOp::RMatMul => "matmul",
            NpOp::And => "bitwise_and",
            NpOp::Or => "bitwise_or",
            NpOp::Xor => "bitwise_xor",
            NpOp::Maximum => "maximum",
            NpOp::Minimum => "minimum",
            _ => "comparison",
        }
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            NpOp::Lt | NpOp::Le | NpOp::Eq | NpOp::Ne | NpOp::Gt | NpOp::Ge
        )
    }
}

/// An operand: an array (or NumPy scalar, which is typed) or a weak Python number.
pub enum Operand {
    Array(Tensor),
    Weak(Scalar),
}

/// `v` as an operand: arrays, Python numbers, and lists (read as arrays). None: not ours.
pub fn operand(it: &mut Interpreter, v: &Value) -> R<Option<Operand>> {
    if let Some(t) = as_array(v) {
        return Ok(Some(Operand::Array(t.clone())));
    }
    if let Some(s) = py_scalar(v) {
        return Ok(Some(Operand::Weak(s)));
    }
    if matches!(v, Value::List(_) | Value::Tuple(_)) {
        return Ok(Some(Operand::Array(from_py(it, v, None)?)));
    }
    Ok(None)
}

fn rank(d: DType) -> (u8, u8) {
    // (kind: 0 bool, 1 int, 2 float; bits)
    match d {
        DType::Bool => (0, 1),
        DType::UInt8 | DType::Int8 => (1, 8),
        DType::Int16 | DType::UInt16 => (1, 16),
        DType::Int32 => (1, 32),
        DType::Int64 => (1, 64),
        DType::Float16 | DType::BFloat16 => (2, 16),
        DType::Float32 => (2, 32),
        DType::Float64 => (2, 64),
    }
}

fn int_of(bits: u8) -> DType {
    match bits {
        8 => DType::Int8,
        16 => DType::Int16,
        32 => DType::Int32,
        _ => DType::Int64,
    }
}

fn float_of(bits: u8) -> DType {
    match bits {
        16 => DType::Float16,
        32 => DType::Float32,
        _ => DType::Float64,
    }
}

/// `np.result_type` of two dtypes.
pub fn promote(a: DType, b: DType) -> DType {
    if a == b {
        return a;
    }
    let ((ka, ba), (kb, bb)) = (rank(a), rank(b));
    match (ka, kb) {
        (0, _) => b,
        (_, 0) => a,
        (1, 1) => {
            let unsigned = |d: DType| matches!(d, DType::UInt8 | DType::UInt16);
            match (unsigned(a), unsigned(b)) {
                // Both unsigned: the wider one.
                (true, true) => return if ba >= bb { a } else { b },
                // Unsigned with signed: a signed type wider than the unsigned one, if need be.
                (true, false) | (false, true) => {
                    let (ubits, sbits) = if unsigned(a) { (ba, bb) } else { (bb, ba) };
                    return int_of(if sbits <= ubits { ubits * 2 } else { sbits });
                }
                _ => {}
            }
            int_of(ba.max(bb))
        }
        (2, 2) => float_of(ba.max(bb)),
        _ => {
            let (ibits, fbits) = if ka == 1 { (ba, bb) } else { (bb, ba) };
            // The smallest float holding the int exactly enough, as NumPy's table has it.
            let need = match ibits {
                8 => 16,
                16 => 32,
                _ => 64,
            };
            float_of(need.max(fbits))
        }
    }
}

/// The dtype a weak Python number takes next to an array of `d`.
fn weak_dtype(s: Scalar, d: DType) -> DType {
    match (s, rank(d).0) {
        (Scalar::Bool(_), _) => d,
        (Scalar::Int(_), 0) => DType::Int64,
        (Scalar::Int(_), _) => d,
        (Scalar::Float(_), 2) => d,
        (Scalar::Float(_), _) => DType::Float64,
    }
}

fn dtypes(a: &Operand, b: &Operand) -> DType {
    match (a, b) {
        (Operand::Array(x), Operand::Array(y)) => promote(x.dtype(), y.dtype()),
        (Operand::Array(x), Operand::Weak(s)) | (Operand::Weak(s), Operand::Array(x)) => {
            weak_dtype(*s, x.dtype())
        }
        (Operand::Weak(s), Operand::Weak(t)) => promote(weak_alone(*s), weak_alone(*t)),
    }
}

fn weak_alone(s: Scalar) -> DType {
    match s {
        Scalar::Bool(_) => DType::Bool,
        Scalar::Int(_) => DType::Int64,
        Scalar::Float(_) => DType::Float64,
    }
}

/// The broadcast shape of two shapes, with NumPy's error.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> R<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let x = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let y = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = match (x, y) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Exception::value_error(format!(
                    "operands could not be broadcast together with shapes {} {} ",
                    super::print::shape_str(a),
                    super::print::shape_str(b)
                )));
            }
        };
    }
    Ok(out)
}

/// The operand's elements in `dtype`'s kind, broadcast to `shape`.
fn spread(o: &Operand, shape: &[usize], dtype: DType) -> R<Elems> {
    let t = match o {
        Operand::Array(t) => {
            if t.shape() == shape {
                return Ok(elems(t).into_kind(dtype));
            }
            t.expand(shape).map_err(exc)?
        }
        Operand::Weak(s) => {
            let n: usize = shape.iter().product();
            return Ok(match scalar_elems(*s).to_kind(dtype) {
                Elems::Bool(v) => Elems::Bool(vec![v[0]; n]),
                Elems::Int(v) => Elems::Int(vec![v[0]; n]),
                Elems::Float(v) => Elems::Float(vec![v[0]; n]),
            });
        }
    };
    Ok(elems(&t).into_kind(dtype))
}

fn shape_of(o: &Operand) -> Vec<usize> {
    match o {
        Operand::Array(t) => t.shape(),
        Operand::Weak(_) => Vec::new(),
    }
}

/// NumPy's `fast_scalar_power`: a float array to a Python 2, -1 or 0.5 is a square,
/// reciprocal or square root, not a `pow` call.
#[derive(Clone, Copy)]
enum FastPow {
    Square,
    Reciprocal,
    Sqrt,
}

/// `a op b` with NumPy's promotion and broadcasting.
pub fn binary(op: NpOp, a: &Operand, b: &Operand) -> R<Tensor> {
    if matches!(op, NpOp::MatMul | NpOp::RMatMul) {
        let (x, y) = if op == NpOp::MatMul { (a, b) } else { (b, a) };
        return matmul(x, y);
    }
    let (a, b, op) = match op {
        NpOp::RSub => (b, a, NpOp::Sub),
        NpOp::RDiv => (b, a, NpOp::Div),
        NpOp::RFloorDiv => (b, a, NpOp::FloorDiv),
        NpOp::RMod => (b, a, NpOp::Mod),
        NpOp::RPow => (b, a, NpOp::Pow),
        o => (a, b, o),
    };
    let mut dtype = dtypes(a, b);
    if op == NpOp::Div && !dtype.is_floating_point() {
        dtype = DType::Float64;
    }
    let shape = broadcast_shape(&shape_of(a), &shape_of(b))?;
    let (x, y) = (spread(a, &shape, dtype)?, spread(b, &shape, dtype)?);
    let single = dtype == DType::Float32;
    if op.is_comparison() {
        let out: Vec<bool> = match (&x, &y) {
            (Elems::Float(x), Elems::Float(y)) => {
                x.iter().zip(y).map(|(p, q)| cmp_f(op, *p, *q)).collect()
            }
            _ => {
                let (x, y) = (x.i64s(), y.i64s());
                x.iter()
                    .zip(&y)
                    .map(|(p, q)| cmp_f(op, *p as f64, *q as f64) && cmp_i(op, *p, *q))
                    .collect()
            }
        };
        return build(Elems::Bool(out), &shape, DType::Bool);
    }
    let out = match (x, y) {
        (Elems::Float(x), Elems::Float(y)) => {
            // Square and square root take NumPy's fast paths (`a**2` is `a*a`, `a**0.5` a sqrt).
            let fast = match (op, b) {
                (NpOp::Pow, Operand::Weak(Scalar::Int(2))) => Some(FastPow::Square),
                (NpOp::Pow, Operand::Weak(Scalar::Int(-1))) => Some(FastPow::Reciprocal),
                (NpOp::Pow, Operand::Weak(Scalar::Float(e))) if *e == 0.5 => Some(FastPow::Sqrt),
                _ => None,
            };
            // float64's common ops as loops of their own (the general closure below matches
            // the op per element, a third of a NumPy-only training loop's time).
            if !single {
                let direct = match (op, fast) {
                    (NpOp::Pow, Some(FastPow::Square)) => Some(x.iter().map(|&p| p * p).collect()),
                    (NpOp::Pow, None) => Some(zip_with(&x, &y, f64::powf)),
                    (NpOp::Add, _) => Some(zip_with(&x, &y, |p, q| p + q)),
                    (NpOp::Sub, _) => Some(zip_with(&x, &y, |p, q| p - q)),
                    (NpOp::Mul, _) => Some(zip_with(&x, &y, |p, q| p * q)),
                    (NpOp::Div, _) => Some(zip_with(&x, &y, |p, q| p / q)),
                    _ => None,
                };
                if let Some(v) = direct {
                    return build(Elems::Float(v), &shape, dtype);
                }
            }
            let f = |p: f64, q: f64| -> f64 {
                let r = match (op, fast) {
                    (NpOp::Pow, Some(FastPow::Square)) => p * p,
                    (NpOp::Pow, Some(FastPow::Reciprocal)) => 1.0 / p,
                    (NpOp::Pow, Some(FastPow::Sqrt)) => p.sqrt(),
                    (NpOp::Add, _) => p + q,
                    (NpOp::Sub, _) => p - q,
                    (NpOp::Mul, _) => p * q,
                    (NpOp::Div, _) => p / q,
                    (NpOp::FloorDiv, _) => floor_div_f(p, q),
                    (NpOp::Mod, _) => mod_f(p, q),
                    (NpOp::Pow, _) => {
                        if single {
                            (p as f32).powf(q as f32) as f64
                        } else {
                            p.powf(q)
                        }
                    }
                    (NpOp::Maximum, _) => {
                        if p.is_nan() || q.is_nan() {
                            f64::NAN
                        } else {
                            p.max(q)
                        }
                    }
                    (NpOp::Minimum, _) => {
                        if p.is_nan() || q.is_nan() {
                            f64::NAN
                        } else {
                            p.min(q)
                        }
                    }
                    _ => f64::NAN,
                };
                if single { r as f32 as f64 } else { r }
            };
            if matches!(op, NpOp::And | NpOp::Or | NpOp::Xor) {
                return Err(Exception::type_error(format!(
                    "ufunc '{}' not supported for the input types, and the inputs could not be safely coerced to any supported types according to the casting rule ''safe''",
                    op.name()
                )));
            }
            Elems::Float(x.iter().zip(&y).map(|(p, q)| f(*p, *q)).collect())
        }
        (Elems::Bool(x), Elems::Bool(y))
            if matches!(
                op,
                NpOp::And
                    | NpOp::Or
                    | NpOp::Xor
                    | NpOp::Add
                    | NpOp::Mul
                    | NpOp::Maximum
                    | NpOp::Minimum
            ) =>
        {
            Elems::Bool(
                x.iter()
                    .zip(&y)
                    .map(|(p, q)| match op {
                        NpOp::And | NpOp::Mul | NpOp::Minimum => *p && *q,
                        NpOp::Xor => p != q,
                        _ => *p || *q,
                    })
                    .collect(),
            )
        }
        (x, y) => {
            let (x, y) = (x.i64s(), y.i64s());
            let mut out = Vec::with_capacity(x.len());
            for (p, q) in x.iter().zip(&y) {
                out.push(match op {
                    NpOp::Add => p.wrapping_add(*q),
                    NpOp::Sub => p.wrapping_sub(*q),
                    NpOp::Mul => p.wrapping_mul(*q),
                    NpOp::FloorDiv => {
                        if *q == 0 {
                            0
                        } else {
                            p.div_euclid(*q) - i64::from(q < &0 && p.rem_euclid(*q) != 0)
                        }
                    }
                    NpOp::Mod => {
                        if *q == 0 {
                            0
                        } else {
                            ((p % q) + q) % q
                        }
                    }
                    NpOp::Pow => {
                        if *q < 0 {
                            return Err(Exception::value_error(
                                "Integers to negative integer powers are not allowed.",
                            ));
                        }
                        p.wrapping_pow(*q as u32)
                    }
                    NpOp::And => p & q,
                    NpOp::Or => p | q,
                    NpOp::Xor => p ^ q,
                    NpOp::Maximum => *p.max(q),
                    NpOp::Minimum => *p.min(q),
                    _ => 0,
                });
            }
            Elems::Int(out)
        }
    };
    build(out, &shape, dtype)
}

fn zip_with(x: &[f64], y: &[f64], g: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    x.iter().zip(y).map(|(&p, &q)| g(p, q)).collect()
}

fn cmp_f(op: NpOp, p: f64, q: f64) -> bool {
    match op {
        NpOp::Lt => p < q,
        NpOp::Le => p <= q,
        NpOp::Eq => p == q,
        NpOp::Ne => p != q,
        NpOp::Gt => p > q,
        _ => p >= q,
    }
}

fn cmp_i(op: NpOp, p: i64, q: i64) -> bool {
    match op {
        NpOp::Lt => p < q,
        NpOp::Le => p <= q,
        NpOp::Eq => p == q,
        NpOp::Ne => p != q,
        NpOp::Gt => p > q,
        _ => p >= q,
    }
}

/// NumPy's `npy_divmod` quotient: floor of the division, adjusted so q*div + mod == p.
fn floor_div_f(p: f64, q: f64) -> f64 {
    crate::lang::ops::floor_quotient(p, q)
}

fn mod_f(p: f64, q: f64) -> f64 {
    if q == 0.0 {
        return p % q;
    }
    let m = p % q;
    if m != 0.0 {
        if (q < 0.0) != (m < 0.0) { m + q } else { m }
    } else {
        0.0f64.copysign(q)
    }
}

/// Writes `r` into `dst` (in place ops, `out=`), with NumPy's same-kind casting check.
pub fn store(dst: &Tensor, r: &Tensor, ufunc: &str) -> R<()> {
    let (from, to) = (r.dtype(), dst.dtype());
    if rank(from).0 > rank(to).0 {
        return Err(Exception::new(
            "UFuncTypeError",
            format!(
                "Cannot cast ufunc '{ufunc}' output from dtype('{}') to dtype('{}') with casting rule 'same_kind'",
                dtype_name(from),
                dtype_name(to)
            ),
        ));
    }
    let r = if from != to {
        super::array::convert(r, to)?
    } else {
        r.clone()
    };
    let r = if r.shape() != dst.shape() {
        r.expand(&dst.shape()).map_err(exc)?
    } else {
        r
    };
    dst.copy_(&r).map_err(exc)
}

fn matmul(a: &Operand, b: &Operand) -> R<Tensor> {
    let (Operand::Array(x), Operand::Array(y)) = (a, b) else {
        return Err(Exception::value_error(
            "matmul: Input operand 1 does not have enough dimensions (has 0, gufunc core with signature (n?,k),(k,m?)->(n?,m?) requires 1)",
        ));
    };
    let d = promote(x.dtype(), y.dtype());
    let work = if d.is_floating_point() {
        DType::Float64
    } else {
        DType::Int64
    };
    let (xs, ys) = (
        super::array::convert(x, work)?,
        super::array::convert(y, work)?,
    );
    let r = xs.matmul(&ys).map_err(exc)?;
    if r.dtype() != d {
        super::array::convert(&r, d)
    } else {
        Ok(r)
    }
}

/// `a.T` / `np.transpose(a, axes)`.
pub fn transpose(t: &Tensor, axes: Option<Vec<isize>>) -> R<Tensor> {
    let axes = axes.unwrap_or_else(|| (0..t.dim() as isize).rev().collect());
    if axes.len() != t.dim() {
        return Err(Exception::value_error("axes don't match array"));
    }
    if t.dim() < 2 {
        return Ok(t.alias());
    }
    t.permute(&axes).map_err(exc)
}

/// A float math function elementwise: ints and bools compute in float64, float32 stays.
pub fn unary_float(t: &Tensor, f: fn(f64) -> f64) -> R<Tensor> {
    let dtype = if t.dtype().is_floating_point() {
        t.dtype()
    } else {
        DType::Float64
    };
    let single = dtype == DType::Float32;
    let v: Vec<f64> = elems(t)
        .f64s()
        .into_iter()
        .map(|x| if single { f(x) as f32 as f64 } else { f(x) })
        .collect();
    build(Elems::Float(v), &t.shape(), dtype)
}

/// NumPy's pairwise summation of a contiguous run (blocks of 8 accumulators up to 128).
pub fn pairwise(a: &[f64], single: bool) -> f64 {
    let r = |x: f64| if single { x as f32 as f64 } else { x };
    let n = a.len();
    if n < 8 {
        let mut s = 0.0;
        for &x in a {
            s = r(s + x);
        }
        s
    } else if n <= 128 {
        let mut acc = [0.0; 8];
        acc.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                acc[j] = r(acc[j] + a[i + j]);
            }
            i += 8;
        }
        let mut s =
            r(r(r(acc[0] + acc[1]) + r(acc[2] + acc[3]))
                + r(r(acc[4] + acc[5]) + r(acc[6] + acc[7])));
        while i < n {
            s = r(s + a[i]);
            i += 1;
        }
        s
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        r(pairwise(&a[..n2], single) + pairwise(&a[n2..], single))
    }
}

/// Which reduction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Reduce {
    Sum,
    Prod,
    Max,
    Min,
    ArgMax,
    ArgMin,
    Any,
    All,
}

/// Reduces `t` over `axis` (None: everything) in NumPy's order; `dtype` of a sum of ints
/// or bools is int64, of floats their own.
pub fn reduce(t: &Tensor, kind: Reduce, axis: Option<isize>, keepdims: bool) -> R<Tensor> {
    let shape = t.shape();
    let e = elems(t);
    let (outer, n, inner, out_shape) = match axis {
        None => {
            let keep = if keepdims {
                vec![1; shape.len()]
            } else {
                Vec::new()
            };
            (1, e.len(), 1, keep)
        }
        Some(a) => {
            let nd = shape.len() as isize;
            let ax = if a < 0 { a + nd } else { a };
            if ax < 0 || ax >= nd.max(1) || shape.is_empty() {
                return Err(Exception::new(
                    "numpy.exceptions.AxisError",
                    format!("axis {a} is out of bounds for array of dimension {nd}"),
                ));
            }
            let ax = ax as usize;
            let mut os = shape.clone();
            if keepdims {
                os[ax] = 1;
            } else {
                os.remove(ax);
            }
            (
                shape[..ax].iter().product(),
                shape[ax],
                shape[ax + 1..].iter().product(),
                os,
            )
        }
    };
    if n == 0
        && matches!(
            kind,
            Reduce::Max | Reduce::Min | Reduce::ArgMax | Reduce::ArgMin
        )
    {
        let name = match kind {
            Reduce::Max => "zero-size array to reduction operation maximum which has no identity",
            Reduce::Min => "zero-size array to reduction operation minimum which has no identity",
            _ => "attempt to get argmax of an empty sequence",
        };
        return Err(Exception::value_error(name));
    }
    let dtype = t.dtype();
    let single = dtype == DType::Float32;
    let out_dtype = match kind {
        Reduce::Sum | Reduce::Prod if !dtype.is_floating_point() => DType::Int64,
        Reduce::ArgMax | Reduce::ArgMin => DType::Int64,
        Reduce::Any | Reduce::All => DType::Bool,
        _ => dtype,
    };
    let at = |o: usize, k: usize, i: usize| o * n * inner + k * inner + i;
    let out = match (&e, kind) {
        (_, Reduce::Any | Reduce::All) => {
            let b = e.bools();
            let mut v = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let mut it = (0..n).map(|k| b[at(o, k, i)]);
                    v.push(if kind == Reduce::Any {
                        it.any(|x| x)
                    } else {
                        it.all(|x| x)
                    });
                }
            }
            Elems::Bool(v)
        }
        (_, Reduce::ArgMax | Reduce::ArgMin) => {
            let f = e.f64s();
            let mut v = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let mut best = 0usize;
                    for k in 0..n {
                        let (x, b) = (f[at(o, k, i)], f[at(o, best, i)]);
                        if b.is_nan() {
                            break;
                        }
                        if x.is_nan()
                            || (kind == Reduce::ArgMax && x > b)
                            || (kind == Reduce::ArgMin && x < b)
                        {
                            best = k;
                            if x.is_nan() {
                                break;
                            }
                        }
                    }
                    v.push(best as i64);
                }
            }
            Elems::Int(v)
        }
        (Elems::Float(f), _) => {
            let mut v = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                if inner == 1 && kind == Reduce::Sum {
                    v.push(pairwise(&f[o * n..(o + 1) * n], single));
                    continue;
                }
                for i in 0..inner {
                    let mut acc = match kind {
                        Reduce::Sum => 0.0,
                        Reduce::Prod => 1.0,
                        _ => f[at(o, 0, i)],
                    };
                    for k in 0..n {
                        let x = f[at(o, k, i)];
                        acc = match kind {
                            Reduce::Sum => acc + x,
                            Reduce::Prod => acc * x,
                            Reduce::Max => {
                                if acc.is_nan() || x.is_nan() {
                                    f64::NAN
                                } else {
                                    acc.max(x)
                                }
                            }
                            _ => {
                                if acc.is_nan() || x.is_nan() {
                                    f64::NAN
                                } else {
                                    acc.min(x)
                                }
                            }
                        };
                        if single {
                            acc = acc as f32 as f64;
                        }
                    }
                    v.push(acc);
                }
            }
            Elems::Float(v)
        }
        _ => {
            let f = e.i64s();
            let mut v = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let xs = (0..n).map(|k| f[at(o, k, i)]);
                    v.push(match kind {
                        Reduce::Sum => xs.fold(0i64, i64::wrapping_add),
                        Reduce::Prod => xs.fold(1i64, i64::wrapping_mul),
                        Reduce::Max => xs.max().unwrap_or(0),
                        _ => xs.min().unwrap_or(0),
                    });
                }
            }
            if out_dtype == DType::Bool {
                Elems::Bool(v.iter().map(|&x| x != 0).collect())
            } else {
                Elems::Int(v)
            }
        }
    };
    build(out, &out_shape, out_dtype)
}

/// `mean`: the sum (ints in float64) divided by the count.
pub fn mean(t: &Tensor, axis: Option<isize>, keepdims: bool) -> R<Tensor> {
    let base = if t.dtype().is_floating_point() {
        t.clone()
    } else {
        super::array::convert(t, DType::Float64)?
    };
    let s = reduce(&base, Reduce::Sum, axis, keepdims)?;
    let count = (t.numel() / s.numel().max(1)) as f64;
    let single = s.dtype() == DType::Float32;
    let v: Vec<f64> = elems(&s)
        .f64s()
        .into_iter()
        .map(|x| {
            if single {
                (x / count) as f32 as f64
            } else {
                x / count
            }
        })
        .collect();
    build(Elems::Float(v), &s.shape(), s.dtype())
}

/// `var`/`std` as NumPy's `_var`: mean with kept dims, squared deviations, their sum / (n - ddof).
pub fn var(t: &Tensor, axis: Option<isize>, ddof: f64, keepdims: bool, sqrt: bool) -> R<Tensor> {
    let base = if t.dtype().is_floating_point() {
        t.clone()
    } else {
        super::array::convert(t, DType::Float64)?
    };
    let m = mean(&base, axis, true)?;
    let dev = binary(NpOp::Sub, &Operand::Array(base.clone()), &Operand::Array(m))?;
    let sq = binary(
        NpOp::Mul,
        &Operand::Array(dev.clone()),
        &Operand::Array(dev),
    )?;
    let s = reduce(&sq, Reduce::Sum, axis, keepdims)?;
    let count = (t.numel() / s.numel().max(1)) as f64 - ddof;
    let count = count.max(0.0);
    let single = s.dtype() == DType::Float32;
    let v: Vec<f64> = elems(&s)
        .f64s()
        .into_iter()
        .map(|x| {
            let q = if single {
                (x / count) as f32 as f64
            } else {
                x / count
            };
            let r = if sqrt { q.sqrt() } else { q };
            if single { r as f32 as f64 } else { r }
        })
        .collect();
    build(Elems::Float(v), &s.shape(), s.dtype())
}

/// `np.round(a, decimals)`: NumPy scales by 10**decimals, rounds half to even, scales back.
pub fn round(t: &Tensor, decimals: i32) -> R<Tensor> {
    if !t.dtype().is_floating_point() {
        return Ok(t.clone());
    }
    let single = t.dtype() == DType::Float32;
    let f = 10f64.powi(decimals.abs());
    let r = |x: f64| -> f64 {
        let y = if decimals >= 0 { x * f } else { x / f };
        let y = if single { y as f32 as f64 } else { y };
        let y = y.round_ties_even();
        let z = if decimals >= 0 { y / f } else { y * f };
        if single { z as f32 as f64 } else { z }
    };
    let v: Vec<f64> = elems(t).f64s().into_iter().map(r).collect();
    build(Elems::Float(v), &t.shape(), t.dtype())
}
