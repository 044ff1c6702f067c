//! `matplotlib.axes.Axes`: what draws (plot, scatter, hist, bar, imshow, text, axhline...) and
//! what decorates (titles, labels, limits, scales, ticks, legend, grid), as methods of an
//! `Axes` object and, through `call`, as pyplot's functions on the current axes.

use super::FigRef;
use super::convert::{self, Array, R, kw, kw_f64, kw_str};
use super::objects::{BarContainer, Handle, NdArray, NpFloat, TextObj};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Value};
use crate::plot::colors::{self, Colormap, Rgba};
use crate::plot::figure::{
    Artist, Axes, Bars, Image, Legend, LegendLoc, Line, LineStyle, Marker, Scale, Scatter, Span, Text,
};

/// An axes of a figure.
pub struct PyAxes {
    pub fig: FigRef,
    pub index: usize,
}

const METHODS: &[&str] = &[
    "plot",
    "scatter",
    "contour",
    "hist",
    "plot_wireframe",
    "set_zticks",
    "set_zlabel",
    "set_zlim",
    "annotate",
    "fill_between",
    "stem",
    "bar",
    "barh",
    "imshow",
    "matshow",
    "set_title",
    "set_xlabel",
    "set_ylabel",
    "get_title",
    "get_xlabel",
    "get_ylabel",
    "set_xlim",
    "set_ylim",
    "get_xlim",
    "get_ylim",
    "set_xscale",
    "set_yscale",
    "legend",
    "grid",
    "axis",
    "text",
    "add_patch",
    "axhline",
    "axvline",
    "set_xticks",
    "set_yticks",
    "set_xticklabels",
    "set_yticklabels",
    "cla",
    "clear",
    "set_aspect",
    "margins",
    "set",
    "set_axis_off",
    "set_axis_on",
    "invert_yaxis",
    "semilogy",
    "semilogx",
    "loglog",
    "tick_params",
    "get_legend_handles_labels",
    "twiny",
];

impl PyAxes {
    fn with<T>(&self, f: impl FnOnce(&mut Axes) -> T) -> T {
        f(&mut self.fig.borrow_mut().fig.axes[self.index])
    }

    fn read<T>(&self, f: impl FnOnce(&Axes) -> T) -> T {
        f(&self.fig.borrow().fig.axes[self.index])
    }

    /// Adds an artist; returns its index.
    pub(super) fn push(&self, a: Artist) -> usize {
        self.with(|ax| {
            ax.artists.push(a);
            ax.artists.len() - 1
        })
    }

    fn handle(&self, path: &'static str, artist: usize) -> Value {
        Handle::value(path, Some(self.fig.clone()), self.index, Some(artist))
    }

    /// A bar of the artist `artist` (a `Rectangle`, as `hist` and `bar` return them).
    pub(super) fn bar_handle(&self, artist: usize) -> Value {
        self.handle("matplotlib.patches.Rectangle", artist)
    }

    /// The axes' model, for the modules beside this one.
    pub(super) fn with_axes<T>(&self, f: impl FnOnce(&mut Axes) -> T) -> T {
        self.with(f)
    }

    /// A handle of the line `artist` of a 3-D axes.
    pub(super) fn line3d_handle(&self, artist: usize) -> Value {
        self.handle("mpl_toolkits.mplot3d.art3d.Line3D", artist)
    }

    /// A handle of a collection of lines ending with `artist` (`plot_wireframe`).
    pub(super) fn collection_handle(&self, artist: usize) -> Value {
        self.handle("mpl_toolkits.mplot3d.art3d.Line3DCollection", artist)
    }

    /// The colour the next artist takes from the axes' cycle.
    pub(super) fn next_color(&self) -> Rgba {
        self.with(|a| a.next_color())
    }

    /// The axes' length along x or y on the page, in points (for the tick locator).
    fn axis_length(&self, horizontal: bool) -> f64 {
        let st = self.fig.borrow();
        let r = st.fig.axes[self.index].rect;
        if horizontal { r[2] * st.fig.width * 72.0 } else { r[3] * st.fig.height * 72.0 }
    }
}

impl NativeObject for PyAxes {
    fn type_name(&self) -> &str {
        "Axes"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.axes._axes")
    }
    fn repr(&self) -> String {
        self.read(|ax| {
            let mut parts = Vec::new();
            if !ax.title.is_empty() {
                parts.push(format!("title={{'center': {}}}", Value::str(&ax.title).repr()));
            }
            if !ax.x.label.is_empty() {
                parts.push(format!("xlabel={}", Value::str(&ax.x.label).repr()));
            }
            if !ax.y.label.is_empty() {
                parts.push(format!("ylabel={}", Value::str(&ax.y.label).repr()));
            }
            format!("<Axes: {}>", parts.join(", "))
        })
    }
    fn set_attr(&self, _: &Value, name: &str, _: Value, _: &mut Interpreter) -> R<bool> {
        // `ax.dist = 12` (d2l's 3-D plots): the camera distance matplotlib 3.8 stopped reading.
        Ok(name == "dist")
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        if let Some(&m) = METHODS.iter().find(|m| **m == name) {
            return Ok(Some(Value::method(this.clone(), m, move |interp, args| {
                let ax = args.this_native::<PyAxes>()?;
                let ax = PyAxes { fig: ax.fig.clone(), index: ax.index };
                call(m, interp, &ax, args)
            })));
        }
        Ok(Some(match name {
            "axes" => this.clone(),
            "figure" => Value::native(super::PyFigure(self.fig.clone())),
            "transAxes" => Value::native(TransAxes),
            "transData" => Value::None,
            "xaxis" | "get_xaxis" | "yaxis" | "get_yaxis" => {
                let axis =
                    Value::native(AxisObj { fig: self.fig.clone(), index: self.index, horizontal: name.contains('x') });
                if name.starts_with("get_") {
                    Value::method(axis, name, |_, args| Ok(args.this.clone().unwrap_or(Value::None)))
                } else {
                    axis
                }
            }
            _ => return Ok(None),
        }))
    }
}

/// `ax.transAxes`: text coordinates as fractions of the axes.
struct TransAxes;

impl NativeObject for TransAxes {
    fn type_name(&self) -> &str {
        "BboxTransformTo"
    }
}

/// `ax.xaxis` / `ax.get_yaxis()`.
struct AxisObj {
    fig: FigRef,
    index: usize,
    horizontal: bool,
}

