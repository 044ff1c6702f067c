//! `annotate(text, xy, xytext=None, arrowprops=None)`: the text at `xytext` (or `xy`) in data
//! coordinates and, given `arrowprops`, a line from the text to the point (the arrow's head
//! is not drawn). It returns what prints as matplotlib's `Annotation` does.

use super::axes::PyAxes;
use super::convert::{self, R, kw};
use super::objects::TextObj;
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Value};
use crate::plot::colors::Rgba;
use crate::plot::figure::{Artist, Line, LineStyle, Text};

fn point(interp: &mut Interpreter, v: &Value) -> R<(f64, f64)> {
    let p = convert::vector(interp, v)?;
    match p.as_slice() {
        [x, y] => Ok((*x, *y)),
        p if p.len() > 2 => Err(Exception::value_error(
            "too many values to unpack (expected 2)",
        )),
        p => Err(Exception::value_error(format!(
            "not enough values to unpack (expected 2, got {})",
            p.len()
        ))),
    }
}

pub fn annotate(interp: &mut Interpreter, ax: &PyAxes, args: &Args) -> R<Value> {
    let [text, xy, xytext] = super::bind_prefix::<3>(args, &["text", "xy", "xytext"])?;
    // pyplot's function and the Axes method name themselves differently in the error.
    let name = if args.this_native::<PyAxes>().is_ok() {
        "Axes.annotate"
    } else {
        "annotate"
    };
    let Some(text) = text else {
        return Err(Exception::type_error(format!(
            "{name}() missing 2 required positional arguments: 'text' and 'xy'"
        )));
    };
    let Some(xy) = xy else {
        return Err(Exception::type_error(format!(
            "{name}() missing 1 required positional argument: 'xy'"
        )));
    };
    let text = interp.to_str(&text)?;
    let at = point(interp, &xy)?;
    let xytext = xytext.filter(|v| !v.is_none());
    let to = match &xytext {
        Some(v) => point(interp, v)?,
        None => at,
    };
    if kw(args, &["arrowprops"]).is_some_and(|v| !v.is_none()) {
        ax.push(Artist::Line(Line {
            xs: vec![to.0, at.0],
            ys: vec![to.1, at.1],
            color: Rgba::BLACK,
            width: 1.0,
            style: LineStyle::Solid,
            marker: None,
            marker_size: 6.0,
            marker_face: None,
            label: None,
        }));
    }
    ax.push(Artist::Text(Text {
        x: to.0,
        y: to.1,
        text: text.clone(),
        color: Rgba::BLACK,
        size: 10.0,
        ha: "left".into(),
        va: "baseline".into(),
        axes_coords: false,
        bbox: None,
    }));
    let g = |v: f64| Value::Float(v).repr();
    Ok(Value::native(Annotation {
        text: TextObj {
            x: g(to.0),
            y: g(to.1),
            text: text.into(),
        },
        xy: at,
    }))
}

/// matplotlib's `Annotation`: its repr is its `Text`'s (where the text is, and what it
/// says), its `str` names the annotated point (`%g`).
struct Annotation {
    text: TextObj,
    xy: (f64, f64),
}

impl NativeObject for Annotation {
    fn type_name(&self) -> &str {
        "Annotation"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.text")
    }
    fn repr(&self) -> String {
        self.text.repr()
    }
    fn str(&self) -> String {
        let g = |v: f64| crate::lang::format::format_float(v, "g").unwrap_or_default();
        format!(
            "Annotation({}, {}, {})",
            g(self.xy.0),
            g(self.xy.1),
            Value::str(&self.text.text.borrow()).repr()
        )
    }
    fn get_attr(&self, this: &Value, name: &str, interp: &mut Interpreter) -> R<Option<Value>> {
        self.text.get_attr(this, name, interp)
    }
}
