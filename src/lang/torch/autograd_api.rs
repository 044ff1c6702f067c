//! The submodules of `torch.autograd` that tutorials call beside `grad`: `functional`
//! (`jacobian`, `hessian` and `vjp`, computed as PyTorch's reference implementation does, one backward
//! pass per output element) and `profiler` (its `profile` context manager with PyTorch's
//! signature; the timing tables it would print are not available), and `function` (the module
//! `Function` is defined in, with its `once_differentiable` decorator).

use std::rc::Rc;

use super::autograd::with_interp;
use super::convert::{as_tensor, bool_arg, exc, tv};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Tensor};

type R<T> = Result<T, Exception>;

/// Registers `torch.autograd.functional`, `torch.autograd.profiler` and
/// `torch.autograd.function` on `autograd`.
pub fn install(interp: &mut Interpreter, autograd: &Module) {
    let functional = Module::new("torch.autograd.functional");
    functional.set("jacobian", Value::builtin("jacobian", jacobian));
    functional.set("vjp", Value::builtin("vjp", vjp));
    functional.set("hessian", Value::builtin("hessian", hessian));
    let functional = Value::Module(Rc::new(functional));
    autograd.set("functional", functional.clone());
    interp.register_module("torch.autograd.functional", functional);

    let profiler = Module::new("torch.autograd.profiler");
    profiler.set(
        "profile",
        super::class("profile", "torch.autograd.profiler", profile),
    );
    let profiler = Value::Module(Rc::new(profiler));
    autograd.set("profiler", profiler.clone());
    interp.register_module("torch.autograd.profiler", profiler);

    let function = Module::new("torch.autograd.function");
    for name in ["Function", "FunctionCtx"] {
        if let Some(v) = autograd.get(name) {
            function.set(name, v);
        }
    }
    // `@once_differentiable` runs `backward` with grad mode off, so the gradients it returns
    // carry no history; PyTorch also makes a second differentiation through them raise
    // (docs/divergences.md).
    function.set(
        "once_differentiable",
        Value::builtin("once_differentiable", |_, args| {
            let [f] = args.bind(&["fn"])?;
            let f = f.ok_or_else(|| Exception::type_error("once_differentiable() missing required argument 'fn'"))?;
            Ok(super::tensor::grad_mode_wrapper(false, f))
        }),
    );
    let function = Value::Module(Rc::new(function));
    autograd.set("function", function.clone());
    interp.register_module("torch.autograd.function", function);
}

