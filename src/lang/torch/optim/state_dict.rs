//! `optimizer.state_dict()` and `optimizer.load_state_dict(sd)`: checkpoints of an optimizer
//! (`{'state': {index: {...}}, 'param_groups': [...]}`), parameters numbered across groups.

use super::{Group, Opt, PyOptimizer, R, dget};
use crate::lang::torch::convert::{as_tensor, exc, tv};
use crate::lang::{Dict, Exception, Interpreter, Value};
use crate::tensor::optim::StateValue;
use crate::tensor::{DType, Scalar, Tensor};

fn is_params_key(k: &Value) -> bool {
    matches!(k, Value::Str(s) if &**s == "params")
}

fn params_len(d: &Value) -> R<usize> {
    Ok(match &dget(d, "params")? {
        Some(Value::List(l)) => l.borrow().len(),
        Some(Value::Tuple(t)) => t.len(),
        _ => 0,
    })
}

fn items(d: &Value) -> Vec<(Value, Value)> {
    match d {
        Value::Dict(d) => d.borrow().items(),
        _ => Vec::new(),
    }
}

impl Group {
    fn export(&self, i: usize) -> Option<Vec<(&'static str, StateValue)>> {
        match &self.opt {
            Opt::Sgd(o) => o.export_state(i),
            Opt::Adam(o) => o.export_state(i),
            Opt::Rmsprop(o) => o.export_state(i),
            Opt::Adagrad(o) => o.export_state(i),
            Opt::Adadelta(o) => o.export_state(i),
        }
    }
}

impl PyOptimizer {
    /// `optimizer.state_dict()`: each parameter's state under its index, then the groups with
    /// `params` last, as indices numbered across groups.
    pub(super) fn state_dict(&self) -> R<Value> {
        let groups = self.groups.borrow();
        let mut state = Dict::new();
        let mut packed = Vec::new();
        let mut next = 0i64;
        for g in groups.iter() {
            let n = params_len(&g.dict)?;
            for i in 0..n {
                let Some(st) = g.export(i) else { continue };
                let mut d = Dict::new();
                for (k, v) in st {
                    let t = match v {
                        StateValue::Step(s) => {
                            // `_get_scalar_dtype()`: float64 under a float64 default, else float32.
                            let d = if super::super::default_dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 };
                            Tensor::scalar(Scalar::Float(f64::from(s)), d)
                        }
                        StateValue::Buffer(t) => t,
                    };
                    d.insert(Value::str(k), tv(t))?;
                }
                state.insert(Value::Int(next + i as i64), Value::dict(d))?;
            }
            let mut d = Dict::new();
            for (k, v) in items(&g.dict) {
                if !is_params_key(&k) {
                    d.insert(k, v)?;
                }
            }
            d.insert(
                Value::str("params"),
                Value::list((next..next + n as i64).map(Value::Int).collect()),
            )?;
            next += n as i64;
            packed.push(Value::dict(d));
        }
        let mut sd = Dict::new();
        sd.insert(Value::str("state"), Value::dict(state))?;
        sd.insert(Value::str("param_groups"), Value::list(packed))?;
        Ok(Value::dict(sd))
    }

    /// `optimizer.load_state_dict(sd)`, checked as PyTorch checks it: the groups' settings
    /// become the saved ones and each parameter takes the state saved under its index.
    pub(super) fn load_state_dict(&self, interp: &mut Interpreter, sd: &Value) -> R<()> {
        if !matches!(sd, Value::Dict(_)) {
            return Err(Exception::type_error(format!(
                "Expected state_dict to be dict-like, got {}.",
                sd.type_name()
            )));
        }
        let key_error = |k: &str| Exception::new("KeyError", format!("'{k}'"));
        let saved_groups =
            interp.iterate(&dget(sd, "param_groups")?.ok_or_else(|| key_error("param_groups"))?)?;
        let saved_state = dget(sd, "state")?.ok_or_else(|| key_error("state"))?;
        let mut groups = self.groups.borrow_mut();
        if groups.len() != saved_groups.len() {
            return Err(Exception::value_error(
                "loaded state dict has a different number of parameter groups",
            ));
        }
        for (g, s) in groups.iter().zip(&saved_groups) {
            if params_len(&g.dict)? != params_len(s)? {
                return Err(Exception::value_error(
                    "loaded state dict contains a parameter group that doesn't match the size of optimizer's group",
                ));
            }
        }
        // Which saved index each parameter had: the saved groups' `params`, in order.
        let mut loaded_per_group = Vec::new();
        for s in &saved_groups {
            let ids = interp.iterate(&dget(s, "params")?.unwrap_or(Value::None))?;
            let mut loaded = Vec::with_capacity(ids.len());
            for id in ids {
                let entry = match &saved_state {
                    Value::Dict(d) => d.borrow().get(&id)?,
                    _ => None,
                };
                loaded.push(match entry {
                    Some(e) => Some(state_entries(&e)?),
                    None => None,
                });
            }
            loaded_per_group.push(loaded);
        }
        for (g, loaded) in groups.iter_mut().zip(&loaded_per_group) {
            match &mut g.opt {
                Opt::Sgd(o) => o.import_state(loaded),
                Opt::Adam(o) => o.import_state(loaded),
                Opt::Rmsprop(o) => o.import_state(loaded),
                Opt::Adagrad(o) => o.import_state(loaded),
                Opt::Adadelta(o) => o.import_state(loaded),
            }
            .map_err(exc)?;
        }
        // The saved settings replace the group's, in the saved order; the group keeps its own
        // parameters. The dict is updated in place: schedulers and users hold it.
        for (g, s) in groups.iter_mut().zip(&saved_groups) {
            let Value::Dict(d) = &g.dict else { continue };
            let params = d
                .borrow()
                .get(&Value::str("params"))?
                .unwrap_or_else(|| Value::list(Vec::new()));
            let mut new = Dict::new();
            for (k, v) in items(s) {
                new.insert(
                    k.clone(),
                    if is_params_key(&k) { params.clone() } else { v },
                )?;
            }
            if !new.contains(&Value::str("params"))? {
                new.insert(Value::str("params"), params)?;
            }
            *d.borrow_mut() = new;
            PyOptimizer::sync(g)?;
        }
        Ok(())
    }
}

/// One parameter's saved state: tensors by key (numbers stand for a `step`).
fn state_entries(v: &Value) -> R<Vec<(String, StateValue)>> {
    let mut out = Vec::new();
    for (k, v) in items(v) {
        let Value::Str(k) = &k else { continue };
        let value = match (as_tensor(&v), v.as_f64()) {
            (Some(t), _) if &**k == "step" && t.numel() == 1 => {
                StateValue::Step(t.to_f64_vec()[0] as f32)
            }
            (Some(t), _) => StateValue::Buffer(t.clone()),
            (None, Some(x)) => StateValue::Step(x as f32),
            (None, None) => {
                return Err(Exception::type_error(format!(
                    "optimizer state '{k}' must be a tensor, not {}",
                    v.type_name()
                )));
            }
        };
        out.push((k.to_string(), value));
    }
    Ok(out)
}
