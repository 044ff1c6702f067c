//! Operators: arithmetic, comparison and membership with CPython's semantics and error wording.

use std::cmp::Ordering;

use super::ast::{BinOp, CmpOp, UnaryOp};
use super::error::Exception;
use super::format::{PercentArg, percent_format};
use super::interp::Interpreter;
use super::native::Op;
use num_bigint::BigInt;

use super::bigint;
use super::value::{Dict, Value, key_eq};

type R<T> = Result<T, Exception>;

fn unsupported_operands(op: BinOp, a: &Value, b: &Value) -> Exception {
    let sym = if op == BinOp::Pow { "** or pow()" } else { op.symbol() };
    Exception::type_error(format!(
        "unsupported operand type(s) for {sym}: '{}' and '{}'",
        a.type_name(),
        b.type_name()
    ))
}

impl Interpreter {
    /// `a op b` as the fallback of `a op= b`: an unsupported pair is named by the augmented
    /// operator, as CPython does (`unsupported operand type(s) for -=`).
    pub(crate) fn inplace_binary(&mut self, op: BinOp, a: &Value, b: &Value) -> R<Value> {
        self.binary(op, a, b).map_err(|mut e| {
            let plain = unsupported_operands(op, a, b);
            if e.py_type() == "TypeError" && e.message() == plain.message() {
                e.0.message = format!("unsupported operand type(s) for {}=: '{}' and '{}'", op.symbol(), a.type_name(), b.type_name());
            }
            e
        })
    }
}

/// The floored quotient of CPython's float_divmod (NumPy's `npy_divmod` and ATen's `div_floor`
/// compute the same), in the operands' own precision: `(x - x % y) / y`, one less when the
/// remainder's sign differs from `y`'s, then rounded to the nearest integer, a zero keeping
/// the sign of `x / y`. Division by zero gives `x / y`.
pub(crate) fn floor_quotient<T: num_traits::Float>(x: T, y: T) -> T {
    if y == T::zero() {
        return x / y;
    }
    let m = x % y;
    let mut div = (x - m) / y;
    if m != T::zero() && (y < T::zero()) != (m < T::zero()) {
        div = div - T::one();
    }
    if div == T::zero() {
        return T::zero().copysign(x / y);
    }
    let f = div.floor();
    if div - f > T::from(0.5).unwrap_or_else(T::zero) { f + T::one() } else { f }
}

/// Python's float floor-division and modulo (CPython's float_divmod).
pub fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
        }
    } else {
        m = 0.0f64.copysign(y);
    }
    (floor_quotient(x, y), m)
}

/// `a // b` on i64; None only for i64::MIN // -1, which leaves i64.
pub fn int_floordiv(a: i64, b: i64) -> R<Option<i64>> {
    if b == 0 {
        return Err(Exception::new("ZeroDivisionError", "integer division or modulo by zero"));
    }
    let Some(q) = a.checked_div(b) else { return Ok(None) };
    Ok(Some(if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q }))
}

pub fn int_mod(a: i64, b: i64) -> R<i64> {
    if b == 0 {
        return Err(Exception::new("ZeroDivisionError", "integer modulo by zero"));
    }
    let r = a.checked_rem(b).unwrap_or(0);
    Ok(if r != 0 && ((r < 0) != (b < 0)) { r + b } else { r })
}

/// `a ** b` on i64, promoting to a big int when the power leaves i64.
pub fn int_pow(a: i64, b: i64) -> R<Value> {
    if b >= 0
        && let Ok(e) = u32::try_from(b)
        && let Some(r) = a.checked_pow(e)
    {
        return Ok(Value::Int(r));
    }
    bigint::pow(&BigInt::from(a), &BigInt::from(b))
}

/// `x op y` for two i64s whose result left i64.
#[cold]
#[inline(never)]
fn big_binary(op: BinOp, x: i64, y: i64) -> R<Value> {
    bigint::binary(op, &BigInt::from(x), &BigInt::from(y))
}

