//! Autograd as tutorials extend it from Python: `torch.autograd.Function` subclasses with
//! `ctx`, `torch.autograd.grad` (with `create_graph` for second derivatives), tensor hooks,
//! and `no_grad`/`inference_mode` as decorators.
//!
//! The engine runs backward; where it must call Python (a Function's `backward`, a hook) it
//! calls a closure made here, which reaches the interpreter through [`with_interp`]: the
//! binding that starts a backward pass hands its `&mut Interpreter` down as a raw pointer for
//! the duration of that call, during which the binding itself does not touch it. A Python
//! exception raised inside is parked and re-raised, unchanged, once the engine returns.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::convert::{as_tensor, bool_arg, exc, tv};
use super::class;
use crate::lang::classes::ClassMethod;
use crate::lang::native::{Args, NativeObject};
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Tensor, TensorError};

type R<T> = Result<T, Exception>;

thread_local! {
    static CURRENT: Cell<*mut Interpreter> = const { Cell::new(std::ptr::null_mut()) };
    static PENDING: RefCell<Option<Exception>> = const { RefCell::new(None) };
    /// Leaked `XBackward` names, one per Function class name (nodes name themselves with a
    /// `&'static str`); bounded by the number of distinct class names a lesson defines.
    static NAMES: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// Runs engine work that may call back into Python with `interp` reachable from it.
pub fn with_interp<T>(interp: &mut Interpreter, f: impl FnOnce() -> engine::Result<T>) -> R<T> {
    let prev = CURRENT.with(|c| c.replace(interp as *mut Interpreter));
    let r = f();
    CURRENT.with(|c| c.set(prev));
    if let Some(e) = PENDING.with(|p| p.borrow_mut().take()) {
        return Err(e);
    }
    r.map_err(exc)
}

/// Makes `interp` reachable from the engine until [`exit_interp`] (a `saved_tensors_hooks`
/// block, whose pack hooks run inside ops): returns the pointer it replaced. The block's
/// statements reach the interpreter only through the evaluator holding it, which does not
/// touch it while an op runs, as in [`with_interp`].
pub(super) fn enter_interp(interp: &mut Interpreter) -> *mut Interpreter {
    CURRENT.with(|c| c.replace(interp as *mut Interpreter))
}

/// Ends [`enter_interp`], putting back the pointer it replaced.
pub(super) fn exit_interp(prev: *mut Interpreter) {
    CURRENT.with(|c| c.set(prev));
}

/// The Python exception a callback raised inside the engine, if one is waiting.
pub(super) fn take_pending() -> Option<Exception> {
    PENDING.with(|p| p.borrow_mut().take())
}

/// Calls Python `f` from inside the engine.
pub(super) fn call_python(f: &Value, args: Vec<Value>) -> engine::Result<Value> {
    let p = CURRENT.with(Cell::get);
    if p.is_null() {
        return Err(TensorError::Runtime { msg: "a Python callback ran outside a backward pass".into() });
    }
    // SAFETY: `p` was derived from the `&mut Interpreter` given to `with_interp`, which is on
    // the stack below us and unused until the engine returns to it; nothing else aliases it.
    let interp = unsafe { &mut *p };
    interp.call_positional(f, args).map_err(|e| {
        PENDING.with(|p| *p.borrow_mut() = Some(e));
        TensorError::Runtime { msg: "a Python callback raised".into() }
    })
}

/// Records an exception raised in Python code the engine called, for `with_interp` to return.
pub(super) fn pending(e: Exception) {
    PENDING.with(|p| *p.borrow_mut() = Some(e));
}

/// `t.register_hook(hook)`: the hook is called with the gradient and may return a new one.
/// `t.register_hook(hook)`, returning its handle.
pub fn register_hook(t: &Tensor, hook: Value) -> R<Value> {
    let f: engine::GradHook = Rc::new(move |g: &Tensor| {
        let r = call_python(&hook, vec![tv(g.clone())])?;
        Ok(as_tensor(&r).cloned())
    });
    t.register_hook(f.clone()).map_err(exc)?;
    let weak = t.downgrade();
    Ok(Value::native(HookHandle(Box::new(move || {
        if let Some(t) = Tensor::upgrade(&weak) {
            t.remove_hook(&f);
        }
    }))))
}

/// `t.register_post_accumulate_grad_hook(hook)`: `hook(t)` runs after the backward pass
/// accumulates into a leaf's `.grad`.
pub fn register_post_accumulate_hook(t: &Tensor, hook: Value) -> R<Value> {
    let f: engine::PostAccumulateHook = Rc::new(move |t: &Tensor| {
        call_python(&hook, vec![tv(t.clone())])?;
        Ok(())
    });
    engine::register_post_accumulate_hook(t, f.clone()).map_err(exc)?;
    Ok(Value::native(HookHandle(Box::new(move || engine::remove_post_accumulate_hook(&f)))))
}

fn static_name(name: String) -> &'static str {
    NAMES.with(|n| {
        let mut n = n.borrow_mut();
        if let Some(s) = n.iter().find(|s| **s == name) {
            return *s;
        }
        let s: &'static str = Box::leak(name.into_boxed_str());
        n.push(s);
        s
    })
}

