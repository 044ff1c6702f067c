//! Unit tests of `lang::cycles`.

use lessonrun::lang::cycles::*;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use lessonrun::lang::interp::Scope;
use lessonrun::lang::value::{Dict, Function, Instance, TypeObj, Value};
use lessonrun::lang::{Interpreter, OutputSink};

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

struct Collect(String);
impl OutputSink for Collect {
    fn write(&mut self, s: &str) {
        self.0.push_str(s);
    }
}

fn weak_of(v: &Value) -> Weak<dyn std::any::Any> {
    match v {
        Value::Instance(i) => Rc::downgrade(i) as Weak<dyn std::any::Any>,
        Value::List(l) => Rc::downgrade(l) as Weak<dyn std::any::Any>,
        Value::Dict(d) | Value::Set(d) => Rc::downgrade(d) as Weak<dyn std::any::Any>,
        Value::Function(f) => Rc::downgrade(f) as Weak<dyn std::any::Any>,
        _ => panic!("not a container"),
    }
}

#[test]
fn collect_frees_unreachable_cycles_and_keeps_what_is_reachable() {
    set_tracking(true);
    let mut it = Interpreter::new();
    let mut out = Collect(String::new());
    let code = "class N:\n    pass\nn = N()\nn.me = n\nl = [n]\nl.append(l)\nd = {}\nd['d'] = d\n\
                def outer():\n    def inner():\n        return inner\n    inner()\n    return inner\nf = outer()\nf()\n\
                s = set()\nm = N()\nm.s = s\ns.add(m)\n\
                k = N()\nk.me = k\nk.x = [1, 2]\nt = N()\nt.me = t\nheld = (t,)\n\
                q = N()\nq.me = q\nfrom_outside = [q]\n";
    it.run_cell(code, 0, &mut out).unwrap();
    let gone: Vec<_> = ["n", "l", "d", "f", "m"].iter().map(|n| weak_of(&it.get_global(n).unwrap())).collect();
    let kept: Vec<_> = ["k", "t", "q"].iter().map(|n| weak_of(&it.get_global(n).unwrap())).collect();
    it.run_cell("del n, l, d, f, m, s\nfrom_outside = from_outside[:]\nt = None\nq = None\n", 0, &mut out).unwrap();
    assert!(gone.iter().all(|w| w.strong_count() > 0), "counting alone frees no cycle");
    let freed = collect();
    assert!(freed >= 5, "freed {freed}");
    assert!(gone.iter().all(|w| w.strong_count() == 0), "every unreachable cycle was freed");
    assert!(kept.iter().all(|w| w.strong_count() > 0), "reachable objects stay");
    it.run_cell("print(k.me.me.x, held[0].me is held[0], from_outside[0].me is from_outside[0])\n", 0, &mut out).unwrap();
    assert_eq!(out.0, "[1, 2] True True\n");
    drop(it);
    break_cycles();
}

/// `collect_if_grown` leaves small amounts of garbage alone and frees it once it doubles.
#[test]
fn collection_between_cells_waits_for_the_recorded_objects_to_double() {
    set_tracking(true);
    let mut it = Interpreter::new();
    let garbage = |n: usize| format!("for i in range({n}):\n    l = []\n    l.append(l)\n");
    it.run_cell(&garbage(1000), 0, &mut Discard).unwrap();
    assert_eq!(collect_if_grown(), 0, "a thousand cycles are left to the lesson's end");
    // The loop's ticks collect as it runs: what is left recorded stays under twice the
    // threshold, though the loop made four times as many cycles.
    it.run_cell(&garbage(4 * MIN_COLLECT), 0, &mut Discard).unwrap();
    let alive = REGISTRY.with(|r| r.borrow().items.iter().filter(|t| t.alive()).count());
    assert!(alive < 2 * MIN_COLLECT, "{alive} recorded objects alive");
    collect();
    assert_eq!(collect_if_grown(), 0, "nothing new was recorded since");
    let mut out = Collect(String::new());
    it.run_cell("print(l[0] is l, len(l))", 0, &mut out).unwrap();
    assert_eq!(out.0, "True 1\n");
    drop(it);
    break_cycles();
}

/// Collections in the middle of running code (from the loop's ticks) free only garbage:
/// the objects a running function, a comprehension or an argument list holds, and
/// containers borrowed while the loop runs, stay intact.
#[test]
fn collecting_while_code_runs_keeps_what_the_running_code_holds() {
    set_tracking(true);
    let mut it = Interpreter::new();
    let mut out = Collect(String::new());
    let code = "class Node:\n    def __init__(self, prev):\n        self.prev = prev\n        self.me = self\n        self.back = lambda: self\n\
                def chain(n):\n    head = Node(None)\n    for i in range(n):\n        head = Node(head)\n        junk = []\n        junk.append(junk)\n    return head\n\
                def depth(h):\n    d = 0\n    while h is not None:\n        assert h.me is h and h.back() is h\n        h = h.prev\n        d += 1\n    return d\n\
                heads = [chain(k) for k in (3 * 20000, 10, 3 * 20000)]\n\
                print([depth(h) for h in heads], sorted(depth(chain(5)) for _ in range(3)))\n";
    it.run_cell(code, 0, &mut out).unwrap();
    assert_eq!(out.0, "[60001, 11, 60001] [6, 6, 6]\n");
    drop(it);
    break_cycles();
}

/// Collecting between every cell changes nothing a lesson prints.
#[test]
fn collecting_between_cells_changes_no_output() {
    let cells = [
        "class Tree:\n    def __init__(self, parent=None):\n        self.parent = parent\n        self.kids = []\n        if parent is not None:\n            parent.kids.append(self)\n",
        "root = Tree()\nfor i in range(5):\n    Tree(root)\nroot.kids[0].kids.append(root)\n",
        "def counter():\n    n = 0\n    def inc(by=[0]):\n        nonlocal n\n        n += 1\n        by.append(n)\n        return n, by\n    return inc\nc = counter()\nc(); c()\n",
        "cache = {}\ncache['self'] = cache\ncache[(1,)] = {1, 2}\ngen = (x * x for x in range(4))\n",
        "print(len(root.kids), root.kids[0].kids[0] is root, c(), sorted(cache[(1,)]), list(gen))\n",
        "root = Tree(root)\nc = None\nprint(len(root.parent.kids), 'self' in cache)\n",
    ];
    let mut outputs = Vec::new();
    for collect_between in [false, true] {
        set_tracking(true);
        let mut it = Interpreter::new();
        let mut out = Collect(String::new());
        for c in cells {
            it.run_cell(c, 0, &mut out).unwrap();
            if collect_between {
                collect();
            }
        }
        outputs.push(out.0);
        drop(it);
        break_cycles();
    }
    assert_eq!(outputs[0], outputs[1]);
    assert!(outputs[0].contains("6 True"), "{}", outputs[0]);
}
