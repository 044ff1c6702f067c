//! Unit tests of `tensor::pool`.

use lessonrun::tensor::pool::{PoolSpec, max_planes};

/// Every 2x2 window over a set of awkward values (NaNs of both signs, signed zeros,
/// infinities, ties) against ATen's scan written out: from -inf at the corner, a tap
/// replaces the best when larger or NaN.
#[test]
fn two_by_two_windows_pick_as_the_scan_does() {
    let vals = [f32::NAN, -f32::NAN, 0.0, -0.0, 1.0, 1.0, f32::NEG_INFINITY, f32::INFINITY, -2.5];
    let n = vals.len().pow(4);
    let (h, w) = (2, 2 * n);
    let mut plane = vec![0f32; h * w];
    for k in 0..n {
        let t = [k % 9, (k / 9) % 9, (k / 81) % 9, k / 729];
        plane[2 * k] = vals[t[0]];
        plane[2 * k + 1] = vals[t[1]];
        plane[w + 2 * k] = vals[t[2]];
        plane[w + 2 * k + 1] = vals[t[3]];
    }
    let p = PoolSpec { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceil_mode: false };
    let (out, idx) = max_planes(&plane, 1, h, w, 1, n, &p);
    for k in 0..n {
        let (mut best, mut at) = (f32::NEG_INFINITY, 2 * k);
        for i in [2 * k, 2 * k + 1, w + 2 * k, w + 2 * k + 1] {
            if plane[i] > best || plane[i].is_nan() {
                best = plane[i];
                at = i;
            }
        }
        assert_eq!((out[k].to_bits(), idx[k]), (best.to_bits(), at as i64), "window {k}");
    }
}

/// Planes of every height and width up to a few vectors' worth (odd sizes leave a row or
/// column out; the vector kernel's tails and its masked loads at the end of a row), several
/// planes at once, values drawn with many ties: against the same written-out scan.
#[test]
fn two_by_two_pooling_of_planes_of_every_size_picks_as_the_scan_does() {
    let vals = [f32::NAN, 0.0, -0.0, 1.0, 1.0, -1.0, f32::NEG_INFINITY, 3.5];
    let mut seed = 12345u32;
    let mut next = || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        vals[(seed >> 16) as usize % vals.len()]
    };
    let p = PoolSpec { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1], ceil_mode: false };
    for h in 2..7 {
        for w in 2..70 {
            let np = 3;
            let xv: Vec<f32> = (0..np * h * w).map(|_| next()).collect();
            let (oh, ow) = (h / 2, w / 2);
            let (out, idx) = max_planes(&xv, np, h, w, oh, ow, &p);
            assert_eq!((out.len(), idx.len()), (np * oh * ow, np * oh * ow));
            for pl in 0..np {
                let plane = &xv[pl * h * w..][..h * w];
                for oy in 0..oh {
                    for ox in 0..ow {
                        let c = 2 * oy * w + 2 * ox;
                        let (mut best, mut at) = (f32::NEG_INFINITY, c);
                        for i in [c, c + 1, c + w, c + w + 1] {
                            if plane[i] > best || plane[i].is_nan() {
                                best = plane[i];
                                at = i;
                            }
                        }
                        let k = (pl * oh + oy) * ow + ox;
                        assert_eq!((out[k].to_bits(), idx[k]), (best.to_bits(), at as i64), "{h}x{w} plane {pl} window {oy},{ox}");
                    }
                }
            }
        }
    }
}
