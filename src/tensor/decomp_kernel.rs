// The decomposition kernels, written once over the float type `F` and compiled per precision
// by `decomp.rs` (`include!`d into `f64k` and `f32k`, which define `F` and `consts`): LAPACK's
// s-routines decide signs in float, so float32 input runs in f32 as they do.

/// A column-major matrix.
#[derive(Clone, Debug)]
pub struct Mat {
    pub rows: usize,
    pub cols: usize,
    pub a: Vec<F>,
}

impl Mat {
    pub fn zeros(rows: usize, cols: usize) -> Mat {
        Mat {
            rows,
            cols,
            a: vec![0.0; rows * cols],
        }
    }
    pub fn eye(rows: usize, cols: usize) -> Mat {
        let mut m = Mat::zeros(rows, cols);
        for i in 0..rows.min(cols) {
            m.set(i, i, 1.0);
        }
        m
    }
    /// From row-major values.
    pub fn from_rows(rows: usize, cols: usize, v: &[F]) -> Mat {
        let mut m = Mat::zeros(rows, cols);
        for i in 0..rows {
            for j in 0..cols {
                m.set(i, j, v[i * cols + j]);
            }
        }
        m
    }
    /// Row-major values.
    pub fn to_rows(&self) -> Vec<F> {
        let mut v = Vec::with_capacity(self.rows * self.cols);
        for i in 0..self.rows {
            for j in 0..self.cols {
                v.push(self.at(i, j));
            }
        }
        v
    }
    #[inline]
    pub fn at(&self, i: usize, j: usize) -> F {
        self.a[i + j * self.rows]
    }
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, x: F) {
        self.a[i + j * self.rows] = x;
    }
    pub fn transpose(&self) -> Mat {
        let mut t = Mat::zeros(self.cols, self.rows);
        for i in 0..self.rows {
            for j in 0..self.cols {
                t.set(j, i, self.at(i, j));
            }
        }
        t
    }
    /// The leading `rows x cols` block.
    pub fn block(&self, rows: usize, cols: usize) -> Mat {
        let mut b = Mat::zeros(rows, cols);
        for j in 0..cols {
            for i in 0..rows {
                b.set(i, j, self.at(i, j));
            }
        }
        b
    }
    pub fn matmul(&self, o: &Mat) -> Mat {
        let mut c = Mat::zeros(self.rows, o.cols);
        for j in 0..o.cols {
            for k in 0..self.cols {
                let b = o.at(k, j);
                for i in 0..self.rows {
                    c.a[i + j * self.rows] += self.at(i, k) * b;
                }
            }
        }
        c
    }
}

/// Fortran's SIGN(a, b): |a| with b's sign (+ for b = +0).
fn sign(a: F, b: F) -> F {
    if b >= 0.0 && !(b == 0.0 && b.is_sign_negative()) {
        a.abs()
    } else {
        -a.abs()
    }
}

/// An elementary reflector H = I - tau v v^T over positions `start..start + v.len()` (v[0] = 1).
struct Reflector {
    start: usize,
    v: Vec<F>,
    tau: F,
}

/// `dlarfg`: the reflector taking (alpha, x) to (beta, 0), beta = -sign(alpha) * |(alpha, x)|;
/// H = I when x is zero. Returns beta and the reflector.
fn householder(start: usize, alpha: F, x: &[F]) -> (F, Reflector) {
    let xnorm = x.iter().map(|v| v * v).sum::<F>().sqrt();
    let mut v = Vec::with_capacity(x.len() + 1);
    v.push(1.0);
    if xnorm == 0.0 {
        v.extend(x.iter().map(|_| 0.0));
        return (alpha, Reflector { start, v, tau: 0.0 });
    }
    let beta = -sign(alpha.hypot(xnorm), alpha);
    let tau = (beta - alpha) / beta;
    let scale = 1.0 / (alpha - beta);
    v.extend(x.iter().map(|&e| e * scale));
    (beta, Reflector { start, v, tau })
}

