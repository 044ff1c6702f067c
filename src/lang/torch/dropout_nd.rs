//! `nn.Dropout1d`/`nn.Dropout3d` and `F.dropout1d`/`F.dropout3d`: channel-wise (feature)
//! dropout as `torch.nn.functional` writes it, an unbatched input given a batch dimension of
//! one (`unsqueeze(0)`, then `squeeze(0)`) around ATen's feature dropout, whose noise of shape
//! `(N, C, 1, ...)` is the one Dropout2d draws (conv.rs), so the draws are PyTorch's.

use std::any::Any;

use super::class;
use super::convert::{as_tensor, bool_arg, exc, f64_arg, tv};
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::format::float_repr;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::Tensor;

type R<T> = Result<T, Exception>;

/// What differs between `dropout1d` and `dropout3d`: the spatial dims and the ranks accepted.
#[derive(Clone, Copy)]
struct Kind {
    nd: usize,
}

impl Kind {
    fn fname(self) -> &'static str {
        if self.nd == 1 {
            "dropout1d"
        } else {
            "dropout3d"
        }
    }
    fn class(self) -> &'static str {
        if self.nd == 1 {
            "Dropout1d"
        } else {
            "Dropout3d"
        }
    }
}

fn check_p(p: f64) -> R<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(Exception::value_error(format!(
            "dropout probability has to be between 0 and 1, but got {}",
            float_repr(p)
        )))
    }
}

/// The functional form: `dropout1d` refuses ranks other than 2 and 3; `dropout3d` only warns
/// (warnings print nothing here) and treats any rank but 5 as unbatched, as PyTorch does.
fn dropout_nd(kind: Kind, x: &Tensor, p: f64, training: bool) -> R<Tensor> {
    check_p(p)?;
    let d = x.dim();
    let batched = if kind.nd == 1 {
        if d != 2 && d != 3 {
            return Err(Exception::runtime_error(format!(
                "dropout1d: Expected 2D or 3D input, but received a {d}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs)."
            )));
        }
        d == 3
    } else {
        d == 5
    };
    if batched {
        return super::conv::dropout2d(x, p, training);
    }
    let x1 = x.unsqueeze(0).map_err(exc)?;
    let y = super::conv::dropout2d(&x1, p, training)?;
    y.squeeze(Some(0)).map_err(exc)
}

fn functional(kind: Kind) -> Value {
    Value::builtin(kind.fname(), move |_, args| {
        let [x, p, training, _inplace] = args.bind(&["input", "p=", "training=", "inplace="])?;
        let x = x.as_ref().and_then(as_tensor).cloned().ok_or_else(|| {
            Exception::type_error(format!(
                "{}(): argument 'input' must be Tensor",
                kind.fname()
            ))
        })?;
        let p = f64_arg(p.as_ref(), 0.5, "p")?;
        Ok(tv(dropout_nd(
            kind,
            &x,
            p,
            bool_arg(training.as_ref(), true),
        )?))
    })
}

#[derive(Clone)]
struct DropoutNd {
    kind: Kind,
    p: f64,
    inplace: bool,
    /// The functional form, called through `inplace::call_inplace` for `inplace=True`.
    f: Value,
}

impl ExtLayer for DropoutNd {
    fn name(&self) -> &str {
        self.kind.class()
    }
    fn repr(&self) -> String {
        let inplace = if self.inplace { "True" } else { "False" };
        format!(
            "{}(p={}, inplace={inplace})",
            self.kind.class(),
            float_repr(self.p)
        )
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, training: bool) -> R<Value> {
        let [x] = args.bind(&["input"])?;
        let x = x.ok_or_else(|| {
            Exception::type_error("forward() missing 1 required positional argument: 'input'")
        })?;
        let inplace = self.inplace && as_tensor(&x).is_some();
        let call = Args {
            fname: self.kind.fname().into(),
            this: None,
            pos: vec![x, Value::Float(self.p), Value::Bool(training)],
            kw: Vec::new(),
        };
        super::inplace::call_inplace(interp, &self.f, call, inplace)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        match name {
            "p" => Some(Value::Float(self.p)),
            "inplace" => Some(Value::Bool(self.inplace)),
            _ => None,
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(self.clone()))
    }
}

/// Adds `nn.Dropout1d` and `nn.Dropout3d`.
pub fn register(m: &Module) {
    for nd in [1, 3] {
        let kind = Kind { nd };
        m.set(
            kind.class(),
            class(kind.class(), "torch.nn", move |_, args| {
                let [p, inplace] = args.bind(&["p=", "inplace="])?;
                let p = f64_arg(p.as_ref(), 0.5, "p")?;
                check_p(p)?;
                Ok(ext_module(DropoutNd {
                    kind,
                    p,
                    inplace: bool_arg(inplace.as_ref(), false),
                    f: functional(kind),
                }))
            }),
        );
    }
}

/// Adds `F.dropout1d` and `F.dropout3d`.
pub fn add_functional(m: &Module) {
    for nd in [1, 3] {
        let kind = Kind { nd };
        m.set(kind.fname(), functional(kind));
    }
}
