//! `torch.optim.lr_scheduler.ReduceLROnPlateau`: the one scheduler driven by a metric rather
//! than by its step count, with PyTorch's modes, thresholds, cooldown and `min_lr`.

use std::cell::{Cell, RefCell};

use super::lr_scheduler::{MODULE, floats, groups_of, int_arg};
use super::{R, dfloat, dset};
use crate::lang::native::NativeObject;
use crate::lang::torch::convert::{as_tensor, f64_arg};
use crate::lang::{Exception, Interpreter, Value};

/// `ReduceLROnPlateau`: lowers the lr when a metric stops improving.
pub struct PyPlateau {
    optimizer: Value,
    max_mode: bool,
    rel: bool,
    factor: f64,
    patience: i64,
    threshold: f64,
    cooldown: i64,
    min_lrs: Vec<f64>,
    eps: f64,
    best: Cell<f64>,
    num_bad_epochs: Cell<i64>,
    cooldown_counter: Cell<i64>,
    last_epoch: Cell<i64>,
    last_lr: RefCell<Vec<f64>>,
}

impl PyPlateau {
    fn is_better(&self, a: f64) -> bool {
        let best = self.best.get();
        match (self.max_mode, self.rel) {
            (false, true) => a < best * (1.0 - self.threshold),
            (false, false) => a < best - self.threshold,
            (true, true) => a > best * (self.threshold + 1.0),
            (true, false) => a > best + self.threshold,
        }
    }

    fn step(&self, current: f64) -> R<()> {
        self.last_epoch.set(self.last_epoch.get() + 1);
        if self.is_better(current) {
            self.best.set(current);
            self.num_bad_epochs.set(0);
        } else {
            self.num_bad_epochs.set(self.num_bad_epochs.get() + 1);
        }
        if self.cooldown_counter.get() > 0 {
            self.cooldown_counter.set(self.cooldown_counter.get() - 1);
            self.num_bad_epochs.set(0);
        }
        let groups = groups_of(&self.optimizer)?;
        if self.num_bad_epochs.get() > self.patience {
            for (i, g) in groups.iter().enumerate() {
                let old = dfloat(g, "lr")?;
                let min = self.min_lrs.get(i).copied().unwrap_or(0.0);
                let new = (old * self.factor).max(min);
                if old - new > self.eps {
                    dset(g, "lr", Value::Float(new))?;
                }
            }
            self.cooldown_counter.set(self.cooldown);
            self.num_bad_epochs.set(0);
        }
        let mut last = Vec::new();
        for g in &groups {
            last.push(dfloat(g, "lr")?);
        }
        *self.last_lr.borrow_mut() = last;
        Ok(())
    }
}

impl NativeObject for PyPlateau {
    fn type_name(&self) -> &str {
        "ReduceLROnPlateau"
    }
    fn snapshot(&self, c: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(PyPlateau {
            optimizer: c.value(&self.optimizer)?,
            min_lrs: self.min_lrs.clone(),
            best: Cell::new(self.best.get()),
            num_bad_epochs: Cell::new(self.num_bad_epochs.get()),
            cooldown_counter: Cell::new(self.cooldown_counter.get()),
            last_epoch: Cell::new(self.last_epoch.get()),
            last_lr: RefCell::new(self.last_lr.borrow().clone()),
            ..*self
        }))
    }
    fn module_name(&self) -> Option<&str> {
        Some(MODULE)
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "last_epoch" => Value::Int(self.last_epoch.get()),
            "best" => Value::Float(self.best.get()),
            "num_bad_epochs" => Value::Int(self.num_bad_epochs.get()),
            "cooldown_counter" => Value::Int(self.cooldown_counter.get()),
            "patience" => Value::Int(self.patience),
            "factor" => Value::Float(self.factor),
            "optimizer" => self.optimizer.clone(),
            "get_last_lr" => Value::method(this.clone(), "get_last_lr", |_, args| {
                let [] = args.bind(&[])?;
                Ok(floats(&args.this_native::<PyPlateau>()?.last_lr.borrow()))
            }),
            "step" => Value::method(this.clone(), "step", |_, args| {
                let [metrics, _epoch] = args.bind(&["metrics", "epoch="])?;
                let m = metrics.unwrap_or(Value::None);
                let current = match m.as_f64() {
                    Some(x) => x,
                    None => match as_tensor(&m).map(|t| t.item()) {
                        Some(Ok(s)) => s.as_f64(),
                        Some(Err(_)) => {
                            return Err(Exception::runtime_error(
                                "a Tensor with more than one element cannot be converted to Scalar",
                            ));
                        }
                        None => {
                            return Err(Exception::type_error(format!(
                                "float() argument must be a string or a real number, not '{}'",
                                m.type_name()
                            )));
                        }
                    },
                };
                args.this_native::<PyPlateau>()?.step(current)?;
                Ok(Value::None)
            }),
            _ => return Ok(None),
        }))
    }
}

pub(super) fn plateau(args: crate::lang::native::Args) -> R<Value> {
    let [
        opt,
        mode,
        factor,
        patience,
        threshold,
        threshold_mode,
        cooldown,
        min_lr,
        eps,
    ] = args.bind(&[
        "optimizer",
        "mode=",
        "factor=",
        "patience=",
        "threshold=",
        "threshold_mode=",
        "cooldown=",
        "min_lr=",
        "eps=",
    ])?;
    let factor = f64_arg(factor.as_ref(), 0.1, "factor")?;
    if factor >= 1.0 {
        return Err(Exception::value_error("Factor should be < 1.0."));
    }
    let optimizer = opt.unwrap_or(Value::None);
    let groups = groups_of(&optimizer)?;
    let min_lrs = match &min_lr {
        Some(Value::List(l)) => {
            let l = l.borrow().clone();
            if l.len() != groups.len() {
                return Err(Exception::value_error(format!(
                    "expected {} min_lrs, got {}",
                    groups.len(),
                    l.len()
                )));
            }
            l.iter()
                .map(|x| f64_arg(Some(x), 0.0, "min_lr"))
                .collect::<R<Vec<_>>>()?
        }
        v => vec![f64_arg(v.as_ref(), 0.0, "min_lr")?; groups.len()],
    };
    let mode = mode.map_or("min".to_string(), |v| v.to_str());
    let tmode = threshold_mode.map_or("rel".to_string(), |v| v.to_str());
    if mode != "min" && mode != "max" {
        return Err(Exception::value_error(format!("mode {mode} is unknown!")));
    }
    if tmode != "rel" && tmode != "abs" {
        return Err(Exception::value_error(format!(
            "threshold mode {tmode} is unknown!"
        )));
    }
    let max_mode = mode == "max";
    let mut last = Vec::new();
    for g in &groups {
        last.push(dfloat(g, "lr")?);
    }
    Ok(Value::native(PyPlateau {
        optimizer,
        max_mode,
        rel: tmode == "rel",
        factor,
        patience: int_arg(patience, 10, "patience")?,
        threshold: f64_arg(threshold.as_ref(), 1e-4, "threshold")?,
        cooldown: int_arg(cooldown, 0, "cooldown")?,
        min_lrs,
        eps: f64_arg(eps.as_ref(), 1e-8, "eps")?,
        best: Cell::new(if max_mode {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        num_bad_epochs: Cell::new(0),
        cooldown_counter: Cell::new(0),
        last_epoch: Cell::new(0),
        last_lr: RefCell::new(last),
    }))
}
