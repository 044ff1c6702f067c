//! Position-driven ops added for tutorial coverage (gather/scatter, masked_fill, tril/triu,
//! flip/roll, repeat) and a few element-wise ones (rsqrt, isinf, in-place clamp). Each result
//! is read from or written to flat row-major positions of its input; the backward reuses them.

use super::autograd::record;
use super::storage::{list_str, Storage};
use super::tensor::norm_dim;
use super::view::flat;
use super::{DType, Result, Scalar, Tensor, TensorError};

/// Row-major coordinates of flat position `i` in `shape`.
fn unravel(mut i: usize, shape: &[usize], out: &mut [usize]) {
    for d in (0..shape.len()).rev() {
        let n = shape[d].max(1);
        out[d] = i % n;
        i /= n;
    }
}

fn ravel(coords: &[usize], shape: &[usize]) -> usize {
    coords.iter().zip(shape).fold(0, |acc, (&c, &n)| acc * n + c)
}

/// The int64 values of an index tensor, with `name`'s error for another dtype.
fn index_values(index: &Tensor, name: &str) -> Result<Vec<i64>> {
    if index.dtype() != DType::Int64 {
        let expected = if name == "gather" { "int32/int64" } else { "int64" };
        return Err(TensorError::runtime(format!("{name}(): Expected dtype {expected} for index")));
    }
    Ok(index.to_scalars().into_iter().map(Scalar::as_i64).collect())
}

/// For each element of `index` (shape `ishape`), the flat position in a tensor of `shape`
/// whose coordinates are the element's own with `dim` replaced by its value.
pub(crate) fn scatter_positions(shape: &[usize], dim: usize, index: &Tensor, name: &str) -> Result<Vec<usize>> {
    let ishape = index.shape();
    let vals = index_values(index, name)?;
    if ishape.len() != shape.len().max(1) && !(ishape.is_empty() && shape.len() <= 1) {
        return Err(TensorError::runtime(format!("Index tensor must have the same number of dimensions as {} tensor", if name == "gather" { "input" } else { "self" })));
    }
    let size = shape.get(dim).copied().unwrap_or(1);
    let mut coords = vec![0; ishape.len()];
    let mut out = Vec::with_capacity(vals.len());
    for (i, &v) in vals.iter().enumerate() {
        if v < -(size as i64) || v >= size as i64 {
            return Err(TensorError::runtime(format!("index {v} is out of bounds for dimension {dim} with size {size}")));
        }
        unravel(i, &ishape, &mut coords);
        if ishape.len() == shape.len() {
            coords[dim] = if v < 0 { (v + size as i64) as usize } else { v as usize };
            if coords.iter().zip(shape).any(|(&c, &n)| c >= n) {
                return Err(TensorError::runtime(format!(
                    "Size does not match at dimension {} expected index {} to be smaller than self {} apart from dimension {dim}",
                    coords.iter().zip(shape).position(|(&c, &n)| c >= n).unwrap_or(0),
                    list_str(&ishape),
                    list_str(shape)
                )));
            }
            out.push(ravel(&coords, shape));
        } else {
            out.push(if v < 0 { (v + size as i64) as usize } else { v as usize });
        }
    }
    Ok(out)
}

/// Flat positions of `src` at the coordinates of each element of an index of shape `ishape`.
pub(crate) fn same_coords(ishape: &[usize], shape: &[usize]) -> Vec<usize> {
    let n: usize = ishape.iter().product();
    let mut coords = vec![0; ishape.len()];
    (0..n)
        .map(|i| {
            unravel(i, ishape, &mut coords);
            ravel(&coords, shape)
        })
        .collect()
}

/// The tensor's values as a standard-layout storage, so flat positions address them.
pub(crate) fn flat_storage(t: &Tensor) -> Storage {
    let s = t.storage();
    match &*s {
        Storage::F32(a) => Storage::F32(a.as_standard_layout().into_owned()),
        Storage::F64(a) => Storage::F64(a.as_standard_layout().into_owned()),
        Storage::I64(a) => Storage::I64(a.as_standard_layout().into_owned()),
        Storage::Bool(a) => Storage::Bool(a.as_standard_layout().into_owned()),
    }
}

