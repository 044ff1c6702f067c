//! Recurrent layers: the RNN (tanh, relu), LSTM and GRU cells and their multi-layer,
//! bidirectional runs, computed in the order of ATen's native CPU path (RNN.cpp).
//!
//! ATen computes a whole layer's input projection first (`linear_ih` over the sequence), then
//! per step `linear_hh(h).add_(input_gates)`, splits the gates with `unsafe_chunk` and applies
//! the nonlinearities in place on the chunks. A chunk is a strided view whose rows are `hidden`
//! long, so the element-wise loop restarts per row: for float32 sigmoid the vectorised part of
//! each row is its first `hidden - hidden % 32` elements and the rest takes the scalar path
//! ([`row_sigmoid`]). Everything else is built from the engine's differentiable ops, so the
//! backward pass is autograd over those ops.
//!
//! PyTorch sends a float32 `nn.LSTM` (not `LSTMCell`) to oneDNN, whose kernels round
//! differently; we keep the native order there (docs/divergences.md, "Recurrent layers").

use ndarray::ArrayD;

use super::autograd::record;
use super::kernels::{Float, VEC_LOOP_F32};
use super::storage::Storage;
use super::{Generator, Result, Scalar, Tensor, TensorError, dropout_noise};

/// Which recurrent cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    RnnTanh,
    RnnRelu,
    Lstm,
    Gru,
}

impl Mode {
    /// Gate blocks stacked in the weights' first dimension.
    pub fn gates(self) -> usize {
        match self {
            Mode::RnnTanh | Mode::RnnRelu => 1,
            Mode::Lstm => 4,
            Mode::Gru => 3,
        }
    }
}

/// One cell's weights: `weight_ih`, `weight_hh` and the optional biases.
#[derive(Clone)]
pub struct CellWeights {
    pub w_ih: Tensor,
    pub w_hh: Tensor,
    pub b_ih: Option<Tensor>,
    pub b_hh: Option<Tensor>,
}

impl CellWeights {
    pub(crate) fn linear_ih(&self, x: &Tensor) -> Result<Tensor> {
        super::nn::linear(x, &self.w_ih, self.b_ih.as_ref())
    }

    fn linear_hh(&self, h: &Tensor) -> Result<Tensor> {
        super::nn::linear(h, &self.w_hh, self.b_hh.as_ref())
    }
}

/// A hidden state: `h`, plus `c` for an LSTM.
#[derive(Clone)]
pub struct State {
    pub h: Tensor,
    pub c: Option<Tensor>,
}

#[inline]
pub(crate) fn sigmoid_scalar<T: Float>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}

#[inline]
pub fn sigmoid_vec<T: Float>(x: T) -> T {
    T::one() / (T::one() + (-x).vexp())
}

/// `sigmoid_` on a chunk of gates: ATen's loop restarts per row of the last dimension, so each
/// row's tail past the last whole vector step takes the scalar exp (float32 only; float64's
/// exp is the same either way in this engine). SigmoidBackward0 as for `Tensor::sigmoid`.
pub fn row_sigmoid(x: &Tensor) -> Result<Tensor> {
    let row = x.shape().last().copied().unwrap_or(1).max(1);
    let vec_end = row - row % VEC_LOOP_F32;
    let out = match &*x.storage() {
        Storage::F32(a) => {
            let v: Vec<f32> = a
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    if i % row < vec_end {
                        sigmoid_vec(v)
                    } else {
                        sigmoid_scalar(v)
                    }
                })
                .collect();
            Storage::F32(
                ArrayD::from_shape_vec(a.raw_dim(), v)
                    .map_err(|e| TensorError::runtime(e.to_string()))?,
            )
        }
        Storage::F64(a) => Storage::F64(a.mapv(sigmoid_scalar)),
        _ => return x.sigmoid(),
    };
    let result = Tensor::from_storage(out.clone());
    Ok(super::ops::record_out(&result.clone(), out, "SigmoidBackward0", &[x], true, move |g, _| {
        Ok(vec![Some(super::ops::sigmoid_backward(g, &result)?)])
    }))
}

