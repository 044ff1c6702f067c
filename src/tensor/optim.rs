//! `torch.optim` SGD, Adam and AdamW (Adadelta in `adadelta`), following the single-tensor (CPU default) code path's
//! exact operation order and float32 roundings (pytorch-semantics.md §7).

use super::ops::fused_axpy;
use super::storage::{zip_map, Storage};
use super::vml_sqrt::VmlSqrt;
use super::{no_grad, Result, Tensor, TensorError};

mod adadelta;
pub mod adam_fused;
pub mod lbfgs;
mod state;
pub use adadelta::{Adadelta, AdadeltaConfig};
pub use lbfgs::{Lbfgs, LbfgsConfig};
pub use state::{ParamState, StateValue};

/// `optim.SGD` settings; `Default` is PyTorch's.
#[derive(Debug, Clone, PartialEq)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1e-3, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false }
    }
}

#[derive(Clone)]
pub struct Sgd {
    pub params: Vec<Tensor>,
    pub cfg: SgdConfig,
    momentum_buffers: Vec<Option<Storage>>,
}

/// `optim.Adam` / `optim.AdamW` settings; `Default` is PyTorch's Adam.
#[derive(Debug, Clone, PartialEq)]
pub struct AdamConfig {
    pub lr: f64,
    pub betas: (f64, f64),
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub maximize: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig { lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weight_decay: 0.0, amsgrad: false, maximize: false }
    }
}

impl AdamConfig {
    /// AdamW's defaults (weight_decay 1e-2).
    pub fn adamw_default() -> Self {
        AdamConfig { weight_decay: 1e-2, ..AdamConfig::default() }
    }
}

#[derive(Clone)]
struct AdamState {
    step: f32,
    exp_avg: Storage,
    exp_avg_sq: Storage,
    max_exp_avg_sq: Option<Storage>,
}

#[derive(Clone)]
pub struct Adam {
    pub params: Vec<Tensor>,
    pub cfg: AdamConfig,
    /// Decoupled weight decay (AdamW).
    pub decoupled: bool,
    state: Vec<Option<AdamState>>,
}

pub fn zero_grads(params: &[Tensor], set_to_none: bool) -> Result<()> {
    for p in params {
        if set_to_none {
            p.set_grad(None);
        } else if let Some(g) = p.grad() {
            // In place, like PyTorch's `grad.zero_()`.
            g.replace_storage(zeros_like(&g.storage()))?;
        }
    }
    Ok(())
}

impl Sgd {
    pub fn new(params: Vec<Tensor>, cfg: SgdConfig) -> Self {
        let n = params.len();
        Sgd { params, cfg, momentum_buffers: vec![None; n] }
    }

    pub fn zero_grad(&mut self, set_to_none: bool) -> Result<()> {
        zero_grads(&self.params, set_to_none)
    }

    pub fn step(&mut self) -> Result<()> {
        let c = self.cfg.clone();
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad() else { continue };
            let ps = p.storage();
            if !c.maximize && c.weight_decay == 0.0 && c.momentum == 0.0 {
                // Plain SGD reads the gradient where it is instead of copying it first.
                let new = fused_axpy(&ps, &g.storage(), -c.lr)?;
                no_grad(|| p.replace_storage(new))?;
                continue;
            }
            let mut g = (*g.storage()).clone();
            if c.maximize {
                g = neg(&g)?;
            }
            if c.weight_decay != 0.0 {
                g = fused_axpy(&g, &ps, c.weight_decay)?;
            }
            if c.momentum != 0.0 {
                let buf = match self.momentum_buffers[i].take() {
                    None => g.clone(),
                    Some(b) => fused_axpy(&scale(&b, c.momentum)?, &g, 1.0 - c.dampening)?,
                };
                g = if c.nesterov { fused_axpy(&g, &buf, c.momentum)? } else { buf.clone() };
                self.momentum_buffers[i] = Some(buf);
            }
            let new = fused_axpy(&ps, &g, -c.lr)?;
            no_grad(|| p.replace_storage(new))?;
        }
        Ok(())
    }
}

impl Adam {
    pub fn new(params: Vec<Tensor>, cfg: AdamConfig) -> Self {
        let n = params.len();
        Adam { params, cfg, decoupled: false, state: vec![None; n] }
    }

