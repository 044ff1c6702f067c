//! `torch.finfo` and `torch.iinfo`: the numeric limits of a dtype, with PyTorch's attributes,
//! `%g` reprs and errors (`torch.finfo(torch.float32).eps` is how tutorials write epsilons).

use super::R;
use super::convert::PyDType;
use crate::lang::native::{NativeObject, Op};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::DType;

/// Sets `torch.finfo` and `torch.iinfo` on the `torch` module.
pub fn install(m: &Module) {
    m.set(
        "finfo",
        super::class("finfo", "torch", |_, args| {
            let [t] = args.bind(&["type="])?;
            let d = dtype_of(t.as_ref(), "finfo")?.unwrap_or(DType::Float32);
            if !d.is_floating_point() {
                return Err(Exception::type_error(
                    "torch.finfo() requires a floating point input type. Use torch.iinfo to handle 'torch.finfo'",
                ));
            }
            Ok(Value::native(Info(d)))
        }),
    );
    m.set(
        "iinfo",
        super::class("iinfo", "torch", |_, args| {
            let [t] = args.bind(&["type"])?;
            let d = dtype_of(t.as_ref(), "iinfo")?.unwrap_or(DType::Int64);
            if d == DType::Bool {
                return Err(Exception::type_error("torch.bool is not supported by torch.iinfo"));
            }
            if !d.is_integral() {
                return Err(Exception::type_error(
                    "torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'",
                ));
            }
            Ok(Value::native(Info(d)))
        }),
    );
}

fn dtype_of(v: Option<&Value>, fname: &str) -> R<Option<DType>> {
    match v {
        None => Ok(None),
        Some(v) => match v.downcast::<PyDType>() {
            Some(d) => Ok(Some(d.0)),
            None => Err(Exception::type_error(format!(
                "{fname}(): argument 'type' (position 1) must be torch.dtype, not {}",
                v.type_name()
            ))),
        },
    }
}

/// The limits of one dtype: `finfo` for floating dtypes, `iinfo` for integers.
struct Info(DType);

/// A floating dtype's limits: (bits, eps, max, tiny = smallest normal, resolution).
fn float_limits(d: DType) -> (i64, f64, f64, f64, f64) {
    match d {
        DType::Float64 => (64, f64::EPSILON, f64::MAX, f64::MIN_POSITIVE, 1e-15),
        DType::Float16 => (16, 2f64.powi(-10), 65504.0, 2f64.powi(-14), 0.001),
        // bfloat16: float32's exponent with 8 bits of significand.
        DType::BFloat16 => (
            16,
            2f64.powi(-7),
            f64::from(f32::from_bits(0x7f7f_0000)),
            f64::from(f32::MIN_POSITIVE),
            0.01,
        ),
        _ => (
            32,
            f64::from(f32::EPSILON),
            f64::from(f32::MAX),
            f64::from(f32::MIN_POSITIVE),
            1e-6,
        ),
    }
}

/// An integer dtype's (bits, min, max).
fn int_limits(d: DType) -> (i64, i64, i64) {
    match d {
        DType::Int8 => (8, i8::MIN.into(), i8::MAX.into()),
        DType::UInt8 => (8, 0, u8::MAX.into()),
        DType::Int16 => (16, i16::MIN.into(), i16::MAX.into()),
        DType::UInt16 => (16, 0, u16::MAX.into()),
        DType::Int32 => (32, i32::MIN.into(), i32::MAX.into()),
        _ => (64, i64::MIN, i64::MAX),
    }
}

/// The dtype's name without `torch.` (`float32`), as `info.dtype` gives it.
fn short_name(d: DType) -> String {
    let s = d.to_string();
    s.strip_prefix("torch.").unwrap_or(&s).to_string()
}

fn g(v: f64) -> String {
    crate::lang::format::format_float(v, "g").unwrap_or_else(|_| v.to_string())
}

impl NativeObject for Info {
    fn type_name(&self) -> &str {
        if self.0.is_floating_point() {
            "finfo"
        } else {
            "iinfo"
        }
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        let name = short_name(self.0);
        if self.0.is_floating_point() {
            let (_, eps, max, tiny, res) = float_limits(self.0);
            format!(
                "finfo(resolution={}, min={}, max={}, eps={}, smallest_normal={}, tiny={}, dtype={name})",
                g(res),
                g(-max),
                g(max),
                g(eps),
                g(tiny),
                g(tiny)
            )
        } else {
            let (_, min, max) = int_limits(self.0);
            format!(
                "iinfo(min={}, max={}, dtype={name})",
                g(min as f64),
                g(max as f64)
            )
        }
    }
    fn get_attr(&self, _this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        if name == "dtype" {
            return Ok(Some(Value::str(&short_name(self.0))));
        }
        Ok(if self.0.is_floating_point() {
            let (bits, eps, max, tiny, res) = float_limits(self.0);
            match name {
                "bits" => Some(Value::Int(bits)),
                "eps" => Some(Value::Float(eps)),
                "max" => Some(Value::Float(max)),
                "min" => Some(Value::Float(-max)),
                "tiny" | "smallest_normal" => Some(Value::Float(tiny)),
                "resolution" => Some(Value::Float(res)),
                _ => None,
            }
        } else {
            let (bits, min, max) = int_limits(self.0);
            match name {
                "bits" => Some(Value::Int(bits)),
                "min" => Some(Value::Int(min)),
                "max" => Some(Value::Int(max)),
                _ => None,
            }
        })
    }
    fn binary_op(
        &self,
        _this: &Value,
        op: Op,
        other: &Value,
        _reflected: bool,
        _: &mut Interpreter,
    ) -> R<Option<Value>> {
        let same = other.downcast::<Info>().is_some_and(|o| o.0 == self.0);
        Ok(match op {
            Op::Eq => Some(Value::Bool(same)),
            Op::Ne => Some(Value::Bool(!same)),
            _ => None,
        })
    }
}
