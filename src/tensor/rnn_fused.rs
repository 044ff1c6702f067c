//! The fused LSTM: a whole `nn.LSTM` run (layers, directions) over (T, B, ·) buffers recorded
//! as one autograd node, with its own backward through time.
//!
//! The op-by-op path (rnn.rs) records about twenty nodes per step, and autograd sums each
//! step's input-gate gradient as a full (T, B, 4H) tensor (`unbind`'s backward), so its cost is
//! per-op overhead plus O(T²) additions. This path computes the same values with the same
//! kernels (`nn::linear` for the products, the same element-wise formulas in the same order),
//! and its backward reproduces bit for bit what the engine's accumulation gives there:
//! - a buffer that several gradients reach adds them in arrival order; every buffer of an LSTM
//!   step gets at most two (commutative), except the weights' (one product per step, summed
//!   from the last step down, the order the engine runs the steps in);
//! - the four gate chunks' gradients are summed as full tensors padded with +0, so a -0 there
//!   becomes +0 (likewise the initial states' slices when more than one slice gets a gradient);
//! - a gradient that never arrives is not a zero: a node no gradient reaches does not run.
//!
//! The engine's nodes have one output, so the layer's node produces a one-element token and
//! `output`, `h_n` and `c_n` are nodes over it that hand their gradients to the layer's node
//! (their names are those of the op-by-op path's last nodes). Under `create_graph` the
//! backward re-runs the op-by-op path to build a differentiable gradient.

use std::cell::RefCell;
use std::rc::Rc;

use ndarray::{ArrayD, IxDyn};

use super::autograd::attach;
use super::kernels::{self, Float, Mat, VEC_LOOP_F32};
use super::rnn::{CellWeights, Mode, RnnConfig, sigmoid_scalar, sigmoid_vec};
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError, is_grad_enabled, no_grad};

/// The float types the fused path runs on, with the engine's element-wise definitions.
pub(crate) trait Elem: Float {
    /// float32's sigmoid takes the vectorised exp on the leading whole vectors of each row.
    const ROW_VECTOR_SIGMOID: bool;
    /// `Tensor::tanh`'s value.
    fn tanh_(self) -> Self;
    fn read(t: &Tensor) -> Option<Vec<Self>>;
    fn wrap(v: Vec<Self>, shape: &[usize]) -> Result<Tensor>;
}

fn shape_err(e: ndarray::ShapeError) -> TensorError {
    TensorError::runtime(e.to_string())
}

impl Elem for f32 {
    const ROW_VECTOR_SIGMOID: bool = true;
    fn tanh_(self) -> f32 {
        (self as f64).tanh() as f32
    }
    fn read(t: &Tensor) -> Option<Vec<f32>> {
        match &*t.storage() {
            Storage::F32(a) => Some(super::ops::row_major(a).into_owned()),
            _ => None,
        }
    }
    fn wrap(v: Vec<f32>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::from_storage(Storage::F32(
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(shape_err)?,
        )))
    }
}

impl Elem for f64 {
    const ROW_VECTOR_SIGMOID: bool = false;
    fn tanh_(self) -> f64 {
        self.tanh()
    }
    fn read(t: &Tensor) -> Option<Vec<f64>> {
        match &*t.storage() {
            Storage::F64(a) => Some(super::ops::row_major(a).into_owned()),
            _ => None,
        }
    }
    fn wrap(v: Vec<f64>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::from_storage(Storage::F64(
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(shape_err)?,
        )))
    }
}

fn read<T: Elem>(t: &Tensor) -> Result<Vec<T>> {
    T::read(t).ok_or_else(|| TensorError::runtime("fused LSTM: unexpected dtype"))
}

/// `row_sigmoid`'s value at column `j` of a row of `h`.
#[inline(always)]
fn sig<T: Elem>(x: T, j: usize, h: usize) -> T {
    if T::ROW_VECTOR_SIGMOID && j < h - h % VEC_LOOP_F32 {
        sigmoid_vec(x)
    } else {
        sigmoid_scalar(x)
    }
}

