//! Attention: `scaled_dot_product_attention` (the flash or the math path) and the multi-head
//! attention forward of `nn.MultiheadAttention` (F.multi_head_attention_forward's steps),
//! built from the engine's differentiable ops.
//!
//! PyTorch runs SDPA on CPU through a blocked flash-attention kernel (online softmax) when it
//! can; so does lessonrun for float32 without gradients (flash_attention.rs). With gradients
//! PyTorch's flash backward is not modelled and the math path computes forward and backward
//! (docs/divergences.md, "Attention").

use super::{dropout_noise, DType, Generator, Result, Scalar, Tensor, TensorError};

/// An attention mask: boolean (meaning depends on the caller) or additive float.
fn float_mask(mask: &Tensor, true_means_masked: bool, dtype: DType) -> Result<Tensor> {
    if mask.dtype() != DType::Bool {
        return Ok(mask.clone());
    }
    let masked = if true_means_masked { mask.clone() } else { mask.logical_not() };
    Tensor::zeros(&mask.shape(), dtype).masked_fill(&masked, Scalar::Float(f64::NEG_INFINITY))
}

fn dropout(x: &Tensor, p: f64, g: &mut Generator) -> Result<Tensor> {
    if p <= 0.0 {
        return Ok(x.clone());
    }
    if p >= 1.0 {
        return x.mul_scalar(Scalar::Int(0));
    }
    x.mul(&dropout_noise(g, &x.shape(), x.dtype(), p)?)
}

/// `F.scaled_dot_product_attention(q, k, v, attn_mask, dropout_p, is_causal, scale)` as ATen's
/// `_scaled_dot_product_attention_math`: q and kᵀ each scaled by √scale, a boolean mask keeps
/// where True, a float mask is added, softmax over the last dim, then `@ v`.
#[allow(clippy::too_many_arguments)] // the Python signature's arguments, one each
pub fn scaled_dot_product_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
    g: &mut Generator,
) -> Result<Tensor> {
    // PyTorch takes the flash path with gradients too, and its flash backward; that backward
    // is not modelled, so with gradients the math path computes forward and backward.
    scaled_dot_product_attention_gqa(q, k, v, attn_mask, dropout_p, is_causal, scale, false, g)
}

/// `scaled_dot_product_attention` with `enable_gqa`, which only decides here whether the flash
/// backend would take the inputs (sdp_backends.rs): the math path broadcasts key and value heads.
#[allow(clippy::too_many_arguments)] // the Python signature's arguments, one each
pub fn scaled_dot_product_attention_gqa(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    attn_mask: Option<&Tensor>,
    dropout_p: f64,
    is_causal: bool,
    scale: Option<f64>,
    enable_gqa: bool,
    g: &mut Generator,
) -> Result<Tensor> {
    if is_causal && attn_mask.is_some() {
        return Err(TensorError::runtime("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"));
    }
    let fits = super::flash_attention::fits(q, k, v, attn_mask, dropout_p, enable_gqa);
    let backend = super::sdp_backends::choose(fits).map_err(TensorError::runtime)?;
    let needs_grad = super::is_grad_enabled() && [q, k, v].iter().any(|t| t.requires_grad());
    let flash = backend == super::sdp_backends::Backend::Flash;
    if flash && !needs_grad && super::flash_attention::applies(q, k, v, attn_mask, dropout_p) {
        let out = super::flash_attention::flash_attention(q, k, v, attn_mask, is_causal, scale)?;
        return flash_layout(out, q);
    }
    let out = math_attention(q, k, v, attn_mask, is_causal, scale, |attn| dropout(&attn, dropout_p, g))?;
    // PyTorch's flash kernel also runs other dtypes and inputs that need a gradient (the math
    // path computes them here); its output's layout is what the caller's code may rely on.
    if flash { flash_layout(out, q) } else { Ok(out) }
}

