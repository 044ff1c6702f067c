// The general (nonsymmetric) eigenproblem as LAPACK's `dgeev` solves it, written over the float
// type `F` and compiled per precision by `decomp.rs` beside `decomp_kernel.rs` (whose `Mat`,
// `householder`, `Reflector`, `sign` and `lartg` it uses): balancing (`dgebal`), Householder
// reduction to Hessenberg form (`dgehd2`, `dorghr`), the double-shift QR algorithm (`dlahqr`,
// with `dlanv2`'s standardised 2x2 blocks), eigenvectors of the quasi-triangular Schur form
// (`dtrevc3`), back-transformed and unbalanced (`dgebak`) and normalised as `dgeev` does. The
// order of the eigenvalues is the order in which the QR algorithm leaves them on the diagonal,
// and the signs of the vectors follow from the reflectors; both are what PyTorch prints.

/// `dgeev`'s result: eigenvalues as (re, im), and with vectors, LAPACK's real packing of them
/// (a complex pair's vector in two columns: real part, then imaginary part, for the eigenvalue
/// of positive imaginary part). None when the QR algorithm did not converge.
pub struct Eig {
    pub wr: Vec<F>,
    pub wi: Vec<F>,
    pub vr: Option<Mat>,
}

/// `dgebal('B')`: permutes rows and columns that isolate eigenvalues to the ends, then scales
/// rows and columns by powers of 2 to even out their norms. Returns (ilo, ihi, scale), 0-based
/// inclusive, `scale` holding permutation indices outside `ilo..=ihi` as LAPACK does.
fn gebal(a: &mut Mat) -> (usize, usize, Vec<F>) {
    let n = a.rows;
    let mut scale = vec![1.0 as F; n];
    if n == 0 {
        return (0, 0, scale);
    }
    let (mut k, mut l) = (0usize, n - 1);
    let swap = |a: &mut Mat, j: usize, m: usize, k: usize, l: usize| {
        if j != m {
            for i in 0..=l {
                let t = a.at(i, j);
                a.set(i, j, a.at(i, m));
                a.set(i, m, t);
            }
            for c in k..n {
                let t = a.at(j, c);
                a.set(j, c, a.at(m, c));
                a.set(m, c, t);
            }
        }
    };
    // Rows isolating an eigenvalue, pushed down.
    'rows: loop {
        for j in (0..=l).rev() {
            if (0..=l).all(|i| i == j || a.at(j, i) == 0.0) {
                scale[l] = j as F;
                swap(a, j, l, k, l);
                if l == 0 {
                    return (0, 0, scale);
                }
                l -= 1;
                continue 'rows;
            }
        }
        break;
    }
    // Columns isolating an eigenvalue, pushed left.
    while let Some(j) = (k..=l).find(|&j| (k..=l).all(|i| i == j || a.at(i, j) == 0.0)) {
        scale[k] = j as F;
        swap(a, j, k, k, l);
        k += 1;
    }
    for s in scale.iter_mut().take(l + 1).skip(k) {
        *s = 1.0;
    }
    let radix: F = 2.0;
    let sfmin1 = F::MIN_POSITIVE / F::EPSILON;
    let sfmax1 = 1.0 / sfmin1;
    let sfmin2 = sfmin1 * radix;
    let sfmax2 = 1.0 / sfmin2;
    let nrm = |v: &mut dyn Iterator<Item = F>| v.map(|x| x * x).sum::<F>().sqrt();
    loop {
        let mut noconv = false;
        for i in k..=l {
            let mut c = nrm(&mut (k..=l).map(|r| a.at(r, i)));
            let mut r = nrm(&mut (k..=l).map(|cc| a.at(i, cc)));
            let mut ca = (0..=l).map(|rr| a.at(rr, i).abs()).fold(0.0, F::max);
            let mut ra = (k..n).map(|cc| a.at(i, cc).abs()).fold(0.0, F::max);
            if c == 0.0 || r == 0.0 {
                continue;
            }
            let mut g = r / radix;
            let mut f: F = 1.0;
            let s = c + r;
            while !(c >= g || f.max(c).max(ca) >= sfmax2 || r.min(g).min(ra) <= sfmin2) {
                f *= radix;
                c *= radix;
                ca *= radix;
                r /= radix;
                g /= radix;
                ra /= radix;
            }
            g = c / radix;
            while !(g < r || r.max(ra) >= sfmax2 || f.min(c).min(g).min(ca) <= sfmin2) {
                f /= radix;
                c /= radix;
                g /= radix;
                ca /= radix;
                r *= radix;
                ra *= radix;
            }
            if c + r >= 0.95 * s {
                continue;
            }
            if f < 1.0 && scale[i] < 1.0 && f * scale[i] <= sfmin1 {
                continue;
            }
            if f > 1.0 && scale[i] > 1.0 && scale[i] >= sfmax1 / f {
                continue;
            }
            let g = 1.0 / f;
            scale[i] *= f;
            noconv = true;
            for cc in k..n {
                a.set(i, cc, a.at(i, cc) * g);
            }
            for rr in 0..=l {
                a.set(rr, i, a.at(rr, i) * f);
            }
        }
        if !noconv {
            break;
        }
    }
    (k, l, scale)
}

