//! `torch.nn.utils.prune`: the pruning methods (`BasePruningMethod` and its subclasses, a
//! `PruningContainer` for repeated pruning), the functions that apply them to a module's
//! parameter (`random_unstructured`, `l1_unstructured`, `random_structured`, `ln_structured`,
//! `global_unstructured`, `custom_from_mask`, `identity`), `remove` and `is_pruned`.
//!
//! The classes are Python classes whose methods are native, so a lesson's subclass of
//! `BasePruningMethod` inherits `apply`, `apply_mask`, `prune` and `remove` and is held as a
//! forward pre-hook like the built-in ones. The masks are computed with the same torch calls,
//! in the same order, as PyTorch's `prune.py` (`rand_like` then `topk`, say), through the
//! interpreter, so random pruning draws exactly what PyTorch draws from the generator.

use std::rc::Rc;

use super::module::HookKind;
use super::nn::{PyModule, native_module};
use crate::lang::ast::NameMap;
use crate::lang::classes::{ClassMethod, NativeMethod, class_of};
use crate::lang::native::Args;
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

const MODULE: &str = "torch.nn.utils.prune";

/// What the methods need at call time: the classes (for `isinstance`) and the torch modules
/// whose functions compute the masks.
struct Ctx {
    base: Rc<TypeObj>,
    container: Rc<TypeObj>,
    torch: Value,
    nn_utils: Value,
}

