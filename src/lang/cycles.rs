//! Freeing reference cycles: all of a finished lesson's, and a live lesson's unreachable ones.
//!
//! Values are reference counted, so a cycle (`node.me = node`, a closure stored in its own
//! frame, a class attribute holding an instance of the class) is never freed by counting, and
//! everything it holds (tensors included) would stay for the life of the process: one leaked
//! tensor per lesson adds up across lessons and `watch` rebuilds. While a host enables it on a
//! thread, every object that can close a cycle (lists, dicts, sets, instances, user classes,
//! functions, captured frames) is recorded here by a weak reference. Two ways free them:
//! - once a lesson's interpreter is gone, [`break_cycles`] empties every one still alive;
//! - while it lives (a live preview's session re-runs cells into the same interpreter and drops
//!   cached states), [`collect`] finds the recorded objects that nothing outside the recorded
//!   set refers to, by CPython's trial deletion (see its doc), and empties those.
//!
//! Either way each cycle then loses its edges and is freed by reference counting.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use super::interp::Scope;
use super::value::{Dict, Function, Instance, TypeObj, Value};

pub enum Tracked {
    List(Weak<RefCell<Vec<Value>>>),
    Dict(Weak<RefCell<Dict>>),
    Instance(Weak<Instance>),
    Type(Weak<TypeObj>),
    Scope(Weak<Scope>),
    Function(Weak<Function>),
}

impl Tracked {
    pub fn alive(&self) -> bool {
        match self {
            Tracked::List(w) => w.strong_count() > 0,
            Tracked::Dict(w) => w.strong_count() > 0,
            Tracked::Instance(w) => w.strong_count() > 0,
            Tracked::Type(w) => w.strong_count() > 0,
            Tracked::Scope(w) => w.strong_count() > 0,
            Tracked::Function(w) => w.strong_count() > 0,
        }
    }
}

pub struct Registry {
    on: bool,
    pub items: Vec<Tracked>,
    /// Sweep the dead entries once this many are recorded (twice the live count at the last
    /// sweep), so recording stays O(1) amortised and a dead object's weak count (which keeps
    /// its allocation, not its contents) is dropped soon.
    sweep_at: usize,
    /// [`collect_if_grown`] collects once this many are recorded (twice the survivors of the
    /// last collection).
    collect_at: usize,
}

const MIN_SWEEP: usize = 4096;
/// Fewer recorded objects than this are not worth a collection between cells: a lesson's
/// modules, classes and a few thousand values take a few milliseconds to free at its end.
pub const MIN_COLLECT: usize = 50_000;

thread_local! {
    pub static REGISTRY: RefCell<Registry> = const { RefCell::new(Registry { on: false, items: Vec::new(), sweep_at: MIN_SWEEP, collect_at: MIN_COLLECT }) };
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
        // While collections are due no later than a sweep would be, they sweep (and their
        // registry pass upgrades what is alive anyway): sweeping just before would read every
        // entry's counts twice.
        if r.items.len() >= r.sweep_at.max(r.collect_at) {
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

pub(crate) fn track_function(f: &Rc<Function>) {
    record(|| Tracked::Function(Rc::downgrade(f)));
}

/// Records `v` if it is an object that can close a cycle (frames aside: they are no values).
pub(crate) fn track_value(v: &Value) {
    match v {
        Value::List(l) => track_list(l),
        Value::Dict(d) | Value::Set(d) => track_dict(d),
        Value::Instance(i) => track_instance(i),
        Value::Type(t) => track_type(t),
        Value::Function(f) => track_function(f),
        _ => {}
    }
}

/// Empties every recorded object still alive and stops recording. Call it once the lesson's
/// interpreter is dropped: nothing of the lesson may be used afterwards. The contents are
/// dropped only after every object is emptied, so no drop recurses through a long chain.
pub fn break_cycles() {
    let items = REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        r.on = false;
        r.sweep_at = MIN_SWEEP;
        r.collect_at = MIN_COLLECT;
        std::mem::take(&mut r.items)
    });
    let nodes: Vec<Node> = items.iter().filter_map(Node::upgrade).collect();
    drop(items);
    let mut contents = Garbage::default();
    for n in &nodes {
        n.empty(&mut contents);
    }
    drop(contents);
    drop(nodes);
}

/// Objects by address, for [`collect`]: looked up once per reference it follows.
type AddrMap = crate::addr_map::AddrMap<usize>;

/// A recorded object, held while [`collect`] or [`break_cycles`] works on it.
enum Node {
    List(Rc<RefCell<Vec<Value>>>),
    Dict(Rc<RefCell<Dict>>),
    Instance(Rc<Instance>),
    Type(Rc<TypeObj>),
    Scope(Rc<Scope>),
    Function(Rc<Function>),
}

fn addr<T: ?Sized>(r: &Rc<T>) -> usize {
    Rc::as_ptr(r) as *const () as usize
}

