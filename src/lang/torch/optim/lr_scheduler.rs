//! `torch.optim.lr_scheduler`: schedulers that rewrite each param group's `lr` on `step()`,
//! in PyTorch's chained (recursive) forms with Python float arithmetic, so the lrs agree to
//! the last digit.

use std::cell::{Cell, RefCell};

use super::lr_plateau::plateau;
use super::{PyOptimizer, R, dfloat, dget, dset};
use crate::lang::native::NativeObject;
use crate::lang::torch::class;
use crate::lang::torch::convert::{as_tensor, f64_arg};
use crate::lang::{Dict, Exception, Interpreter, Module, Value};

pub(super) const MODULE: &str = "torch.optim.lr_scheduler";

/// One-cycle annealing: cosine or linear.
#[derive(Clone, Copy, PartialEq)]
enum Anneal {
    Cos,
    Linear,
}

/// One phase of a OneCycleLR schedule: where it ends and the group keys it anneals between.
#[derive(Clone)]
struct Phase {
    end_step: f64,
    lr: (&'static str, &'static str),
    momentum: (&'static str, &'static str),
}

/// The learning-rate rule of a scheduler (PyTorch's `get_lr`).
#[derive(Clone)]
enum Rule {
    Step {
        step_size: i64,
        gamma: f64,
    },
    MultiStep {
        milestones: Vec<i64>,
        gamma: f64,
    },
    Exponential {
        gamma: f64,
    },
    Cosine {
        t_max: i64,
        eta_min: f64,
    },
    /// LambdaLR: `base_lr * f(epoch)`.
    Lambda {
        fns: Vec<Value>,
    },
    /// MultiplicativeLR: `lr * f(epoch)` after the initial step.
    Multiplicative {
        fns: Vec<Value>,
    },
    Constant {
        factor: f64,
        total_iters: i64,
    },
    Linear {
        start: f64,
        end: f64,
        total_iters: i64,
    },
    Polynomial {
        total_iters: i64,
        power: f64,
    },
    OneCycle {
        total_steps: i64,
        phases: Vec<Phase>,
        anneal: Anneal,
        cycle_momentum: bool,
        use_beta1: bool,
    },
    /// CosineAnnealingWarmRestarts: `T_cur`/`T_i` advance in its own `step` (they are floats
    /// once a fractional epoch is given, as in Python).
    WarmRestarts {
        t_0: i64,
        t_mult: i64,
        eta_min: f64,
        t_i: Cell<f64>,
        t_cur: Cell<f64>,
        t_cur_float: Cell<bool>,
    },
}

/// A `torch.optim.lr_scheduler` object (every kind but ReduceLROnPlateau).
pub struct PyScheduler {
    name: &'static str,
    optimizer: Value,
    rule: Rule,
    base_lrs: Vec<f64>,
    last_epoch: Cell<i64>,
    step_count: Cell<i64>,
    last_lr: RefCell<Vec<f64>>,
}

pub(super) fn groups_of(optimizer: &Value) -> R<Vec<Value>> {
    optimizer
        .downcast::<PyOptimizer>()
        .map(PyOptimizer::group_dicts)
        .ok_or_else(|| {
            Exception::type_error(format!("{} is not an Optimizer", optimizer.type_name()))
        })
}

pub(super) fn floats(v: &[f64]) -> Value {
    Value::list(v.iter().map(|&x| Value::Float(x)).collect())
}

/// Calls a user lambda with the epoch and reads its result as a Python number.
fn call_factor(interp: &mut Interpreter, f: &Value, epoch: i64) -> R<f64> {
    let r = interp.call_positional(f, vec![Value::Int(epoch)])?;
    if let Some(x) = r.as_f64() {
        return Ok(x);
    }
    match as_tensor(&r).map(|t| t.item()) {
        Some(Ok(s)) => Ok(s.as_f64()),
        _ => Err(Exception::type_error(format!(
            "unsupported operand type(s) for *: 'float' and '{}'",
            r.type_name()
        ))),
    }
}

fn anneal(kind: Anneal, start: f64, end: f64, pct: f64) -> f64 {
    match kind {
        Anneal::Cos => {
            let cos_out = (std::f64::consts::PI * pct).cos() + 1.0;
            end + (start - end) / 2.0 * cos_out
        }
        Anneal::Linear => (end - start) * pct + start,
    }
}

