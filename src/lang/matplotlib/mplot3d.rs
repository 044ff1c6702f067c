//! 3-D axes (`add_subplot(projection='3d')`, the `mpl_toolkits.mplot3d` import): `plot` of
//! x, y and z and `plot_wireframe`, drawn as a parallel projection at matplotlib's default
//! view (elevation 30°, azimuth -60°) onto a plain axes with no frame. Each coordinate is
//! first scaled to [-0.5, 0.5] over the data range of the first 3-D call, as matplotlib fits
//! its box to the data; z ticks and labels are accepted and not drawn.

use super::axes::{PyAxes, make_line};
use super::convert::{self, Array, R, kw};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::plot::figure::{Artist, Line, LineStyle, View3d};
use std::rc::Rc;

/// Registers the modules `mpl_toolkits` and `mpl_toolkits.mplot3d` (importing it is what
/// makes `projection='3d'` available in matplotlib).
pub fn install(interp: &mut Interpreter) {
    let m3d = Value::Module(Rc::new(Module::new("mpl_toolkits.mplot3d")));
    let pkg = Module::new("mpl_toolkits");
    pkg.set("mplot3d", m3d.clone());
    interp.register_module("mpl_toolkits", Value::Module(Rc::new(pkg)));
    interp.register_module("mpl_toolkits.mplot3d", m3d);
}

/// `projection=` of `add_subplot`: '3d' makes the axes 3-D; matplotlib's other projections
/// are not drawn here, and a name it does not know is its ValueError.
pub fn projection(args: &Args) -> R<bool> {
    match kw(args, &["projection"]) {
        None | Some(Value::None) => Ok(false),
        Some(Value::Str(s)) if &**s == "3d" => Ok(true),
        Some(Value::Str(s)) if &**s == "rectilinear" => Ok(false),
        Some(Value::Str(s))
            if ["aitoff", "hammer", "lambert", "mollweide", "polar"].contains(&&**s) =>
        {
            Err(Exception::unsupported(format!("projection='{s}'")))
        }
        Some(v) => Err(Exception::value_error(format!(
            "{} is not a valid value for projection.",
            v.repr()
        ))),
    }
}

/// Whether the axes is 3-D.
pub fn is_3d(ax: &PyAxes) -> bool {
    ax.with_axes(|a| a.view3d.is_some())
}

/// Makes the axes 3-D: no 2-D frame, ticks or grid.
pub fn make_3d(ax: &PyAxes) {
    ax.with_axes(|a| {
        a.view3d = Some(View3d::default());
        a.frame_on = false;
    });
}

fn range(v: &[f64]) -> [f64; 2] {
    let f = v.iter().copied().filter(|x| x.is_finite());
    let (lo, hi) = (
        f.clone().fold(f64::INFINITY, f64::min),
        f.fold(f64::NEG_INFINITY, f64::max),
    );
    if lo.is_finite() && hi > lo {
        [lo, hi]
    } else if lo.is_finite() {
        [lo - 0.5, lo + 0.5]
    } else {
        [0.0, 1.0]
    }
}

/// The screen (x, y) of data points: the view's scaling fixed by the first call.
fn project(ax: &PyAxes, xs: &[f64], ys: &[f64], zs: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let ranges = ax.with_axes(|a| {
        let v = a.view3d.get_or_insert_with(View3d::default);
        *v.ranges.get_or_insert([range(xs), range(ys), range(zs)])
    });
    let unit = |v: f64, r: [f64; 2]| (v - r[0]) / (r[1] - r[0]) - 0.5;
    let (az, el) = ((-60f64).to_radians(), 30f64.to_radians());
    let mut sx = Vec::with_capacity(xs.len());
    let mut sy = Vec::with_capacity(xs.len());
    for i in 0..xs.len() {
        let (x, y, z) = (
            unit(xs[i], ranges[0]),
            unit(ys[i], ranges[1]),
            unit(zs[i], ranges[2]),
        );
        sx.push(-x * az.sin() + y * az.cos());
        sy.push(-(x * az.cos() + y * az.sin()) * el.sin() + z * el.cos());
    }
    (sx, sy)
}