/// The `ctx` a Function's `forward` and `backward` share: saved tensors, flags, and any
/// attribute the user sets on it.
pub(super) struct FunctionCtx {
    saved: RefCell<Vec<Value>>,
    needs_input_grad: Vec<bool>,
    attrs: RefCell<Vec<(String, Value)>>,
    /// The forward's outputs as it returned them, each with a weak handle on the output the
    /// graph gave back: a saved output is read back as the latter (with this node as its
    /// `grad_fn`, as PyTorch's saved outputs are), so a `create_graph` backward through it
    /// reaches the inputs. Weak, so the node does not keep its own outputs alive.
    outputs: OutputLinks,
}

type OutputLinks = RefCell<Vec<(Tensor, Box<dyn Fn() -> Option<Tensor>>)>>;

impl FunctionCtx {
    /// Links the forward's raw output `raw` to `attached`, the tensor the graph returned.
    pub(super) fn link_output(&self, raw: &Tensor, attached: &Tensor) {
        let weak = Rc::downgrade(&attached.0);
        self.link_with(raw, Box::new(move || weak.upgrade().map(Tensor)));
    }

    /// Links the forward's raw output `raw` to whatever `attached` makes of it.
    pub(super) fn link_with(&self, raw: &Tensor, attached: Box<dyn Fn() -> Option<Tensor>>) {
        self.outputs.borrow_mut().push((raw.clone(), attached));
    }

    /// A saved value, as the attached output when it is one of the forward's outputs.
    fn saved_value(&self, v: &Value) -> Value {
        if let Some(t) = as_tensor(v) {
            for (raw, attached) in self.outputs.borrow().iter() {
                if Rc::ptr_eq(&raw.0, &t.0)
                    && let Some(a) = attached()
                {
                    return tv(a);
                }
            }
        }
        v.clone()
    }
}

