//! `torch.optim` optimizers as Python objects.

use std::cell::RefCell;

use super::class;
use super::uninit::param_tensor;
use super::convert::{as_tensor, bool_arg, exc, f64_arg};
use crate::lang::native::NativeObject;
use crate::lang::{Dict, Exception, Interpreter, Module, Value};
use crate::tensor::optim::{Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, Rmsprop, RmspropConfig, Sgd, SgdConfig};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

mod lbfgs;
mod lr_plateau;
mod lr_scheduler;
mod state_dict;

pub use lr_scheduler::lr_scheduler_module;

enum Opt {
    Sgd(Sgd),
    Adam(Adam),
    Rmsprop(Rmsprop),
    Adagrad(Adagrad),
    Adadelta(Adadelta),
}

/// One parameter group: the Python dict users see (`opt.param_groups[i]`, shared, so
/// `g["lr"] = ...` and schedulers take effect) and the engine optimizer holding its state.
struct Group {
    dict: Value,
    opt: Opt,
}

/// An optimizer: its kind, its constructor defaults (for `add_param_group`) and its groups.
pub struct PyOptimizer {
    name: &'static str,
    defaults: Vec<(&'static str, Value)>,
    groups: RefCell<Vec<Group>>,
}

fn dget(d: &Value, k: &str) -> R<Option<Value>> {
    match d {
        Value::Dict(d) => d.borrow().get(&Value::str(k)),
        _ => Ok(None),
    }
}

fn dset(d: &Value, k: &str, v: Value) -> R<()> {
    match d {
        Value::Dict(d) => d.borrow_mut().insert(Value::str(k), v),
        _ => Ok(()),
    }
}

fn dfloat(d: &Value, k: &str) -> R<f64> {
    match dget(d, k)? {
        Some(v) => v.as_f64().ok_or_else(|| Exception::type_error(format!("param group '{k}' must be a number, not {}", v.type_name()))),
        None => Err(Exception::new("KeyError", format!("'{k}'"))),
    }
}

fn dbool(d: &Value, k: &str) -> R<bool> {
    Ok(matches!(dget(d, k)?, Some(Value::Bool(true))))
}

impl PyOptimizer {
    /// Reads a group's hyper-parameters from its dict into its engine optimizer.
    fn sync(g: &mut Group) -> R<()> {
        let d = &g.dict;
        match &mut g.opt {
            Opt::Sgd(s) => {
                s.cfg = SgdConfig {
                    lr: dfloat(d, "lr")?,
                    momentum: dfloat(d, "momentum")?,
                    dampening: dfloat(d, "dampening")?,
                    weight_decay: dfloat(d, "weight_decay")?,
                    nesterov: dbool(d, "nesterov")?,
                    maximize: dbool(d, "maximize")?,
                };
            }
            Opt::Adam(a) => {
                // A group keeps `betas` as given: a tuple, or a list (`'betas': [0.5, 0.999]`, as
                // d2l's DCGAN passes it), which Adam indexes the same way.
                let pair = match &dget(d, "betas")? {
                    Some(Value::Tuple(t)) => t.to_vec(),
                    Some(Value::List(l)) => l.borrow().clone(),
                    _ => Vec::new(),
                };
                let betas = match pair.as_slice() {
                    [b1, b2] => (
                        b1.as_f64().ok_or_else(|| Exception::type_error("betas must be floats"))?,
                        b2.as_f64().ok_or_else(|| Exception::type_error("betas must be floats"))?,
                    ),
                    _ => return Err(Exception::type_error("betas must be a pair of floats")),
                };
                a.decoupled = a.decoupled || dbool(d, "decoupled_weight_decay")?;
                a.cfg = AdamConfig {
                    lr: dfloat(d, "lr")?,
                    betas,
                    eps: dfloat(d, "eps")?,
                    weight_decay: dfloat(d, "weight_decay")?,
                    amsgrad: dbool(d, "amsgrad")?,
                    maximize: dbool(d, "maximize")?,
                };
            }
            Opt::Rmsprop(r) => {
                r.cfg = RmspropConfig {
                    lr: dfloat(d, "lr")?,
                    alpha: dfloat(d, "alpha")?,
                    eps: dfloat(d, "eps")?,
                    weight_decay: dfloat(d, "weight_decay")?,
                    momentum: dfloat(d, "momentum")?,
                    centered: dbool(d, "centered")?,
                    maximize: dbool(d, "maximize")?,
                };
            }
            Opt::Adagrad(a) => {
                a.cfg = AdagradConfig {
                    lr: dfloat(d, "lr")?,
                    lr_decay: dfloat(d, "lr_decay")?,
                    weight_decay: dfloat(d, "weight_decay")?,
                    initial_accumulator_value: dfloat(d, "initial_accumulator_value")?,
                    eps: dfloat(d, "eps")?,
                    maximize: dbool(d, "maximize")?,
                };
            }
            Opt::Adadelta(a) => {
                a.cfg = AdadeltaConfig {
                    lr: dfloat(d, "lr")?,
                    rho: dfloat(d, "rho")?,
                    eps: dfloat(d, "eps")?,
                    weight_decay: dfloat(d, "weight_decay")?,
                    maximize: dbool(d, "maximize")?,
                };
            }
        }
        Ok(())
    }