/// `dgehd2` then `dorghr`: reduces rows and columns `ilo..=ihi` of `a` to upper Hessenberg form
/// (zeros below the subdiagonal) and returns Q with A = Q H Q^T.
fn gehrd(a: &mut Mat, ilo: usize, ihi: usize) -> Mat {
    let n = a.rows;
    let mut hs = Vec::new();
    for i in ilo..ihi {
        let x: Vec<F> = (i + 2..=ihi).map(|r| a.at(r, i)).collect();
        let (beta, h) = householder(i + 1, a.at(i + 1, i), &x);
        h.right(a, 0, ihi + 1);
        // `right` covers columns i+1..=ihi of rows 0..=ihi; `left` rows i+1..=ihi of columns i+1..n.
        h.left(a, i + 1, n);
        a.set(i + 1, i, beta);
        for r in i + 2..=ihi {
            a.set(r, i, 0.0);
        }
        hs.push(h);
    }
    let mut q = Mat::eye(n, n);
    for h in hs.iter().rev() {
        h.left(&mut q, 0, n);
    }
    q
}

/// `dlanv2`: the Schur factorisation of a real 2x2 block [[a, b], [c, d]] in standard form
/// (real eigenvalues: c = 0; complex: a = d and b c < 0). Returns the new (a, b, c, d), the
/// eigenvalues (rt1r, rt1i, rt2r, rt2i) and the rotation (cs, sn).
#[allow(clippy::type_complexity)]
fn lanv2(mut a: F, mut b: F, mut c: F, mut d: F) -> ((F, F, F, F), (F, F, F, F), (F, F)) {
    let eps = F::EPSILON;
    let (mut cs, mut sn): (F, F);
    let one: F = 1.0;
    if c == 0.0 {
        cs = 1.0;
        sn = 0.0;
    } else if b == 0.0 {
        cs = 0.0;
        sn = 1.0;
        std::mem::swap(&mut a, &mut d);
        b = -c;
        c = 0.0;
    } else if a - d == 0.0 && sign(one, b) != sign(one, c) {
        cs = 1.0;
        sn = 0.0;
    } else {
        let temp = a - d;
        let mut p = 0.5 * temp;
        let bcmax = b.abs().max(c.abs());
        let bcmis = b.abs().min(c.abs()) * sign(one, b) * sign(one, c);
        let scale = p.abs().max(bcmax);
        let mut z = (p / scale) * p + (bcmax / scale) * bcmis;
        if z >= 4.0 * eps {
            // Real eigenvalues.
            z = p + sign(scale.sqrt() * z.sqrt(), p);
            a = d + z;
            d -= (bcmax / z) * bcmis;
            let tau = c.hypot(z);
            cs = z / tau;
            sn = c / tau;
            b -= c;
            c = 0.0;
        } else {
            // Complex or nearly equal real eigenvalues: make the diagonal equal.
            let sigma = b + c;
            let tau = sigma.hypot(temp);
            cs = (0.5 * (1.0 + sigma.abs() / tau)).sqrt();
            sn = -(p / (tau * cs)) * sign(one, sigma);
            let aa = a * cs + b * sn;
            let bb = -a * sn + b * cs;
            let cc = c * cs + d * sn;
            let dd = -c * sn + d * cs;
            a = aa * cs + cc * sn;
            b = bb * cs + dd * sn;
            c = -aa * sn + cc * cs;
            d = -bb * sn + dd * cs;
            let temp = 0.5 * (a + d);
            a = temp;
            d = temp;
            if c != 0.0 {
                if b != 0.0 {
                    if sign(one, b) == sign(one, c) {
                        // Real eigenvalues after all: reduce to upper triangular form.
                        let sab = b.abs().sqrt();
                        let sac = c.abs().sqrt();
                        p = sign(sab * sac, c);
                        let tau = 1.0 / (b + c).abs().sqrt();
                        a = temp + p;
                        d = temp - p;
                        b -= c;
                        c = 0.0;
                        let cs1 = sab * tau;
                        let sn1 = sac * tau;
                        let t = cs * cs1 - sn * sn1;
                        sn = cs * sn1 + sn * cs1;
                        cs = t;
                    }
                } else {
                    b = -c;
                    c = 0.0;
                    let t = cs;
                    cs = -sn;
                    sn = t;
                }
            }
        }
    }
    let (rt1i, rt2i) = if c == 0.0 {
        (0.0, 0.0)
    } else {
        let im = b.abs().sqrt() * c.abs().sqrt();
        (im, -im)
    };
    ((a, b, c, d), (a, rt1i, d, rt2i), (cs, sn))
}