/// `inputs` as a tuple of tensors, and whether it was given as one (`_as_tuple`).
fn as_tuple(
    interp: &mut Interpreter,
    v: &Value,
    what: &str,
    fname: &str,
) -> R<(bool, Vec<Tensor>)> {
    if let Some(t) = as_tensor(v) {
        return Ok((false, vec![t.clone()]));
    }
    let items = match v {
        Value::Tuple(_) | Value::List(_) => interp.iterate(v)?,
        other => {
            return Err(Exception::type_error(format!(
                "The {what} given to {fname} must be either a Tensor or a tuple of Tensors but the value at index 0 has type {}.",
                other.type_name()
            )));
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, x) in items.iter().enumerate() {
        match as_tensor(x) {
            Some(t) => out.push(t.clone()),
            None => {
                return Err(Exception::type_error(format!(
                    "The {what} given to {fname} must be either a Tensor or a tuple of Tensors but the value at index {i} has type {}.",
                    x.type_name()
                )));
            }
        }
    }
    Ok((true, out))
}

/// `_grad_preprocess`: each input detached and made to require grad, so the function's graph
/// starts at fresh leaves; with `create_graph` an input that requires grad is taken as a view
/// instead, so the result stays differentiable with respect to it (hessian's inner jacobian).
fn preprocess(inputs: &[Tensor], create_graph: bool) -> R<Vec<Tensor>> {
    inputs
        .iter()
        .map(|t| {
            if create_graph && t.requires_grad() {
                let shape: Vec<isize> = t.shape().iter().map(|&d| d as isize).collect();
                return t.view(&shape).map_err(exc);
            }
            let d = t.detach();
            d.set_requires_grad(true).map_err(exc)?;
            Ok(d)
        })
        .collect()
}

/// Calls `func(*inputs)` and returns its outputs as a tuple, and whether it returned one.
fn call_func(
    interp: &mut Interpreter,
    func: &Value,
    inputs: &[Tensor],
    fname: &str,
) -> R<(bool, Vec<Tensor>)> {
    let out = interp.call_positional(func, inputs.iter().cloned().map(tv).collect())?;
    as_tuple(interp, &out, "outputs of the user-provided function", fname)
}

/// `_autograd_grad`: the gradients of the outputs that require grad, None per input they do
/// not reach (all None when no output requires grad).
fn autograd_grad(
    interp: &mut Interpreter,
    outputs: &[Tensor],
    grad_outputs: &[Option<Tensor>],
    inputs: &[Tensor],
    create_graph: bool,
) -> R<Vec<Option<Tensor>>> {
    let (mut outs, mut gos) = (Vec::new(), Vec::new());
    for (i, o) in outputs.iter().enumerate() {
        if o.requires_grad() {
            outs.push(o.clone());
            gos.push(grad_outputs.get(i).cloned().flatten());
        }
    }
    if outs.is_empty() {
        return Ok(vec![None; inputs.len()]);
    }
    with_interp(interp, || {
        engine::grad(&outs, &gos, inputs, true, create_graph)
    })
}

/// The result tuple, or its only element when the argument was not a tuple.
fn post(items: Vec<Value>, was_tuple: bool) -> Value {
    if was_tuple {
        Value::tuple(items)
    } else {
        items.into_iter().next().unwrap_or(Value::None)
    }
}

/// `_grad_postprocess`: without `create_graph`, results are detached.
fn finish(t: Tensor, create_graph: bool) -> Value {
    tv(if create_graph { t } else { t.detach() })
}

fn unsupported_options(vectorize: Option<&Value>, strategy: Option<&Value>) -> R<()> {
    if bool_arg(vectorize, false) {
        return Err(Exception::unsupported(
            "torch.autograd.functional.jacobian(vectorize=True)",
        ));
    }
    match strategy {
        None | Some(Value::None) => Ok(()),
        Some(Value::Str(s)) if &**s == "reverse-mode" => Ok(()),
        Some(_) => Err(Exception::unsupported(
            "torch.autograd.functional.jacobian with a strategy other than 'reverse-mode'",
        )),
    }
}

fn independent(i: usize, j: usize) -> Exception {
    Exception::runtime_error(format!(
        "Output {i} of the user-provided function is independent of input {j}. This is not allowed in strict mode."
    ))
}

/// `jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
/// strategy="reverse-mode")`: for every element of every output, one backward pass to all
/// inputs (the gradient of `out.reshape(-1)[j]`), stacked and viewed as
/// `out.shape + input.shape`.
fn jacobian(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [func, inputs, create_graph, strict, vectorize, strategy] = args.bind(&[
        "func",
        "inputs",
        "create_graph=",
        "strict=",
        "vectorize=",
        "strategy=",
    ])?;
    unsupported_options(vectorize.as_ref(), strategy.as_ref())?;
    let (func, inputs) = (func.unwrap_or(Value::None), inputs.unwrap_or(Value::None));
    let create = bool_arg(create_graph.as_ref(), false);
    let strict = bool_arg(strict.as_ref(), false);
    let (inputs_tuple, inputs) = as_tuple(interp, &inputs, "inputs", "jacobian")?;
    let inputs = preprocess(&inputs, create)?;
    let (outputs_tuple, outputs) = call_func(interp, &func, &inputs, "jacobian")?;
    if strict && let Some(i) = outputs.iter().position(|o| !o.requires_grad()) {
        return Err(Exception::runtime_error(format!(
            "Output {i} of the user-provided function does not require gradients. The outputs must be computed in a differentiable manner from the input when running in strict mode."
        )));
    }
    let mut per_output = Vec::with_capacity(outputs.len());
    for (i, out) in outputs.iter().enumerate() {
        let flat = out.reshape(&[-1]).map_err(exc)?;
        let mut cols: Vec<Vec<Tensor>> = vec![Vec::new(); inputs.len()];
        for j in 0..out.numel() {
            let elem = flat.select(0, j as i64).map_err(exc)?;
            let grads = autograd_grad(interp, &[elem], &[None], &inputs, create)?;
            for (k, g) in grads.into_iter().enumerate() {
                match g {
                    Some(g) => cols[k].push(g),
                    None if strict => return Err(independent(i, k)),
                    None => cols[k].push(inputs[k].zeros_like()),
                }
            }
        }
        let mut per_input = Vec::with_capacity(inputs.len());
        for (k, col) in cols.into_iter().enumerate() {
            let shape: Vec<isize> = out
                .shape()
                .iter()
                .chain(inputs[k].shape().iter())
                .map(|&d| d as isize)
                .collect();
            let stacked = if col.is_empty() {
                // An output with no elements: an empty Jacobian of the right shape.
                let dims: Vec<usize> = shape.iter().map(|&d| d as usize).collect();
                Tensor::zeros(&dims, inputs[k].dtype())
            } else {
                Tensor::stack(&col, 0)
                    .and_then(|s| s.view(&shape))
                    .map_err(exc)?
            };
            per_input.push(finish(stacked, create));
        }
        per_output.push(post(per_input, inputs_tuple));
    }
    Ok(post(per_output, outputs_tuple))
}

/// `hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
/// outer_jacobian_strategy="reverse-mode")`: as PyTorch defines it, the [`jacobian`] of a
/// function that returns the (graph-keeping) jacobian of `func`, whose output must be one
/// element; per pair of inputs a block `input_i.shape + input_j.shape`.
fn hessian(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [func, inputs, create_graph, strict, vectorize, strategy] = args.bind(&[
        "func",
        "inputs",
        "create_graph=",
        "strict=",
        "vectorize=",
        "outer_jacobian_strategy=",
    ])?;
    unsupported_options(vectorize.as_ref(), strategy.as_ref())?;
    let (func, inputs) = (func.unwrap_or(Value::None), inputs.unwrap_or(Value::None));
    let (inputs_tuple, _) = as_tuple(interp, &inputs, "inputs", "hessian")?;
    let single = Value::builtin("ensure_single_output_function", move |interp, a| {
        let out = interp.call(&func, Args::new("func", a.pos.clone()))?;
        let Some(t) = as_tensor(&out) else {
            return Err(Exception::runtime_error(
                "The function given to hessian should return a single Tensor",
            ));
        };
        if t.numel() != 1 {
            return Err(Exception::runtime_error(
                "The Tensor returned by the function given to hessian should contain a single element",
            ));
        }
        Ok(tv(t.squeeze(None).map_err(exc)?))
    });
    let jac_func = Value::builtin("jac_func", move |interp, a| {
        let mut call = Args::new("jacobian", vec![single.clone(), Value::tuple(a.pos.clone())]);
        call.kw.push(("create_graph".into(), Value::Bool(true)));
        jacobian(interp, call)
    });
    let mut call = Args::new("jacobian", vec![jac_func, inputs]);
    call.kw.push(("create_graph".into(), Value::Bool(bool_arg(create_graph.as_ref(), false))));
    call.kw.push(("strict".into(), Value::Bool(bool_arg(strict.as_ref(), false))));
    let res = jacobian(interp, call)?;
    // `_tuple_postprocess(res, (is_inputs_tuple, is_inputs_tuple))`: the outer jacobian is
    // a tuple over the inner one's outputs, one per input.
    match (&res, inputs_tuple) {
        (Value::Tuple(items), false) if items.len() == 1 => Ok(items[0].clone()),
        _ => Ok(res),
    }
}

/// `vjp(func, inputs, v=None, create_graph=False, strict=False)`: `(func(*inputs), v^T J)`.
fn vjp(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [func, inputs, v, create_graph, strict] =
        args.bind(&["func", "inputs", "v=", "create_graph=", "strict="])?;
    let (func, inputs) = (func.unwrap_or(Value::None), inputs.unwrap_or(Value::None));
    let create = bool_arg(create_graph.as_ref(), false);
    let strict = bool_arg(strict.as_ref(), false);
    let (inputs_tuple, inputs) = as_tuple(interp, &inputs, "inputs", "vjp")?;
    let inputs = preprocess(&inputs, create)?;
    let (outputs_tuple, outputs) = call_func(interp, &func, &inputs, "vjp")?;
    let v: Vec<Option<Tensor>> = match v {
        None | Some(Value::None) => {
            if outputs.len() != 1 || outputs[0].numel() != 1 {
                return Err(Exception::runtime_error(
                    "The vector v can only be None if the user-provided function returns a single Tensor with a single element.",
                ));
            }
            vec![None]
        }
        Some(v) => {
            let (_, vs) = as_tuple(interp, &v, "v", "vjp")?;
            if vs.len() != outputs.len() {
                return Err(Exception::runtime_error(format!(
                    "v is a tuple of invalid length: should be {} but got {}.",
                    outputs.len(),
                    vs.len()
                )));
            }
            for (i, (a, b)) in vs.iter().zip(&outputs).enumerate() {
                if a.shape() != b.shape() {
                    return Err(Exception::runtime_error(format!(
                        "Entry {i} in v has invalid size: should be {:?} but got {:?}.",
                        b.shape(),
                        a.shape()
                    )));
                }
            }
            vs.into_iter().map(Some).collect()
        }
    };
    if strict && let Some(i) = outputs.iter().position(|o| !o.requires_grad()) {
        return Err(Exception::runtime_error(format!(
            "Output {i} of the user-provided function does not require gradients. The outputs must be computed in a differentiable manner from the input when running in strict mode."
        )));
    }
    let grads = autograd_grad(interp, &outputs, &v, &inputs, create)?;
    let mut res = Vec::with_capacity(inputs.len());
    for (k, g) in grads.into_iter().enumerate() {
        match g {
            Some(g) => res.push(finish(g, create)),
            None if strict => {
                return Err(Exception::runtime_error(format!(
                    "The output of the user-provided function is independent of input {k}. This is not allowed in strict mode."
                )));
            }
            None => res.push(finish(inputs[k].zeros_like(), create)),
        }
    }
    let outs = outputs.into_iter().map(|o| finish(o, create)).collect();
    Ok(Value::tuple(vec![
        post(outs, outputs_tuple),
        post(res, inputs_tuple),
    ]))
}

/// The keyword arguments of `torch.autograd.profiler.profile` in PyTorch 2.x (`use_cuda`
/// was removed: passing it is the TypeError PyTorch raises).
const PROFILE_KWARGS: &[&str] = &[
    "use_device",
    "record_shapes",
    "with_flops",
    "profile_memory",
    "with_stack",
    "with_modules",
    "use_kineto",
    "use_cpu",
    "experimental_config",
    "acc_events",
    "custom_trace_id_callback",
];

fn profile(_: &mut Interpreter, args: Args) -> R<Value> {
    if args.pos.len() > 1 {
        return Err(Exception::type_error(format!(
            "profile.__init__() takes from 1 to 2 positional arguments but {} were given",
            args.pos.len() + 1
        )));
    }
    for (k, _) in &args.kw {
        if &**k != "enabled" && !PROFILE_KWARGS.contains(&&**k) {
            return Err(Exception::type_error(format!(
                "profile.__init__() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    Ok(Value::native(Profile))
}

/// A `profile` context: the block runs as it would without it. What it would record (each
/// operator's CPU time) is not measured, so its tables are not available.
pub struct Profile;

impl NativeObject for Profile {
    fn type_name(&self) -> &str {
        "profile"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.autograd.profiler")
    }
    fn enter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        Ok(false)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(matches!(
            name,
            "key_averages" | "table" | "events" | "export_chrome_trace" | "total_average"
        )
        .then(|| {
            Value::builtin(name, |_, _| {
                Err(Exception::unsupported(
                    "the autograd profiler's measurements (operator timings)",
                ))
            })
        }))
    }
}
