//! `torch.utils.benchmark`: `Timer(stmt, setup, globals=...)` with `timeit(number)`, and the
//! `Measurement` it returns, printed as PyTorch prints it. The statement is a string run by
//! `lang::exec` with the given globals bound over the lesson's (PyTorch runs it in a copy of
//! its `globals` dict, while the functions it calls keep their own module's globals).

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use crate::lang::exec::{self, Mode, Parsed};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Dict, Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// Registers `torch.utils.benchmark` and sets it on `utils`.
pub fn install(interp: &mut Interpreter, utils: &Module, torch: &Value) {
    let m = Module::new("torch.utils.benchmark");
    let torch = torch.clone();
    m.set(
        "Timer",
        super::class(
            "Timer",
            "torch.utils.benchmark.utils.timer",
            move |it, args| new_timer(it, &args, &torch),
        ),
    );
    m.set("Language", Value::native(LanguageEnum));
    let m = Value::Module(Rc::new(m));
    utils.set("benchmark", m.clone());
    interp.register_module("torch.utils.benchmark", m);
}

/// What a Measurement prints about its task (PyTorch's `TaskSpec`).
#[derive(Clone)]
struct TaskSpec {
    stmt: String,
    setup: String,
    label: Option<String>,
    sub_label: Option<String>,
    description: Option<String>,
    env: Option<String>,
    num_threads: i64,
}

impl TaskSpec {
    fn title(&self) -> String {
        let sub = |s: &str| {
            self.sub_label
                .as_ref()
                .map_or(String::new(), |l| format!("{s}{l}"))
        };
        if let Some(label) = &self.label {
            format!("{label}{}", sub(": "))
        } else if !self.stmt.contains('\n') {
            format!("{}{}", self.stmt, sub(": "))
        } else {
            let sub = self
                .sub_label
                .as_ref()
                .map_or(String::new(), |l| format!(" ({l})"));
            format!("stmt:{sub}\n{}", indent(&self.stmt))
        }
    }

    fn setup_str(&self) -> String {
        if self.setup == "pass" || self.setup.is_empty() {
            String::new()
        } else if self.setup.contains('\n') {
            format!("setup:\n{}", indent(&self.setup))
        } else {
            format!("setup: {}", self.setup)
        }
    }

    fn summarize(&self) -> String {
        let sections = [
            self.title(),
            self.description.clone().unwrap_or_default(),
            self.setup_str(),
        ];
        sections
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s.contains('\n') {
                    format!("{s}\n")
                } else {
                    s.clone()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `textwrap.indent(s, '  ')`: every line with something besides whitespace.
fn indent(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| {
            if l.trim().is_empty() {
                l.to_string()
            } else {
                format!("  {l}")
            }
        })
        .collect()
}

/// `textwrap.dedent`, then PyTorch's strip of one leading newline and trailing whitespace.
fn clean(s: &str) -> String {
    let margin = s
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| &l[..l.len() - l.trim_start_matches([' ', '\t']).len()])
        .reduce(|a, b| {
            let n = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            &a[..n]
        })
        .unwrap_or("");
    let dedented: String = s
        .split_inclusive('\n')
        .map(|l| {
            if l.trim().is_empty() {
                l.trim_start_matches([' ', '\t'])
            } else {
                l.strip_prefix(margin).unwrap_or(l)
            }
        })
        .collect();
    dedented
        .strip_prefix('\n')
        .unwrap_or(&dedented)
        .trim_end()
        .to_string()
}

struct Timer {
    stmt: Rc<Parsed>,
    setup: Rc<Parsed>,
    globals: Rc<RefCell<Dict>>,
    spec: TaskSpec,
}

fn opt_str(v: Option<Value>, what: &str) -> R<Option<String>> {
    match v.as_ref() {
        None | Some(Value::None) => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s.to_string())),
        Some(v) => Err(Exception::type_error(format!(
            "{what} must be a str, not {}",
            v.type_name()
        ))),
    }
}

