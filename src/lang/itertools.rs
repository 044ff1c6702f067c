//! `itertools`: the iterator building blocks tutorials use (`product` over hyperparameter grids,
//! `chain` of parameter lists, `islice` of a stream, `count`, `cycle` over a loader...).
//!
//! Infinite or input-driven iterators (`count`, `cycle`, `repeat`, `chain`, `islice`,
//! `accumulate`, `pairwise`) are lazy native iterators, as in CPython, so `islice(count(), 3)`
//! ends and a generator is consumed only as far as it is read. The combinatoric ones
//! (`product`, `combinations`, `permutations`, `combinations_with_replacement`) read their
//! inputs whole first, as CPython does, and yield tuples in CPython's order. `groupby` yields
//! `(key, list)` pairs whose groups are lists rather than CPython's shared sub-iterators
//! (docs/divergences.md).

use std::cell::RefCell;
use std::rc::Rc;

use super::native::{Args, NativeObject};
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// What one lazy iterator does on `next()`.
enum State {
    Count {
        next: Value,
        step: Value,
    },
    Repeat {
        item: Value,
        left: Option<i64>,
    },
    /// `cycle`: reads `src` once, remembering what it saw, then replays `seen`.
    Cycle {
        src: Option<Value>,
        seen: Vec<Value>,
        at: usize,
    },
    /// `chain`: the iterables still to go (reversed), and the current iterator.
    Chain {
        rest: Vec<Value>,
        cur: Option<Value>,
    },
    /// `chain.from_iterable`: iterables come from an iterator.
    ChainFrom {
        outer: Value,
        cur: Option<Value>,
    },
    /// `islice`: yields the items at `next_at`, `next_at + step`, ... below `stop`.
    Slice {
        src: Value,
        pos: i64,
        next_at: i64,
        stop: Option<i64>,
        step: i64,
    },
    Accumulate {
        src: Value,
        func: Option<Value>,
        total: Option<Value>,
        initial: Option<Value>,
    },
    Pairwise {
        src: Value,
        prev: Option<Value>,
    },
    /// The combinatoric iterators: tuples computed up front, handed out one by one.
    Items {
        items: std::vec::IntoIter<Value>,
    },
    Done,
}

struct Iter {
    name: &'static str,
    state: RefCell<State>,
}

fn iter_value(name: &'static str, state: State) -> Value {
    Value::native(Iter {
        name,
        state: RefCell::new(state),
    })
}

impl NativeObject for Iter {
    fn type_name(&self) -> &str {
        self.name
    }
    fn module_name(&self) -> Option<&str> {
        Some("itertools")
    }
    fn repr(&self) -> String {
        format!("<itertools.{} object at 0x7f0000000000>", self.name)
    }
    fn iter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn next(&self, it: &mut Interpreter) -> R<Option<Value>> {
        // The state is taken out while Python code (the source's `__next__`, `func`) runs, so
        // an iterator that reads itself sees an exhausted one instead of a borrow panic.
        let mut st = std::mem::replace(&mut *self.state.borrow_mut(), State::Done);
        let out = step(&mut st, it);
        *self.state.borrow_mut() = if out.as_ref().is_ok_and(Option::is_none) {
            State::Done
        } else {
            st
        };
        out
    }
}

fn add(it: &mut Interpreter, a: &Value, b: &Value) -> R<Value> {
    it.binary(super::ast::BinOp::Add, a, b)
}

/// The keyword-only arguments `names` of a function whose positional arguments are all
/// `*args` (`product(*iterables, repeat=1)`).
fn keywords<const N: usize>(args: &Args, names: [&str; N]) -> R<[Option<Value>; N]> {
    let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
    for (k, v) in &args.kw {
        let Some(i) = names.iter().position(|n| **n == **k) else {
            return Err(Exception::type_error(format!(
                "{}() got an unexpected keyword argument '{k}'",
                args.fname
            )));
        };
        out[i] = Some(v.clone());
    }
    Ok(out)
}

