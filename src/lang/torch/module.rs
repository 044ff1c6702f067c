//! What every `nn.Module` has, built-in or written by the user: buffers, forward hooks, the
//! module tree (`children`, `modules`, `named_modules`, `apply`), parameters by walking that
//! tree, `state_dict`/`load_state_dict`, dtype and device moves, and PyTorch's nested repr
//! with `extra_repr`. `nn.rs` holds what differs per kind of module.

use std::cell::{Cell, RefCell};

use super::convert::{as_tensor, bool_arg, dtype_arg, exc, tv};
use super::nn::{PyModule, native_module};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::{DType, Tensor};

type R<T> = Result<T, Exception>;

/// A buffer registered with `register_buffer` (or a module's own, such as BatchNorm's running
/// statistics): saved in `state_dict` when persistent.
#[derive(Clone)]
pub struct Buffer {
    pub name: String,
    pub tensor: Option<Tensor>,
    pub persistent: bool,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum HookKind {
    Pre,
    Post,
}

#[derive(Clone)]
struct Hook {
    id: usize,
    kind: HookKind,
    f: Value,
}

thread_local! {
    /// The next hook handle's id. PyTorch's `RemovableHandle.next_id` is one counter for every
    /// handle of the process, so `_forward_pre_hooks` keys count across modules; a lesson's
    /// thread starts it at 0 (`reset_hook_ids`, from `torch::install`).
    static NEXT_HOOK_ID: Cell<usize> = const { Cell::new(0) };
}

/// Starts hook ids at 0 for a new lesson, as a fresh Python process does.
pub(super) fn reset_hook_ids() {
    NEXT_HOOK_ID.with(|c| c.set(0));
}

fn next_hook_id() -> usize {
    NEXT_HOOK_ID.with(|c| {
        let id = c.get();
        c.set(id + 1);
        id
    })
}

/// A module's parameters by name, in registration order (None: registered as None).
pub(super) type ParamList = Vec<(String, Option<Tensor>)>;

/// The state PyTorch's `Module.__init__` gives every module besides parameters and children.
#[derive(Default)]
pub struct Core {
    pub buffers: RefCell<Vec<Buffer>>,
    hooks: RefCell<Vec<Hook>>,
    /// A built-in module's parameters once Python code changed the set (`register_parameter`,
    /// or pruning deleting `weight` and adding `weight_orig`): then this list, in PyTorch's
    /// `_parameters` order, is what `named_parameters` and `state_dict` see, while the layer's
    /// own fields keep the tensors its forward reads (a pruned `weight` is a plain attribute).
    pub(super) params: RefCell<Option<ParamList>>,
    /// Submodules assigned to a built-in module (`parametrizations`), after its own children.
    pub(super) children: RefCell<Vec<(String, Value)>>,
    /// The tensors `torch.nn.utils.parametrize` parametrizes, in registration order: reads and
    /// writes of these names go through `parametrizations[name]` (parametrize.rs).
    parametrized: RefCell<Vec<String>>,
    /// Built on the meta device (its parameters are CPU tensors all the same: meta.rs), so a
    /// meta input is what its forward takes; a CPU module given one raises PyTorch's error.
    pub(super) on_meta: std::cell::Cell<bool>,
    /// The instance of a Python subclass of a built-in module (`class Layer(nn.Linear)`) this
    /// is the native half of, and its class name: methods returning the module (`to`, `train`)
    /// return that instance, and its repr is headed by the subclass's name, as in PyTorch.
    pub(super) owner: RefCell<std::rc::Weak<crate::lang::value::Instance>>,
    pub(super) owner_class: std::cell::OnceCell<String>,
}

impl Core {
    pub(super) fn is_parametrized(&self) -> bool {
        !self.parametrized.borrow().is_empty()
    }

    pub(super) fn parametrized_names(&self) -> Vec<String> {
        self.parametrized.borrow().clone()
    }

    pub(super) fn add_parametrized(&self, name: &str) {
        let mut names = self.parametrized.borrow_mut();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }

    /// Forgets a parametrized name; whether none is left.
    pub(super) fn remove_parametrized(&self, name: &str) -> bool {
        let mut names = self.parametrized.borrow_mut();
        names.retain(|n| n != name);
        names.is_empty()
    }

