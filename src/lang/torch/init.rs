//! `torch.nn.init`: in-place initialisers drawing from the default generator under no_grad.

use super::convert::{as_tensor, exc, f64_arg, kw};
use super::tensor::NoGrad;
use super::{generator_arg, R};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{Scalar, Tensor};

fn target(args: &Args, fname: &str) -> R<(Tensor, Value)> {
    let v = args.pos.first().or_else(|| kw(args, "tensor")).cloned().unwrap_or(Value::None);
    let t = as_tensor(&v).cloned().ok_or_else(|| Exception::type_error(format!("{fname}(): argument 'tensor' must be Tensor, not {}", v.type_name())))?;
    Ok((t, v))
}

/// (fan_in, fan_out) as torch.nn.init computes them.
fn fans(t: &Tensor) -> R<(f64, f64)> {
    let s = t.shape();
    if s.len() < 2 {
        return Err(Exception::value_error("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"));
    }
    let receptive: usize = s[2..].iter().product();
    Ok(((s[1] * receptive) as f64, (s[0] * receptive) as f64))
}

fn gain(nonlinearity: &str, param: Option<f64>) -> R<f64> {
    Ok(match nonlinearity {
        "linear" | "conv1d" | "conv2d" | "conv3d" | "sigmoid" => 1.0,
        "tanh" => 5.0 / 3.0,
        "relu" => 2f64.sqrt(),
        "leaky_relu" => {
            let a = param.unwrap_or(0.01);
            (2.0 / (1.0 + a * a)).sqrt()
        }
        "selu" => 0.75,
        other => return Err(Exception::value_error(format!("Unsupported nonlinearity {other}"))),
    })
}

fn uniform(t: &Tensor, args: &Args, lo: f64, hi: f64) -> R<()> {
    let g = generator_arg(args)?;
    let _guard = NoGrad::new();
    crate::tensor::uniform_(t, &mut g.borrow_mut(), lo, hi).map_err(exc)
}

fn normal(t: &Tensor, args: &Args, std: f64) -> R<()> {
    let g = generator_arg(args)?;
    let _guard = NoGrad::new();
    crate::tensor::normal_(t, &mut g.borrow_mut(), 0.0, std).map_err(exc)
}

/// The fan `mode` picks for the kaiming initialisers.
fn kaiming_fan(t: &Tensor, mode: Option<&Value>) -> R<f64> {
    let (fi, fo) = fans(t)?;
    match mode.map(Value::to_str).as_deref() {
        None | Some("fan_in") => Ok(fi),
        Some("fan_out") => Ok(fo),
        Some(other) => Err(Exception::value_error(format!("Mode {other} not supported, please use one of ['fan_in', 'fan_out']"))),
    }
}

