//! `matplotlib.pyplot` for lessons: pyplot's state machine (current figure and axes), the
//! `Figure` and `Axes` objects, and the modules `matplotlib`, `matplotlib.pyplot` and
//! `matplotlib_inline.backend_inline`. Figures are `crate::plot` models; as with Jupyter's
//! inline backend, `plt.show()` and the end of a cell show every open figure (through
//! `Interpreter::emit_figure`) and close it.

mod axes;
mod contour;
mod convert;
mod fill_stem;
mod hist_multi;
mod ipython;
mod annotate;
mod mplot3d;
mod objects;
mod patches;
mod ticker;

use std::cell::RefCell;
use std::rc::Rc;

use crate::lang::native::{Args, NativeObject};
use crate::lang::value::Dict;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::plot::{Axes, Figure};
use axes::PyAxes;
use convert::{R, kw};
use objects::{AxesArray, Handle, TextObj};

/// A figure being drawn, shared by pyplot's state and the Python objects that point into it.
pub struct FigState {
    pub fig: Figure,
    /// The axes `plt.plot` and friends draw into (`gca`).
    pub current: Option<usize>,
}

pub type FigRef = Rc<RefCell<FigState>>;

/// pyplot's global state, one per interpreter.
struct Pyplot {
    open: Vec<FigRef>,
    current: Option<FigRef>,
    /// `plt.rcParams`, a dict: `figure.figsize` is read when a figure is made.
    rc: Value,
}

type State = Rc<RefCell<Pyplot>>;

/// Makes `matplotlib`, `matplotlib.pyplot` and `matplotlib_inline.backend_inline` importable,
/// and shows the figures a cell leaves open when it ends.
pub fn install(interp: &mut Interpreter) {
    let mut rc = Dict::new();
    let defaults: [(&str, Value); 6] = [
        ("figure.figsize", Value::list(vec![Value::Float(6.4), Value::Float(4.8)])),
        ("figure.dpi", Value::Float(100.0)),
        ("font.size", Value::Float(10.0)),
        ("lines.linewidth", Value::Float(1.5)),
        ("lines.markersize", Value::Float(6.0)),
        ("axes.grid", Value::Bool(false)),
    ];
    for (k, v) in defaults {
        let _ = rc.insert(Value::str(k), v);
    }
    let rc = Value::dict(rc);
    let state: State = Rc::new(RefCell::new(Pyplot { open: Vec::new(), current: None, rc: rc.clone() }));
    let pyplot = Rc::new(pyplot_module(&state));
    let mpl = Module::new("matplotlib");
    mpl.set("pyplot", Value::Module(pyplot.clone()));
    mpl.set("rcParams", rc);
    mpl.set("__version__", Value::str("3.11.2"));
    mpl.set("use", Value::builtin("use", |_, _| Ok(Value::None)));
    let cm = pyplot.get("cm").unwrap_or(Value::None);
    mpl.set("cm", cm.clone());
    ticker::install(interp, &mpl);
    patches::install(interp, &mpl, &pyplot);
    mplot3d::install(interp);
    ipython::install(interp);
    interp.register_module("matplotlib", Value::Module(Rc::new(mpl)));
    interp.register_module("matplotlib.pyplot", Value::Module(pyplot));
    interp.register_module("matplotlib.cm", cm);
    let inline = Module::new("matplotlib_inline.backend_inline");
    inline.set("set_matplotlib_formats", Value::builtin("set_matplotlib_formats", |_, _| Ok(Value::None)));
    let inline = Value::Module(Rc::new(inline));
    let pkg = Module::new("matplotlib_inline");
    pkg.set("backend_inline", inline.clone());
    interp.register_module("matplotlib_inline", Value::Module(Rc::new(pkg)));
    interp.register_module("matplotlib_inline.backend_inline", inline);
    let st = state.clone();
    interp.set_cell_end_hook(Some(Rc::new(move |interp: &mut Interpreter| show(&st, interp))));
}

/// Shows every open figure that has axes, in the order they were made, and closes them all.
fn show(state: &State, interp: &mut Interpreter) {
    let open = {
        let mut st = state.borrow_mut();
        st.current = None;
        std::mem::take(&mut st.open)
    };
    for f in open {
        let fig = f.borrow().fig.clone();
        if !fig.axes.is_empty() {
            interp.emit_figure(fig);
        }
    }
}

