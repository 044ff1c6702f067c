//! `F.pad` in its constant, reflect, replicate and circular modes, and the padding modules
//! (`nn.ZeroPad2d`, `nn.ConstantPad1d`, `nn.ReflectionPad2d`, `nn.CircularPad3d`, ...) as
//! that function with stored arguments.

use super::act_modules::FnActivation;
use super::class;
use super::convert::{exc, tv};
use crate::lang::ast::Name;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::nn as tnn;
use crate::tensor::pad_modes::{PadMode, pad_mode};

type R<T> = Result<T, Exception>;

fn tensor_arg(v: Option<&Value>) -> R<crate::tensor::Tensor> {
    v.and_then(super::convert::as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error("pad(): argument 'input' must be Tensor"))
}

/// Adds `F.pad`.
pub fn add_functional(m: &Module) {
    m.set(
        "pad",
        Value::builtin("pad", |interp, args| {
            let [x, pad, mode, value] = args.bind(&["input", "pad", "mode=", "value="])?;
            let x = tensor_arg(x.as_ref())?;
            let pad = ints(interp, pad.unwrap_or(Value::None))?;
            let mode = mode
                .as_ref()
                .map_or_else(|| "constant".to_string(), |m| m.to_str().to_string());
            let value = match value {
                None | Some(Value::None) => None,
                Some(v) => Some(v.expect_f64("value")?),
            };
            let out = match mode.as_str() {
                "constant" => tnn::constant_pad(&x, &pad, value.unwrap_or(0.0)),
                "reflect" | "replicate" | "circular" if value.is_some_and(|v| v != 0.0) => {
                    return Err(Exception::runtime_error(format!(
                        "Padding mode \"{mode}\" doesn't take in value argument"
                    )));
                }
                "reflect" => pad_mode(&x, &pad, PadMode::Reflect),
                "replicate" => pad_mode(&x, &pad, PadMode::Replicate),
                "circular" => pad_mode(&x, &pad, PadMode::Circular),
                other => return Err(Exception::unsupported(format!("F.pad with mode='{other}'"))),
            };
            Ok(tv(out.map_err(exc)?))
        }),
    );
}

fn ints(interp: &mut Interpreter, v: Value) -> R<Vec<i64>> {
    interp
        .iterate(&v)?
        .iter()
        .map(|v| v.expect_int("pad"))
        .collect()
}

/// The padding classes: name, dims padded, mode.
const CLASSES: &[(&str, usize, &str)] = &[
    ("ZeroPad1d", 1, "zero"),
    ("ZeroPad2d", 2, "zero"),
    ("ZeroPad3d", 3, "zero"),
    ("ConstantPad1d", 1, "constant"),
    ("ConstantPad2d", 2, "constant"),
    ("ConstantPad3d", 3, "constant"),
    ("ReflectionPad1d", 1, "reflect"),
    ("ReflectionPad2d", 2, "reflect"),
    ("ReflectionPad3d", 3, "reflect"),
    ("ReplicationPad1d", 1, "replicate"),
    ("ReplicationPad2d", 2, "replicate"),
    ("ReplicationPad3d", 3, "replicate"),
    ("CircularPad1d", 1, "circular"),
    ("CircularPad2d", 2, "circular"),
    ("CircularPad3d", 3, "circular"),
];

fn tuple_text(p: &[i64]) -> String {
    let items: Vec<String> = p.iter().map(i64::to_string).collect();
    format!("({})", items.join(", "))
}

/// Adds the padding classes to `nn` (their forward is `functional`'s `pad`).
pub fn install_modules(nn: &Module, functional: &Module) {
    let Some(pad_fn) = functional.get("pad") else {
        return;
    };
    for &(name, dims, mode) in CLASSES {
        let f = pad_fn.clone();
        nn.set(
            name,
            class(name, "torch.nn", move |interp, mut args| {
                args.fname = format!("{name}.__init__").into();
                let (padding, value) = if mode == "constant" {
                    let [p, v] = args.bind(&["padding", "value"])?;
                    (p, v)
                } else {
                    let [p] = args.bind(&["padding"])?;
                    (p, None)
                };
                let padding = padding.unwrap_or(Value::None);
                let pad: Vec<i64> = match &padding {
                    Value::Int(p) => vec![*p; 2 * dims],
                    v => {
                        let p = ints(interp, v.clone())?;
                        if p.len() != 2 * dims {
                            return Err(Exception::new(
                                "ValueError",
                                format!(
                                    "Padding must be an int or a {}-tuple, got {}",
                                    2 * dims,
                                    p.len()
                                ),
                            ));
                        }
                        p
                    }
                };
                let pad_value = Value::tuple(pad.iter().map(|&p| Value::Int(p)).collect());
                let mut kw: Vec<(Name, Value)> = Vec::new();
                let extra = match mode {
                    "constant" => {
                        let v = value.unwrap_or(Value::Float(0.0));
                        let text = format!("padding={}, value={}", tuple_text(&pad), v.repr());
                        kw.push(("value".into(), v));
                        text
                    }
                    "zero" => tuple_text(&pad),
                    m => {
                        kw.push(("mode".into(), Value::str(m)));
                        tuple_text(&pad)
                    }
                };
                Ok(super::nn::ext_module(FnActivation {
                    name,
                    extra,
                    f: f.clone(),
                    pos: vec![pad_value],
                    kw,
                    inplace: false,
                    pass_training: false,
                }))
            }),
        );
    }
}
