//! Finding a segment of an expectation (the text between two ellipses) in a cell's output when
//! numbers compare within a relative tolerance, in linear time but for the rare expectation
//! that holds distinct numbers within twice the tolerance of each other.
//!
//! Tolerant comparison is not an equivalence (1.0 ~ 1.0000009 ~ 1.0000018, yet 1.0 !~ 1.0000018
//! at 1e-6), so Knuth–Morris–Pratt cannot run on it directly, and comparing from each start is
//! quadratic when the output repeats a long prefix of the segment. Instead every token gets a
//! class, and KMP runs on classes, which compare by equality: a word is its own class; the
//! segment's numbers are grouped into clusters, each a run of values (in sorted order) whose
//! tolerance intervals overlap, so that the clusters' intervals are disjoint and an output
//! number lies in at most one of them. An output number takes its cluster's class only if it
//! matches: exactly checked against a cluster of one value, so class equality is the tolerant
//! comparison itself; a cluster of several values ("crowded") is checked at each occurrence
//! KMP reports, at those positions only. Exact matching under several crowded values is as
//! hard as matching with intervals (δ-matching), for which no near-linear algorithm is known.

use std::collections::HashMap;

use super::Tok;

/// Not a class: matches nothing.
const NONE: u32 = u32::MAX;
const SPACE: u32 = 0;
const NAN: u32 = 1;

/// The tolerance intervals are widened by this much, relative and absolute, so that they hold
/// every number the comparison accepts despite its rounding (and underflow near zero).
const WIDEN: f64 = 1e-9;
const WIDEN_ABS: f64 = 1e-300;

struct Cluster {
    lo: f64,
    hi: f64,
    /// The value of a cluster of one.
    single: Option<f64>,
}

struct Classes<'a> {
    words: HashMap<&'a str, u32>,
    clusters: Vec<Cluster>,
    /// Every non-NaN number is one crowded cluster (a tolerance of 1 or more, or an infinity,
    /// which is within any positive tolerance of every number).
    one_cluster: bool,
    first_cluster: u32,
}

impl<'a> Classes<'a> {
    fn new(needle: &[Tok<'a>], hay: &[Tok], tol: f64) -> Classes<'a> {
        let mut words = HashMap::new();
        for t in needle {
            if let Tok::Text(s) = t {
                let next = words.len() as u32 + 2;
                words.entry(*s).or_insert(next);
            }
        }
        let first_cluster = words.len() as u32 + 2;
        let numbers = |ts: &[Tok]| {
            ts.iter()
                .filter_map(|t| if let Tok::Num(v) = t { Some(*v) } else { None })
                .collect::<Vec<f64>>()
        };
        let mut values: Vec<f64> = numbers(needle)
            .into_iter()
            .filter(|v| !v.is_nan())
            .collect();
        // A NaN tolerance accepts equal numbers only, as zero does.
        let t = if tol > 0.0 { tol * (1.0 + WIDEN) } else { 0.0 };
        let infinite = values.iter().chain(&numbers(hay)).any(|v| v.is_infinite());
        let one_cluster = t >= 1.0 || (t > 0.0 && infinite);
        let mut clusters: Vec<Cluster> = Vec::new();
        if !one_cluster {
            values.sort_by(f64::total_cmp);
            values.dedup_by(|a, b| a == b);
            let (down, up) = ((1.0 - t) * (1.0 - WIDEN), (1.0 + WIDEN) / (1.0 - t));
            for v in values {
                // For |v| fixed the accepted numbers are v(1 - tol) ..= v / (1 - tol) (mirrored
                // below zero); both ends grow with v, so overlapping intervals are neighbours.
                let (lo, hi) = if v >= 0.0 {
                    (v * down - WIDEN_ABS, v * up + WIDEN_ABS)
                } else {
                    (v * up - WIDEN_ABS, v * down + WIDEN_ABS)
                };
                match clusters.last_mut() {
                    Some(c) if lo <= c.hi => {
                        c.hi = c.hi.max(hi);
                        c.single = None;
                    }
                    _ => clusters.push(Cluster {
                        lo,
                        hi,
                        single: Some(v),
                    }),
                }
            }
        }
        Classes {
            words,
            clusters,
            one_cluster,
            first_cluster,
        }
    }

    /// The cluster whose interval holds `v`.
    fn cluster(&self, v: f64) -> Option<usize> {
        let i = self
            .clusters
            .partition_point(|c| c.lo <= v)
            .checked_sub(1)?;
        (v <= self.clusters[i].hi).then_some(i)
    }

    fn of_pattern(&self, t: &Tok) -> u32 {
        match t {
            Tok::Text(s) => self.words[s],
            Tok::Space => SPACE,
            Tok::Num(v) if v.is_nan() => NAN,
            Tok::Num(_) if self.one_cluster => self.first_cluster,
            Tok::Num(v) => self
                .cluster(*v)
                .map_or(NONE, |i| self.first_cluster + i as u32),
            Tok::Any => NONE,
        }
    }

    fn of_text(&self, t: &Tok, eq: &impl Fn(&Tok, &Tok) -> bool) -> u32 {
        match t {
            Tok::Text(s) => self.words.get(s).copied().unwrap_or(NONE),
            Tok::Space => SPACE,
            Tok::Num(v) if v.is_nan() => NAN,
            Tok::Num(_) if self.one_cluster => self.first_cluster,
            Tok::Num(v) => match self.cluster(*v) {
                Some(i) => match self.clusters[i].single {
                    Some(p) if !eq(&Tok::Num(p), t) => NONE,
                    _ => self.first_cluster + i as u32,
                },
                None => NONE,
            },
            Tok::Any => NONE,
        }
    }

    /// Whether a number of this class must be compared again at an occurrence.
    fn crowded(&self, class: u32) -> bool {
        class >= self.first_cluster
            && class != NONE
            && (self.one_cluster
                || self
                    .clusters
                    .get((class - self.first_cluster) as usize)
                    .is_some_and(|c| c.single.is_none()))
    }
}

/// The first position of `needle` in `hay` where every token satisfies `eq`, the comparison
/// with relative tolerance `tol` (see the module's documentation).
pub fn find(
    needle: &[Tok],
    hay: &[Tok],
    tol: f64,
    eq: &impl Fn(&Tok, &Tok) -> bool,
) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if needle.len() > hay.len() {
        return None;
    }
    let classes = Classes::new(needle, hay, tol);
    let pat: Vec<u32> = needle.iter().map(|t| classes.of_pattern(t)).collect();
    let text: Vec<u32> = hay.iter().map(|t| classes.of_text(t, eq)).collect();
    let recheck: Vec<usize> = (0..pat.len())
        .filter(|&i| classes.crowded(pat[i]))
        .collect();
    let same = |a: u32, b: u32| a == b && a != NONE;
    // border[i]: the longest proper prefix of pat[..=i] that is also its suffix.
    let mut border = vec![0usize; pat.len()];
    let mut k = 0;
    for i in 1..pat.len() {
        while k > 0 && !same(pat[i], pat[k]) {
            k = border[k - 1];
        }
        if same(pat[i], pat[k]) {
            k += 1;
        }
        border[i] = k;
    }
    let mut k = 0;
    for (i, &c) in text.iter().enumerate() {
        while k > 0 && !same(pat[k], c) {
            k = border[k - 1];
        }
        if same(pat[k], c) {
            k += 1;
        }
        if k == pat.len() {
            let at = i + 1 - k;
            if recheck.iter().all(|&x| eq(&needle[x], &hay[at + x])) {
                return Some(at);
            }
            k = border[k - 1];
        }
    }
    None
}
