//! `nn.EmbeddingBag` (with `from_pretrained`) and `F.embedding_bag`: torch/nn/functional.py's
//! argument handling and messages (2-D input as bags of equal length, the legacy argument
//! order) over the engine's `tensor::embedding_bag`.

use std::any::Any;
use std::cell::RefCell;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::embedding_bag::{BagArgs, BagMode, embedding_bag};
use crate::tensor::{DType, Tensor};

type R<T> = Result<T, Exception>;

/// Everything `F.embedding_bag` takes besides the tensors.
#[derive(Clone)]
struct Options {
    max_norm: Option<f64>,
    norm_type: f64,
    /// `norm_type` as Python prints it (an int stays an int).
    norm_repr: String,
    scale_grad_by_freq: bool,
    mode: String,
    sparse: bool,
    include_last_offset: bool,
    padding_idx: Option<i64>,
}

fn shape_repr(t: &Tensor) -> String {
    let dims: Vec<String> = t.shape().iter().map(|d| d.to_string()).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

fn int_values(t: &Tensor) -> Vec<i64> {
    t.to_f64_vec().into_iter().map(|v| v as i64).collect()
}

fn check_index_dtype(t: &Tensor, what: &str) -> R<()> {
    if matches!(t.dtype(), DType::Int64 | DType::Int32) {
        return Ok(());
    }
    Err(Exception::runtime_error(format!(
        "Expected tensor for argument #1 '{what}' to have one of the following scalar types: Long, Int; but got torch.{}Tensor instead (while checking arguments for embedding_bag)",
        t.dtype().scalar_name()
    )))
}

/// `F.embedding_bag(input, weight, offsets, ...)` as torch/nn/functional.py runs it.
fn functional(
    input: &Tensor,
    weight: &Tensor,
    offsets: Option<&Tensor>,
    psw: Option<&Tensor>,
    o: &Options,
) -> R<Tensor> {
    // The legacy order `embedding_bag(weight, input, ...)` is swapped back (with a warning).
    let (input, weight) = if weight.dtype() == DType::Int64 && input.dtype().is_floating_point() {
        (weight, input)
    } else {
        (input, weight)
    };
    if let Some(p) = psw
        && p.shape() != input.shape()
    {
        return Err(Exception::value_error(format!(
            "embedding_bag: If per_sample_weights ({}) is not None, then it must have the same shape as the input ({})",
            shape_repr(p),
            shape_repr(input)
        )));
    }
    if weight.dim() != 2 {
        return Err(Exception::value_error(format!(
            "weight has to be a 2D Tensor, but got Tensor of dimension {}",
            weight.dim()
        )));
    }
    let (flat, offs, include_last) = match input.dim() {
        2 => {
            if offsets.is_some() {
                return Err(Exception::value_error(
                    "if input is 2D, then offsets has to be None, as input is treated is a mini-batch of fixed length sequences. However, found offsets of type <class 'torch.Tensor'>",
                ));
            }
            let (b, n) = (input.shape()[0], input.shape()[1]);
            let offs: Vec<i64> = if n == 0 {
                Vec::new()
            } else {
                (0..b).map(|i| (i * n) as i64).collect()
            };
            (input.reshape(&[-1]).map_err(exc)?, offs, false)
        }
        1 => {
            let Some(off) = offsets else {
                return Err(Exception::value_error(
                    "offsets has to be a 1D Tensor but got None",
                ));
            };
            if off.dim() != 1 {
                return Err(Exception::value_error("offsets has to be a 1D Tensor"));
            }
            (input.clone(), Vec::new(), o.include_last_offset)
        }
        d => {
            return Err(Exception::value_error(format!(
                "input has to be 1D or 2D Tensor, but got Tensor of dimension {d}"
            )));
        }
    };
    let mode = match o.mode.as_str() {
        "sum" => BagMode::Sum,
        "mean" => BagMode::Mean,
        "max" => {
            if o.scale_grad_by_freq {
                return Err(Exception::value_error(
                    "max mode does not support scaling the gradient by the frequency",
                ));
            }
            if o.sparse {
                return Err(Exception::value_error(
                    "max mode does not support sparse weights",
                ));
            }
            BagMode::Max
        }
        _ => {
            return Err(Exception::value_error(
                "mode has to be one of sum, mean or max",
            ));
        }
    };
    if o.max_norm.is_some() {
        return Err(Exception::unsupported("embedding_bag with max_norm"));
    }
    if psw.is_some() && mode != BagMode::Sum {
        return Err(Exception::new(
            "NotImplementedError",
            format!(
                "embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='{}'). Please open a feature request on GitHub.",
                o.mode
            ),
        ));
    }
    check_index_dtype(&flat, "indices")?;
    let offs = match (input.dim(), offsets) {
        (1, Some(off)) => {
            check_index_dtype(off, "offsets")?;
            int_values(off)
        }
        _ => offs,
    };
    let num = weight.shape()[0] as i64;
    let pad = match o.padding_idx {
        None => None,
        Some(p) if p >= -num && p < num => Some(p.rem_euclid(num.max(1)) as usize),
        Some(p) => {
            return Err(Exception::runtime_error(format!(
                "padding_idx must be within the number of embeddings, -{num} through {}, but got {p}",
                num - 1
            )));
        }
    };
    let indices = int_values(&flat);
    let args = BagArgs {
        indices: &indices,
        offsets: &offs,
        include_last_offset: include_last,
        mode,
        padding_idx: pad,
        scale_grad_by_freq: o.scale_grad_by_freq,
    };
    let psw = match psw {
        Some(p) if p.dim() == 2 => Some(p.reshape(&[-1]).map_err(exc)?),
        Some(p) => Some(p.clone()),
        None => None,
    };
    embedding_bag(weight, &args, psw.as_ref()).map_err(exc)
}

fn opt_f64(v: Option<&Value>, what: &str) -> R<Option<f64>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => f64_arg(Some(v), 0.0, what).map(Some),
    }
}

