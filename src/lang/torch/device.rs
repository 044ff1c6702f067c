//! Devices and factory defaults as PyTorch shows them on a machine without an accelerator: `torch.device`, the
//! `device=` argument of every factory and `.to()`, and the `torch.cuda`, `torch.backends` and
//! `torch.accelerator` queries that tutorials ask before choosing "cpu".
//!
//! Every tensor lives on the CPU. A CPU device (with or without an index) is accepted
//! everywhere; naming any other known device type where a tensor would be placed raises the
//! error PyTorch's CUDA build raises on a machine with no GPU driver, so the common idiom
//! `device = "cuda" if torch.cuda.is_available() else "cpu"` takes the CPU branch and runs.

use super::class;
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

thread_local! {
    /// The device factories use when given none (None: the CPU): `torch.set_default_device`,
    /// or the innermost `with torch.device(...)`.
    static DEFAULT: std::cell::RefCell<Option<PyDevice>> = const { std::cell::RefCell::new(None) };
    /// What each open `with torch.device(...)` replaced, and for a meta block the default
    /// generator's state at its start (modules built inside draw their initial values; on
    /// the meta device PyTorch's draw nothing, so the state is put back at the block's end).
    static OPEN: std::cell::RefCell<Vec<(Option<PyDevice>, Option<crate::tensor::Generator>)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The CPU as the default device, with no `with` block open (a lesson's start).
pub fn reset_default() {
    DEFAULT.with(|d| *d.borrow_mut() = None);
    OPEN.with(|o| o.borrow_mut().clear());
}

/// The default device, when it is not the CPU.
pub fn default_device() -> Option<PyDevice> {
    DEFAULT.with(|d| d.borrow().clone())
}

/// A module constructor's `device=`: checked, and for the meta device the module is built as
/// inside `with torch.device("meta")` until this guard is dropped (no generator draws kept).
pub struct BuildOn(Option<(Option<PyDevice>, Option<crate::tensor::Generator>)>);

pub fn build_on(v: Option<&Value>) -> R<BuildOn> {
    let Some(v) = v.filter(|v| !v.is_none()) else { return Ok(BuildOn(None)) };
    let d = parse_device(v)?;
    if d.kind != "meta" {
        place_on_device(&d)?;
        return Ok(BuildOn(None));
    }
    let saved = (default_device(), super::default_rng().map(|g| g.borrow().clone()));
    set_default(d);
    Ok(BuildOn(Some(saved)))
}

impl Drop for BuildOn {
    fn drop(&mut self) {
        if let Some((prev, rng)) = self.0.take() {
            DEFAULT.with(|d| *d.borrow_mut() = prev);
            if let (Some(saved), Some(g)) = (rng, super::default_rng()) {
                *g.borrow_mut() = saved;
            }
        }
    }
}

fn set_default(d: PyDevice) {
    DEFAULT.with(|slot| *slot.borrow_mut() = (d.kind != "cpu").then_some(d));
}

/// The device types PyTorch's parser knows, in the order its error message lists them.
const DEVICE_TYPES: &[&str] = &[
    "cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla", "lazy",
    "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone",
];

/// What PyTorch (CUDA build) raises when a tensor is put on a GPU of a machine with none.
const NO_DRIVER: &str = "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx";

/// A `torch.device`: a type and an optional index.
#[derive(Clone, PartialEq)]
pub struct PyDevice {
    pub kind: String,
    pub index: Option<i64>,
}

impl PyDevice {
    pub fn cpu() -> Value {
        Value::native(PyDevice { kind: "cpu".into(), index: None })
    }

    /// Parses `"cuda:1"` as PyTorch does.
    fn parse(s: &str) -> R<PyDevice> {
        let (kind, index) = match s.split_once(':') {
            Some((k, i)) => {
                let idx = i
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0 && i.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| Exception::runtime_error(format!("Invalid device string: '{s}'")))?;
                (k, Some(idx))
            }
            None => (s, None),
        };
        if !DEVICE_TYPES.contains(&kind) {
            return Err(Exception::runtime_error(format!(
                "Expected one of {} device type at start of device string: {kind}",
                DEVICE_TYPES.join(", ")
            )));
        }
        Ok(PyDevice { kind: kind.into(), index })
    }
}

impl NativeObject for PyDevice {
    fn type_name(&self) -> &str {
        "device"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        match self.index {
            Some(i) => format!("device(type='{}', index={i})", self.kind),
            None => format!("device(type='{}')", self.kind),
        }
    }
    fn str(&self) -> String {
        match self.index {
            Some(i) => format!("{}:{i}", self.kind),
            None => self.kind.clone(),
        }
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "type" => Some(Value::str(&self.kind)),
            "index" => Some(self.index.map_or(Value::None, Value::Int)),
            _ => None,
        })
    }
    fn binary_op(&self, _: &Value, op: crate::lang::native::Op, other: &Value, _: bool, _: &mut Interpreter) -> R<Option<Value>> {
        use crate::lang::native::Op;
        let same = other.downcast::<PyDevice>().is_some_and(|d| d == self);
        Ok(match op {
            Op::Eq => Some(Value::Bool(same)),
            Op::Ne => Some(Value::Bool(!same)),
            _ => None,
        })
    }
    /// `with torch.device(...)`: factories called without a device inside use this one.
    fn enter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let rng = if self.kind == "meta" { super::default_rng().map(|g| g.borrow().clone()) } else { None };
        OPEN.with(|o| o.borrow_mut().push((default_device(), rng)));
        set_default(self.clone());
        Ok(Some(this.clone()))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        if let Some((prev, rng)) = OPEN.with(|o| o.borrow_mut().pop()) {
            DEFAULT.with(|d| *d.borrow_mut() = prev);
            if let (Some(saved), Some(g)) = (rng, super::default_rng()) {
                *g.borrow_mut() = saved;
            }
        }
        Ok(false)
    }
    fn hash(&self) -> Option<u64> {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (&self.kind, self.index).hash(&mut h);
        Some(h.finish())
    }
}