fn new_timer(it: &mut Interpreter, args: &Args, torch: &Value) -> R<Value> {
    let [
        stmt,
        setup,
        global_setup,
        _timer,
        globals,
        label,
        sub_label,
        description,
        env,
        num_threads,
        language,
    ] = args.bind(&[
        "stmt=",
        "setup=",
        "global_setup=",
        "timer=",
        "globals=",
        "label=",
        "sub_label=",
        "description=",
        "env=",
        "num_threads=",
        "language=",
    ])?;
    let stmt = match stmt.as_ref() {
        None => "pass".to_string(),
        Some(Value::Str(s)) => s.to_string(),
        Some(_) => {
            return Err(Exception::value_error(
                "Currently only a `str` stmt is supported.",
            ));
        }
    };
    match language.as_ref() {
        None => {}
        Some(v) if v.downcast::<Language>().is_some_and(|l| l.0 == 0) => {}
        Some(v) if v.downcast::<Language>().is_some() => {
            return Err(Exception::unsupported(
                "Timer(language=Language.CPP): C++ statements",
            ));
        }
        Some(Value::Str(s)) if matches!(&**s, "py" | "python") => {}
        Some(Value::Str(s)) if matches!(&**s, "cpp" | "c++") => {
            return Err(Exception::unsupported(
                "Timer(language='cpp'): C++ statements",
            ));
        }
        Some(v) => {
            return Err(Exception::value_error(format!(
                "Invalid language `{}`.",
                v.repr()
            )));
        }
    }
    let mut d = Dict::new();
    match globals.as_ref() {
        None | Some(Value::None) => {}
        Some(Value::Dict(g)) => {
            for (k, v) in g.borrow().iter() {
                d.insert(k.clone(), v.clone())?;
            }
        }
        Some(v) => {
            return Err(Exception::type_error(format!(
                "'{}' object is not iterable",
                v.type_name()
            )));
        }
    }
    if d.get(&Value::str("torch"))?.is_none() {
        d.insert(Value::str("torch"), torch.clone())?;
    }
    if let Some(g) = opt_str(global_setup, "global_setup")?.filter(|g| !g.is_empty()) {
        return Err(Exception::value_error(format!(
            "global_setup is C++ only, got `{g}`. Most likely this code can simply be moved to `setup`."
        )));
    }
    let setup = match setup.as_ref() {
        None => "pass".to_string(),
        Some(Value::Str(s)) => s.to_string(),
        Some(v) => {
            return Err(Exception::value_error(format!(
                "setup is neither a string nor callable, but {}",
                v.type_name()
            )));
        }
    };
    let (stmt, setup) = (clean(&stmt), clean(&setup));
    // Parsed now, as PyTorch compiles both when the Timer is made (a SyntaxError comes from here).
    let parsed_setup = exec::parse(it, &setup, Mode::Exec)?;
    let parsed_stmt = exec::parse(it, &stmt, Mode::Exec)?;
    let num_threads = match num_threads {
        None => 1,
        Some(v) => v.expect_int("num_threads")?,
    };
    let spec = TaskSpec {
        stmt,
        setup,
        label: opt_str(label, "label")?,
        sub_label: opt_str(sub_label, "sub_label")?,
        description: opt_str(description, "description")?,
        env: opt_str(env, "env")?,
        num_threads,
    };
    let globals = match &Value::dict(d) {
        Value::Dict(g) => g.clone(),
        _ => unreachable!("Value::dict makes a dict"),
    };
    Ok(Value::native(Timer {
        stmt: parsed_stmt,
        setup: parsed_setup,
        globals,
        spec,
    }))
}

impl Timer {
    /// The setup once, then the statement `number` times: seconds for the statement's runs.
    fn run(&self, it: &mut Interpreter, number: i64) -> R<f64> {
        exec::with_overlay(it, &self.globals, |it| {
            exec::run(it, &self.setup)?;
            let start = Instant::now();
            for _ in 0..number {
                exec::run(it, &self.stmt)?;
            }
            Ok(start.elapsed().as_secs_f64())
        })
    }
}