impl PyScheduler {
    fn groups(&self) -> R<Vec<Value>> {
        groups_of(&self.optimizer)
    }

    /// `get_lr()` at `last_epoch` for every group; `initial` is PyTorch's `_is_initial`.
    fn get_lr(&self, interp: &mut Interpreter, initial: bool) -> R<Vec<f64>> {
        let e = self.last_epoch.get();
        let groups = self.groups()?;
        let mut out = Vec::with_capacity(groups.len());
        for (i, g) in groups.iter().enumerate() {
            let lr = dfloat(g, "lr")?;
            let base = self.base_lrs.get(i).copied().unwrap_or(lr);
            out.push(match &self.rule {
                Rule::Step { step_size, gamma } => {
                    if e == 0 || e % step_size != 0 { lr } else { lr * gamma }
                }
                Rule::MultiStep { milestones, gamma } => {
                    let n = milestones.iter().filter(|&&m| m == e).count();
                    if n == 0 { lr } else { lr * gamma.powf(n as f64) }
                }
                Rule::Exponential { gamma } => {
                    if initial { lr } else { lr * gamma }
                }
                Rule::Cosine { t_max, eta_min } => {
                    let (t_max, eta_min) = (*t_max, *eta_min);
                    let pi = std::f64::consts::PI;
                    let t = t_max as f64;
                    if initial {
                        lr
                    } else if (e - 1 - t_max).rem_euclid(2 * t_max) == 0 {
                        lr + (base - eta_min) * (1.0 - (pi / t).cos()) / 2.0
                    } else {
                        (1.0 + (pi * e as f64 / t).cos()) / (1.0 + (pi * (e - 1) as f64 / t).cos()) * (lr - eta_min) + eta_min
                    }
                }
                Rule::Lambda { fns } => base * call_factor(interp, &fns[i.min(fns.len() - 1)], e)?,
                Rule::Multiplicative { fns } => {
                    if initial { lr } else { lr * call_factor(interp, &fns[i.min(fns.len() - 1)], e)? }
                }
                Rule::Constant { factor, total_iters } => {
                    if e == 0 {
                        lr * factor
                    } else if e != *total_iters {
                        lr
                    } else {
                        lr * (1.0 / factor)
                    }
                }
                Rule::Linear { start, end, total_iters } => {
                    if e == 0 {
                        lr * start
                    } else if initial || e > *total_iters {
                        lr
                    } else {
                        lr * (1.0 + (end - start) / (*total_iters as f64 * start + (e - 1) as f64 * (end - start)))
                    }
                }
                Rule::Polynomial { total_iters, power } => {
                    if initial || e > *total_iters {
                        lr
                    } else {
                        let t = *total_iters as f64;
                        lr * ((1.0 - e as f64 / t) / (1.0 - (e - 1) as f64 / t)).powf(*power)
                    }
                }
                Rule::OneCycle { total_steps, phases, anneal: kind, cycle_momentum, use_beta1 } => {
                    if e > *total_steps {
                        return Err(Exception::value_error(format!(
                            "Tried to step {e} times. The specified number of total steps is {total_steps}"
                        )));
                    }
                    let mut start_step = 0.0;
                    let mut computed = (lr, None);
                    for (k, p) in phases.iter().enumerate() {
                        if e as f64 <= p.end_step || k == phases.len() - 1 {
                            let pct = (e as f64 - start_step) / (p.end_step - start_step);
                            let lr = anneal(*kind, dfloat(g, p.lr.0)?, dfloat(g, p.lr.1)?, pct);
                            let m = if *cycle_momentum {
                                Some(anneal(*kind, dfloat(g, p.momentum.0)?, dfloat(g, p.momentum.1)?, pct))
                            } else {
                                None
                            };
                            computed = (lr, m);
                            break;
                        }
                        start_step = p.end_step;
                    }
                    if let Some(m) = computed.1 {
                        set_momentum(g, m, *use_beta1)?;
                    }
                    computed.0
                }
                Rule::WarmRestarts { eta_min, t_i, t_cur, .. } => {
                    eta_min + (base - eta_min) * (1.0 + (std::f64::consts::PI * t_cur.get() / t_i.get()).cos()) / 2.0
                }
            });
        }
        Ok(out)
    }

