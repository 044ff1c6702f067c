// The singular value decomposition over the float type `F`, `include!`d with
// decomp_kernel.rs into each precision's module by `decomp.rs`: Householder bidiagonalisation
// (`dgebd2`), `dbdsqr`'s implicit-shift QR on the bidiagonal with `dlasv2`'s 2x2 blocks, and
// the driver paths of MKL's `gesdd`.

/// Bidiagonalisation (`dgebd2`): for m >= n upper (d, e with e[i] at (i, i+1)), for m < n
/// lower (e[i] at (i+1, i)). Returns d, e, the left reflectors (Q = H(0)...) and the right
/// ones (P = G(0)...), with A = Q B P^T.
fn gebrd(a: &mut Mat) -> (Vec<F>, Vec<F>, Vec<Reflector>, Vec<Reflector>) {
    let (m, n) = (a.rows, a.cols);
    let (mut d, mut e, mut hq, mut hp) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    if m >= n {
        for i in 0..n {
            let x: Vec<F> = (i + 1..m).map(|r| a.at(r, i)).collect();
            let (beta, h) = householder(i, a.at(i, i), &x);
            a.set(i, i, beta);
            h.left(a, i + 1, n);
            d.push(beta);
            hq.push(h);
            if i + 1 < n {
                let x: Vec<F> = (i + 2..n).map(|c| a.at(i, c)).collect();
                let (beta, g) = householder(i + 1, a.at(i, i + 1), &x);
                a.set(i, i + 1, beta);
                g.right(a, i + 1, m);
                e.push(beta);
                hp.push(g);
            }
        }
    } else {
        for i in 0..m {
            let x: Vec<F> = (i + 1..n).map(|c| a.at(i, c)).collect();
            let (beta, g) = householder(i, a.at(i, i), &x);
            a.set(i, i, beta);
            g.right(a, i + 1, m);
            d.push(beta);
            hp.push(g);
            if i + 1 < m {
                let x: Vec<F> = (i + 2..m).map(|r| a.at(r, i)).collect();
                let (beta, h) = householder(i + 1, a.at(i + 1, i), &x);
                a.set(i + 1, i, beta);
                h.left(a, i + 1, n);
                e.push(beta);
                hq.push(h);
            }
        }
    }
    (d, e, hq, hp)
}

/// `dlas2`: the smaller singular value of [[f, g], [0, h]].
fn las2_min(f: F, g: F, h: F) -> F {
    let (fa, ga, ha) = (f.abs(), g.abs(), h.abs());
    let (fhmn, fhmx) = (fa.min(ha), fa.max(ha));
    if fhmn == 0.0 {
        return 0.0;
    }
    if ga < fhmx {
        let as_ = 1.0 + fhmn / fhmx;
        let at = (fhmx - fhmn) / fhmx;
        let au = (ga / fhmx) * (ga / fhmx);
        let c = 2.0 / ((as_ * as_ + au).sqrt() + (at * at + au).sqrt());
        fhmn * c
    } else {
        let au = fhmx / ga;
        if au == 0.0 {
            (fhmn * fhmx) / ga
        } else {
            let as_ = 1.0 + fhmn / fhmx;
            let at = (fhmx - fhmn) / fhmx;
            let c = 1.0
                / ((1.0 + (as_ * au) * (as_ * au)).sqrt() + (1.0 + (at * au) * (at * au)).sqrt());
            2.0 * ((fhmn * c) * au)
        }
    }
}

