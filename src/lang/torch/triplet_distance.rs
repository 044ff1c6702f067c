//! `nn.TripletMarginWithDistanceLoss` and `F.triplet_margin_with_distance_loss`, composed as
//! PyTorch's Python composes them: `clamp_min(margin + d(a, p) - d(a, n), 0)` reduced, with
//! `d(a, n)` replaced by `minimum(d(a, n), d(p, n))` when `swap`. `d` is the Python callable
//! given, or `F.pairwise_distance`; the module keeps it as its `distance_function` child
//! (an `nn.PairwiseDistance()` by default), as PyTorch does.

use std::any::Any;

use super::convert::tensor_arg;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::losses_more::pairwise_distance;
use super::nn::{ext_module, reduction_arg};
use super::{R, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::losses_more as lm;
use crate::tensor::nn::Reduction;
use crate::tensor::{Scalar, Tensor};

fn loss(
    interp: &mut Interpreter,
    t: [Tensor; 3],
    d: Option<&Value>,
    margin: f64,
    swap: bool,
    r: Reduction,
) -> R<Tensor> {
    let dims = t.each_ref().map(Tensor::dim);
    if dims[0] != dims[1] || dims[1] != dims[2] {
        return Err(Exception::runtime_error(format!(
            "The anchor, positive, and negative tensors are expected to have the same number of dimensions, but got: anchor {}D, positive {}D, and negative {}D inputs",
            dims[0], dims[1], dims[2]
        )));
    }
    let mut dist = |a: &Tensor, b: &Tensor| -> R<Tensor> {
        match d {
            None => pairwise_distance(a, b, 2.0, 1e-6),
            Some(f) => {
                let v = interp.call(
                    f,
                    Args::new("distance_function", vec![tv(a.clone()), tv(b.clone())]),
                )?;
                as_tensor(&v)
                    .cloned()
                    .ok_or_else(|| Exception::type_error("distance_function must return a Tensor"))
            }
        }
    };
    let pos = dist(&t[0], &t[1])?;
    let mut neg = dist(&t[0], &t[2])?;
    if swap {
        let sw = dist(&t[1], &t[2])?;
        neg = neg.minimum(&sw).map_err(exc)?;
    }
    let out = pos
        .add_scalar(Scalar::Float(margin))
        .and_then(|d| d.sub(&neg))
        .map_err(exc)?;
    lm::reduce(&lm::clamp_min(&out, 0.0).map_err(exc)?, r).map_err(exc)
}

fn inputs(a: [Option<Value>; 3]) -> R<[Tensor; 3]> {
    let [x, y, z] = a;
    Ok([
        tensor_arg(x.as_ref(), "anchor")?,
        tensor_arg(y.as_ref(), "positive")?,
        tensor_arg(z.as_ref(), "negative")?,
    ])
}

fn reduction_text(r: Reduction) -> &'static str {
    match r {
        Reduction::Mean => "mean",
        Reduction::Sum => "sum",
        Reduction::None => "none",
    }
}

struct TripletWithDistance {
    /// The callable given, or the `nn.PairwiseDistance()` made for it.
    distance: Value,
    /// Whether `distance` is a module (a child that shows in the repr).
    child: bool,
    margin: f64,
    swap: bool,
    reduction: Reduction,
}

impl ExtLayer for TripletWithDistance {
    fn name(&self) -> &str {
        "TripletMarginWithDistanceLoss"
    }
    fn children(&self) -> Vec<(String, Value)> {
        if self.child {
            vec![("distance_function".to_string(), self.distance.clone())]
        } else {
            Vec::new()
        }
    }
    fn repr(&self) -> String {
        "TripletMarginWithDistanceLoss()".to_string()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let t = inputs(args.bind(&["anchor", "positive", "negative"])?)?;
        Ok(tv(loss(
            interp,
            t,
            Some(&self.distance),
            self.margin,
            self.swap,
            self.reduction,
        )?))
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "distance_function" => self.distance.clone(),
            "margin" => Value::Float(self.margin),
            "swap" => Value::Bool(self.swap),
            "reduction" => Value::str(reduction_text(self.reduction)),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Adds `nn.TripletMarginWithDistanceLoss(*, distance_function=None, margin=1.0, swap=False,
/// reduction='mean')` and its functional form; installed after `nn.PairwiseDistance`, which
/// makes the default distance.
pub fn install(nn: &Module, functional: &Module) {
    let Some(pairwise) = nn.get("PairwiseDistance") else {
        return;
    };
    nn.set("TripletMarginWithDistanceLoss", class("TripletMarginWithDistanceLoss", "torch.nn", move |interp, args| {
        let [d, margin, swap, reduction] = args.bind(&["*", "distance_function=", "margin=", "swap=", "reduction="])?;
        let margin = f64_arg(margin.as_ref(), 1.0, "margin")?;
        if margin <= 0.0 {
            return Err(Exception::value_error(format!(
                "TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {} instead",
                args.kw.iter().find(|(k, _)| &**k == "margin").map_or_else(|| margin.to_string(), |(_, v)| v.repr())
            )));
        }
        let given = d.filter(|v| !v.is_none());
        let distance = match given {
            Some(f) => f,
            None => interp.call(&pairwise, Args::new("PairwiseDistance", Vec::new()))?,
        };
        let child = distance.downcast::<super::nn::PyModule>().is_some() || matches!(distance, Value::Instance(_));
        Ok(ext_module(TripletWithDistance {
            distance,
            child,
            margin,
            swap: bool_arg(swap.as_ref(), false),
            reduction: reduction_arg(reduction.as_ref())?,
        }))
    }));
    functional.set(
        "triplet_margin_with_distance_loss",
        Value::builtin("triplet_margin_with_distance_loss", |interp, args| {
            let [x, y, z, d, margin, swap, reduction] = args.bind(&[
                "anchor",
                "positive",
                "negative",
                "*",
                "distance_function=",
                "margin=",
                "swap=",
                "reduction=",
            ])?;
            let r = reduction_arg(reduction.as_ref())?;
            let m = f64_arg(margin.as_ref(), 1.0, "margin")?;
            if m <= 0.0 {
                return Err(Exception::value_error(format!(
                    "margin must be greater than 0, got {}",
                    margin.as_ref().map_or_else(|| m.to_string(), Value::repr)
                )));
            }
            let t = inputs([x, y, z])?;
            Ok(tv(loss(
                interp,
                t,
                d.as_ref().filter(|v| !v.is_none()),
                m,
                bool_arg(swap.as_ref(), false),
                r,
            )?))
        }),
    );
}
