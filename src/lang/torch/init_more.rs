//! `nn.init.orthogonal_` (a QR of a normal draw, signs fixed by R's diagonal) and
//! `nn.init.sparse_` (a normal draw, then zeros at a `randperm` prefix of each column), drawing
//! from the generators PyTorch's own Python code draws from.

use super::convert::{as_tensor, exc, f64_arg, kw};
use super::tensor::NoGrad;
use super::{default_rng, generator_arg};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::decomp::QrMode;
use crate::tensor::decomp_ops::qr;
use crate::tensor::{Data, Index, IndexValue, Scalar, Tensor, normal_, randperm};

type R<T> = Result<T, Exception>;

fn target(args: &Args, fname: &str) -> R<(Tensor, Value)> {
    let v = args
        .pos
        .first()
        .or_else(|| kw(args, "tensor"))
        .cloned()
        .unwrap_or(Value::None);
    let t = as_tensor(&v).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{fname}(): argument 'tensor' must be Tensor, not {}",
            v.type_name()
        ))
    })?;
    Ok((t, v))
}

/// `orthogonal_(tensor, gain=1, generator=None)`: as torch/nn/init.py, a (rows, numel/rows)
/// normal draw (transposed when wide), its reduced QR, Q's columns times the signs of R's
/// diagonal, transposed back, copied in and scaled by `gain`.
fn orthogonal(args: &Args) -> R<Value> {
    let [_t, gain, _g] = args.bind(&["tensor", "gain=", "generator="])?;
    let (t, v) = target(args, "orthogonal_")?;
    let shape = t.shape();
    if shape.len() < 2 {
        return Err(Exception::value_error(
            "Only tensors with 2 or more dimensions are supported",
        ));
    }
    if t.numel() == 0 {
        return Ok(v);
    }
    let gain = f64_arg(gain.as_ref(), 1.0, "gain")?;
    let rows = shape[0];
    let cols = t.numel() / rows;
    let g = generator_arg(args)?;
    let _guard = NoGrad::new();
    let mut flat = Tensor::zeros(&[rows, cols], t.dtype());
    normal_(&flat, &mut g.borrow_mut(), 0.0, 1.0).map_err(exc)?;
    if rows < cols {
        flat = flat.t().map_err(exc)?;
    }
    let (q, r) = qr(&flat, QrMode::Reduced).map_err(exc)?;
    let ph = r.diag(0).and_then(|d| d.sign()).map_err(exc)?;
    let mut q = q.mul(&ph).map_err(exc)?;
    if rows < cols {
        q = q.t().map_err(exc)?;
    }
    let dims: Vec<isize> = shape.iter().map(|&n| n as isize).collect();
    let q = q.reshape(&dims).map_err(exc)?;
    t.copy_(&q).map_err(exc)?;
    t.mul_scalar_(Scalar::Float(gain)).map_err(exc)?;
    Ok(v)
}

/// `sparse_(tensor, sparsity, std=0.01, generator=None)`: the normal draw takes `generator`,
/// but each column's `torch.randperm(rows)` takes the default generator (as PyTorch's code
/// does); the first ceil(sparsity * rows) entries of each permutation are zeroed.
fn sparse(args: &Args) -> R<Value> {
    let [_t, sparsity, std, _g] = args.bind(&["tensor", "sparsity", "std=", "generator="])?;
    let (t, v) = target(args, "sparse_")?;
    let shape = t.shape();
    if shape.len() != 2 {
        return Err(Exception::value_error(
            "Only tensors with 2 dimensions are supported",
        ));
    }
    let sparsity = match sparsity {
        Some(s) => f64_arg(Some(&s), 0.0, "sparsity")?,
        None => {
            return Err(Exception::type_error(
                "sparse_() missing 1 required positional argument: 'sparsity'",
            ));
        }
    };
    let std = f64_arg(std.as_ref(), 0.01, "std")?;
    let (rows, cols) = (shape[0], shape[1]);
    let num_zeros = ((sparsity * rows as f64).ceil().max(0.0) as usize).min(rows);
    let g = generator_arg(args)?;
    let default = default_rng()
        .ok_or_else(|| Exception::runtime_error("torch is not installed in this interpreter"))?;
    let _guard = NoGrad::new();
    normal_(&t, &mut g.borrow_mut(), 0.0, std).map_err(exc)?;
    for col in 0..cols {
        let perm = randperm(&mut default.borrow_mut(), rows).map_err(exc)?;
        let zeros: Vec<i64> = perm
            .to_f64_vec()
            .into_iter()
            .take(num_zeros)
            .map(|x| x as i64)
            .collect();
        let idx = Tensor::from_data(Data::I64(zeros), &[num_zeros]).map_err(exc)?;
        t.index_put_(
            &[Index::Tensor(idx), Index::Int(col as i64)],
            &IndexValue::Scalar(Scalar::Float(0.0)),
        )
        .map_err(exc)?;
    }
    Ok(v)
}

/// Adds `orthogonal_` and `sparse_` to `torch.nn.init`.
pub fn install(m: &Module) {
    m.set(
        "orthogonal_",
        Value::builtin("orthogonal_", |_, args| orthogonal(&args)),
    );
    m.set(
        "sparse_",
        Value::builtin("sparse_", |_, args| sparse(&args)),
    );
}
