//! `nn.Fold`/`nn.Unfold` and `F.fold`/`F.unfold` (col2im/im2col, `tensor::fold`): argument
//! parsing and the modules, whose reprs show the arguments as given.

use std::any::Any;

use super::class;
use super::convert::{as_tensor, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::fold::{FoldSpec, fold, unfold};

type R<T> = Result<T, Exception>;

/// An int or a pair of ints, as `_pair` reads it and ATen checks its length.
fn pair(interp: &mut Interpreter, v: &Value, what: &str) -> R<[i64; 2]> {
    if let Value::Int(n) = v {
        return Ok([*n, *n]);
    }
    let items = interp.iterate(v)?;
    if items.len() != 2 {
        return Err(Exception::runtime_error(format!(
            "It is expected {what} equals to 2, but got size {}",
            items.len()
        )));
    }
    Ok([items[0].expect_int(what)?, items[1].expect_int(what)?])
}

/// The four arguments (kernel_size, dilation, padding, stride), None for the defaults.
fn spec(interp: &mut Interpreter, args: [Option<&Value>; 4]) -> R<FoldSpec> {
    let [k, d, p, s] = args;
    let get = |interp: &mut Interpreter, v: Option<&Value>, def: i64, what: &str| match v {
        None => Ok([def, def]),
        Some(v) => pair(interp, v, what),
    };
    let k = match k {
        Some(k) => pair(interp, k, "kernel_size")?,
        None => {
            return Err(Exception::type_error(
                "missing required argument 'kernel_size'",
            ));
        }
    };
    let d = get(interp, d, 1, "dilation")?;
    let p = get(interp, p, 0, "padding")?;
    let s = get(interp, s, 1, "stride")?;
    if p[0] < 0 || p[1] < 0 {
        return Err(Exception::runtime_error(format!(
            "padding should be non-negative, but got pad_height: {} pad_width: {}",
            p[0], p[1]
        )));
    }
    for (what, short, [h, w]) in [
        ("kernel size", "kernel", k),
        ("stride", "stride", s),
        ("dilation", "dilation", d),
    ] {
        if h <= 0 || w <= 0 {
            return Err(Exception::runtime_error(format!(
                "{what} should be greater than zero, but got {short}_height: {h} {short}_width: {w}"
            )));
        }
    }
    let u = |a: [i64; 2]| a.map(|v| v as usize);
    Ok(FoldSpec {
        kernel: u(k),
        dilation: u(d),
        padding: u(p),
        stride: u(s),
    })
}

fn tensor(v: Option<&Value>, f: &str) -> R<Tensor> {
    v.and_then(as_tensor)
        .cloned()
        .ok_or_else(|| Exception::type_error(format!("{f}(): argument 'input' must be Tensor")))
}

fn output_size(interp: &mut Interpreter, v: Option<&Value>) -> R<[usize; 2]> {
    let v = v.ok_or_else(|| Exception::type_error("missing required argument 'output_size'"))?;
    let [h, w] = pair(interp, v, "output_size")?;
    if h < 0 || w < 0 {
        return Err(Exception::runtime_error(format!(
            "output_size should be non-negative, but got output_height: {h} output_width: {w}"
        )));
    }
    Ok([h as usize, w as usize])
}

struct FoldLayer {
    /// None for `Unfold`.
    output_size: Option<[usize; 2]>,
    spec: FoldSpec,
    /// The arguments as given, for the repr and attributes: output_size (Fold only),
    /// kernel_size, dilation, padding, stride.
    shown: Vec<(&'static str, Value)>,
}

impl ExtLayer for FoldLayer {
    fn name(&self) -> &str {
        if self.output_size.is_some() {
            "Fold"
        } else {
            "Unfold"
        }
    }
    fn repr(&self) -> String {
        let items: Vec<String> = self
            .shown
            .iter()
            .map(|(k, v)| format!("{k}={}", v.repr()))
            .collect();
        format!("{}({})", self.name(), items.join(", "))
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor(x.as_ref(), self.name())?;
        let out = match self.output_size {
            Some(size) => fold(&x, size, &self.spec),
            None => unfold(&x, &self.spec),
        };
        Ok(tv(out.map_err(exc)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        self.shown
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(FoldLayer {
            output_size: self.output_size,
            spec: self.spec,
            shown: self.shown.clone(),
        }))
    }
}

const PARAMS: [&str; 4] = ["kernel_size", "dilation", "padding", "stride"];
const DEFAULTS: [i64; 4] = [0, 1, 0, 1];

/// Adds `nn.Fold` and `nn.Unfold`.
pub fn register(m: &Module) {
    m.set(
        "Unfold",
        class("Unfold", "torch.nn", |interp, args| {
            let a: [Option<Value>; 4] =
                args.bind(&["kernel_size", "dilation=", "padding=", "stride="])?;
            let spec = spec(interp, [&a[0], &a[1], &a[2], &a[3]].map(Option::as_ref))?;
            let shown = shown(&a);
            Ok(ext_module(FoldLayer {
                output_size: None,
                spec,
                shown,
            }))
        }),
    );
    m.set(
        "Fold",
        class("Fold", "torch.nn", |interp, args| {
            let [o, k, d, p, s] = args.bind(&[
                "output_size",
                "kernel_size",
                "dilation=",
                "padding=",
                "stride=",
            ])?;
            let size = output_size(interp, o.as_ref())?;
            let a = [k, d, p, s];
            let spec = spec(interp, [&a[0], &a[1], &a[2], &a[3]].map(Option::as_ref))?;
            let mut shown_args = vec![("output_size", o.unwrap_or(Value::None))];
            shown_args.extend(shown(&a));
            Ok(ext_module(FoldLayer {
                output_size: Some(size),
                spec,
                shown: shown_args,
            }))
        }),
    );
}

fn shown(a: &[Option<Value>; 4]) -> Vec<(&'static str, Value)> {
    PARAMS
        .iter()
        .zip(a)
        .zip(DEFAULTS)
        .map(|((&k, v), def)| (k, v.clone().unwrap_or(Value::Int(def))))
        .collect()
}

/// Adds `F.fold` and `F.unfold`.
pub fn add_functional(m: &Module) {
    m.set(
        "unfold",
        Value::builtin("unfold", |interp, args| {
            let [x, k, d, p, s] =
                args.bind(&["input", "kernel_size", "dilation=", "padding=", "stride="])?;
            let x = tensor(x.as_ref(), "unfold")?;
            let spec = spec(interp, [k.as_ref(), d.as_ref(), p.as_ref(), s.as_ref()])?;
            Ok(tv(unfold(&x, &spec).map_err(exc)?))
        }),
    );
    m.set(
        "fold",
        Value::builtin("fold", |interp, args| {
            let [x, o, k, d, p, s] = args.bind(&[
                "input",
                "output_size",
                "kernel_size",
                "dilation=",
                "padding=",
                "stride=",
            ])?;
            let x = tensor(x.as_ref(), "fold")?;
            let size = output_size(interp, o.as_ref())?;
            let spec = spec(interp, [k.as_ref(), d.as_ref(), p.as_ref(), s.as_ref()])?;
            Ok(tv(fold(&x, size, &spec).map_err(exc)?))
        }),
    );
}
