//! `optim.LBFGS`: PyTorch's step (the two-loop recursion over a history of directions, the
//! default fixed step and the `strong_wolfe` line search), operation by operation with the
//! same mixture of Python floats and 0-d tensors, so every rounding matches.
//!
//! In PyTorch some of the step's scalars are Python floats (the losses, the learning rate) and
//! some are 0-d tensors of the parameters' dtype (dot products, and a step length computed
//! from them); arithmetic between them rounds differently (a float32 tensor takes a Python
//! float rounded to float32; `float / tensor` is `tensor.reciprocal() * float`), and which
//! kind a value is depends on the path taken. `Num` carries that kind along.

use super::zero_grads;
use crate::tensor::{DType, Result, Scalar, Tensor, TensorError, no_grad, with_grad_mode};

/// A scalar of the step: a Python float, or a 0-d tensor of the parameters' dtype (its value
/// held exactly as an f64).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Num {
    Py(f64),
    T(f64),
}

/// How `Num`s of one optimizer compute: their tensors' dtype.
#[derive(Clone, Copy)]
pub struct Arith {
    pub f32: bool,
}

impl Arith {
    fn round(self, x: f64) -> f64 {
        if self.f32 { x as f32 as f64 } else { x }
    }
    /// A binary arithmetic op: Python floats in double; with a tensor on either side, both
    /// operands in the tensor's dtype, result rounded to it (float32 arithmetic on
    /// float32-representable values is the f64 result rounded once).
    fn bin(self, a: Num, b: Num, f: impl Fn(f64, f64) -> f64) -> Num {
        match (a, b) {
            (Num::Py(x), Num::Py(y)) => Num::Py(f(x, y)),
            (Num::T(x), Num::T(y)) | (Num::T(x), Num::Py(y)) | (Num::Py(x), Num::T(y)) => {
                if self.f32 {
                    Num::T(f(x as f32 as f64, y as f32 as f64) as f32 as f64)
                } else {
                    Num::T(f(x, y))
                }
            }
        }
    }
    pub fn add(self, a: Num, b: Num) -> Num {
        self.bin(a, b, |x, y| x + y)
    }
    fn sub(self, a: Num, b: Num) -> Num {
        self.bin(a, b, |x, y| x - y)
    }
    fn mul(self, a: Num, b: Num) -> Num {
        self.bin(a, b, |x, y| x * y)
    }
    /// `a / b`; a Python float over a tensor is `b.reciprocal() * a` (`Tensor.__rtruediv__`).
    pub fn div(self, a: Num, b: Num) -> Num {
        match (a, b) {
            (Num::Py(x), Num::T(y)) => {
                let r = self.round(1.0 / self.round(y));
                self.mul(Num::T(r), Num::Py(x))
            }
            _ => self.bin(a, b, |x, y| x / y),
        }
    }
    fn abs(self, a: Num) -> Num {
        match a {
            Num::Py(x) => Num::Py(x.abs()),
            Num::T(x) => Num::T(x.abs()),
        }
    }
    /// `x ** 2`: ATen's `pow` with exponent 2 is `x * x`.
    fn square(self, a: Num) -> Num {
        self.mul(a, a)
    }
    fn sqrt(self, a: Num) -> Num {
        match a {
            Num::Py(x) => Num::Py(x.sqrt()),
            Num::T(x) => Num::T(self.round(x.sqrt())),
        }
    }
    /// The operands a comparison sees: a Python float beside a tensor is rounded to its dtype.
    fn cmp_operands(self, a: Num, b: Num) -> (f64, f64) {
        match (a, b) {
            (Num::Py(x), Num::Py(y)) => (x, y),
            (Num::T(x), Num::T(y)) | (Num::T(x), Num::Py(y)) | (Num::Py(x), Num::T(y)) => (self.round(x), self.round(y)),
        }
    }
    fn lt(self, a: Num, b: Num) -> bool {
        let (x, y) = self.cmp_operands(a, b);
        x < y
    }
    pub fn le(self, a: Num, b: Num) -> bool {
        let (x, y) = self.cmp_operands(a, b);
        x <= y
    }
    fn gt(self, a: Num, b: Num) -> bool {
        self.lt(b, a)
    }
    fn ge(self, a: Num, b: Num) -> bool {
        self.le(b, a)
    }
    /// Python's `min(a, b)`: `a` unless `b < a`.
    fn min(self, a: Num, b: Num) -> Num {
        if self.lt(b, a) { b } else { a }
    }
    /// Python's `max(a, b)`: `a` unless `b > a`.
    fn max(self, a: Num, b: Num) -> Num {
        if self.gt(b, a) { b } else { a }
    }
}