/// `drot` on rows `r1`, `r2` of `h` over columns `cols`: (x, y) -> (c x + s y, c y - s x).
fn rot_h_rows(h: &mut Mat, r1: usize, r2: usize, cols: std::ops::Range<usize>, c: F, s: F) {
    for j in cols {
        let (x, y) = (h.at(r1, j), h.at(r2, j));
        h.set(r1, j, c * x + s * y);
        h.set(r2, j, c * y - s * x);
    }
}

/// `drot` on columns `c1`, `c2` of `h` over rows `rows`.
fn rot_h_cols(h: &mut Mat, c1: usize, c2: usize, rows: std::ops::Range<usize>, c: F, s: F) {
    for i in rows {
        let (x, y) = (h.at(i, c1), h.at(i, c2));
        h.set(i, c1, c * x + s * y);
        h.set(i, c2, c * y - s * x);
    }
}

/// `dlahqr`: the double-shift QR algorithm on the Hessenberg rows and columns `ilo..=ihi` of
/// `h` (the whole Schur form when `wantt`, accumulating into `z` when given). Writes the
/// eigenvalues into `wr`/`wi`; false when it did not converge.
fn lahqr(
    h: &mut Mat,
    ilo: usize,
    ihi: usize,
    wantt: bool,
    mut z: Option<&mut Mat>,
    wr: &mut [F],
    wi: &mut [F],
) -> bool {
    let n = h.rows;
    if ilo == ihi {
        wr[ilo] = h.at(ilo, ilo);
        wi[ilo] = 0.0;
        return true;
    }
    for j in ilo..ihi.saturating_sub(2) {
        h.set(j + 2, j, 0.0);
        h.set(j + 3, j, 0.0);
    }
    if ilo + 2 <= ihi {
        h.set(ihi, ihi - 2, 0.0);
    }
    let nh = ihi - ilo + 1;
    let safmin = F::MIN_POSITIVE;
    let ulp = F::EPSILON;
    let smlnum = safmin * (nh as F / ulp);
    let (mut i1, mut i2) = (0usize, n - 1);
    let itmax = 30 * nh.max(10);
    let mut kdefl = 0usize;
    const KEXSH: usize = 10;
    let (dat1, dat2): (F, F) = (0.75, -0.4375);
    // `i` is one past the active block's last row, so that it can reach ilo - 1 (LAPACK's I).
    let mut i = ihi as isize;
    while i >= ilo as isize {
        let iu = i as usize;
        let mut l = ilo;
        let mut converged = false;
        for _its in 0..=itmax {
            // A single small subdiagonal element.
            let mut k = iu;
            while k > l {
                if h.at(k, k - 1).abs() <= smlnum {
                    break;
                }
                let mut tst = h.at(k - 1, k - 1).abs() + h.at(k, k).abs();
                if tst == 0.0 {
                    if k >= ilo + 2 {
                        tst += h.at(k - 1, k - 2).abs();
                    }
                    if k < ihi {
                        tst += h.at(k + 1, k).abs();
                    }
                }
                if h.at(k, k - 1).abs() <= ulp * tst {
                    let ab = h.at(k, k - 1).abs().max(h.at(k - 1, k).abs());
                    let ba = h.at(k, k - 1).abs().min(h.at(k - 1, k).abs());
                    let aa = h
                        .at(k, k)
                        .abs()
                        .max((h.at(k - 1, k - 1) - h.at(k, k)).abs());
                    let bb = h
                        .at(k, k)
                        .abs()
                        .min((h.at(k - 1, k - 1) - h.at(k, k)).abs());
                    let s = aa + ab;
                    if ba * (ab / s) <= smlnum.max(ulp * (bb * (aa / s))) {
                        break;
                    }
                }
                k -= 1;
            }
            l = k;
            if l > ilo {
                h.set(l, l - 1, 0.0);
            }
            if l + 1 >= iu {
                converged = true;
                break;
            }
            kdefl += 1;
            if !wantt {
                i1 = l;
                i2 = iu;
            }
            let (mut h11, mut h12, mut h21, mut h22);
            if kdefl.is_multiple_of(2 * KEXSH) {
                let s = h.at(iu, iu - 1).abs() + h.at(iu - 1, iu - 2).abs();
                h11 = dat1 * s + h.at(iu, iu);
                h12 = dat2 * s;
                h21 = s;
                h22 = h11;
            } else if kdefl.is_multiple_of(KEXSH) {
                let s = h.at(l + 1, l).abs() + h.at(l + 2, l + 1).abs();
                h11 = dat1 * s + h.at(l, l);
                h12 = dat2 * s;
                h21 = s;
                h22 = h11;
            } else {
                h11 = h.at(iu - 1, iu - 1);
                h21 = h.at(iu, iu - 1);
                h12 = h.at(iu - 1, iu);
                h22 = h.at(iu, iu);
            }
            let s = h11.abs() + h12.abs() + h21.abs() + h22.abs();
            let (rt1r, rt1i, rt2r, rt2i): (F, F, F, F);
            if s == 0.0 {
                (rt1r, rt1i, rt2r, rt2i) = (0.0, 0.0, 0.0, 0.0);
            } else {
                h11 /= s;
                h21 /= s;
                h12 /= s;
                h22 /= s;
                let tr = (h11 + h22) / 2.0;
                let det = (h11 - tr) * (h22 - tr) - h12 * h21;
                let rtdisc = det.abs().sqrt();
                if det >= 0.0 {
                    rt1r = tr * s;
                    rt2r = rt1r;
                    rt1i = rtdisc * s;
                    rt2i = -rt1i;
                } else {
                    let a = tr + rtdisc;
                    let b = tr - rtdisc;
                    let r = if (a - h22).abs() <= (b - h22).abs() {
                        a * s
                    } else {
                        b * s
                    };
                    (rt1r, rt2r, rt1i, rt2i) = (r, r, 0.0, 0.0);
                }
            }
            // Two consecutive small subdiagonal elements.
            let mut v = [0.0 as F; 3];
            let mut m = iu - 2;
            loop {
                let h21s = h.at(m + 1, m);
                let s = (h.at(m, m) - rt2r).abs() + rt2i.abs() + h21s.abs();
                let h21s = h.at(m + 1, m) / s;
                v[0] = h21s * h.at(m, m + 1) + (h.at(m, m) - rt1r) * ((h.at(m, m) - rt2r) / s)
                    - rt1i * (rt2i / s);
                v[1] = h21s * (h.at(m, m) + h.at(m + 1, m + 1) - rt1r - rt2r);
                v[2] = h21s * h.at(m + 2, m + 1);
                let s = v[0].abs() + v[1].abs() + v[2].abs();
                v[0] /= s;
                v[1] /= s;
                v[2] /= s;
                if m == l {
                    break;
                }
                let h00 = h.at(m, m - 1).abs() * (v[1].abs() + v[2].abs());
                let h01 = ulp
                    * v[0].abs()
                    * (h.at(m - 1, m - 1).abs() + h.at(m, m).abs() + h.at(m + 1, m + 1).abs());
                if h00 <= h01 {
                    break;
                }
                m -= 1;
            }
            // The double-shift QR step.
            for k in m..iu {
                let nr = 3.min(iu - k + 1);
                if k > m {
                    for (q, vq) in v.iter_mut().enumerate().take(nr) {
                        *vq = h.at(k + q, k - 1);
                    }
                }
                let (beta, refl) = householder(0, v[0], &v[1..nr]);
                let t1 = refl.tau;
                v[0] = beta;
                v[1..nr].copy_from_slice(&refl.v[1..nr]);
                if k > m {
                    h.set(k, k - 1, v[0]);
                    h.set(k + 1, k - 1, 0.0);
                    if k + 1 < iu {
                        h.set(k + 2, k - 1, 0.0);
                    }
                } else if m > l {
                    h.set(k, k - 1, h.at(k, k - 1) * (1.0 - t1));
                }
                let v2 = v[1];
                let t2 = t1 * v2;
                if nr == 3 {
                    let v3 = v[2];
                    let t3 = t1 * v3;
                    for j in k..=i2 {
                        let sum = h.at(k, j) + v2 * h.at(k + 1, j) + v3 * h.at(k + 2, j);
                        h.set(k, j, h.at(k, j) - sum * t1);
                        h.set(k + 1, j, h.at(k + 1, j) - sum * t2);
                        h.set(k + 2, j, h.at(k + 2, j) - sum * t3);
                    }
                    for j in i1..=(k + 3).min(iu) {
                        let sum = h.at(j, k) + v2 * h.at(j, k + 1) + v3 * h.at(j, k + 2);
                        h.set(j, k, h.at(j, k) - sum * t1);
                        h.set(j, k + 1, h.at(j, k + 1) - sum * t2);
                        h.set(j, k + 2, h.at(j, k + 2) - sum * t3);
                    }
                    if let Some(z) = z.as_deref_mut() {
                        for j in ilo..=ihi {
                            let sum = z.at(j, k) + v2 * z.at(j, k + 1) + v3 * z.at(j, k + 2);
                            z.set(j, k, z.at(j, k) - sum * t1);
                            z.set(j, k + 1, z.at(j, k + 1) - sum * t2);
                            z.set(j, k + 2, z.at(j, k + 2) - sum * t3);
                        }
                    }
                } else if nr == 2 {
                    for j in k..=i2 {
                        let sum = h.at(k, j) + v2 * h.at(k + 1, j);
                        h.set(k, j, h.at(k, j) - sum * t1);
                        h.set(k + 1, j, h.at(k + 1, j) - sum * t2);
                    }
                    for j in i1..=iu {
                        let sum = h.at(j, k) + v2 * h.at(j, k + 1);
                        h.set(j, k, h.at(j, k) - sum * t1);
                        h.set(j, k + 1, h.at(j, k + 1) - sum * t2);
                    }
                    if let Some(z) = z.as_deref_mut() {
                        for j in ilo..=ihi {
                            let sum = z.at(j, k) + v2 * z.at(j, k + 1);
                            z.set(j, k, z.at(j, k) - sum * t1);
                            z.set(j, k + 1, z.at(j, k + 1) - sum * t2);
                        }
                    }
                }
            }
        }
        if !converged {
            return false;
        }
        if l == iu {
            wr[iu] = h.at(iu, iu);
            wi[iu] = 0.0;
        } else {
            // A 2x2 block split off: its standard Schur form and its eigenvalues.
            let (blk, ev, (cs, sn)) = lanv2(
                h.at(iu - 1, iu - 1),
                h.at(iu - 1, iu),
                h.at(iu, iu - 1),
                h.at(iu, iu),
            );
            h.set(iu - 1, iu - 1, blk.0);
            h.set(iu - 1, iu, blk.1);
            h.set(iu, iu - 1, blk.2);
            h.set(iu, iu, blk.3);
            (wr[iu - 1], wi[iu - 1], wr[iu], wi[iu]) = ev;
            if wantt {
                if i2 > iu {
                    rot_h_rows(h, iu - 1, iu, iu + 1..i2 + 1, cs, sn);
                }
                rot_h_cols(h, iu - 1, iu, i1..iu - 1, cs, sn);
            }
            if let Some(z) = z.as_deref_mut() {
                rot_h_cols(z, iu - 1, iu, ilo..ihi + 1, cs, sn);
            }
        }
        kdefl = 0;
        i = l as isize - 1;
    }
    true
}

