//! `torch.nn` modules as Python objects: Linear, activations, Sequential and the losses.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use super::convert::{as_tensor, bool_arg, exc, f64_arg, tensor_arg, tv};
use super::{Shared, class};
use crate::lang::native::{Args, NativeObject};
use crate::lang::value::Instance;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::nn::{self as tnn, CrossEntropyOptions, Reduction};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// What a module computes.
enum Kind {
    /// A Linear; `LazyLinear` until its first call (the generator to initialise it with).
    Linear(RefCell<tnn::Linear>, RefCell<Option<super::uninit::Lazy>>),
    /// An Embedding (its weight replaceable: `wte.weight = lm_head.weight` ties the two).
    Embedding(RefCell<tnn::Embedding>),
    Activation(Activation),
    /// An activation with arguments, and its repr's argument text as PyTorch prints it
    /// (the values as given: `Softplus(beta=2, threshold=10)`).
    Configured(Activation, String),
    /// Children with their names: `0`, `1`, ... or the keys of an `OrderedDict`.
    Sequential(RefCell<Vec<(String, Value)>>),
    ModuleList(RefCell<Vec<Value>>),
    ModuleDict(RefCell<Vec<(String, Value)>>),
    ParameterList(RefCell<Vec<Tensor>>),
    /// `nn.Unflatten(dim, sizes)`, with the sizes' repr as given (tuple or list).
    Unflatten(i64, Vec<i64>, String),
    Loss(Loss),
    Dropout(f64),
    /// `nn.CosineSimilarity(dim, eps)`.
    CosineSimilarity(i64, f64),
    LayerNorm(LayerNormState),
    /// Convolution, pooling, batch-norm and Dropout2d layers (conv.rs).
    Layer(super::conv::Layer),
    /// Layers defined in their own files (ext.rs: recurrent, attention).
    Ext(Box<dyn super::ext::ExtLayer>),
    /// The native half of a Python subclass of `nn.Module`.
    Custom(Custom),
}

/// `nn.LayerNorm`'s configuration and its affine parameters (absent without
/// `elementwise_affine`, or the bias alone without `bias`).
struct LayerNormState {
    shape: Vec<usize>,
    eps: f64,
    weight: RefCell<Option<Tensor>>,
    bias: RefCell<Option<Tensor>>,
}

/// What PyTorch's `Module.__init__` sets up for a subclass: registered parameters and
/// submodules, in assignment order, and the Python instance whose `forward` runs on call.
struct Custom {
    owner: RefCell<Weak<Instance>>,
    class_name: OnceCell<String>,
    params: RefCell<Vec<(String, Option<Tensor>)>>,
    modules: RefCell<Vec<(String, Value)>>,
}

impl Custom {
    fn owner(&self) -> Option<Value> {
        self.owner.borrow().upgrade().map(Value::Instance)
    }
}

/// The module object behind a value: a built-in module, or the native half of an instance of
/// an `nn.Module` subclass.
pub(super) fn native_module(v: &Value) -> Option<Value> {
    match v {
        Value::Native(_) if v.downcast::<PyModule>().is_some() => Some(v.clone()),
        Value::Instance(i) => i.native.borrow().clone().filter(|n| n.downcast::<PyModule>().is_some()),
        _ => None,
    }
}