    /// `optim.AdamW`.
    pub fn new_adamw(params: Vec<Tensor>, cfg: AdamConfig) -> Self {
        let n = params.len();
        Adam { params, cfg, decoupled: true, state: vec![None; n] }
    }

    pub fn zero_grad(&mut self, set_to_none: bool) -> Result<()> {
        zero_grads(&self.params, set_to_none)
    }

    pub fn step(&mut self) -> Result<()> {
        let c = self.cfg.clone();
        let (beta1, beta2) = c.betas;
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = p.grad() else { continue };
            let st = self.state[i].get_or_insert_with(|| {
                let ps = p.storage();
                AdamState {
                    step: 0.0,
                    exp_avg: zeros_like(&ps),
                    exp_avg_sq: zeros_like(&ps),
                    max_exp_avg_sq: c.amsgrad.then(|| zeros_like(&ps)),
                }
            });
            st.step += 1.0;
            let step = st.step as f64;
            let bc1 = 1.0 - beta1.powf(step);
            let bc2 = 1.0 - beta2.powf(step);
            if !c.maximize && c.weight_decay == 0.0 && !c.amsgrad {
                // The common case in one pass, reading the parameter and gradient in place.
                let k = adam_fused::AdamScalars {
                    w: 1.0 - beta1,
                    beta2,
                    s: 1.0 - beta2,
                    bc2_sqrt: bc2.sqrt(),
                    eps: c.eps,
                    neg_step_size: -(c.lr / bc1),
                };
                let new = adam_fused::adam_fused(&p.storage(), &g.storage(), &mut st.exp_avg, &mut st.exp_avg_sq, k);
                if let Some(new) = new {
                    no_grad(|| p.replace_storage(new))?;
                    continue;
                }
            }
            let mut ps = (*p.storage()).clone();
            let mut g = (*g.storage()).clone();
            if c.maximize {
                g = neg(&g)?;
            }
            if c.weight_decay != 0.0 {
                if self.decoupled {
                    ps = scale(&ps, 1.0 - c.lr * c.weight_decay)?;
                } else {
                    g = fused_axpy(&g, &ps, c.weight_decay)?;
                }
            }
            st.exp_avg = lerp(&st.exp_avg, &g, 1.0 - beta1)?;
            st.exp_avg_sq = addcmul(&scale(&st.exp_avg_sq, beta2)?, &g, 1.0 - beta2)?;
            let step_size = c.lr / bc1;
            let bc2_sqrt = bc2.sqrt();
            let v = match &mut st.max_exp_avg_sq {
                Some(mx) => {
                    *mx = maximum(mx, &st.exp_avg_sq)?;
                    mx.clone()
                }
                None => st.exp_avg_sq.clone(),
            };
            let new = adam_update(&ps, &st.exp_avg, &v, bc2_sqrt, c.eps, step_size)?;
            no_grad(|| p.replace_storage(new))?;
        }
        Ok(())
    }
}

fn zeros_like(s: &Storage) -> Storage {
    Storage::full(&s.shape(), super::Scalar::Int(0), s.dtype())
}

fn mismatch() -> TensorError {
    TensorError::runtime("optimizer state and parameter dtypes differ")
}

macro_rules! float_map2 {
    ($a:expr, $b:expr, |$x:ident, $y:ident, $t:ident| $e:expr) => {
        match ($a, &*if $b.dtype() == $a.dtype() {
            std::borrow::Cow::<Storage>::Borrowed(&$b)
        } else {
            std::borrow::Cow::Owned($b.cast($a.dtype()))
        }) {
            (Storage::F32(p), Storage::F32(q)) => {
                #[allow(dead_code)]
                type $t = f32;
                Storage::F32(zip_map(p, q, p.shape(), |$x, $y| $e)?)
            }
            (Storage::F64(p), Storage::F64(q)) => {
                #[allow(dead_code)]
                type $t = f64;
                Storage::F64(zip_map(p, q, p.shape(), |$x, $y| $e)?)
            }
            _ => return Err(mismatch()),
        }
    };
}

fn neg(a: &Storage) -> Result<Storage> {
    Ok(float_map2!(a, a, |x, _y, T| -x))
}