impl Tensor {
    /// `torch.rsqrt` (RsqrtBackward0: `-0.5 * grad * result**3`).
    pub fn rsqrt(&self) -> Result<Tensor> {
        let out = match self.storage().cast(if self.dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 }) {
            Storage::F32(a) => Storage::F32(a.mapv(|x| 1.0 / x.sqrt())),
            Storage::F64(a) => Storage::F64(a.mapv(|x| 1.0 / x.sqrt())),
            other => other,
        };
        let result = Tensor::from_storage(out.clone());
        Ok(super::ops::record_out(&result.clone(), out, "RsqrtBackward0", &[self], true, move |g, _| {
            Ok(vec![Some(g.mul_scalar(Scalar::Float(-0.5))?.mul(&result.pow_scalar(Scalar::Int(3))?)?)])
        }))
    }

    /// `torch.isinf`: a bool tensor.
    pub fn isinf(&self) -> Tensor {
        let out = match &*self.storage() {
            Storage::F32(a) => Storage::Bool(a.mapv(f32::is_infinite)),
            Storage::F64(a) => Storage::Bool(a.mapv(f64::is_infinite)),
            s => Storage::Bool(ndarray::ArrayD::from_elem(ndarray::IxDyn(&s.shape()), false)),
        };
        Tensor::from_storage(out)
    }

    /// `clamp_(min, max)` (ClampBackward1).
    pub fn clamp_(&self, min: Option<Scalar>, max: Option<Scalar>) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.clamp(min, max)?)
    }

    /// `gather(dim, index)` (GatherBackward0).
    pub fn gather(&self, dim: isize, index: &Tensor) -> Result<Tensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        let pos = scatter_positions(&shape, d, index, "gather")?;
        let out = flat::take(&flat_storage(self), &pos, &index.shape())?;
        Ok(record(out, "GatherBackward0", &[self], false, move |g, _| {
            Ok(vec![Some(Tensor::from_storage(flat::scatter_add(&shape, &pos, &flat_storage(g))?))])
        }))
    }

    /// `scatter(dim, index, src)` (ScatterBackward0) or with a number (ScatterBackward1).
    pub fn scatter(&self, dim: isize, index: &Tensor, src: ScatterSrc) -> Result<Tensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        let pos = scatter_positions(&shape, d, index, "scatter")?;
        let ishape = index.shape();
        match src {
            ScatterSrc::Value(v) => {
                let vals = Storage::full(&[pos.len()], v, self.dtype());
                let out = flat::put(&flat_storage(self), &pos, &vals)?;
                Ok(record(out, "ScatterBackward1", &[self], false, move |g, _| {
                    Ok(vec![Some(Tensor::from_storage(flat::zero_at(&flat_storage(g), &pos)))])
                }))
            }
            ScatterSrc::Tensor(src) => {
                if src.dtype() != self.dtype() {
                    return Err(TensorError::runtime("scatter(): Expected self.dtype to be equal to src.dtype"));
                }
                let sshape = src.shape();
                let spos = same_coords(&ishape, &sshape);
                let vals = flat::take(&flat_storage(src), &spos, &ishape)?;
                let out = flat::put(&flat_storage(self), &pos, &vals)?;
                Ok(record(out, "ScatterBackward0", &[self, src], false, move |g, n| {
                    let gs = flat_storage(g);
                    Ok(vec![
                        if n[0] { Some(Tensor::from_storage(flat::zero_at(&gs, &pos))) } else { None },
                        if n[1] {
                            let taken = flat::take(&gs, &pos, &ishape)?;
                            Some(Tensor::from_storage(flat::scatter_add(&sshape, &spos, &taken)?))
                        } else {
                            None
                        },
                    ])
                }))
            }
        }
    }

    /// `scatter_add(dim, index, src)` (ScatterAddBackward0): sums into positions in index order.
    pub fn scatter_add(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        let pos = scatter_positions(&shape, d, index, "scatter_add")?;
        if src.dtype() != self.dtype() {
            return Err(TensorError::runtime("scatter(): Expected self.dtype to be equal to src.dtype"));
        }
        let ishape = index.shape();
        let sshape = src.shape();
        let spos = same_coords(&ishape, &sshape);
        let vals = flat::take(&flat_storage(src), &spos, &ishape)?;
        let out = flat::add_at(&flat_storage(self), &pos, &vals)?;
        Ok(record(out, "ScatterAddBackward0", &[self, src], false, move |g, n| {
            Ok(vec![
                if n[0] { Some(g.clone()) } else { None },
                if n[1] {
                    let taken = flat::take(&flat_storage(g), &pos, &ishape)?;
                    Some(Tensor::from_storage(flat::scatter_add(&sshape, &spos, &taken)?))
                } else {
                    None
                },
            ])
        }))
    }

    pub fn scatter_(&self, dim: isize, index: &Tensor, src: ScatterSrc) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.scatter(dim, index, src)?)
    }

    pub fn scatter_add_(&self, dim: isize, index: &Tensor, src: &Tensor) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.scatter_add(dim, index, src)?)
    }

    /// `masked_fill(mask, value)` (MaskedFillBackward0); the mask broadcasts to this shape.
    pub fn masked_fill(&self, mask: &Tensor, value: Scalar) -> Result<Tensor> {
        if mask.dtype() != DType::Bool {
            return Err(TensorError::runtime(format!(
                "masked_fill_ only supports boolean masks, but got mask with dtype {}",
                match mask.dtype() {
                    DType::Float32 => "float",
                    DType::Float64 => "double",
                    _ => "long int",
                }
            )));
        }
        let shape = self.shape();
        let m = mask.storage().expand(&shape)?;
        let pos: Vec<usize> = m.to_f64_vec().iter().enumerate().filter(|(_, b)| **b != 0.0).map(|(i, _)| i).collect();
        let vals = Storage::full(&[pos.len()], value, self.dtype());
        let out = flat::put(&flat_storage(self), &pos, &vals)?;
        Ok(record(out, "MaskedFillBackward0", &[self], false, move |g, _| {
            Ok(vec![Some(Tensor::from_storage(flat::zero_at(&flat_storage(g), &pos)))])
        }))
    }

    pub fn masked_fill_(&self, mask: &Tensor, value: Scalar) -> Result<()> {
        self.check_inplace()?;
        self.assign_inplace(self.masked_fill(mask, value)?)
    }

    /// `tril(k)` / `triu(k)` (TrilBackward0 / TriuBackward0) over the last two dims.
    pub fn tri(&self, k: i64, upper: bool) -> Result<Tensor> {
        let shape = self.shape();
        if shape.len() < 2 {
            return Err(TensorError::runtime(format!("{}: input tensor must have at least 2 dimensions", if upper { "triu" } else { "tril" })));
        }
        let (r, c) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let zero: Vec<usize> = (0..self.numel())
            .filter(|&i| {
                let (row, col) = (((i / c.max(1)) % r.max(1)) as i64, (i % c.max(1)) as i64);
                if upper { col - row < k } else { col - row > k }
            })
            .collect();
        let out = flat::zero_at(&flat_storage(self), &zero);
        Ok(record(out, if upper { "TriuBackward0" } else { "TrilBackward0" }, &[self], false, move |g, _| {
            Ok(vec![Some(Tensor::from_storage(flat::zero_at(&flat_storage(g), &zero)))])
        }))
    }

    /// A result whose element `i` is this tensor's element at `pos[i]` (shape `out_shape`),
    /// with the gradient summed back through the same positions.
    fn take_positions(&self, pos: Vec<usize>, out_shape: &[usize], name: &'static str) -> Result<Tensor> {
        let out = flat::take(&flat_storage(self), &pos, out_shape)?;
        let shape = self.shape();
        Ok(record(out, name, &[self], false, move |g, _| {
            Ok(vec![Some(Tensor::from_storage(flat::scatter_add(&shape, &pos, &flat_storage(g))?))])
        }))
    }

    /// `flip(dims)` (FlipBackward0).
    pub fn flip(&self, dims: &[isize]) -> Result<Tensor> {
        let shape = self.shape();
        let mut ds = Vec::new();
        for &d in dims {
            let d = norm_dim(d, shape.len())?;
            if ds.contains(&d) {
                return Err(TensorError::runtime(format!("dims has duplicates, original flip dims size={}, but unique flip dims size={}", dims.len(), ds.len())));
            }
            ds.push(d);
        }
        let mut coords = vec![0; shape.len()];
        let pos = (0..self.numel())
            .map(|i| {
                unravel(i, &shape, &mut coords);
                for &d in &ds {
                    coords[d] = shape[d] - 1 - coords[d];
                }
                ravel(&coords, &shape)
            })
            .collect();
        self.take_positions(pos, &shape, "FlipBackward0")
    }

    /// `roll(shifts, dims)` (RollBackward0); no dims rolls the flattened tensor.
    pub fn roll(&self, shifts: &[i64], dims: &[isize]) -> Result<Tensor> {
        let shape = self.shape();
        if dims.is_empty() {
            let n = self.numel() as i64;
            let s = shifts.first().copied().unwrap_or(0);
            let pos = (0..n).map(|i| if n == 0 { 0 } else { (i - s).rem_euclid(n) as usize }).collect();
            return self.take_positions(pos, &shape, "RollBackward0");
        }
        if shifts.len() != dims.len() {
            return Err(TensorError::runtime(format!("shifts and dimensions must align. shifts: {}, dims:{}", shifts.len(), dims.len())));
        }
        let ds = dims.iter().map(|&d| norm_dim(d, shape.len())).collect::<Result<Vec<_>>>()?;
        let mut coords = vec![0; shape.len()];
        let pos = (0..self.numel())
            .map(|i| {
                unravel(i, &shape, &mut coords);
                for (&d, &s) in ds.iter().zip(shifts) {
                    let n = shape[d] as i64;
                    coords[d] = (coords[d] as i64 - s).rem_euclid(n.max(1)) as usize;
                }
                ravel(&coords, &shape)
            })
            .collect();
        self.take_positions(pos, &shape, "RollBackward0")
    }

    /// `repeat(sizes)` (RepeatBackward0): the gradient sums the copies with the reduction
    /// order of `sum`.
    pub fn repeat(&self, reps: &[usize]) -> Result<Tensor> {
        let shape = self.shape();
        if reps.len() < shape.len() {
            return Err(TensorError::runtime(
                "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor",
            ));
        }
        let mut padded = vec![1; reps.len() - shape.len()];
        padded.extend(&shape);
        let out_shape: Vec<usize> = padded.iter().zip(reps).map(|(&s, &r)| s * r).collect();
        super::check_size(&out_shape)?;
        let out = flat::tile(&flat_storage(self), &padded, reps)?;
        let reps = reps.to_vec();
        Ok(record(out, "RepeatBackward0", &[self], false, move |g, _| {
            // [r0*s0, r1*s1, ...] -> [r0, s0, r1, s1, ...], summed over the r axes.
            let split: Vec<usize> = reps.iter().zip(&padded).flat_map(|(&r, &s)| [r, s]).collect();
            let axes: Vec<isize> = (0..reps.len()).map(|i| 2 * i as isize).collect();
            let summed = g.reshape_usize(&split)?.sum(Some(&axes), false)?;
            Ok(vec![Some(summed.reshape_usize(&shape)?)])
        }))
    }
}