/// Whether an i64 converts to f64 exactly (so float division rounds only once).
fn exact_in_f64(x: i64) -> bool {
    x.unsigned_abs() <= 1 << 53
}

pub fn float_pow(a: f64, b: f64) -> R<f64> {
    if a == 0.0 && b < 0.0 {
        return Err(Exception::new("ZeroDivisionError", "0.0 cannot be raised to a negative power"));
    }
    if a < 0.0 && b.fract() != 0.0 && b.is_finite() {
        return Err(Exception::unsupported("complex numbers (negative number to a fractional power)"));
    }
    let r = a.powf(b);
    if r.is_infinite() && a.is_finite() && b.is_finite() {
        return Err(Exception::new("OverflowError", "(34, 'Numerical result out of range')"));
    }
    Ok(r)
}


fn repeat(items: &[Value], n: i64) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len() * n.max(0) as usize);
    for _ in 0..n.max(0) {
        out.extend(items.iter().cloned());
    }
    out
}

struct Percent<'a>(&'a mut Interpreter);

impl PercentArg for Percent<'_> {
    fn str_of(&mut self, v: &Value) -> R<String> {
        self.0.to_str(v)
    }
    fn repr_of(&mut self, v: &Value) -> R<String> {
        self.0.repr(v)
    }
    fn number_of(&mut self, v: &Value) -> R<Option<Value>> {
        match v {
            Value::Native(n) => n.clone().as_number(self.0),
            _ => Ok(None),
        }
    }
}

