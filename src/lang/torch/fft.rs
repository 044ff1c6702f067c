//! `torch.fft`: discrete Fourier transforms of real and complex tensors (`fft`, `ifft`,
//! `rfft`, `irfft` and their 2-d and n-d forms), `fftfreq`/`rfftfreq` and `fftshift`/
//! `ifftshift`: arguments, dims, lengths, the Hermitian completion of real-output transforms
//! and the `norm=` scaling; the transform itself is `fft_kernel.rs`, in the input's precision.

use std::rc::Rc;

use super::R;
use super::complex::ComplexTensor;
use super::complex_math as cm;
use super::fft_kernel::Dft;
use super::meta::wrap_dim;
use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Data, Tensor};

/// Values being transformed: parts in row-major order, shape, and the output precision.
struct Arr {
    re: Vec<f64>,
    im: Vec<f64>,
    shape: Vec<usize>,
    wide: bool,
    /// The values are a real tensor's (not yet transformed): MKL runs a real-input transform.
    real: bool,
}

fn arr(v: &Value, fname: &str) -> R<(Arr, bool)> {
    if let Some(c) = v.downcast::<ComplexTensor>() {
        let wide = c.re.dtype() == DType::Float64;
        let a = Arr {
            re: c.re.contiguous().to_f64_vec(),
            im: c.im.contiguous().to_f64_vec(),
            shape: c.re.shape(),
            wide,
            real: false,
        };
        return Ok((a, true));
    }
    let t = as_tensor(v).ok_or_else(|| {
        Exception::type_error(format!(
            "fft_{fname}(): argument 'input' (position 1) must be Tensor, not {}",
            v.type_name()
        ))
    })?;
    let re = t.contiguous().to_f64_vec();
    let a = Arr {
        im: vec![0.0; re.len()],
        re,
        shape: t.shape(),
        wide: t.dtype() == DType::Float64,
        real: true,
    };
    Ok((a, false))
}

/// How a transform scales: PyTorch's `norm=` for a forward or inverse transform of length n.
fn scale(norm: &str, inverse: bool, n: usize) -> f64 {
    match (norm, inverse) {
        ("ortho", _) => 1.0 / (n as f64).sqrt(),
        ("forward", false) | ("backward", true) => 1.0 / n as f64,
        _ => 1.0,
    }
}

/// What one call transforms along one dim: output length, input length taken (zero padded
/// or trimmed to it), and the kind.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    C2C,
    R2C,
    C2R,
}

/// Transforms `a` along `dim` into `n` points (C2R: `n` real outputs from n/2+1 inputs).
fn along(a: &Arr, dim: usize, n: usize, kind: Kind, inverse: bool, norm: &str) -> Arr {
    let len = a.shape[dim];
    let outer: usize = a.shape[..dim].iter().product();
    let inner: usize = a.shape[dim + 1..].iter().product();
    let take = if kind == Kind::C2R { n / 2 + 1 } else { n };
    let out_len = if kind == Kind::R2C { n / 2 + 1 } else { n };
    let mut shape = a.shape.clone();
    shape[dim] = out_len;
    let total = outer * out_len * inner;
    let (mut re, mut im) = (vec![0.0; total], vec![0.0; total]);
    let r = cm::rounder(a.wide);
    // A real input's inverse transform is the conjugate of its forward one, as PyTorch
    // computes it (so a zero imaginary part prints as -0).
    let real = a.real && kind != Kind::C2R;
    let conj = real && inverse;
    let dft = Dft {
        r,
        sign: if inverse && !conj { 1.0 } else { -1.0 },
    };
    let f = r(scale(norm, inverse, n));
    for o in 0..outer {
        for i in 0..inner {
            let (mut xr, mut xi) = (vec![0.0; n], vec![0.0; n]);
            for k in 0..take.min(len) {
                let p = (o * len + k) * inner + i;
                xr[k] = a.re[p];
                xi[k] = a.im[p];
            }
            if kind == Kind::C2R {
                // The Hermitian completion: X[n-k] = conj(X[k]); the DC (and Nyquist) terms'
                // imaginary parts are ignored, as a real inverse transform does.
                xi[0] = 0.0;
                if n.is_multiple_of(2) {
                    xi[n / 2] = 0.0;
                }
                for k in 1..n.div_ceil(2) {
                    xr[n - k] = xr[k];
                    xi[n - k] = -xi[k];
                }
            }
            let (yr, mut yi) = dft.run(&xr, &xi, real);
            if conj {
                yi.iter_mut().for_each(|v| *v = -*v);
            }
            for k in 0..out_len {
                let p = (o * out_len + k) * inner + i;
                (re[p], im[p]) = if f == 1.0 {
                    (yr[k], yi[k])
                } else {
                    (r(yr[k] * f), r(yi[k] * f))
                };
                if kind == Kind::C2R {
                    im[p] = 0.0;
                }
            }
        }
    }
    Arr {
        re,
        im,
        shape,
        wide: a.wide,
        real: false,
    }
}