fn opt_int(v: Option<&Value>, what: &str) -> R<Option<i64>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => v.expect_int(what).map(Some),
    }
}

fn mode_arg(v: Option<&Value>) -> R<String> {
    match v {
        None => Ok("mean".into()),
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(_) => Err(Exception::value_error(
            "mode has to be one of sum, mean or max",
        )),
    }
}

fn tensor(v: Option<&Value>, what: &str) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!("embedding_bag(): argument '{what}' must be Tensor"))
    })
}

fn opt_tensor(v: Option<&Value>, what: &str) -> R<Option<Tensor>> {
    match v {
        None | Some(Value::None) => Ok(None),
        v => tensor(v, what).map(Some),
    }
}

/// The layer: its options and weight.
struct Bag {
    num: usize,
    dim: usize,
    o: Options,
    weight: RefCell<Tensor>,
}

impl ExtLayer for Bag {
    fn name(&self) -> &str {
        "EmbeddingBag"
    }
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        vec![("weight".into(), self.weight.borrow().clone())]
    }
    fn repr(&self) -> String {
        let o = &self.o;
        let mut s = format!("EmbeddingBag({}, {}", self.num, self.dim);
        if let Some(m) = o.max_norm {
            s += &format!(", max_norm={}", float_repr(m));
        }
        if o.norm_type != 2.0 {
            s += &format!(", norm_type={}", o.norm_repr);
        }
        if o.scale_grad_by_freq {
            s += ", scale_grad_by_freq=True";
        }
        s += &format!(", mode='{}'", o.mode);
        if let Some(p) = o.padding_idx {
            s += &format!(", padding_idx={p}");
        }
        s + ")"
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [input, offsets, psw] = args.bind(&["input", "offsets=", "per_sample_weights="])?;
        let input = tensor(input.as_ref(), "input")?;
        let offsets = opt_tensor(offsets.as_ref(), "offsets")?;
        let psw = opt_tensor(psw.as_ref(), "per_sample_weights")?;
        let w = self.weight.borrow().clone();
        Ok(tv(functional(
            &input,
            &w,
            offsets.as_ref(),
            psw.as_ref(),
            &self.o,
        )?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let o = &self.o;
        Some(match name {
            "weight" => tv(self.weight.borrow().clone()),
            "num_embeddings" => Value::Int(self.num as i64),
            "embedding_dim" => Value::Int(self.dim as i64),
            "max_norm" => o.max_norm.map_or(Value::None, Value::Float),
            "norm_type" => Value::Float(o.norm_type),
            "scale_grad_by_freq" => Value::Bool(o.scale_grad_by_freq),
            "mode" => Value::str(&o.mode),
            "sparse" => Value::Bool(o.sparse),
            "include_last_offset" => Value::Bool(o.include_last_offset),
            "padding_idx" => o.padding_idx.map_or(Value::None, Value::Int),
            _ => return None,
        })
    }
    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        if name != "weight" {
            return Ok(false);
        }
        let t = as_tensor(value)
            .cloned()
            .ok_or_else(|| Exception::type_error("cannot assign a non-Tensor as parameter 'weight' (torch.nn.Parameter or None expected)"))?;
        *self.weight.borrow_mut() = t;
        Ok(true)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(Bag {
            num: self.num,
            dim: self.dim,
            o: self.o.clone(),
            weight: RefCell::new(c.tensor(&self.weight.borrow())?),
        }))
    }
}

