//! `unfold` (im2col) and `fold` (col2im) of 2-d images: every column element is one padded
//! image element, so `unfold` is a gather and `fold` a scatter-add over the same positions.
//! The scatter adds in column order (kernel offset, then block), the order of ATen's `col2im`
//! loops, so `fold` and `unfold`'s gradient round as PyTorch's do.

use std::rc::Rc;

use super::autograd::record;
use super::nn::constant_pad;
use super::view::flat;
use super::{Result, Tensor, TensorError, no_grad};

/// Kernel, dilation, padding and stride, (height, width) each.
#[derive(Clone, Copy, Debug)]
pub struct FoldSpec {
    pub kernel: [usize; 2],
    pub dilation: [usize; 2],
    pub padding: [usize; 2],
    pub stride: [usize; 2],
}

impl FoldSpec {
    /// The number of blocks along each dim of an image of `size` (may be < 1: an error).
    fn blocks(&self, size: [usize; 2]) -> [i64; 2] {
        [0, 1].map(|d| {
            let span = (self.dilation[d] * (self.kernel[d] - 1) + 1) as i64;
            (size[d] as i64 + 2 * self.padding[d] as i64 - span) / self.stride[d] as i64 + 1
        })
    }

    fn text(&self) -> String {
        format!(
            "kernel_size=({}, {}), dilation=({}, {}), padding=({}, {})",
            self.kernel[0],
            self.kernel[1],
            self.dilation[0],
            self.dilation[1],
            self.padding[0],
            self.padding[1]
        )
    }
}

/// The padded image index of each column element, in column order, for `planes` planes
/// (batch × channels) of a `size` image giving `blocks` blocks.
fn positions(spec: &FoldSpec, planes: usize, size: [usize; 2], blocks: [usize; 2]) -> Vec<usize> {
    let [kh, kw] = spec.kernel;
    let (ph, pw) = (size[0] + 2 * spec.padding[0], size[1] + 2 * spec.padding[1]);
    let mut pos = Vec::with_capacity(planes * kh * kw * blocks[0] * blocks[1]);
    for p in 0..planes {
        for i in 0..kh {
            for j in 0..kw {
                for bh in 0..blocks[0] {
                    for bw in 0..blocks[1] {
                        let h = bh * spec.stride[0] + i * spec.dilation[0];
                        let w = bw * spec.stride[1] + j * spec.dilation[1];
                        pos.push((p * ph + h) * pw + w);
                    }
                }
            }
        }
    }
    pos
}

fn check(spec: &FoldSpec) -> Result<()> {
    let pairs = [
        ("kernel size", "kernel", spec.kernel),
        ("stride", "stride", spec.stride),
        ("dilation", "dilation", spec.dilation),
    ];
    for (what, short, [h, w]) in pairs {
        if h == 0 || w == 0 {
            return Err(TensorError::runtime(format!(
                "{what} should be greater than zero, but got {short}_height: {h} {short}_width: {w}"
            )));
        }
    }
    Ok(())
}

/// The image with its zero padding, without recording (the gradient is cropped by hand).
fn padded(x: &Tensor, spec: &FoldSpec) -> Result<Tensor> {
    let (ph, pw) = (spec.padding[0] as i64, spec.padding[1] as i64);
    no_grad(|| constant_pad(x, &[pw, pw, ph, ph], 0.0))
}

/// A scatter-add into padded images of shape `lead + padded size`, cropped to `size`.
fn col2im(
    vals: &Tensor,
    pos: &[usize],
    lead: &[usize],
    size: [usize; 2],
    spec: &FoldSpec,
) -> Result<Tensor> {
    let mut pshape = lead.to_vec();
    pshape.extend([size[0] + 2 * spec.padding[0], size[1] + 2 * spec.padding[1]]);
    let full = Tensor::from_storage(flat::scatter_add(&pshape, pos, &vals.storage())?);
    let n = pshape.len() as isize;
    no_grad(|| {
        full.narrow(n - 2, spec.padding[0] as i64, size[0] as i64)?
            .narrow(n - 1, spec.padding[1] as i64, size[1] as i64)
            .map(|t| t.contiguous())
    })
}