impl Reflector {
    /// A[rows start.., cols c0..c1] = H A.
    fn left(&self, m: &mut Mat, c0: usize, c1: usize) {
        if self.tau == 0.0 {
            return;
        }
        for j in c0..c1 {
            let s: F = self
                .v
                .iter()
                .enumerate()
                .map(|(k, &vk)| vk * m.at(self.start + k, j))
                .sum();
            let s = self.tau * s;
            for (k, &vk) in self.v.iter().enumerate() {
                let i = self.start + k;
                m.set(i, j, m.at(i, j) - s * vk);
            }
        }
    }
    /// A[rows r0..r1, cols start..] = A H.
    fn right(&self, m: &mut Mat, r0: usize, r1: usize) {
        if self.tau == 0.0 {
            return;
        }
        for i in r0..r1 {
            let s: F = self
                .v
                .iter()
                .enumerate()
                .map(|(k, &vk)| vk * m.at(i, self.start + k))
                .sum();
            let s = self.tau * s;
            for (k, &vk) in self.v.iter().enumerate() {
                let j = self.start + k;
                m.set(i, j, m.at(i, j) - s * vk);
            }
        }
    }
}

/// `dgeqr2`: A = Q R; leaves R in the upper triangle of `a` (zeros below) and returns the
/// reflectors whose product H(0)...H(k-1) is Q.
fn geqr(a: &mut Mat) -> Vec<Reflector> {
    let (m, n) = (a.rows, a.cols);
    let mut hs = Vec::new();
    for i in 0..m.min(n) {
        let x: Vec<F> = (i + 1..m).map(|r| a.at(r, i)).collect();
        let (beta, h) = householder(i, a.at(i, i), &x);
        a.set(i, i, beta);
        for r in i + 1..m {
            a.set(r, i, 0.0);
        }
        h.left(a, i + 1, n);
        hs.push(h);
    }
    hs
}

/// Q H(0) ... H(k-1) applied on the left of `x` (`dorm2r`/`dorgqr` without blocking).
fn apply_q_left(hs: &[Reflector], x: &mut Mat) {
    for h in hs.iter().rev() {
        h.left(x, 0, x.cols);
    }
}

/// `x` times (H(k-1) ... H(0)) = x times (H(0) ... H(k-1))^T.
fn apply_pt_right(hs: &[Reflector], x: &mut Mat) {
    for h in hs.iter().rev() {
        h.right(x, 0, x.rows);
    }
}

/// `linalg.qr`: (Q, R), Q empty for mode 'r'.
pub fn qr(a: &Mat, mode: QrMode) -> (Mat, Mat) {
    let (m, n) = (a.rows, a.cols);
    let k = m.min(n);
    let mut r = a.clone();
    let hs = geqr(&mut r);
    let qcols = if mode == QrMode::Complete { m } else { k };
    let rrows = if mode == QrMode::Complete { m } else { k };
    let r = r.block(rrows, n);
    if mode == QrMode::R {
        return (Mat::zeros(0, 0), r);
    }
    let mut q = Mat::eye(m, qcols);
    apply_q_left(&hs, &mut q);
    (q, r)
}

/// `dlartg` as LAPACK before 3.10 had it (r >= 0 unless |f| > |g|, where c > 0): MKL's
/// `dsteqr` rotates with this one (probed: eigenvector signs follow it).
fn lartg_old(f: F, g: F) -> (F, F, F) {
    if g == 0.0 {
        return (1.0, 0.0, f);
    }
    if f == 0.0 {
        return (0.0, 1.0, g);
    }
    let r = f.hypot(g);
    let (c, s) = (f / r, g / r);
    if f.abs() > g.abs() && c < 0.0 {
        (-c, -s, -r)
    } else {
        (c, s, r)
    }
}

