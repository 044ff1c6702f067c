//! Freeing values nested arbitrarily deep without recursing once per level (CPython's
//! "trashcan").
//!
//! Rust's drop glue frees `y` after `for i in range(10**7): y = [y]` by recursing ten million
//! levels, about a hundred bytes of stack each: the lesson thread's stack is big enough, but
//! the pages it touches are memory the lesson's budget never sees (the fuzzer measured 2 GiB
//! resident under a 1 GiB budget). Here a list, tuple, dict, set or instance about to be
//! freed hands its items to a per-thread work list instead, and the outermost drop frees the
//! list's items one by one, so freeing any value uses a constant depth of stack.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use super::value::Value;

thread_local! {
    /// Whether a drop on this thread is already freeing a work list.
    static DRAINING: Cell<bool> = const { Cell::new(false) };
    /// Items handed over by drops that ran inside the outermost one.
    static PENDING: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// Whether freeing `v` may go on to free more containers (so handing it over is worth it).
fn nests(v: &Value) -> bool {
    matches!(
        v,
        Value::List(_) | Value::Tuple(_) | Value::Dict(_) | Value::Set(_) | Value::Instance(_)
    )
}

/// The items of a container this drop is about to free (emptied out of it), if any.
fn take_items(v: &mut Value) -> Vec<Value> {
    match v {
        Value::List(r) if Rc::strong_count(r) == 1 => match r.try_borrow_mut() {
            Ok(mut items) => std::mem::take(&mut *items),
            Err(_) => Vec::new(),
        },
        Value::Tuple(r) => Rc::get_mut(r).map(std::mem::take).unwrap_or_default(),
        // A dict or an instance whose items hold no container frees them one level deep
        // anyway: not copying them out saves an allocation per object freed.
        Value::Dict(r) | Value::Set(r) if Rc::strong_count(r) == 1 => match r.try_borrow_mut() {
            Ok(d) if !d.iter().any(|(k, v)| nests(k) || nests(v)) => Vec::new(),
            Ok(mut d) => d.take_all(),
            Err(_) => Vec::new(),
        },
        Value::Instance(i)
            if Rc::strong_count(i) == 1
                && i.dict.try_borrow().is_ok_and(|d| !d.iter().any(|(_, v)| nests(v)))
                && i.native.try_borrow().is_ok_and(|n| !n.as_ref().is_some_and(nests)) =>
        {
            Vec::new()
        }
        Value::Instance(i) if Rc::strong_count(i) == 1 => {
            let mut items: Vec<Value> = match i.dict.try_borrow_mut() {
                Ok(mut d) => std::mem::take(&mut *d)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
                Err(_) => Vec::new(),
            };
            if let Ok(mut n) = i.native.try_borrow_mut()
                && let Some(n) = n.take()
            {
                items.push(n);
            }
            items
        }
        _ => Vec::new(),
    }
}

/// Resets `DRAINING` even if a drop panics, so later drops still free their work.
struct Draining;

impl Drop for Draining {
    fn drop(&mut self) {
        DRAINING.set(false);
    }
}

impl Drop for Value {
    fn drop(&mut self) {
        if !nests(self) {
            return;
        }
        let mut items = take_items(self);
        if !items.iter().any(nests) {
            // Freeing these recurses one level at most.
            return;
        }
        // During thread teardown the work list may be gone: then free the usual way.
        let Ok(outer) = DRAINING.try_with(|d| !d.replace(true)) else {
            return;
        };
        if !outer {
            let _ = PENDING.try_with(|p| p.borrow_mut().append(&mut items));
            return;
        }
        let _reset = Draining;
        loop {
            // Each item's own drop hands its items over to PENDING rather than recursing.
            while let Some(v) = items.pop() {
                drop(v);
            }
            match PENDING.try_with(|p| std::mem::take(&mut *p.borrow_mut())) {
                Ok(more) if !more.is_empty() => items = more,
                _ => break,
            }
        }
    }
}