/// The address of the recordable object `v` is, if it is one.
fn value_addr(v: &Value) -> Option<usize> {
    match v {
        Value::List(l) => Some(addr(l)),
        Value::Dict(d) | Value::Set(d) => Some(addr(d)),
        Value::Instance(i) => Some(addr(i)),
        Value::Type(t) => Some(addr(t)),
        Value::Function(f) => Some(addr(f)),
        _ => None,
    }
}

impl Node {
    fn upgrade(t: &Tracked) -> Option<Node> {
        Some(match t {
            Tracked::List(w) => Node::List(w.upgrade()?),
            Tracked::Dict(w) => Node::Dict(w.upgrade()?),
            Tracked::Instance(w) => Node::Instance(w.upgrade()?),
            Tracked::Type(w) => Node::Type(w.upgrade()?),
            Tracked::Scope(w) => Node::Scope(w.upgrade()?),
            Tracked::Function(w) => Node::Function(w.upgrade()?),
        })
    }

    fn addr(&self) -> usize {
        match self {
            Node::List(r) => addr(r),
            Node::Dict(r) => addr(r),
            Node::Instance(r) => addr(r),
            Node::Type(r) => addr(r),
            Node::Scope(r) => addr(r),
            Node::Function(r) => addr(r),
        }
    }

    /// References to the object, less the one this node holds.
    fn outside_refs(&self) -> usize {
        let n = match self {
            Node::List(r) => Rc::strong_count(r),
            Node::Dict(r) => Rc::strong_count(r),
            Node::Instance(r) => Rc::strong_count(r),
            Node::Type(r) => Rc::strong_count(r),
            Node::Scope(r) => Rc::strong_count(r),
            Node::Function(r) => Rc::strong_count(r),
        };
        n - 1
    }

    /// Calls `edge` with the address of every object this one holds a strong reference to
    /// itself, once per reference (the count must be exact: each call stands for one of the
    /// target's references). Returns false, having called nothing, when part of the object is
    /// borrowed (in use), so its references are unknown.
    fn edges(&self, is_node: &dyn Fn(usize) -> bool, edge: &mut dyn FnMut(usize)) -> bool {
        match self {
            Node::List(l) => {
                let Ok(items) = l.try_borrow() else { return false };
                items.iter().for_each(|v| value_edge(v, edge));
            }
            Node::Dict(d) => {
                let Ok(d) = d.try_borrow() else { return false };
                for (k, v) in d.iter() {
                    value_edge(k, edge);
                    value_edge(v, edge);
                }
            }
            Node::Instance(i) => {
                let (Ok(dict), Ok(native)) = (i.dict.try_borrow(), i.native.try_borrow()) else {
                    return false;
                };
                edge(addr(&i.class));
                dict.iter().for_each(|(_, v)| value_edge(v, edge));
                native.iter().for_each(|v| value_edge(v, edge));
            }
            Node::Type(t) => {
                let Ok(attrs) = t.attrs.try_borrow() else { return false };
                if let Some(b) = &t.base {
                    edge(addr(b));
                }
                attrs.values().for_each(|v| value_edge(v, edge));
            }
            Node::Scope(s) => return scope_edges(s, edge),
            Node::Function(f) => {
                let Ok(spare) = f.spare.try_borrow() else { return false };
                // A spare frame that only this function holds is part of it: its references
                // are the function's (unless it is recorded itself: then it is the reference).
                if let Some(s) = &*spare {
                    if is_node(addr(s)) || Rc::strong_count(s) > 1 {
                        edge(addr(s));
                    } else if !scope_edges(s, edge) {
                        return false;
                    }
                }
                f.defaults.iter().flatten().for_each(|v| value_edge(v, edge));
                if let Some(c) = &f.closure {
                    edge(addr(c));
                }
            }
        }
        true
    }

    /// Empties the object, moving what it held to `out`.
    fn empty(&self, out: &mut Garbage) {
        match self {
            Node::List(l) => {
                if let Ok(mut v) = l.try_borrow_mut() {
                    out.values.append(&mut v);
                }
            }
            Node::Dict(d) => {
                if let Ok(mut d) = d.try_borrow_mut() {
                    out.dicts.push(std::mem::take(&mut *d));
                }
            }
            Node::Instance(i) => {
                if let Ok(mut d) = i.dict.try_borrow_mut() {
                    out.values.extend(std::mem::take(&mut *d).into_iter().map(|(_, v)| v));
                }
                if let Ok(mut n) = i.native.try_borrow_mut() {
                    out.values.extend(n.take());
                }
            }
            Node::Type(t) => {
                if let Ok(mut a) = t.attrs.try_borrow_mut() {
                    out.values.extend(std::mem::take(&mut *a).into_values());
                }
            }
            Node::Scope(s) => s.take_values_into(&mut out.values),
            Node::Function(f) => {
                if let Ok(mut spare) = f.spare.try_borrow_mut()
                    && let Some(s) = spare.take()
                {
                    s.take_values_into(&mut out.values);
                    out.scopes.push(s);
                }
            }
        }
    }
}

