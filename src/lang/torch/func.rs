//! `torch.func` (and `torch.vmap`): the function transforms `grad`, `grad_and_value`, `vjp`,
//! `jacrev` and `vmap`, built on the reverse-mode engine (`jvp`, `jacfwd` and `hessian` are
//! func_fwd.rs's, `functional_call` and `stack_module_state` func_module.rs's). `vmap` runs the
//! function once per batch element and stacks the results (see docs/divergences.md for
//! where that differs from PyTorch's batching rules), marking each element it slices so that
//! matrix products of an element take their rows of the batch's one product
//! (src/tensor/vmap_rows.rs, PyTorch's rule for `mm`); `jacrev` takes one backward pass per
//! output element. `grad` differentiates with respect to tensors in tuples, lists and dicts
//! (func_tree.rs).
//! A transform whose input already requires grad (it is nested inside another transform,
//! or the caller's tensor is part of a graph) keeps the graph, so transforms compose.

use std::rc::Rc;

use super::autograd::with_interp;
use super::convert::{as_tensor, exc, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Tensor};

type R<T> = Result<T, Exception>;

/// Registers `torch.func` and `torch.vmap`.
pub fn install(interp: &mut Interpreter, torch: &Module) {
    let m = Module::new("torch.func");
    m.set(
        "grad",
        Value::builtin("grad", |_, a| grad_transform(a, false)),
    );
    m.set(
        "grad_and_value",
        Value::builtin("grad_and_value", |_, a| grad_transform(a, true)),
    );
    m.set("vjp", Value::builtin("vjp", vjp));
    m.set("jacrev", Value::builtin("jacrev", jacrev_transform));
    super::func_fwd::install(&m);
    super::func_module::install(&m);
    let vmap = Value::builtin("vmap", vmap);
    m.set("vmap", vmap.clone());
    torch.set("vmap", vmap);
    let m = Value::Module(Rc::new(m));
    torch.set("func", m.clone());
    interp.register_module("torch.func", m);
}

/// The name PyTorch's messages give a transformed function (`func.__name__`).
pub(super) fn func_name(interp: &mut Interpreter, f: &Value) -> String {
    match &interp.get_attr(f, "__name__") {
        Ok(Value::Str(s)) => s.to_string(),
        _ => "func".into(),
    }
}

/// An input made differentiable for one transform: a fresh leaf when it is not part of a
/// graph, a view keeping its graph when it is (so an outer transform can differentiate the
/// result); the flag says which.
pub(super) fn prep(t: &Tensor) -> R<(Tensor, bool)> {
    if t.requires_grad() {
        let shape: Vec<isize> = t.shape().iter().map(|&d| d as isize).collect();
        let v = t.view(&shape).map_err(exc)?;
        engine::vmap_rows::carry(t, &v);
        return Ok((v, true));
    }
    let d = t.detach();
    engine::forward_ad::carry(t, &d);
    engine::vmap_rows::carry(t, &d);
    d.set_requires_grad(true).map_err(exc)?;
    Ok((d, false))
}

/// Results leave a transform detached unless the graph is kept for an outer one (tangents of
/// an enclosing `jvp` stay).
pub(super) fn finish(t: Tensor, keep: bool) -> Value {
    if keep {
        return tv(t);
    }
    let d = t.detach();
    engine::forward_ad::carry(&t, &d);
    tv(d)
}