/// `dlartg` (LAPACK 3.10): c >= 0, r with f's sign, s = g / r.
fn lartg(f: F, g: F) -> (F, F, F) {
    if g == 0.0 {
        (1.0, 0.0, f)
    } else if f == 0.0 {
        (0.0, sign(1.0, g), g.abs())
    } else {
        let d = f.hypot(g);
        let c = f.abs() / d;
        let r = sign(d, f);
        (c, g / r, r)
    }
}

/// Rotations (c[j], s[j]) in planes (lo + j, lo + j + 1) applied to rows of `vt`
/// (`dlasr('L', 'V', ...)`), forward or backward.
fn rot_rows(vt: &mut Mat, lo: usize, c: &[F], s: &[F], forward: bool) {
    let order: Vec<usize> = if forward {
        (0..c.len()).collect()
    } else {
        (0..c.len()).rev().collect()
    };
    for j in order {
        let (ct, st) = (c[j], s[j]);
        if ct == 1.0 && st == 0.0 {
            continue;
        }
        for col in 0..vt.cols {
            let temp = vt.at(lo + j + 1, col);
            let x = vt.at(lo + j, col);
            vt.set(lo + j + 1, col, ct * temp - st * x);
            vt.set(lo + j, col, st * temp + ct * x);
        }
    }
}

/// The same rotations applied to columns of `u` (`dlasr('R', 'V', ...)`).
fn rot_cols(u: &mut Mat, lo: usize, c: &[F], s: &[F], forward: bool) {
    let order: Vec<usize> = if forward {
        (0..c.len()).collect()
    } else {
        (0..c.len()).rev().collect()
    };
    for j in order {
        let (ct, st) = (c[j], s[j]);
        if ct == 1.0 && st == 0.0 {
            continue;
        }
        for row in 0..u.rows {
            let temp = u.at(row, lo + j + 1);
            let x = u.at(row, lo + j);
            u.set(row, lo + j + 1, ct * temp - st * x);
            u.set(row, lo + j, st * temp + ct * x);
        }
    }
}

fn swap_rows(m: &mut Mat, a: usize, b: usize) {
    for c in 0..m.cols {
        m.a.swap(a + c * m.rows, b + c * m.rows);
    }
}

fn swap_cols(m: &mut Mat, a: usize, b: usize) {
    for r in 0..m.rows {
        m.a.swap(r + a * m.rows, r + b * m.rows);
    }
}

/// `dlaev2`: eigenvalues (rt1 of larger magnitude, rt2) of [[a, b], [b, c]] and the unit
/// eigenvector (cs1, sn1) of rt1.
fn laev2(a: F, b: F, c: F) -> (F, F, F, F) {
    let sm = a + c;
    let df = a - c;
    let adf = df.abs();
    let tb = b + b;
    let ab = tb.abs();
    let (acmx, acmn) = if a.abs() > c.abs() { (a, c) } else { (c, a) };
    let rt = if adf > ab {
        adf * (1.0 + (ab / adf) * (ab / adf)).sqrt()
    } else if adf < ab {
        ab * (1.0 + (adf / ab) * (adf / ab)).sqrt()
    } else {
        ab * consts::SQRT_2
    };
    let (rt1, rt2, sgn1) = if sm < 0.0 {
        let rt1 = 0.5 * (sm - rt);
        (rt1, (acmx / rt1) * acmn - (b / rt1) * b, -1)
    } else if sm > 0.0 {
        let rt1 = 0.5 * (sm + rt);
        (rt1, (acmx / rt1) * acmn - (b / rt1) * b, 1)
    } else {
        (0.5 * rt, -0.5 * rt, 1)
    };
    let (cs, sgn2) = if df >= 0.0 {
        (df + rt, 1)
    } else {
        (df - rt, -1)
    };
    let (mut cs1, mut sn1);
    if cs.abs() > ab {
        let ct = -tb / cs;
        sn1 = 1.0 / (1.0 + ct * ct).sqrt();
        cs1 = ct * sn1;
    } else if ab == 0.0 {
        cs1 = 1.0;
        sn1 = 0.0;
    } else {
        let tn = -cs / tb;
        cs1 = 1.0 / (1.0 + tn * tn).sqrt();
        sn1 = tn * cs1;
    }
    if sgn1 == sgn2 {
        let tn = cs1;
        cs1 = -sn1;
        sn1 = tn;
    }
    (rt1, rt2, cs1, sn1)
}