fn figsize(v: &Value) -> R<(f64, f64)> {
    let items: Vec<Value> = match v {
        Value::List(l) => l.borrow().clone(),
        Value::Tuple(t) => t.to_vec(),
        _ => return Err(Exception::type_error(format!("figsize must be a pair of numbers, not {}", v.type_name()))),
    };
    match items.as_slice() {
        [w, h] => Ok((w.expect_f64("width")?, h.expect_f64("height")?)),
        _ => Err(Exception::value_error("figure size must be a (width, height) pair")),
    }
}

/// A new open figure, made current.
fn new_figure(state: &State, size: Option<&Value>) -> R<FigRef> {
    let (w, h) = match size {
        Some(v) => figsize(v)?,
        None => {
            let rc = state.borrow().rc.clone();
            let v = match &rc {
                Value::Dict(d) => d.borrow().get(&Value::str("figure.figsize"))?,
                _ => None,
            };
            v.map(|v| figsize(&v)).transpose()?.unwrap_or((6.4, 4.8))
        }
    };
    let f = Rc::new(RefCell::new(FigState { fig: Figure::new(w, h), current: None }));
    let mut st = state.borrow_mut();
    st.open.push(f.clone());
    st.current = Some(f.clone());
    Ok(f)
}

fn gcf(state: &State) -> R<FigRef> {
    let current = state.borrow().current.clone();
    match current {
        Some(f) => Ok(f),
        None => new_figure(state, None),
    }
}

/// The current axes of `fig`, made if it has none (`subplot(111)`).
fn gca_of(fig: &FigRef) -> PyAxes {
    let mut st = fig.borrow_mut();
    let index = match st.current {
        Some(i) => i,
        None => {
            let mut ax = Axes::new(Axes::grid_rect(1, 1, 0));
            ax.grid = Some((1, 1, 0));
            st.fig.axes.push(ax);
            let i = st.fig.axes.len() - 1;
            st.current = Some(i);
            i
        }
    };
    PyAxes { fig: fig.clone(), index }
}

fn gca(state: &State) -> R<PyAxes> {
    Ok(gca_of(&gcf(state)?))
}

/// The axes at cell `index` (from 0) of a rows×cols grid of `fig`, made if missing; current.
fn subplot_of(fig: &FigRef, rows: usize, cols: usize, index: usize) -> PyAxes {
    let mut st = fig.borrow_mut();
    let found = st.fig.axes.iter().position(|a| a.grid == Some((rows, cols, index)));
    let i = found.unwrap_or_else(|| {
        let mut ax = Axes::new(Axes::grid_rect(rows, cols, index));
        ax.grid = Some((rows, cols, index));
        st.fig.axes.push(ax);
        st.fig.axes.len() - 1
    });
    st.current = Some(i);
    PyAxes { fig: fig.clone(), index: i }
}

/// `subplot(2, 2, 1)` or `subplot(221)`: rows, columns and the index from 0.
fn subplot_spec(args: &Args) -> R<(usize, usize, usize)> {
    let ints: Vec<i64> = args.pos.iter().map(|v| v.expect_int("pos")).collect::<R<_>>()?;
    let (r, c, i) = match ints.as_slice() {
        [] => (1, 1, 1),
        [n] if (111..=999).contains(n) => (n / 100, n / 10 % 10, n % 10),
        [n] => {
            return Err(Exception::value_error(format!(
                "Integer subplot specification must be a three-digit number, not {n}"
            )));
        }
        [r, c, i] => (*r, *c, *i),
        _ => {
            return Err(Exception::type_error(format!(
                "subplot() takes 1 or 3 positional arguments but {} were given",
                ints.len()
            )));
        }
    };
    if r < 1 || c < 1 {
        return Err(Exception::value_error(format!("Number of rows must be a positive integer, not {r}")));
    }
    if i < 1 || i > r * c {
        return Err(Exception::value_error(format!("num must be an integer with 1 <= num <= {}, not {i}", r * c)));
    }
    Ok((r as usize, c as usize, (i - 1) as usize))
}