fn upsert<T>(list: &mut Vec<(String, T)>, name: &str, value: T) {
    match list.iter_mut().find(|(k, _)| k == name) {
        Some(slot) => slot.1 = value,
        None => list.push((name.to_string(), value)),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Activation {
    ReLU,
    Sigmoid,
    Tanh,
    Softmax(Option<i64>),
    LogSoftmax(Option<i64>),
    Flatten(i64, i64),
    Identity,
    /// `approximate='tanh'`?
    Gelu(bool),
    LeakyRelu(f64),
    Silu,
    Mish,
    Elu(f64),
    Softplus(f64, f64),
    Hardtanh(f64, f64),
}

enum Loss {
    CrossEntropy(CrossEntropyOptions),
    Nll { weight: Option<Tensor>, ignore_index: i64, reduction: Reduction },
    Mse(Reduction),
    L1(Reduction),
    Huber(Reduction, f64),
    SmoothL1(Reduction, f64),
    Bce(Option<Tensor>, Reduction),
    BceWithLogits { weight: Option<Tensor>, pos_weight: Option<Tensor>, reduction: Reduction },
    KlDiv(tnn::KlReduction, bool),
}

/// An `nn.Module` instance.
pub struct PyModule {
    kind: Kind,
    training: Cell<bool>,
    core: super::module::Core,
}

impl PyModule {
    pub(super) fn core(&self) -> &super::module::Core {
        &self.core
    }

    /// The instance of the user's subclass this is the native half of, if any.
    pub(super) fn owner(&self) -> Option<Value> {
        match &self.kind {
            Kind::Custom(c) => c.owner(),
            _ => self.core.owner.borrow().upgrade().map(Value::Instance),
        }
    }

    /// Buffers of this module alone (not its children).
    pub(super) fn own_buffers(&self) -> Vec<super::module::Buffer> {
        let mut v: Vec<super::module::Buffer> = match &self.kind {
            Kind::Layer(l) => l
                .named_buffers()
                .into_iter()
                .map(|(name, t)| super::module::Buffer { name, tensor: Some(t), persistent: true })
                .collect(),
            _ => Vec::new(),
        };
        v.extend(self.core.buffers.borrow().iter().cloned());
        v
    }

    /// What `extra_repr()` returns for a built-in module: the text inside its repr's parentheses.
    pub(super) fn builtin_extra_repr(&self) -> String {
        if matches!(self.kind, Kind::Custom(_) | Kind::Sequential(_) | Kind::ModuleList(_) | Kind::ModuleDict(_) | Kind::ParameterList(_)) {
            return String::new();
        }
        let r = self.leaf_repr();
        r.strip_prefix(self.name()).and_then(|r| r.strip_prefix('(')).and_then(|r| r.strip_suffix(')')).unwrap_or("").to_string()
    }

    /// The `(key): child` lines of this module's repr; ModuleList folds runs of equal children
    /// into `(first-last): n x child`.
    pub(super) fn child_lines(&self, _this: &Value, children: &[(String, Value)], interp: &mut Interpreter) -> R<Vec<String>> {
        let mut reprs = Vec::with_capacity(children.len());
        for (_, c) in children {
            reprs.push(super::module::indent2(&interp.repr(c)?));
        }
        if !matches!(self.kind, Kind::ModuleList(_)) {
            return Ok(children.iter().zip(reprs).map(|((k, _), r)| format!("({k}): {r}")).collect());
        }
        let mut lines = Vec::new();
        let mut start = 0;
        while start < reprs.len() {
            let end = (start..reprs.len()).take_while(|&j| reprs[j] == reprs[start]).last().unwrap_or(start);
            if end == start {
                lines.push(format!("({start}): {}", reprs[start]));
            } else {
                lines.push(format!("({start}-{end}): {} x {}", end - start + 1, reprs[start]));
            }
            start = end + 1;
        }
        Ok(lines)
    }

    pub(super) fn name(&self) -> &str {
        match &self.kind {
            Kind::Custom(c) => c.class_name.get().map_or("Module", String::as_str),
            Kind::Linear(_, lazy) => if lazy.borrow().is_some() { "LazyLinear" } else { "Linear" },
            Kind::Embedding(_) => "Embedding",
            Kind::Sequential(_) => "Sequential",
            Kind::ModuleList(_) => "ModuleList",
            Kind::ModuleDict(_) => "ModuleDict",
            Kind::ParameterList(_) => "ParameterList",
            Kind::Unflatten(..) => "Unflatten",
            Kind::Dropout(_) => "Dropout",
            Kind::CosineSimilarity(..) => "CosineSimilarity",
            Kind::LayerNorm(_) => "LayerNorm",
            Kind::Layer(l) => l.name(),
            Kind::Ext(l) => l.name(),
            Kind::Activation(a) | Kind::Configured(a, _) => match a {
                Activation::ReLU => "ReLU",
                Activation::Sigmoid => "Sigmoid",
                Activation::Tanh => "Tanh",
                Activation::Softmax(_) => "Softmax",
                Activation::LogSoftmax(_) => "LogSoftmax",
                Activation::Flatten(..) => "Flatten",
                Activation::Identity => "Identity",
                Activation::Gelu(_) => "GELU",
                Activation::LeakyRelu(_) => "LeakyReLU",
                Activation::Silu => "SiLU",
                Activation::Mish => "Mish",
                Activation::Elu(_) => "ELU",
                Activation::Softplus(..) => "Softplus",
                Activation::Hardtanh(..) => "Hardtanh",
            },
            Kind::Loss(l) => match l {
                Loss::CrossEntropy(_) => "CrossEntropyLoss",
                Loss::Nll { .. } => "NLLLoss",
                Loss::Mse(_) => "MSELoss",
                Loss::L1(_) => "L1Loss",
                Loss::Huber(..) => "HuberLoss",
                Loss::SmoothL1(..) => "SmoothL1Loss",
                Loss::Bce(..) => "BCELoss",
                Loss::BceWithLogits { .. } => "BCEWithLogitsLoss",
                Loss::KlDiv(..) => "KLDivLoss",
            },
        }
    }

    /// `load_state_dict` into a lazy Linear or convolution still waiting for its first call:
    /// its parameters take the shapes the state dict gives them (`shapes` by own parameter
    /// name), as PyTorch's `_lazy_load_hook` does before the copy.
    pub(super) fn load_lazy(&self, shapes: &[(String, Vec<usize>)]) -> R<()> {
        match &self.kind {
            Kind::Linear(l, lazy) => {
                let l = l.borrow();
                super::uninit::load_lazy(lazy, &[("weight", Some(&l.weight)), ("bias", l.bias.as_ref())], shapes)
            }
            Kind::Layer(l) => l.load_lazy(shapes),
            _ => Ok(()),
        }
    }

    /// This module's own `(name, parameter)` pairs (not its children's), in registration order.
    pub(super) fn own_parameters(&self) -> Vec<(String, Tensor)> {
        if let Some(ps) = &*self.core.params.borrow() {
            return ps.iter().filter_map(|(n, p)| p.clone().map(|p| (n.clone(), p))).collect();
        }
        self.kind_parameters()
    }

    /// `self.name = value` on a built-in module's own fields (a layer's weight, `training`).
    fn set_field(&self, name: &str, value: Value) -> R<bool> {
        if name == "training" {
            self.set_training(value.as_int().is_some_and(|v| v != 0));
            return Ok(true);
        }
        if let Kind::Layer(l) = &self.kind {
            return l.set_attr(name, &value);
        }
        if let Kind::Ext(l) = &self.kind {
            return l.set_attr(name, &value);
        }
        if matches!(self.kind, Kind::Embedding(_) | Kind::LayerNorm(_)) {
            return self.set_own_parameter(name, value);
        }
        let Kind::Linear(l, _) = &self.kind else { return Ok(false) };
        // Only the layer's own names are its fields: a subclass's `self.relu = nn.ReLU()` is
        // an ordinary attribute (or submodule), whatever its type.
        if name != "weight" && name != "bias" {
            return Ok(false);
        }
        let t = match (&value, as_tensor(&value)) {
            (Value::None, _) if name == "bias" => None,
            (_, Some(t)) => Some(t.clone()),
            _ => return Err(Exception::type_error(format!("cannot assign '{}' as parameter '{name}' (torch.nn.Parameter or None expected)", value.type_name()))),
        };
        let mut l = l.borrow_mut();
        match (name, t) {
            ("weight", Some(t)) => l.weight = t,
            ("bias", t) => l.bias = t,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `module.weight = p` on an Embedding or a LayerNorm: `Module.__setattr__` takes a
    /// Parameter (or None where the layer may lack one) for a registered name and refuses a
    /// plain tensor; the layer's forward then reads the new tensor (weight tying shares it).
    fn set_own_parameter(&self, name: &str, value: Value) -> R<bool> {
        if !self.kind_parameters().iter().any(|(k, _)| k == name) && !matches!(self.kind, Kind::LayerNorm(_)) {
            return Ok(false);
        }
        let p = match as_tensor(&value) {
            Some(t) if t.is_parameter() => Some(t.clone()),
            None if value.is_none() => None,
            _ => {
                return Err(Exception::type_error(format!(
                    "cannot assign '{}' as parameter '{name}' (torch.nn.Parameter or None expected)",
                    value_type_for_message(&value)
                )));
            }
        };
        match (&self.kind, name) {
            (Kind::Embedding(e), "weight") => match p {
                Some(p) => e.borrow_mut().weight = p,
                None => return Err(Exception::type_error("lessonrun: an Embedding's weight cannot be set to None".to_string())),
            },
            (Kind::LayerNorm(l), "weight") if l.weight.borrow().is_some() => *l.weight.borrow_mut() = p,
            (Kind::LayerNorm(l), "bias") if l.bias.borrow().is_some() => *l.bias.borrow_mut() = p,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `register_parameter(name, p)`: a subclass's list, or for a built-in module the list
    /// that from now on stands for its parameters (the layer's field set too when it has one,
    /// so that its forward reads the new tensor).
    pub(super) fn register_parameter(&self, name: &str, p: Option<Tensor>) -> R<()> {
        if name.contains('.') {
            return Err(Exception::new("KeyError", "'parameter name can\\'t contain \".\"'"));
        }
        if name.is_empty() {
            return Err(Exception::new("KeyError", "'parameter name can\\'t be empty string \"\"'"));
        }
        if let Kind::Custom(c) = &self.kind {
            c.modules.borrow_mut().retain(|(k, _)| k != name);
            upsert(&mut c.params.borrow_mut(), name, p);
            return Ok(());
        }
        if self.core.buffer(name).is_some() {
            return Err(Exception::new("KeyError", format!("\"attribute '{name}' already exists\"")));
        }
        self.materialize_params();
        let known = self.kind_parameters().iter().any(|(k, _)| k == name);
        if known || self.core.params.borrow().as_ref().is_some_and(|ps| ps.iter().any(|(k, _)| k == name)) {
            // Keep the layer's field in step; a name it does not know is kept in the list only.
            let _ = self.set_field(name, p.clone().map_or(Value::None, tv));
        }
        if let Some(ps) = &mut *self.core.params.borrow_mut() {
            upsert(ps, name, p);
        }
        Ok(())
    }

    /// `del module._parameters[name]`; whether it was there. A built-in layer keeps the tensor
    /// in its field (its forward needs one) until Python assigns another.
    pub(super) fn delete_parameter(&self, name: &str) -> bool {
        if let Kind::Custom(c) = &self.kind {
            let mut ps = c.params.borrow_mut();
            let before = ps.len();
            ps.retain(|(k, _)| k != name);
            return ps.len() != before;
        }
        self.materialize_params();
        let mut params = self.core.params.borrow_mut();
        let Some(ps) = params.as_mut() else { return false };
        let before = ps.len();
        ps.retain(|(k, _)| k != name);
        ps.len() != before
    }

    /// Starts the explicit parameter list of a built-in module from what its kind holds.
    fn materialize_params(&self) {
        if self.core.params.borrow().is_none() && !matches!(self.kind, Kind::Custom(_)) {
            let ps = self.kind_parameters().into_iter().map(|(n, t)| (n, Some(t))).collect();
            *self.core.params.borrow_mut() = Some(ps);
        }
    }

    /// The parameters the kind of module itself holds, before any `register_parameter`.
    fn kind_parameters(&self) -> Vec<(String, Tensor)> {
        match &self.kind {
            Kind::Linear(l, _) => {
                let l = l.borrow();
                let mut v = vec![("weight".to_string(), l.weight.clone())];
                v.extend(l.bias.clone().map(|b| ("bias".to_string(), b)));
                v
            }
            Kind::Embedding(e) => vec![("weight".to_string(), e.borrow().weight.clone())],
            Kind::Layer(l) => l.named_parameters(),
            Kind::Ext(l) => l.named_parameters(),
            Kind::LayerNorm(l) => {
                let mut v: Vec<(String, Tensor)> = l.weight.borrow().clone().map(|w| ("weight".to_string(), w)).into_iter().collect();
                v.extend(l.bias.borrow().clone().map(|b| ("bias".to_string(), b)));
                v
            }
            Kind::ParameterList(ps) => ps.borrow().iter().enumerate().map(|(i, p)| (i.to_string(), p.clone())).collect(),
            Kind::Custom(c) => c.params.borrow().iter().filter_map(|(n, p)| p.clone().map(|p| (n.clone(), p))).collect(),
            _ => Vec::new(),
        }
    }

    pub(super) fn forward(&self, interp: &mut Interpreter, args: &Args) -> R<Value> {
        if let Some(x) = args.pos.first().filter(|x| super::meta::as_meta(x).is_some())
            && !matches!(self.kind, Kind::Custom(_) | Kind::Sequential(_))
        {
            return self.meta_forward(x);
        }
        match &self.kind {
            Kind::Custom(c) => {
                let missing = || {
                    Exception::new("NotImplementedError", format!("Module [{}] is missing the required \"forward\" function", self.name()))
                };
                let owner = c.owner().ok_or_else(missing)?;
                let f = match interp.get_attr(&owner, "forward") {
                    Ok(f) => f,
                    Err(e) if e.py_type() == "AttributeError" => return Err(missing()),
                    Err(e) => return Err(e),
                };
                let call = Args { fname: "forward".into(), this: None, pos: args.pos.clone(), kw: args.kw.clone() };
                interp.call(&f, call)
            }
            Kind::Linear(l, lazy) => {
                let [x] = args.bind(&["input"])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                // A LazyLinear becomes a Linear on its first call, drawing its weights then.
                // The parameters keep their identity (an optimizer made before this call holds
                // them, as with PyTorch's UninitializedParameter) and take the drawn values.
                let pending = lazy.borrow_mut().take();
                if let Some(super::uninit::Lazy::Loaded) = pending {
                    // PyTorch's LazyLinear sets in_features on its first call even when
                    // load_state_dict already gave the weights (its LazyConv does not).
                    l.borrow_mut().in_features = x.shape().last().copied().unwrap_or(0);
                }
                if let Some(super::uninit::Lazy::Pending(rng)) = pending {
                    let (out, bias) = { let l = l.borrow(); (l.out_features, l.bias.is_some()) };
                    let n_in = x.shape().last().copied().unwrap_or(0);
                    crate::tensor::check_size(&[out, n_in]).map_err(exc)?;
                    let fresh = tnn::Linear::new(n_in, out, bias, &mut rng.borrow_mut(), super::default_dtype());
                    let mut l = l.borrow_mut();
                    l.weight.materialize_from(fresh.weight).map_err(exc)?;
                    if let (Some(b), Some(fb)) = (&l.bias, fresh.bias) {
                        b.materialize_from(fb).map_err(exc)?;
                    }
                    l.in_features = n_in;
                }
                Ok(tv(l.borrow().forward(&x).map_err(exc)?))
            }
            Kind::Embedding(e) => {
                let [x] = args.bind(&["input"])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                Ok(tv(e.borrow().forward(&x).map_err(exc)?))
            }
            Kind::Activation(a) | Kind::Configured(a, _) => {
                let [x] = args.bind(&["input"])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                Ok(tv(activation(*a, &x)?))
            }
            Kind::Layer(l) => l.forward(args, self.training.get()),
            Kind::Ext(l) => l.forward(interp, args, self.training.get()),
            Kind::LayerNorm(l) => {
                let [x] = args.bind(&["input"])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                let (w, b) = (l.weight.borrow().clone(), l.bias.borrow().clone());
                Ok(tv(tnn::layer_norm(&x, &l.shape, w.as_ref(), b.as_ref(), l.eps).map_err(exc)?))
            }
            Kind::CosineSimilarity(dim, eps) => {
                let [a, b] = args.bind(&["x1", "x2"])?;
                let (a, b) = (tensor_arg(a.as_ref(), "x1")?, tensor_arg(b.as_ref(), "x2")?);
                Ok(tv(tnn::cosine_similarity(&a, &b, *dim as isize, *eps).map_err(exc)?))
            }
            Kind::Dropout(p) => {
                let [x] = args.bind(&["input"])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                Ok(tv(dropout(&x, *p, self.training.get())?))
            }
            Kind::ModuleList(_) | Kind::ModuleDict(_) | Kind::ParameterList(_) => Err(Exception::new(
                "NotImplementedError",
                format!("Module [{}] is missing the required \"forward\" function", self.name()),
            )),
            Kind::Unflatten(dim, sizes, _) => {
                let [x] = args.bind(&["input"])?;
                let x = tensor_arg(x.as_ref(), "input")?;
                Ok(tv(unflatten(&x, *dim, sizes)?))
            }
            Kind::Sequential(children) => {
                let [x] = args.bind(&["input"])?;
                let mut x = x.unwrap_or(Value::None);
                let children: Vec<Value> = children.borrow().iter().map(|(_, c)| c.clone()).collect();
                for c in &children {
                    x = interp.call_positional(c, vec![x])?;
                }
                Ok(x)
            }
            Kind::Loss(loss) => {
                let [input, target] = args.bind(&["input", "target"])?;
                let input = tensor_arg(input.as_ref(), "input")?;
                let target = tensor_arg(target.as_ref(), "target")?;
                Ok(tv(apply_loss(loss, &input, &target)?))
            }
        }
    }

    /// The forward of a built-in layer given a meta tensor: the output's shape, dtype and
    /// node, from the layer's configuration and its parameters' shapes.
    fn meta_forward(&self, input: &Value) -> R<Value> {
        use super::meta::{self, of_tensor};
        let Some(x) = meta::as_meta(input) else { return Ok(input.clone()) };
        if !self.core.on_meta.get() && !self.kind_parameters().is_empty() {
            return Err(Exception::runtime_error("Tensor on device cpu is not on the expected device meta!"));
        }
        match &self.kind {
            Kind::Linear(l, lazy) => {
                if lazy.borrow().is_some() {
                    return Err(Exception::unsupported("lazy modules on the meta device"));
                }
                let l = l.borrow();
                let bias = l.bias.as_ref().map(of_tensor);
                super::meta_layers::linear(x, &of_tensor(&l.weight), bias.as_ref())
            }
            Kind::Activation(a) | Kind::Configured(a, _) => Ok(match a {
                Activation::Flatten(s, e) => meta::flatten(x, *s, *e)?,
                Activation::Identity => input.clone(),
                a => meta::unary(x, match a {
                    Activation::ReLU => "ReluBackward0",
                    Activation::Sigmoid => "SigmoidBackward0",
                    Activation::Tanh => "TanhBackward0",
                    Activation::Softmax(_) => "SoftmaxBackward0",
                    Activation::LogSoftmax(_) => "LogSoftmaxBackward0",
                    Activation::Gelu(_) => "GeluBackward0",
                    Activation::LeakyRelu(_) => "LeakyReluBackward0",
                    Activation::Silu => "SiluBackward0",
                    Activation::Mish => "MishBackward0",
                    Activation::Elu(_) => "EluBackward0",
                    Activation::Softplus(..) => "SoftplusBackward0",
                    _ => "HardtanhBackward0",
                }),
            }),
            Kind::Dropout(p) if self.training.get() && *p > 0.0 => Ok(super::meta_layers::same_shape(x, "MulBackward0", false)),
            Kind::Dropout(_) => Ok(input.clone()),
            Kind::Layer(l) => l.meta_forward(x, input, self.training.get()),
            _ => Err(Exception::unsupported(format!("{} on the meta device", self.name()))),
        }
    }

    /// The repr of a module without children: `Name(arguments)`.
    pub(super) fn leaf_repr(&self) -> String {
        match &self.kind {
            Kind::Linear(l, lazy) if lazy.borrow().is_some() => format!("Lazy{}", l.borrow().repr()),
            Kind::Linear(l, _) => l.borrow().repr(),
            Kind::Layer(l) => l.repr(),
            Kind::Ext(l) => l.repr(),
            Kind::Embedding(e) => match e.borrow().padding_idx {
                Some(p) => format!("Embedding({}, {}, padding_idx={p})", e.borrow().num_embeddings, e.borrow().embedding_dim),
                None => format!("Embedding({}, {})", e.borrow().num_embeddings, e.borrow().embedding_dim),
            },
            Kind::ParameterList(ps) => parameter_list_repr(&ps.borrow(), 0),
            Kind::LayerNorm(l) => format!(
                "LayerNorm({}, eps={}, elementwise_affine={}, bias={})",
                shape_tuple(&l.shape),
                crate::lang::format::float_repr(l.eps),
                if l.weight.borrow().is_some() { "True" } else { "False" },
                if l.bias.borrow().is_some() { "True" } else { "False" }
            ),
            Kind::Configured(_, text) => format!("{}({text})", self.name()),
            Kind::Unflatten(d, _, sizes) => format!("Unflatten(dim={d}, unflattened_size={sizes})"),
            Kind::Activation(Activation::Softmax(d)) => format!("Softmax(dim={})", d.map_or("None".into(), |d| d.to_string())),
            Kind::Activation(Activation::LogSoftmax(d)) => format!("LogSoftmax(dim={})", d.map_or("None".into(), |d| d.to_string())),
            Kind::Activation(Activation::Flatten(s, e)) => format!("Flatten(start_dim={s}, end_dim={e})"),
            Kind::Activation(Activation::Gelu(t)) => format!("GELU(approximate='{}')", if *t { "tanh" } else { "none" }),
            Kind::Activation(Activation::LeakyRelu(a)) => format!("LeakyReLU(negative_slope={})", crate::lang::format::float_repr(*a)),
            Kind::Dropout(p) => format!("Dropout(p={}, inplace=False)", crate::lang::format::float_repr(*p)),
            _ => format!("{}()", self.name()),
        }
    }
}

/// `ParameterList.__repr__`: one summary line per parameter, indented by four. Its
/// `extra_repr` indents each line by two and `Module.__repr__` keeps a one-line extra repr on
/// the opening line, so a list of one parameter prints on one line, its line still indented.
fn parameter_list_repr(ps: &[Tensor], indent: usize) -> String {
    let line = |i: usize, p: &Tensor| {
        let size: Vec<String> = p.shape().iter().map(usize::to_string).collect();
        let kind = if p.is_parameter() { "Parameter containing" } else { "Tensor" };
        format!("  ({i}): {kind}: [{} of size {}]", p.dtype(), size.join("x"))
    };
    match ps {
        [] => return "ParameterList()".to_string(),
        [p] => return format!("ParameterList({})", line(0, p)),
        _ => {}
    }
    let pad = " ".repeat(indent + 2);
    let mut s = "ParameterList(\n".to_string();
    for (i, p) in ps.iter().enumerate() {
        s.push_str(&format!("{pad}{}\n", line(i, p)));
    }
    s.push_str(&" ".repeat(indent));
    s.push(')');
    s
}

/// `x.unflatten(dim, sizes)`: dimension `dim` split into `sizes` (one may be -1).
pub fn unflatten(x: &Tensor, dim: i64, sizes: &[i64]) -> R<Tensor> {
    let shape = x.shape();
    let n = shape.len() as i64;
    let d = if dim < 0 { dim + n } else { dim };
    if d < 0 || d >= n.max(1) {
        return Err(Exception::new(
            "IndexError",
            format!("Dimension out of range (expected to be in range of [{}, {}], but got {dim})", -n.max(1), n.max(1) - 1),
        ));
    }
    let d = d as usize;
    let mut out: Vec<isize> = shape[..d].iter().map(|&s| s as isize).collect();
    out.extend(sizes.iter().map(|&s| s as isize));
    out.extend(shape[d + 1..].iter().map(|&s| s as isize));
    x.reshape(&out).map_err(exc)
}

/// Dropout as PyTorch computes it: `input * (bernoulli_(1 - p) / (1 - p))` in training mode.
pub fn dropout(x: &Tensor, p: f64, training: bool) -> R<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Exception::value_error(format!("dropout probability has to be between 0 and 1, but got {}", crate::lang::format::float_repr(p))));
    }
    if !training || p == 0.0 {
        return Ok(x.clone());
    }
    if p == 1.0 {
        return x.mul_scalar(crate::tensor::Scalar::Int(0)).map_err(exc);
    }
    let rng = super::generator_arg(&Args::new("dropout", Vec::new()))?;
    let noise = crate::tensor::dropout_noise(&mut rng.borrow_mut(), &x.shape(), x.dtype(), p).map_err(exc)?;
    x.mul(&noise).map_err(exc)
}

/// GELU's `approximate=` argument: true for `'tanh'`, false for `'none'`.
pub fn gelu_tanh(v: Option<&Value>) -> R<bool> {
    match v {
        None => Ok(false),
        Some(Value::Str(s)) if &**s == "none" => Ok(false),
        Some(Value::Str(s)) if &**s == "tanh" => Ok(true),
        Some(v) => Err(Exception::runtime_error(format!("approximate argument must be either none or tanh., got {}", v.repr()))),
    }
}

fn activation(a: Activation, x: &Tensor) -> R<Tensor> {
    let r = match a {
        Activation::ReLU => x.relu(),
        Activation::Sigmoid => x.sigmoid(),
        Activation::Tanh => x.tanh(),
        Activation::Softmax(d) => x.softmax(implicit_dim(d, x)),
        Activation::LogSoftmax(d) => x.log_softmax(implicit_dim(d, x)),
        Activation::Flatten(s, e) => x.flatten(s as isize, e as isize),
        Activation::Identity => Ok(x.clone()),
        Activation::Gelu(t) => x.gelu(t),
        Activation::LeakyRelu(a) => x.leaky_relu(a),
        Activation::Silu => x.silu(),
        Activation::Mish => x.mish(),
        Activation::Elu(a) => x.elu(a),
        Activation::Softplus(b, t) => x.softplus(b, t),
        Activation::Hardtanh(lo, hi) => x.hardtanh(lo, hi),
    };
    r.map_err(exc)
}

/// PyTorch's legacy choice of softmax dim when none is given.
fn implicit_dim(d: Option<i64>, x: &Tensor) -> isize {
    match d {
        Some(d) => d as isize,
        None if matches!(x.dim(), 0 | 1 | 3) => 0,
        None => 1,
    }
}

fn apply_loss(loss: &Loss, input: &Tensor, target: &Tensor) -> R<Tensor> {
    let r = match loss {
        Loss::CrossEntropy(o) => tnn::cross_entropy_with(input, target, o),
        Loss::Nll { weight, ignore_index, reduction } => tnn::nll_loss_with(input, target, weight.as_ref(), *ignore_index, *reduction),
        Loss::Mse(r) => tnn::mse_loss(input, target, *r),
        Loss::L1(r) => tnn::l1_loss(input, target, *r),
        Loss::Huber(r, d) => tnn::huber_loss(input, target, *r, *d),
        Loss::SmoothL1(r, b) => tnn::smooth_l1_loss(input, target, *r, *b),
        Loss::KlDiv(r, log_target) => tnn::kl_div(input, target, *r, *log_target),
        Loss::Bce(w, r) => tnn::binary_cross_entropy(input, target, w.as_ref(), *r),
        Loss::BceWithLogits { weight, pos_weight, reduction } => {
            tnn::binary_cross_entropy_with_logits(input, target, weight.as_ref(), pos_weight.as_ref(), *reduction)
        }
    };
    r.map_err(exc)
}

/// `kl_div`'s `reduction=`, which also takes `'batchmean'`.
fn kl_reduction_arg(v: Option<&Value>) -> R<tnn::KlReduction> {
    match v {
        Some(Value::Str(s)) if &**s == "batchmean" => Ok(tnn::KlReduction::BatchMean),
        v => reduction_arg(v).map(tnn::KlReduction::Plain),
    }
}

pub fn reduction_arg(v: Option<&Value>) -> R<Reduction> {
    match v {
        None | Some(Value::None) => Ok(Reduction::Mean),
        Some(Value::Str(s)) => match &**s {
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            "none" => Ok(Reduction::None),
            other => Err(Exception::value_error(format!("{other} is not a valid value for reduction"))),
        },
        Some(v) => Err(Exception::type_error(format!("reduction must be a str, not {}", v.type_name()))),
    }
}

impl NativeObject for PyModule {
    fn type_name(&self) -> &str {
        self.name()
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(self.copy(c)?))
    }
    fn module_name(&self) -> Option<&str> {
        match &self.kind {
            Kind::Ext(l) => Some(l.module_name()),
            _ => Some("torch.nn"),
        }
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "Module" || type_name == self.name()
    }
    fn repr(&self) -> String {
        self.leaf_repr()
    }
    fn repr_in(&self, this: &Value, interp: &mut Interpreter) -> R<Option<String>> {
        super::module::module_repr(self, this, interp).map(Some)
    }
    fn str_in(&self, this: &Value, interp: &mut Interpreter) -> R<Option<String>> {
        super::module::module_repr(self, this, interp).map(Some)
    }
    fn adopt(&self, instance: &Value) {
        match (&self.kind, instance) {
            (Kind::Custom(c), Value::Instance(i)) => {
                *c.owner.borrow_mut() = Rc::downgrade(i);
                let _ = c.class_name.set(i.class.name.to_string());
            }
            (_, Value::Instance(i)) => {
                *self.core.owner.borrow_mut() = Rc::downgrade(i);
                let _ = self.core.owner_class.set(i.class.name.to_string());
            }
            _ => {}
        }
    }

    fn call(&self, this: &Value, args: Args, interp: &mut Interpreter) -> R<Option<Value>> {
        super::module::call_module(self, this, args, interp).map(Some)
    }

    fn get_attr(&self, this: &Value, name: &str, interp: &mut Interpreter) -> R<Option<Value>> {
        if self.core.is_parametrized() && self.core.parametrized_names().iter().any(|n| n == name) {
            return super::parametrize::parametrized_value(interp, this, name).map(Some);
        }
        if let Some(b) = self.core.buffer(name) {
            return Ok(Some(b.map_or(Value::None, tv)));
        }
        if let Some((_, m)) = self.core.children.borrow().iter().find(|(k, _)| k == name) {
            return Ok(Some(m.clone()));
        }
        if let Some(ps) = &*self.core.params.borrow()
            && let Some((_, p)) = ps.iter().find(|(k, _)| k == name)
        {
            return Ok(Some(p.clone().map_or(Value::None, tv)));
        }
        if matches!(self.kind, Kind::Sequential(_) | Kind::ModuleDict(_))
            && let Some((_, m)) = self.children().into_iter().find(|(k, _)| k == name)
        {
            return Ok(Some(m));
        }
        if let Some(v) = match &self.kind { Kind::Layer(l) => l.get_attr(name), Kind::Ext(l) => l.method(this, name).or_else(|| l.get_attr(name)), _ => None } {
            return Ok(Some(v));
        }
        if let Kind::Embedding(e) = &self.kind {
            let e = e.borrow();
            match name {
                "weight" => return Ok(Some(tv(e.weight.clone()))),
                "num_embeddings" => return Ok(Some(Value::Int(e.num_embeddings as i64))),
                "embedding_dim" => return Ok(Some(Value::Int(e.embedding_dim as i64))),
                "padding_idx" => return Ok(Some(e.padding_idx.map_or(Value::None, |p| Value::Int(p as i64)))),
                _ => {}
            }
        }
        if let Kind::LayerNorm(l) = &self.kind {
            match name {
                "weight" => return Ok(Some(l.weight.borrow().clone().map_or(Value::None, tv))),
                "bias" => return Ok(Some(l.bias.borrow().clone().map_or(Value::None, tv))),
                "eps" => return Ok(Some(Value::Float(l.eps))),
                "normalized_shape" => {
                    return Ok(Some(Value::tuple(l.shape.iter().map(|&d| Value::Int(d as i64)).collect())));
                }
                "elementwise_affine" => return Ok(Some(Value::Bool(l.weight.borrow().is_some()))),
                _ => {}
            }
        }
        if let Kind::Linear(l, lazy) = &self.kind
            && lazy.borrow().as_ref().is_some_and(|z| z.pending().is_some())
            && matches!(name, "weight" | "bias")
        {
            let l = l.borrow();
            let p = if name == "weight" { Some(&l.weight) } else { l.bias.as_ref() };
            return Ok(Some(p.map_or(Value::None, |p| uninitialized(p.clone()))));
        }
        if let Kind::Linear(l, _) = &self.kind {
            let l = l.borrow();
            match name {
                "weight" => return Ok(Some(tv(l.weight.clone()))),
                "bias" => return Ok(Some(l.bias.clone().map_or(Value::None, tv))),
                "in_features" => return Ok(Some(Value::Int(l.in_features as i64))),
                "out_features" => return Ok(Some(Value::Int(l.out_features as i64))),
                _ => {}
            }
        }
        if let Kind::Custom(c) = &self.kind {
            if let Some((_, p)) = c.params.borrow().iter().find(|(k, _)| k == name) {
                return Ok(Some(p.clone().map_or(Value::None, tv)));
            }
            if let Some((_, m)) = c.modules.borrow().iter().find(|(k, _)| k == name) {
                return Ok(Some(m.clone()));
            }
            if name == "forward" {
                // The subclass defines forward; the native half has none of its own.
                return Ok(None);
            }
        }
        if let Some(m) = self.container_method(this, name) {
            return Ok(Some(m));
        }
        // Methods that return the module itself return the Python instance for a subclass.
        let this_module = self.owner().unwrap_or_else(|| this.clone());
        Ok(Some(match name {
            "training" => Value::Bool(self.training.get()),
            "forward" => Value::method(this.clone(), "forward", |interp, args| {
                let m = args.this_native::<PyModule>()?;
                m.forward(interp, &args)
            }),
            "register_parameter" => Value::method(this.clone(), "register_parameter", |_, args| {
                let [name, param] = args.bind(&["name", "param"])?;
                let m = args.this_native::<PyModule>()?;
                let name = match &name {
                    Some(Value::Str(s)) => s.to_string(),
                    v => {
                        return Err(Exception::type_error(format!(
                            "parameter name should be a string. Got {}",
                            v.as_ref().map_or("NoneType".into(), |v| v.type_name())
                        )));
                    }
                };
                let p = match param {
                    None | Some(Value::None) => None,
                    Some(v) => match as_tensor(&v) {
                        Some(t) if t.is_parameter() => Some(t.clone()),
                        _ => {
                            return Err(Exception::type_error(format!(
                                "cannot assign '{}' object to parameter '{name}' (torch.nn.Parameter or None required)",
                                value_type_for_message(&v)
                            )));
                        }
                    },
                };
                m.register_parameter(&name, p)?;
                Ok(Value::None)
            }),
            "add_module" | "register_module" => Value::method(this.clone(), "add_module", |_, args| {
                let [name, module] = args.bind(&["name", "module"])?;
                let m = args.this_native::<PyModule>()?;
                let name = name.map(|n| n.to_str()).unwrap_or_default();
                let module = module.unwrap_or(Value::None);
                match &m.kind {
                    Kind::Custom(c) => upsert(&mut c.modules.borrow_mut(), &name, module),
                    Kind::Sequential(c) | Kind::ModuleDict(c) => upsert(&mut c.borrow_mut(), &name, module_arg(module)?),
                    _ => return Err(Exception::unsupported("add_module on a built-in module")),
                }
                Ok(Value::None)
            }),
            "zero_grad" => Value::method(this.clone(), "zero_grad", |_, args| {
                let [set_to_none] = args.bind(&["set_to_none="])?;
                let m = args.this_native::<PyModule>()?;
                let none = bool_arg(set_to_none.as_ref(), true);
                let me = args.this.clone().unwrap_or(Value::None);
                let _ = m;
                for (_, p) in super::module::named_parameters(&me, "", true) {
                    if none {
                        p.set_grad(None);
                    } else if let Some(g) = p.grad() {
                        let _guard = super::tensor::NoGrad::new();
                        g.zero_().map_err(exc)?;
                    }
                }
                Ok(Value::None)
            }),
            "train" | "eval" => {
                let eval = name == "eval";
                let me = this_module.clone();
                Value::method(this.clone(), if eval { "eval" } else { "train" }, move |_, args| {
                    let mode = if eval { false } else { bool_arg(args.bind::<1>(&["mode="])?[0].as_ref(), true) };
                    let m = args.this_native::<PyModule>()?;
                    m.set_training(mode);
                    Ok(me.clone())
                })
            }
            _ => return Ok(super::module::method(this, name)),
        }))
    }

    /// `delattr(module, name)` of a built-in layer's parameter: the layer keeps the tensor until
    /// an assignment replaces it (forward-mode AD's recipe: delete, then set a dual tensor),
    /// since its forward cannot run without one.
    fn del_attr(&self, _: &Value, name: &str) -> R<bool> {
        if matches!(self.kind, Kind::Custom(_)) {
            return Ok(false);
        }
        Ok(self.own_parameters().iter().any(|(n, _)| n == name))
    }

    fn set_attr(&self, this: &Value, name: &str, value: Value, interp: &mut Interpreter) -> R<bool> {
        if self.core.is_parametrized() && self.core.parametrized_names().iter().any(|n| n == name) {
            super::parametrize::assign(interp, this, name, value)?;
            return Ok(true);
        }
        if self.core.set_buffer(name, &value)? {
            return Ok(true);
        }
        if let Kind::Custom(c) = &self.kind {
            return c.set(name, value);
        }
        if self.core.params.borrow().is_some() {
            // The parameter set was changed from Python: `Module.__setattr__`'s rules decide
            // whether a tensor is registered (a Parameter) or refused (a tensor in place of one).
            let param = as_tensor(&value).filter(|t| t.is_parameter()).cloned();
            let listed = self.core.params.borrow().as_ref().is_some_and(|ps| ps.iter().any(|(k, _)| k == name));
            if let Some(p) = param {
                self.register_parameter(name, Some(p))?;
                return Ok(true);
            }
            if listed && !value.is_none() {
                return Err(Exception::type_error(format!(
                    "cannot assign '{}' as parameter '{name}' (torch.nn.Parameter or None expected)",
                    value_type_for_message(&value)
                )));
            }
        }
        if self.set_field(name, value.clone())? {
            return Ok(true);
        }
        // `Module.__setattr__` registers any module assigned to a module as its child (a
        // subclass of a built-in layer adding `self.relu = nn.ReLU()`).
        if native_module(&value).is_some() && !matches!(self.kind, Kind::Sequential(_) | Kind::ModuleDict(_)) {
            self.set_child(name, value)?;
            return Ok(true);
        }
        Ok(false)
    }

    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(match &self.kind {
            Kind::Sequential(c) => Some(c.borrow().len()),
            Kind::ModuleList(c) => Some(c.borrow().len()),
            Kind::ModuleDict(c) => Some(c.borrow().len()),
            Kind::ParameterList(c) => Some(c.borrow().len()),
            Kind::Ext(l) => l.len(),
            _ => None,
        })
    }

    fn set_item(&self, _: &Value, key: &Value, value: Value, _: &mut Interpreter) -> R<bool> {
        match &self.kind {
            Kind::ModuleList(c) => {
                let m = module_arg(value)?;
                let mut c = c.borrow_mut();
                let j = list_index(key, c.len())?;
                c[j] = m;
            }
            Kind::ModuleDict(c) => {
                let k = dict_key(key)?;
                upsert(&mut c.borrow_mut(), &k, module_arg(value)?);
            }
            Kind::ParameterList(c) => {
                let p = parameter_item(&value)?;
                let mut c = c.borrow_mut();
                let j = list_index(key, c.len())?;
                c[j] = p;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        match &self.kind {
            Kind::ModuleList(c) => {
                let c = c.borrow().clone();
                if let Value::Slice(_) = key {
                    let picked = interp.get_item(&Value::list(c), key)?;
                    let items = interp.iterate(&picked)?;
                    return Ok(Some(module(Kind::ModuleList(RefCell::new(items)))));
                }
                return Ok(Some(c[list_index(key, c.len())?].clone()));
            }
            Kind::ParameterList(c) => {
                let c = c.borrow().clone();
                if let Value::Slice(_) = key {
                    let picked = interp.get_item(&Value::list(c.into_iter().map(tv).collect()), key)?;
                    let items = interp.iterate(&picked)?;
                    let ps = items.iter().map(parameter_item).collect::<R<Vec<_>>>()?;
                    return Ok(Some(module(Kind::ParameterList(RefCell::new(ps)))));
                }
                return Ok(Some(tv(c[list_index(key, c.len())?].clone())));
            }
            Kind::ModuleDict(c) => {
                let k = dict_key(key)?;
                return match c.borrow().iter().find(|(n, _)| *n == k) {
                    Some((_, m)) => Ok(Some(m.clone())),
                    None => Err(Exception::new("KeyError", key.repr())),
                };
            }
            Kind::Ext(l) => {
                if let Some(v) = l.get_item(key)? {
                    return Ok(Some(v));
                }
            }
            _ => {}
        }
        let Kind::Sequential(c) = &self.kind else { return Ok(None) };
        let c: Vec<Value> = c.borrow().iter().map(|(_, v)| v.clone()).collect();
        if let Value::Slice(_) = key {
            // `model[0:2]`: a new Sequential sharing the selected modules.
            let picked = interp.get_item(&Value::list(c), key)?;
            let items = interp.iterate(&picked)?;
            return Ok(Some(sequential(items)));
        }
        let i = key.expect_int("index")?;
        let n = c.len() as i64;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            return Err(Exception::new("IndexError", format!("index {i} is out of range")));
        }
        Ok(Some(c[j as usize].clone()))
    }

    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match &self.kind {
            Kind::Sequential(c) => Some(Value::iter_items(c.borrow().iter().map(|(_, v)| v.clone()).collect())),
            Kind::ModuleList(c) => Some(Value::iter_items(c.borrow().clone())),
            Kind::ModuleDict(c) => Some(Value::iter_items(c.borrow().iter().map(|(k, _)| Value::str(k)).collect())),
            Kind::ParameterList(c) => Some(Value::iter_items(c.borrow().iter().cloned().map(tv).collect())),
            _ => None,
        })
    }
}

