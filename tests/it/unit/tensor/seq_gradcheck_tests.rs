//! Finite-difference gradient checks (float64) of the sequence layers: RNN (tanh, relu), LSTM
//! and GRU runs (several layers, both directions, initial states) and cells, scaled dot-product
//! attention (masks, causal) and multi-head attention (self and cross, padding masks, weights).

use lessonrun::tensor::attention::{multi_head_attention, scaled_dot_product_attention, MhaArgs};
use lessonrun::tensor::rnn::{cell, rnn, CellWeights, Mode, RnnConfig, State};
use crate::unit::tensor::{gradcheck, leaf64};
use lessonrun::tensor::{Generator, Result, Tensor};

fn data(n: usize, seed: f64) -> Vec<f64> {
    (0..n).map(|i| ((i as f64 + 1.0) * 12.9898 + seed * 78.233).sin() * 0.8).collect()
}

fn leaf(shape: &[usize], seed: f64) -> Tensor {
    leaf64(&data(shape.iter().product(), seed), shape)
}

type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;

/// Inputs: x, h0, [c0], then per layer and direction w_ih, w_hh, b_ih, b_hh.
fn rnn_case(mode: Mode, input: usize, hidden: usize, layers: usize, bidirectional: bool, seed: f64) -> (Vec<Tensor>, F) {
    let dirs = if bidirectional { 2 } else { 1 };
    let g = mode.gates() * hidden;
    let (t, b) = (3, 2);
    let mut ins = vec![leaf(&[t, b, input], seed), leaf(&[layers * dirs, b, hidden], seed + 1.0)];
    let lstm = mode == Mode::Lstm;
    if lstm {
        ins.push(leaf(&[layers * dirs, b, hidden], seed + 2.0));
    }
    for l in 0..layers {
        for d in 0..dirs {
            let isz = if l == 0 { input } else { hidden * dirs };
            let s = seed + 10.0 * (l * dirs + d + 1) as f64;
            ins.extend([leaf(&[g, isz], s), leaf(&[g, hidden], s + 1.0), leaf(&[g], s + 2.0), leaf(&[g], s + 3.0)]);
        }
    }
    let f: F = Box::new(move |x| {
        let off = if lstm { 3 } else { 2 };
        let weights: Vec<CellWeights> = x[off..]
            .chunks(4)
            .map(|w| CellWeights { w_ih: w[0].clone(), w_hh: w[1].clone(), b_ih: Some(w[2].clone()), b_hh: Some(w[3].clone()) })
            .collect();
        let cfg = RnnConfig { mode, num_layers: layers, bidirectional, dropout: 0.0, training: false };
        let (out, h, c) = rnn(&cfg, &x[0], &x[1], lstm.then(|| &x[2]), &weights, &mut Generator::new(0))?;
        let mut all = vec![out.flatten(0, -1)?, h.flatten(0, -1)?];
        all.extend(c.map(|c| c.flatten(0, -1)).transpose()?);
        Tensor::cat(&all, 0)
    });
    (ins, f)
}

