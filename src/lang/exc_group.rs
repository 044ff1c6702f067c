//! `ExceptionGroup`/`BaseExceptionGroup` and the `except*` clause. A group is an exception
//! whose args are its message and its exceptions; `str` counts them, `.exceptions` is their
//! tuple, `subgroup`/`split`/`derive` make groups of the same message, and `except*` splits a
//! raised group (a bare exception is first wrapped in `ExceptionGroup('', (e,))`) between its
//! handlers by type, re-raising what none of them took, as CPython 3.11 does.

use std::cell::RefCell;
use std::rc::Rc;

use super::ast::Handler;
use super::interp::{Env, Flow};
use super::value::{ExcValue, TypeObj};
use super::{Exception, Interpreter, Value};

type R<T> = Result<T, Exception>;

/// `ExceptionGroup` derives from `Exception` alone here (CPython's also derives from
/// `BaseExceptionGroup`), so a group type is either builtin in the chain.
pub fn is_group_type(t: &Rc<TypeObj>) -> bool {
    t.mro().iter().any(|b| {
        !b.is_user()
            && b.module.is_none()
            && matches!(&*b.name, "BaseExceptionGroup" | "ExceptionGroup")
    })
}

/// `str(group)`: `msg (2 sub-exceptions)`.
pub fn message(args: &[Value]) -> Option<String> {
    let [msg, excs] = args else { return None };
    let n = match excs {
        Value::List(l) => l.borrow().len(),
        Value::Tuple(t) => t.len(),
        _ => return None,
    };
    Some(format!(
        "{} ({n} sub-exception{})",
        msg.to_str(),
        if n == 1 { "" } else { "s" }
    ))
}

/// The constructor's checks, CPython's messages.
pub fn check_args(it: &mut Interpreter, t: &TypeObj, args: &[Value]) -> R<()> {
    let [msg, excs] = args else {
        return Err(Exception::type_error(format!(
            "BaseExceptionGroup.__new__() takes exactly 2 arguments ({} given)",
            args.len()
        )));
    };
    if !matches!(msg, Value::Str(_)) {
        return Err(Exception::type_error(format!(
            "argument 1 must be str, not {}",
            msg.type_name()
        )));
    }
    let items = match excs {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.as_ref().clone(),
        _ => {
            return Err(Exception::type_error(
                "second argument (exceptions) must be a sequence",
            ));
        }
    };
    if items.is_empty() {
        return Err(Exception::value_error(
            "second argument (exceptions) must be a non-empty sequence",
        ));
    }
    let exception = it.type_object("Exception");
    for (i, x) in items.iter().enumerate() {
        let Value::Exception(e) = x else {
            return Err(Exception::value_error(format!(
                "Item {i} of second argument (exceptions) is not an exception"
            )));
        };
        if &*t.name == "ExceptionGroup"
            && !exception.as_ref().is_some_and(|x| e.typ.is_subclass_of(x))
        {
            return Err(Exception::type_error(
                "Cannot nest BaseExceptions in an ExceptionGroup",
            ));
        }
    }
    Ok(())
}

fn exceptions(e: &ExcValue) -> Vec<Value> {
    match e.args.borrow().get(1) {
        Some(Value::List(l)) => l.borrow().clone(),
        Some(Value::Tuple(t)) => t.as_ref().clone(),
        _ => Vec::new(),
    }
}

/// A group of the same type and message as `e` holding `excs` (given as a list, as CPython's
/// `derive` is).
fn derive(e: &ExcValue, excs: Vec<Value>) -> Value {
    let msg = e.args.borrow().first().cloned().unwrap_or(Value::None);
    make(e.typ.clone(), msg, Value::list(excs))
}

fn make(typ: Rc<TypeObj>, msg: Value, excs: Value) -> Value {
    Value::Exception(Rc::new(ExcValue {
        typ,
        args: RefCell::new(vec![msg, excs]),
        dict: RefCell::new(Vec::new()),
        display: None,
    }))
}

/// Does `x` satisfy a `split`/`subgroup`/`except*` condition (a type, a tuple of types or a
/// predicate)?
fn satisfies(it: &mut Interpreter, x: &Value, cond: &Value) -> R<bool> {
    match cond {
        Value::Type(_) | Value::Tuple(_) => super::builtins::is_instance(it, x, cond),
        f => {
            let r = it.call_positional(f, vec![x.clone()])?;
            it.truthy(&r)
        }
    }
}

