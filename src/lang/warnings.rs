//! `warnings`: `warn`, the filters (`filterwarnings`, `simplefilter`, `resetwarnings`) and
//! `catch_warnings`. CPython writes a shown warning to stderr, which is not a cell's output
//! (neither torch-oracle nor lessonrun records it), so `warn` prints nothing; what the filters
//! change that a lesson can see is kept: an `"error"` action raises the warning, and
//! `catch_warnings(record=True)` collects them.

use std::cell::RefCell;
use std::rc::Rc;

use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// The filter actions CPython accepts.
const ACTIONS: &[&str] = &[
    "default", "error", "ignore", "always", "all", "module", "once",
];

/// The module's state: whether a catch-all `"error"` filter is in force, and the lists of
/// the `catch_warnings(record=True)` blocks being run (innermost last).
#[derive(Default)]
struct State {
    /// The action of the newest catch-all filter (`simplefilter`, or `filterwarnings` without
    /// a message or category); None: CPython's defaults.
    action: Option<String>,
    saved: Vec<Option<String>>,
    records: Vec<Option<Value>>,
}

type Shared = Rc<RefCell<State>>;

/// Registers `warnings` with `it`.
pub fn install(it: &mut Interpreter) {
    let state: Shared = Rc::default();
    let m = Module::new("warnings");
    let st = state.clone();
    m.set(
        "warn",
        Value::builtin("warn", move |interp, args| warn(&st, interp, &args)),
    );
    for name in ["filterwarnings", "simplefilter"] {
        let st = state.clone();
        m.set(
            name,
            Value::builtin(name, move |_, args| filter(&st, &args)),
        );
    }
    let st = state.clone();
    m.set(
        "resetwarnings",
        Value::builtin("resetwarnings", move |_, _| {
            st.borrow_mut().action = None;
            Ok(Value::None)
        }),
    );
    let st = state.clone();
    m.set(
        "catch_warnings",
        Value::builtin("catch_warnings", move |interp, args| {
            let record = match args.kw.iter().find(|(k, _)| &**k == "record") {
                Some((_, v)) => interp.truthy(v)?,
                None => false,
            };
            Ok(Value::native(CatchWarnings {
                state: st.clone(),
                record,
            }))
        }),
    );
    it.modules
        .insert("warnings".into(), Value::Module(Rc::new(m)));
}

/// `filterwarnings(action, message='', category=Warning, ...)` / `simplefilter(action, ...)`.
fn filter(state: &Shared, args: &Args) -> R<Value> {
    let action = match args.pos.first().or_else(|| {
        args.kw
            .iter()
            .find(|(k, _)| &**k == "action")
            .map(|(_, v)| v)
    }) {
        Some(Value::Str(s)) => s.to_string(),
        Some(other) => {
            return Err(Exception::type_error(format!(
                "action must be a string, not '{}'",
                other.type_name()
            )));
        }
        None => {
            return Err(Exception::type_error(format!(
                "{}() missing required argument 'action'",
                args.fname
            )));
        }
    };
    if !ACTIONS.contains(&action.as_str()) {
        // CPython checks the action with an `assert`.
        return Err(Exception::new(
            "AssertionError",
            format!("invalid action: {}", Value::str(&action).repr()),
        ));
    }
    // A filter narrowed to a message, category or module changes only some warnings; lessons'
    // warnings come from their own `warn` calls, so only catch-all filters are followed.
    let narrowed = args.pos.len() > 1
        || args
            .kw
            .iter()
            .any(|(k, v)| matches!(&**k, "message" | "category" | "module") && !is_catch_all(v));
    if !narrowed {
        state.borrow_mut().action = Some(action);
    }
    Ok(Value::None)
}

fn is_catch_all(v: &Value) -> bool {
    match v {
        Value::Str(s) => s.is_empty(),
        Value::Type(t) => &*t.name == "Warning",
        _ => false,
    }
}