/// `dlasv2`: the SVD of [[f, g], [0, h]] with LAPACK's signs: (ssmin, ssmax, snr, csr, snl, csl).
fn lasv2(f: F, g: F, h: F) -> (F, F, F, F, F, F) {
    let (mut ft, mut fa, mut ht, mut ha) = (f, f.abs(), h, h.abs());
    let mut pmax = 1;
    let swap = ha > fa;
    if swap {
        pmax = 3;
        std::mem::swap(&mut ft, &mut ht);
        std::mem::swap(&mut fa, &mut ha);
    }
    let (gt, ga) = (g, g.abs());
    let (mut ssmin, mut ssmax, mut clt, mut crt, mut slt, mut srt);
    if ga == 0.0 {
        (ssmin, ssmax, clt, crt, slt, srt) = (ha, fa, 1.0, 1.0, 0.0, 0.0);
    } else {
        let mut gasmal = true;
        (ssmin, ssmax, clt, crt, slt, srt) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        if ga > fa {
            pmax = 2;
            if fa / ga < F::EPSILON / 2.0 {
                gasmal = false;
                ssmax = ga;
                ssmin = if ha > 1.0 {
                    fa / (ga / ha)
                } else {
                    (fa / ga) * ha
                };
                clt = 1.0;
                slt = ht / gt;
                srt = 1.0;
                crt = ft / gt;
            }
        }
        if gasmal {
            let d = fa - ha;
            let mut l = if d == fa { 1.0 } else { d / fa };
            let m = gt / ft;
            let mut t = 2.0 - l;
            let mm = m * m;
            let tt = t * t;
            let s = (tt + mm).sqrt();
            let r = if l == 0.0 {
                m.abs()
            } else {
                (l * l + mm).sqrt()
            };
            let a = 0.5 * (s + r);
            ssmin = ha / a;
            ssmax = fa * a;
            if mm == 0.0 {
                t = if l == 0.0 {
                    sign(2.0, ft) * sign(1.0, gt)
                } else {
                    gt / sign(d, ft) + m / t
                };
            } else {
                t = (m / (s + t) + m / (r + l)) * (1.0 + a);
            }
            l = (t * t + 4.0).sqrt();
            crt = 2.0 / l;
            srt = t / l;
            clt = (crt + srt * m) / a;
            slt = (ht / ft) * srt / a;
        }
    }
    let (csl, snl, csr, snr) = if swap {
        (srt, crt, slt, clt)
    } else {
        (clt, slt, crt, srt)
    };
    let tsign = match pmax {
        1 => sign(1.0, csr) * sign(1.0, csl) * sign(1.0, f),
        2 => sign(1.0, snr) * sign(1.0, csl) * sign(1.0, g),
        _ => sign(1.0, snr) * sign(1.0, snl) * sign(1.0, h),
    };
    let ssmax = sign(ssmax, tsign);
    let ssmin = sign(ssmin, tsign * sign(1.0, f) * sign(1.0, h));
    (ssmin, ssmax, snr, csr, snl, csl)
}

