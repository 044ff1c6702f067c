//! Element types, PyTorch's promotion lattice, and the narrow formats stored in wide arrays.
//!
//! Storage has four typed arrays (f32, f64, i64, bool). The narrower dtypes live in one of them:
//! int32/int16/int8/uint8 in i64 arrays, float16/bfloat16 in f32 arrays, with every value kept
//! representable in the narrow format. That is exact rather than an approximation: PyTorch's CPU
//! kernels compute half-precision ops in float32 and round each result to half, and integer ops
//! wrap modulo 2^bits as C does, which is what computing wide and then narrowing gives. The
//! tensor remembers its logical dtype (see `view::Shared`) and ops narrow their results to it.

use std::fmt;

use super::storage::Storage;
use super::{Result, Scalar, TensorError};

/// Element types. Float32 is PyTorch's default dtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    Float32,
    Float64,
    Int64,
    Bool,
    Int32,
    Int16,
    Int8,
    UInt8,
    /// numpy's uint16 (nanoGPT's token files) and `torch.uint16`, one of PyTorch's
    /// "barebones" unsigned types.
    UInt16,
    Float16,
    BFloat16,
}

impl DType {
    pub fn is_floating_point(self) -> bool {
        matches!(self, DType::Float32 | DType::Float64 | DType::Float16 | DType::BFloat16)
    }

    /// Integer dtypes (bool is not one).
    pub fn is_integral(self) -> bool {
        matches!(self, DType::Int64 | DType::Int32 | DType::Int16 | DType::Int8 | DType::UInt8 | DType::UInt16)
    }

    /// The dtype of the array that holds this dtype's values.
    pub fn wide(self) -> DType {
        match self {
            DType::Int32 | DType::Int16 | DType::Int8 | DType::UInt8 | DType::UInt16 => DType::Int64,
            DType::Float16 | DType::BFloat16 => DType::Float32,
            d => d,
        }
    }

    /// Whether values are stored in a wider array than the dtype itself.
    pub fn is_narrow(self) -> bool {
        self.wide() != self
    }

    /// Bytes per element (`Tensor.element_size()`).
    pub fn element_size(self) -> usize {
        match self {
            DType::Float64 | DType::Int64 => 8,
            DType::Float32 | DType::Int32 => 4,
            DType::Int16 | DType::UInt16 | DType::Float16 | DType::BFloat16 => 2,
            DType::Int8 | DType::UInt8 | DType::Bool => 1,
        }
    }

    /// PyTorch's `promoteTypes` for the dtypes the engine has: within a category the wider
    /// type wins; uint8 with int8 needs int16 to hold both ranges; float16 with bfloat16 meets
    /// at float32 (neither holds the other); across categories the higher category wins.
    pub fn promote(self, other: DType) -> DType {
        use DType::*;
        if self == other {
            return self;
        }
        match (self, other) {
            (Bool, d) | (d, Bool) => d,
            (UInt8, Int8) | (Int8, UInt8) => Int16,
            // PyTorch refuses to promote uint16 with another integer type; numpy's answer (the
            // smallest signed type holding both ranges, or uint16 over uint8) is taken.
            (UInt16, UInt8) | (UInt8, UInt16) => UInt16,
            (UInt16, Int8 | Int16) | (Int8 | Int16, UInt16) => Int32,
            (Float16, BFloat16) | (BFloat16, Float16) => Float32,
            (a, b) if a.is_floating_point() != b.is_floating_point() => {
                if a.is_floating_point() { a } else { b }
            }
            (a, b) => {
                if a.element_size() >= b.element_size() { a } else { b }
            }
        }
    }

    /// The name PyTorch uses in messages ("Float", "Long", "Int", ...).
    pub fn scalar_name(self) -> &'static str {
        match self {
            DType::Float32 => "Float",
            DType::Float64 => "Double",
            DType::Int64 => "Long",
            DType::Bool => "Bool",
            DType::Int32 => "Int",
            DType::Int16 => "Short",
            DType::Int8 => "Char",
            DType::UInt8 => "Byte",
            DType::UInt16 => "UInt16",
            DType::Float16 => "Half",
            DType::BFloat16 => "BFloat16",
        }
    }

    /// The C++ type name PyTorch prints in some messages.
    pub(crate) fn cpp_name(self) -> &'static str {
        match self {
            DType::Float32 => "float",
            DType::Float64 => "double",
            DType::Int64 => "long int",
            DType::Bool => "bool",
            DType::Int32 => "int",
            DType::Int16 => "short int",
            DType::Int8 => "signed char",
            DType::UInt8 => "unsigned char",
            DType::UInt16 => "unsigned short",
            DType::Float16 => "c10::Half",
            DType::BFloat16 => "c10::BFloat16",
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DType::Float32 => "torch.float32",
            DType::Float64 => "torch.float64",
            DType::Int64 => "torch.int64",
            DType::Bool => "torch.bool",
            DType::Int32 => "torch.int32",
            DType::Int16 => "torch.int16",
            DType::Int8 => "torch.int8",
            DType::UInt8 => "torch.uint8",
            DType::UInt16 => "torch.uint16",
            DType::Float16 => "torch.float16",
            DType::BFloat16 => "torch.bfloat16",
        })
    }
}