    /// Builds a group from a dict (or a plain list of tensors) and this optimizer's defaults.
    fn make_group(&self, interp: &mut Interpreter, spec: &Value) -> R<Group> {
        let params_value = match spec {
            Value::Dict(_) => dget(spec, "params")?.ok_or_else(|| Exception::new("KeyError", "'params'"))?,
            v => v.clone(),
        };
        let params = tensors(interp, &params_value)?;
        let mut d = Dict::new();
        d.insert(Value::str("params"), Value::list(params.iter().cloned().map(super::convert::tv).collect()))?;
        for (k, default) in &self.defaults {
            let v = match spec {
                Value::Dict(_) => dget(spec, k)?.unwrap_or_else(|| default.clone()),
                _ => default.clone(),
            };
            d.insert(Value::str(k), v)?;
        }
        if let Value::Dict(src) = spec {
            for (k, v) in src.borrow().items() {
                if !d.contains(&k)? {
                    d.insert(k, v)?;
                }
            }
        }
        let init = match spec {
            Value::Dict(_) => dget(spec, "initial_accumulator_value")?,
            _ => None,
        }
        .or_else(|| self.defaults.iter().find(|(k, _)| *k == "initial_accumulator_value").map(|(_, v)| v.clone()))
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
        let opt = match self.name {
            "SGD" => Opt::Sgd(Sgd::new(params, SgdConfig::default())),
            "RMSprop" => Opt::Rmsprop(Rmsprop::new(params, RmspropConfig::default())),
            "Adagrad" => Opt::Adagrad(Adagrad::new(params, AdagradConfig { initial_accumulator_value: init, ..AdagradConfig::default() })),
            "Adam" => Opt::Adam(Adam::new(params, AdamConfig::default())),
            "Adadelta" => Opt::Adadelta(Adadelta::new(params, AdadeltaConfig::default())),
            _ => Opt::Adam(Adam::new_adamw(params, AdamConfig::adamw_default())),
        };
        let mut g = Group { dict: Value::dict(d), opt };
        Self::sync(&mut g)?;
        Ok(g)
    }

    /// The group dicts, shared with Python (`opt.param_groups`).
    pub fn group_dicts(&self) -> Vec<Value> {
        self.groups.borrow().iter().map(|g| g.dict.clone()).collect()
    }
}

/// An optimizer's repr: every param-group setting alphabetically, `params` left out.
fn group_repr(name: &str, groups: &[Value]) -> String {
    let mut s = format!("{name} (");
    for (i, g) in groups.iter().enumerate() {
        s.push_str(&format!("\nParameter Group {i}\n"));
        let mut items = match g {
            Value::Dict(d) => d.borrow().items(),
            _ => Vec::new(),
        };
        items.sort_by_key(|(k, _)| py_str(k));
        for (k, v) in items {
            let k = py_str(&k);
            if k != "params" {
                s.push_str(&format!("    {k}: {}\n", py_str(&v)));
            }
        }
    }
    s.push(')');
    s
}

fn py_str(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        v => v.repr(),
    }
}

