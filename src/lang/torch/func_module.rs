//! `torch.func.functional_call` (a module run with other tensors in place of its parameters
//! and buffers, put back afterwards) and `torch.func.stack_module_state` (the parameters and
//! buffers of same-shaped models stacked, for `vmap` over an ensemble).

use super::convert::{exc, tv};
use super::module::{named_buffers, named_parameters};
use crate::lang::native::Args;
use crate::lang::value::Dict;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// Registers `functional_call` and `stack_module_state` on `torch.func`.
pub fn install(m: &Module) {
    m.set(
        "functional_call",
        Value::builtin("functional_call", functional_call),
    );
    m.set(
        "stack_module_state",
        Value::builtin("stack_module_state", stack_module_state),
    );
}

/// The `(name, value)` pairs of a dict, or of a tuple/list of dicts (a name in two of them is
/// an error, as in PyTorch).
fn entries(interp: &mut Interpreter, v: &Value) -> R<Vec<(String, Value)>> {
    let dicts: Vec<Value> = match v {
        Value::Dict(_) => vec![v.clone()],
        Value::Tuple(_) | Value::List(_) => interp.iterate(v)?,
        other => {
            return Err(Exception::value_error(format!(
                "Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got {}",
                other.type_name()
            )));
        }
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    for d in &dicts {
        let Value::Dict(d) = d else {
            return Err(Exception::value_error(format!(
                "Expected all elements of parameter_and_buffer_dicts to be dictionaries, got {}",
                d.type_name()
            )));
        };
        for (k, x) in d.borrow().items() {
            let Value::Str(k) = &k else {
                return Err(Exception::type_error(
                    "functional_call: parameter names must be strings",
                ));
            };
            if out.iter().any(|(n, _)| **n == **k) {
                return Err(Exception::value_error(format!(
                    "['{k}'] appeared in multiple dictionaries; behavior of functional call is ambiguous"
                )));
            }
            out.push((k.to_string(), x));
        }
    }
    Ok(out)
}

/// The module holding `name` (a dotted path from `root`) and the attribute's own name.
fn owner(interp: &mut Interpreter, root: &Value, name: &str) -> R<(Value, String)> {
    let mut parts: Vec<&str> = name.split('.').collect();
    let last = parts.pop().unwrap_or(name).to_string();
    let mut m = root.clone();
    for p in parts {
        m = interp.get_attr(&m, p)?;
    }
    Ok((m, last))
}

/// `functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
/// tie_weights=True, strict=False)`.
fn functional_call(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [module, dicts, cargs, kwargs, _tie, _strict] = args.bind(&[
        "module",
        "parameter_and_buffer_dicts",
        "args=",
        "kwargs=",
        "*",
        "tie_weights=",
        "strict=",
    ])?;
    let module = module.unwrap_or(Value::None);
    let swaps = entries(interp, &dicts.unwrap_or(Value::None))?;
    let pos = match &cargs {
        None | Some(Value::None) => Vec::new(),
        Some(Value::Tuple(items)) => items.to_vec(),
        Some(v) => vec![v.clone()],
    };
    let mut call = Args::new("forward", pos);
    match &kwargs {
        None | Some(Value::None) => {}
        Some(Value::Dict(d)) => {
            for (k, v) in d.borrow().items() {
                if let Value::Str(k) = &k {
                    call.kw.push((k.to_string().into(), v));
                }
            }
        }
        Some(other) => {
            return Err(Exception::type_error(format!(
                "functional_call: kwargs must be a dict, not {}",
                other.type_name()
            )));
        }
    }
    // Swap the given tensors in, remembering what each attribute held.
    let mut saved: Vec<(Value, String, Value)> = Vec::with_capacity(swaps.len());
    let mut result = Ok(Value::None);
    for (name, v) in swaps {
        let step = (|| -> R<()> {
            let (m, attr) = owner(interp, &module, &name)?;
            let old = interp.get_attr(&m, &attr)?;
            interp.set_attr(&m, &attr, v)?;
            saved.push((m, attr, old));
            Ok(())
        })();
        if let Err(e) = step {
            result = Err(e);
            break;
        }
    }
    if result.is_ok() {
        result = interp.call(&module, call);
    }
    for (m, attr, old) in saved.into_iter().rev() {
        let restored = interp.set_attr(&m, &attr, old);
        if result.is_ok()
            && let Err(e) = restored
        {
            result = Err(e);
        }
    }
    result
}

/// `stack_module_state(models) -> (params, buffers)`: each parameter stacked over the models
/// as a new leaf (requiring grad when the models' do), each buffer stacked.
fn stack_module_state(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [models] = args.bind(&["models"])?;
    let models = interp.iterate(&models.unwrap_or(Value::None))?;
    let Some(first) = models.first() else {
        return Err(Exception::runtime_error(
            "stack_module_state: Expected at least one model, got 0.",
        ));
    };
    let training = interp.get_attr(first, "training")?;
    for m in &models {
        if !matches!((interp.get_attr(m, "training")?, &training), (Value::Bool(a), Value::Bool(b)) if a == *b)
        {
            return Err(Exception::runtime_error(
                "stack_module_state: Expected all models to have the same training/eval mode.",
            ));
        }
    }
    let stack = |get: &dyn Fn(&Value) -> Vec<(String, Tensor)>, params: bool| -> R<Value> {
        let all: Vec<Vec<(String, Tensor)>> = models.iter().map(get).collect();
        let names: Vec<String> = all[0].iter().map(|(n, _)| n.clone()).collect();
        let mut out = Dict::new();
        for (i, name) in names.iter().enumerate() {
            let mut ts = Vec::with_capacity(all.len());
            for one in &all {
                match one.get(i) {
                    Some((n, t)) if n == name => ts.push(t.clone()),
                    _ => {
                        return Err(Exception::runtime_error(
                            "stack_module_state: Expected all models to have the same parameters and buffers.",
                        ));
                    }
                }
            }
            let s = Tensor::stack(&ts, 0).map_err(exc)?;
            let s = if params && ts.iter().all(Tensor::requires_grad) {
                let d = s.detach();
                d.set_requires_grad(true).map_err(exc)?;
                d
            } else {
                s
            };
            out.insert(Value::str(name), tv(s))?;
        }
        Ok(Value::dict(out))
    };
    let params = stack(&|m| named_parameters(m, "", true), true)?;
    let buffers = stack(&|m| named_buffers(m, "", true), false)?;
    Ok(Value::tuple(vec![params, buffers]))
}
