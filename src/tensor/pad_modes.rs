//! `F.pad` with `mode='reflect'`, `'replicate'` and `'circular'`: each output element is a copy
//! of one input element, so the forward is a gather; the backward adds each output's gradient
//! into its source in output order, as ATen's padding backward loops over output positions.

use super::autograd::record;
use super::view::{as_strided_backward, flat};
use super::{Result, Tensor, TensorError};

/// Which non-constant padding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PadMode {
    Reflect,
    Replicate,
    /// ATen's `_pad_circular`: the input cropped by any negative padding is copied to the
    /// middle, and the padding on each side copied from the other end of that middle.
    Circular,
}

/// The input index of output index `o` along a dim of `n` elements padded by `before` and
/// `after` (either may be negative: cropping).
fn source(mode: PadMode, o: i64, (before, after): (i64, i64), n: i64) -> usize {
    if mode == PadMode::Circular {
        // The middle is input[start..start + kept]; the pads wrap around it, not the input.
        let start = (-before).max(0);
        let kept = n - start - (-after).max(0);
        return (start + (o - before.max(0)).rem_euclid(kept.max(1))) as usize;
    }
    let i = o - before;
    let i = match mode {
        PadMode::Reflect if i < 0 => -i,
        PadMode::Reflect if i >= n => 2 * (n - 1) - i,
        PadMode::Reflect => i,
        PadMode::Replicate => i.clamp(0, n - 1),
        PadMode::Circular => unreachable!("handled above"),
    };
    i as usize
}

/// `F.pad(x, pad, mode)` for reflect and replicate: `pad` holds (before, after) pairs from the
/// last dim backwards, for the last 1, 2 or 3 dims of a batched or unbatched input.
pub fn pad_mode(x: &Tensor, pad: &[i64], mode: PadMode) -> Result<Tensor> {
    let shape = x.shape();
    let nd = shape.len();
    if !pad.len().is_multiple_of(2) {
        return Err(TensorError::runtime(
            "Padding length must be divisible by 2",
        ));
    }
    let k = pad.len() / 2;
    if !(1..=3).contains(&k) || nd < k + 1 || nd > k + 2 {
        return Err(TensorError::NotImplemented {
            msg: format!(
                "Padding size {} is not supported for {nd}D input tensor.\nSupported combinations for non-constant padding:\n  - 2D or 3D input: padding size = 2 (pads last dimension)\n  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)",
                pad.len()
            ),
        });
    }
    let mut out_shape = shape.clone();
    for (j, pair) in pad.chunks(2).enumerate() {
        let d = nd - 1 - j;
        let n = shape[d] as i64;
        let (l, r) = (pair[0], pair[1]);
        if mode == PadMode::Reflect && (l >= n || r >= n) {
            return Err(TensorError::runtime(format!(
                "Argument #{}: Padding size should be less than the corresponding input dimension, but got: padding ({l}, {r}) at dimension {d} of input {}",
                4 + 2 * j,
                super::storage::list_str(&shape)
            )));
        }
        if mode == PadMode::Circular && (l > n || r > n) {
            return Err(TensorError::runtime(
                "Padding value causes wrapping around more than once.",
            ));
        }
        let size = n + l + r;
        let kept = n - (-l).max(0) - (-r).max(0);
        // Circular padding may crop to nothing (an empty output), not wrap around nothing.
        let empty_ok = mode == PadMode::Circular && size == 0;
        if !empty_ok && (size <= 0 || n == 0 || (mode == PadMode::Circular && kept <= 0)) {
            return Err(TensorError::runtime(format!(
                "input tensor {} has a zero or negative output size {size} in dimension {d} after padding ({l}, {r})",
                super::storage::list_str(&shape)
            )));
        }
        out_shape[d] = size as usize;
    }
    // The source of every output element, in output order.
    let mut in_strides = vec![1usize; nd];
    for d in (0..nd.saturating_sub(1)).rev() {
        in_strides[d] = in_strides[d + 1] * shape[d + 1];
    }
    let before: Vec<(i64, i64)> = (0..nd)
        .map(|d| {
            if d + k >= nd {
                (pad[2 * (nd - 1 - d)], pad[2 * (nd - 1 - d) + 1])
            } else {
                (0, 0)
            }
        })
        .collect();
    let numel: usize = out_shape.iter().product();
    let mut pos = Vec::with_capacity(numel);
    let mut idx = vec![0usize; nd];
    for _ in 0..numel {
        let p: usize = (0..nd)
            .map(|d| {
                let i = if d + k >= nd {
                    source(mode, idx[d] as i64, before[d], shape[d] as i64)
                } else {
                    idx[d]
                };
                i * in_strides[d]
            })
            .sum();
        pos.push(p);
        for d in (0..nd).rev() {
            idx[d] += 1;
            if idx[d] < out_shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let src = x.storage();
    let out = flat::take(&src, &pos, &out_shape)?;
    let name: &'static str = match (mode, k) {
        (PadMode::Reflect, 1) => "ReflectionPad1DBackward0",
        (PadMode::Reflect, 2) => "ReflectionPad2DBackward0",
        (PadMode::Reflect, _) => "ReflectionPad3DBackward0",
        (PadMode::Replicate, 1) => "ReplicationPad1DBackward0",
        (PadMode::Replicate, 2) => "ReplicationPad2DBackward0",
        (PadMode::Replicate, _) => "ReplicationPad3DBackward0",
        // ATen builds the circular pad from slice copies; its last node is a CopySlices.
        (PadMode::Circular, _) => "CopySlices",
    };
    Ok(record(
        out,
        name,
        &[x],
        false,
        as_strided_backward(shape, std::rc::Rc::new(pos)),
    ))
}