    /// CosineAnnealingWarmRestarts' own `step(epoch)`: moves `T_cur`/`T_i` (a restart when
    /// `T_cur` reaches `T_i`), or recomputes them from an explicit (possibly fractional) epoch.
    fn warm_step(&self, epoch: Option<Value>) -> R<()> {
        let Rule::WarmRestarts {
            t_0,
            t_mult,
            t_i,
            t_cur,
            t_cur_float,
            ..
        } = &self.rule
        else {
            return Ok(());
        };
        let is_float = matches!(epoch, Some(Value::Float(_)));
        let epoch = match epoch {
            Some(v) => Some(v.as_f64().ok_or_else(|| {
                Exception::type_error(format!(
                    "'<' not supported between instances of '{}' and 'int'",
                    v.type_name()
                ))
            })?),
            None => None,
        };
        let (t0, tm) = (*t_0 as f64, *t_mult as f64);
        let epoch = match epoch {
            None if self.last_epoch.get() < 0 => Some(0.0),
            e => e,
        };
        let epoch = match epoch {
            None => {
                t_cur.set(t_cur.get() + 1.0);
                if t_cur.get() >= t_i.get() {
                    t_cur.set(t_cur.get() % t_i.get());
                    t_i.set(t_i.get() * tm);
                }
                (self.last_epoch.get() + 1) as f64
            }
            Some(e) => {
                if e < 0.0 {
                    return Err(Exception::value_error(format!(
                        "Expected non-negative epoch, but got {}",
                        if is_float {
                            crate::lang::format::float_repr(e)
                        } else {
                            (e as i64).to_string()
                        }
                    )));
                }
                if e >= t0 {
                    if *t_mult == 1 {
                        t_cur.set(e % t0);
                        t_cur_float.set(is_float);
                    } else {
                        t_cur_float.set(true);
                        let n = ((e / t0 * (tm - 1.0) + 1.0).ln() / tm.ln()) as i64;
                        let p = t_mult.pow(n as u32);
                        t_cur.set(e - (t_0 * (p - 1)) as f64 / (tm - 1.0));
                        t_i.set((t_0 * p) as f64);
                    }
                } else {
                    t_i.set(t0);
                    t_cur.set(e);
                    t_cur_float.set(is_float);
                }
                e
            }
        };
        self.last_epoch.set(epoch.floor() as i64);
        Ok(())
    }

    /// One `step()`: the epoch advances and each group's lr is rewritten.
    fn advance(&self, interp: &mut Interpreter, initial: bool) -> R<()> {
        if let Rule::WarmRestarts { .. } = self.rule {
            // Its overriding `step` leaves `_step_count` alone.
            self.warm_step(None)?;
        } else {
            self.step_count.set(self.step_count.get() + 1);
            self.last_epoch.set(self.last_epoch.get() + 1);
        }
        let lrs = self.get_lr(interp, initial)?;
        for (g, &lr) in self.groups()?.iter().zip(&lrs) {
            dset(g, "lr", Value::Float(lr))?;
        }
        let mut last = Vec::new();
        for g in self.groups()? {
            last.push(dfloat(&g, "lr")?);
        }
        *self.last_lr.borrow_mut() = last;
        Ok(())
    }