impl NativeObject for AxisObj {
    fn type_name(&self) -> &str {
        if self.horizontal { "XAxis" } else { "YAxis" }
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(Some(match name {
            "set_visible" => Value::method(this.clone(), "set_visible", |interp, args| {
                let [b] = args.bind(&["b"])?;
                let visible = interp.truthy(&b.unwrap_or(Value::Bool(true)))?;
                let a = args.this_native::<AxisObj>()?;
                let ax = &mut a.fig.borrow_mut().fig.axes[a.index];
                if a.horizontal {
                    ax.x.visible = visible
                } else {
                    ax.y.visible = visible
                }
                Ok(Value::None)
            }),
            "set_ticks"
            | "set_major_locator"
            | "set_major_formatter"
            | "set_tick_params"
            | "tick_top"
            | "tick_bottom" => Value::method(this.clone(), "set", |_, _| Ok(Value::None)),
            _ => return Ok(None),
        }))
    }
}

/// A colormap object (`plt.cm.gray`, `plt.get_cmap('viridis')`).
pub struct ColormapObj(pub String);

impl NativeObject for ColormapObj {
    fn type_name(&self) -> &str {
        "ListedColormap"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.colors")
    }
    fn repr_in(&self, this: &Value, _: &mut Interpreter) -> R<Option<String>> {
        Ok(Some(format!("<matplotlib.colors.ListedColormap object at {:#x}>", this.identity())))
    }
    fn get_attr(&self, _: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        Ok(match name {
            "name" => Some(Value::str(&self.0)),
            _ => None,
        })
    }
}

pub fn colormap_value(name: &str) -> Value {
    Value::native(ColormapObj(name.to_string()))
}

/// A `cmap=` argument: a name or a colormap object.
pub fn colormap_arg(v: &Value) -> R<Colormap> {
    let name = match v {
        Value::Str(s) => s.to_string(),
        other => match other.downcast::<ColormapObj>() {
            Some(c) => c.0.clone(),
            None => {
                return Err(Exception::type_error(format!(
                    "cmap must be a str or Colormap, not {}",
                    other.type_name()
                )));
            }
        },
    };
    colors::colormap(&name).ok_or_else(|| {
        let mut names: Vec<String> =
            colors::colormap_names().iter().flat_map(|n| [n.to_string(), format!("{n}_r")]).collect();
        names.sort();
        let list: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
        Exception::value_error(format!(
            "'{name}' is not a valid value for cmap; supported values are {}",
            list.join(", ")
        ))
    })
}

fn float_value(v: f64) -> Value {
    Value::native(NpFloat(v))
}

fn pair(a: f64, b: f64) -> Value {
    Value::tuple(vec![float_value(a), float_value(b)])
}

