//! Modules that are their `F.` function with stored arguments (`nn.ReLU6`, `nn.SELU`,
//! `nn.Threshold`, ..., any activation built with `inplace=True`, and the padding modules of
//! padding.rs), with PyTorch's reprs.

use std::any::Any;

use super::class;
use super::convert::as_tensor;
use super::ext::ExtLayer;
use crate::lang::ast::Name;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// A module whose forward is `f(input, *pos, **kw)`, in place when `inplace`.
#[derive(Clone)]
pub(super) struct FnActivation {
    pub name: &'static str,
    /// The repr's argument text.
    pub extra: String,
    pub f: Value,
    pub pos: Vec<Value>,
    pub kw: Vec<(Name, Value)>,
    pub inplace: bool,
    /// Dropout passes the module's training flag.
    pub pass_training: bool,
}

impl ExtLayer for FnActivation {
    fn name(&self) -> &str {
        self.name
    }
    fn repr(&self) -> String {
        format!("{}({})", self.name, self.extra)
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = x.ok_or_else(|| {
            Exception::type_error("forward() missing 1 required positional argument: 'input'")
        })?;
        let inplace = self.inplace && as_tensor(&x).is_some();
        let mut pos = vec![x];
        pos.extend(self.pos.iter().cloned());
        let mut kw = self.kw.clone();
        if self.pass_training {
            kw.push(("training".into(), Value::Bool(training)));
        }
        let call = Args {
            fname: self.name.into(),
            this: None,
            pos,
            kw,
        };
        super::inplace::call_inplace(interp, &self.f, call, inplace)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        (name == "inplace").then_some(Value::Bool(self.inplace))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(self.clone()))
    }
}

/// A repr argument: the value as given, else the default text.
fn shown(v: Option<&Value>, default: &str) -> String {
    v.map_or_else(|| default.to_string(), Value::repr)
}

/// One class: its name, its F function, its parameters (name, default repr; None: required),
/// and how its repr shows them.
struct Spec {
    class: &'static str,
    f: &'static str,
    params: &'static [(&'static str, Option<&'static str>)],
    repr: fn(&[String]) -> String,
}

const SPECS: &[Spec] = &[
    Spec {
        class: "ReLU6",
        f: "relu6",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "SELU",
        f: "selu",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "CELU",
        f: "celu",
        params: &[("alpha", Some("1.0"))],
        repr: |a| format!("alpha={}", a[0]),
    },
    Spec {
        class: "Hardswish",
        f: "hardswish",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "Hardsigmoid",
        f: "hardsigmoid",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "Softsign",
        f: "softsign",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "Tanhshrink",
        f: "tanhshrink",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "LogSigmoid",
        f: "logsigmoid",
        params: &[],
        repr: |_| String::new(),
    },
    Spec {
        class: "Threshold",
        f: "threshold",
        params: &[("threshold", None), ("value", None)],
        repr: |a| format!("threshold={}, value={}", a[0], a[1]),
    },
    Spec {
        class: "Hardshrink",
        f: "hardshrink",
        params: &[("lambd", Some("0.5"))],
        repr: |a| a[0].clone(),
    },
    Spec {
        class: "Softshrink",
        f: "softshrink",
        params: &[("lambd", Some("0.5"))],
        repr: |a| a[0].clone(),
    },
    Spec {
        class: "GLU",
        f: "glu",
        params: &[("dim", Some("-1"))],
        repr: |a| format!("dim={}", a[0]),
    },
    Spec {
        class: "Softmin",
        f: "softmin",
        params: &[("dim", Some("None"))],
        repr: |a| format!("dim={}", a[0]),
    },
];

/// Adds the classes of [`SPECS`] to `nn` (their functions from `functional`).
pub fn install(nn: &Module, functional: &Module) {
    for spec in SPECS {
        let Some(f) = functional.get(spec.f) else {
            continue;
        };
        let (class_name, params, repr) = (spec.class, spec.params, spec.repr);
        nn.set(
            class_name,
            class(class_name, "torch.nn", move |_, mut args| {
                // Python names the constructor in its argument errors.
                args.fname = format!("{class_name}.__init__").into();
                let mut names: Vec<String> = params
                    .iter()
                    .map(|(n, d)| {
                        if d.is_some() {
                            format!("{n}=")
                        } else {
                            n.to_string()
                        }
                    })
                    .collect();
                names.push("inplace=".into());
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let bound: Vec<Option<Value>> = match names.len() {
                    1 => args.bind::<1>(&names)?.into(),
                    2 => args.bind::<2>(&names)?.into(),
                    _ => args.bind::<3>(&names)?.into(),
                };
                let mut texts = Vec::new();
                let mut kw = Vec::new();
                for (i, (n, d)) in params.iter().enumerate() {
                    texts.push(shown(bound[i].as_ref(), d.unwrap_or("")));
                    if let Some(v) = &bound[i] {
                        kw.push((Name::from(*n), v.clone()));
                    }
                }
                Ok(super::nn::ext_module(FnActivation {
                    name: class_name,
                    extra: repr(&texts),
                    f: f.clone(),
                    pos: Vec::new(),
                    kw,
                    inplace: false,
                    pass_training: false,
                }))
            }),
        );
    }
}
