//! `torch.autograd.gradcheck` and `gradgradcheck`: PyTorch's slow-mode checks of a function's
//! analytical Jacobian (one backward pass per output element) against central finite
//! differences (one perturbed call per input element), and of the Jacobian of its
//! `create_graph` gradients, with the random `grad_outputs` gradgradcheck draws as
//! `torch.testing.make_tensor(low=-1, high=1)` does, so later random draws stay in step.

use super::autograd::with_interp;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use crate::lang::native::Args;
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Data, Tensor};

type R<T> = Result<T, Exception>;

/// Registers `gradcheck` and `gradgradcheck` on `torch.autograd`, and their error type, a
/// `RuntimeError` subclass as in PyTorch (so `except RuntimeError` catches it).
pub fn install(interp: &mut Interpreter, autograd: &Module) {
    let base = interp.types.get("RuntimeError").cloned();
    let t = TypeObj::new("GradcheckError", base, None);
    interp.types.insert("GradcheckError", t.clone());
    autograd.set("GradcheckError", Value::Type(t));
    autograd.set("gradcheck", Value::builtin("gradcheck", gradcheck));
    autograd.set(
        "gradgradcheck",
        Value::builtin("gradgradcheck", gradgradcheck),
    );
}

/// The options both checks share (the others PyTorch accepts are bound and ignored: the
/// reentrancy, undefined-gradient, batched and forward-mode checks are not run).
pub(super) struct Tol {
    pub(super) eps: f64,
    pub(super) atol: f64,
    pub(super) rtol: f64,
    pub(super) raise: bool,
}

/// The keyword options after `func, inputs` both functions accept.
const OPTIONS: [&str; 13] = [
    "eps=",
    "atol=",
    "rtol=",
    "raise_exception=",
    "nondet_tol=",
    "check_undefined_grad=",
    "check_grad_dtypes=",
    "check_batched_grad=",
    "check_batched_forward_grad=",
    "check_forward_ad=",
    "check_backward_ad=",
    "fast_mode=",
    "masked=",
];

fn tol(
    eps: Option<&Value>,
    atol: Option<&Value>,
    rtol: Option<&Value>,
    raise: Option<&Value>,
) -> R<Tol> {
    Ok(Tol {
        eps: f64_arg(eps, 1e-6, "eps")?,
        atol: f64_arg(atol, 1e-5, "atol")?,
        rtol: f64_arg(rtol, 1e-3, "rtol")?,
        raise: bool_arg(raise, true),
    })
}

/// `_as_tuple`: a tensor or a tuple/list of values (non-tensors are kept for the call but not
/// differentiated).
fn as_values(interp: &mut Interpreter, v: &Value) -> R<Vec<Value>> {
    match v {
        Value::Tuple(_) | Value::List(_) => interp.iterate(v),
        other => Ok(vec![other.clone()]),
    }
}

/// The tensors among a function's results that require grad (`_differentiable_outputs`).
fn differentiable(interp: &mut Interpreter, out: &Value) -> R<Vec<Tensor>> {
    let items = as_values(interp, out)?;
    Ok(items
        .iter()
        .filter_map(as_tensor)
        .filter(|t| t.requires_grad())
        .cloned()
        .collect())
}

/// `gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, ...)`.
fn gradcheck(interp: &mut Interpreter, args: Args) -> R<Value> {
    let mut sig = vec!["func", "inputs", "*"];
    sig.extend(OPTIONS);
    let [func, inputs, eps, atol, rtol, raise, _, _, _, _, _, forward_ad, backward_ad, ..] =
        args.bind::<15>(&sig)?;
    let func = func.unwrap_or(Value::None);
    let inputs = as_values(interp, &inputs.unwrap_or(Value::None))?;
    let tol = tol(eps.as_ref(), atol.as_ref(), rtol.as_ref(), raise.as_ref())?;
    // The backward check unless `check_backward_ad=False`; the forward one (one `jvp` per
    // input element) with `check_forward_ad=True` (gradcheck_fwd.rs).
    if bool_arg(backward_ad.as_ref(), true) && !check(interp, &func, &inputs, &tol)? {
        return Ok(Value::Bool(false));
    }
    if bool_arg(forward_ad.as_ref(), false) {
        return super::gradcheck_fwd::check_forward(interp, &func, &inputs, &tol).map(Value::Bool);
    }
    Ok(Value::Bool(true))
}