fn step(st: &mut State, it: &mut Interpreter) -> R<Option<Value>> {
    match st {
        State::Count { next, step } => {
            let v = next.clone();
            *next = add(it, next, step)?;
            Ok(Some(v))
        }
        State::Repeat { item, left } => match left {
            Some(0) => Ok(None),
            Some(n) => {
                *n -= 1;
                Ok(Some(item.clone()))
            }
            None => Ok(Some(item.clone())),
        },
        State::Cycle { src, seen, at } => {
            if let Some(s) = src {
                if let Some(v) = it.next(s)? {
                    seen.push(v.clone());
                    return Ok(Some(v));
                }
                *src = None;
            }
            if seen.is_empty() {
                return Ok(None);
            }
            let v = seen[*at % seen.len()].clone();
            *at = (*at + 1) % seen.len();
            Ok(Some(v))
        }
        State::Chain { rest, cur } => loop {
            if let Some(c) = cur
                && let Some(v) = it.next(c)?
            {
                return Ok(Some(v));
            }
            match rest.pop() {
                Some(next) => *cur = Some(it.iter(&next)?),
                None => return Ok(None),
            }
        },
        State::ChainFrom { outer, cur } => loop {
            if let Some(c) = cur
                && let Some(v) = it.next(c)?
            {
                return Ok(Some(v));
            }
            match it.next(outer)? {
                Some(next) => *cur = Some(it.iter(&next)?),
                None => return Ok(None),
            }
        },
        State::Slice {
            src,
            pos,
            next_at,
            stop,
            step,
        } => loop {
            if stop.is_some_and(|s| *next_at >= s) {
                // CPython reads no further than the last item it yields.
                return Ok(None);
            }
            let Some(v) = it.next(src)? else {
                return Ok(None);
            };
            let here = *pos;
            *pos += 1;
            if here == *next_at {
                *next_at += *step;
                return Ok(Some(v));
            }
        },
        State::Accumulate {
            src,
            func,
            total,
            initial,
        } => {
            if let Some(first) = initial.take() {
                *total = Some(first.clone());
                return Ok(Some(first));
            }
            let Some(v) = it.next(src)? else {
                return Ok(None);
            };
            let t = match (total.take(), func) {
                (None, _) => v,
                (Some(t), Some(f)) => {
                    let f = f.clone();
                    it.call_positional(&f, vec![t, v])?
                }
                (Some(t), None) => add(it, &t, &v)?,
            };
            *total = Some(t.clone());
            Ok(Some(t))
        }
        State::Pairwise { src, prev } => {
            if prev.is_none() {
                match it.next(src)? {
                    Some(v) => *prev = Some(v),
                    None => return Ok(None),
                }
            }
            let Some(v) = it.next(src)? else {
                return Ok(None);
            };
            let p = prev.replace(v.clone()).unwrap_or(Value::None);
            Ok(Some(Value::tuple(vec![p, v])))
        }
        State::Items { items } => Ok(items.next()),
        State::Done => Ok(None),
    }
}

fn int_arg(v: Option<Value>, what: &str, default: i64) -> R<i64> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => v.expect_int(what),
    }
}

/// CPython's `islice` argument check: None or a non-negative int.
fn slice_arg(v: Option<&Value>, what: &str) -> R<Option<i64>> {
    let err = || {
        Exception::value_error(format!(
            "{what} argument for islice() must be None or an integer: 0 <= x <= sys.maxsize."
        ))
    };
    match v {
        None | Some(Value::None) => Ok(None),
        Some(Value::Int(n)) if *n >= 0 => Ok(Some(*n)),
        Some(_) => Err(err()),
    }
}

/// The tuples of `product(*pools)`, rightmost element advancing fastest.
fn product(pools: &[Vec<Value>]) -> Vec<Value> {
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in pools {
        out = out
            .iter()
            .flat_map(|prefix| {
                pool.iter().map(move |x| {
                    let mut t = prefix.clone();
                    t.push(x.clone());
                    t
                })
            })
            .collect();
    }
    out.into_iter().map(Value::tuple).collect()
}

/// Index tuples of `r`-combinations of `n` items in lexicographic order; `repeat` allows an
/// index more than once (`combinations_with_replacement`).
fn combinations(n: usize, r: usize, repeat: bool) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(r);
    fn go(
        start: usize,
        n: usize,
        r: usize,
        repeat: bool,
        cur: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if cur.len() == r {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            cur.push(i);
            go(if repeat { i } else { i + 1 }, n, r, repeat, cur, out);
            cur.pop();
        }
    }
    go(0, n, r, repeat, &mut cur, &mut out);
    out
}