/// A device named by a value: a `torch.device`, a string, or an int (a CUDA ordinal).
pub fn parse_device(v: &Value) -> R<PyDevice> {
    if let Some(d) = v.downcast::<PyDevice>() {
        return Ok(d.clone());
    }
    match v {
        Value::Str(s) => PyDevice::parse(s),
        Value::Int(i) if *i >= 0 => Ok(PyDevice { kind: "cuda".into(), index: Some(*i) }),
        v => Err(Exception::type_error(format!("Expected a torch.device, str or int, got {}", v.type_name()))),
    }
}

/// Checks that a tensor may be placed on `v`: the CPU only. Other devices raise PyTorch's
/// error for a machine without that device.
pub fn place_on(v: &Value) -> R<()> {
    place_on_device(&parse_device(v)?)
}

fn place_on_device(d: &PyDevice) -> R<()> {
    match d.kind.as_str() {
        "cpu" => Ok(()),
        "cuda" => Err(Exception::runtime_error(NO_DRIVER)),
        "meta" => Err(Exception::unsupported("tensors on the meta device")),
        "mps" => Err(Exception::runtime_error(
            "PyTorch is not linked with support for mps devices",
        )),
        other => Err(Exception::runtime_error(format!("PyTorch is not linked with support for {other} devices"))),
    }
}

/// The `device=` value of a call that binds it by position too.
pub fn check_device(v: Option<&Value>) -> R<()> {
    match v {
        None | Some(Value::None) => Ok(()),
        Some(v) => place_on(v),
    }
}

fn false_fn(name: &'static str) -> Value {
    Value::builtin(name, |_, _| Ok(Value::Bool(false)))
}

fn none_fn(name: &'static str) -> Value {
    Value::builtin(name, |_, _| Ok(Value::None))
}