impl Num {
    pub fn value(self) -> f64 {
        match self {
            Num::Py(x) | Num::T(x) => x,
        }
    }
}

/// A copy of a tensor's elements that later writes to it do not reach (`clone()`).
fn copy(t: &Tensor) -> Tensor {
    Tensor::from_storage((*t.storage()).clone())
}

/// A 0-d tensor's value as a `Num::T`.
fn tnum(t: &Tensor) -> Result<Num> {
    Ok(Num::T(t.item()?.as_f64()))
}

/// `optim.LBFGS` settings; `Default` is PyTorch's.
#[derive(Debug, Clone, PartialEq)]
pub struct LbfgsConfig {
    pub lr: f64,
    pub max_iter: i64,
    pub max_eval: i64,
    pub tolerance_grad: f64,
    pub tolerance_change: f64,
    pub history_size: usize,
    /// `line_search_fn`: `None`, or a name (only `strong_wolfe` runs; another fails when the
    /// step reaches its line search, as in PyTorch).
    pub line_search_fn: Option<String>,
    pub maximize: bool,
}

impl Default for LbfgsConfig {
    fn default() -> Self {
        LbfgsConfig {
            lr: 1.0,
            max_iter: 20,
            max_eval: 25,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            history_size: 100,
            line_search_fn: None,
            maximize: false,
        }
    }
}

/// What PyTorch keeps in `state[params[0]]` between steps.
#[derive(Clone, Default)]
struct LbfgsState {
    func_evals: i64,
    n_iter: i64,
    d: Option<Tensor>,
    t: Option<Num>,
    old_dirs: Vec<Tensor>,
    old_stps: Vec<Tensor>,
    ro: Vec<Num>,
    h_diag: Option<Num>,
    prev_flat_grad: Option<Tensor>,
    prev_loss: Option<f64>,
    al: Vec<Option<Num>>,
}

#[derive(Clone)]
pub struct Lbfgs {
    pub params: Vec<Tensor>,
    pub cfg: LbfgsConfig,
    state: LbfgsState,
}

impl Lbfgs {
    pub fn new(params: Vec<Tensor>, cfg: LbfgsConfig) -> Self {
        Lbfgs { params, cfg, state: LbfgsState::default() }
    }

    pub fn zero_grad(&mut self, set_to_none: bool) -> Result<()> {
        zero_grads(&self.params, set_to_none)
    }

    fn arith(&self) -> Arith {
        Arith { f32: self.params.first().is_none_or(|p| p.dtype() == DType::Float32) }
    }

    /// `_gather_flat_grad`: every parameter's gradient flattened (zeros for a missing one),
    /// concatenated, negated under `maximize`.
    fn flat_grad(&self) -> Result<Tensor> {
        let mut views = Vec::with_capacity(self.params.len());
        for p in &self.params {
            views.push(match p.grad() {
                Some(g) => g.reshape(&[-1])?,
                None => Tensor::full(&[p.numel()], Scalar::Int(0), p.dtype()),
            });
        }
        let flat = Tensor::cat(&views, 0)?;
        if self.cfg.maximize { flat.neg() } else { Ok(flat) }
    }