impl Custom {
    /// `self.name = value` in a subclass: PyTorch's `Module.__setattr__` registration rules.
    fn set(&self, name: &str, value: Value) -> R<bool> {
        let is_param = as_tensor(&value).is_some_and(Tensor::is_parameter);
        if is_param {
            self.modules.borrow_mut().retain(|(k, _)| k != name);
            upsert(&mut self.params.borrow_mut(), name, as_tensor(&value).cloned());
            return Ok(true);
        }
        if self.params.borrow().iter().any(|(k, _)| k == name) {
            if !value.is_none() {
                return Err(Exception::type_error(format!(
                    "cannot assign '{}' as parameter '{name}' (torch.nn.Parameter or None expected)",
                    value_type_for_message(&value)
                )));
            }
            upsert(&mut self.params.borrow_mut(), name, None);
            return Ok(true);
        }
        if native_module(&value).is_some() {
            upsert(&mut self.modules.borrow_mut(), name, value);
            return Ok(true);
        }
        if self.modules.borrow().iter().any(|(k, _)| k == name) {
            if !value.is_none() {
                return Err(Exception::type_error(format!(
                    "cannot assign '{}' as child module '{name}' (torch.nn.Module or None expected)",
                    value_type_for_message(&value)
                )));
            }
            upsert(&mut self.modules.borrow_mut(), name, Value::None);
            return Ok(true);
        }
        Ok(false)
    }
}

