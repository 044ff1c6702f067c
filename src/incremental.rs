//! A lesson's live session (serve and watch): one worker thread per lesson keeps an interpreter
//! and a snapshot of its state after each cell, and re-runs a saved lesson from its first
//! changed cell. A new save cancels the run in progress.
//!
//! Cache keys are prefix hashes: cell i's key hashes the code (and skip flag) of cells 0..=i,
//! so an edit to cell k misses from k on, a prose edit misses nowhere, and an edit that brings
//! back earlier code hits again. Each entry holds the cell's run and, when its state could be
//! copied (`lang::interp::Snapshot`), the interpreter's state after it. Cells run at *virtual*
//! offsets (the cells' code laid end to end) so that cached state and outputs, whose spans
//! depend only on the code hashed, stay valid when prose moves the cells; spans are mapped to
//! the file's offsets on the way out.
//!
//! The cache is bounded by an estimate of the bytes its snapshots hold and by a count of
//! entries, evicting the least recently used.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::execute::{CellRun, LessonRun, OutputItem, RunOptions};
use crate::lang::Interpreter;
use crate::lang::interp::Snapshot;
use crate::source::Span;

/// One cell as the session needs it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CellSource {
    pub code: String,
    /// The code's byte offset in the lesson file.
    pub base: usize,
    pub skip: bool,
}

impl CellSource {
    /// The cells of a loaded lesson, in order.
    pub fn of(lesson: &crate::lesson::Lesson) -> Vec<CellSource> {
        lesson
            .cells
            .iter()
            .map(|c| CellSource {
                code: lesson.code(c).to_string(),
                base: c.code.start,
                skip: c.options.skip,
            })
            .collect()
    }
}

/// What a session reports while it runs a lesson, in order.
#[derive(Clone, Debug)]
pub enum Event {
    /// Cell `cell` started running (a long cell: the page shows it is running).
    Started { cell: usize },
    /// Output cell `cell` has printed so far, after `elapsed`.
    Progress {
        cell: usize,
        items: Vec<OutputItem>,
        elapsed: Duration,
    },
    /// Cell `cell` finished (or was taken from the cache, `reused`).
    CellDone {
        cell: usize,
        run: CellRun,
        reused: bool,
    },
    /// Every cell has its run; `first_run` is the first cell that ran (None: all reused);
    /// `cached_bytes` is the estimate of what the cache's snapshots hold now.
    Finished {
        run: LessonRun,
        first_run: Option<usize>,
        cached_bytes: u64,
    },
    /// The run was cancelled by a newer one.
    Cancelled,
}

/// Limits of one session's cache.
#[derive(Clone, Copy, Debug)]
pub struct CacheLimits {
    /// Estimated bytes the snapshots may hold together.
    pub bytes: u64,
    /// Cell entries kept at most.
    pub entries: usize,
    /// Estimated bytes the states of cells the current lesson no longer has (superseded
    /// versions, kept for an undo) may hold together, within `bytes`.
    pub superseded_bytes: u64,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            bytes: 256 << 20,
            entries: 256,
            superseded_bytes: 256 << 20,
        }
    }
}

struct Job {
    cells: Vec<CellSource>,
    /// Forget every cached state first (a data file the lesson may read changed).
    fresh: bool,
    cancel: Arc<AtomicBool>,
    on_event: Box<dyn FnMut(Event) + Send>,
}

/// The handle of one lesson's worker. Dropping it ends the worker after its current run.
pub struct Session {
    tx: Option<Sender<Job>>,
    current: Mutex<Option<Arc<AtomicBool>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The interpreter recurses on the Rust stack (see execute.rs).
const STACK_SIZE: usize = 256 << 20;

impl Session {
    /// Starts the worker of the lesson at `path` (its folder is what `open()` may read).
    pub fn start(
        path: PathBuf,
        options: RunOptions,
        limits: CacheLimits,
    ) -> std::io::Result<Session> {
        let (tx, rx) = channel::<Job>();
        let thread = std::thread::Builder::new()
            .name(format!("lesson {}", path.display()))
            .stack_size(STACK_SIZE)
            .spawn(move || worker(rx, &path, &options, limits))?;
        Ok(Session {
            tx: Some(tx),
            current: Mutex::new(None),
            thread: Some(thread),
        })
    }

    /// Runs `cells`, cancelling the run in progress; `on_event` hears how it goes (on the
    /// worker's thread).
    pub fn submit(
        &self,
        cells: Vec<CellSource>,
        fresh: bool,
        on_event: impl FnMut(Event) + Send + 'static,
    ) {
        let cancel = Arc::new(AtomicBool::new(false));
        if let Ok(mut cur) = self.current.lock()
            && let Some(old) = cur.replace(cancel.clone())
        {
            old.store(true, Ordering::Relaxed);
        }
        if let Some(tx) = &self.tx {
            let _ = tx.send(Job {
                cells,
                fresh,
                cancel,
                on_event: Box::new(on_event),
            });
        }
    }

