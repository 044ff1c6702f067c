//! `F.embedding_bag` (EmbeddingBagBackward0): sums, means or maxima of bags of embedding rows,
//! in ATen's CPU order (aten/src/ATen/native/EmbeddingBag.cpp, PyTorch 2.15):
//! - sum and mean add a bag's rows one after another from zero (fbgemm's kernel without
//!   `padding_idx`, `cpublas::axpy` with it: the same chain); a mean then divides the sum by
//!   the bag's size (its non-padding members, at least 1) in the weight's dtype;
//! - `per_sample_weights` are fused into the chain (`fma(w, row, acc)`, fbgemm's
//!   `vfmadd231ps`) for float32 without `padding_idx`, and rounded then added elsewhere;
//! - max keeps the first of equal maxima (a strictly greater element replaces it);
//! - the weight's gradient goes through the indices in sorted order, each position adding
//!   `scale * grad[bag]` to its row as one fused multiply-add (MKL's `axpy`), `scale` being
//!   `1`, the position's weight, and for mean `1 / bag size`, computed in double and rounded
//!   once. PyTorch sorts with x86-simd-sort, whose order among equal indices is its own; here
//!   equal indices keep their positions' order (docs/divergences.md);
//! - max's gradient goes to each bag's chosen rows, bags in order (`index_add_` per column);
//! - `per_sample_weights`' gradient is `dot(grad[bag], weight[index])` in MKL's `sdot` order.

use ndarray::{ArrayD, IxDyn};

use super::autograd::record;
use super::dot_order::mkl_dot;
use super::kernels::Float;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError};

/// How a bag's rows are combined (`mode=`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BagMode {
    Sum,
    Mean,
    Max,
}

/// The arguments of one call after the language's checks: flat indices, and each bag's
/// `[start, end)` range into them.
pub struct BagArgs<'a> {
    pub indices: &'a [i64],
    pub offsets: &'a [i64],
    pub include_last_offset: bool,
    pub mode: BagMode,
    pub padding_idx: Option<usize>,
    pub scale_grad_by_freq: bool,
}

/// What the backward needs from the forward pass (ATen's `offset2bag`, `bag_size`,
/// `max_indices`).
struct Saved {
    idx: Vec<usize>,
    /// The bag of each position; `usize::MAX` for a position in no bag.
    bag_of: Vec<usize>,
    bag_size: Vec<usize>,
    max_idx: Vec<usize>,
    nbags: usize,
}

fn values<T: Float>(t: &Tensor, dtype: DType) -> Vec<T> {
    let s = t.storage().cast(dtype);
    let v: Vec<f64> = s.to_f64_vec();
    v.into_iter().map(T::from_f64).collect()
}

/// Checks ATen makes on the offsets and indices, with its messages; the bags' ranges.
fn bag_ranges(a: &BagArgs, num: usize) -> Result<Vec<(usize, usize)>> {
    let n = a.indices.len();
    if a.include_last_offset && a.offsets.is_empty() {
        return Err(TensorError::runtime(
            "include_last_offset: number of offset should be at least 1",
        ));
    }
    if let (Some(&first), Some(&last)) = (a.offsets.first(), a.offsets.last()) {
        if first != 0 {
            return Err(TensorError::runtime(format!(
                "offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got {first}\n[ torch.LongTensor{{}} ]"
            )));
        }
        if last > n as i64 {
            return Err(TensorError::runtime(format!(
                "offsets[-1] can not be greater than input's length {n} but got offsets[-1] of {last}"
            )));
        }
    }
    for (i, &v) in a.indices.iter().enumerate() {
        if v < 0 || v as usize >= num {
            return Err(TensorError::runtime(format!(
                "Index {i} of input takes value {v} which is not in the valid range [0, {num})"
            )));
        }
    }
    let nbags = a.offsets.len() - usize::from(a.include_last_offset);
    let mut out = Vec::with_capacity(nbags);
    for b in 0..nbags {
        let start = a.offsets[b] as usize;
        let end = a.offsets.get(b + 1).map_or(n, |&e| e.max(0) as usize);
        if end < start {
            // fbgemm's kernel reports a bag that ends before it starts this way.
            return Err(TensorError::runtime(
                "Expected i < index_size to be true, but got false.  (Could this error message be improved?  If so, please report an enhancement request to PyTorch.)",
            ));
        }
        out.push((start, end));
    }
    Ok(out)
}

