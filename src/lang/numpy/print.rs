//! NumPy's printing: `array2string` with `set_printoptions`' options (default precision 8, `maxprec` float
//! mode, threshold 1000, edge items 3, line width 75), `repr` as `array([...], dtype=...)`, and
//! the scalars' `np.float64(1.5)` / `1.5` forms.
//!
//! Floats print with Dragon4's unique (shortest round-trip) digits, cut at `precision`
//! fractional digits by rounding the exact binary value; a column switches to scientific
//! notation when its largest magnitude reaches 10**min(8, decimal precision of the dtype) or
//! its nonzero magnitudes are below 1e-4 or span more than a factor 1000.

use crate::tensor::DType;

use super::array::Elems;

/// `np.set_printoptions`' settings, per lesson thread (reset when `numpy` is installed).
#[derive(Clone, Copy)]
pub struct PrintOptions {
    pub precision: usize,
    pub threshold: usize,
    pub edgeitems: usize,
    pub linewidth: usize,
    pub suppress: bool,
}

impl PrintOptions {
    pub const DEFAULT: PrintOptions =
        PrintOptions { precision: 8, threshold: 1000, edgeitems: 3, linewidth: 75, suppress: false };
}

thread_local! {
    static OPTIONS: std::cell::Cell<PrintOptions> = const { std::cell::Cell::new(PrintOptions::DEFAULT) };
}

pub fn options() -> PrintOptions {
    OPTIONS.with(std::cell::Cell::get)
}

pub fn set_options(o: PrintOptions) {
    OPTIONS.with(|c| c.set(o));
}

/// Shortest round-trip digits of `x` read as a float of `single` or double precision:
/// (negative, digits without trailing zeros, decimal exponent of the first digit).
fn shortest(x: f64, single: bool) -> (bool, String, i32) {
    let a = x.abs();
    let s = if single {
        format!("{:e}", a as f32)
    } else {
        format!("{:e}", a)
    };
    // Rust rounds a tie between two shortest strings up; the correctly rounded one (what Dragon4
    // gives) is the exact value rounded to that many digits, when it still reads back.
    let n = s
        .split_once('e')
        .map_or(1, |(m, _)| m.chars().filter(char::is_ascii_digit).count());
    let mut t = format!("{:.*e}", n.saturating_sub(1), a);
    let reads_back = if single {
        t.parse::<f32>().ok().map(f64::from) == Some(a)
    } else {
        t.parse::<f64>().ok() == Some(a)
    };
    if !reads_back {
        t = s;
    }
    split_exp(&t, x.is_sign_negative())
}

fn split_exp(t: &str, neg: bool) -> (bool, String, i32) {
    let (mant, exp) = t.split_once('e').unwrap_or((t, "0"));
    let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (neg, digits, exp.parse().unwrap_or(0))
}

/// Positional digits: (sign and integer part, fractional digits), unique digits cut at
/// `precision` fractional digits (exact rounding, ties to even) and trailing zeros dropped.
fn positional(x: f64, single: bool, precision: usize) -> (String, String) {
    let (neg, digits, exp) = shortest(x, single);
    let frac_len = digits.len() as i32 - 1 - exp;
    let (int_part, frac) = if frac_len > precision as i32 {
        let s = format!("{:.*}", precision, x.abs());
        let (i, f) = s.split_once('.').unwrap_or((&s, ""));
        (i.to_string(), f.trim_end_matches('0').to_string())
    } else if exp < 0 {
        (
            "0".to_string(),
            format!("{}{}", "0".repeat((-exp - 1) as usize), digits),
        )
    } else {
        let e = exp as usize;
        if digits.len() > e + 1 {
            (digits[..=e].to_string(), digits[e + 1..].to_string())
        } else {
            (
                format!("{}{}", digits, "0".repeat(e + 1 - digits.len())),
                String::new(),
            )
        }
    };
    let frac = if x == 0.0 { String::new() } else { frac };
    (format!("{}{}", if neg { "-" } else { "" }, int_part), frac)
}

