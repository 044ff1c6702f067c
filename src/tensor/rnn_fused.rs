//! The fused recurrent run: a whole `nn.LSTM`, `nn.GRU` or `nn.RNN` run (layers, directions)
//! over (T, B, ·) buffers recorded as one autograd node, with its own backward through time.
//! The cells' element-wise formulas are in rnn_cells.rs.
//!
//! The op-by-op path (rnn.rs) records ten to twenty nodes per step, and autograd sums each
//! step's input-gate gradient as a full (T, B, G·H) tensor (`unbind`'s backward), so its cost
//! is per-op overhead plus O(T²) additions. This path computes the same values with the same
//! kernels (`nn::linear` for the products, the same element-wise formulas in the same order),
//! and its backward reproduces bit for bit what the engine's accumulation gives there:
//! - a buffer that several gradients reach adds them in arrival order; every buffer of an LSTM
//!   step gets at most two (commutative), except the weights' (one product per step, summed
//!   from the last step down, the order the engine runs the steps in); a GRU's previous state
//!   gets three: the output's gradient, then `h - n`'s, then the hidden product's;
//! - the gate chunks' gradients are summed as full tensors padded with +0, so a -0 there
//!   becomes +0 (likewise the initial states' slices when more than one slice gets a gradient,
//!   and a plain RNN's input gates when more than one step gets a gradient);
//! - a gradient that never arrives is not a zero: a node no gradient reaches does not run.
//!
//! The engine's nodes have one output, so the layer's node produces a one-element token and
//! `output`, `h_n` and `c_n` are nodes over it that hand their gradients to the layer's node
//! (their names are those of the op-by-op path's last nodes). Under `create_graph` the
//! backward re-runs the op-by-op path to build a differentiable gradient.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use ndarray::{ArrayD, IxDyn};

use super::autograd::attach;
use super::kernels::{self, Float, Mat};
use super::rnn::{CellWeights, Mode, RnnConfig};
use super::rnn_cells;
use super::storage::Storage;
use super::{DType, Result, Tensor, TensorError, is_grad_enabled, no_grad};

/// The float types the fused path runs on, with the engine's element-wise definitions.
pub(crate) trait Elem: Float {
    /// `out[j] = sigmoid(gh[j] + gi[j])` over one row's block of a gate, as `row_sigmoid`
    /// computes it (float32: the vectorised exp on the leading whole vector steps).
    fn sigmoid_of_sum(gh: &[Self], gi: &[Self], out: &mut [Self]);
    /// `Tensor::tanh`'s value of each element, in place (float32 four lanes at a time).
    fn tanh_in_place(xs: &mut [Self]);
    fn read(t: &Tensor) -> Option<Vec<Self>>;
    /// The elements of a tensor nothing else holds, its own buffer taken over rather than
    /// copied (see `Tensor::take_unique_storage`); `None` when it is shared.
    fn take(t: &Tensor) -> Option<Vec<Self>>;
    /// The elements of `s` in row-major order, borrowed where they already are.
    fn slice(s: &Storage) -> Option<Cow<'_, [Self]>>;
    fn wrap(v: Vec<Self>, shape: &[usize]) -> Result<Tensor>;
}

fn shape_err(e: ndarray::ShapeError) -> TensorError {
    TensorError::runtime(e.to_string())
}