/// The forward pass in `T`: the output rows and what the backward reads.
fn forward<T: Float>(
    w: &[T],
    dim: usize,
    ranges: &[(usize, usize)],
    idx: &[usize],
    a: &BagArgs,
    psw: Option<&[T]>,
    fused: bool,
) -> (Vec<T>, Saved) {
    let nbags = ranges.len();
    let mut out = vec![T::zero(); nbags * dim];
    let mut bag_of = vec![usize::MAX; idx.len()];
    let mut bag_size = vec![0usize; nbags];
    let mut max_idx = vec![
        0usize;
        if a.mode == BagMode::Max {
            nbags * dim
        } else {
            0
        }
    ];
    for (b, &(start, end)) in ranges.iter().enumerate() {
        let acc = &mut out[b * dim..(b + 1) * dim];
        let mut count = end - start;
        let mut first = true;
        for j in start..end {
            bag_of[j] = b;
            let i = idx[j];
            if Some(i) == a.padding_idx {
                count -= 1;
                continue;
            }
            let row = &w[i * dim..(i + 1) * dim];
            match (a.mode, psw) {
                (BagMode::Max, _) => {
                    for d in 0..dim {
                        if first || row[d] > acc[d] {
                            acc[d] = row[d];
                            max_idx[b * dim + d] = i;
                        }
                    }
                    first = false;
                }
                (_, Some(p)) if fused => acc
                    .iter_mut()
                    .zip(row)
                    .for_each(|(o, &x)| *o = x.mul_add(p[j], *o)),
                (_, Some(p)) => acc
                    .iter_mut()
                    .zip(row)
                    .for_each(|(o, &x)| *o = *o + x * p[j]),
                (_, None) => acc.iter_mut().zip(row).for_each(|(o, &x)| *o = *o + x),
            }
        }
        bag_size[b] = count;
        if a.mode == BagMode::Mean {
            let n = T::from_f64(count.max(1) as f64);
            acc.iter_mut().for_each(|o| *o = *o / n);
        }
    }
    let saved = Saved {
        idx: idx.to_vec(),
        bag_of,
        bag_size,
        max_idx,
        nbags,
    };
    (out, saved)
}

/// The weight's gradient, `(num, dim)`.
fn weight_grad<T: Float + ToF64>(
    g: &[T],
    dim: usize,
    num: usize,
    s: &Saved,
    a: &BagArgs,
    psw: Option<&[T]>,
) -> Vec<T> {
    let mut gw = vec![T::zero(); num * dim];
    if a.mode == BagMode::Max {
        for b in (0..s.nbags).filter(|&b| s.bag_size[b] != 0) {
            for d in 0..dim {
                let r = s.max_idx[b * dim + d];
                gw[r * dim + d] = gw[r * dim + d] + g[b * dim + d];
            }
        }
        return gw;
    }
    let mut order: Vec<usize> = (0..s.idx.len()).collect();
    order.sort_by_key(|&j| s.idx[j]);
    let mut counts = vec![0usize; num];
    s.idx.iter().for_each(|&i| counts[i] += 1);
    let mut group = 0usize;
    let mut k = 0;
    while k < order.len() {
        let index = s.idx[order[k]];
        let end = k + counts[index];
        if Some(index) != a.padding_idx {
            for &j in &order[k..end] {
                let b = s.bag_of[j];
                if b == usize::MAX {
                    continue;
                }
                let mut scale = 1.0f64;
                if let Some(p) = psw {
                    scale = p[j].to_f64();
                }
                if a.scale_grad_by_freq {
                    // ATen divides by the count of the index at the group's number in the
                    // sorted indices (`counts[indices_data[i]]`), not of the group's own index.
                    scale /= counts[s.idx[order[group]]] as f64;
                }
                if a.mode == BagMode::Mean && s.bag_size[b] != 0 {
                    scale /= s.bag_size[b] as f64;
                }
                let sc = T::from_f64(scale);
                let (row, src) = (
                    &mut gw[index * dim..(index + 1) * dim],
                    &g[b * dim..(b + 1) * dim],
                );
                row.iter_mut()
                    .zip(src)
                    .for_each(|(o, &x)| *o = x.mul_add(sc, *o));
            }
        }
        group += 1;
        k = end;
    }
    gw
}

/// `per_sample_weights`' gradient: one dot product per position.
fn psw_grad<T: Float>(g: &[T], w: &[T], dim: usize, s: &Saved, pad: Option<usize>) -> Vec<T> {
    (0..s.idx.len())
        .map(|j| {
            let (i, b) = (s.idx[j], s.bag_of[j]);
            if Some(i) == pad || b == usize::MAX {
                T::zero()
            } else {
                mkl_dot(&g[b * dim..(b + 1) * dim], &w[i * dim..(i + 1) * dim])
            }
        })
        .collect()
}