    /// Registers a hook and returns its handle's id.
    pub(super) fn add_hook(&self, kind: HookKind, f: Value, prepend: bool) -> usize {
        let id = next_hook_id();
        let h = Hook { id, kind, f };
        if prepend {
            self.hooks.borrow_mut().insert(0, h);
        } else {
            self.hooks.borrow_mut().push(h);
        }
        id
    }

    /// `(id, hook)` of the hooks of one kind, in the order they run.
    pub(super) fn hooks_of(&self, kind: HookKind) -> Vec<(usize, Value)> {
        self.hooks.borrow().iter().filter(|h| h.kind == kind).map(|h| (h.id, h.f.clone())).collect()
    }

    pub(super) fn remove_hook(&self, id: usize) {
        self.hooks.borrow_mut().retain(|h| h.id != id);
    }

    /// `del module._buffers[name]`; whether it was there.
    pub(super) fn remove_buffer(&self, name: &str) -> bool {
        let mut bufs = self.buffers.borrow_mut();
        let before = bufs.len();
        bufs.retain(|b| b.name != name);
        bufs.len() != before
    }

    pub fn buffer(&self, name: &str) -> Option<Option<Tensor>> {
        self.buffers.borrow().iter().find(|b| b.name == name).map(|b| b.tensor.clone())
    }

    /// `self.name = value` where `name` is a buffer: a tensor or None, as PyTorch requires.
    pub fn set_buffer(&self, name: &str, value: &Value) -> R<bool> {
        let mut bufs = self.buffers.borrow_mut();
        let Some(b) = bufs.iter_mut().find(|b| b.name == name) else { return Ok(false) };
        b.tensor = match value {
            Value::None => None,
            v => Some(as_tensor(v).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "cannot assign '{}' as buffer '{name}' (torch.Tensor or None expected)",
                    v.type_name()
                ))
            })?),
        };
        Ok(true)
    }

    /// A copy for an interpreter snapshot: buffers copied (BatchNorm's running statistics
    /// change in place), hooks' functions copied through `c`.
    pub fn copy(&self, c: &mut crate::lang::interp::Copier) -> Option<Core> {
        let mut buffers = Vec::new();
        for b in self.buffers.borrow().iter() {
            let tensor = match &b.tensor {
                Some(t) => Some(c.tensor(t)?),
                None => None,
            };
            buffers.push(Buffer { tensor, ..b.clone() });
        }
        let mut hooks = Vec::new();
        for h in self.hooks.borrow().iter() {
            hooks.push(Hook { f: c.value(&h.f)?, ..h.clone() });
        }
        let params = match &*self.params.borrow() {
            Some(ps) => {
                let mut out = Vec::new();
                for (n, t) in ps {
                    let t = match t {
                        Some(t) => Some(c.tensor(t)?),
                        None => None,
                    };
                    out.push((n.clone(), t));
                }
                Some(out)
            }
            None => None,
        };
        let mut children = Vec::new();
        for (n, v) in self.children.borrow().iter() {
            children.push((n.clone(), c.value(v)?));
        }
        Some(Core {
            buffers: RefCell::new(buffers),
            hooks: RefCell::new(hooks),
            params: RefCell::new(params),
            children: RefCell::new(children),
            parametrized: RefCell::new(self.parametrized.borrow().clone()),
            on_meta: std::cell::Cell::new(self.on_meta.get()),
            owner: RefCell::default(),
            owner_class: self.owner_class.clone(),
        })
    }

    pub(super) fn register_buffer(&self, name: &str, tensor: Option<Tensor>, persistent: bool) {
        let mut bufs = self.buffers.borrow_mut();
        match bufs.iter_mut().find(|b| b.name == name) {
            Some(b) => {
                b.tensor = tensor;
                b.persistent = persistent;
            }
            None => bufs.push(Buffer { name: name.into(), tensor, persistent }),
        }
    }
}

/// The value Python code sees for a module: the instance of a user subclass, else the
/// built-in module itself.
pub fn public(native: &Value) -> Value {
    native.downcast::<PyModule>().and_then(PyModule::owner).unwrap_or_else(|| native.clone())
}