/// `subplots(nrows, ncols)` on a new figure: the figure and its axes (squeezed as NumPy does).
fn subplots(state: &State, interp: &mut Interpreter, args: &Args) -> R<Value> {
    let [nrows, ncols] = bind_prefix::<2>(args, &["nrows", "ncols"])?;
    let rows = nrows.map_or(Ok(1), |v| v.expect_int("nrows"))?.max(1) as usize;
    let cols = ncols.map_or(Ok(1), |v| v.expect_int("ncols"))?.max(1) as usize;
    let squeeze = kw(args, &["squeeze"]).is_none_or(|v| interp.truthy(v).unwrap_or(true));
    let fig = new_figure(state, kw(args, &["figsize"]))?;
    let mut axes = Vec::new();
    for i in 0..rows * cols {
        axes.push(Value::native(subplot_of(&fig, rows, cols, i)));
    }
    fig.borrow_mut().current = Some(0);
    let ax = if squeeze && rows * cols == 1 {
        axes.remove(0)
    } else if squeeze && (rows == 1 || cols == 1) {
        Value::native(AxesArray { shape: vec![rows * cols], items: axes })
    } else {
        Value::native(AxesArray { shape: vec![rows, cols], items: axes })
    };
    Ok(Value::tuple(vec![Value::native(PyFigure(fig)), ax]))
}

/// The first positional-or-keyword parameters of a call that takes many keywords we ignore.
fn bind_prefix<const N: usize>(args: &Args, names: &[&str; N]) -> R<[Option<Value>; N]> {
    let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
    for (i, v) in args.pos.iter().enumerate() {
        if i >= N {
            return Err(Exception::type_error(format!(
                "{}() takes {N} positional arguments but {} were given",
                args.fname,
                args.pos.len()
            )));
        }
        out[i] = Some(v.clone());
    }
    for (i, n) in names.iter().enumerate() {
        if let Some((_, v)) = args.kw.iter().find(|(k, _)| &**k == *n) {
            out[i] = Some(v.clone());
        }
    }
    Ok(out)
}

fn savefig_error(args: &Args) -> Exception {
    let path = args.pos.first().map(|v| v.to_str()).unwrap_or_default();
    crate::lang::files::permission_denied(&path, "lessons cannot write files; figures are shown in the page")
}

/// A pyplot function given pyplot's state.
type PyplotFn = Box<dyn Fn(&State, &mut Interpreter, Args) -> R<Value>>;