    /// `state_dict()`: the scheduler's `__dict__` without the optimizer, in PyTorch's order.
    fn state_dict(&self) -> R<Value> {
        let mut d = Dict::new();
        let mut put = |k: &str, v: Value| d.insert(Value::str(k), v);
        match &self.rule {
            Rule::Step { step_size, gamma } => {
                put("step_size", Value::Int(*step_size))?;
                put("gamma", Value::Float(*gamma))?;
            }
            Rule::Exponential { gamma } => put("gamma", Value::Float(*gamma))?,
            Rule::Cosine { t_max, eta_min } => {
                put("T_max", Value::Int(*t_max))?;
                put("eta_min", Value::Float(*eta_min))?;
            }
            Rule::Constant {
                factor,
                total_iters,
            } => {
                put("factor", Value::Float(*factor))?;
                put("total_iters", Value::Int(*total_iters))?;
            }
            Rule::Linear {
                start,
                end,
                total_iters,
            } => {
                put("start_factor", Value::Float(*start))?;
                put("end_factor", Value::Float(*end))?;
                put("total_iters", Value::Int(*total_iters))?;
            }
            Rule::Polynomial { total_iters, power } => {
                put("total_iters", Value::Int(*total_iters))?;
                put("power", Value::Float(*power))?;
            }
            Rule::Lambda { .. } | Rule::Multiplicative { .. } => {}
            Rule::MultiStep { .. } | Rule::OneCycle { .. } | Rule::WarmRestarts { .. } => {
                return Err(Exception::runtime_error(format!(
                    "unsupported: {}.state_dict()",
                    self.name
                )));
            }
        }
        put("base_lrs", floats(&self.base_lrs))?;
        put("last_epoch", Value::Int(self.last_epoch.get()))?;
        put("_step_count", Value::Int(self.step_count.get()))?;
        put("_is_initial", Value::Bool(false))?;
        put("_get_lr_called_within_step", Value::Bool(false))?;
        put("_last_lr", floats(&self.last_lr.borrow()))?;
        if let Rule::Lambda { fns } | Rule::Multiplicative { fns } = &self.rule {
            // Plain functions and lambdas are saved as None (only callable objects keep a dict).
            put(
                "lr_lambdas",
                Value::list(fns.iter().map(|_| Value::None).collect()),
            )?;
        }
        Ok(Value::dict(d))
    }
}

fn set_momentum(g: &Value, m: f64, use_beta1: bool) -> R<()> {
    if !use_beta1 {
        return dset(g, "momentum", Value::Float(m));
    }
    let mut betas = match &dget(g, "betas")? {
        Some(Value::Tuple(t)) => t.to_vec(),
        Some(Value::List(l)) => l.borrow().clone(),
        _ => Vec::new(),
    };
    if betas.is_empty() {
        betas.push(Value::Float(m));
    } else {
        betas[0] = Value::Float(m);
    }
    dset(g, "betas", Value::tuple(betas))
}

impl NativeObject for PyScheduler {
    fn type_name(&self) -> &str {
        self.name
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        let rule = match &self.rule {
            Rule::Lambda { fns } => Rule::Lambda {
                fns: fns.iter().map(|f| c.value(f)).collect::<Option<_>>()?,
            },
            Rule::Multiplicative { fns } => Rule::Multiplicative {
                fns: fns.iter().map(|f| c.value(f)).collect::<Option<_>>()?,
            },
            r => r.clone(),
        };
        Some(Value::native(PyScheduler {
            name: self.name,
            optimizer: c.value(&self.optimizer)?,
            rule,
            base_lrs: self.base_lrs.clone(),
            last_epoch: Cell::new(self.last_epoch.get()),
            step_count: Cell::new(self.step_count.get()),
            last_lr: RefCell::new(self.last_lr.borrow().clone()),
        }))
    }
    fn module_name(&self) -> Option<&str> {
        Some(MODULE)
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "last_epoch" => Value::Int(self.last_epoch.get()),
            "_step_count" => Value::Int(self.step_count.get()),
            "base_lrs" => floats(&self.base_lrs),
            "optimizer" => self.optimizer.clone(),
            "T_cur" | "T_i" => match &self.rule {
                Rule::WarmRestarts {
                    t_i,
                    t_cur,
                    t_cur_float,
                    ..
                } => {
                    // `T_i` stays an int; `T_cur` is a float once a float epoch is given.
                    if name == "T_i" {
                        Value::Int(t_i.get() as i64)
                    } else if t_cur_float.get() {
                        Value::Float(t_cur.get())
                    } else {
                        Value::Int(t_cur.get() as i64)
                    }
                }
                _ => return Ok(None),
            },
            "total_steps" => match &self.rule {
                Rule::OneCycle { total_steps, .. } => Value::Int(*total_steps),
                _ => return Ok(None),
            },
            "get_last_lr" => Value::method(this.clone(), "get_last_lr", |_, args| {
                let [] = args.bind(&[])?;
                let s = args.this_native::<PyScheduler>()?;
                Ok(floats(&s.last_lr.borrow()))
            }),
            "state_dict" => Value::method(this.clone(), "state_dict", |_, args| {
                let [] = args.bind(&[])?;
                args.this_native::<PyScheduler>()?.state_dict()
            }),
            "step" => Value::method(this.clone(), "step", |interp, args| {
                let [epoch] = args.bind(&["epoch="])?;
                let s = args.this_native::<PyScheduler>()?;
                if !matches!(epoch, None | Some(Value::None)) {
                    let Rule::WarmRestarts { .. } = s.rule else {
                        return Err(Exception::runtime_error(
                            "unsupported: scheduler.step(epoch) (deprecated in PyTorch)",
                        ));
                    };
                    s.warm_step(epoch)?;
                    let lrs = s.get_lr(interp, false)?;
                    for (g, &lr) in s.groups()?.iter().zip(&lrs) {
                        dset(g, "lr", Value::Float(lr))?;
                    }
                    *s.last_lr.borrow_mut() = lrs;
                    return Ok(Value::None);
                }
                s.advance(interp, false)?;
                Ok(Value::None)
            }),
            _ => return Ok(None),
        }))
    }
}

