//! `torch.utils.data`'s samplers (`SequentialSampler`, `RandomSampler`, `SubsetRandomSampler`,
//! `WeightedRandomSampler`, `BatchSampler`): the indices a DataLoader visits, drawn from the
//! generators and in the amounts PyTorch draws them.

use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{as_tensor, exc, tv};
use super::{PyGenerator, class};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, DType, Generator, Scalar, Tensor};

type R<T> = Result<T, Exception>;
type Gen = Rc<RefCell<Generator>>;

enum Kind {
    Sequential { data_source: Value },
    Random { data_source: Value, replacement: bool, num_samples: Option<usize>, generator: Option<Gen> },
    SubsetRandom { indices: Vec<Value>, generator: Option<Gen> },
    WeightedRandom { weights: Tensor, num_samples: usize, replacement: bool, generator: Option<Gen> },
}

/// A sampler over a map-style dataset's indices.
pub(super) struct Sampler {
    kind: Kind,
    /// The lesson's default generator: `SubsetRandomSampler` and `WeightedRandomSampler`
    /// without a generator draw from it; `RandomSampler` seeds a fresh one from it.
    default: Gen,
}

fn ints(t: &Tensor) -> Vec<i64> {
    t.to_scalars().into_iter().map(|s| if let Scalar::Int(i) = s { i } else { 0 }).collect()
}

impl Sampler {
    fn class_name(&self) -> &'static str {
        match self.kind {
            Kind::Sequential { .. } => "SequentialSampler",
            Kind::Random { .. } => "RandomSampler",
            Kind::SubsetRandom { .. } => "SubsetRandomSampler",
            Kind::WeightedRandom { .. } => "WeightedRandomSampler",
        }
    }

    /// One pass of `__iter__` as an iterator: drawn all at once (PyTorch's generators draw at
    /// the first `next`, before the loader fetches a sample), except `RandomSampler` with
    /// replacement, whose indices are drawn 32 at a time as they are reached (the sampler may be
    /// asked for 1e10 of them).
    pub(super) fn pass(&self, interp: &mut Interpreter) -> R<Value> {
        let int_values = |v: Vec<i64>| Value::iter_items(v.into_iter().map(Value::Int).collect());
        match &self.kind {
            Kind::Sequential { data_source } => Ok(int_values((0..interp.len(data_source)? as i64).collect())),
            Kind::Random { data_source, replacement, num_samples, generator } => {
                let n = interp.len(data_source)?;
                let count = num_samples.unwrap_or(n);
                let g = self.own_generator(generator);
                if *replacement {
                    return Ok(Value::native(super::loader_iter::ReplacementIter::new(g, n, count)));
                }
                let mut g = g.borrow_mut();
                let mut out = Vec::with_capacity(count);
                for _ in 0..count / n.max(1) {
                    out.extend(ints(&engine::randperm(&mut g, n).map_err(exc)?));
                }
                // The last permutation is drawn even when none of it is used.
                let last = ints(&engine::randperm(&mut g, n).map_err(exc)?);
                out.extend(last.into_iter().take(count % n.max(1)));
                Ok(int_values(out))
            }
            Kind::SubsetRandom { indices, generator } => {
                let g = generator.clone().unwrap_or_else(|| self.default.clone());
                let perm = engine::randperm(&mut g.borrow_mut(), indices.len()).map_err(exc)?;
                Ok(Value::iter_items(ints(&perm).into_iter().map(|i| indices[i as usize].clone()).collect()))
            }
            Kind::WeightedRandom { weights, num_samples, replacement, generator } => {
                let g = generator.clone().unwrap_or_else(|| self.default.clone());
                let r = engine::multinomial(&mut g.borrow_mut(), weights, *num_samples as i64, *replacement).map_err(exc)?;
                Ok(int_values(ints(&r)))
            }
        }
    }

    /// RandomSampler's generator: the one it was given, else a new one seeded by a draw from
    /// the default generator (made afresh for every pass, as PyTorch's `__iter__` does).
    fn own_generator(&self, generator: &Option<Gen>) -> Gen {
        match generator {
            Some(g) => g.clone(),
            None => {
                let seed = self.default.borrow_mut().random64() % (1u64 << 63);
                Rc::new(RefCell::new(Generator::new(seed)))
            }
        }
    }

        fn length(&self, interp: &mut Interpreter) -> R<usize> {
        match &self.kind {
            Kind::Sequential { data_source } => interp.len(data_source),
            Kind::Random { data_source, num_samples, .. } => match num_samples {
                Some(n) => Ok(*n),
                None => interp.len(data_source),
            },
            Kind::SubsetRandom { indices, .. } => Ok(indices.len()),
            Kind::WeightedRandom { num_samples, .. } => Ok(*num_samples),
        }
    }
}