/// Builds `torch.nn.utils.prune` and registers it under `nn_utils`.
pub fn install(interp: &mut Interpreter, torch: &Value, nn_utils: &Rc<Module>) {
    let Some(object) = interp.type_object("object") else {
        return;
    };
    let ctx_cell: Rc<std::cell::OnceCell<Rc<Ctx>>> = Rc::new(std::cell::OnceCell::new());
    let ctx = {
        let c = ctx_cell.clone();
        move || {
            c.get()
                .cloned()
                .ok_or_else(|| Exception::runtime_error("torch.nn.utils.prune is not initialised"))
        }
    };

    let mut attrs = NameMap::default();
    let c = ctx.clone();
    attrs.insert(
        "apply".into(),
        Value::native(ClassMethod(Value::builtin("apply", move |it, args| {
            base_apply(it, &*c()?, args)
        }))),
    );
    let c = ctx.clone();
    method(&mut attrs, "__call__", move |it, this, args| {
        let [module, _inputs] = args.bind(&["module", "inputs"])?;
        let module = module.unwrap_or(Value::None);
        let name = tensor_name(it, &this)?;
        let pruned = apply_mask(it, &*c()?, &this, &module)?;
        it.set_attr(&module, &name, pruned)?;
        Ok(Value::None)
    });
    let c = ctx.clone();
    method(&mut attrs, "apply_mask", move |it, this, args| {
        let [module] = args.bind(&["module"])?;
        apply_mask(it, &*c()?, &this, &module.unwrap_or(Value::None))
    });
    let c = ctx.clone();
    method(&mut attrs, "prune", move |it, this, args| {
        let [t, default_mask, importance_scores] =
            args.bind(&["t", "default_mask=", "importance_scores="])?;
        let t = t.unwrap_or(Value::None);
        let scores = match importance_scores.filter(|v| !v.is_none()) {
            Some(s) => {
                same_shape(
                    it,
                    &s,
                    &t,
                    "importance_scores should have the same shape as tensor t",
                )?;
                s
            }
            None => t.clone(),
        };
        let c = c()?;
        let default_mask = match default_mask.filter(|v| !v.is_none()) {
            Some(m) => m,
            None => torch_call(it, &c.torch, "ones_like", vec![t.clone()], vec![])?,
        };
        let mask = call_method(
            it,
            &this,
            "compute_mask",
            vec![scores],
            vec![("default_mask", default_mask)],
        )?;
        torch_call(it, &c.torch, "mul", vec![t, mask], vec![])
    });
    let c = ctx.clone();
    method(&mut attrs, "remove", move |it, this, args| {
        let [module] = args.bind(&["module"])?;
        remove_method(it, &*c()?, &this, &module.unwrap_or(Value::None))?;
        Ok(Value::None)
    });
    let base = user_class("BasePruningMethod", &object, attrs);

    let class = |name: &str, pruning_type: &str, mut attrs: NameMap<Value>| {
        attrs.insert("PRUNING_TYPE".into(), Value::str(pruning_type));
        user_class(name, &base, attrs)
    };

    // PruningContainer: the methods applied to one tensor so far, the last one acting on what
    // the earlier ones left.
    let mut attrs = NameMap::default();
    let c = ctx.clone();
    method(&mut attrs, "__init__", move |it, this, args| {
        let methods = args.pos.clone();
        set(&this, "_pruning_methods", Value::tuple(Vec::new()));
        if let [one] = &methods[..] {
            let name = it.get_attr(one, "_tensor_name")?;
            set(&this, "_tensor_name", name);
        }
        for m in methods {
            add_pruning_method(it, &*c()?, &this, m)?;
        }
        Ok(Value::None)
    });
    let c = ctx.clone();
    method(&mut attrs, "add_pruning_method", move |it, this, args| {
        let [m] = args.bind(&["method"])?;
        add_pruning_method(it, &*c()?, &this, m.unwrap_or(Value::None))?;
        Ok(Value::None)
    });
    method(&mut attrs, "__len__", |it, this, _| {
        Ok(Value::Int(methods_of(it, &this)?.len() as i64))
    });
    method(&mut attrs, "__iter__", |it, this, _| {
        Ok(Value::iter_items(methods_of(it, &this)?))
    });
    method(&mut attrs, "__getitem__", |it, this, args| {
        let [idx] = args.bind(&["idx"])?;
        let methods = Value::tuple(methods_of(it, &this)?);
        it.get_item(&methods, &idx.unwrap_or(Value::None))
    });
    let c = ctx.clone();
    method(&mut attrs, "compute_mask", move |it, this, args| {
        let [t, default_mask] = args.bind(&["t", "default_mask"])?;
        container_mask(
            it,
            &*c()?,
            &this,
            t.unwrap_or(Value::None),
            default_mask.unwrap_or(Value::None),
        )
    });
    let container = user_class("PruningContainer", &base, attrs);

    let mut attrs = NameMap::default();
    method(&mut attrs, "compute_mask", |_, _, args| {
        let [_t, default_mask] = args.bind(&["t", "default_mask"])?;
        Ok(default_mask.unwrap_or(Value::None))
    });
    let identity = class("Identity", "unstructured", attrs);

    let mut attrs = NameMap::default();
    amount_init(&mut attrs, &[]);
    let c = ctx.clone();
    method(&mut attrs, "compute_mask", move |it, this, args| {
        unstructured_mask(it, &*c()?, &this, &args, false)
    });
    let random_unstructured = class("RandomUnstructured", "unstructured", attrs);

    let mut attrs = NameMap::default();
    amount_init(&mut attrs, &[]);
    let c = ctx.clone();
    method(&mut attrs, "compute_mask", move |it, this, args| {
        unstructured_mask(it, &*c()?, &this, &args, true)
    });
    let l1_unstructured = class("L1Unstructured", "unstructured", attrs);

    let mut attrs = NameMap::default();
    amount_init(&mut attrs, &["dim=-1"]);
    let c = ctx.clone();
    method(&mut attrs, "compute_mask", move |it, this, args| {
        structured_mask(it, &*c()?, &this, &args, None)
    });
    let random_structured = class("RandomStructured", "structured", attrs);

    let mut attrs = NameMap::default();
    amount_init(&mut attrs, &["n", "dim=-1"]);
    let c = ctx.clone();
    method(&mut attrs, "compute_mask", move |it, this, args| {
        let n = it.get_attr(&this, "n")?;
        structured_mask(it, &*c()?, &this, &args, Some(n))
    });
    let ln_structured = class("LnStructured", "structured", attrs);

    let mut attrs = NameMap::default();
    method(&mut attrs, "__init__", |_, this, args| {
        let [mask] = args.bind(&["mask"])?;
        set(&this, "mask", mask.unwrap_or(Value::None));
        Ok(Value::None)
    });
    method(&mut attrs, "compute_mask", |it, this, args| {
        let [_t, default_mask] = args.bind(&["t", "default_mask"])?;
        let default_mask = default_mask.unwrap_or(Value::None);
        let mask = it.get_attr(&this, "mask")?;
        same_shape(it, &default_mask, &mask, "")?;
        let dtype = it.get_attr(&default_mask, "dtype")?;
        let mask = call_method(it, &mask, "to", vec![], vec![("dtype", dtype)])?;
        call_method(it, &default_mask, "mul", vec![mask], vec![])
    });
    let custom_from_mask = class("CustomFromMask", "global", attrs);

    let _ = ctx_cell.set(Rc::new(Ctx {
        base: base.clone(),
        container: container.clone(),
        torch: torch.clone(),
        nn_utils: Value::Module(nn_utils.clone()),
    }));

    let m = Module::new(MODULE);
    m.set("BasePruningMethod", Value::Type(base));
    m.set("PruningContainer", Value::Type(container));
    m.set("Identity", Value::Type(identity.clone()));
    m.set(
        "RandomUnstructured",
        Value::Type(random_unstructured.clone()),
    );
    m.set("L1Unstructured", Value::Type(l1_unstructured.clone()));
    m.set("RandomStructured", Value::Type(random_structured.clone()));
    m.set("LnStructured", Value::Type(ln_structured.clone()));
    m.set("CustomFromMask", Value::Type(custom_from_mask.clone()));

    // The functions: each applies its class's method to `module`'s tensor `name` and returns
    // the module.
    let apply_fn =
        |m: &Module, fname: &'static str, cls: Rc<TypeObj>, sig: &'static [&'static str]| {
            let c = ctx.clone();
            m.set(
                fname,
                Value::builtin(fname, move |it, args| {
                    let bound: [Option<Value>; 6] = bind_padded(&args, sig)?;
                    let module = bound[0].clone().unwrap_or(Value::None);
                    let name = name_arg(bound[1].as_ref())?;
                    let mut ctor = Args::new(&cls.name, Vec::new());
                    let mut scores = None;
                    for (s, v) in sig.iter().zip(&bound).skip(2) {
                        let key = s.trim_end_matches('=');
                        match (key, v) {
                            ("importance_scores", v) => scores = v.clone().filter(|v| !v.is_none()),
                            (_, Some(v)) => ctor.kw.push((key.into(), v.clone())),
                            (_, None) => {}
                        }
                    }
                    generic_apply(it, &*c()?, &cls, &module, &name, ctor, scores)?;
                    Ok(module)
                }),
            );
        };
    apply_fn(&m, "identity", identity, &["module", "name"]);
    apply_fn(
        &m,
        "random_unstructured",
        random_unstructured,
        &["module", "name", "amount"],
    );
    apply_fn(
        &m,
        "l1_unstructured",
        l1_unstructured,
        &["module", "name", "amount", "importance_scores="],
    );
    apply_fn(
        &m,
        "random_structured",
        random_structured,
        &["module", "name", "amount", "dim"],
    );
    apply_fn(
        &m,
        "ln_structured",
        ln_structured,
        &["module", "name", "amount", "n", "dim", "importance_scores="],
    );
    apply_fn(
        &m,
        "custom_from_mask",
        custom_from_mask.clone(),
        &["module", "name", "mask"],
    );
    let c = ctx.clone();
    m.set(
        "global_unstructured",
        Value::builtin("global_unstructured", move |it, args| {
            global_unstructured(it, &*c()?, &custom_from_mask, args)
        }),
    );
    let c = ctx.clone();
    m.set("remove", Value::builtin("remove", move |it, args| {
        let [module, name] = args.bind(&["module", "name"])?;
        let module = module.unwrap_or(Value::None);
        let name = name_arg(name.as_ref())?;
        let c = c()?;
        for (id, hook) in pre_hooks(&module)? {
            if is_instance(&hook, &c.base) && tensor_name(it, &hook)? == name {
                call_method(it, &hook, "remove", vec![module.clone()], vec![])?;
                with_module(&module, |pm| {
            pm.core().remove_hook(id);
            Ok(())
        })?;
                return Ok(module);
            }
        }
        let shown = it.repr(&module)?;
        Err(Exception::value_error(format!("Parameter '{name}' of module {shown} has to be pruned before pruning can be removed")))
    }));
    let c = ctx.clone();
    m.set(
        "is_pruned",
        Value::builtin("is_pruned", move |_, args| {
            let [module] = args.bind(&["module"])?;
            let c = c()?;
            for (_, sub) in super::module::named_modules(&module.unwrap_or(Value::None), "") {
                let Some(native) = native_module(&sub) else {
                    continue;
                };
                let Some(pm) = native.downcast::<PyModule>() else {
                    continue;
                };
                if pm
                    .core()
                    .hooks_of(HookKind::Pre)
                    .iter()
                    .any(|(_, h)| is_instance(h, &c.base))
                {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }),
    );
    let m = Value::Module(Rc::new(m));
    nn_utils.set("prune", m.clone());
    interp.register_module(MODULE, m);
}

/// A Python class of this module, deriving from `base`, with native methods.
fn user_class(name: &str, base: &Rc<TypeObj>, mut attrs: NameMap<Value>) -> Rc<TypeObj> {
    attrs.insert("__module__".into(), Value::str(MODULE));
    attrs.insert("__qualname__".into(), Value::str(name));
    attrs.insert(
        "__bases__".into(),
        Value::tuple(vec![Value::Type(base.clone())]),
    );
    attrs.insert(
        "__mro__".into(),
        Value::tuple(base.mro().into_iter().map(Value::Type).collect()),
    );
    let cls = Rc::new(TypeObj::build(
        name.into(),
        Some(MODULE.into()),
        Some(base.clone()),
        None,
        attrs,
    ));
    crate::lang::cycles::track_type(&cls);
    cls
}

/// Adds a method whose first positional argument is `self` (parametrize.rs's classes too).
pub(super) fn method(
    attrs: &mut NameMap<Value>,
    name: &str,
    f: impl Fn(&mut Interpreter, Value, Args) -> R<Value> + 'static,
) {
    let fname = name.to_string();
    let b = Value::builtin(name, move |it, mut args| {
        if args.pos.is_empty() {
            return Err(Exception::type_error(format!(
                "{fname}() missing 1 required positional argument: 'self'"
            )));
        }
        let this = args.pos.remove(0);
        f(it, this, args)
    });
    attrs.insert(name.into(), Value::native(NativeMethod(b)));
}

/// `__init__(self, amount, *rest)` for the methods that prune an amount: validated as PyTorch's
/// `_validate_pruning_amount_init` does, the others stored as given.
fn amount_init(attrs: &mut NameMap<Value>, rest: &'static [&'static str]) {
    method(attrs, "__init__", move |it, this, args| {
        let sig: Vec<String> = ["amount".to_string()]
            .into_iter()
            .chain(rest.iter().map(|s| {
                if s.contains('=') {
                    format!("{}=", s.split('=').next().unwrap_or(s))
                } else {
                    s.to_string()
                }
            }))
            .collect();
        let sig: Vec<&str> = sig.iter().map(String::as_str).collect();
        let bound: [Option<Value>; 3] = bind_padded(&args, &sig)?;
        let amount = bound[0].clone().unwrap_or(Value::None);
        validate_amount_init(it, &amount)?;
        set(&this, "amount", amount);
        for (s, v) in rest.iter().zip(&bound[1..]) {
            let (key, default) = match s.split_once('=') {
                Some((k, d)) => (k, d.parse::<i64>().ok().map(Value::Int)),
                None => (*s, None),
            };
            set(&this, key, v.clone().or(default).unwrap_or(Value::None));
        }
        Ok(Value::None)
    });
}

/// `args.bind` for a signature of up to `N` names given at run time.
fn bind_padded<const N: usize>(args: &Args, sig: &[&str]) -> R<[Option<Value>; N]> {
    let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
    macro_rules! go {
        ($($n:literal),*) => {
            match sig.len() {
                $($n => {
                    let b: [Option<Value>; $n] = args.bind(sig)?;
                    for (o, v) in out.iter_mut().zip(b) {
                        *o = v;
                    }
                })*
                _ => return Err(Exception::runtime_error("prune: signature too long")),
            }
        };
    }
    go!(0, 1, 2, 3, 4, 5, 6);
    Ok(out)
}

fn set(this: &Value, name: &str, v: Value) {
    if let Value::Instance(i) = this {
        i.set(name, v);
    }
}

fn name_arg(v: Option<&Value>) -> R<String> {
    match v {
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(v) => Err(Exception::type_error(format!(
            "attribute name must be string, not '{}'",
            v.type_name()
        ))),
        None => Err(Exception::type_error("missing required argument 'name'")),
    }
}

fn is_instance(v: &Value, cls: &Rc<TypeObj>) -> bool {
    class_of(v).is_some_and(|c| c.mro().iter().any(|t| Rc::ptr_eq(t, cls)))
}

/// The native module behind `module` (a built-in one, or a subclass's native half).
fn module_of(module: &Value) -> R<Value> {
    native_module(module).ok_or_else(|| {
        Exception::new(
            "AttributeError",
            format!(
                "'{}' object has no attribute '_forward_pre_hooks'",
                module.type_name()
            ),
        )
    })
}

/// Runs `f` on the `PyModule` of `module`.
fn with_module<T>(module: &Value, f: impl FnOnce(&PyModule) -> R<T>) -> R<T> {
    let native = module_of(module)?;
    let pm = native
        .downcast::<PyModule>()
        .ok_or_else(|| Exception::type_error("not a module"))?;
    f(pm)
}

/// The pre-hooks of `module` with their ids.
fn pre_hooks(module: &Value) -> R<Vec<(usize, Value)>> {
    with_module(module, |pm| Ok(pm.core().hooks_of(HookKind::Pre)))
}

fn tensor_name(it: &mut Interpreter, method: &Value) -> R<String> {
    let v = it.get_attr(method, "_tensor_name")?;
    Ok(match &v {
        Value::Str(s) => s.to_string(),
        v => v.repr(),
    })
}

fn methods_of(it: &mut Interpreter, container: &Value) -> R<Vec<Value>> {
    let v = it.get_attr(container, "_pruning_methods")?;
    it.iterate(&v)
}

fn call_method(
    it: &mut Interpreter,
    obj: &Value,
    name: &str,
    pos: Vec<Value>,
    kw: Vec<(&str, Value)>,
) -> R<Value> {
    let f = it.get_attr(obj, name)?;
    let args = Args {
        fname: name.into(),
        this: None,
        pos,
        kw: kw.into_iter().map(|(k, v)| (k.into(), v)).collect(),
    };
    it.call(&f, args)
}

fn torch_call(
    it: &mut Interpreter,
    torch: &Value,
    name: &str,
    pos: Vec<Value>,
    kw: Vec<(&str, Value)>,
) -> R<Value> {
    call_method(it, torch, name, pos, kw)
}

fn same_shape(it: &mut Interpreter, a: &Value, b: &Value, msg: &str) -> R<()> {
    let (sa, sb) = (it.get_attr(a, "shape")?, it.get_attr(b, "shape")?);
    if sa.repr() != sb.repr() {
        return Err(Exception::new("AssertionError", msg));
    }
    Ok(())
}

/// `BasePruningMethod.apply_mask`: `mask.to(dtype=orig.dtype) * orig`.
fn apply_mask(it: &mut Interpreter, c: &Ctx, this: &Value, module: &Value) -> R<Value> {
    let name = match &it.get_attr(this, "_tensor_name") {
        Ok(Value::Str(s)) => s.to_string(),
        _ => {
            let shown = it.repr(module)?;
            return Err(Exception::new(
                "AssertionError",
                format!("Module {shown} has to be pruned"),
            ));
        }
    };
    let mask = it.get_attr(module, &format!("{name}_mask"))?;
    let orig = it.get_attr(module, &format!("{name}_orig"))?;
    let dtype = it.get_attr(&orig, "dtype")?;
    let mask = call_method(it, &mask, "to", vec![], vec![("dtype", dtype)])?;
    torch_call(it, &c.torch, "mul", vec![mask, orig], vec![])
}

/// `BasePruningMethod.apply` called as `cls.apply(module, name, *args, importance_scores=None,
/// **kwargs)`: the extra arguments go to `cls`'s constructor.
fn base_apply(it: &mut Interpreter, c: &Ctx, mut args: Args) -> R<Value> {
    if args.pos.len() < 3 {
        return Err(Exception::type_error(
            "apply() missing required positional arguments: 'module' and 'name'",
        ));
    }
    let Value::Type(cls) = &args.pos.remove(0) else {
        return Err(Exception::type_error("apply() needs a class"));
    };
    let cls = cls.clone();
    let module = args.pos.remove(0);
    let name = name_arg(Some(&args.pos.remove(0)))?;
    let mut scores = None;
    args.kw.retain(|(k, v)| {
        if &**k == "importance_scores" {
            scores = Some(v.clone()).filter(|v| !v.is_none());
            false
        } else {
            true
        }
    });
    let ctor = Args {
        fname: cls.name.clone(),
        this: None,
        pos: args.pos,
        kw: args.kw,
    };
    generic_apply(it, c, &cls, &module, &name, ctor, scores)
}

/// What PyTorch's `BasePruningMethod.apply` does: the method (in a container with the one
/// already pruning `name`, if any), `name_orig` as a parameter in place of `name`, the mask as
/// the buffer `name_mask`, `name` as the masked tensor, and the method as a forward pre-hook.
fn generic_apply(
    it: &mut Interpreter,
    c: &Ctx,
    cls: &Rc<TypeObj>,
    module: &Value,
    name: &str,
    ctor: Args,
    scores: Option<Value>,
) -> R<Value> {
    let mut old = None;
    let mut found = Vec::new();
    for (id, hook) in pre_hooks(module)? {
        if is_instance(&hook, &c.base) && tensor_name(it, &hook)? == name {
            old = Some(hook);
            found.push(id);
        }
    }
    if found.len() > 1 {
        let shown = it.repr(module)?;
        return Err(Exception::new(
            "AssertionError",
            format!(
                "Avoid adding multiple pruning hooks to the                same tensor {name} of module {shown}. Use a PruningContainer."
            ),
        ));
    }
    for id in found {
        with_module(module, |pm| {
            pm.core().remove_hook(id);
            Ok(())
        })?;
    }
    let mut method = it.call(&Value::Type(cls.clone()), ctor)?;
    set(&method, "_tensor_name", Value::str(name));
    if let Some(old) = old {
        if is_instance(&old, &c.container) {
            add_pruning_method(it, c, &old, method)?;
            method = old;
        } else {
            let container = it.call(
                &Value::Type(c.container.clone()),
                Args::new("PruningContainer", vec![old]),
            )?;
            add_pruning_method(it, c, &container, method)?;
            method = container;
        }
    }
    let orig = it.get_attr(module, name)?;
    let scores = match scores {
        Some(s) => {
            let shown = it.repr(module)?;
            same_shape(
                it,
                &s,
                &orig,
                &format!(
                    "importance_scores should have the same shape as parameter                 {name} of {shown}"
                ),
            )?;
            s
        }
        None => orig.clone(),
    };
    let fresh = !is_instance(&method, &c.container);
    let default_mask = if fresh {
        let t = super::convert::as_tensor(&orig).filter(|t| t.is_parameter()).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "cannot assign '{}' object to parameter '{name}_orig' (torch.nn.Parameter or None required)",
                orig.type_name()
            ))
        })?;
        with_module(module, |pm| {
            pm.register_parameter(&format!("{name}_orig"), Some(t))?;
            pm.delete_parameter(name);
            Ok(())
        })?;
        torch_call(it, &c.torch, "ones_like", vec![orig.clone()], vec![])?
    } else {
        let m = it.get_attr(module, &format!("{name}_mask"))?;
        let m = call_method(it, &m, "detach", vec![], vec![])?;
        call_method(it, &m, "clone", vec![], vec![])?
    };
    let result = (|| -> R<()> {
        let mask = call_method(
            it,
            &method,
            "compute_mask",
            vec![scores],
            vec![("default_mask", default_mask)],
        )?;
        let mask_t = super::convert::as_tensor(&mask).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "cannot assign '{}' object to buffer '{name}_mask' (torch Tensor or None required)",
                mask.type_name()
            ))
        })?;
        with_module(module, |pm| {
            pm.core()
                .register_buffer(&format!("{name}_mask"), Some(mask_t), true);
            Ok(())
        })?;
        let pruned = call_method(it, &method, "apply_mask", vec![module.clone()], vec![])?;
        it.set_attr(module, name, pruned)?;
        with_module(module, |pm| {
            pm.core().add_hook(HookKind::Pre, method.clone(), false);
            Ok(())
        })?;
        Ok(())
    })();
    if let Err(e) = result {
        if fresh {
            let orig_name = format!("{name}_orig");
            with_module(module, |pm| {
                let orig = pm
                    .own_parameters()
                    .into_iter()
                    .find(|(n, _)| *n == orig_name)
                    .map(|(_, t)| t);
                pm.register_parameter(name, orig)?;
                pm.delete_parameter(&orig_name);
                Ok(())
            })?;
        }
        return Err(e);
    }
    Ok(method)
}