/// What emptied objects held, dropped only once every object is emptied.
#[derive(Default)]
struct Garbage {
    values: Vec<Value>,
    dicts: Vec<Dict>,
    scopes: Vec<Rc<Scope>>,
}

fn value_edge(v: &Value, edge: &mut dyn FnMut(usize)) {
    if let Some(a) = value_addr(v) {
        edge(a);
    }
}

fn scope_edges(s: &Scope, edge: &mut dyn FnMut(usize)) -> bool {
    // The scope's own method checks its borrows first and visits nothing when one is taken;
    // both of its callbacks report to `edge`, shared through a cell rather than collected
    // into vectors first (a collection visits every captured frame: no allocation each).
    let edge = std::cell::RefCell::new(edge);
    s.visit_references(
        &mut |v| {
            if let Some(a) = value_addr(v) {
                (edge.borrow_mut())(a)
            }
        },
        &mut |p| (edge.borrow_mut())(addr(p)),
    )
}

/// Frees the recorded objects that only recorded objects refer to, however they refer to each
/// other (cycles), while the lesson's interpreter lives on; returns how many were emptied.
///
/// CPython's trial deletion: each object's count of references, less those that recorded
/// objects hold on it, is what the rest of the process (the interpreter's globals, a cached
/// snapshot, a native object, a tuple) holds; the objects with some such reference, and all
/// they reach, are alive, and the rest is garbage. A reference this module cannot see (held
/// through a tuple, a bound method, a native object) is counted as from the outside, so an
/// object is never freed while anything can still reach it; a cycle closed only through such
/// references is kept (see docs/divergences.md).
///
/// Any point where the interpreter ticks is a safe place to call it, Python code running or
/// not: whatever Rust code holds (an argument list, a frame taken out of its function, the
/// receiver of a call) it holds through a counted reference, or borrows from something that
/// is held so; such a reference counts as from the outside, so the object and all it reaches
/// stay. A container borrowed at that moment is not looked into: it stays, and so does all it
/// holds. Only objects no Rust code can reach are emptied, and emptying runs no Python code.
pub fn collect() -> usize {
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: AddrMap = AddrMap::default();
    REGISTRY.with(|r| {
        let mut r = r.borrow_mut();
        nodes.reserve(r.items.len());
        index.reserve(r.items.len());
        // One pass both drops the dead entries and takes hold of the live ones.
        r.items.retain(|t| {
            let Some(n) = Node::upgrade(t) else { return false };
            // An object recorded twice is one node (and one extra reference).
            if let std::collections::hash_map::Entry::Vacant(e) = index.entry(n.addr()) {
                e.insert(nodes.len());
                nodes.push(n);
            }
            true
        });
        r.sweep_at = (2 * r.items.len()).max(MIN_SWEEP);
    });
    let is_node = |a: usize| index.contains_key(&a);
    let mut outside: Vec<usize> = nodes.iter().map(Node::outside_refs).collect();
    let mut known = vec![true; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        known[i] = n.edges(&is_node, &mut |a| {
            if let Some(&j) = index.get(&a) {
                outside[j] = outside[j].saturating_sub(1);
            }
        });
    }
    let mut alive = vec![false; nodes.len()];
    let mut stack: Vec<usize> = Vec::new();
    for i in 0..nodes.len() {
        if outside[i] > 0 || !known[i] {
            alive[i] = true;
            stack.push(i);
        }
    }
    while let Some(i) = stack.pop() {
        nodes[i].edges(&is_node, &mut |a| {
            if let Some(&j) = index.get(&a)
                && !alive[j]
            {
                alive[j] = true;
                stack.push(j);
            }
        });
    }
    // Every object is emptied before anything is dropped, so no drop recurses through a chain
    // of them and no destructor sees half of a cycle.
    let mut contents = Garbage::default();
    let mut freed = 0;
    for (n, _) in nodes.iter().zip(&alive).filter(|(_, a)| !**a) {
        n.empty(&mut contents);
        freed += 1;
    }
    drop(contents);
    let survivors = nodes.len() - freed;
    drop(nodes);
    REGISTRY.with(|r| r.borrow_mut().collect_at = (2 * survivors).max(MIN_COLLECT));
    freed
}

/// [`collect`], when the objects recorded have doubled since the last collection (and number
/// at least `MIN_COLLECT`), else nothing; returns how many were emptied. A lesson whose cells
/// build object graphs with cycles (micrograd's `Value`, whose `_backward` closure holds its
/// own node) then frees that garbage between cells and, since the interpreter calls this
/// every few hundred ticks, while a loop runs, instead of holding it all until the lesson
/// ends, at a cost linear in what it records. Same contract as [`collect`].
pub fn collect_if_grown() -> usize {
    let due = REGISTRY.with(|r| {
        let r = r.borrow();
        r.on && r.items.len() >= r.collect_at
    });
    if due { collect() } else { 0 }
}
