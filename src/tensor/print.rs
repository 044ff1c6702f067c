//! PyTorch's tensor repr (`torch/_tensor_str.py`): one formatter per tensor, line wrapping at
//! 80 columns, summarisation above 1000 elements, and the suffix-wrapping quirk.

use std::fmt;

use super::storage::Storage;
use super::{DType, Tensor};

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;
const LINEWIDTH: isize = 80;

#[derive(Clone, Copy)]
enum Val {
    F(f64),
    I(i64),
    B(bool),
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

impl fmt::Debug for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr())
    }
}

impl Tensor {
    /// `repr(t)` / `str(t)` / `print(t)`.
    pub fn repr(&self) -> String {
        let body = tensor_repr(self);
        if self.is_parameter() { format!("Parameter containing:\n{body}") } else { body }
    }
}

fn values(s: &Storage) -> Vec<Val> {
    match s {
        Storage::F32(a) => a.iter().map(|&x| Val::F(x as f64)).collect(),
        Storage::F64(a) => a.iter().map(|&x| Val::F(x)).collect(),
        Storage::I64(a) => a.iter().map(|&x| Val::I(x)).collect(),
        Storage::Bool(a) => a.iter().map(|&x| Val::B(x)).collect(),
    }
}

fn tensor_repr(t: &Tensor) -> String {
    let s = t.storage();
    let shape = s.shape();
    // The logical dtype: a narrow dtype's values sit in a wider array.
    let dtype = t.dtype();
    let prefix = "tensor(";
    let indent = prefix.len();
    let mut suffixes = Vec::new();
    let body = if s.numel() == 0 {
        if shape.len() != 1 {
            suffixes.push(format!("size={}", py_tuple(&shape)));
        }
        if dtype != DType::Float32 {
            suffixes.push(format!("dtype={dtype}"));
        }
        "[]".to_string()
    } else {
        if !matches!(dtype, DType::Float32 | DType::Int64 | DType::Bool) {
            suffixes.push(format!("dtype={dtype}"));
        }
        let vals = values(&s);
        let summarize = vals.len() > THRESHOLD;
        let shown = if summarize { summarized(&vals, &shape) } else { vals.clone() };
        let fmt = Formatter::new(&shown, dtype.is_floating_point());
        tensor_str(&vals, &shape, indent, summarize, &fmt)
    };
    if let Some(name) = t.grad_fn_name() {
        suffixes.push(format!("grad_fn=<{name}>"));
    } else if t.requires_grad() {
        suffixes.push("requires_grad=True".to_string());
    }
    add_suffixes(&format!("{prefix}{body}"), &suffixes, indent)
}

