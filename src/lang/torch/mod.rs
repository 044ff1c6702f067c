//! The torch bindings: `torch`, `torch.nn`, `torch.nn.functional` and `torch.optim` as native
//! Python modules over the tensor engine. The only part of `lang` that knows `crate::tensor`.

mod act_modules;
mod alpha;
mod amp;
mod float_ops;
mod einsum_sublist;
mod matmul_scaled;
mod distributed;
mod as_method;
mod api;
mod autograd;
mod autograd_api;
mod bitwise;
mod cross;
mod matrix_exp;
mod benchmark;
mod dist;
mod checkpoint;
mod conv;
mod conv_transpose;
mod conv3d;
mod pool3d;
mod unpool;
mod lp_pool;
mod rrelu;
mod alpha_dropout;
mod triplet_distance;
mod ctc;
mod fractional_max;
mod convert;

/// Whether `v` is a tensor with autograd history (`copy.deepcopy` refuses those, as PyTorch does).
pub(crate) fn is_non_leaf_tensor(v: &crate::lang::Value) -> bool {
    convert::as_tensor(v).is_some_and(|t| !t.is_leaf())
}
mod data;
mod loader_iter;
mod loader_workers;
mod memory_format;
mod samplers;
mod saved_hooks;
mod determinism;
mod threads;
mod device;
mod distributions;
mod distributions_count;
mod distributions_kl;
mod jit;
mod ext;
mod gradcheck;
mod function_multi;
mod graph;
mod grid_sample;
mod histogram;
mod save;
mod adaptive1d;
mod channel_layers;
mod dropout_nd;
mod fold;
mod adaptive_max1d;
mod local_response_norm;
mod adaptive_max;
mod as_tensor;
mod data_parallel;
mod init;
mod init_more;
mod index_methods;
mod erfinv_init;
mod inplace;
mod inplace_shape;
mod layers_more;
mod leaf_grad;
mod swap_tensors;
mod embedding_bag;
mod bilinear;
mod distance_modules;
mod dtype_info;
mod legacy_types;
mod linalg;
mod linalg_decomp;
mod linalg_lu;
mod losses_more;
mod memio;
pub mod complex;
mod complex_math;
mod complex_new;
mod fft;
mod fft_kernel;
mod module;
mod nn;
mod nn_utils;
mod padding;
mod parametrize;
mod nn_attention;
mod prune;
mod optim;
mod rnn;
mod rnn_packed;
mod rounding;
mod shape_more;
mod tensor_misc;
mod docstring_gaps;
mod gradient;
mod rms_norm;
mod default_dtype;
mod testing;
mod special;
mod special_fns;
mod strided_ops;
mod tensor;
mod tensor_more;
mod tensor_order;
mod tensordot;
mod tensorfns;
mod torch_functional;
mod func;
mod func_fwd;
mod func_module;
mod func_tree;
mod forward_ad;
mod gradcheck_fwd;
mod function_jvp;
mod transformer;
mod transformer_decoder;
mod transformer_full;
mod module_paths;
mod uninit;
mod meta;
mod meta_layers;
mod upsample;

use std::cell::RefCell;
use std::rc::Rc;

use convert::{
    as_scalar, as_tensor, big_scalar, bool_arg, check_kwargs, dim_list, dtype_arg, dtype_value, exc, f64_arg, scalar_arg, kw, shape_args,
    tensor_from_data, tv, PySize,
};
use crate::lang::native::{Args, NativeObject, Op};
use crate::lang::value::{NativeFn, TypeObj};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Generator, Scalar, Tensor};

pub use convert::tensor_index;
pub(crate) use default_dtype::{default_dtype, float_input, or_default, scalar_dtype, set_default_dtype};
pub use tensor::PyTensor;
pub(crate) use tensor::slice_bounds;

type R<T> = Result<T, Exception>;

/// State shared by every torch function of one lesson: the default generator.
pub struct Shared {
    pub rng: Rc<RefCell<Generator>>,
}

impl Shared {
    /// The generator a random function draws from: its `generator=` argument, else the default.
    pub fn generator(&self, args: &Args) -> R<Rc<RefCell<Generator>>> {
        match kw(args, "generator") {
            None | Some(Value::None) => Ok(self.rng.clone()),
            Some(v) => v
                .downcast::<PyGenerator>()
                .map(|g| g.0.clone())
                .ok_or_else(|| Exception::type_error(format!("generator must be a torch.Generator, not {}", v.type_name()))),
        }
    }
}

/// A Python class implemented in Rust: calling it runs `ctor`.
pub fn class(name: &str, module: &str, ctor: impl Fn(&mut Interpreter, Args) -> R<Value> + 'static) -> Value {
    let f: NativeFn = Rc::new(ctor);
    Value::Type(Rc::new(TypeObj::build(name.into(), Some(module.into()), None, Some(f), Default::default())))
}

thread_local! {
    /// The default generator of the lesson being run, for tensor methods (`t.uniform_()`),
    /// which reach the engine without the module's shared state.
    static DEFAULT_RNG: RefCell<Option<Rc<RefCell<Generator>>>> = const { RefCell::new(None) };
}

/// The default generator of the lesson running on this thread (a live preview's snapshots
/// save and restore its state in place, so every handle to it stays one generator).
pub(crate) fn default_rng() -> Option<Rc<RefCell<Generator>>> {
    DEFAULT_RNG.with(|d| d.borrow().clone())
}

/// The generator named by a method's `generator=` argument, else the default one.
pub(crate) fn generator_arg(args: &Args) -> R<Rc<RefCell<Generator>>> {
    match kw(args, "generator") {
        None | Some(Value::None) => DEFAULT_RNG
            .with(|d| d.borrow().clone())
            .ok_or_else(|| Exception::runtime_error("torch is not installed in this interpreter")),
        Some(v) => v
            .downcast::<PyGenerator>()
            .map(|g| g.0.clone())
            .ok_or_else(|| Exception::type_error(format!("generator must be a torch.Generator, not {}", v.type_name()))),
    }
}