fn finish(a: Arr, real: bool) -> R<Value> {
    let r = cm::rounder(a.wide);
    let re: Vec<f64> = a.re.iter().map(|&x| r(x)).collect();
    if real {
        let data = if a.wide {
            Data::F64(re)
        } else {
            Data::F32(re.iter().map(|&x| x as f32).collect())
        };
        return Ok(tv(Tensor::from_data(data, &a.shape).map_err(exc)?));
    }
    let im = a.im.iter().map(|&x| r(x)).collect();
    cm::make(re, im, &a.shape, a.wide)
}

fn norm_arg(v: Option<&Value>) -> R<String> {
    match v {
        None | Some(Value::None) => Ok("backward".into()),
        Some(Value::Str(s)) if matches!(&**s, "backward" | "forward" | "ortho") => {
            Ok(s.to_string())
        }
        Some(v) => Err(Exception::runtime_error(format!(
            "Invalid normalization mode: {}",
            match v {
                Value::Str(s) => format!("\"{s}\""),
                other => other.type_name().to_string(),
            }
        ))),
    }
}

fn ints(interp: &mut Interpreter, v: &Value) -> R<Vec<i64>> {
    match v {
        Value::Int(i) => Ok(vec![*i]),
        other => interp
            .iterate(other)?
            .iter()
            .map(|x| x.expect_int("dim"))
            .collect(),
    }
}

/// One transform call: `dims` with their lengths (None: the input's), over kinds per dim.
fn transform(interp: &mut Interpreter, args: &Args, name: &'static str) -> R<Value> {
    let nd_kind = name.trim_start_matches('i').trim_start_matches('r');
    let inverse = name.starts_with('i');
    let real_in = name.starts_with('r');
    let real_out = name.starts_with("ir");
    let one = nd_kind == "fft";
    let sig: &[&str] = if one {
        &["input", "n=", "dim=", "norm=", "*", "out="]
    } else {
        &["input", "s=", "dim=", "norm=", "*", "out="]
    };
    let [x, n, dim, norm, _out] = args.bind(sig)?;
    let x = x.unwrap_or(Value::None);
    let norm = norm_arg(norm.as_ref())?;
    let (a, is_complex) = arr(&x, name)?;
    if real_in && is_complex {
        return Err(Exception::type_error(format!(
            "{name} expects a real input tensor, but got {}",
            if a.wide {
                "ComplexDouble"
            } else {
                "ComplexFloat"
            }
        )));
    }
    let nd = a.shape.len();
    let n = n.filter(|v| !matches!(v, Value::None));
    let dim = dim.filter(|v| !matches!(v, Value::None));
    let dims: Vec<usize> = match (&dim, &n) {
        (Some(d), _) => ints(interp, d)?
            .into_iter()
            .map(|d| wrap_dim(d, nd))
            .collect::<R<_>>()?,
        (None, Some(s)) if !one => {
            let k = ints(interp, s)?.len();
            (nd.saturating_sub(k)..nd).collect()
        }
        (None, _) if nd_kind == "fft2" => vec![wrap_dim(-2, nd)?, wrap_dim(-1, nd)?],
        (None, _) if one => vec![wrap_dim(-1, nd)?],
        (None, _) => (0..nd).collect(),
    };
    let lens: Vec<Option<i64>> = match &n {
        Some(s) => ints(interp, s)?.into_iter().map(Some).collect(),
        None => vec![None; dims.len()],
    };
    if lens.len() != dims.len() {
        return Err(Exception::runtime_error(
            "When given, dim and shape arguments must have the same length",
        ));
    }
    let mut a = a;
    // ATen's fftn/ifftn (and the 2-d forms) promote a real input to complex and run c2c;
    // only the 1-d fft/ifft and the real-input transforms run MKL's r2c on real values.
    a.real &= one || real_in;
    let last = dims.len().saturating_sub(1);
    // Real-input transforms do the last dim first (R2C); real-output ones do it last (C2R).
    let mut order: Vec<usize> = (0..dims.len()).collect();
    if real_in {
        order.rotate_right(1);
    }
    for &i in &order {
        let d = dims[i];
        let kind = match (i == last, real_in, real_out) {
            (true, true, _) => Kind::R2C,
            (true, _, true) => Kind::C2R,
            _ => Kind::C2C,
        };
        let len = match lens[i] {
            Some(l) if l < 1 => {
                return Err(Exception::runtime_error(format!(
                    "Invalid number of data points ({l}) specified"
                )));
            }
            Some(l) => l as usize,
            None if kind == Kind::C2R => 2 * (a.shape[d].max(1) - 1),
            None => a.shape[d],
        };
        if len < 1 {
            return Err(Exception::runtime_error(format!(
                "Invalid number of data points ({len}) specified"
            )));
        }
        a = along(&a, d, len, kind, inverse, &norm);
    }
    finish(a, real_out)
}

