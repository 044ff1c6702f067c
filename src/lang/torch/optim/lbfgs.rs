//! `torch.optim.LBFGS` as a Python object: its one parameter group, and `step(closure)`, which
//! hands the engine's step (`tensor::optim::Lbfgs`) a function calling the closure.

use std::cell::RefCell;

use super::{R, dget, group_repr, tensors};
use crate::lang::builtins::to_float;
use crate::lang::native::NativeObject;
use crate::lang::torch::convert::{bool_arg, exc};
use crate::lang::torch::uninit::param_tensor;
use crate::lang::{Args, Dict, Exception, Interpreter, Value};
use crate::tensor::Tensor;
use crate::tensor::optim::{Lbfgs, LbfgsConfig};

pub struct PyLbfgs {
    params: Vec<Tensor>,
    dict: Value,
    defaults: Vec<(&'static str, Value)>,
    /// Taken out while a step runs, since the closure may call this optimizer (`zero_grad`).
    engine: RefCell<Option<Lbfgs>>,
}

fn num(d: &Value, k: &str) -> R<f64> {
    match dget(d, k)? {
        Some(v @ (Value::Int(_) | Value::Float(_) | Value::Bool(_))) => Ok(v.as_f64().unwrap_or(0.0)),
        Some(v) => Err(Exception::type_error(format!("LBFGS's '{k}' must be a number, not {}", v.type_name()))),
        None => Err(Exception::new("KeyError", format!("'{k}'"))),
    }
}

fn int(d: &Value, k: &str) -> R<i64> {
    match &dget(d, k)? {
        Some(Value::Int(i)) => Ok(*i),
        Some(v) => Err(Exception::type_error(format!("LBFGS's '{k}' must be an int, not {}", v.type_name()))),
        None => Err(Exception::new("KeyError", format!("'{k}'"))),
    }
}

/// The settings as the group dict holds them now (a lesson may have changed `lr`).
fn config(d: &Value) -> R<LbfgsConfig> {
    let line_search_fn = match &dget(d, "line_search_fn")? {
        None | Some(Value::None) => None,
        Some(Value::Str(s)) => Some(s.to_string()),
        Some(v) => Some(v.repr()),
    };
    Ok(LbfgsConfig {
        lr: num(d, "lr")?,
        max_iter: int(d, "max_iter")?,
        max_eval: int(d, "max_eval")?,
        tolerance_grad: num(d, "tolerance_grad")?,
        tolerance_change: num(d, "tolerance_change")?,
        history_size: int(d, "history_size")?.max(0) as usize,
        line_search_fn,
        maximize: matches!(dget(d, "maximize")?, Some(Value::Bool(true))),
    })
}

impl NativeObject for PyLbfgs {
    fn type_name(&self) -> &str {
        "LBFGS"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.optim")
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Optimizer" || type_name == "LBFGS"
    }
    fn repr(&self) -> String {
        group_repr("LBFGS", std::slice::from_ref(&self.dict))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "param_groups" => Value::list(vec![self.dict.clone()]),
            "defaults" => {
                let mut d = Dict::new();
                for (k, v) in &self.defaults {
                    d.insert(Value::str(k), v.clone())?;
                }
                Value::dict(d)
            }
            "step" => Value::method(this.clone(), "step", |interp, args| {
                let [closure] = args.bind(&["closure="])?;
                let Some(closure) = closure.filter(|c| !c.is_none()) else {
                    return Err(Exception::type_error("LBFGS.step() missing 1 required positional argument: 'closure'"));
                };
                let o = args.this_native::<PyLbfgs>()?;
                let cfg = config(&o.dict)?;
                let Some(mut engine) = o.engine.borrow_mut().take() else {
                    return Err(Exception::runtime_error("LBFGS.step() called from inside its own closure"));
                };
                engine.cfg = cfg;
                let mut first: Option<Value> = None;
                let mut eval = || -> R<f64> {
                    let v = interp.call(&closure, Args::new("", Vec::new()))?;
                    let f = to_float(interp, &v)?;
                    first.get_or_insert(v);
                    Ok(f)
                };
                let result = engine.step(&mut eval);
                *o.engine.borrow_mut() = Some(engine);
                result?;
                Ok(first.unwrap_or(Value::None))
            }),
            "zero_grad" => Value::method(this.clone(), "zero_grad", |_, args| {
                let [set_to_none] = args.bind(&["set_to_none="])?;
                let none = bool_arg(set_to_none.as_ref(), true);
                let o = args.this_native::<PyLbfgs>()?;
                Lbfgs::new(o.params.clone(), LbfgsConfig::default()).zero_grad(none).map_err(exc)?;
                Ok(Value::None)
            }),
            _ => return Ok(None),
        }))
    }
}