/// One Axes method (or the pyplot function that calls it on the current axes).
pub fn call(name: &str, interp: &mut Interpreter, ax: &PyAxes, args: Args) -> R<Value> {
    match name {
        "plot" if super::mplot3d::is_3d(ax) && args.pos.len() >= 3 => super::mplot3d::plot3d(interp, ax, &args),
        "plot" => plot(interp, ax, &args),
        "plot_wireframe" => super::mplot3d::wireframe(interp, ax, &args),
        "twiny" => Ok(twiny(ax)),
        "set_zticks" | "set_zlabel" | "set_zlim" => Ok(Value::None),
        "annotate" => super::annotate::annotate(interp, ax, &args),
        "semilogy" | "semilogx" | "loglog" => {
            ax.with(|a| {
                if name != "semilogx" {
                    a.y.scale = Scale::Log;
                }
                if name != "semilogy" {
                    a.x.scale = Scale::Log;
                }
            });
            plot(interp, ax, &args)
        }
        "scatter" => scatter(interp, ax, &args),
        "contour" => super::contour::contour(interp, ax, &args),
        "hist" => hist(interp, ax, &args),
        "bar" | "barh" => bar(interp, ax, &args, name == "bar"),
        "imshow" | "matshow" => imshow(interp, ax, &args),
        "add_patch" => super::patches::add_patch(ax, &args),
        "fill_between" => super::fill_stem::fill_between(interp, ax, &args),
        "stem" => super::fill_stem::stem(interp, ax, &args),
        "set_title" | "set_xlabel" | "set_ylabel" => {
            let label = args.pos.first().or_else(|| kw(&args, &["label", "xlabel", "ylabel"])).cloned();
            let Some(label) = label else {
                return Err(Exception::type_error(format!(
                    "{}() missing 1 required positional argument: 'label'",
                    args.fname
                )));
            };
            let text = interp.to_str(&label)?;
            let t = text.clone();
            ax.with(|a| match name {
                "set_title" => a.title = t,
                "set_xlabel" => a.x.label = t,
                _ => a.y.label = t,
            });
            let (x, y) = match name {
                "set_title" => ("0.5", "1.0"),
                "set_xlabel" => ("0.5", "0"),
                _ => ("0", "0.5"),
            };
            Ok(TextObj::value(x, y, &text))
        }
        "get_title" => Ok(Value::str(&ax.read(|a| a.title.clone()))),
        "get_xlabel" => Ok(Value::str(&ax.read(|a| a.x.label.clone()))),
        "get_ylabel" => Ok(Value::str(&ax.read(|a| a.y.label.clone()))),
        "set_xlim" | "set_ylim" | "xlim" | "ylim" => {
            limits(interp, ax, &args, name.contains('x'), name.starts_with("set_"))
        }
        "get_xlim" => Ok(ax.read(|a| {
            let (l, h) = a.view_limits(true);
            pair(l, h)
        })),
        "get_ylim" => Ok(ax.read(|a| {
            let (l, h) = a.view_limits(false);
            pair(l, h)
        })),
        "set_xscale" | "set_yscale" => {
            let [value] = args
                .bind(&["value", "*", "base=", "nonpositive="])
                .map(|[v, _, _]| [v])
                .or_else(|_| Ok::<_, Exception>([args.pos.first().cloned()]))?;
            let s = value.map(|v| v.to_str()).unwrap_or_default();
            let scale = match s.as_str() {
                "linear" => Scale::Linear,
                "log" => Scale::Log,
                other => {
                    return Err(Exception::value_error(format!(
                        "'{other}' is not a valid value for scale; supported values are 'asinh', 'function', 'functionlog', 'linear', 'log', 'logit', 'mercator', 'symlog'"
                    )));
                }
            };
            ax.with(|a| if name == "set_xscale" { a.x.scale = scale } else { a.y.scale = scale });
            Ok(Value::None)
        }
        "legend" => legend(interp, ax, &args),
        "get_legend_handles_labels" => {
            let (handles, labels): (Vec<Value>, Vec<Value>) = ax.read(|a| {
                a.artists
                    .iter()
                    .enumerate()
                    .filter_map(|(i, art)| {
                        art.label().filter(|l| !l.starts_with('_')).map(|l| (i, l.to_string(), path_of(art)))
                    })
                    .map(|(i, l, p)| (Handle::value(p, Some(ax.fig.clone()), ax.index, Some(i)), Value::str(&l)))
                    .unzip()
            });
            Ok(Value::tuple(vec![Value::list(handles), Value::list(labels)]))
        }
        "grid" => {
            let visible = match args.pos.first().or_else(|| kw(&args, &["visible", "b"])) {
                Some(v) => Some(interp.truthy(v)?),
                None => None,
            };
            let has_style = args.kw.iter().any(|(k, _)| !matches!(&**k, "visible" | "b" | "which" | "axis"));
            ax.with(|a| a.grid_lines = visible.unwrap_or(if has_style { true } else { !a.grid_lines }));
            Ok(Value::None)
        }
        "axis" => axis(interp, ax, &args),
        "set_axis_off" | "set_axis_on" => {
            ax.with(|a| a.frame_on = name == "set_axis_on");
            Ok(Value::None)
        }
        "invert_yaxis" => {
            ax.with(|a| a.y_inverted = !a.y_inverted);
            Ok(Value::None)
        }
        "text" => text(interp, ax, &args),
        "axhline" | "axvline" => {
            let horizontal = name == "axhline";
            let at = match args.pos.first().or_else(|| kw(&args, &[if horizontal { "y" } else { "x" }])) {
                // A one-element array or tensor is a number to matplotlib (`x=torch.mean(xs)`).
                Some(v) => match convert::array(interp, v) {
                    Ok(a) if a.data.len() == 1 && !matches!(v, Value::Str(_)) => a.data[0],
                    _ => v.expect_f64("y")?,
                },
                None => 0.0,
            };
            let color = match kw(&args, &["color", "c"]) {
                Some(c) => convert::color(interp, c)?,
                None => ax.with(|a| a.next_color()),
            };
            let style = kw_str(&args, &["linestyle", "ls"])?
                .map(|s| convert::line_style(&s))
                .transpose()?
                .unwrap_or(LineStyle::Solid);
            let alpha = kw_f64(&args, &["alpha"])?;
            let span = Span {
                horizontal,
                at,
                color: alpha.map_or(color, |a| color.with_alpha(a)),
                width: kw_f64(&args, &["linewidth", "lw"])?.unwrap_or(1.5),
                style,
                label: kw_str(&args, &["label"])?,
            };
            let i = ax.push(Artist::Span(span));
            Ok(ax.handle("matplotlib.lines.Line2D", i))
        }
        "set_xticks" | "set_yticks" | "xticks" | "yticks" => {
            ticks(interp, ax, &args, name.contains('x'), !name.starts_with("set_"))
        }
        "set_xticklabels" | "set_yticklabels" => {
            let horizontal = name == "set_xticklabels";
            let labels = match args.pos.first().or_else(|| kw(&args, &["labels"])) {
                Some(v) => interp.iterate(v)?.iter().map(|l| l.to_str()).collect::<Vec<_>>(),
                None => Vec::new(),
            };
            let len = ax.axis_length(horizontal);
            let locs: Vec<f64> = ax.read(|a| match &if horizontal { &a.x } else { &a.y }.ticks {
                Some(t) => t.iter().map(|t| t.0).collect(),
                None => a.ticks(horizontal, len).0.into_iter().map(|t| t.0).collect(),
            });
            let fixed: Vec<(f64, Option<String>)> =
                locs.iter().zip(&labels).map(|(t, l)| (*t, Some(l.clone()))).collect();
            ax.with(|a| if horizontal { a.x.ticks = Some(fixed) } else { a.y.ticks = Some(fixed) });
            Ok(Value::list(
                locs.iter()
                    .zip(&labels)
                    .map(|(t, l)| {
                        let p = crate::lang::format::float_repr(*t);
                        if horizontal { TextObj::value(&p, "0", l) } else { TextObj::value("0", &p, l) }
                    })
                    .collect(),
            ))
        }
        "cla" | "clear" => {
            ax.with(Axes::clear);
            Ok(Value::None)
        }
        "set_aspect" => {
            let equal = match args.pos.first() {
                Some(Value::Str(s)) => &**s == "equal",
                Some(v) => v.as_f64().is_some_and(|f| f == 1.0),
                None => false,
            };
            ax.with(|a| a.equal_aspect = equal);
            Ok(Value::None)
        }
        "margins" => {
            let m: Vec<f64> = args.pos.iter().map(|v| v.expect_f64("margin")).collect::<R<_>>()?;
            let (mx, my) = match m.as_slice() {
                [] => (kw_f64(&args, &["x"])?, kw_f64(&args, &["y"])?),
                [b] => (Some(*b), Some(*b)),
                [x, y, ..] => (Some(*x), Some(*y)),
            };
            ax.with(|a| {
                if let Some(x) = mx {
                    a.x.margin = x;
                }
                if let Some(y) = my {
                    a.y.margin = y;
                }
            });
            Ok(Value::None)
        }
        "set" => {
            let mut results = Vec::new();
            for (k, v) in args.kw.clone() {
                let method = match &*k {
                    "title" | "xlabel" | "ylabel" | "xlim" | "ylim" | "xscale" | "yscale" | "xticks" | "yticks"
                    | "aspect" => format!("set_{k}"),
                    other => {
                        return Err(Exception::new(
                            "AttributeError",
                            format!("Axes.set() got an unexpected keyword argument '{other}'"),
                        ));
                    }
                };
                let sub = Args::new(&method, vec![v]);
                results.push(call(&method, interp, ax, sub)?);
            }
            Ok(Value::list(results))
        }
        "tick_params" => Ok(Value::None),
        other => Err(Exception::new("AttributeError", format!("'Axes' object has no attribute '{other}'"))),
    }
}