/// `dsteqr`: eigenvalues (ascending) of the symmetric tridiagonal (d, e), rotations
/// accumulated into the columns of `z`. False if it did not converge.
fn steqr(d: &mut [F], e: &mut [F], z: &mut Mat) -> bool {
    let n = d.len();
    if n <= 1 {
        return true;
    }
    let eps = F::EPSILON / 2.0;
    let eps2 = eps * eps;
    let safmin = F::MIN_POSITIVE;
    let nmaxit = n * 30;
    let mut jtot = 0;
    let (mut cw, mut sw) = (vec![0.0; n], vec![0.0; n]);
    // 1-based indices as in the reference.
    let mut l1 = 1;
    'blocks: while l1 <= n {
        if l1 > 1 {
            e[l1 - 2] = 0.0;
        }
        let mut m = n;
        for mm in l1..n {
            let tst = e[mm - 1].abs();
            if tst == 0.0 {
                m = mm;
                break;
            }
            if tst <= (d[mm - 1].abs().sqrt() * d[mm].abs().sqrt()) * eps {
                e[mm - 1] = 0.0;
                m = mm;
                break;
            }
        }
        let mut l = l1;
        let lsv = l;
        let mut lend = m;
        let lendsv = lend;
        l1 = m + 1;
        if lend == l {
            continue;
        }
        let anorm = d[l - 1..lend]
            .iter()
            .chain(&e[l - 1..lend - 1])
            .fold(0.0 as F, |a, &x| a.max(x.abs()));
        if anorm == 0.0 {
            continue;
        }
        if d[lend - 1].abs() < d[l - 1].abs() {
            lend = lsv;
            l = lendsv;
        }
        if lend > l {
            // QL iteration.
            loop {
                let mut mm = lend;
                if l != lend {
                    for k in l..lend {
                        let tst = e[k - 1].abs() * e[k - 1].abs();
                        if tst <= (eps2 * d[k - 1].abs()) * d[k].abs() + safmin {
                            mm = k;
                            break;
                        }
                    }
                }
                let m = mm;
                if m < lend {
                    e[m - 1] = 0.0;
                }
                let mut p = d[l - 1];
                if m == l {
                    d[l - 1] = p;
                    l += 1;
                    if l <= lend {
                        continue;
                    }
                    break;
                }
                if m == l + 1 {
                    let (rt1, rt2, c, s) = laev2(d[l - 1], e[l - 1], d[l]);
                    rot_cols(z, l - 1, &[c], &[s], false);
                    d[l - 1] = rt1;
                    d[l] = rt2;
                    e[l - 1] = 0.0;
                    l += 2;
                    if l <= lend {
                        continue;
                    }
                    break;
                }
                if jtot == nmaxit {
                    break;
                }
                jtot += 1;
                let mut g = (d[l] - p) / (2.0 * e[l - 1]);
                let mut r = g.hypot(1.0);
                g = d[m - 1] - p + (e[l - 1] / (g + sign(r, g)));
                let (mut s, mut c) = (1.0, 1.0);
                p = 0.0;
                for i in (l..m).rev() {
                    let f = s * e[i - 1];
                    let b = c * e[i - 1];
                    let (cc, ss, rr) = lartg_old(g, f);
                    c = cc;
                    s = ss;
                    r = rr;
                    if i != m - 1 {
                        e[i] = r;
                    }
                    g = d[i] - p;
                    r = (d[i - 1] - g) * s + 2.0 * c * b;
                    p = s * r;
                    d[i] = g + p;
                    g = c * r - b;
                    cw[i - 1] = c;
                    sw[i - 1] = -s;
                }
                rot_cols(z, l - 1, &cw[l - 1..m - 1], &sw[l - 1..m - 1], false);
                d[l - 1] -= p;
                e[l - 1] = g;
            }
        } else {
            // QR iteration.
            loop {
                let mut mm = lend;
                if l != lend {
                    for k in (lend + 1..=l).rev() {
                        let tst = e[k - 2].abs() * e[k - 2].abs();
                        if tst <= (eps2 * d[k - 1].abs()) * d[k - 2].abs() + safmin {
                            mm = k;
                            break;
                        }
                    }
                }
                let m = mm;
                if m > lend {
                    e[m - 2] = 0.0;
                }
                let mut p = d[l - 1];
                if m == l {
                    d[l - 1] = p;
                    if l == lend {
                        break;
                    }
                    l -= 1;
                    if l >= lend {
                        continue;
                    }
                    break;
                }
                if m + 1 == l {
                    let (rt1, rt2, c, s) = laev2(d[l - 2], e[l - 2], d[l - 1]);
                    rot_cols(z, l - 2, &[c], &[s], true);
                    d[l - 2] = rt1;
                    d[l - 1] = rt2;
                    e[l - 2] = 0.0;
                    if l < lend + 2 {
                        break;
                    }
                    l -= 2;
                    continue;
                }
                if jtot == nmaxit {
                    break;
                }
                jtot += 1;
                let mut g = (d[l - 2] - p) / (2.0 * e[l - 2]);
                let mut r = g.hypot(1.0);
                g = d[m - 1] - p + (e[l - 2] / (g + sign(r, g)));
                let (mut s, mut c) = (1.0, 1.0);
                p = 0.0;
                for i in m..l {
                    let f = s * e[i - 1];
                    let b = c * e[i - 1];
                    let (cc, ss, rr) = lartg_old(g, f);
                    c = cc;
                    s = ss;
                    r = rr;
                    if i != m {
                        e[i - 2] = r;
                    }
                    g = d[i - 1] - p;
                    r = (d[i] - g) * s + 2.0 * c * b;
                    p = s * r;
                    d[i - 1] = g + p;
                    g = c * r - b;
                    cw[i - 1] = c;
                    sw[i - 1] = s;
                }
                rot_cols(z, m - 1, &cw[m - 1..l - 1], &sw[m - 1..l - 1], true);
                d[l - 1] -= p;
                e[l - 2] = g;
            }
        }
        if jtot >= nmaxit {
            break 'blocks;
        }
    }
    if jtot >= nmaxit && e.iter().any(|&x| x != 0.0) {
        return false;
    }
    // Selection sort, ascending, one swap per position.
    for i in 0..n - 1 {
        let (mut k, mut p) = (i, d[i]);
        for j in i + 1..n {
            if d[j] < p {
                k = j;
                p = d[j];
            }
        }
        if k != i {
            d[k] = d[i];
            d[i] = p;
            swap_cols(z, i, k);
        }
    }
    true
}

