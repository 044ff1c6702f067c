//! More of `numpy.random`: the legacy distributions `binomial` (inversion, n*p <= 30),
//! `poisson` (multiplication, lam < 10), `exponential`, `standard_gamma` and `beta` as NumPy's
//! `legacy-distributions.c` draws them, `get_state`, and `default_rng`'s PCG64 `Generator`
//! (SeedSequence seeding, `random`, `integers` by Lemire's bounded draw, `uniform`).

use std::cell::RefCell;
use std::rc::Rc;

use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::DType;

use super::array::{Elems, R, array, build};
use super::methods::int_of;
use super::random::{RandomState, State, f64_or, floats, ints, size_arg};

impl RandomState {
    fn exponential(&mut self) -> f64 {
        -(1.0 - self.double()).ln()
    }

    /// `legacy_standard_gamma`: Marsaglia–Tsang over the legacy normal for shape > 1, Johnk's
    /// rejection below 1.
    fn gamma(&mut self, shape: f64) -> f64 {
        if shape == 1.0 {
            return self.exponential();
        }
        if shape == 0.0 {
            return 0.0;
        }
        if shape < 1.0 {
            loop {
                let u = self.double();
                let v = self.exponential();
                if u <= 1.0 - shape {
                    let x = u.powf(1.0 / shape);
                    if x <= v {
                        return x;
                    }
                } else {
                    let y = -((1.0 - u) / shape).ln();
                    let x = (1.0 - shape + shape * y).powf(1.0 / shape);
                    if x <= v + y {
                        return x;
                    }
                }
            }
        }
        let b = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * b).sqrt();
        loop {
            let (mut x, mut v);
            loop {
                x = self.gauss();
                v = 1.0 + c * x;
                if v > 0.0 {
                    break;
                }
            }
            v = v * v * v;
            let u = self.double();
            if u < 1.0 - 0.0331 * (x * x) * (x * x) {
                return b * v;
            }
            if u.ln() < 0.5 * x * x + b * (1.0 - v + v.ln()) {
                return b * v;
            }
        }
    }

    fn beta(&mut self, a: f64, b: f64) -> f64 {
        if a <= 1.0 && b <= 1.0 {
            loop {
                let (u, v) = (self.double(), self.double());
                let x = u.powf(1.0 / a);
                let y = v.powf(1.0 / b);
                let xpy = x + y;
                if xpy <= 1.0 && xpy > 0.0 {
                    return x / xpy;
                }
            }
        }
        let ga = self.gamma(a);
        let gb = self.gamma(b);
        ga / (ga + gb)
    }

    /// `random_binomial_inversion` (NumPy takes this path while n * min(p, 1 - p) <= 30).
    fn binomial_inversion(&mut self, n: i64, p: f64) -> i64 {
        let q = 1.0 - p;
        let qn = (n as f64 * q.ln()).exp();
        let np = n as f64 * p;
        let bound = (n as f64).min(np + 10.0 * (np * q + 1.0).sqrt());
        let mut x = 0i64;
        let mut px = qn;
        let mut u = self.double();
        while u > px {
            x += 1;
            if x as f64 > bound {
                x = 0;
                px = qn;
                u = self.double();
            } else {
                u -= px;
                px = ((n - x + 1) as f64 * p * px) / (x as f64 * q);
            }
        }
        x
    }

    fn binomial(&mut self, n: i64, p: f64) -> R<i64> {
        if n == 0 || p == 0.0 {
            return Ok(0);
        }
        let (pp, flip) = if p <= 0.5 {
            (p, false)
        } else {
            (1.0 - p, true)
        };
        if pp * n as f64 > 30.0 {
            return Err(Exception::unsupported(
                "np.random.binomial with n * p > 30 (NumPy's BTPE)",
            ));
        }
        let x = self.binomial_inversion(n, pp);
        Ok(if flip { n - x } else { x })
    }

    fn poisson(&mut self, lam: f64) -> R<i64> {
        if lam >= 10.0 {
            return Err(Exception::unsupported(
                "np.random.poisson with lam >= 10 (NumPy's PTRS)",
            ));
        }
        if lam == 0.0 {
            return Ok(0);
        }
        let enlam = (-lam).exp();
        let (mut x, mut prod) = (0i64, 1.0);
        loop {
            prod *= self.double();
            if prod > enlam {
                x += 1;
            } else {
                return Ok(x);
            }
        }
    }
}

