//! Pytrees for `torch.func`: tensors nested in tuples, lists and dicts (a model's parameter
//! dict), flattened to their leaves in order and rebuilt with new leaves.

use super::convert::{as_tensor, tv};
use crate::lang::value::Dict;
use crate::lang::{Exception, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// `v` with each tensor leaf replaced by `f(leaf)`; other leaves are kept.
pub(super) fn map(v: &Value, f: &mut dyn FnMut(&Tensor) -> R<Value>) -> R<Value> {
    Ok(match v {
        Value::Tuple(items) => Value::tuple(items.iter().map(|x| map(x, f)).collect::<R<_>>()?),
        Value::List(items) => {
            let items = items.borrow().clone();
            Value::list(items.iter().map(|x| map(x, f)).collect::<R<_>>()?)
        }
        Value::Dict(d) => {
            let mut out = Dict::new();
            for (k, x) in d.borrow().items() {
                out.insert(k, map(&x, f)?)?;
            }
            Value::dict(out)
        }
        other => match as_tensor(other) {
            Some(t) => f(t)?,
            None => other.clone(),
        },
    })
}

/// The tensor leaves of `v`, in order.
pub(super) fn leaves(v: &Value) -> R<Vec<Tensor>> {
    let mut out = Vec::new();
    map(v, &mut |t| {
        out.push(t.clone());
        Ok(Value::None)
    })?;
    Ok(out)
}

/// `template`'s structure with its tensor leaves taken in order from `next`.
pub(super) fn rebuild(template: &Value, next: &mut dyn Iterator<Item = Value>) -> Value {
    map(template, &mut |_| Ok(next.next().unwrap_or(Value::None))).unwrap_or(Value::None)
}

/// The arguments `nums` picks, each a tensor or a tree of them, with every leaf made
/// differentiable by `prep`: the leaves in order, whether any keeps a graph, and each picked
/// argument's (new) tree, the template its gradients are rebuilt in.
pub(super) fn prep_trees(
    args: &mut [Value],
    nums: &[usize],
    api: &str,
    prep: fn(&Tensor) -> R<(Tensor, bool)>,
) -> R<(Vec<Tensor>, bool, Vec<Value>)> {
    let mut inputs = Vec::new();
    let mut keep = false;
    let mut templates = Vec::with_capacity(nums.len());
    for &i in nums {
        let before = inputs.len();
        let new = map(&args[i], &mut |t| {
            let (t, k) = prep(t)?;
            keep |= k;
            inputs.push(t.clone());
            Ok(tv(t))
        })?;
        if inputs.len() == before {
            return Err(Exception::runtime_error(format!(
                "{api}(f)(*args): Expected the argument {i} to be a Tensor or a (nested) tuple, list or dict of Tensors, got {}",
                args[i].type_name()
            )));
        }
        args[i] = new.clone();
        templates.push(new);
    }
    Ok((inputs, keep, templates))
}