/// The source of `scatter`: a tensor or a Python number.
pub enum ScatterSrc<'a> {
    Tensor(&'a Tensor),
    Value(Scalar),
}

/// NaN sorts above every number, as in PyTorch.
fn total_cmp_nan_last(a: f64, b: f64) -> std::cmp::Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => std::cmp::Ordering::Equal,
        (true, false) => std::cmp::Ordering::Greater,
        (false, true) => std::cmp::Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal),
    }
}

impl Tensor {
    /// `sort(dim, descending)` (SortBackward0) and `topk(k, dim, largest)` (TopkBackward0):
    /// a stable order along `dim`, the first `k` kept; values and int64 indices.
    pub fn sort_dim(&self, dim: isize, descending: bool, k: Option<usize>) -> Result<(Tensor, Tensor)> {
        self.sort_dim_with(dim, descending, k, true)
    }

    /// `sort(dim, descending, stable=False)`: equal elements in the order `std::sort` leaves
    /// them, as ATen's CPU kernel does (std_sort.rs); `stable` keeps them in index order.
    pub fn sort_dim_with(&self, dim: isize, descending: bool, k: Option<usize>, stable: bool) -> Result<(Tensor, Tensor)> {
        let shape = self.shape();
        let d = norm_dim(dim, shape.len())?;
        let len = shape.get(d).copied().unwrap_or(1);
        if let Some(k) = k
            && k > len
        {
            return Err(TensorError::runtime("selected index k out of range"));
        }
        let keep = k.unwrap_or(len);
        let (outer, inner) = (shape[..d.min(shape.len())].iter().product::<usize>(), shape.get(d + 1..).map_or(1, |s| s.iter().product()));
        let vals = self.to_f64_vec();
        let mut out_shape = shape.clone();
        if !out_shape.is_empty() {
            out_shape[d] = keep;
        }
        let mut pos = vec![0; outer * keep * inner];
        let mut idx = vec![0i64; outer * keep * inner];
        let mut order: Vec<usize> = Vec::with_capacity(len);
        for o in 0..outer {
            for i in 0..inner {
                order.clear();
                order.extend(0..len);
                let at = |j: usize| vals[(o * len + j) * inner + i];
                if !stable {
                    // ATen's KeyValueCompAsc/Desc: NaN above every number, compared by value only.
                    if descending {
                        super::std_sort::std_sort(&mut order, &|a, b| {
                            let (x, y) = (at(a), at(b));
                            (x.is_nan() && !y.is_nan()) || x > y
                        });
                    } else {
                        super::std_sort::std_sort(&mut order, &|a, b| {
                            let (x, y) = (at(a), at(b));
                            (!x.is_nan() && y.is_nan()) || x < y
                        });
                    }
                } else if descending {
                    order.sort_by(|&a, &b| total_cmp_nan_last(at(b), at(a)));
                } else {
                    order.sort_by(|&a, &b| total_cmp_nan_last(at(a), at(b)));
                }
                for (r, &j) in order.iter().take(keep).enumerate() {
                    pos[(o * keep + r) * inner + i] = (o * len + j) * inner + i;
                    idx[(o * keep + r) * inner + i] = j as i64;
                }
            }
        }
        let name = if k.is_some() { "TopkBackward0" } else { "SortBackward0" };
        let values = self.take_positions(pos, &out_shape, name)?;
        let indices = Tensor::from_data(super::Data::I64(idx), &out_shape)?;
        Ok((values, indices))
    }