/// SigmoidBackward0: `g * (1 - y) * y`, left to right.
#[inline(always)]
fn sig_back<T: Elem>(g: T, y: T) -> T {
    g * (T::one() - y) * y
}

/// TanhBackward0: `g * (1 - y*y)` with the fused `1 - y*y`.
#[inline(always)]
fn tanh_back<T: Elem>(g: T, y: T) -> T {
    g * (-y).mul_add(y, T::one())
}

/// Adds `b` into `a` the way a gradient buffer does: the first one is taken as it is.
fn add_into<T: Elem>(a: &mut Option<Vec<T>>, b: Option<&[T]>) {
    let Some(b) = b else { return };
    match a {
        None => *a = Some(b.to_vec()),
        Some(a) => a.iter_mut().zip(b).for_each(|(x, &y)| *x = *x + y),
    }
}

fn add_tensor(acc: &mut Option<Tensor>, g: Tensor) -> Result<()> {
    *acc = Some(match acc.take() {
        None => g,
        Some(a) => a.add(&g)?,
    });
    Ok(())
}

/// Whether the fused path computes exactly what [`super::rnn::rnn`] would: an LSTM of
/// float32 or float64 whose shapes are all consistent (errors are left to the op-by-op path),
/// without dropout between layers in training. Without biases the input product's gradient
/// follows `matmul`'s folding only when the weights need gradients.
fn applies(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
) -> bool {
    let dtype = x.dtype();
    if cfg.mode != Mode::Lstm || !matches!(dtype, DType::Float32 | DType::Float64) {
        return false;
    }
    if cfg.dropout > 0.0 && cfg.training && cfg.num_layers > 1 {
        return false;
    }
    let dirs = if cfg.bidirectional { 2 } else { 1 };
    let Some(c0) = c0 else { return false };
    let xs = x.shape();
    if xs.len() != 3 || xs[0] == 0 || weights.len() != cfg.num_layers * dirs || weights.is_empty() {
        return false;
    }
    let hidden = weights[0].w_hh.shape().get(1).copied().unwrap_or(0);
    let want = [cfg.num_layers * dirs, xs[1], hidden];
    if hidden == 0
        || h0.shape() != want
        || c0.shape() != want
        || h0.dtype() != dtype
        || c0.dtype() != dtype
    {
        return false;
    }
    let grads = is_grad_enabled()
        && (x.requires_grad()
            || h0.requires_grad()
            || c0.requires_grad()
            || weights.iter().any(|w| {
                w.w_ih.requires_grad()
                    || w.w_hh.requires_grad()
                    || w.b_ih.as_ref().is_some_and(Tensor::requires_grad)
                    || w.b_hh.as_ref().is_some_and(Tensor::requires_grad)
            }));
    weights.iter().enumerate().all(|(k, w)| {
        let isz = if k < dirs { xs[2] } else { dirs * hidden };
        let bias_ok = |b: &Option<Tensor>| {
            b.as_ref()
                .is_none_or(|b| b.shape() == [4 * hidden] && b.dtype() == dtype)
        };
        w.w_ih.shape() == [4 * hidden, isz]
            && w.w_hh.shape() == [4 * hidden, hidden]
            && w.w_ih.dtype() == dtype
            && w.w_hh.dtype() == dtype
            && bias_ok(&w.b_ih)
            && bias_ok(&w.b_hh)
            && w.b_ih.is_some() == w.b_hh.is_some()
            && (w.b_ih.is_some() || !grads || w.w_ih.requires_grad())
    })
}

/// Runs `f` compiled with FMA instructions where the CPU has them: the formulas use fused
/// multiply-adds either way (same bits), but without the feature each is a call to `fmaf`.
#[inline(always)]
fn with_fma<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run<R>(f: impl FnOnce() -> R) -> R {
            f()
        }
        // SAFETY: the CPU has the features `run` is compiled for.
        return unsafe { run(f) };
    }
    f()
}