fn chunk(t: &Tensor, n: usize) -> Result<Vec<Tensor>> {
    let h = t.shape()[1] / n;
    (0..n)
        .map(|k| t.narrow(1, (k * h) as i64, h as i64))
        .collect()
}

/// One step from the input's gates `gi` (already `linear_ih(x)`) and the previous state.
pub(crate) fn step(mode: Mode, gi: &Tensor, s: &State, w: &CellWeights) -> Result<State> {
    let gh = w.linear_hh(&s.h)?;
    match mode {
        Mode::RnnTanh => Ok(State {
            h: gh.add(gi)?.tanh()?,
            c: None,
        }),
        Mode::RnnRelu => Ok(State {
            h: gh.add(gi)?.relu()?,
            c: None,
        }),
        Mode::Lstm => {
            let gates = gh.add(gi)?;
            let g = chunk(&gates, 4)?;
            let (i, f, c, o) = (
                row_sigmoid(&g[0])?,
                row_sigmoid(&g[1])?,
                g[2].tanh()?,
                row_sigmoid(&g[3])?,
            );
            let cx =
                s.c.as_ref()
                    .ok_or_else(|| TensorError::runtime("an LSTM state needs a cell state"))?;
            let cy = f.mul(cx)?.add(&i.mul(&c)?)?;
            let hy = o.mul(&cy.tanh()?)?;
            Ok(State { h: hy, c: Some(cy) })
        }
        Mode::Gru => {
            let ig = chunk(gi, 3)?;
            let hg = chunk(&gh, 3)?;
            let r = row_sigmoid(&hg[0].add(&ig[0])?)?;
            let z = row_sigmoid(&hg[1].add(&ig[1])?)?;
            let n = ig[2].add(&hg[2].mul(&r)?)?.tanh()?;
            Ok(State {
                h: s.h.sub(&n)?.mul(&z)?.add(&n)?,
                c: None,
            })
        }
    }
}

/// `torch.rnn_tanh_cell` / `lstm_cell` / `gru_cell` on a batch `x` (B, input).
pub fn cell(mode: Mode, x: &Tensor, s: &State, w: &CellWeights) -> Result<State> {
    step(mode, &w.linear_ih(x)?, s, w)
}

/// One direction of one layer over `x` (T, B, input): `(output (T, B, H), final state)`.
fn layer(
    mode: Mode,
    x: &Tensor,
    s0: &State,
    w: &CellWeights,
    reverse: bool,
) -> Result<(Tensor, State)> {
    let gi = w.linear_ih(x)?.unbind(0)?;
    let mut s = s0.clone();
    let mut outs = Vec::with_capacity(gi.len());
    let order: Vec<usize> = if reverse {
        (0..gi.len()).rev().collect()
    } else {
        (0..gi.len()).collect()
    };
    for t in order {
        s = step(mode, &gi[t], &s, w)?;
        outs.push(s.h.clone());
    }
    if reverse {
        outs.reverse();
    }
    if outs.is_empty() {
        return Err(TensorError::runtime(
            "Expected sequence length to be larger than 0 in RNN",
        ));
    }
    Ok((Tensor::stack(&outs, 0)?, s))
}

/// The configuration of a multi-layer run.
#[derive(Clone)]
pub struct RnnConfig {
    pub mode: Mode,
    pub num_layers: usize,
    pub bidirectional: bool,
    /// Dropout between layers (training mode only), drawn from the generator.
    pub dropout: f64,
    pub training: bool,
}

/// A full `nn.RNN`/`LSTM`/`GRU` run on `x` (T, B, input) from the states `h0` (and `c0`),
/// each (layers·directions, B, H). `weights` holds one cell per layer and direction, in
/// PyTorch's order (layer 0 forward, layer 0 reverse, layer 1 ...). Returns the output
/// (T, B, directions·H), `h_n` and, for an LSTM, `c_n`.
///
/// The run is fused where it can be (rnn_fused.rs), with the same values and gradients.
pub fn rnn(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
    g: &mut Generator,
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    if let Some(r) = super::rnn_fused::try_rnn(cfg, x, h0, c0, weights)? {
        return Ok(r);
    }
    rnn_unfused(cfg, x, h0, c0, weights, g)
}