/// Solves the 1x1 or 2x2 system (T - (wr + i wi)) x = b (`dlaln2` without its overflow
/// scaling), b and x complex as (re, im) pairs; a pivot below `smin` becomes `smin`.
fn laln2(t: &[[F; 2]; 2], size: usize, smin: F, wr: F, wi: F, b: [(F, F); 2]) -> [(F, F); 2] {
    let cdiv = |(ar, ai): (F, F), (br, bi): (F, F)| -> (F, F) {
        // Smith's division, as `dladiv`'s robust form computes it for ordinary operands.
        if bi.abs() <= br.abs() {
            let r = bi / br;
            let d = br + bi * r;
            ((ar + ai * r) / d, (ai - ar * r) / d)
        } else {
            let r = br / bi;
            let d = bi + br * r;
            ((ar * r + ai) / d, (ai * r - ar) / d)
        }
    };
    let cmul = |(ar, ai): (F, F), (br, bi): (F, F)| (ar * br - ai * bi, ar * bi + ai * br);
    let small = |(r, i): (F, F)| {
        if r.abs() + i.abs() < smin {
            (smin, 0.0)
        } else {
            (r, i)
        }
    };
    if size == 1 {
        let c = small((t[0][0] - wr, -wi));
        return [cdiv(b[0], c), (0.0, 0.0)];
    }
    // 2x2: Gaussian elimination with the pivot of largest modulus.
    let m = [
        [(t[0][0] - wr, -wi), (t[0][1], 0.0)],
        [(t[1][0], 0.0), (t[1][1] - wr, -wi)],
    ];
    let mag = |(r, i): (F, F)| r.abs() + i.abs();
    let mut best = (0, 0);
    for r in 0..2 {
        for c in 0..2 {
            if mag(m[r][c]) > mag(m[best.0][best.1]) {
                best = (r, c);
            }
        }
    }
    let (pr, pc) = best;
    let (or, oc) = (1 - pr, 1 - pc);
    let piv = small(m[pr][pc]);
    let l = cdiv(m[or][pc], piv);
    let lm = cmul(l, m[pr][oc]);
    let u22 = small((m[or][oc].0 - lm.0, m[or][oc].1 - lm.1));
    let lb = cmul(l, b[pr]);
    let y2 = (b[or].0 - lb.0, b[or].1 - lb.1);
    let x_oc = cdiv(y2, u22);
    let mx = cmul(m[pr][oc], x_oc);
    let x_pc = cdiv((b[pr].0 - mx.0, b[pr].1 - mx.1), piv);
    let mut x = [(0.0, 0.0); 2];
    x[pc] = x_pc;
    x[oc] = x_oc;
    x
}

