//! `fill_between` (a filled polygon between two curves, drawn in the next colour of the
//! cycle) and `stem` (a marker per point on a vertical line from the baseline, matplotlib's
//! default `C0` stems and markers and its `C3` baseline), as Axes methods and pyplot functions.

use super::axes::PyAxes;
use super::convert::{self, R, kw};
use super::objects::Handle;
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Value};
use crate::plot::colors;
use crate::plot::figure::{Artist, Fill, Line, LineStyle, Marker};

/// The keywords `fill_between` takes besides PolyCollection properties it ignores here.
const FILL_KWARGS: &[&str] = &[
    "y2",
    "where",
    "interpolate",
    "step",
    "color",
    "facecolor",
    "alpha",
    "label",
    "edgecolor",
    "linewidth",
    "hatch",
    "zorder",
];

/// `fill_between(x, y1, y2=0, ...)`.
pub fn fill_between(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    if let Some((k, _)) = args
        .kw
        .iter()
        .find(|(k, _)| !FILL_KWARGS.contains(&&**k) && &**k != "x" && &**k != "y1")
    {
        return Err(Exception::new(
            "AttributeError",
            format!("FillBetweenPolyCollection.set() got an unexpected keyword argument '{k}'"),
        ));
    }
    let arg = |i: usize, name: &str| args.pos.get(i).or_else(|| kw(args, &[name])).cloned();
    let (Some(x), Some(y1)) = (arg(0, "x"), arg(1, "y1")) else {
        return Err(Exception::type_error(
            "fill_between() missing 1 required positional argument: 'y1'",
        ));
    };
    let x = convert::array(interp, &x)?.data;
    let n = x.len();
    let series = |interp: &mut Interpreter, v: Option<Value>| -> R<Vec<f64>> {
        match v {
            None => Ok(vec![0.0; n]),
            Some(v) => {
                let a = convert::array(interp, &v)?.data;
                match a.len() {
                    1 => Ok(vec![a[0]; n]),
                    m if m == n => Ok(a),
                    m => Err(Exception::value_error(format!(
                        "operands could not be broadcast together with shapes ({n},) ({m},)"
                    ))),
                }
            }
        }
    };
    let y1 = series(interp, Some(y1))?;
    let y2 = series(interp, arg(2, "y2"))?;
    let mut color = match kw(args, &["color", "facecolor"]) {
        Some(c) => convert::color(interp, c)?,
        None => ax.next_color(),
    };
    if let Some(a) = kw(args, &["alpha"]) {
        color = color.with_alpha(a.expect_f64("alpha")?);
    }
    // Along y1, then back along y2.
    let mut points: Vec<(f64, f64)> = x.iter().zip(&y1).map(|(&a, &b)| (a, b)).collect();
    points.extend(x.iter().zip(&y2).rev().map(|(&a, &b)| (a, b)));
    let label = convert::kw_str(args, &["label"])?;
    let i = ax.push(Artist::Fill(Fill {
        points,
        color,
        label,
    }));
    Ok(Handle::value(
        "matplotlib.collections.FillBetweenPolyCollection",
        Some(ax.fig.clone()),
        ax.index,
        Some(i),
    ))
}

/// `stem`'s result: the markers, the stems and the baseline.
struct StemContainer;

impl NativeObject for StemContainer {
    fn type_name(&self) -> &str {
        "StemContainer"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.container")
    }
    fn repr(&self) -> String {
        "<StemContainer object of 3 artists>".to_string()
    }
}

fn line(
    xs: Vec<f64>,
    ys: Vec<f64>,
    color: &str,
    style: LineStyle,
    marker: Option<Marker>,
) -> Artist {
    Artist::Line(Line {
        xs,
        ys,
        color: colors::parse(color).unwrap_or(colors::Rgba {
            r: 0.0,
            g: 0.0,
            b: 0.0,
            a: 1.0,
        }),
        width: 1.5,
        style,
        marker,
        marker_size: 6.0,
        marker_face: None,
        label: None,
    })
}

/// `stem([x,] y, linefmt=None, markerfmt=None, basefmt=None, bottom=0, label=None,
/// orientation='vertical')`; other keywords are a TypeError, as in matplotlib 3.11 (which
/// removed `use_line_collection`).
pub fn stem(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    const KNOWN: &[&str] = &[
        "linefmt",
        "markerfmt",
        "basefmt",
        "bottom",
        "label",
        "orientation",
        "data",
    ];
    if let Some((k, _)) = args.kw.iter().find(|(k, _)| !KNOWN.contains(&&**k)) {
        return Err(Exception::type_error(format!(
            "stem() got an unexpected keyword argument '{k}'"
        )));
    }
    let (x, y) = match &args.pos[..] {
        [y] => {
            let y = convert::array(interp, y)?.data;
            ((0..y.len()).map(|i| i as f64).collect(), y)
        }
        [x, y, ..] => (
            convert::array(interp, x)?.data,
            convert::array(interp, y)?.data,
        ),
        [] => {
            return Err(Exception::type_error(
                "stem() missing 1 required positional argument: 'args'",
            ));
        }
    };
    if x.len() != y.len() {
        return Err(Exception::value_error(format!(
            "could not broadcast input array from shape ({},) into shape ({},)",
            y.len(),
            x.len()
        )));
    }
    let bottom = match kw(args, &["bottom"]) {
        Some(b) => b.expect_f64("bottom")?,
        None => 0.0,
    };
    for (&a, &b) in x.iter().zip(&y) {
        ax.push(line(
            vec![a, a],
            vec![bottom, b],
            "C0",
            LineStyle::Solid,
            None,
        ));
    }
    ax.push(line(
        x.clone(),
        y.clone(),
        "C0",
        LineStyle::None,
        Some(Marker::Circle),
    ));
    let lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo <= hi {
        ax.push(line(
            vec![lo, hi],
            vec![bottom, bottom],
            "C3",
            LineStyle::Solid,
            None,
        ));
    }
    Ok(Value::native(StemContainer))
}
