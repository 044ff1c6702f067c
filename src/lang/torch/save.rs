//! `torch.save` and `torch.load`. A lesson may not write files, so what it saves is kept in
//! the interpreter, by path, as pickle would round-trip it (a deep copy; tensors lose their
//! graphs; classes by reference), and `torch.load` gives back a fresh copy. What real
//! PyTorch refuses is refused alike: objects of classes a lesson defines cannot be pickled
//! (the oracle's lesson module cannot be imported), and `weights_only` loads (the default)
//! accept only tensors, containers and PyTorch's plain types, naming the first other global.

use crate::lang::interp::Copier;
use crate::lang::pathlib::fspath;
use crate::lang::{Exception, Module, Value};

type R<T> = Result<T, Exception>;

pub fn install(m: &Module) {
    m.set(
        "save",
        Value::builtin("save", |interp, args| {
            let [obj, f, _pickle_module, _protocol, _zipfile] = args.bind(&[
                "obj",
                "f",
                "pickle_module=",
                "pickle_protocol=",
                "_use_new_zipfile_serialization=",
            ])?;
            let (obj, path) = (obj.unwrap_or(Value::None), path_arg(f, true)?);
            if let Err(e) = refuse_pickle(&obj) {
                // Pickle fails midway, after the archive was opened: a truncated file is left.
                interp.saved.insert(path, None);
                return Err(e);
            }
            let copy = Copier::pickling().value(&obj).ok_or_else(|| {
                Exception::unsupported(
                    "torch.save of an object holding a generator function, a hook or an iterator",
                )
            })?;
            interp.saved.insert(path, Some(copy));
            Ok(Value::None)
        }),
    );
    m.set(
        "load",
        Value::builtin("load", |interp, args| {
            let [f, map_location, _pickle_module, weights_only, _mmap] = args.bind(&[
                "f",
                "map_location=",
                "pickle_module=",
                "weights_only=",
                "mmap=",
            ])?;
            let shown = match &f {
                Some(Value::Str(s)) => s.to_string(),
                Some(v) => fspath(v).unwrap_or_default(),
                None => String::new(),
            };
            let path = path_arg(f, false)?;
            let saved = match interp.saved.get(&path) {
                None => {
                    return Err(Exception::new(
                        "FileNotFoundError",
                        format!("[Errno 2] No such file or directory: '{shown}'"),
                    ));
                }
                Some(None) => return Err(Exception::runtime_error(TRUNCATED)),
                Some(Some(v)) => v.clone(),
            };
            // Storages mapped onto a GPU: what PyTorch raises on a machine without one.
            if let Some(m) = map_location.filter(|m| matches!(m, Value::Str(_)) || m.downcast::<super::device::PyDevice>().is_some())
                && super::device::parse_device(&m)?.kind == "cuda"
            {
                return Err(Exception::runtime_error(
                    "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your storages to the CPU.",
                ));
            }
            // PyTorch 2.6 made `weights_only=True` the default.
            if weights_only
                .as_ref()
                .is_none_or(|w| w.is_none() || interp.truthy(w).unwrap_or(true))
                && let Some(global) = first_unsafe_global(&saved)
            {
                return Err(Exception::new(
                    "_pickle.UnpicklingError",
                    weights_only_message(&global),
                ));
            }
            Copier::pickling()
                .value(&saved)
                .ok_or_else(|| Exception::unsupported("torch.load of this object"))
        }),
    );
}

const TRUNCATED: &str = "PytorchStreamReader failed locating file data.pkl: file not found. This is an internal miniz error. If you are seeing this error, there is a high likelihood that your checkpoint file is corrupted. This can happen if the checkpoint was not saved properly, was transferred incorrectly, or the file was modified after saving.";

fn path_arg(f: Option<Value>, saving: bool) -> R<String> {
    if let Some(b) = f.as_ref().and_then(|v| v.downcast::<super::memio::BytesIO>()) {
        return Ok(b.key());
    }
    // A file opened with `open(path, 'wb')` or `'rb'` (files_mem.rs): kept by its path.
    if let Some(b) = f.as_ref().and_then(|v| v.downcast::<crate::lang::files_mem::BinaryFile>()) {
        return b.path_for(saving);
    }
    match f {
        Some(v) => fspath(&v).ok_or_else(|| {
            Exception::unsupported(format!(
                "torch.save/torch.load with a {} as the file (give a path)",
                v.type_name()
            ))
        }),
        None => Err(Exception::type_error("missing required argument 'f'")),
    }
}

