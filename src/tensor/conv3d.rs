//! 3-d convolution (`conv3d`) and its backward (ConvolutionBackward0), summed in the orders of
//! PyTorch's two float32 CPU paths as probed on the oracle machine (docs/divergences.md,
//! "3-d convolution").
//!
//! The path is ATen's `use_mkldnn` rule, as for 2-d (conv.rs): oneDNN when groups > 1, both
//! trailing kernel dims > 3, batch > 1 or more than 20480 input elements; `slow_conv3d`
//! (vol2col + MKL sgemm) otherwise, and always for float64.
//! - oneDNN: each output is one FMA chain that starts at the bias and runs over blocks of 8
//!   input channels, inside a block kernel depth, row, column, then channel; taps in the
//!   padding are skipped (exact with 8 or more channels per group; with one, the chain starts
//!   from zero and the bias comes after; other small groups are unprobed and take the blocked
//!   order).
//! - gemm: a chain over (channel, depth, row, column), padding taps included as zeros. MKL
//!   computes the output channels in rows of 4 with FMAs from zero, the bias added after; with
//!   fewer than 12 output channels the last `O % 4` rows are plain dots starting at the bias
//!   (rounded products added in order). Exact while the chain is at most 189 long (probed:
//!   C·kD·kH·kW up to 189); MKL blocks longer ones in a way not found.
//!
//! The gradients are summed in double and rounded once (their oneDNN orders are not probed).

use super::autograd::record;
use super::kernels::Float;
use super::storage::{Storage, list_str};
use super::{DType, Result, Tensor, TensorError};
use ndarray::{ArrayD, IxDyn};

/// Stride, padding (before/after), dilation per spatial dim (depth, height, width) and groups.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv3dSpec {
    pub stride: [usize; 3],
    pub pad_lo: [usize; 3],
    pub pad_hi: [usize; 3],
    pub dilation: [usize; 3],
    pub groups: usize,
}

/// The sizes of one call.
#[derive(Debug, Clone, Copy)]
struct Geom {
    n: usize,
    c: usize,
    /// Input depth, height, width.
    i: [usize; 3],
    o: usize,
    k: [usize; 3],
    /// Output depth, height, width.
    out: [usize; 3],
    cg: usize,
    og: usize,
}

impl Geom {
    /// The input position along dim `d` of output position `o` and kernel tap `k`, if inside.
    #[inline]
    fn at(&self, s: &Conv3dSpec, d: usize, o: usize, k: usize) -> Option<usize> {
        let p = (o * s.stride[d] + k * s.dilation[d]) as i64 - s.pad_lo[d] as i64;
        (p >= 0 && p < self.i[d] as i64).then_some(p as usize)
    }
    fn in_vol(&self) -> usize {
        self.i.iter().product()
    }
    fn out_vol(&self) -> usize {
        self.out.iter().product()
    }
    fn k_vol(&self) -> usize {
        self.k.iter().product()
    }
}

/// How one output channel's chain runs.
#[derive(Clone, Copy, PartialEq)]
enum Chain {
    /// oneDNN: from the bias over 8-channel blocks of (depth, row, column, channel).
    Blocked,
    /// gemm: FMAs from zero over (channel, depth, row, column), then the bias.
    Fused,
    /// gemm: rounded products added to an accumulator starting at the bias.
    Plain,
    /// oneDNN with one input channel per group: FMAs from zero over (depth, row, column),
    /// then the bias.
    Depthwise,
}

/// ATen's rule reads the input's first four sizes only (N·C·D·H), not its width.
fn chain_for(g: &Geom, s: &Conv3dSpec, dtype: DType, oc: usize) -> Chain {
    let onednn = dtype == DType::Float32
        && (s.groups > 1
            || (g.k[1] > 3 && g.k[2] > 3)
            || g.n > 1
            || g.n * g.c * g.i[0] * g.i[1] > 20480);
    if onednn && g.cg == 1 && s.groups > 1 {
        Chain::Depthwise
    } else if onednn {
        Chain::Blocked
    } else if g.og < 12 && oc % g.og >= g.og / 4 * 4 {
        Chain::Plain
    } else {
        Chain::Fused
    }
}