/// How PyTorch names a value's type in its assignment errors (`torch.FloatTensor`, `int`).
fn value_type_for_message(v: &Value) -> String {
    match as_tensor(v) {
        Some(t) => format!("torch.{}Tensor", t.dtype().scalar_name()),
        None => v.type_name(),
    }
}

impl PyModule {
    /// Direct submodules with their names.
    pub(super) fn children(&self) -> Vec<(String, Value)> {
        let mut out = match &self.kind {
            Kind::Sequential(c) => c.borrow().clone(),
            Kind::Custom(c) => c.modules.borrow().iter().filter(|(_, v)| !v.is_none()).cloned().collect(),
            Kind::ModuleList(c) => c.borrow().iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect(),
            Kind::ModuleDict(c) => c.borrow().clone(),
            Kind::Ext(l) => l.children(),
            _ => Vec::new(),
        };
        out.extend(self.core.children.borrow().iter().cloned());
        out
    }

    /// Registers the submodule `name` (a subclass's, a `ModuleDict`'s item, or one assigned to
    /// a built-in layer).
    pub(super) fn set_child(&self, name: &str, child: Value) -> R<()> {
        match &self.kind {
            Kind::Custom(c) => {
                c.params.borrow_mut().retain(|(k, _)| k != name);
                upsert(&mut c.modules.borrow_mut(), name, child);
            }
            Kind::ModuleDict(c) | Kind::Sequential(c) => upsert(&mut c.borrow_mut(), name, child),
            _ => upsert(&mut self.core.children.borrow_mut(), name, child),
        }
        Ok(())
    }

