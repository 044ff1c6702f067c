//! `inspect.signature`: a function's parameters, by name, with their defaults and kinds. A
//! Python function's come from its definition; of lessonrun's native callables only those
//! scripts inspect have one (the `torch.optim` optimizers: nanoGPT's `configure_optimizers`
//! asks whether `AdamW` takes `fused`), with PyTorch's parameters and text.

use std::rc::Rc;

use super::ast::ParamKind;
use super::native::NativeObject;
use super::{Dict, Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// CPython's `inspect._ParameterKind`, by its number.
const KINDS: [&str; 5] = [
    "POSITIONAL_ONLY",
    "POSITIONAL_OR_KEYWORD",
    "VAR_POSITIONAL",
    "KEYWORD_ONLY",
    "VAR_KEYWORD",
];

struct Kind(usize);

impl NativeObject for Kind {
    fn type_name(&self) -> &str {
        "_ParameterKind"
    }
    fn module_name(&self) -> Option<&str> {
        Some("inspect")
    }
    fn repr(&self) -> String {
        format!("<_ParameterKind.{}: {}>", KINDS[self.0], self.0)
    }
    fn str(&self) -> String {
        KINDS[self.0].to_string()
    }
}

/// `inspect.Parameter.empty`, the default of a parameter that has none.
struct Empty;

impl NativeObject for Empty {
    fn type_name(&self) -> &str {
        "type"
    }
    fn repr(&self) -> String {
        "<class 'inspect._empty'>".into()
    }
}

struct Param {
    name: String,
    default: Option<Value>,
    kind: usize,
    /// The text `str(parameter)` gives (with annotations, for native signatures).
    text: String,
}

impl NativeObject for Param {
    fn type_name(&self) -> &str {
        "Parameter"
    }
    fn module_name(&self) -> Option<&str> {
        Some("inspect")
    }
    fn repr(&self) -> String {
        format!("<Parameter \"{}\">", self.text)
    }
    fn str(&self) -> String {
        self.text.clone()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(&self.name)),
            "default" => Some(self.default.clone().unwrap_or_else(|| Value::native(Empty))),
            "kind" => Some(Value::native(Kind(self.kind))),
            _ => None,
        })
    }
}

struct Signature {
    params: Vec<Rc<Param>>,
    /// The text `str(signature)` gives.
    text: String,
}

impl NativeObject for Signature {
    fn type_name(&self) -> &str {
        "Signature"
    }
    fn module_name(&self) -> Option<&str> {
        Some("inspect")
    }
    fn repr(&self) -> String {
        format!("<Signature {}>", self.text)
    }
    fn str(&self) -> String {
        self.text.clone()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            // A mappingproxy in CPython; a dict here (lookups, `in`, iteration in order).
            "parameters" => {
                let mut d = Dict::new();
                for p in &self.params {
                    d.insert(
                        Value::str(&p.name),
                        Value::Native(p.clone() as Rc<dyn NativeObject>),
                    )?;
                }
                Some(Value::dict(d))
            }
            _ => None,
        })
    }
}

/// The signature of a Python function (bound methods drop their first parameter).
fn of_function(f: &super::value::Function, bound: bool) -> Signature {
    let mut params = Vec::new();
    let mut parts = Vec::new();
    let mut star_done = false;
    for (i, (p, d)) in f.def.params.iter().zip(&f.defaults).enumerate() {
        if bound && i == 0 {
            continue;
        }
        let kind = match p.kind {
            ParamKind::Normal => 1,
            ParamKind::VarArgs => 2,
            ParamKind::KwOnly => 3,
            ParamKind::VarKw => 4,
        };
        if kind == 3 && !star_done {
            parts.push("*".to_string());
        }
        star_done |= kind >= 2;
        let text = match (kind, d) {
            (2, _) => format!("*{}", p.name),
            (4, _) => format!("**{}", p.name),
            (_, Some(d)) => format!("{}={}", p.name, d.repr()),
            (_, None) => p.name.to_string(),
        };
        parts.push(text.clone());
        params.push(Rc::new(Param {
            name: p.name.to_string(),
            default: d.clone(),
            kind,
            text,
        }));
    }
    Signature {
        params,
        text: format!("({})", parts.join(", ")),
    }
}

const OPT_PARAMS: &str = "params: collections.abc.Iterable[torch.Tensor] | collections.abc.Iterable[dict[str, typing.Any]] | collections.abc.Iterable[tuple[str, torch.Tensor]]";

