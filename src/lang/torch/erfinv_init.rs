//! `torch.erfinv`/`Tensor.erfinv`, and `nn.init.trunc_normal_` with PyTorch 2.15's rejection
//! sampler (no longer the erfinv transform of earlier releases).

use super::convert::{as_tensor, exc, f64_arg, kw, tv};
use super::generator_arg;
use super::tensor::NoGrad;
use super::tensorfns::receiver;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{Generator, Scalar, Tensor, erf_f64};

/// `t.erfinv()`, or None for another name.
pub fn method(this: &Value, name: &str) -> Option<Value> {
    (name == "erfinv").then(|| {
        Value::method(this.clone(), "erfinv", |_, args| {
            let [] = args.bind(&[])?;
            Ok(tv(receiver(&args)?.erfinv().map_err(exc)?))
        })
    })
}

/// `torch.erfinv(input)`.
pub fn install(m: &Module) {
    m.set(
        "erfinv",
        Value::builtin("erfinv", |_, args| {
            let [input] = args.bind(&["input"])?;
            let v = input.unwrap_or(Value::None);
            let t = as_tensor(&v).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "erfinv(): argument 'input' (position 1) must be Tensor, not {}",
                    v.type_name()
                ))
            })?;
            Ok(tv(t.erfinv().map_err(exc)?))
        }),
    );
}

/// `nn.init.trunc_normal_(tensor, mean=0., std=1., a=-2., b=2., generator=None)`.
pub fn install_init(m: &Module) {
    m.set(
        "trunc_normal_",
        Value::builtin("trunc_normal_", |_, args| {
            let [tensor, mean, std, a, b, _g] =
                args.bind(&["tensor", "mean=", "std=", "a=", "b=", "generator="])?;
            let v = tensor
                .or_else(|| kw(&args, "tensor").cloned())
                .unwrap_or(Value::None);
            let t = as_tensor(&v).cloned().ok_or_else(|| {
                Exception::type_error(format!(
                    "trunc_normal_(): argument 'tensor' must be Tensor, not {}",
                    v.type_name()
                ))
            })?;
            let mean = f64_arg(mean.as_ref(), 0.0, "mean")?;
            let std = f64_arg(std.as_ref(), 1.0, "std")?;
            let a = f64_arg(a.as_ref(), -2.0, "a")?;
            let b = f64_arg(b.as_ref(), 2.0, "b")?;
            let g = generator_arg(&args)?;
            let _guard = NoGrad::new();
            trunc_normal(&t, &mut g.borrow_mut(), mean, std, a, b).map_err(exc)?;
            Ok(v)
        }),
    );
}

fn any(t: &Tensor) -> bool {
    t.to_f64_vec().iter().any(|&x| x != 0.0)
}

/// PyTorch 2.15's sampler: when the bounds hold more than 30% of the normal's mass, normal
/// draws with the out-of-bounds ones redrawn (each round draws a whole fresh tensor, as
/// `torch.empty_like(result).normal_()` does); otherwise uniform candidates in `[a, b]` kept
/// with probability pdf/peak (a uniform draw's log against the log density), rounds repeated
/// for the pending elements only.
fn trunc_normal(
    t: &Tensor,
    g: &mut Generator,
    mean: f64,
    std: f64,
    a: f64,
    b: f64,
) -> crate::tensor::Result<()> {
    let norm_cdf = |x: f64| (1.0 + erf_f64(x / 2f64.sqrt())) / 2.0;
    let p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std);
    let (shape, dtype) = (t.shape(), t.dtype());
    if p > 0.3 {
        // The bounds as the tensor's dtype holds them (`new_tensor(a).item()`).
        let round = |x: f64| {
            Tensor::scalar(Scalar::Float(x), dtype)
                .item()
                .map(|s| s.as_f64())
        };
        let (lo, hi) = (round(a)?, round(b)?);
        crate::tensor::normal_(t, g, mean, std)?;
        let mut result = t.clone();
        loop {
            let mask = result
                .lt_scalar(Scalar::Float(lo))?
                .logical_or(&result.gt_scalar(Scalar::Float(hi))?)?;
            if !any(&mask) {
                break;
            }
            let fresh = Tensor::zeros(&shape, dtype);
            crate::tensor::normal_(&fresh, g, mean, std)?;
            result = Tensor::where_(&mask, &fresh, &result)?;
        }
        if !result.same(t) {
            t.copy_(&result)?;
        }
        return Ok(());
    }
    let mode = a.max(mean.min(b));
    let log_peak = -0.5 * ((mode - mean) / std).powi(2);
    let log_pdf = |c: &Tensor| -> crate::tensor::Result<Tensor> {
        c.sub_scalar(Scalar::Float(mean))?
            .div_scalar(Scalar::Float(std))?
            .pow_scalar(Scalar::Int(2))?
            .mul_scalar(Scalar::Float(-0.5))?
            .sub_scalar(Scalar::Float(log_peak))
    };
    let accept_draw = |g: &mut Generator| -> crate::tensor::Result<Tensor> {
        let buf = Tensor::zeros(&shape, dtype);
        crate::tensor::uniform_(&buf, g, 0.0, 1.0)?;
        buf.log()
    };
    crate::tensor::uniform_(t, g, a, b)?;
    let mut pending = accept_draw(g)?.gt(&log_pdf(t)?)?;
    if !any(&pending) {
        return Ok(());
    }
    let mut result = t.detach();
    loop {
        let candidates = Tensor::zeros(&shape, dtype);
        crate::tensor::uniform_(&candidates, g, a, b)?;
        result = Tensor::where_(&pending, &candidates, &result)?;
        let accept = accept_draw(g)?.gt(&log_pdf(&candidates)?)?;
        pending = Tensor::where_(&pending, &accept, &pending)?;
        if !any(&pending) {
            break;
        }
    }
    t.copy_(&result)
}