impl NativeObject for FunctionCtx {
    fn type_name(&self) -> &str {
        "BackwardCFunction"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.autograd.function")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        if let Some((_, v)) = self.attrs.borrow().iter().find(|(k, _)| k == name) {
            return Ok(Some(v.clone()));
        }
        Ok(Some(match name {
            "saved_tensors" => Value::tuple(self.saved.borrow().iter().map(|v| self.saved_value(v)).collect()),
            "needs_input_grad" => Value::tuple(self.needs_input_grad.iter().map(|&b| Value::Bool(b)).collect()),
            "save_for_backward" | "save_for_forward" => Value::method(this.clone(), name, |_, args| {
                let ctx = args.this_native::<FunctionCtx>()?;
                for v in &args.pos {
                    if !v.is_none() && as_tensor(v).is_none() {
                        return Err(Exception::type_error("save_for_backward can only save variables, but argument 0 is of type ".to_string() + &v.type_name()));
                    }
                }
                *ctx.saved.borrow_mut() = args.pos.clone();
                Ok(Value::None)
            }),
            "mark_non_differentiable" | "mark_dirty" | "set_materialize_grads" => Value::method(this.clone(), name, |_, _| Ok(Value::None)),
            _ => return Ok(None),
        }))
    }
    fn del_attr(&self, _: &Value, name: &str) -> R<bool> {
        let mut a = self.attrs.borrow_mut();
        let n = a.len();
        a.retain(|(k, _)| k != name);
        Ok(a.len() != n)
    }
    fn set_attr(&self, _: &Value, name: &str, value: Value, _: &mut Interpreter) -> R<bool> {
        let mut a = self.attrs.borrow_mut();
        match a.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => a.push((name.to_string(), value)),
        }
        Ok(true)
    }
}

/// `MyFunction.apply(*args)`: runs `forward(ctx, *args)` without history, then gives the
/// result a node whose formula is `backward(ctx, grad)`.
fn apply(interp: &mut Interpreter, args: Args) -> R<Value> {
    let mut pos = args.pos.clone();
    if pos.is_empty() {
        return Err(Exception::type_error("apply() needs the Function class"));
    }
    let cls = pos.remove(0);
    let Value::Type(t) = &cls else { return Err(Exception::type_error("apply() must be called on a Function subclass")) };
    let class_name = t.name.to_string();
    let grad_on = engine::is_grad_enabled();
    let needs: Vec<bool> = pos.iter().map(|v| grad_on && as_tensor(v).is_some_and(Tensor::requires_grad)).collect();
    let ctx = Value::native(FunctionCtx { saved: RefCell::new(Vec::new()), needs_input_grad: needs.clone(), attrs: RefCell::new(Vec::new()), outputs: RefCell::new(Vec::new()) });
    let forward = interp.get_attr(&cls, "forward")?;
    // PyTorch 2's style: `forward(*args)` without ctx, then `setup_context(ctx, inputs, output)`
    // saves what backward and jvp need (the base class has no `setup_context` here).
    let setup = interp.get_attr(&cls, "setup_context").ok();
    let fpos: Vec<Value> = match setup {
        Some(_) => pos.clone(),
        None => std::iter::once(ctx.clone()).chain(pos.iter().cloned()).collect(),
    };
    let mut fargs = Args::new("forward", fpos);
    fargs.kw = args.kw.clone();
    let prev = engine::set_grad_enabled(false);
    // `forward` sees primals: tangents are the `jvp` staticmethod's business.
    let out = engine::forward_ad::suspended(|| interp.call(&forward, fargs));
    let out = match (out, &setup) {
        (Ok(out), Some(setup)) => engine::forward_ad::suspended(|| {
            interp.call_positional(setup, vec![ctx.clone(), Value::tuple(pos.clone()), out.clone()])
        })
        .map(|_| out),
        (out, _) => out,
    };
    engine::set_grad_enabled(prev);
    let out = out?;
    let tangent = super::function_jvp::tangent_of(interp, &cls, &ctx, &pos, &out)?;
    if !needs.iter().any(|&b| b) {
        return super::function_jvp::attach(out, tangent);
    }
    // Which forward arguments are tensors: the node's edges, in argument order.
    let tensor_args: Vec<(usize, Tensor)> = pos.iter().enumerate().filter_map(|(i, v)| as_tensor(v).map(|t| (i, t.clone()))).collect();
    let inputs: Vec<&Tensor> = tensor_args.iter().map(|(_, t)| t).collect();
    let positions: Vec<usize> = tensor_args.iter().map(|(i, _)| *i).collect();
    // A Function with only `jvp` fails when a backward pass reaches it, not before.
    let backward = interp.get_attr(&cls, "backward").unwrap_or(Value::None);
    let name = static_name(format!("{class_name}Backward"));
    let nargs = pos.len();
    let Some(result) = as_tensor(&out).cloned() else {
        // A tuple of tensors: one hub node for all of them (function_multi.rs).
        if let Value::Tuple(items) = &out {
            let outs: Vec<Tensor> = items.iter().filter_map(as_tensor).cloned().collect();
            if !outs.is_empty() && outs.len() == items.len() {
                let res = super::function_multi::attach_outputs(&outs, name, &inputs, positions, nargs, backward, ctx)?;
                return Ok(Value::tuple(res));
            }
        }
        return Err(Exception::unsupported("a torch.autograd.Function whose forward returns something other than tensors"));
    };
    let link = ctx.clone();
    let node_out = engine::forward_ad::suspended(|| engine::custom_node(&result, name, &inputs, move |g, _needs| {
        if backward.is_none() {
            PENDING.with(|p| {
                *p.borrow_mut() = Some(Exception::new(
                    "NotImplementedError",
                    "You must implement either the backward or vjp method for your custom autograd.Function to use it with backward mode AD.",
                ))
            });
            return Err(TensorError::Runtime { msg: "no backward".into() });
        }
        let r = call_python(&backward, vec![ctx.clone(), tv(g.clone())])?;
        let grads = match backward_grads(r, name, nargs) {
            Ok(g) => g,
            Err(e) => {
                PENDING.with(|p| *p.borrow_mut() = Some(e));
                return Err(TensorError::Runtime { msg: "wrong number of gradients".into() });
            }
        };
        Ok(positions.iter().map(|&i| as_tensor(&grads[i]).cloned()).collect())
    }));
    if let Some(c) = link.downcast::<FunctionCtx>() {
        c.link_output(&result, &node_out);
    }
    super::function_jvp::attach(tv(node_out), tangent)
}

