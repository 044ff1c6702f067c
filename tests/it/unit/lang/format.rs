//! Unit tests of `lang::format`.

use lessonrun::lang::format::*;
use num_bigint::BigInt;
use lessonrun::lang::bigint;
use lessonrun::lang::error::Exception;
use lessonrun::lang::value::Value;

#[test]
// The literals are exact binary values on purpose: repr must round them as Python does.
#[allow(clippy::excessive_precision)]
fn float_repr_matches_python() {
    let cases = [
        (6.0, "6.0"),
        (3.65201568603515625, "3.6520156860351562"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e-5, "1e-05"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (-0.0, "-0.0"),
        (f64::NAN, "nan"),
        (f64::INFINITY, "inf"),
        (0.0001, "0.0001"),
        (123456789.125, "123456789.125"),
        (1.5e300, "1.5e+300"),
        (2.5e-7, "2.5e-07"),
        // A tie between two 16-digit strings: Python takes the even one when both read back,
        // the only one that does just above a power of two.
        (0.07390975952148438, "0.07390975952148438"),
        (5.9604644775390625e-08, "5.960464477539063e-08"),
    ];
    for (x, want) in cases {
        assert_eq!(float_repr(x), want);
    }
}

#[test]
fn specs() {
    assert_eq!(format_float(1.23456, ".4f").unwrap(), "1.2346");
    assert_eq!(format_float(1234.5, ",.2f").unwrap(), "1,234.50");
    assert_eq!(format_float(0.1234, ".1%").unwrap(), "12.3%");
    assert_eq!(format_float(12345.678, "e").unwrap(), "1.234568e+04");
    assert_eq!(format_float(0.00001234, "g").unwrap(), "1.234e-05");
    assert_eq!(format_int(IntArg::Small(42), "5d", "int").unwrap(), "   42");
    assert_eq!(format_int(IntArg::Small(255), "#x", "int").unwrap(), "0xff");
    assert_eq!(format_str("ab", ">5").unwrap(), "   ab");
}
