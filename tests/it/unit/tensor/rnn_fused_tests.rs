//! Property test of the fused recurrent runs (LSTM, GRU, RNN with tanh or relu): on random
//! shapes (layers, directions, batch-first input, initial states, biases, which outputs the
//! loss reads) their outputs and every gradient are bit-identical to the op-by-op path's.

use lessonrun::tensor::rnn::{CellWeights, Mode, RnnConfig, batch_first_output, rnn, rnn_unfused};
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::{DType, Data, Generator, Result, Tensor};

/// A small deterministic generator (xorshift), so failures replay (exact_chain's tests too).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn values(&mut self, n: usize) -> Vec<f64> {
        (0..n)
            .map(|_| (self.next() >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0)
            .collect()
    }
}

fn tensor(rng: &mut Rng, shape: &[usize], dtype: DType, grad: bool) -> Tensor {
    let n = shape.iter().product();
    let t = Tensor::from_data(Data::F64(rng.values(n)), shape)
        .expect("data")
        .to_dtype(dtype)
        .expect("dtype");
    if grad {
        t.set_requires_grad(true).expect("requires_grad");
    }
    t
}

fn bits(t: &Tensor) -> Vec<u64> {
    match &*t.storage() {
        Storage::F32(a) => a.iter().map(|v| u64::from(v.to_bits())).collect(),
        Storage::F64(a) => a.iter().map(|v| v.to_bits()).collect(),
        _ => panic!("not a float tensor"),
    }
}

struct Case {
    cfg: RnnConfig,
    batch_first: bool,
    x: Tensor,
    h0: Tensor,
    c0: Option<Tensor>,
    weights: Vec<CellWeights>,
    /// Weights of the loss on output, h_n and c_n (absent: the loss does not read it), and
    /// whether it reads only the output's last step.
    w_out: Option<Tensor>,
    w_h: Option<Tensor>,
    w_c: Option<Tensor>,
    last_only: bool,
}

fn random_case(rng: &mut Rng, mode: Mode) -> Case {
    let gates = mode.gates();
    let dtype = if rng.coin() {
        DType::Float32
    } else {
        DType::Float64
    };
    let (layers, dirs) = (1 + rng.below(3), 1 + rng.below(2));
    let (t, b, input) = (1 + rng.below(5), 1 + rng.below(4), 1 + rng.below(6));
    // Hidden sizes past 32 exercise float32 sigmoid's vector/scalar split within a row.
    let hidden = [1, 3, 5, 33, 40][rng.below(5)];
    let bias = rng.below(4) != 0;
    let batch_first = rng.coin();
    let x_shape = if batch_first {
        [b, t, input]
    } else {
        [t, b, input]
    };
    let xg = rng.coin();
    let x = tensor(rng, &x_shape, dtype, xg);
    let state = [layers * dirs, b, hidden];
    let (hg, cg) = (rng.coin(), rng.coin());
    let h0 = if rng.coin() {
        tensor(rng, &state, dtype, hg)
    } else {
        Tensor::zeros(&state, dtype)
    };
    let c0 = if rng.coin() {
        tensor(rng, &state, dtype, cg)
    } else {
        Tensor::zeros(&state, dtype)
    };
    let c0 = (mode == Mode::Lstm).then_some(c0);
    let mut weights = Vec::new();
    for l in 0..layers {
        for _ in 0..dirs {
            let isz = if l == 0 { input } else { dirs * hidden };
            weights.push(CellWeights {
                w_ih: tensor(rng, &[gates * hidden, isz], dtype, true),
                w_hh: tensor(rng, &[gates * hidden, hidden], dtype, true),
                b_ih: bias.then(|| tensor(rng, &[gates * hidden], dtype, true)),
                b_hh: bias.then(|| tensor(rng, &[gates * hidden], dtype, true)),
            });
        }
    }
    let out_shape = if batch_first {
        [b, t, dirs * hidden]
    } else {
        [t, b, dirs * hidden]
    };
    let reads = if mode == Mode::Lstm {
        1 + rng.below(7)
    } else {
        1 + rng.below(3)
    };
    let pick = |rng: &mut Rng, bit: usize, shape: &[usize]| {
        (reads & bit != 0).then(|| tensor(rng, shape, dtype, false))
    };
    let w_out = pick(rng, 1, &out_shape);
    let w_h = pick(rng, 2, &state);
    let w_c = pick(rng, 4, &state);
    let cfg = RnnConfig {
        mode,
        num_layers: layers,
        bidirectional: dirs == 2,
        dropout: 0.0,
        training: true,
    };
    Case {
        cfg,
        batch_first,
        x,
        h0,
        c0,
        weights,
        w_out,
        w_h,
        w_c,
        last_only: rng.coin(),
    }
}

fn leaves(c: &Case) -> Vec<Tensor> {
    let mut v = vec![c.x.clone(), c.h0.clone()];
    v.extend(c.c0.iter().cloned());
    for w in &c.weights {
        v.extend([w.w_ih.clone(), w.w_hh.clone()]);
        v.extend(w.b_ih.iter().chain(w.b_hh.iter()).cloned());
    }
    v
}

