//! Number and string formatting: float repr, the format-spec mini-language, and `%` formatting.

use num_bigint::BigInt;

use super::bigint;
use super::error::Exception;
use super::value::Value;

/// An int to format: the i64 fast path or a big int.
#[derive(Clone, Copy)]
pub enum IntArg<'a> {
    Small(i64),
    Big(&'a BigInt),
}

impl IntArg<'_> {
    /// The int inside an int-like value (bools are ints).
    pub fn of(v: &Value) -> Option<IntArg<'_>> {
        match v {
            Value::Int(i) => Some(IntArg::Small(*i)),
            Value::Bool(b) => Some(IntArg::Small(*b as i64)),
            Value::BigInt(b) => Some(IntArg::Big(b)),
            _ => None,
        }
    }

    fn is_negative(self) -> bool {
        match self {
            IntArg::Small(i) => i < 0,
            IntArg::Big(b) => b.sign() == num_bigint::Sign::Minus,
        }
    }

    /// The magnitude's digits in `radix`; decimal text obeys CPython's digit limit.
    fn digits(self, radix: u32) -> Result<String, Exception> {
        match self {
            IntArg::Small(i) => {
                let m = i.unsigned_abs();
                Ok(match radix {
                    16 => format!("{m:x}"),
                    8 => format!("{m:o}"),
                    2 => format!("{m:b}"),
                    _ => m.to_string(),
                })
            }
            IntArg::Big(b) => bigint::magnitude_digits(b, radix),
        }
    }

    fn to_f64(self) -> Result<f64, Exception> {
        match self {
            IntArg::Small(i) => Ok(i as f64),
            IntArg::Big(b) => bigint::to_f64(b),
        }
    }

    fn to_decimal(self) -> Result<String, Exception> {
        match self {
            IntArg::Small(i) => Ok(i.to_string()),
            IntArg::Big(b) => bigint::to_decimal(b),
        }
    }
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for 1e-4 <= |x| < 1e16.
pub fn float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0".into() } else { "0.0".into() };
    }
    let (neg, digits, exp) = shortest_digits(x);
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if (-4..16).contains(&exp) {
        out.push_str(&fixed_from_digits(&digits, exp, true));
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&exp_suffix(exp));
    }
    out
}

/// Sign, shortest significant digits and decimal exponent (value = d.ddd * 10^exp).
fn shortest_digits(x: f64) -> (bool, String, i32) {
    // Rust's `{:e}` gives the shortest round-tripping digit count, but on an exact tie between
    // two such strings it rounds up where Python (David Gay's algorithm) takes the correctly
    // rounded one. Re-rounding the exact value to that many digits picks Python's string.
    let shortest = format!("{:e}", x.abs());
    let n = shortest.split_once('e').map_or(1, |(m, _)| m.chars().filter(char::is_ascii_digit).count());
    let mut s = format!("{:.*e}", n.saturating_sub(1), x.abs());
    // Just above a power of two the lower neighbour is half as far, so the tie's even string
    // may not read back as x (2**-24: ...062e-08 does not, ...063e-08 does); then Rust's is
    // the only shortest string.
    if s.parse::<f64>() != Ok(x.abs()) {
        s = shortest;
    }
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mut digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (x.is_sign_negative(), digits, exp.parse().unwrap_or(0))
}

/// Place the decimal point in `digits` for exponent `exp`; `point_zero` keeps a trailing ".0".
fn fixed_from_digits(digits: &str, exp: i32, point_zero: bool) -> String {
    let mut out = String::new();
    if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.push_str(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.push_str(digits);
            for _ in digits.len()..int_len {
                out.push('0');
            }
            if point_zero {
                out.push_str(".0");
            }
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    }
    out
}