/// Makes `torch`, `nn`, `F` importable and pre-imported, with a generator seeded as by
/// `torch.manual_seed(0)`, as every lesson starts.
pub fn install(interp: &mut Interpreter) {
    let shared = Rc::new(Shared { rng: Rc::new(RefCell::new(Generator::new(0))) });
    DEFAULT_RNG.with(|d| *d.borrow_mut() = Some(shared.rng.clone()));
    // Print options are per lesson, like the generator.
    engine::set_print_options(engine::PrintOptions::DEFAULT);
    determinism::reset();
    default_dtype::reset();
    threads::reset();
    module::reset_hook_ids();
    let torch = Rc::new(torch_module(&shared));
    if let Some(sp) = torch.get("special") {
        interp.register_module("torch.special", sp);
    }
    linalg_decomp::install_errors(interp, &torch);
    jit::install(interp, &torch);
    memio::install(interp);
    let autograd_mod = Rc::new(autograd::autograd_module());
    autograd_api::install(interp, &autograd_mod);
    gradcheck::install(interp, &autograd_mod);
    let installed = forward_ad::install(interp, &autograd_mod);
    debug_assert!(installed.is_ok(), "forward_ad::install failed");
    saved_hooks::install(interp, &autograd_mod);
    let autograd_m = Value::Module(autograd_mod);
    torch.set("autograd", autograd_m.clone());
    interp.register_module("torch.autograd", autograd_m);
    for (name, m) in device::install(&torch) {
        interp.register_module(name, m);
    }
    for (name, m) in amp::install(&torch) {
        interp.register_module(name, m);
    }
    device::accept_device_kwarg(
        &torch,
        &[
            "tensor", "zeros", "ones", "empty", "rand", "randn", "zeros_like", "ones_like", "rand_like", "randn_like", "full",
            "full_like", "arange", "linspace", "logspace", "eye", "randint", "randperm", "as_tensor", "empty_like", "Generator",
            "randint_like", "from_numpy", "tril_indices", "triu_indices", "normal", "empty_strided", "scalar_tensor",
        ],
    );
    let nn = Rc::new(nn::nn_module(&shared));
    let functional = Rc::new(functional_module(&shared));
    act_modules::install(&nn, &functional);
    distance_modules::install(&nn, &functional);
    triplet_distance::install(&nn, &functional);
    padding::install_modules(&nn, &functional);
    if let Some(f) = functional.get("channel_shuffle") {
        torch.set("channel_shuffle", f);
    }
    inplace::install_functional(&functional);
    inplace::install_modules(&nn, &functional);
    inplace::install_torch(&torch, &functional);
    as_method::install(&torch);
    let optim = Rc::new(optim::optim_module());
    let lr_scheduler = Value::Module(Rc::new(optim::lr_scheduler_module()));
    optim.set("lr_scheduler", lr_scheduler.clone());
    interp.register_module("torch.optim.lr_scheduler", lr_scheduler);
    let init = Rc::new(init::init_module());
    nn.set("init", Value::Module(init.clone()));
    interp.register_module("torch.nn.init", Value::Module(init));
    let nn_utils_m = Rc::new(nn_utils::utils_module());
    prune::install(interp, &Value::Module(torch.clone()), &nn_utils_m);
    parametrize::install(interp, &nn, &nn_utils_m);
    let rnn_utils = Value::Module(Rc::new(nn_utils::rnn_utils_module()));
    nn_utils_m.set("rnn", rnn_utils.clone());
    interp.register_module("torch.nn.utils.rnn", rnn_utils);
    let nn_utils = Value::Module(nn_utils_m);
    nn.set("utils", nn_utils.clone());
    interp.register_module("torch.nn.utils", nn_utils);
    // `import torch.nn.parallel` (DCGAN's first cell): importable; its multi-GPU wrappers are not bound.
    let parallel = Module::new("torch.nn.parallel");
    for (name, m) in distributed::install(&torch, &parallel) {
        interp.register_module(name, m);
    }
    let parallel = Value::Module(Rc::new(parallel));
    nn.set("parallel", parallel.clone());
    interp.register_module("torch.nn.parallel", parallel);
    let tensor_type = match &torch.get("Tensor") {
        Some(Value::Type(t)) => Some(t.clone()),
        _ => None,
    };
    nn_attention::install(interp, &nn, tensor_type);
    nn.set("functional", Value::Module(functional.clone()));
    torch.set("nn", Value::Module(nn.clone()));
    torch.set("optim", Value::Module(optim.clone()));
    let data = Value::Module(Rc::new(data::data_module(&shared)));
    let utils = Rc::new(Module::new("torch.utils"));
    utils.set("data", data.clone());
    checkpoint::install(interp, &utils);
    testing::install(interp, &torch);
    benchmark::install(interp, &utils, &Value::Module(torch.clone()));
    swap_tensors::install(interp, &torch, &utils);
    torch.set("utils", Value::Module(utils.clone()));
    interp.register_module("torch.utils", Value::Module(utils));
    // `from torch.utils.data.dataset import random_split` imports the submodules by name.
    if let Value::Module(d) = &data {
        for sub in ["dataset", "sampler", "dataloader"] {
            if let Some(m) = d.get(sub) {
                interp.register_module(&format!("torch.utils.data.{sub}"), m);
            }
        }
    }
    interp.register_module("torch.utils.data", data);
    complex::install(&torch);
    complex_new::install(&torch);
    fft::install(interp, &torch);
    if let Some(l) = torch.get("linalg") {
        interp.register_module("torch.linalg", l);
    }
    for (name, m) in distributions::distributions_modules() {
        if name == "torch.distributions" {
            torch.set("distributions", m.clone());
        }
        interp.register_module(&name, m);
    }
    torch_functional::install(interp, &torch);
    module_paths::install(interp, &torch, &nn);
    func::install(interp, &torch);
    meta_layers::prepare(&torch, &functional);
    device::reset_default();
    interp.register_module("torch", Value::Module(torch.clone()));
    interp.register_module("torch.nn", Value::Module(nn.clone()));
    interp.register_module("torch.nn.functional", Value::Module(functional.clone()));
    interp.register_module("torch.optim", Value::Module(optim));
    interp.set_global("torch", Value::Module(torch));
    interp.set_global("nn", Value::Module(nn));
    interp.set_global("F", Value::Module(functional));
    crate::lang::numpy::install(interp);
}

/// A `torch.Generator`: the default one (`torch.manual_seed` returns it) or one made by
/// `torch.Generator()`, shared by handle.
pub struct PyGenerator(pub Rc<RefCell<Generator>>);

/// The seed of a fresh `torch.Generator()` (PyTorch's default_rng_seed_val).
const DEFAULT_GENERATOR_SEED: u64 = 67_280_421_310_721;

impl NativeObject for PyGenerator {
    fn type_name(&self) -> &str {
        "Generator"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch._C")
    }
    fn repr(&self) -> String {
        "<torch._C.Generator object at 0x7f0000000000>".into()
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "manual_seed" => Value::method(this.clone(), "manual_seed", |_, args| {
                let [seed] = args.bind(&["seed"])?;
                let seed = seed.map_or(Ok(0), |v| v.expect_int("seed"))?;
                args.this_native::<PyGenerator>()?.0.borrow_mut().manual_seed(seed as u64);
                Ok(args.this.clone().unwrap_or(Value::None))
            }),
            "get_state" => Value::method(this.clone(), "get_state", |_, args| {
                let [] = args.bind(&[])?;
                rng_state_tensor(&args.this_native::<PyGenerator>()?.0.borrow())
            }),
            "set_state" => Value::method(this.clone(), "set_state", |_, args| {
                let [state] = args.bind(&["new_state"])?;
                set_rng_state(&mut args.this_native::<PyGenerator>()?.0.borrow_mut(), state.as_ref())?;
                Ok(args.this.clone().unwrap_or(Value::None))
            }),
            "seed" => Value::method(this.clone(), "seed", |_, args| {
                let [] = args.bind(&[])?;
                let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
                let seed = (t.as_nanos() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 1;
                args.this_native::<PyGenerator>()?.0.borrow_mut().manual_seed(seed);
                Ok(Value::Int(seed as i64))
            }),
            "initial_seed" => Value::method(this.clone(), "initial_seed", |_, args| {
                let [] = args.bind(&[])?;
                let s = args.this_native::<PyGenerator>()?.0.borrow().initial_seed();
                i64::try_from(s).map(Value::Int).map_err(|_| Exception::unsupported("initial_seed() above 2**63"))
            }),
            _ => return Ok(None),
        }))
    }
}

/// A generator's state as PyTorch's uint8 tensor of `CPUGeneratorImplState` bytes.
fn rng_state_tensor(g: &Generator) -> R<Value> {
    let bytes: Vec<i64> = g.state_bytes().into_iter().map(i64::from).collect();
    let n = bytes.len();
    let t = Tensor::from_data(engine::Data::I64(bytes), &[n]).and_then(|t| t.to_dtype(DType::UInt8)).map_err(exc)?;
    Ok(tv(t))
}

/// `set_rng_state(t)` / `Generator.set_state(t)`: a uint8 tensor `get_rng_state` gave.
fn set_rng_state(g: &mut Generator, state: Option<&Value>) -> R<()> {
    let t = state.and_then(as_tensor).ok_or_else(|| {
        Exception::type_error(format!(
            "expected a torch.ByteTensor, but got {}",
            state.map_or("NoneType".to_string(), Value::type_name)
        ))
    })?;
    if t.dtype() != DType::UInt8 {
        return Err(Exception::type_error(format!(
            "expected a torch.ByteTensor, but got {}",
            convert::dtype_value(t.dtype()).repr()
        )));
    }
    let bytes: Vec<u8> = t.to_f64_vec().into_iter().map(|x| x as u8).collect();
    g.set_state_bytes(&bytes).map_err(Exception::runtime_error)
}