/// `(qualified name, module)` for a module and all below it, each module once, as
/// `named_modules()` yields them: the module itself first, then each child's tree in order.
pub fn named_modules(root: &Value, prefix: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    walk(root, prefix, &mut seen, &mut out);
    out
}

fn walk(v: &Value, prefix: &str, seen: &mut Vec<usize>, out: &mut Vec<(String, Value)>) {
    let Some(native) = native_module(v) else { return };
    let id = native.identity();
    if seen.contains(&id) {
        return;
    }
    seen.push(id);
    out.push((prefix.to_string(), public(&native)));
    let Some(m) = native.downcast::<PyModule>() else { return };
    for (name, child) in m.children() {
        let p = if prefix.is_empty() { name } else { format!("{prefix}.{name}") };
        walk(&child, &p, seen, out);
    }
}

fn qualify(prefix: &str, name: &str) -> String {
    if prefix.is_empty() { name.to_string() } else { format!("{prefix}.{name}") }
}

/// `named_parameters()`: each module's own parameters in tree order, each tensor once.
pub fn named_parameters(root: &Value, prefix: &str, recurse: bool) -> Vec<(String, Tensor)> {
    let mods = if recurse { named_modules(root, prefix) } else { vec![(prefix.to_string(), root.clone())] };
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for (mp, m) in mods {
        let Some(native) = native_module(&m) else { continue };
        let Some(pm) = native.downcast::<PyModule>() else { continue };
        for (n, p) in pm.own_parameters() {
            if !seen.contains(&p.id()) {
                seen.push(p.id());
                out.push((qualify(&mp, &n), p));
            }
        }
    }
    out
}

/// `named_buffers()`: each module's buffers in tree order, persistent or not.
pub(super) fn named_buffers(root: &Value, prefix: &str, recurse: bool) -> Vec<(String, Tensor)> {
    let mods = if recurse { named_modules(root, prefix) } else { vec![(prefix.to_string(), root.clone())] };
    let mut out = Vec::new();
    for (mp, m) in mods {
        let Some(native) = native_module(&m) else { continue };
        let Some(pm) = native.downcast::<PyModule>() else { continue };
        for b in pm.own_buffers() {
            if let Some(t) = b.tensor {
                out.push((qualify(&mp, &b.name), t));
            }
        }
    }
    out
}

/// `state_dict()`'s entries: per module, its parameters then its persistent buffers, then its
/// children's, all detached.
pub fn state_entries(root: &Value) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    for (mp, m) in named_modules(root, "") {
        let Some(native) = native_module(&m) else { continue };
        let Some(pm) = native.downcast::<PyModule>() else { continue };
        for (n, p) in pm.own_parameters() {
            out.push((qualify(&mp, &n), p.detach()));
        }
        for b in pm.own_buffers() {
            if let (Some(t), true) = (b.tensor, b.persistent) {
                out.push((qualify(&mp, &b.name), t.detach()));
            }
        }
    }
    out
}

/// `RemovableHandle`: what `register_forward_hook` returns; `remove()` unregisters the hook.
struct HookHandle {
    module: Value,
    id: usize,
}

impl NativeObject for HookHandle {
    fn type_name(&self) -> &str {
        "RemovableHandle"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.hooks")
    }
    fn repr(&self) -> String {
        "<torch.utils.hooks.RemovableHandle object at 0x7f0000000000>".into()
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        if name != "remove" {
            return Ok(None);
        }
        Ok(Some(Value::method(this.clone(), "remove", |_, args| {
            let h = args.this_native::<HookHandle>()?;
            if let Some(m) = h.module.downcast::<PyModule>() {
                m.core().remove_hook(h.id);
            }
            Ok(Value::None)
        })))
    }
}

/// `module._forward_pre_hooks` (and `_forward_hooks`): the hooks by handle id, read-only.
struct HookDict(Vec<(usize, Value)>);