/// PyTorch's `LRScheduler.__init__` with `last_epoch=-1`: records `initial_lr` in each group
/// and takes the initial step to epoch 0.
fn scheduler(
    interp: &mut Interpreter,
    name: &'static str,
    optimizer: Option<Value>,
    last_epoch: Option<Value>,
    rule: Rule,
) -> R<Value> {
    let optimizer = optimizer.unwrap_or(Value::None);
    if !matches!(last_epoch, None | Some(Value::None) | Some(Value::Int(-1))) {
        return Err(Exception::runtime_error(
            "unsupported: resuming a scheduler with last_epoch >= 0",
        ));
    }
    let mut base = Vec::new();
    for g in groups_of(&optimizer)? {
        let lr = match dget(&g, "initial_lr")? {
            Some(v) => v,
            None => {
                let lr = dget(&g, "lr")?.unwrap_or(Value::Float(0.0));
                dset(&g, "initial_lr", lr.clone())?;
                lr
            }
        };
        base.push(lr.as_f64().unwrap_or(0.0));
    }
    let s = PyScheduler {
        name,
        optimizer,
        rule,
        base_lrs: base,
        last_epoch: Cell::new(-1),
        step_count: Cell::new(0),
        last_lr: RefCell::new(Vec::new()),
    };
    s.advance(interp, true)?;
    Ok(Value::native(s))
}

pub(super) fn int_arg(v: Option<Value>, default: i64, what: &str) -> R<i64> {
    match v {
        None | Some(Value::None) => Ok(default),
        Some(v) => v.expect_int(what),
    }
}

/// `lr_lambda`: one function for every group or a list with one per group.
fn lambdas(optimizer: &Option<Value>, f: Option<Value>) -> R<Vec<Value>> {
    let n = groups_of(optimizer.as_ref().unwrap_or(&Value::None))?.len();
    let f = f.unwrap_or(Value::None);
    let fns = match &f {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        _ => return Ok(vec![f; n.max(1)]),
    };
    if fns.len() != n {
        return Err(Exception::value_error(format!(
            "Expected {n} lr_lambdas, but got {}",
            fns.len()
        )));
    }
    if fns.is_empty() {
        return Ok(vec![Value::None]);
    }
    Ok(fns)
}

/// A per-group float parameter: one number for all groups or a list with one per group.
fn per_group(name: &str, optimizer: &Value, v: Option<Value>, default: f64) -> R<Vec<f64>> {
    let n = groups_of(optimizer)?.len();
    match &v {
        Some(Value::List(l)) => {
            let l = l.borrow();
            if l.len() != n {
                return Err(Exception::value_error(format!(
                    "expected {n} values for {name}, got {}",
                    l.len()
                )));
            }
            l.iter().map(|x| f64_arg(Some(x), default, name)).collect()
        }
        v => Ok(vec![f64_arg(v.as_ref(), default, name)?; n]),
    }
}

