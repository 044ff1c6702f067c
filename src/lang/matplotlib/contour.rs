//! `contour` (pyplot's and the Axes method): contour lines of a grid of values, drawn as
//! lines by marching squares at matplotlib's automatic levels (or the levels given).

use super::axes::PyAxes;
use super::convert::{self, Array, R, kw, kw_f64};
use crate::lang::native::Args;
use crate::lang::{Exception, Interpreter, Value};
use crate::plot::colors::{self, Rgba};
use crate::plot::figure::{Artist, Line, LineStyle};
use crate::plot::ticks;

/// matplotlib's default levels: `MaxNLocator(7 + 1, min_n_ticks=1)` (its default steps
/// 1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) over the data's range, trimmed to one level at most
/// past each end (`ContourSet._autolev`).
fn auto_levels(zmin: f64, zmax: f64, n: usize) -> Vec<f64> {
    let lev = ticks::max_n_locator_steps(
        zmin,
        zmax,
        n + 1,
        &[1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0],
        1,
    );
    let i0 = lev.iter().rposition(|&l| l < zmin).unwrap_or(0);
    let i1 = lev
        .iter()
        .position(|&l| l > zmax)
        .map_or(lev.len(), |i| i + 1);
    if i1 < i0 + 3 {
        lev
    } else {
        lev[i0..i1].to_vec()
    }
}

/// The segments where the bilinear surface over the grid crosses `level`, as one polyline
/// with NaN breaks between segments (the SVG writer lifts the pen there).
fn march(xs: &Array, ys: &Array, z: &Array, level: f64) -> (Vec<f64>, Vec<f64>) {
    let (rows, cols) = (z.shape[0], z.shape[1]);
    let at = |a: &Array, i: usize, j: usize| a.data[i * cols + j];
    let (mut px, mut py) = (Vec::new(), Vec::new());
    for i in 0..rows.saturating_sub(1) {
        for j in 0..cols.saturating_sub(1) {
            // Corners counter-clockwise; an edge is crossed where its ends straddle the level.
            let c = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)];
            let mut cut = Vec::with_capacity(4);
            for k in 0..4 {
                let (a, b) = (c[k], c[(k + 1) % 4]);
                let (za, zb) = (at(z, a.0, a.1), at(z, b.0, b.1));
                if !za.is_finite() || !zb.is_finite() {
                    cut.clear();
                    break;
                }
                if (za < level) != (zb < level) {
                    let t = (level - za) / (zb - za);
                    let x = at(xs, a.0, a.1) + t * (at(xs, b.0, b.1) - at(xs, a.0, a.1));
                    let y = at(ys, a.0, a.1) + t * (at(ys, b.0, b.1) - at(ys, a.0, a.1));
                    cut.push((x, y));
                }
            }
            for pair in cut.chunks(2) {
                if let [(x0, y0), (x1, y1)] = pair {
                    px.extend([*x0, *x1, f64::NAN]);
                    py.extend([*y0, *y1, f64::NAN]);
                }
            }
        }
    }
    (px, py)
}

/// A 1-D coordinate array spread over the grid (`contour(x, y, Z)` with vectors), or a 2-D
/// one of Z's shape.
fn grid(a: Array, rows: usize, cols: usize, along_rows: bool, name: &str) -> R<Array> {
    match a.shape.as_slice() {
        [r, c] if *r == rows && *c == cols => Ok(a),
        [n] if *n == if along_rows { rows } else { cols } => {
            let data = (0..rows * cols)
                .map(|k| {
                    if along_rows {
                        a.data[k / cols]
                    } else {
                        a.data[k % cols]
                    }
                })
                .collect();
            Ok(Array {
                shape: vec![rows, cols],
                data,
            })
        }
        _ => Err(Exception::type_error(format!(
            "Shape of {name} {} does not match that of z: {}",
            a.shape_repr(),
            convert::shape_repr(&[rows, cols])
        ))),
    }
}