    /// `del module.name` (or `del module_dict[name]`) of a submodule.
    pub(super) fn remove_child(&self, name: &str) -> R<()> {
        match &self.kind {
            Kind::Custom(c) => c.modules.borrow_mut().retain(|(k, _)| k != name),
            Kind::ModuleDict(c) | Kind::Sequential(c) => c.borrow_mut().retain(|(k, _)| k != name),
            _ => self.core.children.borrow_mut().retain(|(k, _)| k != name),
        }
        Ok(())
    }

    pub(super) fn is_training(&self) -> bool {
        self.training.get()
    }

    /// The class name as printed: `ParametrizedLinear` once a tensor is parametrized (PyTorch
    /// swaps in a subclass of that name).
    pub(super) fn display_name(&self) -> String {
        let name = self.core.owner_class.get().map_or(self.name(), String::as_str);
        if self.core.is_parametrized() { format!("Parametrized{name}") } else { name.to_string() }
    }

    /// Sets a built-in layer's fields to the current values of its parametrized tensors.
    pub(super) fn refresh_parametrized(&self, this: &Value, interp: &mut Interpreter) -> R<()> {
        if matches!(self.kind, Kind::Custom(_)) {
            return Ok(());
        }
        for name in self.core.parametrized_names() {
            let v = super::parametrize::parametrized_value(interp, this, &name)?;
            self.set_field(&name, v)?;
        }
        Ok(())
    }

    /// This module's own training flag, not its children's.
    pub(super) fn set_own_training(&self, mode: bool) {
        self.training.set(mode);
    }

    fn set_training(&self, mode: bool) {
        self.training.set(mode);
        for (_, c) in self.children() {
            if let Some(m) = native_module(&c).as_ref().and_then(|m| m.downcast::<PyModule>()) {
                m.set_training(mode);
            }
        }
    }
}

/// A Python index into a list of `len` items, negative from the end.
pub(super) fn list_index(key: &Value, len: usize) -> R<usize> {
    let i = key.expect_int("index")?;
    let j = if i < 0 { i + len as i64 } else { i };
    if j < 0 || j >= len as i64 {
        return Err(Exception::new("IndexError", format!("index {i} is out of range")));
    }
    Ok(j as usize)
}

fn dict_key(key: &Value) -> R<String> {
    match key {
        Value::Str(s) => Ok(s.to_string()),
        v => Err(Exception::type_error(format!("module name should be a string. Got {}", v.type_name()))),
    }
}

/// A value a module container accepts: any `nn.Module`.
fn module_arg(v: Value) -> R<Value> {
    if native_module(&v).is_none() {
        return Err(Exception::type_error(format!("{} is not a Module subclass", v.type_name())));
    }
    Ok(v)
}

/// What `ParameterList` stores for a value: a tensor becomes a Parameter.
fn parameter_item(v: &Value) -> R<Tensor> {
    let t = tensor_arg(Some(v), "parameter")?;
    Ok(if t.is_parameter() { t } else { Tensor::parameter(&t) })
}

/// `list.insert(index, ...)` for each item in turn (Python's clamping of the index), or
/// `list.extend` without an index: what ModuleList and Sequential do with new modules.
fn insert_or_extend(list: &mut Vec<Value>, index: Option<Value>, items: Vec<Value>) -> R<()> {
    let Some(i) = index else {
        list.extend(items);
        return Ok(());
    };
    let n = list.len() as i64;
    let i = i.expect_int("index")?;
    let i = if i < 0 { (i + n).max(0) } else { i.min(n) } as usize;
    for (k, it) in items.into_iter().enumerate() {
        list.insert(i + k, it);
    }
    Ok(())
}

/// `(name, module)` pairs from a dict or an iterable of pairs, for `ModuleDict`.
fn named_modules_arg(interp: &mut Interpreter, v: &Value) -> R<Vec<(String, Value)>> {
    let pairs: Vec<(Value, Value)> = match v {
        Value::Dict(d) => d.borrow().items(),
        v if v.downcast::<PyModule>().is_some_and(|m| matches!(m.kind, Kind::ModuleDict(_))) => {
            let m = v.downcast::<PyModule>().map(PyModule::children).unwrap_or_default();
            m.into_iter().map(|(k, v)| (Value::str(&k), v)).collect()
        }
        v => {
            let mut out = Vec::new();
            for item in interp.iterate(v)? {
                let kv = interp.iterate(&item)?;
                let [k, m] = <[Value; 2]>::try_from(kv).map_err(|kv| {
                    Exception::value_error(format!("ModuleDict update sequence element has length {}; 2 is required", kv.len()))
                })?;
                out.push((k, m));
            }
            out
        }
    };
    pairs.into_iter().map(|(k, m)| Ok((dict_key(&k)?, module_arg(m)?))).collect()
}

