//! `numpy.random`'s legacy global RandomState: mt19937 seeded by `init_genrand`, doubles from
//! two 32-bit draws (27 + 26 bits), the polar Box–Muller normal with its cached second value,
//! masked rejection for bounded integers (`randint`, `choice`) and the Fisher–Yates shuffle
//! over `random_interval`, so `np.random.seed(s)` then the same calls give NumPy's numbers.

use std::cell::RefCell;
use std::rc::Rc;

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{DType, Generator, Tensor};

use super::array::{Elems, R, array, as_array, build, elems, exc, result};
use super::methods::int_of;

/// The legacy generator's state: the engine's mt19937 core plus NumPy's gauss cache.
pub struct RandomState {
    pub(super) mt: Generator,
    pub(super) gauss: Option<f64>,
}

impl RandomState {
    pub fn new(seed: u32) -> RandomState {
        RandomState {
            mt: Generator::new(u64::from(seed)),
            gauss: None,
        }
    }

    fn next_u32(&mut self) -> u32 {
        self.mt.random()
    }

    pub fn double(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67108864.0 + b) / 9007199254740992.0
    }

    pub fn gauss(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.double() - 1.0;
            let x2 = 2.0 * self.double() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    fn next_u64(&mut self) -> u64 {
        (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
    }

    /// A uniform integer in [0, max] by masked rejection (`random_interval`).
    pub fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = mask_of(max);
        loop {
            let v = if max <= 0xffff_ffff {
                u64::from(self.next_u32()) & mask
            } else {
                self.next_u64() & mask
            };
            if v <= max {
                return v;
            }
        }
    }

    /// `off + ` a uniform integer in [0, rng] (legacy `randint`'s masked bounded draw).
    fn bounded(&mut self, off: i64, rng: u64) -> i64 {
        if rng == 0 {
            return off;
        }
        if rng == 0xffff_ffff {
            return off.wrapping_add(i64::from(self.next_u32()));
        }
        off.wrapping_add(self.interval(rng) as i64)
    }
}

fn mask_of(max: u64) -> u64 {
    let mut m = max;
    for s in [1, 2, 4, 8, 16, 32] {
        m |= m >> s;
    }
    m
}

pub(super) type State = Rc<RefCell<RandomState>>;

/// A `size=` argument: None (one scalar) or a shape.
pub(super) fn size_arg(it: &mut Interpreter, v: Option<&Value>) -> R<Option<Vec<usize>>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v @ (Value::Tuple(_) | Value::List(_))) => Ok(Some(
            it.iterate(v)?
                .iter()
                .map(|d| int_of(d).map(|d| d.max(0) as usize))
                .collect::<R<_>>()?,
        )),
        Some(v) => Ok(Some(vec![int_of(v)?.max(0) as usize])),
    }
}

pub(super) fn floats(shape: Option<Vec<usize>>, mut f: impl FnMut() -> f64) -> R<Value> {
    match shape {
        None => Ok(result(build(Elems::Float(vec![f()]), &[], DType::Float64)?)),
        Some(s) => {
            crate::tensor::check_size(&s).map_err(exc)?;
            let n: usize = s.iter().product();
            Ok(array(build(
                Elems::Float((0..n).map(|_| f()).collect()),
                &s,
                DType::Float64,
            )?))
        }
    }
}

pub(super) fn ints(shape: Option<Vec<usize>>, mut f: impl FnMut() -> i64) -> R<Value> {
    match shape {
        None => Ok(result(build(Elems::Int(vec![f()]), &[], DType::Int64)?)),
        Some(s) => {
            crate::tensor::check_size(&s).map_err(exc)?;
            let n: usize = s.iter().product();
            Ok(array(build(
                Elems::Int((0..n).map(|_| f()).collect()),
                &s,
                DType::Int64,
            )?))
        }
    }
}

fn dims(args: &Args) -> R<Option<Vec<usize>>> {
    if args.pos.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        args.pos
            .iter()
            .map(|d| int_of(d).map(|d| d.max(0) as usize))
            .collect::<R<_>>()?,
    ))
}