/// What a Function's `backward` returned, one gradient per `forward` argument: a lone value is
/// a 1-tuple, and gradients past the last argument are dropped when they are all None (as
/// PyTorch does, so a backward written for optional arguments may return extra Nones).
pub(super) fn backward_grads(r: Value, name: &str, nargs: usize) -> R<Vec<Value>> {
    let mut grads: Vec<Value> = match &r {
        Value::Tuple(t) => t.to_vec(),
        _ => vec![r],
    };
    if grads.len() > nargs && grads[nargs..].iter().all(|g| matches!(g, Value::None)) {
        grads.truncate(nargs);
    }
    if grads.len() != nargs {
        return Err(Exception::runtime_error(format!(
            "function {name} returned an incorrect number of gradients (expected {nargs}, got {})",
            grads.len()
        )));
    }
    Ok(grads)
}

/// `torch.autograd.grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=None)`.
fn grad(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [outputs, inputs, grad_outputs, retain_graph, create_graph, _only_inputs, allow_unused, _is_grads_batched, _materialize] = args.bind(&[
        "outputs", "inputs", "grad_outputs=", "retain_graph=", "create_graph=", "only_inputs=", "allow_unused=", "is_grads_batched=", "materialize_grads=",
    ])?;
    let seq = |interp: &mut Interpreter, v: Option<Value>| -> R<Vec<Option<Tensor>>> {
        match v {
            None | Some(Value::None) => Ok(Vec::new()),
            Some(v) if as_tensor(&v).is_some() => Ok(vec![as_tensor(&v).cloned()]),
            Some(v) => Ok(interp.iterate(&v)?.iter().map(|x| as_tensor(x).cloned()).collect()),
        }
    };
    let outputs: Vec<Tensor> = seq(interp, outputs)?.into_iter().flatten().collect();
    let inputs: Vec<Tensor> = seq(interp, inputs)?.into_iter().flatten().collect();
    let grad_outputs = seq(interp, grad_outputs)?;
    let create = bool_arg(create_graph.as_ref(), false);
    let retain = match retain_graph {
        None | Some(Value::None) => create,
        Some(v) => bool_arg(Some(&v), false),
    };
    let grads = with_interp(interp, || engine::grad(&outputs, &grad_outputs, &inputs, retain, create))?;
    if !bool_arg(allow_unused.as_ref(), false) && grads.iter().any(Option::is_none) {
        return Err(Exception::runtime_error(
            "One of the differentiated Tensors appears to not have been used in the graph. Set allow_unused=True if this is the desired behavior.",
        ));
    }
    Ok(Value::tuple(grads.into_iter().map(|g| g.map_or(Value::None, tv)).collect()))
}

