//! `torch.optim` optimizers as Python objects.

use std::cell::RefCell;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, f64_arg};
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

enum Opt {
    Sgd(Sgd),
    Adam(Adam, bool),
}

pub struct PyOptimizer(RefCell<Opt>);

impl PyOptimizer {
    fn name(&self) -> &'static str {
        match &*self.0.borrow() {
            Opt::Sgd(_) => "SGD",
            Opt::Adam(_, false) => "Adam",
            Opt::Adam(_, true) => "AdamW",
        }
    }
}

fn py_bool(b: bool) -> &'static str {
    if b { "True" } else { "False" }
}

impl NativeObject for PyOptimizer {
    fn type_name(&self) -> &str {
        self.name()
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.optim")
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Optimizer" || type_name == self.name()
    }
    fn repr(&self) -> String {
        // PyTorch lists every param-group setting alphabetically.
        let rows: Vec<(String, String)> = match &*self.0.borrow() {
            Opt::Sgd(s) => {
                let c = &s.cfg;
                vec![
                    ("dampening".into(), python_float(c.dampening)),
                    ("differentiable".into(), "False".into()),
                    ("foreach".into(), "None".into()),
                    ("fused".into(), "None".into()),
                    ("lr".into(), python_float(c.lr)),
                    ("maximize".into(), py_bool(c.maximize).into()),
                    ("momentum".into(), python_float(c.momentum)),
                    ("nesterov".into(), py_bool(c.nesterov).into()),
                    ("weight_decay".into(), python_float(c.weight_decay)),
                ]
            }
            Opt::Adam(a, _) => {
                let c = &a.cfg;
                vec![
                    ("amsgrad".into(), py_bool(c.amsgrad).into()),
                    ("betas".into(), format!("({}, {})", python_float(c.betas.0), python_float(c.betas.1))),
                    ("capturable".into(), "False".into()),
                    ("differentiable".into(), "False".into()),
                    ("eps".into(), python_float(c.eps)),
                    ("foreach".into(), "None".into()),
                    ("fused".into(), "None".into()),
                    ("lr".into(), python_float(c.lr)),
                    ("maximize".into(), py_bool(c.maximize).into()),
                    ("weight_decay".into(), python_float(c.weight_decay)),
                ]
            }
        };
        let mut s = format!("{} (\nParameter Group 0\n", self.name());
        for (k, v) in rows {
            s.push_str(&format!("    {k}: {v}\n"));
        }
        s.push(')');
        s
    }

    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "step" => Value::method(this.clone(), "step", |_, args| {
                let [closure] = args.bind(&["closure="])?;
                if closure.is_some_and(|c| !c.is_none()) {
                    return Err(Exception::unsupported("optimizer.step(closure)"));
                }
                let o = args.this_native::<PyOptimizer>()?;
                let r = match &mut *o.0.borrow_mut() {
                    Opt::Sgd(s) => s.step(),
                    Opt::Adam(a, _) => a.step(),
                };
                r.map_err(exc)?;
                Ok(Value::None)
            }),
            "zero_grad" => Value::method(this.clone(), "zero_grad", |_, args| {
                let [set_to_none] = args.bind(&["set_to_none="])?;
                let none = bool_arg(set_to_none.as_ref(), true);
                let o = args.this_native::<PyOptimizer>()?;
                match &mut *o.0.borrow_mut() {
                    Opt::Sgd(s) => s.zero_grad(none),
                    Opt::Adam(a, _) => a.zero_grad(none),
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

/// The `params` argument: any iterable of tensors (param-group dicts are not supported yet).
fn params(interp: &mut Interpreter, v: Option<&Value>) -> R<Vec<Tensor>> {
    let v = v.cloned().unwrap_or(Value::None);
    if as_tensor(&v).is_some() {
        return Err(Exception::type_error(
            "params argument given to the optimizer should be an iterable of Tensors or dicts, but got torch.FloatTensor",
        ));
    }
    let items = interp.iterate(&v)?;
    if items.is_empty() {
        return Err(Exception::value_error("optimizer got an empty parameter list"));
    }
    items
        .iter()
        .map(|p| match as_tensor(p) {
            Some(t) => Ok(t.clone()),
            None if matches!(p, Value::Dict(_)) => Err(Exception::unsupported("optimizer parameter groups (dicts)")),
            None => Err(Exception::type_error(format!("optimizer can only optimize Tensors, but one of the params is {}", p.type_name()))),
        })
        .collect()
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
            let items = interp.iterate(v)?;
            match items.as_slice() {
                [a, b] => Ok((a.expect_f64("betas")?, b.expect_f64("betas")?)),
                _ => Err(Exception::value_error("betas must be a pair of floats")),
            }
        }
    }
}

pub fn optim_module() -> Module {
    let m = Module::new("torch.optim");
    m.set("SGD", class("SGD", "torch.optim", |interp, args| {
        let [p, lr, momentum, dampening, weight_decay, nesterov, maximize] =
            args.bind(&["params", "lr=", "momentum=", "dampening=", "weight_decay=", "nesterov=", "*", "maximize="])?;
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
        let params = params(interp, p.as_ref())?;
        Ok(Value::native(PyOptimizer(RefCell::new(Opt::Sgd(Sgd::new(params, cfg))))))
    }));
    for (name, decoupled) in [("Adam", false), ("AdamW", true)] {
        m.set(name, class(name, "torch.optim", move |interp, args| {
            let [p, lr, b, eps, weight_decay, amsgrad, maximize] =
                args.bind(&["params", "lr=", "betas=", "eps=", "weight_decay=", "amsgrad=", "*", "maximize="])?;
            let default = if decoupled { AdamConfig::adamw_default() } else { AdamConfig::default() };
            let cfg = AdamConfig {
                lr: check_lr(f64_arg(lr.as_ref(), default.lr, "lr")?)?,
                betas: betas(interp, b.as_ref())?,
                eps: f64_arg(eps.as_ref(), default.eps, "eps")?,
                weight_decay: f64_arg(weight_decay.as_ref(), default.weight_decay, "weight_decay")?,
                amsgrad: bool_arg(amsgrad.as_ref(), false),
                maximize: bool_arg(maximize.as_ref(), false),
            };
            let params = params(interp, p.as_ref())?;
            let opt = if decoupled { Adam::new_adamw(params, cfg) } else { Adam::new(params, cfg) };
            Ok(Value::native(PyOptimizer(RefCell::new(Opt::Adam(opt, decoupled)))))
        }));
    }
    m
}