/// The sampler a DataLoader with `shuffle=True` makes: `RandomSampler(data_source,
/// generator=loader.generator)`.
pub(super) fn shuffler(data_source: Value, generator: Option<Gen>, default: Gen) -> Sampler {
    Sampler { kind: Kind::Random { data_source, replacement: false, num_samples: None, generator }, default }
}

impl NativeObject for Sampler {
    fn type_name(&self) -> &str {
        self.class_name()
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.data.sampler")
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        let copy_gen = |c: &mut crate::lang::interp::Copier, g: &Option<Gen>| g.as_ref().map(|g| c.generator(g));
        let kind = match &self.kind {
            Kind::Sequential { data_source } => Kind::Sequential { data_source: c.value(data_source)? },
            Kind::Random { data_source, replacement, num_samples, generator } => Kind::Random {
                data_source: c.value(data_source)?,
                replacement: *replacement,
                num_samples: *num_samples,
                generator: copy_gen(c, generator),
            },
            Kind::SubsetRandom { indices, generator } => Kind::SubsetRandom {
                indices: indices.iter().map(|v| c.value(v)).collect::<Option<_>>()?,
                generator: copy_gen(c, generator),
            },
            Kind::WeightedRandom { weights, num_samples, replacement, generator } => Kind::WeightedRandom {
                weights: c.tensor(weights)?,
                num_samples: *num_samples,
                replacement: *replacement,
                generator: copy_gen(c, generator),
            },
        };
        Some(Value::native(Sampler { kind, default: c.generator(&self.default) }))
    }
    fn len(&self, interp: &mut Interpreter) -> R<Option<usize>> {
        self.length(interp).map(Some)
    }
    fn iter(&self, _: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        self.pass(interp).map(Some)
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match (&self.kind, name) {
            (Kind::Sequential { data_source } | Kind::Random { data_source, .. }, "data_source") => Some(data_source.clone()),
            (Kind::SubsetRandom { indices, .. }, "indices") => Some(Value::list(indices.clone())),
            (Kind::WeightedRandom { weights, .. }, "weights") => Some(tv(weights.clone())),
            (Kind::WeightedRandom { num_samples, .. }, "num_samples") => Some(Value::Int(*num_samples as i64)),
            (Kind::Random { replacement, .. } | Kind::WeightedRandom { replacement, .. }, "replacement") => Some(Value::Bool(*replacement)),
            _ => None,
        })
    }
}

/// `BatchSampler(sampler, batch_size, drop_last)`: the sampler's indices in lists.
pub(super) struct BatchSampler {
    sampler: Value,
    batch_size: usize,
    drop_last: bool,
}

/// `iter(batch_sampler)`: PyTorch's generator, which iterates its sampler lazily (from the
/// first `next`, so a random sampler draws its seed then) and yields one list per batch, so a
/// sampler of 10^10 indices costs one batch at a time.
struct BatchIter {
    sampler: Value,
    source: RefCell<Option<Value>>,
    batch_size: usize,
    drop_last: bool,
    done: std::cell::Cell<bool>,
}

