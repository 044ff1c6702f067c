//! `nn.MaxPool3d`, `nn.AvgPool3d`, `nn.AdaptiveAvgPool3d`, `nn.AdaptiveMaxPool3d` and their
//! `F.` forms over the engine's `tensor::pool3d`: argument parsing, reprs (the arguments as
//! given, as PyTorch keeps them) and `return_indices`.

use std::any::Any;

use super::convert::tensor_arg;
use super::convert::{bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::{R, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::pool3d::{self, Pool3dSpec};

/// An int or a sequence of three non-negative ints, or `what`'s message (ATen's words).
fn triple(v: &Value, fname: &str, what: &str) -> R<[usize; 3]> {
    let bad = || {
        let how = match what {
            "stride" => "must either be omitted, a single int, or a tuple of three ints",
            "dilation" => "must be either a single int, or a tuple of three ints",
            _ => "must either be a single int, or a tuple of three ints",
        };
        Exception::runtime_error(format!("{fname}: {what} {how}"))
    };
    let items = match v {
        Value::Tuple(t) => t.to_vec(),
        Value::List(l) => l.borrow().clone(),
        v => vec![v.clone(); 3],
    };
    if items.len() != 3 && items.len() != 1 {
        return Err(bad());
    }
    let one = |v: &Value| -> R<usize> {
        let i = v.expect_int(what)?;
        usize::try_from(i)
            .map_err(|_| Exception::runtime_error(format!("{fname}: {what} must be non-negative")))
    };
    let v: Vec<usize> = items.iter().map(one).collect::<R<_>>()?;
    Ok(if v.len() == 1 {
        [v[0]; 3]
    } else {
        [v[0], v[1], v[2]]
    })
}

fn given(v: &Option<Value>) -> Option<&Value> {
    v.as_ref().filter(|v| !v.is_none())
}

/// The spec from the arguments; a stride omitted (or None, or empty) is the kernel size.
fn pool_spec(
    fname: &str,
    k: &Option<Value>,
    s: &Option<Value>,
    p: &Option<Value>,
    d: &Option<Value>,
    ceil: &Option<Value>,
) -> R<Pool3dSpec> {
    let kv = given(k).ok_or_else(|| {
        Exception::type_error(format!("{fname}() missing required argument 'kernel_size'"))
    })?;
    let kernel = triple(kv, fname, "kernel_size")?;
    let stride = match given(s) {
        None => kernel,
        Some(Value::Tuple(t)) if t.is_empty() => kernel,
        Some(Value::List(l)) if l.borrow().is_empty() => kernel,
        Some(v) => triple(v, fname, "stride")?,
    };
    let padding = given(p).map_or(Ok([0; 3]), |v| triple(v, fname, "padding"))?;
    let dilation = given(d).map_or(Ok([1; 3]), |v| triple(v, fname, "dilation"))?;
    Ok(Pool3dSpec {
        kernel,
        stride,
        padding,
        dilation,
        ceil_mode: bool_arg(ceil.as_ref(), false),
    })
}

/// `output_size`: an int or three ints or Nones (None keeps the input's size).
fn out_size(v: &Option<Value>, fname: &str, msg: &str) -> R<Vec<Option<usize>>> {
    let one = |v: &Value| -> R<Option<usize>> {
        if v.is_none() {
            return Ok(None);
        }
        let i = v.expect_int("output_size")?;
        usize::try_from(i).map(Some).map_err(|_| {
            Exception::runtime_error(format!(
                "{fname}(): Expected output_size to be positive, but got {i}"
            ))
        })
    };
    let v = v.as_ref().ok_or_else(|| {
        Exception::type_error(format!("{fname}() missing required argument 'output_size'"))
    })?;
    let sizes = match v {
        Value::Tuple(t) => t.iter().map(one).collect::<R<Vec<_>>>()?,
        Value::List(l) => l.borrow().iter().map(one).collect::<R<Vec<_>>>()?,
        v => vec![one(v)?; 3],
    };
    if sizes.len() != 3 {
        return Err(Exception::runtime_error(msg.to_string()));
    }
    Ok(sizes)
}

/// The sizes with each None replaced by the input's size there.
fn resolve(x: &Tensor, size: &[Option<usize>]) -> [usize; 3] {
    let s = x.shape();
    let dim = |k: usize| if s.len() >= 3 { s[s.len() - 3 + k] } else { 0 };
    [0, 1, 2].map(|k| size[k].unwrap_or_else(|| dim(k)))
}

fn values((y, i): (Tensor, Tensor), indices: bool) -> Value {
    if indices {
        Value::tuple(vec![tv(y), tv(i)])
    } else {
        tv(y)
    }
}

const AVG_SIZE_MSG: &str = "adaptive_avg_pool3d: output_size must be 3";
const MAX_SIZE_MSG: &str = "adaptive_max_pool3d(): internal error: output_size.size() must be 3";

/// What a 3-d pooling module does.
#[derive(Clone)]
enum Kind {
    Max {
        spec: Pool3dSpec,
        indices: bool,
    },
    Avg {
        spec: Pool3dSpec,
        include_pad: bool,
        divisor: Option<i64>,
    },
    AdaptiveAvg(Vec<Option<usize>>),
    AdaptiveMax(Vec<Option<usize>>, bool),
}

struct Pool3d {
    kind: Kind,
    /// The repr's arguments, as given.
    text: String,
    /// Attributes as given (`kernel_size`, `stride`, ...).
    attrs: Vec<(&'static str, Value)>,
}

impl ExtLayer for Pool3d {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Max { .. } => "MaxPool3d",
            Kind::Avg { .. } => "AvgPool3d",
            Kind::AdaptiveAvg(_) => "AdaptiveAvgPool3d",
            Kind::AdaptiveMax(..) => "AdaptiveMaxPool3d",
        }
    }
    fn repr(&self) -> String {
        format!("{}({})", self.name(), self.text)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        Ok(match &self.kind {
            Kind::Max { spec, indices } => {
                values(pool3d::max_pool3d(&x, spec).map_err(exc)?, *indices)
            }
            Kind::Avg {
                spec,
                include_pad,
                divisor,
            } => tv(pool3d::avg_pool3d(&x, spec, *include_pad, *divisor).map_err(exc)?),
            Kind::AdaptiveAvg(size) => {
                tv(pool3d::adaptive_avg_pool3d(&x, resolve(&x, size)).map_err(exc)?)
            }
            Kind::AdaptiveMax(size, indices) => values(
                pool3d::adaptive_max_pool3d(&x, resolve(&x, size)).map_err(exc)?,
                *indices,
            ),
        })
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        self.attrs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(Pool3d {
            kind: self.kind.clone(),
            text: self.text.clone(),
            attrs: self.attrs.clone(),
        }))
    }
}