fn exp_suffix(exp: i32) -> String {
    format!("e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// A parsed format spec: `[[fill]align][sign][z][#][0][width][grouping][.precision][type]`.
#[derive(Debug, Default, Clone)]
pub struct Spec {
    pub fill: Option<char>,
    pub align: Option<char>,
    pub sign: Option<char>,
    pub alt: bool,
    pub zero: bool,
    pub width: usize,
    pub grouping: Option<char>,
    pub precision: Option<usize>,
    pub ty: Option<char>,
}

pub fn parse_spec(spec: &str) -> Result<Spec, Exception> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = Some(chars[0]);
        s.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        s.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        s.sign = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        s.alt = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        s.zero = true;
        i += 1;
    }
    let mut w = String::new();
    while i < chars.len() && chars[i].is_ascii_digit() {
        w.push(chars[i]);
        i += 1;
    }
    if !w.is_empty() {
        s.width = w.parse().map_err(|_| Exception::value_error("Too many decimal digits in format string"))?;
        super::limits::check_text(s.width as u128)?;
    }
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        s.grouping = Some(chars[i]);
        i += 1;
        if i < chars.len() && matches!(chars[i], ',' | '_') {
            return Err(Exception::value_error("Cannot specify both ',' and '_'."));
        }
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let mut p = String::new();
        while i < chars.len() && chars[i].is_ascii_digit() {
            p.push(chars[i]);
            i += 1;
        }
        if p.is_empty() {
            return Err(Exception::value_error("Format specifier missing precision"));
        }
        s.precision = Some(p.parse().map_err(|_| Exception::value_error("Too many decimal digits in format string"))?);
        super::limits::check_text(s.precision.unwrap_or(0) as u128)?;
    }
    if i < chars.len() {
        s.ty = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() {
        return Err(Exception::value_error("Invalid format specifier"));
    }
    Ok(s)
}

/// `format(value, spec)` for builtin values. Natives are handled by the evaluator.
pub fn format_value(v: &Value, spec: &str) -> Result<String, Exception> {
    match v {
        Value::Str(s) => format_str(s, spec),
        Value::Int(i) => format_int(IntArg::Small(*i), spec, "int"),
        Value::BigInt(b) => format_int(IntArg::Big(b), spec, "int"),
        Value::Bool(b) => {
            if spec.is_empty() {
                Ok(if *b { "True" } else { "False" }.into())
            } else {
                format_int(IntArg::Small(*b as i64), spec, "int")
            }
        }
        Value::Float(f) => format_float(*f, spec),
        other => {
            if spec.is_empty() {
                Ok(other.to_str())
            } else {
                Err(Exception::type_error(format!(
                    "unsupported format string passed to {}.__format__",
                    other.type_name()
                )))
            }
        }
    }
}

fn unknown_code(ty: char, tname: &str) -> Exception {
    Exception::value_error(format!("Unknown format code '{ty}' for object of type '{tname}'"))
}

pub fn format_str(s: &str, spec: &str) -> Result<String, Exception> {
    if spec.is_empty() {
        return Ok(s.to_string());
    }
    let sp = parse_spec(spec)?;
    if let Some(t) = sp.ty
        && t != 's' {
            return Err(unknown_code(t, "str"));
        }
    if sp.sign.is_some() {
        return Err(Exception::value_error("Sign not allowed in string format specifier"));
    }
    if sp.alt {
        return Err(Exception::value_error("Alternate form (#) not allowed in string format specifier"));
    }
    if sp.grouping.is_some() {
        return Err(Exception::value_error(format!("Cannot specify '{}' with 's'.", sp.grouping.unwrap_or(','))));
    }
    if sp.align == Some('=') {
        return Err(Exception::value_error("'=' alignment not allowed in string format specifier"));
    }
    let body: String = match sp.precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    };
    Ok(pad(&body, "", &sp, '<'))
}

/// Apply width/fill/alignment. `sign` is a prefix (sign and 0x) kept left of '=' padding.
fn pad(body: &str, prefix: &str, sp: &Spec, default_align: char) -> String {
    let len = body.chars().count() + prefix.chars().count();
    let (fill, align) = if sp.zero && sp.align.is_none() && sp.fill.is_none() {
        ('0', '=')
    } else {
        (sp.fill.unwrap_or(' '), sp.align.unwrap_or(default_align))
    };
    let fill = if sp.zero && sp.fill.is_none() { '0' } else { fill };
    if len >= sp.width {
        return format!("{prefix}{body}");
    }
    let n = sp.width - len;
    // One buffer of the final size: a width can be hundreds of megabytes, and pieces joined
    // by `format!` would hold each part and each regrowth of the result at once.
    let mut out = String::with_capacity(prefix.len() + body.len() + n * fill.len_utf8());
    let (left, right) = match align {
        '<' => (0, n),
        '^' => (n / 2, n - n / 2),
        '=' => {
            out.push_str(prefix);
            out.extend(std::iter::repeat_n(fill, n));
            out.push_str(body);
            return out;
        }
        _ => (n, 0),
    };
    out.extend(std::iter::repeat_n(fill, left));
    out.push_str(prefix);
    out.push_str(body);
    out.extend(std::iter::repeat_n(fill, right));
    out
}

