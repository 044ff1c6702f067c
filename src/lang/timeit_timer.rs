//! `timeit.Timer(stmt, setup, timer, globals)` with `timeit`, `repeat` and `autorange`, and
//! `timeit.timeit`/`timeit.repeat` of statement strings. The strings run through `exec` with
//! the given globals bound over the lesson's (CPython runs them in that dict alone; see
//! docs/divergences.md), a callable statement or setup is called.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use super::exec::{self, Mode, Parsed};
use super::native::{Args, NativeObject};
use super::{Dict, Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// CPython's `timeit.default_number`.
const DEFAULT_NUMBER: i64 = 1_000_000;

/// A statement or setup: a parsed string, or a callable called with no arguments.
enum Code {
    Parsed(Rc<Parsed>),
    Call(Value),
}

struct Timer {
    stmt: Code,
    setup: Code,
    globals: Rc<RefCell<Dict>>,
}

fn code(it: &mut Interpreter, v: Option<Value>, what: &str) -> R<Code> {
    match &v {
        None => Ok(Code::Parsed(exec::parse(it, "pass", Mode::Exec)?)),
        Some(Value::Str(s)) => Ok(Code::Parsed(exec::parse(it, s, Mode::Exec)?)),
        Some(
            f @ (Value::Function(_) | Value::Builtin(_) | Value::Method(_) | Value::Instance(_)),
        ) => Ok(Code::Call(f.clone())),
        Some(_) => Err(Exception::value_error(format!(
            "{what} is neither a string nor callable"
        ))),
    }
}

fn run(it: &mut Interpreter, c: &Code) -> R<()> {
    match c {
        Code::Parsed(p) => exec::run(it, p).map(|_| ()),
        Code::Call(f) => it.call_positional(f, vec![]).map(|_| ()),
    }
}

fn new_timer(it: &mut Interpreter, args: &Args) -> R<Timer> {
    let [stmt, setup, _timer, globals] = args.bind(&["stmt=", "setup=", "timer=", "globals="])?;
    let mut d = Dict::new();
    match &globals {
        None | Some(Value::None) => {}
        Some(Value::Dict(g)) => {
            for (k, v) in g.borrow().iter() {
                d.insert(k.clone(), v.clone())?;
            }
        }
        Some(v) => {
            return Err(Exception::type_error(format!(
                "globals must be a dict, not {}",
                v.type_name()
            )));
        }
    }
    let globals = match &Value::dict(d) {
        Value::Dict(g) => g.clone(),
        _ => unreachable!("Value::dict makes a dict"),
    };
    // CPython compiles both when the Timer is made: a SyntaxError comes from here.
    let stmt = code(it, stmt, "stmt")?;
    let setup = code(it, setup, "setup")?;
    Ok(Timer {
        stmt,
        setup,
        globals,
    })
}

impl Timer {
    /// The setup once, then the statement `number` times: the seconds the loop took.
    fn timeit(&self, it: &mut Interpreter, number: i64) -> R<f64> {
        exec::with_overlay(it, &self.globals, |it| {
            run(it, &self.setup)?;
            let start = Instant::now();
            for _ in 0..number {
                run(it, &self.stmt)?;
            }
            Ok(start.elapsed().as_secs_f64())
        })
    }

    fn repeat(&self, it: &mut Interpreter, repeat: i64, number: i64) -> R<Value> {
        let mut out = Vec::new();
        for _ in 0..repeat {
            out.push(Value::Float(self.timeit(it, number)?));
        }
        Ok(Value::list(out))
    }

    /// CPython's `autorange`: 1, 2, 5, 10, 20, 50, ... runs until a loop takes 0.2 s.
    fn autorange(&self, it: &mut Interpreter, callback: Option<&Value>) -> R<Value> {
        let mut i: i64 = 1;
        loop {
            for j in [1, 2, 5] {
                let number = i * j;
                let taken = self.timeit(it, number)?;
                if let Some(cb) = callback {
                    it.call_positional(cb, vec![Value::Int(number), Value::Float(taken)])?;
                }
                if taken >= 0.2 {
                    return Ok(Value::tuple(vec![Value::Int(number), Value::Float(taken)]));
                }
            }
            i *= 10;
        }
    }
}

fn int_arg(v: Option<Value>, default: i64, what: &str) -> R<i64> {
    v.map_or(Ok(default), |n| n.expect_int(what))
}

impl NativeObject for Timer {
    fn type_name(&self) -> &str {
        "Timer"
    }
    fn module_name(&self) -> Option<&str> {
        Some("timeit")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "timeit" => Value::method(this.clone(), "timeit", |it, args| {
                let [number] = args.bind(&["number="])?;
                let number = int_arg(number, DEFAULT_NUMBER, "number")?;
                Ok(Value::Float(
                    args.this_native::<Timer>()?.timeit(it, number)?,
                ))
            }),
            "repeat" => Value::method(this.clone(), "repeat", |it, args| {
                let [repeat, number] = args.bind(&["repeat=", "number="])?;
                let (repeat, number) = (
                    int_arg(repeat, 5, "repeat")?,
                    int_arg(number, DEFAULT_NUMBER, "number")?,
                );
                args.this_native::<Timer>()?.repeat(it, repeat, number)
            }),
            "autorange" => Value::method(this.clone(), "autorange", |it, args| {
                let [callback] = args.bind(&["callback="])?;
                let callback = callback.filter(|c| !c.is_none());
                args.this_native::<Timer>()?
                    .autorange(it, callback.as_ref())
            }),
            _ => return Ok(None),
        }))
    }
}

/// Adds `Timer`, and `timeit`/`repeat` of strings or callables, to the module `timeit`.
pub(crate) fn install(m: &Module) {
    m.set(
        "Timer",
        super::torch::class("Timer", "timeit", |it, args| {
            Ok(Value::native(new_timer(it, &args)?))
        }),
    );
    m.set(
        "timeit",
        Value::builtin("timeit", |it, args| {
            let [stmt, setup, timer, number, globals] =
                args.bind(&["stmt=", "setup=", "timer=", "number=", "globals="])?;
            let number = int_arg(number, DEFAULT_NUMBER, "number")?;
            let t = timer_of(it, &args, [stmt, setup, timer, globals])?;
            Ok(Value::Float(t.timeit(it, number)?))
        }),
    );
    m.set(
        "repeat",
        Value::builtin("repeat", |it, args| {
            let [stmt, setup, timer, repeat, number, globals] = args.bind(&[
                "stmt=", "setup=", "timer=", "repeat=", "number=", "globals=",
            ])?;
            let repeat = int_arg(repeat, 5, "repeat")?;
            let number = int_arg(number, DEFAULT_NUMBER, "number")?;
            let t = timer_of(it, &args, [stmt, setup, timer, globals])?;
            t.repeat(it, repeat, number)
        }),
    );
}

/// A Timer from the module-level functions' arguments.
fn timer_of(
    it: &mut Interpreter,
    args: &Args,
    [stmt, setup, timer, globals]: [Option<Value>; 4],
) -> R<Timer> {
    let kw = [
        ("stmt", stmt),
        ("setup", setup),
        ("timer", timer),
        ("globals", globals),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.into(), v)))
    .collect();
    let mut a = Args::new(&args.fname, vec![]);
    a.kw = kw;
    new_timer(it, &a)
}
