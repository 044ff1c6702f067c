//! The losses of `tensor::losses_more` (and `TripletMarginLoss`, composed here over
//! `linalg.vector_norm`) as Python objects: the `nn.*Loss` modules with PyTorch's reprs and
//! attributes, and their `torch.nn.functional` forms with PyTorch's signatures.

use std::any::Any;
use std::collections::HashMap;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::{ext_module, reduction_arg};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::losses_more as lm;
use crate::tensor::nn::Reduction;
use crate::tensor::{Scalar, Tensor};

type R<T> = Result<T, Exception>;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    MarginRanking,
    HingeEmbedding,
    CosineEmbedding,
    SoftMargin,
    MultiLabelSoftMargin,
    TripletMargin,
    PoissonNll,
    GaussianNll,
    MultiMargin,
    MultiLabelMargin,
}

/// Each loss: class name, functional name, the class's constructor signature, the forward's
/// tensor arguments, and the functional's options after those tensors.
struct Spec {
    kind: Kind,
    class: &'static str,
    func: &'static str,
    ctor: &'static [&'static str],
    inputs: &'static [&'static str],
    /// The functional's tensor arguments where they differ from the forward's.
    finputs: Option<&'static [&'static str]>,
    options: &'static [&'static str],
}

const LEGACY: [&str; 3] = ["size_average=", "reduce=", "reduction="];

const SPECS: [Spec; 10] = [
    Spec {
        kind: Kind::MarginRanking,
        class: "MarginRankingLoss",
        func: "margin_ranking_loss",
        ctor: &["margin=", "size_average=", "reduce=", "reduction="],
        inputs: &["input1", "input2", "target"],
        finputs: None,
        options: &["margin=", "size_average=", "reduce=", "reduction="],
    },
    Spec {
        kind: Kind::HingeEmbedding,
        class: "HingeEmbeddingLoss",
        func: "hinge_embedding_loss",
        ctor: &["margin=", "size_average=", "reduce=", "reduction="],
        inputs: &["input", "target"],
        finputs: None,
        options: &["margin=", "size_average=", "reduce=", "reduction="],
    },
    Spec {
        kind: Kind::CosineEmbedding,
        class: "CosineEmbeddingLoss",
        func: "cosine_embedding_loss",
        ctor: &["margin=", "size_average=", "reduce=", "reduction="],
        inputs: &["input1", "input2", "target"],
        finputs: None,
        options: &["margin=", "size_average=", "reduce=", "reduction="],
    },
    Spec {
        kind: Kind::SoftMargin,
        class: "SoftMarginLoss",
        func: "soft_margin_loss",
        ctor: &LEGACY,
        inputs: &["input", "target"],
        finputs: None,
        options: &LEGACY,
    },
    Spec {
        kind: Kind::MultiLabelSoftMargin,
        class: "MultiLabelSoftMarginLoss",
        func: "multilabel_soft_margin_loss",
        ctor: &["weight=", "size_average=", "reduce=", "reduction="],
        inputs: &["input", "target"],
        finputs: None,
        options: &["weight=", "size_average=", "reduce=", "reduction="],
    },
    Spec {
        kind: Kind::TripletMargin,
        class: "TripletMarginLoss",
        func: "triplet_margin_loss",
        ctor: &[
            "margin=",
            "p=",
            "eps=",
            "swap=",
            "size_average=",
            "reduce=",
            "reduction=",
        ],
        inputs: &["anchor", "positive", "negative"],
        finputs: None,
        options: &[
            "margin=",
            "p=",
            "eps=",
            "swap=",
            "size_average=",
            "reduce=",
            "reduction=",
        ],
    },
    Spec {
        kind: Kind::PoissonNll,
        class: "PoissonNLLLoss",
        func: "poisson_nll_loss",
        ctor: &[
            "log_input=",
            "full=",
            "size_average=",
            "eps=",
            "reduce=",
            "reduction=",
        ],
        inputs: &["log_input", "target"],
        finputs: Some(&["input", "target"]),
        options: &[
            "log_input=",
            "full=",
            "size_average=",
            "eps=",
            "reduce=",
            "reduction=",
        ],
    },
    Spec {
        kind: Kind::GaussianNll,
        class: "GaussianNLLLoss",
        func: "gaussian_nll_loss",
        ctor: &["*", "full=", "eps=", "reduction="],
        inputs: &["input", "target", "var"],
        finputs: None,
        options: &["full=", "eps=", "reduction="],
    },
    Spec {
        kind: Kind::MultiMargin,
        class: "MultiMarginLoss",
        func: "multi_margin_loss",
        ctor: &[
            "p=",
            "margin=",
            "weight=",
            "size_average=",
            "reduce=",
            "reduction=",
        ],
        inputs: &["input", "target"],
        finputs: None,
        options: &[
            "p=",
            "margin=",
            "weight=",
            "size_average=",
            "reduce=",
            "reduction=",
        ],
    },
    Spec {
        kind: Kind::MultiLabelMargin,
        class: "MultiLabelMarginLoss",
        func: "multilabel_margin_loss",
        ctor: &LEGACY,
        inputs: &["input", "target"],
        finputs: None,
        options: &LEGACY,
    },
];