impl Timer {
    /// PyTorch's `_timeit`: the runs' seconds, at least a nanosecond.
    fn timeit(&self, it: &mut Interpreter, number: i64) -> R<f64> {
        Ok(self.run(it, number)?.max(1e-9))
    }

    /// `Timer.blocked_autorange`: a block size found as PyTorch's `_estimate_block_size` finds
    /// it (runs multiplied by ten until the timer's own overhead is at most 1e-4 of a block
    /// lasting at least `min_run_time / 1000`, or a block lasts longer than `min_run_time`),
    /// then blocks of that many runs until they add up to `min_run_time`.
    fn blocked_autorange(&self, it: &mut Interpreter, min_run_time: f64, callback: Option<&Value>) -> R<Value> {
        let mut overheads = Vec::with_capacity(5);
        for _ in 0..5 {
            overheads.push(self.timeit(it, 0)?);
        }
        overheads.sort_by(f64::total_cmp);
        let overhead = overheads[2];
        let mut number: i64 = 1;
        loop {
            let taken = self.timeit(it, number)?;
            if (overhead / taken <= 1e-4 && taken >= min_run_time / 1000.0) || taken > min_run_time || number * 10 > 2_147_483_647 {
                break;
            }
            number *= 10;
        }
        let (mut total, mut times) = (0.0, Vec::new());
        while total < min_run_time || times.is_empty() {
            let spent = self.timeit(it, number)?;
            times.push(spent);
            total += spent;
            if let Some(cb) = callback {
                it.call_positional(cb, vec![Value::Int(number), Value::Float(spent)])?;
            }
        }
        Ok(Value::native(Measurement { number_per_run: number, raw_times: times, spec: self.spec.clone() }))
    }
}

impl NativeObject for Timer {
    fn type_name(&self) -> &str {
        "Timer"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.benchmark.utils.timer")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "timeit" => Some(Value::method(this.clone(), "timeit", |it, args| {
                let [number] = args.bind(&["number="])?;
                let number = number.map_or(Ok(1_000_000), |n| n.expect_int("number"))?;
                let t = args.this_native::<Timer>()?;
                // PyTorch warms up with max(number // 100, 2) runs first.
                t.run(it, (number.div_euclid(100)).max(2))?;
                let secs = t.run(it, number)?;
                Ok(Value::native(Measurement {
                    number_per_run: number,
                    raw_times: vec![secs],
                    spec: t.spec.clone(),
                }))
            })),
            "blocked_autorange" => Some(Value::method(this.clone(), "blocked_autorange", |it, args| {
                let [callback, min_run_time] = args.bind(&["callback=", "min_run_time="])?;
                let min = min_run_time.map_or(Ok(0.2), |v| v.expect_f64("min_run_time"))?;
                let callback = callback.filter(|c| !c.is_none());
                let t = args.this_native::<Timer>()?;
                t.blocked_autorange(it, min, callback.as_ref())
            })),
            "repeat" | "autorange" | "adaptive_autorange"
            | "collect_callgrind" => {
                return Err(Exception::unsupported(format!("Timer.{name}")));
            }
            _ => None,
        })
    }
}

/// A Timer's result: `number_per_run` runs taking `raw_times` seconds in all.
struct Measurement {
    number_per_run: i64,
    raw_times: Vec<f64>,
    spec: TaskSpec,
}

impl Measurement {
    fn times(&self) -> Vec<f64> {
        self.raw_times
            .iter()
            .map(|t| t / self.number_per_run as f64)
            .collect()
    }