/// `BasePruningMethod.remove(module)`: `name` becomes a parameter again, holding the masked
/// values; `name_orig` and `name_mask` go.
fn remove_method(it: &mut Interpreter, c: &Ctx, this: &Value, module: &Value) -> R<()> {
    let name = match &it.get_attr(this, "_tensor_name") {
        Ok(Value::Str(s)) => s.to_string(),
        _ => {
            let shown = it.repr(module)?;
            return Err(Exception::new(
                "AssertionError",
                format!("Module {shown} has to be pruned before pruning can be removed"),
            ));
        }
    };
    let weight = apply_mask(it, c, this, module)?;
    if let Value::Instance(i) = module {
        i.remove(&name);
    }
    let orig_name = format!("{name}_orig");
    let weight = super::convert::as_tensor(&weight)
        .cloned()
        .ok_or_else(|| Exception::type_error("data must be a Tensor"))?;
    let orig = with_module(module, |pm| {
        let orig = pm
            .own_parameters()
            .into_iter()
            .find(|(n, _)| *n == orig_name)
            .map(|(_, t)| t);
        let orig = orig.ok_or_else(|| Exception::new("KeyError", format!("'{orig_name}'")))?;
        crate::tensor::no_grad(|| orig.copy_(&weight)).map_err(super::convert::exc)?;
        pm.delete_parameter(&orig_name);
        if !pm.core().remove_buffer(&format!("{name}_mask")) {
            return Err(Exception::new("KeyError", format!("'{name}_mask'")));
        }
        Ok(orig)
    })?;
    it.set_attr(module, &name, super::convert::tv(orig))
}

