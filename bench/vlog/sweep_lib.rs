//! src/tensor/vml_log.rs compiled on its own as a C library, for sweep.py's comparison with
//! `torch.log` over every float32 bit pattern (see README.md).

#[path = "../../src/tensor/vml_log.rs"]
#[allow(dead_code)]
mod vml_log;

/// Compares `vml_log::ln_slice` (and `ln_f32`) on the inputs with bits `start..start + n`
/// against torch's results `y`; writes up to `max_out` differing input bits to `out` and
/// returns how many differ (any NaN matches any NaN).
///
/// # Safety
/// `y` must hold `n` floats and `out` room for `max_out` words.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cmp(
    start: u32,
    n: usize,
    y: *const f32,
    out: *mut u32,
    max_out: usize,
) -> usize {
    let (y, out) = unsafe {
        (
            std::slice::from_raw_parts(y, n),
            std::slice::from_raw_parts_mut(out, max_out),
        )
    };
    let x: Vec<f32> = (0..n)
        .map(|i| f32::from_bits(start.wrapping_add(i as u32)))
        .collect();
    let got = vml_log::ln_slice(&x);
    let mut c = 0;
    for i in 0..n {
        let (g, s, w) = (got[i], vml_log::ln_f32(x[i]), y[i]);
        let same = |a: f32| a.to_bits() == w.to_bits() || (a.is_nan() && w.is_nan());
        if !same(g) || !same(s) {
            if c < max_out {
                out[c] = x[i].to_bits();
            }
            c += 1;
        }
    }
    c
}
