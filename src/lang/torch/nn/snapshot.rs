//! Copies of `nn.Module` objects for interpreter snapshots (`interp::Copier`): parameters,
//! buffers and children are copied through the copier, so a parameter an optimizer also holds,
//! or a child two containers hold, is copied once and stays shared among the copies.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use super::{Custom, Kind, LayerNormState, Loss, PyModule, PyStateDict};
use crate::lang::Value;
use crate::lang::torch::uninit::Lazy;
use crate::lang::interp::Copier;
use crate::tensor::Tensor;
use crate::tensor::nn::{self as tnn, CrossEntropyOptions};

fn tensor_opt(c: &mut Copier, t: &Option<Tensor>) -> Option<Option<Tensor>> {
    match t {
        Some(t) => Some(Some(c.tensor(t)?)),
        None => Some(None),
    }
}

fn named(c: &mut Copier, items: &[(String, Value)]) -> Option<Vec<(String, Value)>> {
    items
        .iter()
        .map(|(k, v)| Some((k.clone(), c.value(v)?)))
        .collect()
}

fn linear(c: &mut Copier, l: &tnn::Linear) -> Option<tnn::Linear> {
    Some(tnn::Linear {
        weight: c.tensor(&l.weight)?,
        bias: tensor_opt(c, &l.bias)?,
        ..l.clone()
    })
}

fn loss(c: &mut Copier, l: &Loss) -> Option<Loss> {
    Some(match l {
        Loss::CrossEntropy(o) => Loss::CrossEntropy(CrossEntropyOptions {
            weight: tensor_opt(c, &o.weight)?,
            ..o.clone()
        }),
        Loss::Nll {
            weight,
            ignore_index,
            reduction,
        } => Loss::Nll {
            weight: tensor_opt(c, weight)?,
            ignore_index: *ignore_index,
            reduction: *reduction,
        },
        Loss::Mse(r) => Loss::Mse(*r),
        Loss::L1(r) => Loss::L1(*r),
        Loss::Huber(r, d) => Loss::Huber(*r, *d),
        Loss::SmoothL1(r, b) => Loss::SmoothL1(*r, *b),
        Loss::Bce(w, r) => Loss::Bce(tensor_opt(c, w)?, *r),
        Loss::BceWithLogits {
            weight,
            pos_weight,
            reduction,
        } => Loss::BceWithLogits {
            weight: tensor_opt(c, weight)?,
            pos_weight: tensor_opt(c, pos_weight)?,
            reduction: *reduction,
        },
        Loss::KlDiv(r, log_target) => Loss::KlDiv(*r, *log_target),
    })
}

impl PyStateDict {
    pub(super) fn copy(&self, c: &mut Copier) -> Option<PyStateDict> {
        let entries = self.0.iter().map(|(k, t)| Some((k.clone(), c.tensor(t)?)));
        Some(PyStateDict(entries.collect::<Option<_>>()?))
    }
}

impl PyModule {
    /// A copy of this module (see the file's doc), or None for a kind without a copy rule.
    pub(in crate::lang::torch) fn copy(&self, c: &mut Copier) -> Option<PyModule> {
        let kind = match &self.kind {
            Kind::Linear(l, lazy) => Kind::Linear(
                RefCell::new(linear(c, &l.borrow())?),
                RefCell::new(lazy.borrow().as_ref().map(|z| match z {
                    Lazy::Pending(g) => Lazy::Pending(c.generator(g)),
                    Lazy::Loaded => Lazy::Loaded,
                })),
            ),
            Kind::Embedding(e) => {
                let e = e.borrow();
                Kind::Embedding(RefCell::new(tnn::Embedding {
                    weight: c.tensor(&e.weight)?,
                    num_embeddings: e.num_embeddings,
                    embedding_dim: e.embedding_dim,
                    padding_idx: e.padding_idx,
                }))
            }
            Kind::Activation(a) => Kind::Activation(*a),
            Kind::Configured(a, text) => Kind::Configured(*a, text.clone()),
            Kind::Sequential(items) => Kind::Sequential(RefCell::new(named(c, &items.borrow())?)),
            Kind::ModuleList(items) => Kind::ModuleList(RefCell::new(
                items
                    .borrow()
                    .iter()
                    .map(|v| c.value(v))
                    .collect::<Option<_>>()?,
            )),
            Kind::ModuleDict(items) => Kind::ModuleDict(RefCell::new(named(c, &items.borrow())?)),
            Kind::ParameterList(ps) => Kind::ParameterList(RefCell::new(
                ps.borrow()
                    .iter()
                    .map(|t| c.tensor(t))
                    .collect::<Option<_>>()?,
            )),
            Kind::Unflatten(dim, sizes, text) => Kind::Unflatten(*dim, sizes.clone(), text.clone()),
            Kind::Loss(l) => Kind::Loss(loss(c, l)?),
            Kind::Dropout(p) => Kind::Dropout(*p),
            Kind::CosineSimilarity(dim, eps) => Kind::CosineSimilarity(*dim, *eps),
            Kind::LayerNorm(s) => Kind::LayerNorm(LayerNormState {
                shape: s.shape.clone(),
                eps: s.eps,
                weight: RefCell::new(tensor_opt(c, &s.weight.borrow())?),
                bias: RefCell::new(tensor_opt(c, &s.bias.borrow())?),
            }),
            Kind::Layer(l) => Kind::Layer(l.copy(c)?),
            Kind::Ext(l) => Kind::Ext(l.copy(c)?),
            Kind::Custom(m) => {
                // The owner instance is copied first (it holds this module, so the copy made
                // on the way is the one everything shares: see `Copier::value`).
                let owner = match m.owner.borrow().upgrade() {
                    Some(i) => match &c.value(&Value::Instance(i))? {
                        Value::Instance(i) => Rc::downgrade(i),
                        _ => return None,
                    },
                    None => Weak::new(),
                };
                let class_name = OnceCell::new();
                if let Some(n) = m.class_name.get() {
                    let _ = class_name.set(n.clone());
                }
                let params = m
                    .params
                    .borrow()
                    .iter()
                    .map(|(k, t)| Some((k.clone(), tensor_opt(c, t)?)))
                    .collect::<Option<_>>()?;
                Kind::Custom(Custom {
                    owner: RefCell::new(owner),
                    class_name,
                    params: RefCell::new(params),
                    modules: RefCell::new(named(c, &m.modules.borrow())?),
                })
            }
        };
        Some(PyModule {
            kind,
            training: Cell::new(self.training.get()),
            core: self.core.copy(c)?,
        })
    }
}