/// Index tuples of `r`-permutations of `n` items in CPython's (lexicographic) order.
fn permutations(n: usize, r: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::with_capacity(r);
    let mut used = vec![false; n];
    fn go(n: usize, r: usize, cur: &mut Vec<usize>, used: &mut [bool], out: &mut Vec<Vec<usize>>) {
        if cur.len() == r {
            out.push(cur.clone());
            return;
        }
        for i in 0..n {
            if !used[i] {
                used[i] = true;
                cur.push(i);
                go(n, r, cur, used, out);
                cur.pop();
                used[i] = false;
            }
        }
    }
    go(n, r, &mut cur, &mut used, &mut out);
    out
}

/// The combinatoric results can be huge (`product(range(100), repeat=6)`): refuse past this
/// many tuples with CPython's MemoryError rather than exhaust the lesson's memory.
const MAX_TUPLES: u128 = 10_000_000;

fn check_count(n: u128) -> R<()> {
    if n > MAX_TUPLES {
        Err(Exception::new("MemoryError", ""))
    } else {
        Ok(())
    }
}

fn pick(pool: &[Value], idx: &[usize]) -> Value {
    Value::tuple(idx.iter().map(|&i| pool[i].clone()).collect())
}

fn binom(n: u128, k: u128) -> u128 {
    (0..k).fold(1u128, |acc, i| acc.saturating_mul(n - i) / (i + 1))
}

