//! `torch.poisson`, `torch.binomial` and the count distributions over them,
//! `torch.distributions.Binomial` and `Poisson`: PyTorch's parametrisations (Binomial's lazy
//! `probs`/`logits` pair), argument and sample validation with its messages, sampling through
//! the two kernels, `log_prob`, Binomial's `entropy` over its support, the moments and the repr.

use std::cell::RefCell;

use super::convert::{as_tensor, exc, shape_args, tv};
use super::distributions::{broadcast_pair, clamp_probs, fmt_param, log1p_neg, param};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Data, Scalar, Tensor};

type R<T> = Result<T, Exception>;

/// `torch.poisson(input, generator=None)` and `torch.binomial(count, prob, generator=None)`.
pub fn install_torch(m: &Module) {
    m.set(
        "poisson",
        Value::builtin("poisson", |_, args| {
            let [input, _gen] = args.bind(&["input", "generator="])?;
            let t = tensor_arg(input.as_ref(), "poisson", "input", 1)?;
            let g = super::generator_arg(&args)?;
            let r = engine::poisson(&mut g.borrow_mut(), &t).map_err(exc)?;
            Ok(tv(r))
        }),
    );
    m.set(
        "binomial",
        Value::builtin("binomial", |_, args| {
            let [count, prob, _gen] = args.bind(&["count", "prob", "generator="])?;
            let n = tensor_arg(count.as_ref(), "binomial", "count", 1)?;
            let p = tensor_arg(prob.as_ref(), "binomial", "prob", 2)?;
            let g = super::generator_arg(&args)?;
            let r = engine::binomial(&mut g.borrow_mut(), &n, &p).map_err(exc)?;
            Ok(tv(r))
        }),
    );
}

fn tensor_arg(v: Option<&Value>, f: &str, name: &str, pos: usize) -> R<Tensor> {
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{f}(): argument '{name}' (position {pos}) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

enum Kind {
    /// `total_count`, `probs`, `logits` (one of the last two given, the other computed).
    Binomial(Tensor, Tensor, Tensor),
    Poisson(Tensor),
}

struct CountDist {
    kind: Kind,
    /// The parameters in the instance's `__dict__`, in `arg_constraints` order when shown.
    shown: RefCell<Vec<&'static str>>,
}

/// A constraint of `torch.distributions.constraints`, as PyTorch names and checks it.
#[derive(Clone, Copy)]
enum Constraint {
    NonnegativeInteger,
    UnitInterval,
    Real,
    Nonnegative,
}

impl Constraint {
    fn repr(self) -> &'static str {
        match self {
            Constraint::NonnegativeInteger => "IntegerGreaterThan(lower_bound=0)",
            Constraint::UnitInterval => "Interval(lower_bound=0.0, upper_bound=1.0)",
            Constraint::Real => "Real()",
            Constraint::Nonnegative => "GreaterThanEq(lower_bound=0.0)",
        }
    }

    fn ok(self, x: f64) -> bool {
        match self {
            Constraint::NonnegativeInteger => x % 1.0 == 0.0 && x >= 0.0,
            Constraint::UnitInterval => (0.0..=1.0).contains(&x),
            Constraint::Real => !x.is_nan(),
            Constraint::Nonnegative => x >= 0.0,
        }
    }
}

/// `f"{t}"`: a 0-d tensor formats as its item, others as their repr.
fn fmt_value(t: &Tensor) -> String {
    if t.dim() == 0 {
        return fmt_param(t);
    }
    t.repr()
}

