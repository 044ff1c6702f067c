//! `torch.func`'s forward-mode transforms: `jvp`, `jacfwd` (one call in a batched dual level
//! whose tangents are the standard basis) and `hessian` (PyTorch's `jacfwd(jacrev(f))`), over the
//! engine's forward-mode tangents (src/tensor/forward_ad.rs). Each call opens a dual level of
//! its own, so the transforms nest.

use super::convert::{as_tensor, exc, tv};
use super::func::{argnums, bool_kw, jacrev_transform, split_aux, unwrap_aux};
use super::func_tree::{leaves, map};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::forward_ad as fwd;
use crate::tensor::{Data, Tensor};

type R<T> = Result<T, Exception>;

/// Registers `jvp`, `jacfwd` and `hessian` on `torch.func`.
pub fn install(m: &Module) {
    m.set("jvp", Value::builtin("jvp", jvp));
    m.set("jacfwd", Value::builtin("jacfwd", jacfwd_transform));
    m.set("hessian", Value::builtin("hessian", hessian));
}

/// Runs `f` inside a fresh dual level, closed again whatever `f` returns.
fn in_level<T>(f: impl FnOnce(u64) -> R<T>) -> R<T> {
    let level = fwd::enter_level();
    let r = f(level);
    fwd::exit_level(level);
    r
}

/// The outputs of a call made inside `level`: the tree of primal outputs and, leaf by leaf,
/// their tangents (zeros where an output does not depend on the inputs; `[batch, *shape]` at
/// a batched level).
fn unpack_out(out: &Value, level: u64, api: &str) -> R<(Value, Vec<Tensor>)> {
    let outs = leaves(out)?;
    if outs.is_empty() {
        return Err(Exception::runtime_error(format!(
            "{api}: Expected f to be a function that has non-empty output (got output = {}) and that only returns Tensors",
            out.type_name()
        )));
    }
    let mut tangents = Vec::with_capacity(outs.len());
    for o in &outs {
        let t = fwd::tangent(o, level).map_err(exc)?;
        tangents.push(t.unwrap_or_else(|| match fwd::batch_size(level) {
            None => o.zeros_like(),
            Some(b) => Tensor::zeros(&std::iter::once(b).chain(o.shape()).collect::<Vec<_>>(), o.dtype()),
        }));
    }
    Ok((out.clone(), tangents))
}

/// `jvp(func, primals, tangents, *, strict=False, has_aux=False)`:
/// `(func(*primals), J·tangents)`, and `aux` when `has_aux`.
fn jvp(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [func, primals, tangents, _strict, has_aux] =
        args.bind(&["func", "primals", "tangents", "*", "strict=", "has_aux="])?;
    let func = func.unwrap_or(Value::None);
    let has_aux = bool_kw(has_aux.as_ref());
    let tuple_items = |v: &Option<Value>, what: &str| -> R<Vec<Value>> {
        match v {
            Some(Value::Tuple(items)) => Ok(items.to_vec()),
            _ => Err(Exception::runtime_error(format!(
                "jvp(f, primals, tangents): Expected {what} to be a tuple. E.g. it should be valid to call f(*primals)."
            ))),
        }
    };
    let primals = tuple_items(&primals, "primals")?;
    let tangents = tuple_items(&tangents, "tangents")?;
    if primals.len() != tangents.len() {
        return Err(Exception::runtime_error(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For example, if primals is a tuple of 3 tensors, tangents also must be.",
        ));
    }
    in_level(|level| {
        let mut duals = Vec::with_capacity(primals.len());
        for (p, t) in primals.iter().zip(&tangents) {
            let ts = leaves(t)?;
            let ps = leaves(p)?;
            if ps.is_empty() || ts.len() != ps.len() {
                return Err(Exception::runtime_error(
                    "jvp(f, primals, tangents): Expected primals and tangents to have the same python structure. For example, if primals is a tuple of 3 tensors, tangents also must be.",
                ));
            }
            let mut next = ts.into_iter();
            duals.push(map(p, &mut |x| {
                let t = next.next().unwrap_or_else(|| x.zeros_like());
                if t.shape() != x.shape() {
                    return Err(Exception::runtime_error(format!(
                        "jvp(f, primals, tangents): Expected primals and tangents to have the same shape. Got primal of shape {:?} and tangent of shape {:?}.",
                        x.shape(),
                        t.shape()
                    )));
                }
                Ok(tv(fwd::make_dual(x, &t, level).map_err(exc)?))
            })?);
        }
        let out = interp.call_positional(&func, duals)?;
        let (out, aux) = split_aux(out, has_aux, "jvp")?;
        let (primal_out, tangent_leaves) = unpack_out(&out, level, "jvp(f, primals, tangents)")?;
        let mut next = tangent_leaves.into_iter();
        let tangent_out = map(&out, &mut |_| Ok(next.next().map_or(Value::None, tv)))?;
        Ok(match aux {
            None => Value::tuple(vec![primal_out, tangent_out]),
            Some(aux) => Value::tuple(vec![primal_out, tangent_out, unwrap_aux(aux, true)]),
        })
    })
}