/// `F.unfold`: `(N, C, H, W)` (or `(C, H, W)`) to `(N, C·kh·kw, L)` (or `(C·kh·kw, L)`).
pub fn unfold(x: &Tensor, spec: &FoldSpec) -> Result<Tensor> {
    check(spec)?;
    let shape = x.shape();
    let nd = shape.len();
    if nd != 3 && nd != 4 {
        return Err(TensorError::runtime(format!(
            "Expected 3D or 4D (batch mode) tensor for input with possible 0 batch size and non-zero dimensions, but got: {}",
            super::storage::list_str(&shape)
        )));
    }
    let size = [shape[nd - 2], shape[nd - 1]];
    let [bh, bw] = spec.blocks(size);
    if bh < 1 || bw < 1 {
        return Err(TensorError::runtime(format!(
            "Given input with spatial size ({}, {}), {}, calculated shape of the array of sliding blocks as ({bh}, {bw}), but its components must be at least one.",
            size[0],
            size[1],
            spec.text()
        )));
    }
    let blocks = [bh as usize, bw as usize];
    let lead = shape[..nd - 2].to_vec();
    let planes: usize = lead.iter().product();
    let pos = Rc::new(positions(spec, planes, size, blocks));
    let xp = padded(x, spec)?;
    let mut out_shape = lead[..lead.len() - 1].to_vec();
    out_shape.extend([
        lead[lead.len() - 1] * spec.kernel[0] * spec.kernel[1],
        blocks[0] * blocks[1],
    ]);
    let out = flat::take(&xp.storage(), &pos, &out_shape)?;
    let spec = *spec;
    Ok(record(out, "Im2ColBackward0", &[x], false, move |g, _| {
        Ok(vec![Some(col2im(g, &pos, &lead, size, &spec)?)])
    }))
}

/// `F.fold`: `(N, C·kh·kw, L)` (or `(C·kh·kw, L)`) to `(N, C, H, W)` (or `(C, H, W)`),
/// overlapping blocks summed.
pub fn fold(x: &Tensor, size: [usize; 2], spec: &FoldSpec) -> Result<Tensor> {
    check(spec)?;
    let shape = x.shape();
    let nd = shape.len();
    if nd != 2 && nd != 3 {
        return Err(TensorError::runtime(format!(
            "Expected 2D or 3D (batch mode) tensor for input with possible 0 batch size and non-zero dimensions, but got: {}",
            super::storage::list_str(&shape)
        )));
    }
    let (cols, len) = (shape[nd - 2], shape[nd - 1]);
    let k = spec.kernel[0] * spec.kernel[1];
    if cols % k != 0 {
        return Err(TensorError::runtime(format!(
            "Expected size of input's dimension {} to be divisible by the product of kernel_size, but got input.size({})={cols} and kernel_size=({}, {}).",
            nd - 2,
            nd - 2,
            spec.kernel[0],
            spec.kernel[1]
        )));
    }
    let [bh, bw] = spec.blocks(size);
    if bh < 1 || bw < 1 || (bh * bw) as usize != len {
        return Err(TensorError::runtime(format!(
            "Given output_size=({}, {}), {}, stride=({}, {}), expected size of input's dimension {} to match the calculated number of sliding blocks {bh} * {bw} = {}, but got input.size({})={len}.",
            size[0],
            size[1],
            spec.text(),
            spec.stride[0],
            spec.stride[1],
            nd - 1,
            bh * bw,
            nd - 1
        )));
    }
    let blocks = [bh as usize, bw as usize];
    let mut lead = shape[..nd - 2].to_vec();
    lead.push(cols / k);
    let planes: usize = lead.iter().product();
    let pos = Rc::new(positions(spec, planes, size, blocks));
    let out = col2im(x, &pos, &lead, size, spec)?;
    let spec = *spec;
    let in_shape = shape.clone();
    Ok(record(
        (*out.storage()).clone(),
        "Col2ImBackward0",
        &[x],
        false,
        move |g, _| {
            let gp = padded(g, &spec)?;
            let t = flat::take(&gp.storage(), &pos, &in_shape)?;
            Ok(vec![Some(Tensor::from_storage(t))])
        },
    ))
}