/// The layout PyTorch's flash path gives its output (probed): (batch, queries, heads, E) in
/// memory when the query's heads are nearer in memory than its positions, as in a projection's
/// `view(...).transpose(1, 2)`, so that `y.transpose(1, 2).view(...)` works; contiguous otherwise.
fn flash_layout(out: Tensor, q: &Tensor) -> Result<Tensor> {
    if q.dim() == 4 && q.strides()[1] < q.strides()[2] {
        if out.transpose(1, 2)?.is_contiguous() {
            return Ok(out);
        }
        return out.transpose(1, 2)?.contiguous().transpose(1, 2);
    }
    if out.is_contiguous() { Ok(out) } else { Ok(out.contiguous()) }
}

/// ATen's `_scaled_dot_product_attention_math`, with `dropout` applied to the weights.
fn math_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    attn_mask: Option<&Tensor>,
    is_causal: bool,
    scale: Option<f64>,
    dropout: impl FnOnce(Tensor) -> Result<Tensor>,
) -> Result<Tensor> {
    let (qs, ks) = (q.shape(), k.shape());
    if qs.len() < 2 || ks.len() < 2 || v.dim() < 2 {
        return Err(TensorError::runtime("scaled_dot_product_attention: expected query, key and value of at least 2 dimensions"));
    }
    let e = qs[qs.len() - 1];
    let (l, s) = (qs[qs.len() - 2], ks[ks.len() - 2]);
    let scale = scale.unwrap_or(1.0 / (e as f64).sqrt()).sqrt();
    let mask = match (is_causal, attn_mask) {
        (true, Some(_)) => {
            return Err(TensorError::runtime("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True"))
        }
        (true, None) => Some(float_mask(&Tensor::ones(&[l, s], DType::Bool).tri(0, false)?, false, q.dtype())?),
        (false, Some(m)) => Some(float_mask(m, false, q.dtype())?),
        (false, None) => None,
    };
    // ATen scales `k.transpose(-2, -1)`, and its product keeps the operand's transposed
    // layout, which the batched product then reads in place (MKL sums transposed operands in
    // another order). Our elementwise results are row-major: scaling before transposing gives
    // the same values in ATen's layout.
    let qk = q.mul_scalar(Scalar::Float(scale))?.matmul(&k.mul_scalar(Scalar::Float(scale))?.transpose(-2, -1)?)?;
    let attn = match mask {
        Some(m) => qk.add(&m)?,
        None => qk,
    };
    let attn = dropout(attn.softmax(-1)?)?;
    attn.matmul(v)
}

/// The weights and options of one `nn.MultiheadAttention` call (inputs sequence-first).
pub struct MhaArgs<'a> {
    pub num_heads: usize,
    pub in_proj_weight: &'a Tensor,
    pub in_proj_bias: Option<&'a Tensor>,
    pub out_proj_weight: &'a Tensor,
    pub out_proj_bias: Option<&'a Tensor>,
    pub key_padding_mask: Option<&'a Tensor>,
    pub attn_mask: Option<&'a Tensor>,
    pub need_weights: bool,
    pub average_attn_weights: bool,
    pub is_causal: bool,
    /// Zero unless training.
    pub dropout_p: f64,
    /// Whether query, key and value are one tensor (one packed projection).
    pub self_attention: bool,
}

fn in_projection(q: &Tensor, k: &Tensor, v: &Tensor, a: &MhaArgs) -> Result<(Tensor, Tensor, Tensor)> {
    let e = q.shape()[2] as i64;
    let w = a.in_proj_weight;
    let part = |i: i64, n: i64| -> Result<(Tensor, Option<Tensor>)> {
        Ok((w.narrow(0, i * e, n * e)?, a.in_proj_bias.map(|b| b.narrow(0, i * e, n * e)).transpose()?))
    };
    if a.self_attention {
        let proj = super::nn::linear(q, w, a.in_proj_bias)?;
        let c = |i: i64| -> Result<Tensor> { Ok(proj.narrow(2, i * e, e)?.contiguous()) };
        return Ok((c(0)?, c(1)?, c(2)?));
    }
    let (wq, bq) = part(0, 1)?;
    let (wk, bk) = part(1, 1)?;
    let (wv, bv) = part(2, 1)?;
    Ok((super::nn::linear(q, &wq, bq.as_ref())?, super::nn::linear(k, &wk, bk.as_ref())?, super::nn::linear(v, &wv, bv.as_ref())?))
}