/// `gradgradcheck(func, inputs, grad_outputs=None, *, eps, atol, rtol,
/// gen_non_contig_grad_outputs=False, raise_exception=True, ...)`: gradcheck of
/// `(inputs, grad_outputs) -> torch.autograd.grad(func(*inputs), inputs, grad_outputs,
/// create_graph=True)`.
fn gradgradcheck(interp: &mut Interpreter, args: Args) -> R<Value> {
    let mut sig = vec![
        "func",
        "inputs",
        "grad_outputs=",
        "*",
        "eps=",
        "atol=",
        "rtol=",
    ];
    sig.extend([
        "gen_non_contig_grad_outputs=",
        "raise_exception=",
        "nondet_tol=",
    ]);
    sig.extend([
        "check_undefined_grad=",
        "check_grad_dtypes=",
        "check_batched_grad=",
        "check_fwd_over_rev=",
        "check_rev_over_rev=",
        "fast_mode=",
        "masked=",
    ]);
    let [
        func,
        inputs,
        grad_outputs,
        eps,
        atol,
        rtol,
        noncontig,
        raise,
        ..,
    ] = args.bind::<16>(&sig)?;
    if bool_arg(noncontig.as_ref(), false) {
        return Err(Exception::unsupported(
            "gradgradcheck(gen_non_contig_grad_outputs=True)",
        ));
    }
    let func = func.unwrap_or(Value::None);
    let inputs = as_values(interp, &inputs.unwrap_or(Value::None))?;
    let tol = tol(eps.as_ref(), atol.as_ref(), rtol.as_ref(), raise.as_ref())?;
    let grad_outputs = match grad_outputs {
        None | Some(Value::None) => {
            // make_tensor(out.shape, dtype=out.dtype, low=-1, high=1, requires_grad=True):
            // an empty tensor filled by `uniform_(-1, 1)` from the default generator.
            let out = interp.call_positional(&func, inputs.clone())?;
            let rng = super::default_rng().ok_or_else(|| {
                Exception::runtime_error("torch is not installed in this interpreter")
            })?;
            let mut gos = Vec::new();
            for o in differentiable(interp, &out)? {
                let g = Tensor::zeros(&o.shape(), o.dtype());
                engine::uniform_(&g, &mut rng.borrow_mut(), -1.0, 1.0).map_err(exc)?;
                g.set_requires_grad(true).map_err(exc)?;
                gos.push(tv(g));
            }
            gos
        }
        Some(v) => as_values(interp, &v)?,
    };
    let n_inputs = inputs.len();
    let inner = func.clone();
    let new_func = Value::builtin("new_func", move |interp: &mut Interpreter, a: Args| {
        let all = a.pos.clone();
        let (ins, gos) = all.split_at(n_inputs.min(all.len()));
        let out = interp.call_positional(&inner, ins.to_vec())?;
        let outs = differentiable(interp, &out)?;
        let diff_in: Vec<Tensor> = ins
            .iter()
            .filter_map(as_tensor)
            .filter(|t| t.requires_grad())
            .cloned()
            .collect();
        let gos: Vec<Option<Tensor>> = gos.iter().map(|g| as_tensor(g).cloned()).collect();
        if outs.is_empty() {
            return Ok(Value::tuple(Vec::new()));
        }
        let grads = with_interp(interp, || engine::grad(&outs, &gos, &diff_in, true, true))?;
        Ok(Value::tuple(grads.into_iter().flatten().map(tv).collect()))
    });
    let mut all = inputs;
    all.extend(grad_outputs);
    check(interp, &new_func, &all, &tol).map(Value::Bool)
}

/// The perturbable copy of an input: its values, detached, requiring grad as it does.
fn perturbed(t: &Tensor, k: usize, delta: f64) -> R<Tensor> {
    let mut v = t.to_f64_vec();
    v[k] += delta;
    let data = match t.dtype() {
        DType::Float64 => Data::F64(v),
        _ => Data::F32(v.iter().map(|&x| x as f32).collect()),
    };
    let p = Tensor::from_data(data, &t.shape()).map_err(exc)?;
    if t.requires_grad() {
        p.set_requires_grad(true).map_err(exc)?;
    }
    Ok(p)
}

/// The outputs of `func(*inputs)` as flat f64 vectors (every tensor output, in order).
fn flat_outputs(interp: &mut Interpreter, func: &Value, inputs: Vec<Value>) -> R<Vec<Vec<f64>>> {
    let out = interp.call_positional(func, inputs)?;
    let items = as_values(interp, &out)?;
    Ok(items
        .iter()
        .filter_map(as_tensor)
        .filter(|t| t.requires_grad())
        .map(|t| t.to_f64_vec())
        .collect())
}