/// The tangents of one argument in `jacfwd`'s batch of `total` rows: rows `offset..` hold
/// the standard basis of the argument's elements, the other rows zeros (they belong to the
/// other arguments), shaped `[total, *like.shape]` in `like`'s dtype, as PyTorch's
/// `_construct_standard_basis_for` lays them out.
fn basis_rows(like: &Tensor, offset: usize, total: usize) -> R<Tensor> {
    let n = like.numel();
    let mut v = vec![0.0f64; total * n];
    for j in 0..n {
        v[(offset + j) * n + j] = 1.0;
    }
    let shape: Vec<usize> = std::iter::once(total).chain(like.shape()).collect();
    Tensor::from_data(Data::F64(v), &shape)
        .and_then(|t| t.to_dtype(like.dtype()))
        .map_err(exc)
}

/// `jacfwd(func, argnums=0, has_aux=False, *, randomness='error')`: the Jacobian of each
/// output with respect to each picked argument, `out.shape + arg.shape`. As PyTorch's (a
/// `vmap` of `jvp` over the standard basis of all the picked arguments' elements), `func` is
/// called once, inside a batched dual level whose tangents carry every basis vector at once.
fn jacfwd_transform(_: &mut Interpreter, args: Args) -> R<Value> {
    let [func, nums, has_aux, _randomness] =
        args.bind(&["func", "argnums=", "has_aux=", "*", "randomness="])?;
    let func = func.unwrap_or(Value::None);
    let has_aux = bool_kw(has_aux.as_ref());
    Ok(Value::builtin("jacfwd", move |interp, a| {
        let pos = a.pos.clone();
        let (nums, arg_tuple) = argnums(nums.as_ref(), pos.len())?;
        let mut xs = Vec::with_capacity(nums.len());
        for &k in &nums {
            let Some(x) = as_tensor(&pos[k]).cloned() else {
                return Err(Exception::unsupported(format!(
                    "torch.func.jacfwd with respect to an argument that is not a Tensor ({})",
                    pos[k].type_name()
                )));
            };
            if !x.dtype().is_floating_point() {
                return Err(Exception::value_error(format!(
                    "Expected primal to be floating point or complex, but got: {}",
                    x.dtype()
                )));
            }
            xs.push(x);
        }
        let numels: Vec<usize> = xs.iter().map(Tensor::numel).collect();
        let total: usize = numels.iter().sum();
        if total == 0 {
            return Err(Exception::unsupported(
                "torch.func.jacfwd with respect to an argument with no elements",
            ));
        }
        let level = fwd::enter_batched_level(total);
        let called = (|| -> R<(Value, Vec<Tensor>, Option<Value>)> {
            let mut call = pos.clone();
            let mut offset = 0;
            for (&k, x) in nums.iter().zip(&xs) {
                let basis = basis_rows(x, offset, total)?;
                call[k] = tv(fwd::make_dual(x, &basis, level).map_err(exc)?);
                offset += x.numel();
            }
            let out = interp.call(
                &func,
                Args {
                    fname: a.fname.clone(),
                    this: None,
                    pos: call,
                    kw: a.kw.clone(),
                },
            )?;
            let (out, aux) = split_aux(out, has_aux, "jacfwd")?;
            let (out, tans) = unpack_out(&out, level, "jacfwd(f, ...)(*args)")?;
            Ok((out, tans, aux))
        })();
        fwd::exit_level(level);
        let (out, tans, aux) = called?;
        // Each output's Jacobian with respect to each argument: its batch of tangents with the
        // batch dim moved last, split by argument and unflattened to out.shape + arg.shape
        // (views, as PyTorch's `movedim`, `split` and `unflatten` are).
        let jac_of = |i: usize| -> R<Value> {
            let t = &tans[i];
            let d = t.dim() as isize;
            let order: Vec<isize> = (1..d).chain(std::iter::once(0)).collect();
            let moved = t.permute(&order).map_err(exc)?;
            let mut per_in = Vec::with_capacity(nums.len());
            let mut offset = 0;
            for (x, &n) in xs.iter().zip(&numels) {
                let part = moved.narrow(-1, offset as i64, n as i64).map_err(exc)?;
                offset += n;
                let shape: Vec<isize> = t.shape()[1..]
                    .iter()
                    .chain(x.shape().iter())
                    .map(|&d| d as isize)
                    .collect();
                per_in.push(tv(part.reshape(&shape).map_err(exc)?));
            }
            Ok(if arg_tuple {
                Value::tuple(per_in)
            } else {
                per_in.into_iter().next().unwrap_or(Value::None)
            })
        };
        let mut i = 0;
        let jac = map(&out, &mut |_| {
            let v = jac_of(i);
            i += 1;
            v
        })?;
        Ok(match aux {
            None => jac,
            Some(aux) => Value::tuple(vec![jac, unwrap_aux(aux, false)]),
        })
    }))
}

/// `hessian(func, argnums=0)`: `jacfwd(jacrev(func, argnums), argnums)`, as PyTorch's is.
fn hessian(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [func, nums] = args.bind(&["func", "argnums="])?;
    let nums = nums.unwrap_or(Value::Int(0));
    let mut inner = Args::new("jacrev", vec![func.unwrap_or(Value::None)]);
    inner.kw.push(("argnums".into(), nums.clone()));
    let inner = jacrev_transform(interp, inner)?;
    let mut outer = Args::new("jacfwd", vec![inner]);
    outer.kw.push(("argnums".into(), nums));
    jacfwd_transform(interp, outer)
}
