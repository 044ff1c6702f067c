//! `torch.nn.utils.parametrize`: `register_parametrization`, `remove_parametrizations`,
//! `is_parametrized`, `cached()` and `ParametrizationList`.
//!
//! A parametrized module keeps the unconstrained tensor as `parametrizations.<name>.original`
//! (a `ModuleDict` child holding one `ParametrizationList` per tensor) and answers reads of
//! `<name>` with the chain of parametrizations applied to it, writes with their
//! `right_inverse`s, as PyTorch's injected property does. `ParametrizationList` is a Python
//! class deriving from `nn.Module` with native methods, so its repr, children, parameters and
//! indexing are a module's. The module side (the names parametrized, reads, writes, the
//! `Parametrized...` repr name, the value a built-in layer's forward reads) is in `nn.rs` and
//! `module.rs`, which call [`parametrized_value`] and [`assign`].

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::convert::{as_tensor, bool_arg, exc};
use super::nn::{PyModule, native_module};
use super::prune::method;
use crate::lang::ast::NameMap;
use crate::lang::native::{Args, NativeObject};
use crate::lang::value::TypeObj;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

const MODULE: &str = "torch.nn.utils.parametrize";

thread_local! {
    /// How many `cached()` blocks are open, and the values computed inside them by module
    /// identity and tensor name (PyTorch's `_cache_enabled` and `_cache`).
    static CACHE_DEPTH: Cell<usize> = const { Cell::new(0) };
    static CACHE: RefCell<Vec<((usize, String), Value)>> = const { RefCell::new(Vec::new()) };
    /// `nn.ModuleDict`, to make a module's `parametrizations`.
    static MODULE_DICT: RefCell<Option<Value>> = const { RefCell::new(None) };
    static LIST_CLASS: RefCell<Option<Rc<TypeObj>>> = const { RefCell::new(None) };
}

/// Builds `torch.nn.utils.parametrize`; `module_type` is `nn.Module`, `module_dict` `nn.ModuleDict`.
pub fn install(interp: &mut Interpreter, nn: &Rc<Module>, nn_utils: &Rc<Module>) {
    CACHE_DEPTH.with(|c| c.set(0));
    CACHE.with(|c| c.borrow_mut().clear());
    let (Some(module_type), Some(module_dict)) = (nn.get("Module"), nn.get("ModuleDict")) else {
        return;
    };
    let Value::Type(module_type) = &module_type else {
        return;
    };
    MODULE_DICT.with(|d| *d.borrow_mut() = Some(module_dict));
    let list = list_class(interp, module_type);
    LIST_CLASS.with(|l| *l.borrow_mut() = Some(list.clone()));

    let m = Module::new(MODULE);
    m.set("ParametrizationList", Value::Type(list));
    m.set(
        "register_parametrization",
        Value::builtin("register_parametrization", register),
    );
    m.set(
        "remove_parametrizations",
        Value::builtin("remove_parametrizations", remove),
    );
    m.set(
        "is_parametrized",
        Value::builtin("is_parametrized", |_, args| {
            let [module, name] = args.bind(&["module", "tensor_name="])?;
            let module = module.unwrap_or(Value::None);
            let name = name.filter(|n| !n.is_none()).map(|n| n.to_str());
            Ok(Value::Bool(is_parametrized(&module, name.as_deref())))
        }),
    );
    m.set(
        "cached",
        Value::builtin("cached", |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::native(Cached))
        }),
    );
    let m = Value::Module(Rc::new(m));
    nn_utils.set("parametrize", m.clone());
    interp.register_module(MODULE, m);
}

/// `with parametrize.cached():` each parametrized tensor is computed once inside the block.
struct Cached;

impl NativeObject for Cached {
    fn type_name(&self) -> &str {
        "_GeneratorContextManager"
    }
    fn module_name(&self) -> Option<&str> {
        Some("contextlib")
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        CACHE_DEPTH.with(|c| c.set(c.get() + 1));
        Ok(Some(Value::None))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        let depth = CACHE_DEPTH.with(|c| {
            let d = c.get().saturating_sub(1);
            c.set(d);
            d
        });
        if depth == 0 {
            CACHE.with(|c| c.borrow_mut().clear());
        }
        Ok(false)
    }
}

