//! `matplotlib.patches.Rectangle` (also `plt.Rectangle`), `Axes.add_patch`, and the box a
//! text's `bbox=dict(facecolor=...)` draws behind it: what d2l's bounding-box and anchor-box
//! chapters draw over an image.

use std::rc::Rc;

use super::axes::PyAxes;
use super::convert::{self, R, kw};
use crate::lang::native::{Args, NativeObject};
use crate::lang::{Exception, Interpreter, Module, Value};
use crate::plot::colors::Rgba;
use crate::plot::{Artist, Patch};

/// matplotlib's `C0`, the default face of patches and text boxes.
const C0: Rgba = Rgba {
    r: 0x1f as f64 / 255.0,
    g: 0x77 as f64 / 255.0,
    b: 0xb4 as f64 / 255.0,
    a: 1.0,
};

/// A `Rectangle` made in Python; `xy` keeps the values it was given (NumPy floats stay NumPy
/// floats when read back, as in matplotlib).
pub struct Rectangle {
    xy: Value,
    patch: Patch,
}

impl NativeObject for Rectangle {
    fn type_name(&self) -> &str {
        "Rectangle"
    }
    fn module_name(&self) -> Option<&str> {
        Some("matplotlib.patches")
    }
    fn repr_in(&self, this: &Value, _: &mut Interpreter) -> R<Option<String>> {
        Ok(Some(format!(
            "<matplotlib.patches.Rectangle object at {:#x}>",
            this.identity()
        )))
    }
    /// matplotlib's `Rectangle.__str__` (`%g` numbers).
    fn str(&self) -> String {
        let [x, y, w, h] = self.patch.rect;
        format!(
            "Rectangle(xy=({}, {}), width={}, height={}, angle=0)",
            g(x),
            g(y),
            g(w),
            g(h)
        )
    }
    fn get_attr(&self, this: &Value, name: &str, _: &mut Interpreter) -> R<Option<Value>> {
        let [x, y, w, h] = self.patch.rect;
        let getter = |name: &'static str, v: Value| {
            Value::method(this.clone(), name, move |_, _| Ok(v.clone()))
        };
        Ok(Some(match name {
            "xy" => self.xy.clone(),
            "get_xy" => getter("get_xy", self.xy.clone()),
            "get_x" => getter("get_x", Value::Float(x)),
            "get_y" => getter("get_y", Value::Float(y)),
            "get_width" => getter("get_width", Value::Float(w)),
            "get_height" => getter("get_height", Value::Float(h)),
            _ => return Ok(None),
        }))
    }
}

/// `%g` of a float: six significant digits, no trailing zeros.
fn g(v: f64) -> String {
    crate::lang::format::format_float(v, "g").unwrap_or_else(|_| v.to_string())
}

/// Adds `matplotlib.patches` and `plt.Rectangle`.
pub fn install(interp: &mut Interpreter, mpl: &Module, pyplot: &Module) {
    let patches = Module::new("matplotlib.patches");
    let rectangle = Value::builtin("Rectangle", |interp, args| rectangle(interp, &args));
    patches.set("Rectangle", rectangle.clone());
    pyplot.set("Rectangle", rectangle);
    let patches = Value::Module(Rc::new(patches));
    mpl.set("patches", patches.clone());
    interp.register_module("matplotlib.patches", patches);
}

