//! Attention layers as Python objects: nn.MultiheadAttention (with its out_proj, a
//! NonDynamicallyQuantizableLinear), nn.TransformerEncoderLayer, nn.TransformerEncoder and
//! F.scaled_dot_product_attention, with PyTorch's initialisation, children and reprs
//! (transformer_decoder.rs builds the decoders from the same parts).

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{as_tensor, bool_arg, exc, f64_arg, tensor_arg, tv};
use super::ext::ExtLayer;
use super::nn::{ext_module, native_module, PyModule};
use super::tensor::NoGrad;
use super::{class, Shared};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::attention::{self, MhaArgs};
use crate::tensor::nn as tnn;
use crate::tensor::{Generator, Tensor};

type R<T> = Result<T, Exception>;

fn opt_tensor(v: Option<Value>) -> Option<Tensor> {
    v.as_ref().and_then(as_tensor).cloned()
}

/// MultiheadAttention's `out_proj`: a Linear under another class name (it exists so that
/// quantization leaves it alone).
struct NdqLinear(RefCell<tnn::Linear>);

impl ExtLayer for NdqLinear {
    fn name(&self) -> &str {
        "NonDynamicallyQuantizableLinear"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let l = self.0.borrow();
        let mut v = vec![("weight".to_string(), l.weight.clone())];
        v.extend(l.bias.clone().map(|b| ("bias".to_string(), b)));
        v
    }
    fn repr(&self) -> String {
        format!("NonDynamicallyQuantizable{}", self.0.borrow().repr())
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        Ok(tv(self.0.borrow().forward(&x).map_err(exc)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let l = self.0.borrow();
        Some(match name {
            "weight" => tv(l.weight.clone()),
            "bias" => l.bias.clone().map_or(Value::None, tv),
            "in_features" => Value::Int(l.in_features as i64),
            "out_features" => Value::Int(l.out_features as i64),
            _ => return None,
        })
    }
    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        let mut l = self.0.borrow_mut();
        match (name, as_tensor(value)) {
            ("weight", Some(t)) => l.weight = t.clone(),
            ("bias", t) => l.bias = t.cloned(),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `nn.MultiheadAttention(embed_dim, num_heads, dropout, bias, batch_first)`.
pub(super) struct Mha {
    embed_dim: usize,
    num_heads: usize,
    dropout: f64,
    batch_first: bool,
    in_proj_weight: RefCell<Tensor>,
    in_proj_bias: RefCell<Option<Tensor>>,
    out_proj: Value,
    rng: Rc<RefCell<Generator>>,
}

fn ndq(v: &Value) -> Option<&NdqLinear> {
    v.downcast::<PyModule>()?.ext()?.as_any().downcast_ref::<NdqLinear>()
}

impl Mha {
    pub(super) fn new(embed_dim: usize, num_heads: usize, dropout: f64, bias: bool, batch_first: bool, rng: &Rc<RefCell<Generator>>) -> R<Mha> {
        if num_heads == 0 || !embed_dim.is_multiple_of(num_heads) {
            return Err(Exception::new("AssertionError", "embed_dim must be divisible by num_heads"));
        }
        let mut g = rng.borrow_mut();
        // out_proj is built (kaiming weight, uniform bias) before _reset_parameters draws the
        // packed projection with xavier_uniform_ and zeroes both biases.
        let out = tnn::Linear::new(embed_dim, embed_dim, bias, &mut g, super::default_dtype());
        let _guard = NoGrad::new();
        let w = Tensor::zeros(&[3 * embed_dim, embed_dim], super::default_dtype());
        let bound = (6.0 / (embed_dim + 3 * embed_dim) as f64).sqrt();
        crate::tensor::uniform_(&w, &mut g, -bound, bound).map_err(exc)?;
        if let Some(b) = &out.bias {
            b.zero_().map_err(exc)?;
        }
        let in_bias = bias.then(|| Tensor::parameter(&Tensor::zeros(&[3 * embed_dim], super::default_dtype())));
        Ok(Mha {
            embed_dim,
            num_heads,
            dropout,
            batch_first,
            in_proj_weight: RefCell::new(Tensor::parameter(&w)),
            in_proj_bias: RefCell::new(in_bias),
            out_proj: ext_module(NdqLinear(RefCell::new(out))),
            rng: rng.clone(),
        })
    }

    fn run(&self, args: &Args, training: bool) -> R<Value> {
        let [q, k, v, kpm, need_weights, attn_mask, average, is_causal] = args.bind(&[
            "query", "key", "value", "key_padding_mask=", "need_weights=", "attn_mask=", "average_attn_weights=", "is_causal=",
        ])?;
        let (qt, kt, vt) = (tensor_arg(q.as_ref(), "query")?, tensor_arg(k.as_ref(), "key")?, tensor_arg(v.as_ref(), "value")?);
        let self_attention = qt.same(&kt) && kt.same(&vt);
        let batched = qt.dim() == 3;
        if !batched && qt.dim() != 2 {
            return Err(Exception::new("AssertionError", format!("query should be unbatched 2D or batched 3D tensor but received {}-D query tensor", qt.dim())));
        }
        let prep = |t: &Tensor| -> R<Tensor> {
            let t = if batched { t.clone() } else { t.unsqueeze(1).map_err(exc)? };
            if self.batch_first && batched { t.transpose(0, 1).map_err(exc) } else { Ok(t) }
        };
        let (q3, k3, v3) = (prep(&qt)?, prep(&kt)?, prep(&vt)?);
        if q3.shape()[2] != self.embed_dim {
            return Err(Exception::new(
                "AssertionError",
                format!("was expecting embedding dimension of {}, but got {}", self.embed_dim, q3.shape()[2]),
            ));
        }
        let kpm = opt_tensor(kpm);
        let kpm = match kpm {
            Some(m) if !batched => Some(m.unsqueeze(0).map_err(exc)?),
            m => m,
        };
        let attn_mask = opt_tensor(attn_mask);
        let lin = ndq(&self.out_proj).ok_or_else(|| Exception::runtime_error("out_proj is not a Linear"))?;
        let lin = lin.0.borrow();
        let (w, b) = (self.in_proj_weight.borrow().clone(), self.in_proj_bias.borrow().clone());
        let need_weights = bool_arg(need_weights.as_ref(), true);
        let a = MhaArgs {
            num_heads: self.num_heads,
            in_proj_weight: &w,
            in_proj_bias: b.as_ref(),
            out_proj_weight: &lin.weight,
            out_proj_bias: lin.bias.as_ref(),
            key_padding_mask: kpm.as_ref(),
            attn_mask: attn_mask.as_ref(),
            need_weights,
            average_attn_weights: bool_arg(average.as_ref(), true),
            is_causal: bool_arg(is_causal.as_ref(), false),
            dropout_p: if training { self.dropout } else { 0.0 },
            self_attention,
        };
        let (out, weights) = attention::multi_head_attention(&q3, &k3, &v3, &a, &mut self.rng.borrow_mut()).map_err(exc)?;
        let out = if !batched {
            out.squeeze(Some(1)).map_err(exc)?
        } else if self.batch_first {
            out.transpose(1, 0).map_err(exc)?
        } else {
            out
        };
        let weights = match weights {
            Some(w) if !batched => tv(w.squeeze(Some(0)).map_err(exc)?),
            Some(w) => tv(w),
            None => Value::None,
        };
        Ok(Value::tuple(vec![tv(out), weights]))
    }
}

impl ExtLayer for Mha {
    fn name(&self) -> &str {
        "MultiheadAttention"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut v = vec![("in_proj_weight".to_string(), self.in_proj_weight.borrow().clone())];
        v.extend(self.in_proj_bias.borrow().clone().map(|b| ("in_proj_bias".to_string(), b)));
        v
    }
    fn children(&self) -> Vec<(String, Value)> {
        vec![("out_proj".to_string(), self.out_proj.clone())]
    }
    fn repr(&self) -> String {
        "MultiheadAttention()".to_string()
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        self.run(args, training)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "in_proj_weight" => tv(self.in_proj_weight.borrow().clone()),
            "in_proj_bias" => self.in_proj_bias.borrow().clone().map_or(Value::None, tv),
            "out_proj" => self.out_proj.clone(),
            "embed_dim" | "kdim" | "vdim" => Value::Int(self.embed_dim as i64),
            "num_heads" => Value::Int(self.num_heads as i64),
            "head_dim" => Value::Int((self.embed_dim / self.num_heads) as i64),
            "dropout" => Value::Float(self.dropout),
            "batch_first" => Value::Bool(self.batch_first),
            "q_proj_weight" | "k_proj_weight" | "v_proj_weight" | "bias_k" | "bias_v" => Value::None,
            _ => return None,
        })
    }
    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        match (name, as_tensor(value)) {
            ("in_proj_weight", Some(t)) => *self.in_proj_weight.borrow_mut() = t.clone(),
            ("in_proj_bias", t) => *self.in_proj_bias.borrow_mut() = t.cloned(),
            _ => return Ok(false),
        }
        Ok(true)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The classes a TransformerEncoderLayer builds its children from.
#[derive(Clone)]
pub(super) struct Classes {
    pub(super) linear: Value,
    pub(super) layer_norm: Value,
    pub(super) dropout: Value,
    pub(super) module_list: Value,
}

/// What a TransformerEncoderLayer was built from, to build its copies.
#[derive(Clone)]
pub(super) struct EncoderConfig {
    pub(super) d_model: usize,
    pub(super) nhead: usize,
    pub(super) dim_feedforward: usize,
    pub(super) dropout: f64,
    /// `'relu'`/`'gelu'` or a callable (a module becomes a child).
    pub(super) activation: Value,
    pub(super) eps: f64,
    pub(super) batch_first: bool,
    pub(super) norm_first: bool,
    pub(super) bias: bool,
}

struct EncoderLayer {
    cfg: EncoderConfig,
    children: Vec<(String, Value)>,
}

pub(super) fn child<'a>(children: &'a [(String, Value)], name: &str) -> &'a Value {
    &children.iter().find(|(n, _)| n == name).expect("a Transformer layer has all its children").1
}

impl EncoderLayer {
    fn build(cfg: EncoderConfig, classes: &Classes, shared: &Rc<Shared>, interp: &mut Interpreter) -> R<EncoderLayer> {
        let mha = Mha::new(cfg.d_model, cfg.nhead, cfg.dropout, cfg.bias, cfg.batch_first, &shared.rng)?;
        let mut children = vec![("self_attn".to_string(), ext_module(mha))];
        let (d, ff) = (Value::Int(cfg.d_model as i64), Value::Int(cfg.dim_feedforward as i64));
        let p = Value::Float(cfg.dropout);
        let linear = |interp: &mut Interpreter, i: &Value, o: &Value| interp.call_positional(&classes.linear, vec![i.clone(), o.clone(), Value::Bool(cfg.bias)]);
        let norm = |interp: &mut Interpreter| {
            interp.call_positional(&classes.layer_norm, vec![d.clone(), Value::Float(cfg.eps), Value::Bool(true), Value::Bool(cfg.bias)])
        };
        children.push(("linear1".into(), linear(interp, &d, &ff)?));
        children.push(("dropout".into(), interp.call_positional(&classes.dropout, vec![p.clone()])?));
        children.push(("linear2".into(), linear(interp, &ff, &d)?));
        children.push(("norm1".into(), norm(interp)?));
        children.push(("norm2".into(), norm(interp)?));
        children.push(("dropout1".into(), interp.call_positional(&classes.dropout, vec![p.clone()])?));
        children.push(("dropout2".into(), interp.call_positional(&classes.dropout, vec![p])?));
        if native_module(&cfg.activation).is_some() {
            children.push(("activation".into(), cfg.activation.clone()));
        }
        Ok(EncoderLayer { cfg, children })
    }