/// `contour([X, Y,] Z, [levels], colors=..., linewidths=...)`.
pub fn contour(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let pos: Vec<Array> = args
        .pos
        .iter()
        .map(|v| convert::array(interp, v))
        .collect::<R<_>>()?;
    let (x, y, z, levels_arg) = match pos.len() {
        1 | 2 => (None, None, pos[0].clone(), pos.get(1).cloned()),
        3 | 4 => (
            Some(pos[0].clone()),
            Some(pos[1].clone()),
            pos[2].clone(),
            pos.get(3).cloned(),
        ),
        n => {
            return Err(Exception::type_error(format!(
                "contour() takes from 1 to 4 positional arguments but {n} were given"
            )));
        }
    };
    let [rows, cols] = z.shape[..] else {
        return Err(Exception::type_error(format!(
            "Input z must be 2D, not {}D",
            z.ndim()
        )));
    };
    if rows < 2 || cols < 2 {
        return Err(Exception::type_error(format!(
            "Input z must be at least a (2, 2) shaped array, but has shape {}",
            z.shape_repr()
        )));
    }
    // Without X and Y, column j is at x = j and row i at y = i; 1-D X runs along columns.
    let index = |n: usize| Array {
        shape: vec![n],
        data: (0..n).map(|k| k as f64).collect(),
    };
    let xs = grid(x.unwrap_or_else(|| index(cols)), rows, cols, false, "X")?;
    let ys = grid(y.unwrap_or_else(|| index(rows)), rows, cols, true, "Y")?;
    let finite = z.data.iter().copied().filter(|v| v.is_finite());
    let zmin = finite.clone().fold(f64::INFINITY, f64::min);
    let zmax = finite.fold(f64::NEG_INFINITY, f64::max);
    let levels_arg = levels_arg.or(match kw(args, &["levels"]) {
        Some(v) => Some(convert::array(interp, v)?),
        None => None,
    });
    let levels = match levels_arg {
        Some(a) if a.ndim() == 0 => auto_levels(zmin, zmax, a.data[0].max(1.0) as usize),
        Some(a) => a.data,
        None => auto_levels(zmin, zmax, 7),
    };
    let colors: Vec<Rgba> =
        match kw(args, &["colors"]) {
            Some(Value::Str(s)) => vec![colors::parse(s).ok_or_else(|| {
                Exception::value_error(format!("'{s}' is not a valid color value."))
            })?],
            Some(v) if !v.is_none() => {
                let items = interp.iterate(v)?;
                items
                    .iter()
                    .map(|c| convert::color(interp, c))
                    .collect::<R<_>>()?
            }
            _ => {
                // No colours given: the levels through viridis, as the default colormap does.
                let cmap = colors::colormap("viridis").expect("viridis is known");
                let (lo, hi) = (
                    levels.first().copied().unwrap_or(0.0),
                    levels.last().copied().unwrap_or(1.0),
                );
                levels
                    .iter()
                    .map(|&l| cmap.at(if hi > lo { (l - lo) / (hi - lo) } else { 0.0 }))
                    .collect()
            }
        };
    let width = kw_f64(args, &["linewidths", "linewidth"])?.unwrap_or(1.5);
    for (k, &level) in levels.iter().enumerate() {
        let (px, py) = march(&xs, &ys, &z, level);
        if px.is_empty() {
            continue;
        }
        let color = colors
            .get(k % colors.len().max(1))
            .copied()
            .unwrap_or(Rgba::BLACK);
        ax.push(Artist::Line(Line {
            xs: px,
            ys: py,
            color,
            width,
            style: LineStyle::Solid,
            marker: None,
            marker_size: 6.0,
            marker_face: None,
            label: None,
        }));
    }
    Ok(super::objects::Handle::value(
        "matplotlib.contour.QuadContourSet",
        Some(ax.fig.clone()),
        ax.index,
        None,
    ))
}
