//! Unit tests of `tensor::optim::adam_fused`.

use lessonrun::tensor::optim::adam_fused::*;
use lessonrun::tensor::storage::Storage;
use lessonrun::tensor::vml_sqrt::sqrt_f32_block;
use lessonrun::tensor::optim::{adam_update, addcmul, lerp, scale};

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