impl NativeObject for HookDict {
    fn type_name(&self) -> &str {
        "OrderedDict"
    }
    fn module_name(&self) -> Option<&str> {
        Some("collections")
    }
    fn repr_in(&self, _: &Value, interp: &mut Interpreter) -> R<Option<String>> {
        if self.0.is_empty() {
            return Ok(Some("OrderedDict()".into()));
        }
        let mut parts = Vec::new();
        for (id, f) in &self.0 {
            parts.push(format!("({id}, {})", interp.repr(f)?));
        }
        Ok(Some(format!("OrderedDict([{}])", parts.join(", "))))
    }
    fn str_in(&self, this: &Value, interp: &mut Interpreter) -> R<Option<String>> {
        self.repr_in(this, interp)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.0.len()))
    }
    fn truthy(&self, _: &mut Interpreter) -> R<Option<bool>> {
        Ok(Some(!self.0.is_empty()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.0.iter().map(|(id, _)| Value::Int(*id as i64)).collect())))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let found = key.as_int().and_then(|k| self.0.iter().find(|(id, _)| *id as i64 == k));
        match found {
            Some((_, f)) => Ok(Some(f.clone())),
            None => Err(Exception::new("KeyError", key.repr())),
        }
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let pick: fn(&(usize, Value)) -> Value = match name {
            "keys" => |(id, _)| Value::Int(*id as i64),
            "values" => |(_, f)| f.clone(),
            "items" => |(id, f)| Value::tuple(vec![Value::Int(*id as i64), f.clone()]),
            _ => return Ok(None),
        };
        Ok(Some(Value::method(this.clone(), name, move |_, args| {
            let [] = args.bind(&[])?;
            let d = args.this_native::<HookDict>()?;
            Ok(Value::list(d.0.iter().map(pick).collect()))
        })))
    }
}

/// What `load_state_dict` returns: the keys that did not match (PyTorch's `_IncompatibleKeys`).
struct IncompatibleKeys {
    missing: Vec<String>,
    unexpected: Vec<String>,
}

fn str_list(v: &[String]) -> Value {
    Value::list(v.iter().map(|s| Value::str(s)).collect())
}

impl NativeObject for IncompatibleKeys {
    fn type_name(&self) -> &str {
        "_IncompatibleKeys"
    }
    fn repr(&self) -> String {
        if self.missing.is_empty() && self.unexpected.is_empty() {
            return "<All keys matched successfully>".into();
        }
        format!("_IncompatibleKeys(missing_keys={}, unexpected_keys={})", str_list(&self.missing).repr(), str_list(&self.unexpected).repr())
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "missing_keys" => Some(str_list(&self.missing)),
            "unexpected_keys" => Some(str_list(&self.unexpected)),
            _ => None,
        })
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(2))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(vec![str_list(&self.missing), str_list(&self.unexpected)])))
    }
}

fn shape_repr(t: &Tensor) -> String {
    let dims: Vec<String> = t.shape().iter().map(usize::to_string).collect();
    format!("torch.Size([{}])", dims.join(", "))
}