/// The first answer `visit` gives on the values reachable from `v` through lists, tuples,
/// dicts and sets, each visited once (a list may hold itself), in pickle's order.
fn find<T>(v: &Value, mut visit: impl FnMut(&Value) -> Option<T>) -> Option<T> {
    let mut stack = vec![v.clone()];
    let mut seen = std::collections::HashSet::new();
    while let Some(v) = stack.pop() {
        if !seen.insert(v.identity()) {
            continue;
        }
        if let Some(found) = visit(&v) {
            return Some(found);
        }
        match &v {
            Value::List(l) => stack.extend(l.borrow().iter().rev().cloned()),
            Value::Tuple(t) => stack.extend(t.iter().rev().cloned()),
            Value::Dict(d) | Value::Set(d) => {
                for (k, v) in d.borrow().items().into_iter().rev() {
                    stack.push(v);
                    stack.push(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// Pickle saves classes and functions by their module's name; a lesson's own module cannot
/// be imported, so objects of its classes and its functions fail as they do in the oracle.
fn refuse_pickle(v: &Value) -> R<()> {
    let unpicklable = find(v, |v| match v {
        Value::Instance(i) => Some(Value::Type(i.class.clone()).repr()),
        Value::Type(t) if t.is_user() => Some(v.repr()),
        Value::Function(_) => Some(v.repr()),
        _ => None,
    });
    match unpicklable {
        Some(what) => Err(Exception::new(
            "_pickle.PicklingError",
            format!("Can't pickle {what}: import of module '__lesson__' failed"),
        )),
        None => Ok(()),
    }
}

/// The first global a weights-only unpickler would refuse in `v`.
fn first_unsafe_global(v: &Value) -> Option<String> {
    find(v, |v| match v {
        Value::None
        | Value::Bool(_)
        | Value::Int(_)
        | Value::BigInt(_)
        | Value::Float(_)
        | Value::Str(_)
        | Value::List(_)
        | Value::Tuple(_)
        | Value::Dict(_)
        | Value::Set(_) => None,
        Value::Range(_) => Some("range".into()),
        Value::Slice(_) => Some("slice".into()),
        Value::Native(n) => match n.type_name() {
            // A module's state dict (an OrderedDict) holds only tensors.
            "Tensor" | "Parameter" | "Size" | "dtype" | "device" | "OrderedDict" => None,
            "Generator" => Some("torch._C.Generator".into()),
            "ndarray" => Some("numpy._core.multiarray._reconstruct".into()),
            name => Some(global_name(n.module_name().unwrap_or("builtins"), name)),
        },
        Value::Builtin(b) => Some(format!("builtins.{}", b.name)),
        other => Some(format!("builtins.{}", other.type_name())),
    })
}

/// Where PyTorch defines a class lessonrun implements natively.
fn global_name(module: &str, name: &str) -> String {
    if module == "torch.nn" {
        let file = NN_FILES
            .iter()
            .find(|(_, names)| names.split(' ').any(|n| n == name))
            .map_or("module", |(f, _)| f);
        return format!("torch.nn.modules.{file}.{name}");
    }
    if module == "torch.optim" {
        return format!("torch.optim.{}.{name}", name.to_lowercase());
    }
    format!("{module}.{name}")
}

/// `torch.nn`'s classes by the file of `torch/nn/modules/` that defines them.
pub(super) const NN_FILES: &[(&str, &str)] = &[
    (
        "activation",
        "CELU ELU GELU GLU Hardshrink Hardsigmoid Hardswish Hardtanh LeakyReLU LogSigmoid LogSoftmax Mish MultiheadAttention PReLU RReLU ReLU ReLU6 SELU SiLU Sigmoid Softmax Softmax2d Softmin Softplus Softshrink Softsign Tanh Tanhshrink Threshold",
    ),
    (
        "batchnorm",
        "BatchNorm1d BatchNorm2d BatchNorm3d LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d SyncBatchNorm",
    ),
    (
        "container",
        "ModuleDict ModuleList ParameterDict ParameterList Sequential",
    ),
    (
        "conv",
        "Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d",
    ),
    ("distance", "CosineSimilarity PairwiseDistance"),
    (
        "dropout",
        "AlphaDropout Dropout Dropout1d Dropout2d Dropout3d FeatureAlphaDropout",
    ),
    ("flatten", "Flatten Unflatten"),
    ("linear", "Bilinear Identity LazyLinear Linear"),
    (
        "loss",
        "BCELoss BCEWithLogitsLoss CTCLoss CosineEmbeddingLoss CrossEntropyLoss GaussianNLLLoss HingeEmbeddingLoss HuberLoss KLDivLoss L1Loss MSELoss MarginRankingLoss MultiLabelMarginLoss MultiLabelSoftMarginLoss MultiMarginLoss NLLLoss PoissonNLLLoss SmoothL1Loss SoftMarginLoss TripletMarginLoss",
    ),
    (
        "normalization",
        "GroupNorm LayerNorm LocalResponseNorm RMSNorm",
    ),
    (
        "padding",
        "ConstantPad1d ConstantPad2d ConstantPad3d ReflectionPad1d ReflectionPad2d ReplicationPad1d ReplicationPad2d ZeroPad1d ZeroPad2d",
    ),
    ("pixelshuffle", "PixelShuffle PixelUnshuffle"),
    (
        "pooling",
        "AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d AvgPool1d AvgPool2d AvgPool3d MaxPool1d MaxPool2d MaxPool3d",
    ),
    ("rnn", "GRU GRUCell LSTM LSTMCell RNN RNNCell"),
    ("sparse", "Embedding EmbeddingBag"),
    (
        "transformer",
        "Transformer TransformerDecoder TransformerDecoderLayer TransformerEncoder TransformerEncoderLayer",
    ),
    (
        "upsampling",
        "Upsample UpsamplingBilinear2d UpsamplingNearest2d",
    ),
];

fn weights_only_message(global: &str) -> String {
    format!(
        "Weights only load failed. This file can still be loaded, to do so you have two options, \x1b[1mdo those steps only if you trust the source of the checkpoint\x1b[0m. \n\t(1) In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely succeed, but it can result in arbitrary code execution. Do it only if you got the file from a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the following error message.\n\tWeightsUnpickler error: Unsupported global: GLOBAL {global} was not an allowed global by default. Please use `torch.serialization.add_safe_globals([{global}])` or the `torch.serialization.safe_globals([{global}])` context manager to allowlist this global if you trust this class/function.\n\nCheck the documentation of torch.load to learn more about types accepted by default with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
    )
}