/// Scientific digits: (sign and leading digit, fractional digits, exponent), unique digits cut
/// at `precision` fractional digits.
fn scientific(x: f64, single: bool, precision: usize) -> (String, String, i32) {
    let (neg, mut digits, mut exp) = shortest(x, single);
    if digits.len() > precision + 1 {
        let (_, d, e) = split_exp(&format!("{:.*e}", precision, x.abs()), false);
        digits = d;
        exp = e;
    }
    let lead = format!("{}{}", if neg { "-" } else { "" }, &digits[..1]);
    (lead, digits[1..].to_string(), exp)
}

fn exp_str(exp: i32, min_digits: usize) -> String {
    format!(
        "e{}{:0>w$}",
        if exp < 0 { '-' } else { '+' },
        exp.unsigned_abs(),
        w = min_digits
    )
}

/// The per-element formatter `array2string` picks for the data it shows.
enum Format {
    Bool,
    Int { width: usize },
    Float(FloatFormat),
}

struct FloatFormat {
    single: bool,
    exp: bool,
    pad_left: usize,
    pad_right: usize,
    precision: usize,
    exp_size: usize,
}

impl FloatFormat {
    fn new(values: &[f64], single: bool, dtype: DType) -> FloatFormat {
        let finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        let nonzero: Vec<f64> = finite
            .iter()
            .filter(|&&x| x != 0.0)
            .map(|x| x.abs())
            .collect();
        let mut exp = false;
        if !nonzero.is_empty() {
            let max = nonzero.iter().copied().fold(f64::MIN, f64::max);
            let min = nonzero.iter().copied().fold(f64::MAX, f64::min);
            let digits10 = match dtype {
                DType::Float32 => 6,
                DType::Float16 => 3,
                _ => 15,
            };
            let cutoff = 10f64.powi(digits10.min(8));
            exp = max >= cutoff || (!options().suppress && (min < 0.0001 || max / min > 1000.0));
        }
        let mut f = FloatFormat {
            single,
            exp,
            pad_left: 0,
            pad_right: 0,
            precision: options().precision,
            exp_size: 0,
        };
        if finite.is_empty() {
            f.exp = false;
        } else if exp {
            let parts: Vec<(String, String, i32)> = finite
                .iter()
                .map(|&x| scientific(x, single, options().precision))
                .collect();
            f.exp_size = parts
                .iter()
                .map(|p| exp_str(p.2, 2).len() - 2)
                .max()
                .unwrap_or(2);
            f.precision = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
            f.pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            f.pad_right = f.exp_size + 2 + f.precision;
        } else {
            let parts: Vec<(String, String)> = finite
                .iter()
                .map(|&x| positional(x, single, options().precision))
                .collect();
            f.pad_left = parts.iter().map(|p| p.0.len()).max().unwrap_or(0);
            f.pad_right = parts.iter().map(|p| p.1.len()).max().unwrap_or(0);
        }
        if finite.len() != values.len() {
            let neginf = values.iter().any(|x| x.is_infinite() && *x < 0.0);
            let offset = f.pad_right + 1;
            f.pad_left = f
                .pad_left
                .max(3usize.saturating_sub(offset))
                .max((3 + neginf as usize).saturating_sub(offset));
        }
        f
    }

    fn format(&self, x: f64) -> String {
        if !x.is_finite() {
            let s = if x.is_nan() {
                "nan"
            } else if x < 0.0 {
                "-inf"
            } else {
                "inf"
            };
            return format!("{:>w$}", s, w = self.pad_left + self.pad_right + 1);
        }
        if self.exp {
            let (lead, mut frac, e) = scientific(x, self.single, self.precision);
            while frac.len() < self.precision {
                frac.push('0');
            }
            format!(
                "{:>w$}.{}{}",
                lead,
                frac,
                exp_str(e, self.exp_size),
                w = self.pad_left
            )
        } else {
            let (int_part, frac) = positional(x, self.single, self.precision);
            format!(
                "{:>wl$}.{:<wr$}",
                int_part,
                frac,
                wl = self.pad_left,
                wr = self.pad_right
            )
        }
    }
}