const MAX_SIG: usize = 12;

/// Binds `sig` (at most MAX_SIG names) by name: the given arguments, keyed without the `=`.
fn bind_named(args: &Args, sig: &[&str]) -> R<HashMap<String, Value>> {
    let mut full: Vec<&str> = sig.to_vec();
    if !full.contains(&"*") {
        full.push("*");
    }
    const PADS: [&str; MAX_SIG] = [
        "_0=", "_1=", "_2=", "_3=", "_4=", "_5=", "_6=", "_7=", "_8=", "_9=", "_10=", "_11=",
    ];
    let slots = full.iter().filter(|s| **s != "*").count();
    full.extend(PADS.iter().take(MAX_SIG - slots));
    let bound: [Option<Value>; MAX_SIG] = args.bind(&full)?;
    let names = full
        .iter()
        .filter(|s| **s != "*")
        .map(|s| s.trim_end_matches('='));
    let mut out = HashMap::new();
    for (name, v) in names.zip(bound) {
        if let Some(v) = v {
            out.insert(name.to_string(), v);
        }
    }
    Ok(out)
}

/// A loss's options, parsed once.
#[derive(Clone)]
struct Options {
    margin: f64,
    p: f64,
    eps: f64,
    swap: bool,
    log_input: bool,
    full: bool,
    weight: Option<Tensor>,
    reduction: Reduction,
    reduction_text: String,
}

fn num(v: Option<&Value>, default: f64, what: &str) -> R<f64> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => v.expect_f64(what),
    }
}

/// The functional losses' `reduction`, with the deprecated `size_average`/`reduce` overriding
/// it when either is given (`_Reduction.legacy_get_string`).
pub fn legacy_reduction_arg(size_average: Option<&Value>, reduce: Option<&Value>, reduction: Option<&Value>) -> R<Reduction> {
    let mut a = HashMap::new();
    for (k, v) in [("size_average", size_average), ("reduce", reduce), ("reduction", reduction)] {
        if let Some(v) = v {
            a.insert(k.to_string(), v.clone());
        }
    }
    Ok(self::reduction(&a)?.0)
}

/// `_Reduction.legacy_get_string`: `size_average`/`reduce` given override `reduction`.
fn reduction(a: &HashMap<String, Value>) -> R<(Reduction, String)> {
    let given = |k: &str| a.get(k).filter(|v| !v.is_none());
    if given("size_average").is_some() || given("reduce").is_some() {
        let sa = bool_arg(given("size_average"), true);
        let red = bool_arg(given("reduce"), true);
        let r = if !red {
            "none"
        } else if sa {
            "mean"
        } else {
            "sum"
        };
        return Ok((reduction_arg(Some(&Value::str(r)))?, r.to_string()));
    }
    let r = reduction_arg(a.get("reduction"))?;
    let text = match r {
        Reduction::Mean => "mean",
        Reduction::Sum => "sum",
        Reduction::None => "none",
    };
    Ok((r, text.to_string()))
}

