//! The autograd engine: float32-first tensors over ndarray that reproduce PyTorch's CPU numbers.
//!
//! Knows nothing of Python or Markdown. The interpreter binds to the public items re-exported
//! here. Reading order: [`Tensor`] (handle, creation, properties), `ops` (differentiable
//! operations), `view` (tensors sharing a base's buffer: layouts, write-through, CopySlices),
//! `index` (Python subscripts and advanced indexing), `autograd` (graph nodes and `backward`), `kernels`
//! (summation and matmul orders that make results bit-identical to PyTorch on x86), `print`
//! (PyTorch's repr), `random` (mt19937 generator and distributions), [`nn`], [`optim`], `memory`
//! (bytes held by live tensors, per thread, and the limit on them).

pub mod activations;
pub mod activations_f32;
pub mod gelu_f32;
mod addmm_order;
pub mod addmm_scaled;
mod amax_reduce;
pub mod attention;
pub mod flash_attention;
pub mod sdp_backends;
pub mod autograd;
pub mod batchnorm;
mod binary_more;
mod bitwise;
pub mod bilinear;
mod cross;
mod dist;
pub mod euclidean_dist;
pub mod exact_chain;
pub mod embedding_bag;
pub use bitwise::BitOp;
pub mod conv;
pub mod conv_transpose;
pub mod conv_transpose1d;
pub mod conv3d;
pub mod channel_shuffle;
pub mod fold;
pub mod conv_im2col;
mod conv_jvp;
pub mod conv_dgrad;
mod conv_planes;
pub mod conv_split;
mod conv_wgrad;
mod copy_fast;
pub mod dot_order;
mod grad_fast;
pub mod dtype;
mod einsum;
pub mod gather;
mod error;
pub mod forward_ad;
mod jvp_rules;
mod graph;
mod index;
mod index_ops;
pub mod erfinv;
mod erfcx_table;
mod special_math;
mod special_ops;
mod strided_ops;
mod inplace_shape;
mod scatter_reduce;
pub mod swap;
pub mod iter_layout;
pub mod iter_rows;
pub mod grid_sample;
pub mod interpolate;
pub mod interrupt;
pub mod gemv_order;
#[cfg(target_arch = "x86_64")]
mod gemm_avx2;
mod gemm_avx512;
pub mod pack_transpose;
pub mod pad_modes;
pub mod plain_dot;
pub mod kernels;
pub mod layer_norm;
pub mod decomp;
pub mod decomp_ops;
pub mod linalg;
pub mod linalg_lu;
pub mod losses_more;
pub mod norms_more;
mod matmul;
mod matrix_exp;
mod memory;
pub mod nn;
pub mod narrow_order;
pub mod peel_order;
pub mod dgemm_order;
mod norm_reduce;
mod prod_reduce;
mod ops;
pub mod optim;
pub mod pool;
pub mod adaptive_max;
pub mod pool3d;
pub mod max_unpool;
pub mod rrelu;
pub mod multilabel_margin;
pub mod ctc;
pub mod fractional_max;
mod pool_max2;
mod print;
pub mod print_complex;
pub mod random;
mod random_count;
mod range;
pub mod rnn;
mod rnn_cells;
pub mod rnn_packed;
pub mod rnn_fused;
mod sampling;
pub mod saved_hooks;
pub mod std_sort;
mod select;
#[cfg(target_arch = "x86_64")]
pub mod sigmoid_avx2;
pub mod sigmoid_f32;
pub mod sleef;
pub mod sleef_f32;
pub mod sleef_f64;
pub mod sleef_f64_dd;
pub mod softmax_lanes;
mod stats;
pub mod sum_columns;
pub mod sum_reduce;
pub mod storage;
pub mod tanh_avx2;
pub mod tanh_f32;
#[allow(clippy::module_inception)]
mod tensor;
pub mod threads;
mod unary_more;
pub mod vml_sin;
pub mod vml_exp;
pub mod vml_log;
pub mod vml_asin;
pub mod vml_sqrt;
pub mod vml_sqrt_table;
pub mod variance;
pub mod vmap_rows;
mod windows;
pub mod view;
pub mod zip_bcast;

