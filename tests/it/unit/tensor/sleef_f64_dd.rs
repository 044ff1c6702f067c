//! Unit tests of `tensor::sleef_f64_dd`.

use lessonrun::tensor::sleef_f64_dd::*;
use lessonrun::tensor::kernels::VEC_LOOP_F64;
use lessonrun::tensor::sleef_f64::{
    Dd, L2L, L2U, R_LN2, add_dd_d, add_dd_dd, add2_d_d, div_dd, getexp, getmant_p75, ldexp2, logd,
    mul_dd_d,
};
use crate::unit::tensor::recorded::{replay64, same64};

/// Every row of testdata/sleef64_cases.txt: torch's float64 results on whole vector steps
/// (gen_sleef64.py), edge inputs and random ones, through the vector loop as the tensor ops
/// run it.
#[test]
fn float64_vector_steps_match_recorded_pytorch_bits() {
    replay64(include_str!("testdata/sleef64_cases.txt"), 5000, |op, w| {
        let x = f64::from_bits(w[0]);
        // Each kernel as compiled here (software fma unless the build targets FMA) and
        // as the tensor ops call it (with FMA instructions on this CPU).
        let y = w.get(1).map(|&b| f64::from_bits(b)).unwrap_or(0.0);
        let (got, lane, want) = match op {
            "sinh" => (sinhd(x), sinh_lane(x), w[1]),
            "cosh" => (coshd(x), cosh_lane(x), w[1]),
            "expm1" => (expm1d(x), expm1_lane(x), w[1]),
            "log1p" => (log1pd(x), log1p_lane(x), w[1]),
            "sigmoid" => (sigmoid_expd(x), sigmoid_lane(x), w[1]),
            "pow" => (powd(x, y), pow_lane(x, y), w[2]),
            "atan2" => (atan2d(x, y), atan2_lane(x, y), w[2]),
            other => return Some(format!("unknown op {other}")),
        };
        (!same64(got, want) || !same64(lane, want)).then(|| {
            format!(
                "{op}({x:e}, ..) = {got:e} / {lane:e}, torch {:e} ({want:016x})",
                f64::from_bits(want)
            )
        })
    });
}

/// The split: whole 16-double steps through the vector function, the rest through the
/// scalar one, and per row for a binary op.
#[test]
fn vector_steps_cover_whole_steps_only() {
    let x: Vec<f64> = (0..37).map(|i| i as f64).collect();
    let got = vec_steps(&x, |_| 1.0, |_| 2.0);
    assert!(got[..32].iter().all(|&v| v == 1.0) && got[32..].iter().all(|&v| v == 2.0));
    let got = vec_steps2(&x[..36], &[0.0], 18, |_, _| 1.0, |_, _| 2.0);
    let want: Vec<f64> = (0..36)
        .map(|i| if i % 18 < 16 { 1.0 } else { 2.0 })
        .collect();
    assert_eq!(got, want);
}

/// The walk over views (docs/probes/sleef64_regions.py's strided cases): a transposed
/// input in memory order, an expanded one per row, a strided last dim all scalar.
#[test]
fn views_are_walked_as_tensor_iterator_does() {
    let (v, s) = (|_: f64| 1.0, |_: f64| 2.0);
    // A 17x3 view of a 3x17 buffer (transposed): memory order runs down the columns.
    let x = vec![0.0; 51];
    let got = aten_unary(&x, &[17, 3], Some(&[1, 17]), v, s);
    for (i, &g) in got.iter().enumerate() {
        let mem = (i % 3) * 17 + i / 3;
        assert_eq!(g, if mem < 48 { 1.0 } else { 2.0 }, "element {i}");
    }
    // 3x20 expanded from 1x20: rows of 20, 16 through the vector function each.
    let got = aten_unary(&[0.0; 60], &[3, 20], Some(&[0, 1]), v, s);
    assert!(
        got.iter()
            .enumerate()
            .all(|(i, &g)| g == if i % 20 < 16 { 1.0 } else { 2.0 })
    );
    // Every other column: no unit stride, the scalar loop.
    assert!(
        aten_unary(&[0.0; 40], &[2, 20], Some(&[40, 2]), v, s)
            .iter()
            .all(|&g| g == 2.0)
    );
    // Contiguous and None agree.
    assert_eq!(
        aten_unary(&[0.0; 40], &[2, 20], Some(&[20, 1]), v, s),
        vec_steps(&[0.0; 40], v, s)
    );
}