/// `linalg.eigh`: eigenvalues ascending and (with `vectors`) eigenvectors as columns, from the
/// lower (or upper) triangle. None when the iteration did not converge.
pub fn eigh(a: &Mat, upper: bool, vectors: bool) -> Option<(Vec<F>, Mat)> {
    let n = a.rows;
    // Symmetric from the triangle asked for.
    let mut s = Mat::zeros(n, n);
    for j in 0..n {
        for i in 0..n {
            let x = if (i >= j) != upper || i == j {
                a.at(i, j)
            } else {
                a.at(j, i)
            };
            s.set(i, j, x);
        }
    }
    let (mut d, mut e, hs) = if upper {
        sytrd_upper(&mut s)
    } else {
        sytrd_lower(&mut s)
    };
    let mut z = Mat::eye(n, n);
    if !steqr(&mut d, &mut e, &mut z) {
        return None;
    }
    if !vectors {
        return Some((d, Mat::zeros(0, 0)));
    }
    apply_q_left(&hs, &mut z);
    Some((d, z))
}

/// `dsytd2` with the lower triangle: Q^T A Q = T, Q = H(0) ... H(n-2), H(i) acting on rows
/// i + 1...
fn sytrd_lower(a: &mut Mat) -> (Vec<F>, Vec<F>, Vec<Reflector>) {
    let n = a.rows;
    let (mut e, mut hs) = (Vec::new(), Vec::new());
    for i in 0..n.saturating_sub(1) {
        let x: Vec<F> = (i + 2..n).map(|r| a.at(r, i)).collect();
        let (beta, h) = householder(i + 1, a.at(i + 1, i), &x);
        e.push(beta);
        a.set(i + 1, i, beta);
        a.set(i, i + 1, beta);
        for r in i + 2..n {
            a.set(r, i, 0.0);
            a.set(i, r, 0.0);
        }
        // A[i+1.., i+1..] = H A H.
        h.left(a, i + 1, n);
        h.right(a, i + 1, n);
        hs.push(h);
    }
    let d = (0..n).map(|i| a.at(i, i)).collect();
    (d, e, hs)
}

