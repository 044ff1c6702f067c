//! Unit tests of `tensor::softmax_lanes`.

use lessonrun::tensor::softmax_lanes::lane_sum;

#[test]
fn short_rows_add_left_to_right_and_long_rows_by_lanes() {
    // 1e8 + 1 - 1e8 (float32): left to right the 1 is lost in the first sum.
    let short = [1e8f32, 1.0, -1e8];
    assert_eq!(lane_sum(&short), 0.0);
    // 17 values: lane 0 holds 1e8 and the 17th value (-1e8), so the 1 in lane 1 survives.
    let mut long = vec![0f32; 17];
    long[0] = 1e8;
    long[1] = 1.0;
    long[16] = -1e8;
    assert_eq!(lane_sum(&long), 1.0);
}
