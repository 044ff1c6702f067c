//! `TensorError`: every failure of the tensor engine, with PyTorch's exception class and message.

use thiserror::Error;

/// One variant per kind of failure. `Display` is the exact text PyTorch puts after
/// `RuntimeError: ` (or the class [`TensorError::py_type`] names), so the interpreter can print
/// a traceback line that matches real PyTorch character for character.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TensorError {
    #[error("The size of tensor a ({a}) must match the size of tensor b ({b}) at non-singleton dimension {dim}")]
    BroadcastMismatch { a: usize, b: usize, dim: usize },

    /// `op` is the ATen kernel PyTorch names first: `mm` for `@`, `addmm` for Linear with bias.
    #[error("{op}: mat1 and mat2 shapes cannot be multiplied ({m}x{k1} and {k2}x{n})")]
    MatmulShape { op: &'static str, m: usize, k1: usize, k2: usize, n: usize },

    #[error("Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k1}] but got: [{batch}, {k2}].")]
    BatchMatmulShape { batch: usize, k1: usize, k2: usize },

    #[error("size mismatch, got input ({rows}), mat ({rows}x{cols}), vec ({len})")]
    MvShape { rows: usize, cols: usize, len: usize },

    #[error("inconsistent tensor size, expected tensor [{a}] and src [{b}] to have the same number of elements, but got {a} and {b} elements respectively")]
    DotShape { a: usize, b: usize },

    #[error("both arguments to matmul need to be at least 1D, but they are {a}D and {b}D")]
    MatmulZeroDim { a: usize, b: usize },

    #[error("grad can be implicitly created only for scalar outputs")]
    ImplicitGradNonScalar,

    #[error("element 0 of tensors does not require grad and does not have a grad_fn")]
    NoGradFn,

    #[error("Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.")]
    GraphFreed,

    #[error("Mismatch in shape: grad_output[0] has a shape of {grad:?} and output[0] has a shape of {output:?}.")]
    GradShape { grad: Vec<usize>, output: Vec<usize> },

    #[error("a Tensor with {numel} elements cannot be converted to Scalar")]
    ItemNotScalar { numel: usize },

    #[error("only Tensors of floating point dtype can require gradients")]
    RequiresGradNonFloat,

    #[error("you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")]
    RequiresGradNonLeaf,

    #[error("a leaf Variable that requires grad is being used in an in-place operation.")]
    InPlaceLeaf,

    #[error("a view of a leaf Variable that requires grad is being used in an in-place operation.")]
    InPlaceViewOfLeaf,

    /// `op` is PyTorch's short name of the multi-output view function (`Split`, `Unbind`).
    #[error("Output {index} of {op} is a view and is being modified inplace. This view is the output of a function that returns multiple views. Such functions do not allow the output views to be modified inplace. You should replace the inplace operation by an out-of-place one.")]
    InPlaceMultiOutputView { index: usize, op: &'static str },

    #[error("A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked).")]
    InPlaceNoGradView,

    #[error("unsupported operation: more than one element of the written-to tensor refers to a single memory location. Please clone() the tensor before performing the operation.")]
    InPlaceOverlap,

    #[error("view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .reshape(...) instead.")]
    ViewIncompatible,

    #[error("Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")]
    DimOutOfRange { lo: isize, hi: isize, dim: isize },

    #[error("index {index} is out of bounds for dimension {dim} with size {size}")]
    IndexOutOfRange { index: i64, dim: usize, size: usize },

    #[error("Target {target} is out of bounds.")]
    TargetOutOfBounds { target: i64 },

    #[error("shape '{shape}' is invalid for input of size {numel}")]
    BadReshape { shape: String, numel: usize },

    #[error("{what}")]
    Unsupported { what: String },

    /// PyTorch would try (and usually fail) to allocate; a lesson must not take the process down.
    #[error("lessonrun: a tensor of {numel} elements exceeds the limit of {limit} elements for one tensor in a lesson")]
    TooLarge { numel: u128, limit: u64 },

    /// The tensor would take the lesson past its memory limit (checked before allocating).
    #[error("a tensor of {mib} MiB would take this lesson past its memory limit of {limit_mib} MiB")]
    OverBudget { mib: u64, limit_mib: u64 },

    #[error("{msg}")]
    Type { msg: String },

    #[error("{msg}")]
    Value { msg: String },

    #[error("{msg}")]
    Index { msg: String },

    #[error("{msg}")]
    Runtime { msg: String },

    /// A kernel with no implementation for the dtype (`"silu_cpu" not implemented for 'Long'`).
    #[error("{msg}")]
    NotImplemented { msg: String },
}

impl TensorError {
    /// The Python exception class PyTorch raises for this error.
    pub fn py_type(&self) -> &'static str {
        match self {
            TensorError::DimOutOfRange { .. }
            | TensorError::IndexOutOfRange { .. }
            | TensorError::TargetOutOfBounds { .. }
            | TensorError::Index { .. } => "IndexError",
            TensorError::Type { .. } => "TypeError",
            TensorError::Value { .. } => "ValueError",
            TensorError::NotImplemented { .. } => "NotImplementedError",
            TensorError::OverBudget { .. } => "MemoryError",
            _ => "RuntimeError",
        }
    }

    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        TensorError::Unsupported { what: what.into() }
    }

    pub(crate) fn runtime(msg: impl Into<String>) -> Self {
        TensorError::Runtime { msg: msg.into() }
    }
}
