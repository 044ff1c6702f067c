//! Unit tests of `lang::trash`.

use lessonrun::lang::trash::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use lessonrun::lang::value::Value;
use lessonrun::lang::value::Dict;

#[test]
fn freeing_values_nested_a_million_deep_needs_little_stack() {
    // Recursive drop glue would need about a hundred bytes per level: 100 MB here.
    let t = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let mut v = Value::None;
            for i in 0..1_000_000 {
                v = match i % 3 {
                    0 => Value::list(vec![v, Value::Int(i)]),
                    1 => Value::tuple(vec![Value::Int(i), v]),
                    _ => {
                        let mut d = Dict::new();
                        d.insert(Value::str("a"), v).unwrap();
                        Value::Dict(Rc::new(RefCell::new(d)))
                    }
                };
            }
            // A shared inner value survives the outer one's freeing.
            let inner = Value::list(vec![Value::Int(7)]);
            let outer = Value::list(vec![v, inner.clone()]);
            drop(outer);
            matches!(&inner, Value::List(l) if l.borrow().len() == 1)
        })
        .unwrap();
    assert!(t.join().expect("no stack overflow"));
}