/// `module.load_state_dict(state_dict, strict=True)`.
fn load_state_dict(interp: &mut Interpreter, root: &Value, sd: &Value, strict: bool) -> R<Value> {
    let entries: Vec<(String, Value)> = match sd {
        Value::Dict(d) => d.borrow().items().into_iter().map(|(k, v)| (key_text(&k), v)).collect(),
        v => match interp.get_attr(v, "items") {
            Ok(items) => {
                let items = interp.call_positional(&items, Vec::new())?;
                let mut out = Vec::new();
                for kv in interp.iterate(&items)? {
                    let kv = interp.iterate(&kv)?;
                    if let [k, v] = &kv[..] {
                        out.push((key_text(k), v.clone()));
                    }
                }
                out
            }
            Err(_) => return Err(Exception::type_error(format!("Expected state_dict to be dict-like, got {}.", v.type_name()))),
        },
    };
    // A lazy module's uninitialized parameters first take the loaded tensors' shapes.
    for (mp, m) in named_modules(root, "") {
        let Some(native) = native_module(&m) else { continue };
        let Some(pm) = native.downcast::<PyModule>() else { continue };
        let shapes: Vec<(String, Vec<usize>)> = ["weight", "bias"]
            .iter()
            .filter_map(|n| {
                let key = qualify(&mp, n);
                let (_, v) = entries.iter().find(|(k, _)| *k == key)?;
                Some((n.to_string(), as_tensor(v)?.shape().to_vec()))
            })
            .collect();
        if !shapes.is_empty() {
            pm.load_lazy(&shapes)?;
        }
    }
    let own = state_targets(root);
    let mut errors = Vec::new();
    let mut copies = Vec::new();
    for (name, target) in &own {
        if let Some((_, v)) = entries.iter().find(|(k, _)| k == name) {
            let Some(src) = as_tensor(v).cloned() else {
                errors.push(format!(
                    "While copying the parameter named \"{name}\", expected torch.Tensor or Tensor-like object from checkpoint but received {}",
                    v.type_name()
                ));
                continue;
            };
            if src.shape() != target.shape() {
                errors.push(format!(
                    "size mismatch for {name}: copying a param with shape {} from checkpoint, the shape in current model is {}.",
                    shape_repr(&src),
                    shape_repr(target)
                ));
                continue;
            }
            copies.push((target.clone(), src));
        }
    }
    let missing: Vec<String> = own.iter().map(|(n, _)| n.clone()).filter(|n| !entries.iter().any(|(k, _)| k == n)).collect();
    let unexpected: Vec<String> = entries.iter().map(|(k, _)| k.clone()).filter(|k| !own.iter().any(|(n, _)| n == k)).collect();
    let quoted = |v: &[String]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    if strict {
        if !unexpected.is_empty() {
            errors.insert(0, format!("Unexpected key(s) in state_dict: {}. ", quoted(&unexpected)));
        }
        if !missing.is_empty() {
            errors.insert(0, format!("Missing key(s) in state_dict: {}. ", quoted(&missing)));
        }
    }
    if !errors.is_empty() {
        let name = native_module(root).and_then(|n| n.downcast::<PyModule>().map(|m| m.name().to_string())).unwrap_or_default();
        return Err(Exception::runtime_error(format!("Error(s) in loading state_dict for {name}:\n\t{}", errors.join("\n\t"))));
    }
    for (target, src) in copies {
        crate::tensor::no_grad(|| target.copy_(&src)).map_err(exc)?;
    }
    Ok(Value::native(IncompatibleKeys { missing, unexpected }))
}

/// The tensors a state dict loads into: parameters and persistent buffers, not detached.
fn state_targets(root: &Value) -> Vec<(String, Tensor)> {
    let mut out = Vec::new();
    for (mp, m) in named_modules(root, "") {
        let Some(native) = native_module(&m) else { continue };
        let Some(pm) = native.downcast::<PyModule>() else { continue };
        out.extend(pm.own_parameters().into_iter().map(|(n, p)| (qualify(&mp, &n), p)));
        for b in pm.own_buffers() {
            if let (Some(t), true) = (b.tensor, b.persistent) {
                out.push((qualify(&mp, &b.name), t));
            }
        }
    }
    out
}

fn key_text(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        v => v.repr(),
    }
}

/// Converts every floating parameter and buffer below `root` to `dtype` in place, keeping
/// their identity (optimizers made earlier still hold them), as `Module._apply` does.
fn convert(root: &Value, dtype: DType) -> R<()> {
    for (_, p) in named_parameters(root, "", true).into_iter().chain(named_buffers(root, "", true)) {
        if p.dtype().is_floating_point() {
            p.convert_in_place(dtype).map_err(exc)?;
            if let Some(g) = p.grad() {
                g.convert_in_place(dtype).map_err(exc)?;
            }
        }
    }
    Ok(())
}

/// `model(x)`: forward pre-hooks, `forward`, forward hooks, as `Module.__call__` runs them.
pub fn call_module(m: &PyModule, this: &Value, mut args: Args, interp: &mut Interpreter) -> R<Value> {
    if m.core().is_parametrized() {
        // A built-in layer's forward reads its own fields: give them the parametrized values,
        // as PyTorch's forward reads the property once per call.
        m.refresh_parametrized(this, interp)?;
    }
    let hooks = m.core().hooks.borrow().clone();
    if hooks.is_empty() {
        return subclass_forward(m, interp, &args);
    }
    let me = public(this);
    for h in hooks.iter().filter(|h| h.kind == HookKind::Pre) {
        let input = Value::tuple(args.pos.clone());
        let r = interp.call_positional(&h.f, vec![me.clone(), input])?;
        match &r {
            Value::None => {}
            Value::Tuple(t) => args.pos = t.to_vec(),
            _ => args.pos = vec![r],
        }
    }
    let mut out = subclass_forward(m, interp, &args)?;
    for h in hooks.iter().filter(|h| h.kind == HookKind::Post) {
        let input = Value::tuple(args.pos.clone());
        let r = interp.call_positional(&h.f, vec![me.clone(), input, out.clone()])?;
        if !r.is_none() {
            out = r;
        }
    }
    Ok(out)
}