    /// `nonzero()`: the int64 coordinates of the non-zero elements, one row each.
    pub fn nonzero(&self) -> Result<Tensor> {
        let shape = self.shape();
        let vals = self.to_f64_vec();
        let mut coords = vec![0; shape.len()];
        let mut out = Vec::new();
        let mut n = 0;
        for (i, &v) in vals.iter().enumerate() {
            if v != 0.0 {
                unravel(i, &shape, &mut coords);
                out.extend(coords.iter().map(|&c| c as i64));
                n += 1;
            }
        }
        Tensor::from_data(super::Data::I64(out), &[n, shape.len()])
    }

    /// `logsumexp(dims, keepdim)` as PyTorch computes it: `log(sum(exp(x - max))) + max`
    /// (LogsumexpBackward0: `grad * exp(x - result)`).
    pub fn logsumexp(&self, dims: &[isize], keepdim: bool) -> Result<Tensor> {
        let x = if self.dtype().is_floating_point() { self.detach() } else { self.to_dtype(DType::Float32)?.detach() };
        let rd = x.reduce_dims(Some(dims))?;
        let out = {
            let mut m = x.clone();
            for &d in &rd {
                m = m.max_dim(d as isize, true)?.0;
            }
            // An infinite max would make x - max NaN; PyTorch uses 0 there.
            let m = Tensor::where_(&m.isinf(), &Tensor::zeros(&[], m.dtype()), &m)?;
            let s = x.sub(&m)?.exp()?.sum(Some(dims), keepdim)?.log()?;
            let m = if keepdim { m } else { m.sum(Some(dims), false)? };
            s.add(&m)?
        };
        let st = (*out.storage()).clone();
        let result = out;
        let a = super::ops::saved(self);
        Ok(super::ops::record_out(&result.clone(), st, "LogsumexpBackward0", &[self], true, move |g, _| {
            let (g, r) = if keepdim {
                (g.clone(), result.clone())
            } else {
                let mut shape = g.shape();
                for &d in &rd {
                    shape.insert(d, 1);
                }
                (g.reshape_usize(&shape)?, result.reshape_usize(&shape)?)
            };
            Ok(vec![Some(g.mul(&a.sub(&r)?.exp()?)?)])
        }))
    }

