//! The one-dimensional DFT behind `torch.fft`, in the steps MKL's DFTI takes on PyTorch's CPU
//! build as far as probing its outputs showed them (docs/divergences.md lists the lengths
//! whose last bits still differ). Every arithmetic step is rounded to the transform's
//! precision, so a float32 transform computes in float32 as MKL's does and float64 is the same
//! path unrounded.
//!
//! What the probes found (bit-identical on random inputs): lengths 2, 3 and 4 are plain
//! butterflies; odd primes (5, 7, 11, 13) a direct kernel over the pair sums and differences
//! `x[j] ± x[p-j]`; lengths that split into coprime factors (6, 10, 12, 15) the prime-factor
//! algorithm without twiddles, the factor other than the smallest prime's power first; 8 a radix-2 step over two 4-point
//! transforms whose eighth-turn twiddles multiply as `sqrt(1/2) * (a ± b)`. Real inputs of an
//! odd prime length take a kernel of their own (exact for 3 and 5).

use super::complex_math::Round;

/// The direction and precision of one transform.
#[derive(Clone, Copy)]
pub struct Dft {
    /// Rounds one step to the transform's precision (identity for float64).
    pub r: Round,
    /// -1 forward, +1 inverse: the sign of the exponent.
    pub sign: f64,
}

const H: f64 = std::f64::consts::FRAC_1_SQRT_2;

/// cos and sin of `2*pi*t/n`, exact (correctly rounded) at multiples of 30 and 45 degrees,
/// where symmetry makes them 0, ±1/2, ±1, ±sqrt(1/2) or ±sqrt(3)/2: the library's sin(pi) is
/// 1.2e-16, which would print as noise where PyTorch prints 0, and its sin(2pi/3) is one ulp
/// above sqrt(3)/2, which MKL's double 3-point kernel uses.
fn turn(t: usize, n: usize) -> (f64, f64) {
    let t = t % n;
    // cos of k*30 degrees and k*45 degrees; sin is the cos a quarter turn earlier.
    let s3 = 3f64.sqrt() / 2.0;
    let twelfths = [1.0, s3, 0.5, 0.0, -0.5, -s3, -1.0, -s3, -0.5, 0.0, 0.5, s3];
    let eighths = [1.0, H, 0.0, -H, -1.0, -H, 0.0, H];
    if (12 * t).is_multiple_of(n) {
        let k = 12 * t / n;
        return (twelfths[k], twelfths[(k + 9) % 12]);
    }
    if (8 * t).is_multiple_of(n) {
        let k = 8 * t / n;
        return (eighths[k], eighths[(k + 6) % 8]);
    }
    let a = 2.0 * std::f64::consts::PI * t as f64 / n as f64;
    (a.cos(), a.sin())
}

impl Dft {
    /// The twiddle `exp(sign * 2*pi*i * t/n)` in the transform's precision.
    fn twiddle(&self, t: usize, n: usize) -> (f64, f64) {
        let (c, s) = turn(t, n);
        ((self.r)(c), (self.r)(self.sign * s))
    }

    /// `(ar + i ai) * (br + i bi)`; at odd eighth turns as `sqrt(1/2) * (a ± b)`.
    fn mul(&self, ar: f64, ai: f64, br: f64, bi: f64) -> (f64, f64) {
        let r = self.r;
        let h = r(H);
        if br.abs() == h && bi.abs() == h {
            let (sr, si) = (br.signum(), bi.signum());
            let re = r(sr * ar - si * ai);
            let im = r(si * ar + sr * ai);
            return (r(re * h), r(im * h));
        }
        (r(r(ar * br) - r(ai * bi)), r(r(ar * bi) + r(ai * br)))
    }