/// `argnums` as positions in `args`, and whether it was a tuple.
pub(super) fn argnums(v: Option<&Value>, nargs: usize) -> R<(Vec<usize>, bool)> {
    let norm = |i: i64| -> R<usize> {
        let j = if i < 0 { i + nargs as i64 } else { i };
        if j < 0 || j >= nargs as i64 {
            return Err(Exception::runtime_error(format!(
                "Got argnum={i}, but only {nargs} positional inputs"
            )));
        }
        Ok(j as usize)
    };
    match v {
        None | Some(Value::None) => Ok((vec![norm(0)?], false)),
        Some(Value::Int(i)) => Ok((vec![norm(*i)?], false)),
        Some(Value::Tuple(items)) if !items.is_empty() => {
            let mut out = Vec::new();
            for x in items.iter() {
                match x {
                    Value::Int(i) => out.push(norm(*i)?),
                    other => {
                        return Err(Exception::runtime_error(format!(
                            "argnums must be int or Tuple[int, ...], got: {}",
                            other.type_name()
                        )));
                    }
                }
            }
            Ok((out, true))
        }
        Some(Value::Tuple(_)) => Err(Exception::runtime_error("argnums must be non-empty")),
        Some(other) => Err(Exception::runtime_error(format!(
            "argnums must be int or Tuple[int, ...], got: {}",
            other.type_name()
        ))),
    }
}

/// Splits `(output, aux)` when `has_aux`.
pub(super) fn split_aux(out: Value, has_aux: bool, api: &str) -> R<(Value, Option<Value>)> {
    if !has_aux {
        return Ok((out, None));
    }
    match &out {
        Value::Tuple(items) if items.len() == 2 => Ok((items[0].clone(), Some(items[1].clone()))),
        _ => Err(Exception::runtime_error(format!(
            "{api}(f)(*args): output of function f should be a tuple: (output, aux) if has_aux is True"
        ))),
    }
}

/// An auxiliary output leaves the transform as its outputs do: tensors (also in tuples and
/// lists) detached unless the graph is kept.
pub(super) fn unwrap_aux(v: Value, keep: bool) -> Value {
    match &v {
        Value::Tuple(items) => {
            Value::tuple(items.iter().map(|x| unwrap_aux(x.clone(), keep)).collect())
        }
        Value::List(items) => {
            let items: Vec<Value> = items
                .borrow()
                .iter()
                .map(|x| unwrap_aux(x.clone(), keep))
                .collect();
            Value::list(items)
        }
        _ => match as_tensor(&v) {
            Some(t) => finish(t.clone(), keep),
            None => v,
        },
    }
}

pub(super) fn bool_kw(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true)))
}

/// `grad(func, argnums=0, has_aux=False)` and `grad_and_value`: a function returning the
/// gradient of `func`'s one-element output with respect to the arguments `argnums` picks.
fn grad_transform(args: Args, with_value: bool) -> R<Value> {
    let [func, nums, has_aux] = args.bind(&["func", "argnums=", "has_aux="])?;
    let func = func.unwrap_or(Value::None);
    let has_aux = bool_kw(has_aux.as_ref());
    let api = if with_value { "grad_and_value" } else { "grad" };
    Ok(Value::builtin(api, move |interp, a| {
        let mut pos = a.pos.clone();
        let (nums, tuple) = argnums(nums.as_ref(), pos.len())?;
        let (inputs, keep, templates) = super::func_tree::prep_trees(&mut pos, &nums, api, prep)?;
        let out = interp.call(&func, Args { pos, ..a })?;
        let (out, aux) = split_aux(out, has_aux, "grad_and_value")?;
        let out = match as_tensor(&out) {
            Some(t) => t.clone(),
            None => {
                return Err(Exception::runtime_error(format!(
                    "grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {}",
                    out.type_name()
                )));
            }
        };
        if out.dim() != 0 {
            return Err(Exception::runtime_error(format!(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with {} dims. Maybe you wanted to use the vjp or jacrev APIs instead?",
                out.dim()
            )));
        }
        let grads = if out.requires_grad() {
            with_interp(interp, || {
                engine::grad(std::slice::from_ref(&out), &[None], &inputs, keep, keep)
            })?
        } else {
            vec![None; inputs.len()]
        };
        let mut flat = grads
            .into_iter()
            .zip(&inputs)
            .map(|(g, x)| finish(g.unwrap_or_else(|| x.zeros_like()), keep));
        let grads: Vec<Value> = templates
            .iter()
            .map(|t| super::func_tree::rebuild(t, &mut flat))
            .collect();
        let g = if tuple {
            Value::tuple(grads)
        } else {
            grads.into_iter().next().unwrap_or(Value::None)
        };
        let value = finish(out, keep);
        let aux = aux.map(|v| unwrap_aux(v, keep));
        Ok(match (with_value, aux) {
            (false, None) => g,
            (false, Some(aux)) => Value::tuple(vec![g, aux]),
            (true, None) => Value::tuple(vec![g, value]),
            (true, Some(aux)) => Value::tuple(vec![g, Value::tuple(vec![value, aux])]),
        })
    }))
}

