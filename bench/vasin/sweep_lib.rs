//! src/tensor/vml_asin.rs compiled on its own as a C library, for sweep.py's comparison with
//! `torch.asin`/`torch.acos` over every float32 bit pattern of [-1, 1] (see README.md).

#[path = "../../src/tensor/vml_asin.rs"]
#[allow(dead_code)]
mod vml_asin;

/// Compares `asin_f32` (`which` = 0) or `acos_f32` (1) and the C library's `asinf`/`acosf`
/// on the inputs with bits `start..start + n` against torch's results `y`; writes up to
/// `max_out` inputs where the model differs to `out`; returns (model, libm) differing counts
/// packed as `model << 32 | libm` (any NaN matches any NaN).
///
/// # Safety
/// `y` must hold `n` floats and `out` room for `max_out` words.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cmp(
    which: u32,
    start: u32,
    n: usize,
    y: *const f32,
    out: *mut u32,
    max_out: usize,
) -> u64 {
    let (y, out) = unsafe {
        (
            std::slice::from_raw_parts(y, n),
            std::slice::from_raw_parts_mut(out, max_out),
        )
    };
    let (mut c, mut l) = (0u64, 0u64);
    for (i, &w) in y.iter().enumerate() {
        let x = f32::from_bits(start.wrapping_add(i as u32));
        let (g, lib) = if which == 0 {
            (vml_asin::asin_f32(x), x.asin())
        } else {
            (vml_asin::acos_f32(x), x.acos())
        };
        let same = |a: f32| a.to_bits() == w.to_bits() || (a.is_nan() && w.is_nan());
        if !same(g) {
            if (c as usize) < max_out {
                out[c as usize] = x.to_bits();
            }
            c += 1;
        }
        if !same(lib) {
            l += 1;
        }
    }
    c << 32 | l
}
