//! Replaying float32 and float64 results recorded from PyTorch (`testdata/*_cases.txt`: rows of hex bits).
//!
//! The VML and SLEEF reproductions are each checked against thousands of results recorded from
//! torch on the oracle machine (the recording script sits beside each data file); this is the
//! one reader of those files and the one report of what differs.

/// Calls `check` with each row of `text` (lines of whitespace-separated hex words, `#` lines
/// and blank lines skipped), which returns a description of the row's mismatch, if any; fails
/// listing every mismatch, or if fewer than `min_rows` rows were read.
pub(crate) fn replay(text: &str, min_rows: usize, mut check: impl FnMut(&[u32]) -> Option<String>) {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let words: Vec<u32> = line
            .split_whitespace()
            .map(|w| u32::from_str_radix(w, 16).unwrap_or_else(|_| panic!("not hex: {line}")))
            .collect();
        wrong.extend(check(&words));
        rows += 1;
    }
    assert!(rows >= min_rows, "only {rows} recorded rows");
    assert!(
        wrong.is_empty(),
        "{} of {rows} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Whether `got` is the recorded result `want` (bits), any NaN matching any NaN.
pub(crate) fn same(got: f32, want: u32) -> bool {
    got.to_bits() == want || (got.is_nan() && f32::from_bits(want).is_nan())
}

/// [`replay`] for float64 rows (64-bit hex words).
pub(crate) fn replay64(text: &str, min_rows: usize, mut check: impl FnMut(&str, &[u64]) -> Option<String>) {
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap_or_default();
        let bits: Vec<u64> = words.map(|w| u64::from_str_radix(w, 16).unwrap_or_else(|_| panic!("not hex: {line}"))).collect();
        wrong.extend(check(tag, &bits));
        rows += 1;
    }
    assert!(rows >= min_rows, "only {rows} recorded rows");
    assert!(wrong.is_empty(), "{} of {rows} differ:\n{}", wrong.len(), wrong.join("\n"));
}

/// Whether `got` is the recorded float64 result `want` (bits), any NaN matching any NaN.
pub(crate) fn same64(got: f64, want: u64) -> bool {
    got.to_bits() == want || (got.is_nan() && f64::from_bits(want).is_nan())
}

/// The inputs of testdata/gen_narrow_linear.py (and the scripts that import its `tensor`):
/// `n` elements of the tensor `seed`, uniform in [-1, 1) with 24 random bits.
pub(crate) fn hashed(seed: u64, n: usize) -> Vec<f32> {
    (0..n as u64)
        .map(|idx| {
            let mut u = (idx * 0x9E37_79B1 + seed * 0x85EB_CA77) % (1 << 32);
            u ^= u >> 15;
            u = (u * 0x2C1B_3C6D) % (1 << 32);
            u ^= u >> 12;
            ((u >> 8) as i64 - (1 << 23)) as f32 / (1 << 23) as f32
        })
        .collect()
}