/// A function's output as a list of tensors, and whether it was a tuple (or list).
pub(super) fn out_tensors(out: &Value, api: &str) -> R<(Vec<Tensor>, bool)> {
    let one = |v: &Value| -> R<Tensor> {
        as_tensor(v).cloned().ok_or_else(|| {
            Exception::runtime_error(format!(
                "{api}: Expected f to be a function that has non-empty output (got output = {}) and that only returns Tensors",
                v.type_name()
            ))
        })
    };
    match out {
        Value::Tuple(items) => Ok((items.iter().map(one).collect::<R<_>>()?, true)),
        v => Ok((vec![one(v)?], false)),
    }
}

/// `vjp(func, *primals, has_aux=False)`: `(func(*primals), vjp_fn)`, where
/// `vjp_fn(cotangents)` returns one gradient per primal, as a tuple.
fn vjp(interp: &mut Interpreter, args: Args) -> R<Value> {
    let mut pos = args.pos.clone();
    if pos.is_empty() {
        return Err(Exception::type_error(
            "vjp() missing 1 required positional argument: 'func'",
        ));
    }
    let func = pos.remove(0);
    let mut has_aux = false;
    for (k, v) in &args.kw {
        match &**k {
            "has_aux" => has_aux = bool_kw(Some(v)),
            other => {
                return Err(Exception::type_error(format!(
                    "vjp() got an unexpected keyword argument '{other}'"
                )));
            }
        }
    }
    let nums: Vec<usize> = (0..pos.len()).collect();
    let (inputs, keep, templates) = super::func_tree::prep_trees(&mut pos, &nums, "vjp", prep)?;
    let out = interp.call_positional(&func, pos)?;
    let (out, aux) = split_aux(out, has_aux, "vjp")?;
    let aux = aux.map(|v| unwrap_aux(v, keep));
    let (outs, out_tuple) = out_tensors(&out, "vjp(f, *primals)")?;
    let fouts = outs.clone();
    let vjp_fn = Value::builtin("vjp_fn", move |interp, a| {
        let [ct] = a.bind(&["cotangents"])?;
        let ct = ct.unwrap_or(Value::None);
        let cts: Vec<Tensor> = match (&ct, out_tuple) {
            (Value::Tuple(items), true) => items
                .iter()
                .map(|v| as_tensor(v).cloned())
                .collect::<Option<_>>()
                .ok_or_else(|| Exception::runtime_error("Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function"))?,
            (v, false) if as_tensor(v).is_some() => vec![as_tensor(v).unwrap().clone()],
            _ => {
                return Err(Exception::runtime_error(
                    "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function",
                ));
            }
        };
        if cts.len() != fouts.len() {
            return Err(Exception::runtime_error(
                "Expected pytree structure of cotangents to be the same as pytree structure of outputs to the function",
            ));
        }
        for (c, o) in cts.iter().zip(&fouts) {
            if c.shape() != o.shape() {
                return Err(Exception::runtime_error(format!(
                    "Mismatch in shape: grad_output[0] has a shape of torch.Size({:?}) and output[0] has a shape of torch.Size({:?}).",
                    c.shape(),
                    o.shape()
                )));
            }
        }
        let create = keep || cts.iter().any(Tensor::requires_grad);
        let (mut os, mut gs) = (Vec::new(), Vec::new());
        for (o, c) in fouts.iter().zip(cts) {
            if o.requires_grad() {
                os.push(o.clone());
                gs.push(Some(c));
            }
        }
        let grads = if os.is_empty() {
            vec![None; inputs.len()]
        } else {
            with_interp(interp, || engine::grad(&os, &gs, &inputs, true, create))?
        };
        // One gradient per primal, in the primal's own tree.
        let mut flat = grads
            .into_iter()
            .zip(&inputs)
            .map(|(g, x)| finish(g.unwrap_or_else(|| x.zeros_like()), create));
        Ok(Value::tuple(
            templates
                .iter()
                .map(|t| super::func_tree::rebuild(t, &mut flat))
                .collect(),
        ))
    });
    let outv: Vec<Value> = outs.into_iter().map(|o| finish(o, keep)).collect();
    let outv = if out_tuple {
        Value::tuple(outv)
    } else {
        outv.into_iter().next().unwrap_or(Value::None)
    };
    Ok(match aux {
        None => Value::tuple(vec![outv, vjp_fn]),
        Some(aux) => Value::tuple(vec![outv, vjp_fn, aux]),
    })
}

