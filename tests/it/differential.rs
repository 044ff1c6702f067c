//! The differential test against PyTorch: replays tests/differential/corpus.tsv (cases and the
//! bits real PyTorch gave for them, recorded by tests/differential/generate.py) through the
//! interpreter and compares every result bit for bit. A case may differ only if a row of the
//! table under "Cases" in docs/divergences-differential.md lists it; a row that no longer
//! matches any differing case fails the test too, so the list stays honest.
//!
//! `LESSONRUN_DIFF_REPORT=FILE` writes every differing case (listed or not) to FILE for triage.
//! `LESSONRUN_DIFF_ROWS=FILE` writes, per allow-list row, how many cases of the corpus it covers,
//! how many of those differ, and which (op, dtype, shape) sets differ, then the differing sets
//! no row lists: what a row needs to be narrowed to exactly the cases that differ.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use lessonrun::lang::{Interpreter, Value};
use lessonrun::tensor::{DType, Scalar};

/// Cases per interpreter cell: large enough that parsing and setup are negligible, small
/// enough that a batch a resource error ends is cheap to re-run case by case.
const BATCH: usize = 400;

struct Case {
    line: usize,
    op: String,
    dtype: String,
    shape: String,
    expr: String,
    expected: String,
}

/// One allow-list row of docs/divergences-differential.md: comma-separated globs over op, dtype
/// and shape.
struct Listed {
    op: String,
    dtype: String,
    shape: String,
    hits: usize,
    /// Corpus cases (differing or not) the row's globs match.
    covers: usize,
    /// The (op, dtype, shape) labels of the differing cases the row allows, with counts.
    differing: BTreeMap<(String, String, String), usize>,
}

impl Listed {
    fn matches(&self, c: &Case) -> bool {
        any_glob(&self.op, &c.op)
            && any_glob(&self.dtype, &c.dtype)
            && any_glob(&self.shape, &c.shape)
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read_corpus() -> Vec<Case> {
    let text =
        std::fs::read_to_string(root().join("tests/differential/corpus.tsv")).expect("corpus.tsv");
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                f.len(),
                5,
                "corpus.tsv:{}: expected 5 tab-separated fields",
                i + 1
            );
            Case {
                line: i + 1,
                op: f[0].into(),
                dtype: f[1].into(),
                shape: f[2].into(),
                expr: f[3].into(),
                expected: f[4].into(),
            }
        })
        .collect()
}

/// The rows of the table in docs/divergences-differential.md's "Cases" section.
fn read_listed() -> Vec<Listed> {
    let doc = std::fs::read_to_string(root().join("docs/divergences-differential.md"))
        .expect("docs/divergences-differential.md");
    let start = doc
        .find("## Cases")
        .expect("docs/divergences-differential.md has a section '## Cases'");
    let section = &doc[start..];
    let end = section[4..].find("\n#").map_or(section.len(), |e| e + 4);
    let mut rows = Vec::new();
    for line in section[..end].lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('`').to_string())
            .collect();
        if cells.len() < 4 || cells[0] == "op" || cells[0].starts_with('-') {
            continue;
        }
        assert!(
            !cells[3].is_empty(),
            "docs/divergences-differential.md: the row for {} gives no reason",
            cells[0]
        );
        rows.push(Listed {
            op: cells[0].clone(),
            dtype: cells[1].clone(),
            shape: cells[2].clone(),
            hits: 0,
            covers: 0,
            differing: BTreeMap::new(),
        });
    }
    rows
}

/// A comma-separated list of globs: does any match?
fn any_glob(patterns: &str, text: &str) -> bool {
    patterns
        .split(',')
        .any(|p| glob(p.trim().trim_matches('`'), text))
}

