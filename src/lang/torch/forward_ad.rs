//! `torch.autograd.forward_ad`: dual levels, `make_dual` and `unpack_dual` over the engine's
//! forward-mode tangents (src/tensor/forward_ad.rs).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::convert::{as_tensor, exc, tv};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;
use crate::tensor::forward_ad as fwd;

type R<T> = Result<T, Exception>;

thread_local! {
    /// The level `dual_level()`/`enter_dual_level()` opened (PyTorch allows one at a time).
    static USER_LEVEL: Cell<Option<u64>> = const { Cell::new(None) };
    /// The Python objects of tangents `make_dual` used as they were, by tensor id, so that
    /// `unpack_dual(d).tangent is tangent` holds as in PyTorch.
    static OBJECTS: RefCell<HashMap<usize, Value>> = RefCell::new(HashMap::new());
}

/// Registers `torch.autograd.forward_ad` on `autograd`.
pub fn install(interp: &mut Interpreter, autograd: &Module) -> R<()> {
    let m = Module::new("torch.autograd.forward_ad");
    let mut nt = Args::new(
        "namedtuple",
        vec![
            Value::str("UnpackedDualTensor"),
            Value::str("primal tangent"),
        ],
    );
    nt.kw
        .push(("module".into(), Value::str("torch.autograd.forward_ad")));
    let unpacked = crate::lang::namedtuple::namedtuple(interp, nt)?;
    m.set("UnpackedDualTensor", unpacked.clone());
    m.set(
        "dual_level",
        super::class("dual_level", "torch.autograd.forward_ad", |_, a| {
            a.bind::<0>(&[])?;
            Ok(Value::native(DualLevel))
        }),
    );
    m.set(
        "enter_dual_level",
        Value::builtin("enter_dual_level", |_, _| Ok(Value::Int(enter()? as i64))),
    );
    m.set(
        "exit_dual_level",
        Value::builtin("exit_dual_level", |_, a| {
            let [level] = a.bind(&["*", "level="])?;
            exit(level.as_ref())?;
            Ok(Value::None)
        }),
    );
    m.set("make_dual", Value::builtin("make_dual", make_dual));
    m.set(
        "unpack_dual",
        Value::builtin("unpack_dual", move |interp, a| {
            let [t, level] = a.bind(&["tensor", "*", "level="])?;
            let t = t.unwrap_or(Value::None);
            let Some(x) = as_tensor(&t) else {
                return interp.call_positional(&unpacked, vec![t.clone(), Value::None]);
            };
            let level = level_arg(level.as_ref())?;
            let tangent = match level {
                Some(l) => fwd::tangent(x, l).map_err(exc)?,
                None => None,
            };
            let Some(tangent) = tangent else {
                return interp.call_positional(&unpacked, vec![t.clone(), Value::None]);
            };
            let shape: Vec<isize> = x.shape().iter().map(|&d| d as isize).collect();
            let primal = fwd::suspended(|| x.view(&shape)).map_err(exc)?;
            let obj = OBJECTS.with(|o| o.borrow().get(&tangent.id()).cloned());
            interp.call_positional(
                &unpacked,
                vec![tv(primal), obj.unwrap_or_else(|| tv(tangent))],
            )
        }),
    );
    let m = Value::Module(Rc::new(m));
    autograd.set("forward_ad", m.clone());
    interp.register_module("torch.autograd.forward_ad", m);
    Ok(())
}

fn enter() -> R<u64> {
    if USER_LEVEL.with(Cell::get).is_some() {
        return Err(Exception::runtime_error(
            "Nested forward mode AD is not supported at the moment",
        ));
    }
    let level = fwd::enter_level();
    USER_LEVEL.with(|u| u.set(Some(level)));
    Ok(level)
}

fn exit(level: Option<&Value>) -> R<()> {
    let Some(open) = USER_LEVEL.with(Cell::get) else {
        return Err(Exception::runtime_error(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported.",
        ));
    };
    if let Some(l) = level_arg(level)?
        && l != open
    {
        return Err(Exception::runtime_error(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported.",
        ));
    }
    fwd::exit_level(open);
    USER_LEVEL.with(|u| u.set(None));
    OBJECTS.with(|o| o.borrow_mut().clear());
    Ok(())
}

/// A `level=` argument, or the innermost open level.
fn level_arg(v: Option<&Value>) -> R<Option<u64>> {
    match v {
        None | Some(Value::None) => Ok(fwd::current_level()),
        Some(Value::Int(i)) if *i >= 0 => Ok(Some(*i as u64)),
        Some(other) => Err(Exception::type_error(format!(
            "level must be an int, not {}",
            other.type_name()
        ))),
    }
}

/// `make_dual(tensor, tangent, *, level=None)`.
fn make_dual(_: &mut Interpreter, a: Args) -> R<Value> {
    let [t, tangent, level] = a.bind(&["tensor", "tangent", "*", "level="])?;
    let tangent_obj = tangent.clone();
    let tensor_arg = |v: Option<Value>, what: &str| -> R<Tensor> {
        v.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "make_dual(): argument '{what}' must be Tensor, not {}",
                v.as_ref().map_or("NoneType".into(), |v| v.type_name())
            ))
        })
    };
    let t = tensor_arg(t, "tensor")?;
    let tangent = tensor_arg(tangent, "tangent")?;
    let Some(level) = level_arg(level.as_ref())? else {
        return Err(Exception::runtime_error(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to enter_dual_level() first.",
        ));
    };
    if !t.dtype().is_floating_point() {
        return Err(Exception::value_error(format!(
            "Expected primal to be floating point or complex, but got: {}",
            t.dtype()
        )));
    }
    if !tangent.dtype().is_floating_point() {
        return Err(Exception::value_error(format!(
            "Expected tangent to be floating point or complex, but got: {}",
            tangent.dtype()
        )));
    }
    let dual = fwd::make_dual(&t, &tangent, level).map_err(exc)?;
    if let (Some(obj), Ok(Some(used))) = (tangent_obj, fwd::tangent(&dual, level))
        && used.id() == tangent.id()
    {
        OBJECTS.with(|o| o.borrow_mut().insert(used.id(), obj));
    }
    Ok(tv(dual))
}

/// `with fwAD.dual_level():` — a level for the block; its tangents are dropped on exit.
struct DualLevel;

impl NativeObject for DualLevel {
    fn type_name(&self) -> &str {
        "dual_level"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.autograd.forward_ad")
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::Int(enter()? as i64)))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        exit(None)?;
        Ok(false)
    }
}