/// Adds the distributions to a legacy module or `RandomState`.
pub fn install(m: &Module, st: &State) {
    let def = |name: &str, f: fn(&State, &mut Interpreter, Args) -> R<Value>| {
        let st = st.clone();
        m.set(name, Value::builtin(name, move |it, args| f(&st, it, args)));
    };
    def("binomial", |st, it, args| {
        let [n, p, size] = args.bind(&["n", "p", "size="])?;
        let n = int_of(n.as_ref().unwrap_or(&Value::None))?;
        let p = f64_or(p.as_ref(), 0.0)?;
        if n < 0 {
            return Err(Exception::value_error("n < 0"));
        }
        if !(0.0..=1.0).contains(&p) {
            return Err(Exception::value_error(if p < 0.0 {
                "p < 0"
            } else {
                "p > 1"
            }));
        }
        let shape = size_arg(it, size.as_ref())?;
        let mut err = None;
        let r = ints(shape, || {
            st.borrow_mut().binomial(n, p).unwrap_or_else(|e| {
                err = Some(e);
                0
            })
        })?;
        err.map_or(Ok(r), Err)
    });
    def("poisson", |st, it, args| {
        let [lam, size] = args.bind(&["lam=", "size="])?;
        let lam = f64_or(lam.as_ref(), 1.0)?;
        if lam < 0.0 {
            return Err(Exception::value_error("lam < 0"));
        }
        let shape = size_arg(it, size.as_ref())?;
        let mut err = None;
        let r = ints(shape, || {
            st.borrow_mut().poisson(lam).unwrap_or_else(|e| {
                err = Some(e);
                0
            })
        })?;
        err.map_or(Ok(r), Err)
    });
    def("exponential", |st, it, args| {
        let [scale, size] = args.bind(&["scale=", "size="])?;
        let scale = f64_or(scale.as_ref(), 1.0)?;
        if scale < 0.0 {
            return Err(Exception::value_error("scale < 0"));
        }
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || scale * st.borrow_mut().exponential())
    });
    def("standard_gamma", |st, it, args| {
        let [shape_p, size] = args.bind(&["shape", "size="])?;
        let k = f64_or(shape_p.as_ref(), 1.0)?;
        if k < 0.0 {
            return Err(Exception::value_error("shape < 0"));
        }
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || st.borrow_mut().gamma(k))
    });
    def("gamma", |st, it, args| {
        let [shape_p, scale, size] = args.bind(&["shape", "scale=", "size="])?;
        let (k, scale) = (f64_or(shape_p.as_ref(), 1.0)?, f64_or(scale.as_ref(), 1.0)?);
        if k < 0.0 || scale < 0.0 {
            return Err(Exception::value_error(if k < 0.0 {
                "shape < 0"
            } else {
                "scale < 0"
            }));
        }
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || scale * st.borrow_mut().gamma(k))
    });
    def("beta", |st, it, args| {
        let [a, b, size] = args.bind(&["a", "b", "size="])?;
        let (a, b) = (f64_or(a.as_ref(), 1.0)?, f64_or(b.as_ref(), 1.0)?);
        if a <= 0.0 || b <= 0.0 {
            return Err(Exception::value_error(if a <= 0.0 {
                "a <= 0"
            } else {
                "b <= 0"
            }));
        }
        let shape = size_arg(it, size.as_ref())?;
        floats(shape, || st.borrow_mut().beta(a, b))
    });
    def("get_state", |st, _, _| {
        let s = st.borrow();
        let bytes = s.mt.state_bytes();
        // The engine's layout: seed (8), left (4), seeded (4), next (8), then 624 u64 words.
        let left = i32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as i64;
        let keys: Vec<i64> = (0..624)
            .map(|i| {
                let o = 24 + 8 * i;
                i64::from(u32::from_le_bytes([
                    bytes[o],
                    bytes[o + 1],
                    bytes[o + 2],
                    bytes[o + 3],
                ]))
            })
            .collect();
        let keys = build(Elems::Int(keys), &[624], DType::Int64)?;
        Ok(Value::tuple(vec![
            Value::str("MT19937"),
            array(keys),
            Value::Int(625 - left),
            Value::Int(i64::from(s.gauss.is_some())),
            Value::Float(s.gauss.unwrap_or(0.0)),
        ]))
    });
}