impl PyModule {
    /// The list and dict methods of `ModuleList`, `ModuleDict` and `ParameterList`.
    fn container_method(&self, this: &Value, name: &str) -> Option<Value> {
        let me = this.clone();
        let f = match (&self.kind, name) {
            (Kind::ModuleList(_) | Kind::Sequential(_), "append" | "extend" | "insert") | (Kind::ParameterList(_), "append" | "extend") => {
                let name = name.to_string();
                Value::method(this.clone(), &name.clone(), move |interp, args| {
                    let m = args.this_native::<PyModule>()?;
                    let (idx, item) = if name == "insert" {
                        let [i, item] = args.bind(&["index", "module"])?;
                        (i, item.unwrap_or(Value::None))
                    } else {
                        let [item] = args.bind(&["value"])?;
                        (None, item.unwrap_or(Value::None))
                    };
                    let items = if name == "extend" { interp.iterate(&item)? } else { vec![item] };
                    match &m.kind {
                        Kind::ModuleList(c) => {
                            let items = items.into_iter().map(module_arg).collect::<R<Vec<_>>>()?;
                            insert_or_extend(&mut c.borrow_mut(), idx, items)?;
                        }
                        Kind::ParameterList(c) => {
                            let items = items.iter().map(parameter_item).collect::<R<Vec<_>>>()?;
                            c.borrow_mut().extend(items);
                        }
                        Kind::Sequential(c) => {
                            let items = items.into_iter().map(module_arg).collect::<R<Vec<_>>>()?;
                            let mut c = c.borrow_mut();
                            let mut all: Vec<Value> = c.iter().map(|(_, v)| v.clone()).collect();
                            insert_or_extend(&mut all, idx, items)?;
                            *c = all.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect();
                        }
                        _ => {}
                    }
                    Ok(if name == "insert" { Value::None } else { me.clone() })
                })
            }
            (Kind::ModuleDict(_), "keys" | "values" | "items") => {
                let which = name.to_string();
                Value::method(this.clone(), name, move |_, args| {
                    let [] = args.bind(&[])?;
                    let m = args.this_native::<PyModule>()?;
                    let items = m.children().into_iter().map(|(k, v)| match which.as_str() {
                        "keys" => Value::str(&k),
                        "values" => v,
                        _ => Value::tuple(vec![Value::str(&k), v]),
                    });
                    Ok(Value::list(items.collect()))
                })
            }
            (Kind::ModuleDict(_), "update") => Value::method(this.clone(), "update", |interp, args| {
                let [modules] = args.bind(&["modules"])?;
                let pairs = named_modules_arg(interp, &modules.unwrap_or(Value::None))?;
                let m = args.this_native::<PyModule>()?;
                if let Kind::ModuleDict(c) = &m.kind {
                    for (k, v) in pairs {
                        upsert(&mut c.borrow_mut(), &k, v);
                    }
                }
                Ok(Value::None)
            }),
            (Kind::ModuleDict(_), "pop") => Value::method(this.clone(), "pop", |_, args| {
                let [key] = args.bind(&["key"])?;
                let key = key.unwrap_or(Value::None);
                let k = dict_key(&key)?;
                let m = args.this_native::<PyModule>()?;
                let Kind::ModuleDict(c) = &m.kind else { return Ok(Value::None) };
                let mut c = c.borrow_mut();
                match c.iter().position(|(n, _)| *n == k) {
                    Some(i) => Ok(c.remove(i).1),
                    None => Err(Exception::new("KeyError", key.repr())),
                }
            }),
            _ => return None,
        };
        Some(f)
    }
}

/// A module object for one of conv.rs's layers.
pub(super) fn layer_module(l: super::conv::Layer) -> Value {
    module(Kind::Layer(l))
}

impl PyModule {
    /// The layer inside a module defined in its own file, if this is one.
    pub(super) fn ext(&self) -> Option<&dyn super::ext::ExtLayer> {
        if let Kind::Ext(l) = &self.kind { Some(l.as_ref()) } else { None }
    }
}

/// A module object for a layer defined in its own file.
pub(super) fn ext_module(l: impl super::ext::ExtLayer + 'static) -> Value {
    module(Kind::Ext(Box::new(l)))
}

fn module(kind: Kind) -> Value {
    let core = super::module::Core::default();
    core.on_meta.set(super::device::default_device().is_some_and(|d| d.kind == "meta"));
    Value::native(PyModule { kind, training: Cell::new(true), core })
}

/// A Sequential of `items`, named `0`, `1`, ...
fn sequential(items: Vec<Value>) -> Value {
    module(Kind::Sequential(RefCell::new(items.into_iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect())))
}

/// `nn.Parameter`: a leaf tensor that requires grad and prints as `Parameter containing:`.
pub fn parameter(data: Option<&Value>, requires_grad: bool) -> R<Value> {
    let t = match data {
        None | Some(Value::None) => Tensor::zeros(&[0], super::default_dtype()),
        Some(v) => tensor_arg(Some(v), "data")?,
    };
    let p = Tensor::parameter(&t);
    if !requires_grad {
        p.set_requires_grad(false).map_err(exc)?;
    }
    Ok(tv(p))
}

/// A shape as a Python tuple: `(4,)`, `(2, 3)`.
fn shape_tuple(shape: &[usize]) -> String {
    match shape {
        [d] => format!("({d},)"),
        s => format!("({})", s.iter().map(usize::to_string).collect::<Vec<_>>().join(", ")),
    }
}

/// `normalized_shape` as LayerNorm takes it: an int or a sequence of ints.
fn normalized_shape_arg(interp: &mut Interpreter, v: Option<Value>) -> R<Vec<usize>> {
    let v = v.unwrap_or(Value::None);
    let dims = match v.as_int() {
        Some(d) if !matches!(v, Value::Bool(_)) => vec![d],
        _ => interp.iterate(&v)?.iter().map(|d| d.expect_int("normalized_shape")).collect::<R<Vec<_>>>()?,
    };
    dims.into_iter()
        .map(|d| usize::try_from(d).map_err(|_| Exception::runtime_error(format!("Trying to create tensor with negative dimension {d}: [{d}]"))))
        .collect()
}

/// An argument as a module's repr shows it: the value as given, else the float default.
fn arg_text(v: Option<&Value>, default: f64) -> String {
    match v {
        Some(v) => v.repr(),
        None => crate::lang::format::float_repr(default),
    }
}

