//! Python values to plot data: arrays (lists, tuples, ranges, tensors, scalars) as matplotlib
//! reads them through NumPy, colours, format strings (`'r--'`, `'o-'`) and keyword lookups,
//! with matplotlib's error messages.

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Value};
use crate::plot::colors::{self, Rgba};
use crate::plot::figure::{LineStyle, Marker};

pub type R<T> = Result<T, Exception>;

/// An n-dimensional array of floats, row-major.
#[derive(Clone, Debug)]
pub struct Array {
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
}

impl Array {
    pub fn ndim(&self) -> usize {
        self.shape.len()
    }

    /// `(2,)`, `(3, 4)`: the shape as NumPy prints it.
    pub fn shape_repr(&self) -> String {
        shape_repr(&self.shape)
    }

    /// The columns of a 2-D array (one line each in `plot`), or the array itself.
    pub fn columns(&self) -> Vec<Vec<f64>> {
        match self.shape.as_slice() {
            [n, k] => (0..*k).map(|j| (0..*n).map(|i| self.data[i * k + j]).collect()).collect(),
            _ => vec![self.data.clone()],
        }
    }

    pub fn len(&self) -> usize {
        self.shape.first().copied().unwrap_or(1)
    }
}

pub fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        s => format!("({})", s.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    }
}

/// Array data as `np.asarray(v, dtype=float)` reads it.
pub fn array(interp: &mut Interpreter, v: &Value) -> R<Array> {
    if let Some(r) = crate::lang::torch::array_data(v) {
        let (shape, data) = r?;
        return Ok(Array { shape, data });
    }
    // NumPy arrays and NumPy scalars (`np.float32(0.5)`, 0-d).
    if let Some((data, shape)) = crate::lang::numpy::f64_data(v) {
        return Ok(Array { shape, data });
    }
    match v {
        Value::Bool(b) => Ok(Array { shape: vec![], data: vec![f64::from(u8::from(*b))] }),
        Value::Int(_) | Value::Float(_) | Value::BigInt(_) => {
            Ok(Array { shape: vec![], data: vec![v.expect_f64("x")?] })
        }
        Value::Str(s) => Err(Exception::value_error(format!("could not convert string to float: '{s}'"))),
        Value::None => Ok(Array { shape: vec![], data: vec![f64::NAN] }),
        _ => {
            if let Some(n) = v.downcast::<super::objects::NpFloat>() {
                return Ok(Array { shape: vec![], data: vec![n.0] });
            }
            let items = interp.iterate(v).map_err(|_| {
                Exception::type_error(format!(
                    "float() argument must be a string or a real number, not '{}'",
                    v.type_name()
                ))
            })?;
            let mut parts = Vec::with_capacity(items.len());
            for item in &items {
                parts.push(array(interp, item)?);
            }
            let inner = parts.first().map(|p| p.shape.clone()).unwrap_or_default();
            if parts.iter().any(|p| p.shape != inner) {
                return Err(Exception::value_error(format!(
                    "setting an array element with a sequence. The requested array has an inhomogeneous shape after 1 dimensions. The detected shape was ({},) + inhomogeneous part.",
                    items.len()
                )));
            }
            let mut shape = vec![items.len()];
            shape.extend(inner);
            Ok(Array { shape, data: parts.into_iter().flat_map(|p| p.data).collect() })
        }
    }
}

/// A 1-D array (scalars become one element, higher dimensions are flattened).
pub fn vector(interp: &mut Interpreter, v: &Value) -> R<Vec<f64>> {
    Ok(array(interp, v)?.data)
}

/// The strings of a list of category names (`bar(['a', 'b'], ...)`), if it is one.
pub fn categories(interp: &mut Interpreter, v: &Value) -> Option<Vec<String>> {
    if !matches!(v, Value::List(_) | Value::Tuple(_)) {
        return None;
    }
    let items = interp.iterate(v).ok()?;
    let names: Vec<String> =
        items.iter().filter_map(|i| if let Value::Str(s) = i { Some(s.to_string()) } else { None }).collect();
    (!items.is_empty() && names.len() == items.len()).then_some(names)
}

/// A keyword argument by any of its names.
pub fn kw<'a>(args: &'a Args, names: &[&str]) -> Option<&'a Value> {
    args.kw.iter().find(|(k, _)| names.contains(&&**k)).map(|(_, v)| v).filter(|v| !v.is_none())
}

pub fn kw_f64(args: &Args, names: &[&str]) -> R<Option<f64>> {
    kw(args, names).map(|v| v.expect_f64(names[0])).transpose()
}

pub fn kw_str(args: &Args, names: &[&str]) -> R<Option<String>> {
    match kw(args, names) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_string())),
        Some(other) => Ok(Some(other.to_str())),
    }
}

/// Rejects keyword arguments an artist has no property for, as `Artist.set` does.
pub fn check_kwargs(args: &Args, artist: &str, known: &[&str]) -> R<()> {
    match args.kw.iter().find(|(k, _)| !known.contains(&&**k)) {
        Some((k, _)) => {
            Err(Exception::new("AttributeError", format!("{artist}.set() got an unexpected keyword argument '{k}'")))
        }
        None => Ok(()),
    }
}