const MULT_A: u32 = 0x931e_8875;
const MULT_B: u32 = 0x58f3_8ded;

fn hashmix(value: u32, hash: &mut u32) -> u32 {
    let mut v = value ^ *hash;
    *hash = hash.wrapping_mul(MULT_A);
    v = v.wrapping_mul(*hash);
    v ^ (v >> 16)
}

fn mix(x: u32, y: u32) -> u32 {
    let r = 0xca01_f9ddu32
        .wrapping_mul(x)
        .wrapping_sub(0x4973_f715u32.wrapping_mul(y));
    r ^ (r >> 16)
}

/// NumPy's `SeedSequence(entropy).generate_state(n_words)` as 32-bit words.
fn seed_sequence(entropy: &[u32], n_words: usize) -> Vec<u32> {
    let mut pool = [0u32; 4];
    let mut hash = 0x43b0_d7e5u32;
    for (i, p) in pool.iter_mut().enumerate() {
        *p = hashmix(entropy.get(i).copied().unwrap_or(0), &mut hash);
    }
    for src in 0..4 {
        for dst in 0..4 {
            if src != dst {
                let h = hashmix(pool[src], &mut hash);
                pool[dst] = mix(pool[dst], h);
            }
        }
    }
    for &e in entropy.iter().skip(4) {
        for p in pool.iter_mut() {
            let h = hashmix(e, &mut hash);
            *p = mix(*p, h);
        }
    }
    let mut hb = 0x8b51_f9ddu32;
    (0..n_words)
        .map(|i| {
            let mut v = pool[i % 4] ^ hb;
            hb = hb.wrapping_mul(MULT_B);
            v = v.wrapping_mul(hb);
            v ^ (v >> 16)
        })
        .collect()
}

/// PCG64 (XSL-RR over a 128-bit LCG), with NumPy's buffered 32-bit half.
struct Pcg64 {
    state: u128,
    inc: u128,
    half: Option<u32>,
}

const PCG_MULT: u128 = (2_549_297_995_355_413_924u128 << 64) + 4_865_540_595_714_422_341;

