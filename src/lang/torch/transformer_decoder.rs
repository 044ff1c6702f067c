//! nn.TransformerDecoderLayer and nn.TransformerDecoder: PyTorch's post-norm and pre-norm
//! decoder blocks (self-attention, cross-attention over `memory`, feed-forward), built from
//! transformer.rs's MultiheadAttention and the Linear/LayerNorm/Dropout classes in PyTorch's
//! order, so that their initialisation draws from the generator as PyTorch's does.

use std::any::Any;
use std::rc::Rc;

use super::convert::tensor_arg;
use super::convert::{bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::{PyModule, ext_module, native_module};
use super::transformer::{Classes, EncoderConfig, Mha, activate, child, size};
use super::{Shared, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// The forward parameters of `TransformerDecoderLayer` and `TransformerDecoder` (the same).
const FORWARD_PARAMS: [&str; 8] = [
    "tgt",
    "memory",
    "tgt_mask=",
    "memory_mask=",
    "tgt_key_padding_mask=",
    "memory_key_padding_mask=",
    "tgt_is_causal=",
    "memory_is_causal=",
];

/// `nn.TransformerDecoderLayer`: its configuration (the encoder layer's fields) and children.
struct DecoderLayer {
    cfg: EncoderConfig,
    children: Vec<(String, Value)>,
}

impl DecoderLayer {
    /// The children in the order of PyTorch's `__init__` (two attentions, then the
    /// feed-forward's linears, three norms and three dropouts), which is the order of the
    /// generator draws.
    fn build(
        cfg: EncoderConfig,
        classes: &Classes,
        shared: &Rc<Shared>,
        interp: &mut Interpreter,
    ) -> R<DecoderLayer> {
        let mut children = Vec::new();
        for name in ["self_attn", "multihead_attn"] {
            let mha = Mha::new(
                cfg.d_model,
                cfg.nhead,
                cfg.dropout,
                cfg.bias,
                cfg.batch_first,
                &shared.rng,
            )?;
            children.push((name.to_string(), ext_module(mha)));
        }
        let (d, ff) = (
            Value::Int(cfg.d_model as i64),
            Value::Int(cfg.dim_feedforward as i64),
        );
        let p = Value::Float(cfg.dropout);
        let linear = |interp: &mut Interpreter, i: &Value, o: &Value| {
            interp.call_positional(
                &classes.linear,
                vec![i.clone(), o.clone(), Value::Bool(cfg.bias)],
            )
        };
        let norm = |interp: &mut Interpreter| {
            interp.call_positional(
                &classes.layer_norm,
                vec![
                    d.clone(),
                    Value::Float(cfg.eps),
                    Value::Bool(true),
                    Value::Bool(cfg.bias),
                ],
            )
        };
        children.push(("linear1".into(), linear(interp, &d, &ff)?));
        children.push((
            "dropout".into(),
            interp.call_positional(&classes.dropout, vec![p.clone()])?,
        ));
        children.push(("linear2".into(), linear(interp, &ff, &d)?));
        for name in ["norm1", "norm2", "norm3"] {
            children.push((name.into(), norm(interp)?));
        }
        for name in ["dropout1", "dropout2", "dropout3"] {
            children.push((
                name.into(),
                interp.call_positional(&classes.dropout, vec![p.clone()])?,
            ));
        }
        if native_module(&cfg.activation).is_some() {
            children.push(("activation".into(), cfg.activation.clone()));
        }
        Ok(DecoderLayer { cfg, children })
    }

    fn call(&self, interp: &mut Interpreter, name: &str, x: Value) -> R<Value> {
        interp.call_positional(child(&self.children, name), vec![x])
    }

    /// `_sa_block`/`_mha_block`: one attention (need_weights=False) and its dropout; `masks` are
    /// its attn_mask, key_padding_mask and is_causal.
    fn attend(
        &self,
        interp: &mut Interpreter,
        which: (&str, &str),
        x: Value,
        kv: Value,
        masks: [&Option<Value>; 3],
    ) -> R<Value> {
        let [mask, kpm, causal] = masks;
        let none = |v: &Option<Value>| v.clone().unwrap_or(Value::None);
        let out = interp.call_positional(
            child(&self.children, which.0),
            vec![
                x,
                kv.clone(),
                kv,
                none(kpm),
                Value::Bool(false),
                none(mask),
                Value::Bool(true),
                causal
                    .clone()
                    .filter(|v| !v.is_none())
                    .unwrap_or(Value::Bool(false)),
            ],
        )?;
        let Value::Tuple(t) = &out else {
            return Err(Exception::runtime_error(format!(
                "{} returned no tuple",
                which.0
            )));
        };
        self.call(interp, which.1, t[0].clone())
    }

    /// `_ff_block`: linear2(dropout(activation(linear1(x)))), then dropout3.
    fn feed_forward(&self, interp: &mut Interpreter, x: Value) -> R<Value> {
        let h = tensor_arg(Some(&self.call(interp, "linear1", x)?), "linear1 output")?;
        let h = activate(&self.cfg.activation, interp, h)?;
        let h = self.call(interp, "dropout", tv(h))?;
        let h = self.call(interp, "linear2", h)?;
        self.call(interp, "dropout3", h)
    }

    fn run(&self, interp: &mut Interpreter, args: &Args) -> R<Value> {
        let [
            tgt,
            memory,
            tgt_mask,
            memory_mask,
            tgt_kpm,
            memory_kpm,
            tgt_causal,
            memory_causal,
        ] = args.bind(&FORWARD_PARAMS)?;
        let memory = memory.unwrap_or(Value::None);
        let add = |a: &Value, b: &Value| -> R<Value> {
            Ok(tv(tensor_arg(Some(a), "x")?
                .add(&tensor_arg(Some(b), "x")?)
                .map_err(exc)?))
        };
        let x = tgt.unwrap_or(Value::None);
        let sa = ("self_attn", "dropout1");
        let ca = ("multihead_attn", "dropout2");
        if self.cfg.norm_first {
            let n = self.call(interp, "norm1", x.clone())?;
            let x = add(
                &x,
                &self.attend(interp, sa, n.clone(), n, [&tgt_mask, &tgt_kpm, &tgt_causal])?,
            )?;
            let n = self.call(interp, "norm2", x.clone())?;
            let x = add(
                &x,
                &self.attend(
                    interp,
                    ca,
                    n,
                    memory,
                    [&memory_mask, &memory_kpm, &memory_causal],
                )?,
            )?;
            let n = self.call(interp, "norm3", x.clone())?;
            add(&x, &self.feed_forward(interp, n)?)
        } else {
            let s = self.attend(
                interp,
                sa,
                x.clone(),
                x.clone(),
                [&tgt_mask, &tgt_kpm, &tgt_causal],
            )?;
            let x = self.call(interp, "norm1", add(&x, &s)?)?;
            let c = self.attend(
                interp,
                ca,
                x.clone(),
                memory,
                [&memory_mask, &memory_kpm, &memory_causal],
            )?;
            let x = self.call(interp, "norm2", add(&x, &c)?)?;
            let f = self.feed_forward(interp, x.clone())?;
            self.call(interp, "norm3", add(&x, &f)?)
        }
    }
}

impl ExtLayer for DecoderLayer {
    fn name(&self) -> &str {
        "TransformerDecoderLayer"
    }
    fn children(&self) -> Vec<(String, Value)> {
        self.children.clone()
    }
    fn repr(&self) -> String {
        "TransformerDecoderLayer()".to_string()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        self.run(interp, args)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        super::transformer::layer_attr(&self.children, &self.cfg, name)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `copy.deepcopy` of a decoder layer: the same configuration rebuilt (see
/// `transformer::copy_rebuilt`).
fn deep_copy(
    layer: &Value,
    classes: &Classes,
    shared: &Rc<Shared>,
    interp: &mut Interpreter,
) -> R<Value> {
    let cfg = native_module(layer)
        .and_then(|n| {
            n.downcast::<PyModule>()
                .and_then(|m| m.ext())
                .and_then(|e| e.as_any().downcast_ref::<DecoderLayer>())
                .map(|e| e.cfg.clone())
        })
        .ok_or_else(|| {
            Exception::unsupported(
                "nn.TransformerDecoder of a layer other than nn.TransformerDecoderLayer",
            )
        })?;
    super::transformer::copy_rebuilt(layer, shared, interp, |interp| {
        DecoderLayer::build(cfg, classes, shared, interp)
    })
}

/// `nn.TransformerDecoder(decoder_layer, num_layers, norm)`.
struct Decoder {
    layers: Value,
    norm: Option<Value>,
}

impl ExtLayer for Decoder {
    fn name(&self) -> &str {
        "TransformerDecoder"
    }
    fn children(&self) -> Vec<(String, Value)> {
        let mut v = vec![("layers".to_string(), self.layers.clone())];
        v.extend(self.norm.clone().map(|n| ("norm".to_string(), n)));
        v
    }
    fn repr(&self) -> String {
        "TransformerDecoder()".to_string()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [
            tgt,
            memory,
            tgt_mask,
            memory_mask,
            tgt_kpm,
            memory_kpm,
            tgt_causal,
            memory_causal,
        ] = args.bind(&FORWARD_PARAMS)?;
        let none = |v: &Option<Value>| v.clone().unwrap_or(Value::None);
        let flag = |v: &Option<Value>| {
            v.clone()
                .filter(|v| !v.is_none())
                .unwrap_or(Value::Bool(false))
        };
        let memory = none(&memory);
        let mut x = none(&tgt);
        for l in interp.iterate(&self.layers)? {
            let a = vec![
                x,
                memory.clone(),
                none(&tgt_mask),
                none(&memory_mask),
                none(&tgt_kpm),
                none(&memory_kpm),
                flag(&tgt_causal),
                flag(&memory_causal),
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

/// Adds the decoder classes to `torch.nn`.
pub fn register(m: &Module, shared: &Rc<Shared>, classes: &Classes) {
    let (s, c) = (shared.clone(), classes.clone());
    m.set(
        "TransformerDecoderLayer",
        class(
            "TransformerDecoderLayer",
            "torch.nn",
            move |interp, args| {
                let [
                    d,
                    h,
                    ff,
                    dropout,
                    activation,
                    eps,
                    batch_first,
                    norm_first,
                    bias,
                    _device,
                    _dtype,
                ] = args.bind(&[
                    "d_model",
                    "nhead",
                    "dim_feedforward=",
                    "dropout=",
                    "activation=",
                    "layer_norm_eps=",
                    "batch_first=",
                    "norm_first=",
                    "bias=",
                    "device=",
                    "dtype=",
                ])?;
                // PyTorch resolves the activation's name at the end of `__init__`, after the
                // children have drawn their initial values: an unknown name still advances
                // the generator.
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
                let layer = DecoderLayer::build(cfg, &c, &s, interp)?;
                if let Some(a) = bad_name {
                    return Err(Exception::runtime_error(format!(
                        "activation should be relu/gelu, not {a}"
                    )));
                }
                Ok(ext_module(layer))
            },
        ),
    );
    let (s, c) = (shared.clone(), classes.clone());
    m.set(
        "TransformerDecoder",
        class("TransformerDecoder", "torch.nn", move |interp, args| {
            let [layer, n, norm] = args.bind(&["decoder_layer", "num_layers", "norm="])?;
            let layer = layer.unwrap_or(Value::None);
            let n = size(n, "num_layers", None)?;
            let mut copies = Vec::with_capacity(n);
            for _ in 0..n {
                copies.push(deep_copy(&layer, &c, &s, interp)?);
            }
            let layers = interp.call_positional(&c.module_list, vec![Value::list(copies)])?;
            Ok(ext_module(Decoder {
                layers,
                norm: norm.filter(|v| !v.is_none()),
            }))
        }),
    );
}
