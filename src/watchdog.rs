//! The clock of a lesson run: raises the lesson's stop flag when a cell's deadline or the
//! lesson's deadline passes, or when the caller cancels the run.
//!
//! A deadline checked by the lesson thread itself holds only where that thread looks at the
//! clock; one long native loop (a matmul, a huge string) would outlive it. So a second thread
//! keeps the time and raises one atomic flag, which the interpreter tests at every tick and
//! long native loops between blocks of work (`tensor::interrupt`): the deadline and
//! cancellation are the same mechanism, and a check costs one relaxed load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Why the stop flag went up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The cell ran past its time limit.
    CellTimeout,
    /// The lesson ran past its time budget.
    LessonTimeout,
    /// The caller cancelled the run.
    Cancelled,
}

#[derive(Default)]
struct State {
    /// The running cell's deadline (the earlier of its own and the lesson's), if any.
    deadline: Option<(Instant, StopReason)>,
    reason: Option<StopReason>,
    finished: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
    stop: Arc<AtomicBool>,
    cancel: Option<Arc<AtomicBool>>,
}

/// How often a cancellation is noticed (the caller's flag is polled).
const CANCEL_POLL: Duration = Duration::from_millis(10);

/// The timer thread of one lesson run; stops it when dropped.
pub struct Watchdog {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    /// A timer for one lesson. `cancel`, when given, is the caller's flag: once it is true the
    /// running cell stops and every later one too.
    pub fn start(cancel: Option<Arc<AtomicBool>>) -> Watchdog {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            wake: Condvar::new(),
            stop: Arc::new(AtomicBool::new(false)),
            cancel,
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("lesson-clock".into())
            .spawn(move || run(&s))
            .ok();
        Watchdog { shared, thread }
    }

    /// The flag the lesson thread polls.
    pub fn flag(&self) -> Arc<AtomicBool> {
        self.shared.stop.clone()
    }

    /// A cell starts: it must end by `deadline` (`None`: no limit), for `reason`. Clears a
    /// stop left by the previous cell unless the run was cancelled.
    pub fn arm(&self, deadline: Option<(Instant, StopReason)>) {
        let mut st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.reason != Some(StopReason::Cancelled) && st.reason != Some(StopReason::LessonTimeout)
        {
            st.reason = None;
            self.shared.stop.store(false, Ordering::Relaxed);
        }
        st.deadline = deadline;
        drop(st);
        self.shared.wake.notify_one();
    }

    /// Why the flag is up, if it is.
    pub fn reason(&self) -> Option<StopReason> {
        if self.cancelled() {
            return Some(StopReason::Cancelled);
        }
        let st = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        st.reason
    }

    /// Whether the caller cancelled the run.
    pub fn cancelled(&self) -> bool {
        self.shared
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .finished = true;
        self.shared.wake.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(s: &Shared) {
    let mut st = s.state.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if st.finished {
            return;
        }
        let now = Instant::now();
        if s.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
            st.reason = Some(StopReason::Cancelled);
            s.stop.store(true, Ordering::Relaxed);
        } else if let Some((at, why)) = st.deadline
            && now >= at
            && st.reason.is_none()
        {
            st.reason = Some(why);
            s.stop.store(true, Ordering::Relaxed);
        }
        let until_deadline = st
            .deadline
            .filter(|_| st.reason.is_none())
            .map(|(at, _)| at.saturating_duration_since(now));
        let wait = match (until_deadline, &s.cancel) {
            (Some(d), Some(_)) => Some(d.min(CANCEL_POLL)),
            (Some(d), None) => Some(d),
            (None, Some(_)) => Some(CANCEL_POLL),
            (None, None) => None,
        };
        st = match wait {
            Some(d) => {
                s.wake
                    .wait_timeout(st, d)
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
            None => s.wake.wait(st).unwrap_or_else(|e| e.into_inner()),
        };
    }
}