fn sign_prefix(neg: bool, sign: Option<char>) -> &'static str {
    if neg {
        "-"
    } else {
        match sign {
            Some('+') => "+",
            Some(' ') => " ",
            _ => "",
        }
    }
}

/// Insert a separator every `every` digits from the right.
fn group(digits: &str, sep: char, every: usize) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / every);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

pub fn format_int(i: IntArg, spec: &str, tname: &str) -> Result<String, Exception> {
    if spec.is_empty() {
        return i.to_decimal();
    }
    let sp = parse_spec(spec)?;
    let ty = sp.ty.unwrap_or('d');
    if matches!(ty, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') {
        return format_float_spec(i.to_f64()?, &sp);
    }
    if sp.precision.is_some() {
        return Err(Exception::value_error("Precision not allowed in integer format specifier"));
    }
    let neg = i.is_negative();
    let (digits, alt_prefix, every) = match ty {
        'd' | 'n' => (i.digits(10)?, "", 3),
        'x' => (i.digits(16)?, "0x", 4),
        'X' => (i.digits(16)?.to_uppercase(), "0X", 4),
        'o' => (i.digits(8)?, "0o", 4),
        'b' => (i.digits(2)?, "0b", 4),
        'c' => {
            if sp.sign.is_some() {
                return Err(Exception::value_error("Sign not allowed with integer format specifier 'c'"));
            }
            let IntArg::Small(small) = i else {
                return Err(Exception::new("OverflowError", "Python int too large to convert to C long"));
            };
            let c = u32::try_from(small)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| Exception::new("OverflowError", "%c arg not in range(0x110000)"))?;
            return Ok(pad(&c.to_string(), "", &sp, '<'));
        }
        's' => return Err(unknown_code('s', tname)),
        t => return Err(unknown_code(t, tname)),
    };
    if let Some(g) = sp.grouping
        && g == ',' && !matches!(ty, 'd') {
            return Err(Exception::value_error(format!("Cannot specify ',' with '{ty}'.")));
        }
    let mut prefix = sign_prefix(neg, sp.sign).to_string();
    if sp.alt {
        prefix.push_str(alt_prefix);
    }
    let body = match sp.grouping {
        Some(g) => {
            let grouped = group(&digits, g, every);
            if sp.zero && sp.align.is_none() && sp.width > grouped.len() + prefix.len() {
                // Zero padding is grouped too: pad digits first, then group.
                let mut d = digits.clone();
                while group(&d, g, every).len() + prefix.len() < sp.width {
                    d.insert(0, '0');
                }
                let g2 = group(&d, g, every);
                let g2 = if g2.len() + prefix.len() > sp.width && g2.starts_with(g) { g2[1..].to_string() } else { g2 };
                return Ok(format!("{prefix}{g2}"));
            }
            grouped
        }
        None => digits,
    };
    Ok(pad(&body, &prefix, &sp, '>'))
}

pub fn format_float(f: f64, spec: &str) -> Result<String, Exception> {
    if spec.is_empty() {
        return Ok(float_repr(f));
    }
    let sp = parse_spec(spec)?;
    format_float_spec(f, &sp)
}

