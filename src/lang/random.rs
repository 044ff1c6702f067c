//! The `random` module: CPython's Mersenne Twister (MT19937 seeded by `init_by_array`) and the
//! sampling algorithms of CPython 3.11's `random.py`, so `random.seed(0)` gives CPython's numbers.

use std::cell::RefCell;
use std::rc::Rc;

use super::builtins::to_float;
use super::error::Exception;
use super::interp::Interpreter;
use super::native::Args;
use super::value::{Module, Value};

type R<T> = Result<T, Exception>;

const N: usize = 624;
const M: usize = 397;

/// MT19937 with CPython's seeding, plus the cached second normal deviate of `gauss`.
pub struct Mt {
    state: [u32; N],
    index: usize,
    gauss_next: Option<f64>,
}

impl Mt {
    pub fn new(seed: u64) -> Mt {
        let mut mt = Mt { state: [0; N], index: N, gauss_next: None };
        mt.seed_u64(seed);
        mt
    }

    fn init_genrand(&mut self, s: u32) {
        self.state[0] = s;
        for i in 1..N {
            let prev = self.state[i - 1];
            self.state[i] = 1812433253u32.wrapping_mul(prev ^ (prev >> 30)).wrapping_add(i as u32);
        }
        self.index = N;
    }

    fn init_by_array(&mut self, key: &[u32]) {
        self.init_genrand(19650218);
        let (mut i, mut j) = (1usize, 0usize);
        let mt = &mut self.state;
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1664525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1566083941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        self.index = N;
    }