fn shape_tuple(t: &Tensor) -> String {
    let s = t.shape();
    match s.len() {
        1 => format!("({},)", s[0]),
        _ => format!(
            "({})",
            s.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl CountDist {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Binomial(..) => "Binomial",
            Kind::Poisson(_) => "Poisson",
        }
    }

    /// The parameters with their constraints, in `arg_constraints` order.
    fn params(&self) -> Vec<(&'static str, &Tensor, Constraint)> {
        match &self.kind {
            Kind::Binomial(n, p, l) => vec![
                ("total_count", n, Constraint::NonnegativeInteger),
                ("probs", p, Constraint::UnitInterval),
                ("logits", l, Constraint::Real),
            ],
            Kind::Poisson(r) => vec![("rate", r, Constraint::Nonnegative)],
        }
    }

    fn mark(&self, name: &'static str) {
        let mut shown = self.shown.borrow_mut();
        if !shown.contains(&name) {
            shown.push(name);
        }
    }

    /// PyTorch's `Distribution.__init__` check of each parameter in `__dict__`.
    fn validate(self) -> R<Self> {
        let bad = {
            let shown = self.shown.borrow();
            self.params()
                .into_iter()
                .filter(|(n, ..)| shown.contains(n))
                .find(|(_, t, c)| !t.to_f64_vec().iter().all(|&x| c.ok(x)))
                .map(|(n, t, c)| (n, shape_tuple(t), c, fmt_value(t)))
        };
        match bad {
            None => Ok(self),
            Some((n, shape, c, v)) => Err(Exception::value_error(format!(
                "Expected parameter {n} (Tensor of shape {shape}) of distribution {} to satisfy the constraint {}, but found invalid values:\n{v}",
                self.repr(),
                c.repr()
            ))),
        }
    }

    fn batch_shape(&self) -> Vec<usize> {
        match &self.kind {
            Kind::Binomial(n, ..) => n.shape(),
            Kind::Poisson(r) => r.shape(),
        }
    }

    fn sample(&self, args: &Args, sample: &[usize]) -> R<Tensor> {
        let _guard = super::tensor::NoGrad::new();
        let shape = [sample, &self.batch_shape()].concat();
        let g = super::generator_arg(args)?;
        let e = exc;
        match &self.kind {
            Kind::Binomial(n, p, _) => {
                self.mark("probs");
                let (n, p) = (n.expand(&shape).map_err(e)?, p.expand(&shape).map_err(e)?);
                engine::binomial(&mut g.borrow_mut(), &n, &p).map_err(e)
            }
            Kind::Poisson(r) => {
                engine::poisson(&mut g.borrow_mut(), &r.expand(&shape).map_err(e)?).map_err(e)
            }
        }
    }

    /// `_validate_sample`: the value must lie in the support.
    fn check_support(&self, value: &Tensor) -> R<()> {
        let (ok, support) = match &self.kind {
            Kind::Poisson(_) => (
                value
                    .to_f64_vec()
                    .iter()
                    .all(|&x| Constraint::NonnegativeInteger.ok(x)),
                Constraint::NonnegativeInteger.repr().to_string(),
            ),
            Kind::Binomial(n, ..) => {
                let shape = super::distributions::broadcast(&value.shape(), &n.shape())?;
                let v = value.expand(&shape).map_err(exc)?.to_f64_vec();
                let hi = n.expand(&shape).map_err(exc)?.to_f64_vec();
                let ok = v
                    .iter()
                    .zip(&hi)
                    .all(|(&x, &h)| x % 1.0 == 0.0 && x >= 0.0 && x <= h);
                (
                    ok,
                    format!(
                        "IntegerInterval(lower_bound=0, upper_bound={})",
                        fmt_value(n)
                    ),
                )
            }
        };
        if ok {
            return Ok(());
        }
        Err(Exception::value_error(format!(
            "Expected value argument (Tensor of shape {}) to be within the support ({support}) of the distribution {}, but found invalid values:\n{}",
            shape_tuple(value),
            self.repr(),
            fmt_value(value)
        )))
    }

    fn log_prob(&self, value: &Tensor) -> R<Tensor> {
        self.check_support(value)?;
        let e = exc;
        let lgamma = super::special::lgamma_of;
        match &self.kind {
            Kind::Binomial(n, _, l) => {
                self.mark("logits");
                let one = Scalar::Int(1);
                let log_n = lgamma(&n.add_scalar(one).map_err(e)?)?;
                let log_k = lgamma(&value.add_scalar(one).map_err(e)?)?;
                let log_nmk = lgamma(&n.sub(value).and_then(|x| x.add_scalar(one)).map_err(e)?)?;
                // _clamp_by_zero(l) = (l.clamp(min=0) + l - l.clamp(max=0)) / 2
                let zero = Scalar::Int(0);
                let clamped = l
                    .clamp(Some(zero), None)
                    .and_then(|x| x.add(l))
                    .and_then(|x| x.sub(&l.clamp(None, Some(zero))?))
                    .and_then(|x| x.div_scalar(Scalar::Int(2)))
                    .map_err(e)?;
                let soft = l
                    .abs()
                    .and_then(|x| x.neg())
                    .and_then(|x| x.exp())
                    .and_then(|x| x.log1p());
                let norm = n
                    .mul(&clamped)
                    .and_then(|x| x.add(&n.mul(&soft?)?))
                    .and_then(|x| x.sub(&log_n))
                    .map_err(e)?;
                value
                    .mul(l)
                    .and_then(|x| x.sub(&log_k))
                    .and_then(|x| x.sub(&log_nmk))
                    .and_then(|x| x.sub(&norm))
                    .map_err(e)
            }
            Kind::Poisson(r) => {
                let shape = super::distributions::broadcast(&value.shape(), &r.shape())?;
                let (v, r) = (
                    value.expand(&shape).map_err(e)?,
                    r.expand(&shape).map_err(e)?,
                );
                let lg = lgamma(&v.add_scalar(Scalar::Int(1)).map_err(e)?)?;
                xlogy(&v, &r)?.sub(&r).and_then(|x| x.sub(&lg)).map_err(e)
            }
        }
    }

    /// Binomial's entropy: `-(p log p).sum()` over the support `0..=total_count`.
    fn entropy(&self) -> R<Tensor> {
        let e = exc;
        let Kind::Binomial(n, p, _) = &self.kind else {
            return Err(Exception::new("NotImplementedError", ""));
        };
        let counts = n.to_f64_vec();
        let hi = counts.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lo = counts.iter().copied().fold(f64::INFINITY, f64::min);
        if lo != hi.trunc() {
            return Err(Exception::new(
                "NotImplementedError",
                "Inhomogeneous total count not supported by `entropy`.",
            ));
        }
        let k = hi as usize + 1;
        let batch = self.batch_shape();
        let shape: Vec<usize> = std::iter::once(k).chain(batch.iter().map(|_| 1)).collect();
        let values = Tensor::from_data(Data::F64((0..k).map(|i| i as f64).collect()), &shape)
            .and_then(|t| t.to_dtype(p.dtype()))
            .map_err(e)?;
        let lp = self.log_prob(&values)?;
        lp.exp()
            .and_then(|x| x.mul(&lp))
            .and_then(|x| x.sum(Some(&[0]), false))
            .and_then(|x| x.neg())
            .map_err(e)
    }

    fn attr(&self, name: &str) -> R<Option<Tensor>> {
        let e = exc;
        Ok(Some(match (&self.kind, name) {
            (Kind::Binomial(n, ..), "total_count") => n.clone(),
            (Kind::Binomial(_, p, _), "probs") => {
                self.mark("probs");
                p.clone()
            }
            (Kind::Binomial(_, _, l), "logits") => {
                self.mark("logits");
                l.clone()
            }
            (Kind::Binomial(n, p, _), "mean") => {
                self.mark("probs");
                n.mul(p).map_err(e)?
            }
            (Kind::Binomial(n, p, _), "mode") => {
                self.mark("probs");
                n.add_scalar(Scalar::Int(1))
                    .and_then(|x| x.mul(p))
                    .and_then(|x| x.floor())
                    .and_then(|x| Tensor::where_(&x.gt(n)?, n, &x))
                    .map_err(e)?
            }
            (Kind::Binomial(n, p, _), "variance" | "stddev") => {
                self.mark("probs");
                let v = n
                    .mul(p)
                    .and_then(|x| x.mul(&p.rsub_scalar(Scalar::Int(1))?))
                    .map_err(e)?;
                if name == "stddev" {
                    v.sqrt().map_err(e)?
                } else {
                    v
                }
            }
            (Kind::Poisson(r), "rate" | "mean" | "variance") => r.clone(),
            (Kind::Poisson(r), "mode") => r.floor().map_err(e)?,
            (Kind::Poisson(r), "stddev") => r.sqrt().map_err(e)?,
            _ => return Ok(None),
        }))
    }
}

/// `torch.xlogy(x, y)`: 0 where `x == 0` (unless `y` is NaN), else `x * log(y)`, in the
/// tensors' precision.
fn xlogy(x: &Tensor, y: &Tensor) -> R<Tensor> {
    let e = exc;
    let prod = x.mul(&y.log().map_err(e)?).map_err(e)?;
    let zero = x
        .eq_scalar(Scalar::Int(0))
        .and_then(|z| z.logical_and(&y.eq(y)?))
        .map_err(e)?;
    Tensor::where_(&zero, &prod.zeros_like(), &prod).map_err(e)
}

impl NativeObject for CountDist {
    fn type_name(&self) -> &str {
        self.name()
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.distributions")
    }
    fn repr(&self) -> String {
        let shown = self.shown.borrow();
        let parts: Vec<String> = self
            .params()
            .into_iter()
            .filter(|(n, ..)| shown.contains(n))
            .map(|(n, t, _)| format!("{n}: {}", fmt_param(t)))
            .collect();
        format!("{}({})", self.name(), parts.join(", "))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let size = |s: Vec<usize>| Value::native(super::convert::PySize(s));
        Ok(Some(match name {
            "batch_shape" => size(self.batch_shape()),
            "event_shape" => size(Vec::new()),
            "sample" => Value::method(this.clone(), name, |it, args| {
                let d = args.this_native::<CountDist>()?;
                let [shape] = args.bind(&["sample_shape="])?;
                let shape = match shape {
                    None => Vec::new(),
                    Some(v) => shape_args(it, &[v], "sample")?,
                };
                Ok(tv(d.sample(&args, &shape)?))
            }),
            // Neither is reparametrisable: PyTorch's base class raises a bare
            // NotImplementedError.
            "rsample" => Value::method(this.clone(), name, |_, _| {
                Err(Exception::new("NotImplementedError", ""))
            }),
            "log_prob" => Value::method(this.clone(), name, |_, args| {
                let d = args.this_native::<CountDist>()?;
                let [v] = args.bind(&["value"])?;
                let v = v.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
                    Exception::value_error("The value argument to log_prob must be a Tensor")
                })?;
                Ok(tv(d.log_prob(&v)?))
            }),
            "entropy" => Value::method(this.clone(), name, |_, args| {
                Ok(tv(args.this_native::<CountDist>()?.entropy()?))
            }),
            _ => match self.attr(name)? {
                Some(t) => tv(t),
                None => return Ok(None),
            },
        }))
    }
}