    /// The DFT of `(xr, xi)`; `real` says the input is real and the whole transform (an r2c).
    pub fn run(&self, xr: &[f64], xi: &[f64], real: bool) -> (Vec<f64>, Vec<f64>) {
        let n = xr.len();
        match n {
            0 | 1 => return (xr.to_vec(), xi.to_vec()),
            2 => {
                let r = self.r;
                return (
                    vec![r(xr[0] + xr[1]), r(xr[0] - xr[1])],
                    vec![r(xi[0] + xi[1]), r(xi[0] - xi[1])],
                );
            }
            4 => return self.four(xr, xi),
            _ => {}
        }
        let p = (2..=n).find(|&p| n.is_multiple_of(p)).unwrap_or(n);
        if p == n {
            return if real {
                self.odd_real(xr)
            } else {
                self.odd(xr, xi)
            };
        }
        // The largest power of the smallest prime: a coprime split when it is not all of n.
        let mut pp = p;
        while n.is_multiple_of(pp * p) {
            pp *= p;
        }
        if pp != n {
            return self.pfa(xr, xi, n / pp, pp);
        }
        let top = if p == 2 && n.trailing_zeros().is_multiple_of(2) {
            4
        } else {
            p
        };
        self.cooley_tukey(xr, xi, top)
    }

    fn four(&self, xr: &[f64], xi: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let r = self.r;
        let (ar, ai) = (r(xr[0] + xr[2]), r(xi[0] + xi[2]));
        let (br, bi) = (r(xr[0] - xr[2]), r(xi[0] - xi[2]));
        let (cr, ci) = (r(xr[1] + xr[3]), r(xi[1] + xi[3]));
        let (dr, di) = (r(xr[1] - xr[3]), r(xi[1] - xi[3]));
        // sign * i * d: -i*d forward, +i*d inverse.
        let (mr, mi) = (-self.sign * di, self.sign * dr);
        (
            vec![r(ar + cr), r(br + mr), r(ar - cr), r(br - mr)],
            vec![r(ai + ci), r(bi + mi), r(ai - ci), r(bi - mi)],
        )
    }

    /// Odd prime p: `X[k] = x0 + sum_j cos(2pi jk/p) t_j -/+ i sum_j sin(2pi jk/p) d_j` over
    /// the pair sums `t_j` and differences `d_j`, each sum left to right.
    fn odd(&self, xr: &[f64], xi: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let r = self.r;
        let p = xr.len();
        let h = (p - 1) / 2;
        let pairs = |x: &[f64]| -> (Vec<f64>, Vec<f64>) {
            (1..=h)
                .map(|j| (r(x[j] + x[p - j]), r(x[j] - x[p - j])))
                .unzip()
        };
        let ((tr, dr), (ti, di)) = (pairs(xr), pairs(xi));
        let (mut or, mut oi) = (vec![0.0; p], vec![0.0; p]);
        let sum = |v: &[f64]| v[1..].iter().fold(v[0], |a, &b| r(a + b));
        or[0] = r(xr[0] + sum(&tr));
        oi[0] = r(xi[0] + sum(&ti));
        for k in 1..=h {
            let (mut car, mut cai, mut sbr, mut sbi) = (0.0, 0.0, 0.0, 0.0);
            for j in 1..=h {
                let (c, s) = turn(j * k, p);
                let (c, s) = (r(c), r(s));
                let term =
                    |acc: f64, v: f64, w: f64| if j == 1 { r(w * v) } else { r(acc + r(w * v)) };
                car = term(car, tr[j - 1], c);
                cai = term(cai, ti[j - 1], c);
                sbr = term(sbr, dr[j - 1], s);
                sbi = term(sbi, di[j - 1], s);
            }
            let (cr, ci) = (r(xr[0] + car), r(xi[0] + cai));
            // X[k] = c + sign*i*(sbr + i sbi), X[p-k] = c - sign*i*(...).
            let g = self.sign;
            or[k] = r(cr - g * sbi);
            oi[k] = r(ci + g * sbr);
            or[p - k] = r(cr + g * sbi);
            oi[p - k] = r(ci - g * sbr);
        }
        (or, oi)
    }