fn pyplot_module(state: &State) -> Module {
    let m = Module::new("matplotlib.pyplot");
    let def = |name: &str, f: PyplotFn| {
        let st = state.clone();
        m.set(name, Value::builtin(name, move |interp, args| f(&st, interp, args)));
    };
    def(
        "figure",
        Box::new(|st, _, args| {
            let size = kw(&args, &["figsize"]).cloned();
            Ok(Value::native(PyFigure(new_figure(st, size.as_ref())?)))
        }),
    );
    def("gcf", Box::new(|st, _, _| Ok(Value::native(PyFigure(gcf(st)?)))));
    def("gca", Box::new(|st, _, _| Ok(Value::native(gca(st)?))));
    def("subplots", Box::new(|st, interp, args| subplots(st, interp, &args)));
    def(
        "subplot",
        Box::new(|st, _, args| {
            let (r, c, i) = subplot_spec(&args)?;
            Ok(Value::native(subplot_of(&gcf(st)?, r, c, i)))
        }),
    );
    def(
        "show",
        Box::new(|st, interp, _| {
            show(st, interp);
            Ok(Value::None)
        }),
    );
    def(
        "close",
        Box::new(|st, _, args| {
            let mut s = st.borrow_mut();
            match args.pos.first() {
                None => {
                    if let Some(cur) = s.current.take() {
                        s.open.retain(|f| !Rc::ptr_eq(f, &cur));
                    }
                    s.current = s.open.last().cloned();
                }
                Some(Value::Str(a)) if &**a == "all" => {
                    s.open.clear();
                    s.current = None;
                }
                Some(v) => {
                    if let Some(f) = v.downcast::<PyFigure>() {
                        s.open.retain(|g| !Rc::ptr_eq(g, &f.0));
                        if s.current.as_ref().is_some_and(|c| Rc::ptr_eq(c, &f.0)) {
                            s.current = s.open.last().cloned();
                        }
                    }
                }
            }
            Ok(Value::None)
        }),
    );
    def(
        "clf",
        Box::new(|st, _, _| {
            let f = gcf(st)?;
            let mut s = f.borrow_mut();
            s.fig.axes.clear();
            s.current = None;
            Ok(Value::None)
        }),
    );
    def(
        "tight_layout",
        Box::new(|st, _, _| {
            gcf(st)?.borrow_mut().fig.tight = true;
            Ok(Value::None)
        }),
    );
    def(
        "suptitle",
        Box::new(|st, _, args| {
            let [t] = bind_prefix::<1>(&args, &["t"])?;
            let t = t.map(|v| v.to_str()).unwrap_or_default();
            gcf(st)?.borrow_mut().fig.suptitle = Some(t.clone());
            Ok(TextObj::value("0.5", "0.98", &t))
        }),
    );
    def("savefig", Box::new(|_, _, args| Err(savefig_error(&args))));
    def(
        "colorbar",
        Box::new(|st, _, _| {
            let _ = gcf(st)?;
            Ok(Handle::value("matplotlib.colorbar.Colorbar", None, 0, None))
        }),
    );
    for name in ["pause", "draw", "subplots_adjust", "set_cmap", "rc", "switch_backend"] {
        def(name, Box::new(|_, _, _| Ok(Value::None)));
    }
    // Interactive mode changes nothing here; matplotlib hands back the ExitStack that would
    // restore the old mode (a notebook prints it when `plt.ion()` ends a cell).
    for name in ["ion", "ioff"] {
        def(name, Box::new(|_, _, _| Ok(Handle::value("contextlib.ExitStack", None, 0, None))));
    }
    for (py, method) in [
        ("plot", "plot"),
        ("scatter", "scatter"),
        ("contour", "contour"),
        ("hist", "hist"),
        ("bar", "bar"),
        ("barh", "barh"),
        ("fill_between", "fill_between"),
        ("stem", "stem"),
        ("imshow", "imshow"),
        ("matshow", "imshow"),
        ("title", "set_title"),
        ("xlabel", "set_xlabel"),
        ("ylabel", "set_ylabel"),
        ("xscale", "set_xscale"),
        ("yscale", "set_yscale"),
        ("legend", "legend"),
        ("grid", "grid"),
        ("axis", "axis"),
        ("text", "text"),
        ("annotate", "annotate"),
        ("axhline", "axhline"),
        ("axvline", "axvline"),
        ("semilogy", "semilogy"),
        ("semilogx", "semilogx"),
        ("loglog", "loglog"),
        ("margins", "margins"),
        ("cla", "cla"),
        ("xlim", "xlim"),
        ("ylim", "ylim"),
        ("xticks", "xticks"),
        ("yticks", "yticks"),
    ] {
        def(
            py,
            Box::new(move |st, interp, args| {
                let ax = gca(st)?;
                axes::call(method, interp, &ax, args)
            }),
        );
    }
    m.set("rcParams", state.borrow().rc.clone());
    let cm = Module::new("matplotlib.cm");
    for name in crate::plot::colors::colormap_names() {
        cm.set(name, axes::colormap_value(name));
        cm.set(&format!("{name}_r"), axes::colormap_value(&format!("{name}_r")));
    }
    let cm = Value::Module(Rc::new(cm));
    m.set("cm", cm);
    m.set(
        "get_cmap",
        Value::builtin("get_cmap", |_, args| {
            let [name] = args.bind(&["name="])?;
            let name = name.map(|v| v.to_str()).unwrap_or_else(|| "viridis".into());
            axes::colormap_arg(&Value::str(&name)).map(|_| axes::colormap_value(&name))
        }),
    );
    let style = Module::new("matplotlib.style");
    style.set("use", Value::builtin("use", |_, _| Ok(Value::None)));
    m.set("style", Value::Module(Rc::new(style)));
    m
}

/// A `matplotlib.figure.Figure`.
pub struct PyFigure(pub FigRef);