impl Format {
    fn new(shown: &Elems, dtype: DType) -> Format {
        match shown {
            Elems::Bool(_) => Format::Bool,
            Elems::Int(v) => {
                let width = match (v.iter().max(), v.iter().min()) {
                    (Some(max), Some(min)) => max.to_string().len().max(min.to_string().len()),
                    _ => 0,
                };
                Format::Int { width }
            }
            Elems::Float(v) => Format::Float(FloatFormat::new(v, dtype == DType::Float32, dtype)),
        }
    }

    fn format(&self, e: &Elems, i: usize) -> String {
        match (self, e) {
            (Format::Bool, Elems::Bool(v)) => if v[i] { " True" } else { "False" }.to_string(),
            (Format::Int { width }, Elems::Int(v)) => format!("{:>w$}", v[i], w = *width),
            (Format::Float(f), Elems::Float(v)) => f.format(v[i]),
            _ => String::new(),
        }
    }
}

/// The positions shown along an axis of length `n`, with `None` marking the summary `...`.
fn shown_indices(n: usize, summary: bool) -> Vec<Option<usize>> {
    if summary && n > 2 * options().edgeitems {
        (0..options().edgeitems)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - options().edgeitems..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

struct Printer<'a> {
    elems: &'a Elems,
    shape: &'a [usize],
    strides: Vec<usize>,
    format: Format,
    separator: &'a str,
    summary: bool,
}

impl Printer<'_> {
    fn extend_line(s: &mut String, line: &mut String, word: &str, width: usize, prefix: &str) {
        let mut needs_wrap = line.len() + word.len() > width;
        if line.len() <= prefix.len() {
            needs_wrap = false;
        }
        if needs_wrap {
            s.push_str(line.trim_end());
            s.push('\n');
            *line = prefix.to_string();
        }
        line.push_str(word);
    }

    fn recurse(&self, offset: usize, axis: usize, hanging: &str, width: usize) -> String {
        if axis == self.shape.len() {
            return self.format.format(self.elems, offset);
        }
        let next_hanging = format!("{hanging} ");
        let next_width = width - 1;
        let items = shown_indices(self.shape[axis], self.summary);
        let axes_left = self.shape.len() - axis;
        let mut s = String::new();
        if axes_left == 1 {
            let sep_len = self.separator.trim_end().len().max(1);
            let elem_width = width - sep_len;
            let mut line = hanging.to_string();
            for (k, item) in items.iter().enumerate() {
                let last = k + 1 == items.len();
                let word = match item {
                    Some(i) => self.recurse(
                        offset + i * self.strides[axis],
                        axis + 1,
                        &next_hanging,
                        next_width,
                    ),
                    None => "...".to_string(),
                };
                Self::extend_line(&mut s, &mut line, &word, elem_width, hanging);
                if !last {
                    line.push_str(self.separator);
                }
            }
            s.push_str(&line);
        } else {
            let line_sep = format!(
                "{}{}",
                self.separator.trim_end(),
                "\n".repeat(axes_left - 1)
            );
            for (k, item) in items.iter().enumerate() {
                let nested = match item {
                    Some(i) => self.recurse(
                        offset + i * self.strides[axis],
                        axis + 1,
                        &next_hanging,
                        next_width,
                    ),
                    None => "...".to_string(),
                };
                s.push_str(hanging);
                s.push_str(&nested);
                if k + 1 < items.len() {
                    s.push_str(&line_sep);
                }
            }
        }
        format!("[{}]", &s[hanging.len()..])
    }
}

/// The elements `array2string` formats: all of them, or the leading and trailing edge items
/// of every axis when the array has more than `threshold` elements.
fn shown_elems(elems: &Elems, shape: &[usize], summary: bool) -> Elems {
    if !summary {
        return elems.clone();
    }
    let mut strides = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let mut picks = vec![0usize];
    for (d, &n) in shape.iter().enumerate() {
        let along: Vec<usize> = shown_indices(n, true).into_iter().flatten().collect();
        let stride = strides[d];
        picks = picks
            .iter()
            .flat_map(|&p| along.iter().map(move |&i| p + i * stride))
            .collect();
    }
    elems.pick(&picks)
}

