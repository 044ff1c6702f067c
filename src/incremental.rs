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