/// `optim.LBFGS(params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
/// tolerance_change=1e-9, history_size=100, line_search_fn=None, *, maximize=False)`.
pub fn new(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [p, lr, max_iter, max_eval, tol_grad, tol_change, history, line_search, maximize] = args.bind(&[
        "params", "lr=", "max_iter=", "max_eval=", "tolerance_grad=", "tolerance_change=", "history_size=", "line_search_fn=", "*",
        "maximize=",
    ])?;
    let lr = lr.unwrap_or(Value::Int(1));
    let lr_v = lr.as_f64().ok_or_else(|| Exception::unsupported("LBFGS with a tensor lr"))?;
    if lr_v < 0.0 || lr_v.is_nan() {
        return Err(Exception::value_error(format!("Invalid learning rate: {}", lr.repr())));
    }
    let max_iter = max_iter.unwrap_or(Value::Int(20));
    let max_eval = match max_eval {
        None | Some(Value::None) => match &max_iter {
            // `max_iter * 5 // 4`
            Value::Int(m) => Value::Int((m * 5).div_euclid(4)),
            v => return Err(Exception::type_error(format!("max_iter must be an int, not {}", v.type_name()))),
        },
        Some(v) => v,
    };
    let defaults: Vec<(&'static str, Value)> = vec![
        ("lr", lr),
        ("max_iter", max_iter),
        ("max_eval", max_eval),
        ("tolerance_grad", tol_grad.unwrap_or(Value::Float(1e-7))),
        ("tolerance_change", tol_change.unwrap_or(Value::Float(1e-9))),
        ("history_size", history.unwrap_or(Value::Int(100))),
        ("line_search_fn", line_search.unwrap_or(Value::None)),
        ("maximize", Value::Bool(bool_arg(maximize.as_ref(), false))),
    ];
    let p = p.unwrap_or(Value::None);
    let items = interp.iterate(&p)?;
    if items.is_empty() {
        return Err(Exception::value_error("optimizer got an empty parameter list"));
    }
    if items.len() > 1 && items.iter().any(|v| matches!(v, Value::Dict(_))) {
        return Err(Exception::value_error("LBFGS doesn't support per-parameter options (parameter groups)"));
    }
    let spec = match &items[0] {
        Value::Dict(_) => items[0].clone(),
        _ => Value::list(items),
    };
    let params_value = match &spec {
        Value::Dict(_) => dget(&spec, "params")?.ok_or_else(|| Exception::new("KeyError", "'params'"))?,
        v => v.clone(),
    };
    let param_values = if param_tensor(&params_value).is_some() { vec![params_value.clone()] } else { interp.iterate(&params_value)? };
    let params = tensors(interp, &Value::list(param_values.clone()))?;
    let mut d = Dict::new();
    d.insert(Value::str("params"), Value::list(param_values.clone()))?;
    for (k, default) in &defaults {
        let v = match &spec {
            Value::Dict(_) => dget(&spec, k)?.unwrap_or_else(|| default.clone()),
            _ => default.clone(),
        };
        d.insert(Value::str(k), v)?;
    }
    let dict = Value::dict(d);
    let engine = Lbfgs::new(params.clone(), LbfgsConfig::default());
    Ok(Value::native(PyLbfgs { params, dict, defaults, engine: RefCell::new(Some(engine)) }))
}