pub(super) fn f64_or(v: Option<&Value>, default: f64) -> R<f64> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => match as_array(v) {
            Some(t) if t.numel() == 1 => Ok(t.item().map_err(exc)?.as_f64()),
            _ => v.expect_f64("float"),
        },
    }
}

/// Shuffles `n` positions in place through `swap`, as NumPy's legacy shuffle does.
fn shuffle_with(st: &State, n: usize, mut swap: impl FnMut(usize, usize)) {
    let mut s = st.borrow_mut();
    for i in (1..n).rev() {
        let j = s.interval(i as u64) as usize;
        swap(i, j);
    }
}

fn permuted(st: &State, t: &Tensor) -> R<Tensor> {
    let n = t.shape().first().copied().unwrap_or(0);
    let mut order: Vec<i64> = (0..n as i64).collect();
    shuffle_with(st, n, |i, j| order.swap(i, j));
    t.index_select(0, &order).map_err(exc)
}

/// The `numpy.random` module over one generator, seeded with 0 until `seed()` is called
/// (NumPy seeds it from the OS, which no lesson can reproduce anyway).
pub fn module() -> Module {
    let m = Module::new("numpy.random");
    populate(&m, Rc::new(RefCell::new(RandomState::new(0))));
    m.set(
        "RandomState",
        Value::builtin("RandomState", |_, args| {
            let [seed] = args.bind(&["seed="])?;
            let r = Module::new("RandomState");
            populate(&r, Rc::new(RefCell::new(RandomState::new(seed_of(seed)?))));
            Ok(Value::Module(Rc::new(r)))
        }),
    );
    super::random_more::install_generator(&m);
    m
}

/// A `seed()` argument: NumPy's legacy seeding takes 0 to 2**32 - 1 (None: 0 here).
fn seed_of(seed: Option<Value>) -> R<u32> {
    let s = match seed {
        None | Some(Value::None) => 0,
        Some(v) => int_of(&v)?,
    };
    if !(0..=0xffff_ffff).contains(&s) {
        return Err(Exception::value_error("Seed must be between 0 and 2**32 - 1"));
    }
    Ok(s as u32)
}