fn options(kind: Kind, a: &HashMap<String, Value>) -> R<Options> {
    let (reduction, reduction_text) = reduction(a)?;
    let margin_default = match kind {
        Kind::HingeEmbedding | Kind::TripletMargin | Kind::MultiMargin => 1.0,
        _ => 0.0,
    };
    let (p_default, eps_default) = match kind {
        Kind::TripletMargin => (2.0, 1e-6),
        Kind::MultiMargin => (1.0, 0.0),
        Kind::PoissonNll => (0.0, 1e-8),
        _ => (0.0, 1e-6),
    };
    let weight = match a.get("weight") {
        None | Some(Value::None) => None,
        Some(v) => Some(
            as_tensor(v)
                .cloned()
                .ok_or_else(|| Exception::type_error("weight must be a Tensor"))?,
        ),
    };
    Ok(Options {
        margin: num(a.get("margin"), margin_default, "margin")?,
        p: num(a.get("p"), p_default, "p")?,
        eps: num(a.get("eps"), eps_default, "eps")?,
        swap: bool_arg(a.get("swap"), false),
        log_input: bool_arg(a.get("log_input"), true),
        full: bool_arg(a.get("full"), false),
        weight,
        reduction,
        reduction_text,
    })
}

fn tensor_in(a: &HashMap<String, Value>, name: &str, func: &str) -> R<Tensor> {
    match a.get(name) {
        Some(v) => as_tensor(v).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "{func}(): argument '{name}' must be Tensor, not {}",
                v.type_name()
            ))
        }),
        None => Err(Exception::type_error(format!(
            "{func}() missing required argument '{name}'"
        ))),
    }
}

/// `F.pairwise_distance(a, b, p, eps)`: `‖a - b + eps‖_p` over the last dim.
pub(super) fn pairwise_distance(a: &Tensor, b: &Tensor, p: f64, eps: f64) -> R<Tensor> {
    let d = a
        .sub(b)
        .and_then(|d| d.add_scalar(Scalar::Float(eps)))
        .map_err(exc)?;
    let dims = if d.dim() == 0 {
        None
    } else {
        Some(vec![-1isize])
    };
    super::linalg::vector_norm(&d, p, dims.as_deref(), false)
}

/// `torch.triplet_margin_loss`: `max(0, margin + d(a, p) - d(a, n))` with `d(a, n)` replaced
/// by `min(d(a, n), d(p, n))` when `swap`, then the reduction.
fn triplet(t: &[Tensor], o: &Options) -> R<Tensor> {
    let (a, p, n) = (&t[0], &t[1], &t[2]);
    if a.dim() != p.dim() || p.dim() != n.dim() {
        return Err(Exception::runtime_error(format!(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor {}D, positive {}D, and negative {}D inputs",
            a.dim(),
            p.dim(),
            n.dim()
        )));
    }
    let pos = pairwise_distance(a, p, o.p, o.eps)?;
    let mut neg = pairwise_distance(a, n, o.p, o.eps)?;
    if o.swap {
        let sw = pairwise_distance(p, n, o.p, o.eps)?;
        neg = neg.minimum(&sw).map_err(exc)?;
    }
    let out = pos
        .add_scalar(Scalar::Float(o.margin))
        .and_then(|d| d.sub(&neg))
        .map_err(exc)?;
    lm::reduce(&lm::clamp_min(&out, 0.0).map_err(exc)?, o.reduction).map_err(exc)
}

fn apply(kind: Kind, t: &[Tensor], o: &Options) -> R<Tensor> {
    let r = o.reduction;
    match kind {
        Kind::MarginRanking => lm::margin_ranking_loss(&t[0], &t[1], &t[2], o.margin, r),
        Kind::HingeEmbedding => lm::hinge_embedding_loss(&t[0], &t[1], o.margin, r),
        Kind::CosineEmbedding => lm::cosine_embedding_loss(&t[0], &t[1], &t[2], o.margin, r),
        Kind::SoftMargin => lm::soft_margin_loss(&t[0], &t[1], r),
        Kind::MultiLabelSoftMargin => {
            lm::multilabel_soft_margin_loss(&t[0], &t[1], o.weight.as_ref(), r)
        }
        Kind::TripletMargin => return triplet(t, o),
        Kind::PoissonNll => lm::poisson_nll_loss(&t[0], &t[1], o.log_input, o.full, o.eps, r),
        Kind::GaussianNll => lm::gaussian_nll_loss(&t[0], &t[1], &t[2], o.full, o.eps, r),
        Kind::MultiMargin => {
            if o.p != 1.0 && o.p != 2.0 {
                return Err(Exception::value_error("only p == 1 and p == 2 supported"));
            }
            if o.weight.as_ref().is_some_and(|w| w.dim() != 1) {
                return Err(Exception::value_error("weight must be one-dimensional"));
            }
            lm::multi_margin_loss(&t[0], &t[1], o.p as i64, o.margin, o.weight.as_ref(), r)
        }
        Kind::MultiLabelMargin => crate::tensor::multilabel_margin::multilabel_margin_loss(&t[0], &t[1], r),
    }
    .map_err(exc)
}