/// The outputs of `func(*inputs)` with element `k` of input `pos` (the tensor `t`) moved by
/// `+eps` and by `-eps`, as `(plus, minus)`: one column of the numerical Jacobian, for the
/// backward and the forward-mode checks alike. `-eps` runs first, as in PyTorch (a function
/// that draws random numbers sees them in that order).
/// A function's flat outputs at `x - eps` and at `x + eps`.
type Perturbed = (Vec<Vec<f64>>, Vec<Vec<f64>>);

pub(super) fn central_outputs(
    interp: &mut Interpreter,
    func: &Value,
    inputs: &[Value],
    pos: usize,
    t: &Tensor,
    k: usize,
    eps: f64,
) -> R<Perturbed> {
    let mut at = |delta: f64| -> R<Vec<Vec<f64>>> {
        let mut args = inputs.to_vec();
        args[pos] = tv(perturbed(t, k, delta)?);
        flat_outputs(interp, func, args)
    };
    let minus = at(-eps)?;
    let plus = at(eps)?;
    Ok((plus, minus))
}

/// `_slow_gradcheck`: true when every (output, input) Jacobian block is close; otherwise a
/// `GradcheckError` (or false with `raise_exception=False`).
fn check(interp: &mut Interpreter, func: &Value, inputs: &[Value], tol: &Tol) -> R<bool> {
    let diff: Vec<usize> = (0..inputs.len())
        .filter(|&i| as_tensor(&inputs[i]).is_some_and(|t| t.requires_grad()))
        .collect();
    if diff.is_empty() {
        return Err(Exception::value_error(
            "gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True.",
        ));
    }
    let out = interp.call_positional(func, inputs.to_vec())?;
    let outs = differentiable(interp, &out)?;
    let diff_in: Vec<Tensor> = diff
        .iter()
        .filter_map(|&i| as_tensor(&inputs[i]).cloned())
        .collect();
    // analytical[o][i][k][j]: d out_o[j] / d in_i[k], one backward pass per output element.
    let mut analytical = Vec::with_capacity(outs.len());
    for o in &outs {
        let n = o.numel();
        let mut per_in: Vec<Vec<Vec<f64>>> = diff_in
            .iter()
            .map(|t| vec![vec![0.0; n]; t.numel()])
            .collect();
        for j in 0..n {
            let mut onehot = vec![0.0; n];
            onehot[j] = 1.0;
            let go = Tensor::from_data(Data::F64(onehot), &o.shape())
                .and_then(|g| g.to_dtype(o.dtype()))
                .map_err(exc)?;
            let grads = with_interp(interp, || {
                engine::grad(std::slice::from_ref(o), &[Some(go)], &diff_in, true, false)
            })?;
            for (i, g) in grads.into_iter().enumerate() {
                if let Some(g) = g {
                    for (k, x) in g.to_f64_vec().into_iter().enumerate() {
                        per_in[i][k][j] = x;
                    }
                }
            }
        }
        analytical.push(per_in);
    }
    for (i, &pos) in diff.iter().enumerate() {
        let t = diff_in[i].clone();
        for k in 0..t.numel() {
            let (plus, minus) = central_outputs(interp, func, inputs, pos, &t, k, tol.eps)?;
            if !compare_column(&plus, &minus, analytical.len(), |o, j| analytical[o][i][k][j], tol, "Jacobian", i)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// One input element's column of the Jacobian: the central differences of the outputs at
/// `+eps` (`plus`) and `-eps` (`minus`) against `analytical(output, element)`, for the first
/// `n_out` outputs. A mismatch is `Ok(false)`, or with `raise` PyTorch's GradcheckError
/// ("{what} mismatch for output o with respect to input i").
pub(super) fn compare_column(
    plus: &[Vec<f64>],
    minus: &[Vec<f64>],
    n_out: usize,
    analytical: impl Fn(usize, usize) -> f64,
    tol: &Tol,
    what: &str,
    i: usize,
) -> R<bool> {
    for (o, (b, a)) in plus.iter().zip(minus).enumerate().take(n_out) {
        for (j, (pb, pa)) in b.iter().zip(a).enumerate() {
            let num = (pb - pa) / (2.0 * tol.eps);
            let ana = analytical(o, j);
            // Not `>`: a NaN on either side is a mismatch, as allclose says.
            let close = (ana - num).abs() <= tol.atol + tol.rtol * num.abs();
            if !close {
                if !tol.raise {
                    return Ok(false);
                }
                return Err(Exception::new(
                    "GradcheckError",
                    format!("{what} mismatch for output {o} with respect to input {i},\nnumerical:{num}\nanalytical:{ana}\n"),
                ));
            }
        }
    }
    Ok(true)
}
