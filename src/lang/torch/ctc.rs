//! `nn.CTCLoss` and `F.ctc_loss` over the engine's `tensor::ctc` (PyTorch's CPU algorithm in
//! log space), with PyTorch's arguments: lengths as tensors or sequences of ints.

use std::any::Any;

use super::convert::tensor_arg;
use super::convert::{as_tensor, bool_arg, exc, tv};
use super::ext::ExtLayer;
use super::nn::{ext_module, reduction_arg};
use super::{R, class};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::nn::Reduction;

/// A lengths argument: an integer tensor or a sequence of ints.
fn lengths(v: Option<&Value>, what: &str) -> R<Vec<i64>> {
    match v {
        Some(Value::Tuple(t)) => t.iter().map(|v| v.expect_int(what)).collect(),
        Some(Value::List(l)) => l.borrow().iter().map(|v| v.expect_int(what)).collect(),
        Some(v) => match as_tensor(v) {
            Some(t) if !t.dtype().is_floating_point() => {
                Ok(t.to_f64_vec().iter().map(|&x| x as i64).collect())
            }
            Some(_) => Err(Exception::runtime_error(format!("{what} must be integral"))),
            None => Err(Exception::type_error(format!(
                "ctc_loss(): argument '{what}' must be tuple of ints, not {}",
                v.type_name()
            ))),
        },
        None => Err(Exception::type_error(format!(
            "ctc_loss() missing required argument '{what}'"
        ))),
    }
}

fn run(a: [Option<Value>; 4], blank: i64, r: Reduction, zero_inf: bool) -> R<Value> {
    let [lp, tg, il, tl] = a;
    let lp = tensor_arg(lp.as_ref(), "log_probs")?;
    let tg = tensor_arg(tg.as_ref(), "targets")?;
    let (il, tl) = (
        lengths(il.as_ref(), "input_lengths")?,
        lengths(tl.as_ref(), "target_lengths")?,
    );
    Ok(tv(crate::tensor::ctc::ctc_loss(
        &lp, &tg, &il, &tl, blank, r, zero_inf,
    )
    .map_err(exc)?))
}

struct CtcLoss {
    blank: i64,
    reduction: Reduction,
    zero_infinity: bool,
}

impl ExtLayer for CtcLoss {
    fn name(&self) -> &str {
        "CTCLoss"
    }
    fn repr(&self) -> String {
        "CTCLoss()".to_string()
    }
    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let a = args.bind(&["log_probs", "targets", "input_lengths", "target_lengths"])?;
        run(a, self.blank, self.reduction, self.zero_infinity)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "blank" => Value::Int(self.blank),
            "zero_infinity" => Value::Bool(self.zero_infinity),
            "reduction" => Value::str(match self.reduction {
                Reduction::Mean => "mean",
                Reduction::Sum => "sum",
                Reduction::None => "none",
            }),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(CtcLoss {
            blank: self.blank,
            reduction: self.reduction,
            zero_infinity: self.zero_infinity,
        }))
    }
}

/// Adds `nn.CTCLoss(blank=0, reduction='mean', zero_infinity=False)`.
pub fn register(m: &Module) {
    m.set(
        "CTCLoss",
        class("CTCLoss", "torch.nn", |_, args| {
            let [blank, reduction, zero_inf] =
                args.bind(&["blank=", "reduction=", "zero_infinity="])?;
            Ok(ext_module(CtcLoss {
                blank: blank.map_or(Ok(0), |v| v.expect_int("blank"))?,
                reduction: reduction_arg(reduction.as_ref())?,
                zero_infinity: bool_arg(zero_inf.as_ref(), false),
            }))
        }),
    );
}

/// Adds `F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0,
/// reduction='mean', zero_infinity=False)`.
pub fn add_functional(m: &Module) {
    m.set(
        "ctc_loss",
        Value::builtin("ctc_loss", |_, args| {
            let [lp, tg, il, tl, blank, reduction, zero_inf] = args.bind(&[
                "log_probs",
                "targets",
                "input_lengths",
                "target_lengths",
                "blank=",
                "reduction=",
                "zero_infinity=",
            ])?;
            let blank = blank.map_or(Ok(0), |v| v.expect_int("blank"))?;
            run(
                [lp, tg, il, tl],
                blank,
                reduction_arg(reduction.as_ref())?,
                bool_arg(zero_inf.as_ref(), false),
            )
        }),
    );
}
