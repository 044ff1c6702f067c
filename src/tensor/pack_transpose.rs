//! Strided block transposes for the matmul kernels' packing: `dst[c * ds + r] = src[r * ss + c]`.
//!
//! Packing a row-major `a` into a register tile's `p`-major order, and a transposed `b` (a
//! Linear layer's `w.t()`) into row panels, are both transposes of small strided blocks. Done
//! one element at a time they cost about as much as a third of the products they feed when a
//! side of the product is small (an LSTM's batch of 16, an MLP's 10 classes): each packed value
//! serves only that many multiply-adds. Here float32 goes eight by eight through AVX registers.
//! Only copies: the values, and so every product, are unchanged.

use super::kernels::Mat;

/// A float type whose strided blocks can be transposed.
pub trait PackTranspose: Copy {
    /// `dst[c * ds + r] = src[r * ss + c]` for `r < rows`, `c < cols`.
    ///
    /// # Panics
    /// If a block reaches past `src` or `dst` (a caller's bug: the kernels size both).
    fn transpose_into(
        src: &[Self],
        ss: usize,
        rows: usize,
        cols: usize,
        dst: &mut [Self],
        ds: usize,
    );
}

fn check<T>(src: &[T], ss: usize, rows: usize, cols: usize, dst: &[T], ds: usize) -> bool {
    if rows == 0 || cols == 0 {
        return false;
    }
    assert!(
        (rows - 1) * ss + cols <= src.len() && (cols - 1) * ds + rows <= dst.len(),
        "transpose block out of bounds"
    );
    true
}

fn scalar<T: Copy>(
    src: &[T],
    ss: usize,
    r: std::ops::Range<usize>,
    c: std::ops::Range<usize>,
    dst: &mut [T],
    ds: usize,
) {
    for i in r {
        let row = &src[i * ss..];
        for j in c.clone() {
            dst[j * ds + i] = row[j];
        }
    }
}

impl PackTranspose for f64 {
    fn transpose_into(
        src: &[f64],
        ss: usize,
        rows: usize,
        cols: usize,
        dst: &mut [f64],
        ds: usize,
    ) {
        if check(src, ss, rows, cols, dst, ds) {
            scalar(src, ss, 0..rows, 0..cols, dst, ds);
        }
    }
}

impl PackTranspose for f32 {
    fn transpose_into(
        src: &[f32],
        ss: usize,
        rows: usize,
        cols: usize,
        dst: &mut [f32],
        ds: usize,
    ) {
        if !check(src, ss, rows, cols, dst, ds) {
            return;
        }
        let (r8, c8) = (rows - rows % 8, cols - cols % 8);
        #[cfg(target_arch = "x86_64")]
        if r8 > 0 && c8 > 0 && std::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX; `check` proved every block below in bounds.
            unsafe { avx::blocks(src.as_ptr(), ss, r8, c8, dst.as_mut_ptr(), ds) };
            scalar(src, ss, 0..r8, c8..cols, dst, ds);
            scalar(src, ss, r8..rows, 0..cols, dst, ds);
            return;
        }
        scalar(src, ss, 0..rows, 0..cols, dst, ds);
    }
}

/// Rows `p0..p0 + kc`, columns `j0..j0 + w` of `b` into `panel`, `kc` rows of `width` floats
/// (the matmul kernels' packed panel of `b`): a row-major `b` row by row, a transposed one (a
/// Linear layer's `w.t()`, whose columns are contiguous runs) by block transposes, any other
/// element by element. With `zero_tail` the columns past `w` are +0 (a kernel that loads
/// whole vectors needs them so); otherwise they are left as they are (masked loads skip them).
#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn pack_panel<T: PackTranspose + Default>(
    b: Mat<'_, T>,
    p0: usize,
    kc: usize,
    j0: usize,
    w: usize,
    panel: &mut [T],
    width: usize,
    zero_tail: bool,
) {
    let panel = &mut panel[..kc * width];
    if b.cs == 1 {
        for (pp, dst) in panel.chunks_exact_mut(width).enumerate() {
            let start = (p0 + pp) * b.rs + j0;
            dst[..w].copy_from_slice(&b.data[start..start + w]);
            if zero_tail {
                dst[w..].fill(T::default());
            }
        }
        return;
    }
    if zero_tail && w < width {
        panel.fill(T::default());
    }
    if b.rs == 1 {
        T::transpose_into(&b.data[p0 + j0 * b.cs..], b.cs, w, kc, panel, width);
    } else {
        for jj in 0..w {
            let col = &b.data[p0 * b.rs + (j0 + jj) * b.cs..];
            for pp in 0..kc {
                panel[pp * width + jj] = col[pp * b.rs];
            }
        }
    }
}

