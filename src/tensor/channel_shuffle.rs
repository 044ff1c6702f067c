//! `channel_shuffle`: ATen's `native_channel_shuffle` on the CPU, the channels of `(N, C, *)`
//! viewed as `(groups, C/groups)` and transposed; a permutation, so the values are copies and
//! the gradient is the inverse shuffle (`C/groups` groups), recorded as ChannelShuffleBackward0.

use super::autograd::record;
use super::{Result, Tensor, TensorError, no_grad};

pub fn channel_shuffle(x: &Tensor, groups: i64) -> Result<Tensor> {
    let shape = x.shape();
    if shape.len() < 3 {
        return Err(TensorError::runtime(format!(
            "channel_shuffle expects input with > 2 dims, but got input with sizes {}",
            super::storage::list_str(&shape)
        )));
    }
    if groups <= 0 {
        return Err(TensorError::runtime(format!(
            "Number of groups to divide channels in must be positive. Value of groups:{groups}"
        )));
    }
    let g = groups as usize;
    let c = shape[1];
    if !c.is_multiple_of(g) {
        return Err(TensorError::runtime(format!(
            "Number of channels must be divisible by groups. Got {c} channels and {groups} groups."
        )));
    }
    let mut mid: Vec<isize> = vec![shape[0] as isize, g as isize, (c / g) as isize];
    mid.extend(shape[2..].iter().map(|&d| d as isize));
    let mut perm: Vec<isize> = vec![0, 2, 1];
    perm.extend(3..mid.len() as isize);
    let fin: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    let out = no_grad(|| x.reshape(&mid)?.permute(&perm)?.contiguous().reshape(&fin))?;
    let back = (c / g) as i64;
    Ok(record(
        (*out.storage()).clone(),
        "ChannelShuffleBackward0",
        &[x],
        false,
        move |grad, _| Ok(vec![Some(channel_shuffle(grad, back)?)]),
    ))
}