/// `dtrevc3('R', 'B')`: the right eigenvectors of the quasi-triangular `t`, back-transformed
/// by the Schur vectors `q` (overwritten with them), each scaled to largest element 1.
fn trevc(t: &Mat, q: &mut Mat) {
    let n = t.rows;
    let ulp = F::EPSILON;
    let smlnum = F::MIN_POSITIVE * (n as F / ulp);
    let block = |j: usize| -> [[F; 2]; 2] {
        [
            [t.at(j, j), t.at(j, j + 1)],
            [t.at(j + 1, j), t.at(j + 1, j + 1)],
        ]
    };
    let mut ki = n;
    while ki > 0 {
        ki -= 1;
        let pair = ki > 0 && t.at(ki, ki - 1) != 0.0;
        let wr = t.at(ki, ki);
        let wi = if pair {
            t.at(ki, ki - 1).abs().sqrt() * t.at(ki - 1, ki).abs().sqrt()
        } else {
            0.0
        };
        let smin = (ulp * (wr.abs() + wi.abs())).max(smlnum);
        // x as (re, im) per row, rows 0..=ki.
        let mut x = vec![(0.0 as F, 0.0 as F); ki + 1];
        let top; // rows above the starting block
        if !pair {
            x[ki] = (1.0, 0.0);
            for k in 0..ki {
                x[k] = (-t.at(k, ki), 0.0);
            }
            top = ki;
        } else {
            let (xr, xi) = if t.at(ki - 1, ki).abs() >= t.at(ki, ki - 1).abs() {
                (1.0, wi / t.at(ki - 1, ki))
            } else {
                (-wi / t.at(ki, ki - 1), 1.0)
            };
            x[ki - 1] = (xr, 0.0);
            x[ki] = (0.0, xi);
            for k in 0..ki - 1 {
                x[k] = (-xr * t.at(k, ki - 1), -xi * t.at(k, ki));
            }
            top = ki - 1;
        }
        // Back substitution over the diagonal blocks above.
        let mut j = top;
        while j > 0 {
            let jj = j - 1;
            if jj > 0 && t.at(jj, jj - 1) != 0.0 {
                let j1 = jj - 1;
                let s = laln2(&block(j1), 2, smin, wr, wi, [x[j1], x[jj]]);
                x[j1] = s[0];
                x[jj] = s[1];
                for k in 0..j1 {
                    x[k].0 -= s[0].0 * t.at(k, j1) + s[1].0 * t.at(k, jj);
                    x[k].1 -= s[0].1 * t.at(k, j1) + s[1].1 * t.at(k, jj);
                }
                j = j1;
            } else {
                let s = laln2(
                    &[[t.at(jj, jj), 0.0], [0.0, 0.0]],
                    1,
                    smin,
                    wr,
                    wi,
                    [x[jj], (0.0, 0.0)],
                );
                x[jj] = s[0];
                for k in 0..jj {
                    x[k].0 -= s[0].0 * t.at(k, jj);
                    x[k].1 -= s[0].1 * t.at(k, jj);
                }
                j = jj;
            }
        }
        // Back-transform: Q x, into column ki (real) or ki-1, ki (real and imaginary parts).
        let cols: Vec<usize> = if pair { vec![ki - 1, ki] } else { vec![ki] };
        let mut outs: Vec<Vec<F>> = Vec::new();
        for p in 0..cols.len() {
            let part = |e: (F, F)| if p == 0 { e.0 } else { e.1 };
            let mut y = vec![0.0 as F; n];
            for (k, &e) in x.iter().enumerate() {
                let c = part(e);
                if c != 0.0 {
                    for (r, yr) in y.iter_mut().enumerate() {
                        *yr += q.at(r, k) * c;
                    }
                }
            }
            outs.push(y);
        }
        let emax = (0..n)
            .map(|r| outs.iter().map(|o| o[r].abs()).sum::<F>())
            .fold(0.0, F::max);
        let remax = 1.0 / emax;
        for (o, &c) in outs.iter().zip(&cols) {
            for r in 0..n {
                q.set(r, c, o[r] * remax);
            }
        }
        if pair {
            ki -= 1;
        }
    }
}