/// `dst[q * r + i] = src[q * stride + i]` for `q < count`, `i < r`: runs of `r` contiguous
/// values (a column-major `a`'s tile, or a convolution's shifted planes, whose rows overlap)
/// laid end to end. A register tile's `r` is at most 12, so the common widths copy fixed-size
/// arrays rather than calling `memcpy` for a handful of floats.
///
/// # Panics
/// If a run reaches past `src` or `dst`.
pub fn gather_runs<T: Copy>(
    src: &[T],
    stride: usize,
    r: usize,
    count: usize,
    dst: &mut [T],
) {
    fn fixed<T: Copy, const R: usize>(src: &[T], stride: usize, count: usize, dst: &mut [T]) {
        for (q, d) in dst.chunks_exact_mut(R).take(count).enumerate() {
            let run: &[T; R] = src[q * stride..][..R].try_into().expect("R elements");
            d.copy_from_slice(run);
        }
    }
    if count == 0 || r == 0 {
        return;
    }
    assert!(
        (count - 1) * stride + r <= src.len() && count * r <= dst.len(),
        "runs out of bounds"
    );
    match r {
        4 => fixed::<T, 4>(src, stride, count, dst),
        5 => fixed::<T, 5>(src, stride, count, dst),
        6 => fixed::<T, 6>(src, stride, count, dst),
        7 => fixed::<T, 7>(src, stride, count, dst),
        8 => fixed::<T, 8>(src, stride, count, dst),
        9 => fixed::<T, 9>(src, stride, count, dst),
        10 => fixed::<T, 10>(src, stride, count, dst),
        11 => fixed::<T, 11>(src, stride, count, dst),
        12 => fixed::<T, 12>(src, stride, count, dst),
        _ => {
            for (q, d) in dst.chunks_exact_mut(r).take(count).enumerate() {
                d.copy_from_slice(&src[q * stride..][..r]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx {
    use std::arch::x86_64::*;

    /// Rows to columns: lane `r` of result `q` is lane `q` of row `r`.
    #[target_feature(enable = "avx")]
    #[inline]
    pub(crate) fn transpose8(r: [__m256; 8]) -> [__m256; 8] {
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves.
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ]
    }

    /// The 8x8 blocks of rows `0..r8`, columns `0..c8` (both multiples of 8).
    ///
    /// # Safety
    /// The CPU has AVX; `src + r * ss + c` is readable and `dst + c * ds + r` writable for
    /// `r < r8`, `c < c8`.
    #[target_feature(enable = "avx")]
    pub(super) unsafe fn blocks(
        src: *const f32,
        ss: usize,
        r8: usize,
        c8: usize,
        dst: *mut f32,
        ds: usize,
    ) {
        for r0 in (0..r8).step_by(8) {
            for c0 in (0..c8).step_by(8) {
                // SAFETY: rows r0..r0 + 8, columns c0..c0 + 8 are inside the caller's ranges.
                unsafe {
                    let s = src.add(r0 * ss + c0);
                    let cols = transpose8(std::array::from_fn(|i| _mm256_loadu_ps(s.add(i * ss))));
                    let d = dst.add(c0 * ds + r0);
                    for (i, v) in cols.into_iter().enumerate() {
                        _mm256_storeu_ps(d.add(i * ds), v);
                    }
                }
            }
        }
    }
}