fn path_of(a: &Artist) -> &'static str {
    match a {
        Artist::Line(_) | Artist::Span(_) => "matplotlib.lines.Line2D",
        Artist::Scatter(_) => "matplotlib.collections.PathCollection",
        Artist::Bars(_) => "matplotlib.container.BarContainer",
        Artist::Image(_) => "matplotlib.image.AxesImage",
        Artist::Text(_) => "matplotlib.text.Text",
        Artist::Patch(_) => "matplotlib.patches.Rectangle",
        Artist::Fill(_) => "matplotlib.collections.FillBetweenPolyCollection",
    }
}

const LINE_KWARGS: &[&str] = &[
    "color",
    "c",
    "linestyle",
    "ls",
    "linewidth",
    "lw",
    "marker",
    "markersize",
    "ms",
    "label",
    "alpha",
    "markerfacecolor",
    "mfc",
    "markeredgecolor",
    "mec",
    "zorder",
    "drawstyle",
    "markevery",
    "antialiased",
    "solid_capstyle",
    "dash_capstyle",
    "markeredgewidth",
    "mew",
    "scalex",
    "scaley",
    "data",
    "fillstyle",
];

/// `plot([x], y, [fmt], [x2], y2, [fmt2], ..., **kwargs)`: one Line2D per group and column.
/// `ax.twiny()`: a second axes over the same box with its own x axis, drawn along the top (the
/// chapter's "tokens seen" beside "epochs"). Its y axis is hidden rather than shared: it
/// autoscales to its own data (docs/divergences.md).
fn twiny(ax: &PyAxes) -> Value {
    let twin = ax.read(|a| {
        let mut t = Axes::new(a.rect);
        t.grid = a.grid;
        t.x_top = true;
        t.y.visible = false;
        t
    });
    let mut st = ax.fig.borrow_mut();
    st.fig.axes.push(twin);
    let index = st.fig.axes.len() - 1;
    drop(st);
    Value::native(PyAxes { fig: ax.fig.clone(), index })
}

fn plot(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    convert::check_kwargs(args, "Line2D", LINE_KWARGS)?;
    let mut groups: Vec<Vec<Value>> = Vec::new();
    let mut rest = &args.pos[..];
    while !rest.is_empty() {
        let take = rest.len().min(2);
        let mut g: Vec<Value> = rest[..take].to_vec();
        rest = &rest[take..];
        if let Some(Value::Str(_)) = rest.first() {
            g.push(rest[0].clone());
            rest = &rest[1..];
        }
        groups.push(g);
    }
    let mut lines = Vec::new();
    for mut g in groups {
        let fmt = match g.last() {
            Some(Value::Str(s)) => {
                let f = convert::fmt(s)?;
                g.pop();
                Some(f)
            }
            _ => None,
        };
        let (x, y) = match g.as_slice() {
            [y] => {
                let y = convert::array(interp, y)?;
                let n = y.len();
                (Array { shape: vec![n], data: (0..n).map(|i| i as f64).collect() }, y)
            }
            [x, y] => (convert::array(interp, x)?, convert::array(interp, y)?),
            _ => continue,
        };
        let x = if x.ndim() == 0 { Array { shape: vec![1], ..x } } else { x };
        let y = if y.ndim() == 0 { Array { shape: vec![1], ..y } } else { y };
        if x.len() != y.len() {
            return Err(Exception::value_error(format!(
                "x and y must have same first dimension, but have shapes {} and {}",
                x.shape_repr(),
                y.shape_repr()
            )));
        }
        if x.ndim() > 2 || y.ndim() > 2 {
            return Err(Exception::value_error(format!(
                "x and y can be no greater than 2D, but have shapes {} and {}",
                x.shape_repr(),
                y.shape_repr()
            )));
        }
        let (xc, yc) = (x.columns(), y.columns());
        let n = xc.len().max(yc.len());
        if xc.len() != yc.len() && xc.len() != 1 && yc.len() != 1 {
            return Err(Exception::value_error(format!("x has {} columns but y has {} columns", xc.len(), yc.len())));
        }
        for k in 0..n {
            let xs = xc[if xc.len() == 1 { 0 } else { k }].clone();
            let ys = yc[if yc.len() == 1 { 0 } else { k }].clone();
            let line = make_line(interp, ax, args, fmt.as_ref(), xs, ys)?;
            let i = ax.push(Artist::Line(line));
            lines.push(ax.handle("matplotlib.lines.Line2D", i));
        }
    }
    Ok(Value::list(lines))
}

pub(super) fn make_line(
    interp: &mut Interpreter,
    ax: &PyAxes,
    args: &Args,
    fmt: Option<&convert::Fmt>,
    xs: Vec<f64>,
    ys: Vec<f64>,
) -> R<Line> {
    let explicit = match kw(args, &["color", "c"]) {
        Some(c) => Some(convert::color(interp, c)?),
        None => fmt.and_then(|f| f.color),
    };
    let color = match explicit {
        Some(c) => c,
        None => ax.with(|a| a.next_color()),
    };
    let color = match kw_f64(args, &["alpha"])? {
        Some(a) => color.with_alpha(a),
        None => color,
    };
    let marker = match kw(args, &["marker"]) {
        Some(m) => convert::marker(m)?,
        None => fmt.and_then(|f| f.marker),
    };
    let style = match kw_str(args, &["linestyle", "ls"])? {
        Some(s) => convert::line_style(&s)?,
        None => match fmt {
            Some(f) => f.style.unwrap_or(if f.marker.is_some() { LineStyle::None } else { LineStyle::Solid }),
            None => LineStyle::Solid,
        },
    };
    let face = match kw(args, &["markerfacecolor", "mfc"]) {
        Some(Value::Str(s)) if &**s == "none" => Some(Rgba::WHITE.with_alpha(0.0)),
        Some(c) => Some(convert::color(interp, c)?),
        None => None,
    };
    Ok(Line {
        xs,
        ys,
        color,
        width: kw_f64(args, &["linewidth", "lw"])?.unwrap_or(1.5),
        style,
        marker,
        marker_size: kw_f64(args, &["markersize", "ms"])?.unwrap_or(6.0),
        marker_face: face,
        label: kw_str(args, &["label"])?,
    })
}

/// Maps values through a colormap between vmin and vmax (their data range by default).
fn map_colors(values: &[f64], cmap: Colormap, vmin: Option<f64>, vmax: Option<f64>) -> Vec<Rgba> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = vmin.unwrap_or_else(|| finite.clone().fold(f64::INFINITY, f64::min));
    let hi = vmax.unwrap_or_else(|| finite.fold(f64::NEG_INFINITY, f64::max));
    values
        .iter()
        .map(|&v| {
            let t = if hi > lo { (v - lo) / (hi - lo) } else { 0.0 };
            cmap.at(t)
        })
        .collect()
}