/// The element-wise part of a step: the gates' nonlinearities, the new cell state, its tanh
/// and the new hidden state, row by row, in the op-by-op path's formulas.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn cells<T: Elem>(
    gh: &[T],
    gi: &[T],
    c_prev: &[T],
    h: usize,
    acts: &mut Vec<T>,
    c_new: &mut Vec<T>,
    tc_new: &mut Vec<T>,
    h_new: &mut Vec<T>,
) {
    let b = c_prev.len() / h.max(1);
    for r in 0..b {
        let row = r * 4 * h;
        let pre = |blk: usize, j: usize| gh[row + blk * h + j] + gi[row + blk * h + j];
        // Plain loops rather than iterator adaptors, so that all of it is inlined into the
        // FMA-enabled caller.
        for blk in 0..4 {
            for j in 0..h {
                let x = pre(blk, j);
                acts.push(if blk == 2 { x.tanh_() } else { sig(x, j, h) });
            }
        }
        let a = &acts[row..row + 4 * h];
        for j in 0..h {
            let (i, f, g, o) = (a[j], a[h + j], a[2 * h + j], a[3 * h + j]);
            let c = f * c_prev[r * h + j] + i * g;
            let tc = c.tanh_();
            c_new.push(c);
            tc_new.push(tc);
            h_new.push(o * tc);
        }
    }
}

/// What one direction of one layer keeps for its backward pass, by step in the order run.
struct DirRun<T> {
    /// The gates after their nonlinearities, (B, 4H) per step: i, f, g, o.
    acts: Vec<T>,
    /// The cell state after each step, (B, H) per step; `tc` is its tanh.
    c: Vec<T>,
    tc: Vec<T>,
    /// The state each step started from (the first is the initial state's slice).
    h_prev: Vec<Tensor>,
    /// The initial state's values; `c0` the cell's.
    h0: Vec<T>,
    c0: Vec<T>,
    /// The output, (T, B, H) in time order.
    out: Vec<T>,
}

fn run_dir<T: Elem>(
    input: &Tensor,
    gi_all: &[T],
    h0: Tensor,
    c0: Vec<T>,
    w: &CellWeights,
    reverse: bool,
) -> Result<DirRun<T>> {
    let s = input.shape();
    let (steps, b) = (s[0], s[1]);
    let h = w.w_hh.shape()[1];
    let (bh, bg) = (b * h, b * 4 * h);
    let mut run = DirRun {
        acts: Vec::with_capacity(steps * bg),
        c: Vec::with_capacity(steps * bh),
        tc: Vec::with_capacity(steps * bh),
        h_prev: Vec::with_capacity(steps),
        h0: read(&h0)?,
        c0,
        out: vec![T::zero(); steps * bh],
    };
    let mut h_t = h0;
    for k in 0..steps {
        let t = if reverse { steps - 1 - k } else { k };
        let gh = read::<T>(&super::nn::linear(&h_t, &w.w_hh, w.b_hh.as_ref())?)?;
        let gi = &gi_all[t * bg..(t + 1) * bg];
        let c_prev: &[T] = if k == 0 {
            &run.c0
        } else {
            &run.c[(k - 1) * bh..k * bh]
        };
        let mut acts = Vec::with_capacity(bg);
        let mut c_new = Vec::with_capacity(bh);
        let mut tc_new = Vec::with_capacity(bh);
        let mut h_new = Vec::with_capacity(bh);
        with_fma(|| {
            cells(
                &gh,
                gi,
                c_prev,
                h,
                &mut acts,
                &mut c_new,
                &mut tc_new,
                &mut h_new,
            )
        });
        run.out[t * bh..(t + 1) * bh].copy_from_slice(&h_new);
        run.acts.extend(acts);
        run.c.extend(c_new);
        run.tc.extend(tc_new);
        run.h_prev.push(h_t);
        h_t = T::wrap(h_new, &[b, h])?;
    }
    Ok(run)
}