/// `Binomial(total_count=1, probs=None, logits=None)`.
fn binomial(args: Args) -> R<Value> {
    let [total, probs, logits, _v] =
        args.bind(&["total_count=", "probs=", "logits=", "validate_args="])?;
    let total = total.unwrap_or(Value::Int(1));
    let e = exc;
    let (n, p, l, given) = match (
        probs.filter(|v| !v.is_none()),
        logits.filter(|v| !v.is_none()),
    ) {
        (Some(p), None) => {
            let (n, p) = broadcast_pair(&total, &p)?;
            let n = n.to_dtype(p.dtype()).map_err(e)?;
            let c = clamp_probs(&p)?;
            let l1p = log1p_neg(&c)?;
            let l = c.log().and_then(|x| x.sub(&l1p)).map_err(e)?;
            (n, p, l, "probs")
        }
        (None, Some(l)) => {
            let (n, l) = broadcast_pair(&total, &l)?;
            let n = n.to_dtype(l.dtype()).map_err(e)?;
            (n, l.sigmoid().map_err(e)?, l, "logits")
        }
        _ => {
            return Err(Exception::value_error(
                "Either `probs` or `logits` must be specified, but not both.",
            ));
        }
    };
    let d = CountDist {
        kind: Kind::Binomial(n, p, l),
        shown: RefCell::new(vec!["total_count", given]),
    };
    Ok(Value::native(d.validate()?))
}

/// `Poisson(rate)`.
fn poisson(args: Args) -> R<Value> {
    let [rate, _v] = args.bind(&["rate", "validate_args="])?;
    let r = param(rate.as_ref().unwrap_or(&Value::None), None)?;
    let d = CountDist {
        kind: Kind::Poisson(r),
        shown: RefCell::new(vec!["rate"]),
    };
    Ok(Value::native(d.validate()?))
}

/// The two classes, as `(name, class, submodule)` for `torch.distributions`.
pub fn classes() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "Binomial",
            super::class("Binomial", "torch.distributions", |_, args| binomial(args)),
            "binomial",
        ),
        (
            "Poisson",
            super::class("Poisson", "torch.distributions", |_, args| poisson(args)),
            "poisson",
        ),
    ]
}