/// `jacrev(func, argnums=0, has_aux=False)`: the Jacobian of each output with respect to each
/// picked argument, `out.shape + arg.shape`, one backward pass per output element.
pub(super) fn jacrev_transform(_: &mut Interpreter, args: Args) -> R<Value> {
    let [func, nums, has_aux] = args.bind(&["func", "argnums=", "has_aux="])?;
    let func = func.unwrap_or(Value::None);
    let has_aux = bool_kw(has_aux.as_ref());
    Ok(Value::builtin("jacrev", move |interp, a| {
        let mut pos = a.pos.clone();
        let (nums, arg_tuple) = argnums(nums.as_ref(), pos.len())?;
        let (inputs, keep, templates) =
            super::func_tree::prep_trees(&mut pos, &nums, "jacrev", prep)?;
        let out = interp.call(&func, Args { pos, ..a })?;
        let (out, aux) = split_aux(out, has_aux, "jacrev")?;
        let aux = aux.map(|v| unwrap_aux(v, keep));
        let (outs, out_tuple) = out_tensors(&out, "jacrev(f, ...)(*args)")?;
        let mut per_out = Vec::with_capacity(outs.len());
        for o in &outs {
            let flat = o.reshape(&[-1]).map_err(exc)?;
            let mut cols: Vec<Vec<Tensor>> = vec![Vec::new(); inputs.len()];
            for j in 0..o.numel() {
                let grads = if o.requires_grad() {
                    let e = flat.select(0, j as i64).map_err(exc)?;
                    with_interp(interp, || engine::grad(&[e], &[None], &inputs, true, keep))?
                } else {
                    vec![None; inputs.len()]
                };
                for (k, g) in grads.into_iter().enumerate() {
                    cols[k].push(g.unwrap_or_else(|| inputs[k].zeros_like()));
                }
            }
            let mut per_in = Vec::with_capacity(inputs.len());
            for (k, col) in cols.into_iter().enumerate() {
                let shape: Vec<usize> = o
                    .shape()
                    .iter()
                    .chain(inputs[k].shape().iter())
                    .copied()
                    .collect();
                let j = if col.is_empty() {
                    Tensor::zeros(&shape, inputs[k].dtype())
                } else {
                    let s: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
                    Tensor::stack(&col, 0)
                        .and_then(|t| t.view(&s))
                        .map_err(exc)?
                };
                per_in.push(finish(j, keep));
            }
            // Each picked argument's Jacobians in that argument's own tree (a parameter dict).
            let mut flat = per_in.into_iter();
            let per_in: Vec<Value> = templates
                .iter()
                .map(|t| super::func_tree::rebuild(t, &mut flat))
                .collect();
            per_out.push(if arg_tuple {
                Value::tuple(per_in)
            } else {
                per_in.into_iter().next().unwrap_or(Value::None)
            });
        }
        let jac = if out_tuple {
            Value::tuple(per_out)
        } else {
            per_out.into_iter().next().unwrap_or(Value::None)
        };
        Ok(match aux {
            None => jac,
            Some(aux) => Value::tuple(vec![jac, aux]),
        })
    }))
}