/// The class `ParametrizationList(modules, original, unsafe=False)`.
fn list_class(interp: &mut Interpreter, module_type: &Rc<TypeObj>) -> Rc<TypeObj> {
    let mut attrs = NameMap::default();
    let base = module_type.clone();
    method(&mut attrs, "__init__", move |it, this, args| {
        let [modules, original, unsafe_] = args.bind(&["modules", "original", "unsafe="])?;
        // The native half, as `super().__init__()` makes it.
        let native = it.call(&Value::Type(base.clone()), Args::new("Module", Vec::new()))?;
        if let (Value::Instance(i), Value::Native(n)) = (&this, &native) {
            n.adopt(&this);
            *i.native.borrow_mut() = Some(native.clone());
        }
        let modules = it.iterate(&modules.unwrap_or(Value::None))?;
        if modules.is_empty() {
            return Err(Exception::value_error(
                "ParametrizationList requires one or more modules.",
            ));
        }
        for (i, m) in modules.iter().enumerate() {
            add_child(it, &this, i, m.clone())?;
        }
        let unsafe_ = bool_arg(unsafe_.as_ref(), false);
        set(&this, "unsafe", Value::Bool(unsafe_));
        let original = original.unwrap_or(Value::None);
        let orig_t = as_tensor(&original)
            .cloned()
            .ok_or_else(|| Exception::type_error("original must be a Tensor"))?;
        let (shape, dtype) = (orig_t.shape().to_vec(), orig_t.dtype());
        let mut new = original.clone();
        {
            let _g = super::tensor::NoGrad::new();
            for m in modules.iter().rev() {
                if has_attr(it, m, "right_inverse")? {
                    match call_method(it, m, "right_inverse", vec![new.clone()]) {
                        Ok(v) => new = v,
                        Err(e) if e.py_type() == "NotImplementedError" => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let Some(new_t) = as_tensor(&new).cloned() else {
            return Err(Exception::value_error(format!(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). Got {}",
                new.type_name()
            )));
        };
        set(&this, "is_tensor", Value::Bool(true));
        set(&this, "ntensors", Value::Int(1));
        if new_t.dtype() != dtype {
            return Err(Exception::value_error(format!(
                "When `right_inverse` outputs one tensor, it may not change the dtype.\noriginal.dtype: {dtype}\nright_inverse(original).dtype: {}",
                new_t.dtype()
            )));
        }
        set_data(&orig_t, &new_t)?;
        with_native(&this, |pm| register_tensor(pm, "original", &original))?;
        if !unsafe_ {
            let z = it.call(&this, Args::new("ParametrizationList", Vec::new()))?;
            let Some(z) = as_tensor(&z).cloned() else {
                return Err(Exception::value_error(format!(
                    "A parametrization must return a tensor. Got {}.",
                    z.type_name()
                )));
            };
            if z.dtype() != dtype {
                return Err(Exception::value_error(format!(
                    "Registering a parametrization may not change the dtype of the tensor, unless `unsafe` flag is enabled.\nunparametrized dtype: {dtype}\nparametrized dtype: {}",
                    z.dtype()
                )));
            }
            if z.shape() != shape.as_slice() {
                return Err(Exception::value_error(format!(
                    "Registering a parametrization may not change the shape of the tensor, unless `unsafe` flag is enabled.\nunparametrized shape: {}\nparametrized shape: {}",
                    size_repr(&shape),
                    size_repr(&z.shape())
                )));
            }
        }
        Ok(Value::None)
    });
    method(&mut attrs, "forward", |it, this, args| {
        let [] = args.bind(&[])?;
        let mut x = it.get_attr(&this, "original")?;
        let mut i = 0;
        while let Some(m) = child(&this, i) {
            x = it.call_positional(&m, vec![x])?;
            i += 1;
        }
        Ok(x)
    });
    method(&mut attrs, "right_inverse", |it, this, args| {
        let [value] = args.bind(&["value"])?;
        right_inverse(it, &this, value.unwrap_or(Value::None))?;
        Ok(Value::None)
    });
    method(&mut attrs, "append", |it, this, args| {
        let [m] = args.bind(&["module"])?;
        let n = children(&this).len();
        add_child(it, &this, n, m.unwrap_or(Value::None))?;
        Ok(this)
    });
    method(&mut attrs, "__len__", |_, this, _| {
        Ok(Value::Int(children(&this).len() as i64))
    });
    method(&mut attrs, "__iter__", |_, this, _| {
        Ok(Value::iter_items(children(&this)))
    });
    method(&mut attrs, "__getitem__", |it, this, args| {
        let [idx] = args.bind(&["idx"])?;
        let items = Value::list(children(&this));
        it.get_item(&items, &idx.unwrap_or(Value::None))
    });
    attrs.insert("__module__".into(), Value::str(MODULE));
    attrs.insert("__qualname__".into(), Value::str("ParametrizationList"));
    attrs.insert(
        "__bases__".into(),
        Value::tuple(vec![Value::Type(module_type.clone())]),
    );
    let mut mro: Vec<Value> = vec![Value::Type(module_type.clone())];
    mro.extend(interp.type_object("object").map(Value::Type));
    attrs.insert("__mro__".into(), Value::tuple(mro));
    let cls = Rc::new(TypeObj::build(
        "ParametrizationList".into(),
        Some(MODULE.into()),
        Some(module_type.clone()),
        None,
        attrs,
    ));
    crate::lang::cycles::track_type(&cls);
    cls
}

fn set(this: &Value, name: &str, v: Value) {
    if let Value::Instance(i) = this {
        i.set(name, v);
    }
}

fn size_repr(shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

fn has_attr(it: &mut Interpreter, v: &Value, name: &str) -> R<bool> {
    match it.get_attr(v, name) {
        Ok(_) => Ok(true),
        Err(e) if e.py_type() == "AttributeError" => Ok(false),
        Err(e) => Err(e),
    }
}

fn call_method(it: &mut Interpreter, obj: &Value, name: &str, pos: Vec<Value>) -> R<Value> {
    let f = it.get_attr(obj, name)?;
    it.call_positional(&f, pos)
}

fn with_native<T>(module: &Value, f: impl FnOnce(&PyModule) -> R<T>) -> R<T> {
    let native = native_module(module).ok_or_else(|| {
        Exception::type_error(format!("'{}' is not an nn.Module", module.type_name()))
    })?;
    let pm = native
        .downcast::<PyModule>()
        .ok_or_else(|| Exception::type_error("not a module"))?;
    f(pm)
}

fn add_child(it: &mut Interpreter, this: &Value, i: usize, m: Value) -> R<()> {
    let add = it.get_attr(this, "add_module")?;
    it.call_positional(&add, vec![Value::str(&i.to_string()), m])?;
    Ok(())
}

fn children(this: &Value) -> Vec<Value> {
    with_native(this, |pm| {
        Ok(pm.children().into_iter().map(|(_, c)| c).collect())
    })
    .unwrap_or_default()
}

fn child(this: &Value, i: usize) -> Option<Value> {
    let key = i.to_string();
    with_native(this, |pm| {
        Ok(pm
            .children()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, c)| c))
    })
    .ok()
    .flatten()
}

/// `_maybe_set(dest, src)`: `dest.set_(src)` keeping `dest`'s identity; lessonrun copies the
/// values in place, which needs equal shapes.
fn set_data(dest: &Tensor, src: &Tensor) -> R<()> {
    if dest.shape() != src.shape() {
        return Err(Exception::unsupported(
            "a right_inverse that changes the tensor's shape",
        ));
    }
    if dest.id() == src.id() {
        return Ok(());
    }
    crate::tensor::no_grad(|| dest.copy_(src)).map_err(exc)
}

/// `_register_parameter_or_buffer`: a Parameter as a parameter, another tensor as a buffer.
fn register_tensor(pm: &PyModule, name: &str, v: &Value) -> R<()> {
    let t = as_tensor(v)
        .cloned()
        .ok_or_else(|| Exception::type_error("expected a Tensor"))?;
    if t.is_parameter() {
        pm.register_parameter(name, Some(t))
    } else {
        pm.core().register_buffer(name, Some(t), true);
        Ok(())
    }
}

/// `ParametrizationList.right_inverse(value)`: each parametrization's `right_inverse`, last
/// first, with the result written into `original`.
fn right_inverse(it: &mut Interpreter, list: &Value, value: Value) -> R<()> {
    let mut value = value;
    {
        let _g = super::tensor::NoGrad::new();
        for m in children(list).iter().rev() {
            if has_attr(it, m, "right_inverse")? {
                value = call_method(it, m, "right_inverse", vec![value])?;
            } else {
                let name = m.type_name();
                return Err(Exception::runtime_error(format!(
                    "parametrization {name} does not implement right_inverse."
                )));
            }
        }
    }
    let Some(v) = as_tensor(&value).cloned() else {
        return Err(Exception::value_error(format!(
            "`right_inverse` should return a tensor. Got {}",
            value.type_name()
        )));
    };
    let original = it.get_attr(list, "original")?;
    let orig = as_tensor(&original)
        .cloned()
        .ok_or_else(|| Exception::type_error("original must be a Tensor"))?;
    if v.dtype() != orig.dtype() {
        return Err(Exception::value_error(format!(
            "The tensor returned by `right_inverse` has dtype {} while `original` has dtype {}",
            v.dtype(),
            orig.dtype()
        )));
    }
    set_data(&orig, &v)
}

/// The module's `parametrizations` `ModuleDict`, if it has one.
fn parametrizations(it: &mut Interpreter, module: &Value) -> Option<Value> {
    let is_parametrized =
        with_native(module, |pm| Ok(pm.core().is_parametrized())).unwrap_or(false);
    if !is_parametrized {
        return None;
    }
    it.get_attr(module, "parametrizations").ok()
}

/// `is_parametrized(module, tensor_name=None)`.
pub(super) fn is_parametrized(module: &Value, name: Option<&str>) -> bool {
    with_native(module, |pm| {
        let names = pm.core().parametrized_names();
        Ok(match name {
            Some(n) => names.iter().any(|k| k == n),
            None => !names.is_empty(),
        })
    })
    .unwrap_or(false)
}

/// The value of the parametrized tensor `name` of `module` (`this` its native half):
/// `parametrizations[name]()`, once per `cached()` block.
pub(super) fn parametrized_value(it: &mut Interpreter, this: &Value, name: &str) -> R<Value> {
    let module = super::module::public(this);
    let list = parametrization_list(it, &module, name)?;
    if CACHE_DEPTH.with(Cell::get) == 0 {
        return it.call(&list, Args::new("ParametrizationList", Vec::new()));
    }
    let key = (this.identity(), name.to_string());
    if let Some(v) = CACHE.with(|c| {
        c.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }) {
        return Ok(v);
    }
    let v = it.call(&list, Args::new("ParametrizationList", Vec::new()))?;
    CACHE.with(|c| c.borrow_mut().push((key, v.clone())));
    Ok(v)
}

/// `module.name = value` for a parametrized tensor: the list's `right_inverse`.
pub(super) fn assign(it: &mut Interpreter, this: &Value, name: &str, value: Value) -> R<()> {
    let module = super::module::public(this);
    let list = parametrization_list(it, &module, name)?;
    right_inverse(it, &list, value)
}

fn parametrization_list(it: &mut Interpreter, module: &Value, name: &str) -> R<Value> {
    let dict = parametrizations(it, module)
        .ok_or_else(|| Exception::new("AttributeError", "parametrizations"))?;
    it.get_item(&dict, &Value::str(name))
}

/// `register_parametrization(module, tensor_name, parametrization, *, unsafe=False)`.
fn register(it: &mut Interpreter, args: Args) -> R<Value> {
    let [module, name, parametrization, unsafe_] =
        args.bind(&["module", "tensor_name", "parametrization", "*", "unsafe="])?;
    let module = module.unwrap_or(Value::None);
    let name = match &name {
        Some(Value::Str(s)) => s.to_string(),
        _ => {
            return Err(Exception::type_error(
                "register_parametrization(): tensor_name must be a string",
            ));
        }
    };
    let parametrization = parametrization.unwrap_or(Value::None);
    let unsafe_ = bool_arg(unsafe_.as_ref(), false);
    let training = with_native(&module, |pm| Ok(pm.is_training()))?;
    call_method(it, &parametrization, "train", vec![Value::Bool(training)])?;
    if is_parametrized(&module, Some(&name)) {
        if !unsafe_ {
            let y = it.get_attr(&module, &name)?;
            let x = it.call_positional(&parametrization, vec![y.clone()])?;
            let (Some(xt), Some(yt)) = (as_tensor(&x).cloned(), as_tensor(&y).cloned()) else {
                return Err(Exception::value_error(format!(
                    "A parametrization must return a tensor. Got {}.",
                    x.type_name()
                )));
            };
            if xt.dtype() != yt.dtype() {
                return Err(Exception::value_error(format!(
                    "Registering a parametrization may not change the dtype of the tensor, unless the `unsafe` flag is enabled.\nunparametrized dtype: {}\nparametrized dtype: {}",
                    yt.dtype(),
                    xt.dtype()
                )));
            }
            if xt.shape() != yt.shape() {
                return Err(Exception::value_error(format!(
                    "Registering a parametrization may not change the shape of the tensor, unless the `unsafe` flag is enabled.\nunparametrized shape: {}\nparametrized shape: {}",
                    size_repr(&yt.shape()),
                    size_repr(&xt.shape())
                )));
            }
            if has_attr(it, &parametrization, "right_inverse")? {
                match call_method(it, &parametrization, "right_inverse", vec![x]) {
                    Ok(z) => {
                        let Some(zt) = as_tensor(&z).cloned() else {
                            return Err(Exception::value_error(format!(
                                "parametrization.right_inverse must return a tensor. Got: {}",
                                z.type_name()
                            )));
                        };
                        if zt.dtype() != yt.dtype() || zt.shape() != yt.shape() {
                            return Err(Exception::value_error(
                                "The tensor returned by parametrization.right_inverse must have the same dtype and shape as module.tensor_name",
                            ));
                        }
                    }
                    Err(e) if e.py_type() == "NotImplementedError" => {}
                    Err(e) => return Err(e),
                }
            }
        }
        let list = parametrization_list(it, &module, &name)?;
        call_method(it, &list, "append", vec![parametrization])?;
        if unsafe_ {
            set(&list, "unsafe", Value::Bool(true));
        }
        return Ok(module);
    }
    let known = with_native(&module, |pm| {
        Ok(pm.own_parameters().iter().any(|(n, _)| *n == name)
            || pm.own_buffers().iter().any(|b| b.name == name))
    })?;
    if !known {
        let shown = it.repr(&module)?;
        return Err(Exception::value_error(format!(
            "Module '{shown}' does not have a parameter, a buffer, or a parametrized element with name '{name}'"
        )));
    }
    let original = it.get_attr(&module, &name)?;
    let list_cls = LIST_CLASS
        .with(|l| l.borrow().clone())
        .ok_or_else(|| Exception::runtime_error("parametrize is not initialised"))?;
    let args = Args {
        fname: "ParametrizationList".into(),
        this: None,
        pos: vec![Value::list(vec![parametrization]), original],
        kw: vec![("unsafe".into(), Value::Bool(unsafe_))],
    };
    let list = it.call(&Value::Type(list_cls), args)?;
    // `delattr(module, tensor_name)`, then the `ModuleDict` on the first parametrization.
    let first = !is_parametrized(&module, None);
    with_native(&module, |pm| {
        if !pm.delete_parameter(&name) && !pm.core().remove_buffer(&name) {
            return Err(Exception::unsupported(format!(
                "parametrizing the built-in buffer '{name}'"
            )));
        }
        Ok(())
    })?;
    if first {
        let dict_cls = MODULE_DICT
            .with(|d| d.borrow().clone())
            .ok_or_else(|| Exception::runtime_error("parametrize is not initialised"))?;
        let dict = it.call(&dict_cls, Args::new("ModuleDict", Vec::new()))?;
        with_native(&module, |pm| pm.set_child("parametrizations", dict.clone()))?;
    }
    with_native(&module, |pm| {
        pm.core().add_parametrized(&name);
        Ok(())
    })?;
    let dict = it.get_attr(&module, "parametrizations")?;
    it.set_item(&dict, &Value::str(&name), list)?;
    Ok(module)
}

/// `remove_parametrizations(module, tensor_name, leave_parametrized=True)`.
fn remove(it: &mut Interpreter, args: Args) -> R<Value> {
    let [module, name, leave] = args.bind(&["module", "tensor_name", "leave_parametrized="])?;
    let module = module.unwrap_or(Value::None);
    let name = match &name {
        Some(Value::Str(s)) => s.to_string(),
        _ => {
            return Err(Exception::type_error(
                "remove_parametrizations(): tensor_name must be a string",
            ));
        }
    };
    if !is_parametrized(&module, Some(&name)) {
        let shown = it.repr(&module)?;
        return Err(Exception::value_error(format!(
            "Module {shown} does not have a parametrization on {name}"
        )));
    }
    let list = parametrization_list(it, &module, &name)?;
    let original = it.get_attr(&list, "original")?;
    if bool_arg(leave.as_ref(), true) {
        let t = {
            let _g = super::tensor::NoGrad::new();
            it.get_attr(&module, &name)?
        };
        let (Some(o), Some(t)) = (as_tensor(&original).cloned(), as_tensor(&t).cloned()) else {
            return Err(Exception::type_error("expected tensors"));
        };
        set_data(&o, &t)?;
    }
    let dict = it.get_attr(&module, "parametrizations")?;
    let last = with_native(&module, |pm| Ok(pm.core().remove_parametrized(&name)))?;
    with_native(&dict, |pm| pm.remove_child(&name))?;
    with_native(&module, |pm| {
        register_tensor(pm, &name, &original)?;
        if last {
            pm.remove_child("parametrizations")?;
        }
        Ok(())
    })?;
    Ok(module)
}