    fn activation(&self, interp: &mut Interpreter, x: Tensor) -> R<Tensor> {
        activate(&self.cfg.activation, interp, x)
    }

    fn run(&self, interp: &mut Interpreter, args: &Args) -> R<Value> {
        let [src, mask, kpm, is_causal] = args.bind(&["src", "src_mask=", "src_key_padding_mask=", "is_causal="])?;
        let src = src.unwrap_or(Value::None);
        let call = |interp: &mut Interpreter, name: &str, x: Value| interp.call_positional(child(&self.children, name), vec![x]);
        let sa = |interp: &mut Interpreter, x: Value| -> R<Value> {
            let out = interp.call_positional(
                child(&self.children, "self_attn"),
                vec![
                    x.clone(),
                    x.clone(),
                    x,
                    kpm.clone().unwrap_or(Value::None),
                    Value::Bool(false),
                    mask.clone().unwrap_or(Value::None),
                    Value::Bool(true),
                    is_causal.clone().unwrap_or(Value::Bool(false)),
                ],
            )?;
            let Value::Tuple(t) = &out else { return Err(Exception::runtime_error("self_attn returned no tuple")) };
            call(interp, "dropout1", t[0].clone())
        };
        let ff = |interp: &mut Interpreter, x: Value| -> R<Value> {
            let h = tensor_arg(Some(&call(interp, "linear1", x)?), "linear1 output")?;
            let h = self.activation(interp, h)?;
            let h = call(interp, "dropout", tv(h))?;
            let h = call(interp, "linear2", h)?;
            call(interp, "dropout2", h)
        };
        let add = |a: &Value, b: &Value| -> R<Value> { Ok(tv(tensor_arg(Some(a), "x")?.add(&tensor_arg(Some(b), "x")?).map_err(exc)?)) };
        let x = src;
        let x = if self.cfg.norm_first {
            let n1 = call(interp, "norm1", x.clone())?;
            let x = add(&x, &sa(interp, n1)?)?;
            let n2 = call(interp, "norm2", x.clone())?;
            add(&x, &ff(interp, n2)?)?
        } else {
            let s = sa(interp, x.clone())?;
            let x = call(interp, "norm1", add(&x, &s)?)?;
            let f = ff(interp, x.clone())?;
            call(interp, "norm2", add(&x, &f)?)?
        };
        Ok(x)
    }
}

/// An encoder or decoder layer's attributes: its children by name, then the configuration
/// PyTorch keeps on the layer (`norm_first`, `activation`).
pub(super) fn layer_attr(children: &[(String, Value)], cfg: &EncoderConfig, name: &str) -> Option<Value> {
    if let Some((_, c)) = children.iter().find(|(n, _)| n == name) {
        return Some(c.clone());
    }
    Some(match name {
        "norm_first" => Value::Bool(cfg.norm_first),
        "activation" => cfg.activation.clone(),
        _ => return None,
    })
}

impl ExtLayer for EncoderLayer {
    fn name(&self) -> &str {
        "TransformerEncoderLayer"
    }
    fn children(&self) -> Vec<(String, Value)> {
        self.children.clone()
    }
    fn repr(&self) -> String {
        "TransformerEncoderLayer()".to_string()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        self.run(interp, args)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        layer_attr(&self.children, &self.cfg, name)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `copy.deepcopy` of a TransformerEncoderLayer: the same configuration built again without
/// drawing from the generator, then the parameter values copied.
fn deep_copy(layer: &Value, classes: &Classes, shared: &Rc<Shared>, interp: &mut Interpreter) -> R<Value> {
    let enc = native_module(layer)
        .and_then(|n| n.downcast::<PyModule>().and_then(|m| m.ext()).and_then(|e| e.as_any().downcast_ref::<EncoderLayer>()).map(|e| e.cfg.clone()))
        .ok_or_else(|| Exception::unsupported("nn.TransformerEncoder of a layer other than nn.TransformerEncoderLayer"))?;
    copy_rebuilt(layer, shared, interp, |interp| EncoderLayer::build(enc, classes, shared, interp))
}

/// A deep copy of `layer` (as `_get_clones` makes it) from `build`, which makes a fresh layer
/// of the same configuration: the generator's state is restored after it (a deep copy draws
/// nothing), then the parameter values are copied and the training flag carried over.
pub(super) fn copy_rebuilt<L: ExtLayer + 'static>(
    layer: &Value,
    shared: &Rc<Shared>,
    interp: &mut Interpreter,
    build: impl FnOnce(&mut Interpreter) -> R<L>,
) -> R<Value> {
    let saved = shared.rng.borrow().clone();
    let built = build(interp);
    *shared.rng.borrow_mut() = saved;
    let copy = ext_module(built?);
    let from = super::module::named_parameters(layer, "", true);
    let to = super::module::named_parameters(&copy, "", true);
    let _guard = NoGrad::new();
    for ((_, a), (_, b)) in from.iter().zip(&to) {
        b.copy_(a).map_err(exc)?;
    }
    let training = interp.get_attr(layer, "training")?;
    if training.as_int().is_none_or(|t| t == 0) {
        let eval = interp.get_attr(&copy, "eval")?;
        interp.call_positional(&eval, Vec::new())?;
    }
    Ok(copy)
}

/// `nn.TransformerEncoder(encoder_layer, num_layers, norm)`.
struct Encoder {
    layers: Value,
    norm: Option<Value>,
}

impl ExtLayer for Encoder {
    fn name(&self) -> &str {
        "TransformerEncoder"
    }
    fn children(&self) -> Vec<(String, Value)> {
        let mut v = vec![("layers".to_string(), self.layers.clone())];
        v.extend(self.norm.clone().map(|n| ("norm".to_string(), n)));
        v
    }
    fn repr(&self) -> String {
        "TransformerEncoder()".to_string()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [src, mask, kpm, is_causal] = args.bind(&["src", "mask=", "src_key_padding_mask=", "is_causal="])?;
        let mut x = src.unwrap_or(Value::None);
        let layers = interp.iterate(&self.layers)?;
        for l in layers {
            let a = vec![
                x,
                mask.clone().unwrap_or(Value::None),
                kpm.clone().unwrap_or(Value::None),
                is_causal.clone().filter(|v| !v.is_none()).unwrap_or(Value::Bool(false)),
            ];
            x = interp.call_positional(&l, a)?;
        }
        if let Some(n) = &self.norm {
            x = interp.call_positional(n, vec![x])?;
        }
        Ok(x)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "layers" => self.layers.clone(),
            "norm" => self.norm.clone().unwrap_or(Value::None),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A feed-forward block's activation: `'relu'`, `'gelu'` or any callable.
pub(super) fn activate(activation: &Value, interp: &mut Interpreter, x: Tensor) -> R<Tensor> {
    let y = match activation {
        Value::Str(s) if &**s == "relu" => x.relu().map_err(exc)?,
        Value::Str(s) if &**s == "gelu" => x.gelu(false).map_err(exc)?,
        f => return tensor_arg(Some(&interp.call_positional(f, vec![tv(x)])?), "activation output"),
    };
    Ok(y)
}

pub(super) fn size(v: Option<Value>, what: &str, default: Option<i64>) -> R<usize> {
    let i = match (v, default) {
        (Some(v), _) if !v.is_none() => v.expect_int(what)?,
        (_, Some(d)) => d,
        _ => return Err(Exception::type_error(format!("__init__() missing required argument: '{what}'"))),
    };
    usize::try_from(i).map_err(|_| Exception::runtime_error(format!("Trying to create tensor with negative dimension {i}")))
}

/// Adds the classes to `torch.nn`.
pub fn register(m: &Module, shared: &Rc<Shared>) {
    let s = shared.clone();
    m.set("MultiheadAttention", class("MultiheadAttention", "torch.nn", move |_, args| {
        let [e, h, dropout, bias, add_bias_kv, _zero_attn, kdim, vdim, batch_first, _device, _dtype] = args.bind(&[
            "embed_dim", "num_heads", "dropout=", "bias=", "add_bias_kv=", "add_zero_attn=", "kdim=", "vdim=", "batch_first=", "device=", "dtype=",
        ])?;
        let (e, h) = (size(e, "embed_dim", None)?, size(h, "num_heads", None)?);
        if bool_arg(add_bias_kv.as_ref(), false) || [kdim, vdim].iter().any(|d| d.as_ref().is_some_and(|d| d.as_int().is_some_and(|d| d as usize != e))) {
            return Err(Exception::unsupported("MultiheadAttention with add_bias_kv, kdim or vdim"));
        }
        let mha = Mha::new(e, h, f64_arg(dropout.as_ref(), 0.0, "dropout")?, bool_arg(bias.as_ref(), true), bool_arg(batch_first.as_ref(), false), &s.rng)?;
        Ok(ext_module(mha))
    }));
    let (Some(linear), Some(layer_norm), Some(dropout), Some(module_list)) = (m.get("Linear"), m.get("LayerNorm"), m.get("Dropout"), m.get("ModuleList")) else {
        return;
    };
    let classes = Classes { linear, layer_norm, dropout, module_list };
    super::transformer_decoder::register(m, shared, &classes);
    let (s, c) = (shared.clone(), classes.clone());
    m.set("TransformerEncoderLayer", class("TransformerEncoderLayer", "torch.nn", move |interp, args| {
        let [d, h, ff, dropout, activation, eps, batch_first, norm_first, bias, _device, _dtype] = args.bind(&[
            "d_model", "nhead", "dim_feedforward=", "dropout=", "activation=", "layer_norm_eps=", "batch_first=", "norm_first=", "bias=", "device=", "dtype=",
        ])?;
        // PyTorch resolves the activation's name at the end of `__init__`, after the
        // children have drawn their initial values: an unknown name still advances the generator.
        let activation = activation.unwrap_or_else(|| Value::str("relu"));
        let bad_name = match &activation {
            Value::Str(a) if &**a != "relu" && &**a != "gelu" => Some(a.to_string()),
            _ => None,
        };
        let cfg = EncoderConfig {
            d_model: size(d, "d_model", None)?,
            nhead: size(h, "nhead", None)?,
            dim_feedforward: size(ff, "dim_feedforward", Some(2048))?,
            dropout: f64_arg(dropout.as_ref(), 0.1, "dropout")?,
            activation,
            eps: f64_arg(eps.as_ref(), 1e-5, "layer_norm_eps")?,
            batch_first: bool_arg(batch_first.as_ref(), false),
            norm_first: bool_arg(norm_first.as_ref(), false),
            bias: bool_arg(bias.as_ref(), true),
        };
        let layer = EncoderLayer::build(cfg, &c, &s, interp)?;
        if let Some(a) = bad_name {
            return Err(Exception::runtime_error(format!("activation should be relu/gelu, not {a}")));
        }
        Ok(ext_module(layer))
    }));
    let s = shared.clone();
    m.set("TransformerEncoder", class("TransformerEncoder", "torch.nn", move |interp, args| {
        let [layer, n, norm, _nested, _mask_check] = args.bind(&["encoder_layer", "num_layers", "norm=", "enable_nested_tensor=", "mask_check="])?;
        let layer = layer.unwrap_or(Value::None);
        let n = size(n, "num_layers", None)?;
        let mut copies = Vec::with_capacity(n);
        for _ in 0..n {
            copies.push(deep_copy(&layer, &classes, &s, interp)?);
        }
        let layers = interp.call_positional(&classes.module_list, vec![Value::list(copies)])?;
        Ok(ext_module(Encoder { layers, norm: norm.filter(|v| !v.is_none()) }))
    }));
}

/// Adds `scaled_dot_product_attention` to `torch.nn.functional`.
pub fn add_functional(m: &Module) {
    m.set("scaled_dot_product_attention", Value::builtin("scaled_dot_product_attention", |it, args| {
        let [q, k, v, mask, p, causal, scale, gqa] =
            args.bind(&["query", "key", "value", "attn_mask=", "dropout_p=", "is_causal=", "scale=", "enable_gqa="])?;
        let (q, k, v) = (tensor_arg(q.as_ref(), "query")?, tensor_arg(k.as_ref(), "key")?, tensor_arg(v.as_ref(), "value")?);
        let mut causal = bool_arg(causal.as_ref(), false);
        // A `torch.nn.attention.bias.CausalBias` mask decides the mask and causality itself.
        let mask = match mask.as_ref().map(|m| super::nn_attention::causal_bias(it, m, causal)).transpose()?.flatten() {
            Some((m, c)) => {
                causal = c;
                m
            }
            None => opt_tensor(mask),
        };
        let scale = match scale {
            None | Some(Value::None) => None,
            Some(s) => Some(s.expect_f64("scale")?),
        };
        let rng = super::generator_arg(&Args::new("scaled_dot_product_attention", Vec::new()))?;
        let out = attention::scaled_dot_product_attention_gqa(
            &q,
            &k,
            &v,
            mask.as_ref(),
            f64_arg(p.as_ref(), 0.0, "dropout_p")?,
            causal,
            scale,
            bool_arg(gqa.as_ref(), false),
            &mut rng.borrow_mut(),
        )
        .map_err(exc)?;
        Ok(tv(out))
    }));
}