impl Interpreter {
    /// `a op b`.
    pub fn binary(&mut self, op: BinOp, a: &Value, b: &Value) -> R<Value> {
        // Int and float arithmetic first, before any dispatch on instances or natives; anything
        // these arms do not settle (overflow, division, mixed types) takes the full path below.
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => {
                let r = match op {
                    BinOp::Add => x.checked_add(*y),
                    BinOp::Sub => x.checked_sub(*y),
                    BinOp::Mul => x.checked_mul(*y),
                    BinOp::Mod if *x >= 0 && *y > 0 => Some(x % y),
                    BinOp::BitAnd => Some(x & y),
                    _ => None,
                };
                if let Some(r) = r {
                    return Ok(Value::Int(r));
                }
            }
            (Value::Float(x), Value::Float(y)) => match op {
                BinOp::Add => return Ok(Value::Float(x + y)),
                BinOp::Sub => return Ok(Value::Float(x - y)),
                BinOp::Mul => return Ok(Value::Float(x * y)),
                _ => {}
            },
            _ => {}
        }
        self.binary_slow(op, a, b)
    }

    fn binary_slow(&mut self, op: BinOp, a: &Value, b: &Value) -> R<Value> {
        if (matches!(a, Value::Instance(_)) || matches!(b, Value::Instance(_)))
            && let Some(v) = self.instance_binary(op, a, b)?
        {
            return Ok(v);
        }
        // A subclass of list, tuple or dict: the operation acts on its builtin half.
        // And a subclass of int or float (an IntEnum member) on its number.
        let half = |v: &Value| super::classes::builtin_half(v).or_else(|| super::value::number_half(v));
        let (ha, hb) = (half(a), half(b));
        if ha.is_some() || hb.is_some() {
            return self.binary(op, &ha.unwrap_or_else(|| a.clone()), &hb.unwrap_or_else(|| b.clone()));
        }
        if let Value::Native(n) = a {
            let n = n.clone();
            if let Some(v) = n.binary_op(a, Op::Bin(op), b, false, self)? {
                return Ok(v);
            }
        }
        if let Value::Native(n) = b {
            let n = n.clone();
            if let Some(v) = n.binary_op(b, Op::Bin(op), a, true, self)? {
                return Ok(v);
            }
            // `"%d" % t`: str's printf formatting takes any object.
            if !(matches!(op, BinOp::Mod) && matches!(a, Value::Str(_))) {
                return Err(unsupported_operands(op, a, b));
            }
        }
        use Value::{BigInt, Bool, Float, Int, List, Set, Str, Tuple};
        // Numbers: bools are ints.
        if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
            // Overflow leaves the fast path for exact big-int arithmetic.
            return Ok(match op {
                BinOp::Add => match x.checked_add(y) {
                    Some(r) => Int(r),
                    None => return big_binary(op, x, y),
                },
                BinOp::Sub => match x.checked_sub(y) {
                    Some(r) => Int(r),
                    None => return big_binary(op, x, y),
                },
                BinOp::Mul => match x.checked_mul(y) {
                    Some(r) => Int(r),
                    None => return big_binary(op, x, y),
                },
                BinOp::Div => {
                    if y == 0 {
                        return Err(Exception::new("ZeroDivisionError", "division by zero"));
                    }
                    if exact_in_f64(x) && exact_in_f64(y) {
                        Float(x as f64 / y as f64)
                    } else {
                        return big_binary(op, x, y);
                    }
                }
                BinOp::FloorDiv => match int_floordiv(x, y)? {
                    Some(q) => Int(q),
                    None => return big_binary(op, x, y),
                },
                BinOp::Mod => Int(int_mod(x, y)?),
                BinOp::Pow => int_pow(x, y)?,
                BinOp::LShift => {
                    if y < 0 {
                        return Err(Exception::value_error("negative shift count"));
                    }
                    if x == 0 {
                        Int(0)
                    } else {
                        let r = if y < 64 { x.checked_shl(y as u32) } else { None };
                        match r {
                            Some(r) if r >> y == x => Int(r),
                            _ => return big_binary(op, x, y),
                        }
                    }
                }
                BinOp::RShift => {
                    if y < 0 {
                        return Err(Exception::value_error("negative shift count"));
                    }
                    Int(if y >= 64 { if x < 0 { -1 } else { 0 } } else { x >> y })
                }
                BinOp::BitAnd => {
                    if let (Bool(p), Bool(q)) = (a, b) {
                        Bool(*p & *q)
                    } else {
                        Int(x & y)
                    }
                }
                BinOp::BitOr => {
                    if let (Bool(p), Bool(q)) = (a, b) {
                        Bool(*p | *q)
                    } else {
                        Int(x | y)
                    }
                }
                BinOp::BitXor => {
                    if let (Bool(p), Bool(q)) = (a, b) {
                        Bool(*p ^ *q)
                    } else {
                        Int(x ^ y)
                    }
                }
                BinOp::MatMul => return Err(unsupported_operands(op, a, b)),
            });
        }
        if let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) {
            return Ok(Float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => {
                    if y == 0.0 {
                        return Err(Exception::new("ZeroDivisionError", "float division by zero"));
                    }
                    x / y
                }
                BinOp::FloorDiv => {
                    if y == 0.0 {
                        return Err(Exception::new("ZeroDivisionError", "float floor division by zero"));
                    }
                    float_divmod(x, y).0
                }
                BinOp::Mod => {
                    if y == 0.0 {
                        return Err(Exception::new("ZeroDivisionError", "float modulo"));
                    }
                    float_divmod(x, y).1
                }
                BinOp::Pow => float_pow(x, y)?,
                _ => return Err(unsupported_operands(op, a, b)),
            }));
        }
        // Big ints come after the i64 and float paths (as_f64 is None for them), off the hot path.
        if (matches!(a, BigInt(_)) || matches!(b, BigInt(_)))
            && let Some(v) = self.big_binary_mixed(op, a, b)?
        {
            return Ok(v);
        }
        match (op, a, b) {
            (BinOp::Add, Str(x), Str(y)) => {
                let mut s = String::with_capacity(x.len() + y.len());
                s.push_str(x);
                s.push_str(y);
                Ok(Str(s.into()))
            }
            (BinOp::Add, Str(_), other) => Err(Exception::type_error(format!(
                "can only concatenate str (not \"{}\") to str",
                other.type_name()
            ))),
            (BinOp::Add, List(x), List(y)) => {
                let mut v = x.borrow().clone();
                v.extend(y.borrow().iter().cloned());
                Ok(Value::list(v))
            }
            (BinOp::Add, List(_), other) => Err(Exception::type_error(format!(
                "can only concatenate list (not \"{}\") to list",
                other.type_name()
            ))),
            (BinOp::Add, Tuple(x), Tuple(y)) => {
                let mut v = x.to_vec();
                v.extend(y.iter().cloned());
                Ok(Value::tuple(v))
            }
            (BinOp::Add, Tuple(_), other) => Err(Exception::type_error(format!(
                "can only concatenate tuple (not \"{}\") to tuple",
                other.type_name()
            ))),
            (BinOp::Mul, Str(_) | List(_) | Tuple(_), n) | (BinOp::Mul, n, Str(_) | List(_) | Tuple(_)) => {
                let seq = if matches!(a, Str(_) | List(_) | Tuple(_)) { a } else { b };
                let Some(k) = n.as_int() else {
                    return Err(Exception::type_error(format!(
                        "can't multiply sequence by non-int of type '{}'",
                        n.type_name()
                    )));
                };
                // A lesson asking for billions of items would abort the process on allocation;
                // CPython raises MemoryError there, and so do we, before allocating.
                let bytes = match seq {
                    Str(s) => s.len(),
                    List(l) => l.borrow().len() * std::mem::size_of::<Value>(),
                    Tuple(t) => t.len() * std::mem::size_of::<Value>(),
                    _ => 0,
                };
                if (bytes as u128) * (k.max(0) as u128) > self.max_sequence_bytes as u128 {
                    return Err(Exception::new("MemoryError", ""));
                }
                match seq {
                    // Built, then copied into the value's `Rc<str>`: both exist at once.
                    Str(_) => super::limits::check_text(bytes as u128 * k.max(0) as u128)?,
                    _ => super::limits::check_items(bytes as u128, k.max(0) as u128)?,
                }
                Ok(match seq {
                    Str(s) => Str(s.repeat(k.max(0) as usize).into()),
                    List(l) => Value::list(repeat(&l.borrow(), k)),
                    Tuple(t) => Value::tuple(repeat(t, k)),
                    _ => return Err(unsupported_operands(op, a, b)),
                })
            }
            (BinOp::Mod, Str(fmt), args) => {
                let fmt = fmt.clone();
                Ok(Str(percent_format(&fmt, args, &mut Percent(self))?.into()))
            }
            (BinOp::BitOr | BinOp::BitAnd | BinOp::Sub | BinOp::BitXor, Set(x), Set(y)) => {
                let (x, y) = (x.borrow(), y.borrow());
                let mut out = Dict::new();
                match op {
                    BinOp::BitOr => {
                        for (k, _) in x.iter().chain(y.iter()) {
                            out.insert(k.clone(), Value::None)?;
                        }
                    }
                    BinOp::BitAnd => {
                        for (k, _) in x.iter() {
                            if y.contains(k)? {
                                out.insert(k.clone(), Value::None)?;
                            }
                        }
                    }
                    BinOp::Sub => {
                        for (k, _) in x.iter() {
                            if !y.contains(k)? {
                                out.insert(k.clone(), Value::None)?;
                            }
                        }
                    }
                    _ => {
                        for (k, _) in x.iter() {
                            if !y.contains(k)? {
                                out.insert(k.clone(), Value::None)?;
                            }
                        }
                        for (k, _) in y.iter() {
                            if !x.contains(k)? {
                                out.insert(k.clone(), Value::None)?;
                            }
                        }
                    }
                }
                Ok(Value::set(out))
            }
            (BinOp::BitOr, Value::Dict(x), Value::Dict(y)) => {
                let mut out = x.borrow().clone();
                for (k, v) in y.borrow().items() {
                    out.insert(k, v)?;
                }
                Ok(Value::dict(out))
            }
            _ => Err(unsupported_operands(op, a, b)),
        }
    }

    /// `a op b` with a big int on one side and an int, float or sequence on the other;
    /// None leaves the remaining operand kinds to the caller.
    #[cold]
    #[inline(never)]
    fn big_binary_mixed(&mut self, op: BinOp, a: &Value, b: &Value) -> R<Option<Value>> {
        use Value::{Float, List, Str, Tuple};
        if let (Some(x), Some(y)) = (bigint::big_ref(a), bigint::big_ref(b)) {
            return bigint::binary(op, &x, &y).map(Some);
        }
        // A big int meeting a float converts to float, or fails as CPython does.
        if matches!(a, Float(_)) || matches!(b, Float(_)) {
            let x = bigint::int_to_f64(a).unwrap_or(Ok(a.as_f64().unwrap_or(0.0)))?;
            let y = bigint::int_to_f64(b).unwrap_or(Ok(b.as_f64().unwrap_or(0.0)))?;
            return self.binary(op, &Float(x), &Float(y)).map(Some);
        }
        if op == BinOp::Mul && matches!((a, b), (Str(_) | List(_) | Tuple(_), _) | (_, Str(_) | List(_) | Tuple(_))) {
            return Err(bigint::index_overflow());
        }
        Ok(None)
    }

    pub fn unary(&mut self, op: UnaryOp, v: &Value) -> R<Value> {
        if op == UnaryOp::Not {
            return Ok(Value::Bool(!self.truthy(v)?));
        }
        if let Value::Instance(_) = v
            && let Some(r) = self.instance_unary(op, v)?
        {
            return Ok(r);
        }
        if let Value::Native(n) = v {
            let n = n.clone();
            if let Some(r) = n.unary_op(v, op, self)? {
                return Ok(r);
            }
        }
        let sym = match op {
            UnaryOp::Neg => "-",
            UnaryOp::Pos => "+",
            _ => "~",
        };
        match (op, v) {
            (UnaryOp::Neg, Value::Float(f)) => Ok(Value::Float(-f)),
            (UnaryOp::Pos, Value::Float(f)) => Ok(Value::Float(*f)),
            (_, Value::Int(_) | Value::Bool(_)) => {
                let i = v.as_int().unwrap_or(0);
                Ok(Value::Int(match op {
                    UnaryOp::Neg => match i.checked_neg() {
                        Some(n) => n,
                        None => return Ok(bigint::norm(-BigInt::from(i))),
                    },
                    UnaryOp::Pos => i,
                    _ => !i,
                }))
            }
            (_, Value::BigInt(b)) => Ok(bigint::norm(match op {
                UnaryOp::Neg => -&**b,
                UnaryOp::Pos => (**b).clone(),
                _ => -&**b - 1,
            })),
            _ => Err(Exception::type_error(format!("bad operand type for unary {sym}: '{}'", v.type_name()))),
        }
    }

    /// One comparison `a op b`; natives may return non-bool values (tensors).
    pub fn compare(&mut self, op: CmpOp, a: &Value, b: &Value) -> R<Value> {
        if let (Value::Int(x), Value::Int(y)) = (a, b) {
            let r = match op {
                CmpOp::Lt => x < y,
                CmpOp::Le => x <= y,
                CmpOp::Gt => x > y,
                CmpOp::Ge => x >= y,
                CmpOp::Eq => x == y,
                CmpOp::Ne => x != y,
                _ => return self.compare_slow(op, a, b),
            };
            return Ok(Value::Bool(r));
        }
        self.compare_slow(op, a, b)
    }

    fn compare_slow(&mut self, op: CmpOp, a: &Value, b: &Value) -> R<Value> {
        let nop = match op {
            CmpOp::Eq => Some(Op::Eq),
            CmpOp::Ne => Some(Op::Ne),
            CmpOp::Lt => Some(Op::Lt),
            CmpOp::Le => Some(Op::Le),
            CmpOp::Gt => Some(Op::Gt),
            CmpOp::Ge => Some(Op::Ge),
            _ => None,
        };
        if nop.is_some()
            && (matches!(a, Value::Instance(_)) || matches!(b, Value::Instance(_)))
            && let Some(v) = self.instance_compare(op, a, b)?
        {
            return Ok(v);
        }
        // A class deriving from list, tuple or dict (a namedtuple) compares as its builtin half.
        if nop.is_some() {
            let half = |v: &Value| super::classes::builtin_half(v).or_else(|| super::value::number_half(v));
            let (ha, hb) = (half(a), half(b));
            if ha.is_some() || hb.is_some() {
                return self.compare(op, &ha.unwrap_or_else(|| a.clone()), &hb.unwrap_or_else(|| b.clone()));
            }
        }
        if matches!(op, CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge)
            && (matches!(a, Value::Instance(_)) || matches!(b, Value::Instance(_)))
        {
            return Err(Exception::type_error(format!(
                "'{}' not supported between instances of '{}' and '{}'",
                op.symbol(),
                a.type_name(),
                b.type_name()
            )));
        }
        if let Some(nop) = nop {
            if let Value::Native(n) = a {
                let n = n.clone();
                if let Some(v) = n.binary_op(a, nop, b, false, self)? {
                    return Ok(v);
                }
            }
            if let Value::Native(n) = b {
                let n = n.clone();
                if let Some(v) = n.binary_op(b, nop, a, true, self)? {
                    return Ok(v);
                }
            }
        }
        Ok(Value::Bool(match op {
            CmpOp::Eq => key_eq(a, b),
            CmpOp::Ne => !key_eq(a, b),
            CmpOp::Is => a.is(b),
            CmpOp::IsNot => !a.is(b),
            CmpOp::In => self.contains(b, a)?,
            CmpOp::NotIn => !self.contains(b, a)?,
            CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
                let ord = self.order(a, b, op.symbol())?;
                match (op, ord) {
                    (_, None) => false,
                    (CmpOp::Lt, Some(o)) => o == Ordering::Less,
                    (CmpOp::Le, Some(o)) => o != Ordering::Greater,
                    (CmpOp::Gt, Some(o)) => o == Ordering::Greater,
                    (_, Some(o)) => o != Ordering::Less,
                }
            }
        }))
    }

    /// Ordering for `<` and friends and for sorting; None when unordered (NaN).
    pub fn order(&mut self, a: &Value, b: &Value, sym: &str) -> R<Option<Ordering>> {
        use Value::{List, Native, Set, Str, Tuple};
        let unordered = || {
            Exception::type_error(format!(
                "'{sym}' not supported between instances of '{}' and '{}'",
                a.type_name(),
                b.type_name()
            ))
        };
        if let (Some(x), Some(y)) = (a.as_int(), b.as_int()) {
            return Ok(Some(x.cmp(&y)));
        }
        if let (Value::Float(x), Value::Float(y)) = (a, b) {
            return Ok(x.partial_cmp(y));
        }
        // Ints against floats compare exactly, never through a rounded float.
        if bigint::is_int(a) && bigint::is_int(b) {
            return Ok(bigint::big_ref(a).zip(bigint::big_ref(b)).map(|(x, y)| x.cmp(&y)));
        }
        if let (true, Value::Float(y)) = (bigint::is_int(a), b) {
            return Ok(bigint::cmp_int_float(a, *y));
        }
        if let (Value::Float(x), true) = (a, bigint::is_int(b)) {
            return Ok(bigint::cmp_int_float(b, *x).map(Ordering::reverse));
        }
        match (a, b) {
            (Str(x), Str(y)) => Ok(Some(x.cmp(y))),
            (List(_), List(_)) | (Tuple(_), Tuple(_)) => {
                let (xs, ys) = match (a, b) {
                    (List(x), List(y)) => (x.borrow().clone(), y.borrow().clone()),
                    (Tuple(x), Tuple(y)) => (x.to_vec(), y.to_vec()),
                    _ => return Err(unordered()),
                };
                for (x, y) in xs.iter().zip(ys.iter()) {
                    if !key_eq(x, y) {
                        return self.order(x, y, sym);
                    }
                }
                Ok(Some(xs.len().cmp(&ys.len())))
            }
            (Set(x), Set(y)) => {
                let (x, y) = (x.borrow(), y.borrow());
                let x_in_y = x.iter().all(|(k, _)| y.contains(k).unwrap_or(false));
                let y_in_x = y.iter().all(|(k, _)| x.contains(k).unwrap_or(false));
                Ok(match (x_in_y, y_in_x) {
                    (true, true) => Some(Ordering::Equal),
                    (true, false) => Some(Ordering::Less),
                    (false, true) => Some(Ordering::Greater),
                    _ => None,
                })
            }
            (Native(_) | Value::Instance(_), _) | (_, Native(_) | Value::Instance(_)) => {
                if matches!(a, Value::Instance(_)) || matches!(b, Value::Instance(_)) {
                    // Sorting asks only `<`, as CPython's list.sort does.
                    let lt = self.compare(CmpOp::Lt, a, b)?;
                    if self.truthy(&lt)? {
                        return Ok(Some(Ordering::Less));
                    }
                    let gt = self.compare(CmpOp::Lt, b, a)?;
                    return Ok(Some(if self.truthy(&gt)? { Ordering::Greater } else { Ordering::Equal }));
                }
                let lt = self.compare(CmpOp::Lt, a, b)?;
                if self.truthy(&lt)? {
                    return Ok(Some(Ordering::Less));
                }
                let gt = self.compare(CmpOp::Gt, a, b)?;
                Ok(Some(if self.truthy(&gt)? { Ordering::Greater } else { Ordering::Equal }))
            }
            _ => Err(unordered()),
        }
    }

    /// `item in container`.
    pub fn contains(&mut self, container: &Value, item: &Value) -> R<bool> {
        match container {
            Value::Str(s) => match item {
                Value::Str(sub) => Ok(s.contains(&**sub)),
                other => Err(Exception::type_error(format!(
                    "'in <string>' requires string as left operand, not {}",
                    other.type_name()
                ))),
            },
            Value::List(l) => {
                let items = l.borrow().clone();
                self.any_eq(&items, item)
            }
            Value::Tuple(t) => {
                let t = t.clone();
                self.any_eq(&t, item)
            }
            Value::Dict(d) | Value::Set(d) => d.borrow().contains(item),
            // A float equal to an int is in the range as that int is (CPython compares by
            // equality for anything not an int); ranges hold only i64s.
            Value::Range(r) => Ok(match item.as_int().or(match item {
                Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Some(*f as i64),
                _ => None,
            }) {
                Some(i) => {
                    // In i128: `i - start` overflows i64 for ranges near its ends.
                    let (n, d, step) = (r.len() as i128, i as i128 - r.start as i128, r.step as i128);
                    n > 0 && d % step == 0 && (0..n).contains(&(d / step))
                }
                None => false,
            }),
            Value::Type(t) if super::enums::members(t).is_some() => {
                let members = super::enums::members(t).unwrap_or_default();
                Ok(members.iter().any(|m| m.is(item)))
            }
            Value::Instance(_) if self.dunder(container, "__contains__").is_some() => {
                let r = self.call_dunder(container, "__contains__", vec![item.clone()])?.unwrap_or(Value::Bool(false));
                self.truthy(&r)
            }
            Value::Native(n) if let Some(found) = n.clone().contains(item, self)? => Ok(found),
            Value::Iter(_) | Value::Native(_) | Value::Instance(_) => {
                let items = self.iterate(container).map_err(|_| {
                    Exception::type_error(format!("argument of type '{}' is not iterable", container.type_name()))
                })?;
                self.any_eq(&items, item)
            }
            other => Err(Exception::type_error(format!("argument of type '{}' is not iterable", other.type_name()))),
        }
    }

    fn any_eq(&mut self, items: &[Value], item: &Value) -> R<bool> {
        for x in items {
            if x.is(item) {
                return Ok(true);
            }
            let eq = self.compare(CmpOp::Eq, x, item)?;
            if self.truthy(&eq)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
