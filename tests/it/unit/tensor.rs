//! Engine tests: PyTorch-verified values (RNG, init, losses, printing, the seed tutorial) and
//! finite-difference gradient checks for every differentiable op.

mod activations_f32;
mod adaptive_max;
mod conv_split;
mod conv_tests;
mod conv_transpose_tests;
mod decomp;
mod dgemm_order;
mod dot_order;
mod dtype;
mod exact_chain;
mod flash_attention;
mod gather;
mod gelu_f32;
mod gemm_tests;
mod gemv_order;
mod index_ops_tests;
mod iter_layout;
mod iter_rows;
mod kernel_tests;
mod layer_norm;
mod layer_tests;
mod layers_more_tests;
mod narrow_order;
mod optim;
mod pack_transpose;
mod peel_order;
mod plain_dot;
mod pool;
mod random;
mod recorded;
mod rnn_fused_tests;
mod seq_gradcheck_tests;
mod sigmoid_avx2;
mod sigmoid_f32;
mod sleef;
mod sleef_f32;
mod sleef_f64;
mod sleef_f64_dd;
mod softmax_lanes;
mod std_sort;
mod sum_reduce;
mod tanh_avx2;
mod tanh_f32;
mod threads;
mod vml_asin;
mod vml_exp;
mod vml_log;
mod vml_sin;
mod vml_sqrt;
mod zip_bcast;


use lessonrun::tensor::nn::{self, Linear, Reduction};
use lessonrun::tensor::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use lessonrun::tensor::*;
use std::cell::Cell;

fn t32(v: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_data(Data::F32(v.to_vec()), shape).expect("valid data")
}

fn t64(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_data(Data::F64(v.to_vec()), shape).expect("valid data")
}

pub(super) fn leaf64(v: &[f64], shape: &[usize]) -> Tensor {
    let t = t64(v, shape);
    t.set_requires_grad(true).expect("float leaf");
    t
}

/// Asserts exact equality of values given as Python reprs (what PyTorch printed).
fn assert_values(what: &str, actual: &[f64], expected: &[&str]) {
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
        let e: f64 = e.parse().expect("number");
        assert!(a.to_bits() == e.to_bits(), "{what}[{i}]: got {a:?}, PyTorch gave {e:?}");
    }
}

// ---- printing ------------------------------------------------------------------------------

struct PrintCase {
    header: String,
    expected: String,
}

fn print_cases() -> Vec<PrintCase> {
    let text = include_str!("tensor/testdata/print_cases.txt");
    let mut cases: Vec<PrintCase> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if let Some(h) = line.strip_prefix("== ") {
            cases.push(PrintCase { header: h.to_string(), expected: String::new() });
        } else if let Some(c) = cases.last_mut() {
            if !c.expected.is_empty() {
                c.expected.push('\n');
            }
            c.expected.push_str(line);
        }
    }
    cases
}

fn build_case(header: &str) -> Tensor {
    let (spec, vals) = header.split_once(" : ").expect("header has ' : '");
    let mut parts = spec.split_whitespace();
    let dtype = match parts.next() {
        Some("float32") => DType::Float32,
        Some("float64") => DType::Float64,
        Some("int64") => DType::Int64,
        Some("bool") => DType::Bool,
        other => panic!("bad dtype {other:?}"),
    };
    let shape_s = parts.next().expect("shape").trim_matches(['[', ']']);
    let shape: Vec<usize> = if shape_s.is_empty() { vec![] } else { shape_s.split(',').map(|d| d.parse().expect("dim")).collect() };
    let flags: Vec<&str> = parts.collect();
    let numel: usize = shape.iter().product();
    let words: Vec<&str> = vals.split_whitespace().collect();
    let mut op = None;
    for f in flags.iter().chain(words.iter()) {
        if let Some(o) = f.strip_prefix("op=") {
            op = Some(o.to_string());
        }
    }
    let words: Vec<&str> = words.into_iter().filter(|w| !w.starts_with("op=")).collect();
    let nums: Vec<f64> = match words.first().copied() {
        Some("arange") => (0..numel).map(|i| i as f64).collect(),
        Some("zeros") => vec![0.0; numel],
        Some("ones") => vec![1.0; numel],
        Some("linspace") => {
            let t = Tensor::linspace(Scalar::Float(words[1].parse().expect("a")), Scalar::Float(words[2].parse().expect("b")), numel, DType::Float32)
                .expect("linspace");
            t.to_f64_vec()
        }
        _ => words
            .iter()
            .map(|w| match *w {
                "true" => 1.0,
                "false" => 0.0,
                w => w.parse::<f64>().expect("value"),
            })
            .collect(),
    };
    let mut t = match dtype {
        DType::Float32 => t32(&nums.iter().map(|&x| x as f32).collect::<Vec<_>>(), &shape),
        DType::Float64 => t64(&nums, &shape),
        DType::Int64 => {
            // Parse ints directly so values beyond 2^53 stay exact.
            let ints: Vec<i64> = if matches!(words.first().copied(), Some("arange" | "zeros" | "ones")) {
                nums.iter().map(|&x| x as i64).collect()
            } else {
                words.iter().map(|w| w.parse().expect("int")).collect()
            };
            Tensor::from_data(Data::I64(ints), &shape).expect("data")
        }
        DType::Bool => Tensor::from_data(Data::Bool(nums.iter().map(|&x| x != 0.0).collect()), &shape).expect("data"),
        narrow => t64(&nums, &shape).to_dtype(narrow).expect("cast"),
    };
    if flags.contains(&"param") {
        t = Tensor::parameter(&t);
    }
    if flags.contains(&"rg") {
        t.set_requires_grad(true).expect("rg");
    }
    if let Some(o) = op {
        let (name, s) = o.split_once(':').expect("op=name:scalar");
        let s = Scalar::Int(s.parse().expect("int scalar"));
        t = match name {
            "mul" => t.mul_scalar(s),
            "div" => t.div_scalar(s),
            _ => panic!("unknown op {name}"),
        }
        .expect("op");
    }
    t
}