    /// `_add_grad`: `p.add_(update[offset:offset + numel].view_as(p), alpha=step)`.
    fn add_grad(&self, step: Num, update: &Tensor) -> Result<()> {
        let mut offset = 0i64;
        for p in &self.params {
            let n = p.numel() as i64;
            let shape: Vec<isize> = p.shape().iter().map(|&s| s as isize).collect();
            let part = update.narrow(0, offset, n)?.reshape(&shape)?;
            let new = p.add_alpha(&part, step.value())?;
            p.replace_storage((*new.storage()).clone())?;
            offset += n;
        }
        Ok(())
    }

    /// `float(closure())`, negated under `maximize`.
    fn loss_of<E>(&self, eval: &mut dyn FnMut() -> std::result::Result<f64, E>) -> std::result::Result<f64, E> {
        let l = with_grad_mode(true, &mut *eval)?;
        Ok(if self.cfg.maximize { -l } else { l })
    }

    /// `_directional_evaluate`: the loss and gradient at `x + t d`, the parameters put back.
    fn directional<E: From<TensorError>>(
        &self,
        eval: &mut dyn FnMut() -> std::result::Result<f64, E>,
        x: &[Tensor],
        t: Num,
        d: &Tensor,
    ) -> std::result::Result<(f64, Tensor), E> {
        self.add_grad(t, d)?;
        let loss = self.loss_of(eval)?;
        let g = self.flat_grad()?;
        for (p, v) in self.params.iter().zip(x) {
            p.replace_storage((*v.storage()).clone())?;
        }
        Ok((loss, g))
    }

    /// One `step(closure)`. `eval` runs the closure with grad mode on and returns
    /// `float(loss)`; the caller keeps the first call's value (`step`'s result).
    pub fn step<E: From<TensorError>>(&mut self, eval: &mut dyn FnMut() -> std::result::Result<f64, E>) -> std::result::Result<(), E> {
        no_grad(|| self.step_inner(eval))
    }

