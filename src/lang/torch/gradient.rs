//! `torch.gradient`: second-order central differences inside, one-sided ones at the edges,
//! over a scalar spacing per dim or coordinate tensors, in ATen's `gradient_helper_float`
//! order of operations.

use super::R;
use super::convert::{as_scalar, as_tensor, exc, tensor_param_at, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::tensor::{self as engine, Scalar, Tensor};

/// One dim's spacing: a number, or the coordinates of its samples.
enum Spacing {
    Step(Scalar),
    Coords(Tensor),
}

pub fn install(m: &Module) {
    m.set("gradient", Value::builtin("gradient", gradient));
}

fn gradient(interp: &mut Interpreter, args: Args) -> R<Value> {
    let [input, spacing, dim, edge_order] =
        args.bind(&["input", "*", "spacing=", "dim=", "edge_order="])?;
    let t = tensor_param_at(input.as_ref(), "gradient", "input", 1)?;
    let edge = match &edge_order {
        None | Some(Value::None) => 1,
        Some(v) => v.expect_int("edge_order")?,
    };
    let dims: Vec<usize> = match &dim {
        None | Some(Value::None) => (0..t.dim()).collect(),
        Some(Value::Int(d)) => vec![engine::norm_dim_public(*d as isize, t.dim()).map_err(exc)?],
        Some(v) => interp
            .iterate(v)?
            .iter()
            .map(|d| engine::norm_dim_public(d.expect_int("dim")? as isize, t.dim()).map_err(exc))
            .collect::<R<_>>()?,
    };
    let spacings: Vec<Spacing> = match &spacing {
        None | Some(Value::None) => dims.iter().map(|_| Spacing::Step(Scalar::Int(1))).collect(),
        Some(v @ (Value::List(_) | Value::Tuple(_))) => interp
            .iterate(v)?
            .iter()
            .map(|s| match (as_tensor(s), as_scalar(s)) {
                (Some(c), _) if c.dim() > 0 => Ok(Spacing::Coords(c.clone())),
                (Some(c), _) => c.item().map(Spacing::Step).map_err(exc),
                (None, Some(s)) => Ok(Spacing::Step(s)),
                _ => Err(Exception::type_error(format!(
                    "gradient(): argument 'spacing' must be tuple of Tensors or numbers, not {}",
                    s.type_name()
                ))),
            })
            .collect::<R<_>>()?,
        Some(v) => match as_scalar(v) {
            Some(s) => dims.iter().map(|_| Spacing::Step(s)).collect(),
            None => {
                return Err(Exception::type_error(format!(
                    "gradient(): argument 'spacing' must be Number, not {}",
                    v.type_name()
                )));
            }
        },
    };
    let dim_given = !matches!(dim, None | Some(Value::None));
    if spacings.len() != dims.len() && !dim_given {
        return Err(Exception::runtime_error(format!(
            "torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal to 'self.dim() = {}', since dim argument was not given, but got a list of length {}",
            t.dim(),
            spacings.len()
        )));
    }
    if spacings.len() != dims.len() {
        return Err(Exception::runtime_error(format!(
            "torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim arguments to have the same length, but got a spacing argument of length {} and a dim argument of length {}.",
            spacings.len(),
            dims.len()
        )));
    }
    if !(1..=2).contains(&edge) {
        return Err(Exception::runtime_error(
            "torch.gradient only supports edge_order=1 and edge_order=2.",
        ));
    }
    let shape = t.shape();
    for &d in &dims {
        if (shape[d] as i64) < edge + 1 {
            return Err(Exception::runtime_error(
                "torch.gradient expected each dimension size to be at least edge_order+1",
            ));
        }
    }
    let mut out = Vec::new();
    for (&d, s) in dims.iter().zip(&spacings) {
        let r = match s {
            Spacing::Step(h) => along_step(&t, d as isize, *h, edge),
            Spacing::Coords(c) => {
                if c.dim() != 1 || c.numel() != shape[d] {
                    return Err(Exception::runtime_error(format!(
                        "torch.gradient expected each tensor to be on the same device, and each spacing tensor to have as many elements as the input's dim {d} has ({}), but got {}",
                        shape[d],
                        c.numel()
                    )));
                }
                along_coords(&t, d as isize, c, edge)
            }
        };
        out.push(tv(r.map_err(exc)?));
    }
    Ok(Value::tuple(out))
}

fn sl(t: &Tensor, d: isize, start: i64, end: Option<i64>) -> engine::Result<Tensor> {
    t.slice(d, Some(start), end, 1)
}

/// A uniform spacing `h`: `(f[2:] - f[:-2]) / h / 2` inside.
fn along_step(t: &Tensor, d: isize, h: Scalar, edge: i64) -> engine::Result<Tensor> {
    let center = sl(t, d, 2, None)?
        .sub(&sl(t, d, 0, Some(-2))?)?
        .div_scalar(h)?;
    let (prepend, append) = if edge == 1 {
        (
            sl(t, d, 1, Some(2))?
                .sub(&sl(t, d, 0, Some(1))?)?
                .div_scalar(h)?,
            sl(t, d, -1, None)?
                .sub(&sl(t, d, -2, Some(-1))?)?
                .div_scalar(h)?,
        )
    } else {
        let f = Scalar::Float;
        (
            sl(t, d, 0, Some(1))?
                .mul_scalar(f(-1.5))?
                .add(&sl(t, d, 1, Some(2))?.mul_scalar(Scalar::Int(2))?)?
                .sub(&sl(t, d, 2, Some(3))?.mul_scalar(f(0.5))?)?
                .div_scalar(h)?,
            sl(t, d, -3, Some(-2))?
                .mul_scalar(f(0.5))?
                .add(&sl(t, d, -2, Some(-1))?.mul_scalar(Scalar::Int(-2))?)?
                .add(&sl(t, d, -1, None)?.mul_scalar(f(1.5))?)?
                .div_scalar(h)?,
        )
    };
    let center = center.div_scalar(Scalar::Int(2))?;
    Tensor::cat(&[prepend, center, append], d)
}

/// Sample coordinates `x`: the three-point formula over the neighbouring steps inside.
fn along_coords(t: &Tensor, d: isize, x: &Tensor, edge: i64) -> engine::Result<Tensor> {
    let nd = t.dim();
    let mut shape = vec![1isize; nd];
    shape[d as usize] = -1;
    let n = x.numel() as i64;
    let dx = x.narrow(0, 1, n - 1)?.sub(&x.narrow(0, 0, n - 1)?)?;
    let (dx1, dx2) = (dx.narrow(0, 0, n - 2)?, dx.narrow(0, 1, n - 2)?);
    let sum = dx1.add(&dx2)?;
    let a = dx2.neg()?.div(&dx1.mul(&sum)?)?.reshape(&shape)?;
    let b = dx2.sub(&dx1)?.div(&dx1.mul(&dx2)?)?.reshape(&shape)?;
    let c = dx1.div(&dx2.mul(&sum)?)?.reshape(&shape)?;
    let center = a
        .mul(&sl(t, d, 0, Some(-2))?)?
        .add(&b.mul(&sl(t, d, 1, Some(-1))?)?)?
        .add(&c.mul(&sl(t, d, 2, None)?)?)?;
    let at = |i: i64| dx.select(0, i);
    let (prepend, append) = if edge == 1 {
        (
            sl(t, d, 1, Some(2))?
                .sub(&sl(t, d, 0, Some(1))?)?
                .div(&at(0)?)?,
            sl(t, d, -1, None)?
                .sub(&sl(t, d, -2, Some(-1))?)?
                .div(&at(n - 2)?)?,
        )
    } else {
        let (d0, d1) = (at(0)?, at(1)?);
        let s01 = d0.add(&d1)?;
        let a = d0
            .mul_scalar(Scalar::Float(2.0))?
            .add(&d1)?
            .div(&d0.mul(&s01)?)?
            .neg()?;
        let b = s01.div(&d0.mul(&d1)?)?;
        let c = d0.neg()?.div(&d1.mul(&s01)?)?;
        let prepend = a
            .mul(&sl(t, d, 0, Some(1))?)?
            .add(&b.mul(&sl(t, d, 1, Some(2))?)?)?
            .add(&c.mul(&sl(t, d, 2, Some(3))?)?)?;
        let (e1, e2) = (at(n - 2)?, at(n - 3)?);
        let s = e1.add(&e2)?;
        let a = e1.div(&e2.mul(&s)?)?;
        let b = s.div(&e1.mul(&e2)?)?.neg()?;
        let c = e1.mul_scalar(Scalar::Int(2))?.add(&e2)?.div(&e1.mul(&s)?)?;
        let append = a
            .mul(&sl(t, d, -3, Some(-2))?)?
            .add(&b.mul(&sl(t, d, -2, Some(-1))?)?)?
            .add(&c.mul(&sl(t, d, -1, None)?)?)?;
        (prepend, append)
    };
    Tensor::cat(&[prepend, center, append], d)
}