fn one_cycle(interp: &mut Interpreter, args: crate::lang::native::Args) -> R<Value> {
    let [
        opt,
        max_lr,
        total_steps,
        epochs,
        steps_per_epoch,
        pct_start,
        anneal_strategy,
        cycle_momentum,
        base_momentum,
        max_momentum,
        div_factor,
        final_div_factor,
        three_phase,
        last_epoch,
    ] = args.bind(&[
        "optimizer",
        "max_lr",
        "total_steps=",
        "epochs=",
        "steps_per_epoch=",
        "pct_start=",
        "anneal_strategy=",
        "cycle_momentum=",
        "base_momentum=",
        "max_momentum=",
        "div_factor=",
        "final_div_factor=",
        "three_phase=",
        "last_epoch=",
    ])?;
    let optimizer = opt.clone().unwrap_or(Value::None);
    let groups = groups_of(&optimizer)?;
    let total = match (total_steps, epochs, steps_per_epoch) {
        (Some(t), _, _) if !matches!(t, Value::None) => {
            let t = t.expect_int("total_steps")?;
            if t <= 0 {
                return Err(Exception::value_error(format!(
                    "Expected positive integer total_steps, but got {t}"
                )));
            }
            t
        }
        (_, Some(e), Some(s)) if !matches!(e, Value::None) && !matches!(s, Value::None) => {
            let (e, s) = (e.expect_int("epochs")?, s.expect_int("steps_per_epoch")?);
            if e <= 0 {
                return Err(Exception::value_error(format!(
                    "Expected positive integer epochs, but got {e}"
                )));
            }
            if s <= 0 {
                return Err(Exception::value_error(format!(
                    "Expected positive integer steps_per_epoch, but got {s}"
                )));
            }
            e * s
        }
        _ => {
            return Err(Exception::value_error(
                "You must define either total_steps OR (epochs AND steps_per_epoch)",
            ));
        }
    };
    let pct = f64_arg(pct_start.as_ref(), 0.3, "pct_start")?;
    let t = total as f64;
    let phases = if matches!(three_phase, Some(Value::Bool(true))) {
        vec![
            Phase {
                end_step: pct * t - 1.0,
                lr: ("initial_lr", "max_lr"),
                momentum: ("max_momentum", "base_momentum"),
            },
            Phase {
                end_step: 2.0 * pct * t - 2.0,
                lr: ("max_lr", "initial_lr"),
                momentum: ("base_momentum", "max_momentum"),
            },
            Phase {
                end_step: t - 1.0,
                lr: ("initial_lr", "min_lr"),
                momentum: ("max_momentum", "max_momentum"),
            },
        ]
    } else {
        vec![
            Phase {
                end_step: pct * t - 1.0,
                lr: ("initial_lr", "max_lr"),
                momentum: ("max_momentum", "base_momentum"),
            },
            Phase {
                end_step: t - 1.0,
                lr: ("max_lr", "min_lr"),
                momentum: ("base_momentum", "max_momentum"),
            },
        ]
    };
    if !(0.0..=1.0).contains(&pct) || !matches!(pct_start, None | Some(Value::Float(_))) {
        return Err(Exception::value_error(format!(
            "Expected float between 0 and 1 pct_start, but got {}",
            pct_start.map_or("0.3".into(), |v| v.to_str())
        )));
    }
    let kind = match anneal_strategy.as_ref().map(Value::to_str).as_deref() {
        None | Some("cos") => Anneal::Cos,
        Some("linear") => Anneal::Linear,
        Some(o) => {
            return Err(Exception::value_error(format!(
                "anneal_strategy must be one of 'cos' or 'linear', instead got {o}"
            )));
        }
    };
    let max_lrs = per_group("max_lr", &optimizer, max_lr, 0.0)?;
    let div = f64_arg(div_factor.as_ref(), 25.0, "div_factor")?;
    let final_div = f64_arg(final_div_factor.as_ref(), 1e4, "final_div_factor")?;
    for (g, &m) in groups.iter().zip(&max_lrs) {
        let initial = m / div;
        dset(g, "initial_lr", Value::Float(initial))?;
        dset(g, "max_lr", Value::Float(m))?;
        dset(g, "min_lr", Value::Float(initial / final_div))?;
    }
    let cycle = !matches!(cycle_momentum, Some(Value::Bool(false)));
    let mut use_beta1 = false;
    if cycle {
        let first = groups.first().cloned().unwrap_or(Value::None);
        let has_betas = dget(&first, "betas")?.is_some();
        if dget(&first, "momentum")?.is_none() && !has_betas {
            return Err(Exception::value_error(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
            ));
        }
        use_beta1 = has_betas;
        let maxm = per_group("max_momentum", &optimizer, max_momentum, 0.95)?;
        let basem = per_group("base_momentum", &optimizer, base_momentum, 0.85)?;
        for ((g, &mm), &bm) in groups.iter().zip(&maxm).zip(&basem) {
            set_momentum(g, mm, use_beta1)?;
            dset(g, "max_momentum", Value::Float(mm))?;
            dset(g, "base_momentum", Value::Float(bm))?;
        }
    }
    let rule = Rule::OneCycle {
        total_steps: total,
        phases,
        anneal: kind,
        cycle_momentum: cycle,
        use_beta1,
    };
    scheduler(interp, "OneCycleLR", opt, last_epoch, rule)
}

