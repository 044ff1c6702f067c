//! The recurrent layers as Python objects: nn.RNN/LSTM/GRU and nn.RNNCell/LSTMCell/GRUCell,
//! with PyTorch's parameter names, initialisation, argument checks and reprs.

use std::cell::RefCell;
use std::rc::Rc;

use super::convert::{as_tensor, bool_arg, exc, f64_arg, tensor_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use super::tensor::NoGrad;
use super::{Shared, class};
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use super::rnn_packed::{PackedSeq, packed_arg};
use crate::tensor::rnn::{self, CellWeights, Mode, RnnConfig, State};
use crate::tensor::rnn_packed;
use crate::tensor::{Generator, Tensor};

type R<T> = Result<T, Exception>;

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::RnnTanh | Mode::RnnRelu => "RNN",
        Mode::Lstm => "LSTM",
        Mode::Gru => "GRU",
    }
}

/// Parameters by name, in registration order; assignments replace them in place.
struct Params(RefCell<Vec<(String, Tensor)>>);

impl Params {
    /// Creates the parameters of `shapes` and runs `reset_parameters`: each drawn in turn from
    /// uniform(-1/√hidden, 1/√hidden).
    fn new(shapes: Vec<(String, Vec<usize>)>, hidden: usize, g: &mut Generator) -> R<Params> {
        let _guard = NoGrad::new();
        let stdv = if hidden > 0 {
            1.0 / (hidden as f64).sqrt()
        } else {
            0.0
        };
        let mut v = Vec::with_capacity(shapes.len());
        for (name, shape) in shapes {
            let t = Tensor::zeros(&shape, super::default_dtype());
            crate::tensor::uniform_(&t, g, -stdv, stdv).map_err(exc)?;
            v.push((name, Tensor::parameter(&t)));
        }
        Ok(Params(RefCell::new(v)))
    }

    fn get(&self, name: &str) -> Option<Tensor> {
        self.0
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.clone())
    }

    fn cell(&self, suffix: &str, bias: bool) -> R<CellWeights> {
        let need = |n: &str| {
            self.get(&format!("{n}{suffix}")).ok_or_else(|| {
                Exception::new("AttributeError", format!("no parameter {n}{suffix}"))
            })
        };
        Ok(CellWeights {
            w_ih: need("weight_ih")?,
            w_hh: need("weight_hh")?,
            b_ih: if bias { Some(need("bias_ih")?) } else { None },
            b_hh: if bias { Some(need("bias_hh")?) } else { None },
        })
    }

    fn set(&self, name: &str, value: &Value) -> R<bool> {
        let mut ps = self.0.borrow_mut();
        let Some(slot) = ps.iter_mut().find(|(n, _)| n == name) else {
            return Ok(false);
        };
        match as_tensor(value) {
            Some(t) => slot.1 = t.clone(),
            None => {
                return Err(Exception::type_error(format!(
                    "cannot assign '{}' as parameter '{name}' (torch.nn.Parameter or None expected)",
                    value.type_name()
                )));
            }
        }
        Ok(true)
    }
}

fn weight_shapes(
    mode: Mode,
    input: usize,
    hidden: usize,
    bias: bool,
    suffix: &str,
    out: &mut Vec<(String, Vec<usize>)>,
) {
    let g = mode.gates() * hidden;
    out.push((format!("weight_ih{suffix}"), vec![g, input]));
    out.push((format!("weight_hh{suffix}"), vec![g, hidden]));
    if bias {
        out.push((format!("bias_ih{suffix}"), vec![g]));
        out.push((format!("bias_hh{suffix}"), vec![g]));
    }
}

/// `nn.RNN` / `nn.LSTM` / `nn.GRU`.
pub struct RnnLayer {
    mode: Mode,
    input_size: usize,
    hidden_size: usize,
    num_layers: usize,
    bias: bool,
    batch_first: bool,
    dropout: f64,
    bidirectional: bool,
    params: Params,
    rng: Rc<RefCell<Generator>>,
}

/// `nn.RNNCell` / `nn.LSTMCell` / `nn.GRUCell`.
pub struct CellLayer {
    mode: Mode,
    input_size: usize,
    hidden_size: usize,
    bias: bool,
    params: Params,
}

