//! Unit tests of `tensor::dtype`.

use lessonrun::tensor::dtype::*;
use std::fmt;
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::{Result, Scalar, TensorError};

/// (float32 bits, float16 bits, bfloat16 bits), each conversion done by real torch
/// (`torch.tensor([x]).half().view(torch.int16)`, same for `.bfloat16()`).
const FROM_TORCH: [(u32, u16, u16); 18] = [
    (0x3f800000, 0x3c00, 0x3f80), // 1.0
    (0x3dcccccd, 0x2e66, 0x3dcd), // 0.1
    (0x3eaaaaab, 0x3555, 0x3eab), // 1/3
    (0x477fe000, 0x7bff, 0x4780), // 65504, the largest half
    (0x477feffd, 0x7bff, 0x4780), // just below the rounding edge to inf
    (0x477ff000, 0x7c00, 0x4780), // 65520 rounds (ties to even) to inf
    (0x47c35000, 0x7c00, 0x47c3), // 1e5 overflows half
    (0x33800000, 0x0001, 0x3380), // 2^-24, the smallest subnormal
    (0x33000000, 0x0000, 0x3300), // 2^-25: a tie, rounds to even zero
    (0x33000001, 0x0001, 0x3300), // just above the tie
    (0x33c00000, 0x0002, 0x33c0), // 3 * 2^-25: a tie, rounds to even 2
    (0x38800000, 0x0400, 0x3880), // 2^-14, the smallest normal
    (0x387fe000, 0x0400, 0x3880), // a subnormal tie carrying into the smallest normal
    (0x3f801000, 0x3c00, 0x3f80), // 1 + 2^-11: tie to even (down)
    (0x3f803000, 0x3c02, 0x3f80), // 1 + 3 * 2^-11: tie to even (up)
    (0xb2d6bf95, 0x8000, 0xb2d7), // -2.5e-8 underflows to negative zero
    (0x447a2ccd, 0x63d1, 0x447a), // 1000.7
    (0x7f800000, 0x7c00, 0x7f80), // inf
];

#[test]
fn half_and_bfloat16_rounding_match_torch() {
    for (f, h, b) in FROM_TORCH {
        let x = f32::from_bits(f);
        assert_eq!(f32_to_f16_bits(x), h, "float16 of {x:e}");
        assert_eq!(f32_to_bf16_bits(x), b, "bfloat16 of {x:e}");
    }
}

#[test]
fn half_decodes_exactly() {
    assert_eq!(f16_bits_to_f32(0x0001), 2f32.powi(-24));
    assert_eq!(f16_bits_to_f32(0x03ff), 1023.0 * 2f32.powi(-24));
    assert_eq!(f16_bits_to_f32(0x7bff), 65504.0);
    assert_eq!(f16_bits_to_f32(0x3555), 1365.0 / 4096.0); // 0.333251953125 exactly
    assert_eq!(f16_bits_to_f32(0x8000).to_bits(), (-0.0f32).to_bits());
    assert!(f16_bits_to_f32(0x7e00).is_nan());
    assert!(f32_to_f16_bits(f32::NAN) & 0x7c00 == 0x7c00 && f32_to_f16_bits(f32::NAN) & 0x3ff != 0);
    assert!(bf16_bits_to_f32(f32_to_bf16_bits(f32::NAN)).is_nan());
    assert_eq!(bf16_bits_to_f32(0x4049), 3.140625);
    // Every half survives the round trip through float32.
    for h in 0..=0xffffu16 {
        let x = f16_bits_to_f32(h);
        if !x.is_nan() {
            assert_eq!(f32_to_f16_bits(x), h);
        }
    }
}

#[test]
fn integers_wrap_and_floats_truncate_as_torch() {
    // torch: uint8 250 + 10 = 4, int8 127 + 1 = -128, (2**31).int() = -2**31.
    assert_eq!(wrap_int(260, DType::UInt8), 4);
    assert_eq!(wrap_int(-1, DType::UInt8), 255);
    assert_eq!(wrap_int(128, DType::Int8), -128);
    assert_eq!(wrap_int(1 << 31, DType::Int32), -(1 << 31));
    assert_eq!(wrap_int(40000, DType::Int16), 40000 - 65536);
    // torch: [300.7, -1.5].to(uint8) = [44, 255]; 3e9, nan and 1e10 go through INT_MIN.
    assert_eq!(float_to_narrow_int(300.7, DType::UInt8), 44);
    assert_eq!(float_to_narrow_int(-1.5, DType::UInt8), 255);
    assert_eq!(float_to_narrow_int(3e9, DType::Int32), i32::MIN as i64);
    assert_eq!(float_to_narrow_int(f64::NAN, DType::Int32), i32::MIN as i64);
    assert_eq!(float_to_narrow_int(1e10, DType::Int16), 0);
    assert_eq!(float_to_narrow_int(-2.7, DType::Int32), -2);
}

#[test]
fn promotion_lattice() {
    use DType::*;
    assert_eq!(UInt8.promote(Int8), Int16);
    assert_eq!(Int8.promote(UInt8), Int16);
    assert_eq!(UInt8.promote(Int32), Int32);
    assert_eq!(Int16.promote(Int64), Int64);
    assert_eq!(Bool.promote(UInt8), UInt8);
    assert_eq!(Int32.promote(Float16), Float16);
    assert_eq!(Float16.promote(BFloat16), Float32);
    assert_eq!(BFloat16.promote(Float32), Float32);
    assert_eq!(Float16.promote(Float64), Float64);
    assert_eq!(Int64.promote(BFloat16), BFloat16);
}