    /// Cancels the run in progress, if any.
    pub fn cancel(&self) {
        if let Ok(cur) = self.current.lock()
            && let Some(c) = &*cur
        {
            c.store(true, Ordering::Relaxed);
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cancel();
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct Entry {
    /// The cell's run, spans at virtual offsets.
    run: CellRun,
    state: Option<Snapshot>,
    used: u64,
}

struct Cache {
    entries: HashMap<u64, Entry>,
    clock: u64,
    limits: CacheLimits,
}

impl Cache {
    fn touch(&mut self, key: u64) -> Option<&Entry> {
        self.clock += 1;
        let clock = self.clock;
        let e = self.entries.get_mut(&key)?;
        e.used = clock;
        Some(e)
    }

    fn insert(&mut self, key: u64, run: CellRun, state: Option<Snapshot>, keep: &[u64]) {
        self.clock += 1;
        self.entries.insert(
            key,
            Entry {
                run,
                state,
                used: self.clock,
            },
        );
        self.evict(keep);
    }

    fn bytes(&self) -> u64 {
        self.entries
            .values()
            .filter_map(|e| e.state.as_ref())
            .map(Snapshot::bytes)
            .sum()
    }

    /// Drops least recently used entries until within limits, sparing those in `keep` (the
    /// current run's) while others remain; then, only if still over, their states too.
    fn evict(&mut self, keep: &[u64]) {
        let state_bytes = |e: &Entry| e.state.as_ref().map_or(0, Snapshot::bytes);
        let mut superseded: u64 = self.entries.iter().filter(|(k, _)| !keep.contains(k)).map(|(_, e)| state_bytes(e)).sum();
        while superseded > self.limits.superseded_bytes {
            let victim = self
                .entries
                .iter()
                .filter(|(k, e)| !keep.contains(k) && e.state.is_some())
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k);
            let Some(e) = victim.and_then(|k| self.entries.remove(&k)) else { break };
            superseded -= state_bytes(&e);
        }
        let mut bytes = self.bytes();
        while bytes > self.limits.bytes || self.entries.len() > self.limits.entries {
            let victim = self
                .entries
                .iter()
                .filter(|(k, _)| !keep.contains(k))
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| *k);
            match victim {
                Some(k) => {
                    if let Some(e) = self.entries.remove(&k) {
                        bytes -= e.state.as_ref().map_or(0, Snapshot::bytes);
                    }
                }
                None => {
                    // The current run alone is over budget: keep its outputs, drop its oldest states.
                    let oldest = self
                        .entries
                        .iter_mut()
                        .filter(|(_, e)| e.state.is_some())
                        .min_by_key(|(_, e)| e.used)
                        .map(|(_, e)| e);
                    match oldest {
                        Some(e) => bytes -= e.state.take().map_or(0, |s| s.bytes()),
                        None => break,
                    }
                }
            }
        }
    }
}

/// The prefix hashes of `cells`.
pub fn prefix_keys(cells: &[CellSource]) -> Vec<u64> {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    cells
        .iter()
        .map(|c| {
            c.code.hash(&mut h);
            c.skip.hash(&mut h);
            h.finish()
        })
        .collect()
}

/// Where each cell starts in the virtual layout: the cells' code end to end, one byte apart.
fn virtual_bases(cells: &[CellSource]) -> Vec<usize> {
    let mut at = 0;
    cells
        .iter()
        .map(|c| {
            let b = at;
            at += c.code.len() + 1;
            b
        })
        .collect()
}

/// A run's spans moved from virtual offsets to the file's.
fn to_file(mut run: CellRun, cells: &[CellSource], vbases: &[usize]) -> CellRun {
    let map = |s: &mut Span| {
        if *s == Span::default() {
            return;
        }
        let j = vbases.partition_point(|&b| b <= s.start).saturating_sub(1);
        if let (Some(c), Some(&vb)) = (cells.get(j), vbases.get(j)) {
            s.start = c.base + (s.start - vb);
            s.end = c.base + s.end.saturating_sub(vb).min(c.code.len());
        }
    };
    for item in &mut run.items {
        if let OutputItem::Error(e) = item {
            map(&mut e.span);
            for (_, s) in &mut e.stack {
                map(s);
            }
        }
    }
    run
}

fn worker(rx: Receiver<Job>, path: &std::path::Path, options: &RunOptions, limits: CacheLimits) {
    let mut interp = crate::execute::new_interpreter(options, path, STACK_SIZE);
    let initial = interp.snapshot();
    let mut cache = Cache {
        entries: HashMap::new(),
        clock: 0,
        limits,
    };
    // The key of the state the interpreter is in (0: the initial state), if known.
    let mut live: Option<u64> = Some(0);
    while let Ok(mut job) = rx.recv() {
        // Only the newest save matters.
        while let Ok(newer) = rx.try_recv() {
            job = Job {
                fresh: job.fresh || newer.fresh,
                ..newer
            };
        }
        if job.fresh {
            cache.entries.clear();
        }
        interp.set_cancel_flag(Some(job.cancel.clone()));
        // Long native loops (matmul, random fills, sorts) poll it too.
        crate::tensor::interrupt::set_cancel_flag(Some(job.cancel.clone()));
        if initial.is_none() {
            // The fresh state could not be copied (never expected): every run starts afresh.
            interp = crate::execute::new_interpreter(options, path, STACK_SIZE);
            interp.set_cancel_flag(Some(job.cancel.clone()));
            cache.entries.clear();
            live = Some(0);
        }
        live = run_job(&mut interp, initial.as_ref(), &mut cache, live, job);
        // The states this run replaced (the interpreter's before a restore, snapshots the
        // cache let go) are unreachable now, but their reference cycles would keep them, and
        // the tensors they hold, for the life of the session.
        crate::lang::cycles::collect();
    }
    drop(interp);
    crate::tensor::interrupt::set_cancel_flag(None);
    crate::execute::end_thread();
}

/// Runs one job; returns the key of the state the interpreter is left in.
fn run_job(
    interp: &mut Interpreter,
    initial: Option<&Snapshot>,
    cache: &mut Cache,
    live: Option<u64>,
    mut job: Job,
) -> Option<u64> {
    let cells = &job.cells;
    let keys = prefix_keys(cells);
    let vbases = virtual_bases(cells);
    let n = cells.len();
    // The first cell without a cached run.
    let hit = keys
        .iter()
        .position(|k| !cache.entries.contains_key(k))
        .unwrap_or(n);
    // Run from the latest cell at or before `hit` whose previous state is at hand.
    let mut start = hit;
    while start > 0 {
        let prev = keys[start - 1];
        if live == Some(prev) || cache.entries.get(&prev).is_some_and(|e| e.state.is_some()) {
            break;
        }
        start -= 1;
    }
    let mut runs: Vec<CellRun> = Vec::with_capacity(n);
    for (i, key) in keys.iter().enumerate().take(start) {
        let run = cache.touch(*key).map(|e| e.run.clone()).unwrap_or_default();
        let run = to_file(run, cells, &vbases);
        (job.on_event)(Event::CellDone {
            cell: i,
            run: run.clone(),
            reused: true,
        });
        runs.push(run);
    }
    if start == n {
        (job.on_event)(Event::Finished {
            run: LessonRun { cells: runs },
            first_run: None,
            cached_bytes: cache.bytes(),
        });
        return live;
    }
    let before = if start == 0 { 0 } else { keys[start - 1] };
    let mut live = live;
    if live != Some(before) {
        let state = if start == 0 {
            initial
        } else {
            cache.entries.get(&before).and_then(|e| e.state.as_ref())
        };
        match state {
            Some(s) => interp.restore(s),
            None => {
                (job.on_event)(Event::Cancelled);
                return None;
            }
        }
        live = Some(before);
    }
    for i in start..n {
        let c = &cells[i];
        if job.cancel.load(Ordering::Relaxed) {
            (job.on_event)(Event::Cancelled);
            return live;
        }
        let run = if c.skip {
            CellRun {
                skipped: true,
                ..CellRun::default()
            }
        } else {
            (job.on_event)(Event::Started { cell: i });
            let started = Instant::now();
            let on_event = &mut job.on_event;
            let mut watcher = |items: &[OutputItem]| {
                on_event(Event::Progress {
                    cell: i,
                    items: items.to_vec(),
                    elapsed: started.elapsed(),
                });
            };
            crate::execute::run_cell(interp, &c.code, vbases[i], Some(&mut watcher))
        };
        if job.cancel.load(Ordering::Relaxed) {
            // The cell was cut short: its output and the state it left are not the cell's.
            (job.on_event)(Event::Cancelled);
            return None;
        }
        let state = if c.skip { None } else { interp.snapshot() };
        live = Some(keys[i]);
        cache.insert(keys[i], run.clone(), state, &keys);
        let run = to_file(run, cells, &vbases);
        (job.on_event)(Event::CellDone {
            cell: i,
            run: run.clone(),
            reused: false,
        });
        runs.push(run);
    }
    (job.on_event)(Event::Finished {
        run: LessonRun { cells: runs },
        first_run: Some(start),
        cached_bytes: cache.bytes(),
    });
    live
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let stops = crate::tensor::interrupt::stops();
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
        assert!(crate::tensor::interrupt::stops() > stops, "the product ran to its end");
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
}
