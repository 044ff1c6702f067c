//! `torch.nn.attention`: the `SDPBackend` enum and the `sdpa_kernel` context manager, which
//! choose the implementations `F.scaled_dot_product_attention` may use (the engine's
//! sdp_backends.rs), and `torch.nn.attention.bias`: `CausalBias`, a `torch.Tensor` subclass
//! standing for a causal mask aligned to the upper left or the lower right of the scores, with
//! its factories `causal_upper_left` / `causal_lower_right` and its `CausalVariant`.
//!
//! `CausalBias` is a Python class deriving from `torch.Tensor` whose methods are native; an
//! instance holds `variant`, `seq_len_q` and `seq_len_kv` only. PyTorch hands it to SDPA
//! through `__torch_function__`; here `F.scaled_dot_product_attention` asks [`causal_bias`].

use std::cell::Cell;
use std::rc::Rc;

use super::convert::{exc, tv};
use super::prune::method;
use crate::lang::ast::NameMap;
use crate::lang::native::NativeObject;
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::sdp_backends::{self, Backend};
use crate::tensor::{DType, Tensor};

type R<T> = Result<T, Exception>;

const BIAS_MODULE: &str = "torch.nn.attention.bias";

/// A member of `SDPBackend` (`None` is `ERROR`, -1).
struct SdpBackend(Option<Backend>);

impl SdpBackend {
    fn name(&self) -> &'static str {
        self.0.map_or("ERROR", Backend::name)
    }
    fn value(&self) -> i64 {
        self.0.map_or(-1, |b| b as i64)
    }
}

impl NativeObject for SdpBackend {
    fn type_name(&self) -> &str {
        "_SDPBackend"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.nn.attention")
    }
    fn repr(&self) -> String {
        format!("<SDPBackend.{}: {}>", self.name(), self.value())
    }
    fn str(&self) -> String {
        format!("SDPBackend.{}", self.name())
    }
    fn index(&self) -> Option<Result<i64, String>> {
        Some(Ok(self.value()))
    }
    fn hash(&self) -> Option<u64> {
        Some(self.value() as u64)
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "_SDPBackend"
    }
    fn as_number(&self, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::Int(self.value())))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(self.name())),
            "value" => Some(Value::Int(self.value())),
            _ => None,
        })
    }
}

/// What `with sdpa_kernel(backends):` does: PyTorch's generator-based context manager, which
/// checks its argument only when entered, enables exactly the backends listed and restores the
/// previous flags on exit.
struct SdpaKernel {
    backends: Value,
    saved: Cell<Option<Vec<bool>>>,
}

impl SdpaKernel {
    fn listed(&self) -> R<Vec<Backend>> {
        let one = |v: &Value| v.downcast::<SdpBackend>().and_then(|b| b.0);
        match &self.backends {
            Value::List(items) => Ok(items.borrow().iter().filter_map(one).collect()),
            v if v.downcast::<SdpBackend>().is_some() => Ok(one(v).into_iter().collect()),
            v => Err(Exception::new(
                "AssertionError",
                format!(
                    "Backend must be an instance of SDPBackend or a list of SDPBackend instances, got {}",
                    v.type_name()
                ),
            )),
        }
    }
}

impl NativeObject for SdpaKernel {
    fn type_name(&self) -> &str {
        "_GeneratorContextManager"
    }
    fn module_name(&self) -> Option<&str> {
        Some("contextlib")
    }
    fn repr(&self) -> String {
        "<contextlib._GeneratorContextManager object at 0x7f0000000000>".into()
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let listed = self.listed()?;
        self.saved.set(Some(
            Backend::ALL
                .iter()
                .map(|&b| sdp_backends::enabled(b))
                .collect(),
        ));
        for b in Backend::ALL {
            sdp_backends::set_enabled(b, listed.contains(&b));
        }
        Ok(Some(Value::dict(crate::lang::Dict::new())))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        if let Some(saved) = self.saved.take() {
            for (b, on) in Backend::ALL.into_iter().zip(saved) {
                sdp_backends::set_enabled(b, on);
            }
        }
        Ok(false)
    }
}