impl NativeObject for BatchIter {
    fn type_name(&self) -> &str {
        "generator"
    }
    fn iter(&self, this: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(this.clone()))
    }
    fn next(&self, interp: &mut Interpreter) -> R<Option<Value>> {
        if self.done.get() {
            return Ok(None);
        }
        let existing = self.source.borrow().clone();
        let source = match existing {
            Some(s) => s,
            None => {
                let s = interp.iter(&self.sampler)?;
                *self.source.borrow_mut() = Some(s.clone());
                s
            }
        };
        let mut batch = Vec::with_capacity(self.batch_size);
        while batch.len() < self.batch_size {
            match interp.next(&source)? {
                Some(i) => batch.push(i),
                None => {
                    self.done.set(true);
                    break;
                }
            }
        }
        if batch.is_empty() || (self.drop_last && batch.len() < self.batch_size) {
            self.done.set(true);
            return Ok(None);
        }
        Ok(Some(Value::list(batch)))
    }
}

impl NativeObject for BatchSampler {
    fn type_name(&self) -> &str {
        "BatchSampler"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.data.sampler")
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(BatchSampler { sampler: c.value(&self.sampler)?, batch_size: self.batch_size, drop_last: self.drop_last }))
    }
    fn len(&self, interp: &mut Interpreter) -> R<Option<usize>> {
        let n = interp.len(&self.sampler)?;
        Ok(Some(if self.drop_last { n / self.batch_size } else { n.div_ceil(self.batch_size) }))
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(Value::native(BatchIter {
            sampler: self.sampler.clone(),
            source: RefCell::new(None),
            batch_size: self.batch_size,
            drop_last: self.drop_last,
            done: std::cell::Cell::new(false),
        })))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "sampler" => Some(self.sampler.clone()),
            "batch_size" => Some(Value::Int(self.batch_size as i64)),
            "drop_last" => Some(Value::Bool(self.drop_last)),
            _ => None,
        })
    }
}

fn generator_param(v: Option<Value>) -> R<Option<Gen>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(g) => g
            .downcast::<PyGenerator>()
            .map(|g| Some(g.0.clone()))
            .ok_or_else(|| Exception::type_error(format!("generator must be a torch.Generator, not {}", g.type_name()))),
    }
}

/// A bool parameter; PyTorch's RandomSampler raises TypeError for anything else, its
/// WeightedRandomSampler ValueError.
fn bool_param(v: Option<Value>, name: &str, default: bool, error: fn(String) -> Exception) -> R<bool> {
    match v {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(b),
        Some(other) => Err(error(format!("{name} should be a boolean value, but got {name}={}", other.to_str()))),
    }
}

/// `num_samples`: a positive int, else PyTorch's ValueError.
fn num_samples_param(v: &Value) -> R<usize> {
    match v {
        Value::Int(n) if *n > 0 => Ok(*n as usize),
        other => Err(Exception::value_error(format!(
            "num_samples should be a positive integer value, but got num_samples={}",
            other.to_str()
        ))),
    }
}