/// The element-wise part of a step's backward pass: the gates' gradient into `g` (B, 4H) and
/// the previous cell state's share (when `want_dc`), or `None` when no gradient reaches the
/// step. `dh`, `dc`: what reached the step's hidden and cell states.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn back_cells<T: Elem>(
    acts: &[T],
    tc: &[T],
    c_prev: &[T],
    dh: Option<&[T]>,
    dc: Option<&[T]>,
    h: usize,
    g: &mut [T],
    want_dc: bool,
) -> Option<Vec<T>> {
    let b = tc.len() / h.max(1);
    // hy = o * tanh(cy): the o gate's gradient and tanh's share of the cell's.
    let dcy = match dh {
        Some(dh) => {
            let mut dcy = Vec::with_capacity(b * h);
            for r in 0..b {
                for j in 0..h {
                    let (o, y, d) = (acts[r * 4 * h + 3 * h + j], tc[r * h + j], dh[r * h + j]);
                    g[r * 4 * h + 3 * h + j] = sig_back(d * y, o);
                    dcy.push(tanh_back(d * o, y));
                }
            }
            if let Some(dc) = dc {
                dcy.iter_mut().zip(dc).for_each(|(a, &b)| *a = *a + b);
            }
            dcy
        }
        None => dc?.to_vec(),
    };
    // cy = f * cx + i * g.
    let mut dcx = Vec::with_capacity(if want_dc { b * h } else { 0 });
    for r in 0..b {
        let a = &acts[r * 4 * h..(r + 1) * 4 * h];
        let row = &mut g[r * 4 * h..(r + 1) * 4 * h];
        for j in 0..h {
            let (i, f, gg) = (a[j], a[h + j], a[2 * h + j]);
            let d = dcy[r * h + j];
            row[j] = sig_back(d * gg, i);
            row[h + j] = sig_back(d * c_prev[r * h + j], f);
            row[2 * h + j] = tanh_back(d * i, gg);
            if want_dc {
                dcx.push(d * f);
            }
        }
    }
    // The chunks' gradients meet as full tensors padded with +0.
    g.iter_mut().for_each(|v| *v = *v + T::zero());
    Some(dcx)
}

fn gates_all_step<T>(all: &[T], t: usize, bg: usize) -> &[T] {
    &all[t * bg..(t + 1) * bg]
}

/// Which gradients a direction's backward must produce.
struct DirNeeds {
    input: bool,
    h0: bool,
    c0: bool,
}

#[derive(Default)]
struct DirGrads<T> {
    input: Option<Tensor>,
    h0: Option<Vec<T>>,
    c0: Option<Vec<T>>,
    w_ih: Option<Tensor>,
    w_hh: Option<Tensor>,
    b_ih: Option<Tensor>,
    b_hh: Option<Tensor>,
}

fn needs(t: &Option<Tensor>) -> bool {
    t.as_ref().is_some_and(Tensor::requires_grad)
}

/// Sums the gradients of the weight `w` of `linear(x, w, b)` over the products it took part
/// in, as the weight's gradient buffer adds them (in order, the first taken as it is). Each is
/// MmBackward0's (or AddmmBackward0's) `mat2` gradient of `w.t()` through TBackward0; for a
/// row-major weight that is `g.t() @ x`, computed here on the buffers with the same kernel.
struct WeightGrad<T> {
    direct: bool,
    sum: Option<Vec<T>>,
    tensor: Option<Tensor>,
}

impl<T: Elem> WeightGrad<T> {
    fn new(w: &Tensor) -> Result<Self> {
        let direct = w
            .t()?
            .matrix_source()
            .is_some_and(|(_, _, rs, cs)| rs == 1 && cs > 1);
        Ok(WeightGrad {
            direct,
            sum: None,
            tensor: None,
        })
    }