/// `warn(message, category=UserWarning, stacklevel=1)`.
fn warn(state: &Shared, interp: &mut Interpreter, args: &Args) -> R<Value> {
    let Some(message) = args.pos.first().or_else(|| {
        args.kw
            .iter()
            .find(|(k, _)| &**k == "message")
            .map(|(_, v)| v)
    }) else {
        return Err(Exception::type_error(
            "warn() missing required argument 'message' (pos 1)",
        ));
    };
    let category = args
        .pos
        .get(1)
        .or_else(|| {
            args.kw
                .iter()
                .find(|(k, _)| &**k == "category")
                .map(|(_, v)| v)
        })
        .cloned();
    let category = match category {
        Some(Value::None) | None => interp.builtins.get("UserWarning").cloned(),
        Some(c) => Some(c),
    };
    let Some(category) = category else {
        return Err(Exception::runtime_error(
            "warnings: UserWarning is not defined",
        ));
    };
    // A Warning instance is its own category and message.
    let warning = if message.type_name() == "str" {
        interp.call(&category, Args::new("warn", vec![message.clone()]))?
    } else {
        message.clone()
    };
    let (action, record) = {
        let st = state.borrow();
        (st.action.clone(), st.records.last().cloned().flatten())
    };
    match action.as_deref() {
        Some("error") => Err(interp.make_raise(warning)?),
        Some("ignore") => Ok(Value::None),
        _ => {
            if let Some(Value::List(l)) = &record {
                let category = Value::Type(super::builtins::type_of(interp, &warning));
                l.borrow_mut().push(Value::native(WarningMessage {
                    message: warning,
                    category,
                }));
            }
            Ok(Value::None)
        }
    }
}

/// `catch_warnings(record=False)`: restores the filters on exit; with `record=True`, `with`
/// gives the list the warnings of the block are appended to.
struct CatchWarnings {
    state: Shared,
    record: bool,
}

impl NativeObject for CatchWarnings {
    fn type_name(&self) -> &str {
        "catch_warnings"
    }
    fn module_name(&self) -> Option<&str> {
        Some("warnings")
    }
    fn enter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        let mut st = self.state.borrow_mut();
        let saved = st.action.clone();
        st.saved.push(saved);
        let list = self.record.then(|| Value::list(Vec::new()));
        st.records.push(list.clone());
        Ok(Some(list.unwrap_or(Value::None)))
    }
    fn exit(&self, _: &Value, _: Option<&Exception>, _: &mut Interpreter) -> R<bool> {
        let mut st = self.state.borrow_mut();
        st.action = st.saved.pop().flatten();
        st.records.pop();
        Ok(false)
    }
}

/// What `catch_warnings(record=True)` collects: the warning and its class.
struct WarningMessage {
    message: Value,
    category: Value,
}

impl NativeObject for WarningMessage {
    fn type_name(&self) -> &str {
        "WarningMessage"
    }
    fn module_name(&self) -> Option<&str> {
        Some("warnings")
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "message" => Some(self.message.clone()),
            "category" => Some(self.category.clone()),
            "line" | "file" | "source" => Some(Value::None),
            _ => None,
        })
    }
}

/// A warning raised from native code (PyTorch's `TORCH_WARN`, which reaches Python as a
/// `warnings.warn` call): goes through the lesson's `warnings` module, so its filters apply
/// (`"error"` raises it, `catch_warnings(record=True)` records it).
pub(crate) fn warn_native(interp: &mut Interpreter, category: &str, message: &str) -> R<()> {
    let warn = match interp.modules.get("warnings") {
        Some(Value::Module(m)) => m.get("warn"),
        _ => None,
    };
    let (Some(warn), Some(category)) = (warn, interp.builtins.get(category).cloned()) else {
        return Ok(());
    };
    interp.call(&warn, Args::new("warn", vec![Value::str(message), category]))?;
    Ok(())
}