fn first_tensor(args: &Args, fname: &str) -> R<Tensor> {
    let v = args.pos.first().or_else(|| kw(args, "input"));
    v.and_then(as_tensor).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument 'input' (position 1) must be Tensor, not {}",
            v.map_or("NoneType".to_string(), Value::type_name)
        ))
    })
}

/// `torch.exp(t)` and friends: a tensor function of one tensor.
fn unary(name: &'static str, f: fn(&Tensor) -> engine::Result<Tensor>) -> Value {
    Value::builtin(name, move |_, args| {
        let [input] = args.bind(&["input"])?;
        let t = input.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "{name}(): argument 'input' (position 1) must be Tensor, not {}",
                input.as_ref().map_or("NoneType".to_string(), Value::type_name)
            ))
        })?;
        let t = if default_dtype::makes_floats(name) { float_input(&t)? } else { t };
        Ok(tv(f(&t).map_err(exc)?))
    })
}

/// `torch.softmax(t, dim)` / `F.softmax(t, dim=...)`.
fn softmax_fn(name: &'static str, log: bool) -> Value {
    Value::builtin(name, move |_, args| {
        let [_input, dim, _stacklevel, dtype] = args.bind(&["input", "dim=", "_stacklevel=", "dtype="])?;
        let t = first_tensor(&args, name)?;
        let t = match dtype_arg(dtype.as_ref())? {
            Some(d) => t.to_dtype(d).map_err(exc)?,
            None => t,
        };
        let d = match dim {
            None | Some(Value::None) => if matches!(t.dim(), 0 | 1 | 3) { 0 } else { 1 },
            Some(d) => d.expect_int("dim")? as isize,
        };
        Ok(tv(if log { t.log_softmax(d) } else { t.softmax(d) }.map_err(exc)?))
    })
}

/// `torch.sum(t, dim, keepdim)`, `torch.mean(...)`.
fn reduce_fn(name: &'static str, mean: bool) -> Value {
    Value::builtin(name, move |interp, args| {
        let [_input, dim, keepdim, dtype] = args.bind(&["input", "dim=", "keepdim=", "*", "dtype="])?;
        let t = first_tensor(&args, name)?;
        let t = match dtype_arg(dtype.as_ref())? {
            Some(d) => t.to_dtype(d).map_err(exc)?,
            None => t,
        };
        let dims = dim_list(interp, dim.as_ref())?;
        let keep = bool_arg(keepdim.as_ref(), false);
        Ok(tv(if mean { t.mean(dims.as_deref(), keep) } else { t.sum(dims.as_deref(), keep) }.map_err(exc)?))
    })
}

/// `torch.add(a, b)` etc. through the operator machinery, so scalars work on either side.
fn binary_fn(name: &'static str, op: crate::lang::ast::BinOp) -> Value {
    Value::builtin(name, move |_, args| {
        let [a, b] = args.bind(&["input", "other"])?;
        let (a, b) = (a.unwrap_or(Value::None), b.unwrap_or(Value::None));
        let r = match (as_tensor(&a), as_tensor(&b)) {
            (Some(t), _) => tensor::binary(t, op, &b, false)?,
            (None, Some(t)) => tensor::binary(t, op, &a, true)?,
            _ => None,
        };
        r.map(tv).ok_or_else(|| Exception::type_error(format!("{name}(): argument 'input' (position 1) must be Tensor, not {}", a.type_name())))
    })
}

/// Creation functions taking `*size` and `dtype=`/`requires_grad=`: zeros, ones, rand, randn.
fn sized(name: &'static str, shared: &Rc<Shared>, make: fn(&RefCell<Generator>, &[usize], DType) -> engine::Result<Tensor>) -> Value {
    let shared = shared.clone();
    Value::builtin(name, move |interp, args| {
        // Of the sized factories only `empty` takes a memory format.
        let known: &[&str] = if name == "empty" {
            &["size", "dtype", "requires_grad", "generator", "device", "out", "layout", "pin_memory", "memory_format"]
        } else {
            &["size", "dtype", "requires_grad", "generator", "device", "out", "layout", "pin_memory"]
        };
        check_kwargs(&args, known)?;
        let pos = match kw(&args, "size") {
            Some(s) => vec![s.clone()],
            None => args.pos.clone(),
        };
        let shape = shape_args(interp, &pos, name)?;
        // `out=t` (the tensors tutorial's `torch.rand(2, 2, out=c)`): made in `t`'s dtype and
        // written into it.
        let out = match kw(&args, "out") {
            None | Some(Value::None) => None,
            Some(v) => Some((v.clone(), as_tensor(v).cloned().ok_or_else(|| {
                Exception::type_error(format!("{name}(): argument 'out' must be Tensor, not {}", v.type_name()))
            })?)),
        };
        let dtype = dtype_arg(kw(&args, "dtype"))?.or(out.as_ref().map(|(_, t)| t.dtype())).unwrap_or_else(default_dtype);
        let rng = shared.generator(&args)?;
        let mut t = make(&rng, &shape, dtype).map_err(exc)?;
        if let Some(f) = memory_format::format_arg(kw(&args, "memory_format"), name)? {
            t = memory_format::restride(&t, f)?;
        }
        if let Some((v, o)) = out {
            if o.shape() != shape {
                return Err(Exception::unsupported(format!("{name}(out=...) with an out tensor of shape {:?} for size {:?} (PyTorch resizes it)", o.shape(), shape)));
            }
            engine::no_grad(|| o.copy_(&t)).map_err(exc)?;
            return Ok(v);
        }
        finish(t, kw(&args, "requires_grad"))
    })
}

fn finish(t: Tensor, requires_grad: Option<&Value>) -> R<Value> {
    if bool_arg(requires_grad, false) {
        // Factories word this error differently from `requires_grad_()`.
        if !t.dtype().is_floating_point() {
            return Err(Exception::runtime_error("Only Tensors of floating point and complex dtype can require gradients"));
        }
        t.set_requires_grad(true).map_err(exc)?;
    }
    Ok(tv(t))
}

/// `*_like(t)` creation functions.
fn like(name: &'static str, shared: &Rc<Shared>, make: fn(&RefCell<Generator>, &[usize], DType) -> engine::Result<Tensor>) -> Value {
    let shared = shared.clone();
    Value::builtin(name, move |_, args| {
        let [input, dtype, _layout, _device, requires_grad, memory_format] =
            args.bind(&["input", "*", "dtype=", "layout=", "device=", "requires_grad=", "memory_format="])?;
        let t = input.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error(format!("{name}(): argument 'input' must be Tensor")))?;
        let dtype = dtype_arg(dtype.as_ref())?.unwrap_or(t.dtype());
        let made = make(&shared.rng, &t.shape(), dtype).map_err(exc)?;
        // `preserve_format`, the default, keeps a channels-last input's strides.
        let made = match memory_format::format_arg(memory_format.as_ref(), name)? {
            None | Some(memory_format::Format::Preserve) => memory_format::follow(made, &t)?,
            Some(f) => memory_format::restride(&made, f)?,
        };
        finish(made, requires_grad.as_ref())
    })
}