    /// Adds the gradient of one product: `x` (rows, K) row-major, `g` (rows, N) row-major,
    /// `xt`/`gt` the same as tensors.
    fn add(&mut self, x: &[T], g: &[T], xt: &Tensor, gt: &Tensor, w: &Tensor) -> Result<()> {
        if !self.direct {
            return add_tensor(
                &mut self.tensor,
                super::ops::mat2_grad(xt, gt, &w.t()?)?.t()?,
            );
        }
        let (rows, n) = (gt.shape()[0], gt.shape()[1]);
        let k = x.len() / rows.max(1);
        let p = kernels::matmul_mat(
            Mat {
                data: g,
                rs: 1,
                cs: n,
            },
            Mat {
                data: x,
                rs: k,
                cs: 1,
            },
            n,
            rows,
            k,
        );
        match &mut self.sum {
            None => self.sum = Some(p),
            Some(acc) => acc.iter_mut().zip(p).for_each(|(a, b)| *a = *a + b),
        }
        Ok(())
    }

    fn finish(self, w: &Tensor) -> Result<Option<Tensor>> {
        match self.sum {
            Some(v) => Ok(Some(T::wrap(v, &w.shape())?)),
            None => Ok(self.tensor),
        }
    }
}

/// Backward through time of one direction. `dout` is the gradient of its output (T, B, H),
/// `dhn`/`dcn` of its final state, each `None` when none arrives.
#[allow(clippy::too_many_arguments)]
fn dir_backward<T: Elem>(
    run: &DirRun<T>,
    w: &CellWeights,
    input: &Tensor,
    reverse: bool,
    dout: Option<&[T]>,
    dhn: Option<&[T]>,
    dcn: Option<&[T]>,
    need: &DirNeeds,
) -> Result<DirGrads<T>> {
    let s = input.shape();
    let (steps, b) = (s[0], s[1]);
    let h = w.w_hh.shape()[1];
    let (bh, bg) = (b * h, b * 4 * h);
    let mut grads = DirGrads::default();
    let mut gates_all = vec![T::zero(); steps * bg];
    let mut any = false;
    let (mut dh_next, mut dc_next): (Option<Vec<T>>, Option<Vec<T>>) = (None, None);
    let mut w_hh = WeightGrad::new(&w.w_hh)?;
    let t_prev = |k: usize| if reverse { steps - k } else { k - 1 };
    for k in (0..steps).rev() {
        let t = if reverse { steps - 1 - k } else { k };
        let last = k + 1 == steps;
        let mut dh = None;
        add_into(&mut dh, dout.map(|d| &d[t * bh..(t + 1) * bh]));
        if last {
            add_into(&mut dh, dhn);
        }
        add_into(&mut dh, dh_next.take().as_deref());
        let mut dc = if last { dcn.map(<[T]>::to_vec) } else { None };
        add_into(&mut dc, dc_next.take().as_deref());
        let acts = &run.acts[k * bg..(k + 1) * bg];
        let tc = &run.tc[k * bh..(k + 1) * bh];
        let c_prev: &[T] = if k == 0 {
            &run.c0
        } else {
            &run.c[(k - 1) * bh..k * bh]
        };
        let mut g = vec![T::zero(); bg];
        let want_dc = k > 0 || need.c0;
        let Some(dcx) = with_fma(|| {
            back_cells(
                acts,
                tc,
                c_prev,
                dh.as_deref(),
                dc.as_deref(),
                h,
                &mut g,
                want_dc,
            )
        }) else {
            continue;
        };
        gates_all[t * bg..(t + 1) * bg].copy_from_slice(&g);
        any = true;
        let gt = T::wrap(g, &[b, 4 * h])?;
        if needs(&w.b_hh) {
            add_tensor(&mut grads.b_hh, gt.sum_to(&[4 * h])?)?;
        }
        if k > 0 || need.h0 {
            dh_next = Some(read(&gt.mm(&w.w_hh)?)?);
        }
        if w.w_hh.requires_grad() {
            let h_prev: &[T] = if k == 0 {
                &run.h0
            } else {
                &run.out[t_prev(k) * bh..(t_prev(k) + 1) * bh]
            };
            w_hh.add(
                h_prev,
                gates_all_step(&gates_all, t, bg),
                &run.h_prev[k],
                &gt,
                &w.w_hh,
            )?;
        }
        if want_dc {
            dc_next = Some(dcx);
        }
    }
    grads.w_hh = w_hh.finish(&w.w_hh)?;
    grads.h0 = dh_next.filter(|_| need.h0);
    grads.c0 = dc_next.filter(|_| need.c0);
    if any {
        let in_f = s[2];
        let x2 = input.reshape_usize(&[steps * b, in_f])?;
        let gates_flat = gates_all.clone();
        let g2 = T::wrap(gates_all, &[steps * b, 4 * h])?;
        if needs(&w.b_ih) {
            grads.b_ih = Some(g2.sum_to(&[4 * h])?);
        }
        if need.input {
            grads.input = Some(g2.mm(&w.w_ih)?.reshape_usize(&s)?);
        }
        if w.w_ih.requires_grad() {
            let mut w_ih = WeightGrad::new(&w.w_ih)?;
            w_ih.add(&read::<T>(&x2)?, &gates_flat, &x2, &g2, &w.w_ih)?;
            grads.w_ih = w_ih.finish(&w.w_ih)?;
        }
    }
    Ok(grads)
}

