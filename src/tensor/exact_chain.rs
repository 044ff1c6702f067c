//! Sequential float32 sums of non-negative addends (`acc = acc + a[i]`, every sum rounded, as
//! ATen's `binary_kernel_reduce` runs `|x|` and `x*x` norms) computed a block at a time, with
//! the same bits as the one-at-a-time chain but without its add-latency bound.
//!
//! Why a block can be jumped exactly: while the running sum `s` stays in one binade
//! `[2^e, 2^(e+1))`, every value it takes is a multiple of `u = ulp(s)`, so rounding `s + a` to
//! the nearest float is rounding `a` to the nearest multiple of `u`: the step adds `u * r`,
//! `r = a / u` rounded to the nearest integer, whatever `s` is, except on a tie (`a / u`
//! exactly half-way between integers, broken towards an even result, which depends on `s`).
//! A block of steps with no tie whose increments keep the sum below `2^(e+1)` therefore adds
//! `u * (r_1 + ... + r_n)`, each `r_i` computed on its own, side by side in vector lanes. A
//! block that would cross the binade, holds a tie, a NaN or an infinity, or starts from a sum
//! that is zero or tiny runs the plain chain instead.

/// Addends per jump: long enough to pay for the check, short enough that a block crossing a
/// binade (then run one step at a time) costs little.
const BLOCK: usize = 256;

/// `xs.fold(init, |acc, x| acc + |x|)` in float32, bit for bit.
pub fn abs_chain(xs: &[f32], init: f32) -> f32 {
    chain::<false>(xs, init)
}

/// `xs.fold(init, |acc, x| acc + x * x)` in float32 (the square rounded, then the sum), bit
/// for bit.
pub fn square_chain(xs: &[f32], init: f32) -> f32 {
    chain::<true>(xs, init)
}

#[inline(always)]
fn addend<const SQUARE: bool>(x: f32) -> f32 {
    if SQUARE { x * x } else { x.abs() }
}

fn chain<const SQUARE: bool>(xs: &[f32], mut s: f32) -> f32 {
    #[cfg(target_arch = "x86_64")]
    let avx2 = std::is_x86_feature_detected!("avx2");
    #[cfg(not(target_arch = "x86_64"))]
    let avx2 = false;
    for block in xs.chunks(BLOCK) {
        let jumped = if avx2 { jump::<SQUARE>(block, s) } else { None };
        s = jumped.unwrap_or_else(|| block.iter().fold(s, |acc, &x| acc + addend::<SQUARE>(x)));
    }
    s
}

/// 2^23: adding it to a value in `[0, 2^23)` rounds the value to an integer (ties to even) and
/// leaves that integer in the low mantissa bits.
const MAGIC: f32 = 8_388_608.0;

/// The sum after `block`'s steps from `s`, or None when the block cannot be jumped. Only called
/// on a CPU with AVX2.
fn jump<const SQUARE: bool>(block: &[f32], s: f32) -> Option<f32> {
    // `s`'s biased exponent; the grid `u = 2^(e - 150)` and its inverse must be normal floats.
    let e = s.to_bits() >> 23;
    if !(24..=254).contains(&e) {
        return None; // zero, tiny, negative, infinite or NaN
    }
    let u = f32::from_bits((e - 23) << 23);
    let inv = f32::from_bits((277 - e) << 23);
    // `s / u`: an integer in [2^23, 2^24).
    let m = (s * inv) as u32;
    // SAFETY: `chain` calls `jump` only where the CPU has AVX2.
    let total = unsafe { increments::<SQUARE>(block, inv) }?;
    if total >= (1 << 24) - m {
        return None;
    }
    Some((m + total) as f32 * u)
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn increments<const SQUARE: bool>(_block: &[f32], _inv: f32) -> Option<u32> {
    None
}

/// The sum of the block's increments `r_i` in grid steps (`inv = 1 / u`), or None on a tie,
/// an increment of 2^23 steps or more (the sum would leave the binade anyway), a NaN or an
/// infinity. Each good `r_i` is below 2^23 and a block holds 256, so the total cannot wrap.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn increments<const SQUARE: bool>(block: &[f32], inv: f32) -> Option<u32> {
    use std::arch::x86_64::*;
    let step = |x: f32, bad: &mut bool| {
        let q = addend::<SQUARE>(x) * inv; // exact: inv is a power of two
        let qm = q + MAGIC;
        *bad |= (q - (qm - MAGIC)).abs() == 0.5 || !(qm < 2.0 * MAGIC);
        qm.to_bits().wrapping_sub(MAGIC.to_bits())
    };
    let vinv = _mm256_set1_ps(inv);
    let magic = _mm256_set1_ps(MAGIC);
    let two_magic = _mm256_set1_ps(2.0 * MAGIC);
    let half = _mm256_set1_ps(0.5);
    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let magic_bits = _mm256_set1_epi32(MAGIC.to_bits() as i32);
    let mut r = _mm256_setzero_si256();
    let mut bad = _mm256_setzero_ps();
    let mut lanes = block.chunks_exact(8);
    for xs in lanes.by_ref() {
        // SAFETY: `xs` holds 8 floats.
        let x = unsafe { _mm256_loadu_ps(xs.as_ptr()) };
        let a = if SQUARE {
            _mm256_mul_ps(x, x)
        } else {
            _mm256_and_ps(x, abs_mask)
        };
        let q = _mm256_mul_ps(a, vinv);
        let qm = _mm256_add_ps(q, magic);
        let off = _mm256_and_ps(_mm256_sub_ps(q, _mm256_sub_ps(qm, magic)), abs_mask);
        bad = _mm256_or_ps(bad, _mm256_cmp_ps::<_CMP_EQ_OQ>(off, half));
        bad = _mm256_or_ps(bad, _mm256_cmp_ps::<_CMP_NLT_UQ>(qm, two_magic));
        r = _mm256_add_epi32(r, _mm256_sub_epi32(_mm256_castps_si256(qm), magic_bits));
    }
    let mut bad_tail = false;
    let mut total = lanes
        .remainder()
        .iter()
        .fold(0u32, |t, &x| t.wrapping_add(step(x, &mut bad_tail)));
    if bad_tail || _mm256_movemask_ps(bad) != 0 {
        return None;
    }
    let mut sums = [0u32; 8];
    // SAFETY: `sums` holds 8 u32s.
    unsafe { _mm256_storeu_si256(sums.as_mut_ptr().cast(), r) };
    for v in sums {
        total = total.wrapping_add(v);
    }
    Some(total)
}
