//! `torch.utils.data`: TensorDataset and DataLoader with PyTorch's sampler and seed draws
//! (the sampler classes: samplers.rs).

use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{as_tensor, bool_arg, exc, tv};
use super::loader_iter::{Indices, LoaderIter};
use super::{PyGenerator, Shared, class};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, TypeObj, Value};
use crate::tensor::{self as engine, Generator, Tensor};

type R<T> = Result<T, Exception>;

/// `TensorDataset(*tensors)`: item `i` is the tuple of each tensor's row `i`.
struct TensorDataset(Vec<Tensor>);

impl NativeObject for TensorDataset {
    fn type_name(&self) -> &str {
        "TensorDataset"
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(TensorDataset(self.0.iter().map(|t| c.tensor(t)).collect::<Option<_>>()?)))
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.data.dataset")
    }
    fn repr(&self) -> String {
        format!("<torch.utils.data.dataset.TensorDataset object at 0x{:012x}>", 0x7f00_0000_0000usize + self.0.len() * 16)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.0.first().map_or(0, |t| t.shape().first().copied().unwrap_or(0))))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        // The tensors themselves (not copies), as PyTorch keeps them.
        Ok((name == "tensors").then(|| Value::tuple(self.0.iter().cloned().map(tv).collect())))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        // `tuple(tensor[index] for tensor in tensors)`: an int, a slice (`ds[0:10]`), a list...
        if let Some(i) = key.as_int().filter(|_| !matches!(key, Value::Bool(_))) {
            let rows = self.0.iter().map(|t| t.select(0, i).map(tv).map_err(exc)).collect::<R<Vec<_>>>()?;
            return Ok(Some(Value::tuple(rows)));
        }
        let rows = self.0.iter().map(|t| interp.get_item(&tv(t.clone()), key)).collect::<R<Vec<_>>>()?;
        Ok(Some(Value::tuple(rows)))
    }
}

/// `Subset(dataset, indices)`: the items of `dataset` at `indices`, in that order.
struct Subset {
    dataset: Value,
    indices: Vec<Value>,
}

impl NativeObject for Subset {
    fn type_name(&self) -> &str {
        "Subset"
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(Subset {
            dataset: c.value(&self.dataset)?,
            indices: self.indices.iter().map(|v| c.value(v)).collect::<Option<_>>()?,
        }))
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.data.dataset")
    }
    fn repr(&self) -> String {
        format!("<torch.utils.data.dataset.Subset object at 0x{:012x}>", 0x7f00_0000_0000usize + self.indices.len() * 16)
    }
    fn len(&self, _: &mut Interpreter) -> R<Option<usize>> {
        Ok(Some(self.indices.len()))
    }
    fn get_item(&self, _: &Value, key: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        // A list of positions picks the dataset's items at once: `dataset[[indices[i] for i in key]]`.
        if let Value::List(l) = key {
            let picks = l.borrow().clone();
            let mut mapped = Vec::with_capacity(picks.len());
            for k in picks {
                mapped.push(interp.get_item(&Value::list(self.indices.clone()), &k)?);
            }
            return interp.get_item(&self.dataset, &Value::list(mapped)).map(Some);
        }
        let i = interp.get_item(&Value::list(self.indices.clone()), key)?;
        interp.get_item(&self.dataset, &i).map(Some)
    }
    /// Iteration by `__getitem__` with 0, 1, ... as Python does for a class without `__iter__`.
    fn iter(&self, _: &Value, interp: &mut Interpreter) -> R<Option<Value>> {
        let mut items = Vec::with_capacity(self.indices.len());
        for i in &self.indices {
            items.push(interp.get_item(&self.dataset, i)?);
        }
        Ok(Some(Value::iter_items(items)))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "dataset" => Some(self.dataset.clone()),
            "indices" => Some(Value::list(self.indices.clone())),
            _ => None,
        })
    }
}