/// Gradients handed over by the output nodes.
#[derive(Default)]
struct Mail {
    out: Option<Tensor>,
    h: Option<Tensor>,
    c: Option<Tensor>,
}

fn post(slot: &mut Option<Tensor>, g: &Tensor) -> Result<()> {
    add_tensor(slot, g.clone())
}

/// Everything the node's backward needs, kept from the forward run.
struct Saved<T> {
    cfg: RnnConfig,
    x: Tensor,
    h0: Tensor,
    c0: Tensor,
    weights: Vec<CellWeights>,
    /// Each layer's input, (T, B, ·).
    inputs: Vec<Tensor>,
    runs: Vec<DirRun<T>>,
}

/// The fused run, or `None` where it does not apply (then [`super::rnn::rnn`] runs op by op).
pub(crate) fn try_rnn(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
) -> Result<Option<(Tensor, Tensor, Option<Tensor>)>> {
    if !applies(cfg, x, h0, c0, weights) {
        return Ok(None);
    }
    let Some(c0) = c0.cloned() else {
        return Ok(None);
    };
    match x.dtype() {
        DType::Float32 => fused::<f32>(cfg, x, h0, &c0, weights).map(Some),
        _ => fused::<f64>(cfg, x, h0, &c0, weights).map(Some),
    }
}

