//! Where ticks go and how they are labelled, as matplotlib's defaults choose: `AutoLocator`
//! (a `MaxNLocator` with steps 1, 2, 2.5, 5, 10 and as many bins as the axis has room for),
//! `LogLocator` for log axes, and `ScalarFormatter`'s labels (shared decimals, an order of
//! magnitude or an offset shown at the axis end, a Unicode minus).

/// The number of bins `nbins='auto'` allows on an axis `length_pt` long: room for a label every
/// three (x) or two (y) label heights of 10 pt, at least 1 and at most 9.
pub fn auto_bins(length_pt: f64, horizontal: bool) -> usize {
    let per = if horizontal { 30.0 } else { 20.0 };
    ((length_pt / per).floor() as i64).clamp(1, 9) as usize
}

/// matplotlib's `scale_range`: a power of ten near the bin width, and an offset for ranges far
/// from zero.
fn scale_range(vmin: f64, vmax: f64, n: usize) -> (f64, f64) {
    let dv = (vmax - vmin).abs();
    let meanv = (vmax + vmin) / 2.0;
    let offset = if meanv.abs() / dv < 100.0 { 0.0 } else { 10f64.powf(meanv.abs().log10().floor()).copysign(meanv) };
    let scale = 10f64.powf((dv / n as f64).log10().floor());
    (scale, offset)
}

/// `_Edge_integer`: floor/ceil of `x / step` that forgives rounding error.
struct Edge {
    step: f64,
    offset: f64,
}

impl Edge {
    fn close_to(&self, ms: f64, edge: f64) -> bool {
        let tol = if self.offset > 0.0 {
            let digits = (self.offset / self.step).log10();
            10f64.powf(digits - 12.0).clamp(1e-10, 0.4999)
        } else {
            1e-10
        };
        (ms - edge).abs() < tol
    }

    fn le(&self, x: f64) -> f64 {
        let (d, m) = divmod(x, self.step);
        if self.close_to(m / self.step, 1.0) { d + 1.0 } else { d }
    }

    fn ge(&self, x: f64) -> f64 {
        let (d, m) = divmod(x, self.step);
        if self.close_to(m / self.step, 0.0) { d } else { d + 1.0 }
    }
}

/// Python's `divmod` for floats (floor division, remainder with the divisor's sign).
fn divmod(x: f64, y: f64) -> (f64, f64) {
    let m = x % y;
    let m = if m != 0.0 && (m < 0.0) != (y < 0.0) { m + y } else { m };
    ((x - m) / y, m)
}

/// matplotlib's `nonsingular`: widen an empty or degenerate interval by `expander` (relative).
pub fn nonsingular(vmin: f64, vmax: f64, expander: f64) -> (f64, f64) {
    if !vmin.is_finite() || !vmax.is_finite() {
        return (-expander, expander);
    }
    let (mut lo, mut hi) = if vmax < vmin { (vmax, vmin) } else { (vmin, vmax) };
    let maxabs = lo.abs().max(hi.abs());
    if maxabs < 1e6 / f64::MAX.sqrt() {
        return (-expander, expander);
    }
    if hi - lo <= maxabs * 1e-15 {
        if hi == 0.0 && lo == 0.0 {
            return (-expander, expander);
        }
        lo -= expander * lo.abs();
        hi += expander * hi.abs();
    }
    (lo, hi)
}

/// `MaxNLocator(nbins, steps=[1, 2, 2.5, 5, 10], min_n_ticks=2).tick_values(vmin, vmax)`: ticks
/// covering the interval, usually one past each end.
pub fn max_n_locator(vmin: f64, vmax: f64, nbins: usize) -> Vec<f64> {
    max_n_locator_steps(vmin, vmax, nbins, &[1.0, 2.0, 2.5, 5.0, 10.0], 2)
}

/// `MaxNLocator(nbins, steps=steps, min_n_ticks=min_n).tick_values(vmin, vmax)` (`steps`
/// from 1 to 10, as matplotlib validates them).
pub fn max_n_locator_steps(vmin: f64, vmax: f64, nbins: usize, steps: &[f64], min_n: usize) -> Vec<f64> {
    let (vmin, vmax) = nonsingular(vmin, vmax, 1e-13);
    let (scale, offset) = scale_range(vmin, vmax, nbins);
    let (lo, hi) = (vmin - offset, vmax - offset);
    // matplotlib's extended steps: a tenth of each below, twice the second-to-last above.
    let mut ext: Vec<f64> = steps[..steps.len() - 1].iter().map(|s| s * 0.1).collect();
    ext.extend_from_slice(steps);
    ext.push(10.0 * steps.get(1).copied().unwrap_or(2.0));
    let steps: Vec<f64> = ext.iter().map(|s| s * scale).collect();
    let raw_step = (hi - lo) / nbins as f64;
    let istep = steps.iter().position(|&s| s >= raw_step).unwrap_or(steps.len() - 1);
    let mut ticks = Vec::new();
    for &step in steps[..=istep].iter().rev() {
        let best_vmin = (lo / step).floor() * step;
        let edge = Edge { step, offset: offset.abs() };
        let low = edge.le(lo - best_vmin);
        let high = edge.ge(hi - best_vmin);
        ticks = (low as i64..=high as i64).map(|i| i as f64 * step + best_vmin).collect();
        let n = ticks.iter().filter(|&&t| t <= hi && t >= lo).count();
        if n >= min_n {
            break;
        }
    }
    ticks.into_iter().map(|t| t + offset).collect()
}