fn format_float_spec(f: f64, sp: &Spec) -> Result<String, Exception> {
    let ty = sp.ty;
    if let Some(t) = ty
        && !matches!(t, 'e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%' | 'n') {
            return Err(unknown_code(t, "float"));
        }
    let neg = f.is_sign_negative() && !(f.is_nan());
    let a = f.abs();
    let upper = matches!(ty, Some('E' | 'F' | 'G'));
    let mut body = if a.is_nan() || a.is_infinite() {
        let s = if a.is_nan() { "nan" } else { "inf" };
        let s = if upper { s.to_uppercase() } else { s.to_string() };
        if ty == Some('%') { format!("{s}%") } else { s }
    } else {
        match ty {
            Some('f' | 'F') => fixed(a, sp.precision.unwrap_or(6), sp.alt),
            Some('e' | 'E') => sci(a, sp.precision.unwrap_or(6), sp.alt, upper),
            Some('%') => format!("{}%", fixed(a * 100.0, sp.precision.unwrap_or(6), sp.alt)),
            Some('g' | 'G' | 'n') => general(a, sp.precision.unwrap_or(6), sp.alt, upper, false),
            None => match sp.precision {
                None => {
                    let r = float_repr(a);
                    if sp.alt && !r.contains('.') && !r.contains('e') { format!("{r}.") } else { r }
                }
                Some(p) => general(a, p, sp.alt, false, true),
            },
            Some(t) => return Err(unknown_code(t, "float")),
        }
    };
    if let Some(g) = sp.grouping {
        let (int_part, rest) = match body.find(|c: char| !c.is_ascii_digit()) {
            Some(k) => (body[..k].to_string(), body[k..].to_string()),
            None => (body.clone(), String::new()),
        };
        if sp.zero && sp.align.is_none() {
            let prefix = sign_prefix(neg, sp.sign);
            let mut d = int_part.clone();
            while group(&d, g, 3).len() + rest.len() + prefix.len() < sp.width {
                d.insert(0, '0');
            }
            let g2 = group(&d, g, 3);
            let g2 = if g2.starts_with(g) { format!("0{g2}") } else { g2 };
            return Ok(format!("{prefix}{g2}{rest}"));
        }
        body = format!("{}{rest}", group(&int_part, g, 3));
    }
    Ok(pad(&body, sign_prefix(neg, sp.sign), sp, '>'))
}

/// Decimals past which every f64's expansion is zeros (the longest, of the smallest subnormal,
/// has 1074): Rust's formatter panics past 65535 digits, Python allows 2^31 - 1.
const EXACT_DIGITS: usize = 1100;

/// `a` with `prec` decimals (`{:.prec$}`), for any precision.
fn decimals(a: f64, prec: usize) -> String {
    if prec <= EXACT_DIGITS || !a.is_finite() {
        return format!("{a:.prec$}");
    }
    let mut s = format!("{a:.p$}", p = EXACT_DIGITS);
    s.extend(std::iter::repeat_n('0', prec - EXACT_DIGITS));
    s
}

/// `a` in scientific form with `prec` decimals (`{:.prec$e}`), for any precision.
fn scientific(a: f64, prec: usize) -> String {
    if prec <= EXACT_DIGITS || !a.is_finite() {
        return format!("{a:.prec$e}");
    }
    let s = format!("{a:.p$e}", p = EXACT_DIGITS);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    format!("{mant}{}e{exp}", "0".repeat(prec - EXACT_DIGITS))
}

fn fixed(a: f64, prec: usize, alt: bool) -> String {
    let s = decimals(a, prec);
    if alt && prec == 0 { format!("{s}.") } else { s }
}

fn sci(a: f64, prec: usize, alt: bool, upper: bool) -> String {
    let s = scientific(a, prec);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mant = if alt && prec == 0 { format!("{mant}.") } else { mant.to_string() };
    let out = format!("{mant}{}", exp_suffix(exp));
    if upper { out.to_uppercase() } else { out }
}