/// F.multi_head_attention_forward on batched, sequence-first inputs (L, N, E): returns the
/// output (L, N, E) and, with `need_weights`, the weights (N, L, S), or (N, heads, L, S)
/// without averaging.
pub fn multi_head_attention(query: &Tensor, key: &Tensor, value: &Tensor, a: &MhaArgs, g: &mut Generator) -> Result<(Tensor, Option<Tensor>)> {
    let qs = query.shape();
    let (tgt_len, bsz, embed) = (qs[0], qs[1], qs[2]);
    let heads = a.num_heads;
    let head_dim = embed / heads;
    if key.shape() != value.shape() {
        return Err(TensorError::runtime(format!("key shape {:?} does not match value shape {:?}", key.shape(), value.shape())));
    }
    let (q, k, v) = in_projection(query, key, value, a)?;
    let bh = (bsz * heads) as isize;
    let hd = head_dim as isize;
    let q = q.view(&[tgt_len as isize, bh, hd])?.transpose(0, 1)?;
    let k = k.reshape(&[k.shape()[0] as isize, bh, hd])?.transpose(0, 1)?;
    let v = v.reshape(&[v.shape()[0] as isize, bh, hd])?.transpose(0, 1)?;
    let src_len = k.shape()[1];
    let mut attn_mask = match a.attn_mask {
        Some(m) => {
            let m = float_mask(m, true, query.dtype())?;
            Some(if m.dim() == 2 { m.unsqueeze(0)? } else { m })
        }
        None => None,
    };
    if let Some(kpm) = a.key_padding_mask {
        let kpm = float_mask(kpm, true, query.dtype())?;
        let kpm = kpm.view(&[bsz as isize, 1, 1, src_len as isize])?.expand(&[bsz, heads, 1, src_len])?.reshape(&[bh, 1, src_len as isize])?;
        attn_mask = Some(match attn_mask {
            Some(m) => m.add(&kpm)?,
            None => kpm,
        });
    }
    let finish = |o: Tensor| -> Result<Tensor> {
        let o = super::nn::linear(&o, a.out_proj_weight, a.out_proj_bias)?;
        o.view(&[tgt_len as isize, bsz as isize, embed as isize])
    };
    if a.need_weights {
        let q_scaled = q.mul_scalar(Scalar::Float((1.0 / head_dim as f64).sqrt()))?;
        let w = q_scaled.matmul(&k.transpose(-2, -1)?)?;
        let w = match &attn_mask {
            Some(m) => w.add(m)?,
            None => w,
        };
        let w = dropout(&w.softmax(-1)?, a.dropout_p, g)?;
        let o = w.matmul(&v)?.transpose(0, 1)?.contiguous().view(&[(tgt_len * bsz) as isize, embed as isize])?;
        let o = finish(o)?;
        let w = w.view(&[bsz as isize, heads as isize, tgt_len as isize, src_len as isize])?;
        let w = if a.average_attn_weights { w.mean(Some(&[1]), false)? } else { w };
        return Ok((o, Some(w)));
    }
    let attn_mask = match attn_mask {
        Some(m) if m.shape()[0] == 1 && m.dim() == 3 => Some(m.unsqueeze(0)?),
        Some(m) => Some(m.view(&[bsz as isize, heads as isize, -1, src_len as isize])?),
        None => None,
    };
    let (b, h) = (bsz as isize, heads as isize);
    let q = q.view(&[b, h, tgt_len as isize, hd])?;
    let k = k.view(&[b, h, src_len as isize, hd])?;
    let v = v.view(&[b, h, src_len as isize, hd])?;
    let causal = a.is_causal && attn_mask.is_none();
    let o = scaled_dot_product_attention(&q, &k, &v, attn_mask.as_ref(), a.dropout_p, causal, None, g)?;
    let o = o.permute(&[2, 0, 1, 3])?.contiguous().view(&[(bsz * tgt_len) as isize, embed as isize])?;
    Ok((finish(o)?, None))
}
