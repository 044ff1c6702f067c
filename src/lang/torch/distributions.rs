//! `torch.distributions`: Categorical, Multinomial, Normal, Bernoulli and Uniform (Binomial and
//! Poisson are in `distributions_count`) with
//! PyTorch's parametrisations (probs normalised, logits as normalised log-probabilities),
//! sampling paths (Categorical and Multinomial through `torch.multinomial` with replacement,
//! Normal through `normal_` scaled and shifted, Bernoulli through `torch.bernoulli`, Uniform
//! through `torch.rand`), `log_prob`, `entropy`, the moments, and PyTorch's repr.

use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{as_scalar, as_tensor, exc, shape_args, tv};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Scalar, Tensor};

type R<T> = Result<T, Exception>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Categorical,
    Multinomial(i64),
    Normal,
    Bernoulli,
    Uniform,
}

struct Dist {
    kind: Kind,
    /// Categorical, Multinomial, Bernoulli: probs and logits. Normal: loc and scale.
    /// Uniform: low and high.
    a: Tensor,
    b: Tensor,
    /// The parameters PyTorch holds in the instance's `__dict__` (shown by its repr): the one
    /// given, plus the other once it has been read.
    shown: RefCell<Vec<&'static str>>,
}

fn finfo(d: DType) -> (f64, f64) {
    // (eps, min)
    if d == DType::Float64 {
        (f64::EPSILON, f64::MIN)
    } else {
        (f64::from(f32::EPSILON), f64::from(f32::MIN))
    }
}

pub(super) fn clamp_probs(p: &Tensor) -> R<Tensor> {
    let eps = finfo(p.dtype()).0;
    p.clamp(Some(Scalar::Float(eps)), Some(Scalar::Float(1.0 - eps)))
        .map_err(exc)
}

/// A parameter: a tensor, or a Python number as a tensor of the default dtype.
pub(super) fn param(v: &Value, like: Option<DType>) -> R<Tensor> {
    if let Some(t) = as_tensor(v) {
        return Ok(t.clone());
    }
    let s = as_scalar(v).ok_or_else(|| {
        Exception::type_error(format!(
            "expected a Tensor or a number, got {}",
            v.type_name()
        ))
    })?;
    Ok(Tensor::scalar(
        Scalar::Float(s.as_f64()),
        like.unwrap_or_else(super::default_dtype),
    ))
}

/// PyTorch's `broadcast_all`: numbers take the tensors' dtype, then everything broadcasts.
pub(super) fn broadcast_pair(x: &Value, y: &Value) -> R<(Tensor, Tensor)> {
    let like = as_tensor(x).or_else(|| as_tensor(y)).map(Tensor::dtype);
    let (a, b) = (param(x, like)?, param(y, like)?);
    let shape = broadcast(&a.shape(), &b.shape())?;
    Ok((
        a.expand(&shape).map_err(exc)?,
        b.expand(&shape).map_err(exc)?,
    ))
}

pub(super) fn broadcast(a: &[usize], b: &[usize]) -> R<Vec<usize>> {
    let n = a.len().max(b.len());
    (0..n)
        .map(|i| {
            let x = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
            let y = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
            match (x, y) {
                (x, y) if x == y => Ok(x),
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                _ => Err(Exception::runtime_error(format!("The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton dimension {i}"))),
            }
        })
        .collect()
}

