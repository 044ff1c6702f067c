//! Unit tests of `tensor::activations_f32`.

use lessonrun::tensor::activations_f32::{Act, backward, forward};
use crate::unit::tensor::recorded::{replay, same};

/// Every group of testdata/activations_f32_cases.txt (real PyTorch's silu, softplus and elu
/// and their gradients on contiguous tensors of 7 to 257 elements, see
/// gen_activations_f32.py), forward and backward, element for element.
#[test]
fn activations_match_recorded_torch_bits() {
    let mut rows: Vec<Vec<u32>> = Vec::new();
    replay(
        include_str!("testdata/activations_f32_cases.txt"),
        4000,
        |w| {
            rows.push(w.to_vec());
            None
        },
    );
    let mut wrong = Vec::new();
    let mut groups = 0;
    for group in rows.chunk_by(|a, b| a[1] == b[1]) {
        let act = match group[0][0] {
            1 => Act::Silu,
            2 => Act::Softplus(1.0, 20.0),
            3 => Act::Softplus(2.0, 5.0),
            4 => Act::Elu(1.0),
            _ => Act::Elu(0.5),
        };
        let x: Vec<f32> = group.iter().map(|r| f32::from_bits(r[2])).collect();
        let g: Vec<f32> = group.iter().map(|r| f32::from_bits(r[3])).collect();
        let (y, dx) = (forward(act, &x), backward(act, &g, &x));
        for (i, r) in group.iter().enumerate() {
            if !same(y[i], r[4]) || !same(dx[i], r[5]) {
                wrong.push(format!(
                    "op {} group {} [{i}/{}] x={:e}: y {:e} (torch {:08x}), dx {:e} (torch {:08x})",
                    r[0],
                    r[1],
                    group.len(),
                    x[i],
                    y[i],
                    r[4],
                    dx[i],
                    r[5]
                ));
            }
        }
        groups += 1;
    }
    assert!(groups >= 50, "only {groups} groups");
    assert!(
        wrong.is_empty(),
        "{} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