/// Decade ticks of a log axis (`LogLocator(base=10)` with `numticks='auto'`), one past each
/// end; when there are many decades, every `stride`th.
pub fn log_locator(vmin: f64, vmax: f64, numticks: usize) -> Vec<f64> {
    let (lo, hi) = if vmin <= vmax { (vmin, vmax) } else { (vmax, vmin) };
    if lo <= 0.0 || !hi.is_finite() {
        return Vec::new();
    }
    let (log_lo, log_hi) = (lo.log10(), hi.log10());
    let numticks = numticks.clamp(2, 9);
    let numdec = log_hi.floor() - log_lo.ceil();
    let stride = (numdec / (numticks as f64 - 1.0)).ceil().max(1.0);
    let first = (log_lo / stride).floor() * stride - stride;
    let last = (log_hi / stride).ceil() * stride + stride;
    let mut out = Vec::new();
    let mut e = first;
    while e <= last + 0.5 {
        out.push(10f64.powi(e as i32));
        e += stride;
    }
    out
}

/// Labels for a linear axis's ticks: `ScalarFormatter`. `locs` are all the locator's ticks
/// (labels are made for all of them so that they share their decimals), `view` the axis
/// limits. Returns the labels and the text shown at the end of the axis (`1e6`, `+1e3`).
pub fn scalar_labels(locs: &[f64], view: (f64, f64)) -> (Vec<String>, String) {
    let (vmin, vmax) = if view.0 <= view.1 { view } else { (view.1, view.0) };
    let visible: Vec<f64> = locs.iter().copied().filter(|&l| vmin <= l && l <= vmax).collect();
    let offset = compute_offset(&visible);
    let oom = if visible.is_empty() {
        0
    } else if offset != 0.0 {
        let o = (vmax - vmin).log10().floor() as i32;
        if o <= -5 || o >= 6 { o } else { 0 }
    } else {
        let val = visible.iter().fold(0f64, |m, l| m.max(l.abs()));
        let o = if val == 0.0 { 0 } else { val.log10().floor() as i32 };
        if o <= -5 || o >= 6 { o } else { 0 }
    };
    let scaled: Vec<f64> = locs.iter().map(|l| (l - offset) / 10f64.powi(oom)).collect();
    let ends: Vec<f64> =
        if locs.len() < 2 { [vmin, vmax].iter().map(|l| (l - offset) / 10f64.powi(oom)).collect() } else { Vec::new() };
    let all: Vec<f64> = scaled.iter().chain(&ends).copied().collect();
    let (mn, mx) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let mut range = if all.is_empty() { 1.0 } else { mx - mn };
    if range == 0.0 {
        range = all.iter().fold(0f64, |m, v| m.max(v.abs()));
    }
    if range == 0.0 {
        range = 1.0;
    }
    let range_oom = range.log10().floor() as i32;
    let thresh = 1e-3 * 10f64.powi(range_oom);
    let mut sigfigs = (3 - range_oom).max(0);
    while sigfigs >= 0 {
        let p = 10f64.powi(sigfigs);
        let worst = scaled.iter().fold(0f64, |m, l| m.max((l - round_half_even(l * p) / p).abs()));
        if worst < thresh {
            sigfigs -= 1;
        } else {
            break;
        }
    }
    sigfigs += 1;
    let labels = scaled.iter().map(|v| fix_minus(&format!("{:.*}", sigfigs as usize, v))).collect();
    let mut end = String::new();
    if oom != 0 {
        end.push_str(&format!("1e{oom}"));
    }
    if offset != 0.0 {
        let s = format_offset(offset);
        end.push_str(&if offset > 0.0 { format!("+{s}") } else { s });
    }
    (labels, fix_minus(&end))
}

/// NumPy's `round` (half to even), which matplotlib's precision search uses.
fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (x - x.trunc()).abs() == 0.5 { 2.0 * (x / 2.0).round() } else { r }
}

/// `ScalarFormatter._compute_offset` with `axes.formatter.offset_threshold` 4: an offset is
/// used when it saves at least four digits of every label.
fn compute_offset(visible: &[f64]) -> f64 {
    let Some((lmin, lmax)) = visible
        .iter()
        .fold(None, |acc: Option<(f64, f64)>, &v| Some(acc.map_or((v, v), |(a, b)| (a.min(v), b.max(v)))))
    else {
        return 0.0;
    };
    if lmin == lmax || (lmin <= 0.0 && 0.0 <= lmax) {
        return 0.0;
    }
    let (abs_min, abs_max) = if lmin.abs() <= lmax.abs() { (lmin.abs(), lmax.abs()) } else { (lmax.abs(), lmin.abs()) };
    let sign = 1f64.copysign(lmin);
    let oom_max = abs_max.log10().ceil() as i32;
    let fl = |v: f64, o: i32| (v / 10f64.powi(o)).floor();
    let mut oom = 1 + (i32::MIN..=oom_max).rev().find(|&o| fl(abs_min, o) != fl(abs_max, o)).unwrap_or(oom_max);
    if (abs_max - abs_min) / 10f64.powi(oom) <= 1e-2 {
        oom = 1 + (i32::MIN..=oom_max).rev().find(|&o| fl(abs_max, o) - fl(abs_min, o) > 1.0).unwrap_or(oom_max);
    }
    if fl(abs_max, oom) >= 1000.0 { sign * fl(abs_max, oom) * 10f64.powi(oom) } else { 0.0 }
}

/// The offset as `ScalarFormatter.format_data` writes it: `1e3`, `1.5e3`.
fn format_offset(v: f64) -> String {
    let s = format!("{:e}", v.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{mant}e{exp}")
}

/// matplotlib writes negative numbers with U+2212 MINUS SIGN.
pub fn fix_minus(s: &str) -> String {
    s.replace('-', "\u{2212}")
}

/// The exponent label of a decade tick: `10^k`, as (base, exponent) for a superscript.
pub fn log_label(v: f64) -> (String, String) {
    ("10".into(), fix_minus(&format!("{}", v.log10().round() as i64)))
}