use std::cell::Cell;

pub use autograd::{custom_node, grad, register_post_accumulate_hook, remove_post_accumulate_hook, GradHook, PostAccumulateHook};
pub use dtype::{check_scalar_fits, bf16_bits_to_f32, f16_bits_to_f32, f32_to_bf16_bits, f32_to_f16_bits, DType};
pub use einsum::einsum;
pub use error::TensorError;
pub use graph::GradFnRef;
pub use print::{meta_repr, print_options, set_print_options, PrintOptions};
pub use index::{Index, IndexValue};
pub use index_ops::FillValue;
pub use erfinv::erf_f64;
pub use inplace_shape::ShapeOp;
pub use scatter_reduce::Reduce;
pub use special_ops::Special;
pub use memory::{memory_in_use, memory_limit, set_exceeded_hook, set_memory_limit, take_memory_exceeded, MemoryExceeded};
pub use ops::result_type_of;
pub use random_count::{binomial, poisson};
pub use random::{bernoulli, dropout_noise, keep_mask, normal, normal_, rand, randint, randn, randperm, uniform, uniform_, Generator};
pub use sampling::{exponential_, multinomial};
pub use select::ScatterSrc;
pub(crate) use storage::broadcast_shapes;
pub use tensor::Tensor;
pub use view::TensorCopier;

pub type Result<T> = std::result::Result<T, TensorError>;

/// The most elements one tensor of a lesson may have (2 GiB of float64), checked before
/// allocating so that a huge shape is an error in its cell instead of an aborted process.
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 28;

/// Normalises a possibly negative dim for a tensor of rank `ndim`, with PyTorch's error.
pub fn norm_dim_public(dim: isize, ndim: usize) -> Result<usize> {
    tensor::norm_dim(dim, ndim)
}

/// Errs when a tensor of `shape` would exceed [`MAX_TENSOR_ELEMENTS`].
pub fn check_size(shape: &[usize]) -> Result<()> {
    let numel = shape.iter().fold(1u128, |acc, &d| acc.saturating_mul(d as u128));
    if numel > MAX_TENSOR_ELEMENTS as u128 {
        return Err(TensorError::TooLarge { numel, limit: MAX_TENSOR_ELEMENTS });
    }
    // A large tensor is charged against the lesson's memory budget before it is allocated, at
    // the 4 bytes of a float32 element (the dtype is not known here; a wider storage is caught
    // by the allocator's budget once allocated, within its grace).
    memory::reserve(numel as u64 * 4)?;
    Ok(())
}

/// A Python number as it crosses into the engine.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Int(i) => i as f64,
            Scalar::Float(x) => x,
        }
    }

    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => i64::from(b),
            Scalar::Int(i) => i,
            Scalar::Float(x) => x as i64,
        }
    }

    pub fn as_bool(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::Float(x) => x != 0.0,
        }
    }

    /// The dtype a Python number gets as a "wrapped number" (float -> default float32).
    pub fn wrapped_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::Int64,
            Scalar::Float(_) => DType::Float32,
        }
    }
}

/// Flat element data for [`Tensor::from_data`], row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    F32(Vec<f32>),
    F64(Vec<f64>),
    I64(Vec<i64>),
    Bool(Vec<bool>),
}

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether operations record autograd history (false inside `torch.no_grad()`).
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode and returns the previous value, so callers can restore it.
pub fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

/// Runs `f` with grad mode off, restoring the previous mode even when `f` fails.
pub fn no_grad<T>(f: impl FnOnce() -> T) -> T {
    with_grad_mode(false, f)
}

/// Runs `f` with grad mode set to `enabled`, restoring the previous mode afterwards.
pub fn with_grad_mode<T>(enabled: bool, f: impl FnOnce() -> T) -> T {
    let prev = set_grad_enabled(enabled);
    let out = f();
    set_grad_enabled(prev);
    out
}
