//! `torch.distributions.kl_divergence(p, q)` (also `torch.distributions.kl`) for the pairs of
//! one family lessons use: Normal, Categorical, Bernoulli and Uniform, with PyTorch's formulas
//! op for op (torch/distributions/kl.py), so values and gradients are its. The parameters are
//! read as attributes, so reading `probs` or `logits` shows in the repr as in PyTorch.

use std::rc::Rc;

use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{Scalar, Tensor};

type R<T> = Result<T, Exception>;

/// Adds `kl_divergence` to `torch.distributions` and returns the `torch.distributions.kl`
/// module holding it.
pub fn install(m: &Module) -> Value {
    let f = Value::builtin("kl_divergence", kl_divergence);
    m.set("kl_divergence", f.clone());
    let kl = Module::new("torch.distributions.kl");
    kl.set("kl_divergence", f);
    let kl = Value::Module(Rc::new(kl));
    m.set("kl", kl.clone());
    kl
}

fn kl_divergence(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [p, q] = args.bind(&["p", "q"])?;
    let (p, q) = (p.unwrap_or(Value::None), q.unwrap_or(Value::None));
    let (pt, qt) = (p.type_name(), q.type_name());
    let e = exc;
    let mut get = |v: &Value, name: &str| -> R<Tensor> {
        let a = interp.get_attr(v, name)?;
        as_tensor(&a)
            .cloned()
            .ok_or_else(|| Exception::type_error(format!("{name} is not a Tensor")))
    };
    let inf = Scalar::Float(f64::INFINITY);
    let out = match (pt.as_str(), qt.as_str()) {
        ("Normal", "Normal") => {
            let (pl, ps, ql, qs) = (
                get(&p, "loc")?,
                get(&p, "scale")?,
                get(&q, "loc")?,
                get(&q, "scale")?,
            );
            let var_ratio = ps
                .div(&qs)
                .and_then(|r| r.pow_scalar(Scalar::Int(2)))
                .map_err(e)?;
            let t1 = pl
                .sub(&ql)
                .and_then(|d| d.div(&qs))
                .and_then(|r| r.pow_scalar(Scalar::Int(2)))
                .map_err(e)?;
            var_ratio
                .add(&t1)
                .and_then(|s| s.sub_scalar(Scalar::Int(1)))
                .and_then(|s| s.sub(&var_ratio.log()?))
                .and_then(|s| s.mul_scalar(Scalar::Float(0.5)))
                .map_err(e)?
        }
        ("Categorical", "Categorical") => {
            let (pp, pl, ql, qp) = (
                get(&p, "probs")?,
                get(&p, "logits")?,
                get(&q, "logits")?,
                get(&q, "probs")?,
            );
            let t = pl.sub(&ql).and_then(|d| pp.mul(&d)).map_err(e)?;
            let shape = t.shape();
            let q0 = qp
                .eq_scalar(Scalar::Int(0))
                .and_then(|m| m.expand(&shape))
                .map_err(e)?;
            let p0 = pp
                .eq_scalar(Scalar::Int(0))
                .and_then(|m| m.expand(&shape))
                .map_err(e)?;
            t.masked_fill(&q0, inf)
                .and_then(|t| t.masked_fill(&p0, Scalar::Int(0)))
                .and_then(|t| t.sum(Some(&[-1]), false))
                .map_err(e)?
        }
        ("Bernoulli", "Bernoulli") => {
            let (pp, pl, ql, qp) = (
                get(&p, "probs")?,
                get(&p, "logits")?,
                get(&q, "logits")?,
                get(&q, "probs")?,
            );
            let sp = |t: &Tensor| t.softplus(1.0, 20.0);
            let t1 = (|| pp.mul(&sp(&ql.neg()?)?.sub(&sp(&pl.neg()?)?)?))().map_err(e)?;
            let t1 = t1
                .masked_fill(&qp.eq_scalar(Scalar::Int(0)).map_err(e)?, inf)
                .and_then(|t| t.masked_fill(&pp.eq_scalar(Scalar::Int(0))?, Scalar::Int(0)))
                .map_err(e)?;
            let t2 = (|| {
                pp.rsub_scalar(Scalar::Int(1))?
                    .mul(&sp(&ql)?.sub(&sp(&pl)?)?)
            })()
            .map_err(e)?;
            let t2 = t2
                .masked_fill(&qp.eq_scalar(Scalar::Int(1)).map_err(e)?, inf)
                .and_then(|t| t.masked_fill(&pp.eq_scalar(Scalar::Int(1))?, Scalar::Int(0)))
                .map_err(e)?;
            t1.add(&t2).map_err(e)?
        }
        ("Uniform", "Uniform") => {
            let (plo, phi, qlo, qhi) = (
                get(&p, "low")?,
                get(&p, "high")?,
                get(&q, "low")?,
                get(&q, "high")?,
            );
            let result = (|| qhi.sub(&qlo)?.div(&phi.sub(&plo)?)?.log())().map_err(e)?;
            let outside = qlo
                .gt(&plo)
                .and_then(|a| a.logical_or(&qhi.lt(&phi)?))
                .map_err(e)?;
            result.masked_fill(&outside, inf).map_err(e)?
        }
        _ => {
            return Err(Exception::new(
                "NotImplementedError",
                format!("No KL(p || q) is implemented for p type {pt} and q type {qt}"),
            ));
        }
    };
    Ok(tv(out))
}