/// Python's `str(tuple(shape))`.
fn py_tuple(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// `_add_suffixes`: the line-length counter starts 2 past the visible length (PyTorch quirk).
fn add_suffixes(tensor_str: &str, suffixes: &[String], indent: usize) -> String {
    let mut out = tensor_str.to_string();
    let mut last_line_len = match tensor_str.rfind('\n') {
        Some(p) => tensor_str.chars().count() - tensor_str[..p].chars().count() + 1,
        None => tensor_str.chars().count() + 2,
    } as isize;
    for s in suffixes {
        let len = s.chars().count() as isize;
        if last_line_len + len + 2 > LINEWIDTH {
            out.push_str(",\n");
            out.push_str(&" ".repeat(indent));
            out.push_str(s);
            last_line_len = indent as isize + len;
        } else {
            out.push_str(", ");
            out.push_str(s);
            last_line_len += len + 2;
        }
    }
    out.push(')');
    out
}

/// `get_summarized_data`: the edge elements the formatter looks at.
fn summarized(vals: &[Val], shape: &[usize]) -> Vec<Val> {
    match shape.len() {
        0 => vals.to_vec(),
        1 => {
            let n = shape[0];
            if n > 2 * EDGEITEMS {
                let mut v = vals[..EDGEITEMS].to_vec();
                v.extend_from_slice(&vals[n - EDGEITEMS..]);
                v
            } else {
                vals.to_vec()
            }
        }
        _ => {
            let n = shape[0];
            let stride: usize = shape[1..].iter().product();
            let rows: Vec<usize> =
                if n > 2 * EDGEITEMS { (0..EDGEITEMS).chain(n - EDGEITEMS..n).collect() } else { (0..n).collect() };
            rows.iter().flat_map(|&i| summarized(&vals[i * stride..(i + 1) * stride], &shape[1..])).collect()
        }
    }
}

struct Formatter {
    floating: bool,
    int_mode: bool,
    sci_mode: bool,
    max_width: usize,
}

impl Formatter {
    fn new(vals: &[Val], floating: bool) -> Formatter {
        let mut f = Formatter { floating, int_mode: true, sci_mode: false, max_width: 1 };
        if !floating {
            for &v in vals {
                f.max_width = f.max_width.max(plain(v).len());
            }
            return f;
        }
        let nz: Vec<f64> = vals
            .iter()
            .filter_map(|v| match v {
                Val::F(x) if x.is_finite() && *x != 0.0 => Some(*x),
                _ => None,
            })
            .collect();
        if nz.is_empty() {
            return f;
        }
        let max = nz.iter().fold(f64::MIN, |m, x| m.max(x.abs()));
        let min = nz.iter().fold(f64::MAX, |m, x| m.min(x.abs()));
        f.int_mode = nz.iter().all(|x| *x == x.ceil());
        if f.int_mode {
            if max / min > 1000.0 || max > 1.0e8 {
                f.sci_mode = true;
                f.max_width = nz.iter().map(|&x| sci(x).len()).max().unwrap_or(1);
            } else {
                f.max_width = nz.iter().map(|&x| format!("{x:.0}").len() + 1).max().unwrap_or(1);
            }
        } else if max / min > 1000.0 || max > 1.0e8 || min < 1.0e-4 {
            f.sci_mode = true;
            f.max_width = nz.iter().map(|&x| sci(x).len()).max().unwrap_or(1);
        } else {
            f.max_width = nz.iter().map(|&x| fixed(x, PRECISION).len()).max().unwrap_or(1);
        }
        f.max_width = f.max_width.max(1);
        f
    }

    fn format(&self, v: Val) -> String {
        let s = match v {
            Val::F(x) if self.floating => {
                if self.sci_mode {
                    sci(x)
                } else if self.int_mode {
                    if x.is_finite() { format!("{x:.0}.") } else { nonfinite(x) }
                } else {
                    fixed(x, PRECISION)
                }
            }
            other => plain(other),
        };
        let pad = self.max_width.saturating_sub(s.chars().count());
        format!("{}{s}", " ".repeat(pad))
    }
}

fn nonfinite(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Python's `'{:.Nf}'.format(x)` (exact decimal rounding, half to even on the binary value).
fn fixed(x: f64, prec: usize) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    format!("{x:.prec$}")
}

/// Python's `'{:.4e}'.format(x)`: exponent with a sign and at least two digits.
fn sci(x: f64) -> String {
    if !x.is_finite() {
        return nonfinite(x);
    }
    let s = format!("{x:.PRECISION$e}");
    match s.split_once('e') {
        Some((mant, exp)) => {
            let e: i32 = exp.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{mant}e{sign}{:02}", e.abs())
        }
        None => s,
    }
}

fn plain(v: Val) -> String {
    match v {
        Val::F(x) => fixed(x, PRECISION),
        Val::I(i) => i.to_string(),
        Val::B(b) => if b { "True" } else { "False" }.to_string(),
    }
}

fn tensor_str(vals: &[Val], shape: &[usize], indent: usize, summarize: bool, fmt: &Formatter) -> String {
    match shape.len() {
        0 => fmt.format(vals[0]),
        1 => vector_str(vals, indent, summarize, fmt),
        nd => {
            let n = shape[0];
            let stride: usize = shape[1..].iter().product();
            let sub = |i: usize| tensor_str(&vals[i * stride..(i + 1) * stride], &shape[1..], indent + 1, summarize, fmt);
            let slices: Vec<String> = if summarize && n > 2 * EDGEITEMS {
                (0..EDGEITEMS)
                    .map(sub)
                    .chain(std::iter::once("...".to_string()))
                    .chain((n - EDGEITEMS..n).map(sub))
                    .collect()
            } else {
                (0..n).map(sub).collect()
            };
            let sep = format!(",{}{}", "\n".repeat(nd - 1), " ".repeat(indent + 1));
            format!("[{}]", slices.join(&sep))
        }
    }
}

fn vector_str(vals: &[Val], indent: usize, summarize: bool, fmt: &Formatter) -> String {
    let element_length = fmt.max_width as isize + 2;
    let per_line = ((LINEWIDTH - indent as isize) as f64 / element_length as f64).floor().max(1.0) as usize;
    let n = vals.len();
    let data: Vec<String> = if summarize && n > 2 * EDGEITEMS {
        vals[..EDGEITEMS]
            .iter()
            .map(|&v| fmt.format(v))
            .chain(std::iter::once(" ...".to_string()))
            .chain(vals[n - EDGEITEMS..].iter().map(|&v| fmt.format(v)))
            .collect()
    } else {
        vals.iter().map(|&v| fmt.format(v)).collect()
    };
    let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
    let sep = format!(",\n{}", " ".repeat(indent + 1));
    format!("[{}]", lines.join(&sep))
}