    fn step_inner<E: From<TensorError>>(&mut self, eval: &mut dyn FnMut() -> std::result::Result<f64, E>) -> std::result::Result<(), E> {
        let a = self.arith();
        let c = self.cfg.clone();
        let lr = Num::Py(c.lr);
        let tol_grad = Num::Py(c.tolerance_grad);
        let tol_change = Num::Py(c.tolerance_change);
        let mut loss = self.loss_of(eval)?;
        let mut current_evals = 1;
        self.state.func_evals += 1;
        let mut flat_grad = self.flat_grad()?;
        let mut opt_cond = a.le(tnum(&flat_grad.abs()?.max()?)?, tol_grad);
        if opt_cond {
            return Ok(());
        }
        let mut st = std::mem::take(&mut self.state);
        let result = (|| -> std::result::Result<(), E> {
            let mut n_iter = 0;
            while n_iter < c.max_iter {
                n_iter += 1;
                st.n_iter += 1;
                let d = if st.n_iter == 1 {
                    st.old_dirs.clear();
                    st.old_stps.clear();
                    st.ro.clear();
                    st.h_diag = Some(Num::Py(1.0));
                    flat_grad.neg()?
                } else {
                    let (Some(prev), Some(d), Some(t)) = (&st.prev_flat_grad, &st.d, st.t) else {
                        return Err(TensorError::runtime("LBFGS state is missing its previous step").into());
                    };
                    let y = flat_grad.sub(prev)?;
                    let s = d.mul_scalar(Scalar::Float(t.value()))?;
                    let ys = tnum(&y.dot(&s)?)?;
                    if a.gt(ys, Num::Py(1e-10)) {
                        if st.old_dirs.len() == c.history_size {
                            st.old_dirs.remove(0);
                            st.old_stps.remove(0);
                            st.ro.remove(0);
                        }
                        let yy = tnum(&y.dot(&y)?)?;
                        st.old_dirs.push(y);
                        st.old_stps.push(s);
                        st.ro.push(a.div(Num::Py(1.0), ys));
                        st.h_diag = Some(a.div(ys, yy));
                    }
                    let num_old = st.old_dirs.len();
                    if st.al.is_empty() {
                        st.al = vec![None; c.history_size];
                    }
                    let mut q = flat_grad.neg()?;
                    for i in (0..num_old).rev() {
                        let al = a.mul(tnum(&st.old_stps[i].dot(&q)?)?, st.ro[i]);
                        st.al[i] = Some(al);
                        q = q.add_alpha(&st.old_dirs[i], -al.value())?;
                    }
                    let h = st.h_diag.unwrap_or(Num::Py(1.0));
                    let mut r = q.mul_scalar(Scalar::Float(h.value()))?;
                    for i in 0..num_old {
                        let be_i = a.mul(tnum(&st.old_dirs[i].dot(&r)?)?, st.ro[i]);
                        let al = st.al[i].unwrap_or(Num::Py(0.0));
                        r = r.add_alpha(&st.old_stps[i], a.sub(al, be_i).value())?;
                    }
                    r
                };
                st.prev_flat_grad = Some(copy(&flat_grad));
                let prev_loss = loss;
                st.prev_loss = Some(loss);
                let mut t = if st.n_iter == 1 {
                    let inv = a.div(Num::Py(1.0), tnum(&flat_grad.abs()?.sum(None, false)?)?);
                    a.mul(a.min(Num::Py(1.0), inv), lr)
                } else {
                    lr
                };
                let gtd = tnum(&flat_grad.dot(&d)?)?;
                st.d = Some(d.clone());
                st.t = Some(t);
                if a.gt(gtd, Num::Py(-c.tolerance_change)) {
                    break;
                }
                let mut ls_func_evals = 0;
                if let Some(name) = &c.line_search_fn {
                    if name != "strong_wolfe" {
                        return Err(TensorError::runtime("only 'strong_wolfe' is supported").into());
                    }
                    let x_init: Vec<Tensor> = self.params.iter().map(copy).collect();
                    let max_ls = c.max_eval - current_evals;
                    let (l, g, tt, evals) = self.strong_wolfe(eval, &x_init, t, &d, loss, &flat_grad, gtd, max_ls)?;
                    loss = l;
                    flat_grad = g;
                    t = tt;
                    ls_func_evals = evals;
                    st.t = Some(t);
                    self.add_grad(t, &d)?;
                    opt_cond = a.le(tnum(&flat_grad.abs()?.max()?)?, tol_grad);
                } else {
                    self.add_grad(t, &d)?;
                    if n_iter != c.max_iter {
                        loss = self.loss_of(eval)?;
                        flat_grad = self.flat_grad()?;
                        opt_cond = a.le(tnum(&flat_grad.abs()?.max()?)?, tol_grad);
                        ls_func_evals = 1;
                    }
                }
                current_evals += ls_func_evals;
                st.func_evals += ls_func_evals;
                if n_iter == c.max_iter || current_evals >= c.max_eval || opt_cond {
                    break;
                }
                let dt = tnum(&d.mul_scalar(Scalar::Float(t.value()))?.abs()?.max()?)?;
                if a.le(dt, tol_change) {
                    break;
                }
                if (loss - prev_loss).abs() < c.tolerance_change {
                    break;
                }
            }
            Ok(())
        })();
        self.state = st;
        result
    }