/// `dsytd2` with the upper triangle: reduces from the last column back, H(i) acting on rows
/// 0..=i; Q = H(n-2) ... H(0).
fn sytrd_upper(a: &mut Mat) -> (Vec<F>, Vec<F>, Vec<Reflector>) {
    let n = a.rows;
    let mut e = vec![0.0; n.saturating_sub(1)];
    let mut hs = Vec::new();
    for i in (0..n.saturating_sub(1)).rev() {
        // Annihilate A(0..i, i+1), keeping A(i, i+1): the reflector's pivot is the last entry,
        // so it is built on the reversed vector.
        let alpha = a.at(i, i + 1);
        let x: Vec<F> = (0..i).map(|r| a.at(r, i + 1)).collect();
        let xnorm = x.iter().map(|v| v * v).sum::<F>().sqrt();
        let mut v = vec![0.0; i + 1];
        v[i] = 1.0;
        let (beta, tau) = if xnorm == 0.0 {
            (alpha, 0.0)
        } else {
            let beta = -sign(alpha.hypot(xnorm), alpha);
            let scale = 1.0 / (alpha - beta);
            for r in 0..i {
                v[r] = x[r] * scale;
            }
            (beta, (beta - alpha) / beta)
        };
        let h = Reflector { start: 0, v, tau };
        e[i] = beta;
        a.set(i, i + 1, beta);
        a.set(i + 1, i, beta);
        for r in 0..i {
            a.set(r, i + 1, 0.0);
            a.set(i + 1, r, 0.0);
        }
        h.left(a, 0, i + 1);
        h.right(a, 0, i + 1);
        hs.push(h);
    }
    // Q = H(n-2) ... H(0): the order pushed.
    let d = (0..n).map(|i| a.at(i, i)).collect();
    (d, e, hs)
}

/// `linalg.cholesky`: the lower factor L (A = L L^T) from the lower triangle, or Err with the
/// order of the leading minor that is not positive-definite.
pub fn cholesky(a: &Mat) -> Result<Mat, usize> {
    let n = a.rows;
    let mut l = Mat::zeros(n, n);
    for j in 0..n {
        let mut s = a.at(j, j);
        for k in 0..j {
            s -= l.at(j, k) * l.at(j, k);
        }
        if !(s > 0.0) {
            return Err(j + 1);
        }
        let ljj = s.sqrt();
        l.set(j, j, ljj);
        for i in j + 1..n {
            let mut s = a.at(i, j);
            for k in 0..j {
                s -= l.at(i, k) * l.at(j, k);
            }
            l.set(i, j, s / ljj);
        }
    }
    Ok(l)
}