/// `dbdsqr` on an upper bidiagonal (d, e): singular values into `d` (descending, positive),
/// the rotations accumulated into `u`'s columns and `vt`'s rows. False if it did not converge.
fn bdsqr(d: &mut [F], e: &mut [F], u: &mut Mat, vt: &mut Mat) -> bool {
    let n = d.len();
    if n == 0 {
        return true;
    }
    let eps = F::EPSILON / 2.0;
    let unfl = F::MIN_POSITIVE;
    let mut converged = true;
    if n > 1 {
        let tolmul = (10.0 as F).max((100.0 as F).min(eps.powf(-0.125)));
        let tol = tolmul * eps;
        let mut sminoa = d[0].abs();
        if sminoa != 0.0 {
            let mut mu = sminoa;
            for i in 1..n {
                mu = d[i].abs() * (mu / (mu + e[i - 1].abs()));
                sminoa = sminoa.min(mu);
                if sminoa == 0.0 {
                    break;
                }
            }
        }
        sminoa /= (n as F).sqrt();
        let thresh = (tol * sminoa).max(6.0 * (n as F * (n as F * unfl)));
        let maxitdivn = 6 * n;
        let (mut iterdivn, mut iter) = (0usize, 0isize);
        let (mut oldll, mut oldm): (isize, isize) = (-1, -1);
        let mut idir = 0;
        // 1-based indices as in the reference: m is the last unconverged row.
        let mut m = n;
        let (mut cw, mut sw, mut cw2, mut sw2) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let mut smin;
        'outer: loop {
            if m <= 1 {
                break;
            }
            if iter >= n as isize {
                iter -= n as isize;
                iterdivn += 1;
                if iterdivn >= maxitdivn {
                    converged = false;
                    break;
                }
            }
            let mut smax = d[m - 1].abs();
            let mut ll = 0;
            let mut split = false;
            for lll in 1..m {
                let l = m - lll;
                let abss = d[l - 1].abs();
                let abse = e[l - 1].abs();
                if abse <= thresh || abse == 0.0 {
                    ll = l;
                    split = true;
                    break;
                }
                smax = smax.max(abss).max(abse);
            }
            if split {
                e[ll - 1] = 0.0;
                if ll == m - 1 {
                    m -= 1;
                    continue;
                }
            }
            ll += 1;
            if ll == m - 1 {
                let (sigmn, sigmx, sinr, cosr, sinl, cosl) = lasv2(d[m - 2], e[m - 2], d[m - 1]);
                d[m - 2] = sigmx;
                e[m - 2] = 0.0;
                d[m - 1] = sigmn;
                rot_pair_rows(vt, m - 2, cosr, sinr);
                rot_pair_cols(u, m - 2, cosl, sinl);
                m -= 2;
                continue;
            }
            if ll as isize > oldm || (m as isize) < oldll {
                idir = if d[ll - 1].abs() >= d[m - 1].abs() {
                    1
                } else {
                    2
                };
            }
            if idir == 1 {
                if e[m - 2].abs() <= tol.abs() * d[m - 1].abs() {
                    e[m - 2] = 0.0;
                    continue;
                }
                let mut mu = d[ll - 1].abs();
                smin = mu;
                for lll in ll..m {
                    if e[lll - 1].abs() <= tol * mu {
                        e[lll - 1] = 0.0;
                        continue 'outer;
                    }
                    mu = d[lll].abs() * (mu / (mu + e[lll - 1].abs()));
                    smin = smin.min(mu);
                }
            } else {
                if e[ll - 1].abs() <= tol.abs() * d[ll - 1].abs() {
                    e[ll - 1] = 0.0;
                    continue;
                }
                let mut mu = d[m - 1].abs();
                smin = mu;
                for lll in (ll..m).rev() {
                    if e[lll - 1].abs() <= tol * mu {
                        e[lll - 1] = 0.0;
                        continue 'outer;
                    }
                    mu = d[lll - 1].abs() * (mu / (mu + e[lll - 1].abs()));
                    smin = smin.min(mu);
                }
            }
            oldll = ll as isize;
            oldm = m as isize;
            let mut shift;
            if n as F * tol * (smin / smax) <= eps.max(0.01 * tol) {
                shift = 0.0;
            } else {
                let sll;
                if idir == 1 {
                    sll = d[ll - 1].abs();
                    shift = las2_min(d[m - 2], e[m - 2], d[m - 1]);
                } else {
                    sll = d[m - 1].abs();
                    shift = las2_min(d[ll - 1], e[ll - 1], d[ll]);
                }
                if sll > 0.0 && (shift / sll) * (shift / sll) < eps {
                    shift = 0.0;
                }
            }
            iter += (m - ll) as isize;
            let k = m - ll;
            if shift == 0.0 {
                if idir == 1 {
                    let (mut cs, mut oldcs, mut oldsn) = (1.0, 1.0, 0.0);
                    for i in ll..m {
                        let (c, s, r) = lartg(d[i - 1] * cs, e[i - 1]);
                        cs = c;
                        if i > ll {
                            e[i - 2] = oldsn * r;
                        }
                        let (oc, os, di) = lartg(oldcs * r, d[i] * s);
                        oldcs = oc;
                        oldsn = os;
                        d[i - 1] = di;
                        cw[i - ll] = c;
                        sw[i - ll] = s;
                        cw2[i - ll] = oc;
                        sw2[i - ll] = os;
                    }
                    let h = d[m - 1] * cs;
                    d[m - 1] = h * oldcs;
                    e[m - 2] = h * oldsn;
                    rot_rows(vt, ll - 1, &cw[..k], &sw[..k], true);
                    rot_cols(u, ll - 1, &cw2[..k], &sw2[..k], true);
                    if e[m - 2].abs() <= thresh {
                        e[m - 2] = 0.0;
                    }
                } else {
                    let (mut cs, mut oldcs, mut oldsn) = (1.0, 1.0, 0.0);
                    for i in (ll + 1..=m).rev() {
                        let (c, s, r) = lartg(d[i - 1] * cs, e[i - 2]);
                        cs = c;
                        if i < m {
                            e[i - 1] = oldsn * r;
                        }
                        let (oc, os, di) = lartg(oldcs * r, d[i - 2] * s);
                        oldcs = oc;
                        oldsn = os;
                        d[i - 1] = di;
                        cw[i - ll - 1] = c;
                        sw[i - ll - 1] = -s;
                        cw2[i - ll - 1] = oc;
                        sw2[i - ll - 1] = -os;
                    }
                    let h = d[ll - 1] * cs;
                    d[ll - 1] = h * oldcs;
                    e[ll - 1] = h * oldsn;
                    rot_rows(vt, ll - 1, &cw2[..k], &sw2[..k], false);
                    rot_cols(u, ll - 1, &cw[..k], &sw[..k], false);
                    if e[ll - 1].abs() <= thresh {
                        e[ll - 1] = 0.0;
                    }
                }
            } else if idir == 1 {
                let mut f = (d[ll - 1].abs() - shift) * (sign(1.0, d[ll - 1]) + shift / d[ll - 1]);
                let mut g = e[ll - 1];
                for i in ll..m {
                    let (cosr, sinr, r) = lartg(f, g);
                    if i > ll {
                        e[i - 2] = r;
                    }
                    f = cosr * d[i - 1] + sinr * e[i - 1];
                    e[i - 1] = cosr * e[i - 1] - sinr * d[i - 1];
                    g = sinr * d[i];
                    d[i] *= cosr;
                    let (cosl, sinl, r) = lartg(f, g);
                    d[i - 1] = r;
                    f = cosl * e[i - 1] + sinl * d[i];
                    d[i] = cosl * d[i] - sinl * e[i - 1];
                    if i < m - 1 {
                        g = sinl * e[i];
                        e[i] *= cosl;
                    }
                    cw[i - ll] = cosr;
                    sw[i - ll] = sinr;
                    cw2[i - ll] = cosl;
                    sw2[i - ll] = sinl;
                }
                e[m - 2] = f;
                rot_rows(vt, ll - 1, &cw[..k], &sw[..k], true);
                rot_cols(u, ll - 1, &cw2[..k], &sw2[..k], true);
                if e[m - 2].abs() <= thresh {
                    e[m - 2] = 0.0;
                }
            } else {
                let mut f = (d[m - 1].abs() - shift) * (sign(1.0, d[m - 1]) + shift / d[m - 1]);
                let mut g = e[m - 2];
                for i in (ll + 1..=m).rev() {
                    let (cosr, sinr, r) = lartg(f, g);
                    if i < m {
                        e[i - 1] = r;
                    }
                    f = cosr * d[i - 1] + sinr * e[i - 2];
                    e[i - 2] = cosr * e[i - 2] - sinr * d[i - 1];
                    g = sinr * d[i - 2];
                    d[i - 2] *= cosr;
                    let (cosl, sinl, r) = lartg(f, g);
                    d[i - 1] = r;
                    f = cosl * e[i - 2] + sinl * d[i - 2];
                    d[i - 2] = cosl * d[i - 2] - sinl * e[i - 2];
                    if i > ll + 1 {
                        g = sinl * e[i - 3];
                        e[i - 3] *= cosl;
                    }
                    cw[i - ll - 1] = cosr;
                    sw[i - ll - 1] = -sinr;
                    cw2[i - ll - 1] = cosl;
                    sw2[i - ll - 1] = -sinl;
                }
                e[ll - 1] = f;
                if e[ll - 1].abs() <= thresh {
                    e[ll - 1] = 0.0;
                }
                rot_rows(vt, ll - 1, &cw2[..k], &sw2[..k], false);
                rot_cols(u, ll - 1, &cw[..k], &sw[..k], false);
            }
        }
    }
    for i in 0..n {
        if d[i] == 0.0 {
            d[i] = 0.0;
        }
        if d[i] < 0.0 {
            d[i] = -d[i];
            for c in 0..vt.cols {
                vt.set(i, c, -vt.at(i, c));
            }
        }
    }
    // Selection of the smallest into the last place, one swap per position.
    for i in 1..n {
        let last = n - i;
        let (mut isub, mut smin) = (0, d[0]);
        for j in 1..=last {
            if d[j] <= smin {
                isub = j;
                smin = d[j];
            }
        }
        if isub != last {
            d[isub] = d[last];
            d[last] = smin;
            swap_rows(vt, isub, last);
            swap_cols(u, isub, last);
        }
    }
    converged
}