    /// `_cubic_interpolate`: the minimiser of the cubic through two points with their slopes,
    /// clamped to `bounds` (the points' interval when none are given).
    #[allow(clippy::too_many_arguments)]
    fn cubic(a: Arith, x1: Num, f1: Num, g1: Num, x2: Num, f2: Num, g2: Num, bounds: Option<(Num, Num)>) -> Num {
        let (lo, hi) = bounds.unwrap_or(if a.le(x1, x2) { (x1, x2) } else { (x2, x1) });
        let d1 = a.sub(a.add(g1, g2), a.div(a.mul(Num::Py(3.0), a.sub(f1, f2)), a.sub(x1, x2)));
        let d2_square = a.sub(a.square(d1), a.mul(g1, g2));
        if a.ge(d2_square, Num::Py(0.0)) {
            let d2 = a.sqrt(d2_square);
            let min_pos = if a.le(x1, x2) {
                let frac = a.div(a.sub(a.add(g2, d2), d1), a.add(a.sub(g2, g1), a.mul(Num::Py(2.0), d2)));
                a.sub(x2, a.mul(a.sub(x2, x1), frac))
            } else {
                let frac = a.div(a.sub(a.add(g1, d2), d1), a.add(a.sub(g1, g2), a.mul(Num::Py(2.0), d2)));
                a.sub(x1, a.mul(a.sub(x1, x2), frac))
            };
            a.min(a.max(min_pos, lo), hi)
        } else {
            a.div(a.add(lo, hi), Num::Py(2.0))
        }
    }