fn torch_module(shared: &Rc<Shared>) -> Module {
    let m = Module::new("torch");
    for (name, d) in [
        ("float32", DType::Float32),
        ("float", DType::Float32),
        ("float64", DType::Float64),
        ("double", DType::Float64),
        ("int64", DType::Int64),
        ("long", DType::Int64),
        ("bool", DType::Bool),
        ("int32", DType::Int32),
        ("int", DType::Int32),
        ("int16", DType::Int16),
        ("short", DType::Int16),
        ("int8", DType::Int8),
        ("uint8", DType::UInt8),
        ("uint16", DType::UInt16),
        ("float16", DType::Float16),
        ("half", DType::Float16),
        ("bfloat16", DType::BFloat16),
    ] {
        // Aliases are the same object: `torch.float is torch.float32`.
        let v = ["float32", "float64", "int64", "bool", "int32", "int16", "float16"]
            .iter()
            .filter_map(|n| m.get(n))
            .find(|v| dtype_arg(Some(v)).ok().flatten() == Some(d))
            .unwrap_or_else(|| dtype_value(d));
        m.set(name, v);
    }
    // The reference's build (a CUDA 13.2 wheel, run without a GPU), as notebooks print it.
    m.set("__version__", Value::str("2.15.0+cu132"));
    m.set("pi", Value::Float(std::f64::consts::PI));
    m.set("e", Value::Float(std::f64::consts::E));
    m.set("inf", Value::Float(f64::INFINITY));
    m.set("nan", Value::Float(f64::NAN));
    // The legacy constructor: `torch.Tensor([[1, 2]])` copies data as float32; `torch.Tensor(2, 3)`
    // makes a float32 tensor of that shape (PyTorch leaves it uninitialised; here it is zeros).
    m.set("Tensor", class("Tensor", "torch", |interp, args| {
        args.no_kwargs()?;
        match &args.pos[..] {
            [] => Ok(tv(Tensor::zeros(&[0], default_dtype()))),
            [d] if d.as_int().is_none() || matches!(d, Value::Bool(_)) => Ok(tv(tensor_from_data(interp, d, Some(default_dtype()))?)),
            dims => {
                let shape = shape_args(interp, dims, "Tensor")?;
                Ok(tv(Tensor::zeros(&shape, default_dtype())))
            }
        }
    }));
    m.set("Size", class("Size", "torch", |interp, args| {
        let [dims] = args.bind(&["sizes="])?;
        let dims = match dims {
            Some(d) => shape_args(interp, &[d], "Size")?,
            None => Vec::new(),
        };
        Ok(Value::native(PySize(dims)))
    }));

    m.set("tensor", Value::builtin("tensor", |interp, args| {
        let [data, dtype, _device, requires_grad] = args.bind(&["data", "*", "dtype=", "device=", "requires_grad="])?;
        let t = tensor_from_data(interp, &data.unwrap_or(Value::None), dtype_arg(dtype.as_ref())?)?;
        finish(t, requires_grad.as_ref())
    }));
    as_tensor::register(&m);
    m.set("from_numpy", Value::builtin("from_numpy", |_, args| {
        let [a] = args.bind(&["ndarray"])?;
        let a = a.unwrap_or(Value::None);
        crate::lang::numpy::to_tensor(&a).map(tv).ok_or_else(|| Exception::type_error(format!("expected np.ndarray (got {})", a.type_name())))
    }));
    m.set("zeros", sized("zeros", shared, |_, s, d| Ok(Tensor::zeros(s, d))));
    m.set("ones", sized("ones", shared, |_, s, d| Ok(Tensor::ones(s, d))));
    m.set("empty", sized("empty", shared, |_, s, d| Ok(Tensor::zeros(s, d))));
    m.set("rand", sized("rand", shared, |g, s, d| engine::rand(&mut g.borrow_mut(), s, d)));
    m.set("randn", sized("randn", shared, |g, s, d| engine::randn(&mut g.borrow_mut(), s, d)));
    m.set("zeros_like", like("zeros_like", shared, |_, s, d| Ok(Tensor::zeros(s, d))));
    m.set("ones_like", like("ones_like", shared, |_, s, d| Ok(Tensor::ones(s, d))));
    m.set("rand_like", like("rand_like", shared, |g, s, d| engine::rand(&mut g.borrow_mut(), s, d)));
    m.set("full_like", Value::builtin("full_like", |_, args| {
        let [input, fill, dtype, requires_grad] = args.bind(&["input", "fill_value", "*", "dtype=", "requires_grad="])?;
        let t = input.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("full_like(): argument 'input' must be Tensor"))?;
        let fill = fill.as_ref().and_then(as_scalar).ok_or_else(|| Exception::type_error("full_like(): argument 'fill_value' must be Number"))?;
        let dtype = dtype_arg(dtype.as_ref())?.unwrap_or(t.dtype());
        engine::check_scalar_fits(fill, dtype).map_err(exc)?;
        finish(Tensor::full(&t.shape(), fill, dtype), requires_grad.as_ref())
    }));
    m.set("randn_like", like("randn_like", shared, |g, s, d| engine::randn(&mut g.borrow_mut(), s, d)));
    // torch.normal(mean, std, size): floats and a size draw as `empty(size).normal_(mean, std)`;
    // a tensor mean with a float std draws `normal_(0, std)` in the mean's shape, then adds it.
    let g = shared.clone();
    m.set("normal", Value::builtin("normal", move |interp, args| {
        let [mean, std, size, _gen, dtype, _out, requires_grad] =
            args.bind(&["mean", "std=", "size=", "*", "generator=", "dtype=", "out=", "requires_grad="])?;
        let rng = g.generator(&args)?;
        let mean = mean.unwrap_or(Value::Float(0.0));
        // A tensor std: ATen draws standard normals into the broadcast shape, then
        // `output.mul_(std).add_(mean)` (normal_out_impl).
        if let Some(st) = std.as_ref().and_then(as_tensor) {
            if st.to_f64_vec().iter().any(|&v| v < 0.0) {
                return Err(Exception::runtime_error("normal expects all elements of std >= 0.0"));
            }
            let mt = as_tensor(&mean).cloned();
            let shape = match &mt {
                Some(m) => engine::broadcast_shapes(&m.shape(), &st.shape()).map_err(exc)?,
                None => st.shape(),
            };
            let t = Tensor::zeros(&shape, mt.as_ref().map_or(st.dtype(), |m| m.dtype()));
            engine::normal_(&t, &mut rng.borrow_mut(), 0.0, 1.0).map_err(exc)?;
            let scaled = t.mul(st).map_err(exc)?;
            let out = match &mt {
                Some(m) => scaled.add(m),
                None => scaled.add_scalar(Scalar::Float(mean.expect_f64("mean")?)),
            };
            return finish(out.map_err(exc)?, requires_grad.as_ref());
        }
        let std_f = match &std {
            None => 1.0,
            Some(v) => v.expect_f64("std")?,
        };
        if let Some(mt) = as_tensor(&mean) {
            let t = Tensor::zeros(&mt.shape(), mt.dtype());
            engine::normal_(&t, &mut rng.borrow_mut(), 0.0, std_f).map_err(exc)?;
            return finish(t.add(mt).map_err(exc)?, requires_grad.as_ref());
        }
        let size = size.ok_or_else(|| Exception::type_error("normal() missing required argument 'size'"))?;
        let shape = shape_args(interp, &[size], "normal")?;
        let t = Tensor::zeros(&shape, or_default(dtype_arg(dtype.as_ref())?));
        engine::normal_(&t, &mut rng.borrow_mut(), mean.expect_f64("mean")?, std_f).map_err(exc)?;
        finish(t, requires_grad.as_ref())
    }));
    m.set("full", Value::builtin("full", |interp, args| {
        let [size, fill, dtype, requires_grad] = args.bind(&["size", "fill_value", "*", "dtype=", "requires_grad="])?;
        let shape = shape_args(interp, &[size.unwrap_or(Value::None)], "full")?;
        let big = match &fill {
            Some(v) => big_scalar(v, DType::Int64)?,
            None => None,
        };
        let fill = big.or_else(|| fill.as_ref().and_then(as_scalar)).ok_or_else(|| Exception::type_error("full(): argument 'fill_value' must be Number"))?;
        let dtype = dtype_arg(dtype.as_ref())?.unwrap_or(scalar_dtype(fill));
        engine::check_scalar_fits(fill, dtype).map_err(exc)?;
        finish(Tensor::full(&shape, fill, dtype), requires_grad.as_ref())
    }));
    m.set("arange", Value::builtin("arange", |_, args| {
        let [a, b, step, dtype, requires_grad] = args.bind(&["start", "end=", "step=", "*", "dtype=", "requires_grad="])?;
        let num = |v: Option<&Value>, d: Scalar, name: &str, pos: usize| -> R<Scalar> {
            match v {
                None | Some(Value::None) => Ok(d),
                // A 0-d tensor is a Number to PyTorch's argument parser (`torch.min(xs)`).
                Some(v) => match as_tensor(v) {
                    Some(t) if t.dim() == 0 => t.item().map_err(exc),
                    _ => as_scalar(v).ok_or_else(|| {
                        Exception::type_error(format!("arange(): argument '{name}' (position {pos}) must be Number, not {}", v.type_name()))
                    }),
                },
            }
        };
        let (start, end) = match b {
            None | Some(Value::None) => (Scalar::Int(0), num(a.as_ref(), Scalar::Int(0), "end", 1)?),
            Some(_) => (num(a.as_ref(), Scalar::Int(0), "start", 1)?, num(b.as_ref(), Scalar::Int(0), "end", 2)?),
        };
        let step = num(step.as_ref(), Scalar::Int(1), "step", 3)?;
        // A float bound or step makes the default dtype (the engine's own choice is float32).
        let any_float = [start, end, step].iter().any(|s| matches!(s, Scalar::Float(_)));
        let dtype = dtype_arg(dtype.as_ref())?.or(any_float.then(default_dtype));
        let t = Tensor::arange(start, end, step, dtype).map_err(exc)?;
        finish(t, requires_grad.as_ref())
    }));
    m.set("linspace", Value::builtin("linspace", |_, args| {
        let [start, end, steps, dtype, requires_grad] = args.bind(&["start", "end", "steps", "*", "dtype=", "requires_grad="])?;
        let steps = steps.map_or(Ok(0), |s| s.expect_int("steps"))?;
        if steps < 0 {
            return Err(Exception::runtime_error("number of steps must be non-negative"));
        }
        let t = Tensor::linspace(
            scalar_arg(start.as_ref(), "start")?,
            scalar_arg(end.as_ref(), "end")?,
            steps as usize,
            or_default(dtype_arg(dtype.as_ref())?),
        )
        .map_err(exc)?;
        finish(t, requires_grad.as_ref())
    }));
    m.set("logspace", Value::builtin("logspace", |_, args| {
        let [start, end, steps, base, dtype, requires_grad] =
            args.bind(&["start", "end", "steps", "base=", "*", "dtype=", "requires_grad="])?;
        let steps = steps.map_or(Ok(0), |s| s.expect_int("steps"))?;
        if steps < 0 {
            return Err(Exception::runtime_error("number of steps must be non-negative"));
        }
        let t = Tensor::logspace(
            scalar_arg(start.as_ref(), "start")?,
            scalar_arg(end.as_ref(), "end")?,
            steps as usize,
            f64_arg(base.as_ref(), 10.0, "base")?,
            or_default(dtype_arg(dtype.as_ref())?),
        )
        .map_err(exc)?;
        finish(t, requires_grad.as_ref())
    }));
    m.set("eye", Value::builtin("eye", |_, args| {
        let [n, m, dtype, requires_grad] = args.bind(&["n", "m=", "*", "dtype=", "requires_grad="])?;
        let n = n.map_or(Ok(0), |v| v.expect_int("n"))?.max(0) as usize;
        let m = match m {
            None | Some(Value::None) => n,
            Some(v) => v.expect_int("m")?.max(0) as usize,
        };
        engine::check_size(&[n, m]).map_err(exc)?;
        finish(Tensor::eye(n, m, or_default(dtype_arg(dtype.as_ref())?)), requires_grad.as_ref())
    }));
    let g = shared.clone();
    m.set("randint", Value::builtin("randint", move |interp, args| {
        // randint(high, size) or randint(low, high, size)
        check_kwargs(&args, &["low", "high", "size", "dtype", "generator", "requires_grad"])?;
        let mut pos = args.pos.clone();
        // `low=` and `high=` by keyword too (`randint(low=1, high=C, size=(N, S))`).
        if let Some(h) = kw(&args, "high") {
            if let Some(l) = kw(&args, "low") {
                pos.insert(0, l.clone());
            }
            pos.push(h.clone());
        }
        if let Some(s) = kw(&args, "size") {
            pos.push(s.clone());
        }
        let (low, high, size) = match pos.as_slice() {
            [high, size] => (0, high.expect_int("high")?, size.clone()),
            [low, high, size] => (low.expect_int("low")?, high.expect_int("high")?, size.clone()),
            _ => return Err(Exception::type_error("randint() received an invalid combination of arguments")),
        };
        let shape = shape_args(interp, &[size], "randint")?;
        let rng = g.generator(&args)?;
        let t = engine::randint(&mut rng.borrow_mut(), low, high, &shape).map_err(exc)?;
        let t = match dtype_arg(kw(&args, "dtype"))? {
            Some(d) if d != DType::Int64 => t.to_dtype(d).map_err(exc)?,
            _ => t,
        };
        finish(t, kw(&args, "requires_grad"))
    }));
    let g = shared.clone();
    m.set("randperm", Value::builtin("randperm", move |_, args| {
        let [n, _gen, dtype, requires_grad] = args.bind(&["n", "*", "generator=", "dtype=", "requires_grad="])?;
        let n = n.map_or(Ok(0), |v| v.expect_int("n"))?;
        if n < 0 {
            return Err(Exception::runtime_error(format!("n must be non-negative, got{n}")));
        }
        engine::check_size(&[n as usize]).map_err(exc)?;
        let rng = g.generator(&args)?;
        let t = engine::randperm(&mut rng.borrow_mut(), n as usize).map_err(exc)?;
        let t = match dtype_arg(dtype.as_ref())? {
            Some(d) if d != DType::Int64 => t.to_dtype(d).map_err(exc)?,
            _ => t,
        };
        finish(t, requires_grad.as_ref())
    }));
    let g = shared.clone();
    m.set("manual_seed", Value::builtin("manual_seed", move |_, args| {
        let [seed] = args.bind(&["seed"])?;
        let seed = seed.map_or(Ok(0), |v| v.expect_int("seed"))?;
        g.rng.borrow_mut().manual_seed(seed as u64);
        Ok(Value::native(PyGenerator(g.rng.clone())))
    }));
    let g = shared.clone();
    m.set("initial_seed", Value::builtin("initial_seed", move |_, args| {
        let [] = args.bind(&[])?;
        let s = g.rng.borrow().initial_seed();
        // Python ints are unbounded; ours are i64, so seeds past 2**63 cannot be shown.
        i64::try_from(s).map(Value::Int).map_err(|_| Exception::unsupported("initial_seed() above 2**63"))
    }));
    let g = shared.clone();
    m.set("seed", Value::builtin("seed", move |_, args| {
        let [] = args.bind(&[])?;
        // A non-deterministic seed, as PyTorch draws one; kept below 2**63 for our ints.
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let seed = (t.as_nanos() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 1;
        g.rng.borrow_mut().manual_seed(seed);
        Ok(Value::Int(seed as i64))
    }));
    let g = shared.clone();
    m.set("get_rng_state", Value::builtin("get_rng_state", move |_, args| {
        let [] = args.bind(&[])?;
        rng_state_tensor(&g.rng.borrow())
    }));
    let g = shared.clone();
    m.set("set_rng_state", Value::builtin("set_rng_state", move |_, args| {
        let [state] = args.bind(&["new_state"])?;
        set_rng_state(&mut g.rng.borrow_mut(), state.as_ref())?;
        Ok(Value::None)
    }));
    m.set("Generator", class("Generator", "torch", |_, args| {
        let [_device] = args.bind(&["device="])?;
        Ok(Value::native(PyGenerator(Rc::new(RefCell::new(Generator::new(DEFAULT_GENERATOR_SEED))))))
    }));
    let g = shared.clone();
    m.set("default_generator", Value::native(PyGenerator(g.rng.clone())));
    m.set("bernoulli", Value::builtin("bernoulli", move |_, args| {
        let [_input, _p, _gen] = args.bind(&["input", "p=", "*", "generator="])?;
        let t = first_tensor(&args, "bernoulli")?;
        let rng = g.generator(&args)?;
        let r = engine::bernoulli(&mut rng.borrow_mut(), &t).map_err(exc)?;
        Ok(tv(r))
    }));
    m.set("equal", Value::builtin("equal", |_, args| {
        let [a, b] = args.bind(&["input", "other"])?;
        let (a, b) = two_tensors(a, b, "equal")?;
        Ok(Value::Bool(tensor::tensors_equal(&a, &b)))
    }));
    m.set("allclose", Value::builtin("allclose", |_, args| {
        let [a, b, rtol, atol, equal_nan] = args.bind(&["input", "other", "rtol=", "atol=", "equal_nan="])?;
        let (a, b) = two_tensors(a, b, "allclose")?;
        let r = tensor::allclose(&a, &b, f64_arg(rtol.as_ref(), 1e-5, "rtol")?, f64_arg(atol.as_ref(), 1e-8, "atol")?, bool_arg(equal_nan.as_ref(), false))?;
        Ok(Value::Bool(r))
    }));
    m.set("is_tensor", Value::builtin("is_tensor", |_, args| {
        let [obj] = args.bind(&["obj"])?;
        Ok(Value::Bool(obj.as_ref().and_then(as_tensor).is_some()))
    }));
    m.set("numel", Value::builtin("numel", |_, args| {
        Ok(Value::Int(first_tensor(&args, "numel")?.numel() as i64))
    }));
    // `torch.no_grad()` (context manager or decorator) and the bare decorator `@torch.no_grad`.
    m.set("no_grad", class("no_grad", "torch", |_, args| match args.pos.first() {
        Some(f) => Ok(tensor::grad_mode_wrapper(false, f.clone())),
        None => Ok(Value::native(tensor::GradMode::new(false))),
    }));
    m.set("inference_mode", autograd::inference_mode());
    m.set("enable_grad", class("enable_grad", "torch", |_, _| Ok(Value::native(tensor::GradMode::new(true)))));
    m.set("is_grad_enabled", Value::builtin("is_grad_enabled", |_, _| Ok(Value::Bool(engine::is_grad_enabled()))));
    m.set("set_grad_enabled", autograd::set_grad_enabled());

    for (name, f) in unary_table() {
        m.set(name, unary(name, f));
    }
    for (alias, name) in UNARY_ALIASES {
        if let Some(f) = m.get(name) {
            m.set(alias, f);
        }
    }
    m.set("softmax", softmax_fn("softmax", false));
    m.set("log_softmax", softmax_fn("log_softmax", true));
    for (name, max) in [("amax", true), ("amin", false)] {
        m.set(name, Value::builtin(name, move |_, args| {
            let [_input, dim, keepdim] = args.bind(&["input", "dim=", "keepdim="])?;
            let t = first_tensor(&args, name)?;
            let r = match dim.filter(|d| !matches!(d, Value::None)) {
                None => if max { t.max() } else { t.min() },
                Some(d) => {
                    let d = d.expect_int("dim")? as isize;
                    let keep = bool_arg(keepdim.as_ref(), false);
                    if max { t.max_dim(d, keep) } else { t.min_dim(d, keep) }.map(|(v, _)| v)
                }
            };
            Ok(tv(r.map_err(exc)?))
        }));
    }
    m.set("sum", reduce_fn("sum", false));
    m.set("mean", reduce_fn("mean", true));
    use crate::lang::ast::BinOp;
    m.set("add", alpha::alpha_fn("add"));
    m.set("sub", alpha::alpha_fn("sub"));
    for (name, op) in [("mul", BinOp::Mul), ("div", BinOp::Div), ("pow", BinOp::Pow), ("matmul", BinOp::MatMul)] {
        m.set(name, binary_fn(name, op));
    }
    for (name, which) in [("mm", 0), ("dot", 1), ("vdot", 1), ("mv", 2), ("maximum", 3), ("minimum", 4), ("bmm", 5), ("logical_or", 6), ("logical_and", 7)] {
        m.set(name, Value::builtin(name, move |_, args| {
            let [a, b] = args.bind(&["input", "other"])?;
            let a = a.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error(format!("{name}(): argument 'input' must be Tensor")))?;
            let b = b.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error(format!("{name}(): argument 'other' must be Tensor")))?;
            let r = match which {
                0 => a.mm(&b),
                1 => a.dot(&b),
                2 => a.mv(&b),
                3 => a.maximum(&b),
                4 => a.minimum(&b),
                5 if a.dim() != 3 || b.dim() != 3 => {
                    return Err(Exception::runtime_error("batch1 must be a 3D tensor"));
                }
                5 => a.bmm(&b),
                6 => a.logical_or(&b),
                _ => a.logical_and(&b),
            };
            Ok(tv(r.map_err(exc)?))
        }));
    }
    // `torch.f(t, ...)` for these is `t.f(...)`.
    for name in [
        "max", "min", "argmax", "argmin", "std", "var", "prod", "cumsum", "norm", "split", "chunk", "reshape", "flatten", "transpose",
        "permute", "squeeze", "unsqueeze", "narrow", "diagonal", "unbind", "t", "select", "clone", "square", "rsqrt", "reciprocal",
        "logical_not", "isinf", "masked_fill", "index_select", "gather", "scatter", "scatter_add", "tril", "triu", "flip", "roll",
        "outer", "sort", "argsort", "topk", "nonzero", "masked_select", "logsumexp", "remainder", "fmod", "erf",
        "diag", "lerp", "atan2", "arctan2", "repeat_interleave",
    ] {
        m.set(name, Value::builtin(name, move |interp, mut args| {
            let t = first_tensor(&args, name)?;
            if !args.pos.is_empty() {
                args.pos.remove(0);
            }
            args.kw.retain(|(k, _)| &**k != "input" && &**k != "tensor");
            let method = interp.get_attr(&tv(t), name)?;
            interp.call(&method, args)
        }));
    }
    for (name, stack) in [("cat", false), ("stack", true), ("concat", false)] {
        m.set(name, Value::builtin(name, move |interp, args| {
            let [tensors, dim] = args.bind(&["tensors", "dim="])?;
            let items = interp.iterate(&tensors.unwrap_or(Value::None))?;
            let ts = items
                .iter()
                .map(|v| as_tensor(v).cloned().ok_or_else(|| Exception::type_error(format!("expected Tensor as element in argument 0, but got {}", v.type_name()))))
                .collect::<R<Vec<_>>>()?;
            let d = dim.map_or(Ok(0), |d| d.expect_int("dim"))? as isize;
            Ok(tv(if stack { Tensor::stack(&ts, d) } else { Tensor::cat(&ts, d) }.map_err(exc)?))
        }));
    }
    for (name, op) in [("eq", Op::Eq), ("ne", Op::Ne), ("lt", Op::Lt), ("le", Op::Le), ("gt", Op::Gt), ("ge", Op::Ge)] {
        m.set(name, Value::builtin(name, move |_, args| {
            let [a, b] = args.bind(&["input", "other"])?;
            let a = a.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error(format!("{name}(): argument 'input' must be Tensor")))?;
            tensor::compare(&a, op, &b.unwrap_or(Value::None), false)?
                .map(tv)
                .ok_or_else(|| Exception::type_error(format!("{name}(): argument 'other' must be Tensor or Number")))
        }));
    }
    m.set("where", Value::builtin("where", |_, args| {
        let [c, a, b] = args.bind(&["condition", "input", "other"])?;
        let c = c.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error("where(): argument 'condition' must be Tensor"))?;
        // A Python number takes the other operand's dtype unless its kind is higher (a float
        // beside an integer tensor is the default float; an int beside a bool tensor, int64).
        let (a, b) = (a.unwrap_or(Value::None), b.unwrap_or(Value::None));
        let scalar_dtype = |s: Scalar, other: &Value| -> DType {
            let own = match s {
                Scalar::Bool(_) => DType::Bool,
                Scalar::Int(_) => DType::Int64,
                Scalar::Float(_) => default_dtype(),
            };
            match as_tensor(other).map(|t| t.dtype()) {
                Some(d) if d.is_floating_point() => d,
                Some(d) if d.is_integral() && !own.is_floating_point() => d,
                _ => own,
            }
        };
        let to_t = |v: &Value, other: &Value| -> R<Tensor> {
            match (as_tensor(v), as_scalar(v)) {
                (Some(t), _) => Ok(t.clone()),
                (None, Some(s)) => Ok(Tensor::scalar(s, scalar_dtype(s, other))),
                _ => Err(Exception::type_error("where(): expected Tensor or Number")),
            }
        };
        let (a, b) = (to_t(&a, &b)?, to_t(&b, &a)?);
        Ok(tv(Tensor::where_(&c, &a, &b).map_err(exc)?))
    }));
    m.set("clamp", Value::builtin("clamp", |_, args| {
        let [_input, min, max] = args.bind(&["input", "min=", "max="])?;
        let t = first_tensor(&args, "clamp")?;
        Ok(tv(t.clamp(min.as_ref().and_then(as_scalar), max.as_ref().and_then(as_scalar)).map_err(exc)?))
    }));
    api::install(&m);
    legacy_types::install(&m);
    dtype_info::install(&m);
    default_dtype::install(&m);
    determinism::install(&m);
    threads::install(&m);
    linalg::install(&m);
    float_ops::install(&m);
    if let Some(Value::Module(l)) = &m.get("linalg") {
        matmul_scaled::install(&m, l);
        cross::install_linalg(l);
    }
    bitwise::install(&m);
    cross::install(&m);
    dist::install(&m);
    tensordot::install(&m);
    index_methods::install(&m);
    erfinv_init::install(&m);
    save::install(&m);
    memory_format::install(&m);
    tensorfns::install(&m, shared);
    rounding::install(&m);
    shape_more::install(&m);
    tensor_misc::install(&m);
    special::install(&m);
    strided_ops::install(&m);
    docstring_gaps::install(&m);
    gradient::install(&m);
    m
}