fn fused<T: Elem>(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: &Tensor,
    weights: &[CellWeights],
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let dirs = if cfg.bidirectional { 2 } else { 1 };
    let s = x.shape();
    let (steps, b) = (s[0], s[1]);
    let h = weights[0].w_hh.shape()[1];
    let bh = b * h;
    let (hs, c0v) = no_grad(|| -> Result<_> { Ok((h0.unbind(0)?, read::<T>(c0)?)) })?;
    let mut inputs = Vec::with_capacity(cfg.num_layers);
    let mut runs = Vec::with_capacity(weights.len());
    let mut input = no_grad(|| x.detach());
    let (mut hn, mut cn) = (
        Vec::with_capacity(weights.len() * bh),
        Vec::with_capacity(weights.len() * bh),
    );
    let mut out = Vec::new();
    no_grad(|| -> Result<()> {
        for l in 0..cfg.num_layers {
            let mut layer_out = vec![T::zero(); steps * b * dirs * h];
            for d in 0..dirs {
                let k = l * dirs + d;
                let w = &weights[k];
                let gi = read::<T>(&super::nn::linear(&input, &w.w_ih, w.b_ih.as_ref())?)?;
                let run = run_dir(
                    &input,
                    &gi,
                    hs[k].clone(),
                    c0v[k * bh..(k + 1) * bh].to_vec(),
                    w,
                    d == 1,
                )?;
                let last = if d == 1 { 0 } else { steps - 1 };
                hn.extend_from_slice(&run.out[last * bh..(last + 1) * bh]);
                let kl = run.c.len() - bh;
                cn.extend_from_slice(&run.c[kl..]);
                for (t, row) in layer_out.chunks_mut(dirs * h).enumerate() {
                    row[d * h..(d + 1) * h].copy_from_slice(&run.out[t * h..(t + 1) * h]);
                }
                runs.push(run);
            }
            inputs.push(input.clone());
            input = T::wrap(layer_out.clone(), &[steps, b, dirs * h])?;
            out = layer_out;
        }
        Ok(())
    })?;
    let out_t = T::wrap(out, &[steps, b, dirs * h])?;
    let hn_t = T::wrap(hn, &[weights.len(), b, h])?;
    let cn_t = T::wrap(cn, &[weights.len(), b, h])?;

    let mut edges: Vec<&Tensor> = vec![x, h0, c0];
    for w in weights {
        edges.extend([&w.w_ih, &w.w_hh]);
        edges.extend(w.b_ih.iter().chain(w.b_hh.iter()));
    }
    let mail = Rc::new(RefCell::new(Mail::default()));
    let saved = Saved {
        cfg: cfg.clone(),
        x: x.clone(),
        h0: h0.clone(),
        c0: c0.clone(),
        weights: weights.to_vec(),
        inputs,
        runs,
    };
    let m = mail.clone();
    let token = attach(
        T::wrap(vec![T::zero()], &[1])?,
        "LstmFusedBackward",
        &edges,
        true,
        move |_, need| {
            let mail = std::mem::take(&mut *m.borrow_mut());
            if is_grad_enabled() {
                differentiable_backward(&saved, &mail, need)
            } else {
                backward(&saved, &mail, need)
            }
        },
    );
    let dtype = x.dtype();
    let out_name = if cfg.bidirectional {
        "CatBackward0"
    } else if dtype == DType::Float32 {
        "MkldnnRnnLayerBackward0"
    } else {
        "StackBackward0"
    };
    let hand = |t: Tensor, name: &'static str, pick: fn(&mut Mail) -> &mut Option<Tensor>| {
        let m = mail.clone();
        attach(t, name, &[&token], false, move |g, _| {
            post(pick(&mut m.borrow_mut()), g)?;
            Ok(vec![Some(Tensor::zeros(&[1], dtype))])
        })
    };
    let out_t = hand(out_t, out_name, |m| &mut m.out);
    let hn_t = hand(hn_t, "StackBackward0", |m| &mut m.h);
    let cn_t = hand(cn_t, "StackBackward0", |m| &mut m.c);
    Ok((out_t, hn_t, Some(cn_t)))
}

/// Slice `k` of a (K, B, H) gradient.
fn slot<T: Elem>(g: &Option<Vec<T>>, k: usize, bh: usize) -> Option<&[T]> {
    g.as_ref().map(|g| &g[k * bh..(k + 1) * bh])
}

