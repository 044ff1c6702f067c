//! The element-wise part of a fused recurrent step (rnn_fused.rs), forward and backward, for
//! the LSTM, GRU and plain RNN cells: the op-by-op path's formulas (rnn.rs) in its rounding
//! order, and the gradients autograd gives over those ops, written over row-major buffers.
//!
//! Each step runs compiled with AVX2 and FMA where the CPU has them (`fma_dispatch!`): the
//! formulas' fused multiply-adds, SLEEF's exp and the float32 tanh are then instructions
//! instead of calls to `fmaf`/`rintf` (same bits either way). No `a * b + c` is ever
//! contracted by the compiler, so the op-by-op path's separate roundings stay separate.

use super::rnn_fused::Elem;

/// Defines `pub(crate) fn $name` running `$body` (an `#[inline(always)]` function, so that all
/// of it is compiled into the feature-enabled copy) with AVX2 and FMA where the CPU has them.
macro_rules! fma_dispatch {
    ($(#[$doc:meta])* fn $name:ident<$T:ident>($($a:ident: $t:ty),* $(,)?) $(-> $r:ty)? => $body:ident) => {
        $(#[$doc])*
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name<$T: Elem>($($a: $t),*) $(-> $r)? {
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                #[target_feature(enable = "avx2,fma")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn fast<$T: Elem>($($a: $t),*) $(-> $r)? {
                    $body($($a),*)
                }
                // SAFETY: the CPU has the features `fast` is compiled for.
                return unsafe { fast($($a),*) };
            }
            $body($($a),*)
        }
    };
}

fma_dispatch! {
    /// The LSTM step ([`lstm_cells`]).
    fn lstm<T>(gh: &[T], gi: &[T], c_prev: &[T], h: usize, acts: &mut [T], c_new: &mut [T], tc_new: &mut [T], h_new: &mut [T]) => lstm_cells
}
fma_dispatch! {
    /// The LSTM step's backward ([`lstm_cells_back`]).
    fn lstm_back<T>(acts: &[T], tc: &[T], c_prev: &[T], dh: Option<&[T]>, dc: Option<&[T]>, h: usize, g: &mut [T], want_dc: bool) -> Option<Vec<T>> => lstm_cells_back
}
fma_dispatch! {
    /// The GRU step ([`gru_cells`]).
    fn gru<T>(gh: &[T], gi: &[T], h_prev: &[T], h: usize, acts: &mut [T], h_new: &mut [T]) => gru_cells
}
fma_dispatch! {
    /// The GRU step's backward ([`gru_cells_back`]).
    fn gru_back<T>(acts: &[T], h_prev: &[T], dh: &[T], h: usize, g_i: &mut [T], g_h: &mut [T], dd: &mut [T]) => gru_cells_back
}
fma_dispatch! {
    /// The plain RNN step ([`rnn_cells`]).
    fn rnn<T>(gh: &[T], gi: &[T], use_relu: bool, h_new: &mut [T]) => rnn_cells
}
fma_dispatch! {
    /// The plain RNN step's backward ([`rnn_cells_back`]).
    fn rnn_back<T>(y: &[T], dh: &[T], use_relu: bool, g: &mut [T]) => rnn_cells_back
}

/// SigmoidBackward0: `g * (1 - y) * y`, left to right.
#[inline(always)]
fn sig_back<T: Elem>(g: T, y: T) -> T {
    g * (T::one() - y) * y
}

/// TanhBackward0: `g * (1 - y*y)` with the fused `1 - y*y`.
#[inline(always)]
fn tanh_back<T: Elem>(g: T, y: T) -> T {
    g * (-y).mul_add(y, T::one())
}

/// `clamp_min(x, 0)`: NaN and -0 pass through.
#[inline(always)]
fn relu<T: Elem>(x: T) -> T {
    if x < T::zero() { T::zero() } else { x }
}