/// `drot` of rows i, i + 1 of `vt`.
fn rot_pair_rows(vt: &mut Mat, i: usize, c: F, s: F) {
    for col in 0..vt.cols {
        let (x, y) = (vt.at(i, col), vt.at(i + 1, col));
        vt.set(i, col, c * x + s * y);
        vt.set(i + 1, col, c * y - s * x);
    }
}

/// `drot` of columns j, j + 1 of `u`.
fn rot_pair_cols(u: &mut Mat, j: usize, c: F, s: F) {
    for row in 0..u.rows {
        let (x, y) = (u.at(row, j), u.at(row, j + 1));
        u.set(row, j, c * x + s * y);
        u.set(row, j + 1, c * y - s * x);
    }
}

/// `dbdsdc` for the sizes tutorials use (one solver, no divide and conquer): the SVD of an
/// upper (or lower, rotated to upper first) bidiagonal, U and VT n x n.
fn bdsdc(lower: bool, d: &mut [F], e: &mut [F]) -> Option<(Mat, Mat)> {
    let n = d.len();
    let (mut u, mut vt) = (Mat::eye(n, n), Mat::eye(n, n));
    if n == 1 {
        u.set(0, 0, sign(1.0, d[0]));
        d[0] = d[0].abs();
        return Some((u, vt));
    }
    let (mut cs, mut sn) = (Vec::new(), Vec::new());
    if lower {
        for i in 0..n - 1 {
            let (c, s, r) = lartg(d[i], e[i]);
            d[i] = r;
            e[i] = s * d[i + 1];
            d[i + 1] *= c;
            cs.push(c);
            sn.push(-s);
        }
    }
    if !bdsqr(d, e, &mut u, &mut vt) {
        return None;
    }
    if lower {
        // The rotations that made B upper, applied to U's rows (`dlasr('L', 'V', 'B')`).
        rot_rows(&mut u, 0, &cs, &sn, false);
    }
    Some((u, vt))
}

