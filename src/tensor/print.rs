//! PyTorch's tensor repr (`torch/_tensor_str.py`): one formatter per tensor, line wrapping at
//! 80 columns, summarisation above 1000 elements, and the suffix-wrapping quirk; the
//! `torch.set_printoptions` settings that change those numbers.

use std::cell::Cell;
use std::fmt;

use super::storage::Storage;
use super::{DType, Tensor};

/// `torch.set_printoptions`'s settings (`torch._tensor_str.PRINT_OPTS`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrintOptions {
    pub precision: usize,
    /// Summarise tensors with more elements than this.
    pub threshold: usize,
    pub edgeitems: usize,
    pub linewidth: usize,
    /// None: chosen per tensor from its values.
    pub sci_mode: Option<bool>,
    /// `torch.get_default_dtype()`, which `_tensor_str.py` reads to leave a tensor's dtype out;
    /// the language sets it with `torch.set_default_dtype`.
    pub default_dtype: DType,
}

impl PrintOptions {
    pub const DEFAULT: PrintOptions = PrintOptions { precision: 4, threshold: 1000, edgeitems: 3, linewidth: 80, sci_mode: None, default_dtype: DType::Float32 };
}

thread_local! {
    static OPTIONS: Cell<PrintOptions> = const { Cell::new(PrintOptions::DEFAULT) };
}

/// The current print options.
pub fn print_options() -> PrintOptions {
    OPTIONS.with(Cell::get)
}

/// Replaces the print options (for this thread, i.e. this lesson).
pub fn set_print_options(o: PrintOptions) {
    OPTIONS.with(|c| c.set(o));
}

fn precision() -> usize {
    print_options().precision
}

pub(super) fn edgeitems() -> usize {
    print_options().edgeitems
}

#[derive(Clone, Copy)]
pub(super) enum Val {
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

pub(super) fn values(s: &Storage) -> Vec<Val> {
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
        if dtype != print_options().default_dtype {
            suffixes.push(format!("dtype={dtype}"));
        }
        "[]".to_string()
    } else {
        if !matches!(dtype, DType::Int64 | DType::Bool) && dtype != print_options().default_dtype {
            suffixes.push(format!("dtype={dtype}"));
        }
        let summarize = s.numel() > print_options().threshold;
        let vals = if summarize { summarized(&s, &shape) } else { values(&s) };
        let fmt = Formatter::new(&vals, dtype.is_floating_point());
        tensor_str(&vals, &shape, indent, summarize, &fmt)
    };
    if let Some(name) = t.grad_fn_name() {
        suffixes.push(format!("grad_fn=<{name}>"));
    } else if t.requires_grad() {
        suffixes.push("requires_grad=True".to_string());
    }
    // A dual tensor shows its tangent at the innermost level (PyTorch's `tangent=` suffix).
    if super::forward_ad::active()
        && let Some(level) = super::forward_ad::current_level()
        && let Ok(Some(tangent)) = super::forward_ad::peek(t, level)
    {
        suffixes.push(format!("tangent={}", tensor_repr(&tangent)));
    }
    add_suffixes(&format!("{prefix}{body}"), &suffixes, indent)
}

/// Python's `str(tuple(shape))`.
pub(super) fn py_tuple(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", parts.join(", "))
        }
    }
}

