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
pub(super) struct AdamScalars {
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

fn f32_pass(p: &[f32], g: &[f32], m: &mut [f32], v: &mut [f32], out: &mut [f32], k: AdamScalars) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::optim::{adam_update, addcmul, lerp, scale};

    fn storage(v: &[f32]) -> Storage {
        Storage::F32(
            ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[v.len()]), v.to_vec()).unwrap(),
        )
    }

    fn floats(s: &Storage) -> Vec<f32> {
        match s {
            Storage::F32(a) => a.iter().copied().collect(),
            _ => unreachable!("float32 in, float32 out"),
        }
    }

    /// The fused pass against `optim.rs`'s step-by-step storages (the path it replaces, and
    /// still the one for `maximize`, weight decay and `amsgrad`), bit for bit: values of many
    /// magnitudes, zeros (the square root's scalar path) and signs, over lengths that end
    /// inside and at the edge of a block and of a vector step.
    #[test]
    fn fused_pass_equals_the_step_by_step_update() {
        let mut seed = 0x9e37_79b9_u32;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let e = (seed % 40) as i32 - 30;
            let x = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            if seed.is_multiple_of(17) {
                0.0
            } else {
                x * 2f32.powi(e)
            }
        };
        for (w, beta2) in [(0.1, 0.999), (0.7, 0.9)] {
            let k = AdamScalars {
                w,
                beta2,
                s: 1.0 - beta2,
                bc2_sqrt: 0.0447213595499958,
                eps: 1e-8,
                neg_step_size: -0.01,
            };
            for n in [1, 7, 8, 9, 255, 256, 257, 1000] {
                let p: Vec<f32> = (0..n).map(|_| next()).collect();
                let g: Vec<f32> = (0..n).map(|_| next()).collect();
                let m0: Vec<f32> = (0..n).map(|_| next()).collect();
                let v0: Vec<f32> = (0..n).map(|_| next().abs()).collect();
                let (mut m, mut v, mut out) = (m0.clone(), v0.clone(), vec![0.0; n]);
                f32_pass(&p, &g, &mut m, &mut v, &mut out, k);
                let gs = storage(&g);
                let mr = lerp(&storage(&m0), &gs, k.w).unwrap();
                let vr = addcmul(&scale(&storage(&v0), k.beta2).unwrap(), &gs, k.s).unwrap();
                let want = adam_update(&storage(&p), &mr, &vr, k.bc2_sqrt, k.eps, -k.neg_step_size)
                    .unwrap();
                let (want, mr, vr) = (floats(&want), floats(&mr), floats(&vr));
                for i in 0..n {
                    assert_eq!(
                        (out[i].to_bits(), m[i].to_bits(), v[i].to_bits()),
                        (want[i].to_bits(), mr[i].to_bits(), vr[i].to_bits()),
                        "n={n} i={i} w={w}"
                    );
                }
            }
        }
    }
}