/// Runs the case fused or op by op; returns the outputs' and the leaves' gradients' bits.
fn run(c: &Case, fused: bool) -> Result<Vec<Vec<u64>>> {
    for t in leaves(c) {
        t.set_grad(None);
    }
    let xs = if c.batch_first {
        c.x.transpose(0, 1)?
    } else {
        c.x.clone()
    };
    let g = &mut Generator::new(0);
    let (out, h, cn) = if fused {
        rnn(&c.cfg, &xs, &c.h0, c.c0.as_ref(), &c.weights, g)?
    } else {
        rnn_unfused(&c.cfg, &xs, &c.h0, c.c0.as_ref(), &c.weights, g)?
    };
    assert_eq!(cn.is_some(), c.cfg.mode == Mode::Lstm);
    if fused && out.requires_grad() {
        let node = out.grad_fn().expect("output node");
        let Some(lessonrun::tensor::autograd::Target::Node(inner)) = &node.edges[0].target else {
            panic!("no fused node")
        };
        assert_eq!(inner.name, lessonrun::tensor::rnn_fused::fused_name(c.cfg.mode));
    }
    let out = if c.batch_first {
        batch_first_output(&out, c.cfg.mode)?
    } else {
        out
    };
    let mut loss: Option<Tensor> = None;
    let mut term = |t: &Tensor, w: &Option<Tensor>| -> Result<()> {
        if let Some(w) = w {
            let s = t.mul(w)?.sum(None, false)?;
            loss = Some(match loss.take() {
                None => s,
                Some(l) => l.add(&s)?,
            });
        }
        Ok(())
    };
    let read_out = if c.last_only {
        let time = if c.batch_first { 1 } else { 0 };
        let last = out.shape()[time] as i64 - 1;
        let w = c
            .w_out
            .as_ref()
            .map(|w| w.select(time as isize, last))
            .transpose()?;
        (out.select(time as isize, last)?, w)
    } else {
        (out.clone(), c.w_out.clone())
    };
    term(&read_out.0, &read_out.1)?;
    term(&h, &c.w_h)?;
    if let Some(cn) = &cn {
        term(cn, &c.w_c)?;
    }
    let loss = loss.expect("the loss reads at least one output");
    if loss.requires_grad() {
        loss.backward(None, false)?;
    }
    let mut all = vec![
        bits(&out),
        bits(&h),
        cn.as_ref().map(bits).unwrap_or_default(),
    ];
    for t in leaves(c) {
        all.push(t.grad().map(|g| bits(&g)).unwrap_or_default());
    }
    Ok(all)
}

fn bit_identical(mode: Mode, seed: u64) {
    let mut rng = Rng(seed);
    for case in 0..60 {
        let c = random_case(&mut rng, mode);
        let fused = run(&c, true).expect("fused run");
        let plain = run(&c, false).expect("op-by-op run");
        let names: &[&str] = if mode == Mode::Lstm {
            &["output", "h_n", "c_n", "x.grad", "h0.grad", "c0.grad"]
        } else {
            &["output", "h_n", "c_n", "x.grad", "h0.grad"]
        };
        for (i, (a, b)) in fused.iter().zip(&plain).enumerate() {
            let what = names.get(i).map_or_else(
                || format!("weight {} grad", i - names.len()),
                |s| (*s).to_string(),
            );
            assert!(
                a == b,
                "{mode:?} case {case} ({} layers, bidirectional {}, batch_first {}, dtype {}): {what} differs",
                c.cfg.num_layers,
                c.cfg.bidirectional,
                c.batch_first,
                c.x.dtype()
            );
        }
    }
}

#[test]
fn fused_lstm_is_bit_identical_to_op_by_op() {
    bit_identical(Mode::Lstm, 0x9e37_79b9_7f4a_7c15);
}

#[test]
fn fused_gru_is_bit_identical_to_op_by_op() {
    bit_identical(Mode::Gru, 0x2545_f491_4f6c_dd1d);
}

#[test]
fn fused_rnn_tanh_is_bit_identical_to_op_by_op() {
    bit_identical(Mode::RnnTanh, 0x1234_5678_9abc_def1);
}

#[test]
fn fused_rnn_relu_is_bit_identical_to_op_by_op() {
    bit_identical(Mode::RnnRelu, 0x0fed_cba9_8765_4321);
}

/// Under `create_graph` the fused node differentiates the op-by-op path: same gradient, with a history.
#[test]
fn fused_lstm_under_create_graph_matches_op_by_op() {
    let mut rng = Rng(7);
    let dtype = DType::Float64;
    let x = tensor(&mut rng, &[3, 2, 4], dtype, true);
    let h0 = tensor(&mut rng, &[1, 2, 5], dtype, true);
    let c0 = tensor(&mut rng, &[1, 2, 5], dtype, true);
    let weights = vec![CellWeights {
        w_ih: tensor(&mut rng, &[20, 4], dtype, true),
        w_hh: tensor(&mut rng, &[20, 5], dtype, true),
        b_ih: Some(tensor(&mut rng, &[20], dtype, true)),
        b_hh: Some(tensor(&mut rng, &[20], dtype, true)),
    }];
    let cfg = RnnConfig {
        mode: Mode::Lstm,
        num_layers: 1,
        bidirectional: false,
        dropout: 0.0,
        training: true,
    };
    let second = |fused: bool| -> (Vec<u64>, bool) {
        let g = &mut Generator::new(0);
        let (out, _, _) = if fused {
            rnn(&cfg, &x, &h0, Some(&c0), &weights, g)
        } else {
            rnn_unfused(&cfg, &x, &h0, Some(&c0), &weights, g)
        }
        .expect("run");
        let loss = out.mul(&out).expect("mul").sum(None, false).expect("sum");
        let gx = lessonrun::tensor::grad(&[loss], &[None], std::slice::from_ref(&x), true, true).expect("grad");
        let gx = gx[0].clone().expect("x's gradient");
        (bits(&gx), gx.requires_grad())
    };
    let plain = second(false);
    assert_eq!(second(true), plain);
}
