//! `__future__`: Python 2 era scripts (pytorch/examples, the char-RNN tutorials) open with
//! `from __future__ import print_function, division, unicode_literals`. Every feature named
//! here is already how Python 3 (and lessonrun) behaves, so importing one changes nothing; the
//! names are `_Feature` objects with CPython 3.11's reprs. `barry_as_FLUFL`, which would change
//! the grammar, is left out, so importing it fails.

use std::rc::Rc;

use super::native::NativeObject;
use super::{Interpreter, Module, Value};

/// One feature: its repr is all a lesson can observe of it.
struct Feature(&'static str);

impl NativeObject for Feature {
    fn type_name(&self) -> &str {
        "_Feature"
    }
    fn module_name(&self) -> Option<&str> {
        Some("__future__")
    }
    fn repr(&self) -> String {
        format!("_Feature({})", self.0)
    }
}

const FEATURES: &[(&str, &str)] = &[
    (
        "nested_scopes",
        "(2, 1, 0, 'beta', 1), (2, 2, 0, 'alpha', 0), 16",
    ),
    (
        "generators",
        "(2, 2, 0, 'alpha', 1), (2, 3, 0, 'final', 0), 0",
    ),
    (
        "division",
        "(2, 2, 0, 'alpha', 2), (3, 0, 0, 'alpha', 0), 131072",
    ),
    (
        "absolute_import",
        "(2, 5, 0, 'alpha', 1), (3, 0, 0, 'alpha', 0), 262144",
    ),
    (
        "with_statement",
        "(2, 5, 0, 'alpha', 1), (2, 6, 0, 'alpha', 0), 524288",
    ),
    (
        "print_function",
        "(2, 6, 0, 'alpha', 2), (3, 0, 0, 'alpha', 0), 1048576",
    ),
    (
        "unicode_literals",
        "(2, 6, 0, 'alpha', 2), (3, 0, 0, 'alpha', 0), 2097152",
    ),
    (
        "generator_stop",
        "(3, 5, 0, 'beta', 1), (3, 7, 0, 'alpha', 0), 8388608",
    ),
    ("annotations", "(3, 7, 0, 'beta', 1), None, 16777216"),
];

/// Registers `__future__` with `it`.
pub fn install(it: &mut Interpreter) {
    let m = Module::new("__future__");
    for (name, repr) in FEATURES {
        m.set(name, Value::native(Feature(repr)));
    }
    it.modules
        .insert("__future__".into(), Value::Module(Rc::new(m)));
}