/// [`rnn`] op by op: every step recorded by autograd.
pub fn rnn_unfused(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
    g: &mut Generator,
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let (mut input, h, c) = stack_layers(cfg, x, h0, c0, weights, g, |x, s0, w, reverse| {
        layer(cfg.mode, x, s0, w, reverse)
    })?;
    if cfg.mode == Mode::Lstm && !cfg.bidirectional && input.dtype() == super::DType::Float32 {
        // PyTorch's oneDNN path hands back the last layer's output from its own node.
        let same = input.clone();
        input = record(
            input.storage().as_ref().clone(),
            "MkldnnRnnLayerBackward0",
            &[&same],
            false,
            |g, _| Ok(vec![Some(g.clone())]),
        );
    }
    Ok((input, h, c))
}

/// ATen's `apply_layer_stack` with its bidirectional layers: each layer's directions run by
/// `layer(input, initial state, weights, reverse)` from their rows of `h0`/`c0`, their outputs
/// joined along the last dim, dropout between layers (training only, from `g`). Returns the
/// last layer's output and the final states stacked as `h_n` (and `c_n`). The padded run
/// ([`rnn_unfused`]) and the packed one (rnn_packed.rs) differ only in `layer`.
pub(crate) fn stack_layers(
    cfg: &RnnConfig,
    x: &Tensor,
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
    g: &mut Generator,
    layer: impl Fn(&Tensor, &State, &CellWeights, bool) -> Result<(Tensor, State)>,
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    let dirs = if cfg.bidirectional { 2 } else { 1 };
    if weights.len() != cfg.num_layers * dirs {
        return Err(TensorError::runtime("wrong number of RNN weights"));
    }
    let hs = h0.unbind(0)?;
    let cs = c0.map(|c| c.unbind(0)).transpose()?;
    let mut input = x.clone();
    let (mut hn, mut cn) = (Vec::new(), Vec::new());
    for l in 0..cfg.num_layers {
        let mut outs = Vec::with_capacity(dirs);
        for d in 0..dirs {
            let k = l * dirs + d;
            let s0 = State {
                h: hs[k].clone(),
                c: cs.as_ref().map(|c| c[k].clone()),
            };
            let (out, s) = layer(&input, &s0, &weights[k], d == 1)?;
            outs.push(out);
            hn.push(s.h);
            cn.extend(s.c);
        }
        input = if dirs == 2 {
            Tensor::cat(&outs, -1)?
        } else {
            outs.swap_remove(0)
        };
        if cfg.dropout > 0.0 && cfg.training && l + 1 < cfg.num_layers {
            input = if cfg.dropout >= 1.0 {
                input.mul_scalar(Scalar::Int(0))?
            } else {
                input.mul(&dropout_noise(
                    g,
                    &input.shape(),
                    input.dtype(),
                    cfg.dropout,
                )?)?
            };
        }
    }
    let h = Tensor::stack(&hn, 0)?;
    let c = if cn.is_empty() {
        None
    } else {
        Some(Tensor::stack(&cn, 0)?)
    };
    Ok((input, h, c))
}

/// The (B, T, ·) output of a batch-first run. ATen transposes its (T, B, ·) result in place
/// (TransposeBackward1), except on the oneDNN LSTM path (an ordinary transpose).
pub fn batch_first_output(out: &Tensor, mode: Mode) -> Result<Tensor> {
    if mode == Mode::Lstm && out.dtype() == super::DType::Float32 {
        return out.transpose(0, 1);
    }
    let t = super::no_grad(|| out.transpose(0, 1))?;
    Ok(record(
        t.storage().as_ref().clone(),
        "TransposeBackward1",
        &[out],
        false,
        |g, _| Ok(vec![Some(g.transpose(0, 1)?)]),
    ))
}