impl NativeObject for PyOptimizer {
    fn type_name(&self) -> &str {
        self.name
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        // The state (Adam's moments...) is cloned; the parameters are the copies the modules
        // holding them get, since the copier copies each tensor once.
        fn params(c: &mut crate::lang::interp::Copier, ps: &[Tensor]) -> Option<Vec<Tensor>> {
            ps.iter().map(|t| c.tensor(t)).collect()
        }
        let mut groups = Vec::new();
        for g in self.groups.borrow().iter() {
            let opt = match &g.opt {
                Opt::Sgd(o) => Opt::Sgd({
                    let mut o = o.clone();
                    o.params = params(c, &o.params)?;
                    o
                }),
                Opt::Adam(o) => Opt::Adam({
                    let mut o = o.clone();
                    o.params = params(c, &o.params)?;
                    o
                }),
                Opt::Rmsprop(o) => Opt::Rmsprop({
                    let mut o = o.clone();
                    o.params = params(c, &o.params)?;
                    o
                }),
                Opt::Adagrad(o) => Opt::Adagrad({
                    let mut o = o.clone();
                    o.params = params(c, &o.params)?;
                    o
                }),
                Opt::Adadelta(o) => Opt::Adadelta({
                    let mut o = o.clone();
                    o.params = params(c, &o.params)?;
                    o
                }),
            };
            groups.push(Group { dict: c.value(&g.dict)?, opt });
        }
        let defaults = self.defaults.iter().map(|(k, v)| Some((*k, c.value(v)?))).collect::<Option<_>>()?;
        Some(Value::native(PyOptimizer { name: self.name, defaults, groups: RefCell::new(groups) }))
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.optim")
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Optimizer" || type_name == self.name
    }
    fn repr(&self) -> String {
        group_repr(self.name, &self.group_dicts())
    }

    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "param_groups" => Value::list(self.group_dicts()),
            "defaults" => {
                let mut d = Dict::new();
                for (k, v) in &self.defaults {
                    d.insert(Value::str(k), v.clone())?;
                }
                Value::dict(d)
            }
            "add_param_group" => Value::method(this.clone(), "add_param_group", |interp, args| {
                let [group] = args.bind(&["param_group"])?;
                let group = group.unwrap_or(Value::None);
                if !matches!(group, Value::Dict(_)) {
                    return Err(Exception::type_error("param_group must be a dict"));
                }
                let o = args.this_native::<PyOptimizer>()?;
                let g = o.make_group(interp, &group)?;
                o.groups.borrow_mut().push(g);
                Ok(Value::None)
            }),
            "step" => Value::method(this.clone(), "step", |_, args| {
                let [closure] = args.bind(&["closure="])?;
                if closure.is_some_and(|c| !c.is_none()) {
                    return Err(Exception::unsupported("optimizer.step(closure)"));
                }
                let o = args.this_native::<PyOptimizer>()?;
                for g in o.groups.borrow_mut().iter_mut() {
                    PyOptimizer::sync(g)?;
                    match &mut g.opt {
                        Opt::Sgd(s) => s.step(),
                        Opt::Adam(a) => a.step(),
                        Opt::Rmsprop(r) => r.step(),
                        Opt::Adagrad(a) => a.step(),
                        Opt::Adadelta(a) => a.step(),
                    }
                    .map_err(exc)?;
                }
                Ok(Value::None)
            }),
            "state_dict" => Value::method(this.clone(), "state_dict", |_, args| {
                let [] = args.bind(&[])?;
                args.this_native::<PyOptimizer>()?.state_dict()
            }),
            "load_state_dict" => Value::method(this.clone(), "load_state_dict", |interp, args| {
                let [sd] = args.bind(&["state_dict"])?;
                args.this_native::<PyOptimizer>()?.load_state_dict(interp, &sd.unwrap_or(Value::None))?;
                Ok(Value::None)
            }),
            "zero_grad" => Value::method(this.clone(), "zero_grad", |_, args| {
                let [set_to_none] = args.bind(&["set_to_none="])?;
                let none = bool_arg(set_to_none.as_ref(), true);
                let o = args.this_native::<PyOptimizer>()?;
                for g in o.groups.borrow_mut().iter_mut() {
                    match &mut g.opt {
                        Opt::Sgd(s) => s.zero_grad(none),
                        Opt::Adam(a) => a.zero_grad(none),
                        Opt::Rmsprop(r) => r.zero_grad(none),
                        Opt::Adagrad(a) => a.zero_grad(none),
                        Opt::Adadelta(a) => a.zero_grad(none),
                    }
                    .map_err(exc)?;
                }
                Ok(Value::None)
            }),
            _ => return Ok(None),
        }))
    }
}