/// Adds the sampler classes to `torch.utils.data` and returns its `sampler` submodule.
pub(super) fn install(m: &Module, default: &Gen) -> Module {
    let d = default.clone();
    m.set("SequentialSampler", class("SequentialSampler", "torch.utils.data.sampler", move |_, args: Args| {
        let [data_source] = args.bind(&["data_source"])?;
        let data_source = data_source.unwrap_or(Value::None);
        Ok(Value::native(Sampler { kind: Kind::Sequential { data_source }, default: d.clone() }))
    }));
    let d = default.clone();
    m.set("RandomSampler", class("RandomSampler", "torch.utils.data.sampler", move |interp, args: Args| {
        let [data_source, replacement, num_samples, generator] = args.bind(&["data_source", "replacement=", "num_samples=", "generator="])?;
        let data_source = data_source.unwrap_or(Value::None);
        let replacement = bool_param(replacement, "replacement", false, Exception::type_error)?;
        let num_samples = match num_samples {
            None | Some(Value::None) => {
                // `self.num_samples` (the dataset's length) is checked at construction.
                let n = interp.len(&data_source)?;
                num_samples_param(&Value::Int(n as i64))?;
                None
            }
            Some(v) => Some(num_samples_param(&v)?),
        };
        let generator = generator_param(generator)?;
        Ok(Value::native(Sampler { kind: Kind::Random { data_source, replacement, num_samples, generator }, default: d.clone() }))
    }));
    let d = default.clone();
    m.set("SubsetRandomSampler", class("SubsetRandomSampler", "torch.utils.data.sampler", move |interp, args: Args| {
        let [indices, generator] = args.bind(&["indices", "generator="])?;
        let indices = interp.iterate(&indices.unwrap_or(Value::None))?;
        let generator = generator_param(generator)?;
        Ok(Value::native(Sampler { kind: Kind::SubsetRandom { indices, generator }, default: d.clone() }))
    }));
    let d = default.clone();
    m.set("WeightedRandomSampler", class("WeightedRandomSampler", "torch.utils.data.sampler", move |interp, args: Args| {
        let [weights, num_samples, replacement, generator] = args.bind(&["weights", "num_samples", "replacement=", "generator="])?;
        let num_samples = num_samples_param(&num_samples.unwrap_or(Value::None))?;
        let replacement = bool_param(replacement, "replacement", true, Exception::value_error)?;
        let weights = weights.unwrap_or(Value::None);
        // `torch.as_tensor(weights, dtype=torch.double)`.
        let w = match as_tensor(&weights) {
            Some(t) => t.to_dtype(DType::Float64).map_err(exc)?,
            None => super::convert::tensor_from_data(interp, &weights, Some(DType::Float64))?,
        };
        if w.dim() != 1 {
            // `tuple(weights_tensor.shape)`.
            let dims: Vec<String> = w.shape().iter().map(usize::to_string).collect();
            return Err(Exception::value_error(format!(
                "weights should be a 1d sequence but given weights have shape ({})",
                dims.join(", ")
            )));
        }
        let generator = generator_param(generator)?;
        Ok(Value::native(Sampler {
            kind: Kind::WeightedRandom { weights: w, num_samples, replacement, generator },
            default: d.clone(),
        }))
    }));
    m.set("BatchSampler", class("BatchSampler", "torch.utils.data.sampler", |_, args: Args| {
        let [sampler, batch_size, drop_last] = args.bind(&["sampler", "batch_size", "drop_last"])?;
        let batch_size = match batch_size {
            Some(Value::Int(b)) if b > 0 => b as usize,
            other => {
                return Err(Exception::value_error(format!(
                    "batch_size should be a positive integer value, but got batch_size={}",
                    other.as_ref().map_or("None".to_string(), Value::to_str)
                )));
            }
        };
        let drop_last = match drop_last {
            Some(Value::Bool(b)) => b,
            other => {
                return Err(Exception::value_error(format!(
                    "drop_last should be a boolean value, but got drop_last={}",
                    other.as_ref().map_or("None".to_string(), Value::to_str)
                )));
            }
        };
        Ok(Value::native(BatchSampler { sampler: sampler.unwrap_or(Value::None), batch_size, drop_last }))
    }));
    // The base class of custom samplers: subclasses define `__iter__` (and `__len__`), which
    // DataLoader calls like any Python object's.
    let base = crate::lang::TypeObj::build("Sampler".into(), Some("torch.utils.data.sampler".into()), None, None, Default::default());
    m.set("Sampler", Value::Type(Rc::new(base)));
    let sub = Module::new("torch.utils.data.sampler");
    for name in ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"] {
        if let Some(v) = m.get(name) {
            sub.set(name, v);
        }
    }
    sub
}