fn scatter(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let [x, y, s, c] = super::bind_prefix::<4>(args, &["x", "y", "s", "c"])?;
    let (Some(x), Some(y)) = (x, y) else {
        return Err(Exception::type_error("scatter() missing 2 required positional arguments: 'x' and 'y'"));
    };
    let xs = convert::vector(interp, &x)?;
    let ys = convert::vector(interp, &y)?;
    if xs.len() != ys.len() {
        return Err(Exception::value_error("x and y must be the same size"));
    }
    let sizes = match s {
        Some(v) if !v.is_none() => convert::vector(interp, &v)?,
        _ => vec![36.0],
    };
    let cmap = kw(args, &["cmap"])
        .map(colormap_arg)
        .transpose()?
        .unwrap_or_else(|| colors::colormap("viridis").expect("viridis is known"));
    let mut colors = match &c.filter(|v| !v.is_none()).or_else(|| kw(args, &["color"]).cloned()) {
        Some(Value::Str(s)) => vec![
            colors::parse(s).ok_or_else(|| Exception::value_error(format!("'{s}' is not a valid color value.")))?,
        ],
        Some(v) => match convert::color(interp, v) {
            Ok(c) => vec![c],
            Err(_) => {
                let vals = convert::vector(interp, v)?;
                if vals.len() != xs.len() {
                    return Err(Exception::value_error(format!(
                        "'c' argument has {} elements, which is inconsistent with 'x' and 'y' with size {}.",
                        vals.len(),
                        xs.len()
                    )));
                }
                map_colors(&vals, cmap, kw_f64(args, &["vmin"])?, kw_f64(args, &["vmax"])?)
            }
        },
        None => vec![ax.with(|a| a.next_color())],
    };
    if let Some(a) = kw_f64(args, &["alpha"])? {
        colors.iter_mut().for_each(|c| *c = c.with_alpha(a));
    }
    let marker = match kw(args, &["marker"]) {
        Some(m) => convert::marker(m)?.unwrap_or(Marker::Circle),
        None => Marker::Circle,
    };
    let edge = match kw(args, &["edgecolors", "edgecolor"]) {
        Some(Value::Str(s)) if &**s == "face" || &**s == "none" => None,
        Some(c) => Some(convert::color(interp, c)?),
        None => None,
    };
    let i = ax.push(Artist::Scatter(Scatter { xs, ys, sizes, colors, marker, edge, label: kw_str(args, &["label"])? }));
    Ok(ax.handle("matplotlib.collections.PathCollection", i))
}

/// NumPy's `histogram`: counts per bin (the last bin closed) and the bin edges.
pub(super) fn histogram(
    values: &[f64],
    bins: &Value,
    range: Option<(f64, f64)>,
    interp: &mut Interpreter,
) -> R<(Vec<f64>, Vec<f64>)> {
    let edges = match bins {
        Value::Int(_) | Value::Bool(_) => {
            let n = bins.expect_int("bins")?;
            if n < 1 {
                return Err(Exception::value_error("`bins` must be positive, when an integer"));
            }
            let n = n as usize;
            let (mut lo, mut hi) = range.unwrap_or_else(|| {
                let f = values.iter().copied().filter(|v| v.is_finite());
                (f.clone().fold(f64::INFINITY, f64::min), f.fold(f64::NEG_INFINITY, f64::max))
            });
            if lo > hi {
                (lo, hi) = (0.0, 1.0);
            }
            if lo == hi {
                lo -= 0.5;
                hi += 0.5;
            }
            let step = (hi - lo) / n as f64;
            let mut e: Vec<f64> = (0..=n).map(|i| lo + i as f64 * step).collect();
            e[n] = hi;
            e
        }
        Value::Str(s) => return Err(Exception::unsupported(format!("hist(bins='{s}')"))),
        other => convert::vector(interp, other)?,
    };
    if edges.len() < 2 {
        return Err(Exception::value_error("`bins` must have at least one edge pair"));
    }
    let nb = edges.len() - 1;
    let mut counts = vec![0.0; nb];
    let (first, last) = (edges[0], edges[nb]);
    for &v in values {
        if !(v >= first && v <= last) {
            continue;
        }
        // The bin whose half-open interval holds v; the last bin also holds its right edge.
        let i = edges.partition_point(|&e| e <= v).saturating_sub(1).min(nb - 1);
        counts[i] += 1.0;
    }
    Ok((counts, edges))
}

fn hist(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let [x, bins] = super::bind_prefix::<2>(args, &["x", "bins"])?;
    let Some(x) = x else {
        return Err(Exception::type_error("hist() missing 1 required positional argument: 'x'"));
    };
    if let Some(sets) = super::hist_multi::datasets(interp, &x)? {
        return super::hist_multi::hist_datasets(interp, ax, args, sets, bins);
    }
    let data = convert::array(interp, &x)?;
    if data.ndim() == 2 && data.shape[1] > 1 {
        return Err(Exception::unsupported("hist() of several datasets (a 2-D array)"));
    }
    let range = match kw(args, &["range"]) {
        Some(r) => {
            let v = convert::vector(interp, r)?;
            Some((v.first().copied().unwrap_or(0.0), v.get(1).copied().unwrap_or(1.0)))
        }
        None => None,
    };
    let (mut counts, edges) = histogram(&data.data, &bins.unwrap_or(Value::Int(10)), range, interp)?;
    if let Some(w) = kw(args, &["weights"]) {
        let w = convert::vector(interp, w)?;
        counts = vec![0.0; edges.len() - 1];
        let nb = counts.len();
        for (v, wt) in data.data.iter().zip(&w) {
            if *v >= edges[0] && *v <= edges[nb] {
                let i = edges.partition_point(|&e| e <= *v).saturating_sub(1).min(nb - 1);
                counts[i] += wt;
            }
        }
    }
    if let Some(d) = kw(args, &["density"])
        && interp.truthy(d)?
    {
        let total: f64 = counts.iter().sum();
        for (i, c) in counts.iter_mut().enumerate() {
            *c /= total * (edges[i + 1] - edges[i]);
        }
    }
    let color = match kw(args, &["color"]) {
        Some(c) => convert::color(interp, c)?,
        None => ax.with(|a| a.next_color()),
    };
    let color = kw_f64(args, &["alpha"])?.map_or(color, |a| color.with_alpha(a));
    let edge = kw(args, &["edgecolor", "ec"]).map(|c| convert::color(interp, c)).transpose()?;
    let horizontal = kw_str(args, &["orientation"])?.as_deref() == Some("horizontal");
    let rects: Vec<[f64; 4]> = counts
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let (a, w) = (edges[i], edges[i + 1] - edges[i]);
            if horizontal { [0.0, a, c, w] } else { [a, 0.0, w, c] }
        })
        .collect();
    let n = rects.len();
    let i = ax.push(Artist::Bars(Bars {
        rects,
        colors: vec![color],
        edge,
        vertical: !horizontal,
        label: kw_str(args, &["label"])?,
    }));
    let bars = (0..n).map(|_| ax.handle("matplotlib.patches.Rectangle", i)).collect();
    Ok(Value::tuple(vec![
        Value::native(NdArray(counts)),
        Value::native(NdArray(edges)),
        Value::native(BarContainer { bars }),
    ]))
}