#[test]
fn print_cases_match_pytorch() {
    let cases = print_cases();
    assert!(cases.len() > 100);
    let mut failures = Vec::new();
    for c in &cases {
        let got = build_case(&c.header).to_string();
        if got != c.expected {
            failures.push(format!("case `{}`\n  expected: {:?}\n  got:      {:?}", c.header, c.expected, got));
        }
    }
    assert!(failures.is_empty(), "{} print mismatches:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn print_random_sequence_from_seed_0() {
    // out_print1.txt: after manual_seed(0): rand(3,4), randn(2,3), randn(25) in sequence.
    let mut g = Generator::new(0);
    let a = rand(&mut g, &[3, 4], DType::Float32).expect("rand");
    assert_eq!(
        a.to_string(),
        "tensor([[0.4963, 0.7682, 0.0885, 0.1320],\n        [0.3074, 0.6341, 0.4901, 0.8964],\n        [0.4556, 0.6323, 0.3489, 0.4017]])"
    );
    let b = randn(&mut g, &[2, 3], DType::Float32).expect("randn");
    assert_eq!(b.to_string(), "tensor([[ 0.4033,  0.8380, -0.7193],\n        [-0.4033, -0.5966,  0.1820]])");
    let c = randn(&mut g, &[25], DType::Float32).expect("randn");
    assert_eq!(
        c.to_string(),
        "tensor([ 0.4681, -0.1577,  1.4437,  0.2660,  0.1665,  0.8744, -0.1435, -0.1116,\n         0.9318,  0.8728,  1.0554,  0.1778, -0.2303, -0.3918,  0.5433, -0.3952,\n         0.2055,  0.7440,  1.5210,  3.4105, -1.5312, -1.2341,  1.8197, -0.5515,\n        -1.3253])"
    );
}

// ---- random numbers ------------------------------------------------------------------------

#[test]
fn raw_mt19937_stream() {
    let mut g = Generator::new(0);
    let r: Vec<u32> = (0..4).map(|_| g.random()).collect();
    assert_eq!(r, [2357136044, 2546248239, 3071714933, 3626093760]);
    let mut g = Generator::new(0);
    assert_eq!(g.random64(), 0x8c7f0aac97c4aa2f);
    assert_eq!(g.random64(), 0xb716a675d821ccc0);
    // Only the low 32 bits seed the engine.
    let (mut a, mut b) = (Generator::new((1u64 << 32) + 5), Generator::new(5));
    assert_eq!(a.random(), b.random());
    assert_eq!(Generator::new(u64::MAX).initial_seed(), 18446744073709551615);
}

/// (seed, op, shape, PyTorch's values). Ops: rand32, rand64, randn32, uniform_m1_1, normal_0_002.
const RNG_CASES: &[(u64, &str, &[usize], &[&str])] = &[
    (0, "rand32", &[3], &["0.49625658988952637", "0.7682217955589294", "0.08847743272781372"]),
    (0, "rand64", &[3], &["0.9700530018065531", "0.707819864399788", "0.45938294312745087"]),
    (42, "rand32", &[2, 2], &["0.8822692632675171", "0.9150039553642273", "0.38286375999450684", "0.9593056440353394"]),
    (0, "randn32", &[3], &["1.5409960746765137", "-0.293428897857666", "-2.1787893772125244"]),
    (
        42,
        "randn32",
        &[2, 3],
        &[
            "0.33669036626815796",
            "0.12880940735340118",
            "0.23446236550807953",
            "0.23033303022384644",
            "-1.1228563785552979",
            "-0.18632829189300537",
        ],
    ),
    (0, "uniform_m1_1", &[3], &["-0.007486820220947266", "0.5364435911178589", "-0.8230451345443726"]),
    (
        0,
        "normal_0_002",
        &[2, 3],
        &[
            "0.03081992268562317",
            "-0.00586857832968235",
            "-0.04357578605413437",
            "0.011368625797331333",
            "-0.021690446883440018",
            "-0.027971908450126648",
        ],
    ),
];

#[test]
fn rng_values_match_pytorch() {
    for &(seed, op, shape, expected) in RNG_CASES {
        let mut g = Generator::new(seed);
        let t = match op {
            "rand32" => rand(&mut g, shape, DType::Float32),
            "rand64" => rand(&mut g, shape, DType::Float64),
            "randn32" => randn(&mut g, shape, DType::Float32),
            "uniform_m1_1" | "normal_0_002" => {
                let t = Tensor::zeros(shape, DType::Float32);
                let r = if op == "uniform_m1_1" { uniform_(&t, &mut g, -1.0, 1.0) } else { normal_(&t, &mut g, 0.0, 0.02) };
                r.map(|_| t)
            }
            _ => panic!("unknown op {op}"),
        }
        .expect("rng op");
        assert_values(&format!("seed {seed} {op} {shape:?}"), &t.to_f64_vec(), expected);
    }
}

#[test]
fn randn_vectorised_path_16_and_17() {
    let mut g = Generator::new(0);
    let a = randn(&mut g, &[16], DType::Float32).expect("randn").to_f64_vec();
    assert_values(
        "randn(16)[:4]",
        &a[..4],
        &["-1.1258398294448853", "-1.152360200881958", "-0.2505785822868347", "-0.4338788092136383"],
    );
    g.manual_seed(0);
    let b = randn(&mut g, &[17], DType::Float32).expect("randn").to_f64_vec();
    assert_values(
        "randn(17)[0,1,15,16]",
        &[b[0], b[1], b[15], b[16]],
        &["-1.1258398294448853", "-1.6959311962127686", "-0.843676745891571", "0.9318265914916992"],
    );
}

#[test]
fn randn_cache_is_cleared_by_manual_seed_and_shared_by_calls() {
    let mut g = Generator::new(0);
    let pair: Vec<f64> = (0..2).map(|_| randn(&mut g, &[1], DType::Float32).expect("randn").to_f64_vec()[0]).collect();
    g.manual_seed(0);
    let both = randn(&mut g, &[2], DType::Float32).expect("randn").to_f64_vec();
    assert_eq!(pair, both);
    g.manual_seed(0);
    let again = randn(&mut g, &[1], DType::Float32).expect("randn").to_f64_vec();
    assert_eq!(again[0], both[0]);
}

#[test]
fn randint_and_randperm() {
    let mut g = Generator::new(0);
    let r = randint(&mut g, 0, 10, &[8]).expect("randint");
    assert_eq!(r.to_f64_vec(), [4.0, 9.0, 3.0, 0.0, 3.0, 9.0, 7.0, 3.0]);
    g.manual_seed(0);
    assert_eq!(randperm(&mut g, 5).expect("randperm").to_f64_vec(), [4.0, 0.0, 1.0, 3.0, 2.0]);
    g.manual_seed(0);
    assert_eq!(randperm(&mut g, 10).expect("randperm").to_f64_vec(), [4.0, 1.0, 7.0, 5.0, 3.0, 9.0, 0.0, 8.0, 6.0, 2.0]);
}

#[test]
fn fresh_generator_default_seed() {
    let mut g = Generator::new(67280421310721);
    let t = rand(&mut g, &[3], DType::Float32).expect("rand");
    assert_eq!(t.to_string(), "tensor([0.2673, 0.8725, 0.3353])");
}

// ---- nn.Linear init ------------------------------------------------------------------------

#[test]
fn linear_init_matches_pytorch() {
    type Case<'a> = (u64, usize, usize, &'a [&'a str], &'a [&'a str]);
    let cases: &[Case] = &[
        (
            0,
            4,
            2,
            &[
                "-0.003743410110473633",
                "0.26822179555892944",
                "-0.4115225672721863",
                "-0.3679695129394531",
                "-0.19257718324661255",
                "0.13407868146896362",
                "-0.009906589984893799",
                "0.39644473791122437",
            ],
            &["-0.04437202215194702", "0.1323062777519226"],
        ),
        (
            0,
            3,
            2,
            &[
                "-0.004322517663240433",
                "0.3097158372402191",
                "-0.4751853346824646",
                "-0.4248946011066437",
                "-0.2223689705133438",
                "0.15482072532176971",
            ],
            &["-0.011439144611358643", "0.45777493715286255"],
        ),
        (42, 2, 1, &["0.5406103730201721", "0.5869042277336121"], &["-0.16565565764904022"]),
    ];
    for &(seed, i, o, w, b) in cases {
        let mut g = Generator::new(seed);
        let l = Linear::new(i, o, true, &mut g, DType::Float32);
        assert_values(&format!("Linear({i},{o}) seed {seed} weight"), &l.weight.to_f64_vec(), w);
        assert_values(&format!("Linear({i},{o}) seed {seed} bias"), &l.bias.as_ref().expect("bias").to_f64_vec(), b);
    }
    let mut g = Generator::new(0);
    let l = Linear::new(4, 2, true, &mut g, DType::Float32);
    assert_eq!(
        l.weight.to_string(),
        "Parameter containing:\ntensor([[-0.0037,  0.2682, -0.4115, -0.3680],\n        [-0.1926,  0.1341, -0.0099,  0.3964]], requires_grad=True)"
    );
    assert_eq!(
        l.bias.as_ref().expect("bias").to_string(),
        "Parameter containing:\ntensor([-0.0444,  0.1323], requires_grad=True)"
    );
    assert_eq!(l.repr(), "Linear(in_features=4, out_features=2, bias=True)");
}

// ---- losses ------------------------------------------------------------------------------

fn ce_example() -> (Tensor, Tensor) {
    let x = t32(&[2.0, 8.0, 5.0, 5.0], &[2, 2]);
    x.set_requires_grad(true).expect("rg");
    let t = Tensor::from_data(Data::I64(vec![0, 1]), &[2]).expect("target");
    (x, t)
}

#[test]
fn cross_entropy_example_matches_pytorch() {
    let (x, t) = ce_example();
    let mean = nn::cross_entropy(&x, &t, Reduction::Mean).expect("ce");
    assert_eq!(mean.item().expect("item"), Scalar::Float(3.347811460494995));
    assert_eq!(mean.to_string(), "tensor(3.3478, grad_fn=<NllLossBackward0>)");
    let sum = nn::cross_entropy(&x, &t, Reduction::Sum).expect("ce");
    assert_eq!(sum.item().expect("item"), Scalar::Float(6.69562292098999));
    let none = nn::cross_entropy(&x, &t, Reduction::None).expect("ce");
    assert_eq!(none.to_string(), "tensor([6.0025, 0.6931], grad_fn=<NllLossBackward0>)");
    mean.backward(None, false).expect("backward");
    assert_eq!(x.grad().expect("grad").to_string(), "tensor([[-0.4988,  0.4988],\n        [ 0.2500, -0.2500]])");
    let ls = x.log_softmax(1).expect("log_softmax");
    assert_eq!(
        ls.to_string(),
        "tensor([[-6.0025e+00, -2.4757e-03],\n        [-6.9315e-01, -6.9315e-01]], grad_fn=<LogSoftmaxBackward0>)"
    );
    let opts = |f: &dyn Fn(&mut nn::CrossEntropyOptions)| {
        let mut o = nn::CrossEntropyOptions::default();
        f(&mut o);
        nn::cross_entropy_with(&x, &t, &o).expect("ce").item().expect("item")
    };
    assert_eq!(opts(&|o| o.weight = Some(t32(&[1.0, 3.0], &[2]))), Scalar::Float(2.020479202270508));
    assert_eq!(opts(&|o| o.ignore_index = 1), Scalar::Float(6.002475738525391));
    assert_eq!(opts(&|o| o.label_smoothing = 0.1), Scalar::Float(3.1978113651275635));
    let probs = t32(&[0.9, 0.1, 0.2, 0.8], &[2, 2]);
    let p = nn::cross_entropy(&x, &probs, Reduction::Mean).expect("ce probs");
    assert_eq!(p.item().expect("item"), Scalar::Float(3.047811269760132));
}

#[test]
fn mse_example_matches_pytorch() {
    let x = t32(&[0.5, 2.0, -1.0], &[3]);
    x.set_requires_grad(true).expect("rg");
    let y = t32(&[1.0, 1.5, 0.0], &[3]);
    let l = nn::mse_loss(&x, &y, Reduction::Mean).expect("mse");
    assert_eq!(l.to_string(), "tensor(0.5000, grad_fn=<MseLossBackward0>)");
    l.backward(None, false).expect("backward");
    assert_eq!(x.grad().expect("grad").to_string(), "tensor([-0.3333,  0.3333, -0.6667])");
    let s = nn::mse_loss(&x, &y, Reduction::Sum).expect("mse");
    assert_eq!(s.to_string(), "tensor(1.5000, grad_fn=<MseLossBackward0>)");
    let n = nn::mse_loss(&x, &y, Reduction::None).expect("mse");
    assert_eq!(n.to_string(), "tensor([0.2500, 0.2500, 1.0000], grad_fn=<MseLossBackward0>)");
}

#[test]
fn nll_on_given_log_probs() {
    let lp = t32(&[-0.5, -1.0, -2.0, -0.1], &[2, 2]);
    let t = Tensor::from_data(Data::I64(vec![0, 1]), &[2]).expect("target");
    assert_eq!(nn::nll_loss(&lp, &t, Reduction::Mean).expect("nll").to_string(), "tensor(0.3000)");
}

// ---- the seed tutorial ------------------------------------------------------------------------

fn tutorial_losses(seed: u64) -> Vec<f64> {
    let mut g = Generator::new(seed);
    let model = Linear::new(4, 2, true, &mut g, DType::Float32);
    let mut opt = Adam::new(model.parameters(), AdamConfig::default());
    let x = t32(&[1.0, 2.0, 3.0, 4.0, -1.0, -2.0, -3.0, -4.0], &[2, 4]);
    let y = Tensor::from_data(Data::I64(vec![0, 1]), &[2]).expect("y");
    let mut out = Vec::new();
    for _ in 0..10 {
        opt.zero_grad(true).expect("zero_grad");
        let loss = nn::cross_entropy(&model.forward(&x).expect("forward"), &y, Reduction::Mean).expect("loss");
        loss.backward(None, false).expect("backward");
        opt.step().expect("step");
        match loss.item().expect("item") {
            Scalar::Float(v) => out.push(v),
            other => panic!("loss item {other:?}"),
        }
    }
    out
}

#[test]
fn tutorial_program_seed_0() {
    let expected = [
        "3.8277249336242676",
        "3.8081631660461426",
        "3.7886104583740234",
        "3.7690672874450684",
        "3.749533176422119",
        "3.730008602142334",
        "3.71049427986145",
        "3.6909902095794678",
        "3.671497344970703",
        "3.6520156860351562",
    ];
    // Compared as doubles: Rust's `{:?}` breaks 17-digit ties upward where Python's repr rounds
    // to even (3.6520156860351562 vs ...563 for the same double).
    assert_values("seed 0 losses", &tutorial_losses(0), &expected);
}

#[test]
fn tutorial_program_seed_42() {
    let expected = [
        "0.13988080620765686",
        "0.13720718026161194",
        "0.1345812976360321",
        "0.13200318813323975",
        "0.12947294116020203",
        "0.12699058651924133",
        "0.12455617636442184",
        "0.12216952443122864",
        "0.11983060836791992",
        "0.1175391897559166",
    ];
    assert_values("seed 42 losses", &tutorial_losses(42), &expected);
}

// ---- summation order ------------------------------------------------------------------------

#[test]
fn cascade_sum_of_rand_1000() {
    // PyTorch: torch.sum = 500.92486572265625; a naive f32 loop gives 500.92474365234375.
    let mut g = Generator::new(0);
    let t = rand(&mut g, &[1000], DType::Float32).expect("rand");
    assert_eq!(t.sum(None, false).expect("sum").item().expect("item"), Scalar::Float(500.92486572265625));
    assert_eq!(t.mean(None, false).expect("mean").item().expect("item"), Scalar::Float(0.5009248852729797));
}

#[test]
fn integer_matmul_and_mm_names() {
    let a = t32(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = t32(&[5.0, 6.0, 7.0, 8.0], &[2, 2]);
    assert_eq!(a.matmul(&b).expect("mm").to_string(), "tensor([[19., 22.],\n        [43., 50.]])");
}

// ---- autograd behaviour ---------------------------------------------------------------------

#[test]
fn grad_fn_names() {
    let a = t32(&[1.0, 2.0, 3.0], &[3]);
    a.set_requires_grad(true).expect("rg");
    let b = t32(&[4.0, 5.0, 6.0], &[3]);
    b.set_requires_grad(true).expect("rg");
    let m = t32(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    m.set_requires_grad(true).expect("rg");
    let s = |x: f64| Scalar::Float(x);
    let cases: Vec<(Result<Tensor>, &str)> = vec![
        (a.add(&b), "AddBackward0"),
        (a.add_scalar(s(1.0)), "AddBackward0"),
        (a.sub(&b), "SubBackward0"),
        (a.rsub_scalar(s(1.0)), "RsubBackward1"),
        (a.mul(&b), "MulBackward0"),
        (a.rdiv_scalar(s(2.0)), "MulBackward0"),
        (a.div(&b), "DivBackward0"),
        (a.pow_scalar(s(2.0)), "PowBackward0"),
        (a.pow(&b), "PowBackward1"),
        (a.rpow_scalar(s(2.0)), "PowBackward2"),
        (a.neg(), "NegBackward0"),
        (a.sum(None, false), "SumBackward0"),
        (m.sum(Some(&[0]), false), "SumBackward1"),
        (a.mean(None, false), "MeanBackward0"),
        (m.mean(Some(&[1]), false), "MeanBackward1"),
        (m.matmul(&m), "MmBackward0"),
        (a.matmul(&b), "DotBackward0"),
        (m.matmul(&a.slice(0, None, Some(2), 1).expect("slice")), "MvBackward0"),
        (a.relu(), "ReluBackward0"),
        (a.sigmoid(), "SigmoidBackward0"),
        (a.tanh(), "TanhBackward0"),
        (a.exp(), "ExpBackward0"),
        (a.log(), "LogBackward0"),
        (a.sqrt(), "SqrtBackward0"),
        (a.abs(), "AbsBackward0"),
        (a.reshape(&[3, 1]), "ViewBackward0"),
        (m.t(), "TBackward0"),
        (m.mt(), "PermuteBackward0"),
        (m.transpose(0, 1), "TransposeBackward0"),
        (a.unsqueeze(0), "UnsqueezeBackward0"),
        (a.select(0, 0), "SelectBackward0"),
        (a.slice(0, Some(1), None, 1), "SliceBackward0"),
        (a.split_size(2, 0).map(|p| p[1].clone()), "SplitBackward0"),
        (a.chunk(2, 0).map(|p| p[0].clone()), "SplitBackward0"),
        (a.split_sizes(&[1, 2], 0).map(|p| p[0].clone()), "SplitWithSizesBackward0"),
        (nn::log_sigmoid(&a), "LogSigmoidBackward0"),
        (Tensor::cat(&[a.clone(), b.clone()], 0), "CatBackward0"),
        (Tensor::stack(&[a.clone(), b.clone()], 0), "StackBackward0"),
        (a.max(), "MaxBackward1"),
        (m.max_dim(0, false).map(|r| r.0), "MaxBackward0"),
        (Ok(a.clone_tensor()), "CloneBackward0"),
        (a.softmax(0), "SoftmaxBackward0"),
        (a.log_softmax(0), "LogSoftmaxBackward0"),
        (nn::mse_loss(&a, &b, Reduction::Mean), "MseLossBackward0"),
        (nn::linear(&m, &m, None), "MmBackward0"),
        (nn::linear(&m, &m, Some(&a.slice(0, None, Some(2), 1).expect("slice"))), "AddmmBackward0"),
        (nn::linear(&a.slice(0, None, Some(2), 1).expect("slice"), &m, Some(&b.slice(0, None, Some(2), 1).expect("s"))), "UnsafeViewBackward0"),
        (a.to_dtype(DType::Float64), "ToCopyBackward0"),
        (a.clamp(Some(s(1.5)), None), "ClampBackward1"),
    ];
    for (i, (r, name)) in cases.into_iter().enumerate() {
        let t = r.unwrap_or_else(|e| panic!("case {i} ({name}) failed: {e}"));
        assert_eq!(t.grad_fn_name().as_deref(), Some(name), "case {i}");
    }
    assert_eq!(a.detach().grad_fn_name(), None);
    assert_eq!(a.argmax(None, false).expect("argmax").to_string(), "tensor(2)");
    assert_eq!(a.to_dtype(DType::Float32).expect("same").to_string(), "tensor([1., 2., 3.], requires_grad=True)");
}

#[test]
fn grads_accumulate_and_graph_is_freed() {
    let a = t32(&[1.0, 2.0, 3.0], &[3]);
    a.set_requires_grad(true).expect("rg");
    let b = t32(&[4.0, 5.0, 6.0], &[3]);
    b.set_requires_grad(true).expect("rg");
    assert!(a.grad().is_none());
    let y = a.mul(&b).expect("mul").sum(None, false).expect("sum");
    y.backward(None, true).expect("backward");
    assert_eq!(a.grad().expect("grad").to_string(), "tensor([4., 5., 6.])");
    assert_eq!(b.grad().expect("grad").to_string(), "tensor([1., 2., 3.])");
    y.backward(None, false).expect("second backward (retained)");
    assert_eq!(a.grad().expect("grad").to_string(), "tensor([ 8., 10., 12.])");
    let err = y.backward(None, false).expect_err("graph freed");
    assert!(matches!(err, TensorError::GraphFreed));
    // Non-leaf grads are not retained; retain_grad keeps them.
    let h = a.mul_scalar(Scalar::Int(2)).expect("mul");
    h.retain_grad();
    let z = h.sum(None, false).expect("sum");
    let h2 = a.mul_scalar(Scalar::Int(3)).expect("mul");
    z.add(&h2.sum(None, false).expect("sum")).expect("add").backward(None, false).expect("backward");
    assert_eq!(h.grad().expect("retained").to_string(), "tensor([1., 1., 1.])");
    assert!(h2.grad().is_none());
}

#[test]
fn errors_have_pytorch_text() {
    let a = t32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = t32(&[1.0; 8], &[4, 2]);
    let e = a.matmul(&b).expect_err("shape");
    assert_eq!(e.to_string(), "mm: mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)");
    assert_eq!(e.py_type(), "RuntimeError");
    let e = t32(&[1.0, 2.0, 3.0], &[3]).add(&t32(&[1.0, 2.0], &[2])).expect_err("broadcast");
    assert_eq!(e.to_string(), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");
    let x = t32(&[1.0, 2.0], &[2]);
    x.set_requires_grad(true).expect("rg");
    let y = x.mul_scalar(Scalar::Int(2)).expect("mul");
    assert_eq!(y.backward(None, false).expect_err("nonscalar").to_string(), "grad can be implicitly created only for scalar outputs");
    assert_eq!(
        t32(&[1.0], &[]).backward(None, false).expect_err("no grad").to_string(),
        "element 0 of tensors does not require grad and does not have a grad_fn"
    );
    assert_eq!(y.item().expect_err("item").to_string(), "a Tensor with 2 elements cannot be converted to Scalar");
    let e = x.sum(Some(&[2]), false).expect_err("dim");
    assert_eq!(e.to_string(), "Dimension out of range (expected to be in range of [-1, 0], but got 2)");
    assert_eq!(e.py_type(), "IndexError");
    let i = Tensor::from_data(Data::I64(vec![1]), &[1]).expect("int");
    assert_eq!(
        i.set_requires_grad(true).expect_err("int grad").to_string(),
        "only Tensors of floating point dtype can require gradients"
    );
    assert_eq!(x.add_scalar_(Scalar::Int(1)).expect_err("leaf").to_string(), "a leaf Variable that requires grad is being used in an in-place operation.");
}

#[test]
fn type_promotion_with_wrapped_numbers() {
    let i = Tensor::from_data(Data::I64(vec![1, 2]), &[2]).expect("int");
    assert_eq!(i.add_scalar(Scalar::Float(0.5)).expect("add").dtype(), DType::Float32);
    assert_eq!(i.div_scalar(Scalar::Int(2)).expect("div").to_string(), "tensor([0.5000, 1.0000])");
    let f = t32(&[1.0], &[1]);
    assert_eq!(f.add_scalar(Scalar::Float(0.1)).expect("add").dtype(), DType::Float32);
    let d0 = Tensor::scalar(Scalar::Float(1.5), DType::Float64);
    assert_eq!(f.add(&d0).expect("add").dtype(), DType::Float32);
    assert_eq!(i.add(&d0).expect("add").dtype(), DType::Float64);
    let bools = Tensor::from_data(Data::Bool(vec![true, false]), &[2]).expect("bool");
    assert_eq!(bools.add_scalar(Scalar::Int(1)).expect("add").dtype(), DType::Int64);
    assert_eq!(t32(&[1.0, 2.0], &[2]).eq_scalar(Scalar::Int(2)).expect("eq").to_string(), "tensor([False,  True])");
}

#[test]
fn no_grad_mode_records_nothing() {
    let a = t32(&[1.0, 2.0, 3.0], &[3]);
    a.set_requires_grad(true).expect("rg");
    let prev = set_grad_enabled(false);
    assert!(prev);
    let y = a.mul_scalar(Scalar::Int(2)).expect("mul");
    assert_eq!(y.to_string(), "tensor([2., 4., 6.])");
    a.sub_scalar_(Scalar::Float(0.5)).expect("in-place under no_grad");
    set_grad_enabled(prev);
    assert!(is_grad_enabled());
    assert_eq!(a.to_string(), "tensor([0.5000, 1.5000, 2.5000], requires_grad=True)");
}

#[test]
fn item_widens_float32_exactly() {
    assert_eq!(t32(&[0.1], &[]).item().expect("item"), Scalar::Float(0.10000000149011612));
    assert_eq!(t32(&[123456789.0], &[]).item().expect("item"), Scalar::Float(123456792.0));
    assert_eq!(Tensor::scalar(Scalar::Int(7), DType::Int64).item().expect("item"), Scalar::Int(7));
}

// ---- optimizers -------------------------------------------------------------------------------

#[test]
fn sgd_step_is_fused_axpy() {
    let p = Tensor::parameter(&t32(&[1.0, 2.0], &[2]));
    p.set_grad(Some(t32(&[0.3, -0.7], &[2])));
    let mut opt = Sgd::new(vec![p.clone()], SgdConfig { lr: 0.1, ..SgdConfig::default() });
    opt.step().expect("step");
    let lr = -0.1f32;
    assert_eq!(p.to_f32_vec().expect("f32"), vec![0.3f32.mul_add(lr, 1.0), (-0.7f32).mul_add(lr, 2.0)]);
    opt.zero_grad(true).expect("zero_grad");
    assert!(p.grad().is_none());
}

// ---- finite-difference gradient checks ---------------------------------------------------------

/// Checks d(sum(f(inputs) * w))/d(input) against central differences in float64, where w is a
/// fixed weighting so every output element matters differently.
pub(super) fn gradcheck(name: &str, inputs: &[Tensor], f: &dyn Fn(&[Tensor]) -> Result<Tensor>) {
    let out = f(inputs).unwrap_or_else(|e| panic!("{name}: forward failed: {e}"));
    let n = out.numel();
    let w = t64(&(0..n).map(|i| 1.0 + 0.37 * i as f64).collect::<Vec<_>>(), &out.shape());
    let objective = |ins: &[Tensor]| -> f64 {
        let o = no_grad(|| f(ins)).expect("forward");
        o.to_f64_vec().iter().zip(w.to_f64_vec()).map(|(a, b)| a * b).sum()
    };
    for x in inputs {
        x.set_grad(None);
    }
    out.mul(&w).expect("weight").sum(None, false).expect("sum").backward(None, false).unwrap_or_else(|e| panic!("{name}: {e}"));
    let eps = 1e-6;
    for (k, x) in inputs.iter().enumerate() {
        if !x.requires_grad() {
            continue;
        }
        let analytic = x.grad().unwrap_or_else(|| panic!("{name}: input {k} got no grad")).to_f64_vec();
        let base = x.to_f64_vec();
        for j in 0..base.len() {
            let shifted = |d: f64| {
                let mut v = base.clone();
                v[j] += d;
                let xs: Vec<Tensor> = inputs
                    .iter()
                    .enumerate()
                    .map(|(i, t)| if i == k { t64(&v, &x.shape()) } else { t.detach() })
                    .collect();
                objective(&xs)
            };
            let numeric = (shifted(eps) - shifted(-eps)) / (2.0 * eps);
            let tol = 1e-5 * (1.0 + numeric.abs());
            assert!(
                (analytic[j] - numeric).abs() <= tol,
                "{name}: d/d(input {k})[{j}]: analytic {} vs numeric {numeric}",
                analytic[j]
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    let a = || leaf64(&[0.5, -1.2, 2.0, 0.7, 1.5, -0.3], &[2, 3]);
    let b = || leaf64(&[1.1, 0.4, -0.8, 2.5, -1.7, 0.9], &[2, 3]);
    let pos = || leaf64(&[0.5, 1.2, 2.0, 0.7, 1.5, 0.3], &[2, 3]);
    let row = || leaf64(&[0.3, -0.6, 1.4], &[3]);
    let col = || leaf64(&[0.8, -1.1], &[2, 1]);
    let m34 = || leaf64(&[0.2, -0.5, 1.0, 0.3, 0.7, -1.2, 0.4, 0.9, -0.1, 0.6, 1.3, -0.8], &[3, 4]);
    type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("add", vec![a(), b()], Box::new(|x| x[0].add(&x[1]))),
        ("add broadcast row", vec![a(), row()], Box::new(|x| x[0].add(&x[1]))),
        ("sub broadcast col", vec![a(), col()], Box::new(|x| x[0].sub(&x[1]))),
        ("mul broadcast", vec![a(), row()], Box::new(|x| x[0].mul(&x[1]))),
        ("div", vec![a(), pos()], Box::new(|x| x[0].div(&x[1]))),
        ("div broadcast col", vec![a(), col()], Box::new(|x| x[0].div(&x[1]))),
        ("pow tensor", vec![pos(), b()], Box::new(|x| x[0].pow(&x[1]))),
        ("pow scalar", vec![a()], Box::new(|x| x[0].pow_scalar(Scalar::Int(3)))),
        ("pow 0.5", vec![pos()], Box::new(|x| x[0].pow_scalar(Scalar::Float(0.5)))),
        ("rpow", vec![a()], Box::new(|x| x[0].rpow_scalar(Scalar::Float(1.7)))),
        ("scalar ops", vec![a()], Box::new(|x| x[0].add_scalar(Scalar::Int(2))?.mul_scalar(Scalar::Float(1.5))?.sub_scalar(Scalar::Int(1))?.div_scalar(Scalar::Float(0.7))?.rsub_scalar(Scalar::Int(3)))),
        ("rdiv", vec![pos()], Box::new(|x| x[0].rdiv_scalar(Scalar::Int(2)))),
        ("neg", vec![a()], Box::new(|x| x[0].neg())),
        ("gelu", vec![a()], Box::new(|x| x[0].gelu(false))),
        ("gelu tanh", vec![a()], Box::new(|x| x[0].gelu(true))),
        ("leaky_relu", vec![a()], Box::new(|x| x[0].leaky_relu(0.2))),
        ("remainder", vec![a()], Box::new(|x| x[0].remainder_scalar(Scalar::Float(10.0)))),
        ("matmul mm", vec![a(), m34()], Box::new(|x| x[0].matmul(&x[1]))),
        ("matmul mv", vec![m34(), leaf64(&[0.1, -0.2, 0.3, 0.4], &[4])], Box::new(|x| x[0].matmul(&x[1]))),
        ("matmul dot", vec![row(), leaf64(&[1.0, 2.0, -3.0], &[3])], Box::new(|x| x[0].matmul(&x[1]))),
        ("matmul vec@mat", vec![row(), m34()], Box::new(|x| x[0].matmul(&x[1]))),
        ("sum all", vec![a()], Box::new(|x| x[0].sum(None, false))),
        ("sum dim0", vec![a()], Box::new(|x| x[0].sum(Some(&[0]), false))),
        ("sum dim1 keepdim", vec![a()], Box::new(|x| x[0].sum(Some(&[1]), true))),
        ("mean all", vec![a()], Box::new(|x| x[0].mean(None, false))),
        ("mean dim1", vec![a()], Box::new(|x| x[0].mean(Some(&[-1]), false))),
        ("exp", vec![a()], Box::new(|x| x[0].exp())),
        ("log", vec![pos()], Box::new(|x| x[0].log())),
        ("sqrt", vec![pos()], Box::new(|x| x[0].sqrt())),
        ("relu", vec![a()], Box::new(|x| x[0].relu())),
        ("sigmoid", vec![a()], Box::new(|x| x[0].sigmoid())),
        ("tanh", vec![a()], Box::new(|x| x[0].tanh())),
        ("abs", vec![a()], Box::new(|x| x[0].abs())),
        ("softmax", vec![a()], Box::new(|x| x[0].softmax(1))),
        ("log_softmax dim1", vec![a()], Box::new(|x| x[0].log_softmax(1))),
        ("log_softmax dim0", vec![a()], Box::new(|x| x[0].log_softmax(0))),
        (
            "cross_entropy mean",
            vec![a()],
            Box::new(|x| nn::cross_entropy(&x[0], &Tensor::from_data(Data::I64(vec![2, 0]), &[2])?, Reduction::Mean)),
        ),
        (
            "cross_entropy none",
            vec![a()],
            Box::new(|x| nn::cross_entropy(&x[0], &Tensor::from_data(Data::I64(vec![1, 2]), &[2])?, Reduction::None)),
        ),
        ("cross_entropy probs", vec![a(), b().detach()], Box::new(|x| nn::cross_entropy(&x[0], &x[1].softmax(1)?, Reduction::Mean))),
        (
            "cross_entropy weighted, smoothed, ignored",
            vec![leaf64(&[0.5, -1.2, 2.0, 0.7, 1.5, -0.3, 0.1, 0.2, 0.3], &[3, 3])],
            Box::new(|x| {
                let o = nn::CrossEntropyOptions {
                    weight: Some(t64(&[0.5, 2.0, 1.5], &[3])),
                    ignore_index: 1,
                    label_smoothing: 0.2,
                    reduction: Reduction::Mean,
                };
                nn::cross_entropy_with(&x[0], &Tensor::from_data(Data::I64(vec![2, 1, 0]), &[3])?, &o)
            }),
        ),
        ("var all", vec![a()], Box::new(|x| x[0].var(None, 1.0, false))),
        ("var dim0 biased", vec![a()], Box::new(|x| x[0].var(Some(&[0]), 0.0, false))),
        ("std dim1 keepdim", vec![a()], Box::new(|x| x[0].std(Some(&[1]), 1.0, true))),
        ("std all", vec![m34()], Box::new(|x| x[0].std(None, 1.0, false))),
        ("prod all", vec![a()], Box::new(|x| x[0].prod(None, false))),
        ("prod dim1", vec![a()], Box::new(|x| x[0].prod(Some(1), false))),
        ("cumsum dim0", vec![a()], Box::new(|x| x[0].cumsum(0))),
        ("cumsum dim1", vec![m34()], Box::new(|x| x[0].cumsum(-1))),
        ("norm p=1 dim1", vec![a()], Box::new(|x| x[0].norm_p(1.0, Some(&[1]), false))),
        ("norm p=2 dim0 keepdim", vec![a()], Box::new(|x| x[0].norm_p(2.0, Some(&[0]), true))),
        ("split pieces", vec![m34()], Box::new(|x| {
            let p = x[0].split_sizes(&[1, 3], 1)?;
            p[0].mul_scalar(Scalar::Float(2.0))?.sum(None, false)?.add(&p[1].sum(None, false)?)
        })),
        ("chunk", vec![a()], Box::new(|x| {
            let p = x[0].chunk(2, 1)?;
            p[0].sum(Some(&[1]), false)?.mul(&p[1].sum(Some(&[1]), false)?)
        })),
        ("mse mean", vec![a(), b()], Box::new(|x| nn::mse_loss(&x[0], &x[1], Reduction::Mean))),
        ("mse none", vec![a(), b()], Box::new(|x| nn::mse_loss(&x[0], &x[1], Reduction::None))),
        ("linear", vec![a(), leaf64(&[0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1.0, 1.1, 1.2], &[4, 3]), leaf64(&[0.1, -0.2, 0.3, 0.4], &[4])], Box::new(|x| nn::linear(&x[0], &x[1], Some(&x[2])))),
        ("linear 1-d", vec![row(), leaf64(&[0.1, 0.2, -0.3, 0.4, 0.5, -0.6], &[2, 3]), leaf64(&[0.1, -0.2], &[2])], Box::new(|x| nn::linear(&x[0], &x[1], Some(&x[2])))),
        ("views", vec![a()], Box::new(|x| x[0].t()?.reshape(&[2, 3])?.unsqueeze(0)?.transpose(1, 2)?.squeeze(None)?.mul(&x[0].mt()?))),
        ("select/slice/cat", vec![a()], Box::new(|x| Tensor::cat(&[x[0].select(1, -1)?, x[0].slice(1, Some(0), Some(2), 1)?.flatten(0, -1)?], 0))),
        ("stack", vec![a(), b()], Box::new(|x| Tensor::stack(&[x[0].clone(), x[1].mul(&x[0])?], 1))),
        ("max/min", vec![a()], Box::new(|x| x[0].max()?.add(&x[0].min()?)?.add(&x[0].max_dim(1, false)?.0.sum(None, false)?))),
        ("clamp/where", vec![a()], Box::new(|x| x[0].clamp(Some(Scalar::Float(-1.0)), Some(Scalar::Float(1.0)))?.mul(&x[0]))),
        ("expand", vec![row()], Box::new(|x| x[0].expand(&[2, 3]))),
        ("norm", vec![a()], Box::new(|x| x[0].norm())),
        ("index_put", vec![a(), row()], Box::new(|x| {
            let c = x[0].mul_scalar(Scalar::Int(2))?;
            c.index_put_(&[Index::Int(1)], &IndexValue::Tensor(x[1].clone()))?;
            c.mul(&x[0])
        })),
        ("reused input", vec![a()], Box::new(|x| x[0].mul(&x[0])?.mul(&x[0].exp()?))),
    ];
    for (name, inputs, f) in cases {
        gradcheck(name, &inputs, &*f);
    }
}

#[test]
fn view_and_indexing_gradients_match_finite_differences() {
    let a = || leaf64(&[0.5, -1.2, 2.0, 0.7, 1.5, -0.3], &[2, 3]);
    let b = || leaf64(&[1.1, 0.4, -0.8, 2.5, -1.7, 0.9], &[2, 3]);
    let row = || leaf64(&[0.3, -0.6, 1.4], &[3]);
    let m34 = || leaf64(&[0.2, -0.5, 1.0, 0.3, 0.7, -1.2, 0.4, 0.9, -0.1, 0.6, 1.3, -0.8], &[3, 4]);
    let ix = |v: &[i64]| Index::Tensor(Tensor::from_data(Data::I64(v.to_vec()), &[v.len()]).expect("index"));
    let ix2 = |v: &[i64], shape: &[usize]| Index::Tensor(Tensor::from_data(Data::I64(v.to_vec()), shape).expect("index"));
    let mask = |v: &[bool]| Index::Tensor(Tensor::from_data(Data::Bool(v.to_vec()), &[v.len()]).expect("mask"));
    let sl = |start: Option<i64>, stop: Option<i64>| Index::Slice { start, stop, step: 1 };
    const ONE: Scalar = Scalar::Int(1);
    type F = Box<dyn Fn(&[Tensor]) -> Result<Tensor>>;
    let cases: Vec<(&str, Vec<Tensor>, F)> = vec![
        ("narrow * diagonal", vec![a()], Box::new(|x| x[0].narrow(1, 1, 2)?.mul(&x[0].diagonal(1, 0, 1)?.unsqueeze(1)?))),
        ("diagonal negative offset", vec![m34()], Box::new(|x| x[0].diagonal(-1, 0, 1)?.mul(&x[0].t()?.diagonal(0, 0, 1)?.narrow(0, 1, 2)?))),
        ("unbind", vec![a()], Box::new(|x| {
            let p = x[0].unbind(1)?;
            p[0].mul(&p[2])?.add(&p[1])
        })),
        ("reshape of a transpose copies", vec![a()], Box::new(|x| x[0].t()?.reshape(&[6])?.mul(&x[0].flatten(0, -1)?))),
        ("view chain", vec![m34()], Box::new(|x| x[0].view(&[4, 3])?.t()?.select(0, 1)?.mul(&x[0].view(&[2, 6])?.select(1, -1)?.unsqueeze(1)?.expand(&[2, 2])?.flatten(0, -1)?))),
        ("alias and strided slice", vec![m34()], Box::new(|x| x[0].alias().slice(1, Some(0), None, 2)?.slice(0, Some(1), None, 1))),
        ("several index tensors with repeats", vec![a()], Box::new(move |x| x[0].index(&[ix(&[1, 0, 1, 1]), ix(&[2, 2, 0, 2])]))),
        ("index tensors apart", vec![leaf64(&(0..24).map(|i| 0.1 * i as f64 - 1.0).collect::<Vec<_>>(), &[2, 3, 4])], Box::new(move |x| {
            x[0].index(&[ix(&[1, 0]), sl(None, None), ix(&[3, 3])])?.mul(&x[0].index(&[sl(None, None), ix(&[2, 0, 1]), ix(&[1, 1, 0])])?)
        })),
        ("broadcast index tensors", vec![m34()], Box::new(move |x| x[0].index(&[ix2(&[2, 0], &[2, 1]), ix(&[1, 3, 1])]))),
        ("mask over the first dim", vec![m34()], Box::new(move |x| x[0].index(&[mask(&[true, false, true]), sl(Some(1), None)]))),
        ("index_put values", vec![a(), row()], Box::new(move |x| {
            let c = x[0].mul_scalar(Scalar::Int(2))?;
            c.index_put_(&[ix(&[0, 1, 1]), ix(&[2, 0, 1])], &IndexValue::Tensor(x[1].clone()))?;
            c.mul(&x[0])
        })),
        ("index_fill and masked_fill", vec![a()], Box::new(move |x| {
            let c = x[0].exp()?;
            c.index_put_(&[sl(None, None), ix(&[1])], &IndexValue::Scalar(ONE))?;
            c.index_put_(&[mask(&[false, true])], &IndexValue::Scalar(Scalar::Float(0.5)))?;
            c.mul(&x[0])
        })),
        ("c[idx] = f(c[idx])", vec![row()], Box::new(move |x| {
            let c = x[0].mul(&x[0])?;
            let picked = c.index(&[ix(&[2, 0])])?;
            let bumped = picked.mul(&picked)?;
            c.index_put_(&[ix(&[2, 0])], &IndexValue::Tensor(bumped))?;
            c.mul(&x[0])
        })),
        ("in-place on a view (CopySlices)", vec![a(), b()], Box::new(|x| {
            let c = x[0].mul_scalar(ONE)?;
            let v = c.slice(1, Some(1), None, 1)?;
            v.mul_(&x[1].slice(1, Some(0), Some(2), 1)?)?;
            v.add_scalar_(Scalar::Float(0.5))?;
            c.mul(&x[0])?.add(&v.sum(None, false)?)
        })),
        ("view read after its base changed", vec![a(), b()], Box::new(|x| {
            let c = x[0].mul_scalar(ONE)?;
            let early = c.select(0, 0)?;
            let t = c.t()?;
            t.index_put_(&[Index::Int(1), Index::Int(0)], &IndexValue::Tensor(x[1].select(1, 1)?.sum(None, false)?.mul_scalar(Scalar::Int(3))?))?;
            early.mul(&x[0].select(0, 1)?)
        })),
        ("fill_ with a tensor and copy_ with broadcasting", vec![a(), row()], Box::new(|x| {
            let c = x[0].mul_scalar(ONE)?;
            c.select(1, 2)?.fill_tensor_(&x[1].sum(None, false)?)?;
            c.slice(1, Some(0), Some(2), 1)?.copy_(&x[1].narrow(0, 1, 2)?)?;
            c.mul(&x[0])
        })),
        ("setitem through a view of a view", vec![a(), row()], Box::new(move |x| {
            let c = x[0].mul_scalar(ONE)?;
            let r = c.index(&[Index::Int(1)])?;
            r.index_put_(&[sl(Some(1), None)], &IndexValue::Tensor(x[1].slice(0, Some(0), Some(2), 1)?.mul(&x[1].slice(0, Some(1), None, 1)?)?))?;
            c.mul(&x[0])
        })),
    ];
    for (name, inputs, f) in cases {
        gradcheck(name, &inputs, &*f);
    }
}

/// With a repeated index, `c[idx] = v` keeps the last write but PyTorch's backward still gives
/// every `v` element its slot's gradient (values: grad.index(indices)); not a finite difference.
#[test]
fn index_put_with_repeats_follows_pytorch_backward() {
    let x = leaf64(&[0.3, -0.6, 1.4], &[3]);
    let idx = || Index::Tensor(Tensor::from_data(Data::I64(vec![0, 2, 0]), &[3]).expect("index"));
    let c = x.mul(&x).expect("mul");
    let p = c.index(&[idx()]).expect("read");
    c.index_put_(&[idx()], &IndexValue::Tensor(p.mul(&p).expect("mul"))).expect("put");
    c.mul(&x).expect("mul").sum(None, false).expect("sum").backward(None, false).expect("backward");
    // torch.float64 run of the same program printed tensor([ 0.0729,  1.0800, 19.2080]).
    let g = x.grad().expect("grad").to_f64_vec();
    for (got, want) in g.iter().zip([0.0729, 1.08, 19.208]) {
        assert!((got - want).abs() < 1e-9, "{g:?}");
    }
}

#[test]
fn views_share_elements_with_their_base() {
    let x = Tensor::zeros(&[2, 3], DType::Float32);
    let row = x.select(0, 1).expect("row");
    let col = x.t().expect("t").select(0, 2).expect("col");
    let flat = x.view(&[6]).expect("view");
    row.add_scalar_(Scalar::Int(2)).expect("add");
    flat.index_put_(&[Index::Int(0)], &IndexValue::Scalar(Scalar::Int(7))).expect("put");
    col.index_put_(&[Index::Int(0)], &IndexValue::Scalar(Scalar::Int(9))).expect("put");
    assert_eq!(x.to_f64_vec(), vec![7.0, 0.0, 9.0, 2.0, 2.0, 2.0]);
    x.zero_().expect("zero");
    assert_eq!(row.to_f64_vec(), vec![0.0; 3]);
    assert!(!x.t().expect("t").is_contiguous());
    assert_eq!(x.t().expect("t").strides(), vec![1, 3]);
    assert!(matches!(x.t().expect("t").view(&[6]), Err(TensorError::ViewIncompatible)));
    // A copying reshape does not write back.
    let copy = x.t().expect("t").reshape(&[6]).expect("reshape");
    copy.fill_(Scalar::Int(1)).expect("fill");
    assert_eq!(x.to_f64_vec(), vec![0.0; 6]);
    let e = Tensor::ones(&[3], DType::Float32).expand(&[2, 3]).expect("expand");
    assert!(matches!(e.add_scalar_(one()), Err(TensorError::InPlaceOverlap)));
    fn one() -> Scalar {
        Scalar::Int(1)
    }
}

// ---- cases produced by the verified Python emulators (testdata/gen_emulated.py) -----------------

#[test]
fn emulated_cases_match() {
    let text = include_str!("tensor/testdata/emulated_cases.txt");
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (head, expected) = line.split_once(" : ").expect("case line");
        let expected: Vec<u32> = expected.split_whitespace().map(|h| u32::from_str_radix(h, 16).expect("hex")).collect();
        let mut parts = head.split_whitespace();
        let kind = parts.next().expect("kind");
        let seed: u64 = parts.next().expect("seed").parse().expect("seed");
        let arg = parts.next().expect("shape");
        let mut g = Generator::new(seed);
        let got: Vec<f32> = match kind {
            "randn" => randn(&mut g, &[arg.parse().expect("n")], DType::Float32).expect("randn").to_f32_vec().expect("f32"),
            "sum" => {
                let x = rand(&mut g, &[arg.parse().expect("n")], DType::Float32).expect("rand");
                x.sum(None, false).expect("sum").to_f32_vec().expect("f32")
            }
            "sum0" => {
                let (r, c) = arg.split_once(',').expect("r,c");
                let (r, c): (usize, usize) = (r.parse().expect("r"), c.parse().expect("c"));
                let x = rand(&mut g, &[r, c], DType::Float32).expect("rand");
                x.sum(Some(&[0]), false).expect("sum").to_f32_vec().expect("f32")
            }
            "uniform" => {
                let (lo, hi) = arg.split_once(',').expect("lo,hi");
                let t = Tensor::zeros(&[expected.len()], DType::Float32);
                uniform_(&t, &mut g, lo.parse().expect("lo"), hi.parse().expect("hi")).expect("uniform");
                t.to_f32_vec().expect("f32")
            }
            other => panic!("unknown kind {other}"),
        };
        let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
        assert_eq!(got.len(), expected.len(), "{head}: length");
        let bad: Vec<usize> = (0..got.len()).filter(|&i| got[i] != expected[i]).collect();
        assert!(bad.is_empty(), "{head}: {} mismatches, first at {}", bad.len(), bad[0]);
        checked += 1;
    }
    assert!(checked > 80);
}

#[test]
fn indexing_reads_and_writes() {
    let m = t32(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let sl = |start, stop| Index::Slice { start, stop, step: 1 };
    assert_eq!(m.index(&[Index::Int(1)]).expect("row").to_string(), "tensor([4., 5., 6.])");
    assert_eq!(m.index(&[sl(None, None), Index::Int(-1)]).expect("col").to_string(), "tensor([3., 6.])");
    assert_eq!(m.index(&[Index::Ellipsis, Index::NewAxis]).expect("newaxis").shape(), vec![2, 3, 1]);
    let mask = m.gt_scalar(Scalar::Float(2.5)).expect("mask");
    assert_eq!(m.index(&[Index::Tensor(mask.clone())]).expect("mask").to_string(), "tensor([3., 4., 5., 6.])");
    let ix = Tensor::from_data(Data::I64(vec![2, 0]), &[2]).expect("ix");
    assert_eq!(m.index(&[sl(None, None), Index::Tensor(ix)]).expect("take").to_string(), "tensor([[3., 1.],\n        [6., 4.]])");
    let e = m.index(&[Index::Int(5)]).expect_err("oob");
    assert_eq!(e.to_string(), "index 5 is out of bounds for dimension 0 with size 2");
    assert_eq!(e.py_type(), "IndexError");
    assert_eq!(
        m.index(&[Index::Int(0), Index::Int(0), Index::Int(0)]).expect_err("too many").to_string(),
        "too many indices for tensor of dimension 2"
    );

    let w = t32(&[0.0; 6], &[2, 3]);
    w.index_put_(&[Index::Int(0)], &IndexValue::Tensor(Tensor::scalar(Scalar::Float(1.5), DType::Float32))).expect("put");
    w.index_put_(&[sl(None, None), Index::Int(2)], &IndexValue::Tensor(t32(&[7.0, 8.0], &[2]))).expect("put col");
    assert_eq!(w.to_string(), "tensor([[1.5000, 1.5000, 7.0000],\n        [0.0000, 0.0000, 8.0000]])");
    w.index_put_(&[Index::Tensor(mask)], &IndexValue::Tensor(Tensor::scalar(Scalar::Int(-1), DType::Int64))).expect("put mask");
    assert_eq!(w.to_string(), "tensor([[ 1.5000,  1.5000, -1.0000],\n        [-1.0000, -1.0000, -1.0000]])");

    // Gradient through a written slot flows to the value, not to what it replaced.
    let a = t32(&[1.0, 2.0, 3.0], &[3]);
    a.set_requires_grad(true).expect("rg");
    let v = t32(&[10.0], &[]);
    v.set_requires_grad(true).expect("rg");
    let b = a.mul_scalar(Scalar::Int(2)).expect("mul");
    b.index_put_(&[Index::Int(1)], &IndexValue::Tensor(v.clone())).expect("put");
    assert_eq!(b.grad_fn_name().as_deref(), Some("CopySlices"));
    b.mul(&t32(&[1.0, 2.0, 3.0], &[3])).expect("mul").sum(None, false).expect("sum").backward(None, false).expect("bw");
    assert_eq!(a.grad().expect("grad").to_string(), "tensor([2., 0., 6.])");
    assert_eq!(v.grad().expect("grad").to_string(), "tensor(2.)");
    let leaf = t32(&[1.0], &[1]);
    leaf.set_requires_grad(true).expect("rg");
    assert!(matches!(leaf.index_put_(&[Index::Int(0)], &IndexValue::Tensor(v.clone())), Err(TensorError::InPlaceViewOfLeaf)));
    let mask1 = Tensor::from_data(Data::Bool(vec![true]), &[1]).expect("mask");
    assert!(matches!(leaf.index_put_(&[Index::Tensor(mask1)], &IndexValue::Scalar(Scalar::Int(0))), Err(TensorError::InPlaceLeaf)));
}

#[test]
fn classic_autograd_tutorial() {
    // x = torch.ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3; out = z.mean()
    let x = Tensor::ones(&[2, 2], DType::Float32);
    x.set_requires_grad(true).expect("rg");
    assert_eq!(x.to_string(), "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)");
    let y = x.add_scalar(Scalar::Int(2)).expect("add");
    assert_eq!(y.to_string(), "tensor([[3., 3.],\n        [3., 3.]], grad_fn=<AddBackward0>)");
    let z = y.mul(&y).expect("mul").mul_scalar(Scalar::Int(3)).expect("mul");
    let out = z.mean(None, false).expect("mean");
    assert_eq!(z.to_string(), "tensor([[27., 27.],\n        [27., 27.]], grad_fn=<MulBackward0>)");
    assert_eq!(out.to_string(), "tensor(27., grad_fn=<MeanBackward0>)");
    out.backward(None, false).expect("backward");
    assert_eq!(x.grad().expect("grad").to_string(), "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])");
    // Vector-Jacobian product with an explicit gradient.
    let a = t32(&[1.0, 2.0, 3.0], &[3]);
    a.set_requires_grad(true).expect("rg");
    let b = a.mul_scalar(Scalar::Int(2)).expect("mul");
    b.backward(Some(&t32(&[0.1, 1.0, 0.0001], &[3])), false).expect("vjp");
    assert_eq!(a.grad().expect("grad").to_string(), "tensor([2.0000e-01, 2.0000e+00, 2.0000e-04])");
    // Parameters share data with the tensor they wrap.
    let base = t32(&[1.0, 2.0], &[2]);
    let p = Tensor::parameter(&base);
    no_grad(|| p.mul_scalar_(Scalar::Int(3))).expect("in-place");
    assert_eq!(base.to_string(), "tensor([3., 6.])");
}

#[test]
fn regression_and_binary_losses_match_pytorch() {
    let x = || {
        let t = t32(&[0.5, 2.0, -1.0], &[3]);
        t.set_requires_grad(true).expect("rg");
        t
    };
    let y = t32(&[1.0, 1.5, 0.0], &[3]);
    type LossFn<'a> = Box<dyn Fn(&Tensor) -> Result<Tensor> + 'a>;
    let cases: Vec<(LossFn, &str, &str)> = vec![
        (Box::new(|a| nn::l1_loss(a, &y, Reduction::Mean)), "tensor(0.6667, grad_fn=<MeanBackward0>)", "tensor([-0.3333,  0.3333, -0.3333])"),
        (Box::new(|a| nn::huber_loss(a, &y, Reduction::Mean, 1.0)), "tensor(0.2500, grad_fn=<HuberLossBackward0>)", "tensor([-0.1667,  0.1667, -0.3333])"),
        (Box::new(|a| nn::huber_loss(a, &y, Reduction::Mean, 0.5)), "tensor(0.2083, grad_fn=<HuberLossBackward0>)", "tensor([-0.1667,  0.1667, -0.1667])"),
        (Box::new(|a| nn::smooth_l1_loss(a, &y, Reduction::Mean, 1.0)), "tensor(0.2500, grad_fn=<SmoothL1LossBackward0>)", "tensor([-0.1667,  0.1667, -0.3333])"),
        (Box::new(|a| nn::smooth_l1_loss(a, &y, Reduction::Mean, 0.5)), "tensor(0.4167, grad_fn=<SmoothL1LossBackward0>)", "tensor([-0.3333,  0.3333, -0.3333])"),
    ];
    for (f, value, grad) in cases {
        let a = x();
        let l = f(&a).expect("loss");
        assert_eq!(l.to_string(), value);
        l.backward(None, false).expect("backward");
        assert_eq!(a.grad().expect("grad").to_string(), grad, "gradient of {value}");
    }
    let p = t32(&[0.9, 0.2, 0.6], &[3]);
    p.set_requires_grad(true).expect("rg");
    let yb = t32(&[1.0, 0.0, 1.0], &[3]);
    let l = nn::binary_cross_entropy(&p, &yb, None, Reduction::Mean).expect("bce");
    assert_eq!(l.to_string(), "tensor(0.2798, grad_fn=<BinaryCrossEntropyBackward0>)");
    l.backward(None, false).expect("backward");
    assert_eq!(p.grad().expect("grad").to_string(), "tensor([-0.3704,  0.4167, -0.5556])");
    let clamp = nn::binary_cross_entropy(&t32(&[0.0, 1.0], &[2]), &t32(&[1.0, 0.0], &[2]), None, Reduction::Mean).expect("bce");
    assert_eq!(clamp.to_string(), "tensor(100.)");
    let z = t32(&[2.0, -1.0, 0.3], &[3]);
    z.set_requires_grad(true).expect("rg");
    let l = nn::binary_cross_entropy_with_logits(&z, &yb, None, None, Reduction::Mean).expect("bcel");
    assert_eq!(l.to_string(), "tensor(0.3315, grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)");
    l.backward(None, false).expect("backward");
    assert_eq!(z.grad().expect("grad").to_string(), "tensor([-0.0397,  0.0896, -0.1419])");
    let pw = nn::binary_cross_entropy_with_logits(&z, &yb, None, Some(&t32(&[2.0], &[1])), Reduction::Mean).expect("bcel");
    assert_eq!(pw.to_string(), "tensor(0.5586, grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)");
    let big = nn::binary_cross_entropy_with_logits(&t32(&[100.0, -100.0], &[2]), &t32(&[0.0, 1.0], &[2]), None, None, Reduction::Mean).expect("bcel");
    assert_eq!(big.to_string(), "tensor(100.)");
}

/// The fast matmul kernel keeps every element's summation order: bit-identical to the scalar
/// sequential dot on random shapes, the shapes measured in pytorch-semantics.md §11, and
/// inputs with signed zeros, cancellations and huge/tiny magnitudes.
#[test]
fn fast_matmul_is_bit_identical_to_the_sequential_dot() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut shapes = vec![
        (2, 4, 2), (4, 3, 5), (1, 4, 2), (16, 64, 16), (100, 100, 100), (8, 10, 4),
        (32, 20, 10), (64, 784, 128), (64, 128, 10), (1, 1, 1), (7, 17, 33), (5, 16, 13),
        (784, 64, 128), (3, 600, 20), (9, 513, 17),
    ];
    for _ in 0..60 {
        let r = next();
        shapes.push((1 + (r % 70) as usize, 1 + ((r >> 8) % 90) as usize, 1 + ((r >> 16) % 70) as usize));
    }
    for (case, &(m, k, n)) in shapes.iter().enumerate() {
        let mut value = |_| {
            let r = next();
            let x = ((r >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0;
            match r % 16 {
                0 => 0.0,
                1 => -0.0,
                2 => x * 1e30,
                3 => x * 1e-30,
                _ => x,
            }
        };
        let a64: Vec<f64> = (0..m * k).map(&mut value).collect();
        let b64: Vec<f64> = (0..k * n).map(&mut value).collect();
        let a32: Vec<f32> = a64.iter().map(|&v| v as f32).collect();
        let b32: Vec<f32> = b64.iter().map(|&v| v as f32).collect();
        let bits32 = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
        let bits64 = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
        assert_eq!(
            bits32(kernels::matmul(&a32, &b32, m, k, n)),
            bits32(kernels::matmul_reference(&a32, &b32, m, k, n)),
            "f32 case {case}: ({m},{k})@({k},{n})"
        );
        assert_eq!(
            bits64(kernels::matmul(&a64, &b64, m, k, n)),
            bits64(kernels::matmul_reference(&a64, &b64, m, k, n)),
            "f64 case {case}: ({m},{k})@({k},{n})"
        );
        // Transposed operands read in place (`x.t() @ w.t()`): the same bits.
        let at: Vec<f32> = (0..k * m).map(|x| a32[(x % m) * k + x / m]).collect();
        let bt: Vec<f32> = (0..n * k).map(|x| b32[(x % k) * n + x / k]).collect();
        let (ma, mb) = (kernels::Mat { data: &at, rs: 1, cs: m, start: 0 }, kernels::Mat { data: &bt, rs: 1, cs: k, start: 0 });
        assert_eq!(
            bits32(kernels::matmul_mat(ma, mb, m, k, n)),
            bits32(kernels::matmul_reference_mat(ma, mb, m, k, n)),
            "f32 transposed case {case}: ({m},{k})@({k},{n})"
        );
        // The portable kernel is one chain; products MKL splits are checked above.
        // (Not for the rows MKL leaves to plain dots: `kernels::fused_rows`.)
        let all_rows = kernels::fused_rows(kernels::Mat::rows(&b32, n), m, k, n) == m;
        if kernels::matmul_fused(m, k, n) && kernels::fused_split(k).is_empty() && all_rows {
            let mut portable = vec![0.0f32; m * n];
            kernels::fused_matmul_portable(kernels::Mat::rows(&a32, k), kernels::Mat::rows(&b32, n), &mut portable, m, k, n);
            assert_eq!(bits32(portable), bits32(kernels::matmul_reference(&a32, &b32, m, k, n)), "portable case {case}");
        }
    }
}

#[test]
fn erf_matches_reference_values() {
    // Values from CPython's math.erf.
    for (x, e) in [(0.0, 0.0), (0.5, 0.5204998778130465), (-1.0, -0.8427007929497149), (2.0, 0.9953222650189527), (1.9, 0.9927904292352575), (3.9, 0.9999999652077514), (4.5, 0.9999999998033839), (30.0, 1.0)] {
        let got = lessonrun::tensor::activations::erf(x);
        assert!((got - e).abs() <= 1e-15 * e.abs().max(1e-300), "erf({x}) = {got}, expected {e}");
    }
}

// ---- SLEEF's vectorised float32 exp/log1p, bit for bit (testdata/gen_sleef.py) -----------------

#[test]
fn sleef_cases_match() {
    let text = include_str!("tensor/testdata/sleef_cases.txt");
    let mut checked = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let x = f32::from_bits(u32::from_str_radix(w[1], 16).expect("hex"));
        let want = u32::from_str_radix(w[2], 16).expect("hex");
        let got = match w[0] {
            "log1pf" => lessonrun::tensor::kernels::vec_log1pf(x),
            "expf" => lessonrun::tensor::kernels::vec_expf(x),
            other => panic!("unknown op {other}"),
        };
        assert_eq!(got.to_bits(), want, "{}({x:e}) = {got:e}, SLEEF {:e}", w[0], f32::from_bits(want));
        checked += 1;
    }
    assert!(checked > 600, "only {checked} cases");
}

// ---- memory accounting ---------------------------------------------------------------------

#[test]
fn tensor_memory_is_counted_on_allocation_and_released_on_drop() {
    // Tests run on threads of their own, and the figures are per thread.
    let start = memory_in_use();
    let a = Tensor::zeros(&[1000], DType::Float32);
    assert_eq!(memory_in_use(), start + 4000);
    let alias = a.detach();
    let b = a.mul_scalar(Scalar::Int(2)).expect("mul");
    assert_eq!(memory_in_use(), start + 8000, "a detach shares its storage");
    a.add_scalar_(Scalar::Int(1)).expect("add_");
    assert_eq!(memory_in_use(), start + 8000, "an in-place update replaces the storage");
    let i = Tensor::zeros(&[10], DType::Int64).to_dtype(DType::Bool).expect("to");
    assert_eq!(memory_in_use(), start + 8010, "int64 zeros freed, 10 bools held");
    drop((a, alias, b, i));
    assert_eq!(memory_in_use(), start);

    set_memory_limit(Some(start + 10_000));
    let keep = Tensor::zeros(&[2000], DType::Float32);
    assert_eq!(take_memory_exceeded(), None);
    let over = Tensor::zeros(&[1000], DType::Float64);
    assert_eq!(take_memory_exceeded(), Some(MemoryExceeded { requested: 8000, in_use: start + 8000, limit: start + 10_000 }));
    assert_eq!(take_memory_exceeded(), None, "taking clears it");
    drop(over);
    let fits = Tensor::zeros(&[500], DType::Float32);
    assert_eq!(take_memory_exceeded(), None, "the dropped tensor no longer counts");
    set_memory_limit(None);
    drop((keep, fits));
    assert_eq!(memory_in_use(), start);
}

/// Taking sub-arrays along an axis by runs of a contiguous buffer gives what ndarray's
/// `select` gives, for every axis, repeated and empty index lists, and transposed inputs.
#[test]
fn take_axis_matches_select() {
    use lessonrun::tensor::storage::Storage;
    use ndarray::{ArrayD, Axis, IxDyn};
    let a = ArrayD::from_shape_vec(IxDyn(&[3, 4, 5]), (0..60).map(|v| v as f32).collect()).expect("shape");
    let t = a.clone().reversed_axes();
    for arr in [&a, &t] {
        for axis in 0..3 {
            let n = arr.shape()[axis];
            for idx in [vec![], vec![0], vec![n - 1, 0, n - 1], (0..n).rev().collect::<Vec<_>>()] {
                let s = Storage::F32(arr.clone());
                let Storage::F32(got) = s.take_axis(axis, &idx) else { panic!("dtype") };
                let want = arr.select(Axis(axis), &idx);
                assert_eq!(got.shape(), want.shape(), "axis {axis} {idx:?}");
                assert_eq!(got.iter().copied().collect::<Vec<_>>(), want.iter().copied().collect::<Vec<_>>());
                assert!(got.is_standard_layout());
            }
        }
    }
}