impl Pcg64 {
    fn new(seed: u64) -> Pcg64 {
        let entropy: Vec<u32> = if seed >> 32 == 0 {
            vec![seed as u32]
        } else {
            vec![seed as u32, (seed >> 32) as u32]
        };
        let w = seed_sequence(&entropy, 8);
        let word = |i: usize| u64::from(w[2 * i]) | (u64::from(w[2 * i + 1]) << 32);
        let s = (u128::from(word(0)) << 64) | u128::from(word(1));
        let i = (u128::from(word(2)) << 64) | u128::from(word(3));
        let mut g = Pcg64 {
            state: 0,
            inc: (i << 1) | 1,
            half: None,
        };
        g.step();
        g.state = g.state.wrapping_add(s);
        g.step();
        g
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    fn next64(&mut self) -> u64 {
        self.step();
        let x = ((self.state >> 64) as u64) ^ (self.state as u64);
        x.rotate_right((self.state >> 122) as u32)
    }

    fn next32(&mut self) -> u32 {
        if let Some(h) = self.half.take() {
            return h;
        }
        let n = self.next64();
        self.half = Some((n >> 32) as u32);
        n as u32
    }

    fn double(&mut self) -> f64 {
        (self.next64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `off + ` a uniform integer in [0, rng] (NumPy's buffered Lemire draws).
    fn bounded(&mut self, off: i64, rng: u64) -> i64 {
        if rng == 0 {
            return off;
        }
        if rng <= 0xffff_ffff {
            if rng == 0xffff_ffff {
                return off.wrapping_add(i64::from(self.next32()));
            }
            let excl = rng as u32 + 1;
            let mut m = u64::from(self.next32()) * u64::from(excl);
            let mut left = m as u32;
            if left < excl {
                let threshold = excl.wrapping_neg() % excl;
                while left < threshold {
                    m = u64::from(self.next32()) * u64::from(excl);
                    left = m as u32;
                }
            }
            return off.wrapping_add((m >> 32) as i64);
        }
        if rng == u64::MAX {
            return off.wrapping_add(self.next64() as i64);
        }
        let excl = rng + 1;
        let mut m = u128::from(self.next64()) * u128::from(excl);
        let mut left = m as u64;
        if left < excl {
            let threshold = excl.wrapping_neg() % excl;
            while left < threshold {
                m = u128::from(self.next64()) * u128::from(excl);
                left = m as u64;
            }
        }
        off.wrapping_add((m >> 64) as i64)
    }
}

type Gen = Rc<RefCell<Pcg64>>;

/// `np.random.default_rng(seed)`: a `Generator` over PCG64.
pub fn install_generator(m: &Module) {
    m.set(
        "default_rng",
        Value::builtin("default_rng", |_, args| {
            let [seed] = args.bind(&["seed="])?;
            let seed = match seed {
                None | Some(Value::None) => 0,
                Some(v) => int_of(&v)?,
            };
            if seed < 0 {
                return Err(Exception::value_error("expected non-negative integer"));
            }
            let g: Gen = Rc::new(RefCell::new(Pcg64::new(seed as u64)));
            let gm = Module::new("Generator");
            let def = |name: &str, f: fn(&Gen, &mut Interpreter, Args) -> R<Value>| {
                let g = g.clone();
                gm.set(name, Value::builtin(name, move |it, args| f(&g, it, args)));
            };
            def("random", |g, it, args| {
                let [size] = args.bind(&["size="])?;
                floats(size_arg(it, size.as_ref())?, || g.borrow_mut().double())
            });
            def("uniform", |g, it, args| {
                let [low, high, size] = args.bind(&["low=", "high=", "size="])?;
                let (low, high) = (f64_or(low.as_ref(), 0.0)?, f64_or(high.as_ref(), 1.0)?);
                floats(size_arg(it, size.as_ref())?, || {
                    low + (high - low) * g.borrow_mut().double()
                })
            });
            def("integers", |g, it, args| {
                let [low, high, size] = args.bind(&["low", "high=", "size="])?;
                let low = int_of(low.as_ref().unwrap_or(&Value::None))?;
                let (lo, hi) = match high {
                    None | Some(Value::None) => (0, low),
                    Some(h) => (low, int_of(&h)?),
                };
                if lo >= hi {
                    return Err(Exception::value_error("low >= high"));
                }
                let rng = (hi - 1).wrapping_sub(lo) as u64;
                ints(size_arg(it, size.as_ref())?, || {
                    g.borrow_mut().bounded(lo, rng)
                })
            });
            for name in [
                "normal",
                "standard_normal",
                "choice",
                "shuffle",
                "permutation",
            ] {
                gm.set(
                    name,
                    Value::builtin(name, move |_, _| {
                        Err(Exception::unsupported(format!(
                            "Generator.{name} (NumPy's ziggurat and Generator sampling)"
                        )))
                    }),
                );
            }
            Ok(Value::Module(Rc::new(gm)))
        }),
    );
}