/// NumPy's names for `torch.` elementwise functions, which PyTorch binds too.
const UNARY_ALIASES: [(&str, &str); 7] = [
    ("arcsin", "asin"),
    ("arccos", "acos"),
    ("arctan", "atan"),
    ("arcsinh", "asinh"),
    ("arccosh", "acosh"),
    ("arctanh", "atanh"),
    ("fix", "trunc"),
];

/// An elementwise tensor function as the bindings table it.
type UnaryFn = fn(&Tensor) -> engine::Result<Tensor>;

fn unary_table() -> [(&'static str, UnaryFn); 30] {
    [
        ("floor", Tensor::floor),
        ("ceil", Tensor::ceil),
        ("round", Tensor::round),
        ("isnan", |t| Ok(t.isnan())),
        ("exp", Tensor::exp),
        ("log", Tensor::log),
        ("log10", Tensor::log10),
        ("log2", Tensor::log2),
        ("sqrt", Tensor::sqrt),
        ("sin", Tensor::sin),
        ("cos", Tensor::cos),
        ("abs", Tensor::abs),
        ("relu", Tensor::relu),
        ("sigmoid", Tensor::sigmoid),
        ("tanh", Tensor::tanh),
        ("neg", Tensor::neg),
        ("sign", Tensor::sign),
        ("tan", Tensor::tan),
        ("asin", Tensor::asin),
        ("acos", Tensor::acos),
        ("atan", Tensor::atan),
        ("sinh", Tensor::sinh),
        ("cosh", Tensor::cosh),
        ("asinh", Tensor::asinh),
        ("acosh", Tensor::acosh),
        ("atanh", Tensor::atanh),
        ("expm1", Tensor::expm1),
        ("log1p", Tensor::log1p),
        ("erfc", Tensor::erfc),
        ("trunc", Tensor::trunc),
    ]
}

fn functional_module(shared: &Rc<Shared>) -> Module {
    let _ = shared;
    let m = Module::new("torch.nn.functional");
    for (name, f) in [
        ("relu", Tensor::relu as fn(&Tensor) -> engine::Result<Tensor>),
        ("sigmoid", Tensor::sigmoid),
        ("tanh", Tensor::tanh),
        ("logsigmoid", engine::nn::log_sigmoid),
    ] {
        m.set(name, unary(name, f));
    }
    nn::add_functional(&m);
    conv::add_functional(&m);
    conv_transpose::add_functional(&m);
    transformer::add_functional(&m);
    upsample::add_functional(&m);
    grid_sample::add_functional(&m);
    losses_more::add_functional(&m);
    layers_more::add_functional(&m);
    embedding_bag::add_functional(&m);
    bilinear::add_functional(&m);
    rms_norm::add_functional(&m);
    tensor_misc::add_functional(&m);
    adaptive1d::add_functional(&m);
    channel_layers::add_functional(&m);
    dropout_nd::add_functional(&m);
    fold::add_functional(&m);
    adaptive_max1d::add_functional(&m);
    local_response_norm::add_functional(&m);
    adaptive_max::add_functional(&m);
    conv3d::add_functional(&m);
    pool3d::add_functional(&m);
    unpool::add_functional(&m);
    lp_pool::add_functional(&m);
    rrelu::add_functional(&m);
    alpha_dropout::add_functional(&m);
    ctc::add_functional(&m);
    fractional_max::add_functional(&m);
    tensorfns::add_functional(&m);
    padding::add_functional(&m);
    m.set("softmax", softmax_fn("softmax", false));
    m.set("log_softmax", softmax_fn("log_softmax", true));
    m.set("gelu", Value::builtin("gelu", |_, args| {
        let [_input, approximate] = args.bind(&["input", "approximate="])?;
        let t = first_tensor(&args, "gelu")?;
        Ok(tv(t.gelu(nn::gelu_tanh(approximate.as_ref())?).map_err(exc)?))
    }));
    m.set("leaky_relu", Value::builtin("leaky_relu", |_, args| {
        let [_input, slope, _inplace] = args.bind(&["input", "negative_slope=", "inplace="])?;
        let t = first_tensor(&args, "leaky_relu")?;
        Ok(tv(t.leaky_relu(f64_arg(slope.as_ref(), 0.01, "negative_slope")?).map_err(exc)?))
    }));
    m.set("linear", Value::builtin("linear", |_, args| {
        let [x, w, b] = args.bind(&["input", "weight", "bias="])?;
        let get = |v: &Option<Value>, n: &str| v.as_ref().and_then(as_tensor).cloned().ok_or_else(|| Exception::type_error(format!("linear(): argument '{n}' must be Tensor")));
        let (x, w) = (get(&x, "input")?, get(&w, "weight")?);
        let b = b.as_ref().and_then(as_tensor).cloned();
        Ok(tv(engine::nn::linear(&x, &w, b.as_ref()).map_err(exc)?))
    }));
    m.set("cross_entropy", Value::builtin("cross_entropy", |_, args| {
        let [x, t, weight, sa, ignore_index, reduce, reduction, label_smoothing] = args.bind(&[
            "input", "target", "weight=", "size_average=", "ignore_index=", "reduce=", "reduction=", "label_smoothing=",
        ])?;
        let (x, t) = two_tensors(x, t, "cross_entropy")?;
        let o = engine::nn::CrossEntropyOptions {
            weight: weight.as_ref().and_then(as_tensor).cloned(),
            ignore_index: ignore_index.map_or(Ok(-100), |v| v.expect_int("ignore_index"))?,
            reduction: losses_more::legacy_reduction_arg(sa.as_ref(), reduce.as_ref(), reduction.as_ref())?,
            label_smoothing: f64_arg(label_smoothing.as_ref(), 0.0, "label_smoothing")?,
        };
        Ok(tv(engine::nn::cross_entropy_with(&x, &t, &o).map_err(exc)?))
    }));
    m.set("dropout", Value::builtin("dropout", |_, args| {
        let [_input, p, training, _inplace] = args.bind(&["input", "p=", "training=", "inplace="])?;
        let t = first_tensor(&args, "dropout")?;
        Ok(tv(nn::dropout(&t, f64_arg(p.as_ref(), 0.5, "p")?, bool_arg(training.as_ref(), true))?))
    }));
    m.set("one_hot", Value::builtin("one_hot", |_, args| {
        let [_input, num_classes] = args.bind(&["input", "num_classes="])?;
        let t = first_tensor(&args, "one_hot")?;
        if t.dtype() != DType::Int64 {
            return Err(Exception::runtime_error("one_hot is only applicable to index tensor of type LongTensor."));
        }
        let v = t.to_f64_vec();
        let max = v.iter().fold(-1.0f64, |m, &x| m.max(x));
        let n = match num_classes.as_ref().map(|c| c.expect_int("num_classes")).transpose()? {
            Some(c) if c >= 0 => c,
            _ => (max + 1.0) as i64,
        };
        if v.iter().any(|&x| x < 0.0) {
            return Err(Exception::runtime_error("Class values must be non-negative."));
        }
        if max >= n as f64 {
            return Err(Exception::runtime_error("Class values must be smaller than num_classes."));
        }
        engine::check_size(&[v.len(), n as usize]).map_err(exc)?;
        let mut data = vec![0i64; v.len() * n as usize];
        for (i, &x) in v.iter().enumerate() {
            data[i * n as usize + x as usize] = 1;
        }
        let mut shape = t.shape();
        shape.push(n as usize);
        Ok(tv(Tensor::from_data(engine::Data::I64(data), &shape).map_err(exc)?))
    }));
    for name in ["huber_loss", "smooth_l1_loss"] {
        m.set(name, Value::builtin(name, move |_, args| {
            let [x, t, _sa, _reduce, reduction, param] = if name == "huber_loss" {
                let [x, t, reduction, delta] = args.bind(&["input", "target", "reduction=", "delta="])?;
                [x, t, None, None, reduction, delta]
            } else {
                args.bind(&["input", "target", "size_average=", "reduce=", "reduction=", "beta="])?
            };
            let (x, t) = two_tensors(x, t, name)?;
            let r = nn::reduction_arg(reduction.as_ref())?;
            let p = f64_arg(param.as_ref(), 1.0, if name == "huber_loss" { "delta" } else { "beta" })?;
            let out = if name == "huber_loss" { engine::nn::huber_loss(&x, &t, r, p) } else { engine::nn::smooth_l1_loss(&x, &t, r, p) };
            Ok(tv(out.map_err(exc)?))
        }));
    }
    m.set("binary_cross_entropy_with_logits", Value::builtin("binary_cross_entropy_with_logits", |_, args| {
        let [x, t, weight, _sa, _reduce, reduction, pos_weight] =
            args.bind(&["input", "target", "weight=", "size_average=", "reduce=", "reduction=", "pos_weight="])?;
        let (x, t) = two_tensors(x, t, "binary_cross_entropy_with_logits")?;
        let optional = |v: Option<Value>, name: &str, pos: usize| -> R<Option<Tensor>> {
            match v {
                None | Some(Value::None) => Ok(None),
                Some(v) => as_tensor(&v).cloned().map(Some).ok_or_else(|| {
                    Exception::type_error(format!(
                        "binary_cross_entropy_with_logits(): argument '{name}' (position {pos}) must be Tensor, not {}",
                        v.type_name()
                    ))
                }),
            }
        };
        let (weight, pos_weight) = (optional(weight, "weight", 3)?, optional(pos_weight, "pos_weight", 4)?);
        let r = nn::reduction_arg(reduction.as_ref())?;
        Ok(tv(engine::nn::binary_cross_entropy_with_logits(&x, &t, weight.as_ref(), pos_weight.as_ref(), r).map_err(exc)?))
    }));
    m.set("nll_loss", Value::builtin("nll_loss", |_, args| {
        let [x, t, weight, sa, ignore_index, reduce, reduction] =
            args.bind(&["input", "target", "weight=", "size_average=", "ignore_index=", "reduce=", "reduction="])?;
        let (x, t) = two_tensors(x, t, "nll_loss")?;
        let w = weight.as_ref().and_then(as_tensor).cloned();
        let ii = ignore_index.map_or(Ok(-100), |v| v.expect_int("ignore_index"))?;
        let r = losses_more::legacy_reduction_arg(sa.as_ref(), reduce.as_ref(), reduction.as_ref())?;
        Ok(tv(engine::nn::nll_loss_with(&x, &t, w.as_ref(), ii, r).map_err(exc)?))
    }));
    for name in ["mse_loss", "l1_loss"] {
        m.set(name, Value::builtin(name, move |_, args| {
            let [x, t, sa, reduce, reduction] = args.bind(&["input", "target", "size_average=", "reduce=", "reduction="])?;
            let (x, t) = two_tensors(x, t, name)?;
            let r = losses_more::legacy_reduction_arg(sa.as_ref(), reduce.as_ref(), reduction.as_ref())?;
            let out = if name == "mse_loss" { engine::nn::mse_loss(&x, &t, r) } else { engine::nn::l1_loss(&x, &t, r) };
            Ok(tv(out.map_err(exc)?))
        }));
    }
    m.set("binary_cross_entropy", Value::builtin("binary_cross_entropy", |_, args| {
        let [x, t, weight, _sa, _reduce, reduction] = args.bind(&["input", "target", "weight=", "size_average=", "reduce=", "reduction="])?;
        let (x, t) = two_tensors(x, t, "binary_cross_entropy")?;
        let w = weight.as_ref().and_then(as_tensor).cloned();
        Ok(tv(engine::nn::binary_cross_entropy(&x, &t, w.as_ref(), nn::reduction_arg(reduction.as_ref())?).map_err(exc)?))
    }));
    m
}

fn two_tensors(a: Option<Value>, b: Option<Value>, name: &str) -> R<(Tensor, Tensor)> {
    let get = |v: &Option<Value>, n: &str| {
        v.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "{name}(): argument '{n}' must be Tensor, not {}",
                v.as_ref().map_or("NoneType".to_string(), Value::type_name)
            ))
        })
    };
    Ok((get(&a, "input")?, get(&b, "target")?))
}

/// The shape and elements (widened to f64, row-major) of a tensor, for code that takes array
/// data without knowing tensors (matplotlib's bindings); None if `v` is not a tensor. A tensor
/// that requires grad raises PyTorch's error, as NumPy's conversion of it does.
pub fn array_data(v: &Value) -> Option<R<(Vec<usize>, Vec<f64>)>> {
    let t = as_tensor(v)?;
    if t.requires_grad() {
        return Some(Err(Exception::runtime_error(
            "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
        )));
    }
    Some(Ok((t.shape(), t.to_f64_vec())))
}

/// The engine tensor a Python value holds, for hosts that read results bit for bit (the
/// differential test against PyTorch); None if `v` is not a tensor.
pub fn tensor_of(v: &Value) -> Option<crate::tensor::Tensor> {
    as_tensor(v).cloned()
}
