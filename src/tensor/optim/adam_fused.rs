//! Adam's per-parameter update in one pass over contiguous buffers: the moments updated in
//! place and the new parameter written once, with the same float operations per element, in
//! the same order, as the step-by-step storages of `optim.rs` (PyTorch's single-tensor path:
//! `lerp_`, `mul_`, `addcmul_`, `sqrt`, `/`, `add_`, `addcdiv_`).
//!
//! The step-by-step form made seven passes and five fresh buffers per parameter, and its
//! float32 square root went through the table lookup one element at a time: for the MNIST MLP
//! (100k parameters) that was a third of the training step. Every operation here is
//! elementwise, so blocking and vector lanes cannot change a result; only the square root needs
//! care (MKL's `vsSqrt`, see vml_sqrt.rs), and it takes the same lanes `torch.sqrt` does.

use crate::tensor::storage::Storage;
use crate::tensor::vml_sqrt::sqrt_f32_block;

/// The step's scalars, already rounded where PyTorch rounds them to the tensor's dtype.
#[derive(Clone, Copy)]
pub struct AdamScalars {
    /// `1 - beta1`, the `lerp_` weight.
    pub w: f64,
    pub beta2: f64,
    /// `1 - beta2`, the `addcmul_` value.
    pub s: f64,
    pub bc2_sqrt: f64,
    pub eps: f64,
    /// `-lr / bias_correction1`.
    pub neg_step_size: f64,
}

/// The new parameter, with `m` and `v` updated in place; `None` (nothing changed) unless all
/// four are contiguous buffers of one float dtype and one length.
pub(super) fn adam_fused(
    p: &Storage,
    g: &Storage,
    m: &mut Storage,
    v: &mut Storage,
    k: AdamScalars,
) -> Option<Storage> {
    match (p, g, m, v) {
        (Storage::F32(p), Storage::F32(g), Storage::F32(m), Storage::F32(v)) => {
            let (ps, gs) = (p.as_slice()?, g.as_slice()?);
            let (ms, vs) = (m.as_slice_mut()?, v.as_slice_mut()?);
            let n = ps.len();
            if gs.len() != n || ms.len() != n || vs.len() != n {
                return None;
            }
            let mut out = vec![0.0f32; n];
            f32_pass(ps, gs, ms, vs, &mut out, k);
            Some(Storage::F32(
                ndarray::ArrayD::from_shape_vec(p.raw_dim(), out).ok()?,
            ))
        }
        (Storage::F64(p), Storage::F64(g), Storage::F64(m), Storage::F64(v)) => {
            let (ps, gs) = (p.as_slice()?, g.as_slice()?);
            let (ms, vs) = (m.as_slice_mut()?, v.as_slice_mut()?);
            let n = ps.len();
            if gs.len() != n || ms.len() != n || vs.len() != n {
                return None;
            }
            let mut out = vec![0.0f64; n];
            f64_pass(ps, gs, ms, vs, &mut out, k);
            Some(Storage::F64(
                ndarray::ArrayD::from_shape_vec(p.raw_dim(), out).ok()?,
            ))
        }
        _ => None,
    }
}

/// Elements per block: the moments of a block stay in L1 between the two halves of the step.
const BLOCK: usize = 256;

pub fn f32_pass(p: &[f32], g: &[f32], m: &mut [f32], v: &mut [f32], out: &mut [f32], k: AdamScalars) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { f32_pass_fma(p, g, m, v, out, k) };
    }
    f32_blocks(p, g, m, v, out, k)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn f32_pass_fma(
    p: &[f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    out: &mut [f32],
    k: AdamScalars,
) {
    f32_blocks(p, g, m, v, out, k)
}

#[inline(always)]
fn f32_blocks(p: &[f32], g: &[f32], m: &mut [f32], v: &mut [f32], out: &mut [f32], k: AdamScalars) {
    let w = k.w as f32;
    let beta2 = k.beta2 as f32;
    let s = k.s as f32;
    let bc2 = k.bc2_sqrt as f32;
    let eps = k.eps as f32;
    let nss = k.neg_step_size as f32;
    let mut root = [0.0f32; BLOCK];
    for ((((p, g), m), v), out) in p
        .chunks(BLOCK)
        .zip(g.chunks(BLOCK))
        .zip(m.chunks_mut(BLOCK))
        .zip(v.chunks_mut(BLOCK))
        .zip(out.chunks_mut(BLOCK))
    {
        let len = p.len();
        let (g, m, v, out) = (&g[..len], &mut m[..len], &mut v[..len], &mut out[..len]);
        // exp_avg.lerp_(grad, 1 - beta1), fused in both of ATen's branches.
        if w.abs() < 0.5 {
            for (m, &g) in m.iter_mut().zip(g) {
                *m = w.mul_add(g - *m, *m);
            }
        } else {
            for (m, &g) in m.iter_mut().zip(g) {
                *m = (-(g - *m)).mul_add(1.0 - w, g);
            }
        }
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2).
        for (v, &g) in v.iter_mut().zip(g) {
            *v = (s * g).mul_add(g, *v * beta2);
        }
        let root = &mut root[..len];
        sqrt_f32_block(v, root);
        // denom = exp_avg_sq.sqrt() / bias_correction2_sqrt + eps;
        // param.addcdiv_(exp_avg, denom, value=-step_size).
        for i in 0..len {
            let d = root[i] / bc2 + eps;
            out[i] = p[i] + (nss * m[i]) / d;
        }
    }
}

/// The float64 step: IEEE square roots, no blocking needed.
fn f64_pass(p: &[f64], g: &[f64], m: &mut [f64], v: &mut [f64], out: &mut [f64], k: AdamScalars) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA.
        return unsafe { f64_pass_fma(p, g, m, v, out, k) };
    }
    f64_loop(p, g, m, v, out, k)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn f64_pass_fma(
    p: &[f64],
    g: &[f64],
    m: &mut [f64],
    v: &mut [f64],
    out: &mut [f64],
    k: AdamScalars,
) {
    f64_loop(p, g, m, v, out, k)
}

#[inline(always)]
fn f64_loop(p: &[f64], g: &[f64], m: &mut [f64], v: &mut [f64], out: &mut [f64], k: AdamScalars) {
    let n = p.len();
    let (g, m, v, out) = (&g[..n], &mut m[..n], &mut v[..n], &mut out[..n]);
    let w = k.w;
    for i in 0..n {
        let mi = if w.abs() < 0.5 {
            w.mul_add(g[i] - m[i], m[i])
        } else {
            (-(g[i] - m[i])).mul_add(1.0 - w, g[i])
        };
        m[i] = mi;
        let vi = (k.s * g[i]).mul_add(g[i], v[i] * k.beta2);
        v[i] = vi;
        let d = vi.sqrt() / k.bc2_sqrt + k.eps;
        out[i] = p[i] + (k.neg_step_size * mi) / d;
    }
}
