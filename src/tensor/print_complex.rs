//! PyTorch's repr of a complex tensor (`torch/_tensor_str.py` with a second formatter): the
//! real parts and the imaginary parts each get a formatter of their own, an element prints as
//! the padded real part followed by the unpadded, signed imaginary part and `j`, and a row
//! holds as many elements as fit when each counts both widths plus the `j`.

use super::print::{
    Formatter, Val, add_suffixes, edgeitems, kept_index, kept_len, print_options, py_tuple,
    summarized, values,
};
use super::{DType, Tensor};

/// `repr` of the complex tensor whose real and imaginary parts are `re` and `im` (float32
/// parts: complex64, PyTorch's default complex dtype, whose name is not printed; float64:
/// complex128).
pub fn complex_repr(re: &Tensor, im: &Tensor) -> String {
    let (rs, is) = (re.storage(), im.storage());
    let shape = rs.shape();
    let prefix = "tensor(";
    let indent = prefix.len();
    let mut suffixes = Vec::new();
    let name = if re.dtype() == DType::Float64 {
        "torch.complex128"
    } else {
        "torch.complex64"
    };
    let default = re.dtype() != DType::Float64;
    let body = if rs.numel() == 0 {
        if shape.len() != 1 {
            suffixes.push(format!("size={}", py_tuple(&shape)));
        }
        suffixes.push(format!("dtype={name}"));
        "[]".to_string()
    } else {
        if !default {
            suffixes.push(format!("dtype={name}"));
        }
        let summarize = rs.numel() > print_options().threshold;
        let (rv, iv) = if summarize {
            (summarized(&rs, &shape), summarized(&is, &shape))
        } else {
            (values(&rs), values(&is))
        };
        let f = (Formatter::new(&rv, true), Formatter::new(&iv, true));
        let vals: Vec<(Val, Val)> = rv.into_iter().zip(iv).collect();
        tensor_str(&vals, &shape, indent, summarize, &f)
    };
    add_suffixes(&format!("{prefix}{body}"), &suffixes, indent)
}

/// `_val_formatter` with two formatters.
fn element(v: (Val, Val), f: &(Formatter, Formatter)) -> String {
    let real = f.0.format(v.0);
    let imag = format!("{}j", f.1.format(v.1));
    let imag = imag.trim_start();
    if imag.starts_with('+') || imag.starts_with('-') {
        format!("{real}{imag}")
    } else {
        format!("{real}+{imag}")
    }
}

fn tensor_str(
    vals: &[(Val, Val)],
    shape: &[usize],
    indent: usize,
    summarize: bool,
    f: &(Formatter, Formatter),
) -> String {
    match shape.len() {
        0 => element(vals[0], f),
        1 => vector_str(vals, shape[0], indent, summarize, f),
        nd => {
            let n = shape[0];
            let stride: usize = shape[1..].iter().map(|&m| kept_len(m, summarize)).product();
            let sub = |i: usize| {
                let k = kept_index(i, n, summarize);
                tensor_str(
                    &vals[k * stride..(k + 1) * stride],
                    &shape[1..],
                    indent + 1,
                    summarize,
                    f,
                )
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

fn vector_str(
    vals: &[(Val, Val)],
    n: usize,
    indent: usize,
    summarize: bool,
    f: &(Formatter, Formatter),
) -> String {
    // Each element counts the real width, the imaginary width and its `j`, plus ", ".
    let element_length = (f.0.max_width + 2 + f.1.max_width + 1) as isize;
    let per_line = ((print_options().linewidth as isize - indent as isize) as f64
        / element_length as f64)
        .floor()
        .max(1.0) as usize;
    let e = edgeitems();
    let data: Vec<String> = if summarize && n > 2 * e {
        vals[..e]
            .iter()
            .map(|&v| element(v, f))
            .chain(std::iter::once(" ...".to_string()))
            .chain(vals[vals.len() - e..].iter().map(|&v| element(v, f)))
            .collect()
    } else {
        vals.iter().map(|&v| element(v, f)).collect()
    };
    let lines: Vec<String> = data.chunks(per_line).map(|c| c.join(", ")).collect();
    let sep = format!(",\n{}", " ".repeat(indent + 1));
    format!("[{}]", lines.join(&sep))
}
