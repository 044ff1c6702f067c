//! Read-only handles on the autograd graph for lessons: a tensor's `grad_fn` node, its
//! `next_functions`, and the AccumulateGrad node of a leaf.

use std::rc::Rc;

use super::autograd::{Node, Target};
use super::Tensor;

/// A node of the graph as `grad_fn` and `next_functions` show it.
#[derive(Clone)]
pub struct GradFnRef(Kind);

#[derive(Clone)]
enum Kind {
    Node(Rc<Node>),
    /// PyTorch's AccumulateGrad for a leaf that requires grad.
    Accumulate(Tensor),
}

impl GradFnRef {
    /// `t.grad_fn`: None for leaves and tensors without history.
    pub fn of(t: &Tensor) -> Option<GradFnRef> {
        t.grad_fn().map(|n| GradFnRef(Kind::Node(n)))
    }

    pub fn name(&self) -> &str {
        match &self.0 {
            Kind::Node(n) => n.name,
            Kind::Accumulate(_) => "AccumulateGrad",
        }
    }

    /// A number standing for the node's identity (for the `at 0x...` of its repr).
    pub fn identity(&self) -> usize {
        match &self.0 {
            Kind::Node(n) => Rc::as_ptr(n) as usize,
            Kind::Accumulate(t) => t.id(),
        }
    }

    /// `next_functions`: per input of the node, the node its gradient flows to (None when the
    /// input needs none), with the input's output index (always 0: every node has one output).
    pub fn next_functions(&self) -> Vec<(Option<GradFnRef>, usize)> {
        let Kind::Node(n) = &self.0 else { return Vec::new() };
        // A Python number operand of `+ - * /` is a wrapped tensor in PyTorch's node, an
        // input that needs no gradient; lessonrun's scalar forms record only the tensor.
        let wrapped_number = matches!(n.name, "AddBackward0" | "SubBackward0" | "MulBackward0" | "DivBackward0") && n.edges.len() == 1;
        let extra = wrapped_number.then_some((None, 0));
        n.edges
            .iter()
            .map(|e| {
                let f = match &e.target {
                    Some(Target::Node(n)) => Some(GradFnRef(Kind::Node(n.clone()))),
                    Some(Target::Leaf(t)) => Some(GradFnRef(Kind::Accumulate(t.clone()))),
                    None => None,
                };
                (f, 0)
            })
            .chain(extra)
            .collect()
    }

    /// The same node in the graph a snapshot copied (`TensorCopier`).
    pub fn copy(&self, c: &mut super::TensorCopier) -> Option<GradFnRef> {
        Some(GradFnRef(match &self.0 {
            Kind::Node(n) => Kind::Node(c.node(n)?),
            Kind::Accumulate(t) => Kind::Accumulate(c.copy(t)?),
        }))
    }

    /// Whether the node keeps a saved value `name` (`_saved_<name>`; saved_hooks.rs).
    pub fn has_saved(&self, name: &str) -> bool {
        matches!(&self.0, Kind::Node(n) if super::saved_hooks::has(n, name))
    }

    /// The saved value `name` as `_saved_<name>` gives it (unpacked when hooks packed it).
    pub fn saved(&self, name: &str) -> Option<super::Result<Tensor>> {
        match &self.0 {
            Kind::Node(n) => super::saved_hooks::get(n, name),
            Kind::Accumulate(_) => None,
        }
    }

    /// `AccumulateGrad.variable`: the leaf it accumulates into.
    pub fn variable(&self) -> Option<Tensor> {
        match &self.0 {
            Kind::Accumulate(t) => Some(t.clone()),
            Kind::Node(_) => None,
        }
    }
}
