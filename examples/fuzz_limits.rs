//! A grammar fuzzer for lessonrun's limits: random Python built to hit them (deep nesting,
//! long chains, huge literals, big repetition counts, runaway loops, big tensors) run as
//! lessons under a memory budget and a cell timeout, in this one process, for a given time.
//!
//! Every program must end normally or with a Python exception: an internal error (a caught
//! panic) is printed with its program, and an abort or a stack overflow kills the process,
//! which `bench/fuzz.sh` reports. Usage:
//! `fuzz_limits SECONDS [SEED] [MEMORY_LIMIT_BYTES]`.
//!
//! Programs depend only on the seed, so a run can be replayed from any program index:
//! `FUZZ_FROM=N` generates and skips the first N programs, `FUZZ_EACH=1` logs the RSS after
//! every program (with its index and first statement) to find the one that escapes a limit.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lessonrun::execute::{RunOptions, run_lesson};
use lessonrun::source::SourceFile;

/// xorshift64*: deterministic from the seed, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    /// A size spread over orders of magnitude, up to 10^max_exp.
    fn size(&mut self, max_exp: u32) -> u64 {
        let e = self.below(max_exp as u64 + 1) as u32;
        10u64.saturating_pow(e).saturating_mul(1 + self.below(9))
    }
}

/// A small expression, recursing at most `depth` levels.
fn expr(r: &mut Rng, depth: u32) -> String {
    if depth == 0 {
        return match r.below(6) {
            0 => r.size(20).to_string(),
            1 => format!("{}.5", r.below(1000)),
            2 => "x".into(),
            3 => "'ab'".into(),
            4 => "[1, 2, 3]".into(),
            _ => "None".into(),
        };
    }
    let d = depth - 1;
    match r.below(14) {
        0 => format!("({} + {})", expr(r, d), expr(r, d)),
        1 => format!("({} * {})", expr(r, d), expr(r, d)),
        2 => format!("-{}", expr(r, d)),
        3 => format!("not {}", expr(r, d)),
        4 => format!("[{}]", expr(r, d)),
        5 => format!("({} if {} else {})", expr(r, d), expr(r, d), expr(r, d)),
        6 => format!("str({})", expr(r, d)),
        7 => format!("len(str({}))", expr(r, d)),
        8 => format!("(lambda q: {})(0)", expr(r, d)),
        9 => format!("{{'k': {}}}", expr(r, d)),
        10 => format!("({} ** {})", expr(r, d), r.below(200)),
        11 => format!("[{} for _ in range({})]", expr(r, d), r.size(4)),
        12 => format!("({} == {})", expr(r, d), expr(r, d)),
        _ => expr(r, d),
    }
}

/// One statement from the grammar of resource abuse.
fn statement(r: &mut Rng) -> String {
    let n = r.size(19);
    let k = 1 + r.below(2_000_000) as usize;
    match r.below(34) {
        0 => format!("y = {}1{}", "(".repeat(k % 400), ")".repeat(k % 400)),
        1 => format!("y = {}1", "not ".repeat(k)),
        2 => format!("y = {}1", "-".repeat(k % 5000)),
        3 => format!(
            "y = {}",
            vec!["1"; k % 50_000 + 1]
                .join(r.pick(&[" + ", " ** ", " * ", " - ", " and ", " or ", " < "]))
        ),
        4 => format!("y = f{}", "(0)".repeat(k % 100_000)),
        5 => format!("y = x{}", ".real".repeat(k % 100_000)),
        6 => format!("y = [0]{}", "[0]".repeat(k % 100_000)),
        7 => format!("y = {}", "9".repeat(k % 200_000 + 1)),
        8 => format!("y = '{}'", "a".repeat(k % 2_000_000)),
        9 => format!("y = [0] * {n}"),
        10 => format!("y = 'ab' * {n}"),
        11 => format!("y = list(range({n}))"),
        12 => format!(
            "y = 'a'.{}({n})",
            r.pick(&["center", "ljust", "rjust", "zfill"])
        ),
        13 => format!("y = format(1, '{n}d')"),
        14 => format!("y = '%{n}d' % 1"),
        15 => format!("y = f'{{x:{n}}}'"),
        16 => format!("y = f'{{1.5:.{n}f}}'"),
        17 => format!("import random\ny = random.choices([1], k={n})"),
        18 => "y = []\nwhile True:\n    y.append([0] * 10**6)".into(),
        19 => "def g():\n    while True:\n        yield 1\ny = sum(g())".into(),
        20 => "def rec(n):\n    return rec(n + 1)\nrec(0)".into(),
        21 => format!(
            "y = []\nfor i in range({}):\n    y = [y]\ny = None",
            r.size(6)
        ),
        22 => format!(
            "y = ()\nfor i in range({}):\n    y = (y,)\nz = str(y)[:3]",
            r.size(6)
        ),
        23 => format!(
            "y = {{}}\nfor i in range({}):\n    y = {{'a': y}}\nz = y == y",
            r.size(6)
        ),
        24 => format!(
            "import torch\ny = torch.zeros({}, {})",
            r.size(6),
            r.size(6)
        ),
        25 => format!(
            "import torch\nimport torch.nn as nn\ny = nn.{}({}, {})",
            r.pick(&["Linear", "Embedding"]),
            r.size(7),
            r.size(4)
        ),
        26 => format!(
            "import torch\nimport torch.nn.functional as F\ny = F.one_hot(torch.tensor([{n}]))"
        ),
        27 => "import torch\na = torch.ones(4096, 4096)\nb = a @ a".into(),
        28 => format!("y = sorted(range({}, 0, -1))", r.size(8)),
        29 => format!("y = 3 ** {n}"),
        30 => "while True:\n    y = [0] * 10**7".into(),
        31 => {
            // Nested blocks: indentation past CPython's limit of 100 levels, or within it.
            let levels = (k % 150) + 1;
            (0..levels)
                .map(|i| format!("{}if True:\n", "  ".repeat(i)))
                .collect::<String>()
                + &"  ".repeat(levels)
                + "pass"
        }
        32 => format!(
            "class N:\n    pass\nn = N()\nn.me = n\nn.t = [0] * {}",
            r.size(5)
        ),
        _ => format!("y = {}", expr(r, (k % 12) as u32)),
    }
}