pub fn lr_scheduler_module() -> Module {
    let m = Module::new(MODULE);
    m.set(
        "StepLR",
        class("StepLR", MODULE, |interp, args| {
            let [opt, step_size, gamma, last_epoch] =
                args.bind(&["optimizer", "step_size", "gamma=", "last_epoch="])?;
            // PyTorch takes any number (`epoch % step_size` in Python); a whole float such as the
            // transformer tutorial's `1.0` schedules as its integer does.
            let step_size = match step_size {
                Some(Value::Float(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
                Some(Value::Float(f)) => {
                    return Err(Exception::unsupported(format!("StepLR with a fractional step_size ({f})")));
                }
                v => int_arg(v, 1, "step_size")?,
            };
            if step_size <= 0 {
                return Err(Exception::value_error("step_size must be positive"));
            }
            scheduler(
                interp,
                "StepLR",
                opt,
                last_epoch,
                Rule::Step {
                    step_size,
                    gamma: f64_arg(gamma.as_ref(), 0.1, "gamma")?,
                },
            )
        }),
    );
    m.set(
        "MultiStepLR",
        class("MultiStepLR", MODULE, |interp, args| {
            let [opt, milestones, gamma, last_epoch] =
                args.bind(&["optimizer", "milestones", "gamma=", "last_epoch="])?;
            let milestones = interp
                .iterate(&milestones.unwrap_or(Value::None))?
                .iter()
                .map(|v| v.expect_int("milestones"))
                .collect::<R<Vec<_>>>()?;
            scheduler(
                interp,
                "MultiStepLR",
                opt,
                last_epoch,
                Rule::MultiStep {
                    milestones,
                    gamma: f64_arg(gamma.as_ref(), 0.1, "gamma")?,
                },
            )
        }),
    );
    m.set(
        "ExponentialLR",
        class("ExponentialLR", MODULE, |interp, args| {
            let [opt, gamma, last_epoch] = args.bind(&["optimizer", "gamma", "last_epoch="])?;
            scheduler(
                interp,
                "ExponentialLR",
                opt,
                last_epoch,
                Rule::Exponential {
                    gamma: f64_arg(gamma.as_ref(), 0.1, "gamma")?,
                },
            )
        }),
    );
    m.set(
        "CosineAnnealingLR",
        class("CosineAnnealingLR", MODULE, |interp, args| {
            let [opt, t_max, eta_min, last_epoch] =
                args.bind(&["optimizer", "T_max", "eta_min=", "last_epoch="])?;
            let t_max = int_arg(t_max, 1, "T_max")?;
            if t_max <= 0 {
                return Err(Exception::value_error("T_max must be positive"));
            }
            scheduler(
                interp,
                "CosineAnnealingLR",
                opt,
                last_epoch,
                Rule::Cosine {
                    t_max,
                    eta_min: f64_arg(eta_min.as_ref(), 0.0, "eta_min")?,
                },
            )
        }),
    );
    m.set(
        "LambdaLR",
        class("LambdaLR", MODULE, |interp, args| {
            let [opt, f, last_epoch] = args.bind(&["optimizer", "lr_lambda", "last_epoch="])?;
            let fns = lambdas(&opt, f)?;
            scheduler(interp, "LambdaLR", opt, last_epoch, Rule::Lambda { fns })
        }),
    );
    m.set(
        "MultiplicativeLR",
        class("MultiplicativeLR", MODULE, |interp, args| {
            let [opt, f, last_epoch] = args.bind(&["optimizer", "lr_lambda", "last_epoch="])?;
            let fns = lambdas(&opt, f)?;
            scheduler(
                interp,
                "MultiplicativeLR",
                opt,
                last_epoch,
                Rule::Multiplicative { fns },
            )
        }),
    );
    m.set(
        "ConstantLR",
        class("ConstantLR", MODULE, |interp, args| {
            let [opt, factor, total_iters, last_epoch] =
                args.bind(&["optimizer", "factor=", "total_iters=", "last_epoch="])?;
            let factor = f64_arg(factor.as_ref(), 1.0 / 3.0, "factor")?;
            if !(0.0..=1.0).contains(&factor) {
                return Err(Exception::value_error(
                    "Constant multiplicative factor expected to be between 0 and 1.",
                ));
            }
            let total_iters = int_arg(total_iters, 5, "total_iters")?;
            scheduler(
                interp,
                "ConstantLR",
                opt,
                last_epoch,
                Rule::Constant {
                    factor,
                    total_iters,
                },
            )
        }),
    );
    m.set("LinearLR", class("LinearLR", MODULE, |interp, args| {
        let [opt, start, end, total_iters, last_epoch] = args.bind(&["optimizer", "start_factor=", "end_factor=", "total_iters=", "last_epoch="])?;
        let start = f64_arg(start.as_ref(), 1.0 / 3.0, "start_factor")?;
        let end = f64_arg(end.as_ref(), 1.0, "end_factor")?;
        if start > 1.0 || start <= 0.0 {
            return Err(Exception::value_error("Starting multiplicative factor expected to be greater than 0 and less or equal to 1."));
        }
        if !(0.0..=1.0).contains(&end) {
            return Err(Exception::value_error("Ending multiplicative factor expected to be between 0 and 1."));
        }
        let total_iters = int_arg(total_iters, 5, "total_iters")?;
        scheduler(interp, "LinearLR", opt, last_epoch, Rule::Linear { start, end, total_iters })
    }));
    m.set(
        "PolynomialLR",
        class("PolynomialLR", MODULE, |interp, args| {
            let [opt, total_iters, power, last_epoch] =
                args.bind(&["optimizer", "total_iters=", "power=", "last_epoch="])?;
            let total_iters = int_arg(total_iters, 5, "total_iters")?;
            scheduler(
                interp,
                "PolynomialLR",
                opt,
                last_epoch,
                Rule::Polynomial {
                    total_iters,
                    power: f64_arg(power.as_ref(), 1.0, "power")?,
                },
            )
        }),
    );
    m.set("OneCycleLR", class("OneCycleLR", MODULE, one_cycle));
    m.set(
        "CosineAnnealingWarmRestarts",
        class("CosineAnnealingWarmRestarts", MODULE, |interp, args| {
            let [opt, t_0, t_mult, eta_min, last_epoch] =
                args.bind(&["optimizer", "T_0", "T_mult=", "eta_min=", "last_epoch="])?;
            let t_0v = t_0.unwrap_or(Value::None);
            let t_0 = match t_0v {
                Value::Int(t) if t > 0 => t,
                ref v => {
                    return Err(Exception::value_error(format!(
                        "Expected positive integer T_0, but got {}",
                        v.to_str()
                    )));
                }
            };
            let t_mult = match t_mult.unwrap_or(Value::Int(1)) {
                Value::Int(t) if t >= 1 => t,
                ref v => {
                    return Err(Exception::value_error(format!(
                        "Expected integer T_mult >= 1, but got {}",
                        v.to_str()
                    )));
                }
            };
            let eta_min = f64_arg(eta_min.as_ref(), 0.0, "eta_min")?;
            let rule = Rule::WarmRestarts {
                t_0,
                t_mult,
                eta_min,
                t_i: Cell::new(t_0 as f64),
                t_cur: Cell::new(-1.0),
                t_cur_float: Cell::new(false),
            };
            scheduler(interp, "CosineAnnealingWarmRestarts", opt, last_epoch, rule)
        }),
    );
    m.set(
        "ReduceLROnPlateau",
        class("ReduceLROnPlateau", MODULE, |_, args| plateau(args)),
    );
    m
}
