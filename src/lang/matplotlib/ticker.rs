//! `matplotlib.ticker`: the locator and formatter classes lessons hand to
//! `axis.set_major_locator`/`set_major_formatter`. lessonrun's axes choose their own ticks
//! (those calls are accepted and change nothing in the drawing), so these are opaque objects
//! with matplotlib's names and reprs.

use std::rc::Rc;

use super::objects::Handle;
use crate::lang::{Interpreter, Module, Value};

const CLASSES: &[(&str, &str)] = &[
    ("MultipleLocator", "matplotlib.ticker.MultipleLocator"),
    ("MaxNLocator", "matplotlib.ticker.MaxNLocator"),
    ("FixedLocator", "matplotlib.ticker.FixedLocator"),
    ("AutoLocator", "matplotlib.ticker.AutoLocator"),
    ("NullLocator", "matplotlib.ticker.NullLocator"),
    ("LinearLocator", "matplotlib.ticker.LinearLocator"),
    ("LogLocator", "matplotlib.ticker.LogLocator"),
    ("AutoMinorLocator", "matplotlib.ticker.AutoMinorLocator"),
    ("FormatStrFormatter", "matplotlib.ticker.FormatStrFormatter"),
    ("StrMethodFormatter", "matplotlib.ticker.StrMethodFormatter"),
    ("FuncFormatter", "matplotlib.ticker.FuncFormatter"),
    ("FixedFormatter", "matplotlib.ticker.FixedFormatter"),
    ("NullFormatter", "matplotlib.ticker.NullFormatter"),
    ("ScalarFormatter", "matplotlib.ticker.ScalarFormatter"),
    ("PercentFormatter", "matplotlib.ticker.PercentFormatter"),
];

/// Registers `matplotlib.ticker` (and `matplotlib.ticker` as an attribute of `matplotlib`).
pub fn install(interp: &mut Interpreter, mpl: &Module) {
    let m = Module::new("matplotlib.ticker");
    for &(name, path) in CLASSES {
        m.set(name, crate::lang::torch::class(name, "matplotlib.ticker", move |_, _| Ok(Handle::value(path, None, 0, None))));
    }
    let m = Value::Module(Rc::new(m));
    mpl.set("ticker", m.clone());
    interp.register_module("matplotlib.ticker", m);
}