/// `t.mul_(s)`: multiply by the scalar rounded to the tensor's dtype.
pub fn scale(a: &Storage, s: f64) -> Result<Storage> {
    Ok(float_map2!(a, a, |x, _y, T| x * (s as T)))
}

/// `m.lerp_(g, w)` as the AVX2 kernel computes it (fused in both branches).
pub fn lerp(m: &Storage, g: &Storage, w: f64) -> Result<Storage> {
    Ok(float_map2!(m, g, |a, b, T| {
        let w = w as T;
        if w.abs() < 0.5 { w.mul_add(b - a, a) } else { (-(b - a)).mul_add(1.0 - w, b) }
    }))
}

/// `v.addcmul_(g, g, value=s)` = `fma(f(s)*g, g, v)`.
pub fn addcmul(v: &Storage, g: &Storage, s: f64) -> Result<Storage> {
    Ok(float_map2!(v, g, |a, b, T| ((s as T) * b).mul_add(b, a)))
}

fn maximum(a: &Storage, b: &Storage) -> Result<Storage> {
    Ok(float_map2!(a, b, |x, y, T| if x.is_nan() || y.is_nan() { x + y } else { x.max(y) }))
}

/// denom = sqrt(v) / f(bc2_sqrt) + f(eps); p += (f(-step_size) * m) / denom.
pub fn adam_update(p: &Storage, m: &Storage, v: &Storage, bc2_sqrt: f64, eps: f64, step_size: f64) -> Result<Storage> {
    let denom = float_map2!(v, v, |x, _y, T| x.vml_sqrt() / (bc2_sqrt as T) + (eps as T));
    let upd = float_map2!(m, denom, |x, d, T| ((-step_size) as T * x) / d);
    Ok(float_map2!(p, upd, |x, u, T| x + u))
}

/// `optim.RMSprop` settings; `Default` is PyTorch's.
#[derive(Debug, Clone, PartialEq)]
pub struct RmspropConfig {
    pub lr: f64,
    pub alpha: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub momentum: f64,
    pub centered: bool,
    pub maximize: bool,
}

impl Default for RmspropConfig {
    fn default() -> Self {
        RmspropConfig { lr: 1e-2, alpha: 0.99, eps: 1e-8, weight_decay: 0.0, momentum: 0.0, centered: false, maximize: false }
    }
}

#[derive(Clone)]
struct RmspropState {
    step: f32,
    square_avg: Storage,
    momentum_buffer: Storage,
    grad_avg: Storage,
}

#[derive(Clone)]
pub struct Rmsprop {
    pub params: Vec<Tensor>,
    pub cfg: RmspropConfig,
    state: Vec<Option<RmspropState>>,
}

/// `f(a, b, c)` elementwise over three same-shape storages of `a`'s float dtype.
fn zip3(a: &Storage, b: &Storage, c: &Storage, f32f: impl Fn(f32, f32, f32) -> f32, f64f: impl Fn(f64, f64, f64) -> f64) -> Result<Storage> {
    let (b, c) = (b.cast(a.dtype()), c.cast(a.dtype()));
    Ok(match (a, &b, &c) {
        (Storage::F32(x), Storage::F32(y), Storage::F32(z)) => Storage::F32(ndarray::Zip::from(x).and(y).and(z).map_collect(|&x, &y, &z| f32f(x, y, z))),
        (Storage::F64(x), Storage::F64(y), Storage::F64(z)) => Storage::F64(ndarray::Zip::from(x).and(y).and(z).map_collect(|&x, &y, &z| f64f(x, y, z))),
        _ => return Err(mismatch()),
    })
}

/// `p.addcdiv_(num, den, value=v)` = `p + (f(v)*num)/den`.
fn addcdiv(p: &Storage, num: &Storage, den: &Storage, v: f64) -> Result<Storage> {
    zip3(p, num, den, |p, n, d| p + ((v as f32) * n) / d, |p, n, d| p + (v * n) / d)
}

/// `s.sqrt().add_(eps)`.
fn sqrt_add(s: &Storage, eps: f64) -> Result<Storage> {
    Ok(float_map2!(s, s, |x, _y, T| x.vml_sqrt() + (eps as T)))
}

