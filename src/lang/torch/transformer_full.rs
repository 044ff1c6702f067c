//! `nn.Transformer`: an encoder and a decoder built from `nn.TransformerEncoderLayer` and
//! `nn.TransformerDecoderLayer` (transformer.rs, transformer_decoder.rs), each stack with a
//! final LayerNorm, its matrices re-drawn by `xavier_uniform_` as PyTorch's `_reset_parameters`
//! does. Lessons subclass it (pytorch/examples' word language model uses only its encoder and
//! replaces its `decoder` with a Linear), so `encoder`/`decoder` can be reassigned.

use std::any::Any;
use std::cell::RefCell;

use super::class;
use super::convert::{as_tensor, bool_arg, tv};
use super::ext::ExtLayer;
use super::nn::{ext_module, native_module};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

struct Transformer {
    encoder: RefCell<Value>,
    decoder: RefCell<Value>,
    d_model: usize,
    nhead: usize,
    batch_first: bool,
}

/// Calls `f(*pos, **kw)`.
fn call(interp: &mut Interpreter, f: &Value, pos: Vec<Value>, kw: Vec<(&str, Value)>) -> R<Value> {
    let args = Args {
        fname: "__init__".into(),
        this: None,
        pos,
        kw: kw.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    };
    interp.call(f, args)
}

fn class_of(m: &Module, name: &str) -> R<Value> {
    m.get(name)
        .ok_or_else(|| Exception::unsupported(format!("nn.Transformer without nn.{name}")))
}

impl ExtLayer for Transformer {
    fn name(&self) -> &str {
        "Transformer"
    }
    fn children(&self) -> Vec<(String, Value)> {
        vec![
            ("encoder".to_string(), self.encoder.borrow().clone()),
            ("decoder".to_string(), self.decoder.borrow().clone()),
        ]
    }
    fn repr(&self) -> String {
        "Transformer()".to_string()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [
            src,
            tgt,
            src_mask,
            tgt_mask,
            memory_mask,
            src_kpm,
            tgt_kpm,
            memory_kpm,
            src_causal,
            tgt_causal,
            memory_causal,
        ] = args.bind(&[
            "src",
            "tgt",
            "src_mask=",
            "tgt_mask=",
            "memory_mask=",
            "src_key_padding_mask=",
            "tgt_key_padding_mask=",
            "memory_key_padding_mask=",
            "src_is_causal=",
            "tgt_is_causal=",
            "memory_is_causal=",
        ])?;
        let (src, tgt) = (src.unwrap_or(Value::None), tgt.unwrap_or(Value::None));
        // PyTorch's checks before running: the batch sizes agree and the feature sizes are d_model.
        if let (Some(s), Some(t)) = (as_tensor(&src), as_tensor(&tgt)) {
            let (ss, ts) = (s.shape(), t.shape());
            let bdim = usize::from(!self.batch_first);
            if ss.len() == 3 && ts.len() == 3 && ss[bdim] != ts[bdim] {
                return Err(Exception::runtime_error(
                    "the batch number of src and tgt must be equal",
                ));
            }
            if ss.last() != Some(&self.d_model) || ts.last() != Some(&self.d_model) {
                return Err(Exception::runtime_error(
                    "the feature number of src and tgt must be equal to d_model",
                ));
            }
        }
        let none = |v: Option<Value>| v.unwrap_or(Value::None);
        let encoder = self.encoder.borrow().clone();
        let memory = call(
            interp,
            &encoder,
            vec![src],
            vec![
                ("mask", none(src_mask)),
                ("src_key_padding_mask", none(src_kpm)),
                ("is_causal", none(src_causal)),
            ],
        )?;
        let decoder = self.decoder.borrow().clone();
        call(
            interp,
            &decoder,
            vec![tgt, memory],
            vec![
                ("tgt_mask", none(tgt_mask)),
                ("memory_mask", none(memory_mask)),
                ("tgt_key_padding_mask", none(tgt_kpm)),
                ("memory_key_padding_mask", none(memory_kpm)),
                ("tgt_is_causal", none(tgt_causal)),
                ("memory_is_causal", none(memory_causal)),
            ],
        )
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "encoder" => self.encoder.borrow().clone(),
            "decoder" => self.decoder.borrow().clone(),
            "d_model" => Value::Int(self.d_model as i64),
            "nhead" => Value::Int(self.nhead as i64),
            "batch_first" => Value::Bool(self.batch_first),
            "generate_square_subsequent_mask" => square_subsequent_mask(),
            _ => return None,
        })
    }
    /// `self.decoder = nn.Linear(...)` replaces the child in its place, as `Module.__setattr__`
    /// does for a name already among the submodules.
    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        let slot = match name {
            "encoder" => &self.encoder,
            "decoder" => &self.decoder,
            _ => return Ok(false),
        };
        if native_module(value).is_none() {
            return Err(Exception::type_error(format!(
                "cannot assign '{}' as child module '{name}' (torch.nn.Module or None expected)",
                value.type_name()
            )));
        }
        *slot.borrow_mut() = value.clone();
        Ok(true)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `nn.Transformer.generate_square_subsequent_mask(sz)`: 0 on and below the diagonal, -inf above.