/// `vmap(func, in_dims=0, out_dims=0, randomness='error', *, chunk_size=None)`.
fn vmap(_: &mut Interpreter, args: Args) -> R<Value> {
    let [func, in_dims, out_dims, randomness, chunk_size] = args.bind(&[
        "func",
        "in_dims=",
        "out_dims=",
        "randomness=",
        "chunk_size=",
    ])?;
    let func = func.unwrap_or(Value::None);
    let in_dims = in_dims.unwrap_or(Value::Int(0));
    let out_dims = out_dims.unwrap_or(Value::Int(0));
    match &randomness {
        None => {}
        Some(Value::Str(s)) if matches!(&**s, "error" | "different" | "same") => {}
        Some(other) => {
            return Err(Exception::runtime_error(format!(
                "Only allowed values for randomness are 'error', 'different', or 'same'. Got {}",
                match other {
                    Value::Str(s) => s.to_string(),
                    v => v.type_name().to_string(),
                }
            )));
        }
    }
    match &chunk_size {
        None | Some(Value::None) => {}
        Some(Value::Int(n)) if *n > 0 => {}
        Some(_) => {
            return Err(Exception::value_error(
                "vmap: chunk_size should be None or greater than 0. (got chunk_size)",
            ));
        }
    }
    match &in_dims {
        Value::Int(_) | Value::None | Value::Tuple(_) | Value::List(_) => {}
        other => {
            return Err(Exception::value_error(format!(
                "vmap(<function>, in_dims={}, ...): expected `in_dims` to be int or a (potentially nested) tuple matching the structure of inputs, got: {}.",
                other.type_name(),
                other.type_name()
            )));
        }
    }
    Ok(Value::builtin("vmap", move |interp, a| {
        let name = func_name(interp, &func);
        let ctx = format!(
            "vmap({name}, in_dims={}, ...)(<inputs>)",
            interp.repr(&in_dims)?
        );
        if matches!(in_dims, Value::None) {
            return Err(Exception::value_error(format!(
                "{ctx}: expected `in_dims` to be int or a (potentially nested) tuple matching the structure of inputs, got: <class 'NoneType'>."
            )));
        }
        let dims: Vec<Value> = match &in_dims {
            Value::Tuple(items) => items.to_vec(),
            Value::List(l) => l.borrow().clone(),
            d => vec![d.clone(); a.pos.len()],
        };
        if dims.len() != a.pos.len() {
            return Err(Exception::value_error(format!(
                "{ctx}: in_dims is not compatible with the structure of `inputs`. in_dims has {} elements but inputs has {}.",
                dims.len(),
                a.pos.len()
            )));
        }
        let mut size: Option<usize> = None;
        let mut sizes = Vec::new();
        for (arg, d) in a.pos.iter().zip(&dims) {
            batch_sizes(arg, d, &ctx, &mut sizes)?;
        }
        for &s in &sizes {
            if size.is_none() {
                size = Some(s);
            }
        }
        let Some(n) = size else {
            return Err(Exception::value_error(format!(
                "{ctx}: at least one input must be a Tensor being mapped over (got no in_dim that is not None for any Tensor input)."
            )));
        };
        if sizes.iter().any(|&s| s != n) {
            return Err(Exception::value_error(format!(
                "vmap: Expected all tensors to have the same size in the mapped dimension, got sizes {:?} for the mapped dimension",
                sizes
            )));
        }
        engine::vmap_rows::enter();
        let results = run_elements(interp, &func, &a, &dims, n);
        engine::vmap_rows::exit();
        combine(&results?, &out_dims, &name)
    }))
}