/// `array2string(a, separator=sep, prefix=prefix)` with `linewidth` reduced by the suffix.
pub fn array2string(
    elems: &Elems,
    shape: &[usize],
    dtype: DType,
    separator: &str,
    prefix_len: usize,
    suffix_len: usize,
) -> String {
    let summary = elems.len() > options().threshold;
    let format = Format::new(&shown_elems(elems, shape, summary), dtype);
    if shape.is_empty() {
        return format.format(elems, 0);
    }
    let mut strides = vec![1usize; shape.len()];
    for d in (0..shape.len() - 1).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let p = Printer {
        elems,
        shape,
        strides,
        format,
        separator,
        summary,
    };
    let hanging = " ".repeat(1 + prefix_len);
    p.recurse(0, 0, &hanging, options().linewidth.saturating_sub(suffix_len))
}

/// The dtype's name as `repr` shows it (`float32`, `int64`, `bool`).
pub fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::Float32 => "float32",
        DType::Float64 => "float64",
        DType::Int64 => "int64",
        DType::Bool => "bool",
        DType::Int32 => "int32",
        DType::Int16 => "int16",
        DType::Int8 => "int8",
        DType::UInt8 => "uint8",
        DType::UInt16 => "uint16",
        DType::Float16 => "float16",
        DType::BFloat16 => "bfloat16",
    }
}

/// `repr(a)` of an ndarray.
pub fn array_repr(elems: &Elems, shape: &[usize], dtype: DType) -> String {
    let implied = matches!(dtype, DType::Float64 | DType::Int64 | DType::Bool);
    let size = elems.len();
    let mut extras = Vec::new();
    if (size == 0 && shape != [0]) || size > options().threshold {
        extras.push(format!("shape={}", shape_str(shape)));
    }
    if !implied || size == 0 {
        extras.push(format!("dtype={}", dtype_name(dtype)));
    }
    let body = if size == 0 {
        "[]".to_string()
    } else {
        array2string(elems, shape, dtype, ", ", 6, 1)
    };
    if extras.is_empty() {
        return format!("array({body})");
    }
    let arr = format!("array({body},");
    let extra = format!("{})", extras.join(", "));
    let last_line = arr.len() - arr.rfind('\n').map_or(0, |i| i + 1);
    let spacer = if last_line + extra.len() + 1 > options().linewidth {
        "\n      "
    } else {
        " "
    };
    format!("{arr}{spacer}{extra}")
}

/// `str(a)` of an ndarray (a 0-d array prints as its scalar).
pub fn array_str(elems: &Elems, shape: &[usize], dtype: DType) -> String {
    if shape.is_empty() {
        return scalar_str(elems, dtype);
    }
    if elems.is_empty() {
        return "[]".to_string();
    }
    array2string(elems, shape, dtype, " ", 0, 0)
}

/// A shape as Python prints the tuple.
pub fn shape_str(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `str()` of a NumPy scalar: Python's float repr rules over the dtype's shortest digits.
pub fn scalar_str(elems: &Elems, dtype: DType) -> String {
    match elems {
        Elems::Bool(v) => if v[0] { "True" } else { "False" }.to_string(),
        Elems::Int(v) => v[0].to_string(),
        Elems::Float(v) => float_str(v[0], dtype == DType::Float32),
    }
}

fn float_str(x: f64, single: bool) -> String {
    if !single {
        return crate::lang::format::float_repr(x);
    }
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let (neg, digits, exp) = shortest(x, true);
    let sign = if neg { "-" } else { "" };
    // NumPy 2.x prints a float32 scalar positionally below 10**6 (its decimal precision).
    if (1e-4..1e6).contains(&x.abs()) {
        let (i, f) = positional(x, true, 64);
        format!("{i}.{}", if f.is_empty() { "0" } else { &f })
    } else {
        let frac = if digits.len() > 1 {
            format!(".{}", &digits[1..])
        } else {
            String::new()
        };
        format!("{sign}{}{frac}{}", &digits[..1], exp_str(exp, 2))
    }
}

/// `repr()` of a NumPy scalar: `np.float64(1.5)`, `np.int64(3)`, `np.True_`.
pub fn scalar_repr(elems: &Elems, dtype: DType) -> String {
    match elems {
        Elems::Bool(v) => if v[0] { "np.True_" } else { "np.False_" }.to_string(),
        _ => format!("np.{}({})", dtype_name(dtype), scalar_str(elems, dtype)),
    }
}
