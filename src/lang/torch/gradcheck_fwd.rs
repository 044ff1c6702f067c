//! `gradcheck(..., check_forward_ad=True)`: each input's Jacobian columns from forward mode
//! (one dual level per input element, the standard basis vector as the tangent) compared with
//! central differences, as PyTorch's slow-mode `_check_analytical_jacobian_attributes` does.

use super::convert::{as_tensor, exc, tv};
use super::gradcheck::Tol;
use crate::lang::{Exception, Interpreter, Value};
use crate::tensor::forward_ad as fwd;
use crate::tensor::{Data, Tensor};

type R<T> = Result<T, Exception>;

/// True when every (output, input) block agrees; a `GradcheckError` (or false with
/// `raise_exception=False`) otherwise.
pub(super) fn check_forward(
    interp: &mut Interpreter,
    func: &Value,
    inputs: &[Value],
    tol: &Tol,
) -> R<bool> {
    let diff: Vec<usize> = (0..inputs.len())
        .filter(|&i| as_tensor(&inputs[i]).is_some_and(|t| t.dtype().is_floating_point()))
        .collect();
    for (i, &pos) in diff.iter().enumerate() {
        let Some(t) = as_tensor(&inputs[pos]).cloned() else {
            continue;
        };
        for k in 0..t.numel() {
            // The analytical column: the output tangents for the tangent e_k.
            let mut onehot = vec![0.0; t.numel()];
            onehot[k] = 1.0;
            let e = Tensor::from_data(Data::F64(onehot), &t.shape())
                .and_then(|e| e.to_dtype(t.dtype()))
                .map_err(exc)?;
            let level = fwd::enter_level();
            let cols = (|| -> R<Vec<Vec<f64>>> {
                let mut args = inputs.to_vec();
                args[pos] = tv(fwd::make_dual(&t, &e, level).map_err(exc)?);
                let out = interp.call_positional(func, args)?;
                let outs: Vec<Value> = match &out {
                    Value::Tuple(items) => items.to_vec(),
                    v => vec![v.clone()],
                };
                let mut cols = Vec::new();
                for o in outs.iter().filter_map(as_tensor) {
                    let tan = fwd::tangent(o, level).map_err(exc)?;
                    cols.push(tan.map_or_else(|| vec![0.0; o.numel()], |x| x.to_f64_vec()));
                }
                Ok(cols)
            })();
            fwd::exit_level(level);
            let cols = cols?;
            let (plus, minus) = super::gradcheck::central_outputs(interp, func, inputs, pos, &t, k, tol.eps)?;
            let ana = |o: usize, j: usize| cols[o].get(j).copied().unwrap_or(0.0);
            if !super::gradcheck::compare_column(&plus, &minus, cols.len(), ana, tol, "Jacobian computed with forward mode", i)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}