fn add_pruning_method(it: &mut Interpreter, c: &Ctx, container: &Value, method: Value) -> R<()> {
    if method.is_none() {
        return Ok(());
    }
    if !is_instance(&method, &c.base) {
        let t = match class_of(&method) {
            Some(cls) => it.repr(&Value::Type(cls))?,
            None => format!("<class '{}'>", method.type_name()),
        };
        return Err(Exception::type_error(format!(
            "{t} is not a BasePruningMethod subclass"
        )));
    }
    let mine = it.get_attr(container, "_tensor_name")?;
    let theirs = it.get_attr(&method, "_tensor_name")?;
    if mine.repr() != theirs.repr() {
        let shown = it.repr(container)?;
        return Err(Exception::value_error(format!(
            "Can only add pruning methods acting on the parameter named '{}' to PruningContainer {shown}. Found '{}'",
            mine.to_str(),
            theirs.to_str()
        )));
    }
    let mut methods = methods_of(it, container)?;
    methods.push(method);
    set(container, "_pruning_methods", Value::tuple(methods));
    Ok(())
}

/// `PruningContainer.compute_mask`: the last method computes a mask for the slice of `t` the
/// earlier masks left (unpruned entries, kept channels, or all of it), written into the mask.
fn container_mask(it: &mut Interpreter, c: &Ctx, this: &Value, t: Value, mask: Value) -> R<Value> {
    let methods = methods_of(it, this)?;
    let Some(method) = methods.last().cloned() else {
        return Err(Exception::new("IndexError", "tuple index out of range"));
    };
    let dtype = it.get_attr(&t, "dtype")?;
    let new_mask = call_method(it, &mask, "to", vec![], vec![("dtype", dtype.clone())])?;
    let kind = it.get_attr(&method, "PRUNING_TYPE")?.to_str();
    let n_dims = call_method(it, &t, "dim", vec![], vec![])?.expect_int("dim")?;
    let all = || Value::Slice(Rc::new([Value::None, Value::None, Value::None]));
    let slc = match kind.as_str() {
        "unstructured" => torch_call(
            it,
            &c.torch,
            "eq",
            vec![mask.clone(), Value::Int(1)],
            vec![],
        )?,
        "structured" => {
            let dim = match it.get_attr(&method, "dim") {
                Ok(d) => d.expect_int("dim")?,
                Err(_) => {
                    return Err(Exception::new(
                        "AttributeError",
                        "Pruning methods of PRUNING_TYPE \"structured\" need to have the attribute `dim` defined.",
                    ));
                }
            };
            let dim = if dim < 0 { n_dims + dim } else { dim };
            if dim < 0 {
                return Err(Exception::new(
                    "IndexError",
                    format!("Index is out of bounds for tensor with dimensions {n_dims}"),
                ));
            }
            let others = Value::list((0..n_dims).filter(|&d| d != dim).map(Value::Int).collect());
            let sums = call_method(it, &mask, "sum", vec![], vec![("dim", others)])?;
            let keep = torch_call(it, &c.torch, "ne", vec![sums, Value::Int(0)], vec![])?;
            let mut parts: Vec<Value> = (0..n_dims).map(|_| all()).collect();
            if let Some(p) = parts.get_mut(dim as usize) {
                *p = keep;
            }
            Value::tuple(parts)
        }
        "global" => Value::tuple((0..n_dims).map(|_| all()).collect()),
        other => {
            return Err(Exception::value_error(format!(
                "Unrecognized PRUNING_TYPE {other}"
            )));
        }
    };
    let part_t = it.get_item(&t, &slc)?;
    let part_mask = it.get_item(&mask, &slc)?;
    let partial = call_method(
        it,
        &method,
        "compute_mask",
        vec![part_t],
        vec![("default_mask", part_mask)],
    )?;
    let nd = it.get_attr(&new_mask, "dtype")?;
    let partial = call_method(it, &partial, "to", vec![], vec![("dtype", nd)])?;
    it.set_item(&new_mask, &slc, partial)?;
    Ok(new_mask)
}