impl Elem for f32 {
    fn tanh_in_place(xs: &mut [f32]) {
        super::tanh_avx2::tanh_in_place(xs);
    }
    fn sigmoid_of_sum(gh: &[f32], gi: &[f32], out: &mut [f32]) {
        let v = out.len() - out.len() % kernels::VEC_LOOP_F32;
        #[cfg(target_arch = "x86_64")]
        super::sigmoid_avx2::sigmoid_of_sum(&gh[..v], &gi[..v], &mut out[..v]);
        #[cfg(not(target_arch = "x86_64"))]
        for j in 0..v {
            out[j] = super::rnn::sigmoid_vec(gh[j] + gi[j]);
        }
        for j in v..out.len() {
            out[j] = super::rnn::sigmoid_scalar(gh[j] + gi[j]);
        }
    }
    fn read(t: &Tensor) -> Option<Vec<f32>> {
        match &*t.storage() {
            Storage::F32(a) => Some(super::ops::row_major(a).into_owned()),
            _ => None,
        }
    }
    fn take(t: &Tensor) -> Option<Vec<f32>> {
        match t.take_unique_storage()? {
            Storage::F32(a) => Some(into_row_major(a)),
            _ => None,
        }
    }
    fn slice(s: &Storage) -> Option<Cow<'_, [f32]>> {
        match s {
            Storage::F32(a) => Some(super::ops::row_major(a)),
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
    fn tanh_in_place(xs: &mut [f64]) {
        for x in xs {
            *x = x.tanh();
        }
    }
    fn sigmoid_of_sum(gh: &[f64], gi: &[f64], out: &mut [f64]) {
        for ((o, &a), &b) in out.iter_mut().zip(gh).zip(gi) {
            *o = super::rnn::sigmoid_scalar(a + b);
        }
    }
    fn read(t: &Tensor) -> Option<Vec<f64>> {
        match &*t.storage() {
            Storage::F64(a) => Some(super::ops::row_major(a).into_owned()),
            _ => None,
        }
    }
    fn take(t: &Tensor) -> Option<Vec<f64>> {
        match t.take_unique_storage()? {
            Storage::F64(a) => Some(into_row_major(a)),
            _ => None,
        }
    }
    fn slice(s: &Storage) -> Option<Cow<'_, [f64]>> {
        match s {
            Storage::F64(a) => Some(super::ops::row_major(a)),
            _ => None,
        }
    }
    fn wrap(v: Vec<f64>, shape: &[usize]) -> Result<Tensor> {
        Ok(Tensor::from_storage(Storage::F64(
            ArrayD::from_shape_vec(IxDyn(shape), v).map_err(shape_err)?,
        )))
    }
}

const DTYPE_ERR: &str = "fused LSTM: unexpected dtype";

fn read<T: Elem>(t: &Tensor) -> Result<Vec<T>> {
    T::read(t).ok_or_else(|| TensorError::runtime(DTYPE_ERR))
}

/// The elements of a result only this code holds (a product made for one step): its buffer
/// taken over, or read (copied) when something else shares it.
fn take<T: Elem>(t: Tensor) -> Result<Vec<T>> {
    match T::take(&t) {
        Some(v) => Ok(v),
        None => read(&t),
    }
}

/// An owned array's elements in row-major order: its own buffer when they already are.
fn into_row_major<X: Copy>(a: ArrayD<X>) -> Vec<X> {
    if !a.is_standard_layout() {
        return super::ops::row_major(&a).into_owned();
    }
    let n = a.len();
    match a.into_raw_vec_and_offset() {
        (v, Some(0)) if v.len() == n => v,
        (v, Some(o)) => v[o..o + n].to_vec(),
        (_, None) => Vec::new(),
    }
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

/// Whether the fused path computes exactly what [`super::rnn::rnn`] would: a run of float32
/// or float64 whose shapes are all consistent (errors are left to the op-by-op path),
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
    if !matches!(dtype, DType::Float32 | DType::Float64) {
        return false;
    }
    if cfg.dropout > 0.0 && cfg.training && cfg.num_layers > 1 {
        return false;
    }
    let dirs = if cfg.bidirectional { 2 } else { 1 };
    let lstm = cfg.mode == Mode::Lstm;
    if lstm != c0.is_some() {
        return false;
    }
    let gates = cfg.mode.gates();
    let xs = x.shape();
    if xs.len() != 3 || xs[0] == 0 || weights.len() != cfg.num_layers * dirs || weights.is_empty() {
        return false;
    }
    let hidden = weights[0].w_hh.shape().get(1).copied().unwrap_or(0);
    let want = [cfg.num_layers * dirs, xs[1], hidden];
    let c0_ok = c0.is_none_or(|c0| c0.shape() == want && c0.dtype() == dtype);
    if hidden == 0 || h0.shape() != want || h0.dtype() != dtype || !c0_ok {
        return false;
    }
    let grads = is_grad_enabled()
        && (x.requires_grad()
            || h0.requires_grad()
            || c0.is_some_and(Tensor::requires_grad)
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
                .is_none_or(|b| b.shape() == [gates * hidden] && b.dtype() == dtype)
        };
        w.w_ih.shape() == [gates * hidden, isz]
            && w.w_hh.shape() == [gates * hidden, hidden]
            && w.w_ih.dtype() == dtype
            && w.w_hh.dtype() == dtype
            && bias_ok(&w.b_ih)
            && bias_ok(&w.b_hh)
            && w.b_ih.is_some() == w.b_hh.is_some()
            && (w.b_ih.is_some() || !grads || w.w_ih.requires_grad())
    })
}