/// A member of `CausalVariant` (an `IntEnum`: 1 upper left, 2 lower right).
#[derive(Clone, Copy, PartialEq)]
struct Variant(i64);

impl Variant {
    fn name(self) -> &'static str {
        if self.0 == 1 {
            "UPPER_LEFT"
        } else {
            "LOWER_RIGHT"
        }
    }
}

impl NativeObject for Variant {
    fn type_name(&self) -> &str {
        "CausalVariant"
    }
    fn module_name(&self) -> Option<&str> {
        Some(BIAS_MODULE)
    }
    fn repr(&self) -> String {
        format!("<CausalVariant.{}: {}>", self.name(), self.0)
    }
    // Python 3.11's IntEnum prints as its int.
    fn str(&self) -> String {
        self.0.to_string()
    }
    fn index(&self) -> Option<Result<i64, String>> {
        Some(Ok(self.0))
    }
    fn hash(&self) -> Option<u64> {
        Some(self.0 as u64)
    }
    fn as_number(&self, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::Int(self.0)))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(self.name())),
            "value" => Some(Value::Int(self.0)),
            _ => None,
        })
    }
}

/// Builds `torch.nn.attention` and `torch.nn.attention.bias`, sets the first on `nn` and
/// registers both; `tensor_type` is `torch.Tensor`, CausalBias's base.
pub fn install(interp: &mut Interpreter, nn: &Module, tensor_type: Option<Rc<TypeObj>>) {
    sdp_backends::reset();
    let m = Rc::new(Module::new("torch.nn.attention"));
    let mut members = NameMap::default();
    for b in [None].into_iter().chain(Backend::ALL.map(Some)) {
        let v = Value::native(SdpBackend(b));
        members.insert(SdpBackend(b).name().into(), v);
    }
    let backend_cls = Rc::new(TypeObj::build(
        "_SDPBackend".into(),
        Some("torch.nn.attention".into()),
        None,
        None,
        members,
    ));
    m.set("SDPBackend", Value::Type(backend_cls));
    m.set(
        "sdpa_kernel",
        Value::builtin("sdpa_kernel", |_, args| {
            let [backends, _set_priority] = args.bind(&["backends", "set_priority="])?;
            Ok(Value::native(SdpaKernel {
                backends: backends.unwrap_or(Value::None),
                saved: Cell::new(None),
            }))
        }),
    );
    let bias = Rc::new(bias_module(tensor_type));
    m.set("bias", Value::Module(bias.clone()));
    let m = Value::Module(m);
    nn.set("attention", m.clone());
    interp.register_module("torch.nn.attention", m);
    interp.register_module(BIAS_MODULE, Value::Module(bias));
}

fn bias_module(tensor_type: Option<Rc<TypeObj>>) -> Module {
    let m = Module::new(BIAS_MODULE);
    let mut variants = NameMap::default();
    variants.insert("UPPER_LEFT".into(), Value::native(Variant(1)));
    variants.insert("LOWER_RIGHT".into(), Value::native(Variant(2)));
    let variant_cls = Rc::new(TypeObj::build(
        "CausalVariant".into(),
        Some(BIAS_MODULE.into()),
        None,
        None,
        variants,
    ));
    m.set("CausalVariant", Value::Type(variant_cls));

    let mut attrs = NameMap::default();
    method(&mut attrs, "__init__", |it, this, args| {
        let [variant, q, kv] = args.bind(&["variant", "seq_len_q", "seq_len_kv"])?;
        let variant = variant.unwrap_or(Value::None);
        if variant.downcast::<Variant>().is_none() {
            return Err(Exception::new(
                "AssertionError",
                format!(
                    "variant must be a CausalVariant, got {}",
                    variant.type_name()
                ),
            ));
        }
        it.set_attr(&this, "variant", variant)?;
        it.set_attr(&this, "seq_len_q", q.unwrap_or(Value::None))?;
        it.set_attr(&this, "seq_len_kv", kv.unwrap_or(Value::None))?;
        Ok(Value::None)
    });
    method(&mut attrs, "_materialize", |it, this, args| {
        let [_device] = args.bind(&["device="])?;
        Ok(tv(materialize(it, &this)?))
    });
    method(&mut attrs, "__repr__", |it, this, args| {
        let [] = args.bind(&[])?;
        Ok(Value::str(&tv(materialize(it, &this)?).repr()))
    });
    attrs.insert("__module__".into(), Value::str(BIAS_MODULE));
    attrs.insert("__qualname__".into(), Value::str("CausalBias"));
    if let Some(base) = &tensor_type {
        attrs.insert(
            "__bases__".into(),
            Value::tuple(vec![Value::Type(base.clone())]),
        );
        attrs.insert(
            "__mro__".into(),
            Value::tuple(base.mro().into_iter().map(Value::Type).collect()),
        );
    }
    let cls = Rc::new(TypeObj::build(
        "CausalBias".into(),
        Some(BIAS_MODULE.into()),
        tensor_type,
        None,
        attrs,
    ));
    crate::lang::cycles::track_type(&cls);
    let cls = Value::Type(cls);
    m.set("CausalBias", cls.clone());
    for (name, variant) in [("causal_upper_left", 1), ("causal_lower_right", 2)] {
        let cls = cls.clone();
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                if !args.kw.is_empty() {
                    return Err(Exception::type_error(format!(
                        "{name}() got an unexpected keyword argument"
                    )));
                }
                if args.pos.len() != 2 {
                    return Err(Exception::new(
                        "AssertionError",
                        format!("{name} only supports 2D tensors"),
                    ));
                }
                let mut pos = vec![Value::native(Variant(variant))];
                pos.extend(args.pos.iter().cloned());
                it.call_positional(&cls, pos)
            }),
        );
    }
    m
}