/// `_validate_pruning_amount_init`: an int at least 0 or a float in [0, 1].
fn validate_amount_init(it: &mut Interpreter, amount: &Value) -> R<()> {
    let bad = match amount {
        Value::Int(i) => *i < 0,
        Value::Bool(_) => false,
        Value::Float(f) => *f > 1.0 || *f < 0.0,
        _ => {
            let shown = it.to_str(amount)?;
            return Err(Exception::type_error(format!(
                "Invalid type for amount: {shown}. Must be int or float."
            )));
        }
    };
    if bad {
        let shown = it.to_str(amount)?;
        return Err(Exception::value_error(format!(
            "amount={shown} should either be a float in the range [0, 1] or a non-negative integer"
        )));
    }
    Ok(())
}

/// `_compute_nparams_toprune` with its `_validate_pruning_amount`: an int as given (at most
/// the size), a fraction rounded as Python's `round` does (half to even).
fn nparams_toprune(it: &mut Interpreter, amount: &Value, size: i64) -> R<i64> {
    let n = match amount {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        Value::Float(f) => (f * size as f64).round_ties_even() as i64,
        _ => {
            let shown = it.to_str(amount)?;
            return Err(Exception::type_error(format!(
                "Invalid type for amount: {shown}. Must be int or float."
            )));
        }
    };
    if matches!(amount, Value::Int(_) | Value::Bool(_)) && n > size {
        let shown = it.to_str(amount)?;
        return Err(Exception::value_error(format!(
            "amount={shown} should be smaller than the number of parameters to prune={size}"
        )));
    }
    Ok(n)
}

