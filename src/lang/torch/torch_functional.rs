//! `torch.functional`, the module behind several `torch.` functions (`import torch.functional
//! as F` appears in tutorials that then define, and do not call, networks written for
//! `torch.nn.functional`). It holds the same function objects as `torch`; what `torch` lacks
//! is left out, so using it is an AttributeError naming the module, as for any missing name.

use std::rc::Rc;

use crate::lang::{Interpreter, Module, Value};

/// The names PyTorch's `torch/functional.py` exports (its `__all__`).
const NAMES: &[&str] = &[
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "align_tensors",
    "broadcast_shapes",
    "broadcast_tensors",
    "cartesian_prod",
    "block_diag",
    "cdist",
    "chain_matmul",
    "einsum",
    "istft",
    "lu",
    "norm",
    "meshgrid",
    "pca_lowrank",
    "split",
    "stft",
    "svd_lowrank",
    "tensordot",
    "unique",
    "unique_consecutive",
    "unravel_index",
];

/// Registers `torch.functional` with the functions of `torch` it shares.
pub fn install(interp: &mut Interpreter, torch: &Module) {
    let m = Module::new("torch.functional");
    for &name in NAMES {
        if let Some(f) = torch.get(name) {
            m.set(name, f);
        }
    }
    let m = Value::Module(Rc::new(m));
    torch.set("functional", m.clone());
    interp.register_module("torch.functional", m);
}