/// `dgeev` with right eigenvectors when `vectors` (`linalg.eig`), or eigenvalues only
/// (`linalg.eigvals`).
pub fn geev(a: &Mat, vectors: bool) -> Option<Eig> {
    let n = a.rows;
    let mut h = a.clone();
    let (ilo, ihi, scale) = gebal(&mut h);
    let mut wr = vec![0.0 as F; n];
    let mut wi = vec![0.0 as F; n];
    if n == 0 {
        return Some(Eig {
            wr,
            wi,
            vr: vectors.then(|| Mat::zeros(0, 0)),
        });
    }
    let mut q = gehrd(&mut h, ilo, ihi);
    // `dhseqr`: eigenvalues isolated by balancing are the diagonal entries outside ilo..=ihi.
    for i in (0..ilo).chain(ihi + 1..n) {
        wr[i] = h.at(i, i);
        wi[i] = 0.0;
    }
    let ok = lahqr(
        &mut h,
        ilo,
        ihi,
        vectors,
        if vectors { Some(&mut q) } else { None },
        &mut wr,
        &mut wi,
    );
    if !ok {
        return None;
    }
    if !vectors {
        return Some(Eig { wr, wi, vr: None });
    }
    for j in 0..n {
        for i in j + 2..n {
            h.set(i, j, 0.0);
        }
    }
    trevc(&h, &mut q);
    // `dgebak('B', 'R')`: undo the scaling (none when balancing isolated every eigenvalue,
    // and `scale` then holds a permutation at ilo), then the permutations.
    for i in (ilo..=ihi).filter(|_| ilo != ihi) {
        for c in 0..n {
            q.set(i, c, q.at(i, c) * scale[i]);
        }
    }
    for ii in 0..n {
        if ii >= ilo && ii <= ihi {
            continue;
        }
        let i = if ii < ilo { ilo - 1 - ii } else { ii };
        let k = scale[i] as usize;
        if k != i {
            for c in 0..n {
                let t = q.at(i, c);
                q.set(i, c, q.at(k, c));
                q.set(k, c, t);
            }
        }
    }
    // `dgeev`'s normalisation: unit 2-norm; a complex pair rotated so that its component of
    // largest modulus is real.
    let nrm = |q: &Mat, c: usize| (0..n).map(|r| q.at(r, c) * q.at(r, c)).sum::<F>().sqrt();
    let mut i = 0;
    while i < n {
        if wi[i] == 0.0 {
            let scl = 1.0 / nrm(&q, i);
            for r in 0..n {
                q.set(r, i, q.at(r, i) * scl);
            }
            i += 1;
        } else {
            let scl = 1.0 / nrm(&q, i).hypot(nrm(&q, i + 1));
            for r in 0..n {
                q.set(r, i, q.at(r, i) * scl);
                q.set(r, i + 1, q.at(r, i + 1) * scl);
            }
            let mut k = 0;
            let mut best = -1.0;
            for r in 0..n {
                let w = q.at(r, i) * q.at(r, i) + q.at(r, i + 1) * q.at(r, i + 1);
                if w > best {
                    best = w;
                    k = r;
                }
            }
            let (cs, sn, _) = lartg(q.at(k, i), q.at(k, i + 1));
            rot_h_cols(&mut q, i, i + 1, 0..n, cs, sn);
            q.set(k, i + 1, 0.0);
            i += 2;
        }
    }
    Some(Eig {
        wr,
        wi,
        vr: Some(q),
    })
}