impl Dist {
    /// Records that PyTorch's code would have read these (lazy) parameters.
    fn mark(&self, names: &[&'static str]) {
        if matches!(self.kind, Kind::Categorical | Kind::Bernoulli) {
            let mut shown = self.shown.borrow_mut();
            for n in names {
                if !shown.contains(n) {
                    shown.push(n);
                }
            }
        }
    }

    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Categorical => "Categorical",
            Kind::Multinomial(_) => "Multinomial",
            Kind::Normal => "Normal",
            Kind::Bernoulli => "Bernoulli",
            Kind::Uniform => "Uniform",
        }
    }

    fn param_names(&self) -> [&'static str; 2] {
        match self.kind {
            Kind::Categorical | Kind::Multinomial(_) | Kind::Bernoulli => ["probs", "logits"],
            Kind::Normal => ["loc", "scale"],
            Kind::Uniform => ["low", "high"],
        }
    }

    fn batch_shape(&self) -> Vec<usize> {
        let s = self.a.shape();
        match self.kind {
            Kind::Categorical | Kind::Multinomial(_) => s[..s.len().saturating_sub(1)].to_vec(),
            _ => s,
        }
    }

    fn event_shape(&self) -> Vec<usize> {
        match self.kind {
            Kind::Multinomial(_) => vec![*self.a.shape().last().unwrap_or(&1)],
            _ => Vec::new(),
        }
    }

    fn extended(&self, sample: &[usize]) -> Vec<usize> {
        [sample, &self.batch_shape(), &self.event_shape()].concat()
    }

    /// `torch.multinomial(probs_2d, n, True).T` reshaped to `prefix + batch_shape`.
    fn categorical_draw(&self, args: &Args, prefix: &[usize]) -> R<Tensor> {
        let cats = *self.a.shape().last().unwrap_or(&1);
        let p2 = self.a.reshape(&[-1, cats as isize]).map_err(exc)?;
        let n: usize = prefix.iter().product();
        let g = super::generator_arg(args)?;
        let s = engine::multinomial(&mut g.borrow_mut(), &p2, n as i64, true)
            .map_err(exc)?
            .t()
            .map_err(exc)?;
        let shape: Vec<isize> = [prefix, &self.batch_shape()]
            .concat()
            .iter()
            .map(|&d| d as isize)
            .collect();
        s.reshape(&shape).map_err(exc)
    }

    fn sample(&self, args: &Args, sample: &[usize]) -> R<Tensor> {
        self.mark(&["probs"]);
        let _guard = super::tensor::NoGrad::new();
        let shape = self.extended(sample);
        let g = super::generator_arg(args)?;
        match self.kind {
            Kind::Categorical => self.categorical_draw(args, sample),
            Kind::Multinomial(total) => {
                let prefix = [&[total.max(0) as usize][..], sample].concat();
                let s = self.categorical_draw(args, &prefix)?;
                let nd = s.dim() as isize;
                let perm: Vec<isize> = (1..nd).chain(std::iter::once(0)).collect();
                let s = s.permute(&perm).map_err(exc)?;
                let counts = Tensor::zeros(&shape, DType::Int64);
                counts.scatter_add_(-1, &s, &s.ones_like()).map_err(exc)?;
                counts.to_dtype(self.a.dtype()).map_err(exc)
            }
            Kind::Normal => {
                let t = Tensor::zeros(&shape, self.a.dtype());
                engine::normal_(&t, &mut g.borrow_mut(), 0.0, 1.0).map_err(exc)?;
                let (loc, scale) = (
                    self.a.expand(&shape).map_err(exc)?,
                    self.b.expand(&shape).map_err(exc)?,
                );
                t.mul(&scale).and_then(|x| x.add(&loc)).map_err(exc)
            }
            Kind::Bernoulli => {
                engine::bernoulli(&mut g.borrow_mut(), &self.a.expand(&shape).map_err(exc)?)
                    .map_err(exc)
            }
            Kind::Uniform => {
                let r = engine::rand(&mut g.borrow_mut(), &shape, self.a.dtype()).map_err(exc)?;
                let width = self.b.sub(&self.a).map_err(exc)?;
                self.a.add(&r.mul(&width).map_err(exc)?).map_err(exc)
            }
        }
    }

    fn log_prob(&self, value: &Tensor) -> R<Tensor> {
        self.mark(&["logits"]);
        let e = exc;
        match self.kind {
            Kind::Categorical => {
                let v = value
                    .to_dtype(DType::Int64)
                    .map_err(e)?
                    .unsqueeze(-1)
                    .map_err(e)?;
                let shape = broadcast(&v.shape(), &self.b.shape())?;
                let v = v.expand(&shape).map_err(e)?;
                let lp = self.b.expand(&shape).map_err(e)?;
                let v = v.narrow(-1, 0, 1).map_err(e)?;
                lp.gather(-1, &v).map_err(e)?.squeeze(Some(-1)).map_err(e)
            }
            Kind::Multinomial(_) => Err(Exception::unsupported("Multinomial.log_prob (lgamma)")),
            Kind::Normal => {
                let var = self.b.pow_scalar(Scalar::Int(2)).map_err(e)?;
                let d = value
                    .sub(&self.a)
                    .map_err(e)?
                    .pow_scalar(Scalar::Int(2))
                    .map_err(e)?
                    .neg()
                    .map_err(e)?;
                let c = (2.0 * std::f64::consts::PI).sqrt().ln();
                d.div(&var.mul_scalar(Scalar::Int(2)).map_err(e)?)
                    .and_then(|x| x.sub(&self.b.log()?))
                    .and_then(|x| x.sub_scalar(Scalar::Float(c)))
                    .map_err(e)
            }
            Kind::Bernoulli => {
                let shape = broadcast(&self.b.shape(), &value.shape())?;
                let (l, v) = (
                    self.b.expand(&shape).map_err(e)?,
                    value.expand(&shape).map_err(e)?,
                );
                let v = if v.dtype() != l.dtype() {
                    v.to_dtype(l.dtype()).map_err(e)?
                } else {
                    v
                };
                engine::nn::binary_cross_entropy_with_logits(
                    &l,
                    &v,
                    None,
                    None,
                    engine::nn::Reduction::None,
                )
                .and_then(|x| x.neg())
                .map_err(e)
            }
            Kind::Uniform => {
                let lb = self
                    .a
                    .le(value)
                    .and_then(|x| x.to_dtype(self.a.dtype()))
                    .map_err(e)?;
                let ub = self
                    .b
                    .gt(value)
                    .and_then(|x| x.to_dtype(self.a.dtype()))
                    .map_err(e)?;
                lb.mul(&ub)
                    .and_then(|x| x.log())
                    .and_then(|x| x.sub(&self.b.sub(&self.a)?.log()?))
                    .map_err(e)
            }
        }
    }

    fn entropy(&self) -> R<Tensor> {
        self.mark(&["logits", "probs"]);
        let e = exc;
        match self.kind {
            Kind::Categorical => {
                let l = self
                    .b
                    .clamp(Some(Scalar::Float(finfo(self.b.dtype()).1)), None)
                    .map_err(e)?;
                l.mul(&self.a)
                    .and_then(|x| x.sum(Some(&[-1]), false))
                    .and_then(|x| x.neg())
                    .map_err(e)
            }
            Kind::Multinomial(_) => Err(Exception::unsupported("Multinomial.entropy")),
            Kind::Normal => self
                .b
                .log()
                .and_then(|x| {
                    x.add_scalar(Scalar::Float(0.5 + 0.5 * (2.0 * std::f64::consts::PI).ln()))
                })
                .map_err(e),
            Kind::Bernoulli => engine::nn::binary_cross_entropy_with_logits(
                &self.b,
                &self.a,
                None,
                None,
                engine::nn::Reduction::None,
            )
            .map_err(e),
            Kind::Uniform => self.b.sub(&self.a).and_then(|x| x.log()).map_err(e),
        }
    }

    fn attr(&self, name: &str) -> R<Option<Tensor>> {
        let e = exc;
        let [pa, pb] = self.param_names();
        if (name == pa || name == pb) && !matches!(self.kind, Kind::Multinomial(_)) {
            let mut shown = self.shown.borrow_mut();
            let n = if name == pa { pa } else { pb };
            if !shown.contains(&n) {
                shown.push(n);
            }
            return Ok(Some(if name == pa {
                self.a.clone()
            } else {
                self.b.clone()
            }));
        }
        Ok(Some(match (self.kind, name) {
            (Kind::Normal, "mean" | "mode") => self.a.clone(),
            (Kind::Normal, "stddev") => self.b.clone(),
            (Kind::Normal, "variance") => self.b.pow_scalar(Scalar::Int(2)).map_err(e)?,
            (Kind::Bernoulli, "mean") => self.a.clone(),
            (Kind::Multinomial(_), "probs") => self.a.clone(),
            (Kind::Multinomial(_), "logits") => self.b.clone(),
            (Kind::Multinomial(n), "variance") => self
                .a
                .mul_scalar(Scalar::Int(n))
                .and_then(|x| x.mul(&self.a.rsub_scalar(Scalar::Int(1))?))
                .map_err(e)?,
            (Kind::Categorical, "variance") => {
                Tensor::full(&self.batch_shape(), Scalar::Float(f64::NAN), self.a.dtype())
            }
            (Kind::Bernoulli, "variance") => self
                .a
                .mul(&self.a.rsub_scalar(Scalar::Int(1)).map_err(e)?)
                .map_err(e)?,
            (Kind::Bernoulli, "stddev") => self
                .a
                .mul(&self.a.rsub_scalar(Scalar::Int(1)).map_err(e)?)
                .and_then(|v| v.sqrt())
                .map_err(e)?,
            (Kind::Categorical, "mean" | "stddev") => {
                Tensor::full(&self.batch_shape(), Scalar::Float(f64::NAN), self.a.dtype())
            }
            (Kind::Multinomial(n), "mean") => self.a.mul_scalar(Scalar::Int(n)).map_err(e)?,
            (Kind::Uniform, "mean") => self
                .b
                .add(&self.a)
                .and_then(|x| x.div_scalar(Scalar::Int(2)))
                .map_err(e)?,
            (Kind::Uniform, "stddev") => self
                .b
                .sub(&self.a)
                .and_then(|x| x.div_scalar(Scalar::Float(12f64.sqrt())))
                .map_err(e)?,
            (Kind::Uniform, "variance") => self
                .b
                .sub(&self.a)
                .and_then(|x| x.pow_scalar(Scalar::Int(2)))
                .and_then(|x| x.div_scalar(Scalar::Int(12)))
                .map_err(e)?,
            _ => return Ok(None),
        }))
    }
}

