//! Packed sequences: `_pack_padded_sequence`, `_pad_packed_sequence` and the recurrent layers
//! run over a packed batch, in the order of ATen's `PackedLayer` / `ReversedPackedLayer`
//! (RNN.cpp).
//!
//! A packed batch holds the sequences sorted by decreasing length, time step after time step:
//! step `t` has `batch_sizes[t]` rows, one per sequence longer than `t`. ATen projects the whole
//! packed input once (`linear_ih`), then runs the cell per step on the first `batch_sizes[t]`
//! rows of the hidden state; the rows of sequences that ended are set aside and concatenated
//! back, in batch order, into the final state. The reverse direction starts from the shortest
//! batch at the last step and grows the state with the initial rows of the sequences that
//! start there. Built from the engine's differentiable ops, so autograd does the backward.

use super::rnn::{CellWeights, Mode, RnnConfig, State, stack_layers, step};
use super::{Generator, Result, Tensor, TensorError};

/// `lengths` (sorted, decreasing) as per-step batch sizes: step `t` counts the lengths > t.
pub fn batch_sizes(lengths: &[usize]) -> Result<Vec<usize>> {
    if lengths.windows(2).any(|w| w[0] < w[1]) {
        return Err(TensorError::runtime(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. \
             You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to \
             sidestep this requirement if you do not need ONNX exportability.",
        ));
    }
    if lengths.last().is_some_and(|&l| l == 0) {
        return Err(TensorError::runtime(
            "Length of all samples has to be greater than 0, but found an element in 'lengths' \
             that is <= 0",
        ));
    }
    let steps = lengths.first().copied().unwrap_or(0);
    Ok((0..steps).map(|t| lengths.iter().filter(|&&l| l > t).count()).collect())
}

/// `_pack_padded_sequence(input, lengths, batch_first)`: the packed rows of `input` (T, B, *)
/// (B, T, * with `batch_first`), lengths sorted, and the batch sizes. The result's node is
/// PackPaddedSequenceBackward0, which scatters the gradient back into the padded shape.
pub fn pack_padded(input: &Tensor, lengths: &[usize], batch_first: bool) -> Result<(Tensor, Vec<usize>)> {
    let shape = input.shape();
    if shape.len() < 2 {
        return Err(TensorError::runtime(format!(
            "pack_padded_sequence: expected a tensor of at least 2 dimensions, got {}",
            shape.len()
        )));
    }
    let (t_dim, b_dim) = if batch_first { (1, 0) } else { (0, 1) };
    if lengths.len() != shape[b_dim] {
        return Err(TensorError::runtime(format!(
            "Expected `len(lengths)` to be equal to batch_size, but got {} (batch_size={})",
            lengths.len(),
            shape[b_dim]
        )));
    }
    let sizes = batch_sizes(lengths)?;
    if sizes.len() > shape[t_dim] {
        return Err(TensorError::runtime(format!(
            "Expected all lengths to be at most the sequence length {}, but got {}",
            shape[t_dim],
            sizes.len()
        )));
    }
    let data = super::no_grad(|| -> Result<Tensor> {
        let tb = if batch_first { input.transpose(0, 1)? } else { input.clone() };
        let steps = sizes
            .iter()
            .enumerate()
            .map(|(t, &bs)| Ok(tb.select(0, t as i64)?.narrow(0, 0, bs as i64)?.contiguous()))
            .collect::<Result<Vec<_>>>()?;
        Tensor::cat(&steps, 0)
    })?;
    let (full, sizes2) = (shape.clone(), sizes.clone());
    let out = super::autograd::record(
        data.storage().as_ref().clone(),
        "PackPaddedSequenceBackward0",
        &[input],
        false,
        move |g, _| Ok(vec![Some(unpack_grad(g, &sizes2, &full, batch_first)?)]),
    );
    Ok((out, sizes))
}

/// PackPaddedSequenceBackward0: the packed gradient `g` back in the padded shape `full`,
/// zeros where there was padding.
fn unpack_grad(g: &Tensor, sizes: &[usize], full: &[usize], batch_first: bool) -> Result<Tensor> {
    let (b, steps) = if batch_first { (full[0], full[1]) } else { (full[1], full[0]) };
    pad(g, sizes, b, steps, 0.0, batch_first)
}