/// `random_split(dataset, lengths, generator=default_generator)`: one `randperm` of the whole
/// dataset cut into consecutive pieces; fractional lengths become counts by flooring, the
/// remainder going one by one to the first pieces, as PyTorch does.
fn random_split(interp: &mut Interpreter, shared: &Shared, dataset: Value, lengths: &Value, generator: Option<Value>) -> R<Value> {
    let n = interp.len(&dataset)?;
    let given = interp.iterate(lengths)?;
    let fractions = given.iter().all(|v| matches!(v, Value::Float(_)));
    let mut counts: Vec<usize> = Vec::with_capacity(given.len());
    if fractions && (given.iter().map(|v| v.expect_f64("length")).sum::<R<f64>>()? - 1.0).abs() <= 1e-9 {
        for v in &given {
            let f = v.expect_f64("length")?;
            if !(0.0..=1.0).contains(&f) {
                return Err(Exception::value_error(format!("Fraction at index {} is not between 0 and 1", counts.len())));
            }
            counts.push((n as f64 * f).floor() as usize);
        }
        let rest = n - counts.iter().sum::<usize>().min(n);
        let k = counts.len().max(1);
        for i in 0..rest {
            counts[i % k] += 1;
        }
    } else {
        for v in &given {
            let c = v.expect_int("length")?;
            counts.push(usize::try_from(c).map_err(|_| Exception::value_error("lengths must be non-negative"))?);
        }
    }
    if counts.iter().sum::<usize>() != n {
        return Err(Exception::value_error("Sum of input lengths does not equal the length of the input dataset!"));
    }
    let rng = match generator {
        None | Some(Value::None) => shared.rng.clone(),
        Some(g) => g.downcast::<PyGenerator>().map(|g| g.0.clone()).ok_or_else(|| Exception::type_error("generator must be a torch.Generator"))?,
    };
    let perm = engine::randperm(&mut rng.borrow_mut(), n).map_err(exc)?;
    let order: Vec<Value> = perm.to_scalars().into_iter().map(|s| Value::Int(s.as_i64())).collect();
    let mut out = Vec::with_capacity(counts.len());
    let mut start = 0;
    for c in counts {
        out.push(Value::native(Subset { dataset: dataset.clone(), indices: order[start..start + c].to_vec() }));
        start += c;
    }
    Ok(Value::list(out))
}

/// `DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False, generator=None)`.
#[derive(Clone)]
struct DataLoader {
    dataset: Value,
    batch_size: usize,
    shuffle: bool,
    drop_last: bool,
    generator: Option<Rc<RefCell<Generator>>>,
    default: Rc<RefCell<Generator>>,
    /// `collate_fn`, called with the list of a batch's samples; None: `default_collate`.
    collate_fn: Option<Value>,
    /// `sampler=`: the indices in its order (instead of `shuffle`'s RandomSampler).
    sampler: Option<Value>,
    /// `batch_sampler=`: lists of indices, one per batch.
    batch_sampler: Option<Value>,
    /// `num_workers=`: batch `k` is fetched with worker `k % num_workers`'s generator.
    num_workers: usize,
}

impl DataLoader {
    fn n_batches(&self, interp: &mut Interpreter) -> R<usize> {
        if let Some(b) = &self.batch_sampler {
            return interp.len(b);
        }
        let n = match &self.sampler {
            Some(s) => interp.len(s)?,
            None => interp.len(&self.dataset)?,
        };
        Ok(if self.drop_last { n / self.batch_size } else { n.div_ceil(self.batch_size) })
    }
}

