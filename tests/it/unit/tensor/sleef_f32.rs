//! Unit tests of `tensor::sleef_f32`.

use crate::unit::tensor::recorded::{replay, same};

/// Every case of testdata/sleef32_cases.txt (torch.expm1 and torch.log1p on the oracle
/// machine, see gen_sleef32.py), through the slice kernels and the scalar functions.
#[test]
fn expm1_and_log1p_match_recorded_torch_bits() {
    replay(include_str!("testdata/sleef32_cases.txt"), 9000, |w| {
        let x = f32::from_bits(w[1]);
        type Kernels = (&'static str, fn(f32) -> f32, fn(&[f32]) -> Vec<f32>);
        let (name, one, many): Kernels = match w[0] {
            1 => ("expm1", lessonrun::tensor::sleef_f32::expm1f_u10, lessonrun::tensor::sleef_f32::expm1),
            _ => ("log1p", lessonrun::tensor::sleef_f32::log1pf_u10, lessonrun::tensor::sleef_f32::log1p),
        };
        let (a, b) = (one(x), many(&[x])[0]);
        (!same(a, w[2]) || !same(b, w[2])).then(|| {
            format!(
                "{name}({x:e} = {:08x}) = {a:e}/{b:e}, torch {:08x}",
                w[1], w[2]
            )
        })
    });
}

/// Every float32 input against SLEEF's own results, recorded as a digest would be too
/// coarse: run once by hand with the shim of docs/probes/sleef32_paths.py
/// (`LESSONRUN_SLEEF_SHIM=/path/to/libsl.so cargo test --profile fast --lib sleef32 -- --ignored`).
#[test]
#[ignore]
fn expm1_and_log1p_match_sleef_on_every_float32() {
    let Ok(path) = std::env::var("LESSONRUN_SLEEF_SHIM") else {
        return;
    };
    exhaustive::run(&path);
}

mod exhaustive {
    type Shim = unsafe extern "C" fn(*const f32, *mut f32, i64);
    unsafe extern "C" {
        fn dlopen(file: *const std::ffi::c_char, mode: i32) -> *mut std::ffi::c_void;
        fn dlsym(
            handle: *mut std::ffi::c_void,
            name: *const std::ffi::c_char,
        ) -> *mut std::ffi::c_void;
    }

    pub(super) fn run(path: &str) {
        let cpath = std::ffi::CString::new(path).expect("path");
        // SAFETY: loading the shim library named by the caller; RTLD_NOW.
        let lib = unsafe { dlopen(cpath.as_ptr(), 2) };
        assert!(!lib.is_null(), "cannot load {path}");
        for (sym, ours) in [
            (
                c"c_expm1f16_u10",
                lessonrun::tensor::sleef_f32::expm1 as fn(&[f32]) -> Vec<f32>,
            ),
            (c"c_log1pf16_u10", lessonrun::tensor::sleef_f32::log1p),
        ] {
            // SAFETY: looking up a symbol of the library just loaded.
            let p = unsafe { dlsym(lib, sym.as_ptr()) };
            assert!(!p.is_null(), "{sym:?} not in {path}");
            // SAFETY: the shim exports these with the `Shim` signature.
            let f: Shim = unsafe { std::mem::transmute::<*mut std::ffi::c_void, Shim>(p) };
            let chunk = 1usize << 20;
            let mut want = vec![0.0f32; chunk];
            let mut bad = 0u64;
            for start in (0..1u64 << 32).step_by(chunk) {
                let x: Vec<f32> = (0..chunk as u64)
                    .map(|i| f32::from_bits((start + i) as u32))
                    .collect();
                // SAFETY: `x` and `want` hold `chunk` floats.
                unsafe { f(x.as_ptr(), want.as_mut_ptr(), chunk as i64) };
                let got = ours(&x);
                bad += got
                    .iter()
                    .zip(&want)
                    .filter(|(a, b)| {
                        !(a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
                    })
                    .count() as u64;
            }
            assert_eq!(bad, 0, "{sym:?}: {bad} inputs differ");
        }
    }
}
