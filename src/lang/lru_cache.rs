//! `functools.lru_cache` and `functools.cache`: a function memoised on its arguments, with
//! CPython's bound (`maxsize`, 128 by default; least recently used entries evicted first; 0
//! caches nothing), its statistics (`cache_info()` as the named tuple `CacheInfo`) and
//! `cache_clear()`.

use std::cell::{Cell, RefCell};

use super::native::{Args, NativeObject};
use super::value::Dict;
use super::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

/// Separates positional from keyword arguments in a key, as CPython's `kwd_mark` object.
const KWD_MARK: &str = "\u{0}functools.kwd_mark";

struct Cached {
    func: Value,
    /// None: unbounded.
    maxsize: Option<usize>,
    typed: bool,
    memo: RefCell<Dict>,
    hits: Cell<i64>,
    misses: Cell<i64>,
}

impl Cached {
    fn key(&self, args: &Args) -> Value {
        let mut key = args.pos.clone();
        if !args.kw.is_empty() {
            key.push(Value::str(KWD_MARK));
            for (k, v) in &args.kw {
                key.push(Value::Str(k.clone()));
                key.push(v.clone());
            }
        }
        if self.typed {
            let types: Vec<Value> = args
                .pos
                .iter()
                .chain(args.kw.iter().map(|(_, v)| v))
                .map(|v| Value::str(&v.type_name()))
                .collect();
            key.extend(types);
        }
        Value::tuple(key)
    }

    fn info(&self, it: &mut Interpreter) -> R<Value> {
        let fields = Value::list(
            ["hits", "misses", "maxsize", "currsize"]
                .into_iter()
                .map(Value::str)
                .collect(),
        );
        let class = super::namedtuple::namedtuple(
            it,
            Args::new("namedtuple", vec![Value::str("CacheInfo"), fields]),
        )?;
        let maxsize = self.maxsize.map_or(Value::None, |m| Value::Int(m as i64));
        let currsize = Value::Int(self.memo.borrow().len() as i64);
        it.call_positional(
            &class,
            vec![
                Value::Int(self.hits.get()),
                Value::Int(self.misses.get()),
                maxsize,
                currsize,
            ],
        )
    }
}

impl NativeObject for Cached {
    fn type_name(&self) -> &str {
        "functools._lru_cache_wrapper"
    }
    fn str_in(&self, this: &Value, it: &mut Interpreter) -> R<Option<String>> {
        self.repr_in(this, it)
    }
    fn repr_in(&self, _: &Value, it: &mut Interpreter) -> R<Option<String>> {
        it.repr(&self.func).map(Some)
    }
    fn call(&self, _: &Value, args: Args, it: &mut Interpreter) -> R<Option<Value>> {
        if self.maxsize == Some(0) {
            self.misses.set(self.misses.get() + 1);
            return it.call(&self.func, args).map(Some);
        }
        let key = self.key(&args);
        let found = self.memo.borrow().get(&key)?;
        if let Some(v) = found {
            self.hits.set(self.hits.get() + 1);
            if self.maxsize.is_some() {
                // Now the most recently used: moved to the end of the order.
                let mut memo = self.memo.borrow_mut();
                memo.remove(&key)?;
                memo.insert(key, v.clone())?;
            }
            return Ok(Some(v));
        }
        self.misses.set(self.misses.get() + 1);
        let v = it.call(&self.func, args)?;
        let mut memo = self.memo.borrow_mut();
        // A recursive call may have cached this key meanwhile; CPython keeps that entry.
        if memo.contains(&key)? {
            return Ok(Some(v));
        }
        if let Some(max) = self.maxsize
            && memo.len() >= max
            && let Some(oldest) = memo.keys().into_iter().next()
        {
            memo.remove(&oldest)?;
        }
        memo.insert(key, v.clone())?;
        Ok(Some(v))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "__wrapped__" => Some(self.func.clone()),
            "cache_info" => Some(Value::method(this.clone(), "cache_info", |it, args| {
                args.bind::<0>(&[])?;
                args.this_native::<Cached>()?.info(it)
            })),
            "cache_clear" => Some(Value::method(this.clone(), "cache_clear", |_, args| {
                args.bind::<0>(&[])?;
                let c = args.this_native::<Cached>()?;
                c.memo.borrow_mut().clear();
                c.hits.set(0);
                c.misses.set(0);
                Ok(Value::None)
            })),
            "cache_parameters" => Some(Value::method(
                this.clone(),
                "cache_parameters",
                |_, args| {
                    args.bind::<0>(&[])?;
                    let c = args.this_native::<Cached>()?;
                    let mut d = Dict::new();
                    d.insert(
                        Value::str("maxsize"),
                        c.maxsize.map_or(Value::None, |m| Value::Int(m as i64)),
                    )?;
                    d.insert(Value::str("typed"), Value::Bool(c.typed))?;
                    Ok(Value::dict(d))
                },
            )),
            _ => None,
        })
    }
}

fn wrap(func: Value, maxsize: Option<usize>, typed: bool) -> Value {
    Value::native(Cached {
        func,
        maxsize,
        typed,
        memo: RefCell::new(Dict::new()),
        hits: Cell::new(0),
        misses: Cell::new(0),
    })
}

fn is_callable(v: &Value) -> bool {
    !matches!(
        v,
        Value::None
            | Value::Int(_)
            | Value::Bool(_)
            | Value::Float(_)
            | Value::Str(_)
            | Value::List(_)
            | Value::Tuple(_)
            | Value::Dict(_)
    )
}

/// Adds `cache` and `lru_cache` to `functools`.
pub fn install(m: &Module) {
    m.set(
        "cache",
        Value::builtin("cache", |_, args| {
            let [f] = args.bind(&["user_function"])?;
            Ok(wrap(f.unwrap_or(Value::None), None, false))
        }),
    );
    m.set(
        "lru_cache",
        Value::builtin("lru_cache", |it, args| {
            let [first, typed] = args.bind(&["maxsize=", "typed="])?;
            let typed = match typed {
                Some(t) => it.truthy(&t)?,
                None => false,
            };
            let maxsize = match first {
                // `@lru_cache` straight on a function: the default bound.
                Some(f) if is_callable(&f) && !matches!(f, Value::BigInt(_)) => {
                    return Ok(wrap(f, Some(128), typed));
                }
                None | Some(Value::None) => None,
                Some(Value::Int(n)) => Some(n.max(0) as usize),
                Some(Value::Bool(b)) => Some(b as usize),
                Some(_) => {
                    return Err(Exception::type_error(
                        "Expected first argument to be an integer, a callable, or None",
                    ));
                }
            };
            Ok(Value::builtin("decorating_function", move |_, args| {
                let [f] = args.bind(&["user_function"])?;
                Ok(wrap(f.unwrap_or(Value::None), maxsize, typed))
            }))
        }),
    );
}