/// A call's forward: a Python subclass of a built-in layer that defines `forward` has it run
/// (its `super().forward(x)` reaches the layer's own through the native `forward` attribute).
fn subclass_forward(m: &PyModule, interp: &mut Interpreter, args: &Args) -> R<Value> {
    let owner = m.core().owner.borrow().upgrade();
    if let Some(i) = owner
        && crate::lang::classes::lookup_user(&i.class, "forward").is_some()
    {
        let f = interp.get_attr(&Value::Instance(i), "forward")?;
        let call = Args { fname: "forward".into(), this: None, pos: args.pos.clone(), kw: args.kw.clone() };
        return interp.call(&f, call);
    }
    m.forward(interp, args)
}

/// The methods every module has; `None` for other names. `this` is the native module.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    let f = match name {
        // A snapshot of this module's own parameters or buffers by name (PyTorch's live dicts):
        // reading and changing the tensors in place reaches the module; assigning into the
        // dict does not (docs/divergences.md).
        "_parameters" | "_buffers" => {
            let m = this.downcast::<PyModule>()?;
            let mut d = crate::lang::Dict::new();
            let items: Vec<(String, Value)> = if name == "_parameters" {
                m.own_parameters().into_iter().map(|(n, t)| (n, tv(t))).collect()
            } else {
                m.own_buffers().into_iter().map(|b| (b.name, b.tensor.map_or(Value::None, tv))).collect()
            };
            for (n, v) in items {
                d.insert(Value::str(&n), v).ok()?;
            }
            Value::dict(d)
        }
        // Snapshots, as `_parameters` is: `OrderedDict([(id, hook), ...])` of the hooks by id.
        "_forward_pre_hooks" | "_forward_hooks" => {
            let m = this.downcast::<PyModule>()?;
            let kind = if name == "_forward_pre_hooks" { HookKind::Pre } else { HookKind::Post };
            Value::native(HookDict(m.core().hooks_of(kind)))
        }
        "modules" => Value::method(this.clone(), name, |_, args| {
            let [] = args.bind(&[])?;
            Ok(Value::iter_items(named_modules(receiver(&args)?, "").into_iter().map(|(_, m)| m).collect()))
        }),
        "named_modules" => Value::method(this.clone(), name, |_, args| {
            let [_memo, prefix, _remove_duplicate] = args.bind(&["memo=", "prefix=", "remove_duplicate="])?;
            let prefix = prefix.filter(|p| !p.is_none()).map(|p| p.to_str()).unwrap_or_default();
            let items = named_modules(receiver(&args)?, &prefix).into_iter().map(|(n, m)| Value::tuple(vec![Value::str(&n), m]));
            Ok(Value::iter_items(items.collect()))
        }),
        "children" => Value::method(this.clone(), name, |_, args| {
            let [] = args.bind(&[])?;
            let m = args.this_native::<PyModule>()?;
            Ok(Value::iter_items(m.children().into_iter().map(|(_, c)| c).collect()))
        }),
        "named_children" => Value::method(this.clone(), name, |_, args| {
            let [] = args.bind(&[])?;
            let m = args.this_native::<PyModule>()?;
            Ok(Value::iter_items(m.children().into_iter().map(|(n, c)| Value::tuple(vec![Value::str(&n), c])).collect()))
        }),
        "parameters" | "buffers" => {
            let walk = if name == "parameters" { named_parameters } else { named_buffers };
            Value::method(this.clone(), name, move |_, args| {
                let [recurse] = args.bind(&["recurse="])?;
                let ts = walk(receiver(&args)?, "", bool_arg(recurse.as_ref(), true));
                Ok(Value::iter_items(ts.into_iter().map(|(_, t)| tv(t)).collect()))
            })
        }
        "named_parameters" | "named_buffers" => {
            let walk = if name == "named_parameters" { named_parameters } else { named_buffers };
            Value::method(this.clone(), name, move |_, args| {
                let [prefix, recurse, _remove_duplicate] = args.bind(&["prefix=", "recurse=", "remove_duplicate="])?;
                let prefix = prefix.filter(|p| !p.is_none()).map(|p| p.to_str()).unwrap_or_default();
                let ts = walk(receiver(&args)?, &prefix, bool_arg(recurse.as_ref(), true));
                Ok(Value::iter_items(ts.into_iter().map(|(n, t)| Value::tuple(vec![Value::str(&n), tv(t)])).collect()))
            })
        }
        "register_buffer" => Value::method(this.clone(), name, |_, args| {
            let [name, tensor, persistent] = args.bind(&["name", "tensor", "persistent="])?;
            let m = args.this_native::<PyModule>()?;
            let name = match &name {
                Some(Value::Str(s)) => s.to_string(),
                v => {
                    return Err(Exception::type_error(format!(
                        "buffer name should be a string. Got {}",
                        v.as_ref().map_or("NoneType".into(), |v| v.type_name())
                    )));
                }
            };
            if name.contains('.') {
                return Err(Exception::new("KeyError", "'buffer name can\\'t contain \".\"'"));
            }
            let t = match tensor {
                None | Some(Value::None) => None,
                Some(v) => Some(as_tensor(&v).cloned().ok_or_else(|| {
                    Exception::type_error(format!("cannot assign '{}' object to buffer '{name}' (torch Tensor or None required)", v.type_name()))
                })?),
            };
            m.core().register_buffer(&name, t, bool_arg(persistent.as_ref(), true));
            Ok(Value::None)
        }),
        "register_forward_hook" | "register_forward_pre_hook" => {
            let kind = if name == "register_forward_hook" { HookKind::Post } else { HookKind::Pre };
            Value::method(this.clone(), name, move |_, args| {
                let [hook, prepend, with_kwargs, _always] = args.bind(&["hook", "*", "prepend=", "with_kwargs=", "always_call="])?;
                if bool_arg(with_kwargs.as_ref(), false) {
                    return Err(Exception::unsupported("forward hooks with_kwargs=True"));
                }
                let m = args.this_native::<PyModule>()?;
                let id = m.core().add_hook(kind, hook.unwrap_or(Value::None), bool_arg(prepend.as_ref(), false));
                Ok(Value::native(HookHandle { module: args.this.clone().unwrap_or(Value::None), id }))
            })
        }
        "apply" => Value::method(this.clone(), name, |interp, args| {
            let [f] = args.bind(&["fn"])?;
            let f = f.unwrap_or(Value::None);
            let m = args.this_native::<PyModule>()?;
            for (_, child) in m.children() {
                let apply = interp.get_attr(&child, "apply")?;
                interp.call_positional(&apply, vec![f.clone()])?;
            }
            let me = public(receiver(&args)?);
            interp.call_positional(&f, vec![me.clone()])?;
            Ok(me)
        }),
        "requires_grad_" => Value::method(this.clone(), name, |_, args| {
            let [flag] = args.bind(&["requires_grad="])?;
            let flag = bool_arg(flag.as_ref(), true);
            let me = receiver(&args)?;
            for (_, p) in named_parameters(me, "", true) {
                p.set_requires_grad(flag).map_err(exc)?;
            }
            Ok(public(me))
        }),
        "state_dict" => Value::method(this.clone(), name, |_, args| {
            let [_dest, prefix, keep_vars] = args.bind(&["destination=", "prefix=", "keep_vars="])?;
            let prefix = prefix.filter(|p| !p.is_none()).map(|p| p.to_str()).unwrap_or_default();
            let keep = bool_arg(keep_vars.as_ref(), false);
            let me = receiver(&args)?;
            let entries = if keep { state_targets(me) } else { state_entries(me) };
            Ok(Value::native(super::nn::PyStateDict::new(entries.into_iter().map(|(k, t)| (format!("{prefix}{k}"), t)).collect())))
        }),
        "load_state_dict" => Value::method(this.clone(), name, |interp, args| {
            let [sd, strict, _assign] = args.bind(&["state_dict", "strict=", "assign="])?;
            load_state_dict(interp, receiver(&args)?, &sd.unwrap_or(Value::None), bool_arg(strict.as_ref(), true))
        }),
        "to" => Value::method(this.clone(), name, |_, args| {
            let mut dtype = None;
            for v in args.pos.iter().chain(args.kw.iter().map(|(_, v)| v)) {
                if let Some(d) = dtype_arg(Some(v)).ok().flatten() {
                    dtype = Some(d);
                } else if matches!(v, Value::Str(_)) || v.downcast::<super::device::PyDevice>().is_some() {
                    // No meta tensors: a module sent to 'meta' keeps its tensors, which is what
                    // `functional_call` with all of them replaced needs (docs/divergences.md).
                    if super::device::parse_device(v)?.kind != "meta" {
                        super::device::place_on(v)?;
                    }
                } else if let Some(t) = as_tensor(v) {
                    dtype = Some(t.dtype());
                }
            }
            let me = receiver(&args)?;
            if let Some(d) = dtype {
                if !d.is_floating_point() {
                    return Err(Exception::type_error(format!("nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={d}")));
                }
                convert(me, d)?;
            }
            Ok(public(me))
        }),
        "float" | "double" | "half" | "bfloat16" => {
            let d = match name {
                "float" => DType::Float32,
                "double" => DType::Float64,
                "half" => DType::Float16,
                _ => DType::BFloat16,
            };
            Value::method(this.clone(), name, move |_, args| {
                let [] = args.bind(&[])?;
                let me = receiver(&args)?;
                convert(me, d)?;
                Ok(public(me))
            })
        }
        "cpu" => Value::method(this.clone(), name, |_, args| Ok(public(receiver(&args)?))),
        "cuda" => Value::method(this.clone(), name, |_, _| {
            super::device::place_on(&Value::str("cuda")).map(|()| Value::None)
        }),
        "extra_repr" => Value::method(this.clone(), name, |_, args| {
            let m = args.this_native::<PyModule>()?;
            Ok(Value::str(&m.builtin_extra_repr()))
        }),
        "_get_name" => Value::method(this.clone(), name, |_, args| Ok(Value::str(&args.this_native::<PyModule>()?.display_name()))),
        "register_full_backward_hook" | "register_backward_hook" => {
            Value::method(this.clone(), name, |_, _| Err(Exception::unsupported("module backward hooks")))
        }
        _ => return None,
    };
    Some(f)
}