fn freq(args: &Args, half: bool) -> R<Value> {
    let [n, d, _out, dtype, _l, _dev, _rg] = args.bind(&[
        "n",
        "d=",
        "*",
        "out=",
        "dtype=",
        "layout=",
        "device=",
        "requires_grad=",
    ])?;
    let n = n.unwrap_or(Value::None).expect_int("n")?;
    let d = match d {
        Some(Value::Int(i)) => i as f64,
        Some(Value::Float(f)) => f,
        _ => 1.0,
    };
    let dtype = super::convert::dtype_arg(dtype.as_ref())?.unwrap_or(DType::Float32);
    let r = cm::rounder(dtype == DType::Float64);
    let step = r(1.0 / (n as f64 * d));
    let ks: Vec<i64> = if half {
        (0..=n / 2).collect()
    } else {
        (0..n)
            .map(|k| if k < (n + 1) / 2 { k } else { k - n })
            .collect()
    };
    let v: Vec<f64> = ks.iter().map(|&k| r(k as f64 * step)).collect();
    let t = Tensor::from_data(Data::F64(v), &[ks.len()]).map_err(exc)?;
    Ok(tv(t.to_dtype(dtype).map_err(exc)?))
}

/// `fftshift`/`ifftshift`: a roll by half of each dim's length.
fn shift(interp: &mut Interpreter, args: &Args, inverse: bool) -> R<Value> {
    let [x, dim] = args.bind(&["input", "dim="])?;
    let x = x.unwrap_or(Value::None);
    let shape = match x.downcast::<ComplexTensor>() {
        Some(c) => c.re.shape(),
        None => as_tensor(&x)
            .map(|t| t.shape())
            .ok_or_else(|| Exception::type_error("fftshift(): argument 'input' must be Tensor"))?,
    };
    let dims: Vec<usize> = match dim.filter(|v| !matches!(v, Value::None)) {
        Some(d) => ints(interp, &d)?
            .into_iter()
            .map(|d| wrap_dim(d, shape.len()))
            .collect::<R<_>>()?,
        None => (0..shape.len()).collect(),
    };
    let shifts: Vec<Value> = dims
        .iter()
        .map(|&d| {
            Value::Int(if inverse {
                shape[d].div_ceil(2)
            } else {
                shape[d] / 2
            } as i64)
        })
        .collect();
    let roll = interp.get_attr(&x, "roll")?;
    let dims = dims.iter().map(|&d| Value::Int(d as i64)).collect();
    interp.call(
        &roll,
        Args::new("roll", vec![Value::tuple(shifts), Value::tuple(dims)]),
    )
}

/// Installs `torch.fft`.
pub fn install(interp: &mut Interpreter, torch: &Module) {
    let m = Module::new("torch.fft");
    for name in [
        "fft", "ifft", "rfft", "irfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn",
        "rfftn", "irfftn",
    ] {
        m.set(
            name,
            Value::builtin(name, move |interp, args| transform(interp, &args, name)),
        );
    }
    m.set(
        "fftfreq",
        Value::builtin("fftfreq", |_, args| freq(&args, false)),
    );
    m.set(
        "rfftfreq",
        Value::builtin("rfftfreq", |_, args| freq(&args, true)),
    );
    m.set(
        "fftshift",
        Value::builtin("fftshift", |interp, args| shift(interp, &args, false)),
    );
    m.set(
        "ifftshift",
        Value::builtin("ifftshift", |interp, args| shift(interp, &args, true)),
    );
    let m = Value::Module(Rc::new(m));
    torch.set("fft", m.clone());
    interp.register_module("torch.fft", m);
}