fn python_float(x: f64) -> String {
    crate::lang::format::float_repr(x)
}

/// A group's `params`: one tensor or any iterable of tensors (uninitialized parameters of lazy
/// modules included).
fn tensors(interp: &mut Interpreter, v: &Value) -> R<Vec<Tensor>> {
    if let Some(t) = param_tensor(v) {
        return Ok(vec![t]);
    }
    interp
        .iterate(v)?
        .iter()
        .map(|p| match param_tensor(p) {
            Some(t) => Ok(t),
            None => Err(Exception::type_error(format!("optimizer can only optimize Tensors, but one of the params is {}", p.type_name()))),
        })
        .collect()
}

/// An optimizer over the `params` argument: an iterable of tensors (one group) or of dicts
/// (one group each, their keys overriding `defaults`).
fn build(interp: &mut Interpreter, name: &'static str, defaults: Vec<(&'static str, Value)>, p: Option<&Value>) -> R<Value> {
    let p = p.cloned().unwrap_or(Value::None);
    if as_tensor(&p).is_some() {
        return Err(Exception::type_error(
            "params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor",
        ));
    }
    if param_tensor(&p).is_some() {
        // PyTorch's message names the argument's type through `.type()`, which an
        // uninitialized parameter refuses.
        return Err(Exception::value_error(
            "Attempted to use an uninitialized parameter in <method 'type' of 'torch._C.TensorBase' objects>. This error happens when you are using a `LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call `forward` with a dummy batch to initialize the parameters before calling torch functions",
        ));
    }
    let items = interp.iterate(&p)?;
    if items.is_empty() {
        return Err(Exception::value_error("optimizer got an empty parameter list"));
    }
    let o = PyOptimizer { name, defaults, groups: RefCell::new(Vec::new()) };
    let specs = if matches!(items[0], Value::Dict(_)) { items } else { vec![Value::list(items)] };
    for spec in &specs {
        let g = o.make_group(interp, spec)?;
        o.groups.borrow_mut().push(g);
    }
    Ok(Value::native(o))
}

fn check_lr(lr: f64) -> R<f64> {
    if lr < 0.0 {
        return Err(Exception::value_error(format!("Invalid learning rate: {}", python_float(lr))));
    }
    Ok(lr)
}

fn betas(interp: &mut Interpreter, v: Option<&Value>) -> R<(f64, f64)> {
    match v {
        None | Some(Value::None) => Ok((0.9, 0.999)),
        Some(v) => {
            // As Adam's `__init__` checks `0.0 <= betas[i] < 1.0` for i = 0, 1, in that order.
            let items = interp.iterate(v)?;
            let mut out = [0.0; 2];
            for (i, slot) in out.iter_mut().enumerate() {
                let Some(b) = items.get(i) else {
                    return Err(Exception::new("IndexError", format!("{} index out of range", v.type_name())));
                };
                let Some(x) = b.as_f64() else {
                    return Err(Exception::type_error(format!("'<=' not supported between instances of 'float' and '{}'", b.type_name())));
                };
                if !(0.0..1.0).contains(&x) {
                    return Err(Exception::value_error(format!("Invalid beta parameter at index {i}: {}", b.repr())));
                }
                *slot = x;
            }
            if items.len() != 2 {
                return Err(Exception::value_error("too many values to unpack (expected 2)"));
            }
            Ok((out[0], out[1]))
        }
    }
}