/// The gradients of the node's inputs (x, h0, c0, then each cell's weights and biases).
fn backward<T: Elem>(s: &Saved<T>, mail: &Mail, need: &[bool]) -> Result<Vec<Option<Tensor>>> {
    let cfg = &s.cfg;
    let dirs = if cfg.bidirectional { 2 } else { 1 };
    let xs = s.x.shape();
    let (steps, b) = (xs[0], xs[1]);
    let h = s.weights[0].w_hh.shape()[1];
    let bh = b * h;
    let dhn = mail.h.as_ref().map(read::<T>).transpose()?;
    let dcn = mail.c.as_ref().map(read::<T>).transpose()?;
    let mut dlayer = mail.out.as_ref().map(read::<T>).transpose()?;
    let k_all = s.weights.len();
    let mut h0s: Vec<Option<Vec<T>>> = (0..k_all).map(|_| None).collect();
    let mut c0s: Vec<Option<Vec<T>>> = (0..k_all).map(|_| None).collect();
    let mut wgrads: Vec<DirGrads<T>> = (0..k_all).map(|_| DirGrads::default()).collect();
    let mut dx = None;
    for l in (0..cfg.num_layers).rev() {
        let mut dinput: Option<Tensor> = None;
        for d in 0..dirs {
            let k = l * dirs + d;
            let dout = dlayer.as_ref().map(|g| {
                let mut v = Vec::with_capacity(steps * bh);
                for row in g.chunks(dirs * h) {
                    v.extend_from_slice(&row[d * h..(d + 1) * h]);
                }
                v
            });
            let nd = DirNeeds {
                input: l > 0 || need[0],
                h0: need[1],
                c0: need[2],
            };
            let mut gr = dir_backward(
                &s.runs[k],
                &s.weights[k],
                &s.inputs[l],
                d == 1,
                dout.as_deref(),
                slot(&dhn, k, bh),
                slot(&dcn, k, bh),
                &nd,
            )?;
            if let Some(gi) = gr.input.take() {
                add_tensor(&mut dinput, gi)?;
            }
            h0s[k] = gr.h0.take();
            c0s[k] = gr.c0.take();
            wgrads[k] = gr;
        }
        if l == 0 {
            dx = dinput;
        } else {
            dlayer = dinput.as_ref().map(read::<T>).transpose()?;
        }
    }
    let mut result = vec![dx, stack_states(h0s, b, h)?, stack_states(c0s, b, h)?];
    for (w, g) in s.weights.iter().zip(wgrads) {
        result.extend([g.w_ih, g.w_hh]);
        if w.b_ih.is_some() {
            result.extend([g.b_ih, g.b_hh]);
        }
    }
    Ok(result)
}

/// The initial state's gradient from its slices' (`unbind`'s backward): zero-padded full
/// tensors, summed when more than one arrives (which turns a -0 into +0).
fn stack_states<T: Elem>(
    slices: Vec<Option<Vec<T>>>,
    b: usize,
    h: usize,
) -> Result<Option<Tensor>> {
    let count = slices.iter().filter(|s| s.is_some()).count();
    if count == 0 {
        return Ok(None);
    }
    let mut all = Vec::with_capacity(slices.len() * b * h);
    for s in slices {
        match s {
            Some(v) if count > 1 => all.extend(v.into_iter().map(|x| x + T::zero())),
            Some(v) => all.extend(v),
            None => all.extend(std::iter::repeat_n(T::zero(), b * h)),
        }
    }
    let k = all.len() / (b * h);
    Ok(Some(T::wrap(all, &[k, b, h])?))
}

/// Under `create_graph`: the op-by-op run again from the same inputs, differentiated with a
/// graph of its own.
fn differentiable_backward<T: Elem>(
    s: &Saved<T>,
    mail: &Mail,
    need: &[bool],
) -> Result<Vec<Option<Tensor>>> {
    let mut inputs: Vec<Tensor> = vec![s.x.clone(), s.h0.clone(), s.c0.clone()];
    for w in &s.weights {
        inputs.extend([w.w_ih.clone(), w.w_hh.clone()]);
        inputs.extend(w.b_ih.iter().chain(w.b_hh.iter()).cloned());
    }
    let (out, hn, cn) = super::rnn::rnn_unfused(
        &s.cfg,
        &s.x,
        &s.h0,
        Some(&s.c0),
        &s.weights,
        &mut super::Generator::new(0),
    )?;
    let mut outs = Vec::new();
    let mut gs = Vec::new();
    for (t, g) in [(Some(out), &mail.out), (Some(hn), &mail.h), (cn, &mail.c)] {
        if let (Some(t), Some(g)) = (t, g) {
            outs.push(t);
            gs.push(Some(g.clone()));
        }
    }
    let wanted: Vec<usize> = (0..inputs.len())
        .filter(|&i| need[i] && inputs[i].requires_grad())
        .collect();
    if outs.is_empty() || wanted.is_empty() {
        return Ok(vec![None; inputs.len()]);
    }
    let chosen: Vec<Tensor> = wanted.iter().map(|&i| inputs[i].clone()).collect();
    let got = super::grad(&outs, &gs, &chosen, true, true)?;
    let mut result = vec![None; inputs.len()];
    for (i, g) in wanted.into_iter().zip(got) {
        result[i] = g;
    }
    Ok(result)
}