/// One output element's chain for sample `n`, output channel `o`, output position `p`.
#[allow(clippy::too_many_arguments)]
fn output<T: Float>(
    x: &[T],
    w: &[T],
    b: T,
    g: &Geom,
    s: &Conv3dSpec,
    chain: Chain,
    n: usize,
    o: usize,
    p: [usize; 3],
) -> T {
    let c0 = o / g.og * g.cg;
    let [kd, kh, kw] = g.k;
    let xv = |c: usize, t: [usize; 3]| -> Option<T> {
        let z = g.at(s, 0, p[0], t[0])?;
        let y = g.at(s, 1, p[1], t[1])?;
        let xx = g.at(s, 2, p[2], t[2])?;
        Some(x[(((n * g.c + c0 + c) * g.i[0] + z) * g.i[1] + y) * g.i[2] + xx])
    };
    let wv = |c: usize, t: [usize; 3]| w[((o * g.cg + c) * kd + t[0]) * kh * kw + t[1] * kw + t[2]];
    match chain {
        Chain::Blocked | Chain::Depthwise => {
            let mut acc = if chain == Chain::Blocked {
                b
            } else {
                T::zero()
            };
            for cb in (0..g.cg).step_by(8) {
                for t0 in 0..kd {
                    for t1 in 0..kh {
                        for t2 in 0..kw {
                            for c in cb..(cb + 8).min(g.cg) {
                                if let Some(v) = xv(c, [t0, t1, t2]) {
                                    acc = v.mul_add(wv(c, [t0, t1, t2]), acc);
                                }
                            }
                        }
                    }
                }
            }
            if chain == Chain::Blocked {
                acc
            } else {
                acc + b
            }
        }
        Chain::Fused | Chain::Plain => {
            let mut acc = if chain == Chain::Plain { b } else { T::zero() };
            for c in 0..g.cg {
                for t0 in 0..kd {
                    for t1 in 0..kh {
                        for t2 in 0..kw {
                            let v = xv(c, [t0, t1, t2]).unwrap_or_else(T::zero);
                            let wt = wv(c, [t0, t1, t2]);
                            acc = if chain == Chain::Plain {
                                acc + v * wt
                            } else {
                                v.mul_add(wt, acc)
                            };
                        }
                    }
                }
            }
            if chain == Chain::Fused { acc + b } else { acc }
        }
    }
}

fn forward<T: Float>(
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    g: &Geom,
    s: &Conv3dSpec,
    dtype: DType,
) -> Vec<T> {
    let mut out = Vec::with_capacity(g.n * g.o * g.out_vol());
    for n in 0..g.n {
        for o in 0..g.o {
            let chain = chain_for(g, s, dtype, o);
            let b = bias.map_or_else(T::zero, |b| b[o]);
            for z in 0..g.out[0] {
                for y in 0..g.out[1] {
                    for xx in 0..g.out[2] {
                        out.push(output(x, w, b, g, s, chain, n, o, [z, y, xx]));
                    }
                }
            }
        }
    }
    out
}

/// The input, weight and bias gradients, each summed in double over every (output, tap) pair
/// in output order and rounded once.
fn backward(x: &[f64], w: &[f64], gy: &[f64], g: &Geom, s: &Conv3dSpec) -> [Vec<f64>; 3] {
    let (iv, ov, kv) = (g.in_vol(), g.out_vol(), g.k_vol());
    let mut gx = vec![0.0; g.n * g.c * iv];
    let mut gw = vec![0.0; g.o * g.cg * kv];
    let mut gb = vec![0.0; g.o];
    let [kd, kh, kw] = g.k;
    for n in 0..g.n {
        for o in 0..g.o {
            let c0 = o / g.og * g.cg;
            for (pi, &gv) in gy[(n * g.o + o) * ov..][..ov].iter().enumerate() {
                gb[o] += gv;
                let p = [
                    pi / (g.out[1] * g.out[2]),
                    pi / g.out[2] % g.out[1],
                    pi % g.out[2],
                ];
                for t0 in 0..kd {
                    let Some(z) = g.at(s, 0, p[0], t0) else {
                        continue;
                    };
                    for t1 in 0..kh {
                        let Some(y) = g.at(s, 1, p[1], t1) else {
                            continue;
                        };
                        for t2 in 0..kw {
                            let Some(xx) = g.at(s, 2, p[2], t2) else {
                                continue;
                            };
                            for c in 0..g.cg {
                                let xi =
                                    (((n * g.c + c0 + c) * g.i[0] + z) * g.i[1] + y) * g.i[2] + xx;
                                let wi = ((o * g.cg + c) * kd + t0) * kh * kw + t1 * kw + t2;
                                gx[xi] += gv * w[wi];
                                gw[wi] += gv * x[xi];
                            }
                        }
                    }
                }
            }
        }
    }
    [gx, gw, gb]
}