pub fn install(it: &mut Interpreter) {
    let m = Module::new("itertools");
    m.set(
        "count",
        Value::builtin("count", |_, args| {
            let [start, step] = args.bind(&["start=", "step="])?;
            Ok(iter_value(
                "count",
                State::Count {
                    next: start.unwrap_or(Value::Int(0)),
                    step: step.unwrap_or(Value::Int(1)),
                },
            ))
        }),
    );
    m.set(
        "repeat",
        Value::builtin("repeat", |_, args| {
            let [object, times] = args.bind(&["object", "times="])?;
            let left = match times {
                None | Some(Value::None) => None,
                Some(t) => Some(t.expect_int("times")?.max(0)),
            };
            Ok(iter_value(
                "repeat",
                State::Repeat {
                    item: object.unwrap_or(Value::None),
                    left,
                },
            ))
        }),
    );
    m.set(
        "cycle",
        Value::builtin("cycle", |it, args| {
            let [src] = args.bind(&["iterable"])?;
            let src = it.iter(&src.unwrap_or(Value::None))?;
            Ok(iter_value(
                "cycle",
                State::Cycle {
                    src: Some(src),
                    seen: Vec::new(),
                    at: 0,
                },
            ))
        }),
    );
    // `chain.from_iterable` is an attribute of `chain`, so `chain` is a callable native.
    m.set("chain", Value::native(Chain));
    m.set(
        "islice",
        Value::builtin("islice", |it, args| {
            args.no_kwargs()?;
            let (src, start, stop, step) = match args.pos.as_slice() {
                [src, stop] => (src, None, slice_arg(Some(stop), "Stop")?, None),
                [src, start, stop] => (
                    src,
                    slice_arg(Some(start), "Indices")?,
                    slice_arg(Some(stop), "Stop")?,
                    None,
                ),
                [src, start, stop, step] => (
                    src,
                    slice_arg(Some(start), "Indices")?,
                    slice_arg(Some(stop), "Stop")?,
                    slice_arg(Some(step), "Step")?,
                ),
                _ => {
                    return Err(Exception::type_error(format!(
                        "islice expected at most 4 arguments, got {}",
                        args.pos.len()
                    )));
                }
            };
            let step = match step {
                Some(0) => {
                    return Err(Exception::value_error(
                        "Step for islice() must be a positive integer or None.",
                    ));
                }
                s => s.unwrap_or(1),
            };
            let src = it.iter(src)?;
            Ok(iter_value(
                "islice",
                State::Slice {
                    src,
                    pos: 0,
                    next_at: start.unwrap_or(0),
                    stop,
                    step,
                },
            ))
        }),
    );
    m.set(
        "accumulate",
        Value::builtin("accumulate", |it, args| {
            let [src, func, initial] = args.bind(&["iterable", "func=", "*", "initial="])?;
            let src = it.iter(&src.unwrap_or(Value::None))?;
            let func = func.filter(|f| !matches!(f, Value::None));
            let initial = initial.filter(|v| !matches!(v, Value::None));
            Ok(iter_value(
                "accumulate",
                State::Accumulate {
                    src,
                    func,
                    total: None,
                    initial,
                },
            ))
        }),
    );
    m.set(
        "pairwise",
        Value::builtin("pairwise", |it, args| {
            let [src] = args.bind(&["iterable"])?;
            let src = it.iter(&src.unwrap_or(Value::None))?;
            Ok(iter_value("pairwise", State::Pairwise { src, prev: None }))
        }),
    );
    m.set(
        "product",
        Value::builtin("product", |it, args| {
            let [rep] = keywords(&args, ["repeat"])?;
            let rep = int_arg(rep, "repeat", 1)?;
            if rep < 0 {
                return Err(Exception::value_error("repeat argument cannot be negative"));
            }
            let pools: Vec<Vec<Value>> =
                args.pos.iter().map(|p| it.iterate(p)).collect::<R<_>>()?;
            let pools: Vec<Vec<Value>> = (0..rep).flat_map(|_| pools.iter().cloned()).collect();
            check_count(
                pools
                    .iter()
                    .fold(1u128, |a, p| a.saturating_mul(p.len() as u128)),
            )?;
            Ok(iter_value(
                "product",
                State::Items {
                    items: product(&pools).into_iter(),
                },
            ))
        }),
    );
    for (name, repeat) in [
        ("combinations", false),
        ("combinations_with_replacement", true),
    ] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let [src, r] = args.bind(&["iterable", "r"])?;
                let pool = it.iterate(&src.unwrap_or(Value::None))?;
                let r = int_arg(r, "r", 0)?;
                if r < 0 {
                    return Err(Exception::value_error("r must be non-negative"));
                }
                let (n, r) = (pool.len(), r as usize);
                let count = if repeat {
                    binom((n + r).saturating_sub(1) as u128, r as u128)
                } else if r > n {
                    0
                } else {
                    binom(n as u128, r as u128)
                };
                check_count(count)?;
                let items: Vec<Value> = if !repeat && r > n {
                    Vec::new()
                } else {
                    combinations(n, r, repeat)
                        .iter()
                        .map(|idx| pick(&pool, idx))
                        .collect()
                };
                Ok(iter_value(
                    name,
                    State::Items {
                        items: items.into_iter(),
                    },
                ))
            }),
        );
    }
    m.set(
        "permutations",
        Value::builtin("permutations", |it, args| {
            let [src, r] = args.bind(&["iterable", "r="])?;
            let pool = it.iterate(&src.unwrap_or(Value::None))?;
            let n = pool.len();
            let r = int_arg(r, "r", n as i64)?;
            if r < 0 {
                return Err(Exception::value_error("r must be non-negative"));
            }
            let r = r as usize;
            let items: Vec<Value> = if r > n {
                Vec::new()
            } else {
                check_count((n - r + 1..=n).fold(1u128, |a, k| a.saturating_mul(k as u128)))?;
                permutations(n, r)
                    .iter()
                    .map(|idx| pick(&pool, idx))
                    .collect()
            };
            Ok(iter_value(
                "permutations",
                State::Items {
                    items: items.into_iter(),
                },
            ))
        }),
    );
    m.set(
        "zip_longest",
        Value::builtin("zip_longest", |it, args| {
            let [fill] = keywords(&args, ["fillvalue"])?;
            let fill = fill.unwrap_or(Value::None);
            let cols: Vec<Vec<Value>> = args.pos.iter().map(|p| it.iterate(p)).collect::<R<_>>()?;
            let n = cols.iter().map(Vec::len).max().unwrap_or(0);
            let items: Vec<Value> = (0..n)
                .map(|i| {
                    Value::tuple(
                        cols.iter()
                            .map(|c| c.get(i).cloned().unwrap_or_else(|| fill.clone()))
                            .collect(),
                    )
                })
                .collect();
            Ok(iter_value(
                "zip_longest",
                State::Items {
                    items: items.into_iter(),
                },
            ))
        }),
    );
    m.set(
        "starmap",
        Value::builtin("starmap", |it, args| {
            let [func, src] = args.bind(&["function", "iterable"])?;
            let func = func.unwrap_or(Value::None);
            let mut items = Vec::new();
            for t in it.iterate(&src.unwrap_or(Value::None))? {
                let a = it.iterate(&t)?;
                items.push(it.call_positional(&func, a)?);
            }
            Ok(iter_value(
                "starmap",
                State::Items {
                    items: items.into_iter(),
                },
            ))
        }),
    );
    m.set(
        "groupby",
        Value::builtin("groupby", |it, args| {
            let [src, key] = args.bind(&["iterable", "key="])?;
            let key = key.filter(|k| !matches!(k, Value::None));
            let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
            for v in it.iterate(&src.unwrap_or(Value::None))? {
                let k = match &key {
                    Some(f) => it.call_positional(f, vec![v.clone()])?,
                    None => v.clone(),
                };
                let same = match groups.last() {
                    Some((last, _)) => {
                        let eq = it.compare(super::ast::CmpOp::Eq, last, &k)?;
                        it.truthy(&eq)?
                    }
                    None => false,
                };
                if same {
                    if let Some((_, g)) = groups.last_mut() {
                        g.push(v);
                    }
                } else {
                    groups.push((k, vec![v]));
                }
            }
            let items: Vec<Value> = groups
                .into_iter()
                .map(|(k, g)| Value::tuple(vec![k, Value::list(g)]))
                .collect();
            Ok(iter_value(
                "groupby",
                State::Items {
                    items: items.into_iter(),
                },
            ))
        }),
    );
    for name in ["filterfalse", "takewhile", "dropwhile"] {
        m.set(
            name,
            Value::builtin(name, move |it, args| {
                let [pred, src] = args.bind(&["predicate", "iterable"])?;
                let pred = pred.unwrap_or(Value::None);
                let mut items = Vec::new();
                let mut dropping = true;
                for v in it.iterate(&src.unwrap_or(Value::None))? {
                    let t = match &pred {
                        Value::None => it.truthy(&v)?,
                        f => {
                            let r = it.call_positional(f, vec![v.clone()])?;
                            it.truthy(&r)?
                        }
                    };
                    match name {
                        "filterfalse" if !t => items.push(v),
                        "takewhile" if t => items.push(v),
                        "takewhile" => break,
                        "dropwhile" if dropping && t => {}
                        "dropwhile" => {
                            dropping = false;
                            items.push(v)
                        }
                        _ => {}
                    }
                }
                Ok(iter_value(
                    name,
                    State::Items {
                        items: items.into_iter(),
                    },
                ))
            }),
        );
    }
    it.modules
        .insert("itertools".into(), Value::Module(Rc::new(m)));
}

/// `itertools.chain`, callable, with the `from_iterable` constructor as an attribute.
struct Chain;

impl NativeObject for Chain {
    fn type_name(&self) -> &str {
        "type"
    }
    fn repr(&self) -> String {
        "<class 'itertools.chain'>".into()
    }
    fn snapshot(&self, _: &mut super::interp::Copier) -> Option<Value> {
        Some(Value::native(Chain))
    }
    fn call(&self, _: &Value, args: Args, _: &mut Interpreter) -> R<Option<Value>> {
        args.no_kwargs()?;
        let mut rest = args.pos.clone();
        rest.reverse();
        Ok(Some(iter_value("chain", State::Chain { rest, cur: None })))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "from_iterable" => Some(Value::builtin("from_iterable", |it, args| {
                let [src] = args.bind(&["iterable"])?;
                let outer = it.iter(&src.unwrap_or(Value::None))?;
                Ok(iter_value("chain", State::ChainFrom { outer, cur: None }))
            })),
            _ => None,
        })
    }
}