/// A CausalBias's variant and sequence lengths.
fn parts(it: &mut Interpreter, bias: &Value) -> R<(Variant, i64, i64)> {
    let variant = it.get_attr(bias, "variant")?;
    let variant = *variant.downcast::<Variant>().ok_or_else(|| {
        Exception::value_error(format!(
            "CausalBias.variant must be a CausalVariant type, but found: {}",
            variant.repr()
        ))
    })?;
    let q = it.get_attr(bias, "seq_len_q")?.expect_int("seq_len_q")?;
    let kv = it.get_attr(bias, "seq_len_kv")?.expect_int("seq_len_kv")?;
    Ok((variant, q, kv))
}

/// The boolean mask a CausalBias stands for: `tril` of ones, shifted right by `kv - q` for the
/// lower-right variant.
fn materialize(it: &mut Interpreter, bias: &Value) -> R<Tensor> {
    let (variant, q, kv) = parts(it, bias)?;
    let (q, kv) = (
        usize::try_from(q).map_err(|_| size_error())?,
        usize::try_from(kv).map_err(|_| size_error())?,
    );
    let diagonal = if variant.0 == 1 {
        0
    } else {
        kv as i64 - q as i64
    };
    Tensor::ones(&[q, kv], DType::Bool)
        .tri(diagonal, false)
        .map_err(exc)
}

fn size_error() -> Exception {
    Exception::runtime_error("Trying to create tensor with negative dimension")
}

fn is_causal_bias(v: &Value) -> bool {
    matches!(v, Value::Instance(i) if i.class.mro().iter().any(|c| &*c.name == "CausalBias" && c.module.as_deref() == Some(BIAS_MODULE)))
}

/// What SDPA does with an `attn_mask` that is a CausalBias (its `_dispatch` on the CPU): the
/// upper-left variant, or equal lengths, is `is_causal=True` without a mask; the lower-right one
/// its materialized mask (PyTorch's fused kernels for it are CUDA's). `None` when `mask` is not
/// a CausalBias; otherwise `(mask, is_causal)`.
pub fn causal_bias(
    it: &mut Interpreter,
    mask: &Value,
    is_causal: bool,
) -> R<Option<(Option<Tensor>, bool)>> {
    if !is_causal_bias(mask) {
        return Ok(None);
    }
    if is_causal {
        return Err(Exception::value_error(
            "CausalBias should not be used with causal=True",
        ));
    }
    let (variant, q, kv) = parts(it, mask)?;
    if q == kv || variant.0 == 1 {
        return Ok(Some((None, true)));
    }
    Ok(Some((Some(materialize(it, mask)?), false)))
}