// ---- integers ----------------------------------------------------------------------------------

/// An int64 value wrapped into a narrow integer dtype, as a C cast keeps the low bits.
pub fn wrap_int(x: i64, dtype: DType) -> i64 {
    match dtype {
        DType::Int32 => x as i32 as i64,
        DType::Int16 => x as i16 as i64,
        DType::Int8 => x as i8 as i64,
        DType::UInt8 => x as u8 as i64,
        DType::UInt16 => x as u16 as i64,
        _ => x,
    }
}

/// A float converted to a narrow integer dtype as PyTorch's x86-64 build does: truncation to a
/// 32-bit int (out of range and NaN give INT_MIN, the `cvttss2si` result), then the low bits.
pub fn float_to_narrow_int(x: f64, dtype: DType) -> i64 {
    let t = x.trunc();
    let i = if t.is_nan() || !(-2147483648.0..2147483648.0).contains(&t) { i32::MIN } else { t as i32 };
    wrap_int(i as i64, dtype)
}

/// PyTorch's check when a Python number is written into a narrow integer tensor (`t[i] = v`,
/// `fill_`, `torch.full`): it must fit; arithmetic with the number wraps instead.
pub fn check_scalar_fits(v: Scalar, dtype: DType) -> Result<()> {
    let (lo, hi, name) = match dtype {
        DType::Int32 => (i32::MIN as f64, i32::MAX as f64, "int"),
        DType::Int16 => (i16::MIN as f64, i16::MAX as f64, "int16_t"),
        DType::Int8 => (i8::MIN as f64, i8::MAX as f64, "int8_t"),
        DType::UInt8 => (0.0, 255.0, "uint8_t"),
        DType::UInt16 => (0.0, 65535.0, "uint16_t"),
        _ => return Ok(()),
    };
    let x = v.as_f64();
    if x < lo || x > hi {
        return Err(TensorError::runtime(format!("value cannot be converted to type {name} without overflow")));
    }
    Ok(())
}

// ---- float16 and bfloat16 ------------------------------------------------------------------------

/// IEEE binary16 bits of `x`, rounded to nearest, ties to even; too large gives infinity,
/// too small a subnormal or zero.
pub fn f32_to_f16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let sign = ((b >> 16) & 0x8000) as u16;
    let exp = ((b >> 23) & 0xff) as i32;
    let man = b & 0x7f_ffff;
    if exp == 0xff {
        // Infinity stays infinity; NaN stays a (quiet) NaN.
        return sign | 0x7c00 | if man != 0 { 0x200 | (man >> 13) as u16 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Below 2^-25 everything rounds to zero (2^-25 itself is a tie, and zero is even).
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rounded = (m + half - 1 + ((m >> shift) & 1)) >> shift;
        // A carry out of the subnormal range gives the smallest normal, which is right.
        return sign | rounded as u16;
    }
    let rounded = (man + 0xfff + ((man >> 13) & 1)) >> 13;
    // A carry out of the mantissa bumps the exponent; out of the largest finite it gives inf.
    let bits = ((e as u32) << 10) + rounded;
    sign | bits.min(0x7c00) as u16
}

/// The float32 value of IEEE binary16 bits (exact).
pub fn f16_bits_to_f32(h: u16) -> f32 {
    let sign = ((h & 0x8000) as u32) << 16;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    if exp == 0 {
        let v = man as f32 * f32::from_bits(0x3380_0000); // 2^-24
        return if sign != 0 { -v } else { v };
    }
    if exp == 0x1f {
        return f32::from_bits(sign | 0x7f80_0000 | (man << 13));
    }
    f32::from_bits(sign | ((exp + 112) << 23) | (man << 13))
}

/// bfloat16 bits of `x` (the top half of its float32 bits), rounded to nearest even.
pub fn f32_to_bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    if x.is_nan() {
        return ((b >> 16) | 0x40) as u16;
    }
    ((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16
}

pub fn bf16_bits_to_f32(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// `x` rounded to float16 (when `dtype` is Float16) or bfloat16, back in float32.
pub(crate) fn round_half(x: f32, dtype: DType) -> f32 {
    match dtype {
        DType::Float16 => f16_bits_to_f32(f32_to_f16_bits(x)),
        DType::BFloat16 => bf16_bits_to_f32(f32_to_bf16_bits(x)),
        _ => x,
    }
}

/// `s` converted to the narrow `dtype`, in that dtype's wide array.
pub(crate) fn narrow(s: &Storage, dtype: DType) -> Storage {
    if dtype.wide() == DType::Int64 {
        Storage::I64(match s {
            Storage::I64(a) => a.mapv(|x| wrap_int(x, dtype)),
            Storage::F32(a) => a.mapv(|x| float_to_narrow_int(x as f64, dtype)),
            Storage::F64(a) => a.mapv(|x| float_to_narrow_int(x, dtype)),
            Storage::Bool(a) => a.mapv(i64::from),
        })
    } else {
        // Doubles and int64 go to float32 first: PyTorch's half types convert from float.
        let f = match s.cast(DType::Float32) {
            Storage::F32(a) => a,
            _ => return s.cast(DType::Float32),
        };
        Storage::F32(f.mapv(|x| round_half(x, dtype)))
    }
}