    /// `fmod(s)`: the remainder with the dividend's sign (FmodBackward0).
    pub fn fmod_scalar(&self, s: Scalar) -> Result<Tensor> {
        let out = match (&*self.storage(), s) {
            (Storage::I64(a), Scalar::Int(b)) => {
                if b == 0 {
                    return Err(TensorError::runtime("ZeroDivisionError"));
                }
                Storage::I64(a.mapv(|x| x.wrapping_rem(b)))
            }
            (st, s) => {
                let b = s.as_f64();
                match st.cast(if st.dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 }) {
                    Storage::F32(a) => {
                        let b = b as f32;
                        Storage::F32(a.mapv(|x| x % b))
                    }
                    Storage::F64(a) => Storage::F64(a.mapv(|x| x % b)),
                    other => other,
                }
            }
        };
        Ok(record(out, "FmodBackward0", &[self], false, |g, _| Ok(vec![Some(g.clone())])))
    }

    /// `torch.erf` (ErfBackward0: `2/sqrt(pi) * exp(-x*x) * grad`).
    pub fn erf(&self) -> Result<Tensor> {
        let out = match self.storage().cast(if self.dtype() == DType::Float64 { DType::Float64 } else { DType::Float32 }) {
            Storage::F32(a) => Storage::F32(a.mapv(|x| super::activations::erf(x as f64) as f32)),
            Storage::F64(a) => Storage::F64(a.mapv(super::activations::erf)),
            other => other,
        };
        let a = super::ops::saved(self);
        Ok(record(out, "ErfBackward0", &[self], true, move |g, _| {
            let e = a.mul(&a)?.neg()?.exp()?.mul_scalar(Scalar::Float(2.0 / std::f64::consts::PI.sqrt()))?;
            Ok(vec![Some(e.mul(g)?)])
        }))
    }
}