/// `bar(x, height, width=0.8, bottom=0)` and `barh(y, width, height=0.8, left=0)`.
fn bar(interp: &mut Interpreter, ax: &PyAxes, args: &Args, vertical: bool) -> R<Value> {
    let names: [&str; 4] = if vertical { ["x", "height", "width", "bottom"] } else { ["y", "width", "height", "left"] };
    let [pos, length, thickness, base] = super::bind_prefix::<4>(args, &names)?;
    let (Some(pos), Some(length)) = (pos, length) else {
        return Err(Exception::type_error(format!("{}() missing required positional arguments", args.fname)));
    };
    let cats = convert::categories(interp, &pos);
    let positions = match &cats {
        Some(c) => (0..c.len()).map(|i| i as f64).collect(),
        None => convert::vector(interp, &pos)?,
    };
    let lengths = convert::vector(interp, &length)?;
    let thick = thickness
        .filter(|v| !v.is_none())
        .map(|v| convert::vector(interp, &v))
        .transpose()?
        .unwrap_or_else(|| vec![0.8]);
    let bases =
        base.filter(|v| !v.is_none()).map(|v| convert::vector(interp, &v)).transpose()?.unwrap_or_else(|| vec![0.0]);
    let n = positions.len().max(lengths.len());
    let get = |v: &[f64], i: usize| if v.len() == 1 { v[0] } else { v.get(i).copied().unwrap_or(f64::NAN) };
    for v in [&positions, &lengths, &thick, &bases] {
        if v.len() != 1 && v.len() != n {
            return Err(Exception::value_error(format!(
                "shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is between arg 0 with shape ({},) and arg 1 with shape ({},).",
                positions.len(),
                lengths.len()
            )));
        }
    }
    let align_edge = kw_str(args, &["align"])?.as_deref() == Some("edge");
    let rects: Vec<[f64; 4]> = (0..n)
        .map(|i| {
            let (p, l, t, b) = (get(&positions, i), get(&lengths, i), get(&thick, i), get(&bases, i));
            let start = if align_edge { p } else { p - t / 2.0 };
            if vertical { [start, b, t, l] } else { [b, start, l, t] }
        })
        .collect();
    let colors = match kw(args, &["color"]) {
        Some(c @ Value::List(_)) => {
            let mut out = Vec::new();
            for item in interp.iterate(c)? {
                out.push(convert::color(interp, &item)?);
            }
            out
        }
        Some(c) => vec![convert::color(interp, c)?],
        None => vec![ax.with(|a| a.next_color())],
    };
    let alpha = kw_f64(args, &["alpha"])?;
    let colors = colors.into_iter().map(|c| alpha.map_or(c, |a| c.with_alpha(a))).collect();
    let edge = kw(args, &["edgecolor", "ec"]).map(|c| convert::color(interp, c)).transpose()?;
    let labels = match kw(args, &["tick_label"]) {
        Some(v) => Some(interp.iterate(v)?.iter().map(|l| l.to_str()).collect::<Vec<_>>()),
        None => cats,
    };
    let i = ax.push(Artist::Bars(Bars { rects, colors, edge, vertical, label: kw_str(args, &["label"])? }));
    if let Some(labels) = labels {
        let fixed: Vec<(f64, Option<String>)> = positions.iter().zip(labels).map(|(p, l)| (*p, Some(l))).collect();
        ax.with(|a| if vertical { a.x.ticks = Some(fixed) } else { a.y.ticks = Some(fixed) });
    }
    let bars = (0..n).map(|_| ax.handle("matplotlib.patches.Rectangle", i)).collect();
    Ok(Value::native(BarContainer { bars }))
}

fn imshow(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let [x] = super::bind_prefix::<1>(args, &["X"])?;
    let Some(x) = x else {
        return Err(Exception::type_error("imshow() missing 1 required positional argument: 'X'"));
    };
    let a = convert::array(interp, &x)?;
    let (rows, cols, channels) = match a.shape.as_slice() {
        [r, c] => (*r, *c, 1),
        [r, c, ch] if *ch == 3 || *ch == 4 => (*r, *c, *ch),
        _ => return Err(Exception::type_error(format!("Invalid shape {} for image data", a.shape_repr()))),
    };
    let pixels: Vec<Rgba> = if channels == 1 {
        let cmap = match kw(args, &["cmap"]) {
            Some(c) => colormap_arg(c)?,
            None => colors::colormap("viridis").expect("viridis is known"),
        };
        map_colors(&a.data, cmap, kw_f64(args, &["vmin"])?, kw_f64(args, &["vmax"])?)
    } else {
        // Integer data (0..255) or floats (0..1), as NumPy's dtype would tell matplotlib.
        let ints = a.data.iter().all(|v| v.fract() == 0.0) && a.data.iter().any(|&v| v > 1.0);
        let scale = if ints { 255.0 } else { 1.0 };
        a.data
            .chunks(channels)
            .map(|p| Rgba { r: p[0] / scale, g: p[1] / scale, b: p[2] / scale, a: p.get(3).map_or(1.0, |v| v / scale) })
            .collect()
    };
    let alpha = kw_f64(args, &["alpha"])?;
    let pixels = pixels.into_iter().map(|p| alpha.map_or(p, |al| p.with_alpha(p.a * al))).collect();
    let lower = kw_str(args, &["origin"])?.as_deref() == Some("lower");
    let (r, c) = (rows as f64, cols as f64);
    let extent = match kw(args, &["extent"]) {
        Some(e) => {
            let v = convert::vector(interp, e)?;
            if v.len() != 4 {
                return Err(Exception::value_error("extent must be (left, right, bottom, top)"));
            }
            [v[0], v[1], v[2], v[3]]
        }
        None if lower => [-0.5, c - 0.5, -0.5, r - 0.5],
        None => [-0.5, c - 0.5, r - 0.5, -0.5],
    };
    let auto_aspect = kw_str(args, &["aspect"])?.as_deref() == Some("auto");
    let image =
        Image { rows, cols, pixels, extent: if lower { [extent[0], extent[1], extent[3], extent[2]] } else { extent } };
    let i = ax.with(|ax| {
        ax.equal_aspect = !auto_aspect;
        ax.y_inverted = !lower;
        ax.artists.push(Artist::Image(image));
        ax.artists.len() - 1
    });
    Ok(ax.handle("matplotlib.image.AxesImage", i))
}