fn shown(v: &Option<Value>, default: &str) -> String {
    given(v).map_or_else(|| default.to_string(), Value::repr)
}

fn attr(v: &Option<Value>, default: Value) -> Value {
    given(v).cloned().unwrap_or(default)
}

/// Adds the four classes to `torch.nn`.
pub fn register(m: &Module) {
    m.set(
        "MaxPool3d",
        class("MaxPool3d", "torch.nn", |_, args| {
            let [k, s, p, d, ri, c] = args.bind(&[
                "kernel_size",
                "stride=",
                "padding=",
                "dilation=",
                "return_indices=",
                "ceil_mode=",
            ])?;
            let spec = pool_spec("max_pool3d", &k, &s, &p, &d, &c)?;
            let ks = shown(&k, "None");
            let ceil = bool_arg(c.as_ref(), false);
            let indices = bool_arg(ri.as_ref(), false);
            let text = format!(
                "kernel_size={ks}, stride={}, padding={}, dilation={}, ceil_mode={}",
                shown(&s, &ks),
                shown(&p, "0"),
                shown(&d, "1"),
                if ceil { "True" } else { "False" }
            );
            let kv = attr(&k, Value::None);
            let attrs = vec![
                ("kernel_size", kv.clone()),
                ("stride", attr(&s, kv)),
                ("padding", attr(&p, Value::Int(0))),
                ("dilation", attr(&d, Value::Int(1))),
                ("return_indices", Value::Bool(indices)),
                ("ceil_mode", Value::Bool(ceil)),
            ];
            Ok(ext_module(Pool3d {
                kind: Kind::Max { spec, indices },
                text,
                attrs,
            }))
        }),
    );
    m.set(
        "AvgPool3d",
        class("AvgPool3d", "torch.nn", |_, args| {
            let [k, s, p, c, cip, div] = args.bind(&[
                "kernel_size",
                "stride=",
                "padding=",
                "ceil_mode=",
                "count_include_pad=",
                "divisor_override=",
            ])?;
            let spec = pool_spec("avg_pool3d", &k, &s, &p, &None, &c)?;
            let divisor = given(&div)
                .map(|v| v.expect_int("divisor_override"))
                .transpose()?;
            let ks = shown(&k, "None");
            let text = format!(
                "kernel_size={ks}, stride={}, padding={}",
                shown(&s, &ks),
                shown(&p, "0")
            );
            let include_pad = bool_arg(cip.as_ref(), true);
            let kv = attr(&k, Value::None);
            let attrs = vec![
                ("kernel_size", kv.clone()),
                ("stride", attr(&s, kv)),
                ("padding", attr(&p, Value::Int(0))),
                ("ceil_mode", Value::Bool(bool_arg(c.as_ref(), false))),
                ("count_include_pad", Value::Bool(include_pad)),
                ("divisor_override", attr(&div, Value::None)),
            ];
            Ok(ext_module(Pool3d {
                kind: Kind::Avg {
                    spec,
                    include_pad,
                    divisor,
                },
                text,
                attrs,
            }))
        }),
    );
    m.set(
        "AdaptiveAvgPool3d",
        class("AdaptiveAvgPool3d", "torch.nn", |_, args| {
            let [o] = args.bind(&["output_size"])?;
            let size = out_size(&o, "adaptive_avg_pool3d", AVG_SIZE_MSG)?;
            let text = format!("output_size={}", shown(&o, "None"));
            let attrs = vec![("output_size", attr(&o, Value::None))];
            Ok(ext_module(Pool3d {
                kind: Kind::AdaptiveAvg(size),
                text,
                attrs,
            }))
        }),
    );
    m.set(
        "AdaptiveMaxPool3d",
        class("AdaptiveMaxPool3d", "torch.nn", |_, args| {
            let [o, ri] = args.bind(&["output_size", "return_indices="])?;
            let size = out_size(&o, "adaptive_max_pool3d", MAX_SIZE_MSG)?;
            let indices = bool_arg(ri.as_ref(), false);
            let text = format!("output_size={}", shown(&o, "None"));
            let attrs = vec![
                ("output_size", attr(&o, Value::None)),
                ("return_indices", Value::Bool(indices)),
            ];
            Ok(ext_module(Pool3d {
                kind: Kind::AdaptiveMax(size, indices),
                text,
                attrs,
            }))
        }),
    );
}