/// `*` matches any run of characters; everything else matches itself.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// generate.py's digest: the wrapping sum over elements of splitmix64(bits + (i+1)·golden),
/// all NaNs as one NaN; then the first element's bits and the sum of finite |x|.
fn digest(dtype: DType, values: &[Scalar]) -> String {
    let bits: Vec<u64> = values
        .iter()
        .map(|v| match (dtype, v) {
            (DType::Float32, Scalar::Float(x)) => {
                let x = *x as f32;
                (if x.is_nan() { f32::NAN } else { x }).to_bits() as u64
            }
            (_, Scalar::Float(x)) => (if x.is_nan() { f64::NAN } else { *x }).to_bits(),
            (_, Scalar::Int(i)) => *i as u64,
            (_, Scalar::Bool(b)) => *b as u64,
        })
        .collect();
    let mut h = 0u64;
    for (i, b) in bits.iter().enumerate() {
        let mut z = b.wrapping_add((i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h = h.wrapping_add(z ^ (z >> 31));
    }
    let first = bits.first().map_or("-".to_string(), |b| format!("{b:x}"));
    let sum: f64 = values
        .iter()
        .map(|v| match v {
            Scalar::Float(x) if x.is_finite() => x.abs(),
            Scalar::Float(_) => 0.0,
            Scalar::Int(i) => (*i as f64).abs(),
            Scalar::Bool(b) => *b as u8 as f64,
        })
        .sum();
    format!("{h:016x} {first} {}", py_g6(sum))
}

/// Python's `'%.6g' % x`, enough to tell a last-bit difference from a wrong result.
fn py_g6(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let e = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&e) {
        let s = format!("{x:.5e}");
        let (m, exp) = s.split_once('e').unwrap();
        let m = if m.contains('.') {
            m.trim_end_matches('0').trim_end_matches('.')
        } else {
            m
        };
        let exp: i32 = exp.parse().unwrap();
        return format!("{m}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    }
    let s = format!("{:.*}", (5 - e).max(0) as usize, x);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn dtype_name(d: DType) -> &'static str {
    match d {
        DType::Float32 => "float32",
        DType::Float64 => "float64",
        DType::Int64 => "int64",
        DType::Bool => "bool",
        _ => "other",
    }
}

/// What lessonrun gives for a case, in the corpus's `expected` form, or the error it raised.
fn actual_of(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("error {s}"),
        _ => match lessonrun::lang::torch::tensor_of(v) {
            Some(t) => {
                let shape: Vec<String> = t.shape().iter().map(|s| s.to_string()).collect();
                let shape = if shape.is_empty() {
                    "s".to_string()
                } else {
                    shape.join("x")
                };
                format!(
                    "{} {} {}",
                    dtype_name(t.dtype()),
                    shape,
                    digest(t.dtype(), &t.to_scalars())
                )
            }
            None => "error not a tensor".into(),
        },
    }
}

fn cell_for(cases: &[Case]) -> String {
    let mut src = String::from("R = []\n");
    for c in cases {
        let _ = write!(
            src,
            "try:\n    R.append({})\nexcept Exception as e:\n    R.append(type(e).__name__ + ': ' + str(e))\n",
            c.expr
        );
    }
    src
}

fn run_batch(interp: &mut Interpreter, cases: &[Case]) -> Option<Vec<String>> {
    let mut sink = String::new();
    interp.run_cell(&cell_for(cases), 0, &mut sink).ok()?;
    let results = interp.get_global("R");
    let Some(Value::List(r)) = &results else {
        return None;
    };
    let r = r.borrow();
    (r.len() == cases.len()).then(|| r.iter().map(actual_of).collect())
}

fn replay(cases: &[Case]) -> Vec<String> {
    let prelude =
        std::fs::read_to_string(root().join("tests/differential/prelude.py")).expect("prelude.py");
    let mut interp = Interpreter::new();
    lessonrun::lang::torch::install(&mut interp);
    interp.set_time_limit(Some(std::time::Duration::from_secs(120)));
    let mut sink = String::new();
    if let Err(e) = interp.run_cell(&prelude, 0, &mut sink) {
        panic!(
            "tests/differential/prelude.py fails in lessonrun: {}",
            e.last_line()
        );
    }
    let mut out = Vec::with_capacity(cases.len());
    for chunk in cases.chunks(BATCH) {
        match run_batch(&mut interp, chunk) {
            Some(r) => out.extend(r),
            // An error `try` cannot catch ended the cell: find the case, one cell each.
            None => {
                for c in chunk {
                    let r = run_batch(&mut interp, std::slice::from_ref(c));
                    out.push(r.map_or_else(
                        || "error: the case ended its cell".into(),
                        |mut r| r.remove(0),
                    ));
                }
            }
        }
    }
    out
}

/// Equal dtype, shape, digest and first element: the trailing sum|x| is for the report only
/// (NumPy sums it pairwise, so its sixth digit may differ).
fn same_bits(actual: &str, expected: &str) -> bool {
    let key = |s: &str| s.rsplit_once(' ').map(|(k, _)| k.to_string());
    key(actual).is_some() && key(actual) == key(expected)
}

/// A short description of how far apart two results are, for the report.
fn how(expected: &str, actual: &str) -> String {
    if actual.starts_with("error") {
        return actual.chars().take(120).collect();
    }
    let e: Vec<&str> = expected.split(' ').collect();
    let a: Vec<&str> = actual.split(' ').collect();
    if e.len() != 5 || a.len() != 5 || e[0] != a[0] || e[1] != a[1] {
        return format!(
            "got {} {}, want {} {}",
            a.first().unwrap_or(&""),
            a.get(1).unwrap_or(&""),
            e[0],
            e.get(1).unwrap_or(&"")
        );
    }
    let (x, y) = (
        a[4].parse::<f64>().unwrap_or(f64::NAN),
        e[4].parse::<f64>().unwrap_or(f64::NAN),
    );
    let rel = ((x - y) / y.abs().max(1e-300)).abs();
    if a[4] == e[4] || rel < 1e-5 {
        "last bits".into()
    } else {
        format!("values: sum|x| {} want {}", a[4], e[4])
    }
}

#[test]
fn differential_corpus_matches_pytorch_except_listed_cases() {
    let handle = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(check)
        .expect("spawn test thread");
    if let Err(msg) = handle.join().expect("differential runner panicked") {
        panic!("{msg}");
    }
}

fn check() -> Result<(), String> {
    let cases = read_corpus();
    assert!(
        cases.len() >= 20_000,
        "the corpus has {} cases, fewer than 20,000",
        cases.len()
    );
    let mut listed = read_listed();
    let actual = replay(&cases);
    // (op, dtype) -> (count, shapes, kind) for the cases no row lists.
    let mut unlisted: BTreeMap<(String, String), (usize, Vec<String>, String)> = BTreeMap::new();
    let (mut same, mut differ) = (0, 0);
    let mut report = String::new();
    let mut unlisted_sets: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for (c, a) in cases.iter().zip(&actual) {
        if let Some(r) = listed.iter_mut().find(|r| r.matches(c)) {
            r.covers += 1;
        }
        if same_bits(a, &c.expected) {
            same += 1;
            continue;
        }
        differ += 1;
        let kind = how(&c.expected, a);
        let _ = writeln!(
            report,
            "{}\t{}\t{}\t{}\t{}\tline {}\t{}",
            c.op, c.dtype, c.shape, kind, c.expr, c.line, a
        );
        let set = (c.op.clone(), c.dtype.clone(), c.shape.clone());
        match listed.iter_mut().find(|r| r.matches(c)) {
            Some(r) => {
                r.hits += 1;
                *r.differing.entry(set).or_default() += 1;
            }
            None => {
                *unlisted_sets.entry(set).or_default() += 1;
                let e = unlisted.entry((c.op.clone(), c.dtype.clone())).or_insert((
                    0,
                    Vec::new(),
                    kind,
                ));
                e.0 += 1;
                if e.1.len() < 6 {
                    e.1.push(c.shape.clone());
                }
            }
        }
    }
    if let Ok(path) = std::env::var("LESSONRUN_DIFF_REPORT") {
        std::fs::write(&path, &report).expect("write the differential report");
    }
    if let Ok(path) = std::env::var("LESSONRUN_DIFF_ROWS") {
        std::fs::write(&path, rows_report(&listed, &unlisted_sets)).expect("write the rows report");
    }
    let mut msg = format!(
        "differential corpus: {} cases, {same} bit-identical ({:.2}%), {differ} differ\n",
        cases.len(),
        100.0 * same as f64 / cases.len() as f64
    );
    for ((op, dtype), (n, shapes, kind)) in &unlisted {
        let _ = writeln!(
            msg,
            "  not listed: {op} {dtype}: {n} cases (e.g. shapes {}): {kind}",
            shapes.join(", ")
        );
    }
    let stale: Vec<&Listed> = listed.iter().filter(|r| r.hits == 0).collect();
    for r in &stale {
        let _ = writeln!(
            msg,
            "  listed in docs/divergences-differential.md but identical now (remove the row): {} {} {}",
            r.op, r.dtype, r.shape
        );
    }
    eprint!("{msg}");
    if unlisted.is_empty() && stale.is_empty() {
        Ok(())
    } else {
        Err(msg)
    }
}

/// Per allow-list row: its globs, the cases it covers and how many differ, then one line per
/// differing (op, dtype, shape) set; then the differing sets no row lists.
fn rows_report(listed: &[Listed], unlisted: &BTreeMap<(String, String, String), usize>) -> String {
    let mut out = String::new();
    for r in listed {
        let _ = writeln!(
            out,
            "row\t{}\t{}\t{}\tcovers {}\tdiffer {}",
            r.op, r.dtype, r.shape, r.covers, r.hits
        );
        for ((op, dtype, shape), n) in &r.differing {
            let _ = writeln!(out, "\t{op}\t{dtype}\t{shape}\t{n}");
        }
    }
    for ((op, dtype, shape), n) in unlisted {
        let _ = writeln!(out, "unlisted\t{op}\t{dtype}\t{shape}\t{n}");
    }
    out
}

#[test]
fn digest_and_glob_agree_with_the_generator() {
    // generate.py's digest of torch.tensor([1.0, -0.0, nan]) and of an empty float32 tensor.
    let v = [
        Scalar::Float(1.0),
        Scalar::Float(-0.0),
        Scalar::Float(f64::NAN),
    ];
    assert_eq!(digest(DType::Float32, &v), "e3edd74feb8d7fc2 3f800000 1");
    assert_eq!(digest(DType::Float32, &[]), "0000000000000000 - 0");
    assert_eq!(py_g6(1.0076), "1.0076");
    assert_eq!(py_g6(123456789.0), "1.23457e+08");
    assert_eq!(py_g6(0.000012345678), "1.23457e-05");
    assert!(any_glob("`sin`, `sin.*`", "sin.grad") && !any_glob("`sin`, `sin.*`", "sinh"));
    assert!(
        glob("sin*", "sin.grad")
            && glob("*", "")
            && glob("a*b*c", "axxbyyc")
            && !glob("a*b", "ab.c")
    );
}