/// What one direction of one layer keeps for its backward pass, by step in the order run.
struct DirRun<T> {
    /// Per step, (B, 4H): an LSTM's gates after their nonlinearities (i, f, g, o), a GRU's
    /// r, z, n and the hidden product's n chunk; empty for a plain RNN.
    acts: Vec<T>,
    /// An LSTM's cell state after each step, (B, H) per step; `tc` is its tanh.
    c: Vec<T>,
    tc: Vec<T>,
    /// The state each step started from (the first is the initial state's slice).
    h_prev: Vec<Tensor>,
    /// The initial state's values; `c0` the cell's (empty but for an LSTM).
    h0: Vec<T>,
    c0: Vec<T>,
    /// The output, (T, B, H) in time order.
    out: Vec<T>,
}

impl<T> DirRun<T> {
    /// The hidden state step `k` (in the order run) started from.
    fn h_before(&self, k: usize, reverse: bool, bh: usize) -> &[T] {
        if k == 0 {
            return &self.h0;
        }
        let steps = self.out.len() / bh.max(1);
        let t = if reverse { steps - k } else { k - 1 };
        &self.out[t * bh..(t + 1) * bh]
    }
}

fn run_dir<T: Elem>(
    mode: Mode,
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
    let bh = b * h;
    let bg = bh * mode.gates();
    let ba = match mode {
        Mode::Lstm | Mode::Gru => 4 * bh,
        Mode::RnnTanh | Mode::RnnRelu => 0,
    };
    let cells = if mode == Mode::Lstm { steps * bh } else { 0 };
    let mut run = DirRun {
        acts: vec![T::zero(); steps * ba],
        c: vec![T::zero(); cells],
        tc: vec![T::zero(); cells],
        h_prev: Vec::with_capacity(steps),
        h0: read(&h0)?,
        c0,
        out: vec![T::zero(); steps * bh],
    };
    let mut h_t = h0;
    let mut h_new = vec![T::zero(); bh];
    // `nn::linear(h, w_hh, b_hh)` with one transposed view for all steps, so that its
    // gathered elements (which `addmm` reads) are made once.
    // Where the product takes the fused kernel, the bias enters after it whatever `mat2`'s
    // layout (addmm_order.rs), so a row-major copy made once gives the same bits and lets
    // the kernel read the weight in place rather than gather it at every step.
    // float32 only: float64's orders depend on the layout (dgemm_order.rs).
    let w_t = if std::mem::size_of::<T>() == 4 && kernels::matmul_fused(b, h, mode.gates() * h) {
        w.w_hh.t()?.contiguous()
    } else {
        w.w_hh.t()?
    };
    for k in 0..steps {
        let t = if reverse { steps - 1 - k } else { k };
        let gh = match &w.b_hh {
            Some(b) => Tensor::addmm(b, &h_t, &w_t)?,
            None => h_t.matmul(&w_t)?,
        };
        // Read in place: a copy of the product per step costs as much as a cell.
        let gh_storage = gh.storage();
        let gh = T::slice(&gh_storage).ok_or_else(|| TensorError::runtime(DTYPE_ERR))?;
        let gi = &gi_all[t * bg..(t + 1) * bg];
        let acts = &mut run.acts[k * ba..(k + 1) * ba];
        match mode {
            Mode::Lstm => {
                let (done, rest) = run.c.split_at_mut(k * bh);
                let c_prev: &[T] = if k == 0 {
                    &run.c0
                } else {
                    &done[(k - 1) * bh..]
                };
                let tc = &mut run.tc[k * bh..(k + 1) * bh];
                rnn_cells::lstm(&gh, gi, c_prev, h, acts, &mut rest[..bh], tc, &mut h_new);
            }
            Mode::Gru => {
                let hp = if k == 0 {
                    &run.h0[..]
                } else {
                    let tp = if reverse { t + 1 } else { t - 1 };
                    &run.out[tp * bh..(tp + 1) * bh]
                };
                rnn_cells::gru(&gh, gi, hp, h, acts, &mut h_new);
            }
            Mode::RnnTanh | Mode::RnnRelu => {
                let relu = mode == Mode::RnnRelu;
                rnn_cells::rnn(&gh, gi, relu, &mut h_new);
            }
        }
        run.out[t * bh..(t + 1) * bh].copy_from_slice(&h_new);
        run.h_prev.push(h_t);
        h_t = T::wrap(h_new.clone(), &[b, h])?;
    }
    Ok(run)
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
        let (gm, xm) = (
            Mat {
                data: g,
                rs: 1,
                cs: n,
                start: 0,
            },
            Mat {
                data: x,
                rs: k,
                cs: 1,
                start: 0,
            },
        );
        // `sum + product`, the product's chains added as they end (no buffer per step).
        match &mut self.sum {
            None => self.sum = Some(kernels::matmul_mat(gm, xm, n, rows, k)),
            Some(acc) => kernels::matmul_add_mat(gm, xm, acc, n, rows, k),
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
    mode: Mode,
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
    let gw = mode.gates() * h;
    let (bh, bg) = (b * h, b * gw);
    let ba = run.acts.len() / steps;
    let mut grads = DirGrads::default();
    let mut gates_all = vec![T::zero(); steps * bg];
    let mut reached = 0;
    // What reaches the previous state from this step, in arrival order: a GRU's `h - n`
    // share, then the hidden product's; an LSTM's cell share.
    let mut dd_next: Option<Vec<T>> = None;
    let mut dh_next: Option<Vec<T>> = None;
    let mut dc_next: Option<Vec<T>> = None;
    let mut w_hh = WeightGrad::new(&w.w_hh)?;
    let mut g_h = vec![T::zero(); bg];
    for k in (0..steps).rev() {
        let t = if reverse { steps - 1 - k } else { k };
        let last = k + 1 == steps;
        let mut dh = None;
        add_into(&mut dh, dout.map(|d| &d[t * bh..(t + 1) * bh]));
        if last {
            add_into(&mut dh, dhn);
        }
        add_into(&mut dh, dd_next.take().as_deref());
        add_into(&mut dh, dh_next.take().as_deref());
        let acts = &run.acts[k * ba..(k + 1) * ba];
        let g_i = &mut gates_all[t * bg..(t + 1) * bg];
        let want_h = k > 0 || need.h0;
        match mode {
            Mode::Lstm => {
                let mut dc = if last { dcn.map(<[T]>::to_vec) } else { None };
                add_into(&mut dc, dc_next.take().as_deref());
                let tc = &run.tc[k * bh..(k + 1) * bh];
                let c_prev: &[T] = if k == 0 {
                    &run.c0
                } else {
                    &run.c[(k - 1) * bh..k * bh]
                };
                let want_dc = k > 0 || need.c0;
                let Some(dcx) = rnn_cells::lstm_back(
                    acts,
                    tc,
                    c_prev,
                    dh.as_deref(),
                    dc.as_deref(),
                    h,
                    g_i,
                    want_dc,
                ) else {
                    continue;
                };
                g_h.copy_from_slice(g_i);
                if want_dc {
                    dc_next = Some(dcx);
                }
            }
            Mode::Gru => {
                let Some(dh) = dh else { continue };
                let hp = run.h_before(k, reverse, bh);
                let mut dd = vec![T::zero(); bh];
                rnn_cells::gru_back(acts, hp, &dh, h, g_i, &mut g_h, &mut dd);
                if want_h {
                    dd_next = Some(dd);
                }
            }
            Mode::RnnTanh | Mode::RnnRelu => {
                let Some(dh) = dh else { continue };
                let y = &run.out[t * bh..(t + 1) * bh];
                let relu = mode == Mode::RnnRelu;
                rnn_cells::rnn_back(y, &dh, relu, g_i);
                g_h.copy_from_slice(g_i);
            }
        }
        reached += 1;
        // The step's buffer becomes the tensor the products read, and comes back after them
        // (no copy of it per step).
        let gt = T::wrap(std::mem::take(&mut g_h), &[b, gw])?;
        if needs(&w.b_hh) {
            add_tensor(&mut grads.b_hh, gt.sum_to(&[gw])?)?;
        }
        if want_h {
            dh_next = Some(take(gt.mm(&w.w_hh)?)?);
        }
        if w.w_hh.requires_grad() {
            let hp = run.h_before(k, reverse, bh);
            let gs = gt.storage();
            let gv = T::slice(&gs).ok_or_else(|| TensorError::runtime(DTYPE_ERR))?;
            w_hh.add(hp, &gv, &run.h_prev[k], &gt, &w.w_hh)?;
        }
        g_h = T::take(&gt)
            .filter(|v| v.len() == bg)
            .unwrap_or_else(|| vec![T::zero(); bg]);
    }
    grads.w_hh = w_hh.finish(&w.w_hh)?;
    if need.h0 {
        let mut h0 = dd_next;
        add_into(&mut h0, dh_next.as_deref());
        grads.h0 = h0;
    }
    grads.c0 = dc_next.filter(|_| need.c0);
    if reached > 0 {
        if matches!(mode, Mode::RnnTanh | Mode::RnnRelu) && reached > 1 {
            // The steps' input gradients meet as full (T, B, H) tensors padded with +0.
            gates_all.iter_mut().for_each(|v| *v = *v + T::zero());
        }
        let in_f = s[2];
        let x2 = input.reshape_usize(&[steps * b, in_f])?;
        let g2 = T::wrap(gates_all, &[steps * b, gw])?;
        if needs(&w.b_ih) {
            grads.b_ih = Some(g2.sum_to(&[gw])?);
        }
        if need.input {
            grads.input = Some(g2.mm(&w.w_ih)?.reshape_usize(&s)?);
        }
        if w.w_ih.requires_grad() {
            let mut w_ih = WeightGrad::new(&w.w_ih)?;
            let (xs, gs) = (x2.storage(), g2.storage());
            let dtype_err = || TensorError::runtime(DTYPE_ERR);
            let xv = T::slice(&xs).ok_or_else(dtype_err)?;
            let gv = T::slice(&gs).ok_or_else(dtype_err)?;
            w_ih.add(&xv, &gv, &x2, &g2, &w.w_ih)?;
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
    c0: Option<Tensor>,
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
    match x.dtype() {
        DType::Float32 => fused::<f32>(cfg, x, h0, c0, weights).map(Some),
        _ => fused::<f64>(cfg, x, h0, c0, weights).map(Some),
    }
}

fn fused<T: Elem>(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let dirs = if cfg.bidirectional { 2 } else { 1 };
    let s = x.shape();
    let (steps, b) = (s[0], s[1]);
    let h = weights[0].w_hh.shape()[1];
    let bh = b * h;
    let (hs, c0v) =
        no_grad(|| -> Result<_> { Ok((h0.unbind(0)?, c0.map(read::<T>).transpose()?)) })?;
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
                // The input product (T·B·G·H elements) is read in place, not copied.
                let gi = super::nn::linear(&input, &w.w_ih, w.b_ih.as_ref())?.storage();
                let gi = T::slice(&gi).ok_or_else(|| TensorError::runtime(DTYPE_ERR))?;
                let c0k = c0v
                    .as_ref()
                    .map_or_else(Vec::new, |c| c[k * bh..(k + 1) * bh].to_vec());
                let run = run_dir(cfg.mode, &input, &gi, hs[k].clone(), c0k, w, d == 1)?;
                let last = if d == 1 { 0 } else { steps - 1 };
                hn.extend_from_slice(&run.out[last * bh..(last + 1) * bh]);
                if let Some(kl) = run.c.len().checked_sub(bh).filter(|_| c0v.is_some()) {
                    cn.extend_from_slice(&run.c[kl..]);
                }
                for (t, row) in layer_out.chunks_mut(dirs * h).enumerate() {
                    row[d * h..(d + 1) * h].copy_from_slice(&run.out[t * h..(t + 1) * h]);
                }
                runs.push(run);
            }
            inputs.push(input.clone());
            if l + 1 < cfg.num_layers {
                input = T::wrap(layer_out, &[steps, b, dirs * h])?;
            } else {
                out = layer_out;
            }
        }
        Ok(())
    })?;
    let out_t = T::wrap(out, &[steps, b, dirs * h])?;
    let hn_t = T::wrap(hn, &[weights.len(), b, h])?;
    let cn_t = c0
        .map(|_| T::wrap(cn, &[weights.len(), b, h]))
        .transpose()?;

    let mut edges: Vec<&Tensor> = vec![x, h0];
    edges.extend(c0);
    for w in weights {
        edges.extend([&w.w_ih, &w.w_hh]);
        edges.extend(w.b_ih.iter().chain(w.b_hh.iter()));
    }
    let mail = Rc::new(RefCell::new(Mail::default()));
    let saved = Saved {
        cfg: cfg.clone(),
        x: x.clone(),
        h0: h0.clone(),
        c0: c0.cloned(),
        weights: weights.to_vec(),
        inputs,
        runs,
    };
    let m = mail.clone();
    let token = attach(
        T::wrap(vec![T::zero()], &[1])?,
        fused_name(cfg.mode),
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
    } else if dtype == DType::Float32 && cfg.mode == Mode::Lstm {
        "MkldnnRnnLayerBackward0"
    } else {
        "StackBackward0"
    };
    let hand = |t: Tensor, name: &'static str, pick: fn(&mut Mail) -> &mut Option<Tensor>| {
        let m = mail.clone();
        let t = attach(t, name, &[&token], false, move |g, _| {
            post(pick(&mut m.borrow_mut()), g)?;
            Ok(vec![Some(Tensor::zeros(&[1], dtype))])
        });
        if let Some(node) = t.grad_fn() {
            node.relay.set(true);
        }
        t
    };
    let out_t = hand(out_t, out_name, |m| &mut m.out);
    let hn_t = hand(hn_t, "StackBackward0", |m| &mut m.h);
    let cn_t = cn_t.map(|c| hand(c, "StackBackward0", |m| &mut m.c));
    Ok((out_t, hn_t, cn_t))
}