impl super::loader_iter::Batches for DataLoader {
    /// Where the batches' indices come from: `batch_sampler`, else `sampler` (or `shuffle`'s
    /// RandomSampler, or the dataset's order) grouped `batch_size` at a time.
    fn indices(&self, interp: &mut Interpreter) -> R<Indices> {
        if let Some(b) = &self.batch_sampler {
            return Ok(Indices::Batches(interp.iter(b)?));
        }
        Ok(Indices::Single(if let Some(s) = &self.sampler {
            interp.iter(s)?
        } else if self.shuffle {
            // `shuffle=True` is `RandomSampler(dataset, generator=loader.generator)`.
            super::samplers::shuffler(self.dataset.clone(), self.generator.clone(), self.default.clone()).pass(interp)?
        } else {
            Value::iter_items((0..interp.len(&self.dataset)? as i64).map(Value::Int).collect())
        }))
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn drop_last(&self) -> bool {
        self.drop_last
    }

    fn fetch(&self, interp: &mut Interpreter, indices: &[Value]) -> R<Value> {
        let samples = indices.iter().map(|i| interp.get_item(&self.dataset, i)).collect::<R<Vec<_>>>()?;
        match &self.collate_fn {
            Some(f) => interp.call(f, Args::new("collate_fn", vec![Value::list(samples)])),
            None => collate(interp, samples),
        }
    }
}

/// PyTorch's `default_collate`: tensors are stacked, numbers become tensors, tuples and lists
/// are collated field by field (into a list).
fn collate(interp: &mut Interpreter, samples: Vec<Value>) -> R<Value> {
    let Some(first) = samples.first().cloned() else { return Ok(Value::list(Vec::new())) };
    if as_tensor(&first).is_some() {
        let ts = samples.iter().map(|s| as_tensor(s).cloned().ok_or_else(|| Exception::type_error("collate: mixed element types"))).collect::<R<Vec<_>>>()?;
        return Ok(tv(Tensor::stack(&ts, 0).map_err(exc)?));
    }
    match first {
        Value::Int(_) | Value::Bool(_) => {
            let v = samples.iter().map(|s| s.as_int().unwrap_or(0)).collect();
            Ok(tv(Tensor::from_data(engine::Data::I64(v), &[samples.len()]).map_err(exc)?))
        }
        Value::Float(_) => {
            // default_collate turns Python floats into float64 tensors.
            let v = samples.iter().map(|s| s.as_f64().unwrap_or(0.0)).collect();
            Ok(tv(Tensor::from_data(engine::Data::F64(v), &[samples.len()]).map_err(exc)?))
        }
        Value::Tuple(_) | Value::List(_) => {
            let rows = samples.iter().map(|s| interp.iterate(s)).collect::<R<Vec<_>>>()?;
            let width = rows[0].len();
            if rows.iter().any(|r| r.len() != width) {
                return Err(Exception::runtime_error("each element in list of batch should be of equal size"));
            }
            let fields = (0..width).map(|j| collate(interp, rows.iter().map(|r| r[j].clone()).collect())).collect::<R<Vec<_>>>()?;
            Ok(Value::list(fields))
        }
        _ => Ok(Value::list(samples)),
    }
}

impl NativeObject for DataLoader {
    fn type_name(&self) -> &str {
        "DataLoader"
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(DataLoader {
            dataset: c.value(&self.dataset)?,
            batch_size: self.batch_size,
            shuffle: self.shuffle,
            drop_last: self.drop_last,
            generator: self.generator.as_ref().map(|g| c.generator(g)),
            default: c.generator(&self.default),
            collate_fn: match &self.collate_fn {
                Some(f) => Some(c.value(f)?),
                None => None,
            },
            sampler: match &self.sampler {
                Some(v) => Some(c.value(v)?),
                None => None,
            },
            batch_sampler: match &self.batch_sampler {
                Some(v) => Some(c.value(v)?),
                None => None,
            },
            num_workers: self.num_workers,
        }))
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch.utils.data.dataloader")
    }
    fn len(&self, interp: &mut Interpreter) -> R<Option<usize>> {
        self.n_batches(interp).map(Some)
    }
    fn iter(&self, _: &Value, _: &mut Interpreter) -> R<Option<Value>> {
        // `_BaseDataLoaderIter.__init__` draws a base seed (for workers) whether or not it
        // shuffles, before the sampler draws: `torch.empty((), dtype=torch.int64).random_(generator=loader.generator)`.
        let loader_gen = self.generator.clone().unwrap_or_else(|| self.default.clone());
        let base_seed = loader_gen.borrow_mut().random64() % (1u64 << 63);
        let workers = (self.num_workers > 0)
            .then(|| super::loader_workers::Workers::new(self.default.clone(), base_seed, self.num_workers));
        Ok(Some(Value::native(LoaderIter::new(Rc::new(self.clone()), workers))))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "dataset" => Some(self.dataset.clone()),
            "batch_size" => Some(Value::Int(self.batch_size as i64)),
            "drop_last" => Some(Value::Bool(self.drop_last)),
            "sampler" => self.sampler.clone(),
            "batch_sampler" => self.batch_sampler.clone(),
            _ => None,
        })
    }
}