/// 'g' (and the no-type form with a precision, `repr_like`), per Python's rules.
fn general(a: f64, prec: usize, alt: bool, upper: bool, repr_like: bool) -> String {
    let p = prec.max(1);
    if a == 0.0 {
        let mut s = String::from("0");
        if alt {
            s.push('.');
            for _ in 1..p {
                s.push('0');
            }
        } else if repr_like {
            s.push_str(".0");
        }
        return s;
    }
    let s = scientific(a, p - 1);
    let exp: i32 = s.split_once('e').map_or(0, |(_, e)| e.parse().unwrap_or(0));
    // The repr-like form always shows a fractional digit, so it switches one exponent earlier.
    let limit = if repr_like { p as i32 - 1 } else { p as i32 };
    let use_sci = exp < -4 || exp >= limit;
    let mut out = if use_sci {
        let m = sci(a, p - 1, alt, upper);
        if alt {
            m
        } else {
            let (mant, e) = m.split_once(if upper { 'E' } else { 'e' }).unwrap_or((&m, ""));
            let mant = strip_zeros(mant);
            format!("{mant}{}{e}", if upper { 'E' } else { 'e' })
        }
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        let f = self::decimals(a, decimals);
        if alt {
            if f.contains('.') { f } else { format!("{f}.") }
        } else {
            strip_zeros(&f)
        }
    };
    if repr_like && !use_sci && !out.contains('.') {
        out.push_str(".0");
    }
    out
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// The source of a value's `%` conversions: the evaluator supplies str/repr for natives.
pub trait PercentArg {
    fn str_of(&mut self, v: &Value) -> Result<String, Exception>;
    fn repr_of(&mut self, v: &Value) -> Result<String, Exception>;
    /// The number a native object converts to for `%d`/`%f` (a 0-d tensor); None: not one.
    fn number_of(&mut self, _v: &Value) -> Result<Option<Value>, Exception> {
        Ok(None)
    }
}

/// `fmt % args`.
pub fn percent_format(fmt: &str, args: &Value, cx: &mut dyn PercentArg) -> Result<String, Exception> {
    let (items, mapping): (Vec<Value>, Option<&Value>) = match args {
        Value::Tuple(t) => (t.to_vec(), None),
        Value::Dict(_) => (vec![args.clone()], Some(args)),
        other => (vec![other.clone()], None),
    };
    let mut next = 0usize;
    let mut out = String::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    let mut used_mapping = false;
    let take = |next: &mut usize| -> Result<Value, Exception> {
        let v = items
            .get(*next)
            .cloned()
            .ok_or_else(|| Exception::type_error("not enough arguments for format string"))?;
        *next += 1;
        Ok(v)
    };
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut key_val = None;
        if i < chars.len() && chars[i] == '(' {
            let close = chars[i..].iter().position(|&c| c == ')').map(|k| k + i);
            let Some(close) = close else {
                return Err(Exception::value_error("incomplete format key"));
            };
            let key: String = chars[i + 1..close].iter().collect();
            let Some(Value::Dict(d)) = mapping else {
                return Err(Exception::type_error("format requires a mapping"));
            };
            let v = d.borrow().get(&Value::str(&key))?;
            key_val = Some(v.ok_or_else(|| Exception::new("KeyError", Value::str(&key).repr()))?);
            used_mapping = true;
            i = close + 1;
        }
        let mut sp = Spec::default();
        let mut left = false;
        while i < chars.len() && matches!(chars[i], '-' | '+' | ' ' | '#' | '0') {
            match chars[i] {
                '-' => left = true,
                '+' => sp.sign = Some('+'),
                ' ' => {
                    if sp.sign.is_none() {
                        sp.sign = Some(' ')
                    }
                }
                '#' => sp.alt = true,
                _ => sp.zero = true,
            }
            i += 1;
        }
        if i < chars.len() && chars[i] == '*' {
            let w = take(&mut next)?;
            sp.width = w.as_int().ok_or_else(|| Exception::type_error("* wants int"))?.max(0) as usize;
            i += 1;
        } else {
            while i < chars.len() && chars[i].is_ascii_digit() {
                sp.width = sp.width.saturating_mul(10).saturating_add(chars[i].to_digit(10).unwrap_or(0) as usize);
                i += 1;
            }
        }
        super::limits::check_text(sp.width as u128)?;
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            let mut p = 0usize;
            while i < chars.len() && chars[i].is_ascii_digit() {
                p = p.saturating_mul(10).saturating_add(chars[i].to_digit(10).unwrap_or(0) as usize);
                i += 1;
            }
            super::limits::check_text(p as u128)?;
            sp.precision = Some(p);
        }
        let Some(&conv) = chars.get(i) else {
            return Err(Exception::value_error("incomplete format"));
        };
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        if left {
            sp.align = Some('<');
            sp.zero = false;
        }
        let v = match key_val.take() {
            Some(v) => v,
            None => take(&mut next)?,
        };
        let v = match (&v, conv) {
            (Value::Native(_), 'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G') => cx.number_of(&v)?.unwrap_or(v),
            _ => v,
        };
        let piece = match conv {
            // `'%c' % 'i'`: a one-character string is its own character.
            'c' if matches!(&v, Value::Str(c) if c.chars().count() == 1) => {
                let c = cx.str_of(&v)?;
                let sp2 = Spec { zero: false, ..sp.clone() };
                pad(&c, "", &Spec { align: Some(if left { '<' } else { '>' }), ..sp2 }, '>')
            }
            's' | 'r' | 'a' => {
                let s = if conv == 's' { cx.str_of(&v)? } else { cx.repr_of(&v)? };
                let s: String = match sp.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                let sp2 = Spec { zero: false, ..sp.clone() };
                pad(&s, "", &Spec { align: Some(if left { '<' } else { '>' }), ..sp2 }, '>')
            }
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c' => {
                let n = match &v {
                    Value::Float(f) if conv != 'c' => {
                        if !f.is_finite() {
                            return Err(Exception::new(
                                if f.is_nan() { "ValueError" } else { "OverflowError" },
                                format!("cannot convert float {} to integer", float_repr(*f)),
                            ));
                        }
                        bigint::float_to_int(*f)?
                    }
                    other if IntArg::of(other).is_some() => other.clone(),
                    other => {
                        return Err(Exception::type_error(match conv {
                            'd' | 'i' | 'u' => {
                                format!("%{conv} format: a real number is required, not {}", other.type_name())
                            }
                            'c' => "%c requires int or char".to_string(),
                            _ => format!("%{conv} format: an integer is required, not {}", other.type_name()),
                        }));
                    }
                };
                let n = IntArg::of(&n).unwrap_or(IntArg::Small(0));
                if let (IntArg::Big(_), 'c') = (n, conv) {
                    return Err(Exception::new("OverflowError", "%c arg not in range(0x110000)"));
                }
                let ty = match conv {
                    'i' | 'u' => 'd',
                    c => c,
                };
                let digits_prec = sp.precision.take();
                sp.ty = Some(ty);
                let mut s = format_int_spec(n, &sp)?;
                if let Some(p) = digits_prec {
                    // %.3d pads digits with zeros.
                    let neg = n.is_negative();
                    let d = n.digits(10)?;
                    if d.len() < p {
                        let body = format!("{}{}{d}", if neg { "-" } else { "" }, "0".repeat(p - d.len()));
                        s = pad(&body, "", &Spec { zero: false, ..sp.clone() }, '>');
                    }
                }
                s
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let f = match bigint::int_to_f64(&v) {
                    Some(f) => f?,
                    None => v.as_f64().ok_or_else(|| {
                        Exception::type_error(format!("must be real number, not {}", v.type_name()))
                    })?,
                };
                sp.ty = Some(conv);
                if sp.precision.is_none() {
                    sp.precision = Some(6);
                }
                format_float_spec(f, &sp)?
            }
            other => {
                return Err(Exception::value_error(format!(
                    "unsupported format character '{other}' (0x{:x}) at index {}",
                    other as u32,
                    i - 1
                )));
            }
        };
        out.push_str(&piece);
    }
    if !used_mapping && next < items.len() && mapping.is_none() {
        return Err(Exception::type_error("not all arguments converted during string formatting"));
    }
    Ok(out)
}

fn format_int_spec(n: IntArg, sp: &Spec) -> Result<String, Exception> {
    let mut spec = String::new();
    if let Some(a) = sp.align {
        spec.push(a);
    }
    if let Some(s) = sp.sign {
        spec.push(s);
    }
    if sp.alt {
        spec.push('#');
    }
    if sp.zero {
        spec.push('0');
    }
    if sp.width > 0 {
        spec.push_str(&sp.width.to_string());
    }
    if let Some(t) = sp.ty {
        spec.push(t);
    }
    format_int(n, &spec, "int")
}