/// The function called on each batch element in turn (its elements marked for
/// vmap_rows.rs's batching rule of matrix products).
fn run_elements(interp: &mut Interpreter, func: &Value, a: &Args, dims: &[Value], n: usize) -> R<Vec<Value>> {
    let mut results = Vec::with_capacity(n);
    for i in 0..n {
        let pos = a
            .pos
            .iter()
            .zip(dims)
            .map(|(arg, d)| slice(arg, d, i))
            .collect::<R<Vec<_>>>()?;
        results.push(interp.call(
            func,
            Args {
                fname: a.fname.clone(),
                this: None,
                pos,
                kw: a.kw.clone(),
            },
        )?);
    }
    Ok(results)
}

/// The sizes of the mapped dimensions of `arg` (a tensor, or a tuple/list of them) under `dim`.
fn batch_sizes(arg: &Value, dim: &Value, ctx: &str, out: &mut Vec<usize>) -> R<()> {
    match (arg, dim) {
        (_, Value::None) => Ok(()),
        (Value::Tuple(items), Value::Tuple(ds)) if items.len() == ds.len() => {
            for (x, d) in items.iter().zip(ds.iter()) {
                batch_sizes(x, d, ctx, out)?;
            }
            Ok(())
        }
        (Value::Tuple(items), Value::Int(_)) => {
            for x in items.iter() {
                batch_sizes(x, dim, ctx, out)?;
            }
            Ok(())
        }
        (Value::List(items), Value::Int(_)) => {
            for x in items.borrow().iter() {
                batch_sizes(x, dim, ctx, out)?;
            }
            Ok(())
        }
        (Value::Dict(items), Value::Int(_)) => {
            for x in items.borrow().values() {
                batch_sizes(&x, dim, ctx, out)?;
            }
            Ok(())
        }
        (v, Value::Int(d)) => {
            let Some(t) = as_tensor(v) else {
                return Err(Exception::value_error(format!(
                    "{ctx}: Got in_dim={d} for an input but the input is of type <class '{}'>. We cannot vmap over non-Tensor arguments, please use None as the respective in_dim",
                    v.type_name()
                )));
            };
            let nd = t.dim() as i64;
            if *d < -nd.max(1) || *d >= nd.max(1) || nd == 0 {
                return Err(Exception::value_error(format!(
                    "{ctx}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality {nd} so expected in_dim to satisfy -{nd} <= in_dim < {nd}."
                )));
            }
            let d = if *d < 0 { d + nd } else { *d };
            out.push(t.shape()[d as usize]);
            Ok(())
        }
        (v, d) => Err(Exception::value_error(format!(
            "{ctx}: in_dims is not compatible with the structure of `inputs` (an in_dim of type {} for an input of type {}).",
            d.type_name(),
            v.type_name()
        ))),
    }
}

/// Element `i` of `arg` along its mapped dimension (checked by [`batch_sizes`]).
fn slice(arg: &Value, dim: &Value, i: usize) -> R<Value> {
    match (arg, dim) {
        (_, Value::None) => Ok(arg.clone()),
        (Value::Tuple(items), Value::Tuple(ds)) => Ok(Value::tuple(
            items
                .iter()
                .zip(ds.iter())
                .map(|(x, d)| slice(x, d, i))
                .collect::<R<_>>()?,
        )),
        (Value::Tuple(items), _) => Ok(Value::tuple(
            items.iter().map(|x| slice(x, dim, i)).collect::<R<_>>()?,
        )),
        (Value::Dict(items), _) => {
            let mut d = crate::lang::value::Dict::new();
            for (k, x) in items.borrow().items() {
                d.insert(k, slice(&x, dim, i)?)?;
            }
            Ok(Value::dict(d))
        }
        (Value::List(items), _) => {
            let v = items
                .borrow()
                .iter()
                .map(|x| slice(x, dim, i))
                .collect::<R<Vec<_>>>()?;
            Ok(Value::list(v))
        }
        (v, Value::Int(d)) => {
            let t = as_tensor(v).expect("checked by batch_sizes");
            let s = t.select(*d as isize, i as i64).map_err(exc)?;
            // An element along dim 0 is a row block of `t` itself, what PyTorch's batching
            // rule for products multiplies at once (vmap_rows.rs); other dims are not marked.
            if *d == 0 || *d == -(t.dim() as i64) {
                engine::vmap_rows::mark(&s, t, i);
            }
            Ok(tv(s))
        }
        _ => Ok(arg.clone()),
    }
}

