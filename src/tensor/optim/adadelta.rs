//! `optim.Adadelta`: PyTorch's single-tensor (CPU default) step, operation by operation in
//! the parameter's dtype, and its state as `state_dict()` names it.

use super::state::{ParamState, StateValue};
use super::{addcmul, grad_of, mismatch, scale, zero_grads, zeros_like};
use crate::tensor::ops::fused_axpy;
use crate::tensor::storage::{Storage, zip_map};
use crate::tensor::vml_sqrt::VmlSqrt;
use crate::tensor::{Result, Tensor, no_grad};

/// `optim.Adadelta` settings; `Default` is PyTorch's.
#[derive(Debug, Clone, PartialEq)]
pub struct AdadeltaConfig {
    pub lr: f64,
    pub rho: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub maximize: bool,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

#[derive(Clone)]
pub(super) struct AdadeltaState {
    step: f32,
    square_avg: Storage,
    acc_delta: Storage,
}

#[derive(Clone)]
pub struct Adadelta {
    pub params: Vec<Tensor>,
    pub cfg: AdadeltaConfig,
    state: Vec<Option<AdadeltaState>>,
}

/// `a.add(eps).sqrt_()`: the sum rounded to the dtype first, then the square root.
fn add_sqrt(a: &Storage, eps: f64) -> Result<Storage> {
    Ok(match a {
        Storage::F32(x) => Storage::F32(x.mapv(|v| (v + eps as f32).vml_sqrt())),
        Storage::F64(x) => Storage::F64(x.mapv(|v| (v + eps).vml_sqrt())),
        _ => return Err(mismatch()),
    })
}

/// `delta.div_(std).mul_(grad)`: two roundings, in that order.
fn div_mul(d: &Storage, s: &Storage, g: &Storage) -> Result<Storage> {
    let q = match (d, s) {
        (Storage::F32(a), Storage::F32(b)) => Storage::F32(zip_map(a, b, a.shape(), |x, y| x / y)?),
        (Storage::F64(a), Storage::F64(b)) => Storage::F64(zip_map(a, b, a.shape(), |x, y| x / y)?),
        _ => return Err(mismatch()),
    };
    let g = g.cast(q.dtype());
    Ok(match (&q, &g) {
        (Storage::F32(a), Storage::F32(b)) => Storage::F32(zip_map(a, b, a.shape(), |x, y| x * y)?),
        (Storage::F64(a), Storage::F64(b)) => Storage::F64(zip_map(a, b, a.shape(), |x, y| x * y)?),
        _ => return Err(mismatch()),
    })
}

impl Adadelta {
    pub fn new(params: Vec<Tensor>, cfg: AdadeltaConfig) -> Self {
        let n = params.len();
        Adadelta {
            params,
            cfg,
            state: (0..n).map(|_| None).collect(),
        }
    }

    pub fn zero_grad(&mut self, set_to_none: bool) -> Result<()> {
        zero_grads(&self.params, set_to_none)
    }

    /// PyTorch's `_single_tensor_adadelta`: square_avg = rho*square_avg + (1-rho)*g*g;
    /// delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g;
    /// acc_delta = rho*acc_delta + (1-rho)*delta*delta; p -= lr*delta.
    pub fn step(&mut self) -> Result<()> {
        let c = self.cfg.clone();
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = grad_of(p, c.maximize, c.weight_decay)? else {
                continue;
            };
            let ps = p.storage();
            let st = self.state[i].get_or_insert_with(|| AdadeltaState {
                step: 0.0,
                square_avg: zeros_like(&ps),
                acc_delta: zeros_like(&ps),
            });
            st.step += 1.0;
            st.square_avg = addcmul(&scale(&st.square_avg, c.rho)?, &g, 1.0 - c.rho)?;
            let std = add_sqrt(&st.square_avg, c.eps)?;
            let delta = div_mul(&add_sqrt(&st.acc_delta, c.eps)?, &std, &g)?;
            st.acc_delta = addcmul(&scale(&st.acc_delta, c.rho)?, &delta, 1.0 - c.rho)?;
            let new = fused_axpy(&ps, &delta, -c.lr)?;
            drop(ps);
            no_grad(|| p.replace_storage(new))?;
        }
        Ok(())
    }

    pub fn export_state(&self, i: usize) -> Option<ParamState> {
        let st = self.state.get(i)?.as_ref()?;
        Some(vec![
            ("step", StateValue::Step(st.step)),
            (
                "square_avg",
                StateValue::Buffer(Tensor::from_storage(st.square_avg.clone())),
            ),
            (
                "acc_delta",
                StateValue::Buffer(Tensor::from_storage(st.acc_delta.clone())),
            ),
        ])
    }

    pub fn import_state(&mut self, loaded: &[Option<Vec<(String, StateValue)>>]) -> Result<()> {
        super::state::each(&self.params, &mut self.state, loaded, |l| {
            Ok(AdadeltaState {
                step: l.step()?,
                square_avg: l.buffer("square_avg")?,
                acc_delta: l.buffer("acc_delta")?,
            })
        })
    }
}