impl Tensor {
    /// `diag(k)`: a vector onto the `k`-th diagonal of a square matrix (DiagEmbedBackward0),
    /// or a matrix's `k`-th diagonal as a new tensor.
    pub fn diag(&self, k: i64) -> Result<Tensor> {
        match self.dim() {
            1 => {
                let len = self.numel();
                let n = len + k.unsigned_abs() as usize;
                let (r0, c0) = (if k < 0 { (-k) as usize } else { 0 }, if k > 0 { k as usize } else { 0 });
                let pos: Vec<usize> = (0..len).map(|i| (i + r0) * n + i + c0).collect();
                let base = Storage::full(&[n, n], Scalar::Int(0), self.dtype());
                let out = flat::put(&base, &pos, &flat_storage(self))?;
                Ok(record(out, "DiagEmbedBackward0", &[self], false, move |g, _| {
                    Ok(vec![Some(Tensor::from_storage(flat::take(&flat_storage(g), &pos, &[len])?))])
                }))
            }
            2 => Ok(self.diagonal(k, 0, 1)?.clone_tensor()),
            _ => Err(TensorError::runtime("diag(): Supports 1D or 2D tensors. Got ".to_string() + &format!("{}D", self.dim()))),
        }
    }

    /// `lerp(end, weight)` with a number weight, in PyTorch's two-sided form (LerpBackward0).
    pub fn lerp_scalar(&self, end: &Tensor, w: f64) -> Result<Tensor> {
        if self.dtype() != end.dtype() {
            return Err(TensorError::runtime(format!(
                "expected dtype {} for `end` but got dtype {}",
                super::ops::dtype_name(self.dtype()).to_lowercase(),
                super::ops::dtype_name(end.dtype()).to_lowercase()
            )));
        }
        let shape = super::storage::broadcast_shapes(&self.shape(), &end.shape())?;
        let out = match (&*self.storage(), &*end.storage()) {
            (Storage::F32(a), Storage::F32(b)) => {
                let w = w as f32;
                Storage::F32(super::storage::zip_map(a, b, &shape, |s, e| if w.abs() < 0.5 { s + w * (e - s) } else { e - (e - s) * (1.0 - w) })?)
            }
            (Storage::F64(a), Storage::F64(b)) => {
                Storage::F64(super::storage::zip_map(a, b, &shape, |s, e| if w.abs() < 0.5 { s + w * (e - s) } else { e - (e - s) * (1.0 - w) })?)
            }
            _ => return Err(TensorError::runtime(format!("\"lerp_kernel_scalar\" not implemented for '{}'", super::ops::dtype_name(self.dtype())))),
        };
        Ok(record(out, "LerpBackward0", &[self, end], false, move |g, n| {
            Ok(vec![
                if n[0] { Some(g.mul_scalar(Scalar::Float(1.0 - w))?) } else { None },
                if n[1] { Some(g.mul_scalar(Scalar::Float(w))?) } else { None },
            ])
        }))
    }