/// `_add_suffixes`: the line-length counter starts 2 past the visible length (PyTorch quirk).
pub(super) fn add_suffixes(tensor_str: &str, suffixes: &[String], indent: usize) -> String {
    let mut out = tensor_str.to_string();
    let mut last_line_len = match tensor_str.rfind('\n') {
        Some(p) => tensor_str.chars().count() - tensor_str[..p].chars().count() + 1,
        None => tensor_str.chars().count() + 2,
    } as isize;
    for s in suffixes {
        let len = s.chars().count() as isize;
        if last_line_len + len + 2 > print_options().linewidth as isize {
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

/// How many elements of a dim of `n` are printed, and where element `i` (one that is printed)
/// sits among them: the first and last `EDGEITEMS` when the dim is summarised.
pub(super) fn kept_len(n: usize, summarize: bool) -> usize {
    let e = edgeitems();
    if summarize && n > 2 * e { 2 * e } else { n }
}

pub(super) fn kept_index(i: usize, n: usize, summarize: bool) -> usize {
    let e = edgeitems();
    if summarize && n > 2 * e && i >= e { i - (n - 2 * e) } else { i }
}

/// `get_summarized_data`: the edge elements, the only ones the formatter looks at and the
/// printer reads, in row-major order; every dim longer than `2 * EDGEITEMS` keeps its first
/// and last `EDGEITEMS`. Read straight from the storage: converting all the elements first
/// (millions, for a data set printed summarised) cost more than the print.
pub(super) fn summarized(s: &Storage, shape: &[usize]) -> Vec<Val> {
    match s {
        Storage::F32(a) => gather_edges(a, shape, |x| Val::F(x as f64)),
        Storage::F64(a) => gather_edges(a, shape, Val::F),
        Storage::I64(a) => gather_edges(a, shape, Val::I),
        Storage::Bool(a) => gather_edges(a, shape, Val::B),
    }
}

fn gather_edges<T: Copy>(a: &ndarray::ArrayD<T>, shape: &[usize], conv: impl Fn(T) -> Val) -> Vec<Val> {
    let a = a.as_standard_layout();
    let e = edgeitems();
    let Some(flat) = a.as_slice() else { return Vec::new() };
    let kept: Vec<Vec<usize>> = shape
        .iter()
        .map(|&n| if n > 2 * e { (0..e).chain(n - e..n).collect() } else { (0..n).collect() })
        .collect();
    let mut strides = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    let total: usize = kept.iter().map(Vec::len).product();
    let mut out = Vec::with_capacity(total);
    let mut idx = vec![0usize; shape.len()];
    for _ in 0..total {
        let off: usize = (0..shape.len()).map(|d| kept[d][idx[d]] * strides[d]).sum();
        out.push(conv(flat[off]));
        for d in (0..shape.len()).rev() {
            idx[d] += 1;
            if idx[d] < kept[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
    out
}

pub(super) struct Formatter {
    floating: bool,
    int_mode: bool,
    sci_mode: bool,
    pub(super) max_width: usize,
}

impl Formatter {
    pub(super) fn new(vals: &[Val], floating: bool) -> Formatter {
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
            f.max_width = nz.iter().map(|&x| fixed(x, precision()).len()).max().unwrap_or(1);
        }
        // A forced `sci_mode` replaces the choice and the width that came with it.
        if let Some(forced) = print_options().sci_mode
            && forced != f.sci_mode
        {
            f.sci_mode = forced;
            f.max_width = if forced {
                nz.iter().map(|&x| sci(x).len()).max().unwrap_or(1)
            } else if f.int_mode {
                nz.iter().map(|&x| format!("{x:.0}").len() + 1).max().unwrap_or(1)
            } else {
                nz.iter().map(|&x| fixed(x, precision()).len()).max().unwrap_or(1)
            };
        }
        f.max_width = f.max_width.max(1);
        f
    }

    pub(super) fn format(&self, v: Val) -> String {
        let s = match v {
            Val::F(x) if self.floating => {
                if self.sci_mode {
                    sci(x)
                } else if self.int_mode {
                    if x.is_finite() { format!("{x:.0}.") } else { nonfinite(x) }
                } else {
                    fixed(x, precision())
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
    let p = precision();
    let s = format!("{x:.p$e}");
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
        Val::F(x) => fixed(x, precision()),
        Val::I(i) => i.to_string(),
        Val::B(b) => if b { "True" } else { "False" }.to_string(),
    }
}

fn tensor_str(vals: &[Val], shape: &[usize], indent: usize, summarize: bool, fmt: &Formatter) -> String {
    match shape.len() {
        0 => fmt.format(vals[0]),
        1 => vector_str(vals, shape[0], indent, summarize, fmt),
        nd => {
            let n = shape[0];
            // `vals` holds only the printed elements (see `summarized`).
            let stride: usize = shape[1..].iter().map(|&m| kept_len(m, summarize)).product();
            let sub = |i: usize| {
                let k = kept_index(i, n, summarize);
                tensor_str(&vals[k * stride..(k + 1) * stride], &shape[1..], indent + 1, summarize, fmt)
            };
            let e = edgeitems();
            let slices: Vec<String> = if summarize && n > 2 * e {
                (0..e)
                    .map(sub)
                    .chain(std::iter::once("...".to_string()))
                    .chain((n - e..n).map(sub))
                    .collect()
            } else {
                (0..n).map(sub).collect()
            };
            let sep = format!(",{}{}", "\n".repeat(nd - 1), " ".repeat(indent + 1));
            format!("[{}]", slices.join(&sep))
        }
    }
}

/// A row of `n` elements, of which `vals` holds the printed ones.
fn vector_str(vals: &[Val], n: usize, indent: usize, summarize: bool, fmt: &Formatter) -> String {
    let element_length = fmt.max_width as isize + 2;
    let per_line = ((print_options().linewidth as isize - indent as isize) as f64 / element_length as f64).floor().max(1.0) as usize;
    let e = edgeitems();
    let data: Vec<String> = if summarize && n > 2 * e {
        vals[..e]
            .iter()
            .map(|&v| fmt.format(v))
            .chain(std::iter::once(" ...".to_string()))
            .chain(vals[vals.len() - e..].iter().map(|&v| fmt.format(v)))
            .collect()
    } else {
        vals.iter().map(|&v| fmt.format(v)).collect()
    };
    let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
    let sep = format!(",\n{}", " ".repeat(indent + 1));
    format!("[{}]", lines.join(&sep))
}

/// The repr of a tensor on the meta device, which has a shape and a dtype but no elements:
/// PyTorch prints `...` for the data and always names the size, and the dtype unless it is
/// the default one.
pub fn meta_repr(shape: &[usize], dtype: DType, grad_fn: Option<&str>, requires_grad: bool, is_param: bool) -> String {
    let prefix = "tensor(";
    let mut suffixes = vec!["device='meta'".to_string(), format!("size={}", py_tuple(shape))];
    if dtype != print_options().default_dtype {
        suffixes.push(format!("dtype={dtype}"));
    }
    if let Some(name) = grad_fn {
        suffixes.push(format!("grad_fn=<{name}>"));
    } else if requires_grad {
        suffixes.push("requires_grad=True".to_string());
    }
    let body = add_suffixes(&format!("{prefix}..."), &suffixes, prefix.len());
    if is_param { format!("Parameter containing:\n{body}") } else { body }
}