/// `Rectangle(xy, width, height, *, fill=True, edgecolor=None, facecolor=None, color=None,
/// linewidth=None, ...)`.
fn rectangle(interp: &mut Interpreter, args: &Args) -> R<Value> {
    let [xy, w, h] = super::bind_prefix::<3>(args, &["xy", "width", "height"])?;
    let (Some(xy), Some(w), Some(h)) = (xy, w, h) else {
        return Err(Exception::type_error(
            "Rectangle.__init__() missing required positional arguments: 'xy', 'width' and 'height'",
        ));
    };
    let corner = convert::vector(interp, &xy)?;
    let [x, y] = corner[..] else {
        return Err(Exception::value_error(format!(
            "xy must be a pair of numbers, got {} values",
            corner.len()
        )));
    };
    let number = |interp: &mut Interpreter, v: &Value, what: &str| -> R<f64> {
        v.as_f64().map_or_else(
            || {
                let v = convert::vector(interp, v)?;
                match v[..] {
                    [one] => Ok(one),
                    _ => Err(Exception::type_error(format!(
                        "Rectangle {what} must be a number"
                    ))),
                }
            },
            Ok,
        )
    };
    let (w, h) = (number(interp, &w, "width")?, number(interp, &h, "height")?);
    let color = |interp: &mut Interpreter, names: &[&str]| -> R<Option<Rgba>> {
        match kw(args, names) {
            Some(Value::Str(s)) if &**s == "none" => Ok(None),
            Some(v) => convert::color(interp, v).map(Some),
            None => Ok(None),
        }
    };
    let both = color(interp, &["color"])?;
    let fill = match kw(args, &["fill"]) {
        Some(v) => interp.truthy(v)?,
        None => true,
    };
    let face = if fill {
        color(interp, &["facecolor", "fc"])?.or(both).or(Some(C0))
    } else {
        None
    };
    // matplotlib draws no edge on a filled patch unless asked, and a black one on an unfilled.
    let edge = color(interp, &["edgecolor", "ec"])?.or(both).or(if fill {
        None
    } else {
        Some(Rgba::BLACK)
    });
    let width = match kw(args, &["linewidth", "lw"]) {
        Some(v) => v.expect_f64("linewidth")?,
        None => 1.0,
    };
    let alpha = super::convert::kw_f64(args, &["alpha"])?;
    let with_alpha = |c: Option<Rgba>| c.map(|c| alpha.map_or(c, |a| c.with_alpha(a)));
    let patch = Patch {
        rect: [x, y, w, h],
        face: with_alpha(face),
        edge: with_alpha(edge),
        width,
    };
    Ok(Value::native(Rectangle {
        xy: Value::tuple(vec![index(&xy, 0, x), index(&xy, 1, y)]),
        patch,
    }))
}

/// Item `i` of a list or tuple as given, else the number read from it.
fn index(xy: &Value, i: usize, read: f64) -> Value {
    let item = match xy {
        Value::Tuple(t) => t.get(i).cloned(),
        Value::List(l) => l.borrow().get(i).cloned(),
        _ => None,
    };
    item.unwrap_or(Value::Float(read))
}

/// `Axes.add_patch(p)`: draws `p` and hands it back.
pub fn add_patch(ax: &PyAxes, args: &Args) -> R<Value> {
    let [p] = super::bind_prefix::<1>(args, &["p"])?;
    let Some(p) = p else {
        return Err(Exception::type_error(
            "Axes.add_patch() missing 1 required positional argument: 'p'",
        ));
    };
    let Some(r) = p.downcast::<Rectangle>() else {
        return Err(Exception::type_error(format!(
            "add_patch() takes a matplotlib.patches.Patch, not {}",
            p.type_name()
        )));
    };
    ax.push(Artist::Patch(r.patch.clone()));
    Ok(p.clone())
}

/// The face colour of a text's `bbox=dict(...)` (`facecolor`/`fc`/`color`; `C0` when the dict
/// names none).
pub fn bbox_face(interp: &mut Interpreter, bbox: &Value) -> R<Option<Rgba>> {
    let Value::Dict(d) = bbox else {
        return match bbox {
            Value::None => Ok(None),
            other => Err(Exception::type_error(format!(
                "bbox must be a dict, not {}",
                other.type_name()
            ))),
        };
    };
    let mut face = None;
    for key in ["facecolor", "fc", "color"] {
        let v = d.borrow().get(&Value::str(key))?;
        if let Some(v) = v {
            face = Some(v);
            break;
        }
    }
    match &face {
        Some(Value::Str(s)) if &**s == "none" => Ok(None),
        Some(v) => convert::color(interp, v).map(Some),
        None => Ok(Some(C0)),
    }
}