fn square_subsequent_mask() -> Value {
    Value::builtin("generate_square_subsequent_mask", |_, args| {
        let [sz, _device, _dtype] = args.bind(&["sz", "device=", "dtype="])?;
        let n = sz.map_or(Ok(0), |v| v.expect_int("sz"))?;
        let n = usize::try_from(n).map_err(|_| {
            Exception::runtime_error(format!(
                "Trying to create tensor with negative dimension {n}"
            ))
        })?;
        let mut data = vec![0f32; n * n];
        for i in 0..n {
            for j in i + 1..n {
                data[i * n + j] = f32::NEG_INFINITY;
            }
        }
        let t = Tensor::from_data(crate::tensor::Data::F32(data), &[n, n])
            .map_err(super::convert::exc)?;
        Ok(tv(t))
    })
}

/// Adds `nn.Transformer` to `torch.nn` (after the encoder and decoder classes).
pub fn register(m: &Module) {
    let Ok(classes) = [
        "TransformerEncoderLayer",
        "TransformerEncoder",
        "TransformerDecoderLayer",
        "TransformerDecoder",
        "LayerNorm",
    ]
    .map(|n| class_of(m, n))
    .into_iter()
    .collect::<R<Vec<_>>>() else {
        return;
    };
    let cls = class("Transformer", "torch.nn", move |interp, args| {
        let [
            d_model,
            nhead,
            n_enc,
            n_dec,
            ff,
            dropout,
            activation,
            custom_encoder,
            custom_decoder,
            eps,
            batch_first,
            norm_first,
            bias,
            _device,
            _dtype,
        ] = args.bind(&[
            "d_model=",
            "nhead=",
            "num_encoder_layers=",
            "num_decoder_layers=",
            "dim_feedforward=",
            "dropout=",
            "activation=",
            "custom_encoder=",
            "custom_decoder=",
            "layer_norm_eps=",
            "batch_first=",
            "norm_first=",
            "bias=",
            "device=",
            "dtype=",
        ])?;
        let or = |v: Option<Value>, d: Value| v.filter(|v| !v.is_none()).unwrap_or(d);
        let d = super::transformer::size(d_model, "d_model", Some(512))?;
        let h = super::transformer::size(nhead, "nhead", Some(8))?;
        let ne = super::transformer::size(n_enc, "num_encoder_layers", Some(6))?;
        let nd = super::transformer::size(n_dec, "num_decoder_layers", Some(6))?;
        let ff = or(ff, Value::Int(2048));
        let dropout = or(dropout, Value::Float(0.1));
        let activation = or(activation, Value::str("relu"));
        let eps = or(eps, Value::Float(1e-5));
        let bf = bool_arg(batch_first.as_ref(), false);
        let nf = bool_arg(norm_first.as_ref(), false);
        let bias = bool_arg(bias.as_ref(), true);
        let [enc_layer_c, enc_c, dec_layer_c, dec_c, norm_c] =
            [0, 1, 2, 3, 4].map(|i| classes[i].clone());
        let layer_args = |interp: &mut Interpreter, c: &Value| {
            call(
                interp,
                c,
                vec![
                    Value::Int(d as i64),
                    Value::Int(h as i64),
                    ff.clone(),
                    dropout.clone(),
                    activation.clone(),
                    eps.clone(),
                    Value::Bool(bf),
                    Value::Bool(nf),
                    Value::Bool(bias),
                ],
                Vec::new(),
            )
        };
        // A default encoder or decoder: its layer, `n` copies of it and a final LayerNorm,
        // made in PyTorch's order (the encoder's draws before the decoder's).
        let stack = |interp: &mut Interpreter, layer_c: &Value, stack_c: &Value, n: usize| -> R<Value> {
            let layer = layer_args(interp, layer_c)?;
            let norm = call(
                interp,
                &norm_c,
                vec![Value::Int(d as i64)],
                vec![("eps", eps.clone()), ("bias", Value::Bool(bias))],
            )?;
            call(interp, stack_c, vec![layer, Value::Int(n as i64), norm], Vec::new())
        };
        let encoder = match custom_encoder.filter(|v| !v.is_none()) {
            Some(e) => e,
            None => stack(interp, &enc_layer_c, &enc_c, ne)?,
        };
        let decoder = match custom_decoder.filter(|v| !v.is_none()) {
            Some(e) => e,
            None => stack(interp, &dec_layer_c, &dec_c, nd)?,
        };
        let module = ext_module(Transformer {
            encoder: RefCell::new(encoder),
            decoder: RefCell::new(decoder),
            d_model: d,
            nhead: h,
            batch_first: bf,
        });
        // `_reset_parameters`: every parameter of more than one dimension, in order.
        let xavier = match interp.modules.get("torch.nn.init").and_then(|i| {
            if let Value::Module(i) = i {
                i.get("xavier_uniform_")
            } else {
                None
            }
        }) {
            Some(f) => f,
            None => return Err(Exception::unsupported("nn.Transformer without nn.init")),
        };
        for (_, p) in super::module::named_parameters(&module, "", true) {
            if p.shape().len() > 1 {
                interp.call_positional(&xavier, vec![tv(p)])?;
            }
        }
        Ok(module)
    });
    // A static method: `nn.Transformer.generate_square_subsequent_mask(sz)` on the class.
    if let Value::Type(t) = &cls {
        t.attrs.borrow_mut().insert(
            "generate_square_subsequent_mask".into(),
            square_subsequent_mask(),
        );
    }
    m.set("Transformer", cls);
}
