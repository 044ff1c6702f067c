//! src/tensor/gelu_f32.rs's oneDNN `gelu_erf` compiled on its own as a C library, for
//! sweep.py's comparison with PyTorch over every float32 bit pattern (see README.md).

/// Only what gelu_f32.rs names from its parent; ATen's path, which uses it, is not swept.
mod kernels {
    pub(crate) fn vec_expf(_: f32) -> f32 {
        unreachable!("the sweep covers oneDNN's path only")
    }
}

#[path = "../../src/tensor/gelu_f32.rs"]
#[allow(dead_code)]
mod gelu_f32;

/// GELU and its derivative (the backward with an incoming gradient of 1) of the inputs with
/// bits `start..start + n`, into `y` and `d`.
///
/// # Safety
/// `y` and `d` must each have room for `n` floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn gelu(start: u32, n: usize, y: *mut f32, d: *mut f32) {
    // SAFETY: the caller gives `n` floats at each pointer.
    let (y, d) = unsafe { (std::slice::from_raw_parts_mut(y, n), std::slice::from_raw_parts_mut(d, n)) };
    for i in 0..n {
        let x = f32::from_bits(start.wrapping_add(i as u32));
        y[i] = gelu_f32::gelu_erf(x);
        d[i] = gelu_f32::gelu_erf_backward(x, 1.0);
    }
}
