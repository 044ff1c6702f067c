//! Optimizer state out and back in, as PyTorch's `optimizer.state_dict()` names it and
//! `load_state_dict` takes it: per parameter, `step` and the buffers shaped like it.

use super::{Adagrad, Adam, AdamState, Rmsprop, RmspropState, Sgd, zeros_like};
use crate::tensor::storage::Storage;
use crate::tensor::{Result, Tensor, TensorError};

/// One value of a parameter's state. PyTorch keeps `step` as a float32 scalar tensor.
#[derive(Clone)]
pub enum StateValue {
    Step(f32),
    Buffer(Tensor),
}

/// A parameter's state, its keys in the order PyTorch's `state_dict()` lists them.
pub type ParamState = Vec<(&'static str, StateValue)>;

fn buf(s: &Storage) -> StateValue {
    StateValue::Buffer(Tensor::from_storage(s.clone()))
}

/// Reads a loaded state: each key PyTorch's step would read must be there, and buffers take
/// the parameter's dtype (PyTorch casts floating state to its parameter's on load).
pub(super) struct Loaded<'a> {
    items: &'a [(String, StateValue)],
    like: &'a Storage,
}

impl Loaded<'_> {
    fn get(&self, key: &str) -> Result<&StateValue> {
        self.items
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .ok_or_else(|| TensorError::runtime(format!("optimizer state has no '{key}'")))
    }
    pub(super) fn step(&self) -> Result<f32> {
        match self.get("step")? {
            StateValue::Step(s) => Ok(*s),
            StateValue::Buffer(b) => b
                .storage()
                .to_f64_vec()
                .first()
                .map(|&x| x as f32)
                .ok_or_else(|| TensorError::runtime("optimizer state 'step' is empty")),
        }
    }
    pub(super) fn buffer(&self, key: &str) -> Result<Storage> {
        match self.get(key)? {
            StateValue::Buffer(b) if b.shape() == self.like.shape() => {
                Ok(b.storage().cast(self.like.dtype()))
            }
            StateValue::Buffer(b) => Err(TensorError::runtime(format!(
                "optimizer state '{key}' has shape {:?}, its parameter {:?}",
                b.shape(),
                self.like.shape()
            ))),
            StateValue::Step(_) => Err(TensorError::runtime(format!(
                "optimizer state '{key}' is not a tensor"
            ))),
        }
    }
}

/// Runs `f` on each parameter's loaded state (None: the state dict has none for it).
pub(super) fn each<S>(
    params: &[crate::tensor::Tensor],
    states: &mut [Option<S>],
    loaded: &[Option<Vec<(String, StateValue)>>],
    f: impl Fn(&Loaded) -> Result<S>,
) -> Result<()> {
    let mut new = Vec::with_capacity(states.len());
    for (i, p) in params.iter().enumerate() {
        new.push(match loaded.get(i).and_then(Option::as_ref) {
            Some(items) => Some(f(&Loaded {
                items,
                like: &p.storage(),
            })?),
            None => None,
        });
    }
    // All or nothing: a bad entry leaves the optimizer as it was.
    for (s, n) in states.iter_mut().zip(new) {
        *s = n;
    }
    Ok(())
}

impl Sgd {
    pub fn export_state(&self, i: usize) -> Option<ParamState> {
        let b = self.momentum_buffers.get(i)?.as_ref()?;
        Some(vec![("momentum_buffer", buf(b))])
    }
    pub fn import_state(&mut self, loaded: &[Option<Vec<(String, StateValue)>>]) -> Result<()> {
        each(&self.params, &mut self.momentum_buffers, loaded, |l| {
            l.buffer("momentum_buffer")
        })
    }
}

impl Adam {
    pub fn export_state(&self, i: usize) -> Option<ParamState> {
        let st = self.state.get(i)?.as_ref()?;
        let mut out = vec![
            ("step", StateValue::Step(st.step)),
            ("exp_avg", buf(&st.exp_avg)),
            ("exp_avg_sq", buf(&st.exp_avg_sq)),
        ];
        if let Some(m) = &st.max_exp_avg_sq {
            out.push(("max_exp_avg_sq", buf(m)));
        }
        Some(out)
    }
    pub fn import_state(&mut self, loaded: &[Option<Vec<(String, StateValue)>>]) -> Result<()> {
        let amsgrad = self.cfg.amsgrad;
        each(&self.params, &mut self.state, loaded, |l| {
            Ok(AdamState {
                step: l.step()?,
                exp_avg: l.buffer("exp_avg")?,
                exp_avg_sq: l.buffer("exp_avg_sq")?,
                max_exp_avg_sq: if amsgrad {
                    Some(l.buffer("max_exp_avg_sq")?)
                } else {
                    None
                },
            })
        })
    }
}

impl Rmsprop {
    pub fn export_state(&self, i: usize) -> Option<ParamState> {
        let st = self.state.get(i)?.as_ref()?;
        let mut out = vec![
            ("step", StateValue::Step(st.step)),
            ("square_avg", buf(&st.square_avg)),
        ];
        if self.cfg.momentum > 0.0 {
            out.push(("momentum_buffer", buf(&st.momentum_buffer)));
        }
        if self.cfg.centered {
            out.push(("grad_avg", buf(&st.grad_avg)));
        }
        Some(out)
    }
    pub fn import_state(&mut self, loaded: &[Option<Vec<(String, StateValue)>>]) -> Result<()> {
        let (momentum, centered) = (self.cfg.momentum > 0.0, self.cfg.centered);
        each(&self.params, &mut self.state, loaded, |l| {
            let square_avg = l.buffer("square_avg")?;
            Ok(RmspropState {
                step: l.step()?,
                momentum_buffer: if momentum {
                    l.buffer("momentum_buffer")?
                } else {
                    zeros_like(&square_avg)
                },
                grad_avg: if centered {
                    l.buffer("grad_avg")?
                } else {
                    zeros_like(&square_avg)
                },
                square_avg,
            })
        })
    }
}

impl Adagrad {
    pub fn export_state(&self, i: usize) -> Option<ParamState> {
        let (step, sum) = self.state.get(i)?.as_ref()?;
        Some(vec![("step", StateValue::Step(*step)), ("sum", buf(sum))])
    }
    pub fn import_state(&mut self, loaded: &[Option<Vec<(String, StateValue)>>]) -> Result<()> {
        each(&self.params, &mut self.state, loaded, |l| {
            Ok((l.step()?, l.buffer("sum")?))
        })
    }
}