/// PyTorch's checks of `conv3d`'s arguments, with its messages.
fn check(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, s: &Conv3dSpec) -> Result<()> {
    let (xs, ws) = (x.shape(), w.shape());
    if xs.len() != 4 && xs.len() != 5 {
        return Err(TensorError::runtime(format!(
            "Expected 4D (unbatched) or 5D (batched) input to conv3d, but got input of size: {}",
            list_str(&xs)
        )));
    }
    if ws.len() != 5 {
        return Err(TensorError::runtime(format!(
            "Expected 5-dimensional weight for 5-dimensional input, but got {}-dimensional weight of size {}",
            ws.len(),
            list_str(&ws)
        )));
    }
    if x.dtype() != w.dtype() || !matches!(x.dtype(), DType::Float32 | DType::Float64) {
        return Err(TensorError::runtime(format!(
            "expected scalar type {} but found {}",
            x.dtype().scalar_name(),
            w.dtype().scalar_name()
        )));
    }
    if let Some(b) = bias.filter(|b| b.dtype() != x.dtype()) {
        return Err(TensorError::runtime(format!(
            "expected scalar type {} but found {}",
            x.dtype().scalar_name(),
            b.dtype().scalar_name()
        )));
    }
    if s.groups == 0 {
        return Err(TensorError::runtime("non-positive groups is not supported"));
    }
    if s.stride.contains(&0) {
        return Err(TensorError::runtime("non-positive stride is not supported"));
    }
    if ws[0] % s.groups != 0 {
        return Err(TensorError::runtime(format!(
            "Given groups={}, expected weight to be divisible by {} at dimension 0, but got weight of size [{}] instead",
            s.groups,
            s.groups,
            list_str(&ws)
        )));
    }
    let batched = xs.len() == 5;
    super::conv::check_channels(&xs, &ws, s.groups, bias, batched)?;
    let spatial = &xs[xs.len() - 3..];
    let padded: Vec<usize> = (0..3)
        .map(|d| spatial[d] + s.pad_lo[d] + s.pad_hi[d])
        .collect();
    let eff: Vec<usize> = (0..3)
        .map(|d| s.dilation[d] * ws[2 + d].saturating_sub(1) + 1)
        .collect();
    if (0..3).any(|d| padded[d] < eff[d]) {
        let join = |v: &[usize]| {
            v.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" x ")
        };
        return Err(TensorError::runtime(format!(
            "Calculated padded input size per channel: ({}). Kernel size: ({}). Kernel size can't be greater than actual input size",
            join(&padded),
            join(&eff)
        )));
    }
    Ok(())
}

fn to_storage<T: Float + Into<f64>>(v: Vec<T>, shape: &[usize], dtype: DType) -> Result<Storage> {
    let v: Vec<f64> = v.into_iter().map(Into::into).collect();
    let a =
        ArrayD::from_shape_vec(IxDyn(shape), v).map_err(|e| TensorError::runtime(e.to_string()))?;
    Ok(Storage::F64(a).cast(dtype))
}

/// `F.conv3d` on a batched (N, C, D, H, W) or unbatched (C, D, H, W) input with a weight of
/// shape (O, C / groups, kD, kH, kW); grad_fn ConvolutionBackward0.
pub fn conv3d(x: &Tensor, w: &Tensor, bias: Option<&Tensor>, s: &Conv3dSpec) -> Result<Tensor> {
    check(x, w, bias, s)?;
    let (xs, ws) = (x.shape(), w.shape());
    let batched = xs.len() == 5;
    let (n, c) = if batched { (xs[0], xs[1]) } else { (1, xs[0]) };
    let i = [xs[xs.len() - 3], xs[xs.len() - 2], xs[xs.len() - 1]];
    let k = [ws[2], ws[3], ws[4]];
    let out = [0, 1, 2].map(|d| {
        (i[d] + s.pad_lo[d] + s.pad_hi[d] - (s.dilation[d] * (k[d] - 1) + 1)) / s.stride[d] + 1
    });
    let g = Geom {
        n,
        c,
        i,
        o: ws[0],
        k,
        out,
        cg: ws[1],
        og: ws[0] / s.groups,
    };
    let mut out_shape = if batched { vec![n, g.o] } else { vec![g.o] };
    out_shape.extend(out);
    super::check_size(&out_shape)?;
    let dtype = x.dtype();
    let (xst, wst) = (x.storage(), w.storage());
    let bv = bias.map(Tensor::to_f64_vec);
    let y = if dtype == DType::Float32 {
        let f =
            |s: &Storage| -> Vec<f32> { s.to_f64_vec().into_iter().map(|v| v as f32).collect() };
        let b32: Option<Vec<f32>> = bv.as_ref().map(|b| b.iter().map(|&v| v as f32).collect());
        to_storage(
            forward(&f(&xst), &f(&wst), b32.as_deref(), &g, s, dtype),
            &out_shape,
            dtype,
        )?
    } else {
        to_storage(
            forward(
                &xst.to_f64_vec(),
                &wst.to_f64_vec(),
                bv.as_deref(),
                &g,
                s,
                dtype,
            ),
            &out_shape,
            dtype,
        )?
    };
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    let has_bias = bias.is_some();
    let (s, x_shape, w_shape) = (s.clone(), xs.clone(), ws.clone());
    Ok(record(
        y,
        "ConvolutionBackward0",
        &inputs,
        true,
        move |gy, need| {
            let [gx, gw, gb] = backward(
                &xst.to_f64_vec(),
                &wst.to_f64_vec(),
                &gy.to_f64_vec(),
                &g,
                &s,
            );
            let t = |v: Vec<f64>, shape: &[usize]| {
                to_storage(v, shape, dtype).map(Tensor::from_storage)
            };
            let mut grads = vec![
                need[0].then(|| t(gx, &x_shape)).transpose()?,
                need[1].then(|| t(gw, &w_shape)).transpose()?,
            ];
            if has_bias {
                grads.push(
                    need.get(2)
                        .copied()
                        .unwrap_or(false)
                        .then(|| t(gb, &[g.o]))
                        .transpose()?,
                );
            }
            Ok(grads)
        },
    ))
}