fn receiver(args: &Args) -> R<&Value> {
    args.this.as_ref().ok_or_else(|| Exception::type_error(format!("{}() needs a receiver", args.fname)))
}

/// `repr(module)` as PyTorch's `Module.__repr__` builds it: the extra representation's lines
/// and one `(name): child` line per child, each child's repr indented by two.
pub fn module_repr(m: &PyModule, this: &Value, interp: &mut Interpreter) -> R<String> {
    let extra = match m.owner() {
        Some(owner) => {
            let f = interp.get_attr(&owner, "extra_repr")?;
            interp.call_positional(&f, Vec::new())?.to_str()
        }
        None => m.builtin_extra_repr(),
    };
    let children = m.children();
    if children.is_empty() && m.owner().is_none() {
        return Ok(m.leaf_repr());
    }
    let mut lines: Vec<String> = if extra.is_empty() { Vec::new() } else { extra.split('\n').map(str::to_string).collect() };
    let extra_lines = lines.len();
    let child_lines = m.child_lines(this, &children, interp)?;
    lines.extend(child_lines.iter().cloned());
    let mut s = format!("{}(", m.display_name());
    if !lines.is_empty() {
        if extra_lines == 1 && child_lines.is_empty() {
            s.push_str(&lines[0]);
        } else {
            s.push_str("\n  ");
            s.push_str(&lines.join("\n  "));
            s.push('\n');
        }
    }
    s.push(')');
    Ok(s)
}

pub fn indent2(s: &str) -> String {
    s.replace('\n', "\n  ")
}