/// The LSTM step: the gates' nonlinearities into `acts` (i, f, g, o per row), the new cell
/// state `c_new`, its tanh `tc_new` and the new hidden state `h_new` (each (B, H)).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_cells<T: Elem>(
    gh: &[T],
    gi: &[T],
    c_prev: &[T],
    h: usize,
    acts: &mut [T],
    c_new: &mut [T],
    tc_new: &mut [T],
    h_new: &mut [T],
) {
    let b = c_prev.len() / h.max(1);
    for r in 0..b {
        let row = r * 4 * h;
        for blk in 0..4 {
            let s = row + blk * h..row + (blk + 1) * h;
            if blk == 2 {
                for k in s.clone() {
                    acts[k] = gh[k] + gi[k];
                }
                T::tanh_in_place(&mut acts[s]);
            } else {
                T::sigmoid_of_sum(&gh[s.clone()], &gi[s.clone()], &mut acts[s]);
            }
        }
        let a = &acts[row..row + 4 * h];
        for j in 0..h {
            let (i, f, g) = (a[j], a[h + j], a[2 * h + j]);
            let c = f * c_prev[r * h + j] + i * g;
            c_new[r * h + j] = c;
            tc_new[r * h + j] = c;
        }
        T::tanh_in_place(&mut tc_new[r * h..(r + 1) * h]);
        for j in 0..h {
            h_new[r * h + j] = a[3 * h + j] * tc_new[r * h + j];
        }
    }
}

/// The LSTM step's backward: the gates' gradient into `g` (B, 4H) and the previous cell
/// state's share (when `want_dc`), or `None` when no gradient reaches the step. `dh`, `dc`:
/// what reached the step's hidden and cell states.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_cells_back<T: Elem>(
    acts: &[T],
    tc: &[T],
    c_prev: &[T],
    dh: Option<&[T]>,
    dc: Option<&[T]>,
    h: usize,
    g: &mut [T],
    want_dc: bool,
) -> Option<Vec<T>> {
    let b = tc.len() / h.max(1);
    // hy = o * tanh(cy): the o gate's gradient and tanh's share of the cell's.
    // Row slices and indexed stores (no `push`), so that each row's loop vectorises.
    let dcy = match dh {
        Some(dh) => {
            let mut dcy = vec![T::zero(); b * h];
            for r in 0..b {
                let o = &acts[r * 4 * h + 3 * h..(r + 1) * 4 * h];
                let (y, d) = (&tc[r * h..(r + 1) * h], &dh[r * h..(r + 1) * h]);
                let go = &mut g[r * 4 * h + 3 * h..(r + 1) * 4 * h];
                let out = &mut dcy[r * h..(r + 1) * h];
                for j in 0..h {
                    go[j] = sig_back(d[j] * y[j], o[j]);
                    out[j] = tanh_back(d[j] * o[j], y[j]);
                }
            }
            if let Some(dc) = dc {
                dcy.iter_mut().zip(dc).for_each(|(a, &b)| *a = *a + b);
            }
            dcy
        }
        None => dc?.to_vec(),
    };
    // cy = f * cx + i * g.
    let mut dcx = vec![T::zero(); if want_dc { b * h } else { 0 }];
    for r in 0..b {
        let a = &acts[r * 4 * h..(r + 1) * 4 * h];
        let (ai, rest) = a.split_at(h);
        let (af, ag) = (&rest[..h], &rest[h..2 * h]);
        let (gi, rest) = g[r * 4 * h..(r + 1) * 4 * h].split_at_mut(h);
        let (gf, rest) = rest.split_at_mut(h);
        let gg = &mut rest[..h];
        let (d, cp) = (&dcy[r * h..(r + 1) * h], &c_prev[r * h..(r + 1) * h]);
        for j in 0..h {
            gi[j] = sig_back(d[j] * ag[j], ai[j]);
            gf[j] = sig_back(d[j] * cp[j], af[j]);
            gg[j] = tanh_back(d[j] * ai[j], ag[j]);
        }
        if want_dc {
            let out = &mut dcx[r * h..(r + 1) * h];
            for j in 0..h {
                out[j] = d[j] * af[j];
            }
        }
    }
    // The chunks' gradients meet as full tensors padded with +0.
    g.iter_mut().for_each(|v| *v = *v + T::zero());
    Some(dcx)
}