/// The singular value decomposition: values descending, and with `vectors` U (m x m if
/// `full`, else m x k) and V^T (n x n or k x n). None when the iteration did not converge.
pub fn svd(a: &Mat, vectors: bool, full: bool) -> Option<(Vec<F>, Mat, Mat)> {
    let (m, n) = (a.rows, a.cols);
    let k = m.min(n);
    if k == 0 {
        let (u, vt) = if full {
            (Mat::eye(m, m), Mat::eye(n, n))
        } else {
            (Mat::zeros(m, 0), Mat::zeros(0, n))
        };
        return Some((Vec::new(), u, vt));
    }
    // The driver paths MKL's gesdd takes, as probed against PyTorch (they differ from
    // reference LAPACK's 11/6 crossover): a QR first when m >= 1.6 n (dgesvd's crossover),
    // and wide input bidiagonalised directly, never through an LQ.
    if m > n && m >= n * 8 / 5 {
        let mut r = a.clone();
        let hq = geqr(&mut r);
        let mut rr = r.block(n, n);
        let (mut d, mut e, hb, hp) = gebrd(&mut rr);
        let (ub, mut vt) = bdsdc(false, &mut d, &mut e)?;
        if !vectors {
            return Some((d, Mat::zeros(0, 0), Mat::zeros(0, 0)));
        }
        let mut ub = ub;
        apply_q_left(&hb, &mut ub);
        apply_pt_right(&hp, &mut vt);
        let cols = if full { m } else { n };
        let mut u = Mat::zeros(m, cols);
        for j in 0..n {
            for i in 0..n {
                u.set(i, j, ub.at(i, j));
            }
        }
        for j in n..cols {
            u.set(j, j, 1.0);
        }
        apply_q_left(&hq, &mut u);
        return Some((d, u, vt));
    }
    let mut b = a.clone();
    let (mut d, mut e, hq, hp) = gebrd(&mut b);
    let (ub, vb) = bdsdc(m < n, &mut d, &mut e)?;
    if !vectors {
        return Some((d, Mat::zeros(0, 0), Mat::zeros(0, 0)));
    }
    let ucols = if full { m } else { k };
    let mut u = Mat::zeros(m, ucols);
    for j in 0..k {
        for i in 0..k {
            u.set(i, j, ub.at(i, j));
        }
    }
    for j in k..ucols {
        u.set(j, j, 1.0);
    }
    apply_q_left(&hq, &mut u);
    let vrows = if full { n } else { k };
    let mut vt = Mat::zeros(vrows, n);
    for j in 0..k {
        for i in 0..k {
            vt.set(i, j, vb.at(i, j));
        }
    }
    for i in k..vrows {
        vt.set(i, i, 1.0);
    }
    apply_pt_right(&hp, &mut vt);
    Some((d, u, vt))
}

/// Least squares min |A X - B| for full-rank A with m >= n through A = Q R, or the
/// minimum-norm solution through the SVD otherwise.
pub fn lstsq(a: &Mat, b: &Mat) -> Option<Mat> {
    let (m, n) = (a.rows, a.cols);
    let (s, u, vt) = svd(a, true, false)?;
    let k = s.len();
    let tol = s.first().copied().unwrap_or(0.0) * (m.max(n) as F) * F::EPSILON;
    // X = V diag(1/s) U^T B over the singular values above the cut-off.
    let ub = u.transpose().matmul(b);
    let mut y = Mat::zeros(k, b.cols);
    for i in 0..k {
        if s[i] > tol {
            for j in 0..b.cols {
                y.set(i, j, ub.at(i, j) / s[i]);
            }
        }
    }
    Some(vt.transpose().matmul(&y))
}
