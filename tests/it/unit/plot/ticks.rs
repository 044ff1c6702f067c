//! Unit tests of `plot::ticks`.

use lessonrun::plot::ticks::*;

/// One line of tests/plot/ticks.tsv (recorded from matplotlib by scripts/plot-ticks-data.py).
struct Case<'a> {
    log: bool,
    size: (f64, f64),
    lim: [(f64, f64); 2],
    ticks: [Vec<f64>; 2],
    labels: [Vec<&'a str>; 2],
    ends: [&'a str; 2],
    line: &'a str,
}

fn floats(s: &str) -> Vec<f64> {
    s.split([';', ' ']).filter(|p| !p.is_empty()).map(|p| p.parse().unwrap()).collect()
}

fn cases() -> Vec<Case<'static>> {
    include_str!("../../../plot/ticks.tsv")
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let size = floats(f[1]);
            let (xl, yl) = (floats(f[4]), floats(f[7]));
            let (ex, ey) = f[10].split_once('|').unwrap();
            let labels = |s: &'static str| s.split(';').filter(|p| !p.is_empty()).collect::<Vec<_>>();
            Case {
                log: f[0] == "log",
                size: (size[0], size[1]),
                lim: [(xl[0], xl[1]), (yl[0], yl[1])],
                ticks: [floats(f[5]), floats(f[8])],
                labels: [labels(f[6]), labels(f[9])],
                ends: [ex, ey],
                line,
            }
        })
        .collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1e-300))
}

/// The default axes box is 77.5% of the figure wide and 77% high.
fn axis_len(c: &Case, axis: usize) -> f64 {
    if axis == 0 { c.size.0 * 0.775 * 72.0 } else { c.size.1 * 0.77 * 72.0 }
}

#[test]
fn linear_ticks_and_labels_match_matplotlib() {
    let mut checked = 0;
    for c in cases().iter().filter(|c| !c.log) {
        for axis in 0..2 {
            let (lo, hi) = c.lim[axis];
            let nbins = auto_bins(axis_len(c, axis), axis == 0);
            let locs = max_n_locator(lo, hi, nbins);
            let visible: Vec<f64> = locs.iter().copied().filter(|&t| lo <= t && t <= hi).collect();
            assert!(close(&visible, &c.ticks[axis]), "axis {axis} of {}: {visible:?}", c.line);
            let (labels, end) = scalar_labels(&locs, (lo, hi));
            let shown: Vec<&str> =
                locs.iter().zip(&labels).filter(|(t, _)| lo <= **t && **t <= hi).map(|(_, l)| l.as_str()).collect();
            assert_eq!(shown, c.labels[axis], "labels of axis {axis} of {}", c.line);
            assert_eq!(end, c.ends[axis], "offset of axis {axis} of {}", c.line);
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} axes checked");
}

#[test]
fn log_decades_match_matplotlib() {
    for c in cases().iter().filter(|c| c.log) {
        for axis in 0..2 {
            let (lo, hi) = c.lim[axis];
            if c.ticks[axis].len() < 2 {
                continue; // matplotlib labels minor ticks then; we show the decades only
            }
            let locs = log_locator(lo, hi, auto_bins(axis_len(c, axis), axis == 0));
            let visible: Vec<f64> = locs.iter().copied().filter(|&t| lo <= t && t <= hi).collect();
            assert!(close(&visible, &c.ticks[axis]), "axis {axis} of {}: {visible:?}", c.line);
        }
    }
}

#[test]
fn degenerate_ranges_widen() {
    assert_eq!(nonsingular(0.0, 0.0, 0.05), (-0.05, 0.05));
    let t = max_n_locator(5.0, 5.0, 9);
    assert!(t.len() >= 2 && t[0] < 5.0 && *t.last().unwrap() > 5.0, "{t:?}");
}