    /// `atan2(other)` (Atan2Backward0).
    pub fn atan2(&self, other: &Tensor) -> Result<Tensor> {
        let dtype = match self.dtype().promote(other.dtype()) {
            DType::Float64 => DType::Float64,
            _ => DType::Float32,
        };
        let (a, b) = (self.storage().cast(dtype), other.storage().cast(dtype));
        let shape = super::storage::broadcast_shapes(&a.shape(), &b.shape())?;
        let out = match (&a, &b) {
            (Storage::F32(x), Storage::F32(y)) => Storage::F32(super::storage::zip_map(x, y, &shape, f32::atan2)?),
            // float64: ATen's `cpu_kernel_vec`, SLEEF's atan2d on whole steps of 16 doubles of
            // each row, glibc on the tail.
            (Storage::F64(x), Storage::F64(y)) => {
                let row = super::iter_rows::vector_rows(&shape, x.shape(), y.shape()).max(1);
                let bx = x.broadcast(ndarray::IxDyn(&shape)).ok_or_else(|| TensorError::runtime("broadcast"))?;
                let by = y.broadcast(ndarray::IxDyn(&shape)).ok_or_else(|| TensorError::runtime("broadcast"))?;
                let (xs, ys): (Vec<f64>, Vec<f64>) = (bx.iter().copied().collect(), by.iter().copied().collect());
                let v = super::sleef_f64_dd::vec_steps2(&xs, &ys, row, super::sleef_f64_dd::atan2_lane, f64::atan2);
                Storage::F64(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&shape), v).map_err(|e| TensorError::runtime(e.to_string()))?)
            }
            _ => return Err(TensorError::runtime("internal dtype mismatch")),
        };
        let (sa, sb) = (super::ops::saved(self), super::ops::saved(other));
        Ok(record(out, "Atan2Backward0", &[self, other], true, move |g, n| {
            let denom = sa.mul(&sa)?.add(&sb.mul(&sb)?)?;
            Ok(vec![
                if n[0] { Some(g.mul(&sb)?.div(&denom)?) } else { None },
                if n[1] { Some(g.mul(&sa.neg()?)?.div(&denom)?) } else { None },
            ])
        }))
    }
}
