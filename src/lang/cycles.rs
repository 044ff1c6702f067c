//! Freeing a finished lesson's reference cycles.
//!
//! Values are reference counted, so a cycle (`node.me = node`, a closure stored in its own
//! frame, a class attribute holding an instance of the class) is never freed, and everything
//! it holds (tensors included) stays for the life of the process: one leaked tensor per lesson
//! adds up across lessons and `watch` rebuilds. There is no cycle collector; instead, while a
//! host enables it on a thread, every object that can close a cycle (lists, dicts, instances,
//! user classes, captured frames) is recorded here by a weak reference, and once the lesson's
//! interpreter is gone [`break_cycles`] empties every one still alive. Each cycle then loses
//! its edges and is freed by reference counting like anything else.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::interp::Scope;
use super::value::{Dict, Instance, TypeObj, Value};

enum Tracked {
    List(Weak<RefCell<Vec<Value>>>),
    Dict(Weak<RefCell<Dict>>),
    Instance(Weak<Instance>),
    Type(Weak<TypeObj>),
    Scope(Weak<Scope>),
}

impl Tracked {
    fn alive(&self) -> bool {
        match self {
            Tracked::List(w) => w.strong_count() > 0,
            Tracked::Dict(w) => w.strong_count() > 0,
            Tracked::Instance(w) => w.strong_count() > 0,
            Tracked::Type(w) => w.strong_count() > 0,
            Tracked::Scope(w) => w.strong_count() > 0,
        }
    }
}

struct Registry {
    on: bool,
    items: Vec<Tracked>,
    /// Sweep the dead entries once this many are recorded (twice the live count at the last
    /// sweep), so recording stays O(1) amortised and a dead object's weak count (which keeps
    /// its allocation, not its contents) is dropped soon.
    sweep_at: usize,
}

const MIN_SWEEP: usize = 4096;

thread_local! {
    static REGISTRY: RefCell<Registry> = const { RefCell::new(Registry { on: false, items: Vec::new(), sweep_at: MIN_SWEEP }) };
}

/// Starts (or stops) recording on this thread. A host turns it on for a lesson's thread.
pub fn set_tracking(on: bool) {
    REGISTRY.with(|r| r.borrow_mut().on = on);
}

#[inline]
fn record(make: impl FnOnce() -> Tracked) {
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        if !r.on {
            return;
        }
        if r.items.len() >= r.sweep_at {
            r.items.retain(Tracked::alive);
            r.sweep_at = (2 * r.items.len()).max(MIN_SWEEP);
        }
        r.items.push(make());
    });
}

pub(crate) fn track_list(l: &Rc<RefCell<Vec<Value>>>) {
    record(|| Tracked::List(Rc::downgrade(l)));
}

pub(crate) fn track_dict(d: &Rc<RefCell<Dict>>) {
    record(|| Tracked::Dict(Rc::downgrade(d)));
}

pub(crate) fn track_instance(i: &Rc<Instance>) {
    record(|| Tracked::Instance(Rc::downgrade(i)));
}

pub(crate) fn track_type(t: &Rc<TypeObj>) {
    record(|| Tracked::Type(Rc::downgrade(t)));
}

pub(crate) fn track_scope(s: &Rc<Scope>) {
    record(|| Tracked::Scope(Rc::downgrade(s)));
}

/// Empties every recorded object still alive and stops recording. Call it once the lesson's
/// interpreter is dropped: nothing of the lesson may be used afterwards. The contents are
/// dropped only after every object is emptied, so no drop recurses through a long chain.
pub fn break_cycles() {
    let items = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.on = false;
        r.sweep_at = MIN_SWEEP;
        std::mem::take(&mut r.items)
    });
    let mut lists = Vec::new();
    let mut dicts = Vec::new();
    let mut other = Vec::new();
    for t in &items {
        match t {
            Tracked::List(w) => {
                if let Some(l) = w.upgrade()
                    && let Ok(mut v) = l.try_borrow_mut()
                {
                    lists.push(std::mem::take(&mut *v));
                }
            }
            Tracked::Dict(w) => {
                if let Some(d) = w.upgrade()
                    && let Ok(mut v) = d.try_borrow_mut()
                {
                    dicts.push(std::mem::take(&mut *v));
                }
            }
            Tracked::Instance(w) => {
                if let Some(i) = w.upgrade() {
                    if let Ok(mut d) = i.dict.try_borrow_mut() {
                        other.extend(std::mem::take(&mut *d).into_iter().map(|(_, v)| v));
                    }
                    if let Ok(mut n) = i.native.try_borrow_mut() {
                        other.extend(n.take());
                    }
                }
            }
            Tracked::Type(w) => {
                if let Some(t) = w.upgrade()
                    && let Ok(mut a) = t.attrs.try_borrow_mut()
                {
                    other.extend(std::mem::take(&mut *a).into_values());
                }
            }
            Tracked::Scope(w) => {
                if let Some(s) = w.upgrade() {
                    other.extend(s.take_values());
                }
            }
        }
    }
    drop(items);
    drop(lists);
    drop(dicts);
    drop(other);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{Interpreter, OutputSink};

    struct Discard;
    impl OutputSink for Discard {
        fn write(&mut self, _: &str) {}
    }

    /// Runs `code` with tracking on; a weak reference to each global named in `names`.
    fn leak(code: &str, names: &[&str]) -> Vec<Weak<dyn std::any::Any>> {
        set_tracking(true);
        let mut it = Interpreter::new();
        it.run_cell(code, 0, &mut Discard).unwrap();
        let weaks = names
            .iter()
            .map(|n| match &it.get_global(n).unwrap() {
                Value::Instance(i) => Rc::downgrade(i) as Weak<dyn std::any::Any>,
                Value::List(l) => Rc::downgrade(l) as Weak<dyn std::any::Any>,
                Value::Dict(d) => Rc::downgrade(d) as Weak<dyn std::any::Any>,
                Value::Function(f) => Rc::downgrade(f) as Weak<dyn std::any::Any>,
                _ => panic!("{n} is not a container"),
            })
            .collect();
        drop(it);
        weaks
    }

    #[test]
    fn cycles_outlive_the_interpreter_until_broken() {
        let code = "class N:\n    pass\nn = N()\nn.me = n\nl = [n]\nl.append(l)\nd = {}\nd['d'] = d\n\
                    def outer():\n    def inner():\n        return inner\n    return inner\nf = outer()\n\
                    class C:\n    pass\nC.default = C()\nc = C.default\n";
        let weaks = leak(code, &["n", "l", "d", "f", "c"]);
        assert!(
            weaks.iter().all(|w| w.strong_count() > 0),
            "reference counting alone frees no cycle"
        );
        break_cycles();
        assert!(
            weaks.iter().all(|w| w.strong_count() == 0),
            "every cycle was freed"
        );
    }
}