trait ToF64 {
    fn to_f64(self) -> f64;
}
impl ToF64 for f32 {
    fn to_f64(self) -> f64 {
        self as f64
    }
}
impl ToF64 for f64 {
    fn to_f64(self) -> f64 {
        self
    }
}

fn storage<T: Float>(
    v: Vec<T>,
    shape: &[usize],
    wrap: fn(ArrayD<T>) -> Storage,
) -> Result<Storage> {
    ArrayD::from_shape_vec(IxDyn(shape), v)
        .map(wrap)
        .map_err(|e| TensorError::runtime(e.to_string()))
}

fn run<T: Float + ToF64>(
    weight: &Tensor,
    a: &BagArgs,
    psw: Option<&Tensor>,
    ranges: Vec<(usize, usize)>,
    idx: Vec<usize>,
    dtype: DType,
    wrap: fn(ArrayD<T>) -> Storage,
) -> Result<Tensor> {
    let (num, dim) = (weight.shape()[0], weight.shape()[1]);
    let w: Vec<T> = values(weight, dtype);
    let p: Option<Vec<T>> = psw.map(|p| values(p, dtype));
    let fused = dtype == DType::Float32 && a.padding_idx.is_none();
    let (out, saved) = forward(&w, dim, &ranges, &idx, a, p.as_deref(), fused);
    let out = storage(out, &[ranges.len(), dim], wrap)?;
    let (mode, pad, freq) = (a.mode, a.padding_idx, a.scale_grad_by_freq);
    let mut inputs = vec![weight];
    if let Some(p) = psw {
        inputs.push(p);
    }
    Ok(record(
        out,
        "EmbeddingBagBackward0",
        &inputs,
        true,
        move |g, needs| {
            let gv: Vec<T> = values(g, dtype);
            let args = BagArgs {
                indices: &[],
                offsets: &[],
                include_last_offset: false,
                mode,
                padding_idx: pad,
                scale_grad_by_freq: freq,
            };
            let mut grads = Vec::new();
            grads.push(if needs[0] {
                let gw = weight_grad(&gv, dim, num, &saved, &args, p.as_deref());
                Some(Tensor::from_storage(storage(gw, &[num, dim], wrap)?))
            } else {
                None
            });
            if p.is_some() {
                grads.push(if needs.get(1).copied().unwrap_or(false) {
                    let gp = psw_grad(&gv, &w, dim, &saved, pad);
                    let n = gp.len();
                    Some(Tensor::from_storage(storage(gp, &[n], wrap)?))
                } else {
                    None
                });
            }
            Ok(grads)
        },
    ))
}

/// `torch.embedding_bag(weight, indices, offsets, ...)[0]` for 1-D `indices`; `weight` is
/// `(num_embeddings, dim)` float32 or float64, `per_sample_weights` (if any) as long as
/// `indices`.
pub fn embedding_bag(
    weight: &Tensor,
    a: &BagArgs,
    per_sample_weights: Option<&Tensor>,
) -> Result<Tensor> {
    let ws = weight.shape();
    if ws.len() != 2 {
        return Err(TensorError::runtime(format!(
            "weight has to be a 2D Tensor, but got Tensor of dimension {}",
            ws.len()
        )));
    }
    let num = ws[0];
    let ranges = bag_ranges(a, num)?;
    let idx: Vec<usize> = a.indices.iter().map(|&i| i as usize).collect();
    if let Some(p) = per_sample_weights
        && p.dtype() != weight.dtype()
    {
        return Err(TensorError::runtime(format!(
            "Expected tensor for argument #1 'per_sample_weights' to have the same type as tensor for argument #1 'weight'; but type torch.{}Tensor does not equal torch.{}Tensor (while checking arguments for embedding_bag)",
            p.dtype().scalar_name(),
            weight.dtype().scalar_name()
        )));
    }
    match weight.dtype() {
        DType::Float32 => run::<f32>(
            weight,
            a,
            per_sample_weights,
            ranges,
            idx,
            DType::Float32,
            Storage::F32,
        ),
        DType::Float64 => run::<f64>(
            weight,
            a,
            per_sample_weights,
            ranges,
            idx,
            DType::Float64,
            Storage::F64,
        ),
        d => Err(TensorError::runtime(format!(
            "Expected tensor for argument #1 'weight' to have one of the following scalar types: Half, BFloat16, Float, Double; but got torch.{}Tensor instead (while checking arguments for embedding_bag)",
            d.scalar_name()
        ))),
    }
}