/// Adds `max_pool3d`(`_with_indices`), `avg_pool3d`, `adaptive_avg_pool3d` and
/// `adaptive_max_pool3d`(`_with_indices`) to `torch.nn.functional`.
pub fn add_functional(m: &Module) {
    for (name, always) in [("max_pool3d", false), ("max_pool3d_with_indices", true)] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, k, s, p, d, c, ri] = args.bind(&[
                    "input",
                    "kernel_size",
                    "stride=",
                    "padding=",
                    "dilation=",
                    "ceil_mode=",
                    "return_indices=",
                ])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let spec = pool_spec("max_pool3d", &k, &s, &p, &d, &c)?;
                Ok(values(
                    pool3d::max_pool3d(&x, &spec).map_err(exc)?,
                    always || bool_arg(ri.as_ref(), false),
                ))
            }),
        );
    }
    m.set(
        "avg_pool3d",
        Value::builtin("avg_pool3d", |_, args| {
            let [x, k, s, p, c, cip, div] = args.bind(&[
                "input",
                "kernel_size",
                "stride=",
                "padding=",
                "ceil_mode=",
                "count_include_pad=",
                "divisor_override=",
            ])?;
            let x = tensor_arg(x.as_ref(), "input")?;
            let spec = pool_spec("avg_pool3d", &k, &s, &p, &None, &c)?;
            let divisor = given(&div)
                .map(|v| v.expect_int("divisor_override"))
                .transpose()?;
            Ok(tv(pool3d::avg_pool3d(
                &x,
                &spec,
                bool_arg(cip.as_ref(), true),
                divisor,
            )
            .map_err(exc)?))
        }),
    );
    m.set(
        "adaptive_avg_pool3d",
        Value::builtin("adaptive_avg_pool3d", |_, args| {
            let [x, o] = args.bind(&["input", "output_size"])?;
            let x = tensor_arg(x.as_ref(), "input")?;
            let size = out_size(&o, "adaptive_avg_pool3d", AVG_SIZE_MSG)?;
            Ok(tv(
                pool3d::adaptive_avg_pool3d(&x, resolve(&x, &size)).map_err(exc)?
            ))
        }),
    );
    for (name, always) in [
        ("adaptive_max_pool3d", false),
        ("adaptive_max_pool3d_with_indices", true),
    ] {
        m.set(
            name,
            Value::builtin(name, move |_, args| {
                let [x, o, ri] = args.bind(&["input", "output_size", "return_indices="])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let size = out_size(&o, "adaptive_max_pool3d", MAX_SIZE_MSG)?;
                Ok(values(
                    pool3d::adaptive_max_pool3d(&x, resolve(&x, &size)).map_err(exc)?,
                    always || bool_arg(ri.as_ref(), false),
                ))
            }),
        );
    }
}
