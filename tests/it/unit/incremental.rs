//! Unit tests of `incremental`.

use lessonrun::incremental::*;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use lessonrun::execute::{CellRun, LessonRun, OutputItem, RunOptions};
use lessonrun::lang::Interpreter;
use lessonrun::lang::interp::Snapshot;
use lessonrun::source::Span;

fn cells(codes: &[&str]) -> Vec<CellSource> {
    let mut base = 10;
    codes
        .iter()
        .map(|c| {
            let cell = CellSource {
                code: c.to_string(),
                base,
                skip: false,
            };
            base += c.len() + 20;
            cell
        })
        .collect()
}

/// A session for a lesson `x.md` with the default options and cache bounds.
fn session() -> Session {
    Session::start(PathBuf::from("x.md"), RunOptions::default(), CacheLimits::default()).unwrap()
}

/// Runs `cells` in `s` and returns (outputs, first cell that ran).
fn run(s: &Session, cells: Vec<CellSource>) -> (Vec<String>, Option<usize>) {
    let (tx, rx) = channel();
    s.submit(cells, false, move |e| {
        if let Event::Finished { run, first_run, .. } = e {
            let _ = tx.send((run.cells.iter().map(CellRun::text).collect(), first_run));
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the run finished")
}

#[test]
fn reruns_from_the_first_changed_cell_and_hits_restored_code() {
    let s = session();
    let a = cells(&[
        "xs = [1]\nt = torch.zeros(2)\n",
        "xs.append(2)\nt.add_(1)\nprint(xs, t)\n",
        "print(len(xs))\n",
    ]);
    assert_eq!(
        run(&s, a.clone()),
        (
            vec!["".into(), "[1, 2] tensor([1., 1.])\n".into(), "2\n".into()],
            Some(0)
        )
    );
    // Same code again: nothing runs.
    assert_eq!(run(&s, a.clone()).1, None);
    // The last cell changed: only it runs, and sees the state after cell 1, not after itself.
    let mut b = a.clone();
    b[2].code = "xs.append(3)\nprint(xs)\n".into();
    assert_eq!(
        run(&s, b.clone()),
        (
            vec![
                "".into(),
                "[1, 2] tensor([1., 1.])\n".into(),
                "[1, 2, 3]\n".into()
            ],
            Some(2)
        )
    );
    assert_eq!(run(&s, b.clone()).0[2], "[1, 2, 3]\n");
    // Cell 1 changed: the in-place updates of cell 1's first version are not seen.
    let mut c = b.clone();
    c[1].code = "t.add_(5)\nprint(xs, t)\n".into();
    assert_eq!(run(&s, c).0[1], "[1] tensor([5., 5.])\n");
    // Back to the first version: every cell hits.
    assert_eq!(
        run(&s, a),
        (
            vec!["".into(), "[1, 2] tensor([1., 1.])\n".into(), "2\n".into()],
            None
        )
    );
}

#[test]
fn spans_follow_the_cells_when_prose_moves_them() {
    let s = session();
    let a = cells(&["def f():\n    return 1/0\n", "f()\n"]);
    let span_of = |cells: Vec<CellSource>| {
        let (tx, rx) = channel();
        s.submit(cells, false, move |e| {
            if let Event::Finished { run, .. } = e {
                let _ = tx.send(run.cells[1].error().map(|e| (e.span, e.stack.clone())));
            }
        });
        rx.recv_timeout(Duration::from_secs(60)).unwrap().unwrap()
    };
    let (span, stack) = span_of(a.clone());
    assert_eq!(
        &a[0].code[span.start - a[0].base..span.end - a[0].base],
        "1/0"
    );
    assert_eq!(stack.last().map(|(f, _)| f.as_str()), Some("f"));
    let mut moved = a.clone();
    moved[0].base += 7;
    moved[1].base += 7;
    let (span2, _) = span_of(moved);
    assert_eq!(span2.start, span.start + 7);
}

/// A training lesson: a Module subclass with BatchNorm, Adam, a view of a parameter, and
/// a loss left holding its graph at the end of a cell.
const TRAINING: [&str; 4] = [
    "from torch import nn\ntorch.manual_seed(0)\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc1 = nn.Linear(4, 8)\n        self.bn = nn.BatchNorm1d(8)\n        self.fc2 = nn.Linear(8, 2)\n    def forward(self, x):\n        return self.fc2(torch.relu(self.bn(self.fc1(x))))\nmodel = Net()\nopt = torch.optim.Adam(model.parameters(), lr=0.01)\nx = torch.randn(16, 4)\ny = torch.randn(16, 2)\nw = model.fc1.weight\nrow = w[0]\nlog = {'losses': []}\n",
    "for _ in range(3):\n    opt.zero_grad()\n    loss = ((model(x) - y) ** 2).mean()\n    loss.backward()\n    opt.step()\n    log['losses'].append(round(loss.item(), 4))\nprint(log)\n",
    "opt.zero_grad()\nloss = ((model(x) - y) ** 2).mean()\nh = model.fc1(x)\nprint(loss.grad_fn.name())\n",
    "print(model.bn.running_mean)\n",
];

/// Edits to the last cell that mutate everything earlier cells made, in place.
const LAST_CELLS: [&str; 3] = [
    "loss.backward()\nopt.step()\nwith torch.no_grad():\n    w[0, 0] = 5.0\nprint(row[:2], w.grad.sum(), model.bn.running_var[:2])\nmodel(x)\nprint(model.bn.running_mean[:2], torch.randn(2))\nlog['losses'].append(0)\nprint(log, h.sum())\n",
    "loss.backward()\nopt.step()\nopt.step()\nprint(w is model.fc1.weight, opt.param_groups[0]['params'][0] is w, row[:2], model.fc2.bias)\nprint(model.bn.num_batches_tracked, model.bn.running_var[:2], torch.randn(2), log)\n",
    "h.sum().backward()\nprint(w.grad.sum(), model.fc2.weight.grad, loss.requires_grad, row[:2])\nmodel.train(False)\nprint(model(x)[:2])\n",
];

/// What a fresh session prints for `cells` (all of them run).
fn full_run(cells: Vec<CellSource>) -> Vec<String> {
    let s = session();
    let (out, first) = run(&s, cells);
    assert_eq!(first, Some(0));
    out
}

#[test]
fn an_edit_to_the_last_cell_of_a_training_lesson_reruns_only_it() {
    let s = session();
    let lesson = cells(&TRAINING);
    let (out, first) = run(&s, lesson.clone());
    assert_eq!(first, Some(0));
    assert!(out[1].starts_with("{'losses': ["), "{out:?}");
    assert_eq!(out[2], "MeanBackward0\n");
    // Each edit mutates the model, optimizer, graph and generator the earlier cells made;
    // the next edit must still start from the state after cell 2, as a full run does.
    // The first edit comes again last, changed by a comment: the same code would be a cache
    // hit (nothing runs), and this must run after the state the other edits mutated.
    let again = format!("{}# again\n", LAST_CELLS[0]);
    for last in LAST_CELLS.iter().copied().chain([again.as_str()]) {
        let mut edited = lesson.clone();
        edited[3].code = last.to_string();
        let (out, first) = run(&s, edited.clone());
        assert_eq!(first, Some(3), "only the last cell re-runs");
        assert!(!out[3].contains("Error"), "{}", out[3]);
        assert_eq!(out, full_run(edited), "the edited lesson's full run");
    }
}

#[test]
fn files_torch_save_wrote_are_part_of_the_snapshot() {
    // Cell 1 saves, cell 2 loads and overwrites: a re-run of cell 2 must load what cell 1
    // saved, not what the previous run of cell 2 saved over it.
    let s = session();
    let lesson = cells(&[
        "w = torch.ones(2)\ntorch.save({'w': w}, 'ck.pt')\n",
        "ck = torch.load('ck.pt')\nprint(ck['w'])\ntorch.save({'w': ck['w'] * 10}, 'ck.pt')\n",
    ]);
    let (out, _) = run(&s, lesson.clone());
    assert_eq!(out[1], "tensor([1., 1.])\n");
    let mut edited = lesson.clone();
    edited[1].code = format!("{}# edited\n", lesson[1].code);
    let (out, first) = run(&s, edited.clone());
    assert_eq!(first, Some(1), "only the edited cell re-runs");
    assert_eq!(out, full_run(edited));
}

#[test]
fn superseded_states_keep_to_their_own_budget() {
    let limits = CacheLimits {
        bytes: 64 << 20,
        entries: 64,
        superseded_bytes: 3 << 20,
    };
    let s = Session::start(PathBuf::from("x.md"), RunOptions::default(), limits).unwrap();
    let mut cached = Vec::new();
    for i in 0..8 {
        // Each version of the last cell is new and leaves a state holding 1 MB.
        let last = format!("t = torch.zeros(250000)\nv = {i}\n");
        let (tx, rx) = channel();
        s.submit(cells(&["x = 1\n", &last]), false, move |e| {
            if let Event::Finished { cached_bytes, .. } = e {
                let _ = tx.send(cached_bytes);
            }
        });
        cached.push(rx.recv_timeout(Duration::from_secs(60)).expect("the run finished"));
    }
    // The current run's two states plus at most three superseded ones of 1 MB each.
    let most = *cached.iter().max().unwrap();
    assert!(most < 5 << 20, "cached {cached:?}");
    assert!(cached[3] > 3 << 20, "superseded states are kept up to the budget: {cached:?}");
}

#[test]
fn a_save_cancels_a_long_native_operation() {
    let s = session();
    let (tx, rx) = channel();
    let tx2 = tx.clone();
    // One product of seconds (1.4e11 flops).
    let code = "a = torch.ones(4096, 4096)\nb = a @ a\n";
    s.submit(cells(&[code]), false, move |e| {
        let _ = match e {
            Event::Started { .. } => tx2.send("started"),
            Event::Cancelled => tx2.send("cancelled"),
            Event::Finished { .. } => tx2.send("finished"),
            _ => Ok(()),
        };
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        "started"
    );
    // Inside the product (seconds of native work, with no interpreter tick to poll).
    std::thread::sleep(Duration::from_millis(200));
    let saved = Instant::now();
    let stops = lessonrun::tensor::interrupt::stops();
    s.submit(cells(&["print('fixed')\n"]), false, move |e| {
        if let Event::Finished { .. } = e {
            let _ = tx.send("fixed");
        }
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(30)).unwrap(),
        "cancelled"
    );
    let latency = saved.elapsed();
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "fixed");
    // The product gave up inside its loop (not when it finished); how soon is measured
    // by bench/serve.py, not here: a loaded machine deschedules threads for seconds.
    assert!(lessonrun::tensor::interrupt::stops() > stops, "the product ran to its end");
    assert!(latency < Duration::from_secs(20), "cancelled after {latency:?}");
}

#[test]
fn a_save_cancels_the_run_in_progress() {
    let s = session();
    let (tx, rx) = channel();
    let tx2 = tx.clone();
    s.submit(cells(&["while True:\n    pass\n"]), false, move |e| {
        if matches!(e, Event::Cancelled) {
            let _ = tx2.send("cancelled".to_string());
        }
    });
    std::thread::sleep(Duration::from_millis(50));
    s.submit(cells(&["print('fixed')\n"]), false, move |e| {
        if let Event::Finished { run, .. } = e {
            let _ = tx.send(run.cells[0].text());
        }
    });
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)).unwrap(),
        "cancelled"
    );
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "fixed\n");
}