/// `set_xlim(left, right)` / `xlim(...)`: set (returning the new limits) or, for pyplot's
/// form without arguments, get.
fn limits(interp: &mut Interpreter, ax: &PyAxes, args: &Args, horizontal: bool, setter: bool) -> R<Value> {
    let names = if horizontal { ["left", "right", "xmin", "xmax"] } else { ["bottom", "top", "ymin", "ymax"] };
    let mut lo = args.pos.first().cloned().or_else(|| kw(args, &[names[0], names[2]]).cloned());
    let mut hi = args.pos.get(1).cloned().or_else(|| kw(args, &[names[1], names[3]]).cloned());
    if hi.is_none()
        && let Some(v) = lo.clone()
        && matches!(v, Value::List(_) | Value::Tuple(_))
    {
        let items = interp.iterate(&v)?;
        lo = items.first().cloned();
        hi = items.get(1).cloned();
    }
    if !setter && lo.is_none() && hi.is_none() {
        return Ok(ax.read(|a| {
            let (l, h) = a.view_limits(horizontal);
            pair(l, h)
        }));
    }
    let num =
        |v: Option<Value>| -> R<Option<f64>> { v.filter(|v| !v.is_none()).map(|v| v.expect_f64("limit")).transpose() };
    let (l, h) = (num(lo)?, num(hi)?);
    ax.with(|a| {
        let axis = if horizontal { &mut a.x } else { &mut a.y };
        if l.is_some() {
            axis.lim.0 = l;
        }
        if h.is_some() {
            axis.lim.1 = h;
        }
    });
    let (cl, ch) = ax.read(|a| a.view_limits(horizontal));
    let show = |given: Option<f64>, current: f64| match given {
        Some(v) => Value::Float(v),
        None => float_value(current),
    };
    // An inverted y axis reports its limits top-first; set limits come back as given.
    Ok(Value::tuple(vec![show(l, cl), show(h, ch)]))
}

fn axis(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    match args.pos.first() {
        Some(Value::Str(s)) => match &**s {
            "off" => ax.with(|a| a.frame_on = false),
            "on" => ax.with(|a| a.frame_on = true),
            "equal" | "scaled" | "image" | "square" => ax.with(|a| a.equal_aspect = true),
            "tight" => ax.with(|a| {
                a.x.margin = 0.0;
                a.y.margin = 0.0;
            }),
            "auto" | "normal" => ax.with(|a| a.equal_aspect = false),
            other => {
                return Err(Exception::value_error(format!(
                    "Unrecognized string '{other}' to axis; try 'on' or 'off'"
                )));
            }
        },
        Some(v @ (Value::List(_) | Value::Tuple(_))) => {
            let l = convert::vector(interp, v)?;
            if l.len() != 4 {
                return Err(Exception::type_error(
                    "The first argument to axis() must be an iterable of the form [xmin, xmax, ymin, ymax]",
                ));
            }
            ax.with(|a| {
                a.x.lim = (Some(l[0]), Some(l[1]));
                a.y.lim = (Some(l[2]), Some(l[3]));
            });
        }
        _ => {}
    }
    Ok(ax.read(|a| {
        let (x0, x1) = a.view_limits(true);
        let (y0, y1) = a.view_limits(false);
        Value::tuple(vec![float_value(x0), float_value(x1), float_value(y0), float_value(y1)])
    }))
}

fn text(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let [x, y, s] = super::bind_prefix::<3>(args, &["x", "y", "s"])?;
    let (Some(x), Some(y), Some(s)) = (x, y, s) else {
        return Err(Exception::type_error("text() missing 3 required positional arguments: 'x', 'y', and 's'"));
    };
    let (xr, yr) = (interp.repr(&x)?, interp.repr(&y)?);
    let s = interp.to_str(&s)?;
    let color = match kw(args, &["color", "c"]) {
        Some(c) => convert::color(interp, c)?,
        None => Rgba::BLACK,
    };
    let size = match kw(args, &["fontsize", "size"]) {
        Some(Value::Str(s)) => match &**s {
            "xx-small" => 5.79,
            "x-small" => 6.94,
            "small" => 8.33,
            "large" => 12.0,
            "x-large" => 14.4,
            "xx-large" => 17.28,
            _ => 10.0,
        },
        Some(v) => v.expect_f64("fontsize")?,
        None => 10.0,
    };
    let t = Text {
        x: x.expect_f64("x")
            .or_else(|_| convert::vector(interp, &x).map(|v| v.first().copied().unwrap_or(f64::NAN)))?,
        y: y.expect_f64("y")
            .or_else(|_| convert::vector(interp, &y).map(|v| v.first().copied().unwrap_or(f64::NAN)))?,
        text: s.clone(),
        color,
        size,
        ha: kw_str(args, &["ha", "horizontalalignment"])?.unwrap_or_else(|| "left".into()),
        va: kw_str(args, &["va", "verticalalignment"])?.unwrap_or_else(|| "baseline".into()),
        axes_coords: kw(args, &["transform"]).is_some_and(|t| t.downcast::<TransAxes>().is_some()),
        bbox: match kw(args, &["bbox"]) {
            Some(b) => super::patches::bbox_face(interp, b)?,
            None => None,
        },
    };
    ax.push(Artist::Text(t));
    Ok(TextObj::value(&xr, &yr, &s))
}

