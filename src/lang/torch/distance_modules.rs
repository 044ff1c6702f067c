//! `nn.PairwiseDistance(p, eps, keepdim)`: `F.pairwise_distance` of its two inputs with the
//! stored arguments (the module has no `extra_repr`, so it prints as `PairwiseDistance()`).

use std::any::Any;

use super::class;
use super::ext::ExtLayer;
use super::nn::ext_module;
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};

type R<T> = Result<T, Exception>;

#[derive(Clone)]
struct PairwiseDistance {
    f: Value,
    norm: Value,
    eps: Value,
    keepdim: Value,
}

impl ExtLayer for PairwiseDistance {
    fn name(&self) -> &str {
        "PairwiseDistance"
    }
    fn repr(&self) -> String {
        "PairwiseDistance()".into()
    }
    fn forward(&self, interp: &mut Interpreter, args: &Args, _: bool) -> R<Value> {
        let [x1, x2] = args.bind(&["x1", "x2"])?;
        let call = Args {
            fname: "pairwise_distance".into(),
            this: None,
            pos: vec![
                x1.unwrap_or(Value::None),
                x2.unwrap_or(Value::None),
                self.norm.clone(),
                self.eps.clone(),
                self.keepdim.clone(),
            ],
            kw: Vec::new(),
        };
        interp.call(&self.f, call)
    }
    fn get_attr(&self, name: &str) -> Option<Value> {
        Some(match name {
            "norm" => self.norm.clone(),
            "eps" => self.eps.clone(),
            "keepdim" => self.keepdim.clone(),
            _ => return None,
        })
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn copy(&self, _c: &mut crate::lang::interp::Copier) -> Option<Box<dyn ExtLayer>> {
        Some(Box::new(self.clone()))
    }
}

/// Adds `nn.PairwiseDistance` to `nn`, calling `functional`'s `pairwise_distance`.
pub fn install(nn: &Module, functional: &Module) {
    let Some(f) = functional.get("pairwise_distance") else {
        return;
    };
    nn.set(
        "PairwiseDistance",
        class("PairwiseDistance", "torch.nn", move |_, args| {
            let [p, eps, keepdim] = args.bind(&["p=", "eps=", "keepdim="])?;
            Ok(ext_module(PairwiseDistance {
                f: f.clone(),
                norm: p.unwrap_or(Value::Float(2.0)),
                eps: eps.unwrap_or(Value::Float(1e-6)),
                keepdim: keepdim.unwrap_or(Value::Bool(false)),
            }))
        }),
    );
}