/// `RandomUnstructured` (`rand_like`, then the top `k` draws) and `L1Unstructured` (the `k`
/// smallest magnitudes): those entries of a copy of the default mask become 0.
fn unstructured_mask(
    it: &mut Interpreter,
    c: &Ctx,
    this: &Value,
    args: &Args,
    l1: bool,
) -> R<Value> {
    let [t, default_mask] = args.bind(&["t", "default_mask"])?;
    let (t, default_mask) = (
        t.unwrap_or(Value::None),
        default_mask.unwrap_or(Value::None),
    );
    let size = call_method(it, &t, "nelement", vec![], vec![])?.expect_int("nelement")?;
    let amount = it.get_attr(this, "amount")?;
    let k = nparams_toprune(it, &amount, size)?;
    let mask = call_method(it, &default_mask, "clone", vec![], vec![])?;
    if k != 0 {
        let flat_t = if l1 {
            let a = torch_call(it, &c.torch, "abs", vec![t], vec![])?;
            call_method(it, &a, "view", vec![Value::Int(-1)], vec![])?
        } else {
            let prob = torch_call(it, &c.torch, "rand_like", vec![t], vec![])?;
            call_method(it, &prob, "view", vec![Value::Int(-1)], vec![])?
        };
        let kw = if l1 {
            vec![("k", Value::Int(k)), ("largest", Value::Bool(false))]
        } else {
            vec![("k", Value::Int(k))]
        };
        let topk = torch_call(it, &c.torch, "topk", vec![flat_t], kw)?;
        let indices = it.get_attr(&topk, "indices")?;
        let flat = call_method(it, &mask, "view", vec![Value::Int(-1)], vec![])?;
        it.set_item(&flat, &indices, Value::Int(0))?;
    }
    Ok(mask)
}