/// Builds `torch.autograd` (with `Function` and `grad`).
pub fn autograd_module() -> Module {
    let m = Module::new("torch.autograd");
    let mut attrs = crate::lang::ast::NameMap::default();
    attrs.insert("apply".into(), Value::native(ClassMethod(Value::builtin("apply", apply))));
    let function = Value::Type(Rc::new(TypeObj::build("Function".into(), Some("torch.autograd.function".into()), None, None, attrs)));
    m.set("Function", function);
    m.set("grad", Value::builtin("grad", grad));
    m.set("backward", Value::builtin("backward", |interp, args| {
        let [tensors, grad_tensors, retain_graph, create_graph] = args.bind(&["tensors", "grad_tensors=", "retain_graph=", "create_graph="])?;
        let t = tensors.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::unsupported("torch.autograd.backward of several tensors"))?;
        let g = grad_tensors.as_ref().and_then(as_tensor).cloned();
        let create = bool_arg(create_graph.as_ref(), false);
        let retain = bool_arg(retain_graph.as_ref(), create);
        with_interp(interp, || t.backward_graph(g.as_ref(), retain, create))?;
        Ok(Value::None)
    }));
    m
}

/// `torch.inference_mode()`: grad mode off, as a context manager or a decorator.
pub fn inference_mode() -> Value {
    class("inference_mode", "torch", |_, args| {
        let [mode] = args.bind(&["mode="])?;
        Ok(Value::native(super::tensor::GradMode::new(!bool_arg(mode.as_ref(), true))))
    })
}

/// What `register_hook` returns: `remove()` takes the hook off again.
pub struct HookHandle(Box<dyn Fn()>);

impl NativeObject for HookHandle {
    fn type_name(&self) -> &str {
        "RemovableHandle"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.hooks")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok((name == "remove").then(|| {
            Value::method(this.clone(), "remove", |_, args| {
                let [] = args.bind(&[])?;
                (args.this_native::<HookHandle>()?.0)();
                Ok(Value::None)
            })
        }))
    }
}

/// `torch.set_grad_enabled(mode)`: sets grad mode when called (so a plain call works), and as
/// a context manager restores the mode it found on exit.
pub struct SetGradEnabled {
    prev: bool,
    mode: bool,
}

pub fn set_grad_enabled() -> Value {
    class("set_grad_enabled", "torch", |_, args| {
        let [mode] = args.bind(&["mode"])?;
        let mode = match mode {
            Some(Value::Bool(b)) => b,
            Some(v) => {
                return Err(Exception::type_error(format!(
                    "set_grad_enabled(): argument 'enabled' (position 1) must be bool, not {}",
                    v.type_name()
                )));
            }
            None => return Err(Exception::type_error("set_grad_enabled.__init__() missing 1 required positional argument: 'mode'")),
        };
        let prev = crate::tensor::set_grad_enabled(mode);
        Ok(Value::native(SetGradEnabled { prev, mode }))
    })
}

impl NativeObject for SetGradEnabled {
    fn type_name(&self) -> &str {
        "set_grad_enabled"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.autograd.grad_mode")
    }
    fn repr(&self) -> String {
        format!("torch.autograd.grad_mode.set_grad_enabled(mode={})", if self.mode { "True" } else { "False" })
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::None))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        crate::tensor::set_grad_enabled(self.prev);
        Ok(false)
    }
}