pub(super) fn fmt_param(t: &Tensor) -> String {
    if t.numel() == 1 && t.dim() == 0 {
        return match t.item() {
            Ok(s) => crate::lang::format::float_repr(s.as_f64()),
            Err(_) => String::new(),
        };
    }
    if t.numel() == 1 {
        return t.repr();
    }
    let dims: Vec<String> = t.shape().iter().map(|d| d.to_string()).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

impl NativeObject for Dist {
    fn type_name(&self) -> &str {
        self.name()
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.distributions")
    }
    fn repr(&self) -> String {
        if let Kind::Multinomial(_) = self.kind {
            return "Multinomial()".to_string();
        }
        let [pa, pb] = self.param_names();
        let shown = self.shown.borrow();
        let parts: Vec<String> = [(pa, &self.a), (pb, &self.b)]
            .iter()
            .filter(|(n, _)| shown.contains(n))
            .map(|(n, t)| format!("{n}: {}", fmt_param(t)))
            .collect();
        format!("{}({})", self.name(), parts.join(", "))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let size = |s: Vec<usize>| Value::native(super::convert::PySize(s));
        Ok(Some(match name {
            "batch_shape" => size(self.batch_shape()),
            "event_shape" => size(self.event_shape()),
            "total_count" => match self.kind {
                Kind::Multinomial(n) => Value::Int(n),
                _ => return Ok(None),
            },
            "sample" | "rsample" => Value::method(this.clone(), name, |it, args| {
                let d = args.this_native::<Dist>()?;
                let [shape] = args.bind(&["sample_shape="])?;
                let shape = match shape {
                    None => Vec::new(),
                    Some(v) => shape_args(it, &[v], "sample")?,
                };
                Ok(tv(d.sample(&args, &shape)?))
            }),
            "log_prob" => Value::method(this.clone(), name, |_, args| {
                let d = args.this_native::<Dist>()?;
                let [v] = args.bind(&["value"])?;
                let v = param(v.as_ref().unwrap_or(&Value::None), Some(d.a.dtype()))?;
                Ok(tv(d.log_prob(&v)?))
            }),
            "entropy" => Value::method(this.clone(), name, |_, args| {
                Ok(tv(args.this_native::<Dist>()?.entropy()?))
            }),
            _ => match self.attr(name)? {
                Some(t) => tv(t),
                None => return Ok(None),
            },
        }))
    }
}

/// Categorical-style parameters from `probs=` or `logits=` (exactly one).
fn probs_logits(probs: Option<Value>, logits: Option<Value>) -> R<(Tensor, Tensor, &'static str)> {
    let e = exc;
    match (
        probs.filter(|v| !v.is_none()),
        logits.filter(|v| !v.is_none()),
    ) {
        (Some(p), None) => {
            let p = param(&p, None)?;
            let p = p.div(&p.sum(Some(&[-1]), true).map_err(e)?).map_err(e)?;
            let l = clamp_probs(&p)?.log().map_err(e)?;
            Ok((p, l, "probs"))
        }
        (None, Some(l)) => {
            let l = param(&l, None)?;
            let l = l.sub(&l.logsumexp(&[-1], true).map_err(e)?).map_err(e)?;
            let p = l.softmax(-1).map_err(e)?;
            Ok((p, l, "logits"))
        }
        _ => Err(Exception::value_error(
            "Either `probs` or `logits` must be specified, but not both.",
        )),
    }
}

fn dist(kind: Kind, a: Tensor, b: Tensor, given: Vec<&'static str>) -> Value {
    Value::native(Dist {
        kind,
        a,
        b,
        shown: RefCell::new(given),
    })
}

/// The `torch.distributions` module and its submodules named as PyTorch's files, by dotted name.
pub fn distributions_modules() -> Vec<(String, Value)> {
    let m = Module::new("torch.distributions");
    let cls = |name: &str, f: fn(&mut Interpreter, Args) -> R<Value>| {
        super::class(name, "torch.distributions", f)
    };
    let categorical = cls("Categorical", |_, args| {
        let [probs, logits, _v] = args.bind(&["probs=", "logits=", "validate_args="])?;
        let (p, l, given) = probs_logits(probs, logits)?;
        Ok(dist(Kind::Categorical, p, l, vec![given]))
    });
    let multinomial = cls("Multinomial", |_, args| {
        let [total, probs, logits, _v] =
            args.bind(&["total_count=", "probs=", "logits=", "validate_args="])?;
        let n = total.map_or(Ok(1), |v| v.expect_int("total_count"))?;
        let (p, l, given) = probs_logits(probs, logits)?;
        Ok(dist(Kind::Multinomial(n), p, l, vec![given]))
    });
    let normal = cls("Normal", |_, args| {
        let [loc, scale, _v] = args.bind(&["loc", "scale", "validate_args="])?;
        let (a, b) = broadcast_pair(&loc.unwrap_or(Value::None), &scale.unwrap_or(Value::None))?;
        Ok(dist(Kind::Normal, a, b, vec!["loc", "scale"]))
    });
    let uniform = cls("Uniform", |_, args| {
        let [low, high, _v] = args.bind(&["low", "high", "validate_args="])?;
        let (a, b) = broadcast_pair(&low.unwrap_or(Value::None), &high.unwrap_or(Value::None))?;
        Ok(dist(Kind::Uniform, a, b, vec!["low", "high"]))
    });
    let bernoulli = cls("Bernoulli", |_, args| {
        let [probs, logits, _v] = args.bind(&["probs=", "logits=", "validate_args="])?;
        let e = exc;
        let (p, l, given) = match (
            probs.filter(|v| !v.is_none()),
            logits.filter(|v| !v.is_none()),
        ) {
            (Some(p), None) => {
                let p = param(&p, None)?;
                let c = clamp_probs(&p)?;
                // log(p) - log1p(-p), log1p elementwise in the dtype's precision.
                let l1p = log1p_neg(&c)?;
                let l = c.log().and_then(|x| x.sub(&l1p)).map_err(e)?;
                (p, l, "probs")
            }
            (None, Some(l)) => {
                let l = param(&l, None)?;
                (l.sigmoid().map_err(e)?, l, "logits")
            }
            _ => {
                return Err(Exception::value_error(
                    "Either `probs` or `logits` must be specified, but not both.",
                ));
            }
        };
        Ok(dist(Kind::Bernoulli, p, l, vec![given]))
    });
    let mut subs = Vec::new();
    for (name, v, sub) in [
        ("Categorical", categorical, "categorical"),
        ("Multinomial", multinomial, "multinomial"),
        ("Normal", normal, "normal"),
        ("Uniform", uniform, "uniform"),
        ("Bernoulli", bernoulli, "bernoulli"),
    ]
    .into_iter()
    .chain(super::distributions_count::classes())
    {
        m.set(name, v.clone());
        let s = Module::new(&format!("torch.distributions.{sub}"));
        s.set(name, v);
        let s = Value::Module(Rc::new(s));
        m.set(sub, s.clone());
        subs.push((format!("torch.distributions.{sub}"), s));
    }
    subs.push(("torch.distributions.kl".to_string(), super::distributions_kl::install(&m)));
    subs.push(("torch.distributions".to_string(), Value::Module(Rc::new(m))));
    subs
}

pub(super) fn log1p_neg(p: &Tensor) -> R<Tensor> {
    let single = p.dtype() != DType::Float64;
    let v: Vec<f64> = p
        .to_f64_vec()
        .into_iter()
        .map(|x| {
            if single {
                f64::from((-(x as f32)).ln_1p())
            } else {
                (-x).ln_1p()
            }
        })
        .collect();
    let data = if single {
        engine::Data::F32(v.iter().map(|&x| x as f32).collect())
    } else {
        engine::Data::F64(v)
    };
    Tensor::from_data(data, &p.shape()).map_err(exc)
}