/// The GRU step (`r, z = σ(W_hr h + W_ir x), σ(...)`, `n = tanh(x_n + r * h_n)`,
/// `h' = (h - n) * z + n`): `acts` keeps r, z, n and the hidden product's n chunk per row
/// (B, 4H), `h_new` the new state.
#[inline(always)]
fn gru_cells<T: Elem>(gh: &[T], gi: &[T], h_prev: &[T], h: usize, acts: &mut [T], h_new: &mut [T]) {
    let b = h_prev.len() / h.max(1);
    for r in 0..b {
        let (row, arow) = (r * 3 * h, r * 4 * h);
        // r and z a whole block at a time, so that float32 takes the eight-lane sigmoid.
        for blk in 0..2 {
            let (s, a) = (row + blk * h..row + (blk + 1) * h, arow + blk * h);
            T::sigmoid_of_sum(&gh[s.clone()], &gi[s], &mut acts[a..a + h]);
        }
        // n's pre-activations, then their tanh a block at a time (float32: four lanes).
        for j in 0..h {
            let hn = gh[row + 2 * h + j];
            acts[arow + 2 * h + j] = gi[row + 2 * h + j] + hn * acts[arow + j];
            acts[arow + 3 * h + j] = hn;
        }
        T::tanh_in_place(&mut acts[arow + 2 * h..arow + 3 * h]);
        for j in 0..h {
            let (z, n) = (acts[arow + h + j], acts[arow + 2 * h + j]);
            let hp = h_prev[r * h + j];
            h_new[r * h + j] = (hp - n) * z + n;
        }
    }
}

/// The GRU step's backward from `dh` (what reached `h'`): the input product's gradient into
/// `g_i`, the hidden product's into `g_h` (both (B, 3H)), and `h - n`'s direct share of the
/// previous state's gradient into `dd` (B, H), which reaches it before the product's.
#[inline(always)]
fn gru_cells_back<T: Elem>(
    acts: &[T],
    h_prev: &[T],
    dh: &[T],
    h: usize,
    g_i: &mut [T],
    g_h: &mut [T],
    dd: &mut [T],
) {
    let b = h_prev.len() / h.max(1);
    for r in 0..b {
        let (row, arow) = (r * 3 * h, r * 4 * h);
        for j in 0..h {
            let (rr, z, n, hn) = (
                acts[arow + j],
                acts[arow + h + j],
                acts[arow + 2 * h + j],
                acts[arow + 3 * h + j],
            );
            let g = dh[r * h + j];
            // h' = (h - n) * z + n: AddBackward0 hands `g` on, MulBackward0 multiplies by the
            // other factor, SubBackward0 passes `dd` to h and `-dd` to n after Add's `g`.
            let d = h_prev[r * h + j] - n;
            let gd = g * z;
            let gz = g * d;
            let gn = g + -gd;
            let ga_n = tanh_back(gn, n);
            let z0 = T::zero();
            g_i[row + j] = sig_back(ga_n * hn, rr) + z0;
            g_i[row + h + j] = sig_back(gz, z) + z0;
            g_i[row + 2 * h + j] = ga_n + z0;
            g_h[row + j] = g_i[row + j];
            g_h[row + h + j] = g_i[row + h + j];
            g_h[row + 2 * h + j] = ga_n * rr + z0;
            dd[r * h + j] = gd;
        }
    }
}

/// The plain RNN step: `h' = tanh(W_hh h + W_ih x)` or its relu.
#[inline(always)]
fn rnn_cells<T: Elem>(gh: &[T], gi: &[T], use_relu: bool, h_new: &mut [T]) {
    for (k, out) in h_new.iter_mut().enumerate() {
        let x = gh[k] + gi[k];
        *out = if use_relu { relu(x) } else { x };
    }
    if !use_relu {
        T::tanh_in_place(h_new);
    }
}

/// The plain RNN step's backward: the pre-activation's gradient into `g` from `dh` and the
/// step's output `y` (ReluBackward0 keeps `g` where `y > 0`).
#[inline(always)]
fn rnn_cells_back<T: Elem>(y: &[T], dh: &[T], use_relu: bool, g: &mut [T]) {
    for (k, out) in g.iter_mut().enumerate() {
        *out = if use_relu {
            if y[k] > T::zero() { dh[k] } else { T::zero() }
        } else {
            tanh_back(dh[k], y[k])
        };
    }
}