/// The `torch.nn.functional` activations whose modules live here.
pub fn add_functional(m: &Module) {
    m.set("silu", Value::builtin("silu", |_, args| {
        let [x, _inplace] = args.bind(&["input", "inplace="])?;
        Ok(tv(tensor_arg(x.as_ref(), "input")?.silu().map_err(exc)?))
    }));
    m.set("mish", Value::builtin("mish", |_, args| {
        let [x, _inplace] = args.bind(&["input", "inplace="])?;
        Ok(tv(tensor_arg(x.as_ref(), "input")?.mish().map_err(exc)?))
    }));
    m.set("elu", Value::builtin("elu", |_, args| {
        let [x, alpha, _inplace] = args.bind(&["input", "alpha=", "inplace="])?;
        let a = f64_arg(alpha.as_ref(), 1.0, "alpha")?;
        Ok(tv(tensor_arg(x.as_ref(), "input")?.elu(a).map_err(exc)?))
    }));
    m.set("softplus", Value::builtin("softplus", |_, args| {
        let [x, beta, threshold] = args.bind(&["input", "beta=", "threshold="])?;
        let (b, t) = (f64_arg(beta.as_ref(), 1.0, "beta")?, f64_arg(threshold.as_ref(), 20.0, "threshold")?);
        Ok(tv(tensor_arg(x.as_ref(), "input")?.softplus(b, t).map_err(exc)?))
    }));
    m.set("layer_norm", Value::builtin("layer_norm", |interp, args| {
        let [x, shape, weight, bias, eps] = args.bind(&["input", "normalized_shape", "weight=", "bias=", "eps="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let shape = normalized_shape_arg(interp, shape)?;
        let w = weight.as_ref().and_then(as_tensor).cloned();
        let b = bias.as_ref().and_then(as_tensor).cloned();
        let eps = f64_arg(eps.as_ref(), 1e-5, "eps")?;
        Ok(tv(tnn::layer_norm(&x, &shape, w.as_ref(), b.as_ref(), eps).map_err(exc)?))
    }));
    m.set("embedding", Value::builtin("embedding", |_, args| {
        let [x, weight, padding_idx, _max_norm, _norm_type, _scale, _sparse] =
            args.bind(&["input", "weight", "padding_idx=", "max_norm=", "norm_type=", "scale_grad_by_freq=", "sparse="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let w = tensor_arg(weight.as_ref(), "weight")?;
        let pad = match padding_idx {
            None | Some(Value::None) => None,
            Some(v) => {
                let p = v.expect_int("padding_idx")?;
                let n = w.shape().first().copied().unwrap_or(0) as i64;
                let p = if p < 0 { p + n } else { p };
                if p < 0 || p >= n {
                    return Err(Exception::new("AssertionError", "Padding_idx must be within num_embeddings"));
                }
                Some(p as usize)
            }
        };
        Ok(tv(tnn::embedding(&x, &w, pad).map_err(exc)?))
    }));
    m.set("normalize", Value::builtin("normalize", |_, args| {
        let [x, p, dim, eps, _out] = args.bind(&["input", "p=", "dim=", "eps=", "out="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let p = f64_arg(p.as_ref(), 2.0, "p")?;
        let dim = dim.map_or(Ok(1), |v| v.expect_int("dim"))?;
        let eps = f64_arg(eps.as_ref(), 1e-12, "eps")?;
        Ok(tv(tnn::normalize(&x, p, dim as isize, eps).map_err(exc)?))
    }));
    m.set("cosine_similarity", Value::builtin("cosine_similarity", |_, args| {
        let [a, b, dim, eps] = args.bind(&["x1", "x2", "dim=", "eps="])?;
        let (a, b) = (tensor_arg(a.as_ref(), "x1")?, tensor_arg(b.as_ref(), "x2")?);
        let dim = dim.map_or(Ok(1), |v| v.expect_int("dim"))?;
        let eps = f64_arg(eps.as_ref(), 1e-8, "eps")?;
        Ok(tv(tnn::cosine_similarity(&a, &b, dim as isize, eps).map_err(exc)?))
    }));
    m.set("kl_div", Value::builtin("kl_div", |_, args| {
        let [x, t, _sa, _reduce, reduction, log_target] =
            args.bind(&["input", "target", "size_average=", "reduce=", "reduction=", "log_target="])?;
        let (x, t) = (tensor_arg(x.as_ref(), "input")?, tensor_arg(t.as_ref(), "target")?);
        let r = kl_reduction_arg(reduction.as_ref())?;
        Ok(tv(tnn::kl_div(&x, &t, r, bool_arg(log_target.as_ref(), false)).map_err(exc)?))
    }));
    m.set("hardtanh", Value::builtin("hardtanh", |_, args| {
        let [x, lo, hi, _inplace] = args.bind(&["input", "min_val=", "max_val=", "inplace="])?;
        let (l, h) = (f64_arg(lo.as_ref(), -1.0, "min_val")?, f64_arg(hi.as_ref(), 1.0, "max_val")?);
        Ok(tv(tensor_arg(x.as_ref(), "input")?.hardtanh(l, h).map_err(exc)?))
    }));
}

/// Builds the `torch.nn` module.
pub fn nn_module(shared: &std::rc::Rc<Shared>) -> Module {
    let m = Module::new("torch.nn");
    let g = shared.clone();
    m.set("Linear", class("Linear", "torch.nn", move |_, args| {
        let [i, o, bias, device, dtype] = args.bind(&["in_features", "out_features", "bias=", "device=", "dtype="])?;
        let _on = super::device::build_on(device.as_ref())?;
        let dtype = super::or_default(super::convert::dtype_arg(dtype.as_ref())?);
        if !dtype.is_floating_point() {
            return Err(Exception::type_error("nn.Linear(dtype=) must be a floating-point dtype"));
        }
        let i = i.map_or(Ok(0), |v| v.expect_int("in_features"))?;
        let o = o.map_or(Ok(0), |v| v.expect_int("out_features"))?;
        if i < 0 || o < 0 {
            return Err(Exception::runtime_error(format!("Trying to create tensor with negative dimension {}: [{o}, {i}]", i.min(o))));
        }
        crate::tensor::check_size(&[o as usize, i as usize]).map_err(exc)?;
        let lin = tnn::Linear::new(i as usize, o as usize, bool_arg(bias.as_ref(), true), &mut g.rng.borrow_mut(), dtype);
        Ok(module(Kind::Linear(RefCell::new(lin), RefCell::new(None))))
    }));
    let g = shared.clone();
    m.set("LazyLinear", class("LazyLinear", "torch.nn", move |_, args| {
        let [o, bias, _device, _dtype] = args.bind(&["out_features", "bias=", "device=", "dtype="])?;
        let o = o.map_or(Ok(0), |v| v.expect_int("out_features"))?;
        if o < 0 {
            return Err(Exception::runtime_error(format!("Trying to create tensor with negative dimension {o}: [{o}, 0]")));
        }
        // Shapes without draws until the first call: (out, 0) draws nothing from the generator.
        let mut none = crate::tensor::Generator::new(0);
        let lin = tnn::Linear::new(0, o as usize, bool_arg(bias.as_ref(), true), &mut none, super::default_dtype());
        Ok(module(Kind::Linear(RefCell::new(lin), RefCell::new(Some(super::uninit::Lazy::Pending(g.rng.clone()))))))
    }));
    for (name, act) in [("ReLU", Activation::ReLU), ("Sigmoid", Activation::Sigmoid), ("Tanh", Activation::Tanh), ("Identity", Activation::Identity)] {
        m.set(name, class(name, "torch.nn", move |_, args| {
            // ReLU(inplace=False) is the only argument these take (`inplace=True`: inplace.rs).
            if matches!(act, Activation::ReLU) || (!args.pos.is_empty() && !matches!(act, Activation::Identity)) {
                let [_inplace] = args.bind(&["inplace="])?;
            }
            Ok(module(Kind::Activation(act)))
        }));
    }
    for (name, log) in [("Softmax", false), ("LogSoftmax", true)] {
        m.set(name, class(name, "torch.nn", move |_, args| {
            let [dim] = args.bind(&["dim="])?;
            let d = match dim {
                None | Some(Value::None) => None,
                Some(v) => Some(v.expect_int("dim")?),
            };
            Ok(module(Kind::Activation(if log { Activation::LogSoftmax(d) } else { Activation::Softmax(d) })))
        }));
    }
    let g = shared.clone();
    m.set("Embedding", class("Embedding", "torch.nn", move |_, args| {
        let [num, dim, padding_idx] = args.bind(&["num_embeddings", "embedding_dim", "padding_idx="])?;
        let num = num.map_or(Ok(0), |v| v.expect_int("num_embeddings"))?;
        let dim = dim.map_or(Ok(0), |v| v.expect_int("embedding_dim"))?;
        if num < 0 || dim < 0 {
            return Err(Exception::runtime_error(format!("Trying to create tensor with negative dimension {}: [{num}, {dim}]", num.min(dim))));
        }
        let pad = match padding_idx {
            None | Some(Value::None) => None,
            Some(v) => {
                let p = v.expect_int("padding_idx")?;
                let p = if p < 0 { p + num } else { p };
                if p < 0 || p >= num {
                    return Err(Exception::new("AssertionError", "Padding_idx must be within num_embeddings"));
                }
                Some(p as usize)
            }
        };
        crate::tensor::check_size(&[num as usize, dim as usize]).map_err(exc)?;
        let e = tnn::Embedding::new(num as usize, dim as usize, pad, &mut g.rng.borrow_mut(), super::default_dtype()).map_err(exc)?;
        Ok(module(Kind::Embedding(RefCell::new(e))))
    }));
    m.set("GELU", class("GELU", "torch.nn", |_, args| {
        let [approximate] = args.bind(&["approximate="])?;
        Ok(module(Kind::Activation(Activation::Gelu(gelu_tanh(approximate.as_ref())?))))
    }));
    m.set("LeakyReLU", class("LeakyReLU", "torch.nn", |_, args| {
        // `inplace=True`: inplace.rs.
        let [slope, _inplace] = args.bind(&["negative_slope=", "inplace="])?;
        let slope = f64_arg(slope.as_ref(), 0.01, "negative_slope")?;
        Ok(module(Kind::Activation(Activation::LeakyRelu(slope))))
    }));
    for (name, act) in [("SiLU", Activation::Silu), ("Mish", Activation::Mish)] {
        m.set(name, class(name, "torch.nn", move |_, args| {
            let [_inplace] = args.bind(&["inplace="])?;
            Ok(module(Kind::Activation(act)))
        }));
    }
    m.set("ELU", class("ELU", "torch.nn", |_, args| {
        let [alpha, _inplace] = args.bind(&["alpha=", "inplace="])?;
        let a = f64_arg(alpha.as_ref(), 1.0, "alpha")?;
        Ok(module(Kind::Configured(Activation::Elu(a), format!("alpha={}", arg_text(alpha.as_ref(), 1.0)))))
    }));
    m.set("Softplus", class("Softplus", "torch.nn", |_, args| {
        let [beta, threshold] = args.bind(&["beta=", "threshold="])?;
        let (b, t) = (f64_arg(beta.as_ref(), 1.0, "beta")?, f64_arg(threshold.as_ref(), 20.0, "threshold")?);
        let text = format!("beta={}, threshold={}", arg_text(beta.as_ref(), 1.0), arg_text(threshold.as_ref(), 20.0));
        Ok(module(Kind::Configured(Activation::Softplus(b, t), text)))
    }));
    m.set("Hardtanh", class("Hardtanh", "torch.nn", |_, args| {
        let [lo, hi, _inplace] = args.bind(&["min_val=", "max_val=", "inplace="])?;
        let (l, h) = (f64_arg(lo.as_ref(), -1.0, "min_val")?, f64_arg(hi.as_ref(), 1.0, "max_val")?);
        if h <= l {
            return Err(Exception::new("AssertionError", ""));
        }
        let text = format!("min_val={}, max_val={}", arg_text(lo.as_ref(), -1.0), arg_text(hi.as_ref(), 1.0));
        Ok(module(Kind::Configured(Activation::Hardtanh(l, h), text)))
    }));
    m.set("LayerNorm", class("LayerNorm", "torch.nn", |interp, args| {
        let [shape, eps, affine, bias] = args.bind(&["normalized_shape", "eps=", "elementwise_affine=", "bias="])?;
        let shape = normalized_shape_arg(interp, shape)?;
        let eps = f64_arg(eps.as_ref(), 1e-5, "eps")?;
        let affine = bool_arg(affine.as_ref(), true);
        let param = |v: f64| Tensor::parameter(&Tensor::full(&shape, crate::tensor::Scalar::Float(v), super::default_dtype()));
        let weight = affine.then(|| param(1.0));
        let bias = (affine && bool_arg(bias.as_ref(), true)).then(|| param(0.0));
        Ok(module(Kind::LayerNorm(LayerNormState { shape, eps, weight: RefCell::new(weight), bias: RefCell::new(bias) })))
    }));
    m.set("CosineSimilarity", class("CosineSimilarity", "torch.nn", |_, args| {
        let [dim, eps] = args.bind(&["dim=", "eps="])?;
        let dim = dim.map_or(Ok(1), |v| v.expect_int("dim"))?;
        Ok(module(Kind::CosineSimilarity(dim, f64_arg(eps.as_ref(), 1e-8, "eps")?)))
    }));
    m.set("KLDivLoss", class("KLDivLoss", "torch.nn", |_, args| {
        let [_sa, _reduce, reduction, log_target] = args.bind(&["size_average=", "reduce=", "reduction=", "log_target="])?;
        let r = kl_reduction_arg(reduction.as_ref())?;
        Ok(module(Kind::Loss(Loss::KlDiv(r, bool_arg(log_target.as_ref(), false)))))
    }));
    m.set("Flatten", class("Flatten", "torch.nn", |_, args| {
        let [s, e] = args.bind(&["start_dim=", "end_dim="])?;
        Ok(module(Kind::Activation(Activation::Flatten(
            s.map_or(Ok(1), |v| v.expect_int("start_dim"))?,
            e.map_or(Ok(-1), |v| v.expect_int("end_dim"))?,
        ))))
    }));
    m.set("Dropout", class("Dropout", "torch.nn", |_, args| {
        let [p, _inplace] = args.bind(&["p=", "inplace="])?;
        let p = f64_arg(p.as_ref(), 0.5, "p")?;
        if !(0.0..=1.0).contains(&p) {
            return Err(Exception::value_error(format!("dropout probability has to be between 0 and 1, but got {}", crate::lang::format::float_repr(p))));
        }
        Ok(module(Kind::Dropout(p)))
    }));
    m.set("Sequential", class("Sequential", "torch.nn", |interp, args| {
        // `nn.Sequential(OrderedDict([...]))` names its children by the dict's keys.
        if let [d] = &args.pos[..]
            && native_module(d).is_none()
        {
            let items = interp
                .get_attr(d, "items")
                .map_err(|_| Exception::type_error(format!("{} is not a Module subclass", d.type_name())))?;
            let items = interp.call_positional(&items, Vec::new())?;
            let mut named = Vec::new();
            for kv in interp.iterate(&items)? {
                let kv = interp.iterate(&kv)?;
                if let [k, v] = &kv[..] {
                    upsert(&mut named, &dict_key(k)?, module_arg(v.clone())?);
                }
            }
            return Ok(module(Kind::Sequential(RefCell::new(named))));
        }
        let items = args.pos.iter().cloned().map(module_arg).collect::<R<Vec<_>>>()?;
        Ok(sequential(items))
    }));
    m.set("ModuleList", class("ModuleList", "torch.nn", |interp, args| {
        let [modules] = args.bind(&["modules="])?;
        let items = match modules {
            None | Some(Value::None) => Vec::new(),
            Some(v) => interp.iterate(&v)?.into_iter().map(module_arg).collect::<R<Vec<_>>>()?,
        };
        Ok(module(Kind::ModuleList(RefCell::new(items))))
    }));
    m.set("ModuleDict", class("ModuleDict", "torch.nn", |interp, args| {
        let [modules] = args.bind(&["modules="])?;
        let mut items = Vec::new();
        if let Some(v) = modules.filter(|v| !v.is_none()) {
            for (k, m) in named_modules_arg(interp, &v)? {
                upsert(&mut items, &k, m);
            }
        }
        Ok(module(Kind::ModuleDict(RefCell::new(items))))
    }));
    m.set("ParameterList", class("ParameterList", "torch.nn", |interp, args| {
        let [values] = args.bind(&["values="])?;
        let items = match values {
            None | Some(Value::None) => Vec::new(),
            Some(v) => interp.iterate(&v)?.iter().map(parameter_item).collect::<R<Vec<_>>>()?,
        };
        Ok(module(Kind::ParameterList(RefCell::new(items))))
    }));
    m.set("Unflatten", class("Unflatten", "torch.nn", |interp, args| {
        let [dim, sizes] = args.bind(&["dim", "unflattened_size"])?;
        let dim = dim.map_or(Ok(0), |v| v.expect_int("dim"))?;
        let sizes_v = sizes.unwrap_or(Value::None);
        let sizes = interp.iterate(&sizes_v)?.iter().map(|v| v.expect_int("unflattened_size")).collect::<R<Vec<_>>>()?;
        Ok(module(Kind::Unflatten(dim, sizes, sizes_v.repr())))
    }));
    m.set("Parameter", class("Parameter", "torch.nn.parameter", |_, args| {
        let [data, rg] = args.bind(&["data=", "requires_grad="])?;
        parameter(data.as_ref(), bool_arg(rg.as_ref(), true))
    }));
    m.set("CrossEntropyLoss", class("CrossEntropyLoss", "torch.nn", |_, args| {
        let [weight, _size_average, ignore_index, _reduce, reduction, label_smoothing] =
            args.bind(&["weight=", "size_average=", "ignore_index=", "reduce=", "reduction=", "label_smoothing="])?;
        Ok(module(Kind::Loss(Loss::CrossEntropy(CrossEntropyOptions {
            weight: weight.as_ref().and_then(as_tensor).cloned(),
            ignore_index: ignore_index.map_or(Ok(-100), |v| v.expect_int("ignore_index"))?,
            reduction: reduction_arg(reduction.as_ref())?,
            label_smoothing: f64_arg(label_smoothing.as_ref(), 0.0, "label_smoothing")?,
        }))))
    }));
    m.set("NLLLoss", class("NLLLoss", "torch.nn", |_, args| {
        let [weight, _sa, ignore_index, _reduce, reduction] = args.bind(&["weight=", "size_average=", "ignore_index=", "reduce=", "reduction="])?;
        Ok(module(Kind::Loss(Loss::Nll {
            weight: weight.as_ref().and_then(as_tensor).cloned(),
            ignore_index: ignore_index.map_or(Ok(-100), |v| v.expect_int("ignore_index"))?,
            reduction: reduction_arg(reduction.as_ref())?,
        })))
    }));
    for name in ["MSELoss", "L1Loss"] {
        m.set(name, class(name, "torch.nn", move |_, args| {
            let [_sa, _reduce, reduction] = args.bind(&["size_average=", "reduce=", "reduction="])?;
            let r = reduction_arg(reduction.as_ref())?;
            Ok(module(Kind::Loss(if name == "MSELoss" { Loss::Mse(r) } else { Loss::L1(r) })))
        }));
    }
    m.set("HuberLoss", class("HuberLoss", "torch.nn", |_, args| {
        let [reduction, delta] = args.bind(&["reduction=", "delta="])?;
        Ok(module(Kind::Loss(Loss::Huber(reduction_arg(reduction.as_ref())?, f64_arg(delta.as_ref(), 1.0, "delta")?))))
    }));
    m.set("SmoothL1Loss", class("SmoothL1Loss", "torch.nn", |_, args| {
        let [_sa, _reduce, reduction, beta] = args.bind(&["size_average=", "reduce=", "reduction=", "beta="])?;
        Ok(module(Kind::Loss(Loss::SmoothL1(reduction_arg(reduction.as_ref())?, f64_arg(beta.as_ref(), 1.0, "beta")?))))
    }));
    m.set("BCELoss", class("BCELoss", "torch.nn", |_, args| {
        let [weight, _sa, _reduce, reduction] = args.bind(&["weight=", "size_average=", "reduce=", "reduction="])?;
        Ok(module(Kind::Loss(Loss::Bce(weight.as_ref().and_then(as_tensor).cloned(), reduction_arg(reduction.as_ref())?))))
    }));
    m.set("BCEWithLogitsLoss", class("BCEWithLogitsLoss", "torch.nn", |_, args| {
        let [weight, _sa, _reduce, reduction, pos_weight] = args.bind(&["weight=", "size_average=", "reduce=", "reduction=", "pos_weight="])?;
        // The module registers both as buffers, which must be tensors.
        let buffer = |v: Option<Value>, name: &str| -> R<Option<Tensor>> {
            match v {
                None | Some(Value::None) => Ok(None),
                Some(v) => as_tensor(&v).cloned().map(Some).ok_or_else(|| {
                    Exception::type_error(format!("cannot assign '{}' object to buffer '{name}' (torch Tensor or None required)", v.type_name()))
                }),
            }
        };
        let (weight, pos_weight) = (buffer(weight, "weight")?, buffer(pos_weight, "pos_weight")?);
        Ok(module(Kind::Loss(Loss::BceWithLogits { weight, pos_weight, reduction: reduction_arg(reduction.as_ref())? })))
    }));
    // `class Net(nn.Module)`: `super().__init__()` makes this native half, which keeps the
    // registered parameters and submodules and calls the subclass's `forward`.
    m.set("Module", class("Module", "torch.nn", |_, _| {
        Ok(module(Kind::Custom(Custom {
            owner: RefCell::new(Weak::new()),
            class_name: OnceCell::new(),
            params: RefCell::new(Vec::new()),
            modules: RefCell::new(Vec::new()),
        })))
    }));
    super::conv::register(&m, shared);
    super::conv_transpose::register(&m, shared);
    super::rnn::register(&m, shared);
    super::transformer::register(&m, shared);
    super::transformer_full::register(&m);
    super::upsample::register(&m);
    super::losses_more::register(&m);
    super::layers_more::register(&m);
    super::embedding_bag::register(&m, shared.rng.clone());
    super::bilinear::register(&m, shared.rng.clone());
    super::rms_norm::register(&m);
    super::data_parallel::register(&m);
    super::adaptive1d::register(&m);
    super::channel_layers::register(&m);
    super::dropout_nd::register(&m);
    super::fold::register(&m);
    super::adaptive_max1d::register(&m);
    super::local_response_norm::register(&m);
    super::adaptive_max::register(&m);
    super::conv3d::register(&m, shared);
    super::pool3d::register(&m);
    super::unpool::register(&m);
    super::lp_pool::register(&m);
    super::rrelu::register(&m);
    super::alpha_dropout::register(&m);
    super::ctc::register(&m);
    super::fractional_max::register(&m);
    m
}

fn py_key(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        v => v.repr(),
    }
}

/// `module.state_dict()`: parameter names to detached tensors, printed as an `OrderedDict`.
pub struct PyStateDict(Vec<(String, Tensor)>);

impl PyStateDict {
    pub(super) fn new(entries: Vec<(String, Tensor)>) -> PyStateDict {
        PyStateDict(entries)
    }
}

impl NativeObject for PyStateDict {
    fn type_name(&self) -> &str {
        "OrderedDict"
    }
    fn is_instance_of(&self, type_name: &str) -> bool {
        type_name == "OrderedDict" || type_name == "dict"
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(self.copy(c)?))
    }
    fn module_name(&self) -> Option<&str> {
        Some("collections")
    }
    fn repr(&self) -> String {
        let items: Vec<String> = self.0.iter().map(|(k, t)| format!("('{k}', {})", tv(t.clone()).repr())).collect();
        if items.is_empty() {
            return "OrderedDict()".into();
        }
        format!("OrderedDict([{}])", items.join(", "))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.0.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.0.iter().map(|(k, _)| Value::str(k)).collect())))
    }
    fn get_item(&self, _: &Value, key: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let k = py_key(key);
        match self.0.iter().find(|(n, _)| *n == k) {
            Some((_, t)) => Ok(Some(tv(t.clone()))),
            None => Err(Exception::new("KeyError", key.repr())),
        }
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let which = match name {
            "keys" => 0,
            "values" => 1,
            "items" => 2,
            _ => return Ok(None),
        };
        Ok(Some(Value::method(this.clone(), name, move |_, args| {
            let [] = args.bind(&[])?;
            let d = args.this_native::<PyStateDict>()?;
            let items = d
                .0
                .iter()
                .map(|(k, t)| match which {
                    0 => Value::str(k),
                    1 => tv(t.clone()),
                    _ => Value::tuple(vec![Value::str(k), tv(t.clone())]),
                })
                .collect();
            Ok(Value::native(OdictView { kind: ["odict_keys", "odict_values", "odict_items"][which], items }))
        })))
    }
}

/// `state_dict().keys()` / `.values()` / `.items()`: a view printed as `odict_keys([...])`.
/// A snapshot of the entries (the state dict itself is never mutated in place here).
struct OdictView {
    kind: &'static str,
    items: Vec<Value>,
}

impl NativeObject for OdictView {
    fn type_name(&self) -> &str {
        self.kind
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(OdictView { kind: self.kind, items: self.items.iter().map(|v| c.value(v)).collect::<Option<_>>()? }))
    }
    fn repr(&self) -> String {
        let items: Vec<String> = self.items.iter().map(Value::repr).collect();
        format!("{}([{}])", self.kind, items.join(", "))
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.items.len()))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::iter_items(self.items.clone())))
    }
}

use super::uninit::Uninitialized;

mod snapshot;

/// What a lazy module's `weight` is before its first call: the parameter it will become.
pub(super) fn uninitialized(param: Tensor) -> Value {
    Value::native(Uninitialized(param))
}