/// PyTorch 2.15's signatures of the native callables that have one here: (name, annotated
/// text, default, keyword-only) per parameter.
fn of_native(module: &str, name: &str) -> Option<Signature> {
    let f = |x: f64| Some(Value::Float(x));
    let b = |x: bool| Some(Value::Bool(x));
    let betas = || Some(Value::tuple(vec![Value::Float(0.9), Value::Float(0.999)]));
    let lr = ("lr", "lr: float | torch.Tensor = 0.001", f(0.001), false);
    let params: Vec<(&str, &str, Option<Value>, bool)> = match (module, name) {
        ("torch.optim", "SGD") => vec![
            ("params", OPT_PARAMS, None, false),
            lr,
            (
                "momentum",
                "momentum: float = 0",
                Some(Value::Int(0)),
                false,
            ),
            (
                "dampening",
                "dampening: float = 0",
                Some(Value::Int(0)),
                false,
            ),
            (
                "weight_decay",
                "weight_decay: float | torch.Tensor = 0",
                Some(Value::Int(0)),
                false,
            ),
            ("nesterov", "nesterov: bool = False", b(false), false),
            ("maximize", "maximize: bool = False", b(false), true),
            (
                "foreach",
                "foreach: bool | None = None",
                Some(Value::None),
                true,
            ),
            (
                "differentiable",
                "differentiable: bool = False",
                b(false),
                true,
            ),
            (
                "fused",
                "fused: bool | None = None",
                Some(Value::None),
                true,
            ),
        ],
        ("torch.optim", "Adam") => vec![
            ("params", OPT_PARAMS, None, false),
            lr,
            (
                "betas",
                "betas: tuple[float | torch.Tensor, float | torch.Tensor] = (0.9, 0.999)",
                betas(),
                false,
            ),
            ("eps", "eps: float = 1e-08", f(1e-8), false),
            (
                "weight_decay",
                "weight_decay: float = 0",
                Some(Value::Int(0)),
                false,
            ),
            ("amsgrad", "amsgrad: bool = False", b(false), false),
            (
                "foreach",
                "foreach: bool | None = None",
                Some(Value::None),
                true,
            ),
            ("maximize", "maximize: bool = False", b(false), true),
            ("capturable", "capturable: bool = False", b(false), true),
            (
                "differentiable",
                "differentiable: bool = False",
                b(false),
                true,
            ),
            (
                "fused",
                "fused: bool | None = None",
                Some(Value::None),
                true,
            ),
            (
                "decoupled_weight_decay",
                "decoupled_weight_decay: bool = False",
                b(false),
                true,
            ),
        ],
        ("torch.optim", "AdamW") => vec![
            ("params", OPT_PARAMS, None, false),
            lr,
            (
                "betas",
                "betas: tuple[float | torch.Tensor, float | torch.Tensor] = (0.9, 0.999)",
                betas(),
                false,
            ),
            ("eps", "eps: float = 1e-08", f(1e-8), false),
            ("weight_decay", "weight_decay: float = 0.01", f(0.01), false),
            ("amsgrad", "amsgrad: bool = False", b(false), false),
            ("maximize", "maximize: bool = False", b(false), true),
            (
                "foreach",
                "foreach: bool | None = None",
                Some(Value::None),
                true,
            ),
            ("capturable", "capturable: bool = False", b(false), true),
            (
                "differentiable",
                "differentiable: bool = False",
                b(false),
                true,
            ),
            (
                "fused",
                "fused: bool | None = None",
                Some(Value::None),
                true,
            ),
        ],
        _ => return None,
    };
    let mut parts = Vec::new();
    let mut star = false;
    let params = params
        .into_iter()
        .map(|(n, text, default, kw)| {
            if kw && !star {
                parts.push("*".to_string());
                star = true;
            }
            parts.push(text.to_string());
            Rc::new(Param {
                name: n.into(),
                default,
                kind: if kw { 3 } else { 1 },
                text: text.into(),
            })
        })
        .collect();
    Some(Signature {
        params,
        text: format!("({}) -> None", parts.join(", ")),
    })
}

/// `inspect.signature(obj)`.
pub fn signature(_: &mut Interpreter, args: super::native::Args) -> R<Value> {
    let [obj] = args.bind(&["obj"])?;
    let obj = obj.unwrap_or(Value::None);
    let sig = match &obj {
        Value::Function(f) => Some(of_function(f, false)),
        Value::Type(t) => of_native(t.module.as_deref().unwrap_or(""), &t.name),
        _ => None,
    };
    match sig {
        Some(s) => Ok(Value::native(s)),
        None if matches!(obj, Value::Function(_) | Value::Type(_) | Value::Builtin(_)) => {
            Err(Exception::unsupported(format!(
                "inspect.signature of {}: lessonrun knows the signatures of Python functions and of torch.optim's SGD, Adam and AdamW",
                obj.repr()
            )))
        }
        None => Err(Exception::type_error(format!(
            "{} is not a callable object",
            obj.repr()
        ))),
    }
}