/// The fused node's name (seen only through `next_functions`).
pub fn fused_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Lstm => "LstmFusedBackward",
        Mode::Gru => "GruFusedBackward",
        Mode::RnnTanh | Mode::RnnRelu => "RnnFusedBackward",
    }
}

/// Slice `k` of a (K, B, H) gradient.
fn slot<T: Elem>(g: &Option<Vec<T>>, k: usize, bh: usize) -> Option<&[T]> {
    g.as_ref().map(|g| &g[k * bh..(k + 1) * bh])
}

/// The gradients of the node's inputs (x, h0, an LSTM's c0, then each cell's weights and
/// biases).
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
            // One direction's gradient is the layer's as it is; two are interleaved by row.
            let dout: Option<Cow<'_, [T]>> = dlayer.as_ref().map(|g| {
                if dirs == 1 {
                    return Cow::Borrowed(&g[..]);
                }
                let mut v = Vec::with_capacity(steps * bh);
                for row in g.chunks(dirs * h) {
                    v.extend_from_slice(&row[d * h..(d + 1) * h]);
                }
                Cow::Owned(v)
            });
            let nd = DirNeeds {
                input: l > 0 || need[0],
                h0: need[1],
                c0: s.c0.is_some() && need[2],
            };
            let mut gr = dir_backward(
                cfg.mode,
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
    let mut result = vec![dx, stack_states(h0s, b, h)?];
    if s.c0.is_some() {
        result.push(stack_states(c0s, b, h)?);
    }
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
    let mut inputs: Vec<Tensor> = vec![s.x.clone(), s.h0.clone()];
    inputs.extend(s.c0.iter().cloned());
    for w in &s.weights {
        inputs.extend([w.w_ih.clone(), w.w_hh.clone()]);
        inputs.extend(w.b_ih.iter().chain(w.b_hh.iter()).cloned());
    }
    let (out, hn, cn) = super::rnn::rnn_unfused(
        &s.cfg,
        &s.x,
        &s.h0,
        s.c0.as_ref(),
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