fn shape_list(s: &[usize]) -> String {
    format!(
        "[{}]",
        s.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn shape_tuple(s: &[usize]) -> String {
    match s {
        [d] => format!("({d},)"),
        s => format!(
            "({})",
            s.iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// RNNBase.check_hidden_size.
fn check_hidden(t: &Tensor, want: &[usize], what: &str) -> R<()> {
    if t.shape() != want {
        return Err(Exception::runtime_error(format!(
            "Expected {what} size {}, got {}",
            shape_tuple(want),
            shape_list(&t.shape())
        )));
    }
    Ok(())
}

impl RnnLayer {
    fn dirs(&self) -> usize {
        if self.bidirectional { 2 } else { 1 }
    }

    /// `hx`: None, `h_0`, or for an LSTM the pair `(h_0, c_0)`.
    fn split_hx(&self, hx: Option<Value>) -> R<(Option<Tensor>, Option<Tensor>)> {
        let hx = hx.filter(|v| !v.is_none());
        Ok(match (&hx, self.mode) {
            (None, _) => (None, None),
            (Some(Value::Tuple(t)), Mode::Lstm) if t.len() == 2 => (
                Some(tensor_arg(Some(&t[0]), "hx")?),
                Some(tensor_arg(Some(&t[1]), "hx")?),
            ),
            (Some(v), Mode::Lstm) => {
                return Err(Exception::type_error(format!(
                    "LSTM: hx must be a tuple of (h_0, c_0), not {}",
                    v.type_name()
                )));
            }
            (Some(v), _) => (Some(tensor_arg(Some(v), "hx")?), None),
        })
    }

    /// The cells' weights, layer by layer, forward before reverse.
    fn cells(&self) -> R<Vec<CellWeights>> {
        let mut weights = Vec::new();
        for l in 0..self.num_layers {
            for dir in 0..self.dirs() {
                let suffix = format!("_l{l}{}", if dir == 1 { "_reverse" } else { "" });
                weights.push(self.params.cell(&suffix, self.bias)?);
            }
        }
        Ok(weights)
    }

    fn config(&self, training: bool) -> RnnConfig {
        RnnConfig {
            mode: self.mode,
            num_layers: self.num_layers,
            bidirectional: self.bidirectional,
            dropout: self.dropout,
            training,
        }
    }

    /// The layer over a `PackedSequence` (RNNBase.forward's packed branch): the initial state
    /// is taken in the packed (sorted) batch order and the final one given back in the
    /// caller's; the output is packed like the input.
    fn run_packed(&self, p: &PackedSeq, hx: Option<Value>, training: bool) -> R<Value> {
        let shape = p.data.shape();
        if shape.len() != 2 {
            return Err(Exception::runtime_error(format!(
                "input must have 2 dimensions, got {}",
                shape.len()
            )));
        }
        if shape[1] != self.input_size {
            return Err(Exception::runtime_error(format!(
                "input.size(-1) must be equal to input_size. Expected {}, got {}",
                self.input_size, shape[1]
            )));
        }
        let permute = |t: Option<Tensor>, order: &Option<Vec<i64>>| -> R<Option<Tensor>> {
            match (t, order) {
                (Some(t), Some(o)) => Ok(Some(t.index_select(1, o).map_err(exc)?)),
                (t, _) => Ok(t),
            }
        };
        let (h0, c0) = self.split_hx(hx)?;
        let (h0, c0) = (permute(h0, &p.sorted)?, permute(c0, &p.sorted)?);
        let want = [self.num_layers * self.dirs(), p.sizes[0], self.hidden_size];
        let zeros = || Tensor::zeros(&want, p.data.dtype());
        let lstm = self.mode == Mode::Lstm;
        let h0 = match h0 {
            Some(h) => {
                check_hidden(&h, &want, if lstm { "hidden[0]" } else { "hidden" })?;
                h
            }
            None => zeros(),
        };
        let c0 = match (lstm, c0) {
            (true, Some(c)) => {
                check_hidden(&c, &want, "hidden[1]")?;
                Some(c)
            }
            (true, None) => Some(zeros()),
            _ => None,
        };
        let (out, hn, cn) = rnn_packed::rnn_packed(
            &self.config(training),
            &p.data,
            &p.sizes,
            &h0,
            c0.as_ref(),
            &self.cells()?,
            &mut self.rng.borrow_mut(),
        )
        .map_err(exc)?;
        let (hn, cn) = (permute(Some(hn), &p.unsorted)?, permute(cn, &p.unsorted)?);
        let output = Value::native(PackedSeq {
            data: out,
            sizes: p.sizes.clone(),
            sorted: p.sorted.clone(),
            unsorted: p.unsorted.clone(),
        });
        let hn = hn.map(tv).unwrap_or(Value::None);
        let state = match cn {
            Some(c) => Value::tuple(vec![hn, tv(c)]),
            None => hn,
        };
        Ok(Value::tuple(vec![output, state]))
    }

    fn run(&self, args: &Args, training: bool) -> R<Value> {
        let [x, hx] = args.bind(&["input", "hx="])?;
        if let Some(p) = x.as_ref().and_then(packed_arg) {
            return self.run_packed(p, hx, training);
        }
        let x = tensor_arg(x.as_ref(), "input")?;
        let name = mode_name(self.mode);
        let d = x.dim();
        if d != 2 && d != 3 {
            return Err(Exception::value_error(format!(
                "{name}: Expected input to be 2D or 3D, got {d}D instead"
            )));
        }
        let batched = d == 3;
        let batch_dim = if self.batch_first { 0 } else { 1 };
        let (h0, c0) = self.split_hx(hx)?;
        let hdim = if batched { 3 } else { 2 };
        for h in h0.iter().chain(c0.iter()) {
            if h.dim() != hdim {
                let msg = if batched {
                    format!(
                        "For batched 3-D input, hx should also be 3-D but got {}-D tensor",
                        h.dim()
                    )
                } else {
                    format!(
                        "For unbatched 2-D input, hx should also be 2-D but got {}-D tensor",
                        h.dim()
                    )
                };
                return Err(Exception::runtime_error(msg));
            }
        }
        let x = if batched {
            x
        } else {
            x.unsqueeze(batch_dim).map_err(exc)?
        };
        let unsq = |t: Option<Tensor>| -> R<Option<Tensor>> {
            t.map(|t| {
                if batched {
                    Ok(t)
                } else {
                    t.unsqueeze(1).map_err(exc)
                }
            })
            .transpose()
        };
        let (h0, c0) = (unsq(h0)?, unsq(c0)?);
        let xs = if self.batch_first {
            x.transpose(0, 1).map_err(exc)?
        } else {
            x.clone()
        };
        let shape = xs.shape();
        let (b, isz) = (shape[1], shape[2]);
        if isz != self.input_size {
            return Err(Exception::runtime_error(format!(
                "input.size(-1) must be equal to input_size. Expected {}, got {isz}",
                self.input_size
            )));
        }
        let want = [self.num_layers * self.dirs(), b, self.hidden_size];
        let zeros = || Tensor::zeros(&want, x.dtype());
        let h0 = match h0 {
            Some(h) => {
                check_hidden(
                    &h,
                    &want,
                    if self.mode == Mode::Lstm {
                        "hidden[0]"
                    } else {
                        "hidden"
                    },
                )?;
                h
            }
            None => zeros(),
        };
        let c0 = match (self.mode, c0) {
            (Mode::Lstm, Some(c)) => {
                check_hidden(&c, &want, "hidden[1]")?;
                Some(c)
            }
            (Mode::Lstm, None) => Some(zeros()),
            _ => None,
        };
        let (weights, cfg) = (self.cells()?, self.config(training));
        let (out, hn, cn) = rnn::rnn(
            &cfg,
            &xs,
            &h0,
            c0.as_ref(),
            &weights,
            &mut self.rng.borrow_mut(),
        )
        .map_err(exc)?;
        let mut out = if self.batch_first {
            rnn::batch_first_output(&out, self.mode).map_err(exc)?
        } else {
            out
        };
        let (mut hn, mut cn) = (hn, cn);
        if !batched {
            out = out.squeeze(Some(batch_dim)).map_err(exc)?;
            hn = hn.squeeze(Some(1)).map_err(exc)?;
            cn = cn.map(|c| c.squeeze(Some(1))).transpose().map_err(exc)?;
        }
        let state = match cn {
            Some(c) => Value::tuple(vec![tv(hn), tv(c)]),
            None => tv(hn),
        };
        Ok(Value::tuple(vec![tv(out), state]))
    }
}

impl ExtLayer for RnnLayer {
    fn name(&self) -> &str {
        mode_name(self.mode)
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        self.params.0.borrow().clone()
    }

    /// RNNBase.extra_repr: the sizes, then each argument that differs from its default.
    fn repr(&self) -> String {
        let mut s = format!("{}({}, {}", self.name(), self.input_size, self.hidden_size);
        if self.num_layers != 1 {
            s += &format!(", num_layers={}", self.num_layers);
        }
        if !self.bias {
            s += ", bias=False";
        }
        if self.batch_first {
            s += ", batch_first=True";
        }
        if self.dropout != 0.0 {
            s += &format!(", dropout={}", float_repr(self.dropout));
        }
        if self.bidirectional {
            s += ", bidirectional=True";
        }
        s + ")"
    }

    fn forward(&self, _: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        self.run(args, training)
    }

    fn get_attr(&self, name: &str) -> Option<Value> {
        if let Some(t) = self.params.get(name) {
            return Some(tv(t));
        }
        Some(match name {
            "input_size" => Value::Int(self.input_size as i64),
            "hidden_size" => Value::Int(self.hidden_size as i64),
            "num_layers" => Value::Int(self.num_layers as i64),
            "bias" => Value::Bool(self.bias),
            "batch_first" => Value::Bool(self.batch_first),
            "dropout" => Value::Float(self.dropout),
            "bidirectional" => Value::Bool(self.bidirectional),
            "proj_size" => Value::Int(0),
            // The parameter names in flat order (weight_ih_l0, weight_hh_l0, bias_ih_l0, ...),
            // which d2l's init_seq2seq walks.
            "_flat_weights_names" => {
                Value::list(self.params.0.borrow().iter().map(|(n, _)| Value::str(n)).collect())
            }
            // cuDNN's weight compaction; nothing to do on the CPU.
            "flatten_parameters" => Value::builtin("flatten_parameters", |_, args| {
                let [] = args.bind(&[])?;
                Ok(Value::None)
            }),
            "_flat_weights" => Value::list(self.params.0.borrow().iter().map(|(_, t)| tv(t.clone())).collect()),
            "mode" => Value::str(match self.mode {
                Mode::RnnTanh => "RNN_TANH",
                Mode::RnnRelu => "RNN_RELU",
                Mode::Lstm => "LSTM",
                Mode::Gru => "GRU",
            }),
            "nonlinearity" if matches!(self.mode, Mode::RnnTanh) => Value::str("tanh"),
            "nonlinearity" if matches!(self.mode, Mode::RnnRelu) => Value::str("relu"),
            "all_weights" => {
                let ps = self.params.0.borrow();
                let per = ps.len() / (self.num_layers * self.dirs()).max(1);
                Value::list(
                    ps.chunks(per.max(1))
                        .map(|c| Value::list(c.iter().map(|(_, t)| tv(t.clone())).collect()))
                        .collect(),
                )
            }
            _ => return None,
        })
    }

    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        self.params.set(name, value)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl CellLayer {
    fn run(&self, args: &Args) -> R<Value> {
        let [x, hx] = args.bind(&["input", "hx="])?;
        let x = tensor_arg(x.as_ref(), "input")?;
        let name = self.name();
        let d = x.dim();
        if d != 1 && d != 2 {
            return Err(Exception::value_error(format!(
                "{name}: Expected input to be 1D or 2D, got {d}D input instead"
            )));
        }
        let batched = d == 2;
        let x = if batched {
            x
        } else {
            x.unsqueeze(0).map_err(exc)?
        };
        let b = x.shape()[0];
        if x.shape()[1] != self.input_size {
            return Err(Exception::runtime_error(format!(
                "input has inconsistent input_size: got {} expected {}",
                x.shape()[1],
                self.input_size
            )));
        }
        let hx = hx.filter(|v| !v.is_none());
        let state_arg = |v: &Value| -> R<Tensor> {
            let t = tensor_arg(Some(v), "hx")?;
            let t = if batched {
                t
            } else {
                t.unsqueeze(0).map_err(exc)?
            };
            if t.shape() != [b, self.hidden_size] {
                return Err(Exception::runtime_error(format!(
                    "hidden{} has inconsistent hidden_size: got {}, expected {}",
                    if t.shape().first() != Some(&b) {
                        " 0"
                    } else {
                        ""
                    },
                    t.shape().last().copied().unwrap_or(0),
                    self.hidden_size
                )));
            }
            Ok(t)
        };
        let zeros = || Tensor::zeros(&[b, self.hidden_size], x.dtype());
        let state = match (self.mode, &hx) {
            (Mode::Lstm, Some(Value::Tuple(t))) if t.len() == 2 => State {
                h: state_arg(&t[0])?,
                c: Some(state_arg(&t[1])?),
            },
            (Mode::Lstm, Some(v)) => {
                return Err(Exception::type_error(format!(
                    "LSTMCell: hx must be a tuple of (h_0, c_0), not {}",
                    v.type_name()
                )));
            }
            (Mode::Lstm, None) => State {
                h: zeros(),
                c: Some(zeros()),
            },
            (_, Some(v)) => State {
                h: state_arg(v)?,
                c: None,
            },
            (_, None) => State {
                h: zeros(),
                c: None,
            },
        };
        let w = self.params.cell("", self.bias)?;
        let s = rnn::cell(self.mode, &x, &state, &w).map_err(exc)?;
        let un = |t: Tensor| -> R<Value> {
            Ok(tv(if batched {
                t
            } else {
                t.squeeze(Some(0)).map_err(exc)?
            }))
        };
        match s.c {
            Some(c) => Ok(Value::tuple(vec![un(s.h)?, un(c)?])),
            None => un(s.h),
        }
    }
}

impl ExtLayer for CellLayer {
    fn name(&self) -> &str {
        match self.mode {
            Mode::RnnTanh | Mode::RnnRelu => "RNNCell",
            Mode::Lstm => "LSTMCell",
            Mode::Gru => "GRUCell",
        }
    }

    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        self.params.0.borrow().clone()
    }

    /// RNNCellBase.extra_repr.
    fn repr(&self) -> String {
        let mut s = format!("{}({}, {}", self.name(), self.input_size, self.hidden_size);
        if !self.bias {
            s += ", bias=False";
        }
        if self.mode == Mode::RnnRelu {
            s += ", nonlinearity=relu";
        }
        s + ")"
    }

    fn forward(&self, _: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        self.run(args)
    }

    fn get_attr(&self, name: &str) -> Option<Value> {
        if let Some(t) = self.params.get(name) {
            return Some(tv(t));
        }
        Some(match name {
            "input_size" => Value::Int(self.input_size as i64),
            "hidden_size" => Value::Int(self.hidden_size as i64),
            "bias" => Value::Bool(self.bias),
            "nonlinearity" if self.mode == Mode::RnnTanh => Value::str("tanh"),
            "nonlinearity" if self.mode == Mode::RnnRelu => Value::str("relu"),
            _ => return None,
        })
    }

    fn set_attr(&self, name: &str, value: &Value) -> R<bool> {
        self.params.set(name, value)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

fn size_arg(v: Option<Value>, what: &str) -> R<usize> {
    let v = v.ok_or_else(|| {
        Exception::type_error(format!("__init__() missing required argument: '{what}'"))
    })?;
    let i = v.expect_int(what)?;
    usize::try_from(i)
        .map_err(|_| Exception::value_error(format!("{what} must be greater than zero")))
}

fn nonlinearity(v: Option<&Value>) -> R<Mode> {
    match v.map(Value::to_str).as_deref() {
        None | Some("tanh") => Ok(Mode::RnnTanh),
        Some("relu") => Ok(Mode::RnnRelu),
        Some(other) => Err(Exception::value_error(format!(
            "Unknown nonlinearity '{other}'. Select from 'tanh' or 'relu'."
        ))),
    }
}

fn rnn_module(mode: Mode, args: &Args, shared: &Rc<Shared>) -> R<Value> {
    // RNN takes `nonlinearity` fourth; LSTM and GRU go straight on to `bias`.
    let (input, hidden, layers, nl, bias, bf, dropout, bidi) = if mode == Mode::RnnTanh {
        let [i, h, l, nl, b, bf, d, bi, _device, _dtype] = args.bind(&[
            "input_size",
            "hidden_size",
            "num_layers=",
            "nonlinearity=",
            "bias=",
            "batch_first=",
            "dropout=",
            "bidirectional=",
            "device=",
            "dtype=",
        ])?;
        (i, h, l, nl, b, bf, d, bi)
    } else {
        let [i, h, l, b, bf, d, bi, proj, _device, _dtype] = args.bind(&[
            "input_size",
            "hidden_size",
            "num_layers=",
            "bias=",
            "batch_first=",
            "dropout=",
            "bidirectional=",
            "proj_size=",
            "device=",
            "dtype=",
        ])?;
        if proj
            .as_ref()
            .is_some_and(|p| p.as_int().is_some_and(|p| p != 0))
        {
            return Err(Exception::unsupported("LSTM with proj_size"));
        }
        (i, h, l, None, b, bf, d, bi)
    };
    let mode = if mode == Mode::RnnTanh {
        nonlinearity(nl.as_ref())?
    } else {
        mode
    };
    let (input_size, hidden_size) = (
        size_arg(input, "input_size")?,
        size_arg(hidden, "hidden_size")?,
    );
    if hidden_size == 0 {
        return Err(Exception::value_error(
            "hidden_size must be greater than zero",
        ));
    }
    let num_layers = layers.map_or(Ok(1), |v| v.expect_int("num_layers"))?;
    if num_layers <= 0 {
        return Err(Exception::value_error(
            "num_layers must be greater than zero",
        ));
    }
    let dropout = f64_arg(dropout.as_ref(), 0.0, "dropout")?;
    if !(0.0..=1.0).contains(&dropout) {
        return Err(Exception::value_error(
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed",
        ));
    }
    let (bias, batch_first, bidirectional) = (
        bool_arg(bias.as_ref(), true),
        bool_arg(bf.as_ref(), false),
        bool_arg(bidi.as_ref(), false),
    );
    let dirs = if bidirectional { 2 } else { 1 };
    let mut shapes = Vec::new();
    for l in 0..num_layers as usize {
        for d in 0..dirs {
            let isz = if l == 0 {
                input_size
            } else {
                hidden_size * dirs
            };
            weight_shapes(
                mode,
                isz,
                hidden_size,
                bias,
                &format!("_l{l}{}", if d == 1 { "_reverse" } else { "" }),
                &mut shapes,
            );
        }
    }
    let params = Params::new(shapes, hidden_size, &mut shared.rng.borrow_mut())?;
    Ok(ext_module(RnnLayer {
        mode,
        input_size,
        hidden_size,
        num_layers: num_layers as usize,
        bias,
        batch_first,
        dropout,
        bidirectional,
        params,
        rng: shared.rng.clone(),
    }))
}

fn cell_module(mode: Mode, args: &Args, g: &mut Generator) -> R<Value> {
    let (i, h, b, nl) = if mode == Mode::RnnTanh {
        let [i, h, b, nl, _device, _dtype] = args.bind(&[
            "input_size",
            "hidden_size",
            "bias=",
            "nonlinearity=",
            "device=",
            "dtype=",
        ])?;
        (i, h, b, nl)
    } else {
        let [i, h, b, _device, _dtype] =
            args.bind(&["input_size", "hidden_size", "bias=", "device=", "dtype="])?;
        (i, h, b, None)
    };
    let mode = if mode == Mode::RnnTanh {
        nonlinearity(nl.as_ref())?
    } else {
        mode
    };
    let (input_size, hidden_size) = (size_arg(i, "input_size")?, size_arg(h, "hidden_size")?);
    let bias = bool_arg(b.as_ref(), true);
    let mut shapes = Vec::new();
    weight_shapes(mode, input_size, hidden_size, bias, "", &mut shapes);
    let params = Params::new(shapes, hidden_size, g)?;
    Ok(ext_module(CellLayer {
        mode,
        input_size,
        hidden_size,
        bias,
        params,
    }))
}

/// Adds the classes to `torch.nn`.
pub fn register(m: &Module, shared: &Rc<Shared>) {
    for (name, mode) in [
        ("RNN", Mode::RnnTanh),
        ("LSTM", Mode::Lstm),
        ("GRU", Mode::Gru),
    ] {
        let s = shared.clone();
        m.set(
            name,
            class(name, "torch.nn", move |_, args| rnn_module(mode, &args, &s)),
        );
    }
    for (name, mode) in [
        ("RNNCell", Mode::RnnTanh),
        ("LSTMCell", Mode::Lstm),
        ("GRUCell", Mode::Gru),
    ] {
        let s = shared.clone();
        m.set(
            name,
            class(name, "torch.nn", move |_, args| {
                cell_module(mode, &args, &mut s.rng.borrow_mut())
            }),
        );
    }
}