    /// `_strong_wolfe`: a bracketing phase, then zooming with cubic interpolation, until the
    /// strong Wolfe conditions hold or `max_ls` evaluations are spent. Returns the loss, the
    /// flat gradient and the step at the point chosen, and the evaluations used.
    #[allow(clippy::too_many_arguments)]
    fn strong_wolfe<E: From<TensorError>>(
        &self,
        eval: &mut dyn FnMut() -> std::result::Result<f64, E>,
        x: &[Tensor],
        mut t: Num,
        d: &Tensor,
        f: f64,
        g: &Tensor,
        gtd: Num,
        max_ls: i64,
    ) -> std::result::Result<(f64, Tensor, Num, i64), E> {
        let a = self.arith();
        let (c1, c2, tolerance_change) = (Num::Py(1e-4), Num::Py(0.9), Num::Py(1e-9));
        let d_norm = tnum(&d.abs()?.max()?)?;
        let g = copy(g);
        let (mut f_new, mut g_new) = self.directional(eval, x, t, d)?;
        let mut evals = 1;
        let mut gtd_new = tnum(&g_new.dot(d)?)?;
        let (mut t_prev, mut f_prev, mut g_prev, mut gtd_prev) = (Num::Py(0.0), f, g.clone(), gtd);
        let mut done = false;
        let mut ls_iter = 0;
        let neg_c2_gtd = a.mul(Num::Py(-c2.value()), gtd);
        let armijo = |t: Num| a.add(Num::Py(f), a.mul(a.mul(c1, t), gtd));
        let mut bracket: Vec<Num> = Vec::new();
        let mut bracket_f: Vec<f64> = Vec::new();
        let mut bracket_g: Vec<Tensor> = Vec::new();
        let mut bracket_gtd: Vec<Num> = Vec::new();
        while ls_iter < max_ls {
            if a.gt(Num::Py(f_new), armijo(t)) || (ls_iter > 1 && f_new >= f_prev) {
                bracket = vec![t_prev, t];
                bracket_f = vec![f_prev, f_new];
                bracket_g = vec![g_prev.clone(), g_new.clone()];
                bracket_gtd = vec![gtd_prev, gtd_new];
                break;
            }
            if a.le(a.abs(gtd_new), neg_c2_gtd) {
                bracket = vec![t];
                bracket_f = vec![f_new];
                bracket_g = vec![g_new.clone()];
                done = true;
                break;
            }
            if a.ge(gtd_new, Num::Py(0.0)) {
                bracket = vec![t_prev, t];
                bracket_f = vec![f_prev, f_new];
                bracket_g = vec![g_prev.clone(), g_new.clone()];
                bracket_gtd = vec![gtd_prev, gtd_new];
                break;
            }
            let min_step = a.add(t, a.mul(Num::Py(0.01), a.sub(t, t_prev)));
            let max_step = a.mul(t, Num::Py(10.0));
            let tmp = t;
            t = Self::cubic(a, t_prev, Num::Py(f_prev), gtd_prev, t, Num::Py(f_new), gtd_new, Some((min_step, max_step)));
            t_prev = tmp;
            f_prev = f_new;
            g_prev = g_new.clone();
            gtd_prev = gtd_new;
            (f_new, g_new) = self.directional(eval, x, t, d)?;
            evals += 1;
            gtd_new = tnum(&g_new.dot(d)?)?;
            ls_iter += 1;
        }
        if ls_iter == max_ls {
            bracket = vec![Num::Py(0.0), t];
            bracket_f = vec![f, f_new];
            bracket_g = vec![g.clone(), g_new.clone()];
        }
        if bracket.is_empty() {
            // `max_ls` was not positive: PyTorch's own code fails here on an unbound name.
            return Err(TensorError::runtime("cannot access local variable 'bracket' where it is not associated with a value").into());
        }
        let last = bracket_f.len() - 1;
        let (mut low, mut high) = if bracket_f[0] <= bracket_f[last] { (0, 1) } else { (1, 0) };
        let mut insuf_progress = false;
        let bmax = |b: &[Num]| b.iter().skip(1).fold(b[0], |m, &v| a.max(m, v));
        let bmin = |b: &[Num]| b.iter().skip(1).fold(b[0], |m, &v| a.min(m, v));
        while !done && ls_iter < max_ls {
            if bracket.len() < 2 || bracket_gtd.len() < 2 {
                return Err(TensorError::runtime("name 'bracket_gtd' is not defined").into());
            }
            if a.lt(a.mul(a.abs(a.sub(bracket[1], bracket[0])), d_norm), tolerance_change) {
                break;
            }
            t = Self::cubic(a, bracket[0], Num::Py(bracket_f[0]), bracket_gtd[0], bracket[1], Num::Py(bracket_f[1]), bracket_gtd[1], None);
            let (mx, mn) = (bmax(&bracket), bmin(&bracket));
            let eps = a.mul(Num::Py(0.1), a.sub(mx, mn));
            if a.lt(a.min(a.sub(mx, t), a.sub(t, mn)), eps) {
                if insuf_progress || a.ge(t, mx) || a.le(t, mn) {
                    t = if a.lt(a.abs(a.sub(t, mx)), a.abs(a.sub(t, mn))) { a.sub(mx, eps) } else { a.add(mn, eps) };
                    insuf_progress = false;
                } else {
                    insuf_progress = true;
                }
            } else {
                insuf_progress = false;
            }
            (f_new, g_new) = self.directional(eval, x, t, d)?;
            evals += 1;
            gtd_new = tnum(&g_new.dot(d)?)?;
            ls_iter += 1;
            if a.gt(Num::Py(f_new), armijo(t)) || f_new >= bracket_f[low] {
                bracket[high] = t;
                bracket_f[high] = f_new;
                bracket_g[high] = g_new.clone();
                bracket_gtd[high] = gtd_new;
                (low, high) = if bracket_f[0] <= bracket_f[1] { (0, 1) } else { (1, 0) };
            } else {
                if a.le(a.abs(gtd_new), neg_c2_gtd) {
                    done = true;
                } else if a.ge(a.mul(gtd_new, a.sub(bracket[high], bracket[low])), Num::Py(0.0)) {
                    bracket[high] = bracket[low];
                    bracket_f[high] = bracket_f[low];
                    bracket_g[high] = bracket_g[low].clone();
                    bracket_gtd[high] = bracket_gtd[low];
                }
                bracket[low] = t;
                bracket_f[low] = f_new;
                bracket_g[low] = g_new.clone();
                bracket_gtd[low] = gtd_new;
            }
        }
        Ok((bracket_f[low], bracket_g[low].clone(), bracket[low], evals))
    }
}