/// `legend()`, `legend(labels)`, `legend(handles, labels)`, with `loc=` and `title=`.
fn legend(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let loc = match kw(args, &["loc"]) {
        None => LegendLoc::Best,
        Some(Value::Int(i)) => legend_loc_index(*i)?,
        Some(v) => {
            let s = v.to_str();
            legend_loc(&s).ok_or_else(|| {
                Exception::value_error(format!(
                    "'{s}' is not a valid value for loc; supported values are 'best', 'upper right', 'upper left', 'lower left', 'lower right', 'right', 'center left', 'center right', 'lower center', 'upper center', 'center'"
                ))
            })?
        }
    };
    let handles_arg = kw(args, &["handles"]).cloned();
    let labels_arg = kw(args, &["labels"]).cloned();
    let (handles, labels) = match (args.pos.as_slice(), handles_arg, labels_arg) {
        ([h, l], _, _) => (Some(h.clone()), Some(l.clone())),
        ([l], None, _) => (None, Some(l.clone())),
        ([], h, l) => (h, l),
        _ => (None, None),
    };
    let handle_indices: Option<Vec<usize>> = match &handles {
        Some(h) => {
            let mut out = Vec::new();
            for v in interp.iterate(h)? {
                // plot() returns a list of lines; `legend(handles=[l1, l2])` may get either.
                let items = if let Value::List(_) = v { interp.iterate(&v)? } else { vec![v] };
                for item in items {
                    if let Some(i) = item.downcast::<Handle>().and_then(|h| h.artist) {
                        out.push(i);
                    }
                }
            }
            Some(out)
        }
        None => None,
    };
    let labels: Option<Vec<String>> = match labels {
        Some(l) => {
            let items = interp.iterate(&l)?;
            let mut out = Vec::new();
            for i in items {
                out.push(interp.to_str(&i)?);
            }
            Some(out)
        }
        None => None,
    };
    let title = kw_str(args, &["title"])?;
    ax.with(|a| {
        let drawable: Vec<usize> =
            (0..a.artists.len()).filter(|&i| !matches!(a.artists[i], Artist::Text(_) | Artist::Image(_))).collect();
        let entries: Vec<(String, usize)> = match (handle_indices, labels) {
            (Some(h), Some(l)) => l.into_iter().zip(h).collect(),
            (Some(h), None) => h
                .into_iter()
                .filter_map(|i| a.artists.get(i).and_then(|x| x.label()).map(|l| (l.to_string(), i)))
                .collect(),
            (None, Some(l)) => l.into_iter().zip(drawable).collect(),
            (None, None) => drawable
                .into_iter()
                .filter_map(|i| a.artists[i].label().filter(|l| !l.starts_with('_')).map(|l| (l.to_string(), i)))
                .collect(),
        };
        for (label, i) in &entries {
            a.artists[*i].set_label(label.clone());
        }
        a.legend = Some(Legend { loc, entries, title });
    });
    Ok(Handle::value("matplotlib.legend.Legend", Some(ax.fig.clone()), ax.index, None))
}

fn legend_loc(s: &str) -> Option<LegendLoc> {
    Some(match s {
        "best" => LegendLoc::Best,
        "upper right" => LegendLoc::UpperRight,
        "upper left" => LegendLoc::UpperLeft,
        "lower left" => LegendLoc::LowerLeft,
        "lower right" => LegendLoc::LowerRight,
        "right" => LegendLoc::Right,
        "center left" => LegendLoc::CenterLeft,
        "center right" => LegendLoc::CenterRight,
        "lower center" => LegendLoc::LowerCenter,
        "upper center" => LegendLoc::UpperCenter,
        "center" => LegendLoc::Center,
        _ => return None,
    })
}

fn legend_loc_index(i: i64) -> R<LegendLoc> {
    let names = [
        "best",
        "upper right",
        "upper left",
        "lower left",
        "lower right",
        "right",
        "center left",
        "center right",
        "lower center",
        "upper center",
        "center",
    ];
    names.get(usize::try_from(i).unwrap_or(usize::MAX)).and_then(|n| legend_loc(n)).ok_or_else(|| {
        Exception::value_error(format!("loc must be string, coordinate tuple, or an integer 0-10, not {i}"))
    })
}

/// `set_xticks(ticks, labels=None)` and pyplot's `xticks(ticks=None, labels=None)`, which
/// returns the tick objects and their label Texts.
fn ticks(interp: &mut Interpreter, ax: &PyAxes, args: &Args, horizontal: bool, pyplot: bool) -> R<Value> {
    let [locs, labels] = super::bind_prefix::<2>(args, &["ticks", "labels"])?;
    let locs = locs.filter(|v| !v.is_none()).map(|v| convert::vector(interp, &v)).transpose()?;
    let labels = match labels.filter(|v| !v.is_none()) {
        Some(l) => {
            let mut out = Vec::new();
            for i in interp.iterate(&l)? {
                out.push(interp.to_str(&i)?);
            }
            Some(out)
        }
        None => None,
    };
    if let Some(locs) = &locs {
        let fixed: Vec<(f64, Option<String>)> =
            locs.iter().enumerate().map(|(i, t)| (*t, labels.as_ref().and_then(|l| l.get(i).cloned()))).collect();
        ax.with(|a| if horizontal { a.x.ticks = Some(fixed) } else { a.y.ticks = Some(fixed) });
    }
    let len = ax.axis_length(horizontal);
    let shown = ax.read(|a| a.ticks(horizontal, len).0);
    let tick_path = if horizontal { "matplotlib.axis.XTick" } else { "matplotlib.axis.YTick" };
    if !pyplot {
        return Ok(Value::list(shown.iter().map(|_| Handle::value(tick_path, None, 0, None)).collect()));
    }
    let texts = shown
        .iter()
        .map(|(t, l)| {
            let label = match l {
                crate::plot::figure::TickLabel::Plain(s) => s.clone(),
                crate::plot::figure::TickLabel::Power(b, e) => format!("$\\mathdefault{{{b}^{{{e}}}}}$"),
            };
            let p = crate::lang::format::float_repr(*t);
            let p = p.strip_suffix(".0").unwrap_or(&p).to_string();
            if horizontal { TextObj::value(&p, "0", &label) } else { TextObj::value("0", &p, &label) }
        })
        .collect();
    let handles = shown.iter().map(|_| Handle::value(tick_path, None, 0, None)).collect();
    Ok(Value::tuple(vec![Value::list(handles), Value::list(texts)]))
}