    /// An odd prime's real-input transform: the cosine sums start from x0.
    fn odd_real(&self, x: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let r = self.r;
        let p = x.len();
        let h = (p - 1) / 2;
        let t: Vec<f64> = (1..=h).map(|j| r(x[j] + x[p - j])).collect();
        let d: Vec<f64> = (1..=h).map(|j| r(x[j] - x[p - j])).collect();
        let (mut or, mut oi) = (vec![0.0; p], vec![0.0; p]);
        or[0] = r(x[0] + t[1..].iter().fold(t[0], |a, &b| r(a + b)));
        for k in 1..=h {
            let (mut c, mut s) = (x[0], 0.0);
            for j in 1..=h {
                let (cw, sw) = turn(j * k, p);
                c = r(c + r(r(cw) * t[j - 1]));
                let v = r(r(sw) * d[j - 1]);
                s = if j == 1 { v } else { r(s + v) };
            }
            or[k] = c;
            or[p - k] = c;
            oi[k] = self.sign * s;
            oi[p - k] = -self.sign * s;
        }
        (or, oi)
    }

    /// Good-Thomas for n = a*b coprime: a-point transforms first, then b-point ones, no
    /// twiddles (input at (b*i + a*j) mod n, output k at (k mod b, k mod a)).
    fn pfa(&self, xr: &[f64], xi: &[f64], a: usize, b: usize) -> (Vec<f64>, Vec<f64>) {
        let n = a * b;
        // rows[i][j]: i in 0..b (the b-point index), j in 0..a.
        let mut rr = vec![0.0; n];
        let mut ri = vec![0.0; n];
        for i in 0..b {
            let sr: Vec<f64> = (0..a).map(|j| xr[(a * i + b * j) % n]).collect();
            let si: Vec<f64> = (0..a).map(|j| xi[(a * i + b * j) % n]).collect();
            let (yr, yi) = self.run(&sr, &si, false);
            rr[i * a..(i + 1) * a].copy_from_slice(&yr);
            ri[i * a..(i + 1) * a].copy_from_slice(&yi);
        }
        let (mut or, mut oi) = (vec![0.0; n], vec![0.0; n]);
        let mut cols = vec![(vec![], vec![]); a];
        for (j, col) in cols.iter_mut().enumerate() {
            let sr: Vec<f64> = (0..b).map(|i| rr[i * a + j]).collect();
            let si: Vec<f64> = (0..b).map(|i| ri[i * a + j]).collect();
            *col = self.run(&sr, &si, false);
        }
        for k in 0..n {
            let (yr, yi) = &cols[k % a];
            or[k] = yr[k % b];
            oi[k] = yi[k % b];
        }
        (or, oi)
    }

    /// Decimation in time: `p` transforms of the stride-p subsequences, twiddled, then p-point
    /// butterflies.
    fn cooley_tukey(&self, xr: &[f64], xi: &[f64], p: usize) -> (Vec<f64>, Vec<f64>) {
        let n = xr.len();
        let m = n / p;
        let subs: Vec<(Vec<f64>, Vec<f64>)> = (0..p)
            .map(|q| {
                let sr: Vec<f64> = xr.iter().skip(q).step_by(p).copied().collect();
                let si: Vec<f64> = xi.iter().skip(q).step_by(p).copied().collect();
                self.run(&sr, &si, false)
            })
            .collect();
        let (mut or, mut oi) = (vec![0.0; n], vec![0.0; n]);
        let (mut tr, mut ti) = (vec![0.0; p], vec![0.0; p]);
        for k in 0..m {
            for (q, (yr, yi)) in subs.iter().enumerate() {
                (tr[q], ti[q]) = if q == 0 || k == 0 {
                    (yr[k], yi[k])
                } else {
                    let (c, s) = self.twiddle(q * k, n);
                    self.mul(yr[k], yi[k], c, s)
                };
            }
            let (br, bi) = self.run(&tr, &ti, false);
            for q in 0..p {
                or[k + q * m] = br[q];
                oi[k + q * m] = bi[q];
            }
        }
        (or, oi)
    }
}