/// `norm_type` as Python's repr prints the value given.
fn number_repr(v: Option<&Value>) -> String {
    match v {
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::Float(f)) => float_repr(*f),
        _ => "2.0".into(),
    }
}

/// The constructor's options after PyTorch's checks; `padding_idx` made non-negative.
fn options(num: i64, args: [Option<Value>; 7]) -> R<Options> {
    let [max_norm, norm_type, freq, mode, sparse, last, pad] = args;
    let padding_idx = match opt_int(pad.as_ref(), "padding_idx")? {
        Some(p) if p > 0 && p >= num => {
            return Err(Exception::new(
                "AssertionError",
                "padding_idx must be within num_embeddings",
            ));
        }
        Some(p) if p < 0 && p < -num => {
            return Err(Exception::new(
                "AssertionError",
                "padding_idx must be within num_embeddings",
            ));
        }
        Some(p) if p < 0 => Some(num + p),
        p => p,
    };
    Ok(Options {
        max_norm: opt_f64(max_norm.as_ref(), "max_norm")?,
        norm_type: f64_arg(norm_type.as_ref(), 2.0, "norm_type")?,
        norm_repr: number_repr(norm_type.as_ref()),
        scale_grad_by_freq: bool_arg(freq.as_ref(), false),
        mode: mode_arg(mode.as_ref())?,
        sparse: bool_arg(sparse.as_ref(), false),
        include_last_offset: bool_arg(last.as_ref(), false),
        padding_idx,
    })
}

/// Adds `nn.EmbeddingBag` to `torch.nn`, drawing its weight from `rng`.
pub fn register(m: &Module, rng: std::rc::Rc<RefCell<crate::tensor::Generator>>) {
    let cls = class("EmbeddingBag", "torch.nn", move |_, args| {
        let [
            num,
            dim,
            max_norm,
            norm_type,
            freq,
            mode,
            sparse,
            weight,
            last,
            pad,
            _device,
            _dtype,
        ] = args.bind(&[
            "num_embeddings",
            "embedding_dim",
            "max_norm=",
            "norm_type=",
            "scale_grad_by_freq=",
            "mode=",
            "sparse=",
            "_weight=",
            "include_last_offset=",
            "padding_idx=",
            "device=",
            "dtype=",
        ])?;
        let num = num.map_or(Ok(0), |v| v.expect_int("num_embeddings"))?;
        let dim = dim.map_or(Ok(0), |v| v.expect_int("embedding_dim"))?;
        if num < 0 || dim < 0 {
            return Err(Exception::runtime_error(format!(
                "Trying to create tensor with negative dimension {}: [{num}, {dim}]",
                num.min(dim)
            )));
        }
        let o = options(num, [max_norm, norm_type, freq, mode, sparse, last, pad])?;
        let weight = match weight.as_ref().and_then(as_tensor) {
            Some(w) => {
                if w.shape() != [num as usize, dim as usize] {
                    return Err(Exception::new(
                        "AssertionError",
                        "Shape of weight does not match num_embeddings and embedding_dim",
                    ));
                }
                Tensor::parameter(w)
            }
            None => {
                crate::tensor::check_size(&[num as usize, dim as usize]).map_err(exc)?;
                let pad = o.padding_idx.map(|p| p as usize);
                crate::tensor::nn::Embedding::new(
                    num as usize,
                    dim as usize,
                    pad,
                    &mut rng.borrow_mut(),
                    super::default_dtype(),
                )
                .map_err(exc)?
                .weight
            }
        };
        Ok(ext_module(Bag {
            num: num as usize,
            dim: dim as usize,
            o,
            weight: RefCell::new(weight),
        }))
    });
    if let Value::Type(t) = &cls {
        t.attrs.borrow_mut().insert(
            "from_pretrained".into(),
            Value::builtin("from_pretrained", from_pretrained),
        );
    }
    m.set("EmbeddingBag", cls);
}