pub fn optim_module() -> Module {
    let m = Module::new("torch.optim");
    m.set("SGD", class("SGD", "torch.optim", |interp, args| {
        let [p, lr, momentum, dampening, weight_decay, nesterov, maximize, _foreach] =
            args.bind(&["params", "lr=", "momentum=", "dampening=", "weight_decay=", "nesterov=", "*", "maximize=", "foreach="])?;
        let cfg = SgdConfig {
            lr: check_lr(f64_arg(lr.as_ref(), 1e-3, "lr")?)?,
            momentum: f64_arg(momentum.as_ref(), 0.0, "momentum")?,
            dampening: f64_arg(dampening.as_ref(), 0.0, "dampening")?,
            weight_decay: f64_arg(weight_decay.as_ref(), 0.0, "weight_decay")?,
            nesterov: bool_arg(nesterov.as_ref(), false),
            maximize: bool_arg(maximize.as_ref(), false),
        };
        if cfg.nesterov && (cfg.momentum <= 0.0 || cfg.dampening != 0.0) {
            return Err(Exception::value_error("Nesterov momentum requires a momentum and zero dampening"));
        }
        let defaults = vec![
            ("lr", lr.unwrap_or(Value::Float(1e-3))),
            ("momentum", momentum.unwrap_or(Value::Int(0))),
            ("dampening", dampening.unwrap_or(Value::Int(0))),
            ("weight_decay", weight_decay.unwrap_or(Value::Int(0))),
            ("nesterov", Value::Bool(cfg.nesterov)),
            ("maximize", Value::Bool(cfg.maximize)),
            ("foreach", Value::None),
            ("differentiable", Value::Bool(false)),
            ("fused", Value::None),
        ];
        build(interp, "SGD", defaults, p.as_ref())
    }));
    for (name, decoupled) in [("Adam", false), ("AdamW", true)] {
        m.set(name, class(name, "torch.optim", move |interp, args| {
            // `foreach=` picks PyTorch's multi-tensor kernels, which it uses on CUDA only: on the
            // CPU either choice runs the per-parameter loop.
            let [p, lr, b, eps, weight_decay, amsgrad, _foreach, maximize, decoupled_wd] = args.bind(&[
                "params", "lr=", "betas=", "eps=", "weight_decay=", "amsgrad=", "*", "foreach=", "maximize=", "decoupled_weight_decay=",
            ])?;
            if decoupled && decoupled_wd.is_some() {
                return Err(Exception::type_error("AdamW.__init__() got an unexpected keyword argument 'decoupled_weight_decay'"));
            }
            let default = if decoupled { AdamConfig::adamw_default() } else { AdamConfig::default() };
            let cfg = AdamConfig {
                lr: check_lr(f64_arg(lr.as_ref(), default.lr, "lr")?)?,
                betas: betas(interp, b.as_ref())?,
                eps: f64_arg(eps.as_ref(), default.eps, "eps")?,
                weight_decay: f64_arg(weight_decay.as_ref(), default.weight_decay, "weight_decay")?,
                amsgrad: bool_arg(amsgrad.as_ref(), false),
                maximize: bool_arg(maximize.as_ref(), false),
            };
            let defaults = vec![
                ("lr", lr.unwrap_or(Value::Float(default.lr))),
                // The group keeps a tuple of what was given (a list becomes one, as in PyTorch).
                ("betas", match b {
                    Some(b) if !matches!(b, Value::None) => Value::tuple(interp.iterate(&b)?),
                    _ => Value::tuple(vec![Value::Float(cfg.betas.0), Value::Float(cfg.betas.1)]),
                }),
                ("eps", eps.unwrap_or(Value::Float(cfg.eps))),
                ("weight_decay", weight_decay.unwrap_or(if decoupled { Value::Float(1e-2) } else { Value::Int(0) })),
                ("amsgrad", Value::Bool(cfg.amsgrad)),
                ("maximize", Value::Bool(cfg.maximize)),
                ("foreach", Value::None),
                ("capturable", Value::Bool(false)),
                ("differentiable", Value::Bool(false)),
                ("fused", Value::None),
                // `Adam(decoupled_weight_decay=True)` is AdamW; AdamW's cannot be switched off.
                ("decoupled_weight_decay", Value::Bool(decoupled || bool_arg(decoupled_wd.as_ref(), false))),
            ];
            build(interp, if decoupled { "AdamW" } else { "Adam" }, defaults, p.as_ref())
        }));
    }
    m.set("RMSprop", class("RMSprop", "torch.optim", |interp, args| {
        let [p, lr, alpha, eps, weight_decay, momentum, centered, maximize] =
            args.bind(&["params", "lr=", "alpha=", "eps=", "weight_decay=", "momentum=", "centered=", "*", "maximize="])?;
        check_lr(f64_arg(lr.as_ref(), 1e-2, "lr")?)?;
        let defaults = vec![
            ("lr", lr.unwrap_or(Value::Float(1e-2))),
            ("momentum", momentum.unwrap_or(Value::Int(0))),
            ("alpha", alpha.unwrap_or(Value::Float(0.99))),
            ("eps", eps.unwrap_or(Value::Float(1e-8))),
            ("centered", Value::Bool(bool_arg(centered.as_ref(), false))),
            ("weight_decay", weight_decay.unwrap_or(Value::Int(0))),
            ("capturable", Value::Bool(false)),
            ("foreach", Value::None),
            ("maximize", Value::Bool(bool_arg(maximize.as_ref(), false))),
            ("differentiable", Value::Bool(false)),
        ];
        build(interp, "RMSprop", defaults, p.as_ref())
    }));
    m.set("Adagrad", class("Adagrad", "torch.optim", |interp, args| {
        let [p, lr, lr_decay, weight_decay, init, eps, maximize] =
            args.bind(&["params", "lr=", "lr_decay=", "weight_decay=", "initial_accumulator_value=", "eps=", "*", "maximize="])?;
        check_lr(f64_arg(lr.as_ref(), 1e-2, "lr")?)?;
        let defaults = vec![
            ("lr", lr.unwrap_or(Value::Float(1e-2))),
            ("lr_decay", lr_decay.unwrap_or(Value::Int(0))),
            ("eps", eps.unwrap_or(Value::Float(1e-10))),
            ("weight_decay", weight_decay.unwrap_or(Value::Int(0))),
            ("initial_accumulator_value", init.unwrap_or(Value::Int(0))),
            ("foreach", Value::None),
            ("maximize", Value::Bool(bool_arg(maximize.as_ref(), false))),
            ("differentiable", Value::Bool(false)),
            ("fused", Value::None),
        ];
        build(interp, "Adagrad", defaults, p.as_ref())
    }));
    m.set("Adadelta", class("Adadelta", "torch.optim", |interp, args| {
        let [p, lr, rho, eps, weight_decay, foreach, capturable, maximize, differentiable] = args.bind(&[
            "params", "lr=", "rho=", "eps=", "weight_decay=", "foreach=", "*", "capturable=", "maximize=", "differentiable=",
        ])?;
        check_lr(f64_arg(lr.as_ref(), 1.0, "lr")?)?;
        let rho_v = f64_arg(rho.as_ref(), 0.9, "rho")?;
        if !(0.0..=1.0).contains(&rho_v) {
            return Err(Exception::value_error(format!("Invalid rho value: {}", python_float(rho_v))));
        }
        let eps_v = f64_arg(eps.as_ref(), 1e-6, "eps")?;
        if eps_v < 0.0 {
            return Err(Exception::value_error(format!("Invalid epsilon value: {}", python_float(eps_v))));
        }
        // Only the single-tensor CPU path is implemented: what would select another refuses.
        if bool_arg(capturable.as_ref(), false) || bool_arg(differentiable.as_ref(), false) {
            return Err(Exception::unsupported("Adadelta(capturable=True or differentiable=True)"));
        }
        let defaults = vec![
            ("lr", lr.unwrap_or(Value::Float(1.0))),
            ("rho", rho.unwrap_or(Value::Float(0.9))),
            ("eps", eps.unwrap_or(Value::Float(1e-6))),
            ("weight_decay", weight_decay.unwrap_or(Value::Int(0))),
            ("maximize", Value::Bool(bool_arg(maximize.as_ref(), false))),
            ("capturable", Value::Bool(false)),
            ("foreach", foreach.unwrap_or(Value::None)),
            ("differentiable", Value::Bool(false)),
        ];
        build(interp, "Adadelta", defaults, p.as_ref())
    }));
    m.set("LBFGS", class("LBFGS", "torch.optim", lbfgs::new));
    m
}
