//! `F.grid_sample` and `F.affine_grid` (the spatial transformer's sampler and grid generator)
//! as Python functions: argument parsing and PyTorch's messages; the engine's
//! `tensor/grid_sample.rs` computes.

use super::convert::{PySize, as_tensor, dtype_value, exc, shape_args, tv};
use crate::lang::native::Args;
use crate::lang::{Exception, Module, Value};
use crate::tensor::grid_sample::{affine_grid, grid_sample};
use crate::tensor::{DType, Tensor};

type R<T> = Result<T, Exception>;

fn tensor_arg(v: Option<Value>, f: &str, name: &str, pos: usize) -> R<Tensor> {
    let v = v.unwrap_or(Value::None);
    as_tensor(&v).cloned().ok_or_else(|| {
        Exception::type_error(format!(
            "{f}(): argument '{name}' (position {pos}) must be Tensor, not {}",
            v.type_name()
        ))
    })
}

/// `align_corners=None` is PyTorch's False (with a warning it prints on stderr).
fn align(v: Option<Value>) -> R<bool> {
    match v {
        None | Some(Value::None) => Ok(false),
        Some(Value::Bool(b)) => Ok(b),
        Some(v) => v.as_int().map(|i| i != 0).ok_or_else(|| {
            Exception::type_error(format!("align_corners must be bool, not {}", v.type_name()))
        }),
    }
}

fn str_arg(v: Option<Value>, default: &str) -> R<String> {
    match v.as_ref() {
        None => Ok(default.to_string()),
        Some(Value::Str(s)) => Ok(s.to_string()),
        Some(v) => Err(Exception::type_error(format!(
            "expected a str, not {}",
            v.type_name()
        ))),
    }
}

/// Adds `affine_grid` and `grid_sample` to `torch.nn.functional`.
pub fn add_functional(m: &Module) {
    m.set(
        "affine_grid",
        Value::builtin("affine_grid", |interp, args: Args| {
            let [theta, size, ac] = args.bind(&["theta", "size", "align_corners="])?;
            let theta = tensor_arg(theta, "affine_grid", "theta", 1)?;
            let size_v = size.unwrap_or(Value::None);
            let size = shape_args(interp, std::slice::from_ref(&size_v), "affine_grid")?;
            // torch/nn/functional.py's own checks, with its ValueError messages.
            if !matches!(theta.dtype(), DType::Float32 | DType::Float64) {
                return Err(Exception::value_error(format!(
                    "Expected theta to have floating point type, but got {}",
                    dtype_value(theta.dtype()).repr()
                )));
            }
            let ts = theta.shape();
            match size.len() {
                4 if ts.len() != 3 || ts[1] != 2 || ts[2] != 3 => {
                    return Err(Exception::value_error(format!(
                        "Expected a batch of 2D affine matrices of shape Nx2x3 for size {}. Got {}.",
                        size_v.repr(),
                        Value::native(PySize(ts)).repr()
                    )));
                }
                4 => {}
                5 => return Err(Exception::unsupported("F.affine_grid for 3-D (5-D size) transformations")),
                _ => {
                    return Err(Exception::new(
                        "NotImplementedError",
                        format!("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transformations, respectively. Got size {}.", size_v.repr()),
                    ));
                }
            }
            if size.contains(&0) {
                return Err(Exception::value_error(format!(
                    "Expected non-zero, positive output size. Got {}",
                    size_v.repr()
                )));
            }
            Ok(tv(affine_grid(&theta, &size, align(ac)?).map_err(exc)?))
        }),
    );
    m.set(
        "grid_sample",
        Value::builtin("grid_sample", |_, args: Args| {
            let [input, grid, mode, padding, ac] =
                args.bind(&["input", "grid", "mode=", "padding_mode=", "align_corners="])?;
            let input = tensor_arg(input, "grid_sample", "input", 1)?;
            let grid = tensor_arg(grid, "grid_sample", "grid", 2)?;
            let (mode, padding) = (str_arg(mode, "bilinear")?, str_arg(padding, "zeros")?);
            if !matches!(mode.as_str(), "bilinear" | "nearest" | "bicubic") {
                return Err(Exception::value_error(format!(
                    "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'"
                )));
            }
            if !matches!(padding.as_str(), "zeros" | "border" | "reflection") {
                return Err(Exception::value_error(format!(
                    "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or 'reflection', but got: '{padding}'"
                )));
            }
            if mode != "bilinear" || padding != "zeros" {
                return Err(Exception::unsupported(format!(
                    "F.grid_sample with mode='{mode}', padding_mode='{padding}'"
                )));
            }
            Ok(tv(grid_sample(&input, &grid, align(ac)?).map_err(exc)?))
        }),
    );
}