/// The rows of each step of the packed `data`, padded with `value` to `b` rows, stacked over
/// `steps` time steps (the last ones all padding when `steps` exceeds the batch sizes).
fn pad(data: &Tensor, sizes: &[usize], b: usize, steps: usize, value: f64, batch_first: bool) -> Result<Tensor> {
    let rest = data.shape()[1..].to_vec();
    let mut rows = Vec::with_capacity(steps);
    let mut off = 0;
    for t in 0..steps {
        let bs = sizes.get(t).copied().unwrap_or(0);
        let part = data.narrow(0, off as i64, bs as i64)?;
        off += bs;
        let mut spec = vec![0i64; 2 * rest.len()];
        spec.extend([0, (b - bs) as i64]);
        rows.push(super::nn::constant_pad(&part, &spec, value)?);
    }
    Tensor::stack(&rows, if batch_first { 1 } else { 0 })
}

/// `_pad_packed_sequence(data, batch_sizes, batch_first, padding_value, total_length)`: the
/// padded (T, B, *) tensor and the sequences' lengths, in the packed (sorted) order.
pub fn pad_packed(
    data: &Tensor,
    sizes: &[usize],
    batch_first: bool,
    value: f64,
    total: usize,
) -> Result<(Tensor, Vec<usize>)> {
    let b = sizes.first().copied().unwrap_or(0);
    let lengths = (0..b).map(|i| sizes.iter().filter(|&&bs| bs > i).count()).collect();
    Ok((pad(data, sizes, b, total.max(sizes.len()), value, batch_first)?, lengths))
}

fn slice(s: &State, start: usize, len: usize) -> Result<State> {
    Ok(State {
        h: s.h.narrow(0, start as i64, len as i64)?,
        c: s.c.as_ref().map(|c| c.narrow(0, start as i64, len as i64)).transpose()?,
    })
}

fn concat(parts: &[State]) -> Result<State> {
    let hs: Vec<Tensor> = parts.iter().map(|s| s.h.clone()).collect();
    let cs: Option<Vec<Tensor>> = parts.iter().map(|s| s.c.clone()).collect();
    Ok(State {
        h: Tensor::cat(&hs, 0)?,
        c: cs.map(|c| Tensor::cat(&c, 0)).transpose()?,
    })
}

/// One direction of one layer over the packed `x`: the packed output and the final state.
fn layer(mode: Mode, x: &Tensor, sizes: &[usize], s0: &State, w: &CellWeights, reverse: bool) -> Result<(Tensor, State)> {
    let gi = w.linear_ih(x)?;
    let mut outs = Vec::with_capacity(sizes.len());
    if !reverse {
        let (mut off, mut last) = (0, sizes[0]);
        let mut hidden = s0.clone();
        let mut ended = Vec::new();
        for &bs in sizes {
            let step_in = gi.narrow(0, off as i64, bs as i64)?;
            off += bs;
            if last > bs {
                ended.push(slice(&hidden, bs, last - bs)?);
                hidden = slice(&hidden, 0, bs)?;
            }
            last = bs;
            hidden = step(mode, &step_in, &hidden, w)?;
            outs.push(hidden.h.clone());
        }
        ended.push(hidden);
        ended.reverse();
        return Ok((Tensor::cat(&outs, 0)?, concat(&ended)?));
    }
    let mut off = x.shape()[0];
    let mut last = sizes[sizes.len() - 1];
    let mut hidden = slice(s0, 0, last)?;
    for &bs in sizes.iter().rev() {
        if bs > last {
            hidden = concat(&[hidden, slice(s0, last, bs - last)?])?;
        }
        let step_in = gi.narrow(0, (off - bs) as i64, bs as i64)?;
        off -= bs;
        last = bs;
        hidden = step(mode, &step_in, &hidden, w)?;
        outs.push(hidden.h.clone());
    }
    outs.reverse();
    Ok((Tensor::cat(&outs, 0)?, hidden))
}

/// A full `nn.RNN`/`LSTM`/`GRU` run over packed `data` (N, input) with per-step `sizes`, from
/// the states `h0` (and `c0`), each (layers·directions, sizes[0], H), weights as
/// [`super::rnn::rnn`] takes them. Returns the packed output (N, directions·H), `h_n` and, for
/// an LSTM, `c_n`; ATen takes its native path here for every dtype (no oneDNN LSTM).
pub fn rnn_packed(
    cfg: &RnnConfig,
    data: &Tensor,
    sizes: &[usize],
    h0: &Tensor,
    c0: Option<&Tensor>,
    weights: &[CellWeights],
    g: &mut Generator,
) -> Result<(Tensor, Tensor, Option<Tensor>)> {
    if sizes.is_empty() || sizes.iter().sum::<usize>() != data.shape()[0] {
        return Err(TensorError::runtime(
            "a packed sequence's batch sizes must add up to its number of rows",
        ));
    }
    stack_layers(cfg, data, h0, c0, weights, g, |x, s0, w, reverse| {
        layer(cfg.mode, x, sizes, s0, w, reverse)
    })
}