/// A colour argument, with matplotlib's ValueError for what is not one.
pub fn color(interp: &mut Interpreter, v: &Value) -> R<Rgba> {
    let invalid = |what: String| {
        Exception::value_error(format!(
            "{what} is not a valid value for color: supported inputs are (r, g, b) and (r, g, b, a) 0-1 float tuples; '#rrggbb', '#rrggbbaa', '#rgb', '#rgba' strings; named color strings; string reprs of 0-1 floats for grayscale values; 'C0', 'C1', ... strings for colors of the color cycle; and pairs combining one of the above with an alpha value"
        ))
    };
    match v {
        Value::Str(s) => colors::parse(s).ok_or_else(|| invalid(format!("'{s}'"))),
        Value::List(_) | Value::Tuple(_) => {
            let items = interp.iterate(v)?;
            if items.len() == 2 {
                let c = color(interp, &items[0])?;
                return Ok(c.with_alpha(items[1].expect_f64("alpha")?));
            }
            let parts: Vec<f64> = items.iter().filter_map(Value::as_f64).collect();
            if (parts.len() == 3 || parts.len() == 4)
                && parts.len() == items.len()
                && parts.iter().all(|p| (0.0..=1.0).contains(p))
            {
                Ok(Rgba { r: parts[0], g: parts[1], b: parts[2], a: parts.get(3).copied().unwrap_or(1.0) })
            } else {
                let r = interp.repr(v)?;
                Err(invalid(r))
            }
        }
        other => {
            let r = interp.repr(other)?;
            Err(invalid(r))
        }
    }
}

/// A `linestyle=` value.
pub fn line_style(s: &str) -> R<LineStyle> {
    Ok(match s {
        "-" | "solid" => LineStyle::Solid,
        "--" | "dashed" => LineStyle::Dashed,
        "-." | "dashdot" => LineStyle::DashDot,
        ":" | "dotted" => LineStyle::Dotted,
        "" | " " | "None" | "none" => LineStyle::None,
        other => {
            return Err(Exception::value_error(format!(
                "{other:?} is not a valid value for ls; supported values are '-', '--', '-.', ':', 'None', ' ', '', 'solid', 'dashed', 'dashdot', 'dotted'"
            )
            .replace('"', "'")));
        }
    })
}

/// A `marker=` value; None for no marker.
pub fn marker(v: &Value) -> R<Option<Marker>> {
    match v {
        Value::Str(s) if matches!(&**s, "" | " " | "None" | "none") => Ok(None),
        Value::Str(s) if s.chars().count() == 1 => {
            let c = s.chars().next().unwrap_or(' ');
            Marker::from_char(c)
                .map(Some)
                .ok_or_else(|| Exception::value_error(format!("Unrecognized marker style '{s}'")))
        }
        Value::Str(s) => Err(Exception::value_error(format!("Unrecognized marker style '{s}'"))),
        Value::None => Ok(None),
        other => Err(Exception::value_error(format!("Unrecognized marker style {}", other.repr()))),
    }
}

/// What a format string says: `[marker][line][color]` in any order.
#[derive(Default, Debug)]
pub struct Fmt {
    pub style: Option<LineStyle>,
    pub marker: Option<Marker>,
    pub color: Option<Rgba>,
}

/// Parses a format string, with matplotlib's errors.
pub fn fmt(s: &str) -> R<Fmt> {
    let bad = |why: String| Exception::value_error(format!("'{s}' is not a valid format string ({why})"));
    // A whole colour ('red', 'C1', '0.5') is a colour only; '1' is the tri_down marker.
    if let Some(c) = colors::parse(s)
        && s.parse::<i64>().is_err()
    {
        return Ok(Fmt { color: Some(c), ..Fmt::default() });
    }
    let mut out = Fmt::default();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        if two == "--" || two == "-." {
            if out.style.is_some() {
                return Err(bad("two linestyle symbols".into()));
            }
            out.style = Some(if two == "--" { LineStyle::Dashed } else { LineStyle::DashDot });
            i += 2;
            continue;
        }
        if c == '-' || c == ':' {
            if out.style.is_some() {
                return Err(bad("two linestyle symbols".into()));
            }
            out.style = Some(if c == '-' { LineStyle::Solid } else { LineStyle::Dotted });
        } else if let Some(m) = Marker::from_char(c) {
            if out.marker.is_some() {
                return Err(bad("two marker symbols".into()));
            }
            out.marker = Some(m);
        } else if let Some(col) = colors::base_color(c) {
            if out.color.is_some() {
                return Err(bad("two color symbols".into()));
            }
            out.color = Some(col);
        } else if c == 'C' && i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
            if out.color.is_some() {
                return Err(bad("two color symbols".into()));
            }
            out.color = Some(colors::cycle(chars[i + 1].to_digit(10).unwrap_or(0) as usize));
            i += 1;
        } else {
            return Err(bad(format!("unrecognized character '{c}'")));
        }
        i += 1;
    }
    Ok(out)
}