/// The parts of `group` that do and do not satisfy `cond`, nested groups split in turn.
fn split(it: &mut Interpreter, group: &Value, cond: &Value) -> R<(Option<Value>, Option<Value>)> {
    if satisfies(it, group, cond)? {
        return Ok((Some(group.clone()), None));
    }
    let Value::Exception(e) = group else {
        return Ok((None, Some(group.clone())));
    };
    if !is_group_type(&e.typ) {
        return Ok((None, Some(group.clone())));
    }
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for x in exceptions(e) {
        let (a, b) = split(it, &x, cond)?;
        yes.extend(a);
        no.extend(b);
    }
    // A side that took every leaf is the group itself, as in CPython.
    match (yes.is_empty(), no.is_empty()) {
        (_, true) => Ok((Some(group.clone()), None)),
        (true, _) => Ok((None, Some(group.clone()))),
        _ => Ok((Some(derive(e, yes)), Some(derive(e, no)))),
    }
}

/// `group.exceptions`, `.message` and the methods.
pub fn attr(e: &Rc<ExcValue>, name: &str) -> Option<Value> {
    let this = Value::Exception(e.clone());
    let method = |name: &str, f: fn(&mut Interpreter, &Value, &Value) -> R<Value>| {
        let this = this.clone();
        Value::builtin(name, move |it, args| {
            let [cond] = args.bind(&["condition"])?;
            f(it, &this, &cond.unwrap_or(Value::None))
        })
    };
    match name {
        "exceptions" => Some(Value::tuple(exceptions(e))),
        "message" => e.args.borrow().first().cloned(),
        "subgroup" => Some(method("subgroup", |it, g, c| {
            Ok(split(it, g, c)?.0.unwrap_or(Value::None))
        })),
        "split" => Some(method("split", |it, g, c| {
            let (a, b) = split(it, g, c)?;
            Ok(Value::tuple(vec![
                a.unwrap_or(Value::None),
                b.unwrap_or(Value::None),
            ]))
        })),
        "derive" => Some(method("derive", |it, g, excs| {
            let Value::Exception(e) = g else {
                return Ok(Value::None);
            };
            let excs = it.iterate(excs)?;
            Ok(derive(e, excs))
        })),
        _ => None,
    }
}

impl Interpreter {
    /// `try` with `except*` handlers: each takes the part of the group its types match; the
    /// part none took is raised again (the original exception when no handler took anything).
    pub(crate) fn exec_try_star(
        &mut self,
        body: &[super::ast::Stmt],
        handlers: &[Handler],
        orelse: &[super::ast::Stmt],
        env: &Env,
    ) -> R<Flow> {
        let err = match self.exec_block(body, env) {
            Ok(Flow::Normal) => return self.exec_block(orelse, env),
            Ok(flow) => return Ok(flow),
            Err(e) if e.is_limit() => return Err(e),
            Err(e) => e,
        };
        let raised = self.exception_value(&err);
        let is_group = matches!(&raised, Value::Exception(x) if is_group_type(&x.typ));
        let mut rest = Some(if is_group {
            raised.clone()
        } else {
            let t = self
                .type_object("ExceptionGroup")
                .ok_or_else(|| Exception::runtime_error("ExceptionGroup missing"))?;
            make(t, Value::str(""), Value::tuple(vec![raised.clone()]))
        });
        let mut took = false;
        for h in handlers {
            let Some(group) = rest.take() else { break };
            let cond = match &h.typ {
                Some(t) => self.eval(t, env)?,
                None => Value::None,
            };
            let (matched, left) = split(self, &group, &cond).map_err(|e| e.at(h.span))?;
            rest = left;
            let Some(matched) = matched else { continue };
            took = true;
            if let Some(n) = &h.name {
                self.store(n, None, matched.clone(), env);
            }
            let mut caught = err.clone();
            caught.0.value = Some(matched);
            self.handling.push(caught);
            let r = self.exec_block(&h.body, env);
            self.handling.pop();
            if let Some(n) = &h.name {
                self.unbind(n, env);
            }
            r?;
        }
        match rest {
            None => Ok(Flow::Normal),
            Some(_) if !took => Err(err),
            Some(left) => Err(self.make_raise(left)?),
        }
    }
}