fn grad_of(p: &Tensor, maximize: bool, weight_decay: f64) -> Result<Option<Storage>> {
    let Some(g) = p.grad() else { return Ok(None) };
    let mut g = (*g.storage()).clone();
    if maximize {
        g = neg(&g)?;
    }
    if weight_decay != 0.0 {
        g = fused_axpy(&g, &p.storage(), weight_decay)?;
    }
    Ok(Some(g))
}

impl Rmsprop {
    pub fn new(params: Vec<Tensor>, cfg: RmspropConfig) -> Self {
        let n = params.len();
        Rmsprop { params, cfg, state: (0..n).map(|_| None).collect() }
    }

    pub fn zero_grad(&mut self, set_to_none: bool) -> Result<()> {
        zero_grads(&self.params, set_to_none)
    }

    /// PyTorch's `_single_tensor_rmsprop`.
    pub fn step(&mut self) -> Result<()> {
        let c = self.cfg.clone();
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = grad_of(p, c.maximize, c.weight_decay)? else { continue };
            let ps = p.storage();
            let st = self.state[i].get_or_insert_with(|| RmspropState {
                step: 0.0,
                square_avg: zeros_like(&ps),
                momentum_buffer: zeros_like(&ps),
                grad_avg: zeros_like(&ps),
            });
            st.step += 1.0;
            st.square_avg = addcmul(&scale(&st.square_avg, c.alpha)?, &g, 1.0 - c.alpha)?;
            let avg = if c.centered {
                st.grad_avg = lerp(&st.grad_avg, &g, 1.0 - c.alpha)?;
                let centered = addcmul(&st.square_avg, &st.grad_avg, -1.0)?;
                sqrt_add(&centered, c.eps)?
            } else {
                sqrt_add(&st.square_avg, c.eps)?
            };
            let new = if c.momentum > 0.0 {
                st.momentum_buffer = addcdiv(&scale(&st.momentum_buffer, c.momentum)?, &g, &avg, 1.0)?;
                fused_axpy(&ps, &st.momentum_buffer, -c.lr)?
            } else {
                addcdiv(&ps, &g, &avg, -c.lr)?
            };
            drop(ps);
            no_grad(|| p.replace_storage(new))?;
        }
        Ok(())
    }
}

/// `optim.Adagrad` settings; `Default` is PyTorch's.
#[derive(Debug, Clone, PartialEq)]
pub struct AdagradConfig {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub initial_accumulator_value: f64,
    pub eps: f64,
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig { lr: 1e-2, lr_decay: 0.0, weight_decay: 0.0, initial_accumulator_value: 0.0, eps: 1e-10, maximize: false }
    }
}

#[derive(Clone)]
pub struct Adagrad {
    pub params: Vec<Tensor>,
    pub cfg: AdagradConfig,
    state: Vec<Option<(f32, Storage)>>,
}

impl Adagrad {
    /// The accumulators start at `initial_accumulator_value` when the optimizer is built.
    pub fn new(params: Vec<Tensor>, cfg: AdagradConfig) -> Self {
        let state = params
            .iter()
            .map(|p| Some((0.0, Storage::full(&p.shape(), super::Scalar::Float(cfg.initial_accumulator_value), p.dtype()))))
            .collect();
        Adagrad { params, cfg, state }
    }

    pub fn zero_grad(&mut self, set_to_none: bool) -> Result<()> {
        zero_grads(&self.params, set_to_none)
    }

    /// PyTorch's `_single_tensor_adagrad`.
    pub fn step(&mut self) -> Result<()> {
        let c = self.cfg.clone();
        for (i, p) in self.params.iter().enumerate() {
            let Some(g) = grad_of(p, c.maximize, c.weight_decay)? else { continue };
            let ps = p.storage();
            let Some((step, sum)) = self.state[i].as_mut() else { continue };
            *step += 1.0;
            let clr = c.lr / (1.0 + (f64::from(*step) - 1.0) * c.lr_decay);
            *sum = addcmul(sum, &g, 1.0)?;
            let std = sqrt_add(sum, c.eps)?;
            let new = addcdiv(&ps, &g, &std, -clr)?;
            drop(ps);
            no_grad(|| p.replace_storage(new))?;
        }
        Ok(())
    }
}