/// The per-element results stacked along `out_dims` (an int, or one per output of a tuple).
fn combine(results: &[Value], out_dims: &Value, name: &str) -> R<Value> {
    let first = &results[0];
    if let Value::Dict(d) = first {
        let keys = d.borrow().keys();
        let mut out = crate::lang::value::Dict::new();
        for k in keys {
            let col: Vec<Value> = results
                .iter()
                .map(|r| match r {
                    Value::Dict(d) => d.borrow().get(&k)?.ok_or_else(|| {
                        Exception::value_error(format!(
                            "vmap({name}, ...): the function returned outputs of different structures for different batch elements"
                        ))
                    }),
                    _ => Err(Exception::value_error(format!(
                        "vmap({name}, ...): the function returned outputs of different structures for different batch elements"
                    ))),
                })
                .collect::<R<_>>()?;
            out.insert(k, combine(&col, out_dims, name)?)?;
        }
        return Ok(Value::dict(out));
    }
    if let Value::Tuple(items) = first {
        let k = items.len();
        let mut outs = Vec::with_capacity(k);
        for j in 0..k {
            let col: Vec<Value> = results
                .iter()
                .map(|r| match r {
                    Value::Tuple(it) if it.len() == k => Ok(it[j].clone()),
                    _ => Err(Exception::value_error(format!(
                        "vmap({name}, ...): the function returned outputs of different structures for different batch elements"
                    ))),
                })
                .collect::<R<_>>()?;
            let d = match out_dims {
                Value::Tuple(ds) if ds.len() == k => ds[j].clone(),
                Value::Tuple(ds) => {
                    return Err(Exception::value_error(format!(
                        "vmap({name}, ..., out_dims={}): out_dims is not compatible with the structure of `outputs`. out_dims has {} elements but outputs has {k}.",
                        ds.len(),
                        ds.len()
                    )));
                }
                d => d.clone(),
            };
            outs.push(combine(&col, &d, name)?);
        }
        return Ok(Value::tuple(outs));
    }
    let ts = results
        .iter()
        .map(|r| {
            as_tensor(r).cloned().ok_or_else(|| {
                Exception::value_error(format!(
                    "vmap({name}, ...): `{name}` must only return Tensors, got type <class '{}'>. Did you mean to set out_dims= to None for output?",
                    r.type_name()
                ))
            })
        })
        .collect::<R<Vec<_>>>()?;
    match out_dims {
        Value::None => Ok(tv(ts[0].clone())),
        Value::Int(d) => {
            let nd = ts[0].dim() as i64 + 1;
            if *d < -nd || *d >= nd {
                return Err(Exception::new(
                    "IndexError",
                    format!(
                        "Dimension out of range (expected to be in range of [{}, {}], but got {d})",
                        -nd,
                        nd - 1
                    ),
                ));
            }
            Ok(tv(Tensor::stack(&ts, *d as isize).map_err(exc)?))
        }
        other => Err(Exception::value_error(format!(
            "vmap({name}, ..., out_dims={}): out_dims must be an int, None or a tuple of them",
            other.type_name()
        ))),
    }
}