impl NativeObject for PyFigure {
    fn type_name(&self) -> &str {
        "Figure"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.figure")
    }
    fn repr(&self) -> String {
        let st = self.0.borrow();
        let g = |v: f64| crate::lang::format::format_float(v * 100.0, "g").unwrap_or_default();
        format!("<Figure size {}x{} with {} Axes>", g(st.fig.width), g(st.fig.height), st.fig.axes.len())
    }
    fn str(&self) -> String {
        let st = self.0.borrow();
        let g = |v: f64| crate::lang::format::format_float(v * 100.0, "g").unwrap_or_default();
        format!("Figure({}x{})", g(st.fig.width), g(st.fig.height))
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let method = |name: &'static str, f: fn(&FigRef, &mut Interpreter, Args) -> R<Value>| {
            Value::method(this.clone(), name, move |interp, args| {
                let fig = args.this_native::<PyFigure>()?.0.clone();
                f(&fig, interp, args)
            })
        };
        Ok(Some(match name {
            "add_subplot" => method("add_subplot", |fig, _, args| {
                let (r, c, i) = subplot_spec(&args)?;
                let ax = subplot_of(fig, r, c, i);
                if mplot3d::projection(&args)? {
                    mplot3d::make_3d(&ax);
                }
                Ok(Value::native(ax))
            }),
            "add_axes" => method("add_axes", |fig, interp, args| {
                let [rect] = bind_prefix::<1>(&args, &["rect"])?;
                let r = convert::vector(interp, &rect.unwrap_or(Value::None))?;
                if r.len() != 4 {
                    return Err(Exception::value_error("rect must be (left, bottom, width, height)"));
                }
                let mut st = fig.borrow_mut();
                st.fig.axes.push(Axes::new([r[0], r[1], r[2], r[3]]));
                let i = st.fig.axes.len() - 1;
                st.current = Some(i);
                Ok(Value::native(PyAxes { fig: fig.clone(), index: i }))
            }),
            "gca" => method("gca", |fig, _, _| Ok(Value::native(gca_of(fig)))),
            "suptitle" => method("suptitle", |fig, _, args| {
                let [t] = bind_prefix::<1>(&args, &["t"])?;
                let t = t.map(|v| v.to_str()).unwrap_or_default();
                fig.borrow_mut().fig.suptitle = Some(t.clone());
                Ok(TextObj::value("0.5", "0.98", &t))
            }),
            "tight_layout" => method("tight_layout", |fig, _, _| {
                fig.borrow_mut().fig.tight = true;
                Ok(Value::None)
            }),
            "set_size_inches" => method("set_size_inches", |fig, interp, args| {
                let [w, h] = bind_prefix::<2>(&args, &["w", "h"])?;
                let (w, h) = match (w, h) {
                    (Some(w), Some(h)) => (w.expect_f64("w")?, h.expect_f64("h")?),
                    (Some(pair), None) => {
                        let v = convert::vector(interp, &pair)?;
                        (v.first().copied().unwrap_or(6.4), v.get(1).copied().unwrap_or(4.8))
                    }
                    _ => {
                        return Err(Exception::type_error(
                            "set_size_inches() missing 1 required positional argument: 'w'",
                        ));
                    }
                };
                let mut st = fig.borrow_mut();
                st.fig.width = w;
                st.fig.height = h;
                Ok(Value::None)
            }),
            "savefig" => method("savefig", |_, _, args| Err(savefig_error(&args))),
            "colorbar" => {
                method("colorbar", |_, _, _| Ok(Handle::value("matplotlib.colorbar.Colorbar", None, 0, None)))
            }
            "subplots_adjust" | "show" | "set_facecolor" | "align_labels" => {
                method("subplots_adjust", |_, _, _| Ok(Value::None))
            }
            "clf" => method("clf", |fig, _, _| {
                let mut st = fig.borrow_mut();
                st.fig.axes.clear();
                st.current = None;
                Ok(Value::None)
            }),
            "axes" => {
                let n = self.0.borrow().fig.axes.len();
                Value::list((0..n).map(|i| Value::native(PyAxes { fig: self.0.clone(), index: i })).collect())
            }
            _ => return Ok(None),
        }))
    }
}