/// Installs `torch.device`, `torch.cuda`, `torch.backends`, `torch.accelerator` and the default
/// device functions into `torch`; returns the submodules to register for import.
pub fn install(torch: &Module) -> Vec<(&'static str, Value)> {
    torch.set("device", class("device", "torch", |_, args: Args| {
        let [d, index] = args.bind(&["type", "index="])?;
        let d = d.unwrap_or(Value::None);
        let mut dev = match &d {
            Value::Str(_) => parse_device(&d)?,
            v if v.downcast::<PyDevice>().is_some() => parse_device(v)?,
            Value::Int(i) if *i >= 0 => PyDevice { kind: "cuda".into(), index: Some(*i) },
            v => return Err(Exception::type_error(format!("device() received an invalid combination of arguments - got ({})", v.type_name()))),
        };
        if let Some(i) = index.filter(|v| !v.is_none()) {
            if dev.index.is_some() {
                return Err(Exception::runtime_error("type (string) must not include an index because index was passed explicitly"));
            }
            let i = i.expect_int("index")?;
            if i < 0 {
                return Err(Exception::runtime_error("Device index must not be negative"));
            }
            dev.index = Some(i);
        }
        Ok(Value::native(dev))
    }));
    torch.set("set_default_device", Value::builtin("set_default_device", |_, args| {
        let [d] = args.bind(&["device"])?;
        match d.filter(|d| !d.is_none()) {
            None => DEFAULT.with(|slot| *slot.borrow_mut() = None),
            Some(d) => {
                let d = parse_device(&d)?;
                if d.kind != "meta" {
                    place_on_device(&d)?;
                }
                set_default(d);
            }
        }
        Ok(Value::None)
    }));
    torch.set("get_default_device", Value::builtin("get_default_device", |_, args| {
        let [] = args.bind(&[])?;
        Ok(default_device().map_or_else(PyDevice::cpu, Value::native))
    }));

    let cuda = Module::new("torch.cuda");
    cuda.set("is_available", false_fn("is_available"));
    cuda.set("is_initialized", false_fn("is_initialized"));
    cuda.set("device_count", Value::builtin("device_count", |_, _| Ok(Value::Int(0))));
    // Seeding CUDA generators is a no-op without CUDA (PyTorch queues it lazily).
    cuda.set("manual_seed", none_fn("manual_seed"));
    cuda.set("manual_seed_all", none_fn("manual_seed_all"));
    cuda.set("empty_cache", none_fn("empty_cache"));
    cuda.set("synchronize", Value::builtin("synchronize", |_, _| Err(Exception::runtime_error(NO_DRIVER))));
    cuda.set("current_device", Value::builtin("current_device", |_, _| Err(Exception::runtime_error(NO_DRIVER))));
    cuda.set("get_device_name", Value::builtin("get_device_name", |_, _| Err(Exception::runtime_error(NO_DRIVER))));
    // Memory statistics: an uninitialised CUDA reports zero bytes; resetting
    // the peaks checks the device index first and has none to check (`memory_stats`, an empty
    // OrderedDict in PyTorch, is left out).
    for name in ["memory_allocated", "max_memory_allocated", "memory_reserved", "max_memory_reserved"] {
        cuda.set(name, Value::builtin(name, |_, _| Ok(Value::Int(0))));
    }
    for name in ["reset_peak_memory_stats", "reset_max_memory_allocated"] {
        cuda.set(name, Value::builtin(name, |_, _| Err(Exception::runtime_error("invalid argument to reset_peak_memory_stats"))));
    }
    let cuda = Value::Module(std::rc::Rc::new(cuda));
    torch.set("cuda", cuda.clone());

    let backends = Module::new("torch.backends");
    let mps = Module::new("torch.backends.mps");
    mps.set("is_available", false_fn("is_available"));
    mps.set("is_built", false_fn("is_built"));
    let mps = Value::Module(std::rc::Rc::new(mps));
    backends.set("mps", mps.clone());
    let cudnn = Module::new("torch.backends.cudnn");
    // The reference PyTorch is a CUDA build: its bundled cuDNN reports itself available (and
    // its version) on a machine without a GPU; moving a module to CUDA then fails.
    cudnn.set("is_available", Value::builtin("is_available", |_, _| Ok(Value::Bool(true))));
    cudnn.set("version", Value::builtin("version", |_, _| Ok(Value::Int(92600))));
    cudnn.set("enabled", Value::Bool(true));
    cudnn.set("deterministic", Value::Bool(false));
    cudnn.set("benchmark", Value::Bool(false));
    cudnn.set("allow_tf32", Value::Bool(true));
    let cudnn = Value::Module(std::rc::Rc::new(cudnn));
    backends.set("cudnn", cudnn.clone());
    // `torch.backends.cuda.matmul.allow_tf32 = True` (nanoGPT) is a setting CUDA would read;
    // PyTorch accepts it without a GPU, and so does lessonrun, with PyTorch's defaults.
    let matmul = Module::new("torch.backends.cuda.matmul");
    matmul.set("allow_tf32", Value::Bool(false));
    matmul.set("allow_fp16_reduced_precision_reduction", Value::Bool(true));
    matmul.set("allow_bf16_reduced_precision_reduction", Value::Bool(true));
    let backends_cuda = Module::new("torch.backends.cuda");
    backends_cuda.set("matmul", Value::Module(std::rc::Rc::new(matmul)));
    let backends_cuda = Value::Module(std::rc::Rc::new(backends_cuda));
    backends.set("cuda", backends_cuda.clone());
    let backends = Value::Module(std::rc::Rc::new(backends));
    torch.set("backends", backends.clone());

    let accel = Module::new("torch.accelerator");
    accel.set("is_available", false_fn("is_available"));
    accel.set("current_accelerator", Value::builtin("current_accelerator", |_, _| Ok(Value::None)));
    accel.set("device_count", Value::builtin("device_count", |_, _| Ok(Value::Int(0))));
    let accel = Value::Module(std::rc::Rc::new(accel));
    torch.set("accelerator", accel.clone());

    vec![
        ("torch.cuda", cuda),
        ("torch.backends", backends),
        ("torch.backends.mps", mps),
        ("torch.backends.cudnn", cudnn),
        ("torch.backends.cuda", backends_cuda),
        ("torch.accelerator", accel),
    ]
}

/// Makes the named functions of `m` take a `device=` keyword: it is checked (the CPU, or
/// PyTorch's error for another device) and removed before the function runs, so each factory
/// need not spell it out. A factory given no device uses the default one (`_like` functions
/// take their input's); on the meta device it makes a meta tensor (meta.rs).
pub fn accept_device_kwarg(m: &Module, names: &[&'static str]) {
    for &name in names {
        let Some(f) = m.get(name) else { continue };
        m.set(name, Value::builtin(name, move |interp, mut args| {
            let explicit = match args.kw.iter().position(|(k, _)| &**k == "device") {
                Some(i) => Some(args.kw.remove(i).1).filter(|v| !v.is_none()),
                None => None,
            };
            let device = match explicit {
                Some(v) => Some(parse_device(&v)?),
                None if name.ends_with("_like") || matches!(name, "from_numpy" | "Generator") => None,
                None => default_device(),
            };
            match device {
                Some(d) if d.kind == "meta" && !matches!(name, "from_numpy" | "Generator") => super::meta::factory(interp, name, &f, args),
                Some(d) => {
                    place_on_device(&d)?;
                    interp.call(&f, args)
                }
                None => interp.call(&f, args),
            }
        }));
    }
}
