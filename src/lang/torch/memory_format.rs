//! Memory formats: `torch.contiguous_format`, `channels_last`, `channels_last_3d` and
//! `preserve_format`, and the strides they give a tensor. A channels-last tensor is a view
//! (dims permuted back to NCHW) of a buffer laid out NHWC, so `stride()` and every kernel
//! see it as PyTorch's; `is_contiguous(memory_format=)`, `to`/`contiguous`/`clone`/`empty`
//! and the `*_like` factories take the argument, and pointwise arithmetic keeps the format of
//! its inputs as PyTorch's TensorIterator does.

use super::convert::exc;
use crate::lang::native::NativeObject;
use crate::lang::{Exception, Module, Value};
use crate::tensor::{self as engine, Tensor};

type R<T> = Result<T, Exception>;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Format {
    Contiguous,
    ChannelsLast,
    ChannelsLast3d,
    Preserve,
}

/// The names, as `repr` shows them and as `torch` holds them.
const NAMES: [(Format, &str); 4] = [
    (Format::Contiguous, "contiguous_format"),
    (Format::ChannelsLast, "channels_last"),
    (Format::ChannelsLast3d, "channels_last_3d"),
    (Format::Preserve, "preserve_format"),
];

/// `torch.memory_format` values.
pub struct PyMemoryFormat(pub Format);

impl NativeObject for PyMemoryFormat {
    fn type_name(&self) -> &str {
        "memory_format"
    }
    fn module_name(&self) -> Option<&str> {
        Some("torch")
    }
    fn repr(&self) -> String {
        let name = NAMES
            .iter()
            .find(|(f, _)| *f == self.0)
            .map_or("contiguous_format", |(_, n)| n);
        format!("torch.{name}")
    }
    fn snapshot(&self, _: &mut crate::lang::interp::Copier) -> Option<Value> {
        Some(Value::native(PyMemoryFormat(self.0)))
    }
}

pub fn install(m: &Module) {
    for (f, name) in NAMES {
        m.set(name, Value::native(PyMemoryFormat(f)));
    }
}

/// A `memory_format=` argument: None when absent or None.
pub fn format_arg(v: Option<&Value>, func: &str) -> R<Option<Format>> {
    match v {
        None | Some(Value::None) => Ok(None),
        Some(v) => v
            .downcast::<PyMemoryFormat>()
            .map(|f| Some(f.0))
            .ok_or_else(|| {
                Exception::type_error(format!(
                    "{func}(): argument 'memory_format' must be torch.memory_format, not {}",
                    v.type_name()
                ))
            }),
    }
}

/// The dims from densest to sparsest that a format lays out, for a tensor of `nd` dims.
fn order(f: Format, nd: usize) -> Option<Vec<usize>> {
    match (f, nd) {
        (Format::ChannelsLast, 4) => Some(vec![1, 3, 2, 0]),
        (Format::ChannelsLast3d, 5) => Some(vec![1, 4, 3, 2, 0]),
        // `is_contiguous(memory_format=torch.preserve_format)` is the plain check.
        (Format::Contiguous | Format::Preserve, _) => Some((0..nd).rev().collect()),
        _ => None,
    }
}

/// `t.is_contiguous(memory_format=f)`: strides of size-1 dims do not matter (c10's
/// `compute_channels_last_contiguous_2d` and `compute_contiguous`).
pub fn is_contiguous_as(t: &Tensor, f: Format) -> bool {
    let (shape, strides) = (t.shape(), t.strides());
    let Some(dims) = order(f, shape.len()) else {
        return false;
    };
    if shape.contains(&0) {
        return true;
    }
    let mut expected = 1;
    for d in dims {
        if shape[d] != 1 {
            if strides[d] != expected {
                return false;
            }
            expected *= shape[d];
        }
    }
    true
}

/// c10's `is_channels_last_strides_2d`/`_3d`: strides that increase along the format's
/// order, an N111-like tensor counting as contiguous.
fn strides_like(t: &Tensor, f: Format) -> bool {
    let (shape, strides) = (t.shape(), t.strides());
    let Some(dims) = order(f, shape.len()) else {
        return false;
    };
    if strides[1] == 0 {
        return false;
    }
    let mut min = 0;
    for d in dims {
        if shape[d] == 0 || strides[d] < min || (d == 0 && min == strides[1]) {
            return false;
        }
        min = strides[d];
        if shape[d] > 1 {
            min *= shape[d];
        }
    }
    true
}