pub fn init_module() -> Module {
    let m = Module::new("torch.nn.init");
    super::erfinv_init::install_init(&m);
    super::init_more::install(&m);
    m.set("uniform_", Value::builtin("uniform_", |_, args| {
        let [_t, a, b, _g] = args.bind(&["tensor", "a=", "b=", "generator="])?;
        let (t, v) = target(&args, "uniform_")?;
        uniform(&t, &args, f64_arg(a.as_ref(), 0.0, "a")?, f64_arg(b.as_ref(), 1.0, "b")?)?;
        Ok(v)
    }));
    m.set("normal_", Value::builtin("normal_", |_, args| {
        let [_t, mean, std, _g] = args.bind(&["tensor", "mean=", "std=", "generator="])?;
        let (t, v) = target(&args, "normal_")?;
        let g = generator_arg(&args)?;
        let _guard = NoGrad::new();
        crate::tensor::normal_(&t, &mut g.borrow_mut(), f64_arg(mean.as_ref(), 0.0, "mean")?, f64_arg(std.as_ref(), 1.0, "std")?).map_err(exc)?;
        Ok(v)
    }));
    for (name, fill) in [("zeros_", Some(0.0)), ("ones_", Some(1.0)), ("constant_", None)] {
        m.set(name, Value::builtin(name, move |_, args| {
            let [_t, val] = args.bind(&["tensor", if fill.is_some() { "_unused=" } else { "val" }])?;
            let (t, v) = target(&args, name)?;
            let x = match fill {
                Some(x) => x,
                None => f64_arg(val.as_ref(), 0.0, "val")?,
            };
            let _guard = NoGrad::new();
            t.fill_(Scalar::Float(x)).map_err(exc)?;
            Ok(v)
        }));
    }
    m.set("xavier_uniform_", Value::builtin("xavier_uniform_", |_, args| {
        let [_t, gain_v, _g] = args.bind(&["tensor", "gain=", "generator="])?;
        let (t, v) = target(&args, "xavier_uniform_")?;
        let (fi, fo) = fans(&t)?;
        let std = f64_arg(gain_v.as_ref(), 1.0, "gain")? * (2.0 / (fi + fo)).sqrt();
        let a = 3f64.sqrt() * std;
        uniform(&t, &args, -a, a)?;
        Ok(v)
    }));
    m.set("kaiming_uniform_", Value::builtin("kaiming_uniform_", |_, args| {
        let [_t, a, mode, nonlinearity, _g] = args.bind(&["tensor", "a=", "mode=", "nonlinearity=", "generator="])?;
        let (t, v) = target(&args, "kaiming_uniform_")?;
        let fan = kaiming_fan(&t, mode.as_ref())?;
        let nl = nonlinearity.as_ref().map_or("leaky_relu".to_string(), Value::to_str);
        let g = gain(&nl, Some(f64_arg(a.as_ref(), 0.0, "a")?))?;
        let bound = 3f64.sqrt() * (g / fan.sqrt());
        uniform(&t, &args, -bound, bound)?;
        Ok(v)
    }));
    m.set("xavier_normal_", Value::builtin("xavier_normal_", |_, args| {
        let [_t, gain_v, _g] = args.bind(&["tensor", "gain=", "generator="])?;
        let (t, v) = target(&args, "xavier_normal_")?;
        let (fi, fo) = fans(&t)?;
        let std = f64_arg(gain_v.as_ref(), 1.0, "gain")? * (2.0 / (fi + fo)).sqrt();
        normal(&t, &args, std)?;
        Ok(v)
    }));
    m.set("kaiming_normal_", Value::builtin("kaiming_normal_", |_, args| {
        let [_t, a, mode, nonlinearity, _g] = args.bind(&["tensor", "a=", "mode=", "nonlinearity=", "generator="])?;
        let (t, v) = target(&args, "kaiming_normal_")?;
        let fan = kaiming_fan(&t, mode.as_ref())?;
        let nl = nonlinearity.as_ref().map_or("leaky_relu".to_string(), Value::to_str);
        let std = gain(&nl, Some(f64_arg(a.as_ref(), 0.0, "a")?))? / fan.sqrt();
        normal(&t, &args, std)?;
        Ok(v)
    }));
    m.set("eye_", Value::builtin("eye_", |_, args| {
        let [_t] = args.bind(&["tensor"])?;
        let (t, v) = target(&args, "eye_")?;
        let s = t.shape();
        if s.len() != 2 {
            return Err(Exception::value_error("Only tensors with 2 dimensions are supported"));
        }
        let _guard = NoGrad::new();
        t.copy_(&Tensor::eye(s[0], s[1], t.dtype())).map_err(exc)?;
        Ok(v)
    }));
    m.set("dirac_", Value::builtin("dirac_", |_, args| {
        let [_t, groups] = args.bind(&["tensor", "groups="])?;
        let (t, v) = target(&args, "dirac_")?;
        let s = t.shape();
        if !(3..=5).contains(&s.len()) {
            return Err(Exception::value_error("Only tensors with 3, 4, or 5 dimensions are supported"));
        }
        let groups = match groups {
            None | Some(Value::None) => 1,
            Some(g) => g.expect_int("groups")?.max(1) as usize,
        };
        if s[0] % groups != 0 {
            return Err(Exception::value_error("dim 0 must be divisible by groups"));
        }
        // Zeros with a 1 at the spatial centre of kernel [g * per_group + d, d] for each group.
        let per_group = s[0] / groups;
        let mut data = vec![0.0f64; s.iter().product()];
        let centre: usize = s[2..].iter().fold(0, |acc, &n| acc * n + n / 2);
        let kernel: usize = s[2..].iter().product();
        for g in 0..groups {
            for d in 0..per_group.min(s[1]) {
                data[((g * per_group + d) * s[1] + d) * kernel + centre] = 1.0;
            }
        }
        let filled = Tensor::from_data(crate::tensor::Data::F64(data), &s).and_then(|x| x.to_dtype(t.dtype())).map_err(exc)?;
        let _guard = NoGrad::new();
        t.copy_(&filled).map_err(exc)?;
        Ok(v)
    }));
    m.set("calculate_gain", Value::builtin("calculate_gain", |_, args| {
        let [nl, param] = args.bind(&["nonlinearity", "param="])?;
        let p = match param {
            None | Some(Value::None) => None,
            Some(p) => Some(f64_arg(Some(&p), 0.01, "param")?),
        };
        Ok(Value::Float(gain(&nl.map_or(String::new(), |v| v.to_str()), p)?))
    }));
    m
}