#[test]
fn recurrent_gradients_match_finite_differences() {
    let cases = [
        ("rnn tanh", rnn_case(Mode::RnnTanh, 3, 4, 1, false, 1.0)),
        ("rnn relu two layers", rnn_case(Mode::RnnRelu, 2, 3, 2, false, 2.0)),
        ("lstm", rnn_case(Mode::Lstm, 3, 4, 1, false, 3.0)),
        ("lstm two layers bidirectional", rnn_case(Mode::Lstm, 2, 3, 2, true, 4.0)),
        ("gru", rnn_case(Mode::Gru, 3, 4, 1, false, 5.0)),
        ("gru bidirectional", rnn_case(Mode::Gru, 2, 3, 1, true, 6.0)),
    ];
    for (name, (inputs, f)) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

#[test]
fn cell_gradients_match_finite_differences() {
    for (k, mode) in [Mode::RnnTanh, Mode::Lstm, Mode::Gru].into_iter().enumerate() {
        let s = 40.0 + 10.0 * k as f64;
        let g = mode.gates() * 3;
        let inputs = vec![leaf(&[2, 4], s), leaf(&[2, 3], s + 1.0), leaf(&[2, 3], s + 2.0), leaf(&[g, 4], s + 3.0), leaf(&[g, 3], s + 4.0), leaf(&[g], s + 5.0)];
        let f = move |x: &[Tensor]| -> Result<Tensor> {
            let w = CellWeights { w_ih: x[3].clone(), w_hh: x[4].clone(), b_ih: Some(x[5].clone()), b_hh: None };
            let st = State { h: x[1].clone(), c: (mode == Mode::Lstm).then(|| x[2].clone()) };
            let out = cell(mode, &x[0], &st, &w)?;
            match out.c {
                Some(c) => Tensor::cat(&[out.h, c], 1),
                None => Ok(out.h.add(&x[2].mul_scalar(lessonrun::tensor::Scalar::Int(0))?)?),
            }
        };
        gradcheck(&format!("{mode:?} cell"), &inputs, &f);
    }
}

#[test]
fn attention_gradients_match_finite_differences() {
    let bool_mask = Tensor::from_data(lessonrun::tensor::Data::Bool(vec![true, false, true, true, true, true, false, true, true, true, true, false]), &[3, 4]).expect("mask");
    let float_mask = leaf(&[3, 4], 70.0).detach();
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("sdpa", vec![leaf(&[2, 3, 5], 60.0), leaf(&[2, 4, 5], 61.0), leaf(&[2, 4, 2], 62.0)], {
            Box::new(|x| scaled_dot_product_attention(&x[0], &x[1], &x[2], None, 0.0, false, None, &mut Generator::new(0)))
        }),
        ("sdpa bool mask and scale", vec![leaf(&[1, 2, 3, 5], 63.0), leaf(&[1, 2, 4, 5], 64.0), leaf(&[1, 2, 4, 3], 65.0)], {
            Box::new(move |x| scaled_dot_product_attention(&x[0], &x[1], &x[2], Some(&bool_mask), 0.0, false, Some(0.3), &mut Generator::new(0)))
        }),
        ("sdpa float mask", vec![leaf(&[3, 5], 66.0), leaf(&[4, 5], 67.0), leaf(&[4, 2], 68.0)], {
            Box::new(move |x| scaled_dot_product_attention(&x[0], &x[1], &x[2], Some(&float_mask), 0.0, false, None, &mut Generator::new(0)))
        }),
        ("sdpa causal", vec![leaf(&[2, 4, 3], 69.0), leaf(&[2, 4, 3], 71.0), leaf(&[2, 4, 3], 72.0)], {
            Box::new(|x| scaled_dot_product_attention(&x[0], &x[1], &x[2], None, 0.0, true, None, &mut Generator::new(0)))
        }),
    ];
    for (name, inputs, f) in &cases {
        gradcheck(name, inputs, f.as_ref());
    }
}

#[test]
fn multi_head_attention_gradients_match_finite_differences() {
    let kpm = Tensor::from_data(lessonrun::tensor::Data::Bool(vec![false, false, true, false, false, false]), &[2, 3]).expect("mask");
    for (need_weights, self_attention) in [(true, true), (false, true), (true, false), (false, false)] {
        let e = 4;
        let seed = 80.0 + 10.0 * (need_weights as u8 * 2 + self_attention as u8) as f64;
        let q = leaf(&[2, 2, e], seed);
        let mut inputs = vec![q.clone()];
        if !self_attention {
            inputs.push(leaf(&[3, 2, e], seed + 1.0));
        }
        inputs.extend([leaf(&[3 * e, e], seed + 2.0), leaf(&[3 * e], seed + 3.0), leaf(&[e, e], seed + 4.0), leaf(&[e], seed + 5.0)]);
        let kpm = kpm.clone();
        let f = move |x: &[Tensor]| -> Result<Tensor> {
            let (q, kv, w) = if self_attention { (&x[0], &x[0], &x[1..]) } else { (&x[0], &x[1], &x[2..]) };
            let a = MhaArgs {
                num_heads: 2,
                in_proj_weight: &w[0],
                in_proj_bias: Some(&w[1]),
                out_proj_weight: &w[2],
                out_proj_bias: Some(&w[3]),
                key_padding_mask: (!self_attention).then_some(&kpm),
                attn_mask: None,
                need_weights,
                average_attn_weights: true,
                is_causal: false,
                dropout_p: 0.0,
                self_attention,
            };
            let (o, wts) = multi_head_attention(q, kv, kv, &a, &mut Generator::new(0))?;
            match wts {
                Some(wts) => Tensor::cat(&[o.flatten(0, -1)?, wts.flatten(0, -1)?], 0),
                None => Ok(o),
            }
        };
        gradcheck(&format!("mha need_weights={need_weights} self={self_attention}"), &inputs, &f);
    }
}