fn program(r: &mut Rng) -> String {
    let mut cells = String::from("# Fuzz\n\n```python\nx = 1\ndef f(*a):\n    return f\n```\n");
    for _ in 0..1 + r.below(3) {
        let mut body = statement(r);
        if r.below(4) == 0 {
            // Catching the limit must not help: limits are uncatchable or re-raised each time.
            body = format!(
                "try:\n{}\nexcept BaseException as e:\n    pass",
                body.lines()
                    .map(|l| format!("    {l}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        cells.push_str(&format!("\n```python\n{body}\n```\n"));
    }
    cells
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(0x5EED);
    let memory: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1 << 30);
    let mut r = Rng(seed | 1);
    let options = RunOptions {
        cell_time_limit: Some(Duration::from_secs(2)),
        memory_limit: Some(memory),
        ..RunOptions::default()
    };
    let start = Instant::now();
    let (mut runs, mut internal, mut max_rss) = (0u64, 0u64, 0u64);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let env_num = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let from = env_num("FUZZ_FROM").unwrap_or(0);
    let each = env_num("FUZZ_EACH").is_some_and(|v| v != 0);
    for _ in 0..from {
        program(&mut r);
    }
    while start.elapsed() < Duration::from_secs(seconds) {
        let text = program(&mut r);
        let lesson = lessonrun::lesson::parse(SourceFile::new("fuzz.md", text.clone()));
        let run = run_lesson(&lesson, &options);
        runs += 1;
        for cell in &run.cells {
            let what = cell.error().map_or("ok".to_string(), |e| e.py_type.clone());
            if what == "InternalError" {
                internal += 1;
                eprintln!(
                    "internal error: {:?}\n--- program ---\n{}\n---",
                    cell.error().map(|e| &e.message),
                    text.chars().take(2000).collect::<String>()
                );
            }
            *outcomes.entry(what).or_default() += 1;
        }
        let rss = rss_kib();
        max_rss = max_rss.max(rss);
        if each {
            let first = text.split("```python\n").skip(2).map(|c| c.lines().next().unwrap_or("")
                .chars().take(60).collect::<String>()).collect::<Vec<_>>().join(" | ");
            println!("#{} rss={} MiB {}", from + runs - 1, rss >> 10, first);
        }
        if runs.is_multiple_of(50) {
            println!(
                "{:>6.0}s runs={runs} rss={} MiB max_rss={} MiB internal={internal}",
                start.elapsed().as_secs_f64(),
                rss >> 10,
                max_rss >> 10
            );
        }
    }
    println!(
        "done: {runs} programs in {:.0}s, max RSS {} MiB, internal errors {internal}",
        start.elapsed().as_secs_f64(),
        max_rss >> 10
    );
    for (what, n) in outcomes {
        println!("  {what}: {n}");
    }
    if internal > 0 {
        std::process::exit(1);
    }
}