/// A loss module: its spec and options.
struct LossModule {
    spec: &'static Spec,
    options: Options,
}

impl ExtLayer for LossModule {
    fn name(&self) -> &str {
        self.spec.class
    }
    /// Losses have no extra_repr.
    fn repr(&self) -> String {
        format!("{}()", self.spec.class)
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let a = bind_named(args, self.spec.inputs)?;
        let t = self
            .spec
            .inputs
            .iter()
            .map(|n| tensor_in(&a, n, "forward"))
            .collect::<R<Vec<_>>>()?;
        Ok(tv(apply(self.spec.kind, &t, &self.options)?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        let o = &self.options;
        let k = self.spec.kind;
        let has = |n: &str| self.spec.ctor.iter().any(|s| s.trim_end_matches('=') == n);
        Some(match name {
            "reduction" => Value::str(&o.reduction_text),
            "margin" if has("margin") => Value::Float(o.margin),
            "p" if k == Kind::MultiMargin => Value::Int(o.p as i64),
            "p" if has("p") => Value::Float(o.p),
            "eps" if has("eps") => Value::Float(o.eps),
            "swap" if has("swap") => Value::Bool(o.swap),
            "log_input" if has("log_input") => Value::Bool(o.log_input),
            "full" if has("full") => Value::Bool(o.full),
            "weight" if has("weight") => o.weight.clone().map_or(Value::None, tv),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        let mut options = self.options.clone();
        if let Some(w) = &self.options.weight {
            options.weight = Some(c.tensor(w)?);
        }
        Some(Box::new(LossModule {
            spec: self.spec,
            options,
        }))
    }
}

/// Adds the loss modules to `torch.nn`.
pub fn register(m: &Module) {
    for spec in &SPECS {
        m.set(spec.class, class(spec.class, "torch.nn", move |_, args| {
            let a = bind_named(&args, spec.ctor)?;
            if spec.kind == Kind::MultiMargin {
                let p = num(a.get("p"), 1.0, "p")?;
                if p != 1.0 && p != 2.0 {
                    return Err(Exception::value_error("only p == 1 and p == 2 supported"));
                }
                if a.get("weight").and_then(as_tensor).is_some_and(|w| w.dim() != 1) {
                    return Err(Exception::value_error(format!(
                        "MultiMarginLoss: expected weight to be None or 1D tensor, got {}D instead",
                        a.get("weight").and_then(as_tensor).map_or(0, Tensor::dim)
                    )));
                }
            }
            Ok(ext_module(LossModule { spec, options: options(spec.kind, &a)? }))
        }));
    }
}

/// Adds the functional forms to `torch.nn.functional`.
pub fn add_functional(m: &Module) {
    for spec in &SPECS {
        m.set(
            spec.func,
            Value::builtin(spec.func, move |_, args| {
                let inputs = spec.finputs.unwrap_or(spec.inputs);
                let sig: Vec<&str> = inputs
                    .iter()
                    .copied()
                    .chain(spec.options.iter().copied())
                    .collect();
                let a = bind_named(&args, &sig)?;
                let t = inputs
                    .iter()
                    .map(|n| tensor_in(&a, n, spec.func))
                    .collect::<R<Vec<_>>>()?;
                let o = options(spec.kind, &a)?;
                Ok(tv(apply(spec.kind, &t, &o)?))
            }),
        );
    }
}