/// `RandomStructured` (`n` is None: channels whose `rand` draw is above the k-th smallest) and
/// `LnStructured` (the channels of largest `n`-norm) along `dim`, times the default mask.
fn structured_mask(
    it: &mut Interpreter,
    c: &Ctx,
    this: &Value,
    args: &Args,
    n: Option<Value>,
) -> R<Value> {
    let [t, default_mask] = args.bind(&["t", "default_mask"])?;
    let (t, default_mask) = (
        t.unwrap_or(Value::None),
        default_mask.unwrap_or(Value::None),
    );
    let shape = it.get_attr(&t, "shape")?;
    let dims = it.iterate(&shape)?;
    if dims.len() <= 1 {
        let shown = it.repr(&shape)?;
        return Err(Exception::value_error(format!(
            "Structured pruning can only be applied to multidimensional tensors. Found tensor of shape {shown} with {} dims",
            dims.len()
        )));
    }
    let dim = it.get_attr(this, "dim")?.expect_int("dim")?;
    let nd = dims.len() as i64;
    if dim >= nd {
        let shown = it.repr(&shape)?;
        return Err(Exception::new(
            "IndexError",
            format!("Invalid index {dim} for tensor of size {shown}"),
        ));
    }
    let size = it.get_item(&shape, &Value::Int(dim))?.expect_int("size")?;
    let amount = it.get_attr(this, "amount")?;
    let k = nparams_toprune(it, &amount, size)?;
    if k == 0 {
        return Ok(default_mask);
    }
    let axis = if dim < 0 { nd + dim } else { dim };
    let selected = match n {
        None => {
            let prob = torch_call(it, &c.torch, "rand", vec![Value::Int(size)], vec![])?;
            let kth = torch_call(
                it,
                &c.torch,
                "kthvalue",
                vec![prob.clone()],
                vec![("k", Value::Int(k))],
            )?;
            let threshold = it.get_attr(&kth, "values")?;
            torch_call(it, &c.torch, "gt", vec![prob, threshold], vec![])?
        }
        Some(p) => {
            let others = Value::list((0..nd).filter(|&d| d != axis).map(Value::Int).collect());
            let norm = torch_call(
                it,
                &c.torch,
                "norm",
                vec![t.clone()],
                vec![("p", p), ("dim", others)],
            )?;
            let topk = torch_call(
                it,
                &c.torch,
                "topk",
                vec![norm],
                vec![("k", Value::Int(size - k)), ("largest", Value::Bool(true))],
            )?;
            it.get_attr(&topk, "indices")?
        }
    };
    let mask = torch_call(it, &c.torch, "zeros_like", vec![t], vec![])?;
    let all = || Value::Slice(Rc::new([Value::None, Value::None, Value::None]));
    let mut parts: Vec<Value> = (0..nd).map(|_| all()).collect();
    parts[axis as usize] = selected;
    it.set_item(&mask, &Value::tuple(parts), Value::Int(1))?;
    let dtype = it.get_attr(&mask, "dtype")?;
    let dm = call_method(it, &default_mask, "to", vec![], vec![("dtype", dtype)])?;
    call_method(it, &mask, "mul_", vec![dm], vec![])?;
    Ok(mask)
}