    /// torch.quantile's linear interpolation over the sorted times.
    fn quantile(&self, q: f64) -> f64 {
        let mut t = self.times();
        t.sort_by(f64::total_cmp);
        if t.is_empty() {
            return f64::NAN;
        }
        let pos = q * (t.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        t[lo] + (t[hi] - t[lo]) * (pos - lo as f64)
    }

    fn text(&self) -> String {
        let n = self.raw_times.len();
        let median = self.quantile(0.5);
        let (p25, p75) = (self.quantile(0.25), self.quantile(0.75));
        let (unit, scale) = select_unit(median);
        let mut lines = vec![
            format!(
                "<torch.utils.benchmark.utils.common.Measurement object at 0x{:012x}>",
                0x7f00_0000_0000usize
            ),
            self.spec.summarize(),
            format!(
                "  {}{:.2} {unit}",
                if n > 1 { "Median: " } else { "" },
                median / scale
            ),
        ];
        if n >= 4 {
            lines.push(format!(
                "  IQR:    {:.2} {unit} ({:.2} to {:.2})",
                (p75 - p25) / scale,
                p25 / scale,
                p75 / scale
            ));
        }
        let threads = self.spec.num_threads;
        lines.push(format!(
            "  {n} measurement{}, {} runs {} {threads} thread{}",
            if n > 1 { "s" } else { "" },
            self.number_per_run,
            if n > 1 { "per measurement," } else { "," },
            if threads > 1 { "s" } else { "" }
        ));
        // The summary's blank lines stay; the whole text is stripped, as PyTorch's repr is.
        lines.join("\n").trim().to_string()
    }
}

/// PyTorch's `select_unit`: the unit that puts `t` seconds in [1, 1000).
fn select_unit(t: f64) -> (&'static str, f64) {
    match (t.log10() / 3.0).floor() as i64 {
        -3 => ("ns", 1e-9),
        -2 => ("us", 1e-6),
        -1 => ("ms", 1e-3),
        _ => ("s", 1.0),
    }
}

impl NativeObject for Measurement {
    fn type_name(&self) -> &str {
        "Measurement"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.benchmark.utils.common")
    }
    fn repr(&self) -> String {
        self.text()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let floats = |v: Vec<f64>| Value::list(v.into_iter().map(Value::Float).collect());
        let opt = |s: &Option<String>| s.as_deref().map_or(Value::None, Value::str);
        Ok(Some(match name {
            "times" => floats(self.times()),
            "raw_times" => floats(self.raw_times.clone()),
            "number_per_run" => Value::Int(self.number_per_run),
            "median" => Value::Float(self.quantile(0.5)),
            "mean" => {
                Value::Float(self.times().iter().sum::<f64>() / self.raw_times.len().max(1) as f64)
            }
            "iqr" => Value::Float(self.quantile(0.75) - self.quantile(0.25)),
            "title" => Value::str(&self.spec.title()),
            "stmt" => Value::str(&self.spec.stmt),
            "setup" => Value::str(&self.spec.setup),
            "global_setup" => Value::str(""),
            "label" => opt(&self.spec.label),
            "sub_label" => opt(&self.spec.sub_label),
            "description" => opt(&self.spec.description),
            "env" => opt(&self.spec.env),
            "num_threads" => Value::Int(self.spec.num_threads),
            "metadata" => Value::None,
            "has_warnings" => Value::Bool(false),
            _ => return Ok(None),
        }))
    }
}

/// `torch.utils.benchmark.Language` (an `enum.Enum` in PyTorch): its members `PYTHON` and
/// `CPP`, which `Timer(language=...)` takes.
struct LanguageEnum;

impl NativeObject for LanguageEnum {
    fn type_name(&self) -> &str {
        "EnumType"
    }
    fn repr(&self) -> String {
        "<enum 'Language'>".into()
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "PYTHON" => Some(Value::native(Language(0))),
            "CPP" => Some(Value::native(Language(1))),
            _ => None,
        })
    }
}

/// A member of `Language`: 0 PYTHON, 1 CPP.
struct Language(i64);

impl NativeObject for Language {
    fn type_name(&self) -> &str {
        "Language"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.benchmark.utils.common")
    }
    fn repr(&self) -> String {
        format!("<Language.{}: {}>", self.name(), self.0)
    }
    fn str(&self) -> String {
        format!("Language.{}", self.name())
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(self.name())),
            "value" => Some(Value::Int(self.0)),
            _ => None,
        })
    }
    fn same_object(&self, other: &Value) -> bool {
        other.downcast::<Language>().is_some_and(|o| o.0 == self.0)
    }
}

impl Language {
    fn name(&self) -> &'static str {
        if self.0 == 0 { "PYTHON" } else { "CPP" }
    }
}