pub fn data_module(shared: &Rc<Shared>) -> Module {
    let m = Module::new("torch.utils.data");
    m.set("TensorDataset", class("TensorDataset", "torch.utils.data", |_, args| {
        let ts = args
            .pos
            .iter()
            .map(|v| as_tensor(v).cloned().ok_or_else(|| Exception::type_error(format!("TensorDataset takes tensors, not {}", v.type_name()))))
            .collect::<R<Vec<_>>>()?;
        if let Some(n) = ts.first().map(|t| t.shape().first().copied().unwrap_or(0))
            && ts.iter().any(|t| t.shape().first().copied().unwrap_or(0) != n)
        {
            return Err(Exception::new("AssertionError", "Size mismatch between tensors"));
        }
        Ok(Value::native(TensorDataset(ts)))
    }));
    m.set("Subset", class("Subset", "torch.utils.data", |interp, args| {
        let [dataset, indices] = args.bind(&["dataset", "indices"])?;
        let indices = interp.iterate(&indices.unwrap_or(Value::None))?;
        Ok(Value::native(Subset { dataset: dataset.unwrap_or(Value::None), indices }))
    }));
    // The base class of map-style datasets: subclasses define `__len__` and `__getitem__`,
    // which DataLoader, Subset and random_split call like any Python object's.
    let dataset = TypeObj::build("Dataset".into(), Some("torch.utils.data.dataset".into()), None, None, Default::default());
    m.set("Dataset", Value::Type(Rc::new(dataset)));
    let iterable = TypeObj::build("IterableDataset".into(), Some("torch.utils.data.dataset".into()), None, None, Default::default());
    m.set("IterableDataset", Value::Type(Rc::new(iterable)));
    let sh = shared.clone();
    m.set("random_split", Value::builtin("random_split", move |interp, args| {
        let [dataset, lengths, generator] = args.bind(&["dataset", "lengths", "generator="])?;
        random_split(interp, &sh, dataset.unwrap_or(Value::None), &lengths.unwrap_or(Value::None), generator)
    }));
    let sh = shared.clone();
    m.set("DataLoader", class("DataLoader", "torch.utils.data", move |_, args| {
        let [dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn, _pin, drop_last, _timeout, _wif, _mc, generator, _pf, _pw, _pmd, _io] =
            args.bind(&[
                "dataset", "batch_size=", "shuffle=", "sampler=", "batch_sampler=", "num_workers=", "collate_fn=", "pin_memory=",
                "drop_last=", "timeout=", "worker_init_fn=", "multiprocessing_context=", "generator=", "*", "prefetch_factor=",
                "persistent_workers=", "pin_memory_device=", "in_order=",
            ])?;
        // Worker processes change where batches are made and which generator `__getitem__`
        // draws from: the main process draws the same seeds and sampler permutation, and the
        // workers' generators are kept (loader_workers.rs).
        let num_workers = num_workers.as_ref().and_then(Value::as_int).unwrap_or(0);
        if num_workers < 0 {
            return Err(Exception::value_error(
                "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.",
            ));
        }
        let given = |v: &Option<Value>| v.as_ref().filter(|v| !v.is_none()).cloned();
        let (sampler, batch_sampler) = (given(&sampler), given(&batch_sampler));
        let shuffle = bool_arg(shuffle.as_ref(), false);
        let drop_last = bool_arg(drop_last.as_ref(), false);
        if sampler.is_some() && shuffle {
            return Err(Exception::value_error("sampler option is mutually exclusive with shuffle"));
        }
        if batch_sampler.is_some()
            && (batch_size.as_ref().is_some_and(|b| b.as_int() != Some(1)) || shuffle || sampler.is_some() || drop_last)
        {
            return Err(Exception::value_error(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last",
            ));
        }
        let batch_size = match batch_size {
            None => 1,
            Some(v) => {
                let b = v.expect_int("batch_size")?;
                if b <= 0 {
                    return Err(Exception::value_error(format!("batch_size should be a positive integer value, but got batch_size={b}")));
                }
                b as usize
            }
        };
        let generator = match generator {
            None | Some(Value::None) => None,
            Some(g) => Some(
                g.downcast::<PyGenerator>()
                    .map(|g| g.0.clone())
                    .ok_or_else(|| Exception::type_error("generator must be a torch.Generator"))?,
            ),
        };
        Ok(Value::native(DataLoader {
            dataset: dataset.unwrap_or(Value::None),
            batch_size,
            shuffle,
            drop_last,
            generator,
            default: sh.rng.clone(),
            collate_fn: collate_fn.filter(|f| !f.is_none()),
            sampler,
            batch_sampler,
            num_workers: num_workers as usize,
        }))
    }));
    // `torch.utils.data.dataset`, where the dataset classes are defined (tutorials import the
    // submodule for type annotations).
    let ds = Module::new("torch.utils.data.dataset");
    for name in ["Dataset", "IterableDataset", "TensorDataset", "Subset", "random_split"] {
        if let Some(v) = m.get(name) {
            ds.set(name, v);
        }
    }
    m.set("dataset", Value::Module(Rc::new(ds)));
    // `torch.utils.data.dataloader`, where `DataLoader` is defined (minGPT imports it there).
    let dl = Module::new("torch.utils.data.dataloader");
    if let Some(v) = m.get("DataLoader") {
        dl.set("DataLoader", v);
    }
    m.set("dataloader", Value::Module(Rc::new(dl)));
    let sampler = super::samplers::install(&m, &shared.rng);
    m.set("sampler", Value::Module(Rc::new(sampler)));
    m
}
