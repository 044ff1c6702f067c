//! `torch.autograd.Function`s whose `forward` returns a tuple of tensors. The engine's nodes
//! have one output each, so the outputs share one hidden node over the inputs whose value is
//! all outputs flattened and concatenated: each output is a node on that hub (named
//! `XBackward` like the hub) whose backward places its gradient in the hub's layout, and the
//! hub's backward splits the summed gradient back into one per output (zeros for unused
//! outputs, as PyTorch materializes them) and calls the user's `backward(ctx, *grads)` once.
//! Both formulas are tensor ops, so under `create_graph` second derivatives flow through them.

use std::rc::Rc;

use super::autograd::{FunctionCtx, call_python, pending};
use super::convert::{as_tensor, tv};
use crate::lang::{Exception, Value};
use crate::tensor::{self as engine, Tensor, TensorError};

type R<T> = Result<T, Exception>;

/// The outputs of a multi-output `forward` (`outs`, all tensors of one dtype) attached to a
/// graph over `inputs` (`positions` are their argument indices among `nargs` arguments).
pub(super) fn attach_outputs(
    outs: &[Tensor],
    name: &'static str,
    inputs: &[&Tensor],
    positions: Vec<usize>,
    nargs: usize,
    backward: Value,
    ctx: Value,
) -> R<Vec<Value>> {
    let dtype = outs[0].dtype();
    if outs.iter().any(|t| t.dtype() != dtype) {
        return Err(Exception::unsupported(
            "a torch.autograd.Function whose forward returns tensors of different dtypes",
        ));
    }
    let shapes: Vec<Vec<isize>> = outs
        .iter()
        .map(|t| t.shape().iter().map(|&d| d as isize).collect())
        .collect();
    let sizes: Vec<usize> = outs.iter().map(Tensor::numel).collect();
    let total: usize = sizes.iter().sum();
    let flat: Vec<Tensor> = outs
        .iter()
        .map(|t| t.detach().reshape(&[-1]))
        .collect::<engine::Result<_>>()
        .map_err(super::convert::exc)?;
    let packed = Tensor::cat(&flat, 0).map_err(super::convert::exc)?;
    let ctx_link = ctx.clone();
    let hub_shapes = shapes.clone();
    let hub_sizes = sizes.clone();
    let hub = engine::custom_node(&packed, name, inputs, move |g, _needs| {
        let mut grads = vec![ctx.clone()];
        let mut off = 0i64;
        for (shape, &n) in hub_shapes.iter().zip(&hub_sizes) {
            grads.push(tv(g.narrow(0, off, n as i64)?.reshape(shape)?));
            off += n as i64;
        }
        let r = call_python(&backward, grads)?;
        let grads = match super::autograd::backward_grads(r, name, nargs) {
            Ok(g) => g,
            Err(e) => {
                pending(e);
                return Err(TensorError::Runtime {
                    msg: "wrong number of gradients".into(),
                });
            }
        };
        Ok(positions
            .iter()
            .map(|&i| as_tensor(&grads[i]).cloned())
            .collect())
    });
    let link = ctx_link.downcast::<FunctionCtx>();
    let mut res = Vec::with_capacity(outs.len());
    let mut off = 0usize;
    for (k, out) in outs.iter().enumerate() {
        let (before, n) = (off, sizes[k]);
        off += n;
        let after = total - before - n;
        let node = output_node(out, name, &hub, before, total - before - n);
        if let Some(c) = link {
            // A saved output is read back as the returned one while it lives, else as a new
            // node on the hub (alive while any output's node is: they hold it), as PyTorch's
            // saved outputs keep their `grad_fn`.
            let (weak_out, weak_hub, raw) =
                (Rc::downgrade(&node.0), Rc::downgrade(&hub.0), out.clone());
            c.link_with(
                out,
                Box::new(move || {
                    weak_out.upgrade().map(Tensor).or_else(|| {
                        weak_hub
                            .upgrade()
                            .map(|h| output_node(&raw, name, &Tensor(h), before, after))
                    })
                }),
            );
        }
        res.push(tv(node));
    }
    Ok(res)
}

/// Output `out` of a multi-output function as a node on `hub`, `before` and `after` elements
/// of the hub's layout on either side of it. The node's formula holds the hub, so the hub
/// lives as long as any of its outputs' nodes.
fn output_node(
    out: &Tensor,
    name: &'static str,
    hub: &Tensor,
    before: usize,
    after: usize,
) -> Tensor {
    let keep = hub.clone();
    engine::custom_node(out, name, &[hub], move |g, _| {
        let _ = &keep;
        // The gradient in the hub's layout: zeros around this output's slice.
        let mut parts = Vec::with_capacity(3);
        if before > 0 {
            parts.push(Tensor::zeros(&[before], g.dtype()));
        }
        parts.push(g.reshape(&[-1])?);
        if after > 0 {
            parts.push(Tensor::zeros(&[after], g.dtype()));
        }
        Ok(vec![Some(Tensor::cat(&parts, 0)?)])
    })
}