/// The legacy functions over one state (the module's, or a `RandomState`'s).
fn populate(m: &Module, st: State) {
    let def = |name: &str, f: fn(&State, &mut Interpreter, Args) -> R<Value>| {
        let st = st.clone();
        m.set(name, Value::builtin(name, move |it, args| f(&st, it, args)));
    };
    def("seed", |st, _, args| {
        let [seed] = args.bind(&["seed="])?;
        *st.borrow_mut() = RandomState::new(seed_of(seed)?);
        Ok(Value::None)
    });
    def("rand", |st, _, args| {
        let shape = dims(&args)?;
        floats(shape, || st.borrow_mut().double())
    });
    def("random", |st, it, args| {
        let [size] = args.bind(&["size="])?;
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || st.borrow_mut().double())
    });
    def("random_sample", |st, it, args| {
        let [size] = args.bind(&["size="])?;
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || st.borrow_mut().double())
    });
    def("randn", |st, _, args| {
        let shape = dims(&args)?;
        floats(shape, || st.borrow_mut().gauss())
    });
    def("standard_normal", |st, it, args| {
        let [size] = args.bind(&["size="])?;
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || st.borrow_mut().gauss())
    });
    def("normal", |st, it, args| {
        let [loc, scale, size] = args.bind(&["loc=", "scale=", "size="])?;
        let (loc, scale) = (f64_or(loc.as_ref(), 0.0)?, f64_or(scale.as_ref(), 1.0)?);
        if scale < 0.0 {
            return Err(Exception::value_error("scale < 0"));
        }
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || loc + scale * st.borrow_mut().gauss())
    });
    def("uniform", |st, it, args| {
        let [low, high, size] = args.bind(&["low=", "high=", "size="])?;
        let (low, high) = (f64_or(low.as_ref(), 0.0)?, f64_or(high.as_ref(), 1.0)?);
        let range = high - low;
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || low + range * st.borrow_mut().double())
    });
    def("randint", |st, it, args| {
        let [low, high, size, _dtype] = args.bind(&["low", "high=", "size=", "dtype="])?;
        let low = int_of(low.as_ref().unwrap_or(&Value::None))?;
        let (lo, hi) = match high {
            None | Some(Value::None) => (0, low),
            Some(h) => (low, int_of(&h)?),
        };
        if lo >= hi {
            return Err(Exception::value_error("low >= high"));
        }
        let rng = (hi - 1).wrapping_sub(lo) as u64;
        let shape = size_arg(it, size.as_ref())?;
        ints(shape, || st.borrow_mut().bounded(lo, rng))
    });
    def("choice", |st, it, args| {
        let [a, size, replace, p] = args.bind(&["a", "size=", "replace=", "p="])?;
        let a = a.unwrap_or(Value::None);
        let pool = match &a {
            Value::Int(_) => None,
            v => Some(super::methods::array_arg(it, v)?),
        };
        let n = match &pool {
            None => int_of(&a)?,
            Some(t) => t.shape().first().copied().unwrap_or(0) as i64,
        };
        if n <= 0 {
            return Err(Exception::value_error(
                "a must be a positive integer unless no samples are taken",
            ));
        }
        let shape = size_arg(it, size.as_ref())?;
        let count: usize = shape.as_ref().map_or(1, |s| s.iter().product());
        let replace = !matches!(replace, Some(Value::Bool(false)));
        let idx: Vec<i64> = match (p, replace) {
            (Some(p), true) if !p.is_none() => {
                let p = elems(&super::methods::array_arg(it, &p)?).f64s();
                let mut cdf: Vec<f64> = p
                    .iter()
                    .scan(0.0, |acc, x| {
                        *acc += x;
                        Some(*acc)
                    })
                    .collect();
                let last = *cdf.last().unwrap_or(&1.0);
                cdf.iter_mut().for_each(|c| *c /= last);
                let mut s = st.borrow_mut();
                (0..count)
                    .map(|_| {
                        let u = s.double();
                        cdf.partition_point(|&c| c <= u) as i64
                    })
                    .collect()
            }
            (Some(p), false) if !p.is_none() => {
                return Err(Exception::unsupported("choice(replace=False, p=...)"));
            }
            (_, true) => {
                let mut s = st.borrow_mut();
                (0..count).map(|_| s.bounded(0, (n - 1) as u64)).collect()
            }
            (_, false) => {
                if count as i64 > n {
                    return Err(Exception::value_error(
                        "Cannot take a larger sample than population when 'replace=False'",
                    ));
                }
                let mut order: Vec<i64> = (0..n).collect();
                shuffle_with(st, n as usize, |i, j| order.swap(i, j));
                order.truncate(count);
                order
            }
        };
        let idx_t = build(Elems::Int(idx.clone()), &[idx.len()], DType::Int64)?;
        let picked = match &pool {
            None => idx_t,
            Some(t) => t.index_select(0, &idx).map_err(exc)?,
        };
        match shape {
            None => Ok(result(picked.reshape(&[]).map_err(exc)?)),
            Some(s) => Ok(array(
                picked
                    .reshape(&s.iter().map(|&d| d as isize).collect::<Vec<_>>())
                    .map_err(exc)?,
            )),
        }
    });
    def("permutation", |st, it, args| {
        let [x] = args.bind(&["x"])?;
        let x = x.unwrap_or(Value::None);
        let t = match &x {
            Value::Int(n) => build(
                Elems::Int((0..*n).collect()),
                &[(*n).max(0) as usize],
                DType::Int64,
            )?,
            v => super::methods::array_arg(it, v)?,
        };
        Ok(array(permuted(st, &t)?))
    });
    def("shuffle", |st, _, args| {
        let [x] = args.bind(&["x"])?;
        let x = x.unwrap_or(Value::None);
        if let Value::List(l) = &x {
            let n = l.borrow().len();
            shuffle_with(st, n, |i, j| l.borrow_mut().swap(i, j));
            return Ok(Value::None);
        }
        let t = as_array(&x)
            .ok_or_else(|| Exception::type_error("shuffle() expects a list or an ndarray"))?;
        let p = permuted(st, t)?;
        t.copy_(&p).map_err(exc)?;
        Ok(Value::None)
    });
    super::random_more::install(m, &st);
}
