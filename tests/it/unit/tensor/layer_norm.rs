//! Unit tests of `tensor::layer_norm`.

use lessonrun::tensor::layer_norm::{Elem, backward_rows, forward_rows};
use crate::unit::tensor::recorded::replay;

/// One recorded group of testdata/layer_norm_cases.txt, as float64 values.
struct Case {
    group: u32,
    m: usize,
    n: usize,
    flags: u32,
    /// x, dy, y, dx per element; w, b, dw, db per column; mean, rstd per row.
    elems: Vec<[f64; 4]>,
    cols: Vec<[f64; 4]>,
    rows: Vec<[f64; 2]>,
}

/// The values of a row's words: one word per float32, two (high, low) per float64.
fn values<const K: usize>(words: &[u32], f64s: bool) -> [f64; K] {
    let mut out = [0.0; K];
    for (k, v) in out.iter_mut().enumerate() {
        *v = if f64s {
            f64::from_bits((u64::from(words[2 * k]) << 32) | u64::from(words[2 * k + 1]))
        } else {
            f64::from(f32::from_bits(words[k]))
        };
    }
    out
}

fn cases() -> Vec<(bool, Case)> {
    let mut out: Vec<(bool, Case)> = Vec::new();
    replay(include_str!("testdata/layer_norm_cases.txt"), 10_000, |w| {
        if w[0] == 0 {
            let case = Case {
                group: w[1],
                m: w[3] as usize,
                n: w[4] as usize,
                flags: w[5],
                elems: vec![],
                cols: vec![],
                rows: vec![],
            };
            out.push((w[2] == 2, case));
            return None;
        }
        let Some((f64s, case)) = out.last_mut() else {
            return Some("row before a header".into());
        };
        match w[0] {
            1 => case.elems.push(values(&w[1..], *f64s)),
            2 => case.cols.push(values(&w[1..], *f64s)),
            _ => case.rows.push(values(&w[1..], *f64s)),
        }
        None
    });
    out
}

/// Runs one case in `T` and lists the elements whose bits differ from PyTorch's.
fn check<T: Elem + Into<f64>>(c: &Case) -> Vec<String> {
    let t = |f: &dyn Fn(usize) -> f64, len: usize| -> Vec<T> {
        (0..len).map(|i| T::from_f64(f(i))).collect()
    };
    let x = t(&|i| c.elems[i][0], c.m * c.n);
    let dy = t(&|i| c.elems[i][1], c.m * c.n);
    let w = t(&|j| c.cols[j][0], c.n);
    let b = t(&|j| c.cols[j][1], c.n);
    let (has_w, has_b) = (c.flags & 1 != 0, c.flags & 2 != 0);
    let (y, mean, rstd) = forward_rows(
        &x,
        c.n,
        has_w.then_some(&w[..]),
        has_b.then_some(&b[..]),
        T::from_f64(1e-5),
    );
    let g = backward_rows(&dy, &x, &mean, &rstd, c.n, has_w.then_some(&w[..]), has_b);
    let mut wrong = Vec::new();
    let mut cmp = |what: &str, got: &[T], want: &dyn Fn(usize) -> f64| {
        for (i, &v) in got.iter().enumerate() {
            let (v, want) = (v.into(), want(i));
            if v.to_bits() != want.to_bits() && !(v.is_nan() && want.is_nan()) {
                wrong.push(format!(
                    "group {} (M={} N={} flags={}): {what}[{i}] = {v:e}, torch {want:e}",
                    c.group, c.m, c.n, c.flags
                ));
            }
        }
    };
    cmp("y", &y, &|i| c.elems[i][2]);
    cmp("mean", &mean, &|i| c.rows[i][0]);
    cmp("rstd", &rstd, &|i| c.rows[i][1]);
    cmp("dx", &g.dx, &|i| c.elems[i][3]);
    if let Some(dw) = &g.dw {
        cmp("dweight", dw, &|j| c.cols[j][2]);
    }
    if let Some(db) = &g.db {
        cmp("dbias", db, &|j| c.cols[j][3]);
    }
    wrong
}

/// Every group of testdata/layer_norm_cases.txt (real PyTorch's `native_layer_norm` and its
/// backward, see gen_layer_norm.py): output, means, rstd and all three gradients, bit for bit.
#[test]
fn layer_norm_matches_recorded_torch_bits() {
    let cases = cases();
    assert!(cases.len() >= 150, "only {} groups", cases.len());
    let mut wrong = Vec::new();
    for (f64s, c) in &cases {
        assert_eq!(c.elems.len(), c.m * c.n, "group {}", c.group);
        wrong.extend(if *f64s {
            check::<f64>(c)
        } else {
            check::<f32>(c)
        });
    }
    assert!(
        wrong.is_empty(),
        "{} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