    /// `seed(n)` for an int: the 32-bit words of |n|, least significant first.
    pub fn seed_u64(&mut self, n: u64) {
        let key: Vec<u32> = if n >> 32 != 0 { vec![n as u32, (n >> 32) as u32] } else { vec![n as u32] };
        self.init_by_array(&key);
        self.gauss_next = None;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.index >= N {
            let mt = &mut self.state;
            for k in 0..N {
                let y = (mt[k] & 0x8000_0000) | (mt[(k + 1) % N] & 0x7fff_ffff);
                let mut v = mt[(k + M) % N] ^ (y >> 1);
                if y & 1 != 0 {
                    v ^= 0x9908_b0df;
                }
                mt[k] = v;
            }
            self.index = 0;
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// `random()`: 53 random bits in [0, 1).
    pub fn random(&mut self) -> f64 {
        let a = (self.next_u32() >> 5) as f64;
        let b = (self.next_u32() >> 6) as f64;
        (a * 67108864.0 + b) / 9007199254740992.0
    }

    /// `getrandbits(k)` for k <= 64: 32-bit words, least significant first; the last one keeps
    /// its high bits.
    pub fn getrandbits(&mut self, k: u32) -> u64 {
        if k == 0 {
            return 0;
        }
        if k <= 32 {
            return (self.next_u32() >> (32 - k)) as u64;
        }
        let lo = self.next_u32() as u64;
        let hi = (self.next_u32() >> (64 - k)) as u64;
        lo | (hi << 32)
    }

    /// `_randbelow_with_getrandbits(n)`.
    pub fn randbelow(&mut self, n: u64) -> u64 {
        let k = 64 - n.leading_zeros();
        let mut r = self.getrandbits(k);
        while r >= n {
            r = self.getrandbits(k);
        }
        r
    }

    pub fn gauss(&mut self, mu: f64, sigma: f64) -> f64 {
        let z = match self.gauss_next.take() {
            Some(z) => z,
            None => {
                let x2pi = self.random() * std::f64::consts::TAU;
                let g2rad = (-2.0 * (1.0 - self.random()).ln()).sqrt();
                self.gauss_next = Some(x2pi.sin() * g2rad);
                x2pi.cos() * g2rad
            }
        };
        mu + z * sigma
    }
}

/// Python's `hash(float)` (the value reduced modulo the Mersenne prime 2**61 - 1); a NaN seed
/// hashes to 0 here (CPython hashes a NaN by its object's address).
fn hash_float(x: f64) -> i64 {
    if x.is_nan() { 0 } else { super::bigint::hash_f64(x) }
}

fn int_arg(v: &Value) -> R<i64> {
    match v {
        Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
        Value::Float(_) => Err(Exception::type_error("'float' object cannot be interpreted as an integer")),
        other => other.expect_int(""),
    }
}

fn randrange(mt: &mut Mt, start: i64, stop: Option<i64>, step: i64) -> R<i64> {
    let Some(stop) = stop else {
        if start > 0 {
            return Ok(mt.randbelow(start as u64) as i64);
        }
        return Err(Exception::value_error("empty range for randrange()"));
    };
    let width = stop as i128 - start as i128;
    if step == 1 {
        if width > 0 {
            return Ok((start as i128 + mt.randbelow(width as u64) as i128) as i64);
        }
        return Err(Exception::value_error(format!("empty range for randrange() ({start}, {stop}, {width})")));
    }
    let step128 = step as i128;
    let n = match step.signum() {
        1 => (width + step128 - 1).div_euclid(step128),
        -1 => (width + step128 + 1).div_euclid(step128),
        _ => return Err(Exception::value_error("zero step for randrange()")),
    };
    if n <= 0 {
        return Err(Exception::value_error("empty range for randrange()"));
    }
    Ok((start as i128 + step128 * mt.randbelow(n as u64) as i128) as i64)
}

fn seq_len(it: &mut Interpreter, v: &Value) -> R<usize> {
    it.len(v)
}

/// A module function: the interpreter, its arguments, and the module's generator.
type RandomFn = Box<dyn Fn(&mut Interpreter, Args, &mut Mt) -> R<Value>>;

pub fn module() -> Value {
    let m = Module::new("random");
    let state = Rc::new(RefCell::new(Mt::new(0)));
    let def = |name: &str, f: RandomFn| {
        let st = state.clone();
        m.set(name, Value::builtin(name, move |it, args| {
            // Held across callbacks into Python (len, indexing of a user class); a callback that
            // uses random again gets an error instead of a second mutable borrow.
            let mut mt = st
                .try_borrow_mut()
                .map_err(|_| Exception::runtime_error("random used re-entrantly from a callback"))?;
            f(it, args, &mut mt)
        }));
    };
    def("seed", Box::new(|_, args, mt| {
        let [a, _version] = args.bind(&["a=", "version="])?;
        match a {
            None | Some(Value::None) => mt.seed_u64(0),
            Some(Value::Int(i)) => mt.seed_u64(i.unsigned_abs()),
            Some(Value::Bool(b)) => mt.seed_u64(b as u64),
            // CPython seeds from `(size_t)hash(f)`: a negative hash wraps, it is not made positive.
            Some(Value::Float(f)) => mt.seed_u64(hash_float(f) as u64),
            Some(Value::Str(_)) => return Err(Exception::unsupported("random.seed() with a str seed")),
            Some(_) => {
                return Err(Exception::type_error(
                    "The only supported seed types are: None,\nint, float, str, bytes, and bytearray.",
                ));
            }
        }
        Ok(Value::None)
    }));
    def("random", Box::new(|_, args, mt| {
        args.bind::<0>(&[])?;
        Ok(Value::Float(mt.random()))
    }));
    def("getrandbits", Box::new(|_, args, mt| {
        let [k] = args.bind(&["k", "/"])?;
        let k = k.map(|k| k.expect_int("k")).transpose()?.unwrap_or(0);
        if k < 0 {
            return Err(Exception::value_error("number of bits must be non-negative"));
        }
        if k > 63 {
            return Err(Exception::unsupported("getrandbits() beyond 63 bits"));
        }
        Ok(Value::Int(mt.getrandbits(k as u32) as i64))
    }));
    def("randrange", Box::new(|_, args, mt| {
        let [start, stop, step] = args.bind(&["start", "stop=", "step="])?;
        let start = int_arg(&start.unwrap_or(Value::Int(0)))?;
        let stop = match stop {
            None | Some(Value::None) => None,
            Some(v) => Some(int_arg(&v)?),
        };
        let step = match step {
            None => 1,
            Some(v) => {
                if stop.is_none() {
                    return Err(Exception::type_error("Missing a non-None stop argument"));
                }
                int_arg(&v)?
            }
        };
        randrange(mt, start, stop, step).map(Value::Int)
    }));
    def("randint", Box::new(|_, args, mt| {
        let [a, b] = args.bind(&["a", "b"])?;
        let a = int_arg(&a.unwrap_or(Value::Int(0)))?;
        let b = int_arg(&b.unwrap_or(Value::Int(0)))?;
        randrange(mt, a, Some(b.saturating_add(1)), 1).map(Value::Int)
    }));
    def("uniform", Box::new(|it, args, mt| {
        let [a, b] = args.bind(&["a", "b"])?;
        let a = to_float(it, &a.unwrap_or(Value::Int(0)))?;
        let b = to_float(it, &b.unwrap_or(Value::Int(0)))?;
        Ok(Value::Float(a + (b - a) * mt.random()))
    }));
    // CPython's `triangular`: one draw, folded onto the side of the mode it falls on; a
    // zero-width interval returns `low` without drawing.
    def("triangular", Box::new(|it, args, mt| {
        let [low, high, mode] = args.bind(&["low=", "high=", "mode="])?;
        let low_value = low.clone().unwrap_or(Value::Float(0.0));
        let mut low = low.map(|v| to_float(it, &v)).transpose()?.unwrap_or(0.0);
        let mut high = high.map(|v| to_float(it, &v)).transpose()?.unwrap_or(1.0);
        let mode = match mode {
            None | Some(Value::None) => None,
            Some(v) => Some(to_float(it, &v)?),
        };
        let mut u = mt.random();
        let mut c = match mode {
            None => 0.5,
            // CPython's division by zero is caught and answered with `low` as given.
            Some(_) if high == low => return Ok(low_value),
            Some(m) => (m - low) / (high - low),
        };
        if u > c {
            u = 1.0 - u;
            c = 1.0 - c;
            std::mem::swap(&mut low, &mut high);
        }
        Ok(Value::Float(low + (high - low) * (u * c).sqrt()))
    }));
    def("gauss", Box::new(|it, args, mt| {
        let [mu, sigma] = args.bind(&["mu=", "sigma="])?;
        let mu = mu.map(|v| to_float(it, &v)).transpose()?.unwrap_or(0.0);
        let sigma = sigma.map(|v| to_float(it, &v)).transpose()?.unwrap_or(1.0);
        Ok(Value::Float(mt.gauss(mu, sigma)))
    }));
    def("normalvariate", Box::new(|it, args, mt| {
        let [mu, sigma] = args.bind(&["mu=", "sigma="])?;
        let mu = mu.map(|v| to_float(it, &v)).transpose()?.unwrap_or(0.0);
        let sigma = sigma.map(|v| to_float(it, &v)).transpose()?.unwrap_or(1.0);
        let magic = 4.0 * (-0.5f64).exp() / 2.0f64.sqrt();
        loop {
            let u1 = mt.random();
            let u2 = 1.0 - mt.random();
            let z = magic * (u1 - 0.5) / u2;
            if z * z / 4.0 <= -u2.ln() {
                return Ok(Value::Float(mu + z * sigma));
            }
        }
    }));
    def("expovariate", Box::new(|it, args, mt| {
        let [l] = args.bind(&["lambd"])?;
        let l = to_float(it, &l.unwrap_or(Value::Float(1.0)))?;
        if l == 0.0 {
            return Err(Exception::new("ZeroDivisionError", "float division by zero"));
        }
        Ok(Value::Float(-(1.0 - mt.random()).ln() / l))
    }));
    def("choice", Box::new(|it, args, mt| {
        let [seq] = args.bind(&["seq"])?;
        let seq = seq.unwrap_or(Value::None);
        let n = seq_len(it, &seq)?;
        if n == 0 {
            return Err(Exception::new("IndexError", "Cannot choose from an empty sequence"));
        }
        let i = mt.randbelow(n as u64) as i64;
        it.get_item(&seq, &Value::Int(i))
    }));
    def("shuffle", Box::new(|it, args, mt| {
        let [x] = args.bind(&["x"])?;
        let x = x.unwrap_or(Value::None);
        let Value::List(l) = &x else {
            let n = seq_len(it, &x)?;
            for i in (1..n).rev() {
                let j = mt.randbelow(i as u64 + 1) as i64;
                let (a, b) = (it.get_item(&x, &Value::Int(i as i64))?, it.get_item(&x, &Value::Int(j))?);
                it.set_item(&x, &Value::Int(i as i64), b)?;
                it.set_item(&x, &Value::Int(j), a)?;
            }
            return Ok(Value::None);
        };
        let mut items = l.borrow_mut();
        for i in (1..items.len()).rev() {
            let j = mt.randbelow(i as u64 + 1) as usize;
            items.swap(i, j);
        }
        Ok(Value::None)
    }));
    def("sample", Box::new(|it, args, mt| {
        let [pop, k, counts] = args.bind(&["population", "k", "*", "counts="])?;
        if counts.is_some() {
            return Err(Exception::unsupported("random.sample(counts=...)"));
        }
        let pop = pop.unwrap_or(Value::None);
        if matches!(pop, Value::Set(_) | Value::Dict(_)) {
            return Err(Exception::type_error(
                "Population must be a sequence.  For dicts or sets, use sorted(d).",
            ));
        }
        let items = it.iterate(&pop)?;
        let n = items.len();
        let k = k.unwrap_or(Value::Int(0)).expect_int("k")?;
        if k < 0 || k as usize > n {
            return Err(Exception::value_error("Sample larger than population or is negative"));
        }
        let k = k as usize;
        let mut setsize = 21usize;
        if k > 5 {
            let exp = ((k * 3) as f64).log(4.0).ceil() as u32;
            setsize += 4usize.pow(exp);
        }
        let mut result = Vec::with_capacity(k);
        if n <= setsize {
            let mut pool = items;
            for i in 0..k {
                let j = mt.randbelow((n - i) as u64) as usize;
                result.push(pool[j].clone());
                pool[j] = pool[n - i - 1].clone();
            }
        } else {
            let mut selected = std::collections::HashSet::new();
            for _ in 0..k {
                let mut j = mt.randbelow(n as u64) as usize;
                while selected.contains(&j) {
                    j = mt.randbelow(n as u64) as usize;
                }
                selected.insert(j);
                result.push(items[j].clone());
            }
        }
        Ok(Value::list(result))
    }));
    def("choices", Box::new(|it, args, mt| {
        let [pop, weights, cum, k] = args.bind(&["population", "weights=", "*", "cum_weights=", "k="])?;
        let pop = it.iterate(&pop.unwrap_or(Value::None))?;
        let k = k.map(|k| k.expect_int("k")).transpose()?.unwrap_or(1).max(0) as usize;
        super::limits::check_items(k as u128, std::mem::size_of::<Value>() as u128)?;
        let n = pop.len();
        let cum: Vec<f64> = match (weights, cum) {
            (Some(w), Some(c)) if !w.is_none() && !c.is_none() => {
                return Err(Exception::type_error("Cannot specify both weights and cumulative weights"));
            }
            (None, None) | (Some(Value::None), None) | (None, Some(Value::None)) => {
                if n == 0 {
                    return Err(Exception::new("IndexError", "list index out of range"));
                }
                let nf = n as f64;
                return Ok(Value::list((0..k).map(|_| pop[((mt.random() * nf) as usize).min(n - 1)].clone()).collect()));
            }
            (Some(w), _) => {
                let mut acc = 0.0;
                let mut out = Vec::new();
                for v in it.iterate(&w)? {
                    acc += to_float(it, &v)?;
                    out.push(acc);
                }
                out
            }
            (None, Some(c)) => it.iterate(&c)?.iter().map(|v| to_float(it, v)).collect::<R<_>>()?,
        };
        if cum.len() != n {
            return Err(Exception::value_error("The number of weights does not match the population"));
        }
        let total = cum.last().copied().unwrap_or(0.0);
        if total <= 0.0 {
            return Err(Exception::value_error("Total of weights must be greater than zero"));
        }
        if !total.is_finite() {
            return Err(Exception::value_error("Total of weights must be finite"));
        }
        let hi = n - 1;
        let mut out = Vec::with_capacity(k);
        for _ in 0..k {
            let x = mt.random() * total;
            // bisect_right(cum, x, 0, hi)
            let (mut lo, mut h) = (0usize, hi);
            while lo < h {
                let mid = (lo + h) / 2;
                if x < cum[mid] { h = mid } else { lo = mid + 1 }
            }
            out.push(pop[lo].clone());
        }
        Ok(Value::list(out))
    }));
    Value::Module(Rc::new(m))
}