/// `t.suggest_memory_format()`: the channels-last format its strides follow, else contiguous.
pub fn suggest(t: &Tensor) -> Format {
    if t.is_contiguous() {
        return Format::Contiguous;
    }
    match t.dim() {
        4 if strides_like(t, Format::ChannelsLast) => Format::ChannelsLast,
        5 if strides_like(t, Format::ChannelsLast3d) => Format::ChannelsLast3d,
        _ => Format::Contiguous,
    }
}

/// `t`'s elements in format `f`'s strides, always a new layout (what `to` and `empty_like`
/// give). A channels-last result is the NCHW view of an NHWC copy.
pub fn restride(t: &Tensor, f: Format) -> R<Tensor> {
    let nd = t.dim();
    let f = if f == Format::Preserve { suggest(t) } else { f };
    let perm: Vec<isize> = match (f, nd) {
        (Format::ChannelsLast, 4) => vec![0, 2, 3, 1],
        (Format::ChannelsLast3d, 5) => vec![0, 2, 3, 4, 1],
        (Format::Contiguous, _) | (Format::Preserve, _) => return Ok(t.contiguous()),
        (Format::ChannelsLast, _) => {
            return Err(Exception::runtime_error(
                "required rank 4 tensor to use channels_last format",
            ));
        }
        (Format::ChannelsLast3d, _) => {
            return Err(Exception::runtime_error(
                "required rank 5 tensor to use channels_last_3d format",
            ));
        }
    };
    let mut back = vec![0isize; nd];
    for (i, &p) in perm.iter().enumerate() {
        back[p as usize] = i as isize;
    }
    // A copy even when the permuted view counts as contiguous (size-1 dims), so the strides
    // are the format's own.
    let dense = t.permute(&perm).map_err(exc)?.clone_tensor();
    dense.permute(&back).map_err(exc)
}

/// `t.contiguous(memory_format=f)`: `t` itself when already laid out so.
pub fn contiguous_as(t: &Tensor, f: Format) -> R<Option<Tensor>> {
    if is_contiguous_as(t, f) {
        return Ok(None);
    }
    if f == Format::Preserve {
        return Err(Exception::runtime_error(
            "preserve memory format is unsupported by the contiguous operator",
        ));
    }
    restride(t, f).map(Some)
}

/// `t.to(memory_format=f)`: `t` itself when its strides already suggest `f`.
pub fn to_format(t: &Tensor, f: Format) -> R<Option<Tensor>> {
    if f == Format::Preserve || suggest(t) == f {
        return Ok(None);
    }
    restride(t, f).map(Some)
}

/// A new tensor made contiguous by an op whose output follows its input's format (`clone`,
/// `*_like`, pointwise arithmetic): re-laid out when `like` is channels-last. Only tensors
/// without history are re-laid out, so the result keeps its `grad_fn`.
pub fn follow(out: Tensor, like: &Tensor) -> R<Tensor> {
    if like.is_contiguous() || out.dim() < 4 || out.shape() != like.shape() || out.requires_grad() {
        return Ok(out);
    }
    match suggest(like) {
        Format::Contiguous | Format::Preserve => Ok(out),
        f => engine::no_grad(|| restride(&out, f)),
    }
}

/// The output of `a op b` in the format TensorIterator gives it: the first operand of the
/// output's shape whose layout is not ambiguous decides.
pub fn follow_pair(out: Tensor, a: &Tensor, b: Option<&Tensor>) -> R<Tensor> {
    if a.is_contiguous() && b.is_none_or(Tensor::is_contiguous) {
        return Ok(out);
    }
    // An N1HW tensor is both contiguous and channels-last: it decides nothing.
    let ambiguous = |t: &Tensor| {
        [
            Format::Contiguous,
            Format::ChannelsLast,
            Format::ChannelsLast3d,
        ]
        .iter()
        .filter(|&&f| is_contiguous_as(t, f))
        .count()
            > 1
    };
    for t in std::iter::once(a).chain(b) {
        if t.shape() == out.shape() && !ambiguous(t) {
            return follow(out, t);
        }
    }
    Ok(out)
}