/// `global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs)`: one
/// mask over all the tensors' entries together, each tensor then pruned with its part
/// (`CustomFromMask`).
fn global_unstructured(
    it: &mut Interpreter,
    c: &Ctx,
    custom: &Rc<TypeObj>,
    mut args: Args,
) -> R<Value> {
    let take = |key: &str, pos: usize, args: &mut Args| -> Option<Value> {
        if let Some(i) = args.kw.iter().position(|(k, _)| &**k == key) {
            return Some(args.kw.remove(i).1);
        }
        (args.pos.len() > pos).then(|| args.pos[pos].clone())
    };
    let parameters = take("parameters", 0, &mut args);
    let method_cls = take("pruning_method", 1, &mut args);
    let scores = take("importance_scores", 2, &mut args);
    if args.pos.len() > 3 {
        return Err(Exception::type_error(format!(
            "global_unstructured() takes from 2 to 3 positional arguments but {} were given",
            args.pos.len()
        )));
    }
    let parameters = parameters.ok_or_else(|| {
        Exception::type_error(
            "global_unstructured() missing 1 required positional argument: 'parameters'",
        )
    })?;
    let method_cls = method_cls.ok_or_else(|| {
        Exception::type_error(
            "global_unstructured() missing 1 required positional argument: 'pruning_method'",
        )
    })?;
    if !it.is_iterable(&parameters) {
        return Err(Exception::type_error(
            "global_unstructured(): parameters is not an Iterable",
        ));
    }
    let scores = match scores {
        None | Some(Value::None) => None,
        Some(d @ Value::Dict(_)) => Some(d),
        Some(_) => {
            return Err(Exception::type_error(
                "global_unstructured(): importance_scores must be of type dict",
            ));
        }
    };
    let mut pairs = Vec::new();
    for p in it.iterate(&parameters)? {
        let kv = it.iterate(&p)?;
        let [module, name] = &kv[..] else {
            return Err(Exception::value_error(format!(
                "too many values to unpack (expected 2, got {})",
                kv.len()
            )));
        };
        pairs.push((module.clone(), name_arg(Some(name))?));
    }
    let mut relevant = Vec::new();
    let mut masks = Vec::new();
    for (module, name) in &pairs {
        let own = it.get_attr(module, name)?;
        let score = match &scores {
            Some(d) => {
                let key = Value::tuple(vec![module.clone(), Value::str(name)]);
                call_method(it, d, "get", vec![key, own.clone()], vec![])?
            }
            None => own.clone(),
        };
        relevant.push(score);
        let mask = match it.get_attr(module, &format!("{name}_mask")) {
            Ok(m) => m,
            Err(e) if e.py_type() == "AttributeError" => {
                torch_call(it, &c.torch, "ones_like", vec![own], vec![])?
            }
            Err(e) => return Err(e),
        };
        masks.push(mask);
    }
    let to_vec = |it: &mut Interpreter, ts: Vec<Value>| {
        call_method(
            it,
            &c.nn_utils,
            "parameters_to_vector",
            vec![Value::list(ts)],
            vec![],
        )
    };
    let relevant = to_vec(it, relevant)?;
    let default_mask = to_vec(it, masks)?;
    let container = it.call(
        &Value::Type(c.container.clone()),
        Args::new("PruningContainer", vec![]),
    )?;
    set(&container, "_tensor_name", Value::str("temp"));
    let ctor = Args {
        fname: "pruning_method".into(),
        this: None,
        pos: Vec::new(),
        kw: args.kw,
    };
    let method = it.call(&method_cls, ctor)?;
    set(&method, "_tensor_name", Value::str("temp"));
    let kind = it.get_attr(&method, "PRUNING_TYPE")?;
    if kind.to_str() != "unstructured" {
        let shown = it.repr(&method_cls)?;
        return Err(Exception::type_error(format!(
            "Only \"unstructured\" PRUNING_TYPE supported for the `pruning_method`. Found method {shown} of type {}",
            kind.to_str()
        )));
    }
    add_pruning_method(it, c, &container, method)?;
    let final_mask = call_method(
        it,
        &container,
        "compute_mask",
        vec![relevant, default_mask],
        vec![],
    )?;
    let mut pointer = 0i64;
    for (module, name) in &pairs {
        let param = it.get_attr(module, name)?;
        let num = call_method(it, &param, "numel", vec![], vec![])?.expect_int("numel")?;
        let range = Value::Slice(Rc::new([
            Value::Int(pointer),
            Value::Int(pointer + num),
            Value::None,
        ]));
        let part = it.get_item(&final_mask, &range)?;
        let part = call_method(it, &part, "view_as", vec![param], vec![])?;
        let ctor = Args {
            fname: "CustomFromMask".into(),
            this: None,
            pos: Vec::new(),
            kw: vec![("mask".into(), part)],
        };
        generic_apply(it, c, custom, module, name, ctor, None)?;
        pointer += num;
    }
    Ok(Value::None)
}