/// `plot(xs, ys, zs, fmt)` on a 3-D axes: one line through the projected points.
pub fn plot3d(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let (fmt, coords) = match args.pos.as_slice() {
        [x, y, z, Value::Str(f)] => (Some(convert::fmt(f)?), [x, y, z]),
        [x, y, z] => (None, [x, y, z]),
        _ => {
            return Err(Exception::unsupported(
                "plot() on a 3-D axes with other than xs, ys, zs and a format",
            ));
        }
    };
    let [x, y, z] = coords.map(|v| convert::array(interp, v));
    let (x, y, z) = (x?, y?, z?);
    if x.data.len() != y.data.len() || x.data.len() != z.data.len() {
        return Err(Exception::value_error("x, y and z must be the same size"));
    }
    let (sx, sy) = project(ax, &x.data, &y.data, &z.data);
    let line = make_line(interp, ax, args, fmt.as_ref(), sx, sy)?;
    let i = ax.push(Artist::Line(line));
    Ok(Value::list(vec![ax.line3d_handle(i)]))
}

fn grid(interp: &mut Interpreter, v: Option<&Value>, what: &str) -> R<Array> {
    let v = v.ok_or_else(|| {
        Exception::type_error(format!(
            "Axes3D.plot_wireframe() missing required argument: '{what}'"
        ))
    })?;
    convert::array(interp, v)
}

/// `plot_wireframe(X, Y, Z, rstride=1, cstride=1)`: every `rstride`-th row and `cstride`-th
/// column of the grids (and the last), as lines in the axes' next colour.
pub fn wireframe(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let x = grid(interp, args.pos.first().or_else(|| kw(args, &["X"])), "X")?;
    let y = grid(interp, args.pos.get(1).or_else(|| kw(args, &["Y"])), "Y")?;
    let z = grid(interp, args.pos.get(2).or_else(|| kw(args, &["Z"])), "Z")?;
    // matplotlib broadcasts the three against each other first (here they must be equal).
    for (k, a) in [(1, &y), (2, &z)] {
        if a.shape != x.shape {
            return Err(Exception::value_error(format!(
                "shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is between arg 0 with shape {} and arg {k} with shape {}.",
                x.shape_repr(),
                a.shape_repr()
            )));
        }
    }
    if z.ndim() != 2 {
        return Err(Exception::value_error("Argument Z must be 2-dimensional."));
    }
    let stride = |name: &str| -> R<usize> {
        match kw(args, &[name]) {
            Some(v) => Ok(v.expect_int(name)?.max(1) as usize),
            None => Ok(1),
        }
    };
    let (rs, cs) = (stride("rstride")?, stride("cstride")?);
    let (rows, cols) = (x.shape[0], x.shape[1]);
    let pick = |n: usize, s: usize| {
        let mut v: Vec<usize> = (0..n).step_by(s).collect();
        if n > 0 && v.last() != Some(&(n - 1)) {
            v.push(n - 1);
        }
        v
    };
    let (sx, sy) = project(ax, &x.data, &y.data, &z.data);
    let color = ax.next_color();
    let mut paths: Vec<Vec<usize>> = pick(rows, rs)
        .into_iter()
        .map(|r| (0..cols).map(|c| r * cols + c).collect())
        .collect();
    paths.extend(
        pick(cols, cs)
            .into_iter()
            .map(|c| (0..rows).map(|r| r * cols + c).collect()),
    );
    let mut last = 0;
    for p in paths {
        let (xs, ys) = (
            p.iter().map(|&k| sx[k]).collect(),
            p.iter().map(|&k| sy[k]).collect(),
        );
        let line = Line {
            xs,
            ys,
            color,
            width: 1.0,
            style: LineStyle::Solid,
            marker: None,
            marker_size: 6.0,
            marker_face: None,
            label: None,
        };
        last = ax.push(Artist::Line(line));
    }
    Ok(ax.collection_handle(last))
}