/// `nn.EmbeddingBag.from_pretrained(embeddings, freeze=True, ...)`: the layer over the given
/// tensor (shared, as `Parameter(_weight)` shares it), frozen unless `freeze=False`.
fn from_pretrained(_: &mut Interpreter, args: Args) -> R<Value> {
    let [
        emb,
        freeze,
        max_norm,
        norm_type,
        freq,
        mode,
        sparse,
        last,
        pad,
    ] = args.bind(&[
        "embeddings",
        "freeze=",
        "max_norm=",
        "norm_type=",
        "scale_grad_by_freq=",
        "mode=",
        "sparse=",
        "include_last_offset=",
        "padding_idx=",
    ])?;
    let emb = tensor(emb.as_ref(), "embeddings")?;
    if emb.dim() != 2 {
        return Err(Exception::new(
            "AssertionError",
            "Embeddings parameter is expected to be 2-dimensional",
        ));
    }
    let (num, dim) = (emb.shape()[0], emb.shape()[1]);
    let o = options(
        num as i64,
        [max_norm, norm_type, freq, mode, sparse, last, pad],
    )?;
    let weight = Tensor::parameter(&emb);
    weight
        .set_requires_grad(!bool_arg(freeze.as_ref(), true))
        .map_err(exc)?;
    Ok(ext_module(Bag {
        num,
        dim,
        o,
        weight: RefCell::new(weight),
    }))
}

/// Adds `F.embedding_bag`.
pub fn add_functional(m: &Module) {
    m.set(
        "embedding_bag",
        Value::builtin("embedding_bag", |_, args| {
            let [
                input,
                weight,
                offsets,
                max_norm,
                norm_type,
                freq,
                mode,
                sparse,
                psw,
                last,
                pad,
            ] = args.bind(&[
                "input",
                "weight",
                "offsets=",
                "max_norm=",
                "norm_type=",
                "scale_grad_by_freq=",
                "mode=",
                "sparse=",
                "per_sample_weights=",
                "include_last_offset=",
                "padding_idx=",
            ])?;
            let input = tensor(input.as_ref(), "input")?;
            let weight = tensor(weight.as_ref(), "weight")?;
            let offsets = opt_tensor(offsets.as_ref(), "offsets")?;
            let psw = opt_tensor(psw.as_ref(), "per_sample_weights")?;
            let o = Options {
                max_norm: opt_f64(max_norm.as_ref(), "max_norm")?,
                norm_type: f64_arg(norm_type.as_ref(), 2.0, "norm_type")?,
                norm_repr: String::new(),
                scale_grad_by_freq: bool_arg(freq.as_ref(), false),
                mode: mode_arg(mode.as_ref())?,
                sparse: bool_arg(sparse.as_ref(), false),
                include_last_offset: bool_arg(last.as_ref(), false),
                padding_idx: opt_int(pad.as_ref(), "padding_idx")?,
            };
            Ok(tv(functional(
                &input,
                &weight,
                offsets.as_ref(),
                psw.as_ref(),
                &o,
            )?))
        }),
    );
}
